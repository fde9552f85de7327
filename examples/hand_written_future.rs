//! The body-counting loop twice: as an `async fn`, and as the `Future` the
//! compiler makes of it, written by hand.
//!
//! Run with: `cargo run --example hand_written_future`
//!
//! The C# guide says "the compiler transforms your code into a state
//! machine". Rust does the same: an `async fn` becomes a type that
//! implements [`Future`], whose `poll` runs the body until the next `.await`
//! that is not ready, saves the local variables that live across it, and
//! returns `Poll::Pending`. Below, [`CountBody`] is that type, spelled out.
//! Both versions count the same body from a local server and must agree.

mod support;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::{AsyncRead, AsyncReadExt};
use netcount::{http, url::Url, Counter};

/// The `async fn` version: read, feed, repeat until the body ends.
///
/// The compiler turns this into an enum with one variant per suspension
/// point, roughly:
///
/// ```text
/// enum CountBodyFuture<'a, R> {
///     Unresumed { reader: &'a mut R, counter: &'a mut Counter },
///     // Suspended at `reader.read(&mut buf).await`: everything that is
///     // used after the await is stored, plus the inner `read` future.
///     Suspend0 { reader, counter, buf: Vec<u8>, bytes: u64, read: Read<'_, R> },
///     Returned,
/// }
/// ```
///
/// and a `poll` that matches on it. The inner `read` future borrows `buf`,
/// a field of the same value: a self-reference, which is why a future must
/// be pinned (not moved) once polled. The hand-written version below avoids
/// the self-reference by calling `poll_read` directly, so it is `Unpin`.
async fn count_body<R: AsyncRead + Unpin>(
    reader: &mut R,
    counter: &mut Counter,
) -> io::Result<u64> {
    let mut buf = vec![0; 64 * 1024];
    let mut bytes = 0;
    loop {
        // Wait until the socket has data (or the body ends).
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(bytes);
        }
        // Counting is CPU work, done inline: it is far cheaper than the
        // wake-up a hand-off to another thread would cost.
        counter.feed(&buf[..n]);
        bytes += n as u64;
    }
}

/// The same loop as an explicit state machine.
struct CountBody<'a, R> {
    /// Where the bytes come from.
    reader: &'a mut R,
    /// Where they are counted.
    counter: &'a mut Counter,
    /// The read buffer; its contents matter only between a read and a feed.
    buf: Vec<u8>,
    /// Bytes fed so far.
    bytes: u64,
    /// Where the loop is.
    state: State,
    /// How many times `poll` was called (for the printout).
    polls: u64,
    /// How many of those returned `Pending`.
    pendings: u64,
}

/// The states of the loop: still reading, or finished.
#[derive(Debug, PartialEq)]
enum State {
    /// Waiting for (or processing) the next read.
    Reading,
    /// `Ready` was returned; polling again is a bug.
    Done,
}

impl<R: AsyncRead + Unpin> Future for CountBody<'_, R> {
    type Output = io::Result<u64>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        // Every field is `Unpin` (no self-references), so the pin can be
        // taken off safely.
        let this = self.get_mut();
        this.polls += 1;
        assert_eq!(this.state, State::Reading, "polled after completion");
        loop {
            // Ask the reader for bytes. If the socket has none, `poll_read`
            // hands `cx.waker()` to the reactor (async-io), which wakes this
            // task when the OS reports the socket readable; we return
            // `Pending` and the executor polls us again after the wake-up.
            match Pin::new(&mut *this.reader).poll_read(cx, &mut this.buf) {
                Poll::Pending => {
                    this.pendings += 1;
                    return Poll::Pending;
                }
                Poll::Ready(Ok(0)) => {
                    this.state = State::Done;
                    return Poll::Ready(Ok(this.bytes));
                }
                Poll::Ready(Ok(n)) => {
                    this.counter.feed(&this.buf[..n]);
                    this.bytes += n as u64;
                    // Loop: there may be more data without waiting.
                }
                Poll::Ready(Err(error)) => {
                    this.state = State::Done;
                    return Poll::Ready(Err(error));
                }
            }
        }
    }
}

fn main() -> Result<(), netcount::Error> {
    // 8 MiB in 64 KiB pieces, 1 ms apart: the reads often have to wait.
    let addr = support::serve_paced(
        support::page(8 << 20, 777),
        64 * 1024,
        std::time::Duration::from_millis(1),
    );
    let url = Url::parse(&format!("http://{addr}/"))?;

    smol::block_on(async {
        // The async fn.
        let stream = async_net::TcpStream::connect(addr).await?;
        let mut body = http::get(stream, &url).await?.into_body();
        let mut counter = Counter::new(".NET")?;
        let bytes = count_body(&mut body, &mut counter).await?;
        let by_async_fn = counter.count();
        println!("async fn:       {by_async_fn} occurrences in {bytes} bytes");

        // The hand-written future.
        let stream = async_net::TcpStream::connect(addr).await?;
        let mut body = http::get(stream, &url).await?.into_body();
        let mut counter = Counter::new(".NET")?;
        let mut future = CountBody {
            reader: &mut body,
            counter: &mut counter,
            buf: vec![0; 64 * 1024],
            bytes: 0,
            state: State::Reading,
            polls: 0,
            pendings: 0,
        };
        let bytes = (&mut future).await?;
        let (polls, pendings) = (future.polls, future.pendings);
        let by_hand = counter.count();
        println!(
            "hand-written:   {by_hand} occurrences in {bytes} bytes \
             (polled {polls} times, {pendings} of them Pending)"
        );

        assert_eq!(by_async_fn, by_hand);
        assert_eq!(by_hand, (8 << 20) / 777);
        Ok(())
    })
}
