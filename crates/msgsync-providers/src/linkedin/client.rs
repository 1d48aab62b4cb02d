//! One HTTP client per session: the web client's headers, the session's cookie jar, its proxy
//! and pacing, and LinkedIn's failure signals turned into [`ProviderError`]s (`signals`). The
//! connector never retries by itself: the engine decides (retry, park, fail) from the typed
//! error.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode, Url};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::browser::Browser;
use super::cookies::SessionCookies;
use super::signals::{classify_failure, quote, transport};
use super::LinkedinConfig;
use crate::{ProviderError, ProxyProtocol, ProxySettings};

/// The most a web page or a script of the web app may weigh before it is cut off.
const PAGE_LIMIT: usize = 16 * 1024 * 1024;
/// LinkedIn's static asset host, where the web app's scripts are (its pages load them from
/// `https://static.licdn.com/aero-v1/sc/h/…`); like the media host, it gets no cookies.
pub(crate) const STATIC_HOST: &str = "static.licdn.com";

/// The HTTP side of one session.
pub(crate) struct VoyagerClient {
    pub(super) http: reqwest::Client,
    /// For downloads: no limit on the whole exchange (a large file takes long), only on
    /// connecting and on each wait for more bytes.
    pub(super) media: reqwest::Client,
    base_url: String,
    /// `base_url` parsed: the origin the session's cookies belong to.
    pub(super) origin: Url,
    cookies: Mutex<SessionCookies>,
    /// Whether LinkedIn changed a cookie since the jar was last handed out.
    cookies_changed: AtomicBool,
    pub(super) browser: Browser,
    /// The account's proxy (`host:port`), for messages.
    pub(super) proxy: Option<String>,
    pub(super) pacer: Pacer,
}

/// Keeps one session's requests apart by a random delay; other sessions are not affected.
pub(crate) struct Pacer {
    min: Duration,
    max: Duration,
    last: Mutex<Option<Instant>>,
}

impl Pacer {
    pub(crate) async fn wait(&self) {
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

/// The proxy of an account as reqwest takes it. SOCKS5 resolves names at the proxy
/// (`socks5h`), so that not even a DNS query leaves the proxy's path.
fn proxy(settings: &ProxySettings) -> Result<reqwest::Proxy, ProviderError> {
    let scheme = match settings.protocol {
        ProxyProtocol::Http => "http",
        ProxyProtocol::Https => "https",
        ProxyProtocol::Socks5 => "socks5h",
    };
    let bad = |why: String| {
        ProviderError::SessionExpired(format!(
            "the account's proxy {} is not usable ({why}); reconnect the account with a valid proxy",
            settings.address()
        ))
    };
    let mut url = Url::parse(&format!("{scheme}://{}", settings.address()))
        .map_err(|e| bad(e.to_string()))?;
    if let Some(user) = &settings.username {
        url.set_username(user)
            .map_err(|()| bad("the username cannot go into a URL".into()))?;
        url.set_password(settings.password.as_deref())
            .map_err(|()| bad("the password cannot go into a URL".into()))?;
    }
    let mut proxy = reqwest::Proxy::all(url.as_str()).map_err(|e| bad(e.to_string()))?;
    if let (Some(user), ProxyProtocol::Http | ProxyProtocol::Https) =
        (&settings.username, settings.protocol)
    {
        proxy = proxy.basic_auth(user, settings.password.as_deref().unwrap_or(""));
    }
    Ok(proxy)
}

fn builder(settings: Option<&ProxySettings>) -> Result<reqwest::ClientBuilder, ProviderError> {
    // Redirects are LinkedIn's way of saying "log in again": look at them, never follow.
    let builder = reqwest::Client::builder().redirect(Policy::none());
    Ok(match settings {
        // With a proxy set, reqwest neither reads the environment's proxies nor goes around
        // this one.
        Some(settings) => builder.proxy(proxy(settings)?),
        // Without one, none from the environment either: an account's traffic goes where its
        // settings say.
        None => builder.no_proxy(),
    })
}

fn built(b: reqwest::ClientBuilder) -> Result<reqwest::Client, ProviderError> {
    b.build()
        .map_err(|e| ProviderError::Transient(format!("building the HTTP client: {e}")))
}

/// The `accept` of GraphQL queries.
pub(crate) const ACCEPT_GRAPHQL: &str = "application/graphql";

/// What LinkedIn answered a GraphQL query.
pub(crate) enum Answer {
    Body(bytes::Bytes),
    /// LinkedIn did not run the query, and why.
    Refused(String),
}

/// What kind of request a page load or API call is, for its headers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind<'a> {
    /// A Voyager API call from the messaging page (`accept` given).
    Voyager(&'a str),
    /// A Sales Navigator API call from its inbox page.
    Sales,
    /// A page load (navigation).
    Page,
}

impl VoyagerClient {
    pub(crate) fn new(
        config: &LinkedinConfig,
        cookies: SessionCookies,
        user_agent: Option<&str>,
        proxy: Option<&ProxySettings>,
    ) -> Result<VoyagerClient, ProviderError> {
        let http = built(builder(proxy)?.timeout(config.request_timeout))?;
        let media = built(
            builder(proxy)?
                .connect_timeout(config.request_timeout)
                .read_timeout(config.request_timeout),
        )?;
        let origin = Url::parse(&config.base_url).map_err(|e| {
            ProviderError::Protocol(format!("the LinkedIn base URL does not parse: {e}"))
        })?;
        Ok(VoyagerClient {
            http,
            media,
            base_url: config.base_url.trim_end_matches('/').to_string(),
            origin,
            cookies: Mutex::new(cookies),
            cookies_changed: AtomicBool::new(false),
            browser: Browser::new(user_agent),
            proxy: proxy.map(ProxySettings::address),
            pacer: Pacer {
                min: config.min_delay,
                max: config.max_delay.max(config.min_delay),
                last: Mutex::new(None),
            },
        })
    }

    /// The web address of LinkedIn (or of the simulator standing in for it).
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) async fn jsessionid(&self) -> Option<String> {
        self.cookies.lock().await.jsessionid().map(str::to_string)
    }

    pub(crate) async fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().await.get(name).map(str::to_string)
    }

