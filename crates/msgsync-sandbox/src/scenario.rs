//! The scenario grammar: what a sandbox credential (`sandbox` or `sandbox:KEY=VALUE,…`) asks
//! the simulated provider to hold and how it should misbehave (CONTRACT §6).

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use msgsync_core::{LinkedinProduct, ProviderKind};

/// The keys the grammar knows, in canonical order (the order [`Scenario`]'s `Display` uses).
pub const KEYS: [&str; 9] = [
    "chats",
    "messages",
    "seed",
    "span_days",
    "products",
    "latency_ms",
    "fault",
    "fault_after",
    "pinned",
];

const CHATS: RangeInclusive<u64> = 0..=100_000;
const MESSAGES: RangeInclusive<u64> = 0..=100_000;
const SPAN_DAYS: RangeInclusive<u64> = 1..=3650;
const LATENCY_MS: RangeInclusive<u64> = 0..=60_000;
/// The most pinned dialogs a sandbox account can have: enough for tests to pin more dialogs
/// than one page holds.
const PINNED: RangeInclusive<u64> = 0..=100;
const ANY_U64: RangeInclusive<u64> = 0..=u64::MAX;

/// What a sandbox account holds and how its provider behaves.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scenario {
    /// Number of chats the provider holds.
    pub chats: u32,
    /// Messages per chat.
    pub messages: u32,
    /// The same seed gives the same data.
    pub seed: u64,
    /// Messages are spread over this many days before the anchor.
    pub span_days: u32,
    /// LinkedIn inboxes the account has: deduplicated, in canonical order, never empty.
    pub products: Vec<LinkedinProduct>,
    /// Delay of every provider request.
    pub latency_ms: u64,
    pub fault: Option<Fault>,
    /// Provider requests served normally before the fault starts.
    pub fault_after: u64,
    /// Telegram: this many of the account's oldest chats are pinned, listed first as Telegram
    /// lists pinned dialogs.
    pub pinned: u32,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            chats: 20,
            messages: 25,
            seed: 1,
            span_days: 365,
            products: vec![LinkedinProduct::Classic],
            latency_ms: 0,
            fault: None,
            fault_after: 0,
            pinned: 0,
        }
    }
}

/// How the simulated provider misbehaves once `fault_after` requests were served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The session expires: every later request fails.
    Expired,
    /// The account is restricted: every later request fails.
    Restricted,
    /// One request is throttled (429 / FLOOD_WAIT), then the provider recovers.
    RateLimited,
    /// A few requests fail with 5xx or dropped connections, then the provider recovers.
    Flaky,
    /// The provider is unavailable for every later request.
    Down,
    /// Later requests never get an answer.
    Timeout,
    /// Telegram: the auth key was used from two places at once and is dead
    /// (`406 AUTH_KEY_DUPLICATED`): every later request fails.
    AuthKeyDuplicated,
    /// Telegram: the account's files are stored in another DC (`303 FILE_MIGRATE_X` on the
    /// home DC), which serves them to a key that imported the account's authorization.
    Migrate,
    /// Telegram: the account was deleted or banned (`401 USER_DEACTIVATED`): every later
    /// request fails, and no new session can help.
    Deactivated,
}

impl Fault {
    pub const ALL: [Fault; 9] = [
        Fault::Expired,
        Fault::Restricted,
        Fault::RateLimited,
        Fault::Flaky,
        Fault::Down,
        Fault::Timeout,
        Fault::AuthKeyDuplicated,
        Fault::Migrate,
        Fault::Deactivated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Expired => "expired",
            Fault::Restricted => "restricted",
            Fault::RateLimited => "rate_limited",
            Fault::Flaky => "flaky",
            Fault::Down => "down",
            Fault::Timeout => "timeout",
            Fault::AuthKeyDuplicated => "auth_key_duplicated",
            Fault::Migrate => "migrate",
            Fault::Deactivated => "deactivated",
        }
    }

    /// The providers whose simulator can raise this fault.
    pub fn applies_to(self, provider: ProviderKind) -> bool {
        match self {
            Fault::Expired
            | Fault::Restricted
            | Fault::RateLimited
            | Fault::Flaky
            | Fault::Down
            | Fault::Timeout => true,
            Fault::AuthKeyDuplicated | Fault::Migrate | Fault::Deactivated => {
                provider == ProviderKind::Telegram
            }
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Fault {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|f| f.as_str() == s).ok_or(())
    }
}

