//! `msgsync-bench`: how fast msgsync syncs, serves and scales.
//!
//! Starts real `msgsync serve` processes on fresh databases, drives them over HTTP like a client,
//! and pairs every figure with a baseline measured in the same run (absolute times on shared
//! machines are noise; ratios are not). Prints a table, then one JSON line with every figure.

mod baseline;
mod chart;
mod cluster;
mod load;
mod pg;
mod pg_baseline;
mod webhooks;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use msgsync_core::ProviderKind;
use msgsync_providers::linkedin::MAX_MESSAGES_PAGE;
use serde_json::{json, Map, Value};

use load::LoadResult;
use msgsync_harness::Server;

#[derive(Parser)]
#[command(about = "Benchmarks of msgsync against baselines measured in the same run")]
struct Args {
    /// Smaller data sets (finishes in under two minutes); the ratios mean the same.
    #[arg(long)]
    quick: bool,
    /// The msgsync binary (default: next to this one).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Run only the concurrent-accounts figure with this many accounts (for profiling).
    #[arg(long)]
    only_concurrent: Option<usize>,
    /// Run only the polling figure (for profiling); with --only-pg, the PostgreSQL one.
    #[arg(long)]
    only_poll: bool,
    /// Run only the ingest figures, with this many chats of 1,000 messages (for profiling);
    /// with `--only-pg`, only the PostgreSQL ones.
    #[arg(long)]
    only_ingest: Option<u32>,
    /// Run only the webhook figures (with `--quick`, at the quick sizes).
    #[arg(long)]
    only_webhooks: bool,
    /// Run only the PostgreSQL and cluster figures (with `--quick`, at the quick sizes).
    #[arg(long)]
    only_pg: bool,
    /// The PostgreSQL server the PostgreSQL and cluster figures create (and drop) their
    /// databases on, given by the URL of a database to connect to for that.
    #[arg(long, env = "MSGSYNC_BENCH_PG_URL", default_value = pg::DEFAULT_ADMIN_URL)]
    pg_url: String,
    /// How the PostgreSQL storage limit inserts its rows.
    #[arg(long, value_enum, default_value = "copy")]
    pg_baseline: pg_baseline::Method,
    /// Where to write the SVG chart of ingest time against messages.
    #[arg(long, default_value = "docs/ingest.svg")]
    chart: PathBuf,
}

struct Sizes {
    ingest_chats: u32,
    scaling_chats: [u32; 3],
    span_chats: u32,
    concurrent_accounts: usize,
    poll_seconds: u64,
    /// Chats and messages per chat of the webhook figures' accounts (half of the messages new).
    webhook_account: (u32, u32),
}

impl Sizes {
    fn new(quick: bool) -> Sizes {
        if quick {
            Sizes {
                ingest_chats: 100,
                scaling_chats: [10, 30, 100],
                span_chats: 40,
                concurrent_accounts: 200,
                poll_seconds: 3,
                webhook_account: (20, 100),
            }
        } else {
            Sizes {
                ingest_chats: 1000,
                scaling_chats: [10, 100, 1000],
                span_chats: 200,
                concurrent_accounts: 1000,
                poll_seconds: 10,
                webhook_account: (100, 100),
            }
        }
    }
}

/// Every scenario here has 1,000 messages per chat.
const MESSAGES_PER_CHAT: u64 = 1000;

