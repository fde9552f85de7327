//! Helpers shared by the fuzz targets: a stream that splits reads by a
//! fuzz-chosen pattern (`http::Replay`), naive oracles, a tiny input reader, and the checks
//! of the server's request reader.

#![forbid(unsafe_code)]

use futures_lite::AsyncReadExt;
use netcount::http::{get, Body, Replay};
use netcount::fuzzing::{parse_query, read_request, Reply, Request};
use netcount::server::Limits;
use netcount::url::Url;
use netcount::{Counter, CounterOptions, Error};

/// An in-memory stream whose reads return `reply` in pieces: read `i`
/// returns at most `splits[i % splits.len()]` bytes (a zero stands for one
/// byte; no splits: whole reads).
pub fn split_stream(reply: Vec<u8>, splits: &[usize]) -> Replay {
    Replay::new(reply).with_read_sizes(splits)
}

/// Reads the fuzz input front to back; past the end every value is zero.
#[derive(Debug)]
pub struct Input<'a> {
    /// What is left.
    pub rest: &'a [u8],
}

impl<'a> Input<'a> {
    /// Wraps `data`.
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input { rest: data }
    }
    /// The next byte (0 past the end).
    pub fn byte(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }
    /// The next `n` bytes (fewer at the end).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = rest;
        head
    }
    /// A split pattern: up to 8 read sizes, each 1..=256 or "unlimited".
    pub fn splits(&mut self) -> Vec<usize> {
        let n = usize::from(self.byte() % 8) + 1;
        (0..n)
            .map(|_| match self.byte() {
                255 => usize::MAX,
                b => usize::from(b) + 1,
            })
            .collect()
    }
}

/// The naive count: every position compared, then (non-overlapping) the
/// leftmost-first occurrences kept.
pub fn naive_count(haystack: &[u8], needle: &[u8], options: CounterOptions) -> u64 {
    let eq = |a: &[u8]| {
        if options.ignore_case {
            a.eq_ignore_ascii_case(needle)
        } else {
            a == needle
        }
    };
    let mut count = 0;
    let mut i = 0;
    while i + needle.len() <= haystack.len() {
        if eq(&haystack[i..i + needle.len()]) {
            count += 1;
            i += if options.overlapping { 1 } else { needle.len() };
        } else {
            i += 1;
        }
    }
    count
}

/// The outcome of fetching a reply: the response's payload, or the error.
pub type Outcome = Result<Vec<u8>, Error>;

/// Sends a GET over `stream` and reads the whole body into memory.
pub fn fetch(stream: Replay) -> Outcome {
    futures_lite::future::block_on(async {
        let url = Url::parse("http://example.org/").unwrap();
        let response = get(stream, &url).await?;
        let mut body: Body<Replay> = response.into_body();
        let mut payload = Vec::new();
        body.read_to_end(&mut payload).await?;
        assert!(body.is_complete(), "body ended but is not complete");
        assert_eq!(body.received(), payload.len() as u64);
        Ok(payload)
    })
}

/// Sends a GET over `stream` and counts `needle` in the body with the
/// library's own `Response::count`.
pub fn fetch_count(stream: Replay, needle: &[u8]) -> Result<u64, Error> {
    futures_lite::future::block_on(async {
        let url = Url::parse("http://example.org/").unwrap();
        let response = get(stream, &url).await?;
        let mut counter = Counter::new(needle)?;
        response.count(&mut counter).await?;
        Ok(counter.count())
    })
}

/// Checks that `reply` gives the same outcome whatever the read splits:
/// one piece, one byte at a time, and `splits`; and that the library's count
/// equals the naive count of the payload. Returns the outcome.
pub fn check_reply(reply: &[u8], splits: &[usize]) -> Outcome {
    let whole = fetch(split_stream(reply.to_vec(), &[]));
    let bytewise = fetch(split_stream(reply.to_vec(), &[1]));
    let split = fetch(split_stream(reply.to_vec(), splits));
    for other in [&bytewise, &split] {
        match (&whole, other) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "payload depends on read splits"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("outcome depends on read splits: {a:?} vs {b:?}"),
        }
    }
    // The payload can never be longer than what was sent.
    if let Ok(payload) = &whole {
        assert!(payload.len() <= reply.len());
        for needle in [&b"a"[..], b"ab", b".NET"] {
            let counted = fetch_count(split_stream(reply.to_vec(), splits), needle);
            let expected = naive_count(payload, needle, CounterOptions::default());
            match counted {
                Ok(n) => assert_eq!(n, expected, "count differs from the payload's"),
                // `count` also refuses encodings `read_to_end` passes through.
                Err(Error::UnsupportedEncoding { .. }) => {}
                Err(e) => panic!("count failed where reading succeeded: {e:?}"),
            }
        }
    }
    whole
}

