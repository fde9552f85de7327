//! The no-proxy list (`NO_PROXY`, `--noproxy`): which hosts are reached
//! directly, read as curl reads it.
//!
//! Entries are separated by commas or whitespace; case does not matter.
//!
//! | entry | matches |
//! | --- | --- |
//! | `*` | every host |
//! | `example.com`, `.example.com`, `*.example.com` | `example.com` and every name under it (`www.example.com`), not `badexample.com` |
//! | `192.168.1.10`, `::1`, `[::1]` | that IP address, when the URL names it |
//! | `10.0.0.0/8`, `fd00::/8` | the IP addresses in that range, when the URL names one |
//! | any of these, then `:port` (`example.com:8080`, `[::1]:443`) | the same, on that port only |
//!
//! Names are compared as written in the URL, before any lookup: a name
//! that resolves into `10.0.0.0/8` is not matched by that range (as in
//! curl). An entry that is none of these (say `10.0.0.0/99`) is read as a
//! name, and so matches nothing.

use std::net::IpAddr;

use crate::url::{Host, Url};

/// A parsed no-proxy list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NoProxy {
    /// `*`: no host goes through the proxy.
    all: bool,
    /// The other entries, in the order written.
    entries: Vec<Entry>,
}

/// One entry of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// What the host must be.
    pattern: Pattern,
    /// The port it must be on; any port when `None`.
    port: Option<u16>,
}

/// What an entry matches, without its port.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    /// A domain name and every name under it; lower case, without leading
    /// or trailing dots, never empty.
    Domain(String),
    /// IP addresses whose first `prefix` bits are those of `network`
    /// (`prefix` at most 32 for IPv4, 128 for IPv6).
    Range { network: IpAddr, prefix: u8 },
}

impl NoProxy {
    /// Reads a list. Never fails: an entry that cannot be read as an
    /// address or range is a name.
    pub(crate) fn parse(list: &str) -> NoProxy {
        let mut no_proxy = NoProxy::default();
        for item in list.split(|c: char| c == ',' || c.is_ascii_whitespace()) {
            if item == "*" {
                no_proxy.all = true;
            } else if let Some(entry) = Entry::parse(item) {
                no_proxy.entries.push(entry);
            }
        }
        no_proxy
    }

    /// Whether `url` is reached directly.
    pub(crate) fn matches(&self, url: &Url) -> bool {
        self.all || self.entries.iter().any(|entry| entry.matches(url))
    }
}

impl Entry {
    /// One entry; `None` for an empty one.
    fn parse(item: &str) -> Option<Entry> {
        let (host, port) = split_port(item);
        let pattern = match parse_range(host) {
            Some(range) => range,
            None => {
                let name = host.trim_start_matches("*.").trim_matches('.');
                if name.is_empty() {
                    return None;
                }
                Pattern::Domain(name.to_ascii_lowercase())
            }
        };
        Some(Entry { pattern, port })
    }

    /// Whether `url`'s host (and port) fall under this entry.
    fn matches(&self, url: &Url) -> bool {
        if self.port.is_some_and(|port| port != url.port()) {
            return false;
        }
        match (&self.pattern, url.host()) {
            (Pattern::Domain(domain), Host::Domain(name)) => {
                let name = name.strip_suffix('.').unwrap_or(name);
                name == domain
                    || name
                        .strip_suffix(domain.as_str())
                        .is_some_and(|rest| rest.ends_with('.'))
            }
            (Pattern::Range { network, prefix }, Host::Ipv4(ip)) => {
                in_range(IpAddr::V4(*ip), *network, *prefix)
            }
            (Pattern::Range { network, prefix }, Host::Ipv6(ip)) => {
                in_range(IpAddr::V6(*ip), *network, *prefix)
            }
            _ => false,
        }
    }
}

/// Splits `host:port`, `[v6]:port` and `[v6]` into the host and the port,
/// if there is one. An IPv6 address without brackets has no port.
fn split_port(item: &str) -> (&str, Option<u16>) {
    if let Some(bracketed) = item.strip_prefix('[') {
        if let Some((address, after)) = bracketed.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            return (address, port);
        }
    }
    match item.split_once(':') {
        Some((host, port)) if !port.contains(':') => match port.parse() {
            Ok(port) => (host, Some(port)),
            Err(_) => (item, None),
        },
        _ => (item, None),
    }
}

/// Reads `address` or `address/prefix`; `None` if it is neither.
fn parse_range(text: &str) -> Option<Pattern> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let network: IpAddr = address.parse().ok()?;
    let bits = if network.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => bits,
        Some(prefix) => prefix.parse().ok().filter(|&p| p <= bits)?,
    };
    Some(Pattern::Range { network, prefix })
}

