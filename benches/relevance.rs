//! Relevance on real user questions (CovidFAQ): each of the 68 FAQ entries
//! becomes an article (title = question, body = answer) in a temp dir, the
//! real index is built, and the 1,387 real user questions are searched; an
//! answer counts when it is any FAQ entry with the user question's answer.
//! The same questions are scored by a plain BM25 reference (lowercased
//! alphanumeric tokens, no stemming, k1 = 1.2, b = 0.75, title and body as one
//! field), then both runs are repeated with one seeded random typo (insert,
//! delete, substitute or transpose) in one word of 5+ letters per question.
//!
//! Reads `../shared/data/covidfaq/query_answer_pairs.json`; prints a note and
//! exits when it is absent (the data is never copied into the repo).
//! Run: `cargo bench --bench relevance`.

mod common;

use std::collections::HashMap;
use std::path::Path;

use deflect::eval::{self, GoldenQuery, Metrics};
use deflect::index::Mode;
use deflect::Library;

#[derive(serde::Deserialize)]
struct Pair {
    query_type: String,
    question: String,
    answer: String,
    id: String,
}

fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/covidfaq/query_answer_pairs.json");
    let Ok(text) = std::fs::read_to_string(&data) else {
        eprintln!(
            "relevance: {} not found — nothing to measure",
            data.display()
        );
        return;
    };
    let pairs: Vec<Pair> = serde_json::from_str(&text).expect("CovidFAQ JSON");
    let faqs: Vec<&Pair> = pairs.iter().filter(|p| p.query_type == "faq").collect();
    let users: Vec<&Pair> = pairs
        .iter()
        .filter(|p| p.query_type == "user_query")
        .collect();

    let dir = tempfile::tempdir().expect("temp dir");
    let articles = dir.path().join("articles");
    std::fs::create_dir_all(articles.join("faq")).expect("mkdir");
    let mut by_answer: HashMap<&str, Vec<String>> = HashMap::new();
    for faq in &faqs {
        let slug = format!("faq/faq-{}", faq.id);
        let title = serde_json::to_string(faq.question.trim()).expect("title");
        std::fs::write(
            articles.join(format!("faq/faq-{}.md", faq.id)),
            format!("---\ntitle: {title}\n---\n{}\n", faq.answer),
        )
        .expect("write article");
        by_answer.entry(faq.answer.trim()).or_default().push(slug);
    }
    let golden: Vec<GoldenQuery> = users
        .iter()
        .enumerate()
        .map(|(i, u)| GoldenQuery {
            query: u.question.clone(),
            expected: by_answer.get(u.answer.trim()).cloned().unwrap_or_default(),
            line: i + 1,
        })
        .filter(|g| !g.expected.is_empty())
        .collect();

    let model = common::bench_model("relevance");
    let (library, report) =
        Library::open_with(&articles, &dir.path().join("index"), "en", model.clone())
            .expect("index");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let bm25 = Bm25::new(
        faqs.iter()
            .map(|f| {
                (
                    format!("faq/faq-{}", f.id),
                    format!("{} {}", f.question, f.answer),
                )
            })
            .collect(),
    );

    let typo_golden: Vec<GoldenQuery> = {
        let mut rng = SplitMix(0x5eed_cafe);
        golden
            .iter()
            .map(|g| GoldenQuery {
                query: add_typo(&g.query, &mut rng),
                ..g.clone()
            })
            .collect()
    };
    let run_mode = |g: &[GoldenQuery], mode: Mode| {
        eval::metrics(&eval::run_mode(library.index(), "en", g, mode).expect("search"))
    };
    let run_bm25 = |g: &[GoldenQuery]| {
        let outcomes: Vec<_> = g
            .iter()
            .map(|q| eval::outcome(q, &bm25.rank(&q.query)))
            .collect();
        eval::metrics(&outcomes)
    };
    let started = std::time::Instant::now();
    let mut rows = vec![(
        "deflect lexical",
        run_mode(&golden, Mode::Lexical),
        run_mode(&typo_golden, Mode::Lexical),
    )];
    if model.is_some() {
        for (name, mode) in [("semantic only", Mode::Semantic), ("hybrid", Mode::Hybrid)] {
            rows.push((name, run_mode(&golden, mode), run_mode(&typo_golden, mode)));
        }
    }
    rows.push(("BM25 reference", run_bm25(&golden), run_bm25(&typo_golden)));
    if let Ok(path) = std::env::var("RELEVANCE_DUMP") {
        dump(library.index(), model.as_deref(), &faqs, &golden, &path);
    }
    if model.is_some() {
        answers_calibration(library.index(), &golden);
    }
    println!(
        "CovidFAQ: {} FAQ articles, {} user questions ({} evaluated in {:.1}s)\n",
        faqs.len(),
        users.len(),
        golden.len() * 2 * rows.len(),
        started.elapsed().as_secs_f64()
    );
    print_rows(&rows);
    if let Some(model) = model {
        described_support_articles(model);
    }
}

