//! Decisions by consent: proposals in the board document, the stances members take on them,
//! and the outcome someone writes once a proposal is decided.
//!
//! ```text
//! proposals: { <proposal>: {
//!     title, details, kind (consent | advice | consensus), round_ms,
//!     guild?, flag?, task?, sector?,          what the proposal is about (a concern, an imbalance)
//!     created_by, created_at, updated_at?,
//!     closed:   { <round>: at }               the author closing a round before its time
//!     withdrawn?: at
//!     stances:  { <member>: { <millis>: { round, stance, reason? } } }   every stance ever taken
//!     outcome?: { text, by, at, review? } } }
//! ```
//!
//! Nothing about a proposal's course is written but what people do: its rounds and their
//! results are computed from the proposal, its stances and the time, the same on every
//! device. A round runs `round_ms` from its opening (or until its author closes it); at its
//! end its result is computed from each member's last stance in it. An objection (consent) or
//! a block (consensus) opens the next round at once, up to [`MAX_ROUNDS`]; any other result
//! ends the proposal. A stance is kept with the time it was taken (its key), so a member's
//! earlier stances stay as its history; only the last one in a round counts, and only if it
//! was taken before the round ended.
//!
//! Verification (`crate::verify`) holds each stance to its member (nobody writes another's)
//! and to its round's latest possible end (`created_at + round × round_ms`, fixed when the
//! proposal is made): a stance later than that is refused on every device, whatever order
//! changes arrive in. A round the author closed early ends sooner; a stance taken between
//! the early close and that bound is kept but never counted, on every device alike.

use std::collections::BTreeMap;

use automerge::Automerge;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::build::Rec;
use super::people::PeopleView;
use super::read::{Record, SchemaError, child_map, fields, records, root_map};
use super::{Document, WriteError, require_new};
use crate::id::{FlagId, GuildId, MemberId, ProposalId, SectorId, TaskId};
use crate::identity::{Identity, SignedChange};
use crate::model::word_enum;
use crate::time::{Date, Timestamp};
use crate::validate::{self, Field, ValidationError};

/// A proposal has at most this many rounds: after as many objections, it is not decided.
pub const MAX_ROUNDS: u32 = 5;
/// How long a round runs unless its proposal says otherwise: seven days.
pub const DEFAULT_ROUND_HOURS: u32 = 7 * 24;
/// The shortest and the longest round, in hours.
pub const ROUND_HOURS_MIN: u32 = 1;
pub const ROUND_HOURS_MAX: u32 = 60 * 24;
/// Characters in a proposal's details, a stance's reason, an outcome.
pub const DETAILS_MAX: usize = 4000;
pub const REASON_MAX: usize = 2000;
pub const OUTCOME_MAX: usize = 4000;

const HOUR_MS: i64 = 3_600_000;

word_enum!(
    /// How a proposal is decided.
    ProposalKind, "kind of proposal", {
        /// Consent: it goes ahead unless someone objects (with a reason).
        Consent => "consent",
        /// Advice: members give their advice; the proposer decides.
        Advice => "advice",
        /// Consensus: members agree, abstain, disagree or block (with a reason).
        Consensus => "consensus",
    }
);

word_enum!(
    /// A member's stance on a proposal.
    Stance, "stance", {
        Consent => "consent",
        Objection => "objection",
        Agree => "agree",
        Abstain => "abstain",
        Disagree => "disagree",
        Block => "block",
    }
);

impl ProposalKind {
    /// The stances a member may take on a proposal of this kind.
    pub fn stances(self) -> &'static [Stance] {
        match self {
            Self::Consent => &[Stance::Consent, Stance::Objection],
            Self::Advice => &[Stance::Agree, Stance::Abstain],
            Self::Consensus => &[Stance::Agree, Stance::Abstain, Stance::Disagree, Stance::Block],
        }
    }
}

impl Stance {
    /// Whether this stance must say why (it stops the proposal).
    pub fn needs_reason(self) -> bool {
        matches!(self, Self::Objection | Self::Block)
    }
}

word_enum!(
    /// What a round ended with.
    RoundResult, "round result", {
        /// Consent: nobody objected, and someone consented.
        Consented => "consented",
        /// Consent: someone objected; the next round opens.
        Objected => "objected",
        /// Advice: advice was given; the proposer goes ahead with it in mind.
        Advised => "advised",
        /// Consensus: more agreed than disagreed, and nobody blocked.
        Agreed => "agreed",
        /// Consensus: as many or more disagreed than agreed.
        NotAgreed => "not-agreed",
        /// Consensus: someone blocked; the next round opens.
        Blocked => "blocked",
        /// Nobody took a stance in time.
        Lapsed => "lapsed",
    }
);

