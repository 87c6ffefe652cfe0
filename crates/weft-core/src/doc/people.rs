//! The people document: community settings, sectors, guilds, members, their devices and
//! profiles.
//!
//! ```text
//! schema: "weft/people/1"
//! community: { name, founder, created_at }          written once, by the founder
//! settings:  { name }
//! sectors:   { <sector>: { name, essential, baseline (minutes/year), order, archived } }
//! guilds:    { <guild>: { name, sector, description, archived, created_by } }
//! members:   { <member>: { name, admitted_by, admitted_at,
//!                          devices: { <device>: { cert, added_at, label, kind, vouched_by, vouch,
//!                                                 revoked: { by, at } } },
//!                          profile: { skills: { <skill>: 1..5 }, interests: { <sector>: 0..5 },
//!                                     hours_per_week (minutes), travel, learn: { <skill>: true } } } }
//! removed, invites, epochs, crews: reserved for membership changes and crews
//! ```

use std::collections::BTreeMap;

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{Automerge, AutomergeError, ObjId, ObjType, ROOT, ReadDoc, ScalarValue};

use super::build::Rec;
use super::read::{Field, Record, SchemaError, child_map, fields, records, root_map};
use super::{DocId, DocName, Document, PEOPLE_ROOTS, PEOPLE_SCHEMA, WriteError};
use crate::id::{CommunityId, DeviceId, GuildId, MemberId, SectorId};
use crate::identity::{DeviceCert, Identity, SignedChange};
use crate::model::{
    DeviceKind, DeviceRecord, Guild, Interest, Member, Profile, ProfileUpdate, Revocation, Sector, SkillLevel,
    default_sectors,
};
use crate::time::{Minutes, Timestamp};
use crate::validate::{self, ValidationError};

/// Everything the people document says, read and typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleView {
    pub name: String,
    pub founder: MemberId,
    pub created_at: Timestamp,
    pub sectors: BTreeMap<SectorId, Sector>,
    pub guilds: BTreeMap<GuildId, Guild>,
    pub members: BTreeMap<MemberId, Member>,
    /// Crews, by id (few: always read whole).
    pub crews: BTreeMap<crate::id::CrewId, super::crews::Crew>,
    /// Records that did not match the schema and were left out.
    pub skipped: Vec<SchemaError>,
}

impl PeopleView {
    /// Reads the whole document. Malformed records are skipped and listed in `skipped`.
    pub fn read(doc: &Automerge) -> Self {
        Self::read_some(doc, None)
    }

    /// Reads settings, sectors and guilds, and only the given members (all if `None`): what a
    /// write needs to validate, without reading a large membership.
    pub fn read_some(doc: &Automerge, only: Option<&[MemberId]>) -> Self {
        let mut skipped = Vec::new();
        let (mut name, mut founder, mut created_at) = (String::new(), MemberId::from_bytes([0; 32]), Timestamp(0));
        if let Some(obj) = root_map(doc, "community") {
            let rec = Record::read(doc, &obj, "community");
            match (rec.str("name"), rec.parse("founder"), rec.timestamp("created_at")) {
                (Ok(n), Ok(f), Ok(t)) => (name, founder, created_at) = (n.to_owned(), f, t),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => skipped.push(e),
            }
        }
        if let Some(obj) = root_map(doc, "settings")
            && let Ok(n) = Record::read(doc, &obj, "settings").str("name")
        {
            n.clone_into(&mut name);
        }
        let mut sectors = BTreeMap::new();
        for (key, obj) in root_map(doc, "sectors").map(|o| records(doc, &o)).unwrap_or_default() {
            match read_sector(doc, &key, &obj) {
                Ok(s) => {
                    sectors.insert(s.id.clone(), s);
                }
                Err(e) => skipped.push(e),
            }
        }
        let mut guilds = BTreeMap::new();
        for (key, obj) in root_map(doc, "guilds").map(|o| records(doc, &o)).unwrap_or_default() {
            match read_guild(doc, &key, &obj) {
                Ok(g) => {
                    guilds.insert(g.id, g);
                }
                Err(e) => skipped.push(e),
            }
        }
        let (crews, crews_skipped) = super::crews::read_all(doc, &super::crews::removed_members(doc));
        skipped.extend(crews_skipped);
        let mut view = Self { name, founder, created_at, sectors, guilds, members: BTreeMap::new(), crews, skipped };
        match only {
            None => {
                let removed = root_map(doc, "removed")
                    .map(|o| records(doc, &o).into_iter().map(|(k, _)| k).collect::<Vec<_>>())
                    .unwrap_or_default();
                for (key, obj) in root_map(doc, "members").map(|o| records(doc, &o)).unwrap_or_default() {
                    match read_member(doc, &key, &obj) {
                        Ok(mut m) => {
                            m.removed = removed.contains(&key);
                            view.members.insert(m.id, m);
                        }
                        Err(e) => view.skipped.push(e),
                    }
                }
            }
            Some(ids) => {
                for id in ids {
                    view.refresh_member(doc, *id);
                }
            }
        }
        view
    }

