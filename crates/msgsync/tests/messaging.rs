//! The read surface beyond chats: attendees, messages across chats, one message, and the
//! identity an account keeps across reconnects; through the real server and simulators.

mod common;

use std::collections::{HashMap, HashSet};

use common::{assert_error, TestServer};
use serde_json::{json, Value};

fn str_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
}

/// Every message of every chat of an account, by chat id.
async fn messages_by_chat(
    server: &TestServer,
    key: &str,
    account: &str,
) -> HashMap<String, Vec<Value>> {
    let mut out = HashMap::new();
    for chat in server.all_chats(key, account).await {
        let id = str_of(&chat, "id").to_owned();
        out.insert(id.clone(), server.all_messages(key, &id).await);
    }
    out
}

#[tokio::test]
async fn attendees_are_listed_linked_to_their_chats_and_name_every_sender() {
    let server = TestServer::start().await;
    let key = server.test_key();
    for (provider, credential) in [
        ("TELEGRAM", "sandbox:chats=8,messages=12,seed=3"),
        ("LINKEDIN", "sandbox:chats=8,messages=12,seed=3"),
    ] {
        let account = server.synced_account(&key, provider, credential).await;
        let attendees = server
            .walk(
                &key,
                &format!("/api/v1/chat_attendees?account_id={account}"),
                3,
            )
            .await;
        assert!(attendees.len() > 3, "more than one page: {attendees:?}");
        let ids: Vec<&str> = attendees.iter().map(|a| str_of(a, "id")).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted, "in id order");
        let by_id: HashMap<&str, &Value> = attendees.iter().map(|a| (str_of(a, "id"), a)).collect();
        for a in &attendees {
            assert_eq!(a["object"], "ChatAttendee");
            assert_eq!(a["account_id"], account.as_str());
            assert!(matches!(a["is_self"].as_i64(), Some(0 | 1)), "{a}");
            let (s, one) = server
                .get(&format!("/api/v1/chat_attendees/{}", str_of(a, "id")), &key)
                .await;
            assert_eq!((s, &one), (200, a));
        }

        let messages = messages_by_chat(&server, &key, &account).await;
        let mut sent_by: HashMap<&str, Vec<&str>> = HashMap::new();
        for (chat, list) in &messages {
            let (s, body) = server
                .get(&format!("/api/v1/chats/{chat}/attendees"), &key)
                .await;
            assert_eq!(s, 200, "{body}");
            assert_eq!(body["object"], "ChatAttendeeList");
            let of_chat: HashSet<&str> = body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| str_of(a, "id"))
                .collect();
            for m in list {
                let sender = str_of(m, "sender_attendee_id");
                let attendee = by_id
                    .get(sender)
                    .unwrap_or_else(|| panic!("{provider}: sender {sender} is not listed"));
                assert_eq!(attendee["provider_id"], m["sender_id"]);
                assert!(
                    of_chat.contains(sender),
                    "the sender takes part in the chat"
                );
                sent_by.entry(sender).or_default().push(str_of(m, "id"));
            }
        }
        // Each sender's chats and messages, walked to the end.
        for (attendee, sent) in &sent_by {
            let chats = server
                .walk(
                    &key,
                    &format!("/api/v1/chat_attendees/{attendee}/chats?"),
                    2,
                )
                .await;
            for (chat, list) in &messages {
                if list.iter().any(|m| m["sender_attendee_id"] == *attendee) {
                    assert!(
                        chats.iter().any(|c| c["id"] == chat.as_str()),
                        "{attendee} in {chat}"
                    );
                }
            }
            let theirs = server
                .walk(
                    &key,
                    &format!("/api/v1/chat_attendees/{attendee}/messages?"),
                    5,
                )
                .await;
            let mut got: Vec<&str> = theirs.iter().map(|m| str_of(m, "id")).collect();
            let mut want = sent.clone();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{provider}: the messages of {attendee}");
        }
    }
}

