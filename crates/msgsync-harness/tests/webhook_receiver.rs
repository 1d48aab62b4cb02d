//! The webhook receiver: its signature checks against deliveries signed by hand, and its
//! behaviours, down and up, and waiting, over real HTTP on loopback.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use msgsync_harness::webhook_receiver::verify;
use msgsync_harness::{Behaviour, ReceivedDelivery, VerifyError, WebhookReceiver};
use sha2::Sha256;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_c2VjcmV0IG51bWJlciB0d28gZm9yIHRlc3Rz";
const TOLERANCE: Duration = Duration::from_secs(5 * 60);
/// Long enough for anything on loopback to arrive, short enough for a failing test to end.
const ARRIVAL: Duration = Duration::from_secs(10);
/// How long a client waits for an answer the receiver was told never to give.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(300);

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under the key in `secret`.
fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

fn delivery(id: &str, timestamp: i64, signature: &str, body: &str) -> ReceivedDelivery {
    let headers = BTreeMap::from([
        ("webhook-id".to_owned(), id.to_owned()),
        ("webhook-timestamp".to_owned(), timestamp.to_string()),
        ("webhook-signature".to_owned(), signature.to_owned()),
    ]);
    ReceivedDelivery {
        method: "POST".to_owned(),
        path: "/hook".to_owned(),
        query: None,
        headers,
        body: body.to_owned().into(),
        received_at: Instant::now(),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[test]
fn the_specifications_example_verifies() {
    // The example of the Standard Webhooks and Svix documentation, signed in 2021.
    let d = delivery(
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        r#"{"test": 2432232314}"#,
    );
    assert_eq!(
        verify(&d, &[SECRET], Duration::MAX),
        Ok(serde_json::json!({"test": 2432232314u64}))
    );
    assert!(matches!(
        verify(&d, &[SECRET], TOLERANCE),
        Err(VerifyError::TimestampOutsideTolerance { .. })
    ));
}

#[test]
fn each_check_fails_on_its_own() {
    let body = r#"{"event":"message.created","n":1}"#;
    let ts = now();
    let good = delivery("msg_1", ts, &sign(SECRET, "msg_1", ts, body), body);
    assert_eq!(good.verify(&[SECRET], TOLERANCE).unwrap()["n"], 1);

    assert_eq!(
        good.verify(&[OTHER_SECRET], TOLERANCE),
        Err(VerifyError::NoMatchingSignature { v1_signatures: 1 })
    );

    let mut tampered = good.clone();
    tampered.body = body.replace("\"n\":1", "\"n\":2").into();
    assert_eq!(
        tampered.verify(&[SECRET], TOLERANCE),
        Err(VerifyError::NoMatchingSignature { v1_signatures: 1 })
    );

    let old_ts = ts - 10 * 60;
    let old = delivery("msg_1", old_ts, &sign(SECRET, "msg_1", old_ts, body), body);
    let err = old.verify(&[SECRET], TOLERANCE).unwrap_err();
    assert!(
        matches!(err, VerifyError::TimestampOutsideTolerance { timestamp, .. } if timestamp == old_ts),
        "{err}"
    );
    assert!(err.to_string().contains("too old"), "{err}");

    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let mut missing = good.clone();
        missing.headers.remove(name);
        assert_eq!(
            missing.verify(&[SECRET], TOLERANCE),
            Err(VerifyError::MissingHeader(name))
        );
    }

    let mut bad_ts = good.clone();
    bad_ts
        .headers
        .insert("webhook-timestamp".into(), "yesterday".into());
    assert!(matches!(
        bad_ts.verify(&[SECRET], TOLERANCE),
        Err(VerifyError::BadTimestamp(_))
    ));

    let not_json = "not json";
    let signed = delivery("msg_2", ts, &sign(SECRET, "msg_2", ts, not_json), not_json);
    assert!(matches!(
        signed.verify(&[SECRET], TOLERANCE),
        Err(VerifyError::BodyNotJson(_))
    ));

    assert_eq!(
        good.verify(&["whsec_not base64!"], TOLERANCE),
        Err(VerifyError::BadSecret(0))
    );
}

#[tokio::test]
async fn a_signed_delivery_over_http_verifies_during_a_key_rotation() {
    let receiver = WebhookReceiver::start().await.unwrap();
    let body = r#"{"type":"sync.completed","data":{"account":"acc_1"}}"#;
    let ts = now();
    // The new key signs first, then the old one; an unknown version is skipped.
    let signatures = format!(
        "v2,AAAA {} {}",
        sign(OTHER_SECRET, "msg_9", ts, body),
        sign(SECRET, "msg_9", ts, body)
    );
    let response = client()
        .post(receiver.url("/hooks/a?x=1"))
        .header("Webhook-Id", "msg_9")
        .header("Webhook-Timestamp", ts.to_string())
        .header("Webhook-Signature", signatures)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let got = receiver.wait_for_count(1, ARRIVAL).await.unwrap();
    let d = &got[0];
    assert_eq!(
        (d.method.as_str(), d.path.as_str(), d.query.as_deref()),
        ("POST", "/hooks/a", Some("x=1"))
    );
    assert_eq!(d.header("WEBHOOK-ID"), Some("msg_9"));
    assert_eq!(d.body, body.as_bytes());
    // Either secret alone verifies: each signed one entry of the list.
    for secret in [SECRET, OTHER_SECRET] {
        let payload = d.verify(&[secret], TOLERANCE).unwrap();
        assert_eq!(payload["data"]["account"], "acc_1");
    }
    let third = "whsec_dGhpcmQgc2VjcmV0IG5vdCB1c2VkIGhlcmU=";
    assert_eq!(
        d.verify(&[third], TOLERANCE),
        Err(VerifyError::NoMatchingSignature { v1_signatures: 2 })
    );
    assert!(d.verify(&[third, SECRET], TOLERANCE).is_ok());
}

#[tokio::test]
async fn each_path_answers_as_told_and_every_request_is_recorded() {
    let receiver = WebhookReceiver::start().await.unwrap();
    receiver.set_behaviour("/gone", Behaviour::Status(410));
    receiver.set_behaviour("/hang", Behaviour::Hang);
    receiver.set_behaviour(
        "/moved",
        Behaviour::Redirect("http://example.invalid/x".into()),
    );
    let client = client();

    let ok = client.post(receiver.url("/other")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let gone = client.post(receiver.url("/gone")).send().await.unwrap();
    assert_eq!(gone.status(), 410);

    let started = Instant::now();
    let hung = client
        .post(receiver.url("/hang"))
        .timeout(CLIENT_TIMEOUT)
        .send()
        .await
        .unwrap_err();
    assert!(hung.is_timeout(), "{hung}");
    assert!(started.elapsed() >= CLIENT_TIMEOUT);

    let moved = client.post(receiver.url("/moved")).send().await.unwrap();
    assert_eq!(moved.status(), 302);
    assert_eq!(moved.headers()["location"], "http://example.invalid/x");

    // A behaviour changes at any time.
    receiver.set_behaviour("/gone", Behaviour::Status(200));
    let back = client.post(receiver.url("/gone")).send().await.unwrap();
    assert_eq!(back.status(), 200);

    let paths: Vec<String> = receiver
        .wait_for_count(5, ARRIVAL)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.path)
        .collect();
    assert_eq!(paths, ["/other", "/gone", "/hang", "/moved", "/gone"]);
    assert_eq!(receiver.count(), 5);
}

#[tokio::test]
async fn down_refuses_connections_and_up_listens_on_the_same_port() {
    let receiver = WebhookReceiver::start().await.unwrap();
    let addr = receiver.addr();
    receiver.set_behaviour("/hang", Behaviour::Hang);
    let client = client();
    assert_eq!(
        client
            .post(receiver.url("/a"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // A request left hanging ends with its connection when the receiver goes down.
    let hanging = tokio::spawn(client.post(receiver.url("/hang")).send());
    receiver.wait_for_count(2, ARRIVAL).await.unwrap();
    receiver.down().await;
    let cut = tokio::time::timeout(ARRIVAL, hanging)
        .await
        .expect("the hanging request ends when the receiver goes down")
        .unwrap()
        .unwrap_err();
    assert!(!cut.is_timeout(), "{cut}");

    let refused = client.post(receiver.url("/a")).send().await.unwrap_err();
    assert!(refused.is_connect(), "{refused}");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    receiver.up().await.unwrap();
    assert_eq!(receiver.addr(), addr);
    assert_eq!(
        client
            .post(receiver.url("/b"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let paths: Vec<String> = receiver.deliveries().into_iter().map(|d| d.path).collect();
    assert_eq!(paths, ["/a", "/hang", "/b"]);
}

#[tokio::test]
async fn wait_for_count_says_how_many_arrived_at_its_deadline() {
    let receiver = WebhookReceiver::start().await.unwrap();
    client().post(receiver.url("/a")).send().await.unwrap();
    let started = Instant::now();
    let deadline = Duration::from_millis(200);
    let err = receiver.wait_for_count(3, deadline).await.unwrap_err();
    assert!(started.elapsed() >= deadline);
    assert!(err.to_string().contains("3 webhook deliveries"), "{err}");
    assert!(err.to_string().contains("1 arrived"), "{err}");

    // A waiter wakes up when the count is reached, not at its deadline.
    let waiter = receiver.wait_for_count(2, ARRIVAL);
    let send = client().post(receiver.url("/b")).send();
    let (got, sent) = tokio::join!(waiter, send);
    sent.unwrap();
    assert_eq!(got.unwrap().len(), 2);
}
