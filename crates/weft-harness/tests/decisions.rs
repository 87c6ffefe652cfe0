//! Deciding by consent across a partition, on the deterministic network: stances taken on
//! both sides while they cannot reach each other give, once healed, one result on every peer;
//! after the decision, a stance is refused on every peer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use weft_core::DocName;
use weft_core::doc::proposals::{ProposalKind, ProposalStatus, RoundResult, Stance};
use weft_harness::{Sim, SimConfig, workload};
use weft_node::api::{ProposalInfo, ProposalInput};
use weft_node::{Request, Response};

fn show(sim: &mut Sim, peer: usize, id: &str) -> ProposalInfo {
    match sim.peers[peer].core.execute(Request::ProposalShow { proposal: id.to_owned() }).unwrap() {
        Response::Proposal(p) => *p,
        other => panic!("{other:?}"),
    }
}

fn stance(sim: &mut Sim, peer: usize, id: &str, stance: Stance, reason: Option<&str>) {
    let request = Request::Stance { proposal: id.to_owned(), stance, reason: reason.map(str::to_owned) };
    sim.write(peer, request, Some(DocName::Board)).unwrap();
}

#[test]
fn stances_taken_on_both_sides_of_a_partition_give_one_result_once_healed() {
    let mut sim = Sim::new(SimConfig { seed: 61, loss: 50, ..SimConfig::default() });
    let community = workload::community(&mut sim, 6, 1, 61).unwrap();
    let open = Request::ProposalOpen {
        community: None,
        proposal: ProposalInput {
            title: "Share the van with the Hills".into(),
            details: "Saturdays only, they pay the fuel.".into(),
            kind: ProposalKind::Consent,
            round_hours: Some(2),
            guild: None,
            concern: None,
            task: None,
            sector: None,
        },
    };
    let Response::Proposal(p) = sim.write(0, open, Some(DocName::Board)).unwrap() else { panic!() };
    let id = p.id.to_string();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();

    // Cut in two: the left side consents, the right side objects (and one there consents).
    let (left, right) = (vec![0, 1, 2], vec![3, 4, 5]);
    sim.partition(&[left.clone(), right.clone()], false);
    stance(&mut sim, 0, &id, Stance::Consent, None);
    stance(&mut sim, 1, &id, Stance::Consent, None);
    stance(&mut sim, 4, &id, Stance::Objection, Some("The van is booked for the food share"));
    stance(&mut sim, 5, &id, Stance::Consent, None);
    sim.run_for(Duration::from_secs(60));
    // Each side counts what it has seen.
    assert_eq!(show(&mut sim, 2, &id).rounds[0].stances.len(), 2);
    assert_eq!(show(&mut sim, 3, &id).rounds[0].stances.len(), 2);

    sim.heal();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    // Past the round's end: the objection opened round 2, on every peer alike.
    sim.run_for(Duration::from_secs(2 * 3600 + 60));
    let seen: Vec<ProposalInfo> = (0..6).map(|i| show(&mut sim, i, &id)).collect();
    for p in &seen {
        assert_eq!(p.rounds.len(), 2, "{p:?}");
        assert_eq!(p.rounds[0].result, Some(RoundResult::Objected));
        assert_eq!(p.rounds[0].stances.len(), 4);
        assert_eq!(p.status, ProposalStatus::Open { round: 2 });
        assert_eq!((&p.rounds, &p.history), (&seen[0].rounds, &seen[0].history));
    }

    // Round 2: the proposal reworded, the objector consents; decided once the round ends.
    let edit =
        Request::ProposalEdit { proposal: id.clone(), title: None, details: Some("Saturday afternoons only.".into()) };
    sim.write(0, edit, Some(DocName::Board)).unwrap();
    stance(&mut sim, 4, &id, Stance::Consent, None);
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    sim.run_for(Duration::from_secs(2 * 3600));
    for i in 0..6 {
        let p = show(&mut sim, i, &id);
        assert_eq!(p.status, ProposalStatus::Decided { result: RoundResult::Consented }, "peer {i}");
        assert_eq!(p.history.len(), 5, "the objection stays in the history");
        // Too late: every peer refuses a stance now.
        let late = Request::Stance { proposal: id.clone(), stance: Stance::Objection, reason: Some("late".into()) };
        let refused = sim.peers[i].core.execute(late).unwrap_err();
        assert!(refused.message.contains("not open for stances"), "{}", refused.message);
    }
    let outcome = Request::Outcome {
        proposal: id.clone(),
        text: "The Hills use the van on Saturday afternoons.".into(),
        review: None,
    };
    sim.write(2, outcome, Some(DocName::Board)).unwrap();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    for i in 0..6 {
        assert!(show(&mut sim, i, &id).outcome.is_some(), "peer {i}");
    }
    let missing = sim.missing_writes();
    assert!(missing.is_empty(), "{missing:?}");
    assert!(sim.incidents().is_empty(), "{:?}", sim.incidents());
}