/// Messages of each account of the concurrent-accounts figure (20 chats × 50 messages).
const CONCURRENT_MESSAGES_PER_ACCOUNT: u64 = 1000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = msgsync_harness::locate_binary(
        args.server.clone(),
        "cargo build --release -p msgsync -p msgsync-bench",
    )?;
    let sizes = Sizes::new(args.quick);
    if let Some(accounts) = args.only_concurrent {
        let (wall, lower, rss) = concurrent(&bin, accounts).await?;
        println!("concurrent ({accounts} accounts): {wall:.2} s (lower bound {lower:.2} s); peak RSS {rss:.0} MB");
        return Ok(());
    }
    if args.only_webhooks {
        let (chats, messages) = sizes.webhook_account;
        let w = webhooks::figures(&bin, chats, messages).await?;
        println!("webhooks: {}", w.describe());
        return Ok(());
    }
    if args.only_poll && args.only_pg {
        pg::check_reachable(&args.pg_url).await?;
        let (poll, health) = cluster::poll(&bin, &args.pg_url, sizes.poll_seconds).await?;
        println!("pg poll (other node): {}", describe_poll(&poll, &health));
        return Ok(());
    }
    if args.only_poll {
        let server = Server::start(&bin, &[]).await?;
        let (poll, health) = poll(&server, sizes.poll_seconds).await?;
        println!("poll: {}", describe_poll(&poll, &health));
        return Ok(());
    }
    if let (Some(chats), true) = (args.only_ingest, args.only_pg) {
        pg::check_reachable(&args.pg_url).await?;
        for (provider, i) in cluster::ingest(&bin, &args.pg_url, chats, args.pg_baseline).await? {
            println!(
                "pg ingest {provider}: {} ({:?})",
                i.describe(),
                args.pg_baseline
            );
        }
        return Ok(());
    }
    if let Some(chats) = args.only_ingest {
        let server = Server::start(&bin, &[]).await?;
        for provider in [ProviderKind::Linkedin, ProviderKind::Telegram] {
            let i = ingest(&server, provider, chats).await?;
            println!("ingest {provider}: {}", i.describe());
        }
        return Ok(());
    }
    let mut figures = Map::new();
    let mut table: Vec<(String, String)> = Vec::new();
    // Before anything else: a run that would end in the PostgreSQL figures fails at once,
    // not after the SQLite ones, if PostgreSQL is not there.
    pg::check_reachable(&args.pg_url).await?;
    if args.only_pg {
        pg_figures(&bin, &args, &sizes, &mut figures, &mut table).await?;
        print_results(&table, figures);
        return Ok(());
    }

    // --- ingest, per provider, against the storage limit ---
    let server = Server::start(&bin, &[]).await?;
    let mut linkedin_big = None;
    let mut linkedin_storage_rate = None;
    for (provider, key) in [
        (ProviderKind::Linkedin, "linkedin"),
        (ProviderKind::Telegram, "telegram"),
    ] {
        let i = ingest(&server, provider, sizes.ingest_chats).await?;
        figures.insert(
            format!("ingest_{key}_msgs_per_s"),
            json!(i.api_rate().round()),
        );
        figures.insert(format!("ingest_{key}_ratio"), json!(round3(i.ratio())));
        figures.insert(
            format!("ingest_{key}_baseline_msgs_per_s"),
            json!(i.base_rate().round()),
        );
        row(
            &mut table,
            &format!("ingest {key} ({} msgs)", i.messages),
            i.describe(),
        );
        if provider == ProviderKind::Linkedin {
            linkedin_big = Some((i.messages as f64, i.api_time.as_secs_f64()));
            linkedin_storage_rate = Some(i.base_rate());
        }
    }

    // --- scaling: ingest time at three sizes, against linear extrapolation from the smallest ---
    let mut points = Vec::new();
    for chats in sizes.scaling_chats {
        let messages = u64::from(chats) * MESSAGES_PER_CHAT;
        let reuse = linkedin_big.filter(|(n, _)| *n as u64 == messages);
        let seconds = match reuse {
            Some((_, t)) => t,
            None => {
                let account = server
                    .connect(
                        "LINKEDIN",
                        &format!("sandbox:chats={chats},messages={MESSAGES_PER_CHAT}"),
                    )
                    .await?;
                server.timed_sync(&account, "").await?.0.as_secs_f64()
            }
        };
        row(
            &mut table,
            &format!("scaling {messages} msgs"),
            format!("{seconds:.2} s"),
        );
        points.push((messages as f64, seconds));
    }
    let (n0, t0) = points[0];
    let (n2, t2) = points[2];
    let scaling_ratio = t2 / (t0 * n2 / n0);
    figures.insert("scaling_ratio".into(), json!(round3(scaling_ratio)));
    row(
        &mut table,
        "scaling ratio (largest ÷ linear)",
        format!("{scaling_ratio:.3}"),
    );
    if let Some(dir) = args.chart.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    chart::ingest_chart(&args.chart, &points).context("drawing the chart")?;
    row(&mut table, "chart", args.chart.display().to_string());

    // --- span: a 1-day span resync of a 365-day account, against its full resync ---
    let scenario = format!(
        "sandbox:chats={},messages={MESSAGES_PER_CHAT},span_days=365",
        sizes.span_chats
    );
    let account = server.connect("LINKEDIN", &scenario).await?;
    let (full, _) = server.timed_sync(&account, "").await?;
    let day_ago = chrono::Utc::now().timestamp_millis() - 86_400_000;
    let (span, body) = server
        .timed_sync(&account, &format!("after={day_ago}"))
        .await?;
    let span_ratio = span.as_secs_f64() / full.as_secs_f64();
    figures.insert("span_cost_ratio".into(), json!(round3(span_ratio)));
    row(
        &mut table,
        "span cost (1 day ÷ 365 days)",
        format!(
            "{span:.2?} ÷ {full:.2?} = {span_ratio:.3} ({} msgs in span)",
            body["progress"]["messages"]
        ),
    );

    // --- polling a running sync, against a trivial route, 64 connections ---
    let (poll, health) = poll(&server, sizes.poll_seconds).await?;
    poll_figures(&mut figures, "", &poll, &health);
    row(
        &mut table,
        "poll (64 connections)",
        describe_poll(&poll, &health),
    );
    drop(server);

    // --- webhooks: the outbox's drain rate against plain POSTs, and its cost on ingest ---
    let (chats, messages) = sizes.webhook_account;
    let w = webhooks::figures(&bin, chats, messages).await?;
    figures.insert(
        "webhook_deliveries_per_s".into(),
        json!(w.one_endpoint_per_s.round()),
    );
    figures.insert(
        "webhook_deliveries_4_endpoints_per_s".into(),
        json!(w.four_endpoints_per_s.round()),
    );
    figures.insert(
        "webhook_delivery_ratio".into(),
        json!(round3(w.one_endpoint_per_s / w.baseline_per_s)),
    );
    figures.insert(
        "webhook_ingest_cost_ratio".into(),
        json!(round3(w.sync_with / w.sync_without)),
    );
    row(&mut table, "webhooks", w.describe());

    // --- many accounts at once on one node ---
    let (wall, lower, rss) = concurrent(&bin, sizes.concurrent_accounts).await?;
    figures.insert("concurrent_peak_rss_mb".into(), json!(rss.round()));
    figures.insert("concurrent_wall_ratio".into(), json!(round3(wall / lower)));
    // The latency bound leaves out that every message must also be written: at this run's
    // LinkedIn storage limit the messages alone take `floor` seconds, whatever the scheduling.
    let messages = sizes.concurrent_accounts as f64 * CONCURRENT_MESSAGES_PER_ACCOUNT as f64;
    let floor = linkedin_storage_rate.map_or(0.0, |rate| messages / rate);
    figures.insert("concurrent_wall_s".into(), json!(round3(wall)));
    figures.insert("concurrent_storage_floor_s".into(), json!(round3(floor)));
    row(
        &mut table,
        &format!("concurrent ({} accounts)", sizes.concurrent_accounts),
        format!(
            "{wall:.2} s (lower bound {lower:.2} s, ratio {:.2}; writing the {messages:.0} messages at the storage limit alone: {floor:.2} s); peak RSS {rss:.0} MB",
            wall / lower
        ),
    );

    pg_figures(&bin, &args, &sizes, &mut figures, &mut table).await?;
    print_results(&table, figures);
    Ok(())
}

