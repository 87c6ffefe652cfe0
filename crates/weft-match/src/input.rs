//! What the matcher reads: a snapshot of one community on one day, in plain values.
//!
//! [`Input::from_views`] builds it from the merged documents; the simulation builds it from its
//! own synthetic state. Every collection is ordered by id (`BTreeMap`/sorted `Vec`), so the
//! same documents give the same input, and so the same output, on every device.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use weft_core::doc::board::BoardView;
use weft_core::doc::crews::Crew;
use weft_core::doc::ledger::LedgerView;
use weft_core::doc::people::PeopleView;
use weft_core::id::{CrewId, GatheringId};
use weft_core::model::{PledgeState, TaskStatus, Urgency, Verdict};
use weft_core::views::pro_rated;
use weft_core::{Date, GuildId, MemberId, Minutes, SectorId, SkillId, TaskId};

/// One community on one day, as the matcher sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    pub today: Date,
    /// Active sectors, by id.
    pub sectors: BTreeMap<SectorId, SectorInput>,
    /// Guild names, for reasons.
    pub guilds: BTreeMap<GuildId, String>,
    /// Current members, by id.
    pub members: BTreeMap<MemberId, MemberInput>,
    /// Open tasks with at least one free place: this community's, then neighbours' calls
    /// (tasks other communities opened to visitors), by id.
    pub tasks: BTreeMap<TaskId, TaskInput>,
}

/// A sector's guideline and this month's collective progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectorInput {
    pub name: String,
    /// The yearly baseline per member, in minutes.
    pub baseline: u32,
    /// Minutes the whole community gave in this sector this month.
    pub month_done: u32,
    /// This month's goal: baseline × members ÷ 12.
    pub month_goal: u32,
}

/// A member: what they told the community (profile) and what the documents say they did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MemberInput {
    pub name: String,
    /// Skill levels 1–5.
    pub skills: BTreeMap<SkillId, u8>,
    /// Interest per sector 0–5 (a sector not listed counts as 2, "no opinion").
    pub interests: BTreeMap<SectorId, u8>,
    /// Stated availability: minutes a week.
    pub week_minutes: u32,
    pub travel: bool,
    pub learn: BTreeSet<SkillId>,
    /// Minutes logged this calendar year, per sector.
    pub year: BTreeMap<SectorId, u32>,
    /// Minutes logged this calendar week, Monday to today: what the burnout guard weighs
    /// against the stated hours a week.
    pub this_week: u32,
    /// Minutes logged in the last 28 days, per sector.
    pub last_28: BTreeMap<SectorId, u32>,
    /// Minutes pledged to open tasks and not logged yet: work already promised.
    pub committed: u32,
    /// Tasks the member already pledged to, did, or declined: never suggested again.
    pub seen: BTreeSet<TaskId>,
    /// Gatherings the member said they will come to: their tasks are surfaced to them.
    #[serde(default)]
    pub attending: BTreeSet<GatheringId>,
    /// What the member did and said before, oldest first: what the matcher learns from.
    pub history: Vec<Signal>,
}

/// A task with free places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInput {
    pub title: String,
    pub sector: SectorId,
    pub guild: Option<GuildId>,
    pub skills: BTreeSet<SkillId>,
    /// Minutes asked of each person.
    pub minutes: u32,
    pub slots: u32,
    pub free: u32,
    /// Of the free places, those whose member looks for a stand-in (pledged, still covered).
    #[serde(default)]
    pub stand_ins: u32,
    pub urgency: Urgency,
    pub deadline: Option<Date>,
    /// The day it was posted.
    pub posted: Date,
    /// The community that posted it, when it is a neighbour's call; `None` for our own.
    pub neighbour: Option<String>,
    /// The gathering it is a task of, if any.
    #[serde(default)]
    pub gathering: Option<GatheringTag>,
}

/// A gathering a task belongs to: its id, and its title for reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatheringTag {
    pub id: GatheringId,
    pub title: String,
}

