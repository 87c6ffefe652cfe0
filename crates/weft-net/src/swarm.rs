//! The swarm task: one tokio task owns the libp2p swarm and serves the handle's commands.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use libp2p::core::ConnectedPoint;
use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, MessageId, ValidationMode};
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm, autonat, dcutr, identify, mdns, noise, ping, relay, tcp, yamux};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::codec::{Codec, Framed, SYNC_PROTOCOL};
use crate::rate::{Admit, GossipRates};
use crate::wire::{MAX_GOSSIP, Response};
use crate::{Command, Discovery, NetConfig, NetError, NetEvent, NetHandle, PeerInfo, device_of};

#[derive(NetworkBehaviour)]
struct Behaviour {
    relay_client: relay::client::Behaviour,
    relay: relay::Behaviour,
    dcutr: dcutr::Behaviour,
    autonat: autonat::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    mdns: libp2p::swarm::behaviour::toggle::Toggle<mdns::tokio::Behaviour>,
    gossipsub: gossipsub::Behaviour,
    sync: request_response::Behaviour<Codec>,
}

/// Gossip message ids are content hashes, so the same changes sent twice are one message.
fn message_id(m: &gossipsub::Message) -> MessageId {
    MessageId::from(Sha256::digest(&m.data)[..20].to_vec())
}

/// Starts the network. Returns the handle and the stream of events for the node.
pub fn spawn(config: NetConfig) -> Result<(NetHandle, mpsc::Receiver<NetEvent>), NetError> {
    let keypair = libp2p::identity::Keypair::ed25519_from_bytes(config.device_key)
        .map_err(|e| NetError::Start(format!("the device key is not usable: {e}")))?;
    let local = keypair.public().to_peer_id();
    let start = |e: &dyn std::fmt::Display| NetError::Start(e.to_string());
    let heartbeat = config.heartbeat;
    let mdns_on = config.mdns;
    let request_timeout = config.request_timeout;
    let codec = Codec::default();
    let traffic = codec.traffic.clone();
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(|e| start(&e))?
        .with_quic()
        .with_dns()
        .map_err(|e| start(&e))?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|e| start(&e))?
        .with_behaviour(|key, relay_client| {
            let peer = key.public().to_peer_id();
            let gossip_config = gossipsub::ConfigBuilder::default()
                .heartbeat_interval(heartbeat)
                .validation_mode(ValidationMode::Strict)
                .validate_messages()
                .max_transmit_size(MAX_GOSSIP + 1024)
                .message_id_fn(message_id)
                .build()
                .map_err(|e| e.to_string())?;
            let mut gossipsub = gossipsub::Behaviour::new(MessageAuthenticity::Signed(key.clone()), gossip_config)?;
            gossipsub
                .with_peer_score(gossipsub::PeerScoreParams::default(), gossipsub::PeerScoreThresholds::default())?;
            let mdns = if mdns_on {
                {
                    // Ask every few seconds: at a gathering laptops come and go, and a lost
                    // answer should not hide a peer for the default five minutes.
                    let config = mdns::Config { query_interval: Duration::from_secs(5), ..mdns::Config::default() };
                    Some(mdns::tokio::Behaviour::new(config, peer).map_err(|e| e.to_string())?)
                }
            } else {
                None
            };
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Behaviour {
                relay_client,
                relay: relay::Behaviour::new(
                    peer,
                    relay::Config {
                        // Members sync through a relay until DCUtR finds a direct path: a
                        // catch-up is megabytes, not the default's 128 KiB.
                        max_circuit_duration: Duration::from_secs(30 * 60),
                        max_circuit_bytes: 256 << 20,
                        ..relay::Config::default()
                    },
                ),
                dcutr: dcutr::Behaviour::new(peer),
                autonat: autonat::Behaviour::new(peer, autonat::Config::default()),
                identify: identify::Behaviour::new(identify::Config::new("/weft/1".into(), key.public())),
                ping: ping::Behaviour::new(ping::Config::new()),
                mdns: mdns.into(),
                gossipsub,
                sync: request_response::Behaviour::with_codec(
                    codec,
                    [(SYNC_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(request_timeout)
                        .with_max_concurrent_streams(256),
                ),
            })
        })
        .map_err(|e| start(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_timeout))
        .build();
    for address in &config.external {
        swarm.add_external_address(address.clone());
    }
    let mut listeners = HashSet::new();
    for address in &config.listen {
        let id = swarm
            .listen_on(address.clone())
            .map_err(|e| NetError::Start(format!("cannot listen on {address}: {e}")))?;
        listeners.insert(id);
    }
    let auto_relay = config.auto_relay;
    let mut task = Task {
        swarm,
        events: mpsc::channel(1024).0,
        outbound: HashMap::new(),
        answering: FuturesUnordered::new(),
        peers: HashMap::new(),
        mdns_found: HashSet::new(),
        dialed: HashSet::new(),
        banned: HashSet::new(),
        listening: Vec::new(),
        waiting_addresses: Vec::new(),
        listeners,
        inbound: HashMap::new(),
        ban_after_answer: HashSet::new(),
        hanging_up: FuturesUnordered::new(),
        retiring: FuturesUnordered::new(),
        auto_relay,
        dialing: HashMap::new(),
        persistent: HashMap::new(),
        redialing: FuturesUnordered::new(),
        relays: HashSet::new(),
        relayed: HashMap::new(),
        rates: GossipRates::new(config.gossip_rate),
    };
    let (events_tx, events_rx) = mpsc::channel(1024);
    task.events = events_tx;
    for address in config.connect {
        task.keep(address);
    }
    let (commands, rx) = mpsc::channel(1024);
    tokio::spawn(task.run(rx));
    Ok((NetHandle { commands, peer_id: local, traffic }, events_rx))
}

