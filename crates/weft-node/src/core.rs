//! A node without threads, sockets or a runtime: the documents, the store and the sync engine,
//! driven by calls. [`crate::Node`] runs the same state on its own thread behind tokio; the
//! deterministic test network (the `weft-harness` crate) drives many of these in one thread,
//! moving their messages itself, on a simulated clock.

use std::path::Path;

use automerge::ChangeHash;
use tokio::sync::broadcast;
use weft_core::doc::DocId;
use weft_core::{CommunityId, DeviceId};
use weft_net::invite::InviteCode;
use weft_net::wire::{LinkRequest, Manifest};
use weft_store::DataDir;

use crate::api::{Request, Response};
use crate::clock::{Clock, Mono};
use crate::error::{ApiError, NodeError};
use crate::state::State;
use crate::sync::{BookSnapshot, Input, JoinIdentity, Output, SyncConfig};

/// A node's state without its thread: every call runs to completion before it returns.
pub struct Core {
    state: State,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").finish_non_exhaustive()
    }
}

impl Core {
    /// Opens a data directory (taking its lock) with the given clock.
    pub fn open(data_dir: &Path, clock: Clock) -> Result<Self, NodeError> {
        let dir = DataDir::open(data_dir.to_path_buf())?;
        let lock = dir.lock()?;
        // Nobody listens to a core's events; the state sends them regardless.
        let (events, _) = broadcast::channel(16);
        Ok(Self { state: State::open(dir, lock, clock, events)? })
    }

    /// Carries out a request that needs no network (not `Invite`, `Join` or `Peers`).
    pub fn execute(&mut self, request: Request) -> Result<Response, ApiError> {
        self.state.execute(request).map_err(ApiError::from)
    }

    /// Starts the sync engine, as the network starting does. Returns this device's id.
    pub fn start_sync(&mut self, config: SyncConfig) -> Result<DeviceId, NodeError> {
        self.state.start_sync(config, Box::new(|| {}))
    }

    /// Hands the engine an input; returns what it asks for, in order (with whatever local
    /// writes since the last call asked for before it).
    pub fn input(&mut self, input: Input) -> Vec<Output> {
        self.state.net_job(Some(input)).0
    }

    /// What local writes since the last call asked of the network.
    pub fn take_outputs(&mut self) -> Vec<Output> {
        self.state.net_job(None).0
    }

    /// When the engine next needs `Input::Tick`.
    pub fn next_timer(&self) -> Option<Mono> {
        self.state.net_timer()
    }

    /// Does what falls due by the clock between jobs: documents rest, logs are compacted, the
    /// commons is tended and escalation runs. What it asks of the network waits for
    /// [`Core::take_outputs`].
    pub fn run_due(&mut self) {
        self.state.run_due();
    }

    /// When [`Core::run_due`] next has something to do (the node's thread waits until then).
    pub fn next_due(&self) -> Option<Mono> {
        self.state.next_due()
    }

    /// What `weft peers` would show of the engine's book.
    pub fn peers(&self) -> BookSnapshot {
        self.state.net_snapshot().unwrap_or_default()
    }

    /// Computers whose clocks are off, in words, as `weft peers` shows them.
    pub fn clocks(&self) -> Vec<String> {
        self.state.clock_words()
    }

    /// A pairing code of this member's that names these addresses (ten minutes, one
    /// computer), as `weft device add` makes it.
    pub fn pairing_code(&mut self, addresses: Vec<weft_net::Multiaddr>) -> Result<InviteCode, NodeError> {
        let pairing = self.state.start_pairing(None)?;
        Ok(InviteCode {
            invite: pairing.id,
            secret: pairing.secret,
            community: None,
            kind: weft_net::invite::CodeKind::Device,
            addresses,
        })
    }

    /// What a computer waiting to be linked sends with a pairing code (`Input::LinkDevice`).
    pub fn device_link_request(
        &mut self,
        code: &InviteCode,
        label: &str,
    ) -> Result<weft_net::wire::DeviceLinkRequest, NodeError> {
        self.state.device_link_request(code, label)
    }

