//! Sync without I/O: the protocol Weft peers speak, as a state machine.
//!
//! The [`Engine`] takes inputs — a connection opened or closed, a peer's request, the answer
//! to one of ours, a gossip message, new local changes, the clock's tick — and gives outputs:
//! requests and answers to send, gossip to publish and verdicts on gossip received,
//! connections to close, events for front ends. It holds no socket, task or clock: time comes
//! in as a [`Mono`] reading with every input, and documents are reached through [`Replica`]
//! (the state thread's documents and store). The libp2p driver (`crate::net`) and the
//! deterministic test network (the `weft-harness` crate) only move its messages.
//!
//! - `book`: what we know of each connected peer (who it is, which documents are in sync,
//!   what went wrong), incidents, bans, strangers' grace and newcomers.
//! - `session`: our sync sessions — per (peer, community) manifests, then per (peer,
//!   document) rounds of Automerge's sync protocol, capped, with unanswered frames sent again.
//! - `serve`: answering peers' requests (a frame that arrives twice is answered twice and
//!   taken in once).
//! - `gossip`: judging gossip, and gossiping (or, when too large, syncing) our new changes.
//! - `join`: joining a community with an invitation.
//! - `frames`: reading a peer's sync frame (pure, so the driver does it off the state thread).

mod book;
mod frames;
mod gossip;
mod join;
mod quota;
mod replica;
mod serve;
mod session;

use std::collections::BTreeSet;
use std::time::Duration;

use automerge::ChangeHash;
use tracing::debug;
use weft_core::doc::{DocId, DocName};
use weft_core::identity::SignedChange;
use weft_core::{CommunityId, DeviceId};
use weft_net::invite::InviteCode;
use weft_net::wire::{
    DeviceLinkRequest, JoinRequest, LinkRequest, MAX_GOSSIP, Manifest, Refusal, Request, Response, RestoreRequest,
    WireChange,
};
use weft_net::{Discovery, Multiaddr, Verdict};

pub use book::BookSnapshot;
pub(crate) use frames::{Incoming, parse_wire};
pub use frames::{ReadFrame, read_frame};
pub use join::JoinIdentity;
pub use quota::Quota;
pub(crate) use quota::{Author, Quotas};
pub(crate) use replica::{LinkedDevice, Opened, Replica};

use crate::api::Event;
use crate::clock::Mono;
use crate::error::NodeError;

/// One of our requests to a peer (the driver hands its answer back with the same id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// A peer's request to us, numbered by the driver (which keeps where the answer goes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InboundId(pub u64);

/// A gossip message received, numbered by the driver (which keeps the network's id for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GossipId(pub u64);

/// A join the caller waits for (`Output::Joined` answers it).
pub type Ticket = u64;

/// How the sync protocol behaves; the defaults are what a member's app uses.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// How often connected members are synced even when gossip seems to carry everything.
    pub resync_every: Duration,
    /// The most rounds one document's sync session may take.
    pub max_rounds: u32,
    /// How long a request may go unanswered before it is sent again (libp2p gives up on a
    /// request after a minute and says so; this catches answers lost any other way).
    pub request_timeout: Duration,
    /// How many times an unanswered request is sent again before its session fails.
    pub resends: u32,
    /// How long a peer that is not a member may stay connected (to join).
    pub stranger_grace: Duration,
    /// How long after admitting a newcomer we leave the syncing to it.
    pub newcomer_drives: Duration,
    /// How long a peer that sent invalid changes is refused.
    pub ban_for: Duration,
    /// Batches of new changes larger than this go by sync instead of gossip.
    pub gossip_limit: usize,
    /// How long joining looks for a member who admits us.
    pub join_timeout: Duration,
    /// How much new each member's computers may bring us in a while (the rest waits).
    pub quota: Quota,
}

/// How often connected members are synced even when gossip seems to carry everything.
pub const RESYNC_EVERY: Duration = Duration::from_secs(30);
/// The most request/response rounds one document's sync session may take. An honest session
/// takes a handful: a round carries up to 6 MiB or 65,536 changes, and one that carries nothing
/// new either way for `IDLE_ROUNDS` ends the session. What the cap bounds is a hostile peer
/// that asks by hash for one change at a time (each round then sends something): 200 rounds
/// of that cost milliseconds each.
pub const MAX_ROUNDS: u32 = 200;
/// How long a peer that is not a member may stay connected (to join).
pub const STRANGER_GRACE: Duration = Duration::from_secs(60);
/// How long a peer that sent invalid changes is refused.
pub const BAN_FOR: Duration = Duration::from_secs(600);
/// How long `join` looks for a member who admits us.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            resync_every: RESYNC_EVERY,
            max_rounds: MAX_ROUNDS,
            request_timeout: Duration::from_secs(75),
            resends: 2,
            stranger_grace: STRANGER_GRACE,
            newcomer_drives: Duration::from_secs(60),
            ban_for: BAN_FOR,
            gossip_limit: MAX_GOSSIP,
            join_timeout: JOIN_TIMEOUT,
            quota: Quota::default(),
        }
    }
}

