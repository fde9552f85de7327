//! Interop with nginx, started by the test as a foreground child with its
//! own config, logs and temp paths under a temp directory: a static file
//! (Content-Length), a proxied close-delimited upstream that nginx
//! re-frames as chunked, and (feature `compression`) an HTML page that
//! nginx gzips on the fly (`gzip on`) when asked to.

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
    types {{ text/html html; }}
    # Compress text/html (the default gzip_types) for requests that accept
    # gzip; the identity fetches in these tests do not.
    gzip on;
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

/// Fetches `path` with a plain socket, sending `extra` header lines too:
/// the raw head (lower-cased) and the raw body bytes.
fn raw_get(port: u16, path: &str, extra: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}\r\n"
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
    let (head, raw) = raw_get(nginx.port, "/page.html", "");
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
    let (head, raw) = raw_get(nginx.port, "/upstream/page", "");
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

/// An HTML page of about `len` bytes: a list of links and paragraphs that
/// mention `.NET` (some split across tags), varied enough that compression
/// has work to do.
#[cfg(feature = "compression")]
fn html_page(len: usize) -> Vec<u8> {
    let mut page = b"<!DOCTYPE html>\n<html><head><title>.NET</title></head><body>\n".to_vec();
    let mut i = 0u64;
    while page.len() < len {
        let line = format!(
            "<li id=\"n{i}\"><a href=\"/docs/{}\">.NET {} release notes</a>, \
             <em>.N</em>ET, ASP.NET Core {}.{}</li>\n",
            i.wrapping_mul(7919) % 100_000,
            i % 97,
            i % 9,
            i % 13,
        );
        page.extend_from_slice(line.as_bytes());
        i += 1;
    }
    page.extend_from_slice(b"</body></html>\n");
    page
}

#[cfg(feature = "compression")]
#[test]
fn nginx_gzip_counts_what_the_identity_fetch_counts() {
    use netcount::Client;

    if !have("nginx") {
        return;
    }
    let dir = tempdir("nginx-gzip");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    let html = html_page(500_000);
    std::fs::write(dir.join("www/index.html"), &html).unwrap();
    let upstream = serve(vec![]);
    let nginx = start_nginx(&dir, upstream.addr.port());

    // nginx really compresses this page when asked: gzip, re-framed as
    // chunked, much smaller.
    let (head, raw) = raw_get(nginx.port, "/index.html", "Accept-Encoding: gzip\r\n");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(head.contains("content-encoding: gzip\r\n"), "{head}");
    let gzipped = dechunk(&raw);
    assert!(gzipped.len() * 4 < html.len(), "{} bytes", gzipped.len());
    // And does not when not asked.
    let (head, raw) = raw_get(nginx.port, "/index.html", "");
    assert!(!head.contains("content-encoding"), "{head}");
    assert_eq!(raw, html);

    let url = nginx.url("/index.html");
    let identity = count(&url, ".NET").unwrap();
    let compressed = Client::builder()
        .compressed(true)
        .timeout(Duration::from_secs(20))
        .build();
    let gzip = count_with(&compressed, &url, ".NET").unwrap();

    let expected = naive_count(&html, b".NET");
    assert!(expected > 5_000, "{expected}");
    assert_eq!((identity.count, gzip.count), (expected, expected));
    assert_eq!(
        (identity.bytes, gzip.bytes),
        (html.len() as u64, html.len() as u64)
    );
    assert_eq!(identity.content_encoding, "identity");
    assert_eq!(identity.bytes_received, html.len() as u64);
    assert_eq!(gzip.content_encoding, "gzip");
    assert_eq!(gzip.bytes_received, gzipped.len() as u64);
}
