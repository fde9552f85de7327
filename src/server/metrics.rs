//! `GET /metrics`: counters kept with atomics, written in the Prometheus
//! text exposition format (version 0.0.4).
//!
//! ```text
//! # TYPE netcount_requests_total counter
//! netcount_requests_total{route="healthz",status="200"} 12
//! # TYPE netcount_upstream_fetch_duration_seconds histogram
//! netcount_upstream_fetch_duration_seconds_bucket{le="0.1"} 3
//! ...
//! ```
//!
//! Every series is a fixed slot in an array, so recording is a few atomic
//! additions and never allocates or locks.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// The route label of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteLabel {
    /// `/DotNetCount`.
    DotNetCount,
    /// `/count`.
    Count,
    /// `/healthz`.
    Health,
    /// `/metrics`.
    Metrics,
    /// Any other path (404), or a request refused before it had a path
    /// (a malformed or slow head, a full table).
    Other,
}

impl RouteLabel {
    /// Every label, in slot order.
    const ALL: [RouteLabel; 5] = [
        RouteLabel::DotNetCount,
        RouteLabel::Count,
        RouteLabel::Health,
        RouteLabel::Metrics,
        RouteLabel::Other,
    ];

    /// The label's value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RouteLabel::DotNetCount => "DotNetCount",
            RouteLabel::Count => "count",
            RouteLabel::Health => "healthz",
            RouteLabel::Metrics => "metrics",
            RouteLabel::Other => "other",
        }
    }
}

/// The statuses the server sends, in slot order; anything else would be
/// counted under the last slot, `other`.
const STATUSES: [u16; 15] = [
    200, 400, 403, 404, 405, 408, 413, 414, 431, 500, 502, 503, 504, 505, 508,
];
/// Slots per route: the statuses above and `other`.
const STATUS_SLOTS: usize = STATUSES.len() + 1;

/// Upper bounds of the fetch duration histogram's buckets, in seconds
/// (`+Inf` is implied).
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The server's counters.
#[derive(Debug)]
pub(crate) struct Metrics {
    /// Requests answered, by route (outer) and status slot (inner).
    requests: [[AtomicU64; STATUS_SLOTS]; RouteLabel::ALL.len()],
    /// Upstream fetches per bucket (not cumulative; summed when written),
    /// the last slot for those over every bound.
    fetch_buckets: [AtomicU64; BUCKETS.len() + 1],
    /// Sum of fetch durations, in microseconds.
    fetch_micros: AtomicU64,
    /// Body bytes counted by successful fetches.
    bytes_counted: AtomicU64,
    /// Answers served from the cache.
    cache_hits: AtomicU64,
    /// Requests that joined another request's fetch in flight.
    shared_fetches: AtomicU64,
    /// Connections refused because the table or their address was full.
    refused_connections: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            requests: Default::default(),
            fetch_buckets: Default::default(),
            fetch_micros: AtomicU64::new(0),
            bytes_counted: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            shared_fetches: AtomicU64::new(0),
            refused_connections: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// Counts an answered request.
    pub fn request(&self, route: RouteLabel, status: u16) {
        let route = RouteLabel::ALL
            .iter()
            .position(|&r| r == route)
            .unwrap_or(0);
        let slot = STATUSES
            .iter()
            .position(|&s| s == status)
            .unwrap_or(STATUS_SLOTS - 1);
        self.requests[route][slot].fetch_add(1, Relaxed);
    }

    /// Counts one upstream fetch (successful or not) that took `took`.
    pub fn fetch(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&bound| secs <= bound)
            .unwrap_or(BUCKETS.len());
        self.fetch_buckets[bucket].fetch_add(1, Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.fetch_micros.fetch_add(micros, Relaxed);
    }

    /// Adds body bytes counted.
    pub fn counted(&self, bytes: u64) {
        self.bytes_counted.fetch_add(bytes, Relaxed);
    }

