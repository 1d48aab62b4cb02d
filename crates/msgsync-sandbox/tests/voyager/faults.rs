//! The scenario faults, as LinkedIn shows them over HTTP, come out of the connector as the
//! typed errors the engine acts on, counted per account across sessions.

use std::time::Duration;

use msgsync_core::{AccountId, LinkedinProduct, Span};
use msgsync_providers::{ChatPageRequest, ProviderError, ProviderSession};
use msgsync_sandbox::SandboxHub;

use crate::common::*;

fn first_page() -> ChatPageRequest {
    ChatPageRequest {
        inbox: Some(LinkedinProduct::Classic),
        cursor: None,
        span: Span::default(),
        limit: 25,
        known_activity_ms: None,
    }
}

async fn page(session: &dyn ProviderSession) -> Result<usize, ProviderError> {
    session
        .chats_page(&first_page())
        .await
        .map(|p| p.chats.len())
}

/// Opens (one counted request: `/me`) and asks for pages: `fault_after=2` serves `/me` and one
/// page, then the fault shows.
async fn faulty(
    fault: &str,
) -> (
    SandboxHub,
    msgsync_sandbox::VoyagerHandle,
    Box<dyn ProviderSession>,
) {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let http = connector(&sim, Duration::from_millis(500));
    let secret = format!("sandbox:chats=5,fault={fault},fault_after=2");
    let session = open(&http, AccountId::new(), &secret).await.unwrap();
    assert_eq!(page(session.as_ref()).await.unwrap(), 5);
    (hub, sim, session)
}

#[tokio::test]
async fn expired_is_a_session_expiry_for_good() {
    let (_hub, sim, session) = faulty("expired").await;
    for _ in 0..3 {
        let err = page(session.as_ref()).await.unwrap_err();
        assert!(matches!(err, ProviderError::SessionExpired(_)), "{err:?}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn restricted_is_a_restriction_for_good() {
    let (_hub, sim, session) = faulty("restricted").await;
    for _ in 0..3 {
        let err = page(session.as_ref()).await.unwrap_err();
        assert!(matches!(err, ProviderError::Restricted(_)), "{err:?}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn rate_limited_once_then_recovers() {
    let (_hub, sim, session) = faulty("rate_limited").await;
    let err = page(session.as_ref()).await.unwrap_err();
    assert_eq!(
        err,
        ProviderError::RateLimited {
            retry_after: Duration::from_secs(1)
        }
    );
    assert_eq!(page(session.as_ref()).await.unwrap(), 5);
    sim.stop().await;
}

#[tokio::test]
async fn flaky_fails_three_times_then_recovers() {
    let (_hub, sim, session) = faulty("flaky").await;
    for _ in 0..3 {
        let err = page(session.as_ref()).await.unwrap_err();
        assert!(matches!(err, ProviderError::Transient(_)), "{err:?}");
    }
    assert_eq!(page(session.as_ref()).await.unwrap(), 5);
    sim.stop().await;
}

#[tokio::test]
async fn down_is_unavailable() {
    let (_hub, sim, session) = faulty("down").await;
    for _ in 0..2 {
        let err = page(session.as_ref()).await.unwrap_err();
        assert!(matches!(err, ProviderError::Unavailable(_)), "{err:?}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn timeout_is_a_timeout_and_stopping_releases_held_requests() {
    let (_hub, sim, session) = faulty("timeout").await;
    assert_eq!(
        page(session.as_ref()).await.unwrap_err(),
        ProviderError::Timeout
    );
    // Held requests must not keep the simulator from stopping.
    sim.stop().await;
}

#[tokio::test]
async fn a_fault_from_the_start_fails_the_open() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let http = connector(&sim, Duration::from_millis(500));
    let cases = [
        ("expired", "SessionExpired"),
        ("restricted", "Restricted"),
        ("rate_limited", "RateLimited"),
        ("flaky", "Transient"),
        ("down", "Unavailable"),
        ("timeout", "Timeout"),
    ];
    for (fault, want) in cases {
        let secret = format!("sandbox:fault={fault}");
        let err = open(&http, AccountId::new(), &secret).await.err().unwrap();
        assert!(format!("{err:?}").starts_with(want), "{fault}: {err:?}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn accounts_count_apart_and_sessions_share_their_count() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let http = connector(&sim, Duration::from_secs(5));
    let secret = "sandbox:chats=2,fault=rate_limited,fault_after=1";
    let (a, b) = (AccountId::new(), AccountId::new());
    // Each account's `/me` is its one request served before the fault.
    let sa = open(&http, a, secret).await.unwrap();
    let sb = open(&http, b, secret).await.unwrap();
    assert!(matches!(
        page(sa.as_ref()).await,
        Err(ProviderError::RateLimited { .. })
    ));
    assert!(matches!(
        page(sb.as_ref()).await,
        Err(ProviderError::RateLimited { .. })
    ));
    // A new session of account a continues a's count: recovered.
    let sa2 = open(&http, a, secret).await.unwrap();
    assert_eq!(page(sa2.as_ref()).await.unwrap(), 2);
    sim.stop().await;
}

#[tokio::test]
async fn latency_delays_but_serves() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let http = connector(&sim, Duration::from_secs(10));
    let session = open(&http, AccountId::new(), "sandbox:chats=3,latency_ms=20")
        .await
        .unwrap();
    assert_eq!(page(session.as_ref()).await.unwrap(), 3);
    sim.stop().await;
}
