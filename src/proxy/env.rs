//! Which environment variables name the proxy, read as curl reads them.
//!
//! | URL | variables, first one set wins |
//! | --- | --- |
//! | `http://` | `http_proxy` (lower case only), then `all_proxy`, `ALL_PROXY` |
//! | `https://` | `https_proxy`, `HTTPS_PROXY`, then `all_proxy`, `ALL_PROXY` |
//! | exceptions | `no_proxy`, `NO_PROXY` |
//!
//! `HTTP_PROXY` in upper case is ignored on purpose: a CGI program gets
//! every request header as an `HTTP_*` variable, so a request carrying
//! `Proxy: http://attacker/` would set it ("httpoxy").
//!
//! A variable set to the empty string counts as set: `https_proxy=` means
//! "no proxy for https", even when `ALL_PROXY` names one.

/// The variables for `http` URLs, in order.
pub(super) const HTTP: &[&str] = &["http_proxy"];
/// The variables for `https` URLs, in order.
pub(super) const HTTPS: &[&str] = &["https_proxy", "HTTPS_PROXY"];
/// The variables for any URL, when the scheme's own are not set.
pub(super) const ALL: &[&str] = &["all_proxy", "ALL_PROXY"];
/// The exception list's variables.
pub(super) const NO_PROXY: &[&str] = &["no_proxy", "NO_PROXY"];

/// The first of `names` that `lookup` finds, with its value.
pub(super) fn first(
    lookup: &dyn Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> Option<(&'static str, String)> {
    names
        .iter()
        .find_map(|&name| lookup(name).map(|value| (name, value)))
}

/// The variable and value that name the proxy for a scheme whose own
/// variables are `own`; `None` when no proxy is set, or it is set empty.
pub(super) fn proxy_var(
    lookup: &dyn Fn(&str) -> Option<String>,
    own: &[&'static str],
) -> Option<(&'static str, String)> {
    first(lookup, own)
        .or_else(|| first(lookup, ALL))
        .filter(|(_, value)| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn chosen(pairs: &[(&str, &str)], own: &[&'static str]) -> Option<&'static str> {
        proxy_var(&env(pairs), own).map(|(name, _)| name)
    }

    #[test]
    fn http_reads_only_the_lower_case_variable() {
        assert_eq!(chosen(&[("http_proxy", "a")], HTTP), Some("http_proxy"));
        assert_eq!(chosen(&[("HTTP_PROXY", "a")], HTTP), None);
        assert_eq!(
            chosen(&[("HTTP_PROXY", "a"), ("ALL_PROXY", "b")], HTTP),
            Some("ALL_PROXY")
        );
    }

    #[test]
    fn https_prefers_lower_case_then_upper_case_then_all() {
        let all = [
            ("https_proxy", "1"),
            ("HTTPS_PROXY", "2"),
            ("all_proxy", "3"),
            ("ALL_PROXY", "4"),
        ];
        for skip in 0..all.len() {
            let set = &all[skip..];
            assert_eq!(chosen(set, HTTPS), Some(set[0].0), "{set:?}");
        }
        assert_eq!(chosen(&[], HTTPS), None);
    }

    #[test]
    fn a_variable_set_empty_means_no_proxy_without_falling_through() {
        assert_eq!(
            chosen(&[("https_proxy", ""), ("ALL_PROXY", "x")], HTTPS),
            None
        );
        assert_eq!(
            chosen(&[("http_proxy", ""), ("all_proxy", "x")], HTTP),
            None
        );
        assert_eq!(
            chosen(&[("all_proxy", ""), ("ALL_PROXY", "x")], HTTPS),
            None
        );
    }

    #[test]
    fn the_exception_list_prefers_lower_case() {
        let lookup = env(&[("NO_PROXY", "b"), ("no_proxy", "a")]);
        assert_eq!(
            first(&lookup, NO_PROXY),
            Some(("no_proxy", "a".to_string()))
        );
        let lookup = env(&[("NO_PROXY", "b")]);
        assert_eq!(
            first(&lookup, NO_PROXY),
            Some(("NO_PROXY", "b".to_string()))
        );
    }
}
