//! The commons this node holds: its own communities' (which their members tend: roster
//! evidence, directory, the commons key, escalation) and its linked neighbours' (which it only
//! replicates, every change verified against the rosters the commons prove).
//!
//! A commons is kept in memory whole (it is small next to a board) with its view and its
//! community's roster read once and kept until the document changes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use automerge::ChangeHash;
use automerge::ReadDoc;
use tracing::{debug, info, warn};
use weft_core::crypto::DataKey;
use weft_core::doc::commons::{self, CommonsView, Directory, ReadModel};
use weft_core::doc::membership::Membership;
use weft_core::doc::{DocId, DocName, Document, WriteError};
use weft_core::escalation::{self, Rule, Step};
use weft_core::identity::{ChangeSignature, SignedChange};
use weft_core::roster::{Roster, evidence_of};
use weft_core::{CommunityId, DeviceId};
use weft_store::Batch;

use super::State;
use super::write::WriteCtx;
use crate::api::Event;
use crate::clock::Mono;
use crate::error::NodeError;
use crate::sync::Input;

/// How often a member's node looks whether an urgent task should go to the neighbours (or
/// come back), besides after every change of the board.
pub(crate) const ESCALATE_EVERY: Duration = Duration::from_secs(600);

/// One commons in memory: its view and roster always, its Automerge document while it is
/// used (loaded to write or sync, resting after [`super::REST_AFTER`] unused, like a board).
///
/// A commons opens from the read model the store keeps beside it (view and roster, made at
/// the heads it names) without loading the document; see `State::load_commons`.
pub(crate) struct Held {
    doc: Option<Document>,
    /// The document's heads (kept while it rests: manifests name them).
    heads: Vec<ChangeHash>,
    /// Read from the document when first needed after it changed; always there while it rests.
    view: Option<CommonsView>,
    /// The roster its evidence proves (`None` inside: no founding change yet).
    roster: Option<Option<Roster>>,
    /// Whether the store keeps a read model of the commons as it is now.
    modelled: bool,
    /// When the document was last loaded, written or synced.
    used: Mono,
}

impl Held {
    fn from_doc(doc: Document, now: Mono) -> Self {
        Self { heads: doc.heads(), doc: Some(doc), view: None, roster: None, modelled: false, used: now }
    }

    fn from_model(heads: Vec<ChangeHash>, model: ReadModel, now: Mono) -> Self {
        Self { doc: None, heads, view: Some(model.view), roster: Some(model.roster), modelled: true, used: now }
    }

    pub fn view(&mut self) -> &CommonsView {
        // Without its document a commons always has its view (it rests only with one).
        let doc = &self.doc;
        self.view.get_or_insert_with(|| doc.as_ref().map(|d| CommonsView::read(d.automerge())).unwrap_or_default())
    }

    pub fn roster(&mut self) -> Option<&Roster> {
        if self.roster.is_none() {
            let doc = self.doc.as_ref()?;
            let community = doc.id().community;
            // Every change of a held commons was verified before it was applied.
            let roster = match commons::stored_roster(doc.automerge(), community) {
                Ok(r) => r,
                Err(e) => {
                    warn!(community = %community.short(), %e, "a commons' roster does not hold");
                    None
                }
            };
            self.roster = Some(roster);
        }
        self.roster.as_ref().and_then(Option::as_ref)
    }

    /// The document, if it is in memory (see `State::load_commons_doc`).
    pub fn doc(&self) -> Option<&Document> {
        self.doc.as_ref()
    }

    /// The document, if it is in memory, for what does not change its content (a sync
    /// message's state); whoever changes its content calls [`Held::changed`] after.
    pub fn doc_mut(&mut self) -> Option<&mut Document> {
        self.doc.as_mut()
    }

    /// Notes that the document changed (its heads, what was read of it).
    pub fn changed(&mut self) {
        if let Some(doc) = &self.doc {
            self.heads = doc.heads();
        }
        self.view = None;
        self.roster = None;
        self.modelled = false;
    }

    pub fn heads(&self) -> &[ChangeHash] {
        &self.heads
    }

    /// The read model to keep for the commons as it is now, if the store does not keep it yet.
    fn model_to_save(&mut self) -> Option<(DocId, Vec<ChangeHash>, Vec<u8>)> {
        if self.modelled {
            return None;
        }
        let id = self.doc.as_ref()?.id();
        self.roster();
        self.view();
        let bytes = ReadModel::encode_parts(self.view.as_ref()?, self.roster.as_ref()?.as_ref());
        Some((id, self.heads.clone(), bytes))
    }
}

