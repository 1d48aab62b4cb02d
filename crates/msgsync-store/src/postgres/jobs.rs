//! The sync-job table: the resync state machine, claims under leases, outcomes.
//!
//! Many nodes write it at once. The state machine reads, then writes under conditions the
//! database checks: the partial unique index `sync_jobs_one_open` lets one first request of an
//! account start a sync (the others fail on it and read again), and an outcome is marked
//! reported by the one update that finds it unreported. Claims take a row with
//! `FOR UPDATE SKIP LOCKED`, and every write of a run carries its fencing token.

use msgsync_core::{AccountId, LinkedinProduct, SyncId};
use sqlx::{PgConnection, PgPool};

use super::content;
use crate::common::{
    active_jobs, cursor_bounds, ensure_held, job_from_row, new_job, page_of, storable,
};
use crate::*;

/// How often one request reads again after losing a race to another request of the same
/// account. Every lost race means another request progressed (it started a sync or reported
/// an outcome), so a few rounds settle any burst; the bound only keeps a bug from spinning.
const REQUEST_ROUNDS: usize = 32;

/// SQLSTATE unique_violation.
const UNIQUE_VIOLATION: &str = "23505";

async fn fetch_optional(
    db: &PgPool,
    sql: &str,
    account: AccountId,
) -> StoreResult<Option<SyncJob>> {
    sqlx::query(sql)
        .bind(account.to_string())
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(job_from_row)
        .transpose()
}

const OPEN: &str = "SELECT * FROM sync_jobs WHERE account_id = $1 AND NOT reported";
const LATEST: &str =
    "SELECT * FROM sync_jobs WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1";

pub async fn request(db: &PgPool, r: &SyncRequest) -> StoreResult<SyncRequestResult> {
    for _ in 0..REQUEST_ROUNDS {
        if let Some(result) = request_round(db, r).await? {
            return Ok(result);
        }
    }
    Err(StoreError::Unavailable(format!(
        "the sync state of account {} kept changing under {REQUEST_ROUNDS} requests",
        r.account_id
    )))
}

