//! The node's state and every operation on it, synchronously, on one thread.
//!
//! The state thread owns the store (SQLite never runs inside async code) and the documents in
//! memory. A local write goes: validate → change the in-memory document → sign → commit to
//! SQLite (durable, `synchronous=FULL`) → only then answer and emit an event. If the commit
//! fails, the community is reloaded from disk so memory never holds what the disk does not.

use std::collections::{BTreeMap, BTreeSet};

use tokio::sync::broadcast;
use tracing::{debug, info, warn};
use weft_core::doc::board::{BoardView, PledgeAction};
use weft_core::doc::ledger::{LedgerView, check_entry};
use weft_core::doc::people::{self, PeopleView};
use weft_core::doc::{DocId, DocName, Document, WriteError};
use weft_core::identity::{Identity, SignedChange};
use weft_core::model::{HourEntry, PledgeState, TaskEdit, TaskStatus, Urgency};
use weft_core::views;
use weft_core::{CommunityId, Date, EntryId, GuildId, MemberId, TaskId, Timestamp};
use weft_store::{Batch, DataDir, DirLock, Store, StoredIdentity};

mod membership;
mod sync;

pub(crate) use sync::{Ingested, Outgoing, ReadFrame, Role, parse_wire, read_frame};

use crate::api::*;
use crate::clock::Clock;
use crate::error::NodeError;

/// How long the board's or a ledger's Automerge document stays in memory after it was last
/// loaded, written or synced. Then it rests: its read view stays, the document (several times
/// larger) is dropped, and the next write or sync loads it again from the store.
pub const REST_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

/// How many changes may pile up in a document's log before it is folded into a snapshot.
const COMPACT_AFTER_CHANGES: u64 = 500;
/// …or how many bytes.
const COMPACT_AFTER_BYTES: u64 = 4 << 20;

/// One community's documents in memory, with read views kept up to date record by record.
///
/// Ledgers are loaded when first needed: opening a data directory to a usable board reads
/// only the people document and the board. The board's and the ledgers' documents rest (are
/// dropped, their views kept) once unused for [`REST_AFTER`]; reads need only the views.
/// The people document stays: membership and gossip read it all the time, and it is small.
struct Community {
    id: CommunityId,
    people: Document,
    /// `None` while the board rests; its view is then always there.
    board: Option<Document>,
    ledgers: BTreeMap<i32, Document>,
    /// Ledgers in the store whose document is not in memory (not loaded yet, or resting).
    unloaded: BTreeSet<i32>,
    /// When the board's and each loaded ledger's document was last loaded, written or synced.
    used: BTreeMap<DocName, std::time::Instant>,
    people_view: Option<PeopleView>,
    board_view: Option<BoardView>,
    ledger_views: BTreeMap<i32, LedgerView>,
}

/// The read views of a community, borrowed together.
struct Views<'a> {
    people: &'a PeopleView,
    board: &'a BoardView,
    ledgers: &'a BTreeMap<i32, LedgerView>,
}

/// What a local change touched, so the cached views are refreshed narrowly.
#[derive(Debug, Clone, Copy)]
enum Touched {
    Member(MemberId),
    /// Community name, sectors, guilds.
    Settings,
    Task(TaskId),
    Flags,
    Entry(i32, EntryId),
    Pair(i32, weft_core::PledgeId),
    /// A whole new document (genesis).
    Doc(DocName),
}

impl Community {
    fn new(id: CommunityId, people: Document, board: Document, unloaded: BTreeSet<i32>) -> Self {
        Self {
            id,
            people,
            board: Some(board),
            ledgers: BTreeMap::new(),
            unloaded,
            used: BTreeMap::from([(DocName::Board, std::time::Instant::now())]),
            people_view: None,
            board_view: None,
            ledger_views: BTreeMap::new(),
        }
    }

    fn people(&mut self) -> &PeopleView {
        self.people_view.get_or_insert_with(|| PeopleView::read(self.people.automerge()))
    }

    fn board(&mut self) -> &BoardView {
        self.board_view.get_or_insert_with(|| read_board(self.board.as_ref()))
    }

