//! The SSRF guard: which destinations the web API may fetch from. The
//! rules are documented on [`Guard`]; the deny table is here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::connect::AddressPolicy;

// The deny table follows IANA's two special-purpose address registries
// entry by entry, as they stood in mid-2025 (their latest additions then:
// 3fff::/20 and 5f00::/16 in 2024, 100:0:0:1::/64 in 2025):
//
// - IPv4 Special-Purpose Address Registry,
//   https://www.iana.org/assignments/iana-ipv4-special-registry/
// - IPv6 Special-Purpose Address Registry,
//   https://www.iana.org/assignments/iana-ipv6-special-registry/
//
// Every entry is denied, including those the registries mark globally
// reachable (anycast relays, AS112 sinks, AMT, ORCHIDv2, DRIP): none of
// them serves web pages. One exception: 64:ff9b::/96, the NAT64
// well-known prefix, is how an IPv6-only network reaches IPv4 hosts, so
// the IPv4 address inside it is checked against the IPv4 table instead.
// A few blocks outside the special-purpose registries are denied too
// (`OTHER_V4`, `OTHER_V6`), and for IPv6 everything outside global
// unicast (2000::/3).

/// IANA's IPv4 Special-Purpose Address Registry: `(network, prefix length,
/// name)`. Where entries nest, the longest prefix names an address.
const REGISTRY_V4: &[(Ipv4Addr, u8, &str)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, "\"this\" network"),
    (
        Ipv4Addr::new(0, 0, 0, 0),
        32,
        "\"this host on this network\"",
    ),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private-use"),
    (Ipv4Addr::new(100, 64, 0, 0), 10, "shared address space"),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback"),
    (
        Ipv4Addr::new(169, 254, 0, 0),
        16,
        "link local, incl. cloud metadata",
    ),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private-use"),
    (Ipv4Addr::new(192, 0, 0, 0), 24, "ietf protocol assignments"),
    (
        Ipv4Addr::new(192, 0, 0, 0),
        29,
        "ipv4 service continuity prefix",
    ),
    (Ipv4Addr::new(192, 0, 0, 8), 32, "ipv4 dummy address"),
    (
        Ipv4Addr::new(192, 0, 0, 9),
        32,
        "port control protocol anycast",
    ),
    (
        Ipv4Addr::new(192, 0, 0, 10),
        32,
        "traversal using relays around nat anycast",
    ),
    (Ipv4Addr::new(192, 0, 0, 170), 32, "nat64/dns64 discovery"),
    (Ipv4Addr::new(192, 0, 0, 171), 32, "nat64/dns64 discovery"),
    (
        Ipv4Addr::new(192, 0, 2, 0),
        24,
        "documentation (test-net-1)",
    ),
    (Ipv4Addr::new(192, 31, 196, 0), 24, "as112-v4"),
    (Ipv4Addr::new(192, 52, 193, 0), 24, "amt"),
    (
        Ipv4Addr::new(192, 88, 99, 0),
        24,
        "deprecated (6to4 relay anycast)",
    ),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "private-use"),
    (
        Ipv4Addr::new(192, 175, 48, 0),
        24,
        "direct delegation as112 service",
    ),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "benchmarking"),
    (
        Ipv4Addr::new(198, 51, 100, 0),
        24,
        "documentation (test-net-2)",
    ),
    (
        Ipv4Addr::new(203, 0, 113, 0),
        24,
        "documentation (test-net-3)",
    ),
    (Ipv4Addr::new(240, 0, 0, 0), 4, "reserved"),
    (Ipv4Addr::new(255, 255, 255, 255), 32, "limited broadcast"),
];

/// IPv4 blocks denied beyond the special-purpose registry (from IANA's
/// IPv4 Address Space Registry).
const OTHER_V4: &[(Ipv4Addr, u8, &str)] = &[(Ipv4Addr::new(224, 0, 0, 0), 4, "multicast")];

