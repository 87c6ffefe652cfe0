//! Derived views: what the board, the ledger and the people document say together.
//!
//! Progress is always collective: per sector, for the whole community. The only per-member
//! figures are a member's own hours against the baseline, shown to that member.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::doc::board::BoardView;
use crate::doc::ledger::LedgerView;
use crate::doc::people::PeopleView;
use crate::id::{MemberId, SectorId, TaskId};
use crate::model::{Task, TaskStatus, Urgency};
use crate::time::{Date, Minutes, Month};

/// A task as the board lists it: with its places taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TaskSummary {
    #[serde(flatten)]
    pub task: Task,
    pub taken: u32,
    pub free: u32,
    /// Taken places whose member looks for someone to stand in.
    pub stand_ins: u32,
}

/// Open tasks with at least one free place, most pressing first: urgent before soon before
/// normal, then the nearest deadline, then the oldest, then by id.
pub fn open_tasks(board: &BoardView, sector: Option<&SectorId>) -> Vec<TaskSummary> {
    let mut out: Vec<TaskSummary> = board
        .tasks
        .values()
        .filter(|t| t.status == TaskStatus::Open && sector.is_none_or(|s| &t.sector == s))
        .map(|t| summary(board, t))
        .filter(|s| s.free > 0 || s.stand_ins > 0)
        .collect();
    sort_pressing(&mut out);
    out
}

/// Every task (optionally of one sector), open ones first and most pressing first.
pub fn all_tasks(board: &BoardView, sector: Option<&SectorId>) -> Vec<TaskSummary> {
    let mut out: Vec<TaskSummary> =
        board.tasks.values().filter(|t| sector.is_none_or(|s| &t.sector == s)).map(|t| summary(board, t)).collect();
    sort_pressing(&mut out);
    out
}

pub fn summary(board: &BoardView, t: &Task) -> TaskSummary {
    let taken = board.taken_slots(t.id);
    let stand_ins = u32::try_from(board.stand_ins_wanted(t.id).len()).unwrap_or(u32::MAX);
    TaskSummary { task: t.clone(), taken, free: t.slots.saturating_sub(taken), stand_ins }
}

fn urgency_rank(u: Urgency) -> u8 {
    match u {
        Urgency::Urgent => 0,
        Urgency::Soon => 1,
        Urgency::Normal => 2,
    }
}

fn sort_pressing(tasks: &mut [TaskSummary]) {
    tasks.sort_by(|a, b| {
        let (a, b) = (&a.task, &b.task);
        (a.status != TaskStatus::Open)
            .cmp(&(b.status != TaskStatus::Open))
            .then(urgency_rank(a.urgency).cmp(&urgency_rank(b.urgency)))
            .then_with(|| match (a.deadline, b.deadline) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then(a.created_at.cmp(&b.created_at))
            .then(a.id.cmp(&b.id))
    });
}

/// One sector's line in a member's year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SectorHours {
    pub sector: SectorId,
    pub name: String,
    pub hours: Minutes,
    /// The yearly guideline.
    pub baseline: Minutes,
    /// The share of the guideline a steady pace would have reached by `as_of`.
    pub expected_by_now: Minutes,
}

/// A member's hours per sector in a year, against the baseline (a guideline, not a quota).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct MemberYear {
    pub member: MemberId,
    pub year: i32,
    pub as_of: Date,
    pub sectors: Vec<SectorHours>,
    pub total: Minutes,
    pub total_baseline: Minutes,
    /// Hours in sectors that have since been archived or are unknown.
    pub other: Minutes,
}

/// `baseline × elapsed days / days in the year`, in whole minutes.
pub fn pro_rated(baseline: Minutes, year: i32, as_of: Date) -> Minutes {
    let days = u64::from(Date::days_in_year(year));
    let elapsed = if as_of.year() < year {
        0
    } else if as_of.year() > year {
        days
    } else {
        u64::from(as_of.ordinal())
    };
    Minutes(u32::try_from(u64::from(baseline.get()) * elapsed / days).unwrap_or(u32::MAX))
}

pub fn member_year(people: &PeopleView, ledger: &LedgerView, member: MemberId, year: i32, as_of: Date) -> MemberYear {
    let mut by_sector: BTreeMap<&SectorId, Minutes> = BTreeMap::new();
    for e in ledger.counted().filter(|e| e.member == member && e.date.year() == year) {
        *by_sector.entry(&e.sector).or_default() += e.minutes;
    }
    let sectors: Vec<SectorHours> = people
        .active_sectors()
        .into_iter()
        .map(|s| SectorHours {
            sector: s.id.clone(),
            name: s.name.clone(),
            hours: by_sector.get(&s.id).copied().unwrap_or_default(),
            baseline: s.baseline,
            expected_by_now: pro_rated(s.baseline, year, as_of),
        })
        .collect();
    let total: Minutes = by_sector.values().copied().sum();
    let counted: Minutes = sectors.iter().map(|s| s.hours).sum();
    MemberYear {
        member,
        year,
        as_of,
        total_baseline: sectors.iter().map(|s| s.baseline).sum(),
        other: Minutes(total.get().saturating_sub(counted.get())),
        sectors,
        total,
    }
}

