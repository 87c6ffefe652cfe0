//! The node API end to end, on real SQLite files in temporary directories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use weft_core::model::{NewTask, ProfileUpdate, SkillLevel, Urgency, Verdict};
use weft_core::{Minutes, Timestamp};
use weft_node::api::{PledgeActionInput, TaskInput};
use weft_node::{Clock, ErrorCode, Event, Node, NodeConfig, Request, Response, TimeHand};

const NOW: i64 = 1_779_796_800_000; // 2026-05-26 12:00 UTC

async fn open(dir: &std::path::Path) -> Node {
    let node =
        Node::open(NodeConfig { data_dir: dir.to_path_buf(), clock: Clock::fixed(Timestamp(NOW)) }).await.unwrap();
    // Documents rest whenever the node waits for a request, so every test here also checks
    // that loading them again on demand loses and breaks nothing.
    node.set_rest_after(Duration::ZERO).await.unwrap();
    node
}

fn task(title: &str, slots: u32) -> TaskInput {
    TaskInput {
        task: NewTask {
            title: title.into(),
            description: "Bring gloves".into(),
            sector: "food".parse().unwrap(),
            guild: None,
            skills: ["gardening".parse().unwrap()].into(),
            hours: Minutes::from_hours(2),
            slots,
            urgency: Urgency::Urgent,
            deadline: None,
            location: Some("Mill Lane garden".into()),
            open_to_neighbours: false,
        },
        guild_ref: None,
    }
}

async fn founded(dir: &std::path::Path) -> Node {
    let node = open(dir).await;
    node.execute(Request::Init { name: "Ana".into() }).await.unwrap();
    node.execute(Request::CommunityCreate { name: "Riverside".into() }).await.unwrap();
    node
}

/// A node on a clock that moves only when the test moves it: the test advances time and asks
/// the node to do what fell due (`Node::tick`), instead of waiting.
async fn open_on_hand(dir: &std::path::Path) -> (Node, TimeHand) {
    let (clock, hand) = Clock::manual(Timestamp(NOW));
    (Node::open(NodeConfig { data_dir: dir.to_path_buf(), clock }).await.unwrap(), hand)
}

async fn founded_on_hand(dir: &std::path::Path) -> (Node, TimeHand) {
    let (node, hand) = open_on_hand(dir).await;
    node.execute(Request::Init { name: "Ana".into() }).await.unwrap();
    node.execute(Request::CommunityCreate { name: "Riverside".into() }).await.unwrap();
    (node, hand)
}

#[tokio::test]
async fn a_member_runs_a_community_and_it_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let node = founded(dir.path()).await;
    let mut events = node.subscribe();

    let update = ProfileUpdate {
        skills: [("gardening".parse().unwrap(), SkillLevel::new(4))].into(),
        hours_per_week: Some(Minutes::from_hours(3)),
        ..Default::default()
    };
    node.execute(Request::ProfileSet { community: None, update }).await.unwrap();
    let Response::Task(t) = node
        .execute(Request::TaskAdd { community: Some("riverside".into()), task: task("Weed the beds", 2) })
        .await
        .unwrap()
    else {
        panic!()
    };
    let id = t.summary.task.id.to_string();
    let short = id[..6].to_string();
    let Response::Pledge(p) =
        node.execute(Request::Pledge { task: short.clone(), action: PledgeActionInput::Pledge }).await.unwrap()
    else {
        panic!()
    };
    assert_eq!((p.taken, p.slots), (1, 2));
    let Response::Entry(e) = node
        .execute(Request::Log {
            community: None,
            task: Some(short.clone()),
            sector: None,
            minutes: Minutes(90),
            date: None,
            note: "hot day".into(),
        })
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(e.sector.as_str(), "food");
    node.execute(Request::Feedback { task: short.clone(), verdict: Verdict::Enjoyed }).await.unwrap();

    // The changes were announced.
    let first = tokio::time::timeout(Duration::from_secs(5), events.recv()).await.unwrap().unwrap();
    assert!(matches!(first, Event::DocumentChanged { .. }));

    let Response::Progress(p) = node.execute(Request::Progress { community: None, month: None }).await.unwrap() else {
        panic!()
    };
    let food = p.sectors.iter().find(|s| s.sector.as_str() == "food").unwrap();
    assert_eq!(food.done, Minutes(90));
    assert_eq!(food.goal, Minutes(20 * 60 / 12), "one member: 20 h a year is 1 h 40 a month");

    node.close().await;
    let node = open(dir.path()).await;
    let Response::Task(t) = node.execute(Request::TaskShow { task: short }).await.unwrap() else { panic!() };
    assert_eq!(t.summary.taken, 1);
    assert_eq!(t.hours_logged, Minutes(90));
    assert_eq!(t.pledges[0].name, "Ana");
    let Response::Member(me) = node.execute(Request::ProfileShow { community: None, member: None }).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(me.profile.hours_per_week, Minutes::from_hours(3));
}

