//! Recurring work: a series on the board makes its occurrences as tasks, some weeks ahead.
//!
//! ```text
//! series: { <series>: { title, description, sector, guild?, skills: { <skill>: true }, hours,
//!                       slots, urgency, location?, repeat (weekly | monthly), every (weeks),
//!                       weekday (0 = Monday), nth (monthly: 1–4, or 5 for the last),
//!                       starts, until?, ahead_days, created_by, created_at, updated_at?,
//!                       skipped: { <date>: true } } }
//! tasks/<task>: { …, series, on, detached? }   an occurrence (`on`: its day, also its deadline)
//! ```
//!
//! An occurrence's task id is derived from its series and its day ([`occurrence_id`]), so two
//! devices that make the same occurrence at once write the same record: one task, however
//! many devices tend the series. The `series` and `gatherings` roots come with the board's
//! deterministic upgrade (`doc::deterministic_upgrades`), which the first write that needs
//! them applies. Editing a series rewrites its open, future occurrences that nobody changed
//! by hand (`detached`); pledges are records of their own, so they stay.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjId, ScalarValue};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::build::Rec;
use super::people::PeopleView;
use super::read::{Field, Record, SchemaError, child_map, fields, records, root_map};
use super::{Document, WriteError, require_new};
use crate::id::{GuildId, SectorId, SeriesId, SkillId, TaskId};
use crate::identity::{Identity, SignedChange};
use crate::model::{NewTask, TaskStatus, Urgency};
use crate::time::{Date, Minutes, Timestamp};
use crate::validate::{self, ValidationError};

/// How far ahead occurrences are made unless the series says: four weeks.
pub const DEFAULT_AHEAD_DAYS: u32 = 28;
pub const AHEAD_DAYS_MIN: u32 = 7;
pub const AHEAD_DAYS_MAX: u32 = 90;
/// Every 1 to 8 weeks.
pub const EVERY_MAX: u32 = 8;
/// `nth` for the last such weekday of the month.
pub const LAST: u32 = 5;

/// When a series comes round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "repeat", rename_all = "snake_case")]
pub enum Repeat {
    /// Every `every` weeks on `weekday` (0 = Monday), counted from the series' start.
    Weekly { every: u32, weekday: u8 },
    /// On the `nth` `weekday` of each month (`nth` 1–4, or 5 for the last).
    Monthly { nth: u32, weekday: u8 },
}

impl Repeat {
    pub(crate) fn check(self) -> Result<(), ValidationError> {
        let (weekday, ok) = match self {
            Self::Weekly { every, weekday } => (weekday, (1..=EVERY_MAX).contains(&every)),
            Self::Monthly { nth, weekday } => (weekday, (1..=LAST).contains(&nth)),
        };
        if weekday > 6 || !ok {
            return Err(ValidationError::Repeat { repeat: self.describe() });
        }
        Ok(())
    }

    /// In English: "every 2 weeks on Tuesday", "on the last Friday of each month".
    pub fn describe(self) -> String {
        const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
        let day = |w: u8| DAYS.get(usize::from(w)).copied().unwrap_or("?");
        match self {
            Self::Weekly { every: 1, weekday } => format!("every {}", day(weekday)),
            Self::Weekly { every, weekday } => format!("every {every} weeks on {}", day(weekday)),
            Self::Monthly { nth, weekday } => {
                let which = match nth {
                    1 => "first",
                    2 => "second",
                    3 => "third",
                    4 => "fourth",
                    _ => "last",
                };
                format!("on the {which} {} of each month", day(weekday))
            }
        }
    }

