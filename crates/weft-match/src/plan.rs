//! The community plan: who could take which open place this week, so that urgent places are
//! covered first and hours spread fairly.
//!
//! A min-cost flow: source → member → task → sink.
//! - source → member: one unit arc per part a member could take this week (at most three, as
//!   their remaining week allows), with a convex cost — the second part costs more than the
//!   first and the third more again — shifted by how far ahead of or behind the baseline the
//!   member is this year. Convexity is what spreads work: the flow gives a second task to a
//!   member only when nobody else fits it nearly as well.
//! - member → task: an arc for each of the member's best candidate tasks that fits their week
//!   (fit points above a floor), cost = −fit.
//! - task → sink: capacity = free places, cost = −(value of a place + urgency points); an
//!   urgent place carries a bonus larger than any difference in fit, so every urgent place that
//!   someone can take is covered before any other.
//!
//! Hours: a member's parts must fit their week together; arcs only exist for tasks that fit
//! alone, and a last pass drops the member's least valuable parts if together they would not
//! (counted in [`Plan::trimmed`]; the simulation reports how often this happens).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use weft_core::{MemberId, TaskId};

use crate::flow::Graph;
use crate::input::Input;
use crate::score::{CMember, Scorer};

/// Most parts a member is given in one plan.
pub const MAX_PARTS: u32 = 3;
/// Candidate tasks per member in the flow (their best by fit and task value).
pub const CANDIDATES: usize = 24;
/// Below this fit a member is not asked, not even for an urgent place.
pub const FIT_FLOOR: i64 = -200;
const PLACE_VALUE: i64 = 300;
const URGENT_FIRST: i64 = 1_000_000;
const PART_COST: i64 = 250;

/// One member's part in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub member: MemberId,
    pub task: TaskId,
    pub minutes: u32,
    pub urgent: bool,
    /// How well the task suits the member (every term but urgency).
    pub fit: i64,
}

/// The plan for a community: parts by member, then task.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Plan {
    pub parts: Vec<Part>,
    pub places_open: u32,
    pub places_covered: u32,
    pub urgent_open: u32,
    pub urgent_covered: u32,
    /// Members with time this week, and how many of them have a part.
    pub members_available: u32,
    pub members_with_part: u32,
    /// Parts dropped because a member's parts together did not fit their week.
    pub trimmed: u32,
    /// Urgent tasks nobody suitable has time for: to be escalated to neighbours.
    pub urgent_uncovered: Vec<TaskId>,
}

impl Plan {
    /// The parts of one member, most valuable first.
    pub fn parts_of(&self, member: MemberId) -> impl Iterator<Item = &Part> {
        self.parts.iter().filter(move |p| p.member == member)
    }
}

fn slot_value(urgency: i64, urgent: bool) -> i64 {
    PLACE_VALUE + urgency + if urgent { URGENT_FIRST } else { 0 }
}

/// Computes the plan for everything in `input`.
pub fn plan(input: &Input) -> Plan {
    let scorer = Scorer::new(input);
    let members: Vec<CMember> = input.members.iter().map(|(id, m)| scorer.member(*id, m)).collect();
    plan_with(&scorer, &members, &BTreeMap::new())
}

