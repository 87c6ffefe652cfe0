//! The node's state and every operation on it, synchronously, on one thread.
//!
//! The state thread owns the store (SQLite never runs inside async code) and the documents in
//! memory. A local write goes: validate → change the in-memory document → sign → commit to
//! SQLite (durable, `synchronous=FULL`) → only then answer and emit an event. If the commit
//! fails, the community is reloaded from disk so memory never holds what the disk does not.
//!
//! The code is split by responsibility: `community` (documents and views in memory), `docs`
//! (loading documents for reads and writes), `write` (the write context and persisting),
//! `housekeeping` (resting documents, compaction), `resolve` (what people type → ids), and one
//! handler module per area of the API (`people`, `board`, `ledger`, `matching`, `export`,
//! `demo`, `membership`), besides the state thread's half of sync (`sync`) and what opening
//! does with a damaged database (`recovery`).

use std::collections::{BTreeMap, BTreeSet};

use tokio::sync::broadcast;
use tracing::info;
use weft_core::doc::{DocId, DocName, Document};
use weft_core::identity::Identity;
use weft_core::{CommunityId, MemberId};
use weft_store::{DataDir, DirLock, Store, StoredIdentity};

mod board;
mod calendar;
mod clocks;
mod commons;
mod community;
mod crews;
mod decisions;
mod demo;
mod devices;
mod docs;
mod export;
mod housekeeping;
mod ledger;
mod matching;
mod membership;
mod neighbours;
mod net;
mod people;
mod recovery;
mod replica;
mod resolve;
mod series;
mod write;

pub use housekeeping::REST_AFTER;

use crate::api::{PeersInfo, Request, Response};
use crate::clock::{Clock, Mono};
use crate::error::NodeError;
use community::Community;

/// The node's state, owned by the state thread.
pub(crate) struct State {
    dir: DataDir,
    _lock: DirLock,
    store: Store,
    identity: Option<StoredIdentity>,
    communities: BTreeMap<CommunityId, Community>,
    /// The commons held here: our communities' own and our linked neighbours'.
    commons: BTreeMap<CommunityId, commons::Held>,
    /// Our communities whose commons should be tended (roster, key), and from when.
    commons_due: BTreeMap<CommunityId, Mono>,
    /// When escalation next looks at the boards.
    escalate_at: Mono,
    /// When the occurrences of our series are next made (`series::OCCURRENCES_EVERY`).
    occurrences_at: Mono,
    clock: Clock,
    events: broadcast::Sender<crate::api::Event>,
    sync: replica::SyncBook,
    /// The sync engine, while the network runs.
    net: Option<net::NetSide>,
    /// Documents whose log grew long enough to compact, when the thread is idle, and since
    /// when.
    compact_due: BTreeMap<DocId, Mono>,
    /// How long a document stays in memory unused ([`REST_AFTER`] by default).
    pub(crate) rest_after: std::time::Duration,
    /// When a job last ran, if memory was not returned to the system since.
    worked_at: Option<Mono>,
    /// When the last job ran (compaction waits for a pause after it).
    last_job: Mono,
    /// The calendar file this device keeps (`calendar::KEPT`): stale since a document changed,
    /// and the day it was last written.
    calendar_stale: bool,
    calendar_written: Option<weft_core::Date>,
    calendar_at: Mono,
    /// A pairing code this computer made, to link another computer of the member's.
    pairing: Option<devices::Pairing>,
    /// A damaged database found when this directory opened: where it was set aside and what
    /// was taken back from it (`recovery`), for the status.
    recovered: Option<recovery::Recovered>,
    /// Other computers' clocks, as their gossip shows them (`clocks`).
    clocks: clocks::Clocks,
}

impl State {
    pub(crate) fn open(
        dir: DataDir,
        lock: DirLock,
        clock: Clock,
        events: broadcast::Sender<crate::api::Event>,
    ) -> Result<Self, NodeError> {
        // A damaged database is set aside and what it held taken back (see `recovery`).
        let (store, mut damaged) = recovery::open_store(&dir, &lock)?;
        let mut state = Self::new(dir, lock, store, clock, events);
        if let Err(e) = state.load() {
            if damaged.is_some() || !recovery::is_damage(&e) {
                return Err(e);
            }
            let (fresh, set_aside) = state.reopen_damaged(&e)?;
            state = fresh;
            damaged = Some(set_aside);
        }
        if let Some(damaged) = damaged {
            state.recover(damaged);
        }
        info!(dir = %state.dir.path().display(), communities = state.communities.len(), "data directory open");
        Ok(state)
    }