#[tokio::test]
async fn messages_across_chats_page_newest_first_and_filter() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let a = server
        .synced_account(&key, "TELEGRAM", "sandbox:chats=6,messages=9,seed=4")
        .await;
    let b = server
        .synced_account(&key, "LINKEDIN", "sandbox:chats=5,messages=7,seed=4")
        .await;
    let of_a = messages_by_chat(&server, &key, &a).await;
    let expected: HashSet<String> = of_a
        .values()
        .flatten()
        .map(|m| str_of(m, "id").to_owned())
        .collect();
    assert_eq!(expected.len(), 54);

    let walked = server
        .walk(&key, &format!("/api/v1/messages?account_id={a}"), 7)
        .await;
    let got: HashSet<String> = walked.iter().map(|m| str_of(m, "id").to_owned()).collect();
    assert_eq!(got, expected);
    let order: Vec<(&str, &str)> = walked
        .iter()
        .map(|m| (str_of(m, "timestamp"), str_of(m, "id")))
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] > w[1]),
        "newest first: {order:?}"
    );

    let everything = server.walk(&key, "/api/v1/messages?", 50).await;
    assert_eq!(everything.len(), 54 + 35);
    assert!(everything.iter().any(|m| m["account_id"] == b.as_str()));

    // One message by id is the listed one.
    let sample = &walked[10];
    let (s, one) = server
        .get(&format!("/api/v1/messages/{}", str_of(sample, "id")), &key)
        .await;
    assert_eq!((s, &one), (200, sample));

    // By sender, and within a span.
    let sender = str_of(sample, "sender_id");
    let by_sender = server
        .walk(
            &key,
            &format!("/api/v1/messages?account_id={a}&sender_id={sender}"),
            4,
        )
        .await;
    let want = walked.iter().filter(|m| m["sender_id"] == sender).count();
    assert_eq!(by_sender.len(), want);
    let (after, before) = (
        str_of(&walked[40], "timestamp"),
        str_of(&walked[5], "timestamp"),
    );
    let inside = server
        .walk(
            &key,
            &format!("/api/v1/messages?account_id={a}&after={after}&before={before}"),
            9,
        )
        .await;
    let want = walked
        .iter()
        .filter(|m| (after..=before).contains(&str_of(m, "timestamp")))
        .count();
    assert_eq!(inside.len(), want);

    let (s, body) = server
        .get(
            &format!("/api/v1/messages?account_id={a}&after={before}&before={after}"),
            &key,
        )
        .await;
    assert_error(s, &body, 400, "invalid_parameters");
    let chat = of_a.keys().next().unwrap();
    let (s, body) = server
        .get(
            &format!("/api/v1/chats/{chat}/messages?after={before}&before={after}"),
            &key,
        )
        .await;
    assert_error(s, &body, 400, "invalid_parameters");
    let (s, body) = server.get("/api/v1/messages?account_id=nope", &key).await;
    assert_error(s, &body, 400, "invalid_parameters");

    // The chat list's filters (the SDK's `getAllChats` sends them).
    let chats = server.walk(&key, "/api/v1/chats?", 4).await;
    assert_eq!(chats.len(), 11);
    let linkedin = server
        .walk(&key, "/api/v1/chats?account_type=LINKEDIN", 4)
        .await;
    assert_eq!(linkedin.len(), 5);
    assert!(linkedin.iter().all(|c| c["account_id"] == b.as_str()));
    let unread = server.walk(&key, "/api/v1/chats?unread=true", 4).await;
    let read = server.walk(&key, "/api/v1/chats?unread=false", 4).await;
    assert_eq!(unread.len() + read.len(), 11);
    assert!(unread.iter().all(|c| c["unread_count"].as_i64() > Some(0)));
    assert!(read.iter().all(|c| c["unread_count"] == 0));
    let middle = str_of(&chats[5], "timestamp");
    let newer = server
        .walk(&key, &format!("/api/v1/chats?after={middle}"), 4)
        .await;
    let want = chats
        .iter()
        .filter(|c| str_of(c, "timestamp") >= middle)
        .count();
    assert_eq!(newer.len(), want);
    for bad in ["account_type=FAX", "unread=maybe", "before=yesterday"] {
        let (s, body) = server.get(&format!("/api/v1/chats?{bad}"), &key).await;
        assert_error(s, &body, 400, "invalid_parameters");
    }
}

