//! The storage limit: the rows a sync wrote, inserted again straight into a fresh database of the
//! same schema, with large multi-row INSERTs in large transactions, through a connection opened
//! as the store opens its writer. What the API path is measured against.
//!
//! The rows are read back from the server's own database after its sync, so the baseline writes
//! exactly what the API path wrote (the provider's `original` JSON included, which for LinkedIn
//! is most of a row's bytes); only the time spent inserting them is counted.

use std::path::Path;
use std::time::{Duration, Instant};

use msgsync_core::{AccountId, ChatId, MessageId};
use msgsync_store::{CredentialCipher, SqliteStore};
use sqlx::sqlite::SqliteRow;
use sqlx::{Connection, QueryBuilder, Row, Sqlite, SqliteConnection};

const ROWS_PER_STATEMENT: usize = 500;
/// A transaction ends after this many rows or this many bytes of them, whichever comes first.
/// Measured here: for LinkedIn's rows (~3 KB, most of it the `original` JSON) transactions of
/// 5,000 rows beat 20,000 and 50,000 (45–52k against 37–48k rows/s: past the writer's page
/// cache, a transaction spills); for Telegram's (~0.6 KB) 20,000 and 50,000 beat 5,000
/// (~140k against ~133k rows/s). 16 MB gives each its better size.
const ROWS_PER_TRANSACTION: usize = 50_000;
const BYTES_PER_TRANSACTION: usize = 16 << 20;

/// The columns of a message row a sync writes, other than its ids.
const MESSAGE_COLUMNS: &str = "provider_id, sender_id, text, subject, timestamp, is_sender,
    attachments, reactions, seen, hidden, deleted, edited, is_event, delivered, original,
    seen_series";

/// A message row as the sync wrote it, apart from its ids.
struct MessageRow {
    provider_id: String,
    sender_id: String,
    text: Option<String>,
    subject: Option<String>,
    timestamp: i64,
    is_sender: bool,
    attachments: String,
    reactions: String,
    seen: bool,
    hidden: bool,
    deleted: bool,
    edited: bool,
    is_event: bool,
    delivered: bool,
    original: String,
    seen_series: Option<String>,
}

impl MessageRow {
    /// The row's size, near enough: its variable-length values.
    fn bytes(&self) -> usize {
        let texts = [&self.text, &self.subject, &self.seen_series];
        self.provider_id.len()
            + self.sender_id.len()
            + texts
                .iter()
                .filter_map(|t| t.as_ref())
                .map(String::len)
                .sum::<usize>()
            + self.attachments.len()
            + self.reactions.len()
            + self.original.len()
    }

    fn read(row: &SqliteRow) -> Result<MessageRow, sqlx::Error> {
        Ok(MessageRow {
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
            seen_series: row.try_get("seen_series")?,
        })
    }
}

