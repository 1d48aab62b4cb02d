//! The PostgreSQL backend, which several nodes share.
//!
//! The database is the queue, the lock service and the source of truth: every node holds a pool
//! of connections, and what the SQLite backend gets from its one writer connection (the state
//! machine's read-then-write running alone, one claim at a time) comes here from the database:
//! the partial unique index `sync_jobs_one_open`, conditional updates whose row counts are
//! checked, `FOR UPDATE SKIP LOCKED` claims, and the fencing token of every run.

mod accounts;
mod attendees;
mod checkpoint;
mod content;
mod jobs;
mod keys;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use msgsync_core::{
    AccountId, AccountState, AttendeeId, ChatId, LinkedinProduct, MessageId, SyncId,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::common::{listings, messages, webhooks};
use crate::*;
use msgsync_core::time::now_ms;
use msgsync_core::WebhookId;
use sqlx::Postgres;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per node: the engine's workers and the API's requests share them (one is held by
/// the listener of other nodes' changes).
const MAX_CONNECTIONS: u32 = 16;

/// How long a query waits for a connection, and how long opening one may take: past this the
/// database counts as unreachable (`Unavailable`) rather than slow.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The `settings` row holding the master key's check value.
const KEY_CHECK: &str = "key_check";

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    cipher: CredentialCipher,
    /// What the database announces on the channels of `0002_notify.sql`.
    events: tokio::sync::broadcast::Sender<StoreEvent>,
    /// Told when a write of this process queued webhook deliveries (other nodes hear of
    /// theirs through `msgsync_webhooks`).
    webhook_queued: std::sync::Arc<tokio::sync::Notify>,
}

/// Events a slow subscriber may fall behind by before it misses some (and is told so).
const EVENT_BACKLOG: usize = 1024;

/// How long the listener waits before it connects again after failing to.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

impl PgStore {
    /// Wakes a delivery worker if a write queued deliveries.
    fn told(&self, queued: usize) {
        if queued > 0 {
            self.webhook_queued.notify_one();
        }
    }

