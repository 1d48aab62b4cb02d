//! The HTTP calls the benchmark makes through a [`Server`], with its API key.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::Server;

/// The longest a sync followed by [`Server::wait_done`] may take.
const SYNC_DEADLINE: Duration = Duration::from_secs(1800);

impl Server {
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
        let deadline = Instant::now() + SYNC_DEADLINE;
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

    /// The status the resync route answers now.
    pub async fn get_status(&self, account: &str) -> anyhow::Result<String> {
        let body = self
            .get(&format!("/api/v1/accounts/{account}/sync"))
            .await?;
        Ok(body["status"].as_str().unwrap_or_default().to_owned())
    }
}
