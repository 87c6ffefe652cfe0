//! No peer can hurt another with its bytes. Each test puts two or three honest nodes (real
//! swarms on loopback) beside an attacker — a bare weft-net swarm, or a raw libp2p peer that
//! writes whatever bytes it likes — and checks that the attack is contained, that the honest
//! nodes keep converging on what they write meanwhile, and that the attacked node goes on
//! answering its own front end: every local request (status, the task list, logging hours) is
//! timed during the attack. The bound asserted is generous; the figures are printed, and the
//! `hostile` benchmark measures them properly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use automerge::sync::{ChunkList, Have, Message, MessageVersion};
use common::evil::*;
use common::raw::RawPeer;
use common::*;
use weft_core::doc::DocName;
use weft_core::doc::membership::Membership;
use weft_core::identity::Identity;
use weft_core::{CommunityId, Minutes};
use weft_net::wire::{GossipFrame, GossipPayload, MAX_FRAME, RefusalCode, WireChange};
use weft_net::{NetEvent, Request as Wire, Response as WireResponse, topic_for};
use weft_node::net::{MAX_ROUNDS, NetOptions};
use weft_node::sync::Quota;
use weft_node::{Node, Request, Response};

/// Honest nodes here resync every second: their sessions with an attacker start again and
/// again while a test runs.
fn opts() -> NetOptions {
    NetOptions { resync_every: Duration::from_secs(1), ..options() }
}

async fn honest(name: &str, options: NetOptions) -> Peer {
    if let Ok(filter) = std::env::var("WEFT_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
    let dir = tempfile::tempdir().unwrap();
    let clock = weft_node::Clock::system(0);
    let node = Node::open(weft_node::NodeConfig { data_dir: dir.path().to_path_buf(), clock }).await.unwrap();
    node.execute(Request::Init { name: name.into() }).await.unwrap();
    let address = start_with(&node, options).await;
    Peer { node, dir, address }
}

/// Ana, who founded Riverside, and Cleo, a member; the invitation link.
async fn founded(options: NetOptions) -> (Peer, Peer, String, CommunityId) {
    let a = honest("Ana", options.clone()).await;
    a.node.execute(Request::CommunityCreate { name: "Riverside".into() }).await.unwrap();
    let link = invite(&a.node).await;
    let c = honest("Cleo", options).await;
    join(&c, &link, "Cleo").await;
    let community = community_id(&a.node).await;
    (a, c, link, community)
}

/// Mallory, a member admitted by Cleo, then connected to Ana too (so Ana, who did not admit her,
/// syncs with her as with any member).
async fn mallory(a: &Peer, c: &Peer, link: &str) -> Evil {
    let mut m = evil(c).await;
    m.join(link, c).await;
    until_members(&a.node, 3).await;
    m.connect(a).await;
    m
}

/// Both honest nodes write during the attack; each must get the other's write.
async fn converge(a: &Peer, c: &Peer, during: &str) {
    let (from_a, from_c) = (format!("Ana, during {during}"), format!("Cleo, during {during}"));
    a.node.execute(task(&from_a)).await.unwrap();
    c.node.execute(task(&from_c)).await.unwrap();
    until_has(&c.node, &from_a).await;
    until_has(&a.node, &from_c).await;
}

/// Times the node's answers to its own front end while an attack runs: status, the task list
/// and logging hours, in turn, four times a second… until stopped.
struct Probe {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<Duration>>,
}

impl Probe {
    fn start(node: &Node) -> Self {
        let (node, stop) = (node.clone(), Arc::new(AtomicBool::new(false)));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut pace = tokio::time::interval(Duration::from_millis(25));
            for i in 0..100_000u32 {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
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
                let answer = node.execute(request).await;
                samples.push(started.elapsed());
                answer.expect("the node answers its front end during the attack");
            }
            samples
        });
        Self { stop, task }
    }

    /// Stops, prints the figures, and checks that every request was answered within 5 s.
    async fn finish(self, attack: &str) {
        self.stop.store(true, Ordering::Relaxed);
        let mut samples = self.task.await.unwrap();
        samples.sort();
        assert!(!samples.is_empty(), "no request was timed");
        let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
        println!(
            "{attack}: {} local requests, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            samples.len(),
            at(0.5).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            samples[samples.len() - 1].as_secs_f64() * 1e3
        );
        assert!(samples[samples.len() - 1] < Duration::from_secs(5), "a local request took over 5 s during {attack}");
    }
}

