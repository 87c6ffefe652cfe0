//! Handlers for the ledgers: hours, confirmations, feedback, and what the hours add up to.

use weft_core::doc::board::BoardView;
use weft_core::doc::ledger::{LedgerView, check_entry};
use weft_core::doc::people::PeopleView;
use weft_core::doc::{Document, WriteError};
use weft_core::identity::{Identity, SignedChange};
use weft_core::model::{HourEntry, Verdict};
use weft_core::views;
use weft_core::{CommunityId, Date, EntryId, Minutes, Month, PledgeId, SectorId, TaskId, Timestamp};

use super::State;
use super::community::{Touched, member_name};
use crate::api::{EntryInfo, FeedbackInfo, PendingInfo, Response};
use crate::error::{NodeError, Refusal};

impl State {
    /// Logs the caller's hours, for a task or for a sector of a community.
    pub(super) fn log(
        &mut self,
        community: Option<&str>,
        task: Option<&str>,
        sector: Option<SectorId>,
        minutes: Minutes,
        date: Option<Date>,
        note: &str,
    ) -> Result<Response, NodeError> {
        let (c, task) = match task {
            Some(t) => {
                let (c, t) = self.resolve_task(t)?;
                if let Some(r) = community {
                    let named = self.resolve_community(Some(r))?;
                    if named != c {
                        return Err(Refusal::TaskInOtherCommunity.into());
                    }
                }
                (c, Some(t))
            }
            None => (self.resolve_community(community)?, None),
        };
        let today = self.clock.today();
        let date = date.unwrap_or(today);
        let com = self.community(c)?;
        // Hours for a closed task are fine: people log after the work is done.
        let task_sector = match task {
            Some(t) => Some((t, com.board().require_task(t)?.sector.clone())),
            None => None,
        };
        if let Some(s) = &sector {
            com.people().require_sector(s)?;
        }
        let entry = check_entry(minutes, task_sector, sector, date, note, today)?;
        let year = date.year();
        let id = EntryId::random();
        self.write_ledger(c, year, |ledger, w| {
            Ok((ledger.log_hours(id, &w.me, &entry, w.now)?, [Touched::Entry(year, id)]))
        })?;
        self.entry_info(c, year, id).map(Response::Entry)
    }

    fn entry_info(&mut self, c: CommunityId, year: i32, id: EntryId) -> Result<EntryInfo, NodeError> {
        self.read_ledger(c, year)?;
        let clocks = EntryClocks { off: self.members_clock_off(), today: self.clock.today() };
        let v = self.community(c)?.views();
        let ledger = v.ledgers.get(&year).ok_or_else(|| NodeError::NotFound(format!("no ledger for {year}")))?;
        let e = ledger.entries.get(&id).ok_or_else(|| NodeError::NotFound(format!("no entry {}", id.short())))?;
        Ok(to_entry_info(c, e, v.people, v.board, &clocks))
    }

    /// Confirms another member's entry, or retracts one's own.
    pub(super) fn confirm(&mut self, entry: &str, retract: bool) -> Result<Response, NodeError> {
        let (c, year, id) = self.resolve_entry(entry)?;
        self.write_ledger(c, year, |ledger, w| {
            let change = if retract {
                ledger.retract_entry(&w.me, id, w.now)?
            } else {
                ledger.confirm_entry(&w.me, id, w.now)?
            };
            Ok((change, [Touched::Entry(year, id)]))
        })?;
        self.entry_info(c, year, id).map(Response::Entry)
    }

    /// Entries waiting for the caller's confirmation, and the caller's unconfirmed ones.
    pub(super) fn pending(&mut self, community: Option<&str>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let me = self.me()?;
        let year = self.clock.today().year();
        self.read_ledger(c, year)?;
        let clocks = EntryClocks { off: self.members_clock_off(), today: self.clock.today() };
        let v = self.community(c)?.views();
        let empty = LedgerView::default();
        let ledger = v.ledgers.get(&year).unwrap_or(&empty);
        let (others, mine) = views::awaiting_confirmation(ledger, me);
        Ok(Response::Pending(PendingInfo {
            to_confirm: others.into_iter().take(100).map(|e| to_entry_info(c, e, v.people, v.board, &clocks)).collect(),
            mine_unconfirmed: mine.into_iter().map(|e| to_entry_info(c, e, v.people, v.board, &clocks)).collect(),
        }))
    }

