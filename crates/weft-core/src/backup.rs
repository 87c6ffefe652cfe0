//! A member's encrypted backup: their identity, their devices and the keys of their
//! communities, locked with a passphrase, so that a lost laptop does not lose the member.
//!
//! The same bytes are a file and a printable recovery sheet (lines of base32 letters, each
//! with two check letters, and a QR code of the whole backup).
//!
//! # The file
//!
//! ```text
//! offset  bytes  field
//!      0      7  magic "WEFTBAK"
//!      7      1  format version (1)
//!      8      4  length of the whole file in bytes, u32 little-endian
//!     12      4  Argon2id memory in KiB, u32 LE
//!     16      4  Argon2id passes, u32 LE
//!     20      4  Argon2id lanes, u32 LE
//!     24     16  salt (random)
//!     40     24  nonce (random)
//!     64      …  XChaCha20-Poly1305 of the plaintext (its 16-byte tag last); the 64 header
//!                bytes are its associated data, so none of them can be changed unnoticed
//! ```
//!
//! The key is Argon2id (version 0x13) of the passphrase and the salt, 32 bytes. Everything
//! a hostile file controls is checked before Argon2 runs: the magic, the version, the length
//! (at most [`MAX_LEN`], and equal to the file's), and the Argon2 parameters (within
//! [`Kdf::check`]'s bounds), so a file can make us spend at most 1 GiB for at most 20 passes.
//!
//! The plaintext (format 1; integers little-endian; text is a u16 byte length then UTF-8):
//!
//! ```text
//! u8 plaintext version (1) · member id [32] · member secret key [32] · name (text)
//! · recovery secret key [32] · u16 device count, each: device id [32], label (text)
//! · u16 community count, each: community id [16], name (text), u16 address count, each
//!   address (text), u16 key count, each data key [32]
//! · made_at, i64 milliseconds since 1970
//! ```
//!
//! Decoding is strict: an unknown version is refused, every count and length is bounded,
//! nothing may follow the end, and the result must hold together ([`Backup`]'s invariants),
//! the same checks [`seal`] makes before it writes anything, so a backup that seals opens.
//!
//! The passphrase is taken word by word: spaces at either end and between words do not
//! matter ("red  fox tea " opens what "red fox tea" sealed). Capitals and accents do.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use qrcode::{Color, EcLevel, QrCode};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::crypto::DataKey;
use crate::id::{CommunityId, DeviceId, MemberId, random_bytes};
use crate::identity::SecretKey;
use crate::time::Timestamp;
use crate::validate::NAME_MAX;

/// The first bytes of every backup file.
pub const MAGIC: &[u8; 7] = b"WEFTBAK";
/// The format this module writes, and the only one it reads.
pub const VERSION: u8 = 1;
/// Bytes before the ciphertext: magic, version, length, Argon2 parameters, salt, nonce.
pub const HEADER_LEN: usize = 7 + 1 + 4 + 12 + SALT_LEN + NONCE_LEN;
/// The largest backup file: 1 MiB.
pub const MAX_LEN: usize = 1 << 20;
/// The most devices a backup lists.
pub const DEVICES_MAX: usize = 100;
/// The most communities a backup holds.
pub const COMMUNITIES_MAX: usize = 100;
/// The most addresses a backup keeps for one community.
pub const ADDRESSES_MAX: usize = 16;
/// Bytes in one address (a multiaddress, printable ASCII).
pub const ADDRESS_MAX: usize = 512;
/// The most data keys (epochs) a backup keeps for one community.
pub const KEYS_MAX: usize = 1000;

const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const PLAINTEXT_VERSION: u8 = 1;

/// Everything a member needs to become themselves again on a new computer.
///
/// Invariants (checked by [`seal`] and [`open`]): `member_key` is `member`'s key; the name is
/// not blank; names and labels are at most [`NAME_MAX`] characters; device ids are Ed25519
/// keys, listed once each, and the recovery key is one of them and is not the member key;
/// communities are listed once each, with their keys once each; addresses are printable
/// ASCII without spaces; counts are within the `*_MAX` bounds; `made_at` is not before 1970.
///
/// `Debug` shows no secret: keys print as `SecretKey(..)` and data keys by their public id.
#[derive(Debug, Clone)]
pub struct Backup {
    pub member: MemberId,
    pub member_key: SecretKey,
    /// The member's name.
    pub name: String,
    /// The backup's own device key: registered as a device of the member, held only here.
    pub recovery_key: SecretKey,
    /// The member's devices when the backup was made, with their labels.
    pub devices: Vec<(DeviceId, String)>,
    pub communities: Vec<BackupCommunity>,
    pub made_at: Timestamp,
}

/// A community in a backup: where to find it again and the keys to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCommunity {
    pub id: CommunityId,
    pub name: String,
    /// Addresses of its peers (multiaddresses), to reconnect from a new computer.
    pub addresses: Vec<String>,
    /// Its data keys, one per epoch.
    pub keys: Vec<DataKey>,
}

/// How hard the passphrase is stretched: Argon2id's memory (KiB), passes and lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kdf {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl Kdf {
    /// What the app uses: 64 MiB, 3 passes, 1 lane.
    pub const RECOMMENDED: Self = Self { m_kib: 64 * 1024, t: 3, p: 1 };
    /// The least Argon2 allows, for tests only: 8 KiB, 1 pass, 1 lane. It protects nothing.
    pub const TEST: Self = Self { m_kib: 8, t: 1, p: 1 };
    /// The most memory a backup may ask for: 1 GiB.
    pub const M_KIB_MAX: u32 = 1 << 20;
    /// The most passes a backup may ask for.
    pub const T_MAX: u32 = 20;
    /// The most lanes a backup may ask for.
    pub const P_MAX: u32 = 8;

    /// Refuses parameters outside what Argon2 allows (at least 8 KiB per lane, a pass and a
    /// lane) or above the bounds, so a hostile file cannot make us spend unbounded memory or time.
    pub fn check(self) -> Result<(), BackupError> {
        let Self { m_kib, t, p } = self;
        let ok = (1..=Self::P_MAX).contains(&p)
            && (1..=Self::T_MAX).contains(&t)
            && m_kib >= 8 * p
            && m_kib <= Self::M_KIB_MAX;
        if ok { Ok(()) } else { Err(BackupError::BadParams { m_kib, t, p }) }
    }
}

