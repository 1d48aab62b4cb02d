//! msgsync's database.
//!
//! [`Store`] is what the API and the engine see; [`SqliteStore`] is the embedded backend, and
//! [`PgStore`] the PostgreSQL one that several nodes share (its job claim uses
//! `FOR UPDATE SKIP LOCKED`). Both implement the same trait with the same semantics, so neither
//! the engine nor the API changes with the backend.

pub mod api_keys;
mod common;
mod crypto;
mod model;
mod postgres;
mod sqlite;
pub mod webhooks;

pub use crypto::{CredentialCipher, CryptoError};
pub use model::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use webhooks::*;

use async_trait::async_trait;
use msgsync_core::{
    AccountId, AccountState, AttendeeId, ChatId, LinkedinProduct, MessageId, SyncId,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached in time (pool exhausted, file locked too long).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The storage under the database is full: nothing of the failed write was kept.
    #[error("the storage is full: {0}")]
    StorageFull(String),
    /// The job is no longer ours: its lease ran out and another worker took it, or it was deleted.
    #[error("the sync job is no longer held by this worker")]
    LostLease,
    /// The database was written with another master key than this node's: its credentials
    /// could not be read, and the node's own writes could not be read by the other nodes.
    #[error("MSGSYNC_MASTER_KEY does not match the key this database was written with")]
    KeyMismatch,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            // The database is out of reach (the network, a restarting server): worth a retry.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            sqlx::Error::Database(db) if is_storage_full(db.code().as_deref()) => {
                StoreError::StorageFull(db.message().to_owned())
            }
            sqlx::Error::Database(db)
                if is_busy(db.code().as_deref()) || is_disconnected(db.code().as_deref()) =>
            {
                StoreError::Unavailable(db.message().to_owned())
            }
            e => StoreError::Database(e),
        }
    }
}

/// SQLite's `SQLITE_FULL` (13) and PostgreSQL's `53100` (disk_full).
fn is_storage_full(code: Option<&str>) -> bool {
    code == Some("53100") || sqlite_primary_code(code) == Some(13)
}

/// SQLite's `SQLITE_BUSY` (5) and `SQLITE_LOCKED` (6), with their extended codes: another
/// connection held the database past the busy timeout. Worth a retry, not a 500.
fn is_busy(code: Option<&str>) -> bool {
    matches!(sqlite_primary_code(code), Some(5 | 6))
}

/// PostgreSQL's connection_exception class (08…), admin_shutdown (57P01) and
/// cannot_connect_now (57P03): the server went away or is starting; worth a retry, not a 500.
fn is_disconnected(code: Option<&str>) -> bool {
    matches!(code, Some(c) if c.len() == 5 && (c.starts_with("08") || c == "57P01" || c == "57P03"))
}

