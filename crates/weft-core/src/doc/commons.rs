//! A community's commons: what it shares with the communities it is linked to.
//!
//! ```text
//! roster/<change hash>   { change, signature }   people changes proving who is a member
//! directory              { name, about, location?, languages, hosts, escalate_after? }
//! links/<community>      { by, at, ended_by?, ended_at? }
//! calls/<task>           { title, description, sector, skills: { <skill>: true }, hours,
//!                          slots, urgency, deadline?, location?, escalated, status,
//!                          created_by, created_at, updated_at }
//! offers/<notice>, needs/<notice>
//!                        { title, description, sector?, status, created_by, created_at, updated_at }
//! pledges/<task>.<member> { task, member, community, state, updated_at }   a visitor's pledge
//! hours/<entry>          { call, member, community, sector, minutes, date, created_at, retracted? }
//! replies/<reply>        { to, member, community, text, at }
//! ```
//!
//! The community's own members write its roster, directory, links, calls, offers and needs;
//! members of a linked community write pledges, hours and replies, each their own. The
//! verifier holds every change to that (`Verifier::verify_commons`). A call is keyed by the id
//! of the task it opens, so two members who open (or escalate) the same task at once write one
//! record.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{Automerge, Change, ObjId, ObjType, ScalarValue};
use serde::{Deserialize, Serialize};

use super::build::Rec;
use super::membership::{Membership, epoch_record, seal_all};
use super::read::{Field, Record, SchemaError, child_map, fields, records, root_map};
use super::{DocName, Document, WriteError, require_new, root_container};
use crate::crypto::DataKey;
use crate::id::{
    CommunityId, DeviceId, EntryId, InviteId, MemberId, NoticeId, PledgeId, ReplyId, SectorId, SkillId, TaskId,
};
use crate::identity::{ChangeSignature, Identity};
use crate::model::{PledgeState, Task, TaskStatus, Urgency};
use crate::roster::{Evidence, Roster, RosterError};
use crate::time::{Date, Minutes, Timestamp};
use crate::validate::{self, ValidationError};

/// How a community describes itself to its neighbours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub name: Option<String>,
    pub about: String,
    pub location: Option<String>,
    pub languages: String,
    /// How many visitors its members can put up at once.
    pub hosts: u64,
    /// Hours an urgent task waits for the community's own members before its neighbours are
    /// asked (`None`: the default, `escalation::DEFAULT_AFTER_HOURS`).
    pub escalate_after: Option<u32>,
}

/// A link to a neighbouring community, as this side wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub community: CommunityId,
    pub by: MemberId,
    pub at: Timestamp,
    pub ended: Option<(MemberId, Timestamp)>,
}

impl Link {
    pub fn is_live(&self) -> bool {
        self.ended.is_none()
    }
}

/// A task opened to visitors from linked communities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub task: TaskId,
    pub title: String,
    pub description: String,
    pub sector: SectorId,
    /// The skills the task asks for (a call written before calls carried them has none).
    pub skills: BTreeSet<SkillId>,
    pub hours: Minutes,
    pub slots: u32,
    pub urgency: Urgency,
    pub deadline: Option<Date>,
    pub location: Option<String>,
    /// Opened by the community's escalation of an unfilled urgent task, not by hand.
    pub escalated: bool,
    pub open: bool,
    pub created_by: MemberId,
    pub created_at: Timestamp,
}

/// The longest an urgent task may wait before escalation: 30 days, in hours.
pub const ESCALATE_AFTER_MAX: u32 = 24 * 30;

/// An offer of surplus, or a stated need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: NoticeId,
    pub title: String,
    pub description: String,
    pub sector: Option<SectorId>,
    pub open: bool,
    pub created_by: MemberId,
    pub created_at: Timestamp,
}

/// Offers or needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Offer,
    Need,
}

impl NoticeKind {
    fn root(self) -> &'static str {
        match self {
            Self::Offer => "offers",
            Self::Need => "needs",
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Need => "need",
        }
    }
}

/// A visitor's pledge to a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorPledge {
    pub task: TaskId,
    pub member: MemberId,
    pub community: CommunityId,
    pub state: PledgeState,
    pub updated_at: Timestamp,
}

/// Hours a visitor gave to a call (they count in the visitor's own ledger too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorHours {
    pub id: EntryId,
    pub call: TaskId,
    pub member: MemberId,
    pub community: CommunityId,
    pub sector: SectorId,
    pub minutes: Minutes,
    pub date: Date,
    pub retracted: bool,
}

/// An answer to an offer or a need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub id: ReplyId,
    pub to: NoticeId,
    pub member: MemberId,
    pub community: CommunityId,
    pub text: String,
    pub at: Timestamp,
}

/// A neighbour invitation: who made it, until when, and which community used it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeighbourInvite {
    pub id: InviteId,
    pub secret_hash: [u8; 32],
    pub by: MemberId,
    pub at: Timestamp,
    pub expires: Timestamp,
    pub used: BTreeMap<CommunityId, Timestamp>,
}

/// Why a neighbour invitation cannot link a community.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefused {
    #[error("this neighbour invitation is not known here (it may be another community's)")]
    Unknown,
    #[error("the invitation's secret does not match")]
    Mismatch,
    #[error("this neighbour invitation has expired")]
    Expired,
    #[error("this neighbour invitation was used by another community already")]
    Used,
}

/// The hash of a neighbour invitation's secret, as the commons keeps it.
pub fn neighbour_secret_hash(secret: &[u8; 16]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"weft/neighbour-invite/v1");
    h.update(secret);
    h.finalize().into()
}

/// Everything a commons holds, read, but its roster evidence (read apart by [`evidence`], and
/// proven by [`roster`]): what the screens need is the roster it proves, not the changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommonsView {
    pub directory: Directory,
    pub links: BTreeMap<CommunityId, Link>,
    pub calls: BTreeMap<TaskId, Call>,
    pub offers: BTreeMap<NoticeId, Notice>,
    pub needs: BTreeMap<NoticeId, Notice>,
    pub pledges: Vec<VisitorPledge>,
    pub hours: Vec<VisitorHours>,
    pub replies: Vec<Reply>,
    pub invites: BTreeMap<InviteId, NeighbourInvite>,
}

fn parse_key<T: std::str::FromStr>(key: &str, what: &str) -> Result<T, SchemaError> {
    key.parse().map_err(|_| SchemaError {
        record: key.to_owned(),
        field: "id".into(),
        problem: format!("is not {what}"),
    })
}

/// The roster evidence records of a commons (records that do not read as a signed change are
/// left out: the verifier never let one in).
pub fn evidence(doc: &Automerge) -> Vec<Evidence> {
    let Some(roster) = root_map(doc, "roster") else { return Vec::new() };
    records(doc, &roster)
        .into_iter()
        .filter_map(|(_, obj)| {
            let (mut change, mut signature) = (None, None);
            for (key, field) in fields(doc, &obj) {
                match (key.as_str(), field) {
                    ("change", Field::Bytes(b)) => change = Some(b),
                    ("signature", Field::Bytes(b)) => signature = <[u8; 64]>::try_from(b.as_slice()).ok(),
                    _ => {}
                }
            }
            // The signature is checked first: it is cheap, and parsing the change is not. Parsed
            // as strictly as from a peer: the stored document may be damaged.
            let signature = ChangeSignature(signature?);
            Some(Evidence { change: crate::verify::parse_change(&change?).ok()?, signature })
        })
        .collect()
}