    /// Opens a backup (file base64 or sheet text) and takes on its identity with a new
    /// device: the code (these addresses) and request `Input::Restore` takes.
    pub fn restore_request(
        &mut self,
        backup: &str,
        passphrase: &str,
        addresses: Vec<weft_net::Multiaddr>,
        revoke: Vec<DeviceId>,
    ) -> Result<(InviteCode, weft_net::wire::RestoreRequest), ApiError> {
        let bytes = crate::net::backup_bytes(backup)?;
        let opened = weft_core::backup::open(&bytes, passphrase).map_err(crate::net::backup_refusal)?;
        let restoring = self.state.begin_restore(&opened, "Restored computer", revoke)?;
        Ok((crate::net::restore_code(addresses), restoring.request))
    }

    /// Makes a backup of this member's identity (registering its key), as `weft backup` does;
    /// `addresses` are where the member's peers were seen.
    pub fn backup(&mut self, passphrase: &str, addresses: Vec<String>) -> Result<crate::api::BackupInfo, ApiError> {
        Ok(self.state.create_backup(passphrase, addresses)?)
    }

    /// Who asks to join (created with `name` if this directory has no identity yet).
    pub fn join_identity(&mut self, name: Option<&str>) -> Result<JoinIdentity, NodeError> {
        self.state.identity_for_join(name)
    }

    /// An invitation to a community that names these addresses.
    pub fn invite(
        &mut self,
        community: CommunityId,
        uses: u32,
        addresses: Vec<weft_net::Multiaddr>,
    ) -> Result<InviteCode, NodeError> {
        let new = self.state.create_invite(Some(&community.to_string()), uses, 24 * 3_600_000)?;
        Ok(InviteCode {
            invite: *new.invite.as_bytes(),
            secret: new.secret,
            community: Some(community),
            kind: weft_net::invite::CodeKind::Member,
            addresses,
        })
    }

    /// A neighbour invitation to our community that names these addresses (valid a day, used
    /// once), as `weft neighbour invite` makes it.
    pub fn neighbour_invite(
        &mut self,
        community: CommunityId,
        addresses: Vec<weft_net::Multiaddr>,
    ) -> Result<InviteCode, NodeError> {
        let new = self.state.create_neighbour_invite(Some(&community.to_string()), 24 * 3_600_000)?;
        Ok(InviteCode {
            invite: *new.invite.as_bytes(),
            secret: new.secret,
            community: Some(community),
            kind: weft_net::invite::CodeKind::Neighbour,
            addresses,
        })
    }

    /// What accepting a neighbour invitation for our community sends (`Input::Link`'s request).
    pub fn link_request(&mut self, community: CommunityId, code: &InviteCode) -> Result<LinkRequest, NodeError> {
        self.state.link_request(Some(&community.to_string()), code)
    }

    /// A member's devices as this peer's people document of `community` records them:
    /// (device, revoked).
    pub fn devices_of(&mut self, community: CommunityId, member: weft_core::MemberId) -> Vec<(DeviceId, bool)> {
        self.state
            .people_view(community)
            .and_then(|p| p.members.get(&member))
            .map_or_else(Vec::new, |m| m.device_records.iter().map(|(d, r)| (*d, r.revoked.is_some())).collect())
    }

    /// The communities held here.
    pub fn communities(&self) -> Vec<CommunityId> {
        self.state.community_ids()
    }

    /// The heads and sizes of a community's documents (what a fellow member would be sent).
    pub fn manifest(&mut self, community: CommunityId) -> Result<Manifest, NodeError> {
        let me = self.state.device().map_err(|e| NodeError::Network(e.to_string()))?;
        self.state.manifest(community, &me).map_err(|r| NodeError::Network(r.reason))
    }

    /// Fault injection for tests: the data directory's database may grow by at most `pages`
    /// more pages from now on (`None`: as much as the disk holds), and fails beyond that as on
    /// a full disk (SQLite's own `SQLITE_FULL`; see `weft_store::Store::limit_growth`).
    pub fn limit_store_growth(&mut self, pages: Option<u32>) -> Result<(), NodeError> {
        self.state.limit_store_growth(pages)
    }

    /// Whether this node holds a change of a document.
    pub fn holds(&mut self, doc: DocId, hash: &ChangeHash) -> bool {
        self.state.holds_change(doc, hash)
    }
}
