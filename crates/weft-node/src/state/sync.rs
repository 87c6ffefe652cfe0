//! The state thread's half of sync: manifests, Automerge sync rounds, and taking in changes
//! from peers — every one verified before it is applied, stored before it is acknowledged.
//!
//! A received change is applied only if weft-core's [`Verifier`] accepts it. A change whose
//! parents or author we do not know yet waits in a bounded pending set and is tried again
//! whenever something new is applied to its community (membership arrives by the people
//! document, which syncs first). A change that fails is rejected with every change that
//! depends on it, and the caller penalises the peer that sent it.

use std::collections::{BTreeSet, HashMap, HashSet};

use automerge::sync::{ChunkList, Message, MessageVersion, State as SyncState};
use automerge::{Change, ChangeHash, ChangeMetadata};
use tracing::{debug, warn};
use weft_core::cover::{Cover, cover};
use weft_core::doc::people::PeopleView;
use weft_core::doc::{DocId, DocName};
use weft_core::identity::{ChangeSignature, SignedChange};
use weft_core::verify::{Run, Verifier, VerifyError, parse_bundle, parse_change};
use weft_core::{CommunityId, DeviceId, MemberId};
use weft_net::wire::{
    DocSummary, MAX_CHANGES, MAX_SYNC_MESSAGE, Manifest, Refusal, RefusalCode, SyncFrame, WireChange,
};
use weft_store::Batch;

use super::{State, Touched};
use crate::api::Event;

/// The most changes (and bytes) waiting for their parents or author, per community.
const MAX_PENDING: usize = 100_000;
const MAX_PENDING_BYTES: usize = 64 << 20;

/// Which side of a sync session this is: each side keeps its own Automerge sync state per
/// role, so sessions both peers start at once do not trip over each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    Initiator,
    Responder,
    /// An initiator that only takes: the peer is not a member as far as we know (yet), so we
    /// send it nothing, but we take its people document's changes — verified as always — in
    /// case they admit it (our copy may be older than its admission).
    Pull,
}

#[derive(Debug)]
struct Pending {
    doc: DocName,
    change: Change,
    signature: Option<ChangeSignature>,
}

/// A change received from a peer, parsed, with the signature it came with (if any).
#[derive(Debug)]
pub(crate) struct Incoming {
    pub change: Change,
    pub signature: Option<ChangeSignature>,
}

/// Parses changes as gossip carries them (each with its own signature); the ones that do not
/// parse are rejected.
pub(crate) fn parse_wire(doc: DocName, changes: Vec<WireChange>, report: &mut Ingested) -> Vec<Incoming> {
    changes
        .into_iter()
        .filter_map(|c| {
            let change = parse_or_reject(doc, &c.bytes, report)?;
            Some(Incoming { change, signature: c.signature.map(ChangeSignature) })
        })
        .collect()
}

/// Parses one change strictly; one that does not parse is noted as rejected.
fn parse_or_reject(doc: DocName, bytes: &[u8], report: &mut Ingested) -> Option<Change> {
    parse_change(bytes).map_err(|e| report.rejected.push(Rejection { doc, hash: None, why: e.to_string() })).ok()
}

/// A sync frame as the state thread takes it in: its message decoded and its changes parsed.
///
/// Reading touches nothing of ours and is the heaviest pure part of a big frame (a year of a
/// board's changes takes tens of milliseconds to parse), so it is done off the state thread,
/// while that thread is still taking in the frame before.
#[derive(Debug)]
pub(crate) struct ReadFrame {
    pub community: CommunityId,
    pub doc: DocName,
    pub first: bool,
    message: Option<Message>,
    incoming: Vec<Incoming>,
    /// Changes that did not parse (the frame is then rejected for them).
    unparsed: Vec<Rejection>,
}

