//! Which changes of a batch a signature vouches for.
//!
//! Every change is signed by the device that made it when it is made, and gossip carries each
//! change with its own signature. A batch sent by sync does not need them all: a device's
//! changes form a chain (each one depends, directly or through others, on everything the
//! device had when it made it, its own earlier changes included), and a change names its
//! parents by hash. So a valid signature over one change vouches for the exact bytes of every
//! ancestor, and for those made by the same device, for their author too. A batch then needs
//! one signature per device: over that device's latest change in the batch.
//!
//! The receiver never assumes the chain: [`cover`] follows the hashes of the batch itself, so
//! a change is vouched for only if a signed change of the same device really descends from it.

use std::collections::HashMap;

use automerge::{ActorId, Change, ChangeHash, ChangeMetadata};

/// What [`cover`] and [`causal_order`] read of a change: a parsed [`Change`] as received, or
/// a document's own metadata of a change it is about to send.
pub trait Linked {
    fn hash(&self) -> ChangeHash;
    fn deps(&self) -> &[ChangeHash];
    fn actor(&self) -> &ActorId;
}

impl Linked for Change {
    fn hash(&self) -> ChangeHash {
        Change::hash(self)
    }
    fn deps(&self) -> &[ChangeHash] {
        Change::deps(self)
    }
    fn actor(&self) -> &ActorId {
        self.actor_id()
    }
}

impl Linked for ChangeMetadata<'_> {
    fn hash(&self) -> ChangeHash {
        self.hash
    }
    fn deps(&self) -> &[ChangeHash] {
        &self.deps
    }
    fn actor(&self) -> &ActorId {
        &self.actor
    }
}

/// How a change of a batch is vouched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// A signed change of the same device in the batch descends from it: its own signature
    /// is not needed.
    Covered,
    /// It is signed and no signed change of its device in the batch descends from it: its
    /// signature is the one that vouches for it (and for the device's earlier changes).
    Signed,
    /// Nothing in the batch vouches for it.
    Uncovered,
}

/// For each change of `changes`, how it is vouched for, given which of them carry a (valid)
/// signature. Changes in a hash cycle, impossible for honest bytes, are uncovered.
///
/// Linear in the batch: one pass in reverse causal order carries, for each change, the set of
/// devices with a signed descendant, as a bit set.
pub fn cover<C: Linked>(changes: &[&C], signed: &[bool]) -> Vec<Cover> {
    let n = changes.len();
    let index: HashMap<ChangeHash, usize> = changes.iter().enumerate().map(|(i, c)| (c.hash(), i)).collect();
    let mut actors: HashMap<&ActorId, usize> = HashMap::new();
    let actor: Vec<usize> = changes
        .iter()
        .map(|c| {
            let next = actors.len();
            *actors.entry(c.actor()).or_insert(next)
        })
        .collect();
    let words = actors.len().div_ceil(64).max(1);
    let deps = batch_deps(changes, &index);

    let order = order_by(&deps);
    let mut out = vec![Cover::Uncovered; n];
    let mut masks = vec![0u64; n * words];
    for &i in order.iter().rev() {
        let (word, bit) = (actor[i] / 64, 1u64 << (actor[i] % 64));
        if masks[i * words + word] & bit != 0 {
            out[i] = Cover::Covered;
        } else if signed.get(i).copied().unwrap_or(false) {
            out[i] = Cover::Signed;
            masks[i * words + word] |= bit;
        }
        for &d in &deps[i] {
            for w in 0..words {
                masks[d * words + w] |= masks[i * words + w];
            }
        }
    }
    out
}

/// The order in which to take a batch of changes so that each comes after those of its
/// parents that are in the batch (Kahn's algorithm; ties keep the batch's order). Changes in a
/// hash cycle, impossible for honest bytes, come last in their batch order.
pub fn causal_order<C: Linked>(changes: &[&C]) -> Vec<usize> {
    let index: HashMap<ChangeHash, usize> = changes.iter().enumerate().map(|(i, c)| (c.hash(), i)).collect();
    let mut order = order_by(&batch_deps(changes, &index));
    let mut placed = vec![false; changes.len()];
    for &i in &order {
        placed[i] = true;
    }
    order.extend((0..changes.len()).filter(|i| !placed[*i]));
    order
}

/// For each change, the indices of its parents within the batch.
fn batch_deps<C: Linked>(changes: &[&C], index: &HashMap<ChangeHash, usize>) -> Vec<Vec<usize>> {
    changes.iter().map(|c| c.deps().iter().filter_map(|d| index.get(d).copied()).collect()).collect()
}

