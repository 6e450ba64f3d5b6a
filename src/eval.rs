//! Relevance evaluation against golden queries: a file of questions with the
//! articles that should answer them, run through the real search, scored as
//! MRR, P@1, Recall@k and Success@k. `deflect eval` prints the figures and the
//! misses; `deflect check --queries` turns them into a regression guard.
//!
//! Golden files are JSONL (`{"query": "...", "expected": ["slug", ...]}` per
//! line) or CSV (`query,expected_slug`, one row per expected article; rows with
//! the same query are merged). The format follows the extension (`.jsonl`,
//! `.json`, `.csv`).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::index::{Audience, Mode, SearchIndex, SearchRequest};

/// One question and the articles that answer it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoldenQuery {
    pub query: String,
    pub expected: Vec<String>,
    /// 1-based line in the golden file.
    pub line: usize,
}

/// A problem in a golden-queries file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct GoldenError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

/// How one golden query fared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub query: String,
    pub expected: Vec<String>,
    /// 1-based rank of the first expected article, if it was found at all.
    pub rank: Option<usize>,
    /// Rank of every expected article found, by slug.
    pub ranks: Vec<(String, usize)>,
    /// The top results' slugs.
    pub top: Vec<String>,
}

/// The summary figures of an evaluation (all in 0..=1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    pub queries: usize,
    /// Mean of 1/rank of the first expected article (0 when not found).
    pub mrr: f64,
    /// Share of queries whose first result is expected.
    pub p_at_1: f64,
    /// Mean share of a query's expected articles found in the top 5.
    pub recall_at_5: f64,
    pub recall_at_10: f64,
    /// Share of queries with at least one expected article in the top 5.
    pub success_at_5: f64,
    pub success_at_10: f64,
}

/// How deep results are read for ranks (MRR counts ranks up to here).
pub const DEPTH: usize = 100;

/// Parses a golden file's text; the format follows `path`'s extension.
pub fn parse(path: &str, text: &str) -> Result<Vec<GoldenQuery>, Vec<GoldenError>> {
    let err = |line, message: String| GoldenError {
        path: path.to_string(),
        line,
        message,
    };
    let mut errors = Vec::new();
    let mut out: Vec<GoldenQuery> = Vec::new();
    if path.to_ascii_lowercase().ends_with(".csv") {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut by_query: HashMap<String, usize> = HashMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = record
                .as_ref()
                .ok()
                .and_then(|r| r.position())
                .map_or(i + 1, |p| p.line() as usize);
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    errors.push(err(line, format!("unreadable CSV row: {e}")));
                    continue;
                }
            };
            let (query, slug) = (
                record.get(0).unwrap_or("").trim(),
                record.get(1).unwrap_or("").trim(),
            );
            if i == 0 && query.eq_ignore_ascii_case("query") {
                continue; // header
            }
            if query.is_empty() || slug.is_empty() {
                errors.push(err(line, "a row needs a query and an expected slug: `how do I get a refund,billing/refunds`".into()));
                continue;
            }
            match by_query.get(query) {
                Some(&at) => out[at].expected.push(slug.to_string()),
                None => {
                    by_query.insert(query.to_string(), out.len());
                    out.push(GoldenQuery {
                        query: query.to_string(),
                        expected: vec![slug.to_string()],
                        line,
                    });
                }
            }
        }
    } else {
        #[derive(Deserialize)]
        struct Row {
            query: String,
            expected: OneOrMany,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        for (i, raw) in text.lines().enumerate() {
            if raw.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Row>(raw) {
                Ok(row) => {
                    let expected = match row.expected {
                        OneOrMany::One(s) => vec![s],
                        OneOrMany::Many(v) => v,
                    };
                    if row.query.trim().is_empty() || expected.is_empty() {
                        errors.push(err(i + 1, "`query` and `expected` must not be empty".into()));
                    } else {
                        out.push(GoldenQuery { query: row.query, expected, line: i + 1 });
                    }
                }
                Err(e) => errors.push(err(
                    i + 1,
                    format!("{e} — write one JSON object per line: {{\"query\": \"...\", \"expected\": [\"slug\"]}}"),
                )),
            }
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(err(1, "no golden queries in the file".into()));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Reads and parses a golden file.
pub fn from_file(path: &Path) -> Result<Vec<GoldenQuery>, Vec<GoldenError>> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![GoldenError {
            path: shown.clone(),
            line: 1,
            message: format!("cannot read: {e}"),
        }]
    })?;
    parse(&shown, &text)
}

/// Runs every golden query through the customers' search in `locale`, as
/// it ranks by default.
pub fn run(
    index: &SearchIndex,
    locale: &str,
    golden: &[GoldenQuery],
) -> crate::index::Result<Vec<Outcome>> {
    run_mode(index, locale, golden, index.default_mode())
}

