//! Connection reuse, against a keep-alive server that counts the
//! connections it accepts and the requests it reads on each; TLS session
//! resumption against a rustls server that reports how each handshake went;
//! certificate errors in words.

use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use netcount::{Client, Error};

use crate::support::*;

/// Where a request arrived.
#[derive(Debug, Clone)]
struct Seen {
    /// Which connection, counting from 1 in accept order.
    connection: usize,
    /// Which request on that connection, from 1.
    index: usize,
    /// The request head.
    request: Request,
}

/// What the server does after its answer to one request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Then {
    /// Wait for the next request on the connection (up to 5 s).
    Next,
    /// Wait for the next request, but close if none comes within this long.
    NextWithin(Duration),
    /// Close the connection (FIN).
    Close,
}

/// The answer to one request: bytes to play, then what to do.
#[derive(Clone)]
struct Reply {
    steps: Vec<Step>,
    then: Then,
}

fn reply(bytes: impl AsRef<[u8]>, then: Then) -> Reply {
    Reply {
        steps: vec![send(bytes)],
        then,
    }
}

/// Closes the connection without an answer.
fn hang_up() -> Reply {
    Reply {
        steps: Vec::new(),
        then: Then::Close,
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A server that keeps connections open between requests, as told.
struct KeepAlive {
    addr: SocketAddr,
    /// Connections accepted so far.
    accepted: Arc<AtomicUsize>,
    /// Every request read, in order.
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl KeepAlive {
    fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> KeepAlive {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let (accepted, seen) = (accepted.clone(), seen.clone());
            thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let connection = accepted.fetch_add(1, Ordering::SeqCst) + 1;
                    let (handler, seen) = (handler.clone(), seen.clone());
                    thread::spawn(move || converse(stream, connection, &*handler, &seen));
                }
            });
        }
        KeepAlive {
            addr,
            accepted,
            seen,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Where each request arrived: (connection, request on it).
    fn arrivals(&self) -> Vec<(usize, usize)> {
        self.seen()
            .iter()
            .map(|s| (s.connection, s.index))
            .collect()
    }
}

/// Answers requests on one connection until told to close or the client
/// goes away.
fn converse(mut stream: TcpStream, connection: usize, handler: &Handler, seen: &Mutex<Vec<Seen>>) {
    stream.set_nodelay(true).unwrap();
    let mut wait = Duration::from_secs(5);
    for index in 1.. {
        stream.set_read_timeout(Some(wait)).unwrap();
        let Some(request) = read_request(&mut stream) else {
            return;
        };
        let now = Seen {
            connection,
            index,
            request,
        };
        seen.lock().unwrap().push(now.clone());
        let reply = handler(&now);
        for step in reply.steps {
            match step {
                Step::Send(bytes) => {
                    if stream.write_all(&bytes).is_err() {
                        return;
                    }
                }
                Step::Sleep(d) | Step::Hold(d) => thread::sleep(d),
                Step::Reset => return,
            }
        }
        match reply.then {
            Then::Next => wait = Duration::from_secs(5),
            Then::NextWithin(d) => wait = d,
            Then::Close => break,
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn chunked(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    )
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(2))
        .build()
}

/// Counts `.NET` at each path of `server`, one after the other, and returns
/// whether each fetch reused a connection.
fn fetch_all(client: &Client, server: &KeepAlive, paths: &[&str]) -> Vec<bool> {
    paths
        .iter()
        .map(|path| {
            let report = count_with(client, &server.url(path), ".NET")
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(report.count, 1, "{path}");
            report.reused
        })
        .collect()
}

/// Fetches `first` with `client` from a server that answers that path with
/// `answer` (and every other path with one `.NET`), which must fail; waits
/// `pause`; then fetches `/next`, which must count. Returns the first
/// fetch's error, whether the second reused a connection, and the
/// connections the server accepted for both.
fn after_a_failed_fetch(
    client: &Client,
    first: &str,
    answer: Reply,
    pause: Duration,
) -> (Error, bool, usize) {
    let path = first.to_string();
    let server = KeepAlive::start(move |seen| {
        if seen.request.target == path {
            answer.clone()
        } else {
            reply(ok_with_length(".NET"), Then::Next)
        }
    });
    let error = count_with(client, &server.url(first), ".NET").unwrap_err();
    thread::sleep(pause);
    let reused = fetch_all(client, &server, &["/next"])[0];
    (error, reused, server.accepted())
}

#[test]
fn sequential_urls_share_one_connection() {
    let server = KeepAlive::start(|seen| match seen.index % 2 {
        0 => reply(chunked(".NET"), Then::Next),
        _ => reply(ok_with_length(".NET"), Then::Next),
    });
    let reused = fetch_all(&client(), &server, &["/1", "/2", "/3", "/4", "/5"]);
    assert_eq!(reused, [false, true, true, true, true]);
    assert_eq!(server.accepted(), 1);
    let requests: Vec<_> = server.seen().iter().map(|s| s.index).collect();
    assert_eq!(requests, [1, 2, 3, 4, 5]);
    let head = &server.seen()[0].request;
    assert_eq!(head.header("connection"), None, "{}", head.head);
}

#[test]
fn clones_of_a_client_share_its_connections() {
    let server = KeepAlive::start(|_| reply(ok_with_length(".NET"), Then::Next));
    let first = client();
    let second = first.clone();
    assert_eq!(fetch_all(&first, &server, &["/a"]), [false]);
    assert_eq!(fetch_all(&second, &server, &["/b"]), [true]);
    // A client built separately has a pool of its own.
    assert_eq!(fetch_all(&client(), &server, &["/c"]), [false]);
    assert_eq!(server.accepted(), 2);
}

/// The connections a client opens for two fetches from a server that sends
/// `response` and then keeps the connection open anyway: reusing it would
/// work, so only the client's own rule can say no.
fn connections_for_two(response: &str) -> usize {
    let response = response.to_string();
    let server = KeepAlive::start(move |_| reply(&response, Then::Next));
    let reused = fetch_all(&client(), &server, &["/1", "/2"]);
    assert_eq!(reused[1], server.accepted() == 1);
    server.accepted()
}

#[test]
fn the_response_decides_whether_the_connection_persists() {
    let with = |version: &str, fields: &str| {
        format!("HTTP/{version} 200 OK\r\nContent-Length: 4\r\n{fields}\r\n.NET")
    };
    // HTTP/1.1 persists unless the server says close.
    assert_eq!(connections_for_two(&with("1.1", "")), 1);
    assert_eq!(
        connections_for_two(&with("1.1", "Connection: close\r\n")),
        2
    );
    assert_eq!(
        connections_for_two(&with("1.1", "Connection: Keep-Alive, Close\r\n")),
        2
    );
    // HTTP/1.0 persists only with keep-alive.
    assert_eq!(connections_for_two(&with("1.0", "")), 2);
    assert_eq!(
        connections_for_two(&with("1.0", "Connection: keep-alive\r\n")),
        1
    );
}

#[test]
fn a_close_delimited_body_is_never_reused() {
    // The body ends when the server closes; the count must still be right
    // on the next fetch, which needs a new connection.
    let server = KeepAlive::start(|_| reply("HTTP/1.1 200 OK\r\n\r\n.NET", Then::Close));
    let reused = fetch_all(&client(), &server, &["/1", "/2"]);
    assert_eq!(reused, [false, false]);
    assert_eq!(server.accepted(), 2);
}

#[test]
fn a_truncated_body_does_not_return_its_connection() {
    let short = reply(
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n.NET",
        Then::Close,
    );
    let (error, reused, accepted) = after_a_failed_fetch(&client(), "/1", short, Duration::ZERO);
    assert!(matches!(error, Error::Truncated { .. }), "{error}");
    assert_eq!((reused, accepted), (false, 2));
}

#[test]
fn a_body_cut_by_a_timeout_does_not_return_its_connection() {
    // The first body stalls past the read timeout, then is completed, and
    // the connection stays open. Reused, it would hand its last bytes to
    // the next fetch as the start of a response.
    let stalled = Reply {
        steps: vec![
            send("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n.NET"),
            sleep_ms(600),
            send(".NET"),
        ],
        then: Then::Next,
    };
    let client = Client::builder()
        .read_timeout(Duration::from_millis(200))
        .build();
    let (error, reused, accepted) =
        after_a_failed_fetch(&client, "/1", stalled, Duration::from_millis(600));
    assert!(matches!(error, Error::Timeout { .. }), "{error}");
    assert_eq!((reused, accepted), (false, 2));
}

#[test]
fn an_unread_body_does_not_return_its_connection() {
    // A coding the client cannot decode: an error before the body is read.
    // The rest of that response is still in the connection.
    let unknown = reply(
        "HTTP/1.1 200 OK\r\nContent-Encoding: x-unknown\r\nContent-Length: 4\r\n\r\n.NET",
        Then::Next,
    );
    let (error, reused, accepted) = after_a_failed_fetch(&client(), "/1", unknown, Duration::ZERO);
    assert!(
        matches!(error, Error::UnsupportedEncoding { .. }),
        "{error}"
    );
    assert_eq!((reused, accepted), (false, 2));
}

#[test]
fn an_error_status_with_a_small_body_is_drained_and_its_connection_reused() {
    let not_found = reply(
        "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here!",
        Then::Next,
    );
    let (error, reused, accepted) =
        after_a_failed_fetch(&client(), "/missing", not_found, Duration::ZERO);
    assert!(matches!(error, Error::Status { code: 404, .. }), "{error}");
    assert_eq!((reused, accepted), (true, 1));
}

#[test]
fn an_error_status_with_a_large_body_is_not_drained() {
    let big = "x".repeat(1 << 20);
    let not_found = reply(
        format!(
            "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\n\r\n{big}",
            big.len()
        ),
        Then::Next,
    );
    let (error, reused, accepted) =
        after_a_failed_fetch(&client(), "/missing", not_found, Duration::ZERO);
    assert!(matches!(error, Error::Status { code: 404, .. }), "{error}");
    assert_eq!((reused, accepted), (false, 2));
}

#[test]
fn a_redirect_within_the_origin_reuses_the_connection() {
    let server = KeepAlive::start(|seen| match seen.request.target.as_str() {
        "/old" => reply(
            "HTTP/1.1 301 Moved\r\nLocation: /new\r\nContent-Length: 5\r\n\r\nmoved",
            Then::Next,
        ),
        _ => reply(ok_with_length(".NET"), Then::Next),
    });
    let report = count_with(&client(), &server.url("/old"), ".NET").unwrap();
    assert_eq!((report.count, report.redirects), (1, 1));
    assert!(
        report.reused,
        "the final response came on the first connection"
    );
    assert_eq!(server.accepted(), 1);
}

#[test]
fn a_connection_the_server_closed_while_idle_is_replaced() {
    // The server closes idle connections after 100 ms.
    let server = KeepAlive::start(|_| {
        reply(
            ok_with_length(".NET"),
            Then::NextWithin(Duration::from_millis(100)),
        )
    });
    let client = client();
    assert_eq!(fetch_all(&client, &server, &["/1"]), [false]);
    thread::sleep(Duration::from_millis(400));
    assert_eq!(fetch_all(&client, &server, &["/2"]), [false]);
    assert_eq!(server.accepted(), 2);
    // The closed connection was seen as closed before any request was
    // written to it: each connection read exactly one request.
    assert_eq!(server.arrivals(), [(1, 1), (2, 1)]);
}

#[test]
fn a_reused_connection_closed_after_the_request_is_retried_once_on_a_new_one() {
    // Every connection answers its first request and closes on its second
    // without a word, as a server does that timed out the connection just
    // as the request arrived.
    let server = KeepAlive::start(|seen| match seen.index {
        1 => reply(ok_with_length(".NET"), Then::Next),
        _ => hang_up(),
    });
    let client = client();
    assert_eq!(fetch_all(&client, &server, &["/1", "/2"]), [false, false]);
    assert_eq!(server.accepted(), 2);
    assert_eq!(server.arrivals(), [(1, 1), (1, 2), (2, 1)]);
}

#[test]
fn a_retry_that_fails_too_is_a_clear_error_and_the_last_attempt() {
    // Only the very first request is answered; every later one is met
    // with a close.
    let answered = AtomicUsize::new(0);
    let server = KeepAlive::start(move |_| {
        if answered.fetch_add(1, Ordering::SeqCst) == 0 {
            reply(ok_with_length(".NET"), Then::Next)
        } else {
            hang_up()
        }
    });
    let client = client();
    assert_eq!(fetch_all(&client, &server, &["/1"]), [false]);
    let error = count_with(&client, &server.url("/2"), ".NET").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("closed the connection without a response"),
        "{error}"
    );
    // One retry on one new connection, then the error.
    assert_eq!(server.accepted(), 2);
    assert_eq!(server.arrivals(), [(1, 1), (1, 2), (2, 1)]);
}

#[test]
fn a_fresh_connection_is_not_retried() {
    let server = KeepAlive::start(|_| hang_up());
    let error = count_with(&client(), &server.url("/"), ".NET").unwrap_err();
    assert!(error.to_string().contains("without a response"), "{error}");
    assert_eq!(server.accepted(), 1);
}

#[test]
fn pooling_can_be_turned_off() {
    for off in [
        Client::builder().pool_max_idle_per_origin(0),
        Client::builder().pool_max_idle(0),
        Client::builder().pool_idle_timeout(Duration::ZERO),
    ] {
        let server = KeepAlive::start(|_| reply(ok_with_length(".NET"), Then::Next));
        let reused = fetch_all(&off.build(), &server, &["/1", "/2", "/3"]);
        assert_eq!(reused, [false, false, false]);
        assert_eq!(server.accepted(), 3);
    }
}

#[test]
fn idle_connections_expire() {
    // After the client's idle timeout...
    let server = KeepAlive::start(|_| reply(ok_with_length(".NET"), Then::Next));
    let brief = Client::builder()
        .pool_idle_timeout(Duration::from_millis(100))
        .build();
    assert_eq!(fetch_all(&brief, &server, &["/1"]), [false]);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(fetch_all(&brief, &server, &["/2"]), [false]);
    assert_eq!(server.accepted(), 2);

    // ...or the server's, when it is shorter (it says 1 s, and keeps the
    // connection open anyway).
    let server = KeepAlive::start(|_| {
        reply(
            "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 4\r\n\r\n.NET",
            Then::Next,
        )
    });
    let client = client();
    assert_eq!(fetch_all(&client, &server, &["/1", "/2"]), [false, true]);
    thread::sleep(Duration::from_millis(1100));
    assert_eq!(fetch_all(&client, &server, &["/3"]), [false]);
    assert_eq!(server.accepted(), 2);
}

#[test]
fn concurrent_fetches_use_separate_connections_and_the_pool_keeps_its_bound() {
    let server = KeepAlive::start(|_| {
        Reply {
            // Slow enough that the fetches overlap.
            steps: vec![sleep_ms(100), send(ok_with_length(".NET"))],
            then: Then::Next,
        }
    });
    let client = Client::builder().pool_max_idle_per_origin(1).build();
    let both = |a: &str, b: &str| {
        let (a, b) = (
            netcount::url::Url::parse(&server.url(a)).unwrap(),
            netcount::url::Url::parse(&server.url(b)).unwrap(),
        );
        let (mut ca, mut cb) = (
            netcount::Counter::new(".NET").unwrap(),
            netcount::Counter::new(".NET").unwrap(),
        );
        let (ra, rb) = block_on(futures_lite::future::zip(
            client.count(&a, &mut ca),
            client.count(&b, &mut cb),
        ));
        (ra.unwrap().reused, rb.unwrap().reused)
    };
    assert_eq!(both("/1", "/2"), (false, false));
    assert_eq!(server.accepted(), 2);
    // Only one of the two was kept.
    let (a, b) = both("/3", "/4");
    assert!(a ^ b, "exactly one reused: {a} {b}");
    assert_eq!(server.accepted(), 3);
}

#[cfg(feature = "cli")]
#[test]
fn json_output_says_whether_the_connection_was_reused() {
    let server = KeepAlive::start(|_| reply(ok_with_length(".NET"), Then::Next));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_netcount"))
        .args(["--json", "-j", "1", &server.url("/1"), &server.url("/2")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let reused: Vec<bool> = stdout
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            value["reused"].as_bool().unwrap()
        })
        .collect();
    assert_eq!(reused, [false, true], "{stdout}");
    assert_eq!(server.accepted(), 1);
}

#[cfg(feature = "tls")]
mod tls {
    //! TLS: pooled connections, resumed sessions, certificate errors.

    use std::sync::OnceLock;

    use futures_rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use futures_rustls::rustls::{
        self, HandshakeKind, ServerConfig, ServerConnection, StreamOwned,
    };
    use netcount::TlsFailure;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

    use super::*;

    const NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

    /// A CA (PEM) and a leaf it signed for [`NAMES`] (chain, key).
    struct Pki {
        ca_pem: String,
        chain: Vec<CertificateDer<'static>>,
        key: Vec<u8>,
    }

    fn pki() -> &'static Pki {
        static PKI: OnceLock<Pki> = OnceLock::new();
        PKI.get_or_init(|| {
            let ca_key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params
                .distinguished_name
                .push(DnType::CommonName, "pool test ca");
            let ca = params.self_signed(&ca_key).unwrap();
            let key = KeyPair::generate().unwrap();
            let names = NAMES.map(String::from).to_vec();
            let leaf = CertificateParams::new(names)
                .unwrap()
                .signed_by(&key, &ca, &ca_key)
                .unwrap();
            Pki {
                ca_pem: ca.pem(),
                chain: vec![leaf.der().clone(), ca.der().clone()],
                key: key.serialize_der(),
            }
        })
    }

    /// A TLS server answering every request on a connection with `response`
    /// (closing after it when `close` is set), that records each
    /// handshake's kind and counts the requests per connection.
    struct TlsServer {
        addr: SocketAddr,
        handshakes: Arc<Mutex<Vec<HandshakeKind>>>,
    }

    fn tls_server(
        chain: Vec<CertificateDer<'static>>,
        key: Vec<u8>,
        response: Vec<u8>,
        close: bool,
    ) -> TlsServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key));
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handshakes = Arc::new(Mutex::new(Vec::new()));
        let recorded = handshakes.clone();
        thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, response, recorded) =
                    (config.clone(), response.clone(), recorded.clone());
                thread::spawn(move || {
                    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    let conn = ServerConnection::new(config).unwrap();
                    let mut tls = StreamOwned::new(conn, tcp);
                    let mut first = true;
                    while read_head(&mut tls).is_some() {
                        if first {
                            first = false;
                            let kind = tls.conn.handshake_kind().unwrap();
                            recorded.lock().unwrap().push(kind);
                        }
                        if tls.write_all(&response).and_then(|()| tls.flush()).is_err() {
                            return;
                        }
                        if close {
                            break;
                        }
                    }
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                    let _ = tls.sock.shutdown(Shutdown::Both);
                });
            }
        });
        TlsServer { addr, handshakes }
    }

    fn trusting(builder: netcount::ClientBuilder) -> Client {
        builder
            .timeout(Duration::from_secs(10))
            .add_root_certificates_pem(pki().ca_pem.as_bytes())
            .unwrap()
            .build()
    }

    fn fetch(client: &Client, addr: SocketAddr) -> Result<netcount::Report, Error> {
        count_with(
            client,
            &format!("https://localhost:{}/", addr.port()),
            ".NET",
        )
    }

    #[test]
    fn tls_connections_are_reused() {
        let pki = pki();
        let server = tls_server(
            pki.chain.clone(),
            pki.key.clone(),
            ok_with_length(".NET"),
            false,
        );
        let client = trusting(Client::builder());
        let reused: Vec<bool> = (0..3)
            .map(|_| fetch(&client, server.addr).unwrap().reused)
            .collect();
        assert_eq!(reused, [false, true, true]);
        assert_eq!(server.handshakes.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_new_connection_resumes_the_tls_session() {
        // The server closes after each response, so every fetch needs a new
        // connection; all but the first skip the full handshake.
        let pki = pki();
        let response = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\n.NET";
        let server = tls_server(pki.chain.clone(), pki.key.clone(), response.to_vec(), true);
        let client = trusting(Client::builder());
        for _ in 0..3 {
            assert_eq!(fetch(&client, server.addr).unwrap().count, 1);
        }
        assert_eq!(
            *server.handshakes.lock().unwrap(),
            [
                HandshakeKind::Full,
                HandshakeKind::Resumed,
                HandshakeKind::Resumed
            ]
        );
        // Another client has its own session cache: a full handshake.
        fetch(&trusting(Client::builder()), server.addr).unwrap();
        assert_eq!(
            server.handshakes.lock().unwrap().last(),
            Some(&HandshakeKind::Full)
        );
    }

    fn tls_message(result: Result<netcount::Report, Error>) -> (TlsFailure, String) {
        match result {
            Err(error @ Error::Tls { kind, .. }) => (kind, error.to_string()),
            other => panic!("expected a tls error, got {other:?}"),
        }
    }

    #[test]
    fn an_untrusted_certificate_is_explained() {
        let pki = pki();
        let server = tls_server(
            pki.chain.clone(),
            pki.key.clone(),
            ok_with_length(".NET"),
            false,
        );
        // The default roots do not include the test CA.
        let client = Client::builder().timeout(Duration::from_secs(10)).build();
        let (kind, message) = tls_message(fetch(&client, server.addr));
        assert_eq!(kind, TlsFailure::UntrustedCertificate);
        assert_eq!(
            message,
            "certificate not trusted: the certificate of localhost is self-signed or signed \
             by an unknown authority; if you trust it, pass its ca certificate with \
             --cacert file"
        );
    }

    #[test]
    fn a_ca_certificate_used_as_a_server_certificate_is_explained() {
        // A self-signed certificate marked as a CA, served as the server's
        // own and trusted by the client: webpki refuses it as an end entity.
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(NAMES.map(String::from).to_vec()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        let server = tls_server(
            vec![cert.der().clone()],
            key.serialize_der(),
            ok_with_length(".NET"),
            false,
        );
        let client = Client::builder()
            .timeout(Duration::from_secs(10))
            .add_root_certificates_pem(cert.pem().as_bytes())
            .unwrap()
            .build();
        let (kind, message) = tls_message(fetch(&client, server.addr));
        assert_eq!(kind, TlsFailure::UntrustedCertificate);
        assert!(
            message.contains("localhost presented a ca certificate as its own")
                && message.contains("signed by a ca"),
            "{message}"
        );
        assert!(!message.contains("othererror"), "{message}");
    }
}