/// What happened, for the engine to act on.
#[derive(Debug)]
pub enum Input {
    /// A connection to a peer opened: how it was found and where it is.
    Connected {
        peer: DeviceId,
        how: Discovery,
        address: String,
    },
    Disconnected {
        peer: DeviceId,
    },
    /// A peer's request; the answer goes out as `Output::Respond` with the same id.
    Request {
        peer: DeviceId,
        id: InboundId,
        request: Inbound,
    },
    /// The answer to one of our requests, or why there is none.
    Answer {
        id: RequestId,
        answer: Result<Answer, String>,
    },
    /// A gossip message to judge (`Output::Judge` gives the verdict).
    Gossip {
        source: DeviceId,
        id: GossipId,
        data: Vec<u8>,
    },
    /// Publishing our new changes failed (no peer listens yet): they go by sync instead.
    PublishFailed {
        community: CommunityId,
        doc: DocName,
    },
    /// We hold a slot on a relay now: members behind NAT may be reachable through it.
    RelaySlot,
    /// New local changes, durable: to gossip, or to sync when too large.
    LocalChanges {
        community: CommunityId,
        doc: DocName,
        changes: Vec<SignedChange>,
    },
    /// A community was created, joined or generated here.
    CommunityAdded(CommunityId),
    /// A commons is held here now (a neighbour's, once our communities linked).
    CommonsAdded(CommunityId),
    /// Join a community with an invitation; `Output::Joined` answers with the same ticket.
    Join {
        ticket: Ticket,
        code: InviteCode,
        identity: JoinIdentity,
    },
    /// Link one of our communities to a neighbour's with a neighbour invitation;
    /// `Output::Joined` answers with the same ticket and the neighbour's id.
    Link {
        ticket: Ticket,
        code: InviteCode,
        request: LinkRequest,
    },
    /// Become another computer of a member, with the pairing code their device shows;
    /// `Output::Joined` answers with the member's communities.
    LinkDevice {
        ticket: Ticket,
        code: InviteCode,
        request: DeviceLinkRequest,
    },
    /// Ask to be added back, restored from the member's backup (any member's device may);
    /// `Output::Joined` answers with the member's communities. `code` carries where to look.
    Restore {
        ticket: Ticket,
        code: InviteCode,
        request: RestoreRequest,
    },
    /// Time passed: whatever fell due (resyncs, resends, grace periods, bans).
    Tick,
    /// A peer sent bytes on the sync protocol that are not a frame (the network refused them).
    Malformed {
        peer: DeviceId,
        why: String,
    },
    /// A peer sent gossip without pause: this many messages over the rate were dropped.
    GossipFlood {
        peer: DeviceId,
        dropped: u32,
    },
}

/// A peer's request, as the engine takes it (a sync frame already read, or why it could not be).
#[derive(Debug)]
pub enum Inbound {
    Manifest(Manifest),
    Sync(Result<ReadFrame, Refusal>),
    Join(JoinRequest),
    Link(LinkRequest),
    DeviceLink(DeviceLinkRequest),
    Restore(RestoreRequest),
    Rebuild,
}

/// A peer's answer to one of our requests.
#[derive(Debug)]
pub enum Answer {
    Manifest(Manifest),
    Sync(Result<ReadFrame, Refusal>),
    Joined { community: CommunityId },
    Linked { community: CommunityId, evidence: Vec<WireChange> },
    DeviceLinked { member: weft_core::MemberId, member_key: [u8; 32], name: String, communities: Vec<CommunityId> },
    Restored { communities: Vec<CommunityId> },
    Refused(Refusal),
}

impl From<Request> for Inbound {
    /// A request as the engine takes it: a sync frame is read (checked) here.
    fn from(request: Request) -> Self {
        match request {
            Request::Manifest(m) => Self::Manifest(m),
            Request::Sync(f) => Self::Sync(read_frame(f)),
            Request::Join(j) => Self::Join(j),
            Request::Link(l) => Self::Link(l),
            Request::DeviceLink(l) => Self::DeviceLink(l),
            Request::Restore(x) => Self::Restore(*x),
            Request::Rebuild => Self::Rebuild,
        }
    }
}

