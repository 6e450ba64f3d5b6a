//! Docs → sparse TF-IDF vectors, the space tickets are compared in. Two
//! blocks of features, each weighted by sublinear term frequency × inverse
//! document frequency and scaled to unit length, then joined so that the
//! cosine of two vectors is the average of the cosines of their blocks:
//! - words: the stems the search analyzer makes (stop words gone), and
//!   pairs of neighbouring stems ("card arriv", "exchang rate");
//! - spelling: character 3- to 5-grams inside each unstemmed word (with its
//!   boundaries marked), which survive typos and word forms the stemmer
//!   misses ("recieve" still shares "<re", "eiv"… with "receive").
//!
//! The space is fitted once on the clustering sample (its vocabulary and
//! document frequencies); any doc, in the sample or not, can then be turned
//! into a vector of it.

use std::hash::Hasher;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};

use super::corpus::{Corpus, Doc};

/// Shortest and longest character n-gram.
const NGRAMS: (usize, usize) = (3, 5);
/// A feature seen in fewer sample docs than this links nothing: dropped.
const MIN_DF: u32 = 2;
/// Share of the cosine that the word block carries (the spelling block
/// carries the rest).
const WORD_SHARE: f32 = 0.5;

// The top two bits of a feature key say its kind.
const UNIGRAM: u64 = 0;
const BIGRAM: u64 = 1 << 62;
const NGRAM: u64 = 2 << 62;
const KIND: u64 = 3 << 62;

/// Sparse rows: row `r` has columns `indices[indptr[r]..indptr[r + 1]]`.
#[derive(Debug, Clone, Default)]
pub struct Matrix {
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
    pub cols: usize,
}

impl Matrix {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// Columns and values of row `r`.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[r], self.indptr[r + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// Stacks vectors as rows.
    pub fn from_rows(rows: Vec<(Vec<u32>, Vec<f32>)>, cols: usize) -> Matrix {
        let nnz = rows.iter().map(|r| r.0.len()).sum();
        let mut m = Matrix {
            indptr: Vec::with_capacity(rows.len() + 1),
            indices: Vec::with_capacity(nnz),
            values: Vec::with_capacity(nnz),
            cols,
        };
        m.indptr.push(0);
        for (i, v) in rows {
            m.indices.extend(i);
            m.values.extend(v);
            m.indptr.push(m.indices.len());
        }
        m
    }
}

/// Feature choices (fixed for every input; exposed for the bench's ablations).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct FeatureConfig {
    pub word_share: f32,
    pub bigrams: bool,
    pub ngrams: (usize, usize),
    pub min_df: u32,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            word_share: WORD_SHARE,
            bigrams: true,
            ngrams: NGRAMS,
            min_df: MIN_DF,
        }
    }
}

/// The fitted feature space.
#[derive(Debug, Clone)]
pub struct FeatureSpace {
    config: FeatureConfig,
    columns: FxHashMap<u64, u32>,
    idf: Vec<f32>,
    /// Character n-gram keys of each word of the corpus vocabulary.
    ngrams: Vec<Box<[u64]>>,
}

impl FeatureSpace {
    /// Learns the vocabulary and document frequencies of the docs `sample`.
    pub fn fit(corpus: &Corpus, sample: &[u32]) -> FeatureSpace {
        FeatureSpace::fit_with(corpus, sample, FeatureConfig::default())
    }

