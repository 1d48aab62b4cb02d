//! The sync-job state machine's pure part.

use msgsync_core::{ProviderKind, SyncId};

use super::corrupt;
use crate::{JobState, StoreError, StoreResult, SyncJob, SyncRequest};

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

/// `SyncStats::active` from its query's rows (state, provider, count).
pub(crate) fn active_jobs(
    rows: Vec<(String, String, i64)>,
) -> StoreResult<Vec<(JobState, ProviderKind, i64)>> {
    rows.into_iter()
        .map(|(state, provider, n)| {
            Ok((
                JobState::parse(&state).ok_or_else(|| corrupt("job state", &state))?,
                provider
                    .parse()
                    .map_err(|_| corrupt("provider", &provider))?,
                n,
            ))
        })
        .collect()
}

/// A write of a run's job changed `rows` rows: the run still holds the job if it changed one
/// (its lease, owner and fencing token all matched).
pub(crate) fn ensure_held(rows: u64) -> StoreResult<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(StoreError::LostLease)
    }
}