impl RoundResult {
    /// Whether the proposal goes ahead (an outcome is written next).
    pub fn decided(self) -> bool {
        matches!(self, Self::Consented | Self::Advised | Self::Agreed)
    }

    /// Whether the next round opens.
    pub fn reopens(self) -> bool {
        matches!(self, Self::Objected | Self::Blocked)
    }
}

/// A stance as written: who, when (its key), in which round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StanceRecord {
    pub member: MemberId,
    pub at: Timestamp,
    pub round: u32,
    pub stance: Stance,
    pub reason: Option<String>,
}

/// What was decided, in a person's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Outcome {
    pub text: String,
    pub by: MemberId,
    pub at: Timestamp,
    /// When the community means to look at the decision again.
    pub review: Option<Date>,
}

/// A proposal as the board holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub id: ProposalId,
    pub title: String,
    pub details: String,
    pub kind: ProposalKind,
    pub round_ms: i64,
    pub guild: Option<GuildId>,
    pub flag: Option<FlagId>,
    pub task: Option<TaskId>,
    pub sector: Option<SectorId>,
    pub created_by: MemberId,
    pub created_at: Timestamp,
    pub updated_at: Option<Timestamp>,
    /// Rounds the author closed before their time.
    pub closed: BTreeMap<u32, Timestamp>,
    pub withdrawn: Option<Timestamp>,
    /// Every stance ever taken, in time order.
    pub stances: Vec<StanceRecord>,
    pub outcome: Option<Outcome>,
}

/// One round of a proposal, as it stands at some time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Round {
    pub n: u32,
    pub opened: Timestamp,
    /// When it ends (or ended): its time, or when its author closed it, or the withdrawal.
    pub closes: Timestamp,
    pub closed_early: bool,
    /// Each member's stance that counts: their last valid one in the round.
    pub stances: Vec<StanceRecord>,
    /// `None` while the round is open, or if the proposal was withdrawn during it.
    pub result: Option<RoundResult>,
}

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ProposalStatus {
    /// Taking stances, in this round.
    Open {
        round: u32,
    },
    /// Decided: it goes ahead (an outcome is, or is to be, written).
    Decided {
        result: RoundResult,
    },
    /// Ended without a decision (not agreed, nobody answered, or objections in every round).
    NotDecided {
        result: RoundResult,
    },
    Withdrawn,
}

impl Proposal {
    /// The latest a stance in round `n` may be taken, fixed when the proposal is made (the
    /// bound verification holds stances to; a round ends at it or sooner).
    pub fn latest_stance(created_at: Timestamp, round_ms: i64, n: u32) -> Timestamp {
        Timestamp(created_at.millis().saturating_add(round_ms.saturating_mul(i64::from(n))))
    }

    /// The rounds so far at `now`, the last one possibly open.
    pub fn rounds(&self, now: Timestamp) -> Vec<Round> {
        let mut out = Vec::new();
        let mut opened = self.created_at;
        for n in 1..=MAX_ROUNDS {
            let scheduled = Timestamp(opened.millis().saturating_add(self.round_ms));
            let early = self.closed.get(&n).copied().filter(|at| *at >= opened && *at < scheduled);
            let withdrawn = self.withdrawn.filter(|at| *at >= opened && *at < early.unwrap_or(scheduled));
            let closes = withdrawn.or(early).unwrap_or(scheduled);
            let stances = self.counted(n, opened, closes);
            let ended = withdrawn.is_some() || closes <= now;
            let result = (ended && withdrawn.is_none()).then(|| self.result_of(&stances));
            out.push(Round { n, opened, closes, closed_early: early.is_some(), stances, result });
            if !result.is_some_and(RoundResult::reopens) {
                break;
            }
            opened = closes;
        }
        out
    }

    /// Each member's last valid stance in round `n`, taken in `[opened, closes]`.
    fn counted(&self, n: u32, opened: Timestamp, closes: Timestamp) -> Vec<StanceRecord> {
        let mut last: BTreeMap<MemberId, &StanceRecord> = BTreeMap::new();
        for s in &self.stances {
            let valid = s.round == n
                && s.at >= opened
                && s.at <= closes
                && self.kind.stances().contains(&s.stance)
                && (!s.stance.needs_reason() || s.reason.is_some());
            if !valid {
                continue;
            }
            // The later one wins; at the same millisecond, the greater stance (any order would
            // do, as long as every device picks the same).
            match last.get(&s.member) {
                Some(prev) if (prev.at, prev.stance) >= (s.at, s.stance) => {}
                _ => {
                    last.insert(s.member, s);
                }
            }
        }
        last.into_values().cloned().collect()
    }

