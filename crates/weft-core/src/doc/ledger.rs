//! A ledger document: one calendar year of hour entries, confirmations and feedback.
//!
//! ```text
//! schema: "weft/ledger/1"
//! year: 2026
//! entries:  { <entry>: { member, task?, sector, minutes, date, note, created_at, retracted?,
//!                        confirmations: { <member>: timestamp } } }
//! feedback: { <task>.<member>: { task, member, verdict, at } }
//! declines: { <task>.<member>: { task, member, at } }      "not for me", for the matcher
//! ```

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{Automerge, AutomergeError, ObjId, ScalarValue};

use super::build::Rec;
use super::read::{Field, Record, SchemaError, child_map, fields, records, root_map};
use super::{Document, WriteError};
use crate::id::{EntryId, MemberId, PledgeId, SectorId, TaskId};
use crate::identity::{Identity, SignedChange};
use crate::model::{Feedback, HourEntry, Verdict};
use crate::time::{Date, Minutes, Timestamp};
use crate::validate::{self, ValidationError};

/// A "not for me" on a suggested task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    pub task: TaskId,
    pub member: MemberId,
    pub at: Timestamp,
}

/// Everything one year's ledger says, read and typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LedgerView {
    pub entries: BTreeMap<EntryId, HourEntry>,
    pub feedback: BTreeMap<PledgeId, Feedback>,
    pub declines: BTreeMap<PledgeId, Decline>,
    pub skipped: Vec<SchemaError>,
}

impl LedgerView {
    pub fn read(doc: &Automerge) -> Self {
        let mut view = Self::default();
        for (key, obj) in root_map(doc, "entries").map(|o| records(doc, &o)).unwrap_or_default() {
            match read_entry(doc, &key, &obj) {
                Ok(e) => {
                    view.entries.insert(e.id, e);
                }
                Err(e) => view.skipped.push(e),
            }
        }
        for (key, obj) in root_map(doc, "feedback").map(|o| records(doc, &o)).unwrap_or_default() {
            let rec = Record::read(doc, &obj, &format!("feedback/{key}"));
            match (key.parse::<PledgeId>(), rec.parse::<Verdict>("verdict"), rec.timestamp("at")) {
                (Ok(id), Ok(verdict), Ok(at)) => {
                    view.feedback.insert(id, Feedback { task: id.task, member: id.member, verdict, at });
                }
                (_, Err(e), _) | (_, _, Err(e)) => view.skipped.push(e),
                (Err(_), _, _) => view.skipped.push(SchemaError {
                    record: key,
                    field: "id".into(),
                    problem: "is not a task.member pair".into(),
                }),
            }
        }
        for (key, obj) in root_map(doc, "declines").map(|o| records(doc, &o)).unwrap_or_default() {
            let rec = Record::read(doc, &obj, &format!("declines/{key}"));
            match (key.parse::<PledgeId>(), rec.timestamp("at")) {
                (Ok(id), Ok(at)) => {
                    view.declines.insert(id, Decline { task: id.task, member: id.member, at });
                }
                (_, Err(e)) => view.skipped.push(e),
                (Err(_), _) => view.skipped.push(SchemaError {
                    record: key,
                    field: "id".into(),
                    problem: "is not a task.member pair".into(),
                }),
            }
        }
        view
    }

    /// Reads one entry only (cheap on a large ledger).
    pub fn read_entry(doc: &Automerge, id: EntryId) -> Option<HourEntry> {
        let obj = root_map(doc, "entries").and_then(|e| child_map(doc, &e, &id.to_string()))?;
        read_entry(doc, &id.to_string(), &obj).ok()
    }

    /// Re-reads one entry after a change to it.
    pub fn refresh_entry(&mut self, doc: &Automerge, id: EntryId) {
        match Self::read_entry(doc, id) {
            Some(e) => {
                self.entries.insert(id, e);
            }
            None => {
                self.entries.remove(&id);
            }
        }
    }