fn row(table: &mut Vec<(String, String)>, name: &str, value: String) {
    eprintln!("{name:<34} {value}");
    table.push((name.to_owned(), value));
}

fn print_results(table: &[(String, String)], figures: Map<String, Value>) {
    println!();
    for (name, value) in table {
        println!("{name:<34} {value}");
    }
    println!("{}", Value::Object(figures));
}

/// The PostgreSQL and cluster figures (`cluster.rs`), each on databases of its own.
async fn pg_figures(
    bin: &std::path::Path,
    args: &Args,
    sizes: &Sizes,
    figures: &mut Map<String, Value>,
    table: &mut Vec<(String, String)>,
) -> anyhow::Result<()> {
    let admin = args.pg_url.as_str();

    // --- ingest on PostgreSQL, per provider, against PostgreSQL's storage limit ---
    let ingests = cluster::ingest(bin, admin, sizes.ingest_chats, args.pg_baseline).await?;
    for (provider, i) in ingests {
        let key = provider.as_str().to_ascii_lowercase();
        figures.insert(
            format!("pg_ingest_{key}_msgs_per_s"),
            json!(i.api_rate().round()),
        );
        figures.insert(format!("pg_ingest_{key}_ratio"), json!(round3(i.ratio())));
        figures.insert(
            format!("pg_ingest_{key}_baseline_msgs_per_s"),
            json!(i.base_rate().round()),
        );
        row(
            table,
            &format!("pg ingest {key} ({} msgs)", i.messages),
            format!("{} ({:?})", i.describe(), args.pg_baseline),
        );
    }

    // --- polls on the node of two that does not run the sync ---
    let (poll, health) = cluster::poll(bin, admin, sizes.poll_seconds).await?;
    poll_figures(figures, "pg_", &poll, &health);
    row(
        table,
        "pg poll (other node, 64 conns)",
        describe_poll(&poll, &health),
    );

    // --- many accounts at once: three nodes against one, on PostgreSQL ---
    let accounts = sizes.concurrent_accounts;
    let c = cluster::concurrent(bin, admin, accounts).await?;
    let ratio = c.three_nodes_s / c.one_node_s;
    figures.insert(
        "cluster_concurrent_wall_s".into(),
        json!(round3(c.three_nodes_s)),
    );
    figures.insert(
        "cluster_one_node_wall_s".into(),
        json!(round3(c.one_node_s)),
    );
    figures.insert("cluster_wall_ratio".into(), json!(round3(ratio)));
    row(
        table,
        &format!("cluster concurrent ({accounts} accts)"),
        format!(
            "three nodes {:.2} s; one node {:.2} s; ratio {ratio:.3} (latency bound {:.2} s)",
            c.three_nodes_s, c.one_node_s, c.lower_s
        ),
    );

    // --- a killed node's sync taken over by another ---
    let t = cluster::takeover(bin, admin).await?;
    figures.insert("cluster_takeover_s".into(), json!(round3(t.seconds)));
    figures.insert("cluster_takeover_lease_s".into(), json!(t.lease_s));
    row(
        table,
        "cluster takeover (SIGKILL)",
        format!(
            "{:.2} s from the kill to another node's first checkpoint (lease {:.0} s; {} messages saved before the kill)",
            t.seconds, t.lease_s, t.saved_messages
        ),
    );
    Ok(())
}

