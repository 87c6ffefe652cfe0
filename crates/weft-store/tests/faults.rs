//! The store on a full disk: a write it cannot finish is refused whole, with its own error,
//! and the store works again once there is room. (Crashes at the store's crash points are
//! tested through the node, in `crates/weft-node/tests/crash_points.rs`.)
#![allow(clippy::unwrap_used)]

use weft_core::doc::people::{self, PeopleView};
use weft_core::doc::{DocId, DocName, Document};
use weft_core::identity::SignedChange;
use weft_core::model::{NewTask, Urgency};
use weft_core::{Date, Minutes, TaskId, Timestamp};
use weft_store::{Batch, DataDir, Store, StoreError};

fn open(dir: &std::path::Path) -> (DataDir, weft_store::DirLock, Store) {
    let data = DataDir::open(dir).unwrap();
    let lock = data.lock().unwrap();
    let store = Store::open(&data, &lock).unwrap();
    (data, lock, store)
}

/// A community's board with `n` tasks (long random descriptions, so they take room even
/// compressed, as in a snapshot), and every change.
fn board(n: usize) -> (Document, Vec<(DocId, SignedChange)>) {
    let today: Date = "2026-03-01".parse().unwrap();
    let now = Timestamp::midday(today);
    let (_, ana) = weft_core::identity::Identity::generate();
    let (community, people, genesis) = people::found(&ana, "Riverside", "Ana", now).unwrap();
    let view = PeopleView::read(people.automerge());
    let board_id = DocId { community, name: DocName::Board };
    let (mut board, board_genesis) = Document::from_genesis(board_id).unwrap();
    let mut changes = vec![(people.id(), genesis), (board_id, board_genesis)];
    for i in 0..n {
        let task = NewTask {
            title: format!("Task {i}"),
            description: (0..40).map(|_| TaskId::random().to_string()).collect::<Vec<_>>().join(" "),
            sector: "food".parse().unwrap(),
            guild: None,
            skills: Default::default(),
            hours: Minutes::from_hours(2),
            slots: 2,
            urgency: Urgency::Normal,
            deadline: None,
            location: None,
            open_to_neighbours: false,
        };
        changes.push((board_id, board.add_task(TaskId::random(), &ana, &task, &view, today, now).unwrap()));
    }
    (board, changes)
}

fn batch(changes: &[(DocId, SignedChange)]) -> Batch {
    Batch { communities: vec![(changes[0].0.community, "Riverside".into())], changes: changes.to_vec() }
}

fn snapshot_and_log(dir: &std::path::Path, doc: DocId) -> (bool, i64) {
    let conn = rusqlite::Connection::open(dir.join("weft.sqlite3")).unwrap();
    conn.query_row(
        "SELECT d.snapshot IS NOT NULL, (SELECT count(*) FROM changes c WHERE c.doc = d.id)
         FROM documents d WHERE d.community = ?1 AND d.name = ?2",
        [doc.community.to_string(), doc.name.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

#[test]
fn a_full_disk_refuses_a_batch_whole_and_the_store_works_again_once_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let (board, changes) = board(60);
    let (_d, _l, mut store) = open(dir.path());
    store.commit(&batch(&changes[..12])).unwrap();
    let board_id = board.id();
    let stored = store.load_doc(board_id).unwrap().unwrap().heads();

    store.limit_growth(Some(2)).unwrap();
    let refused = store.commit(&batch(&changes[12..]));
    assert!(matches!(refused, Err(StoreError::DiskFull)), "{refused:?}");
    assert_eq!(
        refused.unwrap_err().to_string(),
        "the disk is full: this was not saved. Free some space and try again; nothing saved before is lost"
    );
    // Nothing of the batch, everything from before; reading works on a full disk.
    assert_eq!(store.load_doc(board_id).unwrap().unwrap().heads(), stored);
    assert_eq!(store.change_count(board_id).unwrap(), 11);
    store.quick_check().unwrap();

    store.limit_growth(None).unwrap();
    store.commit(&batch(&changes[12..])).unwrap();
    assert_eq!(store.load_doc(board_id).unwrap().unwrap().heads(), board.heads());
    store.check_integrity().unwrap();
}

#[test]
fn compaction_on_a_full_disk_leaves_the_log_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (board, changes) = board(40);
    let (_d, _l, mut store) = open(dir.path());
    store.commit(&batch(&changes)).unwrap();
    let id = board.id();
    assert_eq!(snapshot_and_log(dir.path(), id), (false, 41));

    // The snapshot needs pages the log does not free until the transaction commits.
    store.limit_growth(Some(0)).unwrap();
    let refused = store.compact(&board);
    assert!(matches!(refused, Err(StoreError::DiskFull)), "{refused:?}");
    assert_eq!(snapshot_and_log(dir.path(), id), (false, 41), "the old rows are intact");
    assert_eq!(store.load_doc(id).unwrap().unwrap().heads(), board.heads());

    store.limit_growth(None).unwrap();
    store.compact(&board).unwrap();
    assert_eq!(snapshot_and_log(dir.path(), id), (true, 0));
    assert_eq!(store.load_doc(id).unwrap().unwrap().save(), board.save());
    store.check_integrity().unwrap();
}

#[test]
fn no_room_for_a_key_file_is_a_full_disk_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, _l, mut store) = open(dir.path());
    // `/dev/full` answers every write with ENOSPC, as a full file system does.
    let keys = dir.path().join("identity");
    std::fs::create_dir(&keys).unwrap();
    std::os::unix::fs::symlink("/dev/full", keys.join(".member.key.tmp")).unwrap();
    let refused = store.create_identity("Ana");
    assert!(matches!(refused, Err(StoreError::DiskFull)), "{refused:?}");
    assert!(!keys.join(".member.key.tmp").exists(), "the temporary file is removed");
    assert!(store.identity().unwrap().is_none());
    assert_eq!(store.create_identity("Ana").unwrap().name, "Ana");
}

#[test]
fn an_unarmed_crash_point_does_nothing() {
    // This process has no WEFT_CRASH_AT (the test would not have got here otherwise).
    for point in weft_store::fault::points::ALL {
        weft_store::crash_point(point);
    }
}