    /// Connects to the database at `url` (`postgres://…`), applies the migrations, and checks
    /// that the database's credentials were written with `cipher`'s key (the first node to open
    /// a new database records its key's check value): `KeyMismatch` if not.
    pub async fn open(url: &str, cipher: CredentialCipher) -> StoreResult<PgStore> {
        let options = Self::connect_options(url)?;
        // A pool reports a server it cannot reach only as a timeout of its own; one connection
        // first says why (refused, unknown host, no such database, authentication).
        match tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&options)).await {
            Ok(first) => first?.close().await?,
            Err(_) => {
                return Err(StoreError::Unavailable(format!(
                    "no answer from the database server within {} s",
                    ACQUIRE_TIMEOUT.as_secs()
                )))
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        // Nodes starting together serialize here: sqlx's migrator takes an advisory lock.
        if let Err(e) = MIGRATOR.run(&pool).await {
            pool.close().await;
            return Err(sqlx::Error::from(e).into());
        }
        let (events, _) = tokio::sync::broadcast::channel(EVENT_BACKLOG);
        let store = PgStore {
            pool,
            cipher,
            events,
            webhook_queued: Default::default(),
        };
        if let Err(e) = store.check_key().await {
            store.close().await;
            return Err(e);
        }
        tokio::spawn(listen(store.pool.clone(), store.events.clone()));
        Ok(store)
    }

    async fn check_key(&self) -> StoreResult<()> {
        let mine = self.cipher.key_check();
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(KEY_CHECK)
        .bind(&mine[..])
        .execute(&self.pool)
        .await?;
        let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
            .bind(KEY_CHECK)
            .fetch_one(&self.pool)
            .await?;
        if stored != mine {
            return Err(StoreError::KeyMismatch);
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// How every connection of the store to the database at `url` is opened.
    ///
    /// A node paused or cut off in the middle of a transaction (SIGSTOP, a partition) would keep
    /// the rows it locked, its job among them, for as long as its connection lives, and claims
    /// skip locked rows: no other node could take the job over when its lease runs out. The
    /// server ends such a session after [`IDLE_IN_TRANSACTION`], which rolls it back.
    pub fn connect_options(url: &str) -> StoreResult<PgConnectOptions> {
        let idle = format!("{}ms", IDLE_IN_TRANSACTION.as_millis());
        Ok(PgConnectOptions::from_str(url)?
            .options([("idle_in_transaction_session_timeout", idle.as_str())]))
    }
}

/// How long a transaction of the store may wait for its node between two statements: every one
/// is a handful of statements sent back to back, so a longer wait means the node stalled.
const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(5);

/// Relays the database's notifications to the store's subscribers until the pool closes. On a
/// lost connection sqlx's listener connects again on its next receive; what was announced
/// meanwhile is lost, which the nodes' polling covers.
async fn listen(pool: PgPool, events: tokio::sync::broadcast::Sender<StoreEvent>) {
    let mut listener: Option<sqlx::postgres::PgListener> = None;
    let mut failing = false;
    while !pool.is_closed() {
        let result = match listener.as_mut() {
            Some(listener) => listener.recv().await.map(Some),
            None => match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(mut new) => match new
                    .listen_all(["msgsync_jobs", "msgsync_accounts", "msgsync_webhooks"])
                    .await
                {
                    Ok(()) => {
                        listener = Some(new);
                        Ok(None)
                    }
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(Some(notification)) => {
                failing = false;
                let event = match notification.channel() {
                    "msgsync_jobs" => Some(StoreEvent::JobQueued),
                    "msgsync_webhooks" => Some(StoreEvent::WebhookQueued),
                    "msgsync_accounts" => notification
                        .payload()
                        .parse()
                        .ok()
                        .map(StoreEvent::AccountChanged),
                    _ => None,
                };
                if let Some(event) = event {
                    // No subscriber yet is no error: nothing waits for it.
                    let _ = events.send(event);
                }
            }
            Ok(None) => failing = false,
            Err(_) if pool.is_closed() => return,
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "listening for other nodes' changes fails; polling covers it meanwhile");
                    failing = true;
                }
                listener = None;
                tokio::time::sleep(LISTEN_RETRY).await;
            }
        }
    }
}

#[async_trait]
impl Store for PgStore {
    fn events(&self) -> Option<tokio::sync::broadcast::Receiver<StoreEvent>> {
        Some(self.events.subscribe())
    }

    async fn api_key_insert(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        keys::insert(&self.pool, key).await
    }

    async fn api_key_get(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        keys::get(&self.pool, id).await
    }

    async fn api_key_list(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        keys::list(&self.pool).await
    }

    async fn api_key_revoke(&self, id: &str, now: i64) -> StoreResult<bool> {
        keys::revoke(&self.pool, id, now).await
    }

    async fn account_insert(&self, account: &NewAccount) -> StoreResult<AccountRecord> {
        let (record, queued) = accounts::insert(&self.pool, &self.cipher, account).await?;
        self.told(queued);
        Ok(record)
    }

    async fn account_get(
        &self,
        tenant: &Tenant,
        id: AccountId,
    ) -> StoreResult<Option<AccountRecord>> {
        accounts::get(&self.pool, tenant, id).await
    }

    async fn account_list(
        &self,
        tenant: &Tenant,
        page: &PageRequest,
    ) -> StoreResult<Page<AccountRecord>> {
        accounts::list(&self.pool, tenant, page).await
    }

    async fn account_delete(&self, tenant: &Tenant, id: AccountId) -> StoreResult<bool> {
        let (deleted, queued) = accounts::delete(&self.pool, tenant, id, now_ms()).await?;
        self.told(queued);
        Ok(deleted)
    }

