//! Data directories from before: one made by an earlier release opens and is migrated (the
//! fixtures under `tests/fixtures/`), one made by a newer Weft is refused untouched, and a
//! damaged database is set aside with what could be read taken back.
// The tests print how long opening, checking and recovering took, and what was recovered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use weft_core::doc::DocName;
use weft_core::identity::SecretKey;
use weft_core::model::{NewTask, PledgeState, Urgency};
use weft_core::{Date, DeviceId, MemberId, Minutes};
use weft_node::api::{ExportFormatInput, RecoveryInfo, StatusInfo, TaskInput};
use weft_node::{Clock, ErrorCode, Node, NodeConfig, Request, Response};

/// The data directory the release with schema 4 (four migrations) left: see its README.
const FIXTURE_V4: &str = "tests/fixtures/data-dir-v4";

/// SQLite keeps `PRAGMA user_version` at this offset of the database file's header, as a
/// 32-bit big-endian integer.
const USER_VERSION_AT: usize = 60;
const PAGE: usize = 4096;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// A copy of a fixture data directory in a temporary directory, private as Weft makes them
/// (git keeps no modes).
fn copy_fixture(name: &str) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    let from = fixture(name);
    std::fs::create_dir(to.path().join("identity")).unwrap();
    for file in ["weft.sqlite3", "identity/member.key", "identity/device.key"] {
        std::fs::copy(from.join(file), to.path().join(file)).unwrap();
        std::fs::set_permissions(to.path().join(file), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    for dir in [to.path().to_path_buf(), to.path().join("identity")] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    to
}

/// The member and device of a data directory, from its key files.
fn keys_of(dir: &Path) -> (MemberId, DeviceId) {
    let key = |f: &str| SecretKey::from_bytes(std::fs::read(dir.join("identity").join(f)).unwrap().try_into().unwrap());
    (MemberId::from_bytes(key("member.key").public()), DeviceId::from_bytes(key("device.key").public()))
}

fn user_version(db: &Path) -> i64 {
    let bytes = std::fs::read(db).unwrap();
    i64::from(u32::from_be_bytes(bytes[USER_VERSION_AT..USER_VERSION_AT + 4].try_into().unwrap()))
}

/// Opens a data directory as the app does (the system clock).
async fn open(dir: &Path) -> Node {
    if let Ok(filter) = std::env::var("WEFT_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
    Node::open(NodeConfig { data_dir: dir.to_path_buf(), clock: Clock::system(0) }).await.unwrap()
}

async fn run(node: &Node, request: Request) -> Response {
    node.execute(request).await.unwrap()
}

async fn status(node: &Node) -> StatusInfo {
    match run(node, Request::Status).await {
        Response::Status(s) => s,
        other => panic!("{other:?}"),
    }
}

async fn whoami(node: &Node) -> (String, MemberId, DeviceId) {
    match run(node, Request::Whoami).await {
        Response::Identity(i) => (i.name, i.member, i.device),
        other => panic!("{other:?}"),
    }
}

async fn communities(node: &Node) -> Vec<String> {
    match run(node, Request::CommunityList).await {
        Response::Communities(c) => c.into_iter().map(|c| c.name).collect(),
        other => panic!("{other:?}"),
    }
}

async fn task_titled(node: &Node, title: &str) -> weft_node::api::TaskDetail {
    let Response::Tasks(tasks) = run(node, Request::TaskList { community: None, sector: None, open_only: false }).await
    else {
        panic!()
    };
    let id = tasks.iter().find(|t| t.task.title == title).unwrap_or_else(|| panic!("no task '{title}'")).task.id;
    match run(node, Request::TaskShow { task: id.to_string() }).await {
        Response::Task(t) => *t,
        other => panic!("{other:?}"),
    }
}

/// The year's hours as the ledger's CSV export has them: (member name, sector, minutes,
/// note, confirmed by).
async fn hours(node: &Node, year: i32) -> Vec<(String, String, u32, String, String)> {
    let Response::Export(e) = run(
        node,
        Request::Export { community: None, format: ExportFormatInput::Csv, doc: Some(DocName::Ledger(year)) },
    )
    .await
    else {
        panic!()
    };
    let text = String::from_utf8(data_encoding::BASE64.decode(e.base64.as_bytes()).unwrap()).unwrap();
    let mut rows: Vec<_> = text
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (f[3].to_owned(), f[4].to_owned(), f[8].parse().unwrap(), f[9].to_owned(), f[10].to_owned())
        })
        .collect();
    rows.sort();
    rows
}

