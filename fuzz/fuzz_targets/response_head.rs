//! Arbitrary bytes as a whole reply: response head parser, framing decision
//! and body, under three read splits that must all agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcount_fuzz::{check_reply, Input};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let splits = input.splits();
    let _ = check_reply(input.rest, &splits);
});
