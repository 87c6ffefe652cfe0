//! Confidentiality: the community's data key, and sealing it to each member's device.
//!
//! Gossip payloads are encrypted with the community's current data key (XChaCha20-Poly1305,
//! a random 24-byte nonce per message, the key's id as associated data). The key lives in the
//! people document, sealed to each current device: an ephemeral X25519 key agreement with
//! the device's key (its Ed25519 key in Montgomery form), SHA-256 of the shared secret and
//! both public keys as the wrapping key, XChaCha20-Poly1305 around the data key. Removing a
//! member starts a new epoch: a fresh key sealed only to the remaining devices, so what is
//! gossiped afterwards is unreadable to the removed member.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use curve25519_dalek::MontgomeryPoint;
use curve25519_dalek::edwards::CompressedEdwardsY;
use sha2::{Digest, Sha256};

use crate::id::{DeviceId, random_bytes};
use crate::identity::SecretKey;

/// Bytes of a data key sealed to one device: ephemeral public key, nonce, ciphertext + tag.
pub const SEALED_LEN: usize = 32 + 24 + 32 + 16;
/// Bytes sealing adds to a gossip payload (the tag; the nonce travels beside it).
pub const SEAL_OVERHEAD: usize = 16;

/// A community data key (one per epoch).
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey([u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey({})", self.id_hex())
    }
}

/// Why a sealed message could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the message was not sealed with this key, or it was changed on the way")]
    Open,
    #[error("the sealed key is damaged")]
    Damaged,
    #[error("the device key cannot receive sealed keys")]
    BadDevice,
}

impl DataKey {
    pub fn generate() -> Self {
        Self(random_bytes())
    }

    /// A key from its 32 secret bytes, as [`DataKey::to_bytes`] gave them (a member's backup
    /// carries the keys of their communities: `backup.rs`).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key's 32 secret bytes. Only for encrypting them again (a member's backup): the key
    /// otherwise travels sealed to a device, never in the clear.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The key's public id: the first 8 bytes of its hash (no secret leaks from it).
    pub fn id(&self) -> [u8; 8] {
        let mut h = Sha256::new();
        h.update(b"weft/key-id/v1");
        h.update(self.0);
        let d = h.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(&d[..8]);
        out
    }

    /// The id as 16 lowercase hex characters (its key in the people document).
    pub fn id_hex(&self) -> String {
        hex(&self.id())
    }

    /// Encrypts a gossip payload; returns the nonce and the ciphertext.
    pub fn seal(&self, plaintext: &[u8]) -> Result<([u8; 24], Vec<u8>), SealError> {
        let nonce: [u8; 24] = random_bytes();
        let cipher = XChaCha20Poly1305::new(&self.0.into());
        let id = self.id();
        let sealed =
            cipher.encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: &id }).map_err(|_| SealError::Open)?;
        Ok((nonce, sealed))
    }

    pub fn open(&self, nonce: &[u8; 24], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let cipher = XChaCha20Poly1305::new(&self.0.into());
        let id = self.id();
        cipher.decrypt(&XNonce::from(*nonce), Payload { msg: sealed, aad: &id }).map_err(|_| SealError::Open)
    }

    /// Seals this key to a device, so only that device's secret key opens it.
    pub fn seal_to(&self, device: &DeviceId) -> Result<Vec<u8>, SealError> {
        let their = montgomery(device).ok_or(SealError::BadDevice)?;
        let eph: [u8; 32] = random_bytes();
        let eph_pub = MontgomeryPoint::mul_base_clamped(eph);
        let shared = their.mul_clamped(eph);
        let wrap = wrapping_key(&shared, &eph_pub, &their);
        let nonce: [u8; 24] = random_bytes();
        let ct = XChaCha20Poly1305::new(&wrap.into())
            .encrypt(&XNonce::from(nonce), Payload { msg: &self.0, aad: device.as_bytes() })
            .map_err(|_| SealError::Damaged)?;
        let mut out = Vec::with_capacity(SEALED_LEN);
        out.extend_from_slice(eph_pub.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens a key sealed to this device.
    pub fn unseal(device_key: &SecretKey, sealed: &[u8]) -> Result<Self, SealError> {
        if sealed.len() != SEALED_LEN {
            return Err(SealError::Damaged);
        }
        let device = DeviceId::from_bytes(device_key.public());
        let mine = montgomery(&device).ok_or(SealError::BadDevice)?;
        let mut eph = [0u8; 32];
        eph.copy_from_slice(&sealed[..32]);
        let eph_pub = MontgomeryPoint(eph);
        let mut nonce = [0u8; 24];
        nonce.copy_from_slice(&sealed[32..56]);
        let shared = eph_pub.mul_clamped(device_key.scalar_bytes());
        let wrap = wrapping_key(&shared, &eph_pub, &mine);
        let key = XChaCha20Poly1305::new(&wrap.into())
            .decrypt(&XNonce::from(nonce), Payload { msg: &sealed[56..], aad: device.as_bytes() })
            .map_err(|_| SealError::Open)?;
        let key: [u8; 32] = key.try_into().map_err(|_| SealError::Damaged)?;
        Ok(Self(key))
    }
}

fn montgomery(device: &DeviceId) -> Option<MontgomeryPoint> {
    CompressedEdwardsY(*device.as_bytes()).decompress().map(|p| p.to_montgomery())
}

fn wrapping_key(shared: &MontgomeryPoint, eph: &MontgomeryPoint, recipient: &MontgomeryPoint) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"weft/seal/v1");
    h.update(shared.as_bytes());
    h.update(eph.as_bytes());
    h.update(recipient.as_bytes());
    h.finalize().into()
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Parses lowercase hex of exactly `N` bytes.
pub fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != N * 2 || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sealed_to_device_opens_the_key() {
        let key = DataKey::generate();
        let alice = SecretKey::generate();
        let bob = SecretKey::generate();
        let sealed = key.seal_to(&DeviceId::from_bytes(alice.public())).unwrap();
        assert_eq!(sealed.len(), SEALED_LEN);
        assert_eq!(DataKey::unseal(&alice, &sealed).unwrap(), key);
        assert_eq!(DataKey::unseal(&bob, &sealed), Err(SealError::Open));
        let mut tampered = sealed.clone();
        tampered[70] ^= 1;
        assert_eq!(DataKey::unseal(&alice, &tampered), Err(SealError::Open));
        assert_eq!(DataKey::unseal(&alice, &sealed[1..]), Err(SealError::Damaged));
    }

    #[test]
    fn payloads_open_only_with_their_key() {
        let key = DataKey::generate();
        let (nonce, sealed) = key.seal(b"changes").unwrap();
        assert_eq!(sealed.len(), 7 + SEAL_OVERHEAD);
        assert_eq!(key.open(&nonce, &sealed).unwrap(), b"changes");
        assert_eq!(DataKey::generate().open(&nonce, &sealed), Err(SealError::Open));
        let mut bad = sealed.clone();
        bad[0] ^= 1;
        assert_eq!(key.open(&nonce, &bad), Err(SealError::Open));
        assert_eq!(unhex::<8>(&key.id_hex()), Some(key.id()));
        assert_eq!(unhex::<8>("ABCDEF0123456789"), None);
    }
}
