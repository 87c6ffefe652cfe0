//! The node's network driver: runs weft-net's swarm and speaks Weft's protocols over it.
//!
//! - On every new connection with a member's device, and every [`RESYNC_EVERY`], both sides
//!   run a sync session per community: exchange manifests, then run Automerge's sync protocol
//!   for each document whose heads differ, people first (so authors are known before their
//!   changes arrive), until neither side has anything more to say, within [`MAX_ROUNDS`].
//! - New local changes are gossiped at once on the community's topic; a batch too large for
//!   gossip makes a sync session with every connected member instead.
//! - Every received change is verified on the state thread before it is applied or
//!   forwarded; a peer whose changes fail verification is disconnected and refused for a
//!   while, and the reason is kept for `weft peers`.
//! - A peer that is not a member's device gets nothing but the join protocol, and is
//!   disconnected after [`STRANGER_GRACE`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tracing::{debug, info, warn};
use weft_core::CommunityId;
use weft_core::doc::{DocId, DocName};
use weft_net::wire::{
    GossipFrame, GossipPayload, MAX_GOSSIP, Manifest, Refusal, RefusalCode, Request, Response, SyncFrame, WireChange,
};
use weft_net::{NetConfig, NetEvent, NetHandle, PeerId, PeerInfo, Verdict, topic_for};

use crate::Node;
use crate::api::{DocSyncStatus, Event, PeerStatus, PeersInfo, SyncStatus};
use crate::error::NodeError;
use crate::state::{Ingested, Outgoing, ReadFrame, Role, read_frame};

/// How often connected members are synced even when gossip seems to carry everything.
pub const RESYNC_EVERY: Duration = Duration::from_secs(30);
/// The most request/response rounds one document's sync session may take.
pub const MAX_ROUNDS: u32 = 2_000;
/// How long a peer that is not a member may stay connected (to join).
pub const STRANGER_GRACE: Duration = Duration::from_secs(60);
/// What sealing and framing add to a gossip payload.
const GOSSIP_OVERHEAD: usize = weft_core::crypto::SEAL_OVERHEAD + 64;
/// How long after admitting a newcomer we leave the syncing to it.
const NEWCOMER_DRIVES: Duration = Duration::from_secs(60);
/// How long a peer that sent invalid changes is refused.
pub const BAN_FOR: Duration = Duration::from_secs(600);

/// How the network is started.
#[derive(Debug, Clone)]
pub struct NetOptions {
    pub listen: Vec<weft_net::Multiaddr>,
    pub connect: Vec<weft_net::Multiaddr>,
    /// This peer's public addresses, if it has any (an always-on server): announced, and
    /// they make it relay for members behind NAT.
    pub external: Vec<weft_net::Multiaddr>,
    pub mdns: bool,
    pub resync_every: Duration,
    /// Batches of new changes larger than this go by sync instead of gossip.
    pub gossip_limit: usize,
    /// Reserve a slot on peers that relay, while we have no public address.
    pub auto_relay: bool,
}

impl Default for NetOptions {
    fn default() -> Self {
        Self {
            listen: Vec::new(),
            connect: Vec::new(),
            external: Vec::new(),
            mdns: true,
            resync_every: RESYNC_EVERY,
            gossip_limit: MAX_GOSSIP,
            auto_relay: true,
        }
    }
}

/// Something that went wrong with a peer, kept after the peer is gone.
#[derive(Debug, Clone)]
struct Incident {
    peer: PeerId,
    member: Option<String>,
    what: String,
}

/// How many past incidents `weft peers` shows.
const INCIDENTS: usize = 20;

#[derive(Debug, Default)]
struct PeerEntry {
    info: Option<PeerInfo>,
    member: Option<String>,
    docs: BTreeMap<DocId, SyncStatus>,
    problem: Option<String>,
}

/// What the driver knows of each peer, shared with whoever asks (`weft peers`).
#[derive(Debug, Default)]
pub(crate) struct PeerBook {
    peers: HashMap<PeerId, PeerEntry>,
    listening: Vec<String>,
    /// Document sessions running: whether another round was asked for meanwhile, and the
    /// signal its end sends to whoever waits for it.
    running: HashMap<(PeerId, DocId), Running>,
    /// Peers we just admitted: they start the sessions that bring them everything, and ours
    /// would send it all a second time.
    newcomers: HashMap<PeerId, std::time::Instant>,
    incidents: std::collections::VecDeque<Incident>,
}

#[derive(Debug)]
struct Running {
    again: bool,
    done: tokio::sync::watch::Sender<bool>,
}

/// The running network, held by the node.
#[derive(Debug, Clone)]
pub(crate) struct NetLink {
    pub handle: NetHandle,
    book: Arc<Mutex<PeerBook>>,
    /// Bumped on every new connection.
    connected: tokio::sync::watch::Receiver<u64>,
}

