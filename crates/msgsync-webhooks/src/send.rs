//! One delivery attempt: a signed POST to the user's endpoint, judged by its status.
//!
//! The receiver is untrusted: it may redirect us inside, never answer, or answer forever, so every
//! attempt is bounded in time and in bytes read, and its outcome is a value, never a panic.

use std::error::Error as _;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{redirect, Client, Response, StatusCode};
use tokio::time::Instant;

use crate::signing::{signature_header, Secret};
use crate::target::{check_url, GuardedResolver, TargetError, TargetPolicy};

/// Receivers are asked to answer quickly and work later; 15 s leaves room for a cold start.
const TIMEOUT_DEFAULT: Duration = Duration::from_secs(15);

/// Enough of an answer to show a user why their endpoint refused an event, not enough for a
/// hostile endpoint to fill our memory or database.
const RESPONSE_BODY_MAX_DEFAULT: usize = 4096;

/// A TCP or TLS handshake that takes longer than this is not going to deliver anything.
const CONNECT_TIMEOUT_MAX: Duration = Duration::from_secs(10);

/// A redirect's target is shown to the user but stored with the attempt, so it is cut short.
const LOCATION_CHARS_MAX: usize = 512;

const USER_AGENT: &str = concat!("msgsync-webhooks/", env!("CARGO_PKG_VERSION"));

const HEADER_WEBHOOK_ID: HeaderName = HeaderName::from_static("webhook-id");
const HEADER_WEBHOOK_TIMESTAMP: HeaderName = HeaderName::from_static("webhook-timestamp");
const HEADER_WEBHOOK_SIGNATURE: HeaderName = HeaderName::from_static("webhook-signature");

/// Headers a user may not set: ours carry the event's identity and proof, and the framing ones
/// would let a registered header corrupt the request.
const RESERVED_HEADERS: [HeaderName; 8] = [
    HEADER_WEBHOOK_ID,
    HEADER_WEBHOOK_TIMESTAMP,
    HEADER_WEBHOOK_SIGNATURE,
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    header::HOST,
    header::CONNECTION,
];

#[derive(Clone, Copy, Debug)]
pub struct DelivererConfig {
    pub policy: TargetPolicy,
    /// For the whole attempt, answer included: a receiver that trickles its answer holds a worker
    /// as surely as one that never answers.
    pub timeout: Duration,
    pub max_response_body: usize,
}

impl Default for DelivererConfig {
    fn default() -> DelivererConfig {
        DelivererConfig {
            policy: TargetPolicy::default(),
            timeout: TIMEOUT_DEFAULT,
            max_response_body: RESPONSE_BODY_MAX_DEFAULT,
        }
    }
}

/// Sends webhooks through one HTTP client, so that connections to a busy endpoint are reused.
#[derive(Clone, Debug)]
pub struct Deliverer {
    client: Client,
    config: DelivererConfig,
}

/// One event to one endpoint, borrowed from wherever the caller keeps them.
#[derive(Clone, Copy)]
pub struct Delivery<'a> {
    pub url: &'a str,
    pub msg_id: &'a str,
    pub timestamp_secs: i64,
    pub body: &'a [u8],
    pub secrets: &'a [&'a Secret],
    /// Headers the user registered with the endpoint, for example an authorization token.
    pub headers: &'a [(String, String)],
}

/// Leaves out what often holds a credential: the URL (a token in its query) and header values.
impl fmt::Debug for Delivery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Delivery")
            .field("msg_id", &self.msg_id)
            .field("timestamp_secs", &self.timestamp_secs)
            .field("body_len", &self.body.len())
            .field("secrets", &self.secrets.len())
            .field("header_names", &header_names)
            .finish_non_exhaustive()
    }
}

/// What the endpoint's answer means for the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Any 2xx: the receiver has the event.
    Delivered,
    /// 410: the spec's way for an endpoint to ask to be disabled.
    Gone,
    /// Anything else, our own refusals included: the schedule decides whether to try again.
    Retry,
}

/// The record of one attempt, as shown to the user and kept with the event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub verdict: Verdict,
    pub status: Option<u16>,
    pub latency: Duration,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

