//! Membership changes in the people document: data-key epochs, invitations, removals.
//!
//! ```text
//! epochs:  { <key id>: { n, by, at, seals: { <device>: sealed data key } } }
//! invites: { <invite>: { secret (sha-256 of the invite's secret), by, at, expires, uses,
//!                        used: { <member>: at } } }
//! removed: { <member>: { by, at } }
//! ```
//!
//! The current epoch is the one with the highest `n`; two members who rotate at once create
//! two epochs with the same `n`, and every device picks the same one (the smaller key id).
//! Admission with an invitation writes, in one change, the newcomer's member record, the use
//! of the invitation and the current data key sealed to the newcomer's device.

use std::collections::BTreeMap;

use automerge::{Automerge, ScalarValue};
use sha2::{Digest, Sha256};

use super::build::Rec;
use super::people::PeopleView;
use super::read::{Field, Record, child_map, fields, records, root_map};
use super::{Document, WriteError, root_container};
use crate::crypto::{DataKey, unhex};
use crate::id::{DeviceId, InviteId, MemberId};
use crate::identity::{DeviceCert, Identity, SecretKey, SignedChange, Vouch};
use crate::model::DeviceKind;
use crate::time::Timestamp;
use crate::validate::ValidationError;

/// One data-key epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epoch {
    pub key_id: [u8; 8],
    pub n: u64,
    pub by: MemberId,
    pub at: Timestamp,
    pub seals: BTreeMap<DeviceId, Vec<u8>>,
}

/// An invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: InviteId,
    pub secret_hash: [u8; 32],
    pub by: MemberId,
    pub at: Timestamp,
    pub expires: Timestamp,
    pub uses: u32,
    pub used: BTreeMap<MemberId, Timestamp>,
}

/// Epochs and invitations, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    /// Sorted from oldest to current.
    pub epochs: Vec<Epoch>,
    pub invites: BTreeMap<InviteId, Invite>,
}

/// The hash of an invite's secret, as the people document keeps it.
pub fn secret_hash(secret: &[u8; 16]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"weft/invite/v1");
    h.update(secret);
    h.finalize().into()
}

impl Membership {
    pub fn read(doc: &Automerge) -> Self {
        let mut epochs = Vec::new();
        for (key, obj) in root_map(doc, "epochs").map(|o| records(doc, &o)).unwrap_or_default() {
            let Some(key_id) = unhex::<8>(&key) else { continue };
            let rec = Record::read(doc, &obj, &format!("epochs/{key}"));
            let (Ok(n), Ok(by), Ok(at)) = (rec.uint("n"), rec.parse("by"), rec.timestamp("at")) else { continue };
            let mut seals = BTreeMap::new();
            if let Some(s) = child_map(doc, &obj, "seals") {
                for (device, value) in fields(doc, &s) {
                    if let (Ok(device), Field::Bytes(b)) = (device.parse::<DeviceId>(), value) {
                        seals.insert(device, b);
                    }
                }
            }
            epochs.push(Epoch { key_id, n, by, at, seals });
        }
        // Oldest first; among rotations of the same number the smaller key id counts.
        epochs.sort_by(|a, b| a.n.cmp(&b.n).then(b.key_id.cmp(&a.key_id)));
        let mut invites = BTreeMap::new();
        for (key, obj) in root_map(doc, "invites").map(|o| records(doc, &o)).unwrap_or_default() {
            let Ok(id) = key.parse::<InviteId>() else { continue };
            let rec = Record::read(doc, &obj, &format!("invites/{key}"));
            let (Ok(secret_hash), Ok(by), Ok(at), Ok(expires), Ok(uses)) = (
                rec.bytes::<32>("secret"),
                rec.parse("by"),
                rec.timestamp("at"),
                rec.timestamp("expires"),
                rec.u32("uses"),
            ) else {
                continue;
            };
            let mut used = BTreeMap::new();
            if let Some(u) = child_map(doc, &obj, "used") {
                for (m, value) in fields(doc, &u) {
                    if let (Ok(m), Field::Timestamp(t)) = (m.parse::<MemberId>(), value) {
                        used.insert(m, Timestamp(t));
                    }
                }
            }
            invites.insert(id, Invite { id, secret_hash, by, at, expires, uses, used });
        }
        Self { epochs, invites }
    }