/// One read-then-write of the state machine; `None` if another request changed the account's
/// syncs between the read and the write (nothing was written: read again).
async fn request_round(db: &PgPool, r: &SyncRequest) -> StoreResult<Option<SyncRequestResult>> {
    match fetch_optional(db, OPEN, r.account_id).await? {
        Some(job) if !job.state.is_finished() => Ok(Some(SyncRequestResult::Running(job))),
        Some(mut job) => {
            // Of concurrent requests, the one whose update finds the outcome unreported
            // reports it; the others read again and see what follows it.
            let done = sqlx::query(
                "UPDATE sync_jobs SET reported = true, updated_at = $1 WHERE id = $2 AND NOT reported",
            )
            .bind(r.now)
            .bind(job.id.to_string())
            .execute(db)
            .await?;
            if done.rows_affected() != 1 {
                return Ok(None);
            }
            job.reported = true;
            Ok(Some(SyncRequestResult::Finished(job)))
        }
        None if !r.may_start => Ok(Some(SyncRequestResult::NotStarted)),
        None => {
            let latest = fetch_optional(db, LATEST, r.account_id).await?;
            let job = new_job(r, latest.as_ref());
            let inserted = insert(db, &job, latest.as_ref().map(|l| l.id)).await;
            match inserted {
                Ok(true) => Ok(Some(SyncRequestResult::Started(job))),
                // A newer job appeared since `latest` was read: the next chunk may no longer
                // continue it.
                Ok(false) => Ok(None),
                // Another request started a sync first (`sync_jobs_one_open`).
                Err(StoreError::Database(sqlx::Error::Database(e)))
                    if e.code().as_deref() == Some(UNIQUE_VIOLATION) =>
                {
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        }
    }
}

/// Inserts `j` if the account's latest job is still `latest` (the one `j` was derived from);
/// whether it was inserted. The unique index refuses it if another job is open meanwhile.
async fn insert(db: &PgPool, j: &SyncJob, latest: Option<SyncId>) -> StoreResult<bool> {
    let params = serde_json::to_string(&j.params)
        .map_err(|e| StoreError::Corrupt(format!("sync params could not be encoded: {e}")))?;
    let done = sqlx::query(
        "INSERT INTO sync_jobs (id, account_id, series_id, chunk_number, state, reported, params,
                                cursor, chats_synced, messages_synced, chunk_chats, chats_total,
                                messages_total, attempts, run_after, created_at, updated_at)
         SELECT $1, $2, $3, $4, $5, false, $6, $7, $8, $9, 0, $10, $11, 0, $12, $13, $14
         WHERE (SELECT id FROM sync_jobs WHERE account_id = $2
                ORDER BY created_at DESC, id DESC LIMIT 1) IS NOT DISTINCT FROM $15",
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
    .bind(latest.map(|l| l.to_string()))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn latest(db: &PgPool, account: AccountId) -> StoreResult<Option<SyncJob>> {
    fetch_optional(db, LATEST, account).await
}

/// The newest last activity among the chats of one inbox that a series which walked it whole
/// saw (see [`crate::Store::inbox_complete_through`]).
pub async fn inbox_complete_through(
    db: &PgPool,
    account: AccountId,
    inbox: Option<LinkedinProduct>,
) -> StoreResult<Option<i64>> {
    // Newest chats first along `chats_account_time`: the first one a whole walk saw ends it.
    // Syncs with a span, of another inbox, or unfinished saw only part of this one. The keys
    // are serde's names of `SyncParams`' fields.
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT c.timestamp FROM chats c
         WHERE c.account_id = $1 AND NOT c.deleted AND c.inbox IS NOT DISTINCT FROM $2
           AND c.seen_series IN (
               SELECT series_id FROM sync_jobs
               WHERE account_id = $1 AND state = 'done'
                 AND (params::jsonb #>> '{span,after}') IS NULL
                 AND (params::jsonb #>> '{span,before}') IS NULL
                 AND ((params::jsonb ->> 'linkedin_product') IS NULL
                      OR (params::jsonb ->> 'linkedin_product') = $2))
         ORDER BY c.timestamp DESC, c.id DESC LIMIT 1",
    )
    .bind(account.to_string())
    .bind(inbox.map(|i| i.as_str()))
    .fetch_optional(db)
    .await?;
    Ok(at)
}

pub async fn claim(db: &PgPool, c: &SyncClaim) -> StoreResult<Option<SyncJob>> {
    // Queued and due, or running under a lease that ran out (its worker died): the rescuer and
    // the claim are one statement, its own short transaction. Rows other claimers are taking
    // are skipped rather than waited for, so claimers on many connections never take the same
    // job nor queue behind each other.
    sqlx::query(
        "UPDATE sync_jobs
         SET state = 'running', lease_owner = $1, lease_expires_at = $2,
             lease_token = lease_token + 1, updated_at = $3
         WHERE id = (SELECT id FROM sync_jobs
                     WHERE (state = 'queued' AND run_after <= $3)
                        OR (state = 'running' AND lease_expires_at < $3)
                     ORDER BY run_after, created_at LIMIT 1
                     FOR UPDATE SKIP LOCKED)
         RETURNING *",
    )
    .bind(&c.worker)
    .bind(c.now + c.lease_ms)
    .bind(c.now)
    // To the statement's end, where its commit happens: a commit that fails after the row
    // was sent must fail the claim, not hand out a job the database never gave.
    .fetch_all(db)
    .await?
    .first()
    .map(job_from_row)
    .transpose()
}

/// An account's syncs, newest first.
pub async fn list(
    db: &PgPool,
    account: AccountId,
    page: &PageRequest,
) -> StoreResult<Page<SyncJob>> {
    let (at, id) = cursor_bounds(page);
    let rows = sqlx::query(
        "SELECT * FROM sync_jobs WHERE account_id = $1
           AND (created_at < $2 OR (created_at = $2 AND ($3 = '' OR id < $3)))
         ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(account.to_string())
    .bind(at)
    .bind(&id)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db)
    .await?;
    page_of(&rows, page.limit, job_from_row)
}

/// Through `sync_jobs_queue`: the finished jobs, most of the table, are not read.
pub async fn stats(db: &PgPool, now: i64) -> StoreResult<SyncStats> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT j.state, a.provider, count(*) FROM sync_jobs j JOIN accounts a ON a.id = j.account_id
         WHERE j.state IN ('queued', 'running') GROUP BY j.state, a.provider",
    )
    .fetch_all(db)
    .await?;
    let active = active_jobs(rows)?;
    let oldest_due_at: Option<i64> = sqlx::query_scalar(
        "SELECT min(run_after) FROM sync_jobs WHERE state = 'queued' AND run_after <= $1",
    )
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(SyncStats {
        active,
        oldest_due_at,
    })
}

pub async fn get(db: &PgPool, account: AccountId, id: SyncId) -> StoreResult<Option<SyncJob>> {
    sqlx::query("SELECT * FROM sync_jobs WHERE account_id = $1 AND id = $2")
        .bind(account.to_string())
        .bind(id.to_string())
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(job_from_row)
        .transpose()
}

/// Only for a node that knows it is alone (see [`crate::Store::sync_leases_end_all`]): other
/// nodes' runs would lose their jobs to the next claim.
pub async fn end_all_leases(db: &PgPool, now: i64) -> StoreResult<u64> {
    // `claim` takes running jobs whose lease ended before `now`.
    let done = sqlx::query(
        "UPDATE sync_jobs SET lease_expires_at = $1, updated_at = $2 WHERE state = 'running'",
    )
    .bind(now - 1)
    .bind(now)
    .execute(db)
    .await?;
    // Webhook endpoints too: their events are sent again at once, not a lease later.
    sqlx::query("UPDATE webhooks SET lease_expires_at = $1 WHERE lease_owner IS NOT NULL")
        .bind(now - 1)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

pub async fn renew(db: &PgPool, r: &SyncRenew<'_>) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE sync_jobs SET lease_expires_at = $1, updated_at = $2
         WHERE id = $3 AND lease_owner = $4 AND lease_token = $5 AND state = 'running'",
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

pub async fn release(db: &PgPool, r: &SyncRelease<'_>) -> StoreResult<()> {
    let (kind, detail) = match &r.reason {
        Some((kind, detail)) => (Some(kind.as_str()), Some(storable(detail))),
        None => (None, None),
    };
    let done = sqlx::query(
        "UPDATE sync_jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL,
                              run_after = $1, attempts = $2, error_kind = $3, error_detail = $4,
                              updated_at = $5
         WHERE id = $6 AND lease_owner = $7 AND lease_token = $8 AND state = 'running'",
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

/// Holds the account for the rest of the transaction of a run's write (`LostLease` if it is
/// gone, and its jobs with it). Deleting an account locks its row, then deletes its chats,
/// messages and jobs (ON DELETE CASCADE); a write that locked its job and then its account's
/// row (inserting a chat checks its account) or its chats would deadlock with it. Taking the
/// account first puts every such transaction in one order. `FOR KEY SHARE` is what the chats'
/// foreign key takes anyway: writers of the account do not wait for each other on it.
pub(super) async fn lock_account(conn: &mut PgConnection, account: AccountId) -> StoreResult<()> {
    let found = sqlx::query("SELECT 1 FROM accounts WHERE id = $1 FOR KEY SHARE")
        .bind(account.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::LostLease),
    }
}

/// The outcome, the reconciliation and the account's new state in one transaction.
pub async fn finish(db: &PgPool, f: &SyncFinish<'_>) -> StoreResult<usize> {
    let mut tx = db.begin().await?;
    lock_account(&mut tx, f.job.account_id).await?;
    // A provider's error text is anyone's text: no NUL reaches PostgreSQL.
    let (error_kind, error_detail) = match &f.error {
        Some((k, d)) => (Some(k.as_str()), Some(storable(d))),
        None => (None, None),
    };
    let done = sqlx::query(
        "UPDATE sync_jobs SET state = $1, chats_synced = $2, messages_synced = $3,
                              chunk_chats = $4, chats_total = $5, messages_total = $6,
                              cursor = $7, error_kind = $8, error_detail = $9,
                              lease_owner = NULL, lease_expires_at = NULL, updated_at = $10,
                              finished_at = $10
         WHERE id = $11 AND lease_owner = $12 AND lease_token = $13 AND state = 'running'",
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
    .bind(f.job.id.to_string())
    .bind(f.worker)
    .bind(f.job.lease_token)
    .execute(&mut *tx)
    .await?;
    // Dropping `tx` on the way out rolls it back.
    ensure_held(done.rows_affected())?;
    if let Some(scope) = &f.reconcile {
        content::reconcile(&mut tx, f.job.account_id, f.job.series_id, scope).await?;
    }
    let mut queued = 0;
    if let Some(state) = f.account_state {
        queued += crate::common::outbox::set_state::<sqlx::Postgres>(
            &mut tx,
            f.job.account_id,
            state,
            f.now,
        )
        .await?;
    }
    queued += crate::common::outbox::report_outcome::<sqlx::Postgres>(&mut tx, f).await?;
    tx.commit().await?;
    Ok(queued)
}
