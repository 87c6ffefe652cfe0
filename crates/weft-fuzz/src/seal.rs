//! Sealing a backup's plaintext the way `weft_core::backup` does, with the least Argon2
//! parameters and a fixed salt and nonce, so the backup target reaches the plaintext decoder
//! behind the passphrase. `tests/corpus.rs` checks that a file sealed here opens, so this
//! stays in step with the real format (see `weft_core::backup`'s module docs).

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use weft_core::backup::{HEADER_LEN, Kdf, MAGIC, MAX_LEN, VERSION};

const SALT: [u8; 16] = [0x11; 16];
const NONCE: [u8; 24] = [0x22; 24];
const TAG_LEN: usize = 16;

/// A backup file holding `plaintext`, sealed with `passphrase` (already in its normal form:
/// words one space apart) and [`Kdf::TEST`]; `None` if it would be over the size limit.
pub fn seal_plaintext(plaintext: &[u8], passphrase: &str) -> Option<Vec<u8>> {
    let total = HEADER_LEN + plaintext.len() + TAG_LEN;
    if total > MAX_LEN {
        return None;
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    let kdf = Kdf::TEST;
    for n in [u32::try_from(total).ok()?, kdf.m_kib, kdf.t, kdf.p] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&SALT);
    out.extend_from_slice(&NONCE);
    let key = key(passphrase, &SALT)?;
    let sealed = XChaCha20Poly1305::new(&key.into())
        .encrypt(&XNonce::from(NONCE), Payload { msg: plaintext, aad: &out })
        .ok()?;
    out.extend_from_slice(&sealed);
    Some(out)
}

/// The plaintext of a backup file sealed with [`Kdf::TEST`] (for the corpus generator, which
/// turns real backups into seeds of the plaintext decoder).
pub fn open_plaintext(file: &[u8], passphrase: &str) -> Option<Vec<u8>> {
    let (aad, sealed) = file.split_at_checked(HEADER_LEN)?;
    let salt: [u8; 16] = aad.get(24..40)?.try_into().ok()?;
    let nonce: [u8; 24] = aad.get(40..64)?.try_into().ok()?;
    let key = key(passphrase, &salt)?;
    XChaCha20Poly1305::new(&key.into()).decrypt(&XNonce::from(nonce), Payload { msg: sealed, aad }).ok()
}

fn key(passphrase: &str, salt: &[u8; 16]) -> Option<[u8; 32]> {
    let kdf = Kdf::TEST;
    let params = Params::new(kdf.m_kib, kdf.t, kdf.p, Some(32)).ok()?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .ok()?;
    Some(key)
}
