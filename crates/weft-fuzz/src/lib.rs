//! Fuzz targets: every decoder of bytes that come from a peer, a file or a link, fed exactly
//! as the node feeds them on receipt.
//!
//! Each target is a plain function that must never panic, whatever the bytes: a decoder may
//! refuse them (that is what errors are for), never crash, hang or allocate without bound.
//! Where a value decodes, the target also checks that writing it again and reading that back
//! gives the same value. cargo-fuzz (`fuzz/`, on nightly, `scripts/fuzz.sh`) drives these
//! functions; `tests/corpus.rs` replays the committed corpora through them on stable.
//!
//! Several targets read their first byte as a mode, to reach decoders that sit behind a
//! seal or a checksum a fuzzer cannot forge (a gossip payload behind its data key, a backup's
//! plaintext behind its passphrase): the harness seals the rest of the input itself.

use std::backtrace::Backtrace;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Once, OnceLock};

use automerge::{Automerge, Change};
use sha2::{Digest, Sha256};
use weft_core::backup::{self, Kdf};
use weft_core::crypto::DataKey;
use weft_core::doc::commons::{self, CommonsView, ReadModel};
use weft_core::doc::people::PeopleView;
use weft_core::doc::{DocId, DocName, Document};
use weft_core::identity::{ChangeSignature, Identity, SecretKey, SignedChange};
use weft_core::roster::{Evidence, Roster};
use weft_core::verify::{Run, Verifier, parse_bundle, parse_change};
use weft_core::{CommunityId, Date, bundle_guard};
use weft_demo::DemoOptions;
use weft_net::invite::InviteCode;
use weft_net::wire::{GossipFrame, GossipPayload, Request, Response, WireChange};

pub mod seal;

/// The data key the gossip target opens frames with (the corpus generator seals with it).
pub const GOSSIP_KEY: [u8; 32] = [0x5a; 32];
/// The passphrase the backup target opens backups with (the corpus generator seals with it).
pub const BACKUP_PASSPHRASE: &str = "fuzzing red fox tea";
/// The community the views read a document as (its roster in a commons).
pub const COMMUNITY: [u8; 16] = [7; 16];

thread_local! {
    /// Where the last panic on this thread happened (captured cheaply; resolved only if printed).
    static PANIC_TRACE: RefCell<Option<Backtrace>> = const { RefCell::new(None) };
}

/// Runs a target with panics that unwind instead of aborting where they happen (libFuzzer's
/// panic hook aborts at once): weft-core catches the panics of Automerge's young bundle
/// reader by design (`verify::parse_bundle`), and those must not count as crashes. A panic
/// that nothing inside catches gets its backtrace printed here and goes on unwinding, to
/// libfuzzer-sys's wrapper, which aborts (a crash), or to the corpus test, which names the
/// input. (Printing every panic's backtrace in the hook would cost a second per caught panic.)
#[allow(clippy::print_stderr, reason = "the fuzzer's and the corpus test's report of a panic")]
fn guarded(data: &[u8], target: fn(&[u8])) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("{info}");
            PANIC_TRACE.with(|t| *t.borrow_mut() = Some(Backtrace::force_capture()));
        }));
    });
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| target(data))) {
        if let Some(trace) = PANIC_TRACE.with(|t| t.borrow_mut().take()) {
            eprintln!("the panic above was not caught; where it happened:\n{trace}");
        }
        resume_unwind(panic);
    }
}

// ---------------------------------------------------------------------------------------------
// The sync protocol

/// A request frame as the sync codec reads it (`weft_net::codec`), then what the serving
/// side reads out of it before touching its own state: a sync frame's Automerge message and
/// changes (`weft_node::sync::read_frame`), a link's roster evidence.
pub fn wire_request(data: &[u8]) {
    guarded(data, wire_request_inner);
}