    pub(super) fn feedback(&mut self, task: &str, verdict: Verdict) -> Result<Response, NodeError> {
        let (c, t) = self.resolve_task(task)?;
        let title = self.community(c)?.board().require_task(t)?.title.clone();
        self.write_pair(c, t, |ledger, me, now| ledger.give_feedback(me, t, verdict, now))?;
        Ok(Response::Feedback(FeedbackInfo { task: t, title, verdict }))
    }

    /// Writes the caller's record about a task (feedback, a decline: keyed `<task>.<member>`)
    /// into this year's ledger of the task's community, starting that ledger if need be.
    pub(super) fn write_pair(
        &mut self,
        c: CommunityId,
        t: TaskId,
        write: impl FnOnce(&mut Document, &Identity, Timestamp) -> Result<SignedChange, WriteError>,
    ) -> Result<(), NodeError> {
        let year = self.clock.today().year();
        let pair = PledgeId { task: t, member: self.me()? };
        self.write_ledger(c, year, |ledger, w| Ok((write(ledger, &w.me, w.now)?, [Touched::Pair(year, pair)])))
    }

    /// Each sector's collective progress in a month (this month if none).
    pub(super) fn progress(&mut self, community: Option<&str>, month: Option<Month>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let month = month.unwrap_or_else(|| self.clock.today().month());
        self.read_ledger(c, month.year())?;
        let visitors = self.visitor_minutes(c, month)?;
        let v = self.community(c)?.views();
        let ledger = v.ledgers.get(&month.year());
        let mut progress = views::progress(v.people, v.board, ledger, month);
        for s in &mut progress.sectors {
            s.visitors = visitors.get(&s.sector).map(|m| Minutes(*m));
        }
        Ok(Response::Progress(progress))
    }

    /// The caller's own hours per sector in a year, against the baseline.
    pub(super) fn my_hours(&mut self, community: Option<&str>, year: Option<i32>) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let me = self.me()?;
        let today = self.clock.today();
        let year = year.unwrap_or(today.year());
        self.read_ledger(c, year)?;
        let v = self.community(c)?.views();
        let empty = LedgerView::default();
        let ledger = v.ledgers.get(&year).unwrap_or(&empty);
        Ok(Response::Hours(views::member_year(v.people, ledger, me, year, today)))
    }
}

/// What the entries' dates are weighed against: the computers whose clocks are off, and today.
struct EntryClocks {
    off: std::collections::HashMap<weft_core::id::MemberId, i64>,
    today: Date,
}

impl EntryClocks {
    /// Words flagging an entry whose date may be wrong: its writer's clock is off, or it is
    /// dated after today (which no right clock allows).
    fn flag(&self, e: &HourEntry) -> Option<String> {
        match self.off.get(&e.member) {
            Some(off) => Some(format!(
                "logged on a computer whose clock is about {} {}: its date may be wrong",
                super::clocks::about(off.unsigned_abs()),
                if *off > 0 { "ahead" } else { "behind" }
            )),
            None if e.date > self.today => {
                Some("dated after today: the computer it was logged on has its clock ahead".to_owned())
            }
            None => None,
        }
    }
}

fn to_entry_info(
    c: CommunityId,
    e: &HourEntry,
    people: &PeopleView,
    board: &BoardView,
    clocks: &EntryClocks,
) -> EntryInfo {
    EntryInfo {
        clock: clocks.flag(e),
        id: e.id,
        community: c,
        member: e.member,
        member_name: member_name(people, &e.member),
        task: e.task,
        task_title: e.task.and_then(|t| board.tasks.get(&t)).map(|t| t.title.clone()),
        sector: e.sector.clone(),
        minutes: e.minutes,
        date: e.date,
        note: e.note.clone(),
        confirmed_by: e.confirmations.keys().map(|m| member_name(people, m)).collect(),
        retracted: e.retracted,
    }
}
