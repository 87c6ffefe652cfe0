//! Gatherings: events of the whole community (a harvest weekend, a yearly assembly), with
//! their tasks (set up, cook, facilitate) and who is coming. They live on the board, under the
//! `gatherings` root its deterministic upgrade brings (as `series` does).
//!
//! ```text
//! gatherings: { <gathering>: { title, description, starts, ends, place?, created_by, created_at,
//!                              updated_at?, cancelled?, attending: { <member>: true | false } } }
//! tasks/<task>: { …, gathering }   a task of the gathering (fixed when the task is posted)
//! ```
//!
//! Each member writes only their own "I'll come" (`Who::Own`); the rest is any member's to
//! write, as a task's is.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjId, ScalarValue};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::build::Rec;
use super::people::PeopleView;
use super::read::{Field as Read, Record, SchemaError, child_map, fields, records, root_map};
use super::{Document, WriteError, require_new};
use crate::id::{GatheringId, MemberId, TaskId};
use crate::identity::{Identity, SignedChange};
use crate::model::NewTask;
use crate::time::{Date, Timestamp};
use crate::validate::{self, Field, ValidationError};

/// A gathering lasts at most two weeks.
pub const DAYS_MAX: u32 = 14;

/// A gathering as readers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Gathering {
    pub id: GatheringId,
    pub title: String,
    pub description: String,
    pub starts: Date,
    pub ends: Date,
    pub place: Option<String>,
    pub created_by: MemberId,
    pub created_at: Timestamp,
    pub cancelled: bool,
    /// Who said they will come.
    pub attending: BTreeSet<MemberId>,
    /// Who said they will not.
    pub not_coming: BTreeSet<MemberId>,
}

impl Gathering {
    /// Whether it is over by `today`.
    pub fn is_past(&self, today: Date) -> bool {
        self.ends < today
    }
}

/// Every gathering of a board (records that break the schema are skipped).
pub fn read_all(doc: &Automerge) -> (BTreeMap<GatheringId, Gathering>, Vec<SchemaError>) {
    let mut out = BTreeMap::new();
    let mut skipped = Vec::new();
    for (key, obj) in root_map(doc, "gatherings").map(|o| records(doc, &o)).unwrap_or_default() {
        match read_gathering(doc, &key, &obj) {
            Ok(g) => {
                out.insert(g.id, g);
            }
            Err(e) => skipped.push(e),
        }
    }
    (out, skipped)
}

fn read_gathering(doc: &Automerge, key: &str, obj: &ObjId) -> Result<Gathering, SchemaError> {
    let name = format!("gatherings/{key}");
    let rec = Record::read(doc, obj, &name);
    let id: GatheringId = key.parse().map_err(|_| SchemaError {
        record: name.clone(),
        field: "id".into(),
        problem: "is not a gathering id".into(),
    })?;
    let (mut attending, mut not_coming) = (BTreeSet::new(), BTreeSet::new());
    if let Some(a) = child_map(doc, obj, "attending") {
        for (k, v) in fields(doc, &a) {
            match (k.parse::<MemberId>(), v) {
                (Ok(m), Read::Bool(true)) => {
                    attending.insert(m);
                }
                (Ok(m), Read::Bool(false)) => {
                    not_coming.insert(m);
                }
                _ => {}
            }
        }
    }
    Ok(Gathering {
        id,
        title: rec.str("title")?.to_owned(),
        description: rec.opt_str("description")?.unwrap_or_default().to_owned(),
        starts: rec.parse("starts")?,
        ends: rec.parse("ends")?,
        place: rec.opt_str("place")?.map(str::to_owned),
        created_by: rec.parse("created_by")?,
        created_at: rec.timestamp("created_at")?,
        cancelled: rec.flag("cancelled")?,
        attending,
        not_coming,
    })
}

/// A new gathering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewGathering {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub starts: Date,
    /// The last day (default: the first).
    #[serde(default)]
    pub ends: Option<Date>,
    #[serde(default)]
    pub place: Option<String>,
}

/// A change to a gathering (`None`: unchanged; `Some(None)`: cleared).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct GatheringEdit {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub starts: Option<Date>,
    #[serde(default)]
    pub ends: Option<Date>,
    #[serde(default, deserialize_with = "crate::model::present", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub place: Option<Option<String>>,
    #[serde(default)]
    pub cancelled: Option<bool>,
}