async fn status(node: &Node) -> weft_node::api::StatusInfo {
    match node.execute(Request::Status).await.unwrap() {
        Response::Status(s) => s,
        other => panic!("{other:?}"),
    }
}

/// How many changes each document holds.
async fn counts(node: &Node) -> Vec<(DocName, u64)> {
    status(node).await.documents.into_iter().map(|d| (d.name, d.changes)).collect()
}

fn board_count(counts: &[(DocName, u64)]) -> u64 {
    counts.iter().find(|(d, _)| *d == DocName::Board).map_or(0, |(_, n)| *n)
}

/// What `weft peers` says of a peer: its problem.
async fn problem_of(node: &Node, peer: &weft_net::PeerId) -> Option<String> {
    peers_of(node).await.peers.into_iter().find(|p| p.peer_id == peer.to_string()).and_then(|p| p.problem)
}

/// Ana's sessions with Mallory, who answers every frame with a poisoned message: a Bloom
/// filter that claims every change or none, heads nobody has, fifty needs for changes that do
/// not exist and one for a change Ana holds, and a change Ana holds already. The session must
/// end well within the cap, again and again (Ana resyncs every second), and nothing else
/// notices.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poisoned_answers_end_our_sessions_well_within_the_cap() {
    let (a, c, link, community) = founded(opts()).await;
    for i in 0..5 {
        a.node.execute(task(&format!("before {i}"))).await.unwrap();
    }
    until_has(&c.node, "before 4").await;
    let known = changes_of(&export(&a.node, DocName::Board, community).await);
    let mut m = mallory(&a, &c, &link).await;
    let probe = Probe::start(&a.node);
    let asked = m.answer(Answering::Poison(Poison::new(known.clone())));
    // Five sessions of Ana's with her, one after another.
    asked.until("five poisoned sessions", |a| a.sessions() >= 5).await;
    converge(&a, &c, "poisoned sessions").await;
    probe.finish("poisoned answers").await;
    let rounds = asked.most_rounds();
    println!("a poisoned session of Ana's took {rounds} rounds (cap {MAX_ROUNDS}); {} board changes", known.len());
    // Sending what she asks for by hash is progress for sixteen rounds at most, and four rounds
    // with nothing new either way end a session: however many changes Ana holds.
    assert!(rounds <= 16 + 4 + 1, "{rounds} rounds for {} changes", known.len());
    assert!(rounds < u64::from(MAX_ROUNDS) / 5);
}

