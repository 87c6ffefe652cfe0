//! Answering peers' requests: manifests, sync frames and join requests.
//!
//! The answer to each peer's latest frame per document is kept for a while: a frame sent
//! again (its answer was lost or late) gets the same answer, and is not taken in twice.

use std::collections::BTreeMap;
use std::time::Duration;

use weft_core::DeviceId;
use weft_core::doc::DocId;
use weft_net::wire::{
    DeviceLinkRequest, JoinRequest, LinkRequest, Manifest, Refusal, RefusalCode, Response, RestoreRequest,
};

use super::{Engine, Inbound, InboundId, Output, ReadFrame, Replica, Role};
use crate::clock::Mono;

/// Our answer to a peer's latest frame of a document.
#[derive(Debug)]
struct Last {
    session: u64,
    round: u32,
    response: Response,
    at: Mono,
    /// Frames of this session we took in, and how many in a row brought nothing new and took
    /// nothing back: a peer's session is capped here as ours are where we start them.
    rounds: u32,
    idle: u32,
    /// Frames of this session that asked for changes by hash and brought nothing new.
    asked: u32,
}

/// Rounds in a row with nothing new either way after which we refuse to go on with a peer's
/// session. Well above the `IDLE_ROUNDS` after which an honest peer ends it itself.
const SERVED_IDLE: u32 = 4 * super::session::IDLE_ROUNDS;

#[derive(Debug, Default)]
pub(super) struct Served {
    last: BTreeMap<(DeviceId, DocId), Last>,
}

impl Served {
    pub fn drop_peer(&mut self, peer: &DeviceId) {
        self.last.retain(|(p, _), _| p != peer);
    }

    /// Forgets answers older than `after` (a frame is not sent again that late).
    pub fn expire(&mut self, now: Mono, after: Duration) {
        self.last.retain(|_, l| now.since(l.at) < after);
    }
}

fn refused(code: RefusalCode, reason: impl Into<String>) -> Response {
    Response::Refused(Refusal { code, reason: reason.into() })
}

impl Engine {
    pub(super) fn serve(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, id: InboundId, request: Inbound) {
        let response = match request {
            Inbound::Manifest(theirs) => self.serve_manifest(r, peer, &theirs),
            Inbound::Sync(Ok(frame)) => self.serve_sync(now, r, peer, frame),
            Inbound::Sync(Err(refusal)) => {
                if refusal.code == RefusalCode::Invalid {
                    self.malformed(now, peer, &refusal.reason);
                }
                Response::Refused(refusal)
            }
            Inbound::Join(join) => self.serve_join(now, r, peer, join),
            Inbound::Link(link) => self.serve_link(now, r, peer, link),
            Inbound::DeviceLink(link) => self.serve_device_link(now, r, peer, link),
            Inbound::Restore(restore) => self.serve_restore(now, r, peer, restore),
            Inbound::Rebuild => Response::Restored { communities: r.member_communities_of(&peer) },
        };
        self.out.push(Output::Respond { id, response });
    }

    fn serve_manifest(&mut self, r: &mut impl Replica, peer: DeviceId, theirs: &Manifest) -> Response {
        if !r.may_sync(theirs.community, &peer) {
            return refused(
                RefusalCode::NotAMember,
                "nothing of this community is shared with you: you are not a member (yet), and your community is \
                 not linked to it (or the link ended)",
            );
        }
        match r.manifest(theirs.community, &peer) {
            Ok(mine) => {
                // Who it is may be better known now (a neighbour's roster arrived since).
                self.identify(r, peer);
                self.note_manifests(peer, &mine, theirs);
                Response::Manifest(mine)
            }
            Err(refusal) => Response::Refused(refusal),
        }
    }

