//! The HTTP side of sync: one blocking `ureq` agent talking FHIR JSON to the configured server,
//! over TLS verified against the trusted authorities (`tls`), signed in as `auth` says (a 401
//! gets one fresh token and one retry), with the configured timeout, and every failure sorted
//! into what the person at the desk can do about it (wait for the network, tell IT the server
//! is failing, fix the config). Proxies come from the environment (`HTTPS_PROXY`, `NO_PROXY`),
//! which ureq reads when the agent is made. It also adds up the time spent waiting on the
//! server, so `taskgate sync` can say how much of a cycle was ours.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;
use ureq::Agent;

use super::auth::Credentials;
use super::tls::Trust;
use super::transport::transport_error;

/// What a value is encoded with in a URL (a path segment or a query value): everything but
/// RFC 3986's unreserved characters, which FHIR ids and instants are made of.
pub const URL_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How the FHIR server is named in messages (beside "the token endpoint").
pub const FHIR_SERVER: &str = "the FHIR server";

/// The largest response we read: a page of a hundred Tasks is well under a megabyte; anything
/// near this is not a FHIR answer.
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// A failure talking to the server, in words for the desk. Never carries patient data: server
/// diagnostics are cut short and long digit runs (NHS numbers) are masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    #[error("cannot reach {server} at {base}: {detail}")]
    Unreachable {
        /// "the FHIR server" or "the token endpoint".
        server: &'static str,
        base: String,
        detail: String,
    },
    #[error("{server} at {base} did not answer {what} within {timeout_secs} s")]
    TimedOut {
        server: &'static str,
        base: String,
        what: String,
        timeout_secs: u64,
    },
    #[error("the FHIR server failed on {what} (HTTP {status}): {detail}")]
    ServerError {
        what: String,
        status: u16,
        detail: String,
    },
    #[error("the FHIR server's answer to {what} is not readable FHIR JSON: {detail}")]
    Malformed { what: String, detail: String },
    #[error("the FHIR server refused our credentials (HTTP {status}): {fix}")]
    Unauthorized { status: u16, fix: String },
    #[error("the token endpoint {url} refused to issue a token (HTTP {status}, {detail}): {fix}")]
    TokenRefused {
        url: String,
        status: u16,
        detail: String,
        fix: String,
    },
    #[error(
        "the certificate of {host} is not trusted: {detail}. If the server uses the health \
         network's own certificate authority, name that authority's certificate (a PEM file) in \
         source.ca_file, or ask IT to add it to this computer's trust store"
    )]
    Certificate { host: String, detail: String },
    #[error("the FHIR server refused {what} (HTTP {status}): {detail}")]
    Refused {
        what: String,
        status: u16,
        detail: String,
    },
    #[error("cannot talk to the FHIR server at {base}: {detail} (check source.base_url)")]
    BadSetup { base: String, detail: String },
}

/// What the failure means for the person at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// The network or the server is down: wait, nothing is lost.
    Offline,
    /// The server answers, but with errors or nonsense: retry later, tell IT if it persists.
    ServerFault,
    /// Something in the set-up (token, URL, a proxy stripping headers) must be fixed.
    Misconfigured,
}

impl RemoteError {
    /// Whether every request would fail the same way (our credentials or the server's
    /// certificate), so there is no point trying the next change in the outbox.
    pub fn blocks_every_request(&self) -> bool {
        matches!(
            self,
            RemoteError::Unauthorized { .. }
                | RemoteError::TokenRefused { .. }
                | RemoteError::Certificate { .. }
        )
    }

    pub fn trouble(&self) -> Trouble {
        match self {
            RemoteError::Unreachable { .. } | RemoteError::TimedOut { .. } => Trouble::Offline,
            RemoteError::ServerError { .. } | RemoteError::Malformed { .. } => Trouble::ServerFault,
            RemoteError::Unauthorized { .. }
            | RemoteError::TokenRefused { .. }
            | RemoteError::Certificate { .. }
            | RemoteError::Refused { .. }
            | RemoteError::BadSetup { .. } => Trouble::Misconfigured,
        }
    }
}

/// A server's answer with a status we act on.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The version in the `ETag` header (`W/"3"` gives `3`).
    pub etag_version: Option<String>,
    /// The body as JSON; `Err` with the reason when it is empty or unreadable.
    pub body: Result<Value, String>,
}

/// Where and how to reach the server.
pub struct FhirClient {
    agent: Agent,
    base: String,
    credentials: Credentials,
    timeout: Duration,
    /// `host:port` of the proxy requests to the server go through, if any.
    proxy: Option<String>,
    waited: Duration,
    requests: u64,
}

