//! `msgsync serve`: wires the store, the connectors, the engine and the API, and runs them
//! until SIGTERM or SIGINT.

use std::sync::Arc;

use anyhow::{bail, Context};
use msgsync_api::{App, AppState};
use msgsync_core::ApiKeyMode;
use msgsync_engine::Engine;
use msgsync_providers::linkedin::{LinkedinConfig, LinkedinConnector};
use msgsync_providers::telegram::{TelegramConfig, TelegramConnector};
use msgsync_providers::Connectors;
use msgsync_store::{CredentialCipher, PgStore, SqliteStore, Store, StoreError};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::master_key;
use crate::sandbox::Sandbox;

/// The log filter when `MSGSYNC_LOG` is not set: msgsync's own events from INFO; the MTProto
/// library's chatter (salts, reconnections) only from WARN, since a sync reports what matters.
const DEFAULT_LOG_FILTER: &str =
    "info,sqlx=warn,grammers_mtproto=warn,grammers_mtsender=warn,grammers_client=warn";

fn init_logging() {
    use std::io::IsTerminal;
    let filter = std::env::var("MSGSYNC_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| DEFAULT_LOG_FILTER.to_owned());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr);
    // One JSON object a line for log shippers; colours only for a person at a terminal.
    let _ = match std::env::var("MSGSYNC_LOG_FORMAT").as_deref() {
        Ok("json") => builder.json().with_current_span(true).try_init(),
        _ => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

/// Opens the configured database (creating the data directory and the master key if needed).
pub async fn open_store() -> anyhow::Result<(Arc<dyn Store>, Config)> {
    let (store, config, _) = open_store_at().await?;
    Ok((store, config))
}

/// The database file of an embedded database URL.
fn sqlite_file(url: &str) -> anyhow::Result<std::path::PathBuf> {
    Ok(SqliteStore::connect_options(url)?.get_filename().to_owned())
}

/// Whether a database URL selects PostgreSQL (a cluster) rather than the embedded SQLite file.
fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens the store, and tells whether it is the embedded one.
async fn open_store_at() -> anyhow::Result<(Arc<dyn Store>, Config, bool)> {
    init_logging();
    let config = Config::from_env()?;
    private_dir(&config.data_dir)?;
    let url = config.database_url.as_str();
    if is_postgres(url) {
        // Every node must read what every other encrypted: one key for the cluster, given to
        // each node, never a key file of one node's own.
        let key = master_key::load_shared()?;
        let store = PgStore::open(url, CredentialCipher::new(&key))
            .await
            .map_err(|e| match e {
                StoreError::KeyMismatch => anyhow::anyhow!("{e}"),
                e => anyhow::anyhow!("opening the database {}: {e}", redact(url)),
            })?;
        return Ok((Arc::new(store), config, false));
    }
    let key = master_key::load(&config.data_dir)?;
    let store = SqliteStore::open(url, CredentialCipher::new(&key))
        .await
        .with_context(|| format!("opening the database {url}"))?;
    let db = sqlite_file(url)?;
    let files = ["", "-wal", "-shm"].map(|suffix| {
        let mut name = db.clone().into_os_string();
        name.push(suffix);
        std::path::PathBuf::from(name)
    });
    warn_if_readable_by_others(&[&config.data_dir, &files[0], &files[1], &files[2]]);
    Ok((Arc::new(store), config, true))
}

/// The embedded database serves one node: `serve` holds an exclusive lock beside the database
/// file for as long as it runs, so a second `serve` on the same database refuses to start (the
/// CLI's other commands do not take it). The lock goes with the process, however it ends.
fn lock_embedded_database(url: &str) -> anyhow::Result<std::fs::File> {
    let mut path = sqlite_file(url)?.into_os_string();
    path.push(".serve-lock");
    let path = std::path::PathBuf::from(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another msgsync serve is running on this database ({} is locked); \
             the embedded database serves one node",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// Creates the data directory (and its parents) for its owner only: it holds the database and
/// the master key.
fn private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))
}

/// msgsync creates its files for their owner only; an operator may have opened them up since.
fn warn_if_readable_by_others(paths: &[&std::path::Path]) {
    #[cfg(unix)]
    for path in paths {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "readable by other local users: it holds message content and secrets; chmod go-rwx"
            );
        }
    }
}

