//! Forward proxies, against a proxy written here: `CONNECT` tunnels and
//! absolute-form requests, with and without `Basic` credentials, refusals,
//! and a proxy that cuts the tunnel.
//!
//! The test proxy connects only to loopback: it reads `localhost` and every
//! `*.test` name as 127.0.0.1 (so a test can show that the proxy resolves the name, not
//! the client) and refuses any other destination with a 502.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use netcount::{AddressPolicy, Client, Error, Proxy, Resolver};

use crate::support::*;

const PAGE: &str = "<p>.NET through a proxy, .NET again</p>";

/// How the test proxy behaves.
#[derive(Clone, Default)]
struct Script {
    /// The `Proxy-Authorization` value it insists on, if any (else 407).
    credentials: Option<String>,
    /// Answers `CONNECT` with this status instead of opening a tunnel.
    refuse_connect: Option<u16>,
    /// Closes both sides once this many bytes went from the server to the
    /// client (through a tunnel or for an absolute-form request).
    cut_after: Option<usize>,
}

/// A forward proxy on loopback; records every request head it receives.
struct TestProxy {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
}

impl TestProxy {
    /// `http://127.0.0.1:port`, with `userinfo@` if given.
    fn url(&self, userinfo: &str) -> String {
        format!("http://{userinfo}{}", self.addr)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

fn start_proxy(script: Script) -> TestProxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let recorded = heads.clone();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (script, heads) = (script.clone(), recorded.clone());
            thread::spawn(move || serve_one(client, &script, &heads));
        }
    });
    TestProxy { addr, heads }
}

/// A loopback address for `host:port`: `*.test` names are 127.0.0.1, IP
/// literals must be loopback; anything else is `None`.
fn loopback(authority: &str) -> Option<SocketAddr> {
    let (host, port) = authority.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = match host.parse::<IpAddr>() {
        Ok(ip) if ip.is_loopback() => ip,
        Ok(_) => return None,
        Err(_) if host.ends_with(".test") || host == "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Err(_) => return None,
    };
    Some(SocketAddr::new(ip, port.parse().ok()?))
}

fn answer(client: &mut TcpStream, status: &str) {
    let _ = client.write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes());
}

fn serve_one(mut client: TcpStream, script: &Script, heads: &Mutex<Vec<String>>) {
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let Some(head) = read_head(&mut client) else {
        return;
    };
    heads.lock().unwrap().push(head.clone());
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));

    // Credentials first, whatever the method.
    if let Some(expected) = &script.credentials {
        let given = head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("proxy-authorization")
                .then(|| value.trim())
        });
        if given != Some(expected.as_str()) {
            let _ = client.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
            );
            return;
        }
    }

    if method == "CONNECT" {
        if let Some(status) = script.refuse_connect {
            return answer(&mut client, &format!("{status} Refused By Test"));
        }
        let Some(server) = loopback(target).and_then(|a| TcpStream::connect(a).ok()) else {
            return answer(&mut client, "502 Bad Gateway");
        };
        let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
        return relay(client, server, script.cut_after);
    }

    // Absolute form: `GET http://host:port/path HTTP/1.1`.
    let Some(rest) = target.strip_prefix("http://") else {
        return answer(&mut client, "400 Not Absolute");
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let Some(mut server) = loopback(authority).and_then(|a| TcpStream::connect(a).ok()) else {
        return answer(&mut client, "502 Bad Gateway");
    };
    // Forward in origin form, without the proxy's own header.
    let mut forwarded = format!("{method} {path} HTTP/1.1\r\n");
    for line in head.lines().skip(1).filter(|l| !l.is_empty()) {
        if !line
            .to_ascii_lowercase()
            .starts_with("proxy-authorization:")
        {
            forwarded.push_str(line);
            forwarded.push_str("\r\n");
        }
    }
    forwarded.push_str("\r\n");
    if server.write_all(forwarded.as_bytes()).is_ok() {
        relay(client, server, script.cut_after);
    }
}

