//! The webhook outbox: events written in the transaction of the change they report, one row per
//! event and endpoint that hears of it, so that a crash can lose neither the change without
//! its event nor an event of a change rolled back. The engine delivers them
//! (`msgsync_engine::webhooks`).
//!
//! Payloads are Unipile's (`AccountStatus`, `message_received`), complete when written: an
//! account deleted before its events are delivered still has them delivered. What depends on
//! the endpoint (`webhook_name`, the `data` renaming) is applied at delivery.

use std::collections::{HashMap, HashSet};

use msgsync_core::content::Attachment;
use msgsync_core::time::format_ms;
use msgsync_core::{AccountId, AccountState, AttendeeId, DeliveryId};
use serde_json::{json, Map, Value};
use sqlx::QueryBuilder;

use super::dialect::{Bind, Dialect, ReadRow};
use super::writes::MessageWrite;
use crate::webhooks::WebhookSource;
use crate::{JobState, StoreError, StoreResult, SyncFinish};

/// The account an event is about, as the transaction reads it.
pub(crate) struct EventAccount {
    pub id: String,
    pub owner: String,
    pub mode: String,
    pub provider: String,
    /// Its state when read.
    pub state: String,
}

/// The account `id`, read inside the transaction that reports on it.
pub(crate) async fn account<DB: Dialect>(
    conn: &mut DB::Connection,
    id: &str,
) -> StoreResult<Option<EventAccount>> {
    let mut sql =
        QueryBuilder::<DB>::new("SELECT owner, mode, provider, state FROM accounts WHERE id = ");
    sql.bind(id.to_owned());
    let rows = DB::fetch_all_in(&mut sql, conn).await?;
    rows.first()
        .map(|r| {
            Ok(EventAccount {
                id: id.to_owned(),
                owner: r.read("owner")?,
                mode: r.read("mode")?,
                provider: r.read("provider")?,
                state: r.read("state")?,
            })
        })
        .transpose()
        .map_err(|e: sqlx::Error| e.into())
}

/// Writes events about `account` to the outbox of every enabled webhook of `source` that hears
/// of it; how many deliveries were queued. Nothing is written when no webhook hears of it.
pub(crate) async fn enqueue<DB: Dialect>(
    conn: &mut DB::Connection,
    account: &EventAccount,
    source: WebhookSource,
    events: &[(&str, Value)],
    now: i64,
) -> StoreResult<usize> {
    if events.is_empty() {
        return Ok(0);
    }
    let endpoints = listeners::<DB>(conn, account, source).await?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let rows: Vec<(String, &String, &str, String)> = endpoints
        .iter()
        .flat_map(|webhook| {
            events.iter().map(move |(event, payload)| {
                (
                    DeliveryId::new().to_string(),
                    webhook,
                    *event,
                    payload.to_string(),
                )
            })
        })
        .collect();
    // 8 parameters a row: far below both databases' limits per statement.
    for batch in rows.chunks(1000) {
        let mut sql = QueryBuilder::<DB>::new(
            "INSERT INTO webhook_deliveries (id, webhook_id, event, account_id, payload, state,
                                             attempts, next_attempt_at, created_at) ",
        );
        sql.push_values(batch, |mut row, (id, webhook, event, payload)| {
            row.bind(id.clone())
                .bind((*webhook).clone())
                .bind(event.to_string())
                .bind(account.id.clone())
                .bind(payload.clone())
                .bind("pending")
                .bind(0_i64)
                .bind(now)
                .bind(now);
        });
        DB::execute(&mut sql, conn).await?;
    }
    Ok(rows.len())
}

/// The enabled webhooks of `source` of the account's tenant that hear of it.
async fn listeners<DB: Dialect>(
    conn: &mut DB::Connection,
    account: &EventAccount,
    source: WebhookSource,
) -> StoreResult<Vec<String>> {
    let mut sql = QueryBuilder::<DB>::new("SELECT w.id FROM webhooks w WHERE w.owner = ");
    sql.bind(account.owner.clone())
        .push(" AND w.mode = ")
        .bind(account.mode.clone())
        .push(" AND w.source = ")
        .bind(source.as_str())
        .push(
            " AND w.enabled AND (w.all_accounts OR EXISTS (
                 SELECT 1 FROM webhook_accounts a WHERE a.webhook_id = w.id AND a.account_id = ",
        )
        .bind(account.id.clone())
        .push(")) ORDER BY w.id");
    let rows = DB::fetch_all_in(&mut sql, conn).await?;
    rows.iter()
        .map(|r| r.read::<String>("id").map_err(Into::into))
        .collect()
}

