//! API writes under the chaos, above all while the disk is full: connecting and deleting
//! accounts. Each either succeeds and stays (read back at once, and again at the end) or is
//! refused with 503 `errors/service_unavailable` and leaves nothing behind; never a 201 that is
//! then lost.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::api::{is_envelope, Answer, Api, CHAT_PAGE};
use crate::plan::Provider;
use crate::report::Ctx;

/// Pause between two writes while the disk is full, and while it is not.
const WHILE_FULL_MS: std::ops::Range<u64> = 100..400;
const OTHERWISE_MS: std::ops::Range<u64> = 1_000..3_000;
/// Seeds of the probe accounts' scenarios start here (the matrix's are far below).
const FIRST_SEED: u64 = 5_000_000_000;

/// The accounts the probes wrote, and how the server answered.
#[derive(Debug, Default)]
pub struct Probes {
    /// Connected (201) and not deleted since.
    pub live: Vec<String>,
    /// Deleted (200).
    pub deleted: Vec<String>,
    /// A delete without an answer: either state is right.
    pub unsure: Vec<String>,
    /// Connects without an answer: each may have created an account.
    pub unanswered_creates: u32,
    pub created: u32,
    pub created_while_full: u32,
    pub refused_creates: u32,
    pub refused_deletes: u32,
}

pub async fn probe(ctx: Arc<Ctx>, api: Api, seed: u64) -> Probes {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut p = Probes::default();
    let mut n = 0u64;
    while !ctx.stopping() {
        let full = ctx.disk_full();
        let pause = rng.gen_range(if full { WHILE_FULL_MS } else { OTHERWISE_MS });
        tokio::time::sleep(Duration::from_millis(pause)).await;
        if rng.gen_bool(0.35) && !p.live.is_empty() {
            let i = rng.gen_range(0..p.live.len());
            let id = p.live.swap_remove(i);
            delete(&ctx, &api, &mut p, id).await;
        } else {
            let provider = if rng.gen_bool(0.5) {
                Provider::Linkedin
            } else {
                Provider::Telegram
            };
            n += 1;
            create(&ctx, &api, &mut p, provider, FIRST_SEED + n).await;
        }
    }
    p
}

async fn create(ctx: &Ctx, api: &Api, p: &mut Probes, provider: Provider, seed: u64) {
    let full = ctx.disk_full();
    let scenario = format!("sandbox:chats=1,messages=1,seed={seed}");
    let who = format!("POST /api/v1/accounts {provider} {scenario}");
    match api
        .connect(provider.as_str(), provider.credential_field(), &scenario)
        .await
    {
        Answer::Json { status: 201, body } => {
            let Some(id) = body["account_id"].as_str().map(str::to_owned) else {
                ctx.violation(&who, format!("201 without an account_id: {body}"));
                return;
            };
            p.created += 1;
            p.created_while_full += u32::from(full);
            match api.get(&format!("/api/v1/accounts/{id}")).await {
                Answer::Json { status: 200, .. } | Answer::Gone(_) => {}
                other => ctx.violation(
                    &who,
                    format!("answered 201 {id}, then GET answered {}", other.describe()),
                ),
            }
            p.live.push(id);
        }
        Answer::Json { status: 503, body } => {
            p.refused_creates += 1;
            refusal(ctx, &who, &body);
        }
        Answer::Gone(_) => p.unanswered_creates += 1,
        other => ctx.violation(&who, other.describe()),
    }
}

async fn delete(ctx: &Ctx, api: &Api, p: &mut Probes, id: String) {
    let who = format!("DELETE /api/v1/accounts/{id}");
    let path = format!("/api/v1/accounts/{id}");
    match api.delete(&path).await {
        Answer::Json { status: 200, .. } => {
            match api.get(&path).await {
                Answer::Json { status: 404, .. } | Answer::Gone(_) => {}
                other => ctx.violation(
                    &who,
                    format!("answered 200, then GET answered {}", other.describe()),
                ),
            }
            p.deleted.push(id);
        }
        Answer::Json { status: 503, body } => {
            p.refused_deletes += 1;
            refusal(ctx, &who, &body);
            match api.get(&path).await {
                Answer::Json { status: 200, .. } => p.live.push(id),
                Answer::Gone(_) => p.unsure.push(id),
                other => {
                    ctx.violation(
                        &who,
                        format!("answered 503, then GET answered {}", other.describe()),
                    );
                    p.unsure.push(id);
                }
            }
        }
        Answer::Gone(_) => p.unsure.push(id),
        other => {
            ctx.violation(&who, other.describe());
            p.unsure.push(id);
        }
    }
}

/// A refused write: 503 `service_unavailable` in the envelope, with a detail.
fn refusal(ctx: &Ctx, who: &str, body: &serde_json::Value) {
    let detail = body["detail"].as_str().unwrap_or_default();
    if !is_envelope(503, body) || body["type"] != "errors/service_unavailable" || detail.is_empty()
    {
        ctx.violation(
            who,
            format!("a refusal that is not service_unavailable: {body}"),
        );
    }
}

/// At the end, on a server nothing disturbs: what was acknowledged is there, what was deleted
/// is gone, and the account list holds nothing else than the soak's own accounts.
pub async fn check(
    ctx: &Ctx,
    api: &Api,
    p: &Probes,
    soak_accounts: &BTreeSet<String>,
    other_unanswered_creates: u32,
) {
    for id in &p.live {
        match api.get(&format!("/api/v1/accounts/{id}")).await {
            Answer::Json { status: 200, .. } => {}
            other => ctx.violation(
                &format!("account {id} (a probe)"),
                format!(
                    "POST /api/v1/accounts answered 201 for it; at the end GET answers {}",
                    other.describe()
                ),
            ),
        }
    }
    for id in &p.deleted {
        match api.get(&format!("/api/v1/accounts/{id}")).await {
            Answer::Json { status: 404, .. } => {}
            other => ctx.violation(
                &format!("account {id} (a probe)"),
                format!(
                    "DELETE answered 200 for it; at the end GET answers {}",
                    other.describe()
                ),
            ),
        }
    }
    let listed = match api.walk("/api/v1/accounts", CHAT_PAGE).await {
        Ok(items) => items,
        Err(e) => {
            ctx.violation("GET /api/v1/accounts", format!("{e:#}"));
            return;
        }
    };
    let listed: BTreeSet<String> = listed
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_owned))
        .collect();
    let expected: BTreeSet<String> = soak_accounts.iter().chain(&p.live).cloned().collect();
    let missing: Vec<_> = expected.difference(&listed).collect();
    let unsure: BTreeSet<String> = p.unsure.iter().cloned().collect();
    let unknown: Vec<_> = listed
        .difference(&expected)
        .filter(|id| !unsure.contains(*id))
        .collect();
    if !missing.is_empty() {
        ctx.violation(
            "GET /api/v1/accounts",
            format!("acknowledged accounts not listed: {missing:?}"),
        );
    }
    // Connects that got no answer may have created an account each, and nothing else may.
    let unanswered = p.unanswered_creates + other_unanswered_creates;
    if unknown.len() > unanswered as usize {
        ctx.violation(
            "GET /api/v1/accounts",
            format!(
                "{} accounts listed that no answer acknowledged (only {unanswered} connects \
                 went unanswered): {unknown:?}",
                unknown.len(),
            ),
        );
    }
}
