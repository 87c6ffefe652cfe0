//! The board document: tasks, pledges and concerns.
//!
//! ```text
//! schema: "weft/board/1"
//! tasks:   { <task>: { title, description, sector, guild?, skills: { <skill>: true },
//!                      hours (minutes per person), slots, urgency, deadline?, location?,
//!                      open_to_neighbours, status, created_by, created_at, updated_by?, updated_at? } }
//! pledges: { <task>.<member>: { task, member, state, updated_at } }
//! flags:   { <flag>: { task?, sector?, raised_by, note, at, resolved, resolved_by? } }
//! proposals: { <proposal>: … }   decisions by consent (`super::proposals`)
//! ```

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{Automerge, AutomergeError, ObjId, ObjType, ReadDoc, ScalarValue};

use super::build::Rec;
use super::people::PeopleView;
use super::proposals::Proposal;
use super::read::{Field, Record, SchemaError, child_map, fields, records, root_map};
use super::series::Series;
use super::{Document, WriteError, require_new};
use crate::id::{FlagId, MemberId, PledgeId, ProposalId, SectorId, SeriesId, TaskId};
use crate::identity::{Identity, SignedChange};
use crate::model::{Flag, NewTask, Occurrence, Pledge, PledgeState, Task, TaskEdit, TaskStatus};
use crate::time::{Date, Minutes, Timestamp};
use crate::validate::{self, ValidationError};

/// Everything the board says, read and typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BoardView {
    pub tasks: BTreeMap<TaskId, Task>,
    pub pledges: BTreeMap<PledgeId, Pledge>,
    pub flags: BTreeMap<FlagId, Flag>,
    pub proposals: BTreeMap<ProposalId, Proposal>,
    pub series: BTreeMap<SeriesId, Series>,
    pub gatherings: BTreeMap<crate::id::GatheringId, super::gatherings::Gathering>,
    pub skipped: Vec<SchemaError>,
}

impl BoardView {
    pub fn read(doc: &Automerge) -> Self {
        let mut view = Self::default();
        for (key, obj) in root_map(doc, "tasks").map(|o| records(doc, &o)).unwrap_or_default() {
            match read_task(doc, &key, &obj) {
                Ok(t) => {
                    view.tasks.insert(t.id, t);
                }
                Err(e) => view.skipped.push(e),
            }
        }
        for (key, obj) in root_map(doc, "pledges").map(|o| records(doc, &o)).unwrap_or_default() {
            match read_pledge(doc, &key, &obj) {
                Ok(p) => {
                    view.pledges.insert(PledgeId { task: p.task, member: p.member }, p);
                }
                Err(e) => view.skipped.push(e),
            }
        }
        for (key, obj) in root_map(doc, "flags").map(|o| records(doc, &o)).unwrap_or_default() {
            match read_flag(doc, &key, &obj) {
                Ok(f) => {
                    view.flags.insert(f.id, f);
                }
                Err(e) => view.skipped.push(e),
            }
        }
        let (proposals, skipped) = super::proposals::read_all(doc);
        view.proposals = proposals;
        view.skipped.extend(skipped);
        let (series, skipped) = super::series::read_all(doc);
        view.series = series;
        view.skipped.extend(skipped);
        let (gatherings, skipped) = super::gatherings::read_all(doc);
        view.gatherings = gatherings;
        view.skipped.extend(skipped);
        view
    }

    /// Every pledge on a task, in member order.
    pub fn pledges_for(&self, task: TaskId) -> impl Iterator<Item = &Pledge> {
        let lo = PledgeId { task, member: MemberId::from_bytes([0; 32]) };
        let hi = PledgeId { task, member: MemberId::from_bytes([0xff; 32]) };
        self.pledges.range(lo..=hi).map(|(_, p)| p)
    }

