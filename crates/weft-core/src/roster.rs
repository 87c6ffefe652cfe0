//! A community's roster proven to someone who does not hold its people document.
//!
//! Neighbouring communities share a commons but never each other's people documents, yet a
//! neighbour must know whether a device writing in a community's commons belongs to one of
//! its members. The proof is the community's own signed history, cut down to what matters:
//! the people document's founding change (its hash is the community id, and it certifies the
//! founder's first device) and the changes that admitted members, added devices and removed
//! members, each with its device's signature. [`Roster::prove`] reads the roster from those
//! alone, in causal order: a change counts only if its signature verifies and its device
//! belongs to a current member of the roster read so far, so every member chains back to the
//! community id, and nothing the people document does not say can be added.
//!
//! The changes are read op by op (they cannot be applied: their parents are mostly other
//! people changes — profiles, invitations — that the evidence leaves out). Order is by
//! Automerge's op counters, which every descendant exceeds, so a parent always comes before its
//! child; a removal concurrent with an admission by the member removed may be read first, and
//! then that admission does not count (the stricter reading).

use std::collections::{BTreeMap, HashMap};

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{Change, ChangeHash, ObjType, ScalarValue};

use crate::doc::{DocId, DocName, Document};
use crate::id::{CommunityId, DeviceId, MemberId};
use crate::identity::{ChangeSignature, DeviceCert, Vouch};
use crate::verify::{device_of, founder_of};

/// Why a roster could not be proven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    #[error("the founding change is not community {}'s (its hash names another)", .0.short())]
    NotTheFounding(CommunityId),
    #[error("the founding change does not certify its author as the founder")]
    BadFounding,
    #[error("change {} has no valid signature of its device", short(.0))]
    BadSignature(ChangeHash),
    #[error("change {} was written by device {}, which no current member on the roster holds", short(.0), .1.short())]
    NotOnRoster(ChangeHash, DeviceId),
    #[error("change {} says more than a roster may: {}", short(.0), .1)]
    Invalid(ChangeHash, String),
}

fn short(hash: &ChangeHash) -> String {
    hash.to_string().chars().take(8).collect()
}

/// One member as the roster knows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RosterMember {
    pub id: MemberId,
    pub name: String,
    pub admitted_by: MemberId,
    /// Devices, each certified by the member's key.
    pub devices: BTreeMap<DeviceId, DeviceCert>,
    pub removed: bool,
}

/// A community's members and their devices, proven from its signed history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Roster {
    pub community: CommunityId,
    pub founder: MemberId,
    pub members: BTreeMap<MemberId, RosterMember>,
}

/// A change of the people document with its device's signature.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub change: Change,
    pub signature: ChangeSignature,
}

/// What one op of a people change says about the roster.
enum Fact {
    Member(MemberId),
    Name(MemberId, String),
    /// A device record opened for a member (its certificate comes as `Cert`).
    Device(MemberId, DeviceId),
    Cert(MemberId, DeviceId, Option<DeviceCert>),
    /// The device that vouches for a device added by another member, or the vouch itself.
    VouchedBy(MemberId, DeviceId, DeviceId),
    Vouch(MemberId, DeviceId, Vouch),
    /// A device revoked.
    Revoked(MemberId, DeviceId),
    Removed(MemberId),
}

/// A signature a roster rests on: a people change's, by its device, or a device's
/// certificate, by its member.
enum Check<'a> {
    Change(DeviceId, ChangeHash, &'a ChangeSignature),
    Cert(MemberId, DeviceId, &'a DeviceCert),
}

impl Check<'_> {
    fn holds(&self, people: &DocId) -> bool {
        match self {
            Self::Change(device, hash, signature) => signature.verify(device, people, hash),
            Self::Cert(member, device, cert) => cert.verify(member, device),
        }
    }

    /// Whether each holds, spread over the machine's cores when there are enough of them.
    fn run_all(people: &DocId, checks: &[Self]) -> Vec<bool> {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(8);
        // Below a few dozen (a few milliseconds), threads cost more than they save.
        if threads < 2 || checks.len() < 64 {
            return checks.iter().map(|c| c.holds(people)).collect();
        }
        let chunk = checks.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = checks
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(|c| c.holds(people)).collect::<Vec<bool>>()))
                .collect();
            // A panicking check thread counts as "does not hold" for its part.
            handles
                .into_iter()
                .zip(checks.chunks(chunk))
                .flat_map(|(h, part)| h.join().unwrap_or_else(|_| vec![false; part.len()]))
                .collect()
        })
    }
}

