//! The storage limit of PostgreSQL: the rows a sync wrote, inserted again straight into a fresh
//! database of the same schema (created by `PgStore::open`, i.e. the real migrations), as fast as
//! PostgreSQL takes them. What the PostgreSQL ingest figures are measured against; the
//! counterpart of `baseline.rs` for SQLite.
//!
//! The rows are read back from the server's own database after its sync, so the baseline writes
//! exactly what the API path wrote (the provider's `original` JSON included, which for LinkedIn
//! is most of a row's bytes); only the time spent inserting them (encoding, statements, commit)
//! is counted. Two ways of inserting are kept, so that either can be measured again
//! (`--pg-baseline`): multi-row INSERTs, and `COPY … FROM STDIN` in PostgreSQL's text format.

use std::time::{Duration, Instant};

use msgsync_core::{AccountId, ChatId, MessageId};
use msgsync_store::{CredentialCipher, PgStore};
use sqlx::postgres::PgRow;
use sqlx::{Connection, PgConnection, Postgres, QueryBuilder, Row};

use crate::pg::Database;

/// How the rows go in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Multi-row INSERTs of 1,000 rows.
    Insert,
    /// One `COPY messages … FROM STDIN` (text format) per transaction.
    Copy,
}

/// 20 parameters a row: 1,000 rows stay far below PostgreSQL's 65,535 parameters a statement.
const ROWS_PER_STATEMENT: usize = 1000;
/// A transaction ends after this many rows or this many bytes of them, whichever comes first
/// (as in the SQLite baseline).
const ROWS_PER_TRANSACTION: usize = 50_000;
const BYTES_PER_TRANSACTION: usize = 16 << 20;

/// The columns of a message row a sync writes, other than its ids.
const MESSAGE_COLUMNS: &str = "provider_id, sender_id, text, subject, timestamp, is_sender,
    attachments, reactions, seen, hidden, deleted, edited, is_event, event_type, delivered,
    original, seen_series";

const CHAT_COLUMNS: &str = "provider_id, inbox, name, kind, timestamp, unread_count, archived,
    muted_until, read_only, folder, attendee_provider_id, content_type, seen_series, provider_ref";

/// A chat row as the sync wrote it, apart from its ids.
struct ChatRow {
    provider_id: String,
    inbox: Option<String>,
    name: Option<String>,
    kind: i64,
    timestamp: i64,
    unread_count: i64,
    archived: bool,
    muted_until: Option<i64>,
    read_only: bool,
    folder: Option<String>,
    attendee_provider_id: Option<String>,
    content_type: Option<String>,
    seen_series: Option<String>,
    provider_ref: Option<String>,
}

impl ChatRow {
    fn read(row: &PgRow) -> Result<ChatRow, sqlx::Error> {
        Ok(ChatRow {
            provider_id: row.try_get("provider_id")?,
            inbox: row.try_get("inbox")?,
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
            seen_series: row.try_get("seen_series")?,
            provider_ref: row.try_get("provider_ref")?,
        })
    }
}

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
    event_type: Option<i64>,
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

    fn read(row: &PgRow) -> Result<MessageRow, sqlx::Error> {
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
            event_type: row.try_get("event_type")?,
            delivered: row.try_get("delivered")?,
            original: row.try_get("original")?,
            seen_series: row.try_get("seen_series")?,
        })
    }
}

/// Copies every chat and message of `account` from the database at `source` into a fresh
/// database created on the PostgreSQL server of `admin`; returns the time spent inserting
/// (reading the source is not counted) and the number of messages. The fresh database is
/// dropped at the end, also on error.
pub async fn storage_limit(
    admin: &str,
    source: &str,
    account: &str,
    method: Method,
) -> anyhow::Result<(Duration, u64)> {
    let db = Database::create(admin, "baseline").await?;
    let result = copy_account(&db.url, source, account, method).await;
    db.drop_now().await?;
    result
}

async fn copy_account(
    target: &str,
    source: &str,
    account: &str,
    method: Method,
) -> anyhow::Result<(Duration, u64)> {
    // The real schema, from the real migrations.
    PgStore::open(target, CredentialCipher::new(&[0; 32]))
        .await?
        .close()
        .await;
    let mut conn = PgConnection::connect(target).await?;
    let mut src = PgConnection::connect(source).await?;

    let provider: String = sqlx::query_scalar("SELECT provider FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_one(&mut src)
        .await?;
    let copy = AccountId::new().to_string();
    sqlx::query(
        "INSERT INTO accounts (id, owner, mode, provider, name, credentials, created_at, updated_at)
         VALUES ($1, 'bench', 'test', $2, 'bench', '\\x00', 0, 0)",
    )
    .bind(&copy)
    .bind(&provider)
    .execute(&mut conn)
    .await?;
    // Ids are ULIDs made as the sync wrote the rows: their order is the order written.
    let chats = sqlx::query(&format!(
        "SELECT id, {CHAT_COLUMNS} FROM chats WHERE account_id = $1 ORDER BY id"
    ))
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
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1 ORDER BY id"
        ))
        .bind(chat.try_get::<String, _>("id")?)
        .fetch_all(&mut src)
        .await?;
        batch.chats.push((chat_id.clone(), ChatRow::read(&chat)?));
        for m in &messages {
            let row = MessageRow::read(m)?;
            batch.bytes += row.bytes();
            batch.messages.push((chat_id.clone(), row));
            if batch.messages.len() >= ROWS_PER_TRANSACTION || batch.bytes >= BYTES_PER_TRANSACTION
            {
                in_db += insert(&mut conn, &copy, &batch, method).await?;
                total += batch.messages.len() as u64;
                batch = Batch::default();
            }
        }
    }
    in_db += insert(&mut conn, &copy, &batch, method).await?;
    total += batch.messages.len() as u64;
    conn.close().await?;
    src.close().await?;
    Ok((in_db, total))
}