/// IANA's IPv6 Special-Purpose Address Registry: `(network, prefix length,
/// name)`. Where entries nest, the longest prefix names an address.
/// 64:ff9b::/96 is listed but checked by its embedded IPv4 address (see
/// [`denied_v6`]).
const REGISTRY_V6: &[(Ipv6Addr, u8, &str)] = &[
    (Ipv6Addr::LOCALHOST, 128, "loopback address"),
    (Ipv6Addr::UNSPECIFIED, 128, "unspecified address"),
    (v6(0, 0, 0, 0, 0, 0xffff, 0, 0), 96, "ipv4-mapped address"),
    (NAT64, 96, "ipv4-ipv6 translation"),
    (
        v6(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        "local-use ipv4-ipv6 translation",
    ),
    (
        v6(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        "discard-only address block",
    ),
    (v6(0x100, 0, 0, 1, 0, 0, 0, 0), 64, "dummy ipv6 prefix"),
    (
        v6(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "ietf protocol assignments",
    ),
    (v6(0x2001, 0, 0, 0, 0, 0, 0, 0), 32, "teredo"),
    (
        v6(0x2001, 1, 0, 0, 0, 0, 0, 1),
        128,
        "port control protocol anycast",
    ),
    (
        v6(0x2001, 1, 0, 0, 0, 0, 0, 2),
        128,
        "traversal using relays around nat anycast",
    ),
    (
        v6(0x2001, 1, 0, 0, 0, 0, 0, 3),
        128,
        "dns-sd service registration protocol anycast",
    ),
    (v6(0x2001, 2, 0, 0, 0, 0, 0, 0), 48, "benchmarking"),
    (v6(0x2001, 3, 0, 0, 0, 0, 0, 0), 32, "amt"),
    (v6(0x2001, 4, 0x112, 0, 0, 0, 0, 0), 48, "as112-v6"),
    (
        v6(0x2001, 0x10, 0, 0, 0, 0, 0, 0),
        28,
        "deprecated (previously orchid)",
    ),
    (v6(0x2001, 0x20, 0, 0, 0, 0, 0, 0), 28, "orchidv2"),
    (
        v6(0x2001, 0x30, 0, 0, 0, 0, 0, 0),
        28,
        "drone remote id protocol entity tags (dets) prefix",
    ),
    (v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32, "documentation"),
    (v6(0x2002, 0, 0, 0, 0, 0, 0, 0), 16, "6to4"),
    (
        v6(0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0),
        48,
        "direct delegation as112 service",
    ),
    (v6(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20, "documentation"),
    (
        v6(0x5f00, 0, 0, 0, 0, 0, 0, 0),
        16,
        "segment routing (srv6) sids",
    ),
    (v6(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7, "unique-local"),
    (v6(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, "link-local unicast"),
];

/// IPv6 blocks named beyond the special-purpose registry (from IANA's IPv6
/// Address Space Registry). Everything outside 2000::/3 is denied anyway;
/// these only give the refusal a better name.
const OTHER_V6: &[(Ipv6Addr, u8, &str)] = &[
    (
        Ipv6Addr::UNSPECIFIED,
        96,
        "ipv4-compatible address (deprecated)",
    ),
    (
        v6(0xfec0, 0, 0, 0, 0, 0, 0, 0),
        10,
        "site-local (deprecated)",
    ),
    (v6(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, "multicast"),
];

/// The NAT64 well-known prefix, 64:ff9b::/96.
const NAT64: Ipv6Addr = v6(0x64, 0xff9b, 0, 0, 0, 0, 0, 0);

/// Global unicast, 2000::/3: the only IPv6 space fetched from.
const GLOBAL_UNICAST: (Ipv6Addr, u8) = (v6(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);

/// `Ipv6Addr::new`, short enough for a table.
#[allow(clippy::too_many_arguments)]
const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, g: u16, h: u16) -> Ipv6Addr {
    Ipv6Addr::new(a, b, c, d, e, f, g, h)
}

/// Why an address is denied, or `None` if it is allowed. The reason
/// starts with the address (the server hides such reasons for host
/// names; see `Reply::fetch_error`).
fn denied_range(ip: IpAddr) -> Option<String> {
    match ip {
        IpAddr::V4(v4) => denied_v4(v4).map(|range| format!("{v4} is in {range}")),
        IpAddr::V6(v6) => denied_v6(v6),
    }
}

/// The IPv4 tables' verdict: `net/len (name)` of the most specific entry
/// that holds `ip`.
fn denied_v4(ip: Ipv4Addr) -> Option<String> {
    let bits = u32::from(ip);
    REGISTRY_V4
        .iter()
        .chain(OTHER_V4)
        .filter(|&&(net, len, _)| bits & mask32(len) == u32::from(net))
        .max_by_key(|&&(_, len, _)| len)
        .map(|&(net, len, name)| format!("{net}/{len} ({name})"))
}

/// The IPv6 tables' verdict, as a whole reason.
fn denied_v6(ip: Ipv6Addr) -> Option<String> {
    let bits = u128::from(ip);
    let within = |net: Ipv6Addr, len: u8| bits & mask128(len) == u128::from(net);

    // NAT64: as good as the IPv4 address inside.
    if within(NAT64, 96) {
        let inner = Ipv4Addr::from(bits as u32);
        return denied_v4(inner).map(|range| {
            format!("{ip} is in {NAT64}/96 (ipv4-ipv6 translation) and holds {inner}, in {range}")
        });
    }
    let named = REGISTRY_V6
        .iter()
        .chain(OTHER_V6)
        .filter(|&&(net, len, _)| within(net, len))
        .max_by_key(|&&(_, len, _)| len);
    if let Some(&(net, len, name)) = named {
        return Some(format!("{ip} is in {net}/{len} ({name})"));
    }
    let (global, len) = GLOBAL_UNICAST;
    (!within(global, len)).then(|| format!("{ip} is outside {global}/{len} (global unicast)"))
}

/// The netmask of a `len`-bit IPv4 prefix.
fn mask32(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

/// The netmask of a `len`-bit IPv6 prefix.
fn mask128(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

/// Which upstream destinations the server may fetch from: the SSRF guard.
///
/// A server that fetches URLs chosen by its clients can be pointed at
/// things only it can reach: its own loopback services, the cloud metadata
/// endpoint at `169.254.169.254`, the private network behind it. The guard
/// refuses those. It is turned into an [`AddressPolicy`], so the client
/// runs it on **every resolved address of every redirect hop** and connects
/// only to addresses it checked (one DNS lookup per hop, no second lookup
/// to race against).
///
/// The rules, in order:
///
/// 1. [`allow_hosts`](Guard::allow_hosts) (`--allow-host`): if a list is
///    given, the URL's host must be on it (exact, case-insensitive match;
///    no subdomains).
/// 2. [`allow_private`](Guard::allow_private) (`--allow-private`) turns the
///    rest of the guard off.
/// 3. [`allow_addrs`](Guard::allow_addrs) (`--allow-addr`): an exact socket
///    address (IP and port) on this list skips rules 4 and 5. This is the
///    seam that lets a test (or an operator) allow one known upstream on
///    loopback without opening up everything.
/// 4. Only ports 80 and 443.
/// 5. No address in the deny table: every block of IANA's IPv4 and IPv6
///    special-purpose address registries (loopback, private-use, shared
///    address space, link local with the cloud metadata endpoint,
///    documentation, benchmarking, IPv4-mapped, Teredo, 6to4,
///    unique-local, and the rest), IPv4 multicast, and any IPv6 address
///    outside global unicast `2000::/3`. The one exception is the NAT64
///    prefix `64:ff9b::/96`, whose embedded IPv4 address is checked
///    against the IPv4 table instead.
///
/// Only `http` and `https` URLs exist at all:
/// [`Url::parse`](crate::url::Url::parse) refuses every other scheme.
///
/// The default is the full guard: public addresses on ports 80 and 443,
/// any host. Start from [`Guard::default`] and set the fields that differ;
/// more rules may be added in later versions (hence `#[non_exhaustive]`).
///
/// # Example
///
/// ```
/// use netcount::server::Guard;
///
/// let mut guard = Guard::default();
/// assert!(guard.check("example.org", "93.184.215.14:443".parse().unwrap()).is_ok());
/// assert!(guard.check("example.org", "93.184.215.14:8080".parse().unwrap()).is_err());
/// assert!(guard.check("localhost", "127.0.0.1:80".parse().unwrap()).is_err());
/// assert!(guard.check("metadata", "169.254.169.254:80".parse().unwrap()).is_err());
///
/// // The test seam: exactly one loopback socket address is allowed.
/// guard.allow_addrs.push("127.0.0.1:8081".parse().unwrap());
/// assert!(guard.check("127.0.0.1", "127.0.0.1:8081".parse().unwrap()).is_ok());
/// assert!(guard.check("127.0.0.1", "127.0.0.1:8082".parse().unwrap()).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Guard {
    /// Turns off the port rule and the deny table (`--allow-private`).
    pub allow_private: bool,
    /// If not empty, the only host names (as written in the URL, compared
    /// case-insensitively) that may be fetched from (`--allow-host`).
    pub allow_hosts: Vec<String>,
    /// Exact socket addresses exempt from the port rule and the deny table
    /// (`--allow-addr`).
    pub allow_addrs: Vec<SocketAddr>,
}

impl Guard {
    /// Checks the host name alone (the allow-list), before any lookup.
    ///
    /// # Example
    ///
    /// ```
    /// let mut guard = netcount::server::Guard::default();
    /// assert!(guard.check_host("www.example.org").is_ok());
    /// guard.allow_hosts.push("example.org".into());
    /// assert!(guard.check_host("EXAMPLE.org").is_ok());
    /// assert!(guard.check_host("www.example.org").is_err());
    /// ```
    pub fn check_host(&self, host: &str) -> Result<(), String> {
        let listed = self.allow_hosts.is_empty()
            || self
                .allow_hosts
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(host));
        if listed {
            Ok(())
        } else {
            Err(format!("host {host} is not on the allowed list"))
        }
    }

    /// Checks one resolved address of `host`: `Err(reason)` refuses it.
    ///
    /// # Example
    ///
    /// ```
    /// let guard = netcount::server::Guard::default();
    /// let refusal = guard.check("h", "[::1]:80".parse().unwrap()).unwrap_err();
    /// assert_eq!(refusal, "::1 is in ::1/128 (loopback address)");
    /// ```
    pub fn check(&self, host: &str, addr: SocketAddr) -> Result<(), String> {
        self.check_host(host)?;
        if self.allow_private || self.allow_addrs.contains(&addr) {
            return Ok(());
        }
        if !matches!(addr.port(), 80 | 443) {
            return Err(format!(
                "port {} is not allowed (only 80 and 443)",
                addr.port()
            ));
        }
        match denied_range(addr.ip()) {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }

    /// The guard as a policy for the [`Client`](crate::Client).
    ///
    /// # Example
    ///
    /// ```
    /// let policy = netcount::server::Guard::default().into_policy();
    /// assert!(policy.check("h", "10.0.0.1:80".parse().unwrap()).is_err());
    /// ```
    pub fn into_policy(self) -> AddressPolicy {
        AddressPolicy::new(move |host, addr| self.check(host, addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(ip: &str) -> Option<String> {
        denied_range(ip.parse().unwrap())
    }

    /// One test per registry entry: the entry's first and last addresses
    /// (or, where a more specific entry takes those, the given probes) are
    /// denied and named by exactly this entry.
    macro_rules! entry {
        ($test:ident, $block:literal, $name:literal, [$($probe:literal),+]) => {
            #[test]
            fn $test() {
                for probe in [$($probe),+] {
                    let ip: IpAddr = probe.parse().unwrap();
                    let expected = format!("{ip} is in {} ({})", $block, $name);
                    assert_eq!(reason(probe), Some(expected), "{probe}");
                }
            }
        };
    }

    // IPv4 Special-Purpose Address Registry, entry by entry.
    entry!(
        v4_this_network,
        "0.0.0.0/8",
        "\"this\" network",
        ["0.0.0.1", "0.255.255.255"]
    );
    entry!(
        v4_this_host,
        "0.0.0.0/32",
        "\"this host on this network\"",
        ["0.0.0.0"]
    );
    entry!(
        v4_private_10,
        "10.0.0.0/8",
        "private-use",
        ["10.0.0.0", "10.255.255.255"]
    );
    entry!(
        v4_shared,
        "100.64.0.0/10",
        "shared address space",
        ["100.64.0.0", "100.127.255.255"]
    );
    entry!(
        v4_loopback,
        "127.0.0.0/8",
        "loopback",
        ["127.0.0.0", "127.255.255.255"]
    );
    entry!(
        v4_link_local,
        "169.254.0.0/16",
        "link local, incl. cloud metadata",
        ["169.254.0.0", "169.254.169.254", "169.254.255.255"]
    );
    entry!(
        v4_private_172,
        "172.16.0.0/12",
        "private-use",
        ["172.16.0.0", "172.31.255.255"]
    );
    entry!(
        v4_ietf,
        "192.0.0.0/24",
        "ietf protocol assignments",
        ["192.0.0.11", "192.0.0.255"]
    );
    entry!(
        v4_service_continuity,
        "192.0.0.0/29",
        "ipv4 service continuity prefix",
        ["192.0.0.0", "192.0.0.7"]
    );
    entry!(
        v4_dummy,
        "192.0.0.8/32",
        "ipv4 dummy address",
        ["192.0.0.8"]
    );
    entry!(
        v4_pcp_anycast,
        "192.0.0.9/32",
        "port control protocol anycast",
        ["192.0.0.9"]
    );
    entry!(
        v4_turn_anycast,
        "192.0.0.10/32",
        "traversal using relays around nat anycast",
        ["192.0.0.10"]
    );
    entry!(
        v4_nat64_discovery_170,
        "192.0.0.170/32",
        "nat64/dns64 discovery",
        ["192.0.0.170"]
    );
    entry!(
        v4_nat64_discovery_171,
        "192.0.0.171/32",
        "nat64/dns64 discovery",
        ["192.0.0.171"]
    );
    entry!(
        v4_test_net_1,
        "192.0.2.0/24",
        "documentation (test-net-1)",
        ["192.0.2.0", "192.0.2.255"]
    );
    entry!(
        v4_as112,
        "192.31.196.0/24",
        "as112-v4",
        ["192.31.196.0", "192.31.196.255"]
    );
    entry!(
        v4_amt,
        "192.52.193.0/24",
        "amt",
        ["192.52.193.0", "192.52.193.255"]
    );
    entry!(
        v4_6to4_relay,
        "192.88.99.0/24",
        "deprecated (6to4 relay anycast)",
        ["192.88.99.0", "192.88.99.255"]
    );
    entry!(
        v4_private_192,
        "192.168.0.0/16",
        "private-use",
        ["192.168.0.0", "192.168.255.255"]
    );
    entry!(
        v4_as112_delegation,
        "192.175.48.0/24",
        "direct delegation as112 service",
        ["192.175.48.0", "192.175.48.255"]
    );
    entry!(
        v4_benchmarking,
        "198.18.0.0/15",
        "benchmarking",
        ["198.18.0.0", "198.19.255.255"]
    );
    entry!(
        v4_test_net_2,
        "198.51.100.0/24",
        "documentation (test-net-2)",
        ["198.51.100.0", "198.51.100.255"]
    );
    entry!(
        v4_test_net_3,
        "203.0.113.0/24",
        "documentation (test-net-3)",
        ["203.0.113.0", "203.0.113.255"]
    );
    entry!(
        v4_reserved,
        "240.0.0.0/4",
        "reserved",
        ["240.0.0.0", "255.255.255.254"]
    );
    entry!(
        v4_limited_broadcast,
        "255.255.255.255/32",
        "limited broadcast",
        ["255.255.255.255"]
    );
    // Beyond the registry.
    entry!(
        v4_multicast,
        "224.0.0.0/4",
        "multicast",
        ["224.0.0.0", "239.255.255.255"]
    );

    // IPv6 Special-Purpose Address Registry, entry by entry (64:ff9b::/96
    // has its own test below).
    entry!(v6_loopback, "::1/128", "loopback address", ["::1"]);
    entry!(v6_unspecified, "::/128", "unspecified address", ["::"]);
    entry!(
        v6_ipv4_mapped,
        "::ffff:0.0.0.0/96",
        "ipv4-mapped address",
        [
            "::ffff:0.0.0.0",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::ffff:255.255.255.255"
        ]
    );
    entry!(
        v6_local_nat64,
        "64:ff9b:1::/48",
        "local-use ipv4-ipv6 translation",
        ["64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_discard,
        "100::/64",
        "discard-only address block",
        ["100::", "100::ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_dummy,
        "100:0:0:1::/64",
        "dummy ipv6 prefix",
        ["100:0:0:1::", "100::1:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_ietf,
        "2001::/23",
        "ietf protocol assignments",
        [
            "2001:100::",
            "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
            "2001:1::4",
            "2001:4::"
        ]
    );
    entry!(
        v6_teredo,
        "2001::/32",
        "teredo",
        ["2001::", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_pcp_anycast,
        "2001:1::1/128",
        "port control protocol anycast",
        ["2001:1::1"]
    );
    entry!(
        v6_turn_anycast,
        "2001:1::2/128",
        "traversal using relays around nat anycast",
        ["2001:1::2"]
    );
    entry!(
        v6_srp_anycast,
        "2001:1::3/128",
        "dns-sd service registration protocol anycast",
        ["2001:1::3"]
    );
    entry!(
        v6_benchmarking,
        "2001:2::/48",
        "benchmarking",
        ["2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_amt,
        "2001:3::/32",
        "amt",
        ["2001:3::", "2001:3:ffff:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_as112,
        "2001:4:112::/48",
        "as112-v6",
        ["2001:4:112::", "2001:4:112:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_orchid,
        "2001:10::/28",
        "deprecated (previously orchid)",
        ["2001:10::", "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_orchid_v2,
        "2001:20::/28",
        "orchidv2",
        ["2001:20::", "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_drip,
        "2001:30::/28",
        "drone remote id protocol entity tags (dets) prefix",
        ["2001:30::", "2001:3f:ffff:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_documentation,
        "2001:db8::/32",
        "documentation",
        ["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_6to4,
        "2002::/16",
        "6to4",
        [
            "2002::",
            "2002:7f00:1::1",
            "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        ]
    );
    entry!(
        v6_as112_delegation,
        "2620:4f:8000::/48",
        "direct delegation as112 service",
        ["2620:4f:8000::", "2620:4f:8000:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_documentation_3fff,
        "3fff::/20",
        "documentation",
        ["3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_srv6,
        "5f00::/16",
        "segment routing (srv6) sids",
        ["5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_unique_local,
        "fc00::/7",
        "unique-local",
        [
            "fc00::",
            "fd12:3456::1",
            "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        ]
    );
    entry!(
        v6_link_local,
        "fe80::/10",
        "link-local unicast",
        [
            "fe80::",
            "fe80::1",
            "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        ]
    );
    // Beyond the registry.
    entry!(
        v6_ipv4_compatible,
        "::/96",
        "ipv4-compatible address (deprecated)",
        ["::2", "::127.0.0.1", "::8.8.8.8"]
    );
    entry!(
        v6_site_local,
        "fec0::/10",
        "site-local (deprecated)",
        ["fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]
    );
    entry!(
        v6_multicast,
        "ff00::/8",
        "multicast",
        [
            "ff00::",
            "ff02::1",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        ]
    );

    #[test]
    fn v6_nat64_is_as_good_as_the_ipv4_address_inside() {
        assert_eq!(
            reason("64:ff9b::a00:1"),
            Some(
                "64:ff9b::a00:1 is in 64:ff9b::/96 (ipv4-ipv6 translation) and holds 10.0.0.1, \
                 in 10.0.0.0/8 (private-use)"
                    .to_string()
            )
        );
        assert!(reason("64:ff9b::7f00:1")
            .unwrap()
            .contains("127.0.0.0/8 (loopback)"));
        assert_eq!(reason("64:ff9b::808:808"), None);
        assert_eq!(reason("64:ff9b::8.8.4.4"), None);
    }

    #[test]
    fn the_tables_are_sorted_well_formed_and_complete() {
        // No host bits set in any network: each entry means what it says.
        for &(net, len, name) in REGISTRY_V4.iter().chain(OTHER_V4) {
            assert_eq!(u32::from(net) & !mask32(len), 0, "{net}/{len} {name}");
        }
        for &(net, len, name) in REGISTRY_V6.iter().chain(OTHER_V6) {
            assert_eq!(u128::from(net) & !mask128(len), 0, "{net}/{len} {name}");
        }
        // The registries' row counts (192.0.0.170 and .171 share a row
        // there; they are two entries here).
        assert_eq!(REGISTRY_V4.len(), 25);
        assert_eq!(REGISTRY_V6.len(), 25);
    }

    #[test]
    fn the_neighbours_of_the_blocks_are_allowed() {
        for ip in [
            "1.0.0.0",
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "191.255.255.255",
            "192.0.1.0",
            "192.0.3.0",
            "192.31.195.255",
            "192.31.197.0",
            "192.52.192.255",
            "192.52.194.0",
            "192.88.98.255",
            "192.88.100.0",
            "192.167.255.255",
            "192.169.0.0",
            "192.175.47.255",
            "192.175.49.0",
            "198.17.255.255",
            "198.20.0.0",
            "198.51.99.255",
            "198.51.101.0",
            "203.0.112.255",
            "203.0.114.0",
            "223.255.255.255",
            "2001:200::",
            "2001:4860::8888",
            "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
            "2001:db9::",
            "2003::",
            "2606:4700::1111",
            "2620:4f:7fff:ffff:ffff:ffff:ffff:ffff",
            "2620:4f:8001::",
            "2a00:1450::1",
            "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "3fff:1000::",
        ] {
            assert_eq!(reason(ip), None, "{ip} should be allowed");
        }
    }

    #[test]
    fn ipv6_outside_global_unicast_is_denied_by_name_or_by_rule() {
        assert_eq!(
            reason("4000::1"),
            Some("4000::1 is outside 2000::/3 (global unicast)".to_string())
        );
        assert_eq!(
            reason("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            Some(
                "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff is outside 2000::/3 (global unicast)"
                    .to_string()
            )
        );
        assert!(reason("fbff::1").unwrap().contains("outside 2000::/3"));
    }

    #[test]
    fn ports_hosts_and_the_exemptions() {
        let public: SocketAddr = "8.8.8.8:80".parse().unwrap();
        let guard = Guard::default();
        assert!(guard.check("a", public).is_ok());
        assert!(guard.check("a", "8.8.8.8:443".parse().unwrap()).is_ok());
        assert!(guard.check("a", "8.8.8.8:8080".parse().unwrap()).is_err());
        assert!(guard.check("a", "8.8.8.8:0".parse().unwrap()).is_err());

        let listed = Guard {
            allow_hosts: vec!["a.example".into()],
            ..Guard::default()
        };
        assert!(listed.check("A.Example", public).is_ok());
        assert!(listed.check("b.example", public).is_err());

        let open = Guard {
            allow_private: true,
            ..listed.clone()
        };
        assert!(open
            .check("a.example", "127.0.0.1:9".parse().unwrap())
            .is_ok());
        assert!(open
            .check("b.example", "127.0.0.1:9".parse().unwrap())
            .is_err());

        let seam: SocketAddr = "127.0.0.1:8081".parse().unwrap();
        let exempt = Guard {
            allow_addrs: vec![seam],
            ..Guard::default()
        };
        assert!(exempt.check("127.0.0.1", seam).is_ok());
        assert!(exempt
            .check("127.0.0.1", "127.0.0.2:8081".parse().unwrap())
            .is_err());
        assert!(exempt
            .check("127.0.0.1", "127.0.0.1:80".parse().unwrap())
            .is_err());
    }
}
