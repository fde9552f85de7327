//! Counting many URLs at once: `-j` workers on one thread, output in the
//! order given as soon as it can be printed.
//!
//! ```text
//! targets ─► N workers (client.count) ─► channel (index, outcome)
//!         ─► reorder buffer ─► Output (stdout / stderr), Progress (stderr)
//! ```
//!
//! Why one thread: fetching is waiting on sockets, and a single
//! [`LocalExecutor`] driven by the main thread overlaps all the waits just as
//! well as a thread pool would. Counting (memchr over each chunk) costs far
//! less than receiving the bytes. On one thread the workers can borrow the
//! client, the counter and the queue of targets without `Arc` or locks, and
//! printing happens in one place. Concurrency is bounded the simplest way:
//! exactly `-j` worker tasks, each taking the next target when it is done
//! with the last (no semaphore, and no task per URL for a long list).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_lite::{future, FutureExt, StreamExt};
use netcount::{Client, Error, Matcher, Report};
use smol::channel::{self, Sender};
use smol::{LocalExecutor, Timer};

use super::args::{CountArgs, Source};
use super::files;
use super::input::{self, Target};
use super::output::{Format, Output};
use super::progress::{Progress, Style, REDRAW_EVERY};
use super::{write_stderr, UsageError, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK};

/// A run, ready to start: everything that could be a usage error is checked.
#[derive(Debug)]
pub struct Job {
    /// The client every fetch shares.
    client: Client,
    /// What to count (a needle or a pattern), cloned for each worker.
    counter: Matcher,
    /// What to count, in output order.
    targets: Vec<Target>,
    /// Most fetches at once; at least 1.
    concurrency: usize,
    /// How lines are printed.
    format: Format,
    /// Whether to draw the progress line.
    progress: bool,
    /// Bytes received by every fetch so far, as the client's progress hook
    /// counts them.
    received: Arc<AtomicU64>,
}

/// One finished target: its position in the input, its label, its result.
type Finished = (usize, String, Result<Report, Error>);

/// How a run ended.
enum End {
    /// Every target was printed, or standard output failed (`Err`).
    Done(io::Result<()>),
    /// Stopped by a signal; the exit code says which.
    Stopped(i32),
}

/// Builds the client and reads the URL lists: everything that can fail
/// before the first fetch.
pub fn prepare(args: CountArgs) -> Result<Job, UsageError> {
    let counter = args.matcher.clone();
    let received = Arc::new(AtomicU64::new(0));
    let mut builder = Client::builder()
        .timeout(args.timeout)
        .connect_timeout(args.connect_timeout)
        .max_redirects(args.max_redirects)
        .progress({
            let received = received.clone();
            move |progress| {
                received.fetch_add(progress.read as u64, Ordering::Relaxed);
            }
        });
    // Every worker may hand a connection back at once: keep them all, so
    // many URLs of one site need no more connections than `-j`.
    if args.no_reuse {
        builder = builder.pool_max_idle(0);
    } else if args.concurrency > Client::DEFAULT_POOL_MAX_IDLE_PER_ORIGIN {
        builder = builder
            .pool_max_idle_per_origin(args.concurrency)
            .pool_max_idle(args.concurrency.max(Client::DEFAULT_POOL_MAX_IDLE));
    }
    if let Some(path) = &args.cacert {
        builder = load_cacert(builder, path).map_err(UsageError)?;
    }
    builder = request_options(builder, &args)?;
    if args.compressed {
        builder = compressed(builder)?;
    }
    // The targets in the order given: URL arguments, and each list where
    // its --input stands.
    let mut targets: Vec<Target> = Vec::new();
    for source in args.sources {
        match source {
            Source::Url(url) => targets.push(Target::from_url(url)),
            Source::Input(list) => {
                let bytes = input::read_source(&list).map_err(UsageError)?;
                targets.extend(input::parse_list(&bytes));
            }
        }
    }
    // One fetch gets the large read buffer that is fastest on a fast link;
    // many at once get smaller ones, so memory stays modest at high `-j`.
    if targets.len() > 1 && args.concurrency > 1 {
        builder = builder.read_buffer_size(MANY_READ_BUFFER);
    }
    let format = match (args.json, targets.len()) {
        (true, _) => Format::Json,
        (false, 1) => Format::Count,
        (false, _) => Format::Lines,
    };
    Ok(Job {
        client: builder.build(),
        counter,
        targets,
        concurrency: args.concurrency,
        format,
        progress: !args.quiet && io::stderr().is_terminal(),
        received,
    })
}