fn new_task(title: &str) -> Request {
    Request::TaskAdd {
        community: None,
        task: TaskInput {
            task: NewTask {
                title: title.into(),
                description: String::new(),
                sector: "education".parse().unwrap(),
                guild: None,
                skills: Default::default(),
                hours: Minutes::from_hours(1),
                slots: 1,
                urgency: Urgency::Normal,
                deadline: None,
                location: None,
                open_to_neighbours: false,
            },
            guild_ref: None,
        },
    }
}

/// Everything the fixture was made with (scripts/make-data-dir-fixture.sh) is there, read by
/// this build.
async fn check_fixture_content(node: &Node, dir: &Path) {
    let (name, member, device) = whoami(node).await;
    assert_eq!((name.as_str(), member, device), ("Ana Fixture", keys_of(dir).0, keys_of(dir).1));
    assert_eq!(communities(node).await, ["Riverside"]);
    let Response::Members(members) = run(node, Request::Members { community: None }).await else { panic!() };
    let mut names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Ana Fixture", "Ben Fixture"]);
    let ana = members.iter().find(|m| m.is_me).unwrap();
    assert_eq!(ana.profile.skills.get(&"gardening".parse().unwrap()).map(|l| l.get()), Some(4));
    assert_eq!(ana.profile.hours_per_week, Minutes::from_hours(3));
    assert!(ana.profile.willing_to_travel);
    let Response::Guilds(guilds) = run(node, Request::Guilds { community: None }).await else { panic!() };
    assert_eq!(guilds.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["Growers"]);

    let weed = task_titled(node, "Weed the beds").await;
    assert_eq!((weed.summary.task.hours, weed.summary.task.slots), (Minutes::from_hours(2), 2));
    assert_eq!(weed.guild_name.as_deref(), Some("Growers"));
    assert_eq!(weed.summary.task.location.as_deref(), Some("Mill Lane garden"));
    assert_eq!(weed.my_pledge, Some(PledgeState::Pledged));
    assert_eq!(weed.hours_logged, Minutes::from_hours(2));
    let roof = task_titled(node, "Fix the shed roof").await;
    assert_eq!(roof.summary.task.urgency, Urgency::Urgent);
    assert_eq!(roof.open_flags, 1);
    let Response::Tasks(tasks) = run(node, Request::TaskList { community: None, sector: None, open_only: false }).await
    else {
        panic!()
    };
    assert_eq!(tasks.iter().filter(|t| t.task.title.starts_with("Delivery round ")).count(), 170);
    let round = task_titled(node, "Delivery round 170").await;
    assert_eq!(round.my_pledge, Some(PledgeState::Done));
    let apples = task_titled(node, "Harvest the apples").await;
    assert_eq!(apples.summary.task.deadline, Some("2030-09-30".parse::<Date>().unwrap()));
    assert_eq!(apples.summary.task.hours, Minutes(90));
    assert_eq!(apples.pledges.iter().map(|p| p.on).collect::<Vec<_>>(), [Some("2030-09-27".parse().unwrap())]);

    let Response::Proposals(proposals) = run(node, Request::Proposals { community: None, all: true }).await else {
        panic!()
    };
    assert_eq!(proposals.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(), ["Buy a safe ladder"]);

    let want = [
        ("Ana Fixture", "food", 120, "Front beds done", ""),
        ("Ana Fixture", "governance", 90, "Meeting notes", ""),
        ("Ben Fixture", "food", 60, "Compost turned", "Ana Fixture"),
    ];
    let got = hours(node, 2026).await;
    let got: Vec<(&str, &str, u32, &str, &str)> =
        got.iter().map(|(n, s, m, note, c)| (n.as_str(), s.as_str(), *m, note.as_str(), c.as_str())).collect();
    // (Hours this build logged today are in 2026's ledger too while it is 2026.)
    let fixture_notes: Vec<&str> = want.iter().map(|w| w.3).collect();
    let got: Vec<_> = got.into_iter().filter(|g| fixture_notes.contains(&g.3)).collect();
    assert_eq!(got, want);
}

