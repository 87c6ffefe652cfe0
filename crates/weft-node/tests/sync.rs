//! Several real nodes, each with its own SQLite data directory and libp2p swarm, syncing over
//! TCP on loopback. Nothing sleeps to wait: every wait is for an event, with a timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use weft_node::api::SyncStatus;
use weft_node::net::NetOptions;
use weft_node::{Request, Response};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_peers_converge_after_concurrent_edits() {
    let peers = community(3).await;
    // Everyone knows everyone once the admissions have spread.
    for p in &peers {
        until_members(&p.node, 3).await;
    }
    // The two newcomers find each other too.
    peers[2].node.dial(peers[1].address.clone()).await.unwrap();

    let edits = peers.iter().enumerate().map(|(i, p)| async move {
        for k in 0..5 {
            p.node.execute(task(&format!("task {i}.{k}"))).await.unwrap();
        }
    });
    futures::future::join_all(edits).await;

    let mut expected: Vec<String> = (0..3).flat_map(|i| (0..5).map(move |k| format!("task {i}.{k}"))).collect();
    expected.sort();
    for p in &peers {
        let node = p.node.clone();
        let want = expected.clone();
        until(&p.node, "all fifteen tasks", move || {
            let node = node.clone();
            let want = want.clone();
            async move { titles(&node).await == want }
        })
        .await;
    }
    // Each sees the others, and says how it found them.
    let info = peers_of(&peers[0].node).await;
    assert!(info.online);
    assert!(info.peers.len() >= 2, "{info:?}");
    assert!(info.peers.iter().all(|p| p.member.is_some() && p.problem.is_none()), "{info:?}");
    assert!(info.peers.iter().any(|p| p.docs.iter().any(|d| d.state == SyncStatus::InSync)), "{info:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_partitioned_group_and_the_rest_edit_then_heal_and_converge() {
    let peers = community(4).await;
    for p in &peers {
        until_members(&p.node, 4).await;
    }
    let (a, b, c, d) = (&peers[0], &peers[1], &peers[2], &peers[3]);
    // C and D leave for a gathering with no internet: their own network, just the two of them.
    c.node.stop_network().await;
    d.node.stop_network().await;
    let _ = start(&c.node).await;
    let d_address = start(&d.node).await;
    c.node.dial(d_address).await.unwrap();

    let edit = |p: &Peer, who: &'static str| {
        let node = p.node.clone();
        async move {
            for k in 0..3 {
                node.execute(task(&format!("{who} {k}"))).await.unwrap();
            }
        }
    };
    futures::future::join4(edit(a, "a"), edit(b, "b"), edit(c, "c"), edit(d, "d")).await;
    let side = |x: &str, y: &str| -> Vec<String> {
        let mut v: Vec<String> = (0..3).flat_map(|k| [format!("{x} {k}"), format!("{y} {k}")]).collect();
        v.sort();
        v
    };
    until_titles(&a.node, &side("a", "b")).await;
    until_titles(&b.node, &side("a", "b")).await;
    until_titles(&c.node, &side("c", "d")).await;
    until_titles(&d.node, &side("c", "d")).await;

    // The partition heals: C reaches A again.
    c.node.dial(a.address.clone()).await.unwrap();
    let all: Vec<String> = ["a", "b", "c", "d"].iter().flat_map(|w| (0..3).map(move |k| format!("{w} {k}"))).collect();
    for p in &peers {
        until_titles(&p.node, &all).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_larger_than_the_gossip_limit_arrives_by_sync() {
    let peers = community(2).await;
    let (a, b) = (&peers[0], &peers[1]);
    until_members(&b.node, 2).await;
    // A's gossip takes nothing over 1 KiB; the task below is a 3 KiB change.
    a.node.stop_network().await;
    a.node.start_network(NetOptions { gossip_limit: 1024, ..options() }).await.unwrap();
    b.node.dial(a.node.listen_addresses().await.unwrap()[0].clone()).await.unwrap();
    let mut big = task("A long recipe");
    if let Request::TaskAdd { task, .. } = &mut big {
        task.task.description = "Soak the beans overnight, then simmer gently. ".repeat(60);
    }
    a.node.execute(big).await.unwrap();
    until_has(&b.node, "A long recipe").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_peer_that_was_away_for_ten_thousand_changes_catches_up() {
    let a = peer(Some("Ana")).await;
    // A year of a 60-member community: more than 10,000 signed changes.
    let demo = match a.node.execute(Request::Demo { members: 60, seed: 3, name: Some("Riverside".into()) }).await {
        Ok(Response::Demo(d)) => d,
        other => panic!("{other:?}"),
    };
    assert!(demo.changes > 10_000, "{} changes", demo.changes);
    let link = invite(&a.node).await;
    let b = peer(Some("Bea")).await;
    join(&b, &link, "Bea").await;
    // Everything arrived, verified: the same documents on both sides.
    let want = titles(&a.node).await;
    assert_eq!(titles(&b.node).await, want);
    let status = |r: Response| match r {
        Response::Status(s) => s.documents.into_iter().map(|d| (d.name, d.changes)).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let theirs = status(a.node.execute(Request::Status).await.unwrap());
    let ours = status(b.node.execute(Request::Status).await.unwrap());
    // B also holds its own admission; otherwise the same changes.
    assert_eq!(ours, theirs);
}