impl State {
    /// Loads the commons of our communities and of the neighbours whose commons we hold.
    pub(super) fn load_commons(&mut self) -> Result<(), NodeError> {
        let ours = self.community_ids();
        let neighbours: Vec<CommunityId> = self.store.neighbours()?.into_iter().map(|r| r.id).collect();
        for c in ours.into_iter().chain(neighbours) {
            self.ensure_commons(c)?;
        }
        Ok(())
    }

    /// The commons of `c` in memory: opened from its read model (if the store keeps one that
    /// holds) or loaded from the store, or started from its deterministic genesis (stored at
    /// once, under a neighbour's row if `c` is not one of ours).
    pub(crate) fn ensure_commons(&mut self, c: CommunityId) -> Result<(), NodeError> {
        if self.commons.contains_key(&c) {
            return Ok(());
        }
        let id = DocId { community: c, name: DocName::Commons };
        let now = self.clock.mono();
        let model = match self.store.read_model(id)? {
            Some(row) => match ReadModel::decode(&row.bytes) {
                Ok(model) => Some((row.heads, model)),
                Err(e) => {
                    debug!(community = %c.short(), %e, "the commons' read model is not used");
                    None
                }
            },
            None => None,
        };
        if let Some((heads, model)) = model {
            self.commons.insert(c, Held::from_model(heads, model, now));
            return Ok(());
        }
        let doc = match self.store.load_doc(id)? {
            Some(doc) => doc,
            None => {
                let (doc, genesis) =
                    Document::from_genesis(id).ok_or_else(|| NodeError::Write("could not start the commons".into()))?;
                if !self.communities.contains_key(&c) {
                    self.store.add_neighbour(c, "(neighbour)")?;
                }
                self.store.commit(&Batch { communities: Vec::new(), changes: vec![(id, genesis)] })?;
                doc
            }
        };
        self.commons.insert(c, Held::from_doc(doc, now));
        Ok(())
    }

    pub(crate) fn held(&mut self, c: CommunityId) -> Result<&mut Held, NodeError> {
        self.ensure_commons(c)?;
        self.commons.get_mut(&c).ok_or_else(|| NodeError::NotFound(format!("no commons of {}", c.short())))
    }

    /// The commons of `c` with its document in memory (loaded again if it rested), marked used.
    pub(crate) fn load_commons_doc(&mut self, c: CommunityId) -> Result<&mut Held, NodeError> {
        let now = self.clock.mono();
        let held = self.peek_commons_doc(c)?;
        held.used = now;
        Ok(held)
    }

    /// The commons of `c` with its document in memory, for a look that is not a use (tending
    /// finds nothing to do most of the time): a document loaded for it may rest again at once.
    pub(crate) fn peek_commons_doc(&mut self, c: CommunityId) -> Result<&mut Held, NodeError> {
        self.ensure_commons(c)?;
        let loaded = self.commons.get(&c).is_some_and(|h| h.doc.is_some());
        if !loaded {
            let id = DocId { community: c, name: DocName::Commons };
            let started = std::time::Instant::now();
            let doc =
                self.store.load_doc(id)?.ok_or_else(|| NodeError::NotFound(format!("no commons of {}", c.short())))?;
            debug!(community = %c.short(), elapsed = ?started.elapsed(), "commons loaded");
            let held = self.held(c)?;
            if doc.heads() != held.heads {
                // Not what the read model was made of (it cannot be, but the document wins).
                warn!(community = %c.short(), "the commons' read model did not match its document");
                held.heads = doc.heads();
                held.view = None;
                held.roster = None;
                held.modelled = false;
            }
            held.doc = Some(doc);
        }
        self.held(c)
    }

    /// Changes a commons and stores the change (nothing if the write has nothing to say).
    pub(super) fn write_commons(
        &mut self,
        c: CommunityId,
        write: impl FnOnce(&mut Document, &WriteCtx) -> Result<Option<SignedChange>, WriteError>,
    ) -> Result<bool, NodeError> {
        let w = self.write_ctx()?;
        let now = self.clock.mono();
        // Loaded to look: a write with nothing to say is not a use.
        let held = self.peek_commons_doc(c)?;
        let doc = held.doc.as_mut().ok_or(NodeError::Stopped)?;
        let Some(change) = write(doc, &w)? else { return Ok(false) };
        held.changed();
        held.used = now;
        self.persist_commons(c, vec![change])?;
        Ok(true)
    }

