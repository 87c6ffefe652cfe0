//! Crews: a few members (fewer than eight, as the Microsolidarity practice has it) who meet on
//! a rhythm, check in with each other and review how it goes. They live in the people document,
//! whose `crews` root every community has had since its genesis.
//!
//! ```text
//! crews: { <crew>: { name, purpose, open, created_by, created_at, updated_at?, review?, ended?,
//!                    rhythm: { repeat?, every?, nth?, weekday?, starts?, time?, minutes?, place? },
//!                    members: { <member>: { joined_at, left_at? } },
//!                    invited: { <member>: <when> },
//!                    notes:   { <member>: { <millis>: { kind, text } } } } }
//! ```
//!
//! Who may write what is checked per change like everything else: each member writes only their
//! own membership and notes (`Who::Own`); the crew's name, rhythm, invitations and end only its
//! members (`Who::CrewMember`). The size cap holds for readers, deterministically: members in
//! order of joining (then by id), the first [`CREW_MAX`] are the crew and the rest wait, so two
//! members joining the last place at once on two devices never make a crew of nine anywhere.
//! A member of a crew "by invitation" who was not invited is not counted at all.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjId, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::build::Rec;
use super::people::PeopleView;
use super::read::{Record, SchemaError, child_map, fields, records, root_map};
use super::series::Repeat;
use super::{Document, WriteError, require_new};
use crate::id::{CrewId, MemberId};
use crate::identity::{Identity, SignedChange};
use crate::model::word_enum;
use crate::time::{Date, Timestamp};
use crate::validate::{self, Field, ValidationError};

/// A crew is fewer than eight people.
pub const CREW_MAX: usize = 7;
pub const PURPOSE_MAX: usize = 1_000;
pub const NOTE_MAX: usize = 2_000;
/// A meeting lasts 15 minutes to 8 hours.
pub const MEETING_MINUTES_MIN: u32 = 15;
pub const MEETING_MINUTES_MAX: u32 = 8 * 60;
/// The last minute of a day a meeting may start at.
pub const TIME_MAX: u32 = 24 * 60 - 1;

word_enum!(
    /// What a crew's note records.
    NoteKind, "kind of note", {
        /// How a member is, said at a meeting.
        CheckIn => "check-in",
        /// How the crew is going: what to keep, what to change, whether to go on.
        Review => "review",
    }
);

/// When a crew meets: a day rhythm as a series has, a time of day and how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Rhythm {
    pub repeat: Repeat,
    /// The first day it may meet.
    pub starts: Date,
    /// Minutes after midnight, local time wherever the crew meets (19:00 = 1140).
    pub time: u32,
    /// How long a meeting lasts, in minutes.
    pub minutes: u32,
    pub place: Option<String>,
}

impl Rhythm {
    fn check(&self) -> Result<(), ValidationError> {
        self.repeat.check()?;
        if self.time > TIME_MAX {
            return Err(ValidationError::MeetingTime { time: self.time });
        }
        if !(MEETING_MINUTES_MIN..=MEETING_MINUTES_MAX).contains(&self.minutes) {
            return Err(ValidationError::MeetingLength {
                minutes: self.minutes,
                min: MEETING_MINUTES_MIN,
                max: MEETING_MINUTES_MAX,
            });
        }
        Ok(())
    }

    /// The days it meets in `[from, to]`.
    pub fn meetings(&self, from: Date, to: Date) -> Vec<Date> {
        self.repeat.days(self.starts, from, to)
    }

    /// The next day it meets, from `today` on (within a year).
    pub fn next(&self, today: Date) -> Option<Date> {
        let to = today.add_days(366)?;
        self.meetings(today, to).into_iter().next()
    }

    /// "every 2 weeks on Tuesday at 19:00".
    pub fn describe(&self) -> String {
        format!("{} at {:02}:{:02}", self.repeat.describe(), self.time / 60, self.time % 60)
    }
}

/// A note a member wrote in a crew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CrewNote {
    pub member: MemberId,
    pub at: Timestamp,
    pub kind: NoteKind,
    pub text: String,
}