#[tokio::test]
async fn refusals_say_why_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let node = founded(dir.path()).await;
    let Response::Task(t) =
        node.execute(Request::TaskAdd { community: None, task: task("One place", 1) }).await.unwrap()
    else {
        panic!()
    };
    let id = t.summary.task.id.to_string();
    node.execute(Request::Pledge { task: id.clone(), action: PledgeActionInput::Pledge }).await.unwrap();

    let before = node.execute(Request::Status).await.unwrap();
    let cases = vec![
        (
            Request::Pledge { task: id.clone(), action: PledgeActionInput::Pledge },
            ErrorCode::Invalid,
            "already pledged",
        ),
        (Request::Pledge { task: "zz".into(), action: PledgeActionInput::Pledge }, ErrorCode::Invalid, "at least 4"),
        (Request::Pledge { task: "aaaaaa".into(), action: PledgeActionInput::Pledge }, ErrorCode::NotFound, "no task"),
        (
            Request::Log {
                community: None,
                task: None,
                sector: Some("food".parse().unwrap()),
                minutes: Minutes(25 * 60),
                date: None,
                note: String::new(),
            },
            ErrorCode::Invalid,
            "at most 24 h",
        ),
        (
            Request::Log {
                community: None,
                task: None,
                sector: Some("food".parse().unwrap()),
                minutes: Minutes(0),
                date: None,
                note: String::new(),
            },
            ErrorCode::Invalid,
            "more than 0",
        ),
        (
            Request::Log {
                community: None,
                task: None,
                sector: Some("fishing".parse().unwrap()),
                minutes: Minutes(60),
                date: None,
                note: String::new(),
            },
            ErrorCode::Invalid,
            "no sector 'fishing'",
        ),
        (
            Request::Log {
                community: None,
                task: None,
                sector: Some("food".parse().unwrap()),
                minutes: Minutes(60),
                date: Some("2026-07-01".parse().unwrap()),
                note: String::new(),
            },
            ErrorCode::Invalid,
            "in the future",
        ),
        (
            Request::TaskAdd {
                community: None,
                task: TaskInput { task: NewTask { title: "  ".into(), ..task("x", 1).task }, guild_ref: None },
            },
            ErrorCode::Invalid,
            "title is empty",
        ),
        (
            Request::TaskAdd {
                community: None,
                task: TaskInput { task: NewTask { slots: 0, ..task("x", 1).task }, guild_ref: None },
            },
            ErrorCode::Invalid,
            "from 1 to 1000",
        ),
        (Request::TaskAdd { community: None, task: task("x", 1) }.with_guild("nope"), ErrorCode::NotFound, "no guild"),
        (
            Request::TaskAdd { community: Some("Elsewhere".into()), task: task("x", 1) },
            ErrorCode::NotFound,
            "no community called",
        ),
        (Request::CommunityCreate { name: String::new() }, ErrorCode::Invalid, "name is empty"),
        (Request::Init { name: "Again".into() }, ErrorCode::AlreadyInitialised, "already belongs to Ana"),
    ];
    for (request, code, words) in cases {
        let err = node.execute(request.clone()).await.unwrap_err();
        assert_eq!(err.code, code, "{request:?}: {}", err.message);
        assert!(err.message.contains(words), "{request:?}: '{}' should mention '{words}'", err.message);
    }
    // The closed task refuses pledges too.
    node.execute(Request::TaskClose { task: id.clone() }).await.unwrap();
    node.execute(Request::Pledge { task: id.clone(), action: PledgeActionInput::Withdraw }).await.unwrap();
    let err = node.execute(Request::Pledge { task: id.clone(), action: PledgeActionInput::Pledge }).await.unwrap_err();
    assert!(err.message.contains("closed"), "{}", err.message);

    let Response::Status(b) = before else { panic!() };
    let Response::Status(a) = node.execute(Request::Status).await.unwrap() else { panic!() };
    let changes = |s: &weft_node::api::StatusInfo| s.documents.iter().map(|d| d.changes).sum::<u64>();
    assert_eq!(changes(&a), changes(&b) + 2, "only the close and the withdrawal were written");
}

