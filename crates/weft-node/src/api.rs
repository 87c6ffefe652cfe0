//! The one API every front end calls: requests and their responses, as serde types so the
//! same request works in-process, over the local control socket, and from the desktop UI.
//!
//! References to things are strings as a person types them: a community by name or id
//! prefix (or nothing, when the data directory has just one community), a task or entry by
//! an id prefix of at least four characters, a guild by name or id, a member by name or id.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use weft_core::doc::board::PledgeAction;
use weft_core::doc::crews::{CrewNote, NoteKind, Rhythm};
use weft_core::doc::gatherings::{GatheringEdit, NewGathering};
use weft_core::doc::proposals::{ProposalKind, ProposalStatus, RoundResult, Stance};
use weft_core::doc::series::{Series, SeriesEdit};
use weft_core::id::{CrewId, FlagId, GatheringId, GuildId, ProposalId};
use weft_core::model::{Guild, NewTask, PledgeState, ProfileUpdate, Sector, TaskEdit, Verdict};
use weft_core::views::{MemberYear, Progress, TaskSummary};
use weft_core::{CommunityId, DeviceId, EntryId, MemberId, Minutes, Month, SectorId, SkillId, TaskId, Timestamp};
use weft_core::{Date, DocName};

/// The most suggestions one [`Request::Suggest`] returns.
pub const MAX_SUGGESTIONS: u32 = 100;
/// The longest an invitation is valid: a year, in hours.
pub const INVITE_HOURS_MAX: u32 = 24 * 365;
/// The fewest and the most members a demo community has.
pub const DEMO_MEMBERS_MIN: u32 = 2;
pub const DEMO_MEMBERS_MAX: u32 = 500;

