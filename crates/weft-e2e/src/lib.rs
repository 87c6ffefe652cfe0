//! A harness that drives the real, built desktop app (`target/debug/weft-app`) through
//! WebDriver: `tauri-driver` in front of WebKitGTK's `WebKitWebDriver`, under Xvfb.
//!
//! Each [`App`] starts its own `tauri-driver` (on free ports, in its own process group so
//! the driver, the app and WebKit's helpers all go when it ends), opens a session that
//! launches the app on a data directory of the test's, and offers waits with deadlines —
//! never a fixed sleep: a wait polls until what it waits for is there, or fails saying what
//! the page showed instead and leaving a screenshot.
//!
//! Screenshots go to `target/e2e-artifacts/`. The second peer of a test is the real `weft`
//! binary ([`weft`], [`Serve`]). The tests are in `tests/app.rs`, all `#[ignore]`d: they
//! need a display and the built binaries, and `scripts/test.sh` runs them explicitly.
#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

/// How long the app may take to show its first screen (WebKit's first start under Xvfb is slow).
pub const LAUNCH: Duration = Duration::from_secs(60);
/// How long an action's visible result may take.
pub const SHORT: Duration = Duration::from_secs(15);
/// How long a change may take to travel from another peer.
pub const SYNC: Duration = Duration::from_secs(60);
/// How far right of its place a window is moved to be off the display (wider than any test's).
const OFF_DISPLAY: u32 = 10_000;
/// How often waits look again.
const POLL: Duration = Duration::from_millis(50);
/// How long a screenshot (and the frames before it) may take.
const SCREENSHOT: Duration = Duration::from_secs(20);

/// `target/debug` (or whichever profile built this test).
pub fn bin_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/app-<hash>
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow!("cannot tell the build directory from {}", exe.display()))
}

fn built(name: &str) -> Result<PathBuf> {
    let path = bin_dir()?.join(name);
    if !path.exists() {
        bail!("{} is not built: run `cargo build --workspace` first (scripts/test.sh does)", path.display());
    }
    Ok(path)
}

/// The built desktop app.
pub fn app_binary() -> Result<PathBuf> {
    match std::env::var_os("WEFT_APP_BIN") {
        Some(p) => Ok(PathBuf::from(p)),
        None => built("weft-app"),
    }
}

/// The empty Tauri window built from `src-tauri/examples/shell_floor`: the memory floor
/// under the app. `WEFT_SHELL_FLOOR_BIN` names another build of it, as `WEFT_APP_BIN` does
/// for the app (to weigh optimised builds).
pub fn shell_floor_binary() -> Result<PathBuf> {
    match std::env::var_os("WEFT_SHELL_FLOOR_BIN") {
        Some(p) => Ok(PathBuf::from(p)),
        None => built("examples/shell_floor"),
    }
}

/// The built `weft` command.
pub fn weft_binary() -> Result<PathBuf> {
    built("weft")
}

/// `target/e2e-artifacts`, created.
pub fn artifacts_dir() -> Result<PathBuf> {
    let dir = bin_dir()?.parent().map(|t| t.join("e2e-artifacts")).ok_or_else(|| anyhow!("no target directory"))?;
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A port nobody listens on now (the OS picks it).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something listens on `port`, or the deadline passes, or `alive` says the
/// process that should listen is gone.
fn wait_for_port(port: u16, timeout: Duration, mut alive: impl FnMut() -> Result<()>) -> Result<()> {
    poll_until(
        timeout,
        || {
            let listening = TcpStream::connect(("127.0.0.1", port)).is_ok();
            if !listening {
                alive()?;
            }
            Ok(listening)
        },
        || anyhow!("nothing listened on port {port} within {timeout:?}"),
    )
}

/// Checks `ready` until it says yes (or fails), looking again every [`POLL`]; after
/// `timeout`, fails with what `timed_out` says.
fn poll_until(
    timeout: Duration,
    mut ready: impl FnMut() -> Result<bool>,
    timed_out: impl FnOnce() -> anyhow::Error,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if ready()? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(timed_out());
        }
        std::thread::sleep(POLL);
    }
}

