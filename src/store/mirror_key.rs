//! The key of an encrypted mirror. A build with the `sqlcipher` feature stores the mirror with
//! SQLCipher; the key is set once per process (from the environment variable the config names,
//! or typed at a prompt: see `commands::mirror_key`) and every connection this process opens,
//! the TUI's worker and a backup's destination included, is unlocked with it before anything is
//! read. The key is held for the process, not passed along every call, so that no code path can
//! open the mirror without it by forgetting to pass it on.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rusqlite::{Connection, ErrorCode};

/// Whether this build can encrypt the mirror at all.
pub const ENCRYPTION_BUILT: bool = cfg!(feature = "sqlcipher");

/// A mirror key as typed or read from the environment. It never shows in `Debug` output, so a
/// stray `{:?}` in a log line or an error cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct MirrorKey(String);

impl fmt::Debug for MirrorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MirrorKey(<hidden>)")
    }
}

impl MirrorKey {
    /// A key from text; a blank one is refused, because an empty SQLCipher key means "no
    /// encryption" and the practice asked for encryption.
    pub fn new(text: String) -> Result<MirrorKey, KeyError> {
        if text.trim().is_empty() {
            return Err(KeyError::Blank);
        }
        Ok(MirrorKey(text))
    }
}

/// Why an encrypted mirror cannot be opened, in words for the person at the desk.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the mirror key is blank: an empty key would leave the mirror unencrypted")]
    Blank,
    #[error(
        "this taskgate was built without encryption, so it cannot use a mirror key: build it \
         with `--features sqlcipher`, or remove storage.key_env from the config"
    )]
    NotBuilt,
    #[error("a different mirror key was already set for this run of taskgate")]
    AlreadySet,
    #[error("cannot open the mirror {}: wrong key or not a taskgate mirror", .path.display())]
    WrongKey { path: PathBuf },
}

static PROCESS_KEY: OnceLock<MirrorKey> = OnceLock::new();

/// Sets the key every mirror (and backup) this process opens is unlocked and encrypted with.
/// Setting the same key again is harmless; a different one is refused, since connections
/// already open would disagree with new ones.
pub fn use_mirror_key(key: MirrorKey) -> Result<(), KeyError> {
    if !ENCRYPTION_BUILT {
        return Err(KeyError::NotBuilt);
    }
    match PROCESS_KEY.set(key) {
        Ok(()) => Ok(()),
        Err(key) if PROCESS_KEY.get() == Some(&key) => Ok(()),
        Err(_) => Err(KeyError::AlreadySet),
    }
}

/// Unlocks a connection just opened on `path` with the process's key (when there is one), then
/// reads the schema so that a wrong key, a plain file opened with a key, or an encrypted file
/// opened without one fails here with one clear message rather than later as "file is not a
/// database".
pub(super) fn unlock(conn: &Connection, path: &Path) -> super::Result<()> {
    if let Some(key) = PROCESS_KEY.get() {
        conn.pragma_update(None, "key", &key.0)?;
    }
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) => {
            Err(KeyError::WrongKey {
                path: path.to_path_buf(),
            }
            .into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens a connection to `path` unlocked with the process's key, for a second database such as
/// a backup's destination, which must be encrypted with the same key as the mirror.
pub(super) fn open_unlocked(path: &Path) -> super::Result<Connection> {
    let conn = Connection::open(path)?;
    unlock(&conn, path)?;
    Ok(conn)
}
