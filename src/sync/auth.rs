//! How sync proves who it is to the FHIR server: a bearer token read from an environment
//! variable (`source.auth = "bearer"`, the default), or OAuth2 client credentials
//! (`"client-credentials"`): a short-lived access token fetched from `source.token_url` with a
//! client secret (from an environment variable) or with a JWT client assertion signed by the
//! practice's private key, as SMART Backend Services describe.
//!
//! An issued token is kept, shared by every cycle of one `sync --watch` or TUI session, and
//! renewed shortly before it expires, so a cycle never starts with a token about to lapse; a
//! 401 gets one renewal and one retry (the FHIR client does that) before it is a set-up error.
//! Secrets and tokens live only in memory: no `Debug`, log line or error message carries them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use percent_encoding::utf8_percent_encode;
use serde_json::Value;
use ureq::Agent;

use super::client::{RemoteError, URL_VALUE};
use super::transport::transport_error;

/// SMART Backend Services: an assertion may be valid for at most five minutes; four leaves room
/// for a server clock a little ahead of ours.
const ASSERTION_LIFETIME: Duration = Duration::from_mins(4);
/// Assumed when the token endpoint does not say how long its token lasts (`expires_in` is only
/// recommended by RFC 6749).
const UNSTATED_LIFETIME: Duration = Duration::from_mins(5);
/// A token is renewed this long before it expires (or half its lifetime, for short ones), so it
/// never lapses in the middle of a cycle.
const RENEW_AHEAD: Duration = Duration::from_mins(1);
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How sync signs in.
#[derive(Clone)]
pub enum Credentials {
    /// A token read once from the environment and sent as it is.
    Bearer {
        token: String,
        /// The variable's NAME, for messages.
        token_env: String,
    },
    /// OAuth2 client credentials; clones share one cached token.
    Client(Arc<ClientCredentials>),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Credentials {
    /// In words, without any secret: what `config check` and the log say.
    pub fn describe(&self) -> String {
        match self {
            Credentials::Bearer { token_env, .. } => {
                format!("a bearer token from the environment variable {token_env}")
            }
            Credentials::Client(c) => c.describe(),
        }
    }

    /// What to check when the FHIR server refuses our token.
    pub(super) fn refusal_fix(&self) -> String {
        match self {
            Credentials::Bearer { token_env, .. } => {
                format!(
                    "check the token in the environment variable {token_env} (source.token_env)"
                )
            }
            Credentials::Client(c) => format!(
                "the server refused a token just issued by {} for client {}: check that this \
                 client may read and update Tasks there (source.client_id, source.scope)",
                c.token_url, c.client_id
            ),
        }
    }
}

/// OAuth2 client credentials and the token they last got.
pub struct ClientCredentials {
    token_url: String,
    client_id: String,
    scope: Option<String>,
    proof: Proof,
    issued: Mutex<Option<Issued>>,
}

enum Proof {
    /// `client_secret_basic` (RFC 6749 §2.3.1, which every server must accept).
    Secret { secret: String, env: String },
    /// `private_key_jwt` (RFC 7523), as SMART Backend Services ask.
    Assertion(SigningKey),
}

struct Issued {
    token: String,
    renew_at: Instant,
}

impl ClientCredentials {
    /// With a client secret, read from the environment by the caller.
    pub fn with_secret(
        token_url: String,
        client_id: String,
        scope: Option<String>,
        secret: String,
        env: String,
    ) -> ClientCredentials {
        Self::new(token_url, client_id, scope, Proof::Secret { secret, env })
    }

    /// With a JWT assertion signed by `key`.
    pub fn with_key(
        token_url: String,
        client_id: String,
        scope: Option<String>,
        key: SigningKey,
    ) -> ClientCredentials {
        Self::new(token_url, client_id, scope, Proof::Assertion(key))
    }

    fn new(
        token_url: String,
        client_id: String,
        scope: Option<String>,
        proof: Proof,
    ) -> ClientCredentials {
        ClientCredentials {
            token_url,
            client_id,
            scope,
            proof,
            issued: Mutex::new(None),
        }
    }

