//! Happy Eyeballs (RFC 8305): race a host's addresses, keep the first that
//! connects.
//!
//! Trying addresses one after another costs a full connect timeout for every
//! address that does not answer, and on real networks a dead IPv6 route in
//! front of a working IPv4 one is common. So, as curl and browsers do:
//!
//! 1. [`interleave`] the addresses by family, the resolver's first family
//!    first: `v6 v4 v6 v4 ...`, so one dead family costs one head start, not
//!    one timeout per address.
//! 2. [`race`] them: start the first attempt at once, and the next one
//!    [`ATTEMPT_DELAY`] (250 ms) after the previous one started, or at once
//!    when an attempt fails. Attempts already running keep running, each
//!    within its own connect timeout (the caller's `attempt` function owns
//!    that limit).
//! 3. The first attempt to connect wins; the others are dropped, which
//!    closes their half-open sockets. When every attempt has failed, the
//!    error lists each address with what happened to it.
//!
//! The race needs no executor: it is one future that polls its attempts and
//! its timer itself (see [`race`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use async_io::Timer;
use futures_lite::future;

/// The head start each attempt gets before the next one begins (RFC 8305 §5
/// recommends 250 ms).
pub(crate) const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// Orders addresses for [`race`]: alternate families, starting with the
/// family of the resolver's first address, keeping the resolver's order
/// within each family (RFC 8305 §4).
pub(crate) fn interleave(addrs: &[SocketAddr]) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else {
        return Vec::new();
    };
    let (preferred, other): (Vec<SocketAddr>, Vec<SocketAddr>) = addrs
        .iter()
        .partition(|addr| addr.is_ipv4() == first.is_ipv4());
    let mut preferred = preferred.into_iter();
    let mut other = other.into_iter();
    let mut ordered = Vec::with_capacity(addrs.len());
    loop {
        match (preferred.next(), other.next()) {
            (None, None) => return ordered,
            (a, b) => ordered.extend(a.into_iter().chain(b)),
        }
    }
}

/// One attempt in flight.
struct Attempt<F> {
    /// Its position in the address list, which is also the order attempts
    /// start in.
    index: usize,
    /// The connect itself. Boxed so that it stays pinned in place while the
    /// `Vec` holding it grows and shrinks.
    future: Pin<Box<F>>,
}

