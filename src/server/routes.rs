//! The routes: which path does what.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /DotNetCount` | the count of `.NET` at the default URL, as a JSON number |
//! | `GET /count?url=..&needle=..&ignore_case=1&overlapping=1` | the JSON report |
//! | `GET /count?url=..&regex=..&ignore_case=1` | the JSON report of a pattern's matches |
//! | `GET /healthz` | `ok` |
//! | `GET /metrics` | counters in the Prometheus text format |
//!
//! `HEAD` works on each (and does the same work, so the length is right);
//! any other method is 405 with `Allow`; any other path is 404.
//!
//! A client's pattern runs on this server's threads, so it is held to less
//! than the library's defaults: a smaller compiled size and cache
//! ([`REGEX_SIZE_LIMIT`], [`REGEX_CACHE`]), and a pattern that makes the
//! engine build a state for almost every byte stops with 422 instead of
//! counting at kilobytes per second
//! ([`fail_when_thrashing`](crate::pattern::StreamRegexBuilder::fail_when_thrashing)).

use std::time::{Duration, Instant};

use crate::counter::{Counter, CounterOptions};
use crate::deadline;
use crate::matcher::Matcher;
use crate::url::Url;
use crate::{Report, DEFAULT_NEEDLE};

use super::metrics::RouteLabel;
use super::query;
use super::reply::Reply;
use super::request::Request;
use super::via;
use super::App;

/// The largest compiled pattern `regex=` accepts (the library allows
/// 10 MiB): compiling takes milliseconds, not tens of them.
#[cfg(feature = "regex")]
pub(crate) const REGEX_SIZE_LIMIT: usize = 1024 * 1024;

/// The lazy DFA cache of one `regex=` count (the library's default is
/// 2 MiB): the most memory a pattern's states take per fetch in flight.
#[cfg(feature = "regex")]
pub(crate) const REGEX_CACHE: usize = 1024 * 1024;

/// The methods every route allows.
const ALLOW: &str = "GET, HEAD";

/// The `Content-Type` of `/metrics` (Prometheus text format 0.0.4).
const METRICS_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// An answer and what the access log and metrics want to know about it.
#[derive(Debug)]
pub(crate) struct Answer {
    /// What to write.
    pub reply: Reply,
    /// The route it came from.
    pub route: RouteLabel,
    /// Time spent on the upstream fetch, if this request's answer came
    /// from one (its own or a shared one).
    pub upstream: Option<Duration>,
    /// For fetching routes: `miss`, `shared` or `hit`.
    pub cache: Option<&'static str>,
    /// What the reply leaves out, for the log.
    pub detail: Option<String>,
}

impl Answer {
    /// An answer that fetched nothing.
    fn plain(route: RouteLabel, reply: Reply) -> Answer {
        Answer {
            reply,
            route,
            upstream: None,
            cache: None,
            detail: None,
        }
    }
}

/// What identical requests share: the same URL and the same thing counted
/// the same way give the same count.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    /// The URL, as normalised by [`Url`].
    url: String,
    /// What is counted.
    wanted: Wanted,
}

/// What a request counts, exactly as asked: the needle's bytes (not a
/// lossy text, so two needles never share a key) or the pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Wanted {
    /// `needle=` (or the default) and how it is matched.
    Needle(Vec<u8>, CounterOptions),
    /// `regex=`, and whether it ignores case.
    Regex(String, bool),
}

/// The parameters of a count: where, and what.
#[derive(Debug)]
struct CountParams {
    /// The URL to fetch.
    url: Url,
    /// What to count with.
    matcher: Matcher,
    /// What is counted, for the cache and single flight.
    wanted: Wanted,
}

/// A fetch's outcome, as shared between identical requests.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    /// The report, or the reply that says why there is none and what it
    /// leaves out.
    pub result: Result<Report, (Reply, Option<String>)>,
    /// Time spent upstream (`None` if nothing was sent upstream).
    pub took: Option<Duration>,
}

