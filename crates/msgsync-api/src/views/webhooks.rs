//! Webhook answers: Unipile v1's (`WebhookCreated`, `WebhookList`, `WebhookDeleted`), as the
//! SDK's `client.webhook` checks them, with what msgsync adds beside (the secret, the state of
//! delivery).

use msgsync_core::time::format_ms;
use msgsync_store::{AttemptRecord, WebhookDataField, WebhookHeader, WebhookRecord};
use serde::Serialize;
use utoipa::ToSchema;

use crate::openapi::schemas::{constant, one_of_strings};

fn object_created() -> utoipa::openapi::Object {
    constant("WebhookCreated")
}
fn object_list() -> utoipa::openapi::Object {
    constant("WebhookList")
}
fn object_webhook() -> utoipa::openapi::Object {
    constant("Webhook")
}
fn object_deleted() -> utoipa::openapi::Object {
    constant("WebhookDeleted")
}
fn object_rotated() -> utoipa::openapi::Object {
    constant("WebhookSecretRotated")
}
fn object_deliveries() -> utoipa::openapi::Object {
    constant("WebhookDeliveryList")
}
fn kind_auto() -> utoipa::openapi::Object {
    constant("AUTO")
}
fn source() -> utoipa::openapi::Object {
    one_of_strings(["account_status", "messaging"])
}

/// The answer to a registration: the id and, this once, the signing secret.
#[derive(Serialize, ToSchema)]
pub struct WebhookCreated {
    #[schema(schema_with = object_created)]
    object: &'static str,
    webhook_id: String,
    /// The Standard Webhooks signing secret (`whsec_…`): shown only here (and by a rotation).
    secret: String,
}

pub fn webhook_created(id: String, secret: String) -> WebhookCreated {
    WebhookCreated {
        object: "WebhookCreated",
        webhook_id: id,
        secret,
    }
}

/// An account a webhook is limited to.
#[derive(Serialize, ToSchema)]
pub struct WebhookAccount {
    id: String,
    /// The account's provider (`LINKEDIN`, `TELEGRAM`).
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookHeaderView {
    key: String,
    value: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDataView {
    name: String,
    key: String,
}

/// A registered webhook.
#[derive(Serialize, ToSchema)]
pub struct Webhook {
    #[schema(schema_with = object_webhook)]
    object: &'static str,
    id: String,
    /// Always `AUTO` (Unipile's webhooks triggered by events).
    #[serde(rename = "type")]
    #[schema(schema_with = kind_auto)]
    kind: &'static str,
    #[schema(schema_with = source)]
    source: &'static str,
    /// The accounts it is limited to; empty: every account of the key's owner.
    account_ids: Vec<WebhookAccount>,
    enabled: bool,
    /// Why it was disabled (an endpoint that answered 410).
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    request_url: String,
    format: String,
    headers: Vec<WebhookHeaderView>,
    data: Vec<WebhookDataView>,
    events: Vec<String>,
    created_at: String,
}

/// `providers`: the provider of each account id the webhook names, where it still exists (a
/// deleted account is not listed: the SDK knows no provider for it).
pub fn webhook(w: &WebhookRecord, providers: &dyn Fn(&str) -> Option<String>) -> Webhook {
    Webhook {
        object: "Webhook",
        id: w.id.to_string(),
        kind: "AUTO",
        source: w.source.as_str(),
        account_ids: w
            .account_ids
            .iter()
            .flatten()
            .filter_map(|id| {
                Some(WebhookAccount {
                    id: id.clone(),
                    kind: providers(id)?,
                })
            })
            .collect(),
        enabled: w.enabled,
        disabled_reason: w.disabled_reason.clone(),
        name: w.name.clone(),
        request_url: w.request_url.clone(),
        format: w.options.format.clone(),
        headers: w
            .headers
            .iter()
            .map(|WebhookHeader { key, value }| WebhookHeaderView {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
        data: w
            .options
            .data
            .iter()
            .map(|WebhookDataField { name, key }| WebhookDataView {
                name: name.clone(),
                key: key.clone(),
            })
            .collect(),
        events: w.options.events.clone(),
        created_at: format_ms(w.created_at),
    }
}

/// The caller's webhooks, newest first.
#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    #[schema(schema_with = object_list)]
    object: &'static str,
    items: Vec<Webhook>,
    /// Always `null`: the list comes whole.
    #[schema(required = true)]
    cursor: Option<String>,
}

pub fn webhook_list(items: Vec<Webhook>) -> WebhookList {
    WebhookList {
        object: "WebhookList",
        items,
        cursor: None,
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDeleted {
    #[schema(schema_with = object_deleted)]
    object: &'static str,
}

pub fn webhook_deleted() -> WebhookDeleted {
    WebhookDeleted {
        object: "WebhookDeleted",
    }
}

/// A new secret; the previous one keeps signing beside it until `previous_secret_expires_at`.
#[derive(Serialize, ToSchema)]
pub struct WebhookSecretRotated {
    #[schema(schema_with = object_rotated)]
    object: &'static str,
    webhook_id: String,
    secret: String,
    previous_secret_expires_at: String,
}

pub fn webhook_rotated(id: String, secret: String, until: i64) -> WebhookSecretRotated {
    WebhookSecretRotated {
        object: "WebhookSecretRotated",
        webhook_id: id,
        secret,
        previous_secret_expires_at: format_ms(until),
    }
}

/// One attempt to deliver an event.
#[derive(Serialize, ToSchema)]
pub struct WebhookAttempt {
    /// The event's `webhook-id`, the same on each of its attempts.
    event_id: String,
    event: String,
    #[schema(required = true)]
    account_id: Option<String>,
    /// 1 for the first attempt of the event.
    attempt: i64,
    at: String,
    /// The receiver's answer; `null` when none came (refused, timed out, unreachable).
    #[schema(required = true)]
    status_code: Option<i64>,
    latency_ms: i64,
    #[schema(required = true)]
    error: Option<String>,
    /// When this attempt's event is tried again; `null` if it is not.
    #[schema(required = true)]
    next_attempt_at: Option<String>,
    /// The event's state now: `pending`, `delivered` or `failed` (given up).
    #[schema(schema_with = delivery_state)]
    state: String,
}

fn delivery_state() -> utoipa::openapi::Object {
    one_of_strings(["pending", "delivered", "failed"])
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveryList {
    #[schema(schema_with = object_deliveries)]
    object: &'static str,
    /// Events waiting to be delivered.
    pending: i64,
    /// The most recent attempts, newest first.
    items: Vec<WebhookAttempt>,
}

pub fn deliveries(attempts: &[AttemptRecord], pending: i64) -> WebhookDeliveryList {
    WebhookDeliveryList {
        object: "WebhookDeliveryList",
        pending,
        items: attempts
            .iter()
            .map(|a| WebhookAttempt {
                event_id: a.delivery_id.clone(),
                event: a.event.clone(),
                account_id: a.account_id.clone(),
                attempt: a.number,
                at: format_ms(a.at),
                status_code: a.status_code,
                latency_ms: a.latency_ms,
                error: a.error.clone(),
                next_attempt_at: a.next_attempt_at.map(format_ms),
                state: a.delivery_state.clone(),
            })
            .collect(),
    }
}
