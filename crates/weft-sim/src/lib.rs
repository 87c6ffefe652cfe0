//! The simulation that measures the matcher: synthetic communities over a simulated year.
//!
//! Members have hidden true interests, skills and weekly availability; what they tell the app
//! (their profile) is a noisy, incomplete version of it. Tasks arrive day by day in each
//! sector in proportion to its baseline, with bursts of urgent ones. Each member opens the app
//! every few days, looks at the first three suggestions of the policy under test, and takes one
//! or not according to their hidden preferences and how full their week is; they do the work a
//! few days later, log it, sometimes say how it went, sometimes say "not for me", and now and
//! then leave the community.
//!
//! The same world (members, their truths, every task and when it arrives, every member's
//! visits) is run under Weft's matcher and under three baselines — random, greedy by declared
//! skill, first come first served — and the outcomes are compared. Everything is integer
//! arithmetic on [`Rng`], so a seed gives the same report on every machine.
//!
//! [`synth`] makes synthetic inputs of any size for the matcher's benchmarks.
//!
//! A tool, not part of the app: it drives weft-match from outside, through its public API,
//! exactly as the node does.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod synth;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use weft_core::model::{Urgency, Verdict, default_sectors};
use weft_core::rng::Rng;
use weft_core::{Date, MemberId, SectorId, SkillId, TaskId};
use weft_match::input::{Input, MemberInput, SectorInput, Signal, SignalKind, TaskInput};
use weft_match::plan::{Plan, plan};
use weft_match::score::Week;
use weft_match::suggest::suggest;

use crate::synth::skills_by_sector;

/// How big a world, how long, which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimConfig {
    pub members: u32,
    pub months: u32,
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self { members: 100, months: 12, seed: 1 }
    }
}

/// Who picks the three tasks a member sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Weft's matcher: the plan first, then suggestions by score; the members the plan counts on
    /// for a new urgent task get a notification.
    Weft,
    /// Weft's matcher without notifications: members see suggestions only when they open the app.
    WeftQuiet,
    /// Three open tasks at random.
    Random,
    /// The open tasks that best match the member's declared skills.
    GreedySkill,
    /// The oldest open tasks first.
    FirstCome,
}

impl Policy {
    pub const ALL: [Self; 5] = [Self::Weft, Self::WeftQuiet, Self::Random, Self::GreedySkill, Self::FirstCome];
    pub fn name(self) -> &'static str {
        match self {
            Self::Weft => "weft",
            Self::WeftQuiet => "weft, no notifications",
            Self::Random => "random",
            Self::GreedySkill => "greedy by skill",
            Self::FirstCome => "first come",
        }
    }
}

/// One policy's outcomes. Shares are in permille; times in hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub policy: Policy,
    /// Median and 90th percentile of the time from posting an urgent task to its last place
    /// taken; `None` when that many urgent tasks were never filled.
    pub urgent_fill_median_h: Option<u32>,
    pub urgent_fill_p90_h: Option<u32>,
    /// Members (still in the community at the end) within ±25 % of the baseline, pro-rated to
    /// the months simulated, in every sector.
    pub within_baseline_pm: u32,
    /// Same, sector by sector (sector id → ‰).
    pub within_by_sector_pm: BTreeMap<SectorId, u32>,
    /// Gini coefficient of total hours across those members.
    pub gini_pm: u32,
    /// (member, week) pairs with more hours logged than the member's stated availability.
    pub overload_incidents: u32,
    /// Visits with suggestions on which the member took one.
    pub acceptance_pm: u32,
    /// Tasks whose places were not all taken by their deadline (or the end).
    pub unfilled_pm: u32,
    pub hours_logged: u32,
    pub visits: u32,
    pub pledges: u32,
    pub declines: u32,
    /// Parts the plan dropped because together they did not fit a week (Weft only).
    pub plan_trimmed: u32,
    /// Notifications of urgent tasks sent (Weft only), and visits that showed nothing because
    /// the member's week was full.
    pub notifications: u32,
    pub rested: u32,
}

/// The whole report: the world's size and every policy's outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub config: SimConfig,
    pub members_at_end: u32,
    pub tasks: u32,
    pub urgent_tasks: u32,
    pub outcomes: Vec<Outcome>,
}

/// One of the goals for Weft, and whether this run reached it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    pub goal: String,
    pub reached: String,
    pub met: bool,
}

const BASELINES: [Policy; 3] = [Policy::Random, Policy::GreedySkill, Policy::FirstCome];

/// "12.5%" from permille.
pub fn percent(pm: u32) -> String {
    format!("{}.{}%", pm / 10, pm % 10)
}

