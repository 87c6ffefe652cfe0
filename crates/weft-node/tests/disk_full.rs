//! A full disk under a running node, through `Core` and SQLite's own full-disk error (the
//! database may grow by only a few pages more: `Core::limit_store_growth`). Writes are refused
//! in words, nothing reported done is lost, memory never keeps what the disk refused (so it is
//! never gossiped), a peer's changes that could not be stored are not taken in, reads work
//! throughout, and once there is room again everything works and the peers converge.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod inproc;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use inproc::{MIDYEAR, Net, integrity, my_entries, others_entries};
use weft_core::doc::{DocId, DocName};
use weft_core::{CommunityId, EntryId, Minutes, Timestamp};
use weft_node::api::TaskInput;
use weft_node::error::{ErrorDetail, Refusal};
use weft_node::{ApiError, ErrorCode, Request, Response};

const DISK_FULL: &str =
    "the disk is full: this was not saved. Free some space and try again; nothing saved before is lost";

fn assert_disk_full(e: &ApiError) {
    assert_eq!(e.code, ErrorCode::Storage, "{e:?}");
    assert_eq!(e.detail, Some(ErrorDetail::Refused(Refusal::DiskFull)), "{e:?}");
    assert_eq!(e.message, DISK_FULL);
}

fn base_dir() -> tempfile::TempDir {
    // RAM-backed where there is one: fsyncs are cheap there.
    match ["/dev/shm"].iter().map(PathBuf::from).find(|p| p.is_dir()) {
        Some(shm) => tempfile::tempdir_in(shm).unwrap(),
        None => tempfile::tempdir().unwrap(),
    }
}

fn set(ids: &[EntryId]) -> BTreeSet<EntryId> {
    ids.iter().copied().collect()
}

/// Fills `peer`'s disk by logging hours: the database may grow by a few pages more, then
/// SQLite says SQLITE_FULL. Long notes until one does not fit, then shorter ones into what
/// room is left, down to none: at the end not even an empty note fits. Every entry reported
/// done goes to `done`, and the heads after the last one to `heads`.
fn fill(net: &mut Net, peer: usize, c: CommunityId, done: &mut Vec<EntryId>, heads: &mut Heads) {
    net.peers[peer].core.limit_store_growth(Some(3)).unwrap();
    let note = "watering the seedlings in the far beds, then the compost. ".repeat(15);
    let mut refused = 0;
    for len in [note.len(), 200, 40, 0] {
        for i in 0..2_000 {
            match net.log(peer, &format!("{i} {}", &note[..len])) {
                Ok(e) => {
                    done.push(e.id);
                    *heads = net.heads(peer, c);
                }
                Err(e) => {
                    assert_disk_full(&e);
                    refused += 1;
                    break;
                }
            }
        }
    }
    assert_eq!(refused, 4, "the disk filled up");
}

type Heads = Option<std::collections::BTreeMap<DocName, Vec<automerge::ChangeHash>>>;

fn task(title: &str, description: &str) -> Request {
    Request::TaskAdd {
        community: None,
        task: TaskInput {
            task: weft_core::model::NewTask {
                title: title.into(),
                description: description.into(),
                sector: "food".parse().unwrap(),
                guild: None,
                skills: Default::default(),
                hours: Minutes::from_hours(2),
                slots: 2,
                urgency: weft_core::model::Urgency::Normal,
                deadline: None,
                location: None,
                open_to_neighbours: false,
            },
            guild_ref: None,
        },
    }
}

/// Ana founds, Ben joins, Ana logs a few hours and both hold them; then Ana's disk fills.
/// Returns the net, the community, Ana's entries reported done, and her heads after the last.
fn full_disk(ana_dir: &std::path::Path, ben_dir: &std::path::Path) -> (Net, CommunityId, Vec<EntryId>, Heads) {
    let (ana, ben) = (0, 1);
    let mut net = Net::open(&[(ana_dir, "Ana"), (ben_dir, "Ben")], MIDYEAR);
    let c = net.found(ana, "Riverside");
    net.join(ben, ana, c);
    let mut ana_done = Vec::new();
    for i in 0..5 {
        ana_done.push(net.log(ana, &format!("before {i}")).unwrap().id);
    }
    // (No time passes before the disk fills: the commons is first tended on a full disk,
    // which fails on Ana's side and must be tried again once there is room.)
    assert!(net.converge(c, Duration::from_secs(60)));
    let mut heads = net.heads(ana, c);
    fill(&mut net, ana, c, &mut ana_done, &mut heads);
    assert!(ana_done.len() > 6, "some writes fitted before the disk was full ({})", ana_done.len());
    (net, c, ana_done, heads)
}