fn lock(book: &Mutex<PeerBook>) -> std::sync::MutexGuard<'_, PeerBook> {
    book.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl NetLink {
    pub(crate) async fn peers(&self) -> PeersInfo {
        // The swarm's view is live (a hole punch's direct address, the last ping); the book's
        // is what was true when the peer connected.
        let live: HashMap<PeerId, PeerInfo> =
            self.handle.peers().await.unwrap_or_default().into_iter().map(|p| (p.peer, p)).collect();
        let book = lock(&self.book);
        let mut peers: Vec<PeerStatus> = book
            .peers
            .iter()
            .filter_map(|(id, e)| {
                let info = live.get(id).or(e.info.as_ref())?;
                Some(PeerStatus {
                    peer_id: id.to_string(),
                    device: info.device,
                    member: e.member.clone(),
                    found_by: info.how.as_str().to_owned(),
                    address: info.address.to_string(),
                    rtt_ms: info.rtt.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                    docs: e
                        .docs
                        .iter()
                        .map(|(doc, state)| DocSyncStatus {
                            community: doc.community,
                            doc: doc.name,
                            state: state.clone(),
                        })
                        .collect(),
                    problem: e.problem.clone(),
                })
            })
            .collect();
        peers.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        PeersInfo {
            online: true,
            peer_id: Some(self.handle.peer_id().to_string()),
            listening: book.listening.clone(),
            peers,
            incidents: book
                .incidents
                .iter()
                .map(|i| {
                    let who = i.member.clone().unwrap_or_else(|| format!("peer {}", i.peer));
                    format!("{who}: {}", i.what)
                })
                .collect(),
        }
    }
}

#[derive(Clone)]
struct Ctx {
    node: Node,
    net: NetHandle,
    book: Arc<Mutex<PeerBook>>,
    gossip_limit: usize,
}

/// The driver's own state besides the shared context.
struct Driver {
    ctx: Ctx,
    connected: tokio::sync::watch::Sender<u64>,
}

impl Ctx {
    /// Notes how a document stands with a peer; a change of state is an event (the UI shows
    /// sync progress live).
    fn set_doc(&self, peer: PeerId, doc: DocId, state: SyncStatus) {
        let old = lock(&self.book).peers.entry(peer).or_default().docs.insert(doc, state.clone());
        if old.as_ref() != Some(&state) {
            let _ = self.node.events.send(Event::NetworkChanged);
        }
    }

    fn set_problem(&self, peer: PeerId, problem: Option<String>) {
        lock(&self.book).peers.entry(peer).or_default().problem = problem;
    }

    async fn state<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut crate::state::State) -> R + Send + 'static,
    ) -> Result<R, NodeError> {
        self.node.call(f).await
    }

    /// Disconnects and refuses a peer that sent changes failing verification.
    async fn penalise(&self, peer: PeerId, why: String) {
        warn!(%peer, %why, "peer sent invalid changes; disconnecting it");
        let what = format!("disconnected: it sent a change that failed verification ({why})");
        self.set_problem(peer, Some(what.clone()));
        {
            let mut book = lock(&self.book);
            let member = book.peers.get(&peer).and_then(|e| e.member.clone());
            if book.incidents.len() >= INCIDENTS {
                book.incidents.pop_front();
            }
            book.incidents.push_back(Incident { peer, member, what: what.clone() });
        }
        let _ = self.node.events.send(Event::PeerIncident { peer: peer.to_string(), what });
        let _ = self.net.ban(peer, BAN_FOR).await;
    }
}

fn rejection_words(report: &Ingested) -> Option<String> {
    let first = report.rejected.first()?;
    let hash = first.hash.map(|h| h.to_string()).unwrap_or_default();
    Some(format!(
        "{} change(s) of {} rejected, first {}: {}",
        report.rejected.len(),
        first.doc,
        hash.get(..8).unwrap_or("(unreadable)"),
        first.why
    ))
}

impl Node {
    /// Starts the network for this node: listens, dials, discovers, syncs and gossips until
    /// the node is closed. Returns the peer id.
    pub async fn start_network(&self, options: NetOptions) -> Result<PeerId, NodeError> {
        let key = self.call(|s| s.device_key()).await??;
        let mut config = NetConfig::new(key);
        config.listen = options.listen;
        config.connect = options.connect;
        config.external = options.external;
        config.mdns = options.mdns;
        config.auto_relay = options.auto_relay;
        let (handle, events) = weft_net::spawn(config).map_err(|e| NodeError::Network(e.to_string()))?;
        let (out_tx, out_rx) = mpsc::channel(1024);
        let communities = self
            .call(move |s| {
                s.set_outgoing(Some(out_tx));
                let ids = s.community_ids();
                for c in &ids {
                    if let Err(e) = s.ensure_epoch(*c) {
                        warn!(%e, community = %c.short(), "could not start the community's data key");
                    }
                }
                ids
            })
            .await?;
        let book = Arc::new(Mutex::new(PeerBook::default()));
        for c in communities {
            let _ = handle.subscribe(topic_for(&c)).await;
        }
        let ctx =
            Ctx { node: self.clone(), net: handle.clone(), book: book.clone(), gossip_limit: options.gossip_limit };
        let node_events = self.subscribe();
        let (connected_tx, connected) = tokio::sync::watch::channel(0u64);
        let driver = Driver { ctx, connected: connected_tx };
        tokio::spawn(drive(driver, events, out_rx, node_events, options.resync_every));
        let peer_id = handle.peer_id();
        *self.net.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(NetLink { handle, book, connected });
        info!(%peer_id, "network started");
        Ok(peer_id)
    }

