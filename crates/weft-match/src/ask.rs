//! Who is told of an urgent task at once.
//!
//! The plan counts on one member per free place, but a part of the plan is a guess, not a
//! pledge: that member may not look in time, or may not want it, and the place waits. For an
//! urgent task the matcher names more people than places: the members the plan counts on for
//! it first, then those it suits best among the others it would be suggested to — so only
//! members whose week has room for it (the burnout guard decides, exactly as for
//! suggestions), who have not taken or declined it, and, for a neighbour's call, who travel.

use weft_core::{MemberId, TaskId};

use crate::input::Input;
use crate::plan::Plan;
use crate::score::{Scorer, Week};
use crate::suggest::MIN_SCORE;

/// People told of an urgent task per free place, the plan's members included. A told member
/// looks in time and takes the place perhaps one time in three, so three per place make about
/// one taker for each.
pub const ASK_PER_PLACE: u32 = 3;

/// The members to tell of urgent task `task` now, in order: the plan's members for it, then
/// the best suited others, up to [`ASK_PER_PLACE`] per free place. Empty for a task that is
/// not urgent or has no free place.
pub fn urgent_asks(input: &Input, plan: &Plan, task: TaskId) -> Vec<MemberId> {
    let scorer = Scorer::new(input);
    let Some(&ti) = scorer.task_index.get(&task) else { return Vec::new() };
    let t = &scorer.tasks[ti];
    if !t.urgent || t.free == 0 {
        return Vec::new();
    }
    let want = usize::try_from(t.free.saturating_mul(ASK_PER_PLACE)).unwrap_or(usize::MAX);
    let mut out: Vec<MemberId> = Vec::new();
    for part in plan.parts.iter().filter(|p| p.task == task) {
        if !out.contains(&part.member) && input.members.contains_key(&part.member) {
            out.push(part.member);
        }
    }
    let mut others: Vec<(i64, MemberId)> = input
        .members
        .iter()
        .filter(|(id, m)| !out.contains(id) && Week::of(m).fits(t.minutes))
        .filter_map(|(id, m)| {
            let total = scorer.terms(&scorer.member(*id, m), ti)?.total();
            (total >= MIN_SCORE).then_some((total, *id))
        })
        .collect();
    others.sort_unstable_by_key(|(total, id)| (std::cmp::Reverse(*total), *id));
    let room = want.saturating_sub(out.len());
    out.extend(others.into_iter().take(room).map(|(_, id)| id));
    out
}
