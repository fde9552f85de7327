//! Parsing: scheme, host, port, path, query, fragment, characters and length.

use super::*;

// ----- scheme -----

#[test]
fn scheme_is_recognized_in_any_case() {
    for (input, scheme) in [
        ("http://a/", Scheme::Http),
        ("HTTP://a/", Scheme::Http),
        ("hTtP://a/", Scheme::Http),
        ("https://a/", Scheme::Https),
        ("HTTPS://a/", Scheme::Https),
    ] {
        assert_eq!(url(input).scheme(), scheme, "{input}");
    }
    assert_eq!(url("HTTPS://a/").to_string(), "https://a/");
}

#[test]
fn scheme_names_and_default_ports() {
    assert_eq!(Scheme::Http.as_str(), "http");
    assert_eq!(Scheme::Https.as_str(), "https");
    assert_eq!(Scheme::Http.default_port(), 80);
    assert_eq!(Scheme::Https.default_port(), 443);
}

#[test]
fn other_schemes_are_refused_by_name() {
    assert_refused(
        "ftp://example.com/",
        "unsupported scheme \"ftp\" (only http and https)",
    );
    assert_refused("FTP://example.com/", "unsupported scheme \"FTP\"");
    assert_refused("file:///etc/passwd", "unsupported scheme \"file\"");
    assert_refused("mailto:a@example.com", "unsupported scheme \"mailto\"");
    assert_refused("httpx://a/", "unsupported scheme \"httpx\"");
    assert_refused("g:h", "unsupported scheme \"g\"");
}

#[test]
fn missing_scheme_is_refused() {
    for input in [
        "example.com",
        "example.com/path",
        "//example.com/",
        "/path",
        "?q",
        "1http://a/",
        ":80",
    ] {
        assert_refused(input, "missing scheme");
    }
    assert_refused("", "empty url");
    // Looks like host:port, so we say the scheme is missing.
    assert_refused("localhost:8080/", "missing scheme");
    assert_refused("localhost:8080/", "looks like host:port");
}

#[test]
fn missing_double_slash_is_refused() {
    for input in ["http:example.com", "http:/example.com", "https:", "http:"] {
        assert_refused(input, "missing \"//\"");
    }
}

// ----- host -----

#[test]
fn domain_is_lower_cased() {
    let u = url("http://WWW.Example.COM/Path");
    assert_eq!(u.host(), &Host::Domain("www.example.com".into()));
    assert_eq!(u.host_str(), "www.example.com");
    // The path keeps its case.
    assert_eq!(u.path(), "/Path");
}

#[test]
fn domain_may_use_dash_underscore_tilde_and_a_trailing_dot() {
    assert_eq!(url("http://a-b_c~d.example/").host_str(), "a-b_c~d.example");
    assert_eq!(url("http://localhost/").host_str(), "localhost");
    assert_eq!(url("http://example.com./").host_str(), "example.com.");
    assert_eq!(url("http://1a.example/").host_str(), "1a.example");
    assert_eq!(url("http://example.1a/").host_str(), "example.1a");
}

#[test]
fn empty_host_is_refused() {
    for input in [
        "http://",
        "http:///path",
        "http://:80/",
        "http://?q",
        "http://#f",
        "http://:/",
    ] {
        assert_refused(input, "empty host");
    }
}

#[test]
fn percent_in_host_is_refused() {
    assert_refused("http://ex%61mple.com/", "percent-encoded");
}

#[test]
fn invalid_host_characters_are_refused() {
    assert_refused("http://a!b/", "invalid character '!' in host");
    assert_refused("http://a,b/", "invalid character ',' in host");
    assert_refused("http://a<b/", "invalid character '<' in host");
    assert_refused("http://a\\b/", "invalid character '\\\\' in host");
    assert_refused("http://a]b/", "invalid character ']' in host");
}

#[test]
fn non_ascii_host_is_refused() {
    assert_refused(
        "http://bücher.example/",
        "non-ASCII host names (IDN) are not supported; use the punycode form",
    );
    // The punycode form is fine.
    assert_eq!(
        url("http://xn--bcher-kva.example/").host_str(),
        "xn--bcher-kva.example"
    );
}

