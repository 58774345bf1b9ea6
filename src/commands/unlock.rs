//! Where the mirror's encryption key comes from, before any command opens the mirror: the
//! environment variable that `storage.key_env` names, else a prompt on the terminal that does
//! not echo what is typed. Never the config file (the config loader refuses a key written there)
//! and never the command line, which other users can read in the process list.

use std::io::IsTerminal;

use color_eyre::eyre::{Result, WrapErr, bail};

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

/// Asks for the key on the terminal. Echo goes off *before* the prompt is shown, so nothing typed
/// or pasted the moment the prompt appears can reach the screen (turning echo off after printing
/// the prompt, as a plain password prompt does, leaves a window in which a fast paste shows).
/// Raw mode also turns Ctrl-C into a key rather than a signal, so cancelling cannot leave the
/// terminal without echo: the guard restores it on every path out, including a panic.
fn prompt(var: &str) -> Result<String> {
    use std::io::Write;

    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    use crossterm::terminal::{disable_raw_mode, enable_raw_mode};

    struct Cooked;
    impl Drop for Cooked {
        fn drop(&mut self) {
            let _ = disable_raw_mode();
        }
    }

    enable_raw_mode().wrap_err("cannot turn off echo on the terminal to ask for the key")?;
    let _cooked = Cooked;
    let mut err = std::io::stderr();
    // Raw mode does no output processing, hence "\r\n" rather than "\n".
    write!(err, "Key for the mirror ({var} is not set): ")?;
    err.flush()?;
    let mut key = String::new();
    loop {
        let Event::Key(k) = read().wrap_err("cannot read the mirror key from the terminal")? else {
            continue;
        };
        if k.kind == KeyEventKind::Release {
            continue;
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Enter => break,
            KeyCode::Char('c' | 'd') if ctrl => {
                write!(err, "\r\n")?;
                bail!("no key was given for the mirror; nothing was opened");
            }
            KeyCode::Esc => {
                write!(err, "\r\n")?;
                bail!("no key was given for the mirror; nothing was opened");
            }
            KeyCode::Backspace => {
                key.pop();
            }
            KeyCode::Char('u') if ctrl => key.clear(),
            KeyCode::Char(c) if !ctrl => key.push(c),
            _ => {}
        }
    }
    write!(err, "\r\n")?;
    err.flush()?;
    Ok(key)
}
