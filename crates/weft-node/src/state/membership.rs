//! Membership on the state thread: data keys and sealed gossip, invitations, joining,
//! removal.

use std::collections::BTreeSet;

use tracing::{info, warn};
use weft_core::crypto::DataKey;
use weft_core::doc::membership::Membership;
use weft_core::doc::{DocId, DocName, Document, WriteError};
use weft_core::id::InviteId;
use weft_core::validate::ValidationError;
use weft_core::{CommunityId, DeviceCert, DeviceId, MemberId, Timestamp};
use weft_net::wire::{GossipFrame, JoinRequest, Refusal, RefusalCode};
use weft_store::Batch;

use super::State;
use super::community::{Community, Touched};
use crate::api::{MemberInfo, Response};
use crate::error::NodeError;
use crate::sync::JoinIdentity;

/// A new invitation, before the node adds where to reach it.
#[derive(Debug, Clone)]
pub(crate) struct NewInvite {
    pub community: CommunityId,
    pub invite: InviteId,
    pub secret: [u8; 16],
    pub expires: Timestamp,
    pub uses: u32,
}

fn refusal_for(e: &WriteError) -> Refusal {
    let code = match e {
        WriteError::Validation(ValidationError::InviteExpired) => RefusalCode::InviteExpired,
        WriteError::Validation(ValidationError::InviteUsedUp) => RefusalCode::InviteUsedUp,
        WriteError::Validation(ValidationError::InviteUnknown | ValidationError::InviteMismatch) => {
            RefusalCode::BadInvite
        }
        WriteError::Validation(_) => RefusalCode::Invalid,
        _ => RefusalCode::Internal,
    };
    Refusal { code, reason: e.to_string() }
}

impl State {
    /// This directory's identity for a join request, created with `name` if there is none.
    pub(crate) fn identity_for_join(&mut self, name: Option<&str>) -> Result<JoinIdentity, NodeError> {
        if self.identity.is_none() {
            let name = name.ok_or_else(|| NodeError::from(crate::error::Refusal::JoinNameNeeded))?;
            let name =
                weft_core::validate::text(weft_core::validate::Field::Name, name, weft_core::validate::NAME_MAX)?;
            self.identity = Some(self.store.create_identity(&name)?);
        }
        let stored = self.identity.as_ref().ok_or(NodeError::NotInitialised)?;
        Ok(JoinIdentity {
            member: stored.identity.member(),
            device: stored.identity.device(),
            cert: stored.identity.cert().0,
            name: name.map_or_else(|| stored.name.clone(), str::to_owned),
        })
    }

    pub(crate) fn community_info(&mut self, c: CommunityId) -> Result<crate::api::CommunityInfo, NodeError> {
        Ok(self.community(c)?.info())
    }

    /// This computer's device key: its identity's, or (waiting to be linked to a member) the
    /// key it will be linked with.
    pub(crate) fn device_key(&mut self) -> Result<[u8; 32], NodeError> {
        match &self.identity {
            Some(stored) => Ok(stored.identity.device_key().to_bytes()),
            None => Ok(self.store.pending_device_key()?.to_bytes()),
        }
    }

    pub(crate) fn member_name_of_device(&mut self, c: CommunityId, device: &DeviceId) -> Option<String> {
        self.communities.get_mut(&c).and_then(|com| com.people().member_of_device(device).map(|m| m.name.clone()))
    }

    /// Starts the community's first data-key epoch if it has none and we are a member (the
    /// founder does this right after founding).
    pub(crate) fn ensure_epoch(&mut self, c: CommunityId) -> Result<(), NodeError> {
        let Some(me) = self.me_if_any() else { return Ok(()) };
        let com = self.community(c)?;
        if Membership::read(com.people.automerge()).current().is_some() || !com.people().is_current_member(&me) {
            return Ok(());
        }
        self.write_people(c, |people, w| {
            Ok((people.start_epoch(&w.me, &DataKey::generate(), w.now)?, [Touched::Settings]))
        })
    }