#[test]
fn bad_labels_are_refused() {
    assert_refused("http://a..b/", "empty label");
    assert_refused("http://.a/", "empty label");
    assert_refused("http://./", "empty label");
    assert_refused("http://a../", "empty label");
    let long_label = "a".repeat(64);
    assert_refused(&format!("http://{long_label}.com/"), "longer than 63");
    assert_eq!(
        url(&format!("http://{}.com/", "a".repeat(63)))
            .host_str()
            .len(),
        67
    );
    let long_name = vec!["abcdefghi"; 26].join(".");
    assert_refused(&format!("http://{long_name}/"), "longer than 253");
}

#[test]
fn ipv4_is_parsed() {
    let u = url("http://127.0.0.1:8080/x");
    assert_eq!(u.host(), &Host::Ipv4(Ipv4Addr::new(127, 0, 0, 1)));
    assert_eq!(u.host_str(), "127.0.0.1");
    assert_eq!(u.authority(), "127.0.0.1:8080");
    assert_eq!(url("http://0.0.0.0/").host_str(), "0.0.0.0");
    assert_eq!(url("http://255.255.255.255/").host_str(), "255.255.255.255");
}

#[test]
fn numeric_hosts_that_are_not_dotted_quads_are_refused() {
    for input in [
        "http://256.1.1.1/",
        "http://1.2.3/",
        "http://1.2.3.4.5/",
        "http://1.2.3.4./",
        "http://01.2.3.4/",
        "http://123/",
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://0X7F.0.0.1/",
        "http://127.0.0.0x1/",
        "http://example.123/",
    ] {
        assert_refused(input, "invalid ipv4 address");
    }
}

#[test]
fn ipv6_is_parsed_and_normalized() {
    let u = url("http://[::1]/");
    assert_eq!(u.host(), &Host::Ipv6(Ipv6Addr::LOCALHOST));
    assert_eq!(u.host_str(), "::1");
    assert_eq!(u.authority(), "[::1]");
    assert_eq!(url("http://[0:0:0:0:0:0:0:1]/").host_str(), "::1");
    assert_eq!(url("http://[2001:DB8::A]/").host_str(), "2001:db8::a");
    assert_eq!(url("http://[::ffff:1.2.3.4]/").host_str(), "::ffff:1.2.3.4");
    assert_eq!(url("http://[::1]:8080").port(), 8080);
    assert_eq!(url("http://[::1]:").port(), 80);
}

#[test]
fn ipv6_zone_ids_are_refused() {
    assert_refused(
        "http://[fe80::1%25eth0]/",
        "ipv6 zone identifiers are not supported",
    );
    assert_refused("http://[fe80::1%eth0]/", "zone identifiers");
}

#[test]
fn bad_ipv6_is_refused() {
    assert_refused("http://[::g]/", "invalid ipv6 address");
    assert_refused("http://[1.2.3.4]/", "invalid ipv6 address");
    assert_refused("http://[]/", "invalid ipv6 address");
    assert_refused("http://[::1/", "unterminated '['");
    assert_refused("http://[::1]x/", "unexpected \"x\" after ipv6 address");
    assert_refused("http://[::1]]/", "after ipv6 address");
    assert_refused("http://[v1.x]/", "ipvfuture");
    assert_refused("http://::1/", "must be in brackets");
    assert_refused("http://[::1]:80:80/", "invalid port");
    assert_refused("http://[::ü]/", "invalid ipv6 address");
}