fn this_year() -> i32 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    Date::of_timestamp(weft_core::Timestamp(i64::try_from(now.as_millis()).unwrap())).year()
}

#[tokio::test]
async fn the_v4_data_directory_opens_migrated_with_everything_in_it_and_takes_new_writes() {
    let started = std::time::Instant::now();
    let dir = copy_fixture(FIXTURE_V4);
    let db = dir.path().join("weft.sqlite3");
    assert_eq!(user_version(&db), 4, "the fixture is the release's, untouched");
    let node = open(dir.path()).await;
    check_fixture_content(&node, dir.path()).await;
    assert!(status(&node).await.recovered.is_none());

    // New writes on the migrated directory, and they survive reopening.
    run(&node, new_task("Teach the compost class")).await;
    let log = Request::Log {
        community: None,
        task: None,
        sector: Some("education".parse().unwrap()),
        minutes: Minutes(45),
        date: None,
        note: "Planned the class".into(),
    };
    run(&node, log).await;
    node.close().await;
    assert_eq!(user_version(&db), weft_store::SCHEMA_VERSION, "migrated to this build's schema");

    let node = open(dir.path()).await;
    check_fixture_content_after_writes(&node, dir.path()).await;
    node.close().await;
    assert!(!dir.path().read_dir().unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains("damaged")));
    eprintln!("fixture opened, checked, written and reopened in {:?}", started.elapsed());
}

async fn check_fixture_content_after_writes(node: &Node, dir: &Path) {
    let (_, member, _) = whoami(node).await;
    assert_eq!(member, keys_of(dir).0);
    let task = task_titled(node, "Teach the compost class").await;
    assert_eq!(task.summary.task.sector.as_str(), "education");
    assert!(task_titled(node, "Weed the beds").await.my_pledge.is_some());
    check_fixture_content(node, dir).await;
    let got = hours(node, this_year()).await;
    assert!(
        got.iter().any(|(n, s, m, note, _)| n == "Ana Fixture"
            && s == "education"
            && *m == 45
            && note == "Planned the class"),
        "{got:?}"
    );
}

#[tokio::test]
async fn a_data_directory_from_a_newer_weft_is_refused_and_left_untouched() {
    let dir = copy_fixture(FIXTURE_V4);
    let db = dir.path().join("weft.sqlite3");
    let mut bytes = std::fs::read(&db).unwrap();
    let newer = u32::try_from(weft_store::SCHEMA_VERSION + 1).unwrap();
    bytes[USER_VERSION_AT..USER_VERSION_AT + 4].copy_from_slice(&newer.to_be_bytes());
    std::fs::write(&db, &bytes).unwrap();
    let listing = |d: &Path| {
        let mut names: Vec<String> =
            d.read_dir().unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        names.sort();
        names
    };
    let before = listing(dir.path());

    let err = Node::open(NodeConfig { data_dir: dir.path().to_path_buf(), clock: Clock::system(0) }).await.unwrap_err();
    let api = weft_node::ApiError::from(err);
    assert_eq!(api.code, ErrorCode::Storage);
    assert!(api.message.contains("newer Weft"), "{}", api.message);
    assert!(std::fs::read(&db).unwrap() == bytes, "the database was changed");
    // Not set aside as damaged, and no WAL started beside it (only the lock was taken).
    let after: Vec<String> = listing(dir.path()).into_iter().filter(|n| n != "weft.lock").collect();
    assert_eq!(after, before);
}

/// The pages of a database file that hold `table` (SQLite's `dbstat`), of one page type
/// (`leaf`, `internal`, `overflow`) or all.
fn pages_of(db: &Path, table: &str, kind: Option<&str>) -> Vec<usize> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare("SELECT pageno, pagetype FROM dbstat WHERE name = ?1 ORDER BY pageno").unwrap();
    let pages: Vec<(i64, String)> =
        stmt.query_map([table], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap();
    pages
        .into_iter()
        .filter(|(_, k)| kind.is_none_or(|want| k == want))
        .map(|(p, _)| usize::try_from(p).unwrap())
        .collect()
}