    /// All views of what is loaded, at once (the caller loads the ledgers it needs first).
    fn views(&mut self) -> Views<'_> {
        let people = &*self.people_view.get_or_insert_with(|| PeopleView::read(self.people.automerge()));
        let board = &*self.board_view.get_or_insert_with(|| read_board(self.board.as_ref()));
        for (year, doc) in &self.ledgers {
            self.ledger_views.entry(*year).or_insert_with(|| LedgerView::read(doc.automerge()));
        }
        Views { people, board, ledgers: &self.ledger_views }
    }

    /// The views `views()` filled, borrowed shared (to read several communities at once).
    fn cached_views(&self) -> Option<Views<'_>> {
        Some(Views {
            people: self.people_view.as_ref()?,
            board: self.board_view.as_ref()?,
            ledgers: &self.ledger_views,
        })
    }

    fn doc(&self, name: DocName) -> Option<&Document> {
        match name {
            DocName::People => Some(&self.people),
            DocName::Board => self.board.as_ref(),
            DocName::Ledger(y) => self.ledgers.get(&y),
        }
    }

    /// Brings the cached views up to date after a local change.
    fn refresh(&mut self, touched: Touched) {
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
        }
    }

    /// Notes that a document was loaded, written or synced now.
    fn use_doc(&mut self, name: DocName) {
        if name != DocName::People {
            self.used.insert(name, std::time::Instant::now());
        }
    }

    /// The documents in memory that may rest (none waits for compaction), with when: unused
    /// for `after`, or at once (`None`) if one was loaded only to make its view.
    fn restable<'a>(
        &'a self,
        after: std::time::Duration,
        waits: impl Fn(DocName) -> bool + 'a,
    ) -> impl Iterator<Item = (DocName, Option<std::time::Instant>)> + 'a {
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
    fn rest(&mut self, after: std::time::Duration, waits: impl Fn(DocName) -> bool) -> usize {
        let now = std::time::Instant::now();
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
                DocName::People => {}
            }
        }
        due.len()
    }

    /// When the next document in memory may rest.
    fn next_rest(&self, after: std::time::Duration, waits: impl Fn(DocName) -> bool) -> Option<std::time::Instant> {
        let now = std::time::Instant::now();
        self.restable(after, waits).map(|(_, at)| at.unwrap_or(now)).min()
    }

    fn info(&mut self) -> CommunityInfo {
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

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn member_name(people: &PeopleView, id: &MemberId) -> String {
    people.members.get(id).map_or_else(|| format!("member {}", id.short()), |m| m.name.clone())
}

/// The node's state, owned by the state thread.
pub(crate) struct State {
    dir: DataDir,
    _lock: DirLock,
    store: Store,
    identity: Option<StoredIdentity>,
    communities: BTreeMap<CommunityId, Community>,
    clock: Clock,
    events: broadcast::Sender<Event>,
    sync: sync::SyncBook,
    /// Where new local changes go to be gossiped, while the network runs.
    outgoing: Option<tokio::sync::mpsc::Sender<Outgoing>>,
    /// Documents whose log grew long enough to compact, when the thread is idle, and since
    /// when.
    compact_due: BTreeMap<DocId, std::time::Instant>,
    /// How long a document stays in memory unused ([`REST_AFTER`] by default).
    pub(crate) rest_after: std::time::Duration,
    /// When a job last ran, if memory was not returned to the system since.
    worked_at: Option<std::time::Instant>,
}

impl State {
    pub(crate) fn open(
        dir: DataDir,
        lock: DirLock,
        clock: Clock,
        events: broadcast::Sender<Event>,
    ) -> Result<Self, NodeError> {
        let store = Store::open(&dir, &lock)?;
        let identity = store.identity()?;
        let mut state = Self {
            dir,
            _lock: lock,
            store,
            identity,
            communities: BTreeMap::new(),
            clock,
            events,
            sync: sync::SyncBook::default(),
            outgoing: None,
            compact_due: BTreeMap::new(),
            rest_after: REST_AFTER,
            worked_at: None,
        };
        for row in state.store.communities()? {
            state.load_community(row.id)?;
        }
        info!(dir = %state.dir.path().display(), communities = state.communities.len(), "data directory open");
        Ok(state)
    }

    fn load_community(&mut self, id: CommunityId) -> Result<(), NodeError> {
        let mut unloaded = BTreeSet::new();
        let load = |name: DocName| -> Result<Option<Document>, NodeError> {
            let started = std::time::Instant::now();
            let doc = self.store.load_doc(DocId { community: id, name })?;
            debug!(doc = %name, elapsed = ?started.elapsed(), "loaded");
            Ok(doc)
        };
        // A community whose people document has not arrived yet (joining was interrupted)
        // opens empty; the next sync fills it.
        let people = match load(DocName::People)? {
            Some(p) => p,
            None => Document::load(DocId { community: id, name: DocName::People }, None, &[])
                .map_err(|e| NodeError::Write(e.to_string()))?,
        };
        let board = self.board_from_store(id)?;
        for name in self.store.doc_names(id)? {
            if let DocName::Ledger(y) = name {
                unloaded.insert(y);
            }
        }
        self.communities.insert(id, Community::new(id, people, board, unloaded));
        Ok(())
    }

    /// The board's document as stored, or its deterministic genesis if none is stored yet.
    fn board_from_store(&self, id: CommunityId) -> Result<Document, NodeError> {
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
    fn load_board(&mut self, c: CommunityId) -> Result<(), NodeError> {
        if self.community(c)?.board.is_none() {
            let board = self.board_from_store(c)?;
            self.community(c)?.board = Some(board);
        }
        self.community(c)?.use_doc(DocName::Board);
        Ok(())
    }

    /// Loads one year's ledger document from the store if it is there and not in memory (before
    /// a write or a sync, or to read a year whose view is not made yet).
    fn load_ledger(&mut self, c: CommunityId, year: i32) -> Result<(), NodeError> {
        let com =
            self.communities.get_mut(&c).ok_or_else(|| NodeError::NotFound(format!("no community {}", c.short())))?;
        if !com.unloaded.remove(&year) {
            if com.ledgers.contains_key(&year) {
                com.use_doc(DocName::Ledger(year));
            }
            return Ok(());
        }
        let started = std::time::Instant::now();
        if let Some(doc) = self.store.load_doc(DocId { community: c, name: DocName::Ledger(year) })? {
            debug!(year, elapsed = ?started.elapsed(), "ledger loaded");
            com.ledgers.insert(year, doc);
            com.use_doc(DocName::Ledger(year));
        }
        Ok(())
    }

    /// Makes a year's ledger readable: its view is kept even while its document rests.
    fn read_ledger(&mut self, c: CommunityId, year: i32) -> Result<(), NodeError> {
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

    fn read_ledgers(&mut self, c: CommunityId, years: impl IntoIterator<Item = i32>) -> Result<(), NodeError> {
        for year in years {
            self.read_ledger(c, year)?;
        }
        Ok(())
    }

    fn read_all_ledgers(&mut self, c: CommunityId) -> Result<(), NodeError> {
        let years: Vec<i32> = self.community(c)?.unloaded.iter().copied().collect();
        self.read_ledgers(c, years)
    }

    /// Lets the documents unused for a while (`rest_after`) rest (their views stay), and gives
    /// the memory freed meanwhile back to the system.
    pub(crate) fn rest(&mut self) {
        let waiting: BTreeSet<DocId> = self.compact_due.keys().copied().collect();
        let mut rested = 0;
        for (id, com) in &mut self.communities {
            let now = com.rest(self.rest_after, |name| waiting.contains(&DocId { community: *id, name }));
            if now > 0 {
                debug!(community = %id.short(), rested = now, "documents rest");
            }
            rested += now;
        }
        // What they held, and what the jobs since the last time freed, is free, but glibc
        // keeps it resident unless asked.
        let quiet = self.worked_at.is_some_and(|at| at.elapsed() >= self.rest_after);
        if rested > 0 || quiet {
            self.worked_at = None;
            let started = std::time::Instant::now();
            let released = crate::memory::release_free_memory();
            debug!(released, took = ?started.elapsed(), "freed memory returned");
        }
    }

    /// Notes that a job ran: once the node was idle for `rest_after`, memory is given back.
    pub(crate) fn worked(&mut self) {
        self.worked_at = Some(std::time::Instant::now());
    }

    /// How long until a document may rest or memory is to be given back, if either is due.
    pub(crate) fn rest_due_in(&self) -> Option<std::time::Duration> {
        let next = self
            .communities
            .iter()
            .filter_map(|(id, c)| {
                c.next_rest(self.rest_after, |name| self.compact_due.contains_key(&DocId { community: *id, name }))
            })
            .chain(self.worked_at.map(|at| at + self.rest_after))
            .min()?;
        Some(next.saturating_duration_since(std::time::Instant::now()))
    }

    /// Every year's ledger document in memory (before a sync).
    fn load_all_ledgers(&mut self, c: CommunityId) -> Result<(), NodeError> {
        let com = self.community(c)?;
        let years: Vec<i32> = com.unloaded.iter().chain(com.ledgers.keys()).copied().collect();
        for year in years {
            self.load_ledger(c, year)?;
        }
        Ok(())
    }

    /// The board's document, loaded if it rests, with the people view its writes check against.
    fn board_for_write(&mut self, c: CommunityId) -> Result<(&mut Document, &PeopleView), NodeError> {
        self.load_board(c)?;
        let com = self.community(c)?;
        com.people();
        let people = com.people_view.as_ref().ok_or(NodeError::Stopped)?;
        let board = com.board.as_mut().ok_or_else(|| NodeError::Write("the board's document is not loaded".into()))?;
        Ok((board, people))
    }

    /// The ledger of a year, loaded, or created from its deterministic genesis if this
    /// device has none yet (the genesis change is returned, to be stored with the write).
    fn ledger_for_write(
        &mut self,
        c: CommunityId,
        year: i32,
    ) -> Result<(&mut Document, Option<SignedChange>), NodeError> {
        self.load_ledger(c, year)?;
        let com = self.community(c)?;
        let (doc, genesis) = match com.ledgers.entry(year) {
            std::collections::btree_map::Entry::Occupied(e) => (e.into_mut(), None),
            std::collections::btree_map::Entry::Vacant(e) => {
                let id = DocId { community: c, name: DocName::Ledger(year) };
                let (doc, genesis) = Document::from_genesis(id)
                    .ok_or_else(|| NodeError::Write(format!("could not start the ledger of {year}")))?;
                (e.insert(doc), Some(genesis))
            }
        };
        Ok((doc, genesis))
    }

    fn identity(&self) -> Result<&Identity, NodeError> {
        self.identity.as_ref().map(|s| &s.identity).ok_or(NodeError::NotInitialised)
    }

    fn me(&self) -> Result<MemberId, NodeError> {
        Ok(self.identity()?.member())
    }

    /// Stores changes durably, refreshes the cached views, then emits events. On failure the
    /// community is reloaded from disk, so nothing that was not stored stays in memory.
    fn persist(
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
        if let Some(out) = &self.outgoing {
            for name in &names {
                let batch: Vec<SignedChange> =
                    changes.iter().filter(|(n, _)| n == name).map(|(_, c)| c.clone()).collect();
                // A full queue only delays: the next sync round carries what gossip missed.
                if out.try_send(Outgoing { community, doc: *name, changes: batch }).is_err() {
                    debug!(doc = %name, "gossip queue full; sync will carry the change");
                }
            }
        }
        for name in &names {
            self.maybe_compact(community, *name);
            let _ = self.events.send(Event::DocumentChanged { community, doc: *name });
        }
        Ok(())
    }

    /// Notes a document for compaction if its log of changes since the snapshot grew long. The
    /// state thread compacts it once no job has come for a moment (`housekeep`), or when the
    /// node stops: compaction only makes the next open faster, the log is complete without it.
    fn maybe_compact(&mut self, community: CommunityId, name: DocName) {
        let id = DocId { community, name };
        match self.store.log_size(id) {
            Ok((n, bytes)) if n >= COMPACT_AFTER_CHANGES || bytes >= COMPACT_AFTER_BYTES => {
                self.compact_due.entry(id).or_insert_with(std::time::Instant::now);
            }
            Ok(_) => {}
            Err(e) => warn!(%e, doc = %id, "could not read the log size"),
        }
    }

    /// Whether a document waits to be compacted.
    pub(crate) fn housekeeping_due(&self) -> bool {
        !self.compact_due.is_empty()
    }

    /// Whether a document has waited longer than `limit` to be compacted.
    pub(crate) fn housekeeping_overdue(&self, limit: std::time::Duration) -> bool {
        self.compact_due.values().any(|since| since.elapsed() >= limit)
    }

    /// Compacts one document that waits for it (the one waiting longest).
    pub(crate) fn housekeep(&mut self) {
        let Some(id) = self.compact_due.iter().min_by_key(|(_, since)| **since).map(|(id, _)| *id) else { return };
        self.compact_due.remove(&id);
        if let Some(doc) = self.communities.get(&id.community).and_then(|c| c.doc(id.name)) {
            let started = std::time::Instant::now();
            match self.store.compact(doc) {
                Ok(()) => debug!(doc = %id, took = ?started.elapsed(), "compacted"),
                // Compaction is an optimisation: the log is still complete.
                Err(e) => warn!(%e, doc = %id, "compaction failed"),
            }
        }
    }

    /// Compacts every document that waits for it (before the node stops).
    pub(crate) fn housekeep_all(&mut self) {
        while self.housekeeping_due() {
            self.housekeep();
        }
    }

    /// Sends new local changes to the network from now on.
    pub(crate) fn set_outgoing(&mut self, out: Option<tokio::sync::mpsc::Sender<Outgoing>>) {
        self.outgoing = out;
    }

    /// The ids of the communities this directory holds.
    pub(crate) fn community_ids(&self) -> Vec<CommunityId> {
        self.communities.keys().copied().collect()
    }

    fn community(&mut self, id: CommunityId) -> Result<&mut Community, NodeError> {
        self.communities.get_mut(&id).ok_or_else(|| NodeError::NotFound(format!("no community {}", id.short())))
    }

    // ---- references -------------------------------------------------------------------

    /// A community by id, id prefix or name; or the only one, when none is given.
    fn resolve_community(&mut self, reference: Option<&str>) -> Result<CommunityId, NodeError> {
        let Some(r) = reference.map(str::trim).filter(|r| !r.is_empty()) else {
            return match self.communities.len() {
                0 => Err(NodeError::NotFound(
                    "this data directory has no community yet: create one with `weft community create NAME`, or try `weft demo`".into(),
                )),
                _ if self.communities.len() == 1 => {
                    self.communities.keys().next().copied().ok_or_else(|| NodeError::NotFound("no community".into()))
                }
                _ => Err(NodeError::Ambiguous(format!(
                    "this data directory has {} communities: say which with --community ({})",
                    self.communities.len(),
                    self.community_names().join(", ")
                ))),
            };
        };
        let lower = r.to_lowercase();
        let mut by_name = Vec::new();
        let mut by_id = Vec::new();
        for c in self.communities.values_mut() {
            let id = c.id;
            if c.people().name.to_lowercase() == lower {
                by_name.push(id);
            }
            if lower.len() >= 4 && id.to_string().starts_with(&lower) {
                by_id.push(id);
            }
        }
        let found = if by_name.is_empty() { by_id } else { by_name };
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(NodeError::NotFound(format!(
                "no community called '{r}' here; communities: {}",
                if self.communities.is_empty() { "none yet".to_owned() } else { self.community_names().join(", ") }
            ))),
            _ => Err(NodeError::Ambiguous(format!("'{r}' matches more than one community: use its id"))),
        }
    }

    fn community_names(&mut self) -> Vec<String> {
        self.communities.values_mut().map(|c| c.people().name.clone()).collect()
    }

    fn check_prefix(reference: &str, what: &str) -> Result<String, NodeError> {
        let r = reference.trim().to_lowercase();
        if r.len() < 4 {
            return Err(NodeError::BadRequest(format!(
                "'{reference}' is too short to find a {what}: give at least 4 characters of its id"
            )));
        }
        Ok(r)
    }

    /// A task by id or unique id prefix, in any community.
    fn resolve_task(&mut self, reference: &str) -> Result<(CommunityId, TaskId), NodeError> {
        let r = Self::check_prefix(reference, "task")?;
        let mut found = Vec::new();
        for c in self.communities.values_mut() {
            let id = c.id;
            found.extend(c.board().tasks.keys().filter(|t| t.to_string().starts_with(&r)).map(|t| (id, *t)));
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(NodeError::NotFound(format!("no task {reference}: `weft task list` shows the board"))),
            _ => Err(NodeError::Ambiguous(format!("'{reference}' matches {} tasks: give more of the id", found.len()))),
        }
    }

    /// An hour entry by id or unique id prefix, in any community and year.
    fn resolve_entry(&mut self, reference: &str) -> Result<(CommunityId, i32, EntryId), NodeError> {
        let r = Self::check_prefix(reference, "entry")?;
        let ids: Vec<CommunityId> = self.communities.keys().copied().collect();
        for c in &ids {
            self.read_all_ledgers(*c)?;
        }
        let mut found = Vec::new();
        for c in self.communities.values_mut() {
            let id = c.id;
            for (year, l) in c.views().ledgers {
                found.extend(l.entries.keys().filter(|e| e.to_string().starts_with(&r)).map(|e| (id, *year, *e)));
            }
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => {
                Err(NodeError::NotFound(format!("no hour entry {reference}: `weft pending` lists entries to confirm")))
            }
            _ => {
                Err(NodeError::Ambiguous(format!("'{reference}' matches {} entries: give more of the id", found.len())))
            }
        }
    }

    fn resolve_guild(&mut self, community: CommunityId, reference: &str) -> Result<GuildId, NodeError> {
        let people = self.community(community)?.people();
        let lower = reference.trim().to_lowercase();
        let matches: Vec<GuildId> = people
            .guilds
            .values()
            .filter(|g| {
                !g.archived
                    && (g.name.to_lowercase() == lower || (lower.len() >= 4 && g.id.to_string().starts_with(&lower)))
            })
            .map(|g| g.id)
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(NodeError::NotFound(format!(
                "no guild '{reference}'; guilds: {}",
                people.guilds.values().filter(|g| !g.archived).map(|g| g.name.as_str()).collect::<Vec<_>>().join(", ")
            ))),
            _ => Err(NodeError::Ambiguous(format!("'{reference}' matches more than one guild: use its id"))),
        }
    }

    fn resolve_member(&mut self, community: CommunityId, reference: &str) -> Result<MemberId, NodeError> {
        let people = self.community(community)?.people();
        let lower = reference.trim().to_lowercase();
        let by_name: Vec<MemberId> =
            people.current_members().filter(|m| m.name.to_lowercase() == lower).map(|m| m.id).collect();
        let found = if by_name.is_empty() && lower.len() >= 4 {
            people.members.keys().filter(|m| m.to_string().starts_with(&lower)).copied().collect()
        } else {
            by_name
        };
        match found.as_slice() {
            [one] => Ok(*one),
            [] => match people.members.values().find(|m| m.removed && m.name.to_lowercase() == lower) {
                Some(m) => {
                    Err(NodeError::Invalid(weft_core::validate::ValidationError::AlreadyRemoved(m.name.clone())))
                }
                None => Err(NodeError::NotFound(format!("no member '{reference}' in {}", people.name))),
            },
            _ => Err(NodeError::Ambiguous(format!("more than one member is called '{reference}': use their id"))),
        }
    }

    // ---- the API ----------------------------------------------------------------------

    pub(crate) fn execute(&mut self, request: Request) -> Result<Response, NodeError> {
        match request {
            Request::Init { name } => self.init(&name),
            Request::Whoami => self.whoami().map(Response::Identity),
            Request::CommunityCreate { name } => self.create_community(&name),
            Request::MemberRemove { community, member } => self.remove_member(community.as_deref(), &member),
            // Carried out by the node itself (they need the network).
            Request::Invite { .. } | Request::Join { .. } => {
                Err(NodeError::BadRequest("this request is answered by the node, not its state".into()))
            }
            Request::CommunityList => {
                Ok(Response::Communities(self.communities.values_mut().map(Community::info).collect()))
            }
            Request::CommunityRename { community, name } => {
                let c = self.resolve_community(community.as_deref())?;
                let me = self.identity()?.clone();
                let now = self.clock.now();
                let change = self.community(c)?.people.rename_community(&me, &name, now)?;
                self.persist(c, vec![(DocName::People, change)], &[Touched::Settings], None)?;
                let info = self.community(c)?.info();
                self.store.rename_community(c, &info.name)?;
                Ok(Response::Community(info))
            }
            Request::SectorSet { community, sector, name, essential, baseline, archived } => {
                let c = self.resolve_community(community.as_deref())?;
                let me = self.identity()?.clone();
                let now = self.clock.now();
                let com = self.community(c)?;
                let people = com.people();
                let next_order = people.sectors.values().map(|s| s.order + 1).max().unwrap_or(0);
                let mut s = people.sectors.get(&sector).cloned().unwrap_or(weft_core::model::Sector {
                    id: sector.clone(),
                    name: sector.as_str().to_owned(),
                    essential: false,
                    baseline: weft_core::Minutes::from_hours(20),
                    order: next_order,
                    archived: false,
                });
                if let Some(n) = name {
                    s.name = n;
                }
                s.essential = essential.unwrap_or(s.essential);
                s.baseline = baseline.unwrap_or(s.baseline);
                s.archived = archived.unwrap_or(s.archived);
                let change = com.people.set_sector(&me, &s, now)?;
                self.persist(c, vec![(DocName::People, change)], &[Touched::Settings], None)?;
                let people = self.community(c)?.people();
                Ok(Response::Sectors(people.active_sectors().into_iter().cloned().collect()))
            }
            Request::ProfileSet { community, update } => {
                let c = self.resolve_community(community.as_deref())?;
                let me = self.identity()?.clone();
                let now = self.clock.now();
                let change = self.community(c)?.people.update_profile(&me, &update, now)?;
                self.persist(c, vec![(DocName::People, change)], &[Touched::Member(me.member())], None)?;
                self.member_info(c, me.member()).map(Response::Member)
            }
            Request::ProfileShow { community, member } => {
                let c = self.resolve_community(community.as_deref())?;
                let who = match member {
                    Some(m) => self.resolve_member(c, &m)?,
                    None => self.me()?,
                };
                self.member_info(c, who).map(Response::Member)
            }
            Request::Members { community } => {
                let c = self.resolve_community(community.as_deref())?;
                let me = self.identity.as_ref().map(|i| i.identity.member());
                let people = self.community(c)?.people();
                let mut members: Vec<MemberInfo> = people.current_members().map(|m| to_member_info(m, me)).collect();
                members.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
                Ok(Response::Members(members))
            }
            Request::Sectors { community } => {
                let c = self.resolve_community(community.as_deref())?;
                let people = self.community(c)?.people();
                Ok(Response::Sectors(people.active_sectors().into_iter().cloned().collect()))
            }
            Request::GuildAdd { community, name, sector, description } => {
                let c = self.resolve_community(community.as_deref())?;
                let me = self.identity()?.clone();
                let now = self.clock.now();
                let (id, change) = self.community(c)?.people.add_guild(&me, &name, &sector, &description, now)?;
                self.persist(c, vec![(DocName::People, change)], &[Touched::Settings], None)?;
                let guild = self.community(c)?.people().guilds.get(&id).cloned();
                guild.map(Response::Guild).ok_or_else(|| NodeError::Write("the new guild is missing".into()))
            }
            Request::Guilds { community } => {
                let c = self.resolve_community(community.as_deref())?;
                let people = self.community(c)?.people();
                let mut guilds: Vec<_> = people.guilds.values().filter(|g| !g.archived).cloned().collect();
                guilds.sort_by(|a, b| a.sector.cmp(&b.sector).then(a.name.cmp(&b.name)));
                Ok(Response::Guilds(guilds))
            }
            Request::TaskAdd { community, task } => self.add_task(community.as_deref(), task),
            Request::TaskList { community, sector, open_only } => {
                let c = self.resolve_community(community.as_deref())?;
                let com = self.community(c)?;
                if let Some(s) = &sector {
                    com.people().require_sector(s)?;
                }
                let board = com.board();
                let tasks = if open_only {
                    views::open_tasks(board, sector.as_ref())
                } else {
                    views::all_tasks(board, sector.as_ref())
                };
                Ok(Response::Tasks(tasks))
            }
            Request::TaskShow { task } => {
                let (c, t) = self.resolve_task(&task)?;
                self.task_detail(c, t).map(|d| Response::Task(Box::new(d)))
            }
            Request::TaskEdit { task, edit } => self.edit_task(&task, &edit),
            Request::TaskClose { task } => {
                self.edit_task(&task, &TaskEdit { status: Some(TaskStatus::Closed), ..TaskEdit::default() })
            }
            Request::Pledge { task, action } => self.pledge(&task, action.into()),
            Request::Log { community, task, sector, minutes, date, note } => {
                self.log(community.as_deref(), task.as_deref(), sector, minutes, date, &note)
            }
            Request::Confirm { entry } => self.confirm(&entry, false),
            Request::Retract { entry } => self.confirm(&entry, true),
            Request::Pending { community } => self.pending(community.as_deref()),
            Request::Feedback { task, verdict } => {
                let (c, t) = self.resolve_task(&task)?;
                let title = self.community(c)?.board().require_task(t)?.title.clone();
                self.write_pair(c, t, |ledger, me, now| ledger.give_feedback(me, t, verdict, now))?;
                Ok(Response::Feedback(FeedbackInfo { task: t, title, verdict }))
            }
            Request::Suggest { community, member, limit } => {
                self.suggest(community.as_deref(), member.as_deref(), limit)
            }
            Request::Plan { community } => self.plan(community.as_deref()),
            Request::Decline { community, task } => self.decline(community.as_deref(), &task),
            Request::Flag { community, task, sector, note } => {
                let (c, t) = match task {
                    Some(t) => {
                        let (c, t) = self.resolve_task(&t)?;
                        (c, Some(t))
                    }
                    None => (self.resolve_community(community.as_deref())?, None),
                };
                let me = self.identity()?.clone();
                let now = self.clock.now();
                let (board, people) = self.board_for_write(c)?;
                let (id, change) = board.raise_flag(&me, t, sector.as_ref(), &note, people, now)?;
                self.persist(c, vec![(DocName::Board, change)], &[Touched::Flags], None)?;
                Ok(Response::Flag { id })
            }
            Request::Progress { community, month } => {
                let c = self.resolve_community(community.as_deref())?;
                let month = month.unwrap_or_else(|| self.clock.today().month());
                self.read_ledger(c, month.year())?;
                let v = self.community(c)?.views();
                let ledger = v.ledgers.get(&month.year());
                Ok(Response::Progress(views::progress(v.people, v.board, ledger, month)))
            }
            Request::MyHours { community, year } => {
                let c = self.resolve_community(community.as_deref())?;
                let me = self.me()?;
                let today = self.clock.today();
                let year = year.unwrap_or(today.year());
                self.read_ledger(c, year)?;
                let v = self.community(c)?.views();
                let empty = LedgerView::default();
                let ledger = v.ledgers.get(&year).unwrap_or(&empty);
                Ok(Response::Hours(views::member_year(v.people, ledger, me, year, today)))
            }
            Request::Export { community, format, doc } => {
                let c = self.resolve_community(community.as_deref())?;
                self.export(c, format, doc).map(Response::Export)
            }
            Request::Demo { members, seed, name } => self.demo(members, seed, name),
            Request::Status => self.status().map(Response::Status),
            // Answered by the node when its network runs; this is the offline answer.
            Request::Peers => Ok(Response::Peers(PeersInfo {
                online: false,
                peer_id: None,
                listening: Vec::new(),
                peers: Vec::new(),
                incidents: Vec::new(),
            })),
        }
    }

    fn init(&mut self, name: &str) -> Result<Response, NodeError> {
        if let Some(existing) = &self.identity {
            return Err(NodeError::AlreadyInitialised { name: existing.name.clone() });
        }
        let name = weft_core::validate::text("name", "say what others should call you", name, 80)?;
        self.identity = Some(self.store.create_identity(&name)?);
        self.whoami().map(Response::Identity)
    }

    fn whoami(&self) -> Result<IdentityInfo, NodeError> {
        let stored = self.identity.as_ref().ok_or(NodeError::NotInitialised)?;
        Ok(IdentityInfo {
            name: stored.name.clone(),
            member: stored.identity.member(),
            device: stored.identity.device(),
            data_dir: self.dir.path().display().to_string(),
        })
    }

    fn create_community(&mut self, name: &str) -> Result<Response, NodeError> {
        let stored = self.identity.as_ref().ok_or(NodeError::NotInitialised)?;
        let now = self.clock.now();
        let (id, people, genesis) = people::found(&stored.identity, name, &stored.name, now)?;
        let (board, board_genesis) = Document::from_genesis(DocId { community: id, name: DocName::Board })
            .ok_or_else(|| NodeError::Write("could not start the board".into()))?;
        let community_name = PeopleView::read(people.automerge()).name;
        self.communities.insert(id, Community::new(id, people, board, BTreeSet::new()));
        let changes = vec![(DocName::People, genesis), (DocName::Board, board_genesis)];
        if let Err(e) = self.persist(id, changes, &[], Some(community_name)) {
            self.communities.remove(&id);
            return Err(e);
        }
        self.ensure_epoch(id)?;
        let _ = self.events.send(Event::CommunityAdded { community: id });
        info!(community = %id.short(), "community created");
        Ok(Response::Community(self.community(id)?.info()))
    }

    fn member_info(&mut self, c: CommunityId, who: MemberId) -> Result<MemberInfo, NodeError> {
        let me = self.identity.as_ref().map(|i| i.identity.member());
        let people = self.community(c)?.people();
        let m = people.members.get(&who).ok_or_else(|| NodeError::NotFound(format!("no member {}", who.short())))?;
        Ok(to_member_info(m, me))
    }

    fn add_task(&mut self, community: Option<&str>, input: TaskInput) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let mut task = input.task;
        if let Some(g) = input.guild_ref.as_deref() {
            task.guild = Some(self.resolve_guild(c, g)?);
        }
        let me = self.identity()?.clone();
        let (now, today) = (self.clock.now(), self.clock.today());
        let (board, people) = self.board_for_write(c)?;
        let (id, change) = board.add_task(&me, &task, people, today, now)?;
        self.persist(c, vec![(DocName::Board, change)], &[Touched::Task(id)], None)?;
        self.task_detail(c, id).map(|d| Response::Task(Box::new(d)))
    }

    fn edit_task(&mut self, task: &str, edit: &TaskEdit) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        let me = self.identity()?.clone();
        let (now, today) = (self.clock.now(), self.clock.today());
        let (board, people) = self.board_for_write(c)?;
        let change = board.edit_task(&me, t, edit, people, today, now)?;
        self.persist(c, vec![(DocName::Board, change)], &[Touched::Task(t)], None)?;
        self.task_detail(c, t).map(|d| Response::Task(Box::new(d)))
    }

    fn task_detail(&mut self, c: CommunityId, t: TaskId) -> Result<TaskDetail, NodeError> {
        let me = self.identity.as_ref().map(|i| i.identity.member());
        // Hours for a task are logged from the year it was posted on.
        let posted = self.community(c)?.board().require_task(t)?.created_at.date().year();
        let this_year = self.clock.today().year();
        self.read_ledgers(c, posted..=this_year.max(posted))?;
        let v = self.community(c)?.views();
        let (people, board) = (v.people, v.board);
        let task = board.require_task(t)?.clone();
        let summary = views::summary(board, &task);
        let mut pledges: Vec<PledgeView> = board
            .pledges_for(t)
            .map(|p| PledgeView {
                member: p.member,
                name: member_name(people, &p.member),
                state: p.state,
                at: p.updated_at,
            })
            .collect();
        pledges.sort_by(|a, b| a.at.cmp(&b.at).then(a.member.cmp(&b.member)));
        let my_pledge = me.and_then(|m| board.pledge(t, m)).map(|p| p.state);
        let open_flags = count(board.flags.values().filter(|f| f.task == Some(t) && !f.resolved).count());
        let hours_logged =
            v.ledgers.values().flat_map(|l| l.counted()).filter(|e| e.task == Some(t)).map(|e| e.minutes).sum();
        Ok(TaskDetail {
            community: c,
            guild_name: task.guild.and_then(|g| people.guilds.get(&g)).map(|g| g.name.clone()),
            sector_name: people.sectors.get(&task.sector).map_or_else(|| task.sector.to_string(), |s| s.name.clone()),
            created_by_name: member_name(people, &task.created_by),
            summary,
            pledges,
            my_pledge,
            hours_logged,
            open_flags,
        })
    }

    fn pledge(&mut self, task: &str, action: PledgeAction) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        let me = self.identity()?.clone();
        let now = self.clock.now();
        let (board, people) = self.board_for_write(c)?;
        let change = board.set_pledge(&me, t, action, people, now)?;
        self.persist(c, vec![(DocName::Board, change)], &[Touched::Task(t)], None)?;
        let board = self.community(c)?.board();
        let task = board.require_task(t)?;
        let state = board.pledge(t, me.member()).map(|p| p.state).unwrap_or(PledgeState::Withdrawn);
        Ok(Response::Pledge(PledgeInfo {
            task: t,
            title: task.title.clone(),
            state,
            taken: board.taken_slots(t),
            slots: task.slots,
        }))
    }

    fn log(
        &mut self,
        community: Option<&str>,
        task: Option<&str>,
        sector: Option<weft_core::SectorId>,
        minutes: weft_core::Minutes,
        date: Option<Date>,
        note: &str,
    ) -> Result<Response, NodeError> {
        let (c, task) = match task {
            Some(t) => {
                let (c, t) = self.resolve_task(t)?;
                if let Some(r) = community {
                    let named = self.resolve_community(Some(r))?;
                    if named != c {
                        return Err(NodeError::BadRequest("that task belongs to another community".into()));
                    }
                }
                (c, Some(t))
            }
            None => (self.resolve_community(community)?, None),
        };
        let me = self.identity()?.clone();
        let (now, today) = (self.clock.now(), self.clock.today());
        let date = date.unwrap_or(today);
        let com = self.community(c)?;
        // Hours for a closed task are fine: people log after the work is done.
        let task_sector = match task {
            Some(t) => Some((t, com.board().require_task(t)?.sector.clone())),
            None => None,
        };
        if let Some(s) = &sector {
            com.people().require_sector(s)?;
        }
        let entry = check_entry(minutes, task_sector, sector, date, note, today)?;
        let (ledger, genesis) = self.ledger_for_write(c, date.year())?;
        let (id, change) = ledger.log_hours(&me, &entry, now)?;
        let name = DocName::Ledger(date.year());
        let touched = [Touched::Doc(name), Touched::Entry(date.year(), id)];
        let touched = if genesis.is_some() { &touched[..] } else { &touched[1..] };
        self.persist(c, genesis.map(|g| (name, g)).into_iter().chain([(name, change)]).collect(), touched, None)?;
        self.entry_info(c, date.year(), id).map(Response::Entry)
    }

    fn entry_info(&mut self, c: CommunityId, year: i32, id: EntryId) -> Result<EntryInfo, NodeError> {
        self.read_ledger(c, year)?;
        let v = self.community(c)?.views();
        let ledger = v.ledgers.get(&year).ok_or_else(|| NodeError::NotFound(format!("no ledger for {year}")))?;
        let e = ledger.entries.get(&id).ok_or_else(|| NodeError::NotFound(format!("no entry {}", id.short())))?;
        Ok(to_entry_info(c, e, v.people, v.board))
    }

    fn confirm(&mut self, entry: &str, retract: bool) -> Result<Response, NodeError> {
        let (c, year, id) = self.resolve_entry(entry)?;
        let me = self.identity()?.clone();
        let now = self.clock.now();
        self.load_ledger(c, year)?;
        let com = self.community(c)?;
        let ledger = com.ledgers.get_mut(&year).ok_or_else(|| NodeError::NotFound(format!("no ledger for {year}")))?;
        let change = if retract { ledger.retract_entry(&me, id, now)? } else { ledger.confirm_entry(&me, id, now)? };
        self.persist(c, vec![(DocName::Ledger(year), change)], &[Touched::Entry(year, id)], None)?;
        self.entry_info(c, year, id).map(Response::Entry)
    }

    fn pending(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let me = self.me()?;
        let year = self.clock.today().year();
        self.read_ledger(c, year)?;
        let v = self.community(c)?.views();
        let empty = LedgerView::default();
        let ledger = v.ledgers.get(&year).unwrap_or(&empty);
        let (others, mine) = views::awaiting_confirmation(ledger, me);
        Ok(Response::Pending(PendingInfo {
            to_confirm: others.into_iter().take(100).map(|e| to_entry_info(c, e, v.people, v.board)).collect(),
            mine_unconfirmed: mine.into_iter().map(|e| to_entry_info(c, e, v.people, v.board)).collect(),
        }))
    }

    /// Writes the caller's record about a task (feedback, a decline: keyed `<task>.<member>`)
    /// into this year's ledger of the task's community, starting that ledger if need be.
    fn write_pair(
        &mut self,
        c: CommunityId,
        t: TaskId,
        write: impl FnOnce(&mut Document, &Identity, Timestamp) -> Result<SignedChange, WriteError>,
    ) -> Result<(), NodeError> {
        let me = self.identity()?.clone();
        let (now, year) = (self.clock.now(), self.clock.today().year());
        let (ledger, genesis) = self.ledger_for_write(c, year)?;
        let change = match write(ledger, &me, now) {
            Ok(change) => change,
            // Recorded just so already (the same verdict in the same millisecond): done.
            Err(WriteError::Empty) if genesis.is_none() => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let name = DocName::Ledger(year);
        let touched = [Touched::Doc(name), Touched::Pair(year, weft_core::PledgeId { task: t, member: me.member() })];
        let touched = if genesis.is_some() { &touched[..] } else { &touched[1..] };
        self.persist(c, genesis.map(|g| (name, g)).into_iter().chain([(name, change)]).collect(), touched, None)
    }

    // ---- the matcher ------------------------------------------------------------------

    /// What the matcher reads for a community today: its documents, this year's ledger and
    /// last year's (for the last 28 days in January), and the calls the other communities of
    /// this data directory opened to neighbours.
    fn match_input(&mut self, c: CommunityId) -> Result<weft_match::Input, NodeError> {
        let today = self.clock.today();
        let years = [today.year() - 1, today.year()];
        let ids: Vec<CommunityId> = self.communities.keys().copied().collect();
        for id in ids {
            self.read_ledgers(id, years)?;
            self.community(id)?.views();
        }
        let this = self
            .communities
            .get(&c)
            .and_then(Community::cached_views)
            .ok_or_else(|| NodeError::NotFound(format!("no community {}", c.short())))?;
        // In id order, so the first community to offer a call names it on every device.
        let others: Vec<Views<'_>> = self
            .communities
            .iter()
            .filter(|(id, _)| **id != c)
            .filter_map(|(_, com)| com.cached_views())
            // A community whose people document has not arrived yet has nothing to offer.
            .filter(|v| !v.people.name.is_empty())
            .collect();
        let neighbours: Vec<weft_match::Neighbour<'_>> = others
            .iter()
            .map(|v| weft_match::Neighbour {
                name: &v.people.name,
                people: v.people,
                board: v.board,
                ledgers: years.iter().filter_map(|y| v.ledgers.get(y)).collect(),
            })
            .collect();
        let ledgers = years.iter().filter_map(|y| this.ledgers.get(y));
        Ok(weft_match::Input::from_views(this.people, this.board, ledgers, &neighbours, today))
    }

    fn suggest(&mut self, community: Option<&str>, member: Option<&str>, limit: u32) -> Result<Response, NodeError> {
        if !(1..=MAX_SUGGESTIONS).contains(&limit) {
            return Err(NodeError::BadRequest(format!(
                "ask for 1 to {MAX_SUGGESTIONS} suggestions at a time, not {limit}"
            )));
        }
        let c = self.resolve_community(community)?;
        let me = self.identity.as_ref().map(|i| i.identity.member());
        let who = match member {
            Some(m) => self.resolve_member(c, m)?,
            None => self.me()?,
        };
        let started = std::time::Instant::now();
        let input = self.match_input(c)?;
        let Some(member_name) = input.members.get(&who).map(|m| m.name.clone()) else {
            let people = self.community(c)?.people();
            return Err(NodeError::NotFound(if me == Some(who) {
                format!("you are not a current member of {}: there is nothing to suggest", people.name)
            } else {
                format!("{} is not a current member of {}", member_name(people, &who), people.name)
            }));
        };
        let plan = weft_match::plan(&input);
        let suggestions = weft_match::suggest(&input, who, usize::try_from(limit).unwrap_or(usize::MAX), Some(&plan))?;
        debug!(
            community = %c.short(),
            tasks = input.tasks.len(),
            members = input.members.len(),
            items = suggestions.items.len(),
            elapsed = ?started.elapsed(),
            "suggested"
        );
        Ok(Response::Suggestions(SuggestionsInfo { community: c, member_name, is_me: me == Some(who), suggestions }))
    }

    fn plan(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let started = std::time::Instant::now();
        let input = self.match_input(c)?;
        let plan = weft_match::plan(&input);
        debug!(community = %c.short(), parts = plan.parts.len(), elapsed = ?started.elapsed(), "planned");
        let member_name =
            |m: &MemberId| input.members.get(m).map_or_else(|| format!("member {}", m.short()), |m| m.name.clone());
        let title = |t: &TaskId| input.tasks.get(t).map_or_else(|| format!("task {}", t.short()), |t| t.title.clone());
        let neighbour = |t: &TaskId| input.tasks.get(t).and_then(|t| t.neighbour.clone());
        let mut parts: Vec<PlanPartInfo> = plan
            .parts
            .iter()
            .map(|p| PlanPartInfo {
                member: p.member,
                member_name: member_name(&p.member),
                task: p.task,
                title: title(&p.task),
                neighbour: neighbour(&p.task),
                minutes: p.minutes,
                urgent: p.urgent,
                fit: p.fit,
            })
            .collect();
        // By name for people to read; stable, so each member's parts keep the plan's order.
        parts.sort_by(|a, b| {
            a.member_name.to_lowercase().cmp(&b.member_name.to_lowercase()).then(a.member.cmp(&b.member))
        });
        let urgent_uncovered = plan
            .urgent_uncovered
            .iter()
            .map(|t| {
                let free = input.tasks.get(t).map_or(0, |t| t.free);
                let covered = count(plan.parts.iter().filter(|p| p.task == *t).count());
                UncoveredTask {
                    task: *t,
                    title: title(t),
                    neighbour: neighbour(t),
                    places: free.saturating_sub(covered),
                }
            })
            .collect();
        let community_name = self.community(c)?.people().name.clone();
        Ok(Response::Plan(PlanInfo {
            community: c,
            community_name,
            parts,
            places_open: plan.places_open,
            places_covered: plan.places_covered,
            urgent_open: plan.urgent_open,
            urgent_covered: plan.urgent_covered,
            members_available: plan.members_available,
            members_with_part: plan.members_with_part,
            trimmed: plan.trimmed,
            urgent_uncovered,
        }))
    }

    fn decline(&mut self, community: Option<&str>, task: &str) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        let (title, open_to_neighbours) = {
            let task = self.community(c)?.board().require_task(t)?;
            (task.title.clone(), task.open_to_neighbours)
        };
        if let Some(r) = community {
            let named = self.resolve_community(Some(r))?;
            if named != c && !open_to_neighbours {
                return Err(NodeError::BadRequest(format!(
                    "'{title}' belongs to another community and is not open to neighbours"
                )));
            }
        }
        self.write_pair(c, t, |ledger, me, now| ledger.decline_task(me, t, now))?;
        Ok(Response::Declined { task: t, title })
    }

    fn export(
        &mut self,
        c: CommunityId,
        format: ExportFormatInput,
        doc: Option<DocName>,
    ) -> Result<ExportData, NodeError> {
        use weft_core::export;
        let today = self.clock.today();
        match (format, doc) {
            (ExportFormatInput::Valueflows, _) => self.read_all_ledgers(c)?,
            // The raw document itself, loaded if it rests.
            (ExportFormatInput::Automerge, Some(DocName::Ledger(y))) => self.load_ledger(c, y)?,
            (ExportFormatInput::Automerge, Some(DocName::Board)) => self.load_board(c)?,
            (_, Some(DocName::Ledger(y))) => self.read_ledger(c, y)?,
            (ExportFormatInput::Csv, None) => self.read_ledger(c, today.year())?,
            _ => {}
        }
        let com = self.community(c)?;
        let v = com.views();
        let (people, board) = (v.people, v.board);
        let slug =
            weft_core::SkillId::slugify(&people.name).map(|s| s.to_string()).unwrap_or_else(|_| "community".into());
        let b64 = |bytes: &[u8]| data_encoding::BASE64.encode(bytes);
        let (name, bytes) = match format {
            ExportFormatInput::Csv => {
                let doc = doc.unwrap_or(DocName::Ledger(today.year()));
                let text = match doc {
                    DocName::People => export::members_csv(people),
                    DocName::Board => export::tasks_csv(people, board),
                    DocName::Ledger(y) => {
                        let empty = LedgerView::default();
                        let ledger = v.ledgers.get(&y).unwrap_or(&empty);
                        export::hours_csv(people, board, &[ledger])
                    }
                }
                .map_err(|e| NodeError::Write(e.to_string()))?;
                let what = match doc {
                    DocName::People => "members".to_owned(),
                    DocName::Board => "tasks".to_owned(),
                    DocName::Ledger(y) => format!("hours-{y}"),
                };
                (format!("{slug}-{what}.csv"), text.into_bytes())
            }
            ExportFormatInput::Valueflows => {
                if doc.is_some() {
                    return Err(NodeError::BadRequest(
                        "a ValueFlows export holds the whole community: leave out --doc".into(),
                    ));
                }
                let ledgers: Vec<&LedgerView> = v.ledgers.values().collect();
                let value = export::valueflows(c, people, board, &ledgers);
                let text = serde_json::to_string_pretty(&value).map_err(|e| NodeError::Write(e.to_string()))?;
                (format!("{slug}-valueflows.jsonld"), text.into_bytes())
            }
            ExportFormatInput::Automerge => {
                let doc = doc.ok_or_else(|| {
                    NodeError::BadRequest("say which document to export: --doc people, board or ledger/YYYY".into())
                })?;
                let found = self
                    .community(c)?
                    .doc(doc)
                    .ok_or_else(|| NodeError::NotFound(format!("this community has no {doc} document")))?;
                (format!("{slug}-{}.automerge", doc.to_string().replace('/', "-")), found.save())
            }
        };
        Ok(ExportData { format, suggested_name: name, base64: b64(&bytes) })
    }

    fn demo(&mut self, members: u32, seed: u64, name: Option<String>) -> Result<Response, NodeError> {
        if !(2..=500).contains(&members) {
            return Err(NodeError::BadRequest(format!("a demo community has from 2 to 500 members, not {members}")));
        }
        if self.identity.is_none() {
            self.identity = Some(self.store.create_identity("You")?);
        }
        let stored = self.identity.as_ref().ok_or(NodeError::NotInitialised)?;
        let opts = weft_core::demo::DemoOptions { members, seed, today: self.clock.today(), name };
        let demo = weft_core::demo::generate(&stored.identity, &stored.name, &opts)
            .map_err(|e| NodeError::Write(format!("the demo could not be generated: {e}")))?;
        let id = demo.community;
        if self.communities.contains_key(&id) {
            return Err(NodeError::BadRequest("this demo community is already here: use another --seed".into()));
        }
        let community_name = demo
            .documents
            .iter()
            .find(|d| d.id().name == DocName::People)
            .map(|d| PeopleView::read(d.automerge()).name)
            .unwrap_or_default();
        let batch = Batch { communities: vec![(id, community_name)], changes: demo.changes.clone() };
        self.store.commit(&batch)?;
        for doc in &demo.documents {
            self.store.compact(doc)?;
        }
        self.load_community(id)?;
        self.ensure_epoch(id)?;
        let _ = self.events.send(Event::CommunityAdded { community: id });
        let s = &demo.summary;
        let info = self.community(id)?.info();
        info!(community = %id.short(), changes = demo.changes.len(), "demo community generated");
        Ok(Response::Demo(DemoInfo {
            community: info,
            members: s.members,
            guilds: s.guilds,
            tasks: s.tasks,
            open_tasks: s.open_tasks,
            urgent_open: s.urgent_open,
            pledges: s.pledges,
            entries: s.entries,
            hours: s.hours,
            changes: count(demo.changes.len()),
        }))
    }

    fn status(&mut self) -> Result<StatusInfo, NodeError> {
        let mut documents = Vec::new();
        for (c, com) in &self.communities {
            for name in self.store.doc_names(*c)? {
                let id = DocId { community: *c, name };
                documents.push(DocStatus {
                    community: *c,
                    name,
                    changes: self.store.change_count(id)?,
                    logged_since_snapshot: self.store.log_size(id)?.0,
                    in_memory: com.doc(name).is_some(),
                });
            }
        }
        Ok(StatusInfo {
            data_dir: self.dir.path().display().to_string(),
            disk_bytes: self.store.disk_usage()?,
            identity: self.whoami().ok(),
            documents,
        })
    }
}

fn to_member_info(m: &weft_core::model::Member, me: Option<MemberId>) -> MemberInfo {
    MemberInfo {
        id: m.id,
        name: m.name.clone(),
        admitted_at: m.admitted_at,
        devices: count(m.devices.len()),
        profile: m.profile.clone(),
        is_me: me == Some(m.id),
    }
}

fn to_entry_info(c: CommunityId, e: &HourEntry, people: &PeopleView, board: &BoardView) -> EntryInfo {
    EntryInfo {
        id: e.id,
        community: c,
        member: e.member,
        member_name: member_name(people, &e.member),
        task: e.task,
        task_title: e.task.and_then(|t| board.tasks.get(&t)).map(|t| t.title.clone()),
        sector: e.sector.clone(),
        minutes: e.minutes,
        date: e.date,
        note: e.note.clone(),
        confirmed_by: e.confirmations.keys().map(|m| member_name(people, m)).collect(),
        retracted: e.retracted,
    }
}
