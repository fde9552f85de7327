//! The web API over real sockets: the server runs in-process on
//! 127.0.0.1:0, upstreams are the scripted servers of `support`.
//!
//! The SSRF tests never let a connection leave loopback: the refusals of
//! loopback targets come first in each test and prove the guard is wired
//! into the client; a non-loopback target is only requested after the
//! guard itself has been asked about it and said no.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
#[cfg(feature = "cli")]
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use netcount::server::{Config, Guard, Server};
use serde_json::Value;

use crate::support::*;

/// A server running on its own thread; stops (gracefully) when dropped.
struct Running {
    addr: SocketAddr,
    stop: Option<smol::channel::Sender<()>>,
    thread: Option<thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Stops the server and waits for it.
    fn stop(mut self) {
        self.stop.take();
        let thread = self.thread.take().unwrap();
        thread.join().unwrap().unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts a server with `config` (its `listen` is replaced by 127.0.0.1:0).
fn start(mut config: Config) -> Running {
    config.listen = "127.0.0.1:0".parse().unwrap();
    let server = smol::block_on(Server::bind(config)).expect("bind");
    let addr = server.local_addr();
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let thread = thread::spawn(move || {
        smol::block_on(server.run_until(async move {
            let _ = stopped.recv().await;
        }))
    });
    Running {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    }
}

/// The default configuration, with the scripted `upstream` exempt from the
/// guard (the `--allow-addr` seam) and short timeouts.
fn config_allowing(upstream: &crate::support::Server) -> Config {
    let mut config = Config::default();
    config.guard.allow_addrs.push(upstream.addr);
    config.limits.upstream_timeout = Duration::from_secs(10);
    config
}

/// One parsed answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not json ({e}): {:?}", self.body))
    }

    /// Checks a JSON error answer and returns it.
    fn error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.header("content-type"), Some("application/json"));
        let value = self.json();
        assert_eq!(value["error"], code, "{self:?}");
        assert!(value["message"].is_string(), "{self:?}");
        value
    }
}

/// Splits a byte stream into answers (each framed by Content-Length).
/// `head_only` marks answers to HEAD, which have no body.
fn parse_answers(mut bytes: &[u8], head_only: bool) -> Vec<Answer> {
    let mut answers = Vec::new();
    while !bytes.is_empty() {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("incomplete head: {:?}", String::from_utf8_lossy(bytes)))
            + 4;
        let head = std::str::from_utf8(&bytes[..end]).unwrap();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
        let status = status_line[9..12].parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.to_string(), v.trim().to_string())
            })
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .expect("content-length");
        let body_len = if head_only { 0 } else { length };
        let body = String::from_utf8(bytes[end..end + body_len].to_vec()).unwrap();
        answers.push(Answer {
            status,
            headers,
            body,
        });
        bytes = &bytes[end + body_len..];
    }
    answers
}

/// Sends `raw` and reads until the server closes.
fn exchange(addr: SocketAddr, raw: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(raw).unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).unwrap_or_else(|e| {
        panic!(
            "read failed ({e}) after {:?}",
            String::from_utf8_lossy(&out)
        )
    });
    out
}

/// One request (with `Connection: close`) and its answer.
fn request(addr: SocketAddr, method: &str, target: &str) -> Answer {
    let raw = format!("{method} {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    let mut answers = parse_answers(&exchange(addr, raw.as_bytes()), method == "HEAD");
    assert_eq!(answers.len(), 1);
    answers.remove(0)
}

fn get(addr: SocketAddr, target: &str) -> Answer {
    request(addr, "GET", target)
}

/// Starts `GET target` on its own thread and returns once `upstream` has
/// the fetch's request: from then on the fetch holds its slot until the
/// upstream answers. The thread returns the answer.
fn get_in_flight(
    addr: SocketAddr,
    target: &str,
    upstream: &crate::support::Server,
) -> thread::JoinHandle<Answer> {
    let target = target.to_string();
    let answer = thread::spawn(move || get(addr, &target));
    wait_until("the upstream request", || !upstream.requests().is_empty());
    answer
}

/// Sends a raw head and parses the single answer.
fn raw(addr: SocketAddr, raw: &[u8]) -> Answer {
    let mut answers = parse_answers(&exchange(addr, raw), false);
    assert_eq!(answers.len(), 1);
    answers.remove(0)
}

/// `url` percent-encoded for a query.
fn encode(url: &str) -> String {
    url.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `/count?url=<url>` plus `extra`.
fn count_target(url: &str, extra: &str) -> String {
    format!("/count?url={}{extra}", encode(url))
}

/// A loopback listener that must never see a connection.
struct Canary(TcpListener);

impl Canary {
    fn new() -> Canary {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Canary(listener)
    }

    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }

    fn assert_untouched(&self) {
        match self.0.accept() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("the canary was connected to: {other:?}"),
        }
    }
}