/// The roster of `community` a commons proves (`None` before any evidence), every signature
/// checked.
pub fn roster(doc: &Automerge, community: CommunityId) -> Result<Option<Roster>, RosterError> {
    let evidence = evidence(doc);
    let Some(founding) = evidence.iter().find(|e| CommunityId::from_genesis_hash(&e.change.hash()) == community) else {
        return Ok(None);
    };
    Roster::read(community, founding, &evidence).map(|(roster, _)| Some(roster))
}

/// The roster of a commons this device stores: its evidence was verified when it arrived, so
/// the signatures are not checked again ([`Roster::read_verified`]).
pub fn stored_roster(doc: &Automerge, community: CommunityId) -> Result<Option<Roster>, RosterError> {
    let evidence = evidence(doc);
    let Some(founding) = evidence.iter().find(|e| CommunityId::from_genesis_hash(&e.change.hash()) == community) else {
        return Ok(None);
    };
    Roster::read_verified(community, founding, &evidence).map(|(roster, _)| Some(roster))
}

/// The communities a commons links live, read alone (what verifying a change needs, without
/// reading the whole commons).
pub fn live_links(doc: &Automerge) -> Vec<CommunityId> {
    root_map(doc, "links")
        .map(|o| records(doc, &o))
        .unwrap_or_default()
        .iter()
        .filter_map(|(key, obj)| read_link(doc, key, obj).ok())
        .filter(Link::is_live)
        .map(|l| l.community)
        .collect()
}

/// What opening a commons needs, kept beside its document so that a commons opens without
/// loading it: its view and the roster it proves. The store keeps it only while no change has
/// come since it was made; it is this device's own record, trusted like the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadModel {
    pub view: CommonsView,
    pub roster: Option<Roster>,
}

/// The read model's format; one of another format is read again from the document. 2: calls
/// carry their skills.
const READ_MODEL_FORMAT: u8 = 2;

/// Why a stored read model cannot be used (the commons is then read from its document).
#[derive(Debug, thiserror::Error)]
pub enum ReadModelError {
    #[error("a read model of format {0}, not {READ_MODEL_FORMAT}")]
    Format(u8),
    #[error("the read model is empty")]
    Empty,
    #[error("the read model does not decode: {0}")]
    Decode(#[from] serde_json::Error),
}

/// A read model borrowed, to encode without copying.
#[derive(Serialize)]
struct ReadModelRef<'a> {
    view: &'a CommonsView,
    roster: Option<&'a Roster>,
}

impl ReadModel {
    pub fn encode(&self) -> Vec<u8> {
        Self::encode_parts(&self.view, self.roster.as_ref())
    }

