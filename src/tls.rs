//! HTTPS: a rustls client over the TCP stream (feature `tls`).
//!
//! The crypto provider is rustls' **ring**, chosen explicitly with
//! `builder_with_provider`, so the build never depends on which providers
//! happen to be compiled in. Trust comes from the Mozilla roots bundled by
//! `webpki-roots`, plus any PEM certificates the caller adds. The server
//! name sent (SNI) and checked is the URL's host; an IP address is checked
//! as an IP address. ALPN offers only `http/1.1`.
//!
//! Sessions are resumed: every connection of one client shares one rustls
//! session cache, so a second connection to a server that issued a ticket
//! (TLS 1.3) or a session id (TLS 1.2) skips the certificate exchange and
//! its signature checks. Together with the connection pool this makes
//! many URLs of one site cheap; across sites it saves a little per host.
//!
//! A failed handshake becomes an [`Error::Tls`] whose message says what is
//! wrong, with which host, and what to do about it, rather than rustls'
//! internal names.
//!
//! A TLS stream that ends without the peer's `close_notify` alert may have
//! been cut by an attacker. rustls reports it as `UnexpectedEof`; the body
//! reader accepts it only when the framing already proved the body complete
//! (see [`Body`](crate::http::Body)).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use async_net::TcpStream;
use futures_rustls::pki_types::pem::PemObject;
use futures_rustls::pki_types::{CertificateDer, ServerName};
use futures_rustls::rustls::client::{ClientSessionMemoryCache, Resumption};
use futures_rustls::rustls::pki_types::UnixTime;
use futures_rustls::rustls::{self, CertificateError, ClientConfig, RootCertStore};

use crate::deadline;
use crate::error::{Error, TimeoutPhase, TlsFailure};
use crate::url::{Host, Url};

/// Most servers whose TLS sessions one client remembers for resumption.
const SESSION_CACHE_SERVERS: usize = 256;

/// A TLS client stream over TCP.
pub(crate) type TlsStream = futures_rustls::client::TlsStream<TcpStream>;

/// The client's TLS configuration, shared by all its connections.
#[derive(Clone)]
pub(crate) struct TlsConnector {
    /// rustls settings: ring provider, roots, ALPN, and the session cache
    /// shared by every connection made with this connector (and its clones).
    connector: futures_rustls::TlsConnector,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConnector { .. }")
    }
}

