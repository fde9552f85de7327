//! The chunked decoder. Mode 0: a fixed chunked head followed by arbitrary
//! bytes, under several read splits that must agree. Mode 1: a valid chunked
//! encoding built from the input (random sizes, extensions, trailers, hex
//! case, leading zeros) must decode to exactly the payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcount_fuzz::{check_reply, Input};

const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mode = input.byte();
    let splits = input.splits();
    let mut reply = HEAD.to_vec();
    if mode & 1 == 0 {
        reply.extend_from_slice(input.rest);
        let _ = check_reply(&reply, &splits);
        return;
    }
    // Build a valid encoding of a payload taken from the input.
    let mut payload = Vec::new();
    while !input.rest.is_empty() {
        let size = usize::from(input.byte());
        let style = input.byte();
        let chunk = input.bytes(size);
        if chunk.is_empty() {
            break;
        }
        let zeros = "0".repeat(usize::from(style & 3));
        let size_text = if style & 4 == 0 {
            format!("{zeros}{:x}", chunk.len())
        } else {
            format!("{zeros}{:X}", chunk.len())
        };
        reply.extend_from_slice(size_text.as_bytes());
        if style & 8 != 0 {
            reply.extend_from_slice(b";name=value");
        }
        if style & 16 != 0 {
            reply.extend_from_slice(b" ; q=\"quoted;\"");
        }
        reply.extend_from_slice(b"\r\n");
        reply.extend_from_slice(chunk);
        reply.extend_from_slice(b"\r\n");
        payload.extend_from_slice(chunk);
    }
    reply.extend_from_slice(b"0\r\n");
    if mode & 2 != 0 {
        reply.extend_from_slice(b"Trailer-Field: x\r\nOther: y z\r\n");
    }
    reply.extend_from_slice(b"\r\n");
    match check_reply(&reply, &splits) {
        Ok(got) => assert_eq!(got, payload, "valid chunked body decoded wrongly"),
        Err(e) => panic!("valid chunked body refused: {e:?}"),
    }
});
