//! FAQ mining, quality and scale.
//!
//! Quality: the BANKING77 messages (`../shared/data/banking77/{train,test}.csv`,
//! 77 gold intents) are mined as tickets by the same pipeline as `deflect
//! mine` (library call, no help center), and the topics are scored against
//! the intents — NMI, ARI and accuracy under the best one-to-one matching,
//! unclustered tickets counted as one more cluster — for the 3,080-message
//! test file and all 13,083 messages, with the number of topics found
//! automatically and with `--clusters 77`; plus, for the test file, the
//! ablation "plain Louvain at resolution 1" that the automatic choice
//! replaces.
//!
//! Scale: a seeded generator (`mine/generate.rs`) writes 10k, 100k and 1M
//! noisy tickets recombined from the real messages; the release `deflect
//! mine` binary mines each file end to end (read → report, coverage
//! checked against this repo's `articles/` in a temp dir) as a child
//! process, and the wall time and peak resident memory (VmHWM, polled from
//! /proc) are printed as a table.
//!
//! Prints a note and measures nothing when `../shared` is absent. Run:
//! `cargo bench --bench mine` (`MINE_SIZES=10000,100000` to pick sizes,
//! `MINE_PART=quality|scale` for one half).

mod common;
#[path = "mine/generate.rs"]
mod generate;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deflect::mining::cluster::{cluster_tuned, ClusterOptions, Tuning};
use deflect::mining::corpus::{Analyzers, Corpus, NO_DOC};
use deflect::mining::features::{FeatureSpace, Matrix};
use deflect::mining::input::{Row, TicketReader};
use deflect::mining::meaning::Embeddings;
use deflect::mining::quality::{agreement, Agreement};
use deflect::mining::{mine, ColumnOverrides, MineOptions};
use deflect::semantic::Model;

const SEED: u64 = 1;

fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/banking77");
    let files = [data.join("train.csv"), data.join("test.csv")];
    if !files.iter().all(|f| f.is_file()) {
        eprintln!("mine: {} not found — nothing to measure", data.display());
        return;
    }
    let part = std::env::var("MINE_PART").unwrap_or_default();
    if part.is_empty() || part == "quality" {
        quality(&files);
    }
    if part.is_empty() || part == "scale" {
        scale(&files);
    }
}

/// Texts and gold intents of `files`, in reading order.
fn gold(files: &[PathBuf]) -> (Vec<String>, Vec<i64>) {
    let mut names = std::collections::HashMap::new();
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for f in files {
        let mut r = csv::Reader::from_path(f).expect("BANKING77 CSV");
        for row in r.records() {
            let row = row.expect("row");
            texts.push(row[0].to_string());
            let next = names.len() as i64;
            labels.push(*names.entry(row[1].to_string()).or_insert(next));
        }
    }
    (texts, labels)
}

fn quality(files: &[PathBuf]) {
    println!("mine/quality — BANKING77, seed {SEED}, min cluster size 5 (unclustered = one more cluster)");
    println!(
        "{:<44} {:>7} {:>7} {:>6} {:>6} {:>6} {:>7}",
        "run", "tickets", "topics", "NMI", "ARI", "ACC", "secs"
    );
    let model = common::bench_model("mine");
    let by = |m: &Option<Arc<Model>>| if m.is_some() { "meaning" } else { "words" };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sets: Vec<(&str, Vec<PathBuf>)> = vec![
        ("test (3,080)", files[1..].to_vec()),
        ("all (13,083)", files.to_vec()),
    ];
    if let Some(covid) = covid_questions(dir.path()) {
        sets.push(("CovidFAQ (1,387)", vec![covid]));
    }
    if let Some(titles) = m365_titles(dir.path()) {
        sets.push(("M365 titles (coarse)", vec![titles]));
    }
    for model in std::iter::once(None).chain(model.clone().map(Some)) {
        for (name, set) in &sets {
            let (_, labels) = gold(set);
            let intents = labels
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len();
            for clusters in [None, Some(intents)] {
                let opts = MineOptions {
                    clusters,
                    seed: SEED,
                    model: model.clone(),
                    ..MineOptions::default()
                };
                let started = Instant::now();
                let mined = mine(set, &opts, None, &|_, _, _| {}).expect("mine");
                let secs = started.elapsed().as_secs_f64();
                let predicted: Vec<i64> = mined
                    .assignments
                    .topics
                    .iter()
                    .map(|&t| i64::from(t))
                    .collect();
                assert_eq!(predicted.len(), labels.len(), "every message is a ticket");
                let a = agreement(&predicted, &labels);
                let run = format!(
                    "{}, {name}, {}",
                    by(&model),
                    clusters.map_or("automatic K".to_string(), |k| format!("--clusters {k}"))
                );
                row(&run, labels.len(), mined.report.summary.topics, a, secs);
            }
        }
    }
    // The ablations skip the full BANKING77 set (the test file is its sample).
    for (name, set) in sets.iter().filter(|(n, _)| !n.starts_with("all")) {
        ablations(name, &set[0], model.as_ref());
    }
    for (name, set) in &sets {
        kmeans_baseline(name, set);
    }
    println!();
}

