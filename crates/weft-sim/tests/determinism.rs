//! The same documents give byte-identical suggestions and plan, whatever order their changes
//! arrived in: the state is built three ways from a demo community's signed changes — in the
//! order they were made, in reverse, and shuffled in small batches — and every member's
//! suggestions and the plan are compared as JSON bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use automerge::{Automerge, Change};
use weft_core::Date;
use weft_core::doc::board::BoardView;
use weft_core::doc::ledger::LedgerView;
use weft_core::doc::people::PeopleView;
use weft_core::doc::{DocId, DocName};
use weft_core::identity::Identity;
use weft_core::rng::Rng;
use weft_demo::{DemoOptions, generate};
use weft_match::{Input, plan, suggest};

fn build(changes: &[(DocId, Vec<u8>)], batches: usize) -> BTreeMap<DocName, Automerge> {
    let mut docs: BTreeMap<DocName, Automerge> = BTreeMap::new();
    for chunk in changes.chunks(changes.len().div_ceil(batches.max(1))) {
        let mut by_doc: BTreeMap<DocName, Vec<Change>> = BTreeMap::new();
        for (id, bytes) in chunk {
            by_doc.entry(id.name).or_default().push(Change::from_bytes(bytes.clone()).unwrap());
        }
        for (name, cs) in by_doc {
            docs.entry(name).or_default().apply_changes(cs).unwrap();
        }
    }
    docs
}

fn outputs(docs: &BTreeMap<DocName, Automerge>, today: Date) -> (Input, Vec<u8>) {
    let people = PeopleView::read(&docs[&DocName::People]);
    let board = BoardView::read(&docs[&DocName::Board]);
    let ledgers: Vec<LedgerView> =
        docs.iter().filter(|(n, _)| matches!(n, DocName::Ledger(_))).map(|(_, d)| LedgerView::read(d)).collect();
    let input = Input::from_views(&people, &board, &ledgers, &[], today);
    let p = plan(&input);
    let mut out = serde_json::to_vec(&p).unwrap();
    for member in input.members.keys() {
        let s = suggest(&input, *member, 5, Some(&p)).unwrap();
        out.extend(serde_json::to_vec(&s).unwrap());
    }
    (input, out)
}

#[test]
fn same_documents_same_suggestions_and_plan_in_any_arrival_order() {
    let (_, me) = Identity::generate();
    let today: Date = "2026-06-10".parse().unwrap();
    let demo = generate(&me, "Ana", &DemoOptions { members: 40, seed: 11, today, name: None }).unwrap();
    let changes: Vec<(DocId, Vec<u8>)> = demo.changes.iter().map(|(id, c)| (*id, c.bytes.clone())).collect();

    let in_order = build(&changes, 1);
    let mut reversed = changes.clone();
    reversed.reverse();
    let reversed = build(&reversed, 1);
    let mut shuffled = changes.clone();
    Rng::new(5).shuffle(&mut shuffled);
    let shuffled = build(&shuffled, 7);

    let (input, a) = outputs(&in_order, today);
    let (input_b, b) = outputs(&reversed, today);
    let (input_c, c) = outputs(&shuffled, today);
    assert_eq!(input, input_b);
    assert_eq!(input, input_c);
    assert!(a == b && a == c, "outputs differ between arrival orders");

    // And the outputs say something: a plan with parts, suggestions with reasons.
    let p = plan(&input);
    assert!(!p.parts.is_empty(), "the demo's plan has parts");
    let with_items = input
        .members
        .keys()
        .filter(|m| suggest(&input, **m, 5, Some(&p)).unwrap().items.iter().all(|i| !i.reasons.is_empty()))
        .count();
    assert!(with_items > 0);
}
