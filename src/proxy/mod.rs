//! Forward proxies: which one a URL goes through, from a URL or from the
//! environment.
//!
//! A [`Proxy`] names the proxy server for `http` URLs and the one for
//! `https` URLs (usually the same), and the hosts reached directly (the
//! no-proxy list). Give it to
//! [`ClientBuilder::proxy`](crate::ClientBuilder::proxy), or let
//! [`ClientBuilder::proxy_from_env`](crate::ClientBuilder::proxy_from_env)
//! read it from the environment as curl does. Nothing is read from the
//! environment unless asked.
//!
//! How the client talks to a proxy (`connect::proxy` has the details):
//!
//! - `http://` URLs: the request goes to the proxy, naming the whole URL
//!   (`GET http://example.org/ HTTP/1.1`);
//! - `https://` URLs: the client asks the proxy for a tunnel (`CONNECT
//!   example.org:443`), then runs TLS with the server through it: the
//!   certificate is checked against the server's name, so the proxy sees
//!   only encrypted bytes;
//! - credentials in the proxy URL (`http://user:password@proxy:3128`) go
//!   to the proxy only, as `Proxy-Authorization: Basic`.
//!
//! Only `http://` proxies are supported (not TLS to the proxy, not SOCKS).
//! A proxy URL without a scheme is `http://`, and one without a port uses
//! port 1080, as curl does.

mod env;
mod no_proxy;

use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use crate::http::auth;
use crate::url::{redact_credentials, Host, Scheme, Url};

pub(crate) use no_proxy::NoProxy;

/// The port of a proxy URL that names none (curl's default).
const DEFAULT_PORT: u16 = 1080;

/// Which proxy each URL goes through, if any.
///
/// # Example
///
/// ```
/// use netcount::{url::Url, Proxy};
///
/// let proxy = Proxy::parse("http://proxy.example:3128")?.no_proxy("localhost, .internal");
/// let through = proxy.for_url(&Url::parse("https://example.org/")?);
/// assert_eq!(through.map(|p| p.to_string()), Some("http://proxy.example:3128/".into()));
/// assert!(proxy.for_url(&Url::parse("http://wiki.internal/")?).is_none());
/// # Ok::<(), netcount::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// The proxy for `http` URLs; `None`: connect directly. Shared with
    /// `https` when one proxy serves both.
    http: Option<Arc<ProxyServer>>,
    /// The proxy for `https` URLs; `None`: connect directly.
    https: Option<Arc<ProxyServer>>,
    /// Hosts reached directly, whichever the scheme.
    no_proxy: NoProxy,
}

/// One proxy server.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ProxyServer {
    /// `http://host:port/`, with the credentials it was given (which its
    /// `Display` never shows).
    url: Url,
    /// `Proxy-Authorization`, from the URL's credentials.
    authorization: Option<String>,
}

