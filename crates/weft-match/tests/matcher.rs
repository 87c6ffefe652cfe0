//! What the matcher promises, on small hand-made communities.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use weft_core::model::{Urgency, Verdict};
use weft_core::{Date, GuildId, MemberId, SectorId, SkillId, TaskId};
use weft_match::{Input, MemberInput, Resting, SectorInput, Signal, SignalKind, TaskInput, Term, plan, suggest};

fn day() -> Date {
    "2026-06-15".parse().unwrap()
}
fn s(id: &str) -> SectorId {
    id.parse().unwrap()
}
fn k(id: &str) -> SkillId {
    id.parse().unwrap()
}
fn member(n: u8) -> MemberId {
    MemberId::from_bytes([n; 32])
}
fn task_id(n: u8) -> TaskId {
    TaskId::from_bytes([n; 12])
}

fn community() -> Input {
    let sectors = [("food", 1200), ("healthcare", 1200), ("arts", 3000)]
        .into_iter()
        .map(|(id, baseline)| (s(id), SectorInput { name: id.to_owned(), baseline, month_done: 600, month_goal: 2000 }))
        .collect();
    Input { today: day(), sectors, guilds: BTreeMap::new(), members: BTreeMap::new(), tasks: BTreeMap::new() }
}

fn person(week_hours: u32) -> MemberInput {
    MemberInput { name: "someone".into(), week_minutes: week_hours * 60, ..MemberInput::default() }
}

fn task(sector: &str, skills: &[&str], hours: u32, urgency: Urgency) -> TaskInput {
    TaskInput {
        title: format!("{sector} work"),
        sector: s(sector),
        guild: None,
        skills: skills.iter().map(|x| k(x)).collect(),
        minutes: hours * 60,
        slots: 1,
        free: 1,
        stand_ins: 0,
        urgency,
        deadline: None,
        posted: day(),
        neighbour: None,
        gathering: None,
    }
}

#[test]
fn reasons_cover_every_term_and_skill_fit_ranks_first() {
    let mut c = community();
    let mut ana = person(4);
    ana.skills.insert(k("gardening"), 4);
    ana.interests.insert(s("food"), 5);
    ana.year.insert(s("food"), 120);
    c.members.insert(member(1), ana);
    c.tasks.insert(task_id(1), task("food", &["gardening"], 2, Urgency::Urgent));
    c.tasks.insert(task_id(2), task("healthcare", &["nursing"], 2, Urgency::Normal));
    let out = suggest(&c, member(1), 5, None).unwrap();
    assert_eq!(out.items[0].task, task_id(1));
    let terms: BTreeSet<Term> = out.items[0].reasons.iter().map(|r| r.term).collect();
    for t in [Term::Skill, Term::Interest, Term::Rotation, Term::Sector, Term::Urgency, Term::Load] {
        assert!(terms.contains(&t), "missing {t:?} in {:?}", out.items[0].reasons);
    }
    let text: Vec<&str> = out.items[0].reasons.iter().map(|r| r.text.as_str()).collect();
    assert!(text.iter().any(|t| t.contains("you know gardening (4/5)")), "{text:?}");
    assert!(text.iter().any(|t| t.starts_with("urgent, 1 of 1 place still open")), "{text:?}");
    assert!(text.iter().any(|t| t.contains("you've done 2 h of food this year against a 20 h baseline")), "{text:?}");
    // The score is the sum of the reasons' points.
    for item in &out.items {
        assert_eq!(item.score, item.reasons.iter().map(|r| r.points).sum::<i64>());
    }
    // A stretch task for a skill one wants to learn ranks above one with an unknown skill.
    let mut bo = person(4);
    bo.learn.insert(k("nursing"));
    c.members.insert(member(2), bo);
    c.tasks.insert(task_id(3), task("healthcare", &["plumbing"], 2, Urgency::Normal));
    let out = suggest(&c, member(2), 5, None).unwrap();
    let pos = |t| out.items.iter().position(|i| i.task == t).unwrap();
    assert!(pos(task_id(2)) < pos(task_id(3)));
}