/// Something a member asks their node to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Creates this data directory's identity (a member key and a device key).
    Init {
        name: String,
    },
    /// Who this data directory is.
    Whoami,
    CommunityCreate {
        name: String,
    },
    CommunityList,
    /// Connected peers and the sync state of each document with each.
    Peers,
    /// Invites someone: a code, a link (with this peer's addresses when it is online).
    Invite {
        community: Option<String>,
        uses: u32,
        /// How long the invitation is valid, in hours.
        hours: u32,
    },
    /// Joins a community with an invitation code or link (needs the network).
    Join {
        code: String,
        /// The name to go by, if this data directory has no identity yet.
        name: Option<String>,
    },
    /// This member's computers and backups (as the people documents record them), and a
    /// pairing in progress with the computers asking to be linked.
    Devices,
    /// Starts linking another computer: a pairing code (and link, for a QR code) that stays
    /// valid `minutes` (default 10) and for one computer; needs the network.
    DeviceAdd {
        minutes: Option<u32>,
    },
    /// Confirms the computer asking with the pairing code, by the words both screens show (or
    /// its id prefix): it is then linked when it next asks.
    DeviceConfirm {
        device: String,
    },
    /// On a new computer: the words to compare with the other computer's screen for this
    /// pairing code.
    DeviceLinkWords {
        code: String,
    },
    /// On a new computer: becomes another computer of the member whose device shows the code
    /// (needs the network; answers once the person confirmed there and the documents came).
    DeviceLink {
        code: String,
        label: String,
    },
    /// Revokes one of the member's computers or backups (by its name or id prefix): what it
    /// writes from now on is refused everywhere, and the data keys rotate.
    DeviceRevoke {
        device: String,
    },
    /// Names one of the member's computers (this one if `device` is none).
    DeviceRename {
        device: Option<String>,
        label: String,
    },
    /// Makes an encrypted backup of this member's identity, protected by the passphrase: the
    /// file's bytes and a printable recovery sheet. It registers a new backup key.
    BackupCreate {
        passphrase: String,
    },
    /// Restores a member's identity on this computer (whose data directory has none) from a
    /// backup file (base64) or a recovery sheet's text, and gets the communities back from any
    /// member's peer (needs the network). `revoke` names devices to revoke once back (the lost
    /// laptop), or `all` for every other computer.
    Restore {
        backup: String,
        passphrase: String,
        label: String,
        #[serde(default)]
        revoke: Vec<String>,
    },
    /// Invites a neighbouring community to link with one of ours: a code, a link.
    NeighbourInvite {
        community: Option<String>,
        /// How long the invitation is valid, in hours.
        hours: u32,
    },
    /// Links one of our communities to the community of a neighbour invitation (needs the
    /// network).
    NeighbourAccept {
        community: Option<String>,
        code: String,
    },
    /// Our community's neighbours: their directory entries and the state of each link.
    Neighbours {
        community: Option<String>,
    },
    /// How our community describes itself to its neighbours (fields left out stay as they are).
    DirectorySet {
        community: Option<String>,
        about: Option<String>,
        location: Option<String>,
        languages: Option<String>,
        hosts: Option<u64>,
        /// Hours an urgent task short of people waits before it is offered to the neighbours.
        escalate_after_hours: Option<u32>,
    },
    /// Ends the link with a neighbour: from then on its members write nothing in our commons.
    NeighbourEnd {
        community: Option<String>,
        neighbour: String,
    },
    /// Opens one of our tasks to visitors from our neighbours.
    CallOpen {
        task: String,
    },
    CallClose {
        task: String,
    },
    /// The open calls of our community and of its neighbours.
    Calls {
        community: Option<String>,
    },
    /// As a visitor, pledges to a neighbour's call (or withdraws).
    CallPledge {
        community: Option<String>,
        call: String,
        withdraw: bool,
    },
    /// As a visitor, logs hours given to a neighbour's call: in our own ledger, and in the
    /// neighbour's commons (where its sector progress counts them as visitors' hours).
    CallLog {
        community: Option<String>,
        call: String,
        minutes: Minutes,
        date: Option<Date>,
    },
    /// Posts an offer of surplus or a stated need in our commons.
    NoticePost {
        community: Option<String>,
        kind: NoticeKindInput,
        title: String,
        description: String,
        sector: Option<SectorId>,
    },
    NoticeClose {
        notice: String,
    },
    /// The offers and needs of our community and its neighbours.
    Notices {
        community: Option<String>,
    },
    /// Answers an offer or a need (ours or a neighbour's).
    NoticeReply {
        community: Option<String>,
        notice: String,
        text: String,
    },
    /// Removes a member: their new changes are refused and the data key is rotated.
    MemberRemove {
        community: Option<String>,
        member: String,
    },
    CommunityRename {
        community: Option<String>,
        name: String,
    },
    /// Sets the caller's name and profile in a community.
    ProfileSet {
        community: Option<String>,
        update: ProfileUpdate,
    },
    /// A member's profile (the caller's if `member` is none).
    ProfileShow {
        community: Option<String>,
        member: Option<String>,
    },
    /// The members directory (no hours, no rankings).
    Members {
        community: Option<String>,
    },
    Sectors {
        community: Option<String>,
    },
    /// Adds a sector or changes one; fields left `None` keep their value (a new sector
    /// defaults to non-essential with a 20 h baseline).
    SectorSet {
        community: Option<String>,
        sector: SectorId,
        name: Option<String>,
        essential: Option<bool>,
        baseline: Option<Minutes>,
        archived: Option<bool>,
    },
    GuildAdd {
        community: Option<String>,
        name: String,
        sector: SectorId,
        description: String,
    },
    Guilds {
        community: Option<String>,
    },
    TaskAdd {
        community: Option<String>,
        task: TaskInput,
    },
    TaskList {
        community: Option<String>,
        sector: Option<SectorId>,
        open_only: bool,
    },
    TaskShow {
        task: String,
    },
    TaskEdit {
        task: String,
        edit: TaskEdit,
    },
    TaskClose {
        task: String,
    },
    Pledge {
        task: String,
        action: PledgeActionInput,
    },
    /// Logs the caller's hours, for a task or for a sector of a community.
    Log {
        community: Option<String>,
        task: Option<String>,
        sector: Option<SectorId>,
        minutes: Minutes,
        date: Option<Date>,
        note: String,
    },
    Confirm {
        entry: String,
    },
    Retract {
        entry: String,
    },
    /// Entries waiting for the caller's confirmation, and the caller's unconfirmed ones.
    Pending {
        community: Option<String>,
    },
    Feedback {
        task: String,
        verdict: Verdict,
    },
    Flag {
        community: Option<String>,
        task: Option<String>,
        sector: Option<SectorId>,
        note: String,
    },
    /// Asks for someone to take the caller's place on a task (`looking`), or no longer.
    StandIn {
        task: String,
        looking: bool,
    },
    /// Takes over the place of a member who looks for a stand-in (by name or id).
    TakeOver {
        task: String,
        from: String,
    },
    /// Says which day the caller will do a pledged task (`None`: no particular day).
    PledgeDay {
        task: String,
        on: Option<Date>,
    },
    /// Starts a recurring task: its occurrences are made as tasks some weeks ahead.
    SeriesAdd {
        community: Option<String>,
        series: SeriesInput,
    },
    /// Changes what a series' coming occurrences ask, or when it ends (pledges stay).
    SeriesEdit {
        series: String,
        edit: SeriesEdit,
    },
    /// Starts a crew (the caller its first member).
    CrewCreate {
        community: Option<String>,
        crew: CrewInput,
    },
    /// Changes a crew the caller is in: name, purpose, openness, rhythm, review date, or ends it.
    CrewEdit {
        crew: String,
        edit: CrewEditInput,
    },
    /// Joins a crew (open, or one that invited the caller).
    CrewJoin {
        crew: String,
    },
    CrewLeave {
        crew: String,
    },
    /// Invites a member (by name or id) to a crew the caller is in.
    CrewInvite {
        crew: String,
        member: String,
    },
    /// Records a check-in or a review in a crew the caller is in.
    CrewNote {
        crew: String,
        kind: NoteKind,
        text: String,
    },
    /// The community's crews (the caller's first), with their next meetings.
    Crews {
        community: Option<String>,
    },
    CrewShow {
        crew: String,
    },
    /// Takes a task for one's crew (pledging first if not pledged yet): its members share
    /// the hours, each logging their own. `crew: None` makes the pledge one's own again.
    CrewPledge {
        task: String,
        crew: Option<String>,
    },
    /// Announces a gathering of the whole community (the caller is coming).
    GatheringAdd {
        community: Option<String>,
        gathering: NewGathering,
    },
    GatheringEdit {
        gathering: String,
        edit: GatheringEdit,
    },
    /// "I'll come" (or "I won't").
    Attend {
        gathering: String,
        coming: bool,
    },
    /// Posts a task of a gathering (due on its first day unless it says).
    GatheringTask {
        gathering: String,
        task: TaskInput,
    },
    /// The community's gatherings from today on (`past`: the earlier ones too).
    Gatherings {
        community: Option<String>,
        past: bool,
    },
    GatheringShow {
        gathering: String,
    },
    /// Skips one day of a series (its occurrence, if made, is closed).
    SeriesSkip {
        series: String,
        date: Date,
    },
    /// The community's series and their coming occurrences.
    SeriesList {
        community: Option<String>,
    },
    /// Opens a proposal for the community (or one of its guilds) to decide; from a concern,
    /// it is about the concern's task or sector.
    ProposalOpen {
        community: Option<String>,
        proposal: ProposalInput,
    },
    /// Open proposals, those decided lately, and reviews due (`all`: every proposal).
    Proposals {
        community: Option<String>,
        all: bool,
    },
    ProposalShow {
        proposal: String,
    },
    /// Takes (or changes) the caller's stance in the round open now.
    Stance {
        proposal: String,
        stance: Stance,
        reason: Option<String>,
    },
    /// The proposal's author closes the open round now.
    ProposalClose {
        proposal: String,
    },
    ProposalWithdraw {
        proposal: String,
    },
    /// The author rewords an open proposal (after an objection, say).
    ProposalEdit {
        proposal: String,
        title: Option<String>,
        details: Option<String>,
    },
    /// Writes what was decided, with an optional date to look at it again.
    Outcome {
        proposal: String,
        text: String,
        review: Option<Date>,
    },
    /// Each sector's collective progress in a month (this month if none).
    Progress {
        community: Option<String>,
        month: Option<Month>,
    },
    /// The caller's own hours per sector in a year, against the baseline.
    MyHours {
        community: Option<String>,
        year: Option<i32>,
    },
    Export {
        community: Option<String>,
        format: ExportFormatInput,
        doc: Option<DocName>,
    },
    /// The caller's pledged work that has a day, as an iCalendar file (RFC 5545) calendar
    /// programs import: their pledges to tasks of one community (or of every community here
    /// when `community` is none), and to neighbours' calls they answered as a visitor.
    /// Importing a newer file updates the events an older one made.
    Calendar {
        community: Option<String>,
    },
    /// Keeps (or stops keeping) a calendar file in the data directory up to date, with
    /// every community's events, for calendar programs that subscribe to a file: rewritten
    /// within a minute of any change, and each day.
    CalendarFile {
        keep: bool,
    },
    /// What the matcher suggests to a member (the caller if `member` is none): their parts
    /// of the community plan first, then the tasks that suit them best, each with its reasons.
    Suggest {
        community: Option<String>,
        /// A member's name or id.
        member: Option<String>,
        /// How many suggestions, from 1 to [`MAX_SUGGESTIONS`].
        limit: u32,
    },
    /// The community plan for this week: who could take which open place, urgent ones first.
    Plan {
        community: Option<String>,
    },
    /// "Not for me": the caller declines a task, which is then never suggested to them again.
    /// It is written in the ledger of the task's own community; `community`, if given, is the
    /// community whose suggestions it came from (the task must be its own, or a call opened
    /// to neighbours).
    Decline {
        community: Option<String>,
        task: String,
    },
    /// Generates a demo community with a year of history.
    Demo {
        members: u32,
        seed: u64,
        name: Option<String>,
    },
    /// The data directory: location, size, documents.
    Status,
}