/// Why a backup could not be made or opened, in words for the member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackupError {
    #[error(
        "this is not a Weft backup, or only part of one: check that you chose the right file and \
         that it was copied in full"
    )]
    NotABackup,
    #[error(
        "this backup is in a format this version of Weft does not know (format {0}): if it was made \
         by a newer Weft, update Weft and open it again"
    )]
    UnsupportedVersion(u8),
    #[error(
        "the passphrase is wrong, or the backup was changed (Weft cannot tell which): check the \
         passphrase, its capitals and accents, and try again; if it still fails, try another copy \
         of the backup"
    )]
    WrongPassphrase,
    #[error(
        "the backup opened, but what it holds does not fit together ({0}): it was not made by \
         Weft, or by a faulty version; try another copy of the backup"
    )]
    Damaged(String),
    #[error(
        "this passphrase is too easy to guess: use at least 10 characters (spaces not counted), \
         or at least three words of three letters or more"
    )]
    WeakPassphrase,
    #[error(
        "the backup asks for key stretching outside what Weft accepts ({m_kib} KiB of memory, {t} \
         passes, {p} lanes; Weft accepts 8 KiB per lane up to 1 GiB, 1 to 20 passes, 1 to 8 lanes): \
         it was not made by Weft, or it was changed"
    )]
    BadParams { m_kib: u32, t: u32, p: u32 },
    #[error(
        "this computer does not have the {mib} MiB of free memory the backup needs to open: close \
         other programs and try again"
    )]
    NoMemory { mib: u32 },
    #[error("the backup cannot be made: {0}")]
    CannotSeal(String),
}

/// Encrypts a backup with a passphrase. The passphrase must have at least 10 characters
/// (spaces not counted), or at least three words of three letters or more.
pub fn seal(backup: &Backup, passphrase: &str, kdf: Kdf) -> Result<Vec<u8>, BackupError> {
    kdf.check()?;
    let passphrase = normalize(passphrase);
    if !strong_enough(&passphrase) {
        return Err(BackupError::WeakPassphrase);
    }
    check(backup).map_err(BackupError::CannotSeal)?;
    seal_plaintext(&encode(backup)?, &passphrase, kdf)
}

/// Decrypts and reads a backup. Everything that can be checked without the passphrase is
/// checked before the key is derived.
pub fn open(bytes: &[u8], passphrase: &str) -> Result<Backup, BackupError> {
    let header = read_header(bytes)?;
    let key = derive_key(&normalize(passphrase), &header.salt, header.kdf)?;
    let (aad, sealed) = bytes.split_at_checked(HEADER_LEN).ok_or(BackupError::NotABackup)?;
    let plaintext = XChaCha20Poly1305::new(&(*key).into())
        .decrypt(&XNonce::from(header.nonce), Payload { msg: sealed, aad })
        .map(Zeroizing::new)
        .map_err(|_| BackupError::WrongPassphrase)?;
    let backup = decode(&plaintext)?;
    check(&backup).map_err(BackupError::Damaged)?;
    Ok(backup)
}

/// The passphrase word by word, one space between words.
fn normalize(passphrase: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(passphrase.len()));
    for word in passphrase.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Whether a passphrase is strong enough to seal a backup with (what [`seal`] requires):
/// at least 10 characters (spaces not counted), or at least three words of three letters or more.
pub fn check_passphrase(passphrase: &str) -> Result<(), BackupError> {
    if strong_enough(&normalize(passphrase)) { Ok(()) } else { Err(BackupError::WeakPassphrase) }
}

fn strong_enough(passphrase: &str) -> bool {
    let chars = passphrase.chars().filter(|c| !c.is_whitespace()).count();
    let words = passphrase.split_whitespace().filter(|w| w.chars().count() >= 3).count();
    chars >= 10 || words >= 3
}

fn seal_plaintext(plaintext: &[u8], passphrase: &str, kdf: Kdf) -> Result<Vec<u8>, BackupError> {
    let total = HEADER_LEN + plaintext.len() + TAG_LEN;
    if total > MAX_LEN {
        return Err(BackupError::CannotSeal(format!(
            "it would take {total} bytes, more than the {MAX_LEN} a backup may hold"
        )));
    }
    let length = u32::try_from(total).map_err(|_| BackupError::CannotSeal("it is too large".into()))?;
    let salt: [u8; SALT_LEN] = random_bytes();
    let nonce: [u8; NONCE_LEN] = random_bytes();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    for n in [length, kdf.m_kib, kdf.t, kdf.p] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    let key = derive_key(passphrase, &salt, kdf)?;
    let sealed = XChaCha20Poly1305::new(&(*key).into())
        .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: &out })
        .map_err(|_| BackupError::CannotSeal("encryption failed".into()))?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

struct Header {
    kdf: Kdf,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
}

/// Reads and checks the header: nothing here costs more than reading 64 bytes.
fn read_header(bytes: &[u8]) -> Result<Header, BackupError> {
    if bytes.get(..MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(BackupError::NotABackup);
    }
    let mut r = Reader::new(bytes.get(MAGIC.len()..).unwrap_or_default());
    let not_a_backup = |_| BackupError::NotABackup;
    let version = r.u8().map_err(not_a_backup)?;
    if version != VERSION {
        return Err(BackupError::UnsupportedVersion(version));
    }
    let length = r.u32().map_err(not_a_backup)?;
    if usize::try_from(length).ok() != Some(bytes.len()) || bytes.len() > MAX_LEN || bytes.len() < HEADER_LEN + TAG_LEN
    {
        return Err(BackupError::NotABackup);
    }
    let kdf = Kdf {
        m_kib: r.u32().map_err(not_a_backup)?,
        t: r.u32().map_err(not_a_backup)?,
        p: r.u32().map_err(not_a_backup)?,
    };
    kdf.check()?;
    let salt = r.array().map_err(not_a_backup)?;
    let nonce = r.array().map_err(not_a_backup)?;
    Ok(Header { kdf, salt, nonce })
}

#[cfg(test)]
thread_local! {
    /// How many times this thread ran Argon2 (tests check that hostile headers never reach it).
    static KDF_RUNS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn derive_key(passphrase: &str, salt: &[u8; SALT_LEN], kdf: Kdf) -> Result<Zeroizing<[u8; 32]>, BackupError> {
    kdf.check()?;
    #[cfg(test)]
    KDF_RUNS.with(|n| n.set(n.get() + 1));
    let bad = BackupError::BadParams { m_kib: kdf.m_kib, t: kdf.t, p: kdf.p };
    let params = Params::new(kdf.m_kib, kdf.t, kdf.p, Some(32)).map_err(|_| bad.clone())?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut *key)
        .map_err(|e| match e {
            argon2::Error::OutOfMemory => BackupError::NoMemory { mib: kdf.m_kib.div_ceil(1024) },
            _ => bad,
        })?;
    Ok(key)
}

