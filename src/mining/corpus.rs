//! Cleaned tickets → distinct questions. Each ticket's text goes through
//! [`super::clean`] and the search analyzer of the run's language (the one
//! the index uses: stop words dropped, words stemmed); tickets whose stemmed
//! words are the same set — whatever their order, case, punctuation,
//! greeting, signature or personal data — are near-duplicates and collapse
//! into one [`Doc`] that keeps their count. Everything after this works on
//! docs, so a help desk's thousand copies of one question cost one.

use std::hash::{Hash, Hasher};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};
use tantivy::tokenizer::{Language, TextAnalyzer};

use super::clean::clean;
use super::input::RawTicket;
use crate::pii;

/// Strings ↔ dense ids.
#[derive(Debug, Default, Clone)]
pub struct Vocab {
    ids: FxHashMap<String, u32>,
    strings: Vec<String>,
}

impl Vocab {
    /// The id of `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.ids.insert(s.to_string(), id);
        self.strings.push(s.to_string());
        id
    }

    /// The id of `s`, if known.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    /// The string of `id`.
    pub fn text(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

/// One distinct question: the first of its near-duplicate tickets.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Cleaned text, personal data masked.
    pub text: String,
    /// Stem ids in text order, stop words and placeholders left out.
    pub stems: Vec<u32>,
    /// The unstemmed word at each position of `stems`.
    pub words: Vec<u32>,
    /// Tickets collapsed into this doc.
    pub count: u32,
    /// Id of the first of them.
    pub first_ticket: u32,
}

/// A ticket once cleaned and analyzed, before it finds its doc.
pub struct Analyzed {
    pub text: String,
    pub stems: Vec<String>,
    pub words: Vec<String>,
    /// Hash of the set of stems: equal for near-duplicates.
    pub key: u64,
}

/// The analyzers of one language: stemmed (for features and keys) and
/// exact (for character n-grams and readable terms).
#[derive(Clone)]
pub struct Analyzers {
    stem: TextAnalyzer,
    exact: TextAnalyzer,
}

impl Analyzers {
    /// The search analyzers for `language` (`None`: no stemming, no stop words).
    pub fn new(language: Option<Language>) -> Analyzers {
        Analyzers {
            stem: crate::index::schema::analyzer(language, true),
            exact: crate::index::schema::analyzer(language, false),
        }
    }

    /// Cleans `parts` (subject, body, …) and analyzes the result.
    pub fn analyze(&mut self, parts: &[String]) -> Analyzed {
        let mut text = String::new();
        for part in parts {
            let cleaned = clean(part);
            if cleaned.is_empty() {
                continue;
            }
            // A web-form subject is often the body's first words.
            let lower = text.to_lowercase();
            if !text.is_empty()
                && cleaned
                    .to_lowercase()
                    .starts_with(lower.trim_end_matches(['.', '?', '!']))
            {
                text = cleaned;
                continue;
            }
            if !text.is_empty() {
                text.push_str(if text.ends_with(['.', '?', '!', ':']) {
                    " "
                } else {
                    ". "
                });
            }
            text.push_str(&cleaned);
        }
        // Placeholders reach the report, not the features: two refund
        // tickets must not differ by whether they quote an order number.
        let mut bare = without_contractions(&text);
        for p in pii::PLACEHOLDERS {
            if bare.contains(p) {
                bare = bare.replace(p, " ");
            }
        }
        let (stems, words) = self.tokens(&bare);
        let mut set: Vec<&str> = stems.iter().map(String::as_str).collect();
        set.sort_unstable();
        set.dedup();
        let mut h = FxHasher::default();
        set.hash(&mut h);
        Analyzed {
            key: h.finish(),
            text,
            stems,
            words,
        }
    }

