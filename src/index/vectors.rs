//! Passage vectors beside the tantivy index, when a sentence model is
//! configured: each article is embedded as passages (its title alone, then
//! section by section, each prefixed with the title and heading so a section
//! knows what it is about), and searched by meaning next to the words.
//!
//! Like the index, the vectors are derived from `articles/`: rebuilt with it
//! and replaced article by article on every upsert. Embedding is the slow
//! part, so every passage vector is also kept in a persistent cache,
//! `index/embeddings/<model fingerprint>.bin`, keyed by the SHA-256 of the
//! passage's text: a restart, a schema rebuild or an edit to one section
//! re-embeds only passages whose text is new. The cache is an append-only
//! file of fixed-size records (a torn last record from a crash is ignored);
//! a full rebuild rewrites it with only the live passages.
//!
//! Which vectors a search may return is not decided here: the searcher maps
//! each article path to its document and asks the same visibility bitmap
//! as the lexical search, so drafts and internal articles never leak
//! through vectors.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use sha2::{Digest, Sha256};

use crate::articles::Article;
use crate::semantic::{dot, Model};

/// Passages embedded per article at most: a reference page with sixty
/// parameter sections is found by its title and first sections; the rest
/// would cost embedding time and memory for little recall.
const MAX_PASSAGES: usize = 24;
/// Bytes of one passage given to the tokenizer; a MiniLM-class model reads
/// 256 tokens (about 1,000 characters of English) at most, so more is
/// wasted work.
const PASSAGE_BYTES: usize = 1_200;
/// Query embeddings kept for repeated queries.
const QUERY_CACHE: usize = 4_096;

/// One embedded passage of an article. `start..end` is its part of the
/// article's plain text (what snippets are cut from); the title passage
/// has an empty range.
pub struct PassageVector {
    pub start: usize,
    pub end: usize,
    pub vector: Arc<[f32]>,
}

/// The passages of one article.
pub struct ArticleVectors {
    pub category: String,
    pub locale: String,
    pub passages: Vec<PassageVector>,
    /// The normalised mean of the passages: what the article as a whole is
    /// about, for "related articles" and near-duplicates.
    pub centroid: Vec<f32>,
}

/// The model, the vectors of every indexed article and the embedding cache.
pub struct Semantic {
    model: Arc<Model>,
    store: Mutex<EmbeddingStore>,
    articles: RwLock<HashMap<String, Arc<ArticleVectors>>>,
    queries: Mutex<lru::LruCache<String, Arc<[f32]>>>,
    /// Passages the model has embedded (cache misses) since start.
    embedded: std::sync::atomic::AtomicUsize,
}

