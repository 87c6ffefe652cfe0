//! What the sync engine needs of the documents: the state thread's documents and store
//! implement it ([`crate::state`]); every byte from a peer is verified there.

use std::collections::BTreeSet;

use weft_core::doc::{DocId, DocName};
use weft_core::{CommunityId, DeviceId};
use weft_net::wire::{
    DeviceLinkRequest, GossipFrame, JoinRequest, LinkRequest, Manifest, Refusal, RestoreRequest, SyncFrame, WireChange,
};

use super::{Ingested, ReadFrame, Role};
use crate::error::NodeError;

/// A gossip frame opened: the community its key is of, the one document a commons key opens
/// (`Some(Commons)`; `None` for a community's data key), and the payload.
pub(crate) type Opened = (CommunityId, Option<DocName>, Vec<u8>);

pub(crate) trait Replica {
    /// The communities held here.
    fn communities(&self) -> Vec<CommunityId>;
    /// The communities `device` may sync something of with us: ours it is a member of (or
    /// whose member admits us), and the commons held here that it may hold too.
    fn communities_of(&mut self, device: &DeviceId) -> Vec<CommunityId>;
    /// Whether `device` may sync anything of `community` with us.
    fn may_sync(&mut self, community: CommunityId, device: &DeviceId) -> bool;
    /// The name of the member behind a device.
    fn member_name(&mut self, community: CommunityId, device: &DeviceId) -> Option<String>;
    /// Every device of every current member of the communities held here.
    fn member_devices(&mut self) -> BTreeSet<DeviceId>;
    /// The heads and sizes of the documents of a community `peer` may sync, people first.
    fn manifest(&mut self, community: CommunityId, peer: &DeviceId) -> Result<Manifest, Refusal>;
    /// The next frame of a sync session with `peer` (the engine sets its session and round).
    fn generate(&mut self, peer: DeviceId, doc: DocId, role: Role, first: bool) -> Result<SyncFrame, Refusal>;
    /// Takes in a peer's frame: verifies, applies and stores its changes.
    fn receive(&mut self, peer: DeviceId, frame: ReadFrame, role: Role) -> Result<Ingested, Refusal>;
    /// Forgets what a peer that left was being sent (what both sides share is kept).
    fn forget(&mut self, peer: DeviceId);
    /// Seals a gossip payload: a commons' with its commons key, others with the community's
    /// current data key.
    fn seal(&mut self, community: CommunityId, doc: DocName, payload: &[u8]) -> Result<GossipFrame, String>;
    /// Opens a gossip frame: `None` if it is sealed with a key we do not hold; a commons key
    /// opens that commons' gossip only (`Some(Commons)`).
    fn open(&mut self, frame: &GossipFrame) -> Result<Option<Opened>, String>;
    /// Verifies, applies and stores changes that came by gossip.
    fn ingest(&mut self, community: CommunityId, doc: DocName, changes: Vec<WireChange>) -> Result<Ingested, String>;
    /// Admits the device asking with an invitation.
    fn admit(&mut self, device: DeviceId, join: JoinRequest) -> Result<CommunityId, Refusal>;
    /// Prepares to receive a community we were just admitted to, from the member who did.
    fn begin_join(&mut self, community: CommunityId, introducer: DeviceId) -> Result<(), NodeError>;
    /// Whether we are a current member of a community whose documents we hold.
    fn is_joined(&mut self, community: CommunityId) -> bool;
    /// Links one of our communities to the one whose neighbour invitation `device` brings.
    /// Returns our community and its roster evidence.
    fn link(&mut self, device: DeviceId, link: LinkRequest) -> Result<(CommunityId, Vec<WireChange>), Refusal>;
    /// Our `ours` was linked by `device`, a member of `theirs` (its evidence proves it): write
    /// our side of the link and prepare to receive their commons from it.
    fn begin_link(
        &mut self,
        ours: CommunityId,
        theirs: CommunityId,
        device: DeviceId,
        evidence: Vec<WireChange>,
    ) -> Result<(), NodeError>;
    /// Whether the commons of a neighbour we linked has arrived (its roster is proven).
    fn is_linked(&mut self, community: CommunityId) -> bool;
    /// Links the computer `device` asking with a pairing code of ours, once the person
    /// confirmed it here (`RefusalCode::Pending` until then): writes its device record in
    /// each of our communities and returns what it needs to act as our member.
    fn link_device(&mut self, device: DeviceId, request: DeviceLinkRequest) -> Result<LinkedDevice, Refusal>;
    /// Adds back a member's computer restored from their backup, in each community here
    /// where the backup's key is one of the member's current devices.
    fn restore_device(&mut self, device: DeviceId, request: RestoreRequest) -> Result<Vec<CommunityId>, Refusal>;
    /// Whether this computer lost communities it should get back from peers (its database
    /// was set aside), or holds none yet: it then asks each peer that connects.
    fn wants_rebuild(&mut self) -> bool;
    /// Our communities where `device` is a current device of a member.
    fn member_communities_of(&mut self, device: &DeviceId) -> Vec<CommunityId>;
    /// A member's device linked us: from now on this computer acts for that member.
    fn adopt_identity(
        &mut self,
        member: weft_core::MemberId,
        member_key: [u8; 32],
        name: &str,
    ) -> Result<(), NodeError>;
}

/// What a linked computer is told: who it now acts for, and the communities it may sync.
#[derive(Debug, Clone)]
pub struct LinkedDevice {
    pub member: weft_core::MemberId,
    pub member_key: [u8; 32],
    pub name: String,
    pub communities: Vec<CommunityId>,
}
