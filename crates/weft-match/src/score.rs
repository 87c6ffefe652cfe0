//! How well a task suits a member, term by term, in integer points.
//!
//! [`Scorer`] turns an [`Input`] into dense arrays once (sector, skill and guild indices), so
//! scoring a pair is a handful of array reads: the plan scores every member against every task.
//! The same [`Terms`] feed the ranking and the reasons shown to the member, so a reason never
//! describes a number the ranking did not use.
//!
//! Scale: a term's points are roughly −1000…+1000; a strong reason is a few hundred.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use weft_core::model::Urgency;
use weft_core::{GuildId, MemberId, SectorId, SkillId, TaskId};

use crate::input::{Input, MemberInput, SignalKind, TaskInput};
use crate::learn::{Prefs, SHORT_TASK, size_bucket};

/// The terms of a score; every one is shown to the member as a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    /// The plan counts on the member for this task.
    Plan,
    Skill,
    Interest,
    /// The member's hours in the sector against the baseline, pro-rated to the date.
    Rotation,
    /// The sector's collective hours against this month's goal.
    Sector,
    Urgency,
    /// The burnout guard: the member's week, and balance across sectors.
    Load,
    /// Preferences learned from the member's own feedback, pledges and declines.
    Learned,
    /// A neighbouring community's call, for a member who likes to travel.
    Travel,
    /// A task of a gathering the member is coming to.
    Gathering,
}

/// One term's points for one (member, task) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Terms {
    pub skill: i64,
    pub interest: i64,
    pub rotation: i64,
    pub sector: i64,
    pub urgency: i64,
    pub load: i64,
    pub learned: i64,
    pub travel: i64,
    #[serde(default)]
    pub gathering: i64,
}

impl Terms {
    /// Everything but urgency: how well the task suits this member. The plan puts urgency on
    /// the task's side.
    pub fn fit(&self) -> i64 {
        self.skill
            + self.interest
            + self.rotation
            + self.sector
            + self.load
            + self.learned
            + self.travel
            + self.gathering
    }
    pub fn total(&self) -> i64 {
        self.fit() + self.urgency
    }
}

/// Why a member gets no suggestions right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Resting {
    /// The profile says 0 hours a week.
    NoHours,
    /// Logged and promised hours already fill the week.
    WeekFull { load: u32, week: u32 },
}

/// Urgency points of a task on a day: by its level, rising every day it stays unfilled (up to
/// four weeks) and as its deadline nears (the last two weeks).
pub fn urgency_points(task: &TaskInput, today: weft_core::Date) -> i64 {
    let (base, per_day) = match task.urgency {
        Urgency::Normal => (0, 4),
        Urgency::Soon => (200, 10),
        Urgency::Urgent => (500, 25),
    };
    let waiting = (today.days_since_epoch() - task.posted.days_since_epoch()).clamp(0, 28);
    let deadline = task.deadline.map_or(0, |d| {
        let left = (d.days_since_epoch() - today.days_since_epoch()).max(0);
        if left < 14 { (14 - left) * 20 } else { 0 }
    });
    base + waiting * per_day + deadline
}

/// Points for a member's interest (0–5) in a sector; 2 when they did not say.
pub(crate) fn interest_points(interest: Option<u8>) -> i64 {
    match interest.unwrap_or(2) {
        0 => -600,
        i => (i64::from(i) - 2) * 150,
    }
}

/// Points for one wanted skill: known at a level, wanted to learn (a stretch), or neither.
pub(crate) fn skill_points(level: Option<u8>, learning: bool) -> i64 {
    match (level, learning) {
        (Some(l), _) if l > 0 => 100 * i64::from(l) + 100,
        (_, true) => 250,
        _ => -150,
    }
}

