//! Preferences learned from what a member did and said: pledges, "not for me", and feedback
//! after a task (enjoyed / more like this / too hard / not again).
//!
//! A small linear model over four kinds of features — the task's sector, its guild, each skill
//! it asks for, and its size — fitted by adding each signal's weights, fading with age over a
//! year. Integer arithmetic throughout, and the member's own signals only: nothing about other
//! members is learned or compared.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use weft_core::model::Verdict;
use weft_core::{Date, GuildId, SectorId, SkillId};

use crate::input::{MemberInput, SignalKind};
use crate::score::CTask;

/// The longest task that counts as short, in minutes (2 h).
pub const SHORT_TASK: u32 = 120;
/// The longest task that counts as half a day, in minutes (5 h).
pub const HALF_DAY_TASK: u32 = 300;

/// A task's size, as learned preferences bucket it: up to 2 h, up to 5 h, longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    /// Up to [`SHORT_TASK`].
    Short,
    /// Up to [`HALF_DAY_TASK`].
    HalfDay,
    /// Longer.
    Long,
}

impl Size {
    pub fn of(minutes: u32) -> Self {
        if minutes <= SHORT_TASK {
            Self::Short
        } else if minutes <= HALF_DAY_TASK {
            Self::HalfDay
        } else {
            Self::Long
        }
    }

    /// The tasks of this size, in English.
    pub fn words(self) -> &'static str {
        match self {
            Self::Short => "short tasks (up to 2 h)",
            Self::HalfDay => "half-day tasks",
            Self::Long => "long tasks (over 5 h)",
        }
    }
}

/// The index of a task's size among a member's learned size weights.
pub fn size_bucket(minutes: u32) -> usize {
    match Size::of(minutes) {
        Size::Short => 0,
        Size::HalfDay => 1,
        Size::Long => 2,
    }
}

/// How much one signal moves each feature: (sector, guild, skill, size).
pub(crate) fn deltas(kind: SignalKind) -> (i64, i64, i64, i64) {
    match kind {
        SignalKind::Pledged => (40, 80, 60, 60),
        SignalKind::Said(Verdict::Enjoyed) => (60, 120, 80, 60),
        SignalKind::Said(Verdict::More) => (100, 200, 120, 100),
        SignalKind::Said(Verdict::TooHard) => (0, -60, -200, -150),
        SignalKind::Said(Verdict::NotAgain) => (-120, -300, -120, -60),
        SignalKind::Declined => (-40, -150, -80, -100),
    }
}

const FEATURE_CAP: i64 = 500;
const TASK_CAP: i64 = 700;

/// A signal's weight in ‰ by its age: 1000 today, fading to 0 after a year.
pub(crate) fn fade(on: Date, today: Date) -> i64 {
    let age = (today.days_since_epoch() - on.days_since_epoch()).clamp(0, 365);
    (365 - age) * 1000 / 365
}

/// One member's learned weights, by dense index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prefs {
    pub sector: Vec<i64>,
    pub guild: Vec<i64>,
    pub skill: Vec<i64>,
    pub size: [i64; 3],
}

impl Prefs {
    pub(crate) fn learn(
        m: &MemberInput,
        today: Date,
        sector_index: impl Fn(&SectorId) -> Option<usize>,
        guilds: &BTreeMap<GuildId, usize>,
        skills: &BTreeMap<&SkillId, usize>,
    ) -> Self {
        let mut p =
            Self { sector: Vec::new(), guild: vec![0; guilds.len()], skill: vec![0; skills.len()], size: [0; 3] };
        if m.history.is_empty() {
            return p;
        }
        for s in &m.history {
            let f = fade(s.on, today);
            if f == 0 {
                continue;
            }
            let (ds, dg, dk, dz) = deltas(s.kind);
            if let Some(i) = sector_index(&s.sector) {
                if p.sector.len() <= i {
                    p.sector.resize(i + 1, 0);
                }
                p.sector[i] += ds * f / 1000;
            }
            if let Some(i) = s.guild.and_then(|g| guilds.get(&g)) {
                p.guild[*i] += dg * f / 1000;
            }
            for k in &s.skills {
                if let Some(i) = skills.get(k) {
                    p.skill[*i] += dk * f / 1000;
                }
            }
            p.size[size_bucket(s.minutes)] += dz * f / 1000;
        }
        for w in p.sector.iter_mut().chain(&mut p.guild).chain(&mut p.skill).chain(&mut p.size) {
            *w = (*w).clamp(-FEATURE_CAP, FEATURE_CAP);
        }
        p
    }

    /// The parts of a task's learned points: sector, guild, skills (averaged), size.
    pub(crate) fn parts(&self, t: &CTask) -> [i64; 4] {
        let sector = self.sector.get(t.sector).copied().unwrap_or(0);
        let guild = t.guild.and_then(|g| self.guild.get(g)).copied().unwrap_or(0);
        let skill = if t.skills.is_empty() {
            0
        } else {
            t.skills.iter().map(|k| self.skill.get(*k).copied().unwrap_or(0)).sum::<i64>() / t.skills.len() as i64
        };
        [sector, guild, skill, self.size[t.size]]
    }

    pub(crate) fn points(&self, t: &CTask) -> i64 {
        self.parts(t).iter().sum::<i64>().clamp(-TASK_CAP, TASK_CAP)
    }
}
