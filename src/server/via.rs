//! The loop guard: every upstream request says `Via: 1.1 netcount-<token>`,
//! with a token drawn once per process, so a request that comes back to
//! this process (directly, or through other servers that keep `Via`) is
//! recognised and refused with 508 before anything is fetched.
//!
//! The token is not a secret (every upstream sees it); it only has to
//! differ between processes, so that two servers can fetch from each
//! other.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::time::SystemTime;

/// This process's pseudonym in `Via`: `netcount-` and 16 hex digits.
///
/// The digits come from the standard library's per-process random hash
/// keys, mixed with the time and the process id.
pub(crate) fn pseudonym() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        if let Ok(since) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
            hasher.write_u128(since.as_nanos());
        }
        format!("netcount-{:016x}", hasher.finish())
    })
}

/// The `Via` value of an upstream request: `1.1 netcount-<token>`, after
/// the entries of the request being answered (`received`), if any, so a
/// loop through other servers that keep `Via` is seen too.
pub(crate) fn upstream_via(received: &[String]) -> String {
    let ours = format!("1.1 {}", pseudonym());
    if received.is_empty() {
        ours
    } else {
        format!("{}, {ours}", received.join(", "))
    }
}

/// Whether any `Via` value names this process as a hop (`received-by`
/// equal to our pseudonym, compared case-insensitively).
pub(crate) fn names_us(via: &[String]) -> bool {
    let ours = pseudonym();
    via.iter()
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.split_whitespace().nth(1))
        .any(|received_by| received_by.eq_ignore_ascii_case(ours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pseudonym_is_stable_and_shaped() {
        let name = pseudonym();
        assert_eq!(name, pseudonym());
        let digits = name.strip_prefix("netcount-").unwrap();
        assert_eq!(digits.len(), 16);
        assert!(digits.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn our_hop_is_found_anywhere_in_the_chain() {
        let ours = format!("1.1 {}", pseudonym());
        assert!(names_us(std::slice::from_ref(&ours)));
        assert!(names_us(&[
            "1.0 a, 1.1 b".into(),
            format!(" {ours} (comment)")
        ]));
        assert!(names_us(&[upstream_via(&["1.1 other".into()])]));
        assert!(!names_us(&["1.1 netcount-0000000000000000".into()]));
        assert!(!names_us(&[pseudonym().to_string()]));
        assert!(!names_us(&[]));
        assert_eq!(upstream_via(&[]), ours);
        assert_eq!(upstream_via(&["1.0 a".into()]), format!("1.0 a, {ours}"));
    }
}