/// A crew as readers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Crew {
    pub id: CrewId,
    pub name: String,
    pub purpose: String,
    /// Anyone may join (else only those its members invited).
    pub open: bool,
    pub created_by: MemberId,
    pub created_at: Timestamp,
    pub rhythm: Option<Rhythm>,
    /// When the crew means to review how it goes.
    pub review: Option<Date>,
    /// When it ended (it meets no more).
    pub ended: Option<Timestamp>,
    /// Its members, in the order they joined (at most [`CREW_MAX`]).
    pub members: Vec<MemberId>,
    /// Who joined once it was full, in order: they move up as places free.
    pub waiting: Vec<MemberId>,
    pub invited: BTreeSet<MemberId>,
    /// Oldest first.
    pub notes: Vec<CrewNote>,
}

impl Crew {
    pub fn has(&self, member: &MemberId) -> bool {
        self.members.contains(member)
    }

    /// Whether `member` may join it (as far as being let in goes; it may be full).
    pub fn lets_in(&self, member: &MemberId) -> bool {
        self.open || self.invited.contains(member) || self.created_by == *member
    }

    pub fn is_full(&self) -> bool {
        self.members.len() >= CREW_MAX
    }
}

/// Every crew of a people document. `removed` are the members the community removed: they
/// leave every crew. Records that break the schema are skipped.
pub fn read_all(doc: &Automerge, removed: &BTreeSet<MemberId>) -> (BTreeMap<CrewId, Crew>, Vec<SchemaError>) {
    let mut out = BTreeMap::new();
    let mut skipped = Vec::new();
    for (key, obj) in root_map(doc, "crews").map(|o| records(doc, &o)).unwrap_or_default() {
        match read_crew(doc, &key, &obj, removed) {
            Ok(c) => {
                out.insert(c.id, c);
            }
            Err(e) => skipped.push(e),
        }
    }
    (out, skipped)
}

/// The members a people document says were removed.
pub fn removed_members(doc: &Automerge) -> BTreeSet<MemberId> {
    root_map(doc, "removed")
        .map(|o| records(doc, &o).into_iter().filter_map(|(k, _)| k.parse().ok()).collect())
        .unwrap_or_default()
}

fn read_rhythm(doc: &Automerge, obj: &ObjId, name: &str) -> Result<Option<Rhythm>, SchemaError> {
    let Some(r) = child_map(doc, obj, "rhythm") else { return Ok(None) };
    let rec = Record::read(doc, &r, name);
    if !rec.has("repeat") {
        return Ok(None);
    }
    let bad = |field: &str, problem: &str| SchemaError {
        record: name.to_owned(),
        field: field.to_owned(),
        problem: problem.to_owned(),
    };
    let weekday = u8::try_from(rec.u32("weekday")?).map_err(|_| bad("weekday", "is not a weekday"))?;
    let repeat = match rec.str("repeat")? {
        "weekly" => Repeat::Weekly { every: rec.u32("every")?, weekday },
        "monthly" => Repeat::Monthly { nth: rec.u32("nth")?, weekday },
        _ => return Err(bad("repeat", "is neither weekly nor monthly")),
    };
    let rhythm = Rhythm {
        repeat,
        starts: rec.parse("starts")?,
        time: rec.u32("time")?,
        minutes: rec.u32("minutes")?,
        place: rec.opt_str("place")?.map(str::to_owned),
    };
    rhythm.check().map_err(|e| bad("rhythm", &e.to_string()))?;
    Ok(Some(rhythm))
}

