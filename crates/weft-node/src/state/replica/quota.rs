//! The quota gate on peers' changes (the rules are in [`crate::sync::Quotas`]): once a batch's
//! signatures are checked (so a change a signed change vouches for stays vouched for when that
//! one is set aside) and before its changes are verified, those that are new and recent are
//! charged to their author, and those that do not fit in the author's quota are set aside with
//! everything that builds on them; once the batch is applied, what was charged and not
//! applied is given back.

use std::collections::{HashMap, HashSet};

use automerge::ChangeHash;
use weft_core::Timestamp;
use weft_core::id::DeviceId;

use super::ingest::Pending;
use crate::clock::Mono;
use crate::state::community::Community;
use crate::sync::{Author, Quotas};

/// What the gate did to one batch.
#[derive(Debug, Default)]
pub(super) struct Gate {
    charged: Vec<(ChangeHash, Author, u64)>,
    /// How many changes were set aside, and the first author over quota with their name.
    pub deferred: usize,
    over: Option<(Author, String)>,
}

/// Charges the new, recent changes of `queue` (in causal order, signatures already checked) to
/// their authors, and takes out what does not fit in an author's quota — taken in order while
/// they fit — with every change that builds on one taken out.
pub(super) fn gate(
    quotas: &mut Quotas,
    com: &mut Community,
    queue: Vec<Pending>,
    now: Timestamp,
    mono: Mono,
) -> (Vec<Pending>, Gate) {
    quotas.expire(mono);
    let recent_from = now.millis().saturating_sub(i64::try_from(quotas.quota().recent.as_millis()).unwrap_or(i64::MAX));
    let mut gate = Gate::default();
    // The new changes: whose, how large, whether recent.
    let mut times: HashMap<ChangeHash, i64> = HashMap::new();
    let mut new: HashMap<ChangeHash, (Author, u64, bool)> = HashMap::new();
    // What each author brought in this batch so far (new and recent only).
    let mut brought: HashMap<Author, (u64, u64)> = HashMap::new();
    let mut set_aside: HashSet<ChangeHash> = HashSet::new();
    for p in &queue {
        let hash = p.change.hash();
        if com.doc(p.doc).is_some_and(|d| d.has_change(&hash)) {
            continue;
        }
        let author = author(com, p);
        let bytes = p.change.raw_bytes().len() as u64;
        if p.change.deps().iter().any(|d| set_aside.contains(d)) {
            // Builds on a change set aside: it waits with it (uncounted).
            new.insert(hash, (author, bytes, false));
            set_aside.insert(hash);
            continue;
        }
        let doc = com.doc(p.doc);
        // As recent as its newest parent: a backdated change on today's heads is today's.
        let time = p.change.deps().iter().fold(p.change.timestamp(), |t, d| {
            let parent = times
                .get(d)
                .copied()
                .or_else(|| doc.and_then(|doc| doc.automerge().get_change_meta_by_hash(d)).map(|m| m.timestamp));
            t.max(parent.unwrap_or(i64::MIN))
        });
        times.insert(hash, time);
        let recent = time >= recent_from;
        new.insert(hash, (author, bytes, recent));
        if !recent {
            continue;
        }
        let (b, n) = brought.entry(author).or_default();
        let (b2, n2) = (b.saturating_add(bytes), *n + 1);
        if quotas.fits(author, b2, n2, mono) {
            (*b, *n) = (b2, n2);
        } else {
            set_aside.insert(hash);
            if gate.over.is_none() {
                gate.over = Some((author, name(com, author)));
            }
        }
    }
    let mut kept = Vec::with_capacity(queue.len());
    for p in queue {
        let hash = p.change.hash();
        match new.get(&hash) {
            Some(&(author, bytes, _)) if set_aside.contains(&hash) => {
                quotas.defer(author, hash, bytes, mono);
                gate.deferred += 1;
            }
            Some(&(author, bytes, true)) => {
                quotas.charge(author, bytes, mono);
                gate.charged.push((hash, author, bytes));
                kept.push(p);
            }
            _ => kept.push(p),
        }
    }
    (kept, gate)
}

/// Gives back what was charged for changes that were not applied; the words for what was
/// set aside, if anything was.
pub(super) fn settle(quotas: &mut Quotas, gate: Gate, applied: &HashSet<ChangeHash>) -> Option<String> {
    for (hash, author, bytes) in gate.charged {
        if !applied.contains(&hash) {
            quotas.refund(author, bytes);
        }
    }
    gate.over.map(|(author, name)| quotas.words(author, &name))
}

fn author(com: &mut Community, p: &Pending) -> Author {
    let bytes: Option<[u8; 32]> = p.change.actor_id().to_bytes().try_into().ok();
    let Some(device) = bytes.map(DeviceId::from_bytes) else { return Author::Device(DeviceId::from_bytes([0; 32])) };
    match com.people().member_of_device(&device) {
        Some(m) => Author::Member(m.id),
        None => Author::Device(device),
    }
}

fn name(com: &mut Community, author: Author) -> String {
    match author {
        Author::Member(m) => com.people().members.get(&m).map_or_else(|| m.short(), |m| m.name.clone()),
        Author::Device(d) => format!("device {}", d.short()),
    }
}
