//! `/api/v1/webhooks`: register, list, delete, rotate the secret, see the deliveries.
//!
//! Unipile v1's registration API; deliveries are signed per Standard Webhooks and sent from
//! the outbox by `msgsync_engine::webhooks`.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use msgsync_core::time::now_ms;
use msgsync_core::{AccountId, ErrorKind, Scope, WebhookId};
use msgsync_store::{
    NewWebhook, WebhookDataField, WebhookHeader, WebhookOptions, WebhookRotation, WebhookSource,
};
use msgsync_webhooks::Secret;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{not_found, AppError};
use crate::extract::{path_id, AppJson};
use crate::openapi::errors::route_errors;
use crate::views::{self, WebhookCreated, WebhookDeleted, WebhookDeliveryList, WebhookList};

/// The longest a registration waits for DNS; a name not resolved by then is accepted, as one
/// that does not resolve is (every delivery checks again).
const REGISTRATION_DNS_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 3600);

/// The fields a messaging webhook's `data` may pick (the SDK's `WebhookDataKeySchema`).
const DATA_KEYS: &[&str] = &[
    "account_id",
    "account_type",
    "chat_id",
    "timestamp",
    "webhook_name",
    "message_id",
    "message",
    "reaction",
    "reaction_sender",
    "sender",
    "attendees",
    "attachments",
];

/// Headers msgsync sets itself on every delivery: a registration may not replace them.
const RESERVED_HEADERS: &[&str] = &[
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
];

fn invalid(detail: impl Into<String>) -> AppError {
    AppError::new(ErrorKind::InvalidParameters, detail)
}

fn string<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, AppError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(format!("`{name}` must be a string"))),
    }
}

fn array<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a [Value], AppError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) if items.len() <= 100 => Ok(items),
        Some(Value::Array(_)) => Err(invalid(format!("`{name}` may have at most 100 items"))),
        Some(_) => Err(invalid(format!("`{name}` must be an array"))),
    }
}

/// `[{key, value}]` or `[{name, key}]` items: each an object of two strings.
fn pairs(
    body: &Map<String, Value>,
    field: &str,
    a: &str,
    b: &str,
) -> Result<Vec<(String, String)>, AppError> {
    array(body, field)?
        .iter()
        .map(|item| {
            let Value::Object(item) = item else {
                return Err(invalid(format!(
                    "`{field}` items must be objects with `{a}` and `{b}`"
                )));
            };
            let get = |name: &str| {
                string(item, name)?.map(str::to_owned).ok_or_else(|| {
                    invalid(format!("each item of `{field}` needs a string `{name}`"))
                })
            };
            Ok((get(a)?, get(b)?))
        })
        .collect()
}

/// The body of a registration, as the document shows it. The handler reads the JSON itself.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct CreateWebhook {
    /// Where deliveries are POSTed: http or https; private, loopback and link-local addresses
    /// are refused unless the operator allows them (`MSGSYNC_WEBHOOK_ALLOW_PRIVATE=true`).
    #[schema(max_length = 2048, examples("https://example.com/hooks/msgsync"))]
    request_url: String,
    /// `account_status` or `messaging`.
    #[schema(schema_with = source_schema)]
    source: String,
    name: Option<String>,
    /// Only these accounts of the key's owner; all of them (now and later) when absent.
    account_ids: Option<Vec<String>>,
    enabled: Option<bool>,
    /// Headers sent with each delivery.
    headers: Option<Vec<views::WebhookHeaderView>>,
    /// `json` (the only format msgsync sends).
    format: Option<String>,
    /// `messaging`: `["message_received"]` (the only event msgsync sends).
    events: Option<Vec<String>>,
    /// `messaging`: the payload fields sent, under the names given.
    data: Option<Vec<views::WebhookDataView>>,
}

fn source_schema() -> utoipa::openapi::Object {
    crate::openapi::schemas::one_of_strings(["account_status", "messaging"])
}

route_errors!(CreateWebhookErrors: KEYED; InvalidParameters, MissingParameters, MalformedRequest);

