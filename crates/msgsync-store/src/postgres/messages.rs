//! Messages: reads for the API (one chat's, across chats, one by id), idempotent upserts for
//! the engine.

use std::cmp::Reverse;

use msgsync_core::content::MessageEventType;
use msgsync_core::{AccountId, AttendeeId, MessageId, Span};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};

use crate::common::{corrupt, cursor_bounds, paginate, MessageWrite};
use crate::*;

/// A message row with its chat's provider id (the API shows both), from `messages m` and
/// `chats c`.
const COLUMNS: &str = "SELECT m.id, m.account_id, m.chat_id, c.provider_id AS chat_provider_id,
        m.provider_id, m.sender_id, m.text, m.subject, m.timestamp, m.is_sender, m.attachments,
        m.reactions, m.seen, m.hidden, m.deleted, m.edited, m.is_event, m.event_type,
        m.delivered, m.original";

/// Messages with their chats.
fn select() -> QueryBuilder<'static, Postgres> {
    QueryBuilder::new(format!(
        "{COLUMNS} FROM messages m JOIN chats c ON c.id = m.chat_id"
    ))
}

/// Newest first; ties by id, so that a cursor (instant, id) is a total order.
const ORDER: &str = " ORDER BY m.timestamp DESC, m.id DESC LIMIT ";

fn from_row(row: &PgRow) -> StoreResult<MessageRecord> {
    let id: String = row.try_get("id")?;
    let account_id: String = row.try_get("account_id")?;
    let chat_id: String = row.try_get("chat_id")?;
    let event_type: Option<i64> = row.try_get("event_type")?;
    Ok(MessageRecord {
        id: id.parse().map_err(|_| corrupt("message id", &id))?,
        account_id: account_id
            .parse()
            .map_err(|_| corrupt("account id", &account_id))?,
        chat_id: chat_id.parse().map_err(|_| corrupt("chat id", &chat_id))?,
        chat_provider_id: row.try_get("chat_provider_id")?,
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
        event_type: event_type
            .map(|code| {
                MessageEventType::from_code(code)
                    .ok_or_else(|| corrupt("event type", &code.to_string()))
            })
            .transpose()?,
        delivered: row.try_get("delivered")?,
        original: row.try_get("original")?,
    })
}

fn cursor_of(m: &MessageRecord) -> PageCursor {
    PageCursor {
        at: m.timestamp,
        id: m.id.to_string(),
    }
}

/// `AND` the span and the position after the cursor, then newest first, one more than a page.
fn push_window(sql: &mut QueryBuilder<'_, Postgres>, span: &Span, page: &PageRequest) {
    push_filter(sql, span, page, None);
    sql.push(ORDER).push_bind(i64::from(page.limit) + 1);
}

/// `AND` the span, the position after the cursor and the sender.
fn push_filter(
    sql: &mut QueryBuilder<'_, Postgres>,
    span: &Span,
    page: &PageRequest,
    sender: Option<&str>,
) {
    let (at, id) = cursor_bounds(page);
    if let Some(sender) = sender {
        sql.push(" AND m.sender_id = ").push_bind(sender.to_owned());
    }
    sql.push(" AND m.timestamp >= ")
        .push_bind(span.after.unwrap_or(i64::MIN))
        .push(" AND m.timestamp <= ")
        .push_bind(span.before.unwrap_or(i64::MAX))
        .push(" AND (m.timestamp < ")
        .push_bind(at)
        .push(" OR (m.timestamp = ")
        .push_bind(at)
        .push(" AND (")
        .push_bind(id.clone())
        .push(" = '' OR m.id < ")
        .push_bind(id)
        .push(")))");
}

async fn fetch(
    db: &PgPool,
    mut sql: QueryBuilder<'_, Postgres>,
) -> StoreResult<Vec<MessageRecord>> {
    let rows = sql.build().fetch_all(db).await?;
    rows.iter().map(from_row).collect()
}

