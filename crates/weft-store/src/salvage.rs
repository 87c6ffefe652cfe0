//! A damaged database: set aside under another name, never deleted, and what can still be
//! read from it salvaged.
//!
//! The identity's keys are files of their own and the communities' documents are signed
//! changes that any peer can hold, so a damaged database loses little once it is set aside:
//! the identity row is made again from the keys, and every change that can still be read is
//! handed back to the caller, which verifies it again as it would a peer's before storing it
//! in a fresh database. Reading the damaged copy is guarded row by row: one unreadable page
//! costs the rows on it, not the table, and every loss is named in `unreadable`.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use automerge::{Automerge, Change, ChangeHash};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use tracing::{info, warn};
use weft_core::doc::{DocId, DocName};
use weft_core::identity::{ChangeSignature, SignedChange};
use weft_core::{CommunityId, Date, MemberId, Timestamp};

use crate::dir::{DataDir, DirLock};
use crate::error::StoreError;
use crate::keys;
use crate::store::DB_FILE;

/// The most rowids looked up one by one in a table whose scan broke off (a bound on the
/// time salvage takes: a year of a busy community writes far fewer changes).
const MAX_LOOKUPS: i64 = 2_000_000;

/// What [`set_aside`] did and saved.
#[derive(Debug, Default)]
pub struct SetAside {
    /// Where the damaged database is now (its `-wal` and `-shm` beside it, if it had them).
    pub path: PathBuf,
    /// The name the identity went by, if its row could be read (and names the member of
    /// the key files).
    pub identity_name: Option<String>,
    /// The communities this directory was a member of, with their names (empty when only the
    /// community's documents told that it was one of ours).
    pub communities: Vec<(CommunityId, String)>,
    /// Neighbouring communities whose commons was held here.
    pub neighbours: Vec<(CommunityId, String)>,
    /// Every change that could be read (from snapshots and logs), with its signature where
    /// one was stored, document by document, each document's snapshot changes first. Each
    /// parsed as an Automerge change whose hash is the one it was stored under; none is
    /// verified here.
    pub changes: Vec<(DocId, SignedChange)>,
    /// What could not be read, in words.
    pub unreadable: Vec<String>,
}

/// Moves a damaged `weft.sqlite3` (with its `-wal` and `-shm`) aside to
/// `weft.sqlite3.damaged-<UTC time>`, makes the renames durable, and salvages what it can from
/// the moved copy, opened read-only. The caller holds the directory's lock and has closed
/// every connection to the database; the next [`crate::Store::open`] starts a fresh one.
///
/// Fails only if the files cannot be moved (the database is then where it was): whatever
/// cannot be read afterwards is listed in [`SetAside::unreadable`].
pub fn set_aside(dir: &DataDir, lock: &DirLock) -> Result<SetAside, StoreError> {
    debug_assert_eq!(lock.dir(), dir.path());
    let main = dir.path().join(DB_FILE);
    if !main.exists() {
        return Err(StoreError::io(&main)(std::io::Error::from(std::io::ErrorKind::NotFound)));
    }
    let stamp = utc_stamp(SystemTime::now());
    let mut target = dir.path().join(format!("{DB_FILE}.damaged-{stamp}"));
    let mut n = 1;
    while ["", "-wal", "-shm"].iter().any(|s| with_suffix(&target, s).exists()) {
        n += 1;
        target = dir.path().join(format!("{DB_FILE}.damaged-{stamp}-{n}"));
    }
    // The WAL first: a WAL left behind without its database would be played into the fresh
    // one, while a database moved without its WAL only loses what the WAL held.
    let mut moved = Vec::new();
    for suffix in ["-shm", "-wal", ""] {
        let from = with_suffix(&main, suffix);
        if from.exists() {
            let to = with_suffix(&target, suffix);
            fs::rename(&from, &to).map_err(StoreError::io(&from))?;
            moved.push(suffix);
        }
    }
    File::open(dir.path()).and_then(|d| d.sync_all()).map_err(StoreError::io(dir.path()))?;
    warn!(path = %target.display(), "the database is damaged: it was set aside; salvaging what can be read");
    let member = keys::read_keys(dir).ok().flatten().map(|(member, _)| MemberId::from_bytes(member.public()));
    let mut out = salvage(&target, member);
    // Opening a database in WAL mode makes its -wal and -shm if they were not there, and an
    // empty WAL holds nothing of the damaged copy: neither is kept then.
    let wal = with_suffix(&target, "-wal");
    if !moved.contains(&"-wal") || fs::metadata(&wal).is_ok_and(|m| m.len() == 0) {
        let _ = fs::remove_file(&wal);
        let _ = fs::remove_file(with_suffix(&target, "-shm"));
    }
    out.path = target;
    info!(
        communities = out.communities.len(),
        neighbours = out.neighbours.len(),
        changes = out.changes.len(),
        unreadable = out.unreadable.len(),
        "salvaged from the damaged database"
    );
    Ok(out)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// `2026-05-26T120000Z`: sortable, and nothing a file system or a shell minds.
fn utc_stamp(at: SystemTime) -> String {
    let ms = at.duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0);
    let day = Date::of_timestamp(Timestamp(ms));
    let secs = ms.rem_euclid(86_400_000) / 1000;
    format!("{day}T{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Everything readable from the database at `path`, which is only read.
fn salvage(path: &Path, member: Option<MemberId>) -> SetAside {
    let mut out = SetAside::default();
    let conn =
        match Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX) {
            Ok(conn) => conn,
            Err(e) => {
                out.unreadable.push(format!("the whole database: {e}"));
                return out;
            }
        };
    if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)) {
        out.unreadable.push(format!("the whole database: {e}"));
        return out;
    }
    salvage_identity(&conn, member, &mut out);
    let kinds = salvage_communities(&conn, &mut out);
    let docs = salvage_documents(&conn, &mut out);
    // Every community with a document of its own (not only a commons) is one of ours.
    for doc in docs.values() {
        if doc.name != DocName::Commons && !kinds.contains_key(&doc.community) {
            out.communities.push((doc.community, String::new()));
        }
    }
    out.communities.sort_by_key(|(c, _)| *c);
    out.communities.dedup_by_key(|(c, _)| *c);
    let mut seen: HashSet<(i64, ChangeHash)> = HashSet::new();
    let mut signatures = Signatures { failed: 0 };
    for (row, doc) in &docs {
        for change in snapshot_changes(&conn, *row, *doc, &mut out.unreadable) {
            if seen.insert((*row, change.hash())) {
                let signature = signatures.of(&conn, *row, change.hash());
                out.changes.push((*doc, signed(&change, signature)));
            }
        }
    }
    for (row, change) in logged_changes(&conn, &docs, &mut out.unreadable) {
        let Some(doc) = docs.get(&row) else { continue };
        if seen.insert((row, change.hash())) {
            let signature = signatures.of(&conn, row, change.hash());
            out.changes.push((*doc, signed(&change, signature)));
        }
    }
    if signatures.failed > 0 {
        out.unreadable.push(format!(
            "the signatures of {} changes (a change whose signature is lost is taken again only if a later \
             signed change of its device vouches for it)",
            signatures.failed
        ));
    }
    // Document by document, so the caller can hand each document's changes over in one go.
    out.changes.sort_by_key(|(doc, _)| *doc);
    out
}

