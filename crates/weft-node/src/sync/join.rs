//! Joining a community with an invitation, or linking ours to a neighbour with a neighbour
//! invitation: reach a member (by the invitation's addresses or on the LAN), ask to be
//! admitted (or linked), then sync the community's documents (or its commons) from the member
//! who answered. Joining and linking answer once that first sync is over.

use std::collections::BTreeSet;
use std::time::Duration;

use tracing::debug;
use weft_core::validate::ValidationError;
use weft_core::{CommunityId, DeviceId, MemberId};
use weft_net::invite::InviteCode;
use weft_net::wire::{DeviceLinkRequest, JoinRequest, LinkRequest, RefusalCode, Request, RestoreRequest};

use super::session::kind;
use super::{Answer, Engine, Output, Replica, RequestId, Ticket};
use crate::clock::Mono;
use crate::error::NodeError;

/// How long to wait before asking again a peer whose connection failed under the request.
const ASK_AGAIN_AFTER: Duration = Duration::from_millis(500);
/// How often a new computer asks again while the person confirms on their other computer.
const ASK_PENDING_EVERY: Duration = Duration::from_secs(1);

/// Who asks to join.
#[derive(Debug, Clone)]
pub struct JoinIdentity {
    pub member: MemberId,
    pub device: DeviceId,
    pub cert: [u8; 64],
    pub name: String,
}

/// What the invitation is for.
#[derive(Debug)]
pub(super) enum Purpose {
    /// Becoming a member of the invitation's community.
    Member(JoinIdentity),
    /// Linking one of our communities to the invitation's, as neighbours.
    Neighbour(LinkRequest),
    /// Becoming another computer of a member, with the pairing code their device shows.
    Device(DeviceLinkRequest),
    /// Being added back, restored from the member's backup (any member may add us).
    Restore(RestoreRequest),
}

impl Purpose {
    /// Whether it brings us every community of a member rather than one.
    fn is_device(&self) -> bool {
        matches!(self, Self::Device(_) | Self::Restore(_))
    }
}

#[derive(Debug)]
pub(super) struct Joining {
    ticket: Ticket,
    code: InviteCode,
    purpose: Purpose,
    asked: BTreeSet<DeviceId>,
    /// The member who admitted us, and to what.
    admitted: Option<(DeviceId, Vec<CommunityId>)>,
    deadline: Mono,
    ask_again_at: Option<Mono>,
    last_refusal: Option<String>,
}

impl Joining {
    pub fn next_timer(&self) -> Option<Mono> {
        if self.admitted.is_some() {
            // The sync with the admitter runs on its own timers.
            return None;
        }
        Some(self.ask_again_at.map_or(self.deadline, |t| t.min(self.deadline)))
    }
}

impl Engine {
    pub(super) fn join(
        &mut self,
        now: Mono,
        _r: &mut impl Replica,
        ticket: Ticket,
        code: InviteCode,
        purpose: Purpose,
    ) {
        if self.joining.is_some() {
            let busy = NodeError::from(crate::error::Refusal::AlreadyJoining);
            self.out.push(Output::Joined { ticket, result: Err(busy) });
            return;
        }
        for address in &code.addresses {
            self.out.push(Output::Dial(address.clone()));
        }
        self.joining = Some(Joining {
            ticket,
            code,
            purpose,
            asked: BTreeSet::new(),
            admitted: None,
            deadline: now + self.config.join_timeout,
            ask_again_at: None,
            last_refusal: None,
        });
        for peer in self.book.connected() {
            self.join_ask(now, peer);
        }
    }

    /// Asks a connected peer to admit us, once (while we are joining and not admitted yet).
    pub(super) fn join_ask(&mut self, now: Mono, peer: DeviceId) {
        let Some(j) = self.joining.as_mut() else { return };
        if j.admitted.is_some() || !j.asked.insert(peer) {
            return;
        }
        let request = match &j.purpose {
            Purpose::Member(identity) => Request::Join(JoinRequest {
                invite: j.code.invite,
                secret: j.code.secret,
                member: identity.member,
                device: identity.device,
                cert: identity.cert,
                name: identity.name.clone(),
            }),
            Purpose::Neighbour(link) => Request::Link(link.clone()),
            Purpose::Device(link) => Request::DeviceLink(link.clone()),
            Purpose::Restore(restore) => Request::Restore(Box::new(restore.clone())),
        };
        let id = RequestId(self.new_id());
        self.sessions.ask_join(peer, id, request.clone(), now);
        self.out.push(Output::Request { peer, id, request });
    }