fn wire_request_inner(data: &[u8]) {
    let Ok(req) = Request::decode(data) else { return };
    let again = Request::decode(&req.encode());
    assert_eq!(again.as_ref(), Ok(&req), "a request does not survive writing and reading");
    match req {
        Request::Sync(frame) => {
            let _ = weft_node::sync::read_frame(frame);
        }
        Request::Link(link) => {
            let _ = prove_member(link.community, &link.evidence);
        }
        _ => {}
    }
}

/// A response frame as the sync codec reads it, then what the asking side reads out of it.
pub fn wire_response(data: &[u8]) {
    guarded(data, wire_response_inner);
}

fn wire_response_inner(data: &[u8]) {
    let Ok(res) = Response::decode(data) else { return };
    let again = Response::decode(&res.encode());
    assert_eq!(again.as_ref(), Ok(&res), "a response does not survive writing and reading");
    match res {
        Response::Sync(frame) => {
            let _ = weft_node::sync::read_frame(frame);
        }
        Response::Linked { community, evidence } => {
            let _ = prove_member(community, &evidence);
        }
        _ => {}
    }
}

/// Roster evidence as a link reads it (weft-node's `prove_member`): each change parsed
/// strictly, the founding one found by its hash, the roster read with signatures checked.
fn prove_member(community: CommunityId, evidence: &[WireChange]) -> Option<Roster> {
    let evidence: Vec<Evidence> = evidence
        .iter()
        .filter_map(|w| {
            Some(Evidence { change: parse_change(&w.bytes).ok()?, signature: ChangeSignature(w.signature?) })
        })
        .collect();
    let founding = evidence.iter().find(|e| CommunityId::from_genesis_hash(&e.change.hash()) == community)?;
    Roster::read(community, founding, &evidence).ok().map(|(roster, _)| roster)
}

// ---------------------------------------------------------------------------------------------
// Gossip

/// A gossip message. First byte even: the rest is a published frame, decoded and, if sealed
/// with [`GOSSIP_KEY`], opened and its payload read. Odd: the rest is a payload, which the
/// harness seals with [`GOSSIP_KEY`] first (a fuzzer cannot forge the seal).
pub fn gossip(data: &[u8]) {
    guarded(data, gossip_inner);
}

fn gossip_inner(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let key = DataKey::from_bytes(GOSSIP_KEY);
    if mode % 2 == 0 {
        gossip_frame(&key, rest);
    } else if let Ok((nonce, sealed)) = key.seal(rest) {
        gossip_frame(&key, &GossipFrame { key_id: key.id(), nonce, sealed }.encode());
    }
}

/// What weft-node's gossip judge does with a message: decode the frame, open it with the key
/// it names, decode the payload, parse each change strictly.
fn gossip_frame(key: &DataKey, bytes: &[u8]) {
    let Ok(frame) = GossipFrame::decode(bytes) else { return };
    assert_eq!(GossipFrame::decode(&frame.encode()).as_ref(), Ok(&frame), "a gossip frame does not round-trip");
    if frame.key_id != key.id() {
        return;
    }
    let Ok(opened) = key.open(&frame.nonce, &frame.sealed) else { return };
    let Ok(payload) = GossipPayload::decode(&opened) else { return };
    assert_eq!(GossipPayload::decode(&payload.encode()).as_ref(), Ok(&payload), "a gossip payload does not round-trip");
    for change in &payload.changes {
        let _ = parse_change(&change.bytes);
    }
}

// ---------------------------------------------------------------------------------------------
// Invitations

/// An invitation code or link as a person types or pastes it. One that parses must give
/// itself back from its own link, and its id and secret from its short code.
pub fn invite(data: &[u8]) {
    guarded(data, invite_inner);
}

fn invite_inner(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(code) = InviteCode::parse(&text) else { return };
    assert_eq!(InviteCode::parse(&code.link()).as_ref(), Ok(&code), "an invitation does not survive its link");
    let short = InviteCode::parse(&code.short());
    assert!(
        short.as_ref().is_ok_and(|s| s.invite == code.invite && s.secret == code.secret),
        "an invitation does not survive its short code"
    );
}

