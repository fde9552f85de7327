//! The HTTP client against scripted servers on loopback.

use std::time::{Duration, Instant};

use netcount::{Error, ProtocolErrorKind, TimeoutPhase, TruncationKind};

use crate::support::*;

const PAGE: &str = "<html>.NET is here. And .NET there. .NE</html>";

fn expect_count(result: Result<netcount::Report, Error>) -> u64 {
    match result {
        Ok(report) => report.count,
        Err(error) => panic!("expected a count, got error: {error}"),
    }
}

fn expect_error(result: Result<netcount::Report, Error>) -> Error {
    match result {
        Ok(report) => panic!("expected an error, got a count: {report:?}"),
        Err(error) => error,
    }
}

/// Checks that `error` is a timeout in `phase`.
fn assert_timeout(error: &Error, phase: TimeoutPhase) {
    assert!(
        matches!(error, Error::Timeout { phase: p, .. } if *p == phase),
        "expected a timeout waiting for {phase}, got: {error}"
    );
}

/// Serves `steps`, counts there, and checks the error message says `what`.
fn assert_fails_saying(steps: Vec<Step>, what: &str) -> Error {
    let server = serve(steps);
    let error = expect_error(count(&server.url("/"), ".NET"));
    assert!(
        error.to_string().contains(what),
        "expected {what:?} in: {error}"
    );
    error
}

#[test]
fn content_length_body() {
    let server = serve(vec![send(ok_with_length(PAGE))]);
    let report = count(&server.url("/"), ".NET").unwrap();
    assert_eq!(
        (report.count, report.bytes, report.status),
        (2, PAGE.len() as u64, 200)
    );
    assert_eq!(report.redirects, 0);
    assert_eq!(report.final_url.to_string(), server.url("/"));
}

#[test]
fn chunked_body_with_extensions_and_trailers() {
    let wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                3;name=value\r\n<p>\r\n\
                6 ; x\r\n.NET .\r\n\
                3\r\nNET\r\n\
                0;last\r\nX-Trailer: yes\r\nOther: 1\r\n\r\n";
    let server = serve(vec![send(wire)]);
    let report = count(&server.url("/"), ".NET").unwrap();
    assert_eq!((report.count, report.bytes), (2, 12));
}

#[test]
fn close_delimited_body() {
    let server = serve(vec![send(format!("HTTP/1.1 200 OK\r\n\r\n{PAGE}"))]);
    let report = count(&server.url("/"), ".NET").unwrap();
    assert_eq!((report.count, report.bytes), (2, PAGE.len() as u64));
}

#[test]
fn needle_split_across_tcp_segments_at_every_offset() {
    let body = "ab.NETcd.NET";
    for framing in ["length", "chunked", "close"] {
        for split in 0..=body.len() {
            let (a, b) = body.split_at(split);
            let steps = match framing {
                "length" => vec![
                    send(format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{a}",
                        body.len()
                    )),
                    sleep_ms(5),
                    send(b),
                ],
                "chunked" => vec![
                    send(format!(
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}",
                        body.len()
                    )),
                    sleep_ms(5),
                    send(format!("{b}\r\n0\r\n\r\n")),
                ],
                _ => vec![
                    send(format!("HTTP/1.1 200 OK\r\n\r\n{a}")),
                    sleep_ms(5),
                    send(b),
                ],
            };
            let server = serve(steps);
            let n = expect_count(count(&server.url("/"), ".NET"));
            assert_eq!(n, 2, "{framing} split at {split}");
        }
    }
}

#[test]
fn one_byte_segments() {
    let mut steps = vec![send(format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
        PAGE.len()
    ))];
    steps.extend(send_in_pieces(PAGE, 1, 1));
    let server = serve(steps);
    assert_eq!(expect_count(count(&server.url("/"), ".NET")), 2);
}

