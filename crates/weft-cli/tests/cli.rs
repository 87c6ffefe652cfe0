//! The real `weft` binary against temporary data directories: a member's whole day, every bad
//! flag value (a clear message, a non-zero exit, nothing changed), commands going through a
//! running `weft serve`, and the crash test (SIGKILL at random moments loses nothing that was
//! reported done).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn weft(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("WEFT_DATA_DIR")
        .env("WEFT_LOG", "warn")
        .output()
        .expect("the weft binary runs")
}

#[track_caller]
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = weft(dir, args);
    assert!(
        out.status.success(),
        "weft {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[track_caller]
fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(dir, &all)).unwrap()
}

/// Everything the data directory holds, as exported raw documents, to prove nothing changed.
fn snapshot(dir: &Path) -> Vec<Vec<u8>> {
    let status = json(dir, &["status"]);
    let mut docs: Vec<(String, String)> = status["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["community"].as_str().unwrap().to_owned(), d["name"].as_str().unwrap().to_owned()))
        .collect();
    docs.sort();
    docs.iter()
        .map(|(c, name)| {
            let out = dir.join("snapshot.automerge");
            ok(
                dir,
                &[
                    "export",
                    "--community",
                    &c[..8],
                    "--format",
                    "automerge",
                    "--doc",
                    name,
                    "--out",
                    out.to_str().unwrap(),
                ],
            );
            std::fs::read(out).unwrap()
        })
        .collect()
}

fn today() -> String {
    // The binary uses the local date; tests stay clear of midnight by using dates far from it.
    let out = Command::new("date").arg("+%Y-%m-%d").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn setup() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init", "--name", "Ana"]);
    let c = json(dir.path(), &["community", "create", "Riverside Commons"]);
    (dir, c["id"].as_str().unwrap().to_owned())
}

#[test]
fn a_member_works_through_a_day_with_the_cli() {
    let (dir, community) = setup();
    let d = dir.path();
    let me = json(d, &["whoami"]);
    assert_eq!(me["name"], "Ana");

    ok(
        d,
        &[
            "profile",
            "set",
            "--community",
            "riverside commons",
            "--skill",
            "gardening:4",
            "--skill",
            "first aid:2",
            "--interest",
            "food=5",
            "--hours-per-week",
            "3",
            "--travel",
            "yes",
            "--learn",
            "beekeeping",
        ],
    );
    let profile = json(d, &["profile", "show"]);
    assert_eq!(profile["profile"]["skills"]["gardening"], 4);
    assert_eq!(profile["profile"]["skills"]["first-aid"], 2);
    assert_eq!(profile["profile"]["interests"]["food"], 5);
    assert_eq!(profile["profile"]["hours_per_week"], 180);
    assert_eq!(profile["profile"]["willing_to_travel"], true);

    let guild = json(d, &["guild", "add", "--sector", "food", "Community garden"]);
    assert_eq!(guild["name"], "Community garden");
    let task = json(
        d,
        &[
            "task",
            "add",
            "--community",
            &community[..6],
            "--title",
            "Water the seedlings",
            "--sector",
            "food",
            "--guild",
            "community garden",
            "--skill",
            "gardening",
            "--hours",
            "1.5",
            "--slots",
            "3",
            "--urgency",
            "urgent",
            "--location",
            "Mill Lane",
            "--open-to-neighbours",
        ],
    );
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(task["guild_name"], "Community garden");
    assert_eq!(task["hours"], 90);

    let list = json(d, &["task", "list", "--open"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let human = ok(d, &["task", "list"]);
    assert!(human.contains("URGENT") && human.contains("Water the seedlings"), "{human}");

    let pledge = json(d, &["pledge", &id[..5]]);
    assert_eq!(pledge["state"], "pledged");
    assert_eq!(pledge["taken"], 1);
    let entry = json(d, &["log", "--hours", "1h30", "--task", &id[..5], "--note", "seedlings, all of them"]);
    assert_eq!(entry["minutes"], 90);
    assert_eq!(entry["date"], today());
    json(d, &["log", "--hours", "2", "--sector", "arts", "--note", "choir practice"]);
    json(d, &["pledge", &id[..5], "--done"]);
    json(d, &["feedback", &id[..5], "--verdict", "more"]);
    let err = weft(d, &["confirm", &entry["id"].as_str().unwrap()[..6]]);
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("cannot confirm your own hours"));

    let progress = json(d, &["progress"]);
    let food = progress["sectors"].as_array().unwrap().iter().find(|s| s["sector"] == "food").unwrap();
    assert_eq!(food["done"], 90);
    let human = ok(d, &["progress"]);
    assert!(human.contains("Food") && human.contains('%'), "{human}");
    let hours = json(d, &["hours"]);
    assert_eq!(hours["total"], 210);

    // Exports: CSV of hours, ValueFlows of everything, raw Automerge of the board.
    let csv_path = d.join("hours.csv");
    ok(d, &["export", "--format", "csv", "--out", csv_path.to_str().unwrap()]);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.contains("\"seedlings, all of them\""), "{csv}");
    let vf_path = d.join("community.jsonld");
    ok(d, &["export", "--format", "valueflows", "--out", vf_path.to_str().unwrap()]);
    let vf: Value = serde_json::from_str(&std::fs::read_to_string(&vf_path).unwrap()).unwrap();
    assert!(vf.to_string().contains("EconomicEvent"));
    let am_path = d.join("board.automerge");
    ok(d, &["export", "--format", "automerge", "--doc", "board", "--out", am_path.to_str().unwrap()]);
    let doc = automerge::Automerge::load(&std::fs::read(&am_path).unwrap()).unwrap();
    assert!(automerge::ReadDoc::get(&doc, automerge::ROOT, "tasks").unwrap().is_some());

    // The community sets its own sectors and baselines.
    let sectors = json(d, &["sector", "water", "--name", "Water & energy", "--baseline", "10", "--essential", "yes"]);
    assert!(sectors.as_array().unwrap().iter().any(|s| s["id"] == "water" && s["baseline"] == 600));
    let sectors = json(d, &["sector", "arts", "--baseline", "40"]);
    let arts = sectors.as_array().unwrap().iter().find(|s| s["id"] == "arts").unwrap().clone();
    assert_eq!((arts["baseline"].as_u64(), arts["name"].as_str()), (Some(2400), Some("Arts, culture & innovation")));
    json(d, &["log", "--hours", "1", "--sector", "water"]);
    let renamed = json(d, &["community", "rename", "Riverside Mutual Aid"]);
    assert_eq!(renamed["name"], "Riverside Mutual Aid");
    assert_eq!(json(d, &["community", "list"])[0]["name"], "Riverside Mutual Aid");

    ok(d, &["task", "close", &id[..5]]);
    assert_eq!(json(d, &["task", "list", "--open"]).as_array().unwrap().len(), 0);
}

#[test]
fn every_bad_flag_value_is_refused_clearly_and_changes_nothing() {
    let (dir, _) = setup();
    let d = dir.path();
    let task = json(d, &["task", "add", "--title", "Fix the pump", "--sector", "maintenance", "--slots", "1"]);
    let id = task["id"].as_str().unwrap().to_owned();
    json(d, &["pledge", &id[..6]]);
    let before = snapshot(d);
    let future = "2099-01-01";
    let cases: &[(&[&str], &str)] = &[
        (&["log", "--hours", "-2", "--sector", "food"], "not a number of hours"),
        (&["log", "--hours", "25", "--sector", "food"], "at most 24 h"),
        (&["log", "--hours", "0", "--sector", "food"], "more than 0"),
        (&["log", "--hours", "abc", "--sector", "food"], "not a number of hours"),
        (&["log", "--hours", "2", "--sector", "Food!"], "not a sector name"),
        (&["log", "--hours", "2", "--sector", "fishing"], "no sector 'fishing'"),
        (&["log", "--hours", "2", "--sector", "food", "--date", future], "in the future"),
        (&["log", "--hours", "2", "--sector", "food", "--date", "2026-02-30"], "not a date"),
        (&["log", "--hours", "2", "--sector", "food", "--date", "1999-01-01"], "days ago"),
        (&["log", "--hours", "2"], "--sector"),
        (&["task", "add", "--title", "", "--sector", "food"], "title is empty"),
        (&["task", "add", "--title", "X", "--sector", "nosuch"], "no sector 'nosuch'"),
        (&["task", "add", "--title", "X", "--sector", "food", "--slots", "0"], "from 1 to 1000"),
        (&["task", "add", "--title", "X", "--sector", "food", "--slots", "many"], "invalid value"),
        (&["task", "add", "--title", "X", "--sector", "food", "--hours", "300"], "at most 200 h"),
        (&["task", "add", "--title", "X", "--sector", "food", "--urgency", "asap"], "not a valid urgency"),
        (&["task", "add", "--title", "X", "--sector", "food", "--deadline", "2020-01-01"], "already passed"),
        (&["task", "add", "--title", "X", "--sector", "food", "--deadline", "tomorrow"], "not a date"),
        (&["task", "add", "--title", "X", "--sector", "food", "--guild", "Nobody's guild"], "no guild"),
        (&["pledge", &id[..6]], "already pledged"),
        (&["pledge", "zzzzzz"], "no task"),
        (&["pledge", "ab"], "at least 4 characters"),
        (&["profile", "set", "--skill", "gardening:9"], "from 1 (beginner) to 5"),
        (&["profile", "set", "--skill", "gardening"], "needs a level"),
        (&["profile", "set", "--interest", "food=7"], "from 0 (none) to 5"),
        (&["profile", "set", "--interest", "space=3"], "no sector 'space'"),
        (&["profile", "set", "--travel", "maybe"], "neither yes nor no"),
        (&["profile", "set", "--hours-per-week", "200"], "more than a week holds"),
        (&["profile", "set"], "nothing to change"),
        (&["feedback", &id[..6], "--verdict", "meh"], "not a valid verdict"),
        (&["progress", "--month", "2026-13"], "not a month"),
        (&["export", "--format", "pdf", "--out", "x"], "not an export format"),
        (&["export", "--format", "automerge", "--out", "x"], "say which document"),
        (&["export", "--format", "csv", "--doc", "tasks", "--out", "x"], "not a document"),
        (&["community", "create", "   "], "name is empty"),
        (&["init", "--name", "Someone else"], "already belongs to Ana"),
        (&["task", "add", "--community", "Elsewhere", "--title", "X", "--sector", "food"], "no community called"),
        (&["demo", "--members", "1"], "members"),
        (&["sector", "food", "--baseline", "5000"], "at most 1000 h"),
        (&["sector", "Food Stuff"], "not a sector name"),
        (&["sector", "food", "--name", ""], "sector name is empty"),
        (&["community", "rename", ""], "name is empty"),
    ];
    for (args, words) in cases {
        let out = weft(d, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "weft {args:?} should fail");
        assert!(stderr.contains(words), "weft {args:?}: '{stderr}' should mention '{words}'");
        assert!(out.stdout.is_empty(), "weft {args:?} printed to stdout on failure");
    }
    // The same refusal as JSON on stderr, with a code.
    let out = weft(d, &["--json", "pledge", "zzzzzz"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "not_found");
    assert_eq!(err["error"]["detail"], serde_json::json!({ "kind": "no_such_task", "reference": "zzzzzz" }));
    assert_eq!(before, snapshot(d), "a refused command changed the documents");
}

fn spawn_serve(dir: &Path) -> (Child, BufReader<std::process::ChildStderr>) {
    spawn_serve_with(dir, &[])
}

fn spawn_serve_with(dir: &Path, args: &[&str]) -> (Child, BufReader<std::process::ChildStderr>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("--data-dir")
        .arg(dir)
        .arg("serve")
        .args(args)
        .env("WEFT_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    // Wait for the event "control socket open" in the log, not for a fixed time.
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "weft serve exited before opening its socket");
        if line.contains("control socket open") {
            break;
        }
    }
    (child, stderr)
}

#[test]
fn commands_go_through_a_running_serve_and_it_stops_cleanly() {
    let (dir, _) = setup();
    let d = dir.path();
    let (mut serve, mut log) = spawn_serve(d);
    let task = json(d, &["task", "add", "--title", "Soup for the gathering", "--sector", "food", "--slots", "4"]);
    json(d, &["pledge", &task["id"].as_str().unwrap()[..6]]);
    assert_eq!(json(d, &["task", "list", "--open"]).as_array().unwrap().len(), 1);
    // SIGTERM: a clean shutdown.
    let pid = serve.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = serve.wait().unwrap();
    assert!(status.success(), "serve exited with {status}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut log, &mut rest).unwrap();
    assert!(rest.contains("stopped cleanly"), "{rest}");
    assert!(!d.join("control.sock").exists());
    // Everything is there afterwards, opened directly.
    let list = json(d, &["task", "show", &task["id"].as_str().unwrap()[..6]]);
    assert_eq!(list["taken"], 1);
}

#[test]
fn a_demo_community_is_believable_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = json(d, &["demo", "--members", "40", "--seed", "7"]);
    assert_eq!(demo["members"], 40);
    assert!(demo["open_tasks"].as_u64().unwrap() >= 10, "{demo}");
    assert!(demo["urgent_open"].as_u64().unwrap() >= 1, "{demo}");
    let open = json(d, &["task", "list", "--open"]);
    assert!(open.as_array().unwrap().len() >= 10);
    let progress = json(d, &["progress"]);
    assert!(progress["done"].as_u64().unwrap() > 0, "{progress}");
    assert!(json(d, &["members"]).as_array().unwrap().len() == 40);
}

/// A writer that is killed (SIGKILL) at a random moment, many times: every change it reported
/// done is still there, and the store opens cleanly afterwards.
#[test]
fn a_writer_killed_at_random_moments_loses_nothing_it_reported_done() {
    let (dir, _) = setup();
    let d = dir.path();
    let task = json(d, &["task", "add", "--title", "Long shift", "--sector", "healthcare", "--slots", "1"]);
    let task = task["id"].as_str().unwrap().to_owned();
    let mut done: Vec<String> = Vec::new();
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let rounds = 40;
    for round in 0..rounds {
        let (mut serve, _log) = spawn_serve(d);
        // Writes go through the serving process; each answer means "durable".
        let kill_after = Duration::from_micros(next() % 150_000);
        let started = Instant::now();
        let reported: Vec<String> = runtime.block_on(async {
            let mut client = weft_node::control::Client::connect(d).await.unwrap();
            let mut reported = Vec::new();
            let mut killed = false;
            loop {
                if !killed && started.elapsed() >= kill_after {
                    serve.kill().unwrap(); // SIGKILL, mid-write or between writes
                    killed = true;
                }
                let request = weft_node::Request::Log {
                    community: None,
                    task: (next() % 2 == 0).then(|| task.clone()),
                    sector: Some("healthcare".parse().unwrap()),
                    minutes: weft_core::Minutes(15 + (next() % 120) as u32),
                    date: None,
                    note: format!("round {round}"),
                };
                match client.call(&request).await {
                    Ok(weft_node::Response::Entry(e)) => reported.push(e.id.to_string()),
                    Ok(other) => panic!("unexpected answer {other:?}"),
                    Err(_) => break,
                }
            }
            reported
        });
        serve.wait().unwrap();
        done.extend(reported);
        // The store opens cleanly, and holds every entry that was reported done.
        let pending = json(d, &["pending"]);
        let mine: Vec<&str> =
            pending["mine_unconfirmed"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
        for id in &done {
            assert!(mine.contains(&id.as_str()), "round {round}: entry {id} was reported done and is gone");
        }
    }
    // A one-off command killed at random moments too (open, write, and the compaction it
    // does as it stops: the ledger is long by now, and `serve`, never idle above, did not
    // compact it).
    for _ in 0..16 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
            .arg("--data-dir")
            .arg(d)
            .args(["--json", "log", "--hours", "1", "--sector", "food"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(next() % 400_000)); // a random moment, not a wait
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        if let Ok(v) = serde_json::from_slice::<Value>(&out.stdout) {
            done.extend(v["id"].as_str().map(str::to_owned));
        }
    }
    let pending = json(d, &["pending"]);
    let mine: Vec<&str> =
        pending["mine_unconfirmed"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    for id in &done {
        assert!(mine.contains(&id.as_str()), "entry {id} was reported done and is gone");
    }
    // One more that is not killed: the ledger (over 500 changes) is compacted as it stops.
    // (How many writes the killed writers got through depends on the machine's load: top the
    // ledger up past the compaction threshold first if they fell short.)
    let ledger = |d: &Path| {
        let status = json(d, &["status"]);
        status["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"].as_str().unwrap().starts_with("ledger/"))
            .unwrap()
            .clone()
    };
    let never_compacted_and_short = |l: &Value| {
        let (logged, all) = (l["logged_since_snapshot"].as_u64().unwrap(), l["changes"].as_u64().unwrap());
        logged == all && all < 505
    };
    while never_compacted_and_short(&ledger(d)) {
        let entry = json(d, &["log", "--hours", "1", "--sector", "food"]);
        done.extend(entry["id"].as_str().map(str::to_owned));
    }
    let last = json(d, &["log", "--hours", "1", "--sector", "food"]);
    done.extend(last["id"].as_str().map(str::to_owned));
    let ledger = ledger(d);
    assert!(ledger["logged_since_snapshot"].as_u64().unwrap() < ledger["changes"].as_u64().unwrap(), "{ledger}");
    assert!(done.len() > rounds, "the writer should have reported many entries, got {}", done.len());
    eprintln!("crash test: {} entries reported done over {rounds} kills, all present", done.len());
}

#[test]
fn invite_join_peers_and_remove_from_the_command_line() {
    let (a_dir, _) = setup();
    let a = a_dir.path();
    let (mut serve, _log) = spawn_serve_with(a, &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"]);
    let qr = a.join("invite.png");
    let invite = json(a, &["invite", "--uses", "1", "--expires", "2d", "--qr", qr.to_str().unwrap()]);
    let link = invite["link"].as_str().unwrap().to_owned();
    assert!(link.starts_with("weft://join/") && link.contains("/ip4/127.0.0.1/tcp/"), "{link}");
    assert_eq!(invite["code"].as_str().unwrap().len(), 48 + 7);
    assert_eq!(&std::fs::read(&qr).unwrap()[1..4], b"PNG");

    let b_dir = tempfile::tempdir().unwrap();
    let b = b_dir.path();
    let joined = json(b, &["join", &link, "--name", "Bea"]);
    assert_eq!(joined["members"], 2);
    assert_eq!(json(b, &["members"]).as_array().unwrap().len(), 2);

    // The invitation was for one person.
    let c_dir = tempfile::tempdir().unwrap();
    let out = weft(c_dir.path(), &["join", &link, "--name", "Cai"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("used as many times"), "{out:?}");
    // Bad input is refused by name.
    for (args, words) in [
        (vec!["join", "abc-def", "--name", "Cai"], "48 letters"),
        (vec!["invite", "--expires", "0d"], "is not a duration"),
        (vec!["invite", "--uses", "0"], "uses"),
        (vec!["serve", "--connect", "not-an-address"], "not a network address"),
    ] {
        let out = weft(c_dir.path(), &args);
        assert!(!out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(words), "{args:?}: {out:?}");
    }

    let peers = json(a, &["peers"]);
    assert_eq!(peers["online"], true);
    assert!(!peers["listening"].as_array().unwrap().is_empty());
    let removed = json(a, &["member", "remove", "Bea"]);
    assert_eq!(removed["name"], "Bea");
    let out = weft(a, &["member", "remove", "Bea"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already been removed"), "{out:?}");

    let pid = serve.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(serve.wait().unwrap().success());
}

#[test]
fn suggestions_declines_and_the_plan_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    json(d, &["demo", "--members", "30", "--seed", "3"]);
    // Time this week, whatever the demo's year left in it.
    ok(d, &["profile", "set", "--hours-per-week", "30"]);

    let s = json(d, &["suggest", "--limit", "8"]);
    assert_eq!(s["is_me"], true);
    assert!(s["resting"].is_null(), "{s}");
    let items = s["items"].as_array().unwrap().clone();
    assert!(!items.is_empty() && items.len() <= 8, "{s}");
    for item in &items {
        let reasons = item["reasons"].as_array().unwrap();
        assert!(!reasons.is_empty(), "{item}");
        assert!(reasons.iter().all(|r| !r["text"].as_str().unwrap().trim().is_empty()), "{item}");
        for term in ["skill", "urgency"] {
            assert!(reasons.iter().any(|r| r["term"] == term), "{item} has no {term} reason");
        }
    }
    let human = ok(d, &["suggest"]);
    let top_title = items[0]["title"].as_str().unwrap();
    assert!(human.lines().any(|l| l.starts_with("1. ") && l.contains(top_title)), "{human}");
    let reason_lines = human.lines().filter(|l| ["+ ", "- ", "· "].iter().any(|m| l.trim_start().starts_with(m)));
    assert!(reason_lines.count() >= items.len().min(5) * 4, "every item has its reasons: {human}");
    if items[0]["planned"] == true {
        assert!(human.lines().next().unwrap_or("").contains("this week") && human.contains("(your part of the plan)"));
    }

    // "Not for me": said once, never suggested again.
    let top = items[0]["task"].as_str().unwrap().to_owned();
    let said = ok(d, &["suggest", "--decline", &top[..8]]);
    assert_eq!(said.trim(), format!("Noted: '{top_title}' is not for you; it won't be suggested again."));
    let after = json(d, &["suggest", "--limit", "100"]);
    assert!(after["items"].as_array().unwrap().iter().all(|i| i["task"] != top.as_str()), "{after}");
    let second = after["items"][0]["task"].as_str().unwrap().to_owned();
    let declined = json(d, &["suggest", "--decline", &second]);
    assert_eq!(
        (declined["task"].as_str(), declined["title"].as_str()),
        (Some(second.as_str()), after["items"][0]["title"].as_str())
    );

    // The plan: counters, then parts by member; never hours per person or rankings.
    let plan = json(d, &["plan"]);
    let (covered, open) = (plan["urgent_covered"].as_u64().unwrap(), plan["urgent_open"].as_u64().unwrap());
    assert!(covered > 0 && covered <= open, "{plan}");
    let parts = plan["parts"].as_array().unwrap();
    assert_eq!(parts.len() as u64, plan["places_covered"].as_u64().unwrap());
    let human = ok(d, &["plan"]);
    assert!(human.contains(&format!("Urgent places covered: {covered} of {open}")), "{human}");
    assert!(human.contains("Places covered: ") && human.contains("Members with a part: "), "{human}");
    let first = &parts[0];
    let line = format!("{} — {} (", first["member_name"].as_str().unwrap(), first["title"].as_str().unwrap());
    assert!(human.contains(&line), "'{line}' not in {human}");
    if let Some(t) = plan["urgent_uncovered"].as_array().unwrap().first() {
        assert!(human.contains("Urgent places nobody here can take this week:"), "{human}");
        assert!(human.contains(t["title"].as_str().unwrap()), "{human}");
    }

    // Bad references and values are refused clearly, and change nothing.
    let before = snapshot(d);
    for (args, words) in [
        (vec!["suggest", "--decline", "nosuchtask"], "no task nosuchtask"),
        (vec!["suggest", "--decline", "ab"], "at least 4 characters"),
        (vec!["suggest", "--limit", "0"], "--limit"),
        (vec!["suggest", "--member", "Nobody"], "no member 'Nobody'"),
        (vec!["plan", "--community", "Elsewhere"], "no community called"),
    ] {
        let out = weft(d, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "weft {args:?} should fail");
        assert!(stderr.contains(words), "weft {args:?}: '{stderr}' should mention '{words}'");
        assert!(out.stdout.is_empty(), "weft {args:?} printed to stdout on failure");
    }
    let out = weft(d, &["--json", "suggest", "--decline", "nosuchtask"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "not_found");
    assert_eq!(before, snapshot(d));

    // The same through a running `weft serve`.
    let (mut serve, _log) = spawn_serve_with(d, &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"]);
    let served = json(d, &["suggest", "--limit", "100"]);
    assert!(
        served["items"].as_array().unwrap().iter().all(|i| i["task"] != top.as_str() && i["task"] != second.as_str())
    );
    assert_eq!(json(d, &["plan"]), plan, "the same documents give the same plan");
    let third = served["items"][0]["task"].as_str().unwrap().to_owned();
    assert!(ok(d, &["suggest", "--decline", &third[..6]]).starts_with("Noted: "));
    // At rest: a kind sentence instead of a list.
    ok(d, &["profile", "set", "--hours-per-week", "0"]);
    let resting = ok(d, &["suggest"]);
    assert!(resting.contains("Your profile says 0 hours a week") && resting.contains("--hours-per-week"), "{resting}");
    assert_eq!(json(d, &["suggest"])["resting"]["why"], "no_hours");
    let pid = serve.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(serve.wait().unwrap().success());
}

#[test]
fn simulate_compares_weft_with_the_baselines_without_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("never-created");
    let text = ok(&missing, &["simulate", "--members", "24", "--months", "2", "--seed", "5"]);
    for row in [
        "weft ",
        "weft, undated pledges",
        "weft, no notifications",
        "random",
        "greedy by skill",
        "first come",
        "Weft against the goals:",
    ] {
        assert!(text.contains(row), "missing {row:?} in\n{text}");
    }
    assert!(!missing.exists(), "simulate needs no data directory");
    let v = json(&missing, &["simulate", "--members", "24", "--months", "2", "--seed", "5"]);
    let outcomes = v["report"]["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 6);
    assert_eq!(outcomes[0]["policy"], "weft");
    assert_eq!(outcomes[1]["policy"], "weft-undated");
    assert_eq!(outcomes[0]["overload_incidents"], 0);
    assert_eq!(v["goals"].as_array().unwrap().len(), 5);
    // Same seed, same report.
    assert_eq!(v, json(&missing, &["simulate", "--members", "24", "--months", "2", "--seed", "5"]));
    let out = weft(&missing, &["simulate", "--months", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--months"));
}

#[test]
fn simulate_links_communities_and_escalates_under_weft_only() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("never-created");
    let args = ["simulate", "--members", "24", "--months", "2", "--seed", "5", "--communities", "3"];
    let text = ok(&missing, &args);
    for row in ["3 linked communities", "weft, no escalation", "calls opened", "does not escalate", "p90"] {
        assert!(text.contains(row), "missing {row:?} in\n{text}");
    }
    let v = json(&missing, &args);
    assert_eq!(v["report"]["network"]["communities"], 3);
    let outcomes = v["report"]["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 6);
    assert_eq!(outcomes[0]["policy"], "weft");
    assert!(outcomes[0]["escalation"]["calls_opened"].as_u64().unwrap() > 0);
    assert!(outcomes[2]["escalation"].is_null(), "weft, no escalation");
    assert_eq!(v["goals"].as_array().unwrap().len(), 6);
    assert_eq!(v, json(&missing, &args), "same seed, same report");
    // One community is the simulation without neighbours, report and all.
    let one = json(&missing, &["simulate", "--members", "24", "--months", "2", "--seed", "5", "--communities", "1"]);
    assert_eq!(one, json(&missing, &["simulate", "--members", "24", "--months", "2", "--seed", "5"]));
    assert!(one["report"].get("network").is_none());
    let out = weft(&missing, &["simulate", "--communities", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--communities"));
}

#[test]
fn a_concern_becomes_a_proposal_decided_by_consent_from_the_command_line() {
    let (dir, _) = setup();
    let d = dir.path();
    let concern = ok(d, &["flag", "--sector", "food", "--note", "The food sector is far behind this month"]);
    let flag = concern.split(['(', ')']).nth(1).unwrap().to_owned();
    let p = json(
        d,
        &["proposal", "open", "Two harvest mornings a week", "--details", "Tuesdays and Saturdays", "--concern", &flag],
    );
    assert_eq!(p["sector"], "food", "about what the concern is about");
    assert_eq!(p["status"]["state"], "open");
    let id = p["id"].as_str().unwrap()[..8].to_owned();
    // An objection must say why; a stance must fit the kind of proposal.
    let out = weft(d, &["proposal", "stance", &id, "objection"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a reason"), "{out:?}");
    let out = weft(d, &["proposal", "stance", &id, "block", "--reason", "no"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a stance on a consent proposal"), "{out:?}");
    let out = weft(d, &["proposal", "stance", &id, "maybe"]);
    assert!(!out.status.success());
    ok(d, &["proposal", "stance", &id, "consent"]);
    // The only member, its author, closes the round: decided.
    let closed = json(d, &["proposal", "close", &id]);
    assert_eq!(closed["status"]["state"], "decided");
    assert_eq!(closed["status"]["result"], "consented");
    let shown = ok(d, &["proposal", "show", &id]);
    assert!(shown.contains("consented: nobody objected") && shown.contains("from the concern"), "{shown}");
    assert!(shown.contains("nobody has written the outcome yet"), "{shown}");
    let out = weft(d, &["proposal", "outcome", &id, "Harvest on Tuesdays and Saturdays", "--review", "2000-01-01"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already passed"), "{out:?}");
    let done = json(d, &["proposal", "outcome", &id, "Harvest on Tuesdays and Saturdays", "--review", "2099-01-01"]);
    assert_eq!(done["outcome"]["review"], "2099-01-01");
    let list = ok(d, &["proposal", "list"]);
    assert!(list.contains("Two harvest mornings a week") && list.contains("review 2099-01-01"), "{list}");
}

#[test]
fn a_weekly_task_from_the_command_line() {
    let (dir, _) = setup();
    let d = dir.path();
    let s = json(
        d,
        &[
            "task",
            "add",
            "--title",
            "Sort the food share",
            "--sector",
            "food",
            "--slots",
            "3",
            "--repeat",
            "weekly",
            "--until",
            "2099-01-01",
        ],
    );
    assert_eq!(s["series"]["repeat"]["repeat"], "weekly");
    let coming = s["coming"].as_array().unwrap();
    assert!((4..=5).contains(&coming.len()), "four weeks ahead: {coming:?}");
    let id = s["series"]["id"].as_str().unwrap()[..8].to_owned();
    // Its occurrences are tasks on the board: pledge to one.
    let first = coming[0]["task"].as_str().unwrap()[..8].to_owned();
    ok(d, &["pledge", &first]);
    // A day for it, then looking for a stand-in, then keeping it after all.
    let day = coming[0]["on"].as_str().unwrap().to_owned();
    let dated = json(d, &["pledge", &first, "--on", &day]);
    assert_eq!(dated["pledges"][0]["on"], day.as_str());
    let asked = json(d, &["pledge", &first, "--stand-in"]);
    assert_eq!((asked["pledges"][0]["stand_in"].as_bool(), asked["stand_ins"].as_u64()), (Some(true), Some(1)));
    assert!(ok(d, &["task", "show", &first]).contains("looking for a stand-in"));
    let kept = json(d, &["pledge", &first, "--keep"]);
    assert_eq!(kept["stand_ins"], 0);
    let out = weft(d, &["pledge", &first, "--take-over", "Ana"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("looking for a stand-in"), "{out:?}");
    let out = weft(d, &["pledge", &first, "--on", "2000-01-01"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("has passed"), "{out:?}");
    let second = coming[1]["on"].as_str().unwrap().to_owned();
    let skipped = json(d, &["series", "skip", &id, &second]);
    assert_eq!(skipped["coming"][1]["open"], false);
    let edited = json(d, &["series", "edit", &id, "--title", "Sort and pack the food share"]);
    assert_eq!(edited["coming"][0]["taken"], 1, "the pledge stays");
    let list = ok(d, &["series", "list"]);
    assert!(
        list.contains("Sort and pack the food share") && list.contains("every ") && list.contains("skipped"),
        "{list}"
    );
    for (args, words) in [
        (vec!["task", "add", "--title", "x", "--sector", "food", "--repeat", "fortnightly"], "not a way to repeat"),
        (vec!["task", "add", "--title", "x", "--sector", "food", "--until", "2099-01-01"], "--repeat"),
        (
            vec!["task", "add", "--title", "x", "--sector", "food", "--repeat", "weekly", "--starts", "2000-01-01"],
            "in the past",
        ),
        (vec!["series", "skip", &id, "2099-01-02"], "does not come round"),
    ] {
        let out = weft(d, &args);
        assert!(!out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(words), "{args:?}: {out:?}");
    }
}

/// The local date `days` from today, as the binary's clock sees it (GNU `date`).
fn day_in(days: u32) -> String {
    let out = Command::new("date").arg("-d").arg(format!("+{days} days")).arg("+%Y-%m-%d").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `2026-03-14` as a `chrono::NaiveDate` prints it: what the parser reads from `20260314`.
fn start_date(e: &icalendar::Event) -> String {
    use icalendar::{Component, DatePerhapsTime};
    match e.get_start() {
        Some(DatePerhapsTime::Date(d)) => d.to_string(),
        other => panic!("{:?} does not start on a day: {other:?}", e.get_uid()),
    }
}

fn end_date(e: &icalendar::Event) -> String {
    use icalendar::{Component, DatePerhapsTime};
    match e.get_end() {
        Some(DatePerhapsTime::Date(d)) => d.to_string(),
        other => panic!("{:?} does not end on a day: {other:?}", e.get_uid()),
    }
}

#[test]
fn my_pledges_as_a_calendar_file_that_a_calendar_library_reads_back() {
    use icalendar::{Component, EventLike, EventStatus};

    let (dir, community) = setup();
    let d = dir.path();
    let soup_day = day_in(10);
    let title = "Soup, bread; and \\ a pot 🍲 for «la fête» — e\u{301}te\u{301}";
    let soup = json(
        d,
        &[
            "task",
            "add",
            "--title",
            title,
            "--sector",
            "arts",
            "--hours",
            "1.5",
            "--deadline",
            &soup_day,
            "--location",
            "The hall, back door",
            "--description",
            "Bring a pot.\nAnd a ladle, if you have one; 👩\u{200d}🍳",
        ],
    );
    let soup = soup["id"].as_str().unwrap().to_owned();
    ok(d, &["pledge", &soup[..6]]);
    // Not mine, no day, withdrawn: only the withdrawn one comes, as cancelled.
    json(d, &["task", "add", "--title", "Not pledged", "--sector", "food", "--deadline", &day_in(3)]);
    let undated = json(d, &["task", "add", "--title", "Any day", "--sector", "food"]);
    ok(d, &["pledge", &undated["id"].as_str().unwrap()[..6]]);
    let gave_back = json(d, &["task", "add", "--title", "Given back", "--sector", "food", "--deadline", &day_in(5)]);
    let gave_back = gave_back["id"].as_str().unwrap().to_owned();
    ok(d, &["pledge", &gave_back[..6]]);
    ok(d, &["pledge", &gave_back[..6], "--withdraw"]);
    // A weekly series: one occurrence pledged, one pledged then skipped (its task closes),
    // one done.
    let series = json(
        d,
        &[
            "task",
            "add",
            "--title",
            "Sort the food share",
            "--sector",
            "food",
            "--repeat",
            "weekly",
            "--until",
            "2099-01-01",
        ],
    );
    let coming = series["coming"].as_array().unwrap();
    let occurrence = |i: usize| (coming[i]["task"].as_str().unwrap().to_owned(), coming[i]["on"].as_str().unwrap());
    let (first, second, third) = (occurrence(0), occurrence(1), occurrence(2));
    for (task, _) in [&first, &second, &third] {
        ok(d, &["pledge", &task[..8]]);
    }
    ok(d, &["series", "skip", &series["series"]["id"].as_str().unwrap()[..8], second.1]);
    ok(d, &["pledge", &third.0[..8], "--done"]);

    let file = d.join("mine.ics");
    let said = ok(d, &["calendar", "--out", file.to_str().unwrap()]);
    assert_eq!(said.trim(), format!("Wrote {} (5 events, 2 of them cancelled).", file.display()));
    let bytes = std::fs::read(&file).unwrap();
    assert!(std::fs::read_dir(d).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".partial")));
    let text = String::from_utf8(bytes).unwrap();
    // CRLF everywhere, no line over 75 octets.
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'), "{text:?}");
    assert!(text.split("\r\n").all(|l| l.len() <= 75), "{text}");

    let calendar: icalendar::Calendar = text.parse().unwrap();
    assert_eq!(calendar.property_value("X-WR-CALNAME"), Some("Weft — Riverside Commons"));
    assert_eq!(calendar.property_value("VERSION"), Some("2.0"));
    let events: Vec<&icalendar::Event> = calendar.events().collect();
    let uid = |task: &str| format!("task-{task}.{community}@weft");
    let by_uid = |task: &str| *events.iter().find(|e| e.get_uid() == Some(uid(task).as_str())).unwrap();
    assert_eq!(events.len(), 5, "{text}");
    let mut uids: Vec<&str> = events.iter().map(|e| e.get_uid().unwrap()).collect();
    uids.sort_unstable();
    let mut expected = [uid(&soup), uid(&gave_back), uid(&first.0), uid(&second.0), uid(&third.0)];
    expected.sort();
    assert_eq!(uids, expected);

    let e = by_uid(&soup);
    assert_eq!(e.get_summary(), Some(title));
    assert_eq!((start_date(e), end_date(e)), (soup_day.clone(), day_in(11)), "all day, the end exclusive");
    assert_eq!(e.get_location(), Some("The hall, back door"));
    assert_eq!(e.get_status(), Some(EventStatus::Confirmed));
    assert_eq!(e.get_categories(), Some(vec!["Arts, culture & innovation".to_owned()]));
    let description = e.get_description().unwrap();
    assert!(description.starts_with("1.5 h · Arts, culture & innovation · Riverside Commons"), "{description}");
    assert!(description.ends_with("Bring a pot.\nAnd a ladle, if you have one; 👩\u{200d}🍳"), "{description}");
    assert!(e.get_timestamp().is_some(), "DTSTAMP");

    assert_eq!(by_uid(&gave_back).get_status(), Some(EventStatus::Cancelled));
    for ((task, on), status) in
        [(&first, EventStatus::Confirmed), (&second, EventStatus::Cancelled), (&third, EventStatus::Confirmed)]
    {
        let e = by_uid(task);
        assert_eq!(e.get_summary(), Some("Sort the food share"));
        assert_eq!(start_date(e), *on, "an occurrence is on its day");
        assert_eq!(e.get_status(), Some(status), "{on}");
    }
    assert!(by_uid(&third.0).get_description().unwrap().contains("Done."));

    // Again, on standard output and for the community by name: the same events under the
    // same UIDs, so a calendar program updates what the first import made.
    let again = ok(d, &["calendar", "--community", "riverside commons"]);
    let strip_stamps = |t: &str| t.split("\r\n").filter(|l| !l.starts_with("DTSTAMP:")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip_stamps(&again), strip_stamps(&text));
    let summary = json(d, &["calendar"]);
    assert_eq!((summary["events"].as_u64(), summary["cancelled"].as_u64()), (Some(5), Some(2)));
    assert!(summary["community"].is_null());
    let one = json(d, &["calendar", "--community", "riverside commons"]);
    assert_eq!(one["suggested_name"], "riverside-commons-calendar.ics");

    // Nothing to write into: the directory must exist, and nothing is left behind.
    let out = weft(d, &["calendar", "--out", d.join("no/such/dir/mine.ics").to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("could not write"), "{out:?}");
}

#[test]
fn a_calendar_says_the_same_days_in_every_time_zone() {
    // A day of Weft's is the community's calendar day: the file holds it as a floating date,
    // never shifted by the zone of the machine that wrote it (nor, on import, of the reader).
    // POSIX zones need no tz database: "UTC+12" is twelve hours behind UTC, "UTC-14" fourteen
    // ahead, so the two machines' clocks are apart by more than a day at some hours.
    let (dir, _) = setup();
    let d = dir.path();
    let days = [day_in(6), day_in(7), day_in(30)];
    for (i, day) in days.iter().enumerate() {
        let task = json(d, &["task", "add", "--title", &format!("Task {i}"), "--sector", "food", "--deadline", day]);
        ok(d, &["pledge", &task["id"].as_str().unwrap()[..8]]);
    }
    let export = |tz: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_weft"))
            .arg("--data-dir")
            .arg(d)
            .arg("calendar")
            .env_remove("WEFT_DATA_DIR")
            .env("WEFT_LOG", "warn")
            .env("TZ", tz)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let calendar: icalendar::Calendar = text.parse().unwrap();
        let mut got: Vec<(String, String, String)> = calendar
            .events()
            .map(|e| {
                use icalendar::Component;
                (e.get_summary().unwrap().to_owned(), start_date(e), end_date(e))
            })
            .collect();
        got.sort();
        // The stamp is an instant, in UTC whatever the zone.
        let stamp = text.split("\r\n").find(|l| l.starts_with("DTSTAMP:")).unwrap().to_owned();
        assert!(stamp.len() == "DTSTAMP:20260314T170000Z".len() && stamp.ends_with('Z'), "{stamp}");
        (got, text)
    };
    let (west, west_text) = export("UTC+12");
    let (east, _) = export("UTC-14");
    assert_eq!(west, east);
    let expected: Vec<(String, String, String)> = [(6, 7), (7, 8), (30, 31)]
        .iter()
        .enumerate()
        .map(|(i, (start, end))| (format!("Task {i}"), day_in(*start), day_in(*end)))
        .collect();
    assert_eq!(west, expected, "all day on the task's day, ending (exclusively) the next");
    assert!(!west_text.contains("TZID"), "no zone is named, so none needs a VTIMEZONE");
}

#[test]
fn a_crew_and_a_gathering_from_the_command_line() {
    let (dir, _) = setup();
    let d = dir.path();
    let k = json(
        d,
        &[
            "crew",
            "create",
            "Tuesday circle",
            "--purpose",
            "Peer coaching",
            "--meets",
            "every-2-weeks",
            "--weekday",
            "tue",
            "--at",
            "19:30",
            "--place",
            "The library",
        ],
    );
    assert_eq!(k["members"][0]["name"], "Ana");
    assert_eq!(k["when"], "every 2 weeks on Tuesday at 19:30");
    assert!(k["next_meeting"].is_string(), "{k}");
    assert_eq!((k["mine"].as_bool(), k["max"].as_u64()), (Some(true), Some(7)));
    ok(d, &["crew", "checkin", "Tuesday circle", "Tired but glad to be here"]);
    let shown = ok(d, &["crew", "show", "tuesday circle"]);
    assert!(shown.contains("check-in — Ana: Tired but glad") && shown.contains("The library"), "{shown}");
    // A task taken for the crew: its hours shared among its members.
    let t = json(d, &["task", "add", "--title", "Mend the fence", "--sector", "maintenance", "--hours", "3"]);
    let task = t["id"].as_str().unwrap()[..8].to_owned();
    let k = json(d, &["crew", "pledge", &task, "Tuesday circle"]);
    assert_eq!(k["tasks"][0]["share"], 180, "one member: the whole 3 hours");
    assert!(ok(d, &["task", "show", &task]).contains("for the crew Tuesday circle"));
    // A gathering, its task, and who is coming.
    let (starts, ends) = (day_in(20), day_in(21));
    let g =
        json(d, &["gathering", "add", "Harvest weekend", "--starts", &starts, "--ends", &ends, "--place", "Meadow"]);
    assert_eq!(g["coming"], true);
    let g = json(d, &["gathering", "task", "Harvest weekend", "--title", "Cook for sixty", "--sector", "food"]);
    assert_eq!(g["tasks"][0]["deadline"], starts.as_str());
    assert_eq!(g["tasks"][0]["location"], "Meadow");
    let g = json(d, &["gathering", "attend", "harvest weekend", "--no"]);
    assert_eq!(g["coming"], false);
    ok(d, &["gathering", "attend", "Harvest weekend"]);
    let list = ok(d, &["gathering", "list"]);
    assert!(list.contains(&format!("Harvest weekend — {starts} to {ends}, Meadow — you are coming")), "{list}");
    // The calendar holds the crew's meetings (at their local time) and the gathering.
    let cal = json(d, &["calendar"]);
    let ics = cal["ics"].as_str().unwrap();
    assert!(ics.contains("SUMMARY:Tuesday circle") && ics.contains("T193000\r\n"), "{ics}");
    assert!(ics.contains("SUMMARY:Harvest weekend"), "{ics}");
    // Read back by a calendar library: the meetings at 19:30 for an hour and a half, wherever
    // one is (floating); the gathering all its days, the end exclusive.
    {
        use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventLike};
        let calendar: icalendar::Calendar = ics.parse().unwrap();
        let events: Vec<&icalendar::Event> = calendar.events().collect();
        let meetings: Vec<_> = events.iter().filter(|e| e.get_summary() == Some("Tuesday circle")).collect();
        assert!(meetings.len() >= 4, "eight weeks of every other Tuesday: {}", meetings.len());
        for m in meetings {
            let (
                Some(DatePerhapsTime::DateTime(CalendarDateTime::Floating(start))),
                Some(DatePerhapsTime::DateTime(CalendarDateTime::Floating(end))),
            ) = (m.get_start(), m.get_end())
            else {
                panic!("a meeting at a local time: {m:?}")
            };
            assert_eq!(
                (start.format("%H:%M %a").to_string(), end.format("%H:%M").to_string()),
                ("19:30 Tue".into(), "21:00".into())
            );
        }
        let g = events.iter().find(|e| e.get_summary() == Some("Harvest weekend")).unwrap();
        assert_eq!((start_date(g), end_date(g)), (starts.clone(), day_in(22)));
        assert_eq!(g.get_location(), Some("Meadow"));
    }
    // Bad input, in words; nothing written.
    for (args, words) in [
        (vec!["crew", "create", "x", "--meets", "weekly", "--at", "25:00"], "time of day"),
        (vec!["crew", "join", "Tuesday circle"], "already"),
        (vec!["crew", "show", "Nope"], "no crew"),
        (vec!["gathering", "add", "x", "--starts", &starts, "--ends", &day_in(60)], "at most 14 days"),
    ] {
        let out = weft(d, &args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(words), "{args:?}: {err}");
    }
}

/// The loopback address a running `weft serve` listens on, as `weft peers` says.
fn listening(dir: &Path) -> String {
    let peers = json(dir, &["peers"]);
    let all = peers["listening"].as_array().unwrap();
    all.iter().filter_map(Value::as_str).find(|a| a.starts_with("/ip4/127.0.0.1/tcp/")).unwrap().to_owned()
}

fn weft_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_weft"));
    c.arg("--data-dir").arg(dir).args(args).env_remove("WEFT_DATA_DIR").env("WEFT_LOG", "warn");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("the weft binary runs")
}

#[test]
fn a_second_computer_a_backup_and_a_restore_after_losing_everything() {
    let root = tempfile::tempdir().unwrap();
    let a = root.path().join("ana");
    ok(&a, &["init", "--name", "Ana"]);
    json(&a, &["community", "create", "Riverside Commons"]);
    json(&a, &["task", "add", "--title", "Soup for the gathering", "--sector", "food", "--slots", "4"]);
    let (mut a_serve, mut a_log) = spawn_serve_with(&a, &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"]);
    // Bob joins, and keeps a peer running.
    let link = json(&a, &["invite"])["link"].as_str().unwrap().to_owned();
    let b_dir = tempfile::tempdir().unwrap();
    let b = b_dir.path();
    json(b, &["join", &link, "--name", "Bob"]);
    let ana_address = listening(&a);
    let (mut b_serve, _b_log) =
        spawn_serve_with(b, &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns", "--connect", &ana_address]);
    let bob_address = listening(b);

    // A second computer of Ana's, linked with a pairing code once the words are confirmed.
    let pairing = json(&a, &["device", "add", "--minutes", "5"]);
    let code = pairing["link"].as_str().unwrap().to_owned();
    let laptop_dir = tempfile::tempdir().unwrap();
    let laptop = laptop_dir.path().to_path_buf();
    let linking = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("--data-dir")
        .arg(&laptop)
        .args(["--json", "device", "link", &code, "--label", "Kitchen laptop"])
        .env("WEFT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the event in Ana's log: the laptop asks.
    let mut line = String::new();
    while !line.contains("asks to be linked") {
        line.clear();
        assert!(a_log.read_line(&mut line).unwrap() > 0, "weft serve exited before the laptop asked");
    }
    let devices = json(&a, &["device", "list"]);
    let words: Vec<String> =
        devices["asking"][0]["words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_owned()).collect();
    let mut confirm = vec!["device", "confirm"];
    confirm.extend(words.iter().map(String::as_str));
    ok(&a, &confirm);
    let linked = linking.wait_with_output().unwrap();
    assert!(linked.status.success(), "{}", String::from_utf8_lossy(&linked.stderr));
    assert!(String::from_utf8_lossy(&linked.stderr).contains(&words.join(" ")), "the laptop showed the same words");
    let whoami = json(&laptop, &["whoami"]);
    assert_eq!(whoami["member"], json(&a, &["whoami"])["member"]);
    assert_eq!(json(&laptop, &["task", "list"]).as_array().unwrap().len(), 1, "the board came over");
    let listed = json(&a, &["device", "list"]);
    assert_eq!(listed["devices"].as_array().unwrap().len(), 2);

    // A backup, with a weak passphrase refused first.
    let file = a.parent().unwrap().join("ana.weftbackup");
    let sheet = a.parent().unwrap().join("ana-sheet.html");
    let weak = weft_with(&a, &["backup", "--out", file.to_str().unwrap()], &[("WEFT_PASSPHRASE", "short")]);
    assert!(!weak.status.success() && String::from_utf8_lossy(&weak.stderr).contains("at least 10"), "{weak:?}");
    let pass = [("WEFT_PASSPHRASE", "correct horse battery staple")];
    let made = weft_with(&a, &["backup", "--out", file.to_str().unwrap(), "--sheet", sheet.to_str().unwrap()], &pass);
    assert!(made.status.success(), "{made:?}");
    assert_eq!(&std::fs::read(&file).unwrap()[..7], b"WEFTBAK");
    assert!(std::fs::read_to_string(&sheet).unwrap().contains("<svg"));

    // The backup's key is known once a peer holds its registration (a restore needs one that
    // does): Bob's peer lists Ana's three devices.
    let deadline = Instant::now() + Duration::from_secs(60);
    while json(b, &["members"]).as_array().unwrap().iter().find(|m| m["name"] == "Ana").unwrap()["devices"] != 3 {
        assert!(Instant::now() < deadline, "the backup's registration never reached Bob");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Everything of Ana's first computer is lost.
    let pid = a_serve.id().to_string();
    assert!(Command::new("kill").args(["-KILL", &pid]).status().unwrap().success());
    a_serve.wait().unwrap();
    std::fs::remove_dir_all(&a).unwrap();

    // A wrong passphrase and a changed backup are refused, clearly, and nothing is made.
    let fresh = tempfile::tempdir().unwrap();
    let restored = fresh.path().join("ana-again");
    let args = ["restore", file.to_str().unwrap(), "--connect", &bob_address];
    let wrong = weft_with(&restored, &args, &[("WEFT_PASSPHRASE", "wrong horse battery staple")]);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("passphrase is wrong"), "{wrong:?}");
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    let tampered = fresh.path().join("tampered.weftbackup");
    std::fs::write(&tampered, &bytes).unwrap();
    let changed = weft_with(&restored, &["restore", tampered.to_str().unwrap()], &pass);
    assert!(!changed.status.success(), "{changed:?}");
    assert!(!weft(&restored, &["whoami"]).status.success(), "no identity was taken on");

    // The right passphrase: Ana is back, the community comes from Bob, the laptop is revoked.
    let mut args = args.to_vec();
    args.extend(["--revoke", "Kitchen laptop", "--label", "New laptop"]);
    let back = weft_with(&restored, &args, &pass);
    assert!(back.status.success(), "{back:?}");
    let said = String::from_utf8_lossy(&back.stdout);
    assert!(said.contains("Riverside Commons") && said.contains("Revoked device"), "{said}");
    assert_eq!(json(&restored, &["whoami"])["member"], whoami["member"]);
    let tasks = json(&restored, &["task", "list"]);
    assert_eq!(tasks[0]["title"], "Soup for the gathering");
    let devices = json(&restored, &["device", "list"]);
    let revoked: Vec<&Value> =
        devices["devices"].as_array().unwrap().iter().filter(|d| !d["revoked"].is_null()).collect();
    assert_eq!(revoked.len(), 1, "{devices}");
    assert_eq!(revoked[0]["label"], "Kitchen laptop");

    let pid = b_serve.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(b_serve.wait().unwrap().success());
}
