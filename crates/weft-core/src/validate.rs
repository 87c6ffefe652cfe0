//! Validation: impossible or unsafe values are refused with a message that says what is wrong
//! and what to do, before anything is written.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::id::{EntryId, FlagId, GuildId, ProposalId, SectorId, SeriesId, TaskId};
use crate::time::{Date, Minutes};

// The limits, in one place: the front ends check the same ones before they send anything
// (the desktop UI reads them from its generated contract).

/// Characters in a task's title.
pub const TITLE_MAX: usize = 120;
/// Characters in a task's description.
pub const DESCRIPTION_MAX: usize = 4000;
/// Characters in a guild's description.
pub const GUILD_DESCRIPTION_MAX: usize = 1000;
/// Characters in a task's location.
pub const LOCATION_MAX: usize = 200;
/// Characters in an hour entry's note.
pub const NOTE_MAX: usize = 1000;
/// A roster entry's copied people change (an admission with its sealed key, a removal with a
/// new key sealed to every remaining device: ~100 bytes a member).
pub const EVIDENCE_MAX: usize = 64 * 1024;
/// Hosts a community can put up at once, as it tells its neighbours.
pub const HOSTS_MAX: u64 = 1000;
pub const LANGUAGES_MAX: usize = 100;
/// Characters in a concern.
pub const CONCERN_MAX: usize = 2000;
/// Characters in a member's, a community's or a guild's name.
pub const NAME_MAX: usize = 80;
/// Characters in a sector's name.
pub const SECTOR_NAME_MAX: usize = 60;
/// The most one hour entry holds: a day.
pub const ENTRY_MAX: Minutes = Minutes::from_hours(24);
/// The most a task asks of each person.
pub const TASK_HOURS_MAX: Minutes = Minutes::from_hours(200);
/// The most people one task asks for.
pub const SLOTS_MAX: u32 = 1000;
/// The most hours a week holds.
pub const WEEK_MAX: Minutes = Minutes::from_hours(7 * 24);
/// The largest yearly baseline of a sector.
pub const BASELINE_MAX: Minutes = Minutes::from_hours(1000);
/// The most times one invitation can be used.
pub const INVITE_USES_MAX: u32 = 10_000;
/// How far back hours may be logged.
pub const MAX_ENTRY_AGE_DAYS: u32 = 400;
/// How far ahead hours may be logged: a day of slack covers time zones.
pub const ENTRY_DAYS_AHEAD: u32 = 1;
/// How far ahead a deadline may be: five years.
pub const DEADLINE_MAX_DAYS: u32 = 5 * 366;

/// A text field that validation names: a stable identifier in the API (`community_name`),
/// and words in messages ("community name").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Description,
    Location,
    Note,
    Concern,
    /// The name a member goes by (their own, or the one they join with).
    Name,
    /// The founder's name, when a community is created.
    MemberName,
    /// The name a newcomer is admitted under.
    NewcomerName,
    CommunityName,
    GuildName,
    SectorName,
    /// A proposal's details.
    Details,
    /// The reason given with a stance.
    Reason,
    /// What was decided.
    Outcome,
    CrewName,
    /// What a crew is for.
    Purpose,
    DeviceLabel,
}

impl Field {
    /// The field in English words.
    pub fn words(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::Description => "description",
            Self::Location => "location",
            Self::Note => "note",
            Self::Concern => "concern",
            Self::Name => "name",
            Self::MemberName | Self::NewcomerName => "member name",
            Self::CommunityName => "community name",
            Self::GuildName => "guild name",
            Self::SectorName => "sector name",
            Self::Details => "details",
            Self::Reason => "reason",
            Self::Outcome => "outcome",
            Self::CrewName => "crew name",
            Self::Purpose => "purpose",
            Self::DeviceLabel => "device name",
        }
    }

    /// What to do when a required field is empty, in English.
    pub fn hint(self) -> &'static str {
        match self {
            Self::Title => "give the task a short title",
            Self::Description => "describe it",
            Self::Location => "say where",
            Self::Note => "write a note",
            Self::Concern => "say what the concern is",
            Self::Name | Self::MemberName => "say what others should call you",
            Self::NewcomerName => "say what others should call the newcomer",
            Self::CommunityName => "give the community a name",
            Self::GuildName => "give the guild a name",
            Self::SectorName => "give the sector a name",
            Self::Details => "say what is proposed",
            Self::Reason => "say why",
            Self::Outcome => "say what was decided",
            Self::CrewName => "give the crew a name",
            Self::Purpose => "say what the crew is for",
            Self::DeviceLabel => "name the computer, so you know it in the list",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.words())
    }
}

