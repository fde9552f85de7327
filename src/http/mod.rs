//! The hand-rolled HTTP/1.1 GET: request head, response head, body framing.
//!
//! This module works over any byte stream: [`get`] takes a connected
//! `AsyncRead + AsyncWrite + Unpin` and returns a [`Response`] whose
//! [`Body`] streams the payload. [`Client`](crate::Client) adds the rest
//! (connecting, TLS, timeouts, redirects, status policy) on top.
//!
//! | file | owns |
//! | --- | --- |
//! | `request.rs` | the GET head we send |
//! | `head.rs` | bounded reading and splitting of a message head (shared with the server) |
//! | `field.rs` | the grammar of field values: tokens, lists, `Content-Length` (shared with the server) |
//! | `response.rs` | status line, 1xx skipping, the framing decision |
//! | `body.rs` | the body as an `AsyncRead`, one state per framing |
//! | `replay.rs` | an in-memory stream for examples and tests |

mod body;
pub(crate) mod field;
pub(crate) mod head;
mod replay;
mod request;
mod response;

pub use body::{Body, Framing};
pub use head::{Header, Headers};
pub use replay::Replay;
pub use request::DEFAULT_USER_AGENT;
pub use response::{get, Response, MAX_HEADERS, MAX_HEAD_BYTES};

pub(crate) use response::get_with_agent;
