//! Typo tolerance: finds the words of the index vocabulary within a few
//! edits of a query word (a transposition counts as one edit), by running a
//! Levenshtein automaton over the term dictionary. Words of 4–7 characters
//! tolerate one edit, longer words two, shorter words none. The corrections
//! become ordinary scored terms, so a corrected word ranks by BM25 like any
//! other (with a penalty), is highlighted in snippets, and can be offered
//! back as "did you mean". Only words of articles the searcher's audience
//! may read are candidates ([`Visible`]): a draft's vocabulary never leaks.

use std::collections::HashMap;
use std::sync::LazyLock;

use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder, DFA};
use tantivy::schema::Field;
use tantivy::Searcher;
use tantivy_fst::Automaton;

use super::visible::Visible;
use super::Result;

/// A vocabulary word close to a query word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub word: String,
    /// Edits from the query word (1 or 2).
    pub distance: u8,
    /// Documents containing it, over the searched fields.
    pub doc_freq: u64,
}

/// Edits tolerated in a word of this length.
pub fn max_edits(word: &str) -> u8 {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

static BUILDERS: LazyLock<[LevenshteinAutomatonBuilder; 2]> = LazyLock::new(|| {
    [
        LevenshteinAutomatonBuilder::new(1, true),
        LevenshteinAutomatonBuilder::new(2, true),
    ]
});

/// Adapts a Levenshtein DFA to the term dictionary's automaton interface.
struct Lev<'a>(&'a DFA);

impl Automaton for Lev<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// Up to `limit` words of `fields` within [`max_edits`] of `word` (the word
/// itself excluded) found in `visible` documents: closest first, then most
/// frequent, then alphabetical.
pub fn corrections(
    searcher: &Searcher,
    visible: &Visible,
    fields: &[Field],
    word: &str,
    limit: usize,
) -> Result<Vec<Correction>> {
    let edits = max_edits(word);
    if edits == 0 {
        return Ok(Vec::new());
    }
    let dfa = BUILDERS[usize::from(edits - 1)].build_dfa(word);
    let mut found: HashMap<String, u8> = HashMap::new();
    for segment in searcher.segment_readers() {
        for field in fields {
            let inverted = segment.inverted_index(*field)?;
            let mut stream = inverted.terms().search(Lev(&dfa)).into_stream()?;
            while stream.advance() {
                let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if candidate == word {
                    continue;
                }
                let Distance::Exact(distance) = dfa.eval(candidate) else {
                    continue;
                };
                found.entry(candidate.to_string()).or_insert(distance);
            }
        }
    }
    let mut out: Vec<Correction> = Vec::with_capacity(found.len());
    for (word, distance) in found {
        let mut doc_freq = 0;
        for field in fields {
            doc_freq += visible.doc_freq(searcher, *field, &word, u64::MAX)?;
        }
        if doc_freq > 0 {
            out.push(Correction {
                word,
                distance,
                doc_freq,
            });
        }
    }
    out.sort_by(|a, b| {
        a.distance
            .cmp(&b.distance)
            .then(b.doc_freq.cmp(&a.doc_freq))
            .then_with(|| a.word.cmp(&b.word))
    });
    out.truncate(limit);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_by_length() {
        assert_eq!(max_edits("2fa"), 0);
        assert_eq!(max_edits("plan"), 1);
        assert_eq!(max_edits("passwrd"), 1);
        assert_eq!(max_edits("pasword1"), 2);
    }

    #[test]
    fn transposition_is_one_edit() {
        let dfa = BUILDERS[0].build_dfa("refund");
        assert_eq!(dfa.eval("rfeund"), Distance::Exact(1));
        assert_eq!(dfa.eval("refudn"), Distance::Exact(1));
        assert_eq!(dfa.eval("rfeudn"), Distance::AtLeast(2));
    }
}
