//! The Weft application: weft-core and weft-store wired together on tokio, behind the one API
//! every front end calls (the `weft` CLI, the control socket, the desktop app).
//!
//! A `Node` owns a data directory: it holds the directory's lock for its whole life, keeps the
//! documents in memory on a dedicated state thread (SQLite never runs inside async code), and
//! answers [`Request`]s with [`Response`]s or an [`ApiError`] (a code and a message). Every
//! change is durable before its request answers, and then announced as an [`Event`].
//!
//! While a node runs with its control socket open, other processes reach it through
//! [`control::Client`] instead of opening the directory a second time.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod api;
pub mod clock;
pub mod control;
mod core;
pub mod error;
mod memory;
pub mod net;
mod state;
pub mod sync;

use std::path::PathBuf;
use std::thread;

use tokio::sync::{broadcast, mpsc, oneshot};
use weft_store::{DataDir, DirLock};

pub use api::{Event, Request, Response};
pub use clock::{Clock, Mono, TimeHand};
pub use core::Core;
pub use error::{ApiError, ErrorCode, NodeError};
pub use state::REST_AFTER;

use state::State;

/// How a node is opened.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub data_dir: PathBuf,
    pub clock: Clock,
}

/// A job for the state thread. It returns how to answer its caller, which the thread does
/// once its own bookkeeping of the job is done (so a caller never sees the node mid-job).
type Job = Box<dyn FnOnce(&mut State) -> Reply + Send>;
type Reply = Box<dyn FnOnce() + Send>;

enum Msg {
    Run(Job),
    /// Stop after the jobs queued before this one; answer once the state (and with it the
    /// store and the directory lock) is dropped.
    Stop(oneshot::Sender<()>),
}

/// A handle to a running node. Cheap to clone; the node stops when the last handle is dropped
/// (after finishing the requests already queued).
#[derive(Clone, Debug)]
pub struct Node {
    jobs: mpsc::Sender<Msg>,
    events: broadcast::Sender<Event>,
    data_dir: PathBuf,
    /// The network, while it runs.
    net: std::sync::Arc<std::sync::Mutex<Option<net::NetLink>>>,
    /// The clock every timer runs on (the network driver's too).
    clock: Clock,
}

impl Node {
    /// Opens a data directory, taking its lock. Fails with `ErrorCode::Busy` if another process
    /// holds it (the caller may then reach that process through its control socket).
    pub async fn open(config: NodeConfig) -> Result<Self, NodeError> {
        let dir = DataDir::open(config.data_dir.clone())?;
        let lock = dir.lock()?;
        Self::start(dir, lock, config.clock).await
    }

    /// Starts a node on a directory whose lock the caller already holds.
    pub async fn start(dir: DataDir, lock: DirLock, clock: Clock) -> Result<Self, NodeError> {
        let (events, _) = broadcast::channel(256);
        let (jobs, mut queue) = mpsc::channel::<Msg>(64);
        let (ready_tx, ready_rx) = oneshot::channel();
        let data_dir = dir.path().to_path_buf();
        let thread_events = events.clone();
        let driver_clock = clock.clone();
        thread::Builder::new()
            .name("weft-state".into())
            .spawn(move || {
                // Only to wait for a job with a timeout, so housekeeping runs once jobs pause.
                let timer = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(NodeError::Control(e)));
                        return;
                    }
                };
                let mut state = match State::open(dir, lock, clock.clone(), thread_events) {
                    Ok(s) => {
                        let _ = ready_tx.send(Ok(()));
                        s
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                loop {
                    state.compact_if_overdue();
                    // Wait for a job; meanwhile do what falls due by the clock (compaction once
                    // jobs pause, documents unused for a while rest, memory goes back).
                    let msg = match state.next_due() {
                        Some(due) => {
                            let wait = clock.mono().until(due);
                            // (The timeout is made inside the runtime: its timer needs one.)
                            match timer.block_on(async { tokio::time::timeout(wait, queue.recv()).await }) {
                                Ok(msg) => msg,
                                Err(_) => {
                                    state.run_due();
                                    continue;
                                }
                            }
                        }
                        None => queue.blocking_recv(),
                    };
                    match msg {
                        Some(Msg::Run(job)) => {
                            let reply = job(&mut state);
                            state.worked();
                            reply();
                        }
                        Some(Msg::Stop(done)) => {
                            state.compact_all();
                            state.save_commons_models();
                            drop(state);
                            let _ = done.send(());
                            return;
                        }
                        None => {
                            state.compact_all();
                            state.save_commons_models();
                            return;
                        }
                    }
                }
            })
            .map_err(NodeError::Control)?;
        ready_rx.await.map_err(|_| NodeError::Stopped)??;
        Ok(Self { jobs, events, data_dir, net: Default::default(), clock: driver_clock })
    }

    /// Carries out one request.
    pub async fn execute(&self, request: Request) -> Result<Response, ApiError> {
        match request {
            Request::Peers => Ok(Response::Peers(self.peers().await)),
            Request::Invite { community, uses, hours } => self.invite(community, uses, hours).await,
            Request::Devices => self.devices().await,
            Request::DeviceConfirm { device } => {
                self.call(move |s| s.confirm_device(&device)).await.and_then(|r| r).map_err(ApiError::from)?;
                self.devices().await
            }
            Request::DeviceAdd { minutes } => self.device_add(minutes).await,
            Request::DeviceLink { code, label } => self.device_link(&code, label).await.map_err(ApiError::from),
            Request::BackupCreate { passphrase } => self.backup_create(passphrase).await,
            Request::Restore { backup, passphrase, label, revoke } => {
                self.restore(&backup, passphrase, label, revoke).await.map_err(ApiError::from)
            }
            Request::Join { code, name } => self.join(&code, name).await.map_err(ApiError::from),
            Request::NeighbourInvite { community, hours } => self.neighbour_invite(community, hours).await,
            Request::NeighbourAccept { community, code } => {
                self.neighbour_accept(community, &code).await.map_err(ApiError::from)
            }
            request => self.call(move |s| s.execute(request)).await.and_then(|r| r).map_err(ApiError::from),
        }
    }

    /// Events from now on: document changes, new communities.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    pub(crate) async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut State) -> R + Send + 'static,
    ) -> Result<R, NodeError> {
        let (tx, rx) = oneshot::channel();
        // A panic on the state thread ends the node (later calls get `Stopped`): carrying on
        // with documents in an unknown state could write what the disk does not hold.
        let job: Job = Box::new(move |state| {
            let answer = f(state);
            Box::new(move || {
                let _ = tx.send(answer);
            })
        });
        self.jobs.send(Msg::Run(job)).await.map_err(|_| NodeError::Stopped)?;
        rx.await.map_err(|_| NodeError::Stopped)
    }

    /// Does now what falls due by the node's clock (documents resting, compaction, memory given
    /// back), as the state thread does whenever it is idle. With a manual clock
    /// ([`Clock::manual`]) tests advance the time and then call this, instead of waiting.
    pub async fn tick(&self) -> Result<(), NodeError> {
        self.call(|state| state.run_due()).await
    }

    /// How long the board's and the ledgers' documents stay in memory unused before they rest
    /// (only their views stay); [`REST_AFTER`] unless changed here.
    pub async fn set_rest_after(&self, after: std::time::Duration) -> Result<(), NodeError> {
        self.call(move |state| state.rest_after = after).await
    }

    /// Stops the node once the requests already queued are done, and returns when the data
    /// directory is closed and unlocked.
    pub async fn close(self) {
        let (tx, rx) = oneshot::channel();
        if self.jobs.send(Msg::Stop(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}