/// One ingest figure: a full resync through the API against the storage limit.
struct Ingest {
    messages: u64,
    api_time: Duration,
    db_time: Duration,
}

impl Ingest {
    fn api_rate(&self) -> f64 {
        self.messages as f64 / self.api_time.as_secs_f64()
    }

    fn base_rate(&self) -> f64 {
        self.messages as f64 / self.db_time.as_secs_f64()
    }

    fn ratio(&self) -> f64 {
        self.api_rate() / self.base_rate()
    }

    fn describe(&self) -> String {
        format!(
            "{:.0} msg/s in {:.2?}; storage limit {:.0} msg/s; ratio {:.3}",
            self.api_rate(),
            self.api_time,
            self.base_rate(),
            self.ratio()
        )
    }
}

/// A full resync of a fresh sandbox account of `chats` × 1,000 messages, then the rows it wrote
/// written again straight into the schema.
async fn ingest(server: &Server, provider: ProviderKind, chats: u32) -> anyhow::Result<Ingest> {
    let scenario = format!("sandbox:chats={chats},messages={MESSAGES_PER_CHAT}");
    let messages = u64::from(chats) * MESSAGES_PER_CHAT;
    let account = server.connect(provider.as_str(), &scenario).await?;
    let (api_time, body) = server.timed_sync(&account, "").await?;
    anyhow::ensure!(
        body["progress"]["messages"].as_u64() == Some(messages),
        "incomplete sync: {body}"
    );
    let (db_time, rows) = baseline::storage_limit(&server.database(), &account).await?;
    anyhow::ensure!(rows == messages, "baseline wrote {rows} rows");
    Ok(Ingest {
        messages,
        api_time,
        db_time,
    })
}

/// Polls a running sync and `/health`, 64 connections, `seconds` each in alternating rounds (so
/// that a drift of the machine's speed affects both alike); returns both.
async fn poll(server: &Server, seconds: u64) -> anyhow::Result<(LoadResult, LoadResult)> {
    const ROUNDS: u32 = 4;
    let account = server
        .connect("TELEGRAM", "sandbox:chats=1000,messages=10,latency_ms=1000")
        .await?;
    server.start_sync(&account, "").await?;
    let round = Duration::from_secs(seconds) / ROUNDS;
    let health_url = format!("{}/health", server.base);
    let poll_url = format!("{}/api/v1/accounts/{account}/sync", server.base);
    let (mut poll, mut health) = (LoadResult::default(), LoadResult::default());
    for _ in 0..ROUNDS {
        health.merge(load::hammer(&health_url, &server.key, 64, round).await?);
        poll.merge(load::hammer(&poll_url, &server.key, 64, round).await?);
    }
    anyhow::ensure!(poll.errors == 0 && health.errors == 0, "errors under load");
    Ok((poll, health))
}