/// A second set, where the words are strong: each Microsoft 365 support
/// article's front-matter `description` (a sentence or two its writers put
/// above the article for web search, never indexed by deflect) is asked as
/// a query, and its own article is the answer. Shows whether fusing
/// meaning in drags down the better of the two rankings (the aim: by no
/// more than 0.01 MRR). Needs `../shared/corpora/officedocs-support.tar.gz`; the passages'
/// embeddings are cached in `RELEVANCE_INDEX` (default: a temp dir) so a
/// second run embeds nothing.
fn described_support_articles(model: std::sync::Arc<deflect::semantic::Model>) {
    let Some(archive) = common::corpus_archives()
        .into_iter()
        .find(|a| a.to_string_lossy().contains("officedocs-support"))
    else {
        eprintln!("relevance: no officedocs-support corpus — second set skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let articles = dir.path().join("articles");
    std::fs::create_dir_all(&articles).expect("articles dir");
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&articles)
        .status()
        .expect("run tar");
    assert!(status.success(), "tar: {status}");
    let golden: Vec<GoldenQuery> = deflect::articles::load::list_files(&articles)
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(articles.join(path)).ok()?;
            Some((path, description(&text)?))
        })
        .enumerate()
        .map(|(i, (path, query))| GoldenQuery {
            query,
            expected: vec![deflect::articles::derive_slug(path)],
            line: i + 1,
        })
        .collect();
    let index_dir = std::env::var_os("RELEVANCE_INDEX")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("index"));
    let started = std::time::Instant::now();
    let (library, _) = Library::open_with(&articles, &index_dir, "en", Some(model)).expect("index");
    eprintln!(
        "support corpus indexed and embedded in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    let run = |mode: Mode| {
        eval::metrics(&eval::run_mode(library.index(), "en", &golden, mode).expect("search"))
    };
    println!(
        "\nMicrosoft 365 support: {} articles' descriptions asked as queries",
        golden.len()
    );
    println!(
        "{:<16} {:>6} {:>6} {:>10} {:>10}",
        "system", "MRR", "P@1", "Success@5", "Success@10"
    );
    for (name, mode) in [
        ("deflect lexical", Mode::Lexical),
        ("semantic only", Mode::Semantic),
        ("hybrid", Mode::Hybrid),
    ] {
        let m = run(mode);
        println!(
            "{name:<16} {:>6.3} {:>6.3} {:>10.3} {:>10.3}",
            m.mrr, m.p_at_1, m.success_at_5, m.success_at_10
        );
    }
}

/// A front matter's one-line `description:`, unquoted (folded or
/// multi-line ones are left out).
fn description(text: &str) -> Option<String> {
    let front = text.strip_prefix("---")?.split("\n---").next()?;
    let line = front.lines().find_map(|l| l.strip_prefix("description:"))?;
    let d = line.trim().trim_matches(|c| c == '"' || c == '\'');
    (d.len() >= 20 && !d.starts_with(['>', '|'])).then(|| d.to_string())
}

