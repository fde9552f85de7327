//! The connection table: who holds a place, who gives it up when a new
//! connection needs one, and whose time is up.
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
//! The timeouts of waiting connections are kept here too: a periodic
//! [`Table::sweep`] tells a connection whose first head has not arrived
//! within `head_timeout` of its accept (or a later head within
//! `head_timeout` of its first byte), or that stayed `Idle` past
//! `idle_timeout`, to give up, and applies rule 2 as well. One sweep a
//! fraction of a second for the whole table is much cheaper than a timer
//! per request (each timer wakes the I/O reactor twice).
//!
//! Telling a connection to give up is *kicking* it: its entry leaves the
//! table at once (so the place is free at once), the reason is recorded,
//! and its kick channel is closed, which wakes whatever it is waiting for.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};

/// What a connection is doing, as far as admission cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
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

impl Phase {
    /// The phase stored as `value`.
    fn from_u8(value: u8) -> Phase {
        match value {
            0 => Phase::New,
            1 => Phase::Idle,
            2 => Phase::Head,
            _ => Phase::Busy,
        }
    }
}

/// Why a connection was kicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kick {
    /// Not kicked.
    None,
    /// It was the longest idle, and the table was full.
    Room,
    /// The server is stopping.
    Stop,
    /// Idle past `idle_timeout`.
    Idle,
    /// Its head did not arrive within `head_timeout`.
    Head,
    /// Its head did not arrive within `busy_head_timeout`, under pressure.
    BusyHead,
}

impl Kick {
    /// The reason stored as `value`.
    fn from_u8(value: u8) -> Kick {
        match value {
            1 => Kick::Room,
            2 => Kick::Stop,
            3 => Kick::Idle,
            4 => Kick::Head,
            5 => Kick::BusyHead,
            _ => Kick::None,
        }
    }
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
    /// Time for a request head to arrive: from the accept for the first,
    /// from its first byte for later ones.
    pub head_timeout: Duration,
    /// The head timeout under pressure.
    pub busy_head_timeout: Duration,
    /// Time an idle connection may wait for its next request.
    pub idle_timeout: Duration,
}

/// A connection's phase and since when, updated by the connection without
/// taking the table's lock (it changes three times per request).
#[derive(Debug)]
struct State {
    /// The current [`Phase`], as `u8`.
    phase: AtomicU8,
    /// When it began, in microseconds since the table's epoch (for a head
    /// that follows `New`: the accept).
    since: AtomicU64,
    /// Why it was kicked, as a [`Kick`]; set before its channel closes.
    kick: AtomicU8,
}

/// One connection's entry.
#[derive(Debug)]
struct Entry {
    /// The client's address, to find its per-address count on removal.
    ip: IpAddr,
    /// Phase and since when, shared with the connection's [`Place`].
    state: Arc<State>,
    /// Closed to kick the connection.
    kick: Sender<()>,
}

impl Entry {
    /// The phase now.
    fn phase(&self) -> Phase {
        Phase::from_u8(self.state.phase.load(Ordering::Acquire))
    }

    /// Microseconds since the table's epoch at which the phase began.
    fn since(&self) -> u64 {
        self.state.since.load(Ordering::Acquire)
    }
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

    /// Removes an entry and wakes its connection, saying why.
    fn kick(&mut self, id: u64, why: Kick) {
        if let Some(entry) = self.remove(id) {
            entry.state.kick.store(why as u8, Ordering::Release);
            entry.kick.close();
        }
    }

    /// Kicks every entry `why` picks.
    fn kick_where(&mut self, why: impl Fn(&Entry) -> Option<Kick>) {
        let picked: Vec<(u64, Kick)> = self
            .entries
            .iter()
            .filter_map(|(&id, entry)| why(entry).map(|kick| (id, kick)))
            .collect();
        for (id, kick) in picked {
            self.kick(id, kick);
        }
    }
}

/// The connection table, shared by the accept loop and every connection.
#[derive(Debug)]
pub(crate) struct Table {
    /// The bounds.
    bounds: Bounds,
    /// The origin of every entry's `since`.
    epoch: Instant,
    /// Set once the server stops: no connection waits for another
    /// request.
    stopping: AtomicBool,
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
    /// Its phase, shared with its entry.
    state: Arc<State>,
    /// Closed when the connection is kicked.
    pub kicked: Receiver<()>,
}