    /// Stores changes of a commons durably, then gossips and announces them. On failure the
    /// commons is loaded again from disk.
    pub(crate) fn persist_commons(&mut self, c: CommunityId, changes: Vec<SignedChange>) -> Result<(), NodeError> {
        let id = DocId { community: c, name: DocName::Commons };
        let batch = Batch { communities: Vec::new(), changes: changes.iter().map(|ch| (id, ch.clone())).collect() };
        if let Err(e) = self.store.commit(&batch) {
            warn!(%e, "storing a commons change failed; loading the commons again");
            self.commons.remove(&c);
            self.ensure_commons(c)?;
            return Err(e.into());
        }
        self.net_input(Input::LocalChanges { community: c, doc: DocName::Commons, changes });
        let _ = self.events.send(Event::DocumentChanged { community: c, doc: DocName::Commons });
        Ok(())
    }

    /// Keeps the read model of each commons whose document changed since its last one, and
    /// lets the commons unused for `rest_after` rest (their views stay). `waits`: documents
    /// waiting for compaction (they stay until compacted).
    pub(super) fn rest_commons(&mut self, now: Mono, waits: &BTreeSet<DocId>) -> usize {
        let mut rested = 0;
        for (c, held) in &mut self.commons {
            if held.doc.is_none() || now.since(held.used) < self.rest_after {
                continue;
            }
            if let Some((id, heads, bytes)) = held.model_to_save() {
                match self.store.save_read_model(id, &heads, &bytes) {
                    Ok(()) => held.modelled = true,
                    Err(e) => warn!(%e, community = %c.short(), "could not keep the commons' read model"),
                }
            }
            if held.modelled && !waits.contains(&DocId { community: *c, name: DocName::Commons }) {
                held.doc = None;
                rested += 1;
            }
        }
        rested
    }

    /// Keeps the read model of every commons that changed since its last one (before the node
    /// stops: the next start opens them without loading their documents).
    pub(crate) fn save_commons_models(&mut self) {
        for (c, held) in &mut self.commons {
            if let Some((id, heads, bytes)) = held.model_to_save() {
                match self.store.save_read_model(id, &heads, &bytes) {
                    Ok(()) => held.modelled = true,
                    Err(e) => warn!(%e, community = %c.short(), "could not keep the commons' read model"),
                }
            }
        }
    }

    /// When a commons document in memory is next due to rest.
    pub(super) fn commons_next_rest(&self) -> Option<Mono> {
        self.commons.values().filter(|h| h.doc.is_some()).map(|h| h.used + self.rest_after).min()
    }

    /// The communities whose commons is held here (ours and our neighbours').
    pub(crate) fn commons_ids(&self) -> Vec<CommunityId> {
        self.commons.keys().copied().collect()
    }

    /// The rosters every held commons proves, by community (for verifying neighbours' changes).
    pub(crate) fn rosters(&mut self) -> BTreeMap<CommunityId, Roster> {
        let mut out = BTreeMap::new();
        for (c, held) in &mut self.commons {
            if let Some(r) = held.roster() {
                out.insert(*c, r.clone());
            }
        }
        out
    }

    /// Whether `device` belongs to a current member of `c`: by our own people document if `c`
    /// is ours, else by the roster its commons proves, or because it introduced itself for
    /// `c` with a proven roster when our communities linked.
    pub(crate) fn device_in(&mut self, c: CommunityId, device: &DeviceId) -> bool {
        if let Some(com) = self.communities.get_mut(&c) {
            return com.people().member_of_device(device).is_some();
        }
        if self.sync.introduced.get(device).is_some_and(|cs| cs.contains(&c)) {
            return true;
        }
        self.commons.get_mut(&c).and_then(Held::roster).is_some_and(|r| r.member_of_device(device).is_some())
    }

