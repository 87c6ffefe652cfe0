//! Weft's storage: one SQLite database and two key files per data directory.
//!
//! ```text
//! <data dir>/            mode 0700
//!   weft.lock            held (flock) by the one process that writes this directory
//!   weft.sqlite3 (+wal)  identity (public parts), communities, documents, changes, signatures
//!   weft.sqlite3.damaged-<UTC time> (+wal, +shm)
//!                        a database found damaged, set aside (see `set_aside`), never deleted
//!   identity/            mode 0700
//!     member.key         32 secret bytes, mode 0600
//!     device.key         32 secret bytes, mode 0600
//!   control.sock         the running node's control socket (weft-node)
//! ```
//!
//! A document is stored as its latest snapshot (Automerge `save()`) plus the changes written
//! after it, in order; compaction folds the log into a new snapshot in one transaction.
//! Signatures are kept for every change forever. Every commit is durable when it returns
//! (WAL, `synchronous=FULL`). This crate is synchronous: the node runs it on its own thread.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod dir;
mod error;
pub mod fault;
mod keys;
mod salvage;
mod store;

pub use dir::{DataDir, DirLock};
pub use error::StoreError;
pub use fault::crash_point;
pub use keys::read_keys;
pub use salvage::{SetAside, set_aside};
pub use store::{Batch, CommunityRow, ReadModelRow, SCHEMA_VERSION, Store, StoredIdentity};