/// Copies bytes both ways until the server is done (or `cut_after` bytes
/// reached the client), then closes both.
fn relay(client: TcpStream, mut server: TcpStream, cut_after: Option<usize>) {
    let (mut from_client, mut to_server) =
        (client.try_clone().unwrap(), server.try_clone().unwrap());
    thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_server);
        let _ = to_server.shutdown(Shutdown::Write);
    });
    let mut to_client = client;
    let mut left = cut_after.unwrap_or(usize::MAX);
    let mut buf = [0u8; 8192];
    while left > 0 {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n.min(left),
        };
        if to_client.write_all(&buf[..n]).is_err() {
            break;
        }
        left -= n;
    }
    let _ = to_client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}

fn client_via(proxy: &str) -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(5))
        .proxy(Proxy::parse(proxy).unwrap())
        .build()
}

fn count_via(client: &Client, url: &str) -> Result<netcount::Report, Error> {
    count_with(client, url, ".NET")
}

// ----- http: absolute form -----

#[test]
fn http_goes_to_the_proxy_in_absolute_form() {
    let origin = serve(vec![send(ok_with_length(PAGE))]);
    let proxy = start_proxy(Script::default());
    let url = origin.url("/page?x=1");
    let report = count_via(&client_via(&proxy.url("")), &url).unwrap();
    assert_eq!((report.count, report.bytes), (2, PAGE.len() as u64));

    let heads = proxy.heads();
    assert_eq!(heads.len(), 1);
    assert!(heads[0].starts_with(&format!("GET {url} HTTP/1.1\r\nHost: {}\r\n", origin.addr)));
    assert!(!heads[0].contains("Proxy-Authorization"), "{}", heads[0]);
    // The origin got the request the proxy forwarded, in origin form.
    assert_eq!(origin.requests()[0].target, "/page?x=1");
}

#[test]
fn the_proxy_resolves_the_name_not_the_client() {
    // No such name in any resolver: only the test proxy knows `*.test`.
    let origin = serve(vec![send(ok_with_length(PAGE))]);
    let proxy = start_proxy(Script::default());
    let url = format!("http://origin.test:{}/", origin.addr.port());
    assert_eq!(
        count_via(&client_via(&proxy.url("")), &url).unwrap().count,
        2
    );
    assert!(proxy.heads()[0].starts_with(&format!("GET {url} HTTP/1.1\r\n")));
}

#[test]
fn proxy_credentials_go_to_the_proxy_only() {
    let origin = serve(vec![send(ok_with_length(PAGE))]);
    let proxy = start_proxy(Script {
        // "user:pass word" in base64.
        credentials: Some("Basic dXNlcjpwYXNzIHdvcmQ=".into()),
        ..Script::default()
    });
    let client = client_via(&proxy.url("user:pass%20word@"));
    let report = count_via(&client, &origin.url("/")).unwrap();
    assert_eq!(report.count, 2);
    assert!(proxy.heads()[0].contains("\r\nProxy-Authorization: Basic dXNlcjpwYXNzIHdvcmQ=\r\n"));
    assert!(origin.requests()[0].header("proxy-authorization").is_none());
}

#[test]
fn a_407_says_credentials_are_needed_or_were_refused() {
    let origin = serve(vec![send(ok_with_length(PAGE))]);
    let proxy = start_proxy(Script {
        credentials: Some("Basic dXNlcjpwYXNz".into()),
        ..Script::default()
    });
    for (userinfo, sent, says) in [
        ("", false, "credentials needed"),
        ("user:wrong@", true, "were refused"),
    ] {
        let error = count_via(&client_via(&proxy.url(userinfo)), &origin.url("/")).unwrap_err();
        assert!(
            matches!(error, Error::ProxyStatus { code: 407, credentials_sent, .. } if credentials_sent == sent),
            "{error}"
        );
        let text = error.to_string();
        assert!(
            text.contains(says) && text.contains(&proxy.addr.to_string()),
            "{text}"
        );
        assert!(!text.contains("wrong"), "{text}");
    }
    // The origin was never reached.
    assert!(origin.requests().is_empty());
}

#[test]
fn an_http_response_cut_by_the_proxy_is_an_error() {
    let body = "x".repeat(100_000);
    let origin = serve(vec![send(ok_with_length(&body))]);
    let proxy = start_proxy(Script {
        cut_after: Some(20_000),
        ..Script::default()
    });
    let error = count_via(&client_via(&proxy.url("")), &origin.url("/")).unwrap_err();
    assert!(matches!(error, Error::Truncated { .. }), "{error}");
}