/// Unipile's account status event, with what msgsync adds.
pub(crate) fn account_status(
    account: &EventAccount,
    message: &str,
    extra: Map<String, Value>,
) -> Value {
    let mut status = Map::new();
    status.insert("account_id".into(), json!(account.id));
    status.insert("account_type".into(), json!(account.provider));
    status.insert("message".into(), json!(message));
    status.extend(extra);
    json!({ "AccountStatus": status })
}

/// The Unipile status message of an account state.
pub(crate) fn state_message(state: AccountState) -> &'static str {
    match state {
        AccountState::Ok => "OK",
        AccountState::Credentials => "CREDENTIALS",
        // Unipile's vocabulary has no words of its own for these: the account stopped syncing.
        AccountState::Restricted | AccountState::Disconnected | AccountState::Error => "ERROR",
    }
}

/// The event reporting that `account` (as read before the change) goes to state `after`, if
/// that is a change.
pub(crate) fn state_change(
    account: &EventAccount,
    after: AccountState,
) -> Option<(&'static str, Value)> {
    if account.state == after.as_str() {
        return None;
    }
    let mut extra = Map::new();
    extra.insert("state".into(), json!(after.as_str()));
    Some((
        "account_status",
        account_status(account, state_message(after), extra),
    ))
}

/// The event of a sync's outcome: Unipile's `SYNC_SUCCESS` for `SYNC_DONE`; for a chunk done
/// or a failure, the account's status (as `account` was read, after the outcome's own change
/// of state) in Unipile's words, with the outcome beside it.
pub(crate) fn sync_outcome(
    account: &EventAccount,
    f: &SyncFinish<'_>,
) -> Option<(&'static str, Value)> {
    let (status, message) = match f.state {
        JobState::Done => ("SYNC_DONE", "SYNC_SUCCESS"),
        JobState::ChunkDone => ("CHUNK_DONE", "OK"),
        JobState::Error => {
            let state = account
                .state
                .parse::<AccountState>()
                .ok()
                .filter(|s| *s != AccountState::Ok)
                .unwrap_or(AccountState::Error);
            ("SYNC_ERROR", state_message(state))
        }
        JobState::Queued | JobState::Running => return None,
    };
    let mut extra = Map::new();
    extra.insert("sync_id".into(), json!(f.job.id.to_string()));
    extra.insert("status".into(), json!(status));
    extra.insert("chunk".into(), json!(f.job.chunk_number));
    extra.insert(
        "progress".into(),
        json!({
            "chats": f.progress.chats_synced,
            "messages": f.progress.messages_synced,
            "chunk_chats": f.progress.chunk_chats,
            "chats_total": f.progress.chats_total,
            "messages_total": f.progress.messages_total,
        }),
    );
    if let (JobState::Error, Some((kind, detail))) = (f.state, &f.error) {
        extra.insert("error".into(), json!({ "type": kind, "detail": detail }));
    }
    extra.insert("finished_at".into(), json!(format_ms(f.now)));
    Some(("account_status", account_status(account, message, extra)))
}

/// Queues the account status event `event` makes of the account `id`, in the transaction.
pub(crate) async fn report<DB: Dialect>(
    conn: &mut DB::Connection,
    id: &str,
    event: impl FnOnce(&EventAccount) -> Value,
    now: i64,
) -> StoreResult<usize> {
    let Some(who) = account::<DB>(conn, id).await? else {
        return Ok(0);
    };
    let payload = event(&who);
    enqueue::<DB>(
        conn,
        &who,
        WebhookSource::AccountStatus,
        &[("account_status", payload)],
        now,
    )
    .await
}

