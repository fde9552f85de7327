//! One client connection: read a head, answer, repeat while keep-alive
//! allows, then close without losing the last answer.

use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};
use async_net::TcpStream;
use futures_lite::{future, AsyncReadExt, AsyncWriteExt};

use super::log::Entry;
use super::metrics::RouteLabel;
use super::reply::Reply;
use super::request::read_request;
use super::routes::{respond, Answer};
use super::table::{Kick, Phase, Place};
use super::App;
use crate::deadline;

/// How long a closing connection keeps reading (and dropping) what the
/// client still sends, so the close does not reset the connection.
const LINGER: Duration = Duration::from_secs(2);
/// Most bytes dropped while lingering.
const LINGER_BYTES: usize = 64 * 1024;

/// The server's shutdown, as every connection sees it (besides the
/// table's `stopping`, which closes idle connections at once and busy ones
/// after their current answer).
#[derive(Debug, Clone)]
pub(crate) struct Signals {
    /// Closed when the grace is nearly over: answers still being worked
    /// on are replaced by a 503.
    pub cut: Receiver<()>,
    /// How long a 503 written after the cut may take.
    pub cut_write: Duration,
    /// Held so that shutdown can wait until every connection is done (the
    /// channel closes when the last sender is dropped).
    pub _alive: Sender<()>,
}

/// How waiting for the next request ended.
enum Wait {
    /// Bytes have arrived (into the buffer).
    Data,
    /// The client closed, the idle timeout passed, the table needed the
    /// place, or the server is shutting down: close without an answer.
    Done,
}

/// How many bytes a wait for the next request reads at once.
const WAIT_READ: usize = 4096;

/// How reading a head ended, short of a request.
enum Unread {
    /// The client went away mid-head; there is no one to answer.
    Gone,
    /// Refused, with this answer.
    Refused(Reply),
}

/// Serves one connection from `peer` until it closes.
pub(crate) async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    app: Arc<App>,
    shutdown: Signals,
    place: Place,
) {
    let limits = &app.limits;
    let _ = stream.set_nodelay(true);
    // Bytes read but not yet handled (a pipelined next request).
    let mut buf = Vec::new();
    let mut served = 0;
    loop {
        // Wait for the next request to start. How long it may take is the
        // table's business (its sweep kicks a connection whose time is
        // up): here the wait ends on data, a close, or a kick.
        if buf.is_empty() {
            if let Wait::Done = wait_for_data(&mut stream, &mut buf, &place.kicked).await {
                return;
            }
        }
        place.set(Phase::Head);
        let started = Instant::now();

        // Read and check the head, unless kicked meanwhile (too slow); a
        // refusal ends the connection.
        let read = async {
            match read_request(&mut stream, &mut buf, limits).await {
                Ok(Some(request)) => Ok(request),
                Ok(None) => Err(Unread::Gone),
                Err(refusal) => Err(Unread::Refused(refusal)),
            }
        };
        let kicked = async {
            let _ = place.kicked.recv().await;
            let message = match place.why() {
                Kick::BusyHead => format!(
                    "the server is busy, and the request head did not arrive within {:?}",
                    limits.busy_head_timeout
                ),
                Kick::Head => format!(
                    "the request head did not arrive within {:?}",
                    limits.head_timeout
                ),
                // Kicked as idle just as the head began: closed like an
                // idle connection (a client retries such a request).
                _ => return Err(Unread::Gone),
            };
            let refusal = Reply::error(408, "request_timeout", &message);
            Err(Unread::Refused(refusal))
        };
        let request = match future::or(read, kicked).await {
            Ok(request) => request,
            Err(Unread::Gone) => return,
            Err(Unread::Refused(refusal)) => {
                return refuse_logged(stream, peer, &app, refusal, started, None).await
            }
        };
        place.set(Phase::Busy);
        served += 1;

        // Answer, unless the shutdown grace runs out first.
        let answering = async { Some(respond(&request, &app).await) };
        let cut = async {
            let _ = shutdown.cut.recv().await;
            None
        };
        let (answer, write_timeout) = match future::or(answering, cut).await {
            Some(answer) => (answer, limits.write_timeout),
            None => (shutting_down(), shutdown.cut_write),
        };

        // Write it; the last answer on a connection says so.
        let last = !request.keep_alive
            || served >= limits.max_requests_per_connection
            || app.table.is_stopping();
        let bytes = answer.reply.to_bytes(request.method == "HEAD", last);
        let written = write_within(&mut stream, &bytes, write_timeout).await;
        let target = request.target();
        log(
            &app,
            peer,
            &request.method,
            &target,
            &answer,
            bytes.len(),
            started,
        );
        if written.is_err() {
            return;
        }
        if last {
            return close_gracefully(stream).await;
        }
        if !place.set_idle() {
            // The server stopped while this answer was written.
            return close_gracefully(stream).await;
        }
    }
}

