//! The answers the audit found wrong, and the loop guard.

use socket2::{Domain, Socket, Type};

use super::*;

#[test]
fn a_redirect_to_an_unusable_location_is_the_upstreams_fault() {
    let upstream = serve_with(|request| {
        let location = match request.target.as_str() {
            "/ftp" => "ftp://files.example/",
            _ => "http://[not-an-address/",
        };
        vec![send(format!(
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
        ))]
    });
    let server = start(config_allowing(&upstream));
    for path in ["/ftp", "/bracket"] {
        let value =
            get(server.addr, &count_target(&upstream.url(path), "")).error(502, "invalid_redirect");
        assert!(
            value["message"]
                .as_str()
                .unwrap()
                .contains("upstream redirected"),
            "{value}"
        );
    }
}

#[test]
fn an_upstream_connect_timeout_is_504() {
    // A black hole: a full accept queue, so connects hang (see
    // tests/it/eyeballs.rs).
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    listener.listen(0).unwrap();
    let hole = listener.local_addr().unwrap().as_socket().unwrap();
    let _queued = TcpStream::connect(hole).unwrap();
    if TcpStream::connect_timeout(&hole, Duration::from_millis(300))
        .map_err(|e| e.kind())
        .err()
        != Some(ErrorKind::TimedOut)
    {
        eprintln!("SKIPPED: connects to a full accept queue do not hang here");
        return;
    }

    let mut config = Config::default();
    config.guard.allow_addrs.push(hole);
    config.limits.connect_timeout = Duration::from_millis(300);
    config.limits.upstream_timeout = Duration::from_secs(30);
    let server = start(config);
    let value =
        get(server.addr, &count_target(&format!("http://{hole}/"), "")).error(504, "connect");
    assert!(
        value["message"].as_str().unwrap().contains("timed out"),
        "{value}"
    );
}

#[test]
fn a_request_that_waited_out_its_fetch_slot_gets_503_and_no_connection() {
    // The fetch wait is longer than the whole upstream deadline.
    let upstream = serve(vec![Step::Hold(Duration::from_secs(30))]);
    let mut config = config_allowing(&upstream);
    config.limits.max_fetches = 1;
    config.limits.upstream_timeout = Duration::from_secs(4);
    config.limits.fetch_wait = Duration::from_secs(60);
    let server = start(config);
    let addr = server.addr;
    let target = count_target(&upstream.url("/"), "");
    let first = get_in_flight(addr, &target, &upstream);
    // Another needle: it cannot share the first request's fetch.
    let answer = get(addr, &format!("{target}&needle=x"));
    answer.error(503, "busy");
    first.join().unwrap().error(504, "timeout");
    assert_eq!(
        upstream.requests().len(),
        1,
        "the second request never went upstream"
    );
}

#[test]
fn ipv6_loopback_is_refused_as_loopback() {
    let server = start(Config::default());
    for url in ["http://[::1]/", "http://[::1]:8080/x"] {
        let value = get(server.addr, &count_target(url, "")).error(403, "address_not_allowed");
        let message = value["message"].as_str().unwrap();
        if url.contains(":8080") {
            assert!(message.contains("port 8080"), "{message}");
        } else {
            assert!(message.contains("::1/128 (loopback address)"), "{message}");
        }
        assert!(!message.contains("0.0.0.0"), "{message}");
    }
}

#[test]
fn a_refusal_for_a_host_name_does_not_say_what_it_resolved_to() {
    let server = start(Config::default());
    let value =
        get(server.addr, &count_target("http://localhost/", "")).error(403, "address_not_allowed");
    let message = value["message"].as_str().unwrap();
    assert!(
        message.contains("localhost resolves to an address"),
        "{message}"
    );
    for address in ["127.0.0.1", "::1", "127.0.0.0/8", "loopback"] {
        assert!(!message.contains(address), "{message}");
    }
}

#[test]
fn empty_lines_before_a_request_line_are_ignored() {
    let server = start(Config::default());
    let answers = parse_answers(
        &exchange(
            server.addr,
            b"\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        ),
        false,
    );
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [200, 200]);
}

#[test]
fn a_host_list_is_400() {
    let server = start(Config::default());
    for head in [
        &b"GET /healthz HTTP/1.1\r\nHost: a, b\r\n\r\n"[..],
        b"GET /healthz HTTP/1.1\r\nHost: a,b\r\n\r\n",
    ] {
        let value = raw(server.addr, head).error(400, "bad_request");
        assert!(
            value["message"].as_str().unwrap().contains("host"),
            "{value}"
        );
    }
}

#[test]
fn upstream_requests_say_via_netcount_and_our_own_come_back_as_508() {
    let upstream = serve(vec![send(ok_with_length(".NET"))]);
    let server = start(config_allowing(&upstream));
    assert_eq!(
        get(server.addr, &count_target(&upstream.url("/"), "")).status,
        200
    );
    let via = upstream.requests()[0]
        .header("via")
        .expect("a via header")
        .to_string();
    let token = via
        .strip_prefix("1.1 netcount-")
        .unwrap_or_else(|| panic!("{via}"));
    assert!(
        token.len() == 16 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "{via}"
    );

    // A request carrying it is refused before any fetch, on every route.
    for target in [count_target(&upstream.url("/"), ""), "/healthz".to_string()] {
        let head = format!(
            "GET {target} HTTP/1.1\r\nHost: a\r\nVia: 1.0 proxy, {via}\r\nConnection: close\r\n\r\n"
        );
        raw(server.addr, head.as_bytes()).error(508, "loop_detected");
    }
    assert_eq!(upstream.requests().len(), 1);

    // Another server's token is not ours: it is passed on, with ours
    // after it.
    let head = format!(
        "GET {} HTTP/1.1\r\nHost: a\r\nVia: 1.1 netcount-0000000000000000\r\nConnection: close\r\n\r\n",
        count_target(&upstream.url("/"), "&needle=N")
    );
    assert_eq!(raw(server.addr, head.as_bytes()).status, 200);
    assert_eq!(
        upstream.requests()[1].header("via"),
        Some(format!("1.1 netcount-0000000000000000, {via}").as_str())
    );
}

#[test]
fn a_server_that_can_reach_itself_does_not_fetch_itself_in_a_loop() {
    let mut config = Config::default();
    config.guard.allow_private = true;
    let server = start(config);
    // /count?url=http://self/count?url=http://self/... 40 deep (a query
    // may hold `:`, `/` and `?` as they are).
    let own = format!("http://{}/count?url=", server.addr);
    let target = format!(
        "/count?url={}http://{}/healthz",
        own.repeat(40),
        server.addr
    );
    let answer = get(server.addr, &target);
    let value = answer.error(502, "status");
    assert_eq!(value["upstream_status"], 508);
    // Two requests in all: this one, and its one fetch of itself.
    let metrics = get(server.addr, "/metrics").body;
    assert!(
        metrics.contains("netcount_requests_total{route=\"count\",status=\"508\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("netcount_requests_total{route=\"count\",status=\"502\"} 1\n"),
        "{metrics}"
    );
}
