//! The community's things as Rust values: what the documents hold, read back and typed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::id::{DeviceId, EntryId, FlagId, GuildId, MemberId, SectorId, SeriesId, SkillId, TaskId};
use crate::identity::DeviceCert;
use crate::time::{Date, Minutes, Timestamp};

/// Why a word is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a valid {what}: use one of {choices}")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub input: String,
    pub choices: &'static str,
}

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize, ::ts_rs::TS)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $word),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::model::ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($word => Ok(Self::$variant),)+
                    _ => Err($crate::model::ParseEnumError {
                        what: $what,
                        input: s.to_owned(),
                        choices: concat!($($word, " "),+),
                    }),
                }
            }
        }
    };
}

pub(crate) use word_enum;

word_enum!(
    /// How soon a task needs people.
    Urgency, "urgency", { Normal => "normal", Soon => "soon", Urgent => "urgent" }
);
word_enum!(
    /// Whether a task still takes pledges.
    TaskStatus, "task status", { Open => "open", Closed => "closed" }
);
word_enum!(
    /// Where a member's pledge stands.
    PledgeState, "pledge state", { Pledged => "pledged", Withdrawn => "withdrawn", Done => "done" }
);
word_enum!(
    /// What a member says about a task afterwards; the matcher learns from it.
    Verdict, "verdict", {
        Enjoyed => "enjoyed",
        TooHard => "too-hard",
        NotAgain => "not-again",
        More => "more",
    }
);

/// A sector of the community's work and its yearly baseline per member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Sector {
    pub id: SectorId,
    pub name: String,
    /// Essential sectors (food, healthcare, …) versus arts, culture and innovation.
    pub essential: bool,
    /// The yearly guideline per member (never a quota).
    pub baseline: Minutes,
    /// Position in lists.
    pub order: u32,
    pub archived: bool,
}

/// The sectors a new community starts with: 20 h in each of five essential sectors plus 50 h
/// of arts, culture and innovation, 150 h a year in all.
pub fn default_sectors() -> Vec<Sector> {
    let essential = [
        ("food", "Food"),
        ("healthcare", "Healthcare"),
        ("education", "Education"),
        ("maintenance", "Maintenance & infrastructure"),
        ("governance", "Governance"),
    ];
    let mut out: Vec<Sector> = essential
        .iter()
        .enumerate()
        .filter_map(|(i, (id, name))| {
            Some(Sector {
                id: id.parse().ok()?,
                name: (*name).to_owned(),
                essential: true,
                baseline: Minutes::from_hours(20),
                order: u32::try_from(i).ok()?,
                archived: false,
            })
        })
        .collect();
    if let Ok(id) = "arts".parse() {
        out.push(Sector {
            id,
            name: "Arts, culture & innovation".to_owned(),
            essential: false,
            baseline: Minutes::from_hours(50),
            order: 5,
            archived: false,
        });
    }
    out
}

/// Skills people commonly offer in each default sector, for pickers and the demo.
pub fn skill_catalogue() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("food", &["gardening", "cooking", "food-preservation", "composting", "beekeeping", "delivery-driving"][..]),
        ("healthcare", &["first-aid", "elder-care", "childcare", "listening", "nursing", "transport-logistics"][..]),
        ("education", &["tutoring", "workshop-facilitation", "languages", "reading-with-kids", "mentoring"][..]),
        ("maintenance", &["carpentry", "plumbing", "electrics", "bike-repair", "computer-repair", "cleaning"][..]),
        ("governance", &["facilitation", "minute-taking", "mediation", "bookkeeping", "outreach"][..]),
        ("arts", &["music", "painting", "sound-engineering", "writing", "event-hosting", "crafts"][..]),
    ])
}

/// A guild: a group within a sector that posts tasks ("community garden" in food).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Guild {
    pub id: GuildId,
    pub name: String,
    pub sector: SectorId,
    pub description: String,
    pub archived: bool,
}

/// A task on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Task {
    pub id: TaskId,
    pub title: String,
    pub description: String,
    pub sector: SectorId,
    pub guild: Option<GuildId>,
    pub skills: BTreeSet<SkillId>,
    /// Hours each person is asked for.
    pub hours: Minutes,
    /// How many people are needed.
    pub slots: u32,
    pub urgency: Urgency,
    pub deadline: Option<Date>,
    pub location: Option<String>,
    pub open_to_neighbours: bool,
    pub status: TaskStatus,
    pub created_by: MemberId,
    pub created_at: Timestamp,
    /// The series it is one occurrence of, if any.
    #[serde(default)]
    pub occurrence: Option<Occurrence>,
    /// The gathering it is a task of, if any.
    #[serde(default)]
    pub gathering: Option<crate::id::GatheringId>,
}

