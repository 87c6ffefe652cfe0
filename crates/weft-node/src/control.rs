//! The local control socket: while one process holds a data directory (`weft serve`, the
//! desktop app), other `weft` commands on that directory are carried out by it, never by
//! opening the store a second time.
//!
//! The socket is `<data dir>/control.sock`, created with mode 0600 inside the 0700 data
//! directory, and a connection is served only if the peer process runs as the socket's owner.
//! Frames are a 4-byte big-endian length and a JSON body: a [`Request`] one way, a reply
//! (`{"ok": Response}` or `{"err": ApiError}`) the other. Sizes are capped.

use std::future::Future;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;
use tracing::{debug, info, warn};

use crate::Node;
use crate::api::{Request, Response};
use crate::error::{ApiError, ErrorCode, NodeError};

/// The largest request accepted (a task description is at most 4,000 characters).
const MAX_REQUEST: u32 = 1 << 20;
/// The largest reply accepted (exports of a big community).
const MAX_REPLY: u32 = 256 << 20;
/// Connections served at once.
const MAX_CONNECTIONS: usize = 16;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reply {
    Ok(Response),
    Err(ApiError),
}

async fn read_frame(stream: &mut UnixStream, max: u32) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match stream.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len);
    if len > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a frame of {len} bytes is too large"),
        ));
    }
    let mut body = vec![0u8; len as usize];
    stream.read_exact(&mut body).await?;
    Ok(Some(body))
}

async fn write_frame(stream: &mut UnixStream, body: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(body.len())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "frame too large"))?;
    stream.write_all(&len.to_be_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await
}

/// Serves `node` on its data directory's control socket until `shutdown` completes; then
/// removes the socket.
pub async fn serve(node: Node, shutdown: impl Future<Output = ()>) -> Result<(), NodeError> {
    let path = socket_path(node.data_dir());
    // We hold the directory's lock, so a socket file left here is from a process that died.
    match std::fs::remove_file(&path) {
        Ok(()) => debug!(path = %path.display(), "removed a stale control socket"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let owner = std::fs::metadata(&path)?.uid();
    info!(path = %path.display(), "control socket open");
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        warn!(%e, "control socket accept failed");
                        continue;
                    }
                };
                match stream.peer_cred() {
                    Ok(cred) if cred.uid() == owner => {}
                    Ok(cred) => {
                        warn!(uid = cred.uid(), "refused a control connection from another user");
                        continue;
                    }
                    Err(e) => {
                        warn!(%e, "could not check a control connection's user; refused");
                        continue;
                    }
                }
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    warn!("too many control connections; refused one");
                    continue;
                };
                let node = node.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve_connection(node, stream).await {
                        debug!(%e, "control connection ended with an error");
                    }
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    let _ = std::fs::remove_file(&path);
    info!("control socket closed");
    Ok(())
}

async fn serve_connection(node: Node, mut stream: UnixStream) -> std::io::Result<()> {
    while let Some(body) = read_frame(&mut stream, MAX_REQUEST).await? {
        let reply = match serde_json::from_slice::<Request>(&body) {
            Ok(request) => match node.execute(request).await {
                Ok(r) => Reply::Ok(r),
                Err(e) => Reply::Err(e),
            },
            Err(e) => Reply::Err(ApiError::new(ErrorCode::Invalid, format!("the request could not be read: {e}"))),
        };
        let bytes = serde_json::to_vec(&reply).map_err(std::io::Error::other)?;
        write_frame(&mut stream, &bytes).await?;
    }
    Ok(())
}

/// Where a data directory's control socket is.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("control.sock")
}

/// A connection to the process that holds a data directory.
#[derive(Debug)]
pub struct Client {
    stream: UnixStream,
}

impl Client {
    /// Connects to the control socket of the process holding `data_dir`.
    pub async fn connect(data_dir: &Path) -> std::io::Result<Self> {
        Ok(Self { stream: UnixStream::connect(socket_path(data_dir)).await? })
    }

    /// Sends one request and waits for its answer.
    pub async fn call(&mut self, request: &Request) -> Result<Response, ApiError> {
        let lost = |e: std::io::Error| {
            ApiError::new(
                ErrorCode::Busy,
                format!("lost the connection to the Weft process holding this data directory: {e}"),
            )
        };
        let body = serde_json::to_vec(request).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        write_frame(&mut self.stream, &body).await.map_err(lost)?;
        let reply = read_frame(&mut self.stream, MAX_REPLY)
            .await
            .map_err(lost)?
            .ok_or_else(|| lost(std::io::ErrorKind::UnexpectedEof.into()))?;
        match serde_json::from_slice::<Reply>(&reply) {
            Ok(Reply::Ok(r)) => Ok(r),
            Ok(Reply::Err(e)) => Err(e),
            Err(e) => Err(ApiError::new(ErrorCode::Internal, format!("an unreadable answer: {e}"))),
        }
    }
}
