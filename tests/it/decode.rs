//! Content-Encoding decoding: compressed bodies served over loopback by
//! scripted servers, read through the real response parser and body framing,
//! decoded and counted; the same through `Client::count`, `Response::count`
//! and the `netcount` binary; random read splits against a naive oracle; and
//! the 1000:1 gzip bomb, alone and through the client (release mode,
//! `--ignored`).

use std::io::{self, Write};
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncReadExt};
use netcount::decode::{ContentDecoder, DecodeError, DecodeErrorKind, Decoded};
use netcount::http::{self, Body, Replay};
use netcount::url::Url;
use netcount::Counter;
use proptest::prelude::*;

use crate::support::*;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        lgwin: 18,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).unwrap();
    out
}

/// The naive oracle: non-overlapping occurrences in the whole content.
fn naive_count(hay: &[u8], needle: &[u8]) -> u64 {
    let (mut count, mut at) = (0, 0);
    while at + needle.len() <= hay.len() {
        if &hay[at..at + needle.len()] == needle {
            count += 1;
            at += needle.len();
        } else {
            at += 1;
        }
    }
    count
}

/// An HTML page with `.NET` in it, some of it split across lines.
fn page(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 100);
    let mut i = 0u64;
    while out.len() < len {
        writeln!(
            out,
            "<li class=\"item-{i}\"><a href=\"/p/{}\">.NET {} and .N</a>ET</li>",
            i * 7919 % 1000,
            i % 97
        )
        .unwrap();
        i += 1;
    }
    out.truncate(len);
    out
}

/// Reads `reader` to its end in `size`-byte reads, counting `.NET`.
async fn count_all(reader: &mut (impl AsyncRead + Unpin), size: usize) -> io::Result<Counter> {
    let mut counter = Counter::new(".NET").unwrap();
    let mut buf = vec![0; size];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(counter);
        }
        counter.feed(&buf[..n]);
    }
}

/// GETs `server`'s page over a real socket and wraps its body in the
/// decoder its `Content-Encoding` asks for.
async fn fetch(server: &Server) -> io::Result<Decoded<Body<async_net::TcpStream>>> {
    let url = Url::parse(&server.url("/")).unwrap();
    let stream = async_net::TcpStream::connect(server.addr).await?;
    let response = http::get(stream, &url).await?;
    let codings = response.headers().get_all("content-encoding");
    let decoder = ContentDecoder::from_header_values(codings)?;
    Ok(decoder.decode(response.into_body()))
}

/// A response head with this coding and framing header.
fn head(coding: &str, framing: &str) -> String {
    format!("HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\n{framing}\r\n")
}

/// A whole response: `body` under this coding, with its Content-Length.
fn with_length(coding: &str, body: &[u8]) -> Step {
    let length = format!("Content-Length: {}\r\n", body.len());
    send([head(coding, &length).as_bytes(), body].concat())
}

/// `body` in chunked framing, chunks of `size` bytes.
fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in body.chunks(size) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn every_coding_over_loopback_counts_what_identity_counts() {
    let content = page(300_000);
    let expected = naive_count(&content, b".NET");
    assert!(expected > 1000);
    let cases = [
        ("gzip", gzip(&content)),
        ("x-gzip", gzip(&content)),
        ("deflate", zlib(&content)),
        ("deflate", raw_deflate(&content)),
        ("br", brotli(&content)),
        ("gzip, br", brotli(&gzip(&content))),
        ("identity", content.clone()),
    ];
    for (coding, body) in cases {
        for chunked_framing in [false, true] {
            let mut steps = Vec::new();
            if chunked_framing {
                steps.push(send(head(coding, "Transfer-Encoding: chunked\r\n")));
                steps.extend(send_in_pieces(chunked(&body, 1000), 7001, 1));
            } else {
                let length = format!("Content-Length: {}\r\n", body.len());
                steps.push(send(head(coding, &length)));
                steps.extend(send_in_pieces(&body, 7001, 1));
            }
            let server = serve(steps);
            let (counter, decoded) = block_on(async {
                let mut decoded = fetch(&server).await.unwrap();
                let counter = count_all(&mut decoded, 64 << 10).await.unwrap();
                (counter, decoded)
            });
            let what = format!("{coding}, chunked {chunked_framing}");
            assert_eq!(counter.count(), expected, "{what}");
            assert_eq!(decoded.bytes_out(), content.len() as u64, "{what}");
            assert_eq!(decoded.bytes_in(), body.len() as u64, "{what}");
        }
    }
}