/// A task as one occurrence of a recurring series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Occurrence {
    pub series: SeriesId,
    /// Its day (also its deadline).
    pub on: Date,
    /// Changed by hand: edits of the series leave it as it is.
    pub detached: bool,
}

/// One member's pledge to one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pledge {
    pub task: TaskId,
    pub member: MemberId,
    pub state: PledgeState,
    pub updated_at: Timestamp,
    /// The day the member means to do it ("on the 14th"); the burnout guard counts the
    /// pledge in that day's week, not in this one.
    #[serde(default)]
    pub on: Option<Date>,
    /// The member looks for someone to take their place (it stays covered until someone does).
    #[serde(default)]
    pub stand_in: bool,
    /// This pledge took over the place of that member, who looked for a stand-in.
    #[serde(default)]
    pub stands_in_for: Option<MemberId>,
    /// The member took it for their crew: its members share the hours, each logging their own.
    #[serde(default)]
    pub crew: Option<crate::id::CrewId>,
}

/// Hours a member logged, for a task or for a sector in general.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourEntry {
    pub id: EntryId,
    pub member: MemberId,
    pub task: Option<TaskId>,
    pub sector: SectorId,
    pub minutes: Minutes,
    pub date: Date,
    pub note: String,
    pub created_at: Timestamp,
    /// Set by the member who logged it when it was a mistake; retracted hours count nowhere.
    pub retracted: bool,
    /// Other members who vouch for these hours.
    pub confirmations: BTreeMap<MemberId, Timestamp>,
}

/// A member's word on a task after doing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub task: TaskId,
    pub member: MemberId,
    pub verdict: Verdict,
    pub at: Timestamp,
}

/// A concern raised for a guild to discuss and decide by consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub id: FlagId,
    pub task: Option<TaskId>,
    pub sector: Option<SectorId>,
    pub raised_by: MemberId,
    pub note: String,
    pub at: Timestamp,
    pub resolved: bool,
}

/// The highest skill level (1 is a beginner, 5 can teach it).
pub const SKILL_LEVEL_MAX: u8 = 5;
/// The highest interest in a sector (0 is none, 5 loves it).
pub const INTEREST_MAX: u8 = 5;

/// A skill level from 1 (beginner) to 5 (can teach it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(try_from = "u8", into = "u8")]
#[ts(type = "number")]
pub struct SkillLevel(u8);

impl SkillLevel {
    pub fn new(level: u8) -> Option<Self> {
        (1..=SKILL_LEVEL_MAX).contains(&level).then_some(Self(level))
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for SkillLevel {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Self::new(v).ok_or_else(|| format!("skill level {v} is outside 1–5"))
    }
}

impl From<SkillLevel> for u8 {
    fn from(v: SkillLevel) -> u8 {
        v.0
    }
}

/// Interest in a sector, from 0 (none) to 5 (love it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(try_from = "u8", into = "u8")]
#[ts(type = "number")]
pub struct Interest(u8);

impl Interest {
    pub fn new(level: u8) -> Option<Self> {
        (level <= INTEREST_MAX).then_some(Self(level))
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Interest {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Self::new(v).ok_or_else(|| format!("interest {v} is outside 0–5"))
    }
}

impl From<Interest> for u8 {
    fn from(v: Interest) -> u8 {
        v.0
    }
}

/// What a member tells the community about themselves, to get fitting suggestions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct Profile {
    pub skills: BTreeMap<SkillId, SkillLevel>,
    pub interests: BTreeMap<SectorId, Interest>,
    /// Hours a week the member can usually give.
    pub hours_per_week: Minutes,
    pub willing_to_travel: bool,
    pub wants_to_learn: BTreeSet<SkillId>,
}

/// A member of the community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: MemberId,
    pub name: String,
    pub admitted_by: MemberId,
    pub admitted_at: Timestamp,
    /// The devices that act for the member now (revoked ones are left out).
    pub devices: BTreeMap<DeviceId, DeviceCert>,
    /// Every device record, revoked ones too: labels, kinds, when added and revoked.
    pub device_records: BTreeMap<DeviceId, DeviceRecord>,
    pub profile: Profile,
    /// Removed members keep their history but write nothing new.
    pub removed: bool,
}

/// What a device record stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A computer running Weft.
    Computer,
    /// A backup's key: it writes nothing, and only vouches for a restored computer.
    Backup,
}

impl DeviceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Computer => "computer",
            Self::Backup => "backup",
        }
    }
}

