//! A damaged database: the quick check finds it, `set_aside` moves it away and salvages what
//! it can, `restore_identity` writes the identity again from the key files.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::Path;

use weft_core::doc::board::PledgeAction;
use weft_core::doc::people::{self, PeopleView};
use weft_core::doc::{DocId, DocName, Document};
use weft_core::identity::{Identity, SignedChange};
use weft_core::model::{NewTask, Urgency};
use weft_core::{Date, Minutes, TaskId, Timestamp};
use weft_store::{Batch, DataDir, DirLock, SCHEMA_VERSION, Store, StoreError};

fn open(dir: &Path) -> (DataDir, DirLock, Store) {
    let data = DataDir::open(dir).unwrap();
    let lock = data.lock().unwrap();
    let store = Store::open(&data, &lock).unwrap();
    (data, lock, store)
}

/// A data directory with an identity, a community whose people document and board were
/// compacted into snapshots, and more board changes logged after them. Returns every change.
fn filled(dir: &Path) -> Vec<(DocId, SignedChange)> {
    let (_d, _l, mut store) = open(dir);
    let stored = store.create_identity("Ana").unwrap();
    let ana = stored.identity;
    let today: Date = "2026-03-01".parse().unwrap();
    let now = Timestamp::midday(today);
    let (community, people, genesis) = people::found(&ana, "Riverside", "Ana", now).unwrap();
    let view = PeopleView::read(people.automerge());
    let board_id = DocId { community, name: DocName::Board };
    let (mut board, board_genesis) = Document::from_genesis(board_id).unwrap();
    let mut changes = vec![(people.id(), genesis), (board_id, board_genesis)];
    for i in 0..60 {
        let task = NewTask {
            title: format!("Task {i} {}", "with a longer description ".repeat(i % 5)),
            description: "x".repeat(200),
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
        changes.push((board_id, board.add_task(id, &ana, &task, &view, today, now).unwrap()));
        if i % 2 == 0 {
            changes.push((board_id, board.set_pledge(&ana, id, PledgeAction::Pledge, &view, now).unwrap()));
        }
        if i == 29 {
            store
                .commit(&Batch { communities: vec![(community, "Riverside".into())], changes: changes.clone() })
                .unwrap();
            store.compact(&people).unwrap();
            store.compact(&board).unwrap();
        }
    }
    store.commit(&Batch { communities: vec![(community, "Riverside".into())], changes: changes.clone() }).unwrap();
    store.check_integrity().unwrap();
    changes
}

fn damaged_copies(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("weft.sqlite3.damaged-"))
        .collect()
}

#[test]
fn a_sound_database_set_aside_gives_back_every_change_with_its_signature() {
    let dir = tempfile::tempdir().unwrap();
    let changes = filled(dir.path());
    let data = DataDir::open(dir.path()).unwrap();
    let lock = data.lock().unwrap();
    let saved = weft_store::set_aside(&data, &lock).unwrap();
    assert!(saved.path.exists());
    assert!(!dir.path().join("weft.sqlite3").exists());
    assert_eq!(damaged_copies(dir.path()), vec![saved.path.clone()]);
    assert_eq!(saved.identity_name.as_deref(), Some("Ana"));
    assert_eq!(saved.communities, vec![(changes[0].0.community, "Riverside".to_owned())]);
    assert!(saved.unreadable.is_empty(), "{:?}", saved.unreadable);
    let want: HashSet<(DocId, [u8; 32], Option<[u8; 64]>)> =
        changes.iter().map(|(d, c)| (*d, c.hash.0, c.signature.map(|s| s.0))).collect();
    let got: HashSet<(DocId, [u8; 32], Option<[u8; 64]>)> =
        saved.changes.iter().map(|(d, c)| (*d, c.hash.0, c.signature.map(|s| s.0))).collect();
    assert_eq!(got, want);
    // The salvage only read the copy: it is as sound as it was.
    let copy = rusqlite::Connection::open(&saved.path).unwrap();
    let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    // A fresh database opens in its place.
    let store = Store::open(&data, &lock).unwrap();
    assert!(store.identity().unwrap().is_none());
    assert!(store.communities().unwrap().is_empty());
}

