//! Reference resolution: dot segments, merge, and the examples of RFC 3986 §5.4.

use super::*;
use crate::url::join::{merge, remove_dot_segments};

// ----- remove_dot_segments and merge -----

#[test]
fn remove_dot_segments_follows_rfc_3986_examples() {
    // The two worked examples of RFC 3986 §5.2.4.
    assert_eq!(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
    assert_eq!(remove_dot_segments("mid/content=5/../6"), "mid/6");
    assert_eq!(remove_dot_segments(""), "");
    assert_eq!(remove_dot_segments("/"), "/");
    assert_eq!(remove_dot_segments("."), "");
    assert_eq!(remove_dot_segments(".."), "");
    assert_eq!(remove_dot_segments("../a"), "a");
    assert_eq!(remove_dot_segments("/../a"), "/a");
    assert_eq!(remove_dot_segments("/a/b/.."), "/a/");
    assert_eq!(remove_dot_segments("//../x"), "/x");
    assert_eq!(remove_dot_segments("/ü/../é"), "/é");
}

#[test]
fn merge_replaces_the_last_segment() {
    assert_eq!(merge("/b/c/d;p", "g"), "/b/c/g");
    assert_eq!(merge("/", "g"), "/g");
    assert_eq!(merge("/b/", "g"), "/b/g");
    assert_eq!(merge("", "g"), "/g");
}

// ----- join -----

/// Compares `base.join(reference)` with an expected result from the RFC.
///
/// The RFC's results are turned into our normalized form first: the
/// fragment is removed (we never keep one) and an empty path becomes "/"
/// (the same URL for http, RFC 3986 §6.2.3), so "http://g" is "http://g/".
fn assert_join(base: &Url, reference: &str, rfc_result: &str) {
    let mut expected = rfc_result.split('#').next().unwrap_or("").to_owned();
    if expected.matches('/').count() == 2 {
        expected.push('/');
    }
    match base.join(reference) {
        Ok(joined) => {
            assert_eq!(joined.to_string(), expected, "reference {reference:?}");
            assert_eq!(joined, url(&expected), "reference {reference:?}");
        }
        Err(error) => panic!("reference {reference:?} failed: {error:?}"),
    }
}

#[test]
fn join_rfc_3986_normal_examples() {
    // RFC 3986 §5.4.1. "g:h" → "g:h" is left out: see join_refuses_rfc_results_that_are_not_http.
    let base = url(RFC_BASE);
    for (reference, result) in [
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        ("g#s", "http://a/b/c/g#s"),
        ("g?y#s", "http://a/b/c/g?y#s"),
        (";x", "http://a/b/c/;x"),
        ("g;x", "http://a/b/c/g;x"),
        ("g;x?y#s", "http://a/b/c/g;x?y#s"),
        ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"),
        ("./", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../..", "http://a/"),
        ("../../", "http://a/"),
        ("../../g", "http://a/g"),
    ] {
        assert_join(&base, reference, result);
    }
}

#[test]
fn join_rfc_3986_abnormal_examples() {
    // RFC 3986 §5.4.2. "http:g" is left out: see join_refuses_rfc_results_that_are_not_http.
    let base = url(RFC_BASE);
    for (reference, result) in [
        ("../../../g", "http://a/g"),
        ("../../../../g", "http://a/g"),
        ("/./g", "http://a/g"),
        ("/../g", "http://a/g"),
        ("g.", "http://a/b/c/g."),
        (".g", "http://a/b/c/.g"),
        ("g..", "http://a/b/c/g.."),
        ("..g", "http://a/b/c/..g"),
        ("./../g", "http://a/b/g"),
        ("./g/.", "http://a/b/c/g/"),
        ("g/./h", "http://a/b/c/g/h"),
        ("g/../h", "http://a/b/c/h"),
        ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
        ("g;x=1/../y", "http://a/b/c/y"),
        ("g?y/./x", "http://a/b/c/g?y/./x"),
        ("g?y/../x", "http://a/b/c/g?y/../x"),
        ("g#s/./x", "http://a/b/c/g#s/./x"),
        ("g#s/../x", "http://a/b/c/g#s/../x"),
    ] {
        assert_join(&base, reference, result);
    }
}

#[test]
fn join_refuses_rfc_results_that_are_not_http() {
    let base = url(RFC_BASE);
    // §5.4.1: "g:h" resolves to "g:h", a URL with scheme "g".
    let reason = reason_of(base.join("g:h"), "g:h");
    assert!(reason.contains("unsupported scheme \"g\""), "{reason}");
    // §5.4.2: in strict mode "http:g" resolves to "http:g": scheme
    // "http" with no authority (no "//host"), which we cannot fetch.
    // (Only non-strict parsers read it as the relative reference "g".)
    let reason = reason_of(base.join("http:g"), "http:g");
    assert!(reason.contains("missing \"//\""), "{reason}");
}

#[test]
fn join_with_a_scheme_parses_an_absolute_url() {
    let base = url("https://a/b/c");
    assert_eq!(base.join("HTTPS://X/y").unwrap().to_string(), "https://x/y");
    assert_eq!(
        base.join("http://x:8080").unwrap().to_string(),
        "http://x:8080/"
    );
    let reason = reason_of(base.join("ftp://x/"), "ftp://x/");
    assert!(reason.contains("unsupported scheme \"ftp\""), "{reason}");
}

#[test]
fn join_network_path_takes_the_base_scheme() {
    let base = url("https://a:8443/b/c?q");
    let joined = base.join("//X.example/p/../q?r#s").unwrap();
    assert_eq!(joined.to_string(), "https://x.example/q?r");
    assert_eq!(joined.port(), 443);
    assert_eq!(
        base.join("//[::1]:9/").unwrap().to_string(),
        "https://[::1]:9/"
    );
    assert!(base.join("//").is_err());
    assert!(base.join("///x").is_err());
    // A network-path reference brings its own credentials (RFC 3986 §5.2.2);
    // a relative one keeps the base's.
    assert!(base.join("//u@h/").unwrap().has_credentials());
    let with = url("https://u:p@a/b/c");
    assert_eq!(with.join("d").unwrap().credentials(), with.credentials());
    assert!(!with.join("//a/d").unwrap().has_credentials());
    assert!(base.join("//h:0/").is_err());
}

#[test]
fn join_keeps_the_base_authority() {
    let base = url("http://[::1]:8080/dir/file?q");
    assert_eq!(
        base.join("other").unwrap().to_string(),
        "http://[::1]:8080/dir/other"
    );
    assert_eq!(base.join("/").unwrap().authority(), "[::1]:8080");
    assert_eq!(
        base.join("?").unwrap().to_string(),
        "http://[::1]:8080/dir/file?"
    );
    assert_eq!(base.join("#x").unwrap(), base);
}

#[test]
fn join_is_as_strict_as_parse() {
    let base = url("http://a/b/c");
    for (reference, expected) in [
        ("/new location", "contains a space at byte 4"),
        ("/x\r\nSet-Cookie: a=b", "control character 0x0d at byte 2"),
        (" /x", "leading whitespace"),
        ("/x\n", "trailing whitespace"),
        ("a\\b", "backslash"),
        ("//a b/", "contains a space"),
        ("mailto:x@y", "unsupported scheme"),
    ] {
        let reason = reason_of(base.join(reference), reference);
        assert!(reason.contains(expected), "{reference:?}: {reason}");
    }
    let too_long = "x".repeat(MAX_URL_LEN + 1);
    assert!(base.join(&too_long).is_err());
}

#[test]
fn join_error_names_the_reference() {
    let base = url("http://a/");
    match base.join("ftp://x/") {
        Err(Error::InvalidUrl { url, .. }) => assert_eq!(url, "ftp://x/"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn join_encodes_non_ascii() {
    let base = url("http://a/b/c");
    assert_eq!(
        base.join("ü?é#ö").unwrap().request_target(),
        "/b/%C3%BC?%C3%A9"
    );
    assert_eq!(base.join("?ü").unwrap().request_target(), "/b/c?%C3%BC");
}

#[test]
fn join_refuses_results_that_grow_too_long() {
    let half = "x".repeat(MAX_URL_LEN / 2 + 10);
    let base = url(&format!("http://a/{half}/"));
    assert!(base.join(&half).is_err());
    assert!(base.join("y").is_ok());
}
