//! Fault injection over loopback: slow servers, resets, pathological
//! framing, endless and huge bodies. Every failure must be an error, never a
//! count; every success must be the exact count.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use netcount::{Client, Error, ProtocolErrorKind, TimeoutPhase, TruncationKind};

use crate::support::*;

/// A server for ONE connection: reads the request head, writes `head`, then
/// lets `body` write the rest, then closes cleanly. Returns its URL and the
/// thread, which yields what `body` returned.
fn generator<T: Send + 'static>(
    head: &str,
    body: impl FnOnce(&mut TcpStream) -> T + Send + 'static,
) -> (String, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr: SocketAddr = listener.local_addr().unwrap();
    let head = head.to_string();
    let thread = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        // Read the request head.
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            request.push(byte[0]);
        }
        // Answer.
        let _ = stream.write_all(head.as_bytes());
        let result = body(&mut stream);
        let _ = stream.shutdown(Shutdown::Write);
        // Wait for the client's close so ours is a clean FIN.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = stream.read(&mut [0; 64]);
        result
    });
    (format!("http://{addr}/"), thread)
}

/// A client for big bodies: generous limits, large reads.
fn patient_client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(600))
        .read_timeout(Duration::from_secs(30))
        .read_buffer_size(1 << 20)
        .build()
}

/// A payload block that starts and ends with a byte the needle `.NET` does
/// not contain, so no occurrence spans two copies: a stream of `n` copies
/// holds exactly `n` times the block's count.
fn block(len: usize) -> Vec<u8> {
    let mut block = Vec::with_capacity(len);
    let unit = b"x.NET.NE.N.NETT..NET";
    while block.len() + unit.len() + 1 < len {
        block.extend_from_slice(unit);
    }
    block.resize(len, b'x');
    block
}

/// The naive count of `.NET` in `bytes`.
fn naive(bytes: &[u8]) -> u64 {
    bytes.windows(4).filter(|w| w == b".NET").count() as u64
}

/// A complete response for `body` in `framing` ("length", "chunked" in
/// pieces of 7 bytes, or "close").
fn response(framing: &str, body: &[u8]) -> Vec<u8> {
    match framing {
        "length" => ok_with_length(body),
        "chunked" => {
            let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            for piece in body.chunks(7) {
                wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                wire.extend_from_slice(piece);
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b"0\r\n\r\n");
            wire
        }
        "close" => {
            let mut wire = b"HTTP/1.0 200 OK\r\n\r\n".to_vec();
            wire.extend_from_slice(body);
            wire
        }
        _ => unreachable!(),
    }
}

#[test]
fn server_dripping_one_byte_every_50ms_within_the_timeouts_succeeds() {
    // Head and body, one byte per segment, 50 ms apart: about 4 s in all,
    // each read waits 50 ms, well within a 2 s read timeout.
    let body = b"x.NET.N.NETx";
    for framing in ["length", "chunked"] {
        let wire = response(framing, body);
        let server = serve(send_in_pieces(&wire, 1, 50));
        let client = Client::builder()
            .timeout(Duration::from_secs(30))
            .read_timeout(Duration::from_secs(2))
            .build();
        let report = count_with(&client, &server.url("/"), ".NET")
            .unwrap_or_else(|e| panic!("{framing}: {e}"));
        assert_eq!((report.count, report.bytes), (2, body.len() as u64));
    }
}

/// A small seeded generator (xorshift64*), so failures can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// Whether `error` is what a connection cut short can give in `framing`: a
/// reset, a head that never completed, or a body shorter than its framing.
fn is_cut_short(error: &Error, framing: &str) -> bool {
    match error {
        Error::Io(_) => true,
        Error::Protocol { kind, .. } => matches!(
            kind,
            ProtocolErrorKind::EmptyReply | ProtocolErrorKind::IncompleteHead
        ),
        Error::Truncated { kind, .. } => match framing {
            "length" => *kind == TruncationKind::ContentLength,
            "chunked" => matches!(kind, TruncationKind::Chunked | TruncationKind::Trailers),
            _ => false,
        },
        _ => false,
    }
}