// ----- the no-proxy list and the address policy -----

#[test]
fn hosts_on_the_no_proxy_list_are_reached_directly() {
    let origin = serve(vec![send(ok_with_length(PAGE))]);
    let proxy = start_proxy(Script::default());
    let client = Client::builder()
        .proxy(
            Proxy::parse(&proxy.url(""))
                .unwrap()
                .no_proxy("localhost, 127.0.0.0/8"),
        )
        .build();
    assert_eq!(count_via(&client, &origin.url("/")).unwrap().count, 2);
    assert!(proxy.heads().is_empty());
    assert_eq!(origin.requests().len(), 1);
}

#[test]
fn the_policy_judges_the_target_before_the_proxy_is_asked() {
    let origin = serve(vec![send(ok_with_length(PAGE))]);
    let proxy = start_proxy(Script::default());
    let checked = Arc::new(Mutex::new(Vec::new()));
    let policy = {
        let checked = checked.clone();
        AddressPolicy::new(move |host: &str, addr: SocketAddr| {
            checked.lock().unwrap().push((host.to_string(), addr));
            if host == "denied.test" {
                Err("denied by the test".into())
            } else {
                Ok(())
            }
        })
    };
    // Both names resolve to the origin, for the client's own check.
    let origin_addr = origin.addr;
    let resolver = Resolver::new(move |_, _| async move { Ok(vec![origin_addr]) });
    let client = Client::builder()
        .proxy(Proxy::parse(&proxy.url("")).unwrap())
        .address_policy(policy)
        .resolver(resolver)
        .build();
    let port = origin.addr.port();

    let error = count_via(&client, &format!("http://denied.test:{port}/")).unwrap_err();
    assert!(matches!(error, Error::AddressNotAllowed { .. }), "{error}");
    assert!(proxy.heads().is_empty(), "the proxy was asked");

    let report = count_via(&client, &format!("http://allowed.test:{port}/")).unwrap();
    assert_eq!(report.count, 2);
    assert_eq!(proxy.heads().len(), 1);
    // The policy saw the targets' addresses, never the proxy's.
    let checked = checked.lock().unwrap().clone();
    assert_eq!(
        checked,
        [
            ("denied.test".to_string(), origin_addr),
            ("allowed.test".to_string(), origin_addr)
        ]
    );
}

// ----- https: CONNECT tunnels -----

#[cfg(feature = "tls")]
mod tunnel {
    use super::*;

    use std::sync::OnceLock;

    use futures_rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use futures_rustls::rustls::{self, ServerConfig, ServerConnection, StreamOwned};
    use netcount::TlsFailure;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

    /// A test CA (PEM) and two servers' configurations it signed: one for
    /// `origin.test` and `localhost`, one for `other.example` only.
    struct Pki {
        ca_pem: String,
        origin: Arc<ServerConfig>,
        other: Arc<ServerConfig>,
    }

