//! Stand-ins and dated pledges between peers on the deterministic network: a member asks for
//! a stand-in, the place stays covered, the matcher offers it to others, one takes it over,
//! and every peer sees the pledge moved; a pledge dated next week is not this week's load.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use weft_core::DocName;
use weft_core::model::{NewTask, ProfileUpdate, Urgency};
use weft_harness::{Sim, SimConfig, workload};
use weft_node::api::{TaskDetail, TaskInput};
use weft_node::{Request, Response};

fn detail(sim: &mut Sim, peer: usize, task: &str) -> TaskDetail {
    match sim.peers[peer].core.execute(Request::TaskShow { task: task.to_owned() }).unwrap() {
        Response::Task(t) => *t,
        other => panic!("{other:?}"),
    }
}

fn suggested(sim: &mut Sim, peer: usize, task: &str) -> Option<weft_match::Suggestion> {
    let Response::Suggestions(s) =
        sim.peers[peer].core.execute(Request::Suggest { community: None, member: None, limit: 100 }).unwrap()
    else {
        panic!()
    };
    s.suggestions.items.into_iter().find(|i| i.task.to_string() == task)
}

#[test]
fn a_stand_in_is_asked_for_offered_to_others_and_taken_over() {
    let mut sim = Sim::new(SimConfig { seed: 81, loss: 50, ..SimConfig::default() });
    let community = workload::community(&mut sim, 3, 1, 81).unwrap();
    for peer in 0..3 {
        let update =
            ProfileUpdate { hours_per_week: Some(weft_core::Minutes::from_hours(6)), ..ProfileUpdate::default() };
        sim.write(peer, Request::ProfileSet { community: None, update }, Some(DocName::People)).unwrap();
    }
    let add = Request::TaskAdd {
        community: None,
        task: TaskInput {
            task: NewTask {
                title: "Drive Mrs Okafor to the clinic".into(),
                description: String::new(),
                sector: "healthcare".parse().unwrap(),
                guild: None,
                skills: Default::default(),
                hours: weft_core::Minutes::from_hours(2),
                slots: 1,
                urgency: Urgency::Soon,
                deadline: None,
                location: None,
                open_to_neighbours: false,
            },
            guild_ref: None,
        },
    };
    let Response::Task(t) = sim.write(0, add, Some(DocName::Board)).unwrap() else { panic!() };
    let id = t.summary.task.id.to_string();
    let pledge = Request::Pledge { task: id.clone(), action: weft_node::api::PledgeActionInput::Pledge };
    sim.write(0, pledge, Some(DocName::Board)).unwrap();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    assert!(suggested(&mut sim, 1, &id).is_none(), "full: not suggested");

    // Member 0 cannot go after all: the place stays covered, and is offered to others.
    sim.write(0, Request::StandIn { task: id.clone(), looking: true }, Some(DocName::Board)).unwrap();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    let seen = detail(&mut sim, 1, &id);
    assert_eq!((seen.summary.taken, seen.summary.free, seen.summary.stand_ins), (1, 0, 1));
    let offer = suggested(&mut sim, 1, &id).expect("the stand-in place is suggested to others");
    assert!(offer.reasons.iter().any(|r| r.text.contains("looking for someone to stand in")), "{offer:?}");
    assert!(suggested(&mut sim, 0, &id).is_none(), "not to the member who asked");

    // Member 1 takes it over: the pledge moves; the place is still one.
    let take = Request::TakeOver { task: id.clone(), from: "Member 0".into() };
    sim.write(1, take, Some(DocName::Board)).unwrap();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    for peer in 0..3 {
        let t = detail(&mut sim, peer, &id);
        assert_eq!((t.summary.taken, t.summary.free, t.summary.stand_ins), (1, 0, 0), "peer {peer}");
        let p0 = t.pledges.iter().find(|p| p.name == "Member 0").unwrap();
        assert_eq!(p0.handed_over_to.as_deref(), Some("Member 1"));
        let p1 = t.pledges.iter().find(|p| p.name == "Member 1").unwrap();
        assert_eq!(p1.stands_in_for.as_deref(), Some("Member 0"));
    }
    // Nobody else can take it over now.
    let again = sim.peers[2].core.execute(Request::TakeOver { task: id.clone(), from: "Member 0".into() });
    assert!(again.unwrap_err().message.contains("taken over already"));

    // Member 1 says they will do it in ten days: not this week's load any more.
    let before = week_load(&mut sim, 1);
    let on = sim.today().add_days(10).unwrap();
    sim.write(1, Request::PledgeDay { task: id.clone(), on: Some(on) }, Some(DocName::Board)).unwrap();
    assert_eq!(week_load(&mut sim, 1), before - 120, "a pledge dated next week is not this week's");
    assert_eq!(detail(&mut sim, 1, &id).pledges.iter().find(|p| p.name == "Member 1").unwrap().on, Some(on));
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    assert!(sim.missing_writes().is_empty());
    assert!(sim.incidents().is_empty(), "{:?}", sim.incidents());
}

fn week_load(sim: &mut Sim, peer: usize) -> u32 {
    let Response::Suggestions(s) =
        sim.peers[peer].core.execute(Request::Suggest { community: None, member: None, limit: 10 }).unwrap()
    else {
        panic!()
    };
    s.suggestions.week.load()
}