/// Fetches a body that must fail, and returns the decode error inside.
fn fetch_error(steps: Vec<Step>) -> io::Error {
    let server = serve(steps);
    block_on(async {
        let mut decoded = fetch(&server).await.unwrap();
        count_all(&mut decoded, 4096)
            .await
            .expect_err("an error, never a count")
    })
}

fn decode_error(error: io::Error) -> DecodeError {
    error.downcast::<DecodeError>().expect("a decode error")
}

#[test]
fn a_connection_closed_mid_stream_is_truncated_not_a_count() {
    // Close-delimited framing: the body itself ends cleanly at the close,
    // so only the decoder can tell that the content is cut.
    let content = page(100_000);
    for (coding, body) in [
        ("gzip", gzip(&content)),
        ("deflate", zlib(&content)),
        ("br", brotli(&content)),
    ] {
        let half = body[..body.len() / 2].to_vec();
        let error = fetch_error(vec![send(head(coding, "")), send(half)]);
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(
            decode_error(error).kind(),
            DecodeErrorKind::Truncated,
            "{coding}"
        );
    }
    // Content-Length framing: the body's own truncation error comes through.
    let body = gzip(&content);
    let length = format!("Content-Length: {}\r\n", body.len());
    let error = fetch_error(vec![send(head("gzip", &length)), send(&body[..100])]);
    let error = netcount::Error::from(error);
    assert!(
        matches!(error, netcount::Error::Truncated { .. }),
        "{error}"
    );
}

#[test]
fn trailing_garbage_after_the_stream_is_an_error() {
    let content = page(20_000);
    for (coding, body) in [
        ("gzip", gzip(&content)),
        ("deflate", raw_deflate(&content)),
        ("br", brotli(&content)),
    ] {
        let mut body = body;
        body.extend_from_slice(b"<!-- appended by a proxy -->");
        let length = format!("Content-Length: {}\r\n", body.len());
        let error = fetch_error(vec![send(head(coding, &length)), send(&body)]);
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        let error = decode_error(error);
        assert_eq!(error.kind(), DecodeErrorKind::TrailingData, "{coding}");
        assert_eq!(
            error.to_string(),
            format!("trailing data after the end of the {coding} stream")
        );
    }
}

#[test]
fn a_corrupt_stream_is_an_error() {
    let mut body = gzip(&page(20_000));
    let at = body.len() / 2;
    body[at] ^= 0x5a;
    let length = format!("Content-Length: {}\r\n", body.len());
    let error = fetch_error(vec![send(head("gzip", &length)), send(&body)]);
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    let error = decode_error(error);
    assert_eq!(error.kind(), DecodeErrorKind::Corrupt);
    assert!(
        error.to_string().starts_with("corrupt gzip stream: "),
        "{error}"
    );
}

#[test]
fn an_unsupported_coding_is_refused_before_the_body_is_read() {
    let server = serve(vec![
        send(head("zstd", "Content-Length: 4\r\n")),
        send("(\u{b5}/\u{fd}"),
    ]);
    let error = block_on(fetch(&server)).expect_err("zstd is not decoded");
    let error = decode_error(error);
    assert_eq!(error.kind(), DecodeErrorKind::Unsupported);
    assert_eq!(error.to_string(), "unsupported content encoding \"zstd\"");
}

#[test]
fn a_stalled_server_leaves_the_read_pending_not_failed() {
    // The decoder waits for the body like any reader: half the stream, a
    // pause longer than a poll, then the rest.
    let content = page(50_000);
    let body = brotli(&gzip(&content));
    let length = format!("Content-Length: {}\r\n", body.len());
    let (first, rest) = body.split_at(body.len() / 2);
    let server = serve(vec![
        send(head("gzip, br", &length)),
        send(first),
        Step::Sleep(Duration::from_millis(200)),
        send(rest),
    ]);
    let count = block_on(async {
        let mut decoded = fetch(&server).await.unwrap();
        count_all(&mut decoded, 1000).await.unwrap().count()
    });
    assert_eq!(count, naive_count(&content, b".NET"));
}