    /// Records an invitation to a community.
    pub(crate) fn create_invite(
        &mut self,
        community: Option<&str>,
        uses: u32,
        valid_for_ms: i64,
    ) -> Result<NewInvite, NodeError> {
        let c = self.resolve_community(community)?;
        self.ensure_epoch(c)?;
        let expires = Timestamp(self.clock.now().millis().saturating_add(valid_for_ms));
        let invite = InviteId::random();
        let secret: [u8; 16] = weft_core::id::random_bytes();
        let uses = uses.clamp(1, weft_core::validate::INVITE_USES_MAX);
        self.write_people(c, |people, w| {
            Ok((people.create_invite(&w.me, invite, &secret, expires, uses, w.now)?, [Touched::Settings]))
        })?;
        info!(community = %c.short(), uses, "invitation created");
        Ok(NewInvite { community: c, invite, secret, expires, uses })
    }

    /// Admits the device asking with an invitation (answering a peer's join request).
    pub(crate) fn admit_by_invite(&mut self, device: DeviceId, join: JoinRequest) -> Result<CommunityId, Refusal> {
        let bad = |reason: &str| Refusal { code: RefusalCode::BadInvite, reason: reason.into() };
        if join.device != device {
            return Err(bad("the join request must come from the device being admitted"));
        }
        let invite = InviteId::from_bytes(join.invite);
        let Some(c) = self
            .communities
            .iter()
            .find(|(_, com)| Membership::read(com.people.automerge()).invites.contains_key(&invite))
            .map(|(id, _)| *id)
        else {
            return Err(bad("no community here knows this invitation (it may be for another community)"));
        };
        let me = self.identity().map_err(|e| bad(&e.to_string()))?.clone();
        let now = self.clock.now();
        let com = self.communities.get_mut(&c).ok_or_else(|| bad("the community is gone"))?;
        // Asking twice (an answer lost on the way) is not using the invitation twice.
        if com.people().members.get(&join.member).is_some_and(|m| m.devices.contains_key(&device) && !m.removed) {
            return Ok(c);
        }
        let change = com
            .people
            .admit_with_invite(&me, invite, &join.secret, join.member, &join.name, device, DeviceCert(join.cert), now)
            .map_err(|e| refusal_for(&e))?;
        self.persist(c, vec![(DocName::People, change)], &[Touched::Member(join.member), Touched::Settings], None)
            .map_err(|e| Refusal { code: RefusalCode::Internal, reason: e.to_string() })?;
        info!(community = %c.short(), member = %join.member.short(), "admitted a newcomer by invitation");
        Ok(c)
    }

    /// Prepares to receive a community we were just admitted to: an empty people document
    /// to be filled by sync with the member who admitted us (whom we trust only to send it;
    /// every change is still verified, and the founding change proves the community id).
    pub(crate) fn begin_join(&mut self, c: CommunityId, introducer: DeviceId) -> Result<(), NodeError> {
        self.sync.joining.insert(c, introducer);
        if self.communities.contains_key(&c) {
            return Ok(());
        }
        let people = Document::load(DocId { community: c, name: DocName::People }, None, &[])
            .map_err(|e| NodeError::Write(e.to_string()))?;
        let (board, genesis) = Document::from_genesis(DocId { community: c, name: DocName::Board })
            .ok_or_else(|| NodeError::Write("could not start the board".into()))?;
        self.store.commit(&Batch {
            communities: vec![(c, "(joining)".into())],
            changes: vec![(DocId { community: c, name: DocName::Board }, genesis)],
        })?;
        let now = self.clock.mono();
        self.communities.insert(c, Community::new(c, people, board, BTreeSet::new(), now));
        Ok(())
    }

    /// Whether we are a member of a community whose documents we hold (joining is done).
    pub(crate) fn is_joined(&mut self, c: CommunityId) -> bool {
        let Ok(me) = self.me() else { return false };
        self.communities.get_mut(&c).is_some_and(|com| com.people().is_current_member(&me))
    }