/// Copies every chat and message of `account` from the database at `source` into a fresh
/// database; returns the time spent inserting (reading the source is not counted) and the
/// number of messages.
pub async fn storage_limit(source: &Path, account: &str) -> anyhow::Result<(Duration, u64)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("baseline.db");
    let path = path.to_str().unwrap_or_default();
    // The real schema, from the real migrations.
    SqliteStore::open(path, CredentialCipher::new(&[0; 32]))
        .await?
        .close()
        .await;
    let mut conn = SqliteConnection::connect_with(&SqliteStore::writer_options(
        SqliteStore::connect_options(path)?,
    ))
    .await?;
    let mut src = SqliteConnection::connect_with(
        &SqliteStore::connect_options(source.to_str().unwrap_or_default())?.read_only(true),
    )
    .await?;

    let provider: String = sqlx::query_scalar("SELECT provider FROM accounts WHERE id = ?")
        .bind(account)
        .fetch_one(&mut src)
        .await?;
    let copy = AccountId::new().to_string();
    sqlx::query(
        "INSERT INTO accounts (id, owner, mode, provider, name, credentials, created_at, updated_at)
         VALUES (?, 'bench', 'test', ?, 'bench', x'00', 0, 0)",
    )
    .bind(&copy)
    .bind(&provider)
    .execute(&mut conn)
    .await?;
    // (source chat id, chat row) in the order the sync wrote them.
    let chats = sqlx::query(
        "SELECT id, provider_id, inbox, name, kind, timestamp, unread_count, archived, muted_until,
                read_only, folder, attendee_provider_id, content_type, seen_series
         FROM chats WHERE account_id = ? ORDER BY rowid",
    )
    .bind(account)
    .fetch_all(&mut src)
    .await?;

    let mut in_db = Duration::ZERO;
    let mut total = 0u64;
    // Each chat is written in the transaction of its first messages, as a sync writes it.
    let mut batch = Batch::default();
    for chat in chats {
        let chat_id = ChatId::new().to_string();
        let messages = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = ? ORDER BY rowid"
        ))
        .bind(chat.try_get::<String, _>("id")?)
        .fetch_all(&mut src)
        .await?;
        batch.chats.push((chat_id.clone(), chat));
        for m in &messages {
            let row = MessageRow::read(m)?;
            batch.bytes += row.bytes();
            batch.messages.push((chat_id.clone(), row));
            if batch.messages.len() >= ROWS_PER_TRANSACTION || batch.bytes >= BYTES_PER_TRANSACTION
            {
                in_db += insert(&mut conn, &copy, &batch).await?;
                total += batch.messages.len() as u64;
                batch = Batch::default();
            }
        }
    }
    in_db += insert(&mut conn, &copy, &batch).await?;
    total += batch.messages.len() as u64;
    conn.close().await?;
    src.close().await?;
    Ok((in_db, total))
}

/// The rows of one transaction: new chats (new id, source row) and messages (chat id, row).
#[derive(Default)]
struct Batch {
    chats: Vec<(String, SqliteRow)>,
    messages: Vec<(String, MessageRow)>,
    bytes: usize,
}

async fn insert(
    conn: &mut SqliteConnection,
    account: &str,
    batch: &Batch,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut tx = conn.begin().await?;
    for (chat_id, chat) in &batch.chats {
        sqlx::query(
            "INSERT INTO chats (id, account_id, provider_id, inbox, name, kind, timestamp,
                                unread_count, archived, muted_until, read_only, folder,
                                attendee_provider_id, content_type, deleted, seen_series)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
        )
        .bind(chat_id)
        .bind(account)
        .bind(chat.try_get::<String, _>("provider_id")?)
        .bind(chat.try_get::<Option<String>, _>("inbox")?)
        .bind(chat.try_get::<Option<String>, _>("name")?)
        .bind(chat.try_get::<i64, _>("kind")?)
        .bind(chat.try_get::<i64, _>("timestamp")?)
        .bind(chat.try_get::<i64, _>("unread_count")?)
        .bind(chat.try_get::<bool, _>("archived")?)
        .bind(chat.try_get::<Option<i64>, _>("muted_until")?)
        .bind(chat.try_get::<bool, _>("read_only")?)
        .bind(chat.try_get::<Option<String>, _>("folder")?)
        .bind(chat.try_get::<Option<String>, _>("attendee_provider_id")?)
        .bind(chat.try_get::<Option<String>, _>("content_type")?)
        .bind(chat.try_get::<Option<String>, _>("seen_series")?)
        .execute(&mut *tx)
        .await?;
    }
    for rows in batch.messages.chunks(ROWS_PER_STATEMENT) {
        let mut sql = QueryBuilder::<Sqlite>::new(format!(
            "INSERT INTO messages (id, account_id, chat_id, {MESSAGE_COLUMNS}) "
        ));
        sql.push_values(rows, |mut row, (chat_id, m)| {
            row.push_bind(MessageId::new().to_string())
                .push_bind(account)
                .push_bind(chat_id)
                .push_bind(&m.provider_id)
                .push_bind(&m.sender_id)
                .push_bind(&m.text)
                .push_bind(&m.subject)
                .push_bind(m.timestamp)
                .push_bind(m.is_sender)
                .push_bind(&m.attachments)
                .push_bind(&m.reactions)
                .push_bind(m.seen)
                .push_bind(m.hidden)
                .push_bind(m.deleted)
                .push_bind(m.edited)
                .push_bind(m.is_event)
                .push_bind(m.delivered)
                .push_bind(&m.original)
                .push_bind(&m.seen_series);
        });
        sql.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(started.elapsed())
}