/// Paths of the maps created so far, by the op that created them.
#[derive(Default)]
struct Paths(HashMap<OpId, Vec<String>>);

impl Paths {
    /// The roster facts of a change (and the maps it creates, remembered). Ops on maps the
    /// roster does not concern (invitations, profiles, keys) say nothing.
    fn facts(&mut self, change: &Change) -> Vec<Fact> {
        let actor = change.actor_id().clone();
        let start = change.start_op().get();
        let mut facts = Vec::new();
        for (i, op) in change.decode().operations.iter().enumerate() {
            let mut path = match &op.obj {
                ObjectId::Root => Vec::new(),
                ObjectId::Id(id) => match self.0.get(id) {
                    Some(p) => p.clone(),
                    None => continue,
                },
            };
            let Key::Map(key) = &op.key else { continue };
            path.push(key.to_string());
            let counter = start + u64::try_from(i).unwrap_or(u64::MAX);
            if matches!(op.action, OpType::Make(ObjType::Map)) {
                self.0.insert(OpId(counter, actor.clone()), path.clone());
            }
            let segs: Vec<&str> = path.iter().map(String::as_str).collect();
            let member = |s: &str| s.parse::<MemberId>().ok();
            let device = |s: &str| s.parse::<DeviceId>().ok();
            let fact = match (segs.as_slice(), &op.action) {
                (["members", m], OpType::Make(ObjType::Map)) => member(m).map(Fact::Member),
                (["members", m, "name"], OpType::Put(ScalarValue::Str(n))) => {
                    member(m).map(|m| Fact::Name(m, n.to_string()))
                }
                (["members", m, "devices", d], OpType::Make(ObjType::Map)) => {
                    member(m).zip(device(d)).map(|(m, d)| Fact::Device(m, d))
                }
                (["members", m, "devices", d, "cert"], OpType::Put(v)) => member(m).zip(device(d)).map(|(m, d)| {
                    let cert = match v {
                        ScalarValue::Bytes(b) => <[u8; 64]>::try_from(b.as_slice()).ok().map(DeviceCert),
                        _ => None,
                    };
                    Fact::Cert(m, d, cert)
                }),
                (["members", m, "devices", d, "vouched_by"], OpType::Put(ScalarValue::Str(by))) => {
                    member(m).zip(device(d)).zip(device(by)).map(|((m, d), by)| Fact::VouchedBy(m, d, by))
                }
                (["members", m, "devices", d, "vouch"], OpType::Put(ScalarValue::Bytes(b))) => member(m)
                    .zip(device(d))
                    .zip(<[u8; 64]>::try_from(b.as_slice()).ok())
                    .map(|((m, d), v)| Fact::Vouch(m, d, Vouch(v))),
                (["members", m, "devices", d, "revoked"], OpType::Make(ObjType::Map)) => {
                    member(m).zip(device(d)).map(|(m, d)| Fact::Revoked(m, d))
                }
                (["removed", m], OpType::Make(ObjType::Map)) => member(m).map(Fact::Removed),
                _ => None,
            };
            facts.extend(fact);
        }
        facts
    }
}

/// Whether a roster's signatures and certificates are checked, or were on arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signatures {
    Check,
    Trusted,
}

impl Roster {
    /// Reads a community's roster from its founding change and the evidence (in any order),
    /// verifying every step; fails, saying which change and why, at the first that does not
    /// hold — including a change whose author the roster does not hold (a gap in the chain).
    pub fn prove(community: CommunityId, founding: &Evidence, evidence: &[Evidence]) -> Result<Self, RosterError> {
        let (roster, skipped) = Self::read(community, founding, evidence)?;
        match skipped.into_iter().next() {
            None => Ok(roster),
            Some(gap) => Err(gap),
        }
    }