// The plaintext.

/// Checks a backup's invariants; the problem in words.
fn check(b: &Backup) -> Result<(), String> {
    if MemberId::from_bytes(b.member_key.public()) != b.member {
        return Err(format!("the member key is not the key of member {}", b.member.short()));
    }
    name(&b.name, "the member's name")?;
    if b.recovery_key.public() == b.member_key.public() {
        return Err("the recovery key is the member key".into());
    }
    if b.devices.len() > DEVICES_MAX {
        return Err(format!("it lists {} devices, more than {DEVICES_MAX}", b.devices.len()));
    }
    let mut devices = BTreeSet::new();
    for (device, label) in &b.devices {
        if ed25519_dalek::VerifyingKey::from_bytes(device.as_bytes()).is_err() {
            return Err(format!("device {} is not a valid key", device.short()));
        }
        if !devices.insert(*device) {
            return Err(format!("device {} is listed twice", device.short()));
        }
        if label.chars().count() > NAME_MAX {
            return Err(format!("the label of device {} is longer than {NAME_MAX} characters", device.short()));
        }
    }
    if !devices.contains(&DeviceId::from_bytes(b.recovery_key.public())) {
        return Err("the recovery key is not one of the member's devices".into());
    }
    if b.communities.len() > COMMUNITIES_MAX {
        return Err(format!("it holds {} communities, more than {COMMUNITIES_MAX}", b.communities.len()));
    }
    let mut communities = BTreeSet::new();
    for c in &b.communities {
        let short = c.id.short();
        if !communities.insert(c.id) {
            return Err(format!("community {short} is listed twice"));
        }
        name(&c.name, &format!("the name of community {short}"))?;
        if c.addresses.len() > ADDRESSES_MAX {
            return Err(format!("community {short} has {} addresses, more than {ADDRESSES_MAX}", c.addresses.len()));
        }
        for address in &c.addresses {
            if address.is_empty() || address.len() > ADDRESS_MAX || !address.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!(
                    "an address of community {short} is empty, longer than {ADDRESS_MAX} characters, or not \
                     printable ASCII without spaces"
                ));
            }
        }
        if c.keys.len() > KEYS_MAX {
            return Err(format!("community {short} has {} keys, more than {KEYS_MAX}", c.keys.len()));
        }
        let mut keys = BTreeSet::new();
        if !c.keys.iter().all(|k| keys.insert(k.id())) {
            return Err(format!("a key of community {short} is listed twice"));
        }
    }
    if b.made_at.millis() < 0 {
        return Err("it was made before 1970".into());
    }
    Ok(())
}

fn name(value: &str, what: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{what} is empty"));
    }
    if value.chars().count() > NAME_MAX {
        return Err(format!("{what} is longer than {NAME_MAX} characters"));
    }
    Ok(())
}

fn encoded_len(b: &Backup) -> usize {
    let text = |s: &str| 2 + s.len();
    let devices: usize = b.devices.iter().map(|(_, label)| 32 + text(label)).sum();
    let communities: usize = b
        .communities
        .iter()
        .map(|c| 16 + text(&c.name) + 2 + c.addresses.iter().map(|a| text(a)).sum::<usize>() + 2 + 32 * c.keys.len())
        .sum();
    1 + 32 + 32 + text(&b.name) + 32 + 2 + devices + 2 + communities + 8
}

/// Writes a checked backup (see [`check`]) as plaintext, in a buffer wiped when dropped.
fn encode(b: &Backup) -> Result<Zeroizing<Vec<u8>>, BackupError> {
    let mut out = Zeroizing::new(Vec::with_capacity(encoded_len(b)));
    out.push(PLAINTEXT_VERSION);
    out.extend_from_slice(b.member.as_bytes());
    out.extend_from_slice(&*Zeroizing::new(b.member_key.to_bytes()));
    put_text(&mut out, &b.name)?;
    out.extend_from_slice(&*Zeroizing::new(b.recovery_key.to_bytes()));
    put_count(&mut out, b.devices.len())?;
    for (device, label) in &b.devices {
        out.extend_from_slice(device.as_bytes());
        put_text(&mut out, label)?;
    }
    put_count(&mut out, b.communities.len())?;
    for c in &b.communities {
        out.extend_from_slice(c.id.as_bytes());
        put_text(&mut out, &c.name)?;
        put_count(&mut out, c.addresses.len())?;
        for address in &c.addresses {
            put_text(&mut out, address)?;
        }
        put_count(&mut out, c.keys.len())?;
        for key in &c.keys {
            out.extend_from_slice(&*Zeroizing::new(key.to_bytes()));
        }
    }
    out.extend_from_slice(&b.made_at.millis().to_le_bytes());
    Ok(out)
}

