//! `GET /metrics`, read with the Prometheus project's own parser (Python's `prometheus_client`,
//! in the tests' venv), after syncs that went through a rate limit.

mod common;

use std::time::{Duration, Instant};

use common::TestServer;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

/// The samples of a scrape, as the Prometheus project's parser reads them.
struct Scrape {
    samples: Vec<Value>,
}

async fn scrape(url: &str) -> Scrape {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/parse_metrics.py");
    let mut child = tokio::process::Command::new(common::python().await)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(text.as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "the parser refused the text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    Scrape {
        samples: serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap(),
    }
}

/// The value of the sample `name` whose labels include `labels`.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .filter(|s| s["name"] == name)
        .find(|s| labels.iter().all(|(k, v)| s["labels"][*k] == *v))
        .and_then(|s| s["value"].as_f64())
}

#[tokio::test]
async fn metrics_count_what_the_syncs_did() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let limited = server
        .synced_account(
            &key,
            "TELEGRAM",
            "sandbox:chats=3,messages=20,fault=rate_limited,fault_after=1",
        )
        .await;
    server
        .synced_account(&key, "LINKEDIN", "sandbox:chats=2,messages=10")
        .await;
    let _ = limited;

    let m = scrape(&format!("{}/metrics", server.base)).await;
    let done = |provider| {
        value(
            &m,
            "msgsync_syncs_total",
            &[("provider", provider), ("outcome", "done")],
        )
    };
    assert_eq!(done("TELEGRAM"), Some(1.0));
    assert_eq!(done("LINKEDIN"), Some(1.0));
    assert!(
        value(
            &m,
            "msgsync_provider_errors_total",
            &[("provider", "TELEGRAM"), ("kind", "rate_limited")]
        ) >= Some(1.0)
    );
    // FLOOD_WAIT_1: one second to wait.
    assert!(
        value(
            &m,
            "msgsync_rate_limit_wait_seconds_total",
            &[("provider", "TELEGRAM")]
        ) >= Some(1.0)
    );
    assert_eq!(
        value(
            &m,
            "msgsync_provider_messages_total",
            &[("provider", "TELEGRAM")]
        ),
        Some(60.0)
    );
    assert_eq!(
        value(
            &m,
            "msgsync_provider_messages_total",
            &[("provider", "LINKEDIN")]
        ),
        Some(20.0)
    );
    assert!(
        value(
            &m,
            "msgsync_provider_pages_total",
            &[("provider", "LINKEDIN"), ("kind", "chats")]
        ) >= Some(1.0)
    );
    assert!(value(&m, "msgsync_checkpoint_write_seconds_count", &[]) >= Some(1.0));
    assert!(
        value(
            &m,
            "msgsync_sync_duration_seconds_count",
            &[("provider", "TELEGRAM"), ("outcome", "done")]
        ) == Some(1.0)
    );
    // Requests by route template, never by path (no account id in a label).
    let polls = value(
        &m,
        "msgsync_http_requests_total",
        &[
            ("route", "/api/v1/accounts/{account_id}/sync"),
            ("status", "200"),
        ],
    );
    assert!(polls >= Some(2.0), "{:?}", m.samples);
    // No label names an account.
    assert!(m
        .samples
        .iter()
        .all(|s| !s["labels"].to_string().contains("acc_")));
    assert_eq!(
        value(&m, "msgsync_sync_queue_oldest_due_seconds", &[]),
        Some(0.0)
    );
}

#[tokio::test]
async fn metrics_can_have_an_address_of_their_own() {
    let server = TestServer::start_with(&[("MSGSYNC_METRICS_LISTEN", "127.0.0.1:0")]).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let addr = loop {
        if let Some(line) = server
            .log_text()
            .lines()
            .find(|l| l.contains("metrics on http://"))
        {
            let start = line.find("http://").unwrap();
            break line[start..].split_whitespace().next().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "{}", server.log_text());
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let m = scrape(&addr).await;
    assert!(m.samples.iter().any(|s| s["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("msgsync_"))));
    let (status, _) = server.get("/metrics", "").await;
    assert_eq!(status, 404, "not on the API address when it has its own");
}

#[tokio::test]
async fn metrics_count_webhook_attempts_by_outcome() {
    let receiver = msgsync_harness::WebhookReceiver::start().await.unwrap();
    receiver.set_behaviour("/gone", msgsync_harness::Behaviour::Status(410));
    let server = TestServer::start_with(&[("MSGSYNC_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let key = server.test_key();
    for path in ["/ok", "/gone"] {
        server
            .register_webhook(
                &key,
                serde_json::json!({"request_url": receiver.url(path), "source": "account_status"}),
            )
            .await;
    }
    server
        .connect(&key, "LINKEDIN", "sandbox:chats=1,messages=1")
        .await;
    receiver
        .wait_for_count(2, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    // Counted once the attempt is recorded, a moment after the receiver has it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let m = scrape(&format!("{}/metrics", server.base)).await;
        let count = |outcome| {
            value(
                &m,
                "msgsync_webhook_attempts_total",
                &[("outcome", outcome)],
            )
        };
        if count("delivered") == Some(1.0) && count("gone") == Some(1.0) {
            assert_eq!(
                value(&m, "msgsync_webhook_attempt_seconds_count", &[]),
                Some(2.0)
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{:?} {:?}",
            count("delivered"),
            count("gone")
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
