//! The Standard Webhooks reference library (Python's `standardwebhooks`, in the tests' venv), the
//! verifier the webhook tests check deliveries with besides their own: it accepts deliveries
//! signed by hand as the specification says, and refuses a tampered one.

mod common;

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OLD_SECRET: &str = "whsec_c2VjcmV0IG51bWJlciB0d28gZm9yIHRlc3Rz";

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under the key in `secret`.
fn sign(secret: &str, id: &str, timestamp: u64, body: &str) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

fn headers(id: &str, timestamp: u64, signature: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("webhook-id".to_owned(), id.to_owned()),
        ("webhook-timestamp".to_owned(), timestamp.to_string()),
        ("webhook-signature".to_owned(), signature.to_owned()),
    ])
}

#[tokio::test]
async fn the_reference_library_accepts_hand_signed_deliveries_and_refuses_a_tampered_one() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let bodies = [
        json!({"type": "message.created", "data": {"id": "msg_1", "text": "héllo ✓"}}),
        json!({"type": "sync.completed", "data": {"account": "acc_1", "messages": 20}}),
        json!({"type": "account.disconnected", "data": {"account": "acc_2"}}),
    ];
    let mut deliveries: Vec<(BTreeMap<String, String>, String)> = bodies
        .iter()
        .enumerate()
        .map(|(n, body)| {
            let id = format!("msg_{n}");
            let body = body.to_string();
            (headers(&id, now, &sign(SECRET, &id, now, &body)), body)
        })
        .collect();
    // During a key rotation: signed with the old key and the current one.
    let rotated = json!({"type": "key.rotated"}).to_string();
    let both = format!(
        "{} {}",
        sign(OLD_SECRET, "msg_r", now, &rotated),
        sign(SECRET, "msg_r", now, &rotated)
    );
    deliveries.push((headers("msg_r", now, &both), rotated));

    let payloads = common::verify_webhooks_with_python(SECRET, &deliveries)
        .await
        .unwrap();
    assert_eq!(payloads[..3], bodies);
    assert_eq!(payloads[3], json!({"type": "key.rotated"}));

    let mut tampered = deliveries.clone();
    tampered[1].1 = tampered[1].1.replace("20", "21");
    let err = common::verify_webhooks_with_python(SECRET, &tampered)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(r#""failed": 1"#), "{err}");
    assert!(err.contains("No matching signature"), "{err}");

    let err = common::verify_webhooks_with_python(OLD_SECRET, &deliveries[..1])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("No matching signature"), "{err}");
}
