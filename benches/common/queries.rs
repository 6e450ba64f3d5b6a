//! The benches' query sets: CovidFAQ user questions and BANKING77 test
//! texts from `../shared/data` (real customer wording; BANKING77 is parsed as
//! RFC 4180 CSV), topic queries made from indexed titles, and generated
//! queries when `../shared` is absent; plus the as-you-type prefixes derived
//! from them.

use std::path::Path;

use super::generate::{ADJECTIVES, NOUNS, VERBS};
use super::{shared_dir, Rng};

/// A query and where it came from.
#[derive(Debug, Clone)]
pub struct Query {
    /// What the customer typed.
    pub text: String,
    /// Which query set it comes from (`covidfaq`, `banking77`, `titles`, `generated`).
    pub source: &'static str,
}

/// The fixed query set: real customer questions and title topics when
/// `../shared` is present, generated ones otherwise; shuffled with a fixed
/// seed so any run of consecutive queries mixes the sources.
pub fn query_set(titles: &[String]) -> Vec<Query> {
    let mut queries = Vec::new();
    if let Some(shared) = shared_dir() {
        let covid = shared.join("data/covidfaq/query_answer_pairs.json");
        for text in covid_user_queries(&covid) {
            queries.push(Query {
                text,
                source: "covidfaq",
            });
        }
        let banking = shared.join("data/banking77/test.csv");
        for text in banking77_texts(&banking) {
            queries.push(Query {
                text,
                source: "banking77",
            });
        }
    } else {
        let mut rng = Rng::new(0x9e7);
        for _ in 0..1000 {
            let n = rng.range(2, 6);
            let words: Vec<&str> = (0..n)
                .map(|i| match i % 3 {
                    0 => *rng.pick(VERBS),
                    1 => *rng.pick(ADJECTIVES),
                    _ => *rng.pick(NOUNS),
                })
                .collect();
            // Half ask the way customers often do, half type keywords.
            let text = if rng.below(2) == 0 {
                format!("how do I {}", words.join(" "))
            } else {
                words.join(" ")
            };
            queries.push(Query {
                text,
                source: "generated",
            });
        }
    }
    for text in title_queries(titles, 1000) {
        queries.push(Query {
            text,
            source: "titles",
        });
    }
    Rng::new(0xc0ffee).shuffle(&mut queries);
    queries
}

/// The first three words of up to `n` titles, evenly spread over `titles`.
pub fn title_queries(titles: &[String], n: usize) -> Vec<String> {
    if titles.is_empty() {
        return Vec::new();
    }
    let step = (titles.len() / n).max(1);
    titles
        .iter()
        .step_by(step)
        .take(n)
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .filter(|q| !q.is_empty())
        .collect()
}

/// As-you-type prefix of `query`: its first word plus the first half of the
/// second (or the first half of a lone word); `None` when too short.
pub fn suggest_prefix(query: &str) -> Option<String> {
    let words: Vec<&str> = query.split_whitespace().collect();
    let half = |w: &str| -> String {
        let n = w.chars().count();
        w.chars().take(n.div_ceil(2).max(2).min(n)).collect()
    };
    match words.as_slice() {
        [] => None,
        [one] if one.chars().count() < 2 => None,
        [one] => Some(half(one)),
        [first, second, ..] => Some(format!("{first} {}", half(second))),
    }
}

/// The `question` of every `query_type == "user_query"` entry of CovidFAQ's
/// `query_answer_pairs.json`.
pub fn covid_user_queries(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("note: {} not readable; no CovidFAQ queries", path.display());
        return Vec::new();
    };
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).expect("CovidFAQ JSON");
    entries
        .iter()
        .filter(|e| e["query_type"] == "user_query")
        .filter_map(|e| e["question"].as_str())
        .map(|q| q.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|q| !q.is_empty())
        .collect()
}

/// The `text` column of BANKING77's `test.csv` (`text,category`).
pub fn banking77_texts(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!(
            "note: {} not readable; no BANKING77 queries",
            path.display()
        );
        return Vec::new();
    };
    let rows = parse_csv(&text);
    let Some((header, rows)) = rows.split_first() else {
        return Vec::new();
    };
    let col = header
        .iter()
        .position(|h| h == "text")
        .expect("BANKING77 has a `text` column");
    rows.iter()
        .filter_map(|r| r.get(col))
        .map(|q| q.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|q| !q.is_empty())
        .collect()
}

/// RFC 4180 CSV: fields separated by commas, records by CRLF or LF; a field
/// in double quotes may hold commas, line breaks and `""` (one quote).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    // Whether the current record has any content (a trailing newline does
    // not make an empty record).
    let mut started = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                started = true;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if started || !field.is_empty() {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                started = false;
            }
            _ => {
                field.push(c);
                started = true;
            }
        }
    }
    if started || !field.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}