#[test]
fn interim_responses_are_skipped() {
    let wire = [
        "HTTP/1.1 100 Continue\r\n\r\n",
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
        &String::from_utf8(ok_with_length(".NET")).unwrap(),
    ]
    .concat();
    let server = serve(vec![send(wire)]);
    assert_eq!(expect_count(count(&server.url("/"), ".NET")), 1);
}

#[test]
fn switching_protocols_is_an_error() {
    let server = serve(vec![send("HTTP/1.1 101 Switching Protocols\r\n\r\n")]);
    let error = expect_error(count(&server.url("/"), ".NET"));
    assert!(
        matches!(
            &error,
            Error::Protocol { kind: ProtocolErrorKind::UnexpectedUpgrade, detail }
                if detail.contains("101")
        ),
        "{error}"
    );
}

#[test]
fn no_content_counts_zero() {
    let server = serve(vec![send(
        "HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n",
    )]);
    let report = count(&server.url("/"), ".NET").unwrap();
    assert_eq!((report.count, report.bytes, report.status), (0, 0, 204));
}

#[test]
fn a_server_that_keeps_the_connection_open_after_a_complete_body() {
    let hold = Step::Hold(Duration::from_secs(20));
    let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n.NET\r\n0\r\n\r\n";
    for wire in [ok_with_length(".NET"), chunked.as_bytes().to_vec()] {
        let server = serve(vec![send(wire), hold.clone()]);
        let started = Instant::now();
        assert_eq!(expect_count(count(&server.url("/"), ".NET")), 1);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the client waited for a close"
        );
    }
}

#[test]
fn truncated_bodies_are_errors_in_every_framing() {
    let cases = [
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n.NET".to_string(),
            TruncationKind::ContentLength,
            "after 4 of 100 bytes",
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n.NET\r\n".to_string(),
            TruncationKind::Chunked,
            "before the last chunk",
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n.NET".to_string(),
            TruncationKind::Chunked,
            "before the last chunk",
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n.NET\r\n0\r\n".to_string(),
            TruncationKind::Trailers,
            "trailer",
        ),
    ];
    for (wire, expected, message) in cases {
        let server = serve(vec![send(&wire)]);
        let error = expect_error(count(&server.url("/"), ".NET"));
        assert!(
            matches!(error, Error::Truncated { kind, .. } if kind == expected),
            "{wire:?}: {error}"
        );
        assert!(error.to_string().contains(message), "{error}");
    }
}

#[test]
fn invalid_chunk_framing_is_an_error() {
    use ProtocolErrorKind::{ChunkData, ChunkSize};
    for (chunks, expected) in [
        ("zz\r\n.NET\r\n0\r\n\r\n", ChunkSize),
        ("10000000000000000\r\n.NET\r\n0\r\n\r\n", ChunkSize),
        ("ffffffffffffffffff\r\n", ChunkSize),
        ("2\r\n.NET\r\n0\r\n\r\n", ChunkData),
        ("4\r\n.NETxx0\r\n\r\n", ChunkData),
    ] {
        let wire = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}");
        let server = serve(vec![send(wire)]);
        let error = expect_error(count(&server.url("/"), ".NET"));
        assert!(
            matches!(error, Error::Protocol { kind, .. } if kind == expected),
            "{chunks:?}: {error}"
        );
    }
}

#[test]
fn untrustworthy_lengths_are_errors() {
    use ProtocolErrorKind::{ContentLength, Framing};
    for (headers, expected) in [
        (
            "Content-Length: 4\r\nContent-Length: 5\r\n",
            Some(ContentLength),
        ),
        ("Content-Length: +4\r\n", Some(ContentLength)),
        ("Content-Length: -4\r\n", Some(ContentLength)),
        (
            "Content-Length: 99999999999999999999999\r\n",
            Some(ContentLength),
        ),
        (
            "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
            Some(Framing),
        ),
        // Not a protocol error: a coding we cannot decode.
        ("Transfer-Encoding: gzip\r\n", None),
    ] {
        let server = serve(vec![send(format!("HTTP/1.1 200 OK\r\n{headers}\r\n.NET"))]);
        let error = expect_error(count(&server.url("/"), ".NET"));
        let matched = match (&error, expected) {
            (Error::Protocol { kind, .. }, Some(expected)) => *kind == expected,
            (Error::UnsupportedEncoding { .. }, None) => true,
            _ => false,
        };
        assert!(matched, "{headers:?}: {error}");
    }
}