/// The rows of one transaction: new chats (new id, source row) and messages (chat id, row).
#[derive(Default)]
struct Batch {
    chats: Vec<(String, ChatRow)>,
    messages: Vec<(String, MessageRow)>,
    bytes: usize,
}

async fn insert(
    conn: &mut PgConnection,
    account: &str,
    batch: &Batch,
    method: Method,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut tx = conn.begin().await?;
    if !batch.chats.is_empty() {
        insert_chats(&mut tx, account, &batch.chats).await?;
    }
    match method {
        Method::Insert => insert_messages(&mut tx, account, &batch.messages).await?,
        Method::Copy => copy_messages(&mut tx, account, &batch.messages).await?,
    }
    tx.commit().await?;
    Ok(started.elapsed())
}

/// The batch's chats in one multi-row INSERT (a chat is one row in a thousand messages).
async fn insert_chats(
    conn: &mut PgConnection,
    account: &str,
    chats: &[(String, ChatRow)],
) -> anyhow::Result<()> {
    let mut sql = QueryBuilder::<Postgres>::new(format!(
        "INSERT INTO chats (id, account_id, {CHAT_COLUMNS}) "
    ));
    sql.push_values(chats, |mut row, (chat_id, c)| {
        row.push_bind(chat_id)
            .push_bind(account)
            .push_bind(&c.provider_id)
            .push_bind(&c.inbox)
            .push_bind(&c.name)
            .push_bind(c.kind)
            .push_bind(c.timestamp)
            .push_bind(c.unread_count)
            .push_bind(c.archived)
            .push_bind(c.muted_until)
            .push_bind(c.read_only)
            .push_bind(&c.folder)
            .push_bind(&c.attendee_provider_id)
            .push_bind(&c.content_type)
            .push_bind(&c.seen_series)
            .push_bind(&c.provider_ref);
    });
    sql.build().execute(&mut *conn).await?;
    Ok(())
}

async fn insert_messages(
    conn: &mut PgConnection,
    account: &str,
    messages: &[(String, MessageRow)],
) -> anyhow::Result<()> {
    for rows in messages.chunks(ROWS_PER_STATEMENT) {
        let mut sql = QueryBuilder::<Postgres>::new(format!(
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
                .push_bind(m.event_type)
                .push_bind(m.delivered)
                .push_bind(&m.original)
                .push_bind(&m.seen_series);
        });
        sql.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The messages in one `COPY`, sent in pieces of about a megabyte.
async fn copy_messages(
    conn: &mut PgConnection,
    account: &str,
    messages: &[(String, MessageRow)],
) -> anyhow::Result<()> {
    const PIECE: usize = 1 << 20;
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY messages (id, account_id, chat_id, {MESSAGE_COLUMNS}) FROM STDIN"
        ))
        .await?;
    let mut buf = Vec::with_capacity(PIECE + (64 << 10));
    for (chat_id, m) in messages {
        let id = MessageId::new().to_string();
        let texts: [Option<&str>; 5] = [
            Some(&id),
            Some(account),
            Some(chat_id),
            Some(&m.provider_id),
            Some(&m.sender_id),
        ];
        for t in texts {
            field(&mut buf, t);
        }
        field(&mut buf, m.text.as_deref());
        field(&mut buf, m.subject.as_deref());
        field(&mut buf, Some(&m.timestamp.to_string()));
        field(&mut buf, Some(flag(m.is_sender)));
        field(&mut buf, Some(&m.attachments));
        field(&mut buf, Some(&m.reactions));
        for b in [m.seen, m.hidden, m.deleted, m.edited, m.is_event] {
            field(&mut buf, Some(flag(b)));
        }
        field(&mut buf, m.event_type.map(|e| e.to_string()).as_deref());
        field(&mut buf, Some(flag(m.delivered)));
        field(&mut buf, Some(&m.original));
        field(&mut buf, m.seen_series.as_deref());
        // The last field's tab becomes the row's newline.
        if let Some(last) = buf.last_mut() {
            *last = b'\n';
        }
        if buf.len() >= PIECE {
            copy.send(std::mem::take(&mut buf)).await?;
            buf.reserve(PIECE + (64 << 10));
        }
    }
    if !buf.is_empty() {
        copy.send(buf).await?;
    }
    copy.finish().await?;
    Ok(())
}

fn flag(b: bool) -> &'static str {
    if b {
        "t"
    } else {
        "f"
    }
}

/// One field of a row in COPY's text format, followed by a tab: `\N` for NULL; backslash, tab,
/// newline and carriage return escaped.
fn field(buf: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => buf.extend_from_slice(b"\\N"),
        Some(text) => {
            for &byte in text.as_bytes() {
                match byte {
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    _ => buf.push(byte),
                }
            }
        }
    }
    buf.push(b'\t');
}
