//! Verification of a received change, before it is applied or passed on.
//!
//! A change is accepted only if:
//! 1. it is the document's deterministic genesis (board, ledger), or it is signed by the
//!    device that made it (its Automerge actor), for this very document;
//! 2. that device is certified by a current member of the community (the people document's
//!    genesis certifies its founder's device itself, and its hash must be the community id);
//! 3. every operation in it writes a path the schema knows, with a value of the right kind,
//!    and the author may write there: only a member logs their own hours, withdraws their own
//!    pledge, edits their own profile; fields fixed at creation stay fixed; nothing is a list,
//!    text or counter; no record is replaced wholesale.
//!
//! A change whose parents we do not have yet, or whose author we do not know yet, is not
//! rejected: `VerifyError::is_retryable` says to hold it until the rest arrives.

use std::collections::HashMap;

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{ActorId, Change, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ScalarValue};

use crate::doc::people::PeopleView;
use crate::doc::schema::{Rule, Value, Who, rule_for};
use crate::doc::{DocId, DocKind, DocName, Document, deterministic_genesis};
use crate::id::{DeviceId, GuildId, MemberId, PledgeId, SectorId, TaskId};
use crate::identity::{ChangeSignature, DeviceCert};
use crate::time::Date;

/// Why a change was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the change depends on {} change(s) we do not have yet", .0.len())]
    MissingDeps(Vec<ChangeHash>),
    #[error("the change was made by device {}, which no current member has certified (yet)", .0.short())]
    UnknownDevice(DeviceId),
    #[error("the change was made by a device of {}, who has been removed from the community", .0.short())]
    RemovedMember(MemberId),
    #[error("the change carries no signature")]
    Unsigned,
    #[error("the change's signature does not verify for its device and document")]
    BadSignature,
    #[error("the change's author is not a device key")]
    BadActor,
    #[error("the change has no parents but is not this document's genesis")]
    NotGenesis,
    #[error("the founding change does not match the community id or does not certify its author")]
    BadGenesis,
    #[error("{} may not write '{path}': {why}", author.short())]
    NotAllowed { author: MemberId, path: String, why: String },
}

impl VerifyError {
    /// Whether the change may become acceptable once more changes arrive (its parents, or
    /// the people change that admits its author).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::MissingDeps(_) | Self::UnknownDevice(_))
    }
}

/// What verification learned about an accepted change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The member who made it; `None` for a deterministic genesis.
    pub author: Option<MemberId>,
}

/// Verifies changes for one document.
#[derive(Debug, Clone)]
pub struct Verifier {
    doc: DocId,
    genesis: Option<ChangeHash>,
}

impl Verifier {
    pub fn new(doc: DocId) -> Self {
        Self { doc, genesis: deterministic_genesis(&doc.community, doc.name).map(|c| c.hash()) }
    }

    /// Checks one change against the document as it is now and the community's membership.
    /// `people` is the people document's current view (for the people document itself: its
    /// view before this change).
    pub fn verify(
        &self,
        doc: &Document,
        people: &PeopleView,
        change: &Change,
        signature: Option<&ChangeSignature>,
    ) -> Result<Verified, VerifyError> {
        let hash = change.hash();
        if Some(hash) == self.genesis {
            return Ok(Verified { author: None });
        }
        let missing: Vec<ChangeHash> = change.deps().iter().filter(|d| !doc.has_change(d)).copied().collect();
        if !missing.is_empty() {
            return Err(VerifyError::MissingDeps(missing));
        }
        let device = device_of(change.actor_id()).ok_or(VerifyError::BadActor)?;
        let signature = signature.ok_or(VerifyError::Unsigned)?;
        if !signature.verify(&device, &self.doc, &hash) {
            return Err(VerifyError::BadSignature);
        }
        let founding = change.deps().is_empty();
        if founding && (self.doc.name != DocName::People || !doc.is_empty()) {
            return Err(VerifyError::NotGenesis);
        }
        let author = if founding {
            if crate::id::CommunityId::from_genesis_hash(&hash) != self.doc.community {
                return Err(VerifyError::BadGenesis);
            }
            founder_of(change).ok_or(VerifyError::BadGenesis)?
        } else {
            match people.member_of_device(&device) {
                Some(m) => m.id,
                None => {
                    return Err(match people.members.values().find(|m| m.devices.contains_key(&device)) {
                        Some(m) => VerifyError::RemovedMember(m.id),
                        None => VerifyError::UnknownDevice(device),
                    });
                }
            }
        };
        let year = match self.doc.name {
            DocName::Ledger(y) => Some(y),
            _ => None,
        };
        let mut check = OpCheck {
            kind: self.doc.name.kind(),
            doc: doc.automerge(),
            author,
            device,
            year,
            founding,
            certified_self: false,
            created: HashMap::new(),
            resolved: HashMap::new(),
        };
        check.run(change)?;
        if founding && !check.certified_self {
            return Err(VerifyError::BadGenesis);
        }
        Ok(Verified { author: Some(author) })
    }
}

