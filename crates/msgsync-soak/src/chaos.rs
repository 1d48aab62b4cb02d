//! The chaos: a schedule drawn from the seed of SIGKILLs and SIGTERMs of the server (each
//! followed by a start on the same data directory) and of disk fills (the tmpfs filled with
//! ballast to a few hundred KB free, then freed), played against the running soak.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use msgsync_harness::Server;
use rand::rngs::StdRng;
use rand::Rng;

use crate::disk::Tmpfs;
use crate::report::Ctx;

/// Time between two events.
const GAP_MS: std::ops::Range<u64> = 2_000..9_000;
/// How long the server stays down after a kill or a stop.
const DOWN_MS: std::ops::Range<u64> = 0..1_500;
/// How long the disk stays full.
const FULL_MS: std::ops::Range<u64> = 3_000..12_000;
/// Bytes left free when the disk is filled: a few hundred KB.
const LEAVE_BYTES: std::ops::Range<u64> = 100_000..600_000;
/// How long a SIGTERM may take to stop the server (it hands its syncs back at once).
const STOP_WITHIN: Duration = Duration::from_secs(30);
/// How long `msgsync keys create` may take on a full disk before it counts as hung.
const CLI_WITHIN: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
pub enum Event {
    Kill { down_ms: u64 },
    Terminate { down_ms: u64 },
    Fill { leave: u64 },
    Free,
}

/// The events of a soak of `length`, at their offsets from its start: kills and stops
/// anywhere, fills that do not overlap, each freed before the next.
pub fn schedule(rng: &mut StdRng, length: Duration) -> Vec<(Duration, Event)> {
    let mut events = Vec::new();
    let mut at = Duration::ZERO;
    let mut full_until: Option<Duration> = None;
    loop {
        at += Duration::from_millis(rng.gen_range(GAP_MS));
        if let Some(until) = full_until.filter(|u| *u <= at) {
            events.push((until, Event::Free));
            full_until = None;
        }
        if at >= length {
            break;
        }
        let event = match rng.gen_range(0..100) {
            0..45 => Event::Kill {
                down_ms: rng.gen_range(DOWN_MS),
            },
            45..70 => Event::Terminate {
                down_ms: rng.gen_range(DOWN_MS),
            },
            _ if full_until.is_none() => {
                full_until = Some(at + Duration::from_millis(rng.gen_range(FULL_MS)));
                Event::Fill {
                    leave: rng.gen_range(LEAVE_BYTES),
                }
            }
            _ => Event::Kill {
                down_ms: rng.gen_range(DOWN_MS),
            },
        };
        events.push((at, event));
    }
    if let Some(until) = full_until {
        events.push((until.min(length), Event::Free));
    }
    events
}

#[derive(Debug, Default)]
pub struct ChaosStats {
    pub kills: u32,
    pub terms: u32,
    /// Resyncs under way at the kills and stops.
    pub interrupted: usize,
    pub starts: u32,
    pub start_time: Duration,
    pub fills: u32,
    pub full_time: Duration,
    /// Starts that failed while the disk was full (the disk was then freed and the start retried).
    pub full_start_failures: u32,
    /// `msgsync keys create` while the disk was full: keys printed, and refusals.
    pub keys_created: Vec<String>,
    pub keys_refused: Vec<String>,
}

pub struct Chaos {
    ctx: Arc<Ctx>,
    pub server: Server,
    pub disk: Tmpfs,
    pub stats: ChaosStats,
    base: String,
    full_since: Option<Instant>,
}

impl Chaos {
    pub fn new(ctx: Arc<Ctx>, server: Server, disk: Tmpfs) -> Chaos {
        let base = server.base.clone();
        Chaos {
            ctx,
            server,
            disk,
            stats: ChaosStats::default(),
            base,
            full_since: None,
        }
    }

    /// Plays `events` from now on; afterwards the disk is free and the server running.
    pub async fn run(&mut self, events: &[(Duration, Event)]) -> anyhow::Result<()> {
        let start = tokio::time::Instant::now();
        for (at, event) in events {
            tokio::time::sleep_until(start + *at).await;
            // With the wall-clock time, to find the moment in the server's log.
            eprintln!(
                "soak: {} +{:.1} s {event:?}",
                chrono::Utc::now().format("%H:%M:%S%.3f"),
                at.as_secs_f64()
            );
            match *event {
                Event::Kill { down_ms } => {
                    self.stats.interrupted += self.ctx.in_flight();
                    self.server.kill()?;
                    self.stats.kills += 1;
                    tokio::time::sleep(Duration::from_millis(down_ms)).await;
                    self.start("SIGKILL").await?;
                }
                Event::Terminate { down_ms } => {
                    self.stats.interrupted += self.ctx.in_flight();
                    self.terminate().await;
                    tokio::time::sleep(Duration::from_millis(down_ms)).await;
                    self.start("SIGTERM").await?;
                }
                Event::Fill { leave } => self.fill(leave).await?,
                Event::Free => self.free()?,
            }
        }
        self.free()?;
        if !self.server.is_running() {
            self.start("the end of the chaos").await?;
        }
        Ok(())
    }

