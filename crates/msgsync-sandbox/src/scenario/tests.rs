use super::*;

use LinkedinProduct::{Classic, Recruiter, SalesNavigator};
use ProviderKind::{Linkedin, Telegram};

fn err(provider: ProviderKind, s: &str) -> String {
    match Scenario::parse(provider, s) {
        Ok(sc) => panic!("`{s}` parsed as {sc:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn plain_sandbox_is_the_default() {
    for s in ["sandbox", "  sandbox ", "\tsandbox\n"] {
        assert_eq!(Scenario::parse(Linkedin, s).unwrap(), Scenario::default());
    }
    let d = Scenario::default();
    assert_eq!((d.chats, d.messages, d.seed, d.span_days), (20, 25, 1, 365));
    assert_eq!(d.products, vec![Classic]);
    assert_eq!((d.latency_ms, d.fault, d.fault_after), (0, None, 0));
}

#[test]
fn every_key_parses() {
    let s = "sandbox:chats=3,messages=0,seed=18446744073709551615,span_days=3650,\
             products=sales_navigator+classic,latency_ms=60000,fault=rate_limited,fault_after=7";
    let sc = Scenario::parse(Linkedin, s).unwrap();
    assert_eq!(
        sc,
        Scenario {
            chats: 3,
            messages: 0,
            seed: u64::MAX,
            span_days: 3650,
            products: vec![Classic, SalesNavigator],
            latency_ms: 60_000,
            fault: Some(Fault::RateLimited),
            fault_after: 7,
            pinned: 0,
        }
    );
    let sc = Scenario::parse(Telegram, "sandbox:pinned=100,fault=migrate").unwrap();
    assert_eq!((sc.pinned, sc.fault), (100, Some(Fault::Migrate)));
    for fault in Fault::ALL {
        let sc = Scenario::parse(Telegram, &format!("sandbox:fault={fault}")).unwrap();
        assert_eq!(sc.fault, Some(fault));
    }
    let sc = Scenario::parse(Telegram, "sandbox:fault=none").unwrap();
    assert_eq!(sc.fault, None);
}

#[test]
fn whitespace_around_tokens_is_tolerated() {
    let sc = Scenario::parse(
        Linkedin,
        "  sandbox :  chats = 5 ,\tproducts = recruiter + classic , seed=9  ",
    )
    .unwrap();
    assert_eq!(sc.chats, 5);
    assert_eq!(sc.seed, 9);
    assert_eq!(sc.products, vec![Classic, Recruiter]);
}

#[test]
fn products_are_deduplicated_in_canonical_order() {
    let sc = Scenario::parse(
        Linkedin,
        "sandbox:products=sales_navigator+recruiter+classic+recruiter",
    )
    .unwrap();
    assert_eq!(sc.products, vec![Classic, Recruiter, SalesNavigator]);
}

#[test]
fn not_a_sandbox_credential() {
    for s in [
        "",
        "AQEDAR-real-li_at-cookie",
        "sandboxes",
        "sandbox2:chats=1",
        ":chats=1",
    ] {
        let e = err(Linkedin, s);
        assert!(e.contains("`sandbox`"), "{e}");
        // A real secret pasted by mistake must not be echoed back.
        assert!(!e.contains("AQEDAR"), "{e}");
    }
}

#[test]
fn empty_list_and_entries() {
    assert!(err(Linkedin, "sandbox:").contains("nothing follows"));
    assert!(err(Linkedin, "sandbox:   ").contains("nothing follows"));
    assert!(err(Linkedin, "sandbox:chats=1,").contains("empty entry"));
    assert!(err(Linkedin, "sandbox:chats=1,,seed=2").contains("empty entry"));
    let e = err(Linkedin, "sandbox:chats");
    assert!(e.contains("`chats`") && e.contains("KEY=VALUE"), "{e}");
}

#[test]
fn unknown_key_lists_the_known_ones() {
    let e = err(Telegram, "sandbox:chat=3");
    assert!(e.contains("`chat`"), "{e}");
    for key in KEYS {
        assert!(e.contains(key), "{e} should list {key}");
    }
    // Keys are exact: no case folding.
    assert!(err(Telegram, "sandbox:Chats=3").contains("`Chats`"));
}

#[test]
fn repeated_key() {
    let e = err(Telegram, "sandbox:seed=1,chats=2,seed=1");
    assert!(e.contains("`seed`") && e.contains("more than once"), "{e}");
}

#[test]
fn numbers_out_of_range_or_malformed() {
    let cases = [
        ("chats", "100001", "0..=100000"),
        ("chats", "-1", "0..=100000"),
        ("chats", "many", "0..=100000"),
        ("messages", "100001", "0..=100000"),
        ("messages", "", "0..=100000"),
        ("span_days", "0", "1..=3650"),
        ("span_days", "3651", "1..=3650"),
        ("latency_ms", "60001", "0..=60000"),
        ("latency_ms", "1.5", "0..=60000"),
        ("seed", "18446744073709551616", "0..=18446744073709551615"),
        ("seed", "0x10", "0..=18446744073709551615"),
        ("fault_after", "-3", "0..=18446744073709551615"),
        ("pinned", "101", "0..=100"),
        ("pinned", "-1", "0..=100"),
    ];
    for (key, value, range) in cases {
        let e = err(Telegram, &format!("sandbox:{key}={value}"));
        assert!(e.contains(&format!("`{key}`")), "{e}");
        assert!(e.contains(&format!("`{value}`")), "{e}");
        assert!(e.contains(range), "{e}");
    }
    // The bounds themselves are accepted.
    let sc = Scenario::parse(
        Telegram,
        "sandbox:chats=100000,messages=100000,span_days=1,latency_ms=0",
    )
    .unwrap();
    assert_eq!((sc.chats, sc.messages, sc.span_days), (100_000, 100_000, 1));
}

#[test]
fn long_values_are_cut_in_messages() {
    let long = "9".repeat(500);
    let e = err(Telegram, &format!("sandbox:chats={long}"));
    assert!(e.len() < 200, "{e}");
}

#[test]
fn unknown_fault_lists_the_faults() {
    let e = err(Linkedin, "sandbox:fault=explode");
    assert!(e.contains("`explode`"), "{e}");
    for fault in Fault::ALL {
        assert!(e.contains(fault.as_str()), "{e}");
    }
}

#[test]
fn product_errors() {
    let e = err(Linkedin, "sandbox:products=classic+premium");
    assert!(
        e.contains("`premium`") && e.contains("sales_navigator"),
        "{e}"
    );
    let e = err(Linkedin, "sandbox:products=");
    assert!(
        e.contains("`products`") && e.contains("at least one"),
        "{e}"
    );
    let e = err(Linkedin, "sandbox:products=classic+");
    assert!(e.contains("unknown product ``"), "{e}");
    let e = err(Telegram, "sandbox:products=classic");
    assert!(e.contains("`products`") && e.contains("TELEGRAM"), "{e}");
}

#[test]
fn telegram_only_keys_and_faults() {
    let e = err(Linkedin, "sandbox:pinned=2");
    assert!(e.contains("`pinned`") && e.contains("LINKEDIN"), "{e}");
    for fault in [Fault::AuthKeyDuplicated, Fault::Migrate] {
        let e = err(Linkedin, &format!("sandbox:fault={fault}"));
        assert!(e.contains(fault.as_str()) && e.contains("TELEGRAM"), "{e}");
        assert!(!fault.applies_to(Linkedin) && fault.applies_to(Telegram));
    }
    for fault in Fault::ALL {
        let parsed = Scenario::parse(Linkedin, &format!("sandbox:fault={fault}"));
        assert_eq!(parsed.is_ok(), fault.applies_to(Linkedin), "{fault}");
    }
}

#[test]
fn display_is_canonical_and_round_trips() {
    assert_eq!(Scenario::default().to_string(), "sandbox");
    assert_eq!(
        Scenario::parse(Linkedin, "sandbox:chats=20,seed=1")
            .unwrap()
            .to_string(),
        "sandbox"
    );
    let sc = Scenario::parse(
        Linkedin,
        " sandbox: fault_after=3 , fault=flaky, products=recruiter+classic, messages=4,chats=2",
    )
    .unwrap();
    assert_eq!(
        sc.to_string(),
        "sandbox:chats=2,messages=4,products=classic+recruiter,fault=flaky,fault_after=3"
    );
    let samples = [
        "sandbox",
        "sandbox:seed=0,span_days=1,latency_ms=250",
        "sandbox:products=recruiter,fault=timeout",
        "sandbox:chats=0,messages=100000,products=classic+recruiter+sales_navigator",
        "sandbox:fault_after=18446744073709551615",
    ];
    for s in samples {
        let sc = Scenario::parse(Linkedin, s).unwrap();
        assert_eq!(sc.to_string(), s);
        assert_eq!(Scenario::parse(Linkedin, &sc.to_string()).unwrap(), sc);
    }
    let sc = Scenario::parse(
        Telegram,
        "sandbox:pinned=3,fault=auth_key_duplicated,chats=5",
    )
    .unwrap();
    assert_eq!(
        sc.to_string(),
        "sandbox:chats=5,fault=auth_key_duplicated,pinned=3"
    );
    assert_eq!(Scenario::parse(Telegram, &sc.to_string()).unwrap(), sc);
}
