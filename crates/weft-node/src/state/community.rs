//! One community's documents in memory, and the read views kept beside them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use weft_core::doc::board::BoardView;
use weft_core::doc::ledger::LedgerView;
use weft_core::doc::people::PeopleView;
use weft_core::doc::{DocName, Document};
use weft_core::model::Urgency;
use weft_core::views;
use weft_core::{CommunityId, EntryId, MemberId, PledgeId, TaskId};

use super::count;
use crate::api::CommunityInfo;
use crate::clock::Mono;

/// One community's documents in memory, with read views kept up to date record by record.
///
/// Ledgers are loaded when first needed: opening a data directory to a usable board reads
/// only the people document and the board. The board's and the ledgers' documents rest (are
/// dropped, their views kept) once unused for [`super::REST_AFTER`]; reads need only the
/// views. The people document stays: membership and gossip read it all the time, and it is
/// small.
pub(super) struct Community {
    pub id: CommunityId,
    pub people: Document,
    /// `None` while the board rests; its view is then always there.
    pub board: Option<Document>,
    pub ledgers: BTreeMap<i32, Document>,
    /// Ledgers in the store whose document is not in memory (not loaded yet, or resting).
    pub unloaded: BTreeSet<i32>,
    /// When the board's and each loaded ledger's document was last loaded, written or synced.
    pub used: BTreeMap<DocName, Mono>,
    pub people_view: Option<PeopleView>,
    pub board_view: Option<BoardView>,
    pub ledger_views: BTreeMap<i32, LedgerView>,
}

/// The read views of a community, borrowed together.
pub(super) struct Views<'a> {
    pub people: &'a PeopleView,
    pub board: &'a BoardView,
    pub ledgers: &'a BTreeMap<i32, LedgerView>,
}

/// What a local change touched, so the cached views are refreshed narrowly.
#[derive(Debug, Clone, Copy)]
pub(super) enum Touched {
    Member(MemberId),
    /// Community name, sectors, guilds.
    Settings,
    Task(TaskId),
    Flags,
    Proposals,
    Entry(i32, EntryId),
    Pair(i32, PledgeId),
    /// A whole new document (genesis).
    Doc(DocName),
}

impl Community {
    pub fn new(id: CommunityId, people: Document, board: Document, unloaded: BTreeSet<i32>, now: Mono) -> Self {
        Self {
            id,
            people,
            board: Some(board),
            ledgers: BTreeMap::new(),
            unloaded,
            used: BTreeMap::from([(DocName::Board, now)]),
            people_view: None,
            board_view: None,
            ledger_views: BTreeMap::new(),
        }
    }

    pub fn people(&mut self) -> &PeopleView {
        self.people_view.get_or_insert_with(|| PeopleView::read(self.people.automerge()))
    }

    pub fn board(&mut self) -> &BoardView {
        self.board_view.get_or_insert_with(|| read_board(self.board.as_ref()))
    }

