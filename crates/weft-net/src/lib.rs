//! Weft's network: a libp2p swarm with the protocols Weft peers speak, run as one tokio task
//! behind a cheap [`NetHandle`].
//!
//! - transports: TCP and QUIC, noise, yamux; a relay client (any always-on peer also serves
//!   as a relay), DCUtR to upgrade relayed connections to direct ones, AutoNAT;
//! - discovery: mDNS on the LAN, addresses given by hand or carried in invites, identify;
//! - gossipsub for new changes (a topic per community, derived from its id, never its name),
//!   with every message validated by the node before it is forwarded;
//! - `/weft/sync/1`, a request-response protocol for manifests, Automerge sync rounds and
//!   joining (the frames are in [`wire`]).
//!
//! This crate moves bytes and reports what happened. What the bytes mean, and whether a peer
//! may have them, is decided by the node (weft-node), which answers requests and judges gossip.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod codec;
pub mod invite;
mod rate;
mod swarm;
pub mod wire;

use std::time::Duration;

use libp2p::gossipsub::MessageAcceptance;
pub use libp2p::gossipsub::MessageId;
pub use libp2p::{Multiaddr, PeerId, multiaddr};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};
use weft_core::id::{CommunityId, DeviceId};

pub use rate::GossipRate;
pub use swarm::spawn;
pub use wire::{Request, Response};

/// How a peer came to be connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Discovery {
    /// Found on the local network by mDNS.
    Mdns,
    /// Dialed at an address we were given (`--connect`, an invite, a saved address).
    Address,
    /// Reached through a relay.
    Relay,
    /// It dialed us.
    Inbound,
}

impl Discovery {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mdns => "mdns",
            Self::Address => "address",
            Self::Relay => "relay",
            Self::Inbound => "inbound",
        }
    }
}

/// A connected peer, as the swarm sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    pub peer: PeerId,
    /// The device behind the peer id (every Weft peer id is an Ed25519 device key).
    pub device: Option<DeviceId>,
    pub how: Discovery,
    pub address: Multiaddr,
    pub connections: usize,
    pub rtt: Option<Duration>,
}

/// How the node judged a gossip message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: apply and forward.
    Accept,
    /// Not for us, or not yet checkable (an author we do not know yet): do not forward, no
    /// penalty.
    Ignore,
    /// Invalid: do not forward, and count it against the peer that sent it.
    Reject,
}

impl From<Verdict> for MessageAcceptance {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Accept => Self::Accept,
            Verdict::Ignore => Self::Ignore,
            Verdict::Reject => Self::Reject,
        }
    }
}

/// What the network reports to the node.
#[derive(Debug)]
pub enum NetEvent {
    Listening(Multiaddr),
    Connected(PeerInfo),
    Disconnected {
        peer: PeerId,
    },
    /// A peer asks something on the sync protocol; answer through `reply`.
    Request {
        peer: PeerId,
        request: Request,
        reply: oneshot::Sender<Response>,
    },
    /// A gossip message to judge (and, if accepted, apply); report the verdict with
    /// [`NetHandle::judge`].
    Gossip {
        source: PeerId,
        id: MessageId,
        data: Vec<u8>,
    },
    /// A dial we were asked to make failed.
    DialFailed {
        address: Option<Multiaddr>,
        error: String,
    },
    /// A peer subscribed to a gossip topic (so publishing there reaches it).
    Subscribed {
        peer: PeerId,
        topic: String,
    },
    /// A peer handed us gossip over its rate for so long that `dropped` messages were dropped
    /// unread (see [`GossipRate`]).
    GossipFlood {
        peer: PeerId,
        dropped: u32,
    },
    /// A peer sent a request on the sync protocol that is not a frame we can read (not one of
    /// another version: that is no fault of the peer's). It was refused in words.
    Malformed {
        peer: PeerId,
        why: String,
    },
}

/// Why a network operation failed, in words for the person at the keyboard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("the network has stopped")]
    Stopped,
    #[error("could not reach the peer: {0}")]
    Unreachable(String),
    #[error("the peer did not answer in time")]
    Timeout,
    #[error("the connection closed before the peer answered")]
    Closed,
    #[error("the peer does not speak Weft's sync protocol")]
    Unsupported,
    #[error("the peer sent a frame we could not read: {0}")]
    Io(String),
    #[error("could not publish: {0}")]
    Publish(String),
    #[error("bad address '{0}'")]
    BadAddress(String),
    #[error("could not start the network: {0}")]
    Start(String),
}