    /// After the people document arrived: the community's name, and joining is over.
    pub(crate) fn finish_join(&mut self, c: CommunityId) -> Result<(), NodeError> {
        if !self.is_joined(c) {
            return Ok(());
        }
        self.sync.joining.remove(&c);
        let name = self.community(c)?.people().name.clone();
        self.store.rename_community(c, &name)?;
        self.community_added(c);
        info!(community = %c.short(), %name, "joined");
        Ok(())
    }

    /// Removes a member, rotating the data key.
    pub(crate) fn remove_member(&mut self, community: Option<&str>, member: &str) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        let who: MemberId = self.resolve_member(c, member)?;
        self.write_people(c, |people, w| {
            let change = people.remove_member(&w.me, who, &DataKey::generate(), w.now)?;
            Ok((change, [Touched::Member(who), Touched::Settings]))
        })?;
        self.sync.keys.clear();
        info!(community = %c.short(), member = %who.short(), "member removed; data key rotated");
        let info: MemberInfo = self.member_info(c, who)?;
        Ok(Response::Member(info))
    }

    /// Seals a gossip payload: a commons' with the commons key, anything else with the
    /// community's current data key.
    pub(crate) fn seal_gossip(&mut self, c: CommunityId, doc: DocName, payload: &[u8]) -> Result<GossipFrame, String> {
        let device_key = self.identity().map_err(|e| e.to_string())?.device_key().clone();
        let key = if doc == DocName::Commons {
            let held = self.load_commons_doc(c).map_err(|e| e.to_string())?;
            Membership::read(held.doc().ok_or("the commons is not loaded")?.automerge())
                .current_key(&device_key)
                .ok_or("this device does not hold the commons key yet")?
        } else {
            let com = self.communities.get(&c).ok_or("no such community")?;
            Membership::read(com.people.automerge())
                .current_key(&device_key)
                .ok_or("this device does not hold the community's data key yet")?
        };
        let (nonce, sealed) = key.seal(payload).map_err(|e| e.to_string())?;
        Ok(GossipFrame { key_id: key.id(), nonce, sealed })
    }

    /// Opens a gossip frame: `None` if it is sealed with a key we do not hold (another
    /// community, an epoch we were not given, or one our documents have not seen yet). A
    /// commons key opens gossip of that commons only (`Some(Commons)`).
    pub(crate) fn open_gossip(&mut self, frame: &GossipFrame) -> Result<Option<crate::sync::Opened>, String> {
        if !self.sync.keys.contains_key(&frame.key_id) {
            let Ok(device_key) = self.identity().map(|i| i.device_key().clone()) else { return Ok(None) };
            // A commons whose document rests is loaded to look (its key may be the one).
            let resting: Vec<CommunityId> =
                self.commons.iter().filter(|(_, h)| h.doc().is_none()).map(|(c, _)| *c).collect();
            for c in resting {
                if let Err(e) = self.load_commons_doc(c) {
                    warn!(%e, community = %c.short(), "could not load a commons to open gossip");
                }
            }
            let people = self.communities.iter().map(|(c, com)| (*c, None, &com.people));
            let commons = self.commons.iter().filter_map(|(c, held)| Some((*c, Some(DocName::Commons), held.doc()?)));
            for (c, scope, doc) in people.chain(commons) {
                if let Some(key) = Membership::read(doc.automerge()).key(&frame.key_id, &device_key) {
                    self.sync.keys.insert(frame.key_id, (c, scope, key));
                    break;
                }
            }
        }
        let Some((c, scope, key)) = self.sync.keys.get(&frame.key_id) else { return Ok(None) };
        match key.open(&frame.nonce, &frame.sealed) {
            Ok(bytes) => Ok(Some((*c, *scope, bytes))),
            Err(e) => {
                warn!(%e, "a gossip message did not open");
                Err(format!("a gossip message did not open: {e}"))
            }
        }
    }
}
