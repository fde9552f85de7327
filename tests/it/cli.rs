//! The `netcount` binary, driven as a user would.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::support::*;

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
    let help = stdout(&output);
    assert!(
        help.starts_with("Usage: netcount [OPTIONS] [URL...]\n"),
        "{help}"
    );
    assert!(
        help.contains("\n       netcount serve [OPTIONS]\n"),
        "{help}"
    );
    assert!(help.contains("\n  serve  "), "{help}");
    let version = format!("netcount {}\n", env!("CARGO_PKG_VERSION"));
    for args in [
        &["-V"][..],
        &["--version"],
        &["serve", "-V"],
        &["serve", "--version"],
    ] {
        let output = netcount(args);
        assert_eq!(
            (stdout(&output), output.status.code()),
            (version.clone(), Some(0)),
            "{args:?}"
        );
    }
}

#[test]
fn the_help_command() {
    assert_eq!(stdout(&netcount(&["help"])), stdout(&netcount(&["--help"])));
    let serve = netcount(&["help", "serve"]);
    assert_eq!(serve.status.code(), Some(0));
    assert_eq!(stdout(&serve), stdout(&netcount(&["serve", "--help"])));
    assert!(stdout(&serve).starts_with("Usage: netcount serve [OPTIONS]\n"));
    for args in [&["help", "nothing"][..], &["help", "serve", "more"]] {
        let output = netcount(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = stderr(&output);
        assert!(err.starts_with("netcount: no help for "), "{err}");
        assert_eq!(stdout(&output), "");
    }
}

#[test]
fn numbers_out_of_range_say_the_range() {
    for (args, message) in [
        (
            &["--timeout", "1e12", "http://h/"][..],
            "netcount: --timeout expects a number of seconds from 0.001 to 1000000000, got \"1e12\"\n",
        ),
        (
            &["-j", "1000000", "http://h/"],
            "netcount: -j/--concurrency expects a whole number from 1 to 10000, got \"1000000\"\n",
        ),
        (
            &["serve", "--max-connections", "0"],
            "netcount: --max-connections expects a whole number from 1 to 4294967295, got \"0\"\n",
        ),
    ] {
        let output = netcount(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).starts_with(message), "{}", stderr(&output));
    }
}