    /// Encodes a view and roster as a read model (what decoding gives back as a [`ReadModel`]).
    pub fn encode_parts(view: &CommonsView, roster: Option<&Roster>) -> Vec<u8> {
        let mut out = vec![READ_MODEL_FORMAT];
        // Only plain data, keyed by strings: encoding it cannot fail; if it did, the empty
        // model is refused when read and the commons is read from its document.
        if serde_json::to_writer(&mut out, &ReadModelRef { view, roster }).is_err() {
            out.clear();
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, ReadModelError> {
        match bytes.split_first() {
            None => Err(ReadModelError::Empty),
            Some((&READ_MODEL_FORMAT, rest)) => Ok(serde_json::from_slice(rest)?),
            Some((&other, _)) => Err(ReadModelError::Format(other)),
        }
    }
}

impl CommonsView {
    /// Reads a commons. A record that breaks the schema (which verification keeps out) is
    /// skipped, not fatal: one bad record must not hide a neighbour's whole commons.
    pub fn read(doc: &Automerge) -> Self {
        let mut view = Self::default();
        if let Some(dir) = root_map(doc, "directory") {
            let rec = Record::read(doc, &dir, "directory");
            view.directory = Directory {
                name: rec.opt_str("name").ok().flatten().map(str::to_owned),
                about: rec.opt_str("about").ok().flatten().unwrap_or_default().to_owned(),
                location: rec.opt_str("location").ok().flatten().map(str::to_owned),
                languages: rec.opt_str("languages").ok().flatten().unwrap_or_default().to_owned(),
                hosts: if rec.has("hosts") { rec.uint("hosts").unwrap_or(0) } else { 0 },
                escalate_after: if rec.has("escalate_after") { rec.u32("escalate_after").ok() } else { None },
            };
        }
        let each = |root: &str| root_map(doc, root).map(|o| records(doc, &o)).unwrap_or_default();
        for (key, obj) in each("links") {
            if let Ok(link) = read_link(doc, &key, &obj) {
                view.links.insert(link.community, link);
            }
        }
        for (key, obj) in each("calls") {
            if let Ok(call) = read_call(doc, &key, &obj) {
                view.calls.insert(call.task, call);
            }
        }
        for kind in [NoticeKind::Offer, NoticeKind::Need] {
            for (key, obj) in each(kind.root()) {
                if let Ok(n) = read_notice(doc, kind, &key, &obj) {
                    match kind {
                        NoticeKind::Offer => view.offers.insert(n.id, n),
                        NoticeKind::Need => view.needs.insert(n.id, n),
                    };
                }
            }
        }
        view.pledges = each("pledges").iter().filter_map(|(k, o)| read_pledge(doc, k, o).ok()).collect();
        view.hours = each("hours").iter().filter_map(|(k, o)| read_hours(doc, k, o).ok()).collect();
        view.replies = each("replies").iter().filter_map(|(k, o)| read_reply(doc, k, o).ok()).collect();
        for (key, obj) in each("invites") {
            if let Ok(invite) = read_invite(doc, &key, &obj) {
                view.invites.insert(invite.id, invite);
            }
        }
        view
    }

    /// Checks a neighbour invitation for `community` at `now` (using it again for the same
    /// community is not using it twice: an answer lost on the way is asked for again).
    pub fn check_invite(
        &self,
        id: &InviteId,
        secret: &[u8; 16],
        community: CommunityId,
        now: Timestamp,
    ) -> Result<&NeighbourInvite, LinkRefused> {
        let invite = self.invites.get(id).ok_or(LinkRefused::Unknown)?;
        if invite.secret_hash != neighbour_secret_hash(secret) {
            return Err(LinkRefused::Mismatch);
        }
        if invite.used.contains_key(&community) {
            return Ok(invite);
        }
        if !invite.used.is_empty() {
            return Err(LinkRefused::Used);
        }
        if now >= invite.expires {
            return Err(LinkRefused::Expired);
        }
        Ok(invite)
    }

    /// The communities whose members may answer here now.
    pub fn live_links(&self) -> impl Iterator<Item = CommunityId> + '_ {
        self.links.values().filter(|l| l.is_live()).map(|l| l.community)
    }

    /// How many places of a call visitors hold (pledged, or done).
    pub fn pledged(&self, task: &TaskId) -> usize {
        self.pledges.iter().filter(|p| p.task == *task && p.state != PledgeState::Withdrawn).count()
    }
}

/// One record of a commons, read as the whole reader would read it (`None` if it is missing
/// or does not read): for the writers, which check one record and need not read the rest.
fn one<T>(
    doc: &Automerge,
    root: &str,
    key: &str,
    read: impl FnOnce(&Automerge, &str, &ObjId) -> Result<T, SchemaError>,
) -> Option<T> {
    let obj = root_map(doc, root).and_then(|r| child_map(doc, &r, key))?;
    read(doc, key, &obj).ok()
}

fn read_link(doc: &Automerge, key: &str, obj: &ObjId) -> Result<Link, SchemaError> {
    let rec = Record::read(doc, obj, &format!("links/{key}"));
    let ended = match rec.opt_parse::<MemberId>("ended_by")? {
        Some(by) => Some((by, rec.timestamp("ended_at")?)),
        None => None,
    };
    Ok(Link { community: parse_key(key, "a community id")?, by: rec.parse("by")?, at: rec.timestamp("at")?, ended })
}

/// The skills a call's `skills` map holds (none for a call written before calls had them).
fn read_skills(doc: &Automerge, rec: &Record) -> Result<BTreeSet<SkillId>, SchemaError> {
    let mut skills = BTreeSet::new();
    if rec.has("skills") {
        for (skill, field) in fields(doc, rec.map("skills")?) {
            if let (Ok(skill), Field::Bool(true)) = (skill.parse(), field) {
                skills.insert(skill);
            }
        }
    }
    Ok(skills)
}

fn read_call(doc: &Automerge, key: &str, obj: &ObjId) -> Result<Call, SchemaError> {
    let rec = Record::read(doc, obj, &format!("calls/{key}"));
    Ok(Call {
        task: parse_key(key, "a task id")?,
        title: rec.str("title")?.to_owned(),
        description: rec.opt_str("description")?.unwrap_or_default().to_owned(),
        sector: rec.parse("sector")?,
        skills: read_skills(doc, &rec)?,
        hours: rec.minutes("hours")?,
        slots: rec.u32("slots")?,
        urgency: rec.parse("urgency")?,
        deadline: rec.opt_parse("deadline")?,
        location: rec.opt_str("location")?.map(str::to_owned),
        escalated: rec.flag("escalated")?,
        open: rec.str("status")? == "open",
        created_by: rec.parse("created_by")?,
        created_at: rec.timestamp("created_at")?,
    })
}

fn read_notice(doc: &Automerge, kind: NoticeKind, key: &str, obj: &ObjId) -> Result<Notice, SchemaError> {
    let rec = Record::read(doc, obj, &format!("{}/{key}", kind.root()));
    Ok(Notice {
        id: parse_key(key, "a notice id")?,
        title: rec.str("title")?.to_owned(),
        description: rec.opt_str("description")?.unwrap_or_default().to_owned(),
        sector: rec.opt_parse("sector")?,
        open: rec.str("status")? == "open",
        created_by: rec.parse("created_by")?,
        created_at: rec.timestamp("created_at")?,
    })
}

fn read_pledge(doc: &Automerge, key: &str, obj: &ObjId) -> Result<VisitorPledge, SchemaError> {
    let rec = Record::read(doc, obj, &format!("pledges/{key}"));
    let id: PledgeId = parse_key(key, "a pledge id")?;
    Ok(VisitorPledge {
        task: id.task,
        member: id.member,
        community: rec.parse("community")?,
        state: rec.parse("state")?,
        updated_at: rec.timestamp("updated_at")?,
    })
}

fn read_hours(doc: &Automerge, key: &str, obj: &ObjId) -> Result<VisitorHours, SchemaError> {
    let rec = Record::read(doc, obj, &format!("hours/{key}"));
    Ok(VisitorHours {
        id: parse_key(key, "an entry id")?,
        call: rec.parse("call")?,
        member: rec.parse("member")?,
        community: rec.parse("community")?,
        sector: rec.parse("sector")?,
        minutes: rec.minutes("minutes")?,
        date: rec.parse("date")?,
        retracted: rec.flag("retracted")?,
    })
}

fn read_invite(doc: &Automerge, key: &str, obj: &ObjId) -> Result<NeighbourInvite, SchemaError> {
    let rec = Record::read(doc, obj, &format!("invites/{key}"));
    let mut used = BTreeMap::new();
    if let Some(u) = child_map(doc, obj, "used") {
        for (c, value) in fields(doc, &u) {
            if let (Ok(c), Field::Timestamp(t)) = (c.parse::<CommunityId>(), value) {
                used.insert(c, Timestamp(t));
            }
        }
    }
    Ok(NeighbourInvite {
        id: parse_key(key, "an invitation id")?,
        secret_hash: rec.bytes::<32>("secret")?,
        by: rec.parse("by")?,
        at: rec.timestamp("at")?,
        expires: rec.timestamp("expires")?,
        used,
    })
}

fn read_reply(doc: &Automerge, key: &str, obj: &ObjId) -> Result<Reply, SchemaError> {
    let rec = Record::read(doc, obj, &format!("replies/{key}"));
    Ok(Reply {
        id: parse_key(key, "a reply id")?,
        to: rec.parse("to")?,
        member: rec.parse("member")?,
        community: rec.parse("community")?,
        text: rec.str("text")?.to_owned(),
        at: rec.timestamp("at")?,
    })
}

impl Document {
    fn require_commons(&self) -> Result<(), WriteError> {
        if self.id().name == DocName::Commons {
            Ok(())
        } else {
            Err(WriteError::Other(format!("{} is not a commons", self.id())))
        }
    }

    /// Copies roster evidence (people changes with their signatures) into the commons; what
    /// is there already is left alone. Returns `None` when nothing was new.
    pub fn add_evidence(
        &mut self,
        me: &Identity,
        evidence: &[(Vec<u8>, ChangeSignature)],
        now: Timestamp,
    ) -> Result<Option<crate::identity::SignedChange>, WriteError> {
        self.require_commons()?;
        let roster = root_container(self.automerge(), "roster")?;
        let new: Vec<(String, &Vec<u8>, &ChangeSignature)> = evidence
            .iter()
            .filter_map(|(bytes, sig)| {
                let hash = Change::from_bytes(bytes.clone()).ok()?.hash().to_string();
                child_map(self.automerge(), &roster, &hash).is_none().then_some((hash, bytes, sig))
            })
            .collect();
        if new.is_empty() {
            return Ok(None);
        }
        self.write(me, now, |tx| {
            for (hash, bytes, sig) in &new {
                Rec::new().bytes("change", bytes).bytes("signature", &sig.0).create(tx, &roster, hash)?;
            }
            Ok(())
        })
        .map(Some)
    }

    /// Sets how the community describes itself to its neighbours.
    pub fn set_directory(
        &mut self,
        me: &Identity,
        dir: &Directory,
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        let name = dir
            .name
            .as_deref()
            .map(|n| validate::text(validate::Field::CommunityName, n, validate::NAME_MAX))
            .transpose()?;
        let about = validate::optional_text(validate::Field::Description, &dir.about, validate::DESCRIPTION_MAX)?;
        let languages = dir.languages.trim().to_owned();
        if languages.chars().count() > validate::LANGUAGES_MAX {
            return Err(WriteError::Other(format!(
                "the languages spoken are {} characters long; at most {} fit",
                languages.chars().count(),
                validate::LANGUAGES_MAX
            )));
        }
        let location = dir
            .location
            .as_deref()
            .map(|l| validate::text(validate::Field::Location, l, validate::LOCATION_MAX))
            .transpose()?;
        let obj = root_container(self.automerge(), "directory")?;
        self.write(me, now, |tx| {
            if let Some(name) = &name {
                tx.put(&obj, "name", name.as_str())?;
            }
            tx.put(&obj, "about", about.as_str())?;
            tx.put(&obj, "languages", languages.as_str())?;
            tx.put(&obj, "hosts", dir.hosts.min(validate::HOSTS_MAX))?;
            match dir.escalate_after {
                Some(h) => tx.put(&obj, "escalate_after", u64::from(h.clamp(1, ESCALATE_AFTER_MAX)))?,
                None => tx.delete(&obj, "escalate_after")?,
            }
            match &location {
                Some(l) => tx.put(&obj, "location", l.as_str())?,
                None => tx.delete(&obj, "location")?,
            }
            Ok(())
        })
    }

