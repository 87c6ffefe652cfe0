//! Taking in changes from peers: every one verified before it is applied, stored before it
//! is acknowledged; changes whose parents or author are unknown wait, within bounds.

use std::collections::{BTreeSet, HashMap, HashSet};

use automerge::{Change, ChangeHash};
use tracing::{debug, warn};
use weft_core::doc::{DocId, DocName};
use weft_core::identity::{ChangeSignature, SignedChange};
use weft_core::verify::{Run, Verifier, VerifyError};
use weft_core::{CommunityId, MemberId};
use weft_store::Batch;

use crate::api::Event;
use crate::state::State;
use crate::state::community::{Community, Touched};
use crate::sync::{Incoming, Ingested, Rejection};

/// The most changes (and bytes) waiting for their parents or author, per community.
pub(super) const MAX_PENDING: usize = 100_000;
const MAX_PENDING_BYTES: usize = 64 << 20;

/// Which side of a sync session this is: each side keeps its own Automerge sync state per

#[derive(Debug)]
pub(super) struct Pending {
    pub doc: DocName,
    pub change: Change,
    pub signature: Option<ChangeSignature>,
}

/// Applies a run of verified changes, document by document, in one call each (change by
/// change if Automerge refuses the run, to find the one it refuses). Returns the time spent.
fn flush_run(
    com: &mut Community,
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
        let Some(target) = com.doc_mut(doc) else { continue };
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

/// Orders changes so that each comes after those of its parents that are in the batch.
pub(super) fn causal_order(batch: Vec<Pending>) -> Vec<Pending> {
    let changes: Vec<&Change> = batch.iter().map(|p| &p.change).collect();
    let order = weft_core::cover::causal_order(&changes);
    let mut slots: Vec<Option<Pending>> = batch.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Member ids a people change writes under (admissions, profiles, removals), so the cached
/// view is refreshed for exactly those members.
/// The members whose records a people change (applied to `doc`) wrote into: a member's
/// record made (its key), or anything inside one (a profile, a device, its revocation).
fn members_touched(doc: &automerge::Automerge, change: &Change) -> BTreeSet<MemberId> {
    use automerge::ReadDoc;
    use automerge::legacy::{Key, ObjectId};
    let mut out = BTreeSet::new();
    let mut seen = HashSet::new();
    for op in &change.decode().operations {
        match &op.obj {
            ObjectId::Root => {}
            ObjectId::Id(id) => {
                if !seen.insert(id.clone()) {
                    continue;
                }
                let exid = automerge::ObjId::Id(id.counter(), id.actor().clone(), 0);
                let Ok(parents) = doc.parents(&exid) else { continue };
                let path: Vec<automerge::Prop> = parents.path().into_iter().map(|(_, p)| p).collect();
                match path.as_slice() {
                    [automerge::Prop::Map(root)] if root == "members" || root == "removed" => {
                        if let Key::Map(k) = &op.key
                            && let Ok(m) = k.parse()
                        {
                            out.insert(m);
                        }
                    }
                    [automerge::Prop::Map(root), automerge::Prop::Map(m), ..] if root == "members" => {
                        if let Ok(m) = m.parse() {
                            out.insert(m);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// The parents that changes of `doc` waiting in `pending` lack: neither in the document nor
/// waiting themselves. A sync message asks for them by hash (Automerge's `need`): the peer's
/// Bloom filter may have taken them for ours, and Automerge, which never sees the waiting
/// changes, would not know to ask.
pub(super) fn missing_parents(
    pending: &[Pending],
    doc: DocName,
    holds: impl Fn(&ChangeHash) -> bool,
) -> Vec<ChangeHash> {
    let waiting: HashSet<ChangeHash> = pending.iter().filter(|p| p.doc == doc).map(|p| p.change.hash()).collect();
    let mut missing: Vec<ChangeHash> = pending
        .iter()
        .filter(|p| p.doc == doc)
        .flat_map(|p| p.change.deps().iter().copied())
        .filter(|d| !waiting.contains(d) && !holds(d))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    missing
}

impl State {
    /// Verifies, applies and stores changes of one document received from a peer, and tries
    /// again the changes of the community that were waiting.
    pub(crate) fn ingest(
        &mut self,
        community: CommunityId,
        doc: DocName,
        changes: Vec<Incoming>,
    ) -> Result<Ingested, crate::error::NodeError> {
        if doc == DocName::Commons {
            return self.ingest_commons(community, changes);
        }
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
        let (wall, mono) = (self.clock.now(), self.clock.mono());
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
        // After the signatures: a change vouched for by a signed one set aside stays vouched for.
        let gate;
        (queue, gate) = super::quota::gate(&mut self.sync.quotas, com, queue, wall, mono);
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
                let check = |com: &Community, runs: &mut HashMap<DocName, Run>| match (
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
                                for m in members_touched(com.people.automerge(), &p.change) {
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
        report.deferred = gate.deferred;
        let applied: HashSet<ChangeHash> = batch.iter().map(|(_, c)| c.hash).collect();
        report.quota = super::quota::settle(&mut self.sync.quotas, gate, &applied);
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
        weft_store::crash_point(weft_store::fault::points::SYNC_BATCH_APPLIED);
        // Stored before it is acknowledged: on failure (a full disk) the community is loaded
        // again from disk, so nothing of the batch stays in memory, and the frame is refused
        // (the peer sends the changes again in a later session).
        if let Err(e) = self.store.commit_received(&Batch { communities: Vec::new(), changes: batch }) {
            warn!(%e, "storing received changes failed; reloading the community from disk");
            self.communities.remove(&community);
            self.load_community(community)?;
            return Err(e.into());
        }
        weft_store::crash_point(weft_store::fault::points::SYNC_BATCH_STORED);
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
        if touched_docs.contains(&DocName::People) {
            if self.sync.joining.contains_key(&community) {
                self.finish_join(community)?;
            }
            self.commons_due(community);
        }
        if touched_docs.contains(&DocName::Board) {
            self.escalate_soon();
        }
        for name in touched_docs {
            self.calendar_stale = true;
            self.maybe_compact(community, name);
            let _ = self.events.send(Event::DocumentChanged { community, doc: name });
        }
        Ok(report)
    }
}
