//! The grammar of header field values (RFC 9110 §5), shared by the client's
//! and the server's parsers so that both read a field the same way.
//!
//! | rule | where it is used |
//! | --- | --- |
//! | [`is_token`]: `1*tchar` | field names, request methods |
//! | [`list`]: `#element`, comma-separated | `Transfer-Encoding`, `Content-Encoding`, `Content-Length`, `Connection` |
//! | [`content_length`]: `1*DIGIT` | `Content-Length` |
//!
//! Each function only reads the grammar; what a violation means (a protocol
//! error for the client, a 400 for the server) is the caller's decision.

/// Whether `b` may appear in a token (`tchar`, RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `bytes` is a token: one or more `tchar`s.
pub(crate) fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_tchar(b))
}

/// The elements of a comma-separated field value, each without surrounding
/// whitespace. Empty elements are kept (as empty slices): some callers
/// ignore them, as RFC 9110 §5.6.1 allows, while others must refuse them.
pub(crate) fn list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(<[u8]>::trim_ascii)
}

/// Whether any of `values` (the values of one field, possibly repeated)
/// lists `token`, compared case-insensitively.
// Only the server reads such a field (`Connection`) so far.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) fn lists_token<'a>(values: impl IntoIterator<Item = &'a [u8]>, token: &str) -> bool {
    values
        .into_iter()
        .any(|value| list(value).any(|item| item.eq_ignore_ascii_case(token.as_bytes())))
}

/// Why a `Content-Length` value is not a length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadLength {
    /// Not `1*DIGIT`: empty, a sign, a space, any other byte.
    NotDigits,
    /// Digits, but more than a `u64` holds.
    TooLarge,
}

/// Parses one `Content-Length` value: ASCII digits only (no sign, no
/// whitespace inside), without overflow.
pub(crate) fn content_length(value: &[u8]) -> Result<u64, BadLength> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(BadLength::NotDigits);
    }
    value.iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .ok_or(BadLength::TooLarge)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_one_or_more_tchars() {
        for good in [
            &b"GET"[..],
            b"Content-Length",
            b"x",
            b"!#$%&'*+-.^_`|~09azAZ",
        ] {
            assert!(is_token(good), "{good:?}");
        }
        for bad in [
            &b""[..],
            b"a b",
            b"G(T",
            b"a:",
            b"\xc3\xa9",
            b"a\0",
            b"\"q\"",
        ] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn lists_split_on_commas_and_keep_empty_elements() {
        let items: Vec<&[u8]> = list(b" gzip ,chunked,, \t").collect();
        assert_eq!(items, [&b"gzip"[..], b"chunked", b"", b""]);
        assert_eq!(list(b"").collect::<Vec<_>>(), [&b""[..]]);
    }

    #[test]
    fn a_token_is_found_in_any_value_in_any_case() {
        let values = [&b"keep-alive"[..], b"x, Close"];
        assert!(lists_token(values, "close"));
        assert!(!lists_token(values, "clos"));
        assert!(!lists_token([&b"closed"[..]], "close"));
        assert!(!lists_token([], "close"));
    }

    #[test]
    fn content_lengths_are_digits_without_overflow() {
        assert_eq!(content_length(b"0"), Ok(0));
        assert_eq!(content_length(b"007"), Ok(7));
        assert_eq!(content_length(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            content_length(b"18446744073709551616"),
            Err(BadLength::TooLarge)
        );
        for bad in [&b""[..], b"+5", b"-5", b"0x5", b"5 5", b" 5", b"5,5"] {
            assert_eq!(content_length(bad), Err(BadLength::NotDigits), "{bad:?}");
        }
    }
}