    fn describe(&self) -> String {
        let proof = match &self.proof {
            Proof::Secret { env, .. } => {
                format!("the client secret in the environment variable {env}")
            }
            Proof::Assertion(key) => format!(
                "a JWT assertion ({}) signed with {}",
                key.algorithm_name(),
                key.path.display()
            ),
        };
        format!(
            "OAuth2 client credentials: client {} gets tokens from {} with {proof}",
            self.client_id, self.token_url
        )
    }

    /// `Bearer <token>`: the cached token while it is fresh, else a new one. `renew` forces a
    /// new one (after the server refused the cached one). Also says whether the token endpoint
    /// was asked.
    pub(super) fn authorization(
        &self,
        agent: &Agent,
        timeout: Duration,
        renew: bool,
    ) -> Result<(String, bool), RemoteError> {
        let mut issued = self.issued.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh = issued
            .as_ref()
            .filter(|i| !renew && Instant::now() < i.renew_at);
        if let Some(current) = fresh {
            return Ok((format!("Bearer {}", current.token), false));
        }
        let new = self.request_token(agent, timeout)?;
        let header = format!("Bearer {}", new.token);
        *issued = Some(new);
        Ok((header, true))
    }

    fn request_token(&self, agent: &Agent, timeout: Duration) -> Result<Issued, RemoteError> {
        let asked = Instant::now();
        let mut form: Vec<(&str, String)> = vec![("grant_type", "client_credentials".to_owned())];
        if let Some(scope) = &self.scope {
            form.push(("scope", scope.clone()));
        }
        let mut request = agent
            .post(&self.token_url)
            .header("Accept", "application/json");
        match &self.proof {
            Proof::Secret { secret, .. } => {
                let pair = format!("{}:{}", form_encode(&self.client_id), form_encode(secret));
                request = request.header(
                    "Authorization",
                    &format!("Basic {}", BASE64.encode(pair.as_bytes())),
                );
            }
            Proof::Assertion(key) => {
                let assertion =
                    key.assertion(&self.client_id, &self.token_url)
                        .map_err(|detail| RemoteError::BadSetup {
                            base: self.token_url.clone(),
                            detail,
                        })?;
                form.push(("client_assertion_type", ASSERTION_TYPE.to_owned()));
                form.push(("client_assertion", assertion));
            }
        }
        let what = "the token request";
        let mut response = request
            .send_form(form.iter().map(|(k, v)| (*k, v.as_str())))
            .map_err(|e| {
                transport_error(e, "the token endpoint", &self.token_url, what, timeout)
            })?;
        let status = response.status().as_u16();
        let body: Option<Value> = response
            .body_mut()
            .with_config()
            .limit(1024 * 1024)
            .read_to_vec()
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        tracing::debug!(status, "token request");
        match status {
            200..=299 => self.read_token(body.as_ref(), asked),
            500..=599 => Err(RemoteError::ServerError {
                what: format!("the token request to {}", self.token_url),
                status,
                detail: self.oauth_error(body.as_ref()),
            }),
            _ => Err(RemoteError::TokenRefused {
                url: self.token_url.clone(),
                status,
                detail: self.oauth_error(body.as_ref()),
                fix: self.refused_fix(),
            }),
        }
    }

