//! What the state thread does between jobs, on the injected clock: documents unused for a
//! while rest (their views stay), long logs are compacted once jobs pause, and freed memory
//! goes back to the system.

use std::collections::BTreeSet;
use std::time::Duration;

use tracing::{debug, warn};
use weft_core::CommunityId;
use weft_core::doc::{DocId, DocName};

use super::State;
use crate::clock::Mono;

/// How long the board's or a ledger's Automerge document stays in memory after it was last
/// loaded, written or synced. Then it rests: its read view stays, the document (several times
/// larger) is dropped, and the next write or sync loads it again from the store.
pub const REST_AFTER: Duration = Duration::from_secs(30);

/// How many changes may pile up in a document's log before it is folded into a snapshot.
const COMPACT_AFTER_CHANGES: u64 = 500;
/// …or how many bytes.
const COMPACT_AFTER_BYTES: u64 = 4 << 20;

/// How long the state thread must have had no job before it compacts a document whose log grew
/// long. Compaction takes a few hundred milliseconds on a big document; done between jobs it
/// would hold up the next one, such as the next frame of a sync session.
pub(crate) const QUIET_BEFORE_COMPACTION: Duration = Duration::from_millis(300);
/// A node that is never idle (a window polling it, a busy peer) compacts between two jobs
/// after this long.
pub(crate) const COMPACTION_AT_THE_LATEST: Duration = Duration::from_secs(10);

impl State {
    /// Notes that a job ran now: compaction waits for a pause after it, and once the node was
    /// idle for `rest_after`, memory is given back.
    pub(crate) fn worked(&mut self) {
        let now = self.clock.mono();
        self.last_job = now;
        self.worked_at = Some(now);
    }

    /// When something is next due between jobs (a document to rest, a compaction once jobs
    /// pause, memory to give back), by the injected clock.
    pub(crate) fn next_due(&self) -> Option<Mono> {
        let now = self.clock.mono();
        let compaction = (!self.compact_due.is_empty()).then_some(self.last_job + QUIET_BEFORE_COMPACTION);
        let rests = self.communities.iter().filter_map(|(id, c)| {
            c.next_rest(self.rest_after, now, |name| self.compact_due.contains_key(&DocId { community: *id, name }))
        });
        compaction
            .into_iter()
            .chain(rests)
            .chain(self.commons_next_rest())
            .chain(self.worked_at.map(|at| at + self.rest_after))
            .chain(self.commons_next_due())
            .chain(Some(self.occurrences_next_due()))
            .chain(self.calendar_next_due())
            .min()
    }

    /// Does what is due by the clock now: compacts one document if jobs have paused long
    /// enough (or it waited too long), lets unused documents rest, and gives freed memory back.
    pub(crate) fn run_due(&mut self) {
        let now = self.clock.mono();
        self.run_commons_due();
        self.run_occurrences_due();
        self.run_calendar_due();
        if now.since(self.last_job) >= QUIET_BEFORE_COMPACTION || self.compaction_overdue() {
            self.compact_next();
        }
        self.rest(now);
    }

    /// Whether a document has waited longer than [`COMPACTION_AT_THE_LATEST`] to be compacted.
    pub(crate) fn compaction_overdue(&self) -> bool {
        let now = self.clock.mono();
        self.compact_due.values().any(|since| now.since(*since) >= COMPACTION_AT_THE_LATEST)
    }

    /// Lets the documents unused for `rest_after` rest (their views stay), and gives the memory
    /// freed meanwhile back to the system.
    fn rest(&mut self, now: Mono) {
        let waiting: BTreeSet<DocId> = self.compact_due.keys().copied().collect();
        let mut rested = 0;
        for (id, com) in &mut self.communities {
            let n = com.rest(self.rest_after, now, |name| waiting.contains(&DocId { community: *id, name }));
            if n > 0 {
                debug!(community = %id.short(), rested = n, "documents rest");
            }
            rested += n;
        }
        let commons = self.rest_commons(now, &waiting);
        if commons > 0 {
            debug!(commons, "commons rest");
        }
        rested += commons;
        // What they held, and what the jobs since the last time freed, is free, but glibc
        // keeps it resident unless asked.
        let quiet = self.worked_at.is_some_and(|at| now.since(at) >= self.rest_after);
        if rested > 0 || quiet {
            self.worked_at = None;
            let started = std::time::Instant::now();
            let released = crate::memory::release_free_memory();
            debug!(released, took = ?started.elapsed(), "freed memory returned");
        }
    }

    /// Notes a document for compaction if its log of changes since the snapshot grew long. The
    /// state thread compacts it once no job has come for a moment, or when the node stops:
    /// compaction only makes the next open faster, the log is complete without it.
    pub(super) fn maybe_compact(&mut self, community: CommunityId, name: DocName) {
        let id = DocId { community, name };
        match self.store.log_size(id) {
            Ok((n, bytes)) if n >= COMPACT_AFTER_CHANGES || bytes >= COMPACT_AFTER_BYTES => {
                let now = self.clock.mono();
                self.compact_due.entry(id).or_insert(now);
            }
            Ok(_) => {}
            Err(e) => warn!(%e, doc = %id, "could not read the log size"),
        }
    }

    /// Compacts one document that waits for it (the one waiting longest).
    fn compact_next(&mut self) {
        let Some(id) = self.compact_due.iter().min_by_key(|(_, since)| **since).map(|(id, _)| *id) else { return };
        self.compact_due.remove(&id);
        let doc = match id.name {
            DocName::Commons => self.commons.get(&id.community).and_then(|h| h.doc()),
            name => self.communities.get(&id.community).and_then(|c| c.doc(name)),
        };
        if let Some(doc) = doc {
            let started = std::time::Instant::now();
            match self.store.compact(doc) {
                Ok(()) => debug!(doc = %id, took = ?started.elapsed(), "compacted"),
                // Compaction is an optimisation: the log is still complete.
                Err(e) => warn!(%e, doc = %id, "compaction failed"),
            }
        }
    }

    /// Compacts one document now if one has waited too long (a node that is never idle).
    pub(crate) fn compact_if_overdue(&mut self) {
        if self.compaction_overdue() {
            self.compact_next();
        }
    }

    /// Compacts every document that waits for it (before the node stops).
    pub(crate) fn compact_all(&mut self) {
        while !self.compact_due.is_empty() {
            self.compact_next();
        }
    }
}
