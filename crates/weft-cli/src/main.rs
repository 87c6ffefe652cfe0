//! `weft`: every operation of the app from the command line, for scripts, always-on peers and
//! demos. Each command turns into one `weft_node::Request`, carried out either in this process
//! (which then holds the data directory) or, when another Weft process holds the directory, by
//! that process through its control socket.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod output;
mod qr;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use weft_node::control::{self, Client};
use weft_node::net::NetOptions;
use weft_node::{ApiError, Clock, ErrorCode, Node, Request, Response};
use weft_store::{DataDir, StoreError};

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Read the local UTC offset while the process is still single-threaded (the `time` crate
    // refuses to read it later, for soundness).
    let offset = time::UtcOffset::current_local_offset().map(|o| o.whole_seconds()).unwrap_or(0);
    let serving = matches!(cli.command, Command::Serve(_));
    init_tracing(serving);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = cli.json;
    match runtime.block_on(run(cli, offset)) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`weft task list | head`): nothing to report.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let api = e
                .downcast_ref::<ApiError>()
                .cloned()
                .unwrap_or_else(|| ApiError::new(ErrorCode::Internal, format!("{e:#}")));
            if json {
                // The whole error: its code, its message and, for a refusal, its typed detail.
                let body = serde_json::json!({ "error": api });
                eprintln!("{body}");
            } else {
                eprintln!("error: {}", api.message);
            }
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

fn init_tracing(serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WEFT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}

/// Where this command's data directory is.
fn data_dir(cli: &Cli) -> anyhow::Result<PathBuf> {
    match &cli.data_dir {
        Some(d) => Ok(d.clone()),
        None => DataDir::default_path().context("no per-user data directory could be found here: pass --data-dir DIR"),
    }
}

/// Either this process holds the data directory, or another one does and answers for it.
enum Backend {
    Local(Node),
    Remote(Client),
}

impl Backend {
    async fn call(&mut self, request: Request) -> Result<Response, ApiError> {
        match self {
            Self::Local(node) => node.execute(request).await,
            Self::Remote(client) => client.call(&request).await,
        }
    }

    async fn close(self) {
        if let Self::Local(node) = self {
            node.close().await;
        }
    }
}

/// How long a command waits for a data directory that another short command is using.
const BUSY_WAIT: Duration = Duration::from_secs(10);