/// Something a member did or said about a task: the matcher's training data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub on: Date,
    pub sector: SectorId,
    pub guild: Option<GuildId>,
    pub skills: BTreeSet<SkillId>,
    pub minutes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalKind {
    /// Took a place on the task.
    Pledged,
    /// Said "not for me" to it.
    Declined,
    /// Feedback afterwards.
    Said(Verdict),
}

/// Another community this device holds: its calls open to visitors are offered to members who
/// like to travel, and what our members did there counts too — their pledges and "not for me"
/// on its calls (never suggested again, and learned from), and their hours and promises there
/// this week (the burnout guard is about a person, not a community).
#[derive(Debug, Clone)]
pub struct Neighbour<'a> {
    pub name: &'a str,
    pub people: &'a PeopleView,
    pub board: &'a BoardView,
    /// Its ledgers holding this week and this year (this year's at least).
    pub ledgers: Vec<&'a LedgerView>,
}

/// A linked neighbour's commons as a member's node holds it (the neighbour's board stays with
/// the neighbour): its open calls are offered to members who like to travel, and our members'
/// pledges there are promised work, never suggested again.
#[derive(Debug, Clone)]
pub struct CommonsCalls<'a> {
    pub name: &'a str,
    pub commons: &'a weft_core::doc::commons::CommonsView,
}

fn signal_of(task: &weft_core::model::Task, kind: SignalKind, on: Date) -> Signal {
    Signal {
        kind,
        on,
        sector: task.sector.clone(),
        guild: task.guild,
        skills: task.skills.clone(),
        minutes: task.hours.get(),
    }
}

fn task_input(board: &BoardView, t: &weft_core::model::Task, neighbour: Option<&str>) -> Option<TaskInput> {
    if t.status != TaskStatus::Open {
        return None;
    }
    // A place whose member looks for a stand-in is offered to others as a free one.
    let stand_ins = u32::try_from(board.stand_ins_wanted(t.id).len()).unwrap_or(u32::MAX);
    let free = board.free_slots(t).saturating_add(stand_ins);
    (free > 0).then(|| TaskInput {
        title: t.title.clone(),
        sector: t.sector.clone(),
        guild: t.guild,
        skills: t.skills.clone(),
        minutes: t.hours.get(),
        slots: t.slots,
        free,
        stand_ins,
        urgency: t.urgency,
        deadline: t.deadline,
        posted: t.created_at.date(),
        neighbour: neighbour.map(str::to_owned),
        gathering: t
            .gathering
            .and_then(|g| board.gatherings.get(&g))
            .map(|g| GatheringTag { id: g.id, title: g.title.clone() }),
    })
}

