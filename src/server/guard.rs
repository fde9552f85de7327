//! The SSRF guard: which destinations the web API may fetch from. The
//! rules are documented on [`Guard`]; the deny table is here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::connect::AddressPolicy;

/// IPv4 ranges that are never fetched from: `(network, prefix length, name)`.
const DENIED_V4: &[(Ipv4Addr, u8, &str)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, "\"this\" network"),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private"),
    (
        Ipv4Addr::new(100, 64, 0, 0),
        10,
        "shared address space (cgnat)",
    ),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback"),
    (
        Ipv4Addr::new(169, 254, 0, 0),
        16,
        "link-local, incl. cloud metadata",
    ),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private"),
    (Ipv4Addr::new(192, 0, 0, 0), 24, "ietf protocol assignments"),
    (Ipv4Addr::new(192, 0, 2, 0), 24, "documentation"),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "private"),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "benchmarking"),
    (Ipv4Addr::new(198, 51, 100, 0), 24, "documentation"),
    (Ipv4Addr::new(203, 0, 113, 0), 24, "documentation"),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast"),
    (Ipv4Addr::new(240, 0, 0, 0), 4, "reserved"),
    (Ipv4Addr::new(255, 255, 255, 255), 32, "broadcast"),
];

/// IPv6 ranges that are never fetched from: `(network, prefix length, name)`.
///
/// `::ffff:0:0/96` (IPv4-mapped) and `::/96` (IPv4-compatible) are not
/// listed: their embedded IPv4 address is checked against [`DENIED_V4`]
/// instead (which also covers `::` and `::1`, listed for clarity).
const DENIED_V6: &[(Ipv6Addr, u8, &str)] = &[
    (Ipv6Addr::UNSPECIFIED, 128, "unspecified"),
    (Ipv6Addr::LOCALHOST, 128, "loopback"),
    (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96, "nat64"),
    (
        Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        "local-use nat64",
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        "discard-only",
    ),
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32, "teredo"),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation",
    ),
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16, "6to4"),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        "unique local",
    ),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, "link-local"),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10, "site-local"),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, "multicast"),
];

/// Why an address is denied: the range it falls in and that range's name,
/// or `None` if it is allowed.
fn denied_range(ip: IpAddr) -> Option<String> {
    match ip {
        IpAddr::V4(v4) => denied_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return denied_v4(v4).map(|range| format!("{range}, embedded in {v6}"));
            }
            let bits = u128::from(v6);
            DENIED_V6.iter().find_map(|&(net, len, name)| {
                (bits & mask128(len) == u128::from(net)).then(|| format!("{net}/{len} ({name})"))
            })
        }
    }
}

/// The IPv4 table's verdict on one address.
fn denied_v4(ip: Ipv4Addr) -> Option<String> {
    let bits = u32::from(ip);
    DENIED_V4.iter().find_map(|&(net, len, name)| {
        (bits & mask32(len) == u32::from(net)).then(|| format!("{net}/{len} ({name})"))
    })
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or
/// IPv4-compatible (`::a.b.c.d`, which includes `::` and `::1`) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    match ip.segments() {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] => {
            Some(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)))
        }
        _ => None,
    }
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
/// 5. No address in the deny table: "this" network, loopback, private,
///    CGNAT, link-local (cloud metadata), IETF protocol assignments,
///    documentation, benchmarking, multicast, reserved and broadcast for
///    IPv4; unspecified, loopback, NAT64, discard-only, Teredo,
///    documentation, 6to4, unique-local, link-local, site-local and
///    multicast for IPv6. An IPv6 address that carries an IPv4 address
///    (`::ffff:a.b.c.d` mapped, `::a.b.c.d` compatible) is checked against
///    the IPv4 table.
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
    /// let refusal = guard.check("h", "[::ffff:127.0.0.1]:80".parse().unwrap()).unwrap_err();
    /// assert!(refusal.contains("127.0.0.0/8"), "{refusal}");
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
            Some(range) => Err(format!("{} is in {range}", addr.ip())),
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

    fn denied(ip: &str) -> bool {
        denied_range(ip.parse().unwrap()).is_some()
    }

    #[test]
    fn a_refusal_names_the_range() {
        assert_eq!(
            denied_range("169.254.169.254".parse().unwrap()),
            Some("169.254.0.0/16 (link-local, incl. cloud metadata)".to_string())
        );
        assert_eq!(
            denied_range("::ffff:10.1.2.3".parse().unwrap()),
            Some("10.0.0.0/8 (private), embedded in ::ffff:10.1.2.3".to_string())
        );
        assert_eq!(denied_range("93.184.215.14".parse().unwrap()), None);
    }

    #[test]
    fn the_ipv4_table() {
        for ip in [
            "0.0.0.0",
            "0.255.255.255",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(denied(ip), "{ip} should be denied");
        }
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "128.0.0.1",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "192.0.3.1",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
        ] {
            assert!(!denied(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn the_ipv6_table_and_embedded_ipv4() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::808:808",
            "64:ff9b:1::1",
            "2001::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(denied(ip), "{ip} should be denied");
        }
        for ip in [
            "2606:4700::1111",
            "2a00:1450::1",
            "::ffff:8.8.8.8",
            "::8.8.8.8",
            "2001:4860::8888",
            "fbff::1",
        ] {
            assert!(!denied(ip), "{ip} should be allowed");
        }
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