/// Why a credential is not a valid sandbox scenario. Every message names the offending key or
/// value and says what is allowed, because it ends up verbatim in a 400 the API user reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    // The credential itself is not echoed: it may be a real cookie pasted under a test key.
    #[error("a sandbox credential is `sandbox` or `sandbox:KEY=VALUE,KEY=VALUE…` (keys: {keys})", keys = KEYS.join(", "))]
    NotSandbox,
    #[error("nothing follows `sandbox:`; give KEY=VALUE pairs separated by commas (keys: {keys}), or just `sandbox`", keys = KEYS.join(", "))]
    EmptyList,
    #[error("empty entry in the scenario (two commas in a row, or a comma at the end)")]
    EmptyEntry,
    #[error("`{entry}` is not KEY=VALUE")]
    NotKeyValue { entry: String },
    #[error("unknown key `{key}`; known keys: {keys}", keys = KEYS.join(", "))]
    UnknownKey { key: String },
    #[error("key `{key}` is given more than once")]
    RepeatedKey { key: String },
    #[error("`{key}` must be an integer in {min}..={max}, got `{value}`")]
    InvalidNumber {
        key: &'static str,
        value: String,
        min: u64,
        max: u64,
    },
    #[error("unknown fault `{value}`; allowed: none, {allowed}", allowed = Fault::ALL.map(Fault::as_str).join(", "))]
    UnknownFault { value: String },
    #[error("unknown product `{value}` in `products`; allowed: {allowed}, joined by `+`", allowed = LinkedinProduct::ALL.map(LinkedinProduct::as_str).join(", "))]
    UnknownProduct { value: String },
    #[error("`products` needs at least one of {allowed}, joined by `+`", allowed = LinkedinProduct::ALL.map(LinkedinProduct::as_str).join(", "))]
    EmptyProducts,
    #[error("`products` applies to LINKEDIN accounts only, not to {provider}")]
    ProductsNotLinkedin { provider: ProviderKind },
    #[error("`pinned` applies to TELEGRAM accounts only, not to {provider}")]
    PinnedNotTelegram { provider: ProviderKind },
    #[error("fault `{fault}` applies to TELEGRAM accounts only, not to {provider}")]
    FaultNotTelegram {
        fault: &'static str,
        provider: ProviderKind,
    },
}

/// Keeps echoed input short: an error message is no place for a pasted novel.
fn echo(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut cut: String = s.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}

fn number(
    key: &'static str,
    value: &str,
    range: RangeInclusive<u64>,
) -> Result<u64, ScenarioError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| ScenarioError::InvalidNumber {
            key,
            value: echo(value),
            min: *range.start(),
            max: *range.end(),
        })
}