    fn serve_sync(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, frame: ReadFrame) -> Response {
        let doc = DocId { community: frame.community, name: frame.doc };
        let (session, round) = (frame.session, frame.round);
        let (mut rounds, mut idle, mut asked) = (1, 0, 0);
        if let Some(last) = self.served.last.get(&(peer, doc))
            && last.session == session
        {
            if last.round == round {
                // Sent again: the same answer, nothing taken in twice.
                return last.response.clone();
            }
            if round < last.round {
                // A copy of an earlier round, late: its sender no longer waits for it.
                return refused(RefusalCode::Invalid, "a frame of a round already answered");
            }
            (rounds, idle, asked) = (last.rounds.saturating_add(1), last.idle, last.asked);
        }
        if rounds > self.config.max_rounds || idle >= SERVED_IDLE || asked > super::session::ASKED_ROUNDS {
            // A session that goes on this long is not syncing anything: a hostile peer keeping
            // us busy (its heads never meet ours, its Bloom filter claims nothing or everything,
            // it asks for our changes one at a time).
            let why = if idle >= SERVED_IDLE {
                format!("its sync session of {doc} brought nothing new either way for {idle} rounds")
            } else if asked > super::session::ASKED_ROUNDS {
                format!(
                    "its sync session of {doc} asked for changes by hash for {asked} rounds and brought nothing new"
                )
            } else {
                format!("its sync session of {doc} went on for more than {} rounds", self.config.max_rounds)
            };
            self.note(peer, "endless session", format!("{why}; refused to go on"));
            return refused(RefusalCode::Busy, format!("{why}: start again later"));
        }
        let asks = frame.asks();
        let report = match r.receive(peer, frame, Role::Responder) {
            Ok(report) => report,
            Err(refusal) => return Response::Refused(refusal),
        };
        if let Some(words) = report.rejection_words() {
            self.penalise(now, peer, &words);
            return refused(RefusalCode::Invalid, "changes failed verification");
        }
        if report.applied > 0 {
            self.sync_with_members(now, r, doc, Some(peer));
        }
        if let Some(words) = report.quota {
            // Busy: what was over is taken when the peer's next session offers it again.
            self.over_quota(peer, &words);
            return refused(RefusalCode::Busy, words);
        }
        let mut reply = match r.generate(peer, doc, Role::Responder, false) {
            Ok(f) => f,
            Err(refusal) => return Response::Refused(refusal),
        };
        reply.session = session;
        reply.round = round;
        let sent = reply.bundle.is_some() || !reply.signatures.is_empty();
        idle = if sent || report.applied > 0 { 0 } else { idle + 1 };
        if asks && report.applied == 0 {
            asked += 1;
        }
        let response = Response::Sync(reply);
        let last = Last { session, round, response: response.clone(), at: now, rounds, idle, asked };
        self.served.last.insert((peer, doc), last);
        response
    }

    fn serve_link(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, link: LinkRequest) -> Response {
        let theirs = link.community;
        match r.link(peer, link) {
            Ok((community, evidence)) => {
                self.book.not_a_stranger(&peer);
                self.identify(r, peer);
                // Their commons comes from them; ours goes to them when they ask.
                self.start_community(now, r, peer, theirs, false);
                Response::Linked { community, evidence }
            }
            Err(refusal) => Response::Refused(refusal),
        }
    }

    fn serve_device_link(
        &mut self,
        now: Mono,
        r: &mut impl Replica,
        peer: DeviceId,
        link: DeviceLinkRequest,
    ) -> Response {
        // The new computer drives the sync, as a newcomer does.
        self.book.newcomer(peer, now + self.config.newcomer_drives);
        match r.link_device(peer, link) {
            Ok(linked) => {
                self.identify(r, peer);
                Response::DeviceLinked {
                    member: linked.member,
                    member_key: linked.member_key,
                    name: linked.name,
                    communities: linked.communities,
                }
            }
            Err(refusal) => {
                self.book.not_a_newcomer(&peer);
                if refusal.code == RefusalCode::Pending {
                    // It waits for the person: a stranger may stay while the code lasts.
                    self.book.keep_stranger(&peer, now + self.config.stranger_grace);
                }
                Response::Refused(refusal)
            }
        }
    }

    fn serve_restore(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, restore: RestoreRequest) -> Response {
        self.book.newcomer(peer, now + self.config.newcomer_drives);
        match r.restore_device(peer, restore) {
            Ok(communities) => {
                self.identify(r, peer);
                Response::Restored { communities }
            }
            Err(refusal) => {
                self.book.not_a_newcomer(&peer);
                Response::Refused(refusal)
            }
        }
    }

    fn serve_join(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, join: JoinRequest) -> Response {
        // The newcomer starts the sync. Noted before the admission is written: our own look at
        // the newcomer may find the admission at once, and would then start sessions of its
        // own that send everything a second time.
        self.book.newcomer(peer, now + self.config.newcomer_drives);
        match r.admit(peer, join) {
            Ok(community) => {
                self.identify(r, peer);
                Response::Joined { community }
            }
            Err(refusal) => {
                self.book.not_a_newcomer(&peer);
                Response::Refused(refusal)
            }
        }
    }
}