#[test]
fn healthz_answers_get_and_head() {
    let server = start(Config::default());
    let answer = get(server.addr, "/healthz");
    assert_eq!((answer.status, answer.body.as_str()), (200, "ok\n"));
    assert_eq!(
        answer.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(answer.header("connection"), Some("close"));
    let answer = request(server.addr, "HEAD", "/healthz");
    assert_eq!((answer.status, answer.body.as_str()), (200, ""));
    assert_eq!(answer.header("content-length"), Some("3"));
    server.stop();
}

#[test]
fn count_answers_the_json_report() {
    let upstream = serve(vec![send(ok_with_length("a .NET b .net c .NET aaaa"))]);
    let server = start(config_allowing(&upstream));
    let url = upstream.url("/page");

    let answer = get(server.addr, &count_target(&url, ""));
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let report = answer.json();
    assert_eq!(report["count"], 2);
    assert_eq!(report["bytes"], 25);
    assert_eq!(report["status"], 200);
    assert_eq!(report["redirects"], 0);
    assert_eq!(report["url"], url);
    assert_eq!(report["final_url"], url);

    let answer = get(
        server.addr,
        &count_target(&url, "&needle=.net&ignore_case=1"),
    );
    assert_eq!(answer.json()["count"], 3);
    let answer = get(
        server.addr,
        &count_target(&url, "&needle=aa&overlapping=true"),
    );
    assert_eq!(answer.json()["count"], 3);
    let answer = get(server.addr, &count_target(&url, "&needle=a+.N"));
    assert_eq!(answer.json()["count"], 1);

    // HEAD does the same work: the length is that of the GET body.
    let head = request(server.addr, "HEAD", &count_target(&url, ""));
    assert_eq!(head.status, 200);
    assert_eq!(head.body, "");
    let length: usize = head.header("content-length").unwrap().parse().unwrap();
    assert!(length > 50, "{head:?}");
}

#[test]
fn dotnetcount_counts_dotnet_at_the_default_url() {
    let upstream = serve(vec![send(ok_with_length(".NET, .NET and .net"))]);
    let mut config = config_allowing(&upstream);
    config.default_url = netcount::url::Url::parse(&upstream.url("/")).unwrap();
    let server = start(config);
    let answer = get(server.addr, "/DotNetCount");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.body, "2\n");
    // Any letter case, like the ASP.NET route.
    assert_eq!(get(server.addr, "/dotnetcount").body, "2\n");
    let head = request(server.addr, "HEAD", "/DotNetCount");
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some("2"))
    );
}

#[test]
fn unknown_paths_are_404_and_other_methods_405() {
    let server = start(Config::default());
    get(server.addr, "/nothing").error(404, "not_found");
    get(server.addr, "/").error(404, "not_found");
    for (method, path) in [
        ("POST", "/healthz"),
        ("DELETE", "/count"),
        ("PUT", "/DotNetCount"),
    ] {
        let answer = request(server.addr, method, path);
        answer.error(405, "method_not_allowed");
        assert_eq!(answer.header("allow"), Some("GET, HEAD"));
    }
}

#[test]
fn bad_requests_are_400() {
    let server = start(Config::default());
    for target in [
        "/count",
        "/count?needle=x",
        "/count?url=ftp%3A%2F%2Fa%2F",
        "/count?url=http%3A%2F%2Fa%2F&needle=",
        "/count?url=http%3A%2F%2Fa%2F&ignorecase=1",
        "/count?url=http%3A%2F%2Fa%2F&overlapping=2",
        "/count?url=http%3A%2F%2Fa%2F&url=http%3A%2F%2Fb%2F",
        "/count?url=%zz",
    ] {
        get(server.addr, target).error(400, "bad_request");
    }
    for head in [
        &b"GET /healthz HTTP/1.1\r\n\r\n"[..],
        b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
    ] {
        raw(server.addr, head).error(400, "bad_request");
    }
}