    fn read_token(&self, body: Option<&Value>, asked: Instant) -> Result<Issued, RemoteError> {
        let token = body
            .and_then(|b| b.get("access_token"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RemoteError::Malformed {
                what: format!("the token request to {}", self.token_url),
                detail: "the answer has no access_token".to_owned(),
            })?;
        let lifetime = body
            .and_then(|b| b.get("expires_in"))
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
            .map_or(UNSTATED_LIFETIME, Duration::from_secs);
        let ahead = RENEW_AHEAD.min(lifetime / 2);
        tracing::info!(
            lifetime_secs = lifetime.as_secs(),
            "new access token from the token endpoint"
        );
        Ok(Issued {
            token: token.to_owned(),
            // Counted from when we asked, so the server's own delay only makes us renew sooner.
            renew_at: asked + lifetime.saturating_sub(ahead),
        })
    }

    /// The endpoint's `error` and `error_description`, cut short, and never a secret it echoed.
    fn oauth_error(&self, body: Option<&Value>) -> String {
        let field = |name: &str| {
            body.and_then(|b| b.get(name))
                .and_then(Value::as_str)
                .map(|s| s.chars().take(200).collect::<String>())
        };
        let text = match (field("error"), field("error_description")) {
            (Some(e), Some(d)) => format!("{e}: {d}"),
            (Some(e), None) => e,
            (None, Some(d)) => d,
            (None, None) => "no explanation given".to_owned(),
        };
        match &self.proof {
            Proof::Secret { secret, .. } if text.contains(secret.as_str()) => {
                "an explanation that repeats the secret, so it is not shown".to_owned()
            }
            _ => text,
        }
    }

    fn refused_fix(&self) -> String {
        match &self.proof {
            Proof::Secret { env, .. } => format!(
                "check the client id in source.client_id ({}) and the secret in the environment \
                 variable {env} (source.client_secret_env)",
                self.client_id
            ),
            Proof::Assertion(key) => format!(
                "check that the server holds the public half of source.private_key_file ({}) \
                 for client {} (source.client_id{})",
                key.path.display(),
                self.client_id,
                if key.key_id.is_some() {
                    ", source.key_id"
                } else {
                    "; some servers also need source.key_id"
                }
            ),
        }
    }
}

/// `application/x-www-form-urlencoded` for the Basic credentials (RFC 6749 §2.3.1).
fn form_encode(text: &str) -> String {
    utf8_percent_encode(text, URL_VALUE).to_string()
}

/// The practice's private key for JWT client assertions: RS384 for an RSA key, ES384 for a
/// P-384 key, as SMART Backend Services allow.
pub struct SigningKey {
    key: EncodingKey,
    algorithm: Algorithm,
    key_id: Option<String>,
    path: PathBuf,
}

impl SigningKey {
    /// Reads a PEM private key (PKCS#8, or PKCS#1 for RSA) and proves it can sign.
    pub fn load(path: &Path, key_id: Option<&str>) -> Result<SigningKey, String> {
        let pem = std::fs::read(path).map_err(|e| e.to_string())?;
        let candidates = [
            (Algorithm::RS384, EncodingKey::from_rsa_pem(&pem)),
            (Algorithm::ES384, EncodingKey::from_ec_pem(&pem)),
        ];
        for (algorithm, key) in candidates {
            let Ok(key) = key else { continue };
            let signing = SigningKey {
                key,
                algorithm,
                key_id: key_id.map(str::to_owned),
                path: path.to_owned(),
            };
            // A P-256 key reads as EC but cannot sign ES384: find out now, not at sync time.
            if signing
                .assertion("check", "https://check.invalid/token")
                .is_ok()
            {
                return Ok(signing);
            }
        }
        Err(
            "it is not a PEM private key taskgate can sign with (an RSA key for RS384, or an \
             EC P-384 key in PKCS#8 for ES384)"
                .to_owned(),
        )
    }

    pub fn algorithm_name(&self) -> &'static str {
        match self.algorithm {
            Algorithm::ES384 => "ES384",
            _ => "RS384",
        }
    }

    /// A signed assertion: iss = sub = the client, aud = the token endpoint, a unique jti and
    /// an expiry inside SMART's five minutes.
    fn assertion(&self, client_id: &str, token_url: &str) -> Result<String, String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| "the system clock is before 1970".to_owned())?;
        let mut header = Header::new(self.algorithm);
        header.typ = Some("JWT".to_owned());
        header.kid.clone_from(&self.key_id);
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": client_id,
            "aud": token_url,
            "exp": (now + ASSERTION_LIFETIME).as_secs(),
            "iat": now.as_secs(),
            "jti": format!("{:032x}", rand::random::<u128>()),
        });
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| format!("cannot sign the client assertion: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_first() {
        assert_eq!(form_encode("a b:c%"), "a%20b%3Ac%25");
        assert_eq!(form_encode("taskgate-01_x.y~"), "taskgate-01_x.y~");
    }

    #[test]
    fn descriptions_never_carry_the_secret() {
        let c = ClientCredentials::with_secret(
            "https://auth.test/token".to_owned(),
            "zgp01".to_owned(),
            None,
            "s3cr3t-value".to_owned(),
            "CLIENT_SECRET".to_owned(),
        );
        let creds = Credentials::Client(Arc::new(c));
        let said = format!("{creds:?} {} {}", creds.describe(), creds.refusal_fix());
        assert!(!said.contains("s3cr3t"), "{said}");
        assert!(said.contains("CLIENT_SECRET"), "{said}");
    }
}