#[test]
fn rotation_steers_to_the_sector_behind_and_progress_to_the_sector_short_of_its_goal() {
    let mut c = community();
    let mut ana = person(4);
    ana.year.insert(s("food"), 20 * 60); // a whole year's food baseline already
    ana.interests.insert(s("food"), 5);
    ana.interests.insert(s("healthcare"), 5);
    c.members.insert(member(1), ana);
    c.tasks.insert(task_id(1), task("food", &[], 2, Urgency::Normal));
    c.tasks.insert(task_id(2), task("healthcare", &[], 2, Urgency::Normal));
    let out = suggest(&c, member(1), 5, None).unwrap();
    assert_eq!(out.items[0].task, task_id(2));
    let rot = |i: usize| out.items[i].reasons.iter().find(|r| r.term == Term::Rotation).unwrap().points;
    assert!(rot(0) > 0 && rot(1) < 0);
}

#[test]
fn urgency_rises_while_a_task_waits_and_as_its_deadline_nears() {
    let mut c = community();
    c.members.insert(member(1), person(4));
    let mut old = task("food", &[], 2, Urgency::Soon);
    old.posted = day().add_days(-10).unwrap();
    let mut due = task("food", &[], 2, Urgency::Soon);
    due.deadline = day().add_days(2);
    c.tasks.insert(task_id(1), task("food", &[], 2, Urgency::Soon));
    c.tasks.insert(task_id(2), old);
    c.tasks.insert(task_id(3), due);
    let out = suggest(&c, member(1), 5, None).unwrap();
    let urgency = |t| {
        let i = out.items.iter().find(|i| i.task == t).unwrap();
        i.reasons.iter().find(|r| r.term == Term::Urgency).unwrap().points
    };
    assert!(urgency(task_id(2)) > urgency(task_id(1)));
    assert!(urgency(task_id(3)) > urgency(task_id(1)));
}

#[test]
fn burnout_guard_rests_a_full_week_and_offers_only_what_fits() {
    let mut c = community();
    let mut busy = person(4);
    busy.this_week = 3 * 60;
    busy.committed = 60;
    c.members.insert(member(1), busy);
    let mut half = person(4);
    half.this_week = 3 * 60;
    c.members.insert(member(2), half);
    c.members.insert(member(3), person(0));
    c.tasks.insert(task_id(1), task("food", &[], 1, Urgency::Urgent));
    c.tasks.insert(task_id(2), task("food", &[], 3, Urgency::Urgent));
    let out = suggest(&c, member(1), 5, None).unwrap();
    assert!(out.items.is_empty());
    assert_eq!(out.resting, Some(Resting::WeekFull { load: 240, week: 240 }));
    assert_eq!(suggest(&c, member(3), 5, None).unwrap().resting, Some(Resting::NoHours));
    let out = suggest(&c, member(2), 5, None).unwrap();
    assert_eq!(out.items.iter().map(|i| i.task).collect::<Vec<_>>(), vec![task_id(1)]);
}

#[test]
fn after_a_heavy_month_in_one_sector_a_lighter_task_elsewhere_comes_first() {
    let mut c = community();
    let mut ana = person(4);
    ana.interests.insert(s("food"), 4);
    ana.interests.insert(s("arts"), 4);
    ana.last_28.insert(s("food"), 12 * 60);
    c.members.insert(member(1), ana);
    c.tasks.insert(task_id(1), task("food", &[], 1, Urgency::Normal));
    c.tasks.insert(task_id(2), task("arts", &[], 1, Urgency::Normal));
    let out = suggest(&c, member(1), 5, None).unwrap();
    assert_eq!(out.items[0].task, task_id(2));
    let load = out.items[1].reasons.iter().find(|r| r.term == Term::Load).unwrap();
    assert!(load.text.contains("time for something else"), "{}", load.text);
}

