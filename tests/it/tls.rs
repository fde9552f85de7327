//! HTTPS against a rustls server inside the tests, with certificates made
//! at test time: a private CA, leaves for localhost / 127.0.0.1 / ::1, an
//! expired leaf, a leaf for another name, and a second, untrusted CA.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use futures_rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use futures_rustls::rustls::{self, ServerConfig, ServerConnection, StreamOwned};
use netcount::{Client, Error, TlsFailure, TruncationKind};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

use crate::support::*;

/// A CA and the certificates it signed.
struct Pki {
    /// The trusted CA, as PEM.
    ca_pem: String,
    /// Leaf for localhost, 127.0.0.1 and ::1, signed by the CA.
    good: Identity,
    /// Same names, but expired in 2001.
    expired: Identity,
    /// Valid, but for `other.example` only.
    other_name: Identity,
    /// Signed by a CA nobody trusts.
    untrusted: Identity,
}

/// A certificate chain and its key, ready for a server.
#[derive(Clone)]
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
}

fn ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    (params.self_signed(&key).unwrap(), key)
}

fn leaf(names: &[&str], ca: &(rcgen::Certificate, KeyPair), expired: bool) -> Identity {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let cert = params.signed_by(&key, &ca.0, &ca.1).unwrap();
    Identity {
        chain: vec![cert.der().clone(), ca.0.der().clone()],
        key_der: key.serialize_der(),
    }
}

/// The certificates, made once per test run.
fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let names = ["localhost", "127.0.0.1", "::1"];
        let trusted = ca("netcount test ca");
        let stranger = ca("untrusted test ca");
        Pki {
            ca_pem: trusted.0.pem(),
            good: leaf(&names, &trusted, false),
            expired: leaf(&names, &trusted, true),
            other_name: leaf(&["other.example"], &trusted, false),
            untrusted: leaf(&names, &stranger, false),
        }
    })
}

/// How a TLS connection ends after the script.
#[derive(Clone, Copy, PartialEq)]
enum End {
    /// Send close_notify, then close.
    CloseNotify,
    /// Close the TCP connection without close_notify.
    Abrupt,
}

/// A TLS server on `bind` answering every connection with `steps`.
fn tls_serve(bind: &str, identity: &Identity, steps: Vec<Step>, end: End) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone()));
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(identity.chain.clone(), key)
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind(bind).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let (config, steps) = (config.clone(), steps.clone());
            thread::spawn(move || answer_tls(tcp, config, &steps, end));
        }
    });
    addr
}

fn answer_tls(tcp: TcpStream, config: Arc<ServerConfig>, steps: &[Step], end: End) {
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let conn = ServerConnection::new(config).unwrap();
    let mut tls = StreamOwned::new(conn, tcp);
    // Read the request head (the handshake happens on the way).
    if read_head(&mut tls).is_none() {
        return; // the client gave up, e.g. on our certificate
    }
    for step in steps {
        match step {
            Step::Send(bytes) => {
                if tls.write_all(bytes).and_then(|()| tls.flush()).is_err() {
                    return;
                }
            }
            Step::Sleep(d) | Step::Hold(d) => thread::sleep(*d),
            Step::Reset => return,
        }
    }
    if end == End::CloseNotify {
        tls.conn.send_close_notify();
        let _ = tls.flush();
    }
    let _ = tls.sock.shutdown(Shutdown::Write);
    let _ = tls.sock.read(&mut [0; 64]);
}

/// A client trusting the test CA.
fn trusting_client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .add_root_certificates_pem(pki().ca_pem.as_bytes())
        .unwrap()
        .build()
}

fn https(addr: SocketAddr, host: &str, path: &str) -> String {
    format!("https://{host}:{}{path}", addr.port())
}

fn tls_error(result: Result<netcount::Report, Error>) -> TlsFailure {
    match result {
        Err(Error::Tls { kind, .. }) => kind,
        other => panic!("expected a tls error, got {other:?}"),
    }
}

#[test]
fn trusted_certificate_counts_for_every_name() {
    let steps = vec![send(ok_with_length(".NET over TLS .NET"))];
    let v4 = tls_serve("127.0.0.1:0", &pki().good, steps.clone(), End::CloseNotify);
    let v6 = tls_serve("[::1]:0", &pki().good, steps, End::CloseNotify);
    let client = trusting_client();
    for url in [
        https(v4, "localhost", "/"),
        https(v4, "127.0.0.1", "/"),
        https(v6, "[::1]", "/"),
    ] {
        let report = count_with(&client, &url, ".NET").unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(report.count, 2, "{url}");
    }
}

#[test]
fn untrusted_expired_and_misnamed_certificates_are_distinct_errors() {
    let server = |identity: &Identity| {
        let steps = vec![send(ok_with_length(".NET"))];
        tls_serve("127.0.0.1:0", identity, steps, End::CloseNotify)
    };
    let client = trusting_client();
    let untrusted = server(&pki().untrusted);
    let result = count_with(&client, &https(untrusted, "127.0.0.1", "/"), ".NET");
    assert_eq!(tls_error(result), TlsFailure::UntrustedCertificate);

    // Without the test CA even the good certificate is untrusted.
    let good = server(&pki().good);
    let result = count_with(&quick_client(), &https(good, "127.0.0.1", "/"), ".NET");
    assert_eq!(tls_error(result), TlsFailure::UntrustedCertificate);

    let expired = server(&pki().expired);
    let result = count_with(&client, &https(expired, "localhost", "/"), ".NET");
    assert_eq!(tls_error(result), TlsFailure::Expired);

    let other = server(&pki().other_name);
    let result = count_with(&client, &https(other, "localhost", "/"), ".NET");
    assert_eq!(tls_error(result), TlsFailure::NameMismatch);
}

