//! The webhook outbox's contract, on both backends: events are written with the changes they
//! report, and endpoints are claimed under fenced leases.

mod support;

use msgsync_core::{AccountState, SyncParams, WebhookId};
use msgsync_store::*;
use serde_json::Value;
use support::*;

async fn register(f: &Fixture, source: WebhookSource) -> WebhookId {
    let id = WebhookId::new();
    f.store
        .webhook_insert(&NewWebhook {
            id,
            tenant: f.tenant.clone(),
            source,
            name: Some("w".into()),
            request_url: "https://example.com/hook".into(),
            account_ids: None,
            enabled: true,
            options: WebhookOptions {
                format: "json".into(),
                ..Default::default()
            },
            headers: vec![WebhookHeader {
                key: "x-token".into(),
                value: "v".into(),
            }],
            secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0".into(),
            now: 1,
        })
        .await
        .unwrap();
    id
}

fn claim_of(worker: &str, now: i64) -> WebhookClaim<'_> {
    WebhookClaim {
        worker,
        now,
        lease_ms: 1_000,
    }
}

/// Takes the endpoint's pending events one by one, recording each delivered: their payloads.
async fn drain(f: &Fixture, webhook: WebhookId, now: i64) -> Vec<Value> {
    let mut payloads = Vec::new();
    let Some(lease) = f.store.webhook_claim(&claim_of("d", now)).await.unwrap() else {
        return payloads;
    };
    assert_eq!(lease.id, webhook, "only this endpoint has events due");
    while let Some(d) = f.store.webhook_next_delivery(&lease).await.unwrap() {
        payloads.push(serde_json::from_str(&d.payload).unwrap());
        f.store
            .webhook_record_attempt(&AttemptWrite {
                webhook: &lease,
                worker: "d",
                delivery: &d,
                at: now,
                status_code: Some(200),
                latency_ms: 1,
                error: None,
                outcome: AttemptOutcome::Delivered,
                lease_ms: 1_000,
            })
            .await
            .unwrap();
    }
    f.store.webhook_release(&lease, "d").await.unwrap();
    payloads
}

fn message_of(p: &Value) -> &str {
    p["AccountStatus"]["message"].as_str().unwrap()
}

