//! What can go wrong with a data directory, in words a person can act on.

use std::path::PathBuf;

/// A storage failure. Nothing half-written is ever left behind: each write is one transaction.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk holding the data directory has no room left (SQLite's `SQLITE_FULL`, which it
    /// also gives for `ENOSPC` on the database or its WAL; `ENOSPC`/`EDQUOT` on a file of
    /// ours). The write it stopped was rolled back whole: nothing of it is stored, and nothing
    /// stored before is touched.
    #[error("the disk is full: this was not saved. Free some space and try again; nothing saved before is lost")]
    DiskFull,
    #[error("the data directory {} is used by another Weft process{}", .path.display(), .pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Busy { path: PathBuf, pid: Option<u32> },
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the database failed: {0}")]
    Sqlite(rusqlite::Error),
    #[error(
        "this data directory was last opened by a newer Weft (database schema {found}; this Weft knows up to {known}): \
         it was left as it is; open it with that newer Weft, or update this one"
    )]
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
    /// Whether this says the database file itself is damaged (SQLite finds it corrupt or not a
    /// database at all, or what it holds cannot be read back), as opposed to a busy directory,
    /// a full disk or a newer schema. A damaged database is set aside ([`crate::set_aside`]).
    pub fn is_corrupt(&self) -> bool {
        match self {
            Self::Corrupt(_) | Self::Document(_) => true,
            Self::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
            ),
            _ => false,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| {
            if matches!(source.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded) {
                tracing::warn!(path = %path.display(), %source, "no room left on the disk");
                return Self::DiskFull;
            }
            Self::Io { path, source }
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    /// A full disk is a failure of its own: the member can do something about it.
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            tracing::debug!(%e, "SQLite found no room left on the disk");
            return Self::DiskFull;
        }
        Self::Sqlite(e)
    }
}
