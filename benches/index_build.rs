//! Full index build from scratch, as `deflect index` does it: open a new
//! on-disk index in a temp dir (`SearchIndex::open`), then
//! `Library::rebuild` — walk `articles/`, parse and render every file in
//! parallel, add every document and commit. The corpus is both real corpora
//! from `../shared/corpora/*.tar.gz` under one `articles/` folder (unpacked
//! into a temp dir at start) when present, else a seeded generated corpus.
//! Group `index_build/both_corpora`, throughput in articles indexed. Before
//! measuring, one build prints how many articles were indexed and names every
//! skipped file with its error (path, line and reason).

mod common;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

use common::{build_library, print_report, Corpus};

fn bench_index_build(c: &mut Criterion) {
    let corpus = Corpus::prepare();
    eprintln!("index_build: {}", corpus.describe());
    let (library, report, took) = build_library(&corpus, &corpus.index_dir("index-report"));
    print_report(&report, took);
    let articles = report.indexed as u64;
    drop(library);

    let mut group = c.benchmark_group("index_build");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(articles));
    let mut run = 0;
    group.bench_function("both_corpora", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                run += 1;
                let dir = corpus.index_dir(&format!("index-{run}"));
                let started = Instant::now();
                let (library, report, _) = build_library(&corpus, &dir);
                total += started.elapsed();
                assert_eq!(
                    report.indexed as u64, articles,
                    "a rebuild indexed another number of articles"
                );
                // Closing the writer and deleting the files is not part of a build.
                drop(library);
                let _ = std::fs::remove_dir_all(&dir);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench_index_build);
criterion_main!(benches);
