//! A TCP proxy that delays every byte by a fixed time in each direction, so
//! loopback benchmarks pay a real network's round trips, and that counts the
//! connections it accepted.
//!
//! Each accepted connection gets its own connection to the target. In each
//! direction one task reads whatever arrives and stamps it with the time it
//! may be delivered (now + the one-way delay); another writes it out at that
//! time. Reading never waits for writing, so the delay adds latency without
//! limiting throughput (up to `QUEUE` reads in flight per direction). An end
//! of stream is delayed like data, then passed on as a half close.
//!
//! A proxy in user space accepts the client's connection at once, so the TCP
//! handshake itself costs nothing here. With `--handshake` the client's first
//! bytes are held back as a real handshake would: they leave no earlier than
//! one round trip after the connection was accepted. A new connection then
//! costs what it costs on a real link.
//!
//! Run with:
//! `netcount-bench-latency LISTEN TARGET [ONE_WAY_MS] [--handshake]`, e.g.
//! `netcount-bench-latency 127.0.0.1:0 127.0.0.1:8443 25`. It prints
//! `listening on ADDR` once ready and, on SIGINT or SIGTERM,
//! `accepted N connections` before it exits.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_signal::{Signal, Signals};
use smol::channel;
use smol::future;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};
use smol::stream::StreamExt;
use smol::Timer;

/// Reads in flight per direction before reading waits for the writer.
const QUEUE: usize = 64;
/// The most bytes one read takes.
const READ_SIZE: usize = 64 * 1024;

/// What the proxy was asked to do.
#[derive(Clone, Copy)]
struct Settings {
    /// Where connections are forwarded.
    target: SocketAddr,
    /// Added to every byte, in each direction.
    one_way: Duration,
    /// Whether the client's first bytes wait for an emulated TCP handshake.
    handshake: bool,
}

fn main() -> io::Result<()> {
    let usage = "usage: netcount-bench-latency LISTEN TARGET [ONE_WAY_MS] [--handshake]";
    let mut positional = Vec::new();
    let mut handshake = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--handshake" => handshake = true,
            _ => positional.push(arg),
        }
    }
    let (listen, target, one_way_ms) = match positional.as_slice() {
        [listen, target] => (listen.clone(), target.clone(), 25),
        [listen, target, ms] => (listen.clone(), target.clone(), ms.parse().expect(usage)),
        _ => panic!("{usage}"),
    };
    let settings = Settings {
        target: target.parse().expect(usage),
        one_way: Duration::from_millis(one_way_ms),
        handshake,
    };

    smol::block_on(async {
        let listener = TcpListener::bind(listen.as_str()).await?;
        println!("listening on {}", listener.local_addr()?);
        let accepted = Arc::new(AtomicU64::new(0));
        let mut signals = Signals::new([Signal::Int, Signal::Term])?;

        // Accept until a signal arrives; each connection runs on its own.
        let serve = async {
            loop {
                let (client, _) = listener.accept().await?;
                accepted.fetch_add(1, Ordering::SeqCst);
                smol::spawn(async move {
                    let _ = relay(client, settings).await;
                })
                .detach();
            }
        };
        let stop = async {
            signals.next().await;
            Ok::<(), io::Error>(())
        };
        future::or(serve, stop).await?;
        println!("accepted {} connections", accepted.load(Ordering::SeqCst));
        Ok(())
    })
}

/// Forwards one client connection to the target and back, both delayed.
async fn relay(client: TcpStream, settings: Settings) -> io::Result<()> {
    let accepted = Instant::now();
    let server = TcpStream::connect(settings.target).await?;
    // Forward each piece as soon as its time comes: no batching by Nagle.
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    // A real client could send only after the handshake's round trip.
    let client_may_send = if settings.handshake {
        accepted + 2 * settings.one_way
    } else {
        accepted
    };
    let up = pipe(client.clone(), server.clone(), settings.one_way, client_may_send);
    let down = pipe(server, client, settings.one_way, accepted);
    // An error in either direction (a reset) ends both.
    future::try_zip(up, down).await.map(|_| ())
}

/// Copies `from` to `to`, each read delivered `delay` after it arrived (and
/// no earlier than `delay` after `earliest`); an end of stream becomes a
/// half close of `to`, delayed the same way.
async fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    delay: Duration,
    earliest: Instant,
) -> io::Result<()> {
    let (sender, receiver) = channel::bounded::<(Instant, Option<Vec<u8>>)>(QUEUE);

    // Read as fast as the peer sends, stamping each piece with its due time.
    let read = async move {
        let mut buf = vec![0; READ_SIZE];
        loop {
            let n = from.read(&mut buf).await?;
            let due = Instant::now().max(earliest) + delay;
            let piece = (n > 0).then(|| buf[..n].to_vec());
            if sender.send((due, piece)).await.is_err() || n == 0 {
                return Ok::<(), io::Error>(());
            }
        }
    };

    // Deliver each piece when it is due.
    let write = async move {
        while let Ok((due, piece)) = receiver.recv().await {
            Timer::at(due).await;
            match piece {
                Some(bytes) => to.write_all(&bytes).await?,
                None => return to.shutdown(Shutdown::Write),
            }
        }
        Ok(())
    };
    future::try_zip(read, write).await.map(|_| ())
}
