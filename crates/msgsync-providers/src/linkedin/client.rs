//! One HTTP client per session: the web client's headers, the session's pacing, and LinkedIn's
//! failure signals turned into [`ProviderError`]s. The connector never retries by itself: the
//! engine decides (retry, park, fail) from the typed error.

use std::time::{Duration, Instant, SystemTime};

use futures::stream::{self, StreamExt};
use rand::Rng;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode, Url};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::cookies::SessionCookies;
use super::{LinkedinConfig, AUTHENTICATE_PATH, BOT_WALL_COOL_DOWN, DEFAULT_RETRY_AFTER};
use crate::{AttachmentDownload, ProviderError};

/// A browser user agent for accounts that did not say which browser made their cookies.
pub const DEFAULT_USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36";

/// `x-li-track`: the web client describing itself (shape as mautrix-linkedin sends it).
pub const X_LI_TRACK: &str = r#"{"clientVersion":"1.13.40953","mpVersion":"1.13.40953","osName":"web","timezoneOffset":0,"timezone":"Etc/UTC","deviceFormFactor":"DESKTOP","mpName":"voyager-web","displayDensity":1,"displayWidth":1920,"displayHeight":1080}"#;

/// How much of a body an error message may quote.
const QUOTE: usize = 120;
/// How much of a failed download's body is read to tell what the failure is.
const ERROR_BODY_LIMIT: usize = 4096;
/// LinkedIn's public media host (profile pictures, feed media): LinkedIn's, but not the web
/// app's, so the browser sends it none of the session's cookies.
const MEDIA_HOST_SUFFIX: &str = ".licdn.com";

/// The HTTP side of one session.
pub(crate) struct VoyagerClient {
    http: reqwest::Client,
    /// For downloads: no limit on the whole exchange (a large file takes long), only on
    /// connecting and on each wait for more bytes.
    media: reqwest::Client,
    base_url: String,
    /// `base_url` parsed: the origin the session's cookies belong to.
    origin: Url,
    cookies: Mutex<SessionCookies>,
    user_agent: String,
    pacer: Pacer,
}

/// Keeps one session's requests apart by a random delay; other sessions are not affected.
struct Pacer {
    min: Duration,
    max: Duration,
    last: Mutex<Option<Instant>>,
}

impl Pacer {
    async fn wait(&self) {
        let mut last = self.last.lock().await;
        if let Some(prev) = *last {
            let delay = if self.max > self.min {
                rand::thread_rng().gen_range(self.min..=self.max)
            } else {
                self.min
            };
            let due = prev + delay;
            if due > Instant::now() {
                tokio::time::sleep_until(due.into()).await;
            }
        }
        *last = Some(Instant::now());
    }
}

fn quote(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(QUOTE).collect()
}

impl VoyagerClient {
    pub(crate) fn new(
        config: &LinkedinConfig,
        cookies: SessionCookies,
        user_agent: Option<&str>,
    ) -> Result<VoyagerClient, ProviderError> {
        let http = reqwest::Client::builder()
            // Redirects are LinkedIn's way of saying "log in again": look at them, never follow.
            .redirect(Policy::none())
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| ProviderError::Transient(format!("building the HTTP client: {e}")))?;
        let media = reqwest::Client::builder()
            .redirect(Policy::none())
            .connect_timeout(config.request_timeout)
            .read_timeout(config.request_timeout)
            .build()
            .map_err(|e| ProviderError::Transient(format!("building the HTTP client: {e}")))?;
        let origin = Url::parse(&config.base_url).map_err(|e| {
            ProviderError::Protocol(format!("the LinkedIn base URL does not parse: {e}"))
        })?;
        let user_agent = user_agent
            .map(str::trim)
            .filter(|ua| !ua.is_empty() && HeaderValue::from_str(ua).is_ok())
            .unwrap_or(DEFAULT_USER_AGENT)
            .to_string();
        Ok(VoyagerClient {
            http,
            media,
            base_url: config.base_url.trim_end_matches('/').to_string(),
            origin,
            cookies: Mutex::new(cookies),
            user_agent,
            pacer: Pacer {
                min: config.min_delay,
                max: config.max_delay.max(config.min_delay),
                last: Mutex::new(None),
            },
        })
    }

    fn headers(&self, cookies: &SessionCookies, accept: &str) -> Result<HeaderMap, ProviderError> {
        let bad = |_| ProviderError::SessionExpired("the session cookies are not valid".into());
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&cookies.header()).map_err(bad)?,
        );
        if let Some(j) = &cookies.jsessionid {
            h.insert("csrf-token", HeaderValue::from_str(j).map_err(bad)?);
        }
        h.insert(header::ACCEPT, HeaderValue::from_str(accept).map_err(bad)?);
        h.insert(
            "x-restli-protocol-version",
            HeaderValue::from_static("2.0.0"),
        );
        h.insert("x-li-track", HeaderValue::from_static(X_LI_TRACK));
        h.insert("x-li-lang", HeaderValue::from_static("en_US"));
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-US,en;q=0.9"),
        );
        if let Ok(ua) = HeaderValue::from_str(&self.user_agent) {
            h.insert(header::USER_AGENT, ua);
        }
        Ok(h)
    }

    /// Gets a JSESSIONID the way the browser does when the account gave none: LinkedIn sets
    /// one on the first anonymous request.
    pub(crate) async fn ensure_jsessionid(&self) -> Result<(), ProviderError> {
        if self.cookies.lock().await.jsessionid.is_some() {
            return Ok(());
        }
        self.pacer.wait().await;
        let url = format!("{}{AUTHENTICATE_PATH}", self.base_url);
        let response = self
            .http
            .get(url)
            .header(header::USER_AGENT, &self.user_agent)
            .send()
            .await
            .map_err(transport)?;
        let found = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                let (pair, _) = c.split_once(';').unwrap_or((c, ""));
                let (name, value) = pair.split_once('=')?;
                let value = value.trim().trim_matches('"');
                (name.trim() == "JSESSIONID" && !value.is_empty()).then(|| value.to_string())
            });
        match found {
            Some(j) => {
                self.cookies.lock().await.jsessionid = Some(j);
                Ok(())
            }
            None => {
                let status = response.status();
                Err(
                    classify_failure(status, response.headers(), b"").unwrap_or_else(|| {
                        ProviderError::Protocol(format!(
                            "{AUTHENTICATE_PATH} answered {status} without a JSESSIONID cookie"
                        ))
                    }),
                )
            }
        }
    }

    /// A GET of `path_and_query` (already encoded): the body of a successful answer, to be read
    /// with [`parse`] into types that borrow from it.
    pub(crate) async fn get(
        &self,
        path_and_query: &str,
        accept: &str,
    ) -> Result<impl AsRef<[u8]>, ProviderError> {
        let headers = self.headers(&*self.cookies.lock().await, accept)?;
        self.pacer.wait().await;
        let url = format!("{}{path_and_query}", self.base_url);
        let response = self
            .http
            .get(url)
            .headers(headers)
            .send()
            .await
            .map_err(transport)?;
        read_body(response).await
    }
}

