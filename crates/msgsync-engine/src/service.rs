//! The sync service: every decision behind the resync route and the sync history, in one place.
//!
//! A route parses its request, calls one method here and renders what it gets. Here is decided
//! which account the caller may sync, what its provider can do, whether a sync may start (the
//! account's state), which status a job is reported with, and when an answer may come from this
//! node's memory (the live board, [`crate::live`]) instead of the database. Account changes
//! (deleted, reconnected) go through here too, so the board of this node never outlives them;
//! the board of another node of a cluster learns of them by reading the account again at least
//! every [`LIVE_RECHECK_MS`]. In a cluster, a poll of a sync running on another node may be
//! answered from what this node read of it at most [`crate::RECENT_TTL`] ago
//! ([`crate::recent`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use msgsync_core::time::now_ms;
use msgsync_core::{
    AccountId, AccountState, ApiError, ApiKeyMode, ErrorKind, ProviderKind, SyncId, SyncParams,
    SyncStatus,
};
use msgsync_store::{
    AccountReconnect, AccountRecord, JobState, Page, PageRequest, StoreError, SyncJob, SyncRequest,
    SyncRequestResult, Tenant,
};

use crate::live::LiveSync;
use crate::worker::Engine;

/// How long a poll may be answered from the live board without reading the account again: an
/// account deleted or reconnected on another node stops being answered from this node's memory
/// within this time.
pub const LIVE_RECHECK_MS: i64 = 1_000;

/// Why the sync service did not answer.
#[derive(Debug, thiserror::Error)]
pub enum SyncServiceError {
    /// Refused, for the API user to read (unknown account, state forbids a sync, inbox the
    /// connector cannot list…).
    #[error(transparent)]
    Refused(#[from] ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that cannot happen did: for the log, never for the API user.
    #[error("{0}")]
    Internal(String),
}

/// What a resync request got: the status to report and the job it is about.
#[derive(Debug, Clone)]
pub struct Resync {
    pub status: SyncStatus,
    pub job: SyncJob,
}

type Answer<T> = Result<T, SyncServiceError>;

impl Engine {
    /// The resync route (CONTRACT §3): follows the account's running sync, reports its
    /// finished one once, or starts one, or refuses.
    pub async fn resync(
        &self,
        tenant: &Tenant,
        id: AccountId,
        params: SyncParams,
    ) -> Answer<Resync> {
        // The common request, polling a sync that runs on this node, is answered from the
        // run's own record of its progress, without reading the database.
        if let Some(live) = self.live_for(tenant, id).await? {
            self.check_provider(&live.account, &params)?;
            return Ok(Resync {
                status: SyncStatus::SyncRunning,
                job: live.job.clone(),
            });
        }
        // In a cluster, a sync running on another node: as read from the database just now.
        if let Some((account, job)) = self.recent.get(id) {
            if account.owner == tenant.owner && account.mode == tenant.mode {
                self.check_provider(&account, &params)?;
                return Ok(Resync {
                    status: SyncStatus::SyncRunning,
                    job,
                });
            }
        }
        let account = self.account_of(tenant, id).await?;
        self.check_provider(&account, &params)?;
        self.refuse_unlistable_inboxes(&account, &params).await?;
        let request = SyncRequest {
            account_id: id,
            params,
            now: now_ms(),
            may_start: matches!(account.state, AccountState::Ok | AccountState::Error),
        };
        let (status, job) = match self.request_sync(&request).await? {
            SyncRequestResult::Started(job) => (SyncStatus::SyncStarted, job),
            SyncRequestResult::Running(job) => {
                // Alone on the embedded database a running sync is this node's, answered from
                // its run; only other nodes' syncs are worth remembering.
                if self.config.shared_database {
                    self.recent.insert(account.clone(), job.clone());
                }
                (SyncStatus::SyncRunning, job)
            }
            SyncRequestResult::Finished(job) => (finished_status(&job), job),
            SyncRequestResult::NotStarted => return Err(state_error(&account)),
        };
        Ok(Resync { status, job })
    }

    /// An account's syncs, newest first, without taking any outcome the resync route reports.
    pub async fn account_syncs(
        &self,
        tenant: &Tenant,
        id: AccountId,
        page: &PageRequest,
    ) -> Answer<Page<SyncJob>> {
        let account = self.account_of(tenant, id).await?;
        let mut syncs = self.store.sync_list(account.id, page).await?;
        for job in &mut syncs.items {
            self.fresher(job);
        }
        Ok(syncs)
    }

    /// One sync of an account.
    pub async fn account_sync(
        &self,
        tenant: &Tenant,
        id: AccountId,
        sync: SyncId,
    ) -> Answer<SyncJob> {
        let account = self.account_of(tenant, id).await?;
        let mut job = self
            .store
            .sync_get(account.id, sync)
            .await?
            .ok_or_else(|| ApiError::unknown("sync", sync))?;
        self.fresher(&mut job);
        Ok(job)
    }

    /// Deletes an account with its data and syncs; a sync of it running anywhere writes nothing
    /// more (its job is gone, so its next write is refused) and stops.
    pub async fn delete_account(&self, tenant: &Tenant, id: AccountId) -> Answer<()> {
        if !self.store.account_delete(tenant, id).await? {
            return Err(ApiError::unknown("account", id).into());
        }
        self.live.forget(id);
        self.recent.forget(id);
        Ok(())
    }

    /// Replaces an account's credentials and sets it back to `ok`: polls of its sync go to the
    /// database again, which knows what the change did.
    pub async fn reconnect_account(&self, id: AccountId, update: &AccountReconnect) -> Answer<()> {
        self.store.account_reconnect(id, update).await?;
        self.live.forget(id);
        self.recent.forget(id);
        Ok(())
    }