#[test]
fn a_server_that_does_not_speak_tls_is_a_handshake_error() {
    let plain = serve(vec![send(ok_with_length(".NET"))]);
    let url = https(plain.addr, "127.0.0.1", "/");
    let result = count_with(&trusting_client(), &url, ".NET");
    assert_eq!(tls_error(result), TlsFailure::Handshake);
}

#[test]
fn every_framing_over_tls() {
    let chunked =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n.NE\r\n1\r\nT\r\n0\r\n\r\n";
    for wire in [
        ok_with_length(".NET"),
        chunked.as_bytes().to_vec(),
        b"HTTP/1.1 200 OK\r\n\r\n.NET".to_vec(),
    ] {
        let addr = tls_serve(
            "127.0.0.1:0",
            &pki().good,
            vec![send(&wire)],
            End::CloseNotify,
        );
        let report = count_with(&trusting_client(), &https(addr, "localhost", "/"), ".NET");
        assert_eq!(
            report.unwrap().count,
            1,
            "{}",
            String::from_utf8_lossy(&wire)
        );
    }
}

#[test]
fn close_delimited_body_without_close_notify_is_truncation() {
    let wire = b"HTTP/1.1 200 OK\r\n\r\n.NET".to_vec();
    let addr = tls_serve("127.0.0.1:0", &pki().good, vec![send(wire)], End::Abrupt);
    let error = count_with(&trusting_client(), &https(addr, "localhost", "/"), ".NET").unwrap_err();
    assert!(
        matches!(
            error,
            Error::Truncated {
                kind: TruncationKind::MissingCloseNotify,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("close_notify"), "{error}");
}

#[test]
fn framed_bodies_complete_before_an_abrupt_close_still_count() {
    let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n.NET\r\n0\r\n\r\n";
    for wire in [ok_with_length(".NET"), chunked.as_bytes().to_vec()] {
        let addr = tls_serve("127.0.0.1:0", &pki().good, vec![send(&wire)], End::Abrupt);
        let report = count_with(&trusting_client(), &https(addr, "localhost", "/"), ".NET");
        assert_eq!(report.unwrap().count, 1);
    }
    // But a Content-Length body cut short by an abrupt close is not.
    let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n.NET".to_vec();
    let addr = tls_serve("127.0.0.1:0", &pki().good, vec![send(wire)], End::Abrupt);
    let error = count_with(&trusting_client(), &https(addr, "localhost", "/"), ".NET").unwrap_err();
    assert!(
        matches!(
            error,
            Error::Truncated {
                kind: TruncationKind::ContentLength,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn https_to_http_redirect_is_refused() {
    let plain = serve(vec![send(ok_with_length(".NET"))]);
    let location = plain.url("/");
    let redirect =
        format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
    let addr = tls_serve(
        "127.0.0.1:0",
        &pki().good,
        vec![send(redirect)],
        End::CloseNotify,
    );
    let error = count_with(&trusting_client(), &https(addr, "localhost", "/"), ".NET").unwrap_err();
    assert!(matches!(error, Error::InsecureRedirect { .. }), "{error}");
    assert!(plain.requests().is_empty(), "the http target was contacted");
}

#[test]
fn http_to_https_redirect_is_followed() {
    let secure = tls_serve(
        "127.0.0.1:0",
        &pki().good,
        vec![send(ok_with_length(".NET .NET"))],
        End::CloseNotify,
    );
    let location = https(secure, "localhost", "/secure");
    let plain = serve(vec![send(format!(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\n\r\n"
    ))]);
    let report = count_with(&trusting_client(), &plain.url("/"), ".NET").unwrap();
    assert_eq!((report.count, report.redirects), (2, 1));
    assert_eq!(report.final_url.to_string(), location);
}

/// The `netcount` binary's `--cacert`.
#[cfg(feature = "cli")]
#[test]
fn cli_cacert() {
    let dir = crate::interop::tempdir("cacert");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki().ca_pem).unwrap();
    let addr = tls_serve(
        "127.0.0.1:0",
        &pki().good,
        vec![send(ok_with_length(".NET"))],
        End::CloseNotify,
    );
    let url = https(addr, "localhost", "/");
    let output = netcount(&["--cacert", ca.to_str().unwrap(), &url]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "1\n");
    assert_eq!(output.status.code(), Some(0));

    // Without it: untrusted, exit 1.
    let output = netcount(&[&url]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("certificate not trusted"));

    // A missing, empty or unparsable file is a usage error naming the file.
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let garbage = dir.join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let missing = dir.join("missing.pem");
    for file in [&missing, &empty, &garbage] {
        let output = netcount(&["--cacert", file.to_str().unwrap(), &url]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{file:?}: {stderr}");
        assert!(stderr.contains(file.to_str().unwrap()), "{stderr}");
    }
}