trait WithGuild {
    fn with_guild(self, g: &str) -> Self;
}

impl WithGuild for Request {
    fn with_guild(self, g: &str) -> Self {
        match self {
            Request::TaskAdd { community, mut task } => {
                task.guild_ref = Some(g.into());
                Request::TaskAdd { community, task }
            }
            other => other,
        }
    }
}

#[tokio::test]
async fn one_process_at_a_time_writes_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let node = founded(dir.path()).await;
    let err = Node::open(NodeConfig { data_dir: dir.path().to_path_buf(), clock: Clock::fixed(Timestamp(NOW)) })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Busy);
    node.close().await;
    open(dir.path()).await.close().await;
}

#[tokio::test]
async fn the_control_socket_carries_requests_to_the_process_holding_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let node = founded(dir.path()).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(weft_node::control::serve(node.clone(), async {
        let _ = stopped.await;
    }));
    // Wait for the socket to accept, without sleeping: retry on the connection event.
    let mut client = loop {
        match weft_node::control::Client::connect(dir.path()).await {
            Ok(c) => break c,
            Err(_) => tokio::task::yield_now().await,
        }
    };
    let Response::Task(t) =
        client.call(&Request::TaskAdd { community: None, task: task("Through the socket", 3) }).await.unwrap()
    else {
        panic!()
    };
    // The holder sees it at once.
    let Response::Tasks(list) =
        node.execute(Request::TaskList { community: None, sector: None, open_only: true }).await.unwrap()
    else {
        panic!()
    };
    assert!(list.iter().any(|s| s.task.id == t.summary.task.id));
    let err = client.call(&Request::Pledge { task: "qq".into(), action: PledgeActionInput::Pledge }).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Invalid);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(!weft_node::control::socket_path(dir.path()).exists(), "the socket is removed on shutdown");
}

// ---- the matcher, through the node -------------------------------------------------------

async fn demo(dir: &std::path::Path, members: u32, seed: u64) -> (Node, String) {
    let node = open(dir).await;
    let Response::Demo(d) = node.execute(Request::Demo { members, seed, name: None }).await.unwrap() else { panic!() };
    assert!(d.urgent_open >= 1, "the demo should leave urgent work open: {d:?}");
    (node, d.community.id.to_string())
}

async fn suggest(node: &Node, community: &str, limit: u32) -> weft_node::api::SuggestionsInfo {
    let request = Request::Suggest { community: Some(community.into()), member: None, limit };
    match node.execute(request).await.unwrap() {
        Response::Suggestions(s) => s,
        other => panic!("{other:?}"),
    }
}

async fn plan(node: &Node, community: &str) -> weft_node::api::PlanInfo {
    match node.execute(Request::Plan { community: Some(community.into()) }).await.unwrap() {
        Response::Plan(p) => p,
        other => panic!("{other:?}"),
    }
}

async fn set_week(node: &Node, community: &str, hours: u32, travel: bool) {
    let update = ProfileUpdate {
        hours_per_week: Some(Minutes::from_hours(hours)),
        willing_to_travel: Some(travel),
        ..Default::default()
    };
    node.execute(Request::ProfileSet { community: Some(community.into()), update }).await.unwrap();
}