// ---- through the client --------------------------------------------------

/// A client that asks for a compressed transfer, with the timeouts of
/// [`quick_client`].
fn compressed_client() -> netcount::Client {
    netcount::Client::builder()
        .compressed(true)
        .timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(2))
        .build()
}

#[test]
fn the_client_counts_the_decoded_content_in_every_coding_and_framing() {
    let content = page(200_000);
    let expected = naive_count(&content, b".NET");
    let cases = [
        ("gzip", gzip(&content), "gzip"),
        ("X-Gzip", gzip(&content), "gzip"),
        ("deflate", zlib(&content), "deflate"),
        ("deflate", raw_deflate(&content), "deflate"),
        ("br", brotli(&content), "br"),
        ("gzip, br", brotli(&gzip(&content)), "gzip, br"),
        ("identity", content.clone(), "identity"),
    ];
    for (coding, body, named) in cases {
        for framing in ["length", "chunked", "close"] {
            let mut steps = match framing {
                "length" => vec![send(head(
                    coding,
                    &format!("Content-Length: {}\r\n", body.len()),
                ))],
                "chunked" => vec![send(head(coding, "Transfer-Encoding: chunked\r\n"))],
                _ => vec![send(head(coding, ""))],
            };
            let wire = match framing {
                "chunked" => chunked(&body, 4000),
                _ => body.clone(),
            };
            steps.extend(send_in_pieces(wire, 9001, 1));
            let server = serve(steps);
            let what = format!("{coding}, {framing}");
            let report = count(&server.url("/"), ".NET").unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(report.count, expected, "{what}");
            assert_eq!(report.bytes, content.len() as u64, "{what}");
            assert_eq!(report.bytes_received, body.len() as u64, "{what}");
            assert_eq!(report.content_encoding, named, "{what}");
        }
    }
}

#[test]
fn a_compressed_body_is_decoded_whether_or_not_it_was_asked_for() {
    let content = page(50_000);
    let body = gzip(&content);
    let server = serve(vec![with_length("gzip", &body)]);
    let asked = count_with(&compressed_client(), &server.url("/"), ".NET").unwrap();
    let unasked = count(&server.url("/"), ".NET").unwrap();
    let requests = server.requests();
    assert_eq!(
        requests[0].header("accept-encoding"),
        Some("gzip, deflate, br")
    );
    assert_eq!(requests[1].header("accept-encoding"), Some("identity"));
    for report in [&asked, &unasked] {
        assert_eq!(report.count, naive_count(&content, b".NET"));
        assert_eq!(report.bytes, content.len() as u64);
        assert_eq!(report.bytes_received, body.len() as u64);
        assert_eq!(report.content_encoding, "gzip");
    }
}

/// The error of counting at a server that answers with `steps`.
fn client_error(steps: Vec<Step>) -> netcount::Error {
    let server = serve(steps);
    match count(&server.url("/"), ".NET") {
        Ok(report) => panic!("expected an error, got a count: {report:?}"),
        Err(error) => error,
    }
}

/// The decoder's error inside `error`, which must be `Error::Decode`.
fn decode_error_of(error: &netcount::Error) -> &DecodeError {
    match error {
        netcount::Error::Decode(inner) => inner,
        other => panic!("expected a decode error, got: {other}"),
    }
}