/// The answer to a request still being worked on when the shutdown grace
/// runs out.
fn shutting_down() -> Answer {
    let reply = Reply::error(
        503,
        "shutting_down",
        "the server is shutting down and could not finish this request; try again",
    )
    .with_header("Retry-After", "1");
    Answer {
        reply,
        route: RouteLabel::Other,
        upstream: None,
        cache: None,
        detail: None,
    }
}

/// Counts and logs one answer.
fn log(
    app: &App,
    peer: SocketAddr,
    method: &str,
    target: &str,
    answer: &Answer,
    bytes: usize,
    started: Instant,
) {
    app.metrics.request(answer.route, answer.reply.status);
    app.log.log(&Entry {
        client: peer,
        method,
        target,
        status: answer.reply.status,
        bytes,
        duration: started.elapsed(),
        upstream: answer.upstream,
        cache: answer.cache,
        detail: answer.detail.as_deref(),
    });
}

/// Sends `refusal` (to a head that was not accepted, or to a connection
/// that got no place), logs it, and closes.
pub(crate) async fn refuse_logged(
    stream: TcpStream,
    peer: SocketAddr,
    app: &App,
    refusal: Reply,
    started: Instant,
    detail: Option<String>,
) {
    refuse_within(
        stream,
        peer,
        app,
        refusal,
        started,
        detail,
        app.limits.write_timeout,
    )
    .await
}

/// [`refuse_logged`] with a write timeout of its own.
pub(crate) async fn refuse_within(
    stream: TcpStream,
    peer: SocketAddr,
    app: &App,
    refusal: Reply,
    started: Instant,
    detail: Option<String>,
    timeout: Duration,
) {
    let bytes = refusal.to_bytes(false, true);
    let answer = Answer {
        reply: refusal,
        route: RouteLabel::Other,
        upstream: None,
        cache: None,
        detail,
    };
    log(app, peer, "-", "-", &answer, bytes.len(), started);
    refuse(stream, &bytes, timeout).await;
}

/// Waits until the client sends something (read into `buf`), closes, or
/// is kicked (idle too long, the table needs the place, or the server
/// stops).
async fn wait_for_data(stream: &mut TcpStream, buf: &mut Vec<u8>, kicked: &Receiver<()>) -> Wait {
    let data = async {
        // Read straight into the buffer: no separate readiness check, so
        // a request that arrives costs one read.
        let mut chunk = [0; WAIT_READ];
        match stream.read(&mut chunk).await {
            Ok(n) if n > 0 => {
                buf.extend_from_slice(&chunk[..n]);
                Wait::Data
            }
            _ => Wait::Done,
        }
    };
    let kicked = async {
        // Nothing is ever sent: `recv` returns when the channel closes.
        let _ = kicked.recv().await;
        Wait::Done
    };
    future::or(data, kicked).await
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

/// Sends `bytes` (a refusal) and closes.
async fn refuse(mut stream: TcpStream, bytes: &[u8], timeout: Duration) {
    if write_within(&mut stream, bytes, timeout).await.is_ok() {
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
