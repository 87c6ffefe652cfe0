//! Property tests: the same changes, applied in any order, give the same documents; every
//! document survives save and load; and verification accepts honest histories in any order.

use automerge::{AutoSerde, Change};
use proptest::prelude::*;

use super::board::{BoardView, PledgeAction};
use super::ledger::{LedgerView, check_entry};
use super::people::{self, PeopleView};
use super::{DocId, DocName, Document};
use crate::id::FlagId;
use crate::identity::{Identity, SignedChange};
use crate::model::{NewTask, ProfileUpdate, Urgency, Verdict};
use crate::time::{Date, Minutes, Timestamp};
use crate::verify::{Verifier, parse_change};
use crate::{EntryId, GuildId, TaskId};

/// Three members, each with their own replica of the three documents.
struct Replica {
    me: Identity,
    people: Document,
    board: Document,
    ledger: Document,
}

fn json(doc: &Document) -> String {
    serde_json::to_string(&AutoSerde::from(doc.automerge())).unwrap()
}

fn sorted_heads(doc: &Document) -> Vec<automerge::ChangeHash> {
    let mut h = doc.heads();
    h.sort();
    h
}

struct Run {
    base: [Document; 3],
    changes: Vec<(DocName, SignedChange)>,
    replicas: Vec<Replica>,
}

const SECTORS: [&str; 3] = ["food", "arts", "healthcare"];

/// Plays a script of operations: each step is (member, action, parameter).
fn play(script: &[(usize, u8, u32)]) -> Run {
    let today: Date = "2026-06-10".parse().unwrap();
    let ids: Vec<Identity> = (0..3).map(|_| Identity::generate().1).collect();
    let now = Timestamp::midday(today);
    let (community, mut people, _) = people::found(&ids[0], "Riverside", "Ana", now).unwrap();
    for (i, name) in [(1, "Bob"), (2, "Cleo")] {
        people.admit_member(&ids[0], ids[i].member(), name, ids[i].device(), ids[i].cert(), now).unwrap();
    }
    let (board, _) = Document::from_genesis(DocId { community, name: DocName::Board }).unwrap();
    let (ledger, _) = Document::from_genesis(DocId { community, name: DocName::Ledger(2026) }).unwrap();
    let base = [people.clone(), board.clone(), ledger.clone()];
    let mut replicas: Vec<Replica> = ids
        .into_iter()
        .map(|me| Replica { me, people: people.clone(), board: board.clone(), ledger: ledger.clone() })
        .collect();
    let mut changes = Vec::new();
    let mut tasks: Vec<TaskId> = Vec::new();
    let mut entries: Vec<EntryId> = Vec::new();
    for (step, &(who, action, param)) in script.iter().enumerate() {
        let who = who % 3;
        let now = Timestamp(now.0 + i64::try_from(step).unwrap() * 60_000);
        let r = &mut replicas[who];
        let view = PeopleView::read(r.people.automerge());
        let pick = |list: &[TaskId]| (!list.is_empty()).then(|| list[param as usize % list.len()]);
        let result: Option<(DocName, SignedChange)> = match action % 9 {
            0 => {
                let task = NewTask {
                    title: format!("Task {step}"),
                    description: String::new(),
                    sector: SECTORS[param as usize % 3].parse().unwrap(),
                    guild: None,
                    skills: Default::default(),
                    hours: Minutes(60 + param % 120),
                    slots: 1 + param % 3,
                    urgency: Urgency::ALL[param as usize % 3],
                    deadline: None,
                    location: None,
                    open_to_neighbours: param % 2 == 0,
                };
                let id = TaskId::random();
                r.board.add_task(id, &r.me, &task, &view, today, now).ok().map(|c| {
                    tasks.push(id);
                    (DocName::Board, c)
                })
            }
            1 | 2 => pick(&tasks).and_then(|t| {
                let action = if action % 9 == 1 { PledgeAction::Pledge } else { PledgeAction::Withdraw };
                r.board.set_pledge(&r.me, t, action, &view, now).ok().map(|c| (DocName::Board, c))
            }),
            3 => {
                let sector = SECTORS[param as usize % 3].parse().unwrap();
                let task = pick(&tasks).filter(|_| param % 2 == 0);
                let task = task.and_then(|t| {
                    BoardView::read_task(r.board.automerge(), t).ok().map(|b| (t, b.tasks[&t].sector.clone()))
                });
                let entry =
                    check_entry(Minutes(15 + param % 300), task, Some(sector), today, "note, with \"quotes\"", today);
                let id = EntryId::random();
                entry.ok().and_then(|e| r.ledger.log_hours(id, &r.me, &e, now).ok()).map(|c| {
                    entries.push(id);
                    (DocName::Ledger(2026), c)
                })
            }
            4 => (!entries.is_empty())
                .then(|| entries[param as usize % entries.len()])
                .and_then(|e| r.ledger.confirm_entry(&r.me, e, now).ok())
                .map(|c| (DocName::Ledger(2026), c)),
            5 => pick(&tasks)
                .and_then(|t| r.ledger.give_feedback(&r.me, t, Verdict::ALL[param as usize % 4], now).ok())
                .map(|c| (DocName::Ledger(2026), c)),
            6 => pick(&tasks)
                .and_then(|t| {
                    let edit = crate::model::TaskEdit {
                        urgency: Some(Urgency::ALL[param as usize % 3]),
                        ..Default::default()
                    };
                    r.board.edit_task(&r.me, t, &edit, &view, today, now).ok()
                })
                .map(|c| (DocName::Board, c)),
            7 => {
                let update = ProfileUpdate {
                    hours_per_week: Some(Minutes(param % 600)),
                    skills: [("gardening".parse().unwrap(), crate::model::SkillLevel::new(1 + (param % 5) as u8))]
                        .into(),
                    ..Default::default()
                };
                r.people.update_profile(&r.me, &update, now).ok().map(|c| (DocName::People, c))
            }
            _ => {
                // Gossip: this member merges another member's documents.
                let from = (who + 1 + param as usize % 2) % 3;
                let (p, b, l) = {
                    let o = &replicas[from];
                    (
                        o.people.automerge().get_changes(&[]),
                        o.board.automerge().get_changes(&[]),
                        o.ledger.automerge().get_changes(&[]),
                    )
                };
                let r = &mut replicas[who];
                r.people.apply(p).unwrap();
                r.board.apply(b).unwrap();
                r.ledger.apply(l).unwrap();
                None
            }
        };
        changes.extend(result);
    }
    Run { base, changes, replicas }
}

