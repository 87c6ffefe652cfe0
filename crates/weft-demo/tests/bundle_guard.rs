//! weft-core's bundle guard against the board of a year of a demo community: what a catch-up
//! really sends, how large it inflates, how many rows it holds against the caps, and what the
//! guard costs beside Automerge's own reading. (The guard's own tests, on hand-made chunks and
//! a board written in the test, are in weft-core.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;
use std::time::Instant;

use automerge::{Change, ChangeHash};
use weft_core::bundle_guard::{MAX_BUNDLE_INFLATED, MAX_BUNDLE_ROWS, check, check_change};
use weft_core::identity::Identity;
use weft_core::verify::{parse_bundle, parse_change};
use weft_demo::{DemoOptions, generate};

/// A compressed change chunk's type byte (after the magic bytes and the checksum).
const CHUNK_TYPE_COMPRESSED_CHANGE: u8 = 2;

/// The year of a 60-member board: its bundle of every change, and the changes one by one,
/// made once.
fn board() -> &'static (Vec<u8>, Vec<Change>) {
    static BOARD: OnceLock<(Vec<u8>, Vec<Change>)> = OnceLock::new();
    BOARD.get_or_init(|| {
        let (_, me) = Identity::generate();
        let opts = DemoOptions { members: 60, seed: 1, today: "2026-11-22".parse().unwrap(), name: None };
        let demo = generate(&me, "Ana", &opts).unwrap();
        let board = demo.documents[1].automerge();
        let all = board.get_changes(&[]);
        let bundle = board.bundle(all.iter().map(|c| c.hash())).unwrap().bytes().to_vec();
        (bundle, all)
    })
}

fn sorted_hashes<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Vec<ChangeHash> {
    let mut hashes: Vec<ChangeHash> = changes.into_iter().map(|c| c.hash()).collect();
    hashes.sort();
    hashes
}

/// The length of a chunk's data, as its header says (after the magic bytes, the checksum and
/// the type byte, a LEB128 number).
fn data_len(chunk: &[u8]) -> usize {
    let mut n = 0usize;
    for (i, byte) in chunk[9..].iter().enumerate() {
        n |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return n;
        }
    }
    panic!("no length in the chunk's header")
}

#[test]
fn a_year_of_a_board_inflates_to_a_plausible_size() {
    let (bundle, all) = board();
    let one_by_one: usize = all.iter().map(|c| c.raw_bytes().len()).sum();
    let ops: usize = all.iter().map(|c| c.len()).sum();
    let deps: usize = all.iter().map(|c| c.deps().len()).sum();

    // The quickest of three runs of each.
    let timed = |f: &dyn Fn()| {
        (0..3)
            .map(|_| {
                let started = Instant::now();
                f();
                started.elapsed()
            })
            .min()
            .unwrap()
    };
    let shape = check(bundle).unwrap();
    let changes = parse_bundle(bundle).unwrap();
    let guard = timed(&|| assert!(check(bundle).is_ok()));
    let whole = timed(&|| assert!(parse_bundle(bundle).is_ok()));
    let automerge = timed(&|| {
        assert!(automerge::Bundle::try_from(&bundle[..]).unwrap().to_changes().is_ok());
    });
    eprintln!(
        "{} changes, {ops} ops, {deps} deps: bundle {} B, inflated {} B, one by one {} B; rows: {} change, {} op; \
         guard {guard:?}, Automerge alone {automerge:?}, parse_bundle (with guard) {whole:?}",
        all.len(),
        bundle.len(),
        shape.inflated,
        one_by_one,
        shape.change_rows,
        shape.op_rows,
    );
    assert_eq!(sorted_hashes(&changes), sorted_hashes(all));
    // Compressed columns there are, and they inflate; but to less than the changes one by
    // one, and far less than the cap.
    let inflated = shape.inflated;
    assert!(inflated > 2 * bundle.len(), "{inflated} against {}", bundle.len());
    assert!(inflated < one_by_one, "{inflated} against {one_by_one}");
    assert!(inflated < MAX_BUNDLE_INFLATED / 10);

    // The guard counts the rows Automerge reads: the longest change columns are the
    // changes' dependencies, the longest op columns the ops (or their predecessors, fewer).
    assert_eq!(shape.change_rows as usize, deps.max(all.len()));
    assert_eq!(shape.op_rows as usize, ops);
    // A frame's bundle of 6 MiB of such changes would hold a tenth of the cap.
    let per_frame = ops as f64 * (6 << 20) as f64 / one_by_one as f64;
    assert!(per_frame * 9.0 < MAX_BUNDLE_ROWS as f64, "{per_frame}");
    assert!(per_frame * 11.0 > MAX_BUNDLE_ROWS as f64, "{per_frame}");
}

/// Every change of the year, as Weft sends it and compressed, passes the guard with its ops
/// counted, and `parse_change` reads it.
#[test]
fn the_changes_of_a_year_pass_one_by_one() {
    let (_, all) = board();
    let mut compressed = 0;
    for c in all {
        let mut c = c.clone();
        let ops = c.len() as u64;
        let preds: u64 = c.decode().operations.iter().map(|op| op.pred.len() as u64).sum();
        let raw = c.raw_bytes().to_vec();
        let shape = check_change(&raw).unwrap();
        assert_eq!((shape.inflated, shape.change_rows, shape.op_rows), (data_len(&raw), 0, ops.max(preds)));
        assert_eq!(parse_change(&raw).unwrap().hash(), c.hash());
        let packed = c.bytes().to_vec();
        if packed[8] == CHUNK_TYPE_COMPRESSED_CHANGE {
            compressed += 1;
            assert_eq!(check_change(&packed).unwrap(), shape);
            assert_eq!(parse_change(&packed).unwrap().hash(), c.hash());
        }
    }
    assert!(compressed > 100, "{compressed}");

    // What the guard adds to reading them all, the quickest of three.
    let raw: Vec<&[u8]> = all.iter().map(|c| c.raw_bytes()).collect();
    let timed = |f: &dyn Fn(&[u8]) -> bool| {
        (0..3)
            .map(|_| {
                let started = Instant::now();
                assert!(raw.iter().all(|bytes| f(bytes)));
                started.elapsed()
            })
            .min()
            .unwrap()
    };
    let guard = timed(&|bytes| check_change(bytes).is_ok());
    let automerge = timed(&|bytes| Change::from_bytes(bytes.to_vec()).is_ok());
    let whole = timed(&|bytes| parse_change(bytes).is_ok());
    eprintln!(
        "{} changes one by one: guard {guard:?}, Automerge alone {automerge:?}, parse_change (with guard) {whole:?}",
        raw.len()
    );
}
