//! What the sync engine needs of the documents: the state thread's documents and store
//! implement it ([`crate::state`]); every byte from a peer is verified there.

use std::collections::BTreeSet;

use weft_core::doc::{DocId, DocName};
use weft_core::{CommunityId, DeviceId};
use weft_net::wire::{GossipFrame, JoinRequest, Manifest, Refusal, SyncFrame, WireChange};

use super::{Ingested, ReadFrame, Role};
use crate::error::NodeError;

pub(crate) trait Replica {
    /// The communities held here.
    fn communities(&self) -> Vec<CommunityId>;
    /// The communities in which `device` is a device of a current member (or of the member
    /// admitting us).
    fn communities_of(&mut self, device: &DeviceId) -> Vec<CommunityId>;
    fn is_member_device(&mut self, community: CommunityId, device: &DeviceId) -> bool;
    /// The name of the member behind a device.
    fn member_name(&mut self, community: CommunityId, device: &DeviceId) -> Option<String>;
    /// Every device of every current member of the communities held here.
    fn member_devices(&mut self) -> BTreeSet<DeviceId>;
    /// The heads and sizes of a community's documents, people first.
    fn manifest(&mut self, community: CommunityId) -> Result<Manifest, Refusal>;
    /// The next frame of a sync session with `peer` (the engine sets its session and round).
    fn generate(&mut self, peer: DeviceId, doc: DocId, role: Role, first: bool) -> Result<SyncFrame, Refusal>;
    /// Takes in a peer's frame: verifies, applies and stores its changes.
    fn receive(&mut self, peer: DeviceId, frame: ReadFrame, role: Role) -> Result<Ingested, Refusal>;
    /// Forgets what a peer that left was being sent (what both sides share is kept).
    fn forget(&mut self, peer: DeviceId);
    /// Seals a gossip payload with the community's current data key.
    fn seal(&mut self, community: CommunityId, payload: &[u8]) -> Result<GossipFrame, String>;
    /// Opens a gossip frame: `None` if it is sealed with a key we do not hold.
    fn open(&mut self, frame: &GossipFrame) -> Result<Option<(CommunityId, Vec<u8>)>, String>;
    /// Verifies, applies and stores changes that came by gossip.
    fn ingest(&mut self, community: CommunityId, doc: DocName, changes: Vec<WireChange>) -> Result<Ingested, String>;
    /// Admits the device asking with an invitation.
    fn admit(&mut self, device: DeviceId, join: JoinRequest) -> Result<CommunityId, Refusal>;
    /// Prepares to receive a community we were just admitted to, from the member who did.
    fn begin_join(&mut self, community: CommunityId, introducer: DeviceId) -> Result<(), NodeError>;
    /// Whether we are a current member of a community whose documents we hold.
    fn is_joined(&mut self, community: CommunityId) -> bool;
}