#[test]
fn reset_at_random_offsets_is_an_error_in_every_framing() {
    let body = block(3000);
    let mut rng = Rng(0x5eed_2024);
    for framing in ["length", "chunked", "close"] {
        let wire = response(framing, &body);
        // Offset 0 and 19 random ones, all before the response is complete.
        let offsets: Vec<usize> = std::iter::once(0)
            .chain((0..19).map(|_| rng.below(wire.len())))
            .collect();
        for offset in offsets {
            let server = serve(vec![send(&wire[..offset]), sleep_ms(20), Step::Reset]);
            match count(&server.url("/"), ".NET") {
                Ok(report) => panic!(
                    "{framing}: reset after {offset} of {} bytes gave a count: {report:?}",
                    wire.len()
                ),
                Err(error) => assert!(
                    is_cut_short(&error, framing),
                    "{framing} at {offset}: unexpected error {error:?}"
                ),
            }
        }
    }
}

#[test]
#[ignore = "100 million chunks: minutes in a debug build; CI runs it with --release"]
fn one_hundred_megabytes_in_one_byte_chunks() {
    // 100 000 payload bytes become 600 000 wire bytes of 1-byte chunks,
    // built once and written 1000 times: 100 MB of payload.
    const REPEATS: usize = 1000;
    let payload = block(100_000);
    let mut wire = Vec::with_capacity(payload.len() * 6);
    for &byte in &payload {
        wire.extend_from_slice(b"1\r\n");
        wire.push(byte);
        wire.extend_from_slice(b"\r\n");
    }
    let (url, server) = generator(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        move |stream| -> io::Result<()> {
            for _ in 0..REPEATS {
                stream.write_all(&wire)?;
            }
            stream.write_all(b"0\r\n\r\n")
        },
    );
    let report = count_with(&patient_client(), &url, ".NET").unwrap();
    server.join().unwrap().unwrap();
    assert_eq!(report.bytes, (payload.len() * REPEATS) as u64);
    assert_eq!(report.count, naive(&payload) * REPEATS as u64);
}

#[test]
fn body_sent_forever_ends_with_the_total_timeout() {
    // The server writes until the client goes away (or, if the client were
    // broken, for at most 60 s, after which it closes and the test fails on
    // the count it would get).
    let (url, server) = generator("HTTP/1.1 200 OK\r\n\r\n", |stream| {
        let chunk = block(64 * 1024);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if stream.write_all(&chunk).is_err() {
                return true;
            }
        }
        false
    });
    let client = Client::builder()
        .timeout(Duration::from_secs(2))
        .read_timeout(Duration::from_secs(1))
        .build();
    let error = count_with(&client, &url, ".NET").unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                phase: TimeoutPhase::Total,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(server.join().unwrap(), "the server was never disconnected");
}

#[test]
#[ignore = "streams 5 GiB: minutes in a debug build; CI runs it with --release"]
fn five_gibibytes_streamed_with_an_exact_count() {
    // Past u32::MAX bytes, as a Content-Length body and as a chunked one.
    const BLOCK: usize = 1 << 20;
    const REPEATS: u64 = 5 * 1024;
    let payload = block(BLOCK);
    let expected_count = naive(&payload) * REPEATS;
    let total = BLOCK as u64 * REPEATS;
    for framing in ["length", "chunked"] {
        let (head, piece) = match framing {
            "length" => (
                format!("HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n"),
                payload.clone(),
            ),
            _ => {
                let mut piece = format!("{BLOCK:x}\r\n").into_bytes();
                piece.extend_from_slice(&payload);
                piece.extend_from_slice(b"\r\n");
                (
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_string(),
                    piece,
                )
            }
        };
        let (url, server) = generator(&head, move |stream| -> io::Result<()> {
            for _ in 0..REPEATS {
                stream.write_all(&piece)?;
            }
            if framing == "chunked" {
                stream.write_all(b"0\r\n\r\n")?;
            }
            Ok(())
        });
        let report = count_with(&patient_client(), &url, ".NET")
            .unwrap_or_else(|e| panic!("{framing}: {e}"));
        server.join().unwrap().unwrap();
        assert_eq!((report.bytes, report.count), (total, expected_count));
    }
}