// ---------------------------------------------------------------------------------------------
// Automerge changes and bundles

/// What the bundle target verifies changes against: a small demo community founded by a fixed
/// identity (the same in every process), each document cut where that identity writes next
/// after its first [`CONTEXT_PREFIX`] changes, and the changes that came next (the corpus
/// generator's seeds).
#[derive(Debug)]
pub struct Context {
    /// The member whose device signs every fuzzed change (the harness holds its key, as a
    /// member's peer would sign what it writes).
    pub me: Identity,
    pub community: CommunityId,
    /// The documents as they were after their first changes, each with the people view its
    /// changes are verified against.
    pub docs: Vec<(Document, PeopleView)>,
    /// The demo's later changes, in order.
    pub later: Vec<(DocId, SignedChange)>,
}

/// How many changes of each document the context holds at least.
pub const CONTEXT_PREFIX: usize = 40;

/// The fuzzing context, built once per process (a few milliseconds).
pub fn context() -> &'static Context {
    static CONTEXT: OnceLock<Option<Context>> = OnceLock::new();
    let built = CONTEXT.get_or_init(|| {
        let me = Identity::certify(&SecretKey::from_bytes([0x31; 32]), SecretKey::from_bytes([0x32; 32]));
        let opts = DemoOptions { members: 3, seed: 7, today: Date::from_ymd(2026, 11, 22)?, name: None };
        let demo = weft_demo::generate(&me, "Ana", &opts).ok()?;
        let mut docs = Vec::new();
        let mut later = Vec::new();
        for d in &demo.documents {
            let id = d.id();
            let changes: Vec<&SignedChange> = demo.changes.iter().filter(|(i, _)| *i == id).map(|(_, c)| c).collect();
            // Cut where `me` writes next, so that change can be verified and applied here.
            let cut = (CONTEXT_PREFIX..changes.len())
                .find(|&i| Change::from_bytes(changes[i].bytes.clone()).is_ok_and(|c| c.actor_id() == &me.actor()))
                .unwrap_or(changes.len());
            let prefix: Vec<Vec<u8>> = changes[..cut].iter().map(|c| c.bytes.clone()).collect();
            docs.push(Document::load(id, None, &prefix).ok()?);
            later.extend(changes[cut..].iter().map(|c| (id, (*c).clone())));
        }
        // Learn each document's actors now, so that every input's copy starts with them.
        docs.iter().for_each(|d| {
            d.last_seq(&me.actor());
        });
        let people = PeopleView::read(docs.iter().find(|d| d.id().name == DocName::People)?.automerge());
        let docs = docs.into_iter().map(|d| (d, people.clone())).collect();
        Some(Context { me, community: demo.community, docs, later })
    });
    match built {
        Some(c) => c,
        None => panic!("the fuzzing context could not be built"),
    }
}

/// Changes as a peer sends them. First byte: mod 4 the format (0, the rest is a bundle; 1, a
/// single change; 2, a single change whose checksum the harness sets right first, so that a
/// mutated change gets past `parse_change`'s checksum to verification, as a hostile peer's
/// would; 3, a bundle read as roster evidence, as a linked neighbour's commons stores it),
/// divided by 4 the document of the [`context`] to take the changes into. A change that
/// parses is signed by the context's member and verified as sync verifies it; the ones that
/// pass are applied, and the document is read through every view.
pub fn bundle(data: &[u8]) {
    guarded(data, bundle_inner);
}

