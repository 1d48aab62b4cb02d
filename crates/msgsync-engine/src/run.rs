//! One run of one sync job: from the saved cursor to an outcome, a page at a time.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use msgsync_core::time::now_ms;
use msgsync_core::{ErrorKind, LinkedinProduct, ProviderKind};
use msgsync_providers::{
    ChatPage, ChatPageRequest, ConnectRequest, Credentials, MessagePageRequest, ProviderError,
    ProviderSession,
};
use msgsync_store::{
    AccountCredentialsUpdate, AccountRecord, JobState, PageWrite, ReconcileScope, StoreError,
    SyncCheckpoint, SyncFinish, SyncJob, SyncProgress, SyncRelease, SyncRenew,
};
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::cursor::{KnownActivity, SyncCursor};
use crate::failure::SyncFailure;
use crate::metrics::provider_label;
use crate::worker::Engine;

/// Provider round trips an `open` may take, in units of the provider timeout.
pub(crate) const OPEN_ROUND_TRIPS: u32 = 4;

/// How a run ends.
enum End {
    /// The sync reached an outcome (`Done` or `ChunkDone`).
    Finished(JobState),
    Failed(SyncFailure),
    /// Back to the queue until `run_after`: a rate limit or a retry after a transient failure,
    /// with the reason shown while the sync waits.
    Park {
        run_after: i64,
        attempts: u32,
        reason: Option<Reason>,
    },
    /// The database refused a write of the run (see [`Run::wait_for_storage`]).
    Storage(StoreError),
    /// The node is shutting down: back to the queue, due at once.
    Yield,
    /// The job is no longer ours (lease taken over, or the account was deleted).
    Lost,
}

impl From<StoreError> for End {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::LostLease => End::Lost,
            e => End::Storage(e),
        }
    }
}

/// Why a sync waits: an error type of the catalogue and a detail.
type Reason = (ErrorKind, String);

/// A full disk gets this many attempts (with the retry delay capped at `retry_max`, a minute
/// by default: about two hours) before the sync gives up; other database errors get the
/// provider's budget (`max_attempts`).
const STORAGE_FULL_ATTEMPTS: u32 = 120;

pub(crate) async fn run_job(engine: &Engine, job: SyncJob, shutdown: &CancellationToken) {
    // Instrumented, not entered: a guard held across `.await` would lend this span to
    // whatever else runs on the thread meanwhile (another account's sync, a request).
    let span = tracing::info_span!("sync", job = %job.id, account = %job.account_id, chunk = job.chunk_number);
    run_job_in_span(engine, job, shutdown)
        .instrument(span)
        .await
}

async fn run_job_in_span(engine: &Engine, job: SyncJob, shutdown: &CancellationToken) {
    tracing::info!(
        resumed = job.cursor.is_some(),
        partial = job.params.partial,
        chunk_size = job.params.chunk_size,
        "sync started"
    );
    let lost = CancellationToken::new();
    let heartbeat = tokio::spawn(
        heartbeat(
            engine.store.clone(),
            job.clone(),
            engine.node.clone(),
            engine.config.lease,
            engine.config.shared_database,
            lost.clone(),
        )
        .in_current_span(),
    );
    let mut run = Run::new(engine, job, shutdown, &lost);
    let end = match run.resume() {
        Ok(()) => run.execute().await,
        Err(e) => {
            // A position this version cannot read: end the sync visibly instead of letting
            // every node claim it and fail again.
            tracing::error!(error = %e, "the saved sync cursor is unreadable");
            End::Failed(SyncFailure::new(
                ErrorKind::UnexpectedError,
                "the sync's saved position could not be read; start a new resync",
            ))
        }
    };
    heartbeat.abort();
    if let Err(e) = run.conclude(end).await {
        // The lease runs out and the job is claimed again: nothing is lost but time.
        tracing::error!(error = %e, "recording the end of a sync failed");
    }
    // After the end is recorded, so that a poll never finds neither the run nor its end.
    engine.live.remove(&run.job);
}

