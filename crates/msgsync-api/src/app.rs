use std::ops::Deref;
use std::sync::Arc;

use msgsync_engine::Engine;
use msgsync_store::Store;

/// Everything a handler needs, built once at start-up.
pub struct App {
    pub store: Arc<dyn Store>,
    pub engine: Arc<Engine>,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