    /// Like [`Roster::prove`], but a change whose author the roster does not hold (yet, or any
    /// more) is skipped — it adds nothing — and said in the list returned, rather than failing
    /// the whole roster: a commons gathers evidence from many members, and one admission
    /// concurrent with its admitter's removal must not make the rest unreadable. A bad
    /// signature, another community's founding or a change that says more than a roster may
    /// still fails it.
    pub fn read(
        community: CommunityId,
        founding: &Evidence,
        evidence: &[Evidence],
    ) -> Result<(Self, Vec<RosterError>), RosterError> {
        Self::read_with(community, founding, evidence, Signatures::Check)
    }

    /// The roster of evidence that was verified already — a commons as this device stores it,
    /// every change of which was verified (its evidence with it) before it was applied: the
    /// same chain and facts as [`Roster::read`], without checking the signatures and
    /// certificates again, most of the cost of opening a neighbour's commons.
    pub fn read_verified(
        community: CommunityId,
        founding: &Evidence,
        evidence: &[Evidence],
    ) -> Result<(Self, Vec<RosterError>), RosterError> {
        Self::read_with(community, founding, evidence, Signatures::Trusted)
    }

    fn read_with(
        community: CommunityId,
        founding: &Evidence,
        evidence: &[Evidence],
        signatures: Signatures,
    ) -> Result<(Self, Vec<RosterError>), RosterError> {
        let people = DocId { community, name: DocName::People };
        let hash = founding.change.hash();
        if CommunityId::from_genesis_hash(&hash) != community || !founding.change.deps().is_empty() {
            return Err(RosterError::NotTheFounding(community));
        }
        let device = device_of(founding.change.actor_id()).ok_or(RosterError::BadFounding)?;
        if signatures == Signatures::Check && !founding.signature.verify(&device, &people, &hash) {
            return Err(RosterError::BadSignature(hash));
        }
        let founder = founder_of(&founding.change).ok_or(RosterError::BadFounding)?;
        let mut roster = Self { community, founder, members: BTreeMap::new() };
        let mut paths = Paths::default();
        let facts = paths.facts(&founding.change);
        roster.take(hash, founder, facts, &BTreeMap::new()).map_err(|_| RosterError::BadFounding)?;
        if roster.member_of_device(&device) != Some(founder) {
            return Err(RosterError::BadFounding);
        }
        let mut skipped = Vec::new();
        let mut ordered: Vec<&Evidence> = evidence.iter().filter(|e| e.change.hash() != hash).collect();
        ordered.sort_by_key(|e| (e.change.start_op().get(), e.change.hash()));
        ordered.dedup_by_key(|e| e.change.hash());
        // What each change says, in order (the paths of a change's maps come from those before
        // it), and then every signature and certificate it carries checked at once, over the
        // cores: a roster of a hundred members is two hundred Ed25519 checks, most of its cost.
        // The walk below meets them in the same order, with the same errors, as checking each
        // in turn would.
        let read: Vec<(ChangeHash, Option<DeviceId>, Vec<Fact>)> =
            ordered.iter().map(|e| (e.change.hash(), device_of(e.change.actor_id()), paths.facts(&e.change))).collect();
        let mut checks: Vec<Check<'_>> = Vec::new();
        let mut signature_of = Vec::with_capacity(read.len());
        for (e, (hash, device, facts)) in ordered.iter().zip(&read) {
            signature_of.push(checks.len());
            if let Some(device) = device {
                checks.push(Check::Change(*device, *hash, &e.signature));
            }
            for fact in facts {
                if let Fact::Cert(m, d, Some(cert)) = fact {
                    checks.push(Check::Cert(*m, *d, cert));
                }
            }
        }
        let valid = match signatures {
            Signatures::Check => Check::run_all(&people, &checks),
            Signatures::Trusted => vec![true; checks.len()],
        };
        let certified: BTreeMap<(MemberId, DeviceId), Vec<DeviceCert>> =
            checks.iter().zip(&valid).fold(BTreeMap::new(), |mut out, (c, ok)| {
                if let (Check::Cert(m, d, cert), true) = (c, ok) {
                    out.entry((*m, *d)).or_default().push(**cert);
                }
                out
            });
        for ((hash, device, facts), check) in read.into_iter().zip(signature_of) {
            let device = device.ok_or(RosterError::Invalid(hash, "its author is not a device".into()))?;
            if !valid.get(check).copied().unwrap_or(false) {
                return Err(RosterError::BadSignature(hash));
            }
            match roster.member_of_device(&device) {
                Some(author) => roster.take(hash, author, facts, &certified)?,
                None => skipped.push(RosterError::NotOnRoster(hash, device)),
            }
        }
        Ok((roster, skipped))
    }

