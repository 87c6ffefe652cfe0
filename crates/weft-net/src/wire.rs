//! The bytes Weft peers exchange, and their strict decoders.
//!
//! Everything here is read from untrusted peers: every length is bounded before anything is
//! allocated, every field is checked, trailing bytes are refused, and a decoder never panics
//! (the property tests at the bottom feed them arbitrary bytes). Integers are little-endian.
//! The first byte of every frame is a version, so a future format can be told apart.

use automerge::ChangeHash;
use weft_core::doc::DocName;
use weft_core::id::{CommunityId, DeviceId, MemberId};

/// The format version this build speaks.
pub const VERSION: u8 = 3;
/// The largest frame read from a stream (a sync message or bundle, plus signatures).
pub const MAX_FRAME: usize = 8 << 20;
/// The largest Automerge sync message in one frame. Larger batches are split across rounds.
pub const MAX_SYNC_MESSAGE: usize = 6 << 20;
/// The largest gossip message; changes that do not fit travel by sync.
pub const MAX_GOSSIP: usize = 64 << 10;
/// The most changes (and so signatures) one frame may carry.
pub const MAX_CHANGES: usize = 65_536;
/// The most documents a manifest may list, and heads per document.
pub const MAX_DOCS: usize = 1_024;
pub const MAX_HEADS: usize = 1_024;
const MAX_TEXT: usize = 1_024;

/// Why bytes from a peer were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("the frame ended early (wanted {wanted} more bytes at offset {at})")]
    Truncated { at: usize, wanted: usize },
    #[error("the frame has {0} bytes left over after its end")]
    Trailing(usize),
    #[error("frame version {0} is not one this peer speaks (it speaks {VERSION})")]
    Version(u8),
    #[error("unknown {what} tag {tag}")]
    Tag { what: &'static str, tag: u8 },
    #[error("{what} is too long: {len} (at most {max})")]
    TooLong { what: &'static str, len: usize, max: usize },
    #[error("{what} is not valid: {why}")]
    Invalid { what: &'static str, why: String },
}

/// A change as it travels: its bytes and its author's signature (none for a deterministic
/// genesis, which anyone can recompute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireChange {
    pub bytes: Vec<u8>,
    pub signature: Option<[u8; 64]>,
}

/// What a peer holds of one document: enough to skip documents already in sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocSummary {
    pub name: DocName,
    pub heads: Vec<ChangeHash>,
    /// How many changes the sender has in this document.
    pub changes: u64,
}

/// The documents a peer holds of one community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub community: CommunityId,
    pub docs: Vec<DocSummary>,
}

/// One round of Automerge's sync protocol for one document. Its changes travel in the
/// message, or, when there are many, in a bundle (Automerge's compressed form of a set of
/// changes). Signatures are named by the hash of the change they sign; one per device is
/// enough, over that device's latest change in the frame (`weft_core::cover`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFrame {
    pub community: CommunityId,
    pub doc: DocName,
    /// The session this frame belongs to (chosen by the side that started it) and its round
    /// (0 for the first frame: the receiver then starts from its saved sync state). A frame
    /// sent again, because its answer did not come in time, keeps both, so the receiver can
    /// answer it again without taking it in twice; an answer carries the request's.
    pub session: u64,
    pub round: u32,
    /// The Automerge sync message, if the sender had one to send.
    pub message: Option<Vec<u8>>,
    /// The changes of this round as an Automerge bundle (the message then carries none).
    pub bundle: Option<Vec<u8>>,
    pub signatures: Vec<(ChangeHash, [u8; 64])>,
    /// How many changes the sender has in this document (to show how far behind we are).
    pub changes: u64,
}

impl SyncFrame {
    /// Whether this is the first frame of its session.
    pub fn is_first(&self) -> bool {
        self.round == 0
    }
}

/// A newcomer asking to be admitted with an invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// The invitation's id (the member finds the community by it).
    pub invite: [u8; 12],
    /// The invitation's secret; its hash is in the people document.
    pub secret: [u8; 16],
    pub member: MemberId,
    pub device: DeviceId,
    pub cert: [u8; 64],
    pub name: String,
}

/// A new computer asking one of a member's devices to link it, with the pairing code that
/// device shows (the person confirms matching words on both screens first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLinkRequest {
    pub pairing: [u8; 12],
    pub secret: [u8; 16],
    pub device: DeviceId,
    pub label: String,
}