    /// Starts a new epoch of the commons key, sealed to `devices` (the community's members'
    /// and its live neighbours' members' devices). A community's member does this when the
    /// commons has no key yet, and when a link ends, so the old neighbour's devices do not get
    /// the new one.
    pub fn start_commons_epoch(
        &mut self,
        me: &Identity,
        key: &DataKey,
        devices: &[DeviceId],
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        let n = Membership::read(self.automerge()).current().map_or(0, |e| e.n + 1);
        let seals = seal_all(key, devices)?;
        let epochs = root_container(self.automerge(), "epochs")?;
        self.write(me, now, |tx| epoch_record(key, n, me, now, seals).create(tx, &epochs, &key.id_hex()).map(|_| ()))
    }

    /// Seals the current commons key to those of `devices` that lack it (a new member of the
    /// community or of a neighbour). `None` if all have it, or if this device cannot open the
    /// key itself (then another member's device will do it).
    pub fn seal_commons_key(
        &mut self,
        me: &Identity,
        devices: &[DeviceId],
        now: Timestamp,
    ) -> Result<Option<crate::identity::SignedChange>, WriteError> {
        self.require_commons()?;
        let membership = Membership::read(self.automerge());
        let Some(epoch) = membership.current() else { return Ok(None) };
        let missing: Vec<DeviceId> = devices.iter().filter(|d| !epoch.seals.contains_key(d)).copied().collect();
        if missing.is_empty() {
            return Ok(None);
        }
        let Some(key) = membership.key(&epoch.key_id, me.device_key()) else { return Ok(None) };
        let seals = seal_all(&key, &missing)?;
        let obj = root_map(self.automerge(), "epochs")
            .and_then(|e| child_map(self.automerge(), &e, &key.id_hex()))
            .and_then(|e| child_map(self.automerge(), &e, "seals"))
            .ok_or_else(|| WriteError::Other("the commons key's epoch is gone".into()))?;
        self.write(me, now, |tx| {
            for (device, sealed) in &seals {
                tx.put(&obj, device.to_string(), ScalarValue::Bytes(sealed.clone()))?;
            }
            Ok(())
        })
        .map(Some)
    }

    /// Records a neighbour invitation (the hash of its secret, and until when it holds).
    pub fn neighbour_invite(
        &mut self,
        me: &Identity,
        id: InviteId,
        secret: &[u8; 16],
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        if expires <= now {
            return Err(WriteError::Other("a neighbour invitation must expire in the future".into()));
        }
        let invites = root_container(self.automerge(), "invites")?;
        require_new(self.automerge(), &invites, "invitation", &id.to_string())?;
        self.write(me, now, |tx| {
            Rec::new()
                .bytes("secret", &neighbour_secret_hash(secret))
                .str("by", me.member().to_string())
                .timestamp("at", now.millis())
                .timestamp("expires", expires.millis())
                .map("used", Rec::new())
                .create(tx, &invites, &id.to_string())
                .map(|_| ())
        })
    }

    /// Links `other`, which came with a neighbour invitation of this community: the link and
    /// the invitation's use in one change. `None` if `other` used it and is linked already.
    pub fn link_by_invite(
        &mut self,
        me: &Identity,
        id: InviteId,
        secret: &[u8; 16],
        other: CommunityId,
        now: Timestamp,
    ) -> Result<Option<crate::identity::SignedChange>, WriteError> {
        self.require_commons()?;
        let view = CommonsView::read(self.automerge());
        view.check_invite(&id, secret, other, now).map_err(|e| WriteError::Other(e.to_string()))?;
        if view.links.get(&other).is_some_and(Link::is_live) {
            return Ok(None);
        }
        let used = root_map(self.automerge(), "invites")
            .and_then(|i| child_map(self.automerge(), &i, &id.to_string()))
            .and_then(|i| child_map(self.automerge(), &i, "used"))
            .ok_or_else(|| WriteError::Other("the invitation is gone".into()))?;
        let links = root_container(self.automerge(), "links")?;
        let existing = child_map(self.automerge(), &links, &other.to_string());
        self.write(me, now, |tx| {
            tx.put(&used, other.to_string(), ScalarValue::Timestamp(now.millis()))?;
            match &existing {
                Some(link) => {
                    tx.delete(link, "ended_by")?;
                    tx.delete(link, "ended_at")?;
                }
                None => {
                    Rec::new().str("by", me.member().to_string()).timestamp("at", now.millis()).create(
                        tx,
                        &links,
                        &other.to_string(),
                    )?;
                }
            }
            Ok(())
        })
        .map(Some)
    }

    /// Writes this side of a link to `other` (again after it ended: a new link record is not
    /// possible, so an ended link is opened by clearing its end).
    pub fn link(
        &mut self,
        me: &Identity,
        other: CommunityId,
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        if other == self.id().community {
            return Err(WriteError::Other("a community cannot be its own neighbour".into()));
        }
        let links = root_container(self.automerge(), "links")?;
        let key = other.to_string();
        let live = one(self.automerge(), "links", &key, read_link).map(|l| l.is_live());
        match (child_map(self.automerge(), &links, &key), live) {
            (None, _) => self.write(me, now, |tx| {
                Rec::new()
                    .str("by", me.member().to_string())
                    .timestamp("at", now.millis())
                    .create(tx, &links, &key)
                    .map(|_| ())
            }),
            (Some(link), Some(false)) => self.write(me, now, |tx| {
                tx.delete(&link, "ended_by")?;
                tx.delete(&link, "ended_at")?;
                Ok(())
            }),
            (Some(_), _) => Err(WriteError::Other(format!("community {} is linked already", other.short()))),
        }
    }

    /// Ends this side of a link: from now on the other community's members write nothing new here.
    pub fn end_link(
        &mut self,
        me: &Identity,
        other: CommunityId,
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        match one(self.automerge(), "links", &other.to_string(), read_link) {
            Some(l) if l.is_live() => {}
            _ => return Err(WriteError::Other(format!("community {} is not linked", other.short()))),
        }
        let link = root_map(self.automerge(), "links")
            .and_then(|l| child_map(self.automerge(), &l, &other.to_string()))
            .ok_or_else(|| WriteError::Other("the link is gone".into()))?;
        self.write(me, now, |tx| {
            tx.put(&link, "ended_by", me.member().to_string())?;
            tx.put(&link, "ended_at", ScalarValue::Timestamp(now.millis()))?;
            Ok(())
        })
    }