    /// Pledges that hold a place: pledged or done, less those handed over to a stand-in (the
    /// stand-in's pledge holds that place now).
    pub fn taken_slots(&self, task: TaskId) -> u32 {
        let n = self
            .pledges_for(task)
            .filter(|p| p.state != PledgeState::Withdrawn && self.handed_over(p).is_none())
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Who took over a pledge that looked for a stand-in (the first, by time, if two did at
    /// once: the other holds a place of its own).
    pub fn handed_over(&self, p: &Pledge) -> Option<MemberId> {
        if !p.stand_in || p.state != PledgeState::Pledged {
            return None;
        }
        self.pledges_for(p.task)
            .filter(|q| q.stands_in_for == Some(p.member) && q.state != PledgeState::Withdrawn)
            .min_by_key(|q| (q.updated_at, q.member))
            .map(|q| q.member)
    }

    /// Places whose member looks for a stand-in and nobody took over yet.
    pub fn stand_ins_wanted(&self, task: TaskId) -> Vec<&Pledge> {
        self.pledges_for(task)
            .filter(|p| p.stand_in && p.state == PledgeState::Pledged && self.handed_over(p).is_none())
            .collect()
    }

    /// Places still free (never negative, even when concurrent pledges overfilled a task).
    pub fn free_slots(&self, task: &Task) -> u32 {
        task.slots.saturating_sub(self.taken_slots(task.id))
    }

    pub fn pledge(&self, task: TaskId, member: MemberId) -> Option<&Pledge> {
        self.pledges.get(&PledgeId { task, member })
    }

    pub fn require_task(&self, id: TaskId) -> Result<&Task, ValidationError> {
        self.tasks.get(&id).ok_or(ValidationError::UnknownTask { task: id })
    }

    /// Re-reads one task and its pledges after a change to them, leaving the rest as it is.
    pub fn refresh_task(&mut self, doc: &Automerge, id: TaskId) {
        let lo = PledgeId { task: id, member: MemberId::from_bytes([0; 32]) };
        let hi = PledgeId { task: id, member: MemberId::from_bytes([0xff; 32]) };
        let stale: Vec<PledgeId> = self.pledges.range(lo..=hi).map(|(k, _)| *k).collect();
        for k in stale {
            self.pledges.remove(&k);
        }
        self.tasks.remove(&id);
        if let Ok(fresh) = Self::read_task(doc, id) {
            self.tasks.extend(fresh.tasks);
            self.pledges.extend(fresh.pledges);
        }
    }

    /// Re-reads the concerns (there are few).
    pub fn refresh_flags(&mut self, doc: &Automerge) {
        self.flags.clear();
        for (key, obj) in root_map(doc, "flags").map(|o| records(doc, &o)).unwrap_or_default() {
            if let Ok(f) = read_flag(doc, &key, &obj) {
                self.flags.insert(f.id, f);
            }
        }
    }

    /// Reads one task and its pledges only (cheap on a large board).
    pub fn read_task(doc: &Automerge, id: TaskId) -> Result<Self, ValidationError> {
        let mut view = Self::default();
        let obj = root_map(doc, "tasks").and_then(|t| child_map(doc, &t, &id.to_string()));
        let task = obj
            .and_then(|o| read_task(doc, &id.to_string(), &o).ok())
            .ok_or(ValidationError::UnknownTask { task: id })?;
        view.tasks.insert(id, task);
        if let Some(pledges) = root_map(doc, "pledges") {
            // Pledge keys are "<task>.<member>": the task's pledges are one key range.
            let (lo, hi) = (format!("{id}."), format!("{id}/"));
            for item in doc.map_range(&pledges, lo..hi) {
                if let automerge::ValueRef::Object(ObjType::Map) = item.value {
                    let obj = item.id();
                    if let Ok(p) = read_pledge(doc, &item.key, &obj) {
                        view.pledges.insert(PledgeId { task: p.task, member: p.member }, p);
                    }
                }
            }
        }
        Ok(view)
    }
}

fn read_task(doc: &Automerge, key: &str, obj: &ObjId) -> Result<Task, SchemaError> {
    let rec = Record::read(doc, obj, &format!("tasks/{key}"));
    let mut skills = BTreeSet::new();
    for (skill, field) in fields(doc, rec.map("skills")?) {
        if let (Ok(skill), Field::Bool(true)) = (skill.parse(), field) {
            skills.insert(skill);
        }
    }
    Ok(Task {
        id: key.parse().map_err(|_| SchemaError {
            record: key.to_owned(),
            field: "id".into(),
            problem: "is not a task id".into(),
        })?,
        title: rec.str("title")?.to_owned(),
        description: rec.opt_str("description")?.unwrap_or_default().to_owned(),
        sector: rec.parse("sector")?,
        guild: rec.opt_parse("guild")?,
        skills,
        hours: rec.minutes("hours")?,
        slots: rec.u32("slots")?,
        urgency: rec.parse("urgency")?,
        deadline: rec.opt_parse("deadline")?,
        location: rec.opt_str("location")?.map(str::to_owned),
        open_to_neighbours: rec.flag("open_to_neighbours")?,
        status: rec.parse("status")?,
        created_by: rec.parse("created_by")?,
        created_at: rec.timestamp("created_at")?,
        // An occurrence's id is its series' and day's: a record that claims to be one under
        // another id (two "Tuesday 5th"s of one series) is read as a task of its own.
        occurrence: match rec.opt_parse("series")? {
            Some(series) => {
                let on = rec.parse("on")?;
                (key.parse::<TaskId>().ok() == Some(super::series::occurrence_id(series, on)))
                    .then(|| rec.flag("detached").map(|detached| Occurrence { series, on, detached }))
                    .transpose()?
            }
            None => None,
        },
        gathering: rec.opt_parse("gathering")?,
    })
}

fn read_pledge(doc: &Automerge, key: &str, obj: &ObjId) -> Result<Pledge, SchemaError> {
    let rec = Record::read(doc, obj, &format!("pledges/{key}"));
    let id: PledgeId = key.parse().map_err(|_| SchemaError {
        record: key.to_owned(),
        field: "id".into(),
        problem: "is not a pledge id".into(),
    })?;
    Ok(Pledge {
        task: id.task,
        member: id.member,
        state: rec.parse("state")?,
        updated_at: rec.timestamp("updated_at")?,
        on: rec.opt_parse("on")?,
        stand_in: rec.flag("stand_in")?,
        stands_in_for: rec.opt_parse("stands_in_for")?,
        crew: rec.opt_parse("crew")?,
    })
}

fn read_flag(doc: &Automerge, key: &str, obj: &ObjId) -> Result<Flag, SchemaError> {
    let rec = Record::read(doc, obj, &format!("flags/{key}"));
    Ok(Flag {
        id: key.parse().map_err(|_| SchemaError {
            record: key.to_owned(),
            field: "id".into(),
            problem: "is not a flag id".into(),
        })?,
        task: rec.opt_parse("task")?,
        sector: rec.opt_parse("sector")?,
        raised_by: rec.parse("raised_by")?,
        note: rec.str("note")?.to_owned(),
        at: rec.timestamp("at")?,
        resolved: rec.flag("resolved")?,
    })
}

/// What a member does with their pledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PledgeAction {
    Pledge,
    Withdraw,
    Done,
}

/// A task's fields, checked and normalised.
struct CheckedTask {
    title: String,
    description: String,
    location: Option<String>,
}

/// A new task's record, its fields as given (checked by the caller).
pub(crate) fn task_record(task: &NewTask, me: &Identity, now: Timestamp) -> Rec {
    let skills = task.skills.iter().fold(Rec::new(), |r, s| r.bool(s.as_str(), true));
    Rec::new()
        .str("title", &task.title)
        .str("description", &task.description)
        .str("sector", task.sector.as_str())
        .opt_str("guild", task.guild.map(|g| g.to_string()))
        .map("skills", skills)
        .uint("hours", u64::from(task.hours.get()))
        .uint("slots", u64::from(task.slots))
        .str("urgency", task.urgency.as_str())
        .opt_str("deadline", task.deadline.map(|d| d.to_string()))
        .opt_str("location", task.location.as_deref())
        .bool("open_to_neighbours", task.open_to_neighbours)
        .str("status", TaskStatus::Open.as_str())
        .str("created_by", me.member().to_string())
        .timestamp("created_at", now.millis())
}

/// A new task with its fields checked as `add_task` does, and trimmed as it writes them.
pub(crate) fn check_new_task_fields(
    task: &NewTask,
    people: &PeopleView,
    today: Date,
) -> Result<NewTask, ValidationError> {
    let checked = check_task(task, people, today)?;
    Ok(NewTask { title: checked.title, description: checked.description, location: checked.location, ..task.clone() })
}

/// Checks a new task's fields as `add_task` does (for a series' first occurrence).
pub(crate) fn check_new_task(task: &NewTask, people: &PeopleView, today: Date) -> Result<(), ValidationError> {
    check_task(task, people, today).map(|_| ())
}

fn check_task(task: &NewTask, people: &PeopleView, today: Date) -> Result<CheckedTask, ValidationError> {
    let title = validate::text(validate::Field::Title, &task.title, validate::TITLE_MAX)?;
    let description =
        validate::optional_text(validate::Field::Description, &task.description, validate::DESCRIPTION_MAX)?;
    people.require_sector(&task.sector)?;
    check_guild(task.guild.as_ref(), &task.sector, people)?;
    check_hours(task.hours)?;
    check_slots(task.slots)?;
    if let Some(d) = task.deadline {
        validate::deadline(d, today)?;
    }
    let location = check_location(task.location.as_deref())?;
    Ok(CheckedTask { title, description, location })
}

fn check_guild(
    guild: Option<&crate::id::GuildId>,
    sector: &SectorId,
    people: &PeopleView,
) -> Result<(), ValidationError> {
    if let Some(g) = guild {
        let found = people.guilds.get(g).ok_or(ValidationError::UnknownGuild { guild: *g })?;
        if &found.sector != sector {
            return Err(ValidationError::GuildInOtherSector {
                guild: found.name.clone(),
                guild_sector: found.sector.clone(),
                sector: sector.clone(),
            });
        }
    }
    Ok(())
}

pub(crate) fn check_hours(hours: Minutes) -> Result<(), ValidationError> {
    if hours.get() == 0 || hours > validate::TASK_HOURS_MAX {
        return Err(ValidationError::TaskHours { minutes: hours, max: validate::TASK_HOURS_MAX });
    }
    Ok(())
}

pub(crate) fn check_slots(slots: u32) -> Result<(), ValidationError> {
    if !(1..=validate::SLOTS_MAX).contains(&slots) {
        return Err(ValidationError::Slots { slots, max: validate::SLOTS_MAX });
    }
    Ok(())
}

pub(crate) fn check_location(location: Option<&str>) -> Result<Option<String>, ValidationError> {
    Ok(location
        .map(|l| validate::optional_text(validate::Field::Location, l, validate::LOCATION_MAX))
        .transpose()?
        .filter(|l| !l.is_empty()))
}

fn container(doc: &Automerge, key: &str) -> Result<ObjId, AutomergeError> {
    root_map(doc, key).ok_or_else(|| AutomergeError::InvalidObjId(format!("the board has no '{key}' map")))
}

impl Document {
    /// Posts a task under `id`: a fresh one (`TaskId::random()`), or one the caller drew
    /// itself (the demo draws its ids from its seed). An id already on the board is refused.
    pub fn add_task(
        &mut self,
        id: TaskId,
        me: &Identity,
        task: &NewTask,
        people: &PeopleView,
        today: Date,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let checked = check_task(task, people, today)?;
        let tasks = container(&self.doc, "tasks")?;
        require_new(&self.doc, &tasks, "task", &id.to_string())?;
        let task = NewTask {
            title: checked.title,
            description: checked.description,
            location: checked.location,
            ..task.clone()
        };
        self.write(me, now, |tx| task_record(&task, me, now).create(tx, &tasks, &id.to_string()).map(|_| ()))
    }

