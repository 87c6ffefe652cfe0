//! A damaged database found on opening: set aside, never deleted, and what it held taken back.
//!
//! SQLite may find the database corrupt or not a database at all when it opens, its quick
//! check may find a damaged page, or a stored document may not load. The node then neither
//! fails in a loop nor starts empty as if nothing had been there: the store moves the file
//! aside and salvages what it can still read (`weft_store::set_aside`), a fresh database is
//! opened, the identity is written again from its key files, and every salvaged change goes
//! through the same verification as a peer's (`ingest`) before it is stored again. What
//! the salvage could not read comes back from peers as they sync. `weft status` tells what
//! happened until the node stops.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use automerge::Change;
use tracing::{info, warn};
use weft_core::CommunityId;
use weft_core::doc::{DocId, DocName, Document};
use weft_store::{Batch, DataDir, DirLock, SetAside, Store};

use super::State;
use super::community::Community;
use crate::api::{RecoveredCommunity, RecoveryInfo};
use crate::error::NodeError;
use crate::sync::Incoming;

/// The name the identity goes by when its row could not be salvaged and no people document
/// says, until the member names themselves again.
const NAME_UNKNOWN: &str = "me";

/// What the node took back from a damaged database when it opened.
#[derive(Debug, Clone)]
pub(crate) struct Recovered {
    pub set_aside: PathBuf,
    /// What SQLite or the store said of the database.
    pub damage: String,
    pub communities: Vec<(CommunityId, String)>,
    pub changes_saved: u64,
    pub unreadable: Vec<String>,
}

impl Recovered {
    pub(crate) fn info(&self) -> RecoveryInfo {
        RecoveryInfo {
            set_aside: self.set_aside.display().to_string(),
            damage: self.damage.clone(),
            communities: self
                .communities
                .iter()
                .map(|(community, name)| RecoveredCommunity { community: *community, name: name.clone() })
                .collect(),
            changes_saved: self.changes_saved,
            unreadable: self.unreadable.clone(),
        }
    }
}

/// A database found damaged and set aside: what was salvaged, and what the damage was.
pub(super) type Damaged = (SetAside, String);