/// Adds to our members what one community's board and ledgers say about them: hours logged
/// this week, work pledged and not logged yet, and every pledge, "not for me" and feedback
/// (as dated signals, and as tasks never to suggest again).
fn note_week_and_choices(
    members: &mut BTreeMap<MemberId, MemberInput>,
    board: &BoardView,
    crews: &BTreeMap<CrewId, Crew>,
    ledgers: &[&LedgerView],
    today: Date,
    dated: &mut Vec<(Date, u8, MemberId, Signal)>,
) {
    let today_n = today.days_since_epoch();
    // Sunday of this week: a pledge dated later is next week's work, not this one's.
    let week_end = today.add_days(6 - i64::from(today.weekday())).unwrap_or(today);
    let mut logged_for: BTreeSet<(MemberId, TaskId)> = BTreeSet::new();
    for ledger in ledgers {
        for e in ledger.counted() {
            let Some(m) = members.get_mut(&e.member) else { continue };
            if let Some(t) = e.task {
                logged_for.insert((e.member, t));
            }
            let age = today_n - e.date.days_since_epoch();
            if (0..=i64::from(today.weekday())).contains(&age) {
                m.this_week = m.this_week.saturating_add(e.minutes.get());
            }
        }
        for f in ledger.feedback.values() {
            if let (Some(t), true) = (board.tasks.get(&f.task), members.contains_key(&f.member)) {
                let on = f.at.date();
                dated.push((on, 2, f.member, signal_of(t, SignalKind::Said(f.verdict), on)));
            }
        }
        for d in ledger.declines.values() {
            if let (Some(t), Some(m)) = (board.tasks.get(&d.task), members.get_mut(&d.member)) {
                m.seen.insert(d.task);
                let on = d.at.date();
                dated.push((on, 1, d.member, signal_of(t, SignalKind::Declined, on)));
            }
        }
    }
    for g in board.gatherings.values().filter(|g| !g.cancelled) {
        for who in &g.attending {
            if let Some(m) = members.get_mut(who) {
                m.attending.insert(g.id);
            }
        }
    }
    for p in board.pledges.values().filter(|p| p.state != PledgeState::Withdrawn) {
        let Some(t) = board.tasks.get(&p.task) else { continue };
        // A crew's pledge: its members share the hours, each their part.
        let crew = p.crew.and_then(|c| crews.get(&c)).filter(|c| c.has(&p.member));
        let sharing: Vec<MemberId> = crew.map_or_else(|| vec![p.member], |c| c.members.clone());
        let parts = u32::try_from(sharing.len().max(1)).unwrap_or(1);
        // Promised work this week: pledged, not logged, not handed over to a stand-in, and
        // not said to be for a day after this week.
        let this_week = p.on.is_none_or(|d| d <= week_end);
        let promised = p.state == PledgeState::Pledged
            && t.status == TaskStatus::Open
            && board.handed_over(p).is_none()
            && this_week;
        for who in sharing {
            let Some(m) = members.get_mut(&who) else { continue };
            m.seen.insert(p.task);
            if who == p.member {
                let on = p.updated_at.date();
                dated.push((on, 0, p.member, signal_of(t, SignalKind::Pledged, on)));
            }
            if promised && !logged_for.contains(&(who, p.task)) {
                m.committed = m.committed.saturating_add(t.hours.get().div_ceil(parts));
            }
        }
    }
}