#[test]
fn credentials_are_kept_and_never_shown() {
    for (input, user, password, shown) in [
        (
            "http://user@example.com/",
            "user",
            "",
            "http://example.com/",
        ),
        (
            "http://user:pass@example.com/",
            "user",
            "pass",
            "http://example.com/",
        ),
        (
            "http://:pass@example.com/",
            "",
            "pass",
            "http://example.com/",
        ),
        (
            "http://user:@example.com/",
            "user",
            "",
            "http://example.com/",
        ),
        (
            "http://user:pass@[::1]:8080/",
            "user",
            "pass",
            "http://[::1]:8080/",
        ),
        ("http://us%40er:p%3Aa:ss@a/", "us@er", "p:a:ss", "http://a/"),
        ("http://ü:ß@a/", "ü", "ß", "http://a/"),
        (
            "http://a!$&'()*+,;=-._~b:c@a/",
            "a!$&'()*+,;=-._~b",
            "c",
            "http://a/",
        ),
    ] {
        let u = url(input);
        let credentials = u.credentials().expect(input);
        assert_eq!(credentials.user(), user.as_bytes(), "{input}");
        assert_eq!(credentials.password(), password.as_bytes(), "{input}");
        assert_eq!(u.to_string(), shown, "{input}");
        assert_eq!(url(shown), u.without_credentials(), "{input}");
        let debug = format!("{u:?}");
        assert!(debug.contains("<redacted>"), "{debug}");
        // (Short ones would be found in the field names.)
        if password.len() > 3 {
            assert!(!debug.contains(password), "{debug}");
        }
    }
    assert!(!url("http://a/").has_credentials());
    // Credentials are part of what a URL is.
    assert_ne!(url("http://u:1@a/"), url("http://u:2@a/"));
    // An '@' in the path or query is just a character.
    assert_eq!(url("http://a/@b?c@d").request_target(), "/@b?c@d");
    assert!(!url("http://a/@b?c@d").has_credentials());
}

#[test]
fn bad_credentials_are_refused_without_being_quoted() {
    for (input, expected) in [
        ("http://@example.com/", "empty user name"),
        ("http://u:p%zz@a/", "invalid percent-encoding"),
        ("http://u:p%4@a/", "invalid percent-encoding"),
        ("http://u:p@ss@a/", "character '@' is not allowed"),
        ("http://u:p[1]@a/", "character '[' is not allowed"),
        ("http://u:se?cret@a/", "'?' or '#' before an '@'"),
        ("http://u:se#cret@a/", "'?' or '#' before an '@'"),
    ] {
        let error = Url::parse(input).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(expected), "{input}: {text}");
        for secret in ["p%zz", "p%4", "p@ss", "p[1]", "se?cret", "se#cret", "cret"] {
            assert!(!text.contains(secret), "{input}: {text}");
        }
    }
    // A bad host after good credentials: the url in the error is redacted.
    let error = Url::parse("http://ann:s3cret@bad host/").unwrap_err();
    assert!(matches!(&error, Error::InvalidUrl { url, .. } if url == "http://***@bad host/"));
    assert!(!error.to_string().contains("s3cret"), "{error}");
}

#[test]
fn redaction_covers_the_authority_only() {
    assert_eq!(redact_credentials("http://u:p@h/x@y"), "http://***@h/x@y");
    assert_eq!(redact_credentials("http://h/x@y"), "http://h/x@y");
    assert_eq!(redact_credentials("//u:p@h"), "//***@h");
    assert_eq!(redact_credentials("http://u:p?q@h"), "http://***@h");
    assert_eq!(redact_credentials("no authority@all"), "no authority@all");
}

// ----- port -----

#[test]
fn ports() {
    assert_eq!(url("http://a/").port(), 80);
    assert_eq!(url("https://a/").port(), 443);
    assert_eq!(url("http://a:8080/").port(), 8080);
    assert_eq!(url("http://a:1").port(), 1);
    assert_eq!(url("http://a:65535/").port(), 65535);
    assert_eq!(url("http://a:0080/").port(), 80);
    // An empty port means the default one (RFC 3986 §3.2.3).
    assert_eq!(url("http://a:/").port(), 80);
    assert_eq!(url("https://a:?q").port(), 443);
}

#[test]
fn default_port_detection() {
    assert!(url("http://a/").is_default_port());
    assert!(url("http://a:80/").is_default_port());
    assert!(url("https://a:443/").is_default_port());
    assert!(!url("https://a:80/").is_default_port());
    assert!(!url("http://a:443/").is_default_port());
}