/// Deletes the tenant's account `id` and reports it, in the transaction: (whether it existed,
/// deliveries queued). Chats, messages and sync jobs go with it (ON DELETE CASCADE); a worker
/// still syncing the account loses its lease at its next checkpoint and stops.
pub(crate) async fn delete_account<DB: Dialect>(
    conn: &mut DB::Connection,
    tenant: &crate::Tenant,
    id: AccountId,
    now: i64,
) -> StoreResult<(bool, usize)> {
    // The event's facts first, while the account can still be read.
    let Some(who) = account::<DB>(conn, &id.to_string()).await? else {
        return Ok((false, 0));
    };
    let mut sql = QueryBuilder::<DB>::new("DELETE FROM accounts WHERE id = ");
    sql.bind(id.to_string())
        .push(" AND owner = ")
        .bind(tenant.owner.clone())
        .push(" AND mode = ")
        .bind(tenant.mode.as_str())
        .push(" RETURNING id");
    if DB::fetch_all_in(&mut sql, conn).await?.is_empty() {
        return Ok((false, 0));
    }
    let payload = account_status(&who, "DELETED", Map::new());
    let queued = enqueue::<DB>(
        conn,
        &who,
        WebhookSource::AccountStatus,
        &[("account_status", payload)],
        now,
    )
    .await?;
    Ok((true, queued))
}

/// Replaces an account's credentials and profile, sets it back to `ok`, and reports
/// `RECONNECTED`, in the transaction: deliveries queued.
pub(crate) async fn reconnect_account<DB: Dialect>(
    conn: &mut DB::Connection,
    id: AccountId,
    sealed_credentials: Vec<u8>,
    u: &crate::AccountReconnect,
) -> StoreResult<usize> {
    let mut sql = QueryBuilder::<DB>::new("UPDATE accounts SET name = ");
    sql.bind(super::storable(&u.name).into_owned())
        .push(", provider_user_id = ")
        .bind(u.provider_user_id.clone())
        .push(", linkedin_products = ")
        .bind(super::products_to_text(&u.linkedin_products))
        .push(", credentials = ")
        .bind(sealed_credentials)
        .push(", state = 'ok', updated_at = ")
        .bind(u.now)
        .push(" WHERE id = ")
        .bind(id.to_string())
        .push(" RETURNING id");
    if DB::fetch_all_in(&mut sql, conn).await?.is_empty() {
        return Ok(0);
    }
    report::<DB>(
        conn,
        &id.to_string(),
        |who| account_status(who, "RECONNECTED", Map::new()),
        u.now,
    )
    .await
}

/// Sets the account's state in the transaction, and reports a change of state.
pub(crate) async fn set_state<DB: Dialect>(
    conn: &mut DB::Connection,
    id: AccountId,
    state: AccountState,
    now: i64,
) -> StoreResult<usize> {
    let Some(who) = account::<DB>(conn, &id.to_string()).await? else {
        return Ok(0);
    };
    let mut sql = QueryBuilder::<DB>::new("UPDATE accounts SET state = ");
    sql.bind(state.as_str())
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id.to_string());
    DB::execute(&mut sql, conn).await?;
    match state_change(&who, state) {
        Some(event) => enqueue::<DB>(conn, &who, WebhookSource::AccountStatus, &[event], now).await,
        None => Ok(0),
    }
}

/// Queues the event of a sync's outcome, in the transaction that records it.
pub(crate) async fn report_outcome<DB: Dialect>(
    conn: &mut DB::Connection,
    f: &SyncFinish<'_>,
) -> StoreResult<usize> {
    let Some(who) = account::<DB>(conn, &f.job.account_id.to_string()).await? else {
        return Ok(0);
    };
    match sync_outcome(&who, f) {
        Some(event) => {
            enqueue::<DB>(conn, &who, WebhookSource::AccountStatus, &[event], f.now).await
        }
        None => Ok(0),
    }
}

/// Whether any enabled messaging webhook exists at all: when none does (most databases, most
/// of the time), a checkpoint skips every per-account look-up of `unseen_messages`.
pub(crate) async fn anyone_hears_messages<DB: Dialect>(
    conn: &mut DB::Connection,
) -> StoreResult<bool> {
    let mut sql = QueryBuilder::<DB>::new("SELECT id FROM webhooks WHERE enabled AND source = ");
    sql.bind(WebhookSource::Messaging.as_str()).push(" LIMIT 1");
    Ok(!DB::fetch_all_in(&mut sql, conn).await?.is_empty())
}

