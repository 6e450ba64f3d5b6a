//! The search index: a tantivy index in `index/v{SCHEMA_VERSION}/`, derived
//! from `articles/` and disposable. [`SearchIndex`] owns the one writer (behind
//! a mutex, so upserts from the watcher and full rebuilds never interleave) and
//! one long-lived reader, reloaded after each commit; every search takes a
//! fresh searcher from it. It is also the serving store: pages and the API read
//! stored fields from it, so the last good version of an article is served
//! until a fixed file replaces it.

pub mod cache;
mod document;
mod query;
pub mod schema;
mod search;
mod suggest;
pub mod synonyms;
pub mod typo;
pub mod visible;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

pub use document::{ArticleRecord, ArticleSummary};
pub use query::{Audience, FacetCount, Hit, SearchRequest, SearchResults};
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
    /// What each audience may see, built once per searcher generation
    /// instead of walked on every uncached search.
    visible: cache::GenerationMap<Audience, visible::Visible>,
}

/// A live article as the agent dashboard sees it.
#[derive(Debug, Clone)]
pub struct LiveArticle {
    pub summary: ArticleSummary,
    /// The `author` front-matter key: who owns the article.
    pub owner: Option<String>,
    /// The `review_every` key, when set.
    pub review_every: Option<String>,
    pub content_hash: String,
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
        let (index, opened) = match Index::open_in_dir(&versioned) {
            Ok(index) if index.schema() == schema => (index, Opened::Existing),
            existing => {
                if let Err(e) = &existing {
                    tracing::warn!(dir = %versioned.display(), error = %e, "index unreadable; rebuilding it");
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
            visible: cache::GenerationMap::new(2),
        })
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
            let out = fill(&mut |articles| {
                for article in articles {
                    writer.add_document(document::to_document(&self.fields, article))?;
                }
                Ok(())
            })?;
            writer.commit()?;
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
            writer.commit()?;
            Ok(())
        })
    }

    /// Number of indexed articles, of every status and visibility.
    pub fn len(&self) -> u64 {
        self.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The content hash of the file indexed from `path`, if any.
    pub fn indexed_hash(&self, path: &str) -> Result<Option<String>> {
        let query = TermQuery::new(
            Term::from_field_text(self.fields.path, path),
            IndexRecordOption::Basic,
        );
        let searcher = self.searcher();
        let Some((_, addr)) = searcher
            .search(&query, &TopDocs::with_limit(1))?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(addr)?;
        Ok(doc
            .get_first(self.fields.hash)
            .and_then(|v| v.as_str())
            .map(String::from))
    }

    /// Path → (content hash, slug, locale) of every indexed file: what start-up
    /// compares with `articles/` to find what changed while deflect was off.
    pub fn indexed_files(&self) -> Result<HashMap<String, (String, String, String)>> {
        let searcher = self.searcher();
        let n = searcher.num_docs() as usize;
        let mut out = HashMap::with_capacity(n);
        for (_, addr) in searcher.search(&AllQuery, &TopDocs::with_limit(n.max(1)))? {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let get = |f| {
                doc.get_first(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            out.insert(
                get(self.fields.path),
                (
                    get(self.fields.hash),
                    get(self.fields.slug),
                    get(self.fields.locale),
                ),
            );
        }
        Ok(out)
    }

    /// The article stored under `slug` in `locale`, if `audience` may read it.
    pub fn get(
        &self,
        slug: &str,
        locale: &str,
        audience: Audience,
    ) -> Result<Option<ArticleRecord>> {
        let key = Term::from_field_text(self.fields.key, &document::key(locale, slug));
        let query = self.filtered(
            Box::new(TermQuery::new(key, IndexRecordOption::Basic)),
            None,
            audience,
        );
        let searcher = self.searcher();
        let Some((_, addr)) = searcher
            .search(&query, &TopDocs::with_limit(1))?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(addr)?;
        Ok(Some(document::to_record(
            &self.fields,
            &doc,
            &self.default_locale,
        )))
    }

    /// Live articles of `locale` (optionally of one category), by title.
    pub fn list(
        &self,
        locale: &str,
        category: Option<&str>,
        audience: Audience,
    ) -> Result<Vec<ArticleSummary>> {
        let query = self.filtered(Box::new(self.locale_query(locale)), category, audience);
        let limit = self.searcher().num_docs().max(1) as usize;
        let mut out = self.summaries(&query, &TopDocs::with_limit(limit))?;
        out.sort_by(|a, b| {
            a.title
                .to_lowercase()
                .cmp(&b.title.to_lowercase())
                .then_with(|| a.slug.cmp(&b.slug))
        });
        Ok(out)
    }

    /// The `n` most recently updated live articles of `locale`.
    pub fn recent(
        &self,
        locale: &str,
        n: usize,
        audience: Audience,
    ) -> Result<Vec<ArticleSummary>> {
        let query = self.filtered(Box::new(self.locale_query(locale)), None, audience);
        let top = TopDocs::with_limit(n.max(1))
            .order_by_fast_field::<tantivy::DateTime>("updated", tantivy::Order::Desc);
        self.summaries(&query, &top)
    }

    /// The summaries of the documents `collector` picks for `query`.
    fn summaries<S>(
        &self,
        query: &dyn Query,
        collector: &impl tantivy::collector::Collector<Fruit = Vec<(S, tantivy::DocAddress)>>,
    ) -> Result<Vec<ArticleSummary>> {
        let searcher = self.searcher();
        let mut out = Vec::new();
        for (_, addr) in searcher.search(query, collector)? {
            let doc: TantivyDocument = searcher.doc(addr)?;
            out.push(document::to_summary(
                &self.fields,
                &doc,
                &self.default_locale,
            ));
        }
        Ok(out)
    }

    /// Live articles per category in `locale`, by category id.
    pub fn categories(&self, locale: &str, audience: Audience) -> Result<Vec<FacetCount>> {
        let query = self.filtered(Box::new(self.locale_query(locale)), None, audience);
        search::facet_counts(&self.searcher(), &query)
    }

    /// Up to `n` live articles that share the category or tags of `article`.
    pub fn related(
        &self,
        article: &ArticleRecord,
        n: usize,
        audience: Audience,
    ) -> Result<Vec<ArticleSummary>> {
        let mut should: Vec<(Occur, Box<dyn Query>)> = article
            .tags
            .iter()
            .map(|t| -> (Occur, Box<dyn Query>) {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.tags, t),
                        IndexRecordOption::Basic,
                    )),
                )
            })
            .collect();
        should.push((
            Occur::Should,
            Box::new(tantivy::query::BoostQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.category, &article.category),
                    IndexRecordOption::Basic,
                )),
                0.5,
            )),
        ));
        let inner = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(BooleanQuery::new(should)) as Box<dyn Query>,
            ),
            (Occur::Must, Box::new(self.locale_query(&article.locale))),
            (
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(
                        self.fields.key,
                        &document::key(&article.locale, &article.slug),
                    ),
                    IndexRecordOption::Basic,
                )),
            ),
        ]);
        let query = self.filtered(Box::new(inner), None, audience);
        self.summaries(&query, &TopDocs::with_limit(n.max(1)))
    }

    /// Other-language versions of `article` (same `translation_of` group).
    pub fn translations(
        &self,
        article: &ArticleRecord,
        audience: Audience,
    ) -> Result<Vec<ArticleSummary>> {
        let group = TermQuery::new(
            Term::from_field_text(self.fields.group, &article.group),
            IndexRecordOption::Basic,
        );
        let query = self.filtered(Box::new(group), None, audience);
        let mut out = self.summaries(&query, &TopDocs::with_limit(64))?;
        out.retain(|s| s.locale != article.locale);
        out.sort_by(|a, b| a.locale.cmp(&b.locale));
        Ok(out)
    }

    /// Every published article (internal ones included) with what the agent
    /// dashboard needs: owner, review interval, content hash.
    pub fn live_articles(&self) -> Result<Vec<LiveArticle>> {
        let query = self.filtered(Box::new(AllQuery), None, Audience::Agent);
        let searcher = self.searcher();
        let limit = searcher.num_docs().max(1) as usize;
        let mut out = Vec::new();
        for (_, addr) in searcher.search(&query, &TopDocs::with_limit(limit))? {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let summary = document::to_summary(&self.fields, &doc, &self.default_locale);
            let text = |f| {
                doc.get_first(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let meta: serde_json::Value =
                serde_json::from_str(&text(self.fields.meta)).unwrap_or_default();
            out.push(LiveArticle {
                owner: meta
                    .get("author")
                    .and_then(|a| a.as_str())
                    .map(String::from),
                review_every: meta
                    .get("review_every")
                    .and_then(|a| a.as_str())
                    .map(String::from),
                content_hash: text(self.fields.hash),
                summary,
            });
        }
        out.sort_by(|a, b| a.summary.title.cmp(&b.summary.title));
        Ok(out)
    }

    /// Locales that have at least one published public article: a locale
    /// holding only drafts, archived or internal articles is not offered to
    /// visitors (that would tell them such articles exist).
    pub fn locales(&self) -> Result<Vec<String>> {
        let mut all = std::collections::BTreeSet::new();
        for segment in self.searcher().segment_readers() {
            let inverted = segment.inverted_index(self.fields.locale)?;
            let mut stream = inverted.terms().stream()?;
            while stream.advance() {
                if let Ok(locale) = std::str::from_utf8(stream.key()) {
                    all.insert(locale.to_string());
                }
            }
        }
        let mut out = Vec::with_capacity(all.len());
        for locale in all {
            if self.count(&locale, Audience::Public)? > 0 {
                out.push(locale);
            }
        }
        Ok(out)
    }

    /// Count of live articles visible to `audience` in `locale`.
    pub fn count(&self, locale: &str, audience: Audience) -> Result<usize> {
        let query = self.filtered(Box::new(self.locale_query(locale)), None, audience);
        Ok(self.searcher().search(&query, &Count)?)
    }

    fn locale_query(&self, locale: &str) -> TermQuery {
        TermQuery::new(
            Term::from_field_text(self.fields.locale, locale),
            IndexRecordOption::Basic,
        )
    }

    /// `query` restricted to published articles that `audience` may read (and
    /// to `category`), with the filters adding nothing to the score.
    fn filtered(
        &self,
        query: Box<dyn Query>,
        category: Option<&str>,
        audience: Audience,
    ) -> BooleanQuery {
        let term = |field, text: &str| -> Box<dyn Query> {
            Box::new(tantivy::query::ConstScoreQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(field, text),
                    IndexRecordOption::Basic,
                )),
                0.0,
            ))
        };
        let mut clauses = vec![
            (Occur::Must, query),
            (Occur::Must, term(self.fields.status, "published")),
        ];
        if audience == Audience::Public {
            clauses.push((Occur::Must, term(self.fields.visibility, "public")));
        }
        if let Some(c) = category {
            clauses.push((Occur::Must, term(self.fields.category, c)));
        }
        BooleanQuery::new(clauses)
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
