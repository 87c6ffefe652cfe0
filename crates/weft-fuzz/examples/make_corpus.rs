//! Writes seed inputs for every fuzz target from real encodings: frames, gossip, invitations,
//! changes and bundles of a small demo community, backups, recovery sheets, snapshots, read
//! models and control messages. `cargo run -p weft-fuzz --example make-corpus [-- DIR]` (DIR
//! defaults to `fuzz/corpus`); each target's seeds go to `DIR/<target>/seed-*`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, Change, ChangeHash};
use weft_core::backup::{self, Backup, BackupCommunity, Kdf};
use weft_core::crypto::DataKey;
use weft_core::doc::commons::{CommonsView, ReadModel};
use weft_core::doc::{DocId, DocName};
use weft_core::identity::{Identity, SecretKey, SignedChange};
use weft_core::{CommunityId, DeviceId, MemberId, Timestamp};
use weft_demo::{DemoOptions, generate};
use weft_fuzz::{BACKUP_PASSPHRASE, GOSSIP_KEY};
use weft_net::Multiaddr;
use weft_net::invite::{CodeKind, InviteCode};
use weft_net::wire::*;

/// How many changes of each document the seeds take (a prefix is causally complete): enough
/// for every kind of record, few enough that the fuzzer's inputs stay small.
const PREFIX: usize = 40;

struct Out {
    dir: PathBuf,
    n: usize,
}

impl Out {
    fn put(&mut self, target: &str, name: &str, bytes: &[u8]) {
        let dir = self.dir.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
        self.n += 1;
    }
    fn put_mode(&mut self, target: &str, name: &str, mode: u8, bytes: &[u8]) {
        self.put(target, name, &[&[mode][..], bytes].concat());
    }
}

