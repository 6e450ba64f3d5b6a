//! The optional sentence model: text in, a unit vector out, so that texts
//! which mean the same thing land close together even when they share no
//! word ("my money never came back" and "Refund policy").
//!
//! A model is a sentence-transformers directory the user gives
//! (`[semantic] model = "DIR"`): `config.json`, `tokenizer.json`,
//! `model.safetensors` and, when present, `sentence_bert_config.json` for the
//! truncation length. Nothing is downloaded. Loading checks every file and
//! names the one that is missing or wrong; after that, embedding cannot fail
//! (any text, however long or exotic, gives a vector). Pooling is the mean
//! over tokens followed by L2 normalisation, as the model was trained, so the
//! dot product of two embeddings is their cosine similarity.
//!
//! Built without the `semantic` cargo feature, [`Model::load`] refuses every
//! directory with a message saying so, and nothing else changes.
//!
//! This module is a leaf: the index, mining and eval layers call it, and it
//! knows nothing of articles or tickets.

#[cfg(not(feature = "semantic"))]
mod absent;
#[cfg(feature = "semantic")]
mod bert;
#[cfg(feature = "semantic")]
mod model;

#[cfg(not(feature = "semantic"))]
pub use absent::Model;
#[cfg(feature = "semantic")]
pub use model::Model;

use std::path::{Path, PathBuf};

/// A model directory that cannot be used, naming the file and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("semantic model: {}: {message}", path.display())]
pub struct ModelError {
    pub path: PathBuf,
    pub message: String,
}

impl ModelError {
    pub(crate) fn new(path: &Path, message: impl Into<String>) -> ModelError {
        ModelError {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// The dot product: for two embeddings, their cosine similarity.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot_any(a, b)
}

/// The dot product of a query and an `i8`-quantised row: times the row's
/// scale, their cosine.
pub fn dot_i8(a: &[f32], b: &[i8]) -> f32 {
    dot_any(a, b)
}

/// Search computes tens of thousands of dot products per query, so they run
/// in 16 independent lanes (a single running sum must be added in order and
/// is not vectorised), compiled for AVX2 and FMA when the CPU has them.
fn dot_any<T: Copy + Into<f32>>(a: &[f32], b: &[T]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            return unsafe { dot_avx2(a, b) };
        }
    }
    dot_lanes(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2<T: Copy + Into<f32>>(a: &[f32], b: &[T]) -> f32 {
    dot_lanes(a, b)
}

#[inline(always)]
fn dot_lanes<T: Copy + Into<f32>>(a: &[f32], b: &[T]) -> f32 {
    let mut lanes = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * (*y).into())
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            lanes[i] += x[i] * y[i].into();
        }
    }
    lanes.iter().sum::<f32>() + tail
}
