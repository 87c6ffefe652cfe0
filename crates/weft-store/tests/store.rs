//! The store on real SQLite files: identity, locking, commits, compaction, migrations.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use proptest::prelude::*;
use weft_core::doc::board::PledgeAction;
use weft_core::doc::people::{self, PeopleView};
use weft_core::doc::{DocId, DocName, Document};
use weft_core::identity::{Identity, SignedChange};
use weft_core::model::{NewTask, Urgency};
use weft_core::{Date, Minutes, TaskId, Timestamp};
use weft_store::{Batch, DataDir, ReadModelRow, Store, StoreError};

fn open(dir: &std::path::Path) -> (DataDir, weft_store::DirLock, Store) {
    let data = DataDir::open(dir).unwrap();
    let lock = data.lock().unwrap();
    let store = Store::open(&data, &lock).unwrap();
    (data, lock, store)
}

/// A community with a board and some tasks, and every change that made it.
fn community(n_tasks: usize) -> (Identity, Vec<Document>, Vec<(DocId, SignedChange)>) {
    let today: Date = "2026-03-01".parse().unwrap();
    let now = Timestamp::midday(today);
    let (_, ana) = Identity::generate();
    let (community, people, genesis) = people::found(&ana, "Riverside", "Ana", now).unwrap();
    let view = PeopleView::read(people.automerge());
    let board_id = DocId { community, name: DocName::Board };
    let (mut board, board_genesis) = Document::from_genesis(board_id).unwrap();
    let mut changes = vec![(people.id(), genesis), (board_id, board_genesis)];
    for i in 0..n_tasks {
        let task = NewTask {
            title: format!("Task {i}"),
            description: String::new(),
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
        let id = TaskId::random();
        let c = board.add_task(id, &ana, &task, &view, today, now).unwrap();
        changes.push((board_id, c));
        if i % 2 == 0 {
            changes.push((board_id, board.set_pledge(&ana, id, PledgeAction::Pledge, &view, now).unwrap()));
        }
    }
    (ana, vec![people, board], changes)
}

fn batch(changes: &[(DocId, SignedChange)], name: &str) -> Batch {
    Batch { communities: vec![(changes[0].0.community, name.to_owned())], changes: changes.to_vec() }
}

#[test]
fn identity_round_trips_with_private_key_files() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, _l, mut store) = open(dir.path());
    assert!(store.identity().unwrap().is_none());
    let created = store.create_identity("Ana").unwrap();
    let loaded = store.identity().unwrap().unwrap();
    assert_eq!(loaded.name, "Ana");
    assert_eq!(loaded.identity.member(), created.identity.member());
    assert_eq!(loaded.identity.device(), created.identity.device());
    assert!(matches!(store.create_identity("Again"), Err(StoreError::AlreadyInitialised { name }) if name == "Ana"));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir.path()), 0o700);
    assert_eq!(mode(&dir.path().join("identity")), 0o700);
    assert_eq!(mode(&dir.path().join("identity/device.key")), 0o600);
    assert_eq!(mode(&dir.path().join("identity/member.key")), 0o600);
}

#[test]
fn a_swapped_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, _l, mut store) = open(dir.path());
    store.create_identity("Ana").unwrap();
    std::fs::write(dir.path().join("identity/device.key"), [7u8; 32]).unwrap();
    let err = store.identity().unwrap_err();
    assert!(matches!(err, StoreError::BadIdentity { .. }), "{err}");
    assert!(err.to_string().contains("device.key"), "{err}");
}

#[test]
fn one_writer_per_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::open(dir.path()).unwrap();
    let lock = data.lock().unwrap();
    let again = DataDir::open(dir.path()).unwrap();
    let err = again.lock().unwrap_err();
    assert!(matches!(err, StoreError::Busy { pid: Some(p), .. } if p == std::process::id()), "{err}");
    assert!(err.to_string().contains("used by another Weft process"));
    drop(lock);
    again.lock().unwrap();
}

#[test]
fn loose_permissions_are_tightened() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    DataDir::open(dir.path()).unwrap();
    assert_eq!(std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777, 0o700);
}

#[test]
fn a_neighbours_commons_is_stored_apart_from_our_communities_until_we_join_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, changes) = community(1);
    let id = changes[0].0.community;
    let commons = DocId { community: id, name: DocName::Commons };
    let (_, genesis) = Document::from_genesis(commons).unwrap();
    let (_d, _l, mut store) = open(dir.path());
    store.add_neighbour(id, "Riverside").unwrap();
    store.commit(&Batch { communities: Vec::new(), changes: vec![(commons, genesis)] }).unwrap();
    assert!(store.communities().unwrap().is_empty());
    assert_eq!(store.neighbours().unwrap()[0].name, "Riverside");
    assert!(store.load_doc(commons).unwrap().is_some());
    // Joining it makes it one of ours.
    store.commit(&batch(&changes, "Riverside")).unwrap();
    assert_eq!(store.communities().unwrap()[0].id, id);
    assert!(store.neighbours().unwrap().is_empty());
    store.add_neighbour(id, "Riverside").unwrap();
    assert!(store.neighbours().unwrap().is_empty(), "one of ours stays ours");
}