#[tokio::test]
async fn suggestions_explain_themselves_put_the_plan_first_and_respect_a_decline() {
    use weft_match::Term;
    let dir = tempfile::tempdir().unwrap();
    let (node, c) = demo(dir.path(), 40, 7).await;
    let Response::Identity(me) = node.execute(Request::Whoami).await.unwrap() else { panic!() };
    // Time this week, whatever the demo's year left in it.
    set_week(&node, &c, 30, false).await;

    let s = suggest(&node, &c, 10).await;
    assert!(s.is_me);
    assert_eq!(s.suggestions.member, me.member);
    assert_eq!(s.member_name, me.name);
    assert_eq!(s.suggestions.resting, None);
    assert!(!s.suggestions.items.is_empty(), "{s:?}");
    assert!(s.suggestions.items.len() <= 10);
    for item in &s.suggestions.items {
        assert!(!item.reasons.is_empty(), "{item:?}");
        assert!(item.reasons.iter().all(|r| !r.text.trim().is_empty()), "{item:?}");
        for term in [Term::Skill, Term::Urgency] {
            assert!(item.reasons.iter().any(|r| r.term == term), "{item:?} has no {term:?} reason");
        }
        assert_eq!(item.planned, item.reasons.iter().any(|r| r.term == Term::Plan), "{item:?}");
        assert!(item.neighbour.is_none(), "this data directory holds no other community");
        // Nothing the caller already took is suggested to them.
        let Response::Task(t) = node.execute(Request::TaskShow { task: item.task.to_string() }).await.unwrap() else {
            panic!()
        };
        assert!(matches!(t.my_pledge, None | Some(weft_core::model::PledgeState::Withdrawn)), "{t:?}");
    }
    // The caller's parts of the plan come first.
    let planned: Vec<bool> = s.suggestions.items.iter().map(|i| i.planned).collect();
    assert!(planned.windows(2).all(|w| w[0] >= w[1]), "planned parts first: {planned:?}");
    let p = plan(&node, &c).await;
    let mine: Vec<weft_core::TaskId> = p.parts.iter().filter(|part| part.member == me.member).map(|x| x.task).collect();
    let first: Vec<weft_core::TaskId> = s.suggestions.items.iter().filter(|i| i.planned).map(|i| i.task).collect();
    let mut mine_sorted = mine.clone();
    mine_sorted.sort();
    let mut first_sorted = first.clone();
    first_sorted.sort();
    assert_eq!(mine_sorted, first_sorted, "the suggestions' planned items are the caller's parts of the plan");
    if !mine.is_empty() {
        assert!(s.suggestions.items[0].planned);
    }

    // "Not for me" on the top suggestion: it is never suggested again, not even after a restart.
    let top = s.suggestions.items[0].clone();
    let Response::Declined { task, title } =
        node.execute(Request::Decline { community: None, task: top.task.to_string()[..8].into() }).await.unwrap()
    else {
        panic!()
    };
    assert_eq!((task, title.as_str()), (top.task, top.title.as_str()));
    let after = suggest(&node, &c, 100).await;
    assert!(!after.suggestions.items.is_empty());
    assert!(after.suggestions.items.iter().all(|i| i.task != top.task), "a declined task came back");
    assert!(plan(&node, &c).await.parts.iter().all(|x| !(x.member == me.member && x.task == top.task)));
    node.close().await;
    let node = open(dir.path()).await;
    assert!(suggest(&node, &c, 100).await.suggestions.items.iter().all(|i| i.task != top.task));
    // Declining again is fine (here in the same millisecond: nothing to write).
    let changes = async || {
        let Response::Status(s) = node.execute(Request::Status).await.unwrap() else { panic!() };
        s.documents.iter().map(|d| d.changes).sum::<u64>()
    };
    let before = changes().await;
    node.execute(Request::Decline { community: Some(c.clone()), task: top.task.to_string() }).await.unwrap();
    assert_eq!(changes().await, before);

    // Another member's suggestions, by name.
    let Response::Members(members) = node.execute(Request::Members { community: None }).await.unwrap() else {
        panic!()
    };
    let other = members.iter().find(|m| !m.is_me && m.profile.hours_per_week.get() > 0).unwrap();
    let request = Request::Suggest { community: None, member: Some(other.name.clone()), limit: 3 };
    let Response::Suggestions(theirs) = node.execute(request).await.map_err(|e| e.message).unwrap() else { panic!() };
    assert!(!theirs.is_me);
    assert_eq!((theirs.suggestions.member, theirs.member_name.as_str()), (other.id, other.name.as_str()));
}