    /// Asks a peer that connected which of its communities we are a current device of, when
    /// we lost ours (or hold none): once per connection, and never while joining.
    pub(super) fn rebuild_ask(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId) {
        if self.joining.is_some() || self.rebuild_asked.contains(&peer) || !r.wants_rebuild() {
            return;
        }
        self.rebuild_asked.insert(peer);
        let id = RequestId(self.new_id());
        self.sessions.ask_rebuild(peer, id, now);
        self.out.push(Output::Request { peer, id, request: Request::Rebuild });
    }

    /// A peer told us the communities we are a device of: those we lack come from it.
    pub(super) fn rebuild_answered(
        &mut self,
        now: Mono,
        r: &mut impl Replica,
        peer: DeviceId,
        answer: Result<Answer, String>,
    ) {
        let Ok(Answer::Restored { communities }) = answer else { return };
        if self.joining.is_some() {
            return;
        }
        let held = r.communities();
        for c in communities.into_iter().filter(|c| !held.contains(c)) {
            debug!(community = %c.short(), peer = %peer.short(), "rebuilding a community from a peer");
            match r.begin_join(c, peer) {
                Ok(()) => self.start_community(now, r, peer, c, true),
                Err(e) => debug!(%e, "could not start rebuilding a community"),
            }
        }
    }

    pub(super) fn join_answered(
        &mut self,
        now: Mono,
        r: &mut impl Replica,
        peer: DeviceId,
        answer: Result<Answer, String>,
    ) {
        let Some(j) = self.joining.as_mut() else { return };
        if j.admitted.is_some() {
            return;
        }
        match answer {
            Ok(Answer::Joined { community }) if matches!(j.purpose, Purpose::Member(_)) => {
                if j.code.community.is_some_and(|c| c != community) {
                    j.last_refusal = Some("a peer admitted us to another community than the link's".into());
                    return;
                }
                if let Err(e) = r.begin_join(community, peer) {
                    return self.finish_join(Err(e));
                }
                j.admitted = Some((peer, vec![community]));
                // From now on the deadline is for the documents to arrive.
                j.deadline = now + self.config.join_timeout;
                self.start_community(now, r, peer, community, true);
            }
            Ok(Answer::Linked { community, evidence }) => {
                let Purpose::Neighbour(link) = &j.purpose else {
                    j.last_refusal = Some("a peer answered a join with a link".into());
                    return;
                };
                let ours = link.community;
                if j.code.community.is_some_and(|c| c != community) {
                    j.last_refusal = Some("a peer linked us to another community than the invitation's".into());
                    return;
                }
                if let Err(e) = r.begin_link(ours, community, peer, evidence) {
                    j.last_refusal = Some(e.to_string());
                    return;
                }
                j.admitted = Some((peer, vec![community]));
                j.deadline = now + self.config.join_timeout;
                self.identify(r, peer);
                self.start_community(now, r, peer, community, true);
                self.start_community(now, r, peer, ours, false);
            }
            Ok(Answer::DeviceLinked { member, member_key, name, communities }) => {
                if !matches!(j.purpose, Purpose::Device(_)) {
                    j.last_refusal = Some("a peer answered with a device link we did not ask for".into());
                    return;
                }
                if let Err(e) = r.adopt_identity(member, member_key, &name) {
                    return self.finish_join(Err(e));
                }
                self.admitted_to(now, r, peer, communities);
            }
            Ok(Answer::Restored { communities }) => {
                if !matches!(j.purpose, Purpose::Restore(_)) {
                    j.last_refusal = Some("a peer answered with a restore we did not ask for".into());
                    return;
                }
                self.admitted_to(now, r, peer, communities);
            }
            Ok(Answer::Refused(refusal)) if refusal.code == RefusalCode::Pending => {
                // The person has yet to confirm the words on their other computer: ask again.
                j.last_refusal = Some(refusal.reason);
                j.asked.remove(&peer);
                j.ask_again_at = Some(now + ASK_PENDING_EVERY);
            }
            Ok(Answer::Refused(refusal)) => match refusal.code {
                RefusalCode::InviteExpired => {
                    self.finish_join(Err(NodeError::Invalid(ValidationError::InviteExpired)));
                }
                RefusalCode::InviteUsedUp => {
                    self.finish_join(Err(NodeError::Invalid(ValidationError::InviteUsedUp)));
                }
                _ => j.last_refusal = Some(refusal.reason),
            },
            Ok(other) => j.last_refusal = Some(format!("a peer answered with {}", kind(&other))),
            Err(e) => {
                // The connection may have been replaced (both sides dialed at once): ask again
                // shortly.
                debug!(peer = %peer.short(), %e, "join request failed");
                j.asked.remove(&peer);
                j.ask_again_at = Some(now + ASK_AGAIN_AFTER);
            }
        }
    }