    /// The epoch whose key seals new gossip.
    pub fn current(&self) -> Option<&Epoch> {
        self.epochs.last()
    }

    /// Opens the key of an epoch with this device's key, if it was sealed to the device.
    pub fn key(&self, key_id: &[u8; 8], device_key: &SecretKey) -> Option<DataKey> {
        let device = DeviceId::from_bytes(device_key.public());
        let epoch = self.epochs.iter().find(|e| &e.key_id == key_id)?;
        let sealed = epoch.seals.get(&device)?;
        DataKey::unseal(device_key, sealed).ok().filter(|k| &k.id() == key_id)
    }

    /// The current key, opened with this device's key.
    pub fn current_key(&self, device_key: &SecretKey) -> Option<DataKey> {
        let epoch = self.current()?;
        self.key(&epoch.key_id, device_key)
    }

    /// Checks an invitation for a newcomer at `now`.
    pub fn check_invite(
        &self,
        id: &InviteId,
        secret: &[u8; 16],
        newcomer: &MemberId,
        now: Timestamp,
    ) -> Result<&Invite, ValidationError> {
        let invite = self.invites.get(id).ok_or(ValidationError::InviteUnknown)?;
        if invite.secret_hash != secret_hash(secret) {
            return Err(ValidationError::InviteMismatch);
        }
        if now >= invite.expires {
            return Err(ValidationError::InviteExpired);
        }
        if !invite.used.contains_key(newcomer) && invite.used.len() >= invite.uses as usize {
            return Err(ValidationError::InviteUsedUp);
        }
        Ok(invite)
    }
}

/// The devices of current members.
fn current_devices(view: &PeopleView) -> Vec<DeviceId> {
    view.current_members().flat_map(|m| m.devices.keys().copied()).collect()
}

impl Document {
    /// Starts a new data-key epoch sealed to every current member's device (the founder does
    /// this right after founding; removal does it to shut the removed member out).
    pub fn start_epoch(&mut self, me: &Identity, key: &DataKey, now: Timestamp) -> Result<SignedChange, WriteError> {
        let view = PeopleView::read(&self.doc);
        if !view.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let n = Membership::read(&self.doc).current().map_or(0, |e| e.n + 1);
        let seals = seal_all(key, &current_devices(&view))?;
        let epochs = root_container(&self.doc, "epochs")?;
        self.write(me, now, |tx| epoch_record(key, n, me, now, seals).create(tx, &epochs, &key.id_hex()).map(|_| ()))
    }

    /// Records an invitation (its secret's hash, expiry and number of uses).
    pub fn create_invite(
        &mut self,
        me: &Identity,
        id: InviteId,
        secret: &[u8; 16],
        expires: Timestamp,
        uses: u32,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let view = PeopleView::read_some(&self.doc, Some(&[me.member()]));
        if !view.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        if expires <= now {
            return Err(ValidationError::InviteExpired.into());
        }
        let invites = root_container(&self.doc, "invites")?;
        self.write(me, now, |tx| {
            Rec::new()
                .bytes("secret", &secret_hash(secret))
                .str("by", me.member().to_string())
                .timestamp("at", now.millis())
                .timestamp("expires", expires.millis())
                .uint("uses", u64::from(uses.clamp(1, 10_000)))
                .map("used", Rec::new())
                .create(tx, &invites, &id.to_string())
                .map(|_| ())
        })
    }

