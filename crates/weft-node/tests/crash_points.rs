//! The process killed in the middle of compaction and of taking in a received sync batch.
//!
//! Each case runs a child process (this test binary again, one `#[ignore]`d test, with
//! `WEFT_CRASH_AT` naming a crash point: `weft_store::fault`) that works on a copy of a
//! prepared data directory until it reaches the point and aborts. The parent checks that the
//! child died of SIGABRT at that very point (it writes a line saying so just before), then opens
//! the directory: SQLite's integrity check passes, the database is in the state the point says
//! (the transaction whole or not at all), the node opens it as it is (nothing set aside), every
//! change reported done before the crash is there, and after syncing with the other peer, and
//! a newcomer joining, everyone holds the same documents (every change verified again on its
//! way) and nobody was penalised.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod inproc;

use std::collections::BTreeSet;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use inproc::{MIDYEAR, Net, integrity, my_entries, others_entries};
use weft_core::{CommunityId, EntryId, Timestamp};
use weft_store::fault::{CRASH_AT_VAR, CRASH_MARKER, points};

/// Where the child finds its data directories.
const DIR_VAR: &str = "WEFT_CRASH_TEST_DIR";
/// How long a child may take before the test gives up on it.
const CHILD_LIMIT: Duration = Duration::from_secs(120);
/// What a child prints for each write reported done.
const DONE: &str = "DONE ";

fn base_dir() -> tempfile::TempDir {
    match ["/dev/shm"].iter().map(PathBuf::from).find(|p| p.is_dir()) {
        Some(shm) => tempfile::tempdir_in(shm).unwrap(),
        None => tempfile::tempdir().unwrap(),
    }
}

/// A later wall clock for each phase (each process starts its clock afresh).
fn wall(phase: i64) -> Timestamp {
    Timestamp(MIDYEAR.0 + phase * 3_600_000)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// What a child did: the entries it reported done, and how it ended.
struct Crashed {
    done: Vec<EntryId>,
    stdout: String,
    stderr: String,
}

/// Runs the `#[ignore]`d test `test` of this binary in a child process with `point` armed, on
/// `dir`, and checks that it died at that point (SIGABRT, its marker line last on stderr).
fn crash_child(test: &str, point: &str, dir: &Path) -> Crashed {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--ignored", "--nocapture", "--test-threads=1"])
        .env(CRASH_AT_VAR, point)
        .env(DIR_VAR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Both pipes are read to their end on threads; the end of stderr is the child's end.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        s
    });
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    let Ok(stderr) = rx.recv_timeout(CHILD_LIMIT) else {
        let _ = child.kill();
        panic!("the child for {point} did not end within {CHILD_LIMIT:?}");
    };
    let status = child.wait().unwrap();
    let stdout = stdout.join().unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGABRT),
        "the child for {point} was to abort there; it ended {status:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let marker = format!("{CRASH_MARKER}{point}");
    assert_eq!(
        stderr.lines().rev().find(|l| !l.trim().is_empty()),
        Some(marker.as_str()),
        "the child aborted, but not at {point}:\n{stderr}"
    );
    // (The test runner's "test NAME ... " has no line end of its own: a marker may follow it.)
    let done = stdout
        .lines()
        .filter_map(|l| l.find(DONE).map(|at| &l[at + DONE.len()..]))
        .map(|id| id.trim().parse().unwrap())
        .collect();
    Crashed { done, stdout, stderr }
}

/// The child's directory, if this runs as a child (else the test has nothing to do).
fn child_dir() -> Option<PathBuf> {
    std::env::var_os(DIR_VAR).map(PathBuf::from)
}

fn set(ids: impl IntoIterator<Item = EntryId>) -> BTreeSet<EntryId> {
    ids.into_iter().collect()
}