#[tokio::test]
async fn the_plan_covers_urgent_places_first_fits_each_week_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let (node, c) = demo(dir.path(), 60, 11).await;
    let p = plan(&node, &c).await;
    assert!(p.urgent_open > 0, "{p:?}");
    assert!(p.urgent_covered > 0, "some urgent place is covered: {p:?}");
    assert!(p.urgent_covered <= p.urgent_open && p.places_covered <= p.places_open, "{p:?}");
    assert_eq!(p.places_covered as usize, p.parts.len());
    assert_eq!(p.urgent_covered as usize, p.parts.iter().filter(|x| x.urgent).count());
    let with_part: std::collections::BTreeSet<_> = p.parts.iter().map(|x| x.member).collect();
    assert_eq!(p.members_with_part as usize, with_part.len());
    assert!(p.members_with_part <= p.members_available);
    assert!(p.parts.iter().all(|x| !x.title.is_empty() && !x.member_name.is_empty()));
    // Urgent first: an urgent task left uncovered means nobody with time could take it, while
    // every urgent place the plan did not fill is accounted for.
    if p.urgent_covered < p.urgent_open {
        assert!(!p.urgent_uncovered.is_empty(), "{p:?}");
    } else {
        assert!(p.urgent_uncovered.is_empty(), "{p:?}");
    }
    assert!(p.urgent_uncovered.iter().all(|t| !t.title.is_empty() && t.places > 0), "{p:?}");
    let uncovered: u32 = p.urgent_uncovered.iter().map(|t| t.places).sum();
    assert_eq!(p.urgent_covered + uncovered, p.urgent_open, "every urgent place is covered or reported");

    // Nobody's parts exceed their week (one part alone may spread over two weeks for a member
    // with nothing else on), and nobody gets more than the plan's maximum.
    let Response::Members(members) = node.execute(Request::Members { community: None }).await.unwrap() else {
        panic!()
    };
    for m in &members {
        let parts: Vec<_> = p.parts.iter().filter(|x| x.member == m.id).collect();
        let total: u32 = parts.iter().map(|x| x.minutes).sum();
        let week = m.profile.hours_per_week.get();
        assert!(parts.len() <= weft_match::plan::MAX_PARTS as usize, "{}: {parts:?}", m.name);
        assert!(
            total <= week || (parts.len() == 1 && total <= 2 * week),
            "{}'s parts take {total} min of a {week} min week: {parts:?}",
            m.name
        );
    }
    // Parts are grouped by member, by name.
    let names: Vec<String> = p.parts.iter().map(|x| x.member_name.to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");

    // The same documents give the same plan, byte for byte, also after a restart; and the
    // response survives the control socket's JSON.
    let first = serde_json::to_vec(&Response::Plan(p.clone())).unwrap();
    let again = serde_json::to_vec(&Response::Plan(plan(&node, &c).await)).unwrap();
    assert_eq!(first, again);
    let s1 = serde_json::to_vec(&Response::Suggestions(suggest(&node, &c, 20).await)).unwrap();
    let s2 = serde_json::to_vec(&Response::Suggestions(suggest(&node, &c, 20).await)).unwrap();
    assert_eq!(s1, s2);
    node.close().await;
    let node = open(dir.path()).await;
    let reopened = serde_json::to_vec(&Response::Plan(plan(&node, &c).await)).unwrap();
    assert_eq!(first, reopened);
    for bytes in [&first, &s1] {
        let back: Response = serde_json::from_slice(bytes).unwrap();
        assert_eq!(&serde_json::to_vec(&back).unwrap(), bytes);
    }
}