impl Report {
    pub fn outcome(&self, policy: Policy) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.policy == policy)
    }

    /// Weft (with notifications) against the goals: urgent places filled in at most half the
    /// best baseline's median time, ≥ 90 % of members within ±25 % of the baseline in every
    /// sector, Gini ≤ 0.15, no overload, acceptance ≥ 1.5 × the best baseline's.
    pub fn goals(&self) -> Vec<Goal> {
        let Some(w) = self.outcome(Policy::Weft) else { return Vec::new() };
        let baselines: Vec<&Outcome> = BASELINES.iter().filter_map(|p| self.outcome(*p)).collect();
        let best_fill = baselines.iter().filter_map(|o| o.urgent_fill_median_h).min();
        let best_accept = baselines.iter().map(|o| o.acceptance_pm).max().unwrap_or(0);
        let hours = |h: Option<u32>| h.map_or_else(|| "never".to_owned(), |h| format!("{h} h"));
        vec![
            Goal {
                goal: "urgent fill time (median) ≤ ½ of the best baseline".into(),
                reached: format!("{} against {}", hours(w.urgent_fill_median_h), hours(best_fill)),
                met: match (w.urgent_fill_median_h, best_fill) {
                    (Some(x), Some(b)) => x * 2 <= b,
                    (Some(_), None) => true,
                    (None, _) => false,
                },
            },
            Goal {
                goal: "≥ 90% of members within ±25% of the baseline in every sector".into(),
                reached: percent(w.within_baseline_pm),
                met: w.within_baseline_pm >= 900,
            },
            Goal {
                goal: "Gini of hours ≤ 0.15".into(), reached: format!("0.{:03}", w.gini_pm), met: w.gini_pm <= 150
            },
            Goal {
                goal: "no overload incidents".into(),
                reached: w.overload_incidents.to_string(),
                met: w.overload_incidents == 0,
            },
            Goal {
                goal: "acceptance ≥ 1.5 × the best baseline".into(),
                reached: format!("{} against {}", percent(w.acceptance_pm), percent(best_accept)),
                met: u64::from(w.acceptance_pm) * 2 >= u64::from(best_accept) * 3,
            },
        ]
    }
}

/// How many in a thousand notified members look at the app within a few hours.
const NOTICED: u32 = 700;

/// What a member is really like (the app never sees it).
#[derive(Debug, Clone)]
struct Truth {
    interest: Vec<u8>,
    skills: BTreeMap<SkillId, u8>,
    learn: BTreeSet<SkillId>,
    week: u32,
    /// Opens the app every this many days on average.
    visit_every: u32,
}

#[derive(Debug, Clone)]
struct SimTask {
    id: TaskId,
    sector: usize,
    public: TaskInput,
    posted_hour: i64,
    /// Last day places may be taken.
    deadline_day: i64,
    filled_hour: Option<i64>,
    taken: u32,
}

/// A pledge that will be worked: on `day`, `minutes` (a long task is split over two weeks).
#[derive(Debug, Clone, Copy)]
struct Work {
    day: i64,
    task: usize,
    minutes: u32,
    last: bool,
}

#[derive(Debug, Clone)]
struct SimMember {
    id: MemberId,
    truth: Truth,
    /// Days on which the member leaves (never, if beyond the end).
    leaves_day: i64,
    /// (day, sector, minutes)
    log: Vec<(i64, usize, u32)>,
    pending: Vec<Work>,
}

/// The world every policy faces: members, their truths, tasks and when they arrive, visits.
#[derive(Debug, Clone)]
struct World {
    start: Date,
    days: i64,
    sectors: Vec<(SectorId, SectorInput)>,
    members: Vec<SimMember>,
    declared: Vec<MemberInput>,
    tasks: Vec<SimTask>,
    /// (day, hour, member) visits, in time order.
    visits: Vec<(i64, i64, usize)>,
}

fn pick_index(rng: &mut Rng, n: usize) -> usize {
    usize::try_from(rng.below(n as u64)).unwrap_or(0)
}

fn small(rng: &mut Rng, lo: u32, hi: u32) -> u8 {
    u8::try_from(rng.range_u32(lo, hi)).unwrap_or(0)
}

impl World {
    /// The calendar week (Monday to Sunday) of a simulated day, counted from the first.
    fn week_of(&self, day: i64) -> i64 {
        (day + i64::from(self.start.weekday())) / 7
    }