    /// The days it comes round in `[from, to]`, for a series that starts on `starts`.
    pub fn days(self, starts: Date, from: Date, to: Date) -> Vec<Date> {
        let mut out = Vec::new();
        let from = from.max(starts);
        if from > to {
            return out;
        }
        match self {
            Self::Weekly { every, weekday } => {
                // The first such weekday on or after the start; then every `every` weeks.
                let shift = (i64::from(weekday) - i64::from(starts.weekday())).rem_euclid(7);
                let Some(first) = starts.add_days(shift) else { return out };
                let step = 7 * i64::from(every.max(1));
                let gap = from.days_since_epoch() - first.days_since_epoch();
                let skip = if gap > 0 { (gap + step - 1) / step } else { 0 };
                let mut d = first.add_days(skip * step);
                while let Some(day) = d.filter(|d| *d <= to) {
                    out.push(day);
                    d = day.add_days(step);
                }
            }
            Self::Monthly { nth, weekday } => {
                let mut month = from.month();
                loop {
                    if month.first_day() > to {
                        break;
                    }
                    if let Some(day) = nth_weekday(month.year(), month.number(), nth, weekday)
                        && day >= from
                        && day <= to
                    {
                        out.push(day);
                    }
                    month = month.next();
                }
            }
        }
        out
    }
}

/// The `nth` (1–4, or 5 for the last) `weekday` of a month.
fn nth_weekday(year: i32, month: u8, nth: u32, weekday: u8) -> Option<Date> {
    let first = Date::from_ymd(year, month, 1)?;
    let shift = (i64::from(weekday) - i64::from(first.weekday())).rem_euclid(7);
    let first_such = first.add_days(shift)?;
    if nth >= LAST {
        let mut d = first_such;
        while let Some(next) = d.add_days(7).filter(|n| n.month() == first.month()) {
            d = next;
        }
        return Some(d);
    }
    first_such.add_days(7 * (i64::from(nth) - 1)).filter(|d| d.month() == first.month())
}

/// The task id of a series' occurrence on a day: the same on every device.
pub fn occurrence_id(series: SeriesId, on: Date) -> TaskId {
    let mut h = Sha256::new();
    h.update(b"weft/occurrence/v1");
    h.update(series.as_bytes());
    h.update(on.to_string().as_bytes());
    let digest: [u8; 32] = h.finalize().into();
    let mut id = [0u8; TaskId::LEN];
    id.copy_from_slice(&digest[..TaskId::LEN]);
    TaskId::from_bytes(id)
}

/// A series as the board holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Series {
    pub id: SeriesId,
    /// What each occurrence asks (its deadline is its day).
    pub title: String,
    pub description: String,
    pub sector: SectorId,
    pub guild: Option<GuildId>,
    pub skills: BTreeSet<SkillId>,
    pub hours: Minutes,
    pub slots: u32,
    pub urgency: Urgency,
    pub location: Option<String>,
    pub repeat: Repeat,
    pub starts: Date,
    pub until: Option<Date>,
    pub ahead_days: u32,
    pub skipped: BTreeSet<Date>,
    pub created_by: crate::MemberId,
    pub created_at: Timestamp,
}

impl Series {
    /// The days its occurrences should exist for, seen on `today`: from today to `ahead_days`
    /// ahead, within its start and end, less the skipped ones.
    pub fn due_days(&self, today: Date) -> Vec<Date> {
        let Some(horizon) = today.add_days(i64::from(self.ahead_days)) else { return Vec::new() };
        let to = self.until.map_or(horizon, |u| u.min(horizon));
        self.repeat.days(self.starts, today, to).into_iter().filter(|d| !self.skipped.contains(d)).collect()
    }

    fn task_on(&self, on: Date) -> NewTask {
        NewTask {
            title: self.title.clone(),
            description: self.description.clone(),
            sector: self.sector.clone(),
            guild: self.guild,
            skills: self.skills.clone(),
            hours: self.hours,
            slots: self.slots,
            urgency: self.urgency,
            deadline: Some(on),
            location: self.location.clone(),
            open_to_neighbours: false,
        }
    }
}