/// Races `attempt(addr)` over `addrs` in order, starting a new attempt
/// `delay` after the previous one started or as soon as one fails, and
/// returns the first success.
///
/// On failure the error lists every address with its error, in the order
/// the attempts started (which is the order of `addrs`: every address is
/// tried before the race gives up).
///
/// How it runs without an executor: the returned future owns a small set of
/// attempts (a `Vec` of boxed futures) and a timer, and its hand-written
/// `poll` polls all of them with the same waker. Whichever one becomes
/// ready (a socket connects or fails, the timer fires) wakes this task, and
/// the next poll looks at everything again. Dropping the race drops every
/// attempt still running.
pub(crate) async fn race<T, F, Fut>(
    addrs: &[SocketAddr],
    delay: Duration,
    mut attempt: F,
) -> Result<T, Vec<(SocketAddr, io::Error)>>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    // Invariants: attempts start in address order, so `addrs[..next]` have
    // started and `addrs[next..]` have not; each started address is either
    // in `running` or has its error in `failed[index]`.
    let mut running: Vec<Attempt<Fut>> = Vec::new();
    let mut failed: Vec<Option<io::Error>> = addrs.iter().map(|_| None).collect();
    let mut next = 0;
    // Fires `delay` after the latest attempt started.
    let mut head_start = Timer::never();
    // Set when the next attempt should start without waiting for the timer:
    // at the very beginning, and after a failure.
    let mut start_now = true;

    future::poll_fn(move |cx| loop {
        // Start the next attempt if it is due. Polling the timer also
        // registers this task to be woken when it fires.
        if next < addrs.len() && (start_now || Pin::new(&mut head_start).poll(cx).is_ready()) {
            running.push(Attempt {
                index: next,
                future: Box::pin(attempt(addrs[next])),
            });
            next += 1;
            head_start.set_after(delay);
            start_now = false;
            // Go round again, so that the new timer is polled too.
            continue;
        }

        // Poll every attempt in flight; the first success ends the race.
        let mut i = 0;
        while i < running.len() {
            match running[i].future.as_mut().poll(cx) {
                Poll::Ready(Ok(connected)) => return Poll::Ready(Ok(connected)),
                Poll::Ready(Err(error)) => {
                    let done = running.swap_remove(i);
                    failed[done.index] = Some(error);
                    start_now = true;
                }
                Poll::Pending => i += 1,
            }
        }

        // A failure makes room for the next address at once.
        if start_now && next < addrs.len() {
            continue;
        }

        // Every address was tried and every attempt failed.
        if running.is_empty() && next == addrs.len() {
            let tried = addrs
                .iter()
                .zip(failed.iter_mut())
                .map(|(addr, error)| {
                    let error = error.take().expect("every finished attempt left its error");
                    (*addr, error)
                })
                .collect();
            return Poll::Ready(Err(tried));
        }

        // Something is still running, and everything that can wake us (each
        // attempt, the timer) has seen this task's waker.
        return Poll::Pending;
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    use crate::deadline::within;

    fn v4(last: u8) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, last], 80))
    }

    fn v6(last: u16) -> SocketAddr {
        SocketAddr::from(([0x2001, 0xdb8, 0, 0, 0, 0, 0, last], 80))
    }

    #[test]
    fn interleave_alternates_families_starting_with_the_first() {
        assert_eq!(
            interleave(&[v6(1), v6(2), v6(3), v4(1), v4(2)]),
            [v6(1), v4(1), v6(2), v4(2), v6(3)]
        );
        assert_eq!(
            interleave(&[v4(1), v6(1), v6(2), v4(2), v6(3)]),
            [v4(1), v6(1), v4(2), v6(2), v6(3)]
        );
    }

    #[test]
    fn interleave_keeps_one_family_and_empty_lists_as_they_are() {
        assert_eq!(interleave(&[v4(3), v4(1), v4(2)]), [v4(3), v4(1), v4(2)]);
        assert_eq!(interleave(&[v6(1)]), [v6(1)]);
        assert_eq!(interleave(&[]), []);
    }

    #[test]
    fn interleave_is_a_permutation() {
        let addrs = [v4(1), v6(1), v6(2), v6(3), v4(2), v4(3), v4(4)];
        let mut ordered = interleave(&addrs);
        let mut original = addrs.to_vec();
        ordered.sort();
        original.sort();
        assert_eq!(ordered, original);
    }

    /// Sets its flag when dropped, to see that a losing attempt was dropped.
    struct DropFlag(Arc<AtomicBool>);

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_hanging_first_attempt_loses_to_the_second_and_is_dropped() {
        let dropped = Arc::new(AtomicBool::new(false));
        let started = Mutex::new(Vec::new());
        let result = future::block_on(race(&[v4(1), v4(2)], Duration::from_millis(10), |addr| {
            started.lock().unwrap().push(addr);
            let flag = DropFlag(dropped.clone());
            async move {
                let _flag = flag;
                if addr == v4(1) {
                    // A black hole: never connects, never fails.
                    future::pending::<()>().await;
                }
                Ok(addr)
            }
        }));
        assert_eq!(result.unwrap(), v4(2));
        assert_eq!(*started.lock().unwrap(), [v4(1), v4(2)]);
        assert!(
            dropped.load(Ordering::SeqCst),
            "the losing attempt was not dropped"
        );
    }

    #[test]
    fn a_failure_starts_the_next_attempt_without_waiting() {
        // With a one-hour head start, only "start at once on failure" can
        // finish inside the five seconds given.
        let an_hour = Duration::from_secs(3600);
        let addrs = [v4(1), v4(2), v4(3)];
        let race = race(&addrs, an_hour, |addr| async move {
            if addr == v4(3) {
                Ok(addr)
            } else {
                Err(io::Error::from(io::ErrorKind::ConnectionRefused))
            }
        });
        let result = future::block_on(within(Duration::from_secs(5), race));
        assert_eq!(
            result.expect("the race waited for the timer").unwrap(),
            v4(3)
        );
    }

    #[test]
    fn the_first_success_wins_while_earlier_attempts_still_run() {
        let started = Mutex::new(Vec::new());
        let result = future::block_on(race(
            &[v6(1), v4(1), v6(2), v4(2)],
            Duration::from_millis(5),
            |addr| {
                started.lock().unwrap().push(addr);
                async move {
                    if addr != v6(2) {
                        future::pending::<()>().await;
                    }
                    Ok(addr)
                }
            },
        ));
        assert_eq!(result.unwrap(), v6(2));
        // The winner was third; the fourth address was never needed.
        assert_eq!(*started.lock().unwrap(), [v6(1), v4(1), v6(2)]);
    }

    #[test]
    fn when_all_fail_every_address_is_listed_with_its_error_in_order() {
        let addrs = [v6(1), v4(1), v6(2)];
        let tried = future::block_on(race(&addrs, Duration::from_millis(5), |addr| async move {
            // Fail in reverse order of starting, so that finishing order and
            // starting order differ.
            let wait = if addr == v6(1) {
                40
            } else if addr == v4(1) {
                20
            } else {
                0
            };
            Timer::after(Duration::from_millis(wait)).await;
            Err::<(), _>(io::Error::other(format!("no route to {addr}")))
        }))
        .unwrap_err();
        let listed: Vec<(SocketAddr, String)> = tried
            .into_iter()
            .map(|(addr, error)| (addr, error.to_string()))
            .collect();
        assert_eq!(
            listed,
            addrs
                .iter()
                .map(|addr| (*addr, format!("no route to {addr}")))
                .collect::<Vec<_>>()
        );
    }
}
