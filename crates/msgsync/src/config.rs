//! Configuration from the environment (CONTRACT §2).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use msgsync_engine::EngineConfig;

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub sandbox: bool,
    pub engine: EngineConfig,
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
        let mut engine = EngineConfig::default();
        if let Some(n) = parse_var("MSGSYNC_SYNC_WORKERS")? {
            engine.workers = n;
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
        Ok(Config {
            listen,
            data_dir,
            database_url,
            sandbox,
            engine,
        })
    }
}
