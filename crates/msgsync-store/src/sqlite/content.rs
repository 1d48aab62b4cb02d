//! Chats and messages: reads for the API, idempotent upserts for the engine.

use std::collections::HashMap;

use msgsync_core::content::{ProviderChat, ProviderMessage};
use msgsync_core::{AccountId, ChatId, MessageId, SyncId};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};

use super::accounts::paginate;
use super::corrupt;
use crate::*;

const CHAT_COLUMNS: &str =
    "c.id, c.account_id, a.provider AS account_type, c.provider_id, c.inbox, \
     c.name, c.kind, c.timestamp, c.unread_count, c.archived, c.muted_until, c.read_only, \
     c.folder, c.attendee_provider_id, c.content_type, c.deleted";

fn chat_from_row(row: &SqliteRow) -> StoreResult<ChatRecord> {
    let id: String = row.try_get("id")?;
    let account_id: String = row.try_get("account_id")?;
    let account_type: String = row.try_get("account_type")?;
    let inbox: Option<String> = row.try_get("inbox")?;
    Ok(ChatRecord {
        id: id.parse().map_err(|_| corrupt("chat id", &id))?,
        account_id: account_id
            .parse()
            .map_err(|_| corrupt("account id", &account_id))?,
        account_type: account_type
            .parse()
            .map_err(|_| corrupt("provider", &account_type))?,
        provider_id: row.try_get("provider_id")?,
        inbox: inbox
            .map(|i| i.parse().map_err(|_| corrupt("inbox", &i)))
            .transpose()?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        timestamp: row.try_get("timestamp")?,
        unread_count: row.try_get("unread_count")?,
        archived: row.try_get("archived")?,
        muted_until: row.try_get("muted_until")?,
        read_only: row.try_get("read_only")?,
        folder: row.try_get("folder")?,
        attendee_provider_id: row.try_get("attendee_provider_id")?,
        content_type: row.try_get("content_type")?,
        deleted: row.try_get("deleted")?,
    })
}

fn message_from_row(row: &SqliteRow, chat: &ChatRecord) -> StoreResult<MessageRecord> {
    let id: String = row.try_get("id")?;
    Ok(MessageRecord {
        id: id.parse().map_err(|_| corrupt("message id", &id))?,
        account_id: chat.account_id,
        chat_id: chat.id,
        chat_provider_id: chat.provider_id.clone(),
        provider_id: row.try_get("provider_id")?,
        sender_id: row.try_get("sender_id")?,
        text: row.try_get("text")?,
        subject: row.try_get("subject")?,
        timestamp: row.try_get("timestamp")?,
        is_sender: row.try_get("is_sender")?,
        attachments: row.try_get("attachments")?,
        reactions: row.try_get("reactions")?,
        seen: row.try_get("seen")?,
        hidden: row.try_get("hidden")?,
        deleted: row.try_get("deleted")?,
        edited: row.try_get("edited")?,
        is_event: row.try_get("is_event")?,
        delivered: row.try_get("delivered")?,
        original: row.try_get("original")?,
    })
}

fn cursor_bounds(page: &PageRequest) -> (i64, String) {
    match &page.cursor {
        Some(c) => (c.at, c.id.clone()),
        None => (i64::MAX, String::new()),
    }
}

pub async fn chat_list(
    db: &SqlitePool,
    tenant: &Tenant,
    q: &ChatQuery,
) -> StoreResult<Page<ChatRecord>> {
    let (at, id) = cursor_bounds(&q.page);
    let mut sql = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {CHAT_COLUMNS} FROM chats c JOIN accounts a ON a.id = c.account_id WHERE a.owner = "
    ));
    sql.push_bind(&tenant.owner)
        .push(" AND a.mode = ")
        .push_bind(tenant.mode.as_str());
    if let Some(account) = q.account_id {
        sql.push(" AND c.account_id = ")
            .push_bind(account.to_string());
    }
    sql.push(" AND (c.timestamp < ")
        .push_bind(at)
        .push(" OR (c.timestamp = ")
        .push_bind(at)
        .push(" AND (")
        .push_bind(id.clone())
        .push(" = '' OR c.id < ")
        .push_bind(id)
        .push("))) ORDER BY c.timestamp DESC, c.id DESC LIMIT ")
        .push_bind(i64::from(q.page.limit) + 1);
    let rows = sql.build().fetch_all(db).await?;
    let items = rows
        .iter()
        .map(chat_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(paginate(items, q.page.limit, |c| PageCursor {
        at: c.timestamp,
        id: c.id.to_string(),
    }))
}

