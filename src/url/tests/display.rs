//! Display, authority and equality of parsed URLs.

use super::*;

#[test]
fn display_is_normalized() {
    for (input, expected) in [
        ("HTTP://EXAMPLE.com", "http://example.com/"),
        ("http://example.com:80/", "http://example.com/"),
        ("http://example.com:443/", "http://example.com:443/"),
        ("https://example.com:443/", "https://example.com/"),
        (
            "https://example.com:8443/a?b#c",
            "https://example.com:8443/a?b",
        ),
        ("http://[0::1]:80/", "http://[::1]/"),
        ("http://[::1]:8080/", "http://[::1]:8080/"),
        ("http://a:/x/../y", "http://a/y"),
        ("http://a/ü?ü", "http://a/%C3%BC?%C3%BC"),
        ("http://10.0.0.1:81", "http://10.0.0.1:81/"),
    ] {
        assert_eq!(url(input).to_string(), expected, "{input}");
    }
}

#[test]
fn display_round_trips() {
    for input in [
        "http://example.com/",
        "HTTPS://Example.com:8443/a/b/../c?d=e&f#g",
        "http://[::1]:8080/?",
        "http://[2001:db8::1]/x",
        "http://127.0.0.1:1/",
        "http://a//b//c",
        "http://a/b/%2e%2e/",
        "http://a/ü?ü#ü",
        "http://a:/",
        "http://a.b.c./",
    ] {
        let u = url(input);
        assert_eq!(url(&u.to_string()), u, "{input}");
        assert_eq!(url(&u.to_string()).to_string(), u.to_string(), "{input}");
    }
}

#[test]
fn from_str_is_parse() {
    let u: Url = "http://Example.com/x".parse().unwrap();
    assert_eq!(u, url("http://example.com/x"));
    assert!("ftp://a/".parse::<Url>().is_err());
}

#[test]
fn authority_is_the_host_header() {
    assert_eq!(url("http://[::1]:8080/").authority(), "[::1]:8080");
    assert_eq!(url("http://[::1]/").authority(), "[::1]");
    assert_eq!(url("https://x:443/").authority(), "x");
    assert_eq!(url("https://x:80/").authority(), "x:80");
    assert_eq!(url("http://X.Example:80").authority(), "x.example");
    assert_eq!(url("http://x.example:8080").authority(), "x.example:8080");
    assert_eq!(url("http://10.1.2.3:80/").authority(), "10.1.2.3");
}

#[test]
fn host_str_has_no_brackets() {
    assert_eq!(url("http://[::1]:8080/").host_str(), "::1");
    assert_eq!(url("http://X.Example:80").host_str(), "x.example");
    assert_eq!(url("http://1.2.3.4/").host_str(), "1.2.3.4");
}

#[test]
fn host_display() {
    assert_eq!(Host::Domain("a.example".into()).to_string(), "a.example");
    assert_eq!(Host::Ipv4(Ipv4Addr::new(1, 2, 3, 4)).to_string(), "1.2.3.4");
    assert_eq!(Host::Ipv6(Ipv6Addr::LOCALHOST).to_string(), "::1");
}

#[test]
fn equivalent_urls_are_equal() {
    assert_eq!(url("HTTP://A:80"), url("http://a/"));
    assert_eq!(url("https://a:443/x"), url("https://a/x"));
    assert_eq!(url("http://[0:0::1]/"), url("http://[::1]/"));
    assert_eq!(url("http://a/b/../c#x"), url("http://a/c"));
    assert_ne!(url("http://a/"), url("https://a/"));
    assert_ne!(url("http://a:8080/"), url("http://a/"));
    assert_ne!(url("http://a/x?"), url("http://a/x"));
}
