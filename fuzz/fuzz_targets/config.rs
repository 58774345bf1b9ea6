//! Any text as a config file: read, or refused with a message that names the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use taskgate::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = Config::from_toml_str(text, Path::new("fuzz.toml")) {
        assert!(e.to_string().starts_with("fuzz.toml"), "{e}");
        assert!(e.line.is_some() || !e.key.is_empty(), "{e}");
    }
});