fn read_crew(doc: &Automerge, key: &str, obj: &ObjId, removed: &BTreeSet<MemberId>) -> Result<Crew, SchemaError> {
    let name = format!("crews/{key}");
    let rec = Record::read(doc, obj, &name);
    let id: CrewId = key.parse().map_err(|_| SchemaError {
        record: name.clone(),
        field: "id".into(),
        problem: "is not a crew id".into(),
    })?;
    let mut invited = BTreeSet::new();
    if let Some(i) = child_map(doc, obj, "invited") {
        invited.extend(fields(doc, &i).into_iter().filter_map(|(k, _)| k.parse::<MemberId>().ok()));
    }
    let created_by: MemberId = rec.parse("created_by")?;
    let open = rec.bool("open")?;
    let lets_in = |m: &MemberId| open || invited.contains(m) || created_by == *m;
    let mut joined: Vec<(Timestamp, MemberId)> = Vec::new();
    if let Some(all) = child_map(doc, obj, "members") {
        for (k, m) in records(doc, &all) {
            let Ok(member) = k.parse::<MemberId>() else { continue };
            let r = Record::read(doc, &m, &format!("{name}/members/{k}"));
            let Ok(at) = r.timestamp("joined_at") else { continue };
            if r.has("left_at") || removed.contains(&member) || !lets_in(&member) {
                continue;
            }
            joined.push((at, member));
        }
    }
    joined.sort();
    let mut members: Vec<MemberId> = joined.into_iter().map(|(_, m)| m).collect();
    let waiting = if members.len() > CREW_MAX { members.split_off(CREW_MAX) } else { Vec::new() };
    let mut notes = Vec::new();
    if let Some(all) = child_map(doc, obj, "notes") {
        for (k, by) in records(doc, &all) {
            let Ok(member) = k.parse::<MemberId>() else { continue };
            for (millis, n) in records(doc, &by) {
                let r = Record::read(doc, &n, &format!("{name}/notes/{k}/{millis}"));
                let (Ok(at), Ok(kind), Ok(text)) = (millis.parse::<i64>(), r.parse::<NoteKind>("kind"), r.str("text"))
                else {
                    continue;
                };
                notes.push(CrewNote { member, at: Timestamp(at), kind, text: text.to_owned() });
            }
        }
    }
    notes.sort_by_key(|n| (n.at, n.member));
    let ended = match doc.get(obj, "ended") {
        Ok(Some((automerge::Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Timestamp(t) => Some(Timestamp(*t)),
            _ => None,
        },
        _ => None,
    };
    Ok(Crew {
        id,
        name: rec.str("name")?.to_owned(),
        purpose: rec.opt_str("purpose")?.unwrap_or_default().to_owned(),
        open,
        created_by,
        created_at: rec.timestamp("created_at")?,
        rhythm: read_rhythm(doc, obj, &format!("{name}/rhythm"))?,
        review: rec.opt_parse("review")?,
        ended,
        members,
        waiting,
        invited,
        notes,
    })
}

/// A new crew. Its founder is its first member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewCrew {
    pub name: String,
    #[serde(default)]
    pub purpose: String,
    /// Anyone may join; else only those its members invite.
    #[serde(default)]
    pub open: bool,
    #[serde(default)]
    pub rhythm: Option<Rhythm>,
    #[serde(default)]
    pub review: Option<Date>,
}

/// A change to a crew (`None`: unchanged; `Some(None)`: cleared).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct CrewEdit {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub open: Option<bool>,
    #[serde(default, deserialize_with = "crate::model::present", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rhythm: Option<Option<Rhythm>>,
    #[serde(default, deserialize_with = "crate::model::present", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub review: Option<Option<Date>>,
    /// End the crew (it meets no more), or start it again.
    #[serde(default)]
    pub ended: Option<bool>,
}

fn rhythm_fields(r: &Rhythm) -> Vec<(&'static str, ScalarValue)> {
    let (repeat, every, nth, weekday) = match r.repeat {
        Repeat::Weekly { every, weekday } => ("weekly", every, 1, weekday),
        Repeat::Monthly { nth, weekday } => ("monthly", 1, nth, weekday),
    };
    let mut out = vec![
        ("repeat", ScalarValue::Str(repeat.into())),
        ("every", ScalarValue::Uint(u64::from(every))),
        ("nth", ScalarValue::Uint(u64::from(nth))),
        ("weekday", ScalarValue::Uint(u64::from(weekday))),
        ("starts", ScalarValue::Str(r.starts.to_string().into())),
        ("time", ScalarValue::Uint(u64::from(r.time))),
        ("minutes", ScalarValue::Uint(u64::from(r.minutes))),
    ];
    if let Some(p) = &r.place {
        out.push(("place", ScalarValue::Str(p.as_str().into())));
    }
    out
}

const RHYTHM_KEYS: &[&str] = &["repeat", "every", "nth", "weekday", "starts", "time", "minutes", "place"];

fn clean_rhythm(r: &Rhythm) -> Result<Rhythm, ValidationError> {
    r.check()?;
    let place = match r.place.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(validate::text(Field::Location, p, validate::LOCATION_MAX)?),
        None => None,
    };
    Ok(Rhythm { place, ..r.clone() })
}