/// What was found wrong, on one line (SQLite's quick check lists its findings line by line).
fn words(damage: &impl std::fmt::Display) -> String {
    damage.to_string().lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

/// Opens the directory's database. One that is damaged (corrupt or not a database when it
/// opens, or by its quick check) is set aside and a fresh one opened; the salvage is
/// returned for [`State::recover`].
pub(super) fn open_store(dir: &DataDir, lock: &DirLock) -> Result<(Store, Option<Damaged>), NodeError> {
    let damage = match Store::open(dir, lock) {
        Ok(store) => match store.quick_check() {
            Ok(()) => return Ok((store, None)),
            Err(e) if e.is_corrupt() => {
                store.close_damaged();
                e
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) if e.is_corrupt() => e,
        Err(e) => return Err(e.into()),
    };
    warn!(%damage, "the database is damaged");
    let set_aside = weft_store::set_aside(dir, lock)?;
    Ok((Store::open(dir, lock)?, Some((set_aside, words(&damage)))))
}

/// Whether opening failed because a stored document or row could not be read back.
pub(super) fn is_damage(e: &NodeError) -> bool {
    matches!(e, NodeError::Store(e) if e.is_corrupt())
}

impl State {
    /// The database opened and passed its quick check, but reading it failed: it is set
    /// aside like one that did not open, and the directory opened again on a fresh one.
    pub(super) fn reopen_damaged(self, damage: &NodeError) -> Result<(Self, Damaged), NodeError> {
        warn!(%damage, "the database is damaged: what it stores could not be read");
        let State { dir, _lock: lock, store, clock, events, .. } = self;
        store.close_damaged();
        let set_aside = weft_store::set_aside(&dir, &lock)?;
        let store = Store::open(&dir, &lock)?;
        let mut state = State::new(dir, lock, store, clock, events);
        state.load()?;
        Ok((state, (set_aside, words(damage))))
    }

    /// Takes back what was salvaged from a damaged database into the fresh one: the identity
    /// from its key files, then each community's documents, every change verified as a
    /// peer's would be. Nothing here fails the opening: what cannot be taken back is added to
    /// what was unreadable, and peers fill the rest.
    pub(super) fn recover(&mut self, (salvaged, damage): Damaged) {
        let SetAside { path, identity_name, communities, neighbours, changes, mut unreadable } = salvaged;
        if let Err(e) = self.restore_identity(identity_name.as_deref()) {
            warn!(%e, "the identity could not be restored from its key files");
            unreadable.push(format!("the identity: {e}"));
        }
        let mut by_doc: BTreeMap<DocId, Vec<Incoming>> = BTreeMap::new();
        for (doc, signed) in changes {
            match Change::from_bytes(signed.bytes) {
                Ok(change) => by_doc.entry(doc).or_default().push(Incoming { change, signature: signed.signature }),
                Err(e) => unreadable.push(format!("a change of {doc}: {e}")),
            }
        }
        let mut saved = 0u64;
        let mut ours = Vec::new();
        for (c, name) in communities {
            if let Err(e) = self.start_recovered(c, &name) {
                unreadable.push(format!("community {}: {e}", c.short()));
                continue;
            }
            // People first (membership decides everything after it), then the board and the
            // ledgers; the commons once every community and neighbour is back.
            let docs: Vec<DocId> =
                by_doc.keys().filter(|d| d.community == c && d.name != DocName::Commons).copied().collect();
            let mut waiting = 0;
            for doc in docs {
                let incoming = by_doc.remove(&doc).unwrap_or_default();
                let (held, still_waiting) = self.take_back(doc, incoming, &mut unreadable);
                saved += held;
                waiting = still_waiting;
            }
            if waiting > 0 {
                unreadable.push(format!(
                    "{waiting} changes of community {} wait for earlier changes that were lost (peers bring them)",
                    c.short()
                ));
            }
            let com = self.communities.get_mut(&c);
            let name = match com.map(|com| com.people().name.clone()) {
                Some(found) if !found.is_empty() => {
                    if let Err(e) = self.store.rename_community(c, &found) {
                        warn!(%e, "could not name a recovered community");
                    }
                    found
                }
                _ => {
                    // Nothing of its people document could be verified: the community stays
                    // as one being joined, empty, for a member's peer to fill.
                    unreadable.push(format!("the people document of community {}", c.short()));
                    name
                }
            };
            if let Err(e) = self.ensure_commons(c) {
                warn!(%e, community = %c.short(), "could not start a recovered community's commons");
            }
            ours.push((c, name));
        }
        for (c, name) in &neighbours {
            if let Err(e) =
                self.store.add_neighbour(*c, name).map_err(NodeError::from).and_then(|()| self.ensure_commons(*c))
            {
                unreadable.push(format!("the commons of neighbour {name}: {e}"));
            }
        }
        for (doc, incoming) in std::mem::take(&mut by_doc) {
            if doc.name == DocName::Commons && self.commons.contains_key(&doc.community) {
                saved += self.take_back(doc, incoming, &mut unreadable).0;
            } else {
                unreadable.push(format!("{} changes of {doc}, whose community is lost", incoming.len()));
            }
        }
        if identity_name.is_none() {
            self.name_from_people();
        }
        warn!(
            set_aside = %path.display(),
            %damage,
            communities = ours.len(),
            changes_saved = saved,
            unreadable = unreadable.len(),
            "the damaged database was set aside and what could be read was taken back; the rest comes from peers"
        );
        for what in &unreadable {
            info!(%what, "not saved from the damaged database");
        }
        self.recovered =
            Some(Recovered { set_aside: path, damage, communities: ours, changes_saved: saved, unreadable });
    }

    /// Writes the identity row again from the key files (they outlive the database).
    fn restore_identity(&mut self, name: Option<&str>) -> Result<(), NodeError> {
        if self.identity.is_some() {
            return Ok(());
        }
        let Some((member_key, device_key)) = weft_store::read_keys(&self.dir)? else { return Ok(()) };
        let name = name.unwrap_or(NAME_UNKNOWN);
        self.identity = Some(self.store.restore_identity(member_key, device_key, name)?);
        Ok(())
    }

    /// A community to take back, as joining starts one: an empty people document and the
    /// board's genesis, stored under its row.
    fn start_recovered(&mut self, c: CommunityId, name: &str) -> Result<(), NodeError> {
        if self.communities.contains_key(&c) {
            return Ok(());
        }
        let people = Document::load(DocId { community: c, name: DocName::People }, None, &[])
            .map_err(|e| NodeError::Write(e.to_string()))?;
        let board_id = DocId { community: c, name: DocName::Board };
        let (board, genesis) =
            Document::from_genesis(board_id).ok_or_else(|| NodeError::Write("could not start the board".into()))?;
        let name = if name.is_empty() { "(recovering)" } else { name };
        self.store.commit(&Batch { communities: vec![(c, name.into())], changes: vec![(board_id, genesis)] })?;
        let now = self.clock.mono();
        self.communities.insert(c, Community::new(c, people, board, BTreeSet::new(), now));
        Ok(())
    }

    /// One document's salvaged changes through the ingest path peers' changes take (verified,
    /// applied, stored); returns how many the document holds of them afterwards, and how
    /// many changes of the community still wait for their parents.
    fn take_back(&mut self, doc: DocId, incoming: Vec<Incoming>, unreadable: &mut Vec<String>) -> (u64, usize) {
        let offered = incoming.len();
        match self.ingest(doc.community, doc.name, incoming) {
            Ok(report) => {
                if !report.rejected.is_empty() {
                    let first = report.rejected.first().map(|r| r.why.clone()).unwrap_or_default();
                    unreadable.push(format!(
                        "{} changes of {doc} failed verification (the first: {first})",
                        report.rejected.len()
                    ));
                }
                (u64::try_from(report.applied + report.already).unwrap_or(u64::MAX), report.waiting)
            }
            Err(e) => {
                unreadable.push(format!("{offered} changes of {doc}: {e}"));
                (0, 0)
            }
        }
    }

    /// The identity's name as a recovered people document has it, when its row was lost.
    fn name_from_people(&mut self) {
        let Some(me) = self.me_if_any() else { return };
        let found = self.communities.values_mut().find_map(|com| com.people().members.get(&me).map(|m| m.name.clone()));
        let Some(name) = found else { return };
        match self.store.set_identity_name(&name) {
            Ok(()) => {
                if let Some(stored) = self.identity.as_mut() {
                    stored.name = name;
                }
            }
            Err(e) => warn!(%e, "could not restore the identity's name"),
        }
    }
}
