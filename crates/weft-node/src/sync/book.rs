//! What we know of each connected peer: who it is, how each document stands with it, what went
//! wrong; incidents that outlive a connection; bans, strangers' grace and newcomers.

use std::collections::{BTreeMap, VecDeque};

use weft_core::DeviceId;
use weft_core::doc::DocId;
use weft_net::Discovery;

use crate::api::SyncStatus;
use crate::clock::Mono;

/// How many past incidents `weft peers` shows.
const INCIDENTS: usize = 20;

#[derive(Debug)]
struct Peer {
    how: Discovery,
    address: String,
    member: Option<String>,
    docs: BTreeMap<DocId, SyncStatus>,
    problem: Option<String>,
    /// A stranger is disconnected at this time unless it turns out to be a member.
    stranger_until: Option<Mono>,
}

/// Something that went wrong with a peer, kept after the peer is gone.
#[derive(Debug, Clone)]
struct Incident {
    peer: DeviceId,
    member: Option<String>,
    /// What kind of thing it is: the same kind again from the same peer is counted on the
    /// same line (a flood is one line, not the whole list).
    kind: &'static str,
    what: String,
    times: u32,
}

#[derive(Debug, Default)]
pub(super) struct Book {
    peers: BTreeMap<DeviceId, Peer>,
    incidents: VecDeque<Incident>,
    /// Peers refused until then.
    banned: BTreeMap<DeviceId, Mono>,
    /// Peers we just admitted, until then: they start the sessions that bring them everything,
    /// and ours would send it all a second time.
    newcomers: BTreeMap<DeviceId, Mono>,
    /// Frames a peer sent that could not be read, and since when we count them.
    strikes: BTreeMap<DeviceId, (u32, Mono)>,
}

/// One peer as `weft peers` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerSnapshot {
    pub device: DeviceId,
    pub how: Discovery,
    pub address: String,
    pub member: Option<String>,
    pub docs: Vec<(DocId, SyncStatus)>,
    pub problem: Option<String>,
}

/// The book as `weft peers` shows it: the peers, and recent incidents in words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookSnapshot {
    pub peers: Vec<PeerSnapshot>,
    pub incidents: Vec<String>,
}

impl Book {
    pub fn connect(&mut self, peer: DeviceId, how: Discovery, address: String) {
        self.peers.insert(
            peer,
            Peer { how, address, member: None, docs: BTreeMap::new(), problem: None, stranger_until: None },
        );
    }

    /// Forgets a peer that left; whether it was connected.
    pub fn disconnect(&mut self, peer: &DeviceId) -> bool {
        self.newcomers.remove(peer);
        self.peers.remove(peer).is_some()
    }

    pub fn connected(&self) -> Vec<DeviceId> {
        self.peers.keys().copied().collect()
    }

    /// Notes who a peer is: a member (by name, if known) or not one of ours (yet).
    pub fn identified(&mut self, peer: &DeviceId, member: bool, name: Option<String>) {
        let Some(p) = self.peers.get_mut(peer) else { return };
        if member {
            p.member = name;
            if p.problem.as_deref().is_some_and(|w| w.starts_with("not a member")) {
                p.problem = None;
            }
        } else {
            p.problem = Some("not a member of any of our communities nor of a linked neighbour (yet)".into());
        }
    }

    /// Notes how a document stands with a peer; whether that changed (an event for the UI).
    pub fn set_doc(&mut self, peer: &DeviceId, doc: DocId, state: SyncStatus) -> bool {
        let Some(p) = self.peers.get_mut(peer) else { return false };
        p.docs.insert(doc, state.clone()) != Some(state)
    }

    pub fn set_problem(&mut self, peer: &DeviceId, problem: Option<String>) {
        if let Some(p) = self.peers.get_mut(peer) {
            p.problem = problem;
        }
    }

    /// A peer broke the rules: the problem is noted, kept as an incident, and the peer is
    /// refused until `until`.
    pub fn incident(&mut self, peer: DeviceId, what: String, until: Mono) {
        self.note(peer, "refused", what);
        self.banned.insert(peer, until);
    }