/// A query on a data directory's database, from outside the node.
fn query(dir: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(dir.join("weft.sqlite3")).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn community(net: &mut Net) -> CommunityId {
    net.peers[0].core.communities()[0]
}

/// After a crash: the node opens the directories as they are, a newcomer joins through the
/// crashed peer (taking in, verified, every change it holds), and everyone converges.
fn converge_with_a_newcomer(run: &Path) -> Net {
    let (ana, ben, cy) = (run.join("ana"), run.join("ben"), run.join("cy"));
    let mut net = Net::open(&[(&ana, "Ana"), (&ben, "Ben"), (&cy, "Cy")], wall(3));
    for p in 0..2 {
        let Ok(weft_node::Response::Status(status)) = net.write(p, weft_node::Request::Status) else {
            panic!("no status")
        };
        assert!(status.recovered.is_none(), "the database was opened as it was, not set aside");
    }
    let c = community(&mut net);
    net.connect(0, 1);
    net.join(2, 0, c);
    net.connect(1, 2);
    assert!(net.converge(c, Duration::from_secs(300)), "the three peers converge");
    assert!(net.incidents().is_empty(), "nobody was penalised: {:?}", net.incidents());
    net
}

// ---- compaction -------------------------------------------------------------------------

/// Ana and Ben, a community, Ana's ledger one change short of compaction, and everything
/// synced. Returns Ana's entries.
fn prepare_compaction(base: &Path) -> Vec<EntryId> {
    let (ana, ben) = (base.join("ana"), base.join("ben"));
    let mut net = Net::open(&[(&ana, "Ana"), (&ben, "Ben")], wall(0));
    let c = net.found(0, "Riverside");
    net.join(1, 0, c);
    net.run_for(Duration::from_secs(5));
    net.log(1, "Ben's").unwrap();
    let mut done = Vec::new();
    // The ledger's log: its genesis, Ben's entry, and these: 499 changes.
    for i in 0..497 {
        done.push(net.log(0, &format!("before {i}")).unwrap().id);
    }
    assert!(net.converge(c, Duration::from_secs(120)));
    done
}

/// The child: Ana logs a few hours more (each reported done on stdout), her ledger's log
/// passes 500 changes, jobs pause, and compaction runs — until the armed point aborts it.
#[test]
#[ignore = "a child process of killed_during_compaction"]
fn compaction_child() {
    let Some(dir) = child_dir() else { return };
    let mut net = Net::open(&[(&dir.join("ana"), "Ana")], wall(1));
    for i in 0..3 {
        let e = net.log(0, &format!("in the child {i}")).unwrap();
        println!("{DONE}{}", e.id);
    }
    net.run_for(Duration::from_secs(2));
    println!("NO CRASH");
}

#[test]
fn killed_during_compaction() {
    let started = std::time::Instant::now();
    let base = base_dir();
    let prepared = base.path().join("prepared");
    let before = prepare_compaction(&prepared);
    let ledger = "(SELECT id FROM documents WHERE name LIKE 'ledger/%')";
    for point in [
        points::COMPACTION_SNAPSHOT_WRITTEN,
        points::COMPACTION_LOG_DELETED,
        points::COMPACTION_COMMITTED,
        points::COMPACTION_VACUUMED,
    ] {
        let run = base.path().join(point.replace(':', "-"));
        copy_dir(&prepared, &run);
        let crashed = crash_child("compaction_child", point, &run);
        assert_eq!(crashed.done.len(), 3, "{point}: {}\n{}", crashed.stdout, crashed.stderr);
        let ana = run.join("ana");

        // The database as the crash left it: whole, and the compaction all or nothing.
        assert_eq!(integrity(&ana), "ok", "{point}");
        let snapshot = query(&ana, &format!("SELECT snapshot IS NOT NULL FROM documents WHERE id = {ledger}"));
        let log = query(&ana, &format!("SELECT count(*) FROM changes WHERE doc = {ledger}"));
        let known = query(&ana, &format!("SELECT count(*) FROM known_changes WHERE doc = {ledger}"));
        assert_eq!(known, 1 + 1 + 497 + 3, "{point}: every change of the ledger is known, with its signature");
        let compacted = matches!(point, points::COMPACTION_COMMITTED | points::COMPACTION_VACUUMED);
        if compacted {
            assert_eq!((snapshot, log), (1, 0), "{point}: the compaction was committed");
        } else {
            assert_eq!((snapshot, log), (0, known), "{point}: the compaction was rolled back whole");
        }
        // Between the commit and the vacuum, freed pages wait in the free list.
        let free = query(&ana, "PRAGMA freelist_count");
        assert_eq!(free > 0, point == points::COMPACTION_COMMITTED, "{point}: {free} free pages");

        // Every write reported done, before the child and in it, is there.
        let mut net = Net::open(&[(&ana, "Ana")], wall(2));
        let all = set(before.iter().copied().chain(crashed.done.iter().copied()));
        assert_eq!(set(my_entries(&mut net, 0)), all, "{point}");
        drop(net);

        let mut net = converge_with_a_newcomer(&run);
        for p in 1..3 {
            let others = set(others_entries(&mut net, p));
            assert!(crashed.done.iter().all(|e| others.contains(e)), "{point}: peer {p} holds the child's entries");
        }
    }
    println!("killed during compaction at 4 points: {:?}", started.elapsed());
}

// ---- a received sync batch -----------------------------------------------------------------

/// Number of Ana's entries written while Ben is away: one sync batch for Ben.
const BATCH: usize = 40;

/// Ana and Ben in a community, Ben's hours on both; then Ana logs `BATCH` hours while Ben is
/// away. Returns Ben's entries and Ana's batch.
fn prepare_batch(base: &Path) -> (Vec<EntryId>, Vec<EntryId>) {
    let (ana, ben) = (base.join("ana"), base.join("ben"));
    let mut net = Net::open(&[(&ana, "Ana"), (&ben, "Ben")], wall(0));
    let c = net.found(0, "Riverside");
    net.join(1, 0, c);
    net.run_for(Duration::from_secs(5));
    let ben_done: Vec<EntryId> = (0..3).map(|i| net.log(1, &format!("Ben {i}")).unwrap().id).collect();
    assert!(net.converge(c, Duration::from_secs(60)));
    net.disconnect(0, 1);
    net.run_for(Duration::from_secs(1));
    let batch = (0..BATCH).map(|i| net.log(0, &format!("while Ben was away {i}")).unwrap().id).collect();
    (ben_done, batch)
}

/// The child: Ana and Ben meet again, and Ben takes in Ana's batch — until the armed point
/// aborts it. (Ana has nothing to take in from Ben, so the point is Ben's.)
#[test]
#[ignore = "a child process of killed_while_taking_in_a_sync_batch"]
fn sync_batch_child() {
    let Some(dir) = child_dir() else { return };
    let mut net = Net::open(&[(&dir.join("ana"), "Ana"), (&dir.join("ben"), "Ben")], wall(1));
    net.connect(0, 1);
    net.run_for(Duration::from_secs(120));
    println!("NO CRASH");
}

#[test]
fn killed_while_taking_in_a_sync_batch() {
    let started = std::time::Instant::now();
    let base = base_dir();
    let prepared = base.path().join("prepared");
    let (ben_done, batch) = prepare_batch(&prepared);
    for point in [
        points::SYNC_BATCH_APPLIED,
        points::SYNC_BATCH_HALF_STORED,
        points::SYNC_BATCH_BEFORE_COMMIT,
        points::SYNC_BATCH_STORED,
    ] {
        let run = base.path().join(point.replace(':', "-"));
        copy_dir(&prepared, &run);
        crash_child("sync_batch_child", point, &run);
        let (ana, ben) = (run.join("ana"), run.join("ben"));
        assert_eq!(integrity(&ana), "ok", "{point}");
        assert_eq!(integrity(&ben), "ok", "{point}");

        // Ben holds his own hours, and Ana's batch whole or not at all.
        let mut net = Net::open(&[(&ben, "Ben")], wall(2));
        assert_eq!(set(my_entries(&mut net, 0)), set(ben_done.iter().copied()), "{point}");
        let others = set(others_entries(&mut net, 0));
        let taken = batch.iter().filter(|e| others.contains(e)).count();
        let expected = if point == points::SYNC_BATCH_STORED { BATCH } else { 0 };
        assert_eq!(taken, expected, "{point}: Ben stored {taken} of the batch's {BATCH} entries");
        drop(net);

        // Ana has not lost anything either; once they meet again Ben has it all.
        let mut net = Net::open(&[(&ana, "Ana")], wall(2));
        let mine = set(my_entries(&mut net, 0));
        assert!(batch.iter().all(|e| mine.contains(e)), "{point}");
        drop(net);
        let mut net = converge_with_a_newcomer(&run);
        for p in 1..3 {
            let others = set(others_entries(&mut net, p));
            assert!(batch.iter().all(|e| others.contains(e)), "{point}: peer {p} holds Ana's batch");
        }
    }
    println!("killed while taking in a sync batch at 4 points: {:?}", started.elapsed());
}
