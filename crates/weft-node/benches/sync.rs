//! Sync benchmarks, with real nodes (SQLite, libp2p over TCP on loopback) in one process.
//!
//! - propagation: a change made on one of 20 peers; the time until all 20 have applied it
//!   (each peer's node reports the board changed). Median and p99 over the rounds.
//! - catch-up: a peer joins a community with more than 10,000 changes behind it; the time
//!   until it holds everything (median of five newcomers, one after another), and the bytes of sync frames it received against the
//!   compressed size of those documents (Automerge's `save()`).
//!
//! `cargo bench --bench sync` runs it in full; `cargo test --benches` runs a small version to
//! keep it working.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;
use weft_core::Minutes;
use weft_core::doc::DocName;
use weft_core::model::{NewTask, Urgency};
use weft_node::api::{ExportFormatInput, TaskInput};
use weft_node::net::NetOptions;
use weft_node::{Clock, Event, Node, NodeConfig, Request, Response};

struct Peer {
    node: Node,
    _dir: tempfile::TempDir,
    address: weft_net::Multiaddr,
}

async fn peer(name: &str) -> Peer {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(NodeConfig { data_dir: dir.path().to_path_buf(), clock: Clock::system(0) }).await.unwrap();
    node.execute(Request::Init { name: name.into() }).await.unwrap();
    node.start_network(NetOptions {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        mdns: false,
        auto_relay: false,
        ..NetOptions::default()
    })
    .await
    .unwrap();
    let address = node.listen_addresses().await.unwrap().remove(0);
    Peer { node, _dir: dir, address }
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
                hours: Minutes::from_hours(1),
                slots: 1,
                urgency: Urgency::Normal,
                deadline: None,
                location: None,
                open_to_neighbours: false,
            },
            guild_ref: None,
        },
    }
}

async fn invite(node: &Node) -> String {
    match node.execute(Request::Invite { community: None, uses: 1000, hours: 24 }).await.unwrap() {
        Response::Invite(i) => i.link,
        other => panic!("{other:?}"),
    }
}

async fn join(p: &Peer, link: &str) {
    match p.node.execute(Request::Join { code: link.into(), name: None }).await {
        Ok(Response::Community(_)) => {}
        other => panic!("{other:?}"),
    }
}

async fn members(node: &Node) -> usize {
    match node.execute(Request::Members { community: None }).await.unwrap() {
        Response::Members(m) => m.len(),
        _ => 0,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn propagation(n: usize, rounds: usize) {
    let founder = peer("Peer 0").await;
    founder.node.execute(Request::CommunityCreate { name: "Bench".into() }).await.unwrap();
    let link = invite(&founder.node).await;
    let mut peers = vec![founder];
    for i in 1..n {
        let p = peer(&format!("Peer {i}")).await;
        join(&p, &link).await;
        peers.push(p);
    }
    // A mesh, not a star: each peer also dials two others.
    for i in 1..n {
        for d in [1, n / 2] {
            let j = (i + d) % n;
            if j != i {
                let _ = peers[i].node.dial(peers[j].address.clone()).await;
            }
        }
    }
    // Wait until everyone knows everyone (admissions have spread).
    for p in &peers {
        let mut events = p.node.subscribe();
        while members(&p.node).await < n {
            let _ = tokio::time::timeout(Duration::from_secs(30), events.recv()).await;
        }
    }
    // Let the gossip mesh form (heartbeats), then measure.
    let warm = task("warm-up");
    peers[0].node.execute(warm).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut samples = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let origin = r % n;
        let mut waiting: Vec<_> =
            peers.iter().enumerate().filter(|(i, _)| *i != origin).map(|(_, p)| p.node.subscribe()).collect();
        let started = Instant::now();
        peers[origin].node.execute(task(&format!("round {r}"))).await.unwrap();
        for events in &mut waiting {
            loop {
                match tokio::time::timeout(Duration::from_secs(30), events.recv()).await.expect("propagated in time") {
                    Ok(Event::DocumentChanged { doc: DocName::Board, .. }) => break,
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => panic!("a node stopped"),
                }
            }
        }
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "propagation, {n} peers, {rounds} changes: median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3,
    );
    for p in peers {
        p.node.stop_network().await;
        p.node.close().await;
    }
}

async fn catch_up(members: u32, runs: usize) {
    let a = peer("Ana").await;
    let demo = match a.node.execute(Request::Demo { members, seed: 7, name: Some("Bench".into()) }).await.unwrap() {
        Response::Demo(d) => d,
        other => panic!("{other:?}"),
    };
    let link = invite(&a.node).await;
    let mut compressed = 0usize;
    let docs = match a.node.execute(Request::Status).await.unwrap() {
        Response::Status(s) => s.documents.into_iter().map(|d| d.name).collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    for doc in docs {
        let export = Request::Export { community: None, format: ExportFormatInput::Automerge, doc: Some(doc) };
        if let Response::Export(e) = a.node.execute(export).await.unwrap() {
            compressed += data_encoding::BASE64.decode(e.base64.as_bytes()).unwrap().len();
        }
    }
    // Each run is a fresh newcomer joining the same community (the founder admits each, so
    // the history grows by one admission per run).
    let mut times = Vec::new();
    let mut ratio = 0.0;
    for run in 0..runs {
        let b = peer(&format!("Newcomer {run}")).await;
        let started = Instant::now();
        join(&b, &link).await;
        let took = started.elapsed();
        let (_, received) = b.node.sync_traffic().unwrap();
        ratio = received as f64 / compressed as f64;
        println!(
            "catch-up run {}, {} changes: {:.0} ms ({:.0} ms per 10,000 changes); {:.2} MB of sync frames received for {:.2} MB of compressed documents ({:.2}x)",
            run + 1,
            demo.changes,
            took.as_secs_f64() * 1e3,
            per_10k(took, demo.changes),
            received as f64 / 1e6,
            compressed as f64 / 1e6,
            ratio,
        );
        times.push(took);
        b.node.stop_network().await;
        b.node.close().await;
    }
    times.sort();
    let median = percentile(&times, 0.5);
    println!(
        "catch-up, {} changes, median of {runs}: {:.0} ms per 10,000 changes (min {:.0}, max {:.0}); bytes {ratio:.2}x",
        demo.changes,
        per_10k(median, demo.changes),
        per_10k(times[0], demo.changes),
        per_10k(times[times.len() - 1], demo.changes),
    );
    a.node.stop_network().await;
    a.node.close().await;
}

fn per_10k(took: Duration, changes: u32) -> f64 {
    took.as_secs_f64() * 1e3 * 10_000.0 / f64::from(changes)
}

fn main() {
    if let Ok(filter) = std::env::var("WEFT_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    }
    let full = std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        if full {
            propagation(20, 200).await;
            catch_up(60, 5).await;
        } else {
            propagation(4, 5).await;
            catch_up(10, 2).await;
        }
    });
}
