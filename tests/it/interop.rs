//! Interop with real servers started by the tests.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::support::count;

/// A child process killed when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `program` can be run; if not, says so loudly.
pub fn have(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!("SKIPPED: {program} is not installed; this interop test did not run");
    }
    found
}

/// Starts `python3 -m http.server` on a free port, serving `dir`.
fn python_http_server(dir: &Path) -> (KillOnDrop, u16) {
    let mut child = Command::new("python3")
        .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python3 -m http.server");
    let stdout = child.stdout.take().unwrap();
    let child = KillOnDrop(child);
    // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port = line
        .split_whitespace()
        .skip_while(|w| *w != "port")
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected http.server banner {line:?}"));
    (child, port)
}

#[test]
fn python_http_server_close_delimited_http_1_0() {
    if !have("python3") {
        return;
    }
    let dir = tempdir("python");
    // A page with a known count: .NET every 997 bytes, and some near-misses.
    let mut page = String::new();
    while page.len() < 3_000_000 {
        page.push_str(&"x".repeat(993));
        page.push_str(".NET .NE .ET");
    }
    std::fs::write(dir.join("page.html"), &page).unwrap();
    let (_server, port) = python_http_server(&dir);
    let report = count(&format!("http://127.0.0.1:{port}/page.html"), ".NET").unwrap();
    assert_eq!(report.count, page.matches(".NET").count() as u64);
    assert_eq!(report.bytes, page.len() as u64);
    let error = count(&format!("http://127.0.0.1:{port}/missing"), ".NET").unwrap_err();
    assert!(
        matches!(error, netcount::Error::Status { code: 404, .. }),
        "{error}"
    );
}

/// A fresh directory under the target's temp area.
pub fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("netcount-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