    fn new(cfg: &SimConfig) -> Self {
        let mut rng = Rng::new(cfg.seed);
        let start = Date::from_ymd(2026, 1, 1).unwrap_or_else(|| Date::of_timestamp(weft_core::Timestamp(0)));
        let end = (0..cfg.months.max(1)).fold(start.month(), |m, _| m.next()).first_day();
        let days = end.days_since_epoch() - start.days_since_epoch();
        let catalogue = skills_by_sector();
        let n = cfg.members.max(2) as usize;
        let sectors: Vec<(SectorId, SectorInput)> = default_sectors()
            .into_iter()
            .map(|s| {
                let goal = s.baseline.get() * cfg.members / 12;
                (s.id, SectorInput { name: s.name, baseline: s.baseline.get(), month_done: 0, month_goal: goal.max(1) })
            })
            .collect();
        let sector_of = |id: &SectorId| sectors.iter().position(|(s, _)| s == id).unwrap_or(0);

        let mut members = Vec::with_capacity(n);
        let mut declared = Vec::with_capacity(n);
        for i in 0..n {
            // Interests: most people like a few sectors and are lukewarm about the rest.
            let interest: Vec<u8> = sectors.iter().map(|_| small(&mut rng, 1, 6)).collect();
            let mut skills = BTreeMap::new();
            let mut learn = BTreeSet::new();
            for (s, ks) in &catalogue {
                let affinity = u32::from(interest[sector_of(s)]);
                for k in ks {
                    let roll = rng.below(100);
                    if roll < u64::from(8 + affinity * 6) {
                        skills.insert(k.clone(), small(&mut rng, 1, 6));
                    } else if roll < u64::from(14 + affinity * 6) {
                        learn.insert(k.clone());
                    }
                }
            }
            let week = 60 * rng.range_u32(3, 9);
            let truth = Truth { interest, skills, learn, week, visit_every: rng.range_u32(1, 5) };
            // What they tell the app: most skills (levels ±1), most interests (some ±1), their
            // hours; a fifth leave the interest sliders alone.
            let mut d = MemberInput {
                name: format!("member {i}"),
                week_minutes: truth.week,
                travel: rng.chance(200),
                learn: truth.learn.clone(),
                ..MemberInput::default()
            };
            for (k, l) in &truth.skills {
                if rng.chance(850) {
                    let noisy = match rng.below(5) {
                        0 => l.saturating_sub(1).max(1),
                        1 => (*l + 1).min(5),
                        _ => *l,
                    };
                    d.skills.insert(k.clone(), noisy);
                }
            }
            if rng.chance(800) {
                for (si, (s, _)) in sectors.iter().enumerate() {
                    let t = truth.interest[si];
                    let noisy = match rng.below(10) {
                        0 => t.saturating_sub(1),
                        1 => (t + 1).min(5),
                        _ => t,
                    };
                    d.interests.insert(s.clone(), noisy);
                }
            }
            // About one member in nine leaves during a year.
            let leaves_day = if rng.chance(110) { rng.range_i64(30, 365) } else { i64::MAX };
            members.push(SimMember {
                id: MemberId::from_bytes(rng.bytes::<32>()),
                truth,
                leaves_day,
                log: Vec::new(),
                pending: Vec::new(),
            });
            declared.push(d);
        }

        // Tasks: each sector's yearly need is its baseline × members, plus a tenth, in tasks of
        // one to six hours and one to four places; a few bursts of urgent ones.
        let mut tasks = Vec::new();
        let total_baseline: u64 = sectors.iter().map(|(_, s)| u64::from(s.baseline)).sum();
        let yearly_need = total_baseline * n as u64 * 11 / 10;
        let need = yearly_need * u64::try_from(days).unwrap_or(365) / 365;
        let mut made = 0u64;
        let mut burst_days: BTreeSet<i64> = BTreeSet::new();
        for _ in 0..(days / 40).max(1) {
            burst_days.insert(rng.range_i64(0, days));
        }
        while made < need {
            let weights: Vec<u32> = sectors.iter().map(|(_, s)| s.baseline).collect();
            let si = rng.weighted_index(&weights).unwrap_or(0);
            let day = rng.range_i64(0, days);
            let burst = burst_days.range(day - 1..=day).next().is_some() && rng.chance(500);
            let urgency = if burst || rng.chance(60) {
                Urgency::Urgent
            } else if rng.chance(200) {
                Urgency::Soon
            } else {
                Urgency::Normal
            };
            let minutes = 60 * rng.range_u32(1, 7);
            let slots = rng.range_u32(1, 5);
            made += u64::from(minutes * slots);
            tasks.push(Self::task(&mut rng, &catalogue, &sectors, si, day, urgency, minutes, slots, start));
        }
        tasks.sort_by_key(|t| (t.posted_hour, t.id));

        let mut visits = Vec::new();
        for (mi, m) in members.iter().enumerate() {
            let mut day = rng.range_i64(0, i64::from(m.truth.visit_every));
            while day < days {
                visits.push((day, rng.range_i64(7, 23), mi));
                day += rng.range_i64(1, 2 * i64::from(m.truth.visit_every));
            }
        }
        visits.sort_unstable();
        Self { start, days, sectors, members, declared, tasks, visits }
    }

