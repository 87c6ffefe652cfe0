//! A few peers in one process, driven by hand: real [`Core`]s (each its own data directory)
//! whose engines' messages are carried at once, in order, as their wire bytes, on one manual
//! clock. A small cousin of the `weft-harness` network (which depends on this crate, so tests
//! here cannot use it): no loss, no delay, no partitions — these tests are about what a peer
//! keeps on disk, not about the network.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;

use weft_core::doc::{DocId, DocName};
use weft_core::{CommunityId, DeviceId, Timestamp};
use weft_net::wire;
use weft_net::{Discovery, Multiaddr};
use weft_node::api::EntryInfo;
use weft_node::sync::{Answer, GossipId, Inbound, InboundId, Input, Output, RequestId, SyncConfig};
use weft_node::{ApiError, Clock, Core, Mono, Request, Response, TimeHand};

/// A wall clock in the middle of a year, so ledgers and weeks look ordinary.
pub const MIDYEAR: Timestamp = Timestamp(1_786_000_000_000);

/// The most inputs and ticks one run may take (every loop here is bounded).
const MAX_STEPS: usize = 200_000;

pub struct Peer {
    pub core: Core,
    pub device: DeviceId,
    pub dir: PathBuf,
    address: Multiaddr,
    tick_at: Option<Mono>,
}

pub struct Net {
    pub clock: Clock,
    hand: TimeHand,
    pub peers: Vec<Peer>,
    links: BTreeMap<(usize, usize), u64>,
    next_conn: u64,
    /// Inputs on their way: to whom, and on which connection (`0`: from the peer's own side).
    queue: VecDeque<(usize, u64, Input)>,
    asked: HashMap<(usize, InboundId), (usize, RequestId)>,
    joins: HashMap<u64, Result<Vec<CommunityId>, String>>,
    next_id: u64,
}

