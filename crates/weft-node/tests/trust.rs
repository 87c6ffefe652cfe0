//! A peer never trusts another peer's bytes: forged, tampered, non-member and removed-member
//! changes are refused and never reach anyone else, and a non-member on the gossip topic
//! cannot read what is said there. The attackers are raw weft-net swarms driven by the test,
//! speaking Weft's protocols with changes made by weft-core and then damaged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::evil::*;
use common::*;
use weft_core::doc::membership::Membership;
use weft_core::doc::people::PeopleView;
use weft_core::doc::{DocName, Document};
use weft_core::identity::{Identity, SignedChange};
use weft_core::{CommunityId, TaskId, Timestamp};
use weft_net::wire::{GossipFrame, RefusalCode};
use weft_net::{NetEvent, Response as WireResponse, topic_for};
use weft_node::{Request, Response};

/// The founder A and a member C who is connected to A only; C must never see what A refused.
async fn setup() -> (Peer, Peer, String, CommunityId) {
    let a = peer(Some("Ana")).await;
    a.node.execute(Request::CommunityCreate { name: "Riverside".into() }).await.unwrap();
    let link = invite(&a.node).await;
    let c = peer(Some("Cleo")).await;
    join(&c, &link, "Cleo").await;
    let community = community_id(&a.node).await;
    (a, c, link, community)
}