/// One of a member's devices, as the people document records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// What the member calls it ("kitchen laptop"); empty for devices added before labels.
    pub label: String,
    pub kind: DeviceKind,
    pub added_at: Timestamp,
    /// The backup that vouched for it, for a computer restored from a backup.
    pub vouched_by: Option<DeviceId>,
    pub revoked: Option<Revocation>,
}

/// Who revoked a device, and when; and where the revocation cut its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub by: MemberId,
    pub at: Timestamp,
    /// Per document (by name), the device's last change the revoker held: what it wrote up to
    /// there stays its member's, on every peer however late it arrives; anything after is
    /// refused. A document not named: nothing of the device's is accepted there.
    pub upto: BTreeMap<String, u64>,
}

impl Revocation {
    /// Whether the revoked device's change number `seq` of `doc` falls before the cut.
    pub fn covers(&self, doc: &str, seq: u64) -> bool {
        self.upto.get(doc).is_some_and(|last| seq <= *last)
    }

    /// The cut as the people document keeps it: `board=12 people=3 ledger/2026=7`.
    pub fn upto_text(upto: &BTreeMap<String, u64>) -> String {
        upto.iter().map(|(doc, seq)| format!("{doc}={seq}")).collect::<Vec<_>>().join(" ")
    }

    /// Reads the cut back; parts that do not read are left out (they accept nothing).
    pub fn parse_upto(text: &str) -> BTreeMap<String, u64> {
        text.split_whitespace()
            .filter_map(|part| part.split_once('='))
            .filter_map(|(doc, seq)| Some((doc.to_owned(), seq.parse().ok()?)))
            .collect()
    }
}

/// A change to a profile: only the fields that are `Some` (or non-empty) are written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields = nullable)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    /// Skill levels to set (a level of `None` removes the skill).
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub skills: BTreeMap<SkillId, Option<SkillLevel>>,
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub interests: BTreeMap<SectorId, Interest>,
    pub hours_per_week: Option<Minutes>,
    pub willing_to_travel: Option<bool>,
    /// Skills to add to (true) or remove from (false) what the member wants to learn.
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub wants_to_learn: BTreeMap<SkillId, bool>,
}

/// What a member fills in to post a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewTask {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub sector: SectorId,
    pub guild: Option<GuildId>,
    #[serde(default)]
    pub skills: BTreeSet<SkillId>,
    pub hours: Minutes,
    pub slots: u32,
    pub urgency: Urgency,
    pub deadline: Option<Date>,
    pub location: Option<String>,
    #[serde(default)]
    pub open_to_neighbours: bool,
}

/// An edit to a task: only the fields that are `Some` change (`Some(None)` clears an
/// optional field). In JSON, a field left out keeps its value and `null` clears it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields = nullable)]
pub struct TaskEdit {
    pub title: Option<String>,
    pub description: Option<String>,
    pub sector: Option<SectorId>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub guild: Option<Option<GuildId>>,
    pub skills: Option<BTreeSet<SkillId>>,
    pub hours: Option<Minutes>,
    pub slots: Option<u32>,
    pub urgency: Option<Urgency>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub deadline: Option<Option<Date>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub location: Option<Option<String>>,
    pub open_to_neighbours: Option<bool>,
    pub status: Option<TaskStatus>,
}

/// What a member fills in to log hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    pub minutes: Minutes,
    /// The task the hours were for; the sector then comes from the task.
    pub task: Option<TaskId>,
    /// The sector, when the hours were not for a posted task.
    pub sector: Option<SectorId>,
    pub date: Date,
    #[serde(default)]
    pub note: String,
}

/// A field that is present: `null` becomes `Some(None)` ("clear it"); a missing field stays
/// `None` through `#[serde(default)]` ("keep it").
pub fn present<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod edit_tests {
    use super::*;

    #[test]
    fn a_missing_field_keeps_its_value_and_null_clears_it() {
        let keep: TaskEdit = serde_json::from_str(r#"{"title": "Weed"}"#).unwrap();
        assert_eq!((&keep.deadline, &keep.guild, &keep.location), (&None, &None, &None));
        let clear: TaskEdit = serde_json::from_str(r#"{"deadline": null, "guild": null, "location": null}"#).unwrap();
        assert_eq!((&clear.deadline, &clear.guild, &clear.location), (&Some(None), &Some(None), &Some(None)));
        let set: TaskEdit = serde_json::from_str(r#"{"deadline": "2026-12-01"}"#).unwrap();
        assert_eq!(set.deadline, Some(Some("2026-12-01".parse().unwrap())));
        // And back: what serializes reads the same.
        for edit in [keep, clear, set] {
            let again: TaskEdit = serde_json::from_str(&serde_json::to_string(&edit).unwrap()).unwrap();
            assert_eq!(again, edit);
        }
    }
}
