//! A member's several computers: linking one with a pairing code, revoking one, naming them;
//! and, for the peer that answers, linking the computer that asks and adding back a computer
//! restored from a backup.
//!
//! Pairing: this computer makes a code (an id and a secret, single use, minutes long) and
//! keeps it in memory. The new computer asks with it; both screens show the same words (a
//! hash of the secret and the new computer's device id), and the person confirms here. Only
//! then is the new computer's device record written (certified by the member key) in every
//! community, with the current data key sealed to it, and the member key handed over the
//! authenticated, encrypted connection.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use tracing::info;
use weft_core::crypto::DataKey;
use weft_core::doc::membership::NewDevice;
use weft_core::doc::{DocName, WriteError};
use weft_core::identity::{DeviceCert, Identity, SecretKey, Vouch};
use weft_core::model::DeviceKind;
use weft_core::validate::ValidationError;
use weft_core::{CommunityId, DeviceId, MemberId, Timestamp};
use weft_net::invite::{CodeKind, InviteCode};
use weft_net::wire::{DeviceLinkRequest, Refusal, RefusalCode, RestoreRequest};

use super::State;
use super::community::Touched;
use crate::api::{BackupInfo, DeviceInfo, DevicesInfo, PendingDevice, Response, RevokedInfo};
use crate::error::{NodeError, Refusal as ApiRefusal};
use crate::sync::LinkedDevice;

/// How long a pairing code lasts by default, and at most (minutes).
pub(crate) const PAIRING_MINUTES: u32 = 10;
pub(crate) const PAIRING_MINUTES_MAX: u32 = 60;

/// A pairing code this computer made, and the computers that asked with it.
#[derive(Debug, Clone)]
pub(crate) struct Pairing {
    pub id: [u8; 12],
    pub secret: [u8; 16],
    pub expires: Timestamp,
    pub used: bool,
    pub asking: BTreeMap<DeviceId, Asking>,
}

#[derive(Debug, Clone)]
pub(crate) struct Asking {
    pub label: String,
    pub at: Timestamp,
    pub confirmed: bool,
}