    pub(crate) fn net_link(&self) -> Option<NetLink> {
        self.net.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Bytes of sync frames sent and received since the network started.
    pub fn sync_traffic(&self) -> Option<(u64, u64)> {
        self.net_link().map(|l| l.handle.sync_traffic())
    }

    /// This node's peer id, while the network runs.
    pub fn peer_id(&self) -> Option<PeerId> {
        self.net_link().map(|l| l.handle.peer_id())
    }

    /// The addresses the network listens on (waits for the first one).
    pub async fn listen_addresses(&self) -> Result<Vec<weft_net::Multiaddr>, NodeError> {
        let link = self.net_link().ok_or_else(|| NodeError::Network("the network is not running".into()))?;
        link.handle.addresses().await.map_err(|e| NodeError::Network(e.to_string()))
    }

    /// Listens on one more address, e.g. a relay's circuit
    /// (`/ip4/…/tcp/…/p2p/RELAY/p2p-circuit`).
    pub async fn listen(&self, address: weft_net::Multiaddr) -> Result<(), NodeError> {
        let link = self.net_link().ok_or_else(|| NodeError::Network("the network is not running".into()))?;
        link.handle.listen(address).await.map_err(|e| NodeError::Network(e.to_string()))
    }

    /// Announces a public address of this peer (it then relays for members behind NAT).
    pub async fn add_external_address(&self, address: weft_net::Multiaddr) -> Result<(), NodeError> {
        let link = self.net_link().ok_or_else(|| NodeError::Network("the network is not running".into()))?;
        link.handle.add_external(address).await.map_err(|e| NodeError::Network(e.to_string()))
    }

    /// Connects to a peer at an address.
    pub async fn dial(&self, address: weft_net::Multiaddr) -> Result<(), NodeError> {
        let link = self.net_link().ok_or_else(|| NodeError::Network("the network is not running".into()))?;
        link.handle.dial(address).await.map_err(|e| NodeError::Network(e.to_string()))
    }

    /// Stops the network (the swarm closes its connections).
    pub async fn stop_network(&self) {
        let link = self.net.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(link) = link {
            link.handle.shutdown().await;
            let _ = self.call(|s| s.set_outgoing(None)).await;
        }
    }
}

async fn drive(
    driver: Driver,
    mut events: mpsc::Receiver<NetEvent>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    mut node_events: broadcast::Receiver<Event>,
    resync_every: Duration,
) {
    let ctx = driver.ctx.clone();
    let (gossip_tx, mut gossip_rx) = mpsc::channel::<(PeerId, weft_net::MessageId, Vec<u8>)>(1024);
    {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            while let Some((source, id, data)) = gossip_rx.recv().await {
                let verdict = on_gossip(&ctx, source, data).await;
                let _ = ctx.net.judge(id, source, verdict).await;
            }
        });
    }
    let mut tick = tokio::time::interval(resync_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => {
                    if matches!(event, NetEvent::Connected(_)) {
                        driver.connected.send_modify(|n| *n += 1);
                    }
                    if matches!(event, NetEvent::Connected(_) | NetEvent::Disconnected { .. } | NetEvent::Listening(_)) {
                        let _ = ctx.node.events.send(Event::NetworkChanged);
                    }
                    on_event(&ctx, &gossip_tx, event)
                }
                None => {
                    debug!("network stopped; driver ends");
                    return;
                }
            },
            Some(out) = outgoing.recv() => {
                let ctx = ctx.clone();
                tokio::spawn(async move { publish(&ctx, out).await });
            }
            event = node_events.recv() => match event {
                Ok(Event::CommunityAdded { community }) => {
                    let _ = ctx.net.subscribe(topic_for(&community)).await;
                    let peers: Vec<PeerId> = lock(&ctx.book).peers.keys().copied().collect();
                    for peer in peers {
                        tokio::spawn(sync_peer(ctx.clone(), peer, community));
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                tokio::spawn(reach_members(ctx.clone()));
                let peers: Vec<PeerId> = lock(&ctx.book).peers.keys().copied().collect();
                for peer in peers {
                    tokio::spawn(sync_all(ctx.clone(), peer));
                }
            }
        }
    }
}

