//! Integration tests: one binary, a module per area, loopback servers only.

mod cli;
mod client;
#[cfg(feature = "compression")]
mod decode;
mod faults;
mod interop;
mod nginx;
mod server;
mod support;
mod tls;
