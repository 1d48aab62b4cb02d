//! Webhook delivery: the outbox the store fills, sent on every node.
//!
//! Each worker claims an endpoint whose oldest pending event is due (under a lease with a
//! fencing token, like sync jobs) and sends that endpoint's events oldest first until one fails
//! or none is due: events of one endpoint arrive in order of creation while the receiver is up,
//! and a receiver that is down holds only its own events back. A failed attempt is retried on
//! the schedule of `RetrySchedule` (about three days), 410 disables the endpoint, and every
//! attempt of one event carries the same `webhook-id`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use msgsync_core::time::now_ms;
use msgsync_store::{
    AttemptOutcome, AttemptWrite, DeliveryRecord, Store, StoreError, WebhookClaim, WebhookRecord,
};
use msgsync_webhooks::{
    Attempt, Deliverer, DelivererConfig, Delivery, RetrySchedule, Secret, Verdict,
};
use prometheus::{Histogram, HistogramOpts, IntCounterVec, Opts, Registry};
use serde_json::{Map, Value};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Tunables of delivery. Defaults suit production; tests shorten the schedule.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Endpoints this node delivers to at once.
    pub workers: usize,
    /// How long a claimed endpoint stays this node's without an attempt recorded (renewed at
    /// each attempt, which takes at most the delivery timeout): how long a dead node's
    /// endpoints wait before another node sends their events.
    pub lease: Duration,
    /// How often an idle worker looks for due events (a write of this node, or a notification
    /// from another, wakes one at once).
    pub poll_interval: Duration,
    pub schedule: RetrySchedule,
    /// The HTTP side: timeout, private targets, answer bound.
    pub http: DelivererConfig,
    /// How long delivered and failed events stay listed.
    pub retention: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            workers: 4,
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            schedule: RetrySchedule::default(),
            http: DelivererConfig::default(),
            retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The delivery workers of this node.
pub struct WebhookDelivery {
    store: Arc<dyn Store>,
    deliverer: Deliverer,
    config: WebhookConfig,
    node: String,
    metrics: DeliveryMetrics,
    /// Whether the workers' last use of the database failed: said once for all of them when
    /// it starts failing, once when it is back, not at every poll.
    failing: AtomicBool,
}

/// What delivery counts, for `GET /metrics`.
struct DeliveryMetrics {
    /// By outcome: `delivered`, `retry`, `gone`, `given_up`.
    attempts: IntCounterVec,
    duration: Histogram,
}

impl DeliveryMetrics {
    fn new(registry: &Registry) -> prometheus::Result<DeliveryMetrics> {
        let metrics = DeliveryMetrics {
            attempts: IntCounterVec::new(
                Opts::new(
                    "msgsync_webhook_attempts_total",
                    "Webhook delivery attempts, by outcome",
                ),
                &["outcome"],
            )?,
            duration: Histogram::with_opts(
                HistogramOpts::new(
                    "msgsync_webhook_attempt_seconds",
                    "Time from sending a webhook delivery to the end of its answer",
                )
                .buckets(prometheus::exponential_buckets(0.001, 4.0, 9)?),
            )?,
        };
        registry.register(Box::new(metrics.attempts.clone()))?;
        registry.register(Box::new(metrics.duration.clone()))?;
        Ok(metrics)
    }
}

impl WebhookDelivery {
    /// Its metrics join `registry` (the engine's, which `GET /metrics` serves).
    pub fn new(
        store: Arc<dyn Store>,
        config: WebhookConfig,
        node: String,
        registry: &Registry,
    ) -> anyhow::Result<Self> {
        let deliverer = Deliverer::new(config.http)?;
        Ok(Self {
            store,
            deliverer,
            config,
            node,
            metrics: DeliveryMetrics::new(registry)?,
            failing: AtomicBool::new(false),
        })
    }

