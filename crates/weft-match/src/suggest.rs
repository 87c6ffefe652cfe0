//! Suggestions for one member, ranked, each with its reasons in plain words.
//!
//! The member's parts of the community plan come first; the rest follow by score. Every
//! reason carries its term, its points, the facts it is made of (for front ends that word it
//! in another language) and an English sentence.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use weft_core::model::Urgency;
use weft_core::{GuildId, MemberId, SectorId, SkillId, TaskId};

use crate::input::{Input, MemberInput, TaskInput};
use crate::learn::{SHORT_TASK, Size, deltas, fade, size_bucket};
use crate::plan::Plan;
use crate::score::{CMember, Resting, Scorer, Term, Terms, Week, heavy_sector, liked, month_elapsed_pm};

/// The least score a task needs to be suggested (outside the member's part of the plan).
pub const MIN_SCORE: i64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("{0} is not a current member of this community")]
    UnknownMember(MemberId),
}

/// What the matcher suggests to one member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Suggestions {
    pub member: MemberId,
    pub week: Week,
    /// Why there is nothing to suggest, when the burnout guard says rest.
    pub resting: Option<Resting>,
    pub items: Vec<Suggestion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Suggestion {
    pub task: TaskId,
    pub title: String,
    pub sector: SectorId,
    pub minutes: u32,
    pub urgency: Urgency,
    /// The community that posted it, for a neighbour's call.
    pub neighbour: Option<String>,
    pub score: i64,
    /// This is the member's part of the community plan.
    pub planned: bool,
    pub reasons: Vec<Reason>,
}

/// One term of a suggestion's score, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Reason {
    pub term: Term,
    pub points: i64,
    /// What the reason is made of, typed, for front ends that word it in another language.
    pub facts: Facts,
    /// The reason in English (the CLI prints it).
    pub text: String,
}

/// The facts a reason is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Facts {
    Plan,
    Skill {
        known: Vec<(SkillId, u8)>,
        learning: Vec<SkillId>,
        missing: Vec<SkillId>,
    },
    Interest {
        sector: String,
        level: Option<u8>,
    },
    Rotation {
        sector: String,
        done: u32,
        baseline: u32,
        expected: u32,
        total: u32,
        total_expected: u32,
    },
    Sector {
        sector: String,
        percent: u32,
        month_percent: u32,
    },
    Urgency {
        urgency: Urgency,
        free: u32,
        slots: u32,
        waiting_days: i64,
        deadline_days: Option<i64>,
        /// Of the free places, those whose member looks for a stand-in.
        #[serde(default)]
        stand_ins: u32,
    },
    Load {
        after: u32,
        week: u32,
        heavy_sector: Option<String>,
        heavy_minutes: u32,
        same_sector: bool,
    },
    Learned {
        feature: Feature,
        liked: u32,
        disliked: u32,
    },
    Travel {
        community: String,
    },
    /// A task of a gathering the member is coming to.
    Gathering {
        title: String,
    },
}

/// What a learned preference is about: the feature of the task that weighs most in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Feature {
    /// Tasks of the task's sector (`name` as the community calls it).
    Sector { sector: SectorId, name: String },
    /// Tasks of the task's guild.
    Guild { guild: GuildId, name: String },
    /// Tasks asking for these skills (the task's).
    Skills { skills: Vec<SkillId> },
    /// Tasks of about this size.
    Size { size: Size },
}

impl std::fmt::Display for Feature {
    /// In English, as in a reason's text: "food tasks", "tasks of the garden guild".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sector { name, .. } => write!(f, "{} tasks", name.to_lowercase()),
            Self::Guild { name, .. } => write!(f, "tasks of the {name} guild"),
            Self::Skills { skills } => {
                write!(f, "tasks asking for {}", list(&skills.iter().map(ToString::to_string).collect::<Vec<_>>()))
            }
            Self::Size { size } => f.write_str(size.words()),
        }
    }
}

