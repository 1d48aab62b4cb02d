//! Chat attendees: the people of an account's chats, written with the pages that name them.

use msgsync_core::AttendeeId;
use sqlx::{PgConnection, PgPool, Postgres};

use crate::common::{
    attendee_from_row, attendees, chat_from_row, cursor_bounds, page_of, AttendeeWrites,
    ATTENDEE_COLUMNS, CHAT_COLUMNS,
};
use crate::*;

pub async fn get(
    db: &PgPool,
    tenant: &Tenant,
    id: AttendeeId,
) -> StoreResult<Option<AttendeeRecord>> {
    sqlx::query(&format!(
        "SELECT {ATTENDEE_COLUMNS} FROM attendees t JOIN accounts a ON a.id = t.account_id
         WHERE t.id = $1 AND a.owner = $2 AND a.mode = $3"
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

pub async fn list_of_chat(db: &PgPool, chat: &ChatRecord) -> StoreResult<Vec<AttendeeRecord>> {
    sqlx::query(&format!(
        "SELECT {ATTENDEE_COLUMNS} FROM chat_attendees ca JOIN attendees t ON t.id = ca.attendee_id
         WHERE ca.chat_id = $1 ORDER BY t.id"
    ))
    .bind(chat.id.to_string())
    .fetch_all(db)
    .await?
    .iter()
    .map(attendee_from_row)
    .collect()
}

pub async fn chats_of(
    db: &PgPool,
    attendee: &AttendeeRecord,
    page: &PageRequest,
) -> StoreResult<Page<ChatRecord>> {
    let (at, id) = cursor_bounds(page);
    let rows = sqlx::query(&format!(
        "SELECT {CHAT_COLUMNS} FROM chat_attendees ca
           JOIN chats c ON c.id = ca.chat_id JOIN accounts a ON a.id = c.account_id
         WHERE ca.attendee_id = $1
           AND (c.timestamp < $2 OR (c.timestamp = $2 AND ($3 = '' OR c.id < $3)))
         ORDER BY c.timestamp DESC, c.id DESC LIMIT $4"
    ))
    .bind(attendee.id.to_string())
    .bind(at)
    .bind(&id)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db)
    .await?;
    page_of(&rows, page.limit, chat_from_row)
}

/// Writes what a checkpoint collected about attendees, each kind of row in key order, so that
/// transactions writing the same rows lock them in the same order.
pub async fn write(mut writes: AttendeeWrites<'_>, conn: &mut PgConnection) -> StoreResult<()> {
    writes.links.sort_unstable();
    writes.links.dedup();
    let mut described: Vec<_> = writes.described.into_iter().collect();
    described.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut undescribed: Vec<_> = writes.undescribed.into_iter().collect();
    undescribed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    attendees::write::<Postgres>(conn, &described, &undescribed, &writes.links).await
}
