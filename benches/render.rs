//! Parse + render throughput of Markdown articles: `Article::parse` (front
//! matter, pulldown-cmark rendering, link rewriting through a catalog
//! resolver, HTML sanitizing, plain text and headings) over every file of each
//! corpus, single-threaded, in bytes of Markdown per second. The corpora are
//! the real ones from `../shared/corpora/*.tar.gz` (unpacked into a temp dir
//! at start) when present, else a seeded generated corpus; files that do not
//! parse (invalid front matter) are left out and named once on stderr.
//! Groups: `render/<corpus>` (a whole corpus per iteration),
//! `render/largest_article`, and `render_adversarial/<input>`: bodies built
//! to stall a renderer (32,000 nested quotes, nested lists and `<div>`s,
//! thousands of headings with one title), at 64 KB and 1 MB. Measured in
//! release mode before the nesting cap: 64 KB of `>` 6.8 s, of `- ` 6.3 s,
//! of `## Step` 1.8 s; 1 MB of `<div>` 13 s, of `>` or headings over 100 s.
//! After: the slowest, 1 MB of headings, 0.4 s; the others under 70 ms.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use deflect::articles::load::Catalog;
use deflect::articles::{derive_slug, locale_from_path, markdown, Article, ParseOptions};

use common::{Corpus, LOCALE};

/// A file's path under `articles/` and its text.
struct Source {
    path: String,
    text: String,
}

fn bench_render(c: &mut Criterion) {
    let corpus = Corpus::prepare();
    eprintln!("render: {}", corpus.describe());
    let files = corpus.files();
    // The resolver `load_dir` would build: every file under its derived slug.
    let mut catalog = Catalog::new(LOCALE);
    for path in &files {
        let locale = locale_from_path(path).unwrap_or_else(|| LOCALE.to_string());
        catalog.insert(path, &derive_slug(path), &locale);
    }
    let opts = ParseOptions {
        default_locale: LOCALE,
        resolver: &catalog,
    };

    let mut by_corpus: Vec<(String, Vec<Source>)> = corpus
        .names
        .iter()
        .map(|n| (n.clone(), Vec::new()))
        .collect();
    let mut skipped = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(corpus.articles().join(&path)) else {
            skipped.push(format!("{path}: not UTF-8"));
            continue;
        };
        if let Err(e) = Article::parse(&path, &text, &opts) {
            skipped.push(e.to_string());
            continue;
        }
        let top = path.split('/').next().unwrap_or_default();
        if let Some((_, sources)) = by_corpus.iter_mut().find(|(name, _)| name == top) {
            sources.push(Source { path, text });
        }
    }
    eprintln!(
        "render: left out {} files that do not parse:",
        skipped.len()
    );
    for s in &skipped {
        eprintln!("  {s}");
    }

    let mut group = c.benchmark_group("render");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(15));
    for (name, sources) in &by_corpus {
        let bytes: usize = sources.iter().map(|s| s.text.len()).sum();
        eprintln!(
            "render/{name}: {} files, {:.1} MB",
            sources.len(),
            bytes as f64 / 1e6
        );
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name.as_str(), |b| {
            b.iter(|| {
                for s in sources {
                    black_box(Article::parse(&s.path, &s.text, &opts).ok());
                }
            })
        });
    }
    if let Some(largest) = by_corpus
        .iter()
        .flat_map(|(_, s)| s)
        .max_by_key(|s| s.text.len())
    {
        eprintln!(
            "render/largest_article: {} ({:.0} kB)",
            largest.path,
            largest.text.len() as f64 / 1e3
        );
        group
            .sampling_mode(SamplingMode::Auto)
            .sample_size(30)
            .measurement_time(Duration::from_secs(5));
        group.throughput(Throughput::Bytes(largest.text.len() as u64));
        group.bench_function("largest_article", |b| {
            b.iter(|| black_box(Article::parse(&largest.path, &largest.text, &opts).ok()))
        });
    }
    group.finish();
}

/// Bodies built to stall a renderer, about `size` bytes each.
fn adversarial(size: usize) -> Vec<(&'static str, String)> {
    vec![
        ("nested_quotes", format!("{} deep\n", ">".repeat(size))),
        ("nested_lists", format!("{} deep\n", "- ".repeat(size / 2))),
        (
            "nested_divs",
            format!(
                "{}deep{}",
                "<div>".repeat(size / 11),
                "</div>".repeat(size / 11)
            ),
        ),
        ("same_headings", "## Step\n\n".repeat(size / 9)),
    ]
}

fn bench_adversarial(c: &mut Criterion) {
    let resolver = |p: &str| Some(format!("/articles/{p}"));
    let mut group = c.benchmark_group("render_adversarial");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    for (size, label) in [(64 << 10, "64k"), (1 << 20, "1m")] {
        for (name, body) in adversarial(size) {
            group.throughput(Throughput::Bytes(body.len() as u64));
            group.bench_function(format!("{name}_{label}"), |b| {
                b.iter(|| black_box(markdown::render(&body, 1, "a.md", &resolver)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_render, bench_adversarial);
criterion_main!(benches);
