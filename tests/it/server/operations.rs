//! Running it: single flight, the cache, `Date`, `/metrics`, the access
//! log and the new flags.

use std::sync::{Arc, Condvar, Mutex};

use super::*;

/// The value of the series `name` (with its labels) in `/metrics`.
fn metric(addr: SocketAddr, name: &str) -> Option<f64> {
    let body = get(addr, "/metrics").body;
    body.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(' ')?;
        value.parse().ok()
    })
}

/// A gate the upstream's handler waits at until the test opens it.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, changed) = &*self.0;
        let mut open = open.lock().unwrap();
        while !*open {
            open = changed.wait(open).unwrap();
        }
    }

    fn open(&self) {
        let (open, changed) = &*self.0;
        *open.lock().unwrap() = true;
        changed.notify_all();
    }
}

#[test]
fn identical_requests_in_flight_share_one_fetch() {
    let gate = Gate::default();
    let upstream = {
        let gate = gate.clone();
        serve_with(move |_| {
            gate.wait();
            vec![send(ok_with_length("a .NET b .NET"))]
        })
    };
    let server = start(config_allowing(&upstream));
    let addr = server.addr;
    let target = count_target(&upstream.url("/"), "");

    // One request starts the fetch, four more join it.
    let spawn = |target: String| thread::spawn(move || get(addr, &target));
    let mut waiting = vec![spawn(target.clone())];
    wait_until("the upstream request", || !upstream.requests().is_empty());
    waiting.extend((0..4).map(|_| spawn(target.clone())));
    wait_until("four requests to join the fetch", || {
        metric(addr, "netcount_shared_fetches_total") == Some(4.0)
    });
    gate.open();

    for answer in waiting {
        let answer = answer.join().unwrap();
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(answer.json()["count"], 2);
    }
    assert_eq!(upstream.requests().len(), 1);

    // Done: the next request fetches again (the cache is off).
    assert_eq!(get(addr, &target).json()["count"], 2);
    // A different needle is a different count.
    assert_eq!(get(addr, &format!("{target}&needle=a")).json()["count"], 1);
    assert_eq!(upstream.requests().len(), 3);
}

#[test]
fn the_cache_answers_repeats_until_its_ttl() {
    let upstream = serve(vec![send(ok_with_length(".NET .NET .NET"))]);
    let mut config = config_allowing(&upstream);
    config.cache_ttl = Duration::from_secs(600);
    config.default_url = netcount::url::Url::parse(&upstream.url("/dotnet")).unwrap();
    let server = start(config);
    let target = count_target(&upstream.url("/"), "");

    let first = get(server.addr, &target);
    assert_eq!(first.header("age"), None);
    let second = get(server.addr, &target);
    assert_eq!(
        second.body, first.body,
        "the same report, elapsed time included"
    );
    assert!(second.header("age").is_some(), "{second:?}");
    assert_eq!(upstream.requests().len(), 1);
    // Per needle and options.
    get(server.addr, &format!("{target}&ignore_case=1"));
    assert_eq!(upstream.requests().len(), 2);

    // /DotNetCount is cached the same way.
    assert_eq!(get(server.addr, "/DotNetCount").body, "3\n");
    assert_eq!(get(server.addr, "/DotNetCount").body, "3\n");
    assert_eq!(upstream.requests().len(), 3);
    assert_eq!(metric(server.addr, "netcount_cache_hits_total"), Some(2.0));

    // Failures are not kept.
    let missing = serve(vec![send(
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    )]);
    let mut config = config_allowing(&missing);
    config.cache_ttl = Duration::from_secs(600);
    let server = start(config);
    for _ in 0..2 {
        get(server.addr, &count_target(&missing.url("/"), "")).error(502, "status");
    }
    assert_eq!(missing.requests().len(), 2);
}

/// Whether `value` looks like an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
fn is_http_date(value: &str) -> bool {
    let parts: Vec<&str> = value.split(' ').collect();
    parts.len() == 6
        && parts[0].len() == 4
        && parts[0].ends_with(',')
        && parts[1].len() == 2
        && parts[3].len() == 4
        && parts[4].len() == 8
        && parts[5] == "GMT"
}

#[test]
fn every_response_has_a_date() {
    let server = start(Config::default());
    let mut answers = vec![
        get(server.addr, "/healthz"),
        get(server.addr, "/nowhere"),
        request(server.addr, "POST", "/healthz"),
        raw(server.addr, b"GET /healthz HTTP/1.1\r\n\r\n"),
        get(server.addr, "/metrics"),
    ];
    // A connection refused for want of a place, at a server with one place
    // that a head in progress holds. A connection keeps its place until
    // its client's FIN arrives, so the holder can itself be refused while
    // a probe's connection is still closing: add holders until a probe
    // finds no place.
    let mut config = Config::default();
    config.limits.max_connections = 1;
    config.limits.busy_head_timeout = Duration::from_secs(60);
    let small = start(config);
    let hold = || {
        let mut holder = TcpStream::connect(small.addr).unwrap();
        holder.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        holder
    };
    let mut holders = vec![hold()];
    let mut refused = None;
    wait_until("a connection refused for want of a place", || {
        let answer = get(small.addr, "/healthz");
        if answer.status == 503 {
            refused = Some(answer);
            return true;
        }
        holders.push(hold());
        false
    });
    let refused = refused.unwrap();
    answers.push(refused);
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [200, 404, 405, 400, 200, 503]);
    for answer in &answers {
        let date = answer
            .header("date")
            .unwrap_or_else(|| panic!("{answer:?}"));
        assert!(is_http_date(date), "{date}");
    }
}