    /// Stems and exact words of `text`, position by position.
    pub fn tokens(&mut self, text: &str) -> (Vec<String>, Vec<String>) {
        let mut words: Vec<(usize, String)> = Vec::new();
        let mut stream = self.exact.token_stream(text);
        while let Some(t) = stream.next() {
            words.push((t.position, t.text.clone()));
        }
        let mut stems: Vec<String> = Vec::with_capacity(words.len());
        let mut aligned: Vec<String> = Vec::with_capacity(words.len());
        let mut stream = self.stem.token_stream(text);
        let mut w = 0;
        while let Some(t) = stream.next() {
            // Both analyzers split and drop stop words alike, so positions
            // pair up; the search skips a position the other lacks.
            while w < words.len() && words[w].0 < t.position {
                w += 1;
            }
            if w < words.len() && words[w].0 == t.position {
                stems.push(t.text.clone());
                aligned.push(words[w].1.clone());
            }
        }
        (stems, aligned)
    }
}

/// `text` with English contractions undone for analysis: the tokenizer
/// splits on apostrophes, and "isn't" would leave the fragments "isn" and
/// "t" in topic terms ("t recognize"). "n't" becomes " not" ("can't",
/// "won't" as "can not", "will not"); "'s", "'re", "'ve", "'ll", "'m" and
/// "'d" after a letter are dropped. Straight and curly apostrophes alike.
pub fn without_contractions(text: &str) -> String {
    if !text.contains(['\'', '\u{2019}']) {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    let lower = |c: char| c.to_ascii_lowercase();
    while i < chars.len() {
        let c = chars[i];
        let apostrophe = c == '\'' || c == '\u{2019}';
        let after_letter = i > 0 && chars[i - 1].is_alphabetic();
        if apostrophe && after_letter {
            let next = |k: usize| chars.get(i + k).copied().map(lower);
            let ends = |k: usize| chars.get(i + k).is_none_or(|c| !c.is_alphanumeric());
            // "n't": the n is already written; take it back.
            if next(1) == Some('t') && ends(2) && i >= 2 && lower(chars[i - 1]) == 'n' {
                out.pop();
                let stem: String = out
                    .chars()
                    .rev()
                    .take_while(|c| c.is_alphabetic())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<String>()
                    .to_lowercase();
                match stem.as_str() {
                    "ca" => out.push('n'),
                    "wo" => {
                        out.truncate(out.len() - 2);
                        out.push_str("will");
                    }
                    _ => {}
                }
                out.push_str(" not");
                i += 2;
                continue;
            }
            let suffix = [
                ("s", 1),
                ("m", 1),
                ("d", 1),
                ("re", 2),
                ("ve", 2),
                ("ll", 2),
            ]
            .into_iter()
            .find(|(s, n)| {
                ends(n + 1) && s.chars().enumerate().all(|(k, c)| next(k + 1) == Some(c))
            });
            if let Some((_, n)) = suffix {
                i += n + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Distinct questions and the tickets behind them.
#[derive(Debug, Default)]
pub struct Corpus {
    pub docs: Vec<Doc>,
    pub stems: Vocab,
    pub words: Vocab,
    /// Per ticket (in reading order): its doc, or [`NO_DOC`] when cleaning
    /// left no words.
    pub ticket_doc: Vec<u32>,
    by_key: FxHashMap<u64, u32>,
}

/// The doc of a ticket with nothing left to cluster.
pub const NO_DOC: u32 = u32::MAX;

impl Corpus {
    /// Adds one analyzed ticket (its number is `ticket_doc.len()`).
    pub fn add(&mut self, a: Analyzed) {
        if a.stems.is_empty() {
            self.ticket_doc.push(NO_DOC);
            return;
        }
        let ticket = self.ticket_doc.len() as u32;
        let doc = match self.by_key.get(&a.key) {
            Some(&d) => {
                self.docs[d as usize].count += 1;
                d
            }
            None => {
                let d = self.docs.len() as u32;
                let stems = a.stems.iter().map(|s| self.stems.intern(s)).collect();
                let words = a.words.iter().map(|w| self.words.intern(w)).collect();
                self.docs.push(Doc {
                    text: a.text,
                    stems,
                    words,
                    count: 1,
                    first_ticket: ticket,
                });
                self.by_key.insert(a.key, d);
                d
            }
        };
        self.ticket_doc.push(doc);
    }

    /// Cleans and analyzes `batch` in parallel, then adds it in order.
    pub fn add_batch(&mut self, analyzers: &Analyzers, batch: &[RawTicket]) {
        let analyzed: Vec<Analyzed> = batch
            .par_iter()
            .map_init(|| analyzers.clone(), |a, t| a.analyze(&t.parts))
            .collect();
        for a in analyzed {
            self.add(a);
        }
    }

    /// Tickets behind all docs.
    pub fn tickets_in_docs(&self) -> u64 {
        self.docs.iter().map(|d| u64::from(d.count)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contractions_are_undone_for_analysis() {
        let cases = [
            ("My card isn't working", "My card is not working"),
            (
                "I can't log in and won't retry",
                "I can not log in and will not retry",
            ),
            (
                "It doesn\u{2019}t recognize the customer's card",
                "It does not recognize the customer card",
            ),
            (
                "I'm sure we've paid; they'll see",
                "I sure we paid; they see",
            ),
            ("'quoted' and rock'n'roll", "'quoted' and rock'n'roll"),
            ("no apostrophe", "no apostrophe"),
        ];
        for (text, want) in cases {
            assert_eq!(without_contractions(text), want, "{text}");
        }
        // No fragment reaches the features.
        let c = corpus(&["My card isn't recognized, it doesn't work"]);
        let stems: Vec<&str> = c.docs[0].stems.iter().map(|&s| c.stems.text(s)).collect();
        assert!(
            !stems.contains(&"t") && !stems.contains(&"isn"),
            "{stems:?}"
        );
    }

    fn corpus(texts: &[&str]) -> Corpus {
        let analyzers = Analyzers::new(Some(Language::English));
        let batch: Vec<RawTicket> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| RawTicket {
                id: i.to_string(),
                line: i as u64 + 2,
                parts: vec![t.to_string()],
                created: None,
                bad_date: false,
                tags: Vec::new(),
                article: None,
            })
            .collect();
        let mut c = Corpus::default();
        c.add_batch(&analyzers, &batch);
        c
    }

    #[test]
    fn near_duplicates_collapse_with_their_count() {
        let c = corpus(&[
            "Hi, my card has not arrived. Thanks, Anna",
            "Has my card arrived?",
            "MY CARD HAS NOT ARRIVED!!!\n\nSent from my iPhone",
            "my card was declined",
            "Thanks!",
        ]);
        assert_eq!(c.docs.len(), 2, "{:?}", c.docs);
        assert_eq!(c.docs[0].count, 3);
        assert_eq!(c.docs[0].text, "my card has not arrived.");
        assert_eq!(c.ticket_doc, [0, 0, 0, 1, NO_DOC]);
        assert_eq!(c.tickets_in_docs(), 4);
    }

    #[test]
    fn placeholders_are_not_features_but_real_words_are() {
        let c = corpus(&[
            "write to a@b.com about my refund",
            "change my email address",
        ]);
        let stems: Vec<&str> = c.docs[0].stems.iter().map(|&s| c.stems.text(s)).collect();
        assert_eq!(stems, ["write", "about", "my", "refund"]);
        let words: Vec<&str> = c.docs[1].words.iter().map(|&s| c.words.text(s)).collect();
        assert_eq!(words, ["change", "my", "email", "address"]);
    }

    #[test]
    fn a_subject_repeating_the_body_is_said_once() {
        let mut a = Analyzers::new(Some(Language::English));
        let got = a.analyze(&[
            "Card not arrived".into(),
            "Card not arrived yet, ordered 2 weeks ago".into(),
        ]);
        assert_eq!(got.text, "Card not arrived yet, ordered 2 weeks ago");
        let got = a.analyze(&["Refund".into(), "Where is my money?".into()]);
        assert_eq!(got.text, "Refund. Where is my money?");
    }
}
