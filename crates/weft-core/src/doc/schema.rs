//! The schema of each kind of document, as data: every path a change may write, what value it
//! may hold, and who may write it. Verification (`crate::verify`) checks each operation of a
//! received change against this table; readers in `people`, `board` and `ledger` read the same
//! fields.
//!
//! Paths are map keys from the root. A segment is either a literal or an id of some kind
//! (`members/<member>/profile/skills/<skill>`). There are no lists and no text objects.

use super::{BOARD_SCHEMA, COMMONS_SCHEMA, DocKind, LEDGER_SCHEMA, PEOPLE_SCHEMA, crews, proposals, series};
use crate::crypto::SEALED_LEN;
use crate::model::{INTEREST_MAX, SKILL_LEVEL_MAX};
use crate::validate;

/// One segment of a path pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg {
    Lit(&'static str),
    Member,
    Device,
    Task,
    Entry,
    Guild,
    Flag,
    Sector,
    Skill,
    /// `<task>.<member>`: pledges, feedback, declines.
    Pair,
    /// A data key's id: 16 lowercase hex characters.
    KeyId,
    Invite,
    /// Another community.
    Community,
    /// An offer or a need.
    Notice,
    Reply,
    /// A change's hash, in hex.
    Hash,
    Proposal,
    /// A round of a proposal: 1 to `proposals::MAX_ROUNDS`.
    Round,
    /// Milliseconds since 1970, in decimal (when a stance was taken).
    Millis,
    Series,
    /// A day, `YYYY-MM-DD`.
    Day,
    Crew,
    Gathering,
}

/// What a path may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A map (a container or a record).
    Map,
    Const(&'static str),
    Text {
        min: usize,
        max: usize,
    },
    Slug,
    TaskRef,
    GuildRef,
    Uint {
        min: u64,
        max: u64,
    },
    Bool,
    /// Only `true` (sets of keys: skills wanted, things to learn).
    True,
    Timestamp,
    Date,
    /// A date inside the ledger's own year.
    DateInYear,
    OneOf(&'static [&'static str]),
    /// The id of the member making the change.
    Author,
    /// A device certificate of the member at segment 1 for the device at segment 3.
    Cert,
    /// Bytes of exactly this length.
    Bytes(usize),
    /// The task, or the member, of the pair id at segment 1.
    PairTask,
    PairMember,
    /// The community of the member making the change.
    AuthorCommunity,
    /// A people change of the community whose hash is path segment 1 (roster evidence).
    Evidence,
    /// An offer or a need of this commons.
    NoticeRef,
    /// A concern on this board.
    FlagRef,
    SeriesRef,
    /// A crew's id (of the community's people document: readers check it).
    CrewRef,
    /// A gathering of this board.
    GatheringRef,
    /// A member's id (another member's, as a stand-in names whom they stand in for).
    MemberRef,
    /// A device's id.
    DeviceRef,
    /// A stance's round: 1 to `proposals::MAX_ROUNDS`, and the stance's time (path segment 4)
    /// no later than that round can run (`Proposal::latest_stance`) and no earlier than the
    /// proposal (segment 1).
    StanceRound,
}

/// Who may write a path in a change that does not also create its enclosing record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Only in the people document's genesis.
    Genesis,
    /// Only in the change that creates the enclosing record; immutable afterwards.
    AtCreation,
    /// Any current member (in a commons: of the community or of a linked neighbour).
    Member,
    /// A member of the community whose commons it is, not a neighbour.
    Home,
    /// The member whose id is path segment `n`.
    MemberAt(usize),
    /// The member of the pair id at segment 1.
    PairMember,
    /// The member who logged the ledger entry at segment 1.
    EntryOwner,
    /// The member at segment 3, who may not be the entry's own member (checked always, even
    /// when the entry is created in the same change).
    Confirmer,
    /// The member whose id is path segment `n`, checked always, even when the enclosing
    /// record is created in the same change (nobody writes another's stance).
    Own(usize),
    /// The member who made the proposal at segment 1.
    ProposalAuthor,
    /// A member of the crew at segment 1 (joined, not left, and let in: the crew is open, or
    /// they were invited, or they started it).
    CrewMember,
}

/// What the schema says about one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub path: &'static [Seg],
    pub value: Value,
    pub who: Who,
    pub deletable: bool,
}

use Seg::{Lit, Member as M};

const fn r(path: &'static [Seg], value: Value, who: Who) -> Rule {
    Rule { path, value, who, deletable: false }
}
const fn d(path: &'static [Seg], value: Value, who: Who) -> Rule {
    Rule { path, value, who, deletable: true }
}

// The bounds a peer's change is held to are the ones local writes are validated against.
const NAME: Value = Value::Text { min: 1, max: validate::NAME_MAX };
const URGENCY: &[&str] = &["normal", "soon", "urgent"];
const STATUS: &[&str] = &["open", "closed"];
const PLEDGE: &[&str] = &["pledged", "withdrawn", "done"];
const VERDICT: &[&str] = &["enjoyed", "too-hard", "not-again", "more"];
/// Hours are stored in minutes.
const MAX_TASK_MINUTES: u64 = validate::TASK_HOURS_MAX.0 as u64;
const MAX_ENTRY_MINUTES: u64 = validate::ENTRY_MAX.0 as u64;
const MAX_WEEK_MINUTES: u64 = validate::WEEK_MAX.0 as u64;

