//! The access log: one line per answered request, on stderr.
//!
//! Connection tasks never write to stderr themselves: they format a line
//! and hand it to a bounded channel, and one thread writes the lines out.
//! A stderr that cannot keep up (a full pipe) then costs dropped lines,
//! counted and reported, never a stalled server.

use std::fmt::{self, Write as _};
use std::io::Write;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, SystemTime};

use async_channel::{Receiver, Sender};

use super::date::rfc3339;
use crate::json;

/// Lines waiting to be written, at most.
const BACKLOG: usize = 4096;

/// Bytes of lines gathered into one write, at most (a line may pass it).
const BATCH_BYTES: usize = 64 * 1024;

/// The writer's pause after each write.
const GATHER: Duration = Duration::from_millis(10);

/// The access log's format (`--access-log`).
///
/// ```text
/// text: 2025-05-01T12:00:00.123Z 127.0.0.1:50312 GET /healthz 200 159 0.1ms upstream=-
/// json: {"time":"2025-05-01T12:00:00.123Z","client":"127.0.0.1:50312","method":"GET",
///        "target":"/healthz","status":200,"bytes":159,"duration_ms":0.1,"upstream_ms":null}
/// ```
///
/// `bytes` is the size of the whole answer written; `upstream` the time
/// spent fetching (absent when nothing was fetched). Fetching routes add
/// `cache` (`miss`, `shared`: another request's fetch, or `hit`), and a
/// refusal whose public message leaves something out adds `detail` (such
/// as the address a host name resolved to).
///
/// # Example
///
/// ```
/// use netcount::server::AccessLog;
///
/// assert_eq!("json".parse::<AccessLog>(), Ok(AccessLog::Json));
/// assert_eq!(AccessLog::Text.to_string(), "text");
/// assert!("yes".parse::<AccessLog>().is_err());
/// assert_eq!(AccessLog::default(), AccessLog::Off);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessLog {
    /// No access log.
    #[default]
    Off,
    /// Space-separated fields, for people.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for AccessLog {
    type Err = String;

    fn from_str(text: &str) -> Result<AccessLog, String> {
        match text {
            "off" => Ok(AccessLog::Off),
            "text" => Ok(AccessLog::Text),
            "json" => Ok(AccessLog::Json),
            _ => Err(format!(
                "unknown access log format {text:?} (expected off, text or json)"
            )),
        }
    }
}

impl fmt::Display for AccessLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccessLog::Off => "off",
            AccessLog::Text => "text",
            AccessLog::Json => "json",
        })
    }
}

/// One answered request, as logged.
#[derive(Debug)]
pub(crate) struct Entry<'a> {
    /// The client's address.
    pub client: SocketAddr,
    /// The method (`-` when the head was refused before it was parsed).
    pub method: &'a str,
    /// Path and query (`-` likewise).
    pub target: &'a str,
    /// The status answered.
    pub status: u16,
    /// Bytes written: head and body.
    pub bytes: usize,
    /// From the first byte of the request (for a connection refused a
    /// place: from its accept) to the answer written.
    pub duration: Duration,
    /// Time spent on the upstream fetch, if there was one.
    pub upstream: Option<Duration>,
    /// For fetching routes: `miss`, `shared` or `hit`.
    pub cache: Option<&'static str>,
    /// What the public answer left out, if anything.
    pub detail: Option<&'a str>,
}