pub async fn run() -> anyhow::Result<()> {
    let (store, config, embedded) = open_store_at().await?;
    tracing::info!(database = %redact(&config.database_url), "database ready");
    let _alone = if embedded {
        let lock = lock_embedded_database(&config.database_url)?;
        // Alone by construction: syncs a crash interrupted resume now, not when their leases
        // run out.
        // On a full disk this write fails; serving reads matters more, and the interrupted
        // syncs still resume once their leases run out.
        match store
            .sync_leases_end_all(msgsync_core::time::now_ms())
            .await
        {
            Ok(0) => {}
            Ok(released) => tracing::info!(
                syncs = released,
                "resuming syncs interrupted by the last stop"
            ),
            Err(e) => tracing::warn!(
                error = %e,
                "could not release the syncs interrupted by the last stop; they resume when \
                 their leases run out"
            ),
        }
        Some(lock)
    } else {
        None
    };

    let mut connectors = live_connectors(&config);
    let sandbox = if config.sandbox {
        let sandbox = Sandbox::start(&config).await?;
        for connector in &sandbox.connectors {
            connectors.register(ApiKeyMode::Test, connector.clone());
        }
        tracing::info!("sandbox ready: test keys connect sandbox accounts");
        Some(sandbox)
    } else {
        None
    };
    let engine_config = msgsync_engine::EngineConfig {
        shared_database: !embedded,
        ..config.engine.clone()
    };
    let engine = Engine::new(store.clone(), connectors, engine_config);

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);

    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    let engine_task = tokio::spawn(engine.clone().run(shutdown.clone()));
    let delivery = msgsync_engine::WebhookDelivery::new(
        store.clone(),
        config.webhooks.clone(),
        engine.node().to_owned(),
        engine.registry(),
    )
    .context("starting webhook delivery")?;
    let delivery_task = tokio::spawn(Arc::new(delivery).run(shutdown.clone()));
    let mut app = App::new(store.clone(), engine).with_webhook_policy(config.webhooks.http.policy);
    if config.metrics_listen.is_some() {
        app = app.with_metrics_elsewhere();
    }
    let state = AppState(Arc::new(app));
    let api_shutdown = shutdown.clone();
    let mut http = config.http.clone();
    http.max_connections = config
        .http_max_connections
        .unwrap_or_else(default_max_connections);
    let metrics_server = match config.metrics_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding MSGSYNC_METRICS_LISTEN={addr}"))?;
            tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
            let (state, limits, stop) = (state.clone(), http.clone(), shutdown.clone());
            Some(tokio::spawn(msgsync_api::serve_metrics(
                listener,
                state,
                limits,
                async move { stop.cancelled().await },
            )))
        }
        None => None,
    };
    msgsync_api::serve(listener, state, http, async move {
        api_shutdown.cancelled().await
    })
    .await?;
    if let Some(task) = metrics_server {
        task.await.context("the metrics server crashed")??;
    }
    engine_task.await.context("the sync engine crashed")?;
    delivery_task.await.context("webhook delivery crashed")?;
    if let Some(sandbox) = sandbox {
        sandbox.stop().await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// The most connections served at once, by default: three quarters of the file descriptors
/// the process may open (after raising its limit to the hard limit), leaving the rest to the
/// database, the provider connections and the simulators; at most 65,536.
fn default_max_connections() -> usize {
    const MOST: u64 = 65_536;
    const FLOOR: u64 = 64;
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "the file-descriptor limit could not be read or raised");
            1024
        }
    };
    let bound = (limit / 4 * 3).clamp(FLOOR, MOST) as usize;
    tracing::info!(
        file_descriptors = limit,
        max_connections = bound,
        "HTTP connections bounded"
    );
    bound
}

async fn wait_for_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutdown requested");
    shutdown.cancel();
}

/// The database URL without a password, for the log.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// The connectors of live accounts. Telegram needs an app's `api_id` / `api_hash`
/// (`MSGSYNC_TELEGRAM_API_ID`, `MSGSYNC_TELEGRAM_API_HASH`); without them live Telegram
/// accounts can be connected but not synced (the resync route answers 501).
fn live_connectors(config: &Config) -> Connectors {
    let mut connectors = Connectors::new();
    let timeout = config.engine.provider_timeout;
    connectors.register(
        ApiKeyMode::Live,
        Arc::new(LinkedinConnector::new(LinkedinConfig {
            request_timeout: timeout,
            ..config.linkedin.clone()
        })),
    );
    if let Some((api_id, api_hash)) = &config.telegram_app {
        connectors.register(
            ApiKeyMode::Live,
            Arc::new(TelegramConnector::new(TelegramConfig {
                api_id: *api_id,
                api_hash: api_hash.clone(),
                request_timeout: timeout,
                ..TelegramConfig::default()
            })),
        );
    }
    connectors
}