    #[allow(clippy::too_many_arguments)]
    fn task(
        rng: &mut Rng,
        catalogue: &[(SectorId, Vec<SkillId>)],
        sectors: &[(SectorId, SectorInput)],
        si: usize,
        day: i64,
        urgency: Urgency,
        minutes: u32,
        slots: u32,
        start: Date,
    ) -> SimTask {
        let sector = sectors[si].0.clone();
        let mut skills = BTreeSet::new();
        if let Some((_, ks)) = catalogue.iter().find(|(s, _)| *s == sector) {
            for _ in 0..rng.below(3) {
                if let Some(k) = rng.pick(ks) {
                    skills.insert(k.clone());
                }
            }
        }
        let window = match urgency {
            Urgency::Urgent => rng.range_i64(2, 5),
            Urgency::Soon => rng.range_i64(7, 11),
            Urgency::Normal => rng.range_i64(21, 43),
        };
        let posted = start.add_days(day).unwrap_or(start);
        let deadline = posted.add_days(window).unwrap_or(posted);
        SimTask {
            id: TaskId::from_bytes(rng.bytes::<12>()),
            sector: si,
            public: TaskInput {
                title: format!("{} task", sectors[si].1.name),
                sector,
                guild: None,
                skills,
                minutes,
                slots,
                free: slots,
                urgency,
                deadline: Some(deadline),
                posted,
                neighbour: None,
            },
            posted_hour: day * 24 + rng.range_i64(6, 20),
            deadline_day: day + window,
            filled_hour: None,
            taken: 0,
        }
    }
}

/// How much a member wants a task, in permille: their hidden interest and skills, how full
/// their week really is, variety, and the pull of an urgent need.
fn appeal(m: &SimMember, t: &SimTask, load: u32, recent_same: bool) -> u32 {
    let mut a: i64 = [40, 120, 260, 420, 560, 700][usize::from(m.truth.interest[t.sector].min(5))];
    for k in &t.public.skills {
        match m.truth.skills.get(k) {
            Some(l) if *l >= 2 => a += 90,
            Some(_) => a += 20,
            None if m.truth.learn.contains(k) => a += 60,
            None => a -= 180,
        }
    }
    let after = load + t.public.minutes;
    if after > m.truth.week * 3 / 2 {
        a -= 450;
    } else if after > m.truth.week {
        a -= 250;
    }
    if recent_same {
        a -= 120;
    }
    if t.public.urgency == Urgency::Urgent {
        a += 150;
    }
    u32::try_from(a.clamp(20, 950)).unwrap_or(20)
}

/// What a member says after doing a task, if anything.
fn verdict(rng: &mut Rng, m: &SimMember, t: &SimTask) -> Option<Verdict> {
    if !rng.chance(600) {
        return None;
    }
    let hard = t.public.skills.iter().any(|k| !m.truth.skills.contains_key(k) && !m.truth.learn.contains(k));
    let interest = m.truth.interest[t.sector];
    Some(if hard && rng.chance(500) {
        Verdict::TooHard
    } else if interest <= 1 {
        Verdict::NotAgain
    } else if interest >= 4 {
        if rng.chance(400) { Verdict::More } else { Verdict::Enjoyed }
    } else {
        Verdict::Enjoyed
    })
}

struct Run<'w> {
    world: &'w World,
    policy: Policy,
    rng: Rng,
    members: Vec<SimMember>,
    tasks: Vec<SimTask>,
    input: Input,
    /// Task ids on the board → index.
    board: BTreeMap<TaskId, usize>,
    next_arrival: usize,
    /// Visits prompted by a notification: (hour, member).
    notified: BTreeSet<(i64, usize)>,
    plan: Plan,
    stats: Outcome,
    day: i64,
}