impl Proxy {
    /// A proxy for every URL, from its URL: `http://[user:password@]host[:port]`.
    ///
    /// Without a scheme the URL is `http://`; without a port, port 1080 (as
    /// curl reads it). A trailing `/` is fine; any other path or a query is
    /// refused, as are other schemes (`https://` proxies and SOCKS are not
    /// supported).
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{url::Url, Proxy, Error};
    ///
    /// let target = Url::parse("http://example.org/")?;
    /// let proxy = Proxy::parse("proxy.example")?;
    /// assert_eq!(proxy.for_url(&target).unwrap().port(), 1080);
    ///
    /// // Credentials are kept for the proxy, never shown.
    /// let proxy = Proxy::parse("http://ann:s3cret@10.0.0.1:3128/")?;
    /// assert_eq!(proxy.for_url(&target).unwrap().to_string(), "http://10.0.0.1:3128/");
    /// assert!(!format!("{proxy:?}").contains("s3cret"));
    ///
    /// let error = Proxy::parse("socks5://10.0.0.1:1080").unwrap_err();
    /// assert!(matches!(error, Error::InvalidProxy { .. }), "{error}");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn parse(url: &str) -> Result<Proxy, Error> {
        let server = ProxyServer::parse(url).map_err(|reason| Error::InvalidProxy {
            proxy: redact_credentials(url).into_owned(),
            reason,
        })?;
        let server = Arc::new(server);
        Ok(Proxy {
            http: Some(server.clone()),
            https: Some(server),
            no_proxy: NoProxy::default(),
        })
    }

    /// Sets the hosts reached directly, replacing any list before: names
    /// (each with the names under it), IP addresses, CIDR ranges, each
    /// optionally with `:port`, or `*` for every host. Separated by commas
    /// or spaces, as in `NO_PROXY`.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{url::Url, Proxy};
    ///
    /// let proxy = Proxy::parse("http://10.0.0.1:3128")?
    ///     .no_proxy("example.com, 192.168.0.0/16, [::1]:8080");
    /// for direct in ["http://www.example.com/", "http://192.168.4.2/", "http://[::1]:8080/"] {
    ///     assert!(proxy.for_url(&Url::parse(direct)?).is_none(), "{direct}");
    /// }
    /// assert!(proxy.for_url(&Url::parse("http://[::1]:8081/")?).is_some());
    /// assert!(proxy.no_proxy("*").for_url(&Url::parse("http://a.example/")?).is_none());
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn no_proxy(mut self, list: &str) -> Proxy {
        self.no_proxy = NoProxy::parse(list);
        self
    }

    /// The proxy settings in the process environment, read as curl reads
    /// them; `Ok(None)` when no proxy is set. See [`Proxy::from_lookup`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// let client = match netcount::Proxy::from_env()? {
    ///     Some(proxy) => netcount::Client::builder().proxy(proxy).build(),
    ///     None => netcount::Client::new(),
    /// };
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn from_env() -> Result<Option<Proxy>, Error> {
        Proxy::from_lookup(|name| std::env::var(name).ok())
    }

    /// The proxy settings found by `lookup`, which maps a variable name to
    /// its value; [`Proxy::from_env`] passes the process environment.
    ///
    /// | URL | variables, first one set wins |
    /// | --- | --- |
    /// | `http://` | `http_proxy` (lower case only), then `all_proxy`, `ALL_PROXY` |
    /// | `https://` | `https_proxy`, `HTTPS_PROXY`, then `all_proxy`, `ALL_PROXY` |
    /// | exceptions | `no_proxy`, `NO_PROXY` (as [`Proxy::no_proxy`]) |
    ///
    /// Upper-case `HTTP_PROXY` is ignored, as curl ignores it: CGI programs
    /// receive request headers as `HTTP_*` variables, so a request could
    /// set it. A variable set to the empty string means "no proxy" for its
    /// schemes, without falling through to `ALL_PROXY`. Returns `Ok(None)`
    /// when neither scheme has a proxy.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{url::Url, Proxy};
    ///
    /// let env = |name: &str| match name {
    ///     "HTTP_PROXY" => Some("http://ignored:1".to_string()),
    ///     "HTTPS_PROXY" => Some("http://secure-proxy:3128".to_string()),
    ///     "ALL_PROXY" => Some("http://any-proxy:3128".to_string()),
    ///     "NO_PROXY" => Some(".internal".to_string()),
    ///     _ => None,
    /// };
    /// let proxy = Proxy::from_lookup(env)?.expect("a proxy is set");
    /// let via = |url: &str| proxy.for_url(&Url::parse(url).unwrap()).map(|p| p.host_str().to_string());
    /// assert_eq!(via("https://example.org/").as_deref(), Some("secure-proxy"));
    /// assert_eq!(via("http://example.org/").as_deref(), Some("any-proxy"));
    /// assert_eq!(via("https://db.internal/"), None);
    ///
    /// assert!(Proxy::from_lookup(|_| None)?.is_none());
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Proxy>, Error> {
        let server = |own: &[&'static str]| match env::proxy_var(&lookup, own) {
            None => Ok(None),
            Some((name, value)) => ProxyServer::parse(&value)
                .map(|server| Some(Arc::new(server)))
                .map_err(|reason| Error::InvalidProxy {
                    proxy: format!("{name}={}", redact_credentials(&value)),
                    reason,
                }),
        };
        let http = server(env::HTTP)?;
        let https = server(env::HTTPS)?;
        if http.is_none() && https.is_none() {
            return Ok(None);
        }
        let no_proxy = env::first(&lookup, env::NO_PROXY)
            .map(|(_, list)| NoProxy::parse(&list))
            .unwrap_or_default();
        Ok(Some(Proxy {
            http,
            https,
            no_proxy,
        }))
    }

    /// The proxy `url` goes through (its URL, whose `Display` never shows
    /// credentials), or `None` when `url` is reached directly.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::{url::Url, Proxy};
    ///
    /// let proxy = Proxy::parse("http://10.0.0.1:3128")?.no_proxy("localhost");
    /// assert_eq!(proxy.for_url(&Url::parse("http://example.org/")?).unwrap().port(), 3128);
    /// assert!(proxy.for_url(&Url::parse("http://localhost:8080/")?).is_none());
    /// # Ok::<(), netcount::Error>(())
    /// ```
    pub fn for_url(&self, url: &Url) -> Option<&Url> {
        self.server_for(url).map(|server| &server.url)
    }

    /// The proxy server `url` goes through, if any.
    pub(crate) fn server_for(&self, url: &Url) -> Option<&ProxyServer> {
        let server = match url.scheme() {
            Scheme::Http => self.http.as_deref(),
            Scheme::Https => self.https.as_deref(),
        }?;
        if self.no_proxy.matches(url) {
            return None;
        }
        Some(server)
    }
}