/// How far the closest article in meaning can be trusted to answer a
/// question, which mining's coverage check rests on: for each user
/// question, the article closest to it and their cosine; at each cut-off,
/// the share of questions it calls answered whose closest article is a
/// right answer (precision), and the share of rightly answered questions it
/// keeps (recall).
fn answers_calibration(index: &deflect::index::SearchIndex, golden: &[GoldenQuery]) {
    let closest: Vec<(f32, bool)> = golden
        .iter()
        .filter_map(|g| {
            let (a, c) = index
                .closest_by_meaning(&g.query, "en", deflect::index::Audience::Public, 0.0)
                .expect("closest")?;
            Some((c.best(), g.expected.contains(&a.slug)))
        })
        .collect();
    let right = closest.iter().filter(|c| c.1).count();
    println!(
        "\ncoverage by meaning: the closest article of {} questions, {right} of them a right answer",
        closest.len()
    );
    println!(
        "{:>8} {:>10} {:>8} {:>8}",
        "cosine ≥", "answered", "precision", "recall"
    );
    for step in 0..=8 {
        let cut = 0.4 + 0.05 * step as f32;
        let called: Vec<&(f32, bool)> = closest.iter().filter(|c| c.0 >= cut).collect();
        let good = called.iter().filter(|c| c.1).count();
        println!(
            "{cut:>8.2} {:>10} {:>8.3} {:>8.3}",
            called.len(),
            good as f64 / called.len().max(1) as f64,
            good as f64 / right.max(1) as f64
        );
    }
}

/// Writes each query's lexical and semantic top 50 (slug, score) and its
/// expected slugs as JSON lines, for designing the fusion offline; with a
/// model, also its cosine with every FAQ's title and with its title and
/// answer as one passage.
fn dump(
    index: &deflect::index::SearchIndex,
    model: Option<&deflect::semantic::Model>,
    faqs: &[&Pair],
    golden: &[GoldenQuery],
    path: &str,
) {
    use std::io::Write;
    let texts: Vec<(String, String, String)> = faqs
        .iter()
        .map(|f| {
            let title = f.question.trim().to_string();
            let passage = format!("{title}. {}", f.answer.trim());
            (format!("faq/faq-{}", f.id), title, passage)
        })
        .collect();
    let embedded: Vec<(Vec<f32>, Vec<f32>)> = match model {
        Some(m) => texts
            .iter()
            .map(|(_, t, p)| (m.embed(t), m.embed(p)))
            .collect(),
        None => Vec::new(),
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("dump file"));
    for g in golden {
        let req = deflect::index::SearchRequest {
            query: &g.query,
            locale: "en",
            category: None,
            limit: 50,
            offset: 0,
            audience: deflect::index::Audience::Public,
        };
        let list = |mode| -> Vec<(String, f32)> {
            index
                .search_with(&req, mode)
                .expect("search")
                .hits
                .into_iter()
                .map(|h| (h.slug, h.score))
                .collect()
        };
        let q = model.map(|m| m.embed(&g.query)).unwrap_or_default();
        let cos = |passage: bool| -> HashMap<&str, f32> {
            texts
                .iter()
                .zip(&embedded)
                .map(|((slug, _, _), (t, p))| {
                    let v = if passage { p } else { t };
                    (slug.as_str(), deflect::semantic::dot(&q, v))
                })
                .collect()
        };
        let line = serde_json::json!({
            "query": g.query, "expected": g.expected,
            "lexical": list(Mode::Lexical), "semantic": list(Mode::Semantic),
            "title_cos": cos(false), "passage_cos": cos(true),
        });
        writeln!(out, "{line}").expect("write dump");
    }
}

