//! Hostile peers for tests: a bare weft-net swarm driven by the test, speaking Weft's protocols
//! with changes made by weft-core — and then damaged, replayed, poisoned or withheld.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use automerge::sync::{BloomFilter, ChunkList, Have, Message, MessageVersion};
use automerge::{ChangeHash, ChangeMetadata};
use tokio::sync::{mpsc, oneshot};
use weft_core::doc::membership::Membership;
use weft_core::doc::people::PeopleView;
use weft_core::doc::{DocId, DocName, Document};
use weft_core::identity::{Identity, SignedChange};
use weft_core::model::{NewTask, Urgency};
use weft_core::{CommunityId, Minutes, TaskId, Timestamp};
use weft_net::invite::InviteCode;
use weft_net::wire::{GossipFrame, GossipPayload, JoinRequest, SyncFrame, WireChange};
use weft_net::{NetConfig, NetEvent, NetHandle, PeerId, Request as Wire, Response as WireResponse, topic_for};
use weft_node::api::ExportFormatInput;
use weft_node::{Event, Node, Request, Response};

use super::{Peer, WAIT};

pub struct Evil {
    pub id: Identity,
    pub net: NetHandle,
    pub events: mpsc::Receiver<NetEvent>,
}

/// A raw peer with a fresh identity, connected to `target`.
pub async fn evil(target: &Peer) -> Evil {
    evil_as(Identity::generate().1, target).await
}

/// A raw peer with the given identity, connected to `target`.
pub async fn evil_as(id: Identity, target: &Peer) -> Evil {
    let mut config = NetConfig::new(id.device_key().to_bytes());
    config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    config.mdns = false;
    let (net, events) = weft_net::spawn(config).unwrap();
    let mut e = Evil { id, net, events };
    e.connect(target).await;
    e
}

impl Evil {
    /// Dials another peer and waits until connected.
    pub async fn connect(&mut self, target: &Peer) {
        self.net.dial(target.address.clone()).await.unwrap();
        loop {
            match tokio::time::timeout(WAIT, self.events.recv()).await.expect("connected in time") {
                Some(NetEvent::Connected(_)) => break,
                Some(_) => {}
                None => panic!("the evil peer's network stopped"),
            }
        }
    }

    /// Joins with the invitation, as any newcomer would, asking `admitter`.
    pub async fn join(&self, link: &str, admitter: &Peer) {
        let code = InviteCode::parse(link).unwrap();
        let request = Wire::Join(JoinRequest {
            invite: code.invite,
            secret: code.secret,
            member: self.id.member(),
            device: self.id.device(),
            cert: self.id.cert().0,
            name: "Mallory".into(),
        });
        let peer = admitter.node.peer_id().unwrap();
        match self.net.request(peer, request).await.unwrap() {
            WireResponse::Joined { .. } => {}
            other => panic!("{other:?}"),
        }
    }

    pub async fn wait_subscribed(&mut self, topic: &str) {
        loop {
            match tokio::time::timeout(WAIT, self.events.recv()).await.expect("subscription in time") {
                Some(NetEvent::Subscribed { topic: t, .. }) if t == topic => return,
                Some(_) => {}
                None => panic!("the evil peer's network stopped"),
            }
        }
    }

    /// Seals a payload of board changes with `people`'s current data key, as this peer can
    /// open it (a fresh nonce each time: the same changes make a new gossip message).
    pub fn seal(&self, community: CommunityId, people: &Document, changes: Vec<WireChange>) -> Vec<u8> {
        let key = Membership::read(people.automerge()).current_key(self.id.device_key()).expect("holds the key");
        let payload = GossipPayload { community, doc: DocName::Board, changes }.encode();
        let (nonce, sealed) = key.seal(&payload).unwrap();
        GossipFrame { key_id: key.id(), nonce, sealed }.encode()
    }

