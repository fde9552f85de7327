//! The `netcount` binary, driven as a user would.

use std::process::{Command, Output};

use crate::support::*;

fn netcount(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netcount"))
        .args(args)
        .output()
        .expect("run netcount")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn prints_the_count_alone() {
    let server = serve(vec![send(ok_with_length("a .NET b .net c .NET"))]);
    let output = netcount(&[&server.url("/")]);
    assert_eq!(
        (stdout(&output).as_str(), output.status.code()),
        ("2\n", Some(0))
    );
    let output = netcount(&["-i", &server.url("/")]);
    assert_eq!(stdout(&output), "3\n");
    let output = netcount(&["--needle", "a", &server.url("/")]);
    assert_eq!(stdout(&output), "1\n");
}

#[test]
fn overlapping_mode() {
    let server = serve(vec![send(ok_with_length("aaaa"))]);
    assert_eq!(stdout(&netcount(&["-n", "aa", &server.url("/")])), "2\n");
    assert_eq!(
        stdout(&netcount(&["-n", "aa", "--overlapping", &server.url("/")])),
        "3\n"
    );
}

#[test]
fn a_failed_fetch_exits_1_with_the_url_and_message() {
    let server = serve(vec![send(
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    )]);
    let url = server.url("/nothing");
    let output = netcount(&[&url]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        format!("netcount: {url}: http status 404 not found\n")
    );
}

#[test]
fn usage_errors_exit_2_with_a_hint() {
    for args in [
        &["--bogus"][..],
        &["-n"],
        &["-n", "", "http://h/"],
        &["--timeout", "0", "http://h/"],
        &["--timeout", "-1", "http://h/"],
        &["--timeout", "soon", "http://h/"],
        &["--max-redirects", "x", "http://h/"],
        &["ftp://h/"],
        &["http://exa mple/"],
    ] {
        let output = netcount(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = stderr(&output);
        assert!(err.starts_with("netcount: "), "{args:?}: {err}");
        assert!(err.contains("--help"), "{args:?}: {err}");
        assert_eq!(stdout(&output), "");
    }
}

#[test]
fn help_and_version() {
    let output = netcount(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).starts_with("Usage: netcount"));
    let output = netcount(&["-V"]);
    assert_eq!(
        stdout(&output),
        format!("netcount {}\n", env!("CARGO_PKG_VERSION"))
    );
}
