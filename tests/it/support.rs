//! Scripted servers for the tests: real sockets on loopback, port 0.
//!
//! A [`Server`] accepts connections on its own threads, reads each request
//! head, and answers with the [`Step`]s its handler returns for that request:
//! bytes (optionally in pieces, with pauses), then close, hold or reset.
//! It misbehaves exactly as told, which is the point.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// One thing the server does on a connection, in order.
#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes (one write call).
    Send(Vec<u8>),
    /// Wait.
    Sleep(Duration),
    /// Keep the connection open, sending nothing, for this long.
    Hold(Duration),
    /// Abort the connection with a TCP reset.
    Reset,
}

/// Writes `bytes` in one piece.
pub fn send(bytes: impl AsRef<[u8]>) -> Step {
    Step::Send(bytes.as_ref().to_vec())
}

/// Pauses for `ms` milliseconds.
pub fn sleep_ms(ms: u64) -> Step {
    Step::Sleep(Duration::from_millis(ms))
}

/// Writes `bytes` in pieces of `size`, pausing `pause_ms` between them so
/// each piece travels in its own TCP segment.
pub fn send_in_pieces(bytes: impl AsRef<[u8]>, size: usize, pause_ms: u64) -> Vec<Step> {
    let mut steps = Vec::new();
    for piece in bytes.as_ref().chunks(size) {
        steps.push(Step::Send(piece.to_vec()));
        steps.push(sleep_ms(pause_ms));
    }
    steps
}

/// A complete `200 OK` response with a Content-Length body.
pub fn ok_with_length(body: impl AsRef<[u8]>) -> Vec<u8> {
    let body = body.as_ref();
    let mut response =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    response.extend_from_slice(body);
    response
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The whole head, as received.
    pub head: String,
    /// The request target from the request line.
    pub target: String,
}

impl Request {
    /// The value of the first header named `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

type Handler = dyn Fn(&Request) -> Vec<Step> + Send + Sync;

/// A scripted server on loopback; stops accepting when dropped.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Every request head received, in order.
    requests: Arc<Mutex<Vec<Request>>>,
    /// Set when dropped.
    stop: Arc<AtomicBool>,
}

impl Server {
    /// `http://addr` + `path`.
    pub fn url(&self, path: &str) -> String {
        match self.addr {
            SocketAddr::V4(a) => format!("http://{a}{path}"),
            SocketAddr::V6(a) => format!("http://[{}]:{}{path}", a.ip(), a.port()),
        }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Serves every connection with the same steps.
pub fn serve(steps: Vec<Step>) -> Server {
    serve_with(move |_| steps.clone())
}

/// Serves each connection with the steps `handler` returns for its request.
pub fn serve_with(handler: impl Fn(&Request) -> Vec<Step> + Send + Sync + 'static) -> Server {
    serve_on("127.0.0.1:0", handler)
}

/// Like [`serve_with`], on a chosen address (e.g. `[::1]:0`).
pub fn serve_on(
    bind: &str,
    handler: impl Fn(&Request) -> Vec<Step> + Send + Sync + 'static,
) -> Server {
    let listener = TcpListener::bind(bind).expect("bind a loopback port");
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let handler: Arc<Handler> = Arc::new(handler);
    {
        let (requests, stop) = (requests.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (handler, requests) = (handler.clone(), requests.clone());
                thread::spawn(move || answer(stream, &*handler, &requests));
            }
        });
    }
    Server {
        addr,
        requests,
        stop,
    }
}

/// Reads one request head and plays the handler's steps.
fn answer(mut stream: TcpStream, handler: &Handler, requests: &Mutex<Vec<Request>>) {
    stream.set_nodelay(true).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    requests.lock().unwrap().push(request.clone());
    for step in handler(&request) {
        match step {
            Step::Send(bytes) => {
                if stream.write_all(&bytes).is_err() {
                    return;
                }
            }
            Step::Sleep(d) | Step::Hold(d) => thread::sleep(d),
            Step::Reset => {
                reset(stream);
                return;
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Write);
    // Drain until the client closes, so our close is a clean FIN.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.read(&mut [0; 64]);
}

/// Reads one request head, byte by byte so that nothing after it is
/// consumed; `None` at end of stream, on an error or a timeout.
pub fn read_head(stream: &mut impl Read) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// Reads one request head (see [`read_head`]) and takes its target.
pub fn read_request(stream: &mut impl Read) -> Option<Request> {
    let head = read_head(stream)?;
    let target = head.split(' ').nth(1).unwrap_or_default().to_string();
    Some(Request { head, target })
}

/// Closes with RST instead of FIN (SO_LINGER with a zero timeout).
fn reset(stream: TcpStream) {
    let socket = socket2::Socket::from(stream);
    socket.set_linger(Some(Duration::ZERO)).unwrap();
    drop(socket);
}

/// How long [`wait_until`] waits before it fails the test.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `condition` every 10 ms until it holds; panics naming `what` if it
/// still does not after [`PATIENCE`]. Every test that waits for something
/// another thread or process does waits with this, never with an open
/// loop: a regression then fails the test instead of hanging the run.
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

/// Runs a future to completion on the calling thread.
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    futures_lite::future::block_on(future)
}

/// Counts `needle` at `url` with `client`.
pub fn count_with(
    client: &netcount::Client,
    url: &str,
    needle: &str,
) -> Result<netcount::Report, netcount::Error> {
    let url = netcount::url::Url::parse(url)?;
    let mut counter = netcount::Counter::new(needle)?;
    block_on(client.count(&url, &mut counter))
}

/// A client with short timeouts, for tests that expect failure quickly.
pub fn quick_client() -> netcount::Client {
    netcount::Client::builder()
        .timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(2))
        .build()
}

/// Counts `needle` at `url` with [`quick_client`].
pub fn count(url: &str, needle: &str) -> Result<netcount::Report, netcount::Error> {
    count_with(&quick_client(), url, needle)
}

/// Runs the `netcount` binary with `args` and waits for it.
#[cfg(feature = "cli")]
pub fn netcount(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_netcount"))
        .args(args)
        .output()
        .expect("run netcount")
}
