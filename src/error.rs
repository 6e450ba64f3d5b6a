//! The crate's error type: what library callers can branch on. The CLI wraps
//! it in `anyhow` with context; the web layer maps it to HTTP statuses.

use crate::articles::ParseError;

/// Any error of the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Index(#[from] crate::index::Error),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("template error: {0}")]
    Template(String),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