fn check_days(starts: Date, ends: Date) -> Result<(), ValidationError> {
    if ends < starts {
        return Err(ValidationError::EndsBeforeStart { until: ends, starts });
    }
    let days = ends.days_since_epoch() - starts.days_since_epoch() + 1;
    if days > i64::from(DAYS_MAX) {
        return Err(ValidationError::GatheringTooLong { days: u32::try_from(days).unwrap_or(u32::MAX), max: DAYS_MAX });
    }
    Ok(())
}

fn clean_place(place: Option<&str>) -> Result<Option<String>, ValidationError> {
    match place.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Ok(Some(validate::text(Field::Location, p, validate::LOCATION_MAX)?)),
        None => Ok(None),
    }
}

impl Document {
    fn gatherings_map(&mut self) -> Result<(ObjId, Vec<SignedChange>), WriteError> {
        let upgrades = self.upgrade()?;
        let all = root_map(self.automerge(), "gatherings")
            .ok_or_else(|| WriteError::Other("the board has no gatherings map, even upgraded".into()))?;
        Ok((all, upgrades))
    }

    /// A gathering as readers see it, with its record.
    pub fn gathering(&self, id: GatheringId) -> Result<(ObjId, Gathering), ValidationError> {
        root_map(self.automerge(), "gatherings")
            .and_then(|all| child_map(self.automerge(), &all, &id.to_string()))
            .and_then(|obj| read_gathering(self.automerge(), &id.to_string(), &obj).ok().map(|g| (obj, g)))
            .ok_or(ValidationError::UnknownGathering { gathering: id })
    }

