//! Integration tests: one binary, a module per area, loopback servers only.

mod cli;
mod client;
mod faults;
mod interop;
mod nginx;
#[cfg(feature = "regex")]
mod regex;
mod server;
mod support;
mod tls;
