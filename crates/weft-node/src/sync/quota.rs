//! How much new a member's computers may bring us in a while.
//!
//! A member is trusted to write, not to write without end: a modified client can sign
//! thousands of valid, schema-valid changes an hour (tasks with the longest descriptions, in a
//! tight loop), and every peer would store them for good. So each member (whatever device and
//! whichever peer brings their changes) may bring us at most [`Quota::bytes`] and
//! [`Quota::changes`] of new changes per [`Quota::window`]. What goes over is deferred, not
//! lost: it is refused with words that say so, not stored, and taken when its sender offers it
//! again (gossip is ignored, so it comes by the next sync; a sync frame is refused as busy, and
//! its sender's next session brings it).
//!
//! Only what is new counts — changes we hold already cost nothing — and only what is recent:
//! a change whose author dated it (or any of its parents we hold) within [`Quota::recent`]. A
//! catch-up of history, however large, is what sync is for, and is never counted; a flood is
//! written now. A member who backdates a flood must also build it on old heads (a change is as
//! recent as its newest parent), so it arrives as a fork a year old — which the quota does not
//! catch, and which the community sees and answers by removing the member.
//!
//! An author's changes in a batch are taken in order while they fit in what is left of the
//! quota; the rest is set aside with every change that builds on it. The batch's signatures are
//! checked first: a sync frame carries one signature per device, over its latest change, which
//! vouches for the device's earlier ones, and it still does when that change is set aside (it
//! signs a hash that names them). Changes are charged before they are verified and refunded if
//! they are not applied after all: forged changes under another member's name cost that member
//! nothing. (A frame's size says little about what it holds: a 6 MiB bundle of repetitive
//! changes holds tens of thousands. Taking a batch whole per author, as a first version did,
//! let one frame take in 7,770 changes past the quota.)
//!
//! The sizes: a year of a 60-member community is ~10,000 changes from everyone together (the
//! demo's is 12,735), about 200 a member. 1,000 changes or 4 MiB from one member within an hour
//! is more than a member writes in years, and more than any honest batch we know of (an import
//! of 500 tasks with long descriptions is 1-2 MiB). It is a rate, not a wall: a flood still
//! gets through at it (about 100 MB a day to every peer), later rather than at once, and the
//! community's answer to a member who floods is to remove them. It was 16 MiB at first: the
//! `hostile` benchmark showed the state thread taking in 13 MB of a flood within seconds, each
//! frame of it holding up the member's own requests by up to 200 ms.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use automerge::ChangeHash;

use weft_core::{DeviceId, MemberId};

use crate::clock::Mono;

/// How much new each member's computers may bring us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Bytes of new, recent changes per window.
    pub bytes: u64,
    /// New, recent changes per window.
    pub changes: u64,
    pub window: Duration,
    /// Changes dated earlier than this before now are history, and never counted.
    pub recent: Duration,
}

impl Default for Quota {
    fn default() -> Self {
        Self { bytes: 4 << 20, changes: 1_000, window: Duration::from_secs(3600), recent: Duration::from_secs(86_400) }
    }
}

/// Whose quota a change counts against: its author's, by member (all their computers share
/// one), or by device when the member is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Author {
    Member(MemberId),
    Device(DeviceId),
}

#[derive(Debug, Clone, Default)]
struct Used {
    since: Option<Mono>,
    bytes: u64,
    changes: u64,
    /// What was turned away this window, each change once however often it was offered.
    deferred_bytes: u64,
    deferred: u64,
    turned_away: HashSet<ChangeHash>,
}

/// The most changes turned away that a window remembers, to count each once.
const TURNED_AWAY: usize = 1 << 17;

/// What each author brought us in the current window.
#[derive(Debug, Default)]
pub(crate) struct Quotas {
    quota: Quota,
    used: HashMap<Author, Used>,
}

impl Quotas {
    pub fn new(quota: Quota) -> Self {
        Self { quota, used: HashMap::new() }
    }

    pub fn quota(&self) -> Quota {
        self.quota
    }

    fn used(&mut self, who: Author, now: Mono) -> &mut Used {
        let window = self.quota.window;
        let used = self.used.entry(who).or_default();
        if used.since.is_none_or(|since| now.since(since) >= window) {
            *used = Used { since: Some(now), ..Used::default() };
        }
        used
    }

    /// Whether `changes` more changes of `bytes` from `who` fit in what is left of their quota
    /// this window.
    pub fn fits(&mut self, who: Author, bytes: u64, changes: u64, now: Mono) -> bool {
        let quota = self.quota;
        let used = self.used(who, now);
        used.bytes.saturating_add(bytes) <= quota.bytes && used.changes.saturating_add(changes) <= quota.changes
    }

    /// Counts a change taken from `who`.
    pub fn charge(&mut self, who: Author, bytes: u64, now: Mono) {
        let used = self.used(who, now);
        used.bytes = used.bytes.saturating_add(bytes);
        used.changes = used.changes.saturating_add(1);
    }

    /// Counts a change of `who` set aside (once per window, however often it is offered).
    pub fn defer(&mut self, who: Author, hash: ChangeHash, bytes: u64, now: Mono) {
        let used = self.used(who, now);
        if used.turned_away.len() < TURNED_AWAY && used.turned_away.insert(hash) {
            used.deferred_bytes = used.deferred_bytes.saturating_add(bytes);
            used.deferred = used.deferred.saturating_add(1);
        }
    }

