//! The in-process sandbox connectors and the hub they share.
//!
//! The hub keeps what must outlive one session: the anchor the data hangs from, the data sets
//! (built once per scenario) and the request counters that drive faults.

mod paging;
mod session;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use msgsync_core::{AccountId, ApiError, LinkedinProduct, ProviderKind};
use msgsync_providers::{
    AccountProfile, ConnectRequest, Connector, Credentials, ProviderError, ProviderSession,
};

use crate::generator::Dataset;
use crate::scenario::Scenario;
use session::{FaultState, SandboxSession};

const DAY_MS: i64 = 86_400_000;

/// At most this many data sets are kept; the least recently used goes first. Sessions hold
/// their own reference, so an eviction never disturbs a running sync.
const MAX_CACHED_DATASETS: usize = 16;

/// What the data of a scenario depends on: latency and faults do not change it, so scenarios
/// differing only in those share one data set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DataKey {
    provider: ProviderKind,
    chats: u32,
    messages: u32,
    seed: u64,
    span_days: u32,
    products: Vec<LinkedinProduct>,
}

impl DataKey {
    fn new(provider: ProviderKind, s: &Scenario) -> DataKey {
        DataKey {
            provider,
            chats: s.chats,
            messages: s.messages,
            seed: s.seed,
            span_days: s.span_days,
            products: match provider {
                ProviderKind::Linkedin => {
                    let mut products = s.products.clone();
                    products.sort();
                    products.dedup();
                    products
                }
                _ => Vec::new(),
            },
        }
    }
}

#[derive(Default)]
struct DatasetCache {
    entries: HashMap<DataKey, (Arc<Dataset>, u64)>,
    clock: u64,
}

struct HubInner {
    anchor_ms: i64,
    datasets: Mutex<DatasetCache>,
    /// Requests served, per account and secret; only scenarios with a fault get one.
    counters: Mutex<HashMap<(AccountId, String), Arc<AtomicU64>>>,
}

/// The sandbox's shared state; cheap to clone (all clones share it).
#[derive(Clone)]
pub struct SandboxHub {
    inner: Arc<HubInner>,
}

impl Default for SandboxHub {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for SandboxHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxHub")
            .field("anchor_ms", &self.inner.anchor_ms)
            .finish_non_exhaustive()
    }
}

impl SandboxHub {
    /// A hub anchored at the start of the current UTC day: the data is the same all day long
    /// and across restarts on the same day.
    pub fn new() -> SandboxHub {
        let now = msgsync_core::time::now_ms();
        Self::with_anchor(now - now.rem_euclid(DAY_MS))
    }

    /// A hub whose data spans end at `anchor_ms` (exclusive).
    pub fn with_anchor(anchor_ms: i64) -> SandboxHub {
        SandboxHub {
            inner: Arc::new(HubInner {
                anchor_ms,
                datasets: Mutex::new(DatasetCache::default()),
                counters: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn anchor_ms(&self) -> i64 {
        self.inner.anchor_ms
    }

    /// The data set of a scenario, built on first use and then cached.
    pub fn dataset(&self, provider: ProviderKind, scenario: &Scenario) -> Arc<Dataset> {
        let key = DataKey::new(provider, scenario);
        if let Some(hit) = self.cached(&key) {
            return hit;
        }
        // Built outside the lock; if another caller raced us, the first one stored wins.
        let built = Arc::new(Dataset::new(provider, scenario, self.inner.anchor_ms));
        let mut cache = self.lock_datasets();
        cache.clock += 1;
        let clock = cache.clock;
        let entry = cache.entries.entry(key).or_insert((built, clock));
        entry.1 = clock;
        let dataset = entry.0.clone();
        while cache.entries.len() > MAX_CACHED_DATASETS {
            let oldest = cache
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => cache.entries.remove(&k),
                None => break,
            };
        }
        dataset
    }

    fn lock_datasets(&self) -> std::sync::MutexGuard<'_, DatasetCache> {
        self.inner
            .datasets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn cached(&self, key: &DataKey) -> Option<Arc<Dataset>> {
        let mut cache = self.lock_datasets();
        cache.clock += 1;
        let clock = cache.clock;
        cache.entries.get_mut(key).map(|(dataset, used)| {
            *used = clock;
            dataset.clone()
        })
    }

    fn counter(&self, account: AccountId, secret: &str) -> Arc<AtomicU64> {
        let mut counters = self
            .inner
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counters
            .entry((account, secret.to_string()))
            .or_default()
            .clone()
    }

    /// The sandbox connectors: LinkedIn and Telegram.
    pub fn connectors(&self) -> Vec<Arc<dyn Connector>> {
        [ProviderKind::Linkedin, ProviderKind::Telegram]
            .into_iter()
            .map(|provider| {
                Arc::new(SandboxConnector {
                    hub: self.clone(),
                    provider,
                }) as Arc<dyn Connector>
            })
            .collect()
    }
}

/// The in-process connector of one provider for sandbox accounts.
struct SandboxConnector {
    hub: SandboxHub,
    provider: ProviderKind,
}

#[async_trait]
impl Connector for SandboxConnector {
    fn provider(&self) -> ProviderKind {
        self.provider
    }

    fn check_credentials(&self, credentials: &Credentials) -> Result<AccountProfile, ApiError> {
        crate::credentials::check(self.provider, credentials)
    }

    async fn open(
        &self,
        request: &ConnectRequest,
    ) -> Result<Box<dyn ProviderSession>, ProviderError> {
        let scenario = crate::credentials::scenario(self.provider, &request.credentials)?;
        let dataset = match self.hub.cached(&DataKey::new(self.provider, &scenario)) {
            Some(dataset) => dataset,
            None => {
                // A large scenario takes a while to index: keep it off the async workers.
                let (hub, provider, s) = (self.hub.clone(), self.provider, scenario.clone());
                tokio::task::spawn_blocking(move || hub.dataset(provider, &s))
                    .await
                    .map_err(|e| {
                        ProviderError::Transient(format!("sandbox data generation failed: {e}"))
                    })?
            }
        };
        let fault = scenario.fault.map(|fault| FaultState {
            fault,
            after: scenario.fault_after,
            served: self
                .hub
                .counter(request.account_id, &request.credentials.secret),
        });
        Ok(Box::new(SandboxSession {
            dataset,
            latency: Duration::from_millis(scenario.latency_ms),
            fault,
        }))
    }
}

#[cfg(test)]
mod tests;