    /// Re-reads one member's feedback on and "not for me" about a task.
    pub fn refresh_pair(&mut self, doc: &Automerge, id: PledgeId) {
        let key = id.to_string();
        self.feedback.remove(&id);
        self.declines.remove(&id);
        if let Some(obj) = root_map(doc, "feedback").and_then(|f| child_map(doc, &f, &key)) {
            let rec = Record::read(doc, &obj, &key);
            if let (Ok(verdict), Ok(at)) = (rec.parse::<Verdict>("verdict"), rec.timestamp("at")) {
                self.feedback.insert(id, Feedback { task: id.task, member: id.member, verdict, at });
            }
        }
        if let Some(obj) = root_map(doc, "declines").and_then(|f| child_map(doc, &f, &key))
            && let Ok(at) = Record::read(doc, &obj, &key).timestamp("at")
        {
            self.declines.insert(id, Decline { task: id.task, member: id.member, at });
        }
    }

    /// Entries that count: not retracted.
    pub fn counted(&self) -> impl Iterator<Item = &HourEntry> {
        self.entries.values().filter(|e| !e.retracted)
    }
}

fn read_entry(doc: &Automerge, key: &str, obj: &ObjId) -> Result<HourEntry, SchemaError> {
    let rec = Record::read(doc, obj, &format!("entries/{key}"));
    let mut confirmations = BTreeMap::new();
    for (member, field) in fields(doc, rec.map("confirmations")?) {
        if let (Ok(member), Field::Timestamp(at)) = (member.parse(), field) {
            confirmations.insert(member, Timestamp(at));
        }
    }
    Ok(HourEntry {
        id: key.parse().map_err(|_| SchemaError {
            record: key.to_owned(),
            field: "id".into(),
            problem: "is not an entry id".into(),
        })?,
        member: rec.parse("member")?,
        task: rec.opt_parse("task")?,
        sector: rec.parse("sector")?,
        minutes: rec.minutes("minutes")?,
        date: rec.parse("date")?,
        note: rec.opt_str("note")?.unwrap_or_default().to_owned(),
        created_at: rec.timestamp("created_at")?,
        retracted: rec.flag("retracted")?,
        confirmations,
    })
}

fn container(doc: &Automerge, key: &str) -> Result<ObjId, AutomergeError> {
    root_map(doc, key).ok_or_else(|| AutomergeError::InvalidObjId(format!("the ledger has no '{key}' map")))
}

/// An hour entry, checked: the sector is resolved (from the task if there is one).
#[derive(Debug, Clone)]
pub struct CheckedEntry {
    pub minutes: Minutes,
    pub task: Option<TaskId>,
    pub sector: SectorId,
    pub date: Date,
    pub note: String,
}

/// Checks what a member typed to log hours. `task_sector` is the sector of the task, if the
/// hours are for a task (the caller looked it up on the board).
pub fn check_entry(
    minutes: Minutes,
    task: Option<(TaskId, SectorId)>,
    sector: Option<SectorId>,
    date: Date,
    note: &str,
    today: Date,
) -> Result<CheckedEntry, ValidationError> {
    if minutes.get() == 0 || minutes > validate::ENTRY_MAX {
        return Err(ValidationError::EntryHours { minutes, max: validate::ENTRY_MAX });
    }
    validate::entry_date(date, today)?;
    let note = validate::optional_text(validate::Field::Note, note, validate::NOTE_MAX)?;
    let (task, sector) = match (task, sector) {
        (Some((t, s)), _) => (Some(t), s),
        (None, Some(s)) => (None, s),
        (None, None) => return Err(ValidationError::NoSectorOrTask),
    };
    Ok(CheckedEntry { minutes, task, sector, date, note })
}

