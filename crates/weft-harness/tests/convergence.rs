//! Many peers on the deterministic network: convergence through loss, reordering, delay,
//! duplicates and partitions, in simulated time. Nothing here opens a socket or waits: a test
//! of minutes of a community's sync takes seconds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use automerge::sync::Message;
use weft_core::doc::DocName;
use weft_harness::{Rng, Sim, SimConfig, workload};
use weft_net::wire::{self, Manifest};
use weft_node::api::TaskInput;
use weft_node::sync::{GossipId, Input, Output, SyncConfig};
use weft_node::{Request, Response};

fn init_logs() {
    // `WEFT_TEST_LOG=debug cargo test -p weft-harness …` shows what the peers do.
    if let Ok(filter) = std::env::var("WEFT_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
}

fn lossy(seed: u64, loss: u32) -> SimConfig {
    SimConfig { seed, loss, ..SimConfig::default() }
}

/// Every peer in `peers` acts `rounds` times, a few simulated seconds apart, while the network
/// runs.
fn busy(sim: &mut Sim, rng: &mut Rng, peers: &[usize], rounds: usize) {
    for _ in 0..rounds {
        for &p in peers {
            workload::act(sim, p, rng).unwrap();
        }
        sim.run_for(Duration::from_millis(1_000 + rng.below(4_000)));
    }
}

/// Every write reported done is on every peer, and nobody was penalised for honest bytes.
fn assert_all_there(sim: &mut Sim) {
    assert!(sim.writes() > 0, "the workload wrote nothing");
    let missing = sim.missing_writes();
    assert!(missing.is_empty(), "writes reported done but missing: {missing:?}");
    let incidents = sim.incidents();
    assert!(incidents.is_empty(), "honest peers were penalised: {incidents:?}");
}

#[test]
fn peers_converge_on_every_document_through_loss_reordering_and_delay() {
    init_logs();
    let mut sim = Sim::new(lossy(11, 100));
    let community = workload::community(&mut sim, 8, 2, 11).unwrap();
    let all: Vec<usize> = (0..8).collect();
    let mut rng = Rng::new(11);
    busy(&mut sim, &mut rng, &all, 6);
    let took = sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    assert_all_there(&mut sim);
    assert!(sim.stats.lost > 0, "{:?}", sim.stats);
    println!("8 peers, 10% loss: converged {took:?} after the last write; {:?}", sim.stats);
}

#[test]
fn both_sides_of_a_partition_write_and_converge_once_it_heals() {
    init_logs();
    let mut sim = Sim::new(lossy(21, 50));
    let community = workload::community(&mut sim, 6, 1, 21).unwrap();
    let (left, right) = (vec![0, 1, 2], vec![3, 4, 5]);
    sim.partition(&[left.clone(), right.clone()], false);
    let mut rng = Rng::new(21);
    busy(&mut sim, &mut rng, &[0, 1, 2, 3, 4, 5], 4);
    sim.run_for(Duration::from_secs(120));
    // Each side agrees with itself, not with the other.
    let manifests = sim.manifests(community);
    let heads = |i: usize| manifests[i].as_ref().unwrap().docs.iter().map(|d| d.heads.clone()).collect::<Vec<_>>();
    assert!(left.windows(2).all(|w| heads(w[0]) == heads(w[1])), "{}", sim.divergence(community));
    assert!(right.windows(2).all(|w| heads(w[0]) == heads(w[1])), "{}", sim.divergence(community));
    assert_ne!(heads(0), heads(3), "the sides wrote different things");
    sim.heal();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    assert_all_there(&mut sim);
}

#[test]
fn a_silent_partition_fails_sessions_in_words_and_the_resync_after_healing_converges() {
    init_logs();
    let mut sim = Sim::new(lossy(31, 0));
    let community = workload::community(&mut sim, 4, 1, 31).unwrap();
    // The link between the two pairs carries nothing, but nobody is told: requests go
    // unanswered, are sent again, and the sessions fail.
    sim.partition(&[vec![0, 1], vec![2, 3]], true);
    let mut rng = Rng::new(31);
    busy(&mut sim, &mut rng, &[0, 1, 2, 3], 4);
    sim.run_for(Duration::from_secs(120));
    // `weft peers` says so, in words: a document's sync failed, or the manifests' did.
    let words: Vec<String> = sim
        .peers
        .iter()
        .flat_map(|p| p.core.peers().peers)
        .flat_map(|p| {
            let failed = p.docs.into_iter().filter_map(|(_, state)| match state {
                weft_node::api::SyncStatus::Failed { reason } => Some(reason),
                _ => None,
            });
            failed.chain(p.problem).collect::<Vec<_>>()
        })
        .collect();
    assert!(words.iter().any(|w| w.contains("no answer after 3 tries")), "{words:?}");
    sim.heal();
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    assert_all_there(&mut sim);
}

#[test]
fn a_frame_sent_twice_is_answered_alike_and_taken_in_once() {
    init_logs();
    // Every request arrives twice (as when a resend races the original), some are lost.
    let mut sim = Sim::new(SimConfig { duplicate: 1000, ..lossy(41, 50) });
    let community = workload::community(&mut sim, 4, 1, 41).unwrap();
    let mut rng = Rng::new(41);
    busy(&mut sim, &mut rng, &[0, 1, 2, 3], 8);
    sim.run_until_converged(community, Duration::from_secs(600)).unwrap();
    assert_all_there(&mut sim);
    let s = &sim.stats;
    assert!(s.duplicated > 10 && s.repeats_answered_alike > 5, "{s:?}");
    assert_eq!(s.repeats_answered_differently, 0, "{s:?}");
}

#[test]
fn a_peer_ten_thousand_changes_behind_catches_up() {
    init_logs();
    let mut sim = Sim::new(lossy(51, 50));
    let a = sim.add_peer("Ana").unwrap();
    // A year of a 60-member community: more than 10,000 signed changes.
    let demo = match sim.write(a, Request::Demo { members: 60, seed: 3, name: Some("Riverside".into()) }, None) {
        Ok(Response::Demo(d)) => d,
        other => panic!("{other:?}"),
    };
    assert!(demo.changes > 10_000, "{} changes", demo.changes);
    let b = sim.add_peer("Bea").unwrap();
    let (started, simulated) = (Instant::now(), sim.elapsed());
    // Joining answers once the first sync with the member who admitted us is over.
    sim.join(b, a, demo.community.id).unwrap();
    sim.run_until_converged(demo.community.id, Duration::from_secs(600)).unwrap();
    let took = sim.elapsed() - simulated;
    let manifests = sim.manifests(demo.community.id);
    let changes: u64 = manifests[b].as_ref().unwrap().docs.iter().map(|d| d.changes).sum();
    assert!(changes > 10_000, "{changes}");
    println!("caught up on {changes} changes in {took:?} simulated, {:?} real", started.elapsed());
}

#[test]
fn a_change_too_large_for_gossip_goes_by_sync() {
    init_logs();
    // Gossip takes nothing over 1 KiB here; the task below is a 3 KiB change.
    let sync = SyncConfig { gossip_limit: 1024, ..SimConfig::default().sync };
    let mut sim = Sim::new(SimConfig { sync, ..lossy(61, 0) });
    let community = workload::community(&mut sim, 3, 0, 61).unwrap();
    // The commons is tended a moment after the joins (up to two seconds, jittered per device),
    // and that gossips too: let it be done first.
    sim.run_for(Duration::from_secs(10));
    sim.run_until_converged(community, Duration::from_secs(60)).unwrap();
    let gossip_before = sim.stats.gossip;
    let mut task = match workload::task("A long recipe".into()).unwrap() {
        Request::TaskAdd { task, .. } => task,
        _ => unreachable!(),
    };
    task.task.description = "Soak the beans overnight, then simmer gently. ".repeat(60);
    sim.write(0, Request::TaskAdd { community: None, task: TaskInput { ..task } }, Some(DocName::Board)).unwrap();
    sim.run_until_converged(community, Duration::from_secs(60)).unwrap();
    assert_eq!(sim.stats.gossip, gossip_before, "nothing was gossiped");
    assert_all_there(&mut sim);
}

/// Writes a task on a peer by hand and takes the sealed gossip frame it leaves with (the
/// network never sees it).
fn task_gossip(sim: &mut Sim, peer: usize, title: &str) -> Vec<u8> {
    sim.peers[peer].core.execute(workload::task(title.into()).unwrap()).unwrap();
    let outputs = sim.peers[peer].core.take_outputs();
    outputs
        .into_iter()
        .find_map(|o| match o {
            Output::Publish { doc: DocName::Board, data, .. } => Some(data),
            _ => None,
        })
        .expect("the task was gossiped")
}

/// A change that arrives without its parent waits, and the sync it starts asks for the
/// parent by hash. Automerge alone would not: it never sees the waiting change, and the
/// sender's reading of our Bloom filter may take the parent for one we hold (a false
/// positive, about one change in a hundred), so without asking the parent never comes.
#[test]
fn a_change_whose_parent_was_lost_asks_for_the_parent_by_hash() {
    init_logs();
    let mut sim = Sim::new(lossy(71, 0));
    let community = workload::community(&mut sim, 2, 0, 71).unwrap();
    sim.run_until_converged(community, Duration::from_secs(60)).unwrap();
    let (ana, bea) = (0, 1);
    task_gossip(&mut sim, ana, "Dig the beds");
    let board = |m: Manifest| m.docs.into_iter().find(|d| d.name == DocName::Board).unwrap();
    let parent = board(sim.peers[ana].core.manifest(community).unwrap()).heads;
    assert_eq!(parent.len(), 1);
    let child = task_gossip(&mut sim, ana, "Sow the beans");
    let source = sim.peers[ana].device;
    let outputs = sim.peers[bea].core.input(Input::Gossip { source, id: GossipId(u64::MAX), data: child });
    let frame = outputs
        .iter()
        .find_map(|o| match o {
            Output::Request { request: wire::Request::Sync(f), .. } if f.doc == DocName::Board => Some(f),
            _ => None,
        })
        .expect("the waiting change starts a sync with its sender");
    let message = Message::decode(frame.message.as_ref().unwrap()).unwrap();
    assert!(message.need.contains(&parent[0]), "the parent is asked for: {:?}", message.need);
}

#[test]
fn fifty_peers_three_documents_converge_through_loss_and_partitions() {
    init_logs();
    let started = Instant::now();
    let r = workload::fifty_peers(1).unwrap();
    println!(
        "50 peers × 3 documents, 10% loss, two partitions healed: {} writes; converged {:?} after the last heal, \
         {:?} simulated in all, {:?} real; {:?}",
        r.writes,
        r.after_heal,
        r.simulated,
        started.elapsed(),
        r.stats
    );
}
