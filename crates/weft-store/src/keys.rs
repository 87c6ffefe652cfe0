//! The identity's secret keys, as files private to the user.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use weft_core::identity::SecretKey;

use crate::dir::private_dir;
use crate::error::StoreError;

pub(crate) const MEMBER_KEY: &str = "member.key";
pub(crate) const DEVICE_KEY: &str = "device.key";

pub(crate) fn key_dir(data: &Path) -> PathBuf {
    data.join("identity")
}

/// Writes a key atomically (temporary file, fsync, rename, fsync the directory), mode 0600.
pub(crate) fn write_key(dir: &Path, name: &str, key: &SecretKey) -> Result<(), StoreError> {
    private_dir(dir)?;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.write_all(&key.to_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &path)?;
        File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        // A full disk leaves a temporary file behind, empty or short: it holds no key anyone
        // uses, and would keep the space the member is freeing.
        let _ = fs::remove_file(&tmp);
        StoreError::io(&path)(e)
    })
}

/// Reads a key, tightening its mode if someone loosened it.
pub(crate) fn read_key(dir: &Path, name: &str) -> Result<SecretKey, StoreError> {
    let path = dir.join(name);
    let mut f = File::open(&path).map_err(StoreError::io(&path))?;
    let mode = f.metadata().map_err(StoreError::io(&path))?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "a key file was readable by others; making it private");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).map_err(StoreError::io(&path))?;
    }
    let mut bytes = Vec::with_capacity(32);
    f.read_to_end(&mut bytes).map_err(StoreError::io(&path))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StoreError::BadIdentity { path: path.clone(), why: format!("{name} is not a 32-byte key") })?;
    Ok(SecretKey::from_bytes(bytes))
}

/// The member key and the device key of a data directory, if `weft init` ever ran there.
/// They live in their own files, apart from the database, so they outlive a damaged one
/// (see [`crate::set_aside`] and [`crate::Store::restore_identity`]). One key without the
/// other is refused: the identity cannot be used half.
pub fn read_keys(dir: &crate::DataDir) -> Result<Option<(SecretKey, SecretKey)>, StoreError> {
    let key_dir = key_dir(dir.path());
    let (member, device) = (key_dir.join(MEMBER_KEY), key_dir.join(DEVICE_KEY));
    match (member.exists(), device.exists()) {
        (false, false) => Ok(None),
        (true, true) => Ok(Some((read_key(&key_dir, MEMBER_KEY)?, read_key(&key_dir, DEVICE_KEY)?))),
        (has_member, _) => Err(StoreError::BadIdentity {
            path: key_dir.clone(),
            why: format!("{} is missing", if has_member { DEVICE_KEY } else { MEMBER_KEY }),
        }),
    }
}
