//! The data directory and its lock.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// A data directory, created private to the user.
#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
}

/// Proof that this process is the one writer of a data directory. The lock is released when
/// this is dropped or the process dies (the OS drops `flock` locks with the file).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    path: PathBuf,
}

impl DirLock {
    /// The directory this lock is for.
    pub fn dir(&self) -> &Path {
        &self.path
    }
}

/// Makes `path` a directory with mode 0700, tightening a looser one.
pub(crate) fn private_dir(path: &Path) -> Result<(), StoreError> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(path).map_err(StoreError::io(path))?;
    let meta = fs::metadata(path).map_err(StoreError::io(path))?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "the directory was readable by others; making it private");
        fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(StoreError::io(path))?;
    }
    Ok(())
}

impl DataDir {
    /// The per-user default data directory.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("org", "Weft", "Weft").map(|d| d.data_dir().to_path_buf())
    }

    /// Opens a data directory, creating it (mode 0700) if needed.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let path = path.into();
        private_dir(&path)?;
        let path = fs::canonicalize(&path).map_err(StoreError::io(&path))?;
        Ok(Self { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn control_socket_path(&self) -> PathBuf {
        self.path.join("control.sock")
    }

    /// Takes the directory's write lock, or says who holds it.
    pub fn lock(&self) -> Result<DirLock, StoreError> {
        let path = self.path.join("weft.lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(StoreError::io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(StoreError::Busy { path: self.path.clone(), pid: pid.trim().parse().ok() });
            }
            Err(TryLockError::Error(e)) => return Err(StoreError::io(&path)(e)),
        }
        // Leave our pid for whoever finds the directory busy.
        let write_pid = |f: &mut File| -> std::io::Result<()> {
            f.set_len(0)?;
            f.rewind()?;
            write!(f, "{}", std::process::id())?;
            f.flush()
        };
        // Only for messages: a full disk must not keep the member from opening (and reading)
        // their data directory.
        if let Err(e) = write_pid(&mut file) {
            tracing::warn!(path = %path.display(), %e, "could not note our pid in the lock file");
        }
        Ok(DirLock { _file: file, path: self.path.clone() })
    }
}