/// Few enough words to read at a glance, distinct enough not to be confused.
const WORDS: [&str; 256] = [
    "acorn",
    "amber",
    "anchor",
    "apple",
    "arrow",
    "aspen",
    "atlas",
    "autumn",
    "badger",
    "bamboo",
    "banjo",
    "barley",
    "basil",
    "beacon",
    "beaver",
    "berry",
    "birch",
    "bison",
    "blossom",
    "bonfire",
    "bramble",
    "breeze",
    "brook",
    "bucket",
    "butter",
    "cabin",
    "cactus",
    "camel",
    "canoe",
    "canyon",
    "carrot",
    "castle",
    "cedar",
    "cello",
    "cherry",
    "chestnut",
    "cider",
    "clover",
    "cobalt",
    "comet",
    "copper",
    "coral",
    "cotton",
    "cradle",
    "crane",
    "cricket",
    "crystal",
    "daisy",
    "delta",
    "denim",
    "desert",
    "dolphin",
    "dove",
    "dragon",
    "dune",
    "eagle",
    "ember",
    "falcon",
    "fern",
    "fiddle",
    "fig",
    "finch",
    "fjord",
    "flint",
    "forest",
    "fossil",
    "fox",
    "garden",
    "garlic",
    "gazelle",
    "geyser",
    "ginger",
    "glacier",
    "goose",
    "granite",
    "grape",
    "gravel",
    "harbor",
    "harvest",
    "hazel",
    "heron",
    "hickory",
    "hive",
    "honey",
    "horizon",
    "husky",
    "igloo",
    "indigo",
    "iris",
    "island",
    "ivory",
    "jade",
    "jasmine",
    "jelly",
    "juniper",
    "kayak",
    "kettle",
    "kiwi",
    "koala",
    "ladder",
    "lagoon",
    "lantern",
    "lark",
    "lava",
    "lemon",
    "lilac",
    "lily",
    "linen",
    "lizard",
    "lotus",
    "lynx",
    "magnet",
    "mango",
    "maple",
    "marble",
    "meadow",
    "melon",
    "mint",
    "mirror",
    "mocha",
    "moose",
    "moss",
    "mountain",
    "mulberry",
    "nectar",
    "nest",
    "nettle",
    "nutmeg",
    "oak",
    "oasis",
    "ocean",
    "olive",
    "onion",
    "orbit",
    "orchid",
    "otter",
    "owl",
    "oyster",
    "paddle",
    "panda",
    "papaya",
    "parrot",
    "peach",
    "pebble",
    "pelican",
    "pepper",
    "pine",
    "plum",
    "pollen",
    "pond",
    "poppy",
    "prairie",
    "puffin",
    "pumpkin",
    "quail",
    "quartz",
    "quill",
    "rabbit",
    "radish",
    "raven",
    "reef",
    "ribbon",
    "river",
    "robin",
    "rocket",
    "rose",
    "saddle",
    "saffron",
    "sage",
    "salmon",
    "sandal",
    "sapphire",
    "sardine",
    "scarf",
    "seal",
    "sequoia",
    "shadow",
    "shell",
    "sierra",
    "silver",
    "sparrow",
    "spruce",
    "squash",
    "squirrel",
    "star",
    "stone",
    "storm",
    "straw",
    "summit",
    "sunflower",
    "swan",
    "tangerine",
    "teapot",
    "thistle",
    "thunder",
    "tiger",
    "timber",
    "tomato",
    "topaz",
    "tortoise",
    "tulip",
    "tundra",
    "turnip",
    "umber",
    "valley",
    "vanilla",
    "velvet",
    "violet",
    "walnut",
    "walrus",
    "wave",
    "willow",
    "window",
    "winter",
    "wolf",
    "yarrow",
    "zebra",
    "zephyr",
    "almond",
    "badge",
    "basket",
    "bell",
    "biscuit",
    "blanket",
    "bottle",
    "bridge",
    "candle",
    "carpet",
    "chalk",
    "clock",
    "cloud",
    "compass",
    "cookie",
    "crayon",
    "drum",
    "feather",
    "flute",
    "glove",
    "hammer",
    "helmet",
    "kite",
    "lamp",
    "lock",
    "map",
    "mitten",
    "needle",
    "notebook",
    "oar",
    "pencil",
    "piano",
    "pillow",
    "rope",
    "sail",
    "shovel",
    "spoon",
    "tent",
];

/// The words both screens show for a pairing: a hash of its secret and the asking device.
pub(crate) fn pairing_words(secret: &[u8; 16], device: &DeviceId) -> Vec<String> {
    let mut h = Sha256::new();
    h.update(b"weft/pairing-words/v1");
    h.update(secret);
    h.update(device.as_bytes());
    let digest = h.finalize();
    digest.iter().take(4).map(|b| WORDS[usize::from(*b)].to_owned()).collect()
}

fn refusal(code: RefusalCode, reason: impl Into<String>) -> Refusal {
    Refusal { code, reason: reason.into() }
}

impl State {
    /// Starts a pairing code (replacing one in progress).
    pub(crate) fn start_pairing(&mut self, minutes: Option<u32>) -> Result<Pairing, NodeError> {
        self.identity()?;
        let minutes = minutes.unwrap_or(PAIRING_MINUTES);
        if minutes == 0 || minutes > PAIRING_MINUTES_MAX {
            return Err(ApiRefusal::PairingMinutes { minutes, max: PAIRING_MINUTES_MAX }.into());
        }
        let expires = Timestamp(self.clock.now().millis().saturating_add(i64::from(minutes) * 60_000));
        let pairing = Pairing {
            id: weft_core::id::random_bytes(),
            secret: weft_core::id::random_bytes(),
            expires,
            used: false,
            asking: BTreeMap::new(),
        };
        self.pairing = Some(pairing.clone());
        info!(minutes, "pairing code made");
        Ok(pairing)
    }

    pub(crate) fn pairing(&self) -> Option<&Pairing> {
        self.pairing.as_ref().filter(|p| self.clock.now() < p.expires)
    }

