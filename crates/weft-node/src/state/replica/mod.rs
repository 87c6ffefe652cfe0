//! The state thread's half of sync — the documents as the sync engine ([`crate::sync`]) sees
//! them: manifests, Automerge sync rounds, sealed gossip, and taking in changes from peers,
//! every one verified before it is applied, stored before it is acknowledged.
//!
//! A received change is applied only if weft-core's [`Verifier`] accepts it. A change whose
//! parents or author we do not know yet waits in a bounded pending set and is tried again
//! whenever something new is applied to its community (membership arrives by the people
//! document, which syncs first). A change that fails is rejected with every change that
//! depends on it, and the caller penalises the peer that sent it.

mod commons;
mod frames;
mod ingest;
mod quota;

use std::collections::{BTreeSet, HashMap};

use automerge::sync::{ChunkList, State as SyncState};
use automerge::{ChangeHash, ChangeMetadata};
use tracing::{debug, warn};
use weft_core::cover::{Cover, cover};
use weft_core::doc::people::PeopleView;
use weft_core::doc::{DocId, DocName};
use weft_core::{CommunityId, DeviceId};
use weft_net::wire::{
    DocSummary, GossipFrame, JoinRequest, LinkRequest, MAX_CHANGES, MAX_SYNC_MESSAGE, Manifest, Refusal, RefusalCode,
    SyncFrame, WireChange,
};
use weft_store::Batch;

use frames::{FrameBody, encode_changes};
use ingest::Pending;

use crate::error::NodeError;
use crate::state::State;
use crate::sync::{Ingested, ReadFrame, Replica, Role, parse_wire};

/// Sync bookkeeping on the state thread.
#[derive(Debug, Default)]
pub(crate) struct SyncBook {
    states: HashMap<(DeviceId, DocId, Role), SyncState>,
    pending: HashMap<CommunityId, Vec<Pending>>,
    /// Communities we were admitted to and whose people document is still on its way, with
    /// the device of the member who admitted us.
    pub(super) joining: HashMap<CommunityId, DeviceId>,
    /// Data keys opened so far, by key id: a community's (gossip of its documents) or a
    /// commons' (gossip of that commons only).
    pub(super) keys: HashMap<[u8; 8], (CommunityId, Option<DocName>, weft_core::crypto::DataKey)>,
    /// Devices of neighbouring communities that introduced themselves with a proven roster
    /// when our communities linked, until their commons arrives.
    pub(super) introduced: HashMap<DeviceId, BTreeSet<CommunityId>>,
    /// Parents of waiting changes already asked for in the current session with a peer.
    asked: HashMap<(DeviceId, DocId, Role), std::collections::HashSet<ChangeHash>>,
    /// Commons changes waiting for their parents or their author's roster, by commons.
    commons_pending: HashMap<CommunityId, Vec<Pending>>,
    /// What each member's computers brought us lately (see `crate::sync::Quotas`).
    pub(super) quotas: crate::sync::Quotas,
}

fn refuse(code: RefusalCode, reason: impl Into<String>) -> Refusal {
    Refusal { code, reason: reason.into() }
}

/// Why a peer may not sync a document with us, in words.
fn not_shared(doc: DocId) -> &'static str {
    if doc.name == DocName::Commons {
        "this commons is not shared with your community: it is not linked (or the link ended)"
    } else {
        "you are not a member of this community (yet)"
    }
}

fn internal(e: impl std::fmt::Display) -> Refusal {
    refuse(RefusalCode::Internal, e.to_string())
}

impl State {
    /// What `device` may sync with us, by community: our communities it is a member of, and
    /// the commons we hold that it may hold too.
    pub(crate) fn communities_of_device(&mut self, device: &DeviceId) -> Vec<CommunityId> {
        let ids: BTreeSet<CommunityId> = self.communities.keys().chain(self.commons.keys()).copied().collect();
        ids.into_iter().filter(|c| self.may_sync(*c, device)).collect()
    }

    pub(crate) fn is_member_device(&mut self, community: CommunityId, device: &DeviceId) -> bool {
        self.sync.joining.get(&community) == Some(device)
            || self.communities.get_mut(&community).is_some_and(|c| c.people().member_of_device(device).is_some())
    }

    /// Whether `device` may sync anything of `community` with us.
    pub(crate) fn may_sync(&mut self, community: CommunityId, device: &DeviceId) -> bool {
        self.is_member_device(community, device) || self.may_hold_commons(community, device)
    }

    /// Whether `device` may sync this document with us: a commons if it may hold it, any other
    /// document if it is a member.
    fn may_sync_doc(&mut self, doc: DocId, device: &DeviceId) -> bool {
        match doc.name {
            DocName::Commons => {
                self.is_member_device(doc.community, device) || self.may_hold_commons(doc.community, device)
            }
            _ => self.is_member_device(doc.community, device),
        }
    }

