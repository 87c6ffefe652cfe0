//! A member's several computers, at the node: pairing codes carry this computer's addresses;
//! linking and restoring need the network (the sync engine does them, as it does joining);
//! a backup names where the member's peers were last seen.

use tokio::sync::oneshot;
use weft_core::backup::{self, Backup, BackupCommunity, BackupError, Kdf};
use weft_core::doc::membership::Membership;
use weft_core::identity::{Identity, SecretKey, Vouch};
use weft_net::invite::{CodeKind, InviteCode};
use weft_net::wire::RestoreRequest;

use super::Control;
use crate::Node;
use crate::api::{LinkedInfo, PairingInfo, Response};
use crate::error::{ApiError, NodeError, Refusal};

/// What a restore asks of the network, made on the state thread from the backup.
pub(crate) struct Restoring {
    pub request: RestoreRequest,
    pub addresses: Vec<weft_net::Multiaddr>,
}

pub(crate) fn backup_refusal(e: BackupError) -> NodeError {
    match e {
        BackupError::WrongPassphrase => Refusal::BackupPassphrase.into(),
        BackupError::WeakPassphrase => Refusal::BackupWeakPassphrase { min: 10 }.into(),
        other => Refusal::BackupUnreadable { why: other.to_string() }.into(),
    }
}

/// The backup's bytes from what a person gives: the file (base64), a recovery sheet's text,
/// or a scanned QR code's text.
pub(crate) fn backup_bytes(text: &str) -> Result<Vec<u8>, NodeError> {
    let trimmed = text.trim();
    if trimmed.to_ascii_lowercase().starts_with(backup::QR_PREFIX) {
        return backup::parse_qr_payload(trimmed).map_err(|e| Refusal::BackupUnreadable { why: e.to_string() }.into());
    }
    if let Ok(bytes) = data_encoding::BASE64.decode(trimmed.as_bytes())
        && bytes.starts_with(backup::MAGIC)
    {
        return Ok(bytes);
    }
    backup::parse_sheet(trimmed).map_err(|e| Refusal::BackupUnreadable { why: e.to_string() }.into())
}

impl Node {
    /// This member's devices, with the pairing code in progress written out.
    pub(crate) async fn devices(&self) -> Result<Response, ApiError> {
        let mut info = self.call(|s| s.devices()).await??;
        if let Some(p) = info.pairing.as_mut() {
            let code = self.call(|s| s.pairing().map(|p| (p.id, p.secret))).await?;
            if let Some((id, secret)) = code {
                *p = self.pairing_info(id, secret, p.expires, p.used).await;
            }
        }
        Ok(Response::Devices(info))
    }

    async fn pairing_info(
        &self,
        id: [u8; 12],
        secret: [u8; 16],
        expires: weft_core::Timestamp,
        used: bool,
    ) -> PairingInfo {
        let addresses = self.shared_addresses().await;
        let code = InviteCode { invite: id, secret, community: None, kind: CodeKind::Device, addresses };
        PairingInfo {
            code: code.short(),
            link: code.link(),
            addresses: code.addresses.iter().map(ToString::to_string).collect(),
            expires,
            used,
        }
    }

    /// Starts a pairing code for another computer of this member's.
    pub(crate) async fn device_add(&self, minutes: Option<u32>) -> Result<Response, ApiError> {
        if self.net_link().is_none() {
            return Err(NodeError::Network(
                "linking a computer needs the network: run `weft serve` (or the app) and add the device there".into(),
            )
            .into());
        }
        let pairing = self.call(move |s| s.start_pairing(minutes)).await??;
        Ok(Response::Pairing(self.pairing_info(pairing.id, pairing.secret, pairing.expires, false).await))
    }

    /// On a new computer: becomes another computer of the member whose device shows `code`.
    pub(crate) async fn device_link(&self, code: &str, label: String) -> Result<Response, NodeError> {
        let code = InviteCode::parse(code)?;
        if code.kind != CodeKind::Device && code.community.is_some() {
            return Err(Refusal::NotAPairingCode.into());
        }
        let link = self.net_link().ok_or_else(|| {
            NodeError::Network("linking needs the network: run `weft device link` without `weft serve` running".into())
        })?;
        let (reply, answer) = oneshot::channel();
        link.control.send(Control::LinkDevice { code, label, reply }).await.map_err(|_| NodeError::Stopped)?;
        let communities = answer.await.map_err(|_| NodeError::Stopped)??;
        self.linked(communities, Vec::new()).await
    }

    async fn linked(
        &self,
        communities: Vec<weft_core::CommunityId>,
        revoked: Vec<weft_core::DeviceId>,
    ) -> Result<Response, NodeError> {
        self.call(move |s| {
            let identity = s.whoami()?;
            let communities = communities.iter().map(|c| s.community_info(*c)).collect::<Result<Vec<_>, _>>()?;
            Ok(Response::Linked(LinkedInfo { identity, communities, revoked }))
        })
        .await?
    }

    /// Makes an encrypted backup of this member's identity and registers its key.
    pub(crate) async fn backup_create(&self, passphrase: String) -> Result<Response, ApiError> {
        let mut addresses = self.shared_addresses().await.iter().map(ToString::to_string).collect::<Vec<_>>();
        for peer in self.peers().await.peers {
            if !peer.address.is_empty() && !addresses.contains(&peer.address) {
                addresses.push(peer.address);
            }
        }
        addresses.truncate(backup::ADDRESSES_MAX);
        let made = self.call(move |s| s.create_backup(&passphrase, addresses)).await??;
        Ok(Response::Backup(made))
    }

