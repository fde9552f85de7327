//! The connection table: who holds a place, and who gives it up when a
//! new connection needs one.
//!
//! Every served connection has an entry, in one of four phases:
//!
//! ```text
//! New ──first byte──► Head ──head complete──► Busy ──answer written──► Idle
//!                      ▲                                                │
//!                      └──────────────────first byte────────────────────┘
//! ```
//!
//! Admitting a connection ([`Table::admit`]) follows three rules, so that
//! sockets that cost the attacker nothing cannot lock everyone else out:
//!
//! 1. One client address holds at most `max_connections_per_ip` places.
//! 2. Under pressure (three-quarters full or more), a connection that has
//!    been `New` (silent since its accept) or in `Head` longer than
//!    `busy_head_timeout` is told to give up (a head in progress is
//!    answered 408): slow-drip heads get a shorter timeout exactly when it
//!    matters.
//! 3. When the table is full, the connection that has been `Idle` longest
//!    (kept alive, waiting for its next request) is closed to make room.
//!    A `Busy` connection is never closed to make room, nor a `New` one
//!    before rule 2 applies (its first request may be on its way).
//!
//! Telling a connection to give up is *kicking* it: its entry leaves the
//! table at once (so the place is free at once) and its kick channel is
//! closed, which wakes whatever it is waiting for.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};

/// What a connection is doing, as far as admission cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Accepted, nothing received yet.
    New,
    /// Kept alive after an answer, waiting for the next request: cheap to
    /// close.
    Idle,
    /// Reading a request head that has started to arrive.
    Head,
    /// Answering a request: never closed to make room.
    Busy,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    /// Its address already holds `max_connections_per_ip` places.
    PerIp,
    /// Every place is taken, and none by an idle connection.
    Table,
}

/// The bounds the table enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// Most entries.
    pub max: usize,
    /// Most entries per client address.
    pub per_ip: usize,
    /// The head timeout under pressure.
    pub busy_head_timeout: Duration,
}

/// One connection's entry.
#[derive(Debug)]
struct Entry {
    /// The client's address, to find its per-address count on removal.
    ip: IpAddr,
    /// The current phase.
    phase: Phase,
    /// When the current phase began.
    since: Instant,
    /// Closed to kick the connection.
    kick: Sender<()>,
}

/// The table's state, behind one lock.
#[derive(Debug, Default)]
struct Inner {
    /// Entry by connection id. Invariant: `entries.len()` is the number of
    /// admitted connections not yet dropped or kicked.
    entries: HashMap<u64, Entry>,
    /// Entries per client address. Invariant: equals the count of
    /// `entries` with that `ip`; addresses with none are removed.
    per_ip: HashMap<IpAddr, usize>,
    /// The id the next entry gets.
    next_id: u64,
}

impl Inner {
    /// Removes an entry, keeping `per_ip` in step; returns it if it was
    /// still there.
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.entries.remove(&id)?;
        if let Some(count) = self.per_ip.get_mut(&entry.ip) {
            *count -= 1;
            if *count == 0 {
                self.per_ip.remove(&entry.ip);
            }
        }
        Some(entry)
    }

    /// Removes an entry and wakes its connection.
    fn kick(&mut self, id: u64) {
        if let Some(entry) = self.remove(id) {
            entry.kick.close();
        }
    }
}

/// The connection table, shared by the accept loop and every connection.
#[derive(Debug)]
pub(crate) struct Table {
    /// The bounds.
    bounds: Bounds,
    /// The entries.
    inner: Mutex<Inner>,
}

/// A connection's place in the table; dropping it gives the place up
/// (unless the connection was kicked, which already did).
#[derive(Debug)]
pub(crate) struct Place {
    /// The table.
    table: Arc<Table>,
    /// This connection's id.
    id: u64,
    /// Closed when the connection is kicked.
    pub kicked: Receiver<()>,
}