#[tokio::test]
async fn other_tenants_and_bad_ids_get_errors_in_the_envelope() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .synced_account(&key, "TELEGRAM", "sandbox:chats=3,messages=5")
        .await;
    let messages = messages_by_chat(&server, &key, &account).await;
    let (chat, list) = messages.iter().next().unwrap();
    let message = str_of(&list[0], "id");
    let attendee = str_of(&list[0], "sender_attendee_id");

    let stranger = server.create_key(&["--name", "x", "--owner", "someone-else", "--mode", "test"]);
    let live = server.create_key(&["--name", "y", "--mode", "live"]);
    for other in [&stranger, &live] {
        for path in [
            format!("/api/v1/chat_attendees/{attendee}"),
            format!("/api/v1/chat_attendees/{attendee}/chats"),
            format!("/api/v1/chat_attendees/{attendee}/messages"),
            format!("/api/v1/chats/{chat}/attendees"),
            format!("/api/v1/messages/{message}"),
            format!("/api/v1/messages/{message}/attachments/1"),
            format!("/api/v1/messages?account_id={account}"),
            format!("/api/v1/chat_attendees?account_id={account}"),
        ] {
            let (s, body) = server.get(&path, other).await;
            assert_error(s, &body, 404, "resource_not_found");
        }
        for path in ["/api/v1/messages?limit=5", "/api/v1/chat_attendees?limit=5"] {
            let (s, body) = server.get(path, other).await;
            assert_eq!(s, 200, "{body}");
            assert_eq!(body["items"], json!([]), "{path}");
        }
    }
    for path in [
        "/api/v1/chat_attendees/nope".to_owned(),
        format!("/api/v1/chat_attendees/{message}"),
        format!("/api/v1/messages/{attendee}"),
        "/api/v1/messages/msg_!!/attachments/1".to_owned(),
    ] {
        let (s, body) = server.get(&path, &key).await;
        assert_error(s, &body, 404, "invalid_resource_identifier");
    }
    let (s, body) = server
        .get(
            &format!("/api/v1/messages/{message}/attachments/none"),
            &key,
        )
        .await;
    assert_error(s, &body, 404, "resource_not_found");
    let (s, body) = server.get("/api/v1/chat_attendees?cursor=%%%", &key).await;
    assert_error(s, &body, 400, "invalid_parameters");
}

#[tokio::test]
async fn a_reconnect_with_another_users_credentials_is_refused_and_changes_nothing() {
    let server = TestServer::start().await;
    let key = server.test_key();
    for provider in ["LINKEDIN", "TELEGRAM"] {
        let account = server
            .synced_account(&key, provider, "sandbox:chats=3,messages=4,seed=11")
            .await;
        let path = format!("/api/v1/accounts/{account}");
        let (_, before) = server.get(&path, &key).await;
        let id_field = if provider == "TELEGRAM" {
            "user_id"
        } else {
            "id"
        };
        let owner = before["connection_params"]["im"][id_field].clone();
        assert!(owner.as_str().is_some_and(|o| !o.is_empty()), "{before}");

        let secret = if provider == "TELEGRAM" {
            "session"
        } else {
            "access_token"
        };
        let (s, body) = server
            .request(
                "POST",
                &path,
                Some(&key),
                Some(json!({"provider": provider, secret: "sandbox:chats=3,seed=12"})),
            )
            .await;
        assert_error(s, &body, 403, "account_mismatch");
        let (_, after) = server.get(&path, &key).await;
        assert_eq!(after, before, "the refused reconnect changed the account");
        // Its stored credentials still work.
        let outcome = server.sync_to_outcome(&key, &account, "").await;
        assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");

        // The same user with new credentials (another scenario of the same seed) is welcome.
        server
            .reconnect(
                &key,
                &account,
                provider,
                "sandbox:chats=2,messages=4,seed=11",
            )
            .await;
        let (_, again) = server.get(&path, &key).await;
        assert_eq!(again["connection_params"]["im"][id_field], owner);
    }
    // A session LinkedIn refuses at once is no account to connect.
    let (s, body) = server
        .request(
            "POST",
            "/api/v1/accounts",
            Some(&key),
            Some(json!({"provider": "LINKEDIN", "access_token": "sandbox:fault=expired"})),
        )
        .await;
    assert_error(s, &body, 401, "invalid_credentials");
    let (_, list) = server.get("/api/v1/accounts?limit=10", &key).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        2,
        "nothing was registered"
    );
}
