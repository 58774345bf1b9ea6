//! Why a request got no answer, in words for the desk: the network or the server is down (or a
//! proxy will not connect us), it did not answer in time, or the secure connection failed, and
//! then whether it was the server's certificate (which host, why, and that source.ca_file is
//! the fix) or something else in the handshake. Shared by FHIR requests and token requests.

use std::io::ErrorKind;
use std::time::Duration;

use super::client::RemoteError;

/// A failure to get an answer from `base` (the FHIR server or the token endpoint), in words.
pub(super) fn transport_error(
    e: ureq::Error,
    server: &'static str,
    base: &str,
    what: &str,
    timeout: Duration,
) -> RemoteError {
    let base = base.to_owned();
    match e {
        ureq::Error::Timeout(_) => RemoteError::TimedOut {
            server,
            base,
            what: what.to_owned(),
            timeout_secs: timeout.as_secs(),
        },
        ureq::Error::Io(io) if io.kind() == ErrorKind::TimedOut => RemoteError::TimedOut {
            server,
            base,
            what: what.to_owned(),
            timeout_secs: timeout.as_secs(),
        },
        ureq::Error::Io(io) => match tls_failure(&io) {
            Some(problem) => certificate_error(&base, problem),
            None => RemoteError::Unreachable {
                server,
                base,
                detail: io_words(&io),
            },
        },
        ureq::Error::Rustls(problem) => certificate_error(&base, &problem),
        ureq::Error::HostNotFound => RemoteError::Unreachable {
            server,
            base,
            detail: "the server's name cannot be found (DNS)".to_owned(),
        },
        ureq::Error::ConnectionFailed => RemoteError::Unreachable {
            server,
            base,
            detail: "the connection failed".to_owned(),
        },
        // A proxy that will not connect us is the network being unavailable, as for a server.
        ureq::Error::ConnectProxyFailed(reason) => RemoteError::Unreachable {
            server,
            base,
            detail: format!(
                "the proxy (from HTTPS_PROXY or HTTP_PROXY) would not connect us: {reason}"
            ),
        },
        ureq::Error::BodyExceedsLimit(limit) => RemoteError::Malformed {
            what: what.to_owned(),
            detail: format!("the answer is larger than {limit} bytes"),
        },
        ureq::Error::Protocol(p) => RemoteError::Malformed {
            what: what.to_owned(),
            detail: format!("not valid HTTP: {p}"),
        },
        ureq::Error::Decompress(_, io) => RemoteError::Malformed {
            what: what.to_owned(),
            detail: format!("the compressed answer is broken: {io}"),
        },
        other => RemoteError::BadSetup {
            base,
            detail: other.to_string(),
        },
    }
}

/// The TLS failure inside an I/O error (rustls reports a handshake failure that way).
fn tls_failure(io: &std::io::Error) -> Option<&rustls::Error> {
    io.get_ref()?.downcast_ref::<rustls::Error>()
}

/// A failed TLS handshake: a certificate we cannot trust is named as such, with its host;
/// anything else in the handshake is a set-up problem too (a server that is not https, say).
fn certificate_error(base: &str, problem: &rustls::Error) -> RemoteError {
    use rustls::CertificateError as Cert;
    let host = host_of(base);
    let detail = match problem {
        rustls::Error::InvalidCertificate(cert) => match cert {
            Cert::UnknownIssuer => {
                "it is issued by a certificate authority this computer does not trust".to_owned()
            }
            Cert::Expired | Cert::ExpiredContext { .. } => "it has expired".to_owned(),
            Cert::NotValidYet | Cert::NotValidYetContext { .. } => {
                "it is not valid yet (check this computer's clock)".to_owned()
            }
            Cert::NotValidForName | Cert::NotValidForNameContext { .. } => {
                format!("it is not issued for the name {host} (check source.base_url)")
            }
            Cert::Revoked => "it has been revoked".to_owned(),
            other => format!("it does not verify ({other:?})"),
        },
        rustls::Error::InvalidCertRevocationList(_) => {
            "its revocation list does not verify".to_owned()
        }
        other => {
            return RemoteError::BadSetup {
                base: base.to_owned(),
                detail: format!("the secure connection (TLS) could not be set up: {other}"),
            };
        }
    };
    RemoteError::Certificate { host, detail }
}

/// `host:port` (or `host`) of a URL, for naming the server whose certificate failed.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_owned()
}

/// A connection failure in plain words.
fn io_words(io: &std::io::Error) -> String {
    match io.kind() {
        ErrorKind::ConnectionRefused => "the connection was refused (is the server up?)".to_owned(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            "the connection was cut".to_owned()
        }
        ErrorKind::UnexpectedEof => "the server closed the connection mid-answer".to_owned(),
        _ => io.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_named_by_its_host_and_port() {
        assert_eq!(
            host_of("https://fhir.example.nhs.uk/R4"),
            "fhir.example.nhs.uk"
        );
        assert_eq!(
            host_of("https://u:p@127.0.0.1:8443/token?x=1"),
            "127.0.0.1:8443"
        );
    }
}