impl Semantic {
    /// Vectors for `model`, with the embedding cache under `index_dir`
    /// (none when `index_dir` is `None`, as for an in-memory index).
    pub fn new(model: Arc<Model>, index_dir: Option<&Path>) -> Semantic {
        let store = EmbeddingStore::open(index_dir, model.fingerprint(), model.dim());
        Semantic {
            model,
            store: Mutex::new(store),
            articles: RwLock::new(HashMap::new()),
            queries: Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(QUERY_CACHE).expect("non-zero"),
            )),
            embedded: Default::default(),
        }
    }

    /// The model behind the vectors.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// Passages the model has embedded since start (the cache had no
    /// vector for their text).
    pub fn embedded(&self) -> usize {
        self.embedded.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Passages in the embedding cache.
    pub fn cached(&self) -> usize {
        lock(&self.store).map.len()
    }

    /// The embedding of a query, from the cache of recent queries or the model.
    pub fn query(&self, q: &str) -> Arc<[f32]> {
        let key = q.trim().to_string();
        if let Some(v) = lock(&self.queries).get(&key) {
            return Arc::clone(v);
        }
        let v: Arc<[f32]> = self.model.embed(&key).into();
        lock(&self.queries).put(key, Arc::clone(&v));
        v
    }

    /// The vectors of `articles`, embedding only passages the cache lacks.
    pub fn embed(&self, articles: &[Article]) -> Vec<(String, Arc<ArticleVectors>)> {
        let split: Vec<Vec<Passage>> = articles.iter().map(passages).collect();
        let mut missing: Vec<(&[u8; 32], &str)> = Vec::new();
        {
            let store = lock(&self.store);
            let mut seen = HashSet::new();
            for p in split.iter().flatten() {
                if !store.map.contains_key(&p.key) && seen.insert(p.key) {
                    missing.push((&p.key, &p.text));
                }
            }
        }
        if !missing.is_empty() {
            let texts: Vec<&str> = missing.iter().map(|(_, t)| *t).collect();
            let vectors = self.model.embed_batch(&texts);
            self.embedded
                .fetch_add(texts.len(), std::sync::atomic::Ordering::Relaxed);
            let new: Vec<([u8; 32], Arc<[f32]>)> = missing
                .iter()
                .zip(vectors)
                .map(|((k, _), v)| (**k, v.into()))
                .collect();
            lock(&self.store).insert(new);
        }
        let store = lock(&self.store);
        articles
            .iter()
            .zip(split)
            .map(|(a, ps)| {
                let passages: Vec<PassageVector> = ps
                    .into_iter()
                    .filter_map(|p| {
                        let vector = Arc::clone(store.map.get(&p.key)?);
                        Some(PassageVector {
                            start: p.start,
                            end: p.end,
                            vector,
                        })
                    })
                    .collect();
                let centroid = centroid(&passages, self.model.dim());
                let v = ArticleVectors {
                    category: a.category.clone(),
                    locale: a.locale.clone(),
                    passages,
                    centroid,
                };
                (a.path.clone(), Arc::new(v))
            })
            .collect()
    }

    /// Replaces every article's vectors, and drops cached passages no
    /// article uses any more.
    pub fn replace_all(&self, all: HashMap<String, Arc<ArticleVectors>>) {
        let live: HashSet<*const f32> = all
            .values()
            .flat_map(|a| a.passages.iter().map(|p| p.vector.as_ptr()))
            .collect();
        lock(&self.store).retain(|v| live.contains(&v.as_ptr()));
        *self.articles.write().unwrap_or_else(|e| e.into_inner()) = all;
    }

    /// Upserts and removes articles' vectors, by path.
    pub fn apply(&self, upserts: Vec<(String, Arc<ArticleVectors>)>, removed: &[String]) {
        let mut articles = self.articles.write().unwrap_or_else(|e| e.into_inner());
        for path in removed {
            articles.remove(path);
        }
        articles.extend(upserts);
    }

    /// Calls `f` with each article's path and vectors.
    pub fn for_each(&self, mut f: impl FnMut(&str, &Arc<ArticleVectors>)) {
        let articles = self.articles.read().unwrap_or_else(|e| e.into_inner());
        for (path, v) in articles.iter() {
            f(path, v);
        }
    }

    /// The vectors of one article.
    pub fn get(&self, path: &str) -> Option<Arc<ArticleVectors>> {
        let articles = self.articles.read().unwrap_or_else(|e| e.into_inner());
        articles.get(path).cloned()
    }
}

/// The normalised mean of passage vectors.
fn centroid(passages: &[PassageVector], dim: usize) -> Vec<f32> {
    let mut sum = vec![0.0f32; dim];
    for p in passages {
        sum.iter_mut()
            .zip(p.vector.iter())
            .for_each(|(s, v)| *s += v);
    }
    let norm = dot(&sum, &sum).sqrt();
    if norm > 0.0 {
        sum.iter_mut().for_each(|s| *s /= norm);
    }
    sum
}

/// One passage to embed: its text (with title and heading), its range in
/// the article text, and its cache key.
struct Passage {
    text: String,
    start: usize,
    end: usize,
    key: [u8; 32],
}

/// An article's passages: the title alone (a customer's question is most
/// like an article's title), then the introduction and each section, each
/// led by the title and its heading.
fn passages(a: &Article) -> Vec<Passage> {
    let text = &a.rendered.text;
    let mut out = vec![passage(a.title.clone(), 0, 0)];
    // Section boundaries: each heading's text where it appears in the plain
    // text, in order (a heading not found merges into the section before).
    let mut bounds: Vec<(usize, usize, &str)> = Vec::new(); // (heading start, body start, heading)
    let mut cursor = 0;
    for h in &a.rendered.headings {
        if h.text.is_empty() {
            continue;
        }
        if let Some(at) = heading_line(text, cursor, &h.text) {
            bounds.push((at, at + h.text.len(), h.text.as_str()));
            cursor = at + h.text.len();
        }
    }
    let intro_end = bounds.first().map_or(text.len(), |b| b.0);
    let mut sections = vec![(0, intro_end, None)];
    for (n, &(_, body, heading)) in bounds.iter().enumerate() {
        let end = bounds.get(n + 1).map_or(text.len(), |b| b.0);
        sections.push((body, end, Some(heading)));
    }
    for (start, end, heading) in sections {
        let body = text[start..end].trim();
        if body.is_empty() || out.len() >= MAX_PASSAGES {
            continue;
        }
        let lead = match heading {
            Some(h) => format!("{}: {h}. ", a.title),
            None => format!("{}. ", a.title),
        };
        let mut t = lead;
        t.push_str(&clip(
            &body.split_whitespace().collect::<Vec<_>>().join(" "),
            PASSAGE_BYTES,
        ));
        out.push(passage(t, start, end));
    }
    out
}

