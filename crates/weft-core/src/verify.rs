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

use automerge::legacy::{Key, ObjectId, OpId, OpType, SortedVec};
use automerge::{ActorId, Change, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ScalarValue};

use crate::doc::commons;
use crate::doc::people::PeopleView;
use crate::doc::schema::{Rule, Value, Who, rule_for};
use crate::doc::{DocId, DocKind, DocName, Document, deterministic_genesis};
use crate::id::{CommunityId, DeviceId, GuildId, MemberId, PledgeId, SectorId, TaskId};
use crate::identity::{ChangeSignature, DeviceCert};
use crate::roster::{Evidence, Roster};
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
    #[error("the change was made by device {} of {}, which has been revoked", .0.short(), .1.short())]
    RevokedDevice(DeviceId, MemberId),
    #[error("the change carries no signature, and no signed later change of its device vouches for it")]
    Unsigned,
    #[error("the change's signature does not verify for its device and document")]
    BadSignature,
    #[error("the change's author is not a device key")]
    BadActor,
    #[error("the change has no parents but is not this document's genesis")]
    NotGenesis,
    #[error("the founding change does not match the community id or does not certify its author")]
    BadGenesis,
    #[error("the change's bytes are damaged: {0}")]
    Malformed(String),
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

/// Parses a change received from a peer, strictly: Automerge's own checks, plus the chunk's
/// checksum (Automerge recomputes the hash from the contents and would accept a wrong
/// checksum), and no bytes beyond the change. Automerge's change reader panics on some
/// damaged changes (an op's object counter past `u32::MAX`): caught, like a bundle's, and
/// reported as damaged bytes.
pub fn parse_change(bytes: &[u8]) -> Result<Change, VerifyError> {
    // Automerge trusts the run lengths in a change's columns (and inflates a compressed one, or
    // reads a bundle or document handed to it, without a limit): bound those first.
    crate::bundle_guard::check_change(bytes).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    let change = std::panic::catch_unwind(|| {
        let change = Change::from_bytes(bytes.to_vec())?;
        readable_ops(&change);
        Ok::<_, automerge::LoadChangeError>(change)
    })
    .map_err(|_| VerifyError::Malformed("the change could not be read".into()))?
    .map_err(|e| VerifyError::Malformed(e.to_string()))?;
    let checksum = bytes.get(4..8).ok_or_else(|| VerifyError::Malformed("too short".into()))?;
    if checksum != &change.hash().0[..4] {
        return Err(VerifyError::Malformed("the checksum does not match the contents".into()));
    }
    Ok(change)
}

/// Reads a bundle of changes received from a peer (Automerge's compressed form of a set of
/// changes: a peer far behind receives one instead of the changes one by one). The changes'
/// hashes are computed from their contents, so a damaged bundle yields changes no signature
/// vouches for. Automerge's bundle reader is young: a panic in it is caught and reported as
/// damaged bytes, never taken down with the peer.
pub fn parse_bundle(bytes: &[u8]) -> Result<Vec<Change>, VerifyError> {
    // Automerge inflates compressed columns and expands runs without a limit: bound those first.
    crate::bundle_guard::check(bytes)
        .map_err(|e| VerifyError::Malformed(format!("the bundle could not be read: {e}")))?;
    let read = std::panic::catch_unwind(|| {
        let changes =
            automerge::Bundle::try_from(bytes).map_err(|e| e.to_string())?.to_changes().map_err(|e| e.to_string())?;
        changes.iter().for_each(readable_ops);
        Ok::<_, String>(changes)
    });
    match read {
        Ok(Ok(changes)) => Ok(changes),
        Ok(Err(e)) => Err(VerifyError::Malformed(format!("the bundle could not be read: {e}"))),
        Err(_) => Err(VerifyError::Malformed("the bundle could not be read".into())),
    }
}

/// Reads every operation of a change once, inside the caller's `catch_unwind`. Automerge
/// checks a change's columns when it reads the change but not every value in them (an
/// increment of a value that is no number), then `unwrap`s each operation wherever it reads
/// them later: in verification, in the roster, in `apply` on the state thread. Found by
/// fuzzing; so a change Weft holds is one whose operations all read.
fn readable_ops(change: &Change) {
    let _ = change.decode();
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
    /// The deterministic upgrades after it (`doc::deterministic_upgrades`): no author either.
    upgrades: Vec<ChangeHash>,
    /// Changes whose signatures were already checked in bulk ([`Verifier::presign`]).
    signed: std::collections::HashSet<ChangeHash>,
}

/// Changes of one document that were verified but are not applied yet, and what they created:
/// the objects (with their paths) and the ledger entries (with their member). A change checked
/// with [`Verifier::verify_in_run`] may write into these as if they were applied, so a batch
/// can be verified in full and applied in one call. Clear it once the run is applied.
#[derive(Debug, Default)]
pub struct Run {
    hashes: std::collections::HashSet<ChangeHash>,
    /// The authors of the run's changes, with the last sequence number of each.
    actors: HashMap<ActorId, u64>,
    created: HashMap<OpId, Vec<String>>,
    /// `None` when two changes of the run created the same entry: then the entry is read from
    /// the document, after the run is applied.
    entries: HashMap<String, Option<MemberId>>,
}

/// A change's verdict, with what it creates (for a [`Run`]).
struct Checked {
    verified: Verified,
    created: HashMap<OpId, Vec<String>>,
    entries: Vec<(String, MemberId)>,
}

impl Run {
    pub fn contains(&self, hash: &ChangeHash) -> bool {
        self.hashes.contains(hash)
    }
    pub fn clear(&mut self) {
        self.hashes.clear();
        self.actors.clear();
        self.created.clear();
        self.entries.clear();
    }
}

impl Verifier {
    pub fn new(doc: DocId) -> Self {
        Self {
            doc,
            genesis: deterministic_genesis(&doc.community, doc.name).map(|c| c.hash()),
            upgrades: crate::doc::deterministic_upgrades(&doc.community, doc.name).iter().map(|c| c.hash()).collect(),
            signed: std::collections::HashSet::new(),
        }
    }