    /// Publishes changes on the community's topic, sealed with `people`'s current data key.
    pub async fn gossip(&mut self, community: CommunityId, people: &Document, changes: Vec<WireChange>) {
        let data = self.seal(community, people, changes);
        self.net.publish(topic_for(&community), data).await.unwrap();
    }

    /// Sends a request to a peer and waits for its answer.
    pub async fn ask(&self, to: &Peer, request: Wire) -> Result<WireResponse, weft_net::NetError> {
        self.net.request(to.node.peer_id().unwrap(), request).await
    }

    /// Sends changes to `peer` as one round of the sync protocol.
    pub async fn sync(&self, to: &Peer, community: CommunityId, board: &Document, change: &WireChange) -> WireResponse {
        self.sync_session(to, community, board, change, 1).await
    }

    /// Sends changes to `peer` as the first round of sync session `session`.
    pub async fn sync_session(
        &self,
        to: &Peer,
        community: CommunityId,
        board: &Document,
        change: &WireChange,
        session: u64,
    ) -> WireResponse {
        let message = Message {
            heads: board.heads(),
            need: Vec::new(),
            have: Vec::new(),
            changes: ChunkList::from(vec![change.bytes.clone()]),
            flags: None,
            version: MessageVersion::V1,
        };
        let hash = automerge::Change::from_bytes(change.bytes.clone()).map(|c| c.hash());
        let frame = SyncFrame {
            community,
            doc: DocName::Board,
            session,
            round: 0,
            message: Some(message.encode()),
            bundle: None,
            signatures: match (hash, change.signature) {
                (Ok(hash), Some(sig)) => vec![(hash, sig)],
                _ => Vec::new(),
            },
            changes: 1,
        };
        self.ask(to, Wire::Sync(frame)).await.unwrap()
    }

    /// Sends changes to `peer` as one round of the sync protocol, in a bundle, with the given
    /// signatures.
    pub async fn sync_bundle(
        &self,
        to: &Peer,
        community: CommunityId,
        board: &Document,
        bundle: Vec<u8>,
        signatures: Vec<(ChangeHash, [u8; 64])>,
    ) -> WireResponse {
        let message = Message {
            heads: board.heads(),
            need: Vec::new(),
            have: Vec::new(),
            changes: ChunkList::empty(),
            flags: None,
            version: MessageVersion::V1,
        };
        let frame = SyncFrame {
            community,
            doc: DocName::Board,
            session: 1,
            round: 0,
            message: Some(message.encode()),
            bundle: Some(bundle),
            signatures,
            changes: 2,
        };
        self.ask(to, Wire::Sync(frame)).await.unwrap()
    }

    /// Takes over the peer's network events: answers requests as `mode` says, in a task of its
    /// own, counting what it was asked. Gossip and other events are dropped from then on.
    pub fn answer(&mut self, mode: Answering) -> Arc<Asked> {
        let asked = Arc::new(Asked::default());
        let (stats, mut events) = (asked.clone(), std::mem::replace(&mut self.events, mpsc::channel(1).1));
        tokio::spawn(async move {
            // Replies never sent, kept so the asking peer waits for them in vain.
            let mut withheld: Vec<oneshot::Sender<WireResponse>> = Vec::new();
            let mut sessions = std::collections::BTreeMap::<u64, u64>::new();
            while let Some(event) = events.recv().await {
                let NetEvent::Request { request, reply, .. } = event else { continue };
                stats.requests.fetch_add(1, Ordering::Relaxed);
                match (&mode, request) {
                    (Answering::Never, _) => withheld.push(reply),
                    (Answering::Poison(poison), Wire::Sync(frame)) => {
                        stats.frames.fetch_add(1, Ordering::Relaxed);
                        let rounds = sessions.entry(frame.session).or_default();
                        if *rounds == 0 {
                            stats.sessions.fetch_add(1, Ordering::Relaxed);
                        }
                        *rounds += 1;
                        stats.most_rounds.fetch_max(*rounds, Ordering::Relaxed);
                        let answer = SyncFrame {
                            message: Some(poison.message(frame.doc).encode()),
                            bundle: None,
                            signatures: Vec::new(),
                            changes: u64::from(frame.round) + 1_000_000,
                            ..frame
                        };
                        let _ = reply.send(WireResponse::Sync(answer));
                    }
                    (Answering::Poison(poison), Wire::Manifest(mut m)) => {
                        // Whatever we hold, it differs from theirs: every document is synced.
                        for d in &mut m.docs {
                            d.heads = vec![poison.bogus(d.heads.len() as u64)];
                            d.changes += 1_000;
                        }
                        let _ = reply.send(WireResponse::Manifest(m));
                    }
                    (Answering::Poison(_), _) => withheld.push(reply),
                }
                stats.changed.notify_waiters();
            }
            drop(withheld);
        });
        asked
    }
}

