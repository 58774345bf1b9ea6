//! `[source]` for a FHIR server on a health network: client credentials, signing keys and the
//! network's CA. Every wrong combination is refused with the key to fix and its line, and no
//! message repeats a secret.

use std::path::Path;

use taskgate::config::{AuthMethod, Config, ConfigError};

const MINIMAL: &str = r#"
[practice]
name = "Test Surgery"
ods_code = "ZZZ01"

[policy]
reject_from = 2026-01-05
preferred_method = "a letter"
urgent_route = "01632 960000"

[source]
kind = "fhir"
base_url = "https://fhir.example.nhs.uk/R4"
"#;

/// The line of `extra`'s first line once appended to `MINIMAL`.
const FIRST_EXTRA_LINE: usize = 14;

fn parse_in(folder: &Path, extra: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(&format!("{MINIMAL}{extra}"), &folder.join("config.toml"))
}

#[track_caller]
fn refused_at(folder: &Path, extra: &str, key: &str, line_in_extra: usize) -> ConfigError {
    let e = parse_in(folder, extra).expect_err("refused");
    assert_eq!(
        (e.key.as_str(), e.line),
        (key, Some(FIRST_EXTRA_LINE + line_in_extra)),
        "{e}"
    );
    e
}

const CLIENT: &str = "auth = \"client-credentials\"\n\
                      token_url = \"https://auth.example.nhs.uk/token\"\n\
                      client_id = \"zgp01\"\n";

#[test]
fn bearer_stays_the_default_and_client_credentials_are_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bearer = parse_in(dir.path(), "token_env = \"FHIR_TOKEN\"\n").expect("bearer");
    assert_eq!(bearer.source.auth, AuthMethod::Bearer);

    let c = parse_in(
        dir.path(),
        &format!("{CLIENT}client_secret_env = \"SECRET\"\n"),
    )
    .expect("client credentials");
    assert_eq!(c.source.auth, AuthMethod::ClientCredentials);
    assert_eq!(c.source.client_id.as_deref(), Some("zgp01"));
}

#[test]
fn wrong_combinations_name_the_key_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    // client-credentials without its endpoint: pointed at the auth line that asks for it.
    let e = refused_at(
        d,
        "auth = \"client-credentials\"\nclient_id = \"zgp01\"\nclient_secret_env = \"S\"\n",
        "source.token_url",
        0,
    );
    assert!(e.message.contains("is required"), "{e}");
    // A token endpoint in the clear.
    let e = refused_at(
        d,
        "auth = \"client-credentials\"\ntoken_url = \"http://auth.example/token\"\n",
        "source.token_url",
        1,
    );
    assert!(e.message.contains("https://"), "{e}");
    // Neither a secret nor a key.
    let e = refused_at(d, CLIENT, "source.client_secret_env", 0);
    assert!(e.message.contains("source.private_key_file"), "{e}");
    // Both a secret and a key.
    let key = d.join("key.pem");
    std::fs::write(&key, "x").expect("write");
    let both = format!(
        "{CLIENT}client_secret_env = \"S\"\nprivate_key_file = \"{}\"\n",
        key.display()
    );
    let e = refused_at(d, &both, "source.private_key_file", 4);
    assert!(e.message.contains("use one"), "{e}");
    // A client-credentials key under bearer.
    let e = refused_at(
        d,
        "token_env = \"T\"\ntoken_url = \"https://auth/t\"\n",
        "source.token_url",
        1,
    );
    assert!(e.message.contains("auth = \"client-credentials\""), "{e}");
    // token_env under client credentials.
    refused_at(
        d,
        &format!("{CLIENT}client_secret_env = \"S\"\ntoken_env = \"T\"\n"),
        "source.token_env",
        4,
    );
    // key_id without a key.
    refused_at(
        d,
        &format!("{CLIENT}client_secret_env = \"S\"\nkey_id = \"k1\"\n"),
        "source.key_id",
        4,
    );
}

#[test]
fn a_secret_pasted_into_the_file_is_refused_without_repeating_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let e = refused_at(
        d,
        &format!("{CLIENT}client_secret_env = \"hunter2-not-a-name!\"\n"),
        "source.client_secret_env",
        3,
    );
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let e = refused_at(
        d,
        &format!("{CLIENT}client_secret = \"hunter2\"\n"),
        "source.client_secret",
        3,
    );
    assert!(
        !e.to_string().contains("hunter2") && e.message.contains("client_secret_env"),
        "{e}"
    );
}

#[test]
fn unreadable_ca_and_key_files_name_their_key_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let e = refused_at(
        d,
        "token_env = \"T\"\nca_file = \"missing-ca.pem\"\n",
        "source.ca_file",
        1,
    );
    // Relative to the config file's folder, and said so by the full path.
    assert!(
        e.message
            .contains(&d.join("missing-ca.pem").display().to_string()),
        "{e}"
    );
    std::fs::write(d.join("empty.pem"), "no certificates here\n").expect("write");
    let e = refused_at(
        d,
        "token_env = \"T\"\nca_file = \"empty.pem\"\n",
        "source.ca_file",
        1,
    );
    assert!(e.message.contains("holds no certificate"), "{e}");

    std::fs::write(d.join("not-a-key.pem"), "-----BEGIN CERTIFICATE-----\n").expect("write");
    let e = refused_at(
        d,
        &format!("{CLIENT}private_key_file = \"not-a-key.pem\"\n"),
        "source.private_key_file",
        3,
    );
    assert!(
        e.message.contains("RSA") && e.message.contains("P-384"),
        "{e}"
    );
}