impl Table {
    /// An empty table.
    pub fn new(bounds: Bounds) -> Table {
        Table {
            bounds,
            epoch: Instant::now(),
            stopping: AtomicBool::new(false),
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

    /// `time` in microseconds since the epoch.
    fn micros(&self, time: Instant) -> u64 {
        micros(time.saturating_duration_since(self.epoch))
    }

    /// How often [`Table::sweep`] should run: a quarter of the shortest
    /// timeout, between 10 ms and 250 ms.
    pub fn sweep_every(&self) -> Duration {
        let b = &self.bounds;
        let shortest = b.head_timeout.min(b.busy_head_timeout).min(b.idle_timeout);
        (shortest / 4).clamp(Duration::from_millis(10), Duration::from_millis(250))
    }

    /// Kicks the connections whose time is up at `now` (see the module
    /// documentation).
    pub fn sweep(&self, now: Instant) {
        let b = self.bounds;
        let now = self.micros(now);
        let (head, busy_head, idle) = (
            micros(b.head_timeout),
            micros(b.busy_head_timeout),
            micros(b.idle_timeout),
        );
        let mut inner = self.lock();
        let pressure = inner.entries.len() >= pressure(b.max);
        inner.kick_where(|entry| {
            let age = now.saturating_sub(entry.since());
            match entry.phase() {
                Phase::New | Phase::Head if age >= head => Some(Kick::Head),
                Phase::New | Phase::Head if pressure && age >= busy_head => Some(Kick::BusyHead),
                Phase::Idle if age >= idle => Some(Kick::Idle),
                _ => None,
            }
        });
    }

    /// The server stops: from now on no connection waits for another
    /// request, and those waiting now (new or idle) are kicked.
    pub fn stop(&self) {
        let mut inner = self.lock();
        // Under the lock: a connection that becomes idle after this sees
        // the flag; one that became idle before is kicked here.
        self.stopping.store(true, Ordering::SeqCst);
        inner.kick_where(|entry| {
            matches!(entry.phase(), Phase::New | Phase::Idle).then_some(Kick::Stop)
        });
    }

    /// Whether the server is stopping.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Gives a new connection from `ip` a place, applying the three rules
    /// of the module documentation (which may kick other connections).
    pub fn admit(self: &Arc<Self>, ip: IpAddr, now: Instant) -> Result<Place, Full> {
        let bounds = self.bounds;
        let now = self.micros(now);
        let mut inner = self.lock();

        // Rule 1: the per-address cap.
        if inner.per_ip.get(&ip).copied().unwrap_or(0) >= bounds.per_ip {
            return Err(Full::PerIp);
        }

        // Rule 2: under pressure, slow heads give up.
        if inner.entries.len() >= pressure(bounds.max) {
            let limit = micros(bounds.busy_head_timeout);
            inner.kick_where(|entry| {
                let slow = matches!(entry.phase(), Phase::New | Phase::Head)
                    && now.saturating_sub(entry.since()) >= limit;
                slow.then_some(Kick::BusyHead)
            });
        }

        // Rule 3: full, so the longest idle connection makes room.
        if inner.entries.len() >= bounds.max {
            let idlest = inner
                .entries
                .iter()
                .filter(|(_, e)| e.phase() == Phase::Idle)
                .min_by_key(|(_, e)| e.since())
                .map(|(&id, _)| id);
            match idlest {
                Some(id) => inner.kick(id, Kick::Room),
                None => return Err(Full::Table),
            }
        }

        // Take the place.
        let id = inner.next_id;
        inner.next_id += 1;
        let (kick, kicked) = async_channel::bounded(1);
        let state = Arc::new(State {
            phase: AtomicU8::new(Phase::New as u8),
            since: AtomicU64::new(now),
            kick: AtomicU8::new(Kick::None as u8),
        });
        let entry = Entry {
            ip,
            state: state.clone(),
            kick,
        };
        inner.entries.insert(id, entry);
        *inner.per_ip.entry(ip).or_insert(0) += 1;
        Ok(Place {
            table: self.clone(),
            id,
            state,
            kicked,
        })
    }
}

/// A duration in whole microseconds (saturating).
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// The size from which the table is under pressure: three-quarters full.
fn pressure(max: usize) -> usize {
    max - max / 4
}

impl Place {
    /// Records that the connection entered `phase`, now. A head that
    /// follows `New` keeps the accept as its start: the first head's
    /// timeout counts from the accept.
    pub fn set(&self, phase: Phase) {
        let was = Phase::from_u8(self.state.phase.load(Ordering::Acquire));
        if !(was == Phase::New && phase == Phase::Head) {
            let now = self.table.micros(Instant::now());
            self.state.since.store(now, Ordering::Release);
        }
        self.state.phase.store(phase as u8, Ordering::Release);
    }

    /// Records that the connection waits for its next request; `false`
    /// if the server is stopping, so it should close instead.
    pub fn set_idle(&self) -> bool {
        self.set(Phase::Idle);
        // After the store: either `Table::stop` saw it idle and kicks it,
        // or this sees the flag.
        !self.table.is_stopping()
    }

    /// Why the connection was kicked ([`Kick::None`] if it was not).
    pub fn why(&self) -> Kick {
        Kick::from_u8(self.state.kick.load(Ordering::Acquire))
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
            head_timeout: Duration::from_secs(10),
            busy_head_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(15),
        }))
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
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
        young.state.since.fetch_add(10_000, Ordering::SeqCst);
        let newcomer = table.admit(ip(3), Instant::now()).unwrap();
        assert!(old.is_kicked());
        assert_eq!(old.why(), Kick::Room);
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
        let later = now + secs(60);
        assert_eq!(table.admit(ip(3), later).unwrap_err(), Full::Table);
        table.sweep(later);
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
        assert!(table.admit(ip(3), now + secs(3)).is_ok());
        assert!(places.iter().all(|p| p.why() == Kick::BusyHead));
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
        let fourth = table.admit(ip(3), now + secs(1)).unwrap();
        assert!(places.iter().all(|p| !p.is_kicked()));
        drop(fourth);
        // Past the busy head timeout, every slow head gives up.
        let _fifth = table.admit(ip(3), now + secs(3)).unwrap();
        assert!(places.iter().all(|p| p.why() == Kick::BusyHead));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn the_sweep_applies_every_timeout() {
        let table = table(8, 8);
        let t0 = Instant::now();
        let silent = table.admit(ip(2), t0).unwrap();
        let slow = table.admit(ip(2), t0).unwrap();
        slow.set(Phase::Head);
        let idle = table.admit(ip(2), t0).unwrap();
        assert!(idle.set_idle());
        let busy = table.admit(ip(2), t0).unwrap();
        busy.set(Phase::Busy);

        // Within every timeout (half the table: no pressure).
        table.sweep(t0 + secs(9));
        assert_eq!(table.len(), 4);
        // The first head counts from the accept, though its first byte
        // came later.
        table.sweep(t0 + secs(11));
        assert_eq!((silent.why(), slow.why()), (Kick::Head, Kick::Head));
        assert_eq!((idle.why(), busy.why()), (Kick::None, Kick::None));
        table.sweep(t0 + secs(16));
        assert_eq!((idle.why(), busy.why()), (Kick::Idle, Kick::None));
    }