impl From<Response> for Answer {
    /// An answer as the engine takes it: a sync frame is read (checked) here.
    fn from(response: Response) -> Self {
        match response {
            Response::Manifest(m) => Self::Manifest(m),
            Response::Sync(f) => Self::Sync(read_frame(f)),
            Response::Joined { community } => Self::Joined { community },
            Response::Linked { community, evidence } => Self::Linked { community, evidence },
            Response::DeviceLinked { member, member_key, name, communities } => {
                Self::DeviceLinked { member, member_key, name, communities }
            }
            Response::Restored { communities } => Self::Restored { communities },
            Response::Refused(r) => Self::Refused(r),
        }
    }
}

/// What the engine asks of the driver.
#[derive(Debug)]
pub enum Output {
    /// Send a request; hand its answer back as `Input::Answer { id, .. }`.
    Request {
        peer: DeviceId,
        id: RequestId,
        request: Request,
    },
    /// Answer a peer's request.
    Respond {
        id: InboundId,
        response: Response,
    },
    /// Publish a sealed gossip frame on the community's topic.
    Publish {
        community: CommunityId,
        doc: DocName,
        data: Vec<u8>,
    },
    Judge {
        id: GossipId,
        source: DeviceId,
        verdict: Verdict,
    },
    Subscribe(CommunityId),
    /// Subscribe to the gossip topic of a commons.
    SubscribeCommons(CommunityId),
    Dial(Multiaddr),
    /// Dial a member's device through the relays we hold a slot on.
    DialViaRelays(DeviceId),
    Disconnect(DeviceId),
    /// Disconnect the peer (once its answers are out) and refuse it until `Unban`.
    Ban(DeviceId),
    Unban(DeviceId),
    /// Something for front ends (the node's event stream).
    Event(Event),
    /// A join is over: the community we joined (a linked or restored computer: the member's
    /// communities), or why not.
    Joined {
        ticket: Ticket,
        result: Result<Vec<CommunityId>, NodeError>,
    },
}

/// Which side of a sync session this is: each side keeps its own Automerge sync state per
/// role, so sessions both peers start at once do not trip over each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Initiator,
    Responder,
    /// An initiator that only takes: the peer is not a member as far as we know (yet), so we
    /// send it nothing, but we take its people document's changes — verified as always — in
    /// case they admit it (our copy may be older than its admission).
    Pull,
}

/// A change that was refused, and why.
#[derive(Debug, Clone)]
pub(crate) struct Rejection {
    pub doc: DocName,
    pub hash: Option<ChangeHash>,
    pub why: String,
}

/// What taking in a batch of changes did.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ingested {
    pub applied: usize,
    pub already: usize,
    pub waiting: usize,
    pub rejected: Vec<Rejection>,
    /// Changes turned away because their author brought more than their quota (they come
    /// again later), and why, in words.
    pub deferred: usize,
    pub quota: Option<String>,
}

impl Ingested {
    /// The rejections, in words for `weft peers` (none if nothing was rejected).
    fn rejection_words(&self) -> Option<String> {
        let first = self.rejected.first()?;
        let hash = first.hash.map(|h| h.to_string()).unwrap_or_default();
        Some(format!(
            "{} change(s) of {} rejected, first {}: {}",
            self.rejected.len(),
            first.doc,
            hash.get(..8).unwrap_or("(unreadable)"),
            first.why
        ))
    }
}

/// The sync protocol's state: sessions, the peer book, what is being served and joined.
#[derive(Debug)]
pub(crate) struct Engine {
    config: SyncConfig,
    me: DeviceId,
    book: book::Book,
    sessions: session::Sessions,
    served: serve::Served,
    joining: Option<join::Joining>,
    /// Peers asked, on this connection, which communities we are a device of.
    rebuild_asked: BTreeSet<DeviceId>,
    next_id: u64,
    resync_at: Mono,
    out: Vec<Output>,
}

impl Engine {
    /// An engine for this device, subscribed to the communities and the commons it holds.
    pub fn new(
        config: SyncConfig,
        me: DeviceId,
        communities: &[CommunityId],
        commons: &[CommunityId],
        now: Mono,
    ) -> Self {
        let resync_at = now + config.resync_every;
        Self {
            config,
            me,
            book: book::Book::default(),
            sessions: session::Sessions::default(),
            served: serve::Served::default(),
            joining: None,
            rebuild_asked: BTreeSet::new(),
            next_id: 1,
            resync_at,
            out: communities
                .iter()
                .map(|c| Output::Subscribe(*c))
                .chain(commons.iter().map(|c| Output::SubscribeCommons(*c)))
                .collect(),
        }
    }

