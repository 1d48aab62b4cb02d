//! Configuration from the environment (CONTRACT §2).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use msgsync_api::HttpLimits;
use msgsync_engine::EngineConfig;
use msgsync_providers::linkedin::LinkedinConfig;

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Where `/metrics` is served alone, besides the API address.
    pub metrics_listen: Option<SocketAddr>,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub sandbox: bool,
    /// The instant sandbox data ends at (`MSGSYNC_SANDBOX_EPOCH`); `None`: the start of the
    /// current UTC day.
    pub sandbox_epoch: Option<i64>,
    pub engine: EngineConfig,
    /// The HTTP server's limits; `max_connections` is `None` until the file-descriptor limit
    /// is known (see `serve`).
    pub http: HttpLimits,
    pub http_max_connections: Option<usize>,
    /// Live LinkedIn: base URL and GraphQL query ids (their hashes change when LinkedIn
    /// redeploys), pacing.
    pub linkedin: LinkedinConfig,
    /// Live Telegram: the app's `api_id` and `api_hash`.
    pub telegram_app: Option<(i32, String)>,
    /// Webhook delivery (CONTRACT §7).
    pub webhooks: msgsync_engine::WebhookConfig,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_var<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    var(name)
        .map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|e| anyhow::anyhow!("{name}=`{v}` is invalid: {e}"))
        })
        .transpose()
}

fn millis(name: &str) -> anyhow::Result<Option<Duration>> {
    Ok(parse_var::<u64>(name)?.map(Duration::from_millis))
}

