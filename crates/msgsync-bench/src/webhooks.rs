//! Webhook figures: how fast the outbox drains to a fast local receiver, against plain HTTP
//! POSTs to the same receiver from this process; and what `messaging` webhooks add to a sync
//! that stores new messages, against the same sync of an account no webhook hears of.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use msgsync_harness::{Server, WebhookReceiver};
use serde_json::{json, Value};

/// The receiver's deliveries must all be in by then.
const DEADLINE: Duration = Duration::from_secs(600);

pub struct WebhookFigures {
    /// Events the drain delivered.
    pub events: usize,
    /// Deliveries a second to one endpoint (one at a time, in order).
    pub one_endpoint_per_s: f64,
    /// Deliveries a second to four endpoints at once.
    pub four_endpoints_per_s: f64,
    /// Plain POSTs a second from this process, one at a time, to the same receiver.
    pub baseline_per_s: f64,
    /// Seconds of the sync with a messaging webhook, and without.
    pub sync_with: f64,
    pub sync_without: f64,
}

impl WebhookFigures {
    pub fn describe(&self) -> String {
        format!(
            "{} events: 1 endpoint {:.0}/s, 4 endpoints {:.0}/s; plain POSTs {:.0}/s (ratio {:.3}); \
             sync with messaging webhooks {:.2} s, without {:.2} s (ratio {:.3})",
            self.events,
            self.one_endpoint_per_s,
            self.four_endpoints_per_s,
            self.baseline_per_s,
            self.one_endpoint_per_s / self.baseline_per_s,
            self.sync_with,
            self.sync_without,
            self.sync_with / self.sync_without,
        )
    }
}

async fn register(server: &Server, body: Value) -> anyhow::Result<String> {
    let resp = server
        .client
        .post(format!("{}/api/v1/webhooks", server.base))
        .header("X-API-KEY", &server.key)
        .json(&body)
        .send()
        .await?;
    let status = resp.status();
    let answer: Value = resp.json().await?;
    anyhow::ensure!(
        status.is_success(),
        "registering a webhook: {status} {answer}"
    );
    Ok(answer["webhook_id"]
        .as_str()
        .context("no webhook_id")?
        .to_owned())
}

/// An account whose first sync stores the past (so later messages count as new): half of its
/// `chats × messages` lie in the next day, stored by the sync the caller runs next.
async fn half_synced(
    server: &Server,
    chats: u32,
    messages: u32,
    now: i64,
) -> anyhow::Result<String> {
    let account = server
        .connect(
            "TELEGRAM",
            &format!("sandbox:chats={chats},messages={messages},span_days=2"),
        )
        .await?;
    server
        .timed_sync(&account, &format!("before={now}"))
        .await?;
    Ok(account)
}

pub async fn figures(bin: &Path, chats: u32, messages: u32) -> anyhow::Result<WebhookFigures> {
    let receiver = WebhookReceiver::start().await?;
    let now = chrono::Utc::now().timestamp_millis();
    let server = Server::start(
        bin,
        &[
            ("MSGSYNC_WEBHOOK_ALLOW_PRIVATE", "true".into()),
            ("MSGSYNC_SANDBOX_EPOCH", (now + 86_400_000).to_string()),
            // A receiver that comes back is retried at once.
            ("MSGSYNC_WEBHOOK_RETRY_SCHEDULE", "50ms".into()),
        ],
    )
    .await?;

    // --- ingest cost: the same sync, heard of by a messaging webhook or by none ---
    let heard = half_synced(&server, chats, messages, now).await?;
    let unheard = half_synced(&server, chats, messages, now).await?;
    let ingest = register(
        &server,
        json!({"request_url": receiver.url("/ingest"), "source": "messaging", "account_ids": [heard]}),
    )
    .await?;
    let (without, _) = server.timed_sync(&unheard, "").await?;
    let (with, _) = server.timed_sync(&heard, "").await?;
    let (reported, _) = deliveries(&server, &ingest).await?;
    anyhow::ensure!(
        reported > 0,
        "the sync with a messaging webhook reported nothing"
    );

    // --- drain rate: a backlog queued while the receiver is down, sent once it is up ---
    let mut rates = Vec::new();
    for endpoints in [1, 4] {
        receiver.down().await;
        let before = receiver.count();
        let account = half_synced(&server, chats, messages, now).await?;
        let mut hooks = Vec::new();
        for i in 0..endpoints {
            hooks.push(
                register(
                    &server,
                    json!({
                        "request_url": receiver.url(&format!("/drain{endpoints}/{i}")),
                        "source": "messaging",
                        "account_ids": [account],
                    }),
                )
                .await?,
            );
        }
        server.timed_sync(&account, "").await?;
        // The events were written with the sync's pages: all queued now.
        let mut queued = 0;
        for hook in &hooks {
            queued += deliveries(&server, hook).await?.1;
        }
        let started = Instant::now();
        receiver.up().await?;
        receiver.wait_for_count(before + queued, DEADLINE).await?;
        rates.push((queued, queued as f64 / started.elapsed().as_secs_f64()));
    }
    let baseline = plain_posts(&receiver, 2000).await?;
    let events = rates[0].0;
    Ok(WebhookFigures {
        events,
        one_endpoint_per_s: rates[0].1,
        four_endpoints_per_s: rates[1].1,
        baseline_per_s: baseline,
        sync_with: with.as_secs_f64(),
        sync_without: without.as_secs_f64(),
    })
}

/// (attempts listed, events pending) of a webhook.
async fn deliveries(server: &Server, webhook: &str) -> anyhow::Result<(usize, usize)> {
    let list = server
        .get(&format!("/api/v1/webhooks/{webhook}/deliveries"))
        .await?;
    let attempts = list["items"].as_array().map_or(0, Vec::len);
    let pending = list["pending"].as_u64().context("no pending count")? as usize;
    Ok((attempts, pending))
}

/// POSTs of a message event's size, one at a time, from this process: what one endpoint's
/// in-order delivery could reach at best.
async fn plain_posts(receiver: &WebhookReceiver, n: usize) -> anyhow::Result<f64> {
    let client = reqwest::Client::new();
    let body = json!({
        "account_id": "acc_01JD8Y3V6QZ4X9N2C5T7W0KPRS",
        "event": "message_received",
        "message": "x".repeat(200),
        "attendees": [{"attendee_id": "att_x", "attendee_name": "y"}],
    })
    .to_string();
    let url = receiver.url("/baseline");
    let started = Instant::now();
    for _ in 0..n {
        let resp = client
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "baseline POST: {}",
            resp.status()
        );
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}
