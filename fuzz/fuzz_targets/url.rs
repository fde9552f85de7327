//! URL parsing and reference resolution: never a panic; whatever parses
//! prints as a URL that parses back equal (less its credentials, which are
//! never printed); an absolute reference joins to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcount::url::Url;

fn check(url: &Url) {
    let text = url.to_string();
    let again = Url::parse(&text).unwrap_or_else(|e| panic!("{text:?} does not reparse: {e}"));
    assert_eq!(again, url.without_credentials(), "{text:?} reparses to another url");
    assert!(!again.has_credentials());
    assert!(url.request_target().starts_with('/') || url.request_target() == "*");
    assert!(text.starts_with(url.scheme().as_str()));
    assert!(!url.authority().is_empty());
    let _ = (
        url.host(),
        url.host_str(),
        url.port(),
        url.path(),
        url.query(),
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // "base\nreference", or the whole input as both.
    let (base, reference) = text.split_once('\n').unwrap_or((text, text));
    let parsed_reference = Url::parse(reference);
    if let Ok(url) = &parsed_reference {
        check(url);
    }
    let Ok(base) = Url::parse(base) else {
        let base = Url::parse("http://example.org/a/b/c?q").unwrap();
        if let Ok(joined) = base.join(reference) {
            check(&joined);
        }
        return;
    };
    check(&base);
    if let Ok(joined) = base.join(reference) {
        check(&joined);
        if let Ok(absolute) = parsed_reference {
            assert_eq!(joined, absolute, "joining an absolute url changed it");
        }
    }
});
