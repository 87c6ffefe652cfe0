//! Local writes: who writes and when (the write context), the document each kind of write
//! changes, and persisting — durable before anything is answered, announced or gossiped.

use tracing::warn;
use weft_core::doc::people::PeopleView;
use weft_core::doc::{DocId, DocName, Document, WriteError};
use weft_core::identity::{Identity, SignedChange};
use weft_core::{CommunityId, Date, Timestamp};
use weft_store::Batch;

use super::State;
use super::community::Touched;
use crate::api::Event;
use crate::error::NodeError;
use crate::sync::Input;

/// Who writes and when: what every local write needs besides its document.
pub(super) struct WriteCtx {
    pub me: Identity,
    pub now: Timestamp,
    pub today: Date,
}

impl State {
    /// The caller's identity and the clock's now and today, for a write.
    pub(super) fn write_ctx(&self) -> Result<WriteCtx, NodeError> {
        Ok(WriteCtx { me: self.identity()?.clone(), now: self.clock.now(), today: self.clock.today() })
    }

    /// Changes a community's people document and persists the change. `write` returns the
    /// change and the records it touched (their cached views are refreshed).
    pub(super) fn write_people<T: IntoIterator<Item = Touched>>(
        &mut self,
        c: CommunityId,
        write: impl FnOnce(&mut Document, &WriteCtx) -> Result<(SignedChange, T), WriteError>,
    ) -> Result<(), NodeError> {
        let w = self.write_ctx()?;
        let (change, touched) = write(&mut self.community(c)?.people, &w)?;
        let touched: Vec<Touched> = touched.into_iter().collect();
        self.persist(c, vec![(DocName::People, change)], &touched, None)
    }

    /// Changes a community's board (loaded if it rests; checked against the people view) and
    /// persists the change.
    pub(super) fn write_board<T: IntoIterator<Item = Touched>>(
        &mut self,
        c: CommunityId,
        write: impl FnOnce(&mut Document, &PeopleView, &WriteCtx) -> Result<(SignedChange, T), WriteError>,
    ) -> Result<(), NodeError> {
        self.write_board_changes(c, |board, people, w| write(board, people, w).map(|(c, t)| (vec![c], t)))
    }

    /// As [`State::write_board`], for a write of several changes in order (the board's
    /// deterministic upgrade before the change that needed it, say).
    pub(super) fn write_board_changes<T: IntoIterator<Item = Touched>>(
        &mut self,
        c: CommunityId,
        write: impl FnOnce(&mut Document, &PeopleView, &WriteCtx) -> Result<(Vec<SignedChange>, T), WriteError>,
    ) -> Result<(), NodeError> {
        let w = self.write_ctx()?;
        let (board, people) = self.board_for_write(c)?;
        let (changes, touched) = write(board, people, &w)?;
        let touched: Vec<Touched> = touched.into_iter().collect();
        self.persist(c, changes.into_iter().map(|ch| (DocName::Board, ch)).collect(), &touched, None)
    }

    /// Changes a year's ledger and persists the change, with the ledger's genesis if this
    /// device starts that ledger now. A write that changes nothing (the same record, just so,
    /// in the same millisecond) is done.
    pub(super) fn write_ledger<T: IntoIterator<Item = Touched>>(
        &mut self,
        c: CommunityId,
        year: i32,
        write: impl FnOnce(&mut Document, &WriteCtx) -> Result<(SignedChange, T), WriteError>,
    ) -> Result<(), NodeError> {
        let w = self.write_ctx()?;
        let (ledger, genesis) = self.ledger_for_write(c, year)?;
        let (change, touched) = match (write(ledger, &w), &genesis) {
            (Ok(written), _) => written,
            (Err(WriteError::Empty), None) => return Ok(()),
            (Err(e), _) => {
                // A ledger started for this write holds an unstored genesis: drop it, so the
                // next write starts it again and stores it.
                if genesis.is_some() {
                    self.community(c)?.ledgers.remove(&year);
                }
                return Err(e.into());
            }
        };
        let name = DocName::Ledger(year);
        let all: Vec<Touched> = genesis.is_some().then_some(Touched::Doc(name)).into_iter().chain(touched).collect();
        let changes = genesis.map(|g| (name, g)).into_iter().chain([(name, change)]).collect();
        self.persist(c, changes, &all, None)
    }

    /// Stores changes durably, refreshes the cached views, then emits events. On failure the
    /// community is reloaded from disk, so nothing that was not stored stays in memory.
    pub(super) fn persist(
        &mut self,
        community: CommunityId,
        changes: Vec<(DocName, SignedChange)>,
        touched: &[Touched],
        add: Option<String>,
    ) -> Result<(), NodeError> {
        let batch = Batch {
            communities: add.into_iter().map(|name| (community, name)).collect(),
            changes: changes.iter().map(|(name, c)| (DocId { community, name: *name }, c.clone())).collect(),
        };
        if let Err(e) = self.store.commit(&batch) {
            warn!(%e, "commit failed; reloading the community from disk");
            self.communities.remove(&community);
            if self.store.communities()?.iter().any(|c| c.id == community) {
                self.load_community(community)?;
            }
            return Err(e.into());
        }
        if let Some(c) = self.communities.get_mut(&community) {
            for t in touched {
                c.refresh(*t);
            }
        }
        let mut names: Vec<DocName> = changes.iter().map(|(n, _)| *n).collect();
        names.dedup();
        // Gossiped in write order: sealed by the engine now, before the next job runs.
        for name in &names {
            let batch: Vec<SignedChange> = changes.iter().filter(|(n, _)| n == name).map(|(_, c)| c.clone()).collect();
            self.net_input(Input::LocalChanges { community, doc: *name, changes: batch });
        }
        self.calendar_stale = true;
        for name in &names {
            self.maybe_compact(community, *name);
            let _ = self.events.send(Event::DocumentChanged { community, doc: *name });
        }
        // Our commons follows the people document (roster, key); escalation follows the board.
        if names.contains(&DocName::People) && self.net.is_some() {
            self.commons_due(community);
        }
        if names.contains(&DocName::Board) {
            self.escalate_soon();
        }
        Ok(())
    }
}