    /// Takes one input; what follows from it is in [`Engine::take_outputs`].
    pub fn handle(&mut self, now: Mono, input: Input, r: &mut impl Replica) {
        match input {
            Input::Connected { peer, how, address } => self.connected(now, r, peer, how, address),
            Input::Disconnected { peer } => self.disconnected(now, r, peer),
            Input::Request { peer, id, request } => self.serve(now, r, peer, id, request),
            Input::Answer { id, answer } => self.answered(now, r, id, answer),
            Input::Gossip { source, id, data } => self.gossip_in(now, r, source, id, &data),
            Input::PublishFailed { community, doc } => {
                self.sync_with_members(now, r, DocId { community, name: doc }, None);
            }
            Input::RelaySlot => self.reach_members(r),
            Input::LocalChanges { community, doc, changes } => self.gossip_out(now, r, community, doc, &changes),
            Input::CommunityAdded(c) | Input::CommonsAdded(c) => {
                // A community of ours gossips on its topic and on its commons' topic.
                if matches!(input, Input::CommunityAdded(_)) {
                    self.out.push(Output::Subscribe(c));
                }
                self.out.push(Output::SubscribeCommons(c));
                for peer in self.book.connected() {
                    if r.may_sync(c, &peer) {
                        self.identify(r, peer);
                        self.start_community(now, r, peer, c, false);
                    }
                }
            }
            Input::Join { ticket, code, identity } => {
                self.join(now, r, ticket, code, join::Purpose::Member(identity));
            }
            Input::Link { ticket, code, request } => {
                self.join(now, r, ticket, code, join::Purpose::Neighbour(request));
            }
            Input::LinkDevice { ticket, code, request } => {
                self.join(now, r, ticket, code, join::Purpose::Device(request));
            }
            Input::Restore { ticket, code, request } => {
                self.join(now, r, ticket, code, join::Purpose::Restore(request));
            }
            Input::Tick => self.tick(now, r),
            Input::Malformed { peer, why } => self.malformed(now, peer, &why),
            Input::GossipFlood { peer, dropped } => self.gossip_flood(now, peer, dropped),
        }
    }

