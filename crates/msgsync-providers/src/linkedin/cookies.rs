//! The LinkedIn credential as a cookie jar: the bare `li_at` value, or a whole `Cookie` header
//! as a browser sends it (msgsync's extension to Unipile's `access_token`), plus the `li_a`
//! cookie of Recruiter / Sales Navigator (Unipile's `premium_token`).
//!
//! The jar keeps the cookies LinkedIn sets in its answers, as a browser does, and is stored
//! back as a `Cookie` header: mautrix-linkedin keeps its session the same way, a cookie jar
//! persisted as a header string (`pkg/linkedingo/stringcookiejar.go`).

use std::fmt;
use std::time::SystemTime;

pub const LI_AT: &str = "li_at";
pub const LI_A: &str = "li_a";
pub const JSESSIONID: &str = "JSESSIONID";

/// The session cookies of a LinkedIn account, in the order they were given or set.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCookies {
    cookies: Vec<(String, String)>,
}

impl fmt::Debug for SessionCookies {
    // Cookies are secrets: only their names reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.cookies.iter().map(|(name, _)| name))
            .finish()
    }
}

/// Characters a cookie value may hold (RFC 6265 `cookie-octet`).
fn valid_value(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

/// A cookie name (an RFC 7230 token).
fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v)
}

/// Whether a value (quotes removed) may be sent.
pub(crate) fn sendable(v: &str) -> bool {
    valid_value(unquote(v))
}

impl SessionCookies {
    /// Parses what an API user handed over. Error messages name what is wrong and never echo
    /// the secret. Cookies of the browser that cannot be sent as they are (a JSON `g_state`,
    /// say) are left out; `li_at`, `li_a` and `JSESSIONID` must be well-formed.
    pub fn parse(secret: &str) -> Result<SessionCookies, String> {
        let secret = secret.trim();
        if secret.is_empty() {
            return Err("the LinkedIn access_token is empty; give the li_at cookie".into());
        }
        if !secret.contains('=') {
            // A bare value: the li_at cookie alone.
            if !valid_value(secret) {
                return Err(
                    "the LinkedIn access_token is not a valid li_at cookie value (unexpected characters)"
                        .into(),
                );
            }
            return Ok(SessionCookies {
                cookies: vec![(LI_AT.to_string(), secret.to_string())],
            });
        }
        let mut jar = SessionCookies {
            cookies: Vec::new(),
        };
        for part in secret.split(';') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let Some((name, value)) = part.split_once('=') else {
                return Err(
                    "the LinkedIn cookie string has an entry that is not NAME=VALUE".into(),
                );
            };
            let (name, value) = (name.trim(), value.trim());
            match name {
                LI_AT | LI_A | JSESSIONID if !sendable(value) => {
                    return Err(format!(
                        "the {name} cookie value is empty or has unexpected characters"
                    ))
                }
                _ if !valid_name(name) || !sendable(value) => continue,
                _ => jar.set(name, value),
            }
        }
        if jar.get(LI_AT).is_none() {
            return Err("the LinkedIn cookie string has no li_at cookie".into());
        }
        Ok(jar)
    }

    /// The value of a cookie, without the quotes LinkedIn puts around some (`JSESSIONID`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| unquote(v))
    }

    pub fn li_at(&self) -> &str {
        self.get(LI_AT).unwrap_or("")
    }

    /// `ajax:…`, without its quotes: the CSRF token.
    pub fn jsessionid(&self) -> Option<&str> {
        self.get(JSESSIONID)
    }

    /// Sets a cookie, keeping its place if it was there. JSESSIONID is kept quoted, as
    /// LinkedIn sets it and the browser sends it back.
    pub fn set(&mut self, name: &str, value: &str) {
        let value = if name == JSESSIONID {
            format!("\"{}\"", unquote(value))
        } else {
            value.to_string()
        };
        match self.cookies.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value,
            None => self.cookies.push((name.to_string(), value)),
        }
    }

    pub fn remove(&mut self, name: &str) {
        self.cookies.retain(|(n, _)| n != name);
    }

    /// Applies one `Set-Cookie` of an answer of LinkedIn's web host, as a browser does: a new
    /// or changed value is kept, an expired one is dropped. Returns whether the jar changed.
    /// (Deleting `li_at` is also LinkedIn's way of ending the session; the client reports it.)
    pub fn apply_set_cookie(&mut self, set_cookie: &str) -> bool {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return false;
        };
        let (name, value) = (name.trim(), value.trim());
        if !valid_name(name) {
            return false;
        }
        let before = self.clone();
        if expires_now(value, parts) {
            self.remove(name);
        } else if sendable(value) {
            self.set(name, value);
        }
        *self != before
    }

    /// The `Cookie` header.
    pub fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Whether a `Set-Cookie` removes its cookie: LinkedIn's `delete me`, an empty value, an