    /// Opens a task of the community to visitors (or updates its call), `escalated` when the
    /// community's escalation does it. The call asks for the task's skills: opened again or
    /// updated, it drops those the task no longer asks for.
    pub fn open_call(
        &mut self,
        me: &Identity,
        task: &Task,
        escalated: bool,
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        if task.status != TaskStatus::Open {
            return Err(WriteError::Other(format!("'{}' is closed", task.title)));
        }
        let calls = root_container(self.automerge(), "calls")?;
        let key = task.id.to_string();
        let existing = child_map(self.automerge(), &calls, &key);
        let updating = existing.is_some();
        // The call's skills now (a call written before calls had skills has no map yet).
        let skills_obj = existing.as_ref().and_then(|o| child_map(self.automerge(), o, "skills"));
        let had: BTreeSet<String> = skills_obj
            .as_ref()
            .map(|o| fields(self.automerge(), o).into_iter().map(|(k, _)| k).collect())
            .unwrap_or_default();
        self.write(me, now, |tx| {
            let obj = match existing {
                Some(o) => o,
                None => {
                    let o = tx.put_object(&calls, key.as_str(), ObjType::Map)?;
                    tx.put(&o, "created_by", me.member().to_string())?;
                    tx.put(&o, "created_at", ScalarValue::Timestamp(now.millis()))?;
                    o
                }
            };
            tx.put(&obj, "title", task.title.as_str())?;
            tx.put(&obj, "description", task.description.as_str())?;
            tx.put(&obj, "sector", task.sector.as_str())?;
            let skills = match &skills_obj {
                Some(o) => o.clone(),
                None => tx.put_object(&obj, "skills", ObjType::Map)?,
            };
            for gone in had.iter().filter(|k| !task.skills.iter().any(|s| s.as_str() == k.as_str())) {
                tx.delete(&skills, gone.as_str())?;
            }
            for new in task.skills.iter().filter(|s| !had.contains(s.as_str())) {
                tx.put(&skills, new.as_str(), true)?;
            }
            tx.put(&obj, "hours", u64::from(task.hours.get()))?;
            tx.put(&obj, "slots", u64::from(task.slots))?;
            tx.put(&obj, "urgency", task.urgency.to_string())?;
            match task.deadline {
                Some(d) => tx.put(&obj, "deadline", d.to_string())?,
                None if updating => tx.delete(&obj, "deadline")?,
                None => {}
            }
            match &task.location {
                Some(l) => tx.put(&obj, "location", l.as_str())?,
                None if updating => tx.delete(&obj, "location")?,
                None => {}
            }
            tx.put(&obj, "escalated", escalated)?;
            tx.put(&obj, "status", "open")?;
            tx.put(&obj, "updated_at", ScalarValue::Timestamp(now.millis()))?;
            Ok(())
        })
    }

    /// Closes a call (filled, or withdrawn).
    pub fn close_call(
        &mut self,
        me: &Identity,
        task: TaskId,
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        let call = root_map(self.automerge(), "calls")
            .and_then(|c| child_map(self.automerge(), &c, &task.to_string()))
            .ok_or_else(|| WriteError::Other(format!("no call for task {}", task.short())))?;
        self.write(me, now, |tx| {
            tx.put(&call, "status", "closed")?;
            tx.put(&call, "updated_at", ScalarValue::Timestamp(now.millis()))?;
            Ok(())
        })
    }

    /// Posts an offer or a need under `id` (a fresh `NoticeId::random()`).
    #[allow(clippy::too_many_arguments)]
    pub fn post_notice(
        &mut self,
        me: &Identity,
        kind: NoticeKind,
        id: NoticeId,
        title: &str,
        description: &str,
        sector: Option<&SectorId>,
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        let title = validate::text(validate::Field::Title, title, validate::TITLE_MAX)?;
        let description =
            validate::optional_text(validate::Field::Description, description, validate::DESCRIPTION_MAX)?;
        let root = root_container(self.automerge(), kind.root())?;
        require_new(self.automerge(), &root, kind.root(), &id.to_string())?;
        self.write(me, now, |tx| {
            Rec::new()
                .str("title", title.as_str())
                .str("description", description.as_str())
                .opt_str("sector", sector.map(SectorId::as_str))
                .str("status", "open")
                .str("created_by", me.member().to_string())
                .timestamp("created_at", now.millis())
                .timestamp("updated_at", now.millis())
                .create(tx, &root, &id.to_string())
                .map(|_| ())
        })
    }

    /// Closes an offer or a need (given, met, or no longer so).
    pub fn close_notice(
        &mut self,
        me: &Identity,
        kind: NoticeKind,
        id: NoticeId,
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        let obj = root_map(self.automerge(), kind.root())
            .and_then(|r| child_map(self.automerge(), &r, &id.to_string()))
            .ok_or_else(|| WriteError::Other(format!("no {} {}", kind.word(), id.short())))?;
        self.write(me, now, |tx| {
            tx.put(&obj, "status", "closed")?;
            tx.put(&obj, "updated_at", ScalarValue::Timestamp(now.millis()))?;
            Ok(())
        })
    }

    /// A visitor of `community` pledges to a call, or withdraws.
    pub fn visitor_pledge(
        &mut self,
        me: &Identity,
        community: CommunityId,
        task: TaskId,
        state: PledgeState,
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        match one(self.automerge(), "calls", &task.to_string(), read_call).as_ref() {
            Some(c) if c.open || state != PledgeState::Pledged => {}
            Some(c) => return Err(ValidationError::TaskClosed { title: c.title.clone() }.into()),
            None => return Err(WriteError::Other(format!("no call for task {}", task.short()))),
        }
        let pledges = root_container(self.automerge(), "pledges")?;
        let key = PledgeId { task, member: me.member() }.to_string();
        let existing = child_map(self.automerge(), &pledges, &key);
        self.write(me, now, |tx| {
            let obj = match existing {
                Some(o) => o,
                None => {
                    let o = tx.put_object(&pledges, key.as_str(), ObjType::Map)?;
                    tx.put(&o, "task", task.to_string())?;
                    tx.put(&o, "member", me.member().to_string())?;
                    tx.put(&o, "community", community.to_string())?;
                    o
                }
            };
            tx.put(&obj, "state", state.to_string())?;
            tx.put(&obj, "updated_at", ScalarValue::Timestamp(now.millis()))?;
            Ok(())
        })
    }

    /// A visitor of `community` records hours given to a call under `id` (the same id as
    /// the entry in their own ledger).
    #[allow(clippy::too_many_arguments)]
    pub fn visitor_hours(
        &mut self,
        me: &Identity,
        community: CommunityId,
        id: EntryId,
        call: TaskId,
        minutes: Minutes,
        date: Date,
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        let sector = one(self.automerge(), "calls", &call.to_string(), read_call)
            .map(|c| c.sector)
            .ok_or_else(|| WriteError::Other(format!("no call for task {}", call.short())))?;
        if minutes.get() == 0 || minutes > validate::ENTRY_MAX {
            return Err(ValidationError::EntryHours { minutes, max: validate::ENTRY_MAX }.into());
        }
        let hours = root_container(self.automerge(), "hours")?;
        require_new(self.automerge(), &hours, "entry", &id.to_string())?;
        self.write(me, now, |tx| {
            Rec::new()
                .str("call", call.to_string())
                .str("member", me.member().to_string())
                .str("community", community.to_string())
                .str("sector", sector.as_str())
                .uint("minutes", u64::from(minutes.get()))
                .str("date", date.to_string())
                .timestamp("created_at", now.millis())
                .create(tx, &hours, &id.to_string())
                .map(|_| ())
        })
    }