#[test]
fn metrics_are_in_the_prometheus_text_format() {
    let upstream = serve(vec![send(ok_with_length("x .NET x"))]);
    let server = start(config_allowing(&upstream));
    get(server.addr, "/healthz");
    get(server.addr, "/nowhere");
    get(server.addr, &count_target(&upstream.url("/"), ""));
    let answer = get(server.addr, "/metrics");
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = &answer.body;
    for expected in [
        "# TYPE netcount_requests_total counter",
        "netcount_requests_total{route=\"healthz\",status=\"200\"} 1",
        "netcount_requests_total{route=\"other\",status=\"404\"} 1",
        "netcount_requests_total{route=\"count\",status=\"200\"} 1",
        "# TYPE netcount_upstream_fetch_duration_seconds histogram",
        "netcount_upstream_fetch_duration_seconds_bucket{le=\"+Inf\"} 1",
        "netcount_upstream_fetch_duration_seconds_count 1",
        "netcount_counted_bytes_total 8",
        "netcount_cache_hits_total 0",
        "# TYPE netcount_open_connections gauge",
    ] {
        assert!(
            text.lines().any(|line| line == expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // This connection, and those of the requests before it that the
    // server has not seen close yet.
    let open = text
        .lines()
        .find_map(|line| line.strip_prefix("netcount_open_connections "))
        .unwrap();
    assert!((1..=4).contains(&open.parse::<u32>().unwrap()), "{open}");
    // Every line is a comment or `series value`.
    for line in text.lines() {
        let value = line.rsplit(' ').next().unwrap();
        assert!(
            line.starts_with("# ") || value.parse::<f64>().is_ok(),
            "{line}"
        );
    }
}

#[cfg(feature = "cli")]
#[test]
fn the_serve_command_logs_a_json_line_per_request() {
    let upstream = serve(vec![send(ok_with_length(".NET"))]);
    let args = [
        "--access-log".to_string(),
        "json".to_string(),
        "--allow-addr".to_string(),
        upstream.addr.to_string(),
    ];
    let (child, addr, stderr) = serve_command(&args);
    get(addr, "/healthz");
    get(addr, &count_target(&upstream.url("/page"), ""));
    let refusal =
        get(addr, &count_target("http://localhost/", "")).error(403, "address_not_allowed");
    raw(addr, b"GET / HTTP/1.1\r\n\r\n");
    let Some(rest) = terminate(child, stderr) else {
        return;
    };

    let lines: Vec<Value> = rest
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(lines.len(), 4, "{rest}");
    let healthz = &lines[0];
    assert_eq!(healthz["method"], "GET");
    assert_eq!(healthz["target"], "/healthz");
    assert_eq!(healthz["status"], 200);
    assert!(healthz["bytes"].as_u64().unwrap() > 0);
    assert!(healthz["duration_ms"].is_number());
    assert!(healthz["upstream_ms"].is_null());
    assert!(healthz["client"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert!(healthz["time"].as_str().unwrap().ends_with('Z'));

    let count = &lines[1];
    assert_eq!(count["status"], 200);
    assert!(count["upstream_ms"].is_number());
    assert_eq!(count["cache"], "miss");
    assert!(count["target"].as_str().unwrap().starts_with("/count?url="));

    // The refusal's detail, kept out of the answer, is in the log.
    let forbidden = &lines[2];
    assert_eq!(forbidden["status"], 403);
    let detail = forbidden["detail"].as_str().unwrap();
    assert!(detail.contains("resolves to"), "{detail}");
    assert!(
        detail.contains("127.0.0.1") || detail.contains("::1"),
        "{detail}"
    );
    assert!(!refusal["message"].as_str().unwrap().contains("127.0.0.1"));

    // A head refused before it was parsed.
    assert_eq!(
        (lines[3]["status"].as_u64(), lines[3]["method"].as_str()),
        (Some(400), Some("-"))
    );
}

#[cfg(feature = "cli")]
#[test]
fn the_serve_command_logs_text_lines_by_default_and_not_when_off() {
    let (child, addr, stderr) = serve_command(&["--threads".to_string(), "3".to_string()]);
    get(addr, "/healthz");
    let Some(rest) = terminate(child, stderr) else {
        return;
    };
    let line = rest
        .lines()
        .find(|line| line.contains(" GET /healthz "))
        .unwrap_or_else(|| panic!("{rest}"));
    assert!(
        line.contains(" 200 ") && line.contains("upstream=-"),
        "{line}"
    );

    let (child, addr, stderr) = serve_command(&["--access-log".to_string(), "off".to_string()]);
    get(addr, "/healthz");
    let Some(rest) = terminate(child, stderr) else {
        return;
    };
    assert!(!rest.contains("/healthz"), "{rest}");
}

#[cfg(feature = "cli")]
#[test]
fn the_serve_command_refuses_bad_values_of_its_new_flags() {
    assert_usage_errors(&[
        &["serve", "--threads", "0"],
        &["serve", "--max-connections-per-ip", "0"],
        &["serve", "--cache-ttl", "-1"],
        &["serve", "--cache-ttl", "soon"],
        &["serve", "--access-log", "xml"],
    ]);
    let help = netcount(&["serve", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--threads",
        "--max-connections-per-ip",
        "--cache-ttl",
        "--access-log",
        "/metrics",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}