/// A task as a member types it: the guild by name or id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TaskInput {
    #[serde(flatten)]
    pub task: NewTask,
    /// Guild name or id; resolved into `task.guild`.
    pub guild_ref: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PledgeActionInput {
    Pledge,
    Withdraw,
    Done,
}

impl From<PledgeActionInput> for PledgeAction {
    fn from(a: PledgeActionInput) -> Self {
        match a {
            PledgeActionInput::Pledge => Self::Pledge,
            PledgeActionInput::Withdraw => Self::Withdraw,
            PledgeActionInput::Done => Self::Done,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormatInput {
    Csv,
    Valueflows,
    Automerge,
}

/// What the node answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Response {
    Identity(IdentityInfo),
    Devices(DevicesInfo),
    Pairing(PairingInfo),
    LinkWords(Vec<String>),
    Backup(BackupInfo),
    Linked(LinkedInfo),
    Community(CommunityInfo),
    Communities(Vec<CommunityInfo>),
    Member(MemberInfo),
    Members(Vec<MemberInfo>),
    Sectors(Vec<Sector>),
    Guild(Guild),
    Guilds(Vec<Guild>),
    Task(Box<TaskDetail>),
    Tasks(Vec<TaskSummary>),
    Pledge(PledgeInfo),
    Entry(EntryInfo),
    Pending(PendingInfo),
    Feedback(FeedbackInfo),
    Flag { id: FlagId },
    Series(SeriesInfo),
    SeriesList(Vec<SeriesInfo>),
    Crew(Box<CrewInfo>),
    Crews(Vec<CrewInfo>),
    Gathering(Box<GatheringInfo>),
    Gatherings(Vec<GatheringInfo>),
    Proposal(Box<ProposalInfo>),
    Proposals(Vec<ProposalInfo>),
    Progress(Progress),
    Hours(MemberYear),
    Export(ExportData),
    Calendar(CalendarInfo),
    CalendarFile(CalendarFileInfo),
    Demo(DemoInfo),
    Status(StatusInfo),
    Peers(PeersInfo),
    Invite(InviteInfo),
    Suggestions(SuggestionsInfo),
    Plan(PlanInfo),
    Declined { task: TaskId, title: String },
    Neighbours(NeighboursInfo),
    Neighbour(NeighbourInfo),
    Calls(Vec<CallInfo>),
    Call(CallInfo),
    Notices(Vec<NoticeInfo>),
    Notice(NoticeInfo),
}

/// Offers or needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKindInput {
    Offer,
    Need,
}

/// A neighbouring community, as its commons describes it, and our link with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NeighbourInfo {
    pub community: CommunityId,
    pub name: String,
    pub about: String,
    pub location: Option<String>,
    pub languages: String,
    /// How many visitors its members can put up at once.
    pub hosts: u64,
    /// Its members, as its roster proves them (0 until its commons arrived).
    pub members: u32,
    pub open_calls: u32,
    /// Who of ours linked it, and when.
    pub linked_by: String,
    pub linked_at: Timestamp,
    /// Whether our side of the link stands.
    pub live: bool,
    /// Whether their side stands, as far as their commons here says (`None` before it came).
    pub theirs_live: Option<bool>,
}

