//! What the store keeps of webhooks (issue 14): endpoints, the outbox of their deliveries and
//! the attempts made. The events themselves are written by the store, in the transaction of
//! the change they report (`common/outbox.rs`); the engine delivers them.

use msgsync_core::{AccountId, DeliveryId, WebhookId};
use serde::{Deserialize, Serialize};

use crate::Tenant;

/// What a webhook hears of: Unipile's `source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookSource {
    AccountStatus,
    Messaging,
}

impl WebhookSource {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookSource::AccountStatus => "account_status",
            WebhookSource::Messaging => "messaging",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "account_status" => Some(WebhookSource::AccountStatus),
            "messaging" => Some(WebhookSource::Messaging),
            _ => None,
        }
    }
}

/// An extra header sent with each delivery (Unipile's `headers` item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookHeader {
    pub key: String,
    pub value: String,
}

/// A payload field sent under another name (Unipile's `data` item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDataField {
    pub name: String,
    pub key: String,
}

/// Settings that change nothing of how the webhook is stored: kept as one JSON column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookOptions {
    pub format: String,
    #[serde(default)]
    pub events: Vec<String>,
    /// Empty: every field of the payload, under its own name.
    #[serde(default)]
    pub data: Vec<WebhookDataField>,
}

/// What is sealed with the master key.
#[derive(Serialize, Deserialize)]
pub(crate) struct WebhookSealed {
    pub secret: String,
    #[serde(default)]
    pub previous_secret: Option<String>,
    #[serde(default)]
    pub headers: Vec<WebhookHeader>,
}

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub id: WebhookId,
    pub tenant: Tenant,
    pub source: WebhookSource,
    pub name: Option<String>,
    pub request_url: String,
    /// `None`: every account of the tenant, now and later.
    pub account_ids: Option<Vec<AccountId>>,
    pub enabled: bool,
    pub options: WebhookOptions,
    pub headers: Vec<WebhookHeader>,
    /// The signing secret (`whsec_…`); the store seals it.
    pub secret: String,
    pub now: i64,
}

#[derive(Clone)]
pub struct WebhookRecord {
    pub id: WebhookId,
    pub owner: String,
    pub mode: msgsync_core::ApiKeyMode,
    pub source: WebhookSource,
    pub name: Option<String>,
    pub request_url: String,
    pub account_ids: Option<Vec<String>>,
    pub options: WebhookOptions,
    pub headers: Vec<WebhookHeader>,
    pub secret: String,
    /// A secret rotated out, still sent beside the new one until `previous_secret_until`.
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<i64>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    /// The fencing token of the current delivery lease (meaningful after a claim).
    pub lease_token: i64,
}

impl std::fmt::Debug for WebhookRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets, nor the headers' values (they often carry a token).
        f.debug_struct("WebhookRecord")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("source", &self.source)
            .field("request_url", &self.request_url)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl WebhookRecord {
    /// The secrets a delivery at `now` is signed with: the current one, and the previous one
    /// while the rotation's overlap lasts.
    pub fn signing_secrets(&self, now: i64) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until) {
            if now < until {
                secrets.push(previous);
            }
        }
        secrets
    }
}

/// A new secret for a webhook; the current one signs beside it until `overlap_until`.
#[derive(Debug)]
pub struct WebhookRotation<'a> {
    pub tenant: &'a Tenant,
    pub id: WebhookId,
    pub secret: &'a str,
    pub overlap_until: i64,
    pub now: i64,
}

/// A delivery worker asks for an endpoint with a delivery due.
#[derive(Debug)]
pub struct WebhookClaim<'a> {
    pub worker: &'a str,
    pub now: i64,
    pub lease_ms: i64,
}

/// An event waiting to reach an endpoint.
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub event: String,
    pub account_id: Option<String>,
    pub payload: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub created_at: i64,
}

/// What became of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// 2xx: done.
    Delivered,
    /// Try again at this instant.
    Retry { at: i64 },
    /// The schedule is exhausted: the event is given up.
    GiveUp,
    /// 410: the endpoint asked to be disabled; the event stays pending.
    Gone,
}

/// One attempt, recorded under the lease of the worker that made it.
#[derive(Debug)]
pub struct AttemptWrite<'a> {
    pub webhook: &'a WebhookRecord,
    pub worker: &'a str,
    pub delivery: &'a DeliveryRecord,
    pub at: i64,
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<&'a str>,
    pub outcome: AttemptOutcome,
    /// The lease is renewed to `at + lease_ms`.
    pub lease_ms: i64,
}

/// An attempt as the deliveries route lists it.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub delivery_id: String,
    pub event: String,
    pub account_id: Option<String>,
    pub number: i64,
    pub at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub next_attempt_at: Option<i64>,
    /// The delivery's state now: `pending`, `delivered` or `failed`.
    pub delivery_state: String,
}
