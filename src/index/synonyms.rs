//! Synonyms the team edits: a plain text file, applied at query time (so an
//! edit needs no re-index) and reloaded live. Format, one rule per line:
//!
//! ```text
//! # a group: any of these words finds the others
//! refund, money back, chargeback
//! # one-way: the left side also finds the right side, not the reverse
//! 2fa => two-factor authentication, two step verification
//! ```
//!
//! Matching is on lowercased, accent-folded words, so `Money Back` in a query
//! matches the `money back` of a rule.

use std::collections::HashMap;
use std::path::Path;

/// A problem in a synonyms file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct SynonymError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

/// Parsed synonym rules: each phrase maps to the phrases it also finds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Synonyms {
    rules: HashMap<Vec<String>, Vec<Vec<String>>>,
    longest: usize,
}

impl Synonyms {
    /// Parses the file's text; `path` only names it in errors. Every problem is
    /// reported, not just the first.
    pub fn parse(path: &str, text: &str) -> Result<Synonyms, Vec<SynonymError>> {
        let mut synonyms = Synonyms::default();
        let mut errors = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: &str| SynonymError {
                path: path.to_string(),
                line: i + 1,
                message: message.to_string(),
            };
            let phrases = |side: &str| -> Vec<Vec<String>> {
                side.split(',')
                    .map(words)
                    .filter(|p| !p.is_empty())
                    .collect()
            };
            if let Some((left, right)) = line.split_once("=>") {
                let (from, to) = (phrases(left), phrases(right));
                if right.contains("=>") {
                    errors.push(err("more than one `=>` — write one rule per line"));
                } else if from.is_empty() || to.is_empty() {
                    errors.push(err("a one-way rule needs words on both sides: `2fa => two-factor authentication`"));
                } else {
                    for f in from {
                        synonyms.add(f, &to);
                    }
                }
            } else {
                let group = phrases(line);
                if group.len() < 2 {
                    errors.push(err(
                        "a group needs at least two comma-separated phrases: `refund, money back`",
                    ));
                    continue;
                }
                for (j, member) in group.iter().enumerate() {
                    let others: Vec<Vec<String>> = group
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| *k != j)
                        .map(|(_, p)| p.clone())
                        .collect();
                    synonyms.add(member.clone(), &others);
                }
            }
        }
        if errors.is_empty() {
            Ok(synonyms)
        } else {
            Err(errors)
        }
    }

    /// Reads and parses a synonyms file.
    pub fn from_file(path: &Path) -> Result<Synonyms, Vec<SynonymError>> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![SynonymError {
                path: shown.clone(),
                line: 1,
                message: format!("cannot read: {e}"),
            }]
        })?;
        Synonyms::parse(&shown, &text)
    }

    fn add(&mut self, from: Vec<String>, to: &[Vec<String>]) {
        self.longest = self.longest.max(from.len());
        let entry = self.rules.entry(from.clone()).or_default();
        for phrase in to {
            if *phrase != from && !entry.contains(phrase) {
                entry.push(phrase.clone());
            }
        }
    }

    /// Number of phrases that have synonyms.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The alternatives for the phrases found in `query` (its words, as
    /// [`words`] splits them): longest match first, left to right.
    pub fn expand(&self, query: &[String]) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < query.len() {
            let mut matched = 0;
            for len in (1..=self.longest.min(query.len() - i)).rev() {
                if let Some(alternatives) = self.rules.get(&query[i..i + len]) {
                    out.extend(alternatives.iter().cloned());
                    matched = len;
                    break;
                }
            }
            i += matched.max(1);
        }
        out
    }
}

/// Lowercased, accent-folded words of `text` (split on anything that is not
/// a letter or digit).
pub fn words(text: &str) -> Vec<String> {
    let mut analyzer = super::schema::analyzer(None, false);
    super::schema::tokens(&mut analyzer, text)
        .into_iter()
        .map(|(_, w)| w)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        words(s)
    }

    #[test]
    fn groups_expand_both_ways_and_one_way_rules_one_way() {
        let s = Synonyms::parse(
            "syn.txt",
            "# comment\nrefund, money back, chargeback\n2FA => two-factor authentication\n",
        )
        .unwrap();
        assert_eq!(
            s.expand(&w("I want a refund")),
            vec![w("money back"), w("chargeback")]
        );
        assert_eq!(
            s.expand(&w("Money Back please")),
            vec![w("refund"), w("chargeback")]
        );
        assert_eq!(
            s.expand(&w("set up 2fa")),
            vec![w("two factor authentication")]
        );
        assert!(
            s.expand(&w("two-factor authentication")).is_empty(),
            "one-way"
        );
        assert!(s.expand(&w("nothing here")).is_empty());
    }

    #[test]
    fn longest_phrase_wins() {
        let s = Synonyms::parse("s", "money, cash\nmoney back, refund\n").unwrap();
        assert_eq!(s.expand(&w("money back now")), vec![w("refund")]);
    }

    #[test]
    fn errors_name_every_bad_line() {
        let errors = Synonyms::parse(
            "synonyms.txt",
            "refund\n\nok, fine\na => \n=> b\nx => y => z\n",
        )
        .unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 4, 5, 6]);
        assert!(
            errors[0]
                .to_string()
                .starts_with("synonyms.txt:1: a group needs"),
            "{}",
            errors[0]
        );
    }
}
