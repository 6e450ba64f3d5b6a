//! "File saved → searchable" latency of live re-indexing. Both real corpora
//! from `../shared/corpora/*.tar.gz` (else a seeded generated corpus) are
//! indexed into a temp dir, the real `Watcher` runs with the default debounce
//! (`Config::default().debounce`), and then, 30 times each: a new article
//! holding a unique nonsense word is written into an existing folder, and an
//! existing article is edited in place to add one. After each save,
//! `SearchIndex::search` is polled every 5 ms until the word is found
//! (deadline 5 s); the time from the start of the write to the first search
//! that finds it is one sample. Prints every sample and p50/p90/max per kind.
//! A plain `main` (no criterion): each sample is one real event.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deflect::index::{Audience, SearchIndex, SearchRequest};
use deflect::watch::Watcher;
use deflect::Config;

use common::{build_library, percentile, print_report, Corpus, Rng, LOCALE};

/// Saves per kind (new file, edit).
const SAVES: usize = 30;
/// How often the index is searched while waiting.
const POLL: Duration = Duration::from_millis(5);
/// A save not searchable by then counts as missed.
const DEADLINE: Duration = Duration::from_secs(5);

fn found(index: &SearchIndex, word: &str) -> bool {
    let req = SearchRequest {
        query: word,
        locale: LOCALE,
        category: None,
        limit: 1,
        offset: 0,
        audience: Audience::Public,
    };
    index.search(&req).is_ok_and(|r| r.total > 0)
}

/// Runs `save`, then polls until `word` is searchable; `None` past the deadline.
fn time_until_searchable(index: &SearchIndex, word: &str, save: impl FnOnce()) -> Option<Duration> {
    let started = Instant::now();
    save();
    loop {
        if found(index, word) {
            return Some(started.elapsed());
        }
        if started.elapsed() > DEADLINE {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

fn report(kind: &str, samples: &[Option<Duration>]) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut ok: Vec<Duration> = samples.iter().flatten().copied().collect();
    ok.sort();
    let listed: Vec<String> = samples
        .iter()
        .map(|s| s.map_or("MISSED".into(), |d| format!("{:.0}", ms(d))))
        .collect();
    println!("{kind}: samples (ms): {}", listed.join(" "));
    println!(
        "{kind}: n={} p50={:.0} ms  p90={:.0} ms  max={:.0} ms  missed (> {} s)={}",
        ok.len(),
        ms(percentile(&ok, 50.0)),
        ms(percentile(&ok, 90.0)),
        ms(ok.last().copied().unwrap_or_default()),
        DEADLINE.as_secs(),
        samples.len() - ok.len()
    );
}

fn main() {
    let corpus = Corpus::prepare();
    eprintln!("watch_latency: {}", corpus.describe());
    let (library, built, took) = build_library(&corpus, &corpus.index_dir("index"));
    print_report(&built, took);
    let library = Arc::new(library);
    let debounce = Config::default().debounce;
    let _watcher =
        Watcher::spawn(Arc::clone(&library), debounce).expect("watch the articles folder");
    println!(
        "watch_latency: debounce {} ms, poll every {} ms",
        debounce.as_millis(),
        POLL.as_millis()
    );
    let index = library.index();
    let mut rng = Rng::new(0x3a7c4);
    let mut used = HashSet::new();
    let mut fresh_word = |rng: &mut Rng| loop {
        let w = rng.nonsense_word();
        if used.insert(w.clone()) {
            return w;
        }
    };

    // New articles go into an existing folder: a new folder is a rescan.
    let folder = corpus.articles().join(&corpus.names[0]);
    let mut created = Vec::new();
    for i in 0..SAVES {
        let word = fresh_word(&mut rng);
        let path = folder.join(format!("watch-bench-{i}.md"));
        let text = format!(
            "---\ntitle: Watch bench article {i}\ntags: [bench]\n---\n\nThis article mentions {word} once.\n\n## Details\n\nNothing else to see here.\n"
        );
        std::thread::sleep(Duration::from_millis(rng.below(25) as u64)); // do not phase-lock with the debouncer's tick
        created.push(time_until_searchable(index, &word, || {
            std::fs::write(&path, text).expect("write article")
        }));
    }

    // Edits of existing, indexed articles, spread over the corpus.
    let skipped: HashSet<&str> = built.errors.iter().map(|e| e.path.as_str()).collect();
    let files: Vec<String> = corpus
        .files()
        .into_iter()
        .filter(|p| !p.contains("watch-bench-"))
        .filter(|p| !skipped.contains(corpus.articles().join(p).to_string_lossy().as_ref()))
        .collect();
    let step = (files.len() / SAVES).max(1);
    let mut edited = Vec::new();
    for path in files.iter().step_by(step).take(SAVES) {
        let word = fresh_word(&mut rng);
        let full = corpus.articles().join(path);
        let mut text = std::fs::read_to_string(&full).expect("read article");
        text.push_str(&format!("\n\nEdited for the watch bench: {word}.\n"));
        std::thread::sleep(Duration::from_millis(rng.below(25) as u64));
        edited.push(time_until_searchable(index, &word, || {
            std::fs::write(&full, text).expect("edit article")
        }));
    }

    report("new file", &created);
    report("edit", &edited);
    let all: Vec<Option<Duration>> = created.into_iter().chain(edited).collect();
    report("all saves", &all);
}