/// Renews the lease while the job runs; cancels `lost` when the job is no longer ours, and, in
/// a cluster, when the lease could not be renewed before it ran out: another node may hold the
/// job by then, and a run that goes on would only spend the provider's patience on pages whose
/// writes are refused.
async fn heartbeat(
    store: Arc<dyn msgsync_store::Store>,
    job: SyncJob,
    worker: String,
    lease: Duration,
    shared: bool,
    lost: CancellationToken,
) {
    let mut failing = false;
    // When the lease last surely ran to (the claim, or the last renewal that succeeded).
    let mut held_until = tokio::time::Instant::now() + lease;
    loop {
        tokio::time::sleep(lease / 3).await;
        let renew = SyncRenew {
            job: &job,
            worker: &worker,
            now: now_ms(),
            lease_ms: lease.as_millis() as i64,
        };
        let asked = tokio::time::Instant::now();
        match store.sync_renew(&renew).await {
            Ok(()) => {
                failing = false;
                held_until = asked + lease;
            }
            Err(StoreError::LostLease) => {
                lost.cancel();
                return;
            }
            Err(e) => {
                if shared && tokio::time::Instant::now() >= held_until {
                    tracing::warn!(
                        error = %e,
                        "the lease could not be renewed before it ran out: the sync stops here \
                         and goes on wherever it is claimed next"
                    );
                    lost.cancel();
                    return;
                }
                // Said once while it lasts (the run reports a failing database itself).
                if failing {
                    tracing::debug!(error = %e, "renewing a sync lease still fails");
                } else {
                    tracing::warn!(error = %e, "renewing a sync lease failed");
                    failing = true;
                }
            }
        }
    }
}

struct Run<'a> {
    engine: &'a Engine,
    job: SyncJob,
    shutdown: &'a CancellationToken,
    lost: &'a CancellationToken,
    cursor: SyncCursor,
    progress: SyncProgress,
    /// Consecutive failed provider requests.
    attempts: u32,
    /// The chat page the cursor points into, once fetched: (inbox, page cursor, page). Shared,
    /// so that walking its chats does not copy it for every chat.
    chat_page: Option<(usize, Option<String>, Arc<ChatPage>)>,
    /// The write in flight, with the progress it records. Pages are written while the next
    /// ones are fetched; a write is awaited before the next one starts and before the run's
    /// end is recorded, so writes stay in order and a failed write is never skipped.
    write: Option<Write>,
    /// Pages fetched while a write was in flight, for the next write, and their share of the
    /// node's buffer (held until their write lands).
    pending: Vec<PageWrite>,
    pending_share: Option<OwnedSemaphorePermit>,
    /// Whether the cursor moved since the last write.
    unsaved: bool,
    /// The account's provider, once the run has read the account (a metrics label).
    provider: Option<ProviderKind>,
    /// The account's `updated_at` as this run last saw or wrote it: credentials the provider
    /// changed are stored only while nobody else changed the account (`None`: not any more).
    account_version: Option<i64>,
}

/// A write in flight: the progress it records, and the buffer share of its pages.
struct Write {
    task: JoinHandle<Result<(), StoreError>>,
    started: std::time::Instant,
    messages: usize,
    progress: SyncProgress,
    now: i64,
    _share: Option<OwnedSemaphorePermit>,
}

/// The most messages one write carries: bounds how long one transaction holds the writer.
const MAX_WRITE_MESSAGES: usize = 5_000;

impl<'a> Run<'a> {
    fn new(
        engine: &'a Engine,
        job: SyncJob,
        shutdown: &'a CancellationToken,
        lost: &'a CancellationToken,
    ) -> Self {
        Self {
            engine,
            progress: job.progress(),
            attempts: u32::try_from(job.attempts).unwrap_or(0),
            job,
            shutdown,
            lost,
            cursor: SyncCursor::default(),
            chat_page: None,
            write: None,
            pending: Vec::new(),
            pending_share: None,
            unsaved: false,
            provider: None,
            account_version: None,
        }
    }

    /// Picks up the position the job saved with its last page.
    fn resume(&mut self) -> Result<(), serde_json::Error> {
        self.cursor = SyncCursor::decode(self.job.cursor.as_deref())?;
        Ok(())
    }

