//! Resolving a reference against a base URL (RFC 3986 §5.2), as a
//! `Location` header needs.

use super::parse::{
    check_characters, encode_path, parse_absolute, parse_authority, percent_encode_non_ascii,
    split_reference, split_scheme,
};
use super::{invalid, Url};
use crate::error::Error;

impl Url {
    /// Resolves a reference, such as a `Location` header value, against this URL.
    ///
    /// This is the algorithm of RFC 3986 §5.2 in its "strict" form: a
    /// reference with a scheme is parsed as an absolute URL on its own
    /// (so `http:page` is an error, not a relative path), `//host/path`
    /// keeps this URL's scheme, and anything else is resolved relative to
    /// this URL's path. The same rules as [`Url::parse`] apply to the
    /// reference: no spaces or control characters, fragments dropped.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidUrl`] (whose `url` is the reference) when the
    /// reference is malformed or the result would not be an `http` or `https`
    /// URL.
    ///
    /// # Example
    ///
    /// ```
    /// use netcount::url::Url;
    ///
    /// let base = Url::parse("http://example.com/docs/guide/intro.html")?;
    /// assert_eq!(base.join("setup.html")?.to_string(), "http://example.com/docs/guide/setup.html");
    /// assert_eq!(base.join("../api/")?.to_string(), "http://example.com/docs/api/");
    /// assert_eq!(base.join("/")?.to_string(), "http://example.com/");
    /// assert_eq!(base.join("//cdn.example.net/x")?.to_string(), "http://cdn.example.net/x");
    /// assert_eq!(base.join("https://example.org/")?.to_string(), "https://example.org/");
    /// assert!(base.join("mailto:someone@example.com").is_err());
    /// # Ok::<(), netcount::error::Error>(())
    /// ```
    pub fn join(&self, reference: &str) -> Result<Url, Error> {
        self.transform(reference)
            .map_err(|reason| invalid(reference, reason))
    }

    /// RFC 3986 §5.2.2, "transform references", with errors as plain reasons.
    fn transform(&self, reference: &str) -> Result<Url, String> {
        check_characters(reference)?;
        if split_scheme(reference).is_some() {
            // Strict mode: a scheme means an absolute URL, even "http:g".
            return parse_absolute(reference);
        }
        let parts = split_reference(reference);
        let query = parts.query.map(percent_encode_non_ascii);

        if let Some(authority) = parts.authority {
            // "//host/path": everything but the scheme comes from the reference.
            let (credentials, host, port) = parse_authority(authority)?;
            let path = remove_dot_segments(&encode_path(parts.path)?);
            let mut url = Url::build(self.scheme, host, port, &path, query.as_deref())?;
            url.credentials = credentials;
            return Ok(url);
        }

        let (path, query) = if parts.path.is_empty() {
            // "" or "?y": keep the base path, and the base query unless replaced.
            let query = match query {
                Some(query) => Some(query),
                None => self.query().map(str::to_owned),
            };
            (self.path().to_owned(), query)
        } else {
            let reference_path = encode_path(parts.path)?;
            let path = if reference_path.starts_with('/') {
                remove_dot_segments(&reference_path)
            } else {
                remove_dot_segments(&merge(self.path(), &reference_path))
            };
            (path, query)
        };
        let mut url = Url::build(
            self.scheme,
            self.host.clone(),
            Some(self.port),
            &path,
            query.as_deref(),
        )?;
        // Same authority, credentials included (RFC 3986 §5.2.2).
        url.credentials = self.credentials.clone();
        Ok(url)
    }
}

/// RFC 3986 §5.2.3: puts a relative path in place of the last segment of
/// the base path.
///
/// Our base paths always start with `/`, so the special case for a base
/// with an authority and an empty path gives the same answer.
pub(super) fn merge(base_path: &str, reference_path: &str) -> String {
    match base_path.rfind('/') {
        Some(last_slash) => format!("{}{reference_path}", &base_path[..=last_slash]),
        None => format!("/{reference_path}"),
    }
}

/// RFC 3986 §5.2.4: removes `.` and `..` segments from a path.
///
/// The steps are named after the letters of the RFC's algorithm. Every
/// slice below starts or ends at a `/` or `.` that was just matched, so
/// it always falls on a character boundary.
pub(super) fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            // A: drop a leading "../" or "./".
            input = rest;
        } else if input.starts_with("/./") {
            // B: "/./x" becomes "/x".
            input = &input[2..];
        } else if input == "/." {
            // B: a final "/." becomes "/".
            input = "/";
        } else if input.starts_with("/../") {
            // C: "/../x" becomes "/x", and the last output segment goes.
            input = &input[3..];
            remove_last_segment(&mut output);
        } else if input == "/.." {
            // C: a final "/.." becomes "/", and the last output segment goes.
            input = "/";
            remove_last_segment(&mut output);
        } else if input == "." || input == ".." {
            // D: nothing but dots left.
            input = "";
        } else {
            // E: move the first segment, with its leading '/', to the output.
            let search_from = usize::from(input.starts_with('/'));
            let end = input[search_from..]
                .find('/')
                .map_or(input.len(), |slash| slash + search_from);
            let (segment, rest) = input.split_at(end);
            output.push_str(segment);
            input = rest;
        }
    }
    output
}

/// Removes the last segment of `output` and the `/` before it, if any.
fn remove_last_segment(output: &mut String) {
    match output.rfind('/') {
        Some(last_slash) => output.truncate(last_slash),
        None => output.clear(),
    }
}
