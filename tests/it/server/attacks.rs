//! The attacks of the web API's audit, replayed over loopback: one slow or
//! CPU-heavy request, crowds of idle and slow connections. Each test
//! asserts what the server does, not how fast (`bench/server.sh` measures
//! that).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use netcount::server::Limits;

use super::*;

/// An upstream that answers every request with an endless close-delimited
/// body of `a`, as fast as it is read.
pub(super) struct Endless {
    pub addr: SocketAddr,
    /// Body bytes written so far, over all connections.
    sent: Arc<AtomicU64>,
}

impl Endless {
    pub fn start() -> Endless {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let sent = counter.clone();
                thread::spawn(move || {
                    // Read the head, then send forever.
                    let mut head = Vec::new();
                    let mut byte = [0; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match stream.read(&mut byte) {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let _ =
                        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
                    let block = vec![b'a'; 64 * 1024];
                    while stream.write_all(&block).is_ok() {
                        sent.fetch_add(block.len() as u64, Ordering::SeqCst);
                    }
                });
            }
        });
        Endless { addr, sent }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Waits until at least `bytes` were sent.
    pub fn wait_for(&self, bytes: u64) {
        wait_until(&format!("{bytes} bytes sent"), || self.sent() >= bytes);
    }
}

/// A connection to `addr` from the loopback address `127.0.0.<last>`.
pub(super) fn connect_from(last: u8, addr: SocketAddr) -> TcpStream {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let local = SocketAddr::from(([127, 0, 0, last], 0));
    socket
        .bind(&local.into())
        .unwrap_or_else(|e| panic!("bind {local}: {e}"));
    socket.connect(&addr.into()).unwrap();
    let stream = TcpStream::from(socket);
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

/// `GET /healthz` with `Connection: close` from `127.0.0.<last>`; the
/// status, or `None` if the connection ended without an answer.
fn healthz_from(last: u8, addr: SocketAddr) -> Option<u16> {
    let mut stream = connect_from(last, addr);
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut out = Vec::new();
    stream.read_to_end(&mut out).ok()?;
    let answers = parse_answers(&out, false);
    answers.first().map(|a| a.status)
}

/// One request on an open connection; its answer.
fn ask(stream: &mut TcpStream, head: &[u8]) -> Answer {
    stream.write_all(head).unwrap();
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_lowercase();
            let length: usize = head
                .split("content-length: ")
                .nth(1)
                .and_then(|rest| rest.split("\r\n").next())
                .and_then(|n| n.parse().ok())
                .unwrap();
            if got.len() >= end + 4 + length {
                return parse_answers(&got, false).remove(0);
            }
        }
    }
}

/// Whether the server has closed `stream` (it reads end of file, or an
/// answer and then end of file, within 10 s).
fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).is_ok()
}

