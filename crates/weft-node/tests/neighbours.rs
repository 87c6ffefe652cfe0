//! Two communities of real nodes (each with its own SQLite data directory and libp2p swarm on
//! loopback) linked as neighbours by invitation: the commons syncs between them and through
//! each community's own members, an urgent task escalates to the neighbours with the skills it
//! asks for, a traveller pledges and logs hours, a need is suggested to the member who can help,
//! and nothing but the commons crosses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use weft_core::model::{NewTask, Urgency};
use weft_core::{Minutes, TaskId};
use weft_node::api::{CallInfo, NeighboursInfo, TaskInput};
use weft_node::clock::Clock;
use weft_node::{Node, Request, Response};

/// A founder and `n - 1` members of a community called `name`.
async fn community_of(name: &str, founder: &str, n: usize) -> Vec<Peer> {
    let a = peer(Some(founder)).await;
    a.node.execute(Request::CommunityCreate { name: name.into() }).await.unwrap();
    let link = invite(&a.node).await;
    let mut peers = vec![a];
    for i in 1..n {
        let who = format!("{founder}'s neighbour {i}");
        let p = peer(Some(&who)).await;
        match p.node.execute(Request::Join { code: link.clone(), name: Some(who.clone()) }).await {
            Ok(Response::Community(c)) => assert_eq!(c.name, name),
            other => panic!("{who} could not join: {other:?}"),
        }
        peers.push(p);
    }
    for p in &peers {
        until_members(&p.node, n).await;
    }
    peers
}

async fn neighbours(node: &Node) -> NeighboursInfo {
    match node.execute(Request::Neighbours { community: None }).await.unwrap() {
        Response::Neighbours(n) => n,
        other => panic!("{other:?}"),
    }
}

async fn calls(node: &Node) -> Vec<CallInfo> {
    match node.execute(Request::Calls { community: None }).await {
        Ok(Response::Calls(c)) => c,
        _ => Vec::new(),
    }
}

/// Waits until `check` holds of `node`'s calls.
async fn until_calls(node: &Node, what: &str, check: impl Fn(&[CallInfo]) -> bool + Clone) {
    let probe = node.clone();
    until(node, what, move || {
        let probe = probe.clone();
        let check = check.clone();
        async move { check(&calls(&probe).await) }
    })
    .await;
}