fn signed(change: &Change, signature: Option<ChangeSignature>) -> SignedChange {
    SignedChange { hash: change.hash(), bytes: change.raw_bytes().to_vec(), signature }
}

/// Signatures looked up one change at a time, so a damaged page costs only its own.
struct Signatures {
    failed: usize,
}

impl Signatures {
    fn of(&mut self, conn: &Connection, doc: i64, hash: ChangeHash) -> Option<ChangeSignature> {
        let found: rusqlite::Result<Option<Option<Vec<u8>>>> = conn
            .prepare_cached("SELECT signature FROM known_changes WHERE doc = ?1 AND hash = ?2")
            .and_then(|mut stmt| stmt.query_row(params![doc, &hash.0[..]], |r| r.get(0)).optional());
        match found {
            Ok(sig) => sig.flatten().and_then(|s| <[u8; 64]>::try_from(s).ok()).map(ChangeSignature),
            Err(_) => {
                self.failed += 1;
                None
            }
        }
    }
}

fn salvage_identity(conn: &Connection, member: Option<MemberId>, out: &mut SetAside) {
    let row = conn
        .query_row("SELECT member, name FROM identity WHERE singleton = 1", [], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .optional();
    match row {
        Ok(Some((stored, name))) => {
            let stored: Option<MemberId> = stored.parse().ok();
            if member.is_some() && stored != member {
                out.unreadable.push("the identity row (it does not name the member of the key files)".into());
            } else {
                out.identity_name = Some(name);
            }
        }
        Ok(None) => {}
        Err(e) => out.unreadable.push(format!("the identity row: {e}")),
    }
}

/// Our communities and neighbours into `out`; returns every community row read, by id.
fn salvage_communities(conn: &Connection, out: &mut SetAside) -> BTreeMap<CommunityId, bool> {
    // A database from before neighbours (migration 3) has no `kind`: every row is ours.
    let has_kind = conn.prepare("SELECT kind FROM communities LIMIT 0").is_ok();
    let columns = if has_kind { "id, name, kind = 'neighbour'" } else { "id, name, 0" };
    let rows = rows(conn, "communities", "rowid", columns, None, &mut out.unreadable, |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?))
    });
    let mut kinds = BTreeMap::new();
    for (id, name, neighbour) in rows.into_values() {
        let Ok(id) = id.parse::<CommunityId>() else {
            out.unreadable.push(format!("a community row (its id '{id}' is damaged)"));
            continue;
        };
        kinds.insert(id, neighbour);
        if neighbour { out.neighbours.push((id, name)) } else { out.communities.push((id, name)) }
    }
    kinds
}