type Answer = futures::future::BoxFuture<'static, (ResponseChannel<Response>, Option<Response>)>;

struct Peer {
    device: Option<crate::DeviceId>,
    how: Discovery,
    address: Multiaddr,
    connections: usize,
    rtt: Option<Duration>,
}

struct Task {
    swarm: Swarm<Behaviour>,
    events: mpsc::Sender<NetEvent>,
    outbound: HashMap<OutboundRequestId, Outbound>,
    answering: FuturesUnordered<Answer>,
    peers: HashMap<PeerId, Peer>,
    mdns_found: HashSet<PeerId>,
    dialed: HashSet<Multiaddr>,
    /// Peers refused until the node lets them in again.
    banned: HashSet<PeerId>,
    listening: Vec<Multiaddr>,
    /// Asked for our addresses before we listened anywhere: answered at the first address.
    waiting_addresses: Vec<oneshot::Sender<Vec<Multiaddr>>>,
    /// Listeners opened and not closed.
    listeners: HashSet<libp2p::core::transport::ListenerId>,
    /// Requests from each peer not answered yet.
    inbound: HashMap<PeerId, usize>,
    /// Banned peers to disconnect once their pending answers (e.g. the refusal) are sent.
    ban_after_answer: HashSet<PeerId>,
    /// Banned peers about to be disconnected.
    hanging_up: FuturesUnordered<futures::future::BoxFuture<'static, PeerId>>,
    auto_relay: bool,
    /// Dials in progress, to know which address failed.
    dialing: HashMap<libp2p::swarm::ConnectionId, Multiaddr>,
    /// Addresses to stay connected to, with the next back-off.
    persistent: HashMap<Multiaddr, Duration>,
    redialing: FuturesUnordered<futures::future::BoxFuture<'static, Multiaddr>>,
    /// Peers we hold a relay reservation on (or asked for one).
    relays: HashSet<PeerId>,
    /// Relayed connections to close, a grace period after a direct one came up.
    retiring: FuturesUnordered<futures::future::BoxFuture<'static, libp2p::swarm::ConnectionId>>,
    /// Open relayed connections, by peer.
    relayed: HashMap<PeerId, HashSet<libp2p::swarm::ConnectionId>>,
    /// How much gossip each peer handed us lately (over the rate, it is dropped unread).
    rates: GossipRates,
}

