//! Where taskgate keeps its files: the mirror, the demo mirror and the log, in the platform data
//! dir unless the command line or the config says otherwise. Folders are created owner-only,
//! because the mirror and its neighbours hold patient data.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use directories::ProjectDirs;

/// The files one run of taskgate uses.
#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub db: PathBuf,
    pub log_file: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("cannot tell where your data folder is (no home directory): pass --db PATH")]
    NoHome,
    #[error("cannot create {path}: {source}")]
    Create { path: PathBuf, source: io::Error },
}

/// The platform data dir (`~/.local/share/taskgate` on Linux; honours `XDG_DATA_HOME`).
pub fn platform_data_dir() -> Result<PathBuf, PathError> {
    ProjectDirs::from("", "", "taskgate")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or(PathError::NoHome)
}

impl Paths {
    /// `--db` wins over `storage.path`, which wins over the platform data dir. The demo mirror
    /// lives in its own folder so trying the demo never touches the practice's mirror.
    pub fn resolve(
        cli_db: Option<&Path>,
        config_db: Option<&Path>,
        demo: bool,
    ) -> Result<Paths, PathError> {
        let data_dir = platform_data_dir()?;
        let db = match (cli_db, config_db) {
            (Some(p), _) => p.to_path_buf(),
            (None, Some(p)) if !demo => p.to_path_buf(),
            _ if demo => data_dir.join("demo").join("mirror.sqlite"),
            _ => data_dir.join("mirror.sqlite"),
        };
        let log_file = data_dir.join("logs").join("taskgate.log");
        Ok(Paths {
            data_dir,
            db,
            log_file,
        })
    }
}

/// Creates `dir` and its missing parents with mode 0700.
pub fn create_private_dir(dir: &Path) -> Result<(), PathError> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| PathError::Create {
            path: dir.to_path_buf(),
            source,
        })
}

/// Opens `path` for appending, creating it owner-only (0600) and tightening an existing file.
pub fn open_private_append(path: &Path) -> Result<fs::File, PathError> {
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| PathError::Create {
            path: path.to_path_buf(),
            source,
        })?;
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(|source| PathError::Create {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(file)
}
