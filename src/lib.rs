//! Download what a URL serves and count how many times a string occurs in
//! it: streaming, exactly, in constant memory.
//!
//! netcount is the Rust answer to the "extract data from a network" example
//! of the C# async guide, which downloads a page with
//! `HttpClient.GetStringAsync` and counts `.NET` with `Regex.Matches`. Here
//! the page is never held in memory: the body streams from the socket
//! through an incremental matcher (decoded first, if the server compressed
//! it), and a body that cannot be trusted (cut short, oddly framed, in a
//! coding that cannot be decoded) is an error, never a wrong number.
//!
//! # How it works
//!
//! ```text
//! Url::parse ─► idle connection to this origin in the client's pool? ─yes─────────┐
//!    └no─► lookup (async-net, or your Resolver) ─► policy check, every address     │
//!    ─► Happy Eyeballs: race the addresses (250 ms stagger, each with its timeout)  │
//!    ─► [proxy: CONNECT tunnel for https, absolute-form GET for http]               │
//!    ─► [TLS, sessions resumed] ◄──────────────────────────────────────────────────┘
//!    ─► write GET head ─► read + parse response head (bounded) ─► pick body framing
//!    ─► Body: AsyncRead (content-length | chunked | until-close)
//!    ─► [Content-Encoding: gzip | deflate | br, decoded as it streams] ─► Tally::feed
//!    ─► body read to its framed end? connection back to the pool : closed
//!    ─► redirect? loop with the new Url (bounded, re-checked) ─► Report
//! ```
//!
//! | module | owns |
//! | --- | --- |
//! | [`counter`] | the incremental matcher: pure, no I/O |
//! | [`pattern`] | regular expressions counted over a stream (feature `regex`) |
//! | [`matcher`] | [`Tally`], what a body is counted with: a [`Counter`], a regex, a [`Matcher`] |
//! | [`url`] | `http`/`https` URL parsing and reference resolution |
//! | [`http`] | the hand-rolled HTTP/1.1 GET over any byte stream |
//! | [`client`] | connecting, TLS, timeouts, redirects, status policy, the connection pool |
//! | [`proxy`] | proxies: `-x`, the environment as curl reads it, no-proxy lists |
//! | `decode` | Content-Encoding decoding, streamed (feature `compression`) |
//! | [`error`] | the one error enum |
//! | `server` | the web API (feature `server`) |
//!
//! [`Report::to_json`] and [`Error::to_json`] give the JSON lines the CLI
//! and the web API print.
//!
//! # Features
//!
//! All are on by default; an embedder writes `default-features = false`
//! and picks:
//!
//! | feature | adds |
//! | --- | --- |
//! | `tls` | `https` URLs: rustls (ring provider), webpki roots, `ClientBuilder::add_root_certificates_pem` |
//! | `compression` | `netcount::decode`: gzip, deflate and br bodies decoded as they stream (flate2 on miniz_oxide, brotli-decompressor); `ClientBuilder::compressed` |
//! | `server` | `netcount::server`, the web API (its own executor; no CLI crate) |
//! | `regex` | `netcount::pattern::StreamRegex` and [`Matcher::from_pattern`]: regular expressions counted as the body streams (regex-automata's lazy DFA, regex-syntax) |
//! | `cli` | the `netcount` binary: `server` plus smol, lexopt, async-signal |
//!
//! Without features the library is the counter, the URL parser, the HTTP/1.1
//! GET and the client for `http` URLs, on futures-lite, async-io, async-net
//! and memchr; it runs on any executor.
//!
//! ## One fetch, step by step: who polls, who wakes, what each `.await` waits for
//!
//! Three parties share the work:
//!
//! * **the executor** (smol's `block_on` in the CLI; any executor for the
//!   library) *polls* the task: it calls the future's `poll`, which runs the
//!   code until an `.await` whose operation cannot finish yet;
//! * **the reactor** (async-io) *waits on the OS* (epoll on Linux) for the
//!   sockets and timers that the pending operations registered, and *wakes*
//!   the task (calls its `Waker`) when one is ready;
//! * **the task** is [`Client::count`]: an `async fn` the compiler turned
//!   into a state machine. `examples/hand_written_future.rs` writes such a
//!   machine by hand (`Future`, `poll`, `Pin`, the `Waker`) and prints each
//!   `Pending` and wake-up as it runs: read it next to this walk-through.
//!
//! In [`Client::count`]:
//!
//! 0. The pool: an idle connection to the same origin is probed with one
//!    `poll_read` and a waker that does nothing. `Pending` means open and
//!    quiet, so it is used and steps 1 to 3 are skipped; anything else
//!    (end of stream, bytes nobody asked for) means the server closed it.
//! 1. `lookup(...).await`: async-net hands the blocking `getaddrinfo` to a
//!    thread pool; the task sleeps until the pool thread finishes and wakes
//!    it. (An IP literal skips this; a [`Resolver`] replaces it.)
//! 2. `TcpStream::connect(addr).await`, one attempt per address, started
//!    250 ms apart (at once when one fails; Happy Eyeballs, RFC 8305): each
//!    socket is registered with the reactor for *writability*; the OS
//!    reports a connection established (or refused) and the reactor wakes
//!    the task, which polls every running attempt. The first to connect
//!    wins and the others are dropped; each attempt has its own timer.
//! 3. For `https`, the TLS handshake: a few round trips, each a wait for
//!    readability as in step 4.
//! 4. `write_all(request_head).await`, then `read(...).await` until the head
//!    is complete: each read that finds the socket empty returns `Pending`
//!    after registering the waker for *readability*; the reactor wakes the
//!    task when bytes arrive. The idle timeout is a second registration, a
//!    timer, polled alongside.
//! 5. The body: the same read loop, into a 1 MiB buffer, and after each
//!    read the bytes go straight to [`Counter::feed`], in the same task.
//! 6. If the body ended exactly where its framing said and the response
//!    allows it, the connection goes back to the pool for the next fetch.
//!
//! Counting stays inline because it is much cheaper than waiting: scanning
//! a chunk with memchr costs less than handing it to a thread pool, which
//! needs a cross-thread wake-up per chunk. The work is I/O-bound; the CPU
//! part is too small to be worth a thread switch. `cargo bench --bench
//! counter` and `cargo bench --bench offload` measure both sides; the
//! README's benchmark section has the figures.
//!
//! The library runs on any executor: async-io's reactor drives itself on a
//! helper thread when the executor does not (`examples/any_executor.rs`).
//!
//! # Examples
//!
//! Count in a stream fed in pieces; an occurrence split across pieces is
//! found:
//!
//! ```
//! let mut counter = netcount::Counter::new(".NET")?;
//! counter.feed(b"<p>.NET is free. .N");
//! counter.feed(b"ET runs everywhere.</p>");
//! assert_eq!(counter.count(), 2);
//! # Ok::<(), netcount::Error>(())
//! ```
//!
//! Fetch and count (needs a network):
//!
//! ```no_run
//! # futures_lite::future::block_on(async {
//! let report = netcount::count("https://dotnetfoundation.org", ".NET").await?;
//! // Only a 2xx body is ever counted.
//! assert!((200..300).contains(&report.status));
//! println!("{} occurrences of .NET in {} bytes", report.count, report.bytes);
//! # Ok::<(), netcount::Error>(())
//! # });
//! ```
//!
//! # Patterns
//!
//! With the `regex` feature, a body can be counted with a regular
//! expression instead of a string: [`Client::count`] takes any [`Tally`]
//! (a [`Counter`], a `pattern::StreamRegex`, or a [`Matcher`] that picks
//! between them). The count is exactly what
//! `regex::bytes::Regex::find_iter(whole_body).count()` gives, however the
//! body was cut into reads, in bounded memory; a match that would need more
//! look-ahead than allowed is [`Error::Pattern`], never a guess. The
//! [`pattern`] module says what is refused and why.
//!
//! ```
//! # #[cfg(feature = "regex")] {
//! use netcount::{http, url::Url, Matcher};
//!
//! # futures_lite::future::block_on(async {
//! let page = "HTTP/1.1 200 OK\r\nContent-Length: 29\r\n\r\n.NET 8, .NET 9 and .NET Core.";
//! let response = http::get(http::Replay::new(page), &Url::parse("http://example.org/")?).await?;
//! let settings = netcount::pattern::StreamRegex::builder();
//! let mut versions = Matcher::from_pattern(r"\.NET \d+", &settings)?;
//! response.count(&mut versions).await?;
//! assert_eq!(versions.count(), 2);
//! # Ok::<(), netcount::Error>(())
//! # }).unwrap();
//! # }
//! ```
//!
//! Speak HTTP over a stream of your own (here, in memory):
//!
//! ```
//! use netcount::{http, url::Url, Counter};
//!
//! # futures_lite::future::block_on(async {
//! let stream = http::Replay::new("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n.NET");
//! let response = http::get(stream, &Url::parse("http://example.org/")?).await?;
//! let mut counter = Counter::new(".NET")?;
//! response.count(&mut counter).await?;
//! assert_eq!(counter.count(), 1);
//! # Ok::<(), netcount::Error>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod client;
mod connect;
pub mod counter;
mod deadline;
#[cfg(feature = "compression")]
pub mod decode;
pub mod error;
#[cfg(feature = "server")]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
mod json;
pub mod matcher;
pub mod pattern;
mod pool;
pub mod proxy;
#[cfg(feature = "server")]
pub mod server;
#[cfg(test)]
mod testing;
mod timeout;
#[cfg(feature = "tls")]
mod tls;
pub mod url;

