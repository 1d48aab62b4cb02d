//! Webhook endpoints and their deliveries, the same SQL in both dialects.
//!
//! Delivery follows the discipline of sync jobs: a worker claims an *endpoint* under a lease
//! (so one worker at a time sends its events, in order), every claim takes a new fencing token,
//! and every attempt it records carries the token and is refused once stale. On PostgreSQL the
//! claim skips endpoints another node's transaction holds (`FOR UPDATE SKIP LOCKED`).

use msgsync_core::{ApiKeyMode, WebhookId};
use sqlx::{Pool, QueryBuilder};

use super::dialect::{Bind, Dialect, ReadRow};
use super::ensure_held;
use crate::webhooks::*;
use crate::{CredentialCipher, StoreError, StoreResult, Tenant};

const COLUMNS: &str = "id, owner, mode, source, name, request_url, all_accounts, options, sealed, \
                       previous_secret_until, enabled, disabled_reason, created_at, lease_token";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("webhook {what}: {e}"))
}

fn from_row<R: ReadRow>(r: &R, cipher: &CredentialCipher) -> StoreResult<WebhookRecord> {
    let id: String = r.read("id")?;
    let mode: String = r.read("mode")?;
    let source: String = r.read("source")?;
    let options: String = r.read("options")?;
    let sealed: Vec<u8> = r.read("sealed")?;
    let sealed: WebhookSealed =
        serde_json::from_slice(&cipher.decrypt(&sealed)?).map_err(|e| corrupt("secrets", e))?;
    Ok(WebhookRecord {
        id: id.parse().map_err(|e| corrupt("id", e))?,
        owner: r.read("owner")?,
        mode: mode
            .parse::<ApiKeyMode>()
            .map_err(|_| corrupt("mode", &mode))?,
        source: WebhookSource::parse(&source).ok_or_else(|| corrupt("source", &source))?,
        name: r.read("name")?,
        request_url: r.read("request_url")?,
        account_ids: if r.read::<bool>("all_accounts")? {
            None
        } else {
            Some(Vec::new())
        },
        options: serde_json::from_str(&options).map_err(|e| corrupt("options", e))?,
        headers: sealed.headers,
        secret: sealed.secret,
        previous_secret: sealed.previous_secret,
        previous_secret_until: r.read("previous_secret_until")?,
        enabled: r.read("enabled")?,
        disabled_reason: r.read("disabled_reason")?,
        created_at: r.read("created_at")?,
        lease_token: r.read("lease_token")?,
    })
}

/// Fills in the accounts of the webhooks that name some.
async fn with_accounts<DB: Dialect>(
    db: &Pool<DB>,
    mut hooks: Vec<WebhookRecord>,
) -> StoreResult<Vec<WebhookRecord>> {
    let named: Vec<String> = hooks
        .iter()
        .filter(|w| w.account_ids.is_some())
        .map(|w| w.id.to_string())
        .collect();
    if named.is_empty() {
        return Ok(hooks);
    }
    let mut sql = QueryBuilder::<DB>::new(
        "SELECT webhook_id, account_id FROM webhook_accounts WHERE webhook_id IN (",
    );
    let mut list = sql.separated(", ");
    for id in named {
        list.bind(id);
    }
    sql.push(") ORDER BY webhook_id, account_id");
    for row in DB::fetch_all(&mut sql, db).await? {
        let webhook: String = row.read("webhook_id")?;
        let account: String = row.read("account_id")?;
        if let Some(w) = hooks.iter_mut().find(|w| w.id.to_string() == webhook) {
            w.account_ids.get_or_insert_with(Vec::new).push(account);
        }
    }
    Ok(hooks)
}

fn seal(
    cipher: &CredentialCipher,
    secret: &str,
    previous_secret: Option<&str>,
    headers: &[WebhookHeader],
) -> StoreResult<Vec<u8>> {
    let plain = serde_json::to_vec(&WebhookSealed {
        secret: secret.to_owned(),
        previous_secret: previous_secret.map(str::to_owned),
        headers: headers.to_vec(),
    })
    .map_err(|e| corrupt("secrets", e))?;
    Ok(cipher.encrypt(&plain)?)
}

