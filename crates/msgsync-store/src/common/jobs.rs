//! The sync-job state machine's pure part.

use msgsync_core::SyncId;

use crate::{JobState, SyncJob, SyncRequest};

/// The job a request starts: the next chunk of a series left at `CHUNK_DONE` with the same
/// span, product and `partial`, or a fresh series.
pub(crate) fn new_job(r: &SyncRequest, latest: Option<&SyncJob>) -> SyncJob {
    let id = SyncId::new();
    let continued =
        latest.filter(|l| l.state == JobState::ChunkDone && l.params.continues_with(&r.params));
    SyncJob {
        id,
        account_id: r.account_id,
        series_id: continued.map_or(id, |l| l.series_id),
        chunk_number: continued.map_or(1, |l| l.chunk_number + 1),
        state: JobState::Queued,
        reported: false,
        params: r.params,
        cursor: continued.and_then(|l| l.cursor.clone()),
        chats_synced: continued.map_or(0, |l| l.chats_synced),
        messages_synced: continued.map_or(0, |l| l.messages_synced),
        chunk_chats: 0,
        chats_total: continued.and_then(|l| l.chats_total),
        messages_total: continued.and_then(|l| l.messages_total),
        attempts: 0,
        error_kind: None,
        error_detail: None,
        run_after: r.now,
        lease_owner: None,
        lease_expires_at: None,
        lease_token: 0,
        created_at: r.now,
        updated_at: r.now,
        finished_at: None,
    }
}
