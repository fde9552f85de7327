//! The open files `-j` needs. Each fetch holds a socket (two while Happy
//! Eyeballs races an IPv6 and an IPv4 address), and a process may hold only
//! as many files as its soft `RLIMIT_NOFILE` allows: 256 by default on
//! macOS, 1024 on most Linux systems. Past it every connect fails with "too
//! many open files", URL after URL.
//!
//! So before the first fetch the soft limit is raised toward the hard one
//! (any process may do that), and if even the hard limit is too low, `-j`
//! is lowered to what fits, with one warning.

/// Files one fetch may hold at once.
#[cfg(any(unix, test))]
const PER_FETCH: u64 = 2;

/// Files the process holds besides its fetches: standard streams, the
/// reactor's poller and its notifier, the signal pipe, an `--input` file,
/// and room to spare.
#[cfg(any(unix, test))]
const RESERVE: u64 = 32;

/// What to do about the limit for a run.
#[cfg(any(unix, test))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    /// Raise the soft limit to this first, if set.
    raise_to: Option<u64>,
    /// Fetches at once that fit the limit.
    workers: usize,
}

/// Files `workers` fetches at once need.
#[cfg(any(unix, test))]
fn needed(workers: usize) -> u64 {
    RESERVE + PER_FETCH * workers as u64
}

/// The plan for `workers` fetches under a `soft` and `hard` limit (`None`:
/// unlimited).
#[cfg(any(unix, test))]
fn plan(workers: usize, soft: Option<u64>, hard: Option<u64>) -> Plan {
    let need = needed(workers);
    let Some(soft) = soft.filter(|&soft| soft < need) else {
        return Plan {
            raise_to: None,
            workers,
        };
    };
    let reachable = hard.map_or(need, |hard| hard.min(need));
    let limit = reachable.max(soft);
    Plan {
        raise_to: (limit > soft).then_some(limit),
        workers: fitting(workers, limit),
    }
}

/// The most fetches, at most `workers` and at least one, whose files fit
/// in `limit`.
#[cfg(any(unix, test))]
fn fitting(workers: usize, limit: u64) -> usize {
    let room = limit.saturating_sub(RESERVE) / PER_FETCH;
    workers
        .min(usize::try_from(room).unwrap_or(usize::MAX))
        .max(1)
}

/// The number of fetches to run at once: `workers`, after raising the soft
/// limit if needed, or fewer (with a warning on stderr) when the hard limit
/// is too low.
#[cfg(unix)]
pub fn fit(workers: usize) -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

    let current = getrlimit(Resource::Nofile);
    let plan = plan(workers, current.current, current.maximum);
    let mut limit = current.current;
    let mut fits = plan.workers;
    if let Some(raise_to) = plan.raise_to {
        let raised = Rlimit {
            current: Some(raise_to),
            maximum: current.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            limit = Some(raise_to);
        } else {
            // Some systems cap the soft limit below the hard one (macOS:
            // OPEN_MAX): keep the old limit and fit within it.
            fits = limit.map_or(workers, |limit| fitting(workers, limit));
        }
    }
    if fits < workers {
        let limit = limit.map_or("unlimited".to_string(), |limit| limit.to_string());
        super::write_stderr(&format!(
            "netcount: warning: {workers} fetches at once need about {} open files, but the \
             limit is {limit}; fetching {fits} at once\n",
            needed(workers)
        ));
    }
    fits
}

/// Elsewhere (Windows) sockets are not bounded by a per-process file limit.
#[cfg(not(unix))]
pub fn fit(workers: usize) -> usize {
    workers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enough_files_change_nothing() {
        let unchanged = Plan {
            raise_to: None,
            workers: 8,
        };
        assert_eq!(plan(8, Some(1024), Some(4096)), unchanged);
        assert_eq!(plan(8, None, None), unchanged);
        assert_eq!(plan(8, Some(needed(8)), Some(needed(8))), unchanged);
    }

    #[test]
    fn the_soft_limit_is_raised_only_as_far_as_needed() {
        assert_eq!(
            plan(1000, Some(256), Some(1 << 20)),
            Plan {
                raise_to: Some(needed(1000)),
                workers: 1000
            }
        );
        assert_eq!(
            plan(1000, Some(256), None),
            Plan {
                raise_to: Some(needed(1000)),
                workers: 1000
            }
        );
    }

    #[test]
    fn a_low_hard_limit_lowers_j() {
        // Raised to the hard limit, and -j to what fits in it.
        assert_eq!(
            plan(1000, Some(256), Some(512)),
            Plan {
                raise_to: Some(512),
                workers: 240
            }
        );
        // Nothing to raise: the soft limit is the hard one.
        assert_eq!(
            plan(1000, Some(256), Some(256)),
            Plan {
                raise_to: None,
                workers: 112
            }
        );
        // Never below one fetch.
        assert_eq!(plan(1000, Some(10), Some(10)).workers, 1);
    }
}
