//! Tickets by meaning: with a sentence model configured, every distinct
//! question is embedded once and clustering links questions that mean the
//! same thing even when they share no word ("my card never arrived" and
//! "still waiting on the new card"). Word features split such tickets into
//! many small topics; the model's unit vectors keep them together.
//!
//! Embedding is the costly step (about a millisecond per short ticket per
//! core), so it runs in batches spread over the cores by the model, with
//! progress reported between batches. The nearest neighbours of the sample
//! are exact: every pair's dot product, each row on its own core.

use std::sync::Arc;

use rayon::prelude::*;

use super::corpus::Corpus;
use super::knn::{keep_best, Neighbours};
use crate::semantic::{dot, Model};

/// Docs embedded per call to the model: large enough to keep both cores
/// busy, small enough for the progress bar to move.
const BATCH: usize = 512;
/// Characters of a ticket embedded: the model reads 256 tokens at most and
/// a long email says its question early.
const TEXT_CHARS: usize = 1200;

/// One unit vector per doc of a corpus, stored row after row.
#[derive(Debug, Clone, Default)]
pub struct Embeddings {
    pub dim: usize,
    data: Vec<f32>,
}

impl Embeddings {
    /// Embeds the text of every doc of `corpus`.
    pub fn of(
        corpus: &Corpus,
        model: &Arc<Model>,
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> Embeddings {
        let dim = model.dim();
        let total = corpus.docs.len();
        let mut data = Vec::with_capacity(total * dim);
        progress("embedding", 0, total as u64);
        for (i, chunk) in corpus.docs.chunks(BATCH).enumerate() {
            let texts: Vec<&str> = chunk.iter().map(|d| clip(&d.text)).collect();
            for v in model.embed_batch(&texts) {
                data.extend(v);
            }
            progress(
                "embedding",
                ((i + 1) * BATCH).min(total) as u64,
                total as u64,
            );
        }
        Embeddings { dim, data }
    }

    /// Vectors given directly (tests and benches).
    pub fn from_rows(dim: usize, rows: impl IntoIterator<Item = Vec<f32>>) -> Embeddings {
        let data: Vec<f32> = rows.into_iter().flatten().collect();
        assert_eq!(data.len() % dim.max(1), 0, "every row has {dim} values");
        Embeddings { dim, data }
    }

    /// The vector of doc `d`.
    pub fn row(&self, d: usize) -> &[f32] {
        &self.data[d * self.dim..(d + 1) * self.dim]
    }

    /// Number of docs.
    pub fn len(&self) -> usize {
        self.data.len() / self.dim.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// At most [`TEXT_CHARS`] characters, cut on a character boundary.
fn clip(text: &str) -> &str {
    match text.char_indices().nth(TEXT_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// The `k` most similar other docs of each doc of `sample`, as positions in
/// `sample`, best first (ties by position); only positive similarities.
pub fn nearest(e: &Embeddings, sample: &[u32], k: usize) -> Vec<Neighbours> {
    (0..sample.len())
        .into_par_iter()
        .map(|i| {
            let a = e.row(sample[i] as usize);
            let found: Neighbours = sample
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, &d)| (j as u32, dot(a, e.row(d as usize))))
                .filter(|&(_, s)| s > 0.0)
                .collect();
            keep_best(found, k)
        })
        .collect()
}

/// Unit centroids of `communities` communities of the sample's docs, row
/// after row.
pub fn centroids(
    e: &Embeddings,
    sample: &[u32],
    membership: &[u32],
    communities: usize,
) -> Embeddings {
    let dim = e.dim;
    let mut data = vec![0f32; communities * dim];
    for (r, &c) in membership.iter().enumerate() {
        let row = e.row(sample[r] as usize);
        for (acc, x) in data[c as usize * dim..(c as usize + 1) * dim]
            .iter_mut()
            .zip(row)
        {
            *acc += x;
        }
    }
    for c in data.chunks_mut(dim.max(1)) {
        let norm = c
            .iter()
            .map(|x| x * x)
            .sum::<f32>()
            .sqrt()
            .max(f32::MIN_POSITIVE);
        c.iter_mut().for_each(|x| *x /= norm);
    }
    Embeddings { dim, data }
}

/// The nearest of `centroids` to `v` and its cosine.
pub fn nearest_centroid(v: &[f32], centroids: &Embeddings) -> (i64, f32) {
    let mut best = (-1i64, 0f32);
    for c in 0..centroids.len() {
        let s = dot(v, centroids.row(c));
        if s > best.1 {
            best = (c as i64, s);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn neighbours_are_the_closest_in_order_and_never_the_doc_itself() {
        let e = Embeddings::from_rows(
            2,
            [
                unit(&[1.0, 0.0]),
                unit(&[1.0, 0.1]),
                unit(&[1.0, 0.5]),
                unit(&[0.0, 1.0]),
                unit(&[-1.0, 0.0]),
            ],
        );
        let nn = nearest(&e, &[0, 1, 2, 3, 4], 2);
        assert_eq!(nn[0].iter().map(|n| n.0).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(nn[3].iter().map(|n| n.0).collect::<Vec<_>>(), vec![2, 1]);
        // The opposite vector has no positive neighbour but the orthogonal one's 0 is cut too.
        assert!(nn[4].is_empty(), "{:?}", nn[4]);
        // Positions are within the sample, not doc ids.
        let nn = nearest(&e, &[2, 3], 1);
        assert_eq!(nn[0][0].0, 1);
    }

    #[test]
    fn centroids_are_unit_means_and_docs_find_their_nearest() {
        let e = Embeddings::from_rows(2, [unit(&[1.0, 0.0]), unit(&[1.0, 0.2]), unit(&[0.0, 1.0])]);
        let c = centroids(&e, &[0, 1, 2], &[0, 0, 1], 2);
        assert_eq!(c.len(), 2);
        let norm: f32 = c.row(0).iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert_eq!(nearest_centroid(&unit(&[0.9, 0.1]), &c).0, 0);
        assert_eq!(nearest_centroid(&unit(&[0.1, 0.9]), &c).0, 1);
        assert_eq!(nearest_centroid(&[-1.0, -1.0], &c).0, -1);
    }

    #[test]
    fn clipping_keeps_whole_characters() {
        let long = "é".repeat(TEXT_CHARS + 10);
        assert_eq!(clip(&long).chars().count(), TEXT_CHARS);
        assert_eq!(clip("short"), "short");
    }
}