/// A computer restored from a member's backup asking any member to add it: the member key's
/// certificate of the new device, and the vouch of the backup's key (a device of the member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreRequest {
    pub member: MemberId,
    pub device: DeviceId,
    pub cert: [u8; 64],
    pub vouched_by: DeviceId,
    pub vouch: [u8; 64],
    pub label: String,
    /// The member's devices to revoke as it is added (the lost laptop): the peer writes it,
    /// online now, rather than the restored computer the next time it syncs.
    pub revoke: Vec<DeviceId>,
}

/// The most devices a restore revokes at once.
pub const MAX_REVOKE: usize = 100;

/// The most communities a linked or restored device is told about at once.
pub const MAX_COMMUNITIES: usize = 256;

/// The most roster evidence (people changes that admit, certify and remove) a link carries.
pub const MAX_EVIDENCE: usize = 20_000;

/// A member of community `community` links it to the community of a neighbour invitation. The
/// evidence (people changes with their signatures, the founding one among them) proves the
/// asking device is a current member of `community`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    pub invite: [u8; 12],
    pub secret: [u8; 16],
    pub community: CommunityId,
    pub evidence: Vec<WireChange>,
}

/// Why a peer refused a request, in a code a program can act on and words a person can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalCode {
    NotAMember,
    UnknownCommunity,
    BadInvite,
    InviteExpired,
    InviteUsedUp,
    Invalid,
    Busy,
    Internal,
    /// Not yet: the person has not confirmed on their other computer (ask again shortly).
    Pending,
}

impl RefusalCode {
    fn tag(self) -> u8 {
        match self {
            Self::NotAMember => 1,
            Self::UnknownCommunity => 2,
            Self::BadInvite => 3,
            Self::InviteExpired => 4,
            Self::InviteUsedUp => 5,
            Self::Invalid => 6,
            Self::Busy => 7,
            Self::Internal => 8,
            Self::Pending => 9,
        }
    }
    fn from_tag(tag: u8) -> Result<Self, WireError> {
        Ok(match tag {
            1 => Self::NotAMember,
            2 => Self::UnknownCommunity,
            3 => Self::BadInvite,
            4 => Self::InviteExpired,
            5 => Self::InviteUsedUp,
            6 => Self::Invalid,
            7 => Self::Busy,
            8 => Self::Internal,
            9 => Self::Pending,
            tag => return Err(WireError::Tag { what: "refusal", tag }),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: RefusalCode,
    pub reason: String,
}

/// A request on the sync protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Manifest(Manifest),
    Sync(SyncFrame),
    Join(JoinRequest),
    Link(LinkRequest),
    DeviceLink(DeviceLinkRequest),
    Restore(Box<RestoreRequest>),
    /// Which of your communities is the asking device (authenticated by the connection) a
    /// current device of? A computer whose database was lost asks, to get them back.
    Rebuild,
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Manifest(Manifest),
    Sync(SyncFrame),
    /// The newcomer was admitted; it may now sync the community's documents.
    Joined {
        community: CommunityId,
    },
    /// The invitation's community wrote the link; its roster evidence proves the answering
    /// device is one of its members.
    Linked {
        community: CommunityId,
        evidence: Vec<WireChange>,
    },
    /// The member's device linked the asking computer: who it is now, and the communities whose
    /// documents it may now sync. The member key travels only over this authenticated,
    /// encrypted connection, to the device the person confirmed.
    DeviceLinked {
        member: MemberId,
        member_key: [u8; 32],
        name: String,
        communities: Vec<CommunityId>,
    },
    /// The restored computer was added in these communities.
    Restored {
        communities: Vec<CommunityId>,
    },
    Refused(Refusal),
}

/// A gossip message as it is published: sealed with the community's data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GossipFrame {
    /// Which data key sealed it (the first bytes of the key's hash).
    pub key_id: [u8; 8],
    pub nonce: [u8; 24],
    pub sealed: Vec<u8>,
}

/// What a gossip message holds once opened: new changes of one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GossipPayload {
    pub community: CommunityId,
    pub doc: DocName,
    pub changes: Vec<WireChange>,
}