impl Config {
    pub fn from_env() -> anyhow::Result<Config> {
        let listen = var("MSGSYNC_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen.parse().with_context(|| {
            format!("MSGSYNC_LISTEN=`{listen}` is not an address like 127.0.0.1:8080")
        })?;
        let metrics_listen = var("MSGSYNC_METRICS_LISTEN")
            .map(|raw| {
                raw.parse::<SocketAddr>().with_context(|| {
                    format!("MSGSYNC_METRICS_LISTEN=`{raw}` is not an address like 127.0.0.1:9090")
                })
            })
            .transpose()?;
        let data_dir =
            PathBuf::from(var("MSGSYNC_DATA_DIR").unwrap_or_else(|| "./data".to_owned()));
        let database_url = match var("MSGSYNC_DATABASE_URL") {
            Some(url) => url,
            None => format!("sqlite://{}", data_dir.join("msgsync.db").display()),
        };
        let sandbox = match var("MSGSYNC_SANDBOX").as_deref() {
            None | Some("on") | Some("true") | Some("1") => true,
            Some("off") | Some("false") | Some("0") => false,
            Some(other) => bail!("MSGSYNC_SANDBOX=`{other}`: expected on or off"),
        };
        let sandbox_epoch = var("MSGSYNC_SANDBOX_EPOCH")
            .map(|raw| {
                msgsync_core::time::parse_instant(&raw).with_context(|| {
                    format!(
                        "MSGSYNC_SANDBOX_EPOCH=`{raw}`: expected a date (2026-01-01), an ISO 8601 \
                         instant or epoch milliseconds"
                    )
                })
            })
            .transpose()?;
        let mut engine = EngineConfig::default();
        if let Some(n) = parse_var("MSGSYNC_SYNC_WORKERS")? {
            engine.workers = n;
        }
        // CONTRACT §2 names the lease in seconds; the millisecond form is finer, for tests.
        if let Some(secs) = parse_var::<f64>("MSGSYNC_LEASE")? {
            if !(secs.is_finite() && (0.1..=86_400.0).contains(&secs)) {
                bail!("MSGSYNC_LEASE=`{secs}`: expected seconds between 0.1 and 86400");
            }
            engine.lease = Duration::from_secs_f64(secs);
        }
        if let Some(d) = millis("MSGSYNC_SYNC_LEASE_MS")? {
            engine.lease = d;
        }
        if let Some(d) = millis("MSGSYNC_PROVIDER_TIMEOUT_MS")? {
            engine.provider_timeout = d;
        }
        if let Some(d) = millis("MSGSYNC_RETRY_BASE_MS")? {
            engine.retry_base = d;
        }
        if let Some(d) = millis("MSGSYNC_RETRY_MAX_MS")? {
            engine.retry_max = d;
        }
        if let Some(n) = parse_var("MSGSYNC_RETRY_ATTEMPTS")? {
            engine.max_attempts = n;
        }
        if let Some(d) = millis("MSGSYNC_POLL_INTERVAL_MS")? {
            engine.poll_interval = d;
        }
        let mut http = HttpLimits::default();
        if let Some(d) = millis("MSGSYNC_HTTP_HEADER_TIMEOUT_MS")? {
            http.header_timeout = d;
        }
        if let Some(n) = parse_var("MSGSYNC_HTTP_MAX_HEADERS")? {
            http.max_headers = n;
        }
        if let Some(n) = parse_var("MSGSYNC_HTTP_MAX_HEAD_BYTES")? {
            http.max_head_bytes = n;
        }
        let http_max_connections = parse_var("MSGSYNC_HTTP_MAX_CONNECTIONS")?;
        let mut linkedin = LinkedinConfig::default();
        if let Some(url) = var("MSGSYNC_LINKEDIN_BASE_URL") {
            linkedin.base_url = url;
        }
        if let Some(id) = var("MSGSYNC_LINKEDIN_CONVERSATIONS_QUERY_ID") {
            linkedin.conversations_query_id = id;
        }
        if let Some(id) = var("MSGSYNC_LINKEDIN_MESSAGES_QUERY_ID") {
            linkedin.messages_query_id = id;
        }
        if let Some(id) = var("MSGSYNC_LINKEDIN_MESSAGES_BY_CURSOR_QUERY_ID") {
            linkedin.messages_by_cursor_query_id = id;
        }
        linkedin.discover_query_ids = match var("MSGSYNC_LINKEDIN_QUERY_ID_DISCOVERY").as_deref() {
            None | Some("on") | Some("true") | Some("1") => true,
            Some("off") | Some("false") | Some("0") => false,
            Some(other) => {
                bail!("MSGSYNC_LINKEDIN_QUERY_ID_DISCOVERY=`{other}`: expected on or off")
            }
        };
        if let Some(d) = millis("MSGSYNC_LINKEDIN_MIN_DELAY_MS")? {
            linkedin.min_delay = d;
        }
        if let Some(d) = millis("MSGSYNC_LINKEDIN_MAX_DELAY_MS")? {
            linkedin.max_delay = d;
        }
        let mut webhooks = msgsync_engine::WebhookConfig::default();
        webhooks.http.policy.allow_private = match var("MSGSYNC_WEBHOOK_ALLOW_PRIVATE").as_deref() {
            None | Some("off") | Some("false") | Some("0") => false,
            Some("on") | Some("true") | Some("1") => true,
            Some(other) => bail!("MSGSYNC_WEBHOOK_ALLOW_PRIVATE=`{other}`: expected true or false"),
        };
        if let Some(raw) = var("MSGSYNC_WEBHOOK_RETRY_SCHEDULE") {
            webhooks.schedule = msgsync_webhooks::RetrySchedule::parse(&raw)
                .map_err(|e| anyhow::anyhow!("MSGSYNC_WEBHOOK_RETRY_SCHEDULE=`{raw}`: {e}"))?;
        }
        if let Some(d) = millis("MSGSYNC_WEBHOOK_TIMEOUT_MS")? {
            webhooks.http.timeout = d;
        }
        if let Some(n) = parse_var("MSGSYNC_WEBHOOK_WORKERS")? {
            webhooks.workers = n;
        }
        if let Some(d) = millis("MSGSYNC_WEBHOOK_LEASE_MS")? {
            webhooks.lease = d;
        }
        if let Some(d) = millis("MSGSYNC_WEBHOOK_POLL_INTERVAL_MS")? {
            webhooks.poll_interval = d;
        }
        let telegram_app = match (
            parse_var::<i32>("MSGSYNC_TELEGRAM_API_ID")?,
            var("MSGSYNC_TELEGRAM_API_HASH"),
        ) {
            (Some(id), Some(hash)) => Some((id, hash)),
            (None, None) => None,
            _ => {
                bail!("set both MSGSYNC_TELEGRAM_API_ID and MSGSYNC_TELEGRAM_API_HASH, or neither")
            }
        };
        Ok(Config {
            linkedin,
            telegram_app,
            listen,
            metrics_listen,
            data_dir,
            database_url,
            sandbox,
            sandbox_epoch,
            engine,
            http,
            http_max_connections,
            webhooks,
        })
    }
}