    #[doc(hidden)]
    pub fn fit_with(corpus: &Corpus, sample: &[u32], config: FeatureConfig) -> FeatureSpace {
        let ngrams: Vec<Box<[u64]>> = (0..corpus.words.len() as u32)
            .into_par_iter()
            .map(|w| word_ngrams(corpus.words.text(w), config.ngrams).into_boxed_slice())
            .collect();
        let mut df: FxHashMap<u64, u32> = FxHashMap::default();
        let mut keys = Vec::new();
        for &d in sample {
            keys.clear();
            raw_keys(&corpus.docs[d as usize], &ngrams, config.bigrams, &mut keys);
            keys.sort_unstable();
            keys.dedup();
            for &k in &keys {
                *df.entry(k).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(u64, u32)> = df
            .into_iter()
            .filter(|&(_, n)| n >= config.min_df)
            .collect();
        // Sorted keys give columns that do not depend on hash-map order.
        kept.sort_unstable();
        let n = sample.len() as f32;
        let idf = kept
            .iter()
            .map(|&(_, df)| ((1.0 + n) / (1.0 + df as f32)).ln() + 1.0)
            .collect();
        let columns = kept
            .iter()
            .enumerate()
            .map(|(i, &(k, _))| (k, i as u32))
            .collect();
        FeatureSpace {
            config,
            columns,
            idf,
            ngrams,
        }
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.idf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.idf.is_empty()
    }

    /// The unit-length vector of `doc` (columns ascending); empty when it
    /// shares no feature with the sample.
    pub fn vector(&self, doc: &Doc) -> (Vec<u32>, Vec<f32>) {
        let mut keys = Vec::with_capacity(doc.words.len() * 16);
        raw_keys(doc, &self.ngrams, self.config.bigrams, &mut keys);
        keys.sort_unstable();
        let mut entries: Vec<(u32, f32, bool)> = Vec::with_capacity(keys.len());
        let mut norms = [0f32; 2];
        let mut i = 0;
        while i < keys.len() {
            let mut j = i + 1;
            while j < keys.len() && keys[j] == keys[i] {
                j += 1;
            }
            if let Some(&c) = self.columns.get(&keys[i]) {
                let w = (1.0 + ((j - i) as f32).ln()) * self.idf[c as usize];
                let spelling = keys[i] & KIND == NGRAM;
                norms[usize::from(spelling)] += w * w;
                entries.push((c, w, spelling));
            }
            i = j;
        }
        // Each block to unit length, then weighted by its share (a block a
        // doc lacks leaves the other to carry the whole length).
        let share = match (norms[0] > 0.0, norms[1] > 0.0) {
            (true, true) => [
                self.config.word_share.sqrt(),
                (1.0 - self.config.word_share).sqrt(),
            ],
            _ => [1.0, 1.0],
        };
        let scale = [
            share[0] / norms[0].sqrt().max(f32::MIN_POSITIVE),
            share[1] / norms[1].sqrt().max(f32::MIN_POSITIVE),
        ];
        entries.sort_unstable_by_key(|e| e.0);
        entries
            .into_iter()
            .map(|(c, w, spelling)| (c, w * scale[usize::from(spelling)]))
            .unzip()
    }

    /// The vectors of `docs`, as matrix rows in that order.
    pub fn matrix(&self, corpus: &Corpus, docs: &[u32]) -> Matrix {
        let rows: Vec<(Vec<u32>, Vec<f32>)> = docs
            .par_iter()
            .map(|&d| self.vector(&corpus.docs[d as usize]))
            .collect();
        Matrix::from_rows(rows, self.len())
    }
}

/// Every feature occurrence of `doc`, unsorted, with repeats.
fn raw_keys(doc: &Doc, ngrams: &[Box<[u64]>], bigrams: bool, out: &mut Vec<u64>) {
    for (i, &s) in doc.stems.iter().enumerate() {
        out.push(UNIGRAM | u64::from(s));
        if let Some(&next) = doc.stems.get(i + 1).filter(|_| bigrams) {
            out.push(BIGRAM | ((u64::from(s) << 31) ^ u64::from(next)) & !KIND);
        }
    }
    for &w in &doc.words {
        out.extend_from_slice(&ngrams[w as usize]);
    }
}

/// Character n-grams of `<word>`, as keys.
fn word_ngrams(word: &str, range: (usize, usize)) -> Vec<u64> {
    let chars: Vec<char> = std::iter::once('<')
        .chain(word.chars())
        .chain(std::iter::once('>'))
        .collect();
    let mut out = Vec::new();
    for n in range.0..=range.1 {
        for window in chars.windows(n) {
            let mut h = FxHasher::default();
            for c in window {
                h.write_u32(u32::from(*c));
            }
            h.write_usize(n);
            out.push(NGRAM | (h.finish() & !KIND));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::corpus::{Analyzed, Analyzers};
    use tantivy::tokenizer::Language;

    fn corpus(texts: &[&str]) -> Corpus {
        let mut a = Analyzers::new(Some(Language::English));
        let mut c = Corpus::default();
        for t in texts {
            let x: Analyzed = a.analyze(&[t.to_string()]);
            c.add(x);
        }
        c
    }

    fn cosine(a: &(Vec<u32>, Vec<f32>), b: &(Vec<u32>, Vec<f32>)) -> f32 {
        let mut s = 0.0;
        for (i, c) in a.0.iter().enumerate() {
            if let Some(j) = b.0.iter().position(|x| x == c) {
                s += a.1[i] * b.1[j];
            }
        }
        s
    }

    #[test]
    fn vectors_are_unit_length_and_typos_stay_close() {
        let c = corpus(&[
            "my card has not arrived",
            "my card has not arived yet",
            "the exchange rate is wrong",
            "exchange rate for euros",
            "when will my card arrive",
        ]);
        let all: Vec<u32> = (0..c.docs.len() as u32).collect();
        let space = FeatureSpace::fit(&c, &all);
        let v: Vec<_> = all
            .iter()
            .map(|&d| space.vector(&c.docs[d as usize]))
            .collect();
        for x in &v {
            let norm: f32 = x.1.iter().map(|w| w * w).sum();
            assert!((norm - 1.0).abs() < 1e-4, "{norm}");
            assert!(x.0.windows(2).all(|w| w[0] < w[1]));
        }
        assert!(cosine(&v[0], &v[1]) > 0.5, "{}", cosine(&v[0], &v[1]));
        assert!(cosine(&v[0], &v[1]) > 3.0 * cosine(&v[0], &v[2]));
        assert!(cosine(&v[2], &v[3]) > cosine(&v[2], &v[4]));
    }

    #[test]
    fn ngrams_mark_word_boundaries() {
        // "<ab>" has 2 trigrams and 1 4-gram; a 1-letter word gets one key.
        assert_eq!(word_ngrams("ab", NGRAMS).len(), 3);
        assert_eq!(word_ngrams("a", NGRAMS).len(), 1);
        assert_ne!(word_ngrams("ab", NGRAMS), word_ngrams("ba", NGRAMS));
    }
}
