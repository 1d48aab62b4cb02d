//! The API's filtered listings whose SQL is the same in both dialects: the filters are pushed
//! onto a `QueryBuilder`, which writes each dialect's placeholders itself.

use sqlx::{Pool, QueryBuilder};

use super::dialect::{Bind, Dialect};
use super::{
    attendee_from_row, chat_from_row, cursor_bounds, page_of, ATTENDEE_COLUMNS, CHAT_COLUMNS,
};
use crate::*;

/// A tenant's chats, newest first.
pub async fn chats<DB: Dialect>(
    db: &Pool<DB>,
    tenant: &Tenant,
    q: &ChatQuery,
) -> StoreResult<Page<ChatRecord>> {
    let (at, id) = cursor_bounds(&q.page);
    let mut sql = QueryBuilder::<DB>::new(format!(
        "SELECT {CHAT_COLUMNS} FROM chats c JOIN accounts a ON a.id = c.account_id WHERE a.owner = "
    ));
    sql.bind(&tenant.owner)
        .push(" AND a.mode = ")
        .bind(tenant.mode.as_str());
    if let Some(account) = q.account_id {
        sql.push(" AND c.account_id = ").bind(account.to_string());
    }
    if let Some(provider) = q.account_type {
        sql.push(" AND a.provider = ").bind(provider.as_str());
    }
    if let Some(unread) = q.unread {
        sql.push(if unread {
            " AND c.unread_count > 0"
        } else {
            " AND c.unread_count = 0"
        });
    }
    sql.push(" AND c.timestamp >= ")
        .bind(q.span.after.unwrap_or(i64::MIN))
        .push(" AND c.timestamp <= ")
        .bind(q.span.before.unwrap_or(i64::MAX));
    sql.push(" AND (c.timestamp < ")
        .bind(at)
        .push(" OR (c.timestamp = ")
        .bind(at)
        .push(" AND (")
        .bind(id.clone())
        .push(" = '' OR c.id < ")
        .bind(id)
        .push("))) ORDER BY c.timestamp DESC, c.id DESC LIMIT ")
        .bind(i64::from(q.page.limit) + 1);
    let rows = DB::fetch_all(&mut sql, db).await?;
    page_of(&rows, q.page.limit, chat_from_row)
}

/// A tenant's attendees, in id order, after the cursor's id.
pub async fn attendees<DB: Dialect>(
    db: &Pool<DB>,
    tenant: &Tenant,
    q: &AttendeeQuery,
) -> StoreResult<Page<AttendeeRecord>> {
    let after = q.page.cursor.as_ref().map_or("", |c| c.id.as_str());
    let mut sql = QueryBuilder::<DB>::new(format!(
        "SELECT {ATTENDEE_COLUMNS} FROM attendees t JOIN accounts a ON a.id = t.account_id WHERE a.owner = "
    ));
    sql.bind(&tenant.owner)
        .push(" AND a.mode = ")
        .bind(tenant.mode.as_str());
    if let Some(account) = q.account_id {
        sql.push(" AND t.account_id = ").bind(account.to_string());
    }
    sql.push(" AND t.id > ")
        .bind(after)
        .push(" ORDER BY t.id LIMIT ")
        .bind(i64::from(q.page.limit) + 1);
    let rows = DB::fetch_all(&mut sql, db).await?;
    page_of(&rows, q.page.limit, attendee_from_row)
}
