//! Integration tests: one binary, a module per area, loopback servers only.

mod cli;
mod client;
mod interop;
mod server;
mod support;
mod tls;