pub const PEOPLE: &[Rule] = &[
    r(&[Lit("schema")], Value::Const(PEOPLE_SCHEMA), Who::Genesis),
    r(&[Lit("community")], Value::Map, Who::Genesis),
    r(&[Lit("community"), Lit("name")], NAME, Who::Genesis),
    r(&[Lit("community"), Lit("founder")], Value::Author, Who::Genesis),
    r(&[Lit("community"), Lit("created_at")], Value::Timestamp, Who::Genesis),
    r(&[Lit("settings")], Value::Map, Who::Genesis),
    r(&[Lit("settings"), Lit("name")], NAME, Who::Member),
    r(&[Lit("sectors")], Value::Map, Who::Genesis),
    r(&[Lit("sectors"), Seg::Sector], Value::Map, Who::Member),
    r(&[Lit("sectors"), Seg::Sector, Lit("name")], Value::Text { min: 1, max: validate::SECTOR_NAME_MAX }, Who::Member),
    r(&[Lit("sectors"), Seg::Sector, Lit("essential")], Value::Bool, Who::Member),
    r(
        &[Lit("sectors"), Seg::Sector, Lit("baseline")],
        Value::Uint { min: 0, max: validate::BASELINE_MAX.0 as u64 },
        Who::Member,
    ),
    r(&[Lit("sectors"), Seg::Sector, Lit("order")], Value::Uint { min: 0, max: 1000 }, Who::Member),
    r(&[Lit("sectors"), Seg::Sector, Lit("archived")], Value::Bool, Who::Member),
    r(&[Lit("guilds")], Value::Map, Who::Genesis),
    r(&[Lit("guilds"), Seg::Guild], Value::Map, Who::Member),
    r(&[Lit("guilds"), Seg::Guild, Lit("name")], NAME, Who::Member),
    r(&[Lit("guilds"), Seg::Guild, Lit("sector")], Value::Slug, Who::Member),
    r(
        &[Lit("guilds"), Seg::Guild, Lit("description")],
        Value::Text { min: 0, max: validate::GUILD_DESCRIPTION_MAX },
        Who::Member,
    ),
    r(&[Lit("guilds"), Seg::Guild, Lit("archived")], Value::Bool, Who::Member),
    r(&[Lit("guilds"), Seg::Guild, Lit("created_by")], Value::Author, Who::AtCreation),
    r(&[Lit("members")], Value::Map, Who::Genesis),
    r(&[Lit("members"), M], Value::Map, Who::Member),
    r(&[Lit("members"), M, Lit("name")], NAME, Who::MemberAt(1)),
    r(&[Lit("members"), M, Lit("admitted_by")], Value::Author, Who::AtCreation),
    r(&[Lit("members"), M, Lit("admitted_at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("members"), M, Lit("devices")], Value::Map, Who::AtCreation),
    // A device record is created by the member's own device, or by any member with the vouch
    // of one of the member's current devices (a backup's key): `verify` checks which.
    r(&[Lit("members"), M, Lit("devices"), Seg::Device], Value::Map, Who::Member),
    r(&[Lit("members"), M, Lit("devices"), Seg::Device, Lit("cert")], Value::Cert, Who::AtCreation),
    r(&[Lit("members"), M, Lit("devices"), Seg::Device, Lit("added_at")], Value::Timestamp, Who::AtCreation),
    r(
        &[Lit("members"), M, Lit("devices"), Seg::Device, Lit("label")],
        Value::Text { min: 0, max: validate::NAME_MAX },
        Who::MemberAt(1),
    ),
    r(
        &[Lit("members"), M, Lit("devices"), Seg::Device, Lit("kind")],
        Value::OneOf(&["computer", "backup"]),
        Who::AtCreation,
    ),
    r(&[Lit("members"), M, Lit("devices"), Seg::Device, Lit("vouched_by")], Value::DeviceRef, Who::AtCreation),
    r(&[Lit("members"), M, Lit("devices"), Seg::Device, Lit("vouch")], Value::Bytes(64), Who::AtCreation),
    // Revoking: by any of the member's devices, or by the community (as removal is).
    r(&[Lit("members"), M, Lit("devices"), Seg::Device, Lit("revoked")], Value::Map, Who::Member),
    r(&[Lit("members"), M, Lit("devices"), Seg::Device, Lit("revoked"), Lit("by")], Value::Author, Who::AtCreation),
    r(&[Lit("members"), M, Lit("devices"), Seg::Device, Lit("revoked"), Lit("at")], Value::Timestamp, Who::AtCreation),
    // Where the revocation cuts the device's history, per document (`Revocation::upto_text`).
    r(
        &[Lit("members"), M, Lit("devices"), Seg::Device, Lit("revoked"), Lit("upto")],
        Value::Text { min: 0, max: 4000 },
        Who::AtCreation,
    ),
    r(&[Lit("members"), M, Lit("profile")], Value::Map, Who::AtCreation),
    r(&[Lit("members"), M, Lit("profile"), Lit("skills")], Value::Map, Who::AtCreation),
    d(
        &[Lit("members"), M, Lit("profile"), Lit("skills"), Seg::Skill],
        Value::Uint { min: 1, max: SKILL_LEVEL_MAX as u64 },
        Who::MemberAt(1),
    ),
    r(&[Lit("members"), M, Lit("profile"), Lit("interests")], Value::Map, Who::AtCreation),
    d(
        &[Lit("members"), M, Lit("profile"), Lit("interests"), Seg::Sector],
        Value::Uint { min: 0, max: INTEREST_MAX as u64 },
        Who::MemberAt(1),
    ),
    r(
        &[Lit("members"), M, Lit("profile"), Lit("hours_per_week")],
        Value::Uint { min: 0, max: MAX_WEEK_MINUTES },
        Who::MemberAt(1),
    ),
    r(&[Lit("members"), M, Lit("profile"), Lit("travel")], Value::Bool, Who::MemberAt(1)),
    r(&[Lit("members"), M, Lit("profile"), Lit("learn")], Value::Map, Who::AtCreation),
    d(&[Lit("members"), M, Lit("profile"), Lit("learn"), Seg::Skill], Value::True, Who::MemberAt(1)),
    r(&[Lit("removed")], Value::Map, Who::Genesis),
    r(&[Lit("removed"), M], Value::Map, Who::Member),
    r(&[Lit("removed"), M, Lit("by")], Value::Author, Who::AtCreation),
    r(&[Lit("removed"), M, Lit("at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("invites")], Value::Map, Who::Genesis),
    r(&[Lit("invites"), Seg::Invite], Value::Map, Who::Member),
    r(&[Lit("invites"), Seg::Invite, Lit("secret")], Value::Bytes(32), Who::AtCreation),
    r(&[Lit("invites"), Seg::Invite, Lit("by")], Value::Author, Who::AtCreation),
    r(&[Lit("invites"), Seg::Invite, Lit("at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("invites"), Seg::Invite, Lit("expires")], Value::Timestamp, Who::AtCreation),
    r(
        &[Lit("invites"), Seg::Invite, Lit("uses")],
        Value::Uint { min: 1, max: validate::INVITE_USES_MAX as u64 },
        Who::AtCreation,
    ),
    r(&[Lit("invites"), Seg::Invite, Lit("used")], Value::Map, Who::AtCreation),
    r(&[Lit("invites"), Seg::Invite, Lit("used"), M], Value::Timestamp, Who::Member),
    r(&[Lit("epochs")], Value::Map, Who::Genesis),
    r(&[Lit("epochs"), Seg::KeyId], Value::Map, Who::Member),
    r(&[Lit("epochs"), Seg::KeyId, Lit("n")], Value::Uint { min: 0, max: 1_000_000 }, Who::AtCreation),
    r(&[Lit("epochs"), Seg::KeyId, Lit("by")], Value::Author, Who::AtCreation),
    r(&[Lit("epochs"), Seg::KeyId, Lit("at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("epochs"), Seg::KeyId, Lit("seals")], Value::Map, Who::AtCreation),
    r(&[Lit("epochs"), Seg::KeyId, Lit("seals"), Seg::Device], Value::Bytes(SEALED_LEN), Who::Member),
    r(&[Lit("crews")], Value::Map, Who::Genesis),
    r(&[Lit("crews"), C], Value::Map, Who::Member),
    r(&[Lit("crews"), C, Lit("name")], NAME, Who::CrewMember),
    r(&[Lit("crews"), C, Lit("purpose")], Value::Text { min: 0, max: crews::PURPOSE_MAX }, Who::CrewMember),
    r(&[Lit("crews"), C, Lit("open")], Value::Bool, Who::CrewMember),
    r(&[Lit("crews"), C, Lit("created_by")], Value::Author, Who::AtCreation),
    r(&[Lit("crews"), C, Lit("created_at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("crews"), C, Lit("updated_at")], Value::Timestamp, Who::CrewMember),
    d(&[Lit("crews"), C, Lit("review")], Value::Date, Who::CrewMember),
    d(&[Lit("crews"), C, Lit("ended")], Value::Timestamp, Who::CrewMember),
    r(&[Lit("crews"), C, Lit("rhythm")], Value::Map, Who::AtCreation),
    d(&[Lit("crews"), C, Lit("rhythm"), Lit("repeat")], Value::OneOf(&["weekly", "monthly"]), Who::CrewMember),
    d(
        &[Lit("crews"), C, Lit("rhythm"), Lit("every")],
        Value::Uint { min: 1, max: series::EVERY_MAX as u64 },
        Who::CrewMember,
    ),
    d(&[Lit("crews"), C, Lit("rhythm"), Lit("nth")], Value::Uint { min: 1, max: series::LAST as u64 }, Who::CrewMember),
    d(&[Lit("crews"), C, Lit("rhythm"), Lit("weekday")], Value::Uint { min: 0, max: 6 }, Who::CrewMember),
    d(&[Lit("crews"), C, Lit("rhythm"), Lit("starts")], Value::Date, Who::CrewMember),
    d(
        &[Lit("crews"), C, Lit("rhythm"), Lit("time")],
        Value::Uint { min: 0, max: crews::TIME_MAX as u64 },
        Who::CrewMember,
    ),
    d(
        &[Lit("crews"), C, Lit("rhythm"), Lit("minutes")],
        Value::Uint { min: crews::MEETING_MINUTES_MIN as u64, max: crews::MEETING_MINUTES_MAX as u64 },
        Who::CrewMember,
    ),
    d(&[Lit("crews"), C, Lit("rhythm"), Lit("place")], LOCATION, Who::CrewMember),
    r(&[Lit("crews"), C, Lit("members")], Value::Map, Who::AtCreation),
    r(&[Lit("crews"), C, Lit("members"), M], Value::Map, Who::Own(3)),
    r(&[Lit("crews"), C, Lit("members"), M, Lit("joined_at")], Value::Timestamp, Who::Own(3)),
    d(&[Lit("crews"), C, Lit("members"), M, Lit("left_at")], Value::Timestamp, Who::Own(3)),
    r(&[Lit("crews"), C, Lit("invited")], Value::Map, Who::AtCreation),
    r(&[Lit("crews"), C, Lit("invited"), M], Value::Timestamp, Who::CrewMember),
    r(&[Lit("crews"), C, Lit("notes")], Value::Map, Who::AtCreation),
    r(&[Lit("crews"), C, Lit("notes"), M], Value::Map, Who::Own(3)),
    r(&[Lit("crews"), C, Lit("notes"), M, Seg::Millis], Value::Map, Who::Own(3)),
    r(
        &[Lit("crews"), C, Lit("notes"), M, Seg::Millis, Lit("kind")],
        Value::OneOf(&["check-in", "review"]),
        Who::Own(3),
    ),
    r(
        &[Lit("crews"), C, Lit("notes"), M, Seg::Millis, Lit("text")],
        Value::Text { min: 1, max: crews::NOTE_MAX },
        Who::Own(3),
    ),
];

pub const BOARD: &[Rule] = &[
    r(&[Lit("schema")], Value::Const(BOARD_SCHEMA), Who::Genesis),
    r(&[Lit("tasks")], Value::Map, Who::Genesis),
    r(&[Lit("pledges")], Value::Map, Who::Genesis),
    r(&[Lit("flags")], Value::Map, Who::Genesis),
    r(&[Lit("proposals")], Value::Map, Who::Genesis),
    r(&[Lit("tasks"), Seg::Task], Value::Map, Who::Member),
    r(&[Lit("tasks"), Seg::Task, Lit("title")], Value::Text { min: 1, max: validate::TITLE_MAX }, Who::Member),
    r(
        &[Lit("tasks"), Seg::Task, Lit("description")],
        Value::Text { min: 0, max: validate::DESCRIPTION_MAX },
        Who::Member,
    ),
    r(&[Lit("tasks"), Seg::Task, Lit("sector")], Value::Slug, Who::Member),
    d(&[Lit("tasks"), Seg::Task, Lit("guild")], Value::GuildRef, Who::Member),
    r(&[Lit("tasks"), Seg::Task, Lit("skills")], Value::Map, Who::AtCreation),
    d(&[Lit("tasks"), Seg::Task, Lit("skills"), Seg::Skill], Value::True, Who::Member),
    r(&[Lit("tasks"), Seg::Task, Lit("hours")], Value::Uint { min: 1, max: MAX_TASK_MINUTES }, Who::Member),
    r(&[Lit("tasks"), Seg::Task, Lit("slots")], Value::Uint { min: 1, max: validate::SLOTS_MAX as u64 }, Who::Member),
    r(&[Lit("tasks"), Seg::Task, Lit("urgency")], Value::OneOf(URGENCY), Who::Member),
    d(&[Lit("tasks"), Seg::Task, Lit("deadline")], Value::Date, Who::Member),
    d(&[Lit("tasks"), Seg::Task, Lit("location")], Value::Text { min: 1, max: validate::LOCATION_MAX }, Who::Member),
    r(&[Lit("tasks"), Seg::Task, Lit("open_to_neighbours")], Value::Bool, Who::Member),
    r(&[Lit("tasks"), Seg::Task, Lit("status")], Value::OneOf(STATUS), Who::Member),
    r(&[Lit("tasks"), Seg::Task, Lit("created_by")], Value::Author, Who::AtCreation),
    r(&[Lit("tasks"), Seg::Task, Lit("created_at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("tasks"), Seg::Task, Lit("updated_by")], Value::Author, Who::Member),
    r(&[Lit("tasks"), Seg::Task, Lit("updated_at")], Value::Timestamp, Who::Member),
    r(&[Lit("tasks"), Seg::Task, Lit("series")], Value::SeriesRef, Who::AtCreation),
    r(&[Lit("tasks"), Seg::Task, Lit("on")], Value::Date, Who::AtCreation),
    r(&[Lit("tasks"), Seg::Task, Lit("detached")], Value::Bool, Who::Member),
    r(&[Lit("tasks"), Seg::Task, Lit("gathering")], Value::GatheringRef, Who::AtCreation),
    // Added by the board's deterministic upgrade (`doc::deterministic_upgrades`), never by a
    // member.
    r(&[Lit("series")], Value::Map, Who::Genesis),
    r(&[Lit("gatherings")], Value::Map, Who::Genesis),
    r(&[Lit("gatherings"), G], Value::Map, Who::Member),
    r(&[Lit("gatherings"), G, Lit("title")], TITLE, Who::Member),
    r(&[Lit("gatherings"), G, Lit("description")], DESCRIPTION, Who::Member),
    r(&[Lit("gatherings"), G, Lit("starts")], Value::Date, Who::Member),
    r(&[Lit("gatherings"), G, Lit("ends")], Value::Date, Who::Member),
    d(&[Lit("gatherings"), G, Lit("place")], LOCATION, Who::Member),
    r(&[Lit("gatherings"), G, Lit("cancelled")], Value::Bool, Who::Member),
    r(&[Lit("gatherings"), G, Lit("created_by")], Value::Author, Who::AtCreation),
    r(&[Lit("gatherings"), G, Lit("created_at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("gatherings"), G, Lit("updated_at")], Value::Timestamp, Who::Member),
    r(&[Lit("gatherings"), G, Lit("attending")], Value::Map, Who::AtCreation),
    r(&[Lit("gatherings"), G, Lit("attending"), M], Value::Bool, Who::Own(3)),
    r(&[Lit("series"), S], Value::Map, Who::Member),
    r(&[Lit("series"), S, Lit("title")], TITLE, Who::Member),
    r(&[Lit("series"), S, Lit("description")], DESCRIPTION, Who::Member),
    r(&[Lit("series"), S, Lit("sector")], Value::Slug, Who::Member),
    d(&[Lit("series"), S, Lit("guild")], Value::GuildRef, Who::Member),
    r(&[Lit("series"), S, Lit("skills")], Value::Map, Who::AtCreation),
    d(&[Lit("series"), S, Lit("skills"), Seg::Skill], Value::True, Who::Member),
    r(&[Lit("series"), S, Lit("hours")], Value::Uint { min: 1, max: MAX_TASK_MINUTES }, Who::Member),
    r(&[Lit("series"), S, Lit("slots")], Value::Uint { min: 1, max: validate::SLOTS_MAX as u64 }, Who::Member),
    r(&[Lit("series"), S, Lit("urgency")], Value::OneOf(URGENCY), Who::Member),
    d(&[Lit("series"), S, Lit("location")], LOCATION, Who::Member),
    r(&[Lit("series"), S, Lit("repeat")], Value::OneOf(&["weekly", "monthly"]), Who::AtCreation),
    r(&[Lit("series"), S, Lit("every")], Value::Uint { min: 1, max: series::EVERY_MAX as u64 }, Who::AtCreation),
    r(&[Lit("series"), S, Lit("nth")], Value::Uint { min: 1, max: series::LAST as u64 }, Who::AtCreation),
    r(&[Lit("series"), S, Lit("weekday")], Value::Uint { min: 0, max: 6 }, Who::AtCreation),
    r(&[Lit("series"), S, Lit("starts")], Value::Date, Who::AtCreation),
    d(&[Lit("series"), S, Lit("until")], Value::Date, Who::Member),
    r(
        &[Lit("series"), S, Lit("ahead_days")],
        Value::Uint { min: series::AHEAD_DAYS_MIN as u64, max: series::AHEAD_DAYS_MAX as u64 },
        Who::Member,
    ),
    r(&[Lit("series"), S, Lit("created_by")], Value::Author, Who::AtCreation),
    r(&[Lit("series"), S, Lit("created_at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("series"), S, Lit("updated_at")], Value::Timestamp, Who::Member),
    r(&[Lit("series"), S, Lit("skipped")], Value::Map, Who::AtCreation),
    d(&[Lit("series"), S, Lit("skipped"), Seg::Day], Value::True, Who::Member),
    r(&[Lit("pledges"), Seg::Pair], Value::Map, Who::PairMember),
    r(&[Lit("pledges"), Seg::Pair, Lit("task")], Value::PairTask, Who::AtCreation),
    r(&[Lit("pledges"), Seg::Pair, Lit("member")], Value::PairMember, Who::AtCreation),
    r(&[Lit("pledges"), Seg::Pair, Lit("state")], Value::OneOf(PLEDGE), Who::PairMember),
    r(&[Lit("pledges"), Seg::Pair, Lit("updated_at")], Value::Timestamp, Who::PairMember),
    d(&[Lit("pledges"), Seg::Pair, Lit("on")], Value::Date, Who::PairMember),
    r(&[Lit("pledges"), Seg::Pair, Lit("stand_in")], Value::Bool, Who::PairMember),
    r(&[Lit("pledges"), Seg::Pair, Lit("stands_in_for")], Value::MemberRef, Who::PairMember),
    d(&[Lit("pledges"), Seg::Pair, Lit("crew")], Value::CrewRef, Who::PairMember),
    r(&[Lit("flags"), Seg::Flag], Value::Map, Who::Member),
    r(&[Lit("flags"), Seg::Flag, Lit("task")], Value::TaskRef, Who::AtCreation),
    r(&[Lit("flags"), Seg::Flag, Lit("sector")], Value::Slug, Who::AtCreation),
    r(&[Lit("flags"), Seg::Flag, Lit("raised_by")], Value::Author, Who::AtCreation),
    r(&[Lit("flags"), Seg::Flag, Lit("note")], Value::Text { min: 1, max: validate::CONCERN_MAX }, Who::AtCreation),
    r(&[Lit("flags"), Seg::Flag, Lit("at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("flags"), Seg::Flag, Lit("resolved")], Value::Bool, Who::Member),
    r(&[Lit("flags"), Seg::Flag, Lit("resolved_by")], Value::Author, Who::Member),
    r(&[Lit("proposals"), P], Value::Map, Who::Member),
    r(&[Lit("proposals"), P, Lit("title")], TITLE, Who::ProposalAuthor),
    r(&[Lit("proposals"), P, Lit("details")], Value::Text { min: 0, max: proposals::DETAILS_MAX }, Who::ProposalAuthor),
    r(&[Lit("proposals"), P, Lit("kind")], Value::OneOf(KINDS), Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("round_ms")], ROUND_MS, Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("guild")], Value::GuildRef, Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("flag")], Value::FlagRef, Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("task")], Value::TaskRef, Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("sector")], Value::Slug, Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("created_by")], Value::Author, Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("created_at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("updated_at")], Value::Timestamp, Who::ProposalAuthor),
    r(&[Lit("proposals"), P, Lit("withdrawn")], Value::Timestamp, Who::ProposalAuthor),
    r(&[Lit("proposals"), P, Lit("closed")], Value::Map, Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("closed"), Seg::Round], Value::Timestamp, Who::ProposalAuthor),
    r(&[Lit("proposals"), P, Lit("stances")], Value::Map, Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("stances"), M], Value::Map, Who::Own(3)),
    r(&[Lit("proposals"), P, Lit("stances"), M, Seg::Millis], Value::Map, Who::Own(3)),
    r(&[Lit("proposals"), P, Lit("stances"), M, Seg::Millis, Lit("round")], Value::StanceRound, Who::Own(3)),
    r(&[Lit("proposals"), P, Lit("stances"), M, Seg::Millis, Lit("stance")], Value::OneOf(STANCES), Who::Own(3)),
    r(
        &[Lit("proposals"), P, Lit("stances"), M, Seg::Millis, Lit("reason")],
        Value::Text { min: 1, max: proposals::REASON_MAX },
        Who::Own(3),
    ),
    r(&[Lit("proposals"), P, Lit("outcome")], Value::Map, Who::Member),
    r(
        &[Lit("proposals"), P, Lit("outcome"), Lit("text")],
        Value::Text { min: 1, max: proposals::OUTCOME_MAX },
        Who::AtCreation,
    ),
    r(&[Lit("proposals"), P, Lit("outcome"), Lit("by")], Value::Author, Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("outcome"), Lit("at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("proposals"), P, Lit("outcome"), Lit("review")], Value::Date, Who::AtCreation),
];

const P: Seg = Seg::Proposal;
const C: Seg = Seg::Crew;
const G: Seg = Seg::Gathering;
const S: Seg = Seg::Series;
const KINDS: &[&str] = &["consent", "advice", "consensus"];
const STANCES: &[&str] = &["consent", "objection", "agree", "abstain", "disagree", "block"];
const ROUND_MS: Value = Value::Uint {
    min: proposals::ROUND_HOURS_MIN as u64 * 3_600_000,
    max: proposals::ROUND_HOURS_MAX as u64 * 3_600_000,
};

const OPEN_CLOSED: &[&str] = &["open", "closed"];
const TITLE: Value = Value::Text { min: 1, max: validate::TITLE_MAX };
const DESCRIPTION: Value = Value::Text { min: 0, max: validate::DESCRIPTION_MAX };
const LOCATION: Value = Value::Text { min: 1, max: validate::LOCATION_MAX };

/// A community's commons: what it shows its neighbours (written by its own members) and their
/// answers (written by the neighbours' members, each record by its own author). Calls are
/// keyed by the id of the task they open, so two members opening (or escalating) the same
/// task write the same record.
pub const COMMONS: &[Rule] = &[
    r(&[Lit("schema")], Value::Const(COMMONS_SCHEMA), Who::Genesis),
    r(&[Lit("roster")], Value::Map, Who::Genesis),
    r(&[Lit("directory")], Value::Map, Who::Genesis),
    r(&[Lit("links")], Value::Map, Who::Genesis),
    r(&[Lit("calls")], Value::Map, Who::Genesis),
    r(&[Lit("offers")], Value::Map, Who::Genesis),
    r(&[Lit("needs")], Value::Map, Who::Genesis),
    r(&[Lit("pledges")], Value::Map, Who::Genesis),
    r(&[Lit("hours")], Value::Map, Who::Genesis),
    r(&[Lit("replies")], Value::Map, Who::Genesis),
    r(&[Lit("epochs")], Value::Map, Who::Genesis),
    r(&[Lit("invites")], Value::Map, Who::Genesis),
    r(&[Lit("roster"), Seg::Hash], Value::Map, Who::Home),
    r(&[Lit("roster"), Seg::Hash, Lit("change")], Value::Evidence, Who::AtCreation),
    r(&[Lit("roster"), Seg::Hash, Lit("signature")], Value::Bytes(64), Who::AtCreation),
    r(&[Lit("directory"), Lit("name")], NAME, Who::Home),
    r(&[Lit("directory"), Lit("about")], DESCRIPTION, Who::Home),
    d(&[Lit("directory"), Lit("location")], LOCATION, Who::Home),
    r(&[Lit("directory"), Lit("languages")], Value::Text { min: 0, max: validate::LANGUAGES_MAX }, Who::Home),
    r(&[Lit("directory"), Lit("hosts")], Value::Uint { min: 0, max: validate::HOSTS_MAX }, Who::Home),
    // How long an urgent task waits for the community's own members before it is offered to
    // the neighbours, in hours (the default when absent).
    d(&[Lit("directory"), Lit("escalate_after")], Value::Uint { min: 1, max: 24 * 30 }, Who::Home),
    r(&[Lit("links"), Seg::Community], Value::Map, Who::Home),
    r(&[Lit("links"), Seg::Community, Lit("by")], Value::Author, Who::AtCreation),
    r(&[Lit("links"), Seg::Community, Lit("at")], Value::Timestamp, Who::AtCreation),
    d(&[Lit("links"), Seg::Community, Lit("ended_by")], Value::Author, Who::Home),
    d(&[Lit("links"), Seg::Community, Lit("ended_at")], Value::Timestamp, Who::Home),
    r(&[Lit("calls"), Seg::Task], Value::Map, Who::Home),
    r(&[Lit("calls"), Seg::Task, Lit("title")], TITLE, Who::Home),
    r(&[Lit("calls"), Seg::Task, Lit("description")], DESCRIPTION, Who::Home),
    r(&[Lit("calls"), Seg::Task, Lit("sector")], Value::Slug, Who::Home),
    // The skills the task asks for. Not fixed at creation as a task's are: a call written
    // before calls carried skills gets its map when it is next opened or updated.
    r(&[Lit("calls"), Seg::Task, Lit("skills")], Value::Map, Who::Home),
    d(&[Lit("calls"), Seg::Task, Lit("skills"), Seg::Skill], Value::True, Who::Home),
    r(&[Lit("calls"), Seg::Task, Lit("hours")], Value::Uint { min: 1, max: MAX_TASK_MINUTES }, Who::Home),
    r(&[Lit("calls"), Seg::Task, Lit("slots")], Value::Uint { min: 1, max: validate::SLOTS_MAX as u64 }, Who::Home),
    r(&[Lit("calls"), Seg::Task, Lit("urgency")], Value::OneOf(URGENCY), Who::Home),
    d(&[Lit("calls"), Seg::Task, Lit("deadline")], Value::Date, Who::Home),
    d(&[Lit("calls"), Seg::Task, Lit("location")], LOCATION, Who::Home),
    r(&[Lit("calls"), Seg::Task, Lit("escalated")], Value::Bool, Who::Home),
    r(&[Lit("calls"), Seg::Task, Lit("status")], Value::OneOf(OPEN_CLOSED), Who::Home),
    r(&[Lit("calls"), Seg::Task, Lit("created_by")], Value::Author, Who::AtCreation),
    r(&[Lit("calls"), Seg::Task, Lit("created_at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("calls"), Seg::Task, Lit("updated_at")], Value::Timestamp, Who::Home),
    r(&[Lit("offers"), Seg::Notice], Value::Map, Who::Home),
    r(&[Lit("offers"), Seg::Notice, Lit("title")], TITLE, Who::Home),
    r(&[Lit("offers"), Seg::Notice, Lit("description")], DESCRIPTION, Who::Home),
    d(&[Lit("offers"), Seg::Notice, Lit("sector")], Value::Slug, Who::Home),
    r(&[Lit("offers"), Seg::Notice, Lit("status")], Value::OneOf(OPEN_CLOSED), Who::Home),
    r(&[Lit("offers"), Seg::Notice, Lit("created_by")], Value::Author, Who::AtCreation),
    r(&[Lit("offers"), Seg::Notice, Lit("created_at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("offers"), Seg::Notice, Lit("updated_at")], Value::Timestamp, Who::Home),
    r(&[Lit("needs"), Seg::Notice], Value::Map, Who::Home),
    r(&[Lit("needs"), Seg::Notice, Lit("title")], TITLE, Who::Home),
    r(&[Lit("needs"), Seg::Notice, Lit("description")], DESCRIPTION, Who::Home),
    d(&[Lit("needs"), Seg::Notice, Lit("sector")], Value::Slug, Who::Home),
    r(&[Lit("needs"), Seg::Notice, Lit("status")], Value::OneOf(OPEN_CLOSED), Who::Home),
    r(&[Lit("needs"), Seg::Notice, Lit("created_by")], Value::Author, Who::AtCreation),
    r(&[Lit("needs"), Seg::Notice, Lit("created_at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("needs"), Seg::Notice, Lit("updated_at")], Value::Timestamp, Who::Home),
    r(&[Lit("pledges"), Seg::Pair], Value::Map, Who::PairMember),
    r(&[Lit("pledges"), Seg::Pair, Lit("task")], Value::PairTask, Who::AtCreation),
    r(&[Lit("pledges"), Seg::Pair, Lit("member")], Value::PairMember, Who::AtCreation),
    r(&[Lit("pledges"), Seg::Pair, Lit("community")], Value::AuthorCommunity, Who::AtCreation),
    r(&[Lit("pledges"), Seg::Pair, Lit("state")], Value::OneOf(PLEDGE), Who::PairMember),
    r(&[Lit("pledges"), Seg::Pair, Lit("updated_at")], Value::Timestamp, Who::PairMember),
    r(&[Lit("hours"), Seg::Entry], Value::Map, Who::Member),
    r(&[Lit("hours"), Seg::Entry, Lit("call")], Value::TaskRef, Who::AtCreation),
    r(&[Lit("hours"), Seg::Entry, Lit("member")], Value::Author, Who::AtCreation),
    r(&[Lit("hours"), Seg::Entry, Lit("community")], Value::AuthorCommunity, Who::AtCreation),
    r(&[Lit("hours"), Seg::Entry, Lit("sector")], Value::Slug, Who::AtCreation),
    r(&[Lit("hours"), Seg::Entry, Lit("minutes")], Value::Uint { min: 1, max: MAX_ENTRY_MINUTES }, Who::AtCreation),
    r(&[Lit("hours"), Seg::Entry, Lit("date")], Value::Date, Who::AtCreation),
    r(&[Lit("hours"), Seg::Entry, Lit("created_at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("hours"), Seg::Entry, Lit("retracted")], Value::True, Who::EntryOwner),
    r(&[Lit("replies"), Seg::Reply], Value::Map, Who::Member),
    r(&[Lit("replies"), Seg::Reply, Lit("to")], Value::NoticeRef, Who::AtCreation),
    r(&[Lit("replies"), Seg::Reply, Lit("member")], Value::Author, Who::AtCreation),
    r(&[Lit("replies"), Seg::Reply, Lit("community")], Value::AuthorCommunity, Who::AtCreation),
    r(&[Lit("replies"), Seg::Reply, Lit("text")], Value::Text { min: 1, max: validate::NOTE_MAX }, Who::AtCreation),
    r(&[Lit("replies"), Seg::Reply, Lit("at")], Value::Timestamp, Who::AtCreation),
    // The commons key (gossip of the commons is sealed with it), sealed to the devices of the
    // community's members and of its linked neighbours' members, by the community's members.
    r(&[Lit("epochs"), Seg::KeyId], Value::Map, Who::Home),
    r(&[Lit("epochs"), Seg::KeyId, Lit("n")], Value::Uint { min: 0, max: 1_000_000 }, Who::AtCreation),
    r(&[Lit("epochs"), Seg::KeyId, Lit("by")], Value::Author, Who::AtCreation),
    r(&[Lit("epochs"), Seg::KeyId, Lit("at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("epochs"), Seg::KeyId, Lit("seals")], Value::Map, Who::AtCreation),
    r(&[Lit("epochs"), Seg::KeyId, Lit("seals"), Seg::Device], Value::Bytes(SEALED_LEN), Who::Home),
    // Neighbour invitations: the hash of the secret, and which community used it.
    r(&[Lit("invites"), Seg::Invite], Value::Map, Who::Home),
    r(&[Lit("invites"), Seg::Invite, Lit("secret")], Value::Bytes(32), Who::AtCreation),
    r(&[Lit("invites"), Seg::Invite, Lit("by")], Value::Author, Who::AtCreation),
    r(&[Lit("invites"), Seg::Invite, Lit("at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("invites"), Seg::Invite, Lit("expires")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("invites"), Seg::Invite, Lit("used")], Value::Map, Who::AtCreation),
    r(&[Lit("invites"), Seg::Invite, Lit("used"), Seg::Community], Value::Timestamp, Who::Home),
];

pub const LEDGER: &[Rule] = &[
    r(&[Lit("schema")], Value::Const(LEDGER_SCHEMA), Who::Genesis),
    r(&[Lit("year")], Value::Uint { min: 2000, max: 9999 }, Who::Genesis),
    r(&[Lit("entries")], Value::Map, Who::Genesis),
    r(&[Lit("feedback")], Value::Map, Who::Genesis),
    r(&[Lit("declines")], Value::Map, Who::Genesis),
    r(&[Lit("entries"), Seg::Entry], Value::Map, Who::Member),
    r(&[Lit("entries"), Seg::Entry, Lit("member")], Value::Author, Who::AtCreation),
    r(&[Lit("entries"), Seg::Entry, Lit("task")], Value::TaskRef, Who::AtCreation),
    r(&[Lit("entries"), Seg::Entry, Lit("sector")], Value::Slug, Who::AtCreation),
    r(&[Lit("entries"), Seg::Entry, Lit("minutes")], Value::Uint { min: 1, max: MAX_ENTRY_MINUTES }, Who::AtCreation),
    r(&[Lit("entries"), Seg::Entry, Lit("date")], Value::DateInYear, Who::AtCreation),
    r(&[Lit("entries"), Seg::Entry, Lit("note")], Value::Text { min: 0, max: validate::NOTE_MAX }, Who::AtCreation),
    r(&[Lit("entries"), Seg::Entry, Lit("created_at")], Value::Timestamp, Who::AtCreation),
    r(&[Lit("entries"), Seg::Entry, Lit("retracted")], Value::True, Who::EntryOwner),
    r(&[Lit("entries"), Seg::Entry, Lit("confirmations")], Value::Map, Who::AtCreation),
    d(&[Lit("entries"), Seg::Entry, Lit("confirmations"), M], Value::Timestamp, Who::Confirmer),
    r(&[Lit("feedback"), Seg::Pair], Value::Map, Who::PairMember),
    r(&[Lit("feedback"), Seg::Pair, Lit("task")], Value::PairTask, Who::AtCreation),
    r(&[Lit("feedback"), Seg::Pair, Lit("member")], Value::PairMember, Who::AtCreation),
    r(&[Lit("feedback"), Seg::Pair, Lit("verdict")], Value::OneOf(VERDICT), Who::PairMember),
    r(&[Lit("feedback"), Seg::Pair, Lit("at")], Value::Timestamp, Who::PairMember),
    r(&[Lit("declines"), Seg::Pair], Value::Map, Who::PairMember),
    r(&[Lit("declines"), Seg::Pair, Lit("task")], Value::PairTask, Who::AtCreation),
    r(&[Lit("declines"), Seg::Pair, Lit("member")], Value::PairMember, Who::AtCreation),
    r(&[Lit("declines"), Seg::Pair, Lit("at")], Value::Timestamp, Who::PairMember),
];

/// The rules of a kind of document.
pub fn rules(kind: DocKind) -> &'static [Rule] {
    match kind {
        DocKind::People => PEOPLE,
        DocKind::Board => BOARD,
        DocKind::Ledger => LEDGER,
        DocKind::Commons => COMMONS,
    }
}

fn seg_matches(seg: Seg, key: &str) -> bool {
    use crate::id::{DeviceId, EntryId, FlagId, GuildId, MemberId, PledgeId, SectorId, SkillId, TaskId};
    match seg {
        Lit(l) => l == key,
        Seg::Member => key.parse::<MemberId>().is_ok_and(|m| m.to_string() == key),
        Seg::Device => key.parse::<DeviceId>().is_ok_and(|m| m.to_string() == key),
        Seg::Task => key.parse::<TaskId>().is_ok_and(|m| m.to_string() == key),
        Seg::Entry => key.parse::<EntryId>().is_ok_and(|m| m.to_string() == key),
        Seg::Guild => key.parse::<GuildId>().is_ok_and(|m| m.to_string() == key),
        Seg::Flag => key.parse::<FlagId>().is_ok_and(|m| m.to_string() == key),
        Seg::Sector => key.parse::<SectorId>().is_ok(),
        Seg::Skill => key.parse::<SkillId>().is_ok(),
        Seg::Pair => key.parse::<PledgeId>().is_ok_and(|p| p.to_string() == key),
        Seg::KeyId => crate::crypto::unhex::<8>(key).is_some(),
        Seg::Invite => key.parse::<crate::id::InviteId>().is_ok_and(|m| m.to_string() == key),
        Seg::Community => key.parse::<crate::id::CommunityId>().is_ok_and(|m| m.to_string() == key),
        Seg::Notice => key.parse::<crate::id::NoticeId>().is_ok_and(|m| m.to_string() == key),
        Seg::Reply => key.parse::<crate::id::ReplyId>().is_ok_and(|m| m.to_string() == key),
        Seg::Hash => key.len() == 64 && key.parse::<automerge::ChangeHash>().is_ok_and(|h| h.to_string() == key),
        Seg::Proposal => key.parse::<crate::id::ProposalId>().is_ok_and(|p| p.to_string() == key),
        Seg::Round => {
            key.parse::<u32>().is_ok_and(|n| (1..=proposals::MAX_ROUNDS).contains(&n) && n.to_string() == key)
        }
        Seg::Millis => key.parse::<i64>().is_ok_and(|n| n >= 0 && n.to_string() == key),
        Seg::Series => key.parse::<crate::id::SeriesId>().is_ok_and(|s| s.to_string() == key),
        Seg::Day => key.parse::<crate::time::Date>().is_ok_and(|d| d.to_string() == key),
        Seg::Crew => key.parse::<crate::id::CrewId>().is_ok_and(|c| c.to_string() == key),
        Seg::Gathering => key.parse::<crate::id::GatheringId>().is_ok_and(|g| g.to_string() == key),
    }
}

/// The rule for a concrete path, if the schema has one. Ids must be in canonical form, so two
/// spellings of one id can never name two records.
pub fn rule_for<S: AsRef<str>>(kind: DocKind, path: &[S]) -> Option<&'static Rule> {
    // Literal segments first (cheap), ids only for the rules that match on them.
    rules(kind).iter().find(|rule| {
        rule.path.len() == path.len()
            && rule.path.iter().zip(path).all(|(seg, key)| !matches!(seg, Lit(l) if *l != key.as_ref()))
            && rule.path.iter().zip(path).all(|(seg, key)| seg_matches(*seg, key.as_ref()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{MemberId, TaskId};

    #[test]
    fn paths_find_their_rules() {
        let m = MemberId::from_bytes([5; 32]).to_string();
        let rule = rule_for(DocKind::People, &["members", &m, "profile", "skills", "gardening"]).unwrap();
        assert_eq!(rule.who, Who::MemberAt(1));
        assert!(rule.deletable);
        assert!(rule_for(DocKind::People, &["members", &m, "profile", "salary"]).is_none());
        assert!(rule_for(DocKind::People, &["members", "bob", "name"]).is_none());
        let upper = m.to_uppercase();
        assert!(
            rule_for(DocKind::People, &["members", upper.as_str(), "name"]).is_none(),
            "non-canonical ids are refused"
        );
        let pair = format!("{}.{}", TaskId::from_bytes([1; 12]), m);
        assert_eq!(rule_for(DocKind::Board, &["pledges", &pair]).unwrap().who, Who::PairMember);
        assert!(rule_for(DocKind::Ledger, &["entries"]).is_some());
        assert!(rule_for(DocKind::Ledger, &["tasks"]).is_none());
    }

    #[test]
    fn genesis_roots_are_all_in_the_schema() {
        use super::super::{BOARD_ROOTS, LEDGER_ROOTS, PEOPLE_ROOTS};
        for (kind, roots) in
            [(DocKind::People, PEOPLE_ROOTS), (DocKind::Board, BOARD_ROOTS), (DocKind::Ledger, LEDGER_ROOTS)]
        {
            for root in roots {
                let rule = rule_for(kind, &[*root]).unwrap();
                assert_eq!((rule.value, rule.who), (Value::Map, Who::Genesis), "{root}");
            }
        }
    }
}