/// Our community's neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NeighboursInfo {
    pub community: CommunityId,
    pub community_name: String,
    pub neighbours: Vec<NeighbourInfo>,
}

/// A visitor's pledge to a call, with names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VisitorInfo {
    pub member: MemberId,
    pub name: String,
    pub community: CommunityId,
    pub community_name: String,
    pub state: PledgeState,
}

/// A task opened to visitors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CallInfo {
    pub community: CommunityId,
    pub community_name: String,
    pub task: TaskId,
    pub title: String,
    pub description: String,
    pub sector: SectorId,
    /// The skills the task asks for.
    pub skills: Vec<SkillId>,
    pub hours: Minutes,
    pub slots: u32,
    pub urgency: weft_core::model::Urgency,
    pub deadline: Option<Date>,
    pub location: Option<String>,
    /// Opened by escalation (an urgent task unfilled), not by hand.
    pub escalated: bool,
    pub open: bool,
    /// Whether the call is our own community's.
    pub ours: bool,
    pub visitors: Vec<VisitorInfo>,
    /// Visitors' minutes logged to it.
    pub visitor_minutes: Minutes,
}

/// An answer to an offer or a need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReplyInfo {
    pub name: String,
    pub community_name: String,
    pub text: String,
    pub at: Timestamp,
}

/// An offer of surplus or a stated need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NoticeInfo {
    pub id: weft_core::id::NoticeId,
    pub kind: NoticeKindInput,
    pub community: CommunityId,
    pub community_name: String,
    pub title: String,
    pub description: String,
    pub sector: Option<SectorId>,
    pub open: bool,
    pub ours: bool,
    pub created_at: Timestamp,
    pub replies: Vec<ReplyInfo>,
}

