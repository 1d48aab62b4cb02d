//! The LinkedIn credential: the bare `li_at` value, or a `Cookie` header holding `li_at=…` and
//! optionally `JSESSIONID=…`.

use std::fmt;

/// The session cookies of a LinkedIn account.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCookies {
    pub li_at: String,
    /// `ajax:…`, without the quotes LinkedIn puts around it; `None` until obtained.
    pub jsessionid: Option<String>,
}

impl fmt::Debug for SessionCookies {
    // Cookies are secrets: never in a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCookies")
            .field("li_at", &"<redacted>")
            .field(
                "jsessionid",
                &self.jsessionid.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Characters a cookie value may hold (RFC 6265 `cookie-octet`, plus the quotes around it).
fn valid_value(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v)
}

impl SessionCookies {
    /// Parses what an API user handed over. Error messages name what is wrong and never echo
    /// the secret.
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
                li_at: secret.to_string(),
                jsessionid: None,
            });
        }
        let mut li_at = None;
        let mut jsessionid = None;
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
            let value = value.trim();
            match name.trim() {
                "li_at" => li_at = Some(value),
                "JSESSIONID" => jsessionid = Some(value),
                // Other cookies of the browser (bcookie, lidc…) are not needed.
                _ => {}
            }
        }
        let li_at = li_at.ok_or("the LinkedIn cookie string has no li_at cookie")?;
        let li_at = unquote(li_at);
        if !valid_value(li_at) {
            return Err("the li_at cookie value is empty or has unexpected characters".into());
        }
        let jsessionid = match jsessionid.map(unquote) {
            None => None,
            Some(v) if valid_value(v) => Some(v.to_string()),
            Some(_) => {
                return Err(
                    "the JSESSIONID cookie value is empty or has unexpected characters".into(),
                )
            }
        };
        Ok(SessionCookies {
            li_at: li_at.to_string(),
            jsessionid,
        })
    }

    /// The `Cookie` header: JSESSIONID quoted, as LinkedIn sets it.
    pub fn header(&self) -> String {
        match &self.jsessionid {
            Some(j) => format!("li_at={}; JSESSIONID=\"{j}\"", self.li_at),
            None => format!("li_at={}", self.li_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_header_forms() {
        let c = SessionCookies::parse("AQEDAQabc").unwrap();
        assert_eq!(c.li_at, "AQEDAQabc");
        assert_eq!(c.jsessionid, None);
        let c =
            SessionCookies::parse(r#"bcookie="v=2"; li_at=AQE; JSESSIONID="ajax:123""#).unwrap();
        assert_eq!(c.li_at, "AQE");
        assert_eq!(c.jsessionid.as_deref(), Some("ajax:123"));
        assert_eq!(c.header(), r#"li_at=AQE; JSESSIONID="ajax:123""#);
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
        ] {
            let err = SessionCookies::parse(bad).unwrap_err();
            assert!(!err.contains("a b"), "{err}");
        }
    }
}