fn on_event(ctx: &Ctx, gossip: &mpsc::Sender<(PeerId, weft_net::MessageId, Vec<u8>)>, event: NetEvent) {
    match event {
        NetEvent::Listening(address) => {
            // A relay slot: the other members who hold one on the same relay are reachable now.
            if address.iter().any(|p| p == weft_net::multiaddr::Protocol::P2pCircuit) {
                tokio::spawn(reach_members(ctx.clone()));
            }
            lock(&ctx.book).listening.push(address.to_string());
        }
        NetEvent::Connected(info) => {
            let peer = info.peer;
            lock(&ctx.book).peers.entry(peer).or_default().info = Some(info);
            // One side starts the sessions of a new connection (both would send everything
            // twice); the other only finds out who it is. The periodic round covers both.
            let initiate = ctx.net.peer_id() < peer;
            tokio::spawn(meet(ctx.clone(), peer, initiate));
        }
        NetEvent::Disconnected { peer } => {
            let device = {
                let mut book = lock(&ctx.book);
                let device = book.peers.remove(&peer).and_then(|e| e.info.and_then(|i| i.device));
                book.running.retain(|(p, _), _| *p != peer);
                book.newcomers.remove(&peer);
                device
            };
            if let Some(device) = device {
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    let _ = ctx.state(move |s| s.sync_forget(device)).await;
                });
            }
        }
        NetEvent::Request { peer, request, reply } => {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let response = answer(&ctx, peer, request).await;
                let _ = reply.send(response);
            });
        }
        NetEvent::Gossip { source, id, data } => {
            // One at a time, in the order they came: a new member's or a new key's change
            // usually comes just before the changes that need it.
            if gossip.try_send((source, id.clone(), data)).is_err() {
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    debug!("gossip queue full; the next sync carries what was dropped");
                    let _ = ctx.net.judge(id, source, Verdict::Ignore).await;
                });
            }
        }
        NetEvent::DialFailed { address, error } => {
            warn!(?address, %error, "could not connect");
        }
        NetEvent::Subscribed { .. } => {}
    }
}

/// Dials, through the relays we hold a slot on, every device of a fellow member we are not
/// connected to: members at home behind NAT are reachable only there (a relay that does not
/// hold the device's slot just says no).
async fn reach_members(ctx: Ctx) {
    let devices = ctx
        .state(|s| {
            let mut devices = std::collections::BTreeSet::new();
            for c in s.community_ids() {
                if let Some(people) = s.people_view(c) {
                    devices.extend(people.current_members().flat_map(|m| m.devices.keys().copied()));
                }
            }
            devices
        })
        .await
        .unwrap_or_default();
    let me = ctx.net.peer_id();
    for device in devices {
        let Some(peer) = weft_net::peer_of(&device) else { continue };
        if peer != me && !lock(&ctx.book).peers.contains_key(&peer) {
            let _ = ctx.net.dial_via_relays(peer).await;
        }
    }
}

/// Syncs every community we share with a peer; disconnects strangers after a grace period.
async fn sync_all(ctx: Ctx, peer: PeerId) {
    meet(ctx, peer, true).await;
}

/// Finds out who a peer is (pulling its people document if it may have been admitted after
/// ours was written), disconnects strangers after a grace period, and, if `initiate`, syncs
/// every community we share with it.
async fn meet(ctx: Ctx, peer: PeerId, initiate: bool) {
    let Some(mut communities) = identify(&ctx, peer).await else { return };
    if communities.is_empty() {
        // Maybe our people document is older than its admission: take the peer's (verified
        // change by change; we send it nothing) and look again.
        let ours = ctx.state(|s| s.community_ids()).await.unwrap_or_default();
        for c in ours {
            let _ = sync_doc_once(&ctx, peer, DocId { community: c, name: DocName::People }, Role::Pull).await;
        }
        communities = identify(&ctx, peer).await.unwrap_or_default();
    }
    if communities.is_empty() {
        let Some(device) = weft_net::device_of(&peer) else { return };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(STRANGER_GRACE).await;
            let still = ctx.state(move |s| s.communities_of_device(&device).is_empty()).await.unwrap_or(true);
            if still {
                debug!(%peer, "disconnecting a peer that is not a member");
                let _ = ctx.net.disconnect(peer).await;
            }
        });
        return;
    }
    let newcomer = lock(&ctx.book).newcomers.get(&peer).is_some_and(|t| t.elapsed() < NEWCOMER_DRIVES);
    if !initiate || newcomer {
        return;
    }
    for community in communities {
        sync_peer(ctx.clone(), peer, community).await;
    }
}

/// Finds out which of our communities a peer's device belongs to, and notes who it is.
async fn identify(ctx: &Ctx, peer: PeerId) -> Option<Vec<CommunityId>> {
    let Some(device) = weft_net::device_of(&peer) else {
        ctx.set_problem(peer, Some("not a Weft peer (its id is not a device key)".into()));
        let _ = ctx.net.disconnect(peer).await;
        return None;
    };
    let (communities, name) = ctx
        .state(move |s| {
            let cs = s.communities_of_device(&device);
            let name = cs.first().and_then(|c| s.member_name_of_device(*c, &device));
            (cs, name)
        })
        .await
        .ok()?;
    let mut book = lock(&ctx.book);
    let e = book.peers.entry(peer).or_default();
    if communities.is_empty() {
        e.problem = Some("not a member of any of our communities (yet)".into());
    } else {
        e.member = name;
        if e.problem.as_deref().is_some_and(|p| p.starts_with("not a member")) {
            e.problem = None;
        }
    }
    Some(communities)
}