/// Every series of a board (records that break the schema are skipped).
pub fn read_all(doc: &Automerge) -> (BTreeMap<SeriesId, Series>, Vec<SchemaError>) {
    let mut out = BTreeMap::new();
    let mut skipped = Vec::new();
    for (key, obj) in root_map(doc, "series").map(|o| records(doc, &o)).unwrap_or_default() {
        match read_series(doc, &key, &obj) {
            Ok(s) => {
                out.insert(s.id, s);
            }
            Err(e) => skipped.push(e),
        }
    }
    (out, skipped)
}

fn read_series(doc: &Automerge, key: &str, obj: &ObjId) -> Result<Series, SchemaError> {
    let name = format!("series/{key}");
    let rec = Record::read(doc, obj, &name);
    let bad = |field: &str, problem: &str| SchemaError {
        record: name.clone(),
        field: field.to_owned(),
        problem: problem.to_owned(),
    };
    let id: SeriesId = key.parse().map_err(|_| bad("id", "is not a series id"))?;
    let weekday = u8::try_from(rec.u32("weekday")?).map_err(|_| bad("weekday", "is not a weekday"))?;
    let repeat = match rec.str("repeat")? {
        "weekly" => Repeat::Weekly { every: rec.u32("every")?, weekday },
        "monthly" => Repeat::Monthly { nth: rec.u32("nth")?, weekday },
        _ => return Err(bad("repeat", "is neither weekly nor monthly")),
    };
    repeat.check().map_err(|e| bad("repeat", &e.to_string()))?;
    let mut skills = BTreeSet::new();
    for (skill, field) in fields(doc, rec.map("skills")?) {
        if let (Ok(skill), Field::Bool(true)) = (skill.parse(), field) {
            skills.insert(skill);
        }
    }
    let mut skipped = BTreeSet::new();
    if let Some(s) = child_map(doc, obj, "skipped") {
        for (day, field) in fields(doc, &s) {
            if let (Ok(day), Field::Bool(true)) = (day.parse(), field) {
                skipped.insert(day);
            }
        }
    }
    Ok(Series {
        id,
        title: rec.str("title")?.to_owned(),
        description: rec.opt_str("description")?.unwrap_or_default().to_owned(),
        sector: rec.parse("sector")?,
        guild: rec.opt_parse("guild")?,
        skills,
        hours: rec.minutes("hours")?,
        slots: rec.u32("slots")?,
        urgency: rec.parse("urgency")?,
        location: rec.opt_str("location")?.map(str::to_owned),
        repeat,
        starts: rec.parse("starts")?,
        until: rec.opt_parse("until")?,
        ahead_days: rec.u32("ahead_days")?,
        skipped,
        created_by: rec.parse("created_by")?,
        created_at: rec.timestamp("created_at")?,
    })
}

/// A new series: what each occurrence asks, when it comes round, from when and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewSeries {
    /// Its `deadline` is ignored: each occurrence's is its day.
    pub task: NewTask,
    pub repeat: Repeat,
    pub starts: Date,
    #[serde(default)]
    pub until: Option<Date>,
    /// How far ahead occurrences are made (default four weeks).
    #[serde(default)]
    pub ahead_days: Option<u32>,
}

/// A change to a series: what its coming occurrences ask (as for a task), or its end.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct SeriesEdit {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub hours: Option<Minutes>,
    #[serde(default)]
    pub slots: Option<u32>,
    #[serde(default)]
    pub urgency: Option<Urgency>,
    #[serde(default, deserialize_with = "crate::model::present", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub location: Option<Option<String>>,
    /// The last day it comes round (`Some(None)`: no end).
    #[serde(default, deserialize_with = "crate::model::present", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub until: Option<Option<Date>>,
}

fn occurrence_fields(rec: Rec, series: SeriesId, on: Date) -> Rec {
    rec.str("series", series.to_string()).str("on", on.to_string())
}