// ---------------------------------------------------------------------------------------------
// Writing

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn new(version: u8) -> Self {
        Self(vec![version])
    }
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn raw(&mut self, v: &[u8]) {
        self.0.extend_from_slice(v);
    }
    fn len(&mut self, n: usize) {
        // Lengths are bounded far below u32::MAX by the limits above.
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn bytes(&mut self, v: &[u8]) {
        self.len(v.len());
        self.raw(v);
    }
    fn text(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    fn doc(&mut self, d: DocName) {
        self.text(&d.to_string());
    }
    fn signature(&mut self, s: &Option<[u8; 64]>) {
        match s {
            Some(s) => {
                self.u8(1);
                self.raw(s);
            }
            None => self.u8(0),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Self { buf, at: 0 };
        match r.u8()? {
            VERSION => Ok(r),
            v => Err(WireError::Version(v)),
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let rest = self.buf.len() - self.at;
        if n > rest {
            return Err(WireError::Truncated { at: self.at, wanted: n - rest });
        }
        let out = &self.buf[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn bool(&mut self) -> Result<bool, WireError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(WireError::Tag { what: "flag", tag }),
        }
    }
    /// A count or length, refused before anything is allocated if it is above `max` or
    /// larger than what is left to read (each item takes at least `min_item` bytes).
    fn count(&mut self, what: &'static str, max: usize, min_item: usize) -> Result<usize, WireError> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(WireError::TooLong { what, len: n, max });
        }
        let rest = self.buf.len() - self.at;
        if n.saturating_mul(min_item.max(1)) > rest && min_item > 0 {
            return Err(WireError::Truncated { at: self.at, wanted: n * min_item - rest });
        }
        Ok(n)
    }
    fn bytes(&mut self, what: &'static str, max: usize) -> Result<&'a [u8], WireError> {
        let n = self.count(what, max, 1)?;
        self.take(n)
    }
    fn text(&mut self, what: &'static str) -> Result<String, WireError> {
        let b = self.bytes(what, MAX_TEXT)?;
        String::from_utf8(b.to_vec()).map_err(|_| WireError::Invalid { what, why: "not UTF-8".into() })
    }
    fn doc(&mut self) -> Result<DocName, WireError> {
        let s = self.text("document name")?;
        s.parse().map_err(|e: weft_core::doc::ParseDocNameError| WireError::Invalid {
            what: "document name",
            why: e.to_string(),
        })
    }
    fn community(&mut self) -> Result<CommunityId, WireError> {
        Ok(CommunityId::from_bytes(self.array()?))
    }
    fn hash(&mut self) -> Result<ChangeHash, WireError> {
        Ok(ChangeHash(self.array()?))
    }
    fn signature(&mut self) -> Result<Option<[u8; 64]>, WireError> {
        Ok(if self.bool()? { Some(self.array()?) } else { None })
    }
    fn end(self) -> Result<(), WireError> {
        match self.buf.len() - self.at {
            0 => Ok(()),
            n => Err(WireError::Trailing(n)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Frames

fn write_manifest(w: &mut Writer, m: &Manifest) {
    w.raw(m.community.as_bytes());
    w.len(m.docs.len());
    for d in &m.docs {
        w.doc(d.name);
        w.u64(d.changes);
        w.len(d.heads.len());
        for h in &d.heads {
            w.raw(&h.0);
        }
    }
}

fn read_manifest(r: &mut Reader<'_>) -> Result<Manifest, WireError> {
    let community = r.community()?;
    let n = r.count("document list", MAX_DOCS, 13)?;
    let mut docs = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.doc()?;
        let changes = r.u64()?;
        let h = r.count("heads", MAX_HEADS, 32)?;
        let mut heads = Vec::with_capacity(h);
        for _ in 0..h {
            heads.push(r.hash()?);
        }
        docs.push(DocSummary { name, heads, changes });
    }
    Ok(Manifest { community, docs })
}

/// Messages larger than this are sent deflated: a catch-up's thousands of changes share
/// actors, keys and field names, and shrink several times.
const COMPRESS_ABOVE: usize = 1024;

fn write_sync(w: &mut Writer, s: &SyncFrame) {
    w.raw(s.community.as_bytes());
    w.doc(s.doc);
    w.u64(s.session);
    w.u32(s.round);
    w.u64(s.changes);
    match &s.message {
        Some(m) if m.len() > COMPRESS_ABOVE => {
            use std::io::Write;
            let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            match z.write_all(m).and_then(|()| z.finish()) {
                Ok(packed) if packed.len() < m.len() => {
                    w.u8(2);
                    w.bytes(&packed);
                }
                _ => {
                    w.u8(1);
                    w.bytes(m);
                }
            }
        }
        Some(m) => {
            w.u8(1);
            w.bytes(m);
        }
        None => w.u8(0),
    }
    match &s.bundle {
        Some(b) => {
            w.u8(1);
            w.bytes(b);
        }
        None => w.u8(0),
    }
    w.len(s.signatures.len());
    for (hash, sig) in &s.signatures {
        w.raw(&hash.0);
        w.raw(sig);
    }
}

fn read_sync(r: &mut Reader<'_>) -> Result<SyncFrame, WireError> {
    let community = r.community()?;
    let doc = r.doc()?;
    let session = r.u64()?;
    let round = r.u32()?;
    let changes = r.u64()?;
    let message = match r.u8()? {
        0 => None,
        1 => Some(r.bytes("sync message", MAX_SYNC_MESSAGE)?.to_vec()),
        2 => Some(inflate(r.bytes("sync message", MAX_SYNC_MESSAGE)?)?),
        tag => return Err(WireError::Tag { what: "sync message", tag }),
    };
    let bundle = match r.u8()? {
        0 => None,
        1 => Some(r.bytes("bundle", MAX_SYNC_MESSAGE)?.to_vec()),
        tag => return Err(WireError::Tag { what: "bundle", tag }),
    };
    let n = r.count("signatures", MAX_CHANGES, 96)?;
    let mut signatures = Vec::with_capacity(n);
    for _ in 0..n {
        signatures.push((r.hash()?, r.array()?));
    }
    if message.is_none() && (bundle.is_some() || !signatures.is_empty()) {
        return Err(WireError::Invalid { what: "sync frame", why: "changes or signatures without a message".into() });
    }
    Ok(SyncFrame { community, doc, session, round, message, bundle, signatures, changes })
}

/// Inflates a deflated message, refusing to grow past the message limit (a small frame must
/// not become gigabytes).
fn inflate(packed: &[u8]) -> Result<Vec<u8>, WireError> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(packed)
        .take(MAX_SYNC_MESSAGE as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| WireError::Invalid { what: "sync message", why: format!("it does not inflate: {e}") })?;
    if out.len() > MAX_SYNC_MESSAGE {
        return Err(WireError::TooLong { what: "inflated sync message", len: out.len(), max: MAX_SYNC_MESSAGE });
    }
    Ok(out)
}

fn write_join(w: &mut Writer, j: &JoinRequest) {
    w.raw(&j.invite);
    w.raw(&j.secret);
    w.raw(j.member.as_bytes());
    w.raw(j.device.as_bytes());
    w.raw(&j.cert);
    w.text(&j.name);
}

fn read_join(r: &mut Reader<'_>) -> Result<JoinRequest, WireError> {
    Ok(JoinRequest {
        invite: r.array()?,
        secret: r.array()?,
        member: MemberId::from_bytes(r.array()?),
        device: DeviceId::from_bytes(r.array()?),
        cert: r.array()?,
        name: r.text("name")?,
    })
}

fn write_communities(w: &mut Writer, communities: &[CommunityId]) {
    w.len(communities.len());
    for c in communities {
        w.raw(c.as_bytes());
    }
}

fn read_communities(r: &mut Reader<'_>) -> Result<Vec<CommunityId>, WireError> {
    let n = r.count("community list", MAX_COMMUNITIES, 16)?;
    (0..n).map(|_| r.community()).collect()
}

fn write_evidence(w: &mut Writer, evidence: &[WireChange]) {
    w.len(evidence.len());
    for c in evidence {
        w.bytes(&c.bytes);
        w.signature(&c.signature);
    }
}

fn read_evidence(r: &mut Reader<'_>) -> Result<Vec<WireChange>, WireError> {
    let n = r.count("roster evidence", MAX_EVIDENCE, 5)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let bytes = r.bytes("roster change", MAX_GOSSIP)?.to_vec();
        out.push(WireChange { bytes, signature: r.signature()? });
    }
    Ok(out)
}

impl Request {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(VERSION);
        match self {
            Self::Manifest(m) => {
                w.u8(1);
                write_manifest(&mut w, m);
            }
            Self::Sync(s) => {
                w.u8(2);
                write_sync(&mut w, s);
            }
            Self::Join(j) => {
                w.u8(3);
                write_join(&mut w, j);
            }
            Self::Link(l) => {
                w.u8(4);
                w.raw(&l.invite);
                w.raw(&l.secret);
                w.raw(l.community.as_bytes());
                write_evidence(&mut w, &l.evidence);
            }
            Self::DeviceLink(d) => {
                w.u8(5);
                w.raw(&d.pairing);
                w.raw(&d.secret);
                w.raw(d.device.as_bytes());
                w.text(&d.label);
            }
            Self::Restore(x) => {
                w.u8(6);
                w.raw(x.member.as_bytes());
                w.raw(x.device.as_bytes());
                w.raw(&x.cert);
                w.raw(x.vouched_by.as_bytes());
                w.raw(&x.vouch);
                w.text(&x.label);
                w.len(x.revoke.len());
                for d in &x.revoke {
                    w.raw(d.as_bytes());
                }
            }
            Self::Rebuild => w.u8(7),
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes)?;
        let out = match r.u8()? {
            1 => Self::Manifest(read_manifest(&mut r)?),
            2 => Self::Sync(read_sync(&mut r)?),
            3 => Self::Join(read_join(&mut r)?),
            4 => Self::Link(LinkRequest {
                invite: r.array()?,
                secret: r.array()?,
                community: r.community()?,
                evidence: read_evidence(&mut r)?,
            }),
            5 => Self::DeviceLink(DeviceLinkRequest {
                pairing: r.array()?,
                secret: r.array()?,
                device: DeviceId::from_bytes(r.array()?),
                label: r.text("device name")?,
            }),
            6 => Self::Restore(Box::new(RestoreRequest {
                member: MemberId::from_bytes(r.array()?),
                device: DeviceId::from_bytes(r.array()?),
                cert: r.array()?,
                vouched_by: DeviceId::from_bytes(r.array()?),
                vouch: r.array()?,
                label: r.text("device name")?,
                revoke: {
                    let n = r.count("devices to revoke", MAX_REVOKE, 32)?;
                    (0..n).map(|_| r.array().map(DeviceId::from_bytes)).collect::<Result<_, _>>()?
                },
            })),
            7 => Self::Rebuild,
            tag => return Err(WireError::Tag { what: "request", tag }),
        };
        r.end()?;
        Ok(out)
    }
}

impl Response {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(VERSION);
        match self {
            Self::Manifest(m) => {
                w.u8(1);
                write_manifest(&mut w, m);
            }
            Self::Sync(s) => {
                w.u8(2);
                write_sync(&mut w, s);
            }
            Self::Joined { community } => {
                w.u8(3);
                w.raw(community.as_bytes());
            }
            Self::Refused(refusal) => {
                w.u8(4);
                w.u8(refusal.code.tag());
                w.text(&refusal.reason);
            }
            Self::Linked { community, evidence } => {
                w.u8(5);
                w.raw(community.as_bytes());
                write_evidence(&mut w, evidence);
            }
            Self::DeviceLinked { member, member_key, name, communities } => {
                w.u8(6);
                w.raw(member.as_bytes());
                w.raw(member_key);
                w.text(name);
                write_communities(&mut w, communities);
            }
            Self::Restored { communities } => {
                w.u8(7);
                write_communities(&mut w, communities);
            }
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes)?;
        let out = match r.u8()? {
            1 => Self::Manifest(read_manifest(&mut r)?),
            2 => Self::Sync(read_sync(&mut r)?),
            3 => Self::Joined { community: r.community()? },
            4 => {
                let code = RefusalCode::from_tag(r.u8()?)?;
                Self::Refused(Refusal { code, reason: r.text("reason")? })
            }
            5 => Self::Linked { community: r.community()?, evidence: read_evidence(&mut r)? },
            6 => Self::DeviceLinked {
                member: MemberId::from_bytes(r.array()?),
                member_key: r.array()?,
                name: r.text("name")?,
                communities: read_communities(&mut r)?,
            },
            7 => Self::Restored { communities: read_communities(&mut r)? },
            tag => return Err(WireError::Tag { what: "response", tag }),
        };
        r.end()?;
        Ok(out)
    }
}

impl GossipFrame {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(VERSION);
        w.raw(&self.key_id);
        w.raw(&self.nonce);
        w.bytes(&self.sealed);
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes)?;
        let key_id = r.array()?;
        let nonce = r.array()?;
        let sealed = r.bytes("sealed payload", MAX_GOSSIP)?.to_vec();
        r.end()?;
        Ok(Self { key_id, nonce, sealed })
    }
}

