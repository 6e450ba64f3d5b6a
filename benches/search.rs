//! In-process search and as-you-type suggestion latency over a fixed set of
//! realistic queries. The index holds both real corpora from
//! `../shared/corpora/*.tar.gz` (unpacked and indexed into a temp dir at
//! start) when present, else a seeded generated corpus. The queries are the
//! CovidFAQ user questions (`../shared/data/covidfaq`), the BANKING77 test
//! texts (`../shared/data/banking77/test.csv`) and the first three words of
//! 1,000 indexed titles (so that many searches find something), shuffled with
//! a fixed seed; generated queries replace the first two without `../shared`.
//! Suggestions use each query's first word plus half of its second.
//!
//! First a percentile report: every query runs once (its percentiles printed
//! as the first pass), then once more, and
//! p50/p90/p99/max (µs) are printed overall and per query source, with the
//! slowest queries (the result cache off), then the same queries answered
//! from the result cache. Then criterion groups `search/full`
//! (`SearchIndex::search`, limit 10, snippets, no cache) and `suggest/prefix`
//! (`SearchIndex::suggest`, limit 6 as the API's default), each iteration
//! being the next query of the set.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use deflect::index::{Audience, SearchIndex, SearchRequest};

use common::queries::{query_set, suggest_prefix, Query};
use common::{build_library, print_report, summary_us, titles, Corpus, LOCALE};

/// Results per search, as the help center and the API ask by default.
const SEARCH_LIMIT: usize = 10;
/// Suggestions per call, the API's default.
const SUGGEST_LIMIT: usize = 6;

fn search(index: &SearchIndex, q: &str) -> usize {
    let req = SearchRequest {
        query: q,
        locale: LOCALE,
        category: None,
        limit: SEARCH_LIMIT,
        offset: 0,
        audience: Audience::Public,
    };
    index.search(&req).expect("search").hits.len()
}

fn suggest(index: &SearchIndex, q: &str) -> usize {
    index
        .suggest(q, LOCALE, SUGGEST_LIMIT, Audience::Public)
        .expect("suggest")
        .len()
}

/// Runs `f` on every query once (the first time: per-generation memos such
/// as typo corrections and hit texts still cold), then once more; prints
/// the first pass's percentiles, then the second's overall and per source
/// and its slowest queries.
fn percentile_report(what: &str, queries: &[Query], f: impl Fn(&str) -> usize) {
    let mut first: Vec<Duration> = Vec::with_capacity(queries.len());
    for q in queries {
        let started = Instant::now();
        black_box(f(&q.text));
        first.push(started.elapsed());
    }
    eprintln!("{}", summary_us(&format!("{what} (first pass)"), &first));
    let mut timed: Vec<(Duration, usize, &Query)> = Vec::with_capacity(queries.len());
    for q in queries {
        let started = Instant::now();
        let found = black_box(f(&q.text));
        timed.push((started.elapsed(), found, q));
    }
    let all: Vec<Duration> = timed.iter().map(|t| t.0).collect();
    eprintln!("{}", summary_us(&format!("{what} (all)"), &all));
    let mut sources: Vec<&str> = queries.iter().map(|q| q.source).collect();
    sources.sort_unstable();
    sources.dedup();
    for source in sources {
        let of: Vec<&(Duration, usize, &Query)> =
            timed.iter().filter(|t| t.2.source == source).collect();
        let times: Vec<Duration> = of.iter().map(|t| t.0).collect();
        let found = of.iter().filter(|t| t.1 > 0).count();
        eprintln!(
            "{}  non-empty {:.0}%",
            summary_us(&format!("{what} ({source})"), &times),
            100.0 * found as f64 / of.len().max(1) as f64
        );
    }
    timed.sort_by_key(|t| std::cmp::Reverse(t.0));
    eprintln!("{what}: slowest queries");
    for (took, found, q) in timed.iter().take(5) {
        eprintln!(
            "  {:>9.1}µs  {found:>2} results  [{}] {:?}",
            took.as_secs_f64() * 1e6,
            q.source,
            q.text
        );
    }
}

fn bench_search(c: &mut Criterion) {
    let corpus = Corpus::prepare();
    eprintln!("search: {}", corpus.describe());
    let (library, report, took) = build_library(&corpus, &corpus.index_dir("index"));
    print_report(&report, took);
    let index = library.index();
    let queries = query_set(&titles(index));
    let prefixes: Vec<Query> = queries
        .iter()
        .filter_map(|q| {
            suggest_prefix(&q.text).map(|text| Query {
                text,
                source: q.source,
            })
        })
        .collect();
    eprintln!(
        "search: {} queries, {} suggestion prefixes",
        queries.len(),
        prefixes.len()
    );

    // Searching, not the cache of recent results: the warm-up pass would
    // otherwise fill it. Then the same queries answered from the cache.
    index.set_cache_bytes(0);
    percentile_report("search", &queries, |q| search(index, q));
    percentile_report("suggest", &prefixes, |q| suggest(index, q));
    index.set_cache_bytes(deflect::index::cache::DEFAULT_BYTES);
    percentile_report("search from cache", &queries, |q| search(index, q));
    let (entries, bytes) = index.cache_usage();
    eprintln!(
        "search cache: {entries} entries, {:.1} MiB",
        bytes as f64 / (1024.0 * 1024.0)
    );
    index.set_cache_bytes(0);

    let mut group = c.benchmark_group("search");
    group.throughput(Throughput::Elements(1));
    let mut next = queries.iter().cycle();
    group.bench_function("full", |b| {
        b.iter(|| search(index, &next.next().expect("queries").text))
    });
    group.finish();

    let mut group = c.benchmark_group("suggest");
    group.throughput(Throughput::Elements(1));
    let mut next = prefixes.iter().cycle();
    group.bench_function("prefix", |b| {
        b.iter(|| suggest(index, &next.next().expect("prefixes").text))
    });
    group.finish();
}

criterion_group!(benches, bench_search);
criterion_main!(benches);