impl Document {
    fn series_map(&mut self) -> Result<(ObjId, Vec<SignedChange>), WriteError> {
        let upgrades = self.upgrade()?;
        let all = root_map(self.automerge(), "series")
            .ok_or_else(|| WriteError::Other("the board has no series map, even upgraded".into()))?;
        Ok((all, upgrades))
    }

    fn series(&self, id: SeriesId) -> Result<(ObjId, Series), ValidationError> {
        root_map(self.automerge(), "series")
            .and_then(|all| child_map(self.automerge(), &all, &id.to_string()))
            .and_then(|obj| read_series(self.automerge(), &id.to_string(), &obj).ok().map(|s| (obj, s)))
            .ok_or(ValidationError::UnknownSeries { series: id })
    }

    /// Starts a series and makes its first occurrences, in one change (after the board's
    /// upgrade, if it had not come yet: both are returned, in order, for storing).
    pub fn add_series(
        &mut self,
        id: SeriesId,
        me: &Identity,
        new: &NewSeries,
        people: &PeopleView,
        today: Date,
        now: Timestamp,
    ) -> Result<Vec<SignedChange>, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        new.repeat.check()?;
        let ahead = new.ahead_days.unwrap_or(DEFAULT_AHEAD_DAYS);
        if !(AHEAD_DAYS_MIN..=AHEAD_DAYS_MAX).contains(&ahead) {
            return Err(ValidationError::AheadDays { days: ahead, min: AHEAD_DAYS_MIN, max: AHEAD_DAYS_MAX }.into());
        }
        if new.starts < today {
            return Err(ValidationError::StartsInPast { date: new.starts, today }.into());
        }
        if let Some(u) = new.until
            && u < new.starts
        {
            return Err(ValidationError::EndsBeforeStart { until: u, starts: new.starts }.into());
        }
        // The task's fields are checked as a task's, with the first day as its deadline.
        let first = NewTask { deadline: Some(new.starts), ..new.task.clone() };
        super::board::check_new_task(&first, people, today)?;
        let task = &new.task;
        let (all, mut out) = self.series_map()?;
        require_new(self.automerge(), &all, "series", &id.to_string())?;
        let (repeat, every, nth, weekday) = match new.repeat {
            Repeat::Weekly { every, weekday } => ("weekly", every, 1, weekday),
            Repeat::Monthly { nth, weekday } => ("monthly", 1, nth, weekday),
        };
        let skills = task.skills.iter().fold(Rec::new(), |r, s| r.bool(s.as_str(), true));
        let record = Rec::new()
            .str("title", task.title.trim())
            .str("description", task.description.trim())
            .str("sector", task.sector.as_str())
            .opt_str("guild", task.guild.map(|g| g.to_string()))
            .map("skills", skills)
            .uint("hours", u64::from(task.hours.get()))
            .uint("slots", u64::from(task.slots))
            .str("urgency", task.urgency.as_str())
            .opt_str("location", task.location.as_deref().map(str::trim).filter(|l| !l.is_empty()))
            .str("repeat", repeat)
            .uint("every", u64::from(every))
            .uint("nth", u64::from(nth))
            .uint("weekday", u64::from(weekday))
            .str("starts", new.starts.to_string())
            .opt_str("until", new.until.map(|d| d.to_string()))
            .uint("ahead_days", u64::from(ahead))
            .str("created_by", me.member().to_string())
            .timestamp("created_at", now.millis())
            .map("skipped", Rec::new());
        let change = self.write(me, now, |tx| {
            record.create(tx, &all, &id.to_string())?;
            Ok(())
        })?;
        out.push(change);
        if let Some(more) = self.make_occurrences(me, today, now)? {
            out.push(more);
        }
        Ok(out)
    }

    /// Makes the occurrences every series should have by `today` and lacks, in one change
    /// (`None`: none lacking). Any member's device may: the ids are the series' own.
    pub fn make_occurrences(
        &mut self,
        me: &Identity,
        today: Date,
        now: Timestamp,
    ) -> Result<Option<SignedChange>, WriteError> {
        let Some(tasks) = root_map(self.automerge(), "tasks") else { return Ok(None) };
        let (all, _) = read_all(self.automerge());
        let mut due: Vec<(TaskId, Rec)> = Vec::new();
        for s in all.values() {
            for on in s.due_days(today) {
                let id = occurrence_id(s.id, on);
                if child_map(self.automerge(), &tasks, &id.to_string()).is_some() {
                    continue;
                }
                due.push((id, occurrence_fields(super::board::task_record(&s.task_on(on), me, now), s.id, on)));
            }
        }
        if due.is_empty() {
            return Ok(None);
        }
        self.write(me, now, |tx| {
            for (id, rec) in due {
                rec.create(tx, &tasks, &id.to_string())?;
            }
            Ok(())
        })
        .map(Some)
    }

    /// Changes what a series' coming occurrences ask, or when it ends. Its open occurrences
    /// from today on that nobody changed by hand are rewritten to match; those past a new end
    /// are closed. Pledges stay where they are.
    pub fn edit_series(
        &mut self,
        me: &Identity,
        id: SeriesId,
        edit: &SeriesEdit,
        people: &PeopleView,
        today: Date,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let (obj, s) = self.series(id)?;
        let title = edit
            .title
            .as_deref()
            .map(|t| validate::text(validate::Field::Title, t, validate::TITLE_MAX))
            .transpose()?;
        let description = edit
            .description
            .as_deref()
            .map(|d| validate::optional_text(validate::Field::Description, d, validate::DESCRIPTION_MAX))
            .transpose()?;
        if let Some(h) = edit.hours {
            super::board::check_hours(h)?;
        }
        if let Some(n) = edit.slots {
            super::board::check_slots(n)?;
        }
        let location = match &edit.location {
            Some(l) => Some(super::board::check_location(l.as_deref())?),
            None => None,
        };
        if let Some(Some(u)) = edit.until
            && u < s.starts
        {
            return Err(ValidationError::EndsBeforeStart { until: u, starts: s.starts }.into());
        }
        let until = edit.until.unwrap_or(s.until);
        let tasks =
            root_map(self.automerge(), "tasks").ok_or_else(|| WriteError::Other("the board has no tasks".into()))?;
        let board = super::board::BoardView::read(self.automerge());
        let coming: Vec<(ObjId, Date)> = board
            .tasks
            .values()
            .filter_map(|t| {
                let o = t.occurrence.as_ref()?;
                (o.series == id && !o.detached && o.on >= today && t.status == TaskStatus::Open).then_some((t.id, o.on))
            })
            .filter_map(|(t, on)| child_map(self.automerge(), &tasks, &t.to_string()).map(|obj| (obj, on)))
            .collect();
        self.write(me, now, |tx| {
            let mut targets: Vec<&ObjId> = vec![&obj];
            targets.extend(coming.iter().map(|(o, _)| o));
            for target in targets {
                if let Some(t) = &title {
                    tx.put(target, "title", t.as_str())?;
                }
                if let Some(d) = &description {
                    tx.put(target, "description", d.as_str())?;
                }
                if let Some(h) = edit.hours {
                    tx.put(target, "hours", u64::from(h.get()))?;
                }
                if let Some(n) = edit.slots {
                    tx.put(target, "slots", u64::from(n))?;
                }
                if let Some(u) = edit.urgency {
                    tx.put(target, "urgency", u.as_str())?;
                }
                match &location {
                    Some(Some(l)) => tx.put(target, "location", l.as_str())?,
                    Some(None) if automerge::ReadDoc::get(tx, target, "location")?.is_some() => {
                        tx.delete(target, "location")?
                    }
                    _ => {}
                }
            }
            for (o, on) in &coming {
                tx.put(o, "updated_by", me.member().to_string())?;
                tx.put(o, "updated_at", ScalarValue::Timestamp(now.millis()))?;
                if until.is_some_and(|u| *on > u) {
                    tx.put(o, "status", TaskStatus::Closed.as_str())?;
                }
            }
            match edit.until {
                Some(Some(u)) => tx.put(&obj, "until", u.to_string())?,
                Some(None) if automerge::ReadDoc::get(tx, &obj, "until")?.is_some() => tx.delete(&obj, "until")?,
                _ => {}
            }
            tx.put(&obj, "updated_at", ScalarValue::Timestamp(now.millis()))?;
            Ok(())
        })
    }

    /// Skips one day of a series: no occurrence is made for it, and one already made is closed
    /// (its pledges stay, as history).
    pub fn skip_occurrence(
        &mut self,
        me: &Identity,
        id: SeriesId,
        on: Date,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let (obj, s) = self.series(id)?;
        let far = on.add_days(-366).unwrap_or(on);
        if !s.repeat.days(s.starts, far, on).contains(&on) || s.until.is_some_and(|u| on > u) {
            return Err(ValidationError::NotAnOccurrence { date: on, repeat: s.repeat.describe() }.into());
        }
        let skipped = child_map(self.automerge(), &obj, "skipped")
            .ok_or_else(|| WriteError::Other("the series has no skipped map".into()))?;
        let task = root_map(self.automerge(), "tasks")
            .and_then(|t| child_map(self.automerge(), &t, &occurrence_id(id, on).to_string()));
        self.write(me, now, |tx| {
            tx.put(&skipped, on.to_string(), true)?;
            if let Some(t) = &task {
                tx.put(t, "status", TaskStatus::Closed.as_str())?;
                tx.put(t, "updated_by", me.member().to_string())?;
                tx.put(t, "updated_at", ScalarValue::Timestamp(now.millis()))?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::board::{BoardView, PledgeAction};
    use crate::doc::people;
    use crate::doc::{DocId, DocName};
    use crate::verify::{Verifier, parse_change};

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn the_days_a_series_comes_round() {
        // 2026-05-04 is a Monday.
        let weekly = Repeat::Weekly { every: 2, weekday: 1 };
        let days = weekly.days(day("2026-05-04"), day("2026-05-04"), day("2026-06-10"));
        assert_eq!(days, [day("2026-05-05"), day("2026-05-19"), day("2026-06-02")]);
        // Counted from the start, whatever the window.
        assert_eq!(weekly.days(day("2026-05-04"), day("2026-05-20"), day("2026-06-10")), [day("2026-06-02")]);
        let last_friday = Repeat::Monthly { nth: LAST, weekday: 4 };
        let days = last_friday.days(day("2026-05-04"), day("2026-05-04"), day("2026-07-31"));
        assert_eq!(days, [day("2026-05-29"), day("2026-06-26"), day("2026-07-31")]);
        let second_tuesday = Repeat::Monthly { nth: 2, weekday: 1 };
        assert_eq!(second_tuesday.days(day("2026-05-13"), day("2026-05-13"), day("2026-06-30")), [day("2026-06-09")]);
        assert_eq!(second_tuesday.describe(), "on the second Tuesday of each month");
        assert!(Repeat::Weekly { every: 9, weekday: 1 }.check().is_err());
        assert!(Repeat::Monthly { nth: 1, weekday: 7 }.check().is_err());
    }

    struct World {
        ana: Identity,
        bob: Identity,
        people: PeopleView,
        board: Document,
        today: Date,
    }

    fn world() -> World {
        let today = day("2026-05-04");
        let now = Timestamp::midday(today);
        let (_, ana) = Identity::generate();
        let (_, bob) = Identity::generate();
        let (community, mut people_doc, _) = people::found(&ana, "Riverside", "Ana", now).unwrap();
        people_doc.admit_member(&ana, bob.member(), "Bob", bob.device(), bob.cert(), now).unwrap();
        let people = PeopleView::read(people_doc.automerge());
        let (board, _) = Document::from_genesis(DocId { community, name: DocName::Board }).unwrap();
        World { ana, bob, people, board, today }
    }

    impl NewSeries {
        fn task_on_for_test(&self, on: Date) -> NewTask {
            NewTask { deadline: Some(on), ..self.task.clone() }
        }
    }

    fn weekly_share() -> NewSeries {
        NewSeries {
            task: NewTask {
                title: "Sort the food share".into(),
                description: String::new(),
                sector: "food".parse().unwrap(),
                guild: None,
                skills: BTreeSet::new(),
                hours: Minutes::from_hours(2),
                slots: 3,
                urgency: Urgency::Normal,
                deadline: None,
                location: Some("The hall".into()),
                open_to_neighbours: false,
            },
            repeat: Repeat::Weekly { every: 1, weekday: 5 },
            starts: day("2026-05-04"),
            until: None,
            ahead_days: None,
        }
    }

    fn occurrences(board: &Document) -> Vec<(Date, TaskId, String, TaskStatus)> {
        let view = BoardView::read(board.automerge());
        let mut out: Vec<_> = view
            .tasks
            .values()
            .filter_map(|t| t.occurrence.as_ref().map(|o| (o.on, t.id, t.title.clone(), t.status)))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_series_makes_its_occurrences_ahead_and_edits_keep_pledges() {
        let mut w = world();
        let now = Timestamp::midday(w.today);
        let id = SeriesId::random();
        let changes = w.board.add_series(id, &w.ana, &weekly_share(), &w.people, w.today, now).unwrap();
        assert_eq!(changes.len(), 3, "the board's upgrade, the series, its first occurrences");
        let made = occurrences(&w.board);
        let days: Vec<Date> = made.iter().map(|o| o.0).collect();
        assert_eq!(days, [day("2026-05-09"), day("2026-05-16"), day("2026-05-23"), day("2026-05-30")]);
        assert_eq!(made[0].1, occurrence_id(id, day("2026-05-09")));
        // Nothing more to make the same day; a week later, one more.
        assert!(w.board.make_occurrences(&w.bob, w.today, now).unwrap().is_none());
        let later = w.today.add_days(7).unwrap();
        w.board.make_occurrences(&w.bob, later, Timestamp::midday(later)).unwrap().unwrap();
        assert_eq!(occurrences(&w.board).len(), 5);

        // Bob pledges to the first; Ana changes one by hand; then the series is edited.
        let first = made[0].1;
        w.board.set_pledge(&w.bob, first, PledgeAction::Pledge, &w.people, now).unwrap();
        let by_hand =
            crate::model::TaskEdit { title: Some("Sort the share (big delivery)".into()), ..Default::default() };
        w.board.edit_task(&w.ana, made[1].1, &by_hand, &w.people, w.today, now).unwrap();
        let edit = SeriesEdit {
            title: Some("Sort and pack the food share".into()),
            until: Some(Some(day("2026-05-25"))),
            ..Default::default()
        };
        w.board.edit_series(&w.ana, id, &edit, &w.people, w.today, now).unwrap();
        let after = occurrences(&w.board);
        assert_eq!(after[0].2, "Sort and pack the food share");
        assert_eq!(after[1].2, "Sort the share (big delivery)", "changed by hand: left alone");
        assert_eq!(after[2].3, TaskStatus::Open);
        assert!(after[3..].iter().all(|o| o.3 == TaskStatus::Closed), "past the new end: closed");
        let view = BoardView::read(w.board.automerge());
        assert_eq!(view.taken_slots(first), 1, "the pledge stays");
        // A day is skipped: closed, and never made again.
        w.board.skip_occurrence(&w.ana, id, day("2026-05-16"), &w.people, now).unwrap();
        assert_eq!(occurrences(&w.board)[1].3, TaskStatus::Closed);
        let wrong = w.board.skip_occurrence(&w.ana, id, day("2026-05-17"), &w.people, now);
        assert!(matches!(wrong, Err(WriteError::Validation(ValidationError::NotAnOccurrence { .. }))));
    }

    #[test]
    fn two_devices_making_the_same_occurrences_at_once_make_each_once() {
        let mut w = world();
        let now = Timestamp::midday(w.today);
        let id = SeriesId::random();
        w.board.add_series(id, &w.ana, &weekly_share(), &w.people, w.today, now).unwrap();
        // Both devices, apart, see the next week come and make what is due.
        let later = w.today.add_days(14).unwrap();
        let mut left = w.board.clone();
        let mut right = w.board.clone();
        let a = left.make_occurrences(&w.ana, later, Timestamp::midday(later)).unwrap().unwrap();
        let b = right.make_occurrences(&w.bob, later, Timestamp::midday(later)).unwrap().unwrap();
        // Each verifies the other's change, then takes it in.
        let verify = |doc: &Document, c: &SignedChange| {
            let parsed = parse_change(&c.bytes).unwrap();
            Verifier::new(doc.id()).verify(doc, &w.people, &parsed, c.signature.as_ref()).map(|_| ())
        };
        verify(&left, &b).unwrap();
        verify(&right, &a).unwrap();
        left.apply([parse_change(&b.bytes).unwrap()]).unwrap();
        right.apply([parse_change(&a.bytes).unwrap()]).unwrap();
        let (l, r) = (occurrences(&left), occurrences(&right));
        assert_eq!(l, r);
        let days: Vec<Date> = l.iter().map(|o| o.0).collect();
        let unique: BTreeSet<Date> = days.iter().copied().collect();
        assert_eq!(days.len(), unique.len(), "each day once: {days:?}");
        assert_eq!(days.len(), 6);
    }

    #[test]
    fn a_record_claiming_to_be_an_occurrence_under_another_id_is_a_task_of_its_own() {
        let mut w = world();
        let now = Timestamp::midday(w.today);
        let id = SeriesId::random();
        w.board.add_series(id, &w.ana, &weekly_share(), &w.people, w.today, now).unwrap();
        let on = occurrences(&w.board)[0].0;
        let forged = TaskId::random();
        let rec = occurrence_fields(
            super::super::board::task_record(&weekly_share().task_on_for_test(on), &w.bob, now),
            id,
            on,
        );
        let tasks = root_map(w.board.automerge(), "tasks").unwrap();
        w.board.write(&w.bob, now, |tx| rec.create(tx, &tasks, &forged.to_string()).map(|_| ())).unwrap();
        let view = BoardView::read(w.board.automerge());
        assert_eq!(view.tasks[&forged].occurrence, None, "not the series' {on}");
        assert_eq!(occurrences(&w.board).iter().filter(|o| o.0 == on).count(), 1);
    }

    #[test]
    fn the_upgrade_is_the_same_change_everywhere_and_needs_no_author() {
        let w = world();
        let mut a = w.board.clone();
        let mut b = w.board.clone();
        let ua = a.upgrade().unwrap();
        let ub = b.upgrade().unwrap();
        assert_eq!(ua.len(), 1);
        assert_eq!(ua[0].hash, ub[0].hash);
        assert!(a.upgrade().unwrap().is_empty(), "once");
        let parsed = parse_change(&ua[0].bytes).unwrap();
        let verified = Verifier::new(w.board.id()).verify(&w.board, &w.people, &parsed, None).unwrap();
        assert_eq!(verified.author, None);
        // A member's own `series` root would hide the real one: refused.
        let forged = w
            .board
            .clone()
            .write(&w.ana, Timestamp::midday(w.today), |tx| {
                tx.put_object(automerge::ROOT, "series", automerge::ObjType::Map).map(|_| ())
            })
            .unwrap();
        let parsed = parse_change(&forged.bytes).unwrap();
        assert!(Verifier::new(w.board.id()).verify(&w.board, &w.people, &parsed, forged.signature.as_ref()).is_err());
    }
}
