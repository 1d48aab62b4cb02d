use std::collections::HashMap;
use std::sync::Arc;

use msgsync_core::{ApiKeyMode, ProviderKind};

use crate::Connector;

/// The connectors msgsync has, by provider and mode (live accounts or sandbox accounts).
#[derive(Default, Clone)]
pub struct Connectors {
    by_key: HashMap<(ProviderKind, ApiKeyMode), Arc<dyn Connector>>,
}

impl Connectors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, mode: ApiKeyMode, connector: Arc<dyn Connector>) {
        self.by_key.insert((connector.provider(), mode), connector);
    }

    pub fn get(&self, provider: ProviderKind, mode: ApiKeyMode) -> Option<&Arc<dyn Connector>> {
        self.by_key.get(&(provider, mode))
    }
}
