//! Recent search results, so a question asked again is answered without
//! searching again: help-center traffic repeats itself ("reset password",
//! "refund"), and under a burst the cache is what keeps latency flat. Bounded
//! by an estimate of the bytes held, least recently used out first. Emptied
//! whenever what a search sees changes (a commit, new synonyms); a result
//! computed before such a change is never stored after it. Also the
//! summaries (title, URL, category) of documents listed recently.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use tantivy::{DocAddress, Searcher};

use super::document::ArticleSummary;
use super::query::{Audience, SearchRequest, SearchResults};

/// Default bound of the cache (`search_cache_mb`).
pub const DEFAULT_BYTES: usize = 64 * 1024 * 1024;

/// What makes two searches the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    query: String,
    locale: String,
    category: Option<String>,
    limit: usize,
    offset: usize,
    audience: Audience,
}

impl Key {
    pub fn of(req: &SearchRequest) -> Key {
        Key {
            query: req.query.to_string(),
            locale: req.locale.to_string(),
            category: req.category.map(str::to_string),
            limit: req.limit,
            offset: req.offset,
            audience: req.audience,
        }
    }
}

/// The cache; cheap to share behind the index.
pub struct ResultCache {
    inner: Mutex<Inner>,
}

struct Inner {
    lru: LruCache<Key, Arc<SearchResults>>,
    bytes: usize,
    max_bytes: usize,
    /// Bumped by every [`ResultCache::clear`].
    generation: u64,
}