pub async fn list(
    db: &PgPool,
    chat: &ChatRecord,
    q: &MessageQuery,
) -> StoreResult<Page<MessageRecord>> {
    let mut sql = select();
    sql.push(" WHERE m.chat_id = ")
        .push_bind(chat.id.to_string());
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
pub async fn search(
    db: &PgPool,
    tenant: &Tenant,
    s: &MessageSearch,
) -> StoreResult<Page<MessageRecord>> {
    let sender = s.sender_id.as_deref();
    let mut sql = QueryBuilder::<Postgres>::new(
        "SELECT c.id, (SELECT m.timestamp FROM messages m WHERE m.chat_id = c.id",
    );
    push_filter(&mut sql, &s.span, &s.page, sender);
    sql.push(
        " ORDER BY m.timestamp DESC, m.id DESC LIMIT 1) AS top
         FROM chats c JOIN accounts a ON a.id = c.account_id WHERE a.owner = ",
    )
    .push_bind(tenant.owner.clone())
    .push(" AND a.mode = ")
    .push_bind(tenant.mode.as_str());
    if let Some(account) = s.account_id {
        sql.push(" AND c.account_id = ")
            .push_bind(account.to_string());
    }
    if let Some(sender) = sender {
        // A sender takes part in every chat they wrote in (`chat_attendees`), under the
        // attendee id of the chat's account.
        let accounts: Vec<String> = match s.account_id {
            Some(id) => vec![id.to_string()],
            None => {
                sqlx::query_scalar("SELECT id FROM accounts WHERE owner = $1 AND mode = $2")
                    .bind(&tenant.owner)
                    .bind(tenant.mode.as_str())
                    .fetch_all(db)
                    .await?
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
            ids.push_bind(AttendeeId::for_provider_id(account, sender).to_string());
        }
        if accounts.is_empty() {
            ids.push("NULL");
        }
        sql.push("))");
    }
    let mut tops: Vec<(String, Option<i64>)> = sql.build_query_as().fetch_all(db).await?;
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
        ids.push_bind(chat);
    }
    page.push(") AND m.timestamp >= ").push_bind(floor);
    push_filter(&mut page, &s.span, &s.page, sender);
    page.push(ORDER).push_bind(wanted as i64);
    let best = fetch(db, page).await?;
    Ok(paginate(best, s.page.limit, cursor_of))
}

pub async fn get(
    db: &PgPool,
    tenant: &Tenant,
    id: MessageId,
) -> StoreResult<Option<MessageRecord>> {
    let mut sql = select();
    sql.push(" JOIN accounts a ON a.id = m.account_id WHERE m.id = ")
        .push_bind(id.to_string())
        .push(" AND a.owner = ")
        .push_bind(tenant.owner.clone())
        .push(" AND a.mode = ")
        .push_bind(tenant.mode.as_str());
    Ok(fetch(db, sql).await?.pop())
}

pub async fn last(db: &PgPool, chat: &ChatRecord) -> StoreResult<Option<MessageRecord>> {
    let mut sql = select();
    sql.push(" WHERE m.chat_id = ")
        .push_bind(chat.id.to_string())
        .push(ORDER)
        .push_bind(1);
    Ok(fetch(db, sql).await?.pop())
}

/// Rows per multi-row INSERT: 20 parameters a row stays far below PostgreSQL's limit of 65,535
/// a statement.
const MESSAGE_BATCH: usize = 500;

/// Inserts or updates messages by (chat, provider id), in multi-row statements. `messages` holds
/// each message once (one statement may not update a row twice in PostgreSQL) and in key order,
/// so that transactions writing the same messages lock them in the same order.
pub async fn upsert(conn: &mut PgConnection, messages: &[MessageWrite<'_>]) -> StoreResult<()> {
    for batch in messages.chunks(MESSAGE_BATCH) {
        let mut sql = QueryBuilder::<Postgres>::new(
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
                    .push_bind(m.event_type.map(|e| e as i64))
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
                event_type = excluded.event_type, delivered = excluded.delivered,
                original = excluded.original, seen_series = excluded.seen_series",
        );
        sql.build().execute(&mut *conn).await?;
    }
    Ok(())
}
