//! Validation: impossible or unsafe values are refused with a message that says what is wrong
//! and what to do, before anything is written.

use crate::id::{EntryId, GuildId, SectorId, TaskId};
use crate::time::{Date, Minutes};

/// Why a request cannot be carried out as asked. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("the {field} is empty: {hint}")]
    Empty { field: &'static str, hint: &'static str },
    #[error("the {field} is too long: {len} characters, at most {max}")]
    TooLong { field: &'static str, len: usize, max: usize },
    #[error("there is no sector '{sector}' in this community; its sectors are: {known}")]
    UnknownSector { sector: SectorId, known: String },
    #[error("there is no guild {0} in this community")]
    UnknownGuild(GuildId),
    #[error("the guild '{guild}' works in {guild_sector}, not in {sector}")]
    GuildInOtherSector { guild: String, guild_sector: SectorId, sector: SectorId },
    #[error("{0} is not a possible entry: log more than 0 and at most 24 h for one day")]
    EntryHours(Minutes),
    #[error("{0} per person is not possible for a task: ask for more than 0 and at most 200 h")]
    TaskHours(Minutes),
    #[error("a task needs from 1 to 1000 people, not {0}")]
    Slots(u32),
    #[error("{hours} a week is more than a week holds (at most 168 h)")]
    WeekHours { hours: Minutes },
    #[error("{date} is in the future: hours can be logged for today ({today}) or earlier")]
    DateInFuture { date: Date, today: Date },
    #[error("{date} is more than {max_days} days ago: hours that old can no longer be logged")]
    DateTooOld { date: Date, max_days: u32 },
    #[error("the deadline {date} has already passed (today is {today})")]
    DeadlineInPast { date: Date, today: Date },
    #[error("the deadline {date} is more than five years away")]
    DeadlineTooFar { date: Date },
    #[error("there is no task {0} on this board")]
    UnknownTask(TaskId),
    #[error("the task '{0}' is closed and takes no more pledges or hours")]
    TaskClosed(String),
    #[error("the task '{title}' is full: all {slots} places are taken")]
    TaskFull { title: String, slots: u32 },
    #[error("you have already pledged to '{0}'")]
    AlreadyPledged(String),
    #[error("you have no pledge on '{0}' to withdraw")]
    NotPledged(String),
    #[error("there is no hour entry {0} in this community")]
    UnknownEntry(EntryId),
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
    #[error("{0} is already a member of this community")]
    AlreadyMember(String),
    #[error("this invitation is not known to the community (it may not have reached this device yet)")]
    InviteUnknown,
    #[error("this invitation expired; ask a member for a new one")]
    InviteExpired,
    #[error("this invitation has been used as many times as it allows; ask a member for a new one")]
    InviteUsedUp,
    #[error("the invitation's secret does not match")]
    InviteMismatch,
    #[error("{0} has already been removed from the community")]
    AlreadyRemoved(String),
    #[error("{0} is not a member of this community")]
    NotAMemberNamed(String),
    #[error("say which sector the hours were for, or which task")]
    NoSectorOrTask,
    #[error("the sector '{sector}' is archived: choose a current sector")]
    ArchivedSector { sector: SectorId },
    #[error("a yearly baseline of {0} is more than anyone could give; at most 1000 h")]
    Baseline(Minutes),
    #[error("the guild name '{0}' is already used in this sector")]
    DuplicateGuild(String),
}

/// Checks a required text field: trims it and enforces a length.
pub fn text(field: &'static str, hint: &'static str, value: &str, max: usize) -> Result<String, ValidationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ValidationError::Empty { field, hint });
    }
    optional_text(field, value, max)
}

/// Checks an optional text field (may be empty).
pub fn optional_text(field: &'static str, value: &str, max: usize) -> Result<String, ValidationError> {
    let value = value.trim();
    let len = value.chars().count();
    if len > max {
        return Err(ValidationError::TooLong { field, len, max });
    }
    Ok(value.to_owned())
}

/// How far back hours may be logged.
pub const MAX_ENTRY_AGE_DAYS: u32 = 400;

/// Checks the date of an hour entry against today. A day of slack covers time zones.
pub fn entry_date(date: Date, today: Date) -> Result<(), ValidationError> {
    if date.days_since_epoch() > today.days_since_epoch() + 1 {
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
    if date.days_since_epoch() - today.days_since_epoch() > 5 * 366 {
        return Err(ValidationError::DeadlineTooFar { date });
    }
    Ok(())
}
