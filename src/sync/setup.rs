//! Sync's set-up in words, for `taskgate config check`: which server, which certificate
//! authorities will be trusted, how taskgate signs in (and whether the variable holding the
//! secret is set here), and which proxy it goes through. Never a secret's value.

use crate::config::{AuthMethod, Config, Source, SourceKind};

use super::auth::SigningKey;
use super::tls::Trust;

/// Labelled lines, in the order `config check` prints them.
pub fn describe(
    config: &Config,
    env: impl Fn(&str) -> Option<String>,
) -> Vec<(&'static str, String)> {
    let s = &config.source;
    if s.kind != SourceKind::Fhir {
        return vec![("Sync", format!("none (source.kind is \"{}\")", s.kind))];
    }
    let trust = match Trust::load(s.ca_file.as_deref()) {
        Ok(trust) => trust.description,
        Err(e) => format!("none usable: {e}"),
    };
    vec![
        (
            "FHIR server",
            s.base_url.clone().unwrap_or_else(|| "not set".to_owned()),
        ),
        ("Trusted CAs", trust),
        ("Sign-in", sign_in(s, &env)),
        ("Proxy", proxy(&env)),
    ]
}

fn is_set(env: &impl Fn(&str) -> Option<String>, name: &str) -> &'static str {
    if env(name).is_some_and(|v| !v.trim().is_empty()) {
        "set"
    } else {
        "NOT SET in this environment"
    }
}

fn sign_in(s: &Source, env: &impl Fn(&str) -> Option<String>) -> String {
    let unset = || "not set".to_owned();
    match s.auth {
        AuthMethod::Bearer => {
            let name = s.token_env.clone().unwrap_or_else(unset);
            format!(
                "source.auth = \"bearer\": the token in the environment variable {name} ({})",
                is_set(env, &name)
            )
        }
        AuthMethod::ClientCredentials => {
            let proof = match (&s.client_secret_env, &s.private_key_file) {
                (Some(name), _) => format!(
                    "the client secret in the environment variable {name} ({})",
                    is_set(env, name)
                ),
                (None, Some(path)) => match SigningKey::load(path, s.key_id.as_deref()) {
                    Ok(key) => format!(
                        "JWT assertions ({}) signed with {}{}",
                        key.algorithm_name(),
                        path.display(),
                        s.key_id
                            .as_ref()
                            .map(|k| format!(", key id {k}"))
                            .unwrap_or_default()
                    ),
                    Err(reason) => format!("the key {} (unusable: {reason})", path.display()),
                },
                (None, None) => "no secret or key (see source.client_secret_env)".to_owned(),
            };
            format!(
                "source.auth = \"client-credentials\": client {} gets tokens from {}{} with {proof}",
                s.client_id.clone().unwrap_or_else(unset),
                s.token_url.clone().unwrap_or_else(unset),
                s.scope
                    .as_ref()
                    .map(|scope| format!(" (scope {scope})"))
                    .unwrap_or_default(),
            )
        }
    }
}

/// The proxy ureq will use: the first of these variables that is set, as ureq reads them.
fn proxy(env: &impl Fn(&str) -> Option<String>) -> String {
    const NAMES: [&str; 6] = [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ];
    let found = NAMES.iter().find_map(|name| {
        env(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (name, v))
    });
    let Some((name, url)) = found else {
        return "none (HTTPS_PROXY is not set): connects directly".to_owned();
    };
    let bypass = ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|n| env(n))
        .map(|hosts| format!(", except for NO_PROXY hosts {hosts}"))
        .unwrap_or_default();
    format!("{} (from {name}){bypass}", without_password(&url))
}

/// A proxy URL without the password it may carry (`http://user:pw@host` → `http://user:…@host`).
fn without_password(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
    let sep = if scheme.is_empty() { "" } else { "://" };
    let tail = if path.is_empty() {
        String::new()
    } else {
        format!("/{path}")
    };
    format!("{scheme}{sep}{user}:…@{host}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_password_is_never_shown() {
        assert_eq!(
            without_password("http://ward:hunter2@proxy.nhs:3128"),
            "http://ward:…@proxy.nhs:3128"
        );
        assert_eq!(without_password("http://proxy:3128"), "http://proxy:3128");
        let env = |n: &str| (n == "HTTPS_PROXY").then(|| "http://u:pw@p:8080/".to_owned());
        let said = proxy(&env);
        assert!(
            said.contains("from HTTPS_PROXY") && !said.contains("pw"),
            "{said}"
        );
    }
}