/// The README's examples, compiled and run as doc tests (with the default
/// features, which they use).
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "regex", feature = "tls"))]
pub struct ReadmeDoctests;

pub use client::{count, Client, ClientBuilder, Progress, Report};
pub use connect::{AddressPolicy, Resolver};
pub use counter::{Counter, CounterError, CounterOptions};
pub use error::{Error, TimeoutPhase, TlsFailure};
pub use error::{ProtocolErrorKind, TruncationKind};
pub use proxy::Proxy;

/// The URL counted when none is given (by the CLI, and by the web API's
/// `/DotNetCount`): the page of the C# guide's example.
///
/// # Example
///
/// ```
/// let url = netcount::url::Url::parse(netcount::DEFAULT_URL)?;
/// assert_eq!(url.host_str(), "dotnetfoundation.org");
/// # Ok::<(), netcount::Error>(())
/// ```
pub const DEFAULT_URL: &str = "https://dotnetfoundation.org";

/// The needle counted when none is given (by the CLI and the web API): the
/// C# guide's `.NET`.
///
/// # Example
///
/// ```
/// let mut counter = netcount::Counter::new(netcount::DEFAULT_NEEDLE)?;
/// counter.feed(b"ASP.NET runs on .NET");
/// assert_eq!(counter.count(), 2);
/// # Ok::<(), netcount::Error>(())
/// ```
pub const DEFAULT_NEEDLE: &str = ".NET";
pub use matcher::{Description, Matcher, MatcherKind, Tally};