    /// Whether `device` may hold the commons of `c` (which we hold): it is a member of `c`, or
    /// of a community `c` is linked to now.
    ///
    /// Fellow members of a community of ours also exchange the commons of its live
    /// neighbours (a member who did not link holds the neighbour's commons empty until then).
    pub(crate) fn may_hold_commons(&mut self, c: CommunityId, device: &DeviceId) -> bool {
        if !self.commons.contains_key(&c) && self.linked_from_ours(c) {
            // A live neighbour of ours whose commons we have not started holding yet (the
            // link came by sync a moment ago): hold it now.
            if self.ensure_commons(c).is_ok() {
                self.net_input(Input::CommonsAdded(c));
            }
        }
        let Some(held) = self.commons.get_mut(&c) else { return false };
        let links: Vec<CommunityId> = held.view().live_links().collect();
        if self.device_in(c, device) || links.into_iter().any(|l| self.device_in(l, device)) {
            return true;
        }
        for ours in self.community_ids() {
            let linked = self.commons.get_mut(&ours).is_some_and(|h| h.view().live_links().any(|l| l == c));
            if linked && self.is_member_device(ours, device) {
                return true;
            }
        }
        false
    }

    /// Whether one of our communities links `c` live.
    fn linked_from_ours(&mut self, c: CommunityId) -> bool {
        self.community_ids()
            .into_iter()
            .any(|ours| self.commons.get_mut(&ours).is_some_and(|h| h.view().live_links().any(|l| l == c)))
    }

    /// The devices that should hold the commons key of our community `c`: its members' and
    /// those of its live neighbours (as far as their commons here prove them).
    fn key_holders(&mut self, c: CommunityId) -> Result<Vec<DeviceId>, NodeError> {
        let mut devices: BTreeSet<DeviceId> =
            self.community(c)?.people().current_members().flat_map(|m| m.devices.keys().copied()).collect();
        let links: Vec<CommunityId> = self.held(c)?.view().live_links().collect();
        for l in links {
            if let Some(roster) = self.commons.get_mut(&l).and_then(Held::roster) {
                devices.extend(roster.members.values().filter(|m| !m.removed).flat_map(|m| m.devices.keys().copied()));
            }
        }
        Ok(devices.into_iter().collect())
    }

    /// The devices that must not hold our community's commons key: removed members' and those
    /// of communities whose link ended (and was not made again).
    fn shut_out(&mut self, c: CommunityId) -> Result<BTreeSet<DeviceId>, NodeError> {
        let mut out: BTreeSet<DeviceId> = self
            .community(c)?
            .people()
            .members
            .values()
            .filter(|m| m.removed)
            .flat_map(|m| m.devices.keys().copied())
            .collect();
        let ended: Vec<CommunityId> =
            self.held(c)?.view().links.values().filter(|l| !l.is_live()).map(|l| l.community).collect();
        for x in ended {
            if let Some(roster) = self.commons.get_mut(&x).and_then(Held::roster) {
                out.extend(roster.members.values().flat_map(|m| m.devices.keys().copied()));
            }
        }
        Ok(out)
    }

    /// Brings our community's commons up to date with the community: the roster evidence of
    /// its people document, its directory entry, and the commons key sealed to every device
    /// that should hold it (a new key once a link ended). Done by whichever member's node
    /// notices first; the others find nothing left to do.
    pub(crate) fn tend_commons(&mut self, c: CommunityId) -> Result<(), NodeError> {
        let Some(me) = self.me_if_any() else { return Ok(()) };
        if !self.communities.get_mut(&c).is_some_and(|com| com.people().is_current_member(&me)) {
            return Ok(());
        }
        self.ensure_commons(c)?;
        // Our live neighbours' commons are held here (empty until they come from a member who
        // has them).
        let links: Vec<CommunityId> = self.held(c)?.view().live_links().collect();
        for l in links {
            if !self.commons.contains_key(&l) {
                self.ensure_commons(l)?;
                self.net_input(Input::CommonsAdded(l));
            }
        }
        // Roster evidence: the people changes that admit, certify and remove, with signatures.
        let people_id = DocId { community: c, name: DocName::People };
        let have: BTreeSet<_> = {
            let doc = self.peek_commons_doc(c)?.doc().ok_or(NodeError::Stopped)?;
            commons::evidence(doc.automerge()).iter().map(|e| e.change.hash()).collect()
        };
        let missing: Vec<_> = {
            let people = &self.community(c)?.people;
            evidence_of(people).into_iter().filter(|h| !have.contains(h)).collect()
        };
        if !missing.is_empty() {
            let sigs = self.store.signatures_of(people_id, &missing)?;
            let people = &self.community(c)?.people;
            let evidence: Vec<(Vec<u8>, ChangeSignature)> = missing
                .iter()
                .zip(sigs)
                .filter_map(|(h, sig)| {
                    let change = people.automerge().get_change_by_hash(h)?;
                    Some((change.raw_bytes().to_vec(), sig?))
                })
                .collect();
            if !evidence.is_empty() {
                self.write_commons(c, |doc, w| doc.add_evidence(&w.me, &evidence, w.now))?;
            }
        }
        // The directory's name follows the community's.
        let name = self.community(c)?.people().name.clone();
        let dir = self.held(c)?.view().directory.clone();
        if dir.name.as_deref() != Some(name.as_str()) {
            let dir = Directory { name: Some(name), ..dir };
            self.write_commons(c, |doc, w| doc.set_directory(&w.me, &dir, w.now).map(Some))?;
        }
        // The commons key: a first epoch, a new one once a device that held it must not any
        // more (a member removed, a link ended), and seals for devices that lack it.
        let holders = self.key_holders(c)?;
        let shut_out = self.shut_out(c)?;
        let membership = Membership::read(self.peek_commons_doc(c)?.doc().ok_or(NodeError::Stopped)?.automerge());
        let stale = membership.current().is_none_or(|e| e.seals.keys().any(|d| shut_out.contains(d)));
        if stale {
            let key = DataKey::generate();
            self.write_commons(c, |doc, w| doc.start_commons_epoch(&w.me, &key, &holders, w.now).map(Some))?;
            self.sync.keys.clear();
            debug!(community = %c.short(), devices = holders.len(), "new commons key");
        } else {
            self.write_commons(c, |doc, w| doc.seal_commons_key(&w.me, &holders, w.now))?;
        }
        Ok(())
    }