#[tokio::test]
async fn a_neighbours_call_is_offered_to_travellers_and_declines_and_pledges_stick() {
    use weft_match::Term;
    let dir = tempfile::tempdir().unwrap();
    let (node, c) = demo(dir.path(), 30, 5).await;
    node.execute(Request::CommunityCreate { name: "Hilltop".into() }).await.unwrap();
    let call = |title: &str, open: bool| {
        let mut t = task(title, 3);
        t.task.skills.clear();
        t.task.hours = Minutes(60);
        t.task.open_to_neighbours = open;
        Request::TaskAdd { community: Some("Hilltop".into()), task: t }
    };
    let mut calls = Vec::new();
    for (title, open) in [("Carry sandbags", true), ("Fix the roof", true), ("Hilltop only", false)] {
        let Response::Task(t) = node.execute(call(title, open)).await.unwrap() else { panic!() };
        calls.push(t.summary.task.id);
    }
    let ours = |s: &weft_node::api::SuggestionsInfo| -> Vec<weft_core::TaskId> {
        s.suggestions.items.iter().map(|i| i.task).filter(|t| calls.contains(t)).collect()
    };

    // Not for someone who does not travel.
    set_week(&node, &c, 20, false).await;
    assert!(ours(&suggest(&node, &c, 100).await).is_empty());
    // For someone who does, with the community's name and a travel reason.
    set_week(&node, &c, 20, true).await;
    let s = suggest(&node, &c, 100).await;
    let mut offered = ours(&s);
    offered.sort();
    let mut open_calls = calls[..2].to_vec();
    open_calls.sort();
    assert_eq!(offered, open_calls, "the two calls open to neighbours, never the other one");
    for item in s.suggestions.items.iter().filter(|i| calls.contains(&i.task)) {
        assert_eq!(item.neighbour.as_deref(), Some("Hilltop"));
        assert!(item.reasons.iter().any(|r| r.term == Term::Travel && r.text.contains("Hilltop")), "{item:?}");
    }

    // The plan counts the open calls' places too, named as Hilltop's.
    let p = plan(&node, &c).await;
    let in_plan: Vec<(weft_core::TaskId, Option<String>)> = p
        .parts
        .iter()
        .map(|x| (x.task, x.neighbour.clone()))
        .chain(p.urgent_uncovered.iter().map(|t| (t.task, t.neighbour.clone())))
        .filter(|(t, _)| calls.contains(t))
        .collect();
    assert!(in_plan.iter().any(|(t, _)| *t == calls[0]), "an urgent call is planned or reported: {p:?}");
    assert!(in_plan.iter().all(|(t, n)| *t != calls[2] && n.as_deref() == Some("Hilltop")), "{in_plan:?}");

    // A decline from this community's suggestions, and a pledge made in Hilltop, both stick.
    let Response::Declined { title, .. } =
        node.execute(Request::Decline { community: Some(c.clone()), task: calls[0].to_string() }).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(title, "Carry sandbags");
    node.execute(Request::Pledge { task: calls[1].to_string(), action: PledgeActionInput::Pledge }).await.unwrap();
    assert!(ours(&suggest(&node, &c, 100).await).is_empty());

    // The burnout guard is about a person: what they promised and logged in Hilltop this week
    // counts in this community's week too.
    let before = suggest(&node, &c, 100).await.suggestions.week;
    assert!(before.committed >= 60, "the Hilltop pledge is work promised: {before:?}");
    node.execute(Request::Log {
        community: Some("Hilltop".into()),
        task: None,
        sector: Some("food".parse().unwrap()),
        minutes: Minutes(90),
        date: None,
        note: String::new(),
    })
    .await
    .unwrap();
    let after = suggest(&node, &c, 100).await.suggestions.week;
    assert_eq!(after.logged, before.logged + 90, "{before:?} then {after:?}");

    // A task neither of this community nor open to it cannot be declined from here.
    let err =
        node.execute(Request::Decline { community: Some(c.clone()), task: calls[2].to_string() }).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Invalid);
    assert!(err.message.contains("another community"), "{}", err.message);
}

#[tokio::test]
async fn suggestions_for_a_small_community_and_clear_refusals() {
    use weft_match::Resting;
    let dir = tempfile::tempdir().unwrap();
    let node = founded(dir.path()).await;
    let Response::Task(t) =
        node.execute(Request::TaskAdd { community: None, task: task("Weed the beds", 2) }).await.unwrap()
    else {
        panic!()
    };
    let id = t.summary.task.id;
    // No hours in the profile: a reason to rest, not an empty list.
    let s = suggest(&node, "Riverside", 5).await;
    assert_eq!(s.suggestions.resting, Some(Resting::NoHours));
    assert!(s.suggestions.items.is_empty());

    let update = ProfileUpdate {
        skills: [("gardening".parse().unwrap(), SkillLevel::new(4))].into(),
        hours_per_week: Some(Minutes::from_hours(3)),
        ..Default::default()
    };
    node.execute(Request::ProfileSet { community: None, update }).await.unwrap();
    let s = suggest(&node, "Riverside", 5).await;
    assert_eq!(s.suggestions.items.len(), 1);
    let item = &s.suggestions.items[0];
    assert_eq!((item.task, item.title.as_str(), item.minutes), (id, "Weed the beds", 120));
    assert!(item.planned, "the only member with time has the only part of the plan");
    let skill = item.reasons.iter().find(|r| r.term == weft_match::Term::Skill).unwrap();
    assert!(skill.points > 0 && skill.text.contains("gardening"), "{skill:?}");
    let p = plan(&node, "Riverside").await;
    assert_eq!((p.urgent_open, p.urgent_covered, p.places_open, p.places_covered), (2, 1, 2, 1));
    assert_eq!(p.parts[0].member_name, "Ana");
    assert_eq!((p.urgent_uncovered[0].task, p.urgent_uncovered[0].places), (id, 1), "one place left for someone else");

    // Pledged: no longer suggested, and the week has that much less room.
    node.execute(Request::Pledge { task: id.to_string(), action: PledgeActionInput::Pledge }).await.unwrap();
    let s = suggest(&node, "Riverside", 5).await;
    assert!(s.suggestions.items.is_empty());
    assert_eq!(s.suggestions.week.committed, 120);

    let cases = vec![
        (Request::Suggest { community: None, member: None, limit: 0 }, ErrorCode::Invalid, "1 to 100"),
        (Request::Suggest { community: None, member: None, limit: 101 }, ErrorCode::Invalid, "1 to 100"),
        (
            Request::Suggest { community: None, member: Some("Nobody".into()), limit: 5 },
            ErrorCode::NotFound,
            "no member",
        ),
        (
            Request::Suggest { community: Some("Elsewhere".into()), member: None, limit: 5 },
            ErrorCode::NotFound,
            "no community",
        ),
        (Request::Plan { community: Some("Elsewhere".into()) }, ErrorCode::NotFound, "no community"),
        (Request::Decline { community: None, task: "nosuchtask".into() }, ErrorCode::NotFound, "no task nosuchtask"),
        (Request::Decline { community: None, task: "ab".into() }, ErrorCode::Invalid, "at least 4"),
    ];
    for (request, code, words) in cases {
        let err = node.execute(request.clone()).await.unwrap_err();
        assert_eq!(err.code, code, "{request:?}: {}", err.message);
        assert!(err.message.contains(words), "{request:?}: '{}' should mention '{words}'", err.message);
    }
}

