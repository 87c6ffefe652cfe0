//! Typed ids. Ids are never bare strings: each kind has its own newtype with `FromStr`,
//! `Display` (the full, canonical form) and `short()` (for logs and tables).
//!
//! Random ids (tasks, entries, guilds) are 12 random bytes; member and device ids are Ed25519
//! public keys (32 bytes); a community id is the first 16 bytes of the hash of the community's
//! genesis change, so it commits to the founder and everything the founder wrote first. All
//! are written in lowercase base32 without padding.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// Lowercase RFC 4648 base32 without padding; decoding accepts either case.
static BASE32: LazyLock<data_encoding::Encoding> = LazyLock::new(|| {
    let mut spec = data_encoding::Specification::new();
    spec.symbols.push_str("abcdefghijklmnopqrstuvwxyz234567");
    spec.translate.from.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    spec.translate.to.push_str("abcdefghijklmnopqrstuvwxyz");
    spec.check_trailing_bits = true;
    #[allow(clippy::expect_used)]
    spec.encoding().expect("static base32 specification is valid")
});

/// Encodes bytes in Weft's id alphabet.
pub fn encode(bytes: &[u8]) -> String {
    BASE32.encode(bytes)
}

/// Decodes Weft's id alphabet into exactly `N` bytes.
pub fn decode<const N: usize>(s: &str) -> Option<[u8; N]> {
    let bytes = BASE32.decode(s.as_bytes()).ok()?;
    bytes.try_into().ok()
}

/// Decodes Weft's id alphabet into bytes of any length (a backup's recovery sheet).
pub fn decode_bytes(s: &str) -> Option<Vec<u8>> {
    BASE32.decode(s.as_bytes()).ok()
}

/// Fills a buffer from the operating system's random source.
///
/// # Panics
/// Never in practice: the OS random source only fails on platforms Weft does not run on.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut out).expect("the operating system's random source is available");
    out
}

/// Why a string is not an id of the wanted kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a valid {kind} id")]
pub struct ParseIdError {
    pub kind: &'static str,
    pub input: String,
}

macro_rules! byte_id {
    ($(#[$meta:meta])* $name:ident, $len:expr, $kind:literal) => {
        $(#[$meta])*
        ///
        /// In JSON (and TypeScript): its canonical text, lowercase base32.
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ts_rs::TS)]
        #[ts(type = "string")]
        pub struct $name([u8; $len]);

        impl $name {
            pub const LEN: usize = $len;
            /// Length of the canonical text form.
            pub const TEXT_LEN: usize = ($len as usize * 8).div_ceil(5);

            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
            /// The first eight characters: enough to tell ids apart in a table or a log.
            pub fn short(&self) -> String {
                let mut s = self.to_string();
                s.truncate(8);
                s
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&encode(&self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($kind, "({})"), self.short())
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                decode::<$len>(s.trim()).map(Self).ok_or_else(|| ParseIdError {
                    kind: $kind,
                    input: s.to_owned(),
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

macro_rules! random_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        byte_id!($(#[$meta])* $name, 12, $kind);
        impl $name {
            /// A fresh id from the OS random source.
            pub fn random() -> Self {
                Self(random_bytes())
            }
        }
    };
}

byte_id!(
    /// A community: the first 16 bytes of the hash of its people document's genesis change.
    CommunityId, 16, "community"
);
byte_id!(
    /// A member: their Ed25519 identity public key.
    MemberId, 32, "member"
);
byte_id!(
    /// A device: its Ed25519 public key, which is also its Automerge actor id (and, with
    /// sync, its libp2p peer id).
    DeviceId, 32, "device"
);
random_id!(
    /// A task on a community's board.
    TaskId, "task"
);
random_id!(
    /// One entry in the hour ledger.
    EntryId, "entry"
);
random_id!(
    /// A guild within a sector.
    GuildId, "guild"
);
random_id!(
    /// A concern raised about a task or an imbalance.
    FlagId, "flag"
);
random_id!(
    /// An invitation to join a community.
    InviteId, "invite"
);
random_id!(
    /// An offer of surplus or a stated need in a community's commons.
    NoticeId, "notice"
);
random_id!(
    /// An answer to an offer or a need, from a member of a linked community.
    ReplyId, "reply"
);
random_id!(
    /// A proposal for the community (or a guild) to decide.
    ProposalId, "proposal"
);
random_id!(
    /// A series of recurring tasks.
    SeriesId, "series"
);
random_id!(
    /// A crew: a few members who meet on a rhythm.
    CrewId, "crew"
);
random_id!(
    /// A gathering of the whole community.
    GatheringId, "gathering"
);

impl CommunityId {
    /// The community whose genesis change has this hash.
    pub fn from_genesis_hash(hash: &automerge::ChangeHash) -> Self {
        let mut out = [0u8; 16];
        out.copy_from_slice(&hash.0[..16]);
        Self(out)
    }
}

/// A pledge is one member's claim on one task: at most one per (task, member), so its id is the
/// pair and concurrent pledges from the member's two devices land on the same record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PledgeId {
    pub task: TaskId,
    pub member: MemberId,
}

impl fmt::Display for PledgeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.task, self.member)
    }
}

impl FromStr for PledgeId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseIdError { kind: "pledge", input: s.to_owned() };
        let (task, member) = s.split_once('.').ok_or_else(err)?;
        Ok(Self { task: task.parse().map_err(|_| err())?, member: member.parse().map_err(|_| err())? })
    }
}