/// Suggestions for `member`: their parts of `plan` first (if a plan is given), then the best
/// of the rest, `limit` in all.
pub fn suggest(input: &Input, member: MemberId, limit: usize, plan: Option<&Plan>) -> Result<Suggestions, MatchError> {
    let m = input.members.get(&member).ok_or(MatchError::UnknownMember(member))?;
    let scorer = Scorer::new(input);
    let cm = scorer.member(member, m);
    let week = Week::of(m);
    if let Some(resting) = week.resting() {
        return Ok(Suggestions { member, week, resting: Some(resting), items: Vec::new() });
    }
    let planned: Vec<TaskId> = plan.map(|p| p.parts_of(member).map(|p| p.task).collect()).unwrap_or_default();
    // Places the plan counts on others for: a task whose free places are all promised to
    // others comes after everything else, so suggestions do not pile onto the same people.
    // Not an urgent one: a promise in the plan is a guess, not a pledge, and hiding an urgent
    // place from everyone else while the one counted on has not answered costs the hours
    // that matter most.
    let mut promised: BTreeMap<TaskId, u32> = BTreeMap::new();
    for part in plan.iter().flat_map(|p| p.parts.iter()).filter(|p| p.member != member) {
        *promised.entry(part.task).or_default() += 1;
    }
    let mut ranked: Vec<(u8, i64, usize, Terms)> = scorer
        .tasks
        .iter()
        .enumerate()
        .filter_map(|(ti, t)| {
            let terms = scorer.terms(&cm, ti)?;
            let tier = if planned.contains(&t.id) {
                0
            } else if !t.urgent && promised.get(&t.id).copied().unwrap_or(0) >= t.free {
                2
            } else {
                1
            };
            // Below zero a task suits the member less than it costs them: not suggested,
            // unless the plan counts on them for it.
            (tier == 0 || terms.total() >= MIN_SCORE).then(|| (tier, terms.total(), ti, terms))
        })
        .collect();
    let key = |a: &(u8, i64, usize, Terms)| (a.0, std::cmp::Reverse(a.1), a.2);
    if ranked.len() > limit && limit > 0 {
        ranked.select_nth_unstable_by_key(limit - 1, key);
    }
    ranked.truncate(limit);
    ranked.sort_unstable_by_key(key);
    let items = ranked
        .into_iter()
        .map(|(tier, score, ti, terms)| {
            let is_planned = tier == 0;
            let id = scorer.tasks[ti].id;
            let t = &input.tasks[&id];
            Suggestion {
                task: id,
                title: t.title.clone(),
                sector: t.sector.clone(),
                minutes: t.minutes,
                urgency: t.urgency,
                neighbour: t.neighbour.clone(),
                score,
                planned: is_planned,
                reasons: explain(&scorer, &cm, m, ti, t, &terms, is_planned),
            }
        })
        .collect();
    Ok(Suggestions { member, week, resting: None, items })
}

