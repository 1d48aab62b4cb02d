//! The PostgreSQL and cluster figures: ingest on PostgreSQL against PostgreSQL's own storage
//! limit, polls on a node that does not run the sync, many accounts across three nodes against
//! one node, and how long a killed node's sync waits for another node.

use std::path::Path;
use std::time::{Duration, Instant};

use msgsync_core::ProviderKind;
use serde_json::Value;

use crate::load::{self, LoadResult};
use crate::pg::Cluster;
use crate::pg_baseline::{self, Method};
use crate::{Ingest, MESSAGES_PER_CHAT};

/// How long a node has to log that it runs a sync it was given.
const RUNNER_DEADLINE: Duration = Duration::from_secs(30);

/// One `msgsync serve` on a fresh database: a full resync of a sandbox account of `chats` ×
/// 1,000 messages per provider, each against the storage limit of PostgreSQL for its rows.
pub async fn ingest(
    bin: &Path,
    admin: &str,
    chats: u32,
    method: Method,
) -> anyhow::Result<Vec<(ProviderKind, Ingest)>> {
    let cluster = Cluster::start(bin, admin, "ingest", 1, &[]).await?;
    let server = &cluster.nodes[0];
    let mut out = Vec::new();
    for provider in [ProviderKind::Linkedin, ProviderKind::Telegram] {
        let scenario = format!("sandbox:chats={chats},messages={MESSAGES_PER_CHAT}");
        let messages = u64::from(chats) * MESSAGES_PER_CHAT;
        let account = server.connect(provider.as_str(), &scenario).await?;
        let (api_time, body) = server.timed_sync(&account, "").await?;
        anyhow::ensure!(
            body["progress"]["messages"].as_u64() == Some(messages),
            "incomplete sync: {body}"
        );
        let (db_time, rows) =
            pg_baseline::storage_limit(admin, cluster.database_url(), &account, method).await?;
        anyhow::ensure!(rows == messages, "baseline wrote {rows} rows");
        out.push((
            provider,
            Ingest {
                messages,
                api_time,
                db_time,
            },
        ));
    }
    cluster.stop().await?;
    Ok(out)
}

/// Two nodes on one database, a long sync started through the first: the resync route of the
/// node that does NOT run it (answered from the database, not from a run's memory) polled by 64
/// connections, in alternating rounds with `/health` of the same node.
pub async fn poll(
    bin: &Path,
    admin: &str,
    seconds: u64,
) -> anyhow::Result<(LoadResult, LoadResult)> {
    const ROUNDS: u32 = 4;
    let cluster = Cluster::start(bin, admin, "poll", 2, &[]).await?;
    let a = &cluster.nodes[0];
    // 1,000 chats with a second per provider request: runs far longer than the rounds.
    let account = a
        .connect("TELEGRAM", "sandbox:chats=1000,messages=10,latency_ms=1000")
        .await?;
    a.start_sync(&account, "").await?;
    let runner = cluster.runner(&account, &[], RUNNER_DEADLINE).await?;
    let other = &cluster.nodes[1 - runner];
    let round = Duration::from_secs(seconds) / ROUNDS;
    let health_url = format!("{}/health", other.base);
    let poll_url = format!("{}/api/v1/accounts/{account}/sync", other.base);
    let (mut poll, mut health) = (LoadResult::default(), LoadResult::default());
    for _ in 0..ROUNDS {
        health.merge(load::hammer(&health_url, &other.key, 64, round).await?);
        poll.merge(load::hammer(&poll_url, &other.key, 64, round).await?);
    }
    anyhow::ensure!(poll.errors == 0 && health.errors == 0, "errors under load");
    // Still the other node's sync: the polls measured were answered from the database.
    anyhow::ensure!(
        other.get_status(&account).await? == "SYNC_RUNNING",
        "the sync did not run through the polls"
    );
    cluster.stop().await?;
    Ok((poll, health))
}

/// What the cluster concurrency figure measured.
pub struct Concurrent {
    pub three_nodes_s: f64,
    pub one_node_s: f64,
    pub lower_s: f64,
}

