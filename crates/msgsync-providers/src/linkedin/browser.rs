//! The browser a session looks like: the headers the web app's requests carry, consistent with
//! the account's user agent.
//!
//! - `sec-ch-ua`, `sec-ch-ua-mobile`, `sec-ch-ua-platform`: the user agent client hints
//!   Chromium browsers send on every request (MDN "Sec-CH-UA"; Firefox and Safari send none,
//!   web-features "ua-client-hints"). Brand list and GREASE brand as mautrix-linkedin sends
//!   them for Chrome (`pkg/linkedingo/client.go`: `"Chromium";v="141", "Google Chrome";v="141",
//!   "Not-A.Brand";v="99"`); Edge names itself "Microsoft Edge" (MDN).
//! - `x-li-track`: the web client describing itself, in mautrix-linkedin's default shape
//!   (`defaultXLiTrack`, service version 1.13.40953).
//! - `x-li-page-instance`: the page the request comes from, one per page load: mautrix-linkedin
//!   makes it `urn:li:page:d_flagship3_messaging_conversation_detail;` + base64 of 16 random
//!   bytes.
//! - `referer`: the messaging page (`https://www.linkedin.com/messaging/`, mautrix's
//!   `WithXLIHeaders`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

/// A browser user agent for accounts that did not say which browser made their cookies
/// (mautrix-linkedin's `UserAgent`).
pub const DEFAULT_USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36";

/// `x-li-track`: the web client describing itself (mautrix-linkedin's default).
pub const X_LI_TRACK: &str = concat!(
    r#"{"clientVersion":"1.13.40953","mpVersion":"1.13.40953","osName":"web","#,
    r#""deviceFormFactor":"DESKTOP","mpName":"voyager-web","displayDensity":2,"#,
    r#""displayWidth":2880,"displayHeight":1800}"#
);

/// The page the messaging requests come from.
const PAGE: &str = "urn:li:page:d_flagship3_messaging_conversation_detail";
/// Random bytes in a page instance id.
const PAGE_INSTANCE_BYTES: usize = 16;

/// The browser of one session.
#[derive(Debug, Clone)]
pub(crate) struct Browser {
    pub user_agent: String,
    /// `sec-ch-ua`, `sec-ch-ua-mobile`, `sec-ch-ua-platform`, for Chromium browsers.
    pub client_hints: Option<ClientHints>,
    pub x_li_track: &'static str,
    pub page_instance: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientHints {
    pub brands: String,
    pub mobile: &'static str,
    pub platform: &'static str,
}

/// The major version after `marker` in a user agent (`Chrome/141.0.0.0` → `141`).
fn major(user_agent: &str, marker: &str) -> Option<u32> {
    let rest = &user_agent[user_agent.find(marker)? + marker.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The platform a Chromium user agent runs on, as `sec-ch-ua-platform` names it (MDN
/// "Sec-CH-UA-Platform").
fn platform(user_agent: &str) -> &'static str {
    if user_agent.contains("Android") {
        "\"Android\""
    } else if user_agent.contains("CrOS") {
        "\"Chrome OS\""
    } else if user_agent.contains("Windows") {
        "\"Windows\""
    } else if user_agent.contains("Macintosh") || user_agent.contains("Mac OS X") {
        "\"macOS\""
    } else if user_agent.contains("Linux") || user_agent.contains("X11") {
        "\"Linux\""
    } else {
        "\"Unknown\""
    }
}

/// The client hints a Chromium browser with this user agent sends; `None` for Firefox,
/// Safari and whatever else does not send them.
pub(crate) fn client_hints(user_agent: &str) -> Option<ClientHints> {
    if user_agent.contains("Firefox/") || user_agent.contains("CriOS/") {
        return None;
    }
    let chromium = major(user_agent, "Chrome/")?;
    let brand = match major(user_agent, "Edg/") {
        Some(edge) => format!("\"Microsoft Edge\";v=\"{edge}\""),
        None => format!("\"Google Chrome\";v=\"{chromium}\""),
    };
    Some(ClientHints {
        brands: format!("\"Chromium\";v=\"{chromium}\", {brand}, \"Not-A.Brand\";v=\"99\""),
        mobile: if user_agent.contains("Mobile") {
            "?1"
        } else {
            "?0"
        },
        platform: platform(user_agent),
    })
}

impl Browser {
    /// The browser of a new session: the account's user agent (else the default one) and a
    /// fresh page instance.
    pub(crate) fn new(user_agent: Option<&str>) -> Browser {
        let user_agent = user_agent
            .map(str::trim)
            .filter(|ua| !ua.is_empty() && ua.bytes().all(|b| (0x20..0x7f).contains(&b)))
            .unwrap_or(DEFAULT_USER_AGENT)
            .to_string();
        let mut bytes = [0u8; PAGE_INSTANCE_BYTES];
        rand::thread_rng().fill_bytes(&mut bytes);
        Browser {
            client_hints: client_hints(&user_agent),
            user_agent,
            x_li_track: X_LI_TRACK,
            page_instance: format!("{PAGE};{}", STANDARD.encode(bytes)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_follow_the_user_agent() {
        let chrome = client_hints(DEFAULT_USER_AGENT).unwrap();
        assert_eq!(
            chrome.brands,
            r#""Chromium";v="141", "Google Chrome";v="141", "Not-A.Brand";v="99""#
        );
        assert_eq!((chrome.mobile, chrome.platform), ("?0", "\"Linux\""));
        let edge = client_hints(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0",
        )
        .unwrap();
        assert!(edge.brands.contains("\"Microsoft Edge\";v=\"140\""));
        assert_eq!(edge.platform, "\"Windows\"");
        let android = client_hints(
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/139.0.0.0 Mobile Safari/537.36",
        )
        .unwrap();
        assert_eq!((android.mobile, android.platform), ("?1", "\"Android\""));
        let mac_chrome = client_hints(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/131.0.0.0 Safari/537.36",
        )
        .unwrap();
        assert_eq!(mac_chrome.platform, "\"macOS\"");
        for none in [
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) \
             Version/17.5 Safari/605.1.15",
        ] {
            assert_eq!(client_hints(none), None, "{none}");
        }
    }

    #[test]
    fn each_session_has_its_own_page_instance() {
        let a = Browser::new(None);
        let b = Browser::new(Some("  "));
        assert_eq!(a.user_agent, DEFAULT_USER_AGENT);
        assert_eq!(b.user_agent, DEFAULT_USER_AGENT);
        assert_ne!(a.page_instance, b.page_instance);
        assert!(a.page_instance.starts_with(PAGE));
        assert_eq!(Browser::new(Some("bad\nua")).user_agent, DEFAULT_USER_AGENT);
    }
}
