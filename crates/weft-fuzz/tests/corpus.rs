//! Replays every committed fuzz input through its target on stable Rust, in the ordinary test
//! run: the corpora (`fuzz/corpus/<target>`, what the fuzzer found worth keeping) and the
//! regressions (`fuzz/regressions/<target>`, inputs that once crashed a decoder). No input
//! may panic. Fuzzing itself (nightly, libFuzzer) is `scripts/fuzz.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("wire_request", weft_fuzz::wire_request),
    ("wire_response", weft_fuzz::wire_response),
    ("gossip", weft_fuzz::gossip),
    ("invite", weft_fuzz::invite),
    ("bundle", weft_fuzz::bundle),
    ("backup", weft_fuzz::backup),
    ("snapshot", weft_fuzz::snapshot),
    ("stored", weft_fuzz::stored),
    ("control", weft_fuzz::control),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

fn replay(kind: &str) -> usize {
    let mut failed = Vec::new();
    let mut n = 0;
    for (target, run) in TARGETS {
        for file in inputs(&fuzz_dir().join(kind).join(target)) {
            let data = std::fs::read(&file).unwrap();
            if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
                failed.push(file.display().to_string());
            }
            n += 1;
        }
    }
    assert!(failed.is_empty(), "these inputs panic their target: {failed:#?}");
    n
}

#[test]
fn every_corpus_input_is_refused_or_read_without_a_panic() {
    let n = replay("corpus");
    // Every target has its corpus (a missing directory would silently replay nothing).
    for (target, _) in TARGETS {
        assert!(!inputs(&fuzz_dir().join("corpus").join(target)).is_empty(), "no corpus for {target}");
    }
    assert!(n > 0);
}

#[test]
fn every_regression_input_is_refused_or_read_without_a_panic() {
    replay("regressions");
}

/// Every target has its cargo-fuzz binary, and every binary a target here.
#[test]
fn every_target_has_its_fuzz_binary() {
    let mut bins: Vec<String> = inputs(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    bins.sort();
    let mut targets: Vec<String> = TARGETS.iter().map(|(t, _)| (*t).to_owned()).collect();
    targets.sort();
    assert_eq!(bins, targets);
}

/// The backup target's own sealing (to reach the plaintext decoder) writes what
/// `weft_core::backup::open` reads.
#[test]
fn the_harness_seals_backups_as_weft_does() {
    use weft_core::backup::{self, Backup, Kdf};
    use weft_core::identity::SecretKey;
    use weft_core::{DeviceId, MemberId, Timestamp};

    let member_key = SecretKey::generate();
    let recovery_key = SecretKey::generate();
    let made = Backup {
        member: MemberId::from_bytes(member_key.public()),
        member_key,
        name: "Ana".into(),
        devices: vec![(DeviceId::from_bytes(recovery_key.public()), "sheet".into())],
        recovery_key,
        communities: vec![],
        made_at: Timestamp(1_773_489_600_000),
    };
    let pass = weft_fuzz::BACKUP_PASSPHRASE;
    let file = backup::seal(&made, pass, Kdf::TEST).unwrap();
    let plaintext = weft_fuzz::seal::open_plaintext(&file, pass).unwrap();
    let again = weft_fuzz::seal::seal_plaintext(&plaintext, pass).unwrap();
    assert_eq!(backup::open(&again, pass).unwrap().member, made.member);
}

/// The bundle target's context is the same in every process (its seeds, written by the
/// corpus generator in another, must verify in it): the change its member wrote next in each
/// document verifies there.
#[test]
fn the_next_change_of_the_context_verifies_in_it() {
    use automerge::Change;
    use weft_core::verify::Verifier;

    let ctx = weft_fuzz::context();
    let mut verified = 0;
    for (doc, people) in &ctx.docs {
        let Some((_, next)) = ctx.later.iter().find(|(id, _)| *id == doc.id()) else { continue };
        // The harness's checksum is Automerge's (a change as written keeps its own).
        assert_eq!(next.bytes[8], 1, "an uncompressed change chunk");
        let mut checksummed = next.bytes.clone();
        weft_fuzz::set_checksum(&mut checksummed);
        assert_eq!(checksummed, next.bytes);
        let change = Change::from_bytes(next.bytes.clone()).unwrap();
        assert_eq!(change.actor_id(), &ctx.me.actor());
        let signature = ctx.me.sign_change(&doc.id(), &change.hash());
        Verifier::new(doc.id()).verify(doc, people, &change, Some(&signature)).unwrap();
        verified += 1;
    }
    assert!(verified >= 2, "only {verified} documents have a next change");
}