fn put_count(out: &mut Vec<u8>, n: usize) -> Result<(), BackupError> {
    let n = u16::try_from(n).map_err(|_| BackupError::CannotSeal(format!("a list of {n} is too long")))?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

fn put_text(out: &mut Vec<u8>, s: &str) -> Result<(), BackupError> {
    put_count(out, s.len())?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

/// Reads plaintext strictly. Bounds are checked as counts are read, so a hostile count costs
/// nothing before the bytes run out; [`check`] then checks the whole.
fn decode(bytes: &[u8]) -> Result<Backup, BackupError> {
    let mut r = Reader::new(bytes);
    let version = r.u8().map_err(BackupError::Damaged)?;
    if version != PLAINTEXT_VERSION {
        return Err(BackupError::UnsupportedVersion(version));
    }
    decode_v1(&mut r).map_err(BackupError::Damaged)
}

fn decode_v1(r: &mut Reader<'_>) -> Result<Backup, String> {
    let member = MemberId::from_bytes(r.array()?);
    let member_key = SecretKey::from_bytes(*Zeroizing::new(r.array()?));
    let name = r.text("the member's name", NAME_MAX)?;
    let recovery_key = SecretKey::from_bytes(*Zeroizing::new(r.array()?));
    let mut devices = Vec::new();
    for _ in 0..r.count("devices", DEVICES_MAX)? {
        let device = DeviceId::from_bytes(r.array()?);
        devices.push((device, r.text("a device's label", NAME_MAX)?));
    }
    let mut communities = Vec::new();
    for _ in 0..r.count("communities", COMMUNITIES_MAX)? {
        let id = CommunityId::from_bytes(r.array()?);
        let name = r.text("a community's name", NAME_MAX)?;
        let mut addresses = Vec::new();
        for _ in 0..r.count("addresses", ADDRESSES_MAX)? {
            addresses.push(r.text("an address", ADDRESS_MAX)?);
        }
        let mut keys = Vec::new();
        for _ in 0..r.count("keys", KEYS_MAX)? {
            keys.push(DataKey::from_bytes(*Zeroizing::new(r.array()?)));
        }
        communities.push(BackupCommunity { id, name, addresses, keys });
    }
    let made_at = Timestamp(r.i64()?);
    r.end()?;
    Ok(Backup { member, member_key, name, recovery_key, devices, communities, made_at })
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or("it ends too early")?;
        self.rest = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(u8::from_le_bytes(self.array()?))
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    fn count(&mut self, what: &str, max: usize) -> Result<usize, String> {
        let n = usize::from(self.u16()?);
        if n > max {
            return Err(format!("it lists {n} {what}, more than {max}"));
        }
        Ok(n)
    }
    /// Text of at most `max` characters (so at most 4 × `max` bytes of UTF-8).
    fn text(&mut self, what: &str, max: usize) -> Result<String, String> {
        let len = usize::from(self.u16()?);
        if len > 4 * max {
            return Err(format!("{what} is longer than {max} characters"));
        }
        let s = std::str::from_utf8(self.take(len)?).map_err(|_| format!("{what} is not valid text"))?;
        Ok(s.to_owned())
    }
    fn end(&self) -> Result<(), String> {
        if self.rest.is_empty() { Ok(()) } else { Err(format!("{} bytes follow its end", self.rest.len())) }
    }
}

// The recovery sheet.

/// Letters of a full sheet line: 8 groups of 4, which is 20 bytes of the backup.
const LINE_LETTERS: usize = 32;
const GROUP_LETTERS: usize = 4;
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// Base32 letters of the largest backup.
const SHEET_LETTERS_MAX: usize = (MAX_LEN * 8).div_ceil(5);
/// Starts a backup's QR code: what follows is the backup in base32.
pub const QR_PREFIX: &str = "weft-backup:";

/// Why typed-in recovery sheet lines (or a scanned code) are not a backup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("nothing was typed in: type the lines of the recovery sheet, in order")]
    Empty,
    #[error(
        "line {line} does not match its two check letters: compare it with the sheet letter by \
         letter, the check letters at its end included"
    )]
    Line { line: usize },
    #[error(
        "line {line} is missing: after line {before} comes line {found}; type line {line} in its place",
        before = .line.saturating_sub(1)
    )]
    Missing { line: usize, found: usize },
    #[error("the text stops after line {lines}, before the sheet's last line: type the lines that follow")]
    Incomplete { lines: usize },
    #[error("something follows line {last}, the sheet's last line: remove it")]
    Extra { last: usize },
    #[error("this is far longer than any recovery sheet: check that you typed or pasted the right text")]
    TooLong,
    #[error("this code is not a Weft backup: scan the code printed on the recovery sheet")]
    NotACode,
}

/// The backup as printable lines: `07  abcd efgh ijkl mnop qrst uvwx yzab cdef  xy` — the
/// line's number, 32 letters of lowercase base32 in groups of 4 (the last line may be
/// shorter), and two check letters that bind the letters to the line's number and say
/// whether it is the last line, so a typo, a missing line or a missing end is found by line.
pub fn sheet_lines(bytes: &[u8]) -> Vec<String> {
    let text = crate::id::encode(bytes);
    let chunks: Vec<&[u8]> = text.as_bytes().chunks(LINE_LETTERS).collect();
    let width = chunks.len().to_string().len().max(2);
    let mut lines = Vec::with_capacity(chunks.len());
    for (i, chunk) in chunks.iter().enumerate() {
        let n = i + 1;
        let mut line = format!("{n:0width$} ");
        for group in chunk.chunks(GROUP_LETTERS) {
            line.push(' ');
            line.extend(group.iter().map(|&b| char::from(b)));
        }
        line.push_str("  ");
        line.extend(check_letters(n, n == chunks.len(), chunk).map(char::from));
        lines.push(line);
    }
    lines
}

/// The two check letters of line `n`: 10 bits of a hash of its number, whether it is the
/// last line, and its letters.
fn check_letters(n: usize, last: bool, letters: &[u8]) -> [u8; 2] {
    let mut h = Sha256::new();
    h.update(b"weft/sheet/v1");
    h.update(u64::try_from(n).unwrap_or(u64::MAX).to_le_bytes());
    h.update([u8::from(last)]);
    h.update(letters);
    let d = h.finalize();
    let bits = (usize::from(d[0]) << 2) | (usize::from(d[1]) >> 6);
    [ALPHABET[bits >> 5], ALPHABET[bits & 31]]
}

/// Reads recovery sheet lines as a person types them back: any case, spaces or dashes between
/// groups (or none), line numbers or not, blank lines, `0` for `o` and `1` for `l`. Lines
/// must come in order; the first line that does not check is named.
pub fn parse_sheet(text: &str) -> Result<Vec<u8>, SheetError> {
    let mut letters = String::new();
    let mut lines = 0;
    let mut finished = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if finished {
            return Err(SheetError::Extra { last: lines });
        }
        let n = lines + 1;
        let (data, last) = read_line(line, n)?;
        letters.push_str(&data);
        lines = n;
        finished = last;
        if letters.len() > SHEET_LETTERS_MAX {
            return Err(SheetError::TooLong);
        }
    }
    if lines == 0 {
        return Err(SheetError::Empty);
    }
    if !finished {
        return Err(SheetError::Incomplete { lines });
    }
    // The check letters held, so only a sheet Weft did not print decodes badly.
    crate::id::decode_bytes(&letters).ok_or(SheetError::Line { line: lines })
}

