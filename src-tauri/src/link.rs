//! Handing a `weft://` link to the app that already holds the data directory.
//!
//! The running app listens on `<data dir>/app.sock` (0600, in the 0700 data directory, served
//! only to the same user). A second `weft-app` launched on the same directory — by a click on
//! a link, say — finds the directory locked, writes its link (or an empty line: "show
//! yourself") there and exits; the running app raises its window and emits `weft-link`.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::UnixListener;
use tracing::{debug, warn};

/// The longest link accepted (an invitation with a few addresses is a few hundred bytes).
pub const MAX_LINK: usize = 4096;

fn socket_path(dir: &Path) -> PathBuf {
    dir.join("app.sock")
}

/// Sends `link` (or nothing, to raise the window) to the app running on `dir`. Fails if no
/// app listens there (e.g. the directory is held by `weft serve`).
pub fn hand_over(dir: &Path, link: Option<&str>) -> std::io::Result<()> {
    let mut stream = std::os::unix::net::UnixStream::connect(socket_path(dir))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(link.unwrap_or("").as_bytes())?;
    stream.write_all(b"\n")?;
    stream.flush()
}

/// Removes the socket when the app stops listening (it still holds the directory's lock).
pub fn forget(dir: &Path) {
    let _ = std::fs::remove_file(socket_path(dir));
}

/// Listens for links from later launches until the task is dropped, calling `on_link` with
/// each one (`None`: just show the window). The caller holds the directory's lock, so a
/// socket file found here was left by an app that died.
pub async fn listen(dir: PathBuf, on_link: impl Fn(Option<String>) + Send + 'static) -> std::io::Result<()> {
    let path = socket_path(&dir);
    match std::fs::remove_file(&path) {
        Ok(()) => debug!("removed a stale app socket"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let owner = std::fs::metadata(&path)?.uid();
    loop {
        let (mut stream, _) = listener.accept().await?;
        match stream.peer_cred() {
            Ok(cred) if cred.uid() == owner => {}
            _ => {
                warn!("refused a link from another user");
                continue;
            }
        }
        let mut buf = Vec::with_capacity(256);
        let read =
            tokio::time::timeout(Duration::from_secs(2), (&mut stream).take(MAX_LINK as u64 + 1).read_to_end(&mut buf))
                .await;
        if !matches!(read, Ok(Ok(_))) || buf.len() > MAX_LINK {
            warn!("ignored a link that was too long or never finished");
            continue;
        }
        let text = String::from_utf8_lossy(&buf).trim().to_owned();
        if text.is_empty() {
            on_link(None);
        } else if text.starts_with("weft://") {
            on_link(Some(text));
        } else {
            warn!("ignored something handed over that is not a weft:// link");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_launch_hands_its_link_over() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        let path = dir.path().to_path_buf();
        let server = tokio::spawn(listen(path.clone(), move |link| {
            let _ = tx.try_send(link);
        }));
        // Wait for the socket rather than for a fixed time.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !socket_path(&path).exists() {
            assert!(tokio::time::Instant::now() < deadline, "the app socket never appeared");
            tokio::task::yield_now().await;
        }
        let sender = path.clone();
        tokio::task::spawn_blocking(move || hand_over(&sender, Some("weft://join/abc"))).await.unwrap().unwrap();
        assert_eq!(rx.recv().await.unwrap().as_deref(), Some("weft://join/abc"));
        let sender = path.clone();
        tokio::task::spawn_blocking(move || hand_over(&sender, None)).await.unwrap().unwrap();
        assert_eq!(rx.recv().await.unwrap(), None);
        server.abort();
    }

    #[test]
    fn nobody_listening_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(hand_over(dir.path(), Some("weft://join/abc")).is_err());
    }
}