pub async fn chat_get(
    db: &SqlitePool,
    tenant: &Tenant,
    id: ChatId,
) -> StoreResult<Option<ChatRecord>> {
    sqlx::query(&format!(
        "SELECT {CHAT_COLUMNS} FROM chats c JOIN accounts a ON a.id = c.account_id
         WHERE c.id = ? AND a.owner = ? AND a.mode = ?"
    ))
    .bind(id.to_string())
    .bind(&tenant.owner)
    .bind(tenant.mode.as_str())
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(chat_from_row)
    .transpose()
}

pub async fn message_list(
    db: &SqlitePool,
    chat: &ChatRecord,
    q: &MessageQuery,
) -> StoreResult<Page<MessageRecord>> {
    let (at, id) = cursor_bounds(&q.page);
    let rows = sqlx::query(
        "SELECT * FROM messages
         WHERE chat_id = ? AND timestamp >= ? AND timestamp <= ?
           AND (timestamp < ? OR (timestamp = ? AND (? = '' OR id < ?)))
         ORDER BY timestamp DESC, id DESC LIMIT ?",
    )
    .bind(chat.id.to_string())
    .bind(q.span.after.unwrap_or(i64::MIN))
    .bind(q.span.before.unwrap_or(i64::MAX))
    .bind(at)
    .bind(at)
    .bind(&id)
    .bind(&id)
    .bind(i64::from(q.page.limit) + 1)
    .fetch_all(db)
    .await?;
    let items = rows
        .iter()
        .map(|r| message_from_row(r, chat))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(paginate(items, q.page.limit, |m| PageCursor {
        at: m.timestamp,
        id: m.id.to_string(),
    }))
}

/// A chat to upsert, with the account and the sync series that saw it.
pub struct ChatWrite<'a> {
    pub account: &'a str,
    pub series: &'a str,
    pub chat: &'a ProviderChat,
}

/// A message to upsert into a chat.
pub struct MessageWrite<'a> {
    pub account: &'a str,
    pub chat: &'a str,
    pub series: &'a str,
    pub message: &'a ProviderMessage,
}

/// Rows per multi-row chat upsert (16 parameters a row).
const CHAT_BATCH: usize = 500;

/// Inserts or updates chats by (account, provider id), in multi-row statements (a chat listed
/// twice ends as its last row says); returns the chats' ids by (account, provider id). A chat
/// seen again at the provider is no longer deleted.
pub async fn chats_upsert(
    conn: &mut SqliteConnection,
    chats: &[ChatWrite<'_>],
) -> StoreResult<HashMap<(String, String), String>> {
    let mut ids = HashMap::with_capacity(chats.len());
    for batch in chats.chunks(CHAT_BATCH) {
        let mut sql = QueryBuilder::<Sqlite>::new(
            "INSERT INTO chats (id, account_id, provider_id, inbox, name, kind, timestamp,
                unread_count, archived, muted_until, read_only, folder, attendee_provider_id,
                content_type, deleted, seen_series) ",
        );
        sql.push_values(batch, |mut row, w| {
            let c = w.chat;
            row.push_bind(ChatId::new().to_string())
                .push_bind(w.account)
                .push_bind(&c.provider_id)
                .push_bind(c.inbox.map(|i| i.as_str()))
                .push_bind(&c.name)
                .push_bind(c.kind as i64)
                .push_bind(c.last_activity_ms)
                .push_bind(c.unread_count)
                .push_bind(c.archived)
                .push_bind(c.muted_until)
                .push_bind(c.read_only)
                .push_bind(&c.folder)
                .push_bind(&c.attendee_provider_id)
                .push_bind(&c.content_type)
                .push_bind(false)
                .push_bind(w.series);
        });
        sql.push(
            " ON CONFLICT (account_id, provider_id) DO UPDATE SET
                inbox = excluded.inbox, name = excluded.name, kind = excluded.kind,
                timestamp = excluded.timestamp, unread_count = excluded.unread_count,
                archived = excluded.archived, muted_until = excluded.muted_until,
                read_only = excluded.read_only, folder = excluded.folder,
                attendee_provider_id = excluded.attendee_provider_id,
                content_type = excluded.content_type, deleted = 0, seen_series = excluded.seen_series
             RETURNING id, account_id, provider_id",
        );
        for row in sql.build().fetch_all(&mut *conn).await? {
            let key = (row.try_get("account_id")?, row.try_get("provider_id")?);
            ids.insert(key, row.try_get("id")?);
        }
    }
    Ok(ids)
}