/// Answers one request.
pub(crate) async fn respond(request: &Request, app: &App) -> Answer {
    // Find the route, then check the method.
    let route = match request.path.as_str() {
        "/count" => RouteLabel::Count,
        "/healthz" => RouteLabel::Health,
        "/metrics" => RouteLabel::Metrics,
        path if path.eq_ignore_ascii_case("/DotNetCount") => RouteLabel::DotNetCount,
        path => {
            let reply = Reply::error(404, "not_found", &format!("no route for {path}"));
            return Answer::plain(RouteLabel::Other, reply);
        }
    };
    if !matches!(request.method.as_str(), "GET" | "HEAD") {
        let reply = Reply::error(
            405,
            "method_not_allowed",
            &format!("method {} is not allowed; use GET or HEAD", request.method),
        )
        .with_header("Allow", ALLOW);
        return Answer::plain(route, reply);
    }

    // A request this process sent: answering it would fetch again, and
    // again.
    if via::names_us(&request.via) {
        let reply = Reply::error(
            508,
            "loop_detected",
            "this request was sent by this server; fetching it would loop",
        );
        return Answer::plain(route, reply);
    }

    match route {
        RouteLabel::Health => Answer::plain(route, Reply::text(200, "ok")),
        RouteLabel::Metrics => {
            let mut reply = Reply::text(200, "");
            reply.body = app.metrics.render(app.table.len());
            reply.content_type = METRICS_TYPE;
            Answer::plain(route, reply)
        }
        RouteLabel::DotNetCount => {
            let counter = Counter::new(DEFAULT_NEEDLE).expect("the needle is not empty");
            let params = CountParams {
                url: app.default_url.clone(),
                matcher: Matcher::from(counter),
                wanted: Wanted::Needle(DEFAULT_NEEDLE.into(), CounterOptions::default()),
            };
            count(app, request, route, params, |report| {
                report.count.to_string()
            })
            .await
        }
        RouteLabel::Count => {
            let params = match count_params(request.query.as_deref()) {
                Ok(params) => params,
                Err(message) => {
                    return Answer::plain(route, Reply::error(400, "bad_request", &message))
                }
            };
            count(app, request, route, params, Report::to_json).await
        }
        RouteLabel::Other => unreachable!("not a route"),
    }
}

/// Counts at `url`, from the cache, another request's fetch in flight, or
/// a fetch of its own; `body` turns the report into the JSON answer.
async fn count(
    app: &App,
    request: &Request,
    route: RouteLabel,
    params: CountParams,
    body: impl Fn(&Report) -> String,
) -> Answer {
    let CountParams {
        url,
        matcher,
        wanted,
    } = params;
    let key = Key {
        url: url.to_string(),
        wanted,
    };

    // A fresh answer in the cache.
    if let Some((report, age)) = app.cache.get(&key, Instant::now()) {
        app.metrics.cache_hit();
        let reply = Reply::json(200, body(&report)).with_header("Age", age.as_secs().to_string());
        return Answer {
            cache: Some("hit"),
            ..Answer::plain(route, reply)
        };
    }

    // Share the fetch of an identical request in flight, or fetch.
    let joined = || app.metrics.shared_fetch();
    let (fetched, ran) = app
        .flights
        .share(key.clone(), joined, || fetch(app, request, &url, matcher))
        .await;
    let (reply, detail) = match fetched.result {
        Ok(report) => {
            if ran {
                app.cache.put(key, report.clone(), Instant::now());
            }
            (Reply::json(200, body(&report)), None)
        }
        Err((reply, detail)) => (reply, detail),
    };
    Answer {
        reply,
        route,
        upstream: fetched.took,
        cache: Some(if ran { "miss" } else { "shared" }),
        detail,
    }
}

