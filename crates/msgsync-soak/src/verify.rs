//! After the chaos, on a server nothing disturbs any more: every account's data against the
//! reference, a last full resync of each to its outcome, dead sessions reconnected and synced
//! to the end, and the database file checked.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::stream::{self, StreamExt};
use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Row};

use crate::api::{Answer, Api};
use crate::driver::{AccountRun, Driver, End};
use crate::plan::{Outcome, SyncPlan};
use crate::report::Ctx;
use crate::snapshot::Diff;

/// Accounts checked at once.
const CONCURRENCY: usize = 8;

/// The final resyncs, by how they ended.
#[derive(Debug, Default)]
pub struct Finals {
    pub outcomes: BTreeMap<String, u32>,
    /// Dead sessions reconnected with their clean scenario and synced to the end.
    pub repaired: u32,
}

/// Checks every account; returns how their final resyncs ended.
pub async fn accounts(
    ctx: &Arc<Ctx>,
    api: &Api,
    runs: &mut [AccountRun],
    settle: Duration,
) -> Finals {
    let results: Vec<(String, bool)> = stream::iter(runs.iter_mut())
        .map(|run| async move { account(ctx, api, run, settle).await })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut finals = Finals::default();
    for (outcome, repaired) in results {
        *finals.outcomes.entry(outcome).or_default() += 1;
        finals.repaired += u32::from(repaired);
    }
    finals
}

/// One account: its data as the chaos left it, its final resync, and its repair if the
/// session died. Returns the final resync's end and whether it was repaired.
async fn account(
    ctx: &Arc<Ctx>,
    api: &Api,
    run: &mut AccountRun,
    settle: Duration,
) -> (String, bool) {
    let who = run.who();
    if run.id.is_empty() {
        // Never connected: said when it was refused.
        return ("never connected".to_owned(), false);
    }
    // Nothing a finished resync stored may be lost, and nothing may be invented, changed,
    // duplicated or marked deleted, whatever the chaos interrupted.
    match api.snapshot(&run.id).await {
        Ok(snap) => {
            let diff = Diff::within(&snap, &run.expected.data, &run.complete);
            if !diff.is_empty() {
                ctx.violation(
                    &who,
                    format!(
                        "as the chaos left it (finished spans: {:?}): {}",
                        run.complete,
                        diff.describe()
                    ),
                );
            }
        }
        Err(e) => ctx.violation(&who, format!("reading its data after the chaos: {e:#}")),
    }

    let mut driver = Driver::new(ctx.clone(), api.clone(), run, settle);
    let end = driver.follow(run, &SyncPlan::full()).await;
    let expected = run.expected.outcome.clone();
    let label = match &end {
        End::Done => "SYNC_DONE".to_owned(),
        End::Error(t) => format!("SYNC_ERROR {t}"),
        End::Refused(t) => format!("refused {t}"),
        End::Broken => "broken".to_owned(),
    };
    let as_expected = match (&expected, &end) {
        (Outcome::Done, End::Done) => true,
        (Outcome::Error(want), End::Error(got) | End::Refused(got)) => want == got,
        _ => false,
    };
    if !as_expected {
        if end != End::Broken {
            ctx.violation(
                &who,
                format!(
                    "the final full resync ended {label}; undisturbed on a fresh server it ends {expected}"
                ),
            );
        }
        return (label, false);
    }
    if end == End::Done {
        exact(ctx, api, run, "after the final full resync").await;
        return (label, false);
    }

    // A dead session: reconnected with its clean scenario, it syncs to the end and holds
    // exactly the data, with nothing of what the dying resyncs stored twice.
    let body = json!({ run.plan.provider.credential_field(): run.plan.clean_scenario() });
    match api
        .post(&format!("/api/v1/accounts/{}", run.id), &body)
        .await
    {
        Answer::Json { status: 200, .. } => {}
        other => {
            ctx.violation(&who, format!("reconnecting it: {}", other.describe()));
            return (label, false);
        }
    }
    match driver.follow(run, &SyncPlan::full()).await {
        End::Done => exact(ctx, api, run, "reconnected and resynced").await,
        End::Broken => {}
        other => ctx.violation(
            &who,
            format!("reconnected with its clean scenario, a full resync ended {other:?}"),
        ),
    }
    (label, true)
}

async fn exact(ctx: &Ctx, api: &Api, run: &AccountRun, when: &str) {
    match api.snapshot(&run.id).await {
        Ok(snap) => {
            let diff = Diff::exact(&snap, &run.expected.data);
            if !diff.is_empty() {
                ctx.violation(&run.who(), format!("{when}: {}", diff.describe()));
            }
        }
        Err(e) => ctx.violation(&run.who(), format!("reading its data {when}: {e:#}")),
    }
}

/// `PRAGMA integrity_check` and `PRAGMA foreign_key_check` of the stopped server's database.
pub async fn database(ctx: &Ctx, path: &Path) -> anyhow::Result<()> {
    let who = format!("database {}", path.display());
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .connect()
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let rows = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await?;
    let lines: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
    if lines != ["ok"] {
        ctx.violation(&who, format!("PRAGMA integrity_check: {lines:?}"));
    }
    let orphans = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await?;
    if !orphans.is_empty() {
        let tables: Vec<String> = orphans
            .iter()
            .take(5)
            .map(|r| r.get::<String, _>(0))
            .collect();
        ctx.violation(
            &who,
            format!(
                "PRAGMA foreign_key_check: {} rows point at nothing (tables {tables:?}…)",
                orphans.len()
            ),
        );
    }
    Ok(())
}
