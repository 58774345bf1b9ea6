//! Sync as a practice's IT deploys it: the FHIR peer over HTTPS with a certificate from a
//! certificate authority made for the test (so in no trust store), OAuth2 client credentials
//! against the peer's token endpoint (a secret, or a JWT assertion it verifies), short-lived
//! tokens renewed under `sync --watch`, and proxies from the environment. All through the real
//! binary on real mirror files.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Stdio;

use support::ca::TestCa;
use support::desk::{Desk, SyncRun};
use support::peer::{Peer, TOKEN_ENV};

const CLIENT_ID: &str = "zgp01-taskgate";
const SECRET: &str = "s3cret-for-the-test-peer-only";
const SECRET_ENV: &str = "TASKGATE_TEST_CLIENT_SECRET";

/// Puts these lines in `[source]` in place of the token line (the base URL is already the
/// peer's https:// one).
fn use_source(desk: &Desk, lines: &str) {
    desk.edit_config(|text| {
        let token_line = format!("token_env = \"{TOKEN_ENV}\"");
        assert_eq!(text.matches(&token_line).count(), 1);
        text.replace(&token_line, lines)
    });
}

fn client_secret_lines(peer: &Peer, ca: &TestCa) -> String {
    format!(
        "auth = \"client-credentials\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n\
         client_secret_env = \"{SECRET_ENV}\"\nca_file = \"{}\"",
        peer.token_url(),
        ca.ca_file().display()
    )
}