impl Document {
    /// Logs the writer's own hours under `id` (a fresh one, `EntryId::random()`; an id
    /// already in the ledger is refused). The entry must fall in this ledger's year.
    pub fn log_hours(
        &mut self,
        id: EntryId,
        me: &Identity,
        entry: &CheckedEntry,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if self.id.name != super::DocName::Ledger(entry.date.year()) {
            return Err(WriteError::WrongLedger { date: entry.date, doc: self.id.name });
        }
        let entries = container(&self.doc, "entries")?;
        super::require_new(&self.doc, &entries, "hour entry", &id.to_string())?;
        self.write(me, now, |tx| {
            Rec::new()
                .str("member", me.member().to_string())
                .opt_str("task", entry.task.map(|t| t.to_string()))
                .str("sector", entry.sector.as_str())
                .uint("minutes", u64::from(entry.minutes.get()))
                .str("date", entry.date.to_string())
                .str("note", &entry.note)
                .timestamp("created_at", now.millis())
                .map("confirmations", Rec::new())
                .create(tx, &entries, &id.to_string())
                .map(|_| ())
        })
    }

    /// Confirms another member's entry in this ledger.
    pub fn confirm_entry(&mut self, me: &Identity, id: EntryId, now: Timestamp) -> Result<SignedChange, WriteError> {
        let entry = LedgerView::read_entry(&self.doc, id).ok_or(ValidationError::UnknownEntry { entry: id })?;
        if entry.member == me.member() {
            return Err(ValidationError::OwnEntry.into());
        }
        if entry.retracted {
            return Err(ValidationError::Retracted.into());
        }
        if entry.confirmations.contains_key(&me.member()) {
            return Err(ValidationError::AlreadyConfirmed.into());
        }
        let obj = container(&self.doc, "entries")
            .ok()
            .and_then(|e| child_map(&self.doc, &e, &id.to_string()))
            .ok_or(ValidationError::UnknownEntry { entry: id })?;
        let confirmations =
            child_map(&self.doc, &obj, "confirmations").ok_or(ValidationError::UnknownEntry { entry: id })?;
        self.write(me, now, |tx| tx.put(&confirmations, me.member().to_string(), ScalarValue::Timestamp(now.millis())))
    }

    /// Retracts one of the writer's own entries (a mistake); it then counts nowhere.
    pub fn retract_entry(&mut self, me: &Identity, id: EntryId, now: Timestamp) -> Result<SignedChange, WriteError> {
        let entry = LedgerView::read_entry(&self.doc, id).ok_or(ValidationError::UnknownEntry { entry: id })?;
        if entry.member != me.member() {
            return Err(ValidationError::NotYourEntry.into());
        }
        if entry.retracted {
            return Err(ValidationError::Retracted.into());
        }
        let obj = container(&self.doc, "entries")
            .ok()
            .and_then(|e| child_map(&self.doc, &e, &id.to_string()))
            .ok_or(ValidationError::UnknownEntry { entry: id })?;
        self.write(me, now, |tx| tx.put(&obj, "retracted", true))
    }

    /// Records (or changes) the writer's feedback on a task.
    pub fn give_feedback(
        &mut self,
        me: &Identity,
        task: TaskId,
        verdict: Verdict,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let feedback = container(&self.doc, "feedback")?;
        let key = PledgeId { task, member: me.member() }.to_string();
        let existing = child_map(&self.doc, &feedback, &key);
        self.write(me, now, |tx| match existing {
            Some(obj) => {
                tx.put(&obj, "verdict", verdict.as_str())?;
                tx.put(&obj, "at", ScalarValue::Timestamp(now.millis()))
            }
            None => Rec::new()
                .str("task", task.to_string())
                .str("member", me.member().to_string())
                .str("verdict", verdict.as_str())
                .timestamp("at", now.millis())
                .create(tx, &feedback, &key)
                .map(|_| ()),
        })
    }

    /// Records that the writer declined a suggested task ("not for me").
    pub fn decline_task(&mut self, me: &Identity, task: TaskId, now: Timestamp) -> Result<SignedChange, WriteError> {
        let declines = container(&self.doc, "declines")?;
        let key = PledgeId { task, member: me.member() }.to_string();
        let existing = child_map(&self.doc, &declines, &key);
        self.write(me, now, |tx| match existing {
            Some(obj) => tx.put(&obj, "at", ScalarValue::Timestamp(now.millis())),
            None => Rec::new()
                .str("task", task.to_string())
                .str("member", me.member().to_string())
                .timestamp("at", now.millis())
                .create(tx, &declines, &key)
                .map(|_| ()),
        })
    }
}
