//! The resync route's answer.

use msgsync_core::time::format_ms;
use msgsync_core::{AccountId, LinkedinProduct, SyncId, SyncStatus};
use msgsync_store::{JobState, SyncJob};
use serde::Serialize;

/// The resync route's answer: the contract's two fields, then the sync's details. Typed rather
/// than a `Value`, because it is the answer clients poll for.
#[derive(Serialize)]
pub struct Resync<'a> {
    object: &'static str,
    /// Only in the sync history, where each sync is a resource of its own: its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<SyncId>,
    status: SyncStatus,
    /// Only in the sync history: the job's own state (`queued`, `running`, `done`,
    /// `chunk_done`, `error`) and whether its outcome was reported by the resync route.
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reported: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<String>,
    sync_id: SyncId,
    account_id: AccountId,
    chunk: i64,
    progress: ResyncProgress,
    params: ResyncParams,
    started_at: String,
    finished_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ResyncError<'a>>,
    /// While a running sync waits to try again: why, and when it tries next.
    #[serde(skip_serializing_if = "Option::is_none")]
    retry: Option<ResyncRetry<'a>>,
}

#[derive(Serialize)]
struct ResyncRetry<'a> {
    attempts: i64,
    #[serde(rename = "type")]
    kind: &'a str,
    reason: &'a str,
    next_attempt_at: String,
}

#[derive(Serialize)]
struct ResyncProgress {
    chats: i64,
    messages: i64,
    chunk_chats: i64,
    /// The provider's count of the account's chats (Telegram gives one; LinkedIn none), so
    /// that a client can show `chats / chats_total`. A span sync visits only the chats active
    /// in the span.
    chats_total: Option<i64>,
    /// The provider's count of all the messages of the chats visited so far (whatever the
    /// span), where it gives one.
    messages_total: Option<i64>,
}

#[derive(Serialize)]
struct ResyncParams {
    chunk_size: Option<u32>,
    partial: bool,
    after: Option<i64>,
    before: Option<i64>,
    linkedin_product: Option<LinkedinProduct>,
}

#[derive(Serialize)]
struct ResyncError<'a> {
    #[serde(rename = "type")]
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