/// The ledger's changes since its snapshot, as `status` reports them.
async fn ledger_log(node: &Node) -> (u64, u64) {
    let Response::Status(s) = node.execute(Request::Status).await.unwrap() else { panic!() };
    let d = s.documents.iter().find(|d| matches!(d.name, weft_core::doc::DocName::Ledger(_))).unwrap();
    (d.logged_since_snapshot, d.changes)
}

#[tokio::test]
async fn a_long_log_is_compacted_once_the_node_is_idle_and_requests_go_on_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let (node, hand) = founded_on_hand(dir.path()).await;
    let log = |i: u32| Request::Log {
        community: None,
        task: None,
        sector: Some("food".parse().unwrap()),
        minutes: Minutes(30),
        date: None,
        note: format!("entry {i}"),
    };
    // Past 500 changes the ledger is due; requests that come without a pause are answered
    // first, and compaction waits.
    for i in 0..520 {
        node.execute(log(i)).await.unwrap();
    }
    let (since, all) = ledger_log(&node).await;
    assert_eq!(since, all, "not compacted while requests come without a pause");
    // Then the node goes idle (300 ms without a job) and compacts.
    hand.advance(Duration::from_millis(299));
    node.tick().await.unwrap();
    assert_eq!(ledger_log(&node).await, (all, all), "not yet: jobs paused only 299 ms");
    hand.advance(Duration::from_millis(301));
    node.tick().await.unwrap();
    let (since, all) = ledger_log(&node).await;
    assert!(since < all, "the ledger was not compacted: {since} of {all} in the log");
    // The node still answers, and a log that grows again is compacted when it stops.
    for i in 520..1040 {
        node.execute(log(i)).await.unwrap();
    }
    node.close().await;
    let node = open(dir.path()).await;
    assert_eq!(ledger_log(&node).await, (0, 1041));
    node.close().await;
}

/// Whether each document of the data directory is in memory, by name.
async fn in_memory(node: &Node) -> Vec<(String, bool)> {
    let Response::Status(s) = node.execute(Request::Status).await.unwrap() else { panic!() };
    s.documents.iter().map(|d| (d.name.to_string(), d.in_memory)).collect()
}

