//! The sandbox over the real protocols: product combinations, spans and flood waits end to
//! end, and the `msgsync sandbox …` credentials used by a client outside the server process.

mod common;

use std::collections::HashSet;

use common::{assert_error, TestServer};
use msgsync_core::{AccountId, ProviderKind, Span};
use msgsync_providers::linkedin::{LinkedinConfig, LinkedinConnector};
use msgsync_providers::telegram::{TelegramConfig, TelegramConnector};
use msgsync_providers::{ChatPageRequest, ConnectRequest, Connector, Credentials};

#[tokio::test]
async fn every_linkedin_product_combination_syncs_its_inboxes() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let combos = [
        "classic",
        "recruiter",
        "sales_navigator",
        "classic+recruiter",
        "classic+sales_navigator",
        "recruiter+sales_navigator",
        "classic+recruiter+sales_navigator",
    ];
    for products in combos {
        let account = server
            .connect(
                &key,
                "LINKEDIN",
                &format!("sandbox:chats=7,messages=3,products={products}"),
            )
            .await;
        let outcome = server.sync_to_outcome(&key, &account, "").await;
        assert_eq!(outcome["status"], "SYNC_DONE", "{products}: {outcome}");
        let chats = server.all_chats(&key, &account).await;
        assert_eq!(chats.len(), 7, "{products}");
        let inmail = chats
            .iter()
            .filter(|c| c["content_type"] == "inmail")
            .count();
        // Exactly the threads of the Recruiter and Sales Navigator inboxes are InMail.
        let premium = chats
            .iter()
            .filter(|c| c["folder"] != serde_json::json!(["INBOX"]))
            .count();
        assert_eq!(inmail, premium, "{products}: {chats:?}");
        let has_classic = products.split('+').any(|p| p == "classic");
        match (has_classic, products.contains('+')) {
            (true, false) => assert_eq!(inmail, 0, "{products}: classic threads are not InMail"),
            (true, true) => assert!(inmail > 0 && inmail < 7, "{products}: {inmail}"),
            (false, _) => assert_eq!(inmail, 7, "{products}: every thread is InMail"),
        }
        // Each inbox the account has can be synced alone; the others are refused.
        for product in ["classic", "recruiter", "sales_navigator"] {
            let (status, body) = server
                .sync(&key, &account, &format!("linkedin_product={product}"))
                .await;
            if products.split('+').any(|p| p == product) {
                assert_eq!(
                    body["status"], "SYNC_STARTED",
                    "{products}/{product}: {body}"
                );
                let outcome = server.wait_outcome(&key, &account).await;
                assert_eq!(
                    outcome["status"], "SYNC_DONE",
                    "{products}/{product}: {outcome}"
                );
            } else {
                assert_error(status, &body, 403, "feature_not_subscribed");
            }
        }
    }
}

#[tokio::test]
async fn a_linkedin_span_sync_stores_exactly_the_messages_of_the_span() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let scenario = "sandbox:chats=10,messages=30,seed=21,span_days=20";
    let full = server.connect(&key, "LINKEDIN", scenario).await;
    let spanned = server.connect(&key, "LINKEDIN", scenario).await;
    assert_eq!(
        server.sync_to_outcome(&key, &full, "").await["status"],
        "SYNC_DONE"
    );
    let everything = server.snapshot(&key, &full).await;
    let mut times: Vec<_> = everything.iter().map(|r| r.2.clone()).collect();
    times.sort();
    let (after, before) = (
        times[times.len() / 4].clone(),
        times[times.len() * 3 / 4].clone(),
    );
    let outcome = server
        .sync_to_outcome(
            &key,
            &spanned,
            &format!("after={after}&before={before}&chunk_size=4"),
        )
        .await;
    assert_eq!(outcome["status"], "CHUNK_DONE", "{outcome}");
    let mut last = outcome;
    while last["status"] == "CHUNK_DONE" {
        last = server
            .sync_to_outcome(
                &key,
                &spanned,
                &format!("after={after}&before={before}&chunk_size=4"),
            )
            .await;
    }
    assert_eq!(last["status"], "SYNC_DONE", "{last}");
    let expected: Vec<_> = everything
        .iter()
        .filter(|r| r.2 >= after && r.2 <= before)
        .cloned()
        .collect();
    assert_eq!(server.snapshot(&key, &spanned).await, expected);
}

