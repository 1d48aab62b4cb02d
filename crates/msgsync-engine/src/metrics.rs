//! What the engine counts, for `GET /metrics` (Prometheus' text format). Label values come from
//! small fixed sets (providers, outcomes, error kinds): never an account or a sync id.

use msgsync_core::ProviderKind;
use msgsync_providers::ProviderError;
use prometheus::{
    exponential_buckets, Counter, CounterVec, Histogram, HistogramOpts, HistogramVec,
    IntCounterVec, Opts, Registry,
};

pub struct EngineMetrics {
    syncs: IntCounterVec,
    sync_duration: HistogramVec,
    pages: IntCounterVec,
    messages: IntCounterVec,
    provider_errors: IntCounterVec,
    rate_limit_wait: CounterVec,
    checkpoint_seconds: Histogram,
    checkpoint_messages: Histogram,
    storage_waits: Counter,
}

/// The provider label of a sync whose account was not read yet.
const UNKNOWN_PROVIDER: &str = "unknown";

pub(crate) fn provider_label(provider: Option<ProviderKind>) -> &'static str {
    provider.map_or(UNKNOWN_PROVIDER, ProviderKind::as_str)
}

fn error_kind(error: &ProviderError) -> &'static str {
    match error {
        ProviderError::RateLimited { .. } => "rate_limited",
        ProviderError::SessionExpired(_) => "expired",
        ProviderError::Deactivated(_) => "deactivated",
        ProviderError::Restricted(_) => "restricted",
        ProviderError::Unavailable(_) => "unavailable",
        ProviderError::Timeout => "timeout",
        ProviderError::Transient(_) => "transient",
        ProviderError::Protocol(_) => "protocol",
        ProviderError::NotSupported(_) => "not_supported",
    }
}

impl EngineMetrics {
    pub(crate) fn new(registry: &Registry) -> prometheus::Result<EngineMetrics> {
        let seconds = exponential_buckets(0.05, 4.0, 10)?;
        let metrics = EngineMetrics {
            syncs: IntCounterVec::new(
                Opts::new("msgsync_syncs_total", "Syncs that reached an outcome"),
                &["provider", "outcome"],
            )?,
            sync_duration: HistogramVec::new(
                HistogramOpts::new(
                    "msgsync_sync_duration_seconds",
                    "Time from a sync's start to its outcome",
                )
                .buckets(seconds),
                &["provider", "outcome"],
            )?,
            pages: IntCounterVec::new(
                Opts::new(
                    "msgsync_provider_pages_total",
                    "Pages fetched from providers, by kind (chats, messages)",
                ),
                &["provider", "kind"],
            )?,
            messages: IntCounterVec::new(
                Opts::new(
                    "msgsync_provider_messages_total",
                    "Messages fetched from providers",
                ),
                &["provider"],
            )?,
            provider_errors: IntCounterVec::new(
                Opts::new(
                    "msgsync_provider_errors_total",
                    "Failed provider requests of syncs, by kind",
                ),
                &["provider", "kind"],
            )?,
            rate_limit_wait: CounterVec::new(
                Opts::new(
                    "msgsync_rate_limit_wait_seconds_total",
                    "Time syncs were told to wait by providers' rate limits",
                ),
                &["provider"],
            )?,
            checkpoint_seconds: Histogram::with_opts(
                HistogramOpts::new(
                    "msgsync_checkpoint_write_seconds",
                    "Time a sync's checkpoint (its pages and cursor) took to be written",
                )
                .buckets(exponential_buckets(0.0005, 4.0, 10)?),
            )?,
            checkpoint_messages: Histogram::with_opts(
                HistogramOpts::new(
                    "msgsync_checkpoint_messages",
                    "Messages written by one checkpoint",
                )
                .buckets(exponential_buckets(1.0, 4.0, 8)?),
            )?,
            storage_waits: Counter::new(
                "msgsync_storage_waits_total",
                "Times a sync waited because the database refused a write",
            )?,
        };
        registry.register(Box::new(metrics.syncs.clone()))?;
        registry.register(Box::new(metrics.sync_duration.clone()))?;
        registry.register(Box::new(metrics.pages.clone()))?;
        registry.register(Box::new(metrics.messages.clone()))?;
        registry.register(Box::new(metrics.provider_errors.clone()))?;
        registry.register(Box::new(metrics.rate_limit_wait.clone()))?;
        registry.register(Box::new(metrics.checkpoint_seconds.clone()))?;
        registry.register(Box::new(metrics.checkpoint_messages.clone()))?;
        registry.register(Box::new(metrics.storage_waits.clone()))?;
        Ok(metrics)
    }

    pub(crate) fn sync_ended(&self, provider: &str, outcome: &str, seconds: f64) {
        self.syncs.with_label_values(&[provider, outcome]).inc();
        self.sync_duration
            .with_label_values(&[provider, outcome])
            .observe(seconds);
    }

    pub(crate) fn chats_page(&self, provider: &str) {
        self.pages.with_label_values(&[provider, "chats"]).inc();
    }

    pub(crate) fn messages_page(&self, provider: &str, messages: usize) {
        self.pages.with_label_values(&[provider, "messages"]).inc();
        self.messages
            .with_label_values(&[provider])
            .inc_by(messages as u64);
    }

    pub(crate) fn provider_error(&self, provider: &str, error: &ProviderError) {
        self.provider_errors
            .with_label_values(&[provider, error_kind(error)])
            .inc();
        if let ProviderError::RateLimited { retry_after } = error {
            self.rate_limit_wait
                .with_label_values(&[provider])
                .inc_by(retry_after.as_secs_f64());
        }
    }

    pub(crate) fn checkpoint(&self, seconds: f64, messages: usize) {
        self.checkpoint_seconds.observe(seconds);
        self.checkpoint_messages.observe(messages as f64);
    }

    pub(crate) fn storage_wait(&self) {
        self.storage_waits.inc();
    }
}