    /// Re-reads everything but the members (name, sectors, guilds) after a change to them.
    pub fn refresh_settings(&mut self, doc: &Automerge) {
        let fresh = Self::read_some(doc, Some(&[]));
        self.name = fresh.name;
        self.sectors = fresh.sectors;
        self.guilds = fresh.guilds;
        self.crews = fresh.crews;
    }

    /// Re-reads one member (after a change to them), leaving the rest of the view as it is.
    pub fn refresh_member(&mut self, doc: &Automerge, id: MemberId) {
        let key = id.to_string();
        let Some(obj) = root_map(doc, "members").and_then(|m| child_map(doc, &m, &key)) else {
            self.members.remove(&id);
            return;
        };
        match read_member(doc, &key, &obj) {
            Ok(mut m) => {
                m.removed = root_map(doc, "removed").is_some_and(|r| child_map(doc, &r, &key).is_some());
                self.members.insert(id, m);
            }
            Err(e) => self.skipped.push(e),
        }
    }

    /// The member a device acts for, if the device is certified and the member current.
    pub fn member_of_device(&self, device: &DeviceId) -> Option<&Member> {
        self.members.values().find(|m| !m.removed && m.devices.contains_key(device))
    }

    pub fn is_current_member(&self, member: &MemberId) -> bool {
        self.members.get(member).is_some_and(|m| !m.removed)
    }

    /// Current members, by id.
    pub fn current_members(&self) -> impl Iterator<Item = &Member> {
        self.members.values().filter(|m| !m.removed)
    }

    /// Sectors that are not archived, in display order.
    pub fn active_sectors(&self) -> Vec<&Sector> {
        let mut s: Vec<&Sector> = self.sectors.values().filter(|s| !s.archived).collect();
        s.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.id.cmp(&b.id)));
        s
    }

    /// The sector, checked to exist and to be current.
    pub fn require_sector(&self, id: &SectorId) -> Result<&Sector, ValidationError> {
        match self.sectors.get(id) {
            Some(s) if s.archived => Err(ValidationError::ArchivedSector { sector: id.clone() }),
            Some(s) => Ok(s),
            None => Err(ValidationError::UnknownSector {
                sector: id.clone(),
                known: self.active_sectors().iter().map(|s| s.id.clone()).collect(),
            }),
        }
    }

    /// The yearly baseline of all sectors together.
    pub fn total_baseline(&self) -> Minutes {
        self.active_sectors().iter().map(|s| s.baseline).sum()
    }
}

fn read_sector(doc: &Automerge, key: &str, obj: &ObjId) -> Result<Sector, SchemaError> {
    let rec = Record::read(doc, obj, &format!("sectors/{key}"));
    Ok(Sector {
        id: key.parse().map_err(|_| SchemaError {
            record: key.to_owned(),
            field: "id".into(),
            problem: "is not a sector id".into(),
        })?,
        name: rec.str("name")?.to_owned(),
        essential: rec.bool("essential")?,
        baseline: rec.minutes("baseline")?,
        order: rec.u32("order")?,
        archived: rec.flag("archived")?,
    })
}

