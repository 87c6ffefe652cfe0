//! Member and device keys, device certificates, and signed changes.
//!
//! A member has an Ed25519 identity key; each of their devices has its own Ed25519 key,
//! certified by the member key. The device key is the Automerge actor id of everything the
//! device writes, and every change it makes is signed: the signature covers the change hash,
//! bound to the document it belongs to, and travels and is stored beside the change.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::doc::DocId;
use crate::id::{DeviceId, MemberId};

const CERT_CONTEXT: &[u8] = b"weft/device-cert/v1";
const CHANGE_CONTEXT: &[u8] = b"weft/change/v1";
const VOUCH_CONTEXT: &[u8] = b"weft/device-vouch/v1";

/// A member's certificate that a device key acts for them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceCert(pub [u8; 64]);

impl fmt::Debug for DeviceCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceCert({})", &crate::id::encode(&self.0)[..8])
    }
}

impl Serialize for DeviceCert {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::id::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for DeviceCert {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        crate::id::decode::<64>(&s).map(Self).ok_or_else(|| serde::de::Error::custom("not a device certificate"))
    }
}

fn cert_message(member: &MemberId, device: &DeviceId) -> Vec<u8> {
    let mut m = Vec::with_capacity(CERT_CONTEXT.len() + 64);
    m.extend_from_slice(CERT_CONTEXT);
    m.extend_from_slice(member.as_bytes());
    m.extend_from_slice(device.as_bytes());
    m
}

impl DeviceCert {
    /// Checks that `member`'s key certified `device`.
    pub fn verify(&self, member: &MemberId, device: &DeviceId) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(member.as_bytes()) else { return false };
        key.verify_strict(&cert_message(member, device), &Signature::from_bytes(&self.0)).is_ok()
    }
}

fn vouch_message(member: &MemberId, device: &DeviceId) -> Vec<u8> {
    let mut m = Vec::with_capacity(VOUCH_CONTEXT.len() + 64);
    m.extend_from_slice(VOUCH_CONTEXT);
    m.extend_from_slice(member.as_bytes());
    m.extend_from_slice(device.as_bytes());
    m
}

/// A device's word that another device is its member's: what lets a restored laptop be added
/// by a peer. The vouching device is a backup's key, which no laptop holds, so a stolen
/// laptop (which holds the member key) cannot add devices once it is revoked.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vouch(pub [u8; 64]);

impl fmt::Debug for Vouch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vouch({})", &crate::id::encode(&self.0)[..8])
    }
}

impl Vouch {
    /// `by` vouches that `device` is a device of `member`.
    pub fn sign(by: &SecretKey, member: &MemberId, device: &DeviceId) -> Self {
        Self(by.sign(&vouch_message(member, device)))
    }
    /// Checks that `by` vouched for `device` as a device of `member`.
    pub fn verify(&self, by: &DeviceId, member: &MemberId, device: &DeviceId) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(by.as_bytes()) else { return false };
        key.verify_strict(&vouch_message(member, device), &Signature::from_bytes(&self.0)).is_ok()
    }
}

/// The secret half of an Ed25519 key.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    pub fn generate() -> Self {
        Self(SigningKey::from_bytes(&crate::id::random_bytes()))
    }
    /// A key from 32 secret bytes (read from a key file, or derived by a seeded generator).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&bytes))
    }
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
    /// The X25519 secret scalar of this key (for opening keys sealed to the device).
    pub fn scalar_bytes(&self) -> [u8; 32] {
        self.0.to_scalar_bytes()
    }
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }
    fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }
}

/// Who is acting: a member's device, with its certificate. Everything it writes is signed with
/// the device key; the member key is only needed to certify another device.
#[derive(Clone, Debug)]
pub struct Identity {
    member: MemberId,
    device_key: SecretKey,
    device: DeviceId,
    cert: DeviceCert,
}

