//! The sentence model: parity with sentence-transformers and speed on this
//! machine.
//!
//! - **Parity**: `reference_embeddings.json` beside the model holds 11
//!   sentences and the vectors sentence-transformers computed; each of ours
//!   must have cosine ≥ 0.999 with its reference (the bench exits non-zero
//!   otherwise).
//! - **Query speed**: every CovidFAQ user question (customer-length), embedded
//!   one at a time on one thread, as a search does; p50, p99 and max.
//! - **Batch throughput**: the same questions and 2,000 passages of up to the
//!   model's length (CovidFAQ answers, repeated with a counter so none is
//!   shared), embedded by `embed_batch` on all cores; texts and tokens a
//!   second.
//!
//! Reads `../shared/models/all-MiniLM-L6-v2` (or `DEFLECT_BENCH_MODEL`) and
//! `../shared/data/covidfaq`; prints a note and exits when absent.
//! Run: `cargo bench --bench semantic`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use deflect::semantic::{dot, Model};

#[derive(serde::Deserialize)]
struct Reference {
    sentences: Vec<String>,
    embeddings: Vec<Vec<f32>>,
}

#[derive(serde::Deserialize)]
struct Pair {
    query_type: String,
    question: String,
    answer: String,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let dir = std::env::var_os("DEFLECT_BENCH_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared.join("models/all-MiniLM-L6-v2"));
    if !dir.join("model.safetensors").exists() {
        eprintln!(
            "semantic: no model at {} — nothing to measure",
            dir.display()
        );
        return;
    }
    let start = Instant::now();
    let model = Model::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    println!("load: {:.0} ms", start.elapsed().as_secs_f64() * 1e3);

    let reference: Reference = serde_json::from_str(
        &std::fs::read_to_string(dir.join("reference_embeddings.json")).expect("reference file"),
    )
    .expect("reference JSON");
    let texts: Vec<&str> = reference.sentences.iter().map(String::as_str).collect();
    let batch = model.embed_batch(&texts);
    let mut worst: f32 = 1.0;
    for ((text, want), got) in texts.iter().zip(&reference.embeddings).zip(&batch) {
        let one = model.embed(text);
        let cos = dot(want, got).min(dot(want, &one));
        worst = worst.min(cos);
        let shown: String = text.chars().take(40).collect();
        println!("parity {cos:.6}  {shown:?}");
    }
    println!(
        "parity: worst cosine {worst:.6} over {} sentences (needs ≥ 0.999)",
        texts.len()
    );

    let data = shared.join("data/covidfaq/query_answer_pairs.json");
    let Ok(text) = std::fs::read_to_string(&data) else {
        eprintln!("semantic: {} not found — no speed figures", data.display());
        assert!(worst >= 0.999, "parity failed");
        return;
    };
    let pairs: Vec<Pair> = serde_json::from_str(&text).expect("CovidFAQ JSON");
    let questions: Vec<&str> = pairs
        .iter()
        .filter(|p| p.query_type == "user_query")
        .map(|p| p.question.as_str())
        .collect();
    for q in questions.iter().take(50) {
        model.embed(q); // warm caches and the allocator
    }
    let mut times = Vec::with_capacity(questions.len());
    let mut tokens = 0;
    for q in &questions {
        tokens += model.token_count(q);
        let t = Instant::now();
        std::hint::black_box(model.embed(q));
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "query (1 thread, {} questions, mean {:.1} tokens): p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        questions.len(),
        tokens as f64 / questions.len() as f64,
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1]
    );

    let t = Instant::now();
    let out = model.embed_batch(&questions);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "batch of questions ({} threads): {:.0} texts/s",
        rayon::current_num_threads(),
        out.len() as f64 / secs
    );

    let answers: Vec<&str> = pairs
        .iter()
        .filter(|p| p.query_type == "faq")
        .map(|p| p.answer.as_str())
        .collect();
    let passages: Vec<String> = (0..2000)
        .map(|i| format!("{} {}", i, answers[i % answers.len()]))
        .collect();
    let refs: Vec<&str> = passages.iter().map(String::as_str).collect();
    let tokens: usize = refs.iter().map(|p| model.token_count(p)).sum();
    let t = Instant::now();
    let out = model.embed_batch(&refs);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "batch of passages: {} passages, mean {:.0} tokens: {:.0} passages/s, {:.0} tokens/s",
        out.len(),
        tokens as f64 / out.len() as f64,
        out.len() as f64 / secs,
        tokens as f64 / secs
    );
    assert!(worst >= 0.999, "parity failed: worst cosine {worst}");
}