/// [`run`] ranked as `mode` says (by words, by meaning, or both).
pub fn run_mode(
    index: &SearchIndex,
    locale: &str,
    golden: &[GoldenQuery],
    mode: Mode,
) -> crate::index::Result<Vec<Outcome>> {
    golden
        .iter()
        .map(|g| {
            let req = SearchRequest {
                query: &g.query,
                locale,
                category: None,
                limit: DEPTH,
                offset: 0,
                audience: Audience::Public,
            };
            let results = index.search_with(&req, mode)?;
            let slugs: Vec<String> = results.hits.into_iter().map(|h| h.slug).collect();
            Ok(outcome(g, &slugs))
        })
        .collect()
}

/// Scores one query's ranked `slugs` against its expected articles.
pub fn outcome(golden: &GoldenQuery, slugs: &[String]) -> Outcome {
    let ranks: Vec<(String, usize)> = golden
        .expected
        .iter()
        .filter_map(|e| {
            slugs
                .iter()
                .position(|s| s == e)
                .map(|p| (e.clone(), p + 1))
        })
        .collect();
    Outcome {
        query: golden.query.clone(),
        expected: golden.expected.clone(),
        rank: ranks.iter().map(|(_, r)| *r).min(),
        ranks,
        top: slugs.iter().take(10).cloned().collect(),
    }
}

/// The summary figures of `outcomes`.
pub fn metrics(outcomes: &[Outcome]) -> Metrics {
    let n = outcomes.len().max(1) as f64;
    let mean = |f: &dyn Fn(&Outcome) -> f64| outcomes.iter().map(f).sum::<f64>() / n;
    let recall = |k: usize| {
        move |o: &Outcome| {
            o.ranks.iter().filter(|(_, r)| *r <= k).count() as f64 / o.expected.len().max(1) as f64
        }
    };
    let success = |k: usize| {
        move |o: &Outcome| {
            if o.rank.is_some_and(|r| r <= k) {
                1.0
            } else {
                0.0
            }
        }
    };
    Metrics {
        queries: outcomes.len(),
        mrr: mean(&|o| o.rank.map_or(0.0, |r| 1.0 / r as f64)),
        p_at_1: mean(&success(1)),
        recall_at_5: mean(&recall(5)),
        recall_at_10: mean(&recall(10)),
        success_at_5: mean(&success(5)),
        success_at_10: mean(&success(10)),
    }
}

impl Metrics {
    /// Recall at `k` (5 or 10).
    pub fn recall_at(&self, k: usize) -> Option<f64> {
        match k {
            5 => Some(self.recall_at_5),
            10 => Some(self.recall_at_10),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden(query: &str, expected: &[&str]) -> GoldenQuery {
        GoldenQuery {
            query: query.into(),
            expected: expected.iter().map(|s| s.to_string()).collect(),
            line: 1,
        }
    }

    fn slugs(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn metrics_on_a_hand_checked_set() {
        let outcomes = vec![
            // first expected at rank 1; one of two expected in the top 5
            outcome(
                &golden("a", &["x", "y"]),
                &slugs(&["x", "p", "q", "r", "s", "t", "y"]),
            ),
            // rank 3
            outcome(&golden("b", &["z"]), &slugs(&["p", "q", "z"])),
            // missing
            outcome(&golden("c", &["w"]), &slugs(&["p"])),
            // rank 6: in the top 10, not the top 5
            outcome(
                &golden("d", &["v"]),
                &slugs(&["a", "b", "c", "d", "e", "v"]),
            ),
        ];
        assert_eq!(outcomes[0].rank, Some(1));
        assert_eq!(outcomes[2].rank, None);
        let m = metrics(&outcomes);
        assert_eq!(m.queries, 4);
        assert!(
            (m.mrr - (1.0 + 1.0 / 3.0 + 0.0 + 1.0 / 6.0) / 4.0).abs() < 1e-12,
            "{}",
            m.mrr
        );
        assert_eq!(m.p_at_1, 0.25);
        assert_eq!(m.recall_at_5, (0.5 + 1.0 + 0.0 + 0.0) / 4.0);
        assert_eq!(m.recall_at_10, (1.0 + 1.0 + 0.0 + 1.0) / 4.0);
        assert_eq!(m.success_at_5, 0.5);
        assert_eq!(m.success_at_10, 0.75);
    }

    #[test]
    fn parses_jsonl_and_csv() {
        let jsonl = "{\"query\": \"refund?\", \"expected\": [\"billing/refunds\"]}\n\n{\"query\": \"2fa\", \"expected\": \"account/2fa\"}\n";
        let g = parse("golden.jsonl", jsonl).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[1].expected, ["account/2fa"]);
        assert_eq!(g[1].line, 3);

        let csv = "query,expected_slug\nrefund?,billing/refunds\n\"money, back\",billing/refunds\nrefund?,billing/policy\n";
        let g = parse("golden.csv", csv).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].expected, ["billing/refunds", "billing/policy"]);
        assert_eq!(g[1].query, "money, back");
    }

    #[test]
    fn bad_rows_name_their_lines() {
        let errors = parse("g.jsonl", "{\"query\": \"a\", \"expected\": [\"x\"]}\nnot json\n{\"query\": \"\", \"expected\": []}\n").unwrap_err();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 3]);
        let errors = parse("g.csv", "query,expected_slug\nonly a query\n").unwrap_err();
        assert_eq!(errors[0].line, 2);
        assert!(parse("g.jsonl", "").is_err());
    }
}