/// Garbage over whole pages of a database file (numbered from 1, as SQLite does); returns
/// the damaged file's bytes.
fn damage_pages(db: &Path, pages: &[usize]) -> Vec<u8> {
    let mut bytes = std::fs::read(db).unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for page in pages {
        assert!(*page > 1, "the first page says the file is a database");
        for b in &mut bytes[(page - 1) * PAGE..page * PAGE] {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x.to_le_bytes()[0];
        }
    }
    std::fs::write(db, &bytes).unwrap();
    bytes
}

fn set_aside_copies(dir: &Path) -> Vec<PathBuf> {
    dir.read_dir()
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("weft.sqlite3.damaged-") && !name.ends_with("-wal") && !name.ends_with("-shm")
        })
        .collect()
}

fn recovery(status: &StatusInfo) -> &RecoveryInfo {
    status.recovered.as_ref().expect("the status reports the recovery")
}

/// What the store alone salvages from a copy of a damaged database file.
fn salvage_copy(damaged: &[u8]) -> weft_store::SetAside {
    let twin = tempfile::tempdir().unwrap();
    std::fs::write(twin.path().join("weft.sqlite3"), damaged).unwrap();
    let data = weft_store::DataDir::open(twin.path()).unwrap();
    let lock = data.lock().unwrap();
    weft_store::set_aside(&data, &lock).unwrap()
}

/// Opens a damaged copy of the fixture: the damaged file is set aside as it was, the identity
/// is the fixture's, and the status says what happened.
async fn open_damaged(dir: &Path, damaged: &[u8]) -> (Node, StatusInfo) {
    let node = open(dir).await;
    let copies = set_aside_copies(dir);
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert!(std::fs::read(&copies[0]).unwrap() == damaged, "the damaged file is kept as it was");
    let (_, member, device) = whoami(&node).await;
    assert_eq!((member, device), keys_of(dir));
    let s = status(&node).await;
    let r = recovery(&s);
    assert_eq!(Path::new(&r.set_aside), copies[0]);
    eprintln!("recovered: {r:#?}");
    (node, s)
}

/// How many changes a document of the (one) community holds, by the status.
fn changes_of(s: &StatusInfo, name: DocName) -> u64 {
    s.documents.iter().find(|d| d.name == name).map_or(0, |d| d.changes)
}

#[tokio::test]
async fn a_database_whose_snapshot_pages_are_garbage_is_set_aside_and_the_rest_comes_back() {
    let started = std::time::Instant::now();
    let dir = copy_fixture(FIXTURE_V4);
    let db = dir.path().join("weft.sqlite3");
    // The overflow pages of the documents' table: the board's snapshot (the only document of
    // the fixture big enough to need them), in the middle of the file.
    let pages = pages_of(&db, "documents", Some("overflow"));
    assert!(!pages.is_empty());
    let damaged = damage_pages(&db, &pages);
    let salvaged = salvage_copy(&damaged);
    let (node, s) = open_damaged(dir.path(), &damaged).await;
    let r = recovery(&s);
    assert!(!r.damage.is_empty(), "{r:?}");
    assert!(r.unreadable.iter().any(|u| u.contains("snapshot of") && u.contains("board")), "{r:?}");

    // Everything but the board is back, verified, as the salvage read it.
    assert_eq!(communities(&node).await, ["Riverside"]);
    assert_eq!(whoami(&node).await.0, "Ana Fixture");
    let salvaged_of = |name: DocName| salvaged.changes.iter().filter(|(d, _)| d.name == name).count() as u64;
    for name in [DocName::People, DocName::Ledger(2026), DocName::Commons] {
        assert_eq!(changes_of(&s, name), salvaged_of(name), "{name}");
    }
    let others = salvaged_of(DocName::People) + salvaged_of(DocName::Ledger(2026)) + salvaged_of(DocName::Commons);
    assert!(r.changes_saved >= others, "{r:?}");
    let Response::Members(members) = run(&node, Request::Members { community: None }).await else { panic!() };
    assert_eq!(members.len(), 2);
    let hours = hours(&node, 2026).await;
    assert_eq!(hours.len(), 3, "{hours:?}");
    // The board's changes logged after its snapshot wait for it: peers bring it back.
    assert!(r.unreadable.iter().any(|u| u.contains("wait for earlier changes")), "{r:?}");
    let Response::Tasks(tasks) =
        run(&node, Request::TaskList { community: None, sector: None, open_only: false }).await
    else {
        panic!()
    };
    assert!(tasks.is_empty(), "{} tasks", tasks.len());

    // The node goes on, on a fresh and sound database.
    run(&node, new_task("After the damage")).await;
    node.close().await;
    let node = open(dir.path()).await;
    assert!(status(&node).await.recovered.is_none(), "recovered once");
    assert_eq!(set_aside_copies(dir.path()).len(), 1);
    task_titled(&node, "After the damage").await;
    node.close().await;
    eprintln!("set aside and recovered in {:?}", started.elapsed());
}