/// A request waiting for its answer.
struct Outbound {
    reply: oneshot::Sender<Result<Response, NetError>>,
    /// The request again, sent once more if its connection closes while another one to the
    /// peer stays: kept only while the peer has a relayed connection (closed soon after a hole
    /// punch), and never for a join.
    again: Option<crate::wire::Request>,
}

/// How long a relayed connection stays open once a direct one to the same peer is up (both
/// sides then have the direct one before either closes the relayed one).
const RELAYED_GRACE: Duration = Duration::from_secs(2);

/// The most requests of one peer we read and answer at once (an honest peer has one per
/// document it syncs with us in flight, and a manifest per community).
const MAX_INBOUND: usize = 32;

/// How long a banned peer's connection stays open after its last answer.
const HANG_UP_AFTER: Duration = Duration::from_millis(500);

impl Task {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        // Now and then, dial again the peers found on the LAN that we are not connected to
        // (a dial can fail while both sides start at once; mDNS reports a peer only once).
        let mut lan = tokio::time::interval(Duration::from_secs(5));
        lan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = lan.tick() => self.redial_lan(),
                command = commands.recv() => match command {
                    Some(Command::Shutdown(done)) => {
                        info!("network stopping");
                        let _ = done.send(());
                        return;
                    }
                    Some(command) => self.command(command),
                    None => return,
                },
                event = self.swarm.select_next_some() => self.event(event).await,
                Some(address) = self.redialing.next(), if !self.redialing.is_empty() => {
                    let connected = matches!(address.iter().last(), Some(Protocol::P2p(p)) if self.swarm.is_connected(&p));
                    if !connected && let Err(e) = self.dial(address.clone()) {
                        debug!(%address, %e, "could not dial");
                        self.keep(address);
                    }
                }
                Some(peer) = self.hanging_up.next(), if !self.hanging_up.is_empty() => {
                    let _ = self.swarm.disconnect_peer_id(peer);
                }
                Some(id) = self.retiring.next(), if !self.retiring.is_empty() => {
                    self.swarm.close_connection(id);
                }
                Some((channel, response)) = self.answering.next(), if !self.answering.is_empty() => {
                    let response = response.unwrap_or_else(|| Response::Refused(crate::wire::Refusal {
                        code: crate::wire::RefusalCode::Internal,
                        reason: "the peer could not answer".into(),
                    }));
                    if self.swarm.behaviour_mut().sync.send_response(channel, response).is_err() {
                        debug!("the asking peer left before the answer was ready");
                    }
                }
            }
        }
    }

    fn dial(&mut self, address: Multiaddr) -> Result<(), NetError> {
        self.dialed.insert(strip_peer(&address));
        let opts = DialOpts::from(address.clone());
        let id = opts.connection_id();
        self.swarm.dial(opts).map_err(|e| NetError::Unreachable(format!("{address}: {e}")))?;
        self.dialing.insert(id, address);
        Ok(())
    }

    /// Dials an address we were told to keep a connection to (`--connect`), now and again
    /// whenever the connection fails or drops, backing off up to a minute.
    fn keep(&mut self, address: Multiaddr) {
        let backoff = self.persistent.entry(address.clone()).or_insert(Duration::ZERO);
        let wait = *backoff;
        *backoff = (wait * 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
        self.redialing.push(Box::pin(async move {
            tokio::time::sleep(wait).await;
            address
        }));
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Request { peer, request, reply } => {
                if !self.swarm.is_connected(&peer) {
                    let _ = reply.send(Err(NetError::Closed));
                    return;
                }
                let again = (self.relayed.contains_key(&peer) && !matches!(request, crate::wire::Request::Join(_)))
                    .then(|| request.clone());
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, Framed::Request(request));
                self.outbound.insert(id, Outbound { reply, again });
            }
            Command::Publish { topic, data, reply } => {
                let result =
                    self.swarm.behaviour_mut().gossipsub.publish(IdentTopic::new(topic), data).map(|_| ()).or_else(
                        |e| match e {
                            // Nobody to send to is not a failure: sync catches peers up later.
                            gossipsub::PublishError::NoPeersSubscribedToTopic | gossipsub::PublishError::Duplicate => {
                                Ok(())
                            }
                            e => Err(NetError::Publish(e.to_string())),
                        },
                    );
                let _ = reply.send(result);
            }
            Command::Subscribe(topic) => {
                let topic = IdentTopic::new(topic);
                let g = &mut self.swarm.behaviour_mut().gossipsub;
                if let Err(e) = g.subscribe(&topic) {
                    warn!(%e, "could not subscribe");
                }
                let _ = g.set_topic_params(topic, topic_score());
            }
            Command::Unsubscribe(topic) => {
                self.swarm.behaviour_mut().gossipsub.unsubscribe(&IdentTopic::new(topic));
            }
            Command::Judge { id, source, verdict } => {
                self.swarm.behaviour_mut().gossipsub.report_message_validation_result(&id, &source, verdict.into());
            }
            Command::DialViaRelays(peer) => {
                let circuits: Vec<Multiaddr> = self
                    .relays
                    .iter()
                    .filter(|r| **r != peer)
                    .filter_map(|r| {
                        let address = self.peers.get(r).map(|p| p.address.clone()).filter(|a| !is_relayed(a))?;
                        Some(strip_peer(&address).with(Protocol::P2p(*r)).with(Protocol::P2pCircuit))
                    })
                    .collect();
                if !circuits.is_empty() && !self.swarm.is_connected(&peer) && !self.banned.contains(&peer) {
                    debug!(%peer, ?circuits, "looking for a peer through our relays");
                    let _ = self.swarm.dial(DialOpts::peer_id(peer).addresses(circuits).build());
                }
            }
            Command::Dial { address, reply } => {
                let _ = reply.send(self.dial(address));
            }
            Command::Listen { address, reply } => {
                let r = self
                    .swarm
                    .listen_on(address.clone())
                    .map(|_| ())
                    .map_err(|e| NetError::Unreachable(format!("cannot listen on {address}: {e:?}")));
                let _ = reply.send(r);
            }
            Command::AddExternal(address) => self.swarm.add_external_address(address),
            Command::Disconnect(peer) => {
                let _ = self.swarm.disconnect_peer_id(peer);
            }
            Command::Ban(peer) => {
                warn!(%peer, "banning peer");
                self.banned.insert(peer);
                self.swarm.behaviour_mut().gossipsub.blacklist_peer(&peer);
                // The peer hears why first: the refusal it is waiting for goes out, and a moment
                // later we hang up (closing at once can cut the answer off on its way).
                if self.inbound.get(&peer).copied().unwrap_or(0) > 0 {
                    self.ban_after_answer.insert(peer);
                } else {
                    self.hang_up_soon(peer);
                }
            }
            Command::Unban(peer) => {
                self.banned.remove(&peer);
                self.swarm.behaviour_mut().gossipsub.remove_blacklisted_peer(&peer);
            }
            Command::Peers(reply) => {
                let mut out: Vec<PeerInfo> = self
                    .peers
                    .iter()
                    .map(|(peer, p)| PeerInfo {
                        peer: *peer,
                        device: p.device,
                        how: p.how,
                        address: p.address.clone(),
                        connections: p.connections,
                        rtt: p.rtt,
                    })
                    .collect();
                out.sort_by_key(|p| p.peer);
                let _ = reply.send(out);
            }
            Command::Addresses(reply) if self.listening.is_empty() && !self.listeners.is_empty() => {
                self.waiting_addresses.push(reply);
            }
            Command::Addresses(reply) => {
                let _ = reply.send(self.addresses());
            }
            Command::Shutdown(_) => {}
        }
    }

    fn redial_lan(&mut self) {
        let missing: Vec<PeerId> = self
            .mdns_found
            .iter()
            .filter(|p| !self.swarm.is_connected(p) && !self.banned.contains(p))
            .copied()
            .collect();
        for peer in missing {
            debug!(%peer, "dialing a LAN peer again");
            let _ = self.swarm.dial(DialOpts::peer_id(peer).build());
        }
    }

    /// Listens through a peer that relays, if we have no public address and fewer than two.
    fn maybe_reserve(&mut self, relay: PeerId) {
        if !self.auto_relay || self.relays.len() >= 2 || self.relays.contains(&relay) {
            return;
        }
        // (A relayed address counts as external once confirmed; it does not make us public.)
        if self.swarm.external_addresses().any(|a| !is_relayed(a)) {
            return;
        }
        let Some(address) = self.peers.get(&relay).map(|p| p.address.clone()).filter(|a| !is_relayed(a)) else {
            return;
        };
        if !matches!(self.peers.get(&relay).map(|p| p.how), Some(Discovery::Address | Discovery::Mdns)) {
            return; // the relay's own listening address is known only when we dialed it
        }
        let circuit = strip_peer(&address).with(Protocol::P2p(relay)).with(Protocol::P2pCircuit);
        match self.swarm.listen_on(circuit.clone()) {
            Ok(id) => {
                debug!(%circuit, "asking for a relay reservation");
                self.listeners.insert(id);
                self.relays.insert(relay);
            }
            Err(e) => debug!(%e, "could not listen through a relay"),
        }
    }

    fn hang_up_soon(&mut self, peer: PeerId) {
        self.hanging_up.push(Box::pin(async move {
            tokio::time::sleep(HANG_UP_AFTER).await;
            peer
        }));
    }

    /// One request of `peer` is answered (or failed); a banned peer is let go once none is left.
    fn answered(&mut self, peer: PeerId) {
        let left = match self.inbound.get_mut(&peer) {
            Some(n) => {
                *n = n.saturating_sub(1);
                *n
            }
            None => 0,
        };
        if left == 0 {
            self.inbound.remove(&peer);
            if self.ban_after_answer.remove(&peer) {
                self.hang_up_soon(peer);
            }
        }
    }

    fn addresses(&self) -> Vec<Multiaddr> {
        {
            let local = *self.swarm.local_peer_id();
            let mut out: Vec<Multiaddr> = self
                .listening
                .iter()
                .chain(self.swarm.external_addresses())
                .map(|a| a.clone().with_p2p(local).unwrap_or_else(|a| a))
                .collect();
            // An external address is often also a listening one, and not next to it.
            let mut seen = HashSet::new();
            out.retain(|a| seen.insert(a.clone()));
            out
        }
    }

    async fn event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(%address, "listening");
                self.listening.push(address.clone());
                let addresses = self.addresses();
                for reply in self.waiting_addresses.drain(..) {
                    let _ = reply.send(addresses.clone());
                }
                emit(&self.events, NetEvent::Listening(address)).await;
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => self.listening.retain(|a| *a != address),
            SwarmEvent::ListenerClosed { listener_id, reason, .. } => {
                self.listeners.remove(&listener_id);
                if let Err(e) = reason {
                    warn!(%e, "a listener closed");
                }
                if self.listeners.is_empty() {
                    let addresses = self.addresses();
                    for reply in self.waiting_addresses.drain(..) {
                        let _ = reply.send(addresses.clone());
                    }
                }
            }
            SwarmEvent::ConnectionEstablished { peer_id, endpoint, num_established, connection_id, .. } => {
                if let Some(address) = self.dialing.remove(&connection_id)
                    && let Some(backoff) = self.persistent.get_mut(&address)
                {
                    *backoff = Duration::ZERO;
                }
                if self.banned.contains(&peer_id) {
                    debug!(peer = %peer_id, "refusing a banned peer");
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                    return;
                }
                let (address, how) = match &endpoint {
                    ConnectedPoint::Dialer { address, .. } => {
                        let how = if is_relayed(address) {
                            Discovery::Relay
                        } else if self.mdns_found.contains(&peer_id) && !self.dialed.contains(&strip_peer(address)) {
                            Discovery::Mdns
                        } else {
                            Discovery::Address
                        };
                        (address.clone(), how)
                    }
                    ConnectedPoint::Listener { send_back_addr, local_addr } => {
                        let how = if is_relayed(local_addr) {
                            Discovery::Relay
                        } else if self.mdns_found.contains(&peer_id) {
                            // We found it on the LAN too; it just dialed first.
                            Discovery::Mdns
                        } else {
                            Discovery::Inbound
                        };
                        // A relayed connection's send_back_addr is only `/p2p/<peer>`: note
                        // the circuit it came through, so that a direct connection (DCUtR's
                        // hole punch) replaces it below.
                        let address = if is_relayed(local_addr) { local_addr.clone() } else { send_back_addr.clone() };
                        (address, how)
                    }
                };
                if endpoint.is_relayed() {
                    self.relayed.entry(peer_id).or_default().insert(connection_id);
                } else if let Some(relayed) = self.relayed.get(&peer_id) {
                    // A direct connection (DCUtR's hole punch) makes the relayed ones
                    // redundant; left open, they would go on carrying the traffic through the
                    // relay (gossipsub sends on whichever connection is ready first,
                    // request-response takes turns) until the circuit's limits close them.
                    for id in relayed.iter().copied() {
                        debug!(peer = %peer_id, "a direct connection: closing the relayed one soon");
                        self.retiring.push(Box::pin(async move {
                            tokio::time::sleep(RELAYED_GRACE).await;
                            id
                        }));
                    }
                }
                let entry = self.peers.entry(peer_id).or_insert_with(|| Peer {
                    device: device_of(&peer_id),
                    how,
                    address: address.clone(),
                    connections: 0,
                    rtt: None,
                });
                entry.connections = num_established.get() as usize;
                // Found through a relay, it stays so; but a direct connection (DCUtR's hole
                // punch) is the address worth showing.
                if is_relayed(&entry.address) && !is_relayed(&address) {
                    entry.address = address;
                }
                if num_established.get() == 1 {
                    info!(peer = %peer_id, how = how.as_str(), "connected");
                    let info = PeerInfo {
                        peer: peer_id,
                        device: entry.device,
                        how: entry.how,
                        address: entry.address.clone(),
                        connections: entry.connections,
                        rtt: None,
                    };
                    emit(&self.events, NetEvent::Connected(info)).await;
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established, connection_id, .. } => {
                if let Some(relayed) = self.relayed.get_mut(&peer_id) {
                    relayed.remove(&connection_id);
                    if relayed.is_empty() {
                        self.relayed.remove(&peer_id);
                    }
                }
                if num_established == 0 {
                    self.relays.remove(&peer_id);
                    self.rates.forget(&peer_id);
                    let lost: Vec<Multiaddr> = self
                        .persistent
                        .keys()
                        .filter(|a| matches!(a.iter().last(), Some(Protocol::P2p(p)) if p == peer_id))
                        .cloned()
                        .collect();
                    for address in lost {
                        self.keep(address);
                    }
                    if self.peers.remove(&peer_id).is_some() {
                        info!(peer = %peer_id, "disconnected");
                        emit(&self.events, NetEvent::Disconnected { peer: peer_id }).await;
                    }
                } else if let Some(p) = self.peers.get_mut(&peer_id) {
                    p.connections = num_established as usize;
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, connection_id } => {
                debug!(?peer_id, %error, "dial failed");
                if let Some(address) = self.dialing.remove(&connection_id)
                    && self.persistent.contains_key(&address)
                {
                    self.keep(address);
                }
                if peer_id.is_none_or(|p| !self.mdns_found.contains(&p)) {
                    emit(&self.events, NetEvent::DialFailed { address: None, error: error.to_string() }).await;
                }
            }
            SwarmEvent::Behaviour(event) => self.behaviour(event).await,
            _ => {}
        }
    }

    async fn behaviour(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Mdns(mdns::Event::Discovered(found)) => {
                for (peer, address) in found {
                    self.mdns_found.insert(peer);
                    if let Some(p) = self.peers.get_mut(&peer)
                        && p.how == Discovery::Inbound
                    {
                        p.how = Discovery::Mdns;
                    }
                    self.swarm.add_peer_address(peer, address.clone());
                    if !self.swarm.is_connected(&peer) && !self.banned.contains(&peer) {
                        debug!(%peer, %address, "found by mDNS");
                        let _ = self.swarm.dial(DialOpts::peer_id(peer).addresses(vec![address]).build());
                    }
                }
            }
            BehaviourEvent::Mdns(mdns::Event::Expired(gone)) => {
                for (peer, _) in gone {
                    if !self.swarm.is_connected(&peer) {
                        self.mdns_found.remove(&peer);
                    }
                }
            }
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                let relays = info.protocols.contains(&relay::HOP_PROTOCOL_NAME);
                for address in info.listen_addrs {
                    self.swarm.add_peer_address(peer_id, address);
                }
                if relays {
                    self.maybe_reserve(peer_id);
                }
            }
            BehaviourEvent::RelayClient(relay::client::Event::ReservationReqAccepted { relay_peer_id, .. }) => {
                info!(relay = %relay_peer_id, "reachable through a relay");
            }
            BehaviourEvent::Ping(ping::Event { peer, result: Ok(rtt), .. }) => {
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.rtt = Some(rtt);
                }
            }
            BehaviourEvent::Gossipsub(gossipsub::Event::Message { propagation_source, message_id, message }) => {
                // Never waited for: a peer flooding gossip would otherwise hold this task (and
                // every connection, request and answer it serves) until the node caught up,
                // and the node, sending its verdicts here, waits for this task. Gossip dropped
                // is ignored (not forwarded); sync brings what it held.
                let ignore = |swarm: &mut Swarm<Behaviour>| {
                    swarm.behaviour_mut().gossipsub.report_message_validation_result(
                        &message_id,
                        &propagation_source,
                        gossipsub::MessageAcceptance::Ignore,
                    )
                };
                match self.rates.admit(propagation_source, std::time::Instant::now()) {
                    Admit::Take => {}
                    Admit::Drop => {
                        ignore(&mut self.swarm);
                        return;
                    }
                    Admit::Flood(dropped) => {
                        ignore(&mut self.swarm);
                        emit(&self.events, NetEvent::GossipFlood { peer: propagation_source, dropped }).await;
                        return;
                    }
                }
                let event = NetEvent::Gossip { source: propagation_source, id: message_id.clone(), data: message.data };
                if let Err(mpsc::error::TrySendError::Full(_)) = self.events.try_send(event) {
                    debug!(peer = %propagation_source, "the node is behind on gossip; dropping a message");
                    ignore(&mut self.swarm);
                }
            }
            BehaviourEvent::Gossipsub(gossipsub::Event::Subscribed { peer_id, topic }) => {
                emit(&self.events, NetEvent::Subscribed { peer: peer_id, topic: topic.into_string() }).await;
            }
            BehaviourEvent::Sync(request_response::Event::Message { peer, message, .. }) => match message {
                request_response::Message::Request { request, channel, .. } => {
                    *self.inbound.entry(peer).or_default() += 1;
                    if self.banned.contains(&peer) {
                        let refusal = Response::Refused(crate::wire::Refusal {
                            code: crate::wire::RefusalCode::Invalid,
                            reason: "this peer is refused for a while after sending invalid changes".into(),
                        });
                        let _ = self.swarm.behaviour_mut().sync.send_response(channel, refusal);
                        return;
                    }
                    let request = match request {
                        Framed::Request(request) => request,
                        Framed::Unreadable { why, fault } => {
                            debug!(%peer, %why, "refusing bytes that are no frame");
                            let refusal = Response::Refused(crate::wire::Refusal {
                                code: crate::wire::RefusalCode::Invalid,
                                reason: why.clone(),
                            });
                            let _ = self.swarm.behaviour_mut().sync.send_response(channel, refusal);
                            if fault {
                                emit(&self.events, NetEvent::Malformed { peer, why }).await;
                            }
                            return;
                        }
                    };
                    if self.inbound.get(&peer).is_some_and(|n| *n > MAX_INBOUND) {
                        // An honest peer has one request per document in flight; more is a peer
                        // trying to keep every core of ours busy reading its frames.
                        debug!(%peer, "too many requests at once; refusing");
                        let refusal = Response::Refused(crate::wire::Refusal {
                            code: crate::wire::RefusalCode::Busy,
                            reason: format!("more than {MAX_INBOUND} of your requests at once: ask again later"),
                        });
                        let _ = self.swarm.behaviour_mut().sync.send_response(channel, refusal);
                        return;
                    }
                    let (tx, rx) = oneshot::channel();
                    emit(&self.events, NetEvent::Request { peer, request, reply: tx }).await;
                    self.answering.push(Box::pin(async move { (channel, rx.await.ok()) }));
                }
                request_response::Message::Response { request_id, response } => {
                    if let Some(out) = self.outbound.remove(&request_id) {
                        let _ = out.reply.send(Ok(response));
                    }
                }
            },
            BehaviourEvent::Sync(request_response::Event::OutboundFailure { request_id, error, peer, .. }) => {
                debug!(%peer, %error, "request failed");
                if let Some(out) = self.outbound.remove(&request_id) {
                    if let (request_response::OutboundFailure::ConnectionClosed, Some(request)) = (&error, out.again)
                        && self.swarm.is_connected(&peer)
                    {
                        debug!(%peer, "a request's connection closed; sending it again on another");
                        let id = self.swarm.behaviour_mut().sync.send_request(&peer, Framed::Request(request));
                        self.outbound.insert(id, Outbound { reply: out.reply, again: None });
                        return;
                    }
                    let reply = out.reply;
                    let error = match error {
                        request_response::OutboundFailure::DialFailure => NetError::Unreachable(error.to_string()),
                        request_response::OutboundFailure::Timeout => NetError::Timeout,
                        request_response::OutboundFailure::ConnectionClosed => NetError::Closed,
                        request_response::OutboundFailure::UnsupportedProtocols => NetError::Unsupported,
                        request_response::OutboundFailure::Io(e) => NetError::Io(e.to_string()),
                    };
                    let _ = reply.send(Err(error));
                }
            }
            BehaviourEvent::Sync(request_response::Event::InboundFailure { peer, error, .. }) => {
                debug!(%peer, %error, "could not answer a request");
                self.answered(peer);
            }
            BehaviourEvent::Sync(request_response::Event::ResponseSent { peer, .. }) => self.answered(peer),
            _ => {}
        }
    }
}

/// Penalties for invalid messages: a peer that forwards changes that fail verification soon
/// drops below gossipsub's thresholds.
fn topic_score() -> gossipsub::TopicScoreParams {
    gossipsub::TopicScoreParams {
        invalid_message_deliveries_weight: -100.0,
        invalid_message_deliveries_decay: 0.5,
        ..Default::default()
    }
}

fn is_relayed(address: &Multiaddr) -> bool {
    address.iter().any(|p| p == Protocol::P2pCircuit)
}

/// The address without its trailing `/p2p/...`, to compare dialed and connected addresses.
fn strip_peer(address: &Multiaddr) -> Multiaddr {
    let mut a = address.clone();
    if matches!(a.iter().last(), Some(Protocol::P2p(_))) {
        a.pop();
    }
    a
}

async fn emit(events: &mpsc::Sender<NetEvent>, event: NetEvent) {
    if events.send(event).await.is_err() {
        debug!("nobody listens to network events");
    }
}
