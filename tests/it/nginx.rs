//! Interop with nginx, started by the test as a foreground child with its
//! own config, logs and temp paths under a temp directory: a static file
//! (Content-Length) and a proxied close-delimited upstream that nginx
//! re-frames as chunked.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::interop::{have, tempdir};
use crate::support::*;

/// nginx, stopped (and reaped) when dropped.
struct Nginx {
    child: Child,
    port: u16,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    /// `http://127.0.0.1:port` + `path`.
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts nginx serving `dir/www`, with `/upstream/` proxied unbuffered to
/// `upstream_port`; waits until it accepts connections.
fn start_nginx(dir: &Path, upstream_port: u16) -> Nginx {
    let port = free_port();
    let d = dir.display();
    let config = format!(
        "daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {d}/www;
        location /upstream/ {{
            proxy_pass http://127.0.0.1:{upstream_port}/;
            proxy_buffering off;
        }}
    }}
}}
"
    );
    std::fs::write(dir.join("nginx.conf"), config).unwrap();
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("startup.log"))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let mut nginx = Nginx { child, port };
    // Wait until it listens (or has died).
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        let log = || std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
        if let Some(status) = nginx.child.try_wait().unwrap() {
            panic!("nginx exited with {status}: {}", log());
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nginx did not start listening: {}",
            log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    nginx
}

/// Fetches `path` with a plain socket: the raw head and the raw body bytes.
fn raw_get(port: u16, path: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    let end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head")
        + 4;
    let body = reply.split_off(end);
    (String::from_utf8(reply).unwrap().to_ascii_lowercase(), body)
}

/// A deliberately simple chunked decoder, independent of the library's.
fn dechunk(mut wire: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    loop {
        let line_end = wire.windows(2).position(|w| w == b"\r\n").unwrap();
        let line = std::str::from_utf8(&wire[..line_end]).unwrap();
        let size = usize::from_str_radix(line.split(';').next().unwrap().trim(), 16).unwrap();
        wire = &wire[line_end + 2..];
        if size == 0 {
            return payload;
        }
        payload.extend_from_slice(&wire[..size]);
        assert_eq!(&wire[size..size + 2], b"\r\n");
        wire = &wire[size + 2..];
    }
}

/// The naive count of `needle` in `bytes`, non-overlapping, leftmost first.
fn naive_count(bytes: &[u8], needle: &[u8]) -> u64 {
    let (mut count, mut i) = (0, 0);
    while i + needle.len() <= bytes.len() {
        if &bytes[i..i + needle.len()] == needle {
            count += 1;
            i += needle.len();
        } else {
            i += 1;
        }
    }
    count
}

/// About `len` bytes of text with `.NET`, near misses and irregular gaps,
/// so occurrences land at every offset of nginx's buffers and chunks.
fn page(len: usize, seed: u64) -> Vec<u8> {
    let mut page = Vec::with_capacity(len + 64);
    let mut state = seed;
    while page.len() < len {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let gap = (state >> 33) as usize % 300;
        page.extend(std::iter::repeat_n(b'x', gap));
        page.extend_from_slice(match (state >> 20) % 4 {
            0 => &b".NET"[..],
            1 => b".NE",
            2 => b"..NET.NET",
            _ => b".net",
        });
    }
    page
}

#[test]
fn nginx_static_file_and_chunked_proxy() {
    if !have("nginx") {
        return;
    }
    let dir = tempdir("nginx");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    let file = page(3_000_000, 1);
    std::fs::write(dir.join("www/page.html"), &file).unwrap();

    // The upstream: HTTP/1.0, no length, the end of the body is the close.
    let proxied = page(2_000_000, 2);
    let mut upstream_reply = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    upstream_reply.extend_from_slice(&proxied);
    let upstream = serve(vec![send(&upstream_reply)]);
    let nginx = start_nginx(&dir, upstream.addr.port());

    // (a) The static file: nginx sends a Content-Length.
    let (head, raw) = raw_get(nginx.port, "/page.html");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("server: nginx"), "{head}");
    assert!(
        head.contains(&format!("content-length: {}\r\n", file.len())),
        "{head}"
    );
    assert_eq!(raw, file);
    let report = count(&nginx.url("/page.html"), ".NET").unwrap();
    assert_eq!(report.bytes, file.len() as u64);
    assert_eq!(report.count, naive_count(&file, b".NET"));
    assert!(report.count > 1000);

    // (b) The proxied body: really re-framed as chunked, and in more than
    // one chunk.
    let (head, raw) = raw_get(nginx.port, "/upstream/page");
    assert!(head.contains("transfer-encoding: chunked\r\n"), "{head}");
    assert!(!head.contains("content-length"), "{head}");
    let dechunked = dechunk(&raw);
    assert_eq!(dechunked, proxied);
    assert!(raw.len() > proxied.len() + 20, "a single chunk?");
    let report = count(&nginx.url("/upstream/page"), ".NET").unwrap();
    assert_eq!(report.bytes, proxied.len() as u64);
    assert_eq!(report.count, naive_count(&proxied, b".NET"));
    assert!(report.count > 1000);

    // Not found is an error, not a count of the error page.
    let error = count(&nginx.url("/missing.html"), ".NET").unwrap_err();
    assert!(
        matches!(error, netcount::Error::Status { code: 404, .. }),
        "{error}"
    );
}