/// Reads a peer's sync frame: bytes that cannot be read are refused whole, before anything
/// of ours is touched.
pub(crate) fn read_frame(frame: SyncFrame) -> Result<ReadFrame, Refusal> {
    let mut read = ReadFrame {
        community: frame.community,
        doc: frame.doc,
        first: frame.first,
        message: None,
        incoming: Vec::new(),
        unparsed: Vec::new(),
    };
    let Some(bytes) = frame.message else { return Ok(read) };
    let message = Message::decode(&bytes)
        .map_err(|e| refuse(RefusalCode::Invalid, format!("the sync message could not be read: {e}")))?;
    if message.version != MessageVersion::V1 {
        return Err(refuse(RefusalCode::Invalid, "whole-document sync messages are not accepted"));
    }
    let mut report = Ingested::default();
    let mut changes: Vec<Change> =
        message.changes.iter().filter_map(|chunk| parse_or_reject(frame.doc, chunk, &mut report)).collect();
    if let Some(bundle) = &frame.bundle {
        changes.extend(parse_bundle(bundle).map_err(|e| refuse(RefusalCode::Invalid, e.to_string()))?);
    }
    let mut signatures: HashMap<ChangeHash, ChangeSignature> =
        frame.signatures.iter().map(|(h, s)| (*h, ChangeSignature(*s))).collect();
    read.incoming =
        changes.into_iter().map(|change| Incoming { signature: signatures.remove(&change.hash()), change }).collect();
    // (A change that did not parse leaves its signature behind: that frame is rejected for
    // the change.)
    if !signatures.is_empty() && report.rejected.is_empty() {
        return Err(refuse(RefusalCode::Invalid, "the frame signs changes it does not carry"));
    }
    read.unparsed = report.rejected;
    read.message = Some(message);
    Ok(read)
}

/// Changes this many or more travel in a bundle.
const BUNDLE_FROM: usize = 32;

/// What one round sends: the Automerge sync message, the bundle of its changes (if bundled),
/// and the signatures that vouch for them.
#[derive(Debug, Default)]
struct FrameBody {
    message: Option<Vec<u8>>,
    bundle: Option<Vec<u8>>,
    signatures: Vec<(ChangeHash, [u8; 64])>,
}

/// Sync bookkeeping on the state thread.
#[derive(Debug, Default)]
pub(crate) struct SyncBook {
    states: HashMap<(DeviceId, DocId, Role), SyncState>,
    pending: HashMap<CommunityId, Vec<Pending>>,
    /// Communities we were admitted to and whose people document is still on its way, with
    /// the device of the member who admitted us.
    pub(super) joining: HashMap<CommunityId, DeviceId>,
    /// Data keys opened so far, by key id.
    pub(super) keys: HashMap<[u8; 8], (CommunityId, weft_core::crypto::DataKey)>,
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
}

/// New local changes for the network to gossip.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub community: CommunityId,
    pub doc: DocName,
    pub changes: Vec<SignedChange>,
}

fn refuse(code: RefusalCode, reason: impl Into<String>) -> Refusal {
    Refusal { code, reason: reason.into() }
}

fn internal(e: impl std::fmt::Display) -> Refusal {
    refuse(RefusalCode::Internal, e.to_string())
}

/// Applies a run of verified changes, document by document, in one call each (change by
/// change if Automerge refuses the run, to find the one it refuses). Returns the time spent.
fn flush_run(
    com: &mut super::Community,
    run: &mut Vec<(DocName, Change)>,
    runs: &mut HashMap<DocName, Run>,
    rejected: &mut HashSet<ChangeHash>,
    report: &mut Ingested,
) -> std::time::Duration {
    if run.is_empty() {
        return std::time::Duration::ZERO;
    }
    let t = std::time::Instant::now();
    let mut by_doc: Vec<(DocName, Vec<Change>)> = Vec::new();
    for (doc, change) in run.drain(..) {
        match by_doc.iter_mut().find(|(d, _)| *d == doc) {
            Some((_, changes)) => changes.push(change),
            None => by_doc.push((doc, vec![change])),
        }
    }
    runs.values_mut().for_each(Run::clear);
    for (doc, changes) in by_doc {
        let target = match doc {
            DocName::People => &mut com.people,
            DocName::Board => match com.board.as_mut() {
                Some(d) => d,
                None => continue,
            },
            DocName::Ledger(y) => match com.ledgers.get_mut(&y) {
                Some(d) => d,
                None => continue,
            },
        };
        if target.apply(changes.iter().cloned()).is_err() {
            for change in changes {
                if !target.has_change(&change.hash())
                    && let Err(e) = target.apply([change.clone()])
                {
                    rejected.insert(change.hash());
                    report.rejected.push(Rejection { doc, hash: Some(change.hash()), why: format!("apply: {e}") });
                }
            }
        }
    }
    t.elapsed()
}