    /// Changes some fields of a task (any member may; every edit is signed and attributed).
    pub fn edit_task(
        &mut self,
        me: &Identity,
        id: TaskId,
        edit: &TaskEdit,
        people: &PeopleView,
        today: Date,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let board = BoardView::read_task(&self.doc, id)?;
        let current = board.require_task(id)?;
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
        let sector = edit.sector.clone().unwrap_or_else(|| current.sector.clone());
        if edit.sector.is_some() {
            people.require_sector(&sector)?;
        }
        let guild = edit.guild.unwrap_or(current.guild);
        if edit.guild.is_some() || edit.sector.is_some() {
            check_guild(guild.as_ref(), &sector, people)?;
        }
        if let Some(h) = edit.hours {
            check_hours(h)?;
        }
        if let Some(s) = edit.slots {
            check_slots(s)?;
        }
        if let Some(Some(d)) = edit.deadline {
            validate::deadline(d, today)?;
        }
        let location = edit.location.as_ref().map(|l| check_location(l.as_deref())).transpose()?;
        let task_obj = container(&self.doc, "tasks")
            .ok()
            .and_then(|t| child_map(&self.doc, &t, &id.to_string()))
            .ok_or(ValidationError::UnknownTask { task: id })?;
        let skills_obj = child_map(&self.doc, &task_obj, "skills").ok_or(ValidationError::UnknownTask { task: id })?;
        let old_skills = current.skills.clone();
        self.write(me, now, |tx| {
            if let Some(t) = &title {
                tx.put(&task_obj, "title", t.as_str())?;
            }
            if let Some(d) = &description {
                tx.put(&task_obj, "description", d.as_str())?;
            }
            if let Some(s) = &edit.sector {
                tx.put(&task_obj, "sector", s.as_str())?;
            }
            match edit.guild {
                Some(Some(g)) => tx.put(&task_obj, "guild", g.to_string())?,
                Some(None) => tx.delete(&task_obj, "guild")?,
                None => {}
            }
            if let Some(skills) = &edit.skills {
                for s in old_skills.difference(skills) {
                    tx.delete(&skills_obj, s.as_str())?;
                }
                for s in skills.difference(&old_skills) {
                    tx.put(&skills_obj, s.as_str(), true)?;
                }
            }
            if let Some(h) = edit.hours {
                tx.put(&task_obj, "hours", u64::from(h.get()))?;
            }
            if let Some(s) = edit.slots {
                tx.put(&task_obj, "slots", u64::from(s))?;
            }
            if let Some(u) = edit.urgency {
                tx.put(&task_obj, "urgency", u.as_str())?;
            }
            match edit.deadline {
                Some(Some(d)) => tx.put(&task_obj, "deadline", d.to_string())?,
                Some(None) => tx.delete(&task_obj, "deadline")?,
                None => {}
            }
            match &location {
                Some(Some(l)) => tx.put(&task_obj, "location", l.as_str())?,
                Some(None) => tx.delete(&task_obj, "location")?,
                None => {}
            }
            if let Some(o) = edit.open_to_neighbours {
                tx.put(&task_obj, "open_to_neighbours", o)?;
            }
            if let Some(s) = edit.status {
                tx.put(&task_obj, "status", s.as_str())?;
            }
            // An occurrence changed by hand (not just opened or closed) keeps its changes when
            // its series is edited.
            let by_hand = title.is_some()
                || description.is_some()
                || edit.sector.is_some()
                || edit.guild.is_some()
                || edit.skills.is_some()
                || edit.hours.is_some()
                || edit.slots.is_some()
                || edit.urgency.is_some()
                || edit.deadline.is_some()
                || location.is_some();
            if by_hand && current.occurrence.as_ref().is_some_and(|o| !o.detached) {
                tx.put(&task_obj, "detached", true)?;
            }
            tx.put(&task_obj, "updated_by", me.member().to_string())?;
            tx.put(&task_obj, "updated_at", ScalarValue::Timestamp(now.millis()))?;
            Ok(())
        })
    }

