use msgsync_core::ProviderKind::{Linkedin, Telegram};

use super::*;

/// 2026-01-01T00:00:00Z.
const ANCHOR: i64 = 1_767_225_600_000;

/// Leeway for the clock moving on between reading it here and in the hub.
const CLOCK_LEEWAY_MS: i64 = 1000;

#[test]
fn the_default_anchor_is_the_start_of_the_utc_day() {
    let now = msgsync_core::time::now_ms();
    let anchor = SandboxHub::new().anchor_ms();
    assert_eq!(anchor % DAY_MS, 0);
    assert!(anchor <= now + CLOCK_LEEWAY_MS && now - anchor < DAY_MS + CLOCK_LEEWAY_MS);
}

#[test]
fn data_sets_are_cached_per_scenario_and_bounded() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let scenario = |s: &str| Scenario::parse(Telegram, s).unwrap();
    let a = hub.dataset(Telegram, &scenario("sandbox:chats=3"));
    assert_eq!(a.anchor_ms(), ANCHOR);
    // Latency and faults do not change the data: one data set serves both.
    let same = scenario("sandbox:chats=3,fault=down,latency_ms=5");
    assert!(Arc::ptr_eq(&a, &hub.dataset(Telegram, &same)));
    let other = scenario("sandbox:chats=3,seed=2");
    assert!(!Arc::ptr_eq(&a, &hub.dataset(Telegram, &other)));
    for seed in 0..40 {
        let s = Scenario {
            seed,
            chats: 2,
            ..Scenario::default()
        };
        hub.dataset(Linkedin, &s);
    }
    assert_eq!(hub.lock_datasets().entries.len(), MAX_CACHED_DATASETS);
    // The least recently used went first: the first data set is built anew.
    assert!(!Arc::ptr_eq(&a, &hub.dataset(Telegram, &same)));
}
