//! Accounts, reading synced data, authentication, isolation and the error envelope.

mod common;

use common::{assert_error, TestServer};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn every_error_of_the_resync_route_from_the_request_that_causes_it() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let li = server
        .connect(&key, "LINKEDIN", "sandbox:chats=2,messages=2")
        .await;
    let tg = server
        .connect(&key, "TELEGRAM", "sandbox:chats=2,messages=2")
        .await;
    let wa = server.connect(&key, "WHATSAPP", "sandbox").await;
    let ig = server.connect(&key, "INSTAGRAM", "sandbox").await;

    for (query, status, kind) in [
        ("chunk_size=0", 400, "invalid_parameters"),
        ("chunk_size=abc", 400, "invalid_parameters"),
        ("chunk_size=1001", 400, "limit_too_high"),
        ("partial=maybe", 400, "invalid_parameters"),
        ("after=2000&before=1000", 400, "invalid_parameters"),
        ("after=not-a-date", 400, "invalid_parameters"),
        ("linkedin_product=premium", 400, "invalid_parameters"),
        ("linkedin_product=recruiter", 403, "feature_not_subscribed"),
    ] {
        let (s, body) = server.sync(&key, &li, query).await;
        assert_error(s, &body, status, kind);
        assert_eq!(body["instance"], format!("/api/v1/accounts/{li}/sync"));
    }
    let (s, body) = server.sync(&key, &tg, "linkedin_product=classic").await;
    assert_error(s, &body, 400, "invalid_parameters");
    for account in [&wa, &ig] {
        let (s, body) = server.sync(&key, account, "").await;
        assert_error(s, &body, 501, "feature_not_implemented");
    }

    // Identifiers and ownership.
    let (s, body) = server.sync(&key, "acc_nope", "").await;
    assert_error(s, &body, 404, "invalid_resource_identifier");
    let (s, body) = server
        .sync(&key, "acc_01HXYZ4QK3WJ8FN3M6QH7TZ8GR", "")
        .await;
    assert_error(s, &body, 404, "resource_not_found");

    // Credentials and scopes.
    let (s, body) = server
        .request("GET", &format!("/api/v1/accounts/{li}/sync"), None, None)
        .await;
    assert_error(s, &body, 401, "missing_credentials");
    let (s, body) = server
        .sync("pp_test_0123456789012345678901234567890123456789", &li, "")
        .await;
    assert_error(s, &body, 401, "invalid_credentials");
    let (s, body) = server.sync("garbage", &li, "").await;
    assert_error(s, &body, 401, "invalid_credentials");
    let read_only = server.create_key(&[
        "--name",
        "ro",
        "--mode",
        "test",
        "--scopes",
        "accounts:read,messaging:read",
    ]);
    let (s, body) = server.sync(&read_only, &li, "").await;
    assert_error(s, &body, 401, "insufficient_privileges");

    // A revoked key.
    let revoked = server.create_key(&["--name", "old", "--mode", "test"]);
    let id = &revoked["pp_test_".len().."pp_test_".len() + 12];
    server.cli(&["keys", "revoke", id]);
    let (s, body) = server.sync(&revoked, &li, "").await;
    assert_error(s, &body, 401, "invalid_credentials");

    // A key in use, revoked from the CLI (another process): the server holds key records for a
    // second, so it stops working within that second, and for good.
    let in_use = server.create_key(&["--name", "busy", "--mode", "test"]);
    let (s, _) = server.get("/api/v1/accounts", &in_use).await;
    assert_eq!(s, 200);
    let id = &in_use["pp_test_".len().."pp_test_".len() + 12];
    server.cli(&["keys", "revoke", id]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (s, body) = server.get("/api/v1/accounts", &in_use).await;
        if s == 401 {
            assert_error(s, &body, 401, "invalid_credentials");
            break;
        }
        assert_eq!(s, 200, "{body}");
        assert!(Instant::now() < deadline, "the revoked key still works");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..3 {
        let (s, _) = server.get("/api/v1/accounts", &in_use).await;
        assert_eq!(s, 401);
    }
}