/// Reports `CREATION_SUCCESS` for the account `id` just inserted, in its transaction.
pub(crate) async fn report_created<DB: Dialect>(
    conn: &mut DB::Connection,
    id: AccountId,
    now: i64,
) -> StoreResult<usize> {
    report::<DB>(
        conn,
        &id.to_string(),
        |who| account_status(who, "CREATION_SUCCESS", Map::new()),
        now,
    )
    .await
}

/// Messages of a checkpoint that may be reported as received, found before they are written:
/// those newer than the start of the account's previous successful sync and not stored yet.
/// Empty when nothing will hear of them, and for an account that never synced successfully
/// (like Unipile, nothing is sent for the history an account's first sync fetches).
pub(crate) async fn unseen_messages<'a, DB: Dialect>(
    conn: &mut DB::Connection,
    account: &EventAccount,
    job_id: &str,
    messages: &[MessageWrite<'a>],
) -> StoreResult<Vec<(&'a str, &'a str)>> {
    if messages.is_empty()
        || listeners::<DB>(conn, account, WebhookSource::Messaging)
            .await?
            .is_empty()
    {
        return Ok(Vec::new());
    }
    let mut sql = QueryBuilder::<DB>::new(
        "SELECT MAX(created_at) AS since FROM sync_jobs WHERE state = 'done' AND account_id = ",
    );
    sql.bind(account.id.clone())
        .push(" AND id <> ")
        .bind(job_id.to_owned());
    let since: Option<i64> = DB::fetch_all_in(&mut sql, conn)
        .await?
        .first()
        .map(|r| r.read("since"))
        .transpose()?
        .flatten();
    let Some(since) = since else {
        return Ok(Vec::new());
    };
    let recent: Vec<&MessageWrite> = messages
        .iter()
        .filter(|m| m.message.timestamp_ms > since)
        .collect();
    let mut stored = HashSet::new();
    for batch in recent.chunks(500) {
        // A row value's IN takes a subquery in SQLite, hence VALUES.
        let mut sql = QueryBuilder::<DB>::new(
            "SELECT chat_id, provider_id FROM messages WHERE (chat_id, provider_id) IN (",
        );
        sql.push_values(batch, |mut row, m| {
            row.bind(m.chat.to_owned())
                .bind(m.message.provider_id.clone());
        });
        sql.push(")");
        for row in DB::fetch_all_in(&mut sql, conn).await? {
            stored.insert((
                row.read::<String>("chat_id")?,
                row.read::<String>("provider_id")?,
            ));
        }
    }
    let mut seen = HashSet::new();
    Ok(recent
        .into_iter()
        .filter(|m| !stored.contains(&(m.chat.to_owned(), m.message.provider_id.clone())))
        .map(|m| (m.chat, m.message.provider_id.as_str()))
        .filter(|key| seen.insert(*key))
        .collect())
}

