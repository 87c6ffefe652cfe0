//! The desktop app end to end: the real `weft-app`, driven through WebDriver under Xvfb.
//! Run by `scripts/test.sh` as
//! `xvfb-run -a cargo test --workspace --test app -- --ignored --test-threads=1`.
//!
//! The tests find things by `data-testid` (the UI's test hooks) and assert on what a person
//! reads; screenshots of the main screens land in `target/e2e-artifacts/`.
#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use weft_e2e::{
    App, LAUNCH, SHORT, SYNC, Serve, SessionBus, Tally, descendants, free_port, process_name, pss_kib, rss_kib, weft,
};

/// The app on its own loopback port, away from mDNS: tests wire peers by hand.
fn loopback_args(port: u16) -> Vec<String> {
    vec!["--no-mdns".into(), "--listen".into(), format!("/ip4/127.0.0.1/tcp/{port}")]
}

/// A data directory that already has Ana and her community (as the CLI makes them), so a
/// test can start on the board.
fn founded(dir: &Path) -> Result<()> {
    weft(dir, &["init", "--name", "Ana"])?;
    weft(dir, &["community", "create", "Riverside Commons"])?;
    Ok(())
}

/// The tasks on the board, read through the app (its control socket) by the `weft` command.
fn task_titles(dir: &Path) -> Result<Vec<String>> {
    let tasks: serde_json::Value = serde_json::from_str(&weft(dir, &["task", "list"])?)?;
    let list = tasks.as_array().context("task list is not a list")?;
    Ok(list.iter().filter_map(|t| t["title"].as_str().map(str::to_owned)).collect())
}

async fn attr(app: &App, testid: &str, name: &str) -> Result<String> {
    Ok(app.by_testid(testid).await?.attr(name).await?.unwrap_or_default())
}

/// Waits until the element's attribute has the value.
async fn wait_attr(app: &App, testid: &str, name: &str, want: &str) -> Result<()> {
    app.wait_until(&format!("{testid} {name}={want}"), SHORT, async || Ok(attr(app, testid, name).await? == want)).await
}