/// Mallory starts sessions herself, with the same poison and worse: one endless session, a
/// hundred sessions that each start over asking for everything, requests by the hundred at
/// once, ledgers of years that cannot exist, and Bloom filters whose own numbers would make
/// Automerge divide by zero or loop four billion times per change. Ana refuses each in turn,
/// crashes on none, and goes on answering and converging with Cleo.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_poisoning_peer_is_refused_and_cannot_crash_us() {
    let (a, c, link, community) = founded(opts()).await;
    for i in 0..5 {
        a.node.execute(task(&format!("before {i}"))).await.unwrap();
    }
    let known = changes_of(&export(&a.node, DocName::Board, community).await);
    let mut m = mallory(&a, &c, &link).await;
    m.answer(Answering::Never);
    let mut incidents = a.node.subscribe();
    let probe = Probe::start(&a.node);
    let poison = Poison::new(known.clone());

    // One session for ever: refused once it brought nothing new either way for a while.
    let mut refused_at = None;
    for round in 0..=MAX_ROUNDS {
        let frame = frame(community, DocName::Board, 7, round, poison.message(DocName::Board));
        match m.ask(&a, Wire::Sync(frame)).await.unwrap() {
            WireResponse::Sync(_) => {}
            WireResponse::Refused(r) => {
                assert_eq!(r.code, RefusalCode::Busy, "{r:?}");
                refused_at = Some(round);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    let refused_at = refused_at.expect("the endless session is refused");
    println!("Mallory's endless session was refused at round {refused_at} (cap {MAX_ROUNDS})");
    assert!(refused_at <= known.len() as u32 + 20, "refused only at round {refused_at}");
    until_incident(&mut incidents, "refused to go on").await;

    // A hundred sessions that start over, each asking for everything (no Bloom filter, no
    // last sync): each is answered, a round each.
    let everything = Message {
        heads: vec![poison.bogus(9)],
        need: Vec::new(),
        have: vec![Have::default()],
        changes: ChunkList::empty(),
        flags: None,
        version: MessageVersion::V1,
    };
    for session in 100..200 {
        let frame = frame(community, DocName::Board, session, 0, everything.clone());
        assert!(matches!(m.ask(&a, Wire::Sync(frame)).await.unwrap(), WireResponse::Sync(_)));
    }

    // Two hundred requests at once: answered or refused as busy, never queued without end.
    let asks = (0..200u64).map(|i| {
        let frame = frame(community, DocName::Board, 1_000 + i, 0, poison.message(DocName::Board));
        m.ask(&a, Wire::Sync(frame))
    });
    let answers = futures::future::join_all(asks).await;
    let busy =
        answers.iter().filter(|a| matches!(a, Ok(WireResponse::Refused(r)) if r.code == RefusalCode::Busy)).count();
    println!("200 requests at once: {busy} refused as busy");
    assert!(answers.iter().all(|a| matches!(a, Ok(WireResponse::Sync(_) | WireResponse::Refused(_)))));

    // Ledgers of years no hours of this community can be dated in: none is started. (A year
    // that is not four digits, `ledger/-999`, is no document name at all: the frame does not
    // read, which counts against the sender as the lying filters below do.)
    for year in [1000, 1970, 2999, 9999] {
        let frame = frame(community, DocName::Ledger(year), 1, 0, poison.message(DocName::Ledger(year)));
        match m.ask(&a, Wire::Sync(frame)).await.unwrap() {
            WireResponse::Refused(r) => assert!(r.reason.contains(&format!("no ledger of {year}")), "{r:?}"),
            other => panic!("ledger/{year}: {other:?}"),
        }
    }
    let docs = counts(&a.node).await;
    assert!(docs.iter().all(|(d, _)| !matches!(d, DocName::Ledger(y) if *y < 2000 || *y > 2900)), "{docs:?}");
    converge(&a, &c, "poisoned sessions").await;

    // Bloom filters that lie about themselves: no bits for an entry (a division by zero), four
    // billion probes per hash (memory without end). Refused before Automerge reads them; the
    // third unreadable frame costs Mallory her connection for a while.
    let liars = [raw_bloom(1, 0, 7, &[]), raw_bloom(1, 8, u64::from(u32::MAX), &[0xFF]), raw_bloom(3, 1, 0, &[0xFF])];
    for (i, bloom) in liars.into_iter().enumerate() {
        let message = Message {
            heads: Vec::new(),
            need: Vec::new(),
            have: vec![Have { last_sync: Vec::new(), bloom }],
            changes: ChunkList::empty(),
            flags: None,
            version: MessageVersion::V1,
        };
        let frame = frame(community, DocName::Board, 5_000 + i as u64, 0, message);
        match m.ask(&a, Wire::Sync(frame)).await {
            Ok(WireResponse::Refused(r)) => {
                assert_eq!(r.code, RefusalCode::Invalid, "{r:?}");
                assert!(r.reason.contains("Bloom filter"), "{r:?}");
            }
            other => panic!("{other:?}"),
        }
    }
    let what = until_incident(&mut incidents, "frames that could not be read").await;
    assert!(what.contains("disconnected"), "{what}");
    converge(&a, &c, "lying Bloom filters").await;
    probe.finish("a poisoning peer").await;
}

/// A member floods the topic with gossip that looks right: sealed with a key nobody holds, and
/// old changes under fresh seals. Past a burst and a steady rate, it is dropped unread (the
/// state thread never sees it, so honest gossip and requests do not queue behind it); none of
/// it is forwarded or taken in; and a peer that keeps it up is let go for a while. (Gossip that
/// lies — sealed under the community's key and not opening, or changes that fail verification
/// — is rejected and its sender let go at once: trust.rs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gossip_flood_is_dropped_unread_and_its_sender_let_go() {
    let (a, c, link, community) = founded(opts()).await;
    let mut incidents = a.node.subscribe();
    let mut m = evil(&a).await;
    m.join(&link, &a).await;
    m.wait_subscribed(&topic_for(&community)).await;
    let people = export(&a.node, DocName::People, community).await;
    let mut board = export(&a.node, DocName::Board, community).await;
    let old = task_change(&m.id, &people, &mut board, "Mallory's one task");
    m.gossip(community, &people, vec![wire(&old)]).await;
    until_has(&c.node, "Mallory's one task").await;
    let replays: Vec<Vec<u8>> = (0..1000).map(|_| m.seal(community, &people, vec![wire(&old)])).collect();
    let net = m.net.clone();
    m.answer(Answering::Never);
    let before = counts(&a.node).await;
    let probe = Probe::start(&a.node);
    let topic = topic_for(&community);
    for (i, replay) in replays.into_iter().enumerate() {
        // A key id nobody has, a payload nobody can open; then an old change, sealed anew.
        let frame = GossipFrame { key_id: [0xAB; 8], nonce: [i as u8; 24], sealed: vec![7; 4096 + i] };
        if net.publish(topic.clone(), frame.encode()).await.is_err()
            || net.publish(topic.clone(), replay).await.is_err()
        {
            break;
        }
    }
    let what = until_incident(&mut incidents, "gossip without pause").await;
    println!("{what}");
    converge(&a, &c, "a gossip flood").await;
    assert_eq!(board_count(&counts(&a.node).await), board_count(&before) + 2, "only the two tasks written meanwhile");
    let incidents = peers_of(&a.node).await.incidents;
    assert_eq!(incidents.len(), 1, "a copy or a stranger's key is no crime, only the flood: {incidents:?}");
    probe.finish("a gossip flood").await;
}

/// Frames over the limit are refused from their length alone: the stream is reset before a
/// byte of them is read, and the sender is noted, then let go. A frame whose length lies (it
/// announces 8 MiB and stops) costs only the bytes that came.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oversized_frames_are_refused_before_they_are_read() {
    let (a, c, _link, _community) = founded(opts()).await;
    let mut incidents = a.node.subscribe();
    let raw = RawPeer::spawn(Identity::generate().1);
    raw.dial(a.address.clone()).await;
    let to = peer_id(&a);
    let probe = Probe::start(&a.node);
    let (_, received_before) = a.node.sync_traffic().unwrap();
    for claimed in [MAX_FRAME as u32 + 1, 64 << 20] {
        let mut bytes = claimed.to_le_bytes().to_vec();
        bytes.extend(std::iter::repeat_n(0x5A, 64 << 10));
        let started = Instant::now();
        // Refused in words, or the stream reset: never taken in.
        match raw.send(to, bytes).await.map(|answer| WireResponse::decode(&answer)) {
            Ok(Ok(WireResponse::Refused(r))) => {
                assert_eq!(r.code, RefusalCode::Invalid);
                assert!(r.reason.contains("over the limit"), "{r:?}");
            }
            Err(_) => {}
            other => panic!("an oversized frame was answered: {other:?}"),
        }
        println!("a frame of {claimed} bytes: refused after {:?}", started.elapsed());
    }
    // It says 8 MiB, sends 1 KiB, and stops.
    let mut liar = (MAX_FRAME as u32).to_le_bytes().to_vec();
    liar.extend([0u8; 1024]);
    assert!(raw.send(to, liar).await.is_err());
    let (_, received_after) = a.node.sync_traffic().unwrap();
    assert!(received_after - received_before < 1 << 20, "Ana read {} bytes of them", received_after - received_before);
    until_incident(&mut incidents, "over the limit").await;
    converge(&a, &c, "oversized frames").await;
    // The third: disconnected for a while.
    let mut bytes = (MAX_FRAME as u32 + 1).to_le_bytes().to_vec();
    bytes.extend([0u8; 16]);
    let _ = raw.send(to, bytes).await;
    let what = until_incident(&mut incidents, "frames that could not be read").await;
    assert!(what.contains("disconnected"), "{what}");
    probe.finish("oversized frames").await;
}

