//! An idle timeout around a stream's reads.
//!
//! A server that stops sending in the middle of a response must not hang the
//! client. [`IdleTimeout`] wraps a stream and fails a read that made no
//! progress for a whole `idle` period. It keeps a single timer and moves it
//! only when a read is about to wait, so a fast stream costs one clock read
//! per read.
//!
//! This is the only job it has. The fetch's total deadline, which must also
//! stop a server that never stops sending, is enforced in one place around
//! the whole fetch ([`Client::count`](crate::Client::count)).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_io::Timer;
use futures_lite::{AsyncRead, AsyncWrite};

use crate::error::{Error, TimeoutPhase};

/// A stream whose reads fail with [`Error::Timeout`] after `idle` without
/// progress.
#[derive(Debug)]
pub(crate) struct IdleTimeout<S> {
    /// The wrapped stream.
    inner: S,
    /// How long a read may wait for its first byte.
    idle: Duration,
    /// What the reads are for, named in the timeout error.
    phase: TimeoutPhase,
    /// When the pending read times out: `idle` after the last progress.
    deadline: Instant,
    /// The timer, set to `armed_for` (which lags `deadline` until a read
    /// has to wait).
    timer: Timer,
    /// The instant `timer` is currently set to.
    armed_for: Instant,
}

impl<S> IdleTimeout<S> {
    /// Wraps `inner`; the first read may wait `idle` from now.
    pub(crate) fn new(inner: S, idle: Duration, phase: TimeoutPhase) -> IdleTimeout<S> {
        let deadline = Instant::now() + idle;
        IdleTimeout {
            inner,
            idle,
            phase,
            deadline,
            timer: Timer::at(deadline),
            armed_for: deadline,
        }
    }

    /// Names what the next reads are for (and restarts the idle period).
    pub(crate) fn set_phase(&mut self, phase: TimeoutPhase) {
        self.phase = phase;
        self.deadline = Instant::now() + self.idle;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Poll::Ready(result) = Pin::new(&mut this.inner).poll_read(cx, buf) {
            // Progress (or an error, or the end): the next read gets a whole
            // idle period again.
            this.deadline = Instant::now() + this.idle;
            return Poll::Ready(result);
        }
        // The read has to wait: make sure the timer will wake us in time.
        if this.armed_for != this.deadline {
            this.timer.set_at(this.deadline);
            this.armed_for = this.deadline;
        }
        match Pin::new(&mut this.timer).poll(cx) {
            Poll::Ready(_) => Poll::Ready(Err(Error::Timeout {
                phase: this.phase,
                after: this.idle,
            }
            .into())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use futures_lite::AsyncReadExt;

    use super::*;

    /// A stream that never has anything to read.
    struct Silent;

    impl AsyncRead for Silent {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Pending
        }
    }

    #[test]
    fn a_read_without_progress_times_out_naming_the_phase() {
        let idle = Duration::from_millis(20);
        let mut stream = IdleTimeout::new(Silent, idle, TimeoutPhase::Head);
        stream.set_phase(TimeoutPhase::Body);
        let error = futures_lite::future::block_on(stream.read(&mut [0; 16])).unwrap_err();
        assert!(matches!(
            Error::from(error),
            Error::Timeout {
                phase: TimeoutPhase::Body,
                after
            } if after == idle
        ));
    }

    #[test]
    fn reads_that_make_progress_pass_through() {
        let mut stream = IdleTimeout::new(&b"abc"[..], Duration::from_secs(10), TimeoutPhase::Body);
        let mut text = String::new();
        futures_lite::future::block_on(stream.read_to_string(&mut text)).unwrap();
        assert_eq!(text, "abc");
    }
}
