//! Deliveries over real HTTP on loopback, against a receiver that records what reached it.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use msgsync_webhooks::{
    check_url, Attempt, Deliverer, DelivererConfig, Delivery, Secret, TargetError, TargetPolicy,
    Verdict,
};

/// Generous: only a hang should ever reach it.
const DEADLINE: Duration = Duration::from_secs(30);
/// Short, so that the test of a receiver that never answers is quick.
const SHORT_TIMEOUT: Duration = Duration::from_millis(500);
const BIG_ANSWER_BYTES: usize = 10 * 1024 * 1024;

const ALLOW: TargetPolicy = TargetPolicy {
    allow_private: true,
};
const DENY: TargetPolicy = TargetPolicy {
    allow_private: false,
};

struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Received>>>);

impl Receiver {
    fn paths(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.path.clone())
            .collect()
    }
}

/// The receiver's behaviour is chosen by the path, so one server serves every case.
async fn receive(
    State(receiver): State<Receiver>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    receiver.0.lock().unwrap().push(Received {
        path: path.clone(),
        headers,
        body,
    });
    match path.as_str() {
        "/ok" | "/redirect-target" => (StatusCode::OK, "thanks").into_response(),
        "/gone" => StatusCode::GONE.into_response(),
        "/fail" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "/redirect" => (
            StatusCode::FOUND,
            [("location", "/redirect-target")],
            "moved",
        )
            .into_response(),
        "/big" => (StatusCode::OK, vec![b'x'; BIG_ANSWER_BYTES]).into_response(),
        "/never" => std::future::pending().await,
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts the receiver on an ephemeral loopback port; it stops with the test's runtime.
async fn start_receiver() -> (Receiver, u16) {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Router::new().fallback(receive).with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (receiver, port)
}

fn deliverer(policy: TargetPolicy) -> Deliverer {
    Deliverer::new(DelivererConfig {
        policy,
        timeout: SHORT_TIMEOUT,
        ..DelivererConfig::default()
    })
    .unwrap()
}

async fn within<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(DEADLINE, f)
        .await
        .expect("finished before the deadline")
}

const BODY: &[u8] = br#"{"type":"message.created","data":{"id":"m_1","text":"caf\u00e9"}}"#;

async fn send(deliverer: &Deliverer, url: &str, secret: &Secret) -> Attempt {
    let headers = [];
    let delivery = Delivery {
        url,
        msg_id: "msg_01",
        timestamp_secs: 1_700_000_000,
        body: BODY,
        secrets: &[secret],
        headers: &headers,
    };
    within(deliverer.deliver(&delivery)).await
}

/// The receiver's side of the spec, written from the spec rather than with its crate.
fn verifies(secret: &Secret, headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
    let key = STANDARD
        .decode(secret.as_str().strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", header("webhook-id"), header("webhook-timestamp")).as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    header("webhook-signature")
        .split(' ')
        .any(|signature| signature == expected)
}

#[tokio::test]
async fn a_2xx_is_delivered_signed_with_the_users_headers() {
    let (receiver, port) = start_receiver().await;
    let old = Secret::generate();
    let new = Secret::generate();
    let headers = [
        ("Authorization".to_owned(), "Bearer t0ken".to_owned()),
        ("X-Tenant".to_owned(), "acme".to_owned()),
        // Neither may replace what msgsync sets.
        ("webhook-id".to_owned(), "forged".to_owned()),
        ("Content-Type".to_owned(), "text/plain".to_owned()),
        // Skipped with a warning, not a panic.
        ("bad header".to_owned(), "x".to_owned()),
        ("X-Broken".to_owned(), "line\nbreak".to_owned()),
    ];
    let url = format!("http://127.0.0.1:{port}/ok");
    let delivery = Delivery {
        url: &url,
        msg_id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        timestamp_secs: 1_700_000_123,
        body: BODY,
        secrets: &[&old, &new],
        headers: &headers,
    };

    let attempt = within(deliverer(ALLOW).deliver(&delivery)).await;

    assert_eq!(attempt.verdict, Verdict::Delivered, "{attempt:?}");
    assert_eq!(attempt.status, Some(200));
    assert_eq!(attempt.error, None);
    assert_eq!(attempt.response_excerpt.as_deref(), Some("thanks"));
    assert!(attempt.latency > Duration::ZERO);

    let received = receiver.0.lock().unwrap();
    let [request] = &received[..] else {
        panic!("expected one request, got {}", received.len());
    };
    let h = &request.headers;
    assert_eq!(request.body, BODY);
    assert_eq!(h["webhook-id"], "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
    assert_eq!(h.get_all("webhook-id").iter().count(), 1);
    assert_eq!(h["webhook-timestamp"], "1700000123");
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h.get_all("content-type").iter().count(), 1);
    assert_eq!(h["authorization"], "Bearer t0ken");
    assert_eq!(h["x-tenant"], "acme");
    assert!(h.get("x-broken").is_none());
    assert!(h["user-agent"]
        .to_str()
        .unwrap()
        .starts_with("msgsync-webhooks/"));
    let signature = h["webhook-signature"].to_str().unwrap();
    assert_eq!(signature.split(' ').count(), 2, "{signature}");
    assert!(verifies(&old, h, &request.body));
    assert!(verifies(&new, h, &request.body));
    assert!(!verifies(&Secret::generate(), h, &request.body));
}

#[tokio::test]
async fn a_410_asks_for_the_endpoint_to_be_disabled() {
    let (_receiver, port) = start_receiver().await;
    let attempt = send(
        &deliverer(ALLOW),
        &format!("http://127.0.0.1:{port}/gone"),
        &Secret::generate(),
    )
    .await;
    assert_eq!(attempt.verdict, Verdict::Gone, "{attempt:?}");
    assert_eq!(attempt.status, Some(410));
}

#[tokio::test]
async fn a_500_is_retried_with_its_status_and_answer() {
    let (_receiver, port) = start_receiver().await;
    let attempt = send(
        &deliverer(ALLOW),
        &format!("http://127.0.0.1:{port}/fail"),
        &Secret::generate(),
    )
    .await;
    assert_eq!(attempt.verdict, Verdict::Retry, "{attempt:?}");
    assert_eq!(attempt.status, Some(500));
    assert_eq!(attempt.response_excerpt.as_deref(), Some("boom"));
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let (receiver, port) = start_receiver().await;
    let attempt = send(
        &deliverer(ALLOW),
        &format!("http://127.0.0.1:{port}/redirect"),
        &Secret::generate(),
    )
    .await;
    assert_eq!(attempt.verdict, Verdict::Retry, "{attempt:?}");
    assert_eq!(attempt.status, Some(302));
    assert_eq!(
        attempt.error.as_deref(),
        Some("redirect not followed (status 302, location /redirect-target)")
    );
    assert_eq!(receiver.paths(), ["/redirect"]);
}

#[tokio::test]
async fn a_receiver_that_never_answers_is_given_up_at_the_timeout() {
    let (receiver, port) = start_receiver().await;
    let attempt = send(
        &deliverer(ALLOW),
        &format!("http://127.0.0.1:{port}/never"),
        &Secret::generate(),
    )
    .await;
    assert_eq!(attempt.verdict, Verdict::Retry, "{attempt:?}");
    assert_eq!(attempt.status, None);
    assert_eq!(attempt.error.as_deref(), Some("no answer within 500 ms"));
    assert!(attempt.latency >= SHORT_TIMEOUT, "{attempt:?}");
    assert_eq!(receiver.paths(), ["/never"]);
}

#[tokio::test]
async fn only_the_start_of_a_huge_answer_is_read() {
    let (_receiver, port) = start_receiver().await;
    let max = DelivererConfig::default().max_response_body;
    let attempt = send(
        &deliverer(ALLOW),
        &format!("http://127.0.0.1:{port}/big"),
        &Secret::generate(),
    )
    .await;
    assert_eq!(attempt.verdict, Verdict::Delivered, "{attempt:?}");
    assert_eq!(attempt.error, None);
    let excerpt = attempt.response_excerpt.unwrap();
    assert_eq!(excerpt.len(), max);
    assert!(excerpt.bytes().all(|b| b == b'x'));
}

#[tokio::test]
async fn private_targets_are_refused_before_any_connection() {
    let (receiver, port) = start_receiver().await;
    let secret = Secret::generate();
    let deny = deliverer(DENY);

    let literal = send(&deny, &format!("http://127.0.0.1:{port}/ok"), &secret).await;
    assert_eq!(literal.verdict, Verdict::Retry, "{literal:?}");
    assert_eq!(literal.status, None);
    assert_eq!(
        literal.error.as_deref(),
        Some(
            "request_url points to a private, loopback or link-local address (127.0.0.1); \
             set MSGSYNC_WEBHOOK_ALLOW_PRIVATE=true to allow it"
        )
    );

    // A name is judged by the guarded resolver, on the addresses the connection would use.
    let name = send(&deny, &format!("http://localhost:{port}/ok"), &secret).await;
    assert_eq!(name.verdict, Verdict::Retry, "{name:?}");
    assert_eq!(name.status, None);
    let error = name.error.unwrap();
    assert!(
        error.starts_with(
            "request_url host localhost resolves only to private, loopback or link-local addresses"
        ),
        "{error}"
    );

    let ipv6 = send(
        &deny,
        &format!("http://[::ffff:127.0.0.1]:{port}/ok"),
        &secret,
    )
    .await;
    assert_eq!(ipv6.verdict, Verdict::Retry, "{ipv6:?}");

    assert!(receiver.paths().is_empty(), "{:?}", receiver.paths());

    let allow = deliverer(ALLOW);
    for url in [
        format!("http://127.0.0.1:{port}/ok"),
        format!("http://localhost:{port}/ok"),
    ] {
        let attempt = send(&allow, &url, &secret).await;
        assert_eq!(attempt.verdict, Verdict::Delivered, "{url}: {attempt:?}");
    }
    assert_eq!(receiver.paths(), ["/ok", "/ok"]);
}

#[tokio::test]
async fn only_http_and_https_are_accepted() {
    assert_eq!(
        check_url(&ALLOW, "ftp://example.com/hook").unwrap_err(),
        TargetError::UnsupportedScheme("ftp".to_owned())
    );
    let attempt = send(
        &deliverer(ALLOW),
        "ftp://example.com/hook",
        &Secret::generate(),
    )
    .await;
    assert_eq!(attempt.verdict, Verdict::Retry);
    assert_eq!(
        attempt.error.as_deref(),
        Some("request_url must use http or https (it uses ftp)")
    );
}

#[tokio::test]
async fn an_answer_that_never_finishes_is_retried_at_the_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // A raw socket, because a framework would not let a handler stop halfway through a body.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await.unwrap();
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc")
            .await
            .unwrap();
        std::future::pending::<()>().await;
    });

    let attempt = send(
        &deliverer(ALLOW),
        &format!("http://127.0.0.1:{port}/trickle"),
        &Secret::generate(),
    )
    .await;
    assert_eq!(attempt.verdict, Verdict::Retry, "{attempt:?}");
    assert_eq!(attempt.status, Some(200));
    assert_eq!(attempt.error.as_deref(), Some("no answer within 500 ms"));
    assert_eq!(attempt.response_excerpt.as_deref(), Some("abc"));
}