/// The monthly percent the Community screen shows for a sector.
async fn sector_percent(app: &App, sector: &str) -> Result<i64> {
    let css = format!("[data-testid=\"progress-sector\"][data-sector=\"{sector}\"]");
    let element = app.wait_css(&css, SHORT).await?;
    let percent = element.attr("data-percent").await?.unwrap_or_default();
    percent.parse().with_context(|| format!("'{percent}' is not a percent"))
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn first_run_shows_the_welcome_screen() -> Result<()> {
    let data = tempfile::tempdir()?;
    let app = App::launch(data.path(), &["--no-mdns".into()]).await?;
    app.wait_text("Welcome to Weft", LAUNCH).await?;
    app.by_testid("identity-name").await?;
    app.screenshot("first-run").await?;

    // Asked to stop (SIGTERM, as Ctrl-C; the same exit as closing the window, which
    // WebKitWebDriver cannot do without killing the app), the app ends cleanly: it stops
    // serving `weft` commands (the control socket goes) and releases the data directory.
    let pid = app.pid()?;
    let socket = data.path().join("control.sock");
    ensure!(socket.exists(), "the app does not serve weft commands");
    let killed = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status()?;
    ensure!(killed.success());
    let deadline = Instant::now() + SHORT;
    while Path::new(&format!("/proc/{pid}")).exists() {
        ensure!(Instant::now() < deadline, "the app did not exit when asked to");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    ensure!(!socket.exists(), "the app exited without closing its control socket");
    weft(data.path(), &["init", "--name", "Ana"])?;
    // The session's app is gone; ending it may fail.
    let _ = app.close().await;
    Ok(())
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn a_member_founds_a_community_posts_a_task_pledges_logs_hours_and_sees_progress() -> Result<()> {
    let data = tempfile::tempdir()?;
    let dir = data.path();
    let app = App::launch(dir, &loopback_args(free_port()?)).await?;

    // First run: a name, then a community, then (skipped) a profile.
    app.wait_text("Welcome to Weft", LAUNCH).await?;
    app.fill("identity-name", "Ana").await?;
    app.click("identity-submit").await?;
    app.fill("community-name-input", "Riverside Commons").await?;
    app.screenshot("first-run-community").await?;
    app.click("community-create-submit").await?;
    app.wait_text("What you like to do", SHORT).await?;
    app.screenshot("first-run-profile").await?;
    app.click("profile-skip").await?;
    app.wait_text("The board is empty", SHORT).await?;
    ensure!(app.testid_text("community-name").await? == "Riverside Commons");

    // The month's progress before anyone gave an hour.
    app.click("nav-community").await?;
    let before = sector_percent(&app, "food").await?;
    ensure!(before == 0, "a new community has done {before}% of its food goal");

    // Post a task.
    app.click("nav-board").await?;
    app.click("task-new").await?;
    app.fill("task-title-input", "Water the seedlings").await?;
    app.select("task-sector-input", "food").await?;
    app.fill("task-skills-input", "gardening").await?;
    app.fill("task-hours-input", "1.5").await?;
    app.fill("task-slots-input", "2").await?;
    app.click("task-urgency-urgent").await?;
    app.screenshot("task-form").await?;
    app.click("task-submit").await?;
    let title = app.by_testid("task-title").await?;
    ensure!(title.text().await? == "Water the seedlings");
    wait_attr(&app, "task-slots", "data-taken", "0").await?;

    // Pledge: one of two places taken, shown at once.
    app.click("pledge-button").await?;
    wait_attr(&app, "my-pledge", "data-state", "pledged").await?;
    wait_attr(&app, "task-slots", "data-taken", "1").await?;
    app.wait_text("1 of 2 places free", SHORT).await?;

    // Log the hours for the task.
    app.fill("task-log-hours", "1h30").await?;
    app.click("task-log-submit").await?;
    app.wait_until("the logged hours", SHORT, async || Ok(app.by_testid("task-log-saved").await.is_ok())).await?;
    app.wait_until("the task's hours to count them", SHORT, async || {
        Ok(app.testid_text("task-hours-logged").await?.contains("1.5"))
    })
    .await?;
    app.screenshot("task-page").await?;

    // The food sector's month moved, and so did my year.
    app.click("nav-community").await?;
    app.wait_until("the food sector's progress to rise", SHORT, async || Ok(sector_percent(&app, "food").await? > 0))
        .await?;
    app.wait_text("The food sector has done 90% of this month's goal.", SHORT).await?;
    app.screenshot("community").await?;
    app.click("nav-hours").await?;
    wait_attr(&app, "hours-total", "data-minutes", "90").await?;
    app.screenshot("my-hours").await?;

    // The board lists the task with its urgency; what the app showed is what it stored.
    app.click("nav-board").await?;
    let row = app.wait_css("[data-testid=\"task-row\"][data-urgency=\"urgent\"]", SHORT).await?;
    ensure!(row.text().await?.contains("Water the seedlings"));
    app.screenshot("board").await?;
    ensure!(task_titles(dir)? == ["Water the seedlings"]);

    app.click("nav-foryou").await?;
    app.wait_css("[data-testid=\"foryou-week\"], [data-testid=\"foryou-resting\"]", SHORT).await?;
    app.screenshot("for-you").await?;
    app.click("nav-settings").await?;
    app.by_testid("settings-data-dir").await?;
    app.screenshot("settings").await?;
    app.close().await
}

/// The node's requests that change a document (or the data directory); the rest only read.
const WRITES: &[&str] = &[
    "init",
    "community_create",
    "invite",
    "join",
    "member_remove",
    "community_rename",
    "profile_set",
    "sector_set",
    "guild_add",
    "task_add",
    "task_edit",
    "task_close",
    "pledge",
    "log",
    "confirm",
    "retract",
    "feedback",
    "flag",
    "decline",
    "demo",
];

/// What a pledge made on the task's page costs in requests to the node, counted by the page
/// itself (`window.__weftRequests`) from the click until the page has shown the pledge,
/// received the node's event for it and has nothing left on its way or scheduled (saved as
/// `pledge-requests.txt`). One write and one read of the task: the read cache re-reads only
/// what the page shows and depends on the board. Before it, when every event and every own
/// change made each screen re-read everything, the same pledge cost 10 reads: the task 3
/// times, sectors, guilds and the community list twice each, and suggestions once.
#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn a_pledge_costs_one_write_and_the_reads_of_its_screen() -> Result<()> {
    let data = tempfile::tempdir()?;
    let dir = data.path();
    founded(dir)?;
    weft(
        dir,
        &["task", "add", "--title", "Water the seedlings", "--sector", "food", "--hours", "1.5", "--slots", "2"],
    )?;
    let app = App::launch(dir, &loopback_args(free_port()?)).await?;
    app.wait_text("Water the seedlings", LAUNCH).await?;
    app.click("task-link").await?;
    wait_attr(&app, "task-slots", "data-taken", "0").await?;
    app.wait_idle(SHORT).await?;
    app.reset_tallies().await?;

    app.click("pledge-button").await?;
    wait_attr(&app, "my-pledge", "data-state", "pledged").await?;
    wait_attr(&app, "task-slots", "data-taken", "1").await?;
    app.wait_until("the node's event for the pledge", SHORT, async || {
        Ok(app.tally(Tally::Events).await?.get("document_changed:board").copied().unwrap_or(0) >= 1)
    })
    .await?;
    app.wait_idle(SHORT).await?;

    let mut requests = app.tally(Tally::Requests).await?;
    // The header's look at the network every ten seconds is a clock, not the pledge's cost.
    requests.remove("peers");
    let writes: u64 = requests.iter().filter(|(op, _)| WRITES.contains(&op.as_str())).map(|(_, n)| n).sum();
    let reads: u64 = requests.iter().filter(|(op, _)| !WRITES.contains(&op.as_str())).map(|(_, n)| n).sum();
    let report = format!("one pledge on the task page: {writes} write(s), {reads} read(s): {requests:?}\n");
    eprint!("{report}");
    std::fs::write(weft_e2e::artifacts_dir()?.join("pledge-requests.txt"), &report)?;
    let want: BTreeMap<String, u64> = [("pledge".to_owned(), 1), ("task_show".to_owned(), 1)].into();
    ensure!(requests == want, "{report}");
    app.close().await
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn bad_input_shows_a_clear_message_and_saves_nothing() -> Result<()> {
    let data = tempfile::tempdir()?;
    let dir = data.path();
    founded(dir)?;
    let app = App::launch(dir, &loopback_args(free_port()?)).await?;
    app.wait_text("The board is empty", LAUNCH).await?;

    // A task with no title, hours that are not hours and nobody needed.
    app.click("task-new").await?;
    app.fill("task-hours-input", "lots").await?;
    app.fill("task-slots-input", "0").await?;
    app.click("task-submit").await?;
    app.by_testid("task-form-errors").await?;
    app.wait_text("3 fields need a fix before the task can be saved.", SHORT).await?;
    app.wait_text("Give the task a short title.", SHORT).await?;
    app.wait_text("That is not a number of hours", SHORT).await?;
    app.wait_text("A task needs from 1 to 1000 people.", SHORT).await?;
    ensure!(attr(&app, "task-title-input", "aria-invalid").await? == "true");
    app.screenshot("task-form-errors").await?;
    ensure!(task_titles(dir)?.is_empty(), "a refused task was stored");

    // Thirty hours in one day.
    app.click("nav-hours").await?;
    app.select("log-sector", "food").await?;
    app.fill("log-hours", "30").await?;
    app.click("log-submit").await?;
    app.wait_text("Log more than 0 and at most 24 hours for one day.", SHORT).await?;
    app.screenshot("log-hours-error").await?;
    let pending: serde_json::Value = serde_json::from_str(&weft(dir, &["pending"])?)?;
    ensure!(pending["mine_unconfirmed"].as_array().is_some_and(Vec::is_empty), "refused hours were stored: {pending}");

    // An invitation code with a typo passes the form's checks but not the node's: the node's
    // refusal reaches the page with its code and its detail, worded by the UI.
    app.click("nav-peers").await?;
    app.click("join-open").await?;
    app.fill("join-code", &"a".repeat(48)).await?;
    app.click("join-submit").await?;
    let error = app.by_testid("join-error").await?;
    ensure!(error.attr("data-code").await?.as_deref() == Some("invalid"));
    ensure!(error.attr("data-kind").await?.as_deref() == Some("invite_code_checksum"));
    app.wait_text("The invitation code has a typo: check it letter by letter.", SHORT).await?;
    app.screenshot("join-error").await?;
    let communities: serde_json::Value = serde_json::from_str(&weft(dir, &["community", "list"])?)?;
    ensure!(communities.as_array().map(Vec::len) == Some(1));
    app.close().await
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn a_peers_new_task_appears_in_the_app_without_a_reload() -> Result<()> {
    let data = tempfile::tempdir()?;
    let (a, b) = (data.path().join("a"), data.path().join("b"));
    founded(&a)?;
    let port = free_port()?;
    let address = format!("/ip4/127.0.0.1/tcp/{port}");
    let app = App::launch(&a, &loopback_args(port)).await?;
    app.wait_text("The board is empty", LAUNCH).await?;

    // The app shows an invitation; a second peer joins with its code.
    app.click("nav-peers").await?;
    app.click("invite-create").await?;
    let code = app.testid_text("invite-code").await?;
    app.by_testid("invite-qr").await?;
    app.screenshot("invite").await?;
    weft(&b, &["join", code.trim(), "--name", "Bea", "--connect", &address])?;

    // The second peer runs connected to the app, and posts a task.
    let _serve = Serve::start(&b, &["--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0", "--connect", &address])?;
    app.wait_text("Connected to 1 member's app.", SYNC).await?;
    app.screenshot("peers").await?;
    app.click("nav-board").await?;
    app.wait_text("The board is empty", SHORT).await?;
    // A mark that a reload would wipe.
    app.client.execute("window.__notReloaded = true", vec![]).await?;
    weft(
        &b,
        &["task", "add", "--title", "Fix the bike trailer", "--sector", "maintenance", "--hours", "2", "--slots", "1"],
    )?;
    app.wait_text("Fix the bike trailer", SYNC).await?;
    let kept = app.client.execute("return window.__notReloaded === true", vec![]).await?;
    ensure!(kept == serde_json::Value::Bool(true), "the page was reloaded");
    app.screenshot("board-after-peer-change").await?;
    app.click("nav-community").await?;
    app.wait_text("Bea", SHORT).await?;
    app.close().await
}

/// The app on Ana's founded directory `a` (with `env`), and Bea joined from `b` with an
/// invitation made through the running app; returns the app and its address.
async fn app_with_bea(a: &Path, b: &Path, env: &[(&str, &str)]) -> Result<(App, String)> {
    let port = free_port()?;
    let address = format!("/ip4/127.0.0.1/tcp/{port}");
    let app = App::launch_with_env(a, &loopback_args(port), env).await?;
    app.wait_text("The board is empty", LAUNCH).await?;
    let invite: serde_json::Value = serde_json::from_str(&weft(a, &["invite"])?)?;
    let code = invite["code"].as_str().context("the invitation has no code")?;
    weft(b, &["join", code, "--name", "Bea", "--connect", &address])?;
    Ok((app, address))
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn an_urgent_task_that_fits_reaches_the_desktop_as_one_notification() -> Result<()> {
    let data = tempfile::tempdir()?;
    let (a, b) = (data.path().join("a"), data.path().join("b"));
    founded(&a)?;
    weft(&a, &["profile", "set", "--skill", "bike-repair:3", "--interest", "maintenance=5", "--hours-per-week", "4"])?;
    let mut bus = SessionBus::start()?;
    let (app, address) = app_with_bea(&a, &b, &[("DBUS_SESSION_BUS_ADDRESS", bus.address())]).await?;

    // Bea posts from her own peer.
    let _serve = Serve::start(&b, &["--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0", "--connect", &address])?;
    app.click("nav-peers").await?;
    app.wait_text("Connected to 1 member's app.", SYNC).await?;
    app.click("nav-board").await?;
    let post = |title: &str, urgency: &str| {
        weft(
            &b,
            &[
                "task",
                "add",
                "--title",
                title,
                "--sector",
                "maintenance",
                "--skill",
                "bike-repair",
                "--urgency",
                urgency,
            ],
        )
    };

    post("Fix the bike trailer", "urgent")?;
    let sent = bus.wait_notification("Fix the bike trailer", SYNC)?;
    ensure!(sent[0].summary == "An urgent task that suits you", "sent: {sent:?}");

    // A task that is not urgent is on the board but raises nothing; the first urgent one is
    // not raised again when the next one comes.
    post("Oil the chains", "normal")?;
    app.wait_text("Oil the chains", SYNC).await?;
    post("Mend the workshop door", "urgent")?;
    let sent = bus.wait_notification("Mend the workshop door", SYNC)?;
    let bodies: Vec<&str> = sent.iter().map(|n| n.body.as_str()).collect();
    ensure!(bodies == ["Fix the bike trailer", "Mend the workshop door"], "sent: {bodies:?}");
    app.close().await
}

/// A sector's baseline as the node has it, in minutes (read through the app's socket).
fn baseline_of(dir: &Path, sector: &str) -> Result<Option<u64>> {
    let sectors: serde_json::Value = serde_json::from_str(&weft(dir, &["sectors"])?)?;
    let list = sectors.as_array().context("sectors is not a list")?;
    Ok(list.iter().find(|s| s["id"] == sector).and_then(|s| s["baseline"].as_u64()))
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn the_community_renames_itself_changes_its_sectors_and_removes_a_member() -> Result<()> {
    let data = tempfile::tempdir()?;
    let (a, b) = (data.path().join("a"), data.path().join("b"));
    founded(&a)?;
    let (app, _) = app_with_bea(&a, &b, &[]).await?;

    app.click("nav-community").await?;
    app.wait_text("150 h in all", SHORT).await?;
    app.wait_text("Bea", SYNC).await?;

    // The community's name: an empty one is refused; a new one shows in the header.
    app.click("rename-community").await?;
    app.fill("rename-community-name", "   ").await?;
    app.click("rename-submit").await?;
    app.wait_text("Give the community a name.", SHORT).await?;
    app.fill("rename-community-name", "Riverside Commons & Orchard").await?;
    app.click("rename-submit").await?;
    app.wait_text("The community is now called Riverside Commons & Orchard.", SHORT).await?;
    app.wait_until("the new name in the header", SHORT, async || {
        Ok(app.testid_text("community-name").await? == "Riverside Commons & Orchard")
    })
    .await?;
    let list: serde_json::Value = serde_json::from_str(&weft(&a, &["community", "list"])?)?;
    ensure!(list[0]["name"] == "Riverside Commons & Orchard", "communities: {list}");

    // A baseline that is not a number of hours is refused and nothing changes.
    app.click_button("Change the Food sector").await?;
    app.fill("sector-baseline-input", "lots").await?;
    app.click("sector-save").await?;
    app.wait_text("Give the yearly baseline in hours, from 0 to 1,000, e.g. 20.", SHORT).await?;
    ensure!(baseline_of(&a, "food")? == Some(20 * 60), "a refused baseline was saved");

    app.fill("sector-baseline-input", "25").await?;
    app.click("sector-save").await?;
    app.wait_text("The Food sector is saved.", SHORT).await?;
    app.wait_text("155 h in all", SHORT).await?;
    ensure!(baseline_of(&a, "food")? == Some(25 * 60));

    // A new sector, and a second one of the same name is refused.
    app.click("add-sector").await?;
    app.fill("new-sector-name", "Water & energy").await?;
    app.fill("new-sector-baseline", "10").await?;
    app.click("new-sector-submit").await?;
    app.wait_text("The Water & energy sector is added.", SHORT).await?;
    app.wait_text("165 h in all", SHORT).await?;
    ensure!(baseline_of(&a, "water-energy")? == Some(10 * 60));
    app.fill("new-sector-name", "water & ENERGY").await?;
    app.fill("new-sector-baseline", "5").await?;
    app.click("new-sector-submit").await?;
    app.wait_text("There is already a sector called Water & energy.", SHORT).await?;
    app.screenshot("community-sectors").await?;

    // Retiring a sector is asked for twice; its baseline leaves the total.
    app.click_button("Change the Water & energy sector").await?;
    app.click("sector-retire").await?;
    app.click("sector-retire-confirm").await?;
    app.wait_text("The Water & energy sector is retired.", SHORT).await?;
    app.wait_text("155 h in all", SHORT).await?;
    ensure!(baseline_of(&a, "water-energy")?.is_none(), "a retired sector is still in use");

    // Removing Bea is asked for twice and says what it does.
    app.click_button("Remove Bea from the community").await?;
    app.wait_text("Do this only when the community has decided it together.", SHORT).await?;
    app.click("member-remove-confirm").await?;
    app.wait_text("Bea is no longer a member.", SHORT).await?;
    let members: serde_json::Value = serde_json::from_str(&weft(&a, &["members"])?)?;
    let names: Vec<&str> = members.as_array().context("members")?.iter().filter_map(|m| m["name"].as_str()).collect();
    ensure!(names == ["Ana"], "members after the removal: {names:?}");
    app.wait_until("Bea gone from the directory", SHORT, async || {
        let shown = app.testid_text("members").await?;
        Ok(!shown.contains("Bea"))
    })
    .await?;
    app.close().await
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn a_link_opened_while_the_app_runs_reaches_its_join_form() -> Result<()> {
    let data = tempfile::tempdir()?;
    let dir = data.path();
    founded(dir)?;
    let app = App::launch(dir, &loopback_args(free_port()?)).await?;
    app.wait_text("The board is empty", LAUNCH).await?;
    // A click on a link starts a second app on the same directory: it hands the link over
    // and exits, and the running app shows it in the join form.
    let link = format!("weft://join/{}", "b".repeat(48));
    let second = std::process::Command::new(weft_e2e::app_binary()?)
        .arg("--data-dir")
        .arg(dir)
        .arg(&link)
        .env_remove("DISPLAY")
        .output()?;
    ensure!(second.status.success(), "the second launch failed: {}", String::from_utf8_lossy(&second.stderr));
    app.wait_until("the link in the join form", SHORT, async || {
        Ok(app.by_testid("join-code").await?.prop("value").await?.as_deref() == Some(link.as_str()))
    })
    .await?;
    app.screenshot("join-from-link").await?;
    app.close().await
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn a_data_directory_held_by_weft_serve_is_explained() -> Result<()> {
    let data = tempfile::tempdir()?;
    let dir = data.path();
    founded(dir)?;
    let serve = Serve::start(dir, &["--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"])?;
    let app = App::launch(dir, &["--no-mdns".into()]).await?;
    app.wait_text("Weft could not open your data", LAUNCH).await?;
    let error = app.by_testid("fatal-error").await?;
    ensure!(error.attr("data-code").await?.as_deref() == Some("busy"));
    app.wait_text(&format!("Another Weft program (process {}) is using the data directory", serve.pid()), SHORT)
        .await?;
    app.screenshot("busy").await?;
    app.close().await
}

/// Not a test of behaviour but a measurement, printed: from asking for the app to a board
/// a member can use on the 120-member demo community, and the memory the running app takes.
#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn measure_launch_to_board_and_memory_on_the_demo_community() -> Result<()> {
    let data = tempfile::tempdir()?;
    let dir = data.path();
    let made = Instant::now();
    weft(dir, &["demo", "--members", "120", "--seed", "1"])?;
    let demo_secs = made.elapsed().as_secs_f64();

    // Three launches; the median is quoted. The app is measured in the last one.
    let mut times = Vec::new();
    let app = loop {
        let app = App::launch(dir, &loopback_args(free_port()?)).await?;
        // Usable: the board lists its tasks (a row, with its title link) and says how many.
        app.wait_until("the demo board", LAUNCH, async || {
            let rows = app.client.find_all(fantoccini_css("[data-testid=\"task-link\"]")).await?;
            Ok(!rows.is_empty() && app.testid_text("board-count").await?.ends_with("tasks"))
        })
        .await?;
        times.push(app.launched.elapsed());
        if times.len() == 3 {
            break app;
        }
        app.close().await?;
    };
    times.sort();
    let to_board = times[1];
    app.screenshot("demo-board").await?;

    // Look around as a member would, then weigh the app and WebKit's processes.
    for screen in ["nav-community", "nav-hours", "nav-foryou", "nav-board"] {
        app.click(screen).await?;
        app.wait_css("main h1", SHORT).await?;
    }
    app.click("nav-community").await?;
    app.wait_css("[data-testid=\"progress-sector\"]", SHORT).await?;
    app.screenshot("demo-community").await?;
    app.click("nav-board").await?;
    app.wait_css("[data-testid=\"task-link\"]", SHORT).await?;
    let looked = Weighed::of(&app)?;
    // Left alone, the board's and the ledgers' documents rest (weft-node's REST_AFTER, 30 s):
    // their views stay, and the memory they held goes back to the system.
    let rested = Instant::now();
    app.wait_until("the documents to rest", std::time::Duration::from_secs(90), async || {
        let status: serde_json::Value = serde_json::from_str(&weft(dir, &["status"])?)?;
        let docs = status["documents"].as_array().context("no documents in the status")?;
        // The people document stays (the commons rests too, its view and roster kept).
        Ok(docs.iter().all(|d| d["in_memory"] == false || d["name"] == "people"))
    })
    .await?;
    let rest_secs = rested.elapsed().as_secs_f64();
    let at_rest = Weighed::of(&app)?;
    // It weighs less for starting again with glibc's mmap threshold fixed (src-tauri/src/lib.rs).
    let environ = std::fs::read(format!("/proc/{}/environ", app.pid()?))?;
    ensure!(
        environ.split(|b| *b == 0).any(|v| v.starts_with(b"MALLOC_MMAP_THRESHOLD_=")),
        "the app did not start again with its environment"
    );
    app.close().await?;

    // The floor under it: an empty Tauri window of the same build, weighed the same way.
    let floor = App::launch_program(&weft_e2e::shell_floor_binary()?, &[], &[]).await?;
    floor.wait_text("An empty Tauri window", SHORT).await?;
    let shell = Weighed::of(&floor)?;
    floor.close().await?;

    let mib = |kib: u64| kib / 1024;
    let report = format!(
        "app: {}\n\
         demo community (120 members, a year) generated in {demo_secs:.1} s\n\
         launch to a usable board: {:.2} s (median of {:.2?})\n\
         memory, RSS/PSS in MiB, after a look at every screen: the app process {}; with WebKit's processes {}\n\
         the same at rest, {rest_secs:.0} s later (documents rest, views stay): the app process {}; with WebKit's processes {}\n\
         an empty Tauri window of the same build: its process {}; with WebKit's processes {}\n\
         Weft's own share of the app process: {}/{} MiB after the look around, {}/{} MiB at rest\n",
        weft_e2e::app_binary()?.display(),
        to_board.as_secs_f64(),
        times,
        looked.own(),
        looked.all(),
        at_rest.own(),
        at_rest.all(),
        shell.own(),
        shell.all(),
        mib(looked.own.0.saturating_sub(shell.own.0)),
        mib(looked.own.1.saturating_sub(shell.own.1)),
        mib(at_rest.own.0.saturating_sub(shell.own.0)),
        mib(at_rest.own.1.saturating_sub(shell.own.1)),
    );
    eprintln!("{report}");
    std::fs::write(weft_e2e::artifacts_dir()?.join("measures.txt"), &report).context("could not write the measures")
}

/// RSS and PSS (KiB) of a running app's own process and of it with WebKit's processes.
struct Weighed {
    own: (u64, u64),
    total: (u64, u64),
    parts: Vec<String>,
}

impl Weighed {
    fn of(app: &App) -> Result<Self> {
        let pid = app.pid()?;
        let own = (rss_kib(pid).context("no VmRSS for the app")?, pss_kib(pid).unwrap_or(0));
        let mut total = own;
        let mut parts = vec![format!("{} {}/{}", process_name(pid), own.0 / 1024, own.1 / 1024)];
        for child in descendants(pid) {
            let (Some(rss), Some(pss)) = (rss_kib(child), pss_kib(child)) else { continue };
            total = (total.0 + rss, total.1 + pss);
            parts.push(format!("{} {}/{}", process_name(child), rss / 1024, pss / 1024));
        }
        Ok(Self { own, total, parts })
    }

    fn own(&self) -> String {
        format!("{}/{}", self.own.0 / 1024, self.own.1 / 1024)
    }

    fn all(&self) -> String {
        format!("{}/{} ({})", self.total.0 / 1024, self.total.1 / 1024, self.parts.join(", "))
    }
}

fn fantoccini_css(selector: &str) -> fantoccini::Locator<'_> {
    fantoccini::Locator::Css(selector)
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn the_join_form_scans_with_a_camera_and_lets_it_go() -> Result<()> {
    let data = tempfile::tempdir()?;
    let dir = data.path();
    founded(dir)?;
    // WebKit's mock camera (a moving test picture) stands in for a real one: no QR code in it.
    let app = App::launch_with_env(dir, &loopback_args(free_port()?), &[("WEFT_MOCK_CAMERA", "1")]).await?;
    app.wait_text("The board is empty", LAUNCH).await?;
    app.click("nav-peers").await?;
    app.click("join-open").await?;
    app.click("join-scan").await?;
    app.wait_until("the camera's picture", SHORT, async || {
        let playing = app
            .client
            .execute(
                "const v = document.querySelector('[data-testid=\"join-scan-video\"]');
                 return !!v && v.videoWidth > 0 && !v.paused && v.srcObject.getVideoTracks()[0].readyState === 'live';",
                vec![],
            )
            .await?;
        Ok(playing == serde_json::Value::Bool(true)
            && app.testid_text("join-scan-status").await?.contains("Looking for a QR code"))
    })
    .await?;
    app.client
        .execute(
            "document.querySelector('[data-testid=\"join-scan-video\"]').scrollIntoView({ block: 'center' });",
            vec![],
        )
        .await?;
    app.screenshot("join-scan").await?;
    // Stopping lets the camera go: the picture is gone and the button is back.
    app.click("join-scan-stop").await?;
    app.by_testid("join-scan").await?;
    let left = app.client.find_all(fantoccini_css("[data-testid=\"join-scan-video\"]")).await?;
    ensure!(left.is_empty(), "the camera's picture stayed after Stop");
    app.close().await
}

/// Bea's peer running (`weft serve` on `b`) and connected to the app at `address`, as the
/// Peers screen says; the app is left on that screen.
async fn bea_serving(app: &App, b: &Path, address: &str) -> Result<Serve> {
    let serve = Serve::start(b, &["--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0", "--connect", address])?;
    app.click("nav-peers").await?;
    app.wait_text("Connected to 1 member's app.", SYNC).await?;
    Ok(serve)
}

/// The texts of the elements matching the CSS `selector`, in page order (none: empty).
async fn css_texts(app: &App, selector: &str) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for e in app.client.find_all(fantoccini_css(selector)).await? {
        texts.push(e.text().await?);
    }
    Ok(texts)
}

/// The text of the first element matching the CSS `selector`, once there is one.
async fn css_text(app: &App, selector: &str) -> Result<String> {
    Ok(app.wait_css(selector, SHORT).await?.text().await?)
}

/// `weft ARGS` on `dir` as JSON.
fn weft_json(dir: &Path, args: &[&str]) -> Result<serde_json::Value> {
    Ok(serde_json::from_str(&weft(dir, args)?)?)
}

/// Waits until `ready` says yes about what `weft ARGS` answers on `dir` (a peer's view of
/// something the app wrote, which takes a sync to arrive).
async fn wait_weft(
    app: &App,
    what: &str,
    dir: &Path,
    args: &[&str],
    ready: impl Fn(&serde_json::Value) -> bool,
) -> Result<serde_json::Value> {
    let mut seen = serde_json::Value::Null;
    app.wait_until(what, SYNC, async || {
        seen = weft_json(dir, args)?;
        Ok(ready(&seen))
    })
    .await?;
    Ok(seen)
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn a_concern_becomes_a_proposal_a_peer_consents_and_the_outcome_is_written() -> Result<()> {
    let data = tempfile::tempdir()?;
    let (a, b) = (data.path().join("a"), data.path().join("b"));
    founded(&a)?;
    let (app, address) = app_with_bea(&a, &b, &[]).await?;
    let _serve = bea_serving(&app, &b, &address).await?;
    // The task, posted through the running app.
    weft(&a, &["task", "add", "--title", "Sort the seed library", "--sector", "food", "--hours", "2", "--slots", "2"])?;

    // Ana raises a concern on the task's page and proposes a decision about it.
    app.click("nav-board").await?;
    app.click("task-link").await?;
    app.by_testid("task-page").await?;
    let concern = "The seed library has no labels: nobody can tell the beans apart.";
    app.fill("concern-note", concern).await?;
    app.click("concern-submit").await?;
    app.by_testid("concern-raised").await?;
    app.click("concern-propose").await?;
    app.wait_text("It answers the concern raised on “Sort the seed library”.", SHORT).await?;
    app.fill("proposal-title-input", "Label every jar of the seed library").await?;
    app.fill("proposal-details-input", "Two of us label the jars on Saturday.").await?;
    app.click("proposal-kind-consent").await?;
    app.select("proposal-days", "1").await?;
    app.screenshot("proposal-form-from-concern").await?;
    app.click("proposal-open-submit").await?;
    wait_attr(&app, "proposal-page", "data-state", "open").await?;
    let id = attr(&app, "proposal-page", "data-proposal-id").await?;
    ensure!(app.testid_text("proposal-about").await?.contains(concern), "the proposal does not say its concern");
    app.wait_text("No stances yet", SHORT).await?;

    // Bea's peer receives it and consents from the command line; her stance reaches the app.
    wait_weft(&app, "the proposal on Bea's peer", &b, &["proposal", "show", &id], |p| p["id"] == id.as_str()).await?;
    weft(&b, &["proposal", "stance", &id, "consent"])?;
    let stance = app.wait_css("[data-testid=\"round-stance\"][data-stance=\"consent\"]", SYNC).await?;
    ensure!(stance.text().await?.contains("Bea"), "the consent shown is not Bea's");
    app.wait_until("the tally to count Bea's consent", SHORT, async || {
        Ok(app.testid_text("proposal-tally").await?.contains("Consent: 1"))
    })
    .await?;
    app.screenshot("proposal-consent-from-peer").await?;

    // Ana, its author, closes the round early (asked twice): consented.
    app.click("proposal-close").await?;
    app.click("proposal-close-confirm").await?;
    wait_attr(&app, "proposal-status", "data-state", "decided").await?;
    app.wait_text("Consented: nobody objected", SHORT).await?;

    // She writes what was decided; the page shows it, and so does Bea's peer.
    let outcome = "Every jar gets a label with the plant and the year; Bea and Ana do it on Saturday.";
    app.fill("outcome-text", outcome).await?;
    app.click("outcome-submit").await?;
    app.wait_until(
        "the outcome on the page",
        SHORT,
        async || Ok(app.testid_text("proposal-outcome").await? == outcome),
    )
    .await?;
    app.wait_text("Written by Ana", SHORT).await?;
    app.screenshot("proposal-outcome").await?;
    wait_weft(&app, "the outcome on Bea's peer", &b, &["proposal", "show", &id], |p| p["outcome"]["text"] == outcome)
        .await?;
    app.close().await
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn a_weekly_task_puts_its_days_on_the_board_and_one_day_takes_a_pledge() -> Result<()> {
    let data = tempfile::tempdir()?;
    let dir = data.path();
    founded(dir)?;
    let app = App::launch(dir, &loopback_args(free_port()?)).await?;
    app.wait_text("The board is empty", LAUNCH).await?;

    // A task that repeats every week (on today's weekday, from today: the form's defaults).
    app.click("task-new").await?;
    app.fill("task-title-input", "Open the tool library").await?;
    app.select("task-sector-input", "maintenance").await?;
    app.fill("task-hours-input", "2").await?;
    app.fill("task-slots-input", "2").await?;
    app.click("task-repeat-weekly").await?;
    app.fill("task-repeat-every", "1").await?;
    app.wait_until("the form to say when it comes round", SHORT, async || {
        Ok(app.testid_text("task-repeat-preview").await?.contains("every "))
    })
    .await?;
    app.screenshot("task-form-weekly").await?;
    app.click("task-submit").await?;

    // Its screen says when it comes round, as the node words it, and lists its coming days,
    // a week apart.
    app.by_testid("series-days").await?;
    let series = weft_json(dir, &["series", "list"])?;
    let series = series.as_array().context("series list is not a list")?;
    ensure!(series.len() == 1, "series: {series:?}");
    let when = series[0]["when"].as_str().context("the series has no words for when")?;
    ensure!(when.starts_with("every "), "a weekly task comes round {when}");
    let shown = app.testid_text("series-when").await?;
    ensure!(shown.contains(&format!("Comes round {when}")), "the series screen says {shown:?}, the node {when:?}");
    let days = app.client.find_all(fantoccini_css("[data-testid=\"series-day\"]")).await?;
    let mut dates = Vec::new();
    for day in &days {
        dates.push(day.attr("data-date").await?.context("a day without its date")?);
    }
    ensure!(dates.len() >= 2, "coming days: {dates:?}");
    for pair in dates.windows(2) {
        let apart = app
            .client
            .execute(
                "return (Date.parse(arguments[1]) - Date.parse(arguments[0])) / 86400000",
                vec![pair[0].clone().into(), pair[1].clone().into()],
            )
            .await?;
        ensure!(apart == serde_json::json!(7), "coming days not a week apart: {dates:?}");
    }
    let coming = series[0]["coming"].as_array().context("the series has no coming days")?;
    let made: Vec<&str> = coming.iter().filter_map(|o| o["on"].as_str()).collect();
    ensure!(made == dates, "the app shows {dates:?}, the node made {made:?}");
    app.screenshot("series").await?;

    // Each day is a task of its own on the board, saying it repeats.
    app.click("nav-board").await?;
    app.wait_until("every coming day on the board", SHORT, async || {
        let rows = app.client.find_all(fantoccini_css("[data-testid=\"task-row\"]")).await?;
        Ok(rows.len() == dates.len())
    })
    .await?;
    ensure!(task_titles(dir)?.iter().all(|t| t == "Open the tool library"));
    let repeats =
        app.client.find_all(fantoccini_css("[data-testid=\"task-row\"] [data-testid=\"task-series\"]")).await?;
    ensure!(repeats.len() == dates.len(), "{} of {} days say they repeat", repeats.len(), dates.len());
    let says = repeats[0].text().await?;
    ensure!(says == format!("repeats {when}"), "the board says the task {says:?}");
    app.screenshot("board-series").await?;

    // Ana pledges to the second day (next week's), from its page.
    let second = coming[1]["task"].as_str().context("the second day has no task")?.to_owned();
    app.click("board-series").await?;
    app.wait_css(&format!("[data-testid=\"series-day\"][data-task-id=\"{second}\"] a"), SHORT).await?.click().await?;
    wait_attr(&app, "task-page", "data-task-id", &second).await?;
    app.by_testid("task-series").await?;
    app.click("pledge-button").await?;
    wait_attr(&app, "my-pledge", "data-state", "pledged").await?;
    wait_attr(&app, "task-slots", "data-taken", "1").await?;

    // The series shows the place taken on that day only; the node has the pledge on it.
    app.click("task-series").await?;
    let day = |on: &str| format!("[data-testid=\"series-day\"][data-date=\"{on}\"]");
    app.wait_until("the day's place taken", SHORT, async || {
        Ok(css_text(&app, &day(&dates[1])).await?.contains("1 of 2 places free"))
    })
    .await?;
    let first = css_text(&app, &day(&dates[0])).await?;
    ensure!(first.contains("2 of 2 places free"), "the first day says {first:?}");
    app.screenshot("series-pledged").await?;
    let task = weft_json(dir, &["task", "show", &second])?;
    let pledges = task["pledges"].as_array().context("the task has no pledges")?;
    ensure!(
        pledges.len() == 1 && pledges[0]["name"] == "Ana" && pledges[0]["state"] == "pledged",
        "pledges on the second day: {pledges:?}"
    );
    app.close().await
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn a_member_asks_for_a_stand_in_and_a_peer_takes_the_place_over() -> Result<()> {
    let data = tempfile::tempdir()?;
    let (a, b) = (data.path().join("a"), data.path().join("b"));
    founded(&a)?;
    let (app, address) = app_with_bea(&a, &b, &[]).await?;
    let _serve = bea_serving(&app, &b, &address).await?;
    // The task, posted through the running app: one place.
    let task = weft_json(
        &a,
        &["task", "add", "--title", "Drive the food bank van", "--sector", "food", "--hours", "3", "--slots", "1"],
    )?;
    let id = task["id"].as_str().context("the new task has no id")?.to_owned();

    // Ana takes the only place, then finds she cannot make it and looks for a stand-in.
    app.click("nav-board").await?;
    app.click("task-link").await?;
    app.click("pledge-button").await?;
    wait_attr(&app, "my-pledge", "data-state", "pledged").await?;
    app.click("stand-in-ask").await?;
    wait_attr(&app, "my-pledge", "data-stand-in", "true").await?;
    app.by_testid("stand-in-looking").await?;
    app.wait_text("1 place looking for a stand-in", SHORT).await?;
    app.screenshot("task-looking-for-stand-in").await?;

    // Bea's peer sees the place offered and takes it over from the command line.
    let looking = |t: &serde_json::Value| {
        t["pledges"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == "Ana" && p["stand_in"] == true))
    };
    wait_weft(&app, "Ana's place offered on Bea's peer", &b, &["task", "show", &id], looking).await?;
    weft(&b, &["pledge", &id, "--take-over", "Ana"])?;

    // The app shows the place handed over: Bea holds it, standing in for Ana.
    app.wait_text("Bea took over your place.", SYNC).await?;
    wait_attr(&app, "my-pledge", "data-state", "handed-over").await?;
    let pledgers = css_texts(&app, "[data-testid=\"pledger\"]").await?;
    ensure!(
        pledgers.iter().any(|p| p.starts_with("Bea") && p.contains("stands in for Ana"))
            && pledgers.iter().any(|p| p.starts_with("Ana") && p.contains("handed over to Bea")),
        "who pledged: {pledgers:?}"
    );
    // No place is offered any more (the announcement of Ana's asking may stay on the page).
    app.wait_until("the place no longer offered", SHORT, async || {
        Ok(css_texts(&app, "[data-testid=\"task-stand-ins\"]").await?.is_empty())
    })
    .await?;
    wait_attr(&app, "task-slots", "data-taken", "1").await?;
    app.screenshot("task-handed-over").await?;
    app.close().await
}

/// The day `days` from today on the page's clock, as YYYY-MM-DD (what a date field takes).
async fn day_from_today(app: &App, days: i64) -> Result<String> {
    let day = app
        .client
        .execute(
            "const d = new Date(); d.setDate(d.getDate() + arguments[0]); \
             return [d.getFullYear(), String(d.getMonth() + 1).padStart(2, '0'), String(d.getDate()).padStart(2, '0')].join('-');",
            vec![days.into()],
        )
        .await?;
    day.as_str().map(str::to_owned).context("the page gave no date")
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn crews_and_gatherings_in_the_app() -> Result<()> {
    let data = tempfile::tempdir()?;
    let (a, b) = (data.path().join("a"), data.path().join("b"));
    founded(&a)?;
    let (app, address) = app_with_bea(&a, &b, &[]).await?;
    let _serve = bea_serving(&app, &b, &address).await?;

    // Ana starts a crew that meets every Thursday at 19:30 in the kitchen, open to anyone.
    let crew = "Thursday kitchen crew";
    let place = "The community kitchen";
    app.click("nav-crews").await?;
    app.by_testid("crews-mine-none").await?;
    app.click("crew-new").await?;
    app.fill("crew-name-input", crew).await?;
    app.fill("crew-purpose-input", "We cook for the week together and check in on each other.").await?;
    app.click("crew-open-yes").await?;
    app.click("crew-rhythm-weekly").await?;
    app.fill("crew-every", "1").await?;
    app.select("crew-weekday", "3").await?;
    app.set_value("crew-time", "19:30").await?;
    app.fill("crew-place", place).await?;
    app.wait_until("the form to say when the crew meets", SHORT, async || {
        let preview = app.testid_text("crew-rhythm-preview").await?;
        Ok(preview.contains("Thursday") && preview.contains("19:30"))
    })
    .await?;
    app.screenshot("crew-form").await?;
    app.click("crew-submit").await?;
    wait_attr(&app, "crew-page", "data-mine", "true").await?;
    ensure!(app.testid_text("crew-title").await? == crew);
    let id = attr(&app, "crew-page", "data-crew-id").await?;
    let shown = weft_json(&a, &["crew", "show", &id])?;
    let next = shown["next_meeting"].as_str().context("the new crew has no next meeting")?.to_owned();
    wait_attr(&app, "crew-next", "data-date", &next).await?;

    // It is listed as hers, with its next meeting as the node has it, and when and where it meets.
    app.click("nav-crews").await?;
    let card = format!("[data-testid=\"crews-mine\"] [data-testid=\"crew\"][data-crew-id=\"{id}\"]");
    app.wait_css(&card, SHORT).await?;
    let next_shown = app.wait_css(&format!("{card} [data-testid=\"crew-next\"]"), SHORT).await?;
    ensure!(next_shown.attr("data-date").await?.as_deref() == Some(next.as_str()), "the list's next meeting");
    let says = next_shown.text().await?;
    ensure!(says.starts_with("Next meeting") && says.contains("19:30"), "the list says {says:?}");
    let when = css_text(&app, &format!("{card} [data-testid=\"crew-when\"]")).await?;
    ensure!(when.contains("Thursday") && when.contains("19:30") && when.contains(place), "the crew meets {when:?}");
    app.screenshot("crews-mine").await?;

    // For you has a card of her crews, with its next meeting.
    app.click("nav-foryou").await?;
    let mine = format!("[data-testid=\"foryou-crew\"][data-crew-id=\"{id}\"]");
    let next_foryou = app.wait_css(&format!("{mine} [data-testid=\"foryou-crew-next\"]"), SHORT).await?;
    ensure!(next_foryou.attr("data-date").await?.as_deref() == Some(next.as_str()), "For you's next meeting");
    let says = next_foryou.text().await?;
    ensure!(says.starts_with("Next meeting") && says.contains("19:30"), "For you says {says:?}");
    ensure!(app.testid_text("foryou-crews").await?.contains(crew));
    app.screenshot("foryou-crews").await?;

    // Bea's peer receives the crew and joins it from the command line; the crew's page shows
    // her among its members.
    app.wait_css(&format!("{mine} a"), SHORT).await?.click().await?;
    wait_attr(&app, "crew-page", "data-crew-id", &id).await?;
    wait_attr(&app, "crew-members", "data-count", "1").await?;
    wait_weft(&app, "the crew on Bea's peer", &b, &["crew", "list"], |list| {
        list.as_array().is_some_and(|l| l.iter().any(|k| k["id"] == id.as_str() && k["may_join"] == true))
    })
    .await?;
    weft(&b, &["crew", "join", crew])?;
    app.wait_until("Bea among the crew's members", SYNC, async || {
        Ok(css_texts(&app, "[data-testid=\"crew-member\"]").await?.iter().any(|m| m == "Bea"))
    })
    .await?;
    wait_attr(&app, "crew-members", "data-count", "2").await?;
    app.screenshot("crew-with-bea").await?;

    // Ana announces a gathering three weeks ahead, over two days: she is coming.
    let title = "Harvest weekend";
    let (starts, ends) = (day_from_today(&app, 21).await?, day_from_today(&app, 22).await?);
    app.click("nav-gatherings").await?;
    app.click("gathering-new").await?;
    app.fill("gathering-title-input", title).await?;
    app.fill("gathering-description-input", "We bring the apples in and press them.").await?;
    app.set_value("gathering-starts-input", &starts).await?;
    app.set_value("gathering-ends-input", &ends).await?;
    app.fill("gathering-place-input", "The orchard").await?;
    app.screenshot("gathering-form").await?;
    app.click("gathering-submit").await?;
    app.by_testid("gathering-page").await?;
    ensure!(app.testid_text("gathering-title").await? == title);
    let gathering = attr(&app, "gathering-page", "data-gathering-id").await?;
    let shown = weft_json(&a, &["gathering", "show", &gathering])?;
    ensure!(shown["starts"] == starts.as_str() && shown["ends"] == ends.as_str(), "the gathering's days: {shown}");
    wait_attr(&app, "gathering-answer", "data-answer", "coming").await?;
    wait_attr(&app, "gathering-coming", "data-count", "1").await?;

    // A task for it, added from its page.
    app.click("gathering-task-add").await?;
    app.fill("gathering-task-title", "Press the apples").await?;
    app.select("gathering-task-sector", "food").await?;
    app.fill("gathering-task-hours", "3").await?;
    app.fill("gathering-task-slots", "4").await?;
    app.click("gathering-task-submit").await?;
    let task = app.wait_css("[data-testid=\"gathering-task\"]", SHORT).await?;
    ensure!(task.text().await?.contains("Press the apples"));
    let task_id = task.attr("data-task-id").await?.context("the gathering's task has no id")?;
    app.by_testid("gathering-task-add").await?;

    // Bea's peer receives it and says she'll come; the page counts two coming.
    wait_weft(&app, "the gathering on Bea's peer", &b, &["gathering", "show", &gathering], |g| {
        g["id"] == gathering.as_str()
    })
    .await?;
    weft(&b, &["gathering", "attend", title])?;
    app.wait_until("Bea's answer to arrive", SYNC, async || {
        Ok(attr(&app, "gathering-coming", "data-count").await? == "2")
    })
    .await?;
    ensure!(app.testid_text("gathering-coming").await? == "2 coming.");
    let attending = app.testid_text("gathering-attending").await?;
    ensure!(attending.contains("Bea") && attending.contains("Ana"), "coming: {attending:?}");
    app.screenshot("gathering-coming").await?;

    // The task's page says it is part of the gathering.
    app.click("gathering-task-link").await?;
    wait_attr(&app, "task-page", "data-task-id", &task_id).await?;
    ensure!(app.testid_text("task-gathering").await? == title);
    app.wait_text("Part of gathering:", SHORT).await?;
    app.screenshot("task-of-gathering").await?;
    app.close().await
}

/// Ana's community with one task on its board, as the CLI makes them.
fn founded_with_a_task(dir: &Path) -> Result<()> {
    founded(dir)?;
    weft(
        dir,
        &["task", "add", "--title", "Soup for the gathering", "--sector", "food", "--hours", "2", "--slots", "4"],
    )?;
    Ok(())
}

/// The computers and backups an app's Settings list, as `(label, kind, revoked)`.
async fn devices_listed(app: &App) -> Result<Vec<(String, String, bool)>> {
    let mut out = Vec::new();
    for row in app.client.find_all(fantoccini_css("[data-testid=\"device\"]")).await? {
        out.push((
            row.attr("data-label").await?.unwrap_or_default(),
            row.attr("data-kind").await?.unwrap_or_default(),
            row.attr("data-revoked").await?.as_deref() == Some("true"),
        ));
    }
    Ok(out)
}

/// The words an element shows (`data-words` of `LinkWords`), once it is there.
async fn words_of(app: &App, testid: &str) -> Result<String> {
    let element = app.wait_css(&format!("[data-testid=\"{testid}\"]"), SYNC).await?;
    Ok(element.attr("data-words").await?.unwrap_or_default())
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn a_second_app_instance_is_linked_by_its_code() -> Result<()> {
    let data = tempfile::tempdir()?;
    let (a, b) = (data.path().join("a"), data.path().join("b"));
    founded_with_a_task(&a)?;
    let app_a = App::launch(&a, &loopback_args(free_port()?)).await?;
    app_a.wait_text("Soup for the gathering", LAUNCH).await?;

    // Ana's first computer makes a pairing code: the code, its link as a QR code, the time left.
    app_a.click("nav-settings").await?;
    app_a.by_testid("device-this").await?;
    app_a.click("device-add").await?;
    let link = app_a.testid_text("pairing-link").await?;
    ensure!(link.starts_with("weft://join/") && link.contains("k=device"), "the pairing link is {link:?}");
    ensure!(!app_a.testid_text("pairing-code").await?.is_empty());
    app_a.by_testid("pairing-qr").await?;
    ensure!(app_a.testid_text("pairing-expires").await?.contains("valid for"));
    app_a.by_testid("pairing-waiting").await?;
    scroll_to(&app_a, "pairing").await?;
    app_a.screenshot("devices-pairing-code").await?;

    // A second app, on a fresh directory, alongside: "I already use Weft on another computer".
    let app_b = App::launch(&b, &loopback_args(free_port()?)).await?;
    app_b.wait_text("Welcome to Weft", LAUNCH).await?;
    app_b.click("first-other").await?;
    app_b.fill("pair-code", link.trim()).await?;
    app_b.fill("pair-label", "Kitchen laptop").await?;
    app_b.click("pair-submit").await?;
    let b_words = words_of(&app_b, "pair-words").await?;
    ensure!(b_words.split(' ').count() == 4, "the new computer shows {b_words:?}");
    app_b.by_testid("pair-waiting").await?;
    app_b.screenshot("first-run-link-words").await?;

    // The first computer shows the same words, with the new computer's name; the words match.
    let a_words = words_of(&app_a, "pairing-words").await?;
    ensure!(a_words == b_words, "the first computer shows {a_words:?}, the new one {b_words:?}");
    app_a.wait_text("“Kitchen laptop” asks to be linked", SHORT).await?;
    scroll_to(&app_a, "pairing-asking").await?;
    app_a.screenshot_alone("devices-asking", &[&app_b]).await?;
    app_a.click("pairing-match").await?;

    // The new computer lands in the app as Ana, with the community's tasks.
    app_b.wait_text("Soup for the gathering", SYNC).await?;
    ensure!(app_b.testid_text("nav-profile").await?.contains("Ana"), "the new computer is not Ana's");
    app_b.screenshot("linked-board").await?;
    let whoami_a = weft_json(&a, &["whoami"])?;
    let whoami_b = weft_json(&b, &["whoami"])?;
    ensure!(whoami_a["member"] == whoami_b["member"], "two members: {whoami_a} and {whoami_b}");
    ensure!(whoami_a["device"] != whoami_b["device"], "one device for two computers");

    // The first computer says so, and lists two computers, this one first.
    app_a.by_testid("pairing-linked").await?;
    app_a
        .wait_until("two computers in the list", SYNC, async || {
            let listed = devices_listed(&app_a).await?;
            Ok(listed.iter().filter(|(_, kind, revoked)| kind == "computer" && !revoked).count() == 2)
        })
        .await?;
    let listed = devices_listed(&app_a).await?;
    ensure!(listed.iter().any(|(label, _, _)| label == "Kitchen laptop"), "the list is {listed:?}");
    scroll_to(&app_a, "devices-list").await?;
    app_a.screenshot_alone("devices-linked", &[&app_b]).await?;
    app_b.close().await?;

    // Ana names this computer, then revokes the other one, told first what that does.
    app_a.click("pairing-done").await?;
    app_a.by_testid("device-add").await?;
    app_a.click("device-rename").await?;
    app_a.fill("device-rename-input", "Desk").await?;
    app_a.click("device-rename-save").await?;
    let desk = "[data-testid=\"device\"][data-label=\"Desk\"][data-this=\"true\"]";
    app_a.wait_css(desk, SHORT).await?;
    let laptop = "[data-testid=\"device\"][data-label=\"Kitchen laptop\"]";
    app_a.wait_css(&format!("{laptop} [data-testid=\"device-revoke\"]"), SHORT).await?.click().await?;
    let asked = app_a.testid_text("device-revoke-ask").await?;
    ensure!(asked.contains("refused") && asked.contains("cannot be undone"), "the confirmation says {asked:?}");
    scroll_to(&app_a, "device-revoke-ask").await?;
    app_a.screenshot("devices-revoke-ask").await?;
    app_a.click("device-revoke-confirm").await?;
    app_a.wait_css(&format!("{laptop}[data-revoked=\"true\"]"), SHORT).await?;
    let said = css_text(&app_a, &format!("{laptop} [data-testid=\"device-revoked\"]")).await?;
    ensure!(said.starts_with("Revoked by Ana on"), "the revoked computer says {said:?}");
    let devices = weft_json(&a, &["device", "list"])?;
    let listed = devices["devices"].as_array().context("no devices")?;
    ensure!(
        listed.iter().any(|d| d["label"] == "Kitchen laptop" && !d["revoked"].is_null())
            && listed.iter().any(|d| d["label"] == "Desk" && d["this"] == true),
        "the node lists {devices}"
    );
    app_a.screenshot("devices-revoked").await?;
    app_a.close().await
}

/// Scrolls the element with `data-testid="id"` to the middle of the window (for a screenshot).
async fn scroll_to(app: &App, testid: &str) -> Result<()> {
    let element = app.by_testid(testid).await?;
    app.client
        .execute("arguments[0].scrollIntoView({ block: 'center' })", vec![serde_json::to_value(&element)?])
        .await?;
    Ok(())
}

#[tokio::test]
#[ignore = "drives the built app: needs Xvfb and tauri-driver (scripts/test.sh runs it)"]
async fn a_backup_made_in_the_app_restores_the_member_on_a_new_computer() -> Result<()> {
    let data = tempfile::tempdir()?;
    let (a, c) = (data.path().join("a"), data.path().join("c"));
    founded_with_a_task(&a)?;
    let app_a = App::launch(&a, &loopback_args(free_port()?)).await?;
    app_a.wait_text("Soup for the gathering", LAUNCH).await?;

    // Ana makes a backup: a weak passphrase is refused before anything is sent, then a good one
    // typed twice.
    app_a.click("nav-settings").await?;
    app_a.fill("backup-pass", "short").await?;
    wait_attr(&app_a, "backup-strength", "data-strength", "weak").await?;
    app_a.click("backup-submit").await?;
    app_a.by_testid("backup-pass-error").await?;
    let pass = "correct horse battery staple";
    app_a.fill("backup-pass", pass).await?;
    app_a.fill("backup-again", pass).await?;
    wait_attr(&app_a, "backup-strength", "data-strength", "strong").await?;
    app_a.click("backup-submit").await?;
    app_a.by_testid("backup-made").await?;
    app_a.click("backup-lines-show").await?;
    let sheet = app_a.testid_text("backup-lines").await?;
    ensure!(sheet.lines().count() > 3, "the recovery sheet is {sheet:?}");
    scroll_to(&app_a, "backup-made").await?;
    app_a.screenshot("backup-made").await?;
    // Its key is listed among her devices, as a backup.
    app_a
        .wait_until("the backup among the devices", SHORT, async || {
            Ok(devices_listed(&app_a).await?.iter().any(|(_, kind, revoked)| kind == "backup" && !revoked))
        })
        .await?;

    // A new computer: restore, with the recovery sheet's lines typed back. A wrong passphrase is
    // refused in words; the right one brings Ana back with her community's tasks.
    let app_c = App::launch(&c, &loopback_args(free_port()?)).await?;
    app_c.wait_text("Welcome to Weft", LAUNCH).await?;
    app_c.click("first-other").await?;
    app_c.click("other-backup").await?;
    app_c.set_value("restore-sheet", &sheet).await?;
    app_c.fill("restore-pass", "wrong horse battery staple").await?;
    app_c.fill("restore-label", "New laptop").await?;
    app_c.click("restore-submit").await?;
    wait_attr(&app_c, "restore-error", "data-kind", "backup_passphrase").await?;
    ensure!(app_c.testid_text("restore-error").await?.contains("passphrase is wrong"));
    app_c.screenshot("restore-wrong-passphrase").await?;
    app_c.fill("restore-pass", pass).await?;
    app_c.click("restore-submit").await?;
    app_c.wait_text("Soup for the gathering", SYNC).await?;
    ensure!(weft_json(&c, &["whoami"])?["member"] == weft_json(&a, &["whoami"])?["member"], "not Ana again");
    app_c.screenshot("restored-board").await?;

    // Ana's first computer lists the restored one.
    app_a
        .wait_until("the restored computer in the list", SYNC, async || {
            Ok(devices_listed(&app_a).await?.iter().any(|(label, kind, _)| label == "New laptop" && kind == "computer"))
        })
        .await?;
    scroll_to(&app_a, "devices-list").await?;
    app_a.screenshot_alone("devices-after-restore", &[&app_c]).await?;
    app_c.close().await?;
    app_a.close().await
}