/// What the server makes of one request head: a request, a refusal
/// (status and body), or nothing (the client stopped mid-head).
pub type Inbound = Result<Option<Request>, (u16, String)>;

/// Reads requests from what a client sent until one is refused or the
/// bytes end (at most 64). Checks the reader's buffer stays bounded.
pub fn read_requests(sent: &[u8], splits: &[usize], limits: &Limits) -> Vec<Inbound> {
    futures_lite::future::block_on(async {
        let mut stream = split_stream(sent.to_vec(), splits);
        let mut buf = Vec::new();
        let mut outcomes = Vec::new();
        for _ in 0..64 {
            let outcome = read_request(&mut stream, &mut buf, limits).await;
            assert!(
                buf.len() <= limits.max_head_bytes + 4096,
                "the head buffer grew to {} bytes",
                buf.len()
            );
            let done = !matches!(outcome, Ok(Some(_)));
            outcomes.push(outcome.map_err(|r| check_refusal(&r)));
            if done {
                break;
            }
        }
        outcomes
    })
}

/// Checks a refusal is a 4xx/5xx that the client's own parser reads back
/// with the same status and body; returns its status and body.
pub fn check_refusal(refusal: &Reply) -> (u16, String) {
    assert!(
        (400..600).contains(&refusal.status),
        "refusal with status {}",
        refusal.status
    );
    let bytes = refusal.to_bytes(false, true);
    let body = futures_lite::future::block_on(async {
        let url = Url::parse("http://example.org/").unwrap();
        let response = get(split_stream(bytes, &[]), &url)
            .await
            .expect("the refusal is a valid response");
        assert_eq!(response.status(), refusal.status);
        let mut body = Vec::new();
        response.into_body().read_to_end(&mut body).await.unwrap();
        body
    });
    assert_eq!(
        body,
        refusal.body.as_bytes(),
        "the refusal's body reads back"
    );
    assert!(
        refusal.body.starts_with("{\"error\":\"") && refusal.body.ends_with("}\n"),
        "refusal body is not a json error: {:?}",
        refusal.body
    );
    (refusal.status, refusal.body.clone())
}

/// Checks a request the reader accepted is one the routes can act on: a
/// token method, an origin-form path and query of visible ASCII (the query
/// decoder must not panic on it), and no keep-alive unless HTTP/1.1 said so.
pub fn check_request(request: &Request, sent: &[u8]) {
    assert!(!request.method.is_empty());
    assert!(request.method.bytes().all(|b| b.is_ascii_graphic()));
    assert!(request.path.starts_with('/'), "path {:?}", request.path);
    let visible = |s: &str| s.bytes().all(|b| b.is_ascii_graphic());
    assert!(visible(&request.path), "path {:?}", request.path);
    if let Some(query) = &request.query {
        assert!(visible(query), "query {:?}", query);
        let _ = parse_query(query);
    }
    if request.keep_alive {
        assert!(
            sent.windows(8).any(|w| w == b"HTTP/1.1"),
            "keep-alive without HTTP/1.1"
        );
    }
}

/// Checks the bytes a client sent give the same requests and refusals
/// whatever the read splits (one piece, byte by byte, `splits`), and that
/// each is well formed. `small` uses tight limits so the size refusals are
/// reached often. Returns the outcomes.
pub fn check_client_bytes(sent: &[u8], splits: &[usize], small: bool) -> Vec<Inbound> {
    let mut limits = Limits::default();
    if small {
        limits.max_head_bytes = 64;
        limits.max_headers = 3;
    }
    let whole = read_requests(sent, &[], &limits);
    let bytewise = read_requests(sent, &[1], &limits);
    let split = read_requests(sent, splits, &limits);
    assert_eq!(whole, bytewise, "outcome depends on read splits");
    assert_eq!(whole, split, "outcome depends on read splits");
    for request in whole.iter().flatten().flatten() {
        check_request(request, sent);
    }
    whole
}

/// Percent-encodes `bytes` for a query component, independently of the
/// library: bytes that must be escaped (`%`, `+`, `&`, `=`, `#`, space,
/// controls, non-ASCII) become `%XX` (space may instead become `+`);
/// others are escaped or left as they are by the bits of `style`.
pub fn encode_component(bytes: &[u8], style: u8) -> String {
    let mut out = String::new();
    for (i, &b) in bytes.iter().enumerate() {
        let bit = (style.rotate_left(i as u32 % 8)) & 1 != 0;
        let must = !b.is_ascii_graphic() || b"%+&=#".contains(&b);
        if b == b' ' && bit {
            out.push('+');
        } else if must || bit {
            if i % 2 == 0 {
                out.push_str(&format!("%{b:02X}"));
            } else {
                out.push_str(&format!("%{b:02x}"));
            }
        } else {
            out.push(char::from(b));
        }
    }
    out
}