/// A makes a change after the attack; once C has it, C would have had the attacker's too.
async fn control_change_arrives(a: &Peer, c: &Peer, forbidden: &str) {
    a.node.execute(task("after the attack")).await.unwrap();
    until_has(&c.node, "after the attack").await;
    assert!(!titles(&a.node).await.contains(&forbidden.to_owned()), "A applied '{forbidden}'");
    assert!(!titles(&c.node).await.contains(&forbidden.to_owned()), "'{forbidden}' was forwarded to C");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forged_signature_is_rejected_and_not_forwarded() {
    let (a, c, link, community) = setup().await;
    let mut incidents = a.node.subscribe();
    let mut e = evil(&a).await;
    e.join(&link, &a).await;
    let people = export(&a.node, DocName::People, community).await;
    let mut board = export(&a.node, DocName::Board, community).await;
    let change = task_change(&e.id, &people, &mut board, "forged");
    let mut forged = wire(&change);
    if let Some(sig) = &mut forged.signature {
        sig[10] ^= 0x40;
    }
    e.wait_subscribed(&topic_for(&community)).await;
    e.gossip(community, &people, vec![forged]).await;
    let what = until_incident(&mut incidents, "signature").await;
    assert!(what.contains("failed verification"), "{what}");
    control_change_arrives(&a, &c, "forged").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tampered_change_is_refused() {
    let (a, c, link, community) = setup().await;
    let mut incidents = a.node.subscribe();
    let e = evil(&a).await;
    e.join(&link, &a).await;
    let people = export(&a.node, DocName::People, community).await;
    let mut board = export(&a.node, DocName::Board, community).await;
    let change = task_change(&e.id, &people, &mut board, "tampered");
    let mut tampered = wire(&change);
    let at = tampered.bytes.len() - 3;
    tampered.bytes[at] ^= 0x01;
    let before = export(&a.node, DocName::Board, community).await;
    match e.sync(&a, community, &before, &tampered).await {
        WireResponse::Refused(r) => assert_eq!(r.code, RefusalCode::Invalid, "{r:?}"),
        other => panic!("{other:?}"),
    }
    until_incident(&mut incidents, "failed verification").await;
    control_change_arrives(&a, &c, "tampered").await;
}

/// A frame needs one signature per device: a signed change vouches for its device's earlier
/// changes it descends from. So a member could try to slip in, under another member's name, an
/// unsigned change that its own signed change builds on. Nothing vouches for it: refused, and
/// the member's own change with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bundle_cannot_carry_a_change_under_another_members_name() {
    use automerge::transaction::Transactable;
    let (a, c, link, community) = setup().await;
    let mut incidents = a.node.subscribe();
    let e = evil(&a).await;
    e.join(&link, &a).await;
    let cleo = match c.node.execute(Request::Whoami).await.unwrap() {
        Response::Identity(i) => i.device,
        other => panic!("{other:?}"),
    };
    let people = export(&a.node, DocName::People, community).await;
    let before = export(&a.node, DocName::Board, community).await;
    let mut board = export(&a.node, DocName::Board, community).await;
    // In Cleo's name, unsigned: a note on the board's root.
    let mut raw = board.automerge().clone();
    raw.set_actor(automerge::ActorId::from(cleo.as_bytes().as_slice()));
    let mut tx = raw.transaction();
    tx.put(automerge::ROOT, "in cleo's name", "forged").unwrap();
    tx.commit();
    let forged = raw.get_last_local_change().unwrap();
    board.apply([forged.clone()]).unwrap();
    // The evil member's own task on top of it, properly signed.
    let own = task_change(&e.id, &people, &mut board, "built on a forgery");
    let bundle = board.automerge().bundle([forged.hash(), own.hash]).unwrap().bytes().to_vec();
    let signatures = vec![(own.hash, own.signature.unwrap().0)];
    // A bundle that cannot be read is refused whole (and costs the sender nothing more: it
    // may be a bug rather than an attack).
    let mut damaged = bundle.clone();
    damaged[0] ^= 0x55;
    match e.sync_bundle(&a, community, &before, damaged, signatures.clone()).await {
        WireResponse::Refused(r) => {
            assert_eq!(r.code, RefusalCode::Invalid, "{r:?}");
            assert!(r.reason.contains("bundle"), "{r:?}");
        }
        other => panic!("{other:?}"),
    }
    match e.sync_bundle(&a, community, &before, bundle, signatures).await {
        WireResponse::Refused(r) => assert_eq!(r.code, RefusalCode::Invalid, "{r:?}"),
        other => panic!("{other:?}"),
    }
    let what = until_incident(&mut incidents, "vouches").await;
    assert!(what.contains("failed verification"), "{what}");
    control_change_arrives(&a, &c, "built on a forgery").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_non_member_can_neither_write_nor_read() {
    let (a, c, _link, community) = setup().await;
    let mut e = evil(&a).await;
    let people = export(&a.node, DocName::People, community).await;
    let mut board = export(&a.node, DocName::Board, community).await;
    // Its own change, properly signed by a device nobody admitted.
    let change = task_change_unchecked(&e.id, &people, &mut board, "from outside");
    let before = export(&a.node, DocName::Board, community).await;
    match e.sync(&a, community, &before, &wire(&change)).await {
        WireResponse::Refused(r) => assert_eq!(r.code, RefusalCode::NotAMember, "{r:?}"),
        other => panic!("{other:?}"),
    }
    // It listens on the topic: what it hears is sealed, and no key is sealed to it.
    let topic = topic_for(&community);
    e.net.subscribe(topic.clone()).await.unwrap();
    // Our subscription reaches A at some point; A keeps posting until one is heard.
    let mut heard = None;
    for round in 0..20 {
        a.node.execute(task(&format!("a secret meeting place {round}"))).await.unwrap();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, e.events.recv()).await {
            if let NetEvent::Gossip { data, .. } = event {
                heard = Some(data);
                break;
            }
        }
        if heard.is_some() {
            break;
        }
    }
    let heard = heard.expect("the non-member hears the topic");
    let frame = GossipFrame::decode(&heard).unwrap();
    assert!(!heard.windows(6).any(|w| w == b"secret"), "the payload travels in the clear");
    let people = export(&a.node, DocName::People, community).await;
    let membership = Membership::read(people.automerge());
    assert!(membership.key(&frame.key_id, e.id.device_key()).is_none());
    control_change_arrives(&a, &c, "from outside").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_removed_member_is_refused_and_cannot_read_new_gossip() {
    let (a, c, link, community) = setup().await;
    let mut incidents = a.node.subscribe();
    let mut e = evil(&a).await;
    e.join(&link, &a).await;
    // What Mallory holds before being removed: the documents and the data key of the time.
    let people = export(&a.node, DocName::People, community).await;
    let mut board = export(&a.node, DocName::Board, community).await;
    e.wait_subscribed(&topic_for(&community)).await;
    a.node.execute(Request::MemberRemove { community: None, member: e.id.member().to_string() }).await.unwrap();
    // Mallory writes anyway, with the old key.
    let change = task_change(&e.id, &people, &mut board, "after removal");
    e.gossip(community, &people, vec![wire(&change)]).await;
    let what = until_incident(&mut incidents, "removed").await;
    assert!(what.contains("failed verification"), "{what}");
    control_change_arrives(&a, &c, "after removal").await;
    // The new key was sealed to Cleo, not to Mallory.
    let people = export(&a.node, DocName::People, community).await;
    let m = Membership::read(people.automerge());
    assert_eq!(m.current().map(|e| e.n), Some(1));
    assert!(m.current_key(e.id.device_key()).is_none());
    assert_eq!(m.current().map(|ep| ep.seals.len()), Some(2), "sealed to Ana's and Cleo's devices only");
}

/// A task change by someone the documents do not know as a member: the writer's own check
/// would refuse it, so the attacker writes against a view that pretends it is one.
fn task_change_unchecked(who: &Identity, people: &Document, board: &mut Document, title: &str) -> SignedChange {
    let mut view = PeopleView::read(people.automerge());
    view.members.insert(
        who.member(),
        weft_core::model::Member {
            id: who.member(),
            name: "Outsider".into(),
            admitted_by: who.member(),
            admitted_at: Timestamp(0),
            devices: [(who.device(), who.cert())].into(),
            device_records: Default::default(),
            profile: Default::default(),
            removed: false,
        },
    );
    let task = new_task(title);
    let now = Timestamp(1_790_000_000_000);
    board.add_task(TaskId::random(), who, &task, &view, now.date(), now).unwrap()
}