/// Rotation: the member's deficit in a sector against the baseline pro-rated to today, as a
/// share of what they would have done by now at a steady pace (±1000 ‰; early in the year the
/// share is taken of at least two months' worth, so one task does not swing it), scaled to ±800.
pub(crate) fn rotation_points(done: u32, expected: u32, baseline: u32) -> i64 {
    let deficit = i64::from(expected) - i64::from(done);
    let base = i64::from(expected).max(i64::from(baseline) / 6).max(60);
    (deficit * 1000 / base).clamp(-1000, 1000) * 8 / 10
}

/// The member's year in all sectors together against the pro-rated baseline, ±500.
pub(crate) fn balance_points(done: i64, expected: i64, baseline: i64) -> i64 {
    let base = expected.max(baseline / 6).max(60);
    ((expected - done) * 1000 / base).clamp(-1000, 1000) * 8 / 10
}

/// The sector's month: how far its collective hours are behind the share of the goal the
/// days gone by would give (±1000 ‰), scaled to ±300.
pub(crate) fn sector_points(done: u32, goal: u32, month_elapsed_pm: i64) -> i64 {
    let pm = i64::from(done) * 1000 / i64::from(goal.max(1));
    (month_elapsed_pm - pm).clamp(-1000, 1000) * 3 / 10
}

/// Permille of the month gone by on `today` (the day itself counted).
pub(crate) fn month_elapsed_pm(today: weft_core::Date) -> i64 {
    i64::from(today.day()) * 1000 / i64::from(today.month().days())
}

/// A member's week: stated availability, and what is logged or promised already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Week {
    pub available: u32,
    pub logged: u32,
    pub committed: u32,
}

impl Week {
    pub fn of(m: &MemberInput) -> Self {
        Self { available: m.week_minutes, logged: m.this_week, committed: m.committed }
    }
    pub fn load(&self) -> u32 {
        self.logged.saturating_add(self.committed)
    }
    pub fn remaining(&self) -> u32 {
        self.available.saturating_sub(self.load())
    }
    pub fn resting(&self) -> Option<Resting> {
        if self.available == 0 {
            Some(Resting::NoHours)
        } else if self.load() >= self.available {
            Some(Resting::WeekFull { load: self.load(), week: self.available })
        } else {
            None
        }
    }
    /// Whether a task of `minutes` fits: within what is left of the week, or, for a member
    /// with nothing on, spread over two weeks.
    pub fn fits(&self, minutes: u32) -> bool {
        self.resting().is_none()
            && (minutes <= self.remaining() || (self.load() == 0 && minutes <= self.available.saturating_mul(2)))
    }
}

/// The burnout guard's points: a task that would fill more than half the week costs points in
/// proportion, up to −300 at a full week (−900 for a two-week task).
pub(crate) fn load_points(week: &Week, minutes: u32) -> i64 {
    let after = i64::from(week.load()) + i64::from(minutes);
    let pm = after * 1000 / i64::from(week.available.max(1));
    -(pm - 500).max(0) * 6 / 10
}

/// A sector the member gave most of a busy month to (≥ 60 % of at least two weeks' worth of
/// hours in the last 28 days): steer them to something lighter elsewhere.
pub(crate) fn heavy_sector(m: &MemberInput) -> Option<(&SectorId, u32)> {
    let total: u32 = m.last_28.values().sum();
    if total == 0 || total < m.week_minutes.saturating_mul(2) {
        return None;
    }
    let (s, mins) = m.last_28.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))?;
    (u64::from(*mins) * 100 >= u64::from(total) * 60).then_some((s, *mins))
}

pub(crate) const HEAVY_SAME: i64 = -300;
pub(crate) const HEAVY_LIGHTER: i64 = 200;
pub(crate) const TRAVEL_POINTS: i64 = 100;
/// A task of a gathering the member is coming to: they will be there anyway.
pub(crate) const GATHERING_POINTS: i64 = 150;