/// A member's suggestions: the matcher's answer, with who and where it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SuggestionsInfo {
    pub community: CommunityId,
    pub member_name: String,
    /// Whether these are the caller's own suggestions.
    pub is_me: bool,
    /// The member, their week, why they should rest (if so), and the ranked items with their
    /// titles and reasons.
    #[serde(flatten)]
    pub suggestions: weft_match::Suggestions,
    /// Linked neighbours' open needs the member could help with, most suitable first (at most
    /// `weft_match::MAX_NEEDS`), each with its reasons; answered in the commons.
    pub needs: Vec<weft_match::NeedSuggestion>,
}

/// The community plan, with names and titles for display. It suggests; it never assigns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanInfo {
    pub community: CommunityId,
    pub community_name: String,
    /// Every part of the plan, by member name, then as the plan orders a member's parts (the
    /// most valuable first).
    pub parts: Vec<PlanPartInfo>,
    /// Free places on the open tasks the plan considered (neighbours' calls included).
    pub places_open: u32,
    pub places_covered: u32,
    pub urgent_open: u32,
    pub urgent_covered: u32,
    /// Members with time this week, and how many of them have a part.
    pub members_available: u32,
    pub members_with_part: u32,
    /// Parts dropped because a member's parts together did not fit their week.
    pub trimmed: u32,
    /// Urgent tasks with places nobody here has the time or the fit for this week (this
    /// community's, and neighbours' calls).
    pub urgent_uncovered: Vec<UncoveredTask>,
}

/// One member's part of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanPartInfo {
    pub member: MemberId,
    pub member_name: String,
    pub task: TaskId,
    pub title: String,
    /// The community that posted it, for a neighbour's call.
    pub neighbour: Option<String>,
    pub minutes: u32,
    pub urgent: bool,
    /// How well the task suits the member (the matcher's points, every term but urgency).
    pub fit: i64,
}

/// An urgent task the plan leaves places open on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UncoveredTask {
    pub task: TaskId,
    pub title: String,
    /// The community that posted it, for a neighbour's call.
    pub neighbour: Option<String>,
    /// Its free places nobody in the plan takes.
    pub places: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InviteInfo {
    pub community: CommunityId,
    pub community_name: String,
    /// The short code (enough on the same network).
    pub code: String,
    /// The `weft://` link with the addresses to reach this peer.
    pub link: String,
    pub addresses: Vec<String>,
    pub expires: Timestamp,
    pub uses: u32,
}

/// A member's computer or backup, as the people documents record it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeviceInfo {
    pub id: DeviceId,
    pub label: String,
    pub kind: weft_core::model::DeviceKind,
    pub added_at: Timestamp,
    /// The computer this node runs on.
    pub this: bool,
    /// Restored from a backup: which backup vouched for it.
    pub vouched_by: Option<DeviceId>,
    pub revoked: Option<RevokedInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RevokedInfo {
    pub by: MemberId,
    pub by_name: String,
    pub at: Timestamp,
}

/// A computer asking to be linked with the pairing code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PendingDevice {
    pub device: DeviceId,
    pub label: String,
    /// What its screen shows: the person compares before confirming.
    pub words: Vec<String>,
    pub asked_at: Timestamp,
    pub confirmed: bool,
}

/// A pairing code in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PairingInfo {
    /// The short code (enough on the same network).
    pub code: String,
    /// The `weft://` link with this computer's addresses (for a QR code).
    pub link: String,
    pub addresses: Vec<String>,
    pub expires: Timestamp,
    /// A computer was linked with it (a code links one computer).
    pub used: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DevicesInfo {
    pub devices: Vec<DeviceInfo>,
    pub pairing: Option<PairingInfo>,
    pub asking: Vec<PendingDevice>,
}

/// A backup, made: the file's bytes and the recovery sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BackupInfo {
    /// The encrypted backup file, base64.
    pub base64: String,
    /// The same bytes as lines to print and type back.
    pub sheet: Vec<String>,
    /// A printable page: the lines and a QR code.
    pub html: String,
    /// The backup's own key, registered as one of the member's devices (revoke it to retire
    /// the backup).
    pub device: DeviceId,
    pub made_at: Timestamp,
}

/// This computer now acts for the member: linked by another of their computers, or restored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LinkedInfo {
    pub identity: IdentityInfo,
    pub communities: Vec<CommunityInfo>,
    /// Devices revoked on the way back (a restore that was asked to).
    pub revoked: Vec<DeviceId>,
}

