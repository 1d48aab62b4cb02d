//! A real `msgsync serve` process on a fresh data directory, driven over HTTP.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};

pub struct Server {
    dir: tempfile::TempDir,
    child: Child,
    pub base: String,
    pub key: String,
    pub client: reqwest::Client,
}

/// The `msgsync` binary: `--server`, else next to this executable (both live in
/// `target/release` after `cargo build --release`).
pub fn locate_binary(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let path = match explicit {
        Some(p) => p,
        None => std::env::current_exe()?
            .parent()
            .context("executable has no directory")?
            .join("msgsync"),
    };
    if !path.exists() {
        bail!(
            "{} not found: build it first (cargo build --release -p msgsync -p msgsync-bench) or pass --server",
            path.display()
        );
    }
    Ok(path)
}

fn command(bin: &Path, dir: &Path, env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env("MSGSYNC_DATA_DIR", dir)
        .env("MSGSYNC_LISTEN", "127.0.0.1:0")
        .env("MSGSYNC_LOG", "warn,msgsync=info")
        .env_remove("MSGSYNC_DATABASE_URL")
        .env_remove("MSGSYNC_MASTER_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

impl Server {
    pub async fn start(bin: &Path, env: &[(&str, String)]) -> anyhow::Result<Server> {
        let dir = tempfile::tempdir()?;
        let out = command(bin, dir.path(), env)
            .args(["keys", "create", "--name", "bench", "--mode", "test"])
            .output()?;
        if !out.status.success() {
            bail!(
                "keys create failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let key = String::from_utf8(out.stdout)?
            .lines()
            .last()
            .context("no key printed")?
            .trim()
            .to_owned();
        let mut child = command(bin, dir.path(), env)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().context("no stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(i) = line.find("listening on http://") {
                    let _ = tx.send(line[i + "listening on http://".len()..].trim().to_owned());
                }
            }
        });
        let addr = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
            .await?
            .context("the server did not start")?;
        Ok(Server {
            dir,
            child,
            base: format!("http://{addr}"),
            key,
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()?,
        })
    }

    /// Peak resident memory of the server process (VmHWM), in MiB.
    /// The server's SQLite database.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("msgsync.db")
    }

    pub fn peak_rss_mb(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .context("no VmHWM")?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()?;
        Ok(kb / 1024.0)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .header("X-API-KEY", &self.key)
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        if !status.is_success() {
            bail!("GET {path}: {status} {body}");
        }
        Ok(body)
    }

    pub async fn connect(&self, provider: &str, scenario: &str) -> anyhow::Result<String> {
        let field = if provider == "TELEGRAM" {
            "session"
        } else {
            "access_token"
        };
        let resp = self
            .client
            .post(format!("{}/api/v1/accounts", self.base))
            .header("X-API-KEY", &self.key)
            .json(&json!({ "provider": provider, field: scenario }))
            .send()
            .await?;
        let body: Value = resp.json().await?;
        body["account_id"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("connect failed: {body}"))
    }

    pub async fn start_sync(&self, account: &str, query: &str) -> anyhow::Result<()> {
        let body = self
            .get(&format!("/api/v1/accounts/{account}/sync?{query}"))
            .await?;
        if body["status"] != "SYNC_STARTED" {
            bail!("expected SYNC_STARTED, got {body}");
        }
        Ok(())
    }

    /// Polls until the sync reports an outcome; fails unless it is `SYNC_DONE`.
    pub async fn wait_done(&self, account: &str, poll: Duration) -> anyhow::Result<Value> {
        let deadline = Instant::now() + Duration::from_secs(1800);
        loop {
            let body = self
                .get(&format!("/api/v1/accounts/{account}/sync"))
                .await?;
            match body["status"].as_str() {
                Some("SYNC_RUNNING") | Some("SYNC_STARTED") => {}
                Some("SYNC_DONE") => return Ok(body),
                _ => bail!("sync did not succeed: {body}"),
            }
            if Instant::now() > deadline {
                bail!("sync did not finish in time");
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Starts a sync and waits for `SYNC_DONE`; returns the wall time.
    pub async fn timed_sync(
        &self,
        account: &str,
        query: &str,
    ) -> anyhow::Result<(Duration, Value)> {
        let started = Instant::now();
        self.start_sync(account, query).await?;
        let body = self.wait_done(account, Duration::from_millis(20)).await?;
        Ok((started.elapsed(), body))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The status the resync route answers now.
    pub async fn get_status(&self, account: &str) -> anyhow::Result<String> {
        let body = self
            .get(&format!("/api/v1/accounts/{account}/sync"))
            .await?;
        Ok(body["status"].as_str().unwrap_or_default().to_owned())
    }
}