    /// Restores a member's identity on this computer from a backup and gets the communities
    /// back from any member's peer; then revokes what `revoke` names.
    pub(crate) async fn restore(
        &self,
        text: &str,
        passphrase: String,
        label: String,
        revoke: Vec<String>,
    ) -> Result<Response, NodeError> {
        let bytes = backup_bytes(text)?;
        // Argon2 takes a moment and 64 MiB: off the state thread.
        let opened = tokio::task::spawn_blocking(move || backup::open(&bytes, &passphrase))
            .await
            .map_err(|e| NodeError::Internal(e.to_string()))?
            .map_err(backup_refusal)?;
        let (at_once, later) = revoke_from_backup(&opened, &revoke);
        let restoring = self.call(move |s| s.begin_restore(&opened, &label, at_once)).await??;
        let link = self.net_link().ok_or_else(|| {
            NodeError::Network("restoring needs the network: run `weft restore` without `weft serve` running".into())
        })?;
        let code = restore_code(restoring.addresses);
        let (reply, answer) = oneshot::channel();
        let request = restoring.request;
        let restoring_revoked = request.revoke.clone();
        link.control
            .send(Control::Restore { code, request: Box::new(request), reply })
            .await
            .map_err(|_| NodeError::Stopped)?;
        let communities = answer.await.map_err(|_| NodeError::Stopped)??;
        let mut revoked = restoring_revoked;
        revoked.extend(self.call(move |s| s.revoke_after_restore(&later)).await??);
        self.linked(communities, revoked).await
    }
}

/// What a restore hands the join machinery: no secret (the backup's vouch is the proof),
/// only where to look for the member's peers.
pub(crate) fn restore_code(addresses: Vec<weft_net::Multiaddr>) -> InviteCode {
    InviteCode { invite: [0; 12], secret: [0; 16], community: None, kind: CodeKind::Device, addresses }
}

/// The backup of a member, as the state thread makes it.
#[allow(clippy::too_many_arguments)] // the backup's parts, each of its own kind
pub(crate) fn make_backup(
    me: &Identity,
    member_key: &SecretKey,
    name: &str,
    recovery_key: SecretKey,
    devices: Vec<(weft_core::DeviceId, String)>,
    communities: Vec<(weft_core::CommunityId, String, &weft_core::doc::Document)>,
    addresses: &[String],
    now: weft_core::Timestamp,
) -> Backup {
    let communities = communities
        .into_iter()
        .map(|(id, name, people)| {
            let membership = Membership::read(people.automerge());
            let keys =
                membership.epochs.iter().filter_map(|e| membership.key(&e.key_id, me.device_key())).collect::<Vec<_>>();
            BackupCommunity { id, name, addresses: addresses.to_vec(), keys }
        })
        .collect();
    Backup {
        member: me.member(),
        member_key: member_key.clone(),
        name: name.to_owned(),
        recovery_key,
        devices,
        communities,
        made_at: now,
    }
}

/// The devices a restore asks the peer to revoke, of those the backup lists (by label or id
/// prefix; `all`: every one but the backup's own key); the names it could not place there.
pub(crate) fn revoke_from_backup(backup: &Backup, revoke: &[String]) -> (Vec<weft_core::DeviceId>, Vec<String>) {
    let recovery = weft_core::DeviceId::from_bytes(backup.recovery_key.public());
    let listed = || backup.devices.iter().filter(|(d, _)| *d != recovery);
    if revoke.iter().any(|r| r.trim().eq_ignore_ascii_case("all")) {
        return (listed().map(|(d, _)| *d).collect(), Vec::new());
    }
    let mut ids = Vec::new();
    let mut rest = Vec::new();
    for reference in revoke {
        let lower = reference.trim().to_lowercase();
        let by_label: Vec<_> = listed().filter(|(_, l)| !l.is_empty() && l.to_lowercase() == lower).collect();
        let by_id: Vec<_> = listed().filter(|(d, _)| lower.len() >= 4 && d.to_string().starts_with(&lower)).collect();
        match (by_label.as_slice(), by_id.as_slice()) {
            ([(d, _)], _) | ([], [(d, _)]) => ids.push(*d),
            _ => rest.push(reference.clone()),
        }
    }
    (ids, rest)
}

/// The request a restored computer sends: its certificate and the backup's vouch.
pub(crate) fn restore_request(
    backup: &Backup,
    identity: &Identity,
    label: &str,
    revoke: Vec<weft_core::DeviceId>,
) -> RestoreRequest {
    let vouched_by = weft_core::DeviceId::from_bytes(backup.recovery_key.public());
    RestoreRequest {
        revoke,
        member: backup.member,
        device: identity.device(),
        cert: identity.cert().0,
        vouched_by,
        vouch: Vouch::sign(&backup.recovery_key, &backup.member, &identity.device()).0,
        label: label.to_owned(),
    }
}

/// What the node seals a backup with (Argon2id, 64 MiB).
pub(crate) const BACKUP_KDF: Kdf = Kdf::RECOMMENDED;