impl Table {
    /// An empty table.
    pub fn new(bounds: Bounds) -> Table {
        Table {
            bounds,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Connections holding a place.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Locks the state; a panic elsewhere while holding the lock cannot
    /// leave it inconsistent (every update is a few infallible steps), so
    /// a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Gives a new connection from `ip` a place, applying the three rules
    /// of the module documentation (which may kick other connections).
    pub fn admit(self: &Arc<Self>, ip: IpAddr, now: Instant) -> Result<Place, Full> {
        let bounds = self.bounds;
        let mut inner = self.lock();

        // Rule 1: the per-address cap.
        if inner.per_ip.get(&ip).copied().unwrap_or(0) >= bounds.per_ip {
            return Err(Full::PerIp);
        }

        // Rule 2: under pressure, slow heads give up.
        if inner.entries.len() >= pressure(bounds.max) {
            let overdue: Vec<u64> = inner
                .entries
                .iter()
                .filter(|(_, e)| {
                    matches!(e.phase, Phase::New | Phase::Head)
                        && now.saturating_duration_since(e.since) >= bounds.busy_head_timeout
                })
                .map(|(&id, _)| id)
                .collect();
            for id in overdue {
                inner.kick(id);
            }
        }

        // Rule 3: full, so the longest idle connection makes room.
        if inner.entries.len() >= bounds.max {
            let idlest = inner
                .entries
                .iter()
                .filter(|(_, e)| e.phase == Phase::Idle)
                .min_by_key(|(_, e)| e.since)
                .map(|(&id, _)| id);
            match idlest {
                Some(id) => inner.kick(id),
                None => return Err(Full::Table),
            }
        }

        // Take the place.
        let id = inner.next_id;
        inner.next_id += 1;
        let (kick, kicked) = async_channel::bounded(1);
        let entry = Entry {
            ip,
            phase: Phase::New,
            since: now,
            kick,
        };
        inner.entries.insert(id, entry);
        *inner.per_ip.entry(ip).or_insert(0) += 1;
        Ok(Place {
            table: self.clone(),
            id,
            kicked,
        })
    }
}

/// The size from which the table is under pressure: three-quarters full.
fn pressure(max: usize) -> usize {
    max - max / 4
}

impl Place {
    /// Records that the connection entered `phase`, now.
    pub fn set(&self, phase: Phase) {
        let mut inner = self.table.lock();
        if let Some(entry) = inner.entries.get_mut(&self.id) {
            entry.phase = phase;
            entry.since = Instant::now();
        }
    }

    /// Whether the connection was kicked (and should close).
    #[cfg(test)]
    pub fn is_kicked(&self) -> bool {
        self.kicked.is_closed()
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.table.lock().remove(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(max: usize, per_ip: usize) -> Arc<Table> {
        Arc::new(Table::new(Bounds {
            max,
            per_ip,
            busy_head_timeout: Duration::from_secs(2),
        }))
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn one_address_cannot_take_more_than_its_share() {
        let table = table(10, 2);
        let now = Instant::now();
        let a = table.admit(ip(2), now).unwrap();
        let _b = table.admit(ip(2), now).unwrap();
        assert_eq!(table.admit(ip(2), now).unwrap_err(), Full::PerIp);
        assert!(table.admit(ip(3), now).is_ok());
        // Giving a place up makes room for the same address again.
        drop(a);
        assert!(table.admit(ip(2), now).is_ok());
    }

    #[test]
    fn a_full_table_closes_the_longest_idle_connection_first() {
        let table = table(3, 3);
        let start = Instant::now();
        let busy = table.admit(ip(2), start).unwrap();
        busy.set(Phase::Busy);
        let old = table.admit(ip(2), start).unwrap();
        let young = table.admit(ip(2), start).unwrap();
        old.set(Phase::Idle);
        young.set(Phase::Idle);
        table.lock().entries.get_mut(&young.id).unwrap().since += Duration::from_millis(10);
        let newcomer = table.admit(ip(3), Instant::now()).unwrap();
        assert!(old.is_kicked());
        assert!(!busy.is_kicked() && !young.is_kicked() && !newcomer.is_kicked());
        assert_eq!(table.len(), 3);
        // A kicked place is already free: dropping it changes nothing.
        drop(old);
        assert_eq!(table.len(), 3);
    }

    #[test]
    fn busy_connections_are_never_kicked() {
        let table = table(2, 2);
        let now = Instant::now();
        let places: Vec<Place> = (0..2).map(|_| table.admit(ip(2), now).unwrap()).collect();
        for place in &places {
            place.set(Phase::Busy);
        }
        let later = now + Duration::from_secs(60);
        assert_eq!(table.admit(ip(3), later).unwrap_err(), Full::Table);
        assert!(places.iter().all(|p| !p.is_kicked()));
    }

    #[test]
    fn new_connections_make_room_only_once_overdue() {
        let table = table(2, 2);
        let now = Instant::now();
        let places: Vec<Place> = (0..2).map(|_| table.admit(ip(2), now).unwrap()).collect();
        // Just accepted: their requests may be on the way.
        assert_eq!(table.admit(ip(3), now).unwrap_err(), Full::Table);
        assert!(places.iter().all(|p| !p.is_kicked()));
        // Silent past the busy head timeout: they give up.
        assert!(table.admit(ip(3), now + Duration::from_secs(3)).is_ok());
        assert!(places.iter().all(|p| p.is_kicked()));
    }

    #[test]
    fn under_pressure_slow_heads_give_up() {
        let table = table(4, 4);
        let now = Instant::now();
        let places: Vec<Place> = (0..3).map(|_| table.admit(ip(2), now).unwrap()).collect();
        for place in &places {
            place.set(Phase::Head);
        }
        // Three of four is pressure, but nobody is overdue yet.
        let soon = Instant::now() + Duration::from_secs(1);
        let fourth = table.admit(ip(3), soon).unwrap();
        assert!(places.iter().all(|p| !p.is_kicked()));
        drop(fourth);
        // Past the busy head timeout, every slow head gives up.
        let late = Instant::now() + Duration::from_secs(3);
        let _fifth = table.admit(ip(3), late).unwrap();
        assert!(places.iter().all(|p| p.is_kicked()));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn below_pressure_slow_heads_keep_their_place() {
        let table = table(8, 8);
        let now = Instant::now();
        let slow = table.admit(ip(2), now).unwrap();
        slow.set(Phase::Head);
        let _other = table.admit(ip(3), now + Duration::from_secs(60)).unwrap();
        assert!(!slow.is_kicked());
    }
}