/// "2 h", "45 min", "1 h 30 min".
pub fn hours(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

pub(crate) fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn explain(
    scorer: &Scorer<'_>,
    cm: &CMember,
    m: &MemberInput,
    ti: usize,
    t: &TaskInput,
    terms: &Terms,
    planned: bool,
) -> Vec<Reason> {
    let input = scorer.input;
    let sector = input.sectors.get(&t.sector);
    let sector_name = sector.map_or_else(|| t.sector.to_string(), |s| s.name.clone());
    let lower = sector_name.to_lowercase();
    let mut out = Vec::new();
    let mut push = |term, points, facts, text: String| out.push(Reason { term, points, facts, text });

    if planned {
        push(Term::Plan, 0, Facts::Plan, "your part of this week's community plan".to_owned());
    }

    // Skills.
    let known: Vec<(SkillId, u8)> = t.skills.iter().filter_map(|k| m.skills.get(k).map(|l| (k.clone(), *l))).collect();
    let learning: Vec<SkillId> =
        t.skills.iter().filter(|k| !m.skills.contains_key(*k) && m.learn.contains(*k)).cloned().collect();
    let missing: Vec<SkillId> =
        t.skills.iter().filter(|k| !m.skills.contains_key(*k) && !m.learn.contains(*k)).cloned().collect();
    let mut parts = Vec::new();
    if t.skills.is_empty() {
        parts.push("no special skills needed".to_owned());
    }
    if !known.is_empty() {
        let k: Vec<String> = known.iter().map(|(k, l)| format!("{k} ({l}/5)")).collect();
        parts.push(format!("you know {}", list(&k)));
    }
    if !learning.is_empty() {
        let k: Vec<String> = learning.iter().map(ToString::to_string).collect();
        parts.push(format!("a chance to learn {}, as you wanted", list(&k)));
    }
    if !missing.is_empty() {
        let k: Vec<String> = missing.iter().map(ToString::to_string).collect();
        parts.push(format!("asks for {}, not in your profile", list(&k)));
    }
    push(Term::Skill, terms.skill, Facts::Skill { known, learning, missing }, parts.join("; "));

    // Interest.
    let level = m.interests.get(&t.sector).copied();
    let text = match level {
        None => format!("you haven't said how you feel about {lower}"),
        Some(0) => format!("you said {lower} doesn't interest you (0/5)"),
        Some(1) => format!("{lower} isn't your favourite (1/5)"),
        Some(2) => format!("{lower} is fine by you (2/5)"),
        Some(3) => format!("you like {lower} (3/5)"),
        Some(4) => format!("you like {lower} a lot (4/5)"),
        Some(l) => format!("you love {lower} ({l}/5)"),
    };
    push(Term::Interest, terms.interest, Facts::Interest { sector: sector_name.clone(), level }, text);

    // Rotation and the sector's month.
    if let Some(s) = sector {
        let done = m.year.get(&t.sector).copied().unwrap_or(0);
        let expected = input.expected_by_now(s.baseline);
        let total: u32 = m.year.values().sum();
        let total_expected: u32 = input.sectors.values().map(|s| input.expected_by_now(s.baseline)).sum();
        let text = format!(
            "you've done {} of {lower} this year against a {} baseline ({} by now at a steady pace); {} in all sectors against {} by now",
            hours(done),
            hours(s.baseline),
            hours(expected),
            hours(total),
            hours(total_expected),
        );
        push(
            Term::Rotation,
            terms.rotation,
            Facts::Rotation {
                sector: sector_name.clone(),
                done,
                baseline: s.baseline,
                expected,
                total,
                total_expected,
            },
            text,
        );
        let percent = u32::try_from(u64::from(s.month_done) * 100 / u64::from(s.month_goal.max(1))).unwrap_or(u32::MAX);
        let month_percent = u32::try_from(month_elapsed_pm(input.today) / 10).unwrap_or(0);
        push(
            Term::Sector,
            terms.sector,
            Facts::Sector { sector: sector_name.clone(), percent, month_percent },
            format!("the {lower} sector is at {percent}% of this month's goal, {month_percent}% of the month gone"),
        );
    }

    // Urgency.
    let waiting_days = (input.today.days_since_epoch() - t.posted.days_since_epoch()).max(0);
    let deadline_days = t.deadline.map(|d| d.days_since_epoch() - input.today.days_since_epoch());
    let mut text = format!(
        "{}, {} of {} place{} still open",
        match t.urgency {
            Urgency::Urgent => "urgent",
            Urgency::Soon => "needed soon",
            Urgency::Normal => "not urgent",
        },
        t.free,
        t.slots,
        if t.slots == 1 { "" } else { "s" }
    );
    if t.stand_ins > 0 {
        text.push_str(&format!(
            "; {} of them pledged, looking for someone to stand in",
            if t.stand_ins == 1 { "one".to_owned() } else { t.stand_ins.to_string() }
        ));
    }
    if waiting_days > 0 {
        text.push_str(&format!("; waiting {waiting_days} day{}", if waiting_days == 1 { "" } else { "s" }));
    }
    match deadline_days {
        Some(d) if d < 0 => text.push_str("; its deadline has passed"),
        Some(0) => text.push_str("; deadline today"),
        Some(d) if d < 14 => text.push_str(&format!("; deadline in {d} day{}", if d == 1 { "" } else { "s" })),
        _ => {}
    }
    push(
        Term::Urgency,
        terms.urgency,
        Facts::Urgency {
            urgency: t.urgency,
            free: t.free,
            slots: t.slots,
            waiting_days,
            deadline_days,
            stand_ins: t.stand_ins,
        },
        text,
    );

    // Load: the week, and balance after a busy month in one sector.
    let after = cm.week.load() + t.minutes;
    let mut text = format!("this would bring your week to {} of your {}", hours(after), hours(cm.week.available));
    let heavy = heavy_sector(m);
    let (mut heavy_name, mut heavy_minutes, mut same) = (None, 0, false);
    if let Some((hs, mins)) = heavy {
        let name = input.sectors.get(hs).map_or_else(|| hs.to_string(), |s| s.name.to_lowercase());
        if *hs == t.sector {
            same = true;
            text.push_str(&format!(
                "; you gave {} to {name} in the last four weeks — time for something else?",
                hours(mins)
            ));
        } else if t.minutes <= SHORT_TASK {
            text.push_str(&format!("; a lighter task in another sector after {} of {name}", hours(mins)));
        }
        heavy_name = Some(name);
        heavy_minutes = mins;
    }
    push(
        Term::Load,
        terms.load,
        Facts::Load { after, week: cm.week.available, heavy_sector: heavy_name, heavy_minutes, same_sector: same },
        text,
    );

    // Learned preferences: the feature that weighs most for this task.
    if terms.learned != 0 {
        let ct = &scorer.tasks[ti];
        let p = cm.prefs.parts(ct);
        let strongest = (0..4).max_by_key(|i| (p[*i].abs(), std::cmp::Reverse(*i))).unwrap_or(0);
        let feature = match (strongest, t.guild) {
            (0, _) => Feature::Sector { sector: t.sector.clone(), name: sector_name.clone() },
            // A task without a guild has no guild weight, so the guild is never its strongest.
            (1, Some(guild)) => Feature::Guild { guild, name: input.guilds.get(&guild).cloned().unwrap_or_default() },
            (2, _) => Feature::Skills { skills: t.skills.iter().cloned().collect() },
            _ => Feature::Size { size: Size::of(t.minutes) },
        };
        let (mut liked_n, mut disliked_n) = (0u32, 0u32);
        for s in &m.history {
            let on_feature = match strongest {
                0 => s.sector == t.sector,
                1 => s.guild.is_some() && s.guild == t.guild,
                2 => s.skills.iter().any(|k| t.skills.contains(k)),
                _ => size_bucket(s.minutes) == size_bucket(t.minutes),
            };
            if !on_feature || fade(s.on, input.today) == 0 {
                continue;
            }
            let d = deltas(s.kind);
            let delta = [d.0, d.1, d.2, d.3][strongest];
            if delta == 0 {
                continue;
            }
            if liked(s.kind) {
                liked_n += 1;
            } else {
                disliked_n += 1;
            }
        }
        let text = if terms.learned > 0 {
            format!("you took or enjoyed {feature} before ({liked_n} time{})", if liked_n == 1 { "" } else { "s" })
        } else {
            format!(
                "you said 'not for me', 'too hard' or 'not again' to {feature} before ({disliked_n} time{})",
                if disliked_n == 1 { "" } else { "s" }
            )
        };
        push(Term::Learned, terms.learned, Facts::Learned { feature, liked: liked_n, disliked: disliked_n }, text);
    }

    if let Some(n) = &t.neighbour {
        push(
            Term::Travel,
            terms.travel,
            Facts::Travel { community: n.clone() },
            format!("a call from {n}, open to neighbours — you like to travel"),
        );
    }
    if let Some(g) = &t.gathering
        && terms.gathering > 0
    {
        push(
            Term::Gathering,
            terms.gathering,
            Facts::Gathering { title: g.title.clone() },
            format!("a task of {}, which you're coming to", g.title),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_learned_feature_is_typed_and_its_english_is_the_reason_text() {
        let said = |f: Feature| f.to_string();
        let sector =
            Feature::Sector { sector: "maintenance".parse().unwrap(), name: "Maintenance & infrastructure".into() };
        assert_eq!(said(sector.clone()), "maintenance & infrastructure tasks");
        let guild = Feature::Guild { guild: GuildId::from_bytes([1; 12]), name: "Community garden".into() };
        assert_eq!(said(guild), "tasks of the Community garden guild");
        let skills = Feature::Skills { skills: vec!["gardening".parse().unwrap(), "first-aid".parse().unwrap()] };
        assert_eq!(said(skills), "tasks asking for gardening and first-aid");
        assert_eq!(said(Feature::Size { size: Size::of(120) }), "short tasks (up to 2 h)");
        assert_eq!(said(Feature::Size { size: Size::of(121) }), "half-day tasks");
        assert_eq!(said(Feature::Size { size: Size::of(301) }), "long tasks (over 5 h)");
        assert_eq!(
            serde_json::to_value(&sector).unwrap(),
            serde_json::json!({ "kind": "sector", "sector": "maintenance", "name": "Maintenance & infrastructure" })
        );
        assert_eq!(
            serde_json::to_value(Feature::Size { size: Size::HalfDay }).unwrap(),
            serde_json::json!({ "kind": "size", "size": "half_day" })
        );
    }
}
