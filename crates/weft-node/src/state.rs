//! The node's state and every operation on it, synchronously, on one thread.
//!
//! The state thread owns the store (SQLite never runs inside async code) and the documents in
//! memory. A local write goes: validate → change the in-memory document → sign → commit to
//! SQLite (durable, `synchronous=FULL`) → only then answer and emit an event. If the commit
//! fails, the community is reloaded from disk so memory never holds what the disk does not.

use std::collections::BTreeMap;

use tokio::sync::broadcast;
use tracing::{debug, info, warn};
use weft_core::doc::board::{BoardView, PledgeAction};
use weft_core::doc::ledger::{LedgerView, check_entry};
use weft_core::doc::people::{self, PeopleView};
use weft_core::doc::{DocId, DocName, Document};
use weft_core::identity::{Identity, SignedChange};
use weft_core::model::{HourEntry, TaskEdit, TaskStatus, Urgency};
use weft_core::views;
use weft_core::{CommunityId, Date, EntryId, GuildId, MemberId, TaskId};
use weft_store::{Batch, DataDir, DirLock, Store, StoredIdentity};

use crate::api::*;
use crate::clock::Clock;
use crate::error::NodeError;

/// How many changes may pile up in a document's log before it is folded into a snapshot.
const COMPACT_AFTER_CHANGES: u64 = 500;
/// …or how many bytes.
const COMPACT_AFTER_BYTES: u64 = 4 << 20;

/// One community's documents in memory, with read views cached until the next change.
struct Community {
    id: CommunityId,
    people: Document,
    board: Document,
    ledgers: BTreeMap<i32, Document>,
    people_view: Option<PeopleView>,
    board_view: Option<BoardView>,
    ledger_views: BTreeMap<i32, LedgerView>,
}

impl Community {
    fn people(&mut self) -> &PeopleView {
        self.people_view.get_or_insert_with(|| PeopleView::read(self.people.automerge()))
    }

    fn board(&mut self) -> &BoardView {
        self.board_view.get_or_insert_with(|| BoardView::read(self.board.automerge()))
    }

    fn ledger(&mut self, year: i32) -> Option<&LedgerView> {
        let doc = self.ledgers.get(&year)?;
        Some(self.ledger_views.entry(year).or_insert_with(|| LedgerView::read(doc.automerge())))
    }

    fn all_ledgers(&mut self) -> Vec<&LedgerView> {
        for (year, doc) in &self.ledgers {
            self.ledger_views.entry(*year).or_insert_with(|| LedgerView::read(doc.automerge()));
        }
        self.ledger_views.values().collect()
    }

    fn doc(&self, name: DocName) -> Option<&Document> {
        match name {
            DocName::People => Some(&self.people),
            DocName::Board => Some(&self.board),
            DocName::Ledger(y) => self.ledgers.get(&y),
        }
    }

    fn invalidate(&mut self, name: DocName) {
        match name {
            DocName::People => self.people_view = None,
            DocName::Board => self.board_view = None,
            DocName::Ledger(y) => {
                self.ledger_views.remove(&y);
            }
        }
    }

    /// The ledger of a year, created from its deterministic genesis if this device has none
    /// yet; the genesis change is returned so it is stored with the first write.
    fn ensure_ledger(&mut self, year: i32) -> Result<Option<SignedChange>, NodeError> {
        if self.ledgers.contains_key(&year) {
            return Ok(None);
        }
        let id = DocId { community: self.id, name: DocName::Ledger(year) };
        let (doc, genesis) = Document::from_genesis(id)
            .ok_or_else(|| NodeError::Write(format!("could not start the ledger of {year}")))?;
        self.ledgers.insert(year, doc);
        Ok(Some(genesis))
    }