fn bundle_inner(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let ctx = context();
    let Some((doc, people)) = ctx.docs.get(usize::from(mode / 4) % ctx.docs.len().max(1)) else { return };
    match mode % 4 {
        0 => {
            let guarded = bundle_guard::check(rest);
            let parsed = parse_bundle(rest);
            assert!(guarded.is_ok() || parsed.is_err(), "a bundle the guard refuses parses");
            if let Ok(changes) = parsed {
                verify_apply_read(&ctx.me, doc, people, changes);
            }
        }
        1 | 2 => {
            let mut bytes = rest.to_vec();
            if mode % 4 == 2 {
                set_checksum(&mut bytes);
            }
            let guarded = bundle_guard::check_change(&bytes);
            let parsed = parse_change(&bytes);
            assert!(guarded.is_ok() || parsed.is_err(), "a change the guard refuses parses");
            if let Ok(change) = parsed {
                verify_apply_read(&ctx.me, doc, people, vec![change]);
            }
        }
        _ => {
            let Ok(changes) = parse_bundle(rest) else { return };
            let evidence: Vec<Evidence> =
                changes.into_iter().map(|change| Evidence { change, signature: ChangeSignature([0; 64]) }).collect();
            if let Some(founding) = evidence.first() {
                let community = CommunityId::from_genesis_hash(&founding.change.hash());
                let _ = Roster::read_verified(community, founding, &evidence);
            }
        }
    }
}

/// Sets an (uncompressed) change chunk's checksum to what its contents hash to: the first 4
/// bytes of the SHA-256 of its type, length and data, after the magic bytes and the checksum.
pub fn set_checksum(chunk: &mut [u8]) {
    if chunk.len() >= 9 {
        let hash = Sha256::digest(&chunk[8..]);
        chunk[4..8].copy_from_slice(&hash[..4]);
    }
}

/// Verifies changes as one run, as sync takes in a frame (`Verifier::verify_in_run`), each
/// signed by `me`; applies the ones that pass, as sync does, and reads every view. Only
/// verified changes are ever applied: Automerge panics on some changes that verification
/// refuses (ops in objects that do not exist).
fn verify_apply_read(me: &Identity, doc: &Document, people: &PeopleView, changes: Vec<Change>) {
    let mut doc = doc.clone();
    let verifier = Verifier::new(doc.id());
    let mut run = Run::default();
    let mut verified = Vec::new();
    for change in changes {
        let signature = me.sign_change(&doc.id(), &change.hash());
        if verifier.verify_in_run(&doc, people, &change, Some(&signature), &mut run).is_ok() {
            verified.push(change);
        }
    }
    if verified.is_empty() {
        return;
    }
    let applied = doc.apply(verified);
    assert!(applied.is_ok(), "verified changes do not apply: {applied:?}");
    read_views(doc.automerge());
}

/// Reads a document through every typed view (a record that breaks the schema is skipped,
/// never a panic).
fn read_views(doc: &Automerge) {
    let community = CommunityId::from_bytes(COMMUNITY);
    let _ = PeopleView::read(doc);
    let _ = weft_core::doc::board::BoardView::read(doc);
    let _ = weft_core::doc::ledger::LedgerView::read(doc);
    let _ = weft_core::doc::membership::Membership::read(doc);
    let _ = CommonsView::read(doc);
    let _ = commons::roster(doc, community);
    let _ = commons::stored_roster(doc, community);
    let _ = commons::live_links(doc);
    let _ = weft_core::doc::crews::read_all(doc, &BTreeSet::new());
    let _ = weft_core::doc::gatherings::read_all(doc);
    let _ = weft_core::doc::proposals::read_all(doc);
    let _ = weft_core::doc::series::read_all(doc);
}

// ---------------------------------------------------------------------------------------------
// Backups

/// A member's backup: a file, its recovery sheet as typed in, or its QR code as scanned.
/// First byte (mod 4): 0, the rest is a backup file, opened with [`BACKUP_PASSPHRASE`]; 1, the
/// rest is a backup's plaintext, which the harness seals first (see [`seal`]); 2, the rest is
/// the text of a recovery sheet; 3, the text of its QR code. A sheet or QR code that reads
/// must give the same bytes when written again, and those bytes are opened as a file.
///
/// A file names its own Argon2 parameters. `open` refuses any above 1 GiB and 20 passes
/// before running Argon2; parameters it accepts that are dearer than the least Argon2 allows
/// are lowered here (they are part of the authenticated header, so such a file then simply
/// does not open), so that every run stays cheap.
pub fn backup(data: &[u8]) {
    guarded(data, backup_inner);
}