    fn result_of(&self, stances: &[StanceRecord]) -> RoundResult {
        let count = |st: Stance| stances.iter().filter(|s| s.stance == st).count();
        if stances.is_empty() {
            return RoundResult::Lapsed;
        }
        match self.kind {
            ProposalKind::Consent if count(Stance::Objection) > 0 => RoundResult::Objected,
            ProposalKind::Consent if count(Stance::Consent) > 0 => RoundResult::Consented,
            ProposalKind::Consent => RoundResult::Lapsed,
            ProposalKind::Advice => RoundResult::Advised,
            ProposalKind::Consensus if count(Stance::Block) > 0 => RoundResult::Blocked,
            ProposalKind::Consensus if count(Stance::Agree) > count(Stance::Disagree) => RoundResult::Agreed,
            ProposalKind::Consensus => RoundResult::NotAgreed,
        }
    }

    /// Where the proposal stands at `now`.
    pub fn status(&self, now: Timestamp) -> ProposalStatus {
        let rounds = self.rounds(now);
        let Some(last) = rounds.last() else { return ProposalStatus::Withdrawn };
        match last.result {
            None if self.withdrawn.is_some_and(|w| w <= last.closes) && last.closes <= now => ProposalStatus::Withdrawn,
            None => ProposalStatus::Open { round: last.n },
            Some(r) if r.decided() => ProposalStatus::Decided { result: r },
            Some(r) => ProposalStatus::NotDecided { result: r },
        }
    }

    /// The round open at `now`, if any.
    pub fn open_round(&self, now: Timestamp) -> Option<Round> {
        self.rounds(now).into_iter().last().filter(|r| r.result.is_none() && r.closes > now)
    }

    /// A member's stance that counts in the round open at `now` (or the last round).
    pub fn stance_of(&self, member: &MemberId, now: Timestamp) -> Option<StanceRecord> {
        let round = self.rounds(now).into_iter().last()?;
        round.stances.into_iter().find(|s| s.member == *member)
    }
}

/// Every proposal of a board, by id (records that break the schema are skipped).
pub fn read_all(doc: &Automerge) -> (BTreeMap<ProposalId, Proposal>, Vec<SchemaError>) {
    let mut out = BTreeMap::new();
    let mut skipped = Vec::new();
    for (key, obj) in root_map(doc, "proposals").map(|o| records(doc, &o)).unwrap_or_default() {
        match read_proposal(doc, &key, &obj) {
            Ok(p) => {
                out.insert(p.id, p);
            }
            Err(e) => skipped.push(e),
        }
    }
    (out, skipped)
}

fn bad(record: &str, field: &str, problem: &str) -> SchemaError {
    SchemaError { record: record.to_owned(), field: field.to_owned(), problem: problem.to_owned() }
}