#[test]
fn a_series_tended_on_both_sides_of_a_partition_makes_each_occurrence_once() {
    use std::collections::BTreeMap;

    use weft_core::model::{NewTask, Urgency};
    use weft_node::api::{RepeatInput, RepeatKind, SeriesInput, TaskInput};

    let mut sim = Sim::new(SimConfig { seed: 71, loss: 50, ..SimConfig::default() });
    let community = workload::community(&mut sim, 4, 1, 71).unwrap();
    let add = Request::SeriesAdd {
        community: None,
        series: SeriesInput {
            task: TaskInput {
                task: NewTask {
                    title: "Sort the food share".into(),
                    description: String::new(),
                    sector: "food".parse().unwrap(),
                    guild: None,
                    skills: Default::default(),
                    hours: weft_core::Minutes::from_hours(2),
                    slots: 3,
                    urgency: Urgency::Normal,
                    deadline: None,
                    location: None,
                    open_to_neighbours: false,
                },
                guild_ref: None,
            },
            repeat: RepeatInput { kind: RepeatKind::Weekly, every: None, weekday: None, nth: None },
            starts: None,
            until: None,
            ahead_days: Some(14),
        },
    };
    let Response::Series(s) = sim.write(0, add, Some(DocName::Board)).unwrap() else { panic!() };
    // Today and two weeks ahead, both days included.
    assert_eq!(s.coming.len(), 3, "{:?}", s.coming);
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();

    // Apart for nine days: each side makes the week that comes due, on its own.
    sim.partition(&[vec![0, 1], vec![2, 3]], false);
    sim.run_for(Duration::from_secs(9 * 24 * 3600));
    sim.heal();
    sim.run_until_converged(community, Duration::from_secs(3600)).unwrap();
    let mut seen = Vec::new();
    for i in 0..4 {
        let Response::SeriesList(mut list) =
            sim.peers[i].core.execute(Request::SeriesList { community: None }).unwrap()
        else {
            panic!()
        };
        seen.push(list.remove(0));
    }
    // Every peer made them alike: each day once, the same task on each.
    let Response::Tasks(tasks) =
        sim.peers[3].core.execute(Request::TaskList { community: None, sector: None, open_only: false }).unwrap()
    else {
        panic!()
    };
    let mut by_day: BTreeMap<String, usize> = BTreeMap::new();
    for t in tasks.iter().filter(|t| t.task.title == "Sort the food share") {
        *by_day.entry(t.task.deadline.unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(by_day.len(), 4, "nine days on, one more week: {by_day:?}");
    assert!(by_day.values().all(|n| *n == 1), "each occurrence once: {by_day:?}");
    for p in &seen {
        assert_eq!(p.coming, seen[0].coming);
    }
    assert!(sim.incidents().is_empty(), "{:?}", sim.incidents());
}