fn device_of(actor: &ActorId) -> Option<DeviceId> {
    let bytes: [u8; 32] = actor.to_bytes().try_into().ok()?;
    Some(DeviceId::from_bytes(bytes))
}

/// The founder a people genesis names (`community/founder`).
fn founder_of(change: &Change) -> Option<MemberId> {
    change.decode().operations.iter().find_map(|op| match (&op.key, &op.action) {
        (Key::Map(k), OpType::Put(ScalarValue::Str(s))) if k.as_str() == "founder" => s.parse().ok(),
        _ => None,
    })
}

struct OpCheck<'a> {
    kind: DocKind,
    doc: &'a automerge::Automerge,
    author: MemberId,
    device: DeviceId,
    year: Option<i32>,
    founding: bool,
    /// Whether a founding change certified its own device for its founder.
    certified_self: bool,
    /// Maps created by this change, with their paths.
    created: HashMap<OpId, Vec<String>>,
    /// Paths of existing objects this change writes into.
    resolved: HashMap<OpId, Vec<String>>,
}

impl OpCheck<'_> {
    fn deny(&self, path: &[String], why: impl Into<String>) -> VerifyError {
        VerifyError::NotAllowed { author: self.author, path: path.join("/"), why: why.into() }
    }

    fn run(&mut self, change: &Change) -> Result<(), VerifyError> {
        let actor = change.actor_id().clone();
        let start = change.start_op().get();
        for (i, op) in change.decode().operations.iter().enumerate() {
            let (mut path, parent_new) = match &op.obj {
                ObjectId::Root => (Vec::new(), self.founding),
                ObjectId::Id(id) => match self.created.get(id) {
                    Some(p) => (p.clone(), true),
                    None => (self.existing_path(id)?, false),
                },
            };
            match &op.key {
                Key::Map(k) => path.push(k.to_string()),
                Key::Seq(_) => return Err(self.deny(&path, "lists are not part of the schema")),
            }
            if op.insert {
                return Err(self.deny(&path, "lists are not part of the schema"));
            }
            let rule = rule_for(self.kind, &path).ok_or_else(|| self.deny(&path, "the schema has no such field"))?;
            match &op.action {
                OpType::Make(ObjType::Map) => {
                    if rule.value != Value::Map {
                        return Err(self.deny(&path, "holds a value, not a record"));
                    }
                    if !op.pred.is_empty() {
                        return Err(self.deny(&path, "would replace an existing record"));
                    }
                    let counter = start + u64::try_from(i).unwrap_or(u64::MAX);
                    self.created.insert(OpId(counter, actor.clone()), path.clone());
                }
                OpType::Make(_) => return Err(self.deny(&path, "only maps are part of the schema")),
                OpType::Put(v) => {
                    if rule.value == Value::Map {
                        return Err(self.deny(&path, "is a record and cannot be replaced by a value"));
                    }
                    self.check_value(rule, &path, v)?;
                }
                OpType::Delete => {
                    if !rule.deletable {
                        return Err(self.deny(&path, "cannot be deleted"));
                    }
                }
                OpType::Increment(_) | OpType::MarkBegin(_) | OpType::MarkEnd(_) => {
                    return Err(self.deny(&path, "counters and marks are not part of the schema"));
                }
            }
            self.check_who(rule, &path, parent_new)?;
        }
        Ok(())
    }

    /// The path of an object that existed before this change.
    fn existing_path(&mut self, id: &OpId) -> Result<Vec<String>, VerifyError> {
        if let Some(p) = self.resolved.get(id) {
            return Ok(p.clone());
        }
        let exid = ObjId::Id(id.counter(), id.actor().clone(), 0);
        let parents =
            self.doc.parents(&exid).map_err(|_| self.deny(&[], "writes into an object that does not exist"))?;
        let mut path = Vec::new();
        for (_, prop) in parents.path() {
            match prop {
                Prop::Map(k) => path.push(k),
                Prop::Seq(_) => return Err(self.deny(&path, "lists are not part of the schema")),
            }
        }
        self.resolved.insert(id.clone(), path.clone());
        Ok(path)
    }

    /// The member who logged a ledger entry (the author, if the entry is new in this change).
    fn entry_member(&self, entry_key: &str) -> Option<MemberId> {
        let entries = crate::doc::read::root_map(self.doc, "entries")?;
        let entry = crate::doc::read::child_map(self.doc, &entries, entry_key)?;
        match self.doc.get(&entry, "member") {
            Ok(Some((automerge::Value::Scalar(s), _))) => match s.as_ref() {
                ScalarValue::Str(m) => m.parse().ok(),
                _ => None,
            },
            _ => None,
        }
    }

    fn check_who(&self, rule: &Rule, path: &[String], parent_new: bool) -> Result<(), VerifyError> {
        let me = self.author.to_string();
        let pair_member = || path.get(1).and_then(|k| k.parse::<PledgeId>().ok()).map(|p| p.member);
        let ok = match rule.who {
            Who::Genesis => self.founding,
            Who::AtCreation => parent_new,
            Who::Member => true,
            Who::MemberAt(n) => parent_new || path.get(n) == Some(&me),
            Who::PairMember => parent_new || pair_member() == Some(self.author),
            Who::EntryOwner => parent_new || path.get(1).and_then(|e| self.entry_member(e)) == Some(self.author),
            Who::Confirmer => {
                // The confirmations map is created only with its entry, so a new one means the
                // entry is new in this change, and the author's own.
                let own = parent_new || path.get(1).and_then(|e| self.entry_member(e)) == Some(self.author);
                if own {
                    return Err(self.deny(path, "members cannot confirm their own hours"));
                }
                path.get(3) == Some(&me)
            }
        };
        if ok {
            return Ok(());
        }
        Err(self.deny(
            path,
            match rule.who {
                Who::Genesis => "is written only when the community is founded",
                Who::AtCreation => "is fixed when the record is created",
                _ => "belongs to another member",
            },
        ))
    }

    fn check_value(&mut self, rule: &Rule, path: &[String], v: &ScalarValue) -> Result<(), VerifyError> {
        let s = match v {
            ScalarValue::Str(s) => Some(s.as_str()),
            _ => None,
        };
        let pair = || path.get(1).and_then(|k| k.parse::<PledgeId>().ok());
        let ok = match rule.value {
            Value::Map => false,
            Value::Const(c) => s == Some(c),
            Value::Text { min, max } => s.is_some_and(|s| (min..=max).contains(&s.chars().count())),
            Value::Slug => s.is_some_and(|s| s.parse::<SectorId>().is_ok()),
            Value::TaskRef => s.is_some_and(|s| s.parse::<TaskId>().is_ok_and(|t| t.to_string() == s)),
            Value::GuildRef => s.is_some_and(|s| s.parse::<GuildId>().is_ok_and(|g| g.to_string() == s)),
            Value::Uint { min, max } => match v {
                ScalarValue::Uint(u) => (min..=max).contains(u),
                ScalarValue::Int(i) => u64::try_from(*i).is_ok_and(|u| (min..=max).contains(&u)),
                _ => false,
            },
            Value::Bool => matches!(v, ScalarValue::Boolean(_)),
            Value::True => matches!(v, ScalarValue::Boolean(true)),
            Value::Timestamp => matches!(v, ScalarValue::Timestamp(_)),
            Value::Date => s.is_some_and(|s| s.parse::<Date>().is_ok()),
            Value::DateInYear => s.and_then(|s| s.parse::<Date>().ok()).is_some_and(|d| Some(d.year()) == self.year),
            Value::OneOf(words) => s.is_some_and(|s| words.contains(&s)),
            Value::Author => s == Some(self.author.to_string().as_str()),
            Value::PairTask => s.is_some() && pair().map(|p| p.task.to_string()).as_deref() == s,
            Value::PairMember => s.is_some() && pair().map(|p| p.member.to_string()).as_deref() == s,
            Value::Cert => {
                let member = path.get(1).and_then(|m| m.parse::<MemberId>().ok());
                let device = path.get(3).and_then(|d| d.parse::<DeviceId>().ok());
                let cert = match v {
                    ScalarValue::Bytes(b) => <[u8; 64]>::try_from(b.as_slice()).ok().map(DeviceCert),
                    _ => None,
                };
                match (member, device, cert) {
                    (Some(m), Some(d), Some(c)) if c.verify(&m, &d) => {
                        if self.founding && m == self.author && d == self.device {
                            self.certified_self = true;
                        }
                        true
                    }
                    _ => false,
                }
            }
        };
        if ok { Ok(()) } else { Err(self.deny(path, format!("{v} is not a valid value here ({:?})", rule.value))) }
    }
}
