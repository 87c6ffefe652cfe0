//! The database: identity, communities, documents (snapshot + change log) and signatures.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use automerge::ChangeHash;
use rusqlite::{Connection, OptionalExtension, params};
use tracing::debug;
use weft_core::doc::{DocId, DocName, Document};
use weft_core::identity::{ChangeSignature, DeviceCert, Identity, SecretKey, SignedChange};
use weft_core::{CommunityId, DeviceId, MemberId};

use crate::dir::{DataDir, DirLock};
use crate::error::StoreError;
use crate::fault::{crash_point, points};
use crate::keys;

/// The schema migrations, in order. `PRAGMA user_version` is how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_sync.sql"),
    include_str!("migrations/0003_neighbours.sql"),
    include_str!("migrations/0004_read_models.sql"),
];

use crate::keys::{DEVICE_KEY, MEMBER_KEY};

/// The database's file name in the data directory (its WAL and shared memory beside it).
pub(crate) const DB_FILE: &str = "weft.sqlite3";

/// The local identity: a member's device, and the name it goes by.
#[derive(Debug, Clone)]
pub struct StoredIdentity {
    pub identity: Identity,
    pub name: String,
}

/// A community this data directory belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityRow {
    pub id: CommunityId,
    pub name: String,
    /// Unix milliseconds.
    pub added_at: i64,
}

/// What one commit writes, all or nothing.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// Communities to add (ignored if already there).
    pub communities: Vec<(CommunityId, String)>,
    /// Signed changes, per document, in the order they were made.
    pub changes: Vec<(DocId, SignedChange)>,
}

/// An open data directory's database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    dir: PathBuf,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
}

fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

fn hash_of(bytes: &[u8]) -> Result<ChangeHash, StoreError> {
    ChangeHash::try_from(bytes).map_err(|_| corrupt("a stored change hash is not 32 bytes"))
}

/// A document's read model as the store keeps it: made by its caller at these heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadModelRow {
    pub heads: Vec<ChangeHash>,
    pub bytes: Vec<u8>,
}

fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