/// `accounts` sandbox LinkedIn accounts resynced at once on one node on PostgreSQL, then (on a
/// fresh database, the same accounts' data) across three nodes, requests spread round-robin.
pub async fn concurrent(bin: &Path, admin: &str, accounts: usize) -> anyhow::Result<Concurrent> {
    let workers = [("MSGSYNC_SYNC_WORKERS", accounts.to_string())];
    let one = Cluster::start(bin, admin, "one_node", 1, &workers).await?;
    let (one_node_s, lower_s) = crate::resync_at_once(&one.nodes, accounts).await?;
    one.stop().await?;
    let three = Cluster::start(bin, admin, "three_nodes", 3, &workers).await?;
    let (three_nodes_s, _) = crate::resync_at_once(&three.nodes, accounts).await?;
    three.stop().await?;
    Ok(Concurrent {
        three_nodes_s,
        one_node_s,
        lower_s,
    })
}

/// What the takeover figure measured.
pub struct Takeover {
    pub seconds: f64,
    pub lease_s: f64,
    /// Messages the killed node's last checkpoint had saved.
    pub saved_messages: u64,
}

/// Three nodes with a lease of `LEASE_S`: a large sync runs on one of them, which is SIGKILLed;
/// the time from the kill until another node's first checkpoint of that sync (the sync history
/// on a surviving node shows more messages than right after the kill, and a surviving node has
/// logged that it resumed the sync).
pub async fn takeover(bin: &Path, admin: &str) -> anyhow::Result<Takeover> {
    const LEASE_S: f64 = 5.0;
    let env = [("MSGSYNC_LEASE", LEASE_S.to_string())];
    let mut cluster = Cluster::start(bin, admin, "takeover", 3, &env).await?;
    let account = cluster.nodes[0]
        .connect("LINKEDIN", "sandbox:chats=200,messages=200,latency_ms=5")
        .await?;
    cluster.nodes[0].start_sync(&account, "").await?;
    let victim = cluster.runner(&account, &[], RUNNER_DEADLINE).await?;
    let watcher = (victim + 1) % cluster.nodes.len();
    // Killed once a checkpoint has landed, so that the heir resumes rather than starts over.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (state, messages) = latest_sync(&cluster.nodes[watcher], &account).await?;
        anyhow::ensure!(
            state == "running",
            "the sync ended before the kill: {state}"
        );
        if messages > 0 {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "no checkpoint within a minute");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cluster.nodes[victim].kill()?;
    let killed = Instant::now();
    let (_, saved) = latest_sync(&cluster.nodes[watcher], &account).await?;
    let survivors: Vec<usize> = (0..cluster.nodes.len()).filter(|&i| i != victim).collect();
    let deadline = killed + Duration::from_secs_f64(LEASE_S) + Duration::from_secs(60);
    let seconds = loop {
        let (state, messages) = latest_sync(&cluster.nodes[watcher], &account).await?;
        anyhow::ensure!(
            state == "running",
            "the sync ended ({state}) before a checkpoint of another node was seen"
        );
        // Both: more messages than the dead node had saved (a commit of the dead node's still
        // in flight at the kill would also raise the count), and a survivor resumed the sync.
        let resumed = survivors.iter().any(|&i| {
            cluster.nodes[i].log_has(&[account.as_str(), "sync started", "resumed=true"])
        });
        if messages > saved && resumed {
            break killed.elapsed().as_secs_f64();
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "no other node took the sync over within the lease and a minute"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    cluster.stop().await?;
    Ok(Takeover {
        seconds,
        lease_s: LEASE_S,
        saved_messages: saved,
    })
}

/// The state and saved message count of `account`'s latest sync, from the sync history (which
/// reads the database and reports nothing).
async fn latest_sync(
    node: &msgsync_harness::Server,
    account: &str,
) -> anyhow::Result<(String, u64)> {
    let body: Value = node
        .get(&format!("/api/v1/accounts/{account}/syncs?limit=1"))
        .await?;
    let latest = &body["items"][0];
    Ok((
        latest["state"].as_str().unwrap_or_default().to_owned(),
        latest["progress"]["messages"].as_u64().unwrap_or_default(),
    ))
}