    /// What the inputs so far asked for, in order.
    pub fn take_outputs(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    /// When the engine next needs a `Tick`.
    pub fn next_timer(&self) -> Option<Mono> {
        [
            Some(self.resync_at),
            self.sessions.next_timer(self.config.request_timeout),
            self.book.next_timer(),
            self.joining.as_ref().and_then(join::Joining::next_timer),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// What `weft peers` shows of the peers and recent incidents.
    pub fn snapshot(&self) -> BookSnapshot {
        self.book.snapshot()
    }

    fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn connected(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, how: Discovery, address: String) {
        if self.book.is_banned(&peer, now) {
            self.out.push(Output::Disconnect(peer));
            return;
        }
        self.book.connect(peer, how, address);
        self.out.push(Output::Event(Event::NetworkChanged));
        self.join_ask(now, peer);
        self.rebuild_ask(now, r, peer);
        // One side starts the sessions of a new connection (both would send everything twice);
        // the other only finds out who it is. The periodic round covers both.
        self.meet(now, r, peer, self.me < peer);
    }

    fn disconnected(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId) {
        if self.book.disconnect(&peer) {
            self.out.push(Output::Event(Event::NetworkChanged));
        }
        self.sessions.drop_peer(&peer);
        self.served.drop_peer(&peer);
        self.rebuild_asked.remove(&peer);
        r.forget(peer);
        self.join_peer_gone(now, r, peer);
    }

    fn tick(&mut self, now: Mono, r: &mut impl Replica) {
        if now >= self.resync_at {
            self.resync_at = now + self.config.resync_every;
            self.reach_members(r);
            for peer in self.book.connected() {
                self.meet(now, r, peer, true);
            }
        }
        for peer in self.book.strangers_due(now) {
            if r.communities_of(&peer).is_empty() {
                debug!(peer = %peer.short(), "disconnecting a peer that is not a member");
                self.out.push(Output::Disconnect(peer));
            }
        }
        for peer in self.book.bans_over(now) {
            self.out.push(Output::Unban(peer));
        }
        self.book.forget_strikes(now, self.config.ban_for);
        self.resend_overdue(now, r);
        self.served.expire(now, self.config.request_timeout * 2);
        self.join_tick(now, r);
    }

    /// Finds out who a peer is (pulling its people document if it may have been admitted
    /// after ours was written), starts a stranger's grace period, and, if `initiate`, syncs
    /// every community we share with it.
    fn meet(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, initiate: bool) {
        let communities = self.identify(r, peer);
        if communities.is_empty() {
            self.pull(now, r, peer, initiate);
            return;
        }
        self.book.not_a_stranger(&peer);
        if !initiate || self.book.is_newcomer(&peer, now) {
            return;
        }
        for c in communities {
            self.start_community(now, r, peer, c, false);
        }
    }

    /// Which of our communities a peer's device belongs to; notes who it is.
    fn identify(&mut self, r: &mut impl Replica, peer: DeviceId) -> Vec<CommunityId> {
        let communities = r.communities_of(&peer);
        // The first community whose roster names it: a fellow member also shares our
        // neighbours' commons, which do not.
        let name = communities.iter().find_map(|c| r.member_name(*c, &peer));
        self.book.identified(&peer, !communities.is_empty(), name);
        communities
    }

    /// Dials, through the relays we hold a slot on, every device of a fellow member we are not
    /// connected to: members at home behind NAT are reachable only there.
    fn reach_members(&mut self, r: &mut impl Replica) {
        let connected: BTreeSet<DeviceId> = self.book.connected().into_iter().collect();
        for device in r.member_devices() {
            if device != self.me && !connected.contains(&device) {
                self.out.push(Output::DialViaRelays(device));
            }
        }
    }

    /// Syncs a document with every connected member of its community but `except`.
    fn sync_with_members(&mut self, now: Mono, r: &mut impl Replica, doc: DocId, except: Option<DeviceId>) {
        for peer in self.book.connected() {
            if Some(peer) != except && r.may_sync(doc.community, &peer) {
                self.start_doc(now, r, peer, doc, Role::Initiator);
            }
        }
    }

    /// Disconnects and refuses a peer that sent changes failing verification.
    fn penalise(&mut self, now: Mono, peer: DeviceId, why: &str) {
        tracing::warn!(peer = %peer.short(), %why, "peer sent invalid changes; disconnecting it");
        self.ban(now, peer, format!("disconnected: it sent a change that failed verification ({why})"));
    }

    /// Disconnects a peer and refuses it for `ban_for`, with an incident in words.
    fn ban(&mut self, now: Mono, peer: DeviceId, what: String) {
        self.book.incident(peer, what.clone(), now + self.config.ban_for);
        self.out.push(Output::Event(Event::PeerIncident { peer: peer_id(&peer), what }));
        self.out.push(Output::Ban(peer));
    }

    /// Notes an incident in words; the peer stays connected.
    fn note(&mut self, peer: DeviceId, kind: &'static str, what: String) {
        if self.book.note(peer, kind, what.clone()) {
            self.out.push(Output::Event(Event::PeerIncident { peer: peer_id(&peer), what }));
        }
    }

    /// A peer sent a frame that could not be read. Once may be a bug (ours or its), so it is
    /// noted; `MALFORMED_STRIKES` within `ban_for` is a peer making us parse garbage, and it is
    /// refused for a while.
    fn malformed(&mut self, now: Mono, peer: DeviceId, why: &str) {
        let strikes = self.book.strike(peer, now, self.config.ban_for);
        if strikes >= MALFORMED_STRIKES {
            tracing::warn!(peer = %peer.short(), %why, strikes, "peer keeps sending unreadable frames; disconnecting it");
            self.ban(
                now,
                peer,
                format!("disconnected: it sent {strikes} frames that could not be read, the last: {why}"),
            );
        } else {
            debug!(peer = %peer.short(), %why, "an unreadable frame");
            self.note(peer, "unreadable", format!("it sent a frame that could not be read: {why}"));
        }
    }
}

impl Engine {
    /// A peer brought changes of a member over their quota: they were set aside (the peer offers
    /// them again later), and `weft peers` says so.
    fn over_quota(&mut self, peer: DeviceId, words: &str) {
        debug!(peer = %peer.short(), %words, "changes over quota set aside");
        self.note(peer, "quota", words.to_owned());
    }
}

/// How many unreadable frames a peer may send within `ban_for` before it is refused for a while.
const MALFORMED_STRIKES: u32 = 3;

/// A device's libp2p peer id in words (its device id if it has none).
fn peer_id(peer: &DeviceId) -> String {
    weft_net::peer_of(peer).map_or_else(|| peer.to_string(), |p| p.to_string())
}

#[cfg(test)]
mod tests;