impl Store {
    /// Opens the directory's database (the caller holds the lock), migrating it if needed.
    pub fn open(dir: &DataDir, lock: &DirLock) -> Result<Self, StoreError> {
        debug_assert_eq!(lock.dir(), dir.path());
        let path = dir.path().join(DB_FILE);
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // A database from a newer Weft is refused before anything here writes to it (setting
        // the journal mode would).
        let version = refuse_newer(&conn)?;
        // Pages freed by compaction go back to the file system (settable only while the
        // database is empty, so it takes effect on a new data directory; on another it would
        // only write the file's header).
        if version == 0 {
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "journal_size_limit", 4 << 20)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn)?;
        Ok(Self { conn, dir: dir.path().to_path_buf() })
    }

    // ---- identity -----------------------------------------------------------------------

    /// The local identity, if `weft init` ran. The key files are checked against the stored
    /// certificate: a swapped or damaged key is refused, never used.
    pub fn identity(&self) -> Result<Option<StoredIdentity>, StoreError> {
        let row = self
            .conn
            .query_row("SELECT member, device, cert, name FROM identity WHERE singleton = 1", [], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?, r.get::<_, String>(3)?))
            })
            .optional()?;
        let Some((member, device, cert, name)) = row else { return Ok(None) };
        let key_dir = keys::key_dir(&self.dir);
        let bad = |why: &str| StoreError::BadIdentity { path: key_dir.clone(), why: why.to_owned() };
        let member: MemberId = member.parse().map_err(|_| bad("the stored member id is damaged"))?;
        let device: DeviceId = device.parse().map_err(|_| bad("the stored device id is damaged"))?;
        let cert = DeviceCert(cert.try_into().map_err(|_| bad("the stored certificate is damaged"))?);
        let device_key = keys::read_key(&key_dir, DEVICE_KEY)?;
        let member_key = keys::read_key(&key_dir, MEMBER_KEY)?;
        if MemberId::from_bytes(member_key.public()) != member {
            return Err(bad("member.key is not the key of this member"));
        }
        let identity = Identity::from_parts(member, device_key, cert)
            .ok_or_else(|| bad("device.key is not the device this member certified"))?;
        if identity.device() != device {
            return Err(bad("device.key is not the stored device"));
        }
        Ok(Some(StoredIdentity { identity, name }))
    }

    /// Creates the local identity: a member key, a device key certified by it, and a name.
    pub fn create_identity(&mut self, name: &str) -> Result<StoredIdentity, StoreError> {
        if let Some(existing) = self.identity()? {
            return Err(StoreError::AlreadyInitialised { name: existing.name });
        }
        let (member_key, identity) = Identity::generate();
        let key_dir = keys::key_dir(&self.dir);
        keys::write_key(&key_dir, MEMBER_KEY, &member_key)?;
        keys::write_key(&key_dir, DEVICE_KEY, identity.device_key())?;
        self.insert_identity(identity, name)
    }

    /// The device key of a computer that is waiting to be linked to a member (no identity yet):
    /// made once and kept, so the peer id the other computer sees stays the same.
    pub fn pending_device_key(&mut self) -> Result<SecretKey, StoreError> {
        if let Some(existing) = self.identity()? {
            return Err(StoreError::AlreadyInitialised { name: existing.name });
        }
        let key_dir = keys::key_dir(&self.dir);
        if key_dir.join(DEVICE_KEY).exists() {
            return keys::read_key(&key_dir, DEVICE_KEY);
        }
        let key = SecretKey::generate();
        keys::write_key(&key_dir, DEVICE_KEY, &key)?;
        Ok(key)
    }

    /// Makes this directory's identity from keys: a computer another of the member's devices
    /// linked (its pending device key), one restored from a backup, or a directory whose
    /// database was set aside ([`crate::set_aside`]). The certificate is made again from the
    /// keys (Ed25519 signatures are deterministic, so it is the very certificate peers know).
    /// Refused if an identity is stored, or if the key files hold other keys (a missing key
    /// file is written).
    pub fn restore_identity(
        &mut self,
        member_key: SecretKey,
        device_key: SecretKey,
        name: &str,
    ) -> Result<StoredIdentity, StoreError> {
        if let Some(existing) = self.identity()? {
            return Err(StoreError::AlreadyInitialised { name: existing.name });
        }
        let key_dir = keys::key_dir(&self.dir);
        for (file, key) in [(MEMBER_KEY, &member_key), (DEVICE_KEY, &device_key)] {
            match keys::read_key(&key_dir, file) {
                Ok(held) if held.to_bytes() == key.to_bytes() => {}
                Ok(_) => {
                    return Err(StoreError::BadIdentity {
                        path: key_dir.clone(),
                        why: format!("{file} holds another key than the one to restore"),
                    });
                }
                Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                    keys::write_key(&key_dir, file, key)?;
                }
                Err(e) => return Err(e),
            }
        }
        let identity = Identity::certify(&member_key, device_key);
        self.insert_identity(identity, name)
    }

    /// The identity row, for keys already written.
    fn insert_identity(&mut self, identity: Identity, name: &str) -> Result<StoredIdentity, StoreError> {
        self.conn.execute(
            "INSERT INTO identity (singleton, member, device, cert, name, created_at) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![
                identity.member().to_string(),
                identity.device().to_string(),
                identity.cert().0.to_vec(),
                name,
                now_ms()
            ],
        )?;
        Ok(StoredIdentity { identity, name: name.to_owned() })
    }

    pub fn set_identity_name(&mut self, name: &str) -> Result<(), StoreError> {
        self.conn.execute("UPDATE identity SET name = ?1 WHERE singleton = 1", params![name])?;
        Ok(())
    }

    /// The member's secret key, to certify another device. Never leaves the data directory
    /// unless a person explicitly exports it.
    pub fn member_key(&self) -> Result<SecretKey, StoreError> {
        keys::read_key(&keys::key_dir(&self.dir), MEMBER_KEY)
    }

    // ---- communities and documents --------------------------------------------------------

    pub fn communities(&self) -> Result<Vec<CommunityRow>, StoreError> {
        self.community_rows("member")
    }

    /// The neighbouring communities whose commons is stored here.
    pub fn neighbours(&self) -> Result<Vec<CommunityRow>, StoreError> {
        self.community_rows("neighbour")
    }

    /// Notes a neighbouring community whose commons is stored here (nothing if it is ours).
    pub fn add_neighbour(&mut self, id: CommunityId, name: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO communities (id, name, added_at, kind) VALUES (?1, ?2, ?3, 'neighbour')",
            params![id.to_string(), name, now_ms()],
        )?;
        Ok(())
    }

    fn community_rows(&self, kind: &str) -> Result<Vec<CommunityRow>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT id, name, added_at FROM communities WHERE kind = ?1 ORDER BY added_at, id")?;
        let rows =
            stmt.query_map([kind], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?;
        rows.map(|row| {
            let (id, name, added_at) = row?;
            Ok(CommunityRow { id: id.parse().map_err(|_| corrupt(format!("community id '{id}'")))?, name, added_at })
        })
        .collect()
    }

    pub fn rename_community(&mut self, id: CommunityId, name: &str) -> Result<(), StoreError> {
        self.conn.execute("UPDATE communities SET name = ?1 WHERE id = ?2", params![name, id.to_string()])?;
        Ok(())
    }

    /// Writes a batch in one transaction; durable when this returns. Changes already stored
    /// (also those folded into a snapshot) are skipped, so a batch may be committed twice.
    /// On a full disk it fails with [`StoreError::DiskFull`] and nothing of the batch is stored.
    pub fn commit(&mut self, batch: &Batch) -> Result<(), StoreError> {
        self.write_batch(batch, false)
    }

    /// As [`Store::commit`], for changes received from a peer: the same one transaction, with
    /// crash points of its own (half of the batch written, all of it before the commit), so a
    /// test can kill the process in the middle of taking in a sync batch.
    pub fn commit_received(&mut self, batch: &Batch) -> Result<(), StoreError> {
        self.write_batch(batch, true)
    }

    fn write_batch(&mut self, batch: &Batch, received: bool) -> Result<(), StoreError> {
        let half = batch.changes.len().div_ceil(2);
        let tx = self.conn.transaction()?;
        let now = now_ms();
        {
            // A neighbour we join becomes one of ours.
            let mut add_community = tx.prepare_cached(
                "INSERT INTO communities (id, name, added_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET kind = 'member' WHERE kind = 'neighbour'",
            )?;
            for (id, name) in &batch.communities {
                add_community.execute(params![id.to_string(), name, now])?;
            }
            let mut add_doc = tx.prepare_cached(
                "INSERT INTO documents (community, name, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (community, name) DO UPDATE SET updated_at = excluded.updated_at
                 RETURNING id",
            )?;
            let mut add_known =
                tx.prepare_cached("INSERT OR IGNORE INTO known_changes (doc, hash, signature) VALUES (?1, ?2, ?3)")?;
            let mut add_change = tx.prepare_cached("INSERT INTO changes (doc, hash, bytes) VALUES (?1, ?2, ?3)")?;
            // A read model holds for its heads only: a new change outdates it.
            let mut outdate = tx.prepare_cached("DELETE FROM read_models WHERE doc = ?1")?;
            let mut outdated = Vec::new();
            let mut last: Option<(DocId, i64)> = None;
            for (i, (doc, change)) in batch.changes.iter().enumerate() {
                if received && i == half {
                    crash_point(points::SYNC_BATCH_HALF_STORED);
                }
                let row = match last {
                    Some((d, row)) if d == *doc => row,
                    _ => {
                        let row: i64 = add_doc
                            .query_row(params![doc.community.to_string(), doc.name.to_string(), now], |r| r.get(0))?;
                        last = Some((*doc, row));
                        row
                    }
                };
                let sig = change.signature.map(|s| s.0.to_vec());
                if add_known.execute(params![row, &change.hash.0[..], sig])? == 0 {
                    continue; // we have it already
                }
                add_change.execute(params![row, &change.hash.0[..], change.bytes])?;
                if !outdated.contains(&row) {
                    outdate.execute(params![row])?;
                    outdated.push(row);
                }
            }
        }
        if received {
            crash_point(points::SYNC_BATCH_BEFORE_COMMIT);
        }
        tx.commit()?;
        Ok(())
    }

    /// The documents stored for a community.
    pub fn doc_names(&self, community: CommunityId) -> Result<Vec<DocName>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT name FROM documents WHERE community = ?1")?;
        let names = stmt.query_map(params![community.to_string()], |r| r.get::<_, String>(0))?;
        let mut out = names
            .map(|n| {
                let n = n?;
                n.parse().map_err(|_| corrupt(format!("document name '{n}'")))
            })
            .collect::<Result<Vec<DocName>, StoreError>>()?;
        out.sort();
        Ok(out)
    }

    fn doc_row(&self, id: DocId) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM documents WHERE community = ?1 AND name = ?2")?
            .query_row(params![id.community.to_string(), id.name.to_string()], |r| r.get(0))
            .optional()?)
    }

    /// Loads a document: its snapshot and the changes logged after it, in order.
    pub fn load_doc(&self, id: DocId) -> Result<Option<Document>, StoreError> {
        let row: Option<(i64, Option<Vec<u8>>)> = self
            .conn
            .prepare_cached("SELECT id, snapshot FROM documents WHERE community = ?1 AND name = ?2")?
            .query_row(params![id.community.to_string(), id.name.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((row, snapshot)) = row else { return Ok(None) };
        let mut stmt = self.conn.prepare_cached("SELECT bytes FROM changes WHERE doc = ?1 ORDER BY seq")?;
        let changes = stmt.query_map(params![row], |r| r.get::<_, Vec<u8>>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Document::load(id, snapshot.as_deref(), &changes)?))
    }

    /// Keeps what opening a document needs (its read model, made by the caller) for the heads
    /// it was made at; storing a change of the document later drops it.
    pub fn save_read_model(&mut self, id: DocId, heads: &[ChangeHash], bytes: &[u8]) -> Result<(), StoreError> {
        let Some(row) = self.doc_row(id)? else { return Ok(()) };
        self.conn
            .prepare_cached(
                "INSERT INTO read_models (doc, heads, bytes) VALUES (?1, ?2, ?3)
                 ON CONFLICT (doc) DO UPDATE SET heads = excluded.heads, bytes = excluded.bytes",
            )?
            .execute(params![row, encode_heads(heads), bytes])?;
        Ok(())
    }

    /// A document's read model and the heads it was made at, if one is kept and holds: no
    /// change was stored since, and each of its heads is a stored change.
    pub fn read_model(&self, id: DocId) -> Result<Option<ReadModelRow>, StoreError> {
        let Some(row) = self.doc_row(id)? else { return Ok(None) };
        let found: Option<(Vec<u8>, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT heads, bytes FROM read_models WHERE doc = ?1")?
            .query_row(params![row], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((heads, bytes)) = found else { return Ok(None) };
        if heads.len() % 32 != 0 {
            return Err(corrupt("a read model's heads are not whole hashes"));
        }
        let heads = heads.chunks(32).map(hash_of).collect::<Result<Vec<_>, _>>()?;
        let mut known = self.conn.prepare_cached("SELECT 1 FROM known_changes WHERE doc = ?1 AND hash = ?2")?;
        for h in &heads {
            if !known.exists(params![row, &h.0[..]])? {
                return Ok(None);
            }
        }
        Ok(Some(ReadModelRow { heads, bytes }))
    }

    /// Every stored signature of a document's changes.
    pub fn signatures(&self, id: DocId) -> Result<HashMap<ChangeHash, ChangeSignature>, StoreError> {
        let Some(row) = self.doc_row(id)? else { return Ok(HashMap::new()) };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT hash, signature FROM known_changes WHERE doc = ?1 AND signature IS NOT NULL")?;
        let rows = stmt.query_map(params![row], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        rows.map(|row| {
            let (hash, sig) = row?;
            let sig: [u8; 64] = sig.try_into().map_err(|_| corrupt("a stored signature is not 64 bytes"))?;
            Ok((hash_of(&hash)?, ChangeSignature(sig)))
        })
        .collect()
    }

    /// The signatures of some changes of a document, in the order asked (`None` for a change
    /// stored without one, i.e. a deterministic genesis, or not stored at all).
    pub fn signatures_of(&self, id: DocId, hashes: &[ChangeHash]) -> Result<Vec<Option<ChangeSignature>>, StoreError> {
        let Some(row) = self.doc_row(id)? else { return Ok(vec![None; hashes.len()]) };
        let mut stmt = self.conn.prepare_cached("SELECT signature FROM known_changes WHERE doc = ?1 AND hash = ?2")?;
        hashes
            .iter()
            .map(|h| {
                let sig: Option<Option<Vec<u8>>> = stmt.query_row(params![row, &h.0[..]], |r| r.get(0)).optional()?;
                match sig.flatten() {
                    None => Ok(None),
                    Some(sig) => {
                        let sig: [u8; 64] =
                            sig.try_into().map_err(|_| corrupt("a stored signature is not 64 bytes"))?;
                        Ok(Some(ChangeSignature(sig)))
                    }
                }
            })
            .collect()
    }

    /// The saved sync state of a document with a peer.
    pub fn sync_state(&self, peer: &DeviceId, id: DocId) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(row) = self.doc_row(id)? else { return Ok(None) };
        Ok(self
            .conn
            .prepare_cached("SELECT state FROM sync_states WHERE peer = ?1 AND doc = ?2")?
            .query_row(params![peer.to_string(), row], |r| r.get(0))
            .optional()?)
    }

    /// Saves the sync state of a document with a peer (the document must be stored).
    pub fn save_sync_state(&mut self, peer: &DeviceId, id: DocId, state: &[u8]) -> Result<(), StoreError> {
        let Some(row) = self.doc_row(id)? else { return Ok(()) };
        self.conn
            .prepare_cached(
                "INSERT INTO sync_states (peer, doc, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT (peer, doc) DO UPDATE SET state = excluded.state",
            )?
            .execute(params![peer.to_string(), row, state])?;
        Ok(())
    }

    /// How many changes are logged after a document's snapshot, and their size in bytes.
    pub fn log_size(&self, id: DocId) -> Result<(u64, u64), StoreError> {
        let Some(row) = self.doc_row(id)? else { return Ok((0, 0)) };
        let (n, bytes): (i64, i64) = self
            .conn
            .prepare_cached("SELECT count(*), coalesce(sum(length(bytes)), 0) FROM changes WHERE doc = ?1")?
            .query_row(params![row], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok((u64::try_from(n).unwrap_or(0), u64::try_from(bytes).unwrap_or(0)))
    }

    /// How many changes a document has in all (snapshot and log).
    pub fn change_count(&self, id: DocId) -> Result<u64, StoreError> {
        let Some(row) = self.doc_row(id)? else { return Ok(0) };
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM known_changes WHERE doc = ?1")?
            .query_row(params![row], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Folds a document's log into a new snapshot, in one transaction. Changes the document
    /// does not contain stay in the log.
    pub fn compact(&mut self, doc: &Document) -> Result<(), StoreError> {
        let id = doc.id();
        let snapshot = doc.save();
        let tx = self.conn.transaction()?;
        let row: i64 = tx.query_row(
            "INSERT INTO documents (community, name, snapshot, snapshot_heads, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (community, name) DO UPDATE SET snapshot = excluded.snapshot,
                 snapshot_heads = excluded.snapshot_heads, updated_at = excluded.updated_at
             RETURNING id",
            params![id.community.to_string(), id.name.to_string(), snapshot, encode_heads(&doc.heads()), now_ms()],
            |r| r.get(0),
        )?;
        crash_point(points::COMPACTION_SNAPSHOT_WRITTEN);
        let logged: Vec<(i64, Vec<u8>)> = {
            let mut stmt = tx.prepare_cached("SELECT seq, hash FROM changes WHERE doc = ?1")?;
            let rows = stmt.query_map(params![row], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut folded = 0usize;
        {
            let mut delete = tx.prepare_cached("DELETE FROM changes WHERE seq = ?1")?;
            for (seq, hash) in &logged {
                if doc.has_change(&hash_of(hash)?) {
                    delete.execute(params![seq])?;
                    folded += 1;
                }
            }
        }
        crash_point(points::COMPACTION_LOG_DELETED);
        tx.commit()?;
        crash_point(points::COMPACTION_COMMITTED);
        // Give the log's pages back and keep the WAL small; a failure here costs only space.
        if let Err(e) = self.reclaim_space() {
            tracing::warn!(%e, "could not reclaim space after compaction");
        }
        debug!(doc = %id, folded, bytes = snapshot.len(), "compacted");
        Ok(())
    }

    /// Returns free pages to the file system and truncates the WAL.
    fn reclaim_space(&self) -> Result<(), rusqlite::Error> {
        // Each step of incremental_vacuum frees one page: run it to the end.
        let mut stmt = self.conn.prepare("PRAGMA incremental_vacuum")?;
        let mut rows = stmt.query([])?;
        while rows.next()?.is_some() {}
        drop(rows);
        crash_point(points::COMPACTION_VACUUMED);
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
    }

    /// A full disk on demand, for tests: from now on the database may grow by at most `pages`
    /// more pages (`None` lifts the limit). SQLite's `max_page_count` makes it refuse the page
    /// after that with `SQLITE_FULL` — the very error it gives when the file system says
    /// `ENOSPC` — from inside the statement that needed it, so the whole write path (the
    /// transaction rolled back, [`StoreError::DiskFull`], what the node does about it) runs as
    /// on a full disk, deterministically, with no file system to fill.
    ///
    /// A method rather than an environment variable read at open: the limit is per data
    /// directory (a test holds several stores in one process), it can be raised while the store
    /// stays open (space freed under a running node, which must then simply work again), and a
    /// test needs no `set_var` in a multi-threaded test binary. Only tests call it; a real full
    /// disk is tested by `tests/faults/disk-full.sh` on a small tmpfs.
    pub fn limit_growth(&self, pages: Option<u32>) -> Result<(), StoreError> {
        let max: i64 = match pages {
            Some(n) => {
                let now: i64 = self.conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
                now + i64::from(n)
            }
            // SQLite clamps this to its own largest page count.
            None => i64::from(u32::MAX),
        };
        let set: i64 = self.conn.pragma_update_and_check(None, "max_page_count", max, |r| r.get(0))?;
        debug!(max_pages = set, "the database's growth is limited");
        Ok(())
    }

    /// The data directory's size on disk: database, its WAL, and the key files.
    pub fn disk_usage(&self) -> Result<u64, StoreError> {
        let mut total = 0;
        let key_dir = keys::key_dir(&self.dir);
        let files = ["", "-wal", "-shm"]
            .iter()
            .map(|suffix| self.dir.join(format!("{DB_FILE}{suffix}")))
            .chain([key_dir.join(MEMBER_KEY), key_dir.join(DEVICE_KEY)]);
        for path in files {
            match std::fs::metadata(&path) {
                Ok(m) => total += m.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(path)(e)),
            }
        }
        Ok(total)
    }

    /// SQLite's quick check of the whole file (every page and b-tree is readable and well
    /// formed; it does not compare indexes with their tables). A damaged database fails with
    /// an error that [`StoreError::is_corrupt`].
    pub fn quick_check(&self) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA quick_check")?;
        let found = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        match found.as_slice() {
            [ok] if ok == "ok" => Ok(()),
            problems => Err(corrupt(problems.join("; "))),
        }
    }

    /// Closes the database without folding its WAL into the database file, as before a
    /// damaged database is set aside ([`crate::set_aside`]): the file keeps what it held, and
    /// what this process wrote stays in the WAL, which is moved with it.
    pub fn close_damaged(self) {
        if let Err(e) = self.conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true) {
            tracing::warn!(%e, "the damaged database may be checkpointed as it closes");
        }
    }

    /// SQLite's own integrity check.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let result: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if result == "ok" { Ok(()) } else { Err(corrupt(result)) }
    }
}

/// How many migrations this build knows: the schema version of a database it made or
/// migrated (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Refuses a database whose schema is newer than this build's: a newer Weft wrote it, and
/// this one would misread or damage it. Nothing is written to it.
fn refuse_newer(conn: &Connection) -> Result<i64, StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema { found: version, known: SCHEMA_VERSION });
    }
    Ok(version)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version = refuse_newer(conn)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i64::try_from(i + 1).unwrap_or(i64::MAX))?;
        tx.commit()?;
        debug!(version = i + 1, "database migrated");
    }
    Ok(())
}