    /// Admits a newcomer who holds a valid invitation: member record, the invitation's use and
    /// the current data key sealed to the newcomer's device, in one change.
    #[allow(clippy::too_many_arguments)]
    pub fn admit_with_invite(
        &mut self,
        admitter: &Identity,
        invite: InviteId,
        secret: &[u8; 16],
        member: MemberId,
        name: &str,
        device: DeviceId,
        cert: DeviceCert,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let membership = Membership::read(&self.doc);
        membership.check_invite(&invite, secret, &member, now)?;
        if !cert.verify(&member, &device) {
            return Err(WriteError::Validation(ValidationError::InviteMismatch));
        }
        let seal = match membership.current() {
            Some(epoch) => {
                let key = membership
                    .key(&epoch.key_id, admitter.device_key())
                    .ok_or_else(|| WriteError::Other("this device does not hold the community's data key".into()))?;
                Some((
                    crate::crypto::hex(&epoch.key_id),
                    key.seal_to(&device).map_err(|e| WriteError::Other(e.to_string()))?,
                ))
            }
            None => None,
        };
        let invites = root_container(&self.doc, "invites")?;
        let used = child_map(&self.doc, &invites, &invite.to_string())
            .and_then(|i| child_map(&self.doc, &i, "used"))
            .ok_or(ValidationError::InviteUnknown)?;
        let epoch_seals = match &seal {
            Some((key_hex, _)) => root_map(&self.doc, "epochs")
                .and_then(|e| child_map(&self.doc, &e, key_hex))
                .and_then(|e| child_map(&self.doc, &e, "seals")),
            None => None,
        };
        self.admit_member_with(admitter, member, name, device, cert, now, |tx| {
            use automerge::transaction::Transactable;
            tx.put(&used, member.to_string(), ScalarValue::Timestamp(now.millis()))?;
            if let (Some(seals), Some((_, sealed))) = (&epoch_seals, &seal) {
                tx.put(seals, device.to_string(), ScalarValue::Bytes(sealed.clone()))?;
            }
            Ok(())
        })
    }

    /// Removes a member: their new changes are refused from now on, and a new data key is
    /// sealed to the remaining members' devices only.
    pub fn remove_member(
        &mut self,
        me: &Identity,
        member: MemberId,
        new_key: &DataKey,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let view = PeopleView::read(&self.doc);
        if !view.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        match view.members.get(&member) {
            None => return Err(ValidationError::NotAMemberNamed { name: member.short() }.into()),
            Some(m) if m.removed => return Err(ValidationError::AlreadyRemoved { name: m.name.clone() }.into()),
            Some(_) => {}
        }
        let remaining: Vec<DeviceId> =
            view.current_members().filter(|m| m.id != member).flat_map(|m| m.devices.keys().copied()).collect();
        let n = Membership::read(&self.doc).current().map_or(0, |e| e.n + 1);
        let seals = seal_all(new_key, &remaining)?;
        let removed = root_container(&self.doc, "removed")?;
        let epochs = root_container(&self.doc, "epochs")?;
        self.write(me, now, |tx| {
            Rec::new().str("by", me.member().to_string()).timestamp("at", now.millis()).create(
                tx,
                &removed,
                &member.to_string(),
            )?;
            epoch_record(new_key, n, me, now, seals).create(tx, &epochs, &new_key.id_hex()).map(|_| ())
        })
    }
}

/// A device to add to a member's record.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub member: MemberId,
    pub device: DeviceId,
    pub cert: DeviceCert,
    pub label: String,
    pub kind: DeviceKind,
    /// For a device added by someone else than the member: the vouch of one of the member's
    /// current devices (a backup's key).
    pub vouch: Option<(DeviceId, Vouch)>,
}

