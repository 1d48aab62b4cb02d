//! The embedded SQLite backend.
//!
//! One writer connection and a small pool of readers: SQLite allows one writer at a time, and
//! funnelling every write through one connection means transactions queue in the pool instead
//! of failing with `SQLITE_BUSY` on a lock upgrade. WAL mode lets readers run beside the writer.

mod accounts;
mod attendees;
mod content;
mod group_commit;
mod jobs;
mod keys;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use msgsync_core::{
    AccountId, AccountState, AttendeeId, ChatId, LinkedinProduct, MessageId, SyncId,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::common::{listings, messages, webhooks};
use crate::*;
use group_commit::GroupCommit;
use msgsync_core::time::now_ms;
use msgsync_core::WebhookId;
use sqlx::Sqlite;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Sync checkpoints, written in groups through `writer`.
    checkpoints: GroupCommit,
    cipher: CredentialCipher,
    /// Told when a write of this process queued webhook deliveries.
    webhook_queued: std::sync::Arc<tokio::sync::Notify>,
}

impl SqliteStore {
    /// Wakes a delivery worker if a write queued deliveries.
    fn told(&self, queued: usize) {
        if queued > 0 {
            self.webhook_queued.notify_one();
        }
    }

    /// Opens (creating if needed) the database at `url` (`sqlite://path` or a plain path) and
    /// applies the migrations.
    pub async fn open(url: &str, cipher: CredentialCipher) -> StoreResult<Self> {
        let options = Self::connect_options(url)?;
        create_private(options.get_filename())?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(15))
            .after_release(|conn, _| Box::pin(close_if_in_transaction(conn)))
            .connect_with(Self::writer_options(options.clone()))
            .await?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Database(e.into()))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(15))
            .connect_with(options)
            .await?;
        let webhook_queued = std::sync::Arc::new(tokio::sync::Notify::new());
        Ok(Self {
            checkpoints: GroupCommit::start(writer.clone(), webhook_queued.clone()),
            writer,
            reader,
            cipher,
            webhook_queued,
        })
    }

    /// How every connection to the database at `url` (`sqlite://path` or a plain path) is
    /// opened.
    pub fn connect_options(url: &str) -> StoreResult<SqliteConnectOptions> {
        let url = if url.starts_with("sqlite:") {
            url.to_owned()
        } else {
            format!("sqlite://{url}")
        };
        Ok(SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10)))
    }

    /// What the writer connection adds: a page cache of 64 MiB instead of SQLite's 2 MiB, so
    /// that the inner pages of the indexes a sync writes into stay in memory (with the default,
    /// `perf` showed the writer reading them back from the file for every batch). Readers keep
    /// the default: there are several of them, and the API reads little at a time. (A WAL
    /// checkpoint every 64 MiB instead of every 4 MiB measured no better: 1,000 accounts at
    /// once took 32.8–36.4 s against 32.9 s.)
    pub fn writer_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
        options.pragma("cache_size", "-65536")
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Starts a write transaction that holds SQLite's write lock from its start (`BEGIN
/// IMMEDIATE`). A deferred transaction takes its snapshot at its first read; if another process
/// on the same database (the CLI creating a key) commits before the transaction writes, that
/// write fails at once with `SQLITE_BUSY_SNAPSHOT` (517), which no busy timeout retries. With
/// the lock taken first, the transaction waits for the other process instead (busy timeout).
pub(crate) async fn begin_write(
    pool: &SqlitePool,
) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// Whether the writer connection may serve the next write: not if a transaction is still open
/// on it, by SQLite's account or by the driver's. A failed `COMMIT` (a full disk) can leave
/// SQLite's transaction open while the driver believes it ended; every later write on the
/// connection would then run inside it, be acknowledged and never be committed. Such a
/// connection is closed (SQLite rolls back what it held open) and the pool opens a fresh one.
async fn close_if_in_transaction(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::TransactionManager;
    let driver_depth = sqlx::sqlite::SqliteTransactionManager::get_transaction_depth(conn);
    // SQLite's own account: a ROLLBACK fails when no transaction is open.
    let sqlite_open = match sqlx::query("ROLLBACK").execute(&mut *conn).await {
        Err(sqlx::Error::Database(e)) if e.message().contains("no transaction is active") => false,
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(error = %e, "the writer connection is in doubt; it is replaced");
            return Ok(false);
        }
    };
    if sqlite_open || driver_depth > 0 {
        tracing::warn!(
            driver_depth,
            sqlite_open,
            "a write left a transaction open; its connection is replaced"
        );
        return Ok(false);
    }
    Ok(true)
}