/// One typed line that should be line `n`: its letters and whether it is the last line.
fn read_line(line: &str, n: usize) -> Result<(String, bool), SheetError> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let mut missing = None;
    // A line number, then the letters; the letters may start with digits too, so try each split.
    for split in 1..=digits.min(7) {
        let (number, rest) = line.split_at(split);
        let (Ok(number), Some(letters)) = (number.parse::<usize>(), symbols(rest)) else { continue };
        if number == n {
            if let Some(found) = verify(n, &letters) {
                return Ok(found);
            }
        } else if number > n && verify(number, &letters).is_some() {
            missing = Some(number);
        }
    }
    if let Some(found) = symbols(line).and_then(|letters| verify(n, &letters)) {
        return Ok(found);
    }
    Err(match missing {
        Some(found) => SheetError::Missing { line: n, found },
        None => SheetError::Line { line: n },
    })
}

/// The base32 letters of typed text, lowercase; `None` if it holds anything else than letters,
/// digits and separators.
fn symbols(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c.to_ascii_lowercase() {
            'a'..='z' | '2'..='7' => out.push(c.to_ascii_lowercase()),
            '0' => out.push('o'),
            '1' => out.push('l'),
            c if c.is_whitespace() || matches!(c, '-' | '–' | '—' | '.' | ':' | ')') => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Checks a line's letters (its check letters last) as line `n`: a line other than the last
/// is always full.
fn verify(n: usize, letters: &str) -> Option<(String, bool)> {
    let (data, check) = letters.split_at_checked(letters.len().checked_sub(2)?)?;
    if data.is_empty() || data.len() > LINE_LETTERS {
        return None;
    }
    let check = check.as_bytes();
    if data.len() == LINE_LETTERS && check == check_letters(n, false, data.as_bytes()) {
        return Some((data.to_owned(), false));
    }
    (check == check_letters(n, true, data.as_bytes())).then(|| (data.to_owned(), true))
}

/// What a backup's QR code holds: [`QR_PREFIX`] and the backup in base32, in capitals (QR
/// codes store capitals and digits in 5.5 bits a character, lowercase letters in 8).
pub fn qr_payload(bytes: &[u8]) -> String {
    let mut payload = String::from(QR_PREFIX);
    payload.push_str(&crate::id::encode(bytes).to_ascii_uppercase());
    payload
}

/// Reads a scanned code back into the backup's bytes (either case).
pub fn parse_qr_payload(text: &str) -> Result<Vec<u8>, SheetError> {
    let text = text.trim();
    let rest = match text.split_at_checked(QR_PREFIX.len()) {
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case(QR_PREFIX) => rest,
        _ => return Err(SheetError::NotACode),
    };
    if rest.len() > SHEET_LETTERS_MAX {
        return Err(SheetError::TooLong);
    }
    crate::id::decode_bytes(rest).ok_or(SheetError::NotACode)
}

/// The backup's QR code as inline SVG (4 modules of quiet zone): error correction M, or L
/// when M does not fit; `None` when the backup is too large for any QR code.
fn qr_svg(bytes: &[u8]) -> Option<String> {
    let payload = qr_payload(bytes);
    let code = QrCode::with_error_correction_level(&payload, EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(&payload, EcLevel::L))
        .ok()?;
    let width = code.width();
    let quiet = 4;
    let size = width + 2 * quiet;
    let mut path = String::new();
    for (y, row) in code.to_colors().chunks(width).enumerate() {
        let mut x = 0;
        while x < row.len() {
            let run = row[x..].iter().take_while(|c| **c == Color::Dark).count();
            if run > 0 {
                let _ = write!(path, "M{} {}h{run}v1h-{run}z", x + quiet, y + quiet);
            }
            x += run.max(1);
        }
    }
    Some(format!(
        "<svg viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\" role=\"img\" \
         aria-label=\"QR code of the backup\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The recovery sheet as a self-contained printable HTML page (no external resources): a
/// title, what the sheet is and how to keep it, a QR code of the whole backup (left out, with
/// a word, if the backup is too large for one) and the lines of [`sheet_lines`].
pub fn sheet_html(bytes: &[u8], member_name: &str, made_at: Timestamp) -> String {
    let name = escape_html(member_name);
    let date = made_at.date();
    let lines = sheet_lines(bytes);
    let (code, how) = match qr_svg(bytes) {
        Some(svg) => (format!("<div class=\"code\">{svg}</div>"), "scan the code below or type the lines in"),
        None => ("<p class=\"code\">This backup is too large for a code.</p>".to_owned(), "type the lines below in"),
    };
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Weft recovery sheet for {name}</title>\n<style>\n\
         body {{ font-family: sans-serif; color: #000; background: #fff; max-width: 46em; \
         margin: 2em auto; padding: 0 1em; }}\n\
         h1 {{ font-size: 1.6em; margin-bottom: 0.2em; }}\n\
         .made {{ margin-top: 0; }}\n\
         li {{ margin-bottom: 0.4em; }}\n\
         .code {{ break-inside: avoid; page-break-inside: avoid; margin: 1.5em 0; }}\n\
         .code svg {{ width: 9cm; height: 9cm; display: block; }}\n\
         .lines {{ font-family: \"DejaVu Sans Mono\", Menlo, Consolas, monospace; font-size: 11pt; \
         line-height: 1.6; }}\n\
         @page {{ margin: 1.5cm; }}\n\
         </style>\n</head>\n<body>\n\
         <h1>Weft recovery sheet</h1>\n\
         <p class=\"made\">For <strong>{name}</strong>, made on {date}.</p>\n\
         <ul>\n\
         <li>This sheet is a copy of your Weft identity and of the keys to your communities. If \
         you lose your computer, it lets you be yourself again in Weft on a new one.</li>\n\
         <li>Keep it somewhere safe, with your important papers. Do not keep a photo of it on a \
         phone or online.</li>\n\
         <li>You will need the passphrase you chose when you made this backup. It is not written \
         here: without it, nobody can open this sheet, not even you.</li>\n\
         <li>The letters below are not your passphrase. Do not type them where Weft asks for your \
         passphrase.</li>\n\
         <li>To restore: in Weft on the new computer, {how}. Each line ends with two check \
         letters, so Weft can tell you which line has a mistake.</li>\n\
         </ul>\n\
         {code}\n\
         <pre class=\"lines\">{lines}</pre>\n\
         </body>\n</html>\n",
        lines = lines.join("\n"),
    );
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASS: &str = "correct horse battery staple";

    fn sample() -> Backup {
        let member_key = SecretKey::generate();
        let recovery_key = SecretKey::generate();
        let laptop = SecretKey::generate();
        let phone = SecretKey::generate();
        let community = |n: u8, name: &str| BackupCommunity {
            id: CommunityId::from_bytes([n; 16]),
            name: name.to_owned(),
            addresses: vec![
                format!("/ip4/192.168.1.{n}/udp/4001/quic-v1/p2p/12D3KooWGzBFMrMcVFbC5ZBuUq9Qe4SrMjeoDz3Xzer7Ptk9Hf3Z"),
                format!("/dns4/relay{n}.example.org/tcp/4001/p2p/12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq"),
            ],
            keys: vec![DataKey::generate(), DataKey::generate()],
        };
        Backup {
            member: MemberId::from_bytes(member_key.public()),
            member_key,
            name: "Ana Lima".to_owned(),
            devices: vec![
                (DeviceId::from_bytes(laptop.public()), "Ana's laptop".to_owned()),
                (DeviceId::from_bytes(phone.public()), "kitchen computer".to_owned()),
                (DeviceId::from_bytes(recovery_key.public()), "recovery sheet".to_owned()),
            ],
            recovery_key,
            communities: vec![community(1, "Riverside commons"), community(2, "Hill street gardens")],
            made_at: Timestamp(1_773_489_600_000),
        }
    }

    fn assert_same(a: &Backup, b: &Backup) {
        assert_eq!(a.member, b.member);
        assert_eq!(a.member_key.to_bytes(), b.member_key.to_bytes());
        assert_eq!(a.name, b.name);
        assert_eq!(a.recovery_key.to_bytes(), b.recovery_key.to_bytes());
        assert_eq!(a.devices, b.devices);
        assert_eq!(a.communities, b.communities);
        assert_eq!(a.made_at, b.made_at);
    }

    fn kdf_runs() -> u32 {
        KDF_RUNS.with(std::cell::Cell::get)
    }

    #[test]
    fn a_sealed_backup_opens_with_its_passphrase() {
        let backup = sample();
        let runs = kdf_runs();
        let bytes = seal(&backup, PASS, Kdf::TEST).unwrap();
        assert_eq!(kdf_runs(), runs + 1);
        assert_eq!(&bytes[..7], MAGIC);
        assert_eq!(bytes.len(), HEADER_LEN + encoded_len(&backup) + TAG_LEN);
        assert_eq!(encode(&backup).unwrap().len(), encoded_len(&backup));
        assert_same(&open(&bytes, PASS).unwrap(), &backup);
        // The words matter, not the spaces around and between them.
        assert_same(&open(&bytes, "  correct horse\tbattery  staple\n").unwrap(), &backup);
        // Two seals of the same backup share nothing: fresh salt and nonce.
        let again = seal(&backup, PASS, Kdf::TEST).unwrap();
        assert_ne!(bytes[24..64], again[24..64]);
        assert_ne!(bytes[HEADER_LEN..], again[HEADER_LEN..]);
    }

    #[test]
    fn a_wrong_passphrase_is_refused() {
        let bytes = seal(&sample(), PASS, Kdf::TEST).unwrap();
        assert_eq!(open(&bytes, "correct horse battery stapler").unwrap_err(), BackupError::WrongPassphrase);
        assert_eq!(open(&bytes, "Correct horse battery staple").unwrap_err(), BackupError::WrongPassphrase);
        assert_eq!(open(&bytes, "").unwrap_err(), BackupError::WrongPassphrase);
        assert!(BackupError::WrongPassphrase.to_string().contains("cannot tell which"));
    }

    #[test]
    fn a_changed_byte_anywhere_is_refused() {
        let bytes = seal(&sample(), PASS, Kdf::TEST).unwrap();
        for i in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[i] ^= 0x01;
            let err = open(&changed, PASS).unwrap_err();
            match i {
                0..7 => assert_eq!(err, BackupError::NotABackup, "byte {i}"),
                7 => assert_eq!(err, BackupError::UnsupportedVersion(VERSION ^ 1)),
                8..12 => assert_eq!(err, BackupError::NotABackup, "byte {i}"),
                12..24 => assert!(
                    matches!(err, BackupError::BadParams { .. } | BackupError::WrongPassphrase),
                    "byte {i}: {err:?}"
                ),
                _ => assert_eq!(err, BackupError::WrongPassphrase, "byte {i}"),
            }
        }
    }

    #[test]
    fn a_cut_or_lengthened_backup_is_refused_before_the_key_is_derived() {
        let bytes = seal(&sample(), PASS, Kdf::TEST).unwrap();
        let before = kdf_runs();
        for len in 0..bytes.len() {
            assert_eq!(open(&bytes[..len], PASS).unwrap_err(), BackupError::NotABackup, "{len} bytes");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(open(&longer, PASS).unwrap_err(), BackupError::NotABackup);
        assert_eq!(kdf_runs(), before);
    }

    #[test]
    fn absurd_key_stretching_is_refused_without_running_argon2() {
        let bytes = seal(&sample(), PASS, Kdf::TEST).unwrap();
        let with = |m_kib: u32, t: u32, p: u32| {
            let mut b = bytes.clone();
            b[12..16].copy_from_slice(&m_kib.to_le_bytes());
            b[16..20].copy_from_slice(&t.to_le_bytes());
            b[20..24].copy_from_slice(&p.to_le_bytes());
            b
        };
        let before = kdf_runs();
        for (m, t, p) in [
            (u32::MAX, 1, 1),
            (Kdf::M_KIB_MAX + 1, 1, 1),
            (8, 0, 1),
            (8, 21, 1),
            (8, u32::MAX, 1),
            (64, 1, 0),
            (1024, 1, 9),
            (63, 1, 8),
            (7, 1, 1),
            (0, 0, 0),
        ] {
            assert_eq!(open(&with(m, t, p), PASS).unwrap_err(), BackupError::BadParams { m_kib: m, t, p });
            assert_eq!(
                seal(&sample(), PASS, Kdf { m_kib: m, t, p }).unwrap_err(),
                BackupError::BadParams { m_kib: m, t, p }
            );
        }
        assert_eq!(kdf_runs(), before);
        // The bounds themselves are allowed.
        assert!(Kdf { m_kib: Kdf::M_KIB_MAX, t: Kdf::T_MAX, p: Kdf::P_MAX }.check().is_ok());
        assert!(Kdf { m_kib: 64, t: 1, p: 8 }.check().is_ok());
        assert!(Kdf::RECOMMENDED.check().is_ok() && Kdf::TEST.check().is_ok());
    }

    #[test]
    fn other_files_and_versions_are_told_apart() {
        let bytes = seal(&sample(), PASS, Kdf::TEST).unwrap();
        assert_eq!(open(b"", PASS).unwrap_err(), BackupError::NotABackup);
        assert_eq!(
            open(b"%PDF-1.7 not a backup at all, but long enough to have a header", PASS).unwrap_err(),
            BackupError::NotABackup
        );
        let mut newer = bytes.clone();
        newer[7] = 2;
        assert_eq!(open(&newer, PASS).unwrap_err(), BackupError::UnsupportedVersion(2));
        assert!(BackupError::UnsupportedVersion(2).to_string().contains("update Weft"));
    }

    #[test]
    fn contents_that_do_not_hold_together_are_damaged() {
        // Sealed below `seal`'s checks, as a faulty or hostile writer with the passphrase would.
        let damaged = |plaintext: &[u8]| open(&seal_plaintext(plaintext, PASS, Kdf::TEST).unwrap(), PASS).unwrap_err();
        let good = encode(&sample()).unwrap();

        let mut other_member = good.to_vec();
        other_member[1] ^= 1;
        assert!(matches!(damaged(&other_member), BackupError::Damaged(m) if m.contains("member key")));

        let mut longer = good.to_vec();
        longer.push(0);
        assert!(matches!(damaged(&longer), BackupError::Damaged(m) if m.contains("follow its end")));
        assert!(matches!(damaged(&good[..good.len() - 1]), BackupError::Damaged(m) if m.contains("ends too early")));

        let mut newer = good.to_vec();
        newer[0] = 9;
        assert_eq!(damaged(&newer), BackupError::UnsupportedVersion(9));

        let mut b = sample();
        b.name = "x".repeat(NAME_MAX + 1);
        assert!(matches!(damaged(&encode(&b).unwrap()), BackupError::Damaged(m) if m.contains("name")));
        assert!(matches!(seal(&b, PASS, Kdf::TEST), Err(BackupError::CannotSeal(_))));

        let mut b = sample();
        b.devices.pop();
        assert!(matches!(damaged(&encode(&b).unwrap()), BackupError::Damaged(m) if m.contains("recovery key")));

        let mut b = sample();
        b.devices.push(b.devices[0].clone());
        assert!(matches!(damaged(&encode(&b).unwrap()), BackupError::Damaged(m) if m.contains("twice")));

        let mut b = sample();
        let key = b.communities[0].keys[0].clone();
        b.communities[0].keys.push(key);
        assert!(matches!(seal(&b, PASS, Kdf::TEST), Err(BackupError::CannotSeal(m)) if m.contains("twice")));

        let mut b = sample();
        b.communities[1].addresses[0] = "has a space".to_owned();
        assert!(matches!(seal(&b, PASS, Kdf::TEST), Err(BackupError::CannotSeal(_))));

        // A count far above its bound is refused as soon as it is read.
        let mut many = good[..1 + 32 + 32 + 2 + "Ana Lima".len() + 32].to_vec();
        many.extend_from_slice(&u16::MAX.to_le_bytes());
        assert!(matches!(damaged(&many), BackupError::Damaged(m) if m.contains("devices")));
    }

    #[test]
    fn weak_passphrases_are_refused_with_what_is_needed() {
        let b = sample();
        for weak in ["", "hunter2", "short one", "ab cd ef gh", "   abc   "] {
            assert_eq!(seal(&b, weak, Kdf::TEST).unwrap_err(), BackupError::WeakPassphrase, "{weak:?}");
        }
        for fine in ["abcdefghij", "red fox tea", "Tr0ub4dor&3x"] {
            assert!(seal(&b, fine, Kdf::TEST).is_ok(), "{fine:?}");
        }
        assert!(BackupError::WeakPassphrase.to_string().contains("at least 10 characters"));
    }

    #[test]
    fn debug_shows_no_secret() {
        let b = sample();
        let shown = format!("{b:?}");
        for secret in [b.member_key.to_bytes(), b.recovery_key.to_bytes(), b.communities[0].keys[0].to_bytes()] {
            assert!(!shown.contains(&crate::id::encode(&secret)));
            assert!(!shown.contains(&crate::crypto::hex(&secret)));
            assert!(!shown.contains(&format!("{secret:?}")));
        }
        assert!(shown.contains("Ana Lima") && shown.contains("SecretKey(..)"));
    }

    #[test]
    fn the_sheet_reads_back_as_typed() {
        let bytes = seal(&sample(), PASS, Kdf::TEST).unwrap();
        let lines = sheet_lines(&bytes);
        assert_eq!(lines.len(), bytes.len().div_ceil(20));
        assert!(lines[0].starts_with("01  ") && lines[0].len() == 2 + 2 + 8 * 5 - 1 + 2 + 2, "{}", lines[0]);
        assert_eq!(parse_sheet(&lines.join("\n")).unwrap(), bytes);

        // A person: capitals, dashes or no spaces, numbers on some lines only, a dot after
        // a number, blank lines, Windows line ends, 0 for o, no trailing newline.
        let mut typed = String::from("\n\n");
        for (i, line) in lines.iter().enumerate() {
            let (number, rest) = line.split_once("  ").unwrap();
            let rest = match i % 4 {
                0 => rest.to_uppercase(),
                1 => rest.replace(' ', "-"),
                2 => rest.replace(' ', ""),
                _ => rest.replace('o', "0").replace(' ', "  "),
            };
            match i % 3 {
                0 => typed.push_str(&format!("{}. {rest}", number.trim_start_matches('0'))),
                1 => typed.push_str(&format!("   {rest}")),
                _ => typed.push_str(&format!("{number}{rest}")),
            }
            typed.push_str(if i % 5 == 0 { "\r\n\r\n" } else { "\n" });
        }
        assert_eq!(parse_sheet(typed.trim_end()).unwrap(), bytes);
        assert_eq!(open(&parse_sheet(&typed).unwrap(), PASS).unwrap().name, "Ana Lima");
    }

    #[test]
    fn a_mistake_is_found_by_its_line() {
        let bytes = seal(&sample(), PASS, Kdf::TEST).unwrap();
        let lines = sheet_lines(&bytes);
        let n = lines.len();

        // A typo on line 3: one letter changed.
        let mut typo = lines.clone();
        let pos = typo[2].len() - 10;
        let wrong = if typo[2].as_bytes()[pos] == b'a' { "b" } else { "a" };
        typo[2].replace_range(pos..=pos, wrong);
        assert_eq!(parse_sheet(&typo.join("\n")), Err(SheetError::Line { line: 3 }));
        // A typo in the check letters, and a letter left out.
        let mut check = lines.clone();
        let last = check[2].pop().unwrap();
        check[2].push(if last == 'a' { 'b' } else { 'a' });
        assert_eq!(parse_sheet(&check.join("\n")), Err(SheetError::Line { line: 3 }));
        let mut short = lines.clone();
        short[2].remove(6);
        assert_eq!(parse_sheet(&short.join("\n")), Err(SheetError::Line { line: 3 }));
        // A stray character.
        let mut stray = lines.clone();
        stray[2].push('!');
        assert_eq!(parse_sheet(&stray.join("\n")), Err(SheetError::Line { line: 3 }));

        // Line 3 skipped: with numbers it is named missing, without them line 3 is wrong.
        let mut skipped = lines.clone();
        skipped.remove(2);
        assert_eq!(parse_sheet(&skipped.join("\n")), Err(SheetError::Missing { line: 3, found: 4 }));
        let bare: Vec<&str> = skipped.iter().map(|l| l.split_once("  ").unwrap().1).collect();
        assert_eq!(parse_sheet(&bare.join("\n")), Err(SheetError::Line { line: 3 }));

        // The end missing, something after the end, nothing at all.
        assert_eq!(parse_sheet(&lines[..n - 1].join("\n")), Err(SheetError::Incomplete { lines: n - 1 }));
        let mut extra = lines.clone();
        extra.push(lines[n - 1].clone());
        assert_eq!(parse_sheet(&extra.join("\n")), Err(SheetError::Extra { last: n }));
        assert_eq!(parse_sheet(" \n\n"), Err(SheetError::Empty));
        assert!(SheetError::Line { line: 3 }.to_string().starts_with("line 3 "));
        assert!(SheetError::Missing { line: 3, found: 4 }.to_string().contains("after line 2 comes line 4"));
    }

    #[test]
    fn the_printed_page_is_self_contained_and_holds_a_code() {
        let b = sample();
        let bytes = seal(&b, PASS, Kdf::TEST).unwrap();
        let page = sheet_html(&bytes, "Ana <Lima> & co", b.made_at);
        assert!(page.contains("Ana &lt;Lima&gt; &amp; co") && !page.contains("<Lima>"));
        assert!(page.contains("2026-03-14"));
        assert!(page.contains("<svg ") && page.contains("passphrase"));
        for line in sheet_lines(&bytes) {
            assert!(page.contains(&line));
        }
        for external in ["http", "src=", "href=", "url(", "@import", "<script"] {
            assert!(!page.contains(external), "{external}");
        }
        assert_eq!(parse_qr_payload(&qr_payload(&bytes)).unwrap(), bytes);
        assert_eq!(parse_qr_payload(&qr_payload(&bytes).to_lowercase()).unwrap(), bytes);
        assert_eq!(parse_qr_payload("weft://join/abc"), Err(SheetError::NotACode));
    }

    #[test]
    fn a_typical_backup_fits_a_qr_code_at_level_m() {
        // Two communities with two addresses and two keys each, three devices.
        let bytes = seal(&sample(), PASS, Kdf::TEST).unwrap();
        let payload = qr_payload(&bytes);
        let m = QrCode::with_error_correction_level(&payload, EcLevel::M).unwrap();
        let l = QrCode::with_error_correction_level(&payload, EcLevel::L).unwrap();
        let lower =
            QrCode::with_error_correction_level(format!("{QR_PREFIX}{}", crate::id::encode(&bytes)), EcLevel::M);
        println!(
            "backup {} bytes, {} sheet lines; QR M {:?} ({} modules), L {:?}, M in lowercase {:?}",
            bytes.len(),
            sheet_lines(&bytes).len(),
            m.version(),
            m.width(),
            l.version(),
            lower.map(|c| c.version())
        );
        // Far too large for any code: the page says so instead of drawing one.
        let huge = vec![7u8; 4000];
        assert!(qr_svg(&huge).is_none());
        assert!(sheet_html(&huge, "Ana", Timestamp(0)).contains("too large for a code"));
    }

    mod hostile {
        use super::*;
        use proptest::prelude::*;

        fn valid() -> Vec<u8> {
            static VALID: std::sync::LazyLock<Vec<u8>> =
                std::sync::LazyLock::new(|| seal(&sample(), PASS, Kdf::TEST).unwrap());
            VALID.clone()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            #[test]
            fn open_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let _ = open(&bytes, PASS);
            }

            #[test]
            fn open_never_panics_behind_a_valid_header(tail in proptest::collection::vec(any::<u8>(), 0..1024)) {
                // The magic, version, the right length and cheap parameters: Argon2 runs, then
                // the AEAD refuses.
                let mut bytes = valid()[..24].to_vec();
                bytes.extend_from_slice(&tail);
                let len = u32::try_from(bytes.len()).unwrap();
                bytes[8..12].copy_from_slice(&len.to_le_bytes());
                prop_assert!(open(&bytes, PASS).is_err());
            }

            #[test]
            fn open_never_panics_on_a_changed_backup(
                changes in proptest::collection::vec((24usize..2048, any::<u8>()), 1..8),
                cut in 0usize..2048,
            ) {
                // The KDF parameters are left alone: changed, they could ask for up to 1 GiB.
                let mut bytes = valid();
                for (at, value) in changes {
                    let at = 24 + at % (bytes.len() - 24);
                    bytes[at] = value;
                }
                bytes.truncate(cut.max(24));
                let _ = open(&bytes, PASS);
            }

            #[test]
            fn plaintext_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let _ = decode(&bytes).map(|b| check(&b));
            }

            #[test]
            fn changed_plaintext_never_panics(
                changes in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
            ) {
                let mut bytes = encode(&sample()).unwrap().to_vec();
                for (at, value) in changes {
                    let at = at % bytes.len();
                    bytes[at] = value;
                }
                let _ = decode(&bytes).map(|b| check(&b));
            }

            #[test]
            fn sheet_parsing_never_panics(text in "[0-9a-zA-Z .:\\-\n\u{e9}\u{2013}]{0,400}") {
                let _ = parse_sheet(&text);
                let _ = parse_qr_payload(&text);
            }
        }
    }
}