/// The parameters of `/count`: the URL and what to count, a needle or a
/// pattern.
///
/// Unknown and repeated parameters are refused rather than ignored: a typo
/// such as `ignorecase=1` would otherwise return a different count than the
/// client asked for. So are combinations that make no sense (`needle` with
/// `regex`, `overlapping` with `regex`).
fn count_params(query: Option<&str>) -> Result<CountParams, String> {
    let mut url = None;
    let mut needle = None;
    let mut regex = None;
    let mut options = CounterOptions::default();
    let mut seen = Vec::new();
    for (name, value) in query::parse(query.unwrap_or(""))? {
        let name = String::from_utf8_lossy(&name).into_owned();
        if seen.contains(&name) {
            return Err(format!("parameter {name:?} is given more than once"));
        }
        match name.as_str() {
            "url" => {
                let text = String::from_utf8(value)
                    .map_err(|_| "parameter \"url\" is not valid utf-8".to_string())?;
                let parsed = Url::parse(&text).map_err(|e| e.to_string())?;
                // The web API sends no credentials of its clients' choosing.
                if parsed.has_credentials() {
                    return Err("credentials in the url (user:password@) are not accepted".into());
                }
                url = Some(parsed);
            }
            "needle" => needle = Some(value),
            "regex" => {
                let text = String::from_utf8(value)
                    .map_err(|_| "parameter \"regex\" is not valid utf-8".to_string())?;
                regex = Some(text);
            }
            "ignore_case" => options.ignore_case = flag(&name, &value)?,
            "overlapping" => options.overlapping = flag(&name, &value)?,
            _ => return Err(format!("unknown parameter {name:?}")),
        }
        seen.push(name);
    }
    let url = url.ok_or("missing parameter \"url\"")?;
    match (needle, regex) {
        (Some(_), Some(_)) => Err("parameters \"needle\" and \"regex\" exclude each other".into()),
        (None, Some(pattern)) => {
            if options.overlapping {
                return Err(
                    "parameter \"overlapping\" does not apply to \"regex\": regex matches \
                     never overlap"
                        .into(),
                );
            }
            let matcher = regex_matcher(&pattern, options.ignore_case)
                .map_err(|e| format!("parameter \"regex\": {e}"))?;
            Ok(CountParams {
                url,
                matcher,
                wanted: Wanted::Regex(pattern, options.ignore_case),
            })
        }
        (needle, None) => {
            let needle = needle.unwrap_or_else(|| DEFAULT_NEEDLE.as_bytes().to_vec());
            let counter = Counter::with_options(&needle, options)
                .map_err(|e| format!("parameter \"needle\": {e}"))?;
            Ok(CountParams {
                url,
                matcher: Matcher::from(counter),
                wanted: Wanted::Needle(needle, options),
            })
        }
    }
}

/// A client's pattern, compiled within the server's bounds.
#[cfg(feature = "regex")]
fn regex_matcher(pattern: &str, ignore_case: bool) -> Result<Matcher, String> {
    let settings = crate::pattern::StreamRegex::builder()
        .case_insensitive(ignore_case)
        .size_limit(REGEX_SIZE_LIMIT)
        .cache_capacity(REGEX_CACHE)
        .fail_when_thrashing(true);
    Matcher::from_pattern(pattern, &settings).map_err(|e| e.to_string())
}

/// Without the `regex` feature, `regex=` is refused.
#[cfg(not(feature = "regex"))]
fn regex_matcher(_pattern: &str, _ignore_case: bool) -> Result<Matcher, String> {
    Err("this server was built without regular expressions".into())
}

/// A boolean parameter: `1`/`true` or `0`/`false`.
fn flag(name: &str, value: &[u8]) -> Result<bool, String> {
    match value {
        b"1" | b"true" => Ok(true),
        b"0" | b"false" => Ok(false),
        _ => Err(format!(
            "parameter {name:?} must be 1, 0, true or false, not {:?}",
            String::from_utf8_lossy(value)
        )),
    }
}