impl VoyagerClient {
    /// The web address of LinkedIn (or of the simulator standing in for it).
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Whether the session may fetch `url`, and with its cookies: the web app's own origin
    /// gets them (LinkedIn serves message media there, under `/dms/prv/…`), LinkedIn's media
    /// host gets none, and any other address is refused. A stored URL is provider data, not
    /// something to fetch blindly with the member's session.
    fn media_target(&self, raw: &str) -> Result<(Url, bool), ProviderError> {
        let refuse = |why: &str| {
            ProviderError::NotSupported(format!(
                "refusing to download an attachment from {raw:?}: {why}"
            ))
        };
        let url = Url::parse(raw).map_err(|_| refuse("not a URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("it carries credentials"));
        }
        let same_origin = url.scheme() == self.origin.scheme()
            && url.host_str().is_some()
            && url.host_str() == self.origin.host_str()
            && url.port_or_known_default() == self.origin.port_or_known_default();
        if same_origin {
            return Ok((url, true));
        }
        let media_host = url.scheme() == "https"
            && url.port_or_known_default() == Some(443)
            && url
                .host_str()
                .is_some_and(|h| h.to_ascii_lowercase().ends_with(MEDIA_HOST_SUFFIX));
        if media_host {
            return Ok((url, false));
        }
        Err(refuse("not a LinkedIn address"))
    }

    /// Streams the file at `url` the way the web app's page loads it: the browser's user agent,
    /// and the session's cookies where they belong, without the API's CSRF and Rest.li headers
    /// (mautrix/linkedin downloads media with its plain authenticated request,
    /// `pkg/linkedingo/media.go` `DownloadHTTP`). Failures are LinkedIn's signals as for any
    /// request; the body is handed on chunk by chunk as it arrives.
    pub(crate) async fn download(&self, url: &str) -> Result<AttachmentDownload, ProviderError> {
        let (url, with_cookies) = self.media_target(url)?;
        let mut headers = HeaderMap::new();
        if with_cookies {
            let cookies = self.cookies.lock().await.header();
            let v = HeaderValue::from_str(&cookies).map_err(|_| {
                ProviderError::SessionExpired("the session cookies are not valid".into())
            })?;
            headers.insert(header::COOKIE, v);
        }
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-US,en;q=0.9"),
        );
        if let Ok(ua) = HeaderValue::from_str(&self.user_agent) {
            headers.insert(header::USER_AGENT, ua);
        }
        self.pacer.wait().await;
        let mut response = self
            .media
            .get(url)
            .headers(headers)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let answer_headers = response.headers().clone();
        if !status.is_success() {
            let mut body = Vec::new();
            while body.len() < ERROR_BODY_LIMIT {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) | Err(_) => break,
                }
            }
            return Err(
                classify_failure(status, &answer_headers, &body).unwrap_or_else(|| {
                    ProviderError::Protocol(format!("LinkedIn answered {status}"))
                }),
            );
        }
        if let Some(err) = classify_failure(status, &answer_headers, b"") {
            return Err(err);
        }
        let text = |name: header::HeaderName| {
            answer_headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = text(header::CONTENT_TYPE).filter(|t| !t.is_empty());
        let length = text(header::CONTENT_LENGTH).and_then(|l| l.trim().parse().ok());
        let body = stream::unfold(Some(response), |response| async move {
            let mut response = response?;
            match response.chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(response))),
                Ok(None) => None,
                // The body broke off: the error ends the stream.
                Err(e) if e.is_timeout() => Some((Err(ProviderError::Timeout), None)),
                Err(e) => Some((
                    Err(ProviderError::Transient(format!(
                        "the download from LinkedIn broke off: {e}"
                    ))),
                    None,
                )),
            }
        })
        .boxed();
        Ok(AttachmentDownload {
            content_type,
            length,
            body,
        })
    }
}

