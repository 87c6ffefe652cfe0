//! Neighbouring communities on the deterministic network: linked through the engine's
//! protocol (a neighbour invitation, `Link`, `Linked`), an urgent task escalating on the
//! simulated clock, the call reaching every peer of the linked communities and no other, and a
//! neighbour whose link ended refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Duration;

use weft_core::doc::{DocId, DocName};
use weft_harness::workload::{self, sees_call};
use weft_harness::{Sim, SimConfig};
use weft_node::api::NeighboursInfo;
use weft_node::{Request, Response};

fn init_logs() {
    // `WEFT_TEST_LOG=debug cargo test -p weft-harness …` shows what the peers do.
    if let Ok(filter) = std::env::var("WEFT_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
}

fn neighbours(sim: &mut Sim, peer: usize) -> NeighboursInfo {
    match sim.peers[peer].core.execute(Request::Neighbours { community: None }).unwrap() {
        Response::Neighbours(n) => n,
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_escalated_call_reaches_the_neighbours_only_and_an_ended_link_is_refused() {
    init_logs();
    let mut sim = Sim::new(SimConfig { seed: 81, ..SimConfig::default() });
    // Three communities of three peers in a chain: A–B and B–C linked, A and C not.
    let hood = workload::neighbourhood(&mut sim, 3, 3, &[(0, 1), (1, 2)], 1).unwrap();
    let (a, b, c) = (hood.communities[0], hood.communities[1], hood.communities[2]);

    // Every link stands on both sides, each neighbour's roster proven on every peer.
    for (i, peers) in hood.peers.iter().enumerate() {
        for &p in peers {
            let n = neighbours(&mut sim, p);
            let mut linked: Vec<_> = n.neighbours.iter().map(|n| n.community).collect();
            linked.sort();
            let mut expected: Vec<_> = hood.neighbours_of(i).into_iter().map(|j| hood.communities[j]).collect();
            expected.sort();
            assert_eq!(linked, expected, "{}", sim.peers[p].name);
            for x in &n.neighbours {
                assert!(x.live && x.theirs_live == Some(true) && x.members == 3, "{}: {x:?}", sim.peers[p].name);
            }
        }
    }

    // An urgent task due today at a member of A escalates on the clock; the call reaches every
    // peer of A and of B.
    let spread = workload::escalated_call(&mut sim, &hood, 0, 1, Duration::from_secs(60)).unwrap();
    assert_eq!(spread.arrivals.len(), 5, "{spread:?}");
    assert!(spread.arrivals.iter().all(Option::is_some), "the call did not reach every peer: {spread:?}");
    println!("escalated {:?} after the task; arrivals {:?}; {:?}", spread.escalated_after, spread.arrivals, sim.stats);

    // C is not A's neighbour: none of its peers holds A's commons, or sees the call.
    sim.run_for(Duration::from_secs(10));
    for &p in &hood.peers[2] {
        assert_eq!(sim.commons_heads(p, a), None, "{} holds A's commons", sim.peers[p].name);
        assert!(!sees_call(&mut sim.peers[p].core, spread.task), "{} sees A's call", sim.peers[p].name);
        assert!(sim.commons_heads(p, b).is_some(), "{} lacks B's commons", sim.peers[p].name);
    }
    let _ = c;

    // A ends its link with B. A member of B, whose side still stands, pledges to A's call as a
    // visitor: the change is written on B's side, offered to a member of A it is connected to
    // (by gossip, sealed with the commons key it still holds, and at the next resync), and
    // taken by no peer of A: the verifier reads A's live links only, and an ended neighbour's
    // device is nobody there.
    let ender = hood.peers[0][0];
    sim.write(ender, Request::NeighbourEnd { community: None, neighbour: b.to_string() }, None).unwrap();
    sim.run_for(Duration::from_secs(10));
    let visitor = hood.peers[1][2];
    sim.connect(visitor, hood.peers[0][2]);
    let short: String = spread.task.to_string().chars().take(8).collect();
    let before = sim.commons_heads(visitor, a).expect("B's member holds A's commons");
    let pledge = Request::CallPledge { community: None, call: short, withdraw: false };
    sim.write(visitor, pledge, None).unwrap();
    let after = sim.commons_heads(visitor, a).unwrap();
    let written: Vec<_> = after.difference(&before).copied().collect();
    assert_eq!(written.len(), 1, "the pledge is one change: {before:?} → {after:?}");
    // Past a resync (30 s): B's peers offer it to A's by sync as well as by gossip.
    sim.run_for(Duration::from_secs(40));
    let doc = DocId { community: a, name: DocName::Commons };
    for &p in &hood.peers[0] {
        assert!(!sim.peers[p].core.holds(doc, &written[0]), "{} took the ended neighbour's change", sim.peers[p].name);
    }
    assert!(sim.peers[visitor].core.holds(doc, &written[0]));
}