impl ResultCache {
    pub fn new(max_bytes: usize) -> ResultCache {
        ResultCache {
            inner: Mutex::new(Inner {
                lru: LruCache::unbounded(),
                bytes: 0,
                max_bytes,
                generation: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached results for `key`, and the generation to pass to
    /// [`ResultCache::insert`] when there are none.
    pub fn get(&self, key: &Key) -> (Option<Arc<SearchResults>>, u64) {
        let mut inner = self.lock();
        let generation = inner.generation;
        (inner.lru.get(key).cloned(), generation)
    }

    /// Stores results computed in `generation`, unless the cache was
    /// cleared since (they may predate the change).
    pub fn insert(&self, key: Key, results: Arc<SearchResults>, generation: u64) {
        let mut inner = self.lock();
        let size = size_of(&key, &results);
        if inner.generation != generation || size > inner.max_bytes {
            return;
        }
        if let Some(old) = inner.lru.put(key.clone(), results) {
            inner.bytes -= size_of(&key, &old);
        }
        inner.bytes += size;
        while inner.bytes > inner.max_bytes {
            let Some((k, v)) = inner.lru.pop_lru() else {
                break;
            };
            inner.bytes -= size_of(&k, &v);
        }
    }

    /// Forgets everything (what searches see has changed).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.lru.clear();
        inner.bytes = 0;
        inner.generation += 1;
    }

    /// Sets the bound (0 turns the cache off) and empties the cache.
    pub fn set_max_bytes(&self, max_bytes: usize) {
        self.lock().max_bytes = max_bytes;
        self.clear();
    }

    /// Entries held and their estimated bytes.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.lru.len(), inner.bytes)
    }
}

impl Default for ResultCache {
    fn default() -> ResultCache {
        ResultCache::new(DEFAULT_BYTES)
    }
}

/// Roughly the heap bytes an entry holds.
fn size_of(key: &Key, r: &SearchResults) -> usize {
    const OVERHEAD: usize = 256;
    let hits: usize = r
        .hits
        .iter()
        .map(|h| {
            OVERHEAD
                + h.slug.len()
                + h.locale.len()
                + h.title.len()
                + h.summary.len()
                + h.category.len()
                + h.url.len()
                + h.snippet_html.len()
        })
        .sum();
    let facets: usize = r.facets.iter().map(|f| 48 + f.category.len()).sum();
    OVERHEAD * 2
        + key.query.len()
        + key.locale.len()
        + r.query.len()
        + r.did_you_mean.as_ref().map_or(0, String::len)
        + hits
        + facets
}

/// Most summaries kept: one per document of an index this size.
const MAX_SUMMARIES: usize = 100_000;

/// Values derived from one searcher generation, by key: recomputing them on
/// every request would cost a walk or a decompression, and a commit or
/// merge makes them stale, so the map only ever holds the newest generation
/// it has seen (and at most `cap` entries of it, weighing at most
/// `max_bytes` as its `weigh` estimates them; past that, values are
/// computed and not kept).
pub struct GenerationMap<K, V> {
    cap: usize,
    max_bytes: usize,
    weigh: fn(&V) -> usize,
    inner: Mutex<Slot<K, V>>,
}

struct Slot<K, V> {
    generation: u64,
    bytes: usize,
    map: HashMap<K, Arc<V>>,
}

impl<K, V> Slot<K, V> {
    fn new(generation: u64) -> Self {
        Slot {
            generation,
            bytes: 0,
            map: HashMap::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq, V> GenerationMap<K, V> {
    pub fn new(cap: usize) -> Self {
        Self::with_budget(cap, usize::MAX, |_| 0)
    }

    /// A map whose values, as `weigh` counts them, stay under `max_bytes`.
    pub fn with_budget(cap: usize, max_bytes: usize, weigh: fn(&V) -> usize) -> Self {
        GenerationMap {
            cap,
            max_bytes,
            weigh,
            inner: Mutex::new(Slot::new(0)),
        }
    }

    /// The value of `key` in `searcher`, from the map or from `load`.
    pub fn get_or_load(
        &self,
        searcher: &Searcher,
        key: K,
        load: impl FnOnce() -> super::Result<V>,
    ) -> super::Result<Arc<V>> {
        let generation = searcher.generation().generation_id();
        {
            let slot = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if slot.generation == generation {
                if let Some(v) = slot.map.get(&key) {
                    return Ok(Arc::clone(v));
                }
            }
        }
        let value = Arc::new(load()?);
        let weight = (self.weigh)(&value);
        let mut slot = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if slot.generation < generation {
            *slot = Slot::new(generation);
        }
        if slot.generation == generation
            && slot.map.len() < self.cap
            && slot.bytes.saturating_add(weight) <= self.max_bytes
        {
            if let Some(old) = slot.map.insert(key, Arc::clone(&value)) {
                // Two threads loaded the same key: count it once.
                slot.bytes -= (self.weigh)(&old);
            }
            slot.bytes += weight;
        }
        Ok(value)
    }
}

/// Article summaries by document: listing a hit (a suggestion, say)
/// otherwise decompresses its whole stored article to read a title.
pub type SummaryCache = GenerationMap<DocAddress, ArticleSummary>;

/// A summary cache holding one entry per document of an index this size.
pub fn summary_cache() -> SummaryCache {
    GenerationMap::new(MAX_SUMMARIES)
}

/// What a search shows of a hit: its summary, and the text its snippet is
/// cut from, lz4-compressed. Reading them from the document store instead
/// decompresses and parses the whole stored article (its HTML and Markdown
/// too), which was the largest single cost of an uncached search.
pub struct HitSource {
    pub summary: ArticleSummary,
    text: Box<[u8]>,
}

impl HitSource {
    pub fn new(summary: ArticleSummary, text: &str) -> HitSource {
        HitSource {
            summary,
            text: lz4_flex::compress_prepend_size(text.as_bytes()).into(),
        }
    }

    /// The article's plain text.
    pub fn text(&self) -> String {
        lz4_flex::decompress_size_prepended(&self.text)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default()
    }

    fn weight(&self) -> usize {
        let s = &self.summary;
        self.text.len()
            + s.slug.len()
            + s.title.len()
            + s.summary.len()
            + s.url.len()
            + s.category.len()
            + 128
    }
}

/// Hit sources by document: every article's fit in the budget for an index
/// of tens of thousands of articles (5,500 need an estimated 15–20 MB).
pub type HitCache = GenerationMap<DocAddress, HitSource>;

/// Bytes of compressed text kept for hits.
const HIT_BYTES: usize = 64 * 1024 * 1024;

pub fn hit_cache() -> HitCache {
    GenerationMap::with_budget(MAX_SUMMARIES, HIT_BYTES, HitSource::weight)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(q: &str) -> Arc<SearchResults> {
        Arc::new(SearchResults {
            query: q.into(),
            locale: "en".into(),
            total: 0,
            limit: 10,
            offset: 0,
            hits: Vec::new(),
            facets: Vec::new(),
            did_you_mean: None,
        })
    }

    fn key(q: &str) -> Key {
        Key::of(&SearchRequest {
            query: q,
            locale: "en",
            category: None,
            limit: 10,
            offset: 0,
            audience: Audience::Public,
        })
    }

    #[test]
    fn holds_results_until_cleared_and_refuses_stale_ones() {
        let cache = ResultCache::new(1 << 20);
        let (none, generation) = cache.get(&key("refund"));
        assert!(none.is_none());
        cache.insert(key("refund"), results("refund"), generation);
        assert_eq!(cache.get(&key("refund")).0.unwrap().query, "refund");
        assert!(cache.get(&key("Refund")).0.is_none(), "the query as typed");
        cache.clear();
        assert!(cache.get(&key("refund")).0.is_none());
        // Computed before the clear: not stored.
        cache.insert(key("refund"), results("refund"), generation);
        assert!(cache.get(&key("refund")).0.is_none());
    }

    #[test]
    fn stays_within_its_bound_dropping_the_least_recently_used() {
        let one = size_of(&key("q0000"), &results("q0000"));
        let cache = ResultCache::new(one * 3);
        for i in 0..3 {
            let q = format!("q{i:04}");
            cache.insert(key(&q), results(&q), 0);
        }
        cache.get(&key("q0000"));
        cache.insert(key("q0003"), results("q0003"), 0);
        assert!(cache.get(&key("q0000")).0.is_some());
        assert!(cache.get(&key("q0001")).0.is_none(), "least recently used");
        let (entries, bytes) = cache.usage();
        assert_eq!(entries, 3);
        assert!(bytes <= one * 3);
        cache.set_max_bytes(0);
        cache.insert(key("q0004"), results("q0004"), 1);
        assert_eq!(cache.usage().0, 0, "0 turns it off");
    }

    #[test]
    fn generation_maps_keep_the_newest_generation_within_budget() {
        let index = super::super::SearchIndex::in_memory("en").unwrap();
        let old = index.searcher();
        let map: GenerationMap<u32, String> = GenerationMap::with_budget(10, 8, String::len);
        let loads = std::cell::Cell::new(0);
        let load = |v: &str| {
            loads.set(loads.get() + 1);
            Ok(v.to_string())
        };
        assert_eq!(
            *map.get_or_load(&old, 1, || load("abcde")).unwrap(),
            "abcde"
        );
        assert_eq!(
            *map.get_or_load(&old, 1, || load("other")).unwrap(),
            "abcde"
        );
        // 5 + 5 bytes is over the budget of 8: computed every time, not kept.
        assert_eq!(
            *map.get_or_load(&old, 2, || load("fghij")).unwrap(),
            "fghij"
        );
        assert_eq!(
            *map.get_or_load(&old, 2, || load("again")).unwrap(),
            "again"
        );
        assert_eq!(loads.get(), 3);
        // A commit starts a new generation, empty and with its whole budget;
        // a value of the old one is no longer stored.
        index.apply(&[], &[]).unwrap();
        let new = index.searcher();
        assert_ne!(
            new.generation().generation_id(),
            old.generation().generation_id()
        );
        assert_eq!(
            *map.get_or_load(&new, 1, || load("fresh")).unwrap(),
            "fresh"
        );
        assert_eq!(
            *map.get_or_load(&old, 3, || load("stale")).unwrap(),
            "stale"
        );
        assert_eq!(
            *map.get_or_load(&new, 3, || load("newer")).unwrap(),
            "newer"
        );
    }

    #[test]
    fn hit_sources_give_back_their_text() {
        let summary = ArticleSummary {
            slug: "billing/refunds".into(),
            locale: "en".into(),
            title: "Refunds".into(),
            summary: String::new(),
            category: "billing".into(),
            tags: Vec::new(),
            url: "/articles/billing/refunds".into(),
            updated: None,
        };
        let text = "Refunds take 5–10 days. ".repeat(200);
        let hit = HitSource::new(summary, &text);
        assert_eq!(hit.text(), text);
        assert!(hit.text.len() < text.len() / 4, "kept compressed");
    }
}
