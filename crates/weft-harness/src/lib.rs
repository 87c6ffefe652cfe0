//! A deterministic network for many Weft peers in one thread.
//!
//! Each peer is a real [`weft_node::Core`] — its own SQLite data directory, its documents,
//! verification and sync engine — with no thread, socket or runtime. The network is a queue of
//! deliveries ordered by simulated time: what a peer's engine sends (requests, answers, gossip)
//! arrives at the other peer after a seeded random delay, or is lost, or arrives twice, unless
//! a partition cuts the link; gossip is forwarded once a peer accepts it, as gossipsub does.
//! Every peer shares one manual clock, which the network moves to each delivery's time, so the
//! engines' timers (resends, resyncs, grace periods) run in simulated time: a test of minutes
//! of sync takes seconds, and waits for nothing.
//!
//! Frames travel as their wire bytes (encoded, decoded, read) as they would between machines.
//! The schedule of losses, delays and duplicates is fixed by the seed; the peers' keys and
//! record ids are random, so two runs agree on what happens, not on every byte.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod rng;
pub mod soak;
pub mod workload;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::Duration;

use automerge::ChangeHash;
use tracing::debug;
use weft_core::doc::{DocId, DocName};
use weft_core::{CommunityId, DeviceId, Timestamp};
use weft_net::wire::{self, Manifest};
use weft_net::{Discovery, Multiaddr, Verdict};
use weft_node::sync::{Answer, GossipId, Inbound, InboundId, Input, Output, RequestId, SyncConfig};
use weft_node::{ApiError, Clock, Core, Mono, Request, Response, TimeHand};

pub use rng::Rng;

/// How the simulated network behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Fixes the schedule of losses, delays and duplicates.
    pub seed: u64,
    /// Per mille of messages (requests, answers, gossip) lost on the way.
    pub loss: u32,
    /// Per mille of requests delivered twice (a resend racing the original).
    pub duplicate: u32,
    /// Each message takes from `delay.0` to `delay.1` to arrive (so messages overtake each other).
    pub delay: (Duration, Duration),
    /// The peers' sync engines.
    pub sync: SyncConfig,
    /// Where the data directories go (a RAM-backed directory keeps many peers' fsyncs cheap).
    pub dir: Option<PathBuf>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            loss: 0,
            duplicate: 0,
            delay: (Duration::from_millis(5), Duration::from_millis(80)),
            // Requests lost on the way are sent again after 5 s (libp2p would say so after a
            // minute); joining, which gives up at its deadline, gets two minutes to find a
            // member through a lossy network instead of the half minute it waits on a real one.
            sync: SyncConfig {
                request_timeout: Duration::from_secs(5),
                join_timeout: Duration::from_secs(120),
                ..SyncConfig::default()
            },
            dir: ["/dev/shm"].iter().map(PathBuf::from).find(|p| p.is_dir()),
        }
    }
}

/// What the network carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: u64,
    pub answers: u64,
    pub gossip: u64,
    pub lost: u64,
    pub duplicated: u64,
    /// Deliveries dropped because a partition cut the link.
    pub cut: u64,
    /// Sync frames delivered twice whose two answers were the same bytes (the repeat answered
    /// from the cache, not taken in twice).
    pub repeats_answered_alike: u64,
    /// …one of whose copies was refused (the repeat came after a later round was answered, or
    /// the first came before the sender's membership had arrived): nothing taken in twice.
    pub repeats_refused: u64,
    /// …and whose two answers were different frames (one frame taken in twice: a bug).
    pub repeats_answered_differently: u64,
    /// Ticks the peers took (their engines' timers and their work between jobs).
    pub ticks: u64,
    /// Peers killed (their process state gone, their data directory kept) and started again.
    pub kills: u64,
    pub restarts: u64,
}

/// One simulated peer.
pub struct SimPeer {
    pub core: Core,
    pub device: DeviceId,
    pub name: String,
    address: Multiaddr,
    banned: BTreeSet<usize>,
    /// The gossip topics it subscribed to.
    topics: BTreeSet<Topic>,
    /// When its engine's next tick is scheduled.
    tick_at: Option<Mono>,
    /// Killed and not started again: nothing reaches it, it sends nothing, and `core` is an
    /// empty stand-in while its data directory waits.
    down: bool,
    /// The stand-in's own directory while the peer is down.
    stand_in: Option<tempfile::TempDir>,
    /// How far its wall clock is off, in milliseconds (see [`Sim::skew_clock`]).
    skew_ms: i64,
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for SimPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimPeer").field("name", &self.name).field("device", &self.device.short()).finish()
    }
}

#[derive(Debug)]
enum Event {
    /// An input arrives at a peer.
    /// `conn` is the connection it travels on, from `from`: if that connection closed since
    /// (even if the two peers connected again), it is lost, as a libp2p stream dies with its
    /// connection.
    Deliver { to: usize, input: Box<Input>, from: Option<usize>, conn: u64 },
    /// A peer's engine asked to be ticked then.
    Tick { peer: usize },
}

/// A gossip topic: a community's, or (`commons`) its commons'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Topic {
    community: CommunityId,
    commons: bool,
}

