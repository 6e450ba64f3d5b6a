//! Stemming with a memo. Every search stems the words of ten snippet
//! windows (highlighting compares stems), and an index build stems every
//! word of every article, but a language has few distinct words next to how
//! often they recur: each thread stems a word once and then reads it from
//! its own map (no lock on the way). The output is exactly what tantivy's
//! `Stemmer` filter gives; each map is bounded (a full map is emptied and
//! refilled).

use std::cell::RefCell;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;
use tantivy::tokenizer::{Language, Token, TokenFilter, TokenStream, Tokenizer};

/// Words kept per language and thread (a couple of MB at most).
const PER_THREAD: usize = 32 * 1024;

thread_local! {
    /// Stems by word, per language this thread has stemmed.
    static MEMO: RefCell<Vec<(Algorithm, FxHashMap<Box<str>, Box<str>>)>> =
        const { RefCell::new(Vec::new()) };
}

/// A stemming filter for `language`, remembering stems per thread.
#[derive(Clone)]
pub struct CachedStemmer {
    algorithm: Algorithm,
}

impl CachedStemmer {
    pub fn new(language: Language) -> CachedStemmer {
        CachedStemmer {
            algorithm: algorithm(language),
        }
    }
}

/// Replaces `text` with its stem.
fn stem(algorithm: Algorithm, stemmer: &Stemmer, text: &mut String) {
    MEMO.with_borrow_mut(|memo| {
        let map = match memo.iter().position(|(a, _)| *a == algorithm) {
            Some(i) => &mut memo[i].1,
            None => {
                memo.push((algorithm, FxHashMap::default()));
                &mut memo.last_mut().expect("just pushed").1
            }
        };
        if let Some(stem) = map.get(text.as_str()) {
            text.clear();
            text.push_str(stem);
            return;
        }
        let stem = stemmer.stem(text).into_owned();
        if map.len() >= PER_THREAD {
            map.clear();
        }
        map.insert(text.as_str().into(), stem.as_str().into());
        *text = stem;
    });
}

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter {
            stemmer: self,
            inner: tokenizer,
        }
    }
}

#[derive(Clone)]
pub struct CachedStemmerFilter<T> {
    stemmer: CachedStemmer,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: Stemmer::create(self.stemmer.algorithm),
            algorithm: self.stemmer.algorithm,
        }
    }
}

pub struct CachedStemmerStream<T> {
    tail: T,
    stemmer: Stemmer,
    algorithm: Algorithm,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        stem(self.algorithm, &self.stemmer, &mut self.tail.token_mut().text);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// The Snowball algorithm tantivy's `Stemmer` uses for `language`.
fn algorithm(language: Language) -> Algorithm {
    match language {
        Language::Arabic => Algorithm::Arabic,
        Language::Danish => Algorithm::Danish,
        Language::Dutch => Algorithm::Dutch,
        Language::English => Algorithm::English,
        Language::Finnish => Algorithm::Finnish,
        Language::French => Algorithm::French,
        Language::German => Algorithm::German,
        Language::Greek => Algorithm::Greek,
        Language::Hungarian => Algorithm::Hungarian,
        Language::Italian => Algorithm::Italian,
        Language::Norwegian => Algorithm::Norwegian,
        Language::Portuguese => Algorithm::Portuguese,
        Language::Romanian => Algorithm::Romanian,
        Language::Russian => Algorithm::Russian,
        Language::Spanish => Algorithm::Spanish,
        Language::Swedish => Algorithm::Swedish,
        Language::Tamil => Algorithm::Tamil,
        Language::Turkish => Algorithm::Turkish,
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{SimpleTokenizer, TextAnalyzer};

    use super::*;
    use crate::index::schema::LANGUAGES;

    fn stems(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn same_stems_as_tantivy_every_language_twice() {
        let text = "running runs ran easily happiness generously refunds refunded \
                    remboursements rembourser Rückerstattungen reembolsos возврат";
        for (_, language) in LANGUAGES {
            let Some(language) = *language else { continue };
            let mut theirs = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(tantivy::tokenizer::Stemmer::new(language))
                .build();
            let mut ours = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(CachedStemmer::new(language))
                .build();
            let expected = stems(&mut theirs, text);
            // The second pass reads every stem from the memo.
            assert_eq!(stems(&mut ours, text), expected, "{language:?}");
            assert_eq!(stems(&mut ours.clone(), text), expected, "{language:?}");
        }
    }

    #[test]
    fn a_full_map_is_emptied_not_grown() {
        let stemmer = Stemmer::create(Algorithm::English);
        for i in 0..(PER_THREAD * 2 + 5) {
            let mut word = format!("word{i}s");
            stem(Algorithm::English, &stemmer, &mut word);
            assert_eq!(word, format!("word{i}"));
        }
        MEMO.with_borrow(|memo| {
            assert!(memo.iter().all(|(_, map)| map.len() <= PER_THREAD));
        });
    }
}
