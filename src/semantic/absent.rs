//! The stand-in for builds without the `semantic` feature: a model that can
//! never be loaded, so callers need no feature checks of their own.

use std::path::Path;

use super::ModelError;

/// No model exists in this build; the type cannot be constructed.
#[derive(Debug)]
pub enum Model {}

impl Model {
    pub fn load(dir: &Path) -> Result<Model, ModelError> {
        Err(ModelError::new(
            dir,
            "this deflect was built without the `semantic` feature; rebuild with default features to use a sentence model",
        ))
    }

    pub fn dim(&self) -> usize {
        match *self {}
    }

    pub fn max_tokens(&self) -> usize {
        match *self {}
    }

    pub fn fingerprint(&self) -> &str {
        match *self {}
    }

    pub fn token_count(&self, _text: &str) -> usize {
        match *self {}
    }

    pub fn embed(&self, _text: &str) -> Vec<f32> {
        match *self {}
    }

    pub fn embed_batch(&self, _texts: &[&str]) -> Vec<Vec<f32>> {
        match *self {}
    }
}
