//! The routes: which path does what.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /DotNetCount` | the count of `.NET` at the default URL, as a JSON number |
//! | `GET /count?url=..&needle=..&ignore_case=1&overlapping=1` | the JSON report |
//! | `GET /healthz` | `ok` |
//!
//! `HEAD` works on each (and does the same work, so the length is right);
//! any other method is 405 with `Allow`; any other path is 404.

use std::time::Instant;

use crate::counter::{Counter, CounterOptions};
use crate::deadline;
use crate::url::Url;
use crate::{Report, DEFAULT_NEEDLE};

use super::query;
use super::reply::Reply;
use super::request::Request;
use super::App;

/// The methods every route allows.
const ALLOW: &str = "GET, HEAD";

/// The routes this server knows.
#[derive(Debug, Clone, Copy)]
enum Route {
    /// `/DotNetCount` (any letter case, like the ASP.NET route it mirrors).
    DotNetCount,
    /// `/count`.
    Count,
    /// `/healthz`.
    Health,
}

/// Answers one request.
pub(crate) async fn respond(request: &Request, app: &App) -> Reply {
    // Find the route, then check the method.
    let route = match request.path.as_str() {
        "/count" => Route::Count,
        "/healthz" => Route::Health,
        path if path.eq_ignore_ascii_case("/DotNetCount") => Route::DotNetCount,
        path => {
            return Reply::error(404, "not_found", &format!("no route for {path}"));
        }
    };
    if !matches!(request.method.as_str(), "GET" | "HEAD") {
        return Reply::error(
            405,
            "method_not_allowed",
            &format!("method {} is not allowed; use GET or HEAD", request.method),
        )
        .with_header("Allow", ALLOW);
    }

    match route {
        Route::Health => Reply::text(200, "ok"),
        Route::DotNetCount => {
            let counter = Counter::new(DEFAULT_NEEDLE).expect("the needle is not empty");
            match fetch(app, &app.default_url, counter).await {
                Ok(report) => Reply::json(200, report.count.to_string()),
                Err(response) => response,
            }
        }
        Route::Count => {
            let (url, counter) = match count_params(request.query.as_deref()) {
                Ok(params) => params,
                Err(message) => return Reply::error(400, "bad_request", &message),
            };
            match fetch(app, &url, counter).await {
                Ok(report) => Reply::json(200, report.to_json()),
                Err(response) => response,
            }
        }
    }
}

/// The parameters of `/count`: the URL and a counter for the needle.
///
/// Unknown and repeated parameters are refused rather than ignored: a typo
/// such as `ignorecase=1` would otherwise return a different count than the
/// client asked for.
fn count_params(query: Option<&str>) -> Result<(Url, Counter), String> {
    let mut url = None;
    let mut needle = None;
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
                url = Some(Url::parse(&text).map_err(|e| e.to_string())?);
            }
            "needle" => needle = Some(value),
            "ignore_case" => options.ignore_case = flag(&name, &value)?,
            "overlapping" => options.overlapping = flag(&name, &value)?,
            _ => return Err(format!("unknown parameter {name:?}")),
        }
        seen.push(name);
    }
    let url = url.ok_or("missing parameter \"url\"")?;
    let needle = needle.unwrap_or_else(|| DEFAULT_NEEDLE.as_bytes().to_vec());
    let counter = Counter::with_options(&needle, options)
        .map_err(|e| format!("parameter \"needle\": {e}"))?;
    Ok((url, counter))
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
/// concurrent fetches (waiting at most `fetch_wait`) and the per-request
/// deadline (which includes the wait for the slot).
async fn fetch(app: &App, url: &Url, mut counter: Counter) -> Result<Report, Reply> {
    // Refuse a host that is not on the allow-list before even resolving it.
    // (The client's policy checks it again on every redirect hop.)
    if let Err(reason) = app.guard.check_host(url.host_str()) {
        return Err(Reply::error(
            403,
            "address_not_allowed",
            &format!("destination not allowed: {reason}"),
        ));
    }
    let limit = app.limits.upstream_timeout;
    let upstream_deadline = Instant::now().checked_add(limit);

    // Wait for a fetch slot, but not for long.
    let wait = app.limits.fetch_wait.min(limit);
    let Ok(_slot) = deadline::within(wait, app.fetches.acquire()).await else {
        return Err(Reply::error(
            503,
            "busy",
            "too many upstream fetches in progress; try again",
        )
        .with_header("Retry-After", "1"));
    };

    // Fetch and count, within what is left of the deadline (the client's
    // `timeout` is `limit`, so its timeout error names it).
    app.client
        .count_until(url, &mut counter, upstream_deadline)
        .await
        .map_err(|error| Reply::fetch_error(&error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_parameters() {
        let (url, counter) = count_params(Some(
            "url=http%3A%2F%2Fa.example%2F&needle=a+b&ignore_case=1",
        ))
        .unwrap();
        assert_eq!(url.to_string(), "http://a.example/");
        assert_eq!(counter.needle(), b"a b");
        assert!(counter.options().ignore_case);
        assert!(!counter.options().overlapping);
        let (_, counter) = count_params(Some("url=http://a/")).unwrap();
        assert_eq!(counter.needle(), b".NET");

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
        ] {
            assert!(count_params(bad).is_err(), "{bad:?}");
        }
    }
}
