//! The sync-job table: the resync state machine, claims under leases, checkpoints, outcomes.
//!
//! Every write goes through the single writer connection, so the read-then-write of the state
//! machine runs serialized; the partial unique index `sync_jobs_one_open` backs rule 5 up in
//! the database itself.

use std::collections::HashSet;

use msgsync_core::{AccountId, LinkedinProduct};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};

use super::content;
use crate::common::{
    active_jobs, cursor_bounds, ensure_held, job_from_row, new_job, outbox, page_of, storable,
};
use crate::*;

async fn fetch_optional(
    conn: &mut SqliteConnection,
    sql: &str,
    account: AccountId,
) -> StoreResult<Option<SyncJob>> {
    sqlx::query(sql)
        .bind(account.to_string())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(job_from_row)
        .transpose()
}

pub async fn request(
    reader: &SqlitePool,
    writer: &SqlitePool,
    r: &SyncRequest,
) -> StoreResult<SyncRequestResult> {
    // Polling a running sync is the common case: answer it from a reader, without queueing
    // for the single writer behind the checkpoints of running syncs. If the sync finishes
    // meanwhile, this answer is one poll late, never wrong.
    let mut conn = reader.acquire().await?;
    let open = fetch_optional(
        &mut conn,
        "SELECT * FROM sync_jobs WHERE account_id = ? AND reported = 0",
        r.account_id,
    )
    .await?;
    drop(conn);
    if let Some(job) = open.filter(|j| !j.state.is_finished()) {
        return Ok(SyncRequestResult::Running(job));
    }
    let mut tx = super::begin_write(writer).await?;
    let open = fetch_optional(
        &mut tx,
        "SELECT * FROM sync_jobs WHERE account_id = ? AND reported = 0",
        r.account_id,
    )
    .await?;
    let result = match open {
        Some(job) if !job.state.is_finished() => SyncRequestResult::Running(job),
        Some(mut job) => {
            sqlx::query("UPDATE sync_jobs SET reported = 1, updated_at = ? WHERE id = ?")
                .bind(r.now)
                .bind(job.id.to_string())
                .execute(&mut *tx)
                .await?;
            job.reported = true;
            SyncRequestResult::Finished(job)
        }
        None if !r.may_start => SyncRequestResult::NotStarted,
        None => {
            let latest = fetch_optional(
                &mut tx,
                "SELECT * FROM sync_jobs WHERE account_id = ?
                 ORDER BY created_at DESC, id DESC LIMIT 1",
                r.account_id,
            )
            .await?;
            let job = new_job(r, latest.as_ref());
            insert(&mut tx, &job).await?;
            SyncRequestResult::Started(job)
        }
    };
    tx.commit().await?;
    Ok(result)
}

async fn insert(conn: &mut SqliteConnection, j: &SyncJob) -> StoreResult<()> {
    let params = serde_json::to_string(&j.params)
        .map_err(|e| StoreError::Corrupt(format!("sync params could not be encoded: {e}")))?;
    sqlx::query(
        "INSERT INTO sync_jobs (id, account_id, series_id, chunk_number, state, reported, params,
                                cursor, chats_synced, messages_synced, chunk_chats, chats_total,
                                messages_total, attempts, run_after, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 0, ?, ?, 0, ?, ?, ?)",
    )
    .bind(j.id.to_string())
    .bind(j.account_id.to_string())
    .bind(j.series_id.to_string())
    .bind(j.chunk_number)
    .bind(j.state.as_str())
    .bind(params)
    .bind(&j.cursor)
    .bind(j.chats_synced)
    .bind(j.messages_synced)
    .bind(j.chats_total)
    .bind(j.messages_total)
    .bind(j.run_after)
    .bind(j.created_at)
    .bind(j.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn latest(db: &SqlitePool, account: AccountId) -> StoreResult<Option<SyncJob>> {
    let mut conn = db.acquire().await?;
    fetch_optional(
        &mut conn,
        "SELECT * FROM sync_jobs WHERE account_id = ? ORDER BY created_at DESC, id DESC LIMIT 1",
        account,
    )
    .await
}

/// The newest last activity among the chats of one inbox that a series which walked it whole
/// saw (see [`crate::Store::inbox_complete_through`]).
pub async fn inbox_complete_through(
    db: &SqlitePool,
    account: AccountId,
    inbox: Option<LinkedinProduct>,
) -> StoreResult<Option<i64>> {
    // Newest chats first along `chats_account_time`: the first one a whole walk saw ends it.
    // Syncs with a span, of another inbox, or unfinished saw only part of this one.
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT c.timestamp FROM chats c
         WHERE c.account_id = ?1 AND c.deleted = 0 AND c.inbox IS ?2
           AND c.seen_series IN (
               SELECT series_id FROM sync_jobs
               WHERE account_id = ?1 AND state = 'done'
                 AND json_extract(params, '$.span.after') IS NULL
                 AND json_extract(params, '$.span.before') IS NULL
                 AND (json_extract(params, '$.linkedin_product') IS NULL
                      OR json_extract(params, '$.linkedin_product') = ?2))
         ORDER BY c.timestamp DESC, c.id DESC LIMIT 1",
    )
    .bind(account.to_string())
    .bind(inbox.map(|i| i.as_str()))
    .fetch_optional(db)
    .await?;
    Ok(at)
}