    async fn execute(&mut self) -> End {
        let end = match self.walk().await {
            Ok(state) => End::Finished(state),
            Err(end) => end,
        };
        // What was fetched is written before the end is recorded; if it could not be, that
        // decides the end (the job was lost, or it is retried from the last written page).
        let written = match self.flush().await {
            Ok(()) => self.settle().await,
            Err(failed) => Err(failed),
        };
        let end = match written {
            Ok(()) => end,
            Err(failed) => failed,
        };
        match end {
            End::Storage(e) => self.wait_for_storage(e).await,
            end => end,
        }
    }

    /// The database refused a write: the pages since the last saved one are dropped (the run
    /// goes on from the saved position later), and the run waits for the database, with the
    /// retry delays of provider failures, showing why to polls. A small write (the lease's
    /// renewal) probes it; once that succeeds, the sync goes back to the queue, due at once.
    /// A full disk is waited for longer than other errors; past its budget the sync ends with
    /// `SYNC_ERROR` (`unexpected_error`). In a cluster, an unreachable database is waited for
    /// until the lease lapses (the heartbeat then ends the run): the sync is not this node's to
    /// fail, another node that still reaches the database takes it over. Said once in the log,
    /// and once when it recovers.
    async fn wait_for_storage(&mut self, first: StoreError) -> End {
        let full = matches!(first, StoreError::StorageFull(_));
        let until_lease_lapses =
            self.engine.config.shared_database && matches!(first, StoreError::Unavailable(_));
        let cfg = &self.engine.config;
        let budget = if full {
            cfg.max_attempts.max(STORAGE_FULL_ATTEMPTS)
        } else {
            cfg.max_attempts
        };
        let reason = |e: &StoreError| -> Reason {
            let kind = if full {
                ErrorKind::ServiceUnavailable
            } else {
                ErrorKind::UnexpectedError
            };
            (
                kind,
                format!("the sync's last page could not be saved: {e}"),
            )
        };
        tracing::warn!(error = %first, "the database refused a page of the sync; the sync waits for it");
        self.engine.metrics.storage_wait();
        let mut error = first;
        let mut attempts = self.attempts;
        loop {
            attempts += 1;
            if attempts > budget && !until_lease_lapses {
                tracing::error!(error = %error, attempts, "giving up: the database keeps failing");
                return End::Failed(SyncFailure::new(
                    ErrorKind::UnexpectedError,
                    format!("the database failed {attempts} times in a row: {error}"),
                ));
            }
            let delay = cfg.retry_delay(attempts);
            let due = now_ms() + delay.as_millis() as i64;
            let (kind, detail) = reason(&error);
            self.engine
                .live
                .retrying(&self.job, i64::from(attempts), kind.type_uri(), detail, due);
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = self.shutdown.cancelled() => return End::Yield,
                () = self.lost.cancelled() => return End::Lost,
            }
            let probe = SyncRenew {
                job: &self.job,
                worker: &self.engine.node,
                now: now_ms(),
                lease_ms: cfg.lease.as_millis() as i64,
            };
            match self.engine.store.sync_renew(&probe).await {
                Ok(()) => {
                    tracing::info!(
                        attempts,
                        "the database accepts writes again; the sync resumes"
                    );
                    return End::Park {
                        run_after: now_ms(),
                        attempts,
                        reason: Some(reason(&error)),
                    };
                }
                Err(StoreError::LostLease) => return End::Lost,
                Err(e) => {
                    tracing::debug!(error = %e, attempts, "the database still refuses writes");
                    error = e;
                }
            }
        }
    }

    async fn open_session(&mut self) -> Result<(AccountRecord, Box<dyn ProviderSession>), End> {
        let store = &self.engine.store;
        let Some(account) = store.account_find(self.job.account_id).await? else {
            return Err(End::Lost);
        };
        self.provider = Some(account.provider);
        // From here on, polls of this sync are answered by this run (see `crate::live`).
        let mut listed = self.job.clone();
        listed.set_progress(self.progress);
        self.engine.live.insert(account.clone(), listed);
        let Some(connector) = self.engine.connectors.get(account.provider, account.mode) else {
            return Err(End::Failed(SyncFailure::new(
                ErrorKind::FeatureNotImplemented,
                format!("msgsync has no connector for {} accounts", account.provider),
            )));
        };
        let raw = store
            .account_credentials(account.id)
            .await?
            .ok_or(End::Lost)?;
        let credentials: Credentials = serde_json::from_slice(&raw).map_err(|_| {
            End::Failed(SyncFailure::new(
                ErrorKind::UnexpectedError,
                "the stored credentials of this account are unreadable; reconnect it",
            ))
        })?;
        let request = ConnectRequest {
            account_id: account.id,
            provider: account.provider,
            credentials,
        };
        // Opening a session is several round trips (connect, handshake, identity), each of
        // which the connector bounds by itself; this is the outer safety net.
        let timeout = self.engine.config.provider_timeout * OPEN_ROUND_TRIPS;
        let session = self.call_within(timeout, connector.open(&request)).await?;
        self.account_version = Some(account.updated_at);
        self.keep_credentials(session.as_ref()).await;
        Ok((account, session))
    }

    /// Stores the credentials the provider changed during the session (the cookies LinkedIn
    /// sets), unless the account was changed meanwhile (a reconnect wins). A failed write is
    /// only logged: the old credentials still hold, and the next change is tried again.
    async fn keep_credentials(&mut self, session: &dyn ProviderSession) {
        let Some(version) = self.account_version else {
            return;
        };
        let Some(credentials) = session.take_updated_credentials() else {
            return;
        };
        let bytes = match serde_json::to_vec(&credentials) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "encoding updated credentials failed");
                return;
            }
        };
        let now = now_ms().max(version + 1);
        let update = AccountCredentialsUpdate {
            id: self.job.account_id,
            credentials: bytes,
            expected_updated_at: version,
            now,
        };
        match self.engine.store.account_credentials_update(&update).await {
            Ok(true) => {
                tracing::debug!("the provider's updated credentials were stored");
                self.account_version = Some(now);
                self.engine.live.account_updated(&self.job, now);
            }
            Ok(false) => {
                tracing::info!("the account changed during the sync; the provider's updated credentials are not stored");
                self.account_version = None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "storing the provider's updated credentials failed")
            }
        }
    }

    /// Incremental syncs over everything (`partial`, no span): the activity up to which every
    /// chat of the inbox is already stored whole, for the connector to stop at
    /// (`ChatPageRequest::known_activity_ms`). Taken from what the last resync that walked the
    /// inbox whole saw, never from the newest chat stored: a full resync that was interrupted
    /// stored the newest chats but not the older ones. A sync with a span asks for that span in
    /// full.
    async fn known_activity(&mut self, inbox: Option<LinkedinProduct>) -> Result<Option<i64>, End> {
        let params = &self.job.params;
        if !params.partial || params.span.after.is_some() || params.span.before.is_some() {
            return Ok(None);
        }
        if let Some(known) = self.cursor.known.filter(|k| k.inbox == self.cursor.inbox) {
            return Ok(known.activity_ms);
        }
        let activity_ms = self
            .engine
            .store
            .inbox_complete_through(self.job.account_id, inbox)
            .await?;
        self.cursor.known = Some(KnownActivity {
            inbox: self.cursor.inbox,
            activity_ms,
        });
        Ok(activity_ms)
    }

    /// The inboxes this sync walks, in order.
    fn inboxes(&self, account: &AccountRecord) -> Vec<Option<LinkedinProduct>> {
        if account.provider != ProviderKind::Linkedin {
            return vec![None];
        }
        match self.job.params.linkedin_product {
            Some(product) => vec![Some(product)],
            None => account
                .linkedin_products
                .clone()
                .unwrap_or_else(|| vec![LinkedinProduct::Classic])
                .into_iter()
                .map(Some)
                .collect(),
        }
    }

    async fn walk(&mut self) -> Result<JobState, End> {
        let (account, session) = self.open_session().await?;
        let inboxes = self.inboxes(&account);
        let span = self.job.params.span;
        let cfg = &self.engine.config;
        loop {
            if self.shutdown.is_cancelled() {
                return Err(End::Yield);
            }
            let Some(&inbox) = inboxes.get(self.cursor.inbox) else {
                return Ok(JobState::Done);
            };
            let page = self.current_chat_page(session.as_ref(), inbox).await?;
            // A chat older than the span's start ends the walk of this inbox: nothing after it
            // can have messages in the span.
            let chat = page
                .chats
                .get(self.cursor.chat_index)
                .filter(|c| span.after.is_none_or(|a| c.last_activity_ms >= a))
                .cloned();
            let Some(chat) = chat else {
                // Either the page is used up (go on with the next one, unless the provider
                // repeats a cursor), or the next chat is older than the span: the inbox is done.
                let exhausted = self.cursor.chat_index >= page.chats.len();
                let next = page
                    .next_cursor
                    .clone()
                    .filter(|n| exhausted && Some(n) != self.cursor.chat_page.as_ref());
                match next {
                    Some(next) => self.cursor.chat_page = Some(next),
                    None => {
                        self.cursor.inbox += 1;
                        self.cursor.chat_page = None;
                    }
                }
                self.cursor.chat_index = 0;
                self.cursor.message_cursor = None;
                self.chat_page = None;
                self.checkpoint(None).await?;
                continue;
            };
            if self.cursor.message_cursor.is_none()
                && self
                    .job
                    .params
                    .chunk_size
                    .is_some_and(|n| self.progress.chunk_chats >= i64::from(n))
            {
                return Ok(JobState::ChunkDone);
            }
            let request = MessagePageRequest {
                inbox,
                chat_provider_id: chat.provider_id.clone(),
                chat_provider_ref: chat.provider_ref.clone(),
                cursor: self.cursor.message_cursor.clone(),
                span,
                limit: cfg.message_page_size,
            };
            let mut messages = self.call(session.messages_page(&request)).await?;
            if let (None, Some(total)) = (&request.cursor, messages.total) {
                // A chat's first page: its count joins those of the chats visited before.
                let sum = self.progress.messages_total.unwrap_or(0);
                self.progress.messages_total = Some(sum.saturating_add(saturating_i64(total)));
            }
            self.engine
                .metrics
                .messages_page(self.provider_label(), messages.messages.len());
            self.keep_credentials(session.as_ref()).await;
            messages.messages.retain(|m| span.contains(m.timestamp_ms));
            match messages.next_cursor {
                Some(next) if Some(&next) != self.cursor.message_cursor.as_ref() => {
                    self.cursor.message_cursor = Some(next);
                }
                _ => {
                    self.cursor.message_cursor = None;
                    self.cursor.chat_index += 1;
                    self.progress.chats_synced += 1;
                    self.progress.chunk_chats += 1;
                }
            }
            self.progress.messages_synced += messages.messages.len() as i64;
            self.checkpoint(Some(PageWrite {
                chat,
                messages: messages.messages,
                attendees: messages.attendees,
            }))
            .await?;
        }
    }

    /// The chat page the cursor points into, fetched once per page.
    async fn current_chat_page(
        &mut self,
        session: &dyn ProviderSession,
        inbox: Option<LinkedinProduct>,
    ) -> Result<Arc<ChatPage>, End> {
        if let Some((i, c, page)) = &self.chat_page {
            if *i == self.cursor.inbox && *c == self.cursor.chat_page {
                return Ok(page.clone());
            }
        }
        let request = ChatPageRequest {
            inbox,
            cursor: self.cursor.chat_page.clone(),
            span: self.job.params.span,
            limit: self.engine.config.chat_page_size,
            known_activity_ms: self.known_activity(inbox).await?,
        };
        let page = Arc::new(self.call(session.chats_page(&request)).await?);
        if request.cursor.is_none() && page.total.is_some() {
            // The count of the whole listing, as its first page gives it.
            self.progress.chats_total = page.total.map(saturating_i64);
        }
        self.engine.metrics.chats_page(self.provider_label());
        self.keep_credentials(session).await;
        self.chat_page = Some((
            self.cursor.inbox,
            self.cursor.chat_page.clone(),
            page.clone(),
        ));
        Ok(page)
    }

    /// One provider request, bounded by the provider timeout and abandoned if the lease is lost.
    async fn call<T>(
        &mut self,
        request: impl Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, End> {
        self.call_within(self.engine.config.provider_timeout, request)
            .await
    }

    async fn call_within<T>(
        &mut self,
        timeout: Duration,
        request: impl Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, End> {
        let result = tokio::select! {
            r = tokio::time::timeout(timeout, request) => r.unwrap_or(Err(ProviderError::Timeout)),
            _ = self.lost.cancelled() => return Err(End::Lost),
        };
        result.map_err(|e| self.provider_failure(e))
    }

    fn provider_label(&self) -> &'static str {
        provider_label(self.provider)
    }

    fn provider_failure(&mut self, error: ProviderError) -> End {
        self.engine
            .metrics
            .provider_error(self.provider_label(), &error);
        let cfg = &self.engine.config;
        match error {
            ProviderError::RateLimited { retry_after } => {
                tracing::info!(?retry_after, "rate limited: parking the sync");
                End::Park {
                    run_after: now_ms() + retry_after.as_millis() as i64,
                    attempts: self.attempts,
                    reason: Some((ErrorKind::ProviderError, error.to_string())),
                }
            }
            e if e.is_retryable() => {
                let attempts = self.attempts + 1;
                if attempts >= cfg.max_attempts {
                    tracing::warn!(error = %e, attempts, "giving up after repeated failures");
                    End::Failed(SyncFailure::from_provider(&e))
                } else {
                    let delay = cfg.retry_delay(attempts);
                    tracing::info!(error = %e, attempts, ?delay, "transient failure: retrying later");
                    End::Park {
                        run_after: now_ms() + delay.as_millis() as i64,
                        attempts,
                        reason: Some((SyncFailure::from_provider(&e).kind, e.to_string())),
                    }
                }
            }
            e => {
                tracing::warn!(error = %e, "sync failed");
                End::Failed(SyncFailure::from_provider(&e))
            }
        }
    }

    /// Records a fetched page (or, without one, a move of the cursor). It is written at once
    /// if the database is idle; while the previous write is still in flight the run goes on
    /// fetching, and the next write carries every page fetched meanwhile in one transaction:
    /// a slower database gets larger transactions instead of holding the fetching back.
    async fn checkpoint(&mut self, page: Option<PageWrite>) -> Result<(), End> {
        self.unsaved = true;
        let busy = self.write.as_ref().is_some_and(|w| !w.task.is_finished());
        if let Some(page) = page {
            // Pages waiting for the database share one bound across all runs, so that many
            // runs outpacing a busy database cannot fill the memory; a page that finds no room
            // (or an idle database) is written now.
            let room = busy
                .then(|| {
                    let n = u32::try_from(page.messages.len()).unwrap_or(u32::MAX);
                    self.engine
                        .write_buffer
                        .clone()
                        .try_acquire_many_owned(n)
                        .ok()
                })
                .flatten();
            self.pending.push(page);
            let Some(room) = room else {
                return self.flush().await;
            };
            match &mut self.pending_share {
                Some(held) => held.merge(room),
                None => self.pending_share = Some(room),
            }
        }
        let pending_messages: usize = self.pending.iter().map(|p| p.messages.len()).sum();
        if busy && pending_messages < MAX_WRITE_MESSAGES {
            return Ok(());
        }
        self.flush().await
    }

    /// Starts writing the pending pages with the cursor after them, once the previous write
    /// has landed.
    async fn flush(&mut self) -> Result<(), End> {
        if !self.unsaved {
            return Ok(());
        }
        self.settle().await?;
        let store = self.engine.store.clone();
        let job = self.job.clone();
        let worker = self.engine.node.clone();
        let cursor = self.cursor.encode();
        let progress = self.progress;
        let now = now_ms();
        let lease_ms = self.engine.config.lease.as_millis() as i64;
        let pages = std::mem::take(&mut self.pending);
        let messages = pages.iter().map(|p| p.messages.len()).sum();
        let share = self.pending_share.take();
        self.unsaved = false;
        let write = tokio::spawn(
            async move {
                store
                    .sync_checkpoint(SyncCheckpoint {
                        job,
                        worker,
                        now,
                        lease_ms,
                        cursor,
                        progress,
                        pages,
                    })
                    .await
            }
            .in_current_span(),
        );
        self.write = Some(Write {
            task: write,
            started: std::time::Instant::now(),
            messages,
            progress,
            now,
            _share: share,
        });
        Ok(())
    }

    /// Waits for the page write in flight, if any.
    async fn settle(&mut self) -> Result<(), End> {
        let Some(write) = self.write.take() else {
            return Ok(());
        };
        let failed = match write.task.await {
            Ok(Ok(())) => {
                self.engine
                    .metrics
                    .checkpoint(write.started.elapsed().as_secs_f64(), write.messages);
                self.engine
                    .live
                    .progress(&self.job, write.progress, write.now);
                self.attempts = 0;
                return Ok(());
            }
            Ok(Err(e)) => e.into(),
            Err(e) => {
                // The write task panicked: nothing of that page is known to be written.
                tracing::error!(error = %e, "a page write failed unexpectedly");
                End::Storage(StoreError::Unavailable(format!(
                    "the page write failed: {e}"
                )))
            }
        };
        // Nothing fetched after the failed write may be written: its cursor lies beyond pages
        // that are not in the database. The run goes on later from the last saved position.
        self.pending.clear();
        self.pending_share = None;
        self.unsaved = false;
        Err(failed)
    }

    /// Counts an outcome written to the database.
    fn record_outcome(&self, outcome: &str, now: i64) {
        let seconds = (now - self.job.created_at).max(0) as f64 / 1000.0;
        self.engine
            .metrics
            .sync_ended(self.provider_label(), outcome, seconds);
    }

    /// Records how the run ended.
    async fn conclude(&self, end: End) -> Result<(), StoreError> {
        let store = &self.engine.store;
        let worker = &self.engine.node;
        let now = now_ms();
        let cursor = self.cursor.encode();
        let finish = |state, error: Option<&SyncFailure>| SyncFinish {
            job: &self.job,
            worker,
            now,
            state,
            progress: self.progress,
            cursor: Some(&cursor),
            error: error.map(|f| (f.kind.type_uri(), f.detail.clone())),
            reconcile: None,
            account_state: error.and_then(|f| f.account_state),
        };
        let release = |run_after, attempts: u32, reason: Option<Reason>| SyncRelease {
            job: &self.job,
            worker,
            now,
            run_after,
            attempts: i64::from(attempts),
            reason: reason.map(|(kind, detail)| (kind.type_uri(), detail)),
        };
        let result = match end {
            End::Finished(state) => {
                let reconcile = (state == JobState::Done && !self.job.params.partial).then_some(
                    ReconcileScope {
                        span: self.job.params.span,
                        inbox: self.job.params.linkedin_product,
                    },
                );
                let written = store
                    .sync_finish(&SyncFinish {
                        reconcile,
                        ..finish(state, None)
                    })
                    .await;
                if written.is_ok() {
                    self.record_outcome(state.as_str(), now);
                    tracing::info!(
                        state = state.as_str(),
                        chats = self.progress.chats_synced,
                        messages = self.progress.messages_synced,
                        "sync finished"
                    );
                }
                written
            }
            End::Failed(failure) => {
                let written = store
                    .sync_finish(&finish(JobState::Error, Some(&failure)))
                    .await;
                if written.is_ok() {
                    self.record_outcome(JobState::Error.as_str(), now);
                }
                written
            }
            End::Park {
                run_after,
                attempts,
                reason,
            } => {
                store
                    .sync_release(&release(run_after, attempts, reason))
                    .await
            }
            // `execute` waits out storage errors; one that reaches here is retried at once.
            End::Storage(_) => store.sync_release(&release(now, self.attempts, None)).await,
            End::Yield => store.sync_release(&release(now, self.attempts, None)).await,
            End::Lost => {
                self.say_lost().await;
                Ok(())
            }
        };
        match result {
            // The job was taken from this run while it ended (its token is stale): the end
            // this run saw is not recorded, and the run that holds the job goes on.
            Err(StoreError::LostLease) => {
                self.say_lost().await;
                Ok(())
            }
            other => other,
        }
    }

    /// Says why the job is no longer this run's.
    async fn say_lost(&self) {
        match self.engine.store.account_find(self.job.account_id).await {
            Ok(None) => tracing::info!("the account was deleted: the sync stops"),
            Ok(Some(_)) => tracing::info!("another run holds this sync now: this one stops"),
            Err(e) => tracing::info!(
                error = %e,
                "the sync's lease lapsed while the database was unreachable: this run stops, \
                 and the sync goes on wherever it is claimed next"
            ),
        }
    }
}

fn saturating_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
