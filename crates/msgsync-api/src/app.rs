use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use msgsync_engine::Engine;
use msgsync_store::Store;

use crate::auth::KeyCache;

/// How long an API key read from the database is trusted: the longest a key revoked from the
/// CLI keeps working.
const KEY_TTL: Duration = Duration::from_secs(1);

/// Everything a handler needs, built once at start-up.
pub struct App {
    pub store: Arc<dyn Store>,
    pub engine: Arc<Engine>,
    pub keys: KeyCache,
}

impl App {
    pub fn new(store: Arc<dyn Store>, engine: Arc<Engine>) -> Self {
        Self {
            store,
            engine,
            keys: KeyCache::new(KEY_TTL),
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