impl GossipPayload {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(VERSION);
        w.raw(self.community.as_bytes());
        w.doc(self.doc);
        w.len(self.changes.len());
        for c in &self.changes {
            w.bytes(&c.bytes);
            w.signature(&c.signature);
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes)?;
        let community = r.community()?;
        let doc = r.doc()?;
        let n = r.count("changes", MAX_CHANGES, 5)?;
        let mut changes = Vec::with_capacity(n);
        for _ in 0..n {
            let bytes = r.bytes("change", MAX_GOSSIP)?.to_vec();
            changes.push(WireChange { bytes, signature: r.signature()? });
        }
        r.end()?;
        Ok(Self { community, doc, changes })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn community() -> CommunityId {
        CommunityId::from_bytes([7; 16])
    }

    #[test]
    fn frames_round_trip() {
        let requests = vec![
            Request::Manifest(Manifest {
                community: community(),
                docs: vec![
                    DocSummary { name: DocName::People, heads: vec![ChangeHash([1; 32])], changes: 3 },
                    DocSummary { name: DocName::Ledger(2026), heads: vec![], changes: 0 },
                ],
            }),
            Request::Sync(SyncFrame {
                community: community(),
                doc: DocName::Board,
                session: 7,
                round: 0,
                message: Some(vec![0x42, 1, 2]),
                bundle: Some(vec![7; 30]),
                signatures: vec![(ChangeHash([8; 32]), [9; 64])],
                changes: 12,
            }),
            Request::Join(JoinRequest {
                invite: [1; 12],
                secret: [2; 16],
                member: MemberId::from_bytes([3; 32]),
                device: DeviceId::from_bytes([4; 32]),
                cert: [5; 64],
                name: "Ada".into(),
            }),
            Request::Link(LinkRequest {
                invite: [1; 12],
                secret: [2; 16],
                community: community(),
                evidence: vec![WireChange { bytes: vec![1, 2], signature: Some([3; 64]) }],
            }),
            Request::DeviceLink(DeviceLinkRequest {
                pairing: [4; 12],
                secret: [5; 16],
                device: DeviceId::from_bytes([6; 32]),
                label: "Kitchen laptop".into(),
            }),
            Request::Restore(Box::new(RestoreRequest {
                member: MemberId::from_bytes([7; 32]),
                device: DeviceId::from_bytes([8; 32]),
                cert: [9; 64],
                vouched_by: DeviceId::from_bytes([10; 32]),
                vouch: [11; 64],
                label: "New laptop".into(),
                revoke: vec![DeviceId::from_bytes([13; 32])],
            })),
            Request::Rebuild,
        ];
        for r in requests {
            assert_eq!(Request::decode(&r.encode()), Ok(r));
        }
        let responses = vec![
            Response::Joined { community: community() },
            Response::Linked { community: community(), evidence: vec![WireChange { bytes: vec![4], signature: None }] },
            Response::Refused(Refusal { code: RefusalCode::InviteExpired, reason: "expired".into() }),
            Response::Refused(Refusal { code: RefusalCode::Pending, reason: "confirm".into() }),
            Response::DeviceLinked {
                member: MemberId::from_bytes([7; 32]),
                member_key: [12; 32],
                name: "Ana".into(),
                communities: vec![community(), community()],
            },
            Response::Restored { communities: vec![community()] },
            Response::Sync(SyncFrame {
                community: community(),
                doc: DocName::People,
                session: 7,
                round: 3,
                message: None,
                bundle: None,
                signatures: vec![],
                changes: 0,
            }),
        ];
        for r in responses {
            assert_eq!(Response::decode(&r.encode()), Ok(r));
        }
        let g = GossipFrame { key_id: [1; 8], nonce: [2; 24], sealed: vec![3; 40] };
        assert_eq!(GossipFrame::decode(&g.encode()), Ok(g));
        let p = GossipPayload {
            community: community(),
            doc: DocName::Ledger(2025),
            changes: vec![WireChange { bytes: vec![1, 2, 3], signature: None }],
        };
        assert_eq!(GossipPayload::decode(&p.encode()), Ok(p));
    }

