//! Chats: reads for the API, idempotent upserts for the engine; the reconciliation of a full
//! resync.

use std::collections::HashMap;

use msgsync_core::{AccountId, ChatId, SyncId};
use sqlx::{PgConnection, PgPool, Postgres};

use crate::common::{chat_from_row, content, ChatWrite, CHAT_COLUMNS};
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

/// Inserts or updates chats by (account, provider id), in multi-row statements; returns the
/// chats' ids by (account, provider id). `chats` holds each chat once (one statement may not
/// update a row twice in PostgreSQL) and in key order, so that transactions writing the same
/// chats lock them in the same order. A chat seen again at the provider is no longer deleted.
/// A listing without a `provider_ref` keeps the one stored.
pub async fn chats_upsert(
    conn: &mut PgConnection,
    chats: &[ChatWrite<'_>],
) -> StoreResult<HashMap<(String, String), String>> {
    content::chats_upsert::<Postgres>(conn, chats, CHAT_UPSERT_CONFLICT).await
}

/// How a chat row already there is updated (in this dialect's spelling of `false`); each row's
/// id and key return.
const CHAT_UPSERT_CONFLICT: &str = " ON CONFLICT (account_id, provider_id) DO UPDATE SET
                inbox = excluded.inbox, name = excluded.name, kind = excluded.kind,
                timestamp = excluded.timestamp, unread_count = excluded.unread_count,
                archived = excluded.archived, muted_until = excluded.muted_until,
                read_only = excluded.read_only, folder = excluded.folder,
                attendee_provider_id = excluded.attendee_provider_id,
                content_type = excluded.content_type, deleted = false,
                seen_series = excluded.seen_series,
                provider_ref = COALESCE(excluded.provider_ref, chats.provider_ref)
             RETURNING id, account_id, provider_id";

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
