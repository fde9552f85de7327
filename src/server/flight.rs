//! Single flight: identical requests in flight share one upstream fetch,
//! and (with `--cache-ttl`) finished answers are kept for a while.
//!
//! ```text
//! request ─► cache hit? answer (hit)
//!        └► flight for this key? wait for its outcome (shared)
//!             └► none: start one, fetch, publish the outcome (miss)
//! ```
//!
//! A flight is an `async_lock::OnceCell`: the first request to arrive runs
//! the fetch inside `get_or_init`, the others wait on the same cell. If
//! the one fetching is cancelled (its connection cut at shutdown), a
//! waiter takes over and fetches itself.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_lock::OnceCell;

/// Locks `mutex`, using a poisoned one as is: every update under these
/// locks is a single map operation, which a panic cannot leave half done.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The flights in progress, by key.
#[derive(Debug)]
pub(crate) struct Flights<K, V> {
    /// Invariant: a key is present from the moment its first request
    /// arrives until its outcome is published and a participant has seen
    /// it (or every participant is gone).
    map: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K: Hash + Eq + Clone, V: Clone> Flights<K, V> {
    /// No flights.
    pub fn new() -> Flights<K, V> {
        Flights {
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The outcome of the flight for `key`, running `work` if there is no
    /// flight yet (or its runner was cancelled); `true` with it if this
    /// call ran the work. `joined` is called at once if a flight was
    /// already in progress.
    pub async fn share<F, Fut>(&self, key: K, joined: impl FnOnce(), work: F) -> (V, bool)
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = V>,
    {
        // Join the flight, or start it.
        let (cell, existed) = {
            let mut map = lock(&self.map);
            let existed = map.contains_key(&key);
            (map.entry(key.clone()).or_default().clone(), existed)
        };
        if existed {
            joined();
        }
        let seat = Seat {
            flights: self,
            key,
            cell,
        };

        // Run the work, or wait for whoever runs it.
        let mut ran = false;
        let value = seat
            .cell
            .get_or_init(|| {
                ran = true;
                work()
            })
            .await
            .clone();
        (value, ran)
    }

    /// Flights in progress.
    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.map).len()
    }
}

/// A participant's place in a flight; leaving (however: done, or
/// cancelled) removes a finished or abandoned flight from the map.
struct Seat<'a, K: Hash + Eq, V> {
    /// Where the flight is listed.
    flights: &'a Flights<K, V>,
    /// Its key.
    key: K,
    /// Its outcome, once published.
    cell: Arc<OnceCell<V>>,
}

impl<K: Hash + Eq, V> Drop for Seat<'_, K, V> {
    fn drop(&mut self) {
        let mut map = lock(&self.flights.map);
        let listed = map
            .get(&self.key)
            .is_some_and(|c| Arc::ptr_eq(c, &self.cell));
        // Finished, or abandoned: only the map and this seat hold it.
        let done = self.cell.is_initialized() || Arc::strong_count(&self.cell) == 2;
        if listed && done {
            map.remove(&self.key);
        }
    }
}

/// Finished answers, kept for `ttl`: a bounded in-memory cache.
#[derive(Debug)]
pub(crate) struct Cache<K, V> {
    /// How long an answer is served from the cache; zero turns it off.
    ttl: Duration,
    /// Most answers kept.
    capacity: usize,
    /// Answer and the time it was stored, by key. Invariant: at most
    /// `capacity` entries.
    map: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Hash + Eq + Clone, V: Clone> Cache<K, V> {
    /// A cache keeping up to `capacity` answers for `ttl` each.
    pub fn new(ttl: Duration, capacity: usize) -> Cache<K, V> {
        Cache {
            ttl,
            capacity,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the cache is on.
    pub fn is_on(&self) -> bool {
        !self.ttl.is_zero() && self.capacity > 0
    }

    /// The answer for `key` and its age, if one younger than the ttl is
    /// kept.
    pub fn get(&self, key: &K, now: Instant) -> Option<(V, Duration)> {
        if !self.is_on() {
            return None;
        }
        let map = lock(&self.map);
        let (stored, value) = map.get(key)?;
        let age = now.saturating_duration_since(*stored);
        (age < self.ttl).then(|| (value.clone(), age))
    }

    /// Keeps `value` for `key`. When full, expired answers go first, then
    /// the oldest.
    pub fn put(&self, key: K, value: V, now: Instant) {
        if !self.is_on() {
            return;
        }
        let mut map = lock(&self.map);
        if map.len() >= self.capacity && !map.contains_key(&key) {
            let ttl = self.ttl;
            map.retain(|_, (stored, _)| now.saturating_duration_since(*stored) < ttl);
            if map.len() >= self.capacity {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, (stored, _))| *stored)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(key, (now, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::future;

    #[test]
    fn concurrent_requests_for_one_key_run_the_work_once() {
        let flights = Flights::<&str, u32>::new();
        let runs = std::cell::Cell::new(0);
        let joins = std::cell::Cell::new(0);
        let (open, gate) = async_channel::bounded::<()>(1);
        let work = || async {
            runs.set(runs.get() + 1);
            let _ = gate.recv().await;
            7
        };
        let outcomes = future::block_on(async {
            let a = flights.share("k", || panic!("the first starts the flight"), work);
            let b = flights.share("k", || joins.set(joins.get() + 1), work);
            let c = flights.share("other", || {}, || async { 8 });
            let release = async {
                // Let every participant join before the work ends.
                future::yield_now().await;
                assert_eq!(flights.len(), 1);
                drop(open);
            };
            let ((a, b), (c, ())) = future::zip(future::zip(a, b), future::zip(c, release)).await;
            [a, b, c]
        });
        assert_eq!(outcomes, [(7, true), (7, false), (8, true)]);
        assert_eq!((runs.get(), joins.get()), (1, 1));
        // Finished flights are gone: the next request runs the work again.
        assert_eq!(flights.len(), 0);
        assert_eq!(
            future::block_on(flights.share("k", || {}, || async { 9 })),
            (9, true)
        );
    }

    #[test]
    fn a_cancelled_runner_leaves_nothing_behind() {
        let flights = Flights::<&str, u32>::new();
        future::block_on(async {
            let mut stuck = Box::pin(flights.share("k", || {}, future::pending::<u32>));
            assert!(future::poll_once(&mut stuck).await.is_none());
            assert_eq!(flights.len(), 1);
            drop(stuck);
        });
        assert_eq!(flights.len(), 0);
    }

    #[test]
    fn the_cache_keeps_answers_for_the_ttl_and_stays_bounded() {
        let cache = Cache::new(Duration::from_secs(10), 2);
        let t0 = Instant::now();
        cache.put("a", 1, t0);
        assert_eq!(
            cache.get(&"a", t0 + Duration::from_secs(3)),
            Some((1, Duration::from_secs(3)))
        );
        assert_eq!(cache.get(&"a", t0 + Duration::from_secs(10)), None);
        assert_eq!(cache.get(&"b", t0), None);

        // Full: the oldest goes.
        cache.put("b", 2, t0 + Duration::from_secs(1));
        cache.put("c", 3, t0 + Duration::from_secs(2));
        let now = t0 + Duration::from_secs(2);
        assert_eq!(cache.get(&"a", now), None);
        assert!(cache.get(&"b", now).is_some() && cache.get(&"c", now).is_some());
        assert_eq!(lock(&cache.map).len(), 2);

        // Off: nothing is kept.
        let off = Cache::new(Duration::ZERO, 2);
        off.put("a", 1, t0);
        assert_eq!(off.get(&"a", t0), None);
    }
}