impl Attempt {
    /// An attempt that failed before anything was sent.
    fn not_sent(error: String) -> Attempt {
        Attempt {
            verdict: Verdict::Retry,
            status: None,
            latency: Duration::ZERO,
            error: Some(error),
            response_excerpt: None,
        }
    }
}

impl Deliverer {
    pub fn new(config: DelivererConfig) -> Result<Deliverer, reqwest::Error> {
        let client = Client::builder()
            .use_rustls_tls()
            // A redirect could lead to a private address after the checks; the user fixes the URL.
            .redirect(redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver::new(config.policy)))
            // A proxy would resolve the host itself, out of the guarded resolver's sight.
            .no_proxy()
            .connect_timeout(config.timeout.min(CONNECT_TIMEOUT_MAX))
            .user_agent(USER_AGENT)
            .build()?;
        Ok(Deliverer { client, config })
    }

    pub async fn deliver(&self, d: &Delivery<'_>) -> Attempt {
        let request = match self.prepare(d) {
            Ok(request) => request,
            Err(error) => return Attempt::not_sent(error),
        };
        let started = Instant::now();
        let deadline = started + self.config.timeout;
        let no_answer = || format!("no answer within {}", describe(self.config.timeout));

        let response = match tokio::time::timeout_at(deadline, self.client.execute(request)).await {
            Err(_elapsed) => Err(no_answer()),
            Ok(Err(e)) => Err(describe_send_error(e)),
            Ok(Ok(response)) => Ok(response),
        };
        let mut response = match response {
            Ok(response) => response,
            Err(error) => {
                return Attempt {
                    latency: started.elapsed(),
                    ..Attempt::not_sent(error)
                }
            }
        };

        let status = response.status();
        let mut excerpt = Vec::new();
        let read = tokio::time::timeout_at(
            deadline,
            read_at_most(&mut response, self.config.max_response_body, &mut excerpt),
        )
        .await;
        let latency = started.elapsed();
        let timed_out = read.is_err();
        let read_error = match read {
            Err(_elapsed) => Some(no_answer()),
            Ok(Err(e)) => Some(format!(
                "answer body could not be read: {}",
                error_chain(&e.without_url())
            )),
            Ok(Ok(())) => None,
        };

        let (verdict, status_error) = judge(status, &response);
        Attempt {
            // A receiver that never finishes its answer may not have kept the event either.
            verdict: if timed_out { Verdict::Retry } else { verdict },
            status: Some(status.as_u16()),
            latency,
            error: status_error.or(read_error),
            response_excerpt: (!excerpt.is_empty())
                .then(|| String::from_utf8_lossy(&excerpt).into_owned()),
        }
    }

    /// Everything that can be refused without a connection, checked at each attempt because
    /// reqwest connects to an IP-literal host without asking the guarded resolver.
    fn prepare(&self, d: &Delivery<'_>) -> Result<reqwest::Request, String> {
        let url = check_url(&self.config.policy, d.url).map_err(|e| e.to_string())?;
        let signature = signature_header(d.secrets, d.msg_id, d.timestamp_secs, d.body)
            .map_err(|e| e.to_string())?;

        let mut headers = HeaderMap::new();
        for (name, value) in d.headers {
            if let Some((name, value)) = user_header(name, value) {
                headers.append(name, value);
            }
        }
        let ours = [
            (HEADER_WEBHOOK_ID, d.msg_id.to_owned()),
            (HEADER_WEBHOOK_TIMESTAMP, d.timestamp_secs.to_string()),
            (HEADER_WEBHOOK_SIGNATURE, signature),
            (header::CONTENT_TYPE, "application/json".to_owned()),
        ];
        for (name, value) in ours {
            let value = HeaderValue::try_from(value)
                .map_err(|_| format!("{name} cannot be sent as an HTTP header value"))?;
            headers.insert(name, value);
        }

        self.client
            .post(url)
            .headers(headers)
            .body(d.body.to_vec())
            .build()
            .map_err(|e| error_chain(&e.without_url()))
    }
}

