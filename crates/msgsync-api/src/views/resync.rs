//! The resync route's answer.

use msgsync_core::time::format_ms;
use msgsync_core::{AccountId, LinkedinProduct, SyncId, SyncStatus};
use msgsync_store::{JobState, SyncJob};
use serde::Serialize;
use utoipa::ToSchema;

use crate::openapi::schemas::{object, shapes};

// Typed rather than a `Value`, because it is the answer clients poll for.
/// The resync route's answer: `object` and `status`, which every client reads, then the sync's
/// details. The sync history shows each sync in the same shape, as an `AccountSync`, with four
/// fields more.
#[derive(Serialize, ToSchema)]
#[schema(as = AccountResync)]
pub struct Resync<'a> {
    /// `AccountResync` from the resync route; `AccountSync` in the sync history.
    #[schema(schema_with = object::resync)]
    object: &'static str,
    /// Only in the sync history, where each sync is a resource of its own: its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = shapes::SyncId)]
    id: Option<SyncId>,
    /// From the resync route: `SYNC_STARTED` (this request started it), `SYNC_RUNNING`, or the
    /// outcome (`SYNC_DONE`, `CHUNK_DONE`, `SYNC_ERROR`), reported once. In the history: the
    /// sync's state in the same words.
    #[schema(value_type = shapes::SyncStatus)]
    status: SyncStatus,
    /// Only in the sync history: the job's own state.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = shapes::SyncState)]
    state: Option<&'static str>,
    /// Only in the sync history: whether the resync route has reported the outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    reported: Option<bool>,
    /// Only in the sync history: when the sync last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = shapes::Timestamp)]
    updated_at: Option<String>,
    #[schema(value_type = shapes::SyncId)]
    sync_id: SyncId,
    #[schema(value_type = shapes::AccountId)]
    account_id: AccountId,
    /// The chunk this run is: 1 for the first (or only) one.
    #[schema(minimum = 0)]
    chunk: i64,
    progress: ResyncProgress,
    params: ResyncParams,
    #[schema(value_type = shapes::Timestamp)]
    started_at: String,
    /// `null` until the sync has finished.
    #[schema(value_type = Option<shapes::Timestamp>, required = true)]
    finished_at: Option<String>,
    /// With `SYNC_ERROR`: why the sync failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    error: Option<ResyncError<'a>>,
    /// While a running sync waits to try again: why, and when it tries next.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    retry: Option<ResyncRetry<'a>>,
}

/// A running sync waiting to try again.
#[derive(Serialize, ToSchema)]
struct ResyncRetry<'a> {
    /// Attempts that failed so far.
    #[schema(minimum = 1)]
    attempts: i64,
    /// The error type of the last failure.
    #[serde(rename = "type")]
    #[schema(value_type = shapes::ErrorType)]
    kind: &'a str,
    /// The last failure, in words.
    reason: &'a str,
    #[schema(value_type = shapes::Timestamp)]
    next_attempt_at: String,
}

/// What the sync has stored so far.
#[derive(Serialize, ToSchema)]
struct ResyncProgress {
    /// Chats synced, over every chunk of this sync.
    #[schema(minimum = 0)]
    chats: i64,
    /// Messages stored, over every chunk of this sync.
    #[schema(minimum = 0)]
    messages: i64,
    /// Chats synced in this chunk.
    #[schema(minimum = 0)]
    chunk_chats: i64,
    /// The provider's count of the account's chats (Telegram gives one; LinkedIn none), so
    /// that a client can show `chats / chats_total`. A span sync visits only the chats active
    /// in the span.
    chats_total: Option<i64>,
    /// The provider's count of all the messages of the chats visited so far (whatever the
    /// span), where it gives one.
    messages_total: Option<i64>,
}

/// The parameters the sync runs with (instants in epoch milliseconds).
#[derive(Serialize, ToSchema)]
struct ResyncParams {
    #[schema(required = true, minimum = 1, maximum = 1000)]
    chunk_size: Option<u32>,
    partial: bool,
    #[schema(required = true)]
    after: Option<i64>,
    #[schema(required = true)]
    before: Option<i64>,
    #[schema(value_type = Option<shapes::LinkedinProduct>, required = true)]
    linkedin_product: Option<LinkedinProduct>,
}

/// Why a sync failed.
#[derive(Serialize, ToSchema)]
struct ResyncError<'a> {
    /// The error type of the failure.
    #[serde(rename = "type")]
    #[schema(value_type = shapes::ErrorType)]
    kind: &'a str,
    detail: &'a str,
}

/// A sync as its history shows it: the resync answer's fields, with the job's own state.
pub fn sync(job: &SyncJob) -> Resync<'_> {
    let status = match job.state {
        JobState::Queued | JobState::Running => SyncStatus::SyncRunning,
        JobState::Done => SyncStatus::SyncDone,
        JobState::ChunkDone => SyncStatus::ChunkDone,
        JobState::Error => SyncStatus::SyncError,
    };
    Resync {
        object: "AccountSync",
        id: Some(job.id),
        state: Some(job.state.as_str()),
        reported: Some(job.reported),
        updated_at: Some(format_ms(job.updated_at)),
        ..resync(status, job)
    }
}

pub fn resync(status: SyncStatus, job: &SyncJob) -> Resync<'_> {
    let p = &job.params;
    Resync {
        object: "AccountResync",
        id: None,
        status,
        state: None,
        reported: None,
        updated_at: None,
        sync_id: job.id,
        account_id: job.account_id,
        chunk: job.chunk_number,
        progress: ResyncProgress {
            chats: job.chats_synced,
            messages: job.messages_synced,
            chunk_chats: job.chunk_chats,
            chats_total: job.chats_total,
            messages_total: job.messages_total,
        },
        params: ResyncParams {
            chunk_size: p.chunk_size,
            partial: p.partial,
            after: p.span.after,
            before: p.span.before,
            linkedin_product: p.linkedin_product,
        },
        started_at: format_ms(job.created_at),
        finished_at: job.finished_at.map(format_ms),
        error: match (status, &job.error_kind, &job.error_detail) {
            (SyncStatus::SyncError, Some(kind), Some(detail)) => Some(ResyncError { kind, detail }),
            _ => None,
        },
        retry: match (status, &job.error_kind, &job.error_detail) {
            (SyncStatus::SyncRunning, Some(kind), Some(reason)) if job.attempts > 0 => {
                Some(ResyncRetry {
                    attempts: job.attempts,
                    kind,
                    reason,
                    next_attempt_at: format_ms(job.run_after),
                })
            }
            _ => None,
        },
    }
}