fn pair(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

impl Net {
    /// Opens a peer on each directory (with an identity of the given name if it has none), on
    /// a manual clock at `wall`, their engines running, nobody connected.
    pub fn open(dirs: &[(&Path, &str)], wall: Timestamp) -> Self {
        if let Ok(filter) = std::env::var("WEFT_TEST_LOG") {
            let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        }
        let (clock, hand) = Clock::manual(wall);
        let mut net = Self {
            clock,
            hand,
            peers: Vec::new(),
            links: BTreeMap::new(),
            next_conn: 0,
            queue: VecDeque::new(),
            asked: HashMap::new(),
            joins: HashMap::new(),
            next_id: 1,
        };
        for (dir, name) in dirs {
            let mut core = Core::open(dir, net.clock.clone()).unwrap();
            if matches!(core.execute(Request::Whoami), Err(e) if e.code == weft_node::ErrorCode::NotInitialised) {
                core.execute(Request::Init { name: (*name).into() }).unwrap();
            }
            let config = SyncConfig { request_timeout: Duration::from_secs(5), ..SyncConfig::default() };
            let device = core.start_sync(config).unwrap();
            let address: Multiaddr = format!("/memory/{}", net.peers.len()).parse().unwrap();
            net.peers.push(Peer { core, device, dir: dir.to_path_buf(), address, tick_at: None });
            let at = net.peers.len() - 1;
            let outputs = net.peers[at].core.take_outputs();
            net.route(at, outputs);
        }
        net
    }

    pub fn now(&self) -> Mono {
        self.clock.mono()
    }

    pub fn connect(&mut self, a: usize, b: usize) {
        if a == b || self.links.contains_key(&pair(a, b)) {
            return;
        }
        self.next_conn += 1;
        self.links.insert(pair(a, b), self.next_conn);
        let (da, db) = (self.peers[a].device, self.peers[b].device);
        let (aa, ab) = (self.peers[a].address.to_string(), self.peers[b].address.to_string());
        self.queue.push_back((a, 0, Input::Connected { peer: db, how: Discovery::Address, address: ab }));
        self.queue.push_back((b, 0, Input::Connected { peer: da, how: Discovery::Inbound, address: aa }));
    }

    pub fn disconnect(&mut self, a: usize, b: usize) {
        if self.links.remove(&pair(a, b)).is_none() {
            return;
        }
        let (da, db) = (self.peers[a].device, self.peers[b].device);
        self.queue.push_back((a, 0, Input::Disconnected { peer: db }));
        self.queue.push_back((b, 0, Input::Disconnected { peer: da }));
    }

    /// A member at `peer`'s keyboard; what the write sends goes out.
    pub fn write(&mut self, peer: usize, request: Request) -> Result<Response, ApiError> {
        let response = self.peers[peer].core.execute(request);
        let outputs = self.peers[peer].core.take_outputs();
        self.route(peer, outputs);
        response
    }

    /// Logs an hour to `peer`'s first community; the entry, if reported done.
    pub fn log(&mut self, peer: usize, note: &str) -> Result<EntryInfo, ApiError> {
        self.log_on(peer, note, None)
    }

    pub fn log_on(&mut self, peer: usize, note: &str, date: Option<weft_core::Date>) -> Result<EntryInfo, ApiError> {
        let request = Request::Log {
            community: None,
            task: None,
            sector: Some("food".parse().unwrap()),
            minutes: weft_core::Minutes(60),
            date,
            note: note.into(),
        };
        match self.write(peer, request)? {
            Response::Entry(e) => Ok(e),
            other => panic!("logging answered {other:?}"),
        }
    }

    /// `peer` founds a community.
    pub fn found(&mut self, peer: usize, name: &str) -> CommunityId {
        match self.write(peer, Request::CommunityCreate { name: name.into() }).unwrap() {
            Response::Community(c) => c.id,
            other => panic!("founding answered {other:?}"),
        }
    }

    /// `who` joins `community` with an invitation from `via`, through the join protocol.
    pub fn join(&mut self, who: usize, via: usize, community: CommunityId) {
        let address = self.peers[via].address.clone();
        let code = self.peers[via].core.invite(community, 1, vec![address]).unwrap();
        let outputs = self.peers[via].core.take_outputs();
        self.route(via, outputs);
        let identity = self.peers[who].core.join_identity(None).unwrap();
        let ticket = self.id();
        self.queue.push_back((who, 0, Input::Join { ticket, code, identity }));
        let done = self.run_until(Duration::from_secs(120), |net| net.joins.contains_key(&ticket));
        assert!(done, "the join did not finish");
        self.joins.remove(&ticket).unwrap().expect("joined");
    }

    /// Runs for a while of simulated time: every input on its way, every timer that falls due.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now() + d;
        for _ in 0..MAX_STEPS {
            if !self.step(until) {
                break;
            }
        }
        self.advance_to(until);
    }

    /// Runs until `done` holds (looked at after every step), within `limit` of simulated time.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Self) -> bool) -> bool {
        let until = self.now() + limit;
        for _ in 0..MAX_STEPS {
            if done(self) {
                return true;
            }
            if !self.step(until) {
                return done(self);
            }
        }
        done(self)
    }

    /// Runs until every peer holds the same heads of every document of `community`.
    pub fn converge(&mut self, community: CommunityId, limit: Duration) -> bool {
        self.run_until(limit, |net| net.converged(community))
    }

    pub fn converged(&mut self, community: CommunityId) -> bool {
        let heads: Vec<_> = (0..self.peers.len()).map(|p| self.heads(p, community)).collect();
        heads.windows(2).all(|w| w[0].is_some() && w[0] == w[1])
    }

    /// The heads of every document of `community` as `peer` holds them in memory.
    pub fn heads(
        &mut self,
        peer: usize,
        community: CommunityId,
    ) -> Option<BTreeMap<DocName, Vec<automerge::ChangeHash>>> {
        let m = self.peers[peer].core.manifest(community).ok()?;
        Some(m.docs.into_iter().map(|d| (d.name, d.heads)).collect())
    }

    pub fn holds(&mut self, peer: usize, doc: DocId, hash: &automerge::ChangeHash) -> bool {
        self.peers[peer].core.holds(doc, hash)
    }

    /// Incidents on any peer's book (a peer penalised for what it sent).
    pub fn incidents(&self) -> Vec<String> {
        self.peers.iter().flat_map(|p| p.core.peers().incidents).collect()
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn advance_to(&mut self, at: Mono) {
        let now = self.now();
        if at > now {
            self.hand.advance(at.since(now));
        }
    }

    /// Takes the next input on its way or, with none, the next timer due by `until`.
    fn step(&mut self, until: Mono) -> bool {
        if let Some((to, conn, input)) = self.queue.pop_front() {
            if conn != 0 && !self.links.values().any(|c| *c == conn) {
                return true; // its connection closed on the way
            }
            let outputs = self.peers[to].core.input(input);
            self.route(to, outputs);
            return true;
        }
        let Some((peer, at)) =
            self.peers.iter().enumerate().filter_map(|(i, p)| p.tick_at.map(|t| (i, t))).min_by_key(|(_, t)| *t)
        else {
            return false;
        };
        if at > until {
            return false;
        }
        self.advance_to(at);
        self.peers[peer].tick_at = None;
        let mut outputs = self.peers[peer].core.input(Input::Tick);
        self.peers[peer].core.run_due();
        outputs.extend(self.peers[peer].core.take_outputs());
        self.route(peer, outputs);
        true
    }

    fn index_of(&self, device: &DeviceId) -> Option<usize> {
        self.peers.iter().position(|p| p.device == *device)
    }

    fn send(&mut self, from: usize, to: usize, input: Input) {
        if let Some(conn) = self.links.get(&pair(from, to)).copied() {
            self.queue.push_back((to, conn, input));
        }
    }

    fn route(&mut self, from: usize, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Request { peer, id, request } => {
                    let to = self.index_of(&peer).filter(|to| self.links.contains_key(&pair(from, *to)));
                    let Some(to) = to else {
                        let answer = Err("the peer is not connected".to_owned());
                        self.queue.push_back((from, 0, Input::Answer { id, answer }));
                        continue;
                    };
                    let request = wire::Request::decode(&request.encode()).expect("a request decodes");
                    let inbound_id = InboundId(self.id());
                    self.asked.insert((to, inbound_id), (from, id));
                    let device = self.peers[from].device;
                    self.send(
                        from,
                        to,
                        Input::Request { peer: device, id: inbound_id, request: Inbound::from(request) },
                    );
                }
                Output::Respond { id, response } => {
                    let Some((to, asked)) = self.asked.remove(&(from, id)) else { continue };
                    let response = wire::Response::decode(&response.encode()).expect("an answer decodes");
                    self.send(from, to, Input::Answer { id: asked, answer: Ok(Answer::from(response)) });
                }
                Output::Publish { community, doc, data } => {
                    let others: Vec<usize> = self
                        .links
                        .keys()
                        .filter_map(|(a, b)| {
                            if *a == from {
                                Some(*b)
                            } else if *b == from {
                                Some(*a)
                            } else {
                                None
                            }
                        })
                        .collect();
                    if others.is_empty() {
                        self.queue.push_back((from, 0, Input::PublishFailed { community, doc }));
                    }
                    for to in others {
                        let id = GossipId(self.id());
                        let source = self.peers[from].device;
                        self.send(from, to, Input::Gossip { source, id, data: data.clone() });
                    }
                }
                Output::Dial(address) => {
                    if let Some(to) = self.peers.iter().position(|p| p.address == address) {
                        self.connect(from, to);
                    }
                }
                Output::Disconnect(device) | Output::Ban(device) => {
                    if let Some(to) = self.index_of(&device) {
                        self.disconnect(from, to);
                    }
                }
                Output::Joined { ticket, result } => {
                    self.joins.insert(ticket, result.map_err(|e| e.to_string()));
                }
                Output::Judge { .. }
                | Output::Subscribe(_)
                | Output::SubscribeCommons(_)
                | Output::DialViaRelays(_)
                | Output::Unban(_)
                | Output::Event(_) => {}
            }
        }
        // The engine's next timer, or the node's next work between jobs (a moment from now at
        // the soonest: work due now was just done).
        let now = self.now();
        let core = &self.peers[from].core;
        let engine = core.next_timer().map(|at| at.max(now));
        let due = core.next_due().map(|at| at.max(now + Duration::from_millis(1)));
        self.peers[from].tick_at = engine.into_iter().chain(due).min();
    }
}

/// Every entry of the caller's own on `peer` (none is ever confirmed in these tests).
pub fn my_entries(net: &mut Net, peer: usize) -> Vec<weft_core::EntryId> {
    match net.write(peer, Request::Pending { community: None }).unwrap() {
        Response::Pending(p) => p.mine_unconfirmed.into_iter().map(|e| e.id).collect(),
        other => panic!("pending answered {other:?}"),
    }
}

/// Others' entries `peer` holds (at most 100).
pub fn others_entries(net: &mut Net, peer: usize) -> Vec<weft_core::EntryId> {
    match net.write(peer, Request::Pending { community: None }).unwrap() {
        Response::Pending(p) => p.to_confirm.into_iter().map(|e| e.id).collect(),
        other => panic!("pending answered {other:?}"),
    }
}

/// SQLite's integrity check of a data directory's database, from outside the node.
pub fn integrity(dir: &Path) -> String {
    let conn = rusqlite::Connection::open(dir.join("weft.sqlite3")).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}