/// Kahn's algorithm over in-batch parents; what sits in a cycle is left out.
fn order_by(deps: &[Vec<usize>]) -> Vec<usize> {
    let n = deps.len();
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            children[d].push(i);
        }
    }
    let mut order: Vec<usize> = (0..n).filter(|i| waiting[*i] == 0).collect();
    let mut next = 0;
    while next < order.len() {
        let i = order[next];
        next += 1;
        for &c in &children[i] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                order.push(c);
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{Automerge, ROOT};

    fn commit(doc: &mut Automerge, actor: &ActorId, key: &str) -> Change {
        doc.set_actor(actor.clone());
        let mut tx = doc.transaction();
        tx.put(ROOT, key, 1i64).unwrap();
        tx.commit();
        doc.get_last_local_change().unwrap().clone()
    }

    #[test]
    fn one_signature_vouches_for_its_devices_earlier_changes_through_others() {
        let (a, b) = (ActorId::from(b"aaaa".as_slice()), ActorId::from(b"bbbb".as_slice()));
        let mut doc = Automerge::new();
        let changes = [
            commit(&mut doc, &a, "a1"),
            commit(&mut doc, &b, "b1"),
            commit(&mut doc, &a, "a2"),
            commit(&mut doc, &b, "b2"),
            commit(&mut doc, &a, "a3"),
            commit(&mut doc, &b, "b3"),
        ];
        let refs: Vec<&Change> = changes.iter().collect();
        // Only a3 is signed: a1 and a2 are covered; b's changes are not.
        let got = cover(&refs, &[false, false, false, false, true, false]);
        use Cover::*;
        assert_eq!(got, [Covered, Uncovered, Covered, Uncovered, Signed, Uncovered]);
        // Signing everything still needs only the latest of each device.
        let got = cover(&refs, &[true; 6]);
        assert_eq!(got, [Covered, Covered, Covered, Covered, Signed, Signed]);
        // The order of the batch does not matter.
        let reversed: Vec<&Change> = changes.iter().rev().collect();
        let got = cover(&reversed, &[true; 6]);
        assert_eq!(got, [Signed, Signed, Covered, Covered, Covered, Covered]);
    }

    #[test]
    fn a_signature_does_not_vouch_for_a_change_it_does_not_descend_from() {
        let a = ActorId::from(b"aaaa".as_slice());
        let mut doc = Automerge::new();
        let a1 = commit(&mut doc, &a, "a1");
        let a2 = commit(&mut doc, &a, "a2");
        // A change under a's name on a branch a2 does not descend from: a forgery, or
        // another history.
        let mut other = Automerge::new();
        other.apply_changes([a1.clone()]).unwrap();
        let forged = commit(&mut other, &a, "forged");
        let got = cover(&[&a1, &forged, &a2], &[false, false, true]);
        assert_eq!(got, [Cover::Covered, Cover::Uncovered, Cover::Signed]);
        // Without the signed change, nothing is vouched for.
        assert_eq!(cover(&[&a1], &[false]), [Cover::Uncovered]);
        assert_eq!(cover::<Change>(&[], &[]), []);
    }

    #[test]
    fn causal_order_puts_parents_first_whatever_the_batch_order() {
        let (a, b) = (ActorId::from(b"aaaa".as_slice()), ActorId::from(b"bbbb".as_slice()));
        let mut doc = Automerge::new();
        let changes: Vec<Change> = ["1", "2", "3", "4"]
            .iter()
            .enumerate()
            .map(|(i, k)| commit(&mut doc, if i % 2 == 0 { &a } else { &b }, k))
            .collect();
        let shuffled = [&changes[2], &changes[0], &changes[3], &changes[1]];
        let order = causal_order(&shuffled);
        assert_eq!(order, [1, 3, 0, 2]);
    }

    #[test]
    fn many_devices_use_more_than_one_word_of_bits() {
        let mut doc = Automerge::new();
        let mut changes = Vec::new();
        for round in 0..2 {
            for d in 0..130u32 {
                let actor = ActorId::from(d.to_le_bytes().as_slice());
                changes.push(commit(&mut doc, &actor, &format!("{round}-{d}")));
            }
        }
        let refs: Vec<&Change> = changes.iter().collect();
        let signed: Vec<bool> = (0..refs.len()).map(|i| i >= 130).collect();
        let got = cover(&refs, &signed);
        assert!(got[..130].iter().all(|c| *c == Cover::Covered));
        assert!(got[130..].iter().all(|c| *c == Cover::Signed));
    }
}