impl Input {
    /// Reads one community's merged documents as of `today`. `ledgers` are the ledger
    /// documents to read hours and feedback from (this year's at least; last year's too in
    /// January, for the last 28 days). `neighbours` are other communities this device knows
    /// whose calls open to visitors are offered to members who like to travel.
    pub fn from_views<'a>(
        people: &PeopleView,
        board: &BoardView,
        ledgers: impl IntoIterator<Item = &'a LedgerView>,
        neighbours: &[Neighbour<'_>],
        today: Date,
    ) -> Self {
        let ledgers: Vec<&LedgerView> = ledgers.into_iter().collect();
        let month = today.month();
        let members_now = u64::try_from(people.current_members().count()).unwrap_or(u64::MAX);
        let mut sectors: BTreeMap<SectorId, SectorInput> = people
            .active_sectors()
            .into_iter()
            .map(|s| {
                let goal = u64::from(s.baseline.get()) * members_now / 12;
                (
                    s.id.clone(),
                    SectorInput {
                        name: s.name.clone(),
                        baseline: s.baseline.get(),
                        month_done: 0,
                        month_goal: u32::try_from(goal).unwrap_or(u32::MAX),
                    },
                )
            })
            .collect();
        let mut members: BTreeMap<MemberId, MemberInput> = people
            .current_members()
            .map(|m| {
                let p = &m.profile;
                (
                    m.id,
                    MemberInput {
                        name: m.name.clone(),
                        skills: p.skills.iter().map(|(k, l)| (k.clone(), l.get())).collect(),
                        interests: p.interests.iter().map(|(s, i)| (s.clone(), i.get())).collect(),
                        week_minutes: p.hours_per_week.get(),
                        travel: p.willing_to_travel,
                        learn: p.wants_to_learn.clone(),
                        ..MemberInput::default()
                    },
                )
            })
            .collect();

        // Hours that count only in this community: the year, the last 28 days, the month.
        let today_n = today.days_since_epoch();
        for e in ledgers.iter().flat_map(|l| l.counted()) {
            if month.contains(e.date)
                && let Some(s) = sectors.get_mut(&e.sector)
            {
                s.month_done = s.month_done.saturating_add(e.minutes.get());
            }
            let Some(m) = members.get_mut(&e.member) else { continue };
            let age = today_n - e.date.days_since_epoch();
            if e.date.year() == today.year() && age >= 0 {
                *m.year.entry(e.sector.clone()).or_default() += e.minutes.get();
            }
            if (0..28).contains(&age) {
                *m.last_28.entry(e.sector.clone()).or_default() += e.minutes.get();
            }
        }
        // A person's week and choices, here and in the other communities this device holds.
        let mut dated: Vec<(Date, u8, MemberId, Signal)> = Vec::new();
        note_week_and_choices(&mut members, board, &people.crews, &ledgers, today, &mut dated);
        for n in neighbours {
            note_week_and_choices(&mut members, n.board, &n.people.crews, &n.ledgers, today, &mut dated);
        }
        // Oldest first; same day: pledges, then declines, then feedback; then by member, so the
        // order never depends on which document was read first.
        dated.sort_by(|a, b| {
            (a.0, a.1, a.2)
                .cmp(&(b.0, b.1, b.2))
                .then_with(|| a.3.sector.cmp(&b.3.sector))
                .then(a.3.guild.cmp(&b.3.guild))
        });
        for (_, _, member, signal) in dated {
            if let Some(m) = members.get_mut(&member) {
                m.history.push(signal);
            }
        }

        let mut tasks: BTreeMap<TaskId, TaskInput> = BTreeMap::new();
        let mut guilds: BTreeMap<GuildId, String> = people.guilds.iter().map(|(id, g)| (*id, g.name.clone())).collect();
        for t in board.tasks.values() {
            if let Some(ti) = task_input(board, t, None)
                && sectors.contains_key(&ti.sector)
            {
                tasks.insert(t.id, ti);
            }
        }
        for n in neighbours {
            for (id, g) in &n.people.guilds {
                guilds.entry(*id).or_insert_with(|| g.name.clone());
            }
            for t in n.board.tasks.values().filter(|t| t.open_to_neighbours) {
                if let Some(ti) = task_input(n.board, t, Some(n.name)) {
                    tasks.entry(t.id).or_insert(ti);
                }
            }
        }
        for s in sectors.values_mut() {
            // Keep the goal meaningful for a community that has no members yet.
            s.month_goal = s.month_goal.max(1);
        }
        Self { today, sectors, guilds, members, tasks }
    }

