//! Which certificate authorities sync trusts: the machine's own trust store (where a practice's
//! IT installs the health network's authorities) plus, optionally, a PEM bundle named by
//! `source.ca_file` for a network whose authority is handed out as a file. There is no way to
//! switch verification off: a server whose certificate does not verify is a set-up problem
//! with a named fix, never something to click past.
//!
//! Why the system store is read with `rustls-native-certs` rather than ureq's
//! `platform-verifier`: ureq's platform verifier cannot be given extra roots, and a network's
//! own CA must be trusted *beside* the system's, not instead of it. Reading the store into one
//! root set also lets `config check` say how many authorities are trusted and from where.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, parse_pem};

/// The roots sync verifies servers against, and where they came from.
#[derive(Clone)]
pub struct Trust {
    roots: RootCerts,
    /// In words for `config check` and the log, e.g. "the system's trust store (146
    /// certificates) and 1 certificate from source.ca_file (/etc/taskgate/hscn-ca.pem)".
    pub description: String,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

/// A `source.ca_file` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot use source.ca_file {}: {reason}", path.display())]
pub struct CaFileError {
    pub path: PathBuf,
    pub reason: String,
}

impl Trust {
    /// The system's trust store plus the certificates of `ca_file`, if one is named.
    pub fn load(ca_file: Option<&Path>) -> Result<Trust, CaFileError> {
        let extra = match ca_file {
            Some(path) => Some((path, read_ca_file(path)?)),
            None => None,
        };
        let system = rustls_native_certs::load_native_certs();
        if !system.errors.is_empty() {
            // Some stores hold a certificate or two that cannot be read; the rest still count.
            tracing::debug!(
                problems = system.errors.len(),
                "some of the system's certificates could not be read"
            );
        }
        let mut roots: Vec<Certificate<'static>> = system
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        let system_count = roots.len();
        let mut description = if system_count == 0 {
            "no certificates from the system's trust store (none could be read)".to_owned()
        } else {
            format!("the system's trust store ({system_count} certificates)")
        };
        if let Some((path, certs)) = extra {
            let _ = write!(
                description,
                " and {} from source.ca_file ({})",
                plural(certs.len(), "certificate"),
                path.display()
            );
            roots.extend(certs);
        } else if system_count == 0 {
            // Nothing to go on at all: Mozilla's list, built in, is better than trusting no one,
            // and `config check` says so.
            return Ok(Trust {
                roots: RootCerts::WebPki,
                description: "the list of public certificate authorities built into taskgate \
                              (the system's trust store could not be read; set source.ca_file \
                              for a network's own authority)"
                    .to_owned(),
            });
        }
        Ok(Trust {
            roots: RootCerts::new_with_certs(&roots),
            description,
        })
    }

    /// Mozilla's list built into ureq, for unit tests that never connect.
    #[cfg(test)]
    pub fn built_in() -> Trust {
        Trust {
            roots: RootCerts::WebPki,
            description: "built in".to_owned(),
        }
    }

    /// The TLS settings for an agent: these roots, verification always on.
    pub fn tls_config(&self) -> TlsConfig {
        TlsConfig::builder().root_certs(self.roots.clone()).build()
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The certificates of a PEM bundle: at least one, or the reason there are none. Private keys
/// and other blocks in the file are skipped, as OpenSSL does.
pub fn read_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, CaFileError> {
    let fail = |reason: String| CaFileError {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let mut certs = Vec::new();
    for item in parse_pem(&bytes) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => return Err(fail(format!("it is not a readable PEM file ({e})"))),
        }
    }
    if certs.is_empty() {
        return Err(fail(
            "it holds no certificate (expected PEM blocks starting \
             -----BEGIN CERTIFICATE-----)"
                .to_owned(),
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_certificates_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").expect("write");
        let e = read_ca_file(&path).expect_err("no certificate");
        assert!(e.reason.contains("no certificate"), "{e}");
        assert!(e.to_string().contains("source.ca_file"), "{e}");

        let missing = read_ca_file(&dir.path().join("absent.pem")).expect_err("missing");
        assert!(missing.to_string().contains("absent.pem"), "{missing}");
    }
}
