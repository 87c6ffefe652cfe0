//! The network driver: runs weft-net's swarm and moves the sync engine's messages
//! ([`crate::sync`]) between it and the state thread. It decides nothing about sync.
//!
//! - Swarm events become engine inputs, in the order they came; a sync frame is read off the
//!   state thread first (parsing a big frame takes tens of milliseconds).
//! - Engine outputs become swarm commands, in the order the engine gave them: gossip leaves in
//!   the order of the writes. A request is sent from its own task, which hands the answer back
//!   as an input.
//! - The engine's timers run on the node's clock: the driver ticks it when the next one falls
//!   due.

mod devices;
mod join;

pub(crate) use devices::{
    BACKUP_KDF, Restoring, backup_bytes, backup_refusal, make_backup, restore_code, restore_request,
};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot, watch};
use tracing::{debug, info, warn};
use weft_core::{CommunityId, DeviceId, DocName};
use weft_net::wire::{MAX_GOSSIP, Refusal, RefusalCode, Request, Response};
use weft_net::{MessageId, NetConfig, NetEvent, NetHandle, PeerId, PeerInfo, commons_topic_for, topic_for};

use crate::Node;
use crate::api::{DocSyncStatus, Event, PeerStatus, PeersInfo};
use crate::error::NodeError;
use crate::sync::{self, Answer, GossipId, Inbound, InboundId, Input, Output, RequestId, SyncConfig, Ticket};

pub use crate::sync::{BAN_FOR, JOIN_TIMEOUT, MAX_ROUNDS, RESYNC_EVERY, STRANGER_GRACE};

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
    /// How long a request to a peer may go unanswered before it is sent again (twice), and
    /// then its session fails.
    pub request_timeout: Duration,
    /// How much each member's computers may send us that is new, per hour (see `Quota`).
    pub quota: sync::Quota,
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
            request_timeout: SyncConfig::default().request_timeout,
            quota: sync::Quota::default(),
        }
    }
}

/// What a caller asks of the driver.
enum Control {
    Join {
        code: weft_net::invite::InviteCode,
        name: Option<String>,
        reply: oneshot::Sender<JoinResult>,
    },
    Link {
        code: weft_net::invite::InviteCode,
        community: Option<String>,
        reply: oneshot::Sender<JoinResult>,
    },
    LinkDevice {
        code: weft_net::invite::InviteCode,
        label: String,
        reply: oneshot::Sender<JoinResult>,
    },
    Restore {
        code: weft_net::invite::InviteCode,
        request: Box<weft_net::wire::RestoreRequest>,
        reply: oneshot::Sender<JoinResult>,
    },
}

/// The communities joined (one, or a member's every community for a linked or restored
/// computer), or why not.
type JoinResult = Result<Vec<CommunityId>, NodeError>;

