//! Attachments: the files behind a message's media URLs, streamed from LinkedIn.

use futures::stream::{self, StreamExt};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::Url;

use super::client::VoyagerClient;
use super::signals::{classify_failure, transport};
use crate::{AttachmentDownload, ProviderError};

/// How much of a failed download's body is read to tell what the failure is.
const ERROR_BODY_LIMIT: usize = 4096;
/// LinkedIn's public media host (profile pictures, feed media): LinkedIn's, but not the web
/// app's, so the browser sends it none of the session's cookies.
const MEDIA_HOST_SUFFIX: &str = ".licdn.com";

impl VoyagerClient {
    /// Whether the session may fetch `url`, and with its cookies: the web app's own origin
    /// gets them (LinkedIn serves message media there, under `/dms/prv/…`), LinkedIn's media
    /// host gets none, and any other address is refused. A stored URL is provider data, not
    /// something to fetch blindly with the member's session.
    fn media_target(&self, raw: &str) -> Result<(Url, bool), ProviderError> {
        // The answer names the host only: the stored URL may carry a signature.
        let url = Url::parse(raw).map_err(|_| {
            ProviderError::NotSupported(
                "refusing to download an attachment: its stored address is not a URL".to_owned(),
            )
        })?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let refuse = |why: &str| {
            ProviderError::NotSupported(format!(
                "refusing to download an attachment from host {host:?}: {why}"
            ))
        };
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
            headers.insert(header::COOKIE, self.cookie_header().await?);
        }
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-US,en;q=0.9"),
        );
        if let Ok(ua) = HeaderValue::from_str(&self.browser.user_agent) {
            headers.insert(header::USER_AGENT, ua);
        }
        self.pacer.wait().await;
        let mut response = self
            .media
            .get(url)
            .headers(headers)
            .send()
            .await
            .map_err(|e| transport(e, self.proxy.as_deref()))?;
        let status = response.status();
        let answer_headers = response.headers().clone();
        if with_cookies {
            self.keep_cookies(&answer_headers).await;
        }
        if !status.is_success() {
            let mut body = Vec::new();
            while body.len() < ERROR_BODY_LIMIT {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) | Err(_) => break,
                }
            }
            return Err(
                classify_failure(status, &answer_headers, &body, self.proxy.as_deref())
                    .unwrap_or_else(|| {
                        ProviderError::Protocol(format!("LinkedIn answered {status}"))
                    }),
            );
        }
        if let Some(err) = classify_failure(status, &answer_headers, b"", self.proxy.as_deref()) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkedin::cookies::SessionCookies;
    use crate::linkedin::LinkedinConfig;

    fn client(base_url: &str) -> VoyagerClient {
        let config = LinkedinConfig {
            base_url: base_url.to_string(),
            ..LinkedinConfig::default()
        };
        let cookies = SessionCookies::parse("li_at=AQE; JSESSIONID=\"ajax:1\"").unwrap();
        VoyagerClient::new(&config, cookies, None, None).unwrap()
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
    fn a_refused_download_names_the_host_and_never_the_signed_address() {
        let sim = client("http://127.0.0.1:4000");
        let Err(ProviderError::NotSupported(why)) =
            sim.media_target("http://127.0.0.1:4001/dms/prv/x?sig=SECRET&user=user:pw")
        else {
            panic!("another port is refused");
        };
        assert!(why.contains("\"127.0.0.1\""), "{why}");
        assert!(!why.contains("SECRET") && !why.contains("/dms/"), "{why}");
    }
}