/// Fetches `url` and counts, within the server's limits: a slot among the
/// concurrent fetches, and the per-request deadline (which includes the
/// wait for the slot).
async fn fetch(app: &App, request: &Request, url: &Url, mut counter: Matcher) -> Fetched {
    let refused = |reply: Reply| Fetched {
        result: Err((reply, None)),
        took: None,
    };

    // Refuse a host that is not on the allow-list before even resolving it.
    // (The client's policy checks it again on every redirect hop.)
    if let Err(reason) = app.guard.check_host(url.host_str()) {
        return refused(Reply::error(
            403,
            "address_not_allowed",
            &format!("destination not allowed: {reason}"),
        ));
    }
    let limit = app.limits.upstream_timeout;
    let now = Instant::now();
    let upstream_deadline = now.checked_add(limit);

    // Wait for a fetch slot, but not for long: at most `fetch_wait`, and
    // never into the last quarter of the deadline, which is the fetch's.
    let wait = app.limits.fetch_wait.min(limit - limit / 4);
    let busy = || {
        Reply::error(
            503,
            "busy",
            "too many upstream fetches in progress; try again",
        )
        .with_header("Retry-After", "1")
    };
    let Ok(_slot) = deadline::within(wait, app.fetches.acquire()).await else {
        return refused(busy());
    };
    if now.elapsed() > wait {
        // The slot came too late to leave the fetch its time.
        return refused(busy());
    }

    // Fetch and count, within what is left of the deadline (the client's
    // `timeout` is `limit`, so its timeout error names it). The `Via`
    // names every hop the request came through, and this one.
    let own_client;
    let client = if request.via.is_empty() {
        &app.client
    } else {
        own_client = app
            .client
            .with_extra_header("Via", via::upstream_via(&request.via));
        &own_client
    };
    let started = Instant::now();
    let result = client
        .count_until(url, &mut counter, upstream_deadline)
        .await;
    let took = started.elapsed();
    app.metrics.fetch(took);
    let result = match result {
        Ok(report) => {
            app.metrics.counted(report.bytes);
            Ok(report)
        }
        Err(error) => Err((Reply::fetch_error(&error), Some(error.to_string()))),
    };
    Fetched {
        result,
        took: Some(took),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_parameters() {
        let params = count_params(Some(
            "url=http%3A%2F%2Fa.example%2F&needle=a+b&ignore_case=1",
        ))
        .unwrap();
        assert_eq!(params.url.to_string(), "http://a.example/");
        let options = CounterOptions::default().ignore_case(true);
        assert_eq!(params.wanted, Wanted::Needle(b"a b".to_vec(), options));
        assert_eq!(params.matcher.describe().pattern, "a b");
        let params = count_params(Some("url=http://a/")).unwrap();
        assert_eq!(
            params.wanted,
            Wanted::Needle(b".NET".to_vec(), CounterOptions::default())
        );
        // Needles that are not UTF-8 stay apart.
        let a = count_params(Some("url=http://a/&needle=%ff")).unwrap();
        let b = count_params(Some("url=http://a/&needle=%fe")).unwrap();
        assert_ne!(a.wanted, b.wanted);

        for bad in [
            None,
            Some(""),
            Some("needle=x"),
            Some("url=ftp://a/"),
            Some("url=http://a/&needle="),
            Some("url=http://a/&url=http://b/"),
            Some("url=http://a/&ignorecase=1"),
            Some("url=http://a/&overlapping=yes"),
            Some("url=%zz"),
            Some("url=%ff"),
            Some("url=http://user:pw@a/"),
            Some("url=http://a/&regex=a&needle=a"),
            Some("url=http://a/&regex=a&overlapping=1"),
            Some("url=http://a/&regex=a*"),
            Some("url=http://a/&regex=%ff"),
            Some("url=http://a/&regex=a&regex=b"),
        ] {
            assert!(count_params(bad).is_err(), "{bad:?}");
        }
    }

    #[cfg(feature = "regex")]
    #[test]
    fn regex_parameters() {
        use crate::MatcherKind;
        let params = count_params(Some("url=http://a/&regex=J%5Ba-z%5D%2B&ignore_case=1")).unwrap();
        assert_eq!(params.wanted, Wanted::Regex("J[a-z]+".into(), true));
        assert_eq!(params.matcher.describe().kind, MatcherKind::Regex);
        let literal = count_params(Some("url=http://a/&regex=%5C.NET")).unwrap();
        assert_eq!(literal.matcher.describe().kind, MatcherKind::Literal);
        // The server's size limit is below the library's.
        let big = count_params(Some("url=http://a/&regex=%5Cw%7B100%7D")).unwrap_err();
        assert!(big.contains("too big"), "{big}");
        let boundary = count_params(Some("url=http://a/&regex=%5Cbx")).unwrap_err();
        assert!(boundary.contains("(?-u:\\b)"), "{boundary}");
    }
}