/// Applies the proxy (the command line's, else the environment's: the CLI
/// opts in to reading it), the headers and the credentials. Each was
/// checked when the arguments were parsed.
fn request_options(
    mut builder: netcount::ClientBuilder,
    args: &CountArgs,
) -> Result<netcount::ClientBuilder, UsageError> {
    let usage = |error: Error| UsageError(error.to_string());
    if let Some(proxy) = args.proxy(|name| std::env::var(name).ok())? {
        builder = builder.proxy(proxy);
    }
    if let Some(user_agent) = &args.user_agent {
        builder = builder.user_agent(user_agent.as_str());
    }
    for (name, value) in &args.headers {
        builder = builder.header(name, value).map_err(usage)?;
    }
    if let Some((user, password)) = &args.user {
        builder = builder.basic_auth(user, password).map_err(usage)?;
    }
    Ok(builder)
}

/// Read buffer per fetch when several run at once (a single fetch uses the
/// client's default, 1 MiB).
const MANY_READ_BUFFER: usize = 128 * 1024;

/// Runs the job and returns the exit code.
pub fn execute(job: Job) -> i32 {
    let Job {
        client,
        counter,
        targets,
        concurrency,
        format,
        progress,
        received,
    } = job;
    let total = targets.len();
    let workers = files::fit(concurrency.min(total));
    let queue = RefCell::new(targets.into_iter().enumerate());
    let mut output = Output::new(format, BufWriter::new(io::stdout().lock()), io::stderr());
    let style = Style::for_term(std::env::var_os("TERM").as_deref());
    let mut progress = Progress::new(progress, style, total);
    let bytes = || received.load(Ordering::Relaxed);

    // From here on Ctrl-C and SIGTERM are ours: either ends the run at the
    // executor's next poll, which drops every fetch in flight (closing its
    // connection), with the progress line cleared. (Before, while
    // `--input -` was read, the default action ended the process just as
    // promptly.)
    let stopped = stop_signal();

    let executor = LocalExecutor::new();
    let (sender, receiver) = channel::unbounded::<Finished>();
    for _ in 0..workers {
        let task = executor.spawn(worker(&queue, &client, &counter, sender.clone()));
        task.detach();
    }
    // The channel closes when the last worker is done.
    drop(sender);

    let print_all = async {
        // Outcomes that finished before an earlier one, keyed by position.
        // Invariant: every key is > `next`.
        let mut waiting = BTreeMap::new();
        // Position of the next outcome to print.
        let mut next = 0;
        let mut ticks = Timer::interval(REDRAW_EVERY);
        progress.draw(bytes());
        let result: io::Result<()> = async {
            loop {
                // Wait for a fetch to finish, redrawing the progress line meanwhile.
                let finished = if progress.enabled() {
                    let recv = async { Some(receiver.recv().await) };
                    let tick = async {
                        ticks.next().await;
                        None
                    };
                    match recv.or(tick).await {
                        Some(finished) => finished,
                        None => {
                            progress.draw(bytes());
                            continue;
                        }
                    }
                } else {
                    receiver.recv().await
                };
                let Ok((index, label, result)) = finished else {
                    break;
                };
                progress.finished();
                waiting.insert(index, (label, result));

                // Print every outcome that is now next in line.
                if waiting.contains_key(&next) {
                    progress.clear();
                }
                while let Some((label, result)) = waiting.remove(&next) {
                    output.outcome(&label, &result)?;
                    next += 1;
                }
                output.flush()?;
                progress.draw(bytes());
            }
            progress.clear();
            output.finish()
        }
        .await;
        End::Done(result)
    };

    // smol::block_on drives the reactor on this thread while it waits, so
    // a socket becoming readable wakes us without a second thread.
    let end = smol::block_on(executor.run(future::or(print_all, stopped)));
    progress.clear();
    match end {
        End::Stopped(code) => code,
        // Nobody reads the output any more: stop quietly.
        End::Done(Err(error)) if error.kind() != io::ErrorKind::BrokenPipe => {
            write_stderr(&format!("netcount: cannot write the output: {error}\n"));
            EXIT_FAILED
        }
        End::Done(_) if output.failed() => EXIT_FAILED,
        End::Done(_) => EXIT_OK,
    }
}