/// A header the user registered, if it can be sent; a bad one is dropped rather than failing
/// every delivery of the endpoint, since the rest of the request is still worth sending.
fn user_header(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    let Ok(parsed) = HeaderName::try_from(name) else {
        tracing::warn!(
            header = name,
            "webhook header skipped: not a valid header name"
        );
        return None;
    };
    if RESERVED_HEADERS.contains(&parsed) {
        tracing::warn!(header = %parsed, "webhook header skipped: set by msgsync itself");
        return None;
    }
    let Ok(value) = HeaderValue::try_from(value) else {
        // The value is not logged: it is often a credential.
        tracing::warn!(header = %parsed, "webhook header skipped: not a valid header value");
        return None;
    };
    Some((parsed, value))
}

/// Reads the answer until `max` bytes are held or it ends, one chunk at a time, so that an
/// endless answer costs at most one chunk beyond `max`.
async fn read_at_most(
    response: &mut Response,
    max: usize,
    into: &mut Vec<u8>,
) -> Result<(), reqwest::Error> {
    while into.len() < max {
        let Some(chunk) = response.chunk().await? else {
            break;
        };
        let take = chunk.len().min(max - into.len());
        into.extend_from_slice(&chunk[..take]);
    }
    Ok(())
}

fn judge(status: StatusCode, response: &Response) -> (Verdict, Option<String>) {
    if status.is_success() {
        return (Verdict::Delivered, None);
    }
    if status == StatusCode::GONE {
        return (Verdict::Gone, None);
    }
    if status.is_redirection() {
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .chars()
                    .take(LOCATION_CHARS_MAX)
                    .collect::<String>()
            })
            .unwrap_or_else(|| "none".to_owned());
        let error = format!(
            "redirect not followed (status {}, location {location})",
            status.as_u16()
        );
        return (Verdict::Retry, Some(error));
    }
    (Verdict::Retry, None)
}

/// Our refusal in its own words when the guarded resolver refused, the error chain otherwise.
/// The URL is left out: it may carry a token, and the attempt is stored beside it anyway.
fn describe_send_error(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut source = e.source();
    while let Some(cause) = source {
        if let Some(refusal) = cause.downcast_ref::<TargetError>() {
            return refusal.to_string();
        }
        source = cause.source();
    }
    if e.is_connect() {
        return format!("could not connect: {}", error_chain(&e));
    }
    error_chain(&e)
}

/// reqwest's own message says little ("error sending request"); the causes say what happened.
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A timeout as a user would write it: "15 s", or "500 ms" when it is not whole seconds.
fn describe(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_leaves_out_url_and_header_values() {
        let secret = Secret::generate();
        let headers = [("Authorization".to_owned(), "Bearer s3cret".to_owned())];
        let delivery = Delivery {
            url: "https://example.com/hook?token=t0ken",
            msg_id: "msg_1",
            timestamp_secs: 1,
            body: b"{}",
            secrets: &[&secret],
            headers: &headers,
        };
        let shown = format!("{delivery:?}");
        assert!(shown.contains("Authorization"), "{shown}");
        for hidden in ["s3cret", "t0ken", &secret.as_str()[6..]] {
            assert!(!shown.contains(hidden), "{shown}");
        }
    }

    #[test]
    fn timeouts_read_as_written() {
        assert_eq!(describe(Duration::from_secs(15)), "15 s");
        assert_eq!(describe(Duration::from_millis(500)), "500 ms");
        assert_eq!(describe(Duration::from_millis(1500)), "1500 ms");
    }

    #[test]
    fn user_headers_cannot_replace_ours_or_break_framing() {
        assert!(user_header("Authorization", "Bearer abc").is_some());
        for reserved in [
            "webhook-id",
            "Webhook-Signature",
            "WEBHOOK-TIMESTAMP",
            "content-type",
            "Content-Length",
            "transfer-encoding",
            "host",
            "connection",
        ] {
            assert!(user_header(reserved, "x").is_none(), "{reserved}");
        }
        assert!(user_header("bad name", "x").is_none());
        assert!(user_header("", "x").is_none());
        assert!(user_header("x-token", "line\nbreak").is_none());
    }
}
