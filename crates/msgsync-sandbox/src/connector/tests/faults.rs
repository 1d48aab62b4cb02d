//! Latency and faults, on paused (virtual) time: nothing here really sleeps.

use std::time::Duration;

use tokio::time::{timeout, Instant};

use super::*;

type Outcome = Result<(), ProviderError>;

/// The outcome of `n` chat-page requests through a session.
async fn requests(session: &dyn ProviderSession, n: usize) -> Vec<Outcome> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            session
                .chats_page(&chats_request(None, 5))
                .await
                .map(|_| ()),
        );
    }
    out
}

fn expired(o: &Outcome) -> bool {
    matches!(o, Err(ProviderError::SessionExpired(_)))
}

#[tokio::test(start_paused = true)]
async fn latency_delays_every_request() {
    let hub = hub();
    let session = open(&hub, Telegram, AccountId::new(), "sandbox:latency_ms=250").await;
    let started = Instant::now();
    requests(&*session, 4).await;
    assert_eq!(started.elapsed(), Duration::from_millis(1000));
}

#[tokio::test(start_paused = true)]
async fn expired_lasts_and_survives_a_new_session() {
    let hub = hub();
    let account = AccountId::new();
    let secret = "sandbox:fault=expired,fault_after=2";
    let first = open(&hub, Linkedin, account, secret).await;
    let outcomes = requests(&*first, 4).await;
    assert!(outcomes[0].is_ok() && outcomes[1].is_ok());
    assert!(expired(&outcomes[2]) && expired(&outcomes[3]));
    // Messages requests count and fail as well.
    let chat = hub
        .dataset(Linkedin, &Scenario::parse(Linkedin, secret).unwrap())
        .chat_provider_id(0)
        .unwrap()
        .to_string();
    let r = first
        .messages_page(&messages_request(&chat, Span::default(), 5))
        .await;
    assert!(matches!(r, Err(ProviderError::SessionExpired(_))));

    let second = open(&hub, Linkedin, account, secret).await;
    assert!(requests(&*second, 3).await.iter().all(expired));
    // Another account, or the same account with another secret, starts afresh.
    let other = open(&hub, Linkedin, AccountId::new(), secret).await;
    assert!(requests(&*other, 2).await.iter().all(Result::is_ok));
    let reconnected = open(
        &hub,
        Linkedin,
        account,
        "sandbox:fault=expired,fault_after=3",
    )
    .await;
    assert!(requests(&*reconnected, 3).await.iter().all(Result::is_ok));
}

#[tokio::test(start_paused = true)]
async fn restricted_lasts() {
    let hub = hub();
    let session = open(
        &hub,
        Telegram,
        AccountId::new(),
        "sandbox:fault=restricted,fault_after=1",
    )
    .await;
    let outcomes = requests(&*session, 4).await;
    assert!(outcomes[0].is_ok());
    assert!(outcomes[1..]
        .iter()
        .all(|o| matches!(o, Err(ProviderError::Restricted(_)))));
}

#[tokio::test(start_paused = true)]
async fn rate_limited_once_then_recovers() {
    let hub = hub();
    let session = open(
        &hub,
        Linkedin,
        AccountId::new(),
        "sandbox:fault=rate_limited,fault_after=1",
    )
    .await;
    let outcomes = requests(&*session, 5).await;
    assert!(outcomes[0].is_ok());
    assert_eq!(
        outcomes[1],
        Err(ProviderError::RateLimited {
            retry_after: Duration::from_secs(1)
        })
    );
    assert!(outcomes[2..].iter().all(Result::is_ok));
}

#[tokio::test(start_paused = true)]
async fn flaky_fails_three_times_across_sessions_then_recovers() {
    let hub = hub();
    let account = AccountId::new();
    let secret = "sandbox:fault=flaky";
    let first = open(&hub, Telegram, account, secret).await;
    let mut outcomes = requests(&*first, 2).await;
    let second = open(&hub, Telegram, account, secret).await;
    outcomes.extend(requests(&*second, 4).await);
    let failures: Vec<String> = outcomes[..3]
        .iter()
        .map(|o| match o {
            Err(e @ ProviderError::Transient(_)) => {
                assert!(e.is_retryable());
                e.to_string()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(failures[0].contains("502 Bad Gateway"));
    assert!(failures[1].contains("connection reset by peer"));
    assert!(outcomes[3..].iter().all(Result::is_ok));
}

#[tokio::test(start_paused = true)]
async fn down_stays_down() {
    let hub = hub();
    let session = open(
        &hub,
        Linkedin,
        AccountId::new(),
        "sandbox:fault=down,fault_after=2",
    )
    .await;
    let outcomes = requests(&*session, 6).await;
    assert!(outcomes[..2].iter().all(Result::is_ok));
    for o in &outcomes[2..] {
        assert_eq!(
            *o,
            Err(ProviderError::Unavailable("503 Service Unavailable".into()))
        );
    }
}

#[tokio::test(start_paused = true)]
async fn timeout_never_answers() {
    let hub = hub();
    let session = open(
        &hub,
        Telegram,
        AccountId::new(),
        "sandbox:fault=timeout,fault_after=1",
    )
    .await;
    let request = chats_request(None, 5);
    let first = timeout(Duration::from_secs(30), session.chats_page(&request)).await;
    assert!(matches!(first, Ok(Ok(_))));
    for _ in 0..2 {
        let started = Instant::now();
        let later = timeout(Duration::from_secs(30), session.chats_page(&request)).await;
        assert!(later.is_err(), "answered: {later:?}");
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }
}

#[tokio::test(start_paused = true)]
async fn no_fault_before_fault_after() {
    let hub = hub();
    let session = open(
        &hub,
        Telegram,
        AccountId::new(),
        "sandbox:fault=down,fault_after=18446744073709551615",
    )
    .await;
    assert!(requests(&*session, 5).await.iter().all(Result::is_ok));
}
