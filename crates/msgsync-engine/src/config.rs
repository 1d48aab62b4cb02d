use std::time::Duration;

/// Tunables of the engine. Defaults suit live providers; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Syncs this node runs at once.
    pub workers: usize,
    /// How long a claimed job stays ours without a renewal (renewed every third of it): how
    /// long a dead node's syncs wait before another node takes them over.
    pub lease: Duration,
    /// How often an idle node looks for due jobs (new requests wake it at once).
    pub poll_interval: Duration,
    /// The longest a provider request may take before it counts as a timeout.
    pub provider_timeout: Duration,
    /// First retry delay after a transient failure; doubles with every failure, with jitter.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// Consecutive failures of one page before the sync ends with `SYNC_ERROR`.
    pub max_attempts: u32,
    /// Chats asked for per page.
    pub chat_page_size: u32,
    /// Messages asked for per page.
    pub message_page_size: u32,
    /// How long running syncs get to reach a page boundary at shutdown before they are cut.
    pub shutdown_grace: Duration,
    /// Whether other nodes work on the same database (a cluster on PostgreSQL): a run whose
    /// lease lapsed then stops, since another node may have taken its job over. Alone on the
    /// embedded database, a run waits for the database instead.
    pub shared_database: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            workers: 32,
            lease: Duration::from_secs(15),
            poll_interval: Duration::from_millis(250),
            provider_timeout: Duration::from_secs(30),
            retry_base: Duration::from_millis(500),
            retry_max: Duration::from_secs(60),
            max_attempts: 5,
            chat_page_size: 25,
            message_page_size: 100,
            shutdown_grace: Duration::from_secs(10),
            shared_database: false,
        }
    }
}

impl EngineConfig {
    /// The delay before retry number `attempt` (1-based): exponential, capped, with jitter in
    /// [50 %, 100 %] so that many failing syncs do not retry in step.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let exp = self
            .retry_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let capped = exp.min(self.retry_max);
        let jitter: f64 = rand::Rng::gen_range(&mut rand::thread_rng(), 0.5..=1.0);
        capped.mul_f64(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_and_is_capped() {
        let c = EngineConfig {
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_millis(1000),
            ..Default::default()
        };
        for attempt in 1..=10 {
            let d = c.retry_delay(attempt);
            let full = (100u64 << (attempt - 1)).min(1000);
            assert!(d >= Duration::from_millis(full / 2), "{attempt}: {d:?}");
            assert!(d <= Duration::from_millis(full), "{attempt}: {d:?}");
        }
    }
}