/// The network as this node sees it: who is connected, how they were found, and per
/// document whether we are in sync — failures in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PeersInfo {
    /// Whether this node runs the network at all (`weft serve` or the desktop app).
    pub online: bool,
    pub peer_id: Option<String>,
    pub listening: Vec<String>,
    pub peers: Vec<PeerStatus>,
    /// Recent problems with peers that may be gone (e.g. disconnected for invalid changes).
    pub incidents: Vec<String>,
    /// Computers whose clocks are off, in words (their dates are flagged).
    pub clocks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PeerStatus {
    pub peer_id: String,
    pub device: Option<DeviceId>,
    /// The member behind the device, as far as our people documents know.
    pub member: Option<String>,
    /// mdns, address, relay or inbound.
    pub found_by: String,
    pub address: String,
    pub rtt_ms: Option<u64>,
    pub docs: Vec<DocSyncStatus>,
    /// What went wrong with this peer, if anything, in words.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DocSyncStatus {
    pub community: CommunityId,
    pub doc: DocName,
    pub state: SyncStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncStatus {
    InSync,
    Syncing,
    /// We lack about this many of the peer's changes.
    Behind {
        changes: u64,
    },
    Failed {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IdentityInfo {
    pub name: String,
    pub member: MemberId,
    pub device: DeviceId,
    pub data_dir: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CommunityInfo {
    pub id: CommunityId,
    pub name: String,
    pub members: u32,
    pub open_tasks: u32,
    pub urgent_open: u32,
    /// The yearly baseline per member, all sectors together.
    pub baseline: Minutes,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MemberInfo {
    pub id: MemberId,
    pub name: String,
    pub admitted_at: Timestamp,
    pub devices: u32,
    pub profile: weft_core::model::Profile,
    pub is_me: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PledgeView {
    pub member: MemberId,
    pub name: String,
    pub state: PledgeState,
    pub at: Timestamp,
    /// The day they mean to do it.
    pub on: Option<Date>,
    /// They look for someone to take their place.
    pub stand_in: bool,
    /// Whom they stand in for, by name.
    pub stands_in_for: Option<String>,
    /// Who took their place (their pledge holds no place then), by name.
    pub handed_over_to: Option<String>,
    /// The crew they took it for (its members share the hours), by name.
    pub crew: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TaskDetail {
    pub community: CommunityId,
    #[serde(flatten)]
    pub summary: TaskSummary,
    pub guild_name: Option<String>,
    pub sector_name: String,
    pub created_by_name: String,
    /// The gathering it is a task of, by title.
    pub gathering_title: Option<String>,
    pub pledges: Vec<PledgeView>,
    pub my_pledge: Option<PledgeState>,
    /// Hours logged for this task, by everyone (counted entries).
    pub hours_logged: Minutes,
    pub open_flags: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PledgeInfo {
    pub task: TaskId,
    pub title: String,
    pub state: PledgeState,
    pub taken: u32,
    pub slots: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EntryInfo {
    pub id: EntryId,
    pub community: CommunityId,
    pub member: MemberId,
    pub member_name: String,
    pub task: Option<TaskId>,
    pub task_title: Option<String>,
    pub sector: SectorId,
    pub minutes: Minutes,
    pub date: Date,
    pub note: String,
    pub confirmed_by: Vec<String>,
    pub retracted: bool,
    /// Set when the entry's date may be wrong: written on a computer whose clock is off, or
    /// dated after today. In words.
    pub clock: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PendingInfo {
    /// Others' entries the caller could confirm (newest first, at most 100).
    pub to_confirm: Vec<EntryInfo>,
    /// The caller's entries nobody has confirmed yet.
    pub mine_unconfirmed: Vec<EntryInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FeedbackInfo {
    pub task: TaskId,
    pub title: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExportData {
    pub format: ExportFormatInput,
    /// A name to save it under, e.g. `riverside-hours-2026.csv`.
    pub suggested_name: String,
    /// The exported bytes, base64 (binary for Automerge, UTF-8 text otherwise).
    pub base64: String,
}

/// The calendar file this device keeps up to date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CalendarFileInfo {
    /// Where it is (`None`: not kept).
    pub path: Option<String>,
    /// A `file://` link to it, for calendar programs that subscribe to one.
    pub url: Option<String>,
    pub events: u32,
}

/// A member's calendar, as iCalendar text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CalendarInfo {
    /// The community it covers (`None`: every community here).
    pub community: Option<CommunityId>,
    /// The calendar's name, as calendar programs show it: "Weft — Riverside".
    pub name: String,
    /// A name to save it under, e.g. `riverside-calendar.ics`.
    pub suggested_name: String,
    /// The iCalendar text (RFC 5545: CRLF line ends, UTF-8).
    pub ics: String,
    /// How many events it holds, the cancelled ones (a withdrawn pledge, a task closed before
    /// it was done) included.
    pub events: u32,
    pub cancelled: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DemoInfo {
    pub community: CommunityInfo,
    pub members: u32,
    pub guilds: u32,
    pub tasks: u32,
    pub open_tasks: u32,
    pub urgent_open: u32,
    pub pledges: u32,
    pub entries: u32,
    pub hours: Minutes,
    pub changes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DocStatus {
    pub community: CommunityId,
    pub name: DocName,
    pub changes: u64,
    pub logged_since_snapshot: u64,
    /// Whether its Automerge document is in memory now; a resting one keeps only its view.
    pub in_memory: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StatusInfo {
    pub data_dir: String,
    pub disk_bytes: u64,
    pub identity: Option<IdentityInfo>,
    pub documents: Vec<DocStatus>,
    /// Set when the database was found damaged as this node opened (until the node stops).
    #[serde(default)]
    pub recovered: Option<RecoveryInfo>,
}

/// A damaged database found on opening: set aside (never deleted) and replaced by a fresh
/// one, into which what could still be read was taken back, verified as a peer's changes are.
/// What was lost comes back from other members' peers as they sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecoveryInfo {
    /// Where the damaged database is now.
    pub set_aside: String,
    /// What was found wrong with it, as SQLite or the store said it.
    pub damage: String,
    /// The communities taken back.
    pub communities: Vec<RecoveredCommunity>,
    /// Changes read from the damaged database, verified and stored again.
    pub changes_saved: u64,
    /// What could not be read or taken back, in words.
    pub unreadable: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecoveredCommunity {
    pub community: CommunityId,
    pub name: String,
}

/// Something changed that a front end may want to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
#[ts(rename = "NodeEvent")]
pub enum Event {
    /// A document changed (a local change, now durable).
    DocumentChanged { community: CommunityId, doc: DocName },
    /// A community was created, joined or generated.
    CommunityAdded { community: CommunityId },
    /// Something went wrong with a peer (e.g. it sent changes that failed verification).
    PeerIncident { peer: String, what: String },
    /// Peers came or went, or we listen somewhere new (`Request::Peers` tells the rest).
    NetworkChanged,
    /// A computer asks to be linked with our pairing code, or one was linked
    /// (`Request::Devices` tells the rest).
    DevicesChanged,
}

/// A new proposal, as a member writes it; things it is about are named as people type them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProposalInput {
    pub title: String,
    #[serde(default)]
    pub details: String,
    pub kind: ProposalKind,
    /// How long each round runs, in hours (default seven days).
    #[serde(default)]
    pub round_hours: Option<u32>,
    /// A guild by name or id (the whole community if none).
    #[serde(default)]
    pub guild: Option<String>,
    /// The concern it answers, by id prefix: the proposal is then about its task or sector.
    #[serde(default)]
    pub concern: Option<String>,
    #[serde(default)]
    pub task: Option<String>,
    /// A sector it is about (one far behind its goal, say).
    #[serde(default)]
    pub sector: Option<SectorId>,
}

/// A stance with who took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StanceInfo {
    pub member: MemberId,
    pub name: String,
    pub stance: Stance,
    pub reason: Option<String>,
    pub at: Timestamp,
    pub round: u32,
}

/// One round of a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RoundInfo {
    pub n: u32,
    pub opened: Timestamp,
    pub closes: Timestamp,
    pub closed_early: bool,
    /// `None` while open (or if the proposal was withdrawn during it).
    pub result: Option<RoundResult>,
    /// Each member's stance that counts in it.
    pub stances: Vec<StanceInfo>,
    /// How many took each stance.
    pub tally: Vec<(Stance, u32)>,
}

/// What was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OutcomeInfo {
    pub text: String,
    pub by: MemberId,
    pub by_name: String,
    pub at: Timestamp,
    pub review: Option<Date>,
}

/// A proposal, where it stands, and the caller's part in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProposalInfo {
    pub community: CommunityId,
    pub id: ProposalId,
    pub title: String,
    pub details: String,
    pub kind: ProposalKind,
    pub round_hours: u32,
    pub guild: Option<GuildId>,
    pub guild_name: Option<String>,
    /// The concern it answers, and its words.
    pub concern: Option<FlagId>,
    pub concern_note: Option<String>,
    pub task: Option<TaskId>,
    pub task_title: Option<String>,
    pub sector: Option<SectorId>,
    pub created_by: MemberId,
    pub created_by_name: String,
    pub created_at: Timestamp,
    pub updated_at: Option<Timestamp>,
    pub status: ProposalStatus,
    pub rounds: Vec<RoundInfo>,
    /// Every stance ever taken, in time order (a member may change theirs until the round ends).
    pub history: Vec<StanceInfo>,
    /// The stances the caller may take on it.
    pub choices: Vec<Stance>,
    /// The caller's stance that counts in the open (or last) round.
    pub my_stance: Option<Stance>,
    pub is_mine: bool,
    pub outcome: Option<OutcomeInfo>,
    /// The outcome's review date has come.
    pub review_due: bool,
}

/// How a series comes round, as a member says it; what is left out follows from its start
/// (the weekday it starts on; for monthly, which such weekday of the month that is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RepeatInput {
    pub kind: RepeatKind,
    /// Weekly: every so many weeks (default 1).
    #[serde(default)]
    pub every: Option<u32>,
    /// 0 = Monday … 6 = Sunday (default: the start's).
    #[serde(default)]
    pub weekday: Option<u8>,
    /// Monthly: the first to fourth such weekday, or 5 for the last (default: the start's).
    #[serde(default)]
    pub nth: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RepeatKind {
    Weekly,
    Monthly,
}

/// A new series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SeriesInput {
    /// What each occurrence asks (its deadline is its day).
    pub task: TaskInput,
    pub repeat: RepeatInput,
    /// The first day it may come round (default today).
    #[serde(default)]
    pub starts: Option<Date>,
    #[serde(default)]
    pub until: Option<Date>,
    /// How far ahead its occurrences are made (default 28 days).
    #[serde(default)]
    pub ahead_days: Option<u32>,
}

/// One made occurrence of a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OccurrenceInfo {
    pub task: TaskId,
    pub on: Date,
    pub taken: u32,
    pub slots: u32,
    pub open: bool,
    /// Changed by hand: the series' edits leave it.
    pub detached: bool,
}

/// When a crew meets, as a member says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RhythmInput {
    pub repeat: RepeatInput,
    /// The first day it may meet (default today).
    pub starts: Option<Date>,
    /// Minutes after midnight, local time (19:00 = 1140).
    pub time: u32,
    /// How long a meeting lasts (default 90 minutes).
    pub minutes: Option<u32>,
    pub place: Option<String>,
}

/// A new crew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CrewInput {
    pub name: String,
    #[serde(default)]
    pub purpose: String,
    /// Anyone may join (else only those its members invite).
    #[serde(default)]
    pub open: bool,
    pub rhythm: Option<RhythmInput>,
    pub review: Option<Date>,
}

/// A change to a crew: what is `None` stays as it is; `Some(None)` clears it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct CrewEditInput {
    pub name: Option<String>,
    pub purpose: Option<String>,
    pub open: Option<bool>,
    #[serde(default, deserialize_with = "weft_core::model::present", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rhythm: Option<Option<RhythmInput>>,
    #[serde(default, deserialize_with = "weft_core::model::present", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub review: Option<Option<Date>>,
    /// End the crew (it meets no more), or start it again.
    pub ended: Option<bool>,
}

/// A member, by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Named {
    pub member: MemberId,
    pub name: String,
}

/// A note of a crew, with its writer's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CrewNoteInfo {
    #[serde(flatten)]
    pub note: CrewNote,
    pub name: String,
}

/// A task a crew took, and each member's share of its hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CrewTaskInfo {
    pub task: TaskId,
    pub title: String,
    pub state: PledgeState,
    /// Who took it for the crew.
    pub pledged_by: String,
    pub hours: Minutes,
    /// The task's hours shared among the crew's members.
    pub share: Minutes,
    pub day: Option<Date>,
}