#[test]
fn undecodable_bodies_are_errors_through_the_client_never_counts() {
    let content = page(30_000);
    let length = |body: &[u8]| format!("Content-Length: {}\r\n", body.len());

    // Corrupt: a flipped byte in the middle of the deflate data.
    let mut corrupt = gzip(&content);
    let at = corrupt.len() / 2;
    corrupt[at] ^= 0x5a;
    let error = client_error(vec![send(head("gzip", &length(&corrupt))), send(&corrupt)]);
    assert_eq!(decode_error_of(&error).kind(), DecodeErrorKind::Corrupt);
    assert_eq!(error.kind(), "decode");
    assert!(
        error.to_string().starts_with("corrupt gzip stream: "),
        "{error}"
    );

    // Truncated: the connection closes cleanly (close-delimited framing)
    // halfway through the br stream.
    let cut = brotli(&content);
    let half = &cut[..cut.len() / 2];
    let error = client_error(vec![send(head("br", "")), send(half)]);
    assert_eq!(decode_error_of(&error).kind(), DecodeErrorKind::Truncated);
    assert_eq!(
        error.to_string(),
        "truncated br stream: the body ended before the end of the compressed data"
    );

    // Trailing garbage after a complete deflate stream, in chunked framing.
    let mut trailing = zlib(&content);
    trailing.extend_from_slice(b"\n<!-- cache: hit -->\n");
    let error = client_error(vec![
        send(head("deflate", "Transfer-Encoding: chunked\r\n")),
        send(chunked(&trailing, 1000)),
    ]);
    assert_eq!(
        decode_error_of(&error).kind(),
        DecodeErrorKind::TrailingData
    );
    assert_eq!(
        error.to_string(),
        "trailing data after the end of the deflate stream"
    );

    // The body's own truncation (short Content-Length) stays what it is.
    let body = gzip(&content);
    let error = client_error(vec![send(head("gzip", &length(&body))), send(&body[..200])]);
    assert!(
        matches!(error, netcount::Error::Truncated { .. }),
        "{error}"
    );

    // Too many stacked codings.
    let error = client_error(vec![
        send(head("gzip, gzip, gzip, gzip", "Content-Length: 4\r\n")),
        send("abcd"),
    ]);
    assert_eq!(decode_error_of(&error).kind(), DecodeErrorKind::Unsupported);
    assert_eq!(
        error.to_string(),
        "too many stacked content encodings (4, at most 3)"
    );
}

#[test]
fn an_unknown_coding_is_unsupported_encoding_naming_it() {
    for coding in ["zstd", "gzip, compress", "identity, x-custom"] {
        let error = client_error(vec![
            send(head(coding, "Content-Length: 4\r\n")),
            send(".NET"),
        ]);
        let unknown = coding.rsplit(", ").next().unwrap();
        assert!(
            matches!(
                &error,
                netcount::Error::UnsupportedEncoding { header: "content-encoding", coding }
                    if coding == unknown
            ),
            "{coding}: {error:?}"
        );
        assert_eq!(error.kind(), "unsupported_encoding");
        assert_eq!(
            error.to_string(),
            format!(
                "unsupported content-encoding {unknown:?}: the body cannot be decoded, so it cannot be counted"
            )
        );
    }
}