/// How a hostile peer answers the requests it gets.
pub enum Answering {
    /// Never: every request waits in vain.
    Never,
    /// With poisoned sync messages, for ever.
    Poison(Poison),
}

/// What a hostile peer was asked.
#[derive(Debug, Default)]
pub struct Asked {
    pub requests: AtomicU64,
    pub frames: AtomicU64,
    /// The most frames one of our sessions sent it.
    pub most_rounds: AtomicU64,
    /// Sessions that sent it frames.
    pub sessions: AtomicU64,
    changed: tokio::sync::Notify,
}

impl Asked {
    /// Waits until `check` holds, looking again after every request (with a timeout).
    pub async fn until(&self, what: &str, check: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let changed = self.changed.notified();
            if check(self) {
                return;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                panic!("timed out waiting for {what}");
            }
        }
    }
    pub fn sessions(&self) -> u64 {
        self.sessions.load(Ordering::Relaxed)
    }
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }
    pub fn most_rounds(&self) -> u64 {
        self.most_rounds.load(Ordering::Relaxed)
    }
}

/// A poisoned Automerge sync message: heads nobody has, needs for changes that do not exist
/// (and for one that does), a Bloom filter that claims everything or nothing (in turn), and a
/// board change the peer already holds, every round, so the session never looks idle to a
/// careless engine.
#[derive(Clone)]
pub struct Poison {
    /// Board changes the target holds (one sent again every round; asked for by hash one at a
    /// time).
    pub known: Vec<(ChangeHash, Vec<u8>)>,
    counter: Arc<AtomicU64>,
}

impl Poison {
    pub fn new(known: Vec<(ChangeHash, Vec<u8>)>) -> Self {
        Self { known, counter: Arc::default() }
    }

    /// A hash nobody holds, new every time.
    pub fn bogus(&self, salt: u64) -> ChangeHash {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) ^ (salt << 32);
        let mut h = [0xEE; 32];
        h[..8].copy_from_slice(&n.to_le_bytes());
        ChangeHash(h)
    }

    /// The next poisoned message for a document (only the board's carry changes).
    pub fn message(&self, doc: DocName) -> Message {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) as usize;
        let mut need: Vec<ChangeHash> = (0..50).map(|i| self.bogus(i)).collect();
        let board = doc == DocName::Board && !self.known.is_empty();
        if board {
            // One real change asked for by hash each round: the target has something to send.
            need.push(self.known[n % self.known.len()].0);
        }
        Message {
            heads: vec![self.bogus(1), self.bogus(2)],
            need,
            have: vec![Have { last_sync: vec![self.bogus(3)], bloom: bloom(n.is_multiple_of(2), 1000) }],
            changes: ChunkList::from(if board { vec![self.known[0].1.clone()] } else { Vec::new() }),
            flags: None,
            version: MessageVersion::V1,
        }
    }
}

