//! Weft on the desktop: a thin Tauri 2 shell over weft-node.
//!
//! The shell opens the data directory in-process, starts the network as `weft serve` does,
//! and gives the web UI (`ui/`) three commands and two events:
//! - `execute({ request })`: a weft-node [`weft_node::Request`] as JSON; resolves with the
//!   [`weft_node::Response`] JSON or rejects with the [`weft_node::ApiError`] JSON
//!   (`{ code, message }`);
//! - `app_info()`: the data directory, the version, whether the network runs, the `weft://`
//!   link the app was launched with, and why the directory could not be opened, if so;
//! - `save_file({ path, base64 })`: writes an export where the member chose;
//! - events `weft-event` (every node event) and `weft-link` (a link handed over by a later
//!   launch).
//!
//! What a request means is weft-node's business; the shell only translates.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod args;
#[cfg(test)]
mod contract;
mod link;
pub mod shell;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tauri::{Emitter, Manager, RunEvent, State};
use tracing::{error, info, warn};
use weft_node::net::NetOptions;
use weft_node::{ApiError, Clock, ErrorCode, Response};
use weft_store::DataDir;

use args::Args;
use shell::{AppInfo, Launch, Shell, Window};

#[tauri::command]
async fn execute(shell: State<'_, Arc<Shell>>, request: serde_json::Value) -> Result<Response, ApiError> {
    shell.execute(request).await
}

#[tauri::command]
async fn app_info(shell: State<'_, Arc<Shell>>) -> Result<AppInfo, ApiError> {
    Ok(shell.app_info().await)
}

#[tauri::command]
async fn save_file(shell: State<'_, Arc<Shell>>, path: PathBuf, base64: String) -> Result<(), ApiError> {
    shell.save_file(path, base64).await
}

impl<R: tauri::Runtime> Window for tauri::AppHandle<R> {
    fn emit(&self, event: &str, payload: serde_json::Value) {
        if let Err(e) = Emitter::emit(self, event, payload) {
            warn!(%e, event, "could not send an event to the window");
        }
    }

    fn raise(&self) {
        if let Some(window) = self.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
    }
}

/// Every interface, a free TCP port and a free QUIC port (as `weft serve`).
fn default_listen() -> Vec<weft_net::Multiaddr> {
    ["/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1"].iter().filter_map(|a| a.parse().ok()).collect()
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WEFT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .init();
}

/// Runs the app until its window closes.
pub fn run() -> ExitCode {
    let args = Args::parse();
    // Read the local UTC offset while the process is still single-threaded (the `time` crate
    // refuses to read it later, for soundness).
    let offset = time::UtcOffset::current_local_offset().map(|o| o.whole_seconds()).unwrap_or(0);
    init_tracing();
    start_with_environment();
    let Some(data_dir) = args.data_dir.clone().or_else(DataDir::default_path) else {
        error!("no per-user data directory could be found here: start Weft with --data-dir DIR");
        return ExitCode::FAILURE;
    };
    // Take the directory before the window exists, so a second launch on it can hand its
    // link to the app already running instead of opening a window that cannot work.
    let held = shell::hold_waiting(&data_dir, std::time::Duration::from_secs(5));
    if let Err(e) = &held
        && e.code == ErrorCode::Busy
        && link::hand_over(&data_dir, args.link.as_deref()).is_ok()
    {
        info!("Weft is already open on this data directory; handed over to it");
        return ExitCode::SUCCESS;
    }
    if let Err(e) = &held {
        warn!(message = %e.message, "the data directory cannot be used; the window will say why");
    }
    let launch = Launch {
        data_dir,
        held,
        clock: Clock::system(offset),
        net: NetOptions {
            listen: if args.listen.is_empty() { default_listen() } else { args.listen },
            connect: args.connect,
            mdns: !args.no_mdns,
            ..NetOptions::default()
        },
        link: args.link,
    };
    match run_app(tauri::Builder::default(), launch) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_app<R: tauri::Runtime>(builder: tauri::Builder<R>, launch: Launch) -> anyhow::Result<()> {
    let launch = std::sync::Mutex::new(Some(launch));
    let app = builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(tauri::generate_handler![execute, app_info, save_file])
        .setup(move |app| {
            let launch = launch
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .ok_or_else(|| anyhow::anyhow!("the app was set up twice"))?;
            if let Some(window) = app.get_webview_window("main") {
                allow_the_camera(&window)?;
            }
            let shell = Arc::new(Shell::new(launch, Arc::new(app.handle().clone())));
            app.manage(shell.clone());
            // Open the data directory now, while the window loads; commands wait for it.
            tauri::async_runtime::spawn(async move {
                let _ = shell.node().await;
            });
            // Ctrl-C in the terminal or SIGTERM end the app as closing its window does.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if stop_signal().await {
                    info!("asked to stop; closing");
                    handle.exit(0);
                }
            });
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(|app, event| {
        if let RunEvent::Exit = event
            && let Some(shell) = app.try_state::<Arc<Shell>>()
        {
            info!("closing the data directory");
            tauri::async_runtime::block_on(shell.shutdown());
        }
    });
    Ok(())
}

