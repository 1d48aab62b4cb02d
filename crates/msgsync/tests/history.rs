//! The sync history (`/accounts/{id}/syncs`): every sync of an account with its state,
//! progress and timings, read without starting or reporting anything.

mod common;

use std::time::{Duration, Instant};

use common::{assert_error, TestServer};

#[tokio::test]
async fn the_history_lists_every_sync_and_reports_nothing() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .connect(&key, "LINKEDIN", "sandbox:chats=7,messages=3")
        .await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let outcome = server.sync_to_outcome(&key, &account, "chunk_size=3").await;
        ids.push(outcome["sync_id"].as_str().unwrap().to_owned());
    }
    let history = server
        .walk(&key, &format!("/api/v1/accounts/{account}/syncs?"), 1)
        .await;
    let listed: Vec<&str> = history
        .iter()
        .map(|s| s["sync_id"].as_str().unwrap())
        .collect();
    let newest_first: Vec<&str> = ids.iter().rev().map(String::as_str).collect();
    assert_eq!(listed, newest_first);
    let states: Vec<(&str, &str, i64)> = history
        .iter()
        .map(|s| {
            (
                s["state"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
                s["chunk"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("done", "SYNC_DONE", 3),
            ("chunk_done", "CHUNK_DONE", 2),
            ("chunk_done", "CHUNK_DONE", 1)
        ]
    );
    assert!(history
        .iter()
        .all(|s| s["object"] == "AccountSync" && s["reported"] == true));
    let (s, one) = server
        .get(
            &format!("/api/v1/accounts/{account}/syncs/{}", ids[1]),
            &key,
        )
        .await;
    assert_eq!((s, &one), (200, &history[1]));

    // A running sync shows in the history; reading it neither starts another nor takes the
    // outcome the resync route reports once.
    let slow = server
        .connect(
            &key,
            "TELEGRAM",
            "sandbox:chats=4,messages=40,latency_ms=10",
        )
        .await;
    let (_, started) = server.sync(&key, &slow, "").await;
    let path = format!("/api/v1/accounts/{slow}/syncs");
    let (_, running) = server.get(&path, &key).await;
    assert_eq!(running["items"][0]["sync_id"], started["sync_id"]);
    assert!(
        matches!(
            running["items"][0]["state"].as_str(),
            Some("queued" | "running")
        ),
        "{running}"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let finished = loop {
        let (_, list) = server.get(&path, &key).await;
        if list["items"][0]["state"] == "done" {
            break list;
        }
        assert!(Instant::now() < deadline, "{list}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(finished["items"].as_array().unwrap().len(), 1);
    assert_eq!(finished["items"][0]["reported"], false);
    let (_, outcome) = server.sync(&key, &slow, "").await;
    assert_eq!(
        outcome["status"], "SYNC_DONE",
        "the outcome was still to report"
    );
    let (_, after) = server.get(&path, &key).await;
    assert_eq!(after["items"][0]["reported"], true);

    // Errors: another owner, malformed and unknown ids.
    let stranger = server.create_key(&["--name", "x", "--owner", "else", "--mode", "test"]);
    let (s, body) = server.get(&path, &stranger).await;
    assert_error(s, &body, 404, "resource_not_found");
    let (s, body) = server.get(&format!("{path}/sync_nope"), &key).await;
    assert_error(s, &body, 404, "invalid_resource_identifier");
    let (s, body) = server.get(&format!("{path}/{}", ids[0]), &key).await;
    assert_error(s, &body, 404, "resource_not_found");
}