impl Document {
    /// Adds a device to a member: written by one of the member's own devices (linking a new
    /// computer, or registering a backup's key), or by any member with the vouch of one of
    /// the member's current devices (a computer restored from a backup). The current data key
    /// is sealed to a computer in the same change, if this device holds it.
    pub fn add_device(&mut self, me: &Identity, new: &NewDevice, now: Timestamp) -> Result<SignedChange, WriteError> {
        let label = crate::validate::text(crate::validate::Field::DeviceLabel, &new.label, crate::validate::NAME_MAX)?;
        let view = PeopleView::read_some(&self.doc, Some(&[me.member(), new.member]));
        if !view.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let member = match view.members.get(&new.member) {
            Some(m) if m.removed => return Err(ValidationError::AlreadyRemoved { name: m.name.clone() }.into()),
            Some(m) => m,
            None => return Err(ValidationError::NotAMemberNamed { name: new.member.short() }.into()),
        };
        match member.device_records.get(&new.device) {
            Some(r) if r.revoked.is_some() => {
                return Err(ValidationError::DeviceRevoked { device: new.device.short() }.into());
            }
            Some(_) => return Err(ValidationError::DeviceKnown { device: new.device.short() }.into()),
            None => {}
        }
        if !new.cert.verify(&new.member, &new.device) {
            return Err(ValidationError::DeviceCertMismatch.into());
        }
        if me.member() != new.member {
            let ok = new.vouch.as_ref().is_some_and(|(by, vouch)| {
                member.devices.contains_key(by) && vouch.verify(by, &new.member, &new.device)
            });
            if !ok {
                return Err(WriteError::Other(
                    "a device is added by its own member, or with the vouch of their backup".into(),
                ));
            }
        }
        let membership = Membership::read(&self.doc);
        let seal = match (new.kind, membership.current()) {
            (DeviceKind::Computer, Some(epoch)) => membership
                .key(&epoch.key_id, me.device_key())
                .map(|key| key.seal_to(&new.device).map(|sealed| (crate::crypto::hex(&epoch.key_id), sealed)))
                .transpose()
                .map_err(|e| WriteError::Other(e.to_string()))?,
            _ => None,
        };
        let seals = match &seal {
            Some((key_hex, _)) => root_map(&self.doc, "epochs")
                .and_then(|e| child_map(&self.doc, &e, key_hex))
                .and_then(|e| child_map(&self.doc, &e, "seals")),
            None => None,
        };
        let devices = super::people::devices_map(&self.doc, &new.member)
            .ok_or_else(|| WriteError::Other("the member's record has no devices".into()))?;
        self.write(me, now, |tx| {
            use automerge::transaction::Transactable;
            let mut rec = Rec::new()
                .bytes("cert", &new.cert.0)
                .timestamp("added_at", now.millis())
                .str("label", label.clone())
                .str("kind", new.kind.as_str());
            if let Some((by, vouch)) = &new.vouch {
                rec = rec.str("vouched_by", by.to_string()).bytes("vouch", &vouch.0);
            }
            rec.create(tx, &devices, &new.device.to_string())?;
            if let (Some(seals), Some((_, sealed))) = (&seals, &seal) {
                tx.put(seals, new.device.to_string(), ScalarValue::Bytes(sealed.clone()))?;
            }
            Ok(())
        })
    }

    /// Revokes a member's device: a new data key is sealed to every other current device (as
    /// removing a member does), and `upto` (per document name, the device's last change number
    /// this device holds) cuts its history: what it wrote up to there stays, on every peer; what
    /// it writes after is refused.
    pub fn revoke_device(
        &mut self,
        me: &Identity,
        member: MemberId,
        device: DeviceId,
        new_key: &DataKey,
        upto: &BTreeMap<String, u64>,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        if device == me.device() {
            return Err(ValidationError::RevokeThisDevice.into());
        }
        let view = PeopleView::read(&self.doc);
        if !view.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let record = view.members.get(&member).and_then(|m| m.device_records.get(&device));
        match record {
            None => return Err(ValidationError::UnknownDevice { device: device.short() }.into()),
            Some(r) if r.revoked.is_some() => {
                return Err(ValidationError::DeviceRevoked { device: device.short() }.into());
            }
            Some(_) => {}
        }
        let remaining: Vec<DeviceId> = current_devices(&view).into_iter().filter(|d| *d != device).collect();
        let n = Membership::read(&self.doc).current().map_or(0, |e| e.n + 1);
        let seals = seal_all(new_key, &remaining)?;
        let record = super::people::device_record(&self.doc, &member, &device)
            .ok_or_else(|| ValidationError::UnknownDevice { device: device.short() })?;
        let epochs = root_container(&self.doc, "epochs")?;
        self.write(me, now, |tx| {
            Rec::new()
                .str("by", me.member().to_string())
                .timestamp("at", now.millis())
                .str("upto", crate::model::Revocation::upto_text(upto))
                .create(tx, &record, "revoked")?;
            epoch_record(new_key, n, me, now, seals).create(tx, &epochs, &new_key.id_hex()).map(|_| ())
        })
    }

