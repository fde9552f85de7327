//! Request headers and credentials against a server that echoes the
//! request head it received as the body (so the count is over what was
//! sent), credentials across redirects, and the response-side leniencies:
//! obs-fold, spaces in `Location`, an empty `Location`.

use netcount::{Client, Error, ProtocolErrorKind};

use crate::support::*;

/// A server that answers every request with its own head as the body.
fn echo() -> Server {
    serve_with(|request| vec![send(ok_with_length(&request.head))])
}

/// The head the client sent, as the echo server sent it back: counted
/// line by line, each line must occur exactly once in the echo.
fn assert_sent(client: &Client, url: &str, lines: &[&str]) {
    for line in lines {
        let report = count_with(client, url, &format!("\r\n{line}\r\n"))
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(report.count, 1, "{line:?} not sent once");
    }
}

/// Counts `needle` in the echoed head, which must not contain it.
fn assert_not_sent(client: &Client, url: &str, needle: &str) {
    let report = count_with(client, url, needle).unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!(report.count, 0, "{needle:?} was sent");
}

#[test]
fn added_headers_are_sent_and_replace_defaults() {
    let server = echo();
    let client = Client::builder()
        .user_agent("first/1")
        .header("X-Request-Id", "42")
        .unwrap()
        .header("Accept", "  text/html ")
        .unwrap()
        .header("X-Request-Id", "43")
        .unwrap()
        .build();
    let url = server.url("/");
    assert_sent(
        &client,
        &url,
        &[
            "X-Request-Id: 42",
            "X-Request-Id: 43",
            "Accept: text/html",
            "User-Agent: first/1",
        ],
    );
    assert_not_sent(&client, &url, "Accept: */*");
    let head = &server.requests()[0].head;
    assert!(
        head.ends_with("\r\nX-Request-Id: 42\r\nAccept: text/html\r\nX-Request-Id: 43\r\n\r\n"),
        "{head}"
    );
}

#[test]
fn basic_auth_and_url_credentials_become_authorization() {
    let server = echo();
    // RFC 7617's example pair.
    let client = quick_client();
    let url = server
        .url("/")
        .replace("http://", "http://Aladdin:open%20sesame@");
    assert_sent(
        &client,
        &url,
        &["Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="],
    );
    let report = count_with(&client, &url, "x").unwrap();
    // Never shown, even in the report.
    assert_eq!(report.url.to_string(), server.url("/"));
    assert!(!report.to_json().contains("sesame"), "{}", report.to_json());

    // basic_auth wins over the URL's; an Authorization header over both.
    let client = Client::builder()
        .basic_auth("user", "pass")
        .unwrap()
        .build();
    assert_sent(&client, &url, &["Authorization: Basic dXNlcjpwYXNz"]);
    let client = Client::builder()
        .basic_auth("user", "pass")
        .unwrap()
        .header("authorization", "Bearer t0ken")
        .unwrap()
        .build();
    assert_sent(&client, &url, &["authorization: Bearer t0ken"]);
    assert_not_sent(&client, &url, "Basic");
}

#[test]
fn refused_headers_never_reach_the_wire() {
    for (name, value) in [
        ("Host", "elsewhere"),
        ("Content-Length", "5"),
        ("Transfer-Encoding", "chunked"),
        ("Connection", "keep-alive"),
        ("X", "a\r\nInjected: 1"),
        ("X", "a\0"),
        ("Bad Name", "x"),
    ] {
        let error = Client::builder().header(name, value).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidHeader { name: n, .. } if n == name),
            "{error}"
        );
    }
}

/// Two servers (two origins: different ports): the first redirects to
/// `path_on_second` on the second, which echoes.
fn redirect_to_other_origin(path_on_second: &str) -> (Server, Server) {
    let second = echo();
    let location = second.url(path_on_second);
    let first = serve_with(move |request| {
        if request.target == "/start" {
            vec![send(format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
            ))]
        } else {
            vec![send(ok_with_length(&request.head))]
        }
    });
    (first, second)
}

#[test]
fn credentials_are_dropped_when_a_redirect_leaves_the_origin() {
    let (first, second) = redirect_to_other_origin("/landing");
    let client = Client::builder()
        .header("Cookie", "session=s3cret")
        .unwrap()
        .header("Authorization", "Bearer t0ken")
        .unwrap()
        .header("X-Kept", "yes")
        .unwrap()
        .build();
    let start = first.url("/start").replace("http://", "http://ann:pw@");
    let report = count_with(&client, &start, "X-Kept: yes").unwrap();
    assert_eq!((report.count, report.redirects), (1, 1));

    // The first origin got everything; the second none of the credentials.
    let sent_first = &first.requests()[0].head;
    for line in [
        "Cookie: session=s3cret",
        "Authorization: Bearer t0ken",
        "X-Kept: yes",
    ] {
        assert!(sent_first.contains(line), "{sent_first}");
    }
    let sent_second = &second.requests()[0].head;
    assert!(sent_second.contains("X-Kept: yes"), "{sent_second}");
    for gone in ["Cookie", "Authorization", "s3cret", "t0ken"] {
        assert!(!sent_second.contains(gone), "{sent_second}");
    }

    // The URL's own credentials likewise.
    let client = quick_client();
    let report = count_with(&client, &start, "Authorization").unwrap();
    assert_eq!(report.count, 0);
    assert!(first.requests()[1]
        .head
        .contains("Authorization: Basic YW5uOnB3"));
}

