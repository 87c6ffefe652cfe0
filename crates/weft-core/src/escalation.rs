//! When an urgent task goes to the neighbours, and when it comes back.
//!
//! An urgent task that stays short of people for the community's threshold (12 hours unless
//! it says otherwise), or whose deadline is near, is offered to linked communities as a call
//! in the community's commons; the call is withdrawn once the task is filled (by members and
//! visitors together), closed, no longer urgent, or past its deadline. [`steps`] says what to
//! do now; it is a pure function of the board, the commons and the time, so every peer of the
//! community reaches the same answer, and because a call is keyed by its task's id, two peers
//! acting on it at once write one call, not two.

use crate::doc::board::BoardView;
use crate::doc::commons::CommonsView;
use crate::id::TaskId;
use crate::model::{TaskStatus, Urgency};
use crate::time::{Date, Timestamp};

/// How long an urgent task waits for the community's own members before its neighbours are
/// asked, unless the community says otherwise. Half a day: urgent work is due within days
/// and a community fills most urgent places within hours (in the simulation, half of them
/// within an hour or two), so one still short after half a day is among its slowest; asked
/// only after two days, the neighbours had a day or less left before the deadline.
pub const DEFAULT_AFTER_HOURS: u32 = 12;
/// A deadline this many days away (or nearer) escalates an urgent task at once.
pub const DEFAULT_DEADLINE_DAYS: u32 = 2;

/// A community's rule for escalating urgent tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub after_hours: u32,
    pub deadline_days: u32,
}

impl Rule {
    /// The rule a community's commons sets (its directory's `escalate_after`), or the default.
    pub fn of(commons: &CommonsView) -> Self {
        Self { after_hours: commons.directory.escalate_after.unwrap_or(DEFAULT_AFTER_HOURS), ..Self::default() }
    }
}

impl Default for Rule {
    fn default() -> Self {
        Self { after_hours: DEFAULT_AFTER_HOURS, deadline_days: DEFAULT_DEADLINE_DAYS }
    }
}

/// One thing to do to the commons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Open (or open again) an escalated call for the task.
    Open(TaskId),
    /// Close the task's call: nobody else is needed.
    Withdraw(TaskId),
}

impl Step {
    /// The task the step is about.
    pub fn task(&self) -> TaskId {
        match self {
            Self::Open(t) | Self::Withdraw(t) => *t,
        }
    }
}

/// Why a task is escalated now, if it is.
fn due(rule: &Rule, created: Timestamp, deadline: Option<Date>, now: Timestamp, today: Date) -> bool {
    let waited = now.millis().saturating_sub(created.millis()) >= i64::from(rule.after_hours) * 3_600_000;
    let near =
        deadline.is_some_and(|d| d.days_since_epoch() - today.days_since_epoch() <= i64::from(rule.deadline_days));
    waited || near
}