    /// Adds the open calls of linked neighbours' commons (tasks already here keep theirs), with
    /// the skills they ask for (so skill fit weighs as it does for our own tasks), and what our
    /// members pledged there: never suggested again, promised work until they log hours for
    /// it, and learned from.
    pub fn add_commons(&mut self, neighbours: &[CommonsCalls<'_>]) {
        for n in neighbours {
            let c = n.commons;
            for p in c.pledges.iter().filter(|p| p.state != PledgeState::Withdrawn) {
                let (Some(call), Some(m)) = (c.calls.get(&p.task), self.members.get_mut(&p.member)) else { continue };
                m.seen.insert(p.task);
                let logged = c.hours.iter().any(|h| h.call == p.task && h.member == p.member && !h.retracted);
                if p.state == PledgeState::Pledged && call.open && !logged {
                    m.committed = m.committed.saturating_add(call.hours.get());
                }
                let on = p.updated_at.date();
                m.history.push(Signal {
                    kind: SignalKind::Pledged,
                    on,
                    sector: call.sector.clone(),
                    guild: None,
                    skills: call.skills.clone(),
                    minutes: call.hours.get(),
                });
            }
            for call in c.calls.values().filter(|call| call.open) {
                let taken = u32::try_from(c.pledged(&call.task)).unwrap_or(u32::MAX);
                let free = call.slots.saturating_sub(taken);
                if free == 0 || call.deadline.is_some_and(|d| d < self.today) {
                    continue;
                }
                self.tasks.entry(call.task).or_insert_with(|| TaskInput {
                    title: call.title.clone(),
                    sector: call.sector.clone(),
                    guild: None,
                    skills: call.skills.clone(),
                    minutes: call.hours.get(),
                    slots: call.slots,
                    free,
                    stand_ins: 0,
                    urgency: call.urgency,
                    deadline: call.deadline,
                    posted: call.created_at.date(),
                    neighbour: Some(n.name.to_owned()),
                    gathering: None,
                });
            }
        }
        for m in self.members.values_mut() {
            m.history.sort_by_key(|s| s.on);
        }
    }

    /// The share of a sector's yearly baseline a steady pace reaches by today, in minutes.
    pub fn expected_by_now(&self, baseline: u32) -> u32 {
        pro_rated(Minutes(baseline), self.today.year(), self.today).get()
    }
}

#[cfg(test)]
mod tests {
    use weft_core::doc::commons::{Call, CommonsView, VisitorPledge};
    use weft_core::{CommunityId, Timestamp};

    use super::*;

    fn call(task: TaskId, slots: u32) -> Call {
        Call {
            task,
            title: "Mend the nets".into(),
            description: String::new(),
            sector: "food".parse().unwrap(),
            skills: BTreeSet::from(["net-mending".parse().unwrap()]),
            hours: Minutes::from_hours(3),
            slots,
            urgency: Urgency::Urgent,
            deadline: None,
            location: None,
            escalated: true,
            open: true,
            created_by: MemberId::from_bytes([1; 32]),
            created_at: Timestamp(1_800_000_000_000),
        }
    }

    #[test]
    fn neighbours_open_calls_are_offered_and_our_pledges_there_count() {
        let me = MemberId::from_bytes([2; 32]);
        let today: Date = "2027-01-15".parse().unwrap();
        let mut input = Input {
            today,
            sectors: BTreeMap::new(),
            guilds: BTreeMap::new(),
            members: BTreeMap::from([(me, MemberInput { travel: true, ..MemberInput::default() })]),
            tasks: BTreeMap::new(),
        };
        let (pledged, open, full) = (TaskId::random(), TaskId::random(), TaskId::random());
        let pledge = |task| VisitorPledge {
            task,
            member: me,
            community: CommunityId::from_bytes([3; 16]),
            state: PledgeState::Pledged,
            updated_at: Timestamp(1_800_000_100_000),
        };
        let mut commons = CommonsView::default();
        for (t, slots) in [(pledged, 2), (open, 2), (full, 1)] {
            commons.calls.insert(t, call(t, slots));
        }
        commons.pledges =
            vec![pledge(pledged), VisitorPledge { member: MemberId::from_bytes([4; 32]), ..pledge(full) }];
        input.add_commons(&[CommonsCalls { name: "Coast", commons: &commons }]);
        assert_eq!(input.tasks[&open].neighbour.as_deref(), Some("Coast"));
        assert_eq!(input.tasks[&open].skills, commons.calls[&open].skills, "the call's skills");
        assert_eq!(input.tasks[&pledged].free, 1);
        assert!(!input.tasks.contains_key(&full), "a call whose places visitors hold is not offered");
        let m = &input.members[&me];
        assert!(m.seen.contains(&pledged), "never suggested again");
        assert_eq!(m.committed, 180, "promised work until hours are logged");
        assert_eq!(m.history.len(), 1);
        assert_eq!(m.history[0].skills, commons.calls[&pledged].skills, "learned from, skills too");
    }
}