/// Watches for Ctrl-C, and SIGTERM where there is such a signal, from now
/// on; the future completes with [`End::Stopped`] on the first. It never
/// completes if no handler could be installed (the default action then
/// still ends the process).
fn stop_signal() -> impl std::future::Future<Output = End> {
    use async_signal::{Signal, Signals};

    #[cfg(unix)]
    let watched = [Signal::Int, Signal::Term];
    #[cfg(not(unix))]
    let watched = [Signal::Int];
    let signals = Signals::new(watched);
    async move {
        let Ok(mut signals) = signals else {
            return future::pending().await;
        };
        match signals.next().await {
            #[cfg(unix)]
            Some(Ok(Signal::Term)) => End::Stopped(super::EXIT_TERMINATED),
            _ => End::Stopped(EXIT_INTERRUPTED),
        }
    }
}

/// Takes targets from the queue one at a time, counts each, and sends the
/// outcome; stops when the queue is empty or nobody listens any more.
async fn worker(
    queue: &RefCell<impl Iterator<Item = (usize, Target)>>,
    client: &Client,
    counter: &Matcher,
    results: Sender<Finished>,
) {
    let mut counter = counter.clone();
    loop {
        // Take the next target (the borrow ends before any await).
        let Some((index, target)) = queue.borrow_mut().next() else {
            return;
        };
        // Count it; a list line that is not a URL fails right here.
        let Target { label, url } = target;
        let result = match url {
            Ok(url) => client.count(&url, &mut counter).await,
            Err(error) => Err(error),
        };
        if results.send((index, label, result)).await.is_err() {
            return;
        }
    }
}

/// Adds the CA certificates of a PEM file to the client.
#[cfg(feature = "tls")]
fn load_cacert(
    builder: netcount::ClientBuilder,
    path: &std::path::Path,
) -> Result<netcount::ClientBuilder, String> {
    let pem = std::fs::read(path).map_err(|e| format!("--cacert {}: {e}", path.display()))?;
    builder
        .add_root_certificates_pem(&pem)
        .map_err(|e| format!("--cacert {}: {e}", path.display()))
}

/// Without TLS, a CA file cannot be used.
#[cfg(not(feature = "tls"))]
fn load_cacert(
    _: netcount::ClientBuilder,
    path: &std::path::Path,
) -> Result<netcount::ClientBuilder, String> {
    Err(format!(
        "--cacert {}: https is not available in this build (built without the `tls` feature)",
        path.display()
    ))
}

/// `--compressed`: asks for a compressed transfer, if this build decodes one.
#[cfg(feature = "compression")]
fn compressed(builder: netcount::ClientBuilder) -> Result<netcount::ClientBuilder, UsageError> {
    Ok(builder.compressed(true))
}

/// Without the decoders, a compressed transfer cannot be read.
#[cfg(not(feature = "compression"))]
fn compressed(_: netcount::ClientBuilder) -> Result<netcount::ClientBuilder, UsageError> {
    Err(UsageError(
        "--compressed is not available in this build (built without the `compression` feature)"
            .into(),
    ))
}
