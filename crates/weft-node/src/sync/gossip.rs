//! Gossip: judging what peers gossip, and gossiping our own new changes.
//!
//! A received message is opened with the data key it names, and its changes are verified and
//! applied before it is reported as accepted (only then does gossipsub forward it). New local
//! changes are sealed here, as they are written, so gossip leaves in the order of the writes;
//! a batch too large for gossip goes by a sync session with every connected member instead.

use tracing::{debug, warn};
use weft_core::doc::{DocId, DocName};
use weft_core::identity::SignedChange;
use weft_core::{CommunityId, DeviceId};
use weft_net::Verdict;
use weft_net::wire::{GossipFrame, GossipPayload, MAX_GOSSIP, WireChange};

use super::{Engine, GossipId, Output, Replica, Role};
use crate::clock::Mono;

/// What sealing and framing add to a gossip payload.
const GOSSIP_OVERHEAD: usize = weft_core::crypto::SEAL_OVERHEAD + 64;

impl Engine {
    /// A peer flooded us with gossip (the network dropped `dropped` messages over its rate
    /// unread): it is let go for a while.
    pub(super) fn gossip_flood(&mut self, now: Mono, peer: DeviceId, dropped: u32) {
        warn!(peer = %peer.short(), dropped, "peer floods gossip; disconnecting it");
        let what =
            format!("disconnected: it sent gossip without pause ({dropped} messages over the rate were dropped)");
        self.ban(now, peer, what);
    }

    pub(super) fn gossip_in(&mut self, now: Mono, r: &mut impl Replica, source: DeviceId, id: GossipId, data: &[u8]) {
        let verdict = self.judge(now, r, source, data);
        self.out.push(Output::Judge { id, source, verdict });
    }

    fn judge(&mut self, now: Mono, r: &mut impl Replica, source: DeviceId, data: &[u8]) -> Verdict {
        let frame = match GossipFrame::decode(data) {
            Ok(f) => f,
            Err(e) => {
                self.penalise(now, source, &format!("an unreadable gossip frame: {e}"));
                return Verdict::Reject;
            }
        };
        let (community, scope, bytes) = match r.open(&frame) {
            Ok(Some(opened)) => opened,
            // Sealed with a key we do not hold (yet): not for us, or our people document is
            // behind (a new key, or our own admission): a sync with the sender tells.
            Ok(None) => {
                self.meet(now, r, source, true);
                return Verdict::Ignore;
            }
            Err(e) => {
                self.penalise(now, source, &e);
                return Verdict::Reject;
            }
        };
        let payload = match GossipPayload::decode(&bytes) {
            Ok(p) if p.community == community && scope.is_none_or(|d| d == p.doc) => p,
            Ok(_) => {
                self.penalise(now, source, "a gossip payload for another community or document than its key's");
                return Verdict::Reject;
            }
            Err(e) => {
                self.penalise(now, source, &format!("a gossip payload that does not decode: {e}"));
                return Verdict::Reject;
            }
        };
        let doc = DocId { community, name: payload.doc };
        match r.ingest(community, payload.doc, payload.changes) {
            Ok(report) => {
                if let Some(words) = report.rejection_words() {
                    self.penalise(now, source, &words);
                    return Verdict::Reject;
                }
                if let Some(words) = report.quota {
                    // Not forwarded, not penalised: the changes over quota come again by sync.
                    self.over_quota(source, &words);
                    return Verdict::Ignore;
                }
                if report.waiting > 0 {
                    // Its parents or author are unknown here: the peer that sent it has them.
                    self.start_doc(now, r, source, doc, Role::Initiator);
                    return Verdict::Ignore;
                }
                if report.applied == 0 {
                    // Nothing new: old changes sent again (they came by sync first, or a peer
                    // replays them under a new seal). Not forwarded, so a replay goes no
                    // further than us; not penalised, since a copy is not a crime.
                    return Verdict::Ignore;
                }
                Verdict::Accept
            }
            Err(e) => {
                debug!(%e, "gossip could not be taken in");
                Verdict::Ignore
            }
        }
    }

    /// Gossips new local changes (sealed now, so they leave in write order), or syncs them to
    /// every connected member when they are too large for gossip.
    pub(super) fn gossip_out(
        &mut self,
        now: Mono,
        r: &mut impl Replica,
        community: CommunityId,
        doc: DocName,
        changes: &[SignedChange],
    ) {
        let payload = GossipPayload {
            community,
            doc,
            changes: changes
                .iter()
                .map(|c| WireChange { bytes: c.bytes.clone(), signature: c.signature.map(|s| s.0) })
                .collect(),
        };
        let bytes = payload.encode();
        if bytes.len() + GOSSIP_OVERHEAD <= self.config.gossip_limit.min(MAX_GOSSIP) {
            match r.seal(community, doc, &bytes) {
                Ok(frame) => {
                    self.out.push(Output::Publish { community, doc, data: frame.encode() });
                    return;
                }
                Err(e) => warn!(%e, "could not seal a change for gossip; syncing it instead"),
            }
        } else {
            debug!(bytes = bytes.len(), %doc, "too large for gossip; syncing it instead");
        }
        self.sync_with_members(now, r, DocId { community, name: doc }, None);
    }
}