#[test]
fn bodies_without_content_are_not_decoded() {
    // No content at all: nothing to decode, so not even an unknown coding
    // is refused; the count is 0.
    for reply in [
        "HTTP/1.1 204 No Content\r\nContent-Encoding: zstd\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n",
    ] {
        let server = serve(vec![send(reply)]);
        let report = count(&server.url("/"), ".NET").unwrap();
        assert_eq!(
            (report.count, report.bytes, report.bytes_received),
            (0, 0, 0)
        );
        assert_eq!(report.content_encoding, "identity", "{reply:?}");
    }
    // A chunked body of no chunks goes through the decoder, which reads an
    // empty body as empty content.
    let server = serve(vec![send(
        "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    )]);
    let report = count(&server.url("/"), ".NET").unwrap();
    assert_eq!((report.count, report.bytes), (0, 0));
    assert_eq!(report.content_encoding, "br");
}

#[test]
fn response_count_decodes_over_a_socket_of_your_own() {
    let content = page(40_000);
    let body = brotli(&content);
    let server = serve(vec![with_length("br", &body)]);
    let (count, bytes) = block_on(async {
        let url = Url::parse(&server.url("/")).unwrap();
        let stream = async_net::TcpStream::connect(server.addr).await.unwrap();
        let response = http::get(stream, &url).await.unwrap();
        let mut counter = Counter::new(".NET").unwrap();
        let bytes = response.count(&mut counter).await.unwrap();
        (counter.count(), bytes)
    });
    assert_eq!(count, naive_count(&content, b".NET"));
    assert_eq!(bytes, content.len() as u64);
}

#[cfg(feature = "cli")]
mod cli {
    use std::process::Output;

    use super::*;

    fn stdout(output: &Output) -> String {
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A server that gzips its page when the request asks for gzip, and sends
    /// it as it is otherwise, as nginx with `gzip on` does.
    fn gzip_when_asked(content: Vec<u8>) -> Server {
        let compressed = gzip(&content);
        serve_with(move |request| {
            let asked = request
                .header("accept-encoding")
                .is_some_and(|value| value.contains("gzip"));
            if asked {
                vec![with_length("gzip", &compressed)]
            } else {
                vec![send(ok_with_length(&content))]
            }
        })
    }

    fn json(output: &Output) -> serde_json::Value {
        serde_json::from_str(&stdout(output)).unwrap_or_else(|e| panic!("{e}: {output:?}"))
    }

    #[test]
    fn compressed_asks_for_gzip_and_counts_the_same() {
        let content = page(100_000);
        let expected = naive_count(&content, b".NET");
        let server = gzip_when_asked(content.clone());
        let url = server.url("/");

        let plain = netcount(&[&url]);
        let compressed = netcount(&["--compressed", &url]);
        for output in [&plain, &compressed] {
            assert_eq!(output.status.code(), Some(0), "{output:?}");
            assert_eq!(stdout(output), format!("{expected}\n"));
        }

        let plain = json(&netcount(&["--json", &url]));
        let compressed = json(&netcount(&["--json", "--compressed", &url]));
        assert_eq!(plain["content_encoding"], "identity");
        assert_eq!(plain["bytes_received"], plain["bytes"]);
        assert_eq!(compressed["content_encoding"], "gzip");
        assert_eq!(compressed["bytes_received"], gzip(&content).len());
        for report in [&plain, &compressed] {
            assert_eq!(report["count"], expected);
            assert_eq!(report["bytes"], content.len());
        }

        let asked: Vec<_> = server
            .requests()
            .iter()
            .map(|r| r.header("accept-encoding").unwrap().to_string())
            .collect();
        assert_eq!(
            asked,
            [
                "identity",
                "gzip, deflate, br",
                "identity",
                "gzip, deflate, br"
            ]
        );
    }

    #[test]
    fn a_corrupt_body_is_a_failure_with_its_reason_not_a_count() {
        let mut body = gzip(&page(20_000));
        let at = body.len() / 2;
        body[at] ^= 0x5a;
        let server = serve(vec![with_length("gzip", &body)]);
        let url = server.url("/");

        let output = netcount(&[&url]);
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(stdout(&output), "");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with(&format!("netcount: {url}: corrupt gzip stream: ")),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");

        let output = netcount(&["--json", &url]);
        assert_eq!(output.status.code(), Some(1));
        let line = json(&output);
        assert_eq!(line["error"]["kind"], "decode");
        let message = line["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("corrupt gzip stream: "), "{message}");
    }
}

/// Decodes `body` under `coding` from a `Replay` that splits reads by
/// `read_sizes`, reading `out_size` bytes at a time.
fn decode_split(
    coding: &str,
    body: &[u8],
    read_sizes: &[usize],
    out_size: usize,
) -> io::Result<(Vec<u8>, u64, u64)> {
    let decoder = ContentDecoder::from_header_values([coding]).unwrap();
    let mut decoded = decoder.decode(Replay::new(body).with_read_sizes(read_sizes));
    let mut content = Vec::new();
    let mut buf = vec![0; out_size];
    block_on(async {
        loop {
            let n = decoded.read(&mut buf).await?;
            if n == 0 {
                return Ok((content, decoded.bytes_in(), decoded.bytes_out()));
            }
            content.extend_from_slice(&buf[..n]);
        }
    })
}

fn encode(coding: usize, content: &[u8]) -> (&'static str, Vec<u8>) {
    match coding {
        0 => ("gzip", gzip(content)),
        1 => ("deflate", zlib(content)),
        2 => ("deflate", raw_deflate(content)),
        3 => ("br", brotli(content)),
        _ => ("br, gzip", gzip(&brotli(content))),
    }
}

/// `len` bytes drawn from `seed`: mostly the letters of `.NET`, so
/// occurrences and near misses are frequent, and any byte now and then.
fn random_content(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 6 {
                0 => b'.',
                1 => b'N',
                2 => b'E',
                3 => b'T',
                _ => (state >> 32) as u8,
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any content, any coding, any split of the compressed bytes and of
    /// the reads: the content comes back whole, and counting it gives the
    /// oracle's count.
    #[test]
    fn any_split_decodes_the_whole_content(
        seed in any::<u64>(),
        len in 0usize..20_000,
        coding in 0usize..5,
        read_sizes in proptest::collection::vec(1usize..3000, 1..8),
        out_size in 1usize..70_000,
    ) {
        let content = random_content(seed, len);
        let (header, body) = encode(coding, &content);
        let (decoded, bytes_in, bytes_out) = decode_split(header, &body, &read_sizes, out_size).unwrap();
        prop_assert!(decoded == content);
        prop_assert_eq!(bytes_in, body.len() as u64);
        prop_assert_eq!(bytes_out, content.len() as u64);
        let mut counter = Counter::new(".NET").unwrap();
        counter.feed(&decoded);
        prop_assert_eq!(counter.count(), naive_count(&content, b".NET"));
    }

    /// Any cut of the compressed bytes is an error (an empty body aside),
    /// never a shorter content.
    #[test]
    fn any_cut_is_an_error(
        content in proptest::collection::vec(any::<u8>(), 1..5000),
        coding in 0usize..5,
        cut in 0.0f64..1.0,
        read_sizes in proptest::collection::vec(1usize..500, 1..4),
    ) {
        let (header, body) = encode(coding, &content);
        let cut = 1 + ((body.len() - 1) as f64 * cut) as usize;
        prop_assume!(cut < body.len());
        let error = decode_split(header, &body[..cut], &read_sizes, 4096).unwrap_err();
        let error = error.downcast::<DecodeError>().unwrap();
        prop_assert_eq!(error.kind(), DecodeErrorKind::Truncated);
    }
}

/// The bomb: `.NET` repeated to 1 GiB (so the exact count is known:
/// 2^28), gzip-compressed at about 1000:1.
const BOMB_CONTENT: u64 = 1 << 30;

fn bomb() -> Vec<u8> {
    let piece = ".NET".repeat(1 << 18); // 1 MiB
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..BOMB_CONTENT >> 20 {
        encoder.write_all(piece.as_bytes()).unwrap();
    }
    let mut bomb = encoder.finish().unwrap();
    bomb.shrink_to_fit();
    assert!(
        bomb.len() as u64 * 1000 <= BOMB_CONTENT,
        "ratio {}:1",
        BOMB_CONTENT / bomb.len() as u64
    );
    bomb
}

/// Peak resident memory of this process so far, in KiB (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Prints `what` was done and the process's peak memory at three points,
/// when run alone by [`peak_rss_alone`] (which sets `BOMB_REPORT`). The
/// line ends with the last figure, in KiB.
fn report_bomb(what: String, peaks: [Option<u64>; 3]) {
    if std::env::var_os(BOMB_REPORT).is_none() {
        return;
    }
    let [Some(at_start), Some(built), Some(after)] = peaks else {
        panic!("no VmHWM in /proc/self/status");
    };
    println!(
        "\nbomb: {what}; peak rss KiB: at start {at_start}, bomb built {built}, after {after}"
    );
}

/// The bomb decodes to the exact count through 1 MiB reads.
#[test]
#[ignore = "1 GiB of output: run in release mode with --ignored"]
fn bomb_gives_the_exact_count() {
    let at_start = peak_rss_kib();
    let body = bomb();
    let compressed = body.len() as u64;
    let built = peak_rss_kib();
    let started = std::time::Instant::now();
    let decoder = ContentDecoder::from_header_values(["gzip"]).unwrap();
    let mut decoded = decoder.decode(Replay::new(body));
    let counter = block_on(count_all(&mut decoded, 1 << 20)).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(counter.count(), BOMB_CONTENT / 4);
    assert_eq!(decoded.bytes_out(), BOMB_CONTENT);
    assert_eq!(decoded.bytes_in(), compressed);
    let what = format!(
        "{compressed} bytes -> {BOMB_CONTENT} bytes, count {}, decoded in {:.2} s",
        counter.count(),
        elapsed.as_secs_f64()
    );
    report_bomb(what, [at_start, built, peak_rss_kib()]);
}

/// The bomb served over loopback and counted by the client (which was not
/// asked to compress: a server may send it anyway), through the client's
/// default 1 MiB read buffer.
#[test]
#[ignore = "1 GiB of output: run in release mode with --ignored"]
fn bomb_through_the_client_gives_the_exact_count() {
    let at_start = peak_rss_kib();
    let body = bomb();
    let compressed = body.len() as u64;
    // A server of its own that writes the one copy of the bomb (the
    // scripted servers copy their steps), so this process's peak memory is
    // mostly the client's.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/bomb", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0; 4096];
        let _ = std::io::Read::read(&mut socket, &mut request);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = socket.write_all(head.as_bytes());
        let _ = socket.write_all(&body);
    });
    let built = peak_rss_kib();
    let client = netcount::Client::builder()
        .timeout(Duration::from_secs(600))
        .build();
    let report = count_with(&client, &url, ".NET").unwrap();
    assert_eq!(report.count, BOMB_CONTENT / 4);
    assert_eq!(report.bytes, BOMB_CONTENT);
    assert_eq!(report.bytes_received, compressed);
    assert_eq!(report.content_encoding, "gzip");
    let what = format!(
        "{compressed} bytes -> {BOMB_CONTENT} bytes through the client, count {}, in {:.2} s",
        report.count,
        report.elapsed.as_secs_f64()
    );
    report_bomb(what, [at_start, built, peak_rss_kib()]);
}

/// Set in the environment of the process that runs a bomb alone.
const BOMB_REPORT: &str = "NETCOUNT_BOMB_REPORT";

/// Runs the ignored test `name` alone in a fresh process of this test
/// binary and returns its report line and that process's peak resident
/// memory in KiB, which also covers the test harness, building the bomb,
/// the server thread and the 1 MiB read buffer. (Peak memory is per
/// process: measured in this one, it would include whatever the tests
/// running alongside use.)
#[cfg(target_os = "linux")]
fn peak_rss_alone(name: &str) -> u64 {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--ignored"])
        .args(["--nocapture", "--test-threads=1"])
        .env(BOMB_REPORT, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the bomb run failed:\n{stdout}");
    let line = stdout
        .lines()
        .find(|line| line.starts_with("bomb:"))
        .expect("the bomb's report");
    println!("{line}");
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
#[ignore = "1 GiB of output: run in release mode with --ignored"]
#[cfg(target_os = "linux")]
fn bomb_fits_in_8_mib() {
    let peak = peak_rss_alone("decode::bomb_gives_the_exact_count");
    assert!(peak <= 8 << 10, "peak rss {peak} KiB is over 8 MiB");
}

#[test]
#[ignore = "1 GiB of output: run in release mode with --ignored"]
#[cfg(target_os = "linux")]
fn bomb_through_the_client_fits_in_8_mib() {
    let peak = peak_rss_alone("decode::bomb_through_the_client_gives_the_exact_count");
    assert!(peak <= 8 << 10, "peak rss {peak} KiB is over 8 MiB");
}

/// A bomb that never ends, from a fast local server: gzip members of
/// 16 MiB of `.NET` each, written one after another for as long as the
/// client reads. Every read of the client finds data waiting, so only the
/// counting loop stepping aside lets the total deadline's timer run.
#[test]
fn an_endless_bomb_ends_at_the_total_deadline() {
    use std::net::TcpListener;
    use std::sync::mpsc;

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(".NET".repeat(4 << 20).as_bytes())
        .unwrap();
    let member = encoder.finish().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/endless", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0; 4096];
        let _ = std::io::Read::read(&mut socket, &mut request);
        let head = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n";
        let mut sent = socket.write_all(head.as_bytes());
        while sent.is_ok() {
            sent = socket.write_all(&member);
        }
    });

    let total = Duration::from_secs(1);
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let client = netcount::Client::builder().timeout(total).build();
        let _ = done.send(count_with(&client, &url, ".NET"));
    });
    // A hang guard, not a measurement: without the timer the count never
    // ends.
    let result = result
        .recv_timeout(Duration::from_secs(120))
        .expect("the total deadline never fired");
    assert!(
        matches!(
            result,
            Err(netcount::Error::Timeout {
                phase: netcount::TimeoutPhase::Total,
                after
            }) if after == total
        ),
        "{result:?}"
    );
}