/// `taskgate ARGS` on the desk with `env` added.
fn run(desk: &Desk, args: &[&str], env: &[(&str, &str)]) -> SyncRun {
    let mut cmd = desk.cmd();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().expect("taskgate runs");
    SyncRun {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn sync_with_secret(desk: &Desk, secret: &str) -> SyncRun {
    run(desk, &["sync"], &[(SECRET_ENV, secret)])
}

#[test]
fn without_ca_file_the_servers_certificate_is_refused_and_the_fix_named() {
    let ca = TestCa::new();
    let peer = Peer::start_with(&ca.https_peer());
    peer.seed(3);
    // The example practice with a bearer token, over https, and no ca_file.
    let desk = Desk::new(&peer);

    let out = desk.sync();
    assert_eq!(
        out.code,
        Some(4),
        "an untrusted certificate needs a person: {out:?}"
    );
    let host = peer.base_url()["https://".len()..]
        .split('/')
        .next()
        .expect("a host")
        .to_owned();
    assert!(
        out.stderr
            .contains(&format!("the certificate of {host} is not trusted"))
            && out
                .stderr
                .contains("certificate authority this computer does not trust")
            && out.stderr.contains("source.ca_file"),
        "{}",
        out.stderr
    );
    assert!(
        desk.tasks().is_empty(),
        "nothing was read from a server we cannot trust"
    );

    // The practice's IT hands over the network's CA: the same desk now syncs.
    desk.edit_config(|text| {
        text.replace(
            &format!("token_env = \"{TOKEN_ENV}\""),
            &format!(
                "token_env = \"{TOKEN_ENV}\"\nca_file = \"{}\"",
                ca.ca_file().display()
            ),
        )
    });
    assert_eq!(desk.sync_ok().new, 3);
}

#[test]
fn with_the_networks_ca_and_a_client_secret_sync_pulls_and_pushes() {
    let ca = TestCa::new();
    let peer = Peer::start_with(&ca.https_peer().client_secret(CLIENT_ID, SECRET));
    let ids = peer.seed(5);
    let desk = Desk::new(&peer);
    use_source(&desk, &client_secret_lines(&peer, &ca));

    let first = sync_with_secret(&desk, SECRET);
    assert_eq!(first.code, Some(0), "{first:?}");
    assert_eq!((first.summary().pulled, first.summary().new), (5, 5));

    let local = desk.tasks_by_source_id()[&ids[2]]["id"].to_string();
    desk.run_ok(&["reject", &local]);
    let second = sync_with_secret(&desk, SECRET);
    assert_eq!(second.code, Some(0), "{second:?}");
    assert_eq!(second.summary().pushed, 1);
    assert_eq!(peer.read_task(&ids[2])["status"], "rejected");
    // One token per run, each used until the run ended: never refused.
    assert_eq!(peer.counter("tokensIssued"), 2);
    assert_eq!(peer.counter("unauthorized"), 0);
}

#[test]
fn a_wrong_secret_is_a_set_up_error_and_no_secret_is_ever_shown_or_logged() {
    let ca = TestCa::new();
    let peer = Peer::start_with(&ca.https_peer().client_secret(CLIENT_ID, SECRET));
    peer.seed(2);
    let desk = Desk::new(&peer);
    use_source(&desk, &client_secret_lines(&peer, &ca));
    let wrong = "wrong-secret-7f3a9c";

    let debug = [(SECRET_ENV, wrong), ("TASKGATE_LOG", "trace")];
    let out = run(&desk, &["sync"], &debug);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(
        out.stderr
            .contains("refused to issue a token (HTTP 401, invalid_client")
            && out.stderr.contains(SECRET_ENV)
            && out.stderr.contains("source.client_secret_env"),
        "{}",
        out.stderr
    );
    assert!(desk.tasks().is_empty());
    assert_eq!(peer.counter("tokensRefused"), 1);

    // A good run too, so the log holds a token request that worked and a token in use.
    let good = run(
        &desk,
        &["sync"],
        &[(SECRET_ENV, SECRET), ("TASKGATE_LOG", "trace")],
    );
    assert_eq!(good.code, Some(0), "{good:?}");
    let check = run(&desk, &["config", "check"], &[(SECRET_ENV, SECRET)]);
    assert_eq!(check.code, Some(0), "{check:?}");

    let log = std::fs::read_to_string(desk.log_file()).expect("the log was written");
    assert!(
        log.contains("token request"),
        "the log covers sign-in: {log}"
    );
    for (what, text) in [
        ("the failed sync", format!("{}{}", out.stdout, out.stderr)),
        ("the good sync", format!("{}{}", good.stdout, good.stderr)),
        ("config check", format!("{}{}", check.stdout, check.stderr)),
        ("the log", log),
    ] {
        for secret in [wrong, SECRET] {
            assert!(!text.contains(secret), "{what} shows a secret: {text}");
        }
    }
}

#[test]
fn config_check_says_what_is_trusted_and_how_sync_signs_in() {
    let ca = TestCa::new();
    let peer = Peer::start_with(&ca.https_peer().client_secret(CLIENT_ID, SECRET));
    let desk = Desk::new(&peer);
    use_source(&desk, &client_secret_lines(&peer, &ca));

    let unset = run(&desk, &["config", "check"], &[]);
    assert_eq!(unset.code, Some(0), "{unset:?}");
    let said = unset.stdout;
    assert!(
        said.contains(&format!("FHIR server:   {}", peer.base_url())),
        "{said}"
    );
    let trusted = said
        .lines()
        .find(|l| l.starts_with("Trusted CAs:"))
        .unwrap_or_else(|| panic!("no trust line: {said}"));
    assert!(
        trusted.contains("the system's trust store")
            && trusted.contains(&format!(
                "1 certificate from source.ca_file ({})",
                ca.ca_file().display()
            )),
        "{trusted}"
    );
    assert!(
        said.contains(&format!(
            "client {CLIENT_ID} gets tokens from {} with the client secret in the environment \
             variable {SECRET_ENV} (NOT SET in this environment)",
            peer.token_url()
        )),
        "{said}"
    );
    let set = run(&desk, &["config", "check"], &[(SECRET_ENV, SECRET)]);
    assert!(
        set.stdout.contains(&format!("{SECRET_ENV} (set)")),
        "{}",
        set.stdout
    );
}

/// `sync --watch` on the desk with the secret set; its stdout lines, until `lines` are read.
fn watch_lines(desk: &Desk, lines: usize, during: impl Fn(usize)) -> (Vec<String>, String) {
    desk.set_poll_interval("1s");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_taskgate"))
        .args(desk.args())
        .args(["sync", "--watch"])
        .envs(desk.env())
        .env(SECRET_ENV, SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sync --watch");
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    for line in BufReader::new(stdout).lines().take(lines) {
        seen.push(line.expect("text"));
        during(seen.len());
    }
    child.kill().expect("stop the watch");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    child.wait().expect("reaped");
    (seen, stderr)
}

#[test]
fn a_token_that_expires_during_watch_is_renewed_before_it_lapses() {
    let ca = TestCa::new();
    let peer = Peer::start_with(
        &ca.https_peer()
            .client_secret(CLIENT_ID, SECRET)
            .token_lifetime(2),
    );
    peer.seed(3);
    let desk = Desk::new(&peer);
    use_source(&desk, &client_secret_lines(&peer, &ca));

    // Six cycles a second apart: each two-second token is outlived several times over.
    let (cycles, stderr) = watch_lines(&desk, 6, |_| {});
    assert!(cycles.iter().all(|l| l.contains("pulled ")), "{cycles:?}");
    assert!(stderr.is_empty(), "no cycle failed: {stderr}");
    assert!(
        peer.counter("tokensIssued") >= 3,
        "tokens were renewed: {}",
        peer.counter("tokensIssued")
    );
    assert_eq!(
        peer.counter("unauthorized"),
        0,
        "renewed before expiry, never after a refusal"
    );
}

#[test]
fn a_revoked_token_gets_one_renewal_and_one_retry_within_the_cycle() {
    let ca = TestCa::new();
    let peer = Peer::start_with(&ca.https_peer().client_secret(CLIENT_ID, SECRET));
    peer.seed(3);
    let desk = Desk::new(&peer);
    use_source(&desk, &client_secret_lines(&peer, &ca));

    let (cycles, stderr) = watch_lines(&desk, 3, |seen| {
        if seen == 1 {
            peer.revoke_tokens();
        }
    });
    assert!(cycles.iter().all(|l| l.contains("pulled ")), "{cycles:?}");
    assert!(stderr.is_empty(), "no cycle failed: {stderr}");
    assert_eq!(
        peer.counter("unauthorized"),
        1,
        "one refusal, then a new token"
    );
    assert_eq!(peer.counter("tokensIssued"), 2);
}

#[test]
fn a_jwt_assertion_signed_with_the_practices_key_gets_a_token() {
    let ca = TestCa::new();
    let (private, public) = ca.assertion_key("practice");
    let peer = Peer::start_with(&ca.https_peer().client_key(CLIENT_ID, &public));
    peer.seed(4);
    let desk = Desk::new(&peer);
    let lines = |key: &std::path::Path| {
        format!(
            "auth = \"client-credentials\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n\
             private_key_file = \"{}\"\nkey_id = \"practice-2026\"\nca_file = \"{}\"",
            peer.token_url(),
            key.display(),
            ca.ca_file().display()
        )
    };
    use_source(&desk, &lines(&private));
    let check = desk.run_ok(&["config", "check"]);
    assert!(check.contains("JWT assertions (ES384)"), "{check}");
    assert_eq!(desk.sync_ok().new, 4);
    assert_eq!(peer.counter("tokensIssued"), 1);

    // A key the server does not know: refused, and the message says which key to check.
    let (other, _) = ca.assertion_key("other");
    desk.edit_config(|text| {
        text.replace(&private.display().to_string(), &other.display().to_string())
    });
    let out = desk.sync();
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(
        out.stderr
            .contains("the assertion signature does not verify")
            && out.stderr.contains("source.private_key_file"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_rsa_key_signs_rs384_assertions() {
    let ca = TestCa::new();
    let (private, public) = ca.rsa_assertion_key("practice-rsa");
    let peer = Peer::start_with(&ca.https_peer().client_key(CLIENT_ID, &public));
    peer.seed(2);
    let desk = Desk::new(&peer);
    use_source(
        &desk,
        &format!(
            "auth = \"client-credentials\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n\
             private_key_file = \"{}\"\nca_file = \"{}\"",
            peer.token_url(),
            private.display(),
            ca.ca_file().display()
        ),
    );
    assert!(
        desk.run_ok(&["config", "check"])
            .contains("JWT assertions (RS384)")
    );
    assert_eq!(desk.sync_ok().new, 2);
    assert_eq!(peer.counter("tokensIssued"), 1);
}

/// A proxy that refuses every CONNECT with 403, as a locked-down web proxy does.
fn refusing_proxy() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            // Read the whole CONNECT request before answering, as a real proxy does.
            let mut request = Vec::new();
            let mut buf = [0_u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let _ = stream.write_all(
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            let _ = stream.flush();
        }
    });
    port
}

#[test]
fn https_proxy_is_honoured_and_a_refusing_proxy_is_an_offline_error() {
    let ca = TestCa::new();
    let peer = Peer::start_with(&ca.https_peer().client_secret(CLIENT_ID, SECRET));
    peer.seed(2);
    let desk = Desk::new(&peer);
    use_source(&desk, &client_secret_lines(&peer, &ca));
    let proxy = format!("http://127.0.0.1:{}", refusing_proxy());

    let out = run(
        &desk,
        &["sync"],
        &[(SECRET_ENV, SECRET), ("HTTPS_PROXY", &proxy)],
    );
    assert_eq!(
        out.code,
        Some(3),
        "the network is in the way, nothing to fix here: {out:?}"
    );
    assert!(
        out.stderr
            .contains("the proxy (from HTTPS_PROXY or HTTP_PROXY) would not connect us")
            && out.stderr.contains("403"),
        "{}",
        out.stderr
    );
    assert_eq!(
        peer.counter("tokensIssued"),
        0,
        "nothing got past the proxy"
    );

    let check = run(&desk, &["config", "check"], &[("HTTPS_PROXY", &proxy)]);
    assert!(
        check
            .stdout
            .contains(&format!("Proxy:         {proxy} (from HTTPS_PROXY)")),
        "{}",
        check.stdout
    );

    // NO_PROXY names the server: straight there, past the proxy.
    let direct = run(
        &desk,
        &["sync"],
        &[
            (SECRET_ENV, SECRET),
            ("HTTPS_PROXY", &proxy),
            ("NO_PROXY", "127.0.0.1"),
        ],
    );
    assert_eq!(direct.code, Some(0), "{direct:?}");
    assert_eq!(direct.summary().new, 2);
}
