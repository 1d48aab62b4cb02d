//! Messages: reads for the API (one chat's, across chats, one by id), idempotent upserts for
//! the engine.

use std::cmp::Reverse;

use msgsync_core::content::MessageEventType;
use msgsync_core::{AccountId, AttendeeId, MessageId, Span};
use sqlx::{Pool, QueryBuilder};

use super::dialect::{Bind, Dialect, ReadRow};
use super::{corrupt, cursor_bounds, paginate, MessageWrite};
use crate::*;

/// A message row with its chat's provider id (the API shows both), from `messages m` and
/// `chats c`.
const COLUMNS: &str = "SELECT m.id, m.account_id, m.chat_id, c.provider_id AS chat_provider_id,
        m.provider_id, m.sender_id, m.text, m.subject, m.timestamp, m.is_sender, m.attachments,
        m.reactions, m.seen, m.hidden, m.deleted, m.edited, m.is_event, m.event_type,
        m.delivered, m.original";

/// Messages with their chats.
fn select<DB: Dialect>() -> QueryBuilder<'static, DB> {
    QueryBuilder::new(format!(
        "{COLUMNS} FROM messages m JOIN chats c ON c.id = m.chat_id"
    ))
}

/// Newest first; ties by id, so that a cursor (instant, id) is a total order.
const ORDER: &str = " ORDER BY m.timestamp DESC, m.id DESC LIMIT ";

fn from_row(row: &impl ReadRow) -> StoreResult<MessageRecord> {
    let id: String = row.read("id")?;
    let account_id: String = row.read("account_id")?;
    let chat_id: String = row.read("chat_id")?;
    let event_type: Option<i64> = row.read("event_type")?;
    Ok(MessageRecord {
        id: id.parse().map_err(|_| corrupt("message id", &id))?,
        account_id: account_id
            .parse()
            .map_err(|_| corrupt("account id", &account_id))?,
        chat_id: chat_id.parse().map_err(|_| corrupt("chat id", &chat_id))?,
        chat_provider_id: row.read("chat_provider_id")?,
        provider_id: row.read("provider_id")?,
        sender_id: row.read("sender_id")?,
        text: row.read("text")?,
        subject: row.read("subject")?,
        timestamp: row.read("timestamp")?,
        is_sender: row.read("is_sender")?,
        attachments: row.read("attachments")?,
        reactions: row.read("reactions")?,
        seen: row.read("seen")?,
        hidden: row.read("hidden")?,
        deleted: row.read("deleted")?,
        edited: row.read("edited")?,
        is_event: row.read("is_event")?,
        event_type: event_type
            .map(|code| {
                MessageEventType::from_code(code)
                    .ok_or_else(|| corrupt("event type", &code.to_string()))
            })
            .transpose()?,
        delivered: row.read("delivered")?,
        original: row.read("original")?,
    })
}

fn cursor_of(m: &MessageRecord) -> PageCursor {
    PageCursor {
        at: m.timestamp,
        id: m.id.to_string(),
    }
}

/// `AND` the span and the position after the cursor, then newest first, one more than a page.
fn push_window<DB: Dialect>(sql: &mut QueryBuilder<'_, DB>, span: &Span, page: &PageRequest) {
    push_filter(sql, span, page, None);
    sql.push(ORDER).bind(i64::from(page.limit) + 1);
}

/// `AND` the span, the position after the cursor and the sender.
fn push_filter<DB: Dialect>(
    sql: &mut QueryBuilder<'_, DB>,
    span: &Span,
    page: &PageRequest,
    sender: Option<&str>,
) {
    let (at, id) = cursor_bounds(page);
    if let Some(sender) = sender {
        sql.push(" AND m.sender_id = ").bind(sender.to_owned());
    }
    sql.push(" AND m.timestamp >= ")
        .bind(span.after.unwrap_or(i64::MIN))
        .push(" AND m.timestamp <= ")
        .bind(span.before.unwrap_or(i64::MAX))
        .push(" AND (m.timestamp < ")
        .bind(at)
        .push(" OR (m.timestamp = ")
        .bind(at)
        .push(" AND (")
        .bind(id.clone())
        .push(" = '' OR m.id < ")
        .bind(id)
        .push(")))");
}

