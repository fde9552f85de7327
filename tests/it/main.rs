//! Integration tests: one binary, a module per area, loopback servers only.
//!
//! Each module needs only the features it tests: `cargo test
//! --no-default-features` runs the client tests alone.

// The `netcount` binary.
#[cfg(feature = "cli")]
mod cli;
mod client;
#[cfg(feature = "compression")]
mod decode;
mod eyeballs;
mod faults;
mod headers;
mod interop;
mod nginx;
#[cfg(feature = "regex")]
mod pattern;
mod pool;
mod proxy;
#[cfg(feature = "regex")]
mod regex;
#[cfg(feature = "server")]
mod server;
mod support;
#[cfg(feature = "tls")]
mod tls;