    fn info(&mut self) -> CommunityInfo {
        let people = self.people().clone();
        let open = views::open_tasks(self.board(), None);
        CommunityInfo {
            id: self.id,
            name: people.name.clone(),
            members: count(people.current_members().count()),
            open_tasks: count(open.len()),
            urgent_open: count(open.iter().filter(|t| t.task.urgency == Urgency::Urgent).count()),
            baseline: people.total_baseline(),
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
        let mut state = Self { dir, _lock: lock, store, identity, communities: BTreeMap::new(), clock, events };
        for row in state.store.communities()? {
            state.load_community(row.id)?;
        }
        info!(dir = %state.dir.path().display(), communities = state.communities.len(), "data directory open");
        Ok(state)
    }

    fn load_community(&mut self, id: CommunityId) -> Result<(), NodeError> {
        let mut people = None;
        let mut board = None;
        let mut ledgers = BTreeMap::new();
        for name in self.store.doc_names(id)? {
            let Some(doc) = self.store.load_doc(DocId { community: id, name })? else { continue };
            match name {
                DocName::People => people = Some(doc),
                DocName::Board => board = Some(doc),
                DocName::Ledger(y) => {
                    ledgers.insert(y, doc);
                }
            }
        }
        let people =
            people.ok_or_else(|| NodeError::NotFound(format!("community {} has no people document", id.short())))?;
        let board = match board {
            Some(b) => b,
            None => {
                Document::from_genesis(DocId { community: id, name: DocName::Board })
                    .ok_or_else(|| NodeError::Write("could not start the board".into()))?
                    .0
            }
        };
        let c = Community {
            id,
            people,
            board,
            ledgers,
            people_view: None,
            board_view: None,
            ledger_views: BTreeMap::new(),
        };
        self.communities.insert(id, c);
        Ok(())
    }

    fn identity(&self) -> Result<&Identity, NodeError> {
        self.identity.as_ref().map(|s| &s.identity).ok_or(NodeError::NotInitialised)
    }

    fn me(&self) -> Result<MemberId, NodeError> {
        Ok(self.identity()?.member())
    }

    /// Stores changes durably, then emits events. On failure the community is reloaded from
    /// disk, so nothing that was not stored stays in memory.
    fn persist(
        &mut self,
        community: CommunityId,
        changes: Vec<(DocName, SignedChange)>,
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
        let mut names: Vec<DocName> = changes.iter().map(|(n, _)| *n).collect();
        names.dedup();
        for name in &names {
            if let Some(c) = self.communities.get_mut(&community) {
                c.invalidate(*name);
            }
            self.maybe_compact(community, *name);
            let _ = self.events.send(Event::DocumentChanged { community, doc: *name });
        }
        Ok(())
    }

    fn maybe_compact(&mut self, community: CommunityId, name: DocName) {
        let id = DocId { community, name };
        let due = match self.store.log_size(id) {
            Ok((n, bytes)) => n >= COMPACT_AFTER_CHANGES || bytes >= COMPACT_AFTER_BYTES,
            Err(e) => {
                warn!(%e, doc = %id, "could not read the log size");
                false
            }
        };
        if !due {
            return;
        }
        if let Some(doc) = self.communities.get(&community).and_then(|c| c.doc(name)) {
            match self.store.compact(doc) {
                Ok(()) => debug!(doc = %id, "compacted"),
                // Compaction is an optimisation: the log is still complete.
                Err(e) => warn!(%e, doc = %id, "compaction failed"),
            }
        }
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
        let mut found = Vec::new();
        for c in self.communities.values_mut() {
            let id = c.id;
            let years: Vec<i32> = c.ledgers.keys().copied().collect();
            for year in years {
                if let Some(l) = c.ledger(year) {
                    found.extend(l.entries.keys().filter(|e| e.to_string().starts_with(&r)).map(|e| (id, year, *e)));
                }
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
            [] => Err(NodeError::NotFound(format!("no member '{reference}' in {}", people.name))),
            _ => Err(NodeError::Ambiguous(format!("more than one member is called '{reference}': use their id"))),
        }
    }

    // ---- the API ----------------------------------------------------------------------

    pub(crate) fn execute(&mut self, request: Request) -> Result<Response, NodeError> {
        match request {
            Request::Init { name } => self.init(&name),
            Request::Whoami => self.whoami().map(Response::Identity),
            Request::CommunityCreate { name } => self.create_community(&name),
            Request::CommunityList => {
                Ok(Response::Communities(self.communities.values_mut().map(Community::info).collect()))
            }
            Request::CommunityRename { community, name } => {
                let c = self.resolve_community(community.as_deref())?;
                let me = self.identity()?.clone();
                let now = self.clock.now();
                let change = self.community(c)?.people.rename_community(&me, &name, now)?;
                self.persist(c, vec![(DocName::People, change)], None)?;
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
                self.persist(c, vec![(DocName::People, change)], None)?;
                let people = self.community(c)?.people();
                Ok(Response::Sectors(people.active_sectors().into_iter().cloned().collect()))
            }
            Request::ProfileSet { community, update } => {
                let c = self.resolve_community(community.as_deref())?;
                let me = self.identity()?.clone();
                let now = self.clock.now();
                let change = self.community(c)?.people.update_profile(&me, &update, now)?;
                self.persist(c, vec![(DocName::People, change)], None)?;
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
                self.persist(c, vec![(DocName::People, change)], None)?;
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
                let me = self.identity()?.clone();
                let (now, year) = (self.clock.now(), self.clock.today().year());
                let com = self.community(c)?;
                let title = com.board().require_task(t)?.title.clone();
                let genesis = com.ensure_ledger(year)?;
                let ledger = com.ledgers.get_mut(&year).ok_or_else(|| NodeError::Write("ledger missing".into()))?;
                let change = ledger.give_feedback(&me, t, verdict, now)?;
                let name = DocName::Ledger(year);
                self.persist(c, genesis.map(|g| (name, g)).into_iter().chain([(name, change)]).collect(), None)?;
                Ok(Response::Feedback(FeedbackInfo { task: t, title, verdict }))
            }
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
                let com = self.community(c)?;
                let people = com.people().clone();
                let (id, change) = com.board.raise_flag(&me, t, sector.as_ref(), &note, &people, now)?;
                self.persist(c, vec![(DocName::Board, change)], None)?;
                Ok(Response::Flag { id })
            }
            Request::Progress { community, month } => {
                let c = self.resolve_community(community.as_deref())?;
                let month = month.unwrap_or_else(|| self.clock.today().month());
                let com = self.community(c)?;
                let people = com.people().clone();
                let board = com.board().clone();
                let ledgers = com.all_ledgers();
                Ok(Response::Progress(views::progress(&people, &board, ledgers, month)))
            }
            Request::MyHours { community, year } => {
                let c = self.resolve_community(community.as_deref())?;
                let me = self.me()?;
                let today = self.clock.today();
                let year = year.unwrap_or(today.year());
                let com = self.community(c)?;
                let people = com.people().clone();
                let empty = LedgerView::default();
                let ledger = com.ledger(year).unwrap_or(&empty);
                Ok(Response::Hours(views::member_year(&people, ledger, me, year, today)))
            }
            Request::Export { community, format, doc } => {
                let c = self.resolve_community(community.as_deref())?;
                self.export(c, format, doc).map(Response::Export)
            }
            Request::Demo { members, seed, name } => self.demo(members, seed, name),
            Request::Status => self.status().map(Response::Status),
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
        self.communities.insert(
            id,
            Community {
                id,
                people,
                board,
                ledgers: BTreeMap::new(),
                people_view: None,
                board_view: None,
                ledger_views: BTreeMap::new(),
            },
        );
        let changes = vec![(DocName::People, genesis), (DocName::Board, board_genesis)];
        if let Err(e) = self.persist(id, changes, Some(community_name)) {
            self.communities.remove(&id);
            return Err(e);
        }
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
        let com = self.community(c)?;
        let people = com.people().clone();
        let (id, change) = com.board.add_task(&me, &task, &people, today, now)?;
        self.persist(c, vec![(DocName::Board, change)], None)?;
        self.task_detail(c, id).map(|d| Response::Task(Box::new(d)))
    }

    fn edit_task(&mut self, task: &str, edit: &TaskEdit) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        let me = self.identity()?.clone();
        let (now, today) = (self.clock.now(), self.clock.today());
        let com = self.community(c)?;
        let people = com.people().clone();
        let change = com.board.edit_task(&me, t, edit, &people, today, now)?;
        self.persist(c, vec![(DocName::Board, change)], None)?;
        self.task_detail(c, t).map(|d| Response::Task(Box::new(d)))
    }

    fn task_detail(&mut self, c: CommunityId, t: TaskId) -> Result<TaskDetail, NodeError> {
        let me = self.identity.as_ref().map(|i| i.identity.member());
        let com = self.community(c)?;
        let people = com.people().clone();
        let board = com.board();
        let task = board.require_task(t)?.clone();
        let summary = views::summary(board, &task);
        let mut pledges: Vec<PledgeView> = board
            .pledges_for(t)
            .map(|p| PledgeView {
                member: p.member,
                name: member_name(&people, &p.member),
                state: p.state,
                at: p.updated_at,
            })
            .collect();
        pledges.sort_by(|a, b| a.at.cmp(&b.at).then(a.member.cmp(&b.member)));
        let my_pledge = me.and_then(|m| board.pledge(t, m)).map(|p| p.state);
        let open_flags = count(board.flags.values().filter(|f| f.task == Some(t) && !f.resolved).count());
        let hours_logged =
            com.all_ledgers().iter().flat_map(|l| l.counted()).filter(|e| e.task == Some(t)).map(|e| e.minutes).sum();
        Ok(TaskDetail {
            community: c,
            guild_name: task.guild.and_then(|g| people.guilds.get(&g)).map(|g| g.name.clone()),
            sector_name: people.sectors.get(&task.sector).map_or_else(|| task.sector.to_string(), |s| s.name.clone()),
            created_by_name: member_name(&people, &task.created_by),
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
        let com = self.community(c)?;
        let people = com.people().clone();
        let change = com.board.set_pledge(&me, t, action, &people, now)?;
        self.persist(c, vec![(DocName::Board, change)], None)?;
        let board = self.community(c)?.board();
        let task = board.require_task(t)?;
        let state = board.pledge(t, me.member()).map(|p| p.state).unwrap_or(weft_core::model::PledgeState::Withdrawn);
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
        let genesis = com.ensure_ledger(date.year())?;
        let ledger = com.ledgers.get_mut(&date.year()).ok_or_else(|| NodeError::Write("ledger missing".into()))?;
        let (id, change) = ledger.log_hours(&me, &entry, now)?;
        let name = DocName::Ledger(date.year());
        self.persist(c, genesis.map(|g| (name, g)).into_iter().chain([(name, change)]).collect(), None)?;
        self.entry_info(c, date.year(), id).map(Response::Entry)
    }

    fn entry_info(&mut self, c: CommunityId, year: i32, id: EntryId) -> Result<EntryInfo, NodeError> {
        let com = self.community(c)?;
        let people = com.people().clone();
        let board = com.board().clone();
        let ledger = com.ledger(year).ok_or_else(|| NodeError::NotFound(format!("no ledger for {year}")))?;
        let e = ledger.entries.get(&id).ok_or_else(|| NodeError::NotFound(format!("no entry {}", id.short())))?;
        Ok(to_entry_info(c, e, &people, &board))
    }

    fn confirm(&mut self, entry: &str, retract: bool) -> Result<Response, NodeError> {
        let (c, year, id) = self.resolve_entry(entry)?;
        let me = self.identity()?.clone();
        let now = self.clock.now();
        let com = self.community(c)?;
        let ledger = com.ledgers.get_mut(&year).ok_or_else(|| NodeError::NotFound(format!("no ledger for {year}")))?;
        let change = if retract { ledger.retract_entry(&me, id, now)? } else { ledger.confirm_entry(&me, id, now)? };
        self.persist(c, vec![(DocName::Ledger(year), change)], None)?;
        self.entry_info(c, year, id).map(Response::Entry)
    }

    fn pending(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let me = self.me()?;
        let year = self.clock.today().year();
        let com = self.community(c)?;
        let people = com.people().clone();
        let board = com.board().clone();
        let empty = LedgerView::default();
        let ledger = com.ledger(year).unwrap_or(&empty);
        let (others, mine) = views::awaiting_confirmation(ledger, me);
        Ok(Response::Pending(PendingInfo {
            to_confirm: others.into_iter().take(100).map(|e| to_entry_info(c, e, &people, &board)).collect(),
            mine_unconfirmed: mine.into_iter().map(|e| to_entry_info(c, e, &people, &board)).collect(),
        }))
    }

    fn export(
        &mut self,
        c: CommunityId,
        format: ExportFormatInput,
        doc: Option<DocName>,
    ) -> Result<ExportData, NodeError> {
        use weft_core::export;
        let today = self.clock.today();
        let com = self.community(c)?;
        let people = com.people().clone();
        let board = com.board().clone();
        let slug =
            weft_core::SkillId::slugify(&people.name).map(|s| s.to_string()).unwrap_or_else(|_| "community".into());
        let b64 = |bytes: &[u8]| data_encoding::BASE64.encode(bytes);
        let (name, bytes) = match format {
            ExportFormatInput::Csv => {
                let doc = doc.unwrap_or(DocName::Ledger(today.year()));
                let text = match doc {
                    DocName::People => export::members_csv(&people),
                    DocName::Board => export::tasks_csv(&people, &board),
                    DocName::Ledger(y) => {
                        let empty = LedgerView::default();
                        let ledger = com.ledger(y).unwrap_or(&empty);
                        export::hours_csv(&people, &board, &[ledger])
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
                let ledgers = com.all_ledgers();
                let value = export::valueflows(c, &people, &board, &ledgers);
                let text = serde_json::to_string_pretty(&value).map_err(|e| NodeError::Write(e.to_string()))?;
                (format!("{slug}-valueflows.jsonld"), text.into_bytes())
            }
            ExportFormatInput::Automerge => {
                let doc = doc.ok_or_else(|| {
                    NodeError::BadRequest("say which document to export: --doc people, board or ledger/YYYY".into())
                })?;
                let found =
                    com.doc(doc).ok_or_else(|| NodeError::NotFound(format!("this community has no {doc} document")))?;
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
        for c in self.communities.values() {
            let docs = [&c.people, &c.board].into_iter().chain(c.ledgers.values());
            for d in docs {
                let (logged, _) = self.store.log_size(d.id())?;
                documents.push(DocStatus {
                    community: c.id,
                    name: d.id().name,
                    changes: automerge::ReadDoc::stats(d.automerge()).num_changes,
                    logged_since_snapshot: logged,
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
