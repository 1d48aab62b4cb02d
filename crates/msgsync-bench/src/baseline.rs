//! The storage limit: the same rows a sync would write, inserted straight into the same schema
//! with large multi-row INSERTs in large transactions. What the API path is measured against.

use std::str::FromStr;
use std::time::{Duration, Instant};

use msgsync_core::content::ProviderMessage;
use msgsync_core::{AccountId, ChatId, MessageId, ProviderKind};
use msgsync_sandbox::{Dataset, Scenario};
use msgsync_store::{CredentialCipher, SqliteStore};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection};

const ROWS_PER_STATEMENT: usize = 500;
const ROWS_PER_TRANSACTION: usize = 50_000;

/// Inserts every chat and message of `scenario` into a fresh database; returns the time spent
/// in the database (data generation is not counted) and the number of messages.
pub async fn storage_limit(
    provider: ProviderKind,
    scenario: &str,
    anchor_ms: i64,
) -> anyhow::Result<(Duration, u64)> {
    let scenario = Scenario::parse(provider, scenario)?;
    let dataset = Dataset::new(provider, &scenario, anchor_ms);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("baseline.db");
    // The real schema, from the real migrations.
    SqliteStore::open(
        path.to_str().unwrap_or_default(),
        CredentialCipher::new(&[0; 32]),
    )
    .await?
    .close()
    .await;
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let account = AccountId::new().to_string();
    sqlx::query(
        "INSERT INTO accounts (id, owner, mode, provider, name, credentials, created_at, updated_at)
         VALUES (?, 'bench', 'test', ?, 'bench', x'00', 0, 0)",
    )
    .bind(&account)
    .bind(provider.as_str())
    .execute(&mut conn)
    .await?;

    let mut in_db = Duration::ZERO;
    let mut total = 0u64;
    let mut pending: Vec<(String, ProviderMessage)> = Vec::with_capacity(ROWS_PER_TRANSACTION);
    for index in 0..dataset.chat_count() {
        let (Some(info), Some(keys)) = (dataset.chat_info(index), dataset.message_keys(index))
        else {
            continue;
        };
        let chat = dataset.provider_chat(&info);
        let chat_id = ChatId::new().to_string();
        let started = Instant::now();
        sqlx::query(
            "INSERT INTO chats (id, account_id, provider_id, inbox, name, kind, timestamp,
                                unread_count, archived, read_only, folder, deleted)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        )
        .bind(&chat_id)
        .bind(&account)
        .bind(&chat.provider_id)
        .bind(chat.inbox.map(|i| i.as_str()))
        .bind(&chat.name)
        .bind(chat.kind as i64)
        .bind(chat.last_activity_ms)
        .bind(chat.unread_count)
        .bind(chat.archived)
        .bind(chat.read_only)
        .bind(&chat.folder)
        .execute(&mut conn)
        .await?;
        in_db += started.elapsed();
        for key in keys.iter() {
            pending.push((chat_id.clone(), dataset.message(&info, *key)));
        }
        if pending.len() >= ROWS_PER_TRANSACTION {
            in_db += insert(&mut conn, &account, &pending).await?;
            total += pending.len() as u64;
            pending.clear();
        }
    }
    in_db += insert(&mut conn, &account, &pending).await?;
    total += pending.len() as u64;
    conn.close().await?;
    Ok((in_db, total))
}

async fn insert(
    conn: &mut SqliteConnection,
    account: &str,
    rows: &[(String, ProviderMessage)],
) -> anyhow::Result<Duration> {
    // Encoding is part of writing a row, as it is on the API path.
    let started = Instant::now();
    let mut tx = conn.begin().await?;
    for batch in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = QueryBuilder::<Sqlite>::new(
            "INSERT INTO messages (id, account_id, chat_id, provider_id, sender_id, text, subject,
                timestamp, is_sender, attachments, reactions, seen, hidden, deleted, edited,
                is_event, delivered, original, seen_series) ",
        );
        sql.push_values(batch, |mut row, (chat_id, m)| {
            row.push_bind(MessageId::new().to_string())
                .push_bind(account)
                .push_bind(chat_id)
                .push_bind(&m.provider_id)
                .push_bind(&m.sender_id)
                .push_bind(&m.text)
                .push_bind(&m.subject)
                .push_bind(m.timestamp_ms)
                .push_bind(m.is_sender)
                .push_bind(serde_json::to_string(&m.attachments).unwrap_or_default())
                .push_bind(serde_json::to_string(&m.reactions).unwrap_or_default())
                .push_bind(m.seen)
                .push_bind(m.hidden)
                .push_bind(m.deleted)
                .push_bind(m.edited)
                .push_bind(m.is_event)
                .push_bind(m.delivered)
                .push_bind(&m.original)
                .push_bind("baseline");
        });
        sql.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(started.elapsed())
}
