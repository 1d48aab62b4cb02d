//! LinkedIn's failure signals turned into [`ProviderError`]s: redirects to the login wall, a
//! deleted `li_at`, throttling, restrictions, and failures of the account's proxy.

use std::error::Error as _;
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;

use super::cookies::{expires_now, LI_AT};
use super::{BOT_WALL_COOL_DOWN, DEFAULT_RETRY_AFTER};
use crate::ProviderError;

/// How much of a body an error message may quote.
const QUOTE: usize = 120;

pub(crate) fn quote(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(QUOTE).collect()
}

/// The text of an error and of its causes.
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A request that got no (complete) answer. Through a proxy, the failure is the proxy's until
/// shown otherwise: the request never goes around it.
pub(crate) fn transport(e: reqwest::Error, proxy: Option<&str>) -> ProviderError {
    let text = chain(&e);
    if let Some(proxy) = proxy {
        if text.contains("proxy authorization required") {
            return proxy_refused(proxy);
        }
        if e.is_timeout() {
            return ProviderError::Timeout;
        }
        return ProviderError::Transient(format!(
            "the request through the account's proxy {proxy} failed (no direct connection is \
             tried): {text}"
        ));
    }
    if e.is_timeout() {
        ProviderError::Timeout
    } else if e.is_connect() {
        ProviderError::Transient(format!("connecting to LinkedIn failed: {text}"))
    } else {
        // Reset or closed before an answer: the dropped connections of a flaky network.
        ProviderError::Transient(format!("the connection to LinkedIn failed: {text}"))
    }
}

/// The proxy refused the account's proxy credentials: a credential of the account, fixed by
/// reconnecting it.
fn proxy_refused(proxy: &str) -> ProviderError {
    ProviderError::SessionExpired(format!(
        "the account's proxy {proxy} refused its credentials (407 Proxy Authentication \
         Required); reconnect the account with working proxy credentials"
    ))
}

/// Whether a `Set-Cookie` deletes `li_at` (`delete me`, an expiry in the past, `Max-Age=0`).
pub(crate) fn deletes_li_at(set_cookie: &str) -> bool {
    let mut parts = set_cookie.split(';');
    let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
        return false;
    };
    name.trim() == LI_AT && expires_now(value, parts)
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The path of a `Location`, absolute or relative.
pub(crate) fn location_path(headers: &HeaderMap) -> String {
    let loc = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let after_scheme = loc.split_once("://").map_or(loc, |(_, rest)| rest);
    let path = if loc.contains("://") {
        after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
    } else {
        loc
    };
    path.split(['?', '#']).next().unwrap_or("").to_string()
}

/// What a non-success answer means, or `None` when it is a success. `proxy` is the account's
/// proxy, when it has one.
pub(crate) fn classify_failure(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    proxy: Option<&str>,
) -> Option<ProviderError> {
    let killed = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(deletes_li_at);
    if killed {
        return Some(ProviderError::SessionExpired(
            "LinkedIn deleted the li_at cookie".into(),
        ));
    }
    let code = status.as_u16();
    if status.is_redirection() {
        let path = location_path(headers);
        let lower = path.to_ascii_lowercase();
        return Some(if lower.contains("restricted") {
            ProviderError::Restricted(format!("LinkedIn redirected to {path}"))
        } else if ["/login", "/uas/login", "/checkpoint", "/authwall"]
            .iter()
            .any(|p| lower.starts_with(p))
        {
            ProviderError::SessionExpired(format!("LinkedIn redirected to {path}"))
        } else {
            ProviderError::Protocol(format!("unexpected {code} redirect to {path}"))
        });
    }
    if status.is_success() {
        return None;
    }
    let text = quote(body);
    Some(match code {
        401 => ProviderError::SessionExpired("LinkedIn answered 401".into()),
        407 => match proxy {
            Some(proxy) => proxy_refused(proxy),
            None => ProviderError::Protocol(format!("LinkedIn answered 407: {text}")),
        },
        403 if text.to_ascii_lowercase().contains("restricted") => {
            ProviderError::Restricted(format!("LinkedIn answered 403: {text}"))
        }
        // Our JSESSIONID is not the one LinkedIn issued with this li_at: the cookie pair is
        // unusable until the account is reconnected.
        403 if text.contains("CSRF check failed") => {
            ProviderError::SessionExpired("LinkedIn rejected the CSRF token".into())
        }
        403 | 404 => ProviderError::NotSupported(format!("LinkedIn answered {code}: {text}")),
        429 => ProviderError::RateLimited {
            retry_after: retry_after(headers).unwrap_or(DEFAULT_RETRY_AFTER),
        },
        // LinkedIn's bot wall: stay away for long.
        999 => ProviderError::RateLimited {
            retry_after: retry_after(headers).unwrap_or(BOT_WALL_COOL_DOWN),
        },
        503 => ProviderError::Unavailable(format!("LinkedIn answered 503: {text}")),
        500..=599 => ProviderError::Transient(format!("LinkedIn answered {code}: {text}")),
        _ => ProviderError::Protocol(format!("LinkedIn answered {code}: {text}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn li_at_deletion() {
        assert!(deletes_li_at(
            "li_at=delete me; Path=/; Domain=.www.linkedin.com"
        ));
        assert!(deletes_li_at(
            "li_at=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"
        ));
        assert!(deletes_li_at("li_at=x; Max-Age=0"));
        assert!(!deletes_li_at("li_at=x; Max-Age=3600"));
        assert!(!deletes_li_at("lidc=delete me"));
    }

    #[test]
    fn locations() {
        let mut h = HeaderMap::new();
        h.insert(
            header::LOCATION,
            HeaderValue::from_static("https://www.linkedin.com/checkpoint/challenge/x?y=1"),
        );
        assert_eq!(location_path(&h), "/checkpoint/challenge/x");
        h.insert(
            header::LOCATION,
            HeaderValue::from_static("/authwall?trk=1"),
        );
        assert_eq!(location_path(&h), "/authwall");
    }

    #[test]
    fn a_proxy_that_refuses_the_credentials_needs_a_reconnect() {
        let e = classify_failure(
            StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            &HeaderMap::new(),
            b"",
            Some("proxy.example:3128"),
        );
        assert!(
            matches!(&e, Some(ProviderError::SessionExpired(m)) if m.contains("proxy.example:3128")),
            "{e:?}"
        );
    }
}
