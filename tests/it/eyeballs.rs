//! Happy Eyeballs and the resolver hook, over loopback.
//!
//! A dead address is a *black hole*: a listener with a backlog of 0 that
//! never accepts, whose one-place accept queue is already taken by a
//! connection made here. Linux then drops further SYNs to it (it does not
//! answer with RST unless `net.ipv4.tcp_abort_on_overflow` is set), so a
//! connect to it neither succeeds nor fails: it hangs, like a route that
//! goes nowhere. [`black_hole`] checks that this holds before a test relies
//! on it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use netcount::{Client, Error, Resolver};
use socket2::{Domain, Socket, Type};

use crate::support::*;

/// A loopback address whose connects hang.
struct BlackHole {
    addr: SocketAddr,
    /// Listening, never accepting.
    _listener: Socket,
    /// Fills the accept queue.
    _queued: TcpStream,
}

/// Makes a black hole on `ip`, and checks that a connect to it hangs.
fn black_hole(ip: IpAddr) -> BlackHole {
    let listener = Socket::new(
        Domain::for_address(SocketAddr::new(ip, 0)),
        Type::STREAM,
        None,
    )
    .expect("create a socket");
    listener
        .bind(&SocketAddr::new(ip, 0).into())
        .expect("bind a loopback port");
    listener.listen(0).expect("listen with a backlog of 0");
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let queued = TcpStream::connect(addr).expect("the first connect fills the accept queue");
    match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
        Err(error) if error.kind() == io::ErrorKind::TimedOut => {}
        other => panic!(
            "a full accept queue on {addr} should drop SYNs so that connects hang, got {other:?}; \
             this platform needs another way to make a black hole"
        ),
    }
    BlackHole {
        addr,
        _listener: listener,
        _queued: queued,
    }
}

/// A loopback address where nothing listens: connects are refused at once.
fn refused(ip: IpAddr) -> SocketAddr {
    let listener = TcpListener::bind(SocketAddr::new(ip, 0)).unwrap();
    listener.local_addr().unwrap()
}

/// Whether `[::1]` can be used here; says so loudly when it cannot.
fn ipv6_loopback(test: &str) -> bool {
    match TcpListener::bind("[::1]:0") {
        Ok(_) => true,
        Err(error) => {
            eprintln!("SKIPPED: {test} needs the IPv6 loopback [::1] ({error}); it did not run");
            false
        }
    }
}

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// A resolver that answers `addrs` for every name.
fn always(addrs: Vec<SocketAddr>) -> Resolver {
    Resolver::new(move |_, _| {
        let addrs = addrs.clone();
        async move { Ok(addrs) }
    })
}

/// A client whose connect timeout (30 s) is far beyond its total timeout
/// (5 s): a fetch that waited for a dead address's connect timeout before
/// trying the next address would fail.
fn racing_client(resolver: Resolver) -> Client {
    Client::builder()
        .resolver(resolver)
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(5))
        .build()
}

#[test]
fn a_dead_first_address_loses_to_a_live_second() {
    let dead = black_hole(V4);
    let live = serve(vec![send(ok_with_length(".NET .NET"))]);
    let client = racing_client(always(vec![dead.addr, live.addr]));

    let report = count_with(&client, "http://dual.test/page", ".NET")
        .unwrap_or_else(|error| panic!("the live address should have won: {error}"));

    assert_eq!(report.count, 2);
    let requests = live.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].target, "/page");
    assert_eq!(requests[0].header("host"), Some("dual.test"));
}

#[test]
fn a_dead_ipv6_address_loses_to_a_live_ipv4_one() {
    if !ipv6_loopback("a_dead_ipv6_address_loses_to_a_live_ipv4_one") {
        return;
    }
    let dead = black_hole(V6);
    let live = serve(vec![send(ok_with_length(".NET"))]);
    let client = racing_client(always(vec![dead.addr, live.addr]));

    let report = count_with(&client, "http://dual.test/", ".NET")
        .unwrap_or_else(|error| panic!("ipv4 should have won: {error}"));

    assert_eq!(report.count, 1);
    assert_eq!(live.requests().len(), 1);
}

#[test]
fn attempts_alternate_address_families() {
    if !ipv6_loopback("attempts_alternate_address_families") {
        return;
    }
    let (a6, b6, c4) = (refused(V6), refused(V6), refused(V4));
    let client = racing_client(always(vec![a6, b6, c4]));

    let error = count_with(&client, "http://dual.test/", ".NET").unwrap_err();

    let Error::Connect { ref tried, .. } = error else {
        panic!("expected a connect error, got: {error}");
    };
    let order: Vec<SocketAddr> = tried.iter().map(|(addr, _)| *addr).collect();
    assert_eq!(order, [a6, c4, b6], "{error}");
}