/// A task, with its sector, guild and skills as dense indices.
#[derive(Debug, Clone)]
pub(crate) struct CTask {
    pub id: TaskId,
    pub sector: usize,
    pub guild: Option<usize>,
    pub skills: Vec<usize>,
    pub size: usize,
    pub minutes: u32,
    pub free: u32,
    pub urgency: i64,
    pub urgent: bool,
    pub neighbour: bool,
    pub gathering: Option<weft_core::id::GatheringId>,
}

/// A member's side, precomputed: per-sector points, skill levels by index, learned weights.
#[derive(Debug, Clone)]
pub(crate) struct CMember {
    pub id: MemberId,
    pub week: Week,
    pub travel: bool,
    /// Gatherings they are coming to.
    pub attending: BTreeSet<weft_core::id::GatheringId>,
    /// interest + rotation + sector progress + heavy-sector steer, per sector index.
    pub per_sector: Vec<SectorPart>,
    /// Skill points by skill index (the level or the wish to learn), or `None`: neither.
    pub skill: Vec<Option<i64>>,
    pub prefs: Prefs,
    /// Task indices never to suggest (pledged, done or declined), sorted.
    pub seen: Vec<usize>,
    pub heavy: Option<usize>,
    /// Minutes logged this year against the baseline pro-rated to today, as ‰ of the baseline
    /// (negative: behind). Used by the plan to favour those behind.
    pub ahead_pm: i64,
    /// The rotation term's second half: the member's hours in all sectors together against
    /// the pro-rated baseline (±500), so that those far ahead leave work for those behind.
    pub balance: i64,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SectorPart {
    pub interest: i64,
    pub rotation: i64,
    pub sector: i64,
}

/// An [`Input`] compiled for fast scoring.
#[derive(Debug)]
pub struct Scorer<'a> {
    pub(crate) input: &'a Input,
    pub(crate) sector_ids: Vec<&'a SectorId>,
    pub(crate) skill_ids: BTreeMap<&'a SkillId, usize>,
    pub(crate) guild_ids: BTreeMap<GuildId, usize>,
    pub(crate) tasks: Vec<CTask>,
    pub(crate) task_index: BTreeMap<TaskId, usize>,
}

impl<'a> Scorer<'a> {
    pub fn new(input: &'a Input) -> Self {
        let sector_ids: Vec<&SectorId> = input.sectors.keys().collect();
        let sector_of: BTreeMap<&SectorId, usize> = sector_ids.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        let mut skill_ids: BTreeMap<&SkillId, usize> = BTreeMap::new();
        for t in input.tasks.values() {
            for k in &t.skills {
                let n = skill_ids.len();
                skill_ids.entry(k).or_insert(n);
            }
        }
        // Indices in id order, whatever order tasks named them in.
        for (i, v) in skill_ids.values_mut().enumerate() {
            *v = i;
        }
        let mut guild_ids: BTreeMap<GuildId, usize> = BTreeMap::new();
        for g in input.guilds.keys().chain(input.tasks.values().filter_map(|t| t.guild.as_ref())) {
            let n = guild_ids.len();
            guild_ids.entry(*g).or_insert(n);
        }
        for (i, v) in guild_ids.values_mut().enumerate() {
            *v = i;
        }
        let mut tasks = Vec::with_capacity(input.tasks.len());
        let mut task_index = BTreeMap::new();
        for (id, t) in &input.tasks {
            let Some(&sector) = sector_of.get(&t.sector) else { continue };
            task_index.insert(*id, tasks.len());
            tasks.push(CTask {
                id: *id,
                sector,
                guild: t.guild.and_then(|g| guild_ids.get(&g).copied()),
                skills: t.skills.iter().filter_map(|k| skill_ids.get(k).copied()).collect(),
                size: size_bucket(t.minutes),
                minutes: t.minutes,
                free: t.free,
                urgency: urgency_points(t, input.today),
                urgent: t.urgency == Urgency::Urgent,
                neighbour: t.neighbour.is_some(),
                gathering: t.gathering.as_ref().map(|g| g.id),
            });
        }
        Self { input, sector_ids, skill_ids, guild_ids, tasks, task_index }
    }

