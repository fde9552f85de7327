//! One client connection: read a head, answer, repeat while keep-alive
//! allows, then close without losing the last answer.

use std::net::Shutdown;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};
use async_net::TcpStream;
use futures_lite::{future, AsyncReadExt, AsyncWriteExt};

use super::reply::Reply;
use crate::deadline;

use super::request::read_request;
use super::routes::respond;
use super::App;

/// How long a closing connection keeps reading (and dropping) what the
/// client still sends, so the close does not reset the connection.
const LINGER: Duration = Duration::from_secs(2);
/// Most bytes dropped while lingering.
const LINGER_BYTES: usize = 64 * 1024;

/// A connection's place among the active ones; dropping it frees the place.
#[derive(Debug)]
pub(crate) struct Slot {
    /// Active connections; incremented when the slot was made.
    pub active: Arc<AtomicUsize>,
    /// Held so that shutdown can wait until every connection is done (the
    /// channel closes when the last sender is dropped).
    pub _alive: Sender<()>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How waiting for the next request ended.
enum Wait {
    /// Bytes have arrived.
    Data,
    /// The client closed, the idle timeout passed, or the server is
    /// shutting down: close without an answer.
    Done,
}

/// Serves one connection until it closes.
///
/// `stop` is closed when the server shuts down: an idle connection then
/// closes at once, and a busy one after its current answer.
pub(crate) async fn serve(mut stream: TcpStream, app: Arc<App>, stop: Receiver<()>, _slot: Slot) {
    let limits = &app.limits;
    let _ = stream.set_nodelay(true);
    let accepted = Instant::now();
    // Bytes read but not yet handled (a pipelined next request).
    let mut buf = Vec::new();
    let mut served = 0;
    loop {
        // Wait for the next request to start; the first must be complete
        // within the head timeout of the accept, later ones within the head
        // timeout of their first byte.
        let first = served == 0;
        if buf.is_empty() {
            let idle_until = if first {
                accepted + limits.head_timeout
            } else {
                Instant::now() + limits.idle_timeout
            };
            if let Wait::Done = wait_for_data(&stream, idle_until, &stop).await {
                return;
            }
        }
        let head_deadline = if first {
            accepted + limits.head_timeout
        } else {
            Instant::now() + limits.head_timeout
        };

        // Read and check the head, within its time limit; a refusal ends
        // the connection.
        let read =
            deadline::until(head_deadline, read_request(&mut stream, &mut buf, limits)).await;
        let request = match read {
            Ok(Ok(Some(request))) => request,
            // The client went away mid-head; there is no one to answer.
            Ok(Ok(None)) => return,
            Ok(Err(refusal)) => return refuse(stream, &refusal, limits.write_timeout).await,
            Err(deadline::Elapsed) => {
                let message = format!(
                    "the request head did not arrive within {:?}",
                    limits.head_timeout
                );
                let refusal = Reply::error(408, "request_timeout", &message);
                return refuse(stream, &refusal, limits.write_timeout).await;
            }
        };
        served += 1;

        // Answer; the last answer on a connection says so.
        let response = respond(&request, &app).await;
        let last =
            !request.keep_alive || served >= limits.max_requests_per_connection || stop.is_closed();
        let bytes = response.to_bytes(request.method == "HEAD", last);
        if write_within(&mut stream, &bytes, limits.write_timeout)
            .await
            .is_err()
        {
            return;
        }
        if last {
            return close_gracefully(stream).await;
        }
    }
}

/// Waits until the client sends something, closes, stays idle past
/// `until`, or the server stops.
async fn wait_for_data(stream: &TcpStream, until: Instant, stop: &Receiver<()>) -> Wait {
    let data = async {
        match stream.peek(&mut [0; 1]).await {
            Ok(n) if n > 0 => Wait::Data,
            _ => Wait::Done,
        }
    };
    let stopping = async {
        // Nothing is ever sent: `recv` returns when the channel closes.
        let _ = stop.recv().await;
        Wait::Done
    };
    // Idle past `until`: done as well.
    deadline::until(until, future::or(data, stopping))
        .await
        .unwrap_or(Wait::Done)
}

/// Writes `bytes` unless the client stops reading for `timeout`.
async fn write_within(stream: &mut TcpStream, bytes: &[u8], timeout: Duration) -> Result<(), ()> {
    let write = async {
        stream.write_all(bytes).await?;
        stream.flush().await
    };
    match deadline::within(timeout, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) | Err(deadline::Elapsed) => Err(()),
    }
}

/// Sends `refusal` and closes.
pub(crate) async fn refuse(mut stream: TcpStream, refusal: &Reply, timeout: Duration) {
    if write_within(&mut stream, &refusal.to_bytes(false, true), timeout)
        .await
        .is_ok()
    {
        close_gracefully(stream).await;
    }
}

/// Closes after the answer: shut down our side, then read and drop what
/// the client still sends (bounded in bytes and time). Closing a socket
/// with unread input makes the kernel send a reset, which can destroy the
/// answer before the client has read it.
async fn close_gracefully(mut stream: TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let drain = async {
        let mut sink = [0; 1024];
        let mut dropped = 0;
        while dropped < LINGER_BYTES {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => dropped += n,
            }
        }
    };
    // Past the linger time, close anyway.
    let _ = deadline::within(LINGER, drain).await;
}