#[test]
fn credentials_stay_on_a_same_origin_redirect_and_never_come_back() {
    // /start -> /here (same origin) -> other origin -> back to /final.
    let back = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let second = {
        let back = back.clone();
        serve_with(move |_| {
            vec![send(format!(
                "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n",
                back.lock().unwrap()
            ))]
        })
    };
    let to_second = second.url("/bounce");
    let first = serve_with(move |request| match request.target.as_str() {
        "/start" => vec![send(
            "HTTP/1.1 301 Moved\r\nLocation: /here\r\nContent-Length: 0\r\n\r\n",
        )],
        "/here" => vec![send(format!(
            "HTTP/1.1 307 Temporary\r\nLocation: {to_second}\r\nContent-Length: 0\r\n\r\n"
        ))],
        _ => vec![send(ok_with_length(&request.head))],
    });
    *back.lock().unwrap() = first.url("/final");
    let client = Client::builder().basic_auth("ann", "pw").unwrap().build();

    let report = count_with(&client, &first.url("/start"), "Authorization").unwrap();
    assert_eq!((report.count, report.redirects), (0, 3));
    let heads: Vec<(String, bool)> = first
        .requests()
        .iter()
        .map(|r| (r.target.clone(), r.header("authorization").is_some()))
        .collect();
    assert_eq!(
        heads,
        [
            ("/start".into(), true),
            ("/here".into(), true),
            ("/final".into(), false)
        ]
    );
    assert!(second.requests()[0].header("authorization").is_none());
}

#[test]
fn credentials_in_a_location_are_not_used() {
    let second = echo();
    let location = second.url("/").replace("http://", "http://mallory:pw@");
    let first = serve(vec![send(format!(
        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
    ))]);
    let report = count_with(&quick_client(), &first.url("/"), "Authorization").unwrap();
    assert_eq!((report.count, report.redirects), (0, 1));
    assert_eq!(report.final_url.to_string(), second.url("/"));
}

// ----- leniency on the response side -----

#[test]
fn a_folded_header_is_unfolded_to_a_space() {
    // The fold sits inside the header that frames the body: if it were
    // read wrong, the count would be wrong or an error.
    let server = serve(vec![send(
        "HTTP/1.1 200 OK\r\nX-Note: one\r\n two\r\nTransfer-Encoding:\r\n\tchunked\r\n\r\n\
         5\r\n.NET \r\n4\r\n.NET\r\n0\r\n\r\n",
    )]);
    let report = count(&server.url("/"), ".NET").unwrap();
    assert_eq!((report.count, report.bytes), (2, 9));

    // A folded Content-Length reads as "1 0": not a length, so an error.
    let server = serve(vec![send(
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n 0\r\n\r\n0123456789",
    )]);
    let error = count(&server.url("/"), "0").unwrap_err();
    assert!(
        matches!(
            error,
            Error::Protocol {
                kind: ProtocolErrorKind::ContentLength,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn a_location_with_raw_spaces_is_followed_encoded() {
    let server = serve_with(|request| {
        if request.target == "/start" {
            vec![send(
                "HTTP/1.1 302 Found\r\nLocation: /new page.html?q=a b\r\nContent-Length: 0\r\n\r\n",
            )]
        } else {
            vec![send(ok_with_length(".NET"))]
        }
    });
    let report = count(&server.url("/start"), ".NET").unwrap();
    assert_eq!((report.count, report.redirects), (1, 1));
    assert_eq!(server.requests()[1].target, "/new%20page.html?q=a%20b");
}

#[test]
fn an_empty_location_fails_at_once() {
    let server = serve(vec![send(
        "HTTP/1.1 302 Found\r\nLocation: \r\nContent-Length: 0\r\n\r\n",
    )]);
    let error = count(&server.url("/"), ".NET").unwrap_err();
    assert!(
        matches!(&error, Error::Protocol { kind: ProtocolErrorKind::Redirect, detail }
            if detail.contains("empty location")),
        "{error}"
    );
    assert_eq!(server.requests().len(), 1, "no second request");
}

// ----- the command line -----

#[cfg(feature = "cli")]
#[test]
fn header_user_agent_and_user_flags_reach_the_server() {
    let server = echo();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_netcount"))
        .args([
            "-H",
            "X-Trace: 7",
            "-A",
            "tester/2",
            "-u",
            "ann:pw",
            "-n",
            "\r\n",
            &server.url("/"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let head = &server.requests()[0].head;
    for line in [
        "\r\nX-Trace: 7\r\n",
        "\r\nUser-Agent: tester/2\r\n",
        "\r\nAuthorization: Basic YW5uOnB3\r\n",
    ] {
        assert!(head.contains(line), "{head}");
    }
    // The count is of the echoed head's line ends.
    let lines = head.matches("\r\n").count();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{lines}\n")
    );
}