    /// Delivers until `shutdown` fires; an attempt under way is finished (at most the delivery
    /// timeout), and the endpoint given back.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        tracing::info!(node = %self.node, workers = self.config.workers, "webhook delivery started");
        let mut workers = JoinSet::new();
        for _ in 0..self.config.workers.max(1) {
            workers.spawn(self.clone().work(shutdown.clone()));
        }
        workers.spawn(self.clone().prune(shutdown.clone()));
        while workers.join_next().await.is_some() {}
        tracing::info!("webhook delivery stopped");
    }

    async fn work(self: Arc<Self>, shutdown: CancellationToken) {
        let wake = self.store.webhook_queued();
        // While the database fails (unreachable, full), the worker waits a poll between tries,
        // so that an attempt it cannot record is not made again at once (its receiver would
        // get it again and again).
        while !shutdown.is_cancelled() {
            let claim = WebhookClaim {
                worker: &self.node,
                now: now_ms(),
                lease_ms: self.config.lease.as_millis() as i64,
            };
            let result = match self.store.webhook_claim(&claim).await {
                Ok(Some(webhook)) => {
                    // There may be more: let another worker look.
                    wake.notify_one();
                    let served = self.serve(&webhook, &shutdown).await;
                    let released = self.store.webhook_release(&webhook, &self.node).await;
                    served.and(released).map(|()| true)
                }
                Ok(None) => Ok(false),
                Err(e) => Err(e),
            };
            match &result {
                Ok(_) if self.failing.swap(false, Ordering::Relaxed) => {
                    tracing::info!("webhook delivery uses the database again");
                }
                Err(e) if !self.failing.swap(true, Ordering::Relaxed) => {
                    tracing::warn!(error = %e, "webhook delivery cannot use the database; it tries again every poll");
                }
                _ => {}
            }
            if let Ok(true) = result {
                continue;
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = shutdown.cancelled() => {}
            }
        }
    }

    /// Sends the endpoint's due events, oldest first, until one is not delivered. An error is
    /// the database's: the attempt under way is made again later (same event, same id).
    async fn serve(
        &self,
        webhook: &WebhookRecord,
        shutdown: &CancellationToken,
    ) -> Result<(), StoreError> {
        while !shutdown.is_cancelled() {
            let delivery = match self.store.webhook_next_delivery(webhook).await? {
                Some(d) if d.next_attempt_at.unwrap_or(0) <= now_ms() => d,
                _ => return Ok(()),
            };
            match self.attempt(webhook, &delivery).await {
                Ok(AttemptOutcome::Delivered) => {}
                Ok(_) => return Ok(()),
                Err(StoreError::LostLease) => {
                    tracing::info!(webhook = %webhook.id, "another node holds this webhook now: this one stops");
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn attempt(
        &self,
        webhook: &WebhookRecord,
        delivery: &DeliveryRecord,
    ) -> Result<AttemptOutcome, StoreError> {
        let body = render(webhook, delivery);
        let at = now_ms();
        let secrets: Vec<Secret> = webhook
            .signing_secrets(at)
            .into_iter()
            .filter_map(|s| Secret::parse(s).ok())
            .collect();
        let secret_refs: Vec<&Secret> = secrets.iter().collect();
        let headers: Vec<(String, String)> = webhook
            .headers
            .iter()
            .map(|h| (h.key.clone(), h.value.clone()))
            .collect();
        let id = delivery.id.to_string();
        let attempt: Attempt = self
            .deliverer
            .deliver(&Delivery {
                url: &webhook.request_url,
                msg_id: &id,
                timestamp_secs: at / 1000,
                body: body.as_bytes(),
                secrets: &secret_refs,
                headers: &headers,
            })
            .await;
        let failed = u32::try_from(delivery.attempts + 1).unwrap_or(u32::MAX);
        let outcome = match attempt.verdict {
            Verdict::Delivered => AttemptOutcome::Delivered,
            Verdict::Gone => AttemptOutcome::Gone,
            Verdict::Retry => {
                match self
                    .config
                    .schedule
                    .delay_after(failed, &mut rand::thread_rng())
                {
                    Some(delay) => AttemptOutcome::Retry {
                        at: now_ms() + delay.as_millis() as i64,
                    },
                    None => AttemptOutcome::GiveUp,
                }
            }
        };
        let latency_ms = attempt.latency.as_millis() as i64;
        let label = match outcome {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::Retry { .. } => "retry",
            AttemptOutcome::Gone => "gone",
            AttemptOutcome::GiveUp => "given_up",
        };
        self.metrics.attempts.with_label_values(&[label]).inc();
        self.metrics.duration.observe(attempt.latency.as_secs_f64());
        match outcome {
            AttemptOutcome::Delivered => {
                tracing::debug!(webhook = %webhook.id, event = %id, status = ?attempt.status, latency_ms, "webhook delivered")
            }
            AttemptOutcome::Gone => {
                tracing::warn!(webhook = %webhook.id, event = %id, "the webhook's endpoint answered 410 Gone: the webhook is disabled")
            }
            AttemptOutcome::Retry { at } => {
                tracing::info!(webhook = %webhook.id, event = %id, status = ?attempt.status, error = attempt.error.as_deref().unwrap_or(""), attempt = failed, next_attempt_at = at, "a webhook delivery failed; it will be retried")
            }
            AttemptOutcome::GiveUp => {
                tracing::warn!(webhook = %webhook.id, event = %id, status = ?attempt.status, error = attempt.error.as_deref().unwrap_or(""), attempts = failed, "a webhook event was given up after its last attempt")
            }
        }
        let finished = now_ms();
        self.store
            .webhook_record_attempt(&AttemptWrite {
                webhook,
                worker: &self.node,
                delivery,
                at: finished,
                status_code: attempt.status,
                latency_ms,
                error: attempt.error.as_deref(),
                outcome,
                lease_ms: self.config.lease.as_millis() as i64,
            })
            .await?;
        Ok(outcome)
    }

    /// Forgets old delivered and failed events, hourly.
    async fn prune(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            let before = now_ms() - self.config.retention.as_millis() as i64;
            match self.store.webhook_prune(before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deliveries = n, "old webhook deliveries forgotten"),
                Err(e) => tracing::warn!(error = %e, "forgetting old webhook deliveries failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }
}

/// The body an endpoint receives: the stored payload with, for `messaging`, the webhook's name
/// and the fields its `data` asks for under the names it gives (Unipile's behaviour).
pub fn render(webhook: &WebhookRecord, delivery: &DeliveryRecord) -> String {
    let Ok(Value::Object(mut payload)) = serde_json::from_str::<Value>(&delivery.payload) else {
        return delivery.payload.clone();
    };
    if delivery.event == "message_received" {
        payload.insert(
            "webhook_name".into(),
            webhook.name.clone().map_or(Value::Null, Value::String),
        );
        if !webhook.options.data.is_empty() {
            let mut picked = Map::new();
            for field in &webhook.options.data {
                if let Some(value) = payload.get(&field.key) {
                    picked.insert(field.name.clone(), value.clone());
                }
            }
            payload = picked;
        }
    }
    Value::Object(payload).to_string()
}
