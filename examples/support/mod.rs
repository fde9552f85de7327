//! A tiny HTTP server for the examples, so each runs without a network.
//!
//! It answers every request with the same page, from a plain thread: the
//! examples are about the client side, so the server is as simple as it
//! can be.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::Duration;

/// Serves `body` (with a Content-Length) on a free loopback port, forever,
/// on background threads. Returns the address.
pub fn serve_page(body: Vec<u8>) -> SocketAddr {
    serve_paced(body, usize::MAX, Duration::ZERO)
}

/// Like [`serve_page`], but writes the response in pieces of `piece` bytes
/// with `pause` between them, like a slower network: the client's reads then
/// often find the socket empty and have to wait.
pub fn serve_paced(body: Vec<u8>, piece: usize, pause: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().unwrap();
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
    let response: std::sync::Arc<[u8]> = [head.as_bytes(), &body].concat().into();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let response = response.clone();
            thread::spawn(move || {
                // Read the request head, then answer.
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                for part in response.chunks(piece) {
                    if stream.write_all(part).is_err() {
                        return;
                    }
                    thread::sleep(pause);
                }
            });
        }
    });
    addr
}

/// A page of `size` bytes with `.NET` every `every` bytes.
pub fn page(size: usize, every: usize) -> Vec<u8> {
    let mut page = Vec::with_capacity(size + every);
    while page.len() < size {
        page.extend(std::iter::repeat_n(b'x', every - 4));
        page.extend_from_slice(b".NET");
    }
    page.truncate(size);
    page
}