    /// Gives back what a change taken was charged (it was not applied after all).
    pub fn refund(&mut self, who: Author, bytes: u64) {
        if let Some(used) = self.used.get_mut(&who) {
            used.bytes = used.bytes.saturating_sub(bytes);
            used.changes = used.changes.saturating_sub(1);
        }
    }

    /// Forgets windows that are over (called now and then, so authors long gone cost nothing).
    pub fn expire(&mut self, now: Mono) {
        let window = self.quota.window;
        self.used.retain(|_, u| u.since.is_some_and(|since| now.since(since) < window));
    }

    /// Why `who`'s changes were turned away, in words; `name` is the member's name.
    pub fn words(&self, who: Author, name: &str) -> String {
        let used = self.used.get(&who).cloned().unwrap_or_default();
        let offered = used.bytes.saturating_add(used.deferred_bytes);
        let changes = used.changes.saturating_add(used.deferred);
        let window = window_words(self.quota.window);
        if used.changes >= self.quota.changes {
            format!(
                "{name}'s computers sent {changes} new changes in the last {window}, more than the {} one member may; \
                 the rest will be taken later",
                self.quota.changes
            )
        } else {
            format!(
                "{name}'s computers sent {} of new changes in the last {window}, more than the {} one member may; \
                 the rest will be taken later",
                megabytes(offered),
                megabytes(self.quota.bytes)
            )
        }
    }
}

fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / f64::from(1 << 20);
    match mb {
        m if m >= 10.0 || m.fract() == 0.0 => format!("{m:.0} MB"),
        m if m >= 1.0 => format!("{m:.1} MB"),
        _ => format!("{} KB", bytes.div_ceil(1 << 10)),
    }
}

fn window_words(window: Duration) -> String {
    match window.as_secs() {
        3600 => "hour".into(),
        60 => "minute".into(),
        s if s % 3600 == 0 => format!("{} hours", s / 3600),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Mono {
        Mono::from_millis(ms)
    }

    const MALLORY: Author = Author::Member(MemberId::from_bytes([9; 32]));
    const CLEO: Author = Author::Member(MemberId::from_bytes([3; 32]));

    fn small() -> Quotas {
        Quotas::new(Quota {
            bytes: 1000,
            changes: 10,
            window: Duration::from_secs(60),
            recent: Duration::from_secs(600),
        })
    }

    #[test]
    fn a_member_over_the_quota_waits_for_the_next_window_and_others_do_not() {
        let mut q = small();
        for _ in 0..4 {
            assert!(q.fits(MALLORY, 250, 1, at(0)));
            q.charge(MALLORY, 250, at(0));
        }
        assert!(!q.fits(MALLORY, 1, 1, at(1)), "1,000 bytes are the most");
        assert!(q.fits(CLEO, 250, 1, at(1)), "one member's flood leaves the others' quota alone");
        assert!(!q.fits(MALLORY, 1, 1, at(59_999)));
        assert!(q.fits(MALLORY, 250, 1, at(60_000)), "a new window");
    }

    #[test]
    fn a_batch_fits_whole_or_not_at_all() {
        let mut q = small();
        q.charge(MALLORY, 600, at(0));
        assert!(!q.fits(MALLORY, 500, 2, at(1)), "500 more bytes do not fit in the 400 left");
        assert!(q.fits(MALLORY, 400, 2, at(1)));
        assert!(!q.fits(CLEO, 1_001, 1, at(1)), "larger than a whole window: it waits until it is history");
        assert!(!q.fits(CLEO, 10, 11, at(1)), "ten changes are the most");
    }

    #[test]
    fn the_count_of_changes_is_capped_too() {
        let mut q = small();
        for _ in 0..10 {
            q.charge(MALLORY, 1, at(0));
        }
        assert!(!q.fits(MALLORY, 1, 1, at(0)));
        q.defer(MALLORY, ChangeHash([1; 32]), 1, at(0));
        q.defer(MALLORY, ChangeHash([1; 32]), 1, at(0));
        assert!(q.words(MALLORY, "Mallory").starts_with("Mallory's computers sent 11 new changes in the last minute"));
    }

    #[test]
    fn what_was_not_applied_is_given_back() {
        let mut q = small();
        for _ in 0..4 {
            q.charge(CLEO, 250, at(0));
        }
        // Forged under Cleo's name, refused by verification: Cleo's quota is whole again.
        for _ in 0..4 {
            q.refund(CLEO, 250);
        }
        assert!(q.fits(CLEO, 1000, 10, at(1)));
        assert_eq!(q.used[&CLEO].bytes, 0);
    }

    #[test]
    fn the_words_say_who_how_much_and_that_the_rest_comes_later() {
        let mut q = Quotas::new(Quota::default());
        let mb = 1 << 20;
        for _ in 0..4 {
            q.charge(MALLORY, mb, at(0));
        }
        for n in 0..36u8 {
            // Each offered twice: counted once.
            q.defer(MALLORY, ChangeHash([n; 32]), mb, at(1));
            q.defer(MALLORY, ChangeHash([n; 32]), mb, at(1));
        }
        assert_eq!(
            q.words(MALLORY, "Mallory"),
            "Mallory's computers sent 40 MB of new changes in the last hour, more than the 4 MB one member may; \
             the rest will be taken later"
        );
        q.expire(at(3_600_000));
        assert!(q.used.is_empty());
    }
}