    async fn terminate(&mut self) {
        self.stats.terms += 1;
        let within = STOP_WITHIN;
        let server = &mut self.server;
        // The wait for the exit blocks: off the runtime's workers.
        let result = tokio::task::block_in_place(|| server.terminate(within));
        match result {
            Ok(status) if status.success() => {}
            Ok(status) => self.ctx.violation(
                "SIGTERM",
                format!(
                    "the server exited with {status} (a graceful stop exits 0); its last lines:\n{}",
                    self.server.log_tail()
                ),
            ),
            Err(e) => self.ctx.violation("SIGTERM", format!("{e:#}")),
        }
    }

    /// Starts the server on its data directory after `what`. A start that fails while the disk
    /// is full is a finding (no guarantee covers it yet): the disk is freed and the start tried
    /// again.
    async fn start(&mut self, what: &str) -> anyhow::Result<()> {
        let t = Instant::now();
        if let Err(e) = self.server.respawn().await {
            if !self.ctx.disk_full() {
                return Err(e.context(format!("starting the server again after {what}")));
            }
            let said = last_line(&format!("{e:#}"));
            self.ctx.finding(format!(
                "after a {what} while the disk was full ({} KB free), `msgsync serve` did not \
                 start again: {said} (the soak freed the disk and started it)",
                self.disk.free_bytes().unwrap_or_default() / 1024
            ));
            self.stats.full_start_failures += 1;
            self.free()?;
            self.server
                .respawn()
                .await
                .context("starting the server again once the disk was freed")?;
        }
        self.stats.starts += 1;
        self.stats.start_time += t.elapsed();
        if self.server.base != self.base {
            bail!(
                "the server came back on {} instead of {}",
                self.server.base,
                self.base
            );
        }
        Ok(())
    }

    async fn fill(&mut self, leave: u64) -> anyhow::Result<()> {
        self.stats.fills += 1;
        self.disk.fill(leave)?;
        self.ctx.set_disk_full(true);
        self.full_since = Some(Instant::now());
        self.create_key().await
    }

    fn free(&mut self) -> anyhow::Result<()> {
        if let Some(since) = self.full_since.take() {
            self.disk.free()?;
            self.stats.full_time += since.elapsed();
            self.ctx.set_disk_full(false);
        }
        Ok(())
    }

    /// `msgsync keys create` on the full disk: it prints a key that then works, or fails
    /// saying why; it does not hang.
    async fn create_key(&mut self) -> anyhow::Result<()> {
        let n = self.stats.fills;
        let mut cmd = self.server.command();
        cmd.args([
            "keys",
            "create",
            "--name",
            &format!("soak-full-{n}"),
            "--mode",
            "test",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let child = cmd.spawn().context("running msgsync keys create")?;
        let pid = child.id();
        let waited = tokio::time::timeout(
            CLI_WITHIN,
            tokio::task::spawn_blocking(move || child.wait_with_output()),
        )
        .await;
        let out = match waited {
            Ok(joined) => joined??,
            Err(_) => {
                // SAFETY: `kill` has no memory effects; the child is ours and not yet reaped.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
                self.ctx.violation(
                    "msgsync keys create",
                    format!("on a full disk it neither succeeded nor failed within {CLI_WITHIN:?}"),
                );
                return Ok(());
            }
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        match stdout.lines().last().map(str::trim) {
            Some(key) if out.status.success() && key.starts_with("pp_test_") => {
                self.stats.keys_created.push(key.to_owned())
            }
            _ if !out.status.success() => self
                .stats
                .keys_refused
                .push(last_line(&String::from_utf8_lossy(&out.stderr))),
            _ => self.ctx.violation(
                "msgsync keys create",
                format!("on a full disk it exited 0 without printing a key: {stdout:?}"),
            ),
        }
        Ok(())
    }
}

/// What a failed `msgsync` command said: its `Error:` line, else its last line.
fn last_line(text: &str) -> String {
    let lines = text.trim().lines();
    lines
        .clone()
        .find(|l| l.starts_with("Error:"))
        .or_else(|| lines.last())
        .unwrap_or_default()
        .to_owned()
}
