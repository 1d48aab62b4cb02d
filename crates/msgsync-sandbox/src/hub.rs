//! The hub the simulators share: the anchor the data hangs from and the data sets, built once
//! per scenario.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use msgsync_core::{LinkedinProduct, ProviderKind};

use crate::generator::Dataset;
use crate::scenario::Scenario;

const DAY_MS: i64 = 86_400_000;

/// At most this many data sets are kept; the least recently used goes first. Whoever asked
/// for one holds its own reference, so an eviction never disturbs a request being served.
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

    fn lock_datasets(&self) -> MutexGuard<'_, DatasetCache> {
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
}

#[cfg(test)]
mod tests;
