//! Generated inputs: nothing panics, and whatever parses or joins prints
//! a URL that parses back to itself.

use super::*;
use crate::testing::XorShift;

fn random_text(rng: &mut XorShift) -> String {
    const PIECES: &[&str] = &[
        "/", "//", ".", "..", "./", "../", "/.", "/..", "?", "#", ":", "@", "[", "]", "%", "%25",
        "a", "B", "g", "1", "0", "255", "::1", "x:1", "http:", "https:", "HTTP://", "ftp:", "\\",
        " ", "\t", "\n", "ü", "😀", ";", "=", "&", "-", "_", "~", "0x",
    ];
    let mut text = String::new();
    for _ in 0..rng.below(12) {
        text.push_str(PIECES[rng.below(PIECES.len())]);
    }
    text
}

/// Checks what must hold for every successfully parsed or joined URL.
fn check_invariants(u: &Url, input: &str) {
    let text = u.to_string();
    assert!(text.is_ascii(), "{input:?} -> {text:?}");
    assert!(u.path().starts_with('/'), "{input:?} -> {text:?}");
    assert!(!u.request_target().contains('#'), "{input:?} -> {text:?}");
    assert!(!u.path().contains('?'), "{input:?} -> {text:?}");
    assert!(!text.contains(' '), "{input:?} -> {text:?}");
    let reparsed = Url::parse(&text)
        .unwrap_or_else(|error| panic!("{input:?} -> {text:?} does not reparse: {error:?}"));
    // Credentials are never written, so they are the one thing lost.
    assert_eq!(reparsed, u.without_credentials(), "{input:?} -> {text:?}");
}

#[test]
fn join_never_panics_on_any_short_reference() {
    // Every string of up to four characters from this alphabet.
    const ALPHABET: [char; 12] = ['/', '.', '?', '#', ':', '@', '[', ']', '%', 'a', '1', 'ü'];
    let base = url(RFC_BASE);
    let mut references = vec![String::new()];
    for _ in 0..4 {
        let longer: Vec<String> = references
            .iter()
            .flat_map(|r| ALPHABET.iter().map(move |&c| format!("{r}{c}")))
            .collect();
        for reference in &longer {
            if let Ok(joined) = base.join(reference) {
                check_invariants(&joined, reference);
            }
        }
        references = longer;
    }
}

#[test]
fn many_dot_segments_are_handled() {
    let input = format!("http://a{}", "/b/..".repeat(13_000));
    assert_eq!(url(&input).path(), "/");
    let input = format!("http://a/{}", "../".repeat(21_000));
    assert_eq!(url(&input).path(), "/");
}

#[test]
fn join_never_panics_and_round_trips_on_generated_references() {
    let bases = [
        url(RFC_BASE),
        url("https://[::1]:8443/"),
        url("http://a/b/c/?"),
        url("http://10.0.0.1/x/y/z/.."),
    ];
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let mut resolved = 0;
    for _ in 0..20_000 {
        let reference = random_text(&mut rng);
        let base = &bases[rng.below(bases.len())];
        if let Ok(joined) = base.join(&reference) {
            check_invariants(&joined, &reference);
            resolved += 1;
        }
    }
    // Make sure the generator does not only produce errors.
    assert!(resolved > 2_000, "only {resolved} references resolved");
}

#[test]
fn parse_never_panics_and_round_trips_on_generated_input() {
    let prefixes = [
        "http://",
        "https://",
        "HTTP://a",
        "http://a",
        "http://[::1]",
        "",
    ];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut parsed_ok = 0;
    for _ in 0..20_000 {
        let input = format!(
            "{}{}",
            prefixes[rng.below(prefixes.len())],
            random_text(&mut rng)
        );
        if let Ok(parsed) = Url::parse(&input) {
            check_invariants(&parsed, &input);
            parsed_ok += 1;
        }
    }
    assert!(parsed_ok > 2_000, "only {parsed_ok} inputs parsed");
}
