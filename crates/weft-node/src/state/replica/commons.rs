//! Taking in a commons' changes from peers: each verified against the rosters the commons
//! held here prove (`Verifier::verify_commons`), applied, then stored. A change whose parents
//! or author's roster have not arrived yet waits, within bounds, and is tried again whenever a
//! commons takes in something new (a neighbour's roster may be what it waited for).

use std::collections::HashSet;

use automerge::ChangeHash;
use tracing::{debug, warn};
use weft_core::CommunityId;
use weft_core::doc::{DocId, DocName};
use weft_core::identity::SignedChange;
use weft_core::verify::Verifier;
use weft_store::Batch;

use super::ingest::{MAX_PENDING, Pending, causal_order};
use crate::api::Event;
use crate::error::NodeError;
use crate::state::State;
use crate::sync::{Incoming, Ingested, Rejection};

impl State {
    /// Verifies, applies and stores changes of the commons of `c` received from a peer, then
    /// tries again what waits in every commons if anything was applied.
    pub(crate) fn ingest_commons(&mut self, c: CommunityId, changes: Vec<Incoming>) -> Result<Ingested, NodeError> {
        let report = self.ingest_commons_once(c, changes)?;
        if report.applied > 0 {
            let waiting: Vec<CommunityId> =
                self.sync.commons_pending.iter().filter(|(_, p)| !p.is_empty()).map(|(c, _)| *c).collect();
            for other in waiting {
                self.ingest_commons_once(other, Vec::new())?;
            }
        }
        Ok(report)
    }

    fn ingest_commons_once(&mut self, c: CommunityId, changes: Vec<Incoming>) -> Result<Ingested, NodeError> {
        let mut report = Ingested::default();
        if !self.commons.contains_key(&c) {
            return Err(NodeError::NotFound(format!("no commons of {} here", c.short())));
        }
        let mut seen = HashSet::new();
        let mut queue: Vec<Pending> = changes
            .into_iter()
            .filter(|i| seen.insert(i.change.hash()))
            .map(|i| Pending { doc: DocName::Commons, change: i.change, signature: i.signature })
            .collect();
        let waiting = self.sync.commons_pending.remove(&c).unwrap_or_default();
        queue.extend(waiting.into_iter().filter(|p| seen.insert(p.change.hash())));
        let mut queue = causal_order(queue);
        let rosters = self.rosters();
        let mut verifier = Verifier::new(DocId { community: c, name: DocName::Commons });
        // A frame carries one signature per device, over its latest change: it vouches for the
        // earlier ones.
        verifier.presign(queue.iter().map(|p| (&p.change, p.signature.as_ref())));
        self.load_commons_doc(c)?;
        let held = self.commons.get_mut(&c).ok_or(NodeError::Stopped)?;
        let Some(doc) = held.doc_mut() else { return Err(NodeError::Stopped) };
        let mut rejected: HashSet<ChangeHash> = HashSet::new();
        let mut batch = Vec::new();
        loop {
            let mut progress = false;
            let mut next = Vec::new();
            for p in queue.drain(..) {
                let hash = p.change.hash();
                if doc.has_change(&hash) {
                    report.already += 1;
                    continue;
                }
                if p.change.deps().iter().any(|d| rejected.contains(d)) {
                    rejected.insert(hash);
                    report.rejected.push(Rejection {
                        doc: DocName::Commons,
                        hash: Some(hash),
                        why: "it depends on a rejected change".into(),
                    });
                    continue;
                }
                match verifier.verify_commons(doc, &rosters, &p.change, p.signature.as_ref()) {
                    Ok(_) => {
                        if let Err(e) = doc.apply([p.change.clone()]) {
                            rejected.insert(hash);
                            report.rejected.push(Rejection {
                                doc: DocName::Commons,
                                hash: Some(hash),
                                why: format!("apply: {e}"),
                            });
                            continue;
                        }
                        report.applied += 1;
                        progress = true;
                        batch.push((
                            DocId { community: c, name: DocName::Commons },
                            SignedChange { hash, bytes: p.change.raw_bytes().to_vec(), signature: p.signature },
                        ));
                    }
                    Err(e) if e.is_retryable() => next.push(p),
                    Err(e) => {
                        debug!(commons = %c.short(), %e, "commons change rejected");
                        rejected.insert(hash);
                        report.rejected.push(Rejection { doc: DocName::Commons, hash: Some(hash), why: e.to_string() });
                    }
                }
            }
            queue = next;
            if !progress || queue.is_empty() {
                break;
            }
        }
        if report.applied > 0 {
            held.changed();
        }
        report.waiting = queue.len();
        debug!(commons = %c.short(), applied = report.applied, already = report.already, waiting = report.waiting,
            rejected = report.rejected.len(), "commons ingested");
        if queue.len() > MAX_PENDING {
            queue.drain(..queue.len() - MAX_PENDING);
        }
        if !queue.is_empty() {
            self.sync.commons_pending.insert(c, queue);
        }
        if batch.is_empty() {
            return Ok(report);
        }
        let neighbour = if self.communities.contains_key(&c) {
            None
        } else {
            Some(self.commons.get_mut(&c).and_then(|h| h.view().directory.name.clone()))
        };
        // Either failing (a full disk) leaves applied changes in memory that are not stored:
        // the commons is loaded again from disk, and the peer sends them again later.
        let stored = match neighbour {
            Some(name) => self.store.add_neighbour(c, name.as_deref().unwrap_or("(neighbour)")),
            None => Ok(()),
        }
        .and_then(|()| self.store.commit_received(&Batch { communities: Vec::new(), changes: batch }));
        if let Err(e) = stored {
            warn!(%e, "storing received commons changes failed; loading the commons again from disk");
            self.commons.remove(&c);
            self.ensure_commons(c)?;
            return Err(e.into());
        }
        // A neighbour's roster or links may have changed who holds our commons keys.
        for ours in self.community_ids() {
            self.commons_due(ours);
        }
        self.calendar_stale = true;
        let _ = self.events.send(Event::DocumentChanged { community: c, doc: DocName::Commons });
        Ok(report)
    }
}
