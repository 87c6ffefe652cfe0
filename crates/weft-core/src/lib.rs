//! Weft's domain core.
//!
//! Everything a community's laptops agree on lives here: typed ids, sectors, tasks, pledges,
//! hour entries, profiles, the three kinds of Automerge documents and their schema, the rules
//! that decide whether a change is allowed, signatures, and the derived views (open tasks,
//! hours against the baseline, collective progress).
//!
//! Architecture invariant: this crate is pure. It does no I/O beyond asking the OS for random
//! bytes; it has no async runtime, no network, no database. Callers pass "now" in.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod backup;
pub mod bundle_guard;
pub mod calendar;
pub mod cover;
pub mod crypto;
pub mod doc;
pub mod escalation;
pub mod export;
pub mod id;
pub mod identity;
pub mod model;
pub mod rng;
pub mod roster;
pub mod time;
pub mod validate;
pub mod verify;
pub mod views;

pub use doc::{DocId, DocName};
pub use id::{CommunityId, DeviceId, EntryId, GuildId, MemberId, PledgeId, SectorId, SkillId, TaskId};
pub use identity::{DeviceCert, Identity, SignedChange};
pub use time::{Date, Minutes, Month, Timestamp};
pub use validate::ValidationError;
