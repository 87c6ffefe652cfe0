//! Reading a peer's sync frame: decoding its Automerge message and parsing its changes
//! strictly. Reading touches nothing of ours and is the heaviest pure part of a big frame (a
//! year of a board's changes takes tens of milliseconds to parse), so the driver does it off
//! the state thread, while that thread is still taking in the frame before.

use std::collections::HashMap;

use automerge::sync::{Message, MessageVersion};
use automerge::{Change, ChangeHash};
use weft_core::CommunityId;
use weft_core::doc::DocName;
use weft_core::identity::ChangeSignature;
use weft_core::verify::{parse_bundle, parse_change};
use weft_net::wire::{Refusal, RefusalCode, SyncFrame, WireChange};

use super::{Ingested, Rejection};

/// A change received from a peer, parsed, with the signature it came with (if any).
#[derive(Debug)]
pub(crate) struct Incoming {
    pub change: Change,
    pub signature: Option<ChangeSignature>,
}

/// Parses changes as gossip carries them (each with its own signature); the ones that do not
/// parse are rejected.
pub(crate) fn parse_wire(doc: DocName, changes: Vec<WireChange>, report: &mut Ingested) -> Vec<Incoming> {
    changes
        .into_iter()
        .filter_map(|c| {
            let change = parse_or_reject(doc, &c.bytes, report)?;
            Some(Incoming { change, signature: c.signature.map(ChangeSignature) })
        })
        .collect()
}

/// Parses one change strictly; one that does not parse is noted as rejected.
fn parse_or_reject(doc: DocName, bytes: &[u8], report: &mut Ingested) -> Option<Change> {
    parse_change(bytes).map_err(|e| report.rejected.push(Rejection { doc, hash: None, why: e.to_string() })).ok()
}

/// A sync frame as the state thread takes it in: its message decoded and its changes parsed.
#[derive(Debug)]
pub struct ReadFrame {
    pub community: CommunityId,
    pub doc: DocName,
    pub session: u64,
    pub round: u32,
    /// How many changes the sender holds of the document.
    pub changes: u64,
    pub(crate) message: Option<Message>,
    pub(crate) incoming: Vec<Incoming>,
    /// Changes that did not parse (the frame is then rejected for them).
    pub(crate) unparsed: Vec<Rejection>,
}

impl ReadFrame {
    /// Whether the sender had nothing to say this round.
    pub fn is_empty(&self) -> bool {
        self.message.is_none()
    }

    /// Whether the frame carries changes.
    pub fn carries_changes(&self) -> bool {
        !self.incoming.is_empty() || !self.unparsed.is_empty()
    }

    pub fn is_first(&self) -> bool {
        self.round == 0
    }

    /// Whether the sender asks for changes by hash.
    pub fn asks(&self) -> bool {
        self.message.as_ref().is_some_and(|m| !m.need.is_empty())
    }
}

/// The most Bloom filters ("have"s) a message may carry: Automerge sends one.
const MAX_HAVES: usize = 4;
/// The most probes per hash and bits per entry a Bloom filter may ask for: Automerge uses 7 and
/// 10.
const MAX_PROBES: u64 = 32;
const MAX_BITS_PER_ENTRY: u64 = 64;

/// Checks what Automerge's sync protocol would otherwise trust in a peer's message. Its Bloom
/// filters name their own number of probes, which Automerge loops over (and allocates) for
/// each of our changes it looks up — four billion of them is a process out of memory — and
/// their own bits per entry: zero, with entries, leaves no bits and Automerge divides by zero,
/// a panic on the thread that holds the documents. Heads, needs and last-sync lists are
/// bounded like a manifest's.
fn check_message(message: &Message) -> Result<(), String> {
    use weft_net::wire::{MAX_CHANGES, MAX_HEADS};
    if message.heads.len() > MAX_HEADS {
        return Err(format!("the sync message names {} heads (at most {MAX_HEADS})", message.heads.len()));
    }
    if message.need.len() > MAX_CHANGES {
        return Err(format!("the sync message asks for {} changes (at most {MAX_CHANGES})", message.need.len()));
    }
    if message.have.len() > MAX_HAVES {
        return Err(format!("the sync message has {} Bloom filters (at most {MAX_HAVES})", message.have.len()));
    }
    for have in &message.have {
        if have.last_sync.len() > MAX_HEADS {
            return Err(format!(
                "a Bloom filter's last sync names {} heads (at most {MAX_HEADS})",
                have.last_sync.len()
            ));
        }
        check_bloom(&have.bloom.to_bytes())?;
    }
    Ok(())
}

/// A Bloom filter as Automerge writes it: nothing, or its number of entries, bits per entry
/// and probes (LEB128), then its bits.
fn check_bloom(bytes: &[u8]) -> Result<(), String> {
    fn uleb(bytes: &[u8], at: &mut usize) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *bytes.get(*at)?;
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    if bytes.is_empty() {
        return Ok(());
    }
    let mut at = 0;
    let (Some(entries), Some(bits_per_entry), Some(probes)) =
        (uleb(bytes, &mut at), uleb(bytes, &mut at), uleb(bytes, &mut at))
    else {
        return Err("a Bloom filter could not be read".into());
    };
    if !(1..=MAX_PROBES).contains(&probes) || !(1..=MAX_BITS_PER_ENTRY).contains(&bits_per_entry) {
        return Err(format!(
            "a Bloom filter asks for {probes} probes of {bits_per_entry} bits per entry (at most {MAX_PROBES} and              {MAX_BITS_PER_ENTRY}, at least 1)"
        ));
    }
    if entries > 0 && at >= bytes.len() {
        return Err("a Bloom filter with entries has no bits".into());
    }
    Ok(())
}

fn refuse(reason: impl Into<String>) -> Refusal {
    Refusal { code: RefusalCode::Invalid, reason: reason.into() }
}

/// Reads a peer's sync frame: bytes that cannot be read are refused whole, before anything
/// of ours is touched.
pub fn read_frame(frame: SyncFrame) -> Result<ReadFrame, Refusal> {
    let mut read = ReadFrame {
        community: frame.community,
        doc: frame.doc,
        session: frame.session,
        round: frame.round,
        changes: frame.changes,
        message: None,
        incoming: Vec::new(),
        unparsed: Vec::new(),
    };
    let Some(bytes) = frame.message else { return Ok(read) };
    let message = Message::decode(&bytes).map_err(|e| refuse(format!("the sync message could not be read: {e}")))?;
    if message.version != MessageVersion::V1 {
        return Err(refuse("whole-document sync messages are not accepted"));
    }
    check_message(&message).map_err(refuse)?;
    let mut report = Ingested::default();
    let mut changes: Vec<Change> =
        message.changes.iter().filter_map(|chunk| parse_or_reject(frame.doc, chunk, &mut report)).collect();
    if let Some(bundle) = &frame.bundle {
        changes.extend(parse_bundle(bundle).map_err(|e| refuse(e.to_string()))?);
    }
    let mut signatures: HashMap<ChangeHash, ChangeSignature> =
        frame.signatures.iter().map(|(h, s)| (*h, ChangeSignature(*s))).collect();
    read.incoming =
        changes.into_iter().map(|change| Incoming { signature: signatures.remove(&change.hash()), change }).collect();
    // (A change that did not parse leaves its signature behind: that frame is rejected for
    // the change.)
    if !signatures.is_empty() && report.rejected.is_empty() {
        return Err(refuse("the frame signs changes it does not carry"));
    }
    read.unparsed = report.rejected;
    read.message = Some(message);
    Ok(read)
}