/// Ana's heads when opened again alone from her directory, and her own and others' entries.
fn reopened(dir: &std::path::Path, c: CommunityId) -> (Net, Heads, BTreeSet<EntryId>, BTreeSet<EntryId>) {
    assert_eq!(integrity(dir), "ok");
    let mut net = Net::open(&[(dir, "Ana")], Timestamp(MIDYEAR.0 + 3_600_000));
    let Ok(Response::Status(status)) = net.write(0, Request::Status) else { panic!("no status") };
    assert!(status.recovered.is_none(), "the database opened as it was");
    let heads = net.heads(0, c);
    let (mine, others) = (set(&my_entries(&mut net, 0)), set(&others_entries(&mut net, 0)));
    (net, heads, mine, others)
}

#[test]
fn a_full_disk_refuses_in_words_keeps_memory_as_the_disk_and_works_again_once_there_is_room() {
    let base = base_dir();
    let (ana_dir, ben_dir) = (base.path().join("ana"), base.path().join("ben"));
    let (ana, ben) = (0, 1);
    let (mut net, c, mut ana_done, heads_done) = full_disk(&ana_dir, &ben_dir);

    // Memory holds what the disk holds, nothing of the refused write.
    assert_eq!(net.heads(ana, c), heads_done, "the refused change was rolled back in memory");
    assert_eq!(set(&my_entries(&mut net, ana)), set(&ana_done));
    // Other documents' writes are refused the same way, and leave nothing either. (Larger
    // than the changes that no longer fitted, so they cannot fit.)
    assert_disk_full(&net.write(ana, task("Fix the gate", &"Bring a spade. ".repeat(260))).unwrap_err());
    let guild = Request::GuildAdd {
        community: None,
        name: "Seed library".into(),
        sector: "food".parse().unwrap(),
        description: "Seeds kept from year to year. ".repeat(33),
    };
    assert_disk_full(&net.write(ana, guild).unwrap_err());
    assert_eq!(net.heads(ana, c), heads_done);
    // Reading works on a full disk.
    let tasks = net.write(ana, Request::TaskList { community: None, sector: None, open_only: false });
    assert!(matches!(tasks, Ok(Response::Tasks(_))));
    assert!(matches!(net.write(ana, Request::Status), Ok(Response::Status(_))));
    // Nothing refused was sent: Ben has exactly what Ana reported done.
    net.run_for(Duration::from_secs(40));
    assert_eq!(set(&others_entries(&mut net, ben)), set(&ana_done));

    // Ben's hours reach Ana (gossip, then sync every 30 s) while her disk is full: she cannot
    // store them, so she does not take them in, in memory either, and does not acknowledge them.
    let mut ben_done = Vec::new();
    for i in 0..3 {
        ben_done.push(net.log(ben, &format!("Ben {i}")).unwrap().id);
    }
    net.run_for(Duration::from_secs(70));
    assert_eq!(net.heads(ana, c), heads_done, "nothing Ana could not store is in her memory");
    assert!(others_entries(&mut net, ana).iter().all(|e| !ben_done.contains(e)));

    // Space is freed: Ana writes again, and at the next sync takes Ben's hours in.
    net.peers[ana].core.limit_store_growth(None).unwrap();
    ana_done.push(net.log(ana, "after").unwrap().id);
    if !net.converge(c, Duration::from_secs(120)) {
        let (a, b) = (net.heads(ana, c), net.heads(ben, c));
        panic!("the peers did not converge once Ana had room:\nAna {a:?}\nBen {b:?}");
    }
    assert_eq!(set(&my_entries(&mut net, ana)), set(&ana_done));
    assert_eq!(set(&others_entries(&mut net, ben)), set(&ana_done));
    assert_eq!(set(&others_entries(&mut net, ana)), set(&ben_done));
    assert!(net.incidents().is_empty(), "nobody was penalised: {:?}", net.incidents());
    let heads = net.heads(ana, c);
    drop(net);

    // What the disk holds is what memory held.
    let (_net, reheads, mine, others) = reopened(&ana_dir, c);
    assert_eq!(reheads, heads);
    assert_eq!(mine, set(&ana_done));
    assert_eq!(others, set(&ben_done));
}