impl<'w> Run<'w> {
    fn new(world: &'w World, policy: Policy, seed: u64) -> Self {
        let members_map = world.members.iter().zip(&world.declared).map(|(m, d)| (m.id, d.clone())).collect();
        Self {
            world,
            policy,
            rng: Rng::new(seed ^ 0xd1ce),
            members: world.members.clone(),
            tasks: world.tasks.clone(),
            input: Input {
                today: world.start,
                sectors: world.sectors.iter().cloned().collect(),
                guilds: BTreeMap::new(),
                members: members_map,
                tasks: BTreeMap::new(),
            },
            board: BTreeMap::new(),
            next_arrival: 0,
            notified: BTreeSet::new(),
            plan: Plan::default(),
            stats: Outcome {
                policy,
                urgent_fill_median_h: None,
                urgent_fill_p90_h: None,
                within_baseline_pm: 0,
                within_by_sector_pm: BTreeMap::new(),
                gini_pm: 0,
                overload_incidents: 0,
                acceptance_pm: 0,
                unfilled_pm: 0,
                hours_logged: 0,
                visits: 0,
                pledges: 0,
                declines: 0,
                plan_trimmed: 0,
                notifications: 0,
                rested: 0,
            },
            day: 0,
        }
    }

    fn date(&self, day: i64) -> Date {
        self.world.start.add_days(day).unwrap_or(self.world.start)
    }

    /// Starts a day: members leave, work due is done and logged, expired tasks close, the
    /// rolling windows move, and (for Weft) the day's plan is made.
    fn start_day(&mut self, day: i64) {
        self.day = day;
        let today = self.date(day);
        self.input.today = today;
        if today.day() == 1 {
            for s in self.input.sectors.values_mut() {
                s.month_done = 0;
            }
        }
        for mi in 0..self.members.len() {
            if self.members[mi].leaves_day == day {
                self.leave(mi);
            }
            self.work(mi, day);
        }
        // Close tasks past their deadline.
        let expired: Vec<TaskId> =
            self.board.iter().filter(|(_, ti)| self.tasks[**ti].deadline_day < day).map(|(id, _)| *id).collect();
        for id in expired {
            self.board.remove(&id);
            self.input.tasks.remove(&id);
        }
        let active = u32::try_from(self.input.members.len()).unwrap_or(0);
        for s in self.input.sectors.values_mut() {
            s.month_goal = (s.baseline * active / 12).max(1);
        }
        for mi in 0..self.members.len() {
            self.windows(mi, day);
        }
        if self.uses_weft() {
            self.plan = plan(&self.input);
            self.stats.plan_trimmed += self.plan.trimmed;
            // Monday morning: each member the plan counts on hears about their part.
            if self.policy == Policy::Weft && today.weekday() == 0 {
                self.notify(self.plan.parts.iter().map(|p| p.member).collect(), day * 24 + 8, 12);
            }
        }
    }

    fn leave(&mut self, mi: usize) {
        let m = &mut self.members[mi];
        self.input.members.remove(&m.id);
        // Their unworked places open again.
        for w in std::mem::take(&mut m.pending) {
            if w.last {
                let t = &mut self.tasks[w.task];
                t.taken -= 1;
                if t.deadline_day >= self.day && self.board.contains_key(&t.id) {
                    if let Some(ti) = self.input.tasks.get_mut(&t.id) {
                        ti.free += 1;
                    }
                } else if t.deadline_day >= self.day {
                    self.board.insert(t.id, w.task);
                    self.input.tasks.insert(t.id, TaskInput { free: 1, ..t.public.clone() });
                }
            }
        }
    }

    fn work(&mut self, mi: usize, day: i64) {
        let due: Vec<Work> = self.members[mi].pending.iter().filter(|w| w.day == day).copied().collect();
        if due.is_empty() {
            return;
        }
        self.members[mi].pending.retain(|w| w.day != day);
        for w in due {
            let sector = self.tasks[w.task].sector;
            self.members[mi].log.push((day, sector, w.minutes));
            self.stats.hours_logged += w.minutes;
            let id = self.members[mi].id;
            let sid = &self.world.sectors[sector].0;
            if let Some(s) = self.input.sectors.get_mut(sid) {
                s.month_done += w.minutes;
            }
            if let Some(d) = self.input.members.get_mut(&id) {
                *d.year.entry(sid.clone()).or_default() += w.minutes;
                d.committed = d.committed.saturating_sub(w.minutes);
            }
            if w.last {
                let (m, t) = (&self.members[mi], &self.tasks[w.task]);
                if let Some(v) = verdict(&mut self.rng, m, t)
                    && let Some(d) = self.input.members.get_mut(&id)
                {
                    d.history.push(Signal {
                        kind: SignalKind::Said(v),
                        on: self.input.today,
                        sector: t.public.sector.clone(),
                        guild: None,
                        skills: t.public.skills.clone(),
                        minutes: t.public.minutes,
                    });
                }
            }
        }
    }

