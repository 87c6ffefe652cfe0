//! Fault injection for tests: crash points and a full disk on demand.
//!
//! **Crash points.** A crash point names a dangerous moment of a write: a transaction half
//! done, done but not yet reported, a compaction between its steps. [`crash_point`] aborts the
//! process (`std::process::abort`, as a power cut or a kill leaves it: no destructor, no
//! rollback, no checkpoint) when the environment variable [`CRASH_AT_VAR`] (`WEFT_CRASH_AT`)
//! names that point, and does nothing otherwise. The variable is read once per process and
//! cached; an unarmed point costs one load and a comparison with nothing. Tests run a child
//! process with the variable set, let it die at the point, then open its data directory and
//! check what is there (`crates/weft-node/tests/crash_points.rs`).
//!
//! Just before it aborts, a crash point writes one line to stderr, `weft crash point: NAME`,
//! so a test can tell the crash it asked for from any other way the child could die.

use std::io::Write;
use std::sync::OnceLock;

/// The environment variable that arms a crash point: its value is the point's name.
pub const CRASH_AT_VAR: &str = "WEFT_CRASH_AT";

/// The line a crash point writes to stderr before it aborts, followed by its name.
pub const CRASH_MARKER: &str = "weft crash point: ";

/// The crash points there are, at the moments where a crash could do harm.
pub mod points {
    /// Compaction wrote the new snapshot in its transaction; the old log is still there.
    pub const COMPACTION_SNAPSHOT_WRITTEN: &str = "compaction:snapshot-written";
    /// Compaction deleted the changes the snapshot holds; its transaction is not committed.
    pub const COMPACTION_LOG_DELETED: &str = "compaction:log-deleted";
    /// Compaction committed; the freed pages are not yet given back, nor the WAL truncated.
    pub const COMPACTION_COMMITTED: &str = "compaction:committed";
    /// Compaction gave the freed pages back (`incremental_vacuum`); the WAL is not truncated.
    pub const COMPACTION_VACUUMED: &str = "compaction:vacuumed";
    /// A received sync batch was verified and applied in memory; nothing of it is stored.
    pub const SYNC_BATCH_APPLIED: &str = "sync-batch:applied";
    /// Half of a received batch's changes are written in its transaction.
    pub const SYNC_BATCH_HALF_STORED: &str = "sync-batch:half-stored";
    /// All of a received batch's changes are written; its transaction is not committed.
    pub const SYNC_BATCH_BEFORE_COMMIT: &str = "sync-batch:before-commit";
    /// A received batch is committed; the peer has not been answered.
    pub const SYNC_BATCH_STORED: &str = "sync-batch:stored";

    /// Every crash point.
    pub const ALL: &[&str] = &[
        COMPACTION_SNAPSHOT_WRITTEN,
        COMPACTION_LOG_DELETED,
        COMPACTION_COMMITTED,
        COMPACTION_VACUUMED,
        SYNC_BATCH_APPLIED,
        SYNC_BATCH_HALF_STORED,
        SYNC_BATCH_BEFORE_COMMIT,
        SYNC_BATCH_STORED,
    ];
}

static CRASH_AT: OnceLock<Option<Box<str>>> = OnceLock::new();

/// Aborts the process here if `WEFT_CRASH_AT` names this point (see the module's text).
#[inline]
pub fn crash_point(name: &str) {
    let armed = CRASH_AT.get_or_init(|| std::env::var(CRASH_AT_VAR).ok().map(String::into_boxed_str));
    if armed.as_deref() == Some(name) {
        crash(name);
    }
}

#[cold]
fn crash(name: &str) -> ! {
    // Written straight to stderr (unbuffered), not through `tracing`: the test reading it may
    // have no subscriber, and the line must be out before the process is.
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{CRASH_MARKER}{name}");
    let _ = err.flush();
    std::process::abort()
}
