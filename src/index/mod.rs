//! The search index: a tantivy index in `index/v{SCHEMA_VERSION}/`, derived
//! from `articles/` and disposable. [`SearchIndex`] owns the one writer (behind
//! a mutex, so upserts from the watcher and full rebuilds never interleave) and
//! one long-lived reader, reloaded after each commit; every search takes a
//! fresh searcher from it. It is also the serving store: pages and the API read
//! stored fields from it (`lookup`), so the last good version of an article is
//! served until a fixed file replaces it. This file holds the index's
//! lifecycle and its writes; reads live in `lookup`, `search` and `suggest`.
//! With a sentence model, passage vectors follow every write (`vectors`)
//! and searches also rank by meaning (`hybrid`).

pub mod cache;
mod document;
mod hybrid;
pub use hybrid::Closeness;
mod lookup;
mod query;
pub mod schema;
mod search;
mod stem;
mod suggest;
pub mod synonyms;
pub mod typo;
pub mod vectors;
pub mod visible;
mod worth;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, Term};

pub use document::{ArticleRecord, ArticleSummary};
pub use lookup::LiveArticle;
pub use query::{Audience, FacetCount, Hit, Mode, SearchRequest, SearchResults};
pub use schema::{build_schema, language_of, Fields, SCHEMA_VERSION};
pub use suggest::Suggestion;
pub use synonyms::{SynonymError, Synonyms};

use crate::articles::Article;

/// Errors of the index layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("cannot open index folder {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("index writer lock poisoned")]
    Poisoned,
    #[error("the index is being written by another deflect process (a running `deflect serve`?) — stop it, or pass another --index")]
    Busy,
    #[error("reading the index: {0}")]
    Read(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Memory for the writer's in-flight segments (split across its threads).
const WRITER_HEAP: usize = 96 * 1024 * 1024;

/// The article index and its one writer.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    /// Opened on the first write, so that a reader (`deflect search` next to a
    /// running `deflect serve`) never takes the index's write lock.
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
    default_locale: String,
    synonyms: RwLock<Arc<Synonyms>>,
    cache: cache::ResultCache,
    summaries: cache::SummaryCache,
    /// Typo corrections per audience, language and word, for this
    /// vocabulary (a new generation may know new words).
    typos: cache::GenerationMap<(Audience, tantivy::schema::Field, String), Vec<typo::Correction>>,
    /// Summaries and snippet texts of search hits.
    hits: cache::HitCache,
    /// What each audience may see, built once per searcher generation
    /// instead of walked on every uncached search.
    visible: cache::GenerationMap<Audience, visible::Visible>,
    /// What each audience may see in one locale: the filter of every search.
    /// Bounded: a locale past the cap is computed per search.
    visible_in: cache::GenerationMap<(Audience, String), visible::Visible>,
    /// Passage vectors, when a sentence model is configured.
    semantic: Option<vectors::Semantic>,
    /// Each article path's document in a generation: how a vector finds
    /// the document whose visibility and stored fields it shares.
    addresses: cache::GenerationMap<(), std::collections::HashMap<String, tantivy::DocAddress>>,
    /// The vectors laid out for scanning, per generation.
    dense: cache::GenerationMap<(), vectors::Dense<tantivy::DocAddress>>,
    /// The locales with public articles, per generation: every page's
    /// language switcher asks.
    locales: cache::GenerationMap<(), Vec<String>>,
}

/// How [`SearchIndex::open`] found the index folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// A usable index of this schema version.
    Existing,
    /// Nothing usable (missing, corrupt or another version): a new empty index
    /// that the caller must fill.
    Created,
}

impl SearchIndex {
    /// Opens the index under `dir`, or creates an empty one when there is none
    /// of this schema version or it cannot be read.
    pub fn open(dir: &Path, default_locale: &str) -> Result<(SearchIndex, Opened)> {
        let versioned = dir.join(format!("v{SCHEMA_VERSION}"));
        let io = |source| Error::Io {
            path: versioned.clone(),
            source,
        };
        std::fs::create_dir_all(&versioned).map_err(io)?;
        remove_other_versions(dir);
        let (schema, fields) = build_schema();
        // A folder without `meta.json` is simply a new index: nothing to warn about.
        let fresh = !versioned.join("meta.json").exists();
        let (index, opened) = match Index::open_in_dir(&versioned) {
            Ok(index) if index.schema() == schema => (index, Opened::Existing),
            existing => {
                match &existing {
                    Err(_) if fresh => {
                        tracing::info!(dir = %versioned.display(), "creating the search index")
                    }
                    Err(e) => {
                        tracing::warn!(dir = %versioned.display(), error = %e, "index unreadable; rebuilding it")
                    }
                    Ok(_) => {
                        tracing::info!(dir = %versioned.display(), "index of another layout; rebuilding it")
                    }
                }
                std::fs::remove_dir_all(&versioned).map_err(io)?;
                std::fs::create_dir_all(&versioned).map_err(io)?;
                (Index::create_in_dir(&versioned, schema)?, Opened::Created)
            }
        };
        Ok((
            SearchIndex::from_index(index, fields, default_locale)?,
            opened,
        ))
    }

    /// An index held in memory, for tests and benches.
    pub fn in_memory(default_locale: &str) -> Result<SearchIndex> {
        let (schema, fields) = build_schema();
        SearchIndex::from_index(Index::create_in_ram(schema), fields, default_locale)
    }