/// One sync session with a peer for one community: manifests, then each differing document.
async fn sync_peer(ctx: Ctx, peer: PeerId, community: CommunityId) {
    let Ok(Ok(mine)) = ctx.state(move |s| s.manifest(community)).await else { return };
    let theirs = match ctx.net.request(peer, Request::Manifest(mine.clone())).await {
        Ok(Response::Manifest(m)) if m.community == community => m,
        Ok(Response::Refused(r)) => {
            ctx.set_problem(peer, Some(format!("it refused to sync: {}", r.reason)));
            return;
        }
        Ok(other) => {
            ctx.set_problem(peer, Some(format!("it answered a manifest with {}", kind(&other))));
            return;
        }
        Err(e) => {
            ctx.set_problem(peer, Some(format!("sync failed: {e}")));
            return;
        }
    };
    note_manifests(&ctx, peer, &mine, &theirs);
    // A manifest answered: whatever went wrong before is over.
    ctx.set_problem(peer, None);
    // People first: membership decides whether the rest verifies. Then the other documents at
    // once, so the peer prepares the next one while we verify the one before.
    let (people, rest): (Vec<DocName>, Vec<DocName>) =
        docs_to_sync(&mine, &theirs).into_iter().partition(|n| *n == DocName::People);
    for name in people {
        sync_doc(ctx.clone(), peer, DocId { community, name }).await;
    }
    let mut sessions = tokio::task::JoinSet::new();
    for name in rest {
        sessions.spawn(sync_doc(ctx.clone(), peer, DocId { community, name }));
    }
    while sessions.join_next().await.is_some() {}
}

/// Notes, from a peer's manifest and ours, which documents are in sync and how far behind
/// we are on the others (the peer is about to sync them with us).
fn note_manifests(ctx: &Ctx, peer: PeerId, mine: &Manifest, theirs: &Manifest) {
    let differ = docs_to_sync(mine, theirs);
    let ours: BTreeMap<DocName, u64> = mine.docs.iter().map(|d| (d.name, d.changes)).collect();
    for d in &theirs.docs {
        let doc = DocId { community: theirs.community, name: d.name };
        let state = if !differ.contains(&d.name) {
            SyncStatus::InSync
        } else {
            match d.changes.checked_sub(ours.get(&d.name).copied().unwrap_or(0)) {
                Some(n) if n > 0 => SyncStatus::Behind { changes: n },
                _ => SyncStatus::Syncing,
            }
        };
        ctx.set_doc(peer, doc, state);
    }
}

/// The documents whose heads differ, people first, then the board, then ledgers by year.
fn docs_to_sync(mine: &Manifest, theirs: &Manifest) -> Vec<DocName> {
    let mut names: BTreeMap<DocName, (Vec<_>, Vec<_>)> = BTreeMap::new();
    for d in &mine.docs {
        names.entry(d.name).or_default().0 = sorted(&d.heads);
    }
    for d in &theirs.docs {
        names.entry(d.name).or_default().1 = sorted(&d.heads);
    }
    names.into_iter().filter(|(_, (a, b))| a != b).map(|(n, _)| n).collect()
}

fn sorted(heads: &[automerge::ChangeHash]) -> Vec<automerge::ChangeHash> {
    let mut h = heads.to_vec();
    h.sort();
    h
}

fn kind(r: &Response) -> &'static str {
    match r {
        Response::Manifest(_) => "a manifest",
        Response::Sync(_) => "a sync frame",
        Response::Joined { .. } => "a join answer",
        Response::Refused(_) => "a refusal",
    }
}

/// Runs Automerge's sync protocol for one document with one peer until neither side has
/// anything more to send. One session per (peer, document) at a time; a request for another
/// while one runs makes it go round once more.
/// Syncs one document with a peer. If a session for it is already running, asks it for one
/// more round and waits until it ends: whoever calls this (joining, above all) can count on
/// the document being in sync when it returns.
async fn sync_doc(ctx: Ctx, peer: PeerId, doc: DocId) {
    let waiting = {
        let mut book = lock(&ctx.book);
        match book.running.get_mut(&(peer, doc)) {
            Some(running) => {
                running.again = true;
                Some(running.done.subscribe())
            }
            None => {
                book.running.insert((peer, doc), Running { again: false, done: tokio::sync::watch::channel(false).0 });
                None
            }
        }
    };
    if let Some(mut done) = waiting {
        // Ends with the session, or when the peer disconnects (the sender is dropped).
        let _ = done.wait_for(|d| *d).await;
        return;
    }
    loop {
        let result = sync_doc_once(&ctx, peer, doc, Role::Initiator).await;
        match result {
            Ok(()) => ctx.set_doc(peer, doc, SyncStatus::InSync),
            Err(reason) => {
                debug!(%peer, %doc, %reason, "sync failed");
                ctx.set_doc(peer, doc, SyncStatus::Failed { reason });
            }
        }
        let mut book = lock(&ctx.book);
        match book.running.get_mut(&(peer, doc)) {
            Some(running) if running.again => running.again = false,
            _ => {
                if let Some(running) = book.running.remove(&(peer, doc)) {
                    running.done.send_replace(true);
                }
                return;
            }
        }
    }
}