#[test]
fn versions_bodies_and_sizes_have_their_statuses() {
    let server = start(Config::default());
    raw(server.addr, b"GET /healthz HTTP/2.0\r\nHost: a\r\n\r\n")
        .error(505, "http_version_not_supported");
    raw(
        server.addr,
        b"POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    )
    .error(413, "content_too_large");
    raw(
        server.addr,
        b"POST /count HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    .error(413, "content_too_large");

    // A request line that does not fit in 8 KiB: 414.
    let long = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(9000));
    raw(server.addr, long.as_bytes()).error(414, "uri_too_long");
    // A head over 8 KiB: 431.
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "b".repeat(9000)
    );
    raw(server.addr, big.as_bytes()).error(431, "header_fields_too_large");
    // 65 fields: 431.
    let mut many = String::from("GET /healthz HTTP/1.1\r\nHost: a\r\n");
    for i in 0..64 {
        many.push_str(&format!("X-{i}: 1\r\n"));
    }
    many.push_str("\r\n");
    raw(server.addr, many.as_bytes()).error(431, "header_fields_too_large");
    // 64 fields (Host, 62 others, Connection) are fine.
    let fine = many
        .replacen("X-0: 1\r\n", "", 1)
        .replacen("X-1: 1\r\n", "", 1)
        .replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");
    assert_eq!(raw(server.addr, fine.as_bytes()).status, 200);
}

#[test]
fn a_slowloris_client_is_cut_off_with_408() {
    let mut config = Config::default();
    config.limits.head_timeout = Duration::from_secs(2);
    let server = start(config);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // One byte per second, a head that never ends.
    let mut writer = stream.try_clone().unwrap();
    let dripper = thread::spawn(move || {
        let drip = b"GET /healthz HTTP/1.1\r\nHost: a\r\nX: "
            .iter()
            .chain([b'a'].iter().cycle());
        for byte in drip.take(60) {
            if writer.write_all(&[*byte]).is_err() {
                return true;
            }
            thread::sleep(Duration::from_secs(1));
        }
        false
    });
    let mut out = Vec::new();
    stream
        .read_to_end(&mut out)
        .expect("a clean close after the 408");
    let answers = parse_answers(&out, false);
    assert_eq!(answers.len(), 1);
    answers[0].error(408, "request_timeout");
    assert_eq!(answers[0].header("connection"), Some("close"));
    // The dripper finds the connection closed long before it runs out.
    assert!(dripper.join().unwrap(), "the connection stayed open");
}

