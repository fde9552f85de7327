//! One rule for every timer race: run a future, or give up when time is up.
//!
//! Every timeout in the crate (connect, TLS handshake, the whole fetch, the
//! server's head and write timeouts, a fetch slot's wait) is the same race:
//! poll the work and a timer together, and whichever finishes first wins.
//! [`within`] and [`until`] write that race once; the caller turns
//! [`Elapsed`] into its own error, naming what it was waiting for.
//!
//! ```text
//! future::or( async { Ok(work.await) },  async { Timer::at(deadline).await; Err(Elapsed) } )
//! ```
//!
//! The work is polled first, so work that is ready at once always wins, even
//! against a deadline already past. A deadline too far away to represent
//! (`Duration::MAX`) never fires.
//!
//! The timer is only looked at when the work returns `Pending`. Work that
//! is always ready (reading a stream that never has to wait) must step
//! aside now and then with `yield_now`, or the timer never gets its turn;
//! the body reader does (see `Body::count_into`).

use std::future::Future;
use std::time::{Duration, Instant};

use async_io::Timer;
use futures_lite::future;

/// The timer fired before the work finished; the work was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Elapsed;

/// Runs `work` for at most `limit`.
// Its callers (the TLS handshake, the server) are all behind features.
#[cfg_attr(not(any(feature = "tls", feature = "server")), allow(dead_code))]
pub(crate) async fn within<F: Future>(limit: Duration, work: F) -> Result<F::Output, Elapsed> {
    match Instant::now().checked_add(limit) {
        Some(deadline) => until(deadline, work).await,
        None => Ok(work.await),
    }
}

/// Runs `work` until `deadline` at the latest.
pub(crate) async fn until<F: Future>(deadline: Instant, work: F) -> Result<F::Output, Elapsed> {
    let work = async { Ok(work.await) };
    let expired = async {
        Timer::at(deadline).await;
        Err(Elapsed)
    };
    future::or(work, expired).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_that_finishes_in_time_wins() {
        let result = future::block_on(within(Duration::from_secs(10), async { 7 }));
        assert_eq!(result, Ok(7));
    }

    #[test]
    fn ready_work_wins_even_past_the_deadline() {
        let past = Instant::now() - Duration::from_millis(1);
        assert_eq!(future::block_on(until(past, async { 1 })), Ok(1));
    }

    #[test]
    fn work_that_never_finishes_is_cut_off() {
        let result = future::block_on(within(Duration::from_millis(20), future::pending::<()>()));
        assert_eq!(result, Err(Elapsed));
    }

    #[test]
    fn always_ready_work_that_steps_aside_is_cut_off() {
        // Never waits for anything, but yields between steps: the timer
        // gets its turn at each yield.
        let busy = async {
            loop {
                future::yield_now().await;
            }
        };
        let result = future::block_on(within(Duration::from_millis(20), busy));
        assert_eq!(result, Err::<(), _>(Elapsed));
    }

    #[test]
    fn an_unrepresentable_limit_never_fires() {
        let result = future::block_on(within(Duration::MAX, async { "done" }));
        assert_eq!(result, Ok("done"));
    }
}