/// Where `heading` stands on a line of its own in `text` at or after
/// `from` (the plain text puts every heading on its own line; the same
/// words inside a sentence are not the heading).
fn heading_line(text: &str, from: usize, heading: &str) -> Option<usize> {
    let mut cursor = from;
    while let Some(i) = text.get(cursor..)?.find(heading) {
        let at = cursor + i;
        let end = at + heading.len();
        let line_start = at == 0 || text[..at].ends_with('\n');
        let line_end = end == text.len() || text[end..].starts_with('\n');
        if line_start && line_end {
            return Some(at);
        }
        cursor = end;
    }
    None
}

fn passage(text: String, start: usize, end: usize) -> Passage {
    let key = Sha256::digest(text.as_bytes()).into();
    Passage {
        text,
        start,
        end,
        key,
    }
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn clip(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The persistent passage-embedding cache of one model.
struct EmbeddingStore {
    path: Option<PathBuf>,
    dim: usize,
    map: HashMap<[u8; 32], Arc<[f32]>>,
}

/// Marks the file format, so an old or foreign file is ignored.
const MAGIC: &[u8; 8] = b"DFLEMB01";

impl EmbeddingStore {
    fn open(index_dir: Option<&Path>, fingerprint: &str, dim: usize) -> EmbeddingStore {
        let path = index_dir.map(|d| d.join("embeddings").join(format!("{fingerprint}.bin")));
        let mut store = EmbeddingStore {
            path,
            dim,
            map: HashMap::new(),
        };
        let Some(path) = store.path.clone() else {
            return store;
        };
        if let Some(dir) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "no embedding cache: every start re-embeds");
                store.path = None;
                return store;
            }
            // Caches of other models are never read again.
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if entry.path() != path {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let mut bytes = Vec::new();
        let read = std::fs::File::open(&path).and_then(|mut f| f.read_to_end(&mut bytes));
        if read.is_ok() && bytes.starts_with(MAGIC) {
            let record = 32 + 4 * dim;
            let body = &bytes[MAGIC.len()..];
            for r in body.chunks_exact(record) {
                let key: [u8; 32] = r[..32].try_into().expect("32 bytes");
                let v: Vec<f32> = r[32..]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                store.map.insert(key, v.into());
            }
            // A torn last record (a crash mid-append) is dropped, and the
            // file rewritten whole, so later appends stay aligned.
            if body.len() % record != 0 {
                store.rewrite();
            }
        } else {
            store.rewrite();
        }
        tracing::info!(passages = store.map.len(), "embedding cache loaded");
        store
    }

    fn record(key: &[u8; 32], v: &[f32], out: &mut Vec<u8>) {
        out.extend_from_slice(key);
        for x in v {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }

    /// Adds vectors and appends them to the file.
    fn insert(&mut self, new: Vec<([u8; 32], Arc<[f32]>)>) {
        let mut bytes = Vec::with_capacity(new.len() * (32 + 4 * self.dim));
        for (k, v) in &new {
            Self::record(k, v, &mut bytes);
        }
        if let Some(path) = &self.path {
            let appended = std::fs::OpenOptions::new()
                .append(true)
                .open(path)
                .and_then(|mut f| f.write_all(&bytes));
            if let Err(e) = appended {
                tracing::warn!(file = %path.display(), error = %e, "embedding cache not written");
            }
        }
        self.map.extend(new);
    }

    /// Keeps only the vectors `keep` accepts, in memory and on disk.
    fn retain(&mut self, keep: impl Fn(&Arc<[f32]>) -> bool) {
        let before = self.map.len();
        self.map.retain(|_, v| keep(v));
        if self.map.len() != before {
            self.rewrite();
        }
    }

    /// Writes the whole map as a new file, replacing the old one at once.
    fn rewrite(&mut self) {
        let Some(path) = &self.path else {
            return;
        };
        let mut bytes = MAGIC.to_vec();
        for (k, v) in &self.map {
            Self::record(k, v, &mut bytes);
        }
        if let Err(e) = crate::atomic_file::write(path, |w| w.write_all(&bytes)) {
            tracing::warn!(file = %path.display(), error = %e, "embedding cache not written");
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every article's passages laid out for one search to scan: a query is
/// compared with tens of thousands of passages, and reading scattered f32
/// vectors (1.5 KB each, 90 MB for both sample corpora) made the scan
/// memory-bound at 15 ms. Here each passage is one row of a contiguous
/// matrix of `i8` (a quarter of the bytes) with its own scale, which moves
/// cosines by about 0.003 at most — less than any ranking decision cares
/// about. Built per index generation, on the first search that needs it
/// (searches run one per core, so at most that many builds race).
pub struct Dense<Doc> {
    pub articles: Vec<DenseArticle<Doc>>,
    rows: Vec<i8>,
    scales: Vec<f32>,
    dim: usize,
}

/// One article in a [`Dense`] view: its document, category, and its rows
/// (the first is the title) with their text ranges.
pub struct DenseArticle<Doc> {
    pub doc: Doc,
    pub category: Arc<str>,
    first: usize,
    pub ranges: Vec<(usize, usize)>,
}

impl<Doc> Dense<Doc> {
    /// The view of the articles `doc_of` maps to a document (the others
    /// are not searchable in this generation).
    pub fn build(semantic: &Semantic, mut doc_of: impl FnMut(&str) -> Option<Doc>) -> Dense<Doc> {
        let dim = semantic.model.dim();
        let mut dense = Dense {
            articles: Vec::new(),
            rows: Vec::new(),
            scales: Vec::new(),
            dim,
        };
        let mut categories: HashMap<String, Arc<str>> = HashMap::new();
        semantic.for_each(|path, vectors| {
            let Some(doc) = doc_of(path) else {
                return;
            };
            let category = categories
                .entry(vectors.category.clone())
                .or_insert_with(|| Arc::from(vectors.category.as_str()))
                .clone();
            let first = dense.scales.len();
            for p in &vectors.passages {
                let max = p.vector.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
                dense.scales.push(scale);
                dense
                    .rows
                    .extend(p.vector.iter().map(|v| (v / scale).round() as i8));
            }
            let ranges = vectors.passages.iter().map(|p| (p.start, p.end)).collect();
            dense.articles.push(DenseArticle {
                doc,
                category,
                first,
                ranges,
            });
        });
        dense
    }

    /// How close `query` is to the article's title (its first row) and to
    /// its closest other passage (its index and cosine).
    pub fn closeness(&self, query: &[f32], a: &DenseArticle<Doc>) -> (f32, Option<(usize, f32)>) {
        let cos = |i: usize| {
            let row = &self.rows[(a.first + i) * self.dim..(a.first + i + 1) * self.dim];
            crate::semantic::dot_i8(query, row) * self.scales[a.first + i]
        };
        let title = if a.ranges.is_empty() { 0.0 } else { cos(0) };
        let body = (1..a.ranges.len())
            .map(|i| (i, cos(i)))
            .max_by(|x, y| x.1.total_cmp(&y.1));
        (title, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heading_is_found_on_its_own_line_not_inside_a_sentence() {
        let text = "See Refunds below.\nRefunds\nMoney back.\n";
        assert_eq!(heading_line(text, 0, "Refunds"), Some(19));
        assert_eq!(heading_line("Refunds\nx", 0, "Refunds"), Some(0));
        assert_eq!(heading_line("no such line", 0, "Refunds"), None);
    }

    #[test]
    fn a_torn_last_record_is_dropped_and_later_appends_stay_readable() {
        let dir = tempfile::tempdir().unwrap();
        let vector = |x: f32| -> Arc<[f32]> { vec![x; 4].into() };
        let mut store = EmbeddingStore::open(Some(dir.path()), "m", 4);
        store.insert(vec![([1; 32], vector(1.0)), ([2; 32], vector(2.0))]);
        let file = dir.path().join("embeddings").join("m.bin");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        f.write_all(&[9; 5]).unwrap(); // a crash mid-append
        drop(f);

        let mut store = EmbeddingStore::open(Some(dir.path()), "m", 4);
        assert_eq!(store.map.len(), 2);
        store.insert(vec![([3; 32], vector(3.0))]);
        let store = EmbeddingStore::open(Some(dir.path()), "m", 4);
        assert_eq!(store.map.len(), 3);
        assert_eq!(&*store.map[&[3; 32]], &[3.0; 4]);
    }
}