/// Parses every certificate in a PEM text; at least one is required.
pub(crate) fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidCertificate(format!("cannot parse pem: {e}")))?;
    if certs.is_empty() {
        return Err(Error::InvalidCertificate(
            "no pem certificate found (expected -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(certs)
}

impl TlsConnector {
    /// A connector trusting the bundled Mozilla roots plus `extra_roots`.
    pub(crate) fn new(extra_roots: &[CertificateDer<'static>]) -> Result<TlsConnector, Error> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for cert in extra_roots {
            roots
                .add(cert.clone())
                .map_err(|e| Error::InvalidCertificate(format!("unusable ca certificate: {e}")))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::InvalidCertificate(format!("tls configuration: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        // One cache per client, shared by all its connections.
        config.resumption = Resumption::store(Arc::new(ClientSessionMemoryCache::new(
            SESSION_CACHE_SERVERS,
        )));
        Ok(TlsConnector {
            connector: futures_rustls::TlsConnector::from(Arc::new(config)),
        })
    }

    /// Runs the handshake for `url` over `tcp`, within `timeout`.
    pub(crate) async fn handshake(
        &self,
        url: &Url,
        tcp: TcpStream,
        timeout: Duration,
    ) -> Result<TlsStream, Error> {
        let name = match url.host() {
            Host::Domain(name) => {
                ServerName::try_from(name.clone()).map_err(|e| Error::InvalidUrl {
                    url: url.to_string(),
                    reason: format!("host is not a valid tls server name: {e}"),
                })?
            }
            Host::Ipv4(ip) => ServerName::IpAddress(std::net::IpAddr::V4(*ip).into()),
            Host::Ipv6(ip) => ServerName::IpAddress(std::net::IpAddr::V6(*ip).into()),
        };
        let handshake = self.connector.connect(name, tcp);
        let result = deadline::within(timeout, handshake)
            .await
            .map_err(|deadline::Elapsed| Error::Timeout {
                phase: TimeoutPhase::Handshake,
                after: timeout,
            })?;
        result.map_err(|e| explain(e, url))
    }
}

/// Turns a handshake's `io::Error` into an [`Error::Tls`] that says what is
/// wrong, for which host, and what to do.
fn explain(error: io::Error, url: &Url) -> Error {
    let host = url.host_str();
    let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    else {
        // Not rustls: the connection itself failed mid-handshake.
        let message = match error.kind() {
            io::ErrorKind::UnexpectedEof => format!(
                "{host} port {} closed the connection during the tls handshake \
                 (is it an https port?)",
                url.port()
            ),
            _ => format!("with {host} port {}: {error}", url.port()),
        };
        return Error::Tls {
            kind: TlsFailure::Handshake,
            message,
        };
    };
    let (kind, message) = match tls {
        rustls::Error::InvalidCertificate(cert) => certificate_problem(cert, host),
        rustls::Error::InvalidMessage(_) => (
            TlsFailure::Handshake,
            format!(
                "{host} port {} did not answer in tls (is it a plain http port? try http://)",
                url.port()
            ),
        ),
        other => (
            TlsFailure::Handshake,
            format!("with {host} port {}: {other}", url.port()),
        ),
    };
    Error::Tls { kind, message }
}

/// What to tell the user about a certificate rustls refused.
fn certificate_problem(cert: &CertificateError, host: &str) -> (TlsFailure, String) {
    const ADD_CA: &str = "if you trust it, pass its ca certificate with --cacert file";
    match cert {
        CertificateError::UnknownIssuer => (
            TlsFailure::UntrustedCertificate,
            format!(
                "the certificate of {host} is self-signed or signed by an unknown authority; \
                 {ADD_CA}"
            ),
        ),
        CertificateError::Other(other) if other.to_string() == "CaUsedAsEndEntity" => (
            // webpki's name for it; rustls passes it on only as text.
            TlsFailure::UntrustedCertificate,
            format!(
                "{host} presented a ca certificate as its own (a self-signed certificate \
                 marked as a ca cannot identify a server); the server needs a certificate \
                 signed by a ca, and {ADD_CA}"
            ),
        ),
        CertificateError::BadSignature => (
            TlsFailure::UntrustedCertificate,
            format!(
                "the certificate chain of {host} has a signature that does not verify \
                 (a corrupted or forged certificate)"
            ),
        ),
        CertificateError::ExpiredContext { time, not_after } => (
            TlsFailure::Expired,
            format!(
                "the certificate of {host} expired {} ago; the server must renew it \
                 (or this computer's clock is wrong)",
                span(*not_after, *time)
            ),
        ),
        CertificateError::Expired => (
            TlsFailure::Expired,
            format!(
                "the certificate of {host} has expired; the server must renew it \
                 (or this computer's clock is wrong)"
            ),
        ),
        CertificateError::NotValidYetContext { time, not_before } => (
            TlsFailure::Expired,
            format!(
                "the certificate of {host} is not valid for another {}; \
                 check this computer's clock",
                span(*time, *not_before)
            ),
        ),
        CertificateError::NotValidYet => (
            TlsFailure::Expired,
            format!("the certificate of {host} is not valid yet; check this computer's clock"),
        ),
        CertificateError::NotValidForNameContext { presented, .. } if !presented.is_empty() => (
            TlsFailure::NameMismatch,
            format!(
                "the certificate of {host} is for {}, not {host}; use a name it covers",
                presented.join(", ")
            ),
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => (
            TlsFailure::NameMismatch,
            format!("the certificate of {host} is not valid for the name {host}"),
        ),
        other => (
            TlsFailure::UntrustedCertificate,
            format!("the certificate of {host} was refused: {other}"),
        ),
    }
}

/// The time from `from` to `to` in the largest whole unit, e.g. `3 days`.
fn span(from: UnixTime, to: UnixTime) -> String {
    let seconds = to.as_secs().saturating_sub(from.as_secs());
    let (n, unit) = match seconds {
        0..120 => (seconds, "second"),
        120..7200 => (seconds / 60, "minute"),
        7200..172_800 => (seconds / 3600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_use_the_largest_whole_unit() {
        let at = |s| UnixTime::since_unix_epoch(std::time::Duration::from_secs(s));
        assert_eq!(span(at(0), at(1)), "1 second");
        assert_eq!(span(at(0), at(119)), "119 seconds");
        assert_eq!(span(at(0), at(3600)), "60 minutes");
        assert_eq!(span(at(0), at(86_400)), "24 hours");
        assert_eq!(span(at(0), at(86_400 * 400)), "400 days");
        assert_eq!(span(at(5), at(0)), "0 seconds");
    }

    #[test]
    fn certificate_problems_name_the_host_and_what_to_do() {
        let (kind, message) = certificate_problem(&CertificateError::UnknownIssuer, "h.test");
        assert_eq!(kind, TlsFailure::UntrustedCertificate);
        assert!(
            message.contains("h.test") && message.contains("--cacert"),
            "{message}"
        );
        let mismatch = CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("h.test").unwrap().to_owned(),
            presented: vec!["a.test".into(), "b.test".into()],
        };
        let (kind, message) = certificate_problem(&mismatch, "h.test");
        assert_eq!(kind, TlsFailure::NameMismatch);
        assert_eq!(
            message,
            "the certificate of h.test is for a.test, b.test, not h.test; use a name it covers"
        );
    }
}
