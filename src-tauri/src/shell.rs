//! The shell's state and the work behind its three commands. Nothing here knows what a task
//! or an hour is: requests go to weft-node as they came, answers and errors come back as the
//! node gave them, and node events go out to the window. What the shell adds is lifecycle:
//! opening the data directory, starting the network once there is an identity (or, on a
//! computer being linked or restored, as the device it will be), serving the control socket
//! (so `weft` commands work while the app runs), and closing cleanly.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{OnceCell, broadcast, oneshot};
use tokio::task::JoinHandle;
use tracing::{info, warn};
use ts_rs::TS;
use weft_node::net::NetOptions;
use weft_node::{ApiError, Clock, ErrorCode, Event, Node, Request, Response};
use weft_store::{DataDir, DirLock, StoreError};

use crate::link;

/// The event carrying each node [`Event`] to the window.
pub const NODE_EVENT: &str = "weft-event";
/// The event carrying a `weft://` link handed over by a later launch.
pub const LINK_EVENT: &str = "weft-link";

/// What the shell needs from the window: a way to emit events and to come to the front.
/// The Tauri app handle in the app; a recorder in tests.
pub trait Window: Send + Sync + 'static {
    fn emit(&self, event: &str, payload: serde_json::Value);
    fn raise(&self);
}

/// The data directory as `run` found it: held by us (with its lock), or not, and why.
pub type Held = Result<(DataDir, DirLock), ApiError>;

/// Takes a data directory's lock, or says in words why the app cannot use it.
pub fn hold(dir: &Path) -> Held {
    let data = DataDir::open(dir).map_err(|e| {
        ApiError::new(ErrorCode::Storage, format!("Weft cannot open its data directory {}: {e}", dir.display()))
    })?;
    match data.lock() {
        Ok(lock) => Ok((data, lock)),
        Err(StoreError::Busy { path, pid }) => Err(ApiError::new(
            ErrorCode::Busy,
            format!(
                "Another Weft program{} is using the data directory {} (for example `weft serve`). \
                 Stop it (Ctrl-C in its terminal), then open Weft again; or start Weft on another \
                 directory with --data-dir.",
                pid.map(|p| format!(" (process {p})")).unwrap_or_default(),
                path.display()
            ),
        )),
        Err(e) => Err(ApiError::new(ErrorCode::Storage, e.to_string())),
    }
}

/// Takes a data directory's lock like [`hold`], but waits up to `wait` while it is held by a
/// process that serves neither `weft` commands nor links: a one-off `weft` command that
/// will be done in a moment.
pub fn hold_waiting(dir: &Path, wait: Duration) -> Held {
    let deadline = std::time::Instant::now() + wait;
    let serving = |name: &str| std::os::unix::net::UnixStream::connect(dir.join(name)).is_ok();
    loop {
        let held = hold(dir);
        match &held {
            Err(e)
                if e.code == ErrorCode::Busy
                    && std::time::Instant::now() < deadline
                    && !serving("control.sock")
                    && !serving("app.sock") =>
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            _ => return held,
        }
    }
}

/// What `app_info` answers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub data_dir: String,
    pub version: String,
    /// Whether the network runs (it starts once the directory has an identity).
    pub online: bool,
    /// The `weft://` link the app was launched with, if any.
    pub pending_link: Option<String>,
    /// Why the data directory could not be opened (then every `execute` fails with it too),
    /// e.g. `busy` while `weft serve` holds it.
    pub error: Option<ApiError>,
}

/// What the shell itself sends on [`NODE_EVENT`], beside the node's own events.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ShellEvent {
    /// The window fell more than the event queue behind and missed this many events: it
    /// re-reads everything it shows.
    Lagged { missed: u64 },
}

/// How the app was started.
#[derive(Debug)]
pub struct Launch {
    pub data_dir: PathBuf,
    pub held: Held,
    pub clock: Clock,
    pub net: NetOptions,
    pub link: Option<String>,
}