/// Bytes that are no frame, frames whose Automerge message or bundle is garbage: refused, noted
/// in words; the third costs the sender its connection for a while.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_frames_are_refused_noted_and_then_their_sender_let_go() {
    let (a, c, link, community) = founded(opts()).await;
    let mut incidents = a.node.subscribe();
    let probe = Probe::start(&a.node);
    // A stranger writing garbage on the sync protocol.
    let raw = RawPeer::spawn(Identity::generate().1);
    raw.dial(a.address.clone()).await;
    // This version's first byte (another version's frame is no fault of the peer's), then junk.
    let mut garbage = 4096u32.to_le_bytes().to_vec();
    garbage.push(weft_net::wire::VERSION);
    garbage.extend((1..4096u32).map(|i| (i * 7919 % 251) as u8));
    match raw.send(peer_id(&a), garbage).await.map(|answer| WireResponse::decode(&answer)) {
        Ok(Ok(WireResponse::Refused(r))) => assert_eq!(r.code, RefusalCode::Invalid, "{r:?}"),
        other => panic!("garbage was answered: {other:?}"),
    }
    let what = until_incident(&mut incidents, "could not be read").await;
    println!("{what}");
    // A member whose frames decode but whose contents do not.
    let m = evil(&a).await;
    m.join(&link, &a).await;
    let mut bad = frame(
        community,
        DocName::Board,
        1,
        0,
        Message {
            heads: Vec::new(),
            need: Vec::new(),
            have: Vec::new(),
            changes: ChunkList::empty(),
            flags: None,
            version: MessageVersion::V1,
        },
    );
    bad.message = Some(vec![0x42, 0x01, 0xFF, 0xFF]);
    for session in 1..=2u64 {
        bad.session = session;
        match m.ask(&a, Wire::Sync(bad.clone())).await.unwrap() {
            WireResponse::Refused(r) => assert_eq!(r.code, RefusalCode::Invalid, "{r:?}"),
            other => panic!("{other:?}"),
        }
    }
    let mut bundle = frame(
        community,
        DocName::Board,
        3,
        0,
        Message {
            heads: Vec::new(),
            need: Vec::new(),
            have: Vec::new(),
            changes: ChunkList::empty(),
            flags: None,
            version: MessageVersion::V1,
        },
    );
    bundle.bundle = Some(vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3]);
    match m.ask(&a, Wire::Sync(bundle)).await {
        Ok(WireResponse::Refused(r)) => assert_eq!(r.code, RefusalCode::Invalid, "{r:?}"),
        other => panic!("{other:?}"),
    }
    let what = until_incident(&mut incidents, "3 frames that could not be read").await;
    assert!(what.contains("disconnected"), "{what}");
    converge(&a, &c, "malformed frames").await;
    probe.finish("malformed frames").await;
}

