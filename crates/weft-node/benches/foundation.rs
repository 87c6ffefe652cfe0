//! The foundation's speed and size goals, measured:
//! - opening a data directory that holds a 120-member demo community (a year of history) to a
//!   usable board — goal < 300 ms — compacted (snapshots) against log-only (every change
//!   replayed), in the same run;
//! - logging one hour entry, and pledging to a task, end to end, from request to durable: with
//!   the document in memory against resting (dropped after it was last used, so the request
//!   loads it again first), in the same run;
//! - the community's size on disk.
//!
//! `cargo bench --workspace --bench foundation`. Under `cargo test --benches` it runs each
//! benchmark once on a smaller community, as a smoke test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use weft_core::Timestamp;
use weft_demo::{DemoOptions, generate};
use weft_node::api::PledgeActionInput;
use weft_node::{Clock, Node, NodeConfig, Request, Response};
use weft_store::{Batch, DataDir, Store};

const NOW: i64 = 1_795_348_800_000; // 2026-11-22 12:00 UTC

fn members() -> u32 {
    if std::env::args().any(|a| a == "--bench") { 120 } else { 20 }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

async fn open(dir: &Path) -> Node {
    Node::open(NodeConfig { data_dir: dir.to_path_buf(), clock: Clock::fixed(Timestamp(NOW)) }).await.unwrap()
}

/// A data directory with the demo community, as `weft demo` leaves it (compacted).
fn compacted(rt: &tokio::runtime::Runtime, dir: &Path) -> u64 {
    rt.block_on(async {
        let node = open(dir).await;
        node.execute(Request::Demo { members: members(), seed: 1, name: None }).await.unwrap();
        let Response::Status(s) = node.execute(Request::Status).await.unwrap() else { panic!() };
        node.close().await;
        s.disk_bytes
    })
}

/// The same community with every change in the log and no snapshot.
fn log_only(dir: &Path) {
    let data = DataDir::open(dir).unwrap();
    let lock = data.lock().unwrap();
    let mut store = Store::open(&data, &lock).unwrap();
    let me = store.create_identity("You").unwrap();
    let opts = DemoOptions { members: members(), seed: 1, today: Timestamp(NOW).date(), name: None };
    let demo = generate(&me.identity, &me.name, &opts).unwrap();
    store.commit(&Batch { communities: vec![(demo.community, "Demo".into())], changes: demo.changes }).unwrap();
}

fn open_to_board(c: &mut Criterion) {
    let rt = runtime();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let bytes = compacted(&rt, a.path());
    log_only(b.path());
    println!("size on disk of the {}-member demo community: {:.2} MB", members(), bytes as f64 / 1e6);

    let mut group = c.benchmark_group("open to a usable board");
    group.sample_size(20).measurement_time(Duration::from_secs(10));
    for (name, dir) in [("compacted", a.path()), ("log only", b.path())] {
        group.bench_function(name, |bench| {
            bench.iter(|| {
                rt.block_on(async {
                    let node = open(dir).await;
                    let Response::Tasks(t) = node
                        .execute(Request::TaskList { community: None, sector: None, open_only: true })
                        .await
                        .unwrap()
                    else {
                        panic!()
                    };
                    assert!(!t.is_empty());
                    node.close().await;
                })
            });
        });
    }
    group.finish();
}

/// Whether `doc` (e.g. "board") of the only community is in memory now.
async fn in_memory(node: &Node, doc: &str) -> bool {
    let Response::Status(s) = node.execute(Request::Status).await.unwrap() else { panic!() };
    s.documents.iter().any(|d| d.name.to_string() == doc && d.in_memory)
}

/// Times `write` with `doc` still in memory (used in the last 30 s), then with it resting:
/// before each timed write the node lets it rest (untimed; after compacting it, if its log
/// grew long), so the write loads it from the store first.
fn write_both_ways(
    c: &mut Criterion,
    group: &str,
    rt: &tokio::runtime::Runtime,
    node: &Node,
    doc: &str,
    mut write: impl FnMut() -> Request,
) {
    let mut group = c.benchmark_group(group);
    group.sample_size(20).measurement_time(Duration::from_secs(10));
    rt.block_on(node.set_rest_after(weft_node::REST_AFTER)).unwrap();
    group.bench_function("document in memory", |bench| {
        bench.iter(|| rt.block_on(node.execute(write())).unwrap());
    });
    rt.block_on(node.set_rest_after(Duration::ZERO)).unwrap();
    group.bench_function("document resting", |bench| {
        bench.iter_batched(
            || {
                rt.block_on(async {
                    let deadline = std::time::Instant::now() + Duration::from_secs(30);
                    while in_memory(node, doc).await {
                        assert!(std::time::Instant::now() < deadline, "the {doc} does not rest");
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                });
                write()
            },
            |request| rt.block_on(node.execute(request)).unwrap(),
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn log_one_entry(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    compacted(&rt, dir.path());
    let node = rt.block_on(open(dir.path()));
    write_both_ways(c, "log one hour entry, request to durable", &rt, &node, "ledger/2026", || Request::Log {
        community: None,
        task: None,
        sector: Some("food".parse().unwrap()),
        minutes: weft_core::Minutes(60),
        date: None,
        note: "benchmark".into(),
    });
    rt.block_on(node.close());
}

fn pledge(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    compacted(&rt, dir.path());
    let node = rt.block_on(open(dir.path()));
    let new = weft_core::model::NewTask {
        title: "Mend the shed roof".into(),
        description: String::new(),
        sector: "food".parse().unwrap(),
        guild: None,
        skills: Default::default(),
        hours: weft_core::Minutes::from_hours(2),
        slots: 3,
        urgency: weft_core::model::Urgency::Normal,
        deadline: None,
        location: None,
        open_to_neighbours: false,
    };
    let task = weft_node::api::TaskInput { task: new, guild_ref: None };
    let Response::Task(t) = rt.block_on(node.execute(Request::TaskAdd { community: None, task })).unwrap() else {
        panic!()
    };
    let task = t.summary.task.id.to_string();
    let mut pledged = false;
    write_both_ways(c, "pledge or withdraw, request to durable", &rt, &node, "board", || {
        let action = if pledged { PledgeActionInput::Withdraw } else { PledgeActionInput::Pledge };
        pledged = !pledged;
        Request::Pledge { task: task.clone(), action }
    });
    rt.block_on(node.close());
}

criterion_group!(benches, open_to_board, log_one_entry, pledge);
criterion_main!(benches);
