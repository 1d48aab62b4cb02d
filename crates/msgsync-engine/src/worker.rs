//! The engine of one node: accepts resync requests and runs claimed jobs in background tasks.

use std::sync::Arc;

use msgsync_core::time::now_ms;
use msgsync_providers::Connectors;
use msgsync_store::{Store, StoreEvent, StoreResult, SyncClaim, SyncRequest, SyncRequestResult};
use tokio::sync::{broadcast, Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::EngineConfig;
use crate::live::LiveSyncs;
use crate::metrics::EngineMetrics;
use crate::recent::RecentPolls;
use crate::run::run_job;

/// How many fetched messages may wait for the database on one node: enough for runs to keep
/// fetching while a write is in flight, small enough for memory (a few kilobytes each with
/// their provider JSON: ~60 MB more peak RSS measured with 200 LinkedIn accounts at once).
const WRITE_BUFFER_MESSAGES: usize = 20_000;

pub struct Engine {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) connectors: Connectors,
    pub(crate) config: EngineConfig,
    /// This node's name in job leases.
    pub(crate) node: String,
    /// The syncs running here, for polls (see [`crate::live`]).
    pub(crate) live: LiveSyncs,
    /// In a cluster, syncs of other nodes as last read (see [`crate::recent`]).
    pub(crate) recent: RecentPolls,
    /// Messages fetched and waiting for the database, across all runs (see `Run::checkpoint`).
    pub(crate) write_buffer: Arc<Semaphore>,
    /// Where every metric of this node is registered (the API adds its own).
    registry: prometheus::Registry,
    pub(crate) metrics: EngineMetrics,
    wake: Notify,
}

impl Engine {
    /// This node's name in leases (sync jobs and webhooks).
    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn new(store: Arc<dyn Store>, connectors: Connectors, config: EngineConfig) -> Arc<Self> {
        let registry = prometheus::Registry::new();
        let metrics =
            EngineMetrics::new(&registry).expect("the engine's metrics have distinct names");
        Arc::new(Self {
            registry,
            metrics,
            store,
            connectors,
            config,
            node: format!("node-{}", ulid::Ulid::new()),
            live: LiveSyncs::default(),
            recent: RecentPolls::default(),
            write_buffer: Arc::new(Semaphore::new(WRITE_BUFFER_MESSAGES)),
            wake: Notify::new(),
        })
    }

    /// The registry of this node's metrics.
    pub fn registry(&self) -> &prometheus::Registry {
        &self.registry
    }

    pub fn connectors(&self) -> &Connectors {
        &self.connectors
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Runs the resync state machine for one request and wakes a worker when a sync starts.
    pub(crate) async fn request_sync(
        &self,
        request: &SyncRequest,
    ) -> StoreResult<SyncRequestResult> {
        let result = self.store.sync_request(request).await?;
        if matches!(result, SyncRequestResult::Started(_)) {
            self.wake.notify_one();
        }
        Ok(result)
    }

    /// Claims and runs jobs until `shutdown` fires. Then running syncs stop at their next page
    /// boundary (their cursor is saved with every page) and go back to the queue; whatever has
    /// not stopped after the grace period is cut, and its lease lets another run take it over.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let slots = Arc::new(Semaphore::new(self.config.workers.max(1)));
        let mut tasks = JoinSet::new();
        let events = self
            .store
            .events()
            .map(|events| tokio::spawn(self.clone().follow_other_nodes(events, shutdown.clone())));
        tracing::info!(node = %self.node, workers = self.config.workers, "sync engine started");
        // Claims fail together while the database does (a full disk): said once, and again
        // when they work.
        let mut claims_failing = false;
        loop {
            while tasks.try_join_next().is_some() {}
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                _ = shutdown.cancelled() => break,
            };
            let claim = SyncClaim {
                worker: self.node.clone(),
                now: now_ms(),
                lease_ms: self.config.lease.as_millis() as i64,
            };
            let claimed = self.store.sync_claim(&claim).await;
            match (&claimed, claims_failing) {
                (Ok(_), true) => {
                    tracing::info!("claiming sync jobs works again");
                    claims_failing = false;
                }
                (Err(e), false) => {
                    tracing::warn!(error = %e, "claiming sync jobs fails; retrying quietly");
                    claims_failing = true;
                }
                (Err(e), true) => tracing::debug!(error = %e, "claiming sync jobs still fails"),
                (Ok(_), false) => {}
            }
            if let Ok(Some(job)) = claimed {
                let engine = self.clone();
                let shutdown = shutdown.clone();
                tasks.spawn(async move {
                    run_job(&engine, job, &shutdown).await;
                    drop(slot);
                });
                continue;
            }
            drop(slot);
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = shutdown.cancelled() => break,
            }
        }
        let running = tasks.len();
        if running > 0 {
            tracing::info!(
                running,
                "stopping: waiting for running syncs to reach a page boundary"
            );
        }
        let drained = tokio::time::timeout(self.config.shutdown_grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                left = tasks.len(),
                "syncs did not stop in time; cutting them"
            );
            tasks.shutdown().await;
        }
        if let Some(events) = events {
            events.abort();
        }
        tracing::info!("sync engine stopped");
    }

    /// What other nodes announce through the database: a job to claim wakes a worker here at
    /// once, an account changed there is read again before a poll is answered from memory here.
    async fn follow_other_nodes(
        self: Arc<Self>,
        mut events: broadcast::Receiver<StoreEvent>,
        shutdown: CancellationToken,
    ) {
        loop {
            let event = tokio::select! {
                event = events.recv() => event,
                _ = shutdown.cancelled() => return,
            };
            match event {
                Ok(StoreEvent::JobQueued) => self.wake.notify_one(),
                Ok(StoreEvent::WebhookQueued) => self.store.webhook_queued().notify_one(),
                Ok(StoreEvent::AccountChanged(account)) => {
                    self.live.recheck(account);
                    self.recent.forget(account);
                }
                // Announcements were missed: whatever they said may have happened.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    self.live.forget_all();
                    self.recent.forget_all();
                    self.wake.notify_one();
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}