#[test]
fn the_error_lists_every_address_and_what_happened_to_it() {
    let closed = refused(V4);
    let dead = black_hole(V4);
    let client = Client::builder()
        .resolver(always(vec![closed, dead.addr]))
        .connect_timeout(Duration::from_millis(500))
        .timeout(Duration::from_secs(10))
        .build();

    let error = count_with(&client, "http://two.test:8080/", ".NET").unwrap_err();

    let message = error.to_string();
    let Error::Connect {
        ref host,
        port,
        ref tried,
    } = error
    else {
        panic!("expected a connect error, got: {message}");
    };
    assert_eq!((host.as_str(), port), ("two.test", 8080));
    let outcomes: Vec<(SocketAddr, io::ErrorKind)> =
        tried.iter().map(|(addr, e)| (*addr, e.kind())).collect();
    assert_eq!(
        outcomes,
        [
            (closed, io::ErrorKind::ConnectionRefused),
            (dead.addr, io::ErrorKind::TimedOut)
        ],
        "{message}"
    );
    assert!(
        message.starts_with("cannot connect to two.test port 8080: "),
        "{message}"
    );
    assert!(message.contains(&closed.to_string()), "{message}");
    assert!(message.contains(&dead.addr.to_string()), "{message}");
    assert!(
        message.contains("connect timed out after 500ms"),
        "{message}"
    );
    let source = std::error::Error::source(&error).expect("a connect error has a source");
    assert!(
        source.to_string().to_lowercase().contains("refused"),
        "{source}"
    );
}

#[test]
fn the_resolver_gets_the_host_and_port_of_every_hop() {
    let second = serve(vec![send(ok_with_length(".NET"))]);
    let first = serve(vec![send(
        "HTTP/1.1 302 Found\r\nLocation: http://second.test:8080/next\r\nContent-Length: 0\r\n\r\n",
    )]);
    let asked = Arc::new(Mutex::new(Vec::new()));
    let resolver = {
        let asked = asked.clone();
        let (first, second) = (first.addr, second.addr);
        Resolver::new(move |host: String, port| {
            asked.lock().unwrap().push((host.clone(), port));
            async move {
                match host.as_str() {
                    "first.test" => Ok(vec![first]),
                    "second.test" => Ok(vec![second]),
                    _ => Err(io::Error::new(io::ErrorKind::NotFound, "unknown name")),
                }
            }
        })
    };

    let report = count_with(&racing_client(resolver), "http://first.test/", ".NET").unwrap();

    assert_eq!(report.count, 1);
    assert_eq!(report.final_url.to_string(), "http://second.test:8080/next");
    assert_eq!(
        *asked.lock().unwrap(),
        [
            ("first.test".to_string(), 80),
            ("second.test".to_string(), 8080)
        ]
    );
    assert_eq!(second.requests()[0].target, "/next");
}

#[test]
fn ip_literals_do_not_ask_the_resolver() {
    let server = serve(vec![send(ok_with_length(".NET"))]);
    let asked = Arc::new(Mutex::new(0));
    let resolver = {
        let asked = asked.clone();
        Resolver::new(move |_, _| {
            *asked.lock().unwrap() += 1;
            async { Ok(Vec::new()) }
        })
    };

    let report = count_with(&racing_client(resolver), &server.url("/"), ".NET").unwrap();

    assert_eq!(report.count, 1);
    assert_eq!(*asked.lock().unwrap(), 0);
}

#[test]
fn a_failed_or_empty_lookup_is_a_resolve_error() {
    let failing = Resolver::new(|_, _| async {
        Err(io::Error::new(io::ErrorKind::NotFound, "no such name here"))
    });
    let error = count_with(&racing_client(failing), "http://missing.test/", ".NET").unwrap_err();
    assert!(
        matches!(error, Error::Resolve { ref host, .. } if host == "missing.test"),
        "{error}"
    );
    assert!(error.to_string().contains("no such name here"), "{error}");

    let empty = always(Vec::new());
    let error = count_with(&racing_client(empty), "http://empty.test/", ".NET").unwrap_err();
    assert!(
        matches!(error, Error::Resolve { ref host, .. } if host == "empty.test"),
        "{error}"
    );
    assert!(error.to_string().contains("no addresses found"), "{error}");
}