pub(crate) async fn insert<DB: Dialect>(
    conn: &mut DB::Connection,
    cipher: &CredentialCipher,
    w: &NewWebhook,
) -> StoreResult<()> {
    let options = serde_json::to_string(&w.options).map_err(|e| corrupt("options", e))?;
    let mut sql = QueryBuilder::<DB>::new(
        "INSERT INTO webhooks (id, owner, mode, source, name, request_url, all_accounts, options,
                               sealed, enabled, created_at, updated_at) VALUES (",
    );
    let mut values = sql.separated(", ");
    values
        .bind(w.id.to_string())
        .bind(w.tenant.owner.clone())
        .bind(w.tenant.mode.as_str())
        .bind(w.source.as_str())
        .bind(w.name.clone())
        .bind(w.request_url.clone())
        .bind(w.account_ids.is_none())
        .bind(options)
        .bind(seal(cipher, &w.secret, None, &w.headers)?)
        .bind(w.enabled)
        .bind(w.now)
        .bind(w.now);
    sql.push(")");
    DB::execute(&mut sql, conn).await?;
    if let Some(accounts) = w.account_ids.as_ref().filter(|a| !a.is_empty()) {
        let mut sql =
            QueryBuilder::<DB>::new("INSERT INTO webhook_accounts (webhook_id, account_id) ");
        let mut unique: Vec<String> = accounts.iter().map(|a| a.to_string()).collect();
        unique.sort();
        unique.dedup();
        sql.push_values(unique, |mut row, account| {
            row.bind(w.id.to_string()).bind(account);
        });
        DB::execute(&mut sql, conn).await?;
    }
    Ok(())
}

pub(crate) async fn list<DB: Dialect>(
    db: &Pool<DB>,
    cipher: &CredentialCipher,
    tenant: &Tenant,
) -> StoreResult<Vec<WebhookRecord>> {
    let mut sql = QueryBuilder::<DB>::new(format!("SELECT {COLUMNS} FROM webhooks WHERE owner = "));
    sql.bind(tenant.owner.clone())
        .push(" AND mode = ")
        .bind(tenant.mode.as_str())
        .push(" ORDER BY created_at DESC, id DESC");
    let rows = DB::fetch_all(&mut sql, db).await?;
    let hooks = rows
        .iter()
        .map(|r| from_row(r, cipher))
        .collect::<StoreResult<Vec<_>>>()?;
    with_accounts(db, hooks).await
}

pub(crate) async fn get<DB: Dialect>(
    db: &Pool<DB>,
    cipher: &CredentialCipher,
    tenant: &Tenant,
    id: WebhookId,
) -> StoreResult<Option<WebhookRecord>> {
    let mut sql = QueryBuilder::<DB>::new(format!("SELECT {COLUMNS} FROM webhooks WHERE id = "));
    sql.bind(id.to_string())
        .push(" AND owner = ")
        .bind(tenant.owner.clone())
        .push(" AND mode = ")
        .bind(tenant.mode.as_str());
    let rows = DB::fetch_all(&mut sql, db).await?;
    let hooks = rows
        .iter()
        .map(|r| from_row(r, cipher))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(with_accounts(db, hooks).await?.pop())
}

/// Deletes the webhook and, with it, its undelivered events.
pub(crate) async fn delete<DB: Dialect>(
    conn: &mut DB::Connection,
    tenant: &Tenant,
    id: WebhookId,
) -> StoreResult<bool> {
    let mut sql = QueryBuilder::<DB>::new("DELETE FROM webhooks WHERE id = ");
    sql.bind(id.to_string())
        .push(" AND owner = ")
        .bind(tenant.owner.clone())
        .push(" AND mode = ")
        .bind(tenant.mode.as_str())
        .push(" RETURNING id");
    Ok(!DB::fetch_all_in(&mut sql, conn).await?.is_empty())
}

/// Replaces the secret; the current one keeps signing beside it until the overlap ends.
pub(crate) async fn rotate<DB: Dialect>(
    conn: &mut DB::Connection,
    cipher: &CredentialCipher,
    r: &WebhookRotation<'_>,
) -> StoreResult<bool> {
    let mut sql = QueryBuilder::<DB>::new("SELECT sealed FROM webhooks WHERE id = ");
    sql.bind(r.id.to_string())
        .push(" AND owner = ")
        .bind(r.tenant.owner.clone())
        .push(" AND mode = ")
        .bind(r.tenant.mode.as_str());
    let Some(row) = DB::fetch_all_in(&mut sql, conn).await?.pop() else {
        return Ok(false);
    };
    let sealed: Vec<u8> = row.read("sealed")?;
    let current: WebhookSealed =
        serde_json::from_slice(&cipher.decrypt(&sealed)?).map_err(|e| corrupt("secrets", e))?;
    let resealed = seal(cipher, r.secret, Some(&current.secret), &current.headers)?;
    let mut sql = QueryBuilder::<DB>::new("UPDATE webhooks SET sealed = ");
    sql.bind(resealed)
        .push(", previous_secret_until = ")
        .bind(r.overlap_until)
        .push(", updated_at = ")
        .bind(r.now)
        .push(" WHERE id = ")
        .bind(r.id.to_string());
    DB::execute(&mut sql, conn).await?;
    Ok(true)
}

