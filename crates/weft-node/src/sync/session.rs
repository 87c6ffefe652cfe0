//! Our sync sessions with peers.
//!
//! A community session exchanges manifests (the heads of every document) and then runs a
//! document session for each document whose heads differ: people first (membership decides
//! whether the rest verifies), then the others side by side. A document session runs
//! Automerge's sync protocol round by round until neither side has anything more to say,
//! within `max_rounds`. One session per (peer, document) at a time: asking for another while
//! one runs makes it go round once more, and whoever asked waits for its end.
//!
//! A request that gets no answer within `request_timeout`, or an error instead of one, is sent
//! again as it was (the same session and round, so the peer answers it again without taking
//! it in twice), up to `resends` times; then its session fails, in words for `weft peers`.
//! The periodic resync starts afresh from what both sides were known to share.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tracing::debug;
use weft_core::doc::{DocId, DocName};
use weft_core::{CommunityId, DeviceId};
use weft_net::wire::{Manifest, Request};

use super::{Answer, Engine, Output, Replica, RequestId, Role};
use crate::api::{Event, SyncStatus};
use crate::clock::Mono;

/// What one of our requests belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    Doc(DeviceId, DocId),
    Manifest(DeviceId, CommunityId),
    Join(DeviceId),
    /// Which of a peer's communities we are a device of (`Request::Rebuild`).
    Rebuild(DeviceId),
}

/// A request waiting for its answer: every id it was sent under, and the request itself, to
/// send again.
#[derive(Debug)]
struct InFlight {
    ids: Vec<RequestId>,
    request: Request,
    sent: Mono,
    tries: u32,
}

impl InFlight {
    fn new(id: RequestId, request: Request, now: Mono) -> Self {
        Self { ids: vec![id], request, sent: now, tries: 1 }
    }
}

/// Who waits for a document session to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiter {
    /// A community session, for the next of its documents.
    Community(CommunityId),
    /// Pulling a stranger's people document: once every pull ends we decide about it.
    Pull,
}

#[derive(Debug)]
struct DocSession {
    role: Role,
    /// Chosen by us, new for every run: the peer answers a frame sent twice from its cache.
    session: u64,
    round: u32,
    their_last_empty: bool,
    /// How many changes we said we hold, in our last frame.
    mine: u64,
    /// Whether our last frame carried changes.
    sent_changes: bool,
    /// Rounds in a row in which no change went either way and none was taken in.
    idle: u32,
    /// Rounds in which the peer asked for changes by hash and brought nothing new.
    asked: u32,
    in_flight: Option<InFlight>,
    /// Another run, asked for while this one runs (an initiator's, if anyone asked for one).
    again: Option<Role>,
    waiters: Vec<Waiter>,
}

#[derive(Debug, Default)]
struct CommunitySession {
    /// The manifest we sent.
    mine: Option<Manifest>,
    in_flight: Option<InFlight>,
    /// Documents to sync once the people document is done.
    rest: Vec<DocName>,
    running: BTreeSet<DocName>,
    again: bool,
    /// Joining waits for this session (with the member who admitted us).
    join: bool,
}

#[derive(Debug, Clone, Copy)]
struct Pull {
    left: usize,
    /// Sync with the peer once it turns out to be a member.
    initiate: bool,
}

#[derive(Debug, Default)]
pub(super) struct Sessions {
    docs: BTreeMap<(DeviceId, DocId), DocSession>,
    communities: BTreeMap<(DeviceId, CommunityId), CommunitySession>,
    /// Our requests waiting for an answer, and what they belong to.
    pub outbound: BTreeMap<RequestId, Target>,
    pulls: BTreeMap<DeviceId, Pull>,
    /// Join requests waiting for an answer, by the peer asked.
    joins: BTreeMap<DeviceId, InFlight>,
    /// Rebuild requests waiting for an answer, by the peer asked.
    rebuilds: BTreeMap<DeviceId, InFlight>,
}

impl Sessions {
    fn flight(&mut self, target: Target) -> Option<&mut InFlight> {
        match target {
            Target::Doc(peer, doc) => self.docs.get_mut(&(peer, doc))?.in_flight.as_mut(),
            Target::Manifest(peer, c) => self.communities.get_mut(&(peer, c))?.in_flight.as_mut(),
            Target::Join(peer) => self.joins.get_mut(&peer),
            Target::Rebuild(peer) => self.rebuilds.get_mut(&peer),
        }
    }

