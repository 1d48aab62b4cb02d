//! Chat attendees: the people of an account's chats, written with the pages that name them.

use msgsync_core::AttendeeId;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use crate::common::{
    attendee_from_row, chat_from_row, cursor_bounds, paginate, AttendeeWrites, ATTENDEE_COLUMNS,
    CHAT_COLUMNS,
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
    let items = rows
        .iter()
        .map(chat_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(paginate(items, page.limit, |c| PageCursor {
        at: c.timestamp,
        id: c.id.to_string(),
    }))
}

/// Writes what a group of checkpoints collected about attendees.
pub async fn write(mut writes: AttendeeWrites<'_>, conn: &mut SqliteConnection) -> StoreResult<()> {
    writes.links.sort_unstable();
    writes.links.dedup();
    let described: Vec<_> = writes.described.into_iter().collect();
    for batch in described.chunks(BATCH) {
        let mut sql = QueryBuilder::<Sqlite>::new(
            "INSERT INTO attendees (id, account_id, provider_id, name, is_self, profile_url,
                    picture_url, linkedin) ",
        );
        let linkedin: Vec<Option<String>> = batch
            .iter()
            .map(|(_, (_, a))| a.linkedin.as_ref().map(serde_json::to_string).transpose())
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Corrupt(format!("attendee could not be encoded: {e}")))?;
        sql.push_values(
            batch.iter().zip(linkedin),
            |mut row, ((id, (account, a)), li)| {
                row.push_bind(id)
                    .push_bind(*account)
                    .push_bind(&a.provider_id)
                    .push_bind(&a.name)
                    .push_bind(a.is_self)
                    .push_bind(&a.profile_url)
                    .push_bind(&a.picture_url)
                    .push_bind(li);
            },
        );
        // A page that knows less of someone (no picture, say) keeps what another knew.
        sql.push(
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, is_self = excluded.is_self,
                    profile_url = coalesce(excluded.profile_url, attendees.profile_url),
                    picture_url = coalesce(excluded.picture_url, attendees.picture_url),
                    linkedin = coalesce(excluded.linkedin, attendees.linkedin)",
        );
        sql.build().execute(&mut *conn).await?;
    }
    let undescribed: Vec<_> = writes.undescribed.into_iter().collect();
    for batch in undescribed.chunks(BATCH) {
        let mut sql = QueryBuilder::<Sqlite>::new(
            "INSERT INTO attendees (id, account_id, provider_id, name, is_self) ",
        );
        sql.push_values(batch, |mut row, (id, (account, provider_id, is_self))| {
            row.push_bind(id)
                .push_bind(*account)
                .push_bind(*provider_id)
                .push_bind(*provider_id)
                .push_bind(*is_self);
        });
        sql.push(" ON CONFLICT (id) DO NOTHING");
        sql.build().execute(&mut *conn).await?;
    }
    for batch in writes.links.chunks(BATCH) {
        let mut sql =
            QueryBuilder::<Sqlite>::new("INSERT INTO chat_attendees (chat_id, attendee_id) ");
        sql.push_values(batch, |mut row, (chat, attendee)| {
            row.push_bind(*chat).push_bind(attendee);
        });
        sql.push(" ON CONFLICT DO NOTHING");
        sql.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rows per multi-row statement (8 parameters a row at most).
const BATCH: usize = 500;