    /// Takes a place on a task, gives it back, or marks it done.
    pub fn set_pledge(
        &mut self,
        me: &Identity,
        task: TaskId,
        action: PledgeAction,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let board = BoardView::read_task(&self.doc, task)?;
        let t = board.require_task(task)?;
        let existing = board.pledge(task, me.member()).map(|p| p.state);
        let state = match action {
            PledgeAction::Pledge => {
                if t.status == TaskStatus::Closed {
                    return Err(ValidationError::TaskClosed { title: t.title.clone() }.into());
                }
                if matches!(existing, Some(PledgeState::Pledged | PledgeState::Done)) {
                    return Err(ValidationError::AlreadyPledged { title: t.title.clone() }.into());
                }
                if board.free_slots(t) == 0 {
                    return Err(ValidationError::TaskFull { title: t.title.clone(), slots: t.slots }.into());
                }
                PledgeState::Pledged
            }
            PledgeAction::Withdraw => {
                if existing != Some(PledgeState::Pledged) {
                    return Err(ValidationError::NotPledged { title: t.title.clone() }.into());
                }
                PledgeState::Withdrawn
            }
            PledgeAction::Done => {
                if existing != Some(PledgeState::Pledged) {
                    return Err(ValidationError::NotPledged { title: t.title.clone() }.into());
                }
                PledgeState::Done
            }
        };
        let pledges = container(&self.doc, "pledges")?;
        let key = PledgeId { task, member: me.member() }.to_string();
        let record = child_map(&self.doc, &pledges, &key);
        self.write(me, now, |tx| match record {
            Some(obj) => {
                tx.put(&obj, "state", state.as_str())?;
                tx.put(&obj, "updated_at", ScalarValue::Timestamp(now.millis()))
            }
            None => Rec::new()
                .str("task", task.to_string())
                .str("member", me.member().to_string())
                .str("state", state.as_str())
                .timestamp("updated_at", now.millis())
                .create(tx, &pledges, &key)
                .map(|_| ()),
        })
    }

