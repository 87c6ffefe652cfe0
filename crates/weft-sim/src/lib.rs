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
use weft_core::escalation::Rule;
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
    /// Weft's matcher: the plan first, then suggestions by score; as in the desktop app, a
    /// member gets a notification of a new urgent task among their first
    /// [`NOTIFY_SUGGESTIONS`] suggestions.
    Weft,
    /// Weft's matcher without notifications: members see suggestions only when they open the app.
    WeftQuiet,
    /// Three open tasks at random.
    Random,
    /// The open tasks that best match the member's declared skills.
    GreedySkill,
    /// The oldest open tasks first.
    FirstCome,
    /// Weft's matcher with notifications, in linked communities that never escalate: what
    /// neighbours add, measured against Weft alone.
    WeftNoEscalation,
    /// Weft as it was before dated pledges: every pledge not yet worked counts as this week's
    /// load in the burnout guard, whatever day it is for.
    WeftUndated,
}

impl Policy {
    /// The policies of a single community.
    pub const ALL: [Self; 6] =
        [Self::Weft, Self::WeftUndated, Self::WeftQuiet, Self::Random, Self::GreedySkill, Self::FirstCome];
    /// The policies of linked communities: Weft with and without escalation, and the baselines,
    /// which never escalate (today's world, where communities do not ask each other).
    pub const NETWORK: [Self; 6] =
        [Self::Weft, Self::WeftQuiet, Self::WeftNoEscalation, Self::Random, Self::GreedySkill, Self::FirstCome];
    pub fn name(self) -> &'static str {
        match self {
            Self::Weft => "weft",
            Self::WeftQuiet => "weft, no notifications",
            Self::WeftNoEscalation => "weft, no escalation",
            Self::WeftUndated => "weft, undated pledges",
            Self::Random => "random",
            Self::GreedySkill => "greedy by skill",
            Self::FirstCome => "first come",
        }
    }

    /// Whether the policy offers urgent tasks short of people to linked communities.
    pub fn escalates(self) -> bool {
        matches!(self, Self::Weft | Self::WeftQuiet)
    }

    fn uses_weft(self) -> bool {
        matches!(self, Self::Weft | Self::WeftQuiet | Self::WeftNoEscalation | Self::WeftUndated)
    }

    /// Whether pledges say their day, so the burnout guard counts only this week's work.
    fn dates_pledges(self) -> bool {
        matches!(self, Self::Weft | Self::WeftQuiet | Self::WeftNoEscalation)
    }

    fn notifies(self) -> bool {
        matches!(self, Self::Weft | Self::WeftNoEscalation | Self::WeftUndated)
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
    /// What escalation did, for a policy that escalates among linked communities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
}

/// Escalation among linked communities, over all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// Urgent tasks offered to the linked communities as calls.
    pub calls_opened: u32,
    /// Of those, tasks whose places were all taken, at least one of them by a visitor.
    pub calls_filled_by_visitors: u32,
    /// Places visitors took on calls.
    pub visitor_pledges: u32,
    /// Minutes visitors logged on calls, in their own communities' ledgers.
    pub visitor_minutes: u32,
}

/// Linked communities: how many, how far apart, who travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// Communities in a ring, each linked to its two neighbours (two: to each other).
    pub communities: u32,
    /// The distance between linked communities (a visitor's reluctance grows with it).
    pub distance: u32,
    /// Members, over all communities, willing to travel (and saying so in their profile).
    pub travellers: u32,
}

/// The whole report: the world's size and every policy's outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub config: SimConfig,
    pub members_at_end: u32,
    pub tasks: u32,
    pub urgent_tasks: u32,
    pub outcomes: Vec<Outcome>,
    /// Linked communities, when more than one was simulated; the figures above are then over
    /// all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
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
    /// sector, Gini ≤ 0.15, no overload, acceptance ≥ 1.5 × the best baseline's. With linked
    /// communities, also: urgent places filled by the 90th percentile no later than under the
    /// best baseline, with escalation and no overload.
    pub fn goals(&self) -> Vec<Goal> {
        let Some(w) = self.outcome(Policy::Weft) else { return Vec::new() };
        let baselines: Vec<&Outcome> = BASELINES.iter().filter_map(|p| self.outcome(*p)).collect();
        let best_fill = baselines.iter().filter_map(|o| o.urgent_fill_median_h).min();
        let best_accept = baselines.iter().map(|o| o.acceptance_pm).max().unwrap_or(0);
        let hours = |h: Option<u32>| h.map_or_else(|| "never".to_owned(), |h| format!("{h} h"));
        let mut goals = vec![
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
        ];
        if self.network.is_some() {
            // Never filled counts as longer than any time.
            let best_p90 = baselines.iter().map(|o| o.urgent_fill_p90_h.map_or(u64::MAX, u64::from)).min();
            let p90 = w.urgent_fill_p90_h.map_or(u64::MAX, u64::from);
            let best = best_p90.and_then(|b| u32::try_from(b).ok());
            goals.push(Goal {
                goal: "with escalation, urgent fill time (p90) ≤ the best baseline, with no overload".into(),
                reached: format!(
                    "{} against {}, {} overload week{}",
                    hours(w.urgent_fill_p90_h),
                    hours(best),
                    w.overload_incidents,
                    if w.overload_incidents == 1 { "" } else { "s" }
                ),
                met: p90 < u64::MAX && best_p90.is_some_and(|b| p90 <= b) && w.overload_incidents == 0,
            });
        }
        goals
    }
}