/// A permutation of 0..n from a seed (Fisher–Yates with a xorshift).
fn permutation(n: usize, mut seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    seed |= 1;
    for i in (1..n).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        order.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    order
}

fn doc_for(docs: &mut [Document; 3], name: DocName) -> &mut Document {
    match name {
        DocName::People => &mut docs[0],
        DocName::Board => &mut docs[1],
        DocName::Ledger(_) => &mut docs[2],
        DocName::Commons => unreachable!("these runs write no commons"),
    }
}

/// Applies all changes in the given order, through verification, holding back those that
/// must wait for their parents, as a peer receiving them from the network would.
fn receive(run: &Run, order: &[usize]) -> [Document; 3] {
    let mut docs = run.base.clone();
    let mut pending: Vec<usize> = order.to_vec();
    loop {
        let before = pending.len();
        pending.retain(|&i| {
            let (name, change) = &run.changes[i];
            let view = PeopleView::read(docs[0].automerge());
            let doc = doc_for(&mut docs, *name);
            let parsed: Change = parse_change(&change.bytes).unwrap();
            match Verifier::new(doc.id()).verify(doc, &view, &parsed, change.signature.as_ref()) {
                Ok(_) => {
                    doc.apply([parsed]).unwrap();
                    false
                }
                Err(e) if e.is_retryable() => true,
                Err(e) => panic!("an honest change was rejected: {e}"),
            }
        });
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    assert!(pending.is_empty(), "{} changes never became acceptable", pending.len());
    docs
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_same_changes_in_any_order_give_the_same_documents(
        script in prop::collection::vec((0usize..3, 0u8..9, 0u32..10_000), 1..40),
        seeds in prop::collection::vec(any::<u64>(), 3),
    ) {
        let run = play(&script);
        let reference = receive(&run, &(0..run.changes.len()).collect::<Vec<_>>());
        for seed in seeds {
            let docs = receive(&run, &permutation(run.changes.len(), seed));
            for (a, b) in reference.iter().zip(&docs) {
                prop_assert_eq!(sorted_heads(a), sorted_heads(b));
                prop_assert_eq!(json(a), json(b));
            }
            prop_assert_eq!(BoardView::read(reference[1].automerge()), BoardView::read(docs[1].automerge()));
            prop_assert_eq!(LedgerView::read(reference[2].automerge()), LedgerView::read(docs[2].automerge()));
            prop_assert_eq!(PeopleView::read(reference[0].automerge()), PeopleView::read(docs[0].automerge()));
        }
        // Every replica, once it has everything, agrees with the reference too.
        for r in &run.replicas {
            let mut mine = [r.people.clone(), r.board.clone(), r.ledger.clone()];
            for (doc, other) in mine.iter_mut().zip(&reference) {
                doc.apply(other.automerge().get_changes(&[])).unwrap();
                prop_assert_eq!(json(doc), json(other));
            }
        }
    }

    #[test]
    fn every_document_survives_save_and_load(
        script in prop::collection::vec((0usize..3, 0u8..9, 0u32..10_000), 1..30),
        split in 0usize..30,
    ) {
        let run = play(&script);
        let docs = receive(&run, &(0..run.changes.len()).collect::<Vec<_>>());
        for doc in &docs {
            // A snapshot alone, and a snapshot of an earlier state plus the later changes.
            let loaded = Document::load(doc.id(), Some(&doc.save()), &[]).unwrap();
            prop_assert_eq!(sorted_heads(&loaded), sorted_heads(doc));
            prop_assert_eq!(json(&loaded), json(doc));
            let all = doc.automerge().get_changes(&[]);
            let cut = split.min(all.len());
            let mut early = automerge::Automerge::new();
            early.apply_changes(all[..cut].to_vec()).unwrap();
            let rest: Vec<Vec<u8>> = all[cut..].iter().map(|c| c.raw_bytes().to_vec()).collect();
            let loaded = Document::load(doc.id(), Some(&early.save()), &rest).unwrap();
            prop_assert_eq!(json(&loaded), json(doc));
        }
        prop_assert_eq!(PeopleView::read(Document::load(docs[0].id(), Some(&docs[0].save()), &[]).unwrap().automerge()), PeopleView::read(docs[0].automerge()));
    }
}

/// Views refreshed record by record after each write equal views read anew: the node keeps
/// its views this way instead of re-reading a year of history after every change.
#[test]
fn refreshed_views_equal_fresh_reads() {
    let today: Date = "2026-06-10".parse().unwrap();
    let now = Timestamp::midday(today);
    let (_, ana) = Identity::generate();
    let (_, bob) = Identity::generate();
    let (community, mut people, _) = people::found(&ana, "Riverside", "Ana", now).unwrap();
    people.admit_member(&ana, bob.member(), "Bob", bob.device(), bob.cert(), now).unwrap();
    let mut pv = PeopleView::read(people.automerge());
    let update = ProfileUpdate { hours_per_week: Some(Minutes(90)), ..Default::default() };
    people.update_profile(&bob, &update, now).unwrap();
    pv.refresh_member(people.automerge(), bob.member());
    people.add_guild(GuildId::random(), &ana, "Garden", &"food".parse().unwrap(), "", now).unwrap();
    pv.refresh_settings(people.automerge());
    assert_eq!(pv, PeopleView::read(people.automerge()));

    let (mut board, _) = Document::from_genesis(DocId { community, name: DocName::Board }).unwrap();
    let mut bv = BoardView::read(board.automerge());
    let mut tasks = Vec::new();
    for i in 0..5 {
        let task = NewTask {
            title: format!("Task {i}"),
            description: String::new(),
            sector: "food".parse().unwrap(),
            guild: None,
            skills: Default::default(),
            hours: Minutes(60),
            slots: 2,
            urgency: Urgency::Normal,
            deadline: None,
            location: None,
            open_to_neighbours: false,
        };
        let t = TaskId::random();
        board.add_task(t, &ana, &task, &pv, today, now).unwrap();
        bv.refresh_task(board.automerge(), t);
        tasks.push(t);
    }
    for (who, t, action) in [
        (&ana, tasks[0], PledgeAction::Pledge),
        (&bob, tasks[0], PledgeAction::Pledge),
        (&bob, tasks[0], PledgeAction::Withdraw),
        (&bob, tasks[3], PledgeAction::Pledge),
        (&bob, tasks[3], PledgeAction::Done),
    ] {
        board.set_pledge(who, t, action, &pv, now).unwrap();
        bv.refresh_task(board.automerge(), t);
        assert_eq!(bv, BoardView::read(board.automerge()));
    }
    let edit = crate::model::TaskEdit { title: Some("Renamed".into()), ..Default::default() };
    board.edit_task(&ana, tasks[2], &edit, &pv, today, now).unwrap();
    bv.refresh_task(board.automerge(), tasks[2]);
    board.raise_flag(FlagId::random(), &bob, Some(tasks[2]), None, "too much at once", &pv, now).unwrap();
    bv.refresh_flags(board.automerge());
    assert_eq!(bv, BoardView::read(board.automerge()));

    let (mut ledger, _) = Document::from_genesis(DocId { community, name: DocName::Ledger(2026) }).unwrap();
    let mut lv = LedgerView::read(ledger.automerge());
    let entry = check_entry(Minutes(60), Some((tasks[0], "food".parse().unwrap())), None, today, "", today).unwrap();
    let e = EntryId::random();
    ledger.log_hours(e, &ana, &entry, now).unwrap();
    lv.refresh_entry(ledger.automerge(), e);
    ledger.confirm_entry(&bob, e, now).unwrap();
    lv.refresh_entry(ledger.automerge(), e);
    ledger.give_feedback(&bob, tasks[0], Verdict::More, now).unwrap();
    lv.refresh_pair(ledger.automerge(), crate::PledgeId { task: tasks[0], member: bob.member() });
    ledger.decline_task(&ana, tasks[1], now).unwrap();
    lv.refresh_pair(ledger.automerge(), crate::PledgeId { task: tasks[1], member: ana.member() });
    assert_eq!(lv, LedgerView::read(ledger.automerge()));
}
