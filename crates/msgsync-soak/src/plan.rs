//! What the soak does, drawn from its seed: the fault matrix (which sandbox accounts, with
//! which fault, starting when) and the resyncs each account runs.

use std::fmt;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::snapshot::Scope;

/// The sandbox's anchor on every server of the soak (`MSGSYNC_SANDBOX_EPOCH`): the data is
/// the same on the soak's server, its restarts and the reference server.
pub const SANDBOX_EPOCH: &str = "2026-01-01";
/// [`SANDBOX_EPOCH`] in epoch milliseconds.
pub const SANDBOX_EPOCH_MS: i64 = 1_767_225_600_000;
const DAY_MS: i64 = 86_400_000;

/// `fault_after` of a fault that never comes: far more provider requests than the soak makes.
const NEVER: u64 = 1_000_000;

/// Messages in one page of the providers' history (LinkedIn's Voyager serves 20, Telegram 100):
/// how many provider requests a sync makes at least, so that a fault can be placed inside it.
const LINKEDIN_PAGE: u64 = 20;
const TELEGRAM_PAGE: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Provider {
    Linkedin,
    Telegram,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Linkedin, Provider::Telegram];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Linkedin => "LINKEDIN",
            Provider::Telegram => "TELEGRAM",
        }
    }

    /// The field of the connect body that holds a sandbox scenario.
    pub fn credential_field(self) -> &'static str {
        match self {
            Provider::Linkedin => "access_token",
            Provider::Telegram => "session",
        }
    }

    /// Provider requests that connecting an account makes and its fault counter counts
    /// (LinkedIn asks `/voyager/api/me`; Telegram's user look-up is not counted). A fault must
    /// come after them, or the account cannot be connected at all.
    fn connect_requests(self) -> u64 {
        match self {
            Provider::Linkedin => 1,
            Provider::Telegram => 1,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a fault does once it starts, as its name promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// The provider fails for a while, then serves again: the sync ends `SYNC_DONE`.
    Recovers,
    /// The provider fails from then on: the sync ends `SYNC_ERROR` with this error type
    /// (`None`: a fault whose type the soak takes from the reference run).
    Dead(Option<&'static str>),
}

/// A sandbox fault the soak knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultKind {
    pub name: &'static str,
    pub hit: Hit,
    /// Faults of Telegram only.
    pub telegram_only: bool,
}

/// Every fault of CONTRACT §6. The Telegram-only ones are used when the server knows them
/// (see [`crate::reference::supported_faults`]).
pub const FAULTS: [FaultKind; 9] = [
    FaultKind::new("rate_limited", Hit::Recovers),
    FaultKind::new("flaky", Hit::Recovers),
    FaultKind::new("expired", Hit::Dead(Some("errors/expired_credentials"))),
    FaultKind::new("restricted", Hit::Dead(Some("errors/account_restricted"))),
    FaultKind::new("down", Hit::Dead(Some("errors/service_unavailable"))),
    FaultKind::new("timeout", Hit::Dead(Some("errors/request_timeout"))),
    FaultKind::telegram("auth_key_duplicated", Hit::Dead(None)),
    FaultKind::telegram("migrate", Hit::Recovers),
    FaultKind::telegram(
        "deactivated",
        Hit::Dead(Some("errors/disconnected_account")),
    ),
];

impl FaultKind {
    const fn new(name: &'static str, hit: Hit) -> FaultKind {
        FaultKind {
            name,
            hit,
            telegram_only: false,
        }
    }

    const fn telegram(name: &'static str, hit: Hit) -> FaultKind {
        FaultKind {
            name,
            hit,
            telegram_only: true,
        }
    }

    pub fn applies_to(&self, provider: Provider) -> bool {
        !self.telegram_only || provider == Provider::Telegram
    }
}

/// When a fault starts, against the provider requests of one full sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// At the first request the sync makes.
    Start,
    /// Somewhere in the first half of a sync's requests.
    Midway,
    /// Never, for a fault that kills the session; for one that recovers, after more requests
    /// than one sync makes, so during a later resync.
    Late,
}