#[tokio::test]
async fn owners_and_modes_are_isolated() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .synced_account(&key, "TELEGRAM", "sandbox:chats=2,messages=2")
        .await;
    let chat = server.all_chats(&key, &account).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another key of the same owner shares the account.
    let sibling = server.create_key(&["--name", "sibling", "--mode", "test"]);
    let (s, _) = server
        .get(&format!("/api/v1/accounts/{account}"), &sibling)
        .await;
    assert_eq!(s, 200);

    let other_owner = server.create_key(&["--name", "x", "--mode", "test", "--owner", "acme"]);
    let live = server.create_key(&["--name", "live", "--mode", "live"]);
    for key in [&other_owner, &live] {
        for path in [
            format!("/api/v1/accounts/{account}/sync"),
            format!("/api/v1/accounts/{account}"),
            format!("/api/v1/chats/{chat}"),
            format!("/api/v1/chats/{chat}/messages"),
            format!("/api/v1/chats?account_id={account}"),
        ] {
            let (s, body) = server.get(&path, key).await;
            assert_error(s, &body, 404, "resource_not_found");
        }
        let (s, body) = server.get("/api/v1/accounts", key).await;
        assert_eq!(s, 200);
        assert_eq!(body["items"].as_array().unwrap().len(), 0);
        let (s, body) = server.get("/api/v1/chats", key).await;
        assert_eq!(s, 200);
        assert_eq!(body["items"].as_array().unwrap().len(), 0);
        let (s, body) = server
            .request(
                "DELETE",
                &format!("/api/v1/accounts/{account}"),
                Some(key),
                None,
            )
            .await;
        assert_error(s, &body, 404, "resource_not_found");
    }
    // A live key cannot connect a sandbox account; a test key cannot connect a live one.
    let (s, body) = server
        .request(
            "POST",
            "/api/v1/accounts",
            Some(&live),
            Some(json!({"provider": "LINKEDIN", "access_token": "sandbox"})),
        )
        .await;
    assert_error(s, &body, 400, "invalid_parameters");
    let (s, body) = server
        .request(
            "POST",
            "/api/v1/accounts",
            Some(&key),
            Some(json!({"provider": "LINKEDIN", "access_token": "AQEDAT-real-cookie"})),
        )
        .await;
    assert_error(s, &body, 400, "invalid_parameters");
}

