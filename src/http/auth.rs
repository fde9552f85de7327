//! `Basic` credentials (RFC 7617): `Basic base64(user ":" password)`, the
//! value of `Authorization` (to a server) and `Proxy-Authorization` (to a
//! proxy).
//!
//! The base64 encoder is written here rather than taken from a crate: it is
//! the only use, a dozen lines, encode-only, and tested against the vectors
//! of RFC 4648 §10.

use std::fmt;

/// A header value that carries a credential: kept as is, shown by `Debug`
/// as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The base64 alphabet (RFC 4648 §4).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The header value for `user` and `password`: `Basic dXNlcjpwYXNz`.
pub(crate) fn basic(user: &[u8], password: &[u8]) -> String {
    let mut pair = Vec::with_capacity(user.len() + 1 + password.len());
    pair.extend_from_slice(user);
    pair.push(b':');
    pair.extend_from_slice(password);
    format!("Basic {}", base64(&pair))
}

/// Standard base64 with `=` padding.
fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        // Up to three bytes make 24 bits, read as four 6-bit digits.
        let b = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let bits = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        // n bytes fill n + 1 digits; the rest of the four are padding.
        for i in 0..4 {
            if i <= group.len() {
                let digit = (bits >> (18 - 6 * i)) & 0x3f;
                out.push(char::from(ALPHABET[digit as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn base64_uses_every_digit_and_any_byte() {
        // 0x00 0x10 0x83 ... covers each 6-bit value once, in order.
        let bytes: Vec<u8> = (0..16u32)
            .flat_map(|i| {
                let bits = (4 * i) << 18 | (4 * i + 1) << 12 | (4 * i + 2) << 6 | (4 * i + 3);
                [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]
            })
            .collect();
        assert_eq!(base64(&bytes).as_bytes(), &ALPHABET[..]);
        assert_eq!(base64(&[0xff, 0xfe]), "//4=");
    }

    #[test]
    fn basic_credentials_as_in_rfc_7617() {
        // RFC 7617 §2's example.
        assert_eq!(
            basic(b"Aladdin", b"open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic(b"user", b""), "Basic dXNlcjo=");
        // UTF-8 goes as its bytes (RFC 7617 §2.1).
        assert_eq!(
            basic("test".as_bytes(), "123£".as_bytes()),
            "Basic dGVzdDoxMjPCow=="
        );
    }
}