/// A ledger a peer starts (hours of last year) reaches Ana while her disk is full: its
/// genesis cannot be stored, so it must not stay in memory either. (It did: her next hours of
/// last year were then stored without the genesis they build on, and that ledger opened
/// empty the next time — hours reported done, gone.)
#[test]
fn a_ledger_a_peer_starts_while_the_disk_is_full_is_not_started_in_memory_either() {
    let base = base_dir();
    let (ana_dir, ben_dir) = (base.path().join("ana"), base.path().join("ben"));
    let (ana, ben) = (0, 1);
    let (mut net, c, ana_done, heads_done) = full_disk(&ana_dir, &ben_dir);
    let last_year = net.clock.today().add_days(-300).unwrap();
    assert_ne!(last_year.year(), net.clock.today().year());
    let ledger = DocId { community: c, name: DocName::Ledger(last_year.year()) };

    // Ben's hours arrive by gossip; Ana goes offline before the next sync.
    net.log_on(ben, "Ben, last autumn", Some(last_year)).unwrap();
    net.run_for(Duration::ZERO);
    net.disconnect(ana, ben);
    net.run_for(Duration::ZERO);
    assert_eq!(net.heads(ana, c), heads_done, "Ana holds no ledger of last year, on disk or in memory");

    // Space is freed; she logs hours of last year: she starts that ledger.
    net.peers[ana].core.limit_store_growth(None).unwrap();
    let entry = net.log_on(ana, "Ana, last autumn", Some(last_year)).unwrap();
    assert_eq!(entry.date, last_year);
    let written = net.heads(ana, c).unwrap()[&ledger.name].clone();
    drop(net);

    let (mut net, heads, mine, _) = reopened(&ana_dir, c);
    assert_eq!(heads.unwrap()[&ledger.name], written, "last year's ledger opens with Ana's hours");
    assert!(net.holds(0, ledger, &written[0]));
    assert_eq!(mine, set(&ana_done), "(this year's, as before)");
}

#[test]
fn compaction_on_a_full_disk_keeps_the_log_and_runs_once_there_is_room() {
    let base = base_dir();
    let dir = base.path().join("ana");
    let mut net = Net::open(&[(&dir, "Ana")], MIDYEAR);
    net.found(0, "Riverside");
    let mut done = Vec::new();
    // Enough for the ledger's log to be compacted (500 changes).
    for i in 0..505 {
        done.push(net.log(0, &format!("{i}")).unwrap().id);
    }
    let count_log = || {
        let conn = rusqlite::Connection::open(dir.join("weft.sqlite3")).unwrap();
        conn.query_row(
            "SELECT count(*), max(d.snapshot IS NOT NULL) FROM changes c JOIN documents d ON d.id = c.doc
             WHERE d.name LIKE 'ledger/%'",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<bool>>(1)?)),
        )
        .unwrap()
    };
    let logged = count_log();
    assert_eq!(logged, (506, Some(false)), "the ledger's log, no snapshot");
    net.peers[0].core.limit_store_growth(Some(0)).unwrap();
    // Jobs pause: compaction runs, and fails for want of room, leaving the rows as they were.
    net.run_for(Duration::from_secs(2));
    assert_eq!(count_log(), logged);
    assert_eq!(set(&my_entries(&mut net, 0)), set(&done));

    net.peers[0].core.limit_store_growth(None).unwrap();
    // The next change asks for compaction again, and this time it is done.
    done.push(net.log(0, "after").unwrap().id);
    net.run_for(Duration::from_secs(2));
    assert_eq!(count_log().0, 0, "the log was folded into a snapshot");
    drop(net);
    assert_eq!(integrity(&dir), "ok");
    let mut net = Net::open(&[(&dir, "Ana")], Timestamp(MIDYEAR.0 + 3_600_000));
    assert_eq!(set(&my_entries(&mut net, 0)), set(&done));
}
