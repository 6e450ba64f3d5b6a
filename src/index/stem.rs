//! Stemming with a memo. Every search stems the words of ten snippet
//! windows (highlighting compares stems), and an index build stems every
//! word of every article, but a language has few distinct words next to how
//! often they recur: a word's stem is looked up once and then read from a
//! shared, sharded map. The output is exactly what tantivy's `Stemmer`
//! filter gives; the map is bounded (a full shard is emptied and refilled).

use std::hash::{BuildHasher, BuildHasherDefault};
use std::sync::{Arc, Mutex};

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap, FxHasher};
use tantivy::tokenizer::{Language, Token, TokenFilter, TokenStream, Tokenizer};

/// Shards of the memo: threads stemming at once rarely wait on each other.
const SHARDS: usize = 16;
/// Words kept per shard (about 64k words, a few MB, per language in use).
const PER_SHARD: usize = 4096;

/// A stemming filter for `language` whose clones share one memo.
#[derive(Clone)]
pub struct CachedStemmer {
    algorithm: Algorithm,
    memo: Arc<Memo>,
}

impl CachedStemmer {
    pub fn new(language: Language) -> CachedStemmer {
        CachedStemmer {
            algorithm: algorithm(language),
            memo: Arc::new(Memo::default()),
        }
    }
}

#[derive(Default)]
struct Memo {
    shards: [Mutex<FxHashMap<Box<str>, Box<str>>>; SHARDS],
}

impl Memo {
    /// Replaces `text` with its stem.
    fn stem(&self, stemmer: &Stemmer, text: &mut String) {
        let hash = BuildHasherDefault::<FxHasher>::default().hash_one(text.as_str());
        let shard = &self.shards[(hash as usize) % SHARDS];
        if let Some(stem) = shard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(text.as_str())
        {
            text.clear();
            text.push_str(stem);
            return;
        }
        let stem = stemmer.stem(text).into_owned();
        let mut map = shard.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= PER_SHARD {
            map.clear();
        }
        map.insert(text.as_str().into(), stem.as_str().into());
        *text = stem;
    }
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
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: Stemmer::create(self.stemmer.algorithm),
            memo: &self.stemmer.memo,
        }
    }
}

pub struct CachedStemmerStream<'a, T> {
    tail: T,
    stemmer: Stemmer,
    memo: &'a Memo,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        self.memo
            .stem(&self.stemmer, &mut self.tail.token_mut().text);
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
    fn a_full_shard_is_emptied_not_grown() {
        let memo = Memo::default();
        let stemmer = Stemmer::create(Algorithm::English);
        for i in 0..(SHARDS * PER_SHARD * 2) {
            let mut word = format!("word{i}s");
            memo.stem(&stemmer, &mut word);
            assert_eq!(word, format!("word{i}"));
        }
        for shard in &memo.shards {
            assert!(shard.lock().unwrap().len() <= PER_SHARD);
        }
    }
}
