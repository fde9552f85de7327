//! The server's request reader: arbitrary bytes as everything a client
//! sends on one connection, read as pipelined requests under several read
//! splits that must agree. Every request must be one the routes can act on
//! safely; every refusal a well-formed 4xx/5xx answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcount_fuzz::{check_client_bytes, Input};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let small_limits = input.byte();
    let splits = input.splits();
    let _ = check_client_bytes(input.rest, &splits, small_limits & 1 != 0);
});
