//! The FHIR test peer (tests/fhir-peer: Medplum's FHIR router in memory) as tests use it: one
//! per test on its own loopback port, installed with `npm ci` on first use, killed on drop. It
//! can seed the practice's inbox, read and change Tasks as another desk or a sender would,
//! validate a resource with the R4 validators, and inject faults without losing its data.
//! `Peer::start_with` opts into HTTPS (a certificate from a test CA) and an OAuth2 token
//! endpoint; `Peer::start` is the plain-HTTP peer with one static token.

#![allow(dead_code)] // each test file uses a different part of this harness

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

/// The bearer token the peer demands; tests put it in the variable the config names.
pub const TOKEN: &str = "test-token-not-a-secret";
/// The environment variable the test configs name in `source.token_env`.
pub const TOKEN_ENV: &str = "TASKGATE_TEST_FHIR_TOKEN";
/// The practice of config.example.toml.
pub const PRACTICE_ODS: &str = "ZGP01";

/// How long the peer may take to start before the test gives up (node loading the FHIR
/// definitions takes about a second; a busy CI machine, more).
const START_LIMIT: Duration = Duration::from_mins(1);

pub struct Peer {
    child: Child,
    /// Held open for the peer's lifetime: the peer exits when it closes, so a test process that
    /// dies without dropping us leaves no server behind.
    _stdin: ChildStdin,
    fhir_port: u16,
    control_port: u16,
    scheme: &'static str,
    agent: ureq::Agent,
}

/// What the peer serves beyond plain HTTP with the static token.
#[derive(Default)]
pub struct PeerOptions {
    args: Vec<OsString>,
    /// The CA the peer's certificate chains to, for the harness's own requests.
    ca_pem: Option<Vec<u8>>,
}

impl PeerOptions {
    /// Serve FHIR over HTTPS with this certificate and key (PEM files), which chain to the CA
    /// certificate `ca_pem` (see `support::ca::TestCa::https_peer`).
    pub fn https(mut self, cert_file: &Path, key_file: &Path, ca_pem: &str) -> Self {
        self.args.extend([
            "--tls-cert".into(),
            cert_file.into(),
            "--tls-key".into(),
            key_file.into(),
        ]);
        self.ca_pem = Some(ca_pem.as_bytes().to_vec());
        self
    }

    /// A token endpoint at `/token` for client `id` proving itself with `secret`.
    pub fn client_secret(mut self, id: &str, secret: &str) -> Self {
        self.args.extend([
            "--client-id".into(),
            id.into(),
            "--client-secret".into(),
            secret.into(),
        ]);
        self
    }

    /// A token endpoint at `/token` for client `id` proving itself with JWT assertions that
    /// the public key in `public_key_file` verifies.
    pub fn client_key(mut self, id: &str, public_key_file: &Path) -> Self {
        self.args.extend([
            "--client-id".into(),
            id.into(),
            "--client-public-key".into(),
            public_key_file.into(),
        ]);
        self
    }

    /// How long issued tokens live, in seconds.
    pub fn token_lifetime(mut self, seconds: u32) -> Self {
        self.args
            .extend(["--token-lifetime".into(), seconds.to_string().into()]);
        self
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fhir-peer")
}

/// Installs the peer's packages when they are missing, once across parallel tests and test
/// binaries: the first to take the lock installs, the others wait and find it done.
fn ensure_installed() {
    let dir = peer_dir();
    // npm writes this file last, so its presence means a complete install; a lock file newer
    // than it means the pinned versions changed since.
    let marker = dir.join("node_modules/.package-lock.json");
    let installed = || {
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        match (modified(&marker), modified(&dir.join("package-lock.json"))) {
            (Some(installed), Some(pinned)) => installed >= pinned,
            _ => false,
        }
    };
    if installed() {
        return;
    }
    let lock_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fhir-peer-install.lock");
    let lock = File::create(&lock_path).expect("create the install lock file");
    lock.lock().expect("take the install lock");
    if !installed() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .status()
            .expect("run npm (Node 20 and npm are needed for the FHIR peer tests)");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    lock.unlock().expect("release the install lock");
}

impl Peer {
    pub fn start() -> Peer {
        Peer::start_with(&PeerOptions::default())
    }