    /// Forgets a request in flight, with every id it was sent under.
    fn land(&mut self, target: Target) {
        let flight = match target {
            Target::Doc(peer, doc) => self.docs.get_mut(&(peer, doc)).and_then(|s| s.in_flight.take()),
            Target::Manifest(peer, c) => self.communities.get_mut(&(peer, c)).and_then(|s| s.in_flight.take()),
            Target::Join(peer) => self.joins.remove(&peer),
            Target::Rebuild(peer) => self.rebuilds.remove(&peer),
        };
        for id in flight.into_iter().flat_map(|f| f.ids) {
            self.outbound.remove(&id);
        }
    }

    fn flights(&self) -> impl Iterator<Item = (Target, &InFlight)> {
        let docs = self.docs.iter().filter_map(|((p, d), s)| Some((Target::Doc(*p, *d), s.in_flight.as_ref()?)));
        let communities =
            self.communities.iter().filter_map(|((p, c), s)| Some((Target::Manifest(*p, *c), s.in_flight.as_ref()?)));
        let joins = self.joins.iter().map(|(p, f)| (Target::Join(*p), f));
        let rebuilds = self.rebuilds.iter().map(|(p, f)| (Target::Rebuild(*p), f));
        docs.chain(communities).chain(joins).chain(rebuilds)
    }

    /// A join request to `peer`, in flight.
    pub fn ask_join(&mut self, peer: DeviceId, id: RequestId, request: Request, now: Mono) {
        self.outbound.insert(id, Target::Join(peer));
        self.joins.insert(peer, InFlight::new(id, request, now));
    }

    /// A rebuild request to `peer`, in flight.
    pub fn ask_rebuild(&mut self, peer: DeviceId, id: RequestId, now: Mono) {
        self.outbound.insert(id, Target::Rebuild(peer));
        self.rebuilds.insert(peer, InFlight::new(id, Request::Rebuild, now));
    }

    pub fn next_timer(&self, timeout: Duration) -> Option<Mono> {
        self.flights().map(|(_, f)| f.sent + timeout).min()
    }

    /// Everything running with a peer that left is dropped (its requests' answers will not come).
    pub fn drop_peer(&mut self, peer: &DeviceId) {
        self.docs.retain(|(p, _), _| p != peer);
        self.communities.retain(|(p, _), _| p != peer);
        self.pulls.remove(peer);
        self.joins.remove(peer);
        self.rebuilds.remove(peer);
        self.outbound.retain(|_, t| match t {
            Target::Doc(p, _) | Target::Manifest(p, _) | Target::Join(p) | Target::Rebuild(p) => p != peer,
        });
    }
}

/// Rounds in a row with no change either way after which a session ends.
pub(super) const IDLE_ROUNDS: u32 = 4;

/// Rounds of a session in which the peer asks for changes by hash and brings nothing new,
/// after which the session ends. A peer catching up asks for our heads every round, but a round
/// carries up to 6 MiB: sixteen are years of a large community. A hostile peer asking for one
/// change a round would otherwise go on to the round cap.
pub(super) const ASKED_ROUNDS: u32 = 16;

impl Engine {
    /// Syncs a community with a peer: manifests, then each document whose heads differ. If a
    /// session with the peer for it runs, it goes round once more when it ends.
    pub(super) fn start_community(
        &mut self,
        now: Mono,
        r: &mut impl Replica,
        peer: DeviceId,
        c: CommunityId,
        join: bool,
    ) {
        if let Some(s) = self.sessions.communities.get_mut(&(peer, c)) {
            s.again = true;
            s.join |= join;
            return;
        }
        self.sessions.communities.insert((peer, c), CommunitySession { join, ..CommunitySession::default() });
        self.send_manifest(now, r, peer, c);
    }

