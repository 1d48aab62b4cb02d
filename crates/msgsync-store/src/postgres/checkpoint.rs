//! Sync checkpoints, each in a transaction of its own.
//!
//! SQLite has one writer, so its backend groups checkpoints into shared transactions
//! (`sqlite/group_commit.rs`). PostgreSQL takes writers side by side: each checkpoint is written
//! directly, on its own connection, and stands or falls on its own. It holds its account first
//! (`jobs::lock_account`), then writes its job's cursor under the lease and fencing token, so
//! that a run that lost its job writes nothing; then its chats, attendees and messages in
//! multi-row statements, each in key order, so that transactions writing the same rows lock
//! them in the same order and never deadlock.

use std::collections::HashSet;

use sqlx::{PgConnection, PgPool};

use super::{attendees, content, jobs};
use crate::common::{ensure_held, messages, outbox, AttendeeWrites, ChatWrite, MessageWrite};
use crate::{StoreError, StoreResult, SyncCheckpoint};

/// Writes the checkpoint: how many webhook deliveries it queued.
pub async fn write(db: &PgPool, checkpoint: &SyncCheckpoint) -> StoreResult<usize> {
    let mut tx = db.begin().await?;
    // On any error, dropping `tx` rolls back what was written.
    jobs::lock_account(&mut tx, checkpoint.job.account_id).await?;
    save_cursor(&mut tx, checkpoint).await?;
    let queued = write_pages(&mut tx, checkpoint).await?;
    tx.commit().await?;
    Ok(queued)
}

/// The job's cursor and progress, if this run still holds the job; `LostLease` if not.
async fn save_cursor(conn: &mut PgConnection, c: &SyncCheckpoint) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE sync_jobs SET cursor = $1, chats_synced = $2, messages_synced = $3,
                              chunk_chats = $4, chats_total = $5, messages_total = $6,
                              attempts = 0, error_kind = NULL, error_detail = NULL,
                              lease_expires_at = $7, updated_at = $8
         WHERE id = $9 AND lease_owner = $10 AND lease_token = $11 AND state = 'running'",
    )
    .bind(&c.cursor)
    .bind(c.progress.chats_synced)
    .bind(c.progress.messages_synced)
    .bind(c.progress.chunk_chats)
    .bind(c.progress.chats_total)
    .bind(c.progress.messages_total)
    .bind(c.now + c.lease_ms)
    .bind(c.now)
    .bind(c.job.id.to_string())
    .bind(&c.worker)
    .bind(c.job.lease_token)
    .execute(&mut *conn)
    .await?;
    ensure_held(done.rows_affected())
}

/// The checkpoint's chats, then their attendees, then their messages. One multi-row upsert may
/// not touch a row twice in PostgreSQL: a chat or message that several pages carry is written
/// once, as the last page that carries it saw it (what the SQLite backend's successive rows
/// leave too).
async fn write_pages(conn: &mut PgConnection, c: &SyncCheckpoint) -> StoreResult<usize> {
    let account = c.job.account_id.to_string();
    let series = c.job.series_id.to_string();
    let mut seen = HashSet::new();
    let mut chats: Vec<ChatWrite> = c
        .pages
        .iter()
        .rev()
        .filter(|p| seen.insert(p.chat.provider_id.as_str()))
        .map(|p| ChatWrite {
            account: &account,
            series: &series,
            chat: &p.chat,
        })
        .collect();
    chats.sort_unstable_by(|a, b| a.chat.provider_id.cmp(&b.chat.provider_id));
    let chat_ids = content::chats_upsert(conn, &chats).await?;
    let mut messages = Vec::new();
    let mut people = AttendeeWrites::default();
    for page in &c.pages {
        let key = (account.clone(), page.chat.provider_id.clone());
        let chat = chat_ids
            .get(&key)
            .ok_or_else(|| StoreError::Corrupt(format!("no id returned for chat {key:?}")))?;
        people.add_page(&account, chat, page);
        messages.extend(page.messages.iter().map(|message| MessageWrite {
            account: &account,
            chat,
            series: &series,
            message,
        }));
    }
    attendees::write(people, conn).await?;
    // The last of each (chat, provider id), in key order: a stable sort keeps pages' order
    // among equal keys, and the reversed dedup keeps the last.
    messages.reverse();
    messages
        .sort_by(|a, b| (a.chat, &a.message.provider_id).cmp(&(b.chat, &b.message.provider_id)));
    messages.dedup_by(|later, first| {
        later.chat == first.chat && later.message.provider_id == first.message.provider_id
    });
    let who = if outbox::anyone_hears_messages::<sqlx::Postgres>(conn).await? {
        outbox::account::<sqlx::Postgres>(conn, &account).await?
    } else {
        None
    };
    let unseen = match &who {
        Some(who) => {
            outbox::unseen_messages::<sqlx::Postgres>(conn, who, &c.job.id.to_string(), &messages)
                .await?
        }
        None => Vec::new(),
    };
    messages::upsert::<sqlx::Postgres>(conn, &messages).await?;
    match &who {
        Some(who) => outbox::messages_received::<sqlx::Postgres>(conn, who, &unseen, c.now).await,
        None => Ok(0),
    }
}
