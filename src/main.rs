//! The `netcount` command: parse arguments, run, decide the exit code.

#![forbid(unsafe_code)]

mod cli;

fn main() {
    std::process::exit(cli::main());
}