async fn sync_doc_once(ctx: &Ctx, peer: PeerId, doc: DocId, role: Role) -> Result<(), String> {
    let device = weft_net::device_of(&peer).ok_or("not a device")?;
    if role != Role::Pull {
        ctx.set_doc(peer, doc, SyncStatus::Syncing);
    }
    let mut first = true;
    let mut their_last_empty = false;
    for _ in 0..MAX_ROUNDS {
        let frame = ctx
            .state(move |s| s.sync_generate(device, doc, role, first))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|r| r.reason)?;
        if frame.message.is_none() && their_last_empty && !first {
            return Ok(());
        }
        let mine = frame.changes;
        let response = ctx.net.request(peer, Request::Sync(frame)).await.map_err(|e| e.to_string())?;
        let theirs = match response {
            Response::Sync(f) if f.community == doc.community && f.doc == doc.name => f,
            Response::Refused(r) => return Err(format!("the peer refused: {}", r.reason)),
            other => return Err(format!("the peer answered with {}", kind(&other))),
        };
        their_last_empty = theirs.message.is_none();
        if theirs.changes > mine && role != Role::Pull {
            ctx.set_doc(peer, doc, SyncStatus::Behind { changes: theirs.changes - mine });
        }
        let theirs = read_off_state_thread(theirs).await.map_err(|r| r.reason)?;
        let report = ctx
            .state(move |s| s.sync_receive(device, theirs, role))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|r| r.reason)?;
        if let Some(words) = rejection_words(&report) {
            ctx.penalise(peer, words.clone()).await;
            return Err(words);
        }
        if report.applied > 0 {
            spread(ctx, doc, peer);
        }
        first = false;
    }
    Err(format!("gave up after {MAX_ROUNDS} rounds"))
}

/// Reads a sync frame on a blocking thread: parsing a big frame takes tens of milliseconds,
/// too long for the network's tasks, and the state thread may meanwhile take in the frame
/// before.
async fn read_off_state_thread(frame: SyncFrame) -> Result<ReadFrame, Refusal> {
    tokio::task::spawn_blocking(move || read_frame(frame)).await.unwrap_or_else(|e| {
        Err(Refusal { code: RefusalCode::Internal, reason: format!("reading the frame failed: {e}") })
    })
}

/// Changes that arrived by sync (not gossip, which forwards by itself) go on to the other
/// connected peers: a sync session with each, which ends at once where nothing is new.
fn spread(ctx: &Ctx, doc: DocId, from: PeerId) {
    let peers: Vec<PeerId> = lock(&ctx.book).peers.keys().copied().filter(|p| *p != from).collect();
    for peer in peers {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let Some(device) = weft_net::device_of(&peer) else { return };
            if ctx.state(move |s| s.is_member_device(doc.community, &device)).await.unwrap_or(false) {
                sync_doc(ctx, peer, doc).await;
            }
        });
    }
}

/// Answers a peer's request.
async fn answer(ctx: &Ctx, peer: PeerId, request: Request) -> Response {
    let Some(device) = weft_net::device_of(&peer) else {
        return refused(RefusalCode::NotAMember, "not a device key");
    };
    match request {
        Request::Manifest(theirs) => {
            let community = theirs.community;
            let theirs_kept = theirs.clone();
            let result = ctx
                .state(move |s| {
                    if !s.is_member_device(community, &device) {
                        return Err(Refusal {
                            code: RefusalCode::NotAMember,
                            reason: "you are not a member of this community (yet)".into(),
                        });
                    }
                    s.manifest(community)
                })
                .await;
            match result {
                Ok(Ok(m)) => {
                    note_manifests(ctx, peer, &m, &theirs_kept);
                    Response::Manifest(m)
                }
                Ok(Err(r)) => Response::Refused(r),
                Err(e) => refused(RefusalCode::Internal, e.to_string()),
            }
        }
        Request::Sync(frame) => {
            let doc = DocId { community: frame.community, name: frame.doc };
            let frame = match read_off_state_thread(frame).await {
                Ok(f) => f,
                Err(r) => return Response::Refused(r),
            };
            let result = ctx
                .state(move |s| {
                    let report = s.sync_receive(device, frame, Role::Responder)?;
                    let reply = s.sync_generate(device, doc, Role::Responder, false)?;
                    Ok::<_, Refusal>((report, reply))
                })
                .await;
            match result {
                Ok(Ok((report, reply))) => {
                    if let Some(words) = rejection_words(&report) {
                        let ctx = ctx.clone();
                        tokio::spawn(async move { ctx.penalise(peer, words).await });
                        return refused(RefusalCode::Invalid, "changes failed verification");
                    }
                    if report.applied > 0 {
                        spread(ctx, doc, peer);
                    }
                    Response::Sync(reply)
                }
                Ok(Err(r)) => Response::Refused(r),
                Err(e) => refused(RefusalCode::Internal, e.to_string()),
            }
        }
        Request::Join(join) => {
            // The newcomer starts the sync. Noted before the admission is written: our own
            // look at this new connection (`meet`) may find the admission at once, and would
            // then start sessions of its own that send everything a second time.
            lock(&ctx.book).newcomers.insert(peer, std::time::Instant::now());
            let result = ctx.state(move |s| s.admit_by_invite(device, join)).await;
            if !matches!(result, Ok(Ok(_))) {
                lock(&ctx.book).newcomers.remove(&peer);
            }
            match result {
                Ok(Ok(community)) => {
                    let ctx = ctx.clone();
                    tokio::spawn(async move { identify(&ctx, peer).await });
                    Response::Joined { community }
                }
                Ok(Err(r)) => Response::Refused(r),
                Err(e) => refused(RefusalCode::Internal, e.to_string()),
            }
        }
    }
}