/// Register a webhook.
///
/// Unipile v1's registration. The answer carries the signing secret (`whsec_…`) this once:
/// every delivery is signed with it per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`). Needs the `webhooks:write` scope.
#[utoipa::path(
    post,
    path = "/webhooks",
    tag = "Webhooks",
    operation_id = "create_webhook",
    security(("api_key" = [])),
    request_body(content = CreateWebhook, content_type = "application/json"),
    responses((status = 201, description = "Registered", body = WebhookCreated), CreateWebhookErrors),
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<Value>,
) -> Result<(axum::http::StatusCode, Json<WebhookCreated>), AppError> {
    caller.require(Scope::WebhooksWrite)?;
    let Value::Object(body) = body else {
        return Err(invalid("the body must be a JSON object"));
    };
    let request_url = string(&body, "request_url")?
        .ok_or_else(|| AppError::new(ErrorKind::MissingParameters, "`request_url` is required"))?;
    let url = msgsync_webhooks::check_url(&state.webhook_policy, request_url)
        .map_err(|e| invalid(e.to_string()))?;
    // A name that resolves only to refused addresses is refused now, with words the user can
    // act on; one that does not resolve yet is accepted (DNS may be down for a moment), and
    // every delivery checks again.
    let resolved = tokio::time::timeout(
        REGISTRATION_DNS_TIMEOUT,
        msgsync_webhooks::resolve_allowed(&state.webhook_policy, &url),
    )
    .await;
    match resolved {
        Err(_) | Ok(Ok(_)) | Ok(Err(msgsync_webhooks::TargetError::Unresolvable { .. })) => {}
        Ok(Err(e)) => return Err(invalid(e.to_string())),
    }
    let source = string(&body, "source")?
        .ok_or_else(|| AppError::new(ErrorKind::MissingParameters, "`source` is required"))?;
    let source = WebhookSource::parse(source).ok_or_else(|| {
        invalid(format!(
            "msgsync sends webhooks of source `account_status` or `messaging`, not `{source}`"
        ))
    })?;
    let format = string(&body, "format")?.unwrap_or("json");
    if format != "json" {
        return Err(invalid(format!(
            "msgsync sends webhooks as `json` only, not `{format}`"
        )));
    }
    let name = string(&body, "name")?.map(str::to_owned);
    if name.as_ref().is_some_and(|n| n.len() > 256) {
        return Err(invalid("`name` may have at most 256 characters"));
    }
    let enabled = match body.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("`enabled` must be a boolean")),
    };
    let account_ids = match body.get("account_ids") {
        None | Some(Value::Null) => None,
        Some(_) => {
            let mut ids = Vec::new();
            for item in array(&body, "account_ids")? {
                let id: AccountId = item
                    .as_str()
                    .ok_or_else(|| invalid("`account_ids` must be an array of account ids"))?
                    .parse()
                    .map_err(|e: msgsync_core::IdError| invalid(e.to_string()))?;
                if state.store.account_get(&caller.tenant, id).await?.is_none() {
                    return Err(invalid(format!("account {id} does not exist")));
                }
                ids.push(id);
            }
            // An empty list, as Unipile reads it: every account.
            (!ids.is_empty()).then_some(ids)
        }
    };
    let headers = pairs(&body, "headers", "key", "value")?
        .into_iter()
        .map(|(key, value)| {
            let name = axum::http::HeaderName::from_bytes(key.as_bytes())
                .map_err(|_| invalid(format!("`{key}` is not a valid header name")))?;
            if RESERVED_HEADERS.contains(&name.as_str()) {
                return Err(invalid(format!(
                    "the header `{key}` is set by msgsync itself"
                )));
            }
            axum::http::HeaderValue::from_str(&value)
                .map_err(|_| invalid(format!("the value of header `{key}` is not valid")))?;
            Ok(WebhookHeader { key, value })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let (events, data) = match source {
        WebhookSource::Messaging => {
            let events: Vec<String> = array(&body, "events")?
                .iter()
                .map(|e| match e.as_str() {
                    Some("message_received") => Ok("message_received".to_owned()),
                    Some(other) => Err(invalid(format!(
                        "msgsync sends the messaging event `message_received` only, not `{other}`"
                    ))),
                    None => Err(invalid("`events` must be an array of strings")),
                })
                .collect::<Result<_, _>>()?;
            let data = pairs(&body, "data", "name", "key")?
                .into_iter()
                .map(|(name, key)| {
                    if DATA_KEYS.contains(&key.as_str()) {
                        Ok(WebhookDataField { name, key })
                    } else {
                        Err(invalid(format!(
                            "`{key}` is not a field of a messaging webhook (expected one of {})",
                            DATA_KEYS.join(", ")
                        )))
                    }
                })
                .collect::<Result<_, _>>()?;
            let events = if events.is_empty() {
                vec!["message_received".to_owned()]
            } else {
                events
            };
            (events, data)
        }
        WebhookSource::AccountStatus => {
            if !array(&body, "events")?.is_empty() || !array(&body, "data")?.is_empty() {
                return Err(invalid("`events` and `data` belong to messaging webhooks"));
            }
            (Vec::new(), Vec::new())
        }
    };
    let id = WebhookId::new();
    let secret = Secret::generate();
    state
        .store
        .webhook_insert(&NewWebhook {
            id,
            tenant: caller.tenant.clone(),
            source,
            name,
            request_url: url.to_string(),
            account_ids,
            enabled,
            options: WebhookOptions {
                format: "json".into(),
                events,
                data,
            },
            headers,
            secret: secret.as_str().to_owned(),
            now: now_ms(),
        })
        .await?;
    tracing::info!(webhook = %id, source = source.as_str(), "webhook registered");
    Ok((
        axum::http::StatusCode::CREATED,
        Json(views::webhook_created(
            id.to_string(),
            secret.as_str().to_owned(),
        )),
    ))
}

route_errors!(ListWebhooksErrors: KEYED);

/// List webhooks.
///
/// The key owner's webhooks of the key's mode, newest first, whole. Needs the
/// `webhooks:write` scope.
#[utoipa::path(
    get,
    path = "/webhooks",
    tag = "Webhooks",
    operation_id = "list_webhooks",
    security(("api_key" = [])),
    responses((status = 200, description = "The webhooks", body = WebhookList), ListWebhooksErrors),
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<WebhookList>, AppError> {
    caller.require(Scope::WebhooksWrite)?;
    let hooks = state.store.webhook_list(&caller.tenant).await?;
    let mut providers: HashMap<String, Option<String>> = HashMap::new();
    let named: Vec<String> = hooks
        .iter()
        .flat_map(|w| w.account_ids.clone().unwrap_or_default())
        .collect();
    for id in &named {
        if providers.contains_key(id) {
            continue;
        }
        let provider = match id.parse::<AccountId>() {
            Ok(account) => state
                .store
                .account_get(&caller.tenant, account)
                .await?
                .map(|a| a.provider.as_str().to_owned()),
            Err(_) => None,
        };
        providers.insert(id.clone(), provider);
    }
    let lookup = |id: &str| providers.get(id).cloned().flatten();
    Ok(Json(views::webhook_list(
        hooks.iter().map(|w| views::webhook(w, &lookup)).collect(),
    )))
}

/// `{webhook_id}`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct WebhookPath {
    /// A `whk_…` id.
    webhook_id: String,
}