    /// Asks for someone to take one's place on a task (`looking`), or no longer does.
    pub fn ask_stand_in(
        &mut self,
        me: &Identity,
        task: TaskId,
        looking: bool,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let (obj, board) = self.own_pledge(me, task, people)?;
        if let Some(p) = board.pledge(task, me.member())
            && let Some(by) = board.handed_over(p)
        {
            return Err(ValidationError::HandedOver { by: by.to_string() }.into());
        }
        self.write(me, now, |tx| {
            tx.put(&obj, "stand_in", looking)?;
            tx.put(&obj, "updated_at", ScalarValue::Timestamp(now.millis()))
        })
    }

    /// Says which day one will do a pledged task (`None`: no particular day).
    pub fn set_pledge_day(
        &mut self,
        me: &Identity,
        task: TaskId,
        on: Option<Date>,
        people: &PeopleView,
        today: Date,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if let Some(d) = on
            && d < today
        {
            return Err(ValidationError::PledgeDayPast { date: d, today }.into());
        }
        let (obj, _) = self.own_pledge(me, task, people)?;
        self.write(me, now, |tx| {
            match on {
                Some(d) => tx.put(&obj, "on", d.to_string())?,
                None => {
                    if ReadDoc::get(tx, &obj, "on")?.is_some() {
                        tx.delete(&obj, "on")?;
                    }
                }
            }
            tx.put(&obj, "updated_at", ScalarValue::Timestamp(now.millis()))
        })
    }