/// Narrows a number checked against a range that fits in `u32`.
fn small(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn products(value: &str) -> Result<Vec<LinkedinProduct>, ScenarioError> {
    if value.is_empty() {
        return Err(ScenarioError::EmptyProducts);
    }
    let mut products = value
        .split('+')
        .map(|name| {
            let name = name.trim();
            name.parse::<LinkedinProduct>()
                .map_err(|()| ScenarioError::UnknownProduct { value: echo(name) })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Canonical order, so that `classic+recruiter` and `recruiter+classic` are one scenario.
    products.sort();
    products.dedup();
    Ok(products)
}

impl Scenario {
    /// Parses a sandbox credential for an account of `provider`.
    pub fn parse(provider: ProviderKind, s: &str) -> Result<Scenario, ScenarioError> {
        let s = s.trim();
        let list = match s.split_once(':') {
            None if s == "sandbox" => return Ok(Scenario::default()),
            Some((head, list)) if head.trim() == "sandbox" => list.trim(),
            _ => return Err(ScenarioError::NotSandbox),
        };
        if list.is_empty() {
            return Err(ScenarioError::EmptyList);
        }
        let mut scenario = Scenario::default();
        let mut seen: Vec<&str> = Vec::new();
        for entry in list.split(',') {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(ScenarioError::EmptyEntry);
            }
            let (key, value) = entry
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| ScenarioError::NotKeyValue { entry: echo(entry) })?;
            let Some(key) = KEYS.into_iter().find(|k| *k == key) else {
                return Err(ScenarioError::UnknownKey { key: echo(key) });
            };
            if seen.contains(&key) {
                return Err(ScenarioError::RepeatedKey { key: key.into() });
            }
            seen.push(key);
            match key {
                "chats" => scenario.chats = small(number(key, value, CHATS)?),
                "messages" => scenario.messages = small(number(key, value, MESSAGES)?),
                "seed" => scenario.seed = number(key, value, ANY_U64)?,
                "span_days" => scenario.span_days = small(number(key, value, SPAN_DAYS)?),
                "latency_ms" => scenario.latency_ms = number(key, value, LATENCY_MS)?,
                "fault_after" => scenario.fault_after = number(key, value, ANY_U64)?,
                "fault" => {
                    scenario.fault = match value {
                        "none" => None,
                        v => {
                            let fault: Fault = v
                                .parse()
                                .map_err(|()| ScenarioError::UnknownFault { value: echo(v) })?;
                            if !fault.applies_to(provider) {
                                return Err(ScenarioError::FaultNotTelegram {
                                    fault: fault.as_str(),
                                    provider,
                                });
                            }
                            Some(fault)
                        }
                    }
                }
                "pinned" => {
                    if provider != ProviderKind::Telegram {
                        return Err(ScenarioError::PinnedNotTelegram { provider });
                    }
                    scenario.pinned = small(number(key, value, PINNED)?);
                }
                "products" => {
                    if provider != ProviderKind::Linkedin {
                        return Err(ScenarioError::ProductsNotLinkedin { provider });
                    }
                    scenario.products = products(value)?;
                }
                // `key` was found in KEYS, and every entry of KEYS has an arm above.
                _ => return Err(ScenarioError::UnknownKey { key: key.into() }),
            }
        }
        Ok(scenario)
    }
}

/// The canonical form: `sandbox` followed by the keys that differ from their default, in the
/// order of [`KEYS`]. Two credentials meaning the same scenario print the same, and the
/// output parses back to an equal scenario.
impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = Scenario::default();
        let mut parts: Vec<String> = Vec::new();
        if self.chats != d.chats {
            parts.push(format!("chats={}", self.chats));
        }
        if self.messages != d.messages {
            parts.push(format!("messages={}", self.messages));
        }
        if self.seed != d.seed {
            parts.push(format!("seed={}", self.seed));
        }
        if self.span_days != d.span_days {
            parts.push(format!("span_days={}", self.span_days));
        }
        if self.products != d.products {
            let names: Vec<&str> = self.products.iter().map(|p| p.as_str()).collect();
            parts.push(format!("products={}", names.join("+")));
        }
        if self.latency_ms != d.latency_ms {
            parts.push(format!("latency_ms={}", self.latency_ms));
        }
        if let Some(fault) = self.fault {
            parts.push(format!("fault={fault}"));
        }
        if self.fault_after != d.fault_after {
            parts.push(format!("fault_after={}", self.fault_after));
        }
        if self.pinned != d.pinned {
            parts.push(format!("pinned={}", self.pinned));
        }
        if parts.is_empty() {
            f.write_str("sandbox")
        } else {
            write!(f, "sandbox:{}", parts.join(","))
        }
    }
}

#[cfg(test)]
mod tests;