#[test]
fn feedback_and_declines_teach_the_matcher() {
    let garden = GuildId::from_bytes([9; 12]);
    let kitchen = GuildId::from_bytes([8; 12]);
    let mut c = community();
    c.guilds.insert(garden, "Community garden".into());
    c.guilds.insert(kitchen, "Soup kitchen".into());
    let signal = |kind, guild| Signal {
        kind,
        on: day().add_days(-20).unwrap(),
        sector: s("food"),
        guild: Some(guild),
        skills: BTreeSet::new(),
        minutes: 120,
    };
    let mut ana = person(4);
    ana.history = vec![
        signal(SignalKind::Said(Verdict::More), garden),
        signal(SignalKind::Said(Verdict::NotAgain), kitchen),
        signal(SignalKind::Declined, kitchen),
    ];
    c.members.insert(member(1), ana);
    let mut a = task("food", &[], 2, Urgency::Normal);
    a.guild = Some(kitchen);
    let mut b = task("food", &[], 2, Urgency::Normal);
    b.guild = Some(garden);
    c.tasks.insert(task_id(1), a);
    c.tasks.insert(task_id(2), b);
    let out = suggest(&c, member(1), 5, None).unwrap();
    assert_eq!(out.items[0].task, task_id(2));
    let learned = |i: usize| out.items[i].reasons.iter().find(|r| r.term == Term::Learned).unwrap().clone();
    assert!(learned(0).points > 0 && learned(0).text.contains("Community garden"), "{:?}", learned(0));
    assert!(learned(1).points < 0 && learned(1).text.contains("not for me"), "{:?}", learned(1));
    // A declined task is never suggested again.
    c.members.get_mut(&member(1)).unwrap().seen.insert(task_id(2));
    assert!(suggest(&c, member(1), 5, None).unwrap().items.iter().all(|i| i.task != task_id(2)));
}

#[test]
fn neighbours_calls_only_for_members_who_travel() {
    let mut c = community();
    c.members.insert(member(1), person(4));
    let mut traveller = person(4);
    traveller.travel = true;
    c.members.insert(member(2), traveller);
    let mut call = task("arts", &[], 2, Urgency::Normal);
    call.neighbour = Some("Riverside".into());
    c.tasks.insert(task_id(1), call);
    assert!(suggest(&c, member(1), 5, None).unwrap().items.is_empty());
    let out = suggest(&c, member(2), 5, None).unwrap();
    assert_eq!(out.items[0].neighbour.as_deref(), Some("Riverside"));
    assert!(out.items[0].reasons.iter().any(|r| r.term == Term::Travel && r.text.contains("Riverside")));
}

#[test]
fn a_gatherings_tasks_come_first_for_those_coming_to_it() {
    let mut c = community();
    let harvest = weft_core::id::GatheringId::random();
    let mut coming = person(4);
    coming.attending.insert(harvest);
    c.members.insert(member(1), coming);
    c.members.insert(member(2), person(4));
    let mut cook = task("arts", &[], 2, Urgency::Normal);
    cook.gathering = Some(weft_match::GatheringTag { id: harvest, title: "Harvest weekend".into() });
    c.tasks.insert(task_id(1), cook);
    c.tasks.insert(task_id(2), task("arts", &[], 2, Urgency::Normal));
    // Coming: the gathering's task first, and says why.
    let out = suggest(&c, member(1), 5, None).unwrap();
    assert_eq!(out.items[0].task, task_id(1));
    assert!(out.items[0].reasons.iter().any(|r| r.term == Term::Gathering && r.text.contains("Harvest weekend")));
    // Not coming: no such reason, and the two tasks weigh alike.
    let out = suggest(&c, member(2), 5, None).unwrap();
    assert!(out.items.iter().all(|i| i.reasons.iter().all(|r| r.term != Term::Gathering)));
    assert_eq!(out.items[0].score, out.items[1].score);
}

#[test]
fn the_plan_covers_urgent_places_first_spreads_work_and_respects_weeks() {
    let mut c = community();
    // Ana fits everything best; Bo and Cy fit less well but have time.
    let mut ana = person(6);
    ana.skills.insert(k("gardening"), 5);
    ana.interests.insert(s("food"), 5);
    c.members.insert(member(1), ana);
    for n in [2, 3] {
        let mut p = person(3);
        p.skills.insert(k("gardening"), 3);
        p.interests.insert(s("food"), 3);
        c.members.insert(member(n), p);
    }
    c.tasks.insert(task_id(1), task("food", &["gardening"], 2, Urgency::Urgent));
    c.tasks.insert(task_id(2), task("food", &["gardening"], 2, Urgency::Normal));
    c.tasks.insert(task_id(3), task("food", &["gardening"], 2, Urgency::Normal));
    let p = plan(&c);
    assert_eq!((p.urgent_open, p.urgent_covered), (1, 1));
    assert_eq!(p.places_covered, 3);
    // Spread: everyone gets one part rather than Ana taking all three.
    let mut per: BTreeMap<MemberId, u32> = BTreeMap::new();
    for part in &p.parts {
        *per.entry(part.member).or_default() += 1;
    }
    assert_eq!(per.values().copied().collect::<Vec<_>>(), vec![1, 1, 1]);
    // Weeks: nobody's parts exceed their remaining week.
    for part in &p.parts {
        assert!(part.minutes <= c.members[&part.member].week_minutes);
    }
    // The member's part of the plan is their top suggestion, marked as such.
    let first = &p.parts[0];
    let out = suggest(&c, first.member, 3, Some(&p)).unwrap();
    assert_eq!(out.items[0].task, first.task);
    assert!(out.items[0].planned && out.items[0].reasons[0].term == Term::Plan);
}