    fn send_manifest(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, c: CommunityId) {
        let mine = match r.manifest(c, &peer) {
            Ok(m) => m,
            Err(refusal) => {
                debug!(community = %c.short(), reason = %refusal.reason, "no manifest to send");
                self.finish_community(now, r, peer, c);
                return;
            }
        };
        let id = RequestId(self.new_id());
        let request = Request::Manifest(mine.clone());
        if let Some(s) = self.sessions.communities.get_mut(&(peer, c)) {
            s.mine = Some(mine);
            s.in_flight = Some(InFlight::new(id, request.clone(), now));
        }
        self.sessions.outbound.insert(id, Target::Manifest(peer, c));
        self.out.push(Output::Request { peer, id, request });
    }

    /// Syncs one document with a peer; if a session for it runs, it goes round once more and
    /// `waiter` waits for its end.
    fn start_doc_waited(
        &mut self,
        now: Mono,
        r: &mut impl Replica,
        peer: DeviceId,
        doc: DocId,
        role: Role,
        waiter: Option<Waiter>,
    ) {
        if let Some(s) = self.sessions.docs.get_mut(&(peer, doc)) {
            // A full session takes the peer's changes anyway: a pull asked for meanwhile only
            // waits for it. Otherwise one more run, an initiator's if anyone asked for one.
            if role != Role::Pull || s.role == Role::Pull {
                let initiator = role == Role::Initiator || s.again == Some(Role::Initiator);
                s.again = Some(if initiator { Role::Initiator } else { role });
            }
            s.waiters.extend(waiter);
            return;
        }
        let session = self.new_id();
        let s = DocSession {
            role,
            session,
            round: 0,
            their_last_empty: false,
            mine: 0,
            sent_changes: false,
            idle: 0,
            asked: 0,
            in_flight: None,
            again: None,
            waiters: waiter.into_iter().collect(),
        };
        self.sessions.docs.insert((peer, doc), s);
        if role != Role::Pull {
            self.set_doc(peer, doc, SyncStatus::Syncing);
        }
        self.doc_round(now, r, peer, doc);
    }

    /// Syncs one document with a peer (see `start_doc_waited`), nobody waiting.
    pub(super) fn start_doc(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, doc: DocId, role: Role) {
        self.start_doc_waited(now, r, peer, doc, role, None);
    }

    /// Sends the next round's frame, or ends the session when neither side has more to say.
    fn doc_round(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, doc: DocId) {
        let Some(s) = self.sessions.docs.get(&(peer, doc)) else { return };
        let (role, session, round, their_last_empty) = (s.role, s.session, s.round, s.their_last_empty);
        let first = round == 0;
        let mut frame = match r.generate(peer, doc, role, first) {
            Ok(f) => f,
            Err(refusal) => return self.finish_doc(now, r, peer, doc, Err(refusal.reason)),
        };
        if !first && frame.message.is_none() && their_last_empty {
            return self.finish_doc(now, r, peer, doc, Ok(()));
        }
        frame.session = session;
        frame.round = round;
        let id = RequestId(self.new_id());
        let mine = frame.changes;
        let sent_changes = frame.bundle.is_some() || !frame.signatures.is_empty();
        let request = Request::Sync(frame);
        if let Some(s) = self.sessions.docs.get_mut(&(peer, doc)) {
            s.mine = mine;
            s.sent_changes = sent_changes;
            s.in_flight = Some(InFlight::new(id, request.clone(), now));
        }
        self.sessions.outbound.insert(id, Target::Doc(peer, doc));
        self.out.push(Output::Request { peer, id, request });
    }

    /// The answer to one of our requests (or why none came): sent again, or taken in.
    pub(super) fn answered(&mut self, now: Mono, r: &mut impl Replica, id: RequestId, answer: Result<Answer, String>) {
        // A late answer to a request since sent again or given up on is not waited for.
        let Some(target) = self.sessions.outbound.remove(&id) else { return };
        let tries = self.sessions.flight(target).map_or(0, |f| f.tries);
        if let Err(e) = &answer
            && tries <= self.config.resends
        {
            debug!(?target, %e, tries, "no answer; sending the request again");
            self.resend(now, target);
            return;
        }
        self.sessions.land(target);
        self.dispatch(now, r, target, answer);
    }

    fn dispatch(&mut self, now: Mono, r: &mut impl Replica, target: Target, answer: Result<Answer, String>) {
        match target {
            Target::Doc(peer, doc) => self.doc_answered(now, r, peer, doc, answer),
            Target::Manifest(peer, c) => self.manifest_answered(now, r, peer, c, answer),
            Target::Join(peer) => self.join_answered(now, r, peer, answer),
            Target::Rebuild(peer) => self.rebuild_answered(now, r, peer, answer),
        }
    }