#[tokio::test]
async fn a_flood_wait_in_the_middle_of_a_telegram_sync_ends_complete() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let reference = server
        .synced_account(&key, "TELEGRAM", "sandbox:chats=8,messages=150,seed=2")
        .await;
    let flooded = server
        .connect(
            &key,
            "TELEGRAM",
            "sandbox:chats=8,messages=150,seed=2,fault=rate_limited,fault_after=5",
        )
        .await;
    let outcome = server.sync_to_outcome(&key, &flooded, "").await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    assert_eq!(
        server.snapshot(&key, &flooded).await,
        server.snapshot(&key, &reference).await
    );
    assert!(
        server.log_text().contains("rate limited"),
        "the flood wait was seen and waited out"
    );
}

fn simulators(server: &TestServer) -> serde_json::Value {
    let path = server.data_dir().join("sandbox").join("simulators.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn chat_ids(
    connector: &dyn Connector,
    provider: ProviderKind,
    secret: String,
) -> HashSet<String> {
    let session = connector
        .open(&ConnectRequest {
            account_id: AccountId::new(),
            provider,
            credentials: Credentials {
                secret,
                user_agent: None,
                ..Default::default()
            },
        })
        .await
        .unwrap();
    // Every page of the listing (LinkedIn walks its categories one after the other).
    let mut ids = HashSet::new();
    let mut cursor = None;
    for _ in 0..10 {
        let page = session
            .chats_page(&ChatPageRequest {
                inbox: None,
                cursor: cursor.take(),
                span: Span::default(),
                limit: 25,
                known_activity_ms: None,
            })
            .await
            .unwrap();
        ids.extend(page.chats.into_iter().map(|c| c.provider_id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
    panic!("the listing did not end");
}

#[tokio::test]
async fn credentials_from_the_cli_work_for_clients_outside_the_server() {
    let server = TestServer::start().await;
    let sims = simulators(&server);

    let cookie = server.cli(&["sandbox", "linkedin-cookies", "sandbox:chats=4,messages=2"]);
    assert!(
        cookie.contains("li_at=") && cookie.contains("JSESSIONID="),
        "{cookie}"
    );
    let linkedin =
        LinkedinConnector::new(LinkedinConfig::sandbox(sims["linkedin"].as_str().unwrap()));
    let chats = chat_ids(&linkedin, ProviderKind::Linkedin, cookie).await;
    assert_eq!(chats.len(), 4);

    // The session is minted by another process than the one whose simulator serves it.
    let session = server.cli(&["sandbox", "telegram-session", "sandbox:chats=3,messages=2"]);
    assert!(session.starts_with('1'), "{session}");
    let telegram = TelegramConnector::new(TelegramConfig::default());
    let chats = chat_ids(&telegram, ProviderKind::Telegram, session).await;
    assert_eq!(chats.len(), 3);
}

#[tokio::test]
async fn msgsync_sandbox_epoch_fixes_the_data_across_restarts_and_days() {
    let epoch = "2025-01-01";
    let epoch_ms = 1_735_689_600_000_i64;
    let server = TestServer::start_with(&[("MSGSYNC_SANDBOX_EPOCH", epoch)]).await;
    let key = server.test_key();
    let scenario = "sandbox:chats=4,messages=6,span_days=10,seed=3";
    let account = server.synced_account(&key, "TELEGRAM", scenario).await;
    let before = server.snapshot(&key, &account).await;
    assert_eq!(before.len(), 24);
    for (_, _, timestamp, _, _) in &before {
        let ms = chrono::DateTime::parse_from_rfc3339(timestamp)
            .unwrap()
            .timestamp_millis();
        assert!(
            (epoch_ms - 10 * 86_400_000..epoch_ms).contains(&ms),
            "{timestamp} is not in the 10 days before {epoch}"
        );
    }
    // Another process on the same data directory serves the very same data.
    let server = server.restart().await;
    let again = server.synced_account(&key, "TELEGRAM", scenario).await;
    assert_eq!(server.snapshot(&key, &again).await, before);
}
