//! In a cluster: syncs running on other nodes, as this node last read them, for a tenth of a
//! second.
//!
//! A poll of a sync running on this node is answered from the run's memory ([`crate::live`]).
//! A poll of one running on another node read the database every time: the account, then its
//! open job, two queries a poll; at the rate clients poll (several times a second, many clients)
//! that was most of what the database did for the API, and the poll's p99 was the wait for it
//! (`pg_poll_p99_ms` in docs/BENCHMARKS.md). `SYNC_RUNNING` changes nothing, so this node may
//! give the same answer again for [`RECENT_TTL`]: a poll then shows progress at most that much
//! older than the database's, and an outcome is reported at most that much later. Everything
//! else (starting a sync, reporting its outcome) still goes to the database.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use msgsync_core::AccountId;
use msgsync_store::{AccountRecord, SyncJob};

/// How long an answer read from the database may be given again.
pub const RECENT_TTL: Duration = Duration::from_millis(100);

/// Past this many accounts, the stale entries are dropped when one is added.
const PRUNE_ABOVE: usize = 10_000;

struct Recent {
    read_at: Instant,
    account: AccountRecord,
    job: SyncJob,
}

#[derive(Default)]
pub(crate) struct RecentPolls {
    by_account: Mutex<HashMap<AccountId, Recent>>,
}

impl RecentPolls {
    /// The account and its running (or queued) sync, if read less than [`RECENT_TTL`] ago.
    pub(crate) fn get(&self, account: AccountId) -> Option<(AccountRecord, SyncJob)> {
        let map = self.lock();
        let recent = map.get(&account)?;
        (recent.read_at.elapsed() < RECENT_TTL)
            .then(|| (recent.account.clone(), recent.job.clone()))
    }

    /// `job` of `account` is queued or running, as the database said just now.
    pub(crate) fn insert(&self, account: AccountRecord, job: SyncJob) {
        let mut map = self.lock();
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, r| r.read_at.elapsed() < RECENT_TTL);
        }
        map.insert(
            account.id,
            Recent {
                read_at: Instant::now(),
                account,
                job,
            },
        );
    }

    /// The account changed (here or on another node): read it again.
    pub(crate) fn forget(&self, account: AccountId) {
        self.lock().remove(&account);
    }

    /// Any account may have changed (announcements were missed).
    pub(crate) fn forget_all(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AccountId, Recent>> {
        // Every change is one insert, remove or retain: a poisoned map is still consistent.
        self.by_account.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_records::{account, job};

    #[test]
    fn an_answer_is_given_again_only_within_its_time_and_until_its_account_changes() {
        let recent = RecentPolls::default();
        let account = account();
        let id = account.id;
        let mut running = job(id);
        running.messages_synced = 30;
        recent.insert(account.clone(), running.clone());
        let (_, again) = recent.get(id).expect("fresh");
        assert_eq!(again.messages_synced, 30);
        recent.forget(id);
        assert!(recent.get(id).is_none());

        recent.insert(account, running);
        std::thread::sleep(RECENT_TTL + Duration::from_millis(5));
        assert!(recent.get(id).is_none(), "stale answers are read again");
    }
}
