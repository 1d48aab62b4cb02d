//! Chat upserts, whose statement is the same in both dialects but for its `ON CONFLICT`
//! clause, which each backend passes.

use std::collections::HashMap;

use msgsync_core::ChatId;
use sqlx::QueryBuilder;

use super::dialect::{Bind, Dialect, ReadRow};
use super::ChatWrite;
use crate::StoreResult;

/// Rows per multi-row chat upsert: 17 parameters a row, far below SQLite's 32,766 and
/// PostgreSQL's 65,535 a statement.
const CHAT_BATCH: usize = 500;

/// Inserts or updates `chats`, in multi-row statements whose conflicts `on_conflict` resolves
/// (it returns each row's `id`, `account_id` and `provider_id`); returns the chats' ids by
/// (account, provider id).
pub(crate) async fn chats_upsert<DB: Dialect>(
    conn: &mut DB::Connection,
    chats: &[ChatWrite<'_>],
    on_conflict: &str,
) -> StoreResult<HashMap<(String, String), String>> {
    let mut ids = HashMap::with_capacity(chats.len());
    for batch in chats.chunks(CHAT_BATCH) {
        let mut sql = QueryBuilder::<DB>::new(
            "INSERT INTO chats (id, account_id, provider_id, inbox, name, kind, timestamp,
                unread_count, archived, muted_until, read_only, folder, attendee_provider_id,
                content_type, deleted, seen_series, provider_ref) ",
        );
        sql.push_values(batch, |mut row, w| {
            let c = w.chat;
            row.bind(ChatId::new().to_string())
                .bind(w.account)
                .bind(&c.provider_id)
                .bind(c.inbox.map(|i| i.as_str()))
                .bind(&c.name)
                .bind(c.kind as i64)
                .bind(c.last_activity_ms)
                .bind(c.unread_count)
                .bind(c.archived)
                .bind(c.muted_until)
                .bind(c.read_only)
                .bind(&c.folder)
                .bind(&c.attendee_provider_id)
                .bind(&c.content_type)
                .bind(false)
                .bind(w.series)
                .bind(&c.provider_ref);
        });
        sql.push(on_conflict);
        for row in DB::fetch_all_in(&mut sql, &mut *conn).await? {
            let key = (row.read("account_id")?, row.read("provider_id")?);
            ids.insert(key, row.read("id")?);
        }
    }
    Ok(ids)
}