/// One sector's collective progress in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SectorProgress {
    pub sector: SectorId,
    pub name: String,
    pub essential: bool,
    pub done: Minutes,
    /// The month's goal: the yearly baseline × current members ÷ 12.
    pub goal: Minutes,
    /// Whole percent of the goal (may pass 100).
    pub percent: u32,
    /// How many members gave hours in this sector this month (a count, never names).
    pub contributors: u32,
    /// Open tasks in the sector with free places.
    pub open_tasks: u32,
    pub urgent_open: u32,
    /// Minutes visitors from linked communities gave in this sector this month (they count in
    /// their own ledgers; shown here beside the members' hours, not in the percent).
    #[serde(default)]
    #[ts(optional)]
    pub visitors: Option<Minutes>,
}

/// The community's progress in a month, sector by sector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Progress {
    pub month: Month,
    pub members: u32,
    pub sectors: Vec<SectorProgress>,
    pub done: Minutes,
    pub goal: Minutes,
    pub percent: u32,
}

fn percent(done: Minutes, goal: Minutes) -> u32 {
    if goal.get() == 0 {
        return 0;
    }
    u32::try_from(u64::from(done.get()) * 100 / u64::from(goal.get())).unwrap_or(u32::MAX)
}

/// Each sector's hours in `month` against its monthly goal. `ledgers` are the documents that
/// may hold the month (usually just that year's).
pub fn progress<'a>(
    people: &PeopleView,
    board: &BoardView,
    ledgers: impl IntoIterator<Item = &'a LedgerView>,
    month: Month,
) -> Progress {
    let members = u32::try_from(people.current_members().count()).unwrap_or(u32::MAX);
    let mut done: BTreeMap<&SectorId, Minutes> = BTreeMap::new();
    let mut contributors: BTreeMap<&SectorId, std::collections::BTreeSet<MemberId>> = BTreeMap::new();
    let ledgers: Vec<&LedgerView> = ledgers.into_iter().collect();
    for e in ledgers.iter().flat_map(|l| l.counted()).filter(|e| month.contains(e.date)) {
        *done.entry(&e.sector).or_default() += e.minutes;
        contributors.entry(&e.sector).or_default().insert(e.member);
    }
    let open = open_tasks(board, None);
    let sectors: Vec<SectorProgress> = people
        .active_sectors()
        .into_iter()
        .map(|s| {
            let goal =
                Minutes(u32::try_from(u64::from(s.baseline.get()) * u64::from(members) / 12).unwrap_or(u32::MAX));
            let d = done.get(&s.id).copied().unwrap_or_default();
            let in_sector = open.iter().filter(|t| t.task.sector == s.id);
            SectorProgress {
                sector: s.id.clone(),
                name: s.name.clone(),
                essential: s.essential,
                done: d,
                goal,
                percent: percent(d, goal),
                contributors: u32::try_from(contributors.get(&s.id).map_or(0, |c| c.len())).unwrap_or(u32::MAX),
                open_tasks: u32::try_from(in_sector.clone().count()).unwrap_or(u32::MAX),
                urgent_open: u32::try_from(in_sector.filter(|t| t.task.urgency == Urgency::Urgent).count())
                    .unwrap_or(u32::MAX),
                visitors: None,
            }
        })
        .collect();
    let total_done: Minutes = sectors.iter().map(|s| s.done).sum();
    let total_goal: Minutes = sectors.iter().map(|s| s.goal).sum();
    Progress { month, members, done: total_done, goal: total_goal, percent: percent(total_done, total_goal), sectors }
}

/// Entries of other members that `me` has not confirmed yet (newest first), and `me`'s own
/// entries nobody has confirmed.
pub fn awaiting_confirmation(
    ledger: &LedgerView,
    me: MemberId,
) -> (Vec<&crate::model::HourEntry>, Vec<&crate::model::HourEntry>) {
    let mut others: Vec<_> =
        ledger.counted().filter(|e| e.member != me && !e.confirmations.contains_key(&me)).collect();
    let mut mine: Vec<_> = ledger.counted().filter(|e| e.member == me && e.confirmations.is_empty()).collect();
    let newest = |a: &&crate::model::HourEntry, b: &&crate::model::HourEntry| {
        b.date.cmp(&a.date).then(b.created_at.cmp(&a.created_at)).then(a.id.cmp(&b.id))
    };
    others.sort_by(newest);
    mine.sort_by(newest);
    (others, mine)
}

/// Who has pledged to a task (for the task page), by name order of ids.
pub fn pledgers(board: &BoardView, task: TaskId) -> Vec<MemberId> {
    board.pledges_for(task).filter(|p| p.state != crate::model::PledgeState::Withdrawn).map(|p| p.member).collect()
}