    pub fn start_with(options: &PeerOptions) -> Peer {
        ensure_installed();
        let mut child = Command::new("node")
            .args(["server.mjs", "--token", TOKEN])
            .args(&options.args)
            .current_dir(peer_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node (Node 20 is needed for the FHIR peer tests)");
        let stdin = child.stdin.take().expect("peer stdin");
        let stdout = child.stdout.take().expect("peer stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let mut ports = Vec::new();
            for _ in 0..2 {
                match lines.next() {
                    Some(Ok(line)) => ports.push(line.trim().parse::<u16>().ok()),
                    _ => ports.push(None),
                }
            }
            let _ = tx.send(ports);
            // Keep draining so the peer never blocks on a full pipe.
            for _ in lines {}
        });
        let ports = rx
            .recv_timeout(START_LIMIT)
            .expect("the FHIR peer printed its ports");
        let (Some(fhir_port), Some(control_port)) = (ports[0], ports[1]) else {
            panic!("the FHIR peer did not start: {ports:?}");
        };
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_mins(1)))
            // The harness talks to its own peer on loopback, whatever proxy the machine has.
            .proxy(None);
        if let Some(pem) = &options.ca_pem {
            let ca = ureq::tls::Certificate::from_pem(pem).expect("the test CA's PEM");
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&[ca]))
                    .build(),
            );
        }
        Peer {
            child,
            _stdin: stdin,
            fhir_port,
            control_port,
            scheme: if options.ca_pem.is_some() {
                "https"
            } else {
                "http"
            },
            agent: config.build().into(),
        }
    }

    /// The FHIR base URL, as a config's `source.base_url`.
    pub fn base_url(&self) -> String {
        format!("{}://127.0.0.1:{}/fhir/R4", self.scheme, self.fhir_port)
    }

    /// The token endpoint, as a config's `source.token_url` (with `PeerOptions::client_*`).
    pub fn token_url(&self) -> String {
        format!("{}://127.0.0.1:{}/token", self.scheme, self.fhir_port)
    }

    /// A counter of the peer's: `requests`, `unauthorized` (FHIR requests answered 401),
    /// `tokensIssued`, `tokensRefused`.
    pub fn counter(&self, name: &str) -> u64 {
        self.control("/stats")[name].as_u64().unwrap_or(0)
    }

    fn call(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> (u16, Value) {
        let auth = format!("Bearer {TOKEN}");
        let result = match (method, body) {
            ("GET", _) => self.agent.get(url).header("Authorization", &auth).call(),
            (_, Some(body)) => {
                let mut req = match method {
                    "PUT" => self.agent.put(url),
                    _ => self.agent.post(url),
                }
                .header("Authorization", &auth)
                .header("Content-Type", "application/fhir+json");
                if let Some(tag) = if_match {
                    req = req.header("If-Match", tag);
                }
                req.send(body.to_string())
            }
            (_, None) => self.agent.post(url).header("Authorization", &auth).send(""),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .expect("read the peer's answer");
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, value)
    }

    /// Creates `count` Tasks for the practice (unassigned, status requested), in transaction
    /// Bundles of a few hundred, and returns their ids in creation order.
    pub fn seed(&self, count: usize) -> Vec<String> {
        self.seed_from(0, count)
    }

    /// As `seed`, numbering the tasks from `first` (so a second batch has its own subjects).
    pub fn seed_from(&self, first: usize, count: usize) -> Vec<String> {
        let mut ids = Vec::with_capacity(count);
        let numbers: Vec<usize> = (first..first + count).collect();
        for chunk in numbers.chunks(250) {
            let entries: Vec<Value> = chunk
                .iter()
                .map(|&n| json!({"request": {"method": "POST", "url": "Task"}, "resource": synthetic_task(n)}))
                .collect();
            let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": entries});
            let (status, answer) = self.call("POST", &self.base_url(), Some(&bundle), None);
            assert_eq!(status, 200, "seeding: {answer}");
            for entry in answer["entry"].as_array().expect("a transaction response") {
                let location = entry["response"]["location"].as_str().expect("a location");
                let id = location
                    .trim_start_matches("Task/")
                    .split('/')
                    .next()
                    .expect("an id");
                ids.push(id.to_owned());
            }
        }
        ids
    }

    /// The Task as the server holds it now.
    pub fn read_task(&self, id: &str) -> Value {
        let (status, task) =
            self.call("GET", &format!("{}/Task/{id}", self.base_url()), None, None);
        assert_eq!(status, 200, "reading Task/{id}: {task}");
        task
    }

    /// Changes a Task as another desk or the sender would: read, edit, PUT against the version
    /// read. Returns the new version.
    pub fn change_task(&self, id: &str, edit: impl FnOnce(&mut Value)) -> Value {
        let mut task = self.read_task(id);
        let version = task["meta"]["versionId"]
            .as_str()
            .expect("a version")
            .to_owned();
        edit(&mut task);
        let url = format!("{}/Task/{id}", self.base_url());
        let (status, stored) =
            self.call("PUT", &url, Some(&task), Some(&format!("W/\"{version}\"")));
        assert_eq!(status, 200, "updating Task/{id}: {stored}");
        stored
    }

    /// Every Task the server holds (for checking nothing was lost or duplicated).
    pub fn all_tasks(&self) -> Vec<Value> {
        let url = format!("{}/Task?_count=100000", self.base_url());
        let (status, bundle) = self.call("GET", &url, None, None);
        assert_eq!(status, 200, "{bundle}");
        bundle["entry"]
            .as_array()
            .map(|e| e.iter().map(|x| x["resource"].clone()).collect())
            .unwrap_or_default()
    }

    /// Runs tests/fhir-peer/validate.mjs (npm `fhir` and Medplum's validator) on a resource:
    /// `Err` lists every problem.
    pub fn validate(resource: &Value) -> Result<(), String> {
        ensure_installed();
        let mut child = Command::new("node")
            .arg("validate.mjs")
            .current_dir(peer_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start node");
        child
            .stdin
            .take()
            .expect("validator stdin")
            .write_all(resource.to_string().as_bytes())
            .expect("send the resource");
        let out = child.wait_with_output().expect("validator ran");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Ok(())
        } else {
            Err(text)
        }
    }

    fn control(&self, path: &str) -> Value {
        let url = format!("http://127.0.0.1:{}{path}", self.control_port);
        let method = if path == "/stats" { "GET" } else { "POST" };
        let (status, answer) = self.call(method, &url, None, None);
        assert_eq!(status, 200, "control {path}: {answer}");
        answer
    }

    /// Closes the FHIR listener: connections are refused until `up`. The data stays.
    pub fn down(&self) {
        self.control("/down");
    }

    /// Listens again on the same port.
    pub fn up(&self) {
        self.control("/up");
    }

    /// The next `count` requests (of `method`, or any) are answered 500.
    pub fn fail_next(&self, count: u32, method: Option<&str>) {
        self.control(&format!("/fail?count={count}{}", method_filter(method)));
    }

    /// The next `count` requests (of `method`, or any) are answered `status` with an
    /// OperationOutcome.
    pub fn refuse_next(&self, count: u32, status: u16, method: Option<&str>) {
        self.control(&format!(
            "/fail?count={count}&status={status}{}",
            method_filter(method)
        ));
    }

    /// The next `count` requests (of `method`, or any) are answered 200 with broken JSON.
    pub fn garble_next(&self, count: u32, method: Option<&str>) {
        self.control(&format!("/garble?count={count}{}", method_filter(method)));
    }

    /// Serves `count` more requests (of `method`, or any), then goes down.
    pub fn down_after(&self, count: u32, method: Option<&str>) {
        self.control(&format!(
            "/down-after?count={count}{}",
            method_filter(method)
        ));
    }

    /// After `count` more requests (of `method`, or any), saves the oldest Task again, as
    /// another desk would: it moves to the end of the list a pull is paging through.
    pub fn shift_after(&self, count: u32, method: Option<&str>) {
        self.control(&format!(
            "/shift-after?count={count}{}",
            method_filter(method)
        ));
    }

    /// Moves the server's clock `seconds` ahead: later writes are stamped that much later.
    pub fn advance_clock(&self, seconds: u32) {
        self.control(&format!("/advance-clock?seconds={seconds}"));
    }

    /// Every access token issued so far stops working, as after a revocation.
    pub fn revoke_tokens(&self) {
        self.control("/revoke-tokens");
    }

    /// Requests served so far, by HTTP method.
    pub fn requests(&self, method: &str) -> u64 {
        self.control("/stats")["byMethod"][method]
            .as_u64()
            .unwrap_or(0)
    }
}