fn main() {
    let dir = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| Path::new("fuzz/corpus").to_path_buf());
    let mut out = Out { dir, n: 0 };

    let (member_key, me) = Identity::generate();
    let opts = DemoOptions { members: 3, seed: 7, today: "2026-11-22".parse().unwrap(), name: None };
    let demo = generate(&me, "Ana", &opts).unwrap();
    let community = demo.community;

    // Per document: the first changes as they were signed, and a document of just those.
    let mut docs: Vec<(DocId, Vec<SignedChange>, Automerge)> = Vec::new();
    for d in &demo.documents {
        let id = d.id();
        let signed: Vec<SignedChange> =
            demo.changes.iter().filter(|(i, _)| *i == id).map(|(_, c)| c.clone()).take(PREFIX).collect();
        let mut doc = Automerge::new();
        doc.apply_changes(signed.iter().map(|c| Change::from_bytes(c.bytes.clone()).unwrap())).unwrap();
        docs.push((id, signed, doc));
    }
    println!(
        "documents: {}",
        docs.iter().map(|(id, c, _)| format!("{} ({} changes)", id.name, c.len())).collect::<Vec<_>>().join(", ")
    );
    let people = docs.iter().find(|(id, _, _)| id.name == DocName::People).unwrap();
    let board = docs.iter().find(|(id, _, _)| id.name == DocName::Board).unwrap();

    // ---- sync protocol
    let manifest = Manifest {
        community,
        docs: docs
            .iter()
            .map(|(id, c, doc)| DocSummary { name: id.name, heads: doc.get_heads(), changes: c.len() as u64 })
            .collect(),
    };
    let mut frames = Vec::new();
    for (id, signed, doc) in &docs {
        // What a peer holding nothing asks, and what a peer holding the document answers.
        let mut empty = Automerge::new();
        let (mut theirs, mut ours) = (sync::State::new(), sync::State::new());
        // As Weft speaks the protocol (`Document::generate_sync`): version 1, no capabilities.
        let v1 = |mut m: sync::Message| {
            m.version = sync::MessageVersion::V1;
            m.flags = None;
            m
        };
        let ask = v1(empty.generate_sync_message(&mut theirs).unwrap());
        let mut full = doc.clone();
        full.receive_sync_message(&mut ours, ask.clone()).unwrap();
        let answer = v1(full.generate_sync_message(&mut ours).unwrap());
        let (ask_bytes, answer_bytes) = (ask.clone().encode(), answer.clone().encode());
        let signatures: Vec<(ChangeHash, [u8; 64])> =
            signed.iter().filter_map(|c| Some((c.hash, c.signature?.0))).take(4).collect();
        let frame = |message: Option<Vec<u8>>, bundle: Option<Vec<u8>>, signatures: Vec<_>| SyncFrame {
            community,
            doc: id.name,
            session: 42,
            round: 1,
            message,
            bundle,
            signatures,
            changes: signed.len() as u64,
        };
        frames.push(frame(Some(ask_bytes.clone()), None, vec![]));
        frames.push(frame(Some(answer_bytes), None, signatures.clone()));
        let hashes: Vec<ChangeHash> = signed.iter().map(|c| c.hash).collect();
        let bundle = doc.bundle(hashes).unwrap().bytes().to_vec();
        frames.push(frame(Some(ask_bytes), Some(bundle), signatures));
        let _ = empty.receive_sync_message(&mut theirs, answer);
    }
    frames.push(SyncFrame {
        community,
        doc: DocName::Ledger(2026),
        session: 1,
        round: 0,
        message: None,
        bundle: None,
        signatures: vec![],
        changes: 0,
    });
    let evidence: Vec<WireChange> = people
        .1
        .iter()
        .take(8)
        .map(|c| WireChange { bytes: c.bytes.clone(), signature: c.signature.map(|s| s.0) })
        .collect();
    let device = me.device();
    let mut requests = vec![
        Request::Manifest(manifest.clone()),
        Request::Join(JoinRequest {
            invite: [1; 12],
            secret: [2; 16],
            member: me.member(),
            device,
            cert: me.cert().0,
            name: "Bea".into(),
        }),
        Request::Link(LinkRequest { invite: [3; 12], secret: [4; 16], community, evidence: evidence.clone() }),
        Request::DeviceLink(DeviceLinkRequest { pairing: [5; 12], secret: [6; 16], device, label: "laptop".into() }),
        Request::Restore(Box::new(RestoreRequest {
            member: me.member(),
            device,
            cert: [7; 64],
            vouched_by: DeviceId::from_bytes([8; 32]),
            vouch: [9; 64],
            label: "new laptop".into(),
            revoke: vec![DeviceId::from_bytes([10; 32])],
        })),
        Request::Rebuild,
    ];
    requests.extend(frames.iter().cloned().map(Request::Sync));
    for (i, r) in requests.iter().enumerate() {
        out.put("wire_request", &format!("{i:02}"), &r.encode());
    }
    let mut responses = vec![
        Response::Manifest(manifest),
        Response::Joined { community },
        Response::Linked { community, evidence },
        Response::DeviceLinked {
            member: me.member(),
            member_key: member_key.to_bytes(),
            name: "Ana".into(),
            communities: vec![community, CommunityId::from_bytes([3; 16])],
        },
        Response::Restored { communities: vec![community] },
        Response::Refused(Refusal { code: RefusalCode::InviteExpired, reason: "the invitation expired".into() }),
        Response::Refused(Refusal { code: RefusalCode::Pending, reason: String::new() }),
    ];
    responses.extend(frames.iter().cloned().map(Response::Sync));
    for (i, r) in responses.iter().enumerate() {
        out.put("wire_response", &format!("{i:02}"), &r.encode());
    }

    // ---- gossip: frames sealed with the target's key (mode 0) and payloads (mode 1)
    let key = DataKey::from_bytes(GOSSIP_KEY);
    for (i, (id, signed, _)) in docs.iter().enumerate() {
        for (j, chunk) in signed.chunks(3).take(2).enumerate() {
            let payload = GossipPayload {
                community,
                doc: id.name,
                changes: chunk
                    .iter()
                    .map(|c| WireChange { bytes: c.bytes.clone(), signature: c.signature.map(|s| s.0) })
                    .collect(),
            }
            .encode();
            let (nonce, sealed) = key.seal(&payload).unwrap();
            out.put_mode(
                "gossip",
                &format!("frame-{i}-{j}"),
                0,
                &GossipFrame { key_id: key.id(), nonce, sealed }.encode(),
            );
            out.put_mode("gossip", &format!("payload-{i}-{j}"), 1, &payload);
        }
    }
    let other = DataKey::from_bytes([1; 32]);
    let (nonce, sealed) = other.seal(b"not for this key").unwrap();
    out.put_mode("gossip", "other-key", 0, &GossipFrame { key_id: other.id(), nonce, sealed }.encode());

    // ---- invitations
    let addresses: Vec<Multiaddr> = [
        "/ip4/192.168.1.20/udp/4001/quic-v1/p2p/12D3KooWGzBFMrMcVFbC5ZBuUq9Qe4SrMjeoDz3Xzer7Ptk9Hf3Z",
        "/dns4/relay.example.org/tcp/4001/p2p/12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq/p2p-circuit",
        "/ip6/::1/tcp/4001",
    ]
    .iter()
    .map(|a| a.parse().unwrap())
    .collect();
    let codes = [
        InviteCode { invite: [1; 12], secret: [2; 16], community: None, kind: CodeKind::Member, addresses: vec![] },
        InviteCode {
            invite: [3; 12],
            secret: [4; 16],
            community: Some(community),
            kind: CodeKind::Member,
            addresses: addresses.clone(),
        },
        InviteCode {
            invite: [5; 12],
            secret: [6; 16],
            community: Some(community),
            kind: CodeKind::Neighbour,
            addresses: addresses[..1].to_vec(),
        },
        InviteCode {
            invite: [7; 12],
            secret: [8; 16],
            community: None,
            kind: CodeKind::Device,
            addresses: addresses[2..].to_vec(),
        },
    ];
    for (i, c) in codes.iter().enumerate() {
        out.put("invite", &format!("short-{i}"), c.short().as_bytes());
        out.put("invite", &format!("link-{i}"), c.link().as_bytes());
    }
    out.put("invite", "spaced", format!("  {}  ", codes[0].short().to_uppercase().replace('-', " ")).as_bytes());

    // ---- changes and bundles (first byte: mod 4 the format, 0 bundle, 1 change, 2 change
    // with its checksum set by the harness, 3 roster evidence; divided by 4 the context's
    // document). The changes `me` wrote next in each
    // document of the fuzzing context, which verify and apply there, and one by another member.
    let ctx = weft_fuzz::context();
    for (k, (doc, _)) in ctx.docs.iter().enumerate() {
        let id = doc.id();
        let name = id.name.to_string().replace('/', "-");
        let later: Vec<&SignedChange> = ctx.later.iter().filter(|(i, _)| *i == id).map(|(_, c)| c).collect();
        let mine: Vec<Change> = later
            .iter()
            .map(|c| Change::from_bytes(c.bytes.clone()).unwrap())
            .take_while(|c| c.actor_id() == &ctx.me.actor())
            .take(12)
            .collect();
        let mode = u8::try_from(4 * k).unwrap();
        if !mine.is_empty() {
            let mut full = doc.automerge().clone();
            full.apply_changes(mine.clone()).unwrap();
            let bundle = full.bundle(mine.iter().map(|c| c.hash())).unwrap();
            out.put_mode("bundle", &format!("bundle-{name}"), mode, bundle.bytes());
        }
        for (j, c) in mine.iter().take(3).enumerate() {
            out.put_mode("bundle", &format!("change-{name}-{j}"), mode + 1, c.raw_bytes());
            out.put_mode("bundle", &format!("checksummed-{name}-{j}"), mode + 2, c.raw_bytes());
        }
        if let Some(other) =
            later.iter().find(|c| Change::from_bytes(c.bytes.clone()).unwrap().actor_id() != &ctx.me.actor())
        {
            out.put_mode("bundle", &format!("other-{name}"), mode + 1, &other.bytes);
        }
    }
    let people_hashes: Vec<ChangeHash> = people.1.iter().map(|c| c.hash).collect();
    out.put_mode("bundle", "roster", 3, people.2.bundle(people_hashes).unwrap().bytes());

    // ---- backups (mode 0 file, 1 plaintext, 2 sheet, 3 QR code)
    let recovery = SecretKey::generate();
    let made = Backup {
        member: MemberId::from_bytes(member_key.public()),
        member_key: SecretKey::from_bytes(member_key.to_bytes()),
        name: "Ana Lima".into(),
        devices: vec![
            (device, "Ana's laptop".into()),
            (DeviceId::from_bytes(recovery.public()), "recovery sheet".into()),
        ],
        recovery_key: recovery,
        communities: vec![BackupCommunity {
            id: community,
            name: "Riverside".into(),
            addresses: vec![addresses[0].to_string()],
            keys: vec![DataKey::from_bytes([9; 32])],
        }],
        made_at: Timestamp(1_773_489_600_000),
    };
    let file = backup::seal(&made, BACKUP_PASSPHRASE, Kdf::TEST).unwrap();
    assert!(backup::open(&file, BACKUP_PASSPHRASE).is_ok());
    out.put_mode("backup", "file", 0, &file);
    out.put_mode("backup", "plaintext", 1, &weft_fuzz::seal::open_plaintext(&file, BACKUP_PASSPHRASE).unwrap());
    out.put_mode("backup", "sheet", 2, backup::sheet_lines(&file).join("\n").as_bytes());
    out.put_mode("backup", "qr", 3, backup::qr_payload(&file).as_bytes());
    let mut dear = file.clone();
    dear[12..16].copy_from_slice(&(1u32 << 20).to_le_bytes());
    out.put_mode("backup", "dear-params", 0, &dear);

    // ---- snapshots, read models, sync states
    for (id, _, doc) in &docs {
        out.put("snapshot", &id.name.to_string().replace('/', "-"), &doc.save());
    }
    let commons = Automerge::new();
    out.put_mode("stored", "read-model-empty", 0, &ReadModel::encode_parts(&CommonsView::read(&commons), None));
    let mut state = sync::State::new();
    let b = board.2.clone();
    let _ = b.generate_sync_message(&mut state);
    out.put_mode("stored", "sync-state", 1, &state.encode());

    // ---- the control socket
    let control: Vec<serde_json::Value> = vec![
        serde_json::to_value(weft_node::Request::Init { name: "Ana".into() }).unwrap(),
        serde_json::to_value(weft_node::Request::Whoami).unwrap(),
        serde_json::to_value(weft_node::Request::Invite { community: Some(community.to_string()), uses: 1, hours: 48 })
            .unwrap(),
        serde_json::to_value(weft_node::Request::Restore {
            backup: "AAAA".into(),
            passphrase: "x".into(),
            label: "l".into(),
            revoke: vec!["all".into()],
        })
        .unwrap(),
        serde_json::to_value(weft_node::Response::LinkWords(vec!["apple".into(), "river".into()])).unwrap(),
        serde_json::to_value(weft_node::ApiError::new(weft_node::ErrorCode::NotInitialised, "no identity")).unwrap(),
    ];
    for (i, v) in control.iter().enumerate() {
        out.put("control", &format!("{i:02}"), &serde_json::to_vec(v).unwrap());
    }

    println!("wrote {} seeds under {}", out.n, out.dir.display());
}
