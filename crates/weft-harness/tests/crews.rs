//! Crews and gatherings across peers, on the deterministic network: a crew's cap holds when
//! members on both sides of a partition take its last places; a calendar file kept on one
//! device follows what others change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use weft_core::DocName;
use weft_harness::{Sim, SimConfig, workload};
use weft_node::api::{CrewEditInput, CrewInfo, CrewInput, RepeatInput, RepeatKind, RhythmInput};
use weft_node::{Request, Response};

fn crew(sim: &mut Sim, peer: usize, name: &str) -> CrewInfo {
    match sim.peers[peer].core.execute(Request::CrewShow { crew: name.to_owned() }).unwrap() {
        Response::Crew(k) => *k,
        other => panic!("{other:?}"),
    }
}

fn start_crew(sim: &mut Sim, peer: usize, name: &str) {
    let rhythm = RhythmInput {
        repeat: RepeatInput { kind: RepeatKind::Weekly, every: Some(1), weekday: Some(1), nth: None },
        starts: None,
        time: 19 * 60,
        minutes: Some(90),
        place: Some("The library".into()),
    };
    let new = CrewInput {
        name: name.into(),
        purpose: "Peer coaching".into(),
        open: true,
        rhythm: Some(rhythm),
        review: None,
    };
    sim.write(peer, Request::CrewCreate { community: None, crew: new }, Some(DocName::People)).unwrap();
}

#[test]
fn a_crews_cap_holds_when_both_sides_of_a_partition_take_its_last_places() {
    let mut sim = Sim::new(SimConfig { seed: 71, loss: 50, ..SimConfig::default() });
    let community = workload::community(&mut sim, 10, 1, 71).unwrap();
    start_crew(&mut sim, 0, "Tuesday circle");
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    for p in 1..5 {
        sim.write(p, Request::CrewJoin { crew: "Tuesday circle".into() }, Some(DocName::People)).unwrap();
    }
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    assert_eq!(crew(&mut sim, 9, "Tuesday circle").members.len(), 5);

    // Two places left; apart, three members on one side and two on the other take them.
    sim.partition(&[vec![0, 1, 2, 5, 6, 7], vec![3, 4, 8, 9]], false);
    for p in [5, 6, 8, 9] {
        sim.write(p, Request::CrewJoin { crew: "Tuesday circle".into() }, Some(DocName::People)).unwrap();
        sim.run_for(Duration::from_secs(30));
    }
    // A third on the left is refused at once: the crew it sees is full.
    let e = sim.write(7, Request::CrewJoin { crew: "Tuesday circle".into() }, None).unwrap_err();
    assert!(e.message.contains("full"), "{e:?}");
    let left = crew(&mut sim, 0, "Tuesday circle");
    assert_eq!(left.members.len(), 7, "{left:?}");
    sim.heal();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    let seen: Vec<CrewInfo> = (0..10).map(|p| crew(&mut sim, p, "Tuesday circle")).collect();
    for k in &seen {
        assert_eq!(k.members, seen[0].members, "every peer sees the same crew");
        assert_eq!(k.waiting, seen[0].waiting);
    }
    assert_eq!(seen[0].members.len(), 7, "never more than seven");
    assert_eq!(seen[0].waiting.len(), 2, "those who came later wait for a place");
}

#[test]
fn a_kept_calendar_file_follows_what_other_members_change() {
    let mut sim = Sim::new(SimConfig { seed: 73, ..SimConfig::default() });
    let community = workload::community(&mut sim, 3, 1, 73).unwrap();
    start_crew(&mut sim, 0, "Tuesday circle");
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    sim.write(2, Request::CrewJoin { crew: "Tuesday circle".into() }, Some(DocName::People)).unwrap();
    let Response::CalendarFile(kept) = sim.peers[2].core.execute(Request::CalendarFile { keep: true }).unwrap() else {
        panic!()
    };
    let path = std::path::PathBuf::from(kept.path.unwrap());
    let ics = std::fs::read_to_string(&path).unwrap();
    assert!(ics.contains("SUMMARY:Tuesday circle") && ics.contains("STATUS:CONFIRMED"), "{ics}");
    assert!(!ics.contains("STATUS:CANCELLED"));

    // Another member ends the crew: once it reaches this device, its file says so.
    let end = CrewEditInput { ended: Some(true), ..CrewEditInput::default() };
    sim.write(0, Request::CrewEdit { crew: "Tuesday circle".into(), edit: end }, Some(DocName::People)).unwrap();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    sim.run_for(Duration::from_secs(120));
    let ics = std::fs::read_to_string(&path).unwrap();
    assert!(ics.contains("STATUS:CANCELLED") && !ics.contains("STATUS:CONFIRMED"), "{ics}");

    // Stopped: the file is gone, and nothing writes it again.
    sim.peers[2].core.execute(Request::CalendarFile { keep: false }).unwrap();
    assert!(!path.exists());
    sim.write(2, Request::CrewLeave { crew: "Tuesday circle".into() }, Some(DocName::People)).unwrap();
    sim.run_for(Duration::from_secs(120));
    assert!(!path.exists());
}

#[test]
fn a_gathering_reaches_members_who_never_wrote_to_the_board_since_its_upgrade() {
    // The board's `gatherings` and `series` roots come in a deterministic upgrade no member
    // signs: it must travel by sync like a signed change, vouched for by its hash.
    let mut sim = Sim::new(SimConfig { seed: 79, loss: 50, ..SimConfig::default() });
    let community = workload::community(&mut sim, 4, 1, 79).unwrap();
    let starts = sim.today().add_days(10).unwrap();
    let new = weft_core::doc::gatherings::NewGathering {
        title: "Harvest weekend".into(),
        description: String::new(),
        starts,
        ends: None,
        place: None,
    };
    sim.write(0, Request::GatheringAdd { community: None, gathering: new }, Some(DocName::Board)).unwrap();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    // A member who joins afterwards gets the board by sync alone (no gossip to catch).
    let late = sim.add_peer("Member 4").unwrap();
    sim.join(late, 1, community).unwrap();
    sim.connect(late, 2);
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    for p in 1..5 {
        let Response::Gatherings(list) =
            sim.peers[p].core.execute(Request::Gatherings { community: None, past: false }).unwrap()
        else {
            panic!()
        };
        assert_eq!(list.len(), 1, "peer {p}");
        assert_eq!(list[0].attending.len(), 1);
    }
    // And a member there says they will come: back on the first peer.
    sim.write(late, Request::Attend { gathering: "Harvest weekend".into(), coming: true }, Some(DocName::Board))
        .unwrap();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    let Response::Gathering(g) =
        sim.peers[0].core.execute(Request::GatheringShow { gathering: "Harvest weekend".into() }).unwrap()
    else {
        panic!()
    };
    assert_eq!(g.attending.len(), 2);
}