/// A slug: lowercase ASCII letters, digits and '-', 1 to 40 characters, starting with a letter.
fn is_slug(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 40
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

macro_rules! slug_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        ///
        /// In JSON (and TypeScript): the slug itself.
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, ts_rs::TS)]
        #[ts(type = "string")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// Turns free text ("First aid") into a slug ("first-aid"), if anything is left.
            pub fn slugify(text: &str) -> Result<Self, ParseIdError> {
                let mut out = String::new();
                for c in text.trim().chars().flat_map(char::to_lowercase) {
                    if c.is_ascii_alphanumeric() {
                        out.push(c);
                    } else if !out.is_empty() && !out.ends_with('-') {
                        out.push('-');
                    }
                }
                while out.ends_with('-') {
                    out.pop();
                }
                out.parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($kind, "({})"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if is_slug(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(ParseIdError { kind: $kind, input: s.to_owned() })
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

slug_id!(
    /// A sector of the community's work, e.g. `food` or `healthcare`.
    SectorId, "sector"
);
slug_id!(
    /// A skill, e.g. `gardening` or `first-aid`.
    SkillId, "skill"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let t = TaskId::random();
        let s = t.to_string();
        assert_eq!(s.len(), TaskId::TEXT_LEN);
        assert_eq!(s.parse::<TaskId>().unwrap(), t);
        assert_eq!(s.to_uppercase().parse::<TaskId>().unwrap(), t);
        assert!(t.short().len() == 8 && s.starts_with(&t.short()));
        let m = MemberId::from_bytes([7; 32]);
        let p = PledgeId { task: t, member: m };
        assert_eq!(p.to_string().parse::<PledgeId>().unwrap(), p);
    }

    #[test]
    fn bad_ids_are_refused_with_their_kind() {
        let err = "not-an-id".parse::<TaskId>().unwrap_err();
        assert_eq!(err.to_string(), "'not-an-id' is not a valid task id");
        assert!("aaaa".parse::<MemberId>().is_err());
        assert!("Food".parse::<SectorId>().is_err());
        assert!("".parse::<SkillId>().is_err());
        assert!("9lives".parse::<SkillId>().is_err());
    }

    #[test]
    fn slugify_makes_catalogue_names_into_ids() {
        assert_eq!(SkillId::slugify("First aid").unwrap().as_str(), "first-aid");
        assert_eq!(SkillId::slugify("  Bike repair!! ").unwrap().as_str(), "bike-repair");
        assert!(SkillId::slugify("!!!").is_err());
    }
}