impl Document {
    fn crews_map(&self) -> Result<ObjId, WriteError> {
        root_map(self.automerge(), "crews").ok_or_else(|| WriteError::Other("the people document has no crews".into()))
    }

    /// A crew as readers see it, with its record.
    pub fn crew(&self, id: CrewId) -> Result<(ObjId, Crew), ValidationError> {
        let removed = removed_members(self.automerge());
        root_map(self.automerge(), "crews")
            .and_then(|all| child_map(self.automerge(), &all, &id.to_string()))
            .and_then(|obj| read_crew(self.automerge(), &id.to_string(), &obj, &removed).ok().map(|c| (obj, c)))
            .ok_or(ValidationError::UnknownCrew { crew: id })
    }

    fn crew_of_mine(&self, me: &Identity, id: CrewId) -> Result<(ObjId, Crew), ValidationError> {
        let (obj, crew) = self.crew(id)?;
        if !crew.has(&me.member()) && !crew.waiting.contains(&me.member()) {
            return Err(ValidationError::NotInCrew { name: crew.name });
        }
        Ok((obj, crew))
    }

    /// Starts a crew, its founder its first member.
    pub fn create_crew(
        &mut self,
        id: CrewId,
        me: &Identity,
        new: &NewCrew,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let name = validate::text(Field::CrewName, &new.name, validate::NAME_MAX)?;
        let purpose = validate::optional_text(Field::Purpose, &new.purpose, PURPOSE_MAX)?;
        let rhythm = new.rhythm.as_ref().map(clean_rhythm).transpose()?;
        let all = self.crews_map()?;
        require_new(self.automerge(), &all, "crew", &id.to_string())?;
        let me_key = me.member().to_string();
        let rhythm_rec = rhythm.iter().flat_map(rhythm_fields).fold(Rec::new(), |r, (k, v)| match v {
            ScalarValue::Str(s) => r.str(k, s.as_str()),
            ScalarValue::Uint(u) => r.uint(k, u),
            _ => r,
        });
        let record = Rec::new()
            .str("name", &name)
            .str("purpose", &purpose)
            .bool("open", new.open)
            .str("created_by", &me_key)
            .timestamp("created_at", now.millis())
            .opt_str("review", new.review.map(|d| d.to_string()))
            .map("rhythm", rhythm_rec)
            .map("members", Rec::new().map(&me_key, Rec::new().timestamp("joined_at", now.millis())))
            .map("invited", Rec::new())
            .map("notes", Rec::new());
        self.write(me, now, |tx| record.create(tx, &all, &id.to_string()).map(|_| ()))
    }

    /// Joins a crew (open, or one whose members invited us) with a free place, or joins
    /// again after leaving.
    pub fn join_crew(
        &mut self,
        me: &Identity,
        id: CrewId,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let (obj, crew) = self.crew(id)?;
        if crew.ended.is_some() {
            return Err(ValidationError::CrewEnded { name: crew.name }.into());
        }
        if crew.has(&me.member()) || crew.waiting.contains(&me.member()) {
            return Err(ValidationError::AlreadyInCrew { name: crew.name }.into());
        }
        if !crew.lets_in(&me.member()) {
            return Err(ValidationError::CrewByInvitation { name: crew.name }.into());
        }
        if crew.is_full() {
            return Err(ValidationError::CrewFull { name: crew.name, max: CREW_MAX as u32 }.into());
        }
        let members = child_map(self.automerge(), &obj, "members")
            .ok_or_else(|| WriteError::Other(format!("the crew '{}' has no members map", crew.name)))?;
        let key = me.member().to_string();
        let mine = child_map(self.automerge(), &members, &key);
        self.write(me, now, |tx| {
            match mine {
                Some(m) => {
                    tx.put(&m, "joined_at", ScalarValue::Timestamp(now.millis()))?;
                    if ReadDoc::get(tx, &m, "left_at")?.is_some() {
                        tx.delete(&m, "left_at")?;
                    }
                }
                None => {
                    Rec::new().timestamp("joined_at", now.millis()).create(tx, &members, &key)?;
                }
            }
            Ok(())
        })
    }