    /// Checks the signatures of a batch of changes at once (on all cores), so that verifying
    /// each change afterwards skips its signature, and notes the changes of the batch that a
    /// valid signature vouches for without their own ([`crate::cover`]: a signed change vouches
    /// for its device's earlier changes it descends from). Changes whose signature fails, or
    /// that have none and are not vouched for, are simply not remembered:
    /// [`verify`](Self::verify) checks them again and says why.
    pub fn presign<'a>(&mut self, changes: impl IntoIterator<Item = (&'a Change, Option<&'a ChangeSignature>)>) {
        let batch: Vec<(&Change, Option<&ChangeSignature>)> = changes.into_iter().collect();
        let items: Vec<(usize, DeviceId, ChangeHash, ChangeSignature)> = batch
            .iter()
            .enumerate()
            .filter_map(|(i, (c, sig))| Some((i, device_of(c.actor_id())?, c.hash(), **sig.as_ref()?)))
            .filter(|(_, _, hash, _)| !self.signed.contains(hash))
            .collect();
        let to_check: Vec<(DeviceId, ChangeHash, ChangeSignature)> =
            items.iter().map(|(_, device, hash, sig)| (*device, *hash, *sig)).collect();
        let ok = crate::identity::verify_signatures(&self.doc, &to_check);
        let mut valid = vec![false; batch.len()];
        for ((i, _, hash, _), ok) in items.iter().zip(ok) {
            if ok {
                valid[*i] = true;
                self.signed.insert(*hash);
            }
        }
        for (i, (c, _)) in batch.iter().enumerate() {
            valid[i] |= self.signed.contains(&c.hash());
        }
        let changes: Vec<&Change> = batch.iter().map(|(c, _)| *c).collect();
        for (c, cover) in changes.iter().zip(crate::cover::cover(&changes, &valid)) {
            if cover == crate::cover::Cover::Covered {
                self.signed.insert(c.hash());
            }
        }
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
        self.check(doc, people, change, signature, None).map(|c| c.verified)
    }

    /// Like [`verify`](Self::verify), for a change whose parents, and the objects it writes
    /// into, may be among the verified but unapplied changes of `run`. On success the change
    /// joins the run. What a change may do is decided exactly as [`verify`](Self::verify)
    /// would decide it once the run is applied: objects keep the path they were created at,
    /// and an entry's member is fixed when it is created.
    pub fn verify_in_run(
        &self,
        doc: &Document,
        people: &PeopleView,
        change: &Change,
        signature: Option<&ChangeSignature>,
        run: &mut Run,
    ) -> Result<Verified, VerifyError> {
        let checked = self.check(doc, people, change, signature, Some(run))?;
        run.hashes.insert(change.hash());
        let last = run.actors.entry(change.actor_id().clone()).or_insert(0);
        *last = change.seq().max(*last);
        run.created.extend(checked.created);
        for (key, member) in checked.entries {
            run.entries.entry(key).and_modify(|m| *m = None).or_insert(Some(member));
        }
        Ok(checked.verified)
    }

    /// What every document's check starts with: `None` for the deterministic genesis; else
    /// the change's parents are here (or in `run`), its author is a device, and its signature
    /// (or a signed later change of its device) vouches for it. Returns its hash and device.
    fn authenticate(
        &self,
        doc: &Document,
        change: &Change,
        signature: Option<&ChangeSignature>,
        run: Option<&Run>,
    ) -> Result<Option<(ChangeHash, DeviceId)>, VerifyError> {
        let hash = change.hash();
        if Some(hash) == self.genesis {
            return Ok(None);
        }
        let missing: Vec<ChangeHash> = change
            .deps()
            .iter()
            .filter(|d| !doc.has_change(d) && !run.is_some_and(|r| r.hashes.contains(*d)))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(VerifyError::MissingDeps(missing));
        }
        if self.upgrades.contains(&hash) {
            return Ok(None);
        }
        as_automerge_expects(doc, change, run)?;
        let device = device_of(change.actor_id()).ok_or(VerifyError::BadActor)?;
        if !self.signed.contains(&hash) && !signature.ok_or(VerifyError::Unsigned)?.verify(&device, &self.doc, &hash) {
            return Err(VerifyError::BadSignature);
        }
        Ok(Some((hash, device)))
    }

    fn check(
        &self,
        doc: &Document,
        people: &PeopleView,
        change: &Change,
        signature: Option<&ChangeSignature>,
        run: Option<&Run>,
    ) -> Result<Checked, VerifyError> {
        let Some((hash, device)) = self.authenticate(doc, change, signature, run)? else {
            return Ok(Checked { verified: Verified { author: None }, created: HashMap::new(), entries: Vec::new() });
        };
        let founding = change.deps().is_empty();
        if founding && (self.doc.name != DocName::People || !doc.is_empty()) {
            return Err(VerifyError::NotGenesis);
        }
        let author = if founding {
            if CommunityId::from_genesis_hash(&hash) != self.doc.community {
                return Err(VerifyError::BadGenesis);
            }
            founder_of(change).ok_or(VerifyError::BadGenesis)?
        } else {
            match people.member_of_device(&device) {
                Some(m) => m.id,
                None => {
                    let holder = people.members.values().find(|m| m.device_records.contains_key(&device));
                    match holder {
                        Some(m) if m.removed => return Err(VerifyError::RemovedMember(m.id)),
                        // Written before the revocation's cut: it stays its member's.
                        Some(m)
                            if m.device_records
                                .get(&device)
                                .and_then(|r| r.revoked.as_ref())
                                .is_some_and(|r| r.covers(&self.doc.name.to_string(), change.seq())) =>
                        {
                            m.id
                        }
                        Some(m) => return Err(VerifyError::RevokedDevice(device, m.id)),
                        None => return Err(VerifyError::UnknownDevice(device)),
                    }
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
            community: self.doc.community,
            home: true,
            device,
            year,
            founding,
            certified_self: false,
            created: HashMap::new(),
            resolved: HashMap::new(),
            run,
            new_entries: Vec::new(),
            vouched: Vec::new(),
            device_fields: HashMap::new(),
        };
        check.run(change)?;
        if founding && !check.certified_self {
            return Err(VerifyError::BadGenesis);
        }
        Ok(Checked { verified: Verified { author: Some(author) }, created: check.created, entries: check.new_entries })
    }
}

/// The rosters of linked neighbours whose commons this peer holds, for verifying their
/// members' changes in another commons.
pub trait NeighbourRosters {
    fn roster(&self, community: &CommunityId) -> Option<&Roster>;
}

impl NeighbourRosters for std::collections::BTreeMap<CommunityId, Roster> {
    fn roster(&self, community: &CommunityId) -> Option<&Roster> {
        self.get(community)
    }
}

impl Verifier {
    /// Checks one change of a commons. Its author is a member of the commons' own community
    /// (by the roster its evidence proves, counting any evidence the change itself brings) or
    /// of a community it is linked to now (by that community's roster, from `neighbours`).
    /// The schema then says what each may write: only the community's own members write its
    /// roster, directory, links, calls, offers and needs; a neighbour writes its own pledges,
    /// hours and replies.
    pub fn verify_commons(
        &self,
        doc: &Document,
        neighbours: &impl NeighbourRosters,
        change: &Change,
        signature: Option<&ChangeSignature>,
    ) -> Result<Verified, VerifyError> {
        if self.doc.name != DocName::Commons {
            return Err(VerifyError::Malformed(format!("{} is not a commons", self.doc)));
        }
        let Some((_, device)) = self.authenticate(doc, change, signature, None)? else {
            return Ok(Verified { author: None });
        };
        if change.deps().is_empty() {
            return Err(VerifyError::NotGenesis);
        }
        let mut evidence = commons::evidence(doc.automerge());
        evidence.extend(evidence_in(doc, change));
        let community = self.doc.community;
        let home = match evidence.iter().find(|e| CommunityId::from_genesis_hash(&e.change.hash()) == community) {
            Some(founding) => Some(
                Roster::read(community, founding, &evidence)
                    .map(|(roster, _)| roster)
                    .map_err(|e| VerifyError::Malformed(format!("its roster evidence does not hold: {e}")))?,
            ),
            None => None,
        };
        let mut rosters: Vec<(CommunityId, &Roster, bool)> = home.iter().map(|r| (community, r, true)).collect();
        rosters.extend(
            commons::live_links(doc.automerge())
                .into_iter()
                .filter_map(|c| neighbours.roster(&c).map(|r| (c, r, false))),
        );
        let Some((author, author_community, is_home)) =
            rosters.iter().find_map(|(c, r, home)| r.member_of_device(&device).map(|m| (m, *c, *home)))
        else {
            let removed =
                rosters.iter().flat_map(|(_, r, _)| r.members.values()).find(|m| m.devices.contains_key(&device));
            return Err(match removed {
                Some(m) => VerifyError::RemovedMember(m.id),
                None => VerifyError::UnknownDevice(device),
            });
        };
        let mut check = OpCheck {
            kind: DocKind::Commons,
            doc: doc.automerge(),
            author,
            community: author_community,
            home: is_home,
            device,
            year: None,
            founding: false,
            certified_self: false,
            created: HashMap::new(),
            resolved: HashMap::new(),
            run: None,
            new_entries: Vec::new(),
            vouched: Vec::new(),
            device_fields: HashMap::new(),
        };
        check.run(change)?;
        Ok(Verified { author: Some(author) })
    }
}

/// The roster evidence records a commons change creates.
fn evidence_in(doc: &Document, change: &Change) -> Vec<Evidence> {
    let Some(ObjId::Id(counter, actor, _)) = crate::doc::read::root_map(doc.automerge(), "roster") else {
        return Vec::new();
    };
    let roster = OpId(counter, actor);
    let me = change.actor_id().clone();
    let start = change.start_op().get();
    /// A roster record's change bytes and signature, as far as the change writes them.
    type Record = (Option<Vec<u8>>, Option<[u8; 64]>);
    let mut records: HashMap<OpId, Record> = HashMap::new();
    for (i, op) in change.decode().operations.iter().enumerate() {
        let ObjectId::Id(obj) = &op.obj else { continue };
        match (&op.key, &op.action) {
            (Key::Map(_), OpType::Make(ObjType::Map)) if *obj == roster => {
                records.insert(OpId(start + u64::try_from(i).unwrap_or(u64::MAX), me.clone()), (None, None));
            }
            (Key::Map(k), OpType::Put(ScalarValue::Bytes(b))) => {
                if let Some(record) = records.get_mut(obj) {
                    match k.as_str() {
                        "change" => record.0 = Some(b.clone()),
                        "signature" => record.1 = <[u8; 64]>::try_from(b.as_slice()).ok(),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    records
        .into_values()
        .filter_map(|(bytes, sig)| {
            Some(Evidence { change: parse_change(&bytes?).ok()?, signature: ChangeSignature(sig?) })
        })
        .collect()
}

/// Whether the actors a change names are as Automerge expects them when it applies the
/// change: each other actor wrote a change of the document or of the run, and its author's
/// sequence number follows that author's last change there (1 for a first change). An honest
/// change passes: it names the actors of changes it descends from, and its device's previous
/// change is among them. Automerge trusts the list and panics applying a change that names an
/// actor it has not seen (a member could stop every peer with one such change: found by
/// fuzzing), and refuses a sequence number taken twice only when applying. And no Automerge
/// author field: Weft never writes one.
fn as_automerge_expects(doc: &Document, change: &Change, run: Option<&Run>) -> Result<(), VerifyError> {
    if change.author().is_some() {
        return Err(VerifyError::Malformed("it carries an Automerge author, which Weft never writes".into()));
    }
    let last = |actor: &ActorId| doc.last_seq(actor).max(run.and_then(|r| r.actors.get(actor).copied()));
    let own = change.actor_id();
    let expected = last(own).unwrap_or(0).saturating_add(1);
    if change.seq() != expected {
        return Err(VerifyError::Malformed(format!(
            "it is change {} of its device, which has {} here",
            change.seq(),
            expected - 1
        )));
    }
    match change.other_actor_ids().iter().find(|a| last(a).is_none()) {
        None => Ok(()),
        Some(actor) => Err(VerifyError::Malformed(format!(
            "it names actor {}, which wrote nothing this document holds",
            actor.to_hex_string().get(..12).unwrap_or_default()
        ))),
    }
}

/// The device a change's actor names (every device writes as its own id).
pub fn device_of(actor: &ActorId) -> Option<DeviceId> {
    let bytes: [u8; 32] = actor.to_bytes().try_into().ok()?;
    Some(DeviceId::from_bytes(bytes))
}

/// The founder a people genesis names (`community/founder`).
pub(crate) fn founder_of(change: &Change) -> Option<MemberId> {
    change.decode().operations.iter().find_map(|op| match (&op.key, &op.action) {
        (Key::Map(k), OpType::Put(ScalarValue::Str(s))) if k.as_str() == "founder" => s.parse().ok(),
        _ => None,
    })
}

struct OpCheck<'a> {
    kind: DocKind,
    doc: &'a automerge::Automerge,
    author: MemberId,
    /// The author's community (in a commons, a neighbour's member writes too).
    community: CommunityId,
    /// Whether the author is a member of the document's own community.
    home: bool,
    device: DeviceId,
    year: Option<i32>,
    founding: bool,
    /// Whether a founding change certified its own device for its founder.
    certified_self: bool,
    /// Maps created by this change, with their paths.
    created: HashMap<OpId, Vec<String>>,
    /// Paths of existing objects this change writes into.
    resolved: HashMap<OpId, Vec<String>>,
    /// Verified changes not applied yet, whose objects count as existing.
    run: Option<&'a Run>,
    /// Ledger entries this change creates, with the member it names.
    new_entries: Vec<(String, MemberId)>,
    /// Device records this change adds for a member other than its author, outside an
    /// admission: (member, device); each needs a vouch.
    vouched: Vec<(String, String)>,
    /// Values put on device records in this change: (member, device, field) → value.
    device_fields: HashMap<(String, String, String), ScalarValue>,
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
                    if self.kind == DocKind::People
                        && let [root, m, devices, d] = path.as_slice()
                        && root == "members"
                        && devices == "devices"
                        && !parent_new
                        && *m != self.author.to_string()
                    {
                        self.vouched.push((m.clone(), d.clone()));
                    }
                }
                OpType::Make(_) => return Err(self.deny(&path, "only maps are part of the schema")),
                OpType::Put(v) => {
                    if rule.value == Value::Map {
                        return Err(self.deny(&path, "is a record and cannot be replaced by a value"));
                    }
                    self.check_value(rule, &path, v)?;
                    if self.kind == DocKind::People
                        && let [root, m, devices, d, field] = path.as_slice()
                        && root == "members"
                        && devices == "devices"
                    {
                        self.device_fields.insert((m.clone(), d.clone(), field.clone()), v.clone());
                    }
                    if parent_new
                        && self.kind == DocKind::Ledger
                        && let ([root, key, field], ScalarValue::Str(m)) = (path.as_slice(), v)
                        && root == "entries"
                        && field == "member"
                        && let Ok(member) = m.parse()
                    {
                        self.new_entries.push((key.clone(), member));
                    }
                }
                OpType::Delete => {
                    if !rule.deletable && !self.delete_resolves_a_conflict(&op.obj, &op.pred, rule, &path)? {
                        return Err(self.deny(&path, "cannot be deleted"));
                    }
                }
                OpType::Increment(_) | OpType::MarkBegin(_) | OpType::MarkEnd(_) => {
                    return Err(self.deny(&path, "counters and marks are not part of the schema"));
                }
            }
            self.check_who(rule, &path, parent_new)?;
        }
        for (m, d) in std::mem::take(&mut self.vouched) {
            self.check_vouch(&m, &d)?;
        }
        Ok(())
    }

    /// A device record added for another member: one of that member's current devices must
    /// vouch for it, in the record itself.
    fn check_vouch(&self, m: &str, d: &str) -> Result<(), VerifyError> {
        let path = ["members".to_owned(), m.to_owned(), "devices".to_owned(), d.to_owned()];
        let field = |f: &str| self.device_fields.get(&(m.to_owned(), d.to_owned(), f.to_owned()));
        let by = match field("vouched_by") {
            Some(ScalarValue::Str(s)) => s.parse::<DeviceId>().ok(),
            _ => None,
        };
        let vouch = match field("vouch") {
            Some(ScalarValue::Bytes(b)) => <[u8; 64]>::try_from(b.as_slice()).ok().map(crate::identity::Vouch),
            _ => None,
        };
        let (Some(by), Some(vouch)) = (by, vouch) else {
            return Err(self.deny(&path, "a device is added by its own member, or with the vouch of their backup"));
        };
        let (Ok(member), Ok(device)) = (m.parse::<MemberId>(), d.parse::<DeviceId>()) else {
            return Err(self.deny(&path, "is not a device of a member"));
        };
        if !crate::doc::people::is_current_device(self.doc, &member, &by) {
            return Err(self.deny(&path, format!("is vouched for by {}, which is not a current device", by.short())));
        }
        if !vouch.verify(&by, &member, &device) {
            return Err(self.deny(&path, "its vouch does not verify"));
        }
        Ok(())
    }

    /// Whether a delete of a field that cannot be deleted only settles a conflict: Automerge
    /// writes "put the value one of the conflicting values already has" as a delete of the
    /// others. Allowed when a value stays and the author could have put each value that stays.
    fn delete_resolves_a_conflict(
        &mut self,
        obj: &ObjectId,
        pred: &SortedVec<OpId>,
        rule: &Rule,
        path: &[String],
    ) -> Result<bool, VerifyError> {
        let Some(key) = path.last() else { return Ok(false) };
        let exid = match obj {
            ObjectId::Root => ObjId::Root,
            ObjectId::Id(id) => ObjId::Id(id.counter(), id.actor().clone(), 0),
        };
        let Ok(values) = self.doc.get_all(&exid, key.as_str()) else { return Ok(false) };
        let deleted = |id: &ObjId| match id {
            ObjId::Id(counter, actor, _) => pred.iter().any(|p| p.counter() == *counter && p.actor() == actor),
            ObjId::Root => false,
        };
        let mut stays = 0;
        for (value, id) in &values {
            if deleted(id) {
                continue;
            }
            stays += 1;
            match value {
                automerge::Value::Scalar(v) => self.check_value(rule, path, v)?,
                automerge::Value::Object(_) => return Ok(false),
            }
        }
        Ok(stays > 0)
    }

    /// The path of an object that existed before this change.
    fn existing_path(&mut self, id: &OpId) -> Result<Vec<String>, VerifyError> {
        if let Some(p) = self.resolved.get(id).or_else(|| self.run.and_then(|r| r.created.get(id))) {
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
        self.entry_member_in_doc(entry_key)
            .or_else(|| self.run.and_then(|r| r.entries.get(entry_key).copied().flatten()))
    }

    fn entry_member_in_doc(&self, entry_key: &str) -> Option<MemberId> {
        let root = if self.kind == DocKind::Commons { "hours" } else { "entries" };
        let entries = crate::doc::read::root_map(self.doc, root)?;
        let entry = crate::doc::read::child_map(self.doc, &entries, entry_key)?;
        match self.doc.get(&entry, "member") {
            Ok(Some((automerge::Value::Scalar(s), _))) => match s.as_ref() {
                ScalarValue::Str(m) => m.parse().ok(),
                _ => None,
            },
            _ => None,
        }
    }

    /// A field of a proposal already on the board (`None` for one made in this change).
    fn proposal_scalar(&self, proposal: &str, field: &str) -> Option<ScalarValue> {
        let all = crate::doc::read::root_map(self.doc, "proposals")?;
        let obj = crate::doc::read::child_map(self.doc, &all, proposal)?;
        match self.doc.get(&obj, field) {
            Ok(Some((automerge::Value::Scalar(s), _))) => Some(s.into_owned()),
            _ => None,
        }
    }

    /// Whether a stance's round is possible and its time (its key) falls before that round
    /// could have ended, by the proposal's fixed opening and round length.
    fn stance_in_time(&self, path: &[String], v: &ScalarValue) -> bool {
        let round = match v {
            ScalarValue::Uint(u) => u32::try_from(*u).ok(),
            ScalarValue::Int(i) => u32::try_from(*i).ok(),
            _ => None,
        };
        let Some(round) = round.filter(|n| (1..=crate::doc::proposals::MAX_ROUNDS).contains(n)) else {
            return false;
        };
        let (Some(proposal), Some(at)) = (path.get(1), path.get(4).and_then(|k| k.parse::<i64>().ok())) else {
            return false;
        };
        let created = self.proposal_scalar(proposal, "created_at");
        let length = self.proposal_scalar(proposal, "round_ms");
        match (created, length) {
            (Some(ScalarValue::Timestamp(created)), Some(ScalarValue::Uint(length))) => {
                let Ok(length) = i64::try_from(length) else { return false };
                let latest = crate::doc::proposals::Proposal::latest_stance(crate::Timestamp(created), length, round);
                at >= created && at <= latest.millis()
            }
            // The proposal is made in this same change: its author takes a first stance.
            (None, None) => round == 1,
            _ => false,
        }
    }

    fn check_who(&self, rule: &Rule, path: &[String], parent_new: bool) -> Result<(), VerifyError> {
        let me = self.author.to_string();
        let pair_member = || path.get(1).and_then(|k| k.parse::<PledgeId>().ok()).map(|p| p.member);
        let ok = match rule.who {
            Who::Genesis => self.founding,
            Who::AtCreation => parent_new,
            Who::Member => true,
            Who::Home => self.home,
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
            Who::Own(n) => path.get(n) == Some(&me),
            Who::ProposalAuthor => {
                parent_new
                    || path
                        .get(1)
                        .and_then(|p| self.proposal_scalar(p, "created_by"))
                        .is_some_and(|v| matches!(v, ScalarValue::Str(s) if s.as_str() == me.as_str()))
            }
            Who::CrewMember => {
                parent_new
                    || path.get(1).is_some_and(|crew| {
                        crate::doc::read::root_map(self.doc, "crews")
                            .and_then(|all| crate::doc::read::child_map(self.doc, &all, crew))
                            .is_some_and(|obj| crate::doc::crews::is_crew_member(self.doc, &obj, &me))
                    })
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
                Who::Home => "is written only by the community's own members, not by its neighbours",
                Who::ProposalAuthor => "is written only by the member who made the proposal",
                Who::CrewMember => "is written only by the crew's members",
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
            Value::Bytes(len) => matches!(v, ScalarValue::Bytes(b) if b.len() == len),
            Value::PairTask => s.is_some() && pair().map(|p| p.task.to_string()).as_deref() == s,
            Value::PairMember => s.is_some() && pair().map(|p| p.member.to_string()).as_deref() == s,
            Value::AuthorCommunity => s == Some(self.community.to_string().as_str()),
            Value::Evidence => match v {
                ScalarValue::Bytes(b) if b.len() <= crate::validate::EVIDENCE_MAX => {
                    parse_change(b).is_ok_and(|c| path.get(1) == Some(&c.hash().to_string()))
                }
                _ => false,
            },
            Value::NoticeRef => s.is_some_and(|s| s.parse::<crate::id::NoticeId>().is_ok_and(|n| n.to_string() == s)),
            Value::FlagRef => s.is_some_and(|s| s.parse::<crate::id::FlagId>().is_ok_and(|f| f.to_string() == s)),
            Value::MemberRef => s.is_some_and(|s| s.parse::<MemberId>().is_ok_and(|m| m.to_string() == s)),
            Value::DeviceRef => s.is_some_and(|s| s.parse::<DeviceId>().is_ok_and(|d| d.to_string() == s)),
            Value::SeriesRef => s.is_some_and(|s| s.parse::<crate::id::SeriesId>().is_ok_and(|f| f.to_string() == s)),
            Value::StanceRound => self.stance_in_time(path, v),
            Value::CrewRef => s.is_some_and(|s| s.parse::<crate::id::CrewId>().is_ok_and(|c| c.to_string() == s)),
            Value::GatheringRef => s.is_some_and(|s| {
                s.parse::<crate::id::GatheringId>().is_ok_and(|g| g.to_string() == s)
                    && crate::doc::read::root_map(self.doc, "gatherings")
                        .and_then(|all| crate::doc::read::child_map(self.doc, &all, s))
                        .is_some()
            }),
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

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{ObjType, ROOT};

    use super::*;
    use crate::doc::WriteError;
    use crate::doc::board::PledgeAction;
    use crate::doc::ledger::check_entry;
    use crate::doc::people::{self, PeopleView};
    use crate::doc::read::{child_map, root_map};
    use crate::id::FlagId;
    use crate::identity::{Identity, SecretKey, SignedChange};
    use crate::model::{NewTask, ProfileUpdate, Urgency};
    use crate::time::{Minutes, Timestamp};
    use crate::{CommunityId, DocId, EntryId, TaskId};

    struct World {
        ana_key: SecretKey,
        ana: Identity,
        bob: Identity,
        stranger: Identity,
        community: CommunityId,
        people: Document,
        board: Document,
        ledger: Document,
        task: TaskId,
        bob_entry: EntryId,
        now: Timestamp,
    }

    fn world() -> World {
        let today: Date = "2026-05-04".parse().unwrap();
        let now = Timestamp::midday(today);
        let (ana_key, ana) = Identity::generate();
        let (_, bob) = Identity::generate();
        let (_, stranger) = Identity::generate();
        let (community, mut people, _) = people::found(&ana, "Riverside", "Ana", now).unwrap();
        people.admit_member(&ana, bob.member(), "Bob", bob.device(), bob.cert(), now).unwrap();
        let view = PeopleView::read(people.automerge());
        let (mut board, _) = Document::from_genesis(DocId { community, name: DocName::Board }).unwrap();
        let new_task = NewTask {
            title: "Weed the beds".into(),
            description: String::new(),
            sector: "food".parse().unwrap(),
            guild: None,
            skills: ["gardening".parse().unwrap()].into(),
            hours: Minutes::from_hours(2),
            slots: 3,
            urgency: Urgency::Soon,
            deadline: None,
            location: None,
            open_to_neighbours: false,
        };
        let task = TaskId::random();
        board.add_task(task, &ana, &new_task, &view, today, now).unwrap();
        board.set_pledge(&ana, task, PledgeAction::Pledge, &view, now).unwrap();
        let (mut ledger, _) = Document::from_genesis(DocId { community, name: DocName::Ledger(2026) }).unwrap();
        let entry = check_entry(Minutes(90), Some((task, "food".parse().unwrap())), None, today, "", today).unwrap();
        let bob_entry = EntryId::random();
        ledger.log_hours(bob_entry, &bob, &entry, now).unwrap();
        World { ana_key, ana, bob, stranger, community, people, board, ledger, task, bob_entry, now }
    }

    impl World {
        fn view(&self) -> PeopleView {
            PeopleView::read(self.people.automerge())
        }

        /// What `who` would send after writing with `f` on their own copy of `doc`.
        fn attempt<F>(&self, doc: &Document, who: &Identity, f: F) -> SignedChange
        where
            F: FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<(), automerge::AutomergeError>,
        {
            doc.clone().write(who, self.now, f).unwrap()
        }

        fn check(&self, doc: &Document, change: &SignedChange) -> Result<Verified, VerifyError> {
            let parsed = parse_change(&change.bytes).unwrap();
            Verifier::new(doc.id()).verify(doc, &self.view(), &parsed, change.signature.as_ref())
        }

        fn obj(&self, doc: &Document, path: &[&str]) -> ObjId {
            let am = doc.automerge();
            let mut obj = root_map(am, path[0]).unwrap();
            for key in &path[1..] {
                obj = child_map(am, &obj, key).unwrap();
            }
            obj
        }
    }

    #[test]
    fn a_run_of_unapplied_changes_is_judged_as_if_it_were_applied() {
        let w = world();
        let id = DocId { community: w.community, name: DocName::Ledger(2026) };
        let (mut sender, _) = Document::from_genesis(id).unwrap();
        let (receiver, _) = Document::from_genesis(id).unwrap();
        let today = w.now.date();
        let entry = check_entry(Minutes(60), Some((w.task, "food".parse().unwrap())), None, today, "", today).unwrap();
        let eid = EntryId::random();
        let c1 = sender.log_hours(eid, &w.bob, &entry, w.now).unwrap();
        let c2 = sender.confirm_entry(&w.ana, eid, w.now).unwrap();
        // Bob confirming his own entry, and Ana changing Bob's minutes, written raw.
        let confirmations = w.obj(&sender, &["entries", &eid.to_string(), "confirmations"]);
        let bob = w.bob.member().to_string();
        let c3 = w.attempt(&sender, &w.bob, |tx| tx.put(&confirmations, bob.as_str(), ScalarValue::Timestamp(w.now.0)));
        let e = w.obj(&sender, &["entries", &eid.to_string()]);
        let c4 = w.attempt(&sender, &w.ana, |tx| tx.put(&e, "minutes", 600u64));

        let view = w.view();
        let v = Verifier::new(id);
        let mut run = Run::default();
        let p = |c: &SignedChange| parse_change(&c.bytes).unwrap();
        // Ana's confirmation writes into an entry that exists only in the run: judged as applied.
        v.verify_in_run(&receiver, &view, &p(&c1), c1.signature.as_ref(), &mut run).unwrap();
        v.verify_in_run(&receiver, &view, &p(&c2), c2.signature.as_ref(), &mut run).unwrap();
        // The run lends no rights: Bob still cannot confirm his own hours, Ana still cannot edit them.
        denied(v.verify_in_run(&receiver, &view, &p(&c3), c3.signature.as_ref(), &mut run), "confirmations");
        denied(v.verify_in_run(&receiver, &view, &p(&c4), c4.signature.as_ref(), &mut run), "minutes");
        assert!(run.contains(&c1.hash) && run.contains(&c2.hash));
        assert!(!run.contains(&c3.hash) && !run.contains(&c4.hash));
        // The same verdicts as against the document with the run applied.
        denied(w.check(&sender, &c3), "confirmations");
        denied(w.check(&sender, &c4), "minutes");
        // A change whose parent is neither in the document nor in the run waits.
        let mut empty = Run::default();
        assert!(matches!(
            v.verify_in_run(&receiver, &view, &p(&c2), c2.signature.as_ref(), &mut empty),
            Err(VerifyError::MissingDeps(_))
        ));
    }

    fn denied(result: Result<Verified, VerifyError>, path_part: &str) {
        match result {
            Err(VerifyError::NotAllowed { path, .. }) => {
                assert!(path.contains(path_part), "denied at {path}, expected {path_part}")
            }
            other => panic!("expected a denial at {path_part}, got {other:?}"),
        }
    }

    #[test]
    fn honest_changes_are_accepted_with_their_author() {
        let w = world();
        let view = w.view();
        let mut board = w.board.clone();
        let change = board.set_pledge(&w.bob, w.task, PledgeAction::Pledge, &view, w.now).unwrap();
        assert_eq!(w.check(&w.board, &change).unwrap().author, Some(w.bob.member()));
        let mut ledger = w.ledger.clone();
        let change = ledger.confirm_entry(&w.ana, w.bob_entry, w.now).unwrap();
        assert_eq!(w.check(&w.ledger, &change).unwrap().author, Some(w.ana.member()));
        let mut people = w.people.clone();
        let update = ProfileUpdate { hours_per_week: Some(Minutes::from_hours(3)), ..Default::default() };
        let change = people.update_profile(&w.bob, &update, w.now).unwrap();
        assert_eq!(w.check(&w.people, &change).unwrap().author, Some(w.bob.member()));
    }

    #[test]
    fn settling_a_conflict_is_not_a_delete_but_removing_a_field_is() {
        let edit = |u| crate::model::TaskEdit { urgency: Some(u), ..Default::default() };
        // Whether Automerge writes the delete depends on the (random) actors: try fresh
        // communities until it does, and check every honest edit on the way.
        let mut settled = 0;
        for _ in 0..40 {
            let w = world();
            let view = w.view();
            let today = w.now.date();
            // Ana and Bob edit the same task at once: `updated_by` now holds two values.
            let mut ana_board = w.board.clone();
            let mut bob_board = w.board.clone();
            ana_board.edit_task(&w.ana, w.task, &edit(Urgency::Urgent), &view, today, w.now).unwrap();
            ana_board.edit_task(&w.ana, w.task, &edit(Urgency::Normal), &view, today, w.now).unwrap();
            let b1 = bob_board.edit_task(&w.bob, w.task, &edit(Urgency::Normal), &view, today, w.now).unwrap();
            ana_board.apply([parse_change(&b1.bytes).unwrap()]).unwrap();
            // Ana edits again. When one of the values is already hers, Automerge writes her
            // `updated_by` as a delete of Bob's: honest, and accepted.
            let before = ana_board.clone();
            let a2 = ana_board.edit_task(&w.ana, w.task, &edit(Urgency::Soon), &view, today, w.now).unwrap();
            assert_eq!(w.check(&before, &a2).unwrap().author, Some(w.ana.member()));
            let deletes_updated_by = parse_change(&a2.bytes).unwrap().decode().operations.iter().any(|op| {
                matches!(op.action, OpType::Delete) && matches!(&op.key, Key::Map(k) if k.as_str() == "updated_by")
            });
            if deletes_updated_by {
                settled += 1;
                // Removing the field itself is still refused.
                let task_obj = w.obj(&ana_board, &["tasks", &w.task.to_string()]);
                let removal = w.attempt(&ana_board, &w.bob, |tx| tx.delete(&task_obj, "updated_by"));
                denied(w.check(&ana_board, &removal), "updated_by");
                break;
            }
        }
        assert!(settled > 0, "Automerge never settled the conflict with a delete");
    }

    #[test]
    fn the_founding_change_verifies_into_an_empty_document_and_names_the_community() {
        let (_, founder) = Identity::generate();
        let (community, _, genesis) = people::found(&founder, "Hill", "Jo", Timestamp(1_000)).unwrap();
        let empty = Document::load(DocId { community, name: DocName::People }, None, &[]).unwrap();
        let parsed = Change::from_bytes(genesis.bytes.clone()).unwrap();
        let no_people = PeopleView::read(empty.automerge());
        let verified =
            Verifier::new(empty.id()).verify(&empty, &no_people, &parsed, genesis.signature.as_ref()).unwrap();
        assert_eq!(verified.author, Some(founder.member()));
        // The same change presented as another community's genesis is refused.
        let other =
            Document::load(DocId { community: CommunityId::from_bytes([9; 16]), name: DocName::People }, None, &[])
                .unwrap();
        let resigned = founder.sign_change(&other.id(), &parsed.hash());
        assert_eq!(
            Verifier::new(other.id()).verify(&other, &no_people, &parsed, Some(&resigned)),
            Err(VerifyError::BadGenesis)
        );
    }

    #[test]
    fn deterministic_genesis_needs_no_signature_but_a_stray_root_is_refused() {
        let w = world();
        let id = DocId { community: w.community, name: DocName::Ledger(2027) };
        let empty = Document::load(id, None, &[]).unwrap();
        let genesis = deterministic_genesis(&w.community, DocName::Ledger(2027)).unwrap();
        assert_eq!(Verifier::new(id).verify(&empty, &w.view(), &genesis, None).unwrap().author, None);
        // A member's own "first change" of a ledger would split the entries map: refused.
        let mut fresh = automerge::Automerge::new().with_actor(w.bob.actor());
        let mut tx = fresh.transaction();
        tx.put_object(ROOT, "entries", ObjType::Map).unwrap();
        let (hash, _) = tx.commit();
        let change = fresh.get_change_by_hash(&hash.unwrap()).unwrap();
        let sig = w.bob.sign_change(&id, &change.hash());
        assert_eq!(Verifier::new(id).verify(&empty, &w.view(), &change, Some(&sig)), Err(VerifyError::NotGenesis));
    }

    #[test]
    fn forged_signatures_are_refused() {
        let w = world();
        let view = w.view();
        let mut board = w.board.clone();
        let mut change = board.set_pledge(&w.bob, w.task, PledgeAction::Pledge, &view, w.now).unwrap();
        // Signed by someone else's key for Bob's device.
        change.signature = Some(w.stranger.sign_change(&w.board.id(), &change.hash));
        assert_eq!(w.check(&w.board, &change), Err(VerifyError::BadSignature));
        // Bob's real signature, but for another document.
        change.signature = Some(w.bob.sign_change(&w.ledger.id(), &change.hash));
        assert_eq!(w.check(&w.board, &change), Err(VerifyError::BadSignature));
        // No signature at all.
        change.signature = None;
        assert_eq!(w.check(&w.board, &change), Err(VerifyError::Unsigned));
    }

    #[test]
    fn tampered_changes_are_refused() {
        let w = world();
        let view = w.view();
        let mut board = w.board.clone();
        let honest = board.set_pledge(&w.bob, w.task, PledgeAction::Pledge, &view, w.now).unwrap();
        let mut rejected = 0;
        for i in 0..honest.bytes.len() {
            let mut bytes = honest.bytes.clone();
            bytes[i] ^= 0x5a;
            // Either parsing catches it, or the hash changed and the signature fails.
            match parse_change(&bytes) {
                Err(_) => rejected += 1,
                Ok(parsed) => {
                    let result =
                        Verifier::new(w.board.id()).verify(&w.board, &view, &parsed, honest.signature.as_ref());
                    assert!(result.is_err(), "tampered byte {i} was accepted");
                    rejected += 1;
                }
            }
        }
        assert_eq!(rejected, honest.bytes.len());
    }

    #[test]
    fn strangers_and_removed_members_write_nothing() {
        let w = world();
        let task_obj = w.obj(&w.board, &["tasks", &w.task.to_string()]);
        let change = w.attempt(&w.board, &w.stranger, |tx| tx.put(&task_obj, "urgency", "urgent"));
        let err = w.check(&w.board, &change).unwrap_err();
        assert_eq!(err, VerifyError::UnknownDevice(w.stranger.device()));
        assert!(err.is_retryable(), "an unknown author may be admitted by a change we have not seen yet");

        let mut view = w.view();
        view.members.get_mut(&w.bob.member()).unwrap().removed = true;
        let change = w.attempt(&w.board, &w.bob, |tx| tx.put(&task_obj, "urgency", "urgent"));
        let parsed = Change::from_bytes(change.bytes.clone()).unwrap();
        let result = Verifier::new(w.board.id()).verify(&w.board, &view, &parsed, change.signature.as_ref());
        assert_eq!(result, Err(VerifyError::RemovedMember(w.bob.member())));
    }

    #[test]
    fn a_member_logs_only_their_own_hours() {
        let w = world();
        let entries = w.obj(&w.ledger, &["entries"]);
        let ana = w.ana.member().to_string();
        let change = w.attempt(&w.ledger, &w.bob, |tx| {
            let e = tx.put_object(&entries, EntryId::random().to_string(), ObjType::Map)?;
            tx.put(&e, "member", ana.as_str())?;
            tx.put(&e, "sector", "food")?;
            tx.put(&e, "minutes", 120u64)?;
            tx.put(&e, "date", "2026-05-01")?;
            tx.put(&e, "created_at", ScalarValue::Timestamp(0))?;
            tx.put_object(&e, "confirmations", ObjType::Map)?;
            Ok(())
        });
        denied(w.check(&w.ledger, &change), "/member");
    }

    #[test]
    fn logged_hours_cannot_be_changed_retracted_or_confirmed_by_the_wrong_member() {
        let w = world();
        let entry = w.obj(&w.ledger, &["entries", &w.bob_entry.to_string()]);
        let confirmations = w.obj(&w.ledger, &["entries", &w.bob_entry.to_string(), "confirmations"]);
        // Nobody rewrites the minutes afterwards, not even Bob.
        let change = w.attempt(&w.ledger, &w.bob, |tx| tx.put(&entry, "minutes", 600u64));
        denied(w.check(&w.ledger, &change), "/minutes");
        // Only Bob retracts Bob's entry.
        let change = w.attempt(&w.ledger, &w.ana, |tx| tx.put(&entry, "retracted", true));
        denied(w.check(&w.ledger, &change), "/retracted");
        let change = w.attempt(&w.ledger, &w.bob, |tx| tx.put(&entry, "retracted", true));
        assert!(w.check(&w.ledger, &change).is_ok());
        // Bob cannot confirm his own hours; Ana cannot confirm in Bob's name.
        let bob = w.bob.member().to_string();
        let change = w.attempt(&w.ledger, &w.bob, |tx| tx.put(&confirmations, bob.as_str(), ScalarValue::Timestamp(0)));
        denied(w.check(&w.ledger, &change), "/confirmations/");
        let change = w.attempt(&w.ledger, &w.ana, |tx| tx.put(&confirmations, bob.as_str(), ScalarValue::Timestamp(0)));
        denied(w.check(&w.ledger, &change), "/confirmations/");
        // An entry that confirms itself as it is created is refused too.
        let entries = w.obj(&w.ledger, &["entries"]);
        let change = w.attempt(&w.ledger, &w.bob, |tx| {
            let e = tx.put_object(&entries, EntryId::random().to_string(), ObjType::Map)?;
            tx.put(&e, "member", bob.as_str())?;
            tx.put(&e, "sector", "food")?;
            tx.put(&e, "minutes", 60u64)?;
            tx.put(&e, "date", "2026-05-01")?;
            tx.put(&e, "created_at", ScalarValue::Timestamp(0))?;
            let c = tx.put_object(&e, "confirmations", ObjType::Map)?;
            tx.put(&c, bob.as_str(), ScalarValue::Timestamp(0))?;
            Ok(())
        });
        denied(w.check(&w.ledger, &change), "/confirmations/");
    }

    #[test]
    fn only_the_pledger_withdraws_a_pledge() {
        let w = world();
        let key = PledgeId { task: w.task, member: w.ana.member() }.to_string();
        let pledge = w.obj(&w.board, &["pledges", &key]);
        let change = w.attempt(&w.board, &w.bob, |tx| tx.put(&pledge, "state", "withdrawn"));
        denied(w.check(&w.board, &change), "/state");
        let change = w.attempt(&w.board, &w.ana, |tx| tx.put(&pledge, "state", "withdrawn"));
        assert!(w.check(&w.board, &change).is_ok());
        // Nor can Bob pledge Ana to another task.
        let pledges = w.obj(&w.board, &["pledges"]);
        let other = PledgeId { task: TaskId::random(), member: w.ana.member() }.to_string();
        let change =
            w.attempt(&w.board, &w.bob, |tx| tx.put_object(&pledges, other.as_str(), ObjType::Map).map(|_| ()));
        denied(w.check(&w.board, &change), "pledges/");
    }

    #[test]
    fn profiles_and_devices_belong_to_their_member() {
        let w = world();
        let ana = w.ana.member().to_string();
        let skills = w.obj(&w.people, &["members", &ana, "profile", "skills"]);
        let change = w.attempt(&w.people, &w.bob, |tx| tx.put(&skills, "gardening", 1u64));
        denied(w.check(&w.people, &change), "/skills/gardening");
        // Bob adding his own device to Ana's member record.
        let devices = w.obj(&w.people, &["members", &ana, "devices"]);
        let bob_device = w.bob.device().to_string();
        let change = w.attempt(&w.people, &w.bob, |tx| {
            let d = tx.put_object(&devices, bob_device.as_str(), ObjType::Map)?;
            tx.put(&d, "cert", ScalarValue::Bytes(w.bob.cert().0.to_vec()))
        });
        denied(w.check(&w.people, &change), "/devices/");
        // Ana adding a second device of her own, certified by her member key, is fine...
        let laptop = Identity::certify(&w.ana_key, SecretKey::generate());
        let laptop_device = laptop.device().to_string();
        let change = w.attempt(&w.people, &w.ana, |tx| {
            let d = tx.put_object(&devices, laptop_device.as_str(), ObjType::Map)?;
            tx.put(&d, "cert", ScalarValue::Bytes(laptop.cert().0.to_vec()))?;
            tx.put(&d, "added_at", ScalarValue::Timestamp(0))
        });
        assert!(w.check(&w.people, &change).is_ok());
        // ...but one whose certificate does not match is refused.
        let fake = Identity::certify(&SecretKey::generate(), SecretKey::generate());
        let fake_device = fake.device().to_string();
        let change = w.attempt(&w.people, &w.ana, |tx| {
            let d = tx.put_object(&devices, fake_device.as_str(), ObjType::Map)?;
            tx.put(&d, "cert", ScalarValue::Bytes(fake.cert().0.to_vec()))
        });
        denied(w.check(&w.people, &change), "/cert");
    }

    #[test]
    fn admission_needs_the_newcomers_own_certificate_and_never_replaces_a_member() {
        let w = world();
        let (_, newcomer) = Identity::generate();
        let mut people = w.people.clone();
        let honest =
            people.admit_member(&w.bob, newcomer.member(), "Cleo", newcomer.device(), newcomer.cert(), w.now).unwrap();
        assert!(w.check(&w.people, &honest).is_ok());
        // Re-admitting Ana (replacing her record and devices) is refused.
        let members = w.obj(&w.people, &["members"]);
        let ana = w.ana.member().to_string();
        let change = w.attempt(&w.people, &w.bob, |tx| tx.put_object(&members, ana.as_str(), ObjType::Map).map(|_| ()));
        denied(w.check(&w.people, &change), "members/");
        // A newcomer whose device certificate is not signed by the newcomer's key.
        let (_, other) = Identity::generate();
        let change = w.attempt(&w.people, &w.bob, |tx| {
            let m = tx.put_object(&members, newcomer.member().to_string(), ObjType::Map)?;
            let devices = tx.put_object(&m, "devices", ObjType::Map)?;
            let d = tx.put_object(&devices, other.device().to_string(), ObjType::Map)?;
            tx.put(&d, "cert", ScalarValue::Bytes(other.cert().0.to_vec()))
        });
        denied(w.check(&w.people, &change), "/cert");
    }

    /// Callers choose the ids of new records: a writer refuses one that is taken and writes
    /// nothing, and a change that replaces a record anyway (written raw, as a writer without
    /// that check would) is refused by verification.
    #[test]
    fn writing_a_record_twice_with_the_same_id_is_refused() {
        let w = world();
        let view = w.view();
        let today = w.now.date();
        let food: SectorId = "food".parse().unwrap();
        let taken = |result: Result<SignedChange, WriteError>| {
            assert!(matches!(result, Err(WriteError::IdTaken { .. })), "{result:?}");
        };

        let mut board = w.board.clone();
        let heads = board.heads();
        let task = NewTask {
            title: "Water the beds".into(),
            description: String::new(),
            sector: food.clone(),
            guild: None,
            skills: Default::default(),
            hours: Minutes::from_hours(1),
            slots: 1,
            urgency: Urgency::Normal,
            deadline: None,
            location: None,
            open_to_neighbours: false,
        };
        taken(board.add_task(w.task, &w.bob, &task, &view, today, w.now));
        assert_eq!(board.heads(), heads);
        let flag = FlagId::random();
        board.raise_flag(flag, &w.bob, Some(w.task), None, "too much at once", &view, w.now).unwrap();
        let heads = board.heads();
        taken(board.raise_flag(flag, &w.ana, None, Some(&food), "again", &view, w.now));
        assert_eq!(board.heads(), heads);

        let mut ledger = w.ledger.clone();
        let heads = ledger.heads();
        let entry = check_entry(Minutes(30), None, Some(food.clone()), today, "", today).unwrap();
        taken(ledger.log_hours(w.bob_entry, &w.bob, &entry, w.now));
        assert_eq!(ledger.heads(), heads);

        let mut people = w.people.clone();
        let guild = GuildId::random();
        people.add_guild(guild, &w.ana, "Garden", &food, "", w.now).unwrap();
        let heads = people.heads();
        taken(people.add_guild(guild, &w.bob, "Kitchen", &food, "", w.now));
        assert_eq!(people.heads(), heads);

        let replacing = |doc: &Document, who: &Identity, root: &str, key: String| {
            let parent = w.obj(doc, &[root]);
            let change = w.attempt(doc, who, |tx| tx.put_object(&parent, key.as_str(), ObjType::Map).map(|_| ()));
            match w.check(doc, &change) {
                Err(VerifyError::NotAllowed { path, why, .. }) => {
                    assert_eq!(path, format!("{root}/{key}"));
                    assert!(why.contains("would replace an existing record"), "{why}");
                }
                other => panic!("expected a refusal, got {other:?}"),
            }
        };
        replacing(&w.board, &w.ana, "tasks", w.task.to_string());
        replacing(&board, &w.bob, "flags", flag.to_string());
        replacing(&w.ledger, &w.bob, "entries", w.bob_entry.to_string());
        replacing(&people, &w.ana, "guilds", guild.to_string());
    }

    #[test]
    fn the_shape_of_every_write_is_checked() {
        let w = world();
        let task = w.obj(&w.board, &["tasks", &w.task.to_string()]);
        let cases: Vec<(&str, SignedChange)> = vec![
            ("/hours", w.attempt(&w.board, &w.ana, |tx| tx.put(&task, "hours", "lots"))),
            ("/urgency", w.attempt(&w.board, &w.ana, |tx| tx.put(&task, "urgency", "whenever"))),
            ("/salary", w.attempt(&w.board, &w.ana, |tx| tx.put(&task, "salary", 10u64))),
            ("/title", w.attempt(&w.board, &w.ana, |tx| tx.put(&task, "title", ""))),
            ("/created_by", w.attempt(&w.board, &w.ana, |tx| tx.put(&task, "created_by", w.bob.member().to_string()))),
            ("/title", w.attempt(&w.board, &w.ana, |tx| tx.delete(&task, "title"))),
            ("/notes", w.attempt(&w.board, &w.ana, |tx| tx.put_object(&task, "notes", ObjType::List).map(|_| ()))),
            ("/slots", w.attempt(&w.board, &w.ana, |tx| tx.put(&task, "slots", ScalarValue::counter(1)))),
            ("tasks", w.attempt(&w.board, &w.ana, |tx| tx.put_object(ROOT, "tasks", ObjType::Map).map(|_| ()))),
            ("schema", w.attempt(&w.board, &w.ana, |tx| tx.put(ROOT, "schema", "weft/board/2"))),
        ];
        for (path, change) in cases {
            denied(w.check(&w.board, &change), path);
        }
        // An entry dated in another year than its ledger.
        let entries = w.obj(&w.ledger, &["entries"]);
        let bob = w.bob.member().to_string();
        let change = w.attempt(&w.ledger, &w.bob, |tx| {
            let e = tx.put_object(&entries, EntryId::random().to_string(), ObjType::Map)?;
            tx.put(&e, "member", bob.as_str())?;
            tx.put(&e, "date", "2025-12-31")
        });
        denied(w.check(&w.ledger, &change), "/date");
    }

    /// Automerge learns an actor from its first change and panics applying a change that
    /// names one it has not seen, and refuses a sequence number taken twice: such changes are
    /// refused as damaged before they are applied.
    #[test]
    fn a_change_naming_an_actor_or_a_sequence_automerge_does_not_expect_is_refused() {
        let w = world();
        let view = w.view();
        let signed = |who: &Identity, c: Change| SignedChange {
            hash: c.hash(),
            bytes: c.raw_bytes().to_vec(),
            signature: Some(who.sign_change(&w.board.id(), &c.hash())),
        };
        let honest = w.board.clone().set_pledge(&w.bob, w.task, PledgeAction::Pledge, &view, w.now).unwrap();
        assert!(w.check(&w.board, &honest).is_ok(), "Bob's first change on the board");
        let mut expanded = parse_change(&honest.bytes).unwrap().decode();
        // Bob's second change where the board has none of his: an actor Automerge never saw.
        expanded.seq = 2;
        let second = Change::from(expanded.clone());
        // Bob's first change, overwriting a value as if some unknown actor had written it.
        expanded.seq = 1;
        let ghost = ActorId::from(vec![0x78; 16]);
        for op in &mut expanded.operations {
            op.pred = SortedVec::from(vec![OpId::new(7, &ghost)]);
        }
        let ghostly = Change::from(expanded);
        for (change, why) in [(second, "change 2 of its device, which has 0 here"), (ghostly, "names actor 787878")] {
            let panicked =
                std::panic::catch_unwind(|| w.board.clone().automerge().clone().apply_changes([change.clone()]));
            assert!(panicked.is_err(), "Automerge panics applying it (what this check keeps away)");
            assert!(w.board.clone().apply([change.clone()]).is_err(), "Document::apply refuses it too");
            let err = w.check(&w.board, &signed(&w.bob, change)).unwrap_err();
            assert!(matches!(&err, VerifyError::Malformed(m) if m.contains(why)), "{err}");
        }
        // Ana's next change numbered as her first: Automerge refuses it when applying.
        let ana_next = w.board.clone().set_pledge(&w.ana, w.task, PledgeAction::Withdraw, &view, w.now).unwrap();
        let mut expanded = parse_change(&ana_next.bytes).unwrap().decode();
        expanded.seq = 1;
        let again = Change::from(expanded);
        assert!(w.board.clone().apply([again.clone()]).is_err());
        let err = w.check(&w.board, &signed(&w.ana, again)).unwrap_err();
        assert!(matches!(&err, VerifyError::Malformed(m) if m.contains("change 1 of its device")), "{err}");
    }

    #[test]
    fn a_change_whose_parents_are_missing_waits() {
        let w = world();
        let view = w.view();
        let mut board = w.board.clone();
        let first = board.set_pledge(&w.bob, w.task, PledgeAction::Pledge, &view, w.now).unwrap();
        let second = board.set_pledge(&w.bob, w.task, PledgeAction::Withdraw, &view, w.now).unwrap();
        let err = w.check(&w.board, &second).unwrap_err();
        assert_eq!(err, VerifyError::MissingDeps(vec![first.hash]));
        assert!(err.is_retryable());
    }

    /// A newcomer receives the board as one bundle with one signature per device, over that
    /// device's latest change: everything verifies. Without it, nothing of that device does.
    #[test]
    fn a_bundle_needs_one_signature_per_device_and_vouches_for_nothing_else() {
        let w = world();
        let id = w.board.id();
        let all = w.board.automerge().get_changes(&[]);
        let bundle = w.board.automerge().bundle(all.iter().map(|c| c.hash())).unwrap();
        let changes = parse_bundle(bundle.bytes()).unwrap();
        let mut got: Vec<ChangeHash> = changes.iter().map(|c| c.hash()).collect();
        let mut want: Vec<ChangeHash> = all.iter().map(|c| c.hash()).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        let refs: Vec<&Change> = changes.iter().collect();
        let order = crate::cover::causal_order(&refs);
        let last = refs[*order.last().unwrap()];
        assert_eq!(last.actor_id(), &w.ana.actor(), "the pledge is Ana's latest change");
        let sig = w.ana.sign_change(&id, &last.hash());
        let view = w.view();
        for with_signature in [true, false] {
            // A peer creates the board from its deterministic genesis before it syncs.
            let (empty, _) = Document::from_genesis(id).unwrap();
            let signature = |c: &Change| (with_signature && c.hash() == last.hash()).then_some(&sig);
            let mut v = Verifier::new(id);
            v.presign(refs.iter().map(|c| (*c, signature(c))));
            let mut run = Run::default();
            for i in &order {
                let c = refs[*i];
                if empty.has_change(&c.hash()) {
                    continue;
                }
                let verdict = v.verify_in_run(&empty, &view, c, signature(c), &mut run);
                match (with_signature, c.deps().is_empty()) {
                    (true, _) | (false, true) => assert!(verdict.is_ok(), "{verdict:?}"),
                    (false, false) => {
                        assert_eq!(verdict, Err(VerifyError::Unsigned));
                        assert!(!verdict.unwrap_err().is_retryable());
                        break;
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// A real bundle, damaged anywhere: read or refused, never a panic.
        #[test]
        fn damaged_bundles_never_panic(
            flips in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 1..6),
            cut in proptest::prelude::any::<usize>(),
        ) {
            thread_local! {
                static BUNDLE: Vec<u8> = {
                    let w = world();
                    let all = w.board.automerge().get_changes(&[]);
                    w.board.automerge().bundle(all.iter().map(|c| c.hash())).unwrap().bytes().to_vec()
                };
            }
            let mut bytes = BUNDLE.with(Clone::clone);
            for (at, v) in flips {
                let i = at % bytes.len();
                bytes[i] ^= v | 1;
            }
            bytes.truncate(cut % (bytes.len() + 1));
            let _ = parse_bundle(&bytes);
        }
    }
}