/// How many in a thousand notified members look at the app within a few hours.
const NOTICED: u32 = 700;
/// The desktop app notifies a member of a new urgent task among this many of their
/// suggestions (the suggestions it reads after a change by someone else).
const NOTIFY_SUGGESTIONS: usize = 20;

/// What a member is really like (the app never sees it).
#[derive(Debug, Clone)]
struct Truth {
    interest: Vec<u8>,
    skills: BTreeMap<SkillId, u8>,
    learn: BTreeSet<SkillId>,
    week: u32,
    /// Opens the app every this many days on average.
    visit_every: u32,
    /// Willing to go and help a linked community (and says so in their profile).
    travel: bool,
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
    /// Offered to the linked communities as a call at least once.
    escalated: bool,
    /// Places taken by visitors from linked communities.
    visitors: u32,
}

/// A pledge that will be worked: on `day`, `minutes` (a long task is split over two weeks).
#[derive(Debug, Clone, Copy)]
struct Work {
    day: i64,
    /// The task: an index into the run's tasks, or into its calls answered when `away`.
    task: usize,
    minutes: u32,
    last: bool,
    /// A linked community's call, answered by a visitor.
    away: bool,
}

/// A linked community's call a member of this one took a place on.
#[derive(Debug, Clone)]
struct Answered {
    community: usize,
    task: usize,
    sim: SimTask,
}

/// A linked community's open call, as this community's travellers see it.
#[derive(Debug, Clone)]
struct Incoming {
    community: usize,
    task: usize,
    distance: u32,
    sim: SimTask,
}

/// What a visit or a departure did to another community, for the driver to apply there.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// A visitor took a place on the community's task.
    Pledged { community: usize, task: usize },
    /// A visitor who left will not do their place.
    Released { community: usize, task: usize },
}

/// What a member was shown: a task of their own community or a linked community's call.
#[derive(Debug, Clone, Copy)]
enum Pick {
    Own(usize),
    Call(TaskId),
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
            let visit_every = rng.range_u32(1, 5);
            let travel = rng.chance(200);
            let truth = Truth { interest, skills, learn, week, visit_every, travel };
            // What they tell the app: most skills (levels ±1), most interests (some ±1), their
            // hours; a fifth leave the interest sliders alone.
            let mut d = MemberInput {
                name: format!("member {i}"),
                week_minutes: truth.week,
                travel: truth.travel,
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
                stand_ins: 0,
                urgency,
                deadline: Some(deadline),
                posted,
                neighbour: None,
                gathering: None,
            },
            posted_hour: day * 24 + rng.range_i64(6, 20),
            deadline_day: day + window,
            filled_hour: None,
            taken: 0,
            escalated: false,
            visitors: 0,
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

/// How far apart linked communities are.
const DISTANCE: u32 = 1;
/// How much less, in permille, a visitor wants a call per unit of distance than the same task
/// at home.
const TRAVEL_COST: u32 = 60;

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
    /// This community's linked communities (index, distance), and its escalation rule.
    links: Vec<(usize, u32)>,
    rule: Rule,
    /// Open calls: this community's tasks offered to the linked ones (id → index).
    calls: BTreeMap<TaskId, usize>,
    /// The open calls changed since the linked communities last saw them.
    calls_changed: bool,
    /// Linked communities' open calls, as this community's travellers see them.
    incoming: BTreeMap<TaskId, Incoming>,
    /// Calls this community's members took a place on.
    answered: Vec<Answered>,
    /// What this community's members did to other communities, for the driver to apply.
    outbox: Vec<Event>,
    escalation: Escalation,
}

impl Outcome {
    fn empty(policy: Policy) -> Self {
        Self {
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
            escalation: None,
        }
    }
}

fn signal_of(t: &SimTask, kind: SignalKind, on: Date) -> Signal {
    Signal {
        kind,
        on,
        sector: t.public.sector.clone(),
        guild: None,
        skills: t.public.skills.clone(),
        minutes: t.public.minutes,
    }
}