/// Old changes sent again — by gossip under fresh seals, by sync in frames of their own, and a
/// frame sent twice as a resend would: taken in once, nothing re-applied, nothing stored
/// again, nothing forwarded, and no incident (a copy is no crime).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replayed_old_changes_are_taken_once_and_go_no_further() {
    let (a, c, link, community) = founded(opts()).await;
    // Someone who only listens, connected to Ana alone: what Ana forwards, it hears.
    let mut listener = evil(&a).await;
    listener.net.subscribe(topic_for(&community)).await.unwrap();
    let mut m = evil(&a).await;
    m.join(&link, &a).await;
    m.net.subscribe(topic_for(&community)).await.unwrap();
    m.wait_subscribed(&topic_for(&community)).await;
    // Mallory hears Ana's gossip: real changes, with their signatures.
    let people = export(&a.node, DocName::People, community).await;
    let key = Membership::read(people.automerge()).current_key(m.id.device_key()).unwrap();
    for i in 0..3 {
        a.node.execute(task(&format!("said once {i}"))).await.unwrap();
    }
    let mut heard: Vec<WireChange> = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while heard.len() < 3 {
        match tokio::time::timeout_at(deadline, m.events.recv()).await.expect("Ana's gossip heard in time") {
            Some(NetEvent::Gossip { data, .. }) => {
                let frame = GossipFrame::decode(&data).unwrap();
                let payload = GossipPayload::decode(&key.open(&frame.nonce, &frame.sealed).unwrap()).unwrap();
                if payload.doc == DocName::Board {
                    heard.extend(payload.changes);
                }
            }
            Some(_) => {}
            None => panic!("Mallory's network stopped"),
        }
    }
    until_has(&c.node, "said once 2").await;
    // What the listener heard so far.
    let mut heard_before = Vec::new();
    while let Ok(event) = listener.events.try_recv() {
        if let NetEvent::Gossip { data, .. } = event {
            heard_before.push(data);
        }
    }
    let before = counts(&a.node).await;
    let probe = Probe::start(&a.node);
    // By gossip, under fresh seals (new messages to gossipsub, old changes to us).
    let mut replayed = Vec::new();
    for _ in 0..20 {
        let data = m.seal(community, &people, heard.clone());
        replayed.push(data.clone());
        m.net.publish(topic_for(&community), data).await.unwrap();
    }
    // By sync, each in a session of its own; and each frame twice, as a resend is.
    let board = export(&a.node, DocName::Board, community).await;
    for (session, change) in (10..).zip(&heard) {
        for _ in 0..2 {
            match m.sync_session(&a, community, &board, change, session).await {
                WireResponse::Sync(_) => {}
                other => panic!("a replay is answered as any frame: {other:?}"),
            }
        }
    }
    converge(&a, &c, "replays").await;
    let after = counts(&a.node).await;
    assert_eq!(board_count(&after), board_count(&before) + 2, "only the two tasks written meanwhile were added");
    assert!(peers_of(&a.node).await.incidents.is_empty(), "replays are no crime");
    // What Ana forwards goes on reaching the listener (her own writes and the probe's), and
    // none of it is a replay: twenty messages after the replays were sent.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut after_replays = 0;
    while after_replays < 20 {
        match tokio::time::timeout_at(deadline, listener.events.recv()).await.expect("Ana's gossip heard") {
            Some(NetEvent::Gossip { data, .. }) => {
                assert!(!replayed.contains(&data), "Ana forwarded a replay");
                if !heard_before.contains(&data) {
                    after_replays += 1;
                }
            }
            Some(_) => {}
            None => panic!("the listener's network stopped"),
        }
    }
    probe.finish("replays").await;
}