    /// A member of a linked `community` answers an offer or a need.
    #[allow(clippy::too_many_arguments)]
    pub fn reply(
        &mut self,
        me: &Identity,
        community: CommunityId,
        id: ReplyId,
        to: NoticeId,
        text: &str,
        now: Timestamp,
    ) -> Result<crate::identity::SignedChange, WriteError> {
        self.require_commons()?;
        let text = validate::text(validate::Field::Note, text, validate::NOTE_MAX)?;
        let key = to.to_string();
        let notice = |kind: NoticeKind| {
            one(self.automerge(), kind.root(), &key, |doc, key, obj| read_notice(doc, kind, key, obj))
        };
        if notice(NoticeKind::Offer).is_none() && notice(NoticeKind::Need).is_none() {
            return Err(WriteError::Other(format!("no offer or need {}", to.short())));
        }
        let replies = root_container(self.automerge(), "replies")?;
        require_new(self.automerge(), &replies, "reply", &id.to_string())?;
        self.write(me, now, |tx| {
            Rec::new()
                .str("to", to.to_string())
                .str("member", me.member().to_string())
                .str("community", community.to_string())
                .str("text", text.as_str())
                .timestamp("at", now.millis())
                .create(tx, &replies, &id.to_string())
                .map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use automerge::ReadDoc;

    use super::*;
    use crate::doc::DocId;
    use crate::doc::people::found;
    use crate::identity::SignedChange;
    use crate::roster::evidence_of;
    use crate::verify::{Verifier, VerifyError};

    fn t(s: i64) -> Timestamp {
        Timestamp(1_800_000_000_000 + s * 1000)
    }

    /// A community of two: its people document, the signatures of its changes, and its
    /// commons with the roster copied in by the founder.
    struct Community {
        id: CommunityId,
        founder: Identity,
        member: Identity,
        commons: Document,
        /// A peer of a linked community: verifies every change before applying it.
        replica: Document,
        log: Vec<SignedChange>,
    }

    fn community(name: &str) -> Community {
        let (_, founder) = Identity::generate();
        let (_, member) = Identity::generate();
        let (id, mut people, genesis) = found(&founder, name, "Founder", t(0)).unwrap();
        let admission =
            people.admit_member(&founder, member.member(), "Member", member.device(), member.cert(), t(1)).unwrap();
        let signatures: BTreeMap<_, _> =
            [&genesis, &admission].iter().map(|c| (c.hash, c.signature.unwrap())).collect();
        let evidence: Vec<(Vec<u8>, ChangeSignature)> = evidence_of(&people)
            .iter()
            .map(|h| {
                let change = people.automerge().get_change_by_hash(h).unwrap();
                (change.raw_bytes().to_vec(), signatures[h])
            })
            .collect();
        let (mut commons, genesis) = Document::from_genesis(DocId { community: id, name: DocName::Commons }).unwrap();
        let (replica, _) = Document::from_genesis(DocId { community: id, name: DocName::Commons }).unwrap();
        let roster = commons.add_evidence(&founder, &evidence, t(2)).unwrap().unwrap();
        let mut c = Community { id, founder, member, commons, replica, log: Vec::new() };
        c.log.push(genesis);
        c.log.push(roster);
        c
    }

    /// What the replica says of each change written since it last looked.
    fn check(c: &mut Community, neighbours: &BTreeMap<CommunityId, Roster>) -> Result<(), VerifyError> {
        let verifier = Verifier::new(DocId { community: c.id, name: DocName::Commons });
        while let Some(signed) = c.log.first().cloned() {
            let change = Change::from_bytes(signed.bytes.clone()).unwrap();
            if !c.replica.has_change(&change.hash()) {
                verifier.verify_commons(&c.replica, neighbours, &change, signed.signature.as_ref())?;
                c.replica.apply([change]).unwrap();
            }
            c.log.remove(0);
        }
        Ok(())
    }

    fn rosters(of: &[&Community]) -> BTreeMap<CommunityId, Roster> {
        of.iter().map(|c| (c.id, roster(c.commons.automerge(), c.id).unwrap().unwrap())).collect()
    }

    fn task(by: &Identity) -> Task {
        Task {
            id: TaskId::random(),
            title: "Mend the nets".into(),
            description: "Before the season opens.".into(),
            sector: "food".parse().unwrap(),
            guild: None,
            skills: BTreeSet::new(),
            hours: Minutes::from_hours(3),
            slots: 4,
            urgency: Urgency::Urgent,
            deadline: None,
            location: Some("The harbour".into()),
            open_to_neighbours: true,
            status: TaskStatus::Open,
            created_by: by.member(),
            created_at: t(0),
            occurrence: None,
            gathering: None,
        }
    }

    /// A and B, linked both ways; A has an open call.
    fn linked() -> (Community, Community, TaskId) {
        let mut a = community("Coast");
        let mut b = community("Hills");
        let link = a.commons.link(&a.member, b.id, t(3)).unwrap();
        a.log.push(link);
        let link = b.commons.link(&b.member, a.id, t(3)).unwrap();
        b.log.push(link);
        let task = task(&a.founder);
        let call = a.commons.open_call(&a.founder, &task, true, t(4)).unwrap();
        a.log.push(call);
        let n = rosters(&[&b]);
        check(&mut a, &n).unwrap();
        check(&mut b, &rosters(&[&a])).unwrap();
        (a, b, task.id)
    }

    #[test]
    fn the_roster_proves_the_communitys_members_to_a_neighbour() {
        let (a, _, _) = linked();
        let proven = roster(a.replica.automerge(), a.id).unwrap().unwrap();
        assert_eq!(proven.member_of_device(&a.member.device()), Some(a.member.member()));
        assert_eq!(proven.founder, a.founder.member());
        // Read as stored (verified on arrival), it is the same roster.
        assert_eq!(stored_roster(a.replica.automerge(), a.id).unwrap(), Some(proven));
    }

    #[test]
    fn a_read_model_gives_back_the_view_and_roster_it_was_made_of() {
        let (a, _, _) = linked();
        let model = ReadModel {
            view: CommonsView::read(a.replica.automerge()),
            roster: stored_roster(a.replica.automerge(), a.id).unwrap(),
        };
        assert!(!model.view.links.is_empty() && !model.view.calls.is_empty());
        assert_eq!(ReadModel::decode(&model.encode()).unwrap(), model);
        // Another format, nothing, or damaged bytes are refused (the document is read instead).
        let mut other = model.encode();
        other[0] = 9;
        assert!(matches!(ReadModel::decode(&other), Err(ReadModelError::Format(9))));
        // One made before calls carried skills is read again from the document too.
        other[0] = 1;
        assert!(matches!(ReadModel::decode(&other), Err(ReadModelError::Format(1))));
        assert!(matches!(ReadModel::decode(&[]), Err(ReadModelError::Empty)));
        let bytes = model.encode();
        assert!(matches!(ReadModel::decode(&bytes[..bytes.len() / 2]), Err(ReadModelError::Decode(_))));
    }

    #[test]
    fn a_visitor_pledges_logs_hours_and_replies_and_the_community_sees_it() {
        let (mut a, b, call) = linked();
        let n = rosters(&[&b]);
        let pledge = a.commons.visitor_pledge(&b.member, b.id, call, PledgeState::Pledged, t(5)).unwrap();
        let hours = a
            .commons
            .visitor_hours(
                &b.member,
                b.id,
                EntryId::random(),
                call,
                Minutes::from_hours(3),
                "2027-01-15".parse().unwrap(),
                t(6),
            )
            .unwrap();
        let need = NoticeId::random();
        let posted =
            a.commons.post_notice(&a.member, NoticeKind::Need, need, "A van for Saturday", "", None, t(7)).unwrap();
        let reply = a.commons.reply(&b.founder, b.id, ReplyId::random(), need, "Ours is free", t(8)).unwrap();
        a.log.extend([pledge, hours, posted, reply]);
        check(&mut a, &n).unwrap();
        let view = CommonsView::read(a.replica.automerge());
        assert_eq!(view.pledged(&call), 1);
        assert_eq!(view.pledges[0].community, b.id);
        assert_eq!(view.hours[0].minutes, Minutes::from_hours(3));
        assert_eq!(view.hours[0].sector.as_str(), "food");
        assert_eq!(view.replies[0].member, b.founder.member());
        assert!(view.calls[&call].escalated);
    }

    #[test]
    fn a_neighbour_cannot_write_the_communitys_own_entries_nor_another_members_pledge() {
        let (mut a, b, call) = linked();
        let n = rosters(&[&b]);
        // A member of B opens a call in A's commons: only A's members may.
        let forged = a.commons.open_call(&b.member, &task(&b.member), false, t(5)).unwrap();
        a.log.push(forged);
        let err = check(&mut a, &n).unwrap_err();
        assert!(matches!(&err, VerifyError::NotAllowed { why, .. } if why.contains("own members")), "{err:?}");

        let mut a = linked_again(a);
        // …or pledges in another member's name.
        let pledges = root_map(a.commons.automerge(), "pledges").unwrap();
        let key = PledgeId { task: call, member: b.founder.member() }.to_string();
        let forged = a
            .commons
            .write(&b.member, t(6), |tx| {
                let o = tx.put_object(&pledges, key.as_str(), ObjType::Map)?;
                tx.put(&o, "task", call.to_string())?;
                tx.put(&o, "member", b.founder.member().to_string())?;
                tx.put(&o, "community", b.id.to_string())?;
                tx.put(&o, "state", "pledged")?;
                tx.put(&o, "updated_at", ScalarValue::Timestamp(t(6).millis()))?;
                Ok(())
            })
            .unwrap();
        a.log.push(forged);
        let err = check(&mut a, &n).unwrap_err();
        assert!(matches!(err, VerifyError::NotAllowed { .. }), "{err:?}");
    }

    fn skills(names: &[&str]) -> BTreeSet<SkillId> {
        names.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn a_call_asks_for_its_tasks_skills_and_drops_those_the_task_no_longer_asks_for() {
        let (mut a, b, _) = linked();
        let n = rosters(&[&b]);
        let mut job = Task { skills: skills(&["net-mending", "knots"]), ..task(&a.member) };
        let opened = a.commons.open_call(&a.member, &job, false, t(5)).unwrap();
        a.log.push(opened);
        check(&mut a, &n).unwrap();
        assert_eq!(CommonsView::read(a.replica.automerge()).calls[&job.id].skills, skills(&["knots", "net-mending"]));

        // The task changed: opened again, the call asks for what the task asks for now.
        job.skills = skills(&["knots", "boat-repair"]);
        let updated = a.commons.open_call(&a.founder, &job, false, t(6)).unwrap();
        a.log.push(updated);
        check(&mut a, &n).unwrap();
        let view = CommonsView::read(a.replica.automerge());
        assert_eq!(view.calls[&job.id].skills, skills(&["boat-repair", "knots"]));
        // …and its read model keeps them.
        let model = ReadModel { view, roster: None };
        assert_eq!(ReadModel::decode(&model.encode()).unwrap().view.calls[&job.id].skills, job.skills);

        // None left: the map stays, empty.
        job.skills.clear();
        let cleared = a.commons.open_call(&a.member, &job, false, t(7)).unwrap();
        a.log.push(cleared);
        check(&mut a, &n).unwrap();
        assert!(CommonsView::read(a.replica.automerge()).calls[&job.id].skills.is_empty());
    }

    #[test]
    fn a_call_written_before_calls_had_skills_reads_without_them_and_gets_them_when_opened_again() {
        let (mut a, b, _) = linked();
        let n = rosters(&[&b]);
        let mut job = task(&a.member);
        // A call as the writers wrote it before: no skills map.
        let calls = root_map(a.commons.automerge(), "calls").unwrap();
        let old = a
            .commons
            .write(&a.member, t(5), |tx| {
                let o = tx.put_object(&calls, job.id.to_string(), ObjType::Map)?;
                tx.put(&o, "created_by", a.member.member().to_string())?;
                tx.put(&o, "created_at", ScalarValue::Timestamp(t(5).millis()))?;
                tx.put(&o, "title", job.title.as_str())?;
                tx.put(&o, "description", "")?;
                tx.put(&o, "sector", "food")?;
                tx.put(&o, "hours", 180u64)?;
                tx.put(&o, "slots", 2u64)?;
                tx.put(&o, "urgency", "urgent")?;
                tx.put(&o, "escalated", true)?;
                tx.put(&o, "status", "open")?;
                tx.put(&o, "updated_at", ScalarValue::Timestamp(t(5).millis()))?;
                Ok(())
            })
            .unwrap();
        a.log.push(old);
        check(&mut a, &n).unwrap();
        assert!(CommonsView::read(a.replica.automerge()).calls[&job.id].skills.is_empty());
        job.skills = skills(&["knots"]);
        let again = a.commons.open_call(&a.founder, &job, true, t(6)).unwrap();
        a.log.push(again);
        check(&mut a, &n).unwrap();
        assert_eq!(CommonsView::read(a.replica.automerge()).calls[&job.id].skills, skills(&["knots"]));
    }

    #[test]
    fn only_home_members_write_a_calls_skills_and_only_as_skills() {
        let (mut a, b, call) = linked();
        let n = rosters(&[&b]);
        let skills_of = |doc: &Document, call: TaskId| {
            let calls = root_map(doc.automerge(), "calls").unwrap();
            let c = child_map(doc.automerge(), &calls, &call.to_string()).unwrap();
            child_map(doc.automerge(), &c, "skills").unwrap()
        };
        // A member of B adds a skill to A's call.
        let obj = skills_of(&a.commons, call);
        let forged = a.commons.write(&b.member, t(5), |tx| tx.put(&obj, "knots", true)).unwrap();
        a.log.push(forged);
        let err = check(&mut a, &n).unwrap_err();
        assert!(
            matches!(&err, VerifyError::NotAllowed { path, why, .. } if path.ends_with("/skills/knots") && why.contains("own members")),
            "{err:?}"
        );
        // …or takes one away.
        let mut a = linked_again(a);
        let job = Task { id: call, skills: skills(&["knots"]), ..task(&a.founder) };
        let opened = a.commons.open_call(&a.founder, &job, true, t(6)).unwrap();
        a.log.push(opened);
        check(&mut a, &n).unwrap();
        let obj = skills_of(&a.commons, call);
        let forged = a.commons.write(&b.member, t(7), |tx| tx.delete(&obj, "knots")).unwrap();
        a.log.push(forged);
        assert!(matches!(check(&mut a, &n), Err(VerifyError::NotAllowed { .. })));

        // A member of A writes something that is not a skill wanted: refused too.
        let bad = [
            ("knots", ScalarValue::Boolean(false)),
            ("knots", ScalarValue::Uint(3)),
            ("Net Mending", ScalarValue::Boolean(true)),
        ];
        for (key, value) in bad {
            let (mut a, b, call) = linked();
            let obj = skills_of(&a.commons, call);
            let wrong = a.commons.write(&a.member, t(8), |tx| tx.put(&obj, key, value.clone())).unwrap();
            a.log.push(wrong);
            let err = check(&mut a, &rosters(&[&b])).unwrap_err();
            assert!(matches!(&err, VerifyError::NotAllowed { .. }), "{key} = {value}: {err:?}");
        }
    }

    /// The same community with its writer's copy back in step with the replica.
    fn linked_again(mut a: Community) -> Community {
        a.commons = a.replica.clone();
        a.log.clear();
        a
    }

    #[test]
    fn an_unlinked_community_and_an_ended_link_write_nothing() {
        let (mut a, b, call) = linked();
        let mut c = community("Elsewhere");
        check(&mut c, &BTreeMap::new()).unwrap();
        // C's roster is known (say, C is B's neighbour), but A never linked C.
        let n = rosters(&[&b, &c]);
        let pledge = a.commons.visitor_pledge(&c.member, c.id, call, PledgeState::Pledged, t(5)).unwrap();
        a.log.push(pledge);
        assert_eq!(check(&mut a, &n), Err(VerifyError::UnknownDevice(c.member.device())));

        let mut a = linked_again(a);
        let end = a.commons.end_link(&a.founder, b.id, t(6)).unwrap();
        a.log.push(end);
        check(&mut a, &n).unwrap();
        let pledge = a.commons.visitor_pledge(&b.member, b.id, call, PledgeState::Pledged, t(7)).unwrap();
        a.log.push(pledge);
        assert_eq!(check(&mut a, &n), Err(VerifyError::UnknownDevice(b.member.device())), "the link has ended");

        // Linked again: B's members answer again.
        let mut a = linked_again(a);
        let relink = a.commons.link(&a.member, b.id, t(8)).unwrap();
        let pledge = a.commons.visitor_pledge(&b.member, b.id, call, PledgeState::Pledged, t(9)).unwrap();
        a.log.extend([relink, pledge]);
        check(&mut a, &n).unwrap();
        assert!(a.commons.link(&a.member, b.id, t(10)).is_err(), "linked already");
    }

    #[test]
    fn forged_roster_evidence_and_tampered_changes_are_refused() {
        let mut a = community("Coast");
        check(&mut a, &BTreeMap::new()).unwrap();
        // An outsider copies A's founding into the roster with a signature of its own.
        let (_, eve) = Identity::generate();
        let founding = a.replica.clone();
        let genesis =
            evidence(founding.automerge()).iter().find(|e| e.change.deps().is_empty()).unwrap().change.clone();
        let mut bytes = genesis.raw_bytes().to_vec();
        let sig = eve.sign_change(&DocId { community: a.id, name: DocName::People }, &genesis.hash());
        let mut copy = Document::from_genesis(DocId { community: a.id, name: DocName::Commons }).unwrap().0;
        let forged = copy.add_evidence(&eve, &[(bytes.clone(), sig)], t(3)).unwrap().unwrap();
        let mut fresh = Community { replica: copy.clone(), log: vec![forged], ..community("Again") };
        fresh.id = a.id;
        fresh.replica = Document::from_genesis(DocId { community: a.id, name: DocName::Commons }).unwrap().0;
        let err = check(&mut fresh, &BTreeMap::new()).unwrap_err();
        assert!(matches!(&err, VerifyError::Malformed(w) if w.contains("roster")), "{err:?}");

        // A change whose bytes were altered on the way.
        let call = a.commons.open_call(&a.member, &task(&a.member), false, t(4)).unwrap();
        let mut tampered = call.clone();
        bytes = tampered.bytes.clone();
        let n = bytes.len() - 3;
        bytes[n] ^= 1;
        tampered.bytes = bytes;
        let change = Change::from_bytes(tampered.bytes.clone());
        if let Ok(change) = change {
            let verifier = Verifier::new(DocId { community: a.id, name: DocName::Commons });
            let err = verifier.verify_commons(&a.replica, &BTreeMap::new(), &change, call.signature.as_ref());
            assert!(err.is_err(), "a tampered change is refused");
        }
    }

    #[test]
    fn a_neighbour_invitation_links_once_and_only_home_members_write_keys_and_invitations() {
        let mut a = community("Coast");
        let b = community("Hills");
        let invite = InviteId::random();
        let secret = [7u8; 16];
        let made = a.commons.neighbour_invite(&a.member, invite, &secret, t(100), t(3)).unwrap();
        a.log.push(made);
        let view = CommonsView::read(a.commons.automerge());
        assert_eq!(view.check_invite(&invite, &[8u8; 16], b.id, t(4)).unwrap_err(), LinkRefused::Mismatch);
        assert_eq!(view.check_invite(&invite, &secret, b.id, t(100)).unwrap_err(), LinkRefused::Expired);
        let linked = a.commons.link_by_invite(&a.founder, invite, &secret, b.id, t(4)).unwrap().unwrap();
        a.log.push(linked);
        // The same community asking again is not a second use; another community is refused.
        assert!(a.commons.link_by_invite(&a.founder, invite, &secret, b.id, t(5)).unwrap().is_none());
        let view = CommonsView::read(a.commons.automerge());
        assert_eq!(
            view.check_invite(&invite, &secret, CommunityId::from_bytes([9; 16]), t(5)).unwrap_err(),
            LinkRefused::Used
        );
        assert!(view.links[&b.id].is_live());
        // The commons key: sealed to A's devices, then to B's by another member of A.
        let key = DataKey::generate();
        let epoch = a.commons.start_commons_epoch(&a.founder, &key, &[a.founder.device()], t(6)).unwrap();
        a.log.push(epoch);
        let sealed =
            a.commons.seal_commons_key(&a.founder, &[a.member.device(), b.member.device()], t(7)).unwrap().unwrap();
        a.log.push(sealed);
        let n = rosters(&[&b]);
        check(&mut a, &n).unwrap();
        let membership = Membership::read(a.replica.automerge());
        assert_eq!(membership.current_key(b.member.device_key()).map(|k| k.id()), Some(key.id()));
        assert!(a.commons.seal_commons_key(&a.founder, &[b.member.device()], t(8)).unwrap().is_none());
        // A member of B may neither seal keys nor make invitations in A's commons.
        let forged =
            a.commons.start_commons_epoch(&b.member, &DataKey::generate(), &[b.member.device()], t(9)).unwrap();
        a.log.push(forged);
        assert!(check(&mut a, &n).is_err());
        a.log.clear();
        let mut fresh = community("Shore");
        let forged = fresh.commons.neighbour_invite(&b.member, InviteId::random(), &secret, t(100), t(9)).unwrap();
        fresh.log.push(forged);
        assert!(check(&mut fresh, &n).is_err());
    }
}