#[tokio::test]
async fn accounts_are_created_listed_read_and_deleted() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let a = server
        .connect(&key, "LINKEDIN", "sandbox:products=classic+recruiter")
        .await;
    let b = server.connect(&key, "TELEGRAM", "sandbox").await;

    let (s, account) = server.get(&format!("/api/v1/accounts/{a}"), &key).await;
    assert_eq!(s, 200);
    assert_eq!(account["object"], "Account");
    assert_eq!(account["id"], a);
    assert_eq!(account["type"], "LINKEDIN");
    assert_eq!(account["sources"][0]["status"], "OK");
    let created = account["created_at"].as_str().unwrap();
    assert_eq!(created.len(), 24, "{created}");
    assert!(created.ends_with('Z') && created.as_bytes()[19] == b'.');
    let text = account.to_string();
    assert!(
        !text.contains("sandbox:products"),
        "credentials leak: {text}"
    );

    // Paging with a cursor.
    let (s, page1) = server.get("/api/v1/accounts?limit=1", &key).await;
    assert_eq!(s, 200);
    assert_eq!(page1["object"], "AccountList");
    assert_eq!(page1["items"].as_array().unwrap().len(), 1);
    let cursor = page1["cursor"].as_str().unwrap();
    let (_, page2) = server
        .get(&format!("/api/v1/accounts?limit=1&cursor={cursor}"), &key)
        .await;
    assert_eq!(page2["items"].as_array().unwrap().len(), 1);
    assert_eq!(page2["cursor"], serde_json::Value::Null);
    let mut seen = vec![
        page1["items"][0]["id"].clone(),
        page2["items"][0]["id"].clone(),
    ];
    seen.sort_by_key(|v| v.to_string());
    let mut want = vec![json!(a), json!(b)];
    want.sort_by_key(|v| v.to_string());
    assert_eq!(seen, want);

    // Bad scenario values are named in the error.
    for (scenario, word) in [
        ("sandbox:chatz=3", "chatz"),
        ("sandbox:chats=lots", "lots"),
        ("sandbox:fault=meteor", "meteor"),
        ("sandbox:products=premium", "premium"),
    ] {
        let (s, body) = server
            .request(
                "POST",
                "/api/v1/accounts",
                Some(&key),
                Some(json!({"provider": "LINKEDIN", "access_token": scenario})),
            )
            .await;
        assert_error(s, &body, 400, "invalid_parameters");
        assert!(body["detail"].as_str().unwrap().contains(word), "{body}");
    }
    let (s, body) = server
        .request(
            "POST",
            "/api/v1/accounts",
            Some(&key),
            Some(json!({"provider": "SIGNAL", "access_token": "sandbox"})),
        )
        .await;
    assert_error(s, &body, 400, "invalid_parameters");
    let (s, body) = server
        .request(
            "POST",
            "/api/v1/accounts",
            Some(&key),
            Some(json!({"provider": "TELEGRAM"})),
        )
        .await;
    assert_error(s, &body, 400, "missing_parameters");

    // Deleting removes the account and its data.
    assert_eq!(
        server.sync_to_outcome(&key, &b, "").await["status"],
        "SYNC_DONE"
    );
    let chat = server.all_chats(&key, &b).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, body) = server
        .request("DELETE", &format!("/api/v1/accounts/{b}"), Some(&key), None)
        .await;
    assert_eq!((s, body["object"].as_str()), (200, Some("AccountDeleted")));
    let (s, body) = server.get(&format!("/api/v1/chats/{chat}"), &key).await;
    assert_error(s, &body, 404, "resource_not_found");
    let (s, body) = server.get(&format!("/api/v1/accounts/{b}"), &key).await;
    assert_error(s, &body, 404, "resource_not_found");
}

