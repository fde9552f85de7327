//! Query strings: `application/x-www-form-urlencoded` decoding.
//!
//! `a=1&b=x+y%21` is split at `&`, each pair at its first `=`, and both
//! sides are decoded: `+` is a space and `%XX` is the byte `XX`. A `%` not
//! followed by two hex digits is an error, not something to guess about.
//!
//! Public (through [`fuzzing`](crate::fuzzing)) only for the fuzzers.

/// One decoded `name=value` pair; both sides are raw bytes (the value may
/// be any byte string, e.g. a needle).
pub type Pair = (Vec<u8>, Vec<u8>);

/// Splits and decodes a query string (without the `?`). Empty pieces
/// (`a=1&&b=2`) are skipped; a piece without `=` has an empty value.
///
/// # Example
///
/// ```
/// use netcount::fuzzing::parse_query as parse;
///
/// let pairs = parse("url=http%3A%2F%2Fexample.org%2F&needle=a+b&flag").unwrap();
/// assert_eq!(pairs[0], (b"url".to_vec(), b"http://example.org/".to_vec()));
/// assert_eq!(pairs[1], (b"needle".to_vec(), b"a b".to_vec()));
/// assert_eq!(pairs[2], (b"flag".to_vec(), b"".to_vec()));
/// assert!(parse("bad=%2").is_err());
/// ```
pub fn parse(query: &str) -> Result<Vec<Pair>, String> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

/// Decodes one component: `+` → space, `%XX` → the byte `XX`.
///
/// # Example
///
/// ```
/// use netcount::fuzzing::decode_query as decode;
///
/// assert_eq!(decode("%2ENET+%c3%a9").unwrap(), ".NET é".as_bytes());
/// assert_eq!(decode("100%").unwrap_err(), "invalid percent-encoding in \"100%\"");
/// ```
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|pair| {
                    let pair = std::str::from_utf8(pair).ok()?;
                    u8::from_str_radix(pair, 16).ok().filter(|_| {
                        // from_str_radix accepts a leading sign; we do not.
                        pair.bytes().all(|b| b.is_ascii_hexdigit())
                    })
                });
                match hex {
                    Some(byte) => out.push(byte),
                    None => return Err(format!("invalid percent-encoding in {text:?}")),
                }
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_byte_and_refuses_broken_escapes() {
        for byte in 0..=255u8 {
            assert_eq!(decode(&format!("%{byte:02X}")).unwrap(), [byte]);
            assert_eq!(decode(&format!("%{byte:02x}")).unwrap(), [byte]);
        }
        for bad in ["%", "%a", "%g0", "%+1", "%-1", "a%2"] {
            assert!(decode(bad).is_err(), "{bad}");
        }
        assert_eq!(decode("a%2Bb+c").unwrap(), b"a+b c");
    }

    #[test]
    fn splits_pairs() {
        assert_eq!(parse("").unwrap(), Vec::<Pair>::new());
        let pairs = parse("a=1&&b==2&c").unwrap();
        assert_eq!(
            pairs,
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"=2".to_vec()),
                (b"c".to_vec(), b"".to_vec()),
            ]
        );
    }
}