    fn from_index(index: Index, fields: Fields, default_locale: &str) -> Result<SearchIndex> {
        schema::register_tokenizers(index.tokenizers());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(None),
            fields,
            default_locale: default_locale.to_string(),
            synonyms: RwLock::new(Arc::new(Synonyms::default())),
            cache: cache::ResultCache::default(),
            summaries: cache::summary_cache(),
            hits: cache::hit_cache(),
            typos: cache::GenerationMap::with_budget(50_000, 16 * 1024 * 1024, |found| {
                found.iter().map(|c| c.word.len() + 48).sum::<usize>() + 64
            }),
            visible: cache::GenerationMap::new(2),
            visible_in: cache::GenerationMap::new(64),
            semantic: None,
            addresses: cache::GenerationMap::new(1),
            dense: cache::GenerationMap::new(1),
            locales: cache::GenerationMap::new(1),
        })
    }

    /// Turns on search by meaning with `semantic`'s model; the caller then
    /// rebuilds, which embeds every article.
    pub fn with_semantic(mut self, semantic: vectors::Semantic) -> SearchIndex {
        self.semantic = Some(semantic);
        self
    }

    /// The passage vectors, when a sentence model is configured.
    pub fn semantic(&self) -> Option<&vectors::Semantic> {
        self.semantic.as_ref()
    }

    /// The schema's fields.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// A searcher over the last commit.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Bounds the cache of recent search results (0 turns it off).
    pub fn set_cache_bytes(&self, bytes: usize) {
        self.cache.set_max_bytes(bytes);
    }

    /// Entries in the result cache and their estimated bytes.
    pub fn cache_usage(&self) -> (usize, usize) {
        self.cache.usage()
    }

    /// The synonyms applied to queries.
    pub fn synonyms(&self) -> Arc<Synonyms> {
        Arc::clone(&self.synonyms.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Replaces the synonyms applied to queries (takes effect at once).
    pub fn set_synonyms(&self, synonyms: Synonyms) {
        *self.synonyms.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(synonyms);
        self.cache.clear();
    }

    /// The locale of articles and visitors that name none.
    pub fn default_locale(&self) -> &str {
        &self.default_locale
    }

    /// Runs `f` with the writer, opening it first if needed.
    fn write<T>(&self, f: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        let mut guard = self.writer.lock().map_err(|_| Error::Poisoned)?;
        if guard.is_none() {
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(4);
            *guard = Some(
                self.index
                    .writer_with_num_threads(threads, WRITER_HEAP)
                    .map_err(|e| match e {
                        tantivy::TantivyError::LockFailure(..) => Error::Busy,
                        e => Error::Tantivy(e),
                    })?,
            );
        }
        let writer = guard.as_mut().ok_or(Error::Poisoned)?;
        let out = f(writer)?;
        drop(guard);
        self.reader.reload()?;
        self.cache.clear();
        Ok(out)
    }

    /// Replaces the whole content with `articles`.
    pub fn rebuild(&self, articles: &[Article]) -> Result<()> {
        self.rebuild_with(|add| add(articles))
    }

    /// Replaces the whole content with the articles `fill` hands to `add`,
    /// chunk by chunk, in one commit: searchers see the old content until
    /// the new one is complete.
    pub fn rebuild_with<T>(
        &self,
        fill: impl FnOnce(&mut dyn FnMut(&[Article]) -> Result<()>) -> Result<T>,
    ) -> Result<T> {
        self.write(|writer| {
            writer.delete_all_documents()?;
            let mut vectors = std::collections::HashMap::new();
            let out = fill(&mut |articles| {
                for article in articles {
                    writer.add_document(document::to_document(&self.fields, article))?;
                }
                if let Some(semantic) = &self.semantic {
                    vectors.extend(semantic.embed(articles));
                }
                Ok(())
            })?;
            writer.commit()?;
            if let Some(semantic) = &self.semantic {
                semantic.replace_all(vectors);
            }
            // One segment per indexing thread is left; searching one costs
            // one dictionary walk per term (and per typo automaton), not one
            // per segment.
            let segments = self.index.searchable_segment_ids()?;
            if segments.len() > 1 {
                writer.merge(&segments).wait()?;
            }
            Ok(out)
        })
    }

    /// Upserts `articles` (by path) and removes the files at `removed`, in one
    /// commit.
    pub fn apply(&self, articles: &[Article], removed: &[String]) -> Result<()> {
        self.write(|writer| {
            for path in removed {
                writer.delete_term(Term::from_field_text(self.fields.path, path));
            }
            for article in articles {
                writer.delete_term(Term::from_field_text(self.fields.path, &article.path));
                writer.add_document(document::to_document(&self.fields, article))?;
            }
            // Embedded before the commit and applied before `write` reloads
            // the reader (the reload policy is manual), so a searcher that
            // sees the new text finds its vectors too.
            let vectors = self.semantic.as_ref().map(|s| s.embed(articles));
            writer.commit()?;
            if let (Some(semantic), Some(vectors)) = (&self.semantic, vectors) {
                semantic.apply(vectors, removed);
            }
            Ok(())
        })
    }
}

/// Index folders of other schema versions are dead weight once this one exists.
fn remove_other_versions(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_version = name
            .strip_prefix('v')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if is_version && name != format!("v{SCHEMA_VERSION}") {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