async fn connect(dir: &Path, clock: Clock) -> anyhow::Result<Backend> {
    let deadline = Instant::now() + BUSY_WAIT;
    let mut pause = Duration::from_millis(5);
    loop {
        let data = DataDir::open(dir).map_err(|e| ApiError::new(ErrorCode::Storage, e.to_string()))?;
        match data.lock() {
            Ok(lock) => {
                let node = Node::start(data, lock, clock).await.map_err(ApiError::from)?;
                return Ok(Backend::Local(node));
            }
            Err(StoreError::Busy { .. }) => {
                if let Ok(client) = Client::connect(dir).await {
                    return Ok(Backend::Remote(client));
                }
                // Another one-off command holds the directory for a moment: wait our turn.
                if Instant::now() >= deadline {
                    return Err(ApiError::new(
                        ErrorCode::Busy,
                        format!(
                            "{} is in use by another Weft process that does not answer; close it (or wait for it) and try again",
                            dir.display()
                        ),
                    )
                    .into());
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            Err(e) => return Err(ApiError::new(ErrorCode::Storage, e.to_string()).into()),
        }
    }
}

async fn run(cli: Cli, offset: i32) -> anyhow::Result<()> {
    if let Command::Simulate { members, months, seed, communities } = cli.command {
        let config = weft_sim::SimConfig { members, months, seed };
        let report = tokio::task::spawn_blocking(move || weft_sim::simulate_network(&config, communities)).await?;
        let mut out = std::io::stdout().lock();
        if cli.json {
            output::simulation_json(&mut out, &report)?;
        } else {
            output::simulation(&mut out, &report)?;
        }
        return Ok(());
    }
    let dir = data_dir(&cli)?;
    let clock = Clock::system(offset);
    if let Command::Serve(opts) = &cli.command {
        return serve(&dir, clock, opts).await;
    }
    let (request, out) = args::to_request(&cli.command)?;
    let mut backend = connect(&dir, clock).await?;
    // Linking needs the network too.
    if let (Command::Neighbour(args::NeighbourCmd::Accept { connect, .. }), Backend::Local(node)) =
        (&cli.command, &backend)
    {
        let options = NetOptions { listen: default_listen(), connect: connect.clone(), ..NetOptions::default() };
        if let Err(e) = node.start_network(options).await {
            backend.close().await;
            return Err(ApiError::from(e).into());
        }
    }
    // Joining needs the network; a directory nobody serves starts it just for this.
    if let (Command::Join { connect, name, .. }, Backend::Local(node)) = (&cli.command, &backend) {
        // A fresh data directory gets its identity first: the device key is the peer id.
        if let Err(e) = node.execute(Request::Whoami).await {
            let init = match name {
                Some(name) if e.code == ErrorCode::NotInitialised => {
                    node.execute(Request::Init { name: name.clone() }).await
                }
                _ => Err(e),
            };
            if let Err(e) = init {
                backend.close().await;
                return Err(e.into());
            }
        }
        let options = NetOptions { listen: default_listen(), connect: connect.clone(), ..NetOptions::default() };
        if let Err(e) = node.start_network(options).await {
            backend.close().await;
            return Err(ApiError::from(e).into());
        }
    }
    // Linking this computer and restoring need the network too; linking shows the words.
    if let Backend::Local(node) = &backend {
        let connect = match &cli.command {
            Command::Device(args::DeviceCmd::Link { connect, .. }) | Command::Restore { connect, .. } => {
                Some(connect.clone())
            }
            Command::Device(args::DeviceCmd::Add { .. }) => Some(Vec::new()),
            _ => None,
        };
        if let Some(connect) = connect {
            let options = NetOptions { listen: default_listen(), connect, ..NetOptions::default() };
            if let Err(e) = node.start_network(options).await {
                backend.close().await;
                return Err(ApiError::from(e).into());
            }
        }
    }
    if let Command::Device(args::DeviceCmd::Link { code, .. }) = &cli.command {
        match backend.call(Request::DeviceLinkWords { code: code.clone() }).await {
            Ok(Response::LinkWords(words)) => {
                eprintln!(
                    "Check that your other computer shows these words, then confirm there:\n\n    {}\n",
                    words.join(" ")
                );
            }
            Ok(_) => {}
            Err(e) => {
                backend.close().await;
                return Err(e.into());
            }
        }
    }
    let result = match (&cli.command, &backend) {
        // Nobody serves this directory: the pairing lives as long as this command, which waits
        // for the other computer and asks here to confirm its words.
        (Command::Device(args::DeviceCmd::Add { qr, .. }), Backend::Local(node)) => {
            add_device_here(node, request, qr.as_deref()).await
        }
        _ => backend.call(request).await,
    };
    if let Backend::Local(node) = &backend {
        node.stop_network().await;
    }
    backend.close().await;
    let response = result?;
    if let (
        Command::Invite { qr: Some(path), .. } | Command::Neighbour(args::NeighbourCmd::Invite { qr: Some(path), .. }),
        Response::Invite(invite),
    ) = (&cli.command, &response)
    {
        let png = qr::png(&invite.link)?;
        write_out(path, &png)?;
    }
    if let (Command::Device(args::DeviceCmd::Add { qr: Some(path), .. }), Response::Pairing(p)) =
        (&cli.command, &response)
    {
        write_out(path, &qr::png(&p.link)?)?;
    }
    if let (Some(path), Response::Backup(made)) = (&out, &response) {
        let bytes = data_encoding::BASE64
            .decode(made.base64.as_bytes())
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the backup came back damaged: {e}")))?;
        write_out(path, &bytes)?;
        if let Command::Backup { sheet: Some(sheet), .. } = &cli.command {
            write_out(sheet, made.html.as_bytes())?;
        }
        if cli.json {
            println!("{}", serde_json::json!({ "out": path, "bytes": bytes.len(), "device": made.device }));
        } else {
            println!(
                "Wrote the backup to {} ({} bytes). Keep it, and its passphrase, apart from this computer.",
                path.display(),
                bytes.len()
            );
            println!("Its key is registered as device {}: revoke it to retire this backup.", made.device.short());
        }
        return Ok(());
    }
    if let (Some(path), Response::Export(data)) = (&out, &response) {
        let bytes = data_encoding::BASE64
            .decode(data.base64.as_bytes())
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the export came back damaged: {e}")))?;
        write_out(path, &bytes)?;
        if path.as_os_str() == "-" {
            return Ok(());
        }
        if cli.json {
            println!("{}", serde_json::json!({ "format": data.format, "out": path, "bytes": bytes.len() }));
        } else {
            println!("Wrote {} ({} bytes).", path.display(), bytes.len());
        }
        return Ok(());
    }
    if let (Some(path), Response::Calendar(calendar)) = (&out, &response) {
        write_out(path, calendar.ics.as_bytes())?;
        if path.as_os_str() == "-" {
            return Ok(());
        }
        let (events, cancelled) = (calendar.events, calendar.cancelled);
        if cli.json {
            println!("{}", serde_json::json!({ "out": path, "events": events, "cancelled": cancelled }));
        } else {
            let plural = if events == 1 { "" } else { "s" };
            let of_them = if cancelled > 0 { format!(", {cancelled} of them cancelled") } else { String::new() };
            println!("Wrote {} ({events} event{plural}{of_them}).", path.display());
        }
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    if cli.json {
        output::json(&mut stdout, &response)?;
    } else {
        output::human(&mut stdout, &response)?;
    }
    stdout.flush()?;
    Ok(())
}

/// Every interface, a free TCP port and a free QUIC port.
fn default_listen() -> Vec<weft_net::Multiaddr> {
    ["/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1"].iter().filter_map(|a| a.parse().ok()).collect()
}

/// Writes an export atomically: to a temporary file beside the target, then renamed over it.
fn write_out(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        std::io::stdout().write_all(bytes)?;
        return Ok(());
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "export".into());
    let tmp = parent.join(format!(".{name}.partial"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ApiError::new(ErrorCode::Storage, format!("could not write {}: {e}", path.display())).into()
    })
}

/// `weft serve`: hold the data directory, answer other commands through the control socket,
/// until Ctrl-C or SIGTERM.
async fn serve(dir: &Path, clock: Clock, opts: &args::ServeArgs) -> anyhow::Result<()> {
    let data = DataDir::open(dir).map_err(|e| ApiError::new(ErrorCode::Storage, e.to_string()))?;
    let lock = match data.lock() {
        Ok(lock) => lock,
        Err(e @ StoreError::Busy { .. }) => return Err(ApiError::new(ErrorCode::Busy, e.to_string()).into()),
        Err(e) => return Err(ApiError::new(ErrorCode::Storage, e.to_string()).into()),
    };
    let node = Node::start(data, lock, clock).await.map_err(ApiError::from)?;
    let shutdown = async {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(%e, "cannot listen for SIGTERM");
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => tracing::info!("interrupted; shutting down"),
            _ = term.recv() => tracing::info!("terminated; shutting down"),
        }
    };
    let options = NetOptions {
        listen: if opts.listen.is_empty() { default_listen() } else { opts.listen.clone() },
        connect: opts.connect.clone(),
        external: opts.external.clone(),
        mdns: !opts.no_mdns,
        ..NetOptions::default()
    };
    match node.start_network(options).await {
        Ok(peer) => tracing::info!(%peer, "network started"),
        Err(e) => {
            node.close().await;
            return Err(ApiError::from(e).into());
        }
    }
    tracing::info!(dir = %dir.display(), "serving");
    let served = control::serve(node.clone(), shutdown).await.map_err(ApiError::from);
    node.stop_network().await;
    node.close().await;
    served?;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// `weft device add` with nobody serving the directory: show the code, wait for the other
/// computer to ask, ask here to confirm its words, and wait until it is linked.
async fn add_device_here(node: &Node, request: Request, qr: Option<&Path>) -> Result<Response, ApiError> {
    let mut events = node.subscribe();
    let pairing = match node.execute(request).await? {
        Response::Pairing(p) => p,
        other => return Ok(other),
    };
    if let Some(path) = qr {
        let png = qr::png(&pairing.link).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        write_out(path, &png).map_err(|e| ApiError::new(ErrorCode::Storage, e.to_string()))?;
    }
    println!("On your other computer, run:\n\n    weft device link {}\n", pairing.code);
    println!("(or with the link, from another network: {})\n\nWaiting for it…", pairing.link);
    let expires = pairing.expires;
    let mut asked: std::collections::BTreeSet<weft_core::DeviceId> = std::collections::BTreeSet::new();
    loop {
        let devices = match node.execute(Request::Devices).await? {
            Response::Devices(d) => d,
            _ => continue,
        };
        if devices.pairing.as_ref().is_some_and(|p| p.used) {
            return Ok(Response::Devices(devices));
        }
        let new: Vec<_> = devices.asking.iter().filter(|a| !a.confirmed && !asked.contains(&a.device)).collect();
        for asking in new {
            asked.insert(asking.device);
            print!(
                "\"{}\" asks to be linked, showing: {}\nDo the words match? [y/N] ",
                asking.label,
                asking.words.join(" ")
            );
            std::io::stdout().flush().ok();
            let mut line = String::new();
            let answer = tokio::task::spawn_blocking(move || std::io::stdin().read_line(&mut line).map(|_| line))
                .await
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
                .unwrap_or_default();
            if answer.trim().eq_ignore_ascii_case("y") || answer.trim().eq_ignore_ascii_case("yes") {
                node.execute(Request::DeviceConfirm { device: asking.device.to_string() }).await?;
                println!("Confirmed: linking…");
            } else {
                println!("Not linked.");
            }
        }
        let wait = u64::try_from((expires.millis() - now_millis()).max(0)).unwrap_or(0);
        if wait == 0 {
            return Err(ApiError::new(ErrorCode::Invalid, "the pairing code expired: run `weft device add` again"));
        }
        // Woken by a computer asking or being linked; the code's end at the latest.
        let _ = tokio::time::timeout(Duration::from_millis(wait), events.recv()).await;
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