    #[test]
    fn under_pressure_the_sweep_uses_the_busy_head_timeout() {
        let table = table(4, 4);
        let t0 = Instant::now();
        let places: Vec<Place> = (0..3).map(|_| table.admit(ip(2), t0).unwrap()).collect();
        places[0].set(Phase::Head);
        places[1].set(Phase::Busy);
        table.sweep(t0 + secs(1));
        assert!(places.iter().all(|p| !p.is_kicked()));
        table.sweep(t0 + secs(3));
        let whys: Vec<Kick> = places.iter().map(Place::why).collect();
        assert_eq!(whys, [Kick::BusyHead, Kick::None, Kick::BusyHead]);
    }

    #[test]
    fn stopping_kicks_the_waiting_and_spares_the_busy() {
        let table = table(8, 8);
        let now = Instant::now();
        let new = table.admit(ip(2), now).unwrap();
        let idle = table.admit(ip(2), now).unwrap();
        assert!(idle.set_idle());
        let busy = table.admit(ip(2), now).unwrap();
        busy.set(Phase::Busy);
        table.stop();
        assert_eq!((new.why(), idle.why()), (Kick::Stop, Kick::Stop));
        assert!(!busy.is_kicked());
        // Done with its answer, the busy one does not wait for another.
        assert!(!busy.set_idle());
    }

    #[test]
    fn below_pressure_slow_heads_keep_their_place() {
        let table = table(8, 8);
        let now = Instant::now();
        let slow = table.admit(ip(2), now).unwrap();
        slow.set(Phase::Head);
        let _other = table.admit(ip(3), now + secs(5)).unwrap();
        assert!(!slow.is_kicked());
    }

    #[test]
    fn sweeps_run_a_few_times_per_shortest_timeout() {
        assert_eq!(table(8, 8).sweep_every(), Duration::from_millis(250));
        let quick = Table::new(Bounds {
            max: 1,
            per_ip: 1,
            head_timeout: Duration::from_millis(100),
            busy_head_timeout: secs(2),
            idle_timeout: secs(15),
        });
        assert_eq!(quick.sweep_every(), Duration::from_millis(25));
    }
}