fn refused(code: RefusalCode, reason: impl Into<String>) -> Response {
    Response::Refused(Refusal { code, reason: reason.into() })
}

/// Judges a gossip message: opens it, verifies and applies its changes.
async fn on_gossip(ctx: &Ctx, source: PeerId, data: Vec<u8>) -> Verdict {
    let frame = match GossipFrame::decode(&data) {
        Ok(f) => f,
        Err(e) => {
            ctx.penalise(source, format!("an unreadable gossip frame: {e}")).await;
            return Verdict::Reject;
        }
    };
    let opened = ctx.state(move |s| s.open_gossip(&frame)).await;
    let payload = match opened {
        Ok(Ok(Some((community, bytes)))) => match GossipPayload::decode(&bytes) {
            Ok(p) if p.community == community => p,
            Ok(_) => {
                ctx.penalise(source, "a gossip payload for another community than its key's".into()).await;
                return Verdict::Reject;
            }
            Err(e) => {
                ctx.penalise(source, format!("a gossip payload that does not decode: {e}")).await;
                return Verdict::Reject;
            }
        },
        // Sealed with a key we do not hold (yet): not for us, or our people document is
        // behind (a new key, or our own admission): a sync with the sender tells.
        Ok(Ok(None)) => {
            tokio::spawn(sync_all(ctx.clone(), source));
            return Verdict::Ignore;
        }
        Ok(Err(e)) => {
            ctx.penalise(source, e).await;
            return Verdict::Reject;
        }
        Err(_) => return Verdict::Ignore,
    };
    let (community, doc) = (payload.community, payload.doc);
    let ingested = ctx
        .state(move |s| {
            let mut report = Ingested::default();
            let changes = crate::state::parse_wire(payload.doc, payload.changes, &mut report);
            s.ingest(payload.community, payload.doc, changes).map(|mut r| {
                r.rejected.extend(report.rejected);
                r
            })
        })
        .await;
    match ingested {
        Ok(Ok(report)) => {
            if let Some(words) = rejection_words(&report) {
                ctx.penalise(source, words).await;
                return Verdict::Reject;
            }
            if report.waiting > 0 {
                // Its parents or author are unknown here: the peer that sent it has them.
                tokio::spawn(sync_doc(ctx.clone(), source, DocId { community, name: doc }));
                return Verdict::Ignore;
            }
            Verdict::Accept
        }
        _ => Verdict::Ignore,
    }
}

/// Gossips new local changes, or syncs them to every connected member when too large.
async fn publish(ctx: &Ctx, out: Outgoing) {
    let payload = GossipPayload {
        community: out.community,
        doc: out.doc,
        changes: out
            .changes
            .iter()
            .map(|c| WireChange { bytes: c.bytes.clone(), signature: c.signature.map(|s| s.0) })
            .collect(),
    };
    let bytes = payload.encode();
    let doc = DocId { community: out.community, name: out.doc };
    if bytes.len() + GOSSIP_OVERHEAD <= ctx.gossip_limit.min(MAX_GOSSIP) {
        let community = out.community;
        match ctx.state(move |s| s.seal_gossip(community, &bytes)).await {
            Ok(Ok(frame)) => match ctx.net.publish(topic_for(&community), frame.encode()).await {
                Ok(()) => return,
                Err(e) => warn!(%e, "could not gossip a change; syncing it instead"),
            },
            Ok(Err(e)) => warn!(%e, "could not seal a change for gossip; syncing it instead"),
            Err(_) => return,
        }
    } else {
        debug!(bytes = bytes.len(), doc = %doc, "too large for gossip; syncing it instead");
    }
    let peers: Vec<PeerId> = lock(&ctx.book).peers.keys().copied().collect();
    for peer in peers {
        let Some(device) = weft_net::device_of(&peer) else { continue };
        let member = ctx.state(move |s| s.is_member_device(doc.community, &device)).await.unwrap_or(false);
        if member {
            tokio::spawn(sync_doc(ctx.clone(), peer, doc));
        }
    }
}

impl Node {
    /// Creates an invitation and the code and link that carry it.
    pub(crate) async fn invite(
        &self,
        community: Option<String>,
        uses: u32,
        hours: u32,
    ) -> Result<crate::api::Response, crate::error::ApiError> {
        if hours == 0 || hours > 24 * 365 {
            return Err(NodeError::BadRequest(format!(
                "an invitation is valid from 1 hour to a year, not {hours} hours"
            ))
            .into());
        }
        let valid_for = i64::from(hours) * 3_600_000;
        let new = self.call(move |s| s.create_invite(community.as_deref(), uses, valid_for)).await??;
        let c = new.community;
        let community_name = self.call(move |s| s.people_view(c).map(|p| p.name.clone()).unwrap_or_default()).await?;
        let addresses = match self.net_link() {
            Some(link) => link.handle.addresses().await.unwrap_or_default(),
            None => Vec::new(),
        };
        // Loopback addresses help nobody on another machine; keep them only if there is
        // nothing else (tests on one host).
        let mut shared: Vec<weft_net::Multiaddr> = addresses.iter().filter(|a| !is_loopback(a)).cloned().collect();
        if shared.is_empty() {
            shared = addresses;
        }
        shared.truncate(weft_net::invite::MAX_ADDRESSES);
        let code = weft_net::invite::InviteCode {
            invite: *new.invite.as_bytes(),
            secret: new.secret,
            community: Some(c),
            addresses: shared.clone(),
        };
        Ok(crate::api::Response::Invite(crate::api::InviteInfo {
            community: c,
            community_name,
            code: code.short(),
            link: code.link(),
            addresses: shared.iter().map(ToString::to_string).collect(),
            expires: new.expires,
            uses: new.uses,
        }))
    }