impl When {
    const ALL: [When; 3] = [When::Start, When::Midway, When::Late];
}

#[derive(Debug, Clone)]
pub struct FaultPlan {
    pub kind: FaultKind,
    pub when: When,
    pub after: u64,
}

/// One sandbox account of the soak.
#[derive(Debug, Clone)]
pub struct AccountPlan {
    pub index: usize,
    pub provider: Provider,
    pub chats: u64,
    pub messages: u64,
    pub seed: u64,
    pub span_days: i64,
    /// LinkedIn inboxes, joined by `+`.
    pub products: Option<&'static str>,
    pub latency_ms: u64,
    pub fault: Option<FaultPlan>,
    /// Connected only at this disk fill (counting from 1), while the disk is full; the others
    /// are connected before the chaos.
    pub joins_at_fill: Option<u32>,
    /// Seed of this account's own choices (its resyncs).
    pub rng_seed: u64,
}

/// What the last of an account's resyncs must end with, once nothing disturbs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// `SYNC_ERROR` with this type (or, for a session the route already knows dead, the route's
    /// own error of this type).
    Error(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Done => f.write_str("SYNC_DONE"),
            Outcome::Error(t) => write!(f, "SYNC_ERROR {t}"),
        }
    }
}

impl AccountPlan {
    /// The scenario without latency or fault: the data the provider holds.
    pub fn clean_scenario(&self) -> String {
        let mut s = format!(
            "sandbox:chats={},messages={},seed={},span_days={}",
            self.chats, self.messages, self.seed, self.span_days
        );
        if let Some(p) = self.products {
            s.push_str(&format!(",products={p}"));
        }
        s
    }

    /// The account's credential: its data, latency and fault.
    pub fn scenario(&self) -> String {
        let mut s = self.clean_scenario();
        if self.latency_ms > 0 {
            s.push_str(&format!(",latency_ms={}", self.latency_ms));
        }
        if let Some(f) = &self.fault {
            s.push_str(&format!(",fault={},fault_after={}", f.kind.name, f.after));
        }
        s
    }

    /// How the account is named in what the soak prints.
    pub fn label(&self) -> String {
        let mut label = format!("#{} {} {}", self.index, self.provider, self.scenario());
        if let Some(n) = self.joins_at_fill {
            label.push_str(&format!(" (connected at disk fill {n})"));
        }
        label
    }

    /// What a resync of the whole account ends with once nothing disturbs it, by the fault's
    /// name: `None` for a fault whose error type only the reference run knows.
    pub fn named_outcome(&self) -> Option<Outcome> {
        match &self.fault {
            Some(FaultPlan {
                kind:
                    FaultKind {
                        hit: Hit::Dead(error),
                        ..
                    },
                when: When::Start | When::Midway,
                ..
            }) => error.map(|e| Outcome::Error(e.to_owned())),
            _ => Some(Outcome::Done),
        }
    }

    /// Whether the account's session dies during the soak.
    pub fn dies(&self) -> bool {
        matches!(
            &self.fault,
            Some(FaultPlan {
                kind: FaultKind {
                    hit: Hit::Dead(_),
                    ..
                },
                when: When::Start | When::Midway,
                ..
            })
        )
    }

    /// Error types a resync of this account may end with while the soak disturbs it.
    pub fn tolerated_errors(&self, dead_type: Option<&str>) -> Vec<String> {
        let mut types = Vec::new();
        if let Some(f) = &self.fault {
            match f.kind.hit {
                // Out of retries: the simulator's counter starts again with every restart of the
                // server, so a recovering fault can come back more often than the budget.
                Hit::Recovers => types.extend(
                    ["errors/provider_error", "errors/service_unavailable"].map(String::from),
                ),
                Hit::Dead(t) => types.extend(t.or(dead_type).map(String::from)),
            }
        }
        types
    }

    /// The fewest provider requests a full sync of this account makes.
    fn requests_per_sync(&self) -> u64 {
        let pages = |page: u64| self.messages.div_ceil(page).max(1);
        match self.provider {
            Provider::Linkedin => 2 + self.chats * pages(LINKEDIN_PAGE),
            Provider::Telegram => 1 + self.chats * pages(TELEGRAM_PAGE),
        }
    }
}