fn read_guild(doc: &Automerge, key: &str, obj: &ObjId) -> Result<Guild, SchemaError> {
    let rec = Record::read(doc, obj, &format!("guilds/{key}"));
    Ok(Guild {
        id: key.parse().map_err(|_| SchemaError {
            record: key.to_owned(),
            field: "id".into(),
            problem: "is not a guild id".into(),
        })?,
        name: rec.str("name")?.to_owned(),
        sector: rec.parse("sector")?,
        description: rec.opt_str("description")?.unwrap_or_default().to_owned(),
        archived: rec.flag("archived")?,
    })
}

fn read_member(doc: &Automerge, key: &str, obj: &ObjId) -> Result<Member, SchemaError> {
    let name = format!("members/{key}");
    let bad =
        |field: &str, problem: &str| SchemaError { record: name.clone(), field: field.into(), problem: problem.into() };
    let id: MemberId = key.parse().map_err(|_| bad("id", "is not a member id"))?;
    let rec = Record::read(doc, obj, &name);
    let mut devices = BTreeMap::new();
    let mut device_records = BTreeMap::new();
    for (dkey, dobj) in records(doc, rec.map("devices")?) {
        let Ok(device) = dkey.parse::<DeviceId>() else { continue };
        let drec = Record::read(doc, &dobj, &format!("{name}/devices/{dkey}"));
        // Certificates are checked when a change arrives (`verify`); only verified changes
        // are ever applied, so reading does not check them again (it would cost a signature
        // verification per device on every read).
        let cert = DeviceCert(drec.bytes::<64>("cert")?);
        let record = read_device(doc, &drec, &format!("{name}/devices/{dkey}"))?;
        if record.revoked.is_none() {
            devices.insert(device, cert);
        }
        device_records.insert(device, record);
    }
    let prec = Record::read(doc, rec.map("profile")?, &format!("{name}/profile"));
    let mut profile = Profile {
        hours_per_week: if prec.has("hours_per_week") { prec.minutes("hours_per_week")? } else { Minutes::ZERO },
        willing_to_travel: prec.flag("travel")?,
        ..Profile::default()
    };
    for (skill, field) in fields(doc, prec.map("skills")?) {
        if let (Ok(skill), Field::Uint(level)) = (skill.parse(), field)
            && let Some(level) = u8::try_from(level).ok().and_then(SkillLevel::new)
        {
            profile.skills.insert(skill, level);
        }
    }
    for (sector, field) in fields(doc, prec.map("interests")?) {
        if let (Ok(sector), Field::Uint(level)) = (sector.parse(), field)
            && let Some(level) = u8::try_from(level).ok().and_then(Interest::new)
        {
            profile.interests.insert(sector, level);
        }
    }
    for (skill, field) in fields(doc, prec.map("learn")?) {
        if let (Ok(skill), Field::Bool(true)) = (skill.parse(), field) {
            profile.wants_to_learn.insert(skill);
        }
    }
    Ok(Member {
        id,
        name: rec.str("name")?.to_owned(),
        admitted_by: rec.parse("admitted_by")?,
        admitted_at: rec.timestamp("admitted_at")?,
        devices,
        device_records,
        profile,
        removed: false,
    })
}

fn read_device(doc: &Automerge, drec: &Record, name: &str) -> Result<DeviceRecord, SchemaError> {
    let kind = match drec.opt_str("kind")? {
        None | Some("computer") => DeviceKind::Computer,
        Some("backup") => DeviceKind::Backup,
        Some(other) => {
            return Err(SchemaError {
                record: name.to_owned(),
                field: "kind".into(),
                problem: format!("has an unknown kind '{other}'"),
            });
        }
    };
    let revoked = if drec.has("revoked") {
        let r = Record::read(doc, drec.map("revoked")?, &format!("{name}/revoked"));
        let upto = r.opt_str("upto")?.map(Revocation::parse_upto).unwrap_or_default();
        Some(Revocation { by: r.parse("by")?, at: r.timestamp("at")?, upto })
    } else {
        None
    };
    Ok(DeviceRecord {
        label: drec.opt_str("label")?.unwrap_or_default().to_owned(),
        kind,
        added_at: drec.timestamp("added_at")?,
        vouched_by: drec.opt_parse("vouched_by")?,
        revoked,
    })
}