/// expiry in the past or `Max-Age=0`.
pub(crate) fn expires_now<'a>(value: &str, mut attributes: impl Iterator<Item = &'a str>) -> bool {
    let value = unquote(value.trim());
    if value.is_empty() || value == "delete me" {
        return true;
    }
    attributes.any(|attr| {
        let Some((k, v)) = attr.split_once('=') else {
            return false;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "max-age" => v.trim().parse::<i64>().is_ok_and(|n| n <= 0),
            "expires" => httpdate::parse_http_date(v.trim()).is_ok_and(|t| t <= SystemTime::now()),
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_header_forms() {
        let c = SessionCookies::parse("AQEDAQabc").unwrap();
        assert_eq!(c.li_at(), "AQEDAQabc");
        assert_eq!(c.jsessionid(), None);
        assert_eq!(c.header(), "li_at=AQEDAQabc");
        let c = SessionCookies::parse(
            r#"bcookie="v=2&1a"; g_state={"i_l":0}; li_at=AQE; JSESSIONID=ajax:123; lidc="b=VB""#,
        )
        .unwrap();
        assert_eq!(c.li_at(), "AQE");
        assert_eq!(c.jsessionid(), Some("ajax:123"));
        // The browser's other cookies travel along; one that cannot be sent is left out.
        assert_eq!(
            c.header(),
            r#"bcookie="v=2&1a"; li_at=AQE; JSESSIONID="ajax:123"; lidc="b=VB""#
        );
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "",
            "  ",
            "a b",
            "JSESSIONID=ajax:1",
            "li_at=",
            "li_at=a b",
            "li_at=x; y",
            "li_at=x; li_a=a b",
        ] {
            let err = SessionCookies::parse(bad).unwrap_err();
            assert!(!err.contains("a b"), "{err}");
        }
    }

    #[test]
    fn the_jar_keeps_what_linkedin_sets() {
        let mut c = SessionCookies::parse("AQE").unwrap();
        assert!(c.apply_set_cookie(
            "JSESSIONID=\"ajax:42\"; Path=/; Domain=.www.linkedin.com; Secure; SameSite=None"
        ));
        assert!(c.apply_set_cookie("lidc=\"b=VB12:s=V\"; Expires=Thu, 01 Jan 2099 00:00:00 GMT"));
        assert!(!c.apply_set_cookie("lidc=\"b=VB12:s=V\"; Path=/"));
        assert_eq!(c.jsessionid(), Some("ajax:42"));
        assert_eq!(
            c.header(),
            "li_at=AQE; JSESSIONID=\"ajax:42\"; lidc=\"b=VB12:s=V\""
        );
        assert!(c.apply_set_cookie("lidc=gone; Max-Age=0"));
        assert!(c.apply_set_cookie("li_at=AQF; Path=/"));
        assert_eq!(c.header(), "li_at=AQF; JSESSIONID=\"ajax:42\"");
        assert!(!c.apply_set_cookie("no equals sign"));
        assert!(expires_now("delete me", std::iter::empty()));
        assert!(expires_now(
            "x",
            ["Expires=Thu, 01 Jan 1970 00:00:00 GMT"].into_iter()
        ));
        assert!(!expires_now("x", ["Max-Age=3600"].into_iter()));
    }
}
