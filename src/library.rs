//! The library: the live help center's content, kept in step with
//! `articles/`. It owns the search index and the catalog of which file serves
//! which slug, and is the one place that turns file changes into index
//! updates — a full rebuild, the start-up sync of what changed while deflect
//! was off, or the paths the watcher reports. A file that fails to parse is
//! recorded as a problem and its last good version stays in the index.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::articles::load::{is_article_file, list_files, Catalog};
use crate::articles::{
    hash_hex, load_dir_chunked, Article, ParseError, ParseErrorKind, ParseOptions,
};
use crate::error::{Error, Result};
use crate::index::vectors::Semantic;
use crate::index::{Opened, SearchIndex, SynonymError, Synonyms};

/// What an indexing run did.
#[derive(Debug, Default)]
pub struct IndexReport {
    /// Articles written to the index.
    pub indexed: usize,
    /// Files removed from the index.
    pub removed: usize,
    /// Files skipped because they cannot be served.
    pub errors: Vec<ParseError>,
    /// Problems in served articles (broken links).
    pub warnings: Vec<ParseError>,
}

/// The help center's articles and their index.
pub struct Library {
    /// The articles folder as configured: error messages name files below it.
    root: PathBuf,
    /// Its canonical form: what file events are matched against.
    canonical: PathBuf,
    index: SearchIndex,
    catalog: RwLock<Catalog>,
    problems: RwLock<BTreeMap<String, ParseError>>,
}

impl Library {
    /// Opens the index in `index_dir` for the articles in `root`, rebuilding
    /// it when it is missing, unreadable or of another schema version, and
    /// otherwise bringing it up to date with the files.
    pub fn open(
        root: &Path,
        index_dir: &Path,
        default_locale: &str,
    ) -> Result<(Library, IndexReport)> {
        Library::open_with(root, index_dir, default_locale, None)
    }