impl ProxyServer {
    /// Reads a proxy URL; the error is the reason only, which never quotes
    /// the credentials.
    fn parse(text: &str) -> Result<ProxyServer, String> {
        let with_scheme = match text.split_once("://") {
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("http") => text.to_string(),
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => {
                return Err(
                    "https:// proxies (tls to the proxy) are not supported; use http://".into(),
                )
            }
            Some((scheme, _)) if scheme.to_ascii_lowercase().starts_with("socks") => {
                return Err("socks proxies are not supported; use an http:// proxy".into())
            }
            Some((scheme, _)) => {
                return Err(format!(
                    "unsupported proxy scheme {scheme:?} (only http://)"
                ))
            }
            None => format!("http://{text}"),
        };
        let url = Url::parse(&with_scheme).map_err(|error| match error {
            Error::InvalidUrl { reason, .. } => reason,
            other => other.to_string(),
        })?;
        if url.path() != "/" || url.query().is_some() {
            return Err("a proxy url is scheme://host:port, with no path or query".into());
        }
        let url = if has_explicit_port(&with_scheme) {
            url
        } else {
            url.with_port(DEFAULT_PORT)
        };
        let authorization = url
            .credentials()
            .map(|credentials| auth::basic(&credentials.user(), &credentials.password()));
        Ok(ProxyServer { url, authorization })
    }

    /// The proxy's URL, with its credentials.
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// `Proxy-Authorization`, if the URL had credentials.
    pub(crate) fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref()
    }

    /// `host:port`, for messages (IPv6 in brackets, the port always).
    pub(crate) fn address(&self) -> String {
        match self.url.host() {
            Host::Ipv6(ip) => format!("[{ip}]:{}", self.url.port()),
            host => format!("{host}:{}", self.url.port()),
        }
    }
}

impl fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyServer")
            .field("url", &self.url.to_string())
            .field("credentials", &self.authorization.is_some())
            .finish()
    }
}