impl Identity {
    /// A new member with a first device.
    pub fn generate() -> (SecretKey, Self) {
        let member_key = SecretKey::generate();
        let identity = Self::certify(&member_key, SecretKey::generate());
        (member_key, identity)
    }

    /// Certifies `device_key` as a device of the member holding `member_key`.
    pub fn certify(member_key: &SecretKey, device_key: SecretKey) -> Self {
        let member = MemberId::from_bytes(member_key.public());
        let device = DeviceId::from_bytes(device_key.public());
        let cert = DeviceCert(member_key.sign(&cert_message(&member, &device)));
        Self { member, device_key, device, cert }
    }

    /// This device's certificate, made again with the member key (Ed25519 signatures are
    /// deterministic, so it is the same certificate).
    pub fn device_cert(member_key: &SecretKey, device: &DeviceId) -> DeviceCert {
        let member = MemberId::from_bytes(member_key.public());
        DeviceCert(member_key.sign(&cert_message(&member, device)))
    }

    /// An identity from stored parts; fails if the certificate does not match.
    pub fn from_parts(member: MemberId, device_key: SecretKey, cert: DeviceCert) -> Option<Self> {
        let device = DeviceId::from_bytes(device_key.public());
        cert.verify(&member, &device).then_some(Self { member, device_key, device, cert })
    }

    pub fn member(&self) -> MemberId {
        self.member
    }
    pub fn device(&self) -> DeviceId {
        self.device
    }
    pub fn cert(&self) -> DeviceCert {
        self.cert
    }
    pub fn device_key(&self) -> &SecretKey {
        &self.device_key
    }
    /// The Automerge actor id this device writes with.
    pub fn actor(&self) -> automerge::ActorId {
        automerge::ActorId::from(self.device.as_bytes().as_slice())
    }

    /// Signs a change of `doc` that this device made.
    pub fn sign_change(&self, doc: &DocId, hash: &automerge::ChangeHash) -> ChangeSignature {
        ChangeSignature(self.device_key.sign(&change_message(doc, hash)))
    }
}

fn change_message(doc: &DocId, hash: &automerge::ChangeHash) -> Vec<u8> {
    let name = doc.name.to_string();
    let mut m = Vec::with_capacity(CHANGE_CONTEXT.len() + 16 + 1 + name.len() + 32);
    m.extend_from_slice(CHANGE_CONTEXT);
    m.extend_from_slice(doc.community.as_bytes());
    m.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
    m.extend_from_slice(name.as_bytes());
    m.extend_from_slice(&hash.0);
    m
}

/// A device's Ed25519 signature of one change, bound to the document it belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChangeSignature(pub [u8; 64]);

impl fmt::Debug for ChangeSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChangeSignature({})", &crate::id::encode(&self.0)[..8])
    }
}

impl ChangeSignature {
    /// Checks that `device` signed the change with `hash` for `doc`.
    pub fn verify(&self, device: &DeviceId, doc: &DocId, hash: &automerge::ChangeHash) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(device.as_bytes()) else { return false };
        key.verify_strict(&change_message(doc, hash), &Signature::from_bytes(&self.0)).is_ok()
    }
}

/// Checks many change signatures of one document at once: each device's key is decoded once,
/// and the checks are spread over the machine's cores (a peer catching up checks thousands).
/// Returns, for each `(device, hash, signature)`, whether it verifies — the same answer as
/// [`ChangeSignature::verify`] one by one.
pub fn verify_signatures(doc: &DocId, items: &[(DeviceId, automerge::ChangeHash, ChangeSignature)]) -> Vec<bool> {
    let mut keys: std::collections::BTreeMap<DeviceId, Option<VerifyingKey>> = std::collections::BTreeMap::new();
    for (device, _, _) in items {
        keys.entry(*device).or_insert_with(|| VerifyingKey::from_bytes(device.as_bytes()).ok());
    }
    let check = |(device, hash, sig): &(DeviceId, automerge::ChangeHash, ChangeSignature)| {
        keys.get(device)
            .and_then(Option::as_ref)
            .is_some_and(|key| key.verify_strict(&change_message(doc, hash), &Signature::from_bytes(&sig.0)).is_ok())
    };
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(8);
    // Below a few hundred, threads cost more than they save.
    if threads < 2 || items.len() < 256 {
        return items.iter().map(check).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut out = Vec::with_capacity(items.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(check).collect::<Vec<bool>>()))
            .collect();
        for h in handles {
            // A panicking check thread counts as "does not verify" for its part.
            match h.join() {
                Ok(part) => out.extend(part),
                Err(_) => out.extend(std::iter::repeat_n(false, chunk)),
            }
        }
    });
    out.truncate(items.len());
    out
}