    #[test]
    fn damaged_frames_get_clear_errors() {
        let good = Request::Sync(SyncFrame {
            community: community(),
            doc: DocName::Board,
            session: 7,
            round: 3,
            message: Some(vec![1]),
            bundle: None,
            signatures: vec![(ChangeHash([1; 32]), [2; 64])],
            changes: 1,
        })
        .encode();
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(Request::decode(&trailing), Err(WireError::Trailing(1)));
        assert!(matches!(Request::decode(&good[..good.len() - 1]), Err(WireError::Truncated { .. })));
        let mut version = good.clone();
        version[0] = 9;
        assert_eq!(Request::decode(&version), Err(WireError::Version(9)));
        // A count that promises more than the frame holds is refused before allocating.
        let mut huge = Writer::new(VERSION);
        huge.u8(1);
        huge.raw(community().as_bytes());
        huge.u32(u32::MAX);
        assert!(matches!(Request::decode(&huge.0), Err(WireError::TooLong { .. })));
        let mut bad_doc = Writer::new(VERSION);
        bad_doc.u8(2);
        bad_doc.raw(community().as_bytes());
        bad_doc.text("ledger/abcd");
        let err = Request::decode(&bad_doc.0).unwrap_err();
        assert!(err.to_string().contains("ledger/abcd"), "{err}");
    }