/// A request that got no (complete) answer.
fn transport(e: reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        ProviderError::Timeout
    } else if e.is_connect() {
        ProviderError::Transient(format!("connecting to LinkedIn failed: {e}"))
    } else {
        // Reset or closed before an answer: the dropped connections of a flaky network.
        ProviderError::Transient(format!("the connection to LinkedIn failed: {e}"))
    }
}

/// Whether a `Set-Cookie` deletes `li_at` (`delete me`, an expiry in the past, `Max-Age=0`).
fn deletes_li_at(set_cookie: &str) -> bool {
    let mut parts = set_cookie.split(';');
    let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
        return false;
    };
    if name.trim() != "li_at" {
        return false;
    }
    let value = value.trim().trim_matches('"');
    if value.is_empty() || value == "delete me" {
        return true;
    }
    parts.any(|attr| {
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
fn location_path(headers: &HeaderMap) -> String {
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

/// What a non-success answer means, or `None` when it is a success.
pub(crate) fn classify_failure(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
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

/// The whole body of a successful answer; anything else is the error it means.
async fn read_body(response: Response) -> Result<impl AsRef<[u8]>, ProviderError> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = match response.bytes().await {
        Ok(b) => b,
        // The status line came but the body broke off: what we have is not a whole answer.
        Err(e) if e.is_timeout() => return Err(ProviderError::Timeout),
        Err(e) => {
            if let Some(err) = classify_failure(status, &headers, b"") {
                return Err(err);
            }
            return Err(ProviderError::Protocol(format!(
                "the answer was cut off: {e}"
            )));
        }
    };
    if let Some(err) = classify_failure(status, &headers, &body) {
        return Err(err);
    }
    Ok(body)
}

/// Reads a JSON body into `T`. Malformed or truncated JSON, and JSON of another shape than `T`,
/// are protocol errors.
pub(crate) fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|e| {
        ProviderError::Protocol(format!(
            "malformed JSON from LinkedIn ({e}): {}",
            quote(body)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn client(base_url: &str) -> VoyagerClient {
        let config = LinkedinConfig {
            base_url: base_url.to_string(),
            ..LinkedinConfig::default()
        };
        let cookies = SessionCookies::parse("li_at=AQE; JSESSIONID=\"ajax:1\"").unwrap();
        VoyagerClient::new(&config, cookies, None).unwrap()
    }

    #[test]
    fn downloads_go_to_linkedin_only_and_cookies_to_the_web_app_only() {
        let live = client("https://www.linkedin.com");
        let target = |url: &str| live.media_target(url).map(|(_, cookies)| cookies);
        assert_eq!(
            target("https://www.linkedin.com/dms/prv/image/v2/D4E06AQa/messaging-image-720/x"),
            Ok(true)
        );
        assert_eq!(
            target("https://WWW.LinkedIn.com:443/dms/prv/vid/v2/a/f"),
            Ok(true)
        );
        assert_eq!(
            target("https://media.licdn.com/dms/image/v2/D4E03AQx/profile-displayphoto-shrink_"),
            Ok(false)
        );
        for refused in [
            "http://www.linkedin.com/dms/prv/x",
            "https://www.linkedin.com:8443/dms/prv/x",
            "https://linkedin.com.evil.example/dms/prv/x",
            "https://www.linkedin.com@evil.example/dms/prv/x",
            "https://user:pw@www.linkedin.com/dms/prv/x",
            "https://licdn.com/x",
            "http://media.licdn.com/x",
            "https://media.licdn.com.evil.example/x",
            "/dms/prv/x",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(target(refused), Err(ProviderError::NotSupported(_))),
                "{refused}"
            );
        }
        let sim = client("http://127.0.0.1:4000");
        assert!(matches!(
            sim.media_target("http://127.0.0.1:4000/dms/prv/x"),
            Ok((_, true))
        ));
        assert!(sim.media_target("http://127.0.0.1:4001/dms/prv/x").is_err());
        assert!(sim.media_target("http://localhost:4000/dms/prv/x").is_err());
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
}
