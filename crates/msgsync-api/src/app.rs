use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use msgsync_engine::Engine;
use msgsync_store::Store;

use crate::auth::KeyCache;
use crate::metrics::HttpMetrics;

/// How long an API key read from the database is trusted: the longest a key revoked from the
/// CLI keeps working.
const KEY_TTL: Duration = Duration::from_secs(1);

/// Everything a handler needs, built once at start-up.
pub struct App {
    pub store: Arc<dyn Store>,
    pub engine: Arc<Engine>,
    pub keys: KeyCache,
    pub metrics: HttpMetrics,
    /// `/metrics` has an address of its own (`MSGSYNC_METRICS_LISTEN`), not the API's.
    pub metrics_elsewhere: bool,
    /// Which webhook targets a registration may name.
    pub webhook_policy: msgsync_webhooks::TargetPolicy,
}

impl App {
    pub fn new(store: Arc<dyn Store>, engine: Arc<Engine>) -> Self {
        let metrics = HttpMetrics::new(engine.registry())
            .expect("the HTTP metrics' names are distinct from the engine's");
        Self {
            store,
            engine,
            keys: KeyCache::new(KEY_TTL),
            metrics,
            metrics_elsewhere: false,
            webhook_policy: msgsync_webhooks::TargetPolicy {
                allow_private: false,
            },
        }
    }

    /// `/metrics` is served on an address of its own, not on the API's.
    /// Lets webhooks target private, loopback and link-local addresses
    /// (`MSGSYNC_WEBHOOK_ALLOW_PRIVATE`).
    pub fn with_webhook_policy(self, webhook_policy: msgsync_webhooks::TargetPolicy) -> Self {
        Self {
            webhook_policy,
            ..self
        }
    }

    pub fn with_metrics_elsewhere(self) -> Self {
        Self {
            metrics_elsewhere: true,
            ..self
        }
    }
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