#[test]
fn bad_ports_are_refused() {
    assert_refused("http://a:0/", "port 0 is not allowed");
    assert_refused("http://a:00/", "port 0 is not allowed");
    assert_refused("http://a:65536/", "port 65536 is out of range");
    assert_refused("http://a:99999999999999999999999/", "is out of range");
    assert_refused("http://a:+80/", "invalid port \"+80\"");
    assert_refused("http://a:-1/", "invalid port \"-1\"");
    assert_refused("http://a:8a/", "invalid port \"8a\"");
    assert_refused("http://a:0x50/", "invalid port");
    assert_refused("http://a:８０/", "invalid port");
    assert_refused("http://a:80:80/", "must be in brackets");
}

// ----- path, query, fragment -----

#[test]
fn path_defaults_to_slash() {
    assert_eq!(url("http://a").path(), "/");
    assert_eq!(url("http://a?q").path(), "/");
    assert_eq!(url("http://a#f").path(), "/");
    assert_eq!(url("http://a").request_target(), "/");
    assert_eq!(url("http://a?q").request_target(), "/?q");
}

#[test]
fn query_is_kept_verbatim() {
    assert_eq!(url("http://a/").query(), None);
    assert_eq!(url("http://a/?").query(), Some(""));
    assert_eq!(url("http://a/?").request_target(), "/?");
    assert_eq!(url("http://a/?").to_string(), "http://a/?");
    assert_eq!(url("http://a/p?x=1&y=2").query(), Some("x=1&y=2"));
    assert_eq!(url("http://a/p?x=?y").query(), Some("x=?y"));
    assert_eq!(url("http://a/p?/../x").query(), Some("/../x"));
    assert_eq!(url("http://a/p?%zz%41").query(), Some("%zz%41"));
    // Backslashes are only ambiguous in the path.
    assert_eq!(url("http://a/p?a\\b").query(), Some("a\\b"));
    assert_ne!(url("http://a/"), url("http://a/?"));
}

#[test]
fn fragment_is_dropped() {
    let u = url("http://a/b?c#d");
    assert_eq!(u.request_target(), "/b?c");
    assert_eq!(u.query(), Some("c"));
    assert_eq!(u.to_string(), "http://a/b?c");
    assert_eq!(url("http://a/b#c?d").query(), None);
    assert_eq!(url("http://a/b#c?d").request_target(), "/b");
    assert_eq!(url("http://a/b#").request_target(), "/b");
    assert_eq!(url("http://a/b?#").query(), Some(""));
    // The fragment may hold anything printable, even non-ASCII.
    assert_eq!(url("http://a/#ü\\#").to_string(), "http://a/");
}

#[test]
fn request_target_has_path_and_query() {
    let u = url("http://example.com/search/?q=a+b&lang=en#top");
    assert_eq!(u.path(), "/search/");
    assert_eq!(u.query(), Some("q=a+b&lang=en"));
    assert_eq!(u.request_target(), "/search/?q=a+b&lang=en");
}

#[test]
fn non_ascii_is_percent_encoded() {
    assert_eq!(url("http://a/ü").path(), "/%C3%BC");
    assert_eq!(url("http://a/?q=ü").query(), Some("q=%C3%BC"));
    assert_eq!(url("http://a/€").path(), "/%E2%82%AC");
    assert_eq!(
        url("http://a/😀?😀").request_target(),
        "/%F0%9F%98%80?%F0%9F%98%80"
    );
    // Non-breaking space is not ASCII whitespace: it is encoded.
    assert_eq!(url("http://a/\u{a0}").path(), "/%C2%A0");
}

#[test]
fn printable_ascii_and_escapes_are_kept() {
    let path = "/a'b\"c{d}|e^f`g[h]i<j>k%41%zz%!$&()*+,;=:@~-._";
    assert_eq!(url(&format!("http://a{path}")).path(), path);
}

#[test]
fn backslash_in_path_is_refused() {
    assert_refused("http://a/b\\c", "backslash in path is ambiguous");
    assert_refused("http://a/\\", "backslash");
}