route_errors!(WebhookByIdErrors: KEYED, PATH_ID);

/// Delete a webhook.
///
/// Its events not yet delivered go with it. Needs the `webhooks:write` scope.
#[utoipa::path(
    delete,
    path = "/webhooks/{webhook_id}",
    tag = "Webhooks",
    operation_id = "delete_webhook",
    security(("api_key" = [])),
    params(WebhookPath),
    responses((status = 200, description = "Deleted", body = WebhookDeleted), WebhookByIdErrors),
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<WebhookDeleted>, AppError> {
    caller.require(Scope::WebhooksWrite)?;
    let id: WebhookId = path_id(&id)?;
    if !state.store.webhook_delete(&caller.tenant, id).await? {
        return Err(not_found("webhook", id));
    }
    tracing::info!(webhook = %id, "webhook deleted");
    Ok(Json(views::webhook_deleted()))
}

/// Rotate a webhook's secret.
///
/// Answers a new secret (this once). For 24 hours, deliveries carry two signatures, one with
/// each secret (space-separated in `webhook-signature`, as Standard Webhooks specifies), so a
/// receiver can switch without losing a delivery. Needs the `webhooks:write` scope.
#[utoipa::path(
    post,
    path = "/webhooks/{webhook_id}/rotate",
    tag = "Webhooks",
    operation_id = "rotate_webhook_secret",
    security(("api_key" = [])),
    params(WebhookPath),
    responses((status = 200, description = "Rotated", body = views::WebhookSecretRotated), WebhookByIdErrors),
)]
pub async fn rotate_webhook_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<views::WebhookSecretRotated>, AppError> {
    caller.require(Scope::WebhooksWrite)?;
    let id: WebhookId = path_id(&id)?;
    let secret = Secret::generate();
    let now = now_ms();
    let until = now + ROTATION_OVERLAP.as_millis() as i64;
    let rotated = state
        .store
        .webhook_rotate(&WebhookRotation {
            tenant: &caller.tenant,
            id,
            secret: secret.as_str(),
            overlap_until: until,
            now,
        })
        .await?;
    if !rotated {
        return Err(not_found("webhook", id));
    }
    tracing::info!(webhook = %id, "webhook secret rotated");
    Ok(Json(views::webhook_rotated(
        id.to_string(),
        secret.as_str().to_owned(),
        until,
    )))
}

/// List a webhook's recent delivery attempts.
///
/// The 100 most recent attempts, newest first, each with the receiver's status code, the
/// latency and when the event is tried again; and how many events wait. Needs the
/// `webhooks:write` scope.
#[utoipa::path(
    get,
    path = "/webhooks/{webhook_id}/deliveries",
    tag = "Webhooks",
    operation_id = "list_webhook_deliveries",
    security(("api_key" = [])),
    params(WebhookPath),
    responses((status = 200, description = "The attempts", body = WebhookDeliveryList), WebhookByIdErrors),
)]
pub async fn list_webhook_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<WebhookDeliveryList>, AppError> {
    caller.require(Scope::WebhooksWrite)?;
    let id: WebhookId = path_id(&id)?;
    if state.store.webhook_get(&caller.tenant, id).await?.is_none() {
        return Err(not_found("webhook", id));
    }
    let (attempts, pending) = state.store.webhook_attempts(id, 100).await?;
    Ok(Json(views::deliveries(&attempts, pending)))
}