    /// Sends a request in flight again, under a new id (an answer to any of its ids counts).
    fn resend(&mut self, now: Mono, target: Target) {
        let id = RequestId(self.new_id());
        let Some(flight) = self.sessions.flight(target) else { return };
        flight.ids.push(id);
        flight.tries += 1;
        flight.sent = now;
        let request = flight.request.clone();
        let peer = match target {
            Target::Doc(p, _) | Target::Manifest(p, _) | Target::Join(p) | Target::Rebuild(p) => p,
        };
        self.sessions.outbound.insert(id, target);
        self.out.push(Output::Request { peer, id, request });
    }

    /// Requests unanswered for too long are sent again, or their sessions fail.
    pub(super) fn resend_overdue(&mut self, now: Mono, r: &mut impl Replica) {
        let timeout = self.config.request_timeout;
        let overdue: Vec<(Target, u32)> =
            self.sessions.flights().filter(|(_, f)| f.sent + timeout <= now).map(|(t, f)| (t, f.tries)).collect();
        for (target, tries) in overdue {
            if tries <= self.config.resends {
                debug!(?target, tries, "no answer in time; sending the request again");
                self.resend(now, target);
            } else {
                self.sessions.land(target);
                self.dispatch(now, r, target, Err(format!("no answer after {tries} tries")));
            }
        }
    }

    fn manifest_answered(
        &mut self,
        now: Mono,
        r: &mut impl Replica,
        peer: DeviceId,
        c: CommunityId,
        answer: Result<Answer, String>,
    ) {
        let Some(mine) = self.sessions.communities.get(&(peer, c)).and_then(|s| s.mine.clone()) else { return };
        let theirs = match answer {
            Ok(Answer::Manifest(m)) if m.community == c => {
                self.identify(r, peer);
                m
            }
            Ok(Answer::Refused(refusal)) => {
                self.book.set_problem(&peer, Some(format!("it refused to sync: {}", refusal.reason)));
                return self.finish_community(now, r, peer, c);
            }
            Ok(other) => {
                self.book.set_problem(&peer, Some(format!("it answered a manifest with {}", kind(&other))));
                return self.finish_community(now, r, peer, c);
            }
            Err(e) => {
                self.book.set_problem(&peer, Some(format!("sync failed: {e}")));
                return self.finish_community(now, r, peer, c);
            }
        };
        self.note_manifests(peer, &mine, &theirs);
        // A manifest answered: whatever went wrong before is over.
        self.book.set_problem(&peer, None);
        let (people, rest): (Vec<DocName>, Vec<DocName>) =
            docs_to_sync(&mine, &theirs).into_iter().partition(|n| *n == DocName::People);
        let Some(s) = self.sessions.communities.get_mut(&(peer, c)) else { return };
        s.rest = rest;
        if people.is_empty() {
            self.start_rest(now, r, peer, c);
        } else {
            s.running.insert(DocName::People);
            let doc = DocId { community: c, name: DocName::People };
            self.start_doc_waited(now, r, peer, doc, Role::Initiator, Some(Waiter::Community(c)));
        }
    }

    /// The community's documents after people, side by side (the peer prepares the next frame
    /// of one while we take in another's).
    fn start_rest(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, c: CommunityId) {
        let Some(s) = self.sessions.communities.get_mut(&(peer, c)) else { return };
        let rest = std::mem::take(&mut s.rest);
        s.running.extend(rest.iter().copied());
        if s.running.is_empty() {
            return self.finish_community(now, r, peer, c);
        }
        for name in rest {
            let doc = DocId { community: c, name };
            self.start_doc_waited(now, r, peer, doc, Role::Initiator, Some(Waiter::Community(c)));
        }
    }

    fn community_doc_done(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, c: CommunityId, name: DocName) {
        let Some(s) = self.sessions.communities.get_mut(&(peer, c)) else { return };
        if !s.running.remove(&name) {
            return;
        }
        if name == DocName::People {
            self.start_rest(now, r, peer, c);
        } else if s.running.is_empty() {
            self.finish_community(now, r, peer, c);
        }
    }

