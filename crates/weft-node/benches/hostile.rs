//! How an honest node answers its own front end, and keeps converging, while a peer attacks it.
//!
//! Ana holds a demo community (a year of it) and Cleo is a member; an attacker goes at Ana
//! while Ana's local API is asked, every 10 ms, for her status, the task list, and to log
//! hours. For each attack the latency of those requests is printed (p50, p99, max), how long a
//! task Cleo wrote as the attack began took to reach Ana, and what the attack achieved (the
//! rounds of the poisoned sessions, frames refused, changes taken).
//!
//! - none: nobody attacks (the baseline).
//! - bloom poisoning: a member answers Ana's sessions with poisoned messages (a Bloom filter
//!   that claims everything or nothing, heads nobody has, needs that do not exist and one for a
//!   change Ana holds), and starts sessions of her own without pause: one that never ends, then
//!   sixteen at once that start over asking for the whole board.
//! - gossip flood: a member publishes without pause gossip sealed with a key nobody holds and
//!   old changes under fresh seals.
//! - oversized frames: a peer writes frames that claim 8 MiB and more (a new identity each time
//!   it is let go).
//! - never answering: a member takes every request and answers none.
//! - huge changes: a member's modified client wrote 2,000 tasks with the longest descriptions
//!   and offers them all in one frame, again and again (Ana's quota is the default one).
//! - huge, written live: the same written by a member's node in this process as fast as it can
//!   (its writing takes the cores Ana runs on: the figure shows that too).
//!
//! The attackers run in this process, on the same cores as Ana: the figures include the CPU
//! they burn. Honest nodes resync every second here (30 s in the app), so Ana's sessions with an
//! attacker start again and again.
//!
//! `cargo bench -p weft-node --bench hostile` runs it in full (a 60-member community, 600
//! requests an attack); `cargo test --benches` runs a small version, to keep it working.
//! `WEFT_BENCH_ONLY=bloom,gossip,oversized,silent,huge,live` picks attacks; `WEFT_BENCH_KINDS=1`
//! prints the latencies of each kind of request too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use automerge::sync::{ChunkList, Have, Message, MessageVersion};
use common::evil::*;
use common::raw::RawPeer;
use common::{Peer, invite, join, start_with, task, until_members};
use weft_core::Minutes;
use weft_core::doc::DocName;
use weft_core::doc::membership::Membership;
use weft_core::identity::Identity;
use weft_net::wire::{GossipFrame, GossipPayload, MAX_FRAME};
use weft_net::{Request as Wire, Response as WireResponse, topic_for};
use weft_node::net::NetOptions;
use weft_node::{Clock, Node, NodeConfig, Request, Response};

struct Size {
    members: u32,
    requests: usize,
}

/// Honest nodes resync every second here (the app: every 30 s).
fn options() -> NetOptions {
    NetOptions {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        resync_every: Duration::from_secs(1),
        mdns: false,
        auto_relay: false,
        ..NetOptions::default()
    }
}

async fn honest(name: &str) -> Peer {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(NodeConfig { data_dir: dir.path().to_path_buf(), clock: Clock::system(0) }).await.unwrap();
    node.execute(Request::Init { name: name.into() }).await.unwrap();
    let address = start_with(&node, options()).await;
    Peer { node, dir, address }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// What was measured during an attack: the latencies of Ana's local requests, sorted, and how
/// long a task Cleo wrote as they began took to reach Ana (`None`: not within a minute).
struct Measured {
    samples: Vec<Duration>,
    reached: Option<Duration>,
}

/// `n` local requests to Ana's node, in turn status, the task list and logging hours, one every
/// 10 ms (by kind too, if `WEFT_BENCH_KINDS` is set); meanwhile Cleo writes a task, and the time
/// until Ana holds it is noted.
async fn measure(a: &Peer, c: &Peer, n: usize) -> Measured {
    let title = format!("Cleo's {}", weft_core::TaskId::random());
    let (writer, reader) = (c.node.clone(), a.node.clone());
    let mut events = a.node.subscribe();
    let reach = tokio::spawn(async move {
        let started = Instant::now();
        writer.execute(task(&title)).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let titles =
                match reader.execute(Request::TaskList { community: None, sector: None, open_only: false }).await {
                    Ok(Response::Tasks(t)) => t.into_iter().map(|t| t.task.title).collect::<Vec<_>>(),
                    _ => Vec::new(),
                };
            if titles.contains(&title) {
                return Some(started.elapsed());
            }
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Ok(weft_node::Event::DocumentChanged { doc: DocName::Board, .. })) => {}
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    });
    let samples = requests(&a.node, n).await;
    let reached = reach.await.unwrap();
    Measured { samples, reached }
}