    pub(crate) fn member(&self, id: MemberId, m: &MemberInput) -> CMember {
        let input = self.input;
        let elapsed = month_elapsed_pm(input.today);
        let heavy = heavy_sector(m).map(|(s, _)| s);
        let mut heavy_index = None;
        let mut done_total = 0i64;
        let mut expected_total = 0i64;
        let mut baseline_total = 0i64;
        let per_sector = self
            .sector_ids
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let sec = &input.sectors[*s];
                let expected = input.expected_by_now(sec.baseline);
                let done = m.year.get(*s).copied().unwrap_or(0);
                done_total += i64::from(done);
                expected_total += i64::from(expected);
                baseline_total += i64::from(sec.baseline);
                if heavy == Some(*s) {
                    heavy_index = Some(i);
                }
                SectorPart {
                    interest: interest_points(m.interests.get(*s).copied()),
                    rotation: rotation_points(done, expected, sec.baseline),
                    sector: sector_points(sec.month_done, sec.month_goal, elapsed),
                }
            })
            .collect();
        let skill = self
            .skill_ids
            .keys()
            .map(|k| {
                let level = m.skills.get(*k).copied();
                let learning = m.learn.contains(*k);
                (level.is_some() || learning).then(|| skill_points(level, learning))
            })
            .collect();
        let mut seen: Vec<usize> = m.seen.iter().filter_map(|t| self.task_index.get(t).copied()).collect();
        seen.sort_unstable();
        CMember {
            id,
            week: Week::of(m),
            travel: m.travel,
            attending: m.attending.clone(),
            per_sector,
            skill,
            prefs: Prefs::learn(
                m,
                input.today,
                |s| self.sector_ids.binary_search(&s).ok(),
                &self.guild_ids,
                &self.skill_ids,
            ),
            seen,
            heavy: heavy_index,
            ahead_pm: ((done_total - expected_total) * 1000 / baseline_total.max(1)).clamp(-1000, 1000),
            balance: balance_points(done_total, expected_total, baseline_total),
        }
    }

    /// The terms for one pair, or `None` when the task is not for this member at all: already
    /// theirs or declined, a neighbour's call for someone who does not travel, or more than
    /// their week can take.
    pub(crate) fn terms(&self, m: &CMember, ti: usize) -> Option<Terms> {
        let t = &self.tasks[ti];
        if (t.neighbour && !m.travel) || !m.week.fits(t.minutes) || m.seen.binary_search(&ti).is_ok() {
            return None;
        }
        let part = m.per_sector[t.sector];
        let skill = if t.skills.is_empty() {
            150
        } else {
            let sum: i64 = t.skills.iter().map(|k| m.skill[*k].unwrap_or(-150)).sum();
            sum / t.skills.len() as i64
        };
        let mut load = load_points(&m.week, t.minutes);
        if let Some(h) = m.heavy {
            if h == t.sector {
                load += HEAVY_SAME;
            } else if t.minutes <= SHORT_TASK {
                load += HEAVY_LIGHTER;
            }
        }
        Some(Terms {
            skill,
            interest: part.interest,
            rotation: part.rotation + m.balance,
            sector: part.sector,
            urgency: t.urgency,
            load,
            learned: m.prefs.points(t),
            travel: if t.neighbour { TRAVEL_POINTS } else { 0 },
            gathering: if t.gathering.is_some_and(|g| m.attending.contains(&g)) { GATHERING_POINTS } else { 0 },
        })
    }
}

/// Whether a signal kind is about liking (for reasons).
pub(crate) fn liked(kind: SignalKind) -> bool {
    matches!(
        kind,
        SignalKind::Pledged
            | SignalKind::Said(weft_core::model::Verdict::Enjoyed)
            | SignalKind::Said(weft_core::model::Verdict::More)
    )
}