/// Whether an `http://` URL (already known to parse) writes a port: text
/// after a `:` following the host, past any credentials and IPv6 brackets.
fn has_explicit_port(url: &str) -> bool {
    let rest = &url[url.find("://").map_or(0, |i| i + 3)..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let after_host = match host_port.rfind(']') {
        Some(bracket) => &host_port[bracket + 1..],
        None => host_port,
    };
    after_host
        .split_once(':')
        .is_some_and(|(_, port)| !port.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashMap;

    fn server(text: &str) -> ProxyServer {
        ProxyServer::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn proxy_urls_default_to_http_and_port_1080() {
        for (text, shown) in [
            ("http://proxy:3128", "http://proxy:3128/"),
            ("HTTP://Proxy:3128/", "http://proxy:3128/"),
            ("proxy:3128", "http://proxy:3128/"),
            ("proxy", "http://proxy:1080/"),
            ("http://proxy", "http://proxy:1080/"),
            ("http://proxy:", "http://proxy:1080/"),
            ("http://proxy:80", "http://proxy/"),
            ("http://[::1]", "http://[::1]:1080/"),
            ("http://[::1]:3128", "http://[::1]:3128/"),
            ("u:p@proxy", "http://proxy:1080/"),
            ("http://u:p@10.0.0.1:8080/", "http://10.0.0.1:8080/"),
        ] {
            assert_eq!(server(text).url.to_string(), shown, "{text}");
        }
        assert_eq!(server("http://proxy:80").url.port(), 80);
        assert_eq!(server("http://[::1]").address(), "[::1]:1080");
        assert_eq!(server("http://u:p@proxy:80").address(), "proxy:80");
    }

    #[test]
    fn credentials_become_proxy_authorization() {
        assert_eq!(
            server("http://Aladdin:open%20sesame@proxy:1").authorization(),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        assert_eq!(server("http://proxy:1").authorization(), None);
        let debug = format!("{:?}", server("http://ann:s3cret@proxy:1"));
        assert!(
            !debug.contains("s3cret") && !debug.contains("Basic"),
            "{debug}"
        );
    }

    #[test]
    fn unusable_proxy_urls_are_refused_with_a_reason() {
        for (text, reason) in [
            ("https://proxy:3128", "https:// proxies"),
            ("socks5://proxy:1080", "socks proxies"),
            ("socks5h://proxy:1080", "socks proxies"),
            ("ftp://proxy", "unsupported proxy scheme \"ftp\""),
            ("http://proxy:3128/path", "no path or query"),
            ("http://proxy:3128/?x", "no path or query"),
            ("http://proxy:99999", "out of range"),
            ("http://", "empty host"),
            ("", "empty host"),
            ("http://pro xy", "space"),
        ] {
            let error = ProxyServer::parse(text).unwrap_err();
            assert!(error.contains(reason), "{text}: {error}");
        }
        let error = Proxy::parse("http://ann:s3cret@proxy:3128/x").unwrap_err();
        assert!(!error.to_string().contains("s3cret"), "{error}");
        assert!(error.to_string().contains("***@proxy"), "{error}");
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    /// The proxy host `url` goes through with the environment `pairs`.
    fn via(pairs: &[(&str, &str)], url: &str) -> Option<String> {
        let proxy = Proxy::from_lookup(env(pairs)).unwrap()?;
        let url = Url::parse(url).unwrap();
        proxy.for_url(&url).map(|p| p.host_str().to_string())
    }

    #[test]
    fn the_environment_is_read_as_curl_reads_it() {
        let all = [
            ("http_proxy", "http://lower-http:1"),
            ("HTTP_PROXY", "http://upper-http:1"),
            ("https_proxy", "http://lower-https:1"),
            ("HTTPS_PROXY", "http://upper-https:1"),
            ("all_proxy", "http://lower-all:1"),
            ("ALL_PROXY", "http://upper-all:1"),
        ];
        assert_eq!(via(&all, "http://a/").as_deref(), Some("lower-http"));
        assert_eq!(via(&all, "https://a/").as_deref(), Some("lower-https"));
        // Without the lower-case names: HTTP_PROXY is never read.
        let upper = [all[1], all[3], all[5]];
        assert_eq!(via(&upper, "http://a/").as_deref(), Some("upper-all"));
        assert_eq!(via(&upper, "https://a/").as_deref(), Some("upper-https"));
        assert_eq!(via(&[all[1]], "http://a/"), None);
        assert!(Proxy::from_lookup(env(&[all[1]])).unwrap().is_none());
        // Only https has a proxy: http goes direct.
        assert_eq!(via(&[all[3]], "http://a/"), None);
        assert_eq!(via(&[all[3]], "https://a/").as_deref(), Some("upper-https"));
    }

    #[test]
    fn the_environment_exception_list_applies_to_both_schemes() {
        let set = [
            ("all_proxy", "http://p:1"),
            ("NO_PROXY", "upper.example"),
            ("no_proxy", "lower.example, 10.0.0.0/8"),
        ];
        for scheme in ["http", "https"] {
            assert_eq!(via(&set, &format!("{scheme}://x.lower.example/")), None);
            assert_eq!(via(&set, &format!("{scheme}://10.9.8.7/")), None);
            assert_eq!(
                via(&set, &format!("{scheme}://upper.example/")).as_deref(),
                Some("p"),
                "no_proxy wins over NO_PROXY"
            );
        }
        assert_eq!(via(&set[..2], "https://upper.example/"), None);
        assert_eq!(
            via(&[set[0], ("NO_PROXY", "*")], "https://a.example/"),
            None
        );
    }

    #[test]
    fn a_bad_variable_is_named_in_the_error_without_its_credentials() {
        let error =
            Proxy::from_lookup(env(&[("HTTPS_PROXY", "socks5://u:s3cret@p:1")])).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("HTTPS_PROXY=socks5://***@p:1"), "{text}");
        assert!(text.contains("socks proxies are not supported"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
        // An empty value is "no proxy", not an error.
        assert!(Proxy::from_lookup(env(&[("http_proxy", "")]))
            .unwrap()
            .is_none());
    }

    #[test]
    fn an_explicit_port_is_told_from_a_missing_one() {
        for (url, explicit) in [
            ("http://h:1/", true),
            ("http://h/", false),
            ("http://h:/", false),
            ("http://u:p@h/", false),
            ("http://u:p@h:2", true),
            ("http://[::1]/", false),
            ("http://[::1]:3/", true),
            ("http://u:p@[::1]", false),
        ] {
            assert_eq!(has_explicit_port(url), explicit, "{url}");
        }
    }
}
