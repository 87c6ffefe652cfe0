//! The community's Automerge documents: names, genesis, and the typed reading and writing of
//! each kind.
//!
//! Every community has three kinds of document: **people** (settings, sectors, guilds,
//! members and their devices and profiles), **board** (tasks, pledges, concerns) and one
//! **ledger** per year (hour entries, confirmations, feedback). They are standard Automerge
//! documents: maps of records keyed by id, scalar fields, no lists and no text objects, so
//! `@automerge/automerge` loads them as plain JSON-like data.
//!
//! Only the people document has an authored genesis (the founder's first change, whose hash
//! names the community). The board and every ledger start from a *deterministic* genesis
//! change built from the community id and the document name alone, so two members who create
//! the 2027 ledger on the same morning, offline, create byte-identical first changes and
//! never end up with two competing `entries` maps. That genesis is frozen per schema version.

pub mod board;
mod build;
#[cfg(test)]
mod convergence_tests;
pub mod ledger;
pub mod membership;
pub mod people;
pub(crate) mod read;
pub mod schema;

use std::fmt;
use std::str::FromStr;

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{ActorId, Automerge, AutomergeError, Change, ChangeHash, ObjType, ROOT, ReadDoc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::id::CommunityId;
use crate::identity::{Identity, SignedChange};
use crate::time::Timestamp;

/// Which document of a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocName {
    People,
    Board,
    /// The hour ledger of one calendar year.
    Ledger(i32),
}

/// The kind of a document, whatever its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    People,
    Board,
    Ledger,
}

impl DocName {
    pub fn kind(self) -> DocKind {
        match self {
            Self::People => DocKind::People,
            Self::Board => DocKind::Board,
            Self::Ledger(_) => DocKind::Ledger,
        }
    }
}

impl fmt::Display for DocName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::People => f.write_str("people"),
            Self::Board => f.write_str("board"),
            Self::Ledger(year) => write!(f, "ledger/{year}"),
        }
    }
}

/// Why a document name could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a document: use people, board or ledger/YYYY")]
pub struct ParseDocNameError(pub String);

impl FromStr for DocName {
    type Err = ParseDocNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "people" => Ok(Self::People),
            "board" => Ok(Self::Board),
            other => {
                let year = other.strip_prefix("ledger/").ok_or_else(|| ParseDocNameError(s.to_owned()))?;
                if year.len() != 4 {
                    return Err(ParseDocNameError(s.to_owned()));
                }
                year.parse().map(Self::Ledger).map_err(|_| ParseDocNameError(s.to_owned()))
            }
        }
    }
}

impl Serialize for DocName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DocName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// A document of a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DocId {
    pub community: CommunityId,
    pub name: DocName,
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.community.short(), self.name)
    }
}

/// The `schema` value at the root of each kind of document.
pub const PEOPLE_SCHEMA: &str = "weft/people/1";
pub const BOARD_SCHEMA: &str = "weft/board/1";
pub const LEDGER_SCHEMA: &str = "weft/ledger/1";

/// The containers each genesis creates at the root. Frozen: a new container needs a new
/// schema version, because a container created later by two members at once would split.
pub const PEOPLE_ROOTS: &[&str] =
    &["community", "settings", "sectors", "guilds", "members", "removed", "invites", "epochs", "crews"];
pub const BOARD_ROOTS: &[&str] = &["tasks", "pledges", "flags", "proposals"];
pub const LEDGER_ROOTS: &[&str] = &["entries", "feedback", "declines"];

/// Something went wrong inside Automerge while writing; the document is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Validation(#[from] crate::validate::ValidationError),
    #[error("the document could not be changed: {0}")]
    Automerge(#[from] AutomergeError),
    #[error("the change was empty")]
    Empty,
    #[error("{0}")]
    Other(String),
    #[error("hours of {date} belong in the ledger of {}, not in {doc}", date.year())]
    WrongLedger { date: crate::time::Date, doc: DocName },
}