/// A request in flight: where its answer goes, and its twin if it was delivered twice.
#[derive(Debug)]
struct Asked {
    from: usize,
    id: RequestId,
    /// The other delivery of the same sync frame (a duplicate), to compare the answers.
    twin: Option<InboundId>,
}

/// The network and its peers.
pub struct Sim {
    config: SimConfig,
    clock: Clock,
    hand: TimeHand,
    now: Mono,
    rng: Rng,
    pub peers: Vec<SimPeer>,
    /// Open connections (a < b), each with its own number: one that closes and opens again
    /// is a new connection.
    links: BTreeMap<(usize, usize), u64>,
    next_conn: u64,
    /// The connections wanted (healing restores them).
    topology: BTreeSet<(usize, usize)>,
    /// Links a silent partition cuts: deliveries are dropped, nobody is told.
    silent: BTreeSet<(usize, usize)>,
    queue: BinaryHeap<Reverse<(Mono, u64)>>,
    events: HashMap<u64, Event>,
    seq: u64,
    asked: HashMap<(usize, InboundId), Asked>,
    /// Answers to sync frames delivered twice, by the copy answered first, until the other is.
    twin_answers: HashMap<(usize, InboundId), Vec<u8>>,
    /// Gossip a peer is judging: who sent it, on which topic.
    gossip: HashMap<(usize, GossipId), (usize, Topic, Vec<u8>)>,
    seen: HashSet<(usize, u64)>,
    joins: HashMap<(usize, u64), Result<Vec<CommunityId>, String>>,
    next_id: u64,
    /// Changes whose writes were reported done, with the peer that wrote them.
    written: Vec<(usize, DocId, ChangeHash)>,
    pub stats: Stats,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim").field("peers", &self.peers.len()).field("now", &self.now).finish_non_exhaustive()
    }
}