/// The primary result code of a SQLite error: the low byte of its (extended) code, a number
/// of at most four digits. PostgreSQL's SQLSTATEs have five characters and never match.
fn sqlite_primary_code(code: Option<&str>) -> Option<i32> {
    let code = code.filter(|c| c.len() < 5)?;
    code.parse::<i32>().ok().map(|c| c & 0xff)
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A change another node made, as the database announces it (PostgreSQL's `LISTEN/NOTIFY`).
/// A hint that speeds a node up, never something it depends on: a node also polls, so an event
/// lost (its listener reconnecting) only delays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreEvent {
    /// A sync job can be claimed now (a new sync, or one given back to the queue).
    JobQueued,
    /// An account changed (reconnected, its state or credentials) or was deleted.
    AccountChanged(AccountId),
    /// A webhook delivery was queued.
    WebhookQueued,
}

/// Everything msgsync keeps. Methods are named noun_verb.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // --- API keys ---
    async fn api_key_insert(&self, key: &ApiKeyRecord) -> StoreResult<()>;
    async fn api_key_get(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>>;
    async fn api_key_list(&self) -> StoreResult<Vec<ApiKeyRecord>>;
    async fn api_key_revoke(&self, id: &str, now: i64) -> StoreResult<bool>;

    // --- accounts ---
    async fn account_insert(&self, account: &NewAccount) -> StoreResult<AccountRecord>;
    async fn account_get(
        &self,
        tenant: &Tenant,
        id: AccountId,
    ) -> StoreResult<Option<AccountRecord>>;
    async fn account_list(
        &self,
        tenant: &Tenant,
        page: &PageRequest,
    ) -> StoreResult<Page<AccountRecord>>;
    async fn account_delete(&self, tenant: &Tenant, id: AccountId) -> StoreResult<bool>;
    /// Replaces the credentials (reconnect) and sets the account back to `Ok`.
    async fn account_reconnect(&self, id: AccountId, update: &AccountReconnect) -> StoreResult<()>;
    async fn account_set_state(
        &self,
        id: AccountId,
        state: AccountState,
        now: i64,
    ) -> StoreResult<()>;
    /// An account by id alone, whoever owns it (engine only).
    async fn account_find(&self, id: AccountId) -> StoreResult<Option<AccountRecord>>;
    /// The decrypted credentials of an account (engine only).
    async fn account_credentials(&self, id: AccountId) -> StoreResult<Option<Vec<u8>>>;
    /// Replaces the credentials of an account with the ones its provider changed during a sync,
    /// unless the account changed since the sync read it (reconnected, say): whether they were
    /// replaced (engine only).
    async fn account_credentials_update(
        &self,
        update: &AccountCredentialsUpdate,
    ) -> StoreResult<bool>;

    // --- synced data ---
    async fn chat_list(&self, tenant: &Tenant, query: &ChatQuery) -> StoreResult<Page<ChatRecord>>;
    async fn chat_get(&self, tenant: &Tenant, id: ChatId) -> StoreResult<Option<ChatRecord>>;
    async fn message_list(
        &self,
        chat: &ChatRecord,
        query: &MessageQuery,
    ) -> StoreResult<Page<MessageRecord>>;
    /// Messages across chats, newest first.
    async fn message_search(
        &self,
        tenant: &Tenant,
        search: &MessageSearch,
    ) -> StoreResult<Page<MessageRecord>>;
    async fn message_get(
        &self,
        tenant: &Tenant,
        id: MessageId,
    ) -> StoreResult<Option<MessageRecord>>;
    /// The newest message of a chat.
    async fn message_last(&self, chat: &ChatRecord) -> StoreResult<Option<MessageRecord>>;
    /// Attendees in id order.
    async fn attendee_list(
        &self,
        tenant: &Tenant,
        query: &AttendeeQuery,
    ) -> StoreResult<Page<AttendeeRecord>>;
    async fn attendee_get(
        &self,
        tenant: &Tenant,
        id: AttendeeId,
    ) -> StoreResult<Option<AttendeeRecord>>;
    /// Every attendee of a chat, in id order.
    async fn attendee_list_of_chat(&self, chat: &ChatRecord) -> StoreResult<Vec<AttendeeRecord>>;
    /// The chats an attendee takes part in, newest activity first.
    async fn chat_list_of_attendee(
        &self,
        attendee: &AttendeeRecord,
        page: &PageRequest,
    ) -> StoreResult<Page<ChatRecord>>;

    // --- sync jobs ---
    /// The resync state machine (CONTRACT §3), atomically: report, start, continue or refuse.
    async fn sync_request(&self, request: &SyncRequest) -> StoreResult<SyncRequestResult>;
    /// The latest sync of an account, reported or not.
    async fn sync_latest(&self, account: AccountId) -> StoreResult<Option<SyncJob>>;
    /// Where an incremental sync of one inbox may stop: the newest last activity among the
    /// chats of the inbox last seen by a resync that walked it whole (no span; every inbox, or
    /// this one) and finished `SYNC_DONE`. Every chat of the inbox up to it is stored whole; a
    /// resync that did not finish may have stored newer chats and not the older ones (engine
    /// only). `None` for providers without inboxes means the account's one inbox.
    async fn inbox_complete_through(
        &self,
        account: AccountId,
        inbox: Option<LinkedinProduct>,
    ) -> StoreResult<Option<i64>>;
    /// An account's syncs, newest first (reading only).
    async fn sync_list(&self, account: AccountId, page: &PageRequest)
        -> StoreResult<Page<SyncJob>>;
    /// The queue: queued and running jobs by state and provider, and the oldest due one.
    async fn sync_stats(&self, now: i64) -> StoreResult<SyncStats>;
    /// One sync of an account (reading only).
    async fn sync_get(&self, account: AccountId, id: SyncId) -> StoreResult<Option<SyncJob>>;
    /// Ends every lease: running jobs (and webhook endpoints) can be claimed at once. Only for
    /// a node that knows no other node runs (the embedded backend, whose `serve` holds a lock
    /// on the database), so that a restart after a crash resumes its syncs and deliveries
    /// without waiting for their leases.
    /// Returns how many jobs were released.
    async fn sync_leases_end_all(&self, now: i64) -> StoreResult<u64>;
    /// Claims the next runnable job: queued and due, or running with an expired lease.
    async fn sync_claim(&self, claim: &SyncClaim) -> StoreResult<Option<SyncJob>>;
    /// Extends the lease of a running job; `LostLease` if it is no longer ours.
    async fn sync_renew(&self, renew: &SyncRenew<'_>) -> StoreResult<()>;
    /// Writes the pages fetched since the last checkpoint and the job's new cursor, all or
    /// nothing (`LostLease`, and nothing written, if the job is no longer ours). Checkpoints of
    /// several jobs may share a transaction; each job's part stands or falls on its own.
    async fn sync_checkpoint(&self, checkpoint: SyncCheckpoint) -> StoreResult<()>;
    /// Gives the job back to the queue until `run_after` (rate limits, retries, shutdown).
    async fn sync_release(&self, release: &SyncRelease<'_>) -> StoreResult<()>;
    /// Ends the job; a full resync that covered its whole scope first marks what it did not see.
    async fn sync_finish(&self, finish: &SyncFinish<'_>) -> StoreResult<()>;

    // --- webhooks ---
    async fn webhook_insert(&self, webhook: &NewWebhook) -> StoreResult<()>;
    async fn webhook_list(&self, tenant: &Tenant) -> StoreResult<Vec<WebhookRecord>>;
    async fn webhook_get(
        &self,
        tenant: &Tenant,
        id: msgsync_core::WebhookId,
    ) -> StoreResult<Option<WebhookRecord>>;
    /// Deletes the webhook and its undelivered events: whether it existed.
    async fn webhook_delete(
        &self,
        tenant: &Tenant,
        id: msgsync_core::WebhookId,
    ) -> StoreResult<bool>;
    /// Replaces the signing secret: whether the webhook exists.
    async fn webhook_rotate(&self, rotation: &WebhookRotation<'_>) -> StoreResult<bool>;
    /// The webhook's most recent attempts, newest first, and how many events wait.
    async fn webhook_attempts(
        &self,
        id: msgsync_core::WebhookId,
        limit: u32,
    ) -> StoreResult<(Vec<AttemptRecord>, i64)>;
    /// Claims an endpoint whose oldest pending event is due, under a lease (engine only).
    async fn webhook_claim(&self, claim: &WebhookClaim<'_>) -> StoreResult<Option<WebhookRecord>>;
    /// The claimed endpoint's oldest pending event (engine only).
    async fn webhook_next_delivery(
        &self,
        webhook: &WebhookRecord,
    ) -> StoreResult<Option<DeliveryRecord>>;
    /// Records an attempt under the lease (engine only); `LostLease` once it is stale.
    async fn webhook_record_attempt(&self, attempt: &AttemptWrite<'_>) -> StoreResult<()>;
    /// Gives a claimed endpoint back (engine only).
    async fn webhook_release(&self, webhook: &WebhookRecord, worker: &str) -> StoreResult<()>;
    /// Forgets deliveries that ended before `before`: how many.
    async fn webhook_prune(&self, before: i64) -> StoreResult<u64>;
    /// Notified (one waiter, or the next to wait) when this process queued a delivery.
    fn webhook_queued(&self) -> std::sync::Arc<tokio::sync::Notify>;

    // --- other nodes ---
    /// The changes other nodes make, where the backend announces them (`None`: the embedded
    /// backend, which serves one node). Every subscriber sees every event after it subscribed.
    fn events(&self) -> Option<tokio::sync::broadcast::Receiver<StoreEvent>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_codes_are_told_apart_by_backend() {
        // SQLite: SQLITE_FULL, SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT (517), SQLITE_LOCKED.
        assert!(is_storage_full(Some("13")));
        assert!(is_busy(Some("5")) && is_busy(Some("517")) && is_busy(Some("6")));
        assert!(!is_busy(Some("13")) && !is_storage_full(Some("517")));
        // PostgreSQL: disk_full; five-character codes whose number has a SQLite code's low
        // byte (10245 is 0x2805, 10253 is 0x280D) are not SQLite's.
        assert!(is_storage_full(Some("53100")));
        assert!(!is_busy(Some("10245")) && !is_storage_full(Some("10253")));
        assert!(!is_busy(None) && !is_storage_full(None));
        // PostgreSQL: connection failures and a server shutting down or starting up.
        for code in ["08000", "08003", "08006", "08001", "57P01", "57P03"] {
            assert!(is_disconnected(Some(code)), "{code}");
        }
        // Not: a unique violation, a query cancel (57014), SQLite's codes.
        for code in ["23505", "57014", "53100", "8", "5"] {
            assert!(!is_disconnected(Some(code)), "{code}");
        }
        assert!(!is_disconnected(None));
    }

    #[test]
    fn connection_failures_are_unavailable() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        for e in [
            sqlx::Error::Io(io),
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
        ] {
            assert!(
                matches!(StoreError::from(e), StoreError::Unavailable(_)),
                "not unavailable"
            );
        }
        assert!(matches!(
            StoreError::from(sqlx::Error::RowNotFound),
            StoreError::Database(_)
        ));
    }
}