pub async fn claim(db: &SqlitePool, c: &SyncClaim) -> StoreResult<Option<SyncJob>> {
    // Queued and due, or running under a lease that ran out (its worker died): the rescuer and
    // the claim are one statement.
    sqlx::query(
        "UPDATE sync_jobs
         SET state = 'running', lease_owner = ?, lease_expires_at = ?,
             lease_token = lease_token + 1, updated_at = ?
         WHERE id = (SELECT id FROM sync_jobs
                     WHERE (state = 'queued' AND run_after <= ?)
                        OR (state = 'running' AND lease_expires_at < ?)
                     ORDER BY run_after, created_at LIMIT 1)
         RETURNING *",
    )
    .bind(&c.worker)
    .bind(c.now + c.lease_ms)
    .bind(c.now)
    .bind(c.now)
    .bind(c.now)
    // To the statement's end, where its commit happens: `fetch_optional` would stop at the
    // row and miss a commit that fails (a full disk), claiming a job the database never saw.
    .fetch_all(db)
    .await?
    .first()
    .map(job_from_row)
    .transpose()
}

/// An account's syncs, newest first.
pub async fn list(
    db: &SqlitePool,
    account: AccountId,
    page: &PageRequest,
) -> StoreResult<Page<SyncJob>> {
    let (at, id) = cursor_bounds(page);
    let rows = sqlx::query(
        "SELECT * FROM sync_jobs WHERE account_id = ?
           AND (created_at < ? OR (created_at = ? AND (? = '' OR id < ?)))
         ORDER BY created_at DESC, id DESC LIMIT ?",
    )
    .bind(account.to_string())
    .bind(at)
    .bind(at)
    .bind(&id)
    .bind(&id)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db)
    .await?;
    page_of(&rows, page.limit, job_from_row)
}

/// Through `sync_jobs_queue`: the finished jobs, most of the table, are not read.
pub async fn stats(db: &SqlitePool, now: i64) -> StoreResult<SyncStats> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT j.state, a.provider, count(*) FROM sync_jobs j JOIN accounts a ON a.id = j.account_id
         WHERE j.state IN ('queued', 'running') GROUP BY j.state, a.provider",
    )
    .fetch_all(db)
    .await?;
    let active = active_jobs(rows)?;
    let oldest_due_at: Option<i64> = sqlx::query_scalar(
        "SELECT min(run_after) FROM sync_jobs WHERE state = 'queued' AND run_after <= ?",
    )
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(SyncStats {
        active,
        oldest_due_at,
    })
}

pub async fn get(db: &SqlitePool, account: AccountId, id: SyncId) -> StoreResult<Option<SyncJob>> {
    sqlx::query("SELECT * FROM sync_jobs WHERE account_id = ? AND id = ?")
        .bind(account.to_string())
        .bind(id.to_string())
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(job_from_row)
        .transpose()
}

pub async fn end_all_leases(db: &SqlitePool, now: i64) -> StoreResult<u64> {
    // `claim` takes running jobs whose lease ended before `now`.
    let done = sqlx::query(
        "UPDATE sync_jobs SET lease_expires_at = ?, updated_at = ? WHERE state = 'running'",
    )
    .bind(now - 1)
    .bind(now)
    .execute(db)
    .await?;
    // Webhook endpoints too: their events are sent again at once, not a lease later.
    sqlx::query("UPDATE webhooks SET lease_expires_at = ? WHERE lease_owner IS NOT NULL")
        .bind(now - 1)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

pub async fn renew(db: &SqlitePool, r: &SyncRenew<'_>) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE sync_jobs SET lease_expires_at = ?, updated_at = ?
         WHERE id = ? AND lease_owner = ? AND lease_token = ? AND state = 'running'",
    )
    .bind(r.now + r.lease_ms)
    .bind(r.now)
    .bind(r.job.id.to_string())
    .bind(r.worker)
    .bind(r.job.lease_token)
    .execute(db)
    .await?;
    ensure_held(done.rows_affected())
}