/// Mallory's computer writes honest changes — tasks with the longest descriptions, in a tight
/// loop — as a modified client would. Ana takes them up to the quota and sets the rest aside,
/// says so in words, does not ban Mallory, and takes the rest as Mallory's computer offers it
/// again in later windows: deferred, not lost. Cleo, who gets Mallory's changes from Ana only,
/// holds them to her own quota the same way, without holding it against Ana. Cleo and Ana
/// converge on their own writes meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_flooding_honest_changes_is_held_to_the_quota_and_the_rest_comes_later() {
    let quota = Quota { bytes: 96 << 10, changes: 1_000, window: Duration::from_secs(3), ..Quota::default() };
    let a = honest("Ana", NetOptions { quota, ..opts() }).await;
    a.node.execute(Request::CommunityCreate { name: "Riverside".into() }).await.unwrap();
    let link = invite(&a.node).await;
    // Half Ana's: what Ana passes on is more than Cleo takes.
    let half = Quota { bytes: 48 << 10, ..quota };
    let c = honest("Cleo", NetOptions { quota: half, ..opts() }).await;
    join(&c, &link, "Cleo").await;
    let mallory = honest("Mallory", opts()).await;
    join(&mallory, &link, "Mallory").await;
    let mut incidents = a.node.subscribe();
    let probe = Probe::start(&a.node);
    const FLOOD: usize = 60;
    let long = "x".repeat(weft_core::validate::DESCRIPTION_MAX);
    let flood = {
        let node = mallory.node.clone();
        tokio::spawn(async move {
            for i in 0..FLOOD {
                let mut request = task(&format!("flood {i}"));
                if let Request::TaskAdd { task, .. } = &mut request {
                    task.task.description = long.clone();
                }
                node.execute(request).await.unwrap();
            }
        })
    };
    let what = until_incident(&mut incidents, "the rest will be taken later").await;
    println!("{what}");
    assert!(what.starts_with("Mallory's computers sent"), "{what}");
    converge(&a, &c, "a flood of honest changes").await;
    flood.await.unwrap();
    // Deferred, not lost: every task of Mallory's reaches Ana in the windows that follow.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut events = a.node.subscribe();
    loop {
        let n = titles(&a.node).await.iter().filter(|t| t.starts_with("flood ")).count();
        if n == FLOOD {
            break;
        }
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(_) => {}
            Err(_) => panic!("Ana holds {n} of Mallory's {FLOOD} tasks after a minute"),
        }
    }
    let peers = peers_of(&a.node).await;
    assert!(
        peers.peers.iter().any(|p| p.member.as_deref() == Some("Mallory")),
        "Mallory is not let go for writing: {peers:?}"
    );
    assert!(peers.incidents.iter().all(|i| !i.contains("disconnected")), "{:?}", peers.incidents);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut events = c.node.subscribe();
    loop {
        let n = titles(&c.node).await.iter().filter(|t| t.starts_with("flood ")).count();
        if n == FLOOD {
            break;
        }
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(_) => {}
            Err(_) => panic!("Cleo holds {n} of Mallory's {FLOOD} tasks after a minute"),
        }
    }
    let incidents = peers_of(&c.node).await.incidents;
    assert!(incidents.iter().all(|i| !i.contains("disconnected")), "Cleo let Ana go: {incidents:?}");
    assert!(incidents.iter().any(|i| i.contains("Mallory's computers sent")), "{incidents:?}");
    probe.finish("a flood of honest changes").await;
}

