//! The node API end to end, on real SQLite files in temporary directories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use weft_core::model::{NewTask, ProfileUpdate, SkillLevel, Urgency, Verdict};
use weft_core::{Minutes, Timestamp};
use weft_node::api::{PledgeActionInput, TaskInput};
use weft_node::{Clock, ErrorCode, Event, Node, NodeConfig, Request, Response};

const NOW: i64 = 1_779_796_800_000; // 2026-05-26 12:00 UTC

async fn open(dir: &std::path::Path) -> Node {
    Node::open(NodeConfig { data_dir: dir.to_path_buf(), clock: Clock::fixed(Timestamp(NOW)) }).await.unwrap()
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