/// Why a request cannot be carried out as asked. Nothing was written.
///
/// In the API (and so to the desktop UI) each refusal is its own `kind` with its values, so a
/// front end words it in the member's language; the English message is the `Display`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValidationError {
    #[error("the {field} is empty: {}", field.hint())]
    Empty { field: Field },
    #[error("the {field} is too long: {len} characters, at most {max}")]
    TooLong { field: Field, len: usize, max: usize },
    #[error("there is no sector '{sector}' in this community; its sectors are: {}", list(known))]
    UnknownSector { sector: SectorId, known: Vec<SectorId> },
    #[error("there is no guild {guild} in this community")]
    UnknownGuild { guild: GuildId },
    #[error("the guild '{guild}' works in {guild_sector}, not in {sector}")]
    GuildInOtherSector { guild: String, guild_sector: SectorId, sector: SectorId },
    #[error("{minutes} is not a possible entry: log more than 0 and at most {max} for one day")]
    EntryHours { minutes: Minutes, max: Minutes },
    #[error("{minutes} per person is not possible for a task: ask for more than 0 and at most {max}")]
    TaskHours { minutes: Minutes, max: Minutes },
    #[error("a task needs from 1 to {max} people, not {slots}")]
    Slots { slots: u32, max: u32 },
    #[error("{hours} a week is more than a week holds (at most {max})")]
    WeekHours { hours: Minutes, max: Minutes },
    #[error("{date} is in the future: hours can be logged for today ({today}) or earlier")]
    DateInFuture { date: Date, today: Date },
    #[error("{date} is more than {max_days} days ago: hours that old can no longer be logged")]
    DateTooOld { date: Date, max_days: u32 },
    #[error("the deadline {date} has already passed (today is {today})")]
    DeadlineInPast { date: Date, today: Date },
    #[error("the deadline {date} is more than five years away")]
    DeadlineTooFar { date: Date },
    #[error("there is no task {task} on this board")]
    UnknownTask { task: TaskId },
    #[error("the task '{title}' is closed and takes no more pledges or hours")]
    TaskClosed { title: String },
    #[error("the task '{title}' is full: all {slots} places are taken")]
    TaskFull { title: String, slots: u32 },
    #[error("you have already pledged to '{title}'")]
    AlreadyPledged { title: String },
    #[error("you have no pledge on '{title}' to withdraw")]
    NotPledged { title: String },
    #[error("there is no hour entry {entry} in this community")]
    UnknownEntry { entry: EntryId },
    #[error("you cannot confirm your own hours: another member who saw the work confirms them")]
    OwnEntry,
    #[error("you have already confirmed this entry")]
    AlreadyConfirmed,
    #[error("this entry was retracted by the member who logged it")]
    Retracted,
    #[error("only the member who logged an entry can retract it")]
    NotYourEntry,
    #[error("you are not a member of this community")]
    NotAMember,
    #[error("{name} is already a member of this community")]
    AlreadyMember { name: String },
    #[error("this invitation is not known to the community (it may not have reached this device yet)")]
    InviteUnknown,
    #[error("this invitation expired; ask a member for a new one")]
    InviteExpired,
    #[error("this invitation has been used as many times as it allows; ask a member for a new one")]
    InviteUsedUp,
    #[error("the invitation's secret does not match")]
    InviteMismatch,
    #[error("{name} has already been removed from the community")]
    AlreadyRemoved { name: String },
    #[error("{name} is not a member of this community")]
    NotAMemberNamed { name: String },
    #[error("there is no device {device} of this member")]
    UnknownDevice { device: String },
    #[error("the device {device} has already been revoked")]
    DeviceRevoked { device: String },
    #[error("the device {device} is already one of this member's devices")]
    DeviceKnown { device: String },
    #[error("the device's certificate was not made with this member's key")]
    DeviceCertMismatch,
    #[error("this is the computer you are using: revoke it from another of your devices")]
    RevokeThisDevice,
    #[error("say which sector the hours were for, or which task")]
    NoSectorOrTask,
    #[error("the sector '{sector}' is archived: choose a current sector")]
    ArchivedSector { sector: SectorId },
    #[error("a yearly baseline of {baseline} is more than anyone could give; at most {max}")]
    Baseline { baseline: Minutes, max: Minutes },
    #[error("the guild name '{name}' is already used in this sector")]
    DuplicateGuild { name: String },
    #[error("there is no proposal {proposal} in this community")]
    UnknownProposal { proposal: ProposalId },
    #[error("there is no concern {flag} in this community")]
    UnknownFlag { flag: FlagId },
    #[error("the proposal '{title}' is not open for stances now")]
    ProposalNotOpen { title: String },
    #[error("'{stance}' is not a stance on a {proposal_kind} proposal; its stances are: {}", choices.join(", "))]
    StanceNotForKind { stance: String, proposal_kind: String, choices: Vec<String> },
    #[error("an {stance} needs a reason: say what harm you see, or what would have to change")]
    ReasonNeeded { stance: String },
    #[error("only the member who made the proposal '{title}' can close, withdraw or reword it")]
    NotProposalAuthor { title: String },
    #[error("the proposal '{title}' has not been decided: an outcome is written once it is")]
    NotDecided { title: String },
    #[error("the outcome of '{title}' has been written already")]
    OutcomeWritten { title: String },
    #[error("a round of {hours} hours is not possible: from {min} to {max} hours")]
    RoundLength { hours: u32, min: u32, max: u32 },
    #[error("the review date {date} has already passed (today is {today})")]
    ReviewInPast { date: Date, today: Date },
    #[error("there is no series {series} on this board")]
    UnknownSeries { series: SeriesId },
    #[error(
        "'{repeat}' is not a way to repeat: every 1 to 8 weeks on a weekday, or the first to fourth or last weekday of each month"
    )]
    Repeat { repeat: String },
    #[error("occurrences can be made from {min} to {max} days ahead, not {days}")]
    AheadDays { days: u32, min: u32, max: u32 },
    #[error("a series cannot start in the past ({date}; today is {today})")]
    StartsInPast { date: Date, today: Date },
    #[error("a series cannot end ({until}) before it starts ({starts})")]
    EndsBeforeStart { until: Date, starts: Date },
    #[error("the series does not come round on {date} ({repeat})")]
    NotAnOccurrence { date: Date, repeat: String },
    #[error("nobody on '{title}' is looking for a stand-in (any more)")]
    NoStandInWanted { title: String },
    #[error("this place was taken over already, by member {by}")]
    HandedOver { by: String },
    #[error("{date} has passed (today is {today}): say a day from today on")]
    PledgeDayPast { date: Date, today: Date },
    #[error("a meeting starts at a time of day, 00:00 to 23:59 (got minute {time})")]
    MeetingTime { time: u32 },
    #[error("a meeting lasts {min} to {max} minutes (got {minutes})")]
    MeetingLength { minutes: u32, min: u32, max: u32 },
    #[error("there is no crew {crew} in this community")]
    UnknownCrew { crew: crate::id::CrewId },
    #[error("you are not in the crew '{name}'")]
    NotInCrew { name: String },
    #[error("the crew '{name}' has ended")]
    CrewEnded { name: String },
    #[error("{name} is in this crew already")]
    AlreadyInCrew { name: String },
    #[error("the crew '{name}' takes only the members it invites: ask one of them")]
    CrewByInvitation { name: String },
    #[error("the crew '{name}' is full: a crew is at most {max} people, so everyone can speak and listen")]
    CrewFull { name: String, max: u32 },
    #[error("there is no gathering {gathering} on this board")]
    UnknownGathering { gathering: crate::id::GatheringId },
    #[error("the gathering '{title}' was cancelled")]
    GatheringCancelled { title: String },
    #[error("a gathering lasts at most {max} days (this one {days})")]
    GatheringTooLong { days: u32, max: u32 },
}

