//! Where the mirror's encryption key comes from, before any command opens the mirror: the
//! environment variable that `storage.key_env` names, else a prompt on the terminal that does
//! not echo what is typed. Never the config file (the config loader refuses a key written there)
//! and never the command line, which other users can read in the process list.

use std::io::IsTerminal;

use color_eyre::eyre::{Result, bail};

use crate::config::Storage;
use crate::store::{ENCRYPTION_BUILT, MirrorKey, use_mirror_key};

/// Sets this process's mirror key when the config asks for encryption; does nothing otherwise.
pub fn unlock(storage: &Storage) -> Result<()> {
    let Some(var) = storage.key_env.as_deref() else {
        return Ok(());
    };
    if !ENCRYPTION_BUILT {
        bail!(
            "storage.key_env is set, but this taskgate was built without encryption: build it \
             with `cargo build --release --features sqlcipher`, or remove storage.key_env from \
             the config"
        );
    }
    let text = match std::env::var(var) {
        Ok(text) if !text.is_empty() => text,
        _ if std::io::stdin().is_terminal() => prompt(var)?,
        _ => bail!(
            "the mirror is encrypted and its key is not available: set the environment \
             variable {var} (named by storage.key_env), or run taskgate in a terminal to type it"
        ),
    };
    use_mirror_key(MirrorKey::new(text)?)?;
    Ok(())
}

#[cfg(feature = "sqlcipher")]
fn prompt(var: &str) -> Result<String> {
    use color_eyre::eyre::WrapErr;
    rpassword::prompt_password(format!("Key for the mirror ({var} is not set): "))
        .wrap_err("cannot read the mirror key from the terminal")
}

#[cfg(not(feature = "sqlcipher"))]
fn prompt(_var: &str) -> Result<String> {
    // `unlock` refuses a key before asking for one when encryption is not built in.
    bail!("this taskgate was built without encryption")
}