fn print_rows(rows: &[(&str, Metrics, Metrics)]) {
    println!(
        "{:<16} {:>6} {:>6} {:>10} {:>10} | {:>9} {:>10} {:>9}",
        "system", "MRR", "P@1", "Success@5", "Success@10", "typo MRR", "typo S@5", "MRR kept"
    );
    for (name, clean, typo) in rows {
        print_row(name, clean, typo);
    }
}

fn print_row(name: &str, clean: &Metrics, typo: &Metrics) {
    println!(
        "{:<16} {:>6.3} {:>6.3} {:>10.3} {:>10.3} | {:>9.3} {:>10.3} {:>8.1}%",
        name,
        clean.mrr,
        clean.p_at_1,
        clean.success_at_5,
        clean.success_at_10,
        typo.mrr,
        typo.success_at_5,
        100.0 * typo.mrr / clean.mrr
    );
}

/// Lowercased alphanumeric runs.
fn plain_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| t.to_lowercase())
        .collect()
}

/// The reference: Okapi BM25 over one field, no stemming, no stop words.
struct Bm25 {
    docs: Vec<(String, HashMap<String, f64>, f64)>,
    df: HashMap<String, f64>,
    avg_len: f64,
}

impl Bm25 {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;

    fn new(docs: Vec<(String, String)>) -> Bm25 {
        let mut df: HashMap<String, f64> = HashMap::new();
        let docs: Vec<(String, HashMap<String, f64>, f64)> = docs
            .into_iter()
            .map(|(id, text)| {
                let tokens = plain_tokens(&text);
                let mut tf: HashMap<String, f64> = HashMap::new();
                for t in &tokens {
                    *tf.entry(t.clone()).or_default() += 1.0;
                }
                for t in tf.keys() {
                    *df.entry(t.clone()).or_default() += 1.0;
                }
                (id, tf, tokens.len() as f64)
            })
            .collect();
        let avg_len = docs.iter().map(|d| d.2).sum::<f64>() / docs.len().max(1) as f64;
        Bm25 { docs, df, avg_len }
    }

    /// Document ids by descending score (ties by id); only matching documents.
    fn rank(&self, query: &str) -> Vec<String> {
        let n = self.docs.len() as f64;
        let terms = plain_tokens(query);
        let mut scored: Vec<(f64, &str)> = self
            .docs
            .iter()
            .map(|(id, tf, len)| {
                let score: f64 = terms
                    .iter()
                    .filter_map(|t| {
                        let f = *tf.get(t)?;
                        let df = self.df[t];
                        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                        Some(
                            idf * f * (Self::K1 + 1.0)
                                / (f + Self::K1 * (1.0 - Self::B + Self::B * len / self.avg_len)),
                        )
                    })
                    .sum();
                (score, id.as_str())
            })
            .filter(|(s, _)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        scored.into_iter().map(|(_, id)| id.to_string()).collect()
    }
}

/// A small seeded generator, so the typo set is the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn letter(&mut self) -> char {
        (b'a' + self.below(26) as u8) as char
    }
}

/// One random edit in one random word of 5+ letters (unchanged when the
/// question has none).
fn add_typo(query: &str, rng: &mut SplitMix) -> String {
    let words: Vec<&str> = query.split(' ').collect();
    let long: Vec<usize> = (0..words.len())
        .filter(|&i| {
            words[i].chars().filter(|c| c.is_alphabetic()).count() >= 5
                && words[i].chars().all(|c| c.is_alphabetic())
        })
        .collect();
    if long.is_empty() {
        return query.to_string();
    }
    let target = long[rng.below(long.len())];
    let mut chars: Vec<char> = words[target].chars().collect();
    let at = rng.below(chars.len());
    match rng.below(4) {
        0 => chars.insert(at, rng.letter()),
        1 => {
            chars.remove(at);
        }
        2 => chars[at] = rng.letter(),
        _ => {
            let at = at.min(chars.len() - 2);
            chars.swap(at, at + 1);
        }
    }
    let typo: String = chars.into_iter().collect();
    words
        .iter()
        .enumerate()
        .map(|(i, w)| if i == target { typo.as_str() } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}