async fn fetch<DB: Dialect>(
    db: &Pool<DB>,
    mut sql: QueryBuilder<'_, DB>,
) -> StoreResult<Vec<MessageRecord>> {
    let rows = DB::fetch_all(&mut sql, db).await?;
    rows.iter().map(from_row).collect()
}

pub async fn list<DB: Dialect>(
    db: &Pool<DB>,
    chat: &ChatRecord,
    q: &MessageQuery,
) -> StoreResult<Page<MessageRecord>> {
    let mut sql = select();
    sql.push(" WHERE m.chat_id = ").bind(chat.id.to_string());
    push_window(&mut sql, &q.span, &q.page);
    Ok(paginate(fetch(db, sql).await?, q.page.limit, cursor_of))
}

/// Messages across chats, newest first.
///
/// No index orders an account's messages by time across its chats: messages arrive chat by
/// chat, and such an index cost the sync's writes about a third of their speed (LinkedIn) to a
/// half (Telegram) (docs/BENCHMARKS.md). A page is read through each chat's own time index
/// instead: first, for every candidate chat, its newest message in the window (one index seek
/// each); then the page, from the chats and the time range that can hold it.
pub async fn search<DB: Dialect>(
    db: &Pool<DB>,
    tenant: &Tenant,
    s: &MessageSearch,
) -> StoreResult<Page<MessageRecord>> {
    let sender = s.sender_id.as_deref();
    let mut sql = QueryBuilder::<DB>::new(
        "SELECT c.id, (SELECT m.timestamp FROM messages m WHERE m.chat_id = c.id",
    );
    push_filter(&mut sql, &s.span, &s.page, sender);
    sql.push(
        " ORDER BY m.timestamp DESC, m.id DESC LIMIT 1) AS top
         FROM chats c JOIN accounts a ON a.id = c.account_id WHERE a.owner = ",
    )
    .bind(tenant.owner.clone())
    .push(" AND a.mode = ")
    .bind(tenant.mode.as_str());
    if let Some(account) = s.account_id {
        sql.push(" AND c.account_id = ").bind(account.to_string());
    }
    if let Some(sender) = sender {
        // A sender takes part in every chat they wrote in (`chat_attendees`), under the
        // attendee id of the chat's account.
        let accounts: Vec<String> = match s.account_id {
            Some(id) => vec![id.to_string()],
            None => {
                // Built, not written, so that each dialect gets its own placeholders.
                let mut ids = QueryBuilder::<DB>::new("SELECT id FROM accounts WHERE owner = ");
                ids.bind(&tenant.owner)
                    .push(" AND mode = ")
                    .bind(tenant.mode.as_str());
                let rows = DB::fetch_all(&mut ids, db).await?;
                rows.iter()
                    .map(|row| row.read("id"))
                    .collect::<sqlx::Result<_>>()?
            }
        };
        sql.push(
            " AND EXISTS (SELECT 1 FROM chat_attendees ca WHERE ca.chat_id = c.id
                AND ca.attendee_id IN (",
        );
        let mut ids = sql.separated(", ");
        for account in &accounts {
            let account: AccountId = account
                .parse()
                .map_err(|_| corrupt("account id", account))?;
            ids.bind(AttendeeId::for_provider_id(account, sender).to_string());
        }
        if accounts.is_empty() {
            ids.push("NULL");
        }
        sql.push("))");
    }
    let mut tops: Vec<(String, Option<i64>)> = DB::fetch_all(&mut sql, db)
        .await?
        .iter()
        .map(|row| Ok((row.read("id")?, row.read("top")?)))
        .collect::<sqlx::Result<_>>()?;
    tops.retain(|(_, top)| top.is_some());
    tops.sort_by_key(|(_, top)| Reverse(*top));
    let wanted = s.page.limit as usize + 1;
    // The `wanted` chats with the newest messages hold `wanted` messages at least as new as
    // the newest of the last of them: nothing older than that can be on the page, nor come
    // from a chat whose newest message is older.
    let floor = match tops.get(wanted - 1) {
        Some((_, top)) => top.unwrap_or(i64::MIN),
        None => i64::MIN,
    };
    let chats: Vec<String> = tops
        .into_iter()
        .take_while(|(_, top)| top.is_some_and(|t| t >= floor))
        .map(|(chat, _)| chat)
        .collect();
    if chats.is_empty() {
        return Ok(Page {
            items: Vec::new(),
            next: None,
        });
    }
    let mut page = select();
    page.push(" WHERE m.chat_id IN (");
    let mut ids = page.separated(", ");
    for chat in chats {
        ids.bind(chat);
    }
    page.push(") AND m.timestamp >= ").bind(floor);
    push_filter(&mut page, &s.span, &s.page, sender);
    page.push(ORDER).bind(wanted as i64);
    let best = fetch(db, page).await?;
    Ok(paginate(best, s.page.limit, cursor_of))
}

pub async fn get<DB: Dialect>(
    db: &Pool<DB>,
    tenant: &Tenant,
    id: MessageId,
) -> StoreResult<Option<MessageRecord>> {
    let mut sql = select();
    sql.push(" JOIN accounts a ON a.id = m.account_id WHERE m.id = ")
        .bind(id.to_string())
        .push(" AND a.owner = ")
        .bind(tenant.owner.clone())
        .push(" AND a.mode = ")
        .bind(tenant.mode.as_str());
    Ok(fetch(db, sql).await?.pop())
}

pub async fn last<DB: Dialect>(
    db: &Pool<DB>,
    chat: &ChatRecord,
) -> StoreResult<Option<MessageRecord>> {
    let mut sql = select();
    sql.push(" WHERE m.chat_id = ")
        .bind(chat.id.to_string())
        .push(ORDER)
        .bind(1);
    Ok(fetch(db, sql).await?.pop())
}

/// Rows per multi-row INSERT: 20 parameters a row stays far below SQLite's limit of 32766
/// parameters a statement and PostgreSQL's of 65,535.
const MESSAGE_BATCH: usize = 500;

/// Inserts or updates messages by (chat, provider id), in multi-row statements. For
/// PostgreSQL, `messages` holds each message once (one statement may not update a row twice
/// there) and in key order, so that transactions writing the same messages lock them in the
/// same order.
pub async fn upsert<DB: Dialect>(
    conn: &mut DB::Connection,
    messages: &[MessageWrite<'_>],
) -> StoreResult<()> {
    for batch in messages.chunks(MESSAGE_BATCH) {
        let mut sql = QueryBuilder::<DB>::new(
            "INSERT INTO messages (id, account_id, chat_id, provider_id, sender_id, text, subject,
                timestamp, is_sender, attachments, reactions, seen, hidden, deleted, edited,
                is_event, event_type, delivered, original, seen_series) ",
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
                row.bind(MessageId::new().to_string())
                    .bind(w.account)
                    .bind(w.chat)
                    .bind(&m.provider_id)
                    .bind(&m.sender_id)
                    .bind(&m.text)
                    .bind(&m.subject)
                    .bind(m.timestamp_ms)
                    .bind(m.is_sender)
                    .bind(attachments)
                    .bind(reactions)
                    .bind(m.seen)
                    .bind(m.hidden)
                    .bind(m.deleted)
                    .bind(m.edited)
                    .bind(m.is_event)
                    .bind(m.event_type.map(|e| e as i64))
                    .bind(m.delivered)
                    .bind(&m.original)
                    .bind(w.series);
            },
        );
        sql.push(
            " ON CONFLICT (chat_id, provider_id) DO UPDATE SET
                sender_id = excluded.sender_id, text = excluded.text, subject = excluded.subject,
                timestamp = excluded.timestamp, is_sender = excluded.is_sender,
                attachments = excluded.attachments, reactions = excluded.reactions,
                seen = excluded.seen, hidden = excluded.hidden, deleted = excluded.deleted,
                edited = excluded.edited, is_event = excluded.is_event,
                event_type = excluded.event_type, delivered = excluded.delivered,
                original = excluded.original, seen_series = excluded.seen_series",
        );
        DB::execute(&mut sql, &mut *conn).await?;
    }
    Ok(())
}