/// Whether `device` acts for `member` now: the member is current, and the device is theirs
/// and not revoked. Reads the document directly (verification asks it for one device).
pub(crate) fn is_current_device(doc: &Automerge, member: &MemberId, device: &DeviceId) -> bool {
    let key = member.to_string();
    if root_map(doc, "removed").is_some_and(|r| child_map(doc, &r, &key).is_some()) {
        return false;
    }
    device_record(doc, member, device).is_some_and(|d| child_map(doc, &d, "revoked").is_none())
}

/// A member's `devices` map.
pub(crate) fn devices_map(doc: &Automerge, member: &MemberId) -> Option<ObjId> {
    root_map(doc, "members")
        .and_then(|all| child_map(doc, &all, &member.to_string()))
        .and_then(|m| child_map(doc, &m, "devices"))
}

/// A member's device record.
pub(crate) fn device_record(doc: &Automerge, member: &MemberId, device: &DeviceId) -> Option<ObjId> {
    devices_map(doc, member).and_then(|ds| child_map(doc, &ds, &device.to_string()))
}

fn sector_fields(rec: Rec, s: &Sector, name: &str) -> Rec {
    rec.str("name", name)
        .bool("essential", s.essential)
        .uint("baseline", u64::from(s.baseline.get()))
        .uint("order", u64::from(s.order))
        .bool("archived", s.archived)
}

fn put_sector(tx: &mut Transaction<'_>, sectors: &ObjId, s: &Sector) -> Result<(), AutomergeError> {
    sector_fields(Rec::new(), s, &s.name).create(tx, sectors, s.id.as_str()).map(|_| ())
}

/// A member record as admission writes it.
struct Admission<'a> {
    member: MemberId,
    name: &'a str,
    admitted_by: MemberId,
    device: DeviceId,
    cert: DeviceCert,
}

fn put_member(
    tx: &mut Transaction<'_>,
    members: &ObjId,
    a: &Admission<'_>,
    now: Timestamp,
) -> Result<(), AutomergeError> {
    let device = Rec::new().bytes("cert", &a.cert.0).timestamp("added_at", now.millis());
    let profile = Rec::new()
        .map("skills", Rec::new())
        .map("interests", Rec::new())
        .map("learn", Rec::new())
        .uint("hours_per_week", 0)
        .bool("travel", false);
    Rec::new()
        .str("name", a.name)
        .str("admitted_by", a.admitted_by.to_string())
        .timestamp("admitted_at", now.millis())
        .map("devices", Rec::new().map(&a.device.to_string(), device))
        .map("profile", profile)
        .create(tx, members, &a.member.to_string())
        .map(|_| ())
}

fn container(doc: &Automerge, key: &str) -> Result<ObjId, AutomergeError> {
    root_map(doc, key).ok_or_else(|| AutomergeError::InvalidObjId(format!("the document has no '{key}' map")))
}

/// Founds a community: writes the people document's genesis as `founder`. The community id
/// is the hash of that first change.
pub fn found(
    founder: &Identity,
    name: &str,
    founder_name: &str,
    now: Timestamp,
) -> Result<(CommunityId, Document, SignedChange), WriteError> {
    let name = validate::text(validate::Field::CommunityName, name, validate::NAME_MAX)?;
    let founder_name = validate::text(validate::Field::MemberName, founder_name, validate::NAME_MAX)?;
    let mut doc = Automerge::new().with_actor(founder.actor());
    let mut tx = doc.transaction();
    let written: Result<(), AutomergeError> = (|| {
        tx.put(ROOT, "schema", PEOPLE_SCHEMA)?;
        let mut roots = BTreeMap::new();
        for root in PEOPLE_ROOTS {
            roots.insert(*root, tx.put_object(ROOT, *root, ObjType::Map)?);
        }
        let get = |k: &str| roots.get(k).cloned().ok_or_else(|| AutomergeError::InvalidObjId(k.to_owned()));
        let community = get("community")?;
        tx.put(&community, "name", name.as_str())?;
        tx.put(&community, "founder", founder.member().to_string())?;
        tx.put(&community, "created_at", ScalarValue::Timestamp(now.millis()))?;
        tx.put(&get("settings")?, "name", name.as_str())?;
        let sectors = get("sectors")?;
        for s in default_sectors() {
            put_sector(&mut tx, &sectors, &s)?;
        }
        put_member(
            &mut tx,
            &get("members")?,
            &Admission {
                member: founder.member(),
                name: &founder_name,
                admitted_by: founder.member(),
                device: founder.device(),
                cert: founder.cert(),
            },
            now,
        )
    })();
    if let Err(e) = written {
        tx.rollback();
        return Err(e.into());
    }
    let (hash, _) = tx.commit_with(CommitOptions::default().with_time(now.millis()));
    let hash = hash.ok_or(WriteError::Empty)?;
    let change = doc.get_change_by_hash(&hash).ok_or(WriteError::Empty)?;
    let community = CommunityId::from_genesis_hash(&hash);
    let id = DocId { community, name: DocName::People };
    let signed =
        SignedChange { hash, bytes: change.raw_bytes().to_vec(), signature: Some(founder.sign_change(&id, &hash)) };
    Ok((community, Document { id, doc, actors: std::sync::OnceLock::new() }, signed))
}