fn read_proposal(doc: &Automerge, key: &str, obj: &automerge::ObjId) -> Result<Proposal, SchemaError> {
    let name = format!("proposals/{key}");
    let rec = Record::read(doc, obj, &name);
    let id: ProposalId = key.parse().map_err(|_| bad(key, "id", "is not a proposal id"))?;
    let round_ms = i64::try_from(rec.uint("round_ms")?).map_err(|_| bad(&name, "round_ms", "is too large"))?;
    if round_ms < i64::from(ROUND_HOURS_MIN) * HOUR_MS || round_ms > i64::from(ROUND_HOURS_MAX) * HOUR_MS {
        return Err(bad(&name, "round_ms", "is not a possible round"));
    }
    let mut closed = BTreeMap::new();
    if let Some(c) = child_map(doc, obj, "closed") {
        for (round, field) in fields(doc, &c) {
            if let (Ok(n), super::read::Field::Timestamp(at)) = (round.parse::<u32>(), field) {
                closed.insert(n, Timestamp(at));
            }
        }
    }
    let mut stances = Vec::new();
    if let Some(all) = child_map(doc, obj, "stances") {
        for (member, by_member) in records(doc, &all) {
            let Ok(member) = member.parse::<MemberId>() else { continue };
            for (millis, s) in records(doc, &by_member) {
                let Ok(at) = millis.parse::<i64>() else { continue };
                let r = Record::read(doc, &s, &format!("{name}/stances"));
                let (Ok(round), Ok(stance)) = (r.u32("round"), r.parse::<Stance>("stance")) else { continue };
                let reason = r.opt_str("reason").ok().flatten().map(str::to_owned);
                stances.push(StanceRecord { member, at: Timestamp(at), round, stance, reason });
            }
        }
    }
    stances.sort_by_key(|s| (s.at, s.member, s.stance));
    let outcome = match child_map(doc, obj, "outcome") {
        Some(o) => {
            let r = Record::read(doc, &o, &format!("{name}/outcome"));
            Some(Outcome {
                text: r.str("text")?.to_owned(),
                by: r.parse("by")?,
                at: r.timestamp("at")?,
                review: r.opt_parse("review")?,
            })
        }
        None => None,
    };
    Ok(Proposal {
        id,
        title: rec.str("title")?.to_owned(),
        details: rec.opt_str("details")?.unwrap_or_default().to_owned(),
        kind: rec.parse("kind")?,
        round_ms,
        guild: rec.opt_parse("guild")?,
        flag: rec.opt_parse("flag")?,
        task: rec.opt_parse("task")?,
        sector: rec.opt_parse("sector")?,
        created_by: rec.parse("created_by")?,
        created_at: rec.timestamp("created_at")?,
        updated_at: if rec.has("updated_at") { Some(rec.timestamp("updated_at")?) } else { None },
        closed,
        withdrawn: if rec.has("withdrawn") { Some(rec.timestamp("withdrawn")?) } else { None },
        stances,
        outcome,
    })
}

/// A new proposal, as a member writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewProposal {
    pub title: String,
    #[serde(default)]
    pub details: String,
    pub kind: ProposalKind,
    /// How long each round runs, in hours (default seven days).
    #[serde(default)]
    pub round_hours: Option<u32>,
    #[serde(default)]
    pub guild: Option<GuildId>,
    /// The concern it answers.
    #[serde(default)]
    pub flag: Option<FlagId>,
    #[serde(default)]
    pub task: Option<TaskId>,
    /// The sector it is about (an imbalance).
    #[serde(default)]
    pub sector: Option<SectorId>,
}

fn proposals_map(doc: &Automerge) -> Result<automerge::ObjId, WriteError> {
    root_map(doc, "proposals").ok_or_else(|| WriteError::Other("the board has no proposals map".into()))
}

impl Document {
    fn proposal(&self, id: ProposalId) -> Result<(automerge::ObjId, Proposal), ValidationError> {
        root_map(self.automerge(), "proposals")
            .and_then(|all| child_map(self.automerge(), &all, &id.to_string()))
            .and_then(|obj| read_proposal(self.automerge(), &id.to_string(), &obj).ok().map(|p| (obj, p)))
            .ok_or(ValidationError::UnknownProposal { proposal: id })
    }

    /// Opens a proposal; its first round opens now.
    pub fn open_proposal(
        &mut self,
        id: ProposalId,
        me: &Identity,
        new: &NewProposal,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let title = validate::text(Field::Title, &new.title, validate::TITLE_MAX)?;
        let details = validate::optional_text(Field::Details, &new.details, DETAILS_MAX)?;
        let hours = new.round_hours.unwrap_or(DEFAULT_ROUND_HOURS);
        if !(ROUND_HOURS_MIN..=ROUND_HOURS_MAX).contains(&hours) {
            return Err(ValidationError::RoundLength { hours, min: ROUND_HOURS_MIN, max: ROUND_HOURS_MAX }.into());
        }
        if let Some(g) = new.guild
            && !people.guilds.contains_key(&g)
        {
            return Err(ValidationError::UnknownGuild { guild: g }.into());
        }
        if let Some(s) = &new.sector {
            people.require_sector(s)?;
        }
        if let Some(t) = new.task {
            super::board::BoardView::read_task(self.automerge(), t)?;
        }
        if let Some(f) = new.flag {
            let known = root_map(self.automerge(), "flags")
                .and_then(|flags| child_map(self.automerge(), &flags, &f.to_string()))
                .is_some();
            if !known {
                return Err(ValidationError::UnknownFlag { flag: f }.into());
            }
        }
        let all = proposals_map(self.automerge())?;
        require_new(self.automerge(), &all, "proposal", &id.to_string())?;
        self.write(me, now, |tx| {
            Rec::new()
                .str("title", &title)
                .str("details", &details)
                .str("kind", new.kind.as_str())
                .uint("round_ms", u64::from(hours) * 3_600_000)
                .opt_str("guild", new.guild.map(|g| g.to_string()))
                .opt_str("flag", new.flag.map(|f| f.to_string()))
                .opt_str("task", new.task.map(|t| t.to_string()))
                .opt_str("sector", new.sector.as_ref().map(SectorId::as_str))
                .str("created_by", me.member().to_string())
                .timestamp("created_at", now.millis())
                .map("closed", Rec::new())
                .map("stances", Rec::new())
                .create(tx, &all, &id.to_string())?;
            Ok(())
        })
    }