impl std::fmt::Debug for FhirClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of debug output and so out of every log line.
        f.debug_struct("FhirClient")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl FhirClient {
    pub fn new(
        base_url: &str,
        credentials: Credentials,
        trust: &Trust,
        timeout: Duration,
    ) -> FhirClient {
        // The config builder starts from ureq's defaults, which include the proxy named by
        // ALL_PROXY / HTTPS_PROXY / HTTP_PROXY, less the hosts of NO_PROXY.
        let config = Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(concat!("taskgate/", env!("CARGO_PKG_VERSION")))
            .tls_config(trust.tls_config())
            .build();
        let proxy = config
            .proxy()
            .filter(|p| {
                base_url
                    .parse::<ureq::http::Uri>()
                    .is_ok_and(|uri| !p.is_no_proxy(&uri))
            })
            .map(|p| format!("{}:{}", p.host(), p.port()));
        FhirClient {
            agent: config.into(),
            proxy,
            base: base_url.trim_end_matches('/').to_owned(),
            credentials,
            timeout,
            waited: Duration::ZERO,
            requests: 0,
        }
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Time spent waiting on the server so far: from sending a request to the last byte of its
    /// answer.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// `GET url`, which must answer 2xx with JSON.
    pub fn get_json(&mut self, url: &str, what: &str) -> Result<Value, RemoteError> {
        let reply = self.exchange("GET", url, None, None, what)?;
        self.expect_success(reply, what)
    }

    /// `PUT url` with `If-Match: W/"<version>"`. Answers 2xx, 404, 409 and 412 come back as a
    /// `Reply` for the caller to act on; everything else is an error.
    pub fn put_json(
        &mut self,
        url: &str,
        body: &Value,
        if_match_version: &str,
        what: &str,
    ) -> Result<Reply, RemoteError> {
        let text = body.to_string();
        let if_match = format!("W/\"{if_match_version}\"");
        let reply = self.exchange("PUT", url, Some(&text), Some(&if_match), what)?;
        match reply.status {
            200..=299 | 404 | 409 | 412 => Ok(reply),
            _ => Err(self.refusal(&reply, what)),
        }
    }

    fn expect_success(&self, reply: Reply, what: &str) -> Result<Value, RemoteError> {
        if !(200..=299).contains(&reply.status) {
            return Err(self.refusal(&reply, what));
        }
        reply.body.map_err(|detail| RemoteError::Malformed {
            what: what.to_owned(),
            detail,
        })
    }

    /// The error for an answer that is not what we asked for.
    fn refusal(&self, reply: &Reply, what: &str) -> RemoteError {
        let detail = reply.body.as_ref().map_or_else(
            |_| "no readable explanation".to_owned(),
            outcome_diagnostics,
        );
        match reply.status {
            401 | 403 => RemoteError::Unauthorized {
                status: reply.status,
                fix: self.credentials.refusal_fix(),
            },
            500..=599 => RemoteError::ServerError {
                what: what.to_owned(),
                status: reply.status,
                detail,
            },
            status => RemoteError::Refused {
                what: what.to_owned(),
                status,
                detail: explain_refusal(status, detail),
            },
        }
    }

    fn exchange(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&str>,
        if_match: Option<&str>,
        what: &str,
    ) -> Result<Reply, RemoteError> {
        let started = Instant::now();
        let mut outcome = self.exchange_once(method, url, body, if_match, what, false);
        // A refused token may have been revoked or expired early: one new token, one retry.
        if matches!(&outcome, Ok(reply) if reply.status == 401)
            && matches!(self.credentials, Credentials::Client(_))
        {
            tracing::info!(
                what,
                "the server refused the access token; renewing it once"
            );
            outcome = self.exchange_once(method, url, body, if_match, what, true);
        }
        if let (Err(RemoteError::Unreachable { detail, .. }), Some(proxy)) =
            (&mut outcome, &self.proxy)
            && !detail.contains("proxy")
        {
            // Whether the proxy or the server is down, IT needs to know a proxy is in the way.
            let _ = write!(detail, " (through the proxy {proxy}, from the environment)");
        }
        self.waited += started.elapsed();
        tracing::debug!(
            method,
            what,
            ok = outcome.is_ok(),
            ms = started.elapsed().as_millis(),
            "FHIR request"
        );
        outcome
    }

    /// One request, with a token fetched first when the cached one is stale (or `renew`).
    fn exchange_once(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&str>,
        if_match: Option<&str>,
        what: &str,
        renew: bool,
    ) -> Result<Reply, RemoteError> {
        let authorization = match &self.credentials {
            Credentials::Bearer { token, .. } => format!("Bearer {token}"),
            Credentials::Client(client) => {
                let (header, asked) = client.authorization(&self.agent, self.timeout, renew)?;
                self.requests += u64::from(asked);
                header
            }
        };
        self.requests += 1;
        let result = self.send(method, url, body, if_match, &authorization);
        match result {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let etag_version = response
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .and_then(version_of_etag);
                let bytes = response
                    .body_mut()
                    .with_config()
                    .limit(MAX_BODY_BYTES)
                    .read_to_vec();
                match bytes {
                    Ok(bytes) => Ok(Reply {
                        status,
                        etag_version,
                        body: parse_body(&bytes),
                    }),
                    Err(e) => Err(transport_error(
                        e,
                        FHIR_SERVER,
                        &self.base,
                        what,
                        self.timeout,
                    )),
                }
            }
            Err(e) => Err(transport_error(
                e,
                FHIR_SERVER,
                &self.base,
                what,
                self.timeout,
            )),
        }
    }

    fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&str>,
        if_match: Option<&str>,
        authorization: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let accept = "application/fhir+json";
        match (method, body) {
            ("PUT", Some(text)) => {
                let mut request = self
                    .agent
                    .put(url)
                    .header("Authorization", authorization)
                    .header("Accept", accept)
                    .header("Content-Type", "application/fhir+json; charset=utf-8");
                if let Some(tag) = if_match {
                    request = request.header("If-Match", tag);
                }
                request.send(text)
            }
            _ => self
                .agent
                .get(url)
                .header("Authorization", authorization)
                .header("Accept", accept)
                .call(),
        }
    }
}

