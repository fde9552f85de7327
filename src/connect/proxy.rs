//! The `CONNECT` tunnel through a proxy (RFC 9110 §9.3.6), for `https`
//! URLs.
//!
//! ```text
//! client                               proxy                      server
//!   │ CONNECT example.org:443 HTTP/1.1   │                           │
//!   │ Host: example.org:443              │                           │
//!   │ [Proxy-Authorization: Basic ...]   │                           │
//!   │ ─────────────────────────────────► │ ── TCP connect ─────────► │
//!   │ ◄───────────── HTTP/1.1 200 ...    │                           │
//!   │ ◄════════ TLS with example.org, through the proxy ══════════► │
//! ```
//!
//! After a 2xx answer the proxy copies bytes both ways, so the same TCP
//! stream carries the TLS handshake with the server: the certificate is
//! checked against the server's name, and the proxy sees only ciphertext.
//! Any other answer is an [`Error::ProxyStatus`] carrying the status
//! (407: the proxy wants credentials).

use async_net::TcpStream;
use futures_lite::{AsyncRead, AsyncWriteExt};

use crate::error::{Error, ProtocolErrorKind};
use crate::http::head::{parse_head_with, read_head, ObsFold};
use crate::http::response::{head_error, parse_status_line};
use crate::http::{MAX_HEADERS, MAX_HEAD_BYTES};
use crate::proxy::ProxyServer;
use crate::url::{Host, Url};

/// How many bytes one read of the proxy's answer asks for.
const READ_SIZE: usize = 4096;

/// The `CONNECT` request for `target`, through `proxy`.
fn connect_head(target: &Url, proxy: &ProxyServer) -> Vec<u8> {
    // The authority form always names the port; IPv6 in brackets.
    let authority = match target.host() {
        Host::Ipv6(ip) => format!("[{ip}]:{}", target.port()),
        host => format!("{host}:{}", target.port()),
    };
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(value) = proxy.authorization() {
        head.push_str(&format!("Proxy-Authorization: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Asks `proxy`, over `tcp`, for a tunnel to `target`'s host and port, and
/// returns the stream once the proxy has agreed. No timeout here: the
/// caller bounds the whole exchange.
pub(crate) async fn tunnel(
    mut tcp: TcpStream,
    target: &Url,
    proxy: &ProxyServer,
) -> Result<TcpStream, Error> {
    // Ask.
    tcp.write_all(&connect_head(target, proxy)).await?;
    tcp.flush().await?;

    // Read the answer's head; nothing may follow it yet.
    let status = read_answer(&mut tcp).await?;
    match status {
        (200..=299, _) => Ok(tcp),
        (code, reason) => Err(Error::ProxyStatus {
            proxy: proxy.address(),
            code,
            reason,
            credentials_sent: proxy.authorization().is_some(),
        }),
    }
}

/// Reads the proxy's answer to `CONNECT`; returns its status and reason.
/// Interim 1xx answers are skipped. A 2xx answer followed by bytes is an
/// error: the server speaks only after the TLS client does, so those bytes
/// can only be the proxy's, and they would corrupt the handshake.
async fn read_answer<S: AsyncRead + Unpin>(stream: &mut S) -> Result<(u16, String), Error> {
    let mut buf = Vec::with_capacity(READ_SIZE);
    loop {
        let end = read_head(stream, &mut buf, MAX_HEAD_BYTES, READ_SIZE)
            .await
            .map_err(|error| match head_error(error) {
                Error::Protocol { kind, detail } => {
                    Error::protocol(kind, format!("proxy's answer to connect: {detail}"))
                }
                other => other,
            })?;
        let parsed = parse_head_with(&buf[..end], MAX_HEADERS, ObsFold::Unfold)?;
        let (_, code, reason) = parse_status_line(parsed.start_line)?;
        buf.drain(..end);
        if (100..200).contains(&code) {
            continue;
        }
        if (200..300).contains(&code) && !buf.is_empty() {
            return Err(Error::protocol(
                ProtocolErrorKind::Framing,
                format!(
                    "the proxy sent {} bytes after its {code} answer to connect, before the tls handshake",
                    buf.len()
                ),
            ));
        }
        return Ok((code, reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use futures_lite::future::block_on;

    use crate::http::Replay;
    use crate::proxy::Proxy;

    fn server(text: &str) -> ProxyServer {
        let proxy = Proxy::parse(text).unwrap();
        let target = Url::parse("https://example.org/").unwrap();
        proxy.server_for(&target).unwrap().clone()
    }

    fn head(target: &str, proxy: &str) -> String {
        String::from_utf8(connect_head(&Url::parse(target).unwrap(), &server(proxy))).unwrap()
    }

    #[test]
    fn the_request_names_host_and_port_and_carries_proxy_credentials() {
        assert_eq!(
            head("https://example.org/a?b", "http://p:1"),
            "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n"
        );
        assert_eq!(
            head(
                "https://u:secret@[::1]:8443/",
                "http://Aladdin:open%20sesame@p:1"
            ),
            "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\
             Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"
        );
    }

    fn answer(bytes: &str) -> Result<(u16, String), Error> {
        block_on(read_answer(&mut Replay::new(bytes.to_string())))
    }

    #[test]
    fn answers_are_read_to_their_status() {
        assert_eq!(
            answer("HTTP/1.1 200 Connection established\r\n\r\n").unwrap(),
            (200, "Connection established".into())
        );
        assert_eq!(
            answer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nX: a\r\n b\r\n\r\n")
                .unwrap()
                .0,
            200
        );
        assert_eq!(
            answer("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 3\r\n\r\nno!")
                .unwrap(),
            (407, "Proxy Authentication Required".into())
        );
    }

    #[test]
    fn broken_answers_are_errors() {
        for (bytes, what) in [
            ("", "empty reply"),
            ("HTTP/1.1 200 OK\r\n", "in the middle of the response head"),
            ("SSH-2.0-OpenSSH\r\n\r\n", "not an http/1.x response"),
            (
                "HTTP/1.1 200 OK\r\n\r\n\x16\x03",
                "2 bytes after its 200 answer",
            ),
        ] {
            let error = answer(bytes).unwrap_err();
            assert!(error.to_string().contains(what), "{bytes:?}: {error}");
        }
    }
}