/// Why a document could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the saved document is damaged: {0}")]
    Automerge(#[from] AutomergeError),
    #[error("a saved change is damaged: {0}")]
    Change(#[from] automerge::LoadChangeError),
}

fn genesis_actor(community: &CommunityId, name: DocName) -> ActorId {
    let mut h = Sha256::new();
    h.update(b"weft/genesis/v1");
    h.update(community.as_bytes());
    h.update(name.to_string().as_bytes());
    let digest: [u8; 32] = h.finalize().into();
    ActorId::from(&digest[..16])
}

/// The deterministic first change of a board or ledger document (none for people, whose
/// genesis is the founder's). Every device computes the same bytes.
pub fn deterministic_genesis(community: &CommunityId, name: DocName) -> Option<Change> {
    let (schema, roots) = match name {
        DocName::People => return None,
        DocName::Board => (BOARD_SCHEMA, BOARD_ROOTS),
        DocName::Ledger(_) => (LEDGER_SCHEMA, LEDGER_ROOTS),
    };
    let mut doc = Automerge::new().with_actor(genesis_actor(community, name));
    let mut tx = doc.transaction();
    let result: Result<(), AutomergeError> = (|| {
        tx.put(ROOT, "schema", schema)?;
        if let DocName::Ledger(year) = name {
            tx.put(ROOT, "year", i64::from(year))?;
        }
        for root in roots {
            tx.put_object(ROOT, *root, ObjType::Map)?;
        }
        Ok(())
    })();
    result.ok()?;
    let (hash, _) = tx.commit_with(CommitOptions::default().with_time(0));
    doc.get_change_by_hash(&hash?)
}

/// One community document in memory.
#[derive(Debug, Clone)]
pub struct Document {
    id: DocId,
    doc: Automerge,
}

impl Document {
    /// A board or ledger document holding only its deterministic genesis.
    pub fn from_genesis(id: DocId) -> Option<(Self, SignedChange)> {
        let change = deterministic_genesis(&id.community, id.name)?;
        let signed = SignedChange { hash: change.hash(), bytes: change.raw_bytes().to_vec(), signature: None };
        let mut doc = Automerge::new();
        doc.apply_changes([change]).ok()?;
        Some((Self { id, doc }, signed))
    }

    /// A document from a saved snapshot (or nothing) plus the changes logged after it.
    pub fn load(id: DocId, snapshot: Option<&[u8]>, changes: &[Vec<u8>]) -> Result<Self, LoadError> {
        let mut doc = match snapshot {
            Some(bytes) => Automerge::load(bytes)?,
            None => Automerge::new(),
        };
        let changes = changes.iter().map(|b| Change::from_bytes(b.clone())).collect::<Result<Vec<_>, _>>()?;
        doc.apply_changes(changes)?;
        Ok(Self { id, doc })
    }

    pub fn id(&self) -> DocId {
        self.id
    }
    pub fn automerge(&self) -> &Automerge {
        &self.doc
    }
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }
    /// Whether the document has no changes at all.
    pub fn is_empty(&self) -> bool {
        self.doc.get_heads().is_empty()
    }
    pub fn has_change(&self, hash: &ChangeHash) -> bool {
        self.doc.get_change_meta_by_hash(hash).is_some()
    }

    /// Applies changes that were verified (or that this device wrote itself).
    pub fn apply(&mut self, changes: impl IntoIterator<Item = Change>) -> Result<(), AutomergeError> {
        let changes: Vec<Change> = changes.into_iter().collect();
        self.doc.apply_changes(changes)
    }

    /// The next message of Automerge's sync protocol for a peer, or `None` when there is
    /// nothing to say. Weft speaks the protocol with per-change chunks only (never a whole
    /// compressed document), because every change travels with its signature and is verified
    /// on its own: the message advertises no capabilities, so the peer never sends us a
    /// document either.
    pub fn generate_sync(&self, state: &mut automerge::sync::State) -> Option<automerge::sync::Message> {
        use automerge::sync::SyncDoc;
        state.their_capabilities = None;
        let mut message = self.doc.generate_sync_message(state)?;
        message.flags = None;
        message.version = automerge::sync::MessageVersion::V1;
        Some(message)
    }

    /// Takes in a peer's sync message whose changes were already verified and applied (the
    /// message must carry none: they are taken out before verification).
    pub fn receive_sync(
        &mut self,
        state: &mut automerge::sync::State,
        mut message: automerge::sync::Message,
    ) -> Result<(), AutomergeError> {
        use automerge::sync::SyncDoc;
        message.changes = automerge::sync::ChunkList::empty();
        message.flags = None;
        self.doc.receive_sync_message(state, message)?;
        state.their_capabilities = None;
        Ok(())
    }

    /// Makes one change as `identity`, signs it, and returns it for storage. If `f` fails the
    /// document is left as it was.
    pub(crate) fn write<F>(&mut self, identity: &Identity, now: Timestamp, f: F) -> Result<SignedChange, WriteError>
    where
        F: FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
    {
        let actor = identity.actor();
        if self.doc.get_actor() != &actor {
            self.doc.set_actor(actor);
        }
        let mut tx = self.doc.transaction();
        if let Err(e) = f(&mut tx) {
            tx.rollback();
            return Err(e.into());
        }
        let (hash, _) = tx.commit_with(CommitOptions::default().with_time(now.millis()));
        let hash = hash.ok_or(WriteError::Empty)?;
        let change = self.doc.get_change_by_hash(&hash).ok_or(WriteError::Empty)?;
        Ok(SignedChange {
            hash,
            bytes: change.raw_bytes().to_vec(),
            signature: Some(identity.sign_change(&self.id, &hash)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_names_round_trip() {
        for name in [DocName::People, DocName::Board, DocName::Ledger(2026)] {
            assert_eq!(name.to_string().parse::<DocName>().unwrap(), name);
        }
        assert!("ledger/26".parse::<DocName>().is_err());
        assert!("tasks".parse::<DocName>().is_err());
    }

    #[test]
    fn deterministic_genesis_is_the_same_everywhere_and_differs_per_document() {
        let c = CommunityId::from_bytes([3; 16]);
        let a = deterministic_genesis(&c, DocName::Ledger(2027)).unwrap();
        let b = deterministic_genesis(&c, DocName::Ledger(2027)).unwrap();
        assert_eq!(a.raw_bytes(), b.raw_bytes());
        let other = deterministic_genesis(&c, DocName::Ledger(2028)).unwrap();
        assert_ne!(a.hash(), other.hash());
        let board = deterministic_genesis(&c, DocName::Board).unwrap();
        assert_ne!(a.hash(), board.hash());
        assert!(deterministic_genesis(&c, DocName::People).is_none());
    }
}