    /// Confirms the computer asking with our pairing code, by its words or id prefix.
    pub(crate) fn confirm_device(&mut self, reference: &str) -> Result<Response, NodeError> {
        let now = self.clock.now();
        let pairing = self.pairing.as_mut().filter(|p| now < p.expires).ok_or(ApiRefusal::NoPairing)?;
        let wanted: Vec<String> =
            reference.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
        let matches: Vec<DeviceId> = pairing
            .asking
            .keys()
            .filter(|d| {
                pairing_words(&pairing.secret, d) == wanted
                    || (reference.trim().len() >= 4 && d.to_string().starts_with(&reference.trim().to_lowercase()))
            })
            .copied()
            .collect();
        match matches.as_slice() {
            [one] => {
                if let Some(a) = pairing.asking.get_mut(one) {
                    a.confirmed = true;
                }
                info!(device = %one.short(), "a computer's pairing confirmed");
            }
            [] => return Err(ApiRefusal::NoSuchDevice { reference: reference.to_owned() }.into()),
            many => {
                let matches = u32::try_from(many.len()).unwrap_or(u32::MAX);
                return Err(ApiRefusal::AmbiguousDevice { reference: reference.to_owned(), matches }.into());
            }
        }
        self.devices().map(Response::Devices)
    }

    /// This member's devices as the people documents record them (each device once), with
    /// the pairing in progress.
    pub(crate) fn devices(&mut self) -> Result<DevicesInfo, NodeError> {
        let me = self.identity()?.clone();
        let mut devices: BTreeMap<DeviceId, DeviceInfo> = BTreeMap::new();
        let ids: Vec<CommunityId> = self.communities.keys().copied().collect();
        for c in ids {
            let people = self.community(c)?.people();
            let Some(member) = people.members.get(&me.member()) else { continue };
            for (id, record) in &member.device_records {
                let revoked = record.revoked.as_ref().map(|r| RevokedInfo {
                    by: r.by,
                    by_name: people.members.get(&r.by).map(|m| m.name.clone()).unwrap_or_default(),
                    at: r.at,
                });
                let info = devices.entry(*id).or_insert_with(|| DeviceInfo {
                    id: *id,
                    label: record.label.clone(),
                    kind: record.kind,
                    added_at: record.added_at,
                    this: *id == me.device(),
                    vouched_by: record.vouched_by,
                    revoked: None,
                });
                // Revoked in any community is revoked.
                if info.revoked.is_none() {
                    info.revoked = revoked;
                }
            }
        }
        devices.entry(me.device()).or_insert_with(|| DeviceInfo {
            id: me.device(),
            label: String::new(),
            kind: DeviceKind::Computer,
            added_at: Timestamp(0),
            this: true,
            vouched_by: None,
            revoked: None,
        });
        let mut list: Vec<DeviceInfo> = devices.into_values().collect();
        list.sort_by(|a, b| b.this.cmp(&a.this).then(a.added_at.cmp(&b.added_at)).then(a.id.cmp(&b.id)));
        let (pairing, asking) = match self.pairing() {
            Some(p) => (
                Some(crate::api::PairingInfo {
                    code: String::new(),
                    link: String::new(),
                    addresses: Vec::new(),
                    expires: p.expires,
                    used: p.used,
                }),
                p.asking
                    .iter()
                    .map(|(d, a)| PendingDevice {
                        device: *d,
                        label: a.label.clone(),
                        words: pairing_words(&p.secret, d),
                        asked_at: a.at,
                        confirmed: a.confirmed,
                    })
                    .collect(),
            ),
            None => (None, Vec::new()),
        };
        Ok(DevicesInfo { devices: list, pairing, asking })
    }