#[test]
fn compressed_bodies_are_refused() {
    let server = serve(vec![send(
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n.NET",
    )]);
    let error = expect_error(count(&server.url("/"), ".NET"));
    assert!(matches!(
        error,
        Error::UnsupportedEncoding {
            header: "content-encoding",
            ..
        }
    ));
}

#[test]
fn huge_and_endless_heads_are_refused() {
    let too_large = |error: Error| {
        assert!(
            matches!(
                error,
                Error::Protocol {
                    kind: ProtocolErrorKind::HeadTooLarge,
                    ..
                }
            ),
            "{error:?}"
        )
    };
    let huge = format!("HTTP/1.1 200 OK\r\nX-Big: {}\r\n\r\n", "a".repeat(2 << 20));
    too_large(assert_fails_saying(
        vec![send(huge)],
        "larger than 65536 bytes",
    ));

    // Headers that never end: cut off at the size limit, not read forever.
    let mut endless = vec![send("HTTP/1.1 200 OK\r\n")];
    endless.extend((0..100_000).map(|i| send(format!("X-{i}: v\r\n"))));
    too_large(assert_fails_saying(endless, "larger than 65536 bytes"));

    // A complete head with one field too many.
    let fields: String = (0..129).map(|i| format!("X-{i}: v\r\n")).collect();
    let error = assert_fails_saying(
        vec![send(format!("HTTP/1.1 200 OK\r\n{fields}\r\n"))],
        "more than 128 header fields",
    );
    assert!(
        matches!(
            error,
            Error::Protocol {
                kind: ProtocolErrorKind::TooManyHeaders,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn non_http_and_empty_replies_are_errors() {
    let cases = [
        (
            vec![send("SSH-2.0-OpenSSH_9.2\r\n\r\n")],
            "not an http/1.x response",
            ProtocolErrorKind::StatusLine,
        ),
        (vec![], "empty reply", ProtocolErrorKind::EmptyReply),
        (
            vec![send("HTTP/1.1 200 OK\r\nContent-")],
            "middle of the response head",
            ProtocolErrorKind::IncompleteHead,
        ),
    ];
    for (steps, what, expected) in cases {
        let error = assert_fails_saying(steps, what);
        assert!(
            matches!(error, Error::Protocol { kind, .. } if kind == expected),
            "expected {expected:?}: {error:?}"
        );
    }
}

#[test]
fn error_statuses_are_errors_carrying_the_status() {
    for (code, reason) in [(404, "Not Found"), (500, "Internal Server Error")] {
        let wire = format!("HTTP/1.1 {code} {reason}\r\nContent-Length: 4\r\n\r\n.NET");
        let server = serve(vec![send(wire)]);
        match expect_error(count(&server.url("/"), ".NET")) {
            Error::Status {
                code: got,
                reason: r,
            } => assert_eq!((got, r.as_str()), (code, reason)),
            other => panic!("{other}"),
        }
    }
}

/// A server whose `/start` redirects to `/end` with `code` and `location`.
fn redirecting(code: u16, location: &'static str) -> Server {
    serve_with(move |request| match request.target.as_str() {
        "/end" => vec![send(ok_with_length(".NET .NET"))],
        _ => vec![send(format!(
            "HTTP/1.1 {code} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
        ))],
    })
}

#[test]
fn every_redirect_code_is_followed() {
    for code in [301, 302, 303, 307, 308] {
        for location in ["/end", "end", "./x/../end"] {
            let server = redirecting(code, location);
            let report = count(&server.url("/start"), ".NET").unwrap();
            assert_eq!(
                (report.count, report.redirects),
                (2, 1),
                "{code} {location}"
            );
            assert_eq!(report.final_url.to_string(), server.url("/end"));
            assert_eq!(report.url.to_string(), server.url("/start"));
        }
    }
}

#[test]
fn absolute_location_to_another_server() {
    let target = serve(vec![send(ok_with_length(".NET"))]);
    let location = target.url("/there");
    let origin = serve(vec![send(format!(
        "HTTP/1.1 302 Found\r\nLocation: {location}\r\n\r\n"
    ))]);
    let report = count(&origin.url("/"), ".NET").unwrap();
    assert_eq!(report.final_url.to_string(), location);
    assert_eq!(target.requests()[0].target, "/there");
}

#[test]
fn redirect_loops_and_limits() {
    let server = serve(vec![send("HTTP/1.1 302 Found\r\nLocation: /loop\r\n\r\n")]);
    let error = expect_error(count(&server.url("/loop"), ".NET"));
    assert!(
        matches!(error, Error::TooManyRedirects { max: 10 }),
        "{error}"
    );
    assert_eq!(server.requests().len(), 11);

    let server = redirecting(301, "/end");
    let client = netcount::Client::builder().max_redirects(0).build();
    let error = expect_error(count_with(&client, &server.url("/start"), ".NET"));
    assert!(
        matches!(error, Error::TooManyRedirects { max: 0 }),
        "{error}"
    );
}

#[test]
fn bad_redirects_are_errors() {
    let error = assert_fails_saying(
        vec![send("HTTP/1.1 301 Moved\r\n\r\n")],
        "without a location",
    );
    assert!(
        matches!(
            error,
            Error::Protocol {
                kind: ProtocolErrorKind::Redirect,
                ..
            }
        ),
        "{error:?}"
    );

    let server = redirecting(302, "ftp://files.example/");
    let error = expect_error(count(&server.url("/start"), ".NET"));
    assert!(matches!(error, Error::InvalidUrl { .. }), "{error}");
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = serve(vec![Step::Hold(Duration::from_secs(30))]);
    let client = netcount::Client::builder()
        .read_timeout(Duration::from_millis(300))
        .build();
    let error = expect_error(count_with(&client, &server.url("/"), ".NET"));
    assert_timeout(&error, TimeoutPhase::Head);

    let client = netcount::Client::builder()
        .timeout(Duration::from_millis(400))
        .build();
    let started = Instant::now();
    let error = expect_error(count_with(&client, &server.url("/"), ".NET"));
    assert_timeout(&error, TimeoutPhase::Total);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_server_that_stalls_mid_body_times_out() {
    let server = serve(vec![
        send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n.NET"),
        Step::Hold(Duration::from_secs(30)),
    ]);
    let client = netcount::Client::builder()
        .read_timeout(Duration::from_millis(300))
        .build();
    let error = expect_error(count_with(&client, &server.url("/"), ".NET"));
    assert_timeout(&error, TimeoutPhase::Body);
}

#[test]
fn a_slow_but_steady_server_is_not_timed_out() {
    // Every byte arrives well within the idle timeout, though the whole body
    // takes longer than it.
    let mut steps = vec![send(format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
        PAGE.len()
    ))];
    steps.extend(send_in_pieces(PAGE, 4, 30));
    let server = serve(steps);
    let client = netcount::Client::builder()
        .read_timeout(Duration::from_millis(200))
        .build();
    assert_eq!(
        expect_count(count_with(&client, &server.url("/"), ".NET")),
        2
    );
}

#[test]
fn a_reset_mid_body_is_an_error() {
    for (framing, truncation) in [
        (
            "Content-Length: 100\r\n",
            Some(TruncationKind::ContentLength),
        ),
        (
            "Transfer-Encoding: chunked\r\n",
            Some(TruncationKind::Chunked),
        ),
        // A close-delimited body has no length to fall short of.
        ("", None),
    ] {
        let body = if framing.contains("chunked") {
            "64\r\n.NET"
        } else {
            ".NET"
        };
        let server = serve(vec![
            send(format!("HTTP/1.1 200 OK\r\n{framing}\r\n{body}")),
            sleep_ms(50),
            Step::Reset,
        ]);
        let error = expect_error(count(&server.url("/"), ".NET"));
        assert!(
            matches!(&error, Error::Io(_))
                || matches!(&error, Error::Truncated { kind, .. } if Some(*kind) == truncation),
            "{framing:?}: {error}"
        );
    }
}

#[test]
fn connection_refused_names_the_addresses_tried() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let error = expect_error(count(&format!("http://127.0.0.1:{port}/"), ".NET"));
    let message = error.to_string();
    assert!(
        matches!(error, Error::Connect { ref tried, .. } if tried.len() == 1),
        "{message}"
    );
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
}

#[test]
fn localhost_resolves_and_connects() {
    let server = serve(vec![send(ok_with_length(".NET"))]);
    let url = format!("http://localhost:{}/", server.addr.port());
    // localhost may resolve to ::1 first, where nothing listens: every
    // address is tried in turn.
    assert_eq!(expect_count(count(&url, ".NET")), 1);
}

#[test]
fn ipv6_loopback() {
    let server = serve_on("[::1]:0", |_| vec![send(ok_with_length(".NET"))]);
    let url = server.url("/v6");
    assert!(url.starts_with("http://[::1]:"));
    assert_eq!(expect_count(count(&url, ".NET")), 1);
    let request = &server.requests()[0];
    assert_eq!(request.header("host"), Some(&url[7..url.len() - 3]));
}

#[test]
fn the_request_is_exactly_as_designed() {
    let server = serve(vec![send(ok_with_length(""))]);
    count(&server.url("/p/a%20th?q=1&r#fragment"), ".NET").unwrap();
    let request = &server.requests()[0];
    let expected_host = format!("127.0.0.1:{}", server.addr.port());
    assert!(
        request.head.starts_with("GET /p/a%20th?q=1&r HTTP/1.1\r\n"),
        "{}",
        request.head
    );
    assert_eq!(request.header("host"), Some(expected_host.as_str()));
    assert_eq!(
        request.header("user-agent"),
        Some(concat!("netcount/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(request.header("accept-encoding"), Some("identity"));
    assert_eq!(request.header("connection"), Some("close"));
    assert!(!request.head.contains("fragment"));
}

#[test]
fn bring_your_own_transport_over_a_real_socket() {
    let server = serve(vec![send(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n.NET\r\n0\r\n\r\n",
    )]);
    block_on(async {
        let stream = async_net::TcpStream::connect(server.addr).await.unwrap();
        let url = netcount::url::Url::parse(&server.url("/")).unwrap();
        let response = netcount::http::get(stream, &url).await.unwrap();
        let mut counter = netcount::Counter::new(".NET").unwrap();
        // Counted before: `count` starts over, as `Client::count` does.
        counter.feed(b".NET .NET");
        assert_eq!(response.count(&mut counter).await.unwrap(), 4);
        assert_eq!((counter.count(), counter.bytes()), (1, 4));
    });
}

#[test]
fn the_address_policy_is_asked_on_every_hop() {
    let target = serve(vec![send(ok_with_length(".NET"))]);
    let location = target.url("/");
    let origin = serve(vec![send(format!(
        "HTTP/1.1 302 Found\r\nLocation: {location}\r\n\r\n"
    ))]);
    let allowed_port = origin.addr.port();
    let policy = netcount::AddressPolicy::new(move |_: &str, addr: std::net::SocketAddr| {
        if addr.port() == allowed_port {
            Ok(())
        } else {
            Err(format!("port {} is not allowed", addr.port()))
        }
    });
    let client = netcount::Client::builder().address_policy(policy).build();
    let error = expect_error(count_with(&client, &origin.url("/"), ".NET"));
    assert!(
        matches!(&error, Error::AddressNotAllowed { addr, .. } if *addr == target.addr),
        "{error}"
    );
    assert!(
        target.requests().is_empty(),
        "the refused address was connected to"
    );
}