/// Sends `signal` to every process in the group `pgid`.
fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([format!("-{signal}"), "--".into(), format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// Whether any process of the group `pgid` is still there.
fn group_alive(pgid: u32) -> bool {
    Command::new("kill")
        .args(["-0".to_owned(), "--".into(), format!("-{pgid}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A child process in its own process group, ended with everything it started: SIGTERM,
/// then SIGKILL if it has not gone within a few seconds.
#[derive(Debug)]
pub struct Group {
    child: Child,
    name: &'static str,
}

impl Group {
    fn spawn(name: &'static str, mut command: Command) -> Result<Self> {
        command.process_group(0);
        let child = command.spawn().with_context(|| format!("could not start {name}"))?;
        Ok(Self { child, name })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An error if the process has exited.
    fn check_alive(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            Some(status) => bail!("{} exited early ({status})", self.name),
            None => Ok(()),
        }
    }

    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            // The leader is gone; its group may not be.
            signal_group(self.child.id(), "KILL");
        }
        signal_group(self.child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(POLL);
        }
        signal_group(self.child.id(), "KILL");
        let _ = self.child.wait();
        // Wait for the whole group (the app among it) to be gone, so the next test finds its
        // data directory unlocked and its ports free.
        let deadline = Instant::now() + Duration::from_secs(10);
        while group_alive(self.child.id()) && Instant::now() < deadline {
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.stop();
    }
}

fn tauri_driver() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("tauri-driver"))
        .find(|p| p.exists());
    on_path.unwrap_or_else(|| {
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .unwrap_or_default();
        cargo_home.join("bin").join("tauri-driver")
    })
}

/// The page's tallies (see [`App::tally`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    /// Requests sent to the node, by `op`.
    Requests,
    /// Node events received, by kind.
    Events,
}

impl Tally {
    fn global(self) -> &'static str {
        match self {
            Self::Requests => "__weftRequests",
            Self::Events => "__weftEvents",
        }
    }
}

/// The running app, driven through a WebDriver session.
#[derive(Debug)]
pub struct App {
    pub client: Client,
    /// When the session was asked for: the app's launch, as near as we can tell.
    pub launched: Instant,
    pub data_dir: PathBuf,
    /// The program the session started.
    program: PathBuf,
    driver: Group,
}

impl App {
    /// Starts a `tauri-driver` and, through it, the app on `data_dir` with `args` (e.g.
    /// `--listen`), and waits until the window has a document.
    pub async fn launch(data_dir: &Path, args: &[String]) -> Result<Self> {
        Self::launch_with_env(data_dir, args, &[]).await
    }

    /// [`App::launch`], with `env` set for the driver and so for the app it starts.
    pub async fn launch_with_env(data_dir: &Path, args: &[String], env: &[(&str, &str)]) -> Result<Self> {
        let mut app_args = vec!["--data-dir".to_owned(), data_dir.display().to_string()];
        app_args.extend_from_slice(args);
        let mut app = Self::launch_program(&app_binary()?, &app_args, env).await?;
        app.data_dir = data_dir.to_path_buf();
        Ok(app)
    }

    /// Starts `program` with `args` through a `tauri-driver`, as [`App::launch`] starts the
    /// app.
    pub async fn launch_program(program: &Path, args: &[String], env: &[(&str, &str)]) -> Result<Self> {
        let port = free_port()?;
        let native_port = free_port()?;
        let log = std::fs::File::create(artifacts_dir()?.join("tauri-driver.log"))?;
        let mut command = Command::new(tauri_driver());
        command
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let mut driver = Group::spawn("tauri-driver", command)?;
        wait_for_port(port, SHORT, || driver.check_alive())?;
        wait_for_port(native_port, SHORT, || driver.check_alive())?;

        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert("tauri:options".into(), serde_json::json!({ "application": program, "args": args }));
        let launched = Instant::now();
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("could not open a WebDriver session with the app")?;
        let app = Self { client, launched, data_dir: PathBuf::new(), program: program.to_path_buf(), driver };
        app.wait_until("the page to load", LAUNCH, async || {
            let state = app.client.execute("return document.readyState", vec![]).await?;
            Ok(state == "complete")
        })
        .await?;
        Ok(app)
    }

    /// Polls `ready` until it says yes or `timeout` passes; then fails with what the page
    /// showed and a screenshot (`timeout-*.png`).
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut ready: impl AsyncFnMut() -> Result<bool>,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut last_error = None;
        loop {
            match ready().await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => last_error = Some(e),
            }
            if Instant::now() >= deadline {
                let shown = self.page_text().await.unwrap_or_else(|e| format!("(page unreadable: {e})"));
                let name = format!("timeout-{}", slug(what));
                let _ = self.screenshot(&name).await;
                let why = last_error.map(|e| format!(" (last error: {e:#})")).unwrap_or_default();
                bail!("timed out after {timeout:?} waiting for {what}{why}; the page showed:\n{shown}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The text a person sees on the page.
    pub async fn page_text(&self) -> Result<String> {
        let text = self.client.execute("return document.body ? document.body.innerText : ''", vec![]).await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until the page shows `needle`.
    pub async fn wait_text(&self, needle: &str, timeout: Duration) -> Result<()> {
        self.wait_until(&format!("the text '{needle}'"), timeout, async || Ok(self.page_text().await?.contains(needle)))
            .await
    }

    /// Waits until the page no longer shows `needle`.
    pub async fn wait_no_text(&self, needle: &str, timeout: Duration) -> Result<()> {
        self.wait_until(&format!("the text '{needle}' to go"), timeout, async || {
            Ok(!self.page_text().await?.contains(needle))
        })
        .await
    }

    /// Waits for a displayed element matching the CSS `selector`.
    pub async fn wait_css(&self, selector: &str, timeout: Duration) -> Result<Element> {
        let mut found = None;
        self.wait_until(&format!("an element '{selector}'"), timeout, async || {
            for e in self.client.find_all(Locator::Css(selector)).await? {
                if e.is_displayed().await.unwrap_or(false) {
                    found = Some(e);
                    return Ok(true);
                }
            }
            Ok(false)
        })
        .await?;
        found.ok_or_else(|| anyhow!("'{selector}' vanished"))
    }

    /// Waits for the element with `data-testid="id"`.
    pub async fn by_testid(&self, id: &str) -> Result<Element> {
        self.wait_css(&format!("[data-testid=\"{id}\"]"), SHORT).await
    }

    /// The text of the element with `data-testid="id"`.
    pub async fn testid_text(&self, id: &str) -> Result<String> {
        Ok(self.by_testid(id).await?.text().await?)
    }

    /// Clicks the element with `data-testid="id"` once it is there.
    pub async fn click(&self, id: &str) -> Result<()> {
        let element = self.by_testid(id).await?;
        element.click().await.with_context(|| format!("could not click '{id}'"))?;
        Ok(())
    }

    /// Clicks a displayed button whose text (or accessible label) is `label`.
    pub async fn click_button(&self, label: &str) -> Result<()> {
        let xpath = format!(
            "//button[normalize-space(.)={q} or @aria-label={q}] | //*[@role='button' or @role='tab' or @role='link'][normalize-space(.)={q} or @aria-label={q}] | //a[normalize-space(.)={q}]",
            q = xpath_literal(label)
        );
        let mut found = None;
        self.wait_until(&format!("a button '{label}'"), SHORT, async || {
            for e in self.client.find_all(Locator::XPath(&xpath)).await? {
                if e.is_displayed().await.unwrap_or(false) && e.is_enabled().await.unwrap_or(false) {
                    found = Some(e);
                    return Ok(true);
                }
            }
            Ok(false)
        })
        .await?;
        found.ok_or_else(|| anyhow!("button '{label}' vanished"))?.click().await?;
        Ok(())
    }

    /// Replaces the value of the input with `data-testid="id"` by typing `value`.
    pub async fn fill(&self, id: &str, value: &str) -> Result<()> {
        let element = self.by_testid(id).await?;
        element.clear().await.with_context(|| format!("could not clear '{id}'"))?;
        element.send_keys(value).await.with_context(|| format!("could not type into '{id}'"))?;
        Ok(())
    }

    /// Chooses the option with `value` in the `<select data-testid="id">`.
    pub async fn select(&self, id: &str, value: &str) -> Result<()> {
        self.by_testid(id)
            .await?
            .select_by_value(value)
            .await
            .with_context(|| format!("no option '{value}' in '{id}'"))?;
        Ok(())
    }

    /// Sets a value the way a person's input would (for sliders and date fields, which
    /// WebDriver cannot type into portably), firing `input` and `change`.
    pub async fn set_value(&self, id: &str, value: &str) -> Result<()> {
        let element = self.by_testid(id).await?;
        let script = "const [e, v] = arguments; \
            const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(e), 'value').set; \
            setter.call(e, v); \
            e.dispatchEvent(new Event('input', { bubbles: true })); \
            e.dispatchEvent(new Event('change', { bubbles: true }));";
        self.client.execute(script, vec![serde_json::to_value(&element)?, value.into()]).await?;
        Ok(())
    }

    /// The page's tallies of what it asked of the node (`window.__weftRequests`, by `op`) or
    /// heard from it (`window.__weftEvents`, by kind: `document_changed:board`, …).
    pub async fn tally(&self, which: Tally) -> Result<BTreeMap<String, u64>> {
        let script = format!("return window.{} || {{}}", which.global());
        let value = self.client.execute(&script, vec![]).await?;
        serde_json::from_value(value).context("a tally is not a map of counts")
    }

    /// Sets the page's tallies back to nothing (the same objects: the page keeps counting).
    pub async fn reset_tallies(&self) -> Result<()> {
        let script = "for (const t of [window.__weftRequests, window.__weftEvents])                         for (const k of Object.keys(t || {})) delete t[k];";
        self.client.execute(script, vec![]).await?;
        Ok(())
    }

    /// Waits until the page has nothing on its way to the node and nothing scheduled
    /// (`window.__weftIdle()`).
    pub async fn wait_idle(&self, timeout: Duration) -> Result<()> {
        self.wait_until("the page to settle", timeout, async || {
            let idle = self.client.execute("return window.__weftIdle ? window.__weftIdle() : false", vec![]).await?;
            Ok(idle == serde_json::Value::Bool(true))
        })
        .await
    }

    /// Saves a screenshot of the display the app draws on as `target/e2e-artifacts/<name>.png`.
    ///
    /// The picture comes from the X server (`scrot`), as a member would see the window, not
    /// from WebDriver: WebKit's own snapshot never returns when accelerated compositing is
    /// off, which is how the app runs on machines without a GPU (Xvfb among them).
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        // Let the page paint what it just rendered: two animation frames, bounded: a
        // WebDriver call that never answers would hang the whole run.
        let _ = tokio::time::timeout(
            SCREENSHOT,
            self.client.execute_async(
                "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            ),
        )
        .await;
        let path = artifacts_dir()?.join(format!("{name}.png"));
        let mut grab = Command::new("scrot");
        grab.arg("--overwrite").arg("--silent");
        // Only the window, where WebDriver can tell where it is.
        if let Ok(Ok((x, y, w, h))) = tokio::time::timeout(SHORT, self.client.get_window_rect()).await
            && w > 0
            && h > 0
        {
            grab.arg("--autoselect").arg(format!("{x},{y},{w},{h}"));
        }
        let mut grab = grab
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("could not run scrot (scripts/setup.sh installs it)")?;
        let deadline = Instant::now() + SCREENSHOT;
        let status = loop {
            if let Some(status) = grab.try_wait()? {
                break status;
            }
            if Instant::now() > deadline {
                let _ = grab.kill();
                let _ = grab.wait();
                bail!("the screenshot '{name}' did not come within {SCREENSHOT:?}");
            }
            tokio::time::sleep(POLL).await;
        };
        if !status.success() {
            let mut why = String::new();
            if let Some(mut err) = grab.stderr.take() {
                let _ = err.read_to_string(&mut why);
            }
            bail!("scrot could not take the screenshot '{name}': {}", why.trim());
        }
        Ok(path)
    }

    /// [`App::screenshot`] of this window while `others` (apps on the same display, whose
    /// windows may lie over this one: there is no window manager to raise it) are moved off the
    /// display; they are put back where they were after.
    pub async fn screenshot_alone(&self, name: &str, others: &[&App]) -> Result<PathBuf> {
        let mut moved = Vec::new();
        for other in others {
            let (x, y, _, _) = other.client.get_window_rect().await?;
            let (x, y) = (u32::try_from(x)?, u32::try_from(y)?);
            other.client.set_window_position(x + OFF_DISPLAY, y).await?;
            moved.push((other, x, y));
        }
        let shot = self.screenshot(name).await;
        for (other, x, y) in moved {
            other.client.set_window_position(x, y).await?;
        }
        shot
    }

    /// The app's process id (found by its command line), once it runs.
    pub fn pid(&self) -> Result<u32> {
        let dir = self.data_dir.display().to_string();
        let ours = |argv: &[String]| dir.is_empty() || argv.contains(&dir);
        find_process(|argv| argv.first().is_some_and(|a| Path::new(a) == self.program) && ours(argv))
            .ok_or_else(|| anyhow!("the app's process was not found"))
    }

    /// Ends the session (which closes the app), then the driver.
    pub async fn close(mut self) -> Result<()> {
        let closed = self.client.clone().close().await;
        self.driver.stop();
        closed.context("the WebDriver session did not end cleanly")
    }
}

fn slug(s: &str) -> String {
    let s: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    s.split('-').filter(|p| !p.is_empty()).take(8).collect::<Vec<_>>().join("-")
}

/// `s` as an XPath string literal.
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// Runs `weft --data-dir DIR --json ARGS` and returns its standard output.
pub fn weft(data_dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(weft_binary()?)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--json")
        .args(args)
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        bail!("weft {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// A `weft serve` on a data directory, stopped (SIGTERM) when dropped.
#[derive(Debug)]
pub struct Serve {
    group: Group,
    pub data_dir: PathBuf,
}

impl Serve {
    /// Starts `weft --data-dir DIR serve ARGS` and waits until its control socket answers.
    pub fn start(data_dir: &Path, args: &[&str]) -> Result<Self> {
        let log = std::fs::File::create(artifacts_dir()?.join("weft-serve.log"))?;
        let mut command = Command::new(weft_binary()?);
        command
            .arg("--data-dir")
            .arg(data_dir)
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let mut group = Group::spawn("weft serve", command)?;
        let socket = data_dir.join("control.sock");
        poll_until(
            SHORT,
            || {
                let open = std::os::unix::net::UnixStream::connect(&socket).is_ok();
                if !open {
                    group.check_alive()?;
                }
                Ok(open)
            },
            || anyhow!("weft serve did not open its control socket within {SHORT:?}"),
        )?;
        Ok(Self { group, data_dir: data_dir.to_path_buf() })
    }

    pub fn pid(&self) -> u32 {
        self.group.pid()
    }
}

/// A desktop notification as it went over D-Bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub summary: String,
    pub body: String,
}

/// A private D-Bus session bus for one test, with a `dbus-monitor` on it that records every
/// desktop notification sent over it (`org.freedesktop.Notifications.Notify`, the call a
/// desktop's notification service answers). Give the app its address
/// (`DBUS_SESSION_BUS_ADDRESS`); both processes end when this is dropped.
#[derive(Debug)]
pub struct SessionBus {
    address: String,
    log: PathBuf,
    monitor: Group,
    _daemon: Group,
}

impl SessionBus {
    pub fn start() -> Result<Self> {
        let mut command = Command::new("dbus-daemon");
        command
            .args(["--session", "--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut daemon = Group::spawn("dbus-daemon", command)?;
        let mut out = daemon.child.stdout.take().context("dbus-daemon has no output")?;
        // It prints its address as soon as it listens; read it off this thread so a daemon
        // that says nothing cannot hang the test.
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        std::thread::spawn(move || {
            let mut line = Vec::new();
            let mut byte = [0u8; 1];
            while out.read(&mut byte).is_ok_and(|n| n == 1) && byte[0] != b'\n' {
                line.push(byte[0]);
            }
            let _ = tx.send(String::from_utf8_lossy(&line).into_owned());
        });
        let address = rx.recv_timeout(SHORT).context("dbus-daemon did not print its address")?;
        if address.is_empty() {
            bail!("dbus-daemon exited without an address");
        }

        let log = artifacts_dir()?.join("notifications.log");
        let file = std::fs::File::create(&log)?;
        let mut command = Command::new("dbus-monitor");
        command
            .args(["--address", &address])
            .arg("type='method_call',interface='org.freedesktop.Notifications',member='Notify'")
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(Stdio::null());
        let mut monitor = Group::spawn("dbus-monitor", command)?;
        // The bus takes the monitor's name away when it becomes a monitor: from then on it
        // sees every call.
        poll_until(
            SHORT,
            || {
                let watching = std::fs::read_to_string(&log)?.contains("member=NameLost");
                if !watching {
                    monitor.check_alive()?;
                }
                Ok(watching)
            },
            || anyhow!("dbus-monitor did not start watching within {SHORT:?}"),
        )?;
        Ok(Self { address, log, monitor, _daemon: daemon })
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    /// Every notification sent so far, oldest first.
    pub fn notifications(&mut self) -> Result<Vec<Notification>> {
        self.monitor.check_alive()?;
        Ok(parse_notify_calls(&std::fs::read_to_string(&self.log)?))
    }

    /// Waits until a notification with `body` has been sent; returns all sent by then.
    pub fn wait_notification(&mut self, body: &str, timeout: Duration) -> Result<Vec<Notification>> {
        let sent = std::cell::RefCell::new(Vec::new());
        poll_until(
            timeout,
            || {
                let now = self.notifications()?;
                let found = now.iter().any(|n| n.body == body);
                *sent.borrow_mut() = now;
                Ok(found)
            },
            || anyhow!("no notification saying {body:?} within {timeout:?}; sent: {:?}", sent.borrow()),
        )?;
        Ok(sent.into_inner())
    }
}

/// The `Notify` calls in `dbus-monitor`'s output. Its arguments are printed one per line,
/// indented three spaces; the strings among them are, in order, the application's name,
/// the icon, the summary and the body.
fn parse_notify_calls(log: &str) -> Vec<Notification> {
    let mut out = Vec::new();
    let mut strings: Option<Vec<String>> = None;
    for line in log.lines() {
        if !line.starts_with(' ') {
            if let Some(s) = strings.take() {
                out.extend(notification(&s));
            }
            if line.starts_with("method call") && line.contains("member=Notify") {
                strings = Some(Vec::new());
            }
            continue;
        }
        let top_level = line.len() > 3 && line.starts_with("   ") && !line[3..].starts_with(' ');
        if let (Some(s), true) = (strings.as_mut(), top_level)
            && let Some(text) = line[3..].strip_prefix("string \"").and_then(|t| t.strip_suffix('"'))
        {
            s.push(text.to_owned());
        }
    }
    if let Some(s) = strings {
        out.extend(notification(&s));
    }
    out
}

fn notification(strings: &[String]) -> Option<Notification> {
    match strings {
        [_app, _icon, summary, body, ..] => Some(Notification { summary: summary.clone(), body: body.clone() }),
        _ => None,
    }
}

/// The first process whose command line satisfies `matches`.
pub fn find_process(matches: impl Fn(&[String]) -> bool) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let mut raw = Vec::new();
        if std::fs::File::open(entry.path().join("cmdline")).and_then(|mut f| f.read_to_end(&mut raw)).is_err() {
            continue;
        }
        let argv: Vec<String> =
            raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if matches(&argv) {
            return Some(pid);
        }
    }
    None
}

/// The parent of a process.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Every process started (directly or not) by `pid`.
pub fn descendants(pid: u32) -> Vec<u32> {
    let all: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
                .filter_map(|p| parent_of(p).map(|pp| (p, pp)))
                .collect()
        })
        .unwrap_or_default();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(all.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    found.remove(0);
    found
}

/// A process's resident memory (VmRSS), in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A process's proportional memory (Pss: shared pages divided among the processes that
/// map them), in KiB.
pub fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let line = rollup.lines().find(|l| l.starts_with("Pss:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A process's name (`comm`).
pub fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|s| s.trim().to_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_calls_are_read_from_the_monitor() {
        let log = r#"signal time=1.0 sender=org.freedesktop.DBus -> destination=:1.0 serial=2 path=/org/freedesktop/DBus; interface=org.freedesktop.DBus; member=NameLost
   string ":1.0"
method call time=2.0 sender=:1.1 -> destination=org.freedesktop.Notifications serial=3 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify
   string "weft-app"
   uint32 0
   string ""
   string "An urgent task that suits you"
   string "Fix the bike trailer"
   array [
      string "default"
      string "Open"
   ]
   array [
      dict entry(
         string "urgency"
         variant             byte 1
      )
   ]
   int32 -1
method call time=3.0 sender=:1.1 -> destination=org.freedesktop.Notifications serial=4 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify
   string "weft-app"
   uint32 0
   string ""
   string "Title"
   string "Second"
"#;
        let sent = parse_notify_calls(log);
        assert_eq!(
            sent,
            vec![
                Notification { summary: "An urgent task that suits you".into(), body: "Fix the bike trailer".into() },
                Notification { summary: "Title".into(), body: "Second".into() },
            ]
        );
    }

    #[test]
    fn xpath_literals_quote_anything() {
        assert_eq!(xpath_literal("Pledge"), "'Pledge'");
        assert_eq!(xpath_literal("Don't"), "\"Don't\"");
        assert_eq!(xpath_literal("a'b\"c"), "concat('a', \"'\", 'b\"c')");
    }

    #[test]
    fn this_process_is_found_with_its_memory() {
        let me = std::process::id();
        assert!(rss_kib(me).unwrap() > 0);
        assert!(pss_kib(me).unwrap() > 0);
        assert!(parent_of(me).is_some());
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        assert!(descendants(me).contains(&child.id()));
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