    /// Announces a gathering; its maker is coming. Returns the board's upgrade first if it had
    /// not come yet.
    pub fn add_gathering(
        &mut self,
        id: GatheringId,
        me: &Identity,
        new: &NewGathering,
        people: &PeopleView,
        today: Date,
        now: Timestamp,
    ) -> Result<Vec<SignedChange>, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let title = validate::text(Field::Title, &new.title, validate::TITLE_MAX)?;
        let description = validate::optional_text(Field::Description, &new.description, validate::DESCRIPTION_MAX)?;
        let ends = new.ends.unwrap_or(new.starts);
        if new.starts < today {
            return Err(ValidationError::StartsInPast { date: new.starts, today }.into());
        }
        check_days(new.starts, ends)?;
        let place = clean_place(new.place.as_deref())?;
        let (all, mut out) = self.gatherings_map()?;
        require_new(self.automerge(), &all, "gathering", &id.to_string())?;
        let record = Rec::new()
            .str("title", &title)
            .str("description", &description)
            .str("starts", new.starts.to_string())
            .str("ends", ends.to_string())
            .opt_str("place", place)
            .str("created_by", me.member().to_string())
            .timestamp("created_at", now.millis())
            .map("attending", Rec::new().bool(&me.member().to_string(), true));
        out.push(self.write(me, now, |tx| record.create(tx, &all, &id.to_string()).map(|_| ()))?);
        Ok(out)
    }

    /// Changes a gathering's title, description, days or place, or cancels it.
    pub fn edit_gathering(
        &mut self,
        me: &Identity,
        id: GatheringId,
        edit: &GatheringEdit,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let (obj, g) = self.gathering(id)?;
        let title = edit.title.as_deref().map(|t| validate::text(Field::Title, t, validate::TITLE_MAX)).transpose()?;
        let description = edit
            .description
            .as_deref()
            .map(|d| validate::optional_text(Field::Description, d, validate::DESCRIPTION_MAX))
            .transpose()?;
        let (starts, ends) = (edit.starts.unwrap_or(g.starts), edit.ends.unwrap_or(g.ends));
        check_days(starts, ends)?;
        let place = edit.place.as_ref().map(|p| clean_place(p.as_deref())).transpose()?;
        self.write(me, now, |tx| {
            if let Some(t) = &title {
                tx.put(&obj, "title", t.as_str())?;
            }
            if let Some(d) = &description {
                tx.put(&obj, "description", d.as_str())?;
            }
            if edit.starts.is_some() {
                tx.put(&obj, "starts", starts.to_string())?;
            }
            if edit.ends.is_some() {
                tx.put(&obj, "ends", ends.to_string())?;
            }
            match place {
                Some(Some(p)) => tx.put(&obj, "place", p)?,
                Some(None) => super::build::clear(tx, &obj, "place")?,
                None => {}
            }
            if let Some(c) = edit.cancelled {
                tx.put(&obj, "cancelled", c)?;
            }
            tx.put(&obj, "updated_at", ScalarValue::Timestamp(now.millis()))
        })
    }

    /// Says whether one is coming to a gathering.
    pub fn attend(
        &mut self,
        me: &Identity,
        id: GatheringId,
        coming: bool,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let (obj, g) = self.gathering(id)?;
        if coming && g.cancelled {
            return Err(ValidationError::GatheringCancelled { title: g.title }.into());
        }
        let attending = child_map(self.automerge(), &obj, "attending")
            .ok_or_else(|| WriteError::Other(format!("the gathering '{}' has no attending map", g.title)))?;
        self.write(me, now, |tx| tx.put(&attending, me.member().to_string(), coming))
    }

    /// Posts a task of a gathering (checked as any task; its deadline defaults to the
    /// gathering's first day).
    #[allow(clippy::too_many_arguments)]
    pub fn add_gathering_task(
        &mut self,
        id: TaskId,
        gathering: GatheringId,
        me: &Identity,
        task: &NewTask,
        people: &PeopleView,
        today: Date,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let (_, g) = self.gathering(gathering)?;
        if g.cancelled {
            return Err(ValidationError::GatheringCancelled { title: g.title }.into());
        }
        let task = NewTask {
            deadline: task.deadline.or(Some(g.starts)),
            location: task.location.clone().or_else(|| g.place.clone()),
            ..task.clone()
        };
        let checked = super::board::check_new_task_fields(&task, people, today)?;
        let tasks = root_map(self.automerge(), "tasks")
            .ok_or_else(|| WriteError::Other("the board has no tasks map".into()))?;
        require_new(self.automerge(), &tasks, "task", &id.to_string())?;
        let record = super::board::task_record(&checked, me, now).str("gathering", gathering.to_string());
        self.write(me, now, |tx| record.create(tx, &tasks, &id.to_string()).map(|_| ()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{DocId, DocName, people};
    use crate::model::Urgency;
    use crate::verify::{Verifier, parse_change};

    #[test]
    fn a_gathering_with_its_tasks_and_who_is_coming() {
        let now = Timestamp::midday("2026-05-04".parse().unwrap());
        let today = now.date();
        let (_, ana) = Identity::generate();
        let (_, bob) = Identity::generate();
        let (community, mut people, _) = people::found(&ana, "Riverside", "Ana", now).unwrap();
        people.admit_member(&ana, bob.member(), "Bob", bob.device(), bob.cert(), now).unwrap();
        let view = PeopleView::read(people.automerge());
        let (mut board, _) = Document::from_genesis(DocId { community, name: DocName::Board }).unwrap();
        let id = GatheringId::random();
        let new = NewGathering {
            title: "Harvest weekend".into(),
            description: String::new(),
            starts: "2026-06-13".parse().unwrap(),
            ends: Some("2026-06-14".parse().unwrap()),
            place: Some("The meadow".into()),
        };
        let changes = board.add_gathering(id, &ana, &new, &view, today, now).unwrap();
        assert_eq!(changes.len(), 2, "the board's upgrade, then the gathering");
        let task = NewTask {
            title: "Cook for sixty".into(),
            description: String::new(),
            sector: "food".parse().unwrap(),
            guild: None,
            skills: BTreeSet::new(),
            hours: crate::time::Minutes(240),
            slots: 4,
            urgency: Urgency::Normal,
            deadline: None,
            location: None,
            open_to_neighbours: false,
        };
        let t = TaskId::random();
        board.add_gathering_task(t, id, &ana, &task, &view, today, now).unwrap();
        let bob_comes = board.clone().attend(&bob, id, true, &view, now).unwrap();
        let parsed = parse_change(&bob_comes.bytes).unwrap();
        Verifier::new(board.id()).verify(&board, &view, &parsed, bob_comes.signature.as_ref()).unwrap();
        board.apply(vec![automerge::Change::from_bytes(bob_comes.bytes.clone()).unwrap()]).unwrap();
        let b = super::super::board::BoardView::read(board.automerge());
        let g = &b.gatherings[&id];
        assert_eq!(g.attending, [ana.member(), bob.member()].into_iter().collect());
        let task = &b.tasks[&t];
        assert_eq!(task.gathering, Some(id));
        assert_eq!(task.deadline, Some(g.starts), "a gathering's task is due when it starts");
        assert_eq!(task.location.as_deref(), Some("The meadow"));
        // Too long, or ending before it starts: refused.
        let long = NewGathering { ends: Some("2026-07-13".parse().unwrap()), ..new.clone() };
        assert!(board.clone().add_gathering(GatheringId::random(), &ana, &long, &view, today, now).is_err());
    }
}