#[tokio::test]
async fn a_database_whose_signature_pages_are_garbage_keeps_what_can_still_be_verified() {
    let dir = copy_fixture(FIXTURE_V4);
    let db = dir.path().join("weft.sqlite3");
    // Garbage over every leaf page of `known_changes`: the changes are readable, their
    // signatures are not.
    let damaged = damage_pages(&db, &pages_of(&db, "known_changes", Some("leaf")));
    let salvaged = salvage_copy(&damaged);
    assert!(!salvaged.changes.is_empty());
    let (node, s) = open_damaged(dir.path(), &damaged).await;
    let r = recovery(&s);
    // A change nobody signed cannot be taken again, so the people document cannot be
    // verified: the community waits, empty, for a member's peer, and the status says so.
    assert!(r.unreadable.iter().any(|u| u.starts_with("the signatures of")), "{r:?}");
    assert!(r.unreadable.iter().any(|u| u.contains("failed verification")), "{r:?}");
    assert!(r.unreadable.iter().any(|u| u.starts_with("the people document of")), "{r:?}");
    assert_eq!(r.communities.len(), 1);
    assert_eq!(changes_of(&s, DocName::People), 0);
    // The identity keeps its name from the salvaged identity row.
    assert_eq!(whoami(&node).await.0, "Ana Fixture");
    node.close().await;
}

#[tokio::test]
async fn a_file_that_is_no_database_is_set_aside_and_the_identity_kept_from_its_keys() {
    let dir = copy_fixture(FIXTURE_V4);
    let db = dir.path().join("weft.sqlite3");
    let len = std::fs::metadata(&db).unwrap().len() as usize;
    let noise: Vec<u8> = (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8).collect();
    std::fs::write(&db, &noise).unwrap();

    let node = open(dir.path()).await;
    let copies = set_aside_copies(dir.path());
    assert_eq!(copies.len(), 1);
    assert!(std::fs::read(&copies[0]).unwrap() == noise, "the file is kept as it was");
    let (name, member, device) = whoami(&node).await;
    assert_eq!((member, device), keys_of(dir.path()));
    assert_eq!(name, "me", "nothing says the name until a people document does");
    let s = status(&node).await;
    let r = recovery(&s);
    assert!(r.communities.is_empty() && r.changes_saved == 0, "{r:?}");
    assert!(r.unreadable.iter().any(|u| u.contains("whole database")), "{r:?}");
    assert!(communities(&node).await.is_empty());
    // The node works: the same member founds a community on the fresh database.
    run(&node, Request::CommunityCreate { name: "Fresh start".into() }).await;
    run(&node, new_task("First task again")).await;
    node.close().await;
    let node = open(dir.path()).await;
    assert_eq!(communities(&node).await, ["Fresh start"]);
    assert_eq!(whoami(&node).await.1, member);
    node.close().await;
}

/// Garbles bytes of a stored change where they lie in the database file, leaving SQLite's
/// pages well formed: the file passes SQLite's check, and the document no longer loads.
fn garble_change(db: &Path, change: &[u8]) {
    let mut bytes = std::fs::read(db).unwrap();
    let window = 24;
    let at = (window..change.len().saturating_sub(window))
        .step_by(window)
        .find_map(|from| {
            let needle = &change[from..from + window];
            bytes.windows(window).position(|w| w == needle)
        })
        .expect("the change is in the database file");
    for b in &mut bytes[at..at + window] {
        *b ^= 0x5a;
    }
    std::fs::write(db, &bytes).unwrap();
}