pub struct Shell {
    data_dir: PathBuf,
    clock: Clock,
    net: NetOptions,
    pending_link: Option<String>,
    window: Arc<dyn Window>,
    held: Mutex<Option<Held>>,
    node: OnceCell<Result<Node, ApiError>>,
    /// Whether the network was started; held while starting it.
    network: tokio::sync::Mutex<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    control: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

fn internal(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Internal, message)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shell {
    pub fn new(launch: Launch, window: Arc<dyn Window>) -> Self {
        // Where the directory really is (the lock's, canonical) if we hold it.
        let data_dir = match &launch.held {
            Ok((dir, _)) => dir.path().to_path_buf(),
            Err(_) => launch.data_dir,
        };
        Self {
            data_dir,
            clock: launch.clock,
            net: launch.net,
            pending_link: launch.link,
            window,
            held: Mutex::new(Some(launch.held)),
            node: OnceCell::new(),
            network: tokio::sync::Mutex::new(false),
            tasks: Mutex::new(Vec::new()),
            control: Mutex::new(None),
        }
    }

    /// The node, opened on first use (the app starts opening it at launch).
    pub async fn node(&self) -> Result<&Node, ApiError> {
        self.node.get_or_init(|| self.open()).await.as_ref().map_err(Clone::clone)
    }

    async fn open(&self) -> Result<Node, ApiError> {
        let held = lock(&self.held).take().unwrap_or_else(|| Err(internal("the data directory was opened twice")));
        let (dir, dir_lock) = held?;
        let started = std::time::Instant::now();
        let node = Node::start(dir, dir_lock, self.clock.clone()).await.map_err(ApiError::from)?;
        info!(dir = %self.data_dir.display(), ms = started.elapsed().as_millis(), "data directory open");

        let mut tasks = Vec::new();
        tasks.push(tokio::spawn(forward_events(node.subscribe(), self.window.clone())));
        let window = self.window.clone();
        let dir = self.data_dir.clone();
        tasks.push(tokio::spawn(async move {
            let on_link = move |link: Option<String>| {
                window.raise();
                if let Some(link) = link {
                    window.emit(LINK_EVENT, serde_json::Value::String(link));
                }
            };
            if let Err(e) = link::listen(dir, on_link).await {
                warn!(%e, "links from later launches cannot be received");
            }
        }));
        lock(&self.tasks).extend(tasks);

        // While the app runs, `weft` commands on this directory are carried out by it.
        let (stop, stopped) = oneshot::channel::<()>();
        let served = node.clone();
        let control = tokio::spawn(async move {
            if let Err(e) = weft_node::control::serve(served, async move {
                let _ = stopped.await;
            })
            .await
            {
                warn!(%e, "the control socket stopped; `weft` commands cannot reach this app");
            }
        });
        *lock(&self.control) = Some((stop, control));

        // The device key is the peer id: a directory without an identity goes online at `init`.
        if node.execute(Request::Whoami).await.is_ok() {
            self.start_network(&node).await;
        }
        Ok(node)
    }

    async fn start_network(&self, node: &Node) {
        let mut started = self.network.lock().await;
        if *started {
            return;
        }
        match node.start_network(self.net.clone()).await {
            Ok(_) => *started = true,
            Err(e) => warn!(%e, "the network could not start; working offline"),
        }
    }

    fn online(&self, node: &Node) -> bool {
        node.peer_id().is_some()
    }

    /// The `execute` command: the request as the UI sent it, to the node.
    pub async fn execute(&self, request: serde_json::Value) -> Result<Response, ApiError> {
        let request: Request = serde_json::from_value(request).map_err(|e| {
            ApiError::new(ErrorCode::Invalid, format!("the app sent a request Weft does not know: {e}"))
        })?;
        let node = self.node().await?;
        match request {
            Request::Init { .. } => {
                self.stop_pending_network(node).await;
                let response = node.execute(request).await?;
                self.start_network(node).await;
                Ok(response)
            }
            Request::Join { ref name, .. } => {
                // Joining needs the network, which needs an identity: as `weft join --name`.
                if let (Some(name), Err(e)) = (name, node.execute(Request::Whoami).await) {
                    if e.code != ErrorCode::NotInitialised {
                        return Err(e);
                    }
                    self.stop_pending_network(node).await;
                    node.execute(Request::Init { name: name.clone() }).await?;
                }
                self.start_network(node).await;
                node.execute(request).await
            }
            // Linking this computer to a member's other one, or restoring it from a backup,
            // needs the network before there is an identity: it runs as the device this
            // computer will be (its pending key), as `weft device link` and `weft restore` do.
            Request::DeviceLinkWords { .. } | Request::DeviceLink { .. } | Request::Restore { .. } => {
                self.start_network(node).await;
                node.execute(request).await
            }
            request => node.execute(request).await,
        }
    }

    /// Stops a network that runs on a pending device key (this computer was about to be
    /// linked, then the person chose to start afresh): `init` makes another device key, and
    /// the peer id must be that one.
    async fn stop_pending_network(&self, node: &Node) {
        let mut started = self.network.lock().await;
        if *started && node.execute(Request::Whoami).await.is_err() {
            node.stop_network().await;
            *started = false;
        }
    }

    /// The `app_info` command.
    pub async fn app_info(&self) -> AppInfo {
        let (online, error) = match self.node().await {
            Ok(node) => (self.online(node), None),
            Err(e) => (false, Some(e)),
        };
        AppInfo {
            data_dir: self.data_dir.display().to_string(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            online,
            pending_link: self.pending_link.clone(),
            error,
        }
    }

    /// The `save_file` command: bytes from an `export` answer, to the place the member chose.
    pub async fn save_file(&self, path: PathBuf, base64: String) -> Result<(), ApiError> {
        if !path.is_absolute() || path.file_name().is_none() {
            return Err(ApiError::new(ErrorCode::Invalid, "choose a file to save to"));
        }
        let parent = path.parent().unwrap_or(Path::new("/"));
        let real_parent = std::fs::canonicalize(parent)
            .map_err(|e| ApiError::new(ErrorCode::Storage, format!("cannot save into {}: {e}", parent.display())))?;
        if real_parent.starts_with(&self.data_dir) {
            return Err(ApiError::new(
                ErrorCode::Invalid,
                "that folder is Weft's own data directory: choose another place for the export",
            ));
        }
        let bytes = data_encoding::BASE64
            .decode(base64.as_bytes())
            .map_err(|e| ApiError::new(ErrorCode::Invalid, format!("the export to save is damaged: {e}")))?;
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(|_| internal("saving the file stopped unexpectedly"))?
    }

    /// Stops serving `weft` commands, the network and the node, leaving the data directory
    /// closed and unlocked. Called once, when the app exits.
    pub async fn shutdown(&self) {
        let control = lock(&self.control).take();
        if let Some((stop, served)) = control {
            let _ = stop.send(());
            if tokio::time::timeout(Duration::from_secs(2), served).await.is_err() {
                warn!("the control socket did not stop in time");
            }
        }
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        link::forget(&self.data_dir);
        if let Some(Ok(node)) = self.node.get() {
            node.stop_network().await;
            node.clone().close().await;
            info!("data directory closed");
        }
    }
}

/// Forwards node events to the window until the node is gone. A window that fell behind is
/// told how many it missed (`{"event": "lagged"}`), so it re-reads everything it shows.
async fn forward_events(mut events: broadcast::Receiver<Event>, window: Arc<dyn Window>) {
    loop {
        match events.recv().await {
            Ok(event) => match serde_json::to_value(&event) {
                Ok(payload) => window.emit(NODE_EVENT, payload),
                Err(e) => warn!(%e, "an event could not be encoded"),
            },
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                match serde_json::to_value(ShellEvent::Lagged { missed }) {
                    Ok(payload) => window.emit(NODE_EVENT, payload),
                    Err(e) => warn!(%e, "an event could not be encoded"),
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Writes to a temporary file beside the target, then renames it over the target, so a
/// failed save leaves no half-written file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ApiError> {
    use std::io::Write;
    let failed =
        |e: std::io::Error| ApiError::new(ErrorCode::Storage, format!("could not save {}: {e}", path.display()));
    let parent = path.parent().unwrap_or(Path::new("/"));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent.join(format!(".{name}.partial"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        failed(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder {
        events: Mutex<Vec<(String, serde_json::Value)>>,
    }

    impl Window for Recorder {
        fn emit(&self, event: &str, payload: serde_json::Value) {
            self.events.lock().unwrap().push((event.to_owned(), payload));
        }
        fn raise(&self) {}
    }

    fn shell(dir: &Path) -> (Shell, Arc<Recorder>) {
        let window = Arc::new(Recorder::default());
        let launch = Launch {
            data_dir: dir.to_path_buf(),
            held: hold(dir),
            clock: Clock::system(0),
            net: NetOptions {
                listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
                mdns: false,
                ..NetOptions::default()
            },
            link: Some("weft://join/abc".into()),
        };
        (Shell::new(launch, window.clone()), window)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_pass_through_and_errors_keep_their_code() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, window) = shell(dir.path());
        let info = shell.app_info().await;
        assert_eq!(info.error, None);
        assert!(!info.online, "no identity yet, so no network");
        assert_eq!(info.pending_link.as_deref(), Some("weft://join/abc"));

        let err = shell.execute(serde_json::json!({ "op": "whoami" })).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotInitialised);
        let err = shell.execute(serde_json::json!({ "op": "no_such_thing" })).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Invalid);
        let json = serde_json::to_value(&err).unwrap();
        assert!(json["message"].is_string() && json["code"] == "invalid", "{json}");

        shell.execute(serde_json::json!({ "op": "init", "name": "Ana" })).await.unwrap();
        assert!(shell.app_info().await.online, "the network starts with the identity");
        let created =
            shell.execute(serde_json::json!({ "op": "community_create", "name": "Riverside" })).await.unwrap();
        assert!(matches!(created, Response::Community(_)));
        // The community's creation reached the window as a node event.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let seen = window
                .events
                .lock()
                .unwrap()
                .iter()
                .any(|(name, payload)| name == NODE_EVENT && payload["event"] == "community_added");
            if seen {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "no community_added event");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        shell.shutdown().await;
        // The directory is free again.
        assert!(hold(dir.path()).is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_computer_being_linked_goes_online_as_the_device_it_will_be() {
        let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (a, _) = shell(a_dir.path());
        a.execute(serde_json::json!({ "op": "init", "name": "Ana" })).await.unwrap();
        let Response::Pairing(pairing) =
            a.execute(serde_json::json!({ "op": "device_add", "minutes": 5 })).await.unwrap()
        else {
            panic!("no pairing code")
        };
        let (b, _) = shell(b_dir.path());
        assert!(!b.app_info().await.online);
        let words = b.execute(serde_json::json!({ "op": "device_link_words", "code": pairing.link })).await.unwrap();
        assert!(matches!(words, Response::LinkWords(w) if w.len() == 4));
        assert!(b.app_info().await.online, "linking needs the network before there is an identity");

        // The person starts afresh instead: the network goes on as the new identity's device.
        let Response::Identity(me) = b.execute(serde_json::json!({ "op": "init", "name": "Bea" })).await.unwrap()
        else {
            panic!("no identity")
        };
        let node = b.node().await.unwrap();
        assert_eq!(node.peer_id(), weft_net::peer_of(&me.device));
        a.shutdown().await;
        b.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_busy_directory_is_an_error_in_words() {
        let dir = tempfile::tempdir().unwrap();
        let _held = hold(dir.path()).unwrap();
        let (shell, _) = shell(dir.path());
        let info = shell.app_info().await;
        let error = info.error.unwrap();
        assert_eq!(error.code, ErrorCode::Busy);
        assert!(error.message.contains("weft serve"), "{}", error.message);
        let err = shell.execute(serde_json::json!({ "op": "whoami" })).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Busy);
    }

    #[test]
    fn a_directory_held_for_a_moment_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let held = hold(dir.path()).unwrap();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let releaser = std::thread::spawn(move || {
            // Released while the waiter may already be waiting.
            rx.recv().unwrap();
            drop(held);
        });
        assert_eq!(hold(dir.path()).unwrap_err().code, ErrorCode::Busy);
        tx.send(()).unwrap();
        assert!(hold_waiting(dir.path(), Duration::from_secs(10)).is_ok());
        releaser.join().unwrap();
        // Held for good: the wait ends with the error in words.
        let _held = hold(dir.path()).unwrap();
        let started = std::time::Instant::now();
        assert_eq!(hold_waiting(dir.path(), Duration::from_millis(200)).unwrap_err().code, ErrorCode::Busy);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn save_file_writes_what_it_was_given_and_refuses_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let (shell, _) = shell(&dir.path().join("data"));
        let target = out.path().join("hours.csv");
        shell.save_file(target.clone(), data_encoding::BASE64.encode(b"a,b\n")).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"a,b\n");
        let err = shell.save_file(out.path().join("x"), "not base64!".into()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Invalid);
        let err = shell.save_file("relative.csv".into(), String::new()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Invalid);
        let inside = dir.path().join("data").join("x.csv");
        let err = shell.save_file(inside.clone(), String::new()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Invalid);
        assert!(!inside.exists());
    }
}