/// What an account of the matrix is there for.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Clean,
    /// Clean, larger, and connected only once the disk is full: new data that needs room.
    JoinsFull,
    Fault(FaultKind, When),
}

/// Accounts per provider in the matrix besides the faulty ones.
const CLEAN_PER_PROVIDER: usize = 3;
const JOINING_PER_PROVIDER: usize = 2;
/// The disk fills at which the joining accounts connect (one of the first few).
const JOIN_AT_FILL: std::ops::RangeInclusive<u32> = 1..=3;

/// The accounts of the soak: for each provider, every fault it supports at each [`When`], clean
/// accounts, and larger ones that join while the disk is full; `count` (if given) cycles
/// through them. Data, latency and products vary.
pub fn matrix(
    rng: &mut StdRng,
    faults: &[(Provider, Vec<FaultKind>)],
    count: Option<usize>,
) -> Vec<AccountPlan> {
    let mut slots: Vec<(Provider, Slot)> = Vec::new();
    for (provider, supported) in faults {
        slots.extend(std::iter::repeat_n(
            (*provider, Slot::Clean),
            CLEAN_PER_PROVIDER,
        ));
        slots.extend(std::iter::repeat_n(
            (*provider, Slot::JoinsFull),
            JOINING_PER_PROVIDER,
        ));
        for kind in supported {
            for when in When::ALL {
                slots.push((*provider, Slot::Fault(*kind, when)));
            }
        }
    }
    slots.shuffle(rng);
    let count = count.unwrap_or(slots.len());
    let first_seed: u64 = rng.gen_range(1..1_000_000_000);
    (0..count)
        .map(|index| {
            let (provider, slot) = slots[index % slots.len()];
            let large = matches!(slot, Slot::JoinsFull);
            let mut plan = AccountPlan {
                index,
                provider,
                chats: if large {
                    rng.gen_range(16..=30)
                } else {
                    rng.gen_range(4..=12)
                },
                messages: match (provider, large) {
                    // LinkedIn rows are ~3.5 KB: fewer of them keep the tmpfs small.
                    (Provider::Linkedin, false) => rng.gen_range(8..=50),
                    (Provider::Linkedin, true) => rng.gen_range(30..=60),
                    (Provider::Telegram, false) => rng.gen_range(10..=160),
                    (Provider::Telegram, true) => rng.gen_range(100..=200),
                },
                seed: first_seed + index as u64,
                span_days: *[30, 120, 365].choose(rng).unwrap_or(&365),
                products: (provider == Provider::Linkedin && rng.gen_bool(0.25))
                    .then_some("classic+recruiter"),
                latency_ms: *[0, 5, 20, 40].choose(rng).unwrap_or(&0),
                fault: None,
                joins_at_fill: large.then(|| rng.gen_range(JOIN_AT_FILL)),
                rng_seed: rng.gen(),
            };
            if let Slot::Fault(kind, when) = slot {
                let start = provider.connect_requests();
                let half = (plan.requests_per_sync() / 2).max(2);
                let after = match (when, kind.hit) {
                    (When::Start, _) => start,
                    (When::Midway, _) => rng.gen_range(start + 1..=start + half),
                    (When::Late, Hit::Dead(_)) => NEVER,
                    (When::Late, Hit::Recovers) => {
                        let n = plan.requests_per_sync();
                        rng.gen_range(n..=3 * n)
                    }
                };
                plan.fault = Some(FaultPlan { kind, when, after });
            }
            plan
        })
        .collect()
}

/// One resync an account runs: its parameters (repeated for each chunk until the outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPlan {
    pub chunk_size: Option<u32>,
    pub partial: bool,
    pub after: Option<i64>,
    pub before: Option<i64>,
}

impl SyncPlan {
    /// The plain full resync of the whole account.
    pub fn full() -> SyncPlan {
        SyncPlan {
            chunk_size: None,
            partial: false,
            after: None,
            before: None,
        }
    }