    /// A sync with the member who admitted us is over: joined, or (until the deadline) another
    /// sync with them.
    pub(super) fn join_synced(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, community: CommunityId) {
        let Some((admitted, deadline)) = self.joining.as_ref().map(|j| (j.admitted.clone(), j.deadline)) else {
            return;
        };
        let Some((admitter, communities)) = admitted else { return };
        if admitter != peer || !communities.contains(&community) {
            return;
        }
        self.identify(r, peer);
        let neighbour = matches!(self.joining.as_ref().map(|j| &j.purpose), Some(Purpose::Neighbour(_)));
        let done = |r: &mut dyn FnMut(CommunityId) -> bool| communities.iter().all(|c| r(*c));
        let all_done = if neighbour { done(&mut |c| r.is_linked(c)) } else { done(&mut |c| r.is_joined(c)) };
        if all_done {
            return self.finish_join(Ok(communities));
        }
        let this_done = if neighbour { r.is_linked(community) } else { r.is_joined(community) };
        if this_done {
            // Another of the member's communities is still on its way.
            return;
        }
        if now < deadline && self.book.connected().contains(&peer) {
            debug!(peer = %peer.short(), "the community's documents are not all here yet; syncing again");
            return self.start_community(now, r, peer, community, true);
        }
        let why = match self.joining.as_ref().map(|j| &j.purpose) {
            Some(Purpose::Neighbour(_)) => {
                "the communities are linked but the neighbour's commons did not arrive; keep `weft serve` running and \
                 it will"
            }
            Some(Purpose::Device(_) | Purpose::Restore(_)) => {
                "this computer was added, but the communities' documents did not all arrive; keep Weft running and \
                 they will"
            }
            _ => {
                "we were admitted but the community's documents did not arrive; keep `weft serve` running and they \
                 will"
            }
        };
        self.finish_join(Err(NodeError::Network(why.into())));
    }

    /// The member who admitted us left before the first sync was over.
    pub(super) fn join_peer_gone(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId) {
        let Some((admitter, communities)) = self.joining.as_ref().and_then(|j| j.admitted.clone()) else { return };
        if admitter == peer {
            for community in communities {
                self.join_synced(now, r, peer, community);
            }
        }
    }

    pub(super) fn join_tick(&mut self, now: Mono, _r: &mut impl Replica) {
        let Some(j) = self.joining.as_mut() else { return };
        if j.admitted.is_some() {
            return;
        }
        if now >= j.deadline {
            let refused = match j.purpose {
                Purpose::Member(_) => "no member admitted us",
                Purpose::Neighbour(_) => "no member of the neighbouring community linked us",
                Purpose::Device(_) => "the other computer did not link this one",
                Purpose::Restore(_) => "no member added this computer back",
            };
            let why = match j.last_refusal.take() {
                Some(r) => format!("{refused}: {r}"),
                None if j.purpose.is_device() => "none of your other computers or fellow members could be reached: \
                                                  run Weft on one of them, on the same network or with its address"
                    .into(),
                None => "no member of the community could be reached: check the link's addresses, or join on the \
                         same network as a member running Weft"
                    .into(),
            };
            return self.finish_join(Err(NodeError::Network(why)));
        }
        if j.ask_again_at.is_some_and(|t| t <= now) {
            j.ask_again_at = None;
            for peer in self.book.connected() {
                self.join_ask(now, peer);
            }
        }
    }

    /// A member's device linked us, or a member added us back: every community of the
    /// member's comes from that peer.
    fn admitted_to(&mut self, now: Mono, r: &mut impl Replica, peer: DeviceId, communities: Vec<CommunityId>) {
        for c in &communities {
            if let Err(e) = r.begin_join(*c, peer) {
                return self.finish_join(Err(e));
            }
        }
        if communities.is_empty() {
            return self.finish_join(Ok(communities));
        }
        if let Some(j) = self.joining.as_mut() {
            j.admitted = Some((peer, communities.clone()));
            j.deadline = now + self.config.join_timeout;
        }
        self.identify(r, peer);
        for c in communities {
            self.start_community(now, r, peer, c, true);
        }
    }

    fn finish_join(&mut self, result: Result<Vec<CommunityId>, NodeError>) {
        if let Some(j) = self.joining.take() {
            self.out.push(Output::Joined { ticket: j.ticket, result });
        }
    }
}