async fn requests(node: &Node, n: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    let mut kinds: [Vec<Duration>; 3] = Default::default();
    let mut pace = tokio::time::interval(Duration::from_millis(10));
    for i in 0..n {
        pace.tick().await;
        let request = match i % 3 {
            0 => Request::Status,
            1 => Request::TaskList { community: None, sector: None, open_only: false },
            _ => Request::Log {
                community: None,
                task: None,
                sector: Some("food".parse().unwrap()),
                minutes: Minutes(15),
                date: None,
                note: String::new(),
            },
        };
        let started = Instant::now();
        node.execute(request).await.expect("answered");
        samples.push(started.elapsed());
        kinds[i % 3].push(started.elapsed());
    }
    if std::env::var("WEFT_BENCH_KINDS").is_ok() {
        for (name, mut k) in ["status", "task list", "log hours"].into_iter().zip(kinds) {
            k.sort();
            println!("    {name:>10}: p50 {:6.2} ms  p99 {:7.2} ms", ms(percentile(&k, 0.5)), ms(percentile(&k, 0.99)));
        }
    }
    samples.sort();
    samples
}

fn report(attack: &str, m: &Measured, what: &str) {
    let samples = &m.samples;
    println!(
        "{attack:>16}: p50 {:6.2} ms  p99 {:7.2} ms  max {:7.2} ms  ({} requests); Cleo's task reached Ana in {}{}",
        ms(percentile(samples, 0.5)),
        ms(percentile(samples, 0.99)),
        ms(samples[samples.len() - 1]),
        samples.len(),
        m.reached.map_or_else(|| "more than a minute".into(), |d| format!("{:.0} ms", ms(d))),
        if what.is_empty() { String::new() } else { format!("; {what}") }
    );
}

/// A loop an attack runs until told to stop (bounded all the same).
fn spawn_loop<F, Fut>(stop: &Arc<AtomicBool>, mut step: F) -> tokio::task::JoinHandle<()>
where
    F: FnMut(u64) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let stop = stop.clone();
    tokio::spawn(async move {
        for i in 0..10_000_000u64 {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            step(i).await;
        }
    })
}

/// Whether to run an attack: all of them, or those `WEFT_BENCH_ONLY` names (bloom, gossip,
/// oversized, silent, huge, live; comma-separated).
fn only(attack: &str) -> bool {
    std::env::var("WEFT_BENCH_ONLY").map_or(true, |only| only.split(',').any(|a| a.trim() == attack))
}