    /// A resync as an API user might ask for one: full or partial, whole or chunked, all of
    /// the history or a span of it.
    pub fn random(rng: &mut StdRng, account: &AccountPlan) -> SyncPlan {
        let mut plan = SyncPlan::full();
        plan.partial = rng.gen_bool(0.3);
        if rng.gen_bool(0.35) {
            plan.chunk_size = Some(rng.gen_range(2..=5));
        }
        if rng.gen_bool(0.35) {
            let oldest = SANDBOX_EPOCH_MS - account.span_days * DAY_MS;
            let a = rng.gen_range(oldest..SANDBOX_EPOCH_MS);
            let b = rng.gen_range(a..=SANDBOX_EPOCH_MS);
            match rng.gen_range(0..3) {
                0 => plan.after = Some(a),
                1 => plan.before = Some(b),
                _ => (plan.after, plan.before) = (Some(a), Some(b)),
            }
        }
        plan
    }

    /// The query string of the resync route.
    pub fn query(&self) -> String {
        let mut q = Vec::new();
        if let Some(n) = self.chunk_size {
            q.push(format!("chunk_size={n}"));
        }
        if self.partial {
            q.push("partial=true".to_owned());
        }
        if let Some(a) = self.after {
            q.push(format!("after={a}"));
        }
        if let Some(b) = self.before {
            q.push(format!("before={b}"));
        }
        q.join("&")
    }

    /// The messages a finished resync of this plan holds: its span.
    pub fn scope(&self) -> Scope {
        Scope {
            after: self.after,
            before: self.before,
        }
    }

    /// Whether the `params` of a resync answer are this plan's.
    pub fn matches(&self, params: &serde_json::Value) -> bool {
        params["chunk_size"].as_u64() == self.chunk_size.map(u64::from)
            && params["partial"].as_bool() == Some(self.partial)
            && params["after"].as_i64() == self.after
            && params["before"].as_i64() == self.before
    }
}

impl fmt::Display for SyncPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = self.query();
        f.write_str(if q.is_empty() { "full" } else { &q })
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn all_faults() -> Vec<(Provider, Vec<FaultKind>)> {
        Provider::ALL
            .map(|p| (p, FAULTS.into_iter().filter(|f| f.applies_to(p)).collect()))
            .to_vec()
    }

    #[test]
    fn the_same_seed_draws_the_same_matrix() {
        let a = matrix(&mut StdRng::seed_from_u64(7), &all_faults(), None);
        let b = matrix(&mut StdRng::seed_from_u64(7), &all_faults(), None);
        let labels = |m: &[AccountPlan]| m.iter().map(AccountPlan::label).collect::<Vec<_>>();
        assert_eq!(labels(&a), labels(&b));
        // Every fault of each provider (LinkedIn 6, Telegram 9) at each moment, and clean accounts.
        assert_eq!(
            a.len(),
            2 * (CLEAN_PER_PROVIDER + JOINING_PER_PROVIDER) + 3 * (6 + 9)
        );
    }

    #[test]
    fn a_dying_fault_starts_inside_the_first_sync_and_after_the_connection() {
        for plan in matrix(&mut StdRng::seed_from_u64(3), &all_faults(), Some(200)) {
            if let Some(f) = &plan.fault {
                assert!(
                    f.after >= plan.provider.connect_requests(),
                    "{}",
                    plan.label()
                );
                if plan.dies() {
                    assert!(f.after < plan.requests_per_sync(), "{}", plan.label());
                }
            }
        }
    }

    #[test]
    fn a_plan_reads_back_its_own_parameters() {
        let mut rng = StdRng::seed_from_u64(11);
        let account = &matrix(&mut rng, &all_faults(), Some(1))[0];
        for _ in 0..50 {
            let plan = SyncPlan::random(&mut rng, account);
            let params = serde_json::json!({
                "chunk_size": plan.chunk_size, "partial": plan.partial,
                "after": plan.after, "before": plan.before,
            });
            assert!(plan.matches(&params), "{plan}");
        }
    }
}