    /// Applies what one change says, written by `author`. A certificate counts if it is among
    /// those `certified` (checked already), or checks now.
    fn take(
        &mut self,
        hash: ChangeHash,
        author: MemberId,
        facts: Vec<Fact>,
        certified: &BTreeMap<(MemberId, DeviceId), Vec<DeviceCert>>,
    ) -> Result<(), RosterError> {
        let invalid = |why: String| RosterError::Invalid(hash, why);
        let mut admitted = Vec::new();
        // Members this change admits again: two members admitted the same newcomer at once,
        // each on their own copy (a newcomer asks every member it reaches), and the people
        // document holds both records. The roster keeps the first read; the repeat adds only
        // devices the member's own key certifies (its name, admitter and a removal stay).
        let mut again = Vec::new();
        // Devices added for another member with a vouch of one of that member's devices.
        let mut vouched_by: BTreeMap<(MemberId, DeviceId), DeviceId> = BTreeMap::new();
        let mut vouches: BTreeMap<(MemberId, DeviceId), Vouch> = BTreeMap::new();
        for fact in &facts {
            match fact {
                Fact::VouchedBy(m, d, by) => {
                    vouched_by.insert((*m, *d), *by);
                }
                Fact::Vouch(m, d, v) => {
                    vouches.insert((*m, *d), *v);
                }
                _ => {}
            }
        }
        let vouched = |roster: &Self, m: MemberId, d: DeviceId| {
            let (Some(by), Some(vouch)) = (vouched_by.get(&(m, d)), vouches.get(&(m, d))) else { return false };
            roster.members.get(&m).is_some_and(|member| !member.removed && member.devices.contains_key(by))
                && vouch.verify(by, &m, &d)
        };
        for fact in facts {
            match fact {
                Fact::Member(m) => {
                    if self.members.contains_key(&m) {
                        again.push(m);
                        continue;
                    }
                    self.members.insert(
                        m,
                        RosterMember {
                            id: m,
                            name: String::new(),
                            admitted_by: author,
                            devices: BTreeMap::new(),
                            removed: false,
                        },
                    );
                    admitted.push(m);
                }
                Fact::Name(m, name) => {
                    if let Some(member) = self.members.get_mut(&m)
                        && (admitted.contains(&m) || m == author)
                    {
                        member.name = name;
                    }
                }
                Fact::Cert(m, d, _) if m != author && !admitted.contains(&m) && !again.contains(&m) => {
                    if !vouched(self, m, d) {
                        return Err(invalid(format!("a device added to {} by someone else", m.short())));
                    }
                    self.take_cert(hash, m, d, &fact, certified)?;
                }
                Fact::Device(m, d) if m != author && !admitted.contains(&m) && !again.contains(&m) => {
                    if !vouched(self, m, d) {
                        return Err(invalid(format!("a device added to {} by someone else", m.short())));
                    }
                }
                Fact::Device(..) | Fact::VouchedBy(..) | Fact::Vouch(..) => {}
                Fact::Cert(m, d, _) => self.take_cert(hash, m, d, &fact, certified)?,
                Fact::Revoked(m, d) => {
                    let member =
                        self.members.get_mut(&m).ok_or_else(|| invalid(format!("{} is unknown", m.short())))?;
                    member.devices.remove(&d);
                }
                Fact::Removed(m) => {
                    let member =
                        self.members.get_mut(&m).ok_or_else(|| invalid(format!("{} is unknown", m.short())))?;
                    member.removed = true;
                }
            }
        }
        Ok(())
    }