/// How a network is started.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// The device's Ed25519 secret key: the peer id is the device id.
    pub device_key: [u8; 32],
    pub listen: Vec<Multiaddr>,
    /// Addresses to dial at start.
    pub connect: Vec<Multiaddr>,
    /// Addresses others can reach us at from outside (a server's public address): they are
    /// announced, and make this peer offer to relay for others.
    pub external: Vec<Multiaddr>,
    /// Whether to find peers by mDNS (off in tests on loopback, where it does not work).
    pub mdns: bool,
    /// How long a connection with nothing to do stays open.
    pub idle_timeout: Duration,
    /// How long to wait for an answer to a request.
    pub request_timeout: Duration,
    /// Gossipsub's heartbeat (mesh upkeep).
    pub heartbeat: Duration,
    /// Reserve a slot on up to two connected peers that offer to relay, while we know of no
    /// public address of our own, so peers behind NAT can reach us through them.
    pub auto_relay: bool,
    /// How much gossip one peer may hand us (the rest is dropped unread).
    pub gossip_rate: GossipRate,
}

impl NetConfig {
    pub fn new(device_key: [u8; 32]) -> Self {
        Self {
            device_key,
            listen: Vec::new(),
            connect: Vec::new(),
            external: Vec::new(),
            mdns: true,
            idle_timeout: Duration::from_secs(300),
            request_timeout: Duration::from_secs(60),
            heartbeat: Duration::from_millis(700),
            auto_relay: true,
            gossip_rate: GossipRate::default(),
        }
    }
}