#[test]
fn dot_segments_are_removed_on_parse() {
    assert_eq!(url("http://a/b/../c").path(), "/c");
    assert_eq!(url("http://a/b/./c").path(), "/b/c");
    assert_eq!(url("http://a/../../c").path(), "/c");
    assert_eq!(url("http://a/b/c/..").path(), "/b/");
    assert_eq!(url("http://a/b/c/.").path(), "/b/c/");
    assert_eq!(url("http://a/.").path(), "/");
    assert_eq!(url("http://a/..").path(), "/");
    assert_eq!(url("http://a/.../..x/x..").path(), "/.../..x/x..");
    // Encoded dots are not dot segments.
    assert_eq!(url("http://a/b/%2e%2e/c").path(), "/b/%2e%2e/c");
}

// ----- characters and length -----

#[test]
fn spaces_are_refused_with_their_position() {
    assert_refused("http://a/b c", "contains a space at byte 10");
    assert_refused("http://a b/", "contains a space at byte 8");
    assert_refused("http://a/?q=a b", "contains a space at byte 13");
    assert_refused("http://a/#a b", "contains a space");
}

#[test]
fn control_characters_are_refused() {
    assert_refused("http://a/\nx", "contains control character 0x0a at byte 9");
    assert_refused("http://a/\rx", "control character 0x0d");
    assert_refused("http://a/\tx", "control character 0x09");
    assert_refused("http://a/\0x", "control character 0x00");
    assert_refused("http://a/\x7fx", "control character 0x7f");
    assert_refused("http://a/\x1bx", "control character 0x1b");
    assert_refused("http\x01://a/", "control character 0x01 at byte 4");
    assert_refused("http://a/?q#\n", "trailing whitespace");
}

#[test]
fn surrounding_whitespace_is_refused_not_trimmed() {
    assert_refused(" http://a/", "leading whitespace");
    assert_refused("\thttp://a/", "leading whitespace");
    assert_refused("http://a/ ", "trailing whitespace");
    assert_refused("http://a/\r\n", "trailing whitespace");
    assert_refused("\n", "leading whitespace");
}

#[test]
fn long_inputs_are_refused() {
    let prefix = "http://a/";
    let at_limit = format!("{prefix}{}", "x".repeat(MAX_URL_LEN - prefix.len()));
    assert_eq!(url(&at_limit).path().len(), MAX_URL_LEN - prefix.len() + 1);
    let over_limit = format!("{at_limit}x");
    assert_refused(&over_limit, "65537 bytes long; the limit is 65536");
    // Within the limit, but three times longer once encoded.
    let expands = format!("{prefix}{}", "ü".repeat(20_000));
    assert_refused(&expands, "once encoded");
}

#[test]
fn error_keeps_at_most_200_characters_of_the_input() {
    let long = format!("ftp://a/{}", "ü".repeat(300));
    match Url::parse(&long) {
        Err(Error::InvalidUrl { url, reason }) => {
            assert_eq!(url.chars().count(), 201);
            assert!(url.ends_with("ü…"));
            assert!(long.starts_with(url.trim_end_matches('…')));
            assert_eq!(reason, "unsupported scheme \"ftp\" (only http and https)");
        }
        other => panic!("unexpected {other:?}"),
    }
    let exactly_200 = format!("ftp://{}", "a".repeat(194));
    match Url::parse(&exactly_200) {
        Err(Error::InvalidUrl { url, .. }) => assert_eq!(url, exactly_200),
        other => panic!("unexpected {other:?}"),
    }
    match Url::parse("http://a b/") {
        Err(Error::InvalidUrl { url, .. }) => assert_eq!(url, "http://a b/"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn reasons_start_in_lower_case() {
    for input in [
        "",
        "x",
        "ftp://a/",
        "http:a",
        "http://",
        "http://a b",
        "http://a\n",
        " http://a",
        "http://@a/",
        "http://ü/",
        "http://a%41/",
        "http://a!/",
        "http://1.2.3/",
        "http://a..b/",
        "http://[::1%251]/",
        "http://[x]/",
        "http://[::1/",
        "http://a:0/",
        "http://a:x/",
        "http://a:70000/",
        "http://a/\\",
    ] {
        let reason = reason(input);
        assert!(
            reason.starts_with(|c: char| !c.is_ascii_uppercase()),
            "{input:?}: {reason:?}"
        );
    }
}
