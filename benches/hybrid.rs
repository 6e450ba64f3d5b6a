//! Search by meaning at the scale of both real corpora (5,523 articles of
//! `../shared/corpora`), with the sentence model of `../shared/models`
//! (or `DEFLECT_BENCH_MODEL`):
//!
//! 1. **Embedding**: the first build with an empty embedding cache (every
//!    passage through the model), per corpus folder and in all; then a
//!    rebuild as after a restart (every vector from the cache).
//! 2. **Query latency**, result cache off, each query once after a warm-up
//!    pass: the search bench's query set (CovidFAQ questions, BANKING77
//!    messages, title words) by words only and hybrid, p50/p90/p99/max.
//! 3. **Edit → searchable**: one article edited and re-applied (what the
//!    watcher does), 20 times; p50 and max.
//! 4. **Memory**: the process's resident set after all of it.
//!
//! `HYBRID_INDEX=DIR` keeps the index and embedding cache between runs.
//! Prints a note and exits when the model or the corpora are absent.
//! Run: `cargo bench --bench hybrid`.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deflect::index::{Audience, Mode, SearchIndex, SearchRequest};
use deflect::Library;

use common::queries::query_set;
use common::{summary_us, titles, Corpus, Origin, LOCALE};

fn search(index: &SearchIndex, q: &str, mode: Mode) -> usize {
    let req = SearchRequest {
        query: q,
        locale: LOCALE,
        category: None,
        limit: 10,
        offset: 0,
        audience: Audience::Public,
    };
    index.search_with(&req, mode).expect("search").hits.len()
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let dir = std::env::var_os("DEFLECT_BENCH_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/models/all-MiniLM-L6-v2")
        });
    if !dir.join("model.safetensors").exists() {
        eprintln!("hybrid: no model at {} — nothing to measure", dir.display());
        return;
    }
    let corpus = Corpus::prepare();
    if corpus.origin != Origin::Real {
        eprintln!("hybrid: the real corpora are absent — nothing to measure");
        return;
    }
    eprintln!("hybrid: {}", corpus.describe());
    let model = Arc::new(deflect::semantic::Model::load(&dir).expect("model"));
    // HYBRID_INDEX=DIR keeps the index (and its embedding cache) between
    // runs: the "first build" then embeds only what the cache lacks.
    let index_dir = std::env::var_os("HYBRID_INDEX")
        .map(PathBuf::from)
        .unwrap_or_else(|| corpus.index_dir("index"));

    let started = Instant::now();
    let (library, report) = Library::open_with(
        &corpus.articles(),
        &index_dir,
        LOCALE,
        Some(Arc::clone(&model)),
    )
    .expect("build");
    let cold = started.elapsed();
    let semantic = library.index().semantic().expect("semantic");
    eprintln!(
        "first build: {} articles, {} passages embedded in {:.1}s ({:.0} passages/s)",
        report.indexed,
        semantic.embedded(),
        cold.as_secs_f64(),
        semantic.embedded() as f64 / cold.as_secs_f64()
    );
    let mut per_folder: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    semantic.for_each(|path, v| {
        let folder = path.split('/').next().unwrap_or_default().to_string();
        let e = per_folder.entry(folder).or_default();
        e.0 += 1;
        e.1 += v.passages.len();
    });
    for (folder, (articles, passages)) in &per_folder {
        eprintln!(
            "  {folder}: {articles} articles, {passages} passages (texts shared between articles are embedded once)"
        );
    }
    drop(library);
    let started = Instant::now();
    let (library, _) = Library::open_with(
        &corpus.articles(),
        &index_dir,
        LOCALE,
        Some(Arc::clone(&model)),
    )
    .expect("rebuild");
    let warm = started.elapsed();
    eprintln!(
        "restart: {} passages from the cache, {} embedded, in {:.1}s",
        library.index().semantic().expect("semantic").cached(),
        library.index().semantic().expect("semantic").embedded(),
        warm.as_secs_f64()
    );

    let index = library.index();
    index.set_cache_bytes(0);
    let queries = query_set(&titles(index));
    for (name, mode) in [("lexical", Mode::Lexical), ("hybrid", Mode::Hybrid)] {
        for q in &queries {
            search(index, &q.text, mode);
        }
        let mut times: Vec<Duration> = Vec::with_capacity(queries.len());
        let mut found = 0;
        for q in &queries {
            let started = Instant::now();
            found += usize::from(search(index, &q.text, mode) > 0);
            times.push(started.elapsed());
        }
        eprintln!(
            "{}  non-empty {:.0}%",
            summary_us(&format!("{name} search, {} queries", queries.len()), &times),
            100.0 * found as f64 / queries.len() as f64
        );
    }
    // Edits last: each commits a small segment, which the queries above
    // would otherwise pay for until tantivy merges them.
    let files = corpus.files();
    let mut edits = Vec::new();
    for n in 0..20 {
        let path = &files[(n * 271) % files.len()];
        let full = corpus.articles().join(path);
        let text = std::fs::read_to_string(&full).expect("read");
        std::fs::write(&full, format!("{text}\n\nEdited paragraph number {n}.\n")).expect("write");
        let started = Instant::now();
        library
            .apply_paths(std::slice::from_ref(path))
            .expect("apply");
        edits.push(started.elapsed());
    }
    edits.sort();
    eprintln!(
        "edit → searchable: p50 {:.0} ms, max {:.0} ms over {} edits",
        edits[edits.len() / 2].as_secs_f64() * 1e3,
        edits[edits.len() - 1].as_secs_f64() * 1e3,
        edits.len()
    );

    eprintln!("resident set: {:.0} MiB", rss_mib());
}