    fn pki() -> &'static Pki {
        static PKI: OnceLock<Pki> = OnceLock::new();
        PKI.get_or_init(|| {
            let ca_key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let ca = params.self_signed(&ca_key).unwrap();
            let server = |names: &[&str]| {
                let key = KeyPair::generate().unwrap();
                let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
                let cert = CertificateParams::new(names)
                    .unwrap()
                    .signed_by(&key, &ca, &ca_key)
                    .unwrap();
                let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let config = ServerConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .unwrap()
                    .with_no_client_auth()
                    .with_single_cert(vec![cert.der().clone()], key)
                    .unwrap();
                Arc::new(config)
            };
            Pki {
                ca_pem: ca.pem(),
                origin: server(&["origin.test", "localhost"]),
                other: server(&["other.example"]),
            }
        })
    }

    /// An https server answering every request with `body`; records the
    /// request heads it decrypted.
    fn tls_origin(
        config: Arc<ServerConfig>,
        body: String,
    ) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = heads.clone();
        thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, body, heads) = (config.clone(), body.clone(), recorded.clone());
                thread::spawn(move || {
                    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
                    let Some(head) = read_head(&mut tls) else {
                        return;
                    };
                    heads.lock().unwrap().push(head);
                    let _ = tls.write_all(&ok_with_length(&body));
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                    let _ = tls.sock.shutdown(Shutdown::Write);
                    let _ = tls.sock.read(&mut [0; 64]);
                });
            }
        });
        (addr, heads)
    }

    fn trusting_client_via(proxy: &str) -> Client {
        Client::builder()
            .timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(5))
            .add_root_certificates_pem(pki().ca_pem.as_bytes())
            .unwrap()
            .proxy(Proxy::parse(proxy).unwrap())
            .build()
    }

    #[test]
    fn https_goes_through_a_connect_tunnel_with_tls_to_the_origin() {
        let (origin, origin_heads) = tls_origin(pki().origin.clone(), PAGE.into());
        let proxy = start_proxy(Script::default());
        // The certificate names origin.test, not the proxy's 127.0.0.1: it
        // is checked against the origin.
        let url = format!("https://origin.test:{}/secret?q=1", origin.port());
        let report = count_via(&trusting_client_via(&proxy.url("")), &url).unwrap();
        assert_eq!(report.count, 2);

        let heads = proxy.heads();
        let authority = format!("origin.test:{}", origin.port());
        assert_eq!(
            heads,
            [format!(
                "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n"
            )]
        );
        // The path went only through the tunnel, encrypted.
        let origin_heads = origin_heads.lock().unwrap().clone();
        assert!(
            origin_heads[0].starts_with("GET /secret?q=1 HTTP/1.1\r\n"),
            "{origin_heads:?}"
        );
    }

    #[test]
    fn the_certificate_is_checked_against_the_origin_not_the_proxy() {
        let (origin, _) = tls_origin(pki().other.clone(), PAGE.into());
        let proxy = start_proxy(Script::default());
        let url = format!("https://origin.test:{}/", origin.port());
        let error = count_via(&trusting_client_via(&proxy.url("")), &url).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Tls {
                    kind: TlsFailure::NameMismatch,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn connect_carries_proxy_credentials_which_never_reach_the_origin() {
        let (origin, origin_heads) = tls_origin(pki().origin.clone(), PAGE.into());
        let proxy = start_proxy(Script {
            credentials: Some("Basic YW5uOnMzY3JldA==".into()),
            ..Script::default()
        });
        let url = format!("https://localhost:{}/", origin.port());
        let report = count_via(&trusting_client_via(&proxy.url("ann:s3cret@")), &url).unwrap();
        assert_eq!(report.count, 2);
        assert!(proxy.heads()[0].contains("\r\nProxy-Authorization: Basic YW5uOnMzY3JldA==\r\n"));
        let origin_heads = origin_heads.lock().unwrap().clone();
        assert!(
            !origin_heads[0]
                .to_ascii_lowercase()
                .contains("authorization"),
            "{origin_heads:?}"
        );
    }

    #[test]
    fn a_connect_answered_with_407_or_403_is_a_clear_error() {
        let (origin, origin_heads) = tls_origin(pki().origin.clone(), PAGE.into());
        let url = format!("https://localhost:{}/", origin.port());
        let needs = start_proxy(Script {
            credentials: Some("Basic eDp5".into()),
            ..Script::default()
        });
        let error = count_via(&trusting_client_via(&needs.url("")), &url).unwrap_err();
        assert!(
            matches!(
                error,
                Error::ProxyStatus {
                    code: 407,
                    credentials_sent: false,
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("credentials needed"), "{error}");

        let refuses = start_proxy(Script {
            refuse_connect: Some(403),
            ..Script::default()
        });
        let error = count_via(&trusting_client_via(&refuses.url("")), &url).unwrap_err();
        assert!(
            matches!(error, Error::ProxyStatus { code: 403, .. }),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "proxy {} refused the request: http status 403 refused by test",
                refuses.addr
            )
        );
        assert!(origin_heads.lock().unwrap().is_empty());
    }

    #[test]
    fn a_tunnel_cut_mid_body_is_an_error_not_a_count() {
        let body = ".NET ".repeat(40_000);
        let (origin, _) = tls_origin(pki().origin.clone(), body);
        let proxy = start_proxy(Script {
            // Past the handshake, well before the end of the 200 kB body.
            cut_after: Some(60_000),
            ..Script::default()
        });
        let url = format!("https://localhost:{}/", origin.port());
        let error = count_via(&trusting_client_via(&proxy.url("")), &url).unwrap_err();
        assert!(matches!(error, Error::Truncated { .. }), "{error}");
    }

    #[test]
    fn a_tunnel_cut_during_the_handshake_is_a_tls_error() {
        let (origin, _) = tls_origin(pki().origin.clone(), PAGE.into());
        let proxy = start_proxy(Script {
            cut_after: Some(10),
            ..Script::default()
        });
        let url = format!("https://localhost:{}/", origin.port());
        let error = count_via(&trusting_client_via(&proxy.url("")), &url).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Tls {
                    kind: TlsFailure::Handshake,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn a_proxy_that_never_answers_connect_times_out_while_connecting() {
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = silent.local_addr().unwrap();
        let client = Client::builder()
            .connect_timeout(Duration::from_millis(300))
            .timeout(Duration::from_secs(10))
            .proxy(Proxy::parse(&format!("http://{addr}")).unwrap())
            .build();
        let error = count_via(&client, "https://localhost:1/").unwrap_err();
        assert!(
            matches!(error, Error::Timeout { phase: netcount::TimeoutPhase::Connect, after }
                if after == Duration::from_millis(300)),
            "{error}"
        );
        drop(silent);
    }

    #[test]
    fn a_proxy_that_closes_before_answering_connect_is_an_empty_reply() {
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = silent.local_addr().unwrap();
        thread::spawn(move || {
            for mut tcp in silent.incoming().flatten() {
                let _ = read_head(&mut tcp);
            }
        });
        let error = count_via(
            &trusting_client_via(&format!("http://{addr}")),
            "https://localhost:1/",
        )
        .unwrap_err();
        assert!(
            matches!(
                error,
                Error::Protocol {
                    kind: netcount::ProtocolErrorKind::EmptyReply,
                    ..
                }
            ),
            "{error}"
        );
        assert!(
            error.to_string().contains("proxy's answer to connect"),
            "{error}"
        );
    }
}

// ----- the web API: only an explicit proxy -----

#[cfg(feature = "server")]
mod server {
    use super::*;

    use netcount::server::{Config, Server};

    /// Runs a server with `config` on 127.0.0.1:0 and asks it for `/count`
    /// of `url`; returns the status line.
    fn ask(mut config: Config, url: &str) -> String {
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.limits.upstream_timeout = Duration::from_secs(10);
        let server = futures_lite::future::block_on(Server::bind(config)).unwrap();
        let addr = server.local_addr();
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let thread = thread::spawn(move || {
            futures_lite::future::block_on(server.run_until(async move {
                let _ = stopped.recv().await;
            }))
        });
        let mut tcp = TcpStream::connect(addr).unwrap();
        let target = url.replace(':', "%3A").replace('/', "%2F");
        write!(
            tcp,
            "GET /count?url={target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        tcp.read_to_string(&mut answer).unwrap();
        drop(stop);
        thread.join().unwrap().unwrap();
        answer.lines().next().unwrap_or_default().to_string()
    }

    #[test]
    fn serve_fetches_through_its_proxy_and_the_guard_still_judges_the_target() {
        let origin = serve(vec![send(ok_with_length(PAGE))]);
        let proxy = start_proxy(Script::default());

        // The guard refuses the loopback target: the proxy is never asked.
        let mut config = Config::default();
        config.proxy = Some(Proxy::parse(&proxy.url("")).unwrap());
        assert_eq!(
            ask(config.clone(), &origin.url("/")),
            "HTTP/1.1 403 Forbidden"
        );
        assert!(proxy.heads().is_empty());

        // Allowed: fetched through the proxy.
        config.guard.allow_addrs.push(origin.addr);
        assert_eq!(ask(config, &origin.url("/")), "HTTP/1.1 200 OK");
        assert_eq!(proxy.heads().len(), 1);
        assert!(proxy.heads()[0].starts_with(&format!("GET {} ", origin.url("/"))));
    }

    #[test]
    fn the_web_api_refuses_credentials_in_the_url() {
        let origin = serve(vec![send(ok_with_length(PAGE))]);
        let mut config = Config::default();
        config.guard.allow_addrs.push(origin.addr);
        let url = format!("http://ann:s3cret@{}/", origin.addr);
        assert_eq!(ask(config, &url), "HTTP/1.1 400 Bad Request");
        assert!(origin.requests().is_empty());
    }
}

// ----- the command line: -x, and the environment -----

#[cfg(feature = "cli")]
mod cli {
    use super::*;

    use std::process::{Command, Stdio};

    /// Runs `netcount` with `args` and exactly the proxy variables in `env`.
    fn netcount(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_netcount"));
        command.args(args);
        for name in [
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
            "no_proxy",
            "NO_PROXY",
        ] {
            command.env_remove(name);
        }
        command.envs(env.iter().copied());
        let output = command.output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    #[test]
    fn dash_x_and_http_proxy_send_the_fetch_through_the_proxy() {
        let origin = serve(vec![send(ok_with_length(PAGE))]);
        let proxy = start_proxy(Script::default());
        let url = origin.url("/");
        let by_flag = netcount(&["-x", &proxy.url(""), &url], &[]);
        assert_eq!(by_flag, (Some(0), "2\n".into(), String::new()));
        let by_env = netcount(&[&url], &[("http_proxy", &proxy.url(""))]);
        assert_eq!(by_env, (Some(0), "2\n".into(), String::new()));
        assert_eq!(proxy.heads().len(), 2);

        // HTTP_PROXY (upper case) is not read; --noproxy and -x '' bypass.
        assert_eq!(
            netcount(&[&url], &[("HTTP_PROXY", &proxy.url(""))]).0,
            Some(0)
        );
        assert_eq!(
            netcount(
                &["--noproxy", "127.0.0.1", &url],
                &[("http_proxy", &proxy.url(""))]
            )
            .0,
            Some(0)
        );
        assert_eq!(
            netcount(&["-x", "", &url], &[("http_proxy", &proxy.url(""))]).0,
            Some(0)
        );
        assert_eq!(
            proxy.heads().len(),
            2,
            "only the first two went through the proxy"
        );
        assert_eq!(origin.requests().len(), 5);
    }

    #[test]
    fn a_bad_proxy_is_a_usage_error_without_its_password() {
        let (code, _, stderr) = netcount(&["-x", "socks5://ann:s3cret@p:1", "http://a.test/"], &[]);
        assert_eq!(code, Some(2));
        assert!(
            stderr.contains("socks proxies are not supported"),
            "{stderr}"
        );
        assert!(!stderr.contains("s3cret"), "{stderr}");
        let (code, _, stderr) = netcount(&["http://a.test/"], &[("HTTPS_PROXY", "ftp://p")]);
        // Only the https variable is bad, and it is read at start.
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("HTTPS_PROXY=ftp://p"), "{stderr}");
    }

    #[test]
    fn serve_never_reads_the_environment() {
        let origin = serve(vec![send(ok_with_length(PAGE))]);
        let proxy = start_proxy(Script::default());
        let mut child = Command::new(env!("CARGO_BIN_EXE_netcount"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--allow-addr",
                &origin.addr.to_string(),
            ])
            .env("http_proxy", proxy.url(""))
            .env("ALL_PROXY", proxy.url(""))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // "netcount: serving on http://127.0.0.1:PORT"
        let mut stderr = child.stderr.take().unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\n") && stderr.read(&mut byte).unwrap_or(0) == 1 {
            line.push(byte[0]);
        }
        let line = String::from_utf8_lossy(&line).into_owned();
        let addr = line.trim().rsplit("http://").next().unwrap().to_string();
        let result = (|| {
            let mut tcp = TcpStream::connect(&addr).ok()?;
            let target = origin.url("/").replace(':', "%3A").replace('/', "%2F");
            write!(
                tcp,
                "GET /count?url={target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .ok()?;
            let mut answer = String::new();
            tcp.read_to_string(&mut answer).ok()?;
            Some(answer)
        })();
        child.kill().unwrap();
        child.wait().unwrap();
        let answer = result.unwrap_or_else(|| panic!("no answer from {line:?}"));
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(proxy.heads().is_empty());
        assert_eq!(origin.requests().len(), 1);
    }
}
