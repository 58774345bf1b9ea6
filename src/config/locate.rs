//! Finding and reading the config file: `--config`, else `$TASKGATE_CONFIG`, else
//! `config.toml` in the platform config dir. The caller passes the flag and the environment
//! value in, so the lookup is testable without touching the process environment, and the
//! result says which rule found the file because `taskgate config check` prints it.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use directories::ProjectDirs;

use super::{Config, ConfigError};

/// Which lookup rule found the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundBy {
    Flag,
    Env,
    PlatformDir,
}

impl fmt::Display for FoundBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FoundBy::Flag => "--config",
            FoundBy::Env => "$TASKGATE_CONFIG",
            FoundBy::PlatformDir => "the platform config folder",
        })
    }
}

/// Where the config is and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSource {
    pub path: PathBuf,
    pub found_by: FoundBy,
}

/// A config read and checked, with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: Config,
    pub source: ConfigSource,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the config file {} (given by {found_by}) does not exist", path.display())]
    Missing { path: PathBuf, found_by: FoundBy },
    #[error("cannot read the config file {} (given by {found_by}): {source}", path.display())]
    Unreadable {
        path: PathBuf,
        found_by: FoundBy,
        source: io::Error,
    },
    #[error(
        "no config found: pass --config PATH, set TASKGATE_CONFIG, or copy config.example.toml \
         to {} and edit it for your practice",
        platform.as_deref().map_or_else(|| "your platform config folder".to_owned(), |p| p.display().to_string())
    )]
    NotFound { platform: Option<PathBuf> },
    #[error(transparent)]
    Invalid(#[from] ConfigError),
}

/// `config.toml` in the platform config dir (`~/.config/taskgate/config.toml` on Linux),
/// whether or not it exists; `None` when the platform has no home directory.
pub fn platform_config_file() -> Option<PathBuf> {
    ProjectDirs::from("", "", "taskgate").map(|d| d.config_dir().join("config.toml"))
}

/// The lookup with the real platform config dir.
pub fn resolve_config_path(explicit: Option<&Path>, env: Option<OsString>) -> Option<ConfigSource> {
    resolve_config_path_with(explicit, env, platform_config_file().as_deref())
}

/// The lookup with the platform file given, for tests. A path named by the flag or the
/// environment is returned even when it does not exist, so that loading it can say so instead
/// of quietly falling through to another file.
pub fn resolve_config_path_with(
    explicit: Option<&Path>,
    env: Option<OsString>,
    platform_file: Option<&Path>,
) -> Option<ConfigSource> {
    if let Some(path) = explicit {
        return Some(ConfigSource {
            path: path.to_path_buf(),
            found_by: FoundBy::Flag,
        });
    }
    // An empty variable is how shells unset things in scripts; treat it as absent.
    if let Some(value) = env.filter(|v| !v.is_empty()) {
        return Some(ConfigSource {
            path: PathBuf::from(value),
            found_by: FoundBy::Env,
        });
    }
    platform_file.filter(|p| p.is_file()).map(|p| ConfigSource {
        path: p.to_path_buf(),
        found_by: FoundBy::PlatformDir,
    })
}

/// Finds, reads and checks the config.
pub fn load(explicit: Option<&Path>, env: Option<OsString>) -> Result<LoadedConfig, LoadError> {
    load_with(explicit, env, platform_config_file().as_deref())
}

/// [`load`] with the platform file given, for tests.
pub fn load_with(
    explicit: Option<&Path>,
    env: Option<OsString>,
    platform_file: Option<&Path>,
) -> Result<LoadedConfig, LoadError> {
    let source = resolve_config_path_with(explicit, env, platform_file).ok_or_else(|| {
        LoadError::NotFound {
            platform: platform_file.map(Path::to_path_buf),
        }
    })?;
    let text = std::fs::read_to_string(&source.path).map_err(|e| {
        let (path, found_by) = (source.path.clone(), source.found_by);
        if e.kind() == io::ErrorKind::NotFound {
            LoadError::Missing { path, found_by }
        } else {
            LoadError::Unreadable {
                path,
                found_by,
                source: e,
            }
        }
    })?;
    let config = Config::from_toml_str(&text, &source.path)?;
    Ok(LoadedConfig { config, source })
}