#[test]
fn upstream_failures_are_502_and_504() {
    let upstream = serve_with(|request| match request.target.as_str() {
        "/missing" => vec![send("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")],
        "/short" => vec![send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")],
        "/zstd" => vec![send(
            "HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\nContent-Length: 3\r\n\r\nabc",
        )],
        _ => vec![Step::Hold(Duration::from_secs(5))],
    });
    let mut config = config_allowing(&upstream);
    config.limits.upstream_timeout = Duration::from_secs(1);
    let server = start(config);

    let answer = get(server.addr, &count_target(&upstream.url("/missing"), ""));
    let value = answer.error(502, "status");
    assert_eq!(value["upstream_status"], 404);
    let value =
        get(server.addr, &count_target(&upstream.url("/short"), "")).error(502, "truncated");
    assert!(value.get("upstream_status").is_none());
    get(server.addr, &count_target(&upstream.url("/zstd"), "")).error(502, "unsupported_encoding");
    get(server.addr, &count_target(&upstream.url("/stall"), "")).error(504, "timeout");

    // Nothing listens: 502 connect (the canary's port, seam-exempted, on
    // a listener that is then closed).
    let closed = Canary::new();
    let port = closed.port();
    drop(closed);
    let mut config = Config::default();
    config
        .guard
        .allow_addrs
        .push(SocketAddr::from(([127, 0, 0, 1], port)));
    let server = start(config);
    get(
        server.addr,
        &count_target(&format!("http://127.0.0.1:{port}/"), ""),
    )
    .error(502, "connect");
}

#[test]
fn the_ssrf_guard_refuses_before_connecting() {
    let server = start(Config::default());
    let canary = Canary::new();
    let port = canary.port();

    // Loopback targets first: these prove the guard runs inside the client.
    for url in [
        "http://127.0.0.1/".to_string(),
        "http://localhost/".to_string(),
        "http://[::1]/".to_string(),
        "http://[::ffff:127.0.0.1]/".to_string(),
        "http://[::127.0.0.1]/".to_string(),
        "http://0.0.0.0/".to_string(),
        format!("http://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
    ] {
        let value = get(server.addr, &count_target(&url, "")).error(403, "address_not_allowed");
        assert!(
            value["message"].as_str().unwrap().contains("not allowed"),
            "{value}"
        );
    }
    canary.assert_untouched();

    // Non-loopback targets: asked only once the guard itself refuses them.
    let guard = Guard::default();
    for (url, addr) in [
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254:80",
        ),
        ("http://10.0.0.1/", "10.0.0.1:80"),
        ("https://192.168.1.1/", "192.168.1.1:443"),
        ("http://[fd00::1]/", "[fd00::1]:80"),
        ("http://[64:ff9b::a00:1]/", "[64:ff9b::a00:1]:80"),
        ("http://8.8.8.8:8080/", "8.8.8.8:8080"),
    ] {
        assert!(guard.check("h", addr.parse().unwrap()).is_err(), "{addr}");
        let answer = get(server.addr, &count_target(url, ""));
        if url.starts_with("https:") && cfg!(not(feature = "tls")) {
            // A build without TLS refuses https before it gets that far.
            answer.error(502, "tls_unavailable");
        } else {
            answer.error(403, "address_not_allowed");
        }
    }
}

#[test]
fn a_redirect_to_a_private_address_is_refused() {
    let canary = Canary::new();
    let port = canary.port();
    let upstream = serve_with(move |request| {
        let location = match request.target.as_str() {
            "/to-loopback" => format!("http://127.0.0.1:{port}/"),
            "/to-localhost" => format!("http://localhost:{port}/"),
            "/to-metadata" => "http://169.254.169.254/latest/meta-data/".to_string(),
            _ => return vec![send(ok_with_length(".NET"))],
        };
        vec![send(format!(
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
        ))]
    });
    let server = start(config_allowing(&upstream));

    // The seam: the allowed upstream itself is fetched.
    assert_eq!(
        get(server.addr, &count_target(&upstream.url("/"), "")).status,
        200
    );

    for path in ["/to-loopback", "/to-localhost"] {
        let value = get(server.addr, &count_target(&upstream.url(path), ""))
            .error(403, "address_not_allowed");
        assert!(
            value["message"]
                .as_str()
                .unwrap()
                .contains(&port.to_string()),
            "{value}"
        );
    }
    canary.assert_untouched();

    assert!(Guard::default()
        .check("h", "169.254.169.254:80".parse().unwrap())
        .is_err());
    get(
        server.addr,
        &count_target(&upstream.url("/to-metadata"), ""),
    )
    .error(403, "address_not_allowed");
}

#[test]
fn allow_host_and_allow_private() {
    let upstream = serve(vec![send(ok_with_length(".NET"))]);
    let url = upstream.url("/");

    // A host off the list is refused, even at an exempt address.
    let mut config = config_allowing(&upstream);
    config.guard.allow_hosts = vec!["a.example".into()];
    let server = start(config);
    get(server.addr, &count_target(&url, "")).error(403, "address_not_allowed");
    drop(server);

    // On the list and exempt: fetched.
    let mut config = config_allowing(&upstream);
    config.guard.allow_hosts = vec!["127.0.0.1".into()];
    let server = start(config);
    assert_eq!(get(server.addr, &count_target(&url, "")).json()["count"], 1);
    drop(server);

    // --allow-private: no exemption needed.
    let mut config = Config::default();
    config.guard.allow_private = true;
    let server = start(config);
    assert_eq!(get(server.addr, &count_target(&url, "")).json()["count"], 1);
}

#[test]
fn keep_alive_and_pipelining_are_capped_at_100_requests() {
    let server = start(Config::default());

    // Two requests, one after the other, on one connection.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    for _ in 0..2 {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        let mut buf = vec![0; 4096];
        let mut got = Vec::new();
        while !got.ends_with(b"ok\n") {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "closed early: {:?}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
        let answers = parse_answers(&got, false);
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].header("connection"), None);
    }
    drop(stream);

    // 101 pipelined in one write: 100 answers, the last says close.
    let pipelined = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n".repeat(101);
    let answers = parse_answers(&exchange(server.addr, pipelined.as_bytes()), false);
    assert_eq!(answers.len(), 100);
    assert!(answers.iter().all(|a| a.status == 200 && a.body == "ok\n"));
    assert!(answers[..99]
        .iter()
        .all(|a| a.header("connection").is_none()));
    assert_eq!(answers[99].header("connection"), Some("close"));

    // Mixed routes and methods, pipelined.
    let mixed = b"HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    let bytes = exchange(server.addr, mixed);
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let first = parse_answers(&bytes[..head_end], true);
    assert_eq!(first[0].status, 200);
    let rest = parse_answers(&bytes[head_end..], false);
    assert_eq!(
        rest.iter().map(|a| a.status).collect::<Vec<_>>(),
        [404, 200]
    );
}