#[test]
fn the_identity_is_restored_from_the_key_files_with_the_same_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (data, lock, mut store) = open(dir.path());
    let before = store.create_identity("Ana").unwrap().identity;
    drop(store);
    weft_store::set_aside(&data, &lock).unwrap();
    let mut store = Store::open(&data, &lock).unwrap();
    let (member_key, device_key) = weft_store::read_keys(&data).unwrap().unwrap();
    let restored = store.restore_identity(member_key.clone(), device_key.clone(), "Ana").unwrap();
    assert_eq!(restored.identity.member(), before.member());
    assert_eq!(restored.identity.device(), before.device());
    assert_eq!(restored.identity.cert(), before.cert());
    let loaded = store.identity().unwrap().unwrap();
    assert_eq!((loaded.name.as_str(), loaded.identity.device()), ("Ana", before.device()));
    assert!(matches!(
        store.restore_identity(member_key, device_key, "Again"),
        Err(StoreError::AlreadyInitialised { name }) if name == "Ana"
    ));
}

#[test]
fn restoring_other_keys_than_the_key_files_hold_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (data, lock, mut store) = open(dir.path());
    store.create_identity("Ana").unwrap();
    drop(store);
    weft_store::set_aside(&data, &lock).unwrap();
    let mut store = Store::open(&data, &lock).unwrap();
    let (other_member, other) = Identity::generate();
    let err = store.restore_identity(other_member, other.device_key().clone(), "Eve").unwrap_err();
    assert!(matches!(err, StoreError::BadIdentity { .. }), "{err}");
    assert!(store.identity().unwrap().is_none());
}

#[test]
fn a_directory_without_keys_has_none_and_half_a_pair_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _lock, mut store) = open(dir.path());
    assert!(weft_store::read_keys(&data).unwrap().is_none());
    store.create_identity("Ana").unwrap();
    std::fs::remove_file(dir.path().join("identity/device.key")).unwrap();
    assert!(matches!(weft_store::read_keys(&data), Err(StoreError::BadIdentity { .. })));
}

#[test]
fn garbage_in_the_middle_is_found_and_what_is_readable_is_salvaged() {
    let dir = tempfile::tempdir().unwrap();
    let changes = filled(dir.path());
    let file = dir.path().join("weft.sqlite3");
    let mut bytes = std::fs::read(&file).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page, "{} bytes", bytes.len());
    // Garbage over two pages after the first (the schema), none over the rest.
    let mut x: u32 = 12345;
    for b in &mut bytes[3 * page..5 * page] {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 16) as u8;
    }
    std::fs::write(&file, &bytes).unwrap();

    let data = DataDir::open(dir.path()).unwrap();
    let lock = data.lock().unwrap();
    let found = match Store::open(&data, &lock) {
        Ok(store) => store.quick_check().unwrap_err(),
        Err(e) => e,
    };
    assert!(found.is_corrupt(), "{found}");
    let saved = weft_store::set_aside(&data, &lock).unwrap();
    assert!(saved.path.exists());
    assert!(!saved.unreadable.is_empty());
    // Whatever came back is what was stored, byte for byte.
    let stored: HashSet<[u8; 32]> = changes.iter().map(|(_, c)| c.hash.0).collect();
    for (_, c) in &saved.changes {
        assert!(stored.contains(&c.hash.0));
        assert_eq!(automerge::Change::from_bytes(c.bytes.clone()).unwrap().hash(), c.hash);
    }
    let store = Store::open(&data, &lock).unwrap();
    store.quick_check().unwrap();
}

#[test]
fn a_file_that_is_no_database_is_set_aside_with_nothing_saved() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let file = dir.path().join("weft.sqlite3");
    let noise: Vec<u8> = (0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&file, &noise).unwrap();
    let data = DataDir::open(dir.path()).unwrap();
    let lock = data.lock().unwrap();
    let err = Store::open(&data, &lock).unwrap_err();
    assert!(err.is_corrupt(), "{err}");
    let saved = weft_store::set_aside(&data, &lock).unwrap();
    assert_eq!(std::fs::read(&saved.path).unwrap(), noise);
    assert!(saved.changes.is_empty() && saved.communities.is_empty() && saved.identity_name.is_none());
    assert!(saved.unreadable.iter().any(|u| u.contains("whole database")), "{:?}", saved.unreadable);
}

#[test]
fn a_database_from_a_newer_weft_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    filled(dir.path());
    let file = dir.path().join("weft.sqlite3");
    {
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        // As a newer Weft might have left it: another journal mode.
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&file).unwrap();
    let data = DataDir::open(dir.path()).unwrap();
    let lock = data.lock().unwrap();
    let err = Store::open(&data, &lock).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found, known } if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION)
    );
    assert!(!err.is_corrupt());
    assert!(err.to_string().contains("newer Weft"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), before, "the file was changed");
    assert!(!dir.path().join("weft.sqlite3-wal").exists());
}