    /// Records a device's certificate, if it is among those `certified` or checks now.
    fn take_cert(
        &mut self,
        hash: ChangeHash,
        m: MemberId,
        d: DeviceId,
        fact: &Fact,
        certified: &BTreeMap<(MemberId, DeviceId), Vec<DeviceCert>>,
    ) -> Result<(), RosterError> {
        let invalid = |why: String| RosterError::Invalid(hash, why);
        let Fact::Cert(_, _, cert) = fact else { return Ok(()) };
        let checked = |c: &DeviceCert| certified.get(&(m, d)).is_some_and(|ok| ok.contains(c));
        let cert = cert
            .filter(|c| checked(c) || c.verify(&m, &d))
            .ok_or_else(|| invalid(format!("device {} carries no valid certificate of {}", d.short(), m.short())))?;
        let member = self.members.get_mut(&m).ok_or_else(|| invalid(format!("{} is unknown", m.short())))?;
        member.devices.insert(d, cert);
        Ok(())
    }

    /// The current member a device belongs to.
    pub fn member_of_device(&self, device: &DeviceId) -> Option<MemberId> {
        self.members.values().find(|m| !m.removed && m.devices.contains_key(device)).map(|m| m.id)
    }

    /// Whether someone is a member now (admitted, not removed).
    pub fn is_current(&self, member: &MemberId) -> bool {
        self.members.get(member).is_some_and(|m| !m.removed)
    }
}

