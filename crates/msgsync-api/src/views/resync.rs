//! The resync route's answer.

use msgsync_core::time::format_ms;
use msgsync_core::{AccountId, LinkedinProduct, SyncId, SyncStatus};
use msgsync_store::SyncJob;
use serde::Serialize;

/// The resync route's answer: the contract's two fields, then the sync's details. Typed rather
/// than a `Value`, because it is the answer clients poll for.
#[derive(Serialize)]
pub struct Resync<'a> {
    object: &'static str,
    status: SyncStatus,
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

pub fn resync(status: SyncStatus, job: &SyncJob) -> Resync<'_> {
    let p = &job.params;
    Resync {
        object: "AccountResync",
        status,
        sync_id: job.id,
        account_id: job.account_id,
        chunk: job.chunk_number,
        progress: ResyncProgress {
            chats: job.chats_synced,
            messages: job.messages_synced,
            chunk_chats: job.chunk_chats,
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
