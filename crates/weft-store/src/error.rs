//! What can go wrong with a data directory, in words a person can act on.

use std::path::PathBuf;

/// A storage failure. Nothing half-written is ever left behind: each write is one transaction.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the data directory {} is used by another Weft process{}", .path.display(), .pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Busy { path: PathBuf, pid: Option<u32> },
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database was written by a newer Weft (schema {found}; this one knows up to {known}): update Weft")]
    NewerSchema { found: i64, known: i64 },
    #[error("this data directory already has an identity ({name})")]
    AlreadyInitialised { name: String },
    #[error("the identity keys in {} do not match the stored identity: {why}", .path.display())]
    BadIdentity { path: PathBuf, why: String },
    #[error("a stored document could not be read: {0}")]
    Document(#[from] weft_core::doc::LoadError),
    #[error("the database is damaged: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