/// `accounts` sandbox LinkedIn accounts (20 chats × 50 messages, 20 ms per provider request)
/// resynced at once on one node on SQLite; returns (wall seconds, lower bound seconds, peak RSS
/// MB).
async fn concurrent(bin: &std::path::Path, accounts: usize) -> anyhow::Result<(f64, f64, f64)> {
    let workers = accounts.to_string();
    let server = Server::start(bin, &[("MSGSYNC_SYNC_WORKERS", workers)]).await?;
    let (wall, lower) = resync_at_once(std::slice::from_ref(&server), accounts).await?;
    Ok((wall, lower, server.peak_rss_mb()?))
}

/// `accounts` sandbox LinkedIn accounts (20 chats × 50 messages, 20 ms per provider request)
/// connected, resynced at once and polled to their outcomes, each request going to the next of
/// `nodes` in turn; returns (wall seconds, lower bound seconds).
async fn resync_at_once(nodes: &[Server], accounts: usize) -> anyhow::Result<(f64, f64)> {
    const CHATS: u64 = 20;
    const MESSAGES: u64 = 50;
    const _: () = assert!(CHATS * MESSAGES == CONCURRENT_MESSAGES_PER_ACCOUNT);
    const LATENCY_MS: u64 = 20;
    let scenario = format!("sandbox:chats={CHATS},messages={MESSAGES},latency_ms={LATENCY_MS}");
    let node = |i: usize| &nodes[i % nodes.len()];
    let mut ids = Vec::with_capacity(accounts);
    for i in 0..accounts {
        ids.push((i, node(i).connect("LINKEDIN", &scenario).await?));
    }
    // One account's requests, one after the other: its identity (`/me`), one page of chats,
    // and each chat's messages in LinkedIn's pages of 20; no pacing in the sandbox. Accounts
    // run side by side, so this is also the bound for all of them.
    let pages_per_chat = MESSAGES.div_ceil(u64::from(MAX_MESSAGES_PAGE));
    let requests = 2 + CHATS * pages_per_chat;
    let lower = (requests * LATENCY_MS) as f64 / 1000.0;
    let started = Instant::now();
    futures::future::try_join_all(ids.chunks(64).map(|chunk| async move {
        for (i, id) in chunk {
            node(*i).start_sync(id, "").await?;
        }
        anyhow::Ok(())
    }))
    .await?;
    // Polling is load on the same two cores: nothing can finish before the lower bound, and
    // after it each pending account is asked once per round, rounds 250 ms apart (a client
    // polling a thousand accounts; rounds 50 ms apart made the polling itself ~20k requests a
    // second). The wall time is thus known to within a round.
    tokio::time::sleep(Duration::from_secs_f64(lower)).await;
    let mut pending = ids.clone();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for chunk in pending.chunks(64) {
            let answers =
                futures::future::try_join_all(chunk.iter().map(|(i, id)| node(*i).get_status(id)))
                    .await?;
            for ((i, id), status) in chunk.iter().zip(answers) {
                match status.as_str() {
                    "SYNC_DONE" => {}
                    "SYNC_RUNNING" | "SYNC_STARTED" => still.push((*i, id.clone())),
                    other => anyhow::bail!("account {id}: {other}"),
                }
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    Ok((started.elapsed().as_secs_f64(), lower))
}

/// The figures of a poll measurement and its `/health` baseline, named with `prefix`.
fn poll_figures(
    figures: &mut Map<String, Value>,
    prefix: &str,
    poll: &LoadResult,
    health: &LoadResult,
) {
    let mut put = |name: &str, value: f64| {
        figures.insert(format!("{prefix}{name}"), json!(value));
    };
    put("poll_rps", poll.rps().round());
    put("poll_ratio", round3(poll.rps() / health.rps()));
    put("poll_p99_ms", round3(poll.percentile_ms(0.99)));
    put("health_rps", health.rps().round());
    put("health_p99_ms", round3(health.percentile_ms(0.99)));
}

/// A poll measurement and its `/health` baseline in one line.
fn describe_poll(poll: &LoadResult, health: &LoadResult) -> String {
    format!(
        "{:.0} req/s ({} requests), p50 {:.2} ms, p99 {:.2} ms; /health {:.0} req/s, p99 {:.2} ms; ratio {:.3}",
        poll.rps(),
        poll.requests(),
        poll.percentile_ms(0.5),
        poll.percentile_ms(0.99),
        health.rps(),
        health.percentile_ms(0.99),
        poll.rps() / health.rps()
    )
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