    /// Counts an answer from the cache.
    pub fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Relaxed);
    }

    /// Counts a request that joined another's fetch in flight.
    pub fn shared_fetch(&self) {
        self.shared_fetches.fetch_add(1, Relaxed);
    }

    /// Counts a connection refused for want of a place.
    pub fn refused_connection(&self) {
        self.refused_connections.fetch_add(1, Relaxed);
    }

    /// Everything, in the Prometheus text format; `open` is the number of
    /// open connections now.
    pub fn render(&self, open: usize) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let mut line = |text: std::fmt::Arguments<'_>| {
            let _ = out.write_fmt(text);
            out.push('\n');
        };

        line(format_args!(
            "# HELP netcount_requests_total Requests answered, by route and status."
        ));
        line(format_args!("# TYPE netcount_requests_total counter"));
        for (r, route) in RouteLabel::ALL.iter().enumerate() {
            for (slot, count) in self.requests[r].iter().enumerate() {
                let count = count.load(Relaxed);
                if count == 0 {
                    continue;
                }
                let status = match STATUSES.get(slot) {
                    Some(s) => s.to_string(),
                    None => "other".to_string(),
                };
                line(format_args!(
                    "netcount_requests_total{{route=\"{}\",status=\"{status}\"}} {count}",
                    route.as_str()
                ));
            }
        }

        line(format_args!(
            "# HELP netcount_upstream_fetch_duration_seconds Upstream fetches (resolve to last body byte), by duration."
        ));
        line(format_args!(
            "# TYPE netcount_upstream_fetch_duration_seconds histogram"
        ));
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.fetch_buckets[i].load(Relaxed);
            line(format_args!(
                "netcount_upstream_fetch_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            ));
        }
        cumulative += self.fetch_buckets[BUCKETS.len()].load(Relaxed);
        line(format_args!(
            "netcount_upstream_fetch_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        ));
        let sum = self.fetch_micros.load(Relaxed) as f64 / 1e6;
        line(format_args!(
            "netcount_upstream_fetch_duration_seconds_sum {sum}"
        ));
        line(format_args!(
            "netcount_upstream_fetch_duration_seconds_count {cumulative}"
        ));

        let simple = [
            (
                "netcount_counted_bytes_total",
                "counter",
                "Body bytes counted by successful upstream fetches.",
                self.bytes_counted.load(Relaxed),
            ),
            (
                "netcount_open_connections",
                "gauge",
                "Client connections holding a place in the connection table.",
                open as u64,
            ),
            (
                "netcount_cache_hits_total",
                "counter",
                "Answers served from the cache (--cache-ttl).",
                self.cache_hits.load(Relaxed),
            ),
            (
                "netcount_shared_fetches_total",
                "counter",
                "Requests that joined an identical request's fetch in flight.",
                self.shared_fetches.load(Relaxed),
            ),
            (
                "netcount_refused_connections_total",
                "counter",
                "Connections refused because the table, or their address's share of it, was full.",
                self.refused_connections.load(Relaxed),
            ),
        ];
        for (name, kind, help, value) in simple {
            line(format_args!("# HELP {name} {help}"));
            line(format_args!("# TYPE {name} {kind}"));
            line(format_args!("{name} {value}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_every_family_and_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.request(RouteLabel::Health, 200);
        metrics.request(RouteLabel::Health, 200);
        metrics.request(RouteLabel::Count, 502);
        metrics.request(RouteLabel::Other, 418);
        metrics.fetch(Duration::from_millis(3));
        metrics.fetch(Duration::from_millis(80));
        metrics.fetch(Duration::from_secs(100));
        metrics.counted(1000);
        metrics.cache_hit();
        let text = metrics.render(7);

        for expected in [
            "netcount_requests_total{route=\"healthz\",status=\"200\"} 2\n",
            "netcount_requests_total{route=\"count\",status=\"502\"} 1\n",
            "netcount_requests_total{route=\"other\",status=\"other\"} 1\n",
            "netcount_upstream_fetch_duration_seconds_bucket{le=\"0.005\"} 1\n",
            "netcount_upstream_fetch_duration_seconds_bucket{le=\"0.05\"} 1\n",
            "netcount_upstream_fetch_duration_seconds_bucket{le=\"0.1\"} 2\n",
            "netcount_upstream_fetch_duration_seconds_bucket{le=\"30\"} 2\n",
            "netcount_upstream_fetch_duration_seconds_bucket{le=\"+Inf\"} 3\n",
            "netcount_upstream_fetch_duration_seconds_count 3\n",
            "netcount_upstream_fetch_duration_seconds_sum 100.083\n",
            "netcount_counted_bytes_total 1000\n",
            "netcount_open_connections 7\n",
            "netcount_cache_hits_total 1\n",
            "# TYPE netcount_open_connections gauge\n",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
        // Every line is a comment or `name{labels} value`.
        for line in text.lines() {
            let value = line.rsplit(' ').next().unwrap();
            assert!(
                line.starts_with('#') || value.parse::<f64>().is_ok(),
                "{line}"
            );
        }
    }
}