/// The titles of the Microsoft 365 support articles of `../shared/corpora`
/// as a ticket file, each labelled by its product (the first folder:
/// Exchange, Outlook, SharePoint, Teams…): a coarse-topic set of short
/// texts, where each topic holds many different questions. `None` without
/// the corpus.
fn m365_titles(dir: &Path) -> Option<PathBuf> {
    let archive =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/officedocs-support.tar.gz");
    if !archive.is_file() {
        return None;
    }
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(dir)
        .status()
        .expect("run tar");
    assert!(status.success(), "tar xzf {}", archive.display());
    let root = dir.join("officedocs-support");
    let path = dir.join("m365-titles.csv");
    let mut w = csv::Writer::from_path(&path).expect("write CSV");
    w.write_record(["text", "category"]).expect("write");
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    for f in files {
        let product = f
            .strip_prefix(&root)
            .ok()
            .and_then(|p| p.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let title = text
            .lines()
            .take(30)
            .find_map(|l| l.strip_prefix("title:"))
            .map(|t| t.trim().trim_matches(['"', '\'']).to_string());
        if let Some(title) = title.filter(|t| !t.is_empty()) {
            w.write_record([title.as_str(), product.as_str()])
                .expect("write");
        }
    }
    w.flush().expect("flush");
    Some(path)
}

/// The reference the topics by words are held to: spherical k-means on
/// the same TF-IDF features, given the true number of topics (k-means++
/// seeding, 30 rounds, best of 3 seeds by within-cluster similarity).
fn kmeans_baseline(name: &str, set: &[PathBuf]) {
    let (_, labels) = gold(set);
    let k = labels
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len();
    let corpus = corpus_of(set);
    let started = Instant::now();
    let docs: Vec<u32> = (0..corpus.docs.len() as u32).collect();
    let space = FeatureSpace::fit(&corpus, &docs);
    let m = space.matrix(&corpus, &docs);
    let best = (1..=3)
        .map(|seed| spherical_kmeans(&m, k, seed))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("three runs");
    let predicted: Vec<i64> = corpus
        .ticket_doc
        .iter()
        .map(|&d| {
            if d == NO_DOC {
                -1
            } else {
                best.0[d as usize] as i64
            }
        })
        .collect();
    row(
        &format!("TF-IDF k-means (K={k}), {name}"),
        labels.len(),
        k,
        agreement(&predicted, &labels),
        started.elapsed().as_secs_f64(),
    );
}

/// Cluster of each row and the summed similarity to the centroids.
fn spherical_kmeans(m: &Matrix, k: usize, seed: u64) -> (Vec<usize>, f64) {
    let n = m.rows();
    let mut rng = deflect::mining::rng::Rng::new(seed);
    let dense = |r: usize| {
        let mut v = vec![0f32; m.cols];
        let (cols, vals) = m.row(r);
        for (&c, &x) in cols.iter().zip(vals) {
            v[c as usize] = x;
        }
        v
    };
    let sim = |r: usize, c: &[f32]| {
        let (cols, vals) = m.row(r);
        cols.iter()
            .zip(vals)
            .map(|(&i, &x)| x * c[i as usize])
            .sum::<f32>()
    };
    // k-means++: each next seed drawn by its distance to the closest one.
    let mut centroids = vec![dense(rng.below(n))];
    let mut closest = vec![f32::MIN; n];
    while centroids.len() < k {
        let last = centroids.last().expect("one");
        let mut weights = Vec::with_capacity(n);
        for (r, c) in closest.iter_mut().enumerate() {
            *c = c.max(sim(r, last));
            weights.push(f64::from((1.0 - *c).max(0.0)));
        }
        let total: f64 = weights.iter().sum();
        let mut at = rng.next_f64() * total;
        let pick = weights
            .iter()
            .position(|w| {
                at -= w;
                at <= 0.0
            })
            .unwrap_or(n - 1);
        centroids.push(dense(pick));
    }
    let mut assign = vec![0usize; n];
    let mut score = 0.0;
    for _ in 0..30 {
        score = 0.0;
        for (r, a) in assign.iter_mut().enumerate() {
            let (best, s) = centroids
                .iter()
                .enumerate()
                .map(|(c, v)| (c, sim(r, v)))
                .max_by(|x, y| x.1.total_cmp(&y.1))
                .expect("k > 0");
            *a = best;
            score += f64::from(s);
        }
        for (c, v) in centroids.iter_mut().enumerate() {
            v.iter_mut().for_each(|x| *x = 0.0);
            for r in (0..n).filter(|&r| assign[r] == c) {
                let (cols, vals) = m.row(r);
                for (&i, &x) in cols.iter().zip(vals) {
                    v[i as usize] += x;
                }
            }
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|x| *x /= norm);
            }
        }
    }
    (assign, score)
}