    /// A document held here, whichever kind.
    fn held_doc(&self, id: DocId) -> Option<&weft_core::doc::Document> {
        match id.name {
            DocName::Commons => self.commons.get(&id.community)?.doc(),
            name => self.communities.get(&id.community)?.doc(name),
        }
    }

    fn held_doc_mut(&mut self, id: DocId) -> Option<&mut weft_core::doc::Document> {
        match id.name {
            // For a sync message's state only (its changes are ingested, verified, apart).
            DocName::Commons => self.commons.get_mut(&id.community)?.doc_mut(),
            name => self.communities.get_mut(&id.community)?.doc_mut(name),
        }
    }

    /// The documents of a community `peer` may sync with us, people first (all loaded: a sync
    /// follows): everything of ours, with our commons, to a member; only the commons to a
    /// neighbour.
    pub(crate) fn manifest(&mut self, community: CommunityId, peer: &DeviceId) -> Result<Manifest, Refusal> {
        let member = self.communities.contains_key(&community) && self.is_member_device(community, peer);
        let mut docs = Vec::new();
        if member {
            self.load_board(community).map_err(internal)?;
            self.load_all_ledgers(community).map_err(internal)?;
            let com = self
                .communities
                .get(&community)
                .ok_or_else(|| refuse(RefusalCode::UnknownCommunity, "this peer does not hold that community"))?;
            let board = com.board.as_ref().ok_or_else(|| internal("the board is not loaded"))?;
            docs.push((DocName::People, com.people.heads()));
            docs.push((DocName::Board, board.heads()));
            for (year, doc) in &com.ledgers {
                docs.push((DocName::Ledger(*year), doc.heads()));
            }
        }
        if (member || self.may_hold_commons(community, peer))
            && let Some(held) = self.commons.get(&community)
        {
            docs.push((DocName::Commons, held.heads().to_vec()));
        }
        if docs.is_empty() {
            return Err(if self.communities.contains_key(&community) || self.commons.contains_key(&community) {
                refuse(RefusalCode::NotAMember, "you may not sync this community's documents")
            } else {
                refuse(RefusalCode::UnknownCommunity, "this peer does not hold that community")
            });
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
                self.ledger_may_start(doc.community, year)?;
                let (_, genesis) = self.ledger_for_write(doc.community, year).map_err(internal)?;
                if let Some(genesis) = genesis {
                    let batch = Batch { communities: Vec::new(), changes: vec![(doc, genesis)] };
                    if let Err(e) = self.store.commit(&batch) {
                        // The genesis is in memory only: dropped, or the next local write to
                        // this ledger would be stored without it (and not load again).
                        if let Some(com) = self.communities.get_mut(&doc.community) {
                            com.ledgers.remove(&year);
                        }
                        return Err(internal(e));
                    }
                }
                Ok(())
            }
            DocName::Commons => {
                if !self.commons.contains_key(&doc.community) && !self.communities.contains_key(&doc.community) {
                    return Err(refuse(RefusalCode::UnknownCommunity, "this peer does not hold that commons"));
                }
                self.load_commons_doc(doc.community).map(|_| ()).map_err(internal)
            }
        }
    }

    /// Whether a peer may make us start a year's ledger we do not hold: only a year whose
    /// hours could have been logged, from two years before the community was founded (hours
    /// go 400 days back) to next year. Any four characters name a year to a parser, and every
    /// ledger started is stored, loaded and listed in each manifest, so without this a peer
    /// could make us keep thousands (a manifest of more than 1,024 documents is then refused by
    /// every peer, and sync with everyone stops).
    fn ledger_may_start(&mut self, community: CommunityId, year: i32) -> Result<(), Refusal> {
        let today = self.clock.today().year();
        let Some(com) = self.communities.get_mut(&community) else {
            return Err(refuse(RefusalCode::UnknownCommunity, "this peer does not hold that community"));
        };
        if com.ledgers.contains_key(&year) || com.unloaded.contains(&year) {
            return Ok(());
        }
        let from = com.people().created_at.date().year().saturating_sub(2);
        let to = today.saturating_add(1);
        if (from..=to).contains(&year) {
            return Ok(());
        }
        Err(refuse(
            RefusalCode::Invalid,
            format!("no ledger of {year} can exist: this community's hours date from {from} to {to}"),
        ))
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
        if role != Role::Pull && !self.may_sync_doc(doc, &peer) {
            return Err(refuse(RefusalCode::NotAMember, not_shared(doc)));
        }
        self.doc_for_sync(doc)?;
        let mut state = self.sync_state(peer, doc, role, first);
        if role == Role::Pull {
            if doc.name != DocName::People {
                return Err(refuse(RefusalCode::Invalid, "only the people document is pulled from a stranger"));
            }
            state.peer_read_only = true;
        }
        let started = std::time::Instant::now();
        // Missing parents are asked for once per session: a peer that does not have them
        // either would otherwise be asked every round, and the session never end.
        let asked = self.sync.asked.entry((peer, doc, role)).or_default();
        if first {
            asked.clear();
        }
        let mut asked = std::mem::take(asked);
        let result = self.generate_with(&mut state, doc, &mut asked);
        self.sync.asked.insert((peer, doc, role), asked);
        self.sync.states.insert((peer, doc, role), state);
        let body = result?;
        let changes = self.store.change_count(doc).map_err(internal)?;
        debug!(%doc, ?role, to = %peer.short(), me = %self.me().map(|m| m.short()).unwrap_or_default(),
            bytes = body.message.as_ref().map_or(0, Vec::len), bundle = body.bundle.as_ref().map_or(0, Vec::len),
            sigs = body.signatures.len(), took = ?started.elapsed(), "sync frame");
        Ok(SyncFrame {
            community: doc.community,
            doc: doc.name,
            session: 0,
            round: u32::from(!first),
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
    fn generate_with(
        &mut self,
        state: &mut SyncState,
        id: DocId,
        asked: &mut std::collections::HashSet<ChangeHash>,
    ) -> Result<FrameBody, Refusal> {
        let doc = self.held_doc(id).ok_or_else(|| internal("the document is not loaded"))?;
        let Some((mut message, to_send)) = doc.generate_sync_lean(state) else { return Ok(FrameBody::default()) };
        let pending = if id.name == DocName::Commons { &self.sync.commons_pending } else { &self.sync.pending };
        if let Some(pending) = pending.get(&id.community) {
            for hash in ingest::missing_parents(pending, id.name, |h| doc.has_change(h)) {
                if asked.insert(hash) && !message.need.contains(&hash) {
                    message.need.push(hash);
                }
            }
        }
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
        // Computed only if an unsigned change turns up (rarely): it builds a document.
        let mut upgrades: Option<Vec<ChangeHash>> = None;
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
                    (Cover::Uncovered, _) if !change.deps.is_empty() => {
                        // A deterministic upgrade is vouched for by its hash, as the genesis is.
                        let upgrades = upgrades.get_or_insert_with(|| {
                            weft_core::doc::deterministic_upgrades(&id.community, id.name)
                                .iter()
                                .map(|c| c.hash())
                                .collect()
                        });
                        if upgrades.contains(&change.hash) {
                            send.push(change.hash);
                        }
                    }
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
        if role != Role::Pull && !self.may_sync_doc(doc, &peer) {
            return Err(refuse(RefusalCode::NotAMember, not_shared(doc)));
        }
        self.doc_for_sync(doc)?;
        if frame.is_first() {
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
        report.deferred = ingested.deferred;
        report.quota = ingested.quota;
        let mut state = self.sync_state(peer, doc, role, false);
        let target = self.held_doc_mut(doc).ok_or_else(|| internal("the document is not loaded"))?;
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

    /// Whether we hold a change of a document (loading it if it rests).
    pub(crate) fn holds_change(&mut self, doc: DocId, hash: &ChangeHash) -> bool {
        match doc.name {
            DocName::Board => {
                let _ = self.load_board(doc.community);
            }
            DocName::Ledger(year) => {
                let _ = self.load_ledger(doc.community, year);
            }
            DocName::Commons => {
                if !self.commons.contains_key(&doc.community) {
                    return false;
                }
                let _ = self.load_commons_doc(doc.community);
            }
            DocName::People => {}
        }
        self.held_doc(doc).is_some_and(|d| d.has_change(hash))
    }

    /// The people view of a community, for membership decisions.
    pub(crate) fn people_view(&mut self, community: CommunityId) -> Option<&PeopleView> {
        self.communities.get_mut(&community).map(|c| c.people())
    }
}

impl Replica for State {
    fn communities(&self) -> Vec<CommunityId> {
        self.community_ids()
    }

    fn communities_of(&mut self, device: &DeviceId) -> Vec<CommunityId> {
        self.communities_of_device(device)
    }

    fn may_sync(&mut self, community: CommunityId, device: &DeviceId) -> bool {
        State::may_sync(self, community, device)
    }

    fn member_name(&mut self, community: CommunityId, device: &DeviceId) -> Option<String> {
        self.member_name_of_device(community, device).or_else(|| {
            // A neighbour's member: named by the roster of their own community's commons.
            let of: Vec<CommunityId> =
                self.commons.keys().copied().filter(|c| !self.communities.contains_key(c)).collect();
            of.into_iter().find_map(|c| self.neighbour_name_of_device(c, device))
        })
    }

    fn member_devices(&mut self) -> BTreeSet<DeviceId> {
        let mut devices = BTreeSet::new();
        for com in self.communities.values_mut() {
            devices.extend(com.people().current_members().flat_map(|m| m.devices.keys().copied()));
        }
        devices
    }

    fn manifest(&mut self, community: CommunityId, peer: &DeviceId) -> Result<Manifest, Refusal> {
        State::manifest(self, community, peer)
    }

    fn generate(&mut self, peer: DeviceId, doc: DocId, role: Role, first: bool) -> Result<SyncFrame, Refusal> {
        self.sync_generate(peer, doc, role, first)
    }

    fn receive(&mut self, peer: DeviceId, frame: ReadFrame, role: Role) -> Result<Ingested, Refusal> {
        self.sync_receive(peer, frame, role)
    }

    fn forget(&mut self, peer: DeviceId) {
        self.sync.states.retain(|(p, _, _), _| *p != peer);
        self.sync.asked.retain(|(p, _, _), _| *p != peer);
    }

    fn seal(&mut self, community: CommunityId, doc: DocName, payload: &[u8]) -> Result<GossipFrame, String> {
        self.seal_gossip(community, doc, payload)
    }

    fn open(&mut self, frame: &GossipFrame) -> Result<Option<crate::sync::Opened>, String> {
        self.open_gossip(frame)
    }

    fn ingest(&mut self, community: CommunityId, doc: DocName, changes: Vec<WireChange>) -> Result<Ingested, String> {
        let mut unparsed = Ingested::default();
        let changes = parse_wire(doc, changes, &mut unparsed);
        // Gossip is fresh: what its changes say the time was tells their writers' clocks.
        let written: Vec<(Option<DeviceId>, i64)> =
            changes.iter().map(|c| (weft_core::verify::device_of(c.change.actor_id()), c.change.timestamp())).collect();
        let mut report = State::ingest(self, community, doc, changes).map_err(|e| e.to_string())?;
        if report.rejected.is_empty() && unparsed.rejected.is_empty() {
            self.note_clocks(community, &written);
        }
        report.rejected.extend(unparsed.rejected);
        Ok(report)
    }

    fn admit(&mut self, device: DeviceId, join: JoinRequest) -> Result<CommunityId, Refusal> {
        self.admit_by_invite(device, join)
    }

    fn link_device(
        &mut self,
        device: DeviceId,
        request: weft_net::wire::DeviceLinkRequest,
    ) -> Result<crate::sync::LinkedDevice, Refusal> {
        self.answer_device_link(device, request)
    }

    fn restore_device(
        &mut self,
        device: DeviceId,
        request: weft_net::wire::RestoreRequest,
    ) -> Result<Vec<CommunityId>, Refusal> {
        self.answer_restore(device, request)
    }

    fn wants_rebuild(&mut self) -> bool {
        self.identity.is_some() && (self.communities.is_empty() || self.recovered.is_some())
    }

    fn member_communities_of(&mut self, device: &DeviceId) -> Vec<CommunityId> {
        let ids: Vec<CommunityId> = self.communities.keys().copied().collect();
        ids.into_iter()
            .filter(|c| self.communities.get_mut(c).is_some_and(|com| com.people().member_of_device(device).is_some()))
            .collect()
    }

    fn adopt_identity(
        &mut self,
        member: weft_core::MemberId,
        member_key: [u8; 32],
        name: &str,
    ) -> Result<(), NodeError> {
        State::adopt_identity(self, member, member_key, name)
    }

    fn begin_join(&mut self, community: CommunityId, introducer: DeviceId) -> Result<(), NodeError> {
        State::begin_join(self, community, introducer)
    }

    fn is_joined(&mut self, community: CommunityId) -> bool {
        State::is_joined(self, community)
    }

    fn link(&mut self, device: DeviceId, link: LinkRequest) -> Result<(CommunityId, Vec<WireChange>), Refusal> {
        self.link_by_invite(device, link)
    }

    fn begin_link(
        &mut self,
        ours: CommunityId,
        theirs: CommunityId,
        device: DeviceId,
        evidence: Vec<WireChange>,
    ) -> Result<(), NodeError> {
        State::begin_link(self, ours, theirs, device, evidence)
    }

    fn is_linked(&mut self, community: CommunityId) -> bool {
        self.commons.get_mut(&community).is_some_and(|h| h.roster().is_some())
    }
}