    /// Names one of the member's own devices.
    pub fn label_device(
        &mut self,
        me: &Identity,
        device: DeviceId,
        label: &str,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let label = crate::validate::text(crate::validate::Field::DeviceLabel, label, crate::validate::NAME_MAX)?;
        let record = super::people::device_record(&self.doc, &me.member(), &device)
            .ok_or_else(|| ValidationError::UnknownDevice { device: device.short() })?;
        self.write(me, now, |tx| {
            use automerge::transaction::Transactable;
            tx.put(&record, "label", label.as_str())
        })
    }
}

pub(super) fn seal_all(key: &DataKey, devices: &[DeviceId]) -> Result<Vec<(DeviceId, Vec<u8>)>, WriteError> {
    devices.iter().map(|d| key.seal_to(d).map(|s| (*d, s)).map_err(|e| WriteError::Other(e.to_string()))).collect()
}

pub(super) fn epoch_record(
    key: &DataKey,
    n: u64,
    me: &Identity,
    now: Timestamp,
    seals: Vec<(DeviceId, Vec<u8>)>,
) -> Rec {
    let _ = key;
    let mut sealed = Rec::new();
    for (device, bytes) in &seals {
        sealed = sealed.bytes(&device.to_string(), bytes);
    }
    Rec::new().uint("n", n).str("by", me.member().to_string()).timestamp("at", now.millis()).map("seals", sealed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::people::found;
    use crate::doc::{DocId, DocName};
    use crate::verify::{Verifier, VerifyError, parse_change};

    /// Verifies a change as a peer would, against a copy of the document before it.
    fn verified(before: &Document, change: &SignedChange) -> Result<(), VerifyError> {
        let people = PeopleView::read(before.automerge());
        let parsed = parse_change(&change.bytes)?;
        Verifier::new(before.id()).verify(before, &people, &parsed, change.signature.as_ref()).map(|_| ())
    }

    #[test]
    fn invitations_admit_epochs_seal_and_removal_shuts_out() {
        let (_, ana) = Identity::generate();
        let (bob_key, bob) = Identity::generate();
        let t = |s: i64| Timestamp(1_800_000_000_000 + s * 1000);
        let (community, mut doc, _) = found(&ana, "Riverside", "Ana", t(0)).unwrap();
        assert_eq!(doc.id(), DocId { community, name: DocName::People });

        let key0 = DataKey::generate();
        let before = doc.clone();
        let c = doc.start_epoch(&ana, &key0, t(1)).unwrap();
        verified(&before, &c).unwrap();
        let m = Membership::read(doc.automerge());
        assert_eq!(m.current_key(ana.device_key()), Some(key0.clone()));

        let invite = InviteId::random();
        let secret = [7u8; 16];
        let before = doc.clone();
        let c = doc.create_invite(&ana, invite, &secret, t(100), 1, t(2)).unwrap();
        verified(&before, &c).unwrap();

        let m = Membership::read(doc.automerge());
        assert_eq!(m.check_invite(&invite, &[8; 16], &bob.member(), t(3)), Err(ValidationError::InviteMismatch));
        assert_eq!(m.check_invite(&invite, &secret, &bob.member(), t(100)), Err(ValidationError::InviteExpired));
        let before = doc.clone();
        let c =
            doc.admit_with_invite(&ana, invite, &secret, bob.member(), "Bob", bob.device(), bob.cert(), t(3)).unwrap();
        verified(&before, &c).unwrap();
        let m = Membership::read(doc.automerge());
        assert_eq!(m.current_key(bob.device_key()), Some(key0.clone()), "the newcomer can read gossip");
        let (_, carol) = Identity::generate();
        assert_eq!(m.check_invite(&invite, &secret, &carol.member(), t(4)), Err(ValidationError::InviteUsedUp));
        assert!(
            doc.admit_with_invite(&ana, invite, &secret, carol.member(), "Carol", carol.device(), carol.cert(), t(4))
                .is_err()
        );

        // Bob removes nobody; Ana removes Bob: a new key Bob cannot open.
        let key1 = DataKey::generate();
        let before = doc.clone();
        let c = doc.remove_member(&ana, bob.member(), &key1, t(5)).unwrap();
        verified(&before, &c).unwrap();
        let m = Membership::read(doc.automerge());
        assert_eq!(m.current().map(|e| e.n), Some(1));
        assert_eq!(m.current_key(ana.device_key()), Some(key1));
        assert_eq!(m.current_key(bob.device_key()), None);
        // Bob's next change is refused everywhere.
        let mut bobs = doc.clone();
        let before = doc.clone();
        let attempt = bobs.update_profile(
            &Identity::certify(&bob_key, bob.device_key().clone()),
            &crate::model::ProfileUpdate { name: Some("Robert".into()), ..Default::default() },
            t(6),
        );
        match attempt {
            Ok(change) => assert_eq!(verified(&before, &change), Err(VerifyError::RemovedMember(bob.member()))),
            Err(e) => assert!(e.to_string().contains("not a member"), "{e}"),
        }
    }

    fn computer(member_key: &SecretKey, label: &str, vouch: Option<(DeviceId, Vouch)>) -> (Identity, NewDevice) {
        let device = Identity::certify(member_key, SecretKey::generate());
        let new = NewDevice {
            member: device.member(),
            device: device.device(),
            cert: device.cert(),
            label: label.into(),
            kind: DeviceKind::Computer,
            vouch,
        };
        (device, new)
    }

    #[test]
    fn a_member_links_a_second_computer_and_revokes_a_lost_one() {
        let t = |s: i64| Timestamp(1_800_000_000_000 + s * 1000);
        let (ana_key, ana) = Identity::generate();
        let (_, mut doc, _) = found(&ana, "Riverside", "Ana", t(0)).unwrap();
        let key0 = DataKey::generate();
        doc.start_epoch(&ana, &key0, t(1)).unwrap();

        // The first computer adds the second: a peer verifies it, and the second holds the key.
        let (laptop, new) = computer(&ana_key, "Kitchen laptop", None);
        let before = doc.clone();
        let c = doc.add_device(&ana, &new, t(2)).unwrap();
        verified(&before, &c).unwrap();
        let view = PeopleView::read(doc.automerge());
        let me = &view.members[&ana.member()];
        assert_eq!(me.devices.len(), 2);
        assert_eq!(me.device_records[&laptop.device()].label, "Kitchen laptop");
        assert_eq!(Membership::read(doc.automerge()).current_key(laptop.device_key()), Some(key0.clone()));
        // Both write as Ana.
        let before = doc.clone();
        let c = doc
            .update_profile(
                &laptop,
                &crate::model::ProfileUpdate { hours_per_week: Some(crate::Minutes(120)), ..Default::default() },
                t(3),
            )
            .unwrap();
        verified(&before, &c).unwrap();
        assert_eq!(doc.add_device(&ana, &new, t(3)).unwrap_err().to_string(), {
            ValidationError::DeviceKnown { device: laptop.device().short() }.to_string()
        });

        // A certificate of another member's key is refused.
        let (stranger_key, _) = Identity::generate();
        let (_, mut forged) = computer(&stranger_key, "x", None);
        forged.member = ana.member();
        assert!(doc.add_device(&ana, &forged, t(4)).is_err());

        // The laptop is lost: revoked from the first computer, with a key it cannot open.
        let key1 = DataKey::generate();
        assert_eq!(
            doc.revoke_device(&ana, ana.member(), ana.device(), &key1, &BTreeMap::new(), t(5)).unwrap_err().to_string(),
            ValidationError::RevokeThisDevice.to_string()
        );
        let mut lost = doc.clone();
        let before = doc.clone();
        let c = doc.revoke_device(&ana, ana.member(), laptop.device(), &key1, &BTreeMap::new(), t(5)).unwrap();
        verified(&before, &c).unwrap();
        let m = Membership::read(doc.automerge());
        assert_eq!(m.current_key(ana.device_key()), Some(key1));
        assert_eq!(m.current_key(laptop.device_key()), None);
        let view = PeopleView::read(doc.automerge());
        assert!(view.member_of_device(&laptop.device()).is_none());
        assert!(view.members[&ana.member()].device_records[&laptop.device()].revoked.is_some());
        // What the lost laptop writes next is refused.
        let before = doc.clone();
        let c = lost.update_profile(&laptop, &crate::model::ProfileUpdate::default(), t(6));
        if let Ok(c) = c {
            assert_eq!(verified(&before, &c), Err(VerifyError::RevokedDevice(laptop.device(), ana.member())));
        }
        assert!(
            doc.revoke_device(&ana, ana.member(), laptop.device(), &DataKey::generate(), &BTreeMap::new(), t(7))
                .is_err()
        );
    }

    #[test]
    fn a_restored_computer_is_added_by_a_peer_with_the_backups_vouch() {
        let t = |s: i64| Timestamp(1_800_000_000_000 + s * 1000);
        let (ana_key, ana) = Identity::generate();
        let (_, bob) = Identity::generate();
        let (_, mut doc, _) = found(&ana, "Riverside", "Ana", t(0)).unwrap();
        doc.start_epoch(&ana, &DataKey::generate(), t(1)).unwrap();
        doc.admit_member(&ana, bob.member(), "Bob", bob.device(), bob.cert(), t(1)).unwrap();
        doc.start_epoch(&ana, &DataKey::generate(), t(1)).unwrap();
        // Ana makes a backup: its key is a device of hers that no computer holds.
        let backup_key = SecretKey::generate();
        let backup = Identity::certify(&ana_key, backup_key.clone());
        let registered = NewDevice {
            member: ana.member(),
            device: backup.device(),
            cert: backup.cert(),
            label: "Backup".into(),
            kind: DeviceKind::Backup,
            vouch: None,
        };
        let before = doc.clone();
        let c = doc.add_device(&ana, &registered, t(2)).unwrap();
        verified(&before, &c).unwrap();

        // Ana's laptop is gone; on a new one the backup vouches, and Bob's peer writes it.
        let placeholder = Identity::certify(&ana_key, SecretKey::generate());
        let vouch = Vouch::sign(&backup_key, &ana.member(), &placeholder.device());
        let (restored, mut new) = computer(&ana_key, "New laptop", None);
        new.vouch = Some((backup.device(), Vouch::sign(&backup_key, &ana.member(), &restored.device())));
        // A vouch for another device does not do.
        let mut wrong = new.clone();
        wrong.vouch = Some((backup.device(), vouch));
        assert!(doc.add_device(&bob, &wrong, t(3)).is_err());
        let mut bare = new.clone();
        bare.vouch = None;
        assert!(doc.add_device(&bob, &bare, t(3)).is_err());
        let before = doc.clone();
        let c = doc.add_device(&bob, &new, t(3)).unwrap();
        verified(&before, &c).unwrap();
        let m = Membership::read(doc.automerge());
        assert!(m.current_key(restored.device_key()).is_some(), "the restored computer reads gossip");
        assert_eq!(PeopleView::read(doc.automerge()).member_of_device(&restored.device()).map(|m| m.id), {
            Some(ana.member())
        });

        // A forged change that adds a device for Ana without a vouch is refused by peers.
        let mut forged = before.clone();
        let (_, sneaky) = computer(&ana_key, "Thief", None);
        let devices = root_map(forged.automerge(), "members")
            .and_then(|all| child_map(forged.automerge(), &all, &ana.member().to_string()))
            .and_then(|m| child_map(forged.automerge(), &m, "devices"))
            .unwrap();
        let c = forged
            .write(&bob, t(4), |tx| {
                Rec::new()
                    .bytes("cert", &sneaky.cert.0)
                    .timestamp("added_at", t(4).millis())
                    .create(tx, &devices, &sneaky.device.to_string())
                    .map(|_| ())
            })
            .unwrap();
        assert!(matches!(verified(&before, &c), Err(VerifyError::NotAllowed { .. })));

        // Once the backup is revoked, its vouch adds nothing.
        doc.revoke_device(&ana, ana.member(), backup.device(), &DataKey::generate(), &BTreeMap::new(), t(5)).unwrap();
        let (later, mut again) = computer(&ana_key, "Another", None);
        again.vouch = Some((backup.device(), Vouch::sign(&backup_key, &ana.member(), &later.device())));
        assert!(doc.add_device(&bob, &again, t(6)).is_err());
    }
}
