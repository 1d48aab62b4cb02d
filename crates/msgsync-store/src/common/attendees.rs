//! The attendee writes of a checkpoint, whose SQL is the same in both dialects.

use msgsync_core::content::ProviderAttendee;
use sqlx::QueryBuilder;

use super::dialect::{Bind, Dialect};
#[cfg(doc)]
use super::AttendeeWrites;
use crate::{StoreError, StoreResult};

/// Writes attendees and their chats' links: `described` and `undescribed` as
/// [`AttendeeWrites`] holds them, `links` once each. The rows are written in the order given,
/// which PostgreSQL's backend makes key order, so that transactions writing the same rows lock
/// them in the same order.
pub(crate) async fn write<DB: Dialect>(
    conn: &mut DB::Connection,
    described: &[(String, (&str, &ProviderAttendee))],
    undescribed: &[(String, (&str, &str, bool))],
    links: &[(&str, String)],
) -> StoreResult<()> {
    for batch in described.chunks(BATCH) {
        let mut sql = QueryBuilder::<DB>::new(
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
                row.bind(id)
                    .bind(*account)
                    .bind(&a.provider_id)
                    .bind(&a.name)
                    .bind(a.is_self)
                    .bind(&a.profile_url)
                    .bind(&a.picture_url)
                    .bind(li);
            },
        );
        // A page that knows less of someone (no picture, say) keeps what another knew.
        sql.push(
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, is_self = excluded.is_self,
                    profile_url = coalesce(excluded.profile_url, attendees.profile_url),
                    picture_url = coalesce(excluded.picture_url, attendees.picture_url),
                    linkedin = coalesce(excluded.linkedin, attendees.linkedin)",
        );
        DB::execute(&mut sql, &mut *conn).await?;
    }
    for batch in undescribed.chunks(BATCH) {
        let mut sql = QueryBuilder::<DB>::new(
            "INSERT INTO attendees (id, account_id, provider_id, name, is_self) ",
        );
        sql.push_values(batch, |mut row, (id, (account, provider_id, is_self))| {
            row.bind(id)
                .bind(*account)
                .bind(*provider_id)
                .bind(*provider_id)
                .bind(*is_self);
        });
        sql.push(" ON CONFLICT (id) DO NOTHING");
        DB::execute(&mut sql, &mut *conn).await?;
    }
    for batch in links.chunks(BATCH) {
        let mut sql = QueryBuilder::<DB>::new("INSERT INTO chat_attendees (chat_id, attendee_id) ");
        sql.push_values(batch, |mut row, (chat, attendee)| {
            row.bind(*chat).bind(attendee);
        });
        sql.push(" ON CONFLICT DO NOTHING");
        DB::execute(&mut sql, &mut *conn).await?;
    }
    Ok(())
}

/// Rows per multi-row statement (8 parameters a row at most, far below SQLite's 32,766 and
/// PostgreSQL's 65,535).
const BATCH: usize = 500;