    /// Leaves a crew (or its waiting list).
    pub fn leave_crew(&mut self, me: &Identity, id: CrewId, now: Timestamp) -> Result<SignedChange, WriteError> {
        let (obj, crew) = self.crew_of_mine(me, id)?;
        let mine = child_map(self.automerge(), &obj, "members")
            .and_then(|m| child_map(self.automerge(), &m, &me.member().to_string()))
            .ok_or_else(|| ValidationError::NotInCrew { name: crew.name.clone() })?;
        self.write(me, now, |tx| tx.put(&mine, "left_at", ScalarValue::Timestamp(now.millis())))
    }

    /// A member of the crew invites another member of the community to join it.
    pub fn invite_to_crew(
        &mut self,
        me: &Identity,
        id: CrewId,
        who: MemberId,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let (obj, crew) = self.crew_of_mine(me, id)?;
        if !people.is_current_member(&who) {
            return Err(ValidationError::NotAMember.into());
        }
        if crew.has(&who) {
            let name = people.members.get(&who).map_or_else(|| who.to_string(), |m| m.name.clone());
            return Err(ValidationError::AlreadyInCrew { name }.into());
        }
        let invited = child_map(self.automerge(), &obj, "invited")
            .ok_or_else(|| WriteError::Other(format!("the crew '{}' has no invitations map", crew.name)))?;
        self.write(me, now, |tx| tx.put(&invited, who.to_string(), ScalarValue::Timestamp(now.millis())))
    }

    /// Changes a crew: its name, purpose, openness, rhythm, review date, or ends it.
    pub fn edit_crew(
        &mut self,
        me: &Identity,
        id: CrewId,
        edit: &CrewEdit,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let (obj, crew) = self.crew_of_mine(me, id)?;
        let name = edit.name.as_deref().map(|n| validate::text(Field::CrewName, n, validate::NAME_MAX)).transpose()?;
        let purpose =
            edit.purpose.as_deref().map(|p| validate::optional_text(Field::Purpose, p, PURPOSE_MAX)).transpose()?;
        let rhythm = match &edit.rhythm {
            Some(Some(r)) => Some(Some(clean_rhythm(r)?)),
            Some(None) => Some(None),
            None => None,
        };
        let rhythm_obj = child_map(self.automerge(), &obj, "rhythm")
            .ok_or_else(|| WriteError::Other(format!("the crew '{}' has no rhythm map", crew.name)))?;
        self.write(me, now, |tx| {
            if let Some(n) = &name {
                tx.put(&obj, "name", n.as_str())?;
            }
            if let Some(p) = &purpose {
                tx.put(&obj, "purpose", p.as_str())?;
            }
            if let Some(open) = edit.open {
                tx.put(&obj, "open", open)?;
            }
            match &edit.review {
                Some(Some(d)) => tx.put(&obj, "review", d.to_string())?,
                Some(None) => super::build::clear(tx, &obj, "review")?,
                None => {}
            }
            match edit.ended {
                Some(true) => tx.put(&obj, "ended", ScalarValue::Timestamp(now.millis()))?,
                Some(false) => super::build::clear(tx, &obj, "ended")?,
                None => {}
            }
            if let Some(r) = &rhythm {
                for k in RHYTHM_KEYS {
                    super::build::clear(tx, &rhythm_obj, k)?;
                }
                for (k, v) in r.iter().flat_map(rhythm_fields) {
                    tx.put(&rhythm_obj, k, v)?;
                }
            }
            tx.put(&obj, "updated_at", ScalarValue::Timestamp(now.millis()))
        })
    }

    /// Records a check-in or a review in a crew one belongs to.
    pub fn crew_note(
        &mut self,
        me: &Identity,
        id: CrewId,
        kind: NoteKind,
        text: &str,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let (obj, crew) = self.crew_of_mine(me, id)?;
        let text = validate::text(Field::Note, text, NOTE_MAX)?;
        let notes = child_map(self.automerge(), &obj, "notes")
            .ok_or_else(|| WriteError::Other(format!("the crew '{}' has no notes map", crew.name)))?;
        let key = me.member().to_string();
        let mine = child_map(self.automerge(), &notes, &key);
        let mut at = now.millis();
        if let Some(m) = &mine {
            while child_map(self.automerge(), m, &at.to_string()).is_some() {
                at += 1;
            }
        }
        let record = Rec::new().str("kind", kind.as_str()).str("text", &text);
        self.write(me, Timestamp(at), |tx| {
            match mine {
                Some(m) => {
                    record.create(tx, &m, &at.to_string())?;
                }
                None => {
                    Rec::new().map(&at.to_string(), record).create(tx, &notes, &key)?;
                }
            }
            Ok(())
        })
    }
}