    /// Takes (or changes) a stance in the round open now. The earlier stances stay, as history.
    pub fn take_stance(
        &mut self,
        me: &Identity,
        id: ProposalId,
        stance: Stance,
        reason: Option<&str>,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let (obj, p) = self.proposal(id)?;
        let round = p.open_round(now).ok_or_else(|| ValidationError::ProposalNotOpen { title: p.title.clone() })?;
        if !p.kind.stances().contains(&stance) {
            return Err(ValidationError::StanceNotForKind {
                stance: stance.to_string(),
                proposal_kind: p.kind.to_string(),
                choices: p.kind.stances().iter().map(ToString::to_string).collect(),
            }
            .into());
        }
        let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => Some(validate::text(Field::Reason, r, REASON_MAX)?),
            None if stance.needs_reason() => {
                return Err(ValidationError::ReasonNeeded { stance: stance.to_string() }.into());
            }
            None => None,
        };
        let stances = child_map(self.automerge(), &obj, "stances")
            .ok_or_else(|| WriteError::Other(format!("the proposal '{}' has no stances map", p.title)))?;
        let member_key = me.member().to_string();
        let mine = child_map(self.automerge(), &stances, &member_key);
        // Two stances within one millisecond: the second is written a millisecond later.
        let mut at = now.millis();
        if let Some(m) = &mine {
            while child_map(self.automerge(), m, &at.to_string()).is_some() {
                at += 1;
            }
        }
        let record =
            Rec::new().uint("round", u64::from(round.n)).str("stance", stance.as_str()).opt_str("reason", reason);
        self.write(me, Timestamp(at), |tx| {
            match mine {
                Some(m) => {
                    record.create(tx, &m, &at.to_string())?;
                }
                None => {
                    Rec::new().map(&at.to_string(), record).create(tx, &stances, &member_key)?;
                }
            }
            Ok(())
        })
    }

    /// The author closes the open round now, before its time.
    pub fn close_round(&mut self, me: &Identity, id: ProposalId, now: Timestamp) -> Result<SignedChange, WriteError> {
        let (obj, p) = self.proposal(id)?;
        if p.created_by != me.member() {
            return Err(ValidationError::NotProposalAuthor { title: p.title }.into());
        }
        let round = p.open_round(now).ok_or_else(|| ValidationError::ProposalNotOpen { title: p.title.clone() })?;
        let closed = child_map(self.automerge(), &obj, "closed")
            .ok_or_else(|| WriteError::Other(format!("the proposal '{}' has no closed map", p.title)))?;
        self.write(me, now, |tx| {
            use automerge::transaction::Transactable;
            tx.put(&closed, round.n.to_string(), automerge::ScalarValue::Timestamp(now.millis()))?;
            Ok(())
        })
    }

    /// The author withdraws a proposal that is still open.
    pub fn withdraw_proposal(
        &mut self,
        me: &Identity,
        id: ProposalId,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let (obj, p) = self.proposal(id)?;
        if p.created_by != me.member() {
            return Err(ValidationError::NotProposalAuthor { title: p.title }.into());
        }
        if p.open_round(now).is_none() {
            return Err(ValidationError::ProposalNotOpen { title: p.title }.into());
        }
        self.write(me, now, |tx| {
            use automerge::transaction::Transactable;
            tx.put(&obj, "withdrawn", automerge::ScalarValue::Timestamp(now.millis()))?;
            Ok(())
        })
    }

    /// The author rewords a proposal that is still open (after an objection, say).
    pub fn edit_proposal(
        &mut self,
        me: &Identity,
        id: ProposalId,
        title: Option<&str>,
        details: Option<&str>,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let (obj, p) = self.proposal(id)?;
        if p.created_by != me.member() {
            return Err(ValidationError::NotProposalAuthor { title: p.title }.into());
        }
        if p.open_round(now).is_none() {
            return Err(ValidationError::ProposalNotOpen { title: p.title }.into());
        }
        let title = title.map(|t| validate::text(Field::Title, t, validate::TITLE_MAX)).transpose()?;
        let details = details.map(|d| validate::optional_text(Field::Details, d, DETAILS_MAX)).transpose()?;
        self.write(me, now, |tx| {
            use automerge::transaction::Transactable;
            if let Some(t) = &title {
                tx.put(&obj, "title", t.as_str())?;
            }
            if let Some(d) = &details {
                tx.put(&obj, "details", d.as_str())?;
            }
            tx.put(&obj, "updated_at", automerge::ScalarValue::Timestamp(now.millis()))?;
            Ok(())
        })
    }

    /// Writes what was decided, once the proposal is decided, with an optional review date.
    pub fn write_outcome(
        &mut self,
        me: &Identity,
        id: ProposalId,
        text: &str,
        review: Option<Date>,
        people: &PeopleView,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if !people.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let (obj, p) = self.proposal(id)?;
        if !matches!(p.status(now), ProposalStatus::Decided { .. }) {
            return Err(ValidationError::NotDecided { title: p.title }.into());
        }
        if p.outcome.is_some() {
            return Err(ValidationError::OutcomeWritten { title: p.title }.into());
        }
        let text = validate::text(Field::Outcome, text, OUTCOME_MAX)?;
        if let Some(d) = review
            && d < now.date()
        {
            return Err(ValidationError::ReviewInPast { date: d, today: now.date() }.into());
        }
        self.write(me, now, |tx| {
            Rec::new()
                .str("text", &text)
                .str("by", me.member().to_string())
                .timestamp("at", now.millis())
                .opt_str("review", review.map(|d| d.to_string()))
                .create(tx, &obj, "outcome")?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use automerge::ScalarValue;
    use automerge::transaction::Transactable;

    use super::*;
    use crate::doc::people::{self, PeopleView};
    use crate::doc::{DocId, DocName};
    use crate::verify::{Verifier, VerifyError, parse_change};

    const HOUR: i64 = 3_600_000;

    struct World {
        ana: Identity,
        bob: Identity,
        cleo: Identity,
        people: Document,
        board: Document,
        now: Timestamp,
    }

    fn world() -> World {
        let now = Timestamp::midday("2026-05-04".parse().unwrap());
        let (_, ana) = Identity::generate();
        let (_, bob) = Identity::generate();
        let (_, cleo) = Identity::generate();
        let (community, mut people, _) = people::found(&ana, "Riverside", "Ana", now).unwrap();
        people.admit_member(&ana, bob.member(), "Bob", bob.device(), bob.cert(), now).unwrap();
        people.admit_member(&ana, cleo.member(), "Cleo", cleo.device(), cleo.cert(), now).unwrap();
        let (board, _) = Document::from_genesis(DocId { community, name: DocName::Board }).unwrap();
        World { ana, bob, cleo, people, board, now }
    }

    impl World {
        fn view(&self) -> PeopleView {
            PeopleView::read(self.people.automerge())
        }

        fn at(&self, hours: i64) -> Timestamp {
            Timestamp(self.now.millis() + hours * HOUR)
        }

        fn open(&mut self, kind: ProposalKind) -> ProposalId {
            let id = ProposalId::random();
            let new = NewProposal {
                title: "Move the tool library to the hall".into(),
                details: "The shed leaks.".into(),
                kind,
                round_hours: Some(48),
                guild: None,
                flag: None,
                task: None,
                sector: None,
            };
            let view = self.view();
            self.board.open_proposal(id, &self.ana, &new, &view, self.now).unwrap();
            id
        }

        fn stance(&mut self, who: &Identity, id: ProposalId, s: Stance, reason: Option<&str>, hours: i64) {
            let (view, at) = (self.view(), self.at(hours));
            self.board.take_stance(who, id, s, reason, &view, at).unwrap();
        }

        fn proposal(&self, id: ProposalId) -> Proposal {
            super::super::board::BoardView::read(self.board.automerge()).proposals[&id].clone()
        }

        fn verify(&self, doc: &Document, change: &SignedChange) -> Result<(), VerifyError> {
            let parsed = parse_change(&change.bytes).unwrap();
            Verifier::new(doc.id()).verify(doc, &self.view(), &parsed, change.signature.as_ref()).map(|_| ())
        }
    }

    #[test]
    fn an_objection_opens_a_second_round_and_consent_then_decides() {
        let mut w = world();
        let id = w.open(ProposalKind::Consent);
        let (ana, bob) = (w.ana.clone(), w.bob.clone());
        w.stance(&ana, id, Stance::Consent, None, 1);
        w.stance(&bob, id, Stance::Objection, Some("The hall is booked on Saturdays"), 2);
        let p = w.proposal(id);
        assert_eq!(p.status(w.at(3)), ProposalStatus::Open { round: 1 });
        // Round 1 ends after 48 hours with an objection: round 2 opens at once, for 48 more.
        assert_eq!(p.status(w.at(49)), ProposalStatus::Open { round: 2 });
        let rounds = p.rounds(w.at(49));
        assert_eq!(rounds[0].result, Some(RoundResult::Objected));
        assert_eq!((rounds[1].opened, rounds[1].closes), (w.at(48), w.at(96)));
        // Bob changes his stance in round 2; his objection stays as history.
        w.stance(&bob, id, Stance::Consent, None, 50);
        let p = w.proposal(id);
        assert_eq!(p.stances.len(), 3);
        assert_eq!(p.stance_of(&bob.member(), w.at(51)).unwrap().stance, Stance::Consent);
        assert_eq!(p.status(w.at(97)), ProposalStatus::Decided { result: RoundResult::Consented });
        // Too late now: the round is over.
        let view = w.view();
        let late = w.board.take_stance(&bob, id, Stance::Objection, Some("too late"), &view, w.at(98));
        assert!(matches!(late, Err(WriteError::Validation(ValidationError::ProposalNotOpen { .. }))), "{late:?}");
        // Someone writes what was decided, with a date to look at it again.
        let review: Date = "2026-11-01".parse().unwrap();
        let cleo = w.cleo.clone();
        w.board.write_outcome(&cleo, id, "The library moves in June.", Some(review), &view, w.at(99)).unwrap();
        let again = w.board.write_outcome(&ana, id, "Twice", None, &view, w.at(100));
        assert!(matches!(again, Err(WriteError::Validation(ValidationError::OutcomeWritten { .. }))));
        assert_eq!(w.proposal(id).outcome.unwrap().review, Some(review));
    }

    #[test]
    fn what_a_stance_must_say_and_who_closes_a_round() {
        let mut w = world();
        let id = w.open(ProposalKind::Consensus);
        let view = w.view();
        let (ana, bob) = (w.ana.clone(), w.bob.clone());
        let no_reason = w.board.take_stance(&bob, id, Stance::Block, Some("  "), &view, w.at(1));
        assert!(matches!(no_reason, Err(WriteError::Validation(ValidationError::ReasonNeeded { .. }))));
        let wrong = w.board.take_stance(&bob, id, Stance::Objection, Some("no"), &view, w.at(1));
        assert!(matches!(wrong, Err(WriteError::Validation(ValidationError::StanceNotForKind { .. }))));
        let not_author = w.board.close_round(&bob, id, w.at(2));
        assert!(matches!(not_author, Err(WriteError::Validation(ValidationError::NotProposalAuthor { .. }))));
        w.stance(&ana, id, Stance::Agree, None, 3);
        w.stance(&bob, id, Stance::Disagree, None, 4);
        // The author closes the round early: a tie is not agreement.
        w.board.close_round(&ana, id, w.at(5)).unwrap();
        let p = w.proposal(id);
        assert_eq!(p.status(w.at(5)), ProposalStatus::NotDecided { result: RoundResult::NotAgreed });
        assert!(p.rounds(w.at(5))[0].closed_early);
    }

    #[test]
    fn a_block_reopens_a_consensus_and_withdrawing_ends_it() {
        let mut w = world();
        let id = w.open(ProposalKind::Consensus);
        let (ana, cleo) = (w.ana.clone(), w.cleo.clone());
        w.stance(&cleo, id, Stance::Block, Some("It breaks our agreement with the school"), 1);
        w.stance(&ana, id, Stance::Agree, None, 2);
        assert_eq!(w.proposal(id).rounds(w.at(49))[0].result, Some(RoundResult::Blocked));
        w.board.withdraw_proposal(&ana, id, w.at(50)).unwrap();
        assert_eq!(w.proposal(id).status(w.at(51)), ProposalStatus::Withdrawn);
        // Advice: any advice given, the proposer goes ahead.
        let id = w.open(ProposalKind::Advice);
        w.stance(&cleo, id, Stance::Abstain, None, 1);
        assert_eq!(w.proposal(id).status(w.at(48)), ProposalStatus::Decided { result: RoundResult::Advised });
        // Nobody answered: lapsed.
        let id = w.open(ProposalKind::Consent);
        assert_eq!(w.proposal(id).status(w.at(48)), ProposalStatus::NotDecided { result: RoundResult::Lapsed });
    }

    #[test]
    fn stances_taken_apart_during_a_partition_converge_to_one_result() {
        let mut w = world();
        let id = w.open(ProposalKind::Consent);
        let view = w.view();
        let mut left = w.board.clone();
        let mut right = w.board.clone();
        left.take_stance(&w.ana, id, Stance::Consent, None, &view, w.at(1)).unwrap();
        right.take_stance(&w.bob, id, Stance::Objection, Some("Not before the harvest"), &view, w.at(2)).unwrap();
        left.take_stance(&w.cleo, id, Stance::Consent, None, &view, w.at(3)).unwrap();
        // Bob changes his mind: his objection stays as history, his consent counts.
        right.take_stance(&w.bob, id, Stance::Consent, None, &view, w.at(4)).unwrap();
        // Healed: each side takes the other's changes.
        let all = |d: &Document| d.automerge().get_changes(&[]);
        let (from_left, from_right) = (all(&left), all(&right));
        left.apply(from_right).unwrap();
        right.apply(from_left).unwrap();
        let read = |d: &Document| super::super::board::BoardView::read(d.automerge()).proposals[&id].clone();
        assert_eq!(read(&left), read(&right));
        // Bob's later stance counts: consent from all three.
        assert_eq!(read(&left).status(w.at(48)), ProposalStatus::Decided { result: RoundResult::Consented });
        assert_eq!(read(&right).status(w.at(48)), ProposalStatus::Decided { result: RoundResult::Consented });
    }

    #[test]
    fn forged_late_and_others_stances_are_refused_by_verification() {
        let mut w = world();
        let id = w.open(ProposalKind::Consent);
        let view = w.view();
        // An honest stance passes.
        let honest = w.board.clone().take_stance(&w.bob, id, Stance::Objection, Some("why"), &view, w.at(1)).unwrap();
        w.verify(&w.board, &honest).unwrap();
        let stances = {
            let am = w.board.automerge();
            let all = root_map(am, "proposals").unwrap();
            let p = child_map(am, &all, &id.to_string()).unwrap();
            child_map(am, &p, "stances").unwrap()
        };
        let raw = |who: &Identity, member: &MemberId, at: i64, round: u64| {
            let member = member.to_string();
            w.board
                .clone()
                .write(who, w.at(1), |tx| {
                    let m = tx.put_object(&stances, member.as_str(), automerge::ObjType::Map)?;
                    let s = tx.put_object(&m, at.to_string(), automerge::ObjType::Map)?;
                    tx.put(&s, "round", round)?;
                    tx.put(&s, "stance", "consent")?;
                    Ok(())
                })
                .unwrap()
        };
        // Ana writes a stance in Bob's name.
        let forged = raw(&w.ana, &w.bob.member(), w.at(1).millis(), 1);
        let e = w.verify(&w.board, &forged).unwrap_err();
        assert!(e.to_string().contains("another member"), "{e}");
        // Bob writes a stance dated after round 1 could have ended, or in an impossible round.
        let late = raw(&w.bob, &w.bob.member(), w.at(49).millis(), 1);
        assert!(w.verify(&w.board, &late).is_err());
        let round_9 = raw(&w.bob, &w.bob.member(), w.at(1).millis(), 9);
        assert!(w.verify(&w.board, &round_9).is_err());
        // Within round 2's bound, it passes (whether it counts is the reader's to say).
        let second = raw(&w.bob, &w.bob.member(), w.at(60).millis(), 2);
        w.verify(&w.board, &second).unwrap();
        // Only the author closes a round or withdraws.
        let p = {
            let am = w.board.automerge();
            let all = root_map(am, "proposals").unwrap();
            child_map(am, &all, &id.to_string()).unwrap()
        };
        let withdraw = w
            .board
            .clone()
            .write(&w.bob, w.at(2), |tx| tx.put(&p, "withdrawn", ScalarValue::Timestamp(w.at(2).millis())))
            .unwrap();
        assert!(w.verify(&w.board, &withdraw).is_err());
    }
}