/// Adds what the desk can do about a refusal whose cause is known.
fn explain_refusal(status: u16, detail: String) -> String {
    if status == 400 && detail.to_ascii_lowercase().contains("if-match") {
        return format!(
            "{detail} (taskgate sends If-Match with every update, so something between this \
             desk and the server, a proxy or gateway, is removing it: ask IT)"
        );
    }
    detail
}

/// `W/"3"` or `"3"` gives `3`.
fn version_of_etag(tag: &str) -> Option<String> {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    let inner = tag.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.is_empty()).then(|| inner.to_owned())
}

fn parse_body(bytes: &[u8]) -> Result<Value, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the answer is empty".to_owned());
    }
    serde_json::from_slice(bytes).map_err(|e| format!("{e}"))
}

/// The diagnostics of an OperationOutcome (or a short description of another body), cut short,
/// with long digit runs masked so an echoed NHS number never reaches a log or the screen.
pub fn outcome_diagnostics(body: &Value) -> String {
    let issues = body.get("issue").and_then(Value::as_array);
    let text = match issues {
        Some(issues) => issues
            .iter()
            .filter_map(|i| {
                i.get("diagnostics")
                    .and_then(Value::as_str)
                    .or_else(|| i.pointer("/details/text").and_then(Value::as_str))
            })
            .collect::<Vec<_>>()
            .join("; "),
        None => String::new(),
    };
    if text.is_empty() {
        return "no explanation given".to_owned();
    }
    mask_digit_runs(&text.chars().take(300).collect::<String>())
}

fn mask_digit_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() || (c == ' ' && !run.is_empty()) {
            run.push(c);
            continue;
        }
        let digits = run.chars().filter(char::is_ascii_digit).count();
        if digits >= 6 {
            out.push_str("[number]");
            if run.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push_str(&run);
        }
        run.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn etags_give_their_version() {
        assert_eq!(version_of_etag("W/\"3\""), Some("3".to_owned()));
        assert_eq!(version_of_etag("\"12\""), Some("12".to_owned()));
        assert_eq!(version_of_etag("W/\"\""), None);
        assert_eq!(version_of_etag("3"), None);
    }

    #[test]
    fn diagnostics_never_carry_an_nhs_number() {
        let body = json!({"issue": [{"diagnostics": "patient 999 000 0018 unknown"},
                                     {"details": {"text": "and 9990000018 again, code 42"}}]});
        let text = outcome_diagnostics(&body);
        assert!(!text.contains("999"), "{text}");
        assert!(text.contains("[number] unknown"), "{text}");
        assert!(text.contains("code 42"), "{text}");
    }

    #[test]
    fn a_refusal_for_a_missing_if_match_points_at_whatever_strips_it() {
        let said = explain_refusal(400, "If-Match header required".to_owned());
        assert!(said.contains("a proxy or gateway"), "{said}");
        assert_eq!(explain_refusal(400, "bad code".to_owned()), "bad code");
        assert_eq!(explain_refusal(404, "if-match".to_owned()), "if-match");
    }

    #[test]
    fn a_body_that_is_not_an_outcome_says_so() {
        assert_eq!(
            outcome_diagnostics(&json!({"a": 1})),
            "no explanation given"
        );
    }

    #[test]
    fn empty_and_broken_bodies_are_refused_with_a_reason() {
        assert!(parse_body(b"  \n").unwrap_err().contains("empty"));
        assert!(parse_body(b"{\"resourceType\": \"Ta").is_err());
        assert_eq!(parse_body(b"{}"), Ok(json!({})));
    }
}