#[tokio::test]
async fn unused_documents_rest_reads_need_only_their_views_and_writes_load_them_again() {
    let dir = tempfile::tempdir().unwrap();
    let (node, hand) = founded_on_hand(dir.path()).await;
    // The people document stays in memory.
    let at_rest = |docs: &[(String, bool)]| docs.iter().all(|(name, loaded)| !loaded || name == "people");
    // Describing the community tends its commons now (roster evidence, key), not a moment later.
    node.execute(Request::DirectorySet {
        community: None,
        about: Some("Market gardens by the river".into()),
        location: None,
        languages: None,
        hosts: None,
        escalate_after_hours: None,
    })
    .await
    .unwrap();
    let Response::Task(t) =
        node.execute(Request::TaskAdd { community: None, task: task("Weed the beds", 2) }).await.unwrap()
    else {
        panic!()
    };
    let short = t.summary.task.id.to_string()[..6].to_string();
    let log = |minutes: u32| Request::Log {
        community: None,
        task: Some(short.clone()),
        sector: None,
        minutes: Minutes(minutes),
        date: None,
        note: String::new(),
    };
    node.execute(Request::Pledge { task: short.clone(), action: PledgeActionInput::Pledge }).await.unwrap();
    node.execute(log(90)).await.unwrap();
    node.execute(Request::CallOpen { task: short.clone() }).await.unwrap();
    assert_eq!(
        in_memory(&node).await,
        [("people".into(), true), ("board".into(), true), ("ledger/2026".into(), true), ("commons".into(), true)],
        "used a moment ago"
    );
    hand.advance(weft_node::REST_AFTER - Duration::from_secs(1));
    node.tick().await.unwrap();
    assert!(in_memory(&node).await.iter().all(|(_, loaded)| *loaded), "used less than REST_AFTER ago");
    hand.advance(Duration::from_secs(1));
    node.tick().await.unwrap();
    assert!(at_rest(&in_memory(&node).await), "{:?}", in_memory(&node).await);
    // Reads are answered from the views: nothing is loaded for them.
    let Response::Task(t) = node.execute(Request::TaskShow { task: short.clone() }).await.unwrap() else { panic!() };
    assert_eq!((t.summary.taken, t.hours_logged), (1, Minutes(90)));
    let Response::Progress(p) = node.execute(Request::Progress { community: None, month: None }).await.unwrap() else {
        panic!()
    };
    assert_eq!(p.sectors.iter().find(|s| s.sector.as_str() == "food").unwrap().done, Minutes(90));
    node.execute(Request::TaskList { community: None, open_only: true, sector: None }).await.unwrap();
    let open_calls = |r: Response| match r {
        Response::Calls(calls) => calls.iter().map(|c| c.title.clone()).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(open_calls(node.execute(Request::Calls { community: None }).await.unwrap()), ["Weed the beds"]);
    assert!(at_rest(&in_memory(&node).await), "reads loaded nothing");

    // Writes load what they change, and nothing stored is lost on the way.
    let Response::Pledge(p) =
        node.execute(Request::Pledge { task: short.clone(), action: PledgeActionInput::Withdraw }).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(p.taken, 0);
    node.execute(log(30)).await.unwrap();
    hand.advance(weft_node::REST_AFTER);
    node.tick().await.unwrap();
    assert!(at_rest(&in_memory(&node).await), "{:?}", in_memory(&node).await);
    let Response::Export(raw) = node
        .execute(Request::Export {
            community: None,
            format: weft_node::api::ExportFormatInput::Automerge,
            doc: Some(weft_core::DocName::Board),
        })
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(!raw.base64.is_empty());
    node.close().await;

    let (node, _hand) = open_on_hand(dir.path()).await;
    let Response::Task(t) = node.execute(Request::TaskShow { task: short.clone() }).await.unwrap() else { panic!() };
    assert_eq!((t.summary.taken, t.hours_logged), (0, Minutes(120)));
    // The commons opened from the read model kept when it last rested: its document is not
    // loaded to read it, only to change it.
    assert_eq!(open_calls(node.execute(Request::Calls { community: None }).await.unwrap()), ["Weed the beds"]);
    assert!(!in_memory(&node).await.contains(&("commons".into(), true)));
    node.execute(Request::CallClose { task: short }).await.unwrap();
    assert!(open_calls(node.execute(Request::Calls { community: None }).await.unwrap()).is_empty());
    assert!(in_memory(&node).await.contains(&("commons".into(), true)));
    // A ledger loaded only to be read rests once the node is idle; the board, opened with the
    // directory, stays a while: a member who opens the app is likely to act.
    node.tick().await.unwrap();
    assert_eq!(
        in_memory(&node).await,
        [("people".into(), true), ("board".into(), true), ("ledger/2026".into(), false), ("commons".into(), true)]
    );
    node.close().await;
    // Closed, it keeps the read model of the commons as it is now: the closed call stays closed.
    let (node, _hand) = open_on_hand(dir.path()).await;
    assert!(open_calls(node.execute(Request::Calls { community: None }).await.unwrap()).is_empty());
    assert!(!in_memory(&node).await.contains(&("commons".into(), true)));
}
