//! Documents loaded for what a request needs: reads need only views (a resting document's
//! view stays), writes and sync need the document itself, loaded again from the store.

use std::collections::btree_map::Entry;

use tracing::debug;
use weft_core::CommunityId;
use weft_core::doc::people::PeopleView;
use weft_core::doc::{DocId, DocName, Document};
use weft_core::identity::SignedChange;

use super::State;
use crate::error::NodeError;

impl State {
    /// The board's document as stored, or its deterministic genesis if none is stored yet.
    pub(super) fn board_from_store(&self, id: CommunityId) -> Result<Document, NodeError> {
        let started = std::time::Instant::now();
        let board = match self.store.load_doc(DocId { community: id, name: DocName::Board })? {
            Some(b) => b,
            None => {
                Document::from_genesis(DocId { community: id, name: DocName::Board })
                    .ok_or_else(|| NodeError::Write("could not start the board".into()))?
                    .0
            }
        };
        debug!(community = %id.short(), elapsed = ?started.elapsed(), "board loaded");
        Ok(board)
    }

    /// The board's document, loaded again if it rests (before a write or a sync).
    pub(super) fn load_board(&mut self, c: CommunityId) -> Result<(), NodeError> {
        if self.community(c)?.board.is_none() {
            let board = self.board_from_store(c)?;
            self.community(c)?.board = Some(board);
        }
        let now = self.clock.mono();
        self.community(c)?.use_doc(DocName::Board, now);
        Ok(())
    }

    /// Loads one year's ledger document from the store if it is there and not in memory (before
    /// a write or a sync, or to read a year whose view is not made yet).
    pub(super) fn load_ledger(&mut self, c: CommunityId, year: i32) -> Result<(), NodeError> {
        let now = self.clock.mono();
        let com =
            self.communities.get_mut(&c).ok_or_else(|| NodeError::NotFound(format!("no community {}", c.short())))?;
        if !com.unloaded.remove(&year) {
            if com.ledgers.contains_key(&year) {
                com.use_doc(DocName::Ledger(year), now);
            }
            return Ok(());
        }
        let started = std::time::Instant::now();
        if let Some(doc) = self.store.load_doc(DocId { community: c, name: DocName::Ledger(year) })? {
            debug!(year, elapsed = ?started.elapsed(), "ledger loaded");
            com.ledgers.insert(year, doc);
            com.use_doc(DocName::Ledger(year), now);
        }
        Ok(())
    }

    /// Makes a year's ledger readable: its view is kept even while its document rests.
    pub(super) fn read_ledger(&mut self, c: CommunityId, year: i32) -> Result<(), NodeError> {
        let com = self.community(c)?;
        if com.ledger_views.contains_key(&year) {
            return Ok(());
        }
        let resting = com.unloaded.contains(&year);
        self.load_ledger(c, year)?;
        // Loaded only to make its view: it may rest as soon as the node is idle.
        if resting {
            self.community(c)?.used.remove(&DocName::Ledger(year));
        }
        Ok(())
    }

    pub(super) fn read_ledgers(
        &mut self,
        c: CommunityId,
        years: impl IntoIterator<Item = i32>,
    ) -> Result<(), NodeError> {
        for year in years {
            self.read_ledger(c, year)?;
        }
        Ok(())
    }

    pub(super) fn read_all_ledgers(&mut self, c: CommunityId) -> Result<(), NodeError> {
        let years: Vec<i32> = self.community(c)?.unloaded.iter().copied().collect();
        self.read_ledgers(c, years)
    }

    /// Every year's ledger document in memory (before a sync).
    pub(super) fn load_all_ledgers(&mut self, c: CommunityId) -> Result<(), NodeError> {
        let com = self.community(c)?;
        let years: Vec<i32> = com.unloaded.iter().chain(com.ledgers.keys()).copied().collect();
        for year in years {
            self.load_ledger(c, year)?;
        }
        Ok(())
    }

    /// The board's document, loaded if it rests, with the people view its writes check against.
    pub(super) fn board_for_write(&mut self, c: CommunityId) -> Result<(&mut Document, &PeopleView), NodeError> {
        self.load_board(c)?;
        let com = self.community(c)?;
        com.people();
        let people = com.people_view.as_ref().ok_or(NodeError::Stopped)?;
        let board = com.board.as_mut().ok_or_else(|| NodeError::Write("the board's document is not loaded".into()))?;
        Ok((board, people))
    }

    /// The ledger of a year, loaded, or created from its deterministic genesis if this
    /// device has none yet (the genesis change is returned, to be stored with the write).
    pub(super) fn ledger_for_write(
        &mut self,
        c: CommunityId,
        year: i32,
    ) -> Result<(&mut Document, Option<SignedChange>), NodeError> {
        self.load_ledger(c, year)?;
        let com = self.community(c)?;
        let (doc, genesis) = match com.ledgers.entry(year) {
            Entry::Occupied(e) => (e.into_mut(), None),
            Entry::Vacant(e) => {
                let id = DocId { community: c, name: DocName::Ledger(year) };
                let (doc, genesis) = Document::from_genesis(id)
                    .ok_or_else(|| NodeError::Write(format!("could not start the ledger of {year}")))?;
                (e.insert(doc), Some(genesis))
            }
        };
        Ok((doc, genesis))
    }
}
