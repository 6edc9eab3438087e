//! Redaction for logs, `Debug` output and error text.

use http::HeaderMap;

/// Headers whose values are secrets.
const SENSITIVE: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "www-authenticate",
    "proxy-authenticate",
];

/// The headers as `name: value` lines with secret values replaced by `[redacted]`.
pub(crate) fn headers(h: &HeaderMap) -> Vec<String> {
    h.iter()
        .map(|(k, v)| {
            let value = if SENSITIVE.contains(&k.as_str()) || v.is_sensitive() {
                "[redacted]"
            } else {
                v.to_str().unwrap_or("[non-ASCII]")
            };
            format!("{k}: {value}")
        })
        .collect()
}

/// A URL with any userinfo and query string removed.
pub(crate) fn url(u: &str) -> String {
    let (scheme, rest) = match u.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, u),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let rest = match rest.split_once('/') {
        Some((authority, path)) => format!("{}/{path}", strip_userinfo(authority)),
        None => strip_userinfo(rest).to_owned(),
    };
    match scheme {
        Some(s) => format!("{s}://{rest}"),
        None => rest,
    }
}

fn strip_userinfo(authority: &str) -> &str {
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_userinfo_and_query() {
        assert_eq!(
            url("https://user:pa%40ss@mail.example.com/EWS/Exchange.asmx?token=abc#x"),
            "https://mail.example.com/EWS/Exchange.asmx"
        );
        assert_eq!(url("http://h:81"), "http://h:81");
    }

    #[test]
    fn secret_headers_are_replaced() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer abc".parse().unwrap());
        h.insert(
            "set-cookie",
            "X-BackEndOverrideCookie=s3cr3t".parse().unwrap(),
        );
        h.insert("soapaction", "x".parse().unwrap());
        let text = headers(&h).join("\n");
        assert!(!text.contains("abc") && !text.contains("s3cr3t"));
        assert!(text.contains("soapaction: x"));
    }
}