    fn finish_community(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, c: CommunityId) {
        self.sessions.land(Target::Manifest(peer, c));
        let Some(s) = self.sessions.communities.get_mut(&(peer, c)) else { return };
        if s.again {
            *s = CommunitySession { join: s.join, ..CommunitySession::default() };
            self.send_manifest(now, r, peer, c);
            return;
        }
        if self.sessions.communities.remove(&(peer, c)).is_some_and(|s| s.join) {
            self.join_synced(now, r, peer, c);
        }
    }

    fn doc_answered(
        &mut self,
        now: Mono,
        r: &mut impl Replica,
        peer: DeviceId,
        doc: DocId,
        answer: Result<Answer, String>,
    ) {
        let Some(s) = self.sessions.docs.get(&(peer, doc)) else { return };
        let (role, mine, session, round) = (s.role, s.mine, s.session, s.round);
        let theirs = match answer {
            Ok(Answer::Sync(Ok(f)))
                if f.community == doc.community && f.doc == doc.name && f.session == session && f.round == round =>
            {
                f
            }
            Ok(Answer::Sync(Ok(_))) => {
                return self.finish_doc(now, r, peer, doc, Err("the peer answered another frame than ours".into()));
            }
            Ok(Answer::Sync(Err(refusal))) => {
                if refusal.code == weft_net::wire::RefusalCode::Invalid {
                    self.malformed(now, peer, &refusal.reason);
                }
                return self.finish_doc(now, r, peer, doc, Err(refusal.reason));
            }
            Ok(Answer::Refused(refusal)) => {
                return self.finish_doc(now, r, peer, doc, Err(format!("the peer refused: {}", refusal.reason)));
            }
            Ok(other) => {
                let why = format!("the peer answered with {}", kind(&other));
                return self.finish_doc(now, r, peer, doc, Err(why));
            }
            Err(e) => return self.finish_doc(now, r, peer, doc, Err(e)),
        };
        let their_empty = theirs.is_empty();
        let they_ask = theirs.asks();
        if theirs.changes > mine && role != Role::Pull {
            self.set_doc(peer, doc, SyncStatus::Behind { changes: theirs.changes - mine });
        }
        let report = match r.receive(peer, theirs, role) {
            Ok(report) => report,
            Err(refusal) => return self.finish_doc(now, r, peer, doc, Err(refusal.reason)),
        };
        if let Some(words) = report.rejection_words() {
            self.penalise(now, peer, &words);
            return self.finish_doc(now, r, peer, doc, Err(words));
        }
        if report.applied > 0 {
            // What arrived by sync (not gossip, which forwards by itself) goes on to the others.
            self.sync_with_members(now, r, doc, Some(peer));
        }
        if let Some(words) = report.quota {
            // The rest is taken at the next resync, if the member's quota has room again.
            self.over_quota(peer, &words);
            return self.finish_doc(now, r, peer, doc, Err(words));
        }
        let Some(s) = self.sessions.docs.get_mut(&(peer, doc)) else { return };
        s.their_last_empty = their_empty;
        s.round += 1;
        // Heads that never meet: one side holds a change the other can never take in (written
        // by a neighbour's member before they learnt their link ended, say). Once rounds carry
        // nothing new either way, more rounds would only go on forever. Only what is new counts:
        // changes we hold already (a hostile peer could send the same one every round, with a
        // Bloom filter that claims nothing or everything and heads that never meet) and changes
        // waiting for parents nobody sends keep nothing going; what we sent counts, since a
        // session sends each change once.
        s.idle = if s.sent_changes || report.applied > 0 { 0 } else { s.idle + 1 };
        // Sending what the peer asks for by hash is progress — unless it asks round after round
        // and sends nothing new: one change at a time, a session would go on to the cap.
        if they_ask && report.applied == 0 {
            s.asked += 1;
        }
        if s.asked > ASKED_ROUNDS {
            let why = format!("the peer asked for changes by hash for {} rounds and sent nothing new", s.asked);
            return self.finish_doc(now, r, peer, doc, Err(why));
        }
        if s.idle >= IDLE_ROUNDS {
            let result = if report.waiting > 0 {
                Err("the peer holds changes we cannot take in (their author may not write here any more)".into())
            } else {
                Ok(())
            };
            return self.finish_doc(now, r, peer, doc, result);
        }
        if s.round >= self.config.max_rounds {
            let why = format!("gave up after {} rounds", self.config.max_rounds);
            return self.finish_doc(now, r, peer, doc, Err(why));
        }
        self.doc_round(now, r, peer, doc);
    }