    #[test]
    fn large_messages_travel_deflated_and_bombs_are_refused() {
        let big = SyncFrame {
            community: community(),
            doc: DocName::Board,
            session: 7,
            round: 3,
            message: Some(b"tasks/abc/title ".repeat(500)),
            bundle: None,
            signatures: vec![],
            changes: 1,
        };
        let bytes = Request::Sync(big.clone()).encode();
        assert!(bytes.len() < 1000, "{} bytes", bytes.len());
        assert_eq!(Request::decode(&bytes), Ok(Request::Sync(big)));
        // Eight megabytes of zeros deflate to a few kilobytes: refused, not inflated.
        use std::io::Write;
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; MAX_SYNC_MESSAGE + 10]).unwrap();
        let bomb = z.finish().unwrap();
        let mut w = Writer::new(VERSION);
        w.u8(2);
        w.raw(community().as_bytes());
        w.doc(DocName::Board);
        w.u64(0); // session
        w.u32(0); // round
        w.u64(0); // changes
        w.u8(2);
        w.bytes(&bomb);
        w.u8(0);
        w.u32(0);
        assert!(matches!(Request::decode(&w.0), Err(WireError::TooLong { .. })));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Request::decode(&bytes);
            let _ = Response::decode(&bytes);
            let _ = GossipFrame::decode(&bytes);
            let _ = GossipPayload::decode(&bytes);
        }

        /// The Automerge sync message inside a frame is decoded by Automerge itself: it too
        /// must refuse garbage without panicking.
        #[test]
        fn arbitrary_sync_messages_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = automerge::sync::Message::decode(&bytes);
            let mut tagged = vec![0x42];
            tagged.extend_from_slice(&bytes);
            let _ = automerge::sync::Message::decode(&tagged);
        }

        /// So is a bundle: arbitrary bytes, and bytes after a bundle's magic and header.
        #[test]
        fn arbitrary_bundles_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = weft_core::verify::parse_bundle(&bytes);
            let mut tagged = vec![0x85, 0x6f, 0x4a, 0x83];
            tagged.extend_from_slice(&bytes);
            let _ = weft_core::verify::parse_bundle(&tagged);
        }

        #[test]
        fn mutated_frames_never_panic(
            flip in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let frame = Request::Sync(SyncFrame {
                community: CommunityId::from_bytes([7; 16]),
                doc: DocName::Ledger(2026),
                session: 7,
                round: 0,
                message: Some(vec![0x42; 40]),
                bundle: Some(vec![0x85; 20]),
                signatures: vec![(ChangeHash([3; 32]), [1; 64])],
                changes: 5,
            }).encode();
            let mut bytes = frame.clone();
            for (at, v) in flip {
                let i = at % bytes.len();
                bytes[i] = v;
            }
            bytes.truncate(cut % (bytes.len() + 1));
            let _ = Request::decode(&bytes);
            let _ = Response::decode(&bytes);
        }
    }
}
