//! The reference: every account of the matrix synced once on a fresh server that nothing
//! disturbs, with its own scenario (what a resync of it ends with) and with the clean one (the
//! data it must end up with).

use std::sync::Arc;

use anyhow::{bail, Context};
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::api::{Answer, Api};
use crate::plan::{AccountPlan, FaultKind, Outcome, Provider, FAULTS};
use crate::report::Ctx;
use crate::snapshot::{Diff, Snapshot};

/// Accounts the reference syncs at once.
const CONCURRENCY: usize = 8;

/// What an account must end up with.
pub struct Expected {
    /// What a full resync of the account's own scenario ends with, uninterrupted.
    pub outcome: Outcome,
    /// The data of its clean scenario, synced uninterrupted.
    pub data: Snapshot,
}

impl Expected {
    /// The error type the account's session dies with, if it does.
    pub fn error_type(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Error(t) => Some(t),
            Outcome::Done => None,
        }
    }
}

/// The faults of [`FAULTS`] the server knows, per provider: a scenario with one it does not
/// know is refused with 400 at connection.
pub async fn supported_faults(api: &Api) -> anyhow::Result<Vec<(Provider, Vec<FaultKind>)>> {
    let mut out = Vec::new();
    for provider in Provider::ALL {
        let mut known = Vec::new();
        for kind in FAULTS.iter().filter(|f| f.applies_to(provider)) {
            // A fault that never starts: only the grammar is asked.
            let scenario = format!(
                "sandbox:chats=1,messages=1,fault={},fault_after=1000000",
                kind.name
            );
            match api
                .connect(provider.as_str(), provider.credential_field(), &scenario)
                .await
            {
                Answer::Json { status: 201, .. } => known.push(*kind),
                Answer::Json { status: 400, .. } if kind.telegram_only => {}
                other => bail!("connecting {provider} {scenario}: {}", other.describe()),
            }
        }
        out.push((provider, known));
    }
    Ok(out)
}

/// Syncs every account of `plans` on the reference server behind `api`.
pub async fn expected(
    ctx: &Ctx,
    api: &Api,
    plans: &[AccountPlan],
) -> anyhow::Result<Vec<Arc<Expected>>> {
    stream::iter(plans)
        .map(|plan| async move { one(ctx, api, plan).await.map(Arc::new) })
        .buffered(CONCURRENCY)
        .try_collect()
        .await
}

async fn one(ctx: &Ctx, api: &Api, plan: &AccountPlan) -> anyhow::Result<Expected> {
    let who = format!("reference {}", plan.label());
    let clean = api.connect_account(plan, &plan.clean_scenario()).await?;
    let done = api.sync_to_outcome(&clean, "").await?;
    if done["status"] != "SYNC_DONE" {
        bail!("{who}: the clean scenario ended {done}");
    }
    let data = api
        .snapshot(&clean)
        .await
        .context("reading the reference")?;

    let own = api.connect_account(plan, &plan.scenario()).await?;
    let end = api.sync_to_outcome(&own, "").await?;
    let outcome = match end["status"].as_str() {
        Some("SYNC_DONE") => Outcome::Done,
        Some("SYNC_ERROR") => Outcome::Error(
            end["error"]["type"]
                .as_str()
                .with_context(|| format!("{who}: SYNC_ERROR without a type: {end}"))?
                .to_owned(),
        ),
        _ => bail!("{who}: a full resync ended {end}"),
    };
    match plan.named_outcome() {
        Some(named) if named != outcome => ctx.violation(
            &who,
            format!(
                "on a fresh server, undisturbed, a full resync ends {outcome} where the fault's \
                 name says {named}: {end}"
            ),
        ),
        None if outcome == Outcome::Done => ctx.violation(
            &who,
            format!("on a fresh server, undisturbed, a full resync ends {outcome} where the fault should kill the session: {end}"),
        ),
        _ => {}
    }
    if outcome == Outcome::Done {
        let diff = Diff::exact(&api.snapshot(&own).await?, &data);
        if !diff.is_empty() {
            ctx.violation(
                &who,
                format!(
                    "on a fresh server, undisturbed, the fault changed the data: {}",
                    diff.describe()
                ),
            );
        }
    }
    Ok(Expected { outcome, data })
}