#[test]
fn generate_writes_a_man_page_and_completions() {
    let man = stdout(&netcount(&["--generate", "man"]));
    assert!(man.starts_with(".TH NETCOUNT 1 "), "{man}");
    for kind in ["complete-bash", "complete-zsh", "complete-fish"] {
        let output = netcount(&["--generate", kind]);
        assert_eq!(output.status.code(), Some(0), "{kind}");
        assert!(stdout(&output).contains("max-redirects"), "{kind}");
    }
    let output = netcount(&["--generate", "complete-tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("man, complete-bash, complete-zsh, complete-fish"));
}

/// Runs `program args` with `input` on stdin; `None` if `program` is not
/// installed.
fn run_tool(program: &str, args: &[&str], input: &str) -> Option<Output> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Some(child.wait_with_output().unwrap())
}

#[test]
fn the_man_page_renders_without_warnings() {
    let man = stdout(&netcount(&["--generate", "man"]));
    // Plain ASCII, without bold or underline, and every warning on.
    let Some(output) = run_tool("groff", &["-man", "-Tascii", "-P-cbou", "-ww"], &man) else {
        eprintln!("SKIPPED: the_man_page_renders_without_warnings needs groff");
        return;
    };
    assert_eq!(stderr(&output), "");
    let plain = stdout(&output);
    for text in [
        "-j, --concurrency N",
        "--upstream-timeout SECS",
        "SERVE OPTIONS",
        "(default: .NET)",
        "complete-zsh, complete-fish",
    ] {
        assert!(
            plain.contains(text),
            "{text:?} not in the man page:\n{plain}"
        );
    }
}

#[test]
fn bash_completes_flags_choices_files_and_commands() {
    let script = stdout(&netcount(&["--generate", "complete-bash"]));
    // Each case: the words typed so far; the completions offered.
    let probe = |words: &[&str]| -> Option<Vec<String>> {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let program = format!(
            "{script}\nCOMP_WORDS=({})\nCOMP_CWORD={}\n_netcount\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
            quoted.join(" "),
            words.len() - 1
        );
        let output = run_tool("bash", &["--norc", "-s"], &program)?;
        assert_eq!(stderr(&output), "", "{words:?}");
        Some(
            stdout(&output)
                .lines()
                .map(String::from)
                .filter(|l| !l.is_empty())
                .collect(),
        )
    };
    let Some(flags) = probe(&["netcount", "--max"]) else {
        eprintln!("SKIPPED: bash_completes_flags_choices_files_and_commands needs bash");
        return;
    };
    assert_eq!(flags, ["--max-match-bytes", "--max-redirects"]);
    assert_eq!(
        probe(&["netcount", "serve", "--max-f"]).unwrap(),
        ["--max-fetches"]
    );
    assert_eq!(
        probe(&["netcount", "--generate", "complete-"]).unwrap(),
        ["complete-bash", "complete-zsh", "complete-fish"]
    );
    assert_eq!(probe(&["netcount", "se"]).unwrap(), ["serve"]);
    assert_eq!(probe(&["netcount", "help", ""]).unwrap(), ["serve"]);
    assert!(probe(&["netcount", "-n", ""]).unwrap().is_empty());
    let dir = std::env::temp_dir().join(format!("netcount-complete-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("urls.txt"), "").unwrap();
    let prefix = format!("{}/url", dir.display());
    let files = probe(&["netcount", "--input", &prefix]).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(files, [format!("{}/urls.txt", dir.display())]);
}

#[test]
fn fish_completes_flags_with_descriptions() {
    let script = stdout(&netcount(&["--generate", "complete-fish"]));
    let complete = |line: &str| -> Option<String> {
        let program = format!("{script}\ncomplete -C '{line}'\n");
        let output = run_tool("fish", &["--no-config"], &program)?;
        assert_eq!(stderr(&output), "", "{line}");
        Some(stdout(&output))
    };
    let Some(flags) = complete("netcount --max") else {
        eprintln!("SKIPPED: fish_completes_flags_with_descriptions needs fish");
        return;
    };
    assert_eq!(
        flags,
        "--max-match-bytes\tbytes -e may read past a match to confirm it (default: 65536)\n\
         --max-redirects\tredirects to follow (default: 10)\n"
    );
    let serve = complete("netcount serve --max-f").unwrap();
    assert_eq!(
        serve,
        "--max-fetches\tupstream fetches at once (default: 32)\n"
    );
    let kinds = complete("netcount --generate complete-").unwrap();
    assert_eq!(kinds.lines().count(), 3, "{kinds}");
    assert!(complete("netcount s").unwrap().starts_with("serve\t"));
}

/// Drives an interactive zsh on a pseudo-terminal (its `zpty` module):
/// loads the completion from `$1`, types `$2` and a tab, and prints what
/// the terminal shows, without escapes and backspaces, once `$3` appears
/// (or after ten seconds).
const ZSH_DRIVER: &str = r#"
setopt extendedglob
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -n -w z "$2"$'\t'
out=''
for i in {1..100}; do
  while zpty -rt z chunk; do out+=$chunk; done
  shown=${out//$'\e'\[[0-9;?]#[a-zA-Z]/}
  shown=${shown//?$'\b'/}
  [[ $shown == *"$3"* ]] && break
  sleep 0.1
done
zpty -d z
print -r -- "$shown"
"#;

#[test]
fn zsh_completes_flags_choices_and_commands() {
    let script = stdout(&netcount(&["--generate", "complete-zsh"]));
    assert!(script.starts_with("#compdef netcount\n"));
    let Some(output) = run_tool("zsh", &["-n"], &script) else {
        eprintln!("SKIPPED: zsh_completes_flags_choices_and_commands needs zsh");
        return;
    };
    assert_eq!(
        (stderr(&output).as_str(), output.status.code()),
        ("", Some(0))
    );

    let dir = std::env::temp_dir().join(format!("netcount-zsh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("_netcount"), &script).unwrap();
    std::fs::write(dir.join("driver.zsh"), ZSH_DRIVER).unwrap();
    let shows = |line: &str, expected: &str| {
        let output = Command::new("zsh")
            .arg("-f")
            .arg(dir.join("driver.zsh"))
            .args([dir.to_str().unwrap(), line, expected])
            .output()
            .unwrap();
        let screen = stdout(&output);
        assert!(!screen.contains("_arguments:"), "{line}: {screen:?}");
        assert!(
            screen.contains(expected),
            "{line}: {expected:?} not in {screen:?}"
        );
    };
    shows("netcount --max-r", "netcount --max-redirects=");
    shows("netcount serve --max-f", "netcount serve --max-fetches=");
    shows("netcount --generate complete-", "complete-fish");
    shows("netcount se", "netcount serve ");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- many URLs, JSON, streaming, signals ----------------------------------

/// A child process that is killed if the test ends early.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    /// Waits for the exit, failing the test if it takes longer than `limit`
    /// (a hang, not a performance measure).
    fn exit_code(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.0.try_wait().expect("wait for netcount") {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "netcount did not exit in {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything left on stderr (call after the exit).
    fn stderr(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut err) = self.0.stderr.take() {
            err.read_to_string(&mut text).unwrap();
        }
        text
    }
}

/// Starts netcount with piped stdin, stdout and stderr.
fn spawn(args: &[&str]) -> Running {
    Running(
        Command::new(env!("CARGO_BIN_EXE_netcount"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start netcount"),
    )
}

/// Runs netcount with `input` on stdin.
fn netcount_with_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netcount"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netcount");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("run netcount");
    writer.join().unwrap().expect("write stdin");
    output
}

/// A door the server's handlers wait at until the test opens it.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }

    /// Waits until opened; false if `limit` passed first.
    fn wait(&self, limit: Duration) -> bool {
        let (lock, condvar) = &*self.0;
        let guard = lock.lock().unwrap();
        let (guard, _) = condvar
            .wait_timeout_while(guard, limit, |open| !*open)
            .unwrap();
        *guard
    }
}

/// A body with `n` occurrences of `.NET`.
fn dotnets(n: usize) -> Vec<u8> {
    ok_with_length("x .NET y".repeat(n))
}

#[test]
fn several_urls_print_count_tab_url_in_input_order_even_when_later_ones_finish_first() {
    // The first URL answers only after the two others were served.
    let fast = Arc::new(AtomicUsize::new(0));
    let server = {
        let fast = fast.clone();
        serve_with(move |request| match request.target.as_str() {
            "/first" => {
                wait_until("the two other urls to be served", || {
                    fast.load(Ordering::SeqCst) == 2
                });
                vec![sleep_ms(200), send(dotnets(1))]
            }
            "/second" => {
                fast.fetch_add(1, Ordering::SeqCst);
                vec![send(dotnets(2))]
            }
            _ => {
                fast.fetch_add(1, Ordering::SeqCst);
                vec![send(dotnets(3))]
            }
        })
    };
    let urls = [
        server.url("/first"),
        server.url("/second"),
        server.url("/third"),
    ];
    let output = netcount(&["-j", "3", &urls[0], &urls[1], &urls[2]]);
    assert_eq!(
        stdout(&output),
        format!("1\t{}\n2\t{}\n3\t{}\n6\ttotal\n", urls[0], urls[1], urls[2])
    );
    assert_eq!(
        (stderr(&output).as_str(), output.status.code()),
        ("", Some(0))
    );
}

#[test]
fn a_line_is_printed_as_soon_as_it_and_those_before_it_are_done() {
    // The second URL is held until the test has read the first line.
    let gate = Gate::default();
    let released_by_test = Arc::new(Mutex::new(None));
    let server = {
        let (gate, released) = (gate.clone(), released_by_test.clone());
        serve_with(move |request| {
            if request.target == "/held" {
                *released.lock().unwrap() = Some(gate.wait(Duration::from_secs(10)));
            }
            vec![send(dotnets(1))]
        })
    };
    let (first, held) = (server.url("/first"), server.url("/held"));
    let mut child = spawn(&[&first, &held]);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    gate.open();
    assert_eq!(line, format!("1\t{first}"));
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(rest, [format!("1\t{held}"), "2\ttotal".to_string()]);
    assert_eq!(child.exit_code(Duration::from_secs(20)), Some(0));
    assert_eq!(
        *released_by_test.lock().unwrap(),
        Some(true),
        "the first line must arrive while the second url is still being fetched"
    );
}

#[test]
fn failures_go_to_stderr_in_order_exit_1_and_the_sum_is_of_the_rest() {
    let server = serve_with(|request| match request.target.as_str() {
        "/missing" => vec![send("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")],
        "/cut" => vec![send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n.NET")],
        "/reset" => vec![Step::Reset],
        _ => vec![send(dotnets(4))],
    });
    let urls: Vec<String> = ["/a", "/missing", "/b", "/cut", "/reset", "/c"]
        .iter()
        .map(|path| server.url(path))
        .collect();
    let args: Vec<&str> = urls.iter().map(String::as_str).collect();
    let output = netcount(&args);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        format!(
            "4\t{}\n4\t{}\n4\t{}\n12\ttotal\n",
            urls[0], urls[2], urls[5]
        )
    );
    let err = stderr(&output);
    let failed: Vec<&str> = err
        .lines()
        .map(|line| line.split(": ").nth(1).unwrap_or(line))
        .collect();
    assert_eq!(failed, [&urls[1], &urls[3], &urls[4]], "{err}");
    assert!(err.contains("http status 404"), "{err}");
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn two_hundred_urls_from_stdin_at_32_at_once() {
    let active = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let server = {
        let (active, most) = (active.clone(), most.clone());
        serve_with(move |request| {
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            active.fetch_sub(1, Ordering::SeqCst);
            let k: usize = request.target.trim_start_matches("/n/").parse().unwrap();
            vec![send(dotnets(k % 7))]
        })
    };
    let mut input = String::from("# two hundred urls\n\n");
    let mut expected = String::new();
    let mut sum = 0;
    for k in 0..200 {
        let url = server.url(&format!("/n/{k}"));
        input.push_str(&format!("  {url}\r\n"));
        if k % 50 == 0 {
            input.push_str("# a comment\n   \n");
        }
        expected.push_str(&format!("{}\t{url}\n", k % 7));
        sum += k % 7;
    }
    expected.push_str(&format!("{sum}\ttotal\n"));
    let output = netcount_with_stdin(&["-j", "32", "--input", "-"], &input);
    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), expected);
    assert_eq!(server.requests().len(), 200);
    let most = most.load(Ordering::SeqCst);
    assert!(most <= 32, "{most} fetches at once with -j 32");
}

#[test]
fn concurrency_is_bounded_by_j() {
    let active = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let server = {
        let (active, most) = (active.clone(), most.clone());
        serve_with(move |_| {
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            active.fetch_sub(1, Ordering::SeqCst);
            vec![send(dotnets(1))]
        })
    };
    let url = server.url("/");
    let mut args = vec!["-j", "3"];
    args.extend(std::iter::repeat_n(url.as_str(), 12));
    let output = netcount(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).ends_with("\n12\ttotal\n"));
    let most = most.load(Ordering::SeqCst);
    assert!((2..=3).contains(&most), "{most} fetches at once with -j 3");
}

#[test]
fn json_lines_parse_back_with_every_field_and_escaped_errors() {
    let server = serve_with(|request| match request.target.as_str() {
        "/moved" => vec![send(
            "HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: 0\r\n\r\n",
        )],
        "/quoted" => vec![send(
            "HTTP/1.1 404 Not \"Here\" \\ x\r\nContent-Length: 0\r\n\r\n",
        )],
        _ => vec![send(dotnets(3))],
    });
    let (moved, quoted) = (server.url("/moved"), server.url("/quoted"));
    let bad_line = "http://exa\tmple/\"q\"\\";
    let input = format!("{moved}\n{bad_line}\n");
    let output = netcount_with_stdin(&["--json", &quoted, "--input", "-"], &input);
    assert_eq!(output.status.code(), Some(1));
    let objects: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    assert_eq!(objects.len(), 3);

    // In the order given: the argument, then the --input list.
    let error = &objects[0]["error"];
    assert_eq!(objects[0]["url"], quoted.as_str());
    assert_eq!(error["kind"], "status");
    assert_eq!(error["status"], 404);
    assert_eq!(error["message"], "http status 404 not \"here\" \\ x");

    let report = &objects[1];
    assert_eq!(report["url"], moved.as_str());
    assert_eq!(report["final_url"], server.url("/final").as_str());
    assert_eq!(
        (
            &report["status"],
            &report["count"],
            &report["bytes"],
            &report["redirects"]
        ),
        (&200.into(), &3.into(), &(3 * 8).into(), &1.into())
    );
    assert!(report["elapsed_ms"].is_u64());

    // The tab is shown escaped; quotes and backslashes survive the round trip.
    assert_eq!(objects[2]["url"], "http://exa\\tmple/\"q\"\\");
    assert_eq!(objects[2]["error"]["kind"], "invalid_url");
    let message = objects[2]["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("invalid url "), "{message}");

    // Failures are also described on stderr for people.
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 2, "{err}");
}

#[test]
fn one_url_from_a_list_prints_the_count_alone_and_an_empty_list_a_zero_sum() {
    let server = serve(vec![send(dotnets(5))]);
    let output = netcount_with_stdin(&["--input", "-"], &format!("{}\n", server.url("/")));
    assert_eq!(
        (stdout(&output).as_str(), output.status.code()),
        ("5\n", Some(0))
    );
    let output = netcount_with_stdin(&["--input", "-"], "# nothing\n\n");
    assert_eq!(
        (stdout(&output).as_str(), output.status.code()),
        ("0\ttotal\n", Some(0))
    );
    let output = netcount_with_stdin(&["--json", "--input", "-"], "");
    assert_eq!(
        (stdout(&output).as_str(), output.status.code()),
        ("", Some(0))
    );
}

#[test]
fn a_bad_list_line_fails_alone_while_others_run() {
    let server = serve(vec![send(dotnets(2))]);
    let url = server.url("/");
    let list = std::env::temp_dir().join(format!("netcount-list-{}.txt", std::process::id()));
    std::fs::write(&list, format!("{url}\nftp://files/\n{url}\n")).unwrap();
    let output = netcount(&["--input", list.to_str().unwrap()]);
    std::fs::remove_file(&list).unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), format!("2\t{url}\n2\t{url}\n4\ttotal\n"));
    let err = stderr(&output);
    assert!(
        err.starts_with("netcount: ftp://files/: invalid url"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn more_usage_errors_exit_2_before_anything_is_fetched() {
    let server = serve(vec![send(dotnets(1))]);
    let good = server.url("/");
    let missing = std::env::temp_dir().join("netcount-no-such-list.txt");
    for args in [
        &["-j", "0", &good][..],
        &["-j", "-3", &good],
        &["--concurrency", "lots", &good],
        &[&good, "-j"],
        &[&good, "--input"],
        &[&good, "--json=yes"],
        &["--input", missing.to_str().unwrap(), &good],
        &["--timeout", "0", &good],
        &["--connect-timeout", "-2", &good],
        &["-n", "", &good],
        &[&good, "ftp://files/"],
        &[&good, "http://"],
        &[&good, "not a url"],
        &[&good, "--frobnicate"],
    ] {
        let output = netcount(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 2, "{args:?}: {err}");
        assert!(err.starts_with("netcount: "), "{args:?}: {err}");
        assert!(err.ends_with("Try 'netcount --help' for more information.\n"));
        assert_eq!(stdout(&output), "", "{args:?}");
    }
    assert!(
        server.requests().is_empty(),
        "a usage error fetched something"
    );
}

#[test]
fn a_closed_stdout_ends_quietly() {
    // Like `netcount URL... | head -1`: the second line meets a closed pipe.
    let gate = Gate::default();
    let server = {
        let gate = gate.clone();
        serve_with(move |request| {
            if request.target != "/0" {
                gate.wait(Duration::from_secs(10));
            }
            vec![send(dotnets(1))]
        })
    };
    let urls: Vec<String> = (0..50).map(|k| server.url(&format!("/{k}"))).collect();
    let mut args = vec!["-j", "4"];
    args.extend(urls.iter().map(String::as_str));
    let mut child = spawn(&args);
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, format!("1\t{}\n", urls[0]));
    drop(stdout);
    gate.open();
    assert_eq!(child.exit_code(Duration::from_secs(20)), Some(0));
    assert_eq!(child.stderr(), "");
    assert!(
        server.requests().len() < 50,
        "kept fetching after the output was closed"
    );
}

/// Sends `signal` to a run with two fetches in flight; it must end at once
/// with `code`, printing nothing, and close both connections.
fn a_signal_stops_the_fetches(signal: &str, code: i32) {
    let name = format!("a_signal_stops_the_fetches({signal})");
    if !cfg!(unix) {
        eprintln!("SKIPPED: {name} needs unix signals and `kill`");
        return;
    }
    // A server that reads each request, answers nothing, and notes when the
    // client closes the connection.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (opened, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    {
        let (opened, closed) = (opened.clone(), closed.clone());
        std::thread::spawn(move || {
            for socket in listener.incoming().take(2) {
                let mut socket = socket.unwrap();
                let (opened, closed) = (opened.clone(), closed.clone());
                std::thread::spawn(move || {
                    opened.fetch_add(1, Ordering::SeqCst);
                    let mut buf = [0; 1024];
                    while matches!(socket.read(&mut buf), Ok(n) if n > 0) {}
                    closed.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
    }
    let (a, b) = (format!("http://{addr}/a"), format!("http://{addr}/b"));
    let mut child = spawn(&[&a, &b]);
    wait_until("both fetches to start", || {
        opened.load(Ordering::SeqCst) == 2
    });
    let pid = child.0.id().to_string();
    match Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
    {
        Ok(status) => assert!(status.success(), "kill -{signal} {pid}: {status}"),
        Err(_) => {
            eprintln!("SKIPPED: {name} needs `kill` (procps)");
            return;
        }
    }
    assert_eq!(child.exit_code(Duration::from_secs(5)), Some(code));
    assert_eq!(child.stderr(), "");
    let mut out = String::new();
    child
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, "");
    wait_until("both connections to close", || {
        closed.load(Ordering::SeqCst) == 2
    });
}

#[test]
fn ctrl_c_ends_promptly_with_130() {
    a_signal_stops_the_fetches("INT", 130);
}

#[test]
fn sigterm_ends_promptly_with_143() {
    a_signal_stops_the_fetches("TERM", 143);
}

/// Runs `netcount args` under a pseudo-terminal with `script` (util-linux)
/// and `TERM=xterm`, returning everything written to the terminal; `None`
/// if `script` is missing or not util-linux's (its `-c` and `-e` are
/// Linux-only).
fn under_a_terminal(args: &[&str]) -> Option<String> {
    under_a_terminal_named("xterm", args)
}

/// [`under_a_terminal`] with `TERM` set to `term`.
fn under_a_terminal_named(term: &str, args: &[&str]) -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let mut command_line = String::from(env!("CARGO_BIN_EXE_netcount"));
    for arg in args {
        command_line.push_str(&format!(" '{arg}'"));
    }
    let output = Command::new("script")
        .args(["-q", "-e", "-c", &command_line, "/dev/null"])
        .env("TERM", term)
        .stdin(Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.code() == Some(0) => {
            Some(String::from_utf8_lossy(&output.stdout).into_owned())
        }
        Ok(output) => panic!("script failed: {output:?}"),
        Err(_) => None,
    }
}

#[test]
fn progress_is_drawn_on_a_terminal_and_cleared() {
    let server = serve(vec![send(dotnets(2))]);
    let (a, b) = (server.url("/a"), server.url("/b"));
    let Some(screen) = under_a_terminal(&[&a, &b]) else {
        eprintln!(
            "SKIPPED: progress_is_drawn_on_a_terminal_and_cleared needs Linux and `script` (util-linux; Debian: bsdutils)"
        );
        return;
    };
    let erase = "\r\x1b[2K";
    assert!(
        screen.contains(&format!("{erase}0/2 URLs, 0 B, 0 B/s")),
        "{screen:?}"
    );
    // Every line drawn is erased before anything else is written, and the
    // last thing on screen is the output, not the progress line.
    for (i, drawn) in screen.match_indices(" URLs, ") {
        let rest = &screen[i + drawn.len()..];
        let next_erase = rest.find(erase).expect("the progress line is cleared");
        assert!(!rest[..next_erase].contains('\n'), "{screen:?}");
    }
    assert!(screen.ends_with("4\ttotal\r\n"), "{screen:?}");
    let text = screen.replace(erase, "");
    assert!(
        text.contains(&format!("2\t{a}\r\n2\t{b}\r\n")),
        "{screen:?}"
    );

    // -q: nothing but the output.
    let quiet = under_a_terminal(&["-q", &a, &b]).unwrap();
    assert_eq!(quiet, format!("2\t{a}\r\n2\t{b}\r\n4\ttotal\r\n"));
}

#[test]
fn progress_shows_bytes_while_a_download_runs() {
    // Half the body, a pause the progress line must show, then the rest.
    let body = vec![b'x'; 200_000];
    let mut steps = vec![send(format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ))];
    steps.push(send(&body[..100_000]));
    steps.push(sleep_ms(1000));
    steps.push(send(&body[100_000..]));
    let server = serve(steps);
    let Some(screen) = under_a_terminal(&[&server.url("/")]) else {
        eprintln!(
            "SKIPPED: progress_shows_bytes_while_a_download_runs needs Linux and `script` (util-linux; Debian: bsdutils)"
        );
        return;
    };
    assert!(
        screen.replace("\r\x1b[2K", "").contains("0\r\n"),
        "{screen:?}"
    );
    // While the one URL is not done, the line shows its bytes so far.
    let during: Vec<&str> = screen
        .split("\r\x1b[2K")
        .filter(|line| line.starts_with("0/1 URLs, ") && !line.starts_with("0/1 URLs, 0 B,"))
        .collect();
    assert!(
        during.iter().any(|line| line.contains(" KiB, ")),
        "no progress during the download: {screen:?}"
    );
}

#[test]
fn a_dumb_terminal_gets_plain_text() {
    let server = serve(vec![send(dotnets(2))]);
    let (a, b) = (server.url("/a"), server.url("/b"));
    let Some(screen) = under_a_terminal_named("dumb", &[&a, &b]) else {
        eprintln!(
            "SKIPPED: a_dumb_terminal_gets_plain_text needs Linux and `script` (util-linux; Debian: bsdutils)"
        );
        return;
    };
    assert!(!screen.contains('\x1b'), "{screen:?}");
    // Drawn after a carriage return, and blanked with spaces (at least as
    // many as the line had) before the output.
    let line = "\r0/2 URLs, 0 B, 0 B/s";
    assert!(screen.starts_with(line), "{screen:?}");
    let before = &screen[..screen.find(&format!("2\t{a}\r\n")).unwrap()];
    let blanked = before
        .strip_suffix('\r')
        .unwrap_or_else(|| panic!("{screen:?}"));
    let spaces = blanked.len() - blanked.trim_end_matches(' ').len();
    assert!(spaces >= line.len() - 1, "{screen:?}");
    assert!(blanked.trim_end_matches(' ').ends_with('\r'), "{screen:?}");
    assert!(screen.ends_with("4\ttotal\r\n"), "{screen:?}");
}

#[test]
fn urls_and_lists_print_in_the_order_given() {
    let server = serve_with(|request| {
        let k: usize = request.target.trim_start_matches('/').parse().unwrap();
        vec![send(dotnets(k))]
    });
    let url = |k: usize| server.url(&format!("/{k}"));
    // A byte order mark, comments after URLs, and a fragment that is not
    // a comment.
    let list = format!("\u{feff}{}   # two\n{}#frag\t# three\n", url(2), url(3));
    let output = netcount_with_stdin(&[&url(1), "--input", "-", &url(4)], &list);
    assert_eq!(stderr(&output), "");
    assert_eq!(
        stdout(&output),
        format!(
            "1\t{}\n2\t{}\n3\t{}\n4\t{}\n10\ttotal\n",
            url(1),
            url(2),
            url(3),
            url(4)
        )
    );
}

/// Runs `netcount args` under `sh` after `ulimit_args` (e.g. `-n 64`).
fn netcount_under_ulimit(ulimit_args: &str, args: &[String]) -> Option<Output> {
    if !cfg!(unix) {
        return None;
    }
    let script = format!("ulimit {ulimit_args} && exec \"$0\" \"$@\"");
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_netcount"))
        .args(args)
        .output()
        .ok()
}

#[test]
fn j_fits_the_open_file_limit() {
    // 150 slow URLs at -j 1000 need about 330 files at once.
    let server = serve_with(|_| vec![sleep_ms(30), send(dotnets(1))]);
    let mut args = vec!["-j".to_string(), "1000".to_string()];
    args.extend((0..150).map(|k| server.url(&format!("/{k}"))));
    let expected_end = "\n150\ttotal\n";

    // A low soft limit under a high hard one is raised, silently.
    let Some(output) = netcount_under_ulimit("-S -n 64", &args) else {
        eprintln!("SKIPPED: j_fits_the_open_file_limit needs unix and `sh`");
        return;
    };
    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).ends_with(expected_end));

    // A low hard limit lowers -j, with one warning.
    let output = netcount_under_ulimit("-n 64", &args).unwrap();
    assert_eq!(
        stderr(&output),
        "netcount: warning: 150 fetches at once need about 332 open files, but the limit \
         is 64; fetching 16 at once\n"
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).ends_with(expected_end));
}

#[test]
fn serve_listens_on_localhost_and_says_so_with_one_prefix() {
    // Killed when dropped, even if an assertion fails first.
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_netcount"))
            .args(["serve", "--listen", "localhost:0"])
            .stderr(Stdio::piped())
            .spawn()
            .expect("run netcount serve"),
    );
    let mut err = BufReader::new(child.0.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("netcount: serving on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap();
    assert!(addr.ip().is_loopback(), "{addr}");
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    drop(child);

    // Usage errors carry the same prefix, and point at serve's help.
    let output = netcount(&["serve", "--listen", "nowhere"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "netcount: --listen expects HOST:PORT, [IPv6]:PORT or :PORT, got \"nowhere\": \
         the port goes after a colon, as in :8080\n\
         Try 'netcount serve --help' for more information.\n"
    );
}