#[test]
fn commits_survive_reopening_and_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let (_, docs, changes) = community(20);
    {
        let (_d, _l, mut store) = open(dir.path());
        store.commit(&batch(&changes, "Riverside")).unwrap();
        store.commit(&batch(&changes, "Riverside")).unwrap();
        assert_eq!(store.log_size(docs[1].id()).unwrap().0, 1 + 20 + 10);
    }
    let (_d, _l, store) = open(dir.path());
    assert_eq!(store.communities().unwrap()[0].name, "Riverside");
    assert_eq!(store.doc_names(docs[0].id().community).unwrap(), vec![DocName::People, DocName::Board]);
    for doc in &docs {
        let loaded = store.load_doc(doc.id()).unwrap().unwrap();
        assert_eq!(loaded.heads(), doc.heads());
        assert_eq!(loaded.save(), doc.save());
    }
    assert_eq!(store.signatures(docs[1].id()).unwrap().len(), 30, "the genesis has no signature");
    store.check_integrity().unwrap();
}

#[test]
fn compaction_keeps_content_and_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let (_, docs, changes) = community(30);
    let (_d, _l, mut store) = open(dir.path());
    store.commit(&batch(&changes, "Riverside")).unwrap();
    let board = &docs[1];
    let before = store.signatures(board.id()).unwrap();
    let size_before = store.disk_usage().unwrap();
    store.compact(board).unwrap();
    assert_eq!(store.log_size(board.id()).unwrap().0, 0);
    assert!(store.disk_usage().unwrap() < size_before, "compaction gives the log's space back");
    assert_eq!(store.signatures(board.id()).unwrap(), before);
    // Re-committing compacted changes does not bring them back into the log.
    store.commit(&batch(&changes, "Riverside")).unwrap();
    assert_eq!(store.log_size(board.id()).unwrap().0, 0);
    let loaded = store.load_doc(board.id()).unwrap().unwrap();
    assert_eq!(loaded.heads(), board.heads());
    assert_eq!(loaded.save(), board.save());
}

#[test]
fn a_read_model_holds_until_a_change_is_stored_and_only_for_stored_heads() {
    let dir = tempfile::tempdir().unwrap();
    let (ana, docs, changes) = community(4);
    let (_d, _l, mut store) = open(dir.path());
    let (first, rest) = changes.split_at(changes.len() - 1);
    store.commit(&batch(first, "Riverside")).unwrap();
    let board = docs[1].id();
    let mut stored = store.load_doc(board).unwrap().unwrap();
    assert_eq!(store.read_model(board).unwrap(), None, "none kept yet");
    store.save_read_model(board, &stored.heads(), b"what the board reads as").unwrap();
    assert_eq!(
        store.read_model(board).unwrap(),
        Some(ReadModelRow { heads: stored.heads(), bytes: b"what the board reads as".to_vec() })
    );
    // It survives compaction (the content is the same) and reopening.
    store.compact(&stored).unwrap();
    drop((_d, _l, store));
    let (_d, _l, mut store) = open(dir.path());
    assert!(store.read_model(board).unwrap().is_some());
    // Committing a change the store already holds changes nothing; a new change outdates it.
    store.commit(&batch(first, "Riverside")).unwrap();
    assert!(store.read_model(board).unwrap().is_some());
    store.commit(&batch(rest, "Riverside")).unwrap();
    assert_eq!(store.read_model(board).unwrap(), None);
    // Heads the store does not hold (a change applied in memory whose commit failed) are no
    // read model of what is stored.
    let view = PeopleView::read(docs[0].automerge());
    let task = NewTask {
        title: "Never stored".into(),
        description: String::new(),
        sector: "food".parse().unwrap(),
        guild: None,
        skills: Default::default(),
        hours: Minutes::from_hours(1),
        slots: 1,
        urgency: Urgency::Normal,
        deadline: None,
        location: None,
        open_to_neighbours: false,
    };
    let today: Date = "2026-03-02".parse().unwrap();
    stored = store.load_doc(board).unwrap().unwrap();
    stored.add_task(TaskId::random(), &ana, &task, &view, today, Timestamp::midday(today)).unwrap();
    store.save_read_model(board, &stored.heads(), b"ahead of the store").unwrap();
    assert_eq!(store.read_model(board).unwrap(), None);
}

#[test]
fn a_database_from_a_newer_weft_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let conn = rusqlite_open(&dir.path().join("weft.sqlite3"));
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let data = DataDir::open(dir.path()).unwrap();
    let lock = data.lock().unwrap();
    let err = Store::open(&data, &lock).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { found: 99, .. }), "{err}");
}

fn rusqlite_open(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Commits in random slices with compactions in between: reopening always gives the
    /// documents as they are in memory.
    #[test]
    fn random_commits_and_compactions_reopen_to_the_same_documents(
        cuts in prop::collection::vec(1usize..8, 1..10),
        compact_after in prop::collection::vec(any::<bool>(), 10),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (_, docs, changes) = community(24);
        let (_d, _l, mut store) = open(dir.path());
        let mut at = 0;
        for (i, cut) in cuts.iter().enumerate() {
            let end = (at + cut).min(changes.len());
            store.commit(&Batch { communities: vec![(changes[0].0.community, "R".into())], changes: changes[at..end].to_vec() }).unwrap();
            at = end;
            if compact_after[i % compact_after.len()] {
                for doc in &docs {
                    if let Some(partial) = store.load_doc(doc.id()).unwrap() {
                        store.compact(&partial).unwrap();
                    }
                }
            }
        }
        // Whatever was left, and everything again: committing twice is harmless.
        store.commit(&batch(&changes, "R")).unwrap();
        for doc in &docs {
            let loaded = store.load_doc(doc.id()).unwrap().unwrap();
            let mut a = loaded.heads();
            let mut b = doc.heads();
            a.sort();
            b.sort();
            prop_assert_eq!(a, b);
        }
        store.check_integrity().unwrap();
    }
}