    async fn account_reconnect(&self, id: AccountId, update: &AccountReconnect) -> StoreResult<()> {
        let queued = accounts::reconnect(&self.pool, &self.cipher, id, update).await?;
        self.told(queued);
        Ok(())
    }

    async fn account_set_state(
        &self,
        id: AccountId,
        state: AccountState,
        now: i64,
    ) -> StoreResult<()> {
        let queued = accounts::set_state(&self.pool, id, state, now).await?;
        self.told(queued);
        Ok(())
    }

    async fn account_find(&self, id: AccountId) -> StoreResult<Option<AccountRecord>> {
        accounts::find(&self.pool, id).await
    }

    async fn account_credentials(&self, id: AccountId) -> StoreResult<Option<Vec<u8>>> {
        accounts::credentials(&self.pool, &self.cipher, id).await
    }

    async fn account_credentials_update(
        &self,
        update: &AccountCredentialsUpdate,
    ) -> StoreResult<bool> {
        accounts::credentials_update(&self.pool, &self.cipher, update).await
    }

    async fn chat_list(&self, tenant: &Tenant, query: &ChatQuery) -> StoreResult<Page<ChatRecord>> {
        listings::chats(&self.pool, tenant, query).await
    }

    async fn chat_get(&self, tenant: &Tenant, id: ChatId) -> StoreResult<Option<ChatRecord>> {
        content::chat_get(&self.pool, tenant, id).await
    }

    async fn message_list(
        &self,
        chat: &ChatRecord,
        query: &MessageQuery,
    ) -> StoreResult<Page<MessageRecord>> {
        messages::list(&self.pool, chat, query).await
    }

    async fn message_search(
        &self,
        tenant: &Tenant,
        search: &MessageSearch,
    ) -> StoreResult<Page<MessageRecord>> {
        messages::search(&self.pool, tenant, search).await
    }

    async fn message_get(
        &self,
        tenant: &Tenant,
        id: MessageId,
    ) -> StoreResult<Option<MessageRecord>> {
        messages::get(&self.pool, tenant, id).await
    }

    async fn message_last(&self, chat: &ChatRecord) -> StoreResult<Option<MessageRecord>> {
        messages::last(&self.pool, chat).await
    }

    async fn attendee_list(
        &self,
        tenant: &Tenant,
        query: &AttendeeQuery,
    ) -> StoreResult<Page<AttendeeRecord>> {
        listings::attendees(&self.pool, tenant, query).await
    }

    async fn attendee_get(
        &self,
        tenant: &Tenant,
        id: AttendeeId,
    ) -> StoreResult<Option<AttendeeRecord>> {
        attendees::get(&self.pool, tenant, id).await
    }

    async fn attendee_list_of_chat(&self, chat: &ChatRecord) -> StoreResult<Vec<AttendeeRecord>> {
        attendees::list_of_chat(&self.pool, chat).await
    }

    async fn chat_list_of_attendee(
        &self,
        attendee: &AttendeeRecord,
        page: &PageRequest,
    ) -> StoreResult<Page<ChatRecord>> {
        attendees::chats_of(&self.pool, attendee, page).await
    }

    async fn sync_request(&self, request: &SyncRequest) -> StoreResult<SyncRequestResult> {
        jobs::request(&self.pool, request).await
    }

    async fn sync_latest(&self, account: AccountId) -> StoreResult<Option<SyncJob>> {
        jobs::latest(&self.pool, account).await
    }

    async fn inbox_complete_through(
        &self,
        account: AccountId,
        inbox: Option<LinkedinProduct>,
    ) -> StoreResult<Option<i64>> {
        jobs::inbox_complete_through(&self.pool, account, inbox).await
    }

    async fn sync_list(
        &self,
        account: AccountId,
        page: &PageRequest,
    ) -> StoreResult<Page<SyncJob>> {
        jobs::list(&self.pool, account, page).await
    }

    async fn sync_stats(&self, now: i64) -> StoreResult<SyncStats> {
        jobs::stats(&self.pool, now).await
    }