impl Entry<'_> {
    /// The line (without its newline) in `format`.
    fn format(&self, format: AccessLog, now: SystemTime) -> String {
        let time = rfc3339(now);
        let millis = |d: Duration| d.as_secs_f64() * 1000.0;
        match format {
            AccessLog::Off => String::new(),
            AccessLog::Text => {
                let mut line = String::with_capacity(128 + self.target.len());
                // Writing to a String cannot fail.
                let _ = write!(
                    line,
                    "{time} {} {} {} {} {} {:.1}ms upstream=",
                    self.client,
                    self.method,
                    self.target,
                    self.status,
                    self.bytes,
                    millis(self.duration),
                );
                match self.upstream {
                    Some(d) => {
                        let _ = write!(line, "{:.1}ms", millis(d));
                    }
                    None => line.push('-'),
                }
                if let Some(cache) = self.cache {
                    let _ = write!(line, " cache={cache}");
                }
                if let Some(detail) = self.detail {
                    let _ = write!(line, " detail={}", json::string(detail));
                }
                line
            }
            AccessLog::Json => {
                let mut line = format!(
                    r#"{{"time":"{time}","client":"{}","method":{},"target":{},"status":{},"bytes":{},"duration_ms":{:.3},"upstream_ms":{}"#,
                    self.client,
                    json::string(self.method),
                    json::string(self.target),
                    self.status,
                    self.bytes,
                    millis(self.duration),
                    self.upstream
                        .map_or("null".to_string(), |d| format!("{:.3}", millis(d)))
                );
                if let Some(cache) = self.cache {
                    line.push_str(&format!(r#","cache":"{cache}""#));
                }
                if let Some(detail) = self.detail {
                    line.push_str(&format!(r#","detail":{}"#, json::string(detail)));
                }
                line.push('}');
                line
            }
        }
    }
}

/// The sending side, shared by every connection.
#[derive(Debug)]
pub(crate) struct Logger {
    /// The format; `Off` logs nothing.
    format: AccessLog,
    /// Lines to the writer thread.
    lines: Sender<String>,
    /// Lines dropped because the backlog was full.
    dropped: Arc<AtomicU64>,
}

/// The writing side, until the server runs.
#[derive(Debug)]
pub(crate) struct Writer {
    /// Lines from the connections.
    lines: Receiver<String>,
    /// Shared with the logger.
    dropped: Arc<AtomicU64>,
}

/// A running writer thread.
#[derive(Debug)]
pub(crate) struct Running {
    /// Disconnected when the thread ends.
    done: mpsc::Receiver<()>,
}

impl Logger {
    /// A logger in `format` and the writer that goes with it.
    pub fn new(format: AccessLog) -> (Logger, Writer) {
        let (lines, receiver) = async_channel::bounded(BACKLOG);
        let dropped = Arc::new(AtomicU64::new(0));
        let logger = Logger {
            format,
            lines,
            dropped: dropped.clone(),
        };
        let writer = Writer {
            lines: receiver,
            dropped,
        };
        (logger, writer)
    }

    /// Logs one answered request.
    pub fn log(&self, entry: &Entry<'_>) {
        if self.format == AccessLog::Off {
            return;
        }
        let mut line = entry.format(self.format, SystemTime::now());
        line.push('\n');
        if self.lines.try_send(line).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// No more lines: the writer finishes what is queued and stops.
    pub fn close(&self) {
        self.lines.close();
    }
}

impl Writer {
    /// Starts the thread that writes lines to stderr until the logger
    /// closes.
    pub fn start(self) -> std::io::Result<Running> {
        let (done_tx, done) = mpsc::channel::<()>();
        thread::Builder::new()
            .name("netcount-access-log".into())
            .spawn(move || {
                let _done = done_tx;
                let stderr = std::io::stderr();
                while let Ok(mut batch) = self.lines.recv_blocking() {
                    // Take whatever else is queued: one write for many
                    // lines when they come fast.
                    while batch.len() < BATCH_BYTES {
                        match self.lines.try_recv() {
                            Ok(line) => batch.push_str(&line),
                            Err(_) => break,
                        }
                    }
                    let mut out = stderr.lock();
                    let _ = out.write_all(batch.as_bytes());
                    let dropped = self.dropped.swap(0, Ordering::Relaxed);
                    if dropped > 0 {
                        let _ = writeln!(
                            out,
                            "netcount: {dropped} access log lines dropped (stderr too slow)"
                        );
                    }
                    drop(out);
                    // Let lines gather: under load, one write (and one
                    // wake-up of this thread) per pause, not per line.
                    thread::sleep(GATHER);
                }
            })?;
        Ok(Running { done })
    }
}

impl Running {
    /// Waits up to `limit` for the queued lines to be written.
    pub fn wait(self, limit: Duration) {
        let _ = self.done.recv_timeout(limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(cache: Option<&'static str>, detail: Option<&'a str>) -> Entry<'a> {
        Entry {
            client: "127.0.0.1:5000".parse().unwrap(),
            method: "GET",
            target: "/count?url=x",
            status: 403,
            bytes: 200,
            duration: Duration::from_micros(1500),
            upstream: Some(Duration::from_millis(1)),
            cache,
            detail,
        }
    }

    #[test]
    fn text_lines() {
        let at = SystemTime::UNIX_EPOCH;
        assert_eq!(
            entry(Some("miss"), Some("a \"b\"")).format(AccessLog::Text, at),
            "1970-01-01T00:00:00.000Z 127.0.0.1:5000 GET /count?url=x 403 200 1.5ms \
             upstream=1.0ms cache=miss detail=\"a \\\"b\\\"\""
        );
        let mut plain = entry(None, None);
        plain.upstream = None;
        assert!(plain
            .format(AccessLog::Text, at)
            .ends_with(" 403 200 1.5ms upstream=-"));
    }

    #[test]
    fn json_lines_are_json() {
        let at = SystemTime::UNIX_EPOCH;
        let line = entry(Some("hit"), Some("10.0.0.1:80")).format(AccessLog::Json, at);
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["client"], "127.0.0.1:5000");
        assert_eq!(value["status"], 403);
        assert_eq!(value["upstream_ms"], 1.0);
        assert_eq!(value["cache"], "hit");
        assert_eq!(value["detail"], "10.0.0.1:80");
        let mut plain = entry(None, None);
        plain.upstream = None;
        let value: serde_json::Value =
            serde_json::from_str(&plain.format(AccessLog::Json, at)).unwrap();
        assert!(value["upstream_ms"].is_null() && value.get("cache").is_none());
    }

    #[test]
    fn a_full_backlog_drops_lines_instead_of_waiting() {
        let (logger, writer) = Logger::new(AccessLog::Json);
        for _ in 0..BACKLOG + 5 {
            logger.log(&entry(None, None));
        }
        assert_eq!(writer.dropped.load(Ordering::Relaxed), 5);
        assert_eq!(writer.lines.len(), BACKLOG);
        // Off logs nothing.
        let (logger, writer) = Logger::new(AccessLog::Off);
        logger.log(&entry(None, None));
        assert!(writer.lines.is_empty());
    }
}