async fn events_are_written_with_the_changes_they_report(f: Fixture) {
    let status = register(&f, WebhookSource::AccountStatus).await;
    let acc = account(&f).await;
    let events = drain(&f, status, 2).await;
    assert_eq!(events.len(), 1);
    assert_eq!(message_of(&events[0]), "CREATION_SUCCESS");
    assert_eq!(events[0]["AccountStatus"]["account_id"], acc.to_string());
    assert_eq!(events[0]["AccountStatus"]["account_type"], "TELEGRAM");

    // A state change is reported once; setting the same state again reports nothing.
    f.store
        .account_set_state(acc, AccountState::Credentials, 3)
        .await
        .unwrap();
    f.store
        .account_set_state(acc, AccountState::Credentials, 4)
        .await
        .unwrap();
    let events = drain(&f, status, 5).await;
    assert_eq!(
        events.iter().map(message_of).collect::<Vec<_>>(),
        ["CREDENTIALS"]
    );

    // Messages: none for the first sync; then only those both new and newer than its start.
    let messaging = register(&f, WebhookSource::Messaging).await;
    f.store
        .sync_request(&request(acc, SyncParams::default(), 10))
        .await
        .unwrap();
    let job = claim(&f, "w", 11).await.unwrap();
    write(&f, &job, "w", &chat("c", 15), &[message("m1", 15)])
        .await
        .unwrap();
    finish(&f, &job, "w", JobState::Done, None).await.unwrap();
    let (_, pending) = f.store.webhook_attempts(messaging, 10).await.unwrap();
    assert_eq!(pending, 0, "the first sync reports no message");
    let events = drain(&f, status, 21).await;
    assert_eq!(
        events.iter().map(message_of).collect::<Vec<_>>(),
        ["SYNC_SUCCESS"]
    );
    assert_eq!(events[0]["AccountStatus"]["status"], "SYNC_DONE");
    assert_eq!(events[0]["AccountStatus"]["sync_id"], job.id.to_string());

    // The first request reports the outcome, the next starts a sync.
    for now in [29, 30] {
        f.store
            .sync_request(&request(acc, SyncParams::default(), now))
            .await
            .unwrap();
    }
    let job = claim(&f, "w", 31).await.unwrap();
    let pages = [message("m1", 15), message("old", 5), message("new", 40)];
    write(&f, &job, "w", &chat("c", 40), &pages).await.unwrap();
    // The same page again (a retried checkpoint): nothing is new any more.
    write(&f, &job, "w", &chat("c", 40), &pages).await.unwrap();
    let (_, pending) = f.store.webhook_attempts(messaging, 10).await.unwrap();
    assert_eq!(
        pending, 1,
        "only `new` is both new and newer than the previous sync"
    );
    let lease = f
        .store
        .webhook_claim(&claim_of("d", 1_000_000))
        .await
        .unwrap()
        .unwrap();
    let d = f
        .store
        .webhook_next_delivery(&lease)
        .await
        .unwrap()
        .unwrap();
    let p: Value = serde_json::from_str(&d.payload).unwrap();
    assert_eq!(p["event"], "message_received");
    assert_eq!(p["message"], "text new");
    assert!(p["message_id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(p["sender"]["attendee_provider_id"], "s", "{p}");
    f.store.webhook_release(&lease, "d").await.unwrap();

    // A deletion is reported, and deleting a webhook drops its waiting events.
    assert!(f.store.account_delete(&f.tenant, acc).await.unwrap());
    assert!(f.store.webhook_delete(&f.tenant, messaging).await.unwrap());
    // (A deletion is stamped with the clock: the trait takes no instant for it.)
    let later = msgsync_core::time::now_ms() + 1_000;
    let events = drain(&f, status, later).await;
    assert_eq!(
        events.iter().map(message_of).collect::<Vec<_>>(),
        ["DELETED"]
    );
    assert!(f
        .store
        .webhook_claim(&claim_of("d", later))
        .await
        .unwrap()
        .is_none());
}

async fn an_endpoint_is_held_by_one_worker_at_a_time_and_fenced(f: Fixture) {
    let webhook = register(&f, WebhookSource::AccountStatus).await;
    account(&f).await;
    account(&f).await;
    // Two workers at once: one gets the endpoint.
    let (claim_a, claim_b) = (claim_of("a", 10), claim_of("b", 10));
    let (a, b) = tokio::join!(
        f.store.webhook_claim(&claim_a),
        f.store.webhook_claim(&claim_b),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.is_some() != b.is_some(), "one claim wins: {a:?} {b:?}");
    let (held, holder) = match (a, b) {
        (Some(a), None) => (a, "a"),
        (None, Some(b)) => (b, "b"),
        _ => unreachable!(),
    };
    assert_eq!(held.id, webhook);
    let first = f.store.webhook_next_delivery(&held).await.unwrap().unwrap();
    // Its lease lapses: another worker takes the endpoint, and the first is fenced off.
    let taken = f
        .store
        .webhook_claim(&claim_of("c", 10 + 1_001))
        .await
        .unwrap()
        .unwrap();
    assert!(taken.lease_token > held.lease_token);
    let stale = f
        .store
        .webhook_record_attempt(&AttemptWrite {
            webhook: &held,
            worker: holder,
            delivery: &first,
            at: 1_020,
            status_code: Some(200),
            latency_ms: 1,
            error: None,
            outcome: AttemptOutcome::Delivered,
            lease_ms: 1_000,
        })
        .await;
    assert!(matches!(stale, Err(StoreError::LostLease)), "{stale:?}");
    // The holder retries later: the event waits, and the endpoint is not claimed before then.
    f.store
        .webhook_record_attempt(&AttemptWrite {
            webhook: &taken,
            worker: "c",
            delivery: &first,
            at: 1_030,
            status_code: Some(500),
            latency_ms: 1,
            error: Some("boom"),
            outcome: AttemptOutcome::Retry { at: 5_000 },
            lease_ms: 1_000,
        })
        .await
        .unwrap();
    f.store.webhook_release(&taken, "c").await.unwrap();
    assert!(f
        .store
        .webhook_claim(&claim_of("c", 4_999))
        .await
        .unwrap()
        .is_none());
    let again = f
        .store
        .webhook_claim(&claim_of("c", 5_000))
        .await
        .unwrap()
        .unwrap();
    let head = f
        .store
        .webhook_next_delivery(&again)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.id, first.id, "the same event, under the same id");
    assert_eq!(head.attempts, 1);
    // 410: the endpoint is disabled, its events stay, and it is no longer claimed.
    f.store
        .webhook_record_attempt(&AttemptWrite {
            webhook: &again,
            worker: "c",
            delivery: &head,
            at: 5_010,
            status_code: Some(410),
            latency_ms: 1,
            error: None,
            outcome: AttemptOutcome::Gone,
            lease_ms: 1_000,
        })
        .await
        .unwrap();
    f.store.webhook_release(&again, "c").await.unwrap();
    assert!(f
        .store
        .webhook_claim(&claim_of("c", 9_000))
        .await
        .unwrap()
        .is_none());
    let listed = f
        .store
        .webhook_get(&f.tenant, webhook)
        .await
        .unwrap()
        .unwrap();
    assert!(!listed.enabled);
    assert_eq!(listed.headers[0].value, "v", "headers come back unsealed");
    let (attempts, pending) = f.store.webhook_attempts(webhook, 10).await.unwrap();
    assert_eq!(pending, 2);
    assert_eq!(
        attempts.iter().map(|a| a.status_code).collect::<Vec<_>>(),
        [Some(410), Some(500)],
        "newest first"
    );
}

async fn a_failed_sync_reports_the_state_it_left_the_account_in(f: Fixture) {
    let status = register(&f, WebhookSource::AccountStatus).await;
    let acc = account(&f).await;
    f.store
        .sync_request(&request(acc, SyncParams::default(), 10))
        .await
        .unwrap();
    let job = claim(&f, "w", 11).await.unwrap();
    f.store
        .sync_finish(&SyncFinish {
            job: &job,
            worker: "w",
            now: 20,
            state: JobState::Error,
            progress: SyncProgress::default(),
            cursor: None,
            error: Some((
                "errors/expired_credentials".into(),
                "the session expired".into(),
            )),
            reconcile: None,
            account_state: Some(AccountState::Credentials),
        })
        .await
        .unwrap();
    let events = drain(&f, status, 30).await;
    assert_eq!(
        events.iter().map(message_of).collect::<Vec<_>>(),
        ["CREATION_SUCCESS", "CREDENTIALS", "CREDENTIALS"],
        "{events:?}"
    );
    let outcome = &events[2]["AccountStatus"];
    assert_eq!(outcome["status"], "SYNC_ERROR");
    assert_eq!(outcome["error"]["type"], "errors/expired_credentials");
    assert_eq!(events[1]["AccountStatus"]["state"], "credentials");
}

conformance!(
    a_failed_sync_reports_the_state_it_left_the_account_in,
    events_are_written_with_the_changes_they_report,
    an_endpoint_is_held_by_one_worker_at_a_time_and_fenced,
);