fn pair(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

fn hash_of(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

impl Sim {
    pub fn new(config: SimConfig) -> Self {
        // A wall clock in the middle of a year, so ledgers and weeks look ordinary.
        let (clock, hand) = Clock::manual(Timestamp(1_786_000_000_000));
        let now = clock.mono();
        let rng = Rng::new(config.seed);
        Self {
            config,
            clock,
            hand,
            now,
            rng,
            peers: Vec::new(),
            links: BTreeMap::new(),
            next_conn: 0,
            topology: BTreeSet::new(),
            silent: BTreeSet::new(),
            queue: BinaryHeap::new(),
            events: HashMap::new(),
            seq: 0,
            asked: HashMap::new(),
            twin_answers: HashMap::new(),
            gossip: HashMap::new(),
            seen: HashSet::new(),
            joins: HashMap::new(),
            next_id: 1,
            written: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// The members' calendar date now.
    pub fn today(&self) -> weft_core::Date {
        self.clock.today()
    }

    /// Simulated time since the network started.
    pub fn elapsed(&self) -> Duration {
        self.clock.mono().as_duration()
    }

    /// A new peer with its own data directory and identity, its sync engine running.
    pub fn add_peer(&mut self, name: &str) -> Result<usize, String> {
        self.new_peer(name, true)
    }

    /// `founder` founds a community.
    pub fn found(&mut self, founder: usize, name: &str) -> Result<CommunityId, String> {
        match self.write(founder, Request::CommunityCreate { name: name.into() }, None) {
            Ok(Response::Community(c)) => Ok(c.id),
            Ok(other) => Err(format!("founding answered {other:?}")),
            Err(e) => Err(e.message),
        }
    }

    /// `who` joins `community` with an invitation from `via` (which names `via`'s address),
    /// through the network: the join protocol and the first sync, in simulated time.
    pub fn join(&mut self, who: usize, via: usize, community: CommunityId) -> Result<(), String> {
        let address = self.peers[via].address.clone();
        let code = self.peers[via].core.invite(community, 1, vec![address]).map_err(|e| e.to_string())?;
        let outputs = self.peers[via].core.take_outputs();
        self.route(via, outputs);
        let identity = self.peers[who].core.join_identity(None).map_err(|e| e.to_string())?;
        let ticket = self.id();
        self.deliver(who, Input::Join { ticket, code, identity }, None);
        self.joined(who, ticket, "join").map(|_| ())
    }

    /// A member `who` of `ours` links it to `theirs` with a neighbour invitation from `via`, a
    /// member of `theirs` (which names `via`'s address), through the network: `Link`, `Linked`
    /// and the first sync of each other's commons, in simulated time.
    pub fn link(&mut self, who: usize, ours: CommunityId, via: usize, theirs: CommunityId) -> Result<(), String> {
        let address = self.peers[via].address.clone();
        let code = self.peers[via].core.neighbour_invite(theirs, vec![address]).map_err(|e| e.to_string())?;
        let outputs = self.peers[via].core.take_outputs();
        self.route(via, outputs);
        let request = self.peers[who].core.link_request(ours, &code).map_err(|e| e.to_string())?;
        let outputs = self.peers[who].core.take_outputs();
        self.route(who, outputs);
        let ticket = self.id();
        self.deliver(who, Input::Link { ticket, code, request }, None);
        match self.joined(who, ticket, "link")? {
            linked if linked == theirs => Ok(()),
            other => Err(format!("{} linked to {} instead", self.peers[who].name, other.short())),
        }
    }

    /// Runs until `who`'s engine answers the join or link with `ticket`.
    fn joined(&mut self, who: usize, ticket: u64, what: &str) -> Result<CommunityId, String> {
        self.joined_all(who, ticket, what)?.first().copied().ok_or_else(|| format!("{what}: no community"))
    }

    fn joined_all(&mut self, who: usize, ticket: u64, what: &str) -> Result<Vec<CommunityId>, String> {
        let limit = self.now + Duration::from_secs(600);
        while !self.joins.contains_key(&(who, ticket)) {
            if !self.step(limit) {
                return Err(format!("{} did not {what} within ten simulated minutes", self.peers[who].name));
            }
        }
        self.joins.remove(&(who, ticket)).unwrap_or_else(|| Err("lost".into()))
    }

    /// A peer with a data directory but no identity yet (a computer about to be linked to a
    /// member, or restored from a backup), its sync engine running.
    pub fn add_blank_peer(&mut self, name: &str) -> Result<usize, String> {
        self.new_peer(name, false)
    }

    /// A new peer, with an identity named `name` if `init` (made before the engine starts: the
    /// device key is the engine's id), its sync engine running.
    fn new_peer(&mut self, name: &str, init: bool) -> Result<usize, String> {
        let dir = self.scratch_dir()?;
        let mut core = Core::open(dir.path(), self.clock.clone()).map_err(|e| e.to_string())?;
        if init {
            core.execute(Request::Init { name: name.into() }).map_err(|e| e.message)?;
        }
        let device = core.start_sync(self.config.sync.clone()).map_err(|e| e.to_string())?;
        let index = self.peers.len();
        let address: Multiaddr = format!("/memory/{index}").parse().map_err(|e| format!("{e}"))?;
        self.peers.push(SimPeer {
            core,
            device,
            name: name.into(),
            address,
            banned: BTreeSet::new(),
            topics: BTreeSet::new(),
            tick_at: None,
            down: false,
            stand_in: None,
            skew_ms: 0,
            dir,
        });
        let outputs = self.peers[index].core.take_outputs();
        self.route(index, outputs);
        Ok(index)
    }

    /// The blank peer `who` becomes another computer of `via`'s member, with a pairing code
    /// `via` makes: it asks, the person confirms on `via` (the words match), and every
    /// community of the member comes over. Returns those communities.
    pub fn link_device(&mut self, who: usize, via: usize, label: &str) -> Result<Vec<CommunityId>, String> {
        let address = self.peers[via].address.clone();
        let code = self.peers[via].core.pairing_code(vec![address]).map_err(|e| e.to_string())?;
        let request = self.peers[who].core.device_link_request(&code, label).map_err(|e| e.to_string())?;
        let words = match self.peers[who].core.execute(Request::DeviceLinkWords { code: code.link() }) {
            Ok(Response::LinkWords(w)) => w,
            other => return Err(format!("no words: {other:?}")),
        };
        let ticket = self.id();
        self.deliver(who, Input::LinkDevice { ticket, code, request }, None);
        // Until the other computer shows it asking, with the same words.
        let limit = self.now + Duration::from_secs(60);
        loop {
            let asking = match self.peers[via].core.execute(Request::Devices) {
                Ok(Response::Devices(d)) => d.asking,
                _ => Vec::new(),
            };
            if let Some(a) = asking.iter().find(|a| a.words == words) {
                let device = a.device.to_string();
                self.peers[via].core.execute(Request::DeviceConfirm { device }).map_err(|e| e.message)?;
                break;
            }
            if !self.step(limit) {
                return Err(format!("{} never asked {} to be linked", self.peers[who].name, self.peers[via].name));
            }
        }
        self.joined_all(who, ticket, "link as a device")
    }

    /// The blank peer `who` restores a member's identity from a backup (its file's base64, or
    /// a sheet's text) and gets the communities back from `via`, revoking what `revoke` names.
    pub fn restore(
        &mut self,
        who: usize,
        backup: &str,
        passphrase: &str,
        via: usize,
        revoke: Vec<DeviceId>,
    ) -> Result<Vec<CommunityId>, String> {
        let address = self.peers[via].address.clone();
        let (code, request) =
            self.peers[who].core.restore_request(backup, passphrase, vec![address], revoke).map_err(|e| e.message)?;
        let ticket = self.id();
        self.deliver(who, Input::Restore { ticket, code, request }, None);
        self.joined_all(who, ticket, "restore")
    }

    /// Opens a connection between two peers (and keeps it in the topology).
    pub fn connect(&mut self, a: usize, b: usize) {
        self.topology.insert(pair(a, b));
        self.open(a, b);
    }

    fn open(&mut self, a: usize, b: usize) {
        if a == b
            || self.peers[a].down
            || self.peers[b].down
            || self.links.contains_key(&pair(a, b))
            || self.peers[a].banned.contains(&b)
            || self.peers[b].banned.contains(&a)
        {
            return;
        }
        self.next_conn += 1;
        self.links.insert(pair(a, b), self.next_conn);
        let (da, db) = (self.peers[a].device, self.peers[b].device);
        let (aa, ab) = (self.peers[a].address.to_string(), self.peers[b].address.to_string());
        self.deliver(a, Input::Connected { peer: db, how: Discovery::Address, address: ab }, None);
        self.deliver(b, Input::Connected { peer: da, how: Discovery::Inbound, address: aa }, None);
    }

    /// Closes a connection (both sides are told), and drops it from the topology.
    pub fn disconnect(&mut self, a: usize, b: usize) {
        self.topology.remove(&pair(a, b));
        self.close(a, b);
    }

    fn close(&mut self, a: usize, b: usize) {
        if self.links.remove(&pair(a, b)).is_none() {
            return;
        }
        let (da, db) = (self.peers[a].device, self.peers[b].device);
        self.deliver(a, Input::Disconnected { peer: db }, None);
        self.deliver(b, Input::Disconnected { peer: da }, None);
    }

    /// Splits the network into groups. Links between groups close (both sides told), or, if
    /// `silent`, stay open while everything sent across is lost (a router that died).
    pub fn partition(&mut self, groups: &[Vec<usize>], silent: bool) {
        let group: BTreeMap<usize, usize> =
            groups.iter().enumerate().flat_map(|(g, members)| members.iter().map(move |m| (*m, g))).collect();
        let crossing: Vec<(usize, usize)> =
            self.links.keys().copied().filter(|(a, b)| group.get(a) != group.get(b)).collect();
        for (a, b) in crossing {
            if silent {
                self.silent.insert((a, b));
            } else {
                self.close(a, b);
            }
        }
    }

    /// Ends every partition: cut links carry again, closed ones open again.
    pub fn heal(&mut self) {
        self.silent.clear();
        for (a, b) in self.topology.clone() {
            self.open(a, b);
        }
    }

    /// Kills a peer as SIGKILL kills a process: its engine (sessions, changes waiting for
    /// their parents, timers, bans, the gossip it has seen) is gone, its connections drop (the
    /// other side is told, as a TCP reset tells it), and what is on its way to it is lost. Its
    /// data directory stays as the last committed transaction left it: what it reported done
    /// is there. (No destructor of ours does anything a kill would skip: the store commits
    /// each write before answering.)
    pub fn kill(&mut self, peer: usize) -> Result<(), String> {
        if self.peers[peer].down {
            return Ok(());
        }
        let linked: Vec<usize> = self
            .links
            .keys()
            .filter_map(|&(a, b)| {
                if a == peer {
                    Some(b)
                } else if b == peer {
                    Some(a)
                } else {
                    None
                }
            })
            .collect();
        let gone = self.peers[peer].device;
        for other in linked {
            self.links.remove(&pair(peer, other));
            self.deliver(other, Input::Disconnected { peer: gone }, None);
        }
        // What was queued for it, and what it was in the middle of, goes with it.
        let doomed: Vec<u64> = self
            .events
            .iter()
            .filter(|(_, e)| match e {
                Event::Deliver { to, .. } => *to == peer,
                Event::Tick { peer: p } => *p == peer,
            })
            .map(|(seq, _)| *seq)
            .collect();
        for seq in doomed {
            self.events.remove(&seq);
        }
        self.asked.retain(|(to, _), _| *to != peer);
        self.twin_answers.retain(|(to, _), _| *to != peer);
        self.gossip.retain(|(to, _), _| *to != peer);
        self.seen.retain(|(to, _)| *to != peer);
        self.joins.retain(|(to, _), _| *to != peer);
        let stand_in = self.scratch_dir()?;
        let core = Core::open(stand_in.path(), self.clock.clone()).map_err(|e| e.to_string())?;
        let p = &mut self.peers[peer];
        // The old core is dropped here, its store closed without a word more.
        p.core = core;
        p.stand_in = Some(stand_in);
        p.down = true;
        p.tick_at = None;
        p.banned.clear();
        p.topics.clear();
        self.stats.kills += 1;
        debug!(peer, "killed");
        Ok(())
    }

    /// Starts a killed peer again from its data directory: the store opens (recovering what
    /// the kill interrupted), the engine starts, and its connections open again.
    pub fn restart(&mut self, peer: usize) -> Result<(), String> {
        if !self.peers[peer].down {
            return Ok(());
        }
        let clock = self.peer_clock(peer);
        let dir = self.peers[peer].dir.path().to_path_buf();
        // The stand-in goes first (as the process it stood for is gone), then the real store.
        let stand_in = self.peers[peer].stand_in.take();
        let mut core = Core::open(&dir, clock).map_err(|e| format!("{} does not start: {e}", self.peers[peer].name))?;
        drop(stand_in);
        let device = core.start_sync(self.config.sync.clone()).map_err(|e| e.to_string())?;
        if device != self.peers[peer].device {
            return Err(format!("{} came back as another device", self.peers[peer].name));
        }
        self.peers[peer].core = core;
        self.peers[peer].down = false;
        self.stats.restarts += 1;
        let outputs = self.peers[peer].core.take_outputs();
        self.route(peer, outputs);
        let wanted: Vec<(usize, usize)> =
            self.topology.iter().copied().filter(|&(a, b)| a == peer || b == peer).collect();
        for (a, b) in wanted {
            self.open(a, b);
        }
        debug!(peer, "started again");
        Ok(())
    }

    /// Whether a peer is down (killed, not started again).
    pub fn is_down(&self, peer: usize) -> bool {
        self.peers[peer].down
    }

    /// Sets how far a peer's wall clock is off (positive: ahead), from now on: the peer is
    /// stopped and started again with it, as a computer whose clock was set wrong. Its
    /// timers are unaffected (they run on the monotonic clock).
    pub fn skew_clock(&mut self, peer: usize, ms: i64) -> Result<(), String> {
        self.kill(peer)?;
        self.stats.kills -= 1;
        self.peers[peer].skew_ms = ms;
        self.restart(peer)?;
        self.stats.restarts -= 1;
        Ok(())
    }

    fn peer_clock(&self, peer: usize) -> Clock {
        match self.peers[peer].skew_ms {
            0 => self.clock.clone(),
            ms => self.clock.skewed(ms),
        }
    }

    fn scratch_dir(&self) -> Result<tempfile::TempDir, String> {
        match &self.config.dir {
            Some(base) => tempfile::tempdir_in(base),
            None => tempfile::tempdir(),
        }
        .map_err(|e| format!("no directory for a peer: {e}"))
    }

    /// A peer carries out a request (a member at the keyboard). For a write, `doc` names the
    /// document it changes: the change is remembered, and must be on every peer in the end.
    pub fn write(&mut self, peer: usize, request: Request, doc: Option<DocName>) -> Result<Response, ApiError> {
        if self.peers[peer].down {
            return Err(ApiError::from(weft_node::NodeError::Stopped));
        }
        let span = tracing::debug_span!("peer", n = peer).entered();
        let response = self.peers[peer].core.execute(request)?;
        drop(span);
        if let Some(name) = doc {
            let community = match &response {
                Response::Community(c) => Some(c.id),
                Response::Task(t) => Some(t.community),
                Response::Entry(e) => Some(e.community),
                _ => self.peers[peer].core.communities().first().copied(),
            };
            if let Some(community) = community
                && let Ok(m) = self.peers[peer].core.manifest(community)
                && let Some(d) = m.docs.iter().find(|d| d.name == name)
            {
                // Our change is the one head of the document right after we wrote it.
                for h in &d.heads {
                    self.written.push((peer, DocId { community, name }, *h));
                }
            }
        }
        let outputs = self.peers[peer].core.take_outputs();
        self.route(peer, outputs);
        Ok(response)
    }

    /// Moves the clock on without running the network (laptops asleep overnight): whatever
    /// was due meanwhile happens late, at once, when the network runs again.
    pub fn skip(&mut self, d: Duration) {
        let until = self.now + d;
        self.advance_to(until);
    }

    /// Runs the network for a while of simulated time.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        while self.step(until) {}
        self.advance_to(until);
    }

    /// Runs until `done` holds of a peer for every peer in `peers`, within `limit` of simulated
    /// time, asking it of each peer (not done yet) after every input or tick that peer takes.
    /// Returns when each became done, by peer: `None` for those that did not by the limit.
    pub fn run_watching(
        &mut self,
        peers: &[usize],
        limit: Duration,
        mut done: impl FnMut(&mut Core) -> bool,
    ) -> BTreeMap<usize, Option<Duration>> {
        let mut when: BTreeMap<usize, Option<Duration>> = peers.iter().map(|p| (*p, None)).collect();
        for (p, w) in &mut when {
            if done(&mut self.peers[*p].core) {
                *w = Some(self.elapsed());
            }
        }
        let until = self.now + limit;
        let mut left = when.values().filter(|w| w.is_none()).count();
        while left > 0 {
            let Some(touched) = self.step_peer(until) else { break };
            if let Some(p) = touched
                && let Some(w) = when.get_mut(&p)
                && w.is_none()
                && done(&mut self.peers[p].core)
            {
                *w = Some(self.elapsed());
                left -= 1;
            }
        }
        when
    }

    /// Runs until each commons in `commons` is the same (the same heads) on every peer listed
    /// with it, within `limit` of simulated time; as [`Sim::run_until_converged`].
    pub fn run_until_commons_converged(
        &mut self,
        commons: &[(CommunityId, Vec<usize>)],
        limit: Duration,
    ) -> Result<Duration, String> {
        const CHECK_EVERY: Duration = Duration::from_millis(250);
        let start = self.now;
        let until = self.now + limit;
        let mut next_check = self.now;
        loop {
            if (self.now >= next_check || !self.in_flight()) && self.commons_diverging(commons).is_none() {
                return Ok(self.now.since(start));
            }
            if self.now >= next_check {
                next_check = self.now + CHECK_EVERY;
            }
            if !self.step(until) {
                return match self.commons_diverging(commons) {
                    None => Ok(self.now.since(start)),
                    Some(why) => Err(format!("commons not converged after {limit:?} of simulated time: {why}")),
                };
            }
        }
    }

    /// The heads of a commons as a peer holds it (`None`: it holds no commons of `community`,
    /// or may not sync it).
    pub fn commons_heads(&mut self, peer: usize, community: CommunityId) -> Option<BTreeSet<ChangeHash>> {
        let m = self.peers[peer].core.manifest(community).ok()?;
        m.docs.into_iter().find(|d| d.name == DocName::Commons).map(|d| d.heads.into_iter().collect())
    }

    /// The first commons in `commons` whose listed peers hold it differently, in words.
    fn commons_diverging(&mut self, commons: &[(CommunityId, Vec<usize>)]) -> Option<String> {
        for (c, peers) in commons {
            let heads: Vec<_> = peers.iter().map(|p| self.commons_heads(*p, *c)).collect();
            if !heads.windows(2).all(|w| w[0].is_some() && w[0] == w[1]) || heads.first().is_some_and(Option::is_none) {
                let have = heads.iter().filter(|h| h.is_some()).count();
                return Some(format!(
                    "the commons of {} differs among {} peers ({have} hold it)",
                    c.short(),
                    peers.len()
                ));
            }
        }
        None
    }

    /// Runs until every peer holds the same documents of `community` (the same heads of every
    /// document: whatever is still on its way carries nothing new), within `limit` of
    /// simulated time. Looks every `CHECK_EVERY` of simulated time, and whenever nothing is on
    /// its way. Returns the simulated time it took.
    pub fn run_until_converged(&mut self, community: CommunityId, limit: Duration) -> Result<Duration, String> {
        let all: Vec<usize> = (0..self.peers.len()).collect();
        self.run_until_converged_among(community, &all, limit)
    }

    /// [`Sim::run_until_converged`] among `peers` only (a community's, beside its neighbours').
    pub fn run_until_converged_among(
        &mut self,
        community: CommunityId,
        peers: &[usize],
        limit: Duration,
    ) -> Result<Duration, String> {
        const CHECK_EVERY: Duration = Duration::from_millis(250);
        let start = self.now;
        let until = self.now + limit;
        let mut next_check = self.now;
        loop {
            if (self.now >= next_check || !self.in_flight()) && self.converged_among(community, peers) {
                return Ok(self.now.since(start));
            }
            if self.now >= next_check {
                next_check = self.now + CHECK_EVERY;
            }
            if !self.step(until) {
                if self.converged_among(community, peers) {
                    return Ok(self.now.since(start));
                }
                return Err(format!(
                    "not converged after {:?} of simulated time: {}",
                    limit,
                    self.divergence(community)
                ));
            }
        }
    }

    /// Whether any delivery is on its way.
    fn in_flight(&self) -> bool {
        self.events.values().any(|e| matches!(e, Event::Deliver { .. }))
    }

    /// The manifests (heads and sizes of every document) of every peer holding `community`.
    pub fn manifests(&mut self, community: CommunityId) -> Vec<Option<Manifest>> {
        self.peers.iter_mut().map(|p| p.core.manifest(community).ok()).collect()
    }

    /// Whether every peer holds the same heads of every document of `community`.
    pub fn converged(&mut self, community: CommunityId) -> bool {
        let all: Vec<usize> = (0..self.peers.len()).collect();
        self.converged_among(community, &all)
    }

    /// Whether every peer of `peers` holds the same heads of every document of `community`.
    pub fn converged_among(&mut self, community: CommunityId, peers: &[usize]) -> bool {
        let heads: Vec<Option<Heads>> =
            peers.iter().map(|p| self.peers[*p].core.manifest(community).ok().map(|m| heads_of(&m))).collect();
        heads.windows(2).all(|w| w[0].is_some() && w[0] == w[1])
    }

    /// In words, how the peers' documents differ: the peers grouped by what they hold.
    pub fn divergence(&mut self, community: CommunityId) -> String {
        let manifests = self.manifests(community);
        let mut groups: Vec<(Option<Heads>, String, Vec<String>)> = Vec::new();
        for (i, m) in manifests.iter().enumerate() {
            let heads = m.as_ref().map(heads_of);
            let sizes = m.as_ref().map_or_else(
                || "no community".to_owned(),
                |m| m.docs.iter().map(|d| format!("{}={}", d.name, d.changes)).collect::<Vec<_>>().join(" "),
            );
            match groups.iter_mut().find(|(h, _, _)| *h == heads) {
                Some((_, _, names)) => names.push(self.peers[i].name.clone()),
                None => groups.push((heads, sizes, vec![self.peers[i].name.clone()])),
            }
        }
        groups
            .iter()
            .map(|(_, sizes, names)| format!("{} peer(s) hold {sizes} ({})", names.len(), names.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The writes reported done that some peer does not hold: (writer, document, change).
    pub fn missing_writes(&mut self) -> Vec<(String, DocId, ChangeHash)> {
        let mut missing = Vec::new();
        for (writer, doc, hash) in self.written.clone() {
            for p in 0..self.peers.len() {
                if !self.peers[p].core.holds(doc, &hash) {
                    missing.push((self.peers[p].name.clone(), doc, hash));
                    debug!(writer, "a write is missing");
                }
            }
        }
        missing
    }

    /// How many writes were reported done.
    pub fn writes(&self) -> usize {
        self.written.len()
    }

    /// Incidents every peer's book holds (peers penalised for what they sent).
    pub fn incidents(&self) -> Vec<String> {
        self.peers.iter().flat_map(|p| p.core.peers().incidents).collect()
    }

    fn id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn advance_to(&mut self, at: Mono) {
        if at > self.now {
            self.hand.advance(at.since(self.now));
            self.now = at;
        }
    }

    fn schedule(&mut self, at: Mono, event: Event) {
        self.seq += 1;
        self.events.insert(self.seq, event);
        self.queue.push(Reverse((at, self.seq)));
    }

    fn delay(&mut self) -> Duration {
        let (lo, hi) = self.config.delay;
        let span = u64::try_from(hi.saturating_sub(lo).as_micros()).unwrap_or(u64::MAX).max(1);
        lo + Duration::from_micros(self.rng.below(span))
    }

    /// Sends an input to `to` after a network delay (lost at the configured rate if it crosses
    /// the network, i.e. `from` is a peer).
    fn send(&mut self, from: Option<usize>, to: usize, input: Input) {
        if from.is_some() && self.rng.chance(self.config.loss) {
            self.stats.lost += 1;
            tracing::trace!(?from, to, ?input, "lost");
            return;
        }
        let conn = from.and_then(|from| self.links.get(&pair(from, to)).copied()).unwrap_or(0);
        let at = self.now + self.delay();
        self.schedule(at, Event::Deliver { to, input: Box::new(input), from, conn });
    }

    /// An input for a peer from its own side (a connection opening, a join asked for): now.
    fn deliver(&mut self, to: usize, input: Input, from: Option<usize>) {
        let at = self.now;
        self.schedule(at, Event::Deliver { to, input: Box::new(input), from, conn: 0 });
    }

    /// Takes the next event, if one is due by `until`. Returns false when none is.
    fn step(&mut self, until: Mono) -> bool {
        self.step_peer(until).is_some()
    }

    /// Takes the next event, if one is due by `until`: `None` when none is, else the peer that
    /// took an input or a tick (if any: a delivery may be cut or a repeat).
    fn step_peer(&mut self, until: Mono) -> Option<Option<usize>> {
        let Reverse((at, seq)) = self.queue.peek().copied()?;
        if at > until {
            return None;
        }
        self.queue.pop();
        let Some(event) = self.events.remove(&seq) else { return Some(None) };
        tracing::trace!(?at, ?event, "step");
        self.advance_to(at);
        match event {
            Event::Deliver { to, input, from, conn } => {
                if let Some(from) = from
                    && (self.silent.contains(&pair(from, to)) || self.links.get(&pair(from, to)) != Some(&conn))
                {
                    self.stats.cut += 1;
                    tracing::trace!(from, to, ?input, "cut");
                    return Some(None);
                }
                // Gossipsub takes each message once.
                if let Input::Gossip { data, id, .. } = &*input
                    && !self.seen.insert((to, hash_of(data)))
                {
                    self.gossip.remove(&(to, *id));
                    return Some(None);
                }
                let span = tracing::debug_span!("peer", n = to).entered();
                let outputs = self.peers[to].core.input(*input);
                drop(span);
                self.route(to, outputs);
                Some(Some(to))
            }
            Event::Tick { peer } => {
                if self.peers[peer].tick_at != Some(at) {
                    return Some(None);
                }
                self.peers[peer].tick_at = None;
                self.stats.ticks += 1;
                let span = tracing::debug_span!("peer", n = peer).entered();
                let mut outputs = self.peers[peer].core.input(Input::Tick);
                // What falls due between jobs (the commons tended, escalation) runs too, as the
                // node's thread runs it, and what it writes goes out.
                self.peers[peer].core.run_due();
                outputs.extend(self.peers[peer].core.take_outputs());
                drop(span);
                self.route(peer, outputs);
                Some(Some(peer))
            }
        }
    }

    fn index_of(&self, device: &DeviceId) -> Option<usize> {
        self.peers.iter().position(|p| p.device == *device)
    }

    /// Carries out what a peer's engine asked for.
    fn route(&mut self, from: usize, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Request { peer, id, request } => self.request(from, peer, id, request),
                Output::Respond { id, response } => self.respond(from, id, response),
                Output::Publish { community, doc, data } => {
                    self.seen.insert((from, hash_of(&data)));
                    let topic = Topic { community, commons: doc == DocName::Commons };
                    if !self.spread_gossip(from, None, topic, &data) {
                        // Nobody listens (gossipsub says so): the engine syncs instead.
                        self.deliver(from, Input::PublishFailed { community, doc }, None);
                    }
                }
                Output::Judge { id, verdict, .. } => {
                    if let Some((source, topic, data)) = self.gossip.remove(&(from, id))
                        && verdict == Verdict::Accept
                    {
                        self.spread_gossip(from, Some(source), topic, &data);
                    }
                }
                Output::Subscribe(community) => {
                    self.peers[from].topics.insert(Topic { community, commons: false });
                }
                Output::SubscribeCommons(community) => {
                    self.peers[from].topics.insert(Topic { community, commons: true });
                }
                Output::DialViaRelays(_) | Output::Event(_) => {}
                Output::Dial(address) => {
                    if let Some(to) = self.peers.iter().position(|p| p.address == address) {
                        self.open(from, to);
                    }
                }
                Output::Disconnect(device) => {
                    if let Some(to) = self.index_of(&device) {
                        debug!(from, to, "a peer disconnects another");
                        self.close(from, to);
                    }
                }
                Output::Ban(device) => {
                    if let Some(to) = self.index_of(&device) {
                        debug!(from, to, "a peer bans another");
                        self.peers[from].banned.insert(to);
                        self.close(from, to);
                    }
                }
                Output::Unban(device) => {
                    if let Some(to) = self.index_of(&device) {
                        self.peers[from].banned.remove(&to);
                    }
                }
                Output::Joined { ticket, result } => {
                    debug!(peer = from, ?result, "joining is over");
                    self.joins.insert((from, ticket), result.map_err(|e| e.to_string()));
                }
            }
        }
        // The engine's next timer, or the node's next work between jobs (at least a moment
        // from now: work due now was just done).
        let core = &self.peers[from].core;
        let engine = core.next_timer().map(|at| at.max(self.now));
        let due = core.next_due().map(|at| at.max(self.now + Duration::from_millis(1)));
        if let Some(at) = engine.into_iter().chain(due).min()
            && self.peers[from].tick_at.is_none_or(|t| at < t)
        {
            self.peers[from].tick_at = Some(at);
            self.schedule(at, Event::Tick { peer: from });
        }
    }

    fn request(&mut self, from: usize, device: DeviceId, id: RequestId, request: wire::Request) {
        let Some(to) = self.index_of(&device).filter(|to| self.links.contains_key(&pair(from, *to))) else {
            // libp2p would try to dial and fail.
            let answer = Err("the peer is not connected".to_owned());
            self.deliver(from, Input::Answer { id, answer }, None);
            return;
        };
        self.stats.requests += 1;
        let bytes = request.encode();
        let compare = matches!(request, wire::Request::Sync(_));
        let copies = if self.rng.chance(self.config.duplicate) { 2 } else { 1 };
        // A sync frame delivered twice: each copy knows the other, to compare their answers.
        let ids: Vec<InboundId> = (0..copies).map(|_| InboundId(self.id())).collect();
        for (n, inbound_id) in ids.iter().copied().enumerate() {
            let request = match wire::Request::decode(&bytes) {
                Ok(request) => request,
                Err(e) => {
                    // The receiving side cannot read it: the stream fails, as libp2p's would.
                    tracing::warn!(from, to, %e, "a request does not decode");
                    let answer = Err(format!("the request could not be read: {e}"));
                    self.deliver(from, Input::Answer { id, answer }, None);
                    return;
                }
            };
            let twin = if compare { ids.get(1 - n).copied() } else { None };
            self.asked.insert((to, inbound_id), Asked { from, id, twin });
            let input =
                Input::Request { peer: self.peers[from].device, id: inbound_id, request: Inbound::from(request) };
            self.send(Some(from), to, input);
        }
        if copies == 2 {
            self.stats.duplicated += 1;
        }
    }

    fn respond(&mut self, from: usize, id: InboundId, response: wire::Response) {
        let Some(asked) = self.asked.remove(&(from, id)) else { return };
        if let wire::Response::Refused(r) = &response {
            debug!(from, to = asked.from, reason = %r.reason, "a request refused");
        }
        let bytes = response.encode();
        // A sync frame delivered twice: the second answer is compared with the first.
        if let Some(twin) = asked.twin {
            match self.twin_answers.remove(&(from, twin)) {
                None => {
                    self.twin_answers.insert((from, id), bytes.clone());
                }
                Some(b) if b == bytes => self.stats.repeats_answered_alike += 1,
                Some(b) => {
                    let first = wire::Response::decode(&b);
                    let refused = |r: &wire::Response| matches!(r, wire::Response::Refused(_));
                    if refused(&response) || first.as_ref().is_ok_and(refused) {
                        self.stats.repeats_refused += 1;
                    } else {
                        debug!(?first, second = ?response, "a sync frame delivered twice was answered differently");
                        self.stats.repeats_answered_differently += 1;
                    }
                }
            }
        }
        self.stats.answers += 1;
        let answer = match wire::Response::decode(&bytes) {
            Ok(response) => Ok(Answer::from(response)),
            Err(e) => {
                tracing::warn!(from, to = asked.from, %e, "an answer does not decode");
                Err(format!("the answer could not be read: {e}"))
            }
        };
        self.send(Some(from), asked.from, Input::Answer { id: asked.id, answer });
    }

    /// Sends a gossip message to `from`'s connected peers subscribed to its topic but
    /// `except`, each once, as gossipsub does. Returns whether anyone was there to send it to.
    fn spread_gossip(&mut self, from: usize, except: Option<usize>, topic: Topic, data: &[u8]) -> bool {
        let hash = hash_of(data);
        let neighbours: Vec<usize> = self
            .links
            .keys()
            .filter_map(|(a, b)| match (*a == from, *b == from) {
                (true, _) => Some(*b),
                (_, true) => Some(*a),
                _ => None,
            })
            .filter(|n| self.peers[*n].topics.contains(&topic))
            .collect();
        let any = !neighbours.is_empty();
        for n in neighbours {
            if Some(n) == except || self.seen.contains(&(n, hash)) {
                continue;
            }
            self.stats.gossip += 1;
            let id = GossipId(self.id());
            self.gossip.insert((n, id), (from, topic, data.to_vec()));
            let input = Input::Gossip { source: self.peers[from].device, id, data: data.to_vec() };
            self.send(Some(from), n, input);
        }
        any
    }
}

/// The heads of each document of a community, as a peer holds them.
type Heads = BTreeMap<DocName, BTreeSet<ChangeHash>>;

fn heads_of(m: &Manifest) -> Heads {
    m.docs.iter().map(|d| (d.name, d.heads.iter().copied().collect())).collect()
}