    /// Tends the commons of every community of ours (after the network starts).
    pub(crate) fn tend_all_commons(&mut self) {
        for c in self.community_ids() {
            if let Err(e) = self.tend_commons(c) {
                warn!(%e, community = %c.short(), "could not tend the commons");
            }
        }
    }

    /// Offers our community's urgent, unfilled tasks to its neighbours, and withdraws the
    /// calls nobody is needed for any more (`weft_core::escalation`). A community without
    /// live neighbours escalates nothing.
    pub(crate) fn escalate(&mut self, c: CommunityId) -> Result<usize, NodeError> {
        let Some(me) = self.me_if_any() else { return Ok(0) };
        if !self.communities.get_mut(&c).is_some_and(|com| com.people().is_current_member(&me)) {
            return Ok(0);
        }
        // Waiting is counted on the time the others agree on (this computer's clock may be off).
        let (now, today) = self.agreed_now();
        let view = self.held(c)?.view().clone();
        let has_neighbours = view.live_links().next().is_some();
        let off = self.members_clock_off();
        let steps = {
            let board = self.community(c)?.board();
            // A task from a computer whose clock is off has waited as long as its corrected
            // time says, not its written one.
            let corrected;
            let board = if off.is_empty() {
                board
            } else {
                let mut b = board.clone();
                for t in b.tasks.values_mut() {
                    if let Some(at) = super::clocks::corrected(t, &off) {
                        t.created_at = at;
                    }
                }
                corrected = b;
                &corrected
            };
            escalation::steps(board, &view, &Rule::of(&view), now, today)
        };
        let mut done = 0;
        for step in steps {
            let result = match step {
                Step::Open(task) if has_neighbours => {
                    let Some(t) = self.community(c)?.board().tasks.get(&task).cloned() else { continue };
                    self.write_commons(c, |doc, w| doc.open_call(&w.me, &t, true, w.now).map(Some))
                }
                Step::Open(_) => continue,
                Step::Withdraw(task) => self.write_commons(c, |doc, w| doc.close_call(&w.me, task, w.now).map(Some)),
            };
            match result {
                Ok(_) => {
                    done += 1;
                    info!(community = %c.short(), task = %step.task().short(), ?step, "escalation");
                }
                Err(e) => warn!(%e, task = %step.task().short(), "escalation step failed"),
            }
        }
        Ok(done)
    }

    /// Escalation in every community of ours; when it is next due.
    pub(crate) fn escalate_all(&mut self) {
        for c in self.community_ids() {
            if let Err(e) = self.escalate(c) {
                warn!(%e, community = %c.short(), "escalation failed");
            }
        }
        self.escalate_at = self.clock.mono() + ESCALATE_EVERY;
    }
}