    fn windows(&mut self, mi: usize, day: i64) {
        let m = &self.members[mi];
        let Some(d) = self.input.members.get_mut(&m.id) else { return };
        let week = self.world.week_of(day);
        d.this_week = m.log.iter().filter(|(dd, _, _)| self.world.week_of(*dd) == week).map(|(_, _, x)| *x).sum();
        d.last_28.clear();
        for (dd, s, x) in m.log.iter().rev().take_while(|(dd, _, _)| day - dd < 28) {
            let _ = dd;
            *d.last_28.entry(self.world.sectors[*s].0.clone()).or_default() += *x;
        }
    }

    fn uses_weft(&self) -> bool {
        matches!(self.policy, Policy::Weft | Policy::WeftQuiet)
    }

    /// Tasks posted up to `hour` appear on the board. Under Weft with notifications, a new
    /// urgent task re-makes the plan, and the members it counts on for the task are notified:
    /// most of them look within a few hours.
    fn arrivals(&mut self, hour: i64) {
        let mut urgent = Vec::new();
        while let Some(t) = self.tasks.get(self.next_arrival) {
            if t.posted_hour > hour {
                break;
            }
            self.board.insert(t.id, self.next_arrival);
            self.input.tasks.insert(t.id, t.public.clone());
            if t.public.urgency == Urgency::Urgent {
                urgent.push(t.id);
            }
            self.next_arrival += 1;
        }
        if self.policy != Policy::Weft || urgent.is_empty() {
            return;
        }
        self.plan = plan(&self.input);
        self.stats.plan_trimmed += self.plan.trimmed;
        let called = self.plan.parts.iter().filter(|p| urgent.contains(&p.task)).map(|p| p.member).collect();
        self.notify(called, hour, 4);
    }

    /// Notifies members; most look within `within` hours.
    fn notify(&mut self, mut members: Vec<MemberId>, hour: i64, within: i64) {
        members.sort_unstable();
        members.dedup();
        for id in members {
            let Some(mi) = self.members.iter().position(|m| m.id == id) else { continue };
            self.stats.notifications += 1;
            if self.rng.chance(NOTICED) {
                let at = hour + self.rng.range_i64(0, within);
                self.notified.insert((at, mi));
            }
        }
    }

    /// The three tasks the policy shows a member.
    fn offers(&mut self, mi: usize) -> Vec<usize> {
        let id = self.members[mi].id;
        let Some(d) = self.input.members.get(&id) else { return Vec::new() };
        let open = |ti: &usize| !d.seen.contains(&self.tasks[*ti].id);
        match self.policy {
            Policy::Weft | Policy::WeftQuiet => suggest(&self.input, id, 3, Some(&self.plan))
                .map(|s| s.items.iter().filter_map(|i| self.board.get(&i.task).copied()).collect())
                .unwrap_or_default(),
            Policy::Random => {
                let mut pool: Vec<usize> = self.board.values().copied().filter(open).collect();
                let mut out = Vec::new();
                while out.len() < 3 && !pool.is_empty() {
                    let i = pick_index(&mut self.rng, pool.len());
                    out.push(pool.swap_remove(i));
                }
                out
            }
            Policy::GreedySkill => {
                let mut pool: Vec<(i64, i64, usize)> = self
                    .board
                    .values()
                    .copied()
                    .filter(open)
                    .map(|ti| {
                        let t = &self.tasks[ti];
                        let fit: i64 =
                            t.public.skills.iter().map(|k| i64::from(d.skills.get(k).copied().unwrap_or(0))).sum();
                        (-fit, t.posted_hour, ti)
                    })
                    .collect();
                pool.sort_unstable();
                pool.into_iter().take(3).map(|(_, _, ti)| ti).collect()
            }
            Policy::FirstCome => {
                let mut pool: Vec<(i64, usize)> =
                    self.board.values().copied().filter(open).map(|ti| (self.tasks[ti].posted_hour, ti)).collect();
                pool.sort_unstable();
                pool.into_iter().take(3).map(|(_, ti)| ti).collect()
            }
        }
    }