    /// The caller's account, or 404.
    async fn account_of(&self, tenant: &Tenant, id: AccountId) -> Answer<AccountRecord> {
        self.store
            .account_get(tenant, id)
            .await?
            .ok_or_else(|| ApiError::unknown("account", id).into())
    }

    /// The sync of `id` running on this node, if the caller owns the account and the account
    /// has not changed since the run read it. Read again from the database at most every
    /// [`LIVE_RECHECK_MS`]: on one node every change goes through [`Self::delete_account`] or
    /// [`Self::reconnect_account`], in a cluster it may have been made on another node.
    async fn live_for(&self, tenant: &Tenant, id: AccountId) -> Answer<Option<Arc<LiveSync>>> {
        let Some(live) = self.live.get(id) else {
            return Ok(None);
        };
        if live.account.owner != tenant.owner || live.account.mode != tenant.mode {
            return Ok(None);
        }
        let now = now_ms();
        if now - live.checked_at.load(Ordering::Relaxed) < LIVE_RECHECK_MS {
            return Ok(Some(live));
        }
        match self.store.account_find(id).await? {
            Some(account) if account.updated_at == live.account.updated_at => {
                live.checked_at.store(now, Ordering::Relaxed);
                Ok(Some(live))
            }
            _ => {
                self.live.forget(id);
                Ok(None)
            }
        }
    }

    /// A sync running on this node is shown as its run knows it (its database row lags by up
    /// to a page), unless the row is the newer one (another node took the job over).
    fn fresher(&self, job: &mut SyncJob) {
        if let Some(live) = self.live.get(job.account_id) {
            if live.job.id == job.id && live.job.updated_at >= job.updated_at {
                *job = live.job.clone();
            }
        }
    }

    /// Refuses what the account's provider cannot do.
    fn check_provider(&self, account: &AccountRecord, params: &SyncParams) -> Answer<()> {
        let Some(connector) = self.connectors.get(account.provider, account.mode) else {
            return Err(ApiError::new(
                ErrorKind::FeatureNotImplemented,
                match (account.provider, account.mode) {
                    (ProviderKind::Telegram, ApiKeyMode::Live) => {
                        "this server has no Telegram app to sync live Telegram accounts with: \
                         set MSGSYNC_TELEGRAM_API_ID and MSGSYNC_TELEGRAM_API_HASH (from \
                         my.telegram.org) and restart it"
                            .to_owned()
                    }
                    (ProviderKind::Linkedin | ProviderKind::Telegram, mode) => format!(
                        "this server has no connector configured for {} {} accounts",
                        mode.as_str(),
                        account.provider
                    ),
                    (ProviderKind::Whatsapp | ProviderKind::Instagram, _) => {
                        format!("msgsync cannot sync {} accounts", account.provider)
                    }
                },
            )
            .into());
        };
        if let Some(product) = params.linkedin_product {
            if account.provider != ProviderKind::Linkedin {
                return Err(ApiError::invalid_parameters(format!(
                    "linkedin_product applies to LinkedIn accounts only; this is a {} account",
                    account.provider
                ))
                .into());
            }
            if let Some(products) = &account.linkedin_products {
                if !products.contains(&product) {
                    return Err(ApiError::new(
                        ErrorKind::FeatureNotSubscribed,
                        format!("this LinkedIn account has no {product} inbox"),
                    )
                    .into());
                }
            }
        }
        // An inbox the connector cannot list is refused, never synced as empty.
        if let Some(why) = params
            .linkedin_product
            .and_then(|inbox| connector.inbox_not_implemented(inbox))
        {
            return Err(ApiError::new(ErrorKind::FeatureNotImplemented, why).into());
        }
        Ok(())
    }

    /// A resync of every inbox of an account with one the connector cannot list is refused
    /// (501), never synced without it; a request that only polls a running sync or collects an
    /// outcome still gets its answer.
    async fn refuse_unlistable_inboxes(
        &self,
        account: &AccountRecord,
        params: &SyncParams,
    ) -> Answer<()> {
        if params.linkedin_product.is_some() {
            return Ok(());
        }
        let Some(connector) = self.connectors.get(account.provider, account.mode) else {
            return Ok(());
        };
        let Some(why) = account
            .linkedin_products
            .iter()
            .flatten()
            .find_map(|inbox| connector.inbox_not_implemented(*inbox))
        else {
            return Ok(());
        };
        let answers_without_starting =
            self.store
                .sync_latest(account.id)
                .await?
                .is_some_and(|job| {
                    matches!(job.state, JobState::Queued | JobState::Running) || !job.reported
                });
        if answers_without_starting {
            return Ok(());
        }
        Err(ApiError::new(ErrorKind::FeatureNotImplemented, why).into())
    }
}

fn finished_status(job: &SyncJob) -> SyncStatus {
    match job.state {
        JobState::Done => SyncStatus::SyncDone,
        JobState::ChunkDone => SyncStatus::ChunkDone,
        _ => SyncStatus::SyncError,
    }
}

/// The refusal for an account whose state forbids starting a sync.
fn state_error(account: &AccountRecord) -> SyncServiceError {
    let (kind, detail) = match account.state {
        AccountState::Credentials => (
            ErrorKind::ExpiredCredentials,
            "the provider session of this account has expired: reconnect it",
        ),
        AccountState::Restricted => (
            ErrorKind::AccountRestricted,
            "the provider has restricted this account",
        ),
        AccountState::Disconnected => (
            ErrorKind::DisconnectedAccount,
            "the provider account behind this account was deleted or banned; reconnect it if \
             the provider restored it",
        ),
        AccountState::Ok | AccountState::Error => {
            return SyncServiceError::Internal(format!(
                "no sync started for account {} in state ok",
                account.id
            ))
        }
    };
    ApiError::new(kind, detail).into()
}