enum Command {
    DialViaRelays(PeerId),
    Request {
        peer: PeerId,
        request: Request,
        reply: oneshot::Sender<Result<Response, NetError>>,
    },
    Publish {
        topic: String,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Subscribe(String),
    Unsubscribe(String),
    Judge {
        id: MessageId,
        source: PeerId,
        verdict: Verdict,
    },
    Dial {
        address: Multiaddr,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Listen {
        address: Multiaddr,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Disconnect(PeerId),
    AddExternal(Multiaddr),
    /// Disconnect and refuse the peer until it is let in again.
    Ban(PeerId),
    Unban(PeerId),
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    Addresses(oneshot::Sender<Vec<Multiaddr>>),
    Shutdown(oneshot::Sender<()>),
}

/// A handle to the running network. Cheap to clone.
#[derive(Clone, Debug)]
pub struct NetHandle {
    commands: mpsc::Sender<Command>,
    peer_id: PeerId,
    traffic: std::sync::Arc<codec::Traffic>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl NetHandle {
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// Bytes of sync-protocol frames sent and received so far (gossip not included).
    pub fn sync_traffic(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering;
        (self.traffic.sent.load(Ordering::Relaxed), self.traffic.received.load(Ordering::Relaxed))
    }

    async fn send(&self, command: Command) -> Result<(), NetError> {
        self.commands.send(command).await.map_err(|_| NetError::Stopped)
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(make(tx)).await?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// Sends a request on the sync protocol and waits for the answer.
    pub async fn request(&self, peer: PeerId, request: Request) -> Result<Response, NetError> {
        self.ask(|reply| Command::Request { peer, request, reply }).await?
    }

    pub async fn publish(&self, topic: String, data: Vec<u8>) -> Result<(), NetError> {
        self.ask(|reply| Command::Publish { topic, data, reply }).await?
    }

    pub async fn subscribe(&self, topic: String) -> Result<(), NetError> {
        self.send(Command::Subscribe(topic)).await
    }

    pub async fn unsubscribe(&self, topic: String) -> Result<(), NetError> {
        self.send(Command::Unsubscribe(topic)).await
    }

    /// Reports the node's verdict on a gossip message.
    /// Reports a verdict on a gossip message. It never waits: the swarm may be waiting for the
    /// caller to take its next event, and a verdict lost when its queue is full only means the
    /// message is not forwarded (gossipsub forgets it; sync brings what it held).
    pub async fn judge(&self, id: MessageId, source: PeerId, verdict: Verdict) -> Result<(), NetError> {
        self.commands.try_send(Command::Judge { id, source, verdict }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => NetError::Publish("too many verdicts at once".into()),
            mpsc::error::TrySendError::Closed(_) => NetError::Stopped,
        })
    }

    pub async fn dial(&self, address: Multiaddr) -> Result<(), NetError> {
        self.ask(|reply| Command::Dial { address, reply }).await?
    }

    /// Listens on one more address (e.g. a relay's circuit address).
    pub async fn listen(&self, address: Multiaddr) -> Result<(), NetError> {
        self.ask(|reply| Command::Listen { address, reply }).await?
    }

    /// Announces an address others can reach us at (a server's public address); with one,
    /// this peer relays for others.
    pub async fn add_external(&self, address: Multiaddr) -> Result<(), NetError> {
        self.send(Command::AddExternal(address)).await
    }

    /// Dials a peer at the circuit address of every relay we hold a slot on (a peer behind NAT
    /// is reachable only there, and only its relay knows it is there).
    pub async fn dial_via_relays(&self, peer: PeerId) -> Result<(), NetError> {
        self.send(Command::DialViaRelays(peer)).await
    }

    pub async fn disconnect(&self, peer: PeerId) -> Result<(), NetError> {
        self.send(Command::Disconnect(peer)).await
    }

    /// Disconnects a peer (once the answers it waits for are out) and refuses it until
    /// [`NetHandle::unban`]: how long is the node's decision, on its own clock.
    pub async fn ban(&self, peer: PeerId) -> Result<(), NetError> {
        self.send(Command::Ban(peer)).await
    }

    /// Lets a banned peer connect again.
    pub async fn unban(&self, peer: PeerId) -> Result<(), NetError> {
        self.send(Command::Unban(peer)).await
    }

    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetError> {
        self.ask(Command::Peers).await
    }

    /// The addresses we listen on (with our peer id appended), to hand to others.
    pub async fn addresses(&self) -> Result<Vec<Multiaddr>, NetError> {
        self.ask(Command::Addresses).await
    }

    /// Stops the swarm and returns when it has stopped.
    pub async fn shutdown(&self) {
        let _ = self.ask(Command::Shutdown).await;
    }
}

/// The gossip topic of a community: derived from its id, so it neither names the community
/// nor collides with another's.
pub fn topic_for(community: &CommunityId) -> String {
    let mut h = Sha256::new();
    h.update(b"weft/topic/v1");
    h.update(community.as_bytes());
    let digest = h.finalize();
    let mut s = String::from("weft-");
    for b in &digest[..16] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The gossip topic of a community's commons (its neighbours subscribe to it, not to the
/// community's own topic).
pub fn commons_topic_for(community: &CommunityId) -> String {
    let mut h = Sha256::new();
    h.update(b"weft/commons-topic/v1");
    h.update(community.as_bytes());
    let digest = h.finalize();
    let mut s = String::from("weft-commons-");
    for b in &digest[..16] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The device behind a peer id, if the peer id is an Ed25519 key (every Weft peer's is).
pub fn device_of(peer: &PeerId) -> Option<DeviceId> {
    let mh = peer.as_ref();
    if mh.code() != 0 {
        return None;
    }
    let key = libp2p::identity::PublicKey::try_decode_protobuf(mh.digest()).ok()?;
    let key = key.try_into_ed25519().ok()?;
    Some(DeviceId::from_bytes(key.to_bytes()))
}

/// The peer id of a device.
pub fn peer_of(device: &DeviceId) -> Option<PeerId> {
    let key = libp2p::identity::ed25519::PublicKey::try_from_bytes(device.as_bytes()).ok()?;
    Some(libp2p::identity::PublicKey::from(key).to_peer_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_ids_and_devices_map_both_ways() {
        let kp = libp2p::identity::Keypair::generate_ed25519();
        let peer = kp.public().to_peer_id();
        let device = device_of(&peer).expect("an ed25519 peer id");
        assert_eq!(peer_of(&device), Some(peer));
        let topic = topic_for(&CommunityId::from_bytes([1; 16]));
        assert!(topic.starts_with("weft-") && topic.len() == 37);
        assert_ne!(topic, topic_for(&CommunityId::from_bytes([2; 16])));
    }
}