    fn visit(&mut self, hour: i64, mi: usize) {
        let id = self.members[mi].id;
        if !self.input.members.contains_key(&id) {
            return;
        }
        let offers = self.offers(mi);
        if offers.is_empty() {
            if self.uses_weft() && self.input.members.get(&id).is_some_and(|d| Week::of(d).resting().is_some()) {
                self.stats.rested += 1;
            }
            return;
        }
        self.stats.visits += 1;
        let (load, recent) = {
            let d = &self.input.members[&id];
            let top = d.last_28.iter().max_by(|a, b| a.1.cmp(b.1)).map(|(s, x)| (s.clone(), *x));
            let total: u32 = d.last_28.values().sum();
            (d.this_week + d.committed, top.filter(|(_, x)| total > 0 && x * 100 >= total * 60).map(|(s, _)| s))
        };
        for ti in offers {
            let t = &self.tasks[ti];
            let same = recent.as_ref() == Some(&t.public.sector);
            let p = appeal(&self.members[mi], t, load, same);
            if self.rng.chance(p) {
                self.pledge(mi, ti, hour);
                return;
            }
            if p < 300 && self.rng.chance(300) {
                self.decline(mi, ti);
            }
        }
    }

    fn signal(&self, ti: usize, kind: SignalKind) -> Signal {
        let t = &self.tasks[ti];
        Signal {
            kind,
            on: self.input.today,
            sector: t.public.sector.clone(),
            guild: None,
            skills: t.public.skills.clone(),
            minutes: t.public.minutes,
        }
    }

    fn decline(&mut self, mi: usize, ti: usize) {
        let signal = self.signal(ti, SignalKind::Declined);
        let tid = self.tasks[ti].id;
        if let Some(d) = self.input.members.get_mut(&self.members[mi].id) {
            d.seen.insert(tid);
            d.history.push(signal);
            self.stats.declines += 1;
        }
    }

    fn pledge(&mut self, mi: usize, ti: usize, hour: i64) {
        self.stats.pledges += 1;
        let signal = self.signal(ti, SignalKind::Pledged);
        let t = &mut self.tasks[ti];
        t.taken += 1;
        let full = t.taken >= t.public.slots;
        if full {
            t.filled_hour.get_or_insert(hour);
            self.board.remove(&t.id);
            self.input.tasks.remove(&t.id);
        } else if let Some(x) = self.input.tasks.get_mut(&t.id) {
            x.free = t.public.slots - t.taken;
        }
        let (tid, minutes, deadline) = (t.id, t.public.minutes, t.deadline_day);
        let m = &mut self.members[mi];
        // The work happens within the next few days, before the deadline if there is time.
        let room = (deadline - self.day).clamp(1, 6);
        let day = self.day + self.rng.range_i64(1, room + 1);
        if minutes > m.truth.week {
            let half = minutes / 2;
            m.pending.push(Work { day, task: ti, minutes: half, last: false });
            m.pending.push(Work { day: day + 7, task: ti, minutes: minutes - half, last: true });
        } else {
            m.pending.push(Work { day, task: ti, minutes, last: true });
        }
        if let Some(d) = self.input.members.get_mut(&m.id) {
            d.seen.insert(tid);
            d.committed += minutes;
            d.history.push(signal);
        }
    }

    fn finish(self) -> Outcome {
        let world = self.world;
        let mut stats = self.stats;
        // Urgent fill times; never filled sorts last.
        let mut fills: Vec<Option<i64>> = self
            .tasks
            .iter()
            .filter(|t| t.public.urgency == Urgency::Urgent)
            .map(|t| t.filled_hour.map(|h| h - t.posted_hour))
            .collect();
        fills.sort_by_key(|f| f.unwrap_or(i64::MAX));
        let quantile = |q: usize| -> Option<u32> {
            if fills.is_empty() {
                return None;
            }
            let i = ((fills.len() - 1) * q) / 100;
            fills[i].and_then(|h| u32::try_from(h).ok())
        };
        stats.urgent_fill_median_h = quantile(50);
        stats.urgent_fill_p90_h = quantile(90);
        let unfilled = self.tasks.iter().filter(|t| t.filled_hour.is_none()).count();
        stats.unfilled_pm = pm(unfilled, self.tasks.len());
        stats.acceptance_pm = pm(stats.pledges as usize, stats.visits as usize);

        // Members still here at the end.
        let months = u32::try_from(world.days * 1000 / 365).unwrap_or(1000);
        let present: Vec<&SimMember> = self.members.iter().filter(|m| m.leaves_day >= world.days).collect();
        let mut within_all = 0usize;
        let mut within_sector = vec![0usize; world.sectors.len()];
        let mut totals: Vec<u64> = Vec::with_capacity(present.len());
        for m in &present {
            let mut per = vec![0u64; world.sectors.len()];
            for (_, s, x) in &m.log {
                per[*s] += u64::from(*x);
            }
            totals.push(per.iter().sum());
            let mut all = true;
            for (si, (_, s)) in world.sectors.iter().enumerate() {
                let target = u64::from(s.baseline) * u64::from(months) / 1000;
                let ok = per[si] * 4 >= target * 3 && per[si] * 4 <= target * 5;
                if ok {
                    within_sector[si] += 1;
                } else {
                    all = false;
                }
            }
            if all {
                within_all += 1;
            }
        }
        stats.within_baseline_pm = pm(within_all, present.len());
        stats.within_by_sector_pm =
            world.sectors.iter().zip(&within_sector).map(|((id, _), n)| (id.clone(), pm(*n, present.len()))).collect();
        stats.gini_pm = gini_pm(&mut totals);

        // Overload: calendar weeks (Monday to Sunday) with more logged than stated.
        for (m, d) in self.members.iter().zip(&world.declared) {
            let mut weeks: BTreeMap<i64, u32> = BTreeMap::new();
            for (day, _, x) in &m.log {
                *weeks.entry(world.week_of(*day)).or_default() += x;
            }
            stats.overload_incidents +=
                u32::try_from(weeks.values().filter(|w| **w > d.week_minutes).count()).unwrap_or(0);
        }
        stats
    }
}