/// Jobs per multi-row cursor update (11 parameters a job).
const CURSOR_BATCH: usize = 1_000;

/// Saves the cursor and progress of each checkpoint whose job this worker still holds, in
/// multi-row statements; returns the ids of those jobs (the others were lost).
pub async fn save_cursors(
    conn: &mut SqliteConnection,
    checkpoints: &[&SyncCheckpoint],
) -> StoreResult<HashSet<String>> {
    let mut held = HashSet::with_capacity(checkpoints.len());
    for batch in checkpoints.chunks(CURSOR_BATCH) {
        let mut sql = QueryBuilder::<Sqlite>::new(
            "UPDATE sync_jobs SET cursor = v.column2, chats_synced = v.column3,
                messages_synced = v.column4, chunk_chats = v.column5,
                chats_total = v.column6, messages_total = v.column7, attempts = 0,
                error_kind = NULL, error_detail = NULL,
                lease_expires_at = v.column8, updated_at = v.column9
             FROM (",
        );
        sql.push_values(batch, |mut row, c| {
            row.push_bind(c.job.id.to_string())
                .push_bind(&c.cursor)
                .push_bind(c.progress.chats_synced)
                .push_bind(c.progress.messages_synced)
                .push_bind(c.progress.chunk_chats)
                .push_bind(c.progress.chats_total)
                .push_bind(c.progress.messages_total)
                .push_bind(c.now + c.lease_ms)
                .push_bind(c.now)
                .push_bind(&c.worker)
                .push_bind(c.job.lease_token);
        });
        sql.push(
            ") AS v
             WHERE sync_jobs.id = v.column1 AND sync_jobs.lease_owner = v.column10
               AND sync_jobs.lease_token = v.column11 AND sync_jobs.state = 'running'
             RETURNING sync_jobs.id",
        );
        for row in sql.build().fetch_all(&mut *conn).await? {
            held.insert(row.try_get(0)?);
        }
    }
    Ok(held)
}

pub async fn release(db: &SqlitePool, r: &SyncRelease<'_>) -> StoreResult<()> {
    let (kind, detail) = match &r.reason {
        Some((kind, detail)) => (Some(kind.as_str()), Some(storable(detail))),
        None => (None, None),
    };
    let done = sqlx::query(
        "UPDATE sync_jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL,
                              run_after = ?, attempts = ?, error_kind = ?, error_detail = ?,
                              updated_at = ?
         WHERE id = ? AND lease_owner = ? AND lease_token = ? AND state = 'running'",
    )
    .bind(r.run_after)
    .bind(r.attempts)
    .bind(kind)
    .bind(detail)
    .bind(r.now)
    .bind(r.job.id.to_string())
    .bind(r.worker)
    .bind(r.job.lease_token)
    .execute(db)
    .await?;
    ensure_held(done.rows_affected())
}

pub async fn finish(db: &SqlitePool, f: &SyncFinish<'_>) -> StoreResult<usize> {
    let mut tx = super::begin_write(db).await?;
    let (error_kind, error_detail) = match &f.error {
        Some((k, d)) => (Some(k.as_str()), Some(storable(d))),
        None => (None, None),
    };
    let done = sqlx::query(
        "UPDATE sync_jobs SET state = ?, chats_synced = ?, messages_synced = ?, chunk_chats = ?,
                              chats_total = ?, messages_total = ?, cursor = ?, error_kind = ?, error_detail = ?, lease_owner = NULL,
                              lease_expires_at = NULL, updated_at = ?, finished_at = ?
         WHERE id = ? AND lease_owner = ? AND lease_token = ? AND state = 'running'",
    )
    .bind(f.state.as_str())
    .bind(f.progress.chats_synced)
    .bind(f.progress.messages_synced)
    .bind(f.progress.chunk_chats)
    .bind(f.progress.chats_total)
    .bind(f.progress.messages_total)
    .bind(f.cursor)
    .bind(error_kind)
    .bind(error_detail)
    .bind(f.now)
    .bind(f.now)
    .bind(f.job.id.to_string())
    .bind(f.worker)
    .bind(f.job.lease_token)
    .execute(&mut *tx)
    .await?;
    ensure_held(done.rows_affected())?;
    if let Some(scope) = &f.reconcile {
        content::reconcile(&mut tx, f.job.account_id, f.job.series_id, scope).await?;
    }
    let mut queued = 0;
    if let Some(state) = f.account_state {
        queued += outbox::set_state::<Sqlite>(&mut tx, f.job.account_id, state, f.now).await?;
    }
    queued += outbox::report_outcome::<Sqlite>(&mut tx, f).await?;
    tx.commit().await?;
    Ok(queued)
}
