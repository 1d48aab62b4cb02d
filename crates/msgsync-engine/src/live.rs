//! The syncs running on this node, as their runs know them.
//!
//! Clients follow a sync by polling the resync route, often several times a second and many
//! clients at once. While a sync runs here, the answer to such a poll is the job as of its last
//! saved page, which the run holds in memory anyway; answering from this board keeps the
//! database off the hot path. Everything that changes a sync's state (start, outcome, report)
//! still goes through the database, and a sync running on another node, queued or parked is
//! answered from there.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use msgsync_core::time::now_ms;

use msgsync_core::AccountId;
use msgsync_store::{AccountRecord, SyncJob, SyncProgress};

/// A sync running on this node: its job as of the last saved page, and its account as it was
/// when the run opened the provider session.
#[derive(Debug)]
pub struct LiveSync {
    pub account: AccountRecord,
    pub job: SyncJob,
    /// When `account` was last found unchanged in the database (epoch ms; see
    /// [`crate::service::LIVE_RECHECK_MS`]).
    pub(crate) checked_at: AtomicI64,
}

#[derive(Default)]
pub(crate) struct LiveSyncs {
    by_account: RwLock<HashMap<AccountId, Arc<LiveSync>>>,
}

impl LiveSyncs {
    pub(crate) fn get(&self, account: AccountId) -> Option<Arc<LiveSync>> {
        self.read().get(&account).cloned()
    }

    /// A run has opened its session: polls of its account are answered from here.
    pub(crate) fn insert(&self, account: AccountRecord, job: SyncJob) {
        let id = account.id;
        let checked_at = AtomicI64::new(now_ms());
        self.write().insert(
            id,
            Arc::new(LiveSync {
                account,
                job,
                checked_at,
            }),
        );
    }

    /// A page of `job` was saved. Only updates a listed sync: one that was forgotten (its
    /// account changed) stays answered from the database.
    pub(crate) fn progress(&self, job: &SyncJob, progress: SyncProgress, now: i64) {
        self.update(job, |listed| {
            listed.set_progress(progress);
            listed.updated_at = now;
            // A saved page ends any wait: the store clears the retry state with it too.
            listed.attempts = 0;
            listed.error_kind = None;
            listed.error_detail = None;
        });
    }

    /// The run of `job` waits before it tries again (`attempts` so far): polls say why.
    pub(crate) fn retrying(
        &self,
        job: &SyncJob,
        attempts: i64,
        kind: String,
        detail: String,
        due: i64,
    ) {
        self.update(job, |listed| {
            listed.attempts = attempts;
            listed.error_kind = Some(kind);
            listed.error_detail = Some(detail);
            listed.run_after = due;
        });
    }

    /// Changes the listed copy of `job`, if `job` is the sync listed for its account.
    fn update(&self, job: &SyncJob, change: impl FnOnce(&mut SyncJob)) {
        let mut board = self.write();
        let Some(live) = board.get_mut(&job.account_id) else {
            return;
        };
        if live.job.id != job.id {
            return;
        }
        let mut updated = live.job.clone();
        change(&mut updated);
        *live = Arc::new(LiveSync {
            account: live.account.clone(),
            job: updated,
            checked_at: AtomicI64::new(live.checked_at.load(Ordering::Relaxed)),
        });
    }

    /// The run of `job` has ended (its end is in the database).
    pub(crate) fn remove(&self, job: &SyncJob) {
        let mut board = self.write();
        if board
            .get(&job.account_id)
            .is_some_and(|live| live.job.id == job.id)
        {
            board.remove(&job.account_id);
        }
    }

    /// The account changed (reconnected, deleted): answer its polls from the database again.
    pub(crate) fn forget(&self, account: AccountId) {
        self.write().remove(&account);
    }

    /// Every account may have changed (announcements of other nodes were missed).
    pub(crate) fn forget_all(&self) {
        self.write().clear();
    }

    /// Another node changed the account, or this one: the next poll reads it again before it is
    /// answered from here (see [`crate::service::LIVE_RECHECK_MS`]).
    pub(crate) fn recheck(&self, account: AccountId) {
        if let Some(live) = self.get(account) {
            live.checked_at.store(0, Ordering::Relaxed);
        }
    }

    /// The run of `job` stored new credentials of its account (at `updated_at`): the listed
    /// account is that version, so that the run's own change is not taken for another's.
    pub(crate) fn account_updated(&self, job: &SyncJob, updated_at: i64) {
        let mut board = self.write();
        let Some(live) = board.get_mut(&job.account_id) else {
            return;
        };
        if live.job.id != job.id {
            return;
        }
        let mut account = live.account.clone();
        account.updated_at = updated_at;
        *live = Arc::new(LiveSync {
            account,
            job: live.job.clone(),
            checked_at: AtomicI64::new(live.checked_at.load(Ordering::Relaxed)),
        });
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<AccountId, Arc<LiveSync>>> {
        // A panic while holding the lock cannot leave the map half-updated (every change is
        // one insert or remove), so a poisoned lock is still a consistent one.
        self.by_account.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<AccountId, Arc<LiveSync>>> {
        self.by_account.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_records::{account, job};

    fn progress(messages: i64) -> SyncProgress {
        SyncProgress {
            chats_synced: 1,
            messages_synced: messages,
            chunk_chats: 1,
            chats_total: Some(7),
            messages_total: Some(messages * 2),
        }
    }

    #[test]
    fn a_run_is_listed_from_session_to_end_with_its_progress() {
        let board = LiveSyncs::default();
        let account = account();
        let id = account.id;
        let job = job(id);
        board.insert(account, job.clone());
        board.progress(&job, progress(20), 5);
        let live = board.get(id).unwrap();
        assert_eq!(live.job.messages_synced, 20);
        assert_eq!(
            (live.job.chats_total, live.job.messages_total),
            (Some(7), Some(40))
        );
        assert_eq!(live.job.updated_at, 5);
        board.remove(&job);
        assert!(board.get(id).is_none());
    }

    #[test]
    fn an_older_run_of_the_same_account_neither_updates_nor_removes_the_newer() {
        let board = LiveSyncs::default();
        let account = account();
        let id = account.id;
        let (old, new) = (job(id), job(id));
        board.insert(account, new.clone());
        board.progress(&old, progress(99), 5);
        board.remove(&old);
        assert_eq!(board.get(id).unwrap().job.id, new.id);
        assert_eq!(board.get(id).unwrap().job.messages_synced, 0);
    }

    #[test]
    fn a_forgotten_account_is_not_listed_again_by_progress() {
        let board = LiveSyncs::default();
        let account = account();
        let id = account.id;
        let job = job(id);
        board.insert(account, job.clone());
        board.forget(id);
        board.progress(&job, progress(20), 5);
        assert!(board.get(id).is_none());
    }
}
