//! The two servers of a soak, both the release `msgsync` binary: the reference on a fresh
//! temporary directory, and the soak's own on the tmpfs, always on the same port so that its
//! clients find it again after every restart.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context};
use msgsync_harness::{Server, ServerOptions};

use crate::plan::SANDBOX_EPOCH;

/// Settings of both servers: short retries and provider timeouts (a dead provider is given up
/// in seconds), a fixed sandbox anchor (the same data on every server and restart).
fn env() -> Vec<(String, String)> {
    [
        ("MSGSYNC_SANDBOX_EPOCH", SANDBOX_EPOCH),
        ("MSGSYNC_RETRY_BASE_MS", "50"),
        // A full disk gets 120 attempts: with this cap, two minutes before a sync gives up.
        ("MSGSYNC_RETRY_MAX_MS", "1000"),
        ("MSGSYNC_PROVIDER_TIMEOUT_MS", "1000"),
        ("MSGSYNC_POLL_INTERVAL_MS", "50"),
        ("MSGSYNC_LOG", "info,sqlx=warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The release `msgsync` binary: `explicit`, or the one next to this binary, which must not be
/// older than the server's sources in the workspace the soak was built from (a stale server
/// would be soaked without a word).
pub fn binary(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    const BUILD: &str = "cargo build --release -p msgsync -p msgsync-soak";
    if explicit.is_some() {
        return msgsync_harness::locate_binary(explicit, BUILD);
    }
    let bin = msgsync_harness::locate_binary(None, BUILD)?;
    let built = std::fs::metadata(&bin)?.modified()?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    if let Some(newer) = newest_source(&workspace)?.filter(|(t, _)| *t > built) {
        bail!(
            "{} is older than {}: build it again ({BUILD}) or pass --server",
            bin.display(),
            newer.1.display()
        );
    }
    Ok(bin)
}

/// Crates of the workspace that are not part of the server.
const NOT_THE_SERVER: [&str; 3] = ["msgsync-bench", "msgsync-harness", "msgsync-soak"];

/// The most recently modified source of the server (`crates/*/src`, migrations, manifests, the
/// lock file), if the workspace is there.
fn newest_source(workspace: &Path) -> anyhow::Result<Option<(SystemTime, PathBuf)>> {
    let crates = workspace.join("crates");
    if !crates.is_dir() {
        return Ok(None);
    }
    let mut newest = None;
    let mut consider = |path: PathBuf| -> anyhow::Result<()> {
        let t = std::fs::metadata(&path)?.modified()?;
        if newest.as_ref().is_none_or(|(n, _)| t > *n) {
            newest = Some((t, path));
        }
        Ok(())
    };
    for file in ["Cargo.toml", "Cargo.lock"] {
        consider(workspace.join(file))?;
    }
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(&crates)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() && !NOT_THE_SERVER.contains(&name) {
            consider(path.join("Cargo.toml"))?;
            dirs.extend(["src", "migrations"].map(|d| path.join(d)));
        }
    }
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                consider(path)?;
            }
        }
    }
    Ok(newest)
}

pub async fn reference(bin: &Path, log: PathBuf) -> anyhow::Result<Server> {
    Server::start_with(
        bin,
        ServerOptions {
            env: env(),
            log_file: Some(log),
            ..ServerOptions::default()
        },
    )
    .await
    .context("starting the reference server")
}

pub async fn soak(bin: &Path, data_dir: PathBuf, log: PathBuf) -> anyhow::Result<Server> {
    let mut env = env();
    env.push((
        "MSGSYNC_LISTEN".to_owned(),
        format!("127.0.0.1:{}", free_port()?),
    ));
    Server::start_with(
        bin,
        ServerOptions {
            env,
            data_dir: Some(data_dir),
            log_file: Some(log),
            ..ServerOptions::default()
        },
    )
    .await
    .context("starting the soak's server")
}

/// A loopback port nothing listens on now.
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