/// Takes the endpoint whose oldest pending event is due and oldest, if no live lease holds it.
pub(crate) async fn claim<DB: Dialect>(
    conn: &mut DB::Connection,
    cipher: &CredentialCipher,
    c: &WebhookClaim<'_>,
) -> StoreResult<Option<WebhookRecord>> {
    let head = "(SELECT d.next_attempt_at FROM webhook_deliveries d
                 WHERE d.webhook_id = w.id AND d.state = 'pending' ORDER BY d.seq LIMIT 1)";
    let mut sql = QueryBuilder::<DB>::new("UPDATE webhooks SET lease_owner = ");
    sql.bind(c.worker.to_owned())
        .push(", lease_expires_at = ")
        .bind(c.now + c.lease_ms)
        .push(
            ", lease_token = lease_token + 1
             WHERE id = (SELECT w.id FROM webhooks w
                         WHERE w.enabled AND (w.lease_expires_at IS NULL OR w.lease_expires_at < ",
        )
        .bind(c.now)
        .push(format!(") AND {head} <= "))
        .bind(c.now)
        .push(format!(
            " ORDER BY {head}, w.id LIMIT 1{}) RETURNING {COLUMNS}",
            DB::SKIP_LOCKED
        ));
    let rows = DB::fetch_all_in(&mut sql, conn).await?;
    rows.first().map(|r| from_row(r, cipher)).transpose()
}

/// The endpoint's oldest pending event, due or not.
pub(crate) async fn next_delivery<DB: Dialect>(
    db: &Pool<DB>,
    webhook: &WebhookRecord,
) -> StoreResult<Option<DeliveryRecord>> {
    let mut sql = QueryBuilder::<DB>::new(
        "SELECT id, webhook_id, event, account_id, payload, attempts, next_attempt_at, created_at
         FROM webhook_deliveries WHERE state = 'pending' AND webhook_id = ",
    );
    sql.bind(webhook.id.to_string())
        .push(" ORDER BY seq LIMIT 1");
    let rows = DB::fetch_all(&mut sql, db).await?;
    rows.first()
        .map(|r| {
            let id: String = r.read("id")?;
            let webhook_id: String = r.read("webhook_id")?;
            Ok(DeliveryRecord {
                id: id.parse().map_err(|e| corrupt("delivery id", e))?,
                webhook_id: webhook_id.parse().map_err(|e| corrupt("id", e))?,
                event: r.read("event")?,
                account_id: r.read("account_id")?,
                payload: r.read("payload")?,
                attempts: r.read("attempts")?,
                next_attempt_at: r.read("next_attempt_at")?,
                created_at: r.read("created_at")?,
            })
        })
        .transpose()
}

/// Records an attempt and its outcome, renewing the lease; `LostLease` if the lease is no
/// longer this worker's (nothing is written then).
pub(crate) async fn record_attempt<DB: Dialect>(
    conn: &mut DB::Connection,
    a: &AttemptWrite<'_>,
) -> StoreResult<()> {
    let webhook = a.webhook.id.to_string();
    let mut sql = QueryBuilder::<DB>::new("UPDATE webhooks SET lease_expires_at = ");
    sql.bind(a.at + a.lease_ms);
    if a.outcome == AttemptOutcome::Gone {
        sql.push(", enabled = ")
            .bind(false)
            .push(", disabled_reason = ")
            .bind("the endpoint answered 410 Gone")
            .push(", updated_at = ")
            .bind(a.at);
    }
    sql.push(" WHERE id = ")
        .bind(webhook.clone())
        .push(" AND lease_owner = ")
        .bind(a.worker.to_owned())
        .push(" AND lease_token = ")
        .bind(a.webhook.lease_token)
        .push(" RETURNING id");
    ensure_held(DB::fetch_all_in(&mut sql, conn).await?.len() as u64)?;

    let number = a.delivery.attempts + 1;
    let next = match a.outcome {
        AttemptOutcome::Retry { at } => Some(at),
        _ => None,
    };
    let mut sql = QueryBuilder::<DB>::new(
        "INSERT INTO webhook_attempts (delivery_id, number, webhook_id, at, status_code,
                                       latency_ms, error, next_attempt_at) VALUES (",
    );
    let mut values = sql.separated(", ");
    values
        .bind(a.delivery.id.to_string())
        .bind(number)
        .bind(webhook.clone())
        .bind(a.at)
        .bind(a.status_code.map(i64::from))
        .bind(a.latency_ms)
        .bind(a.error.map(|e| crate::common::storable(e).into_owned()))
        .bind(next);
    sql.push(")");
    DB::execute(&mut sql, conn).await?;

    let (state, finished) = match a.outcome {
        AttemptOutcome::Delivered => ("delivered", Some(a.at)),
        AttemptOutcome::GiveUp => ("failed", Some(a.at)),
        AttemptOutcome::Retry { .. } | AttemptOutcome::Gone => ("pending", None),
    };
    let mut sql = QueryBuilder::<DB>::new("UPDATE webhook_deliveries SET state = ");
    sql.bind(state)
        .push(", attempts = ")
        .bind(number)
        .push(", next_attempt_at = ")
        .bind(match a.outcome {
            // A disabled endpoint is not claimed; enabled again, it resumes at once.
            AttemptOutcome::Gone => Some(a.at),
            _ => next,
        })
        .push(", finished_at = ")
        .bind(finished)
        .push(" WHERE id = ")
        .bind(a.delivery.id.to_string());
    DB::execute(&mut sql, conn).await?;
    Ok(())
}

/// Gives the endpoint back, if this worker still holds it.
pub(crate) async fn release<DB: Dialect>(
    db: &Pool<DB>,
    webhook: &WebhookRecord,
    worker: &str,
) -> StoreResult<()> {
    let mut sql = QueryBuilder::<DB>::new(
        "UPDATE webhooks SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ",
    );
    sql.bind(webhook.id.to_string())
        .push(" AND lease_owner = ")
        .bind(worker.to_owned())
        .push(" AND lease_token = ")
        .bind(webhook.lease_token)
        .push(" RETURNING id");
    DB::fetch_all(&mut sql, db).await?;
    Ok(())
}

/// The endpoint's most recent attempts, newest first, and how many events wait.
pub(crate) async fn attempts<DB: Dialect>(
    db: &Pool<DB>,
    id: WebhookId,
    limit: u32,
) -> StoreResult<(Vec<AttemptRecord>, i64)> {
    let mut sql = QueryBuilder::<DB>::new(
        "SELECT t.delivery_id, d.event, d.account_id, t.number, t.at, t.status_code, t.latency_ms,
                t.error, t.next_attempt_at, d.state
         FROM webhook_attempts t JOIN webhook_deliveries d ON d.id = t.delivery_id
         WHERE t.webhook_id = ",
    );
    sql.bind(id.to_string())
        .push(" ORDER BY t.at DESC, t.delivery_id DESC, t.number DESC LIMIT ")
        .bind(i64::from(limit));
    let items = DB::fetch_all(&mut sql, db)
        .await?
        .iter()
        .map(|r| {
            Ok(AttemptRecord {
                delivery_id: r.read("delivery_id")?,
                event: r.read("event")?,
                account_id: r.read("account_id")?,
                number: r.read("number")?,
                at: r.read("at")?,
                status_code: r.read("status_code")?,
                latency_ms: r.read("latency_ms")?,
                error: r.read("error")?,
                next_attempt_at: r.read("next_attempt_at")?,
                delivery_state: r.read("state")?,
            })
        })
        .collect::<sqlx::Result<Vec<_>>>()?;
    let mut sql = QueryBuilder::<DB>::new(
        "SELECT COUNT(*) AS pending FROM webhook_deliveries WHERE state = 'pending' AND webhook_id = ",
    );
    sql.bind(id.to_string());
    let pending: i64 = DB::fetch_all(&mut sql, db)
        .await?
        .first()
        .map(|r| r.read("pending"))
        .transpose()?
        .unwrap_or(0);
    Ok((items, pending))
}

/// Forgets deliveries that ended before `before` (their attempts go with them).
pub(crate) async fn prune<DB: Dialect>(conn: &mut DB::Connection, before: i64) -> StoreResult<u64> {
    let mut sql = QueryBuilder::<DB>::new(
        "DELETE FROM webhook_deliveries WHERE state <> 'pending' AND finished_at < ",
    );
    sql.bind(before).push(" RETURNING seq");
    Ok(DB::fetch_all_in(&mut sql, conn).await?.len() as u64)
}