    fn new(
        dir: DataDir,
        lock: DirLock,
        store: Store,
        clock: Clock,
        events: broadcast::Sender<crate::api::Event>,
    ) -> Self {
        Self {
            dir,
            _lock: lock,
            store,
            identity: None,
            communities: BTreeMap::new(),
            commons: BTreeMap::new(),
            commons_due: BTreeMap::new(),
            escalate_at: Mono::ZERO,
            occurrences_at: Mono::ZERO,
            clock,
            events,
            sync: replica::SyncBook::default(),
            net: None,
            compact_due: BTreeMap::new(),
            rest_after: REST_AFTER,
            worked_at: None,
            last_job: Mono::ZERO,
            calendar_stale: true,
            calendar_written: None,
            calendar_at: Mono::ZERO,
            pairing: None,
            recovered: None,
            clocks: clocks::Clocks::default(),
        }
    }

    /// Reads the identity and opens every community and commons stored.
    fn load(&mut self) -> Result<(), NodeError> {
        self.identity = self.store.identity()?;
        for row in self.store.communities()? {
            self.load_community(row.id)?;
        }
        self.load_commons()
    }

    /// Carries out one request, in the handler of its area.
    pub(crate) fn execute(&mut self, request: Request) -> Result<Response, NodeError> {
        match request {
            // people: identity, the community, its settings and members
            Request::Init { name } => self.init(&name),
            Request::Whoami => self.whoami().map(Response::Identity),
            Request::CommunityCreate { name } => self.create_community(&name),
            Request::CommunityList => Ok(self.community_list()),
            Request::CommunityRename { community, name } => self.rename_community(community.as_deref(), &name),
            Request::SectorSet { community, sector, name, essential, baseline, archived } => {
                let change = people::SectorChange { name, essential, baseline, archived };
                self.set_sector(community.as_deref(), sector, change)
            }
            Request::Sectors { community } => self.sectors(community.as_deref()),
            Request::GuildAdd { community, name, sector, description } => {
                self.add_guild(community.as_deref(), &name, &sector, &description)
            }
            Request::Guilds { community } => self.guilds(community.as_deref()),
            Request::ProfileSet { community, update } => self.set_profile(community.as_deref(), &update),
            Request::ProfileShow { community, member } => self.show_profile(community.as_deref(), member.as_deref()),
            Request::Members { community } => self.members(community.as_deref()),
            Request::MemberRemove { community, member } => self.remove_member(community.as_deref(), &member),
            // board: tasks, pledges, concerns
            Request::TaskAdd { community, task } => self.add_task(community.as_deref(), task),
            Request::TaskList { community, sector, open_only } => {
                self.task_list(community.as_deref(), sector.as_ref(), open_only)
            }
            Request::TaskShow { task } => self.show_task(&task),
            Request::TaskEdit { task, edit } => self.edit_task(&task, &edit),
            Request::TaskClose { task } => self.close_task(&task),
            Request::Pledge { task, action } => match self.pledge(&task, action.into()) {
                // Not on our boards: a linked neighbour's call (a suggestion the member took).
                Err(NodeError::Refused(crate::error::Refusal::NoSuchTask { .. }))
                    if action != crate::api::PledgeActionInput::Done
                        && let Some(c) = self.call_seen_from(&task) =>
                {
                    let withdraw = action == crate::api::PledgeActionInput::Withdraw;
                    self.call_pledge(Some(&c.to_string()), &task, withdraw)
                }
                other => other,
            },
            Request::Flag { community, task, sector, note } => {
                self.flag(community.as_deref(), task.as_deref(), sector.as_ref(), &note)
            }
            Request::StandIn { task, looking } => self.stand_in(&task, looking),
            Request::TakeOver { task, from } => self.take_over(&task, &from),
            Request::PledgeDay { task, on } => self.pledge_day(&task, on),
            // recurring work
            Request::SeriesAdd { community, series } => self.add_series(community.as_deref(), series),
            Request::SeriesEdit { series, edit } => self.edit_series(&series, &edit),
            Request::SeriesSkip { series, date } => self.skip_occurrence(&series, date),
            Request::SeriesList { community } => self.series_list(community.as_deref()),
            // crews and gatherings
            Request::CrewCreate { community, crew } => self.create_crew(community.as_deref(), crew),
            Request::CrewEdit { crew, edit } => self.edit_crew(&crew, edit),
            Request::CrewJoin { crew } => self.join_crew(&crew, true),
            Request::CrewLeave { crew } => self.join_crew(&crew, false),
            Request::CrewInvite { crew, member } => self.invite_to_crew(&crew, &member),
            Request::CrewNote { crew, kind, text } => self.crew_note(&crew, kind, &text),
            Request::Crews { community } => self.crews(community.as_deref()),
            Request::CrewShow { crew } => self.show_crew(&crew),
            Request::CrewPledge { task, crew } => self.crew_pledge(&task, crew.as_deref()),
            Request::GatheringAdd { community, gathering } => self.add_gathering(community.as_deref(), &gathering),
            Request::GatheringEdit { gathering, edit } => self.edit_gathering(&gathering, &edit),
            Request::Attend { gathering, coming } => self.attend(&gathering, coming),
            Request::GatheringTask { gathering, task } => self.gathering_task(&gathering, task),
            Request::Gatherings { community, past } => self.gatherings(community.as_deref(), past),
            Request::GatheringShow { gathering } => self.show_gathering(&gathering),
            // decisions: proposals, stances, outcomes
            Request::ProposalOpen { community, proposal } => self.open_proposal(community.as_deref(), &proposal),
            Request::Proposals { community, all } => self.proposals(community.as_deref(), all),
            Request::ProposalShow { proposal } => self.show_proposal(&proposal),
            Request::Stance { proposal, stance, reason } => self.take_stance(&proposal, stance, reason.as_deref()),
            Request::ProposalClose { proposal } => self.close_round(&proposal),
            Request::ProposalWithdraw { proposal } => self.withdraw_proposal(&proposal),
            Request::ProposalEdit { proposal, title, details } => {
                self.edit_proposal(&proposal, title.as_deref(), details.as_deref())
            }
            Request::Outcome { proposal, text, review } => self.write_outcome(&proposal, &text, review),
            // ledger: hours, confirmations, feedback, progress
            Request::Log { community, task, sector, minutes, date, note } => {
                self.log(community.as_deref(), task.as_deref(), sector, minutes, date, &note)
            }
            Request::Confirm { entry } => self.confirm(&entry, false),
            Request::Retract { entry } => self.confirm(&entry, true),
            Request::Pending { community } => self.pending(community.as_deref()),
            Request::Feedback { task, verdict } => self.feedback(&task, verdict),
            Request::Progress { community, month } => self.progress(community.as_deref(), month),
            Request::MyHours { community, year } => self.my_hours(community.as_deref(), year),
            // matching
            Request::Suggest { community, member, limit } => {
                self.suggest(community.as_deref(), member.as_deref(), limit)
            }
            Request::Plan { community } => self.plan(community.as_deref()),
            Request::Decline { community, task } => self.decline(community.as_deref(), &task),
            // export, status, demo
            Request::Export { community, format, doc } => self.export(community.as_deref(), format, doc),
            Request::Calendar { community } => self.calendar(community.as_deref()),
            Request::CalendarFile { keep } => self.keep_calendar(keep),
            Request::Status => self.status().map(Response::Status),
            Request::Demo { members, seed, name } => self.demo(members, seed, name),
            // neighbours: links, calls, visitors, offers and needs
            Request::Neighbours { community } => self.neighbours(community.as_deref()),
            Request::NeighbourEnd { community, neighbour } => self.end_neighbour(community.as_deref(), &neighbour),
            Request::DirectorySet { community, about, location, languages, hosts, escalate_after_hours } => {
                let set = neighbours::DirectorySet { about, location, languages, hosts, escalate_after_hours };
                self.set_directory(community.as_deref(), set)
            }
            Request::CallOpen { task } => self.open_call(&task),
            Request::CallClose { task } => self.close_call(&task),
            Request::Calls { community } => self.calls(community.as_deref()),
            Request::CallPledge { community, call, withdraw } => {
                self.call_pledge(community.as_deref(), &call, withdraw)
            }
            Request::CallLog { community, call, minutes, date } => {
                self.call_log(community.as_deref(), &call, minutes, date)
            }
            Request::NoticePost { community, kind, title, description, sector } => {
                self.post_notice(community.as_deref(), kind, &title, &description, sector.as_ref())
            }
            Request::NoticeClose { notice } => self.close_notice(&notice),
            Request::Notices { community } => self.notices(community.as_deref()),
            Request::NoticeReply { community, notice, text } => self.reply_notice(community.as_deref(), &notice, &text),
            // this member's computers
            // (The node answers these itself, with the pairing code's addresses.)
            Request::Devices => self.devices().map(Response::Devices),
            Request::DeviceConfirm { device } => self.confirm_device(&device),
            Request::DeviceLinkWords { code } => self.link_words(&code),
            Request::DeviceRevoke { device } => self.revoke_device(&device),
            Request::DeviceRename { device, label } => self.rename_device(device.as_deref(), &label),
            // Carried out by the node itself (they need the network).
            Request::Invite { .. }
            | Request::DeviceAdd { .. }
            | Request::DeviceLink { .. }
            | Request::BackupCreate { .. }
            | Request::Restore { .. }
            | Request::Join { .. }
            | Request::NeighbourInvite { .. }
            | Request::NeighbourAccept { .. } => {
                Err(NodeError::Internal("this request is answered by the node, not its state".into()))
            }
            // Answered by the node when its network runs; this is the offline answer.
            Request::Peers => Ok(Response::Peers(PeersInfo {
                online: false,
                peer_id: None,
                listening: Vec::new(),
                peers: Vec::new(),
                incidents: Vec::new(),
                clocks: self.clock_words(),
            })),
        }
    }