    /// All views of what is loaded, at once (the caller loads the ledgers it needs first).
    pub fn views(&mut self) -> Views<'_> {
        let people = &*self.people_view.get_or_insert_with(|| PeopleView::read(self.people.automerge()));
        let board = &*self.board_view.get_or_insert_with(|| read_board(self.board.as_ref()));
        for (year, doc) in &self.ledgers {
            self.ledger_views.entry(*year).or_insert_with(|| LedgerView::read(doc.automerge()));
        }
        Views { people, board, ledgers: &self.ledger_views }
    }

    /// The views `views()` filled, borrowed shared (to read several communities at once).
    pub fn cached_views(&self) -> Option<Views<'_>> {
        Some(Views {
            people: self.people_view.as_ref()?,
            board: self.board_view.as_ref()?,
            ledgers: &self.ledger_views,
        })
    }

    pub fn doc(&self, name: DocName) -> Option<&Document> {
        match name {
            DocName::People => Some(&self.people),
            DocName::Board => self.board.as_ref(),
            DocName::Ledger(y) => self.ledgers.get(&y),
            // Not held with the community's own documents (neighbours' commons are not ours).
            DocName::Commons => None,
        }
    }

    pub fn doc_mut(&mut self, name: DocName) -> Option<&mut Document> {
        match name {
            DocName::People => Some(&mut self.people),
            DocName::Board => self.board.as_mut(),
            DocName::Ledger(y) => self.ledgers.get_mut(&y),
            DocName::Commons => None,
        }
    }

    /// Brings the cached views up to date after a local change.
    pub fn refresh(&mut self, touched: Touched) {
        match touched {
            Touched::Member(m) => {
                if let Some(v) = &mut self.people_view {
                    v.refresh_member(self.people.automerge(), m);
                }
            }
            Touched::Settings => {
                if let Some(v) = &mut self.people_view {
                    v.refresh_settings(self.people.automerge());
                }
            }
            Touched::Task(t) => {
                if let (Some(v), Some(doc)) = (&mut self.board_view, &self.board) {
                    v.refresh_task(doc.automerge(), t);
                }
            }
            Touched::Flags => {
                if let (Some(v), Some(doc)) = (&mut self.board_view, &self.board) {
                    v.refresh_flags(doc.automerge());
                }
            }
            Touched::Proposals => {
                if let (Some(v), Some(doc)) = (&mut self.board_view, &self.board) {
                    v.proposals = weft_core::doc::proposals::read_all(doc.automerge()).0;
                }
            }
            Touched::Entry(year, e) => {
                if let (Some(v), Some(doc)) = (self.ledger_views.get_mut(&year), self.ledgers.get(&year)) {
                    v.refresh_entry(doc.automerge(), e);
                }
            }
            Touched::Pair(year, p) => {
                if let (Some(v), Some(doc)) = (self.ledger_views.get_mut(&year), self.ledgers.get(&year)) {
                    v.refresh_pair(doc.automerge(), p);
                }
            }
            Touched::Doc(DocName::People) => self.people_view = None,
            Touched::Doc(DocName::Board) => self.board_view = None,
            Touched::Doc(DocName::Ledger(y)) => {
                self.ledger_views.remove(&y);
            }
            Touched::Doc(DocName::Commons) => {}
        }
    }

    /// Notes that a document was loaded, written or synced at `now`.
    pub fn use_doc(&mut self, name: DocName, now: Mono) {
        if name != DocName::People {
            self.used.insert(name, now);
        }
    }

    /// The documents in memory that may rest (none waits for compaction), with when: unused
    /// for `after`, or at once (`None`) if one was loaded only to make its view.
    fn restable<'a>(
        &'a self,
        after: Duration,
        waits: impl Fn(DocName) -> bool + 'a,
    ) -> impl Iterator<Item = (DocName, Option<Mono>)> + 'a {
        let board = self.board.as_ref().map(|_| DocName::Board);
        let ledgers = self.ledgers.keys().map(|y| DocName::Ledger(*y));
        board
            .into_iter()
            .chain(ledgers)
            .filter(move |name| !waits(*name))
            .map(move |name| (name, self.used.get(&name).map(|at| *at + after)))
    }

    /// Drops the documents unused for `after` (and waiting for no compaction). The board's view
    /// is made first if it is not there: reads need it. A ledger without a view goes back to
    /// not loaded. Returns how many documents rest now.
    pub fn rest(&mut self, after: Duration, now: Mono, waits: impl Fn(DocName) -> bool) -> usize {
        let due: Vec<DocName> =
            self.restable(after, waits).filter(|(_, at)| at.is_none_or(|at| at <= now)).map(|(name, _)| name).collect();
        for name in &due {
            self.used.remove(name);
            match name {
                DocName::Board => {
                    self.board();
                    self.board = None;
                }
                DocName::Ledger(year) => {
                    self.ledgers.remove(year);
                    self.unloaded.insert(*year);
                }
                DocName::People | DocName::Commons => {}
            }
        }
        due.len()
    }

    /// When the next document in memory may rest.
    pub fn next_rest(&self, after: Duration, now: Mono, waits: impl Fn(DocName) -> bool) -> Option<Mono> {
        self.restable(after, waits).map(|(_, at)| at.unwrap_or(now)).min()
    }

    pub fn info(&mut self) -> CommunityInfo {
        let id = self.id;
        let v = self.views();
        let open = views::open_tasks(v.board, None);
        CommunityInfo {
            id,
            name: v.people.name.clone(),
            members: count(v.people.current_members().count()),
            open_tasks: count(open.len()),
            urgent_open: count(open.iter().filter(|t| t.task.urgency == Urgency::Urgent).count()),
            baseline: v.people.total_baseline(),
        }
    }
}

/// The board's view, read from its document. The document rests only while the view is kept,
/// and the view is dropped only while the document is loaded, so it is always here.
fn read_board(doc: Option<&Document>) -> BoardView {
    match doc {
        Some(doc) => BoardView::read(doc.automerge()),
        None => {
            tracing::error!("the board's view was asked for while its document rested");
            BoardView::default()
        }
    }
}

/// A member's name, or words for one we do not know.
pub(super) fn member_name(people: &PeopleView, id: &MemberId) -> String {
    people.members.get(id).map_or_else(|| format!("member {}", id.short()), |m| m.name.clone())
}