/// CovidFAQ's 1,387 real user questions as a ticket file (`text,category`),
/// each labelled by the FAQ entry that answers it: a second clustering set,
/// with 66 topics of very uneven size. `None` when `../shared` lacks it.
fn covid_questions(dir: &Path) -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/covidfaq/query_answer_pairs.json");
    let pairs: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(src).ok()?).expect("CovidFAQ JSON");
    let path = dir.join("covid-questions.csv");
    let mut w = csv::Writer::from_path(&path).expect("write CSV");
    w.write_record(["text", "category"]).expect("write");
    for p in pairs.iter().filter(|p| p["query_type"] == "user_query") {
        let q = p["question"].as_str().unwrap_or_default();
        let a = p["answer"].as_str().unwrap_or_default();
        w.write_record([q, a]).expect("write");
    }
    w.flush().expect("flush");
    Some(path)
}

/// What choosing the resolution by the map equation buys (against plain
/// Louvain at resolution 1), and, by meaning, how the number of neighbours
/// per doc matters: the test file clustered directly.
fn ablations(set: &str, file: &Path, model: Option<&Arc<Model>>) {
    let (_, labels) = gold(&[file.to_path_buf()]);
    let corpus = corpus_of(&[file.to_path_buf()]);
    let embeddings = model.map(|m| Embeddings::of(&corpus, m, &|_, _, _| {}));
    let opts = ClusterOptions {
        clusters: None,
        min_cluster_size: 5,
        seed: SEED,
    };
    let mut runs = vec![(
        format!("words, {set}, plain Louvain (resolution 1)"),
        None,
        Tuning {
            resolution: 1.0,
            ..Tuning::default()
        },
    )];
    if let Some(e) = &embeddings {
        runs.push((
            format!("meaning, {set}, plain Louvain (resolution 1)"),
            Some(e),
            Tuning {
                resolution: 1.0,
                ..Tuning::default()
            },
        ));
        for k in [5, 8, 10, 14, 20, 40] {
            runs.push((
                format!("meaning, {set}, {k} neighbours"),
                Some(e),
                Tuning {
                    neighbours: k,
                    ..Tuning::default()
                },
            ));
        }
    }
    for (name, e, tuning) in runs {
        let started = Instant::now();
        let c = cluster_tuned(&corpus, e, &opts, &tuning, &|_, _, _| {});
        let predicted: Vec<i64> = corpus
            .ticket_doc
            .iter()
            .map(|&d| {
                if d == NO_DOC {
                    -1
                } else {
                    i64::from(c.doc_topic[d as usize])
                }
            })
            .collect();
        row(
            &name,
            labels.len(),
            c.topics,
            agreement(&predicted, &labels),
            started.elapsed().as_secs_f64(),
        );
    }
}