/// The changes of one frame: many as one bundle (several times smaller than the changes),
/// few (or if bundling fails) as the changes' own bytes.
fn encode_changes(doc: &automerge::Automerge, hashes: &[ChangeHash]) -> (Option<Vec<u8>>, Vec<Vec<u8>>) {
    use automerge::ReadDoc;
    if hashes.len() >= BUNDLE_FROM {
        match doc.bundle(hashes.iter().copied()) {
            Ok(b) => return (Some(b.bytes().to_vec()), Vec::new()),
            Err(e) => warn!(%e, "could not bundle changes; sending them one by one"),
        }
    }
    let chunks = hashes.iter().filter_map(|h| doc.get_change_by_hash(h)).map(|c| c.raw_bytes().to_vec()).collect();
    (None, chunks)
}

/// Orders changes so that each comes after those of its parents that are in the batch.
fn causal_order(batch: Vec<Pending>) -> Vec<Pending> {
    let changes: Vec<&Change> = batch.iter().map(|p| &p.change).collect();
    let order = weft_core::cover::causal_order(&changes);
    let mut slots: Vec<Option<Pending>> = batch.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Member ids a people change writes under (admissions, profiles, removals), so the cached
/// view is refreshed for exactly those members.
fn members_touched(change: &Change) -> BTreeSet<MemberId> {
    use automerge::legacy::Key;
    change
        .decode()
        .operations
        .iter()
        .filter_map(|op| match &op.key {
            Key::Map(k) => k.parse().ok(),
            _ => None,
        })
        .collect()
}

impl State {
    /// The communities in which `device` is a device of a current member.
    pub(crate) fn communities_of_device(&mut self, device: &DeviceId) -> Vec<CommunityId> {
        let ids: Vec<CommunityId> = self.communities.keys().copied().collect();
        ids.into_iter().filter(|c| self.is_member_device(*c, device)).collect()
    }

    pub(crate) fn is_member_device(&mut self, community: CommunityId, device: &DeviceId) -> bool {
        self.sync.joining.get(&community) == Some(device)
            || self.communities.get_mut(&community).is_some_and(|c| c.people().member_of_device(device).is_some())
    }

    /// The documents we hold of a community, people first (all loaded: a sync follows).
    pub(crate) fn manifest(&mut self, community: CommunityId) -> Result<Manifest, Refusal> {
        if !self.communities.contains_key(&community) {
            return Err(refuse(RefusalCode::UnknownCommunity, "this peer does not hold that community"));
        }
        self.load_board(community).map_err(internal)?;
        self.load_all_ledgers(community).map_err(internal)?;
        let com = self
            .communities
            .get(&community)
            .ok_or_else(|| refuse(RefusalCode::UnknownCommunity, "this peer does not hold that community"))?;
        let board = com.board.as_ref().ok_or_else(|| internal("the board is not loaded"))?;
        let mut docs = vec![(DocName::People, com.people.heads()), (DocName::Board, board.heads())];
        for (year, doc) in &com.ledgers {
            docs.push((DocName::Ledger(*year), doc.heads()));
        }
        let mut out = Vec::with_capacity(docs.len());
        for (name, heads) in docs {
            let changes = self.store.change_count(DocId { community, name }).map_err(internal)?;
            out.push(DocSummary { name, heads, changes });
        }
        Ok(Manifest { community, docs: out })
    }

    /// A document, created from its deterministic genesis (and stored) if we have none yet.
    fn doc_for_sync(&mut self, doc: DocId) -> Result<(), Refusal> {
        match doc.name {
            DocName::People => {
                if !self.communities.contains_key(&doc.community) {
                    return Err(refuse(RefusalCode::UnknownCommunity, "this peer does not hold that community"));
                }
                Ok(())
            }
            DocName::Board => self.load_board(doc.community).map_err(internal),
            DocName::Ledger(year) => {
                let (_, genesis) = self.ledger_for_write(doc.community, year).map_err(internal)?;
                if let Some(genesis) = genesis {
                    let batch = Batch { communities: Vec::new(), changes: vec![(doc, genesis)] };
                    self.store.commit(&batch).map_err(internal)?;
                }
                Ok(())
            }
        }
    }

    fn sync_state(&mut self, peer: DeviceId, doc: DocId, role: Role, fresh: bool) -> SyncState {
        let key = (peer, doc, role);
        if !fresh && let Some(s) = self.sync.states.remove(&key) {
            return s;
        }
        // A session starts from what both sides were known to share, nothing else.
        match self.store.sync_state(&peer, doc) {
            Ok(Some(bytes)) => SyncState::decode(&bytes).unwrap_or_default(),
            Ok(None) => SyncState::new(),
            Err(e) => {
                warn!(%e, "could not read a saved sync state");
                SyncState::new()
            }
        }
    }

    /// The next frame of a sync session with `peer` for `doc`.
    pub(crate) fn sync_generate(
        &mut self,
        peer: DeviceId,
        doc: DocId,
        role: Role,
        first: bool,
    ) -> Result<SyncFrame, Refusal> {
        self.doc_for_sync(doc)?;
        let mut state = self.sync_state(peer, doc, role, first);
        if role == Role::Pull {
            if doc.name != DocName::People {
                return Err(refuse(RefusalCode::Invalid, "only the people document is pulled from a stranger"));
            }
            state.peer_read_only = true;
        }
        let started = std::time::Instant::now();
        let result = self.generate_with(&mut state, doc);
        self.sync.states.insert((peer, doc, role), state);
        let body = result?;
        let changes = self.store.change_count(doc).map_err(internal)?;
        debug!(%doc, ?role, to = %peer.short(), me = %self.me().map(|m| m.short()).unwrap_or_default(),
            bytes = body.message.as_ref().map_or(0, Vec::len), bundle = body.bundle.as_ref().map_or(0, Vec::len),
            sigs = body.signatures.len(), took = ?started.elapsed(), "sync frame");
        Ok(SyncFrame {
            community: doc.community,
            doc: doc.name,
            first,
            message: body.message,
            bundle: body.bundle,
            signatures: body.signatures,
            changes,
        })
    }

    /// One round's message, with its changes and the signatures that vouch for them.
    ///
    /// The changes go in causal order, as many as fit in a frame; the rest wait for the next
    /// round. Each device's changes need one signature, over its latest change in the frame;
    /// a change no signature we hold can vouch for in this frame (its signed descendant did not
    /// fit) waits too. Many changes travel as one Automerge bundle, several times smaller,
    /// built from their hashes: the changes themselves are never built one by one.
    fn generate_with(&mut self, state: &mut SyncState, id: DocId) -> Result<FrameBody, Refusal> {
        let com = self.communities.get(&id.community).ok_or_else(|| internal("the community is gone"))?;
        let doc = com.doc(id.name).ok_or_else(|| internal("the document is not loaded"))?;
        let Some((mut message, to_send)) = doc.generate_sync_lean(state) else { return Ok(FrameBody::default()) };
        if to_send.is_empty() {
            return Ok(FrameBody { message: Some(message.encode()), ..FrameBody::default() });
        }
        let refs: Vec<&ChangeMetadata<'_>> = to_send.iter().collect();
        let ordered: Vec<&ChangeMetadata<'_>> =
            weft_core::cover::causal_order(&refs).into_iter().take(MAX_CHANGES).map(|i| refs[i]).collect();
        let hashes: Vec<ChangeHash> = ordered.iter().map(|c| c.hash).collect();
        // Many changes: one scan of the document's signatures beats a lookup per change.
        let stored = if hashes.len() > 256 {
            let all = self.store.signatures(id).map_err(internal)?;
            hashes.iter().map(|h| all.get(h).copied()).collect()
        } else {
            self.store.signatures_of(id, &hashes).map_err(internal)?
        };
        let has: Vec<bool> = stored.iter().map(Option::is_some).collect();
        // All of them if they fit, else the first half, and so on: a prefix of a causal order
        // still has every change's parents before it.
        let mut take = ordered.len();
        loop {
            let batch = &ordered[..take];
            let mut signatures = Vec::new();
            let mut send = Vec::with_capacity(take);
            for ((change, cover), sig) in batch.iter().zip(cover(batch, &has[..take])).zip(&stored) {
                match (cover, sig) {
                    (Cover::Signed, Some(sig)) => {
                        signatures.push((change.hash, sig.0));
                        send.push(change.hash);
                    }
                    (Cover::Uncovered, _) if !change.deps.is_empty() => {}
                    _ => send.push(change.hash),
                }
            }
            let (bundle, chunks) = encode_changes(doc.automerge(), &send);
            let size = bundle.as_ref().map_or_else(|| chunks.iter().map(Vec::len).sum(), Vec::len);
            if size <= MAX_SYNC_MESSAGE - (64 << 10) {
                state.sent_hashes.extend(send);
                message.changes = ChunkList::from(chunks);
                return Ok(FrameBody { message: Some(message.encode()), bundle, signatures });
            }
            if take == 1 {
                // One change larger than a frame: nothing of it can be sent.
                warn!(%id, hash = %hashes[0], size, "a change is too large for a sync frame");
                return Ok(FrameBody { message: Some(message.encode()), ..FrameBody::default() });
            }
            take /= 2;
        }
    }

    /// Takes in a peer's sync frame, read by [`read_frame`]: verifies and applies its changes,
    /// then advances the sync state. Bad changes are rejected one by one (and reported).
    pub(crate) fn sync_receive(&mut self, peer: DeviceId, frame: ReadFrame, role: Role) -> Result<Ingested, Refusal> {
        let doc = DocId { community: frame.community, name: frame.doc };
        if role == Role::Pull && doc.name != DocName::People {
            return Err(refuse(RefusalCode::Invalid, "only the people document is pulled from a stranger"));
        }
        if role != Role::Pull && !self.is_member_device(doc.community, &peer) {
            return Err(refuse(RefusalCode::NotAMember, "you are not a member of this community (yet)"));
        }
        self.doc_for_sync(doc)?;
        if frame.first {
            self.sync.states.remove(&(peer, doc, role));
        }
        let Some(message) = frame.message else { return Ok(Ingested::default()) };
        let mut report = Ingested { rejected: frame.unparsed, ..Ingested::default() };
        let incoming = frame.incoming;
        let ingested = self.ingest(doc.community, doc.name, incoming).map_err(internal)?;
        report.applied = ingested.applied;
        report.already = ingested.already;
        report.waiting = ingested.waiting;
        report.rejected.extend(ingested.rejected);
        let mut state = self.sync_state(peer, doc, role, false);
        let com = self.communities.get_mut(&doc.community).ok_or_else(|| internal("the community is gone"))?;
        let target = match doc.name {
            DocName::People => &mut com.people,
            DocName::Board => com.board.as_mut().ok_or_else(|| internal("the board is not loaded"))?,
            DocName::Ledger(y) => com.ledgers.get_mut(&y).ok_or_else(|| internal("the ledger is not loaded"))?,
        };
        let received = target.receive_sync(&mut state, message);
        if let Err(e) = received {
            self.sync.states.insert((peer, doc, role), state);
            return Err(refuse(RefusalCode::Invalid, format!("the sync message was not usable: {e}")));
        }
        if let Err(e) = self.store.save_sync_state(&peer, doc, &state.encode()) {
            warn!(%e, "could not save the sync state");
        }
        self.sync.states.insert((peer, doc, role), state);
        Ok(report)
    }

    /// Forgets the in-memory sync states of a peer that left (what both sides share is saved).
    pub(crate) fn sync_forget(&mut self, peer: DeviceId) {
        self.sync.states.retain(|(p, _, _), _| *p != peer);
    }

    /// Verifies, applies and stores changes of one document received from a peer, and tries
    /// again the changes of the community that were waiting.
    pub(crate) fn ingest(
        &mut self,
        community: CommunityId,
        doc: DocName,
        changes: Vec<Incoming>,
    ) -> Result<Ingested, crate::error::NodeError> {
        let started = std::time::Instant::now();
        let mut report = Ingested::default();
        if !self.communities.contains_key(&community) {
            return Err(crate::error::NodeError::NotFound(format!("no community {}", community.short())));
        }
        let mut queue: Vec<Pending> = Vec::with_capacity(changes.len());
        let mut seen = HashSet::new();
        for c in changes {
            if seen.insert(c.change.hash()) {
                queue.push(Pending { doc, change: c.change, signature: c.signature });
            }
        }
        let waiting = self.sync.pending.remove(&community).unwrap_or_default();
        queue.extend(waiting.into_iter().filter(|p| seen.insert(p.change.hash())));
        // Parents before children: a sync message lists changes in no particular order, and
        // verifying in arrival order would retry the whole batch once per generation.
        let mut queue = causal_order(queue);
        let docs: BTreeSet<DocName> = queue.iter().map(|p| p.doc).collect();
        for name in &docs {
            if *name != DocName::People {
                self.doc_for_sync(DocId { community, name: *name })
                    .map_err(|r| crate::error::NodeError::Write(r.reason))?;
            }
        }
        let com = self.communities.get_mut(&community).ok_or_else(|| crate::error::NodeError::Stopped)?;
        com.people();
        let mut verifiers: HashMap<DocName, Verifier> = HashMap::new();
        // Every signature of the batch at once, on all cores; each change's own check then
        // skips it.
        let t = std::time::Instant::now();
        for name in &docs {
            let verifier = verifiers.entry(*name).or_insert_with(|| Verifier::new(DocId { community, name: *name }));
            verifier.presign(queue.iter().filter(|p| p.doc == *name).map(|p| (&p.change, p.signature.as_ref())));
        }
        let mut verify_time = t.elapsed();
        let mut rejected: HashSet<ChangeHash> = HashSet::new();
        let mut batch = Vec::new();
        let mut touched_docs = BTreeSet::new();
        let mut apply_time = std::time::Duration::ZERO;
        // Verified changes of the board and ledgers wait in a run and are applied together
        // (Automerge applies a run far faster than change by change). The verifier reads the
        // objects and entries the run created as if they were applied; a change it still
        // cannot judge is verified again once the run is applied. People changes are applied
        // at once: membership decides everything after them.
        let mut run: Vec<(DocName, Change)> = Vec::new();
        let mut runs: HashMap<DocName, Run> = HashMap::new();
        loop {
            let mut progress = false;
            let mut next = Vec::with_capacity(queue.len());
            for p in queue.drain(..) {
                let hash = p.change.hash();
                if com.doc(p.doc).is_none() {
                    next.push(p);
                    continue;
                }
                if runs.values().any(|r| r.contains(&hash)) || com.doc(p.doc).is_some_and(|d| d.has_change(&hash)) {
                    report.already += 1;
                    continue;
                }
                if p.change.deps().iter().any(|d| rejected.contains(d)) {
                    rejected.insert(hash);
                    report.rejected.push(Rejection {
                        doc: p.doc,
                        hash: Some(hash),
                        why: "it depends on a rejected change".into(),
                    });
                    continue;
                }
                if p.doc == DocName::People {
                    apply_time += flush_run(com, &mut run, &mut runs, &mut rejected, &mut report);
                }
                let verifier =
                    verifiers.entry(p.doc).or_insert_with(|| Verifier::new(DocId { community, name: p.doc }));
                let t = std::time::Instant::now();
                let check = |com: &super::Community, runs: &mut HashMap<DocName, Run>| match (
                    com.doc(p.doc),
                    com.people_view.as_ref(),
                ) {
                    (Some(target), Some(people)) if p.doc == DocName::People => {
                        verifier.verify(target, people, &p.change, p.signature.as_ref())
                    }
                    (Some(target), Some(people)) => verifier.verify_in_run(
                        target,
                        people,
                        &p.change,
                        p.signature.as_ref(),
                        runs.entry(p.doc).or_default(),
                    ),
                    _ => Err(VerifyError::MissingDeps(Vec::new())),
                };
                let mut verdict = check(com, &mut runs);
                if verdict.is_err() && !run.is_empty() {
                    // Perhaps it needs what the run creates: apply the run, ask again.
                    verify_time += t.elapsed();
                    apply_time += flush_run(com, &mut run, &mut runs, &mut rejected, &mut report);
                    let t = std::time::Instant::now();
                    verdict = check(com, &mut runs);
                    verify_time += t.elapsed();
                } else {
                    verify_time += t.elapsed();
                }
                match verdict {
                    Ok(_) => {
                        if p.doc == DocName::People {
                            let t = std::time::Instant::now();
                            let applied = com.people.apply([p.change.clone()]);
                            apply_time += t.elapsed();
                            if let Err(e) = applied {
                                rejected.insert(hash);
                                report.rejected.push(Rejection { doc: p.doc, hash: Some(hash), why: e.to_string() });
                                continue;
                            }
                            if let Some(view) = com.people_view.as_mut() {
                                view.refresh_settings(com.people.automerge());
                                for m in members_touched(&p.change) {
                                    view.refresh_member(com.people.automerge(), m);
                                }
                            }
                        } else {
                            run.push((p.doc, p.change.clone()));
                        }
                        touched_docs.insert(p.doc);
                        report.applied += 1;
                        progress = true;
                        batch.push((
                            DocId { community, name: p.doc },
                            SignedChange { hash, bytes: p.change.raw_bytes().to_vec(), signature: p.signature },
                        ));
                    }
                    Err(e) if e.is_retryable() => next.push(p),
                    Err(e) => {
                        debug!(doc = %p.doc, %e, "change rejected");
                        rejected.insert(hash);
                        report.rejected.push(Rejection { doc: p.doc, hash: Some(hash), why: e.to_string() });
                    }
                }
            }
            apply_time += flush_run(com, &mut run, &mut runs, &mut rejected, &mut report);
            queue = next;
            if !progress || queue.is_empty() {
                break;
            }
        }
        // A change that Automerge refused when its run was applied is not stored either.
        batch.retain(|(_, c)| !rejected.contains(&c.hash));
        report.applied =
            report.applied.saturating_sub(report.rejected.iter().filter(|r| r.why.starts_with("apply:")).count());
        // What is still waiting stays, within bounds (the oldest go first; sync brings them
        // back later).
        report.waiting = queue.len();
        let mut bytes = 0usize;
        queue.retain(|p| {
            bytes += p.change.raw_bytes().len();
            bytes <= MAX_PENDING_BYTES
        });
        if queue.len() > MAX_PENDING {
            queue.drain(..queue.len() - MAX_PENDING);
        }
        if !queue.is_empty() {
            self.sync.pending.insert(community, queue);
        }
        let verified = started.elapsed();
        if batch.is_empty() {
            return Ok(report);
        }
        if let Err(e) = self.store.commit(&Batch { communities: Vec::new(), changes: batch }) {
            warn!(%e, "storing received changes failed; reloading the community from disk");
            self.communities.remove(&community);
            self.load_community(community)?;
            return Err(e.into());
        }
        if let Some(c) = self.communities.get_mut(&community) {
            for name in &touched_docs {
                if *name != DocName::People {
                    c.refresh(Touched::Doc(*name));
                }
            }
        }
        debug!(
            applied = report.applied,
            already = report.already,
            waiting = report.waiting,
            ?verified,
            ?verify_time,
            ?apply_time,
            stored = ?started.elapsed(),
            "ingested"
        );
        if touched_docs.contains(&DocName::People) && self.sync.joining.contains_key(&community) {
            self.finish_join(community)?;
        }
        for name in touched_docs {
            self.maybe_compact(community, name);
            let _ = self.events.send(Event::DocumentChanged { community, doc: name });
        }
        Ok(report)
    }

    /// The people view of a community, for membership decisions.
    pub(crate) fn people_view(&mut self, community: CommunityId) -> Option<&PeopleView> {
        self.communities.get_mut(&community).map(|c| c.people())
    }
}