/// The `message_received` events of messages `unseen` found new, read back once written (with
/// their ids, senders and chats' attendees), queued for the messaging webhooks.
pub(crate) async fn messages_received<DB: Dialect>(
    conn: &mut DB::Connection,
    account: &EventAccount,
    unseen: &[(&str, &str)],
    now: i64,
) -> StoreResult<usize> {
    if unseen.is_empty() {
        return Ok(0);
    }
    let account_id: AccountId = account
        .id
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("account id: {e}")))?;
    let mut found = Vec::new();
    for batch in unseen.chunks(500) {
        let mut sql = QueryBuilder::<DB>::new(
            "SELECT id, chat_id, sender_id, text, timestamp, attachments FROM messages
             WHERE (chat_id, provider_id) IN (",
        );
        sql.push_values(batch, |mut row, (chat, provider_id)| {
            row.bind(chat.to_string()).bind(provider_id.to_string());
        });
        sql.push(")");
        found.extend(DB::fetch_all_in(&mut sql, conn).await?);
    }
    let mut chats: Vec<String> = Vec::new();
    for row in &found {
        let chat: String = row.read("chat_id")?;
        if !chats.contains(&chat) {
            chats.push(chat);
        }
    }
    let people = attendees_of::<DB>(conn, &chats).await?;
    let mut events = Vec::with_capacity(found.len());
    let mut ordered: Vec<(i64, String, Value)> = Vec::with_capacity(found.len());
    for row in &found {
        let chat: String = row.read("chat_id")?;
        let sender_id: String = row.read("sender_id")?;
        let timestamp: i64 = row.read("timestamp")?;
        let id: String = row.read("id")?;
        let sender_key = AttendeeId::for_provider_id(account_id, &sender_id).to_string();
        let attendees = people.get(&chat).cloned().unwrap_or_default();
        let sender = attendees
            .iter()
            .find(|a| a["attendee_id"] == sender_key)
            .cloned()
            .unwrap_or_else(|| {
                json!({
                    "attendee_id": sender_key,
                    "attendee_name": sender_id,
                    "attendee_provider_id": sender_id,
                })
            });
        let attachments: Vec<Attachment> =
            serde_json::from_str(&row.read::<String>("attachments")?).unwrap_or_default();
        let payload = json!({
            "account_id": account.id,
            "account_type": account.provider,
            "event": "message_received",
            "chat_id": chat,
            "timestamp": format_ms(timestamp),
            "message_id": id,
            "message": row.read::<Option<String>>("text")?,
            "sender": sender,
            "attendees": attendees,
            "attachments": attachments.into_iter().map(attachment).collect::<Vec<_>>(),
        });
        ordered.push((timestamp, id, payload));
    }
    // Oldest first, so that an endpoint hears of a chat's messages in the order they were sent.
    ordered.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    for (_, _, payload) in ordered {
        events.push(("message_received", payload));
    }
    enqueue::<DB>(conn, account, WebhookSource::Messaging, &events, now).await
}

/// The attendees of each chat, in the shape of a webhook's `sender` and `attendees`.
async fn attendees_of<DB: Dialect>(
    conn: &mut DB::Connection,
    chats: &[String],
) -> StoreResult<HashMap<String, Vec<Value>>> {
    let mut by_chat: HashMap<String, Vec<Value>> = HashMap::new();
    for batch in chats.chunks(500) {
        let mut sql = QueryBuilder::<DB>::new(
            "SELECT ca.chat_id, a.id, a.name, a.provider_id, a.profile_url
             FROM chat_attendees ca JOIN attendees a ON a.id = ca.attendee_id
             WHERE ca.chat_id IN (",
        );
        let mut list = sql.separated(", ");
        for chat in batch {
            list.bind(chat.clone());
        }
        sql.push(") ORDER BY ca.chat_id, a.id");
        for row in DB::fetch_all_in(&mut sql, conn).await? {
            by_chat
                .entry(row.read("chat_id")?)
                .or_default()
                .push(json!({
                    "attendee_id": row.read::<String>("id")?,
                    "attendee_name": row.read::<String>("name")?,
                    "attendee_provider_id": row.read::<String>("provider_id")?,
                    "attendee_profile_url": row.read::<Option<String>>("profile_url")?,
                }));
        }
    }
    Ok(by_chat)
}

/// An attachment as a webhook shows it: the message view's fields; the provider's own URL only
/// for a shared LinkedIn post (the others are signed for the account's session).
fn attachment(a: Attachment) -> Value {
    let mut v = json!({
        "id": a.id,
        "type": a.kind,
        "unavailable": a.unavailable,
    });
    if let Some(size) = a.file_size {
        v["file_size"] = json!(size);
    }
    if let Some(mimetype) = a.mimetype {
        v["mimetype"] = json!(mimetype);
    }
    if let Some(name) = a.file_name {
        v["file_name"] = json!(name);
    }
    if let Some(size) = a.size {
        v["size"] = json!({ "width": size.width, "height": size.height });
    }
    if a.kind == "linkedin_post" {
        if let Some(url) = a.url {
            v["url"] = json!(url);
        }
    }
    v
}