    fn finish_doc(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, doc: DocId, result: Result<(), String>) {
        self.sessions.land(Target::Doc(peer, doc));
        let Some(role) = self.sessions.docs.get(&(peer, doc)).map(|s| s.role) else { return };
        if role != Role::Pull {
            let state = match result {
                Ok(()) => SyncStatus::InSync,
                Err(reason) => {
                    debug!(peer = %peer.short(), %doc, %reason, "sync failed");
                    SyncStatus::Failed { reason }
                }
            };
            self.set_doc(peer, doc, state);
        }
        if doc.name == DocName::Commons {
            // A commons brings rosters: who the peer is may be known now.
            self.identify(r, peer);
        }
        let session = self.new_id();
        let Some(s) = self.sessions.docs.get_mut(&(peer, doc)) else { return };
        if let Some(next) = s.again.take() {
            s.role = next;
            s.session = session;
            s.round = 0;
            s.their_last_empty = false;
            if next != Role::Pull {
                self.set_doc(peer, doc, SyncStatus::Syncing);
            }
            return self.doc_round(now, r, peer, doc);
        }
        let waiters = self.sessions.docs.remove(&(peer, doc)).map(|s| s.waiters).unwrap_or_default();
        for waiter in waiters {
            match waiter {
                Waiter::Community(c) => self.community_doc_done(now, r, peer, c, doc.name),
                Waiter::Pull => self.pull_done(now, r, peer),
            }
        }
    }

    /// Takes a peer's people documents (we send it nothing) in case they admit it: our copy
    /// may be older than its admission. We decide about it once every pull ends.
    pub(super) fn pull(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, initiate: bool) {
        if self.sessions.pulls.contains_key(&peer) {
            return;
        }
        let ours = r.communities();
        if ours.is_empty() {
            self.book.stranger(&peer, now + self.config.stranger_grace);
            return;
        }
        self.sessions.pulls.insert(peer, Pull { left: ours.len(), initiate });
        for c in ours {
            let doc = DocId { community: c, name: DocName::People };
            self.start_doc_waited(now, r, peer, doc, Role::Pull, Some(Waiter::Pull));
        }
    }

    fn pull_done(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId) {
        let Some(pull) = self.sessions.pulls.get_mut(&peer) else { return };
        pull.left = pull.left.saturating_sub(1);
        if pull.left > 0 {
            return;
        }
        let initiate = pull.initiate;
        self.sessions.pulls.remove(&peer);
        let communities = self.identify(r, peer);
        if communities.is_empty() {
            self.book.stranger(&peer, now + self.config.stranger_grace);
            return;
        }
        self.book.not_a_stranger(&peer);
        if initiate && !self.book.is_newcomer(&peer, now) {
            for c in communities {
                self.start_community(now, r, peer, c, false);
            }
        }
    }

    /// Notes how a document stands with a peer; a change is an event (the UI shows sync live).
    pub(super) fn set_doc(&mut self, peer: DeviceId, doc: DocId, state: SyncStatus) {
        if self.book.set_doc(&peer, doc, state) {
            self.out.push(Output::Event(Event::NetworkChanged));
        }
    }

    /// Notes, from a peer's manifest and ours, which documents are in sync and how far behind
    /// we are on the others (a session is about to sync them).
    pub(super) fn note_manifests(&mut self, peer: DeviceId, mine: &Manifest, theirs: &Manifest) {
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
            self.set_doc(peer, doc, state);
        }
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

/// An answer's kind, in words.
pub(super) fn kind(a: &Answer) -> &'static str {
    match a {
        Answer::Manifest(_) => "a manifest",
        Answer::Sync(_) => "a sync frame",
        Answer::Joined { .. } => "a join answer",
        Answer::Linked { .. } => "a link answer",
        Answer::DeviceLinked { .. } => "a device link answer",
        Answer::Restored { .. } => "a restore answer",
        Answer::Refused(_) => "a refusal",
    }
}