    /// Says that one's pledge is for one's crew (its members share the hours), or no longer.
    /// The crew is the caller's own: the node checks it in the people document; readers count
    /// the pledge as a crew's only while its member belongs to that crew.
    pub fn set_pledge_crew(
        &mut self,
        me: &Identity,
        task: TaskId,
        crew: Option<crate::id::CrewId>,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let (obj, _) = self.own_pledge(me, task, people)?;
        self.write(me, now, |tx| {
            match crew {
                Some(c) => tx.put(&obj, "crew", c.to_string())?,
                None => {
                    if ReadDoc::get(tx, &obj, "crew")?.is_some() {
                        tx.delete(&obj, "crew")?;
                    }
                }
            }
            tx.put(&obj, "updated_at", ScalarValue::Timestamp(now.millis()))
        })
    }

    /// Takes over the place of a member who looks for a stand-in: one's own pledge, marked as
    /// standing in for them (their pledge then holds no place; a full task is no obstacle).
    pub fn take_over(
        &mut self,
        me: &Identity,
        task: TaskId,
        from: MemberId,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let board = BoardView::read_task(&self.doc, task)?;
        let t = board.require_task(task)?;
        if t.status == TaskStatus::Closed {
            return Err(ValidationError::TaskClosed { title: t.title.clone() }.into());
        }
        let theirs = board.pledge(task, from).filter(|p| p.stand_in && p.state == PledgeState::Pledged);
        let Some(theirs) = theirs else {
            return Err(ValidationError::NoStandInWanted { title: t.title.clone() }.into());
        };
        if let Some(by) = board.handed_over(theirs) {
            return Err(ValidationError::HandedOver { by: by.to_string() }.into());
        }
        if from == me.member() || matches!(board.pledge(task, me.member()).map(|p| p.state), Some(PledgeState::Pledged))
        {
            return Err(ValidationError::AlreadyPledged { title: t.title.clone() }.into());
        }
        let day = theirs.on;
        let pledges = container(&self.doc, "pledges")?;
        let key = PledgeId { task, member: me.member() }.to_string();
        let record = child_map(&self.doc, &pledges, &key);
        self.write(me, now, |tx| {
            let obj = match record {
                Some(obj) => {
                    tx.put(&obj, "state", PledgeState::Pledged.as_str())?;
                    obj
                }
                None => Rec::new()
                    .str("task", task.to_string())
                    .str("member", me.member().to_string())
                    .str("state", PledgeState::Pledged.as_str())
                    .create(tx, &pledges, &key)?,
            };
            tx.put(&obj, "stands_in_for", from.to_string())?;
            if let Some(d) = day {
                tx.put(&obj, "on", d.to_string())?;
            }
            tx.put(&obj, "updated_at", ScalarValue::Timestamp(now.millis()))
        })
    }