    /// Something a peer did that `weft peers` should show, kept as an incident; the peer stays.
    /// The same kind of thing again from the same peer, with nothing else in between, counts on
    /// the same line (in the latest words). Returns whether it is a new line.
    pub fn note(&mut self, peer: DeviceId, kind: &'static str, what: String) -> bool {
        let member = self.peers.get(&peer).and_then(|p| p.member.clone());
        self.set_problem(&peer, Some(what.clone()));
        if let Some(last) = self.incidents.back_mut()
            && last.peer == peer
            && last.kind == kind
        {
            last.times = last.times.saturating_add(1);
            last.what = what;
            return false;
        }
        if self.incidents.len() >= INCIDENTS {
            self.incidents.pop_front();
        }
        self.incidents.push_back(Incident { peer, member, kind, what, times: 1 });
        true
    }

    /// Forgets strikes counted more than `window` ago.
    pub fn forget_strikes(&mut self, now: Mono, window: std::time::Duration) {
        self.strikes.retain(|_, (_, since)| now.since(*since) < window);
    }

    /// One more frame of `peer` that could not be read; how many within `window` of the first.
    pub fn strike(&mut self, peer: DeviceId, now: Mono, window: std::time::Duration) -> u32 {
        let entry = self.strikes.entry(peer).or_insert((0, now));
        if now.since(entry.1) >= window {
            *entry = (0, now);
        }
        entry.0 = entry.0.saturating_add(1);
        entry.0
    }

    pub fn is_banned(&self, peer: &DeviceId, now: Mono) -> bool {
        self.banned.get(peer).is_some_and(|until| *until > now)
    }

    /// Bans that ran out, forgotten.
    pub fn bans_over(&mut self, now: Mono) -> Vec<DeviceId> {
        let over: Vec<DeviceId> = self.banned.iter().filter(|(_, until)| **until <= now).map(|(p, _)| *p).collect();
        for p in &over {
            self.banned.remove(p);
        }
        over
    }

    /// A stranger may stay connected until `until` (the first time only).
    pub fn stranger(&mut self, peer: &DeviceId, until: Mono) {
        if let Some(p) = self.peers.get_mut(peer) {
            p.stranger_until.get_or_insert(until);
        }
    }

    /// A stranger may stay connected until at least `until` (one waiting for a person).
    pub fn keep_stranger(&mut self, peer: &DeviceId, until: Mono) {
        if let Some(p) = self.peers.get_mut(peer) {
            p.stranger_until = Some(p.stranger_until.map_or(until, |t| t.max(until)));
        }
    }

    pub fn not_a_stranger(&mut self, peer: &DeviceId) {
        if let Some(p) = self.peers.get_mut(peer) {
            p.stranger_until = None;
        }
    }

    /// Strangers whose grace is over (each reported once).
    pub fn strangers_due(&mut self, now: Mono) -> Vec<DeviceId> {
        let mut due = Vec::new();
        for (id, p) in &mut self.peers {
            if p.stranger_until.is_some_and(|t| t <= now) {
                p.stranger_until = None;
                due.push(*id);
            }
        }
        due
    }

    pub fn newcomer(&mut self, peer: DeviceId, until: Mono) {
        self.newcomers.insert(peer, until);
    }

    pub fn not_a_newcomer(&mut self, peer: &DeviceId) {
        self.newcomers.remove(peer);
    }

    pub fn is_newcomer(&self, peer: &DeviceId, now: Mono) -> bool {
        self.newcomers.get(peer).is_some_and(|until| *until > now)
    }

    pub fn next_timer(&self) -> Option<Mono> {
        let strangers = self.peers.values().filter_map(|p| p.stranger_until);
        strangers.chain(self.banned.values().copied()).min()
    }

    pub fn snapshot(&self) -> BookSnapshot {
        BookSnapshot {
            peers: self
                .peers
                .iter()
                .map(|(device, p)| PeerSnapshot {
                    device: *device,
                    how: p.how,
                    address: p.address.clone(),
                    member: p.member.clone(),
                    docs: p.docs.iter().map(|(d, s)| (*d, s.clone())).collect(),
                    problem: p.problem.clone(),
                })
                .collect(),
            incidents: self
                .incidents
                .iter()
                .map(|i| {
                    let who = i.member.clone().unwrap_or_else(|| {
                        let peer = weft_net::peer_of(&i.peer).map_or_else(|| i.peer.to_string(), |p| p.to_string());
                        format!("peer {peer}")
                    });
                    match i.times {
                        1 => format!("{who}: {}", i.what),
                        n => format!("{who}: {} ({n} times)", i.what),
                    }
                })
                .collect(),
        }
    }
}