impl<'w> Run<'w> {
    fn new(world: &'w World, policy: Policy, seed: u64, links: Vec<(usize, u32)>) -> Self {
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
            stats: Outcome::empty(policy),
            day: 0,
            links,
            rule: Rule::default(),
            calls: BTreeMap::new(),
            calls_changed: false,
            incoming: BTreeMap::new(),
            answered: Vec::new(),
            outbox: Vec::new(),
            escalation: Escalation::default(),
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
            if self.calls.contains_key(&id) {
                self.calls_changed = true;
            }
        }
        let active = u32::try_from(self.input.members.len()).unwrap_or(0);
        for s in self.input.sectors.values_mut() {
            s.month_goal = (s.baseline * active / 12).max(1);
        }
        for mi in 0..self.members.len() {
            self.windows(mi, day);
            self.promised(mi);
        }
        if self.policy.uses_weft() {
            self.plan = plan(&self.input);
            self.stats.plan_trimmed += self.plan.trimmed;
            // Monday morning: each member the plan counts on hears about their part.
            if self.policy.notifies() && today.weekday() == 0 {
                self.notify(self.plan.parts.iter().map(|p| p.member).collect(), day * 24 + 8, 12);
            }
        }
    }

    /// Whether work of `minutes` begun on `day` fits the member's weeks: one week's, or, for
    /// work longer than a week holds, half in that week and half a week later (as `commit`
    /// splits it).
    fn fits_from(&self, mi: usize, day: i64, minutes: u32) -> bool {
        if minutes > self.members[mi].truth.week {
            let half = minutes / 2;
            self.fits_week(mi, day, half) && self.fits_week(mi, day + 7, minutes - half)
        } else {
            self.fits_week(mi, day, minutes)
        }
    }

    /// Whether `minutes` more on `day` fit the member's week of that day: the work promised
    /// for that week, and (this week) what they logged already.
    fn fits_week(&self, mi: usize, day: i64, minutes: u32) -> bool {
        let monday = |d: i64| d - i64::from(self.date(d).weekday());
        let week = monday(day);
        let m = &self.members[mi];
        let promised: u32 = m.pending.iter().filter(|w| monday(w.day) == week).map(|w| w.minutes).sum();
        let logged =
            if week == monday(self.day) { self.input.members.get(&m.id).map_or(0, |d| d.this_week) } else { 0 };
        promised + logged + minutes <= m.truth.week
    }

    /// With dated pledges, the work a member promised counts in the guard only in the week it
    /// is for (the app's pledge day): this week's, Monday to Sunday.
    fn promised(&mut self, mi: usize) {
        if !self.policy.dates_pledges() {
            return;
        }
        let week_end = self.day + 6 - i64::from(self.date(self.day).weekday());
        let minutes: u32 = self.members[mi].pending.iter().filter(|w| w.day <= week_end).map(|w| w.minutes).sum();
        if let Some(d) = self.input.members.get_mut(&self.members[mi].id) {
            d.committed = minutes;
        }
    }

    fn leave(&mut self, mi: usize) {
        self.input.members.remove(&self.members[mi].id);
        // Their unworked places open again, here or in the linked community they would visit.
        for w in std::mem::take(&mut self.members[mi].pending) {
            if !w.last {
                continue;
            }
            if w.away {
                let a = &self.answered[w.task];
                self.outbox.push(Event::Released { community: a.community, task: a.task });
            } else {
                self.reopen(w.task, false);
            }
        }
    }

    /// A place on one of this community's tasks opens again (its taker left).
    fn reopen(&mut self, task: usize, visitor: bool) {
        let t = &mut self.tasks[task];
        t.taken -= 1;
        if visitor {
            t.visitors = t.visitors.saturating_sub(1);
        }
        if t.deadline_day >= self.day && self.board.contains_key(&t.id) {
            if let Some(ti) = self.input.tasks.get_mut(&t.id) {
                ti.free += 1;
            }
        } else if t.deadline_day >= self.day {
            self.board.insert(t.id, task);
            self.input.tasks.insert(t.id, TaskInput { free: 1, ..t.public.clone() });
        }
        if self.calls.contains_key(&t.id) {
            self.calls_changed = true;
        }
    }

    fn work(&mut self, mi: usize, day: i64) {
        let due: Vec<Work> = self.members[mi].pending.iter().filter(|w| w.day == day).copied().collect();
        if due.is_empty() {
            return;
        }
        self.members[mi].pending.retain(|w| w.day != day);
        for w in due {
            let sector = if w.away { self.answered[w.task].sim.sector } else { self.tasks[w.task].sector };
            // A visitor's hours go in their own ledger: their week, their year, their guard.
            self.members[mi].log.push((day, sector, w.minutes));
            self.stats.hours_logged += w.minutes;
            let id = self.members[mi].id;
            let sid = &self.world.sectors[sector].0;
            if w.away {
                self.escalation.visitor_minutes += w.minutes;
            } else if let Some(s) = self.input.sectors.get_mut(sid) {
                s.month_done += w.minutes;
            }
            if let Some(d) = self.input.members.get_mut(&id) {
                *d.year.entry(sid.clone()).or_default() += w.minutes;
                d.committed = d.committed.saturating_sub(w.minutes);
            }
            if w.last {
                let m = &self.members[mi];
                let t = if w.away { &self.answered[w.task].sim } else { &self.tasks[w.task] };
                if let Some(v) = verdict(&mut self.rng, m, t)
                    && let Some(d) = self.input.members.get_mut(&id)
                {
                    d.history.push(signal_of(t, SignalKind::Said(v), self.input.today));
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

    /// Tasks posted up to `hour` appear on the board. Under Weft with notifications, a new
    /// urgent task re-makes the plan, and the members it fits are notified, as the desktop
    /// app does: most of them look within a few hours.
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
        if !self.policy.notifies() || urgent.is_empty() {
            return;
        }
        self.call_on_plan(&urgent, hour);
    }

    /// Re-makes the plan and notifies, as the desktop app does, each member who has one of
    /// the urgent `tasks` among their first [`NOTIFY_SUGGESTIONS`] suggestions (so only those
    /// whose week has room for it, and travellers for a neighbour's call).
    fn call_on_plan(&mut self, tasks: &[TaskId], hour: i64) {
        self.plan = plan(&self.input);
        self.stats.plan_trimmed += self.plan.trimmed;
        let called = self
            .input
            .members
            .keys()
            .copied()
            .filter(|id| {
                suggest(&self.input, *id, NOTIFY_SUGGESTIONS, Some(&self.plan))
                    .is_ok_and(|s| s.items.iter().any(|i| tasks.contains(&i.task)))
            })
            .collect();
        self.notify(called, hour, 4);
    }

    /// The escalation rule of `weft_core::escalation::steps`, on the simulation's own records
    /// (the same rule, default thresholds): an urgent task still short of people — on the
    /// board, not past its deadline — is offered to the linked communities once it has waited
    /// `after_hours` since it was posted or its deadline is `deadline_days` away or nearer;
    /// the call is withdrawn once the task is filled (members and visitors together) or past
    /// its deadline. A test runs `steps` on the same tasks to keep the two in step. Returns
    /// the calls opened now.
    fn escalate(&mut self, hour: i64) -> Vec<TaskId> {
        let day = self.day;
        let live = |t: &SimTask| t.deadline_day >= day && t.taken < t.public.slots;
        let before = self.calls.len();
        self.calls.retain(|id, ti| self.board.contains_key(id) && live(&self.tasks[*ti]));
        let mut opened = Vec::new();
        for (id, ti) in &self.board {
            let t = &self.tasks[*ti];
            if t.public.urgency != Urgency::Urgent || self.calls.contains_key(id) || !live(t) {
                continue;
            }
            let waited = hour - t.posted_hour >= i64::from(self.rule.after_hours);
            let near = t.deadline_day - day <= i64::from(self.rule.deadline_days);
            if waited || near {
                opened.push((*id, *ti));
            }
        }
        if opened.is_empty() && self.calls.len() == before {
            return Vec::new();
        }
        self.calls_changed = true;
        for (id, ti) in &opened {
            self.calls.insert(*id, *ti);
            self.tasks[*ti].escalated = true;
        }
        opened.into_iter().map(|(id, _)| id).collect()
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

    /// The three tasks the policy shows a member: Weft's may include linked communities'
    /// calls, which its matcher offers to members who travel.
    fn offers(&mut self, mi: usize) -> Vec<Pick> {
        let id = self.members[mi].id;
        let Some(d) = self.input.members.get(&id) else { return Vec::new() };
        let open = |ti: &usize| !d.seen.contains(&self.tasks[*ti].id);
        let own = match self.policy {
            Policy::Weft | Policy::WeftQuiet | Policy::WeftNoEscalation | Policy::WeftUndated => {
                return suggest(&self.input, id, 3, Some(&self.plan))
                    .map(|s| {
                        s.items
                            .iter()
                            .filter_map(|i| match self.board.get(&i.task) {
                                Some(ti) => Some(Pick::Own(*ti)),
                                None => self.incoming.contains_key(&i.task).then_some(Pick::Call(i.task)),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            }
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
        };
        own.into_iter().map(Pick::Own).collect()
    }

    fn visit(&mut self, hour: i64, mi: usize) {
        let id = self.members[mi].id;
        if !self.input.members.contains_key(&id) {
            return;
        }
        let offers = self.offers(mi);
        if offers.is_empty() {
            if self.policy.uses_weft() && self.input.members.get(&id).is_some_and(|d| Week::of(d).resting().is_some()) {
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
        for pick in offers {
            let m = &self.members[mi];
            let p = match pick {
                Pick::Own(ti) => {
                    let t = &self.tasks[ti];
                    appeal(m, t, load, recent.as_ref() == Some(&t.public.sector))
                }
                // Going to another community costs the visitor something; only travellers go.
                Pick::Call(tid) => match self.incoming.get(&tid) {
                    Some(c) if m.truth.travel => {
                        let a = appeal(m, &c.sim, load, recent.as_ref() == Some(&c.sim.public.sector));
                        a.saturating_sub(TRAVEL_COST * c.distance).max(20)
                    }
                    _ => continue,
                },
            };
            // A member who dates their pledges takes only what fits some day they could do it
            // (a week of their own with room, before the deadline).
            if self.policy.dates_pledges() {
                let (minutes, deadline) = match pick {
                    Pick::Own(ti) => (self.tasks[ti].public.minutes, self.tasks[ti].deadline_day),
                    Pick::Call(tid) => match self.incoming.get(&tid) {
                        Some(c) => (c.sim.public.minutes, c.sim.deadline_day),
                        None => continue,
                    },
                };
                let room = (deadline - self.day).clamp(1, 6);
                if !(self.day + 1..=self.day + room).any(|d| self.fits_from(mi, d, minutes)) {
                    continue;
                }
            }
            if self.rng.chance(p) {
                match pick {
                    Pick::Own(ti) => self.pledge(mi, ti, hour),
                    Pick::Call(tid) => self.answer(mi, tid),
                }
                return;
            }
            if p < 300 && self.rng.chance(300) {
                self.decline(mi, pick);
            }
        }
    }

    fn decline(&mut self, mi: usize, pick: Pick) {
        let t = match pick {
            Pick::Own(ti) => &self.tasks[ti],
            Pick::Call(tid) => match self.incoming.get(&tid) {
                Some(c) => &c.sim,
                None => return,
            },
        };
        let (tid, signal) = (t.id, signal_of(t, SignalKind::Declined, self.input.today));
        if let Some(d) = self.input.members.get_mut(&self.members[mi].id) {
            d.seen.insert(tid);
            d.history.push(signal);
            self.stats.declines += 1;
        }
    }

    fn pledge(&mut self, mi: usize, ti: usize, hour: i64) {
        self.stats.pledges += 1;
        let signal = signal_of(&self.tasks[ti], SignalKind::Pledged, self.input.today);
        self.take_place(ti, hour);
        let t = &self.tasks[ti];
        let (tid, minutes, deadline) = (t.id, t.public.minutes, t.deadline_day);
        self.commit(mi, Work { day: 0, task: ti, minutes, last: true, away: false }, tid, deadline, signal);
    }

    /// A member takes a place on a linked community's call: the place is taken there (by the
    /// driver, from the outbox), the work is done and logged here.
    fn answer(&mut self, mi: usize, tid: TaskId) {
        let Some(c) = self.incoming.get(&tid).cloned() else { return };
        self.stats.pledges += 1;
        self.escalation.visitor_pledges += 1;
        let signal = signal_of(&c.sim, SignalKind::Pledged, self.input.today);
        self.outbox.push(Event::Pledged { community: c.community, task: c.task });
        let (minutes, deadline) = (c.sim.public.minutes, c.sim.deadline_day);
        let task = self.answered.len();
        self.answered.push(Answered { community: c.community, task: c.task, sim: c.sim });
        self.commit(mi, Work { day: 0, task, minutes, last: true, away: true }, tid, deadline, signal);
    }

    /// A place on one of this community's tasks is taken (by a member or a visitor).
    fn take_place(&mut self, ti: usize, hour: i64) {
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
        if self.calls.contains_key(&t.id) {
            self.calls_changed = true;
        }
    }

    /// The member's side of a pledge: the work, within the next few days and before the
    /// deadline if there is time (a long task is split over two weeks), and what they promised.
    fn commit(&mut self, mi: usize, work: Work, tid: TaskId, deadline: i64, signal: Signal) {
        let room = (deadline - self.day).clamp(1, 6);
        let mut day = self.day + self.rng.range_i64(1, room + 1);
        // A member who says the day of their pledge picks one in a week that still has room
        // for it (next week's pledges do not count in this week's guard, so they must fit
        // their own week), the first such day if the drawn one has none.
        if self.policy.dates_pledges()
            && !self.fits_from(mi, day, work.minutes)
            && let Some(d) = (self.day + 1..=self.day + room).find(|d| self.fits_from(mi, *d, work.minutes))
        {
            day = d;
        }
        let m = &mut self.members[mi];
        let minutes = work.minutes;
        if minutes > m.truth.week {
            let half = minutes / 2;
            m.pending.push(Work { day, minutes: half, last: false, ..work });
            m.pending.push(Work { day: day + 7, minutes: minutes - half, last: true, ..work });
        } else {
            m.pending.push(Work { day, ..work });
        }
        if let Some(d) = self.input.members.get_mut(&m.id) {
            d.seen.insert(tid);
            d.committed += minutes;
            d.history.push(signal);
        }
        self.promised(mi);
    }
}

/// One policy's outcome over one or more communities' runs.
fn outcome_of(runs: Vec<Run<'_>>, policy: Policy, linked: bool) -> Outcome {
    let mut stats = Outcome::empty(policy);
    let mut escalation = Escalation::default();
    let mut fills: Vec<Option<i64>> = Vec::new();
    let (mut unfilled, mut tasks) = (0usize, 0usize);
    let mut present = 0usize;
    let mut within_all = 0usize;
    let mut within_sector: Vec<usize> = Vec::new();
    let mut totals: Vec<u64> = Vec::new();
    let mut sectors: Vec<SectorId> = Vec::new();
    for run in &runs {
        let world = run.world;
        let s = &run.stats;
        stats.hours_logged += s.hours_logged;
        stats.visits += s.visits;
        stats.pledges += s.pledges;
        stats.declines += s.declines;
        stats.plan_trimmed += s.plan_trimmed;
        stats.notifications += s.notifications;
        stats.rested += s.rested;
        escalation.visitor_pledges += run.escalation.visitor_pledges;
        escalation.visitor_minutes += run.escalation.visitor_minutes;
        for t in run.tasks.iter().filter(|t| t.escalated) {
            escalation.calls_opened += 1;
            if t.visitors > 0 && t.filled_hour.is_some() {
                escalation.calls_filled_by_visitors += 1;
            }
        }
        // Urgent fill times; never filled sorts last.
        fills.extend(
            run.tasks
                .iter()
                .filter(|t| t.public.urgency == Urgency::Urgent)
                .map(|t| t.filled_hour.map(|h| h - t.posted_hour)),
        );
        unfilled += run.tasks.iter().filter(|t| t.filled_hour.is_none()).count();
        tasks += run.tasks.len();

        // Members still here at the end.
        sectors = world.sectors.iter().map(|(id, _)| id.clone()).collect();
        within_sector.resize(world.sectors.len(), 0);
        let months = u32::try_from(world.days * 1000 / 365).unwrap_or(1000);
        for m in run.members.iter().filter(|m| m.leaves_day >= world.days) {
            present += 1;
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

        // Overload: calendar weeks (Monday to Sunday) with more logged — at home and as a
        // visitor — than stated.
        for (m, d) in run.members.iter().zip(&world.declared) {
            let mut weeks: BTreeMap<i64, u32> = BTreeMap::new();
            for (day, _, x) in &m.log {
                *weeks.entry(world.week_of(*day)).or_default() += x;
            }
            stats.overload_incidents +=
                u32::try_from(weeks.values().filter(|w| **w > d.week_minutes).count()).unwrap_or(0);
        }
    }
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
    stats.unfilled_pm = pm(unfilled, tasks);
    stats.acceptance_pm = pm(stats.pledges as usize, stats.visits as usize);
    stats.within_baseline_pm = pm(within_all, present);
    stats.within_by_sector_pm = sectors.into_iter().zip(&within_sector).map(|(id, n)| (id, pm(*n, present))).collect();
    stats.gini_pm = gini_pm(&mut totals);
    if linked && policy.escalates() {
        stats.escalation = Some(escalation);
    }
    stats
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
    let mut run = Run::new(world, policy, seed, Vec::new());
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
    outcome_of(vec![run], policy, false)
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
        network: None,
    }
}

/// The seed of the `k`th of linked communities: the first has the run's own seed, so one
/// community is the single-community simulation.
fn community_seed(seed: u64, k: usize) -> u64 {
    if k == 0 { seed } else { seed ^ u64::try_from(k).unwrap_or(0).wrapping_mul(0x9e37_79b9_7f4a_7c15) }
}

/// The communities `k` is linked to in a ring of `n`, with their distance.
fn ring(n: usize, k: usize) -> Vec<(usize, u32)> {
    if n < 2 {
        return Vec::new();
    }
    let mut out = vec![((k + n - 1) % n, DISTANCE), ((k + 1) % n, DISTANCE)];
    out.sort_unstable();
    out.dedup();
    out
}

/// The name a community's calls carry in its neighbours' suggestions.
fn community_name(k: usize) -> String {
    format!("community {}", k + 1)
}

/// The linked communities of `host` see its open calls as they are now: its tasks still short
/// of people, with their free places.
fn publish_calls(runs: &mut [Run<'_>], host: usize) {
    runs[host].calls_changed = false;
    let name = community_name(host);
    let h = &runs[host];
    let calls: Vec<(TaskId, usize, TaskInput, SimTask)> = h
        .calls
        .iter()
        .filter(|(id, _)| h.board.contains_key(id))
        .map(|(id, ti)| {
            let t = &h.tasks[*ti];
            let input = TaskInput {
                free: t.public.slots.saturating_sub(t.taken),
                neighbour: Some(name.clone()),
                ..t.public.clone()
            };
            (*id, *ti, input, t.clone())
        })
        .filter(|(_, _, input, _)| input.free > 0)
        .collect();
    for (n, distance) in runs[host].links.clone() {
        let r = &mut runs[n];
        let gone: Vec<TaskId> = r.incoming.iter().filter(|(_, c)| c.community == host).map(|(id, _)| *id).collect();
        for id in gone {
            r.incoming.remove(&id);
            r.input.tasks.remove(&id);
        }
        for (id, task, input, sim) in &calls {
            r.input.tasks.insert(*id, input.clone());
            r.incoming.insert(*id, Incoming { community: host, task: *task, distance, sim: sim.clone() });
        }
    }
}

/// Applies what community `k`'s members did elsewhere, then shows every community's changed
/// calls to its neighbours.
fn settle(runs: &mut [Run<'_>], k: usize, hour: i64) {
    for event in std::mem::take(&mut runs[k].outbox) {
        match event {
            Event::Pledged { community, task } => {
                runs[community].tasks[task].visitors += 1;
                runs[community].take_place(task, hour);
            }
            Event::Released { community, task } => runs[community].reopen(task, true),
        }
    }
    for h in 0..runs.len() {
        if runs[h].calls_changed {
            publish_calls(runs, h);
        }
    }
}

/// Runs one policy on linked communities over the same days, hour by hour, community by
/// community; with one community this is the single-community simulation.
fn run_network<'w>(worlds: &'w [World], seeds: &[u64], policy: Policy) -> Vec<Run<'w>> {
    let n = worlds.len();
    let mut runs: Vec<Run<'w>> =
        worlds.iter().zip(seeds).enumerate().map(|(k, (w, s))| Run::new(w, policy, *s, ring(n, k))).collect();
    let escalates = policy.escalates() && n > 1;
    let days = worlds.iter().map(|w| w.days).min().unwrap_or(0);
    let mut next = vec![0usize; n];
    for day in 0..days {
        for run in &mut runs {
            run.start_day(day);
        }
        for k in 0..n {
            settle(&mut runs, k, day * 24);
        }
        for hour in day * 24..(day + 1) * 24 {
            for k in 0..n {
                runs[k].arrivals(hour);
                if escalates {
                    let opened = runs[k].escalate(hour);
                    settle(&mut runs, k, hour);
                    // Under Weft with notifications, the travellers of each neighbour whom
                    // a new call fits hear of it, as members do of a new urgent task.
                    if !opened.is_empty() {
                        for (j, _) in runs[k].links.clone() {
                            if runs[j].policy.notifies() {
                                runs[j].call_on_plan(&opened, hour);
                            }
                        }
                    }
                }
                let world = runs[k].world;
                while let Some(&(vd, vh, mi)) = world.visits.get(next[k]) {
                    if vd * 24 + vh != hour {
                        break;
                    }
                    runs[k].visit(hour, mi);
                    settle(&mut runs, k, hour);
                    next[k] += 1;
                }
                while let Some(&(at, mi)) = runs[k].notified.first() {
                    if at > hour {
                        break;
                    }
                    runs[k].notified.pop_first();
                    runs[k].visit(hour, mi);
                    settle(&mut runs, k, hour);
                }
            }
        }
    }
    for run in &mut runs {
        run.start_day(days);
    }
    runs
}

/// Runs every policy on `communities` linked communities, each with `cfg.members` members and
/// a world of its own drawn from the seed, over the same months, and reports over all of them.
/// One community is [`simulate`]'s single community, policies and report alike. With more,
/// Weft escalates urgent tasks short of people to the linked communities, whose travellers
/// see the calls among their suggestions; the baselines and "weft, no escalation" do not.
pub fn simulate_network(cfg: &SimConfig, communities: u32) -> Report {
    let n = usize::try_from(communities.max(1)).unwrap_or(1);
    let seeds: Vec<u64> = (0..n).map(|k| community_seed(cfg.seed, k)).collect();
    let worlds: Vec<World> = seeds.iter().map(|s| World::new(&SimConfig { seed: *s, ..*cfg })).collect();
    let policies: &[Policy] = if n > 1 { &Policy::NETWORK } else { &Policy::ALL };
    let outcomes = policies.iter().map(|p| outcome_of(run_network(&worlds, &seeds, *p), *p, n > 1)).collect();
    let count = |f: &dyn Fn(&World) -> usize| u32::try_from(worlds.iter().map(f).sum::<usize>()).unwrap_or(u32::MAX);
    Report {
        config: *cfg,
        members_at_end: count(&|w| w.members.iter().filter(|m| m.leaves_day >= w.days).count()),
        tasks: count(&|w| w.tasks.len()),
        urgent_tasks: count(&|w| w.tasks.iter().filter(|t| t.public.urgency == Urgency::Urgent).count()),
        outcomes,
        network: (n > 1).then(|| Network {
            communities,
            distance: DISTANCE,
            travellers: count(&|w| w.members.iter().filter(|m| m.truth.travel).count()),
        }),
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

    #[test]
    fn one_community_is_the_single_community_simulation() {
        let cfg = SimConfig { members: 24, months: 2, seed: 3 };
        let single = simulate(&cfg);
        assert_eq!(simulate_network(&cfg, 1), single, "the network's driver with one community");
        assert!(single.network.is_none() && single.outcomes.iter().all(|o| o.escalation.is_none()));
        assert_eq!(single.goals().len(), 5);
    }

    #[test]
    fn linked_communities_escalate_and_visitors_take_places() {
        let cfg = SimConfig { members: 24, months: 2, seed: 3 };
        let r = simulate_network(&cfg, 3);
        assert_eq!(r, simulate_network(&cfg, 3), "same seed, same report");
        let net = r.network.as_ref().unwrap();
        assert_eq!(net.communities, 3);
        assert!(net.travellers > 0);
        assert_eq!(r.outcomes.len(), Policy::NETWORK.len());
        let weft = r.outcome(Policy::Weft).unwrap();
        let esc = weft.escalation.as_ref().unwrap();
        assert!(esc.calls_opened > 0, "{esc:?}");
        assert!(esc.calls_filled_by_visitors > 0 && esc.visitor_pledges > 0 && esc.visitor_minutes > 0, "{esc:?}");
        assert!(weft.hours_logged >= esc.visitor_minutes);
        for p in [Policy::WeftNoEscalation, Policy::Random, Policy::GreedySkill, Policy::FirstCome] {
            assert!(r.outcome(p).unwrap().escalation.is_none(), "{p:?} does not escalate");
        }
        // Three communities' tasks, and the network's goal after the five.
        assert!(r.tasks > simulate(&cfg).tasks * 2);
        assert_eq!(r.goals().len(), 6);
    }

    /// A visitor's place is taken in the community that called, and their hours go in their
    /// own log: their week, which the burnout guard reads, and the overload count.
    #[test]
    fn a_visitors_hours_count_in_their_own_week() {
        let cfg = SimConfig { members: 24, months: 1, seed: 7 };
        let seeds = [community_seed(cfg.seed, 0), community_seed(cfg.seed, 1)];
        let worlds: Vec<World> = seeds.iter().map(|s| World::new(&SimConfig { seed: *s, ..cfg })).collect();
        let mut runs: Vec<Run<'_>> =
            worlds.iter().zip(seeds).enumerate().map(|(k, (w, s))| Run::new(w, Policy::Weft, s, ring(2, k))).collect();
        assert_eq!(runs[0].links, vec![(1, DISTANCE)]);
        // Community 2's first urgent task; a traveller of community 1 with room in their week.
        let ti = runs[1].tasks.iter().position(|t| t.public.urgency == Urgency::Urgent).unwrap();
        let posted = runs[1].tasks[ti].posted_hour;
        let day = posted / 24;
        for run in &mut runs {
            run.start_day(day);
        }
        runs[1].arrivals(posted);
        let tid = runs[1].tasks[ti].id;
        // Escalated at once (its deadline is near) or once it has waited the rule's hours.
        let rule = runs[1].rule;
        let near = runs[1].tasks[ti].deadline_day - day <= i64::from(rule.deadline_days);
        let hour = if near { posted } else { posted + i64::from(rule.after_hours) };
        assert_eq!(runs[1].escalate(hour), vec![tid]);
        settle(&mut runs, 1, hour);
        assert_eq!(runs[0].input.tasks[&tid].neighbour.as_deref(), Some("community 2"));
        let mi = runs[0].members.iter().position(|m| m.truth.travel && m.leaves_day > day + 30).unwrap();
        let id = runs[0].members[mi].id;
        runs[0].answer(mi, tid);
        settle(&mut runs, 0, hour);
        assert_eq!((runs[1].tasks[ti].taken, runs[1].tasks[ti].visitors), (1, 1));
        let minutes = runs[1].tasks[ti].public.minutes;
        assert_eq!(runs[0].input.members[&id].committed, minutes, "promised work counts before it is done");
        for d in day + 1..day + 16 {
            runs[0].start_day(d);
        }
        let logged: u32 = runs[0].members[mi].log.iter().map(|(_, _, x)| *x).sum();
        assert_eq!(logged, minutes);
        assert_eq!(runs[0].escalation.visitor_minutes, minutes);
        assert_eq!(runs[0].input.members[&id].committed, 0);
        // Every logged minute is in the week the guard reads on the day it was logged.
        let (first, _, _) = runs[0].members[mi].log[0];
        runs[0].start_day(first);
        let week: u32 = runs[0].members[mi]
            .log
            .iter()
            .filter(|(d, _, _)| worlds[0].week_of(*d) == worlds[0].week_of(first) && *d <= first)
            .map(|(_, _, x)| *x)
            .sum();
        assert_eq!(runs[0].input.members[&id].this_week, week);
        assert!(week > 0);
    }

    /// What `steps` says of a community's board and commons as the simulation holds them.
    fn core_steps(run: &Run<'_>, hour: i64) -> Vec<weft_core::escalation::Step> {
        use weft_core::doc::board::BoardView;
        use weft_core::doc::commons::{Call, CommonsView};
        use weft_core::model::{Pledge, PledgeState, Task, TaskStatus};
        use weft_core::{Minutes, PledgeId, Timestamp};
        let ms = |h: i64| Timestamp((run.world.start.days_since_epoch() * 24 + h) * 3_600_000);
        let mut board = BoardView::default();
        let mut commons = CommonsView::default();
        let shown: BTreeSet<usize> = run.board.values().chain(run.calls.values()).copied().collect();
        for ti in shown {
            let t = &run.tasks[ti];
            board.tasks.insert(
                t.id,
                Task {
                    id: t.id,
                    title: t.public.title.clone(),
                    description: String::new(),
                    sector: t.public.sector.clone(),
                    guild: None,
                    skills: t.public.skills.clone(),
                    hours: Minutes(t.public.minutes),
                    slots: t.public.slots,
                    urgency: t.public.urgency,
                    deadline: t.public.deadline,
                    location: None,
                    open_to_neighbours: true,
                    status: TaskStatus::Open,
                    created_by: run.members[0].id,
                    created_at: ms(t.posted_hour),
                    occurrence: None,
                    gathering: None,
                },
            );
            for n in 0..t.taken {
                let member = MemberId::from_bytes([u8::try_from(n).unwrap(); 32]);
                let state = PledgeState::Pledged;
                board.pledges.insert(
                    PledgeId { task: t.id, member },
                    Pledge {
                        task: t.id,
                        member,
                        state,
                        updated_at: ms(0),
                        on: None,
                        stand_in: false,
                        stands_in_for: None,
                        crew: None,
                    },
                );
            }
            if run.calls.contains_key(&t.id) {
                let call = Call {
                    task: t.id,
                    title: t.public.title.clone(),
                    description: String::new(),
                    sector: t.public.sector.clone(),
                    skills: t.public.skills.clone(),
                    hours: Minutes(t.public.minutes),
                    slots: t.public.slots,
                    urgency: t.public.urgency,
                    deadline: t.public.deadline,
                    location: None,
                    escalated: true,
                    open: true,
                    created_by: run.members[0].id,
                    created_at: ms(hour),
                };
                commons.calls.insert(t.id, call);
            }
        }
        weft_core::escalation::steps(&board, &commons, &run.rule, ms(hour), run.date(run.day))
    }

    /// The simulation's escalation is the core's rule: at every hour of a few weeks of two
    /// linked communities, it opens and withdraws exactly the calls `steps` says.
    #[test]
    fn escalation_is_the_cores_rule() {
        use weft_core::escalation::Step;
        let cfg = SimConfig { members: 24, months: 1, seed: 11 };
        let seeds = [community_seed(cfg.seed, 0), community_seed(cfg.seed, 1)];
        let worlds: Vec<World> = seeds.iter().map(|s| World::new(&SimConfig { seed: *s, ..cfg })).collect();
        let mut runs: Vec<Run<'_>> =
            worlds.iter().zip(seeds).enumerate().map(|(k, (w, s))| Run::new(w, Policy::Weft, s, ring(2, k))).collect();
        let (mut next, mut opened, mut withdrawn) = ([0usize; 2], 0, 0);
        for day in 0..worlds[0].days {
            for run in &mut runs {
                run.start_day(day);
            }
            for hour in day * 24..(day + 1) * 24 {
                for k in 0..2 {
                    runs[k].arrivals(hour);
                    let want = core_steps(&runs[k], hour);
                    let before: BTreeSet<TaskId> = runs[k].calls.keys().copied().collect();
                    let now_open: Vec<Step> = runs[k].escalate(hour).into_iter().map(Step::Open).collect();
                    let after: BTreeSet<TaskId> = runs[k].calls.keys().copied().collect();
                    let mut got: Vec<Step> = before.difference(&after).map(|t| Step::Withdraw(*t)).collect();
                    got.extend(now_open);
                    got.sort_by_key(Step::task);
                    assert_eq!(got, want, "community {k}, hour {hour}");
                    opened += got.iter().filter(|s| matches!(s, Step::Open(_))).count();
                    withdrawn += got.iter().filter(|s| matches!(s, Step::Withdraw(_))).count();
                    settle(&mut runs, k, hour);
                    let world = runs[k].world;
                    while let Some(&(vd, vh, mi)) = world.visits.get(next[k]) {
                        if vd * 24 + vh != hour {
                            break;
                        }
                        runs[k].visit(hour, mi);
                        settle(&mut runs, k, hour);
                        next[k] += 1;
                    }
                }
            }
        }
        assert!(opened > 0 && withdrawn > 0, "{opened} opened, {withdrawn} withdrawn");
    }
}
