//! `msgsync-soak`: the fault-matrix soak (issue 11). Not part of `cargo test`; CI runs it for a
//! few minutes (`.ci/run`).
//!
//! 1. A reference server syncs every account of the matrix once, undisturbed (`reference`).
//! 2. The soak's server, on a tmpfs of its own, holds the same accounts: sandbox LinkedIn and
//!    Telegram accounts with every fault at different moments of their walk, and clean ones
//!    (`plan`). Each resyncs again and again through the resync route, full or partial,
//!    chunked or not, spans or all (`driver`), while the server is SIGKILLed, SIGTERMed and
//!    restarted and its disk filled and freed (`chaos`, `disk`), and API writes probe the full
//!    disk (`writes`).
//! 3. Then every account's data is compared with the reference, each is resynced to its
//!    outcome, dead sessions are reconnected, and the database file is checked (`verify`).
//!
//! Every choice comes from one seed, printed first; `--seed` replays it. Any broken guarantee
//! is printed with the account, its scenario and the seed, and the exit code is 1.

mod api;
mod chaos;
mod disk;
mod driver;
mod plan;
mod reference;
mod report;
mod servers;
mod snapshot;
mod verify;
mod writes;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use futures::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::api::Api;
use crate::chaos::Chaos;
use crate::driver::{AccountRun, Driver};
use crate::report::Ctx;

#[derive(Parser)]
#[command(
    about = "Sandbox accounts with every provider fault resync through SIGKILLs, SIGTERMs \
                   and a full disk; then their data is compared with an undisturbed sync"
)]
struct Args {
    /// How long the chaos lasts; the reference before it and the checks after it add a
    /// minute or two.
    #[arg(long, default_value_t = 3.0)]
    minutes: f64,
    /// The seed of every choice (default: from the clock). Printed first, to replay a run.
    #[arg(long)]
    seed: Option<u64>,
    /// Accounts in the soak (default: the fault matrix once, 46).
    #[arg(long)]
    accounts: Option<usize>,
    /// The release `msgsync` binary (default: the one next to this one).
    #[arg(long)]
    server: Option<PathBuf>,
}