#[test]
fn connections_over_the_limit_get_503_and_are_closed() {
    let mut config = Config::default();
    config.limits.max_connections = 2;
    // Slow heads keep their place here: this test is about the limit.
    config.limits.busy_head_timeout = Duration::from_secs(60);
    let server = start(config);
    // Two connections in the middle of a head: neither idle nor done, so
    // neither makes room.
    let held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = TcpStream::connect(server.addr).unwrap();
            stream.write_all(b"GET /healthz HTTP/1.1\r\n").unwrap();
            stream
        })
        .collect();
    // Once both hold a place, a third is refused.
    let mut answer = get(server.addr, "/healthz");
    for _ in 0..50 {
        if answer.status == 503 {
            break;
        }
        thread::sleep(Duration::from_millis(100));
        answer = get(server.addr, "/healthz");
    }
    answer.error(503, "busy");
    assert_eq!(answer.header("retry-after"), Some("1"));
    // Finishing their heads, they are answered and stay open (idle).
    for mut stream in &held {
        stream.write_all(b"Host: a\r\n\r\n").unwrap();
        let mut buf = [0; 512];
        let n = stream.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    }
    drop(held);
    // Once they close, there is room again (the server notices the close
    // while waiting for their next request).
    let mut status = 0;
    for _ in 0..50 {
        status = get(server.addr, "/healthz").status;
        if status == 200 {
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(status, 200);
}

#[test]
fn fetches_over_the_limit_wait_then_get_503() {
    let upstream = serve(vec![Step::Hold(Duration::from_secs(4))]);
    let mut config = config_allowing(&upstream);
    config.limits.max_fetches = 1;
    config.limits.fetch_wait = Duration::from_millis(300);
    config.limits.upstream_timeout = Duration::from_secs(3);
    let server = start(config);
    let target = count_target(&upstream.url("/"), "");
    let addr = server.addr;
    let first = get_in_flight(addr, &target, &upstream);
    // Once the first fetch holds the only slot, the second (another
    // needle, so it cannot share the first's fetch) cannot get it.
    let answer = get(addr, &format!("{target}&needle=x"));
    answer.error(503, "busy");
    assert_eq!(answer.header("retry-after"), Some("1"));
    first.join().unwrap().error(504, "timeout");
    assert_eq!(upstream.requests().len(), 1);
}

#[test]
fn five_hundred_concurrent_connections_are_served_or_refused_cleanly() {
    let upstream = serve(vec![sleep_ms(100), send(ok_with_length("x .NET x"))]);
    let mut config = config_allowing(&upstream);
    config.limits.max_connections = 100;
    // All from one address: the per-address cap would be the limit.
    config.limits.max_connections_per_ip = 100;
    let server = start(config);
    let addr = server.addr;
    let target = count_target(&upstream.url("/"), "");
    let raw = format!("GET {target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

    let results: Vec<Result<Vec<u8>, String>> = smol::block_on(async {
        let tasks: Vec<_> = (0..500)
            .map(|_| {
                let raw = raw.clone();
                smol::spawn(async move {
                    use futures_lite::{AsyncReadExt, AsyncWriteExt};
                    let work = async {
                        let mut stream = smol::net::TcpStream::connect(addr).await?;
                        stream.write_all(raw.as_bytes()).await?;
                        let mut out = Vec::new();
                        stream.read_to_end(&mut out).await?;
                        Ok::<_, std::io::Error>(out)
                    };
                    let expired = async {
                        smol::Timer::after(Duration::from_secs(120)).await;
                        Err(std::io::Error::new(ErrorKind::TimedOut, "no answer"))
                    };
                    futures_lite::future::or(work, expired)
                        .await
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await);
        }
        results
    });

    let (mut served, mut refused) = (0, 0);
    for result in results {
        let bytes = result.expect("every connection ends cleanly");
        let answers = parse_answers(&bytes, false);
        assert_eq!(answers.len(), 1);
        match answers[0].status {
            200 => {
                assert_eq!(answers[0].json()["count"], 1);
                served += 1;
            }
            _ => {
                answers[0].error(503, "busy");
                refused += 1;
            }
        }
    }
    eprintln!("500 connections: {served} served, {refused} refused with 503");
    assert_eq!(served + refused, 500);
    assert!(served >= 100, "{served} served");
}

#[test]
fn shutdown_lets_answers_in_progress_finish() {
    let upstream = serve(vec![sleep_ms(500), send(ok_with_length(".NET"))]);
    let server = start(config_allowing(&upstream));
    let addr = server.addr;
    let target = count_target(&upstream.url("/"), "");
    let slow = thread::spawn(move || get(addr, &target));
    // An idle keep-alive connection is closed at shutdown.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut buf = [0; 512];
    assert!(idle.read(&mut buf).unwrap() > 0);

    wait_until("the upstream request", || !upstream.requests().is_empty());
    server.stop();
    assert_eq!(slow.join().unwrap().json()["count"], 1);
    assert_eq!(
        idle.read(&mut buf).unwrap(),
        0,
        "the idle connection closed"
    );
    assert!(TcpStream::connect(addr).is_err(), "no longer accepting");
}

/// The real binary: `netcount serve`, stopped with SIGTERM.
#[cfg(feature = "cli")]
#[test]
fn the_serve_command_serves_and_stops_on_sigterm() {
    let upstream = serve(vec![send(ok_with_length(".NET .NET"))]);
    let args = [
        "--allow-addr".to_string(),
        upstream.addr.to_string(),
        "--default-url".to_string(),
        upstream.url("/"),
    ];
    let (child, addr, stderr) = serve_command(&args);

    assert_eq!(get(addr, "/healthz").body, "ok\n");
    assert_eq!(get(addr, "/DotNetCount").body, "2\n");
    get(addr, &count_target("http://127.0.0.1/", "")).error(403, "address_not_allowed");

    if let Some(rest) = terminate(child, stderr) {
        assert!(rest.contains("shutting down"), "{rest}");
        assert!(rest.contains("stopped"), "{rest}");
    }
}

/// `netcount serve` with `args`, its address and its stderr.
#[cfg(feature = "cli")]
fn serve_command(args: &[String]) -> (Child, SocketAddr, std::process::ChildStderr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netcount"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .expect("run netcount serve");
    let mut stderr = child.stderr.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0; 1];
    while !line.ends_with(b"\n") {
        assert_eq!(stderr.read(&mut byte).unwrap(), 1, "{line:?}");
        line.push(byte[0]);
    }
    let line = String::from_utf8(line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("netcount: serving on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap();
    (child, addr, stderr)
}

/// Stops `child` with SIGTERM and returns the rest of its stderr, or
/// `None` (said loudly) without a `kill` command.
#[cfg(feature = "cli")]
fn terminate(mut child: Child, mut stderr: std::process::ChildStderr) -> Option<String> {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    if !matches!(killed, Ok(status) if status.success()) {
        eprintln!("SKIPPED: stopping the server needs the `kill` command");
        child.kill().unwrap();
        child.wait().unwrap();
        return None;
    }
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    Some(rest)
}

/// Runs the binary with each of `runs` and checks that every one is a
/// usage error: exit code 2 and a message that starts with `netcount: `.
#[cfg(feature = "cli")]
fn assert_usage_errors(runs: &[&[&str]]) {
    for args in runs {
        let output = netcount(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(err.starts_with("netcount: "), "{err}");
    }
}

#[cfg(feature = "cli")]
#[test]
fn the_serve_command_refuses_bad_flags() {
    assert_usage_errors(&[
        &["serve", "--bogus"],
        &["serve", "--listen", "nowhere"],
        &["serve", "--max-connections", "0"],
        &["serve", "--allow-addr", "127.0.0.1"],
        &["serve", "--default-url", "ftp://a/"],
        &["serve", "--head-timeout", "-1"],
    ]);
    let output = netcount(&["serve", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("--allow-addr"));
}

mod answers;
mod attacks;
mod operations;
#[cfg(feature = "regex")]
mod patterns;