    /// One's own pledge record on a task, which must be pledged.
    fn own_pledge(&self, me: &Identity, task: TaskId, people: &PeopleView) -> Result<(ObjId, BoardView), WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let board = BoardView::read_task(&self.doc, task)?;
        let t = board.require_task(task)?;
        if board.pledge(task, me.member()).map(|p| p.state) != Some(PledgeState::Pledged) {
            return Err(ValidationError::NotPledged { title: t.title.clone() }.into());
        }
        let key = PledgeId { task, member: me.member() }.to_string();
        let obj = container(&self.doc, "pledges")
            .ok()
            .and_then(|p| child_map(&self.doc, &p, &key))
            .ok_or_else(|| ValidationError::NotPledged { title: t.title.clone() })?;
        Ok((obj, board))
    }

    /// Raises a concern about a task or a sector, for its guild to discuss, under `id` (a
    /// fresh one, `FlagId::random()`; an id already on the board is refused).
    #[allow(clippy::too_many_arguments)]
    pub fn raise_flag(
        &mut self,
        id: FlagId,
        me: &Identity,
        task: Option<TaskId>,
        sector: Option<&SectorId>,
        note: &str,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let note = validate::text(validate::Field::Concern, note, validate::CONCERN_MAX)?;
        if let Some(t) = task {
            BoardView::read_task(&self.doc, t)?;
        }
        if let Some(s) = sector {
            people.require_sector(s)?;
        }
        let flags = container(&self.doc, "flags")?;
        require_new(&self.doc, &flags, "concern", &id.to_string())?;
        self.write(me, now, |tx| {
            Rec::new()
                .opt_str("task", task.map(|t| t.to_string()))
                .opt_str("sector", sector.map(SectorId::as_str))
                .str("raised_by", me.member().to_string())
                .str("note", &note)
                .timestamp("at", now.millis())
                .bool("resolved", false)
                .create(tx, &flags, &id.to_string())?;
            Ok(())
        })
    }
}
