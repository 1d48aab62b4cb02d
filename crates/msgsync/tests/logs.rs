//! The server's log as an operator reads it: each sync's lines carry that sync's ids, text
//! written to a file has no colour codes, and JSON lines parse.

mod common;

use std::collections::HashSet;

use common::TestServer;
use serde_json::Value;

#[tokio::test]
async fn a_syncs_lines_carry_its_own_ids_even_with_another_running() {
    let server = TestServer::start_with(&[("MSGSYNC_LOG_FORMAT", "json")]).await;
    let key = server.test_key();
    // Slow providers, so that the two syncs overlap on the same threads.
    let a = server
        .connect(&key, "TELEGRAM", "sandbox:chats=6,messages=40,latency_ms=5")
        .await;
    let b = server
        .connect(&key, "LINKEDIN", "sandbox:chats=6,messages=40,latency_ms=5")
        .await;
    let (_, first) = server.sync(&key, &a, "").await;
    let (_, second) = server.sync(&key, &b, "").await;
    for account in [&a, &b] {
        let outcome = server.wait_outcome(&key, account).await;
        assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    }
    let pairs: HashSet<(String, String)> = [(&first, &a), (&second, &b)]
        .into_iter()
        .map(|(sync, account)| {
            (
                sync["sync_id"].as_str().unwrap().to_owned(),
                account.clone(),
            )
        })
        .collect();

    let log = server.wait_log("sync finished", 2).await;
    let mut sync_lines = 0;
    // ("sync started" | "sync finished", account), as the sync's span names the account.
    let mut started = HashSet::new();
    for line in log.lines() {
        let entry: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let spans = entry["spans"].as_array().cloned().unwrap_or_default();
        let syncs: Vec<&Value> = spans.iter().filter(|s| s["name"] == "sync").collect();
        assert!(syncs.len() <= 1, "a line inside two syncs: {line}");
        let Some(span) = syncs.first() else {
            continue;
        };
        sync_lines += 1;
        let pair = (
            span["job"].as_str().unwrap_or_default().to_owned(),
            span["account"].as_str().unwrap_or_default().to_owned(),
        );
        assert!(
            pairs.contains(&pair),
            "a sync's line with another's ids: {line}"
        );
        let message = entry["fields"]["message"].as_str().unwrap_or_default();
        if message == "sync started" || message == "sync finished" {
            started.insert((message.to_owned(), pair.1));
        }
        // A request's line is never inside a sync.
        assert!(spans.iter().all(|s| s["name"] != "request"), "{line}");
    }
    assert!(sync_lines >= 4, "{log}");
    assert_eq!(
        started.len(),
        4,
        "each sync says it started and finished, under its own ids: {log}"
    );
}

#[tokio::test]
async fn text_logs_written_to_a_file_have_no_colour_codes() {
    let server = TestServer::start().await;
    let key = server.test_key();
    server
        .synced_account(&key, "TELEGRAM", "sandbox:chats=2,messages=3")
        .await;
    let log = server.wait_log("sync finished", 1).await;
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escapes in a log written to a pipe:\n{log}"
    );
    // The MTProto library's routine chatter stays below the default level.
    assert!(!log.contains("got bad salt"), "{log}");
}