/// The running network, held by the node.
#[derive(Debug, Clone)]
pub(crate) struct NetLink {
    pub handle: NetHandle,
    control: mpsc::Sender<Control>,
    /// The addresses we listen on, as the swarm reported them.
    listening: watch::Receiver<Vec<String>>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Control")
    }
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
        let sync = SyncConfig {
            resync_every: options.resync_every,
            gossip_limit: options.gossip_limit,
            request_timeout: options.request_timeout,
            quota: options.quota,
            ..SyncConfig::default()
        };
        let wake = Arc::new(Notify::new());
        let woken = wake.clone();
        self.call(move |s| s.start_sync(sync, Box::new(move || woken.notify_one()))).await??;
        let (control, control_rx) = mpsc::channel(16);
        let (listening_tx, listening) = watch::channel(Vec::new());
        let (answers, answers_rx) = mpsc::channel(1024);
        let driver = Driver {
            node: self.clone(),
            net: handle.clone(),
            answers,
            inbound: HashMap::new(),
            gossip: HashMap::new(),
            joins: HashMap::new(),
            next: 1,
            timer: None,
            listening: listening_tx,
        };
        tokio::spawn(driver.run(events, answers_rx, control_rx, wake));
        let peer_id = handle.peer_id();
        *lock(&self.net) = Some(NetLink { handle, control, listening });
        info!(%peer_id, "network started");
        Ok(peer_id)
    }

    pub(crate) fn net_link(&self) -> Option<NetLink> {
        lock(&self.net).clone()
    }

    fn link(&self) -> Result<NetLink, NodeError> {
        self.net_link().ok_or_else(|| NodeError::Network("the network is not running".into()))
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
        self.link()?.handle.addresses().await.map_err(|e| NodeError::Network(e.to_string()))
    }

    /// Listens on one more address, e.g. a relay's circuit
    /// (`/ip4/…/tcp/…/p2p/RELAY/p2p-circuit`).
    pub async fn listen(&self, address: weft_net::Multiaddr) -> Result<(), NodeError> {
        self.link()?.handle.listen(address).await.map_err(|e| NodeError::Network(e.to_string()))
    }

    /// Announces a public address of this peer (it then relays for members behind NAT).
    pub async fn add_external_address(&self, address: weft_net::Multiaddr) -> Result<(), NodeError> {
        self.link()?.handle.add_external(address).await.map_err(|e| NodeError::Network(e.to_string()))
    }

    /// Connects to a peer at an address.
    pub async fn dial(&self, address: weft_net::Multiaddr) -> Result<(), NodeError> {
        self.link()?.handle.dial(address).await.map_err(|e| NodeError::Network(e.to_string()))
    }

    /// Stops the network (the swarm closes its connections).
    pub async fn stop_network(&self) {
        let link = lock(&self.net).take();
        if let Some(link) = link {
            link.handle.shutdown().await;
            let _ = self.call(|s| s.stop_sync()).await;
        }
    }

    /// Who is connected, how they were found, and how each document stands with them.
    pub(crate) async fn peers(&self) -> PeersInfo {
        let clocks = self.call(|s| s.clock_words()).await.unwrap_or_default();
        let Some(link) = self.net_link() else {
            return PeersInfo {
                online: false,
                peer_id: None,
                listening: Vec::new(),
                peers: Vec::new(),
                incidents: Vec::new(),
                clocks,
            };
        };
        // The swarm's view is live (a hole punch's direct address, the last ping); the book's
        // is what was true when the peer connected.
        let live: HashMap<PeerId, PeerInfo> =
            link.handle.peers().await.unwrap_or_default().into_iter().map(|p| (p.peer, p)).collect();
        let book = self.call(|s| s.net_snapshot()).await.ok().flatten().unwrap_or_default();
        let mut peers: Vec<PeerStatus> = book
            .peers
            .into_iter()
            .filter_map(|p| {
                let peer = weft_net::peer_of(&p.device)?;
                let info = live.get(&peer);
                Some(PeerStatus {
                    peer_id: peer.to_string(),
                    device: Some(p.device),
                    member: p.member,
                    found_by: info.map_or(p.how, |i| i.how).as_str().to_owned(),
                    address: info.map_or(p.address, |i| i.address.to_string()),
                    rtt_ms: info.and_then(|i| i.rtt).map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                    docs: p
                        .docs
                        .into_iter()
                        .map(|(doc, state)| DocSyncStatus { community: doc.community, doc: doc.name, state })
                        .collect(),
                    problem: p.problem,
                })
            })
            .collect();
        peers.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        PeersInfo {
            online: true,
            peer_id: Some(link.handle.peer_id().to_string()),
            listening: link.listening.borrow().clone(),
            peers,
            incidents: book.incidents,
            clocks,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The driver's state: where answers to peers' requests go, which network id a gossip message
/// had, who waits for a join, and when the engine next needs a tick.
struct Driver {
    node: Node,
    net: NetHandle,
    /// Inputs produced by the driver's own tasks (answers to our requests, frames read).
    answers: mpsc::Sender<Input>,
    inbound: HashMap<InboundId, oneshot::Sender<Response>>,
    gossip: HashMap<GossipId, (MessageId, PeerId)>,
    joins: HashMap<Ticket, oneshot::Sender<JoinResult>>,
    next: u64,
    timer: Option<tokio::time::Instant>,
    listening: watch::Sender<Vec<String>>,
}

impl Driver {
    async fn run(
        mut self,
        mut events: mpsc::Receiver<NetEvent>,
        mut answers: mpsc::Receiver<Input>,
        mut control: mpsc::Receiver<Control>,
        wake: Arc<Notify>,
    ) {
        // The first outputs (subscriptions) and the first timer.
        self.post(None).await;
        loop {
            let timer = self.timer;
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => self.on_event(event).await,
                    None => {
                        debug!("network stopped; driver ends");
                        return;
                    }
                },
                Some(input) = answers.recv() => self.post(Some(input)).await,
                Some(c) = control.recv() => match c {
                    Control::Join { code, name, reply } => self.join(code, name, reply).await,
                    Control::Link { code, community, reply } => self.link(code, community, reply).await,
                    Control::LinkDevice { code, label, reply } => {
                        self.start_joining(reply, move |s, ticket| {
                            let request = s.device_link_request(&code, &label)?;
                            Ok(Input::LinkDevice { ticket, code, request })
                        })
                        .await;
                    }
                    Control::Restore { code, request, reply } => {
                        self.start_joining(reply, move |_, ticket| Ok(Input::Restore { ticket, code, request: *request })).await;
                    }
                },
                () = wake.notified() => self.post(None).await,
                () = sleep_until(timer), if timer.is_some() => {
                    self.timer = None;
                    self.post(Some(Input::Tick)).await;
                }
            }
        }
    }

    fn id(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        id
    }

    async fn on_event(&mut self, event: NetEvent) {
        match event {
            NetEvent::Listening(address) => {
                let relay = address.iter().any(|p| p == weft_net::multiaddr::Protocol::P2pCircuit);
                self.listening.send_modify(|l| l.push(address.to_string()));
                let _ = self.node.events.send(Event::NetworkChanged);
                if relay {
                    self.post(Some(Input::RelaySlot)).await;
                }
            }
            NetEvent::Connected(info) => match weft_net::device_of(&info.peer) {
                Some(peer) => {
                    let input = Input::Connected { peer, how: info.how, address: info.address.to_string() };
                    self.post(Some(input)).await;
                }
                None => {
                    debug!(peer = %info.peer, "not a Weft peer (its id is not a device key)");
                    let _ = self.net.disconnect(info.peer).await;
                }
            },
            NetEvent::Disconnected { peer } => {
                if let Some(peer) = weft_net::device_of(&peer) {
                    self.post(Some(Input::Disconnected { peer })).await;
                }
            }
            NetEvent::Request { peer, request, reply } => {
                let Some(device) = weft_net::device_of(&peer) else {
                    let refusal = Refusal { code: RefusalCode::NotAMember, reason: "not a device key".into() };
                    let _ = reply.send(Response::Refused(refusal));
                    return;
                };
                let id = InboundId(self.id());
                self.inbound.insert(id, reply);
                match request {
                    Request::Manifest(m) => {
                        self.post(Some(Input::Request { peer: device, id, request: Inbound::Manifest(m) })).await;
                    }
                    Request::Join(j) => {
                        self.post(Some(Input::Request { peer: device, id, request: Inbound::Join(j) })).await;
                    }
                    Request::Link(l) => {
                        self.post(Some(Input::Request { peer: device, id, request: Inbound::Link(l) })).await;
                    }
                    Request::DeviceLink(l) => {
                        let request = Inbound::DeviceLink(l);
                        self.post(Some(Input::Request { peer: device, id, request })).await;
                    }
                    Request::Rebuild => {
                        self.post(Some(Input::Request { peer: device, id, request: Inbound::Rebuild })).await;
                    }
                    Request::Restore(x) => {
                        self.post(Some(Input::Request { peer: device, id, request: Inbound::Restore(*x) })).await;
                    }
                    Request::Sync(frame) => {
                        let answers = self.answers.clone();
                        tokio::spawn(async move {
                            let read = read_off_state_thread(frame).await;
                            let input = Input::Request { peer: device, id, request: Inbound::Sync(read) };
                            let _ = answers.send(input).await;
                        });
                    }
                }
            }
            NetEvent::Gossip { source, id, data } => {
                let Some(device) = weft_net::device_of(&source) else {
                    let _ = self.net.judge(id, source, weft_net::Verdict::Reject).await;
                    return;
                };
                let gossip = GossipId(self.id());
                self.gossip.insert(gossip, (id, source));
                // One at a time, in the order they came: a new member's or a new key's change
                // usually comes just before the changes that need it.
                self.post(Some(Input::Gossip { source: device, id: gossip, data })).await;
            }
            NetEvent::GossipFlood { peer, dropped } => {
                if let Some(peer) = weft_net::device_of(&peer) {
                    self.post(Some(Input::GossipFlood { peer, dropped })).await;
                }
            }
            NetEvent::Malformed { peer, why } => {
                if let Some(peer) = weft_net::device_of(&peer) {
                    self.post(Some(Input::Malformed { peer, why })).await;
                }
            }
            NetEvent::DialFailed { address, error } => warn!(?address, %error, "could not connect"),
            NetEvent::Subscribed { .. } => {}
        }
    }

    async fn join(
        &mut self,
        code: weft_net::invite::InviteCode,
        name: Option<String>,
        reply: oneshot::Sender<JoinResult>,
    ) {
        self.start_joining(reply, move |s, ticket| {
            let identity = s.identity_for_join(name.as_deref())?;
            Ok(Input::Join { ticket, code, identity })
        })
        .await;
    }

    async fn link(
        &mut self,
        code: weft_net::invite::InviteCode,
        community: Option<String>,
        reply: oneshot::Sender<JoinResult>,
    ) {
        self.start_joining(reply, move |s, ticket| {
            let request = s.link_request(community.as_deref(), &code)?;
            Ok(Input::Link { ticket, code, request })
        })
        .await;
    }

    /// Hands the engine a join or a link (made on the state thread under a new ticket) and
    /// keeps `reply` for its answer; a failure to make it is the answer.
    async fn start_joining(
        &mut self,
        reply: oneshot::Sender<JoinResult>,
        make: impl FnOnce(&mut crate::state::State, Ticket) -> Result<Input, NodeError> + Send + 'static,
    ) {
        let ticket = self.id();
        let job = self.node.call(move |s| make(s, ticket).map(|input| s.net_job(Some(input)))).await.and_then(|r| r);
        match job {
            Ok((outputs, timer)) => {
                self.joins.insert(ticket, reply);
                self.perform(outputs, timer).await;
            }
            Err(e) => {
                let _ = reply.send(Err(e));
            }
        }
    }

    /// Hands the engine an input (or none: just take what waits in its outbox), then does
    /// what it asks.
    async fn post(&mut self, input: Option<Input>) {
        match self.node.call(move |s| s.net_job(input)).await {
            Ok((outputs, timer)) => self.perform(outputs, timer).await,
            Err(e) => debug!(%e, "the node stopped"),
        }
    }

    async fn perform(&mut self, outputs: Vec<Output>, timer: Option<crate::clock::Mono>) {
        self.timer = timer.map(|at| tokio::time::Instant::now() + self.node.clock.mono().until(at));
        for output in outputs {
            self.perform_one(output).await;
        }
    }

    async fn perform_one(&mut self, output: Output) {
        match output {
            Output::Request { peer, id, request } => self.request(peer, id, request),
            Output::Respond { id, response } => {
                if let Some(reply) = self.inbound.remove(&id) {
                    let _ = reply.send(response);
                }
            }
            Output::Publish { community, doc, data } => {
                let topic = if doc == DocName::Commons { commons_topic_for(&community) } else { topic_for(&community) };
                if let Err(e) = self.net.publish(topic, data).await {
                    warn!(%e, "could not gossip a change; syncing it instead");
                    let _ = self.answers.send(Input::PublishFailed { community, doc }).await;
                }
            }
            Output::Judge { id, verdict, .. } => {
                if let Some((message, source)) = self.gossip.remove(&id) {
                    let _ = self.net.judge(message, source, verdict).await;
                }
            }
            Output::Subscribe(c) => {
                let _ = self.net.subscribe(topic_for(&c)).await;
            }
            Output::SubscribeCommons(c) => {
                let _ = self.net.subscribe(commons_topic_for(&c)).await;
            }
            Output::Dial(address) => {
                if let Err(e) = self.net.dial(address.clone()).await {
                    debug!(%address, %e, "could not dial an invitation address");
                }
            }
            Output::DialViaRelays(device) => {
                if let Some(peer) = weft_net::peer_of(&device) {
                    let _ = self.net.dial_via_relays(peer).await;
                }
            }
            Output::Disconnect(device) => {
                if let Some(peer) = weft_net::peer_of(&device) {
                    let _ = self.net.disconnect(peer).await;
                }
            }
            Output::Ban(device) => {
                if let Some(peer) = weft_net::peer_of(&device) {
                    let _ = self.net.ban(peer).await;
                }
            }
            Output::Unban(device) => {
                if let Some(peer) = weft_net::peer_of(&device) {
                    let _ = self.net.unban(peer).await;
                }
            }
            Output::Event(e) => {
                let _ = self.node.events.send(e);
            }
            Output::Joined { ticket, result } => {
                if let Some(reply) = self.joins.remove(&ticket) {
                    let _ = reply.send(result);
                }
            }
        }
    }

    /// Sends a request from its own task; the answer (its frame read off the state thread)
    /// comes back as an input.
    fn request(&self, device: DeviceId, id: RequestId, request: Request) {
        let (net, answers) = (self.net.clone(), self.answers.clone());
        tokio::spawn(async move {
            let answer = match weft_net::peer_of(&device) {
                Some(peer) => match net.request(peer, request).await {
                    Ok(Response::Manifest(m)) => Ok(Answer::Manifest(m)),
                    Ok(Response::Sync(frame)) => Ok(Answer::Sync(read_off_state_thread(frame).await)),
                    Ok(Response::Joined { community }) => Ok(Answer::Joined { community }),
                    Ok(Response::Linked { community, evidence }) => Ok(Answer::Linked { community, evidence }),
                    Ok(Response::DeviceLinked { member, member_key, name, communities }) => {
                        Ok(Answer::DeviceLinked { member, member_key, name, communities })
                    }
                    Ok(Response::Restored { communities }) => Ok(Answer::Restored { communities }),
                    Ok(Response::Refused(r)) => Ok(Answer::Refused(r)),
                    Err(e) => Err(e.to_string()),
                },
                None => Err("not a device key".into()),
            };
            let _ = answers.send(Input::Answer { id, answer }).await;
        });
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Reads a sync frame on a blocking thread: parsing a big frame takes tens of milliseconds,
/// too long for the network's tasks, and the state thread may meanwhile take in the frame
/// before.
async fn read_off_state_thread(frame: weft_net::wire::SyncFrame) -> Result<sync::ReadFrame, Refusal> {
    tokio::task::spawn_blocking(move || sync::read_frame(frame)).await.unwrap_or_else(|e| {
        Err(Refusal { code: RefusalCode::Internal, reason: format!("reading the frame failed: {e}") })
    })
}