/// Whether the first `prefix` bits of `ip` and `network` agree (and they
/// are the same family).
fn in_range(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    let (ip, network, bits) = match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            (u128::from(ip.to_bits()), u128::from(net.to_bits()), 32)
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => (ip.to_bits(), net.to_bits(), 128),
        _ => return false,
    };
    let ignored = bits - u32::from(prefix);
    ip.checked_shr(ignored).unwrap_or(0) == network.checked_shr(ignored).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(list: &str, url: &str) -> bool {
        NoProxy::parse(list).matches(&Url::parse(url).unwrap())
    }

    #[test]
    fn a_star_matches_everything_and_an_empty_list_nothing() {
        assert!(matches("*", "http://example.com/"));
        assert!(matches("*", "http://[::1]:8080/"));
        assert!(matches("a.example, *", "http://b.example/"));
        for list in ["", " ", ",,", ".", "*."] {
            assert!(!matches(list, "http://example.com/"), "{list:?}");
        }
        // A star inside a name is only a character.
        assert!(!matches("*example.com", "http://www.example.com/"));
    }

    #[test]
    fn names_match_themselves_and_the_names_under_them() {
        for list in [
            "example.com",
            ".example.com",
            "*.example.com",
            "EXAMPLE.com.",
            "x, example.com",
        ] {
            assert!(matches(list, "http://example.com/"), "{list}");
            assert!(matches(list, "https://www.example.com/"), "{list}");
            assert!(matches(list, "http://a.b.example.com:8080/"), "{list}");
            assert!(matches(list, "http://example.com./"), "{list}");
            assert!(!matches(list, "http://badexample.com/"), "{list}");
            assert!(!matches(list, "http://example.com.evil/"), "{list}");
            assert!(!matches(list, "http://com/"), "{list}");
        }
        // Separated by commas, spaces or both.
        let list = "a.example,b.example c.example ,\td.example";
        for host in ["a", "b", "c", "d"] {
            assert!(matches(list, &format!("http://{host}.example/")), "{host}");
        }
        assert!(!matches(list, "http://e.example/"));
    }

    #[test]
    fn addresses_and_ranges_match_ip_urls_only() {
        assert!(matches("127.0.0.1", "http://127.0.0.1:8080/"));
        assert!(!matches("127.0.0.1", "http://127.0.0.2/"));
        assert!(matches("10.0.0.0/8", "http://10.200.3.4/"));
        assert!(!matches("10.0.0.0/8", "http://11.0.0.1/"));
        assert!(matches("192.168.1.0/24", "http://192.168.1.255/"));
        assert!(!matches("192.168.1.0/24", "http://192.168.2.0/"));
        assert!(matches("0.0.0.0/0", "http://203.0.113.9/"));
        assert!(!matches("0.0.0.0/0", "http://[::1]/"));
        assert!(matches("::1", "http://[::1]/"));
        assert!(matches("[::1]", "http://[::1]/"));
        assert!(matches("fd00::/8", "http://[fd12:3456::1]/"));
        assert!(!matches("fd00::/8", "http://[fe80::1]/"));
        assert!(matches("::/0", "http://[2001:db8::1]/"));
        // A range never matches a name, whatever it resolves to.
        assert!(!matches("127.0.0.0/8", "http://localhost/"));
        // A bad prefix is a name that matches nothing.
        assert!(!matches("10.0.0.0/33", "http://10.0.0.1/"));
        assert!(!matches("10.0.0.0/x", "http://10.0.0.1/"));
    }

    #[test]
    fn a_port_narrows_an_entry_to_that_port() {
        assert!(matches("example.com:8080", "http://www.example.com:8080/"));
        assert!(!matches("example.com:8080", "http://example.com/"));
        assert!(matches("example.com:443", "https://example.com/"));
        assert!(!matches("example.com:443", "http://example.com/"));
        assert!(matches("127.0.0.1:9000", "http://127.0.0.1:9000/"));
        assert!(!matches("127.0.0.1:9000", "http://127.0.0.1:9001/"));
        assert!(matches("[::1]:9000", "http://[::1]:9000/"));
        assert!(!matches("[::1]:9000", "http://[::1]:9001/"));
        assert!(matches("10.0.0.0/8:80", "http://10.1.1.1/"));
        // Colons in an IPv6 address without brackets are not a port.
        assert!(matches("::1", "http://[::1]:1234/"));
    }
}