/// A valid Bloom filter of `entries` entries whose bits are all set or all clear.
pub fn bloom(all: bool, entries: u32) -> BloomFilter {
    let mut bytes = Vec::new();
    for v in [entries, 10, 7] {
        leb(&mut bytes, u64::from(v));
    }
    let bits = (entries as usize * 10).div_ceil(8);
    bytes.extend(std::iter::repeat_n(if all { 0xFF } else { 0x00 }, bits));
    BloomFilter::try_from(bytes.as_slice()).unwrap()
}

/// A Bloom filter as Automerge reads it from raw bytes, whatever they claim.
pub fn raw_bloom(entries: u64, bits_per_entry: u64, probes: u64, bits: &[u8]) -> BloomFilter {
    let mut bytes = Vec::new();
    for v in [entries, bits_per_entry, probes] {
        leb(&mut bytes, v);
    }
    bytes.extend_from_slice(bits);
    BloomFilter::try_from(bytes.as_slice()).unwrap()
}

fn leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A sync frame of `doc` carrying `message`.
pub fn frame(community: CommunityId, doc: DocName, session: u64, round: u32, message: Message) -> SyncFrame {
    SyncFrame {
        community,
        doc,
        session,
        round,
        message: Some(message.encode()),
        bundle: None,
        signatures: Vec::new(),
        changes: 0,
    }
}

/// The changes of a document with their hashes.
pub fn changes_of(doc: &Document) -> Vec<(ChangeHash, Vec<u8>)> {
    doc.automerge().get_changes(&[]).iter().map(|c| (c.hash(), c.raw_bytes().to_vec())).collect()
}

/// The metadata of a document's changes.
pub fn hashes_of(doc: &Document) -> Vec<ChangeHash> {
    doc.automerge().get_changes_meta(&[]).iter().map(|m: &ChangeMetadata<'_>| m.hash).collect()
}

pub async fn export(node: &Node, doc: DocName, community: CommunityId) -> Document {
    let data = match node
        .execute(Request::Export { community: None, format: ExportFormatInput::Automerge, doc: Some(doc) })
        .await
        .unwrap()
    {
        Response::Export(d) => d,
        other => panic!("{other:?}"),
    };
    let bytes = data_encoding::BASE64.decode(data.base64.as_bytes()).unwrap();
    Document::load(DocId { community, name: doc }, Some(&bytes), &[]).unwrap()
}

/// A task written by `who` on top of the documents as exported, signed properly.
pub fn task_change(who: &Identity, people: &Document, board: &mut Document, title: &str) -> SignedChange {
    task_change_with(who, people, board, &new_task(title))
}

/// A task as `task_change`, of any shape.
pub fn task_change_with(who: &Identity, people: &Document, board: &mut Document, task: &NewTask) -> SignedChange {
    let view = PeopleView::read(people.automerge());
    let now = now();
    board.add_task(TaskId::random(), who, task, &view, now.date(), now).unwrap()
}

/// The wall clock now.
pub fn now() -> Timestamp {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    Timestamp(i64::try_from(ms).unwrap())
}

pub fn wire(change: &SignedChange) -> WireChange {
    WireChange { bytes: change.bytes.clone(), signature: change.signature.map(|s| s.0) }
}

/// Waits for the node to report an incident whose words contain `words`.
pub async fn until_incident(events: &mut tokio::sync::broadcast::Receiver<Event>, words: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await.expect("an incident in time") {
            Ok(Event::PeerIncident { what, .. }) if what.contains(words) => return what,
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
}

pub async fn community_id(node: &Node) -> CommunityId {
    match node.execute(Request::CommunityList).await.unwrap() {
        Response::Communities(c) => c[0].id,
        other => panic!("{other:?}"),
    }
}

pub fn new_task(title: &str) -> NewTask {
    NewTask {
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
    }
}

/// The libp2p peer id of a node.
pub fn peer_id(p: &Peer) -> PeerId {
    p.node.peer_id().unwrap()
}
