//! Linked neighbours' needs a member could help with: what the issue calls "matched needs are
//! suggested to members who can help".
//!
//! A need is free text (a title, a description, maybe a sector), not a task: it has no places,
//! hours or skills of its own, so it is not scored like one. What ties a need to a member is
//! what the member told the community and did: their interest in the need's sector, hours they
//! gave to that sector this year, and a skill of theirs the need names in words; whether they
//! like to travel weighs too (a need is always another community's). A need with none of the
//! first three is not suggested, and neither is one whose points come to nothing. Needs are
//! ranked for one member only, never members for a need: the member decides.
//!
//! Pure and deterministic like the rest of the matcher: integers, and ties broken by the
//! need's id.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use weft_core::id::NoticeId;
use weft_core::{MemberId, SectorId, SkillId};

use crate::input::{Input, MemberInput};
use crate::score::{TRAVEL_POINTS, Week, interest_points, skill_points};
use crate::suggest::{MatchError, hours};

/// The most needs suggested to one member at once.
pub const MAX_NEEDS: usize = 5;

/// Points per hour the member gave to the need's sector this year, and the most they add up to.
const POINTS_PER_HOUR: u32 = 10;
const HOURS_POINTS_MAX: u32 = 300;

/// An open need of a linked neighbour, as the matcher reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedInput {
    pub id: NoticeId,
    /// The community that stated it, by name.
    pub community: String,
    pub title: String,
    pub description: String,
    pub sector: Option<SectorId>,
    /// Members who answered it already: it is not suggested to them again.
    pub answered: BTreeSet<MemberId>,
}

/// A need one member could help with, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NeedSuggestion {
    pub need: NoticeId,
    pub title: String,
    /// The community that stated it, by name.
    pub community: String,
    pub sector: Option<SectorId>,
    /// The sum of the reasons' points: the order of the list.
    pub score: i64,
    pub reasons: Vec<NeedReason>,
}

/// One reason a need suits (or does not suit) a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NeedReason {
    pub points: i64,
    /// What the reason is made of, typed, for front ends that word it in another language.
    pub facts: NeedFacts,
    /// The reason in English (the CLI prints it).
    pub text: String,
}

/// The facts a need's reason is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NeedFacts {
    /// Skills of the member's that the need names, with the member's levels (1–5).
    Skill { skills: Vec<(SkillId, u8)> },
    /// The member's interest (0–5) in the need's sector, as the community calls it.
    Interest { sector: String, level: u8 },
    /// Minutes the member gave to the need's sector this year.
    Hours { sector: String, minutes: u32 },
    /// The need is in another community; whether the member said they like to travel.
    Travel { community: String, willing: bool },
}

/// The lowercase words of a text: runs of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Whether `text` (as words) names a skill: the slug's words in a row, whatever the case and
/// whatever stands between them ("first-aid" is named by "First aid" and "first-aid kit").
fn names(text: &[String], skill: &SkillId) -> bool {
    let wanted: Vec<&str> = skill.as_str().split('-').filter(|w| !w.is_empty()).collect();
    !wanted.is_empty() && text.windows(wanted.len()).any(|w| w.iter().zip(&wanted).all(|(a, b)| a == b))
}

/// The needs of linked neighbours `member` could help with, most suitable first, at most
/// [`MAX_NEEDS`]. None for a member the burnout guard tells to rest (no hours a week, or a
/// full week): nothing is suggested to them, needs included.
pub fn suggest_needs(input: &Input, member: MemberId, needs: &[NeedInput]) -> Result<Vec<NeedSuggestion>, MatchError> {
    let m = input.members.get(&member).ok_or(MatchError::UnknownMember(member))?;
    if Week::of(m).resting().is_some() {
        return Ok(Vec::new());
    }
    let mut out: Vec<NeedSuggestion> = needs
        .iter()
        .filter(|n| !n.answered.contains(&member))
        .filter_map(|n| {
            let (matched, reasons) = reasons(input, m, n);
            let score = reasons.iter().map(|r| r.points).sum();
            (matched && score > 0).then(|| NeedSuggestion {
                need: n.id,
                title: n.title.clone(),
                community: n.community.clone(),
                sector: n.sector.clone(),
                score,
                reasons,
            })
        })
        .collect();
    out.sort_by(|a, b| b.score.cmp(&a.score).then(a.need.cmp(&b.need)));
    out.truncate(MAX_NEEDS);
    Ok(out)
}