/// The changes of a people document that are roster evidence — admissions, added devices,
/// removals — in causal order, the founding change first.
pub fn evidence_of(people: &Document) -> Vec<ChangeHash> {
    let doc = people.automerge();
    let mut changes: Vec<Change> = doc.get_changes(&[]);
    changes.sort_by_key(|c| (c.start_op().get(), c.hash()));
    let mut paths = Paths::default();
    changes
        .iter()
        .filter(|c| {
            let facts = paths.facts(c);
            c.deps().is_empty()
                || facts
                    .iter()
                    .any(|f| matches!(f, Fact::Member(_) | Fact::Device(..) | Fact::Revoked(..) | Fact::Removed(_)))
        })
        .map(Change::hash)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::DataKey;
    use crate::doc::people::found;
    use crate::identity::{Identity, SignedChange};
    use crate::time::Timestamp;

    fn t(s: i64) -> Timestamp {
        Timestamp(1_800_000_000_000 + s * 1000)
    }

    fn evidence(c: &SignedChange) -> Evidence {
        Evidence { change: Change::from_bytes(c.bytes.clone()).unwrap(), signature: c.signature.expect("signed") }
    }

    /// Ana founds Riverside, admits Bob, who admits Carol; Ana changes her profile.
    struct World {
        ana: Identity,
        bob: Identity,
        carol: Identity,
        community: CommunityId,
        doc: Document,
        founding: Evidence,
        admit_bob: Evidence,
        admit_carol: Evidence,
        carol_key: crate::identity::SecretKey,
    }

    fn world() -> World {
        let (_, ana) = Identity::generate();
        let (_, bob) = Identity::generate();
        let (carol_key, carol) = Identity::generate();
        let (community, mut doc, genesis) = found(&ana, "Riverside", "Ana", t(0)).unwrap();
        let admit_bob = doc.admit_member(&ana, bob.member(), "Bob", bob.device(), bob.cert(), t(1)).unwrap();
        let update = crate::model::ProfileUpdate { willing_to_travel: Some(true), ..Default::default() };
        doc.update_profile(&ana, &update, t(2)).unwrap();
        let admit_carol = doc.admit_member(&bob, carol.member(), "Carol", carol.device(), carol.cert(), t(3)).unwrap();
        World {
            ana,
            bob,
            carol,
            community,
            doc,
            founding: evidence(&genesis),
            admit_bob: evidence(&admit_bob),
            admit_carol: evidence(&admit_carol),
            carol_key,
        }
    }

    #[test]
    fn every_member_chains_back_to_the_community_id() {
        let w = world();
        // In any order: the roster reads them causally.
        let roster = Roster::prove(w.community, &w.founding, &[w.admit_carol.clone(), w.admit_bob.clone()]).unwrap();
        assert_eq!(roster.founder, w.ana.member());
        assert_eq!(roster.members.len(), 3);
        assert_eq!(roster.member_of_device(&w.carol.device()), Some(w.carol.member()));
        assert_eq!(roster.members[&w.carol.member()].admitted_by, w.bob.member());
        assert_eq!(roster.members[&w.carol.member()].name, "Carol");
    }

    #[test]
    fn devices_added_vouched_for_and_revoked_are_on_the_roster_as_the_document_says() {
        use crate::doc::membership::NewDevice;
        use crate::identity::{SecretKey, Vouch};
        use crate::model::DeviceKind;
        let mut w = world();
        let carol_key = w.carol_key.clone();
        let carol2 = Identity::certify(&carol_key, SecretKey::generate());
        let carol = w.carol.clone();
        let device = |id: &Identity, kind, vouch| NewDevice {
            member: id.member(),
            device: id.device(),
            cert: id.cert(),
            label: "x".into(),
            kind,
            vouch,
        };
        let linked = w.doc.add_device(&w.carol, &device(&carol2, DeviceKind::Computer, None), t(4)).unwrap();
        let backup_key = SecretKey::generate();
        let backup = Identity::certify(&carol_key, backup_key.clone());
        let registered = w.doc.add_device(&w.carol, &device(&backup, DeviceKind::Backup, None), t(5)).unwrap();
        let restored = Identity::certify(&carol_key, SecretKey::generate());
        let vouch = Some((backup.device(), Vouch::sign(&backup_key, &carol.member(), &restored.device())));
        let by_bob = w.doc.add_device(&w.bob, &device(&restored, DeviceKind::Computer, vouch), t(6)).unwrap();
        let revoked = w.doc.revoke_device(
            &restored,
            carol.member(),
            w.carol.device(),
            &DataKey::generate(),
            &BTreeMap::new(),
            t(7),
        );
        let revoked = revoked.unwrap();
        let all: Vec<Evidence> = [&linked, &registered, &by_bob, &revoked]
            .into_iter()
            .map(evidence)
            .chain([w.admit_bob.clone(), w.admit_carol.clone()])
            .collect();
        let roster = Roster::prove(w.community, &w.founding, &all).unwrap();
        assert_eq!(roster.member_of_device(&carol2.device()), Some(carol.member()));
        assert_eq!(roster.member_of_device(&restored.device()), Some(carol.member()));
        assert_eq!(roster.member_of_device(&w.carol.device()), None, "revoked");
        assert_eq!(evidence_of(&w.doc).len(), 3 + 4);
        // Without the backup's registration, Bob's addition is a device added by someone else.
        let gap: Vec<Evidence> =
            [&linked, &by_bob].into_iter().map(evidence).chain([w.admit_bob.clone(), w.admit_carol.clone()]).collect();
        assert!(Roster::prove(w.community, &w.founding, &gap).is_err());
    }

    #[test]
    fn the_evidence_of_a_people_document_is_its_founding_and_admissions_only() {
        let w = world();
        let hashes = evidence_of(&w.doc);
        let expected = vec![w.founding.change.hash(), w.admit_bob.change.hash(), w.admit_carol.change.hash()];
        assert_eq!(hashes, expected, "the profile change is left out");
    }

    #[test]
    fn a_newcomer_admitted_by_two_members_at_once_is_on_the_roster_once() {
        let w = world();
        // Ana and Bob each admit Dan on their own copy, neither having seen the other's.
        let (_, dan) = Identity::generate();
        let mut ana_copy = w.doc.clone();
        let mut bob_copy = w.doc.clone();
        let by_ana = ana_copy.admit_member(&w.ana, dan.member(), "Dan", dan.device(), dan.cert(), t(4)).unwrap();
        let by_bob = bob_copy.admit_member(&w.bob, dan.member(), "Dan", dan.device(), dan.cert(), t(4)).unwrap();
        let all = [w.admit_bob.clone(), w.admit_carol.clone(), evidence(&by_ana), evidence(&by_bob)];
        let roster = Roster::prove(w.community, &w.founding, &all).unwrap();
        assert_eq!(roster.members.len(), 4);
        assert_eq!(roster.member_of_device(&dan.device()), Some(dan.member()));
        assert_eq!(roster.members[&dan.member()].name, "Dan");
        // A repeat renames nobody and adds no device its member did not certify.
        let (_, stranger) = Identity::generate();
        let mut copy = w.doc.clone();
        let carol_again = raw_admission(&mut copy, &w.ana, &w.carol, t(5));
        let mut forged = w.doc.clone();
        let members = crate::doc::read::root_map(forged.automerge(), "members").unwrap();
        let stranger_for_carol = forged
            .write(&w.ana, t(6), |tx| {
                use automerge::transaction::Transactable;
                let me = tx.put_object(&members, w.carol.member().to_string(), ObjType::Map)?;
                let devices = tx.put_object(&me, "devices", ObjType::Map)?;
                let d = tx.put_object(&devices, stranger.device().to_string(), ObjType::Map)?;
                tx.put(&d, "cert", ScalarValue::Bytes(stranger.cert().0.to_vec()))?;
                Ok(())
            })
            .unwrap();
        let all = [w.admit_bob.clone(), w.admit_carol.clone(), evidence(&carol_again)];
        let roster = Roster::prove(w.community, &w.founding, &all).unwrap();
        assert_eq!(roster.members[&w.carol.member()].name, "Carol");
        assert_eq!(roster.members[&w.carol.member()].admitted_by, w.bob.member());
        let all = [w.admit_bob.clone(), w.admit_carol.clone(), evidence(&stranger_for_carol)];
        let err = Roster::prove(w.community, &w.founding, &all).unwrap_err();
        assert!(matches!(err, RosterError::Invalid(h, _) if h == stranger_for_carol.hash), "{err:?}");
    }

    #[test]
    fn a_gap_in_the_chain_is_refused() {
        let w = world();
        // Without Bob's admission, Carol's admitter is nobody the roster knows.
        let err = Roster::prove(w.community, &w.founding, std::slice::from_ref(&w.admit_carol)).unwrap_err();
        assert_eq!(err, RosterError::NotOnRoster(w.admit_carol.change.hash(), w.bob.device()));
    }

    #[test]
    fn reading_skips_what_does_not_count_and_keeps_the_rest() {
        let w = world();
        let (_, eve) = Identity::generate();
        let mut copy = w.doc.clone();
        let admit_eve = raw_admission(&mut copy, &eve, &eve, t(4));
        let all = [w.admit_bob.clone(), evidence(&admit_eve), w.admit_carol.clone()];
        let (roster, skipped) = Roster::read(w.community, &w.founding, &all).unwrap();
        assert_eq!(skipped, vec![RosterError::NotOnRoster(admit_eve.hash, eve.device())]);
        assert_eq!(roster.members.len(), 3, "Eve is not on it; everyone else is");
        assert!(!roster.is_current(&eve.member()));
    }

    #[test]
    fn a_forged_signature_or_another_communitys_founding_is_refused() {
        let w = world();
        let mut forged = w.admit_bob.clone();
        forged.signature =
            w.ana.sign_change(&DocId { community: w.community, name: DocName::Board }, &forged.change.hash());
        let err = Roster::prove(w.community, &w.founding, &[forged]).unwrap_err();
        assert_eq!(err, RosterError::BadSignature(w.admit_bob.change.hash()));

        let (_, eve) = Identity::generate();
        let (other, _, eve_genesis) = found(&eve, "Elsewhere", "Eve", t(0)).unwrap();
        let err = Roster::prove(w.community, &evidence(&eve_genesis), &[]).unwrap_err();
        assert_eq!(err, RosterError::NotTheFounding(w.community));
        assert_ne!(other, w.community);
    }

    /// Writes a member record for `newcomer` as `writer`, with no check of the writer's
    /// right: what a forger or a stale copy would send.
    fn raw_admission(doc: &mut Document, writer: &Identity, newcomer: &Identity, at: Timestamp) -> SignedChange {
        use automerge::transaction::Transactable;
        let members = crate::doc::read::root_map(doc.automerge(), "members").unwrap();
        doc.write(writer, at, |tx| {
            let me = tx.put_object(&members, newcomer.member().to_string(), ObjType::Map)?;
            tx.put(&me, "name", "Someone")?;
            let devices = tx.put_object(&me, "devices", ObjType::Map)?;
            let device = tx.put_object(&devices, newcomer.device().to_string(), ObjType::Map)?;
            tx.put(&device, "cert", ScalarValue::Bytes(newcomer.cert().0.to_vec()))?;
            Ok(())
        })
        .unwrap()
    }

    #[test]
    fn an_outsider_cannot_admit_anyone() {
        let w = world();
        // Eve copies Riverside's people document and admits herself from her own device.
        let (_, eve) = Identity::generate();
        let mut copy = w.doc.clone();
        let admit_eve = raw_admission(&mut copy, &eve, &eve, t(4));
        let err = Roster::prove(w.community, &w.founding, &[w.admit_bob.clone(), evidence(&admit_eve)]).unwrap_err();
        assert_eq!(err, RosterError::NotOnRoster(admit_eve.hash, eve.device()));
    }

    #[test]
    fn a_member_cannot_add_a_device_to_someone_else() {
        let w = world();
        let (_, stranger) = Identity::generate();
        let mut copy = w.doc.clone();
        let devices = crate::doc::read::root_map(copy.automerge(), "members")
            .and_then(|m| crate::doc::read::child_map(copy.automerge(), &m, &w.carol.member().to_string()))
            .and_then(|c| crate::doc::read::child_map(copy.automerge(), &c, "devices"))
            .unwrap();
        let extra = copy
            .write(&w.bob, t(4), |tx| {
                use automerge::transaction::Transactable;
                let d = tx.put_object(&devices, stranger.device().to_string(), ObjType::Map)?;
                tx.put(&d, "cert", ScalarValue::Bytes(stranger.cert().0.to_vec()))?;
                Ok(())
            })
            .unwrap();
        let all = [w.admit_bob.clone(), w.admit_carol.clone(), evidence(&extra)];
        let err = Roster::prove(w.community, &w.founding, &all).unwrap_err();
        assert!(matches!(err, RosterError::Invalid(h, _) if h == extra.hash), "{err:?}");
    }

    #[test]
    fn a_removed_member_admits_nobody_afterwards() {
        let mut w = world();
        let removal = w.doc.remove_member(&w.ana, w.bob.member(), &DataKey::generate(), t(5)).unwrap();
        // Bob's copy holds his removal and still writes an admission (his own writer would
        // refuse; a forger's would not).
        let (_, dan) = Identity::generate();
        let late = raw_admission(&mut w.doc, &w.bob, &dan, t(6));
        let before =
            Roster::prove(w.community, &w.founding, &[w.admit_bob.clone(), w.admit_carol.clone(), evidence(&removal)])
                .unwrap();
        assert!(!before.is_current(&w.bob.member()));
        assert_eq!(before.member_of_device(&w.bob.device()), None);
        assert!(before.is_current(&w.carol.member()), "whom Bob admitted before stays");
        let all = [w.admit_bob.clone(), w.admit_carol.clone(), evidence(&removal), evidence(&late)];
        let err = Roster::prove(w.community, &w.founding, &all).unwrap_err();
        assert_eq!(err, RosterError::NotOnRoster(late.hash, w.bob.device()));
        assert_eq!(evidence_of(&w.doc).len(), 5, "founding, two admissions, the removal, the late one");
    }
}