fn method_filter(method: Option<&str>) -> String {
    method.map(|m| format!("&method={m}")).unwrap_or_default()
}

/// A valid synthetic NHS number in the 999 test range, different for each `n`.
pub fn synthetic_nhs_number(n: usize) -> String {
    (0..)
        .map(|k| 999_000_000 + (n * 7 + k) % 1_000_000)
        .find_map(|nine: usize| {
            let digits: Vec<usize> = nine
                .to_string()
                .bytes()
                .map(|b| usize::from(b - b'0'))
                .collect();
            let sum: usize = digits.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
            let check = (11 - sum % 11) % 11;
            (check != 10).then(|| format!("{nine}{check}"))
        })
        .expect("some number in the range is valid")
}

/// Task `n` of a synthetic inbox: addressed to the practice by one of the example config's
/// providers, about a synthetic patient.
pub fn synthetic_task(n: usize) -> Value {
    let providers = ["ZDN01", "ZHT02", "ZOP03", "ZMH04", "ZCP05"];
    let ods = providers[n % providers.len()];
    json!({
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        // One task in ten is urgent, never the first few: the sync tests reject those, and an
        // urgent task is one a rejection pauses on (cli_reject.rs tests that pause).
        "priority": if n % 10 == 9 { "urgent" } else { "routine" },
        "code": {"text": format!("Synthetic request {n}")},
        "description": format!("Please see my journal entry (synthetic task {n})."),
        "for": {
            "identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": synthetic_nhs_number(n)},
            "display": format!("Test Patient {n}")
        },
        "requester": {
            "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": ods},
            "display": format!("Provider {ods}")
        },
        "owner": {
            "reference": format!("Organization/{PRACTICE_ODS}"),
            "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": PRACTICE_ODS}
        },
        "authoredOn": format!("2026-11-{:02}T09:{:02}:00Z", 2 + n % 15, n % 60),
        "restriction": {"period": {"end": "2026-12-18T17:00:00Z"}}
    })
}
