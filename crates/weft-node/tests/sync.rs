//! Several real nodes, each with its own SQLite data directory and libp2p swarm, syncing over
//! TCP on loopback. Nothing sleeps to wait: every wait is for an event, with a timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use weft_core::Minutes;
use weft_core::model::{NewTask, Urgency};
use weft_net::Multiaddr;
use weft_node::api::{PeersInfo, SyncStatus, TaskInput};
use weft_node::net::NetOptions;
use weft_node::{Clock, Node, NodeConfig, Request, Response};

const WAIT: Duration = Duration::from_secs(60);

struct Peer {
    node: Node,
    _dir: tempfile::TempDir,
    address: Multiaddr,
}

fn options() -> NetOptions {
    NetOptions {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        connect: Vec::new(),
        mdns: false,
        ..NetOptions::default()
    }
}

/// A node with a fresh data directory, its network listening on loopback.
async fn peer(name: Option<&str>) -> Peer {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(NodeConfig { data_dir: dir.path().to_path_buf(), clock: Clock::system(0) }).await.unwrap();
    if let Some(name) = name {
        node.execute(Request::Init { name: name.into() }).await.unwrap();
    }
    let address = start(&node).await;
    Peer { node, _dir: dir, address }
}

async fn start(node: &Node) -> Multiaddr {
    node.start_network(options()).await.unwrap();
    node.listen_addresses().await.unwrap().into_iter().next().expect("listening")
}

fn task(title: &str) -> Request {
    Request::TaskAdd {
        community: None,
        task: TaskInput {
            task: NewTask {
                title: title.into(),
                description: String::new(),
                sector: "food".parse().unwrap(),
                guild: None,
                skills: Default::default(),
                hours: Minutes::from_hours(2),
                slots: 2,
                urgency: Urgency::Normal,
                deadline: None,
                location: None,
                open_to_neighbours: false,
            },
            guild_ref: None,
        },
    }
}

async fn titles(node: &Node) -> Vec<String> {
    match node.execute(Request::TaskList { community: None, sector: None, open_only: false }).await {
        Ok(Response::Tasks(t)) => {
            let mut v: Vec<String> = t.into_iter().map(|t| t.task.title).collect();
            v.sort();
            v
        }
        _ => Vec::new(),
    }
}

async fn member_count(node: &Node) -> usize {
    match node.execute(Request::Members { community: None }).await {
        Ok(Response::Members(m)) => m.len(),
        _ => 0,
    }
}

/// Waits until `check` holds, re-checking after every document change on `node`.
async fn until<F, Fut>(node: &Node, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let mut events = node.subscribe();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if check().await {
            return;
        }
        tokio::select! {
            e = events.recv() => match e {
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => panic!("node stopped while waiting for {what}"),
            },
            _ = tokio::time::sleep_until(deadline) => panic!("timed out waiting for {what}"),
        }
    }
}

async fn until_members(node: &Node, n: usize) {
    let probe = node.clone();
    until(node, &format!("{n} members"), move || {
        let probe = probe.clone();
        async move { member_count(&probe).await == n }
    })
    .await;
}

async fn invite(founder: &Node) -> String {
    match founder.execute(Request::Invite { community: None, uses: 20, hours: 24 }).await.unwrap() {
        Response::Invite(i) => {
            assert!(!i.addresses.is_empty(), "the link carries where to reach the inviter");
            i.link
        }
        other => panic!("{other:?}"),
    }
}

async fn join(p: &Peer, link: &str, name: &str) {
    match p.node.execute(Request::Join { code: link.into(), name: Some(name.into()) }).await {
        Ok(Response::Community(c)) => assert_eq!(c.name, "Riverside"),
        other => panic!("{name} could not join: {other:?}"),
    }
}

/// A founder and `n - 1` members who joined with an invitation link.
async fn community(n: usize) -> Vec<Peer> {
    let a = peer(Some("Ana")).await;
    a.node.execute(Request::CommunityCreate { name: "Riverside".into() }).await.unwrap();
    let link = invite(&a.node).await;
    let mut peers = vec![a];
    for i in 1..n {
        let p = peer(Some(&format!("Member {i}"))).await;
        join(&p, &link, &format!("Member {i}")).await;
        peers.push(p);
    }
    peers
}

async fn peers_of(node: &Node) -> PeersInfo {
    match node.execute(Request::Peers).await.unwrap() {
        Response::Peers(p) => p,
        other => panic!("{other:?}"),
    }
}

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
