//! The query-string decoder. Mode 0: arbitrary text must decode or be
//! refused without panicking, each decoded side no longer than its text.
//! Mode 1: pairs taken from the input, encoded by an independent encoder
//! (random choice of `%XX` / `+` / literal, hex case), must decode back to
//! exactly those pairs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcount::fuzzing::{decode_query, parse_query};
use netcount_fuzz::{encode_component, Input};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mode = input.byte();
    if mode & 1 == 0 {
        let text = String::from_utf8_lossy(input.rest);
        if let Ok(pairs) = parse_query(&text) {
            let pieces = text.split('&').filter(|p| !p.is_empty()).count();
            assert_eq!(pairs.len(), pieces, "one pair per non-empty piece");
            for (name, value) in &pairs {
                assert!(name.len() + value.len() <= text.len());
            }
        }
        if let Ok(bytes) = decode_query(&text) {
            assert!(bytes.len() <= text.len());
            // Without '%' and '+', decoding is the identity.
            if !text.contains(['%', '+']) {
                assert_eq!(bytes, text.as_bytes());
            }
        }
        return;
    }
    // Build pairs and their encoding.
    let mut pairs = Vec::new();
    let mut encoded = String::new();
    while !input.rest.is_empty() {
        let name_len = usize::from(input.byte() % 16) + 1;
        let value_len = usize::from(input.byte() % 64);
        let style = input.byte();
        let name = input.bytes(name_len).to_vec();
        let value = input.bytes(value_len).to_vec();
        if !encoded.is_empty() {
            encoded.push('&');
            // Empty pieces are skipped.
            if style & 1 != 0 {
                encoded.push('&');
            }
        }
        encoded.push_str(&encode_component(&name, style));
        encoded.push('=');
        encoded.push_str(&encode_component(&value, style >> 1));
        pairs.push((name, value));
    }
    assert_eq!(
        parse_query(&encoded).expect("a valid encoding is accepted"),
        pairs,
        "{encoded:?}"
    );
});