/// Creates the database file, readable and writable by its owner only, before SQLite does: the
/// database holds message content, and SQLite gives its `-wal` and `-shm` files the mode of the
/// database file. An existing file is left as it is.
fn create_private(path: &std::path::Path) -> StoreResult<()> {
    if path.as_os_str().is_empty() || path == std::path::Path::new(":memory:") || path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process created it meanwhile: that one decided its mode.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Unavailable(format!(
            "creating the database file {}: {e}",
            path.display()
        ))),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn api_key_insert(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        keys::insert(&self.writer, key).await
    }

    async fn api_key_get(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        keys::get(&self.reader, id).await
    }

    async fn api_key_list(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        keys::list(&self.reader).await
    }

    async fn api_key_revoke(&self, id: &str, now: i64) -> StoreResult<bool> {
        keys::revoke(&self.writer, id, now).await
    }

    async fn account_insert(&self, account: &NewAccount) -> StoreResult<AccountRecord> {
        let (record, queued) = accounts::insert(&self.writer, &self.cipher, account).await?;
        self.told(queued);
        Ok(record)
    }

    async fn account_get(
        &self,
        tenant: &Tenant,
        id: AccountId,
    ) -> StoreResult<Option<AccountRecord>> {
        accounts::get(&self.reader, tenant, id).await
    }

    async fn account_list(
        &self,
        tenant: &Tenant,
        page: &PageRequest,
    ) -> StoreResult<Page<AccountRecord>> {
        accounts::list(&self.reader, tenant, page).await
    }

    async fn account_delete(&self, tenant: &Tenant, id: AccountId) -> StoreResult<bool> {
        let (deleted, queued) = accounts::delete(&self.writer, tenant, id, now_ms()).await?;
        self.told(queued);
        Ok(deleted)
    }

    async fn account_reconnect(&self, id: AccountId, update: &AccountReconnect) -> StoreResult<()> {
        let queued = accounts::reconnect(&self.writer, &self.cipher, id, update).await?;
        self.told(queued);
        Ok(())
    }

    async fn account_set_state(
        &self,
        id: AccountId,
        state: AccountState,
        now: i64,
    ) -> StoreResult<()> {
        let queued = accounts::set_state(&self.writer, id, state, now).await?;
        self.told(queued);
        Ok(())
    }

    async fn account_find(&self, id: AccountId) -> StoreResult<Option<AccountRecord>> {
        accounts::find(&self.reader, id).await
    }

    async fn account_credentials(&self, id: AccountId) -> StoreResult<Option<Vec<u8>>> {
        accounts::credentials(&self.reader, &self.cipher, id).await
    }

    async fn account_credentials_update(
        &self,
        update: &AccountCredentialsUpdate,
    ) -> StoreResult<bool> {
        accounts::credentials_update(&self.writer, &self.cipher, update).await
    }

    async fn chat_list(&self, tenant: &Tenant, query: &ChatQuery) -> StoreResult<Page<ChatRecord>> {
        listings::chats(&self.reader, tenant, query).await
    }

    async fn chat_get(&self, tenant: &Tenant, id: ChatId) -> StoreResult<Option<ChatRecord>> {
        content::chat_get(&self.reader, tenant, id).await
    }

    async fn message_list(
        &self,
        chat: &ChatRecord,
        query: &MessageQuery,
    ) -> StoreResult<Page<MessageRecord>> {
        messages::list(&self.reader, chat, query).await
    }

    async fn message_search(
        &self,
        tenant: &Tenant,
        search: &MessageSearch,
    ) -> StoreResult<Page<MessageRecord>> {
        messages::search(&self.reader, tenant, search).await
    }

    async fn message_get(
        &self,
        tenant: &Tenant,
        id: MessageId,
    ) -> StoreResult<Option<MessageRecord>> {
        messages::get(&self.reader, tenant, id).await
    }

    async fn message_last(&self, chat: &ChatRecord) -> StoreResult<Option<MessageRecord>> {
        messages::last(&self.reader, chat).await
    }

    async fn attendee_list(
        &self,
        tenant: &Tenant,
        query: &AttendeeQuery,
    ) -> StoreResult<Page<AttendeeRecord>> {
        listings::attendees(&self.reader, tenant, query).await
    }

    async fn attendee_get(
        &self,
        tenant: &Tenant,
        id: AttendeeId,
    ) -> StoreResult<Option<AttendeeRecord>> {
        attendees::get(&self.reader, tenant, id).await
    }

    async fn attendee_list_of_chat(&self, chat: &ChatRecord) -> StoreResult<Vec<AttendeeRecord>> {
        attendees::list_of_chat(&self.reader, chat).await
    }

    async fn chat_list_of_attendee(
        &self,
        attendee: &AttendeeRecord,
        page: &PageRequest,
    ) -> StoreResult<Page<ChatRecord>> {
        attendees::chats_of(&self.reader, attendee, page).await
    }

    async fn sync_request(&self, request: &SyncRequest) -> StoreResult<SyncRequestResult> {
        jobs::request(&self.reader, &self.writer, request).await
    }

    async fn sync_latest(&self, account: AccountId) -> StoreResult<Option<SyncJob>> {
        jobs::latest(&self.reader, account).await
    }

    async fn inbox_complete_through(
        &self,
        account: AccountId,
        inbox: Option<LinkedinProduct>,
    ) -> StoreResult<Option<i64>> {
        jobs::inbox_complete_through(&self.reader, account, inbox).await
    }

    async fn sync_list(
        &self,
        account: AccountId,
        page: &PageRequest,
    ) -> StoreResult<Page<SyncJob>> {
        jobs::list(&self.reader, account, page).await
    }

    async fn sync_stats(&self, now: i64) -> StoreResult<SyncStats> {
        jobs::stats(&self.reader, now).await
    }

    async fn sync_get(&self, account: AccountId, id: SyncId) -> StoreResult<Option<SyncJob>> {
        jobs::get(&self.reader, account, id).await
    }

    async fn sync_leases_end_all(&self, now: i64) -> StoreResult<u64> {
        jobs::end_all_leases(&self.writer, now).await
    }

    async fn sync_claim(&self, claim: &SyncClaim) -> StoreResult<Option<SyncJob>> {
        jobs::claim(&self.writer, claim).await
    }

    async fn sync_renew(&self, renew: &SyncRenew<'_>) -> StoreResult<()> {
        jobs::renew(&self.writer, renew).await
    }

    async fn sync_checkpoint(&self, mut checkpoint: SyncCheckpoint) -> StoreResult<()> {
        checkpoint.replace_nul();
        self.checkpoints.write(checkpoint).await
    }

    async fn sync_release(&self, release: &SyncRelease<'_>) -> StoreResult<()> {
        jobs::release(&self.writer, release).await
    }

    async fn sync_finish(&self, finish: &SyncFinish<'_>) -> StoreResult<()> {
        let queued = jobs::finish(&self.writer, finish).await?;
        self.told(queued);
        Ok(())
    }

    async fn webhook_insert(&self, webhook: &NewWebhook) -> StoreResult<()> {
        let mut tx = begin_write(&self.writer).await?;
        webhooks::insert::<Sqlite>(&mut tx, &self.cipher, webhook).await?;
        Ok(tx.commit().await?)
    }

    async fn webhook_list(&self, tenant: &Tenant) -> StoreResult<Vec<WebhookRecord>> {
        webhooks::list(&self.reader, &self.cipher, tenant).await
    }

    async fn webhook_get(
        &self,
        tenant: &Tenant,
        id: WebhookId,
    ) -> StoreResult<Option<WebhookRecord>> {
        webhooks::get(&self.reader, &self.cipher, tenant, id).await
    }

    async fn webhook_delete(&self, tenant: &Tenant, id: WebhookId) -> StoreResult<bool> {
        let mut tx = begin_write(&self.writer).await?;
        let deleted = webhooks::delete::<Sqlite>(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    async fn webhook_rotate(&self, rotation: &WebhookRotation<'_>) -> StoreResult<bool> {
        let mut tx = begin_write(&self.writer).await?;
        let rotated = webhooks::rotate::<Sqlite>(&mut tx, &self.cipher, rotation).await?;
        tx.commit().await?;
        Ok(rotated)
    }

    async fn webhook_attempts(
        &self,
        id: WebhookId,
        limit: u32,
    ) -> StoreResult<(Vec<AttemptRecord>, i64)> {
        webhooks::attempts(&self.reader, id, limit).await
    }

    async fn webhook_claim(&self, claim: &WebhookClaim<'_>) -> StoreResult<Option<WebhookRecord>> {
        let mut tx = begin_write(&self.writer).await?;
        let claimed = webhooks::claim::<Sqlite>(&mut tx, &self.cipher, claim).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    async fn webhook_next_delivery(
        &self,
        webhook: &WebhookRecord,
    ) -> StoreResult<Option<DeliveryRecord>> {
        webhooks::next_delivery(&self.reader, webhook).await
    }

    async fn webhook_record_attempt(&self, attempt: &AttemptWrite<'_>) -> StoreResult<()> {
        let mut tx = begin_write(&self.writer).await?;
        webhooks::record_attempt::<Sqlite>(&mut tx, attempt).await?;
        Ok(tx.commit().await?)
    }

    async fn webhook_release(&self, webhook: &WebhookRecord, worker: &str) -> StoreResult<()> {
        webhooks::release(&self.writer, webhook, worker).await
    }

    async fn webhook_prune(&self, before: i64) -> StoreResult<u64> {
        let mut tx = begin_write(&self.writer).await?;
        let pruned = webhooks::prune::<Sqlite>(&mut tx, before).await?;
        tx.commit().await?;
        Ok(pruned)
    }

    fn webhook_queued(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.webhook_queued.clone()
    }
}
