//! A member's calendar holds what they pledged to as a visitor: a linked neighbour's call,
//! under the neighbour's community (so the event is the call's wherever it is seen from).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use weft_harness::workload;
use weft_harness::{Sim, SimConfig};
use weft_node::api::CalendarInfo;
use weft_node::{Request, Response};

fn calendar(sim: &mut Sim, peer: usize) -> CalendarInfo {
    match sim.peers[peer].core.execute(Request::Calendar { community: None }).unwrap() {
        Response::Calendar(c) => c,
        other => panic!("{other:?}"),
    }
}

/// The calendar's content lines, unfolded.
fn lines(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "").split("\r\n").map(str::to_owned).collect()
}

#[test]
fn a_visitors_pledge_to_a_neighbours_call_is_in_their_calendar() {
    let mut sim = Sim::new(SimConfig { seed: 17, ..SimConfig::default() });
    let hood = workload::neighbourhood(&mut sim, 2, 2, &[(0, 1)], 1).unwrap();
    let (a, b) = (hood.communities[0], hood.communities[1]);
    // An urgent task of A, due today, escalates into a call B's members see.
    let spread = workload::escalated_call(&mut sim, &hood, 0, 0, Duration::from_secs(60)).unwrap();
    let visitor = hood.peers[1][1];
    assert_eq!(calendar(&mut sim, visitor).events, 0);

    let call: String = spread.task.to_string().chars().take(8).collect();
    sim.write(visitor, Request::CallPledge { community: None, call: call.clone(), withdraw: false }, None).unwrap();
    let mine = calendar(&mut sim, visitor);
    assert_eq!((mine.events, mine.cancelled), (1, 0), "{}", mine.ics);
    let lines = lines(&mine.ics);
    let has = |l: &str| assert!(lines.iter().any(|x| x == l), "{l} is missing from {lines:#?}");
    has(&format!("UID:task-{}.{a}@weft", spread.task));
    has(&format!("DTSTART;VALUE=DATE:{}", sim.today().to_string().replace('-', "")));
    has("STATUS:CONFIRMED");
    let description = lines.iter().find(|l| l.starts_with("DESCRIPTION:")).unwrap();
    assert!(description.contains("Community 0") && description.contains("as a visitor"), "{description}");
    assert!(mine.name.contains("Community 1"), "{}", mine.name);
    assert!(!mine.ics.contains(&b.to_string()), "the event is the call's, under A");

    // Withdrawn, it stays as cancelled; the other member of B, who did not pledge, has none.
    sim.write(visitor, Request::CallPledge { community: None, call, withdraw: true }, None).unwrap();
    let after = calendar(&mut sim, visitor);
    assert_eq!((after.events, after.cancelled), (1, 1), "{}", after.ics);
    assert_eq!(calendar(&mut sim, hood.peers[1][0]).events, 0);
}