    fn load_community(&mut self, id: CommunityId) -> Result<(), NodeError> {
        // A community whose people document has not arrived yet (joining was interrupted)
        // opens empty; the next sync fills it.
        let people = match self.store.load_doc(DocId { community: id, name: DocName::People })? {
            Some(p) => p,
            None => Document::load(DocId { community: id, name: DocName::People }, None, &[])
                .map_err(|e| NodeError::Write(e.to_string()))?,
        };
        let board = self.board_from_store(id)?;
        let unloaded: BTreeSet<i32> = self
            .store
            .doc_names(id)?
            .into_iter()
            .filter_map(|name| match name {
                DocName::Ledger(y) => Some(y),
                _ => None,
            })
            .collect();
        let now = self.clock.mono();
        self.communities.insert(id, Community::new(id, people, board, unloaded, now));
        Ok(())
    }

    fn identity(&self) -> Result<&Identity, NodeError> {
        self.identity.as_ref().map(|s| &s.identity).ok_or(NodeError::NotInitialised)
    }

    /// This device's id.
    pub(crate) fn device(&self) -> Result<weft_core::DeviceId, NodeError> {
        Ok(self.identity()?.device())
    }

    fn me(&self) -> Result<MemberId, NodeError> {
        Ok(self.identity()?.member())
    }

    /// The caller's member id, if this directory has an identity.
    fn me_if_any(&self) -> Option<MemberId> {
        self.identity.as_ref().map(|i| i.identity.member())
    }

    /// The ids of the communities this directory holds.
    pub(crate) fn community_ids(&self) -> Vec<CommunityId> {
        self.communities.keys().copied().collect()
    }

    /// A full disk on demand, for tests (`weft_store::Store::limit_growth`).
    pub(crate) fn limit_store_growth(&self, pages: Option<u32>) -> Result<(), NodeError> {
        Ok(self.store.limit_growth(pages)?)
    }

    fn community(&mut self, id: CommunityId) -> Result<&mut Community, NodeError> {
        self.communities.get_mut(&id).ok_or_else(|| NodeError::NotFound(format!("no community {}", id.short())))
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