    async fn sync_get(&self, account: AccountId, id: SyncId) -> StoreResult<Option<SyncJob>> {
        jobs::get(&self.pool, account, id).await
    }

    async fn sync_leases_end_all(&self, now: i64) -> StoreResult<u64> {
        jobs::end_all_leases(&self.pool, now).await
    }

    async fn sync_claim(&self, claim: &SyncClaim) -> StoreResult<Option<SyncJob>> {
        jobs::claim(&self.pool, claim).await
    }

    async fn sync_renew(&self, renew: &SyncRenew<'_>) -> StoreResult<()> {
        jobs::renew(&self.pool, renew).await
    }

    async fn sync_checkpoint(&self, mut checkpoint: SyncCheckpoint) -> StoreResult<()> {
        checkpoint.replace_nul();
        let queued = checkpoint::write(&self.pool, &checkpoint).await?;
        self.told(queued);
        Ok(())
    }

    async fn sync_release(&self, release: &SyncRelease<'_>) -> StoreResult<()> {
        jobs::release(&self.pool, release).await
    }

    async fn sync_finish(&self, finish: &SyncFinish<'_>) -> StoreResult<()> {
        let queued = jobs::finish(&self.pool, finish).await?;
        self.told(queued);
        Ok(())
    }

    async fn webhook_insert(&self, webhook: &NewWebhook) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        webhooks::insert::<Postgres>(&mut tx, &self.cipher, webhook).await?;
        Ok(tx.commit().await?)
    }

    async fn webhook_list(&self, tenant: &Tenant) -> StoreResult<Vec<WebhookRecord>> {
        webhooks::list(&self.pool, &self.cipher, tenant).await
    }

    async fn webhook_get(
        &self,
        tenant: &Tenant,
        id: WebhookId,
    ) -> StoreResult<Option<WebhookRecord>> {
        webhooks::get(&self.pool, &self.cipher, tenant, id).await
    }

    async fn webhook_delete(&self, tenant: &Tenant, id: WebhookId) -> StoreResult<bool> {
        let mut conn = self.pool.acquire().await?;
        webhooks::delete::<Postgres>(&mut conn, tenant, id).await
    }

    async fn webhook_rotate(&self, rotation: &WebhookRotation<'_>) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let rotated = webhooks::rotate::<Postgres>(&mut tx, &self.cipher, rotation).await?;
        tx.commit().await?;
        Ok(rotated)
    }

    async fn webhook_attempts(
        &self,
        id: WebhookId,
        limit: u32,
    ) -> StoreResult<(Vec<AttemptRecord>, i64)> {
        webhooks::attempts(&self.pool, id, limit).await
    }

    async fn webhook_claim(&self, claim: &WebhookClaim<'_>) -> StoreResult<Option<WebhookRecord>> {
        // One statement: its row locks end with it.
        let mut conn = self.pool.acquire().await?;
        webhooks::claim::<Postgres>(&mut conn, &self.cipher, claim).await
    }

    async fn webhook_next_delivery(
        &self,
        webhook: &WebhookRecord,
    ) -> StoreResult<Option<DeliveryRecord>> {
        webhooks::next_delivery(&self.pool, webhook).await
    }

    async fn webhook_record_attempt(&self, attempt: &AttemptWrite<'_>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        webhooks::record_attempt::<Postgres>(&mut tx, attempt).await?;
        Ok(tx.commit().await?)
    }

    async fn webhook_release(&self, webhook: &WebhookRecord, worker: &str) -> StoreResult<()> {
        webhooks::release(&self.pool, webhook, worker).await
    }

    async fn webhook_prune(&self, before: i64) -> StoreResult<u64> {
        let mut conn = self.pool.acquire().await?;
        webhooks::prune::<Postgres>(&mut conn, before).await
    }

    fn webhook_queued(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.webhook_queued.clone()
    }
}
