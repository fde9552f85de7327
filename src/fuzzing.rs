//! Entry points for the fuzz targets in `fuzz/`: **not part of the API**.
//!
//! The fuzzers are a separate crate, so they can only call what this crate
//! makes public. The server's inbound parsers are what they need that an
//! embedder does not: reading a request head, the replies it refuses with,
//! and query-string decoding. They are public here, in one place, hidden
//! from the documentation, and may change or disappear in any release.
//! Everything else the fuzzers use (`http::get`, `http::Replay`, `Counter`,
//! `url::Url`) is the ordinary API.
//!
//! # Example
//!
//! ```
//! use netcount::fuzzing::{parse_query, read_request};
//! use netcount::server::Limits;
//!
//! let sent = "GET /count?url=http%3A%2F%2Fa%2F HTTP/1.1\r\nHost: h\r\n\r\nGET\r\n\r\n";
//! let mut stream = netcount::http::Replay::new(sent);
//! let (mut buf, limits) = (Vec::new(), Limits::default());
//! futures_lite::future::block_on(async {
//!     let request = read_request(&mut stream, &mut buf, &limits).await.unwrap().unwrap();
//!     let pairs = parse_query(request.query.as_deref().unwrap()).unwrap();
//!     assert_eq!(pairs, [(b"url".to_vec(), b"http://a/".to_vec())]);
//!
//!     let refusal = read_request(&mut stream, &mut buf, &limits).await.unwrap_err();
//!     assert_eq!(refusal.status, 400);
//!     let bytes = String::from_utf8(refusal.to_bytes(false, true)).unwrap();
//!     assert!(bytes.starts_with("HTTP/1.1 400 Bad Request\r\n"));
//! });
//! ```

pub use crate::server::query::{decode as decode_query, parse as parse_query, Pair};
pub use crate::server::reply::Reply;
pub use crate::server::request::{read_request, Request};