/// The plan, with `taken` places of some tasks already promised elsewhere (by other
/// communities' plans in a network).
pub(crate) fn plan_with(scorer: &Scorer<'_>, members: &[CMember], taken: &BTreeMap<TaskId, u32>) -> Plan {
    let tasks = &scorer.tasks;
    let free: Vec<u32> = tasks.iter().map(|t| t.free.saturating_sub(taken.get(&t.id).copied().unwrap_or(0))).collect();
    let (nm, nt) = (members.len(), tasks.len());
    let sink = 1 + nm + nt;
    let mut g = Graph::new(sink + 1);
    let mut arcs: Vec<(usize, usize, usize, i64)> = Vec::new(); // (edge, member, task, fit)
    let mut members_available = 0u32;
    let mut scored: Vec<(i64, usize, i64)> = Vec::with_capacity(nt);
    for (mi, m) in members.iter().enumerate() {
        if m.week.resting().is_some() {
            continue;
        }
        members_available += 1;
        scored.clear();
        for (ti, t) in tasks.iter().enumerate() {
            if free[ti] == 0 {
                continue;
            }
            if let Some(terms) = scorer.terms(m, ti) {
                let fit = terms.fit();
                if fit >= FIT_FLOOR {
                    scored.push((fit + slot_value(t.urgency, t.urgent), ti, fit));
                }
            }
        }
        if scored.is_empty() {
            continue;
        }
        let key = |a: &(i64, usize, i64)| (std::cmp::Reverse(a.0), a.1);
        if scored.len() > CANDIDATES {
            scored.select_nth_unstable_by_key(CANDIDATES - 1, key);
            scored.truncate(CANDIDATES);
        }
        scored.sort_unstable_by_key(key);
        let shortest = scored.iter().map(|(_, ti, _)| tasks[*ti].minutes).min().unwrap_or(u32::MAX);
        let parts = (m.week.remaining() / shortest.max(1)).clamp(1, MAX_PARTS);
        let ahead = m.ahead_pm * 3 / 10;
        for j in 1..=i64::from(parts) {
            g.add_edge(0, 1 + mi, 1, PART_COST * (j * j - 1) + ahead);
        }
        for &(_, ti, fit) in &scored {
            let e = g.add_edge(1 + mi, 1 + nm + ti, 1, -fit);
            arcs.push((e, mi, ti, fit));
        }
    }
    let (mut places_open, mut urgent_open) = (0u32, 0u32);
    for (ti, t) in tasks.iter().enumerate() {
        places_open += free[ti];
        if t.urgent {
            urgent_open += free[ti];
        }
        if free[ti] > 0 {
            g.add_edge(1 + nm + ti, sink, i64::from(free[ti]), -slot_value(t.urgency, t.urgent));
        }
    }
    g.min_cost_flow(0, sink);

    // Each member's parts, most valuable first; keep what fits their week together.
    let mut by_member: BTreeMap<usize, Vec<(i64, usize, i64)>> = BTreeMap::new();
    for &(e, mi, ti, fit) in &arcs {
        if g.flow(e) > 0 {
            let t = &tasks[ti];
            by_member.entry(mi).or_default().push((fit + slot_value(t.urgency, t.urgent), ti, fit));
        }
    }
    let mut parts = Vec::new();
    let mut trimmed = 0u32;
    let (mut places_covered, mut urgent_covered) = (0u32, 0u32);
    let mut covered_per_task = vec![0u32; nt];
    for (mi, mut mine) in by_member {
        mine.sort_unstable_by_key(|a| (std::cmp::Reverse(a.0), a.1));
        let m = &members[mi];
        let mut used = 0u32;
        for (_, ti, fit) in mine {
            let t = &tasks[ti];
            let ok = if used == 0 { m.week.fits(t.minutes) } else { used + t.minutes <= m.week.remaining() };
            if !ok {
                trimmed += 1;
                continue;
            }
            used += t.minutes;
            places_covered += 1;
            covered_per_task[ti] += 1;
            if t.urgent {
                urgent_covered += 1;
            }
            parts.push(Part { member: m.id, task: t.id, minutes: t.minutes, urgent: t.urgent, fit });
        }
    }
    let members_with_part = {
        let mut ids: Vec<MemberId> = parts.iter().map(|p| p.member).collect();
        ids.dedup();
        u32::try_from(ids.len()).unwrap_or(u32::MAX)
    };
    let urgent_uncovered = tasks
        .iter()
        .enumerate()
        .filter(|(ti, t)| t.urgent && covered_per_task[*ti] < free[*ti])
        .map(|(_, t)| t.id)
        .collect();
    Plan {
        parts,
        places_open,
        places_covered,
        urgent_open,
        urgent_covered,
        members_available,
        members_with_part,
        trimmed,
        urgent_uncovered,
    }
}

/// Plans for a network of communities, each `Input` holding its own tasks and its neighbours'
/// calls. Communities are planned in order; a neighbour's call taken by one community's plan
/// has that many fewer places for the next, so no place is promised twice.
pub fn plan_network(inputs: &[Input]) -> Vec<Plan> {
    let mut taken: BTreeMap<TaskId, u32> = BTreeMap::new();
    let mut plans = Vec::with_capacity(inputs.len());
    for input in inputs {
        let scorer = Scorer::new(input);
        let members: Vec<CMember> = input.members.iter().map(|(id, m)| scorer.member(*id, m)).collect();
        let p = plan_with(&scorer, &members, &taken);
        for part in &p.parts {
            *taken.entry(part.task).or_default() += 1;
        }
        plans.push(p);
    }
    plans
}
