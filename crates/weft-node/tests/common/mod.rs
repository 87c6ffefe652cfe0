//! Helpers for tests with several real nodes, each with its own SQLite data directory and
//! libp2p swarm, on loopback. Nothing sleeps to wait: every wait is for an event, with a
//! timeout.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod evil;
pub mod raw;

use std::future::Future;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use weft_core::Minutes;
use weft_core::model::{NewTask, Urgency};
use weft_net::Multiaddr;
use weft_node::api::{PeersInfo, TaskInput};
use weft_node::net::NetOptions;
use weft_node::{Clock, Node, NodeConfig, Request, Response};

pub const WAIT: Duration = Duration::from_secs(20);

pub struct Peer {
    pub node: Node,
    pub dir: tempfile::TempDir,
    pub address: Multiaddr,
}

pub fn options() -> NetOptions {
    NetOptions {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        connect: Vec::new(),
        mdns: false,
        auto_relay: false,
        ..NetOptions::default()
    }
}

/// A node with a fresh data directory, its network listening on loopback.
pub async fn peer(name: Option<&str>) -> Peer {
    // `WEFT_TEST_LOG=debug cargo test …` shows what the nodes do.
    if let Ok(filter) = std::env::var("WEFT_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(NodeConfig { data_dir: dir.path().to_path_buf(), clock: Clock::system(0) }).await.unwrap();
    // Documents rest whenever the node waits: every sync test also loads them again on demand.
    node.set_rest_after(Duration::ZERO).await.unwrap();
    if let Some(name) = name {
        node.execute(Request::Init { name: name.into() }).await.unwrap();
    }
    let address = start(&node).await;
    Peer { node, dir, address }
}

pub async fn start(node: &Node) -> Multiaddr {
    start_with(node, options()).await
}

pub async fn start_with(node: &Node, options: NetOptions) -> Multiaddr {
    node.start_network(options).await.unwrap();
    node.listen_addresses().await.unwrap().into_iter().next().expect("listening")
}

pub fn task(title: &str) -> Request {
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

pub async fn titles(node: &Node) -> Vec<String> {
    match node.execute(Request::TaskList { community: None, sector: None, open_only: false }).await {
        Ok(Response::Tasks(t)) => {
            let mut v: Vec<String> = t.into_iter().map(|t| t.task.title).collect();
            v.sort();
            v
        }
        _ => Vec::new(),
    }
}

pub async fn member_count(node: &Node) -> usize {
    match node.execute(Request::Members { community: None }).await {
        Ok(Response::Members(m)) => m.len(),
        _ => 0,
    }
}

/// Waits until `check` holds, re-checking after every document change on `node`.
pub async fn until<F, Fut>(node: &Node, what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    until_on(&[node], what, check).await;
}

/// Waits until `check` holds, re-checking after every event of any of `nodes`.
pub async fn until_on<F, Fut>(nodes: &[&Node], what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let (tx, mut woken) = tokio::sync::mpsc::channel::<()>(1);
    let listeners: Vec<_> = nodes
        .iter()
        .map(|node| {
            let (mut events, tx) = (node.subscribe(), tx.clone());
            tokio::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(_) | Err(RecvError::Lagged(_)) => {
                            let _ = tx.try_send(());
                        }
                        Err(RecvError::Closed) => return,
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if check().await {
            listeners.iter().for_each(tokio::task::JoinHandle::abort);
            return;
        }
        tokio::select! {
            w = woken.recv() => if w.is_none() { panic!("the nodes stopped while waiting for {what}") },
            _ = tokio::time::sleep_until(deadline) => panic!("timed out waiting for {what}"),
        }
    }
}

pub async fn until_members(node: &Node, n: usize) {
    let probe = node.clone();
    until(node, &format!("{n} members"), move || {
        let probe = probe.clone();
        async move { member_count(&probe).await == n }
    })
    .await;
}

pub async fn invite(founder: &Node) -> String {
    match founder.execute(Request::Invite { community: None, uses: 20, hours: 24 }).await.unwrap() {
        Response::Invite(i) => {
            assert!(!i.addresses.is_empty(), "the link carries where to reach the inviter");
            i.link
        }
        other => panic!("{other:?}"),
    }
}

pub async fn join(p: &Peer, link: &str, name: &str) {
    match p.node.execute(Request::Join { code: link.into(), name: Some(name.into()) }).await {
        Ok(Response::Community(c)) => assert_eq!(c.name, "Riverside"),
        other => panic!("{name} could not join: {other:?}"),
    }
}

/// A founder and `n - 1` members who joined with an invitation link.
pub async fn community(n: usize) -> Vec<Peer> {
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

pub async fn peers_of(node: &Node) -> PeersInfo {
    match node.execute(Request::Peers).await.unwrap() {
        Response::Peers(p) => p,
        other => panic!("{other:?}"),
    }
}

/// Waits until the node's task titles are exactly `want` (sorted).
pub async fn until_titles(node: &Node, want: &[String]) {
    let probe = node.clone();
    let mut want = want.to_vec();
    want.sort();
    until(node, &format!("{} tasks", want.len()), move || {
        let probe = probe.clone();
        let want = want.clone();
        async move { titles(&probe).await == want }
    })
    .await;
}

/// Waits until the node has a task with this title.
pub async fn until_has(node: &Node, title: &str) {
    let probe = node.clone();
    let title = title.to_owned();
    until(node, &format!("task '{title}'"), move || {
        let probe = probe.clone();
        let title = title.clone();
        async move { titles(&probe).await.contains(&title) }
    })
    .await;
}
