//! Several real nodes, each with its own SQLite data directory and libp2p swarm, syncing over
//! TCP on loopback: the wiring between the sync engine and libp2p (gossip, sync sessions, big
//! frames, relays, joining). How sync behaves under loss, partitions and delay is tested on the
//! deterministic network (the `weft-harness` crate). Nothing sleeps to wait: every wait is for
//! an event, with a timeout.
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
    // Everything arrives, verified: the same documents on both sides. (Joining answers once
    // our own first sync with the admitter is done; under load another session may still be
    // delivering the last frames, so wait for them rather than look once.)
    let want = titles(&a.node).await;
    until_titles(&b.node, &want).await;
    let status = |r: Response| match r {
        Response::Status(s) => s.documents.into_iter().map(|d| (d.name, d.changes)).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    // Both sides end with the same changes in every document, B's own admission among them.
    // Compared live on both sides: A may still be taking in what B sent it (its admission,
    // its device) after a snapshot of A's would have been taken.
    let (probe_a, probe_b) = (a.node.clone(), b.node.clone());
    until_on(&[&a.node, &b.node], "the same changes in every document", move || {
        let (probe_a, probe_b) = (probe_a.clone(), probe_b.clone());
        async move {
            let ours = status(probe_b.execute(Request::Status).await.unwrap());
            ours == status(probe_a.execute(Request::Status).await.unwrap())
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_peers_reach_each_other_through_a_relay() {
    // R is an always-on member with a public address (as `weft serve --external` says), so it
    // relays; A and B know only R's address.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let public: weft_net::Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = weft_node::Node::open(weft_node::NodeConfig {
        data_dir: dir.path().to_path_buf(),
        clock: weft_node::Clock::system(0),
    })
    .await
    .unwrap();
    node.execute(Request::Init { name: "Ana".into() }).await.unwrap();
    let address =
        start_with(&node, NetOptions { listen: vec![public.clone()], external: vec![public], ..options() }).await;
    let r = Peer { node, dir, address };
    r.node.execute(Request::CommunityCreate { name: "Riverside".into() }).await.unwrap();
    let link = invite(&r.node).await;
    let (a, b) = (peer(Some("Abe")).await, peer(Some("Bo")).await);
    join(&a, &link, "Abe").await;
    join(&b, &link, "Bo").await;
    let r_id = r.node.peer_id().unwrap();
    // A takes a slot on R and is reachable at R's circuit address.
    let circuit: weft_net::Multiaddr = format!("{}/p2p-circuit", r.address).parse().unwrap();
    let mut events = a.node.subscribe();
    a.node.listen(circuit.clone()).await.unwrap();
    let a_id = a.node.peer_id().unwrap();
    // A's reservation is in place once it listens on the circuit.
    let via_relay = loop {
        let addresses = a.node.listen_addresses().await.unwrap();
        if let Some(c) = addresses.into_iter().find(|x| x.to_string().contains("p2p-circuit")) {
            break c;
        }
        tokio::time::timeout(WAIT, events.recv()).await.ok();
    };
    assert!(via_relay.to_string().contains(&r_id.to_string()));
    let mut b_events = b.node.subscribe();
    b.node.dial(format!("{circuit}/p2p/{a_id}").parse().unwrap()).await.unwrap();
    // B and A now talk through R, and run their own sync sessions over that circuit.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let seen = peers_of(&b.node).await;
        if let Some(p) = seen.peers.iter().find(|p| p.peer_id == a_id.to_string())
            && !p.docs.is_empty()
            && p.docs.iter().all(|d| d.state == SyncStatus::InSync)
        {
            assert_eq!(p.found_by, "relay", "{p:?}");
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("B did not reach A through the relay: {seen:?}");
        }
        let _ = tokio::time::timeout_at(deadline, b_events.recv()).await;
    }
    a.node.execute(task("relayed")).await.unwrap();
    until_has(&b.node, "relayed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn used_up_and_expired_invitations_are_refused_with_a_clear_error() {
    let a = peer(Some("Ana")).await;
    a.node.execute(Request::CommunityCreate { name: "Riverside".into() }).await.unwrap();
    let once = match a.node.execute(Request::Invite { community: None, uses: 1, hours: 1 }).await.unwrap() {
        Response::Invite(i) => i.link,
        other => panic!("{other:?}"),
    };
    let b = peer(Some("Bea")).await;
    join(&b, &once, "Bea").await;
    let c = peer(Some("Cai")).await;
    let err = c.node.execute(Request::Join { code: once.clone(), name: None }).await.unwrap_err();
    assert!(err.message.contains("used as many times"), "{err:?}");
    // A bad code is refused before anything is sent.
    let err = c.node.execute(Request::Join { code: "abc-def".into(), name: None }).await.unwrap_err();
    assert!(err.message.contains("48 letters"), "{err:?}");

    // An invitation made an hour before a clock that has moved on two hours.
    let dir = tempfile::tempdir().unwrap();
    let t0 = weft_core::Timestamp(1_790_000_000_000);
    let open = |at: weft_core::Timestamp| {
        weft_node::Node::open(weft_node::NodeConfig {
            data_dir: dir.path().to_path_buf(),
            clock: weft_node::Clock::fixed(at),
        })
    };
    let old = open(t0).await.unwrap();
    old.execute(Request::Init { name: "Dee".into() }).await.unwrap();
    old.execute(Request::CommunityCreate { name: "Riverside".into() }).await.unwrap();
    old.start_network(options()).await.unwrap();
    let stale = match old.execute(Request::Invite { community: None, uses: 5, hours: 1 }).await.unwrap() {
        Response::Invite(i) => i.code,
        other => panic!("{other:?}"),
    };
    old.stop_network().await;
    old.close().await;
    let later = open(weft_core::Timestamp(t0.millis() + 2 * 3_600_000)).await.unwrap();
    let address = start(&later).await;
    let e = peer(Some("Eve")).await;
    e.node.dial(address).await.unwrap();
    let err = e.node.execute(Request::Join { code: stale, name: None }).await.unwrap_err();
    assert!(err.message.contains("expired"), "{err:?}");
}