    /// The jar's `Cookie` header, if LinkedIn changed it since the last call.
    pub(crate) fn take_changed_cookies(&self) -> Option<String> {
        if !self.cookies_changed.swap(false, Ordering::SeqCst) {
            return None;
        }
        // Only ever held briefly, never across an await: try_lock fails only in a race with
        // an answer being applied, whose change is then handed out next time.
        match self.cookies.try_lock() {
            Ok(jar) => Some(jar.header()),
            Err(_) => {
                self.cookies_changed.store(true, Ordering::SeqCst);
                None
            }
        }
    }

    pub(crate) async fn cookie_header(&self) -> Result<HeaderValue, ProviderError> {
        HeaderValue::from_str(&self.cookies.lock().await.header())
            .map_err(|_| ProviderError::SessionExpired("the session cookies are not valid".into()))
    }

    /// The headers the web app's page would send with a request of this kind.
    async fn headers(&self, kind: Kind<'_>) -> Result<HeaderMap, ProviderError> {
        let b = &self.browser;
        let mut h = HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(HeaderName::from_static(name), v);
            }
        };
        put("user-agent", &b.user_agent);
        put("accept-language", "en-US,en;q=0.9");
        if let Some(hints) = &b.client_hints {
            put("sec-ch-ua", &hints.brands);
            put("sec-ch-ua-mobile", hints.mobile);
            put("sec-ch-ua-platform", hints.platform);
        }
        let referer = |page: &str| format!("{}{page}", self.base_url);
        match kind {
            // mautrix-linkedin `WithWebpageHeaders` (`pkg/linkedingo/request.go`).
            Kind::Page => {
                put(
                    "accept",
                    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
                     image/webp,image/apng,*/*;q=0.8",
                );
                put("sec-fetch-dest", "document");
                put("sec-fetch-mode", "navigate");
                put("sec-fetch-site", "none");
                put("sec-fetch-user", "?1");
                put("upgrade-insecure-requests", "1");
            }
            // mautrix-linkedin `WithGraphQLQuery` / `WithXLIHeaders`.
            Kind::Voyager(accept) => {
                put("accept", accept);
                put("x-restli-protocol-version", "2.0.0");
                put("x-li-lang", "en_US");
                put("x-li-track", b.x_li_track);
                put("x-li-page-instance", &b.page_instance);
                put("referer", &referer("/messaging/"));
            }
            // What jackwener/OpenCLI sends from the Sales Navigator inbox page
            // (`clis/linkedin/salesnav-inbox.js`), the page being the referer.
            Kind::Sales => {
                put("accept", "application/json");
                put("x-restli-protocol-version", "2.0.0");
                put("x-li-lang", "en_US");
                put("referer", &referer("/sales/inbox/"));
            }
        }
        h.insert(header::COOKIE, self.cookie_header().await?);
        if kind != Kind::Page {
            if let Some(token) = self.jsessionid().await {
                let v = HeaderValue::from_str(&token).map_err(|_| {
                    ProviderError::SessionExpired("the JSESSIONID cookie is not valid".into())
                })?;
                h.insert("csrf-token", v);
            }
        }
        Ok(h)
    }

    /// Keeps the cookies an answer of the web host sets, as the browser does.
    pub(crate) async fn keep_cookies(&self, headers: &HeaderMap) {
        let mut jar = self.cookies.lock().await;
        let mut changed = false;
        for set in headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            changed |= jar.apply_set_cookie(set);
        }
        if changed {
            self.cookies_changed.store(true, Ordering::SeqCst);
        }
    }

    /// Sends a GET of `path_and_query` (already encoded) on the web host, paced, and keeps the
    /// cookies of the answer.
    async fn send(&self, path_and_query: &str, kind: Kind<'_>) -> Result<Response, ProviderError> {
        let headers = self.headers(kind).await?;
        self.pacer.wait().await;
        let url = format!("{}{path_and_query}", self.base_url);
        let response = self
            .http
            .get(url)
            .headers(headers)
            .send()
            .await
            .map_err(|e| transport(e, self.proxy.as_deref()))?;
        self.keep_cookies(response.headers()).await;
        Ok(response)
    }

    /// A GET on the web host: the body of a successful answer, to be read with [`parse`] into
    /// types that borrow from it.
    pub(crate) async fn get(
        &self,
        path_and_query: &str,
        kind: Kind<'_>,
    ) -> Result<bytes::Bytes, ProviderError> {
        let response = self.send(path_and_query, kind).await?;
        read_body(response, self.proxy.as_deref(), PAGE_LIMIT).await
    }

    /// A GraphQL query. LinkedIn refuses a persisted query id it no longer knows with a 400, or
    /// answers it with a web page instead of JSON: both come back as [`Answer::Refused`].
    pub(crate) async fn graphql(&self, path_and_query: &str) -> Result<Answer, ProviderError> {
        let response = self
            .send(path_and_query, Kind::Voyager(ACCEPT_GRAPHQL))
            .await?;
        if response.status() == StatusCode::BAD_REQUEST {
            let body = response.bytes().await.unwrap_or_default();
            return Ok(Answer::Refused(format!("400 {}", quote(&body))));
        }
        let body = read_body(response, self.proxy.as_deref(), PAGE_LIMIT).await?;
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
            return Ok(Answer::Refused("a web page instead of JSON".into()));
        }
        Ok(Answer::Body(body))
    }

    /// A script of the web app: on its own origin or LinkedIn's static host, without cookies
    /// (the browser sends the static host none) and without pacing (the browser fetches a
    /// page's scripts at once, from a CDN, not from the API).
    pub(crate) async fn asset(&self, url: &Url) -> Result<bytes::Bytes, ProviderError> {
        let same_origin = url.origin() == self.origin.origin();
        let static_host = url.scheme() == "https" && url.host_str() == Some(STATIC_HOST);
        if !same_origin && !static_host {
            return Err(ProviderError::NotSupported(format!(
                "not fetching a script from {url}: not LinkedIn's"
            )));
        }
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&self.browser.user_agent) {
            h.insert(header::USER_AGENT, v);
        }
        h.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        h.insert(
            header::REFERER,
            HeaderValue::from_str(&format!("{}/", self.base_url))
                .unwrap_or(HeaderValue::from_static("https://www.linkedin.com/")),
        );
        let response = self
            .http
            .get(url.clone())
            .headers(h)
            .send()
            .await
            .map_err(|e| transport(e, self.proxy.as_deref()))?;
        read_body(response, self.proxy.as_deref(), PAGE_LIMIT).await
    }
}

/// The whole body of a successful answer (at most `limit` bytes); anything else is the error
/// it means.
pub(crate) async fn read_body(
    mut response: Response,
    proxy: Option<&str>,
    limit: usize,
) -> Result<bytes::Bytes, ProviderError> {
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > limit {
                    return Err(ProviderError::Protocol(format!(
                        "LinkedIn's answer is larger than {limit} bytes"
                    )));
                }
            }
            Ok(None) => break,
            // The status line came but the body broke off: what we have is not a whole answer.
            Err(e) if e.is_timeout() => return Err(ProviderError::Timeout),
            Err(e) => {
                if let Some(err) = classify_failure(status, &headers, b"", proxy) {
                    return Err(err);
                }
                return Err(ProviderError::Protocol(format!(
                    "the answer was cut off: {e}"
                )));
            }
        }
    }
    if let Some(err) = classify_failure(status, &headers, &body, proxy) {
        return Err(err);
    }
    Ok(body.into())
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