/// The documents' rows: database row id → document id.
fn salvage_documents(conn: &Connection, out: &mut SetAside) -> BTreeMap<i64, DocId> {
    let rows = rows(conn, "documents", "id", "community, name", None, &mut out.unreadable, |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    });
    let mut docs = BTreeMap::new();
    for (row, (community, name)) in rows {
        match (community.parse::<CommunityId>(), name.parse::<DocName>()) {
            (Ok(community), Ok(name)) => {
                docs.insert(row, DocId { community, name });
            }
            _ => out.unreadable.push(format!("document row {row} (its community or name is damaged)")),
        }
    }
    docs
}

/// The changes a document's snapshot holds, if it has one and it loads.
fn snapshot_changes(conn: &Connection, row: i64, doc: DocId, unreadable: &mut Vec<String>) -> Vec<Change> {
    let snapshot: rusqlite::Result<Option<Vec<u8>>> =
        conn.query_row("SELECT snapshot FROM documents WHERE id = ?1", [row], |r| r.get(0));
    match snapshot {
        Ok(None) => Vec::new(),
        Ok(Some(bytes)) => match Automerge::load(&bytes) {
            Ok(loaded) => loaded.get_changes(&[]),
            Err(e) => {
                unreadable.push(format!("the snapshot of {doc}: {e}"));
                Vec::new()
            }
        },
        Err(e) => {
            unreadable.push(format!("the snapshot of {doc}: {e}"));
            Vec::new()
        }
    }
}

/// The changes logged after the snapshots, in the order written, each checked against the
/// hash it was stored under.
fn logged_changes(conn: &Connection, docs: &BTreeMap<i64, DocId>, unreadable: &mut Vec<String>) -> Vec<(i64, Change)> {
    // AUTOINCREMENT keeps the largest seq ever used, a bound for looking rows up one by one.
    let max_seq: Option<i64> = conn
        .query_row("SELECT seq FROM sqlite_sequence WHERE name = 'changes'", [], |r| r.get(0))
        .optional()
        .ok()
        .flatten();
    let rows = rows(conn, "changes", "seq", "doc, hash, bytes", max_seq, unreadable, |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?))
    });
    let mut out = Vec::with_capacity(rows.len());
    let (mut orphans, mut damaged) = (0usize, 0usize);
    for (doc, hash, bytes) in rows.into_values() {
        if !docs.contains_key(&doc) {
            orphans += 1;
            continue;
        }
        match Change::from_bytes(bytes) {
            Ok(change) if change.hash().0[..] == hash[..] => out.push((doc, change)),
            _ => damaged += 1,
        }
    }
    if orphans > 0 {
        unreadable.push(format!("{orphans} logged changes of documents whose rows are lost"));
    }
    if damaged > 0 {
        unreadable.push(format!("{damaged} logged changes whose bytes are damaged"));
    }
    out
}

/// Every row of `table` (keyed by the integer `key`), as `read` makes it: a scan, and where
/// the scan breaks off on a damaged page, each key up to the largest known looked up alone,
/// so that only the rows on damaged pages are lost. Losses go to `unreadable`.
fn rows<T>(
    conn: &Connection,
    table: &str,
    key: &str,
    columns: &str,
    max_hint: Option<i64>,
    unreadable: &mut Vec<String>,
    read: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
) -> BTreeMap<i64, T> {
    let mut found = BTreeMap::new();
    let mut scan = || -> rusqlite::Result<()> {
        let mut stmt = conn.prepare(&format!("SELECT {columns}, {key} FROM {table} ORDER BY {key}"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            found.insert(key_of(row)?, read(row)?);
        }
        Ok(())
    };
    let Err(broke) = scan() else { return found };
    // Where the scan stopped, the rest may still be readable key by key.
    let max: Option<i64> = conn.query_row(&format!("SELECT max({key}) FROM {table}"), [], |r| r.get(0)).ok().flatten();
    let last = found.keys().next_back().copied().unwrap_or(0);
    let bound = [max, max_hint, Some(last)].into_iter().flatten().max().unwrap_or(0).min(MAX_LOOKUPS);
    let mut failed = 0usize;
    if let Ok(mut stmt) = conn.prepare(&format!("SELECT {columns} FROM {table} WHERE {key} = ?1")) {
        for k in 1..=bound {
            if found.contains_key(&k) {
                continue;
            }
            match stmt.query_row([k], &read).optional() {
                Ok(Some(value)) => {
                    found.insert(k, value);
                }
                Ok(None) => {}
                Err(_) => failed += 1,
            }
        }
    }
    unreadable.push(if failed > 0 {
        format!("rows of table {table} ({broke}; {failed} rows could not be read one by one)")
    } else {
        format!("part of table {table} ({broke}; the rows read one by one were saved)")
    });
    found
}

/// The key of a row read by [`rows`]: its last column.
fn key_of(row: &Row<'_>) -> rusqlite::Result<i64> {
    row.get(row.as_ref().column_count().saturating_sub(1))
}
