//! I/O-bound or CPU-bound? Counting inline in the task vs handing every
//! chunk to a thread pool.
//!
//! Run with: `cargo bench --bench offload`
//!
//! The C# guide advises "always measure: CPU-bound work may cost less than
//! the context switches of offloading it". Here is the measurement. A local
//! server streams a body over loopback; the client reads it in chunks of a
//! given size and counts each chunk either
//!
//! * inline: `counter.feed(chunk)` right in the async task, or
//! * offloaded: `smol::unblock(move || counter.feed(chunk))`, the counter
//!   and buffer moved to a blocking-pool thread and back for every chunk
//!   (no copies; the read waits for the count, as it must to reuse the
//!   buffer).
//!
//! Times are the best of several runs, printed with their ratio.

use std::io::Write;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use futures_lite::AsyncReadExt;
use netcount::Counter;

/// Body size per run.
const BODY: usize = 256 << 20;
/// Runs per measurement; the best is kept.
const RUNS: usize = 3;

/// Starts a server that writes `BODY` bytes to each connection and closes.
fn server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut block = Vec::with_capacity(1 << 20);
    while block.len() < 1 << 20 {
        block.extend_from_slice(&[b'x'; 996]);
        block.extend_from_slice(b".NET");
    }
    block.truncate(1 << 20);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            for _ in 0..BODY >> 20 {
                if stream.write_all(&block).is_err() {
                    break;
                }
            }
        }
    });
    addr
}

/// Reads the whole body in `chunk`-byte reads, counting inline or not.
async fn run(addr: std::net::SocketAddr, chunk: usize, offload: bool) -> (Duration, u64) {
    let mut stream = async_net::TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let mut counter = Counter::new(".NET").unwrap();
    let mut buf = vec![0u8; chunk];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        if offload {
            // Move the counter and buffer to a pool thread, and back.
            (counter, buf) = smol::unblock(move || {
                counter.feed(&buf[..n]);
                (counter, buf)
            })
            .await;
        } else {
            counter.feed(&buf[..n]);
        }
    }
    (started.elapsed(), counter.count())
}

fn main() {
    let addr = server();
    println!("{} MiB over loopback, best of {RUNS} runs", BODY >> 20);
    println!(
        "{:>8} {:>12} {:>12} {:>16}",
        "chunk", "inline ms", "offload ms", "offload/inline"
    );
    let mut worst = f64::MAX;
    for chunk in [4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20] {
        let mut best = [Duration::MAX; 2];
        for _ in 0..RUNS {
            for (i, offload) in [false, true].into_iter().enumerate() {
                let (time, count) = smol::block_on(run(addr, chunk, offload));
                // Each 1 MiB block holds 1,048 whole `x…x.NET` units.
                assert_eq!(count, 1048 * (BODY >> 20) as u64);
                best[i] = best[i].min(time);
            }
        }
        let ratio = best[1].as_secs_f64() / best[0].as_secs_f64();
        worst = worst.min(ratio);
        println!(
            "{:>8} {:>12.0} {:>12.0} {:>15.2}x",
            format!("{}K", chunk >> 10),
            best[0].as_secs_f64() * 1e3,
            best[1].as_secs_f64() * 1e3,
            ratio
        );
    }
    if worst > 1.0 {
        println!(
            "verdict: counting is cheaper than the hand-off at every chunk size; keep it inline"
        );
    } else {
        println!("verdict: offloading won at some chunk size; see the table");
    }
}
