//! Webhooks (CONTRACT §7), end to end: a real msgsync process, a receiver of the test's own on
//! loopback that checks every signature with its own implementation of Standard Webhooks, and
//! the PyPI reference library as a second, independent verifier.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use common::{assert_error, TestServer};
use msgsync_harness::{Behaviour, ReceivedDelivery, WebhookReceiver};
use serde_json::{json, Value};

const DEADLINE: Duration = Duration::from_secs(60);
const TOLERANCE: Duration = Duration::from_secs(300);
/// Retries come quickly, so that a receiver down for a while is seen coming back in a test.
const FAST_SCHEDULE: &str = "100ms,200ms,300ms,500ms,500ms,1s,1s,1s,1s";

async fn server(extra: &[(&str, &str)]) -> TestServer {
    let mut env = vec![
        ("MSGSYNC_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("MSGSYNC_WEBHOOK_RETRY_SCHEDULE", FAST_SCHEDULE),
        ("MSGSYNC_WEBHOOK_POLL_INTERVAL_MS", "100"),
    ];
    env.extend_from_slice(extra);
    TestServer::start_with(&env).await
}

/// Every delivery verified with the test's own implementation of the specification: the
/// payloads, in the order received.
fn verified(deliveries: &[ReceivedDelivery], secrets: &[&str]) -> Vec<Value> {
    deliveries
        .iter()
        .map(|d| {
            d.verify(secrets, TOLERANCE)
                .unwrap_or_else(|e| panic!("a delivery does not verify: {e}: {d:?}"))
        })
        .collect()
}

fn status_messages(payloads: &[Value], account: &str) -> Vec<String> {
    payloads
        .iter()
        .filter(|p| p["AccountStatus"]["account_id"] == account)
        .map(|p| p["AccountStatus"]["message"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until the receiver has `n` deliveries whose ids are distinct; all deliveries.
async fn wait_distinct(receiver: &WebhookReceiver, n: usize) -> Vec<ReceivedDelivery> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut at_least = n;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let all = receiver
            .wait_for_count(at_least, left)
            .await
            .unwrap_or_else(|e| panic!("waiting for {n} distinct events: {e}"));
        let ids: HashSet<&str> = all.iter().filter_map(|d| d.header("webhook-id")).collect();
        if ids.len() >= n {
            return all;
        }
        at_least = all.len() + 1;
    }
}

#[tokio::test]
async fn account_status_events_arrive_signed_in_order_with_the_sync_outcome() {
    let receiver = WebhookReceiver::start().await.unwrap();
    let server = server(&[]).await;
    let key = server.test_key();
    let (webhook, secret) = server
        .register_webhook(
            &key,
            json!({
                "request_url": receiver.url("/hooks/status"),
                "source": "account_status",
                "name": "status",
                "headers": [{"key": "X-Receiver-Token", "value": "t0k3n"}],
            }),
        )
        .await;

    let account = server
        .synced_account(&key, "LINKEDIN", "sandbox:chats=3,messages=4")
        .await;
    let deliveries = wait_distinct(&receiver, 2).await;
    let payloads = verified(&deliveries, &[&secret]);
    let messages = status_messages(&payloads, &account);
    assert_eq!(messages[0], "CREATION_SUCCESS", "{payloads:?}");
    let outcome = payloads
        .iter()
        .find(|p| p["AccountStatus"]["message"] == "SYNC_SUCCESS")
        .unwrap_or_else(|| panic!("no SYNC_SUCCESS in {payloads:?}"));
    let status = &outcome["AccountStatus"];
    assert_eq!(status["account_type"], "LINKEDIN");
    assert_eq!(status["status"], "SYNC_DONE");
    assert!(status["sync_id"].as_str().unwrap().starts_with("sync_"));
    assert_eq!(status["progress"]["chats"], 3, "{status}");
    for d in &deliveries {
        assert_eq!(d.method, "POST");
        assert_eq!(d.path, "/hooks/status");
        assert_eq!(d.header("x-receiver-token"), Some("t0k3n"));
        assert_eq!(d.header("content-type"), Some("application/json"));
    }

    // The reference library from PyPI agrees.
    let for_python: Vec<(BTreeMap<String, String>, String)> = deliveries
        .iter()
        .map(|d| {
            (
                d.headers.clone(),
                String::from_utf8(d.body.to_vec()).unwrap(),
            )
        })
        .collect();
    let checked = common::verify_webhooks_with_python(&secret, &for_python)
        .await
        .unwrap();
    assert_eq!(checked.len(), deliveries.len());

    // A reconnect is reported, then a deletion, after everything before them.
    let before = deliveries.len();
    server
        .reconnect(&key, &account, "LINKEDIN", "sandbox:chats=3,messages=4")
        .await;
    let deliveries = receiver.wait_for_count(before + 1, DEADLINE).await.unwrap();
    let payloads = verified(&deliveries, &[&secret]);
    assert_eq!(
        status_messages(&payloads, &account)
            .last()
            .map(String::as_str),
        Some("RECONNECTED")
    );
    let before = deliveries.len();
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/accounts/{account}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let deliveries = receiver.wait_for_count(before + 1, DEADLINE).await.unwrap();
    let payloads = verified(&deliveries, &[&secret]);
    assert_eq!(
        status_messages(&payloads, &account)
            .last()
            .map(String::as_str),
        Some("DELETED")
    );

    // The attempts are visible, each with its status code and latency (the last one is
    // recorded once its answer is in: the receiver may have it a moment before).
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let list = loop {
        let (status, list) = server
            .get(&format!("/api/v1/webhooks/{webhook}/deliveries"), &key)
            .await;
        assert_eq!(status, 200, "{list}");
        if list["items"].as_array().unwrap().len() >= payloads.len() {
            break list;
        }
        assert!(tokio::time::Instant::now() < deadline, "{list}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(list["object"], "WebhookDeliveryList");
    assert_eq!(list["pending"], 0, "{list}");
    let items = list["items"].as_array().unwrap();
    assert!(items
        .iter()
        .all(|a| a["status_code"] == 200 && a["state"] == "delivered"));

    // Another key's owner sees none of it.
    let other = server.create_key(&[
        "--name",
        "other",
        "--owner",
        "someone-else",
        "--mode",
        "test",
    ]);
    let (_, theirs) = server.get("/api/v1/webhooks", &other).await;
    assert_eq!(theirs["items"], json!([]), "{theirs}");
    let (status, body) = server
        .get(&format!("/api/v1/webhooks/{webhook}/deliveries"), &other)
        .await;
    assert_error(status, &body, 404, "resource_not_found");
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_every_event_once_in_order_when_it_is_back() {
    let receiver = WebhookReceiver::start().await.unwrap();
    receiver.down().await;
    let server = server(&[]).await;
    let key = server.test_key();
    let (webhook, secret) = server
        .register_webhook(
            &key,
            json!({"request_url": receiver.url("/h"), "source": "account_status"}),
        )
        .await;
    let mut accounts = Vec::new();
    for seed in 1..=3 {
        let scenario = format!("sandbox:chats=2,messages=2,seed={seed}");
        accounts.push(server.synced_account(&key, "TELEGRAM", &scenario).await);
    }
    // Failed attempts are recorded and the events wait.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let (_, list) = server
            .get(&format!("/api/v1/webhooks/{webhook}/deliveries"), &key)
            .await;
        let failed = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["status_code"].is_null() && a["next_attempt_at"].is_string());
        if failed && list["pending"].as_i64().unwrap() >= 6 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    receiver.up().await.unwrap();
    let deliveries = wait_distinct(&receiver, 6).await;
    let payloads = verified(&deliveries, &[&secret]);
    // Each event under one id: an id received twice carried the same event.
    let mut by_id: HashMap<&str, &Value> = HashMap::new();
    for (d, p) in deliveries.iter().zip(&payloads) {
        let id = d.header("webhook-id").unwrap();
        if let Some(seen) = by_id.insert(id, p) {
            assert_eq!(seen, p, "one id, two events");
        }
    }
    // In order of creation: each account's creation before its sync's outcome, and accounts in
    // the order they were connected.
    let firsts: Vec<usize> = accounts
        .iter()
        .map(|a| {
            payloads
                .iter()
                .position(|p| p["AccountStatus"]["account_id"] == a.as_str())
                .unwrap()
        })
        .collect();
    assert!(firsts.windows(2).all(|w| w[0] < w[1]), "{payloads:?}");
    for a in &accounts {
        assert_eq!(
            status_messages(&payloads, a)[..2],
            ["CREATION_SUCCESS", "SYNC_SUCCESS"]
        );
    }
}

#[tokio::test]
async fn an_event_whose_delivery_a_sigkill_cut_short_is_delivered_after_the_restart() {
    let receiver = WebhookReceiver::start().await.unwrap();
    // The first attempt hangs: the server dies holding the endpoint, its event unacknowledged.
    receiver.set_behaviour("/h", Behaviour::Hang);
    // Leases far longer than the test: only the restart's ending them lets the event go.
    let long = [
        ("MSGSYNC_WEBHOOK_TIMEOUT_MS", "600000"),
        ("MSGSYNC_WEBHOOK_LEASE_MS", "600000"),
    ];
    let server = server(&long).await;
    let key = server.test_key();
    let (_, secret) = server
        .register_webhook(
            &key,
            json!({"request_url": receiver.url("/h"), "source": "account_status"}),
        )
        .await;
    let account = server
        .connect(&key, "LINKEDIN", "sandbox:chats=1,messages=1")
        .await;
    let cut = receiver.wait_for_count(1, DEADLINE).await.unwrap();
    let server = server.kill_and_restart().await;
    receiver.set_behaviour("/h", Behaviour::Status(200));
    let deliveries = receiver.wait_for_count(2, DEADLINE).await.unwrap();
    let payloads = verified(&deliveries, &[&secret]);
    assert_eq!(
        status_messages(&payloads, &account)[..2],
        ["CREATION_SUCCESS"; 2]
    );
    assert_eq!(
        deliveries[1].header("webhook-id"),
        cut[0].header("webhook-id"),
        "the same event, under the same id"
    );
    drop(server);
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one() {
    let receiver = WebhookReceiver::start().await.unwrap();
    let server = server(&[]).await;
    let key = server.test_key();
    let (webhook, old) = server
        .register_webhook(
            &key,
            json!({"request_url": receiver.url("/h"), "source": "account_status"}),
        )
        .await;
    let (status, rotated) = server
        .request(
            "POST",
            &format!("/api/v1/webhooks/{webhook}/rotate"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    server
        .connect(&key, "LINKEDIN", "sandbox:chats=1,messages=1")
        .await;
    let deliveries = receiver.wait_for_count(1, DEADLINE).await.unwrap();
    let d = &deliveries[0];
    assert_eq!(d.header("webhook-signature").unwrap().split(' ').count(), 2);
    d.verify(&[&old], TOLERANCE)
        .expect("the old secret still verifies");
    d.verify(&[&new], TOLERANCE)
        .expect("the new secret verifies");
}

#[tokio::test]
async fn receivers_that_answer_410_hang_or_redirect_are_handled_and_private_targets_refused() {
    let receiver = WebhookReceiver::start().await.unwrap();
    receiver.set_behaviour("/gone", Behaviour::Status(410));
    receiver.set_behaviour("/hang", Behaviour::Hang);
    receiver.set_behaviour("/moved", Behaviour::Redirect(receiver.url("/target")));
    let server = server(&[("MSGSYNC_WEBHOOK_TIMEOUT_MS", "500")]).await;
    let key = server.test_key();
    let mut hooks = HashMap::new();
    // A receiver that answers, beside them: their failures hold back none of its events.
    for path in ["/gone", "/hang", "/moved", "/ok"] {
        let (id, _) = server
            .register_webhook(
                &key,
                json!({"request_url": receiver.url(path), "source": "account_status"}),
            )
            .await;
        hooks.insert(path, id);
    }
    server
        .connect(&key, "LINKEDIN", "sandbox:chats=1,messages=1")
        .await;

    let attempts = |path: &'static str| {
        let (server, key, id) = (&server, &key, hooks[path].clone());
        async move {
            let deadline = tokio::time::Instant::now() + DEADLINE;
            loop {
                let (_, list) = server
                    .get(&format!("/api/v1/webhooks/{id}/deliveries"), key)
                    .await;
                let items = list["items"].as_array().unwrap().clone();
                if !items.is_empty() {
                    return items;
                }
                assert!(tokio::time::Instant::now() < deadline, "{path}: no attempt");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let ok = attempts("/ok").await;
    assert_eq!(ok[0]["status_code"], 200, "{ok:?}");
    // 410: the webhook is disabled, and says why.
    let gone = attempts("/gone").await;
    assert_eq!(gone[0]["status_code"], 410);
    let (_, list) = server.get("/api/v1/webhooks", &key).await;
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == hooks["/gone"].as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["enabled"], false, "{listed}");
    assert!(listed["disabled_reason"].as_str().unwrap().contains("410"));
    // A receiver that never answers: the attempt ends at the timeout and is retried.
    let hang = attempts("/hang").await;
    assert!(hang[0]["status_code"].is_null(), "{hang:?}");
    assert!(
        hang[0]["error"]
            .as_str()
            .unwrap()
            .contains("no answer within"),
        "{hang:?}"
    );
    // A redirect is not followed: the target never hears of it.
    let moved = attempts("/moved").await;
    assert_eq!(moved[0]["status_code"], 302, "{moved:?}");
    assert!(
        moved[0]["error"].as_str().unwrap().contains("redirect"),
        "{moved:?}"
    );
    assert!(receiver.deliveries().iter().all(|d| d.path != "/target"));

    // Without the operator's permission, private targets are refused at registration.
    let strict = TestServer::start().await;
    let key = strict.test_key();
    for url in [
        receiver.url("/h"),
        "http://localhost:9/h".to_owned(),
        "http://169.254.169.254/latest".to_owned(),
        "http://[::1]/h".to_owned(),
    ] {
        let (status, body) = strict
            .request(
                "POST",
                "/api/v1/webhooks",
                Some(&key),
                Some(json!({"request_url": url, "source": "account_status"})),
            )
            .await;
        assert_error(status, &body, 400, "invalid_parameters");
    }
    let (status, body) = strict
        .request(
            "POST",
            "/api/v1/webhooks",
            Some(&key),
            Some(json!({"request_url": "ftp://example.com/", "source": "account_status"})),
        )
        .await;
    assert_error(status, &body, 400, "invalid_parameters");
}

#[tokio::test]
async fn registrations_are_checked_and_need_the_webhooks_scope() {
    let server = server(&[]).await;
    let key = server.test_key();
    let bad = [
        json!({"source": "account_status"}),
        json!({"request_url": "http://127.0.0.1:9/", "source": "email"}),
        json!({"request_url": "http://127.0.0.1:9/", "source": "messaging", "events": ["message_read"]}),
        json!({"request_url": "http://127.0.0.1:9/", "source": "messaging", "data": [{"name": "x", "key": "nope"}]}),
        json!({"request_url": "http://127.0.0.1:9/", "source": "account_status", "format": "form"}),
        json!({"request_url": "http://127.0.0.1:9/", "source": "account_status", "headers": [{"key": "webhook-signature", "value": "x"}]}),
        json!({"request_url": "http://127.0.0.1:9/", "source": "account_status", "account_ids": ["acc_01JD8Y3V6QZ4X9N2C5T7W0KPRS"]}),
    ];
    for body in bad {
        let (status, answer) = server
            .request("POST", "/api/v1/webhooks", Some(&key), Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body} → {answer}");
    }
    let reader = server.create_key(&[
        "--name",
        "reader",
        "--mode",
        "test",
        "--scopes",
        "accounts:read",
    ]);
    let (status, body) = server
        .request(
            "POST",
            "/api/v1/webhooks",
            Some(&reader),
            Some(json!({"request_url": "http://127.0.0.1:9/", "source": "account_status"})),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = server
        .request(
            "DELETE",
            "/api/v1/webhooks/whk_01JD8Y3V6QZ4X9N2C5T7W0KPRS",
            Some(&key),
            None,
        )
        .await;
    assert_error(status, &body, 404, "resource_not_found");
}

fn epoch_ms(value: &Value) -> i64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a timestamp: {value}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .timestamp_millis()
}

#[tokio::test]
async fn messages_first_stored_by_a_later_sync_are_reported_as_received() {
    let receiver = WebhookReceiver::start().await.unwrap();
    // Half of the sandbox's messages lie in the next two days: a later sync finds them new.
    let now = chrono::Utc::now().timestamp_millis();
    let epoch = (now + 2 * 86_400_000).to_string();
    let server = server(&[("MSGSYNC_SANDBOX_EPOCH", &epoch)]).await;
    let key = server.test_key();
    let (whole, secret) = server
        .register_webhook(
            &key,
            json!({"request_url": receiver.url("/whole"), "source": "messaging", "name": "msgs"}),
        )
        .await;
    let (_, picked_secret) = server
        .register_webhook(
            &key,
            json!({
                "request_url": receiver.url("/picked"),
                "source": "messaging",
                "data": [{"name": "text", "key": "message"}, {"name": "who", "key": "sender"}],
            }),
        )
        .await;
    let account = server
        .connect(&key, "TELEGRAM", "sandbox:chats=4,messages=10,span_days=4")
        .await;
    // The first sync stores the past: it reports nothing, being the first.
    let first = server
        .sync_to_outcome(&key, &account, &format!("before={now}"))
        .await;
    assert_eq!(first["status"], "SYNC_DONE", "{first}");
    let since = epoch_ms(&first["started_at"]);
    // The second stores the rest: what is newer than the first sync's start is new.
    let second = server.sync_to_outcome(&key, &account, "").await;
    assert_eq!(second["status"], "SYNC_DONE", "{second}");
    let mut expected: HashMap<String, Value> = HashMap::new();
    for chat in server.all_chats(&key, &account).await {
        for m in server
            .all_messages(&key, chat["id"].as_str().unwrap())
            .await
        {
            if epoch_ms(&m["timestamp"]) > since {
                expected.insert(m["id"].as_str().unwrap().to_owned(), m);
            }
        }
    }
    assert!(
        (5..=35).contains(&expected.len()),
        "the scenario should put some messages after the first sync: {}",
        expected.len()
    );
    // A third sync finds nothing new; its events (none) are written with its checkpoints, so
    // once it is done, what the endpoint will ever get for these syncs is queued.
    let third = server.sync_to_outcome(&key, &account, "").await;
    assert_eq!(third["status"], "SYNC_DONE", "{third}");
    let deliveries = receiver
        .wait_for_count(2 * expected.len(), DEADLINE)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let (_, list) = server
            .get(&format!("/api/v1/webhooks/{whole}/deliveries"), &key)
            .await;
        if list["pending"] == 0 {
            let attempts = list["items"].as_array().unwrap().len();
            assert_eq!(attempts, expected.len(), "{list}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{list}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let whole: Vec<&ReceivedDelivery> = deliveries.iter().filter(|d| d.path == "/whole").collect();
    let picked: Vec<&ReceivedDelivery> =
        deliveries.iter().filter(|d| d.path == "/picked").collect();
    assert_eq!(whole.len(), expected.len());
    assert_eq!(picked.len(), expected.len());
    let mut reported = HashSet::new();
    let mut last_in_chat: HashMap<String, i64> = HashMap::new();
    for d in whole {
        let p = d.verify(&[&secret], TOLERANCE).unwrap();
        let id = p["message_id"].as_str().unwrap();
        let stored = expected
            .get(id)
            .unwrap_or_else(|| panic!("an event for a message that is not new: {p}"));
        assert!(reported.insert(id.to_owned()), "reported twice: {id}");
        assert_eq!(p["event"], "message_received");
        assert_eq!(p["webhook_name"], "msgs");
        assert_eq!(p["account_id"], account.as_str());
        assert_eq!(p["account_type"], "TELEGRAM");
        assert_eq!(p["chat_id"], stored["chat_id"]);
        assert_eq!(p["timestamp"], stored["timestamp"]);
        assert_eq!(p["message"], stored["text"]);
        assert_eq!(
            p["sender"]["attendee_id"], stored["sender_attendee_id"],
            "{p}"
        );
        assert!(p["sender"]["attendee_name"].is_string(), "{p}");
        assert!(p["attachments"].is_array(), "{p}");
        let attendees = p["attendees"].as_array().unwrap();
        assert!(
            attendees
                .iter()
                .any(|a| a["attendee_id"] == p["sender"]["attendee_id"]),
            "the sender is one of the chat's attendees: {p}"
        );
        // Oldest first within a chat (its new messages fit one page here): the endpoint hears
        // of a conversation in the order it was held.
        let at = epoch_ms(&p["timestamp"]);
        let last = last_in_chat
            .entry(p["chat_id"].as_str().unwrap().to_owned())
            .or_default();
        assert!(at >= *last, "out of order: {p}");
        *last = at;
    }
    for d in picked {
        let p = d.verify(&[&picked_secret], TOLERANCE).unwrap();
        let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["text", "who"], "{p}");
    }
}