/// Rows per multi-row INSERT: 19 parameters a row stays far below SQLite's limit of 32766.
const MESSAGE_BATCH: usize = 500;

/// Inserts or updates messages by (chat, provider id), in multi-row statements.
pub async fn messages_upsert(
    conn: &mut SqliteConnection,
    messages: &[MessageWrite<'_>],
) -> StoreResult<()> {
    for batch in messages.chunks(MESSAGE_BATCH) {
        let mut sql = QueryBuilder::<Sqlite>::new(
            "INSERT INTO messages (id, account_id, chat_id, provider_id, sender_id, text, subject,
                timestamp, is_sender, attachments, reactions, seen, hidden, deleted, edited,
                is_event, delivered, original, seen_series) ",
        );
        let encoded = batch
            .iter()
            .map(|w| {
                Ok((
                    serde_json::to_string(&w.message.attachments)?,
                    serde_json::to_string(&w.message.reactions)?,
                ))
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()
            .map_err(|e| StoreError::Corrupt(format!("message could not be encoded: {e}")))?;
        sql.push_values(
            batch.iter().zip(encoded),
            |mut row, (w, (attachments, reactions))| {
                let m = w.message;
                row.push_bind(MessageId::new().to_string())
                    .push_bind(w.account)
                    .push_bind(w.chat)
                    .push_bind(&m.provider_id)
                    .push_bind(&m.sender_id)
                    .push_bind(&m.text)
                    .push_bind(&m.subject)
                    .push_bind(m.timestamp_ms)
                    .push_bind(m.is_sender)
                    .push_bind(attachments)
                    .push_bind(reactions)
                    .push_bind(m.seen)
                    .push_bind(m.hidden)
                    .push_bind(m.deleted)
                    .push_bind(m.edited)
                    .push_bind(m.is_event)
                    .push_bind(m.delivered)
                    .push_bind(&m.original)
                    .push_bind(w.series);
            },
        );
        sql.push(
            " ON CONFLICT (chat_id, provider_id) DO UPDATE SET
                sender_id = excluded.sender_id, text = excluded.text, subject = excluded.subject,
                timestamp = excluded.timestamp, is_sender = excluded.is_sender,
                attachments = excluded.attachments, reactions = excluded.reactions,
                seen = excluded.seen, hidden = excluded.hidden, deleted = excluded.deleted,
                edited = excluded.edited, is_event = excluded.is_event,
                delivered = excluded.delivered, original = excluded.original,
                seen_series = excluded.seen_series",
        );
        sql.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Marks as deleted what a finished full resync of `scope` did not see.
pub async fn reconcile(
    conn: &mut SqliteConnection,
    account: AccountId,
    series: SyncId,
    scope: &ReconcileScope,
) -> StoreResult<()> {
    let account = account.to_string();
    let series = series.to_string();
    let after = scope.span.after.unwrap_or(i64::MIN);
    let before = scope.span.before.unwrap_or(i64::MAX);
    let inbox = scope.inbox.map(|i| i.as_str());
    // Chats are visited while their last activity is at or after the span's start.
    sqlx::query(
        "UPDATE chats SET deleted = 1
         WHERE account_id = ? AND deleted = 0 AND (seen_series IS NULL OR seen_series <> ?)
           AND timestamp >= ? AND (? IS NULL OR inbox = ?)",
    )
    .bind(&account)
    .bind(&series)
    .bind(after)
    .bind(inbox)
    .bind(inbox)
    .execute(&mut *conn)
    .await?;
    // Chat by chat, through each chat's time range (`messages_chat_time`).
    sqlx::query(
        "UPDATE messages SET deleted = 1
         WHERE chat_id IN (SELECT id FROM chats WHERE account_id = ? AND (? IS NULL OR inbox = ?))
           AND timestamp >= ? AND timestamp <= ?
           AND deleted = 0 AND (seen_series IS NULL OR seen_series <> ?)",
    )
    .bind(&account)
    .bind(inbox)
    .bind(inbox)
    .bind(after)
    .bind(before)
    .bind(&series)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
