//! Shared set-up for deflect's benches: the article corpora and the query
//! sets. The corpora are the real ones from `../shared/corpora/*.tar.gz`
//! (unpacked once per run into a temp dir, each under its own folder of one
//! `articles/` tree) when `../shared` is present, else a seeded generator of
//! Markdown articles; queries are real customer questions from
//! `../shared/data` (CovidFAQ user queries, BANKING77 test texts) plus topic
//! queries made from indexed titles, else generated ones. Each bench includes
//! this file with `mod common;` and uses part of it.

#![allow(dead_code)] // every bench uses a different part of this module

pub mod generate;
pub mod queries;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use deflect::articles::load::list_files;
use deflect::index::{Audience, SearchIndex};
use deflect::library::{IndexReport, Library};

/// Locale every bench searches in.
pub const LOCALE: &str = "en";

/// Articles written by the generator when `../shared` is absent.
pub const GENERATED_ARTICLES: usize = 3000;

/// `../shared`, next to the repository, when it is there.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    dir.is_dir().then_some(dir)
}

/// The corpus archives in `../shared/corpora`, sorted (empty without them).
pub fn corpus_archives() -> Vec<PathBuf> {
    let Some(shared) = shared_dir() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(shared.join("corpora")) else {
        return Vec::new();
    };
    let mut archives: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .collect();
    archives.sort();
    archives
}

/// Where a corpus came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `../shared/corpora/*.tar.gz`.
    Real,
    /// [`generate_corpus`], seeded.
    Generated,
}

/// A corpus on disk: `root/articles/<corpus>/...`, deleted on drop.
pub struct Corpus {
    /// The temp dir holding `articles/` and the benches' index folders.
    pub root: tempfile::TempDir,
    /// Real or generated.
    pub origin: Origin,
    /// The top-level folders under `articles/`, one per corpus.
    pub names: Vec<String>,
}

impl Corpus {
    /// The real corpora when present, else a generated one.
    pub fn prepare() -> Corpus {
        let root = tempfile::Builder::new()
            .prefix("deflect-bench-")
            .tempdir()
            .expect("temp dir");
        let articles = root.path().join("articles");
        std::fs::create_dir_all(&articles).expect("articles dir");
        let archives = corpus_archives();
        let (origin, names) = if archives.is_empty() {
            (
                Origin::Generated,
                generate::generate_corpus(&articles, GENERATED_ARTICLES, 0x5eed),
            )
        } else {
            for archive in &archives {
                // Each archive holds one top-level folder named after it.
                let status = Command::new("tar")
                    .arg("xzf")
                    .arg(archive)
                    .arg("-C")
                    .arg(&articles)
                    .status()
                    .expect("run tar");
                assert!(
                    status.success(),
                    "tar xzf {} failed: {status}",
                    archive.display()
                );
            }
            (Origin::Real, folder_names(&articles))
        };
        Corpus {
            root,
            origin,
            names,
        }
    }

    /// The `articles/` folder.
    pub fn articles(&self) -> PathBuf {
        self.root.path().join("articles")
    }

    /// A fresh index folder under the corpus's temp dir.
    pub fn index_dir(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Article files (relative to `articles/`), as deflect lists them.
    pub fn files(&self) -> Vec<String> {
        list_files(&self.articles())
    }

    /// One line saying what this corpus is.
    pub fn describe(&self) -> String {
        let origin = match self.origin {
            Origin::Real => "real corpora from ../shared/corpora",
            Origin::Generated => "generated corpus (../shared absent)",
        };
        format!(
            "{origin}: {} in {} Markdown files",
            self.names.join(" + "),
            self.files().len()
        )
    }
}

fn folder_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Indexes `corpus` from scratch into `index_dir` (the way `deflect index`
/// does), returning the library, its report and the time taken.
pub fn build_library(corpus: &Corpus, index_dir: &Path) -> (Library, IndexReport, Duration) {
    let started = Instant::now();
    let (index, _) = SearchIndex::open(index_dir, LOCALE).expect("open index");
    let library = Library::with_index(corpus.articles(), index);
    let report = library.rebuild(&|_, _| {}).expect("index the corpus");
    (library, report, started.elapsed())
}

/// Prints what an index build did, naming every skipped file and why.
pub fn print_report(report: &IndexReport, took: Duration) {
    eprintln!(
        "indexed {} articles in {:.2}s; skipped {} files; {} warnings (broken links)",
        report.indexed,
        took.as_secs_f64(),
        report.errors.len(),
        report.warnings.len()
    );
    for e in &report.errors {
        eprintln!("  skipped {e}");
    }
}

/// Titles of every live article, sorted by title.
pub fn titles(index: &SearchIndex) -> Vec<String> {
    index
        .list(LOCALE, None, Audience::Public)
        .expect("list articles")
        .into_iter()
        .map(|a| a.title)
        .collect()
}

// ---------------------------------------------------------------------------
// Percentiles

/// Nearest-rank percentile `p` (0–100) of `sorted`.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `p50/p99/max` of `samples` in microseconds, with a label.
pub fn summary_us(label: &str, samples: &[Duration]) -> String {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    format!(
        "{label:<28} n={:<5} p50={:>9.1}µs  p90={:>9.1}µs  p99={:>9.1}µs  max={:>9.1}µs",
        sorted.len(),
        us(percentile(&sorted, 50.0)),
        us(percentile(&sorted, 90.0)),
        us(percentile(&sorted, 99.0)),
        us(sorted.last().copied().unwrap_or_default()),
    )
}

// ---------------------------------------------------------------------------
// Seeded randomness

/// SplitMix64: small, seeded and good enough to pick words and shapes.
pub struct Rng(u64);

impl Rng {
    /// A generator that always yields the same numbers for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    /// A pronounceable word no dictionary has (letters only, so every
    /// tokenizer keeps it whole).
    pub fn nonsense_word(&mut self) -> String {
        const C: &[u8] = b"bdfgklmnprstvz";
        const V: &[u8] = b"aeiou";
        let mut w = String::from("zq");
        for _ in 0..4 {
            w.push(*self.pick(C) as char);
            w.push(*self.pick(V) as char);
        }
        w.push('x');
        w
    }
}

/// The sentence model of `../shared/models` (or `DEFLECT_BENCH_MODEL`), when
/// present: the rows by meaning need it.
pub fn bench_model(bench: &str) -> Option<std::sync::Arc<deflect::semantic::Model>> {
    let dir = std::env::var_os("DEFLECT_BENCH_MODEL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/models/all-MiniLM-L6-v2")
        });
    if !dir.join("model.safetensors").exists() {
        eprintln!(
            "{bench}: no sentence model at {} — words only",
            dir.display()
        );
        return None;
    }
    Some(std::sync::Arc::new(
        deflect::semantic::Model::load(&dir).unwrap_or_else(|e| panic!("{e}")),
    ))
}