/// Once the chaos is over, how long a resync may take to reach its outcome.
const SETTLE: Duration = Duration::from_secs(180);
/// Room on the tmpfs beyond the reference database (which holds every account twice).
const DISK_HEADROOM: u64 = 64 * 1024 * 1024;
/// How long the final SIGTERM may take.
const STOP_WITHIN: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64 % 1_000_000_000)
            .unwrap_or(1)
    });
    let mut replay = format!("msgsync-soak --seed {seed} --minutes {}", args.minutes);
    if let Some(n) = args.accounts {
        replay.push_str(&format!(" --accounts {n}"));
    }
    println!("msgsync-soak: seed {seed} (replay: {replay})");
    let ctx = Ctx::new(seed);
    let started = Instant::now();
    let logs = std::env::temp_dir().join(format!("msgsync-soak-{seed}"));
    let result = tokio::select! {
        r = soak(&ctx, &args, &logs) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    println!("total time {:.0} s", started.elapsed().as_secs_f64());
    let violations = ctx.violations();
    let findings = ctx.findings();
    if !findings.is_empty() {
        println!(
            "FINDINGS, not counted as violations (no guarantee covers them yet; seed {seed}):"
        );
        for f in findings.iter().collect::<BTreeSet<_>>() {
            println!("- {f}");
        }
    }
    if result.is_ok() && violations.is_empty() && findings.is_empty() {
        let _ = std::fs::remove_dir_all(&logs);
    } else if logs.exists() {
        println!("the servers' logs: {}", logs.display());
    }
    match result {
        Ok(()) if violations.is_empty() => {
            println!("RESULT: ok, no violation (seed {seed})");
            std::process::ExitCode::SUCCESS
        }
        Ok(()) => {
            println!(
                "RESULT: {} violations (seed {seed}; replay: {replay}):",
                violations.len()
            );
            for v in violations {
                println!("- {v}");
            }
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            println!(
                "RESULT: the soak could not run to its end (seed {seed}; replay: {replay}): {e:#}"
            );
            for v in violations {
                println!("- {v}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn soak(ctx: &Arc<Ctx>, args: &Args, logs: &std::path::Path) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let bin = servers::binary(args.server.clone())?;
    std::fs::create_dir_all(logs)?;

    // Mounted first, so that a soak without the right to mount fails at once; sized once the
    // reference shows how large the data is.
    let disk = disk::Tmpfs::mount(DISK_HEADROOM)?;

    // 1. The reference.
    let t = Instant::now();
    let reference = servers::reference(&bin, logs.join("reference.log")).await?;
    let ref_api = Api::new(&reference.base, &reference.key)?;
    let faults = reference::supported_faults(&ref_api).await?;
    let plans = plan::matrix(&mut rng, &faults, args.accounts);
    for (provider, kinds) in &faults {
        let names: Vec<_> = kinds.iter().map(|k| k.name).collect();
        println!("{provider} faults: {}", names.join(", "));
    }
    println!("{} accounts:", plans.len());
    for p in &plans {
        println!("  {}", p.label());
    }
    let expected = reference::expected(ctx, &ref_api, &plans).await?;
    let reference_bytes = db_bytes(&reference.database());
    drop(reference);
    println!(
        "reference: {} accounts synced undisturbed in {:.1} s ({} messages)",
        plans.len(),
        t.elapsed().as_secs_f64(),
        expected
            .iter()
            .map(|e| e.data.messages.len())
            .sum::<usize>()
    );

    // 2. The soak's server on its own small disk, the same accounts.
    let size = (reference_bytes + DISK_HEADROOM).next_multiple_of(1024 * 1024);
    disk.resize(size)?;
    println!("tmpfs of {} MiB at {}", size >> 20, disk.path().display());
    let server = servers::soak(&bin, disk.path().join("data"), logs.join("server.log")).await?;
    let api = Api::new(&server.base, &server.key)?;
    let mut runs = Vec::new();
    for (plan, expected) in plans.into_iter().zip(expected) {
        // Those that join at a disk fill are connected by their driver.
        let id = match plan.joins_at_fill {
            None => api.connect_account(&plan, &plan.scenario()).await?,
            Some(_) => String::new(),
        };
        runs.push(AccountRun::new(plan, id, expected));
    }

    let length = Duration::from_secs_f64(args.minutes * 60.0);
    let events = chaos::schedule(&mut rng, length);
    let probe_seed: u64 = rng.gen();
    println!(
        "chaos for {:.0} s: {} events (SIGKILL, SIGTERM, disk fills)",
        length.as_secs_f64(),
        events.len()
    );
    let drivers: Vec<_> = runs
        .into_iter()
        .map(|run| {
            let driver = Driver::new(ctx.clone(), api.clone(), &run, SETTLE);
            tokio::spawn(driver.drive(run))
        })
        .collect();
    let probes = tokio::spawn(writes::probe(ctx.clone(), api.clone(), probe_seed));
    let mut chaos = Chaos::new(ctx.clone(), server, disk);
    let played = chaos.run(&events).await;
    ctx.stop();
    // Without a server the resyncs cannot settle: the soak ends here.
    played.context("the chaos")?;
    let t = Instant::now();
    let mut runs = Vec::new();
    for joined in join_all(drivers).await {
        runs.push(joined.context("an account's driver panicked")?);
    }
    let probes = probes.await.context("the write probes panicked")?;
    println!(
        "resyncs settled in {:.1} s after the chaos",
        t.elapsed().as_secs_f64()
    );
    print_chaos(&chaos, &runs, &probes);

    // 3. The checks.
    let t = Instant::now();
    let soak_ids: BTreeSet<String> = runs
        .iter()
        .filter(|r| !r.id.is_empty())
        .map(|r| r.id.clone())
        .collect();
    let unanswered_connects = runs.iter().map(|r| r.unanswered_connects).sum();
    writes::check(ctx, &api, &probes, &soak_ids, unanswered_connects).await;
    for key in &chaos.stats.keys_created {
        if let Err(e) = api.with_key(key).get_ok("/api/v1/accounts?limit=1").await {
            ctx.violation(
                "msgsync keys create",
                format!("a key it printed on the full disk does not work: {e:#}"),
            );
        }
    }
    let finals = verify::accounts(ctx, &api, &mut runs, SETTLE).await;
    println!(
        "final resyncs: {}; {} dead sessions reconnected and resynced",
        tally(&finals.outcomes),
        finals.repaired
    );
    match chaos.server.terminate(STOP_WITHIN) {
        Ok(status) if status.success() => {}
        Ok(status) => ctx.violation(
            "the final SIGTERM",
            format!("the server exited with {status}"),
        ),
        Err(e) => ctx.violation("the final SIGTERM", format!("{e:#}")),
    }
    verify::database(ctx, &chaos.server.database()).await?;
    println!(
        "checks done in {:.1} s (data of every account, final resyncs, probes, integrity_check)",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_chaos(chaos: &Chaos, runs: &[AccountRun], probes: &writes::Probes) {
    let s = &chaos.stats;
    println!(
        "chaos: {} SIGKILL, {} SIGTERM (hitting {} resyncs under way), {} starts (mean {:.2} s \
         to listen), {} disk fills ({:.0} s full in all)",
        s.kills,
        s.terms,
        s.interrupted,
        s.starts,
        s.start_time.as_secs_f64() / f64::from(s.starts.max(1)),
        s.fills,
        s.full_time.as_secs_f64()
    );
    if s.full_start_failures > 0 {
        println!(
            "  {} starts failed on the full disk (freed, then started)",
            s.full_start_failures
        );
    }
    println!(
        "  keys create on the full disk: {} printed a key, {} refused {:?}",
        s.keys_created.len(),
        s.keys_refused.len(),
        s.keys_refused.iter().collect::<BTreeSet<_>>()
    );
    let mut outcomes: BTreeMap<String, u32> = BTreeMap::new();
    for run in runs {
        for (k, n) in &run.outcomes {
            *outcomes.entry(k.clone()).or_default() += n;
        }
    }
    println!(
        "resyncs: {} started; ended {}",
        runs.iter().map(|r| r.resyncs).sum::<u32>(),
        tally(&outcomes)
    );
    println!(
        "  {} polls showed a sync waiting for the database; {} answers 503, {} requests \
         unanswered (server down), {} outcomes lost with an unanswered request",
        runs.iter().map(|r| r.storage_waits).sum::<u32>(),
        runs.iter().map(|r| r.unavailable).sum::<u32>(),
        runs.iter().map(|r| r.unanswered).sum::<u32>(),
        runs.iter().map(|r| r.lost_outcomes).sum::<u32>()
    );
    let joining: Vec<_> = runs
        .iter()
        .filter(|r| r.plan.joins_at_fill.is_some())
        .collect();
    println!(
        "  {} accounts joined at a disk fill, {} of them while it was full",
        joining.iter().filter(|r| !r.id.is_empty()).count(),
        joining.iter().filter(|r| r.joined_while_full).count()
    );
    println!(
        "writes: {} accounts connected ({} while the disk was full), {} refused with 503, {} \
         unanswered; {} deleted, {} deletes refused, {} unanswered",
        probes.created,
        probes.created_while_full,
        probes.refused_creates,
        probes.unanswered_creates,
        probes.deleted.len(),
        probes.refused_deletes,
        probes.unsure.len()
    );
}

fn tally(counts: &BTreeMap<String, u32>) -> String {
    counts
        .iter()
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The size of a SQLite database with its WAL.
fn db_bytes(path: &std::path::Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}