impl Document {
    /// Admits a new member, written by an existing member. The newcomer's first device comes
    /// with a certificate signed by the newcomer's own key.
    pub fn admit_member(
        &mut self,
        admitter: &Identity,
        member: MemberId,
        name: &str,
        device: DeviceId,
        cert: DeviceCert,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let name = validate::text(validate::Field::NewcomerName, name, validate::NAME_MAX)?;
        let view = PeopleView::read_some(&self.doc, Some(&[admitter.member(), member]));
        if !view.is_current_member(&admitter.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        if let Some(existing) = view.members.get(&member) {
            return Err(ValidationError::AlreadyMember { name: existing.name.clone() }.into());
        }
        self.admit_member_with(admitter, member, &name, device, cert, now, |_| Ok(()))
    }

    /// Admission, with more writes in the same change (an invitation's use, a sealed key).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn admit_member_with(
        &mut self,
        admitter: &Identity,
        member: MemberId,
        name: &str,
        device: DeviceId,
        cert: DeviceCert,
        now: Timestamp,
        more: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
    ) -> Result<SignedChange, WriteError> {
        let name = validate::text(validate::Field::NewcomerName, name, validate::NAME_MAX)?;
        let view = PeopleView::read_some(&self.doc, Some(&[admitter.member(), member]));
        if !view.is_current_member(&admitter.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        if let Some(existing) = view.members.get(&member) {
            return Err(ValidationError::AlreadyMember { name: existing.name.clone() }.into());
        }
        let members = container(&self.doc, "members")?;
        self.write(admitter, now, |tx| {
            put_member(
                tx,
                &members,
                &Admission { member, name: &name, admitted_by: admitter.member(), device, cert },
                now,
            )?;
            more(tx)
        })
    }

    /// Changes the writer's own name and profile.
    pub fn update_profile(
        &mut self,
        me: &Identity,
        update: &ProfileUpdate,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let view = PeopleView::read_some(&self.doc, Some(&[me.member()]));
        if !view.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let name =
            update.name.as_deref().map(|n| validate::text(validate::Field::Name, n, validate::NAME_MAX)).transpose()?;
        for sector in update.interests.keys() {
            view.require_sector(sector)?;
        }
        if let Some(h) = update.hours_per_week
            && h > validate::WEEK_MAX
        {
            return Err(ValidationError::WeekHours { hours: h, max: validate::WEEK_MAX }.into());
        }
        let member_obj = root_map(&self.doc, "members")
            .and_then(|m| child_map(&self.doc, &m, &me.member().to_string()))
            .ok_or(ValidationError::NotAMember)?;
        let profile = child_map(&self.doc, &member_obj, "profile").ok_or(ValidationError::NotAMember)?;
        let sub = |k: &str| child_map(&self.doc, &profile, k).ok_or_else(|| AutomergeError::InvalidObjId(k.to_owned()));
        let (skills, interests, learn) = (sub("skills")?, sub("interests")?, sub("learn")?);
        self.write(me, now, |tx| {
            if let Some(name) = &name {
                tx.put(&member_obj, "name", name.as_str())?;
            }
            for (skill, level) in &update.skills {
                match level {
                    Some(l) => tx.put(&skills, skill.as_str(), u64::from(l.get()))?,
                    None => tx.delete(&skills, skill.as_str())?,
                }
            }
            for (sector, level) in &update.interests {
                tx.put(&interests, sector.as_str(), u64::from(level.get()))?;
            }
            if let Some(h) = update.hours_per_week {
                tx.put(&profile, "hours_per_week", u64::from(h.get()))?;
            }
            if let Some(t) = update.willing_to_travel {
                tx.put(&profile, "travel", t)?;
            }
            for (skill, wanted) in &update.wants_to_learn {
                if *wanted {
                    tx.put(&learn, skill.as_str(), true)?;
                } else {
                    tx.delete(&learn, skill.as_str())?;
                }
            }
            Ok(())
        })
    }

    /// Adds a guild to a sector under `id` (a fresh one, `GuildId::random()`; an id already
    /// in the community is refused).
    pub fn add_guild(
        &mut self,
        id: GuildId,
        me: &Identity,
        name: &str,
        sector: &SectorId,
        description: &str,
        now: Timestamp,
    ) -> Result<SignedChange, WriteError> {
        let view = PeopleView::read_some(&self.doc, Some(&[me.member()]));
        if !view.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let name = validate::text(validate::Field::GuildName, name, validate::NAME_MAX)?;
        let description =
            validate::optional_text(validate::Field::Description, description, validate::GUILD_DESCRIPTION_MAX)?;
        view.require_sector(sector)?;
        if view.guilds.values().any(|g| &g.sector == sector && g.name.eq_ignore_ascii_case(&name) && !g.archived) {
            return Err(ValidationError::DuplicateGuild { name }.into());
        }
        let guilds = container(&self.doc, "guilds")?;
        super::require_new(&self.doc, &guilds, "guild", &id.to_string())?;
        self.write(me, now, |tx| {
            Rec::new()
                .str("name", &name)
                .str("sector", sector.as_str())
                .str("description", &description)
                .bool("archived", false)
                .str("created_by", me.member().to_string())
                .create(tx, &guilds, &id.to_string())
                .map(|_| ())
        })
    }

    /// Adds a sector or changes one (name, essential, baseline, order, archived).
    pub fn set_sector(&mut self, me: &Identity, sector: &Sector, now: Timestamp) -> Result<SignedChange, WriteError> {
        let view = PeopleView::read_some(&self.doc, Some(&[me.member()]));
        if !view.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let name = validate::text(validate::Field::SectorName, &sector.name, validate::SECTOR_NAME_MAX)?;
        if sector.baseline > validate::BASELINE_MAX {
            return Err(ValidationError::Baseline { baseline: sector.baseline, max: validate::BASELINE_MAX }.into());
        }
        let sectors = container(&self.doc, "sectors")?;
        let existing = child_map(&self.doc, &sectors, sector.id.as_str());
        self.write(me, now, |tx| match &existing {
            Some(obj) => {
                tx.put(obj, "name", name.as_str())?;
                tx.put(obj, "essential", sector.essential)?;
                tx.put(obj, "baseline", u64::from(sector.baseline.get()))?;
                tx.put(obj, "order", u64::from(sector.order))?;
                tx.put(obj, "archived", sector.archived)
            }
            None => sector_fields(Rec::new(), sector, &name).create(tx, &sectors, sector.id.as_str()).map(|_| ()),
        })
    }

    /// Renames the community (its founding name stays in `community/name`).
    pub fn rename_community(&mut self, me: &Identity, name: &str, now: Timestamp) -> Result<SignedChange, WriteError> {
        let view = PeopleView::read_some(&self.doc, Some(&[me.member()]));
        if !view.is_current_member(&me.member()) {
            return Err(ValidationError::NotAMember.into());
        }
        let name = validate::text(validate::Field::CommunityName, name, validate::NAME_MAX)?;
        let settings = container(&self.doc, "settings")?;
        self.write(me, now, |tx| tx.put(&settings, "name", name.as_str()))
    }
}