/// A need's reasons for a member, and whether any of them is a match (a named skill, interest
/// in its sector, hours given to it): travel alone is not.
fn reasons(input: &Input, m: &MemberInput, n: &NeedInput) -> (bool, Vec<NeedReason>) {
    let mut out = Vec::new();
    let mut matched = false;

    let text = words(&format!("{}\n{}", n.title, n.description));
    let known: Vec<(SkillId, u8)> =
        m.skills.iter().filter(|(k, l)| **l > 0 && names(&text, k)).map(|(k, l)| (k.clone(), *l)).collect();
    if !known.is_empty() {
        matched = true;
        let points = known.iter().map(|(_, l)| skill_points(Some(*l), false)).sum();
        let k: Vec<String> = known.iter().map(|(k, l)| format!("{k} ({l}/5)")).collect();
        let text = format!("it asks for {}, which you know", crate::suggest::list(&k));
        out.push(NeedReason { points, facts: NeedFacts::Skill { skills: known }, text });
    }

    if let Some(sector) = &n.sector {
        let name = input.sectors.get(sector).map_or_else(|| sector.to_string(), |s| s.name.clone());
        let lower = name.to_lowercase();
        if let Some(&level) = m.interests.get(sector) {
            let text = match level {
                0 => Some(format!("you said {lower} doesn't interest you (0/5)")),
                1 => Some(format!("{lower} isn't your favourite (1/5)")),
                3 => Some(format!("you like {lower} (3/5)")),
                4 => Some(format!("you like {lower} a lot (4/5)")),
                l if l >= 5 => Some(format!("you love {lower} ({l}/5)")),
                // 2 is "no opinion": neither for nor against.
                _ => None,
            };
            if let Some(text) = text {
                matched |= level >= 3;
                out.push(NeedReason {
                    points: interest_points(Some(level)),
                    facts: NeedFacts::Interest { sector: name.clone(), level },
                    text,
                });
            }
        }
        let minutes = m.year.get(sector).copied().unwrap_or(0);
        if minutes > 0 {
            matched = true;
            out.push(NeedReason {
                points: i64::from((minutes / 60 * POINTS_PER_HOUR).clamp(POINTS_PER_HOUR, HOURS_POINTS_MAX)),
                facts: NeedFacts::Hours { sector: name, minutes },
                text: format!("you gave {} to {lower} this year", hours(minutes)),
            });
        }
    }

    let c = &n.community;
    out.push(if m.travel {
        NeedReason {
            points: TRAVEL_POINTS,
            facts: NeedFacts::Travel { community: c.clone(), willing: true },
            text: format!("{c} needs it — you like to travel"),
        }
    } else {
        NeedReason {
            points: 0,
            facts: NeedFacts::Travel { community: c.clone(), willing: false },
            text: format!("{c} needs it; you haven't said you like to travel, so perhaps from where you are"),
        }
    });
    (matched, out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use weft_core::Date;

    use super::*;
    use crate::input::SectorInput;

    fn k(s: &str) -> SkillId {
        s.parse().unwrap()
    }

    #[test]
    fn a_skill_is_named_by_its_words_in_a_row_whatever_the_case() {
        let text = words("Anyone with FIRST AID training? Also a carpenter's eye for the shed-roof.");
        assert!(names(&text, &k("first-aid")));
        assert!(!names(&text, &k("aid-first")));
        assert!(names(&text, &k("shed-roof")));
        assert!(!names(&text, &k("carpentry")), "whole words only");
        assert!(!names(&words("a cook"), &k("cooking")));
        assert!(names(&words("Cocina y costura"), &k("costura")));
    }

    fn community(members: impl IntoIterator<Item = (MemberId, MemberInput)>) -> Input {
        let sectors = [("food", "Food"), ("healthcare", "Healthcare"), ("arts", "Arts & culture")]
            .into_iter()
            .map(|(id, name)| {
                (id.parse().unwrap(), SectorInput { name: name.into(), baseline: 1200, month_done: 0, month_goal: 100 })
            })
            .collect();
        Input {
            today: "2027-03-01".parse::<Date>().unwrap(),
            sectors,
            guilds: BTreeMap::new(),
            members: members.into_iter().collect(),
            tasks: BTreeMap::new(),
        }
    }

    fn need(n: u8, title: &str, sector: Option<&str>) -> NeedInput {
        NeedInput {
            id: NoticeId::from_bytes([n; 12]),
            community: "Hills".into(),
            title: title.into(),
            description: String::new(),
            sector: sector.map(|s| s.parse().unwrap()),
            answered: BTreeSet::new(),
        }
    }

    fn ana() -> (MemberId, MemberInput) {
        let mut m = MemberInput { name: "Ana".into(), week_minutes: 300, travel: true, ..MemberInput::default() };
        m.skills.insert(k("first-aid"), 4);
        m.interests.insert("food".parse().unwrap(), 5);
        m.year.insert("healthcare".parse().unwrap(), 600);
        (MemberId::from_bytes([1; 32]), m)
    }

    #[test]
    fn needs_a_member_can_help_with_come_ranked_with_their_reasons() {
        let (me, m) = ana();
        let input = community([(me, m)]);
        let mut answered = need(5, "Food for the fair", Some("food"));
        answered.answered.insert(me);
        let needs = [
            need(4, "Paint the mural", Some("arts")),
            need(3, "Someone to sit with Jo on Tuesdays", Some("healthcare")),
            need(2, "Hands for the food bank", Some("food")),
            NeedInput { description: "A First-Aid kit and someone who knows it".into(), ..need(1, "The fair", None) },
            answered,
        ];
        let out = suggest_needs(&input, me, &needs).unwrap();
        let ids: Vec<u8> = out.iter().map(|n| n.need.as_bytes()[0]).collect();
        assert_eq!(ids, [1, 2, 3], "the mural matches nothing; the answered need is not suggested again");
        for n in &out {
            assert_eq!(n.score, n.reasons.iter().map(|r| r.points).sum::<i64>());
            assert_eq!(n.community, "Hills");
        }
        let said = |i: usize| out[i].reasons.iter().map(|r| r.text.clone()).collect::<Vec<_>>();
        assert_eq!(said(0), ["it asks for first-aid (4/5), which you know", "Hills needs it — you like to travel"]);
        assert_eq!(out[0].reasons[0].facts, NeedFacts::Skill { skills: vec![(k("first-aid"), 4)] });
        assert_eq!(said(1), ["you love food (5/5)", "Hills needs it — you like to travel"]);
        assert_eq!(said(2), ["you gave 10 h to healthcare this year", "Hills needs it — you like to travel"]);
        assert_eq!(
            out[2].reasons[0].facts,
            NeedFacts::Hours { sector: "Healthcare".into(), minutes: 600 },
            "the sector as the community calls it"
        );
    }

    #[test]
    fn travel_and_dislike_weigh_but_only_a_match_suggests_a_need() {
        let (me, mut m) = ana();
        m.travel = false;
        m.interests.insert("arts".parse().unwrap(), 0);
        m.skills.insert(k("painting"), 1);
        let input = community([(me, m.clone())]);
        let needs = [need(1, "Painting the hall", Some("arts")), need(2, "First aid cover", None)];
        let out = suggest_needs(&input, me, &needs).unwrap();
        assert_eq!(out.len(), 1, "a painter who said arts do not interest them: {out:?}");
        let travel = out[0].reasons.last().unwrap();
        assert_eq!(travel.points, 0);
        assert_eq!(travel.facts, NeedFacts::Travel { community: "Hills".into(), willing: false });
        // Travel alone is no match.
        m.travel = true;
        m.skills.clear();
        m.year.clear();
        let input = community([(me, m)]);
        assert!(suggest_needs(&input, me, &[need(3, "Anything", None)]).unwrap().is_empty());
    }

    #[test]
    fn at_most_five_in_the_same_order_whatever_order_they_came_in_and_none_to_rest() {
        let (me, m) = ana();
        let input = community([(me, m.clone())]);
        let mut needs: Vec<NeedInput> = (1..=8).map(|n| need(n, "First aid, please", None)).collect();
        let out = suggest_needs(&input, me, &needs).unwrap();
        assert_eq!(out.len(), MAX_NEEDS);
        assert_eq!(out.iter().map(|n| n.need.as_bytes()[0]).collect::<Vec<_>>(), [1, 2, 3, 4, 5], "ties by id");
        needs.reverse();
        assert_eq!(suggest_needs(&input, me, &needs).unwrap(), out);
        // The burnout guard: a full week, or no hours, and nothing is suggested.
        let full = MemberInput { this_week: 300, ..m.clone() };
        assert!(suggest_needs(&community([(me, full)]), me, &needs).unwrap().is_empty());
        let none = MemberInput { week_minutes: 0, ..m };
        assert!(suggest_needs(&community([(me, none)]), me, &needs).unwrap().is_empty());
    }

    #[test]
    fn the_member_must_exist() {
        let input = Input {
            today: "2027-03-01".parse::<Date>().unwrap(),
            sectors: BTreeMap::from([(
                "food".parse().unwrap(),
                SectorInput { name: "Food".into(), baseline: 1200, month_done: 0, month_goal: 1 },
            )]),
            guilds: BTreeMap::new(),
            members: BTreeMap::new(),
            tasks: BTreeMap::new(),
        };
        let nobody = MemberId::from_bytes([9; 32]);
        assert_eq!(suggest_needs(&input, nobody, &[]), Err(MatchError::UnknownMember(nobody)));
    }
}