/// A crew, with names, its next meeting and what the caller may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CrewInfo {
    pub community: CommunityId,
    pub id: CrewId,
    pub name: String,
    pub purpose: String,
    pub open: bool,
    pub created_at: Timestamp,
    pub rhythm: Option<Rhythm>,
    /// "every 2 weeks on Tuesday at 19:00", in English (front ends word `rhythm` themselves).
    pub when: Option<String>,
    pub next_meeting: Option<Date>,
    pub review: Option<Date>,
    /// The review date has come.
    pub review_due: bool,
    pub ended: bool,
    pub members: Vec<Named>,
    pub waiting: Vec<Named>,
    pub invited: Vec<Named>,
    /// The caller is in it (or waits for a place).
    pub mine: bool,
    pub waiting_for_place: bool,
    /// The caller may join it now.
    pub may_join: bool,
    pub max: u32,
    /// Oldest first.
    pub notes: Vec<CrewNoteInfo>,
    pub tasks: Vec<CrewTaskInfo>,
}

/// A gathering, with names and its tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct GatheringInfo {
    pub community: CommunityId,
    pub id: GatheringId,
    pub title: String,
    pub description: String,
    pub starts: Date,
    pub ends: Date,
    pub place: Option<String>,
    pub cancelled: bool,
    pub created_by: String,
    pub attending: Vec<Named>,
    /// The caller's answer: coming, not coming, or not said.
    pub coming: Option<bool>,
    pub tasks: Vec<TaskSummary>,
    /// Places still open on its tasks.
    pub open_places: u32,
}

/// A series, in words, with its coming occurrences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SeriesInfo {
    pub community: CommunityId,
    pub series: Series,
    /// "every Tuesday", in English (front ends word `series.repeat` themselves).
    pub when: String,
    /// Made occurrences from today on, by day.
    pub coming: Vec<OccurrenceInfo>,
}