/// A change as it is stored and sent: the Automerge change bytes, its hash, and the signature
/// of its author's device. Deterministic genesis changes carry no signature (anyone can
/// recompute them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedChange {
    pub hash: automerge::ChangeHash,
    pub bytes: Vec<u8>,
    pub signature: Option<ChangeSignature>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CommunityId, DocName};

    #[test]
    fn certificates_bind_a_device_to_its_member() {
        let (member_key, id) = Identity::generate();
        assert!(id.cert().verify(&id.member(), &id.device()));
        let (_, other) = Identity::generate();
        assert!(!id.cert().verify(&other.member(), &id.device()));
        assert!(!id.cert().verify(&id.member(), &other.device()));
        let again = Identity::certify(&member_key, SecretKey::generate());
        assert_eq!(again.member(), id.member());
        assert!(Identity::from_parts(id.member(), id.device_key().clone(), id.cert()).is_some());
        assert!(Identity::from_parts(other.member(), id.device_key().clone(), id.cert()).is_none());
    }

    #[test]
    fn change_signatures_are_bound_to_their_document() {
        let (_, id) = Identity::generate();
        let community = CommunityId::from_bytes([1; 16]);
        let board = DocId { community, name: DocName::Board };
        let ledger = DocId { community, name: DocName::Ledger(2026) };
        let hash = automerge::ChangeHash([9; 32]);
        let sig = id.sign_change(&board, &hash);
        assert!(sig.verify(&id.device(), &board, &hash));
        assert!(!sig.verify(&id.device(), &ledger, &hash));
        assert!(!sig.verify(&id.device(), &board, &automerge::ChangeHash([8; 32])));
        let (_, other) = Identity::generate();
        assert!(!sig.verify(&other.device(), &board, &hash));
    }

    #[test]
    fn bulk_signature_checks_agree_with_one_by_one() {
        let ids: Vec<Identity> = (0..3).map(|_| Identity::generate().1).collect();
        let community = CommunityId::from_bytes([2; 16]);
        let board = DocId { community, name: DocName::Board };
        let ledger = DocId { community, name: DocName::Ledger(2026) };
        // Enough to be spread over threads; every seventh is signed for the wrong document,
        // every eleventh claims the wrong device, one device key is not a valid point.
        let mut items = Vec::new();
        for i in 0..700u32 {
            let id = &ids[(i % 3) as usize];
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_le_bytes());
            let hash = automerge::ChangeHash(h);
            let sig = id.sign_change(if i % 7 == 0 { &ledger } else { &board }, &hash);
            let device = if i % 11 == 0 { ids[((i + 1) % 3) as usize].device() } else { id.device() };
            items.push((device, hash, sig));
        }
        items.push((DeviceId::from_bytes([0xff; 32]), automerge::ChangeHash([1; 32]), ChangeSignature([0; 64])));
        let bulk = verify_signatures(&board, &items);
        let one_by_one: Vec<bool> = items.iter().map(|(d, h, s)| s.verify(d, &board, h)).collect();
        assert_eq!(bulk, one_by_one);
        assert!(bulk.iter().filter(|ok| **ok).count() > 500);
        assert!(bulk.iter().any(|ok| !*ok));
    }
}