/// Whether `member` counts as a member of the crew whose record is `crew` (for verification:
/// joined, not left, and let in).
pub(crate) fn is_crew_member(doc: &Automerge, crew: &ObjId, member: &str) -> bool {
    let created_by = matches!(doc.get(crew, "created_by"), Ok(Some((automerge::Value::Scalar(s), _)))
        if matches!(s.as_ref(), ScalarValue::Str(v) if v.as_str() == member));
    let open = matches!(doc.get(crew, "open"), Ok(Some((automerge::Value::Scalar(s), _)))
        if matches!(s.as_ref(), ScalarValue::Boolean(true)));
    let invited = child_map(doc, crew, "invited").is_some_and(|i| matches!(doc.get(&i, member), Ok(Some(_))));
    let joined = child_map(doc, crew, "members")
        .and_then(|m| child_map(doc, &m, member))
        .is_some_and(|m| !matches!(doc.get(&m, "left_at"), Ok(Some(_))));
    joined && (open || invited || created_by)
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;

    use super::*;
    use crate::doc::people;
    use crate::verify::{Verifier, VerifyError, parse_change};

    struct World {
        ids: Vec<Identity>,
        people: Document,
        now: Timestamp,
    }

    /// A community of `n` members; the first founded it.
    fn world(n: usize) -> World {
        let now = Timestamp::midday("2026-05-04".parse().unwrap());
        let ids: Vec<Identity> = (0..n).map(|_| Identity::generate().1).collect();
        let (_, mut people, _) = people::found(&ids[0], "Riverside", "Member 0", now).unwrap();
        for (i, who) in ids.iter().enumerate().skip(1) {
            people.admit_member(&ids[0], who.member(), &format!("Member {i}"), who.device(), who.cert(), now).unwrap();
        }
        World { ids, people, now }
    }

    impl World {
        fn view(&self) -> PeopleView {
            PeopleView::read(self.people.automerge())
        }

        fn at(&self, minutes: i64) -> Timestamp {
            Timestamp(self.now.millis() + minutes * 60_000)
        }

        fn create(&mut self, open: bool) -> CrewId {
            let id = CrewId::random();
            let new = NewCrew {
                name: "Tuesday circle".into(),
                purpose: "Peer coaching".into(),
                open,
                rhythm: Some(Rhythm {
                    repeat: Repeat::Weekly { every: 2, weekday: 1 },
                    starts: "2026-05-04".parse().unwrap(),
                    time: 19 * 60,
                    minutes: 90,
                    place: Some("The library".into()),
                }),
                review: None,
            };
            let view = self.view();
            self.people.create_crew(id, &self.ids[0], &new, &view, self.now).unwrap();
            id
        }

        fn verify(&self, doc: &Document, change: &SignedChange) -> Result<(), VerifyError> {
            let parsed = parse_change(&change.bytes).unwrap();
            Verifier::new(doc.id()).verify(doc, &self.view(), &parsed, change.signature.as_ref()).map(|_| ())
        }
    }

    #[test]
    fn a_crew_meets_on_its_rhythm_and_its_founder_is_in_it() {
        let mut w = world(2);
        let id = w.create(true);
        let crew = &w.view().crews[&id];
        assert_eq!(crew.members, vec![w.ids[0].member()]);
        let r = crew.rhythm.clone().unwrap();
        assert_eq!(r.describe(), "every 2 weeks on Tuesday at 19:00");
        // The first Tuesday on or after Monday 4 May, then every second one.
        assert_eq!(r.next("2026-05-04".parse().unwrap()), Some("2026-05-05".parse().unwrap()));
        assert_eq!(r.next("2026-05-06".parse().unwrap()), Some("2026-05-19".parse().unwrap()));
    }

    #[test]
    fn the_cap_holds_when_two_members_take_the_last_place_at_once() {
        let mut w = world(9);
        let id = w.create(true);
        for i in 1..6 {
            let (view, at) = (w.view(), w.at(i64::try_from(i).unwrap()));
            let who = w.ids[i].clone();
            w.people.join_crew(&who, id, &view, at).unwrap();
        }
        assert_eq!(w.view().crews[&id].members.len(), 6);
        // Two devices, apart: members 6 and 7 each take the seventh and last place.
        let view = w.view();
        let mut left = w.people.clone();
        let mut right = w.people.clone();
        left.join_crew(&w.ids[6], id, &view, w.at(20)).unwrap();
        right.join_crew(&w.ids[7], id, &view, w.at(10)).unwrap();
        let all = |d: &Document| d.automerge().get_changes(&[]);
        let (from_left, from_right) = (all(&left), all(&right));
        left.apply(from_right).unwrap();
        right.apply(from_left).unwrap();
        let (l, r) = (PeopleView::read(left.automerge()), PeopleView::read(right.automerge()));
        assert_eq!(l.crews, r.crews, "every device sees the same crew");
        let crew = &l.crews[&id];
        assert_eq!(crew.members.len(), CREW_MAX);
        // Member 7 joined first (by time): in; member 6 waits.
        assert!(crew.has(&w.ids[7].member()));
        assert_eq!(crew.waiting, vec![w.ids[6].member()]);
        // A place frees: the one waiting moves up.
        let who = w.ids[1].clone();
        left.leave_crew(&who, id, w.at(30)).unwrap();
        assert!(PeopleView::read(left.automerge()).crews[&id].has(&w.ids[6].member()));
        // And a full crew refuses a ninth at once.
        let view = PeopleView::read(right.automerge());
        let e = right.join_crew(&w.ids[8], id, &view, w.at(40)).unwrap_err();
        assert!(matches!(e, WriteError::Validation(ValidationError::CrewFull { .. })), "{e}");
    }

    #[test]
    fn a_crew_by_invitation_counts_only_those_invited() {
        let mut w = world(3);
        let id = w.create(false);
        let view = w.view();
        let e = w.people.clone().join_crew(&w.ids[1], id, &view, w.at(1)).unwrap_err();
        assert!(matches!(e, WriteError::Validation(ValidationError::CrewByInvitation { .. })), "{e}");
        let founder = w.ids[0].clone();
        w.people.invite_to_crew(&founder, id, w.ids[1].member(), &view, w.at(1)).unwrap();
        let view = w.view();
        let who = w.ids[1].clone();
        w.people.join_crew(&who, id, &view, w.at(2)).unwrap();
        assert!(w.view().crews[&id].has(&w.ids[1].member()));
    }

    #[test]
    fn nobody_writes_anothers_membership_or_notes_and_only_members_edit_the_crew() {
        let mut w = world(3);
        let id = w.create(true);
        let crew = {
            let am = w.people.automerge();
            let all = root_map(am, "crews").unwrap();
            child_map(am, &all, &id.to_string()).unwrap()
        };
        let members = child_map(w.people.automerge(), &crew, "members").unwrap();
        // Honest: member 1 joins; their change passes verification.
        let view = w.view();
        let honest = w.people.clone().join_crew(&w.ids[1], id, &view, w.at(1)).unwrap();
        w.verify(&w.people, &honest).unwrap();
        // Member 1 writes member 2 into the crew.
        let forged = w
            .people
            .clone()
            .write(&w.ids[1], w.at(1), |tx| {
                let m = tx.put_object(&members, w.ids[2].member().to_string(), automerge::ObjType::Map)?;
                tx.put(&m, "joined_at", ScalarValue::Timestamp(w.at(1).millis()))
            })
            .unwrap();
        let e = w.verify(&w.people, &forged).unwrap_err();
        assert!(e.to_string().contains("another member"), "{e}");
        // Member 2, not in the crew, renames it.
        let rename = w.people.clone().write(&w.ids[2], w.at(1), |tx| tx.put(&crew, "name", "Ours now")).unwrap();
        let e = w.verify(&w.people, &rename).unwrap_err();
        assert!(e.to_string().contains("crew's members"), "{e}");
        // The founder may.
        let rename = w.people.clone().write(&w.ids[0], w.at(1), |tx| tx.put(&crew, "name", "Tuesdays")).unwrap();
        w.verify(&w.people, &rename).unwrap();
        // A note is its writer's own.
        let founder = w.ids[0].clone();
        let note = w.people.clone().crew_note(&founder, id, NoteKind::CheckIn, "Tired but glad", w.at(2)).unwrap();
        w.verify(&w.people, &note).unwrap();
    }
}
