//! Synthetic inputs of any size, for benchmarks and tests: a community on a day in June with
//! members who have profiles, a half year of hours and some history, and a board of open tasks.

use std::collections::{BTreeMap, BTreeSet};

use weft_core::model::{Urgency, Verdict, default_sectors, skill_catalogue};
use weft_core::rng::Rng;
use weft_core::{Date, GuildId, MemberId, SectorId, SkillId, TaskId};
use weft_match::input::{Input, MemberInput, SectorInput, Signal, SignalKind, TaskInput};

/// The day synthetic communities are looked at.
pub fn day() -> Date {
    Date::from_ymd(2026, 6, 15).unwrap_or_else(|| Date::of_timestamp(weft_core::Timestamp(0)))
}

pub(crate) fn skills_by_sector() -> Vec<(SectorId, Vec<SkillId>)> {
    skill_catalogue()
        .into_iter()
        .filter_map(|(s, ks)| Some((s.parse().ok()?, ks.iter().filter_map(|k| k.parse().ok()).collect())))
        .collect()
}

/// A community of `members` people with `tasks` open tasks; `name` tags its neighbour calls.
pub fn community(seed: u64, members: usize, tasks: usize) -> Input {
    let mut rng = Rng::new(seed);
    let today = day();
    let catalogue = skills_by_sector();
    let sectors: BTreeMap<SectorId, SectorInput> = default_sectors()
        .into_iter()
        .map(|s| {
            let goal = s.baseline.get() * u32::try_from(members).unwrap_or(u32::MAX) / 12;
            let done = goal * rng.range_u32(10, 90) / 100;
            (s.id, SectorInput { name: s.name, baseline: s.baseline.get(), month_done: done, month_goal: goal.max(1) })
        })
        .collect();
    let mut guilds = BTreeMap::new();
    let mut guilds_of: BTreeMap<SectorId, Vec<GuildId>> = BTreeMap::new();
    for (s, _) in &catalogue {
        for g in 0..3 {
            let id = GuildId::from_bytes(rng.bytes());
            guilds.insert(id, format!("{s} guild {g}"));
            guilds_of.entry(s.clone()).or_default().push(id);
        }
    }
    let mut task_map = BTreeMap::new();
    let mut task_list: Vec<TaskInput> = Vec::new();
    for _ in 0..tasks {
        let (sector, skills) = &catalogue[usize::try_from(rng.below(catalogue.len() as u64)).unwrap_or(0)];
        let mut wanted = BTreeSet::new();
        for _ in 0..rng.below(3) {
            if let Some(k) = rng.pick(skills) {
                wanted.insert(k.clone());
            }
        }
        let guild = guilds_of.get(sector).and_then(|g| rng.pick(g)).copied();
        let minutes = 30 * rng.range_u32(1, 12);
        let slots = rng.range_u32(1, 5);
        let urgency = match rng.below(10) {
            0 => Urgency::Urgent,
            1 | 2 => Urgency::Soon,
            _ => Urgency::Normal,
        };
        let posted = today.add_days(-rng.range_i64(0, 40)).unwrap_or(today);
        let deadline = rng.chance(300).then(|| today.add_days(rng.range_i64(0, 30)).unwrap_or(today));
        let id = TaskId::from_bytes(rng.bytes());
        let t = TaskInput {
            title: format!("{sector} task"),
            sector: sector.clone(),
            guild,
            skills: wanted,
            minutes,
            slots,
            free: rng.range_u32(1, slots + 1).min(slots),
            stand_ins: 0,
            urgency,
            deadline,
            posted,
            neighbour: None,
            gathering: None,
        };
        task_list.push(t.clone());
        task_map.insert(id, t);
    }
    let mut member_map = BTreeMap::new();
    for i in 0..members {
        let mut skills = BTreeMap::new();
        let mut learn = BTreeSet::new();
        for (_, ks) in &catalogue {
            for k in ks {
                match rng.below(10) {
                    0 | 1 => {
                        skills.insert(k.clone(), u8::try_from(rng.range_u32(1, 6)).unwrap_or(1));
                    }
                    2 => {
                        learn.insert(k.clone());
                    }
                    _ => {}
                }
            }
        }
        let interests =
            catalogue.iter().map(|(s, _)| (s.clone(), u8::try_from(rng.range_u32(0, 6)).unwrap_or(2))).collect();
        let year: BTreeMap<SectorId, u32> =
            catalogue.iter().map(|(s, _)| (s.clone(), 60 * rng.range_u32(0, 15))).collect();
        let mut last_28: BTreeMap<SectorId, u32> = BTreeMap::new();
        for (s, _) in &catalogue {
            if rng.chance(300) {
                last_28.insert(s.clone(), 60 * rng.range_u32(1, 5));
            }
        }
        let mut history = Vec::new();
        for _ in 0..rng.below(12) {
            if let Some(t) = rng.pick(&task_list) {
                let kind = match rng.below(6) {
                    0 | 1 => SignalKind::Pledged,
                    2 => SignalKind::Declined,
                    3 => SignalKind::Said(Verdict::Enjoyed),
                    4 => SignalKind::Said(Verdict::TooHard),
                    _ => SignalKind::Said(Verdict::More),
                };
                history.push(Signal {
                    kind,
                    on: today.add_days(-rng.range_i64(1, 200)).unwrap_or(today),
                    sector: t.sector.clone(),
                    guild: t.guild,
                    skills: t.skills.clone(),
                    minutes: t.minutes,
                });
            }
        }
        history.sort_by_key(|s| s.on);
        let week_minutes = 60 * rng.range_u32(2, 9);
        member_map.insert(
            MemberId::from_bytes(rng.bytes()),
            MemberInput {
                name: format!("member {i}"),
                skills,
                interests,
                week_minutes,
                travel: rng.chance(200),
                learn,
                year,
                this_week: 60 * rng.range_u32(0, 3),
                last_28,
                committed: if rng.chance(200) { 60 * rng.range_u32(1, 3) } else { 0 },
                seen: BTreeSet::new(),
                attending: BTreeSet::new(),
                history,
            },
        );
    }
    Input { today, sectors, guilds, members: member_map, tasks: task_map }
}

/// A network: `communities` communities in a ring, `members` and `tasks` in all, one task in
/// ten open to neighbours and offered to the two adjacent communities.
pub fn network(seed: u64, communities: usize, members: usize, tasks: usize) -> Vec<Input> {
    let n = communities.max(1);
    let mut inputs: Vec<Input> =
        (0..n).map(|i| community(seed.wrapping_add(i as u64), members / n, tasks / n)).collect();
    let mut rng = Rng::new(seed ^ 0x5eed);
    let calls: Vec<Vec<(TaskId, TaskInput)>> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            input
                .tasks
                .iter()
                .filter(|_| rng.chance(100))
                .map(|(id, t)| (*id, TaskInput { neighbour: Some(format!("community {i}")), ..t.clone() }))
                .collect()
        })
        .collect();
    for (i, input) in inputs.iter_mut().enumerate() {
        for j in [(i + 1) % n, (i + n - 1) % n] {
            if j == i {
                continue;
            }
            for (id, t) in &calls[j] {
                input.tasks.insert(*id, t.clone());
            }
        }
    }
    inputs
}
