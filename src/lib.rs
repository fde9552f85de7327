//! Download what a URL serves and count how many times a string occurs in
//! it: streaming, exactly, in constant memory.
//!
//! netcount is the Rust answer to the "extract data from a network" example
//! of the C# async guide, which downloads a page with
//! `HttpClient.GetStringAsync` and counts `.NET` with `Regex.Matches`. Here
//! the page is never held in memory: the body streams from the socket
//! through an incremental matcher, and a body that cannot be trusted (cut
//! short, compressed, oddly framed) is an error, never a wrong number.
//!
//! # How it works
//!
//! ```text
//! Url::parse ─► resolve (async-net) ─► connect each address (timeout) ─► [TLS]
//!    ─► write GET head ─► read + parse response head (bounded) ─► pick body framing
//!    ─► Body: AsyncRead (content-length | chunked | until-close) ─► Counter::feed
//!    ─► redirect? loop with the new Url (bounded, re-checked) ─► Report
//! ```
//!
//! | module | owns |
//! | --- | --- |
//! | [`counter`] | the incremental matcher: pure, no I/O |
//! | [`url`] | `http`/`https` URL parsing and reference resolution |
//! | [`http`] | the hand-rolled HTTP/1.1 GET over any byte stream |
//! | [`client`] | connecting, TLS, timeouts, redirects, status policy |
//! | [`error`] | the one error enum |
//!
//! The library runs on any executor: it uses async-io's reactor for sockets
//! and timers, which drives itself on a helper thread when the executor
//! does not.
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
//! println!("{} occurrences of .NET in {} bytes", report.count, report.bytes);
//! # Ok::<(), netcount::Error>(())
//! # });
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
pub mod error;
pub mod http;
pub mod json;
#[cfg(feature = "cli")]
pub mod server;
mod timeout;
#[cfg(feature = "tls")]
mod tls;
pub mod url;

/// The README's example, compiled and run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use client::{count, Client, ClientBuilder, Report};
pub use connect::AddressPolicy;
pub use counter::{Counter, CounterOptions};
pub use error::{Error, TimeoutPhase, TlsFailure};
pub use url::Url;