/// The tickets of `files` cleaned and analyzed as `deflect mine` does, in
/// English, for clustering them directly.
fn corpus_of(files: &[PathBuf]) -> Corpus {
    let analyzers = Analyzers::new(Some(tantivy::tokenizer::Language::English));
    let mut corpus = Corpus::default();
    for f in files {
        let tickets: Vec<_> = TicketReader::open(f, None, &ColumnOverrides::default())
            .expect("open")
            .filter_map(|r| match r {
                Row::Ticket(t) => Some(t),
                Row::Bad(_) => None,
            })
            .collect();
        corpus.add_batch(&analyzers, &tickets);
    }
    corpus
}

fn row(run: &str, tickets: usize, topics: usize, a: Agreement, secs: f64) {
    println!(
        "{run:<44} {tickets:>7} {topics:>7} {:>6.1} {:>6.1} {:>6.1} {secs:>7.2}",
        a.nmi * 100.0,
        a.ari * 100.0,
        a.accuracy * 100.0
    );
}

fn scale(files: &[PathBuf]) {
    let sizes: Vec<usize> = std::env::var("MINE_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    let (messages, _) = gold(files);
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = env!("CARGO_BIN_EXE_deflect");
    let articles = Path::new(env!("CARGO_MANIFEST_DIR")).join("articles");
    let kb = dir.path().join("articles");
    copy_dir(&articles, &kb);
    let index = dir.path().join("index");
    let built = Command::new(bin)
        .args(["index", "--articles"])
        .arg(&kb)
        .arg("--index")
        .arg(&index)
        .env("DEFLECT_LOG", "warn")
        .output()
        .expect("deflect index");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    println!("mine/scale — `deflect mine` end to end (read → report, coverage against {} articles), seed {SEED}, {} cores", walkdir::WalkDir::new(&kb).into_iter().flatten().filter(|e| e.path().extension().is_some_and(|x| x == "md")).count(), std::thread::available_parallelism().map_or(1, |n| n.get()));
    println!(
        "{:>10} {:>9} {:>9} {:>8} {:>10} {:>12} {:>10}",
        "tickets", "file MB", "distinct", "topics", "time s", "tickets/s", "peak RSS MB"
    );
    for &n in &sizes {
        let csv = dir.path().join(format!("tickets-{n}.csv"));
        generate::write_tickets(&csv, &messages, n, SEED).expect("write tickets");
        let mb = std::fs::metadata(&csv).map_or(0, |m| m.len()) as f64 / 1e6;
        let out = dir.path().join(format!("out-{n}"));
        let started = Instant::now();
        let mut child = Command::new(bin)
            .arg("mine")
            .arg(&csv)
            .arg("--out")
            .arg(&out)
            .arg("--articles")
            .arg(&kb)
            .arg("--index")
            .arg(&index)
            .arg("--seed")
            .arg(SEED.to_string())
            .env("DEFLECT_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("run deflect mine");
        let status_path = format!("/proc/{}/status", child.id());
        let mut peak_kb = 0u64;
        let status = loop {
            if let Ok(status) = std::fs::read_to_string(&status_path) {
                if let Some(kb) = vm_hwm_kb(&status) {
                    peak_kb = peak_kb.max(kb);
                }
            }
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let secs = started.elapsed().as_secs_f64();
        assert!(status.success(), "deflect mine failed on {n} tickets");
        let report: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("report.json")).expect("report.json"),
        )
        .expect("JSON");
        let s = &report["summary"];
        println!(
            "{:>10} {:>9.1} {:>9} {:>8} {:>10.1} {:>12.0} {:>10.0}",
            n,
            mb,
            s["distinct"].as_u64().unwrap_or(0),
            s["topics"].as_u64().unwrap_or(0),
            secs,
            n as f64 / secs,
            peak_kb as f64 / 1024.0
        );
        let _ = std::fs::remove_file(&csv);
    }
}

fn vm_hwm_kb(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk articles");
        let target = to.join(entry.path().strip_prefix(from).expect("relative"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