fn urgent(title: &str) -> Request {
    Request::TaskAdd {
        community: None,
        task: TaskInput {
            task: NewTask {
                title: title.into(),
                description: "The storm took half the nets".into(),
                sector: "food".parse().unwrap(),
                guild: None,
                skills: ["net-mending".parse().unwrap()].into(),
                hours: Minutes::from_hours(3),
                slots: 2,
                urgency: Urgency::Urgent,
                // Due today: escalation does not wait its 48 hours.
                deadline: Some(Clock::system(0).today()),
                location: Some("The harbour".into()),
                open_to_neighbours: true,
            },
            guild_ref: None,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn linked_communities_share_a_commons_escalate_and_welcome_visitors() {
    let coast = community_of("Coast", "Ana", 3).await;
    let hills = community_of("Hills", "Bo", 3).await;

    // A member of Coast invites; a member of Hills accepts.
    let link = match coast[0].node.execute(Request::NeighbourInvite { community: None, hours: 24 }).await.unwrap() {
        Response::Invite(i) => i.link,
        other => panic!("{other:?}"),
    };
    match hills[0].node.execute(Request::NeighbourAccept { community: None, code: link.clone() }).await {
        Ok(Response::Neighbours(n)) => {
            assert_eq!(n.neighbours.len(), 1, "{n:?}");
            assert_eq!(n.neighbours[0].name, "Coast");
            assert!(n.neighbours[0].live);
        }
        other => panic!("accepting the neighbour invitation failed: {other:?}"),
    }
    // Used once: a second use by the same community is no new link, and the link stands on
    // both sides, each side's commons reaching the other side's members.
    for p in coast.iter().chain(&hills) {
        let probe = p.node.clone();
        until(&p.node, "the link on both sides", move || {
            let probe = probe.clone();
            async move {
                let n = neighbours(&probe).await;
                n.neighbours.len() == 1 && n.neighbours[0].live && n.neighbours[0].theirs_live == Some(true)
            }
        })
        .await;
    }

    // Coast describes itself; Hills' members read it in their neighbours' list.
    coast[1]
        .node
        .execute(Request::DirectorySet {
            community: None,
            about: Some("Fishing and boats".into()),
            location: Some("The coast road".into()),
            languages: Some("English, Spanish".into()),
            hosts: Some(4),
            escalate_after_hours: Some(24),
        })
        .await
        .unwrap();
    let probe = hills[1].node.clone();
    until(&hills[1].node, "Coast's directory entry at Hills", move || {
        let probe = probe.clone();
        async move {
            neighbours(&probe)
                .await
                .neighbours
                .iter()
                .any(|n| n.location.as_deref() == Some("The coast road") && n.hosts == 4 && n.members == 3)
        }
    })
    .await;

    // A traveller of Hills says they like to travel, and what they know.
    let traveller = &hills[2].node;
    let level = weft_core::model::SkillLevel::new;
    let update = weft_core::model::ProfileUpdate {
        willing_to_travel: Some(true),
        hours_per_week: Some(Minutes::from_hours(6)),
        skills: [("net-mending".parse().unwrap(), level(3)), ("boat-repair".parse().unwrap(), level(4))].into(),
        ..Default::default()
    };
    traveller.execute(Request::ProfileSet { community: None, update }).await.unwrap();

    // An urgent task in Coast, short of people and due today, goes to the neighbours by itself.
    let task = match coast[1].node.execute(urgent("Mend the nets")).await.unwrap() {
        Response::Task(t) => t.summary.task.id,
        other => panic!("{other:?}"),
    };
    until_calls(traveller, "the escalated call at a traveller of Hills", move |c: &[CallInfo]| {
        c.iter().any(|c| c.task == task && c.escalated && !c.ours)
    })
    .await;
    let call = calls(traveller).await.into_iter().find(|c| c.task == task).unwrap();
    assert_eq!(call.skills, ["net-mending".parse().unwrap()], "the call asks for the task's skills");

    // The matcher suggests it to the traveller, saying why; the traveller takes it (a pledge
    // through the commons) and Coast's members see who from Hills did.
    match traveller.execute(Request::Suggest { community: None, member: None, limit: 10 }).await.unwrap() {
        Response::Suggestions(s) => {
            let item = s
                .suggestions
                .items
                .iter()
                .find(|i| i.task == task)
                .unwrap_or_else(|| panic!("the call is not suggested: {s:?}"));
            let words = format!("{:?}", item.reasons);
            assert!(words.contains("Coast"), "the reasons name the community: {words}");
            assert!(words.contains("you know net-mending (3/5)"), "the call's skills weigh: {words}");
        }
        other => panic!("{other:?}"),
    }

    // A member of Coast states a need; the matcher suggests it to the traveller, who knows
    // boat repair, and not to a member of Hills who knows nothing it names.
    coast[2]
        .node
        .execute(Request::NoticePost {
            community: None,
            kind: weft_node::api::NoticeKindInput::Need,
            title: "The old dinghy leaks".into(),
            description: "Someone who knows boat repair, for an afternoon".into(),
            sector: None,
        })
        .await
        .unwrap();
    let probe = traveller.clone();
    until(traveller, "the need among the traveller's suggestions", move || {
        let probe = probe.clone();
        async move {
            match probe.execute(Request::Suggest { community: None, member: None, limit: 10 }).await {
                Ok(Response::Suggestions(s)) => s.needs.iter().any(|n| {
                    n.title == "The old dinghy leaks"
                        && n.community == "Coast"
                        && n.reasons.iter().any(|r| r.text.contains("boat-repair (4/5)"))
                }),
                _ => false,
            }
        }
    })
    .await;
    let probe = hills[1].node.clone();
    until(&hills[1].node, "the need at another member of Hills", move || {
        let probe = probe.clone();
        async move {
            match probe.execute(Request::Notices { community: None }).await {
                Ok(Response::Notices(n)) => n.iter().any(|n| n.title == "The old dinghy leaks"),
                _ => false,
            }
        }
    })
    .await;
    let update = weft_core::model::ProfileUpdate {
        willing_to_travel: Some(true),
        hours_per_week: Some(Minutes::from_hours(6)),
        ..Default::default()
    };
    hills[1].node.execute(Request::ProfileSet { community: None, update }).await.unwrap();
    match hills[1].node.execute(Request::Suggest { community: None, member: None, limit: 10 }).await.unwrap() {
        Response::Suggestions(s) => assert!(s.needs.is_empty(), "nothing ties this member to the need: {s:?}"),
        other => panic!("{other:?}"),
    }
    let short: String = task.to_string().chars().take(8).collect();
    let pledge = weft_node::api::PledgeActionInput::Pledge;
    match traveller.execute(Request::Pledge { task: short.clone(), action: pledge }).await.unwrap() {
        Response::Call(c) => assert!(c.visitors.iter().any(|v| v.community_name == "Hills"), "{c:?}"),
        other => panic!("{other:?}"),
    }
    until_calls(&coast[2].node, "the visitor's pledge at Coast", move |c: &[CallInfo]| {
        c.iter().any(|c| c.task == task && c.visitors.iter().any(|v| v.community_name == "Hills"))
    })
    .await;

    // Hours: in the traveller's own ledger, and as visitors' hours on Coast's call.
    let logged = traveller
        .execute(Request::CallLog { community: None, call: short.clone(), minutes: Minutes::from_hours(3), date: None })
        .await
        .unwrap();
    assert!(matches!(logged, Response::Entry(_)), "{logged:?}");
    match traveller.execute(Request::MyHours { community: None, year: None }).await.unwrap() {
        Response::Hours(y) => assert!(y.total.get() >= 180, "{y:?}"),
        other => panic!("{other:?}"),
    }
    until_calls(&coast[0].node, "the visitor's hours at Coast", move |c: &[CallInfo]| {
        c.iter().any(|c| c.task == task && c.visitor_minutes.get() == 180)
    })
    .await;

    // Coast's progress shows the visitors' hours beside its members'.
    let probe = coast[0].node.clone();
    until(&coast[0].node, "visitors' hours in Coast's progress", move || {
        let probe = probe.clone();
        async move {
            match probe.execute(Request::Progress { community: None, month: None }).await {
                Ok(Response::Progress(p)) => p.sectors.iter().any(|s| s.visitors.is_some_and(|m| m.get() == 180)),
                _ => false,
            }
        }
    })
    .await;
    // `weft peers` names the neighbour's members as such.
    let peers = peers_of(&coast[0].node).await;
    assert!(peers.peers.iter().any(|p| p.member.as_deref().is_some_and(|m| m.ends_with("of Hills"))), "{peers:?}");

    // Hills holds Coast's commons, never its people, board or ledgers.
    for p in &hills {
        match p.node.execute(Request::CommunityList).await.unwrap() {
            Response::Communities(list) => {
                assert_eq!(list.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Hills"]);
            }
            other => panic!("{other:?}"),
        }
        let coast_task: Result<Response, _> = p.node.execute(Request::TaskShow { task: task.to_string() }).await;
        assert!(coast_task.is_err(), "a member of Hills holds Coast's board: {coast_task:?}");
    }

    // A member of Dunes, a community nobody here linked, reaches Coast: nothing is shared with
    // it, and `weft peers` says why.
    let dunes = community_of("Dunes", "Cy", 1).await;
    dunes[0].node.dial(coast[0].address.clone()).await.unwrap();
    let probe = coast[0].node.clone();
    until(&coast[0].node, "Dunes' peer refused in words", move || {
        let probe = probe.clone();
        async move {
            peers_of(&probe).await.peers.iter().any(|p| {
                p.problem.as_deref().is_some_and(|w| w.contains("nor of a linked neighbour")) && p.member.is_none()
            })
        }
    })
    .await;
    let dunes_sees = calls(&dunes[0].node).await;
    assert!(dunes_sees.is_empty(), "Dunes sees Coast's calls: {dunes_sees:?}");

    // Coast ends the link: every member of Coast sees it ended.
    match coast[0].node.execute(Request::NeighbourEnd { community: None, neighbour: "Hills".into() }).await.unwrap() {
        Response::Neighbours(n) => assert!(!n.neighbours[0].live, "{n:?}"),
        other => panic!("{other:?}"),
    }
    let probe = coast[2].node.clone();
    until(&coast[2].node, "the end of the link at every member of Coast", move || {
        let probe = probe.clone();
        async move { neighbours(&probe).await.neighbours.iter().all(|n| !n.live) }
    })
    .await;
    // The traveller, not knowing yet, withdraws. The change goes nowhere: whichever peer holds
    // the end of the link (Hills' peer, if the end reached it, or Coast's) cannot take it in,
    // and says so in `weft peers`.
    traveller.execute(Request::CallPledge { community: None, call: short, withdraw: true }).await.unwrap();
    let (a0, b0) = (coast[0].node.clone(), hills[0].node.clone());
    until_on(&[&coast[0].node, &hills[0].node], "a refusal in words", move || {
        let (a0, b0) = (a0.clone(), b0.clone());
        async move {
            let said = |p: &weft_node::api::PeersInfo| {
                p.peers.iter().any(|p| {
                    p.docs.iter().any(|d| {
                        matches!(&d.state, weft_node::api::SyncStatus::Failed { reason }
                            if reason.contains("cannot take in") || reason.contains("not shared with your community"))
                    })
                })
            };
            said(&peers_of(&a0).await) || said(&peers_of(&b0).await)
        }
    })
    .await;
    for p in &coast {
        let at_coast = calls(&p.node).await;
        let visitor = at_coast.iter().find(|c| c.task == task).and_then(|c| c.visitors.first()).cloned();
        assert_eq!(
            visitor.map(|v| v.state),
            Some(weft_core::model::PledgeState::Pledged),
            "a withdrawal written after the link ended must not reach Coast"
        );
    }
    let _: TaskId = task;
}
