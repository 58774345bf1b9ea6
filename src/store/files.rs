//! Owner-only files for patient data. `SQLite` creates its `-wal` and `-shm` files with the
//! permissions of the database file, so the database is created 0600 before `SQLite` opens it;
//! its folder is created 0700. An existing file that others can read is refused, not repaired
//! silently, because exposure of patient data is something the practice must know about.

use std::fs::{self, DirBuilder, OpenOptions, Permissions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{Result, StoreError};

const OWNER_ONLY_FILE: u32 = 0o600;
const OWNER_ONLY_DIR: u32 = 0o700;
const GROUP_OR_OTHER: u32 = 0o077;

fn io_error(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        doing,
        path,
        source,
    }
}

/// Makes sure `path` exists as an owner-only file before `SQLite` opens it.
pub(super) fn prepare_database_file(path: &Path) -> Result<()> {
    if let Some(parent) = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && !p.exists())
    {
        DirBuilder::new()
            .recursive(true)
            .mode(OWNER_ONLY_DIR)
            .create(parent)
            .map_err(io_error("create the folder", parent))?;
    }
    match fs::metadata(path) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & GROUP_OR_OTHER != 0 {
                return Err(StoreError::Permissions {
                    path: path.to_path_buf(),
                    mode,
                });
            }
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::NotFound => create_owner_only(path),
        Err(e) => Err(io_error("read the permissions of", path)(e)),
    }
}

/// Creates a new, empty owner-only file; refuses one that already exists, so a backup never
/// overwrites anything.
pub(super) fn create_owner_only(path: &Path) -> Result<()> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(OWNER_ONLY_FILE)
        .open(path)
        .map_err(|source| {
            if source.kind() == ErrorKind::AlreadyExists {
                StoreError::AlreadyExists {
                    path: path.to_path_buf(),
                }
            } else {
                StoreError::Io {
                    doing: "create",
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
    // The umask can only remove bits from 0600, but set it explicitly so the result never
    // depends on the caller's environment.
    file.set_permissions(Permissions::from_mode(OWNER_ONLY_FILE))
        .map_err(io_error("set owner-only permissions on", path))
}

/// The mirror's `-wal` and `-shm` files hold the same patient data as the mirror itself (the
/// WAL holds recent changes in full), so one that others can read is refused just like the
/// mirror, and never narrowed silently.
pub(super) fn refuse_exposed_sidecars(path: &Path) -> Result<()> {
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let sidecar = PathBuf::from(name);
        match fs::metadata(&sidecar) {
            Ok(meta) if meta.permissions().mode() & GROUP_OR_OTHER != 0 => {
                return Err(StoreError::Permissions {
                    path: sidecar,
                    mode: meta.permissions().mode() & 0o777,
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("read the permissions of", &sidecar)(e)),
        }
    }
    Ok(())
}
