//! HTTPS: a rustls client over the TCP stream (feature `tls`).
//!
//! The crypto provider is rustls' **ring**, chosen explicitly with
//! `builder_with_provider`, so the build never depends on which providers
//! happen to be compiled in. Trust comes from the Mozilla roots bundled by
//! `webpki-roots`, plus any PEM certificates the caller adds. The server
//! name sent (SNI) and checked is the URL's host; an IP address is checked
//! as an IP address. ALPN offers only `http/1.1`.
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
use futures_rustls::rustls::{self, CertificateError, ClientConfig, RootCertStore};

use crate::deadline;
use crate::error::{Error, TimeoutPhase, TlsFailure};
use crate::url::{Host, Url};

/// A TLS client stream over TCP.
pub(crate) type TlsStream = futures_rustls::client::TlsStream<TcpStream>;

/// The client's TLS configuration, shared by all its connections.
#[derive(Clone)]
pub(crate) struct TlsConnector {
    /// rustls settings: ring provider, roots, ALPN.
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
        result.map_err(classify)
    }
}

/// Turns a handshake's `io::Error` into a specific [`Error::Tls`].
fn classify(error: io::Error) -> Error {
    let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    else {
        return Error::Tls {
            kind: TlsFailure::Handshake,
            message: error.to_string(),
        };
    };
    let kind = match tls {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                TlsFailure::UntrustedCertificate
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsFailure::Expired,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsFailure::NameMismatch
            }
            _ => TlsFailure::UntrustedCertificate,
        },
        _ => TlsFailure::Handshake,
    };
    Error::Tls {
        kind,
        message: tls.to_string(),
    }
}
