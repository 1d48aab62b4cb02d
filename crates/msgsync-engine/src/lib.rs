//! The sync engine: sync jobs from parameters to pages to upserts.
//!
//! The sync-job table is both what the resync route reports and the work queue. Workers of this
//! node claim due jobs under a lease, walk chats (newest first) and their messages (newest page
//! first) through the account's provider session, and write every page together with the job's
//! cursor in one transaction, so that a crash costs at most one page. Provider errors are typed:
//! rate limits and retries park the job until it is due again instead of holding a worker.

mod config;
mod cursor;
mod failure;
mod live;
mod metrics;
mod on_demand;
mod recent;
mod run;
mod service;
#[cfg(test)]
mod test_records;
mod webhooks;
mod worker;

pub use config::EngineConfig;
pub use cursor::SyncCursor;
pub use metrics::EngineMetrics;
pub use on_demand::CallError;
pub use recent::RECENT_TTL;
pub use service::{Resync, SyncServiceError, LIVE_RECHECK_MS};
pub use webhooks::{render as render_webhook, WebhookConfig, WebhookDelivery};
pub use worker::Engine;