    /// Joins a community with an invitation: reaches a member (by the link's addresses or
    /// on the LAN), asks to be admitted, then syncs the community's documents from them.
    pub(crate) async fn join(&self, text: &str, name: Option<String>) -> Result<crate::api::Response, NodeError> {
        let code = weft_net::invite::InviteCode::parse(text).map_err(|e| NodeError::BadRequest(e.to_string()))?;
        let link = self.net_link().ok_or_else(|| {
            NodeError::Network("joining needs the network: run `weft serve`, or `weft join` without it running".into())
        })?;
        let me = self.call(move |s| s.identity_for_join(name.as_deref())).await??;
        for address in &code.addresses {
            if let Err(e) = link.handle.dial(address.clone()).await {
                debug!(%address, %e, "could not dial an invitation address");
            }
        }
        let mut connected = link.connected.clone();
        let deadline = tokio::time::Instant::now() + JOIN_TIMEOUT;
        let mut tried = std::collections::HashSet::new();
        let mut last_refusal: Option<String> = None;
        let mut retry = false;
        loop {
            let peers = link.handle.peers().await.map_err(|e| NodeError::Network(e.to_string()))?;
            let fresh: Vec<PeerInfo> = peers.into_iter().filter(|p| tried.insert(p.peer)).collect();
            for p in fresh {
                let request = Request::Join(weft_net::wire::JoinRequest {
                    invite: code.invite,
                    secret: code.secret,
                    member: me.member,
                    device: me.device,
                    cert: me.cert,
                    name: me.name.clone(),
                });
                match link.handle.request(p.peer, request).await {
                    Ok(Response::Joined { community }) => {
                        if code.community.is_some_and(|c| c != community) {
                            last_refusal = Some("a peer admitted us to another community than the link's".into());
                            continue;
                        }
                        let device =
                            weft_net::device_of(&p.peer).ok_or_else(|| NodeError::Network("bad peer".into()))?;
                        self.call(move |s| s.begin_join(community, device)).await??;
                        let ctx = Ctx {
                            node: self.clone(),
                            net: link.handle.clone(),
                            book: link.book.clone(),
                            gossip_limit: MAX_GOSSIP,
                        };
                        sync_peer(ctx.clone(), p.peer, community).await;
                        identify(&ctx, p.peer).await;
                        let joined = self.call(move |s| s.is_joined(community)).await?;
                        if !joined {
                            return Err(NodeError::Network(
                                "we were admitted but the community's documents did not arrive; keep `weft serve` \
                                 running and they will"
                                    .into(),
                            ));
                        }
                        let info = self.call(move |s| s.community_info(community)).await??;
                        return Ok(crate::api::Response::Community(info));
                    }
                    Ok(Response::Refused(r)) => match r.code {
                        RefusalCode::InviteExpired | RefusalCode::InviteUsedUp => {
                            return Err(NodeError::Invalid(match r.code {
                                RefusalCode::InviteExpired => weft_core::validate::ValidationError::InviteExpired,
                                _ => weft_core::validate::ValidationError::InviteUsedUp,
                            }));
                        }
                        _ => last_refusal = Some(r.reason),
                    },
                    Ok(other) => last_refusal = Some(format!("a peer answered with {}", kind(&other))),
                    Err(e) => {
                        // The connection may have been replaced (both sides dialed at once):
                        // ask again shortly.
                        debug!(peer = %p.peer, %e, "join request failed");
                        tried.remove(&p.peer);
                        retry = true;
                    }
                }
            }
            let pause = if retry { Duration::from_millis(500) } else { JOIN_TIMEOUT };
            retry = false;
            tokio::select! {
                changed = connected.changed() => if changed.is_err() { break },
                _ = tokio::time::sleep(pause) => {}
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        Err(NodeError::Network(match last_refusal {
            Some(r) => format!("no member admitted us: {r}"),
            None => "no member of the community could be reached: check the link's addresses, or join on the same \
                     network as a member running Weft"
                .into(),
        }))
    }
}

/// How long `join` looks for a member who admits us.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

fn is_loopback(a: &weft_net::Multiaddr) -> bool {
    a.iter().any(|p| match p {
        weft_net::multiaddr::Protocol::Ip4(ip) => ip.is_loopback(),
        weft_net::multiaddr::Protocol::Ip6(ip) => ip.is_loopback(),
        _ => false,
    })
}
