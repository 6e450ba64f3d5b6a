//! What a query word is worth. BM25 weighs a word by how few articles use
//! it, and a small help center gets that wrong for the words a question is
//! built from: in 38 statement-style titles "how", "my" and "can" are rare,
//! so they weighed as much as "refund", and "how do i get my money back"
//! ranked "Bank sync errors and how to fix them" second for its "how".
//!
//! A *question word* here (interrogatives, pronouns, auxiliaries, light
//! verbs, politeness) is weighed as if at least [`COMMON_SHARE`] of the
//! articles used it — what ordinary text says about such words — and never
//! more than BM25 gives it. In a collection whose titles are questions these
//! words are already that common, so nothing changes there (CovidFAQ keeps
//! its ranking); they still count, so "how" still prefers a "How …" title
//! among equals, and the phrase bonus still rewards the customer's exact
//! wording.

use tantivy::{Searcher, Term};

/// The share of articles a question word is assumed to appear in at least:
/// half, as "how" or "my" do in ordinary prose. (A quarter left "how" in one
/// title of ten worth 0.58 of a content word, enough to lift that title over
/// an article whose body has the customer's one real word; CovidFAQ lexical
/// MRR 0.646 at a quarter, 0.648 at half.)
const COMMON_SHARE: f64 = 0.5;

/// Question words per language group, lowercased and ASCII-folded as the
/// exact analyzer leaves them (words the stop-word filter already drops are
/// left out). Groups without a list weigh every word by BM25 alone.
const QUESTION_WORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "how",
            "what",
            "why",
            "when",
            "where",
            "who",
            "whom",
            "whose",
            "which",
            "do",
            "does",
            "did",
            "doing",
            "done",
            "can",
            "cannot",
            "could",
            "should",
            "would",
            "may",
            "might",
            "must",
            "shall",
            "am",
            "been",
            "being",
            "have",
            "has",
            "had",
            "i",
            "im",
            "ive",
            "me",
            "my",
            "mine",
            "myself",
            "we",
            "us",
            "our",
            "you",
            "your",
            "he",
            "she",
            "him",
            "her",
            "his",
            "its",
            "them",
            "get",
            "gets",
            "got",
            "getting",
            "want",
            "wanted",
            "need",
            "needs",
            "please",
            "hi",
            "hello",
            "hey",
            "thanks",
            "thank",
            "anyone",
            "someone",
            "something",
            "anything",
            "any",
            "some",
            "just",
            "also",
            "still",
            "so",
            "dont",
            "doesnt",
            "cant",
            "isnt",
            // What the tokenizer leaves of "don't", "I'm", "I've", "you'll".
            "don",
            "doesn",
            "didn",
            "isn",
            "t",
            "s",
            "m",
            "ve",
            "ll",
        ],
    ),
    (
        "fr",
        &[
            "comment", "pourquoi", "quand", "ou", "qui", "quoi", "quel", "quelle", "quels",
            "quelles", "est", "puis", "peux", "peut", "pouvez", "faire", "fais", "fait", "dois",
            "doit", "veux", "voudrais", "obtenir", "bonjour", "merci", "svp",
        ],
    ),
    (
        "de",
        &[
            "wie", "was", "warum", "wann", "wo", "wer", "welche", "welcher", "welches", "kann",
            "konnen", "ich", "mein", "meine", "meinen", "mich", "mir", "bitte", "hallo", "danke",
        ],
    ),
    (
        "es",
        &[
            "como", "que", "por", "cuando", "donde", "quien", "cual", "puedo", "puede", "hacer",
            "mi", "mis", "yo", "hola", "gracias",
        ],
    ),
];

/// The question words of one language group, and the searcher's article
/// counts to weigh them with.
pub(super) struct Worth<'a> {
    searcher: &'a Searcher,
    words: &'static [&'static str],
    /// Articles in the index, counted once per query.
    articles: f64,
}

impl<'a> Worth<'a> {
    pub fn new(searcher: &'a Searcher, language: &str) -> Self {
        let words = QUESTION_WORDS
            .iter()
            .find(|(code, _)| *code == language)
            .map_or(&[][..], |(_, words)| *words);
        Worth {
            searcher,
            words,
            articles: searcher.num_docs() as f64,
        }
    }

    /// Whether `word` (as the exact analyzer left it) only asks.
    pub fn asks(&self, word: &str) -> bool {
        self.words.contains(&word)
    }

    /// The factor (≤ 1) that brings `term`'s BM25 weight down to what it
    /// would have if [`COMMON_SHARE`] of the articles used it.
    pub fn factor(&self, term: &Term) -> f32 {
        let n = self.articles;
        let df = self.searcher.doc_freq(term).unwrap_or(0) as f64;
        if df == 0.0 || n == 0.0 {
            return 1.0;
        }
        let common = df.max((COMMON_SHARE * n).ceil());
        (idf(n, common) / idf(n, df)).min(1.0) as f32
    }
}

/// BM25's inverse document frequency, as tantivy computes it.
fn idf(n: f64, df: f64) -> f64 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_common_word_keeps_its_weight_and_a_rare_one_loses_some() {
        assert!((idf(40.0, 10.0) / idf(40.0, 10.0) - 1.0).abs() < 1e-9);
        let rare = idf(40.0, 10.0) / idf(40.0, 1.0);
        assert!(rare < 0.5 && rare > 0.2, "{rare}");
    }

    #[test]
    fn lists_are_as_the_exact_analyzer_leaves_words() {
        let mut exact = super::super::schema::analyzer(None, false);
        for (_, words) in QUESTION_WORDS {
            for word in *words {
                let tokens = super::super::schema::tokens(&mut exact, word);
                assert_eq!(tokens.len(), 1, "{word}");
                assert_eq!(tokens[0].1, *word, "{word} is not lowercase ASCII");
            }
        }
    }
}