#[tokio::test]
async fn chats_and_messages_read_back_in_the_unipile_shapes() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .synced_account(&key, "TELEGRAM", "sandbox:chats=4,messages=30")
        .await;

    let (s, list) = server
        .get(&format!("/api/v1/chats?account_id={account}&limit=2"), &key)
        .await;
    assert_eq!(s, 200);
    assert_eq!(list["object"], "ChatList");
    let chat = &list["items"][0];
    for field in [
        "id",
        "account_id",
        "account_type",
        "provider_id",
        "name",
        "type",
        "timestamp",
        "unread_count",
        "archived",
        "muted_until",
        "read_only",
    ] {
        assert!(chat.get(field).is_some(), "chat lacks {field}: {chat}");
    }
    // Optional in the SDK's schema, and absent rather than null: Telegram has no folders.
    assert!(chat.get("folder").is_none(), "{chat}");
    assert!(chat.get("content_type").is_none(), "{chat}");
    assert_eq!(chat["object"], "Chat");
    assert_eq!(chat["account_type"], "TELEGRAM");
    assert!(chat["id"].as_str().unwrap().starts_with("chat_"));
    let t0 = list["items"][0]["timestamp"].as_str().unwrap();
    let t1 = list["items"][1]["timestamp"].as_str().unwrap();
    assert!(t0 >= t1, "newest first");

    let chat_id = chat["id"].as_str().unwrap();
    let (s, one) = server.get(&format!("/api/v1/chats/{chat_id}"), &key).await;
    assert_eq!(s, 200);
    assert_eq!(one["id"], chat["id"]);

    let (s, page) = server
        .get(&format!("/api/v1/chats/{chat_id}/messages?limit=7"), &key)
        .await;
    assert_eq!(s, 200);
    assert_eq!(page["object"], "MessageList");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 7);
    let m = &items[0];
    for field in [
        "id",
        "account_id",
        "chat_id",
        "chat_provider_id",
        "provider_id",
        "sender_id",
        "text",
        "timestamp",
        "is_sender",
        "attachments",
        "reactions",
        "seen",
        "hidden",
        "deleted",
        "edited",
        "is_event",
        "delivered",
        "original",
        "sender_attendee_id",
        "seen_by",
        "behavior",
    ] {
        assert!(m.get(field).is_some(), "message lacks {field}: {m}");
    }
    assert!(m["sender_attendee_id"]
        .as_str()
        .unwrap()
        .starts_with("att_"));
    assert!(m["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(m["chat_id"], chat["id"]);
    let all = server.all_messages(&key, chat_id).await;
    assert_eq!(all.len(), 30);
    let ts: Vec<&str> = all
        .iter()
        .map(|m| m["timestamp"].as_str().unwrap())
        .collect();
    assert!(ts.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // before / after filters.
    let after = ts[20];
    let before = ts[5];
    let (_, filtered) = server
        .get(
            &format!("/api/v1/chats/{chat_id}/messages?after={after}&before={before}&limit=250"),
            &key,
        )
        .await;
    let n = filtered["items"].as_array().unwrap().len();
    assert_eq!(
        n,
        ts.iter().filter(|t| **t >= after && **t <= before).count()
    );

    for (query, status, kind) in [
        ("limit=251", 400, "limit_too_high"),
        ("limit=0", 400, "invalid_parameters"),
        ("cursor=%%%", 400, "invalid_parameters"),
        ("after=yesterday", 400, "invalid_parameters"),
    ] {
        let (s, body) = server
            .get(&format!("/api/v1/chats/{chat_id}/messages?{query}"), &key)
            .await;
        assert_error(s, &body, status, kind);
    }
    let (s, body) = server.get("/api/v1/chats/chat_bad/messages", &key).await;
    assert_error(s, &body, 404, "invalid_resource_identifier");
    let (s, body) = server.get("/api/v1/chats?account_id=bad", &key).await;
    assert_error(s, &body, 400, "invalid_parameters");
}

#[tokio::test]
async fn every_failure_comes_in_the_envelope() {
    let server = TestServer::start().await;
    let key = server.test_key();

    let (s, body) = server.get("/api/v1/nothing-here", &key).await;
    assert_error(s, &body, 404, "resource_not_found");
    assert_eq!(body["instance"], "/api/v1/nothing-here");
    // A route that exists, with another method: 405 with what it allows.
    let response = server
        .client()
        .put(format!("{}/api/v1/accounts", server.base))
        .header("X-API-KEY", &key)
        .send()
        .await
        .unwrap();
    let allow = response.headers().get("allow").cloned();
    let (s, body) = (
        response.status().as_u16(),
        response.json::<serde_json::Value>().await.unwrap(),
    );
    assert_error(s, &body, 405, "method_not_allowed");
    let allow = allow.expect("an Allow header");
    let allow = allow.to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");

    let url = format!("{}/api/v1/accounts", server.base);
    let malformed = server
        .client()
        .post(&url)
        .header("X-API-KEY", &key)
        .header("content-type", "application/json")
        .body("{\"provider\": ");
    let (s, body) = server.raw(malformed).await;
    assert_error(s, &body, 400, "malformed_request");

    let huge = format!(
        "{{\"provider\": \"LINKEDIN\", \"access_token\": \"{}\"}}",
        "x".repeat(200_000)
    );
    let oversized = server
        .client()
        .post(&url)
        .header("X-API-KEY", &key)
        .header("content-type", "application/json")
        .body(huge);
    let (s, body) = server.raw(oversized).await;
    assert_error(s, &body, 400, "content_too_large");

    let no_type = server
        .client()
        .post(&url)
        .header("X-API-KEY", &key)
        .body("{}");
    let (s, body) = server.raw(no_type).await;
    assert_error(s, &body, 400, "malformed_request");

    let (s, body) = server.request("GET", "/health", None, None).await;
    assert_eq!((s, body["status"].as_str()), (200, Some("ok")));
}
