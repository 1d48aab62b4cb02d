//! Chats: reads for the API, idempotent upserts for the engine; the reconciliation of a full
//! resync.

use std::collections::HashMap;

use msgsync_core::{AccountId, ChatId, SyncId};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};

use crate::common::{chat_from_row, ChatWrite, CHAT_COLUMNS};
use crate::*;

pub async fn chat_get(db: &PgPool, tenant: &Tenant, id: ChatId) -> StoreResult<Option<ChatRecord>> {
    sqlx::query(&format!(
        "SELECT {CHAT_COLUMNS} FROM chats c JOIN accounts a ON a.id = c.account_id
         WHERE c.id = $1 AND a.owner = $2 AND a.mode = $3"
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

/// Rows per multi-row chat upsert: 17 parameters a row, far below PostgreSQL's 65,535 a
/// statement.
const CHAT_BATCH: usize = 500;

/// Inserts or updates chats by (account, provider id), in multi-row statements; returns the
/// chats' ids by (account, provider id). `chats` holds each chat once (one statement may not
/// update a row twice in PostgreSQL) and in key order, so that transactions writing the same
/// chats lock them in the same order. A chat seen again at the provider is no longer deleted.
/// A listing without a `provider_ref` keeps the one stored.
pub async fn chats_upsert(
    conn: &mut PgConnection,
    chats: &[ChatWrite<'_>],
) -> StoreResult<HashMap<(String, String), String>> {
    let mut ids = HashMap::with_capacity(chats.len());
    for batch in chats.chunks(CHAT_BATCH) {
        let mut sql = QueryBuilder::<Postgres>::new(
            "INSERT INTO chats (id, account_id, provider_id, inbox, name, kind, timestamp,
                unread_count, archived, muted_until, read_only, folder, attendee_provider_id,
                content_type, deleted, seen_series, provider_ref) ",
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
                .push_bind(w.series)
                .push_bind(&c.provider_ref);
        });
        sql.push(
            " ON CONFLICT (account_id, provider_id) DO UPDATE SET
                inbox = excluded.inbox, name = excluded.name, kind = excluded.kind,
                timestamp = excluded.timestamp, unread_count = excluded.unread_count,
                archived = excluded.archived, muted_until = excluded.muted_until,
                read_only = excluded.read_only, folder = excluded.folder,
                attendee_provider_id = excluded.attendee_provider_id,
                content_type = excluded.content_type, deleted = false,
                seen_series = excluded.seen_series,
                provider_ref = COALESCE(excluded.provider_ref, chats.provider_ref)
             RETURNING id, account_id, provider_id",
        );
        for row in sql.build().fetch_all(&mut *conn).await? {
            let key = (row.try_get("account_id")?, row.try_get("provider_id")?);
            ids.insert(key, row.try_get("id")?);
        }
    }
    Ok(ids)
}

/// Marks as deleted what a finished full resync of `scope` did not see.
pub async fn reconcile(
    conn: &mut PgConnection,
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
        "UPDATE chats SET deleted = true
         WHERE account_id = $1 AND NOT deleted
           AND (seen_series IS NULL OR seen_series <> $2)
           AND timestamp >= $3 AND ($4::text IS NULL OR inbox = $4)",
    )
    .bind(&account)
    .bind(&series)
    .bind(after)
    .bind(inbox)
    .execute(&mut *conn)
    .await?;
    // Chat by chat, through each chat's time range (`messages_chat_time`).
    sqlx::query(
        "UPDATE messages SET deleted = true
         WHERE chat_id IN (SELECT id FROM chats
                           WHERE account_id = $1 AND ($2::text IS NULL OR inbox = $2))
           AND timestamp >= $3 AND timestamp <= $4
           AND NOT deleted AND (seen_series IS NULL OR seen_series <> $5)",
    )
    .bind(&account)
    .bind(inbox)
    .bind(after)
    .bind(before)
    .bind(&series)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