/// Lets the page use a camera, to scan an invitation's QR code: WebKitGTK has media capture
/// off unless asked, and refuses a page's request for it unless someone answers. The page is
/// our own (the CSP loads nothing from elsewhere); it is given video, never a microphone.
/// `WEFT_MOCK_CAMERA=1` swaps the cameras for WebKit's mock one (a moving test picture), to
/// try the scanner, or test it, on a machine without a camera.
#[cfg(target_os = "linux")]
fn allow_the_camera<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    use webkit2gtk::glib::Cast;
    use webkit2gtk::{PermissionRequestExt, SettingsExt, UserMediaPermissionRequestExt, WebViewExt};
    let mock = std::env::var_os("WEFT_MOCK_CAMERA").is_some_and(|v| v == "1");
    window.with_webview(move |platform| {
        let view = platform.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_media_stream(true);
            settings.set_enable_mock_capture_devices(mock);
        }
        view.connect_permission_request(|_, request| {
            match request.downcast_ref::<webkit2gtk::UserMediaPermissionRequest>() {
                Some(media) if media.is_for_video_device() && !media.is_for_audio_device() => {
                    request.allow();
                    true
                }
                // Anything else gets WebKit's answer (a refusal).
                _ => false,
            }
        });
    })
}

#[cfg(not(target_os = "linux"))]
fn allow_the_camera<R: tauri::Runtime>(_window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    Ok(())
}

/// Whether the machine has a GPU that the window can draw with (a DRM render node). Without
/// one, Mesa draws in software (llvmpipe).
fn has_gpu() -> bool {
    std::fs::read_dir("/dev/dri")
        .map(|dir| dir.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
        .unwrap_or(false)
}

/// Starts the program again (exec, same process) with the environment the app wants, for
/// itself and for WebKit's processes after it, unless whoever started it chose already:
///
/// - `WEBKIT_DISABLE_COMPOSITING_MODE=1` on a machine without a GPU. With GL drawn in
///   software, accelerated compositing buys nothing for a page like ours and costs WebKit's
///   page process 120–170 MiB (measured under Xvfb on the demo community's board: about 410
///   against 230 MiB RSS). A GPU-less laptop is exactly where memory is short. (WebKit's
///   per-view setting for this did not take effect when the window was driven by WebDriver.)
/// - `MALLOC_MMAP_THRESHOLD_=131072`: glibc serves blocks over 128 KiB from mappings of their
///   own, returned to the system when freed. By default it raises that threshold each time
///   such a block is freed, after which the large buffers of loading and syncing documents
///   stay behind in the heap: 8 MiB of the app process's 201 MiB at rest on the demo
///   community (release build).
///
/// WebKit and glibc read these only from the environment, at start, and changing our own
/// environment takes unsafe code (and is unsound once other threads run), which this project
/// denies: hence the exec, before anything else happens.
pub fn start_with_environment() {
    const COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    const MMAP_THRESHOLD: &str = "MALLOC_MMAP_THRESHOLD_";
    let mut set = Vec::new();
    if !has_gpu() && std::env::var_os(COMPOSITING).is_none() {
        set.push((COMPOSITING, "1"));
    }
    if std::env::var_os(MMAP_THRESHOLD).is_none() {
        set.push((MMAP_THRESHOLD, "131072"));
    }
    if set.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let error = std::process::Command::new(exe).args(std::env::args_os().skip(1)).envs(set).exec();
        warn!(%error, "could not start again with the environment the app wants; carrying on without it");
    }
}

/// Waits for Ctrl-C or SIGTERM; false if they cannot be listened for.
async fn stop_signal() -> bool {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            warn!(%e, "cannot listen for SIGTERM");
            return false;
        }
    };
    tokio::select! {
        _ = term.recv() => true,
        r = tokio::signal::ctrl_c() => r.is_ok(),
    }
}
