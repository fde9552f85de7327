//! An idle timeout and the total deadline around a stream's reads.
//!
//! A server that stops sending in the middle of a response must not hang the
//! client. [`IdleTimeout`] wraps a stream and fails a read that made no
//! progress for a whole `idle` period. It keeps a single timer and moves it
//! only when a read is about to wait, so a fast stream costs one clock read
//! per read.
//!
//! A server that never stops sending must not hang it either. Its reads never
//! wait, so a timer raced against the whole fetch would never get a turn:
//! the same clock read also checks the fetch's total deadline.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_io::Timer;
use futures_lite::{AsyncRead, AsyncWrite};

use crate::error::{Error, TimeoutPhase};

/// A stream whose reads fail with [`Error::Timeout`] after `idle` without
/// progress, or once the fetch's total deadline has passed.
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
    /// When the whole fetch must be over (`None`: too far to represent); a
    /// read that completes later fails with a [`TimeoutPhase::Total`]
    /// timeout.
    total_deadline: Option<Instant>,
    /// The whole fetch's timeout, named in that error.
    total: Duration,
}

impl<S> IdleTimeout<S> {
    /// Wraps `inner`; the first read may wait `idle` from now, and no read
    /// succeeds after `total_deadline` (the end of a fetch limited to
    /// `total`).
    pub(crate) fn new(
        inner: S,
        idle: Duration,
        phase: TimeoutPhase,
        total_deadline: Option<Instant>,
        total: Duration,
    ) -> IdleTimeout<S> {
        let deadline = Instant::now() + idle;
        IdleTimeout {
            inner,
            idle,
            phase,
            deadline,
            timer: Timer::at(deadline),
            armed_for: deadline,
            total_deadline,
            total,
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
            let now = Instant::now();
            // A stream that is always ready never lets the total deadline's
            // timer run: check it here.
            if this.total_deadline.is_some_and(|end| now >= end) {
                return Poll::Ready(Err(Error::Timeout {
                    phase: TimeoutPhase::Total,
                    after: this.total,
                }
                .into()));
            }
            this.deadline = now + this.idle;
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

    #[test]
    fn a_stream_that_never_waits_still_ends_at_the_total_deadline() {
        // Regression: a server sending forever, as fast as it is read, used
        // to starve the total deadline's timer, so the fetch never ended.
        let total = Duration::from_millis(50);
        let mut stream = IdleTimeout::new(
            futures_lite::io::repeat(b'x'),
            Duration::from_secs(10),
            TimeoutPhase::Body,
            Instant::now().checked_add(total),
            total,
        );
        let mut buf = [0; 4096];
        let error = futures_lite::future::block_on(async {
            loop {
                if let Err(error) = stream.read(&mut buf).await {
                    return error;
                }
            }
        });
        assert!(matches!(
            Error::from(error),
            Error::Timeout {
                phase: TimeoutPhase::Total,
                after
            } if after == total
        ));
    }

    #[test]
    fn reads_before_the_total_deadline_pass_through() {
        let mut stream = IdleTimeout::new(
            &b"abc"[..],
            Duration::from_secs(10),
            TimeoutPhase::Body,
            None,
            Duration::MAX,
        );
        let mut text = String::new();
        futures_lite::future::block_on(stream.read_to_string(&mut text)).unwrap();
        assert_eq!(text, "abc");
    }
}