#[test]
fn the_plan_leaves_nobody_overloaded_even_when_urgent_work_piles_up() {
    let mut c = community();
    for n in 1..=4 {
        c.members.insert(member(n), person(2));
    }
    for n in 1..=10 {
        c.tasks.insert(task_id(n), task("healthcare", &[], 1, Urgency::Urgent));
    }
    let p = plan(&c);
    let mut load: BTreeMap<MemberId, u32> = BTreeMap::new();
    for part in &p.parts {
        *load.entry(part.member).or_default() += part.minutes;
    }
    assert!(load.values().all(|m| *m <= 120), "{load:?}");
    assert_eq!(p.urgent_covered, 8);
    assert_eq!(p.urgent_uncovered.len(), 2);
}

#[test]
fn an_urgent_place_the_plan_counts_on_someone_for_is_still_shown_to_others() {
    let mut c = community();
    // Ana suits the urgent task best and has room for just that; Bo has room for more.
    let mut ana = person(2);
    ana.skills.insert(k("gardening"), 5);
    ana.interests.insert(s("food"), 5);
    c.members.insert(member(1), ana);
    let mut bo = person(6);
    bo.interests.insert(s("food"), 3);
    c.members.insert(member(2), bo);
    c.tasks.insert(task_id(1), task("food", &["gardening"], 2, Urgency::Urgent));
    // Plenty of other work that suits Bo.
    for n in 2..=9 {
        c.tasks.insert(task_id(n), task("arts", &[], 1, Urgency::Normal));
    }
    let p = plan(&c);
    assert_eq!(p.parts_of(member(1)).map(|x| x.task).collect::<Vec<_>>(), vec![task_id(1)], "{p:?}");
    // Bo's parts first, then the best of the rest: the urgent place counted on Ana is among
    // them, above normal work nobody is counted on for.
    let bo = suggest(&c, member(2), 5, Some(&p)).unwrap();
    let planned = bo.items.iter().filter(|i| i.planned).count();
    assert!(planned < 5, "{bo:?}");
    assert_eq!(bo.items[planned].task, task_id(1), "{bo:?}");
}

#[test]
fn a_neighbours_call_weighs_the_skills_it_asks_for_as_our_own_tasks_do() {
    use weft_core::doc::commons::{Call, CommonsView};
    use weft_core::{Minutes, Timestamp};
    use weft_match::{CommonsCalls, Facts};

    let mut c = community();
    let mut ana = person(6);
    ana.travel = true;
    ana.skills.insert(k("net-mending"), 4);
    c.members.insert(member(1), ana);
    let call = |n: u8, skill: &str| Call {
        task: task_id(n),
        title: format!("Call {n}"),
        description: String::new(),
        sector: s("food"),
        skills: BTreeSet::from([k(skill)]),
        hours: Minutes::from_hours(2),
        slots: 2,
        urgency: Urgency::Normal,
        deadline: None,
        location: None,
        escalated: false,
        open: true,
        created_by: member(9),
        created_at: Timestamp(0),
    };
    let mut commons = CommonsView::default();
    commons.calls.insert(task_id(1), call(1, "plumbing"));
    commons.calls.insert(task_id(2), call(2, "net-mending"));
    c.add_commons(&[CommonsCalls { name: "Coast", commons: &commons }]);
    let out = suggest(&c, member(1), 5, None).unwrap();
    assert_eq!(out.items[0].task, task_id(2), "the call she has the skill for first: {out:?}");
    let skill = |i: usize| out.items[i].reasons.iter().find(|r| r.term == Term::Skill).unwrap().clone();
    assert_eq!(skill(0).facts, Facts::Skill { known: vec![(k("net-mending"), 4)], learning: vec![], missing: vec![] });
    assert_eq!(skill(0).text, "you know net-mending (4/5)");
    if let Some(i) = out.items.iter().position(|i| i.task == task_id(1)) {
        assert!(skill(i).points < 0 && skill(i).text.contains("asks for plumbing, not in your profile"));
    }
}