async fn run(size: Size) {
    let a = honest("Ana").await;
    let demo =
        match a.node.execute(Request::Demo { members: size.members, seed: 11, name: Some("Riverside".into()) }).await {
            Ok(Response::Demo(d)) => d,
            other => panic!("{other:?}"),
        };
    let community = community_id(&a.node).await;
    let link = invite(&a.node).await;
    let c = honest("Cleo").await;
    join(&c, &link, "Cleo").await;
    println!(
        "Ana's community: {} members, {} changes; {} requests per attack (status, task list, log hours)",
        demo.members, demo.changes, size.requests
    );
    let n = size.requests;

    // None.
    report("none", &measure(&a, &c, n).await, "");

    // Bloom poisoning.
    if only("bloom") {
        let known: Vec<_> =
            changes_of(&export(&a.node, DocName::Board, community).await).into_iter().take(64).collect();
        let mut m = evil(&c).await;
        m.join(&link, &c).await;
        until_members(&a.node, c_members(&c).await).await;
        m.connect(&a).await;
        let asked = m.answer(Answering::Poison(Poison::new(known.clone())));
        let (net, to) = (m.net.clone(), a.node.peer_id().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let (refused_at, full_sends) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let poison = Poison::new(known);
        let attacker = {
            let (refused_at, full_sends) = (refused_at.clone(), full_sends.clone());
            spawn_loop(&stop, move |i| {
                let (net, poison, refused_at, full_sends) =
                    (net.clone(), poison.clone(), refused_at.clone(), full_sends.clone());
                async move {
                    // An endless session until refused…
                    for round in 0..=weft_node::net::MAX_ROUNDS {
                        let f = frame(community, DocName::Board, i * 1_000_000, round, poison.message(DocName::Board));
                        if !matches!(net.request(to, Wire::Sync(f)).await, Ok(WireResponse::Sync(_))) {
                            refused_at.fetch_max(u64::from(round), Ordering::Relaxed);
                            break;
                        }
                    }
                    // …then sixteen sessions at once, each starting over and asking for everything.
                    let everything = Message {
                        heads: vec![poison.bogus(i)],
                        need: Vec::new(),
                        have: vec![Have::default()],
                        changes: ChunkList::empty(),
                        flags: None,
                        version: MessageVersion::V1,
                    };
                    let asks = (0..16u64).map(|s| {
                        let f = frame(community, DocName::Board, i * 1_000_000 + 1_000 + s, 0, everything.clone());
                        net.request(to, Wire::Sync(f))
                    });
                    for answer in futures::future::join_all(asks).await {
                        if let Ok(WireResponse::Sync(f)) = answer
                            && f.bundle.is_some()
                        {
                            full_sends.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        };
        let samples = measure(&a, &c, n).await;
        stop.store(true, Ordering::Relaxed);
        attacker.abort();
        let what = format!(
            "Ana's sessions with her: {} rounds at most ({} sessions); her endless session refused at round {}; {} whole-board answers",
            asked.most_rounds(),
            asked.sessions(),
            refused_at.load(Ordering::Relaxed),
            full_sends.load(Ordering::Relaxed)
        );
        report("bloom poisoning", &samples, &what);
    }

    // Gossip flood: sealed with a key nobody holds, and an old change under fresh seals.
    if only("gossip") {
        let mut m = evil(&a).await;
        m.join(&link, &a).await;
        m.wait_subscribed(&topic_for(&community)).await;
        let people = export(&a.node, DocName::People, community).await;
        let mut board = export(&a.node, DocName::Board, community).await;
        let old = task_change(&m.id, &people, &mut board, "Mallory's one task");
        m.gossip(community, &people, vec![wire(&old)]).await;
        let key = Membership::read(people.automerge()).current_key(m.id.device_key()).unwrap();
        let payload = GossipPayload { community, doc: DocName::Board, changes: vec![wire(&old)] }.encode();
        m.answer(Answering::Never);
        let net = m.net.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let attacker = {
            let sent = sent.clone();
            let key = Arc::new(key);
            spawn_loop(&stop, move |i| {
                let (net, sent, key, payload) = (net.clone(), sent.clone(), key.clone(), payload.clone());
                async move {
                    let frame = if i % 2 == 0 {
                        GossipFrame {
                            key_id: [0xAB; 8],
                            nonce: [(i % 251) as u8; 24],
                            sealed: i.to_le_bytes().repeat(512),
                        }
                    } else {
                        let (nonce, sealed) = key.seal(&payload).unwrap();
                        GossipFrame { key_id: key.id(), nonce, sealed }
                    };
                    if net.publish(topic_for(&community), frame.encode()).await.is_ok() {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };
        let samples = measure(&a, &c, n).await;
        stop.store(true, Ordering::Relaxed);
        attacker.abort();
        report("gossip flood", &samples, &format!("{} messages published", sent.load(Ordering::Relaxed)));
    }

    // Oversized frames: each raw peer is let go after its third; the next has a new identity.
    if only("oversized") {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let (to, address) = (a.node.peer_id().unwrap(), a.address.clone());
        let attacker = {
            let sent = sent.clone();
            spawn_loop(&stop, move |_| {
                let (sent, address) = (sent.clone(), address.clone());
                async move {
                    let peer = RawPeer::spawn(Identity::generate().1);
                    peer.dial(address).await;
                    for claimed in [MAX_FRAME as u32 + 1, 64 << 20, u32::MAX] {
                        let mut bytes = claimed.to_le_bytes().to_vec();
                        bytes.extend(std::iter::repeat_n(0x5A, 64 << 10));
                        let _ = peer.send(to, bytes).await;
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };
        let samples = measure(&a, &c, n).await;
        stop.store(true, Ordering::Relaxed);
        attacker.abort();
        report("oversized frames", &samples, &format!("{} frames refused", sent.load(Ordering::Relaxed)));
    }

    // Never answering.
    if only("silent") {
        let mut m = evil(&c).await;
        m.join(&link, &c).await;
        until_members(&a.node, c_members(&c).await).await;
        m.connect(&a).await;
        let asked = m.answer(Answering::Never);
        let samples = measure(&a, &c, n).await;
        report("never answering", &samples, &format!("{} of Ana's requests unanswered", asked.requests()));
    }

    // Huge changes, honest ones, written beforehand by a member's modified client and offered
    // to Ana all at once, again and again (what Ana takes in, without the writing's CPU here).
    if only("huge") {
        let flood = 2_000;
        let m = evil(&a).await;
        m.join(&link, &a).await;
        let people = export(&a.node, DocName::People, community).await;
        let mut board = export(&a.node, DocName::Board, community).await;
        let view = weft_core::doc::people::PeopleView::read(people.automerge());
        let long = "x".repeat(weft_core::validate::DESCRIPTION_MAX);
        let written: Vec<weft_core::SignedChange> = (0..flood)
            .map(|i| {
                let mut t = new_task(&format!("flood {i}"));
                t.description = long.clone();
                let now = now();
                board.add_task(weft_core::TaskId::random(), &m.id, &t, &view, now.date(), now).unwrap()
            })
            .collect();
        let hashes: Vec<automerge::ChangeHash> = written.iter().map(|c| c.hash).collect();
        let bundle = board.automerge().bundle(hashes.iter().copied()).unwrap().bytes().to_vec();
        let last = written.last().unwrap();
        let signatures = vec![(last.hash, last.signature.unwrap().0)];
        let message = Message {
            heads: board.heads(),
            need: Vec::new(),
            have: Vec::new(),
            changes: ChunkList::empty(),
            flags: None,
            version: MessageVersion::V1,
        };
        let (net, to) = (m.net.clone(), a.node.peer_id().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let busy = Arc::new(AtomicU64::new(0));
        let attacker = {
            let busy = busy.clone();
            spawn_loop(&stop, move |i| {
                let (net, busy) = (net.clone(), busy.clone());
                let mut f = frame(community, DocName::Board, 1 + i, 0, message.clone());
                f.bundle = Some(bundle.clone());
                f.signatures = signatures.clone();
                async move {
                    if let Ok(WireResponse::Refused(_)) = net.request(to, Wire::Sync(f)).await {
                        busy.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };
        let samples = measure(&a, &c, n).await;
        stop.store(true, Ordering::Relaxed);
        attacker.abort();
        let taken = match a.node.execute(Request::TaskList { community: None, sector: None, open_only: false }).await {
            Ok(Response::Tasks(t)) => t.iter().filter(|t| t.task.title.starts_with("flood ")).count(),
            _ => 0,
        };
        let what = format!(
            "{flood} tasks of 4,000 characters offered in one frame, {} times refused as over quota; Ana took {taken}",
            busy.load(Ordering::Relaxed)
        );
        report("huge changes", &samples, &what);
    }

    // The same, written live by a member's node in this process, as fast as it can.
    if only("live") {
        let mallory = honest("Mallory").await;
        join(&mallory, &link, "Mallory").await;
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let long = "x".repeat(weft_core::validate::DESCRIPTION_MAX);
        let attacker = {
            let (node, written) = (mallory.node.clone(), written.clone());
            spawn_loop(&stop, move |i| {
                let (node, written, long) = (node.clone(), written.clone(), long.clone());
                async move {
                    let mut request = task(&format!("live {i}"));
                    if let Request::TaskAdd { task, .. } = &mut request {
                        task.task.description = long;
                    }
                    if node.execute(request).await.is_ok() {
                        written.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };
        let samples = measure(&a, &c, n).await;
        stop.store(true, Ordering::Relaxed);
        attacker.abort();
        let incidents = match a.node.execute(Request::Peers).await {
            Ok(Response::Peers(p)) => p.incidents,
            _ => Vec::new(),
        };
        let quota = incidents
            .iter()
            .find(|i| i.contains("computers sent"))
            .cloned()
            .unwrap_or_else(|| "within the quota".into());
        let flood = incidents.iter().any(|i| i.contains("gossip without pause"));
        let taken = match a.node.execute(Request::TaskList { community: None, sector: None, open_only: false }).await {
            Ok(Response::Tasks(t)) => t.iter().filter(|t| t.task.title.starts_with("live ")).count(),
            _ => 0,
        };
        let flood = if flood { " (then she was let go for flooding gossip)" } else { "" };
        let quota = format!("Ana took {taken}{flood}; {quota}");
        report(
            "huge, written live",
            &samples,
            &format!("{} tasks of 4,000 characters written; {quota}", written.load(Ordering::Relaxed)),
        );
        mallory.node.stop_network().await;
        mallory.node.close().await;
    }

    for p in [a, c] {
        p.node.stop_network().await;
        p.node.close().await;
    }
}

/// How many members Cleo's community has (an attacker she admitted counts once her admission
/// reached Ana).
async fn c_members(c: &Peer) -> usize {
    match c.node.execute(Request::Members { community: None }).await.unwrap() {
        Response::Members(m) => m.len(),
        _ => 0,
    }
}

fn main() {
    if let Ok(filter) = std::env::var("WEFT_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    }
    let full = std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        if full {
            run(Size { members: 60, requests: 600 }).await;
        } else {
            run(Size { members: 5, requests: 30 }).await;
        }
    });
}