/// Whether `stream` is still open: nothing to read, and no end of file.
fn still_open(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let open = matches!(stream.peek(&mut [0; 1]), Err(e) if e.kind() == ErrorKind::WouldBlock);
    stream.set_nonblocking(false).unwrap();
    open
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";

/// Counts at an endless upstream while probing `/healthz`, then stops the
/// server: every probe is answered while the count runs, and the count,
/// which cannot finish, is answered 503 at the end of the grace.
fn count_forever_then_stop(threads: usize, needle: &str) {
    let upstream = Endless::start();
    let mut config = Config::default();
    config.guard.allow_addrs.push(upstream.addr);
    config.limits.upstream_timeout = Duration::from_secs(600);
    config.limits.shutdown_grace = Duration::from_secs(2);
    config.threads = threads;
    let server = start(config);
    let addr = server.addr;
    let target = count_target(&upstream.url(), &format!("&needle={needle}&overlapping=1"));
    let count = thread::spawn(move || get(addr, &target));

    // While it counts, other requests are answered.
    upstream.wait_for(4 << 20);
    for _ in 0..5 {
        assert_eq!(get(addr, "/healthz").status, 200);
    }
    assert!(
        !count.is_finished(),
        "an endless body cannot be counted to its end"
    );

    // At shutdown it cannot finish: it is answered 503, and the server
    // stops.
    server.stop();
    let answer = count.join().unwrap();
    answer.error(503, "shutting_down");
    assert_eq!(answer.header("connection"), Some("close"));
}

#[test]
fn a_count_that_never_waits_leaves_room_for_everyone_else_and_ends_at_shutdown() {
    // A body that is always ready to read: without stepping aside, the
    // count would keep its only thread forever.
    count_forever_then_stop(1, "b");
}

/// The audit's attack: an overlapping needle of 8,000 `a` over a body of
/// `a`, the most work per byte a request can ask for (slow in debug
/// builds; CI runs it in release).
#[test]
#[ignore]
fn a_cpu_heavy_count_leaves_room_for_everyone_else_and_ends_at_shutdown() {
    count_forever_then_stop(2, &"a".repeat(8000));
}

#[test]
fn a_request_still_waiting_upstream_at_the_end_of_the_grace_gets_503() {
    let upstream = serve(vec![Step::Hold(Duration::from_secs(30))]);
    let mut config = config_allowing(&upstream);
    config.limits.upstream_timeout = Duration::from_secs(60);
    config.limits.shutdown_grace = Duration::from_secs(1);
    let server = start(config);
    let addr = server.addr;
    let target = count_target(&upstream.url("/"), "");
    let waiting = thread::spawn(move || get(addr, &target));
    wait_until("the upstream request", || !upstream.requests().is_empty());
    server.stop();
    let answer = waiting.join().unwrap();
    answer.error(503, "shutting_down");
    assert_eq!(answer.header("retry-after"), Some("1"));
}

#[test]
fn one_address_cannot_take_every_place() {
    let mut config = Config::default();
    config.limits.max_connections_per_ip = 2;
    let server = start(config);
    let mut held: Vec<TcpStream> = (0..2).map(|_| connect_from(2, server.addr)).collect();
    for stream in &mut held {
        assert_eq!(ask(stream, HEALTHZ).status, 200);
    }
    // A third connection from the same address is refused...
    let mut third = connect_from(2, server.addr);
    let mut out = Vec::new();
    third.read_to_end(&mut out).unwrap();
    let answers = parse_answers(&out, false);
    let value = answers[0].error(503, "busy");
    assert!(
        value["message"].as_str().unwrap().contains("your address"),
        "{value}"
    );
    // ...while another address is served.
    assert_eq!(healthz_from(3, server.addr), Some(200));
    assert!(held.iter().all(still_open));
}

#[test]
fn a_full_table_closes_the_longest_idle_connection_first() {
    let mut config = Config::default();
    config.limits.max_connections = 4;
    config.limits.max_connections_per_ip = 4;
    let server = start(config);
    // Four kept-alive connections, idle after one request each, oldest
    // first.
    let mut idle: Vec<TcpStream> = Vec::new();
    for _ in 0..4 {
        let mut stream = connect_from(2, server.addr);
        assert_eq!(ask(&mut stream, HEALTHZ).status, 200);
        idle.push(stream);
        thread::sleep(Duration::from_millis(20));
    }
    // A newcomer is served: the oldest idle connection made room.
    assert_eq!(healthz_from(3, server.addr), Some(200));
    assert!(
        closed_by_server(&mut idle[0]),
        "the oldest idle connection was closed"
    );
    assert!(idle[1..].iter().all(still_open));
}

#[test]
fn under_pressure_slow_heads_are_cut_off_with_408() {
    let mut config = Config::default();
    config.limits.max_connections = 4;
    config.limits.max_connections_per_ip = 4;
    config.limits.head_timeout = Duration::from_secs(60);
    config.limits.busy_head_timeout = Duration::from_millis(500);
    let server = start(config);
    // Three heads that never end: three-quarters of the table.
    let mut slow: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut stream = connect_from(2, server.addr);
            stream.write_all(b"GET /healthz HTTP/1.1\r\nX: ").unwrap();
            stream
        })
        .collect();
    // Past the busy head timeout (not the normal one), the next
    // connection cuts them off.
    thread::sleep(Duration::from_millis(1000));
    assert_eq!(healthz_from(3, server.addr), Some(200));
    for stream in &mut slow {
        let mut out = Vec::new();
        stream.read_to_end(&mut out).unwrap();
        let answers = parse_answers(&out, false);
        let value = answers[0].error(408, "request_timeout");
        assert!(
            value["message"].as_str().unwrap().contains("busy"),
            "{value}"
        );
    }
}

#[test]
fn idle_and_slowloris_crowds_from_two_addresses_leave_room_for_a_third() {
    let server = start(Config::default());
    let addr = server.addr;

    // 300 kept-alive connections from 127.0.0.2, idle after one request;
    // those over the address's share are refused.
    let mut crowd = Vec::new();
    let (mut kept, mut refused) = (0, 0);
    for _ in 0..300 {
        let mut stream = connect_from(2, addr);
        stream.write_all(HEALTHZ).unwrap();
        let mut buf = [0; 1024];
        let n = stream.read(&mut buf).unwrap_or(0);
        if buf[..n].starts_with(b"HTTP/1.1 200") {
            kept += 1;
            crowd.push(stream);
        } else {
            assert!(buf[..n].starts_with(b"HTTP/1.1 503"), "{:?}", &buf[..n]);
            refused += 1;
        }
    }
    // 300 slowloris connections from 127.0.0.3: heads that never end.
    for _ in 0..300 {
        let mut stream = connect_from(3, addr);
        let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nX: ");
        crowd.push(stream);
    }

    // A third address is still served.
    let probes = 20;
    let served = (0..probes)
        .filter(|_| healthz_from(4, addr) == Some(200))
        .count();
    eprintln!(
        "idle crowd: {kept} kept, {refused} refused; /healthz from a third address: {served}/{probes}"
    );
    assert!(served * 10 >= probes * 9, "{served} of {probes} served");
    assert_eq!(kept + refused, 300);
    assert!(
        kept <= Limits::default().max_connections_per_ip,
        "{kept} kept"
    );
    drop(crowd);
}