    /// One of the member's devices, by label or id prefix.
    fn resolve_device(&mut self, reference: &str) -> Result<DeviceId, NodeError> {
        let all = self.devices()?.devices;
        let lower = reference.trim().to_lowercase();
        let by_label: Vec<DeviceId> =
            all.iter().filter(|d| !d.label.is_empty() && d.label.to_lowercase() == lower).map(|d| d.id).collect();
        let found = if by_label.is_empty() && lower.len() >= 4 {
            all.iter().filter(|d| d.id.to_string().starts_with(&lower)).map(|d| d.id).collect()
        } else {
            by_label
        };
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(ApiRefusal::NoSuchDevice { reference: reference.to_owned() }.into()),
            many => Err(ApiRefusal::AmbiguousDevice {
                reference: reference.to_owned(),
                matches: u32::try_from(many.len()).unwrap_or(u32::MAX),
            }
            .into()),
        }
    }

    /// Revokes one of the member's devices in every community that records it, rotating each
    /// community's data key.
    pub(crate) fn revoke_device(&mut self, reference: &str) -> Result<Response, NodeError> {
        let device = self.resolve_device(reference)?;
        let member = self.me()?;
        let mut done = 0;
        let ids: Vec<CommunityId> = self.communities.keys().copied().collect();
        for c in ids {
            let record = self.community(c)?.people().members.get(&member).and_then(|m| m.device_records.get(&device));
            match record {
                Some(r) if r.revoked.is_none() => {}
                _ => continue,
            }
            let cut = self.revocation_cut(c, device)?;
            self.write_people(c, |people, w| {
                let change = people.revoke_device(&w.me, member, device, &DataKey::generate(), &cut, w.now)?;
                Ok((change, [Touched::Member(member), Touched::Settings]))
            })?;
            done += 1;
        }
        if done == 0 {
            return Err(NodeError::Invalid(ValidationError::DeviceRevoked { device: device.short() }));
        }
        self.sync.keys.clear();
        info!(device = %device.short(), communities = done, "device revoked; data keys rotated");
        self.devices().map(Response::Devices)
    }

    /// Where a revocation of `device` cuts its history in community `c`: per document, the
    /// device's last change number this peer holds.
    fn revocation_cut(&mut self, c: CommunityId, device: DeviceId) -> Result<BTreeMap<String, u64>, NodeError> {
        let actor = automerge::ActorId::from(device.as_bytes().as_slice());
        let mut names = self.store.doc_names(c)?;
        if !names.contains(&DocName::People) {
            names.push(DocName::People);
        }
        let mut cut = BTreeMap::new();
        for name in names {
            match name {
                DocName::Commons => continue,
                DocName::Board => self.load_board(c)?,
                DocName::Ledger(year) => self.load_ledger(c, year)?,
                DocName::People => {}
            }
            let Some(doc) = self.community(c)?.doc(name) else { continue };
            let last =
                doc.automerge().get_changes(&[]).iter().filter(|ch| ch.actor_id() == &actor).map(|ch| ch.seq()).max();
            if let Some(seq) = last {
                cut.insert(name.to_string(), seq);
            }
        }
        Ok(cut)
    }

    /// Names one of the member's devices (this one if none is named).
    pub(crate) fn rename_device(&mut self, reference: Option<&str>, label: &str) -> Result<Response, NodeError> {
        let device = match reference {
            Some(r) => self.resolve_device(r)?,
            None => self.device()?,
        };
        let member = self.me()?;
        let ids: Vec<CommunityId> = self.communities.keys().copied().collect();
        for c in ids {
            let known = self
                .community(c)?
                .people()
                .members
                .get(&member)
                .is_some_and(|m| m.device_records.get(&device).is_some_and(|r| r.revoked.is_none()));
            if known {
                self.write_people(c, |people, w| {
                    Ok((people.label_device(&w.me, device, label, w.now)?, [Touched::Member(member)]))
                })?;
            }
        }
        self.devices().map(Response::Devices)
    }

    /// Adds `new` in every community here where its member is current and the writer may add
    /// it; returns those communities (a device already there counts: asking twice is fine).
    fn add_device_everywhere(&mut self, new: &NewDevice) -> Result<Vec<CommunityId>, WriteError> {
        let mut added = Vec::new();
        let ids: Vec<CommunityId> = self.communities.keys().copied().collect();
        let me = self.me().map_err(|e| WriteError::Other(e.to_string()))?;
        for c in ids {
            let Ok(com) = self.community(c) else { continue };
            let people = com.people();
            if !people.is_current_member(&me) {
                continue;
            }
            let Some(member) = people.members.get(&new.member).filter(|m| !m.removed) else { continue };
            match member.device_records.get(&new.device) {
                Some(r) if r.revoked.is_none() => {
                    added.push(c);
                    continue;
                }
                Some(_) => continue,
                None => {}
            }
            if let Some((by, _)) = &new.vouch
                && !member.devices.contains_key(by)
            {
                continue;
            }
            let touched = [Touched::Member(new.member), Touched::Settings];
            self.write_people(c, |people, w| Ok((people.add_device(&w.me, new, w.now)?, touched)))
                .map_err(|e| WriteError::Other(e.to_string()))?;
            added.push(c);
        }
        Ok(added)
    }

    /// Answers a computer asking with our pairing code: pending until the person confirmed,
    /// then linked in every community.
    pub(crate) fn answer_device_link(
        &mut self,
        peer: DeviceId,
        request: DeviceLinkRequest,
    ) -> Result<LinkedDevice, Refusal> {
        if request.device != peer {
            return Err(refusal(RefusalCode::BadInvite, "a computer asks to be linked for itself only"));
        }
        let now = self.clock.now();
        let bad = || refusal(RefusalCode::BadInvite, "this pairing code is not (or no longer) valid here");
        let pairing = self.pairing.as_mut().filter(|p| p.id == request.pairing && p.secret == request.secret);
        let Some(pairing) = pairing else { return Err(bad()) };
        if now >= pairing.expires {
            return Err(refusal(RefusalCode::InviteExpired, "the pairing code expired: make a new one"));
        }
        let confirmed = pairing.asking.get(&peer).is_some_and(|a| a.confirmed);
        if pairing.used && !confirmed {
            return Err(refusal(RefusalCode::InviteUsedUp, "the pairing code linked another computer already"));
        }
        if !confirmed {
            let label = request.label.chars().take(weft_core::validate::NAME_MAX).collect::<String>();
            let first = !pairing.asking.contains_key(&peer);
            pairing.asking.entry(peer).or_insert(Asking { label, at: now, confirmed: false });
            if first {
                let _ = self.events.send(crate::api::Event::DevicesChanged);
                info!(device = %peer.short(), "a computer asks to be linked: compare the words, then confirm");
            }
            return Err(refusal(RefusalCode::Pending, "waiting for you to confirm the words on your other computer"));
        }
        let internal = |e: &dyn std::fmt::Display| refusal(RefusalCode::Internal, e.to_string());
        let me = self.identity().map_err(|e| internal(&e))?.clone();
        let member_key = self.store.member_key().map_err(|e| internal(&e))?;
        let label = if request.label.trim().is_empty() { "Computer".to_owned() } else { request.label.clone() };
        let new = NewDevice {
            member: me.member(),
            device: peer,
            cert: Identity::device_cert(&member_key, &peer),
            label: label.chars().take(weft_core::validate::NAME_MAX).collect(),
            kind: DeviceKind::Computer,
            vouch: None,
        };
        let communities = self.add_device_everywhere(&new).map_err(|e| internal(&e))?;
        if let Some(p) = self.pairing.as_mut() {
            p.used = true;
        }
        let name = self.identity.as_ref().map(|s| s.name.clone()).unwrap_or_default();
        let _ = self.events.send(crate::api::Event::DevicesChanged);
        info!(device = %peer.short(), communities = communities.len(), "linked another computer of ours");
        Ok(LinkedDevice { member: me.member(), member_key: member_key.to_bytes(), name, communities })
    }

    /// Answers a computer restored from a member's backup: adds it where the backup's key is a
    /// current device of that member.
    pub(crate) fn answer_restore(
        &mut self,
        peer: DeviceId,
        request: RestoreRequest,
    ) -> Result<Vec<CommunityId>, Refusal> {
        if request.device != peer {
            return Err(refusal(RefusalCode::Invalid, "a computer asks to be added back for itself only"));
        }
        let cert = DeviceCert(request.cert);
        if !cert.verify(&request.member, &request.device) {
            return Err(refusal(RefusalCode::Invalid, "the certificate is not of the member's key"));
        }
        let vouch = Vouch(request.vouch);
        if !vouch.verify(&request.vouched_by, &request.member, &request.device) {
            return Err(refusal(RefusalCode::Invalid, "the backup's vouch does not verify"));
        }
        let new = NewDevice {
            member: request.member,
            device: request.device,
            cert,
            label: if request.label.trim().is_empty() { "Computer".into() } else { request.label.clone() },
            kind: DeviceKind::Computer,
            vouch: Some((request.vouched_by, vouch)),
        };
        let communities =
            self.add_device_everywhere(&new).map_err(|e| refusal(RefusalCode::Internal, e.to_string()))?;
        // The lost laptop, revoked now by us who are online (the data key rotates with it).
        for c in &communities {
            for device in &request.revoke {
                let current = self
                    .community(*c)
                    .ok()
                    .and_then(|com| com.people().members.get(&request.member).map(|m| m.devices.contains_key(device)))
                    .unwrap_or(false);
                if !current || *device == request.vouched_by || *device == request.device {
                    continue;
                }
                let member = request.member;
                let cut = match self.revocation_cut(*c, *device) {
                    Ok(cut) => cut,
                    Err(e) => {
                        tracing::warn!(%e, "could not read where to cut a revoked device's history");
                        continue;
                    }
                };
                let revoked = self.write_people(*c, |people, w| {
                    let change = people.revoke_device(&w.me, member, *device, &DataKey::generate(), &cut, w.now)?;
                    Ok((change, [Touched::Member(member), Touched::Settings]))
                });
                if let Err(e) = revoked {
                    tracing::warn!(%e, device = %device.short(), "could not revoke a device for a restored member");
                }
            }
        }
        if !request.revoke.is_empty() {
            self.sync.keys.clear();
        }
        if communities.is_empty() {
            return Err(refusal(
                RefusalCode::NotAMember,
                "no community here has this member with this backup (it may have been revoked, or this peer is of \
                 other communities)",
            ));
        }
        info!(member = %request.member.short(), communities = communities.len(), "added back a restored computer");
        Ok(communities)
    }

    /// The request a computer waiting to be linked sends with a pairing code.
    pub(crate) fn device_link_request(
        &mut self,
        code: &InviteCode,
        label: &str,
    ) -> Result<DeviceLinkRequest, NodeError> {
        if let Some(stored) = &self.identity {
            return Err(ApiRefusal::AlreadySomeone { name: stored.name.clone() }.into());
        }
        if !matches!(code.kind, CodeKind::Device | CodeKind::Member) || code.community.is_some() {
            return Err(ApiRefusal::NotAPairingCode.into());
        }
        let key = self.store.pending_device_key()?;
        Ok(DeviceLinkRequest {
            pairing: code.invite,
            secret: code.secret,
            device: DeviceId::from_bytes(key.public()),
            label: label.to_owned(),
        })
    }

    /// The words this computer shows for a pairing code (the other computer shows the same).
    pub(crate) fn link_words(&mut self, code: &str) -> Result<Response, NodeError> {
        let code = InviteCode::parse(code)?;
        let request = self.device_link_request(&code, "")?;
        Ok(Response::LinkWords(pairing_words(&code.secret, &request.device)))
    }

    /// A member's device linked us: this computer now acts for that member.
    pub(crate) fn adopt_identity(
        &mut self,
        member: MemberId,
        member_key: [u8; 32],
        name: &str,
    ) -> Result<(), NodeError> {
        let member_key = SecretKey::from_bytes(member_key);
        if MemberId::from_bytes(member_key.public()) != member {
            return Err(NodeError::Network("the other computer sent a member key that is not the member's".into()));
        }
        let device_key = self.store.pending_device_key()?;
        let stored = self.store.restore_identity(member_key, device_key, name)?;
        info!(member = %member.short(), device = %stored.identity.device().short(), "this computer now acts for the member");
        self.identity = Some(stored);
        Ok(())
    }

    /// Makes a backup: registers a new backup key as a device of the member in every
    /// community, then seals the member key, that key, the devices and the communities (with
    /// their data keys and where peers were seen) with the passphrase.
    pub(crate) fn create_backup(&mut self, passphrase: &str, addresses: Vec<String>) -> Result<BackupInfo, NodeError> {
        let me = self.identity()?.clone();
        let name = self.identity.as_ref().map(|s| s.name.clone()).unwrap_or_default();
        let member_key = self.store.member_key()?;
        // Refuse a weak passphrase before anything is written.
        if weft_core::backup::check_passphrase(passphrase).is_err() {
            return Err(ApiRefusal::BackupWeakPassphrase { min: 10 }.into());
        }
        let recovery_key = SecretKey::generate();
        let recovery = Identity::certify(&member_key, recovery_key.clone());
        let now = self.clock.now();
        let label = format!("Backup of {}", self.clock.today());
        let new = NewDevice {
            member: me.member(),
            device: recovery.device(),
            cert: recovery.cert(),
            label,
            kind: DeviceKind::Backup,
            vouch: None,
        };
        self.add_device_everywhere(&new).map_err(NodeError::from)?;
        let devices = self
            .devices()?
            .devices
            .into_iter()
            .filter(|d| d.revoked.is_none())
            .map(|d| (d.id, d.label))
            .collect::<Vec<_>>();
        let ids: Vec<CommunityId> = self.communities.keys().copied().collect();
        let mut names = Vec::new();
        for c in &ids {
            names.push(self.community(*c)?.people().name.clone());
        }
        let communities = ids.iter().zip(names).map(|(c, n)| (*c, n, &self.communities[c].people)).collect::<Vec<_>>();
        let backup =
            crate::net::make_backup(&me, &member_key, &name, recovery_key, devices, communities, &addresses, now);
        let bytes = weft_core::backup::seal(&backup, passphrase, crate::net::BACKUP_KDF).map_err(|e| match e {
            weft_core::backup::BackupError::WeakPassphrase => {
                NodeError::from(ApiRefusal::BackupWeakPassphrase { min: 10 })
            }
            other => NodeError::Internal(other.to_string()),
        })?;
        info!(device = %recovery.device().short(), bytes = bytes.len(), "backup made; its key is registered");
        Ok(BackupInfo {
            base64: data_encoding::BASE64.encode(&bytes),
            sheet: weft_core::backup::sheet_lines(&bytes),
            html: weft_core::backup::sheet_html(&bytes, &name, now),
            device: recovery.device(),
            made_at: now,
        })
    }

    /// Takes on the identity of an opened backup (a new device key of the member's,
    /// certified by the member key), and says what to ask of the network.
    pub(crate) fn begin_restore(
        &mut self,
        backup: &weft_core::backup::Backup,
        label: &str,
        revoke: Vec<DeviceId>,
    ) -> Result<crate::net::Restoring, NodeError> {
        let label =
            weft_core::validate::text(weft_core::validate::Field::DeviceLabel, label, weft_core::validate::NAME_MAX)?;
        let identity = match &self.identity {
            // Restoring again (the first try found nobody): the same new device.
            Some(stored) if stored.identity.member() == backup.member => stored.identity.clone(),
            Some(stored) => return Err(ApiRefusal::AlreadySomeone { name: stored.name.clone() }.into()),
            None => {
                // The key the network already runs with, if it started before the backup opened.
                let device_key = self.store.pending_device_key()?;
                let stored = self.store.restore_identity(backup.member_key.clone(), device_key, &backup.name)?;
                let identity = stored.identity.clone();
                self.identity = Some(stored);
                identity
            }
        };
        let addresses = backup
            .communities
            .iter()
            .flat_map(|c| c.addresses.iter())
            .filter_map(|a| a.parse::<weft_net::Multiaddr>().ok())
            .fold(Vec::new(), |mut all, a| {
                if !all.contains(&a) && all.len() < weft_net::invite::MAX_ADDRESSES {
                    all.push(a);
                }
                all
            });
        info!(member = %backup.member.short(), device = %identity.device().short(), "restoring from a backup");
        Ok(crate::net::Restoring { request: crate::net::restore_request(backup, &identity, &label, revoke), addresses })
    }

    /// After a restore: revokes the devices named (`all`: every other computer of the
    /// member's), returning those revoked.
    pub(crate) fn revoke_after_restore(&mut self, revoke: &[String]) -> Result<Vec<DeviceId>, NodeError> {
        let this = self.device()?;
        let listed = self.devices()?.devices;
        let targets: Vec<DeviceId> = if revoke.iter().any(|r| r.trim().eq_ignore_ascii_case("all")) {
            listed
                .iter()
                .filter(|d| d.id != this && d.revoked.is_none() && d.kind == DeviceKind::Computer)
                .map(|d| d.id)
                .collect()
        } else {
            revoke.iter().map(|r| self.resolve_device(r)).collect::<Result<_, _>>()?
        };
        let mut revoked = Vec::new();
        for device in targets {
            self.revoke_device(&device.to_string())?;
            revoked.push(device);
        }
        Ok(revoked)
    }
}