    /// [`Library::open`], searching by meaning too when `model` is given.
    /// With a model the index is always rebuilt at start, so that every
    /// article has its vectors; the embedding cache makes that cheap after
    /// the first time.
    pub fn open_with(
        root: &Path,
        index_dir: &Path,
        default_locale: &str,
        model: Option<Arc<crate::semantic::Model>>,
    ) -> Result<(Library, IndexReport)> {
        if !root.is_dir() {
            return Err(Error::Io {
                path: format!("articles folder {}", root.display()),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "not found — create it or pass --articles DIR",
                ),
            });
        }
        let (mut index, mut opened) = SearchIndex::open(index_dir, default_locale)?;
        if let Some(model) = model {
            index = index.with_semantic(Semantic::new(model, Some(index_dir)));
            opened = Opened::Created;
        }
        let library = Library::with_index(root.to_path_buf(), index);
        let report = match opened {
            Opened::Created => library.rebuild(&|_, _| {})?,
            Opened::Existing => library.sync_all()?,
        };
        Ok((library, report))
    }

    /// A library over an existing index (tests use an in-memory one).
    pub fn with_index(root: PathBuf, index: SearchIndex) -> Library {
        let catalog = Catalog::new(index.default_locale());
        let canonical = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
        Library {
            root,
            canonical,
            index,
            catalog: RwLock::new(catalog),
            problems: RwLock::new(BTreeMap::new()),
        }
    }

    /// The articles folder, as configured.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The articles folder's canonical path (what the watcher watches).
    pub fn canonical_root(&self) -> &Path {
        &self.canonical
    }

    /// The search index.
    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Files that currently fail to parse, by path.
    pub fn problems(&self) -> Vec<ParseError> {
        read(&self.problems).values().cloned().collect()
    }

    /// Re-reads every file and replaces the index content, calling
    /// `progress(done, total)` as files are parsed.
    pub fn rebuild(&self, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<IndexReport> {
        let mut catalog = Catalog::new(self.index.default_locale());
        let mut indexed = 0;
        // Chunk by chunk: a large folder never sits in memory whole.
        let loaded = self.index.rebuild_with(|add| {
            load_dir_chunked(
                &self.root,
                self.index.default_locale(),
                progress,
                &mut |chunk| {
                    indexed += chunk.len();
                    for a in &chunk {
                        catalog.insert(&a.path, &a.slug, &a.locale);
                    }
                    add(&chunk)
                },
            )
        })?;
        *write(&self.catalog) = catalog;
        self.set_problems(&loaded.errors);
        Ok(IndexReport {
            indexed,
            removed: 0,
            errors: loaded.errors,
            warnings: loaded.warnings,
        })
    }

    /// Brings the index up to date with every file: new and changed files are
    /// indexed, files gone from disk are removed.
    pub fn sync_all(&self) -> Result<IndexReport> {
        let indexed = self.index.indexed_files()?;
        {
            let mut catalog = write(&self.catalog);
            for (path, (_, slug, locale)) in &indexed {
                catalog.insert(path, slug, locale);
            }
        }
        let mut paths: BTreeSet<String> = list_files(&self.root).into_iter().collect();
        paths.extend(indexed.into_keys());
        self.apply_paths(&paths.into_iter().collect::<Vec<_>>())
    }

    /// Re-reads the files at `paths` (relative to the articles folder): each
    /// one that exists is parsed and upserted unless its content is already
    /// indexed; each one that is gone is removed.
    pub fn apply_paths(&self, paths: &[String]) -> Result<IndexReport> {
        let mut report = IndexReport::default();
        let mut upserts: Vec<Article> = Vec::new();
        let mut removed = Vec::new();
        let mut fixed = Vec::new();
        let mut failed = Vec::new();
        {
            let catalog = read(&self.catalog);
            let opts = ParseOptions {
                default_locale: self.index.default_locale(),
                resolver: &*catalog,
            };
            for path in paths {
                let full = self.root.join(path);
                // Hidden files and folders are never articles (the folder walk
                // skips them too).
                if !is_article_file(path) || path.split('/').any(|seg| seg.starts_with('.')) {
                    continue;
                }
                let bytes = match std::fs::read(&full) {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        removed.push(path.clone());
                        continue;
                    }
                    Err(e) => {
                        failed.push(ParseError {
                            path: full.display().to_string(),
                            line: 1,
                            kind: ParseErrorKind::Io(e.to_string()),
                        });
                        continue;
                    }
                };
                // Only the files named are looked up: reading every stored
                // document here would cost each watcher batch the whole index.
                if self.index.indexed_hash(path)? == Some(hash_hex(&bytes)) {
                    fixed.push(path.clone());
                    continue;
                }
                match Article::from_file(&self.root, path, &opts) {
                    Ok(article) => match catalog.path_of(&article.slug, &article.locale) {
                        Some(owner) if owner != path && self.root.join(owner).exists() => {
                            failed.push(ParseError {
                                path: full.display().to_string(),
                                line: 1,
                                kind: ParseErrorKind::DuplicateSlug {
                                    slug: article.slug.clone(),
                                    first: self.root.join(owner).display().to_string(),
                                },
                            });
                        }
                        _ => {
                            fixed.push(path.clone());
                            upserts.push(article);
                        }
                    },
                    Err(e) => failed.push(e),
                }
            }
        }
        if !upserts.is_empty() || !removed.is_empty() {
            self.index.apply(&upserts, &removed)?;
        }
        {
            let mut catalog = write(&self.catalog);
            for path in &removed {
                catalog.remove(path);
            }
            for a in &upserts {
                catalog.insert(&a.path, &a.slug, &a.locale);
            }
        }
        {
            let mut problems = write(&self.problems);
            for path in removed.iter().chain(&fixed) {
                problems.remove(path);
            }
            for e in &failed {
                tracing::warn!("{e} (the last good version stays served)");
                let rel = Path::new(&e.path)
                    .strip_prefix(&self.root)
                    .map(|p| p.to_string_lossy().replace('\\', "/"));
                problems.insert(rel.unwrap_or_else(|_| e.path.clone()), e.clone());
            }
        }
        report.indexed = upserts.len();
        report.removed = removed.len();
        report.errors = failed;
        Ok(report)
    }

    /// Loads the synonyms file at `path` into the search (none when the file
    /// does not exist). On error the synonyms in use stay.
    pub fn load_synonyms(&self, path: &Path) -> std::result::Result<usize, Vec<SynonymError>> {
        let synonyms = if path.exists() {
            Synonyms::from_file(path)?
        } else {
            Synonyms::default()
        };
        let n = synonyms.len();
        self.index.set_synonyms(synonyms);
        Ok(n)
    }

    /// The path under the articles folder of an absolute `path` inside it.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let rel = path
            .strip_prefix(&self.canonical)
            .or_else(|_| path.strip_prefix(&self.root))
            .ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    fn set_problems(&self, errors: &[ParseError]) {
        let mut problems = write(&self.problems);
        problems.clear();
        for e in errors {
            let rel = Path::new(&e.path)
                .strip_prefix(&self.root)
                .map(|p| p.to_string_lossy().replace('\\', "/"));
            problems.insert(rel.unwrap_or_else(|_| e.path.clone()), e.clone());
        }
    }
}

// A panic while a lock was held leaves maps that are still whole (every
// update replaces entries), so serving goes on rather than failing forever.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}