fn backup_inner(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 4 {
        0 => open_cheaply(rest),
        1 => {
            if let Some(file) = seal::seal_plaintext(rest, BACKUP_PASSPHRASE) {
                let _ = backup::open(&file, BACKUP_PASSPHRASE);
            }
        }
        2 => {
            let Ok(bytes) = backup::parse_sheet(&String::from_utf8_lossy(rest)) else { return };
            let lines = backup::sheet_lines(&bytes).join("\n");
            assert_eq!(backup::parse_sheet(&lines).as_deref(), Ok(&bytes[..]), "a sheet does not round-trip");
            open_cheaply(&bytes);
        }
        _ => {
            let Ok(bytes) = backup::parse_qr_payload(&String::from_utf8_lossy(rest)) else { return };
            let payload = backup::qr_payload(&bytes);
            assert_eq!(backup::parse_qr_payload(&payload).as_deref(), Ok(&bytes[..]), "a QR code does not round-trip");
            open_cheaply(&bytes);
        }
    }
}

/// Where a backup file keeps its Argon2 memory, passes and lanes (u32 LE each).
const KDF_AT: usize = 12;

fn open_cheaply(file: &[u8]) {
    let mut file = file.to_vec();
    if let Some(params) = file.get_mut(KDF_AT..KDF_AT + 12) {
        let word = |i: usize| u32::from_le_bytes([params[i], params[i + 1], params[i + 2], params[i + 3]]);
        let kdf = Kdf { m_kib: word(0), t: word(4), p: word(8) };
        if kdf.check().is_ok() && kdf != Kdf::TEST {
            for (i, n) in [Kdf::TEST.m_kib, Kdf::TEST.t, Kdf::TEST.p].into_iter().enumerate() {
                params[4 * i..4 * i + 4].copy_from_slice(&n.to_le_bytes());
            }
        }
    }
    let _ = backup::open(&file, BACKUP_PASSPHRASE);
}

// ---------------------------------------------------------------------------------------------
// What this device stores (its database file)

/// A document snapshot as the store loads it (`Document::load`), read through every view.
pub fn snapshot(data: &[u8]) {
    guarded(data, snapshot_inner);
}

fn snapshot_inner(data: &[u8]) {
    let id = DocId { community: CommunityId::from_bytes(COMMUNITY), name: DocName::Board };
    if let Ok(doc) = Document::load(id, Some(data), &[]) {
        read_views(doc.automerge());
    }
}

/// Other stored bytes. First byte even: a commons read model (`ReadModel::decode`); odd: a
/// saved Automerge sync state.
pub fn stored(data: &[u8]) {
    guarded(data, stored_inner);
}

fn stored_inner(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        let _ = ReadModel::decode(rest);
    } else {
        let _ = automerge::sync::State::decode(rest);
    }
}

// ---------------------------------------------------------------------------------------------
// The local control socket

/// A control socket frame's body as `weft_node::control` reads it: a request (what the
/// serving process reads) and a reply's response (what a `weft` command reads).
/// One that reads must read the same again once written.
pub fn control(data: &[u8]) {
    guarded(data, control_inner);
}

fn control_inner(data: &[u8]) {
    json_round_trip::<weft_node::Request>(data);
    json_round_trip::<weft_node::Response>(data);
    json_round_trip::<weft_node::ApiError>(data);
}

fn json_round_trip<T>(data: &[u8])
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(data) else { return };
    let written = serde_json::to_vec(&value);
    assert!(written.is_ok(), "a control message that reads cannot be written: {value:?}");
    if let Ok(written) = written {
        let again = serde_json::from_slice::<T>(&written);
        assert!(
            again.as_ref().is_ok_and(|a| a == &value),
            "a control message does not round-trip: {value:?} {again:?}"
        );
    }
}
