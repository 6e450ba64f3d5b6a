//! A sentence-transformers model on the BERT pass in `bert.rs`: loading and
//! checking its files, tokenising, and embedding one text or a batch.

use std::path::Path;

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tokenizers::Tokenizer;

use super::{bert, ModelError};

/// A loaded sentence model; shareable across threads.
pub struct Model {
    tokenizer: Tokenizer,
    bert: bert::Bert,
    max_tokens: usize,
    fingerprint: String,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("dim", &self.dim())
            .field("max_tokens", &self.max_tokens)
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct SentenceConfig {
    max_seq_length: Option<usize>,
}

/// How many texts one thread embeds at a time in a batch: enough to keep
/// the matrix products large, few enough that both cores get work.
const CHUNK: usize = 16;

impl Model {
    /// Loads the model in `dir`, checking each file.
    pub fn load(dir: &Path) -> Result<Model, ModelError> {
        if !dir.is_dir() {
            return Err(ModelError::new(
                dir,
                "is not a directory (set [semantic] model to a sentence-transformers model folder)",
            ));
        }
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path)
                .map_err(|e| ModelError::new(&path, format!("cannot be read: {e}")))
                .map(|bytes| (path, bytes))
        };
        let (config_path, config_bytes) = read("config.json")?;
        let config: bert::Config = serde_json::from_slice(&config_bytes)
            .map_err(|e| ModelError::new(&config_path, format!("is not a BERT config: {e}")))?;
        let (tokenizer_path, tokenizer_bytes) = read("tokenizer.json")?;
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|e| ModelError::new(&tokenizer_path, format!("is not a tokenizer: {e}")))?;
        let (weights_path, weights) = read("model.safetensors")?;
        let bert = bert::Bert::load(&config, &weights_path, &weights)?;

        let sentence_path = dir.join("sentence_bert_config.json");
        let max_seq = match std::fs::read(&sentence_path) {
            Ok(bytes) => {
                serde_json::from_slice::<SentenceConfig>(&bytes)
                    .map_err(|e| ModelError::new(&sentence_path, format!("is not valid: {e}")))?
                    .max_seq_length
            }
            Err(_) => None,
        };
        let max_tokens = max_seq
            .unwrap_or(bert.max_positions())
            .min(bert.max_positions())
            .max(2);
        // The tokenizer file may carry its own padding and truncation (this
        // model's says pad to 128); sentence-transformers overrides both.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| ModelError::new(&tokenizer_path, format!("cannot truncate: {e}")))?;

        let mut hash = Sha256::new();
        for bytes in [&config_bytes, &tokenizer_bytes, &weights] {
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        }
        hash.update((max_tokens as u64).to_le_bytes());
        let fingerprint = format!("{:x}", hash.finalize())[..16].to_string();
        Ok(Model {
            tokenizer,
            bert,
            max_tokens,
            fingerprint,
        })
    }

    /// The length of every embedding.
    pub fn dim(&self) -> usize {
        self.bert.dim()
    }

    /// The most tokens (special tokens included) one text is read to.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Identifies the model's weights, vocabulary and truncation: a vector
    /// computed under another fingerprint is never reused.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Token ids of a text, truncated to the model's length. A text the
    /// tokenizer refuses (it never has, but its API can fail) reads as empty.
    fn ids(&self, text: &str) -> Vec<u32> {
        match self.tokenizer.encode(text, true) {
            Ok(enc) => enc.get_ids().to_vec(),
            Err(e) => {
                tracing::warn!("semantic: tokenizer failed ({e}); embedding an empty text");
                self.tokenizer
                    .encode("", true)
                    .map(|enc| enc.get_ids().to_vec())
                    .unwrap_or_default()
            }
        }
    }

    /// How many tokens the model reads of `text`.
    pub fn token_count(&self, text: &str) -> usize {
        self.ids(text).len()
    }

    /// The embedding of one text, on the calling thread.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let ids = self.ids(text);
        self.bert
            .embed(&[&ids])
            .pop()
            .unwrap_or_else(|| vec![0.0; self.dim()])
    }

    /// Embeddings of many texts, in order, on rayon's threads. Texts of
    /// similar length share a chunk so that attention work is even.
    pub fn embed_batch(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        let ids: Vec<Vec<u32>> = texts.par_iter().map(|t| self.ids(t)).collect();
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let done: Vec<(usize, Vec<f32>)> = order
            .par_chunks(CHUNK)
            .flat_map_iter(|chunk| {
                let seqs: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
                chunk
                    .iter()
                    .copied()
                    .zip(self.bert.embed(&seqs))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut out = vec![Vec::new(); texts.len()];
        for (i, v) in done {
            out[i] = v;
        }
        out
    }
}
