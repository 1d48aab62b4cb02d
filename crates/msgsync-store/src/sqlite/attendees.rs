//! Chat attendees: the people of an account's chats, written with the pages that name them.

use msgsync_core::AttendeeId;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

use crate::common::{
    attendee_from_row, attendees, chat_from_row, cursor_bounds, page_of, AttendeeWrites,
    ATTENDEE_COLUMNS, CHAT_COLUMNS,
};
use crate::*;

pub async fn get(
    db: &SqlitePool,
    tenant: &Tenant,
    id: AttendeeId,
) -> StoreResult<Option<AttendeeRecord>> {
    sqlx::query(&format!(
        "SELECT {ATTENDEE_COLUMNS} FROM attendees t JOIN accounts a ON a.id = t.account_id
         WHERE t.id = ? AND a.owner = ? AND a.mode = ?"
    ))
    .bind(id.to_string())
    .bind(&tenant.owner)
    .bind(tenant.mode.as_str())
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(attendee_from_row)
    .transpose()
}

pub async fn list_of_chat(db: &SqlitePool, chat: &ChatRecord) -> StoreResult<Vec<AttendeeRecord>> {
    sqlx::query(&format!(
        "SELECT {ATTENDEE_COLUMNS} FROM chat_attendees ca JOIN attendees t ON t.id = ca.attendee_id
         WHERE ca.chat_id = ? ORDER BY t.id"
    ))
    .bind(chat.id.to_string())
    .fetch_all(db)
    .await?
    .iter()
    .map(attendee_from_row)
    .collect()
}

pub async fn chats_of(
    db: &SqlitePool,
    attendee: &AttendeeRecord,
    page: &PageRequest,
) -> StoreResult<Page<ChatRecord>> {
    let (at, id) = cursor_bounds(page);
    let rows = sqlx::query(&format!(
        "SELECT {CHAT_COLUMNS} FROM chat_attendees ca
           JOIN chats c ON c.id = ca.chat_id JOIN accounts a ON a.id = c.account_id
         WHERE ca.attendee_id = ?
           AND (c.timestamp < ? OR (c.timestamp = ? AND (? = '' OR c.id < ?)))
         ORDER BY c.timestamp DESC, c.id DESC LIMIT ?"
    ))
    .bind(attendee.id.to_string())
    .bind(at)
    .bind(at)
    .bind(&id)
    .bind(&id)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db)
    .await?;
    page_of(&rows, page.limit, chat_from_row)
}

/// Writes what a group of checkpoints collected about attendees.
pub async fn write(mut writes: AttendeeWrites<'_>, conn: &mut SqliteConnection) -> StoreResult<()> {
    writes.links.sort_unstable();
    writes.links.dedup();
    let described: Vec<_> = writes.described.into_iter().collect();
    let undescribed: Vec<_> = writes.undescribed.into_iter().collect();
    attendees::write::<Sqlite>(conn, &described, &undescribed, &writes.links).await
}
