//! `deflect eval FILE`: runs golden queries through the customers' search and
//! prints MRR, P@1, Recall@5 and Recall@10, then every query whose expected
//! article is missing from the top k, with where it ranked.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::config::Config;
use crate::eval;
use crate::index::Mode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Golden queries: JSONL (`{"query": ..., "expected": [slug, ...]}`) or CSV (`query,expected_slug`).
    pub file: PathBuf,
    /// Depth that counts as found when listing misses.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub k: u16,
    /// Print JSON, with the rank of the first expected article for every query.
    #[arg(long)]
    pub json: bool,
    /// Locale to search in [default: the configured default locale].
    #[arg(long)]
    pub locale: Option<String>,
}

pub fn run(config: Config, args: Args) -> Result<ExitCode> {
    let golden = load(&args.file)?;
    let library = super::open_library(&config)?;
    let locale = super::locale_arg(&config, args.locale.as_deref())?;
    let outcomes = eval::run(library.index(), &locale, &golden)?;
    let m = eval::metrics(&outcomes);
    // With a sentence model, the three rankings side by side (the default,
    // hybrid, is the one whose misses are listed).
    let mut modes: Vec<(&str, eval::Metrics)> = Vec::new();
    if library.index().semantic().is_some() {
        for (name, mode) in [("lexical", Mode::Lexical), ("semantic", Mode::Semantic)] {
            let of = eval::run_mode(library.index(), &locale, &golden, mode)?;
            modes.push((name, eval::metrics(&of)));
        }
        modes.push(("hybrid", m));
    }
    let k = usize::from(args.k);
    let misses: Vec<&eval::Outcome> = outcomes
        .iter()
        .filter(|o| o.rank.is_none_or(|r| r > k))
        .collect();
    if args.json {
        let queries: Vec<_> = outcomes
            .iter()
            .map(|o| json!({ "query": o.query, "expected": o.expected, "rank": o.rank, "ranks": o.ranks, "top": o.top }))
            .collect();
        let mut out = json!({ "file": args.file, "locale": locale, "k": k, "metrics": m, "misses": misses.len(), "queries": queries });
        if !modes.is_empty() {
            out["modes"] = modes
                .iter()
                .map(|(name, m)| (name.to_string(), json!(m)))
                .collect();
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if modes.is_empty() {
        println!("{}", summary(&m));
    } else {
        for (name, metrics) in &modes {
            println!("{name:<9} {}", summary(metrics));
        }
    }
    if !misses.is_empty() {
        println!(
            "\n{} queries miss their article in the top {k}:",
            misses.len()
        );
        for o in misses {
            let rank = o
                .rank
                .map_or(format!("not in the top {}", eval::DEPTH), |r| {
                    format!("ranked {r}")
                });
            println!("  {:?} → {} ({rank})", o.query, o.expected.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a golden file, turning its problems into one error listing them all.
pub fn load(path: &std::path::Path) -> Result<Vec<eval::GoldenQuery>> {
    eval::from_file(path).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        anyhow::anyhow!("golden queries file has problems:\n{}", lines.join("\n"))
    })
}

/// One line with every figure.
pub fn summary(m: &eval::Metrics) -> String {
    format!(
        "{} queries  MRR {:.3}  P@1 {:.3}  Recall@5 {:.3}  Recall@10 {:.3}  Success@5 {:.3}",
        m.queries, m.mrr, m.p_at_1, m.recall_at_5, m.recall_at_10, m.success_at_5
    )
}