/// What escalation asks of the commons now, in task order.
pub fn steps(board: &BoardView, commons: &CommonsView, rule: &Rule, now: Timestamp, today: Date) -> Vec<Step> {
    let mut out = Vec::new();
    for task in board.tasks.values() {
        let call = commons.calls.get(&task.id);
        let taken = board.taken_slots(task.id) as usize + commons.pledged(&task.id);
        let short = taken < task.slots as usize;
        let past = task.deadline.is_some_and(|d| d < today);
        let live = task.status == TaskStatus::Open && short && !past;
        let wanted = live && task.urgency == Urgency::Urgent && due(rule, task.created_at, task.deadline, now, today);
        match call {
            // A call opened by hand stays while the task needs people; an escalated one also
            // ends when the task stops being urgent.
            Some(c) if c.open && (!live || (c.escalated && task.urgency != Urgency::Urgent)) => {
                out.push(Step::Withdraw(task.id));
            }
            Some(c) if c.open => {}
            _ if wanted => out.push(Step::Open(task.id)),
            _ => {}
        }
    }
    // Calls whose task is gone from the board.
    for id in commons.calls.iter().filter(|(id, c)| c.open && !board.tasks.contains_key(id)).map(|(id, _)| *id) {
        out.push(Step::Withdraw(id));
    }
    out.sort_by_key(Step::task);
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::doc::commons::Call;
    use crate::id::{MemberId, PledgeId};
    use crate::model::{Pledge, PledgeState, Task};
    use crate::time::Minutes;

    const HOUR: i64 = 3_600_000;

    fn task(urgency: Urgency, slots: u32, deadline: Option<&str>) -> Task {
        Task {
            id: TaskId::random(),
            title: "Bring in the harvest".into(),
            description: String::new(),
            sector: "food".parse().unwrap(),
            guild: None,
            skills: BTreeSet::new(),
            hours: Minutes::from_hours(4),
            slots,
            urgency,
            deadline: deadline.map(|d| d.parse().unwrap()),
            location: None,
            open_to_neighbours: true,
            status: TaskStatus::Open,
            created_by: MemberId::from_bytes([1; 32]),
            created_at: Timestamp(0),
            occurrence: None,
            gathering: None,
        }
    }

    fn board(tasks: &[&Task]) -> BoardView {
        let mut b = BoardView::default();
        for t in tasks {
            b.tasks.insert(t.id, (*t).clone());
        }
        b
    }

    fn pledge(b: &mut BoardView, task: TaskId, n: u8) {
        let member = MemberId::from_bytes([n; 32]);
        b.pledges.insert(
            PledgeId { task, member },
            Pledge {
                task,
                member,
                state: PledgeState::Pledged,
                updated_at: Timestamp(0),
                on: None,
                stand_in: false,
                stands_in_for: None,
                crew: None,
            },
        );
    }

    fn call(t: &Task, escalated: bool, open: bool) -> Call {
        Call {
            task: t.id,
            title: t.title.clone(),
            description: String::new(),
            sector: t.sector.clone(),
            skills: t.skills.clone(),
            hours: t.hours,
            slots: t.slots,
            urgency: t.urgency,
            deadline: t.deadline,
            location: None,
            escalated,
            open,
            created_by: t.created_by,
            created_at: Timestamp(0),
        }
    }

    fn today() -> Date {
        "2027-03-01".parse().unwrap()
    }

    #[test]
    fn an_urgent_task_short_of_people_for_half_a_day_goes_to_the_neighbours_once() {
        let t = task(Urgency::Urgent, 3, None);
        let mut b = board(&[&t]);
        let mut c = CommonsView::default();
        let rule = Rule::default();
        assert_eq!(rule.after_hours, 12);
        assert_eq!(steps(&b, &c, &rule, Timestamp(11 * HOUR), today()), vec![]);
        assert_eq!(steps(&b, &c, &rule, Timestamp(12 * HOUR), today()), vec![Step::Open(t.id)]);
        c.calls.insert(t.id, call(&t, true, true));
        assert_eq!(steps(&b, &c, &rule, Timestamp(49 * HOUR), today()), vec![], "one call, not a flood");
        // Filled: two members and a visitor.
        pledge(&mut b, t.id, 2);
        pledge(&mut b, t.id, 3);
        c.pledges.push(crate::doc::commons::VisitorPledge {
            task: t.id,
            member: MemberId::from_bytes([9; 32]),
            community: crate::id::CommunityId::from_bytes([4; 16]),
            state: PledgeState::Pledged,
            updated_at: Timestamp(0),
        });
        assert_eq!(steps(&b, &c, &rule, Timestamp(50 * HOUR), today()), vec![Step::Withdraw(t.id)]);
        // Withdrawn, then short again (a pledge withdrawn): open again.
        c.calls.insert(t.id, call(&t, true, false));
        c.pledges.clear();
        assert_eq!(steps(&b, &c, &rule, Timestamp(51 * HOUR), today()), vec![Step::Open(t.id)]);
    }

    #[test]
    fn a_near_deadline_escalates_at_once_and_a_past_one_withdraws() {
        let t = task(Urgency::Urgent, 2, Some("2027-03-03"));
        let b = board(&[&t]);
        let mut c = CommonsView::default();
        assert_eq!(steps(&b, &c, &Rule::default(), Timestamp(HOUR), today()), vec![Step::Open(t.id)]);
        let late: Date = "2027-03-04".parse().unwrap();
        assert_eq!(steps(&b, &c, &Rule::default(), Timestamp(HOUR), late), vec![], "too late to ask");
        c.calls.insert(t.id, call(&t, true, true));
        assert_eq!(steps(&b, &c, &Rule::default(), Timestamp(HOUR), late), vec![Step::Withdraw(t.id)]);
    }

    #[test]
    fn only_urgent_tasks_escalate_and_a_call_by_hand_stays_while_needed() {
        let normal = task(Urgency::Normal, 2, None);
        let mut closed = task(Urgency::Urgent, 2, None);
        closed.status = TaskStatus::Closed;
        let b = board(&[&normal, &closed]);
        let mut c = CommonsView::default();
        assert_eq!(steps(&b, &c, &Rule::default(), Timestamp(500 * HOUR), today()), vec![]);
        c.calls.insert(normal.id, call(&normal, false, true));
        assert_eq!(steps(&b, &c, &Rule::default(), Timestamp(500 * HOUR), today()), vec![], "opened by hand");
        c.calls.insert(closed.id, call(&closed, true, true));
        let gone = task(Urgency::Urgent, 1, None);
        c.calls.insert(gone.id, call(&gone, false, true));
        let mut want = vec![Step::Withdraw(closed.id), Step::Withdraw(gone.id)];
        want.sort_by_key(Step::task);
        assert_eq!(steps(&b, &c, &Rule::default(), Timestamp(500 * HOUR), today()), want);
    }

    #[test]
    fn a_community_sets_its_own_threshold() {
        let t = task(Urgency::Urgent, 1, None);
        let b = board(&[&t]);
        let rule = Rule { after_hours: 6, deadline_days: 0 };
        assert_eq!(steps(&b, &CommonsView::default(), &rule, Timestamp(6 * HOUR), today()), vec![Step::Open(t.id)]);
    }

    #[test]
    fn a_community_sets_how_long_urgent_tasks_wait() {
        let mut commons = CommonsView::default();
        assert_eq!(Rule::of(&commons), Rule::default());
        commons.directory.escalate_after = Some(6);
        assert_eq!(Rule::of(&commons), Rule { after_hours: 6, ..Rule::default() });
    }
}