/// The change of a document that made the task with this title, as it is stored.
async fn change_adding(node: &Node, title: &str) -> Vec<u8> {
    let request = Request::Export { community: None, format: ExportFormatInput::Automerge, doc: Some(DocName::Board) };
    let Response::Export(e) = run(node, request).await else { panic!() };
    let board = automerge::Automerge::load(&data_encoding::BASE64.decode(e.base64.as_bytes()).unwrap()).unwrap();
    let change = board
        .get_changes(&[])
        .into_iter()
        .find(|c| c.raw_bytes().windows(title.len()).any(|w| w == title.as_bytes()))
        .expect("a change names the task");
    change.raw_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_whose_board_was_damaged_gets_every_task_back_from_a_peer() {
    let mut peers = common::community(2).await;
    let b = peers.pop().unwrap();
    let a = peers.pop().unwrap();
    common::until_members(&a.node, 2).await;
    common::until_members(&b.node, 2).await;
    for i in 0..6 {
        a.node.execute(common::task(&format!("Task {i}"))).await.unwrap();
    }
    let want = common::titles(&a.node).await;
    assert_eq!(want.len(), 6);
    common::until_titles(&b.node, &want).await;
    let (_, member, device) = whoami(&a.node).await;

    // A stops, and the change that added one of the tasks is damaged on disk.
    let change = change_adding(&a.node, "Task 2").await;
    let common::Peer { node, dir, .. } = a;
    node.stop_network().await;
    node.close().await;
    garble_change(&dir.path().join("weft.sqlite3"), &change);

    let node = Node::open(NodeConfig { data_dir: dir.path().to_path_buf(), clock: Clock::system(0) }).await.unwrap();
    assert_eq!(set_aside_copies(dir.path()).len(), 1);
    let s = status(&node).await;
    let r = recovery(&s);
    assert!(r.unreadable.iter().any(|u| u.contains("damaged")), "{r:?}");
    assert_eq!(r.communities.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Riverside"]);
    let (_, m, d) = whoami(&node).await;
    assert_eq!((m, d), (member, device));
    assert_eq!(common::member_count(&node).await, 2, "the people document was saved");
    let saved = common::titles(&node).await;
    assert!(!saved.contains(&"Task 2".to_owned()), "{saved:?}");
    assert!(saved.contains(&"Task 0".to_owned()), "the changes before it were saved: {saved:?}");

    // Back online, connected to B: every task comes back, verified.
    common::start(&node).await;
    node.dial(b.address.clone()).await.unwrap();
    common::until_titles(&node, &want).await;
    node.close().await;
    drop(dir);
}

/// The strongest case: nothing of A's database can be read, only its key files are left. A
/// knows neither its communities nor their members: it asks each peer that connects which
/// communities its device is a current device of (`Request::Rebuild`), and takes each from
/// whichever member's peer answered (a community rebuilt from peers).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_whose_database_was_destroyed_gets_everything_back_from_a_peer() {
    let mut peers = common::community(2).await;
    let b = peers.pop().unwrap();
    let a = peers.pop().unwrap();
    common::until_members(&b.node, 2).await;
    for i in 0..6 {
        a.node.execute(common::task(&format!("Task {i}"))).await.unwrap();
    }
    let want = common::titles(&a.node).await;
    common::until_titles(&b.node, &want).await;
    let (_, member, device) = whoami(&a.node).await;

    let common::Peer { node, dir, .. } = a;
    node.stop_network().await;
    node.close().await;
    let db = dir.path().join("weft.sqlite3");
    let len = std::fs::metadata(&db).unwrap().len() as usize;
    std::fs::write(&db, (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8).collect::<Vec<u8>>()).unwrap();

    let node = Node::open(NodeConfig { data_dir: dir.path().to_path_buf(), clock: Clock::system(0) }).await.unwrap();
    assert_eq!(whoami(&node).await.1, member);
    assert_eq!(whoami(&node).await.2, device);
    common::start(&node).await;
    node.dial(b.address.clone()).await.unwrap();
    common::until_titles(&node, &want).await;
    assert_eq!(communities(&node).await, ["Riverside"]);
    assert_eq!(common::member_count(&node).await, 2);
    node.close().await;
}