fn pm(part: usize, whole: usize) -> u32 {
    (part * 1000).checked_div(whole).map_or(0, |x| u32::try_from(x).unwrap_or(1000))
}

/// Gini coefficient in permille (0 = everyone gave the same).
pub fn gini_pm(values: &mut [u64]) -> u32 {
    values.sort_unstable();
    let n = values.len() as i128;
    let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
    if n == 0 || sum == 0 {
        return 0;
    }
    let weighted: i128 = values.iter().enumerate().map(|(i, v)| (i as i128 + 1) * i128::from(*v)).sum();
    let g = (2 * weighted - (n + 1) * sum) * 1000 / (n * sum);
    u32::try_from(g.max(0)).unwrap_or(0)
}

/// Runs one policy on a world built from `cfg`.
pub fn run_policy(cfg: &SimConfig, policy: Policy) -> Outcome {
    let world = World::new(cfg);
    run_on(&world, cfg.seed, policy)
}

fn run_on(world: &World, seed: u64, policy: Policy) -> Outcome {
    let mut run = Run::new(world, policy, seed);
    let mut v = 0usize;
    for day in 0..world.days {
        run.start_day(day);
        for hour in day * 24..(day + 1) * 24 {
            run.arrivals(hour);
            while let Some(&(vd, vh, mi)) = world.visits.get(v) {
                if vd * 24 + vh != hour {
                    break;
                }
                run.visit(hour, mi);
                v += 1;
            }
            while let Some(&(at, mi)) = run.notified.first() {
                if at > hour {
                    break;
                }
                run.notified.pop_first();
                run.visit(hour, mi);
            }
        }
    }
    run.start_day(world.days);
    run.finish()
}

/// Runs every policy on the same world and reports.
pub fn simulate(cfg: &SimConfig) -> Report {
    let world = World::new(cfg);
    let outcomes = Policy::ALL.iter().map(|p| run_on(&world, cfg.seed, *p)).collect();
    Report {
        config: *cfg,
        members_at_end: u32::try_from(world.members.iter().filter(|m| m.leaves_day >= world.days).count()).unwrap_or(0),
        tasks: u32::try_from(world.tasks.len()).unwrap_or(0),
        urgent_tasks: u32::try_from(world.tasks.iter().filter(|t| t.public.urgency == Urgency::Urgent).count())
            .unwrap_or(0),
        outcomes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_of_equal_and_unequal() {
        assert_eq!(gini_pm(&mut [5, 5, 5, 5]), 0);
        // One person gives everything among four: (n-1)/n.
        assert_eq!(gini_pm(&mut [0, 0, 0, 8]), 750);
    }

    #[test]
    fn a_small_simulated_season_runs_every_policy_reproducibly() {
        let cfg = SimConfig { members: 24, months: 2, seed: 3 };
        let a = simulate(&cfg);
        assert_eq!(a, simulate(&cfg), "same seed, same report");
        assert_eq!(a.outcomes.len(), Policy::ALL.len());
        let weft = a.outcome(Policy::Weft).unwrap();
        assert!(weft.pledges > 0 && weft.hours_logged > 0);
        assert_eq!(weft.overload_incidents, 0, "{weft:?}");
        let random = a.outcome(Policy::Random).unwrap();
        assert!(random.visits > 0);
        assert!(weft.acceptance_pm > random.acceptance_pm, "{weft:?} vs {random:?}");
    }
}