/// Catching up from nothing is what sync is for: a newcomer takes a year of history at once,
/// however many changes each member wrote, and the quota never counts it (it counts changes
/// dated within the last `recent`, here an hour).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_catch_up_of_history_is_never_held_to_the_quota() {
    let a = honest("Ana", opts()).await;
    let demo =
        match a.node.execute(Request::Demo { members: 20, seed: 3, name: Some("Riverside".into()) }).await.unwrap() {
            Response::Demo(d) => d,
            other => panic!("{other:?}"),
        };
    let link = invite(&a.node).await;
    let quota = Quota { bytes: 64 << 10, changes: 200, recent: Duration::from_secs(3600), ..Quota::default() };
    let d = honest("Dee", NetOptions { quota, ..opts() }).await;
    join(&d, &link, "Dee").await;
    let want = titles(&a.node).await;
    until_titles(&d.node, &want).await;
    let peers = peers_of(&d.node).await;
    assert!(peers.incidents.is_empty(), "{:?}", peers.incidents);
    println!("caught up {} changes under a quota of {} changes an hour", demo.changes, quota.changes);
}

/// A member who connects and never answers: our requests to it time out (sent again twice,
/// then its session fails in words), and every other session goes on meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_peer_that_never_answers_costs_a_timeout_and_nothing_else() {
    let options = NetOptions { request_timeout: Duration::from_secs(1), ..opts() };
    let (a, c, link, _community) = founded(options).await;
    let mut m = mallory(&a, &c, &link).await;
    let asked = m.answer(Answering::Never);
    let probe = Probe::start(&a.node);
    asked.until("Ana asks Mallory", |a| a.requests() >= 3).await;
    converge(&a, &c, "a silent peer").await;
    let silent = m.net.peer_id();
    let node = a.node.clone();
    until(&a.node, "Mallory's session failed", move || {
        let node = node.clone();
        async move { problem_of(&node, &silent).await.is_some_and(|p| p.contains("no answer after 3 tries")) }
    })
    .await;
    converge(&a, &c, "after the timeouts").await;
    probe.finish("a silent peer").await;
}