/// "a, b, c".
fn list(items: &[impl fmt::Display]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Checks a required text field: trims it and enforces a length.
pub fn text(field: Field, value: &str, max: usize) -> Result<String, ValidationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    optional_text(field, value, max)
}

/// Checks an optional text field (may be empty).
pub fn optional_text(field: Field, value: &str, max: usize) -> Result<String, ValidationError> {
    let value = value.trim();
    let len = value.chars().count();
    if len > max {
        return Err(ValidationError::TooLong { field, len, max });
    }
    Ok(value.to_owned())
}

/// Checks the date of an hour entry against today. A day of slack covers time zones.
pub fn entry_date(date: Date, today: Date) -> Result<(), ValidationError> {
    if date.days_since_epoch() > today.days_since_epoch() + i64::from(ENTRY_DAYS_AHEAD) {
        return Err(ValidationError::DateInFuture { date, today });
    }
    if today.days_since_epoch() - date.days_since_epoch() > i64::from(MAX_ENTRY_AGE_DAYS) {
        return Err(ValidationError::DateTooOld { date, max_days: MAX_ENTRY_AGE_DAYS });
    }
    Ok(())
}

/// Checks a task deadline against today.
pub fn deadline(date: Date, today: Date) -> Result<(), ValidationError> {
    if date < today {
        return Err(ValidationError::DeadlineInPast { date, today });
    }
    if date.days_since_epoch() - today.days_since_epoch() > i64::from(DEADLINE_MAX_DAYS) {
        return Err(ValidationError::DeadlineTooFar { date });
    }
    Ok(())
}
