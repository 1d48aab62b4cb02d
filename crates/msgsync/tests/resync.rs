//! The resync route end to end: the state machine, chunks, spans, full versus partial, faults.

mod common;

use std::collections::HashSet;

use common::{assert_error, TestServer};

#[tokio::test]
async fn a_sync_starts_runs_reports_once_then_a_fresh_one_starts() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .connect(
            &key,
            "LINKEDIN",
            "sandbox:chats=5,messages=10,latency_ms=30",
        )
        .await;

    let (status, first) = server.sync(&key, &account, "").await;
    assert_eq!(status, 200);
    assert_eq!(first["object"], "AccountResync");
    assert_eq!(first["status"], "SYNC_STARTED");

    // Rule 2: while it runs, another request's parameters are not applied.
    let (_, running) = server
        .sync(&key, &account, "partial=true&chunk_size=2")
        .await;
    assert_eq!(running["status"], "SYNC_RUNNING", "{running}");
    assert_eq!(running["sync_id"], first["sync_id"]);
    assert_eq!(running["params"]["partial"], false);
    assert_eq!(running["params"]["chunk_size"], serde_json::Value::Null);

    // Rule 3: the outcome is reported once…
    let done = server.wait_outcome(&key, &account).await;
    assert_eq!(done["status"], "SYNC_DONE", "{done}");
    assert_eq!(done["sync_id"], first["sync_id"]);
    assert_eq!(done["progress"]["chats"], 5);
    assert_eq!(done["progress"]["messages"], 50);

    // …and rule 4: the next request starts a fresh sync.
    let (_, again) = server.sync(&key, &account, "").await;
    assert_eq!(again["status"], "SYNC_STARTED", "{again}");
    assert_ne!(again["sync_id"], first["sync_id"]);
    assert_eq!(again["chunk"], 1);
    let done = server.wait_outcome(&key, &account).await;
    assert_eq!(done["status"], "SYNC_DONE");

    // The data is there, once.
    let chats = server.all_chats(&key, &account).await;
    assert_eq!(chats.len(), 5);
    let snapshot = server.snapshot(&key, &account).await;
    assert_eq!(snapshot.len(), 50);
}

#[tokio::test]
async fn chunks_continue_and_a_changed_span_starts_over() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .connect(&key, "LINKEDIN", "sandbox:chats=25,messages=4")
        .await;

    // The chats each chunk added, as (last activity, provider id).
    let mut chunks: Vec<Vec<(String, String)>> = Vec::new();
    let mut seen = HashSet::new();
    for expected in ["CHUNK_DONE", "CHUNK_DONE", "SYNC_DONE"] {
        let outcome = server
            .sync_to_outcome(&key, &account, "chunk_size=10")
            .await;
        assert_eq!(outcome["status"], expected, "{outcome}");
        let added = server
            .all_chats(&key, &account)
            .await
            .into_iter()
            .map(|c| {
                let id = c["provider_id"].as_str().unwrap().to_owned();
                (c["timestamp"].as_str().unwrap().to_owned(), id)
            })
            .filter(|(_, id)| seen.insert(id.clone()))
            .collect();
        chunks.push(added);
    }
    let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![10, 10, 5], "no chat stored twice, none missing");
    // Chunks come newest chats first: every chat of a chunk is at least as recent as any chat
    // of a later one.
    for pair in chunks.windows(2) {
        let oldest_earlier = pair[0].iter().map(|(at, _)| at).min().unwrap();
        let newest_later = pair[1].iter().map(|(at, _)| at).max().unwrap();
        assert!(oldest_earlier >= newest_later, "{chunks:?}");
    }

    // A CHUNK_DONE followed by a request with another span starts a new series from scratch.
    let other = server
        .connect(&key, "TELEGRAM", "sandbox:chats=25,messages=4")
        .await;
    let first = server.sync_to_outcome(&key, &other, "chunk_size=10").await;
    assert_eq!(first["status"], "CHUNK_DONE");
    assert_eq!(first["chunk"], 1);
    let (_, restarted) = server.sync(&key, &other, "chunk_size=10&after=0").await;
    assert_eq!(restarted["status"], "SYNC_STARTED");
    assert_eq!(restarted["chunk"], 1, "{restarted}");
    assert_eq!(restarted["progress"]["chats"], 0, "{restarted}");
    let outcome = server.wait_outcome(&key, &other).await;
    assert_eq!(outcome["status"], "CHUNK_DONE");
    assert_eq!(outcome["progress"]["chats"], 10);
    // The same parameters again continue that new series.
    let next = server
        .sync_to_outcome(&key, &other, "chunk_size=10&after=0")
        .await;
    assert_eq!(next["chunk"], 2);
    assert_eq!(next["progress"]["chats"], 20);
}

#[tokio::test]
async fn concurrent_first_requests_start_exactly_one_sync() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .connect(
            &key,
            "TELEGRAM",
            "sandbox:chats=3,messages=5,latency_ms=150",
        )
        .await;
    let requests = (0..50).map(|_| server.sync(&key, &account, ""));
    let answers = futures::future::join_all(requests).await;
    let mut started = 0;
    let mut ids = HashSet::new();
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        match body["status"].as_str().unwrap() {
            "SYNC_STARTED" => started += 1,
            "SYNC_RUNNING" => {}
            other => panic!("unexpected status {other}"),
        }
        ids.insert(body["sync_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(started, 1);
    assert_eq!(ids.len(), 1, "every answer is about the same sync");
    let outcome = server.wait_outcome(&key, &account).await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
}

#[tokio::test]
async fn a_span_sync_stores_exactly_the_messages_of_the_span() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let scenario = "sandbox:chats=12,messages=40,seed=7,span_days=30";
    let full = server.connect(&key, "TELEGRAM", scenario).await;
    let spanned = server.connect(&key, "TELEGRAM", scenario).await;
    assert_eq!(
        server.sync_to_outcome(&key, &full, "").await["status"],
        "SYNC_DONE"
    );
    let everything = server.snapshot(&key, &full).await;
    assert_eq!(everything.len(), 12 * 40);

    // A span in the middle of the data: from the 30th to the 60th percentile of timestamps.
    let mut times: Vec<_> = everything.iter().map(|r| r.2.clone()).collect();
    times.sort();
    let after = times[times.len() * 3 / 10].clone();
    let before = times[times.len() * 6 / 10].clone();
    let query = format!("after={after}&before={before}");
    let outcome = server.sync_to_outcome(&key, &spanned, &query).await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");

    let expected: Vec<_> = everything
        .iter()
        .filter(|r| r.2 >= after && r.2 <= before)
        .cloned()
        .collect();
    assert!(!expected.is_empty() && expected.len() < everything.len());
    assert_eq!(server.snapshot(&key, &spanned).await, expected);
}

#[tokio::test]
async fn a_telegram_span_sync_finds_its_chats_past_old_pinned_ones() {
    let server = TestServer::start().await;
    let key = server.test_key();
    // The two oldest chats are pinned: Telegram lists them first.
    let scenario = "sandbox:chats=12,messages=3,seed=5,pinned=2";
    let full = server.connect(&key, "TELEGRAM", scenario).await;
    let spanned = server.connect(&key, "TELEGRAM", scenario).await;
    assert_eq!(
        server.sync_to_outcome(&key, &full, "").await["status"],
        "SYNC_DONE"
    );
    let mut chats: Vec<(String, String)> = server
        .all_chats(&key, &full)
        .await
        .iter()
        .map(|c| {
            (
                c["timestamp"].as_str().unwrap().to_owned(),
                c["provider_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(chats.len(), 12);
    chats.sort();
    chats.reverse();
    // From the sixth newest chat on: the pinned chats are older than the span.
    let after = chats[5].0.clone();
    assert!(chats[10].0 < after);
    let outcome = server
        .sync_to_outcome(&key, &spanned, &format!("after={after}"))
        .await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    let mut got: Vec<String> = server
        .all_chats(&key, &spanned)
        .await
        .iter()
        .map(|c| c["provider_id"].as_str().unwrap().to_owned())
        .collect();
    got.sort();
    let mut want: Vec<String> = chats
        .iter()
        .filter(|(t, _)| *t >= after)
        .map(|(_, id)| id.clone())
        .collect();
    want.sort();
    assert_eq!(got, want);
    let everything = server.snapshot(&key, &full).await;
    let expected: Vec<_> = everything.into_iter().filter(|r| r.2 >= after).collect();
    assert_eq!(server.snapshot(&key, &spanned).await, expected);
}

#[tokio::test]
async fn full_resync_marks_missing_data_deleted_and_partial_never_does() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .synced_account(&key, "LINKEDIN", "sandbox:chats=25,messages=3,seed=3")
        .await;
    let deleted = |chats: &[serde_json::Value]| chats.iter().filter(|c| c["deleted"] == 1).count();

    server
        .reconnect(
            &key,
            &account,
            "LINKEDIN",
            "sandbox:chats=20,messages=3,seed=3",
        )
        .await;

    assert_eq!(
        server.sync_to_outcome(&key, &account, "partial=true").await["status"],
        "SYNC_DONE"
    );
    let chats = server.all_chats(&key, &account).await;
    assert_eq!((chats.len(), deleted(&chats)), (25, 0));

    let before = server.snapshot(&key, &account).await;
    assert_eq!(
        server
            .sync_to_outcome(&key, &account, "partial=false")
            .await["status"],
        "SYNC_DONE"
    );
    let chats = server.all_chats(&key, &account).await;
    assert_eq!((chats.len(), deleted(&chats)), (25, 5));
    // Their messages are marked too, and nothing else changes: every other message keeps the
    // flag it had (LinkedIn's recalled messages are deleted at the provider already).
    let snapshot = server.snapshot(&key, &account).await;
    let gone: HashSet<_> = chats
        .iter()
        .filter(|c| c["deleted"] == 1)
        .map(|c| c["provider_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(snapshot.len(), before.len());
    let mut marked = 0;
    for (row, was) in snapshot.iter().zip(&before) {
        assert_eq!((&row.0, &row.1), (&was.0, &was.1));
        if gone.contains(&row.0) {
            assert_eq!(row.4, 1, "message of a vanished chat: {row:?}");
            marked += usize::from(was.4 == 0);
        } else {
            assert_eq!(
                row.4, was.4,
                "a message of a chat still there changed: {row:?}"
            );
        }
    }
    assert_eq!(
        snapshot.iter().filter(|r| gone.contains(&r.0)).count(),
        15,
        "five chats of three messages"
    );
    assert!(marked > 0);
}

#[tokio::test]
async fn a_full_resync_that_fails_halfway_marks_nothing() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .synced_account(&key, "TELEGRAM", "sandbox:chats=25,messages=3,seed=5")
        .await;
    let before = server.snapshot(&key, &account).await;

    // Fewer chats now, and the provider goes down after a few requests.
    server
        .reconnect(
            &key,
            &account,
            "TELEGRAM",
            "sandbox:chats=20,messages=3,seed=5,fault=down,fault_after=6",
        )
        .await;
    let outcome = server.sync_to_outcome(&key, &account, "").await;
    assert_eq!(outcome["status"], "SYNC_ERROR", "{outcome}");
    assert_eq!(
        outcome["error"]["type"], "errors/service_unavailable",
        "{outcome}"
    );

    let chats = server.all_chats(&key, &account).await;
    assert_eq!(chats.len(), 25);
    assert!(
        chats.iter().all(|c| c["deleted"] == 0),
        "a failed full resync removed data"
    );
    assert_eq!(server.snapshot(&key, &account).await, before);
}

#[tokio::test]
async fn provider_faults_end_as_their_names_say() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let reference = server
        .synced_account(&key, "LINKEDIN", "sandbox:chats=6,messages=30,seed=9")
        .await;
    let complete = server.snapshot(&key, &reference).await;

    // Rate limits and flaky connections recover: the sync ends complete.
    for fault in ["rate_limited", "flaky"] {
        let account = server
            .connect(
                &key,
                "LINKEDIN",
                &format!("sandbox:chats=6,messages=30,seed=9,fault={fault},fault_after=4"),
            )
            .await;
        let outcome = server.sync_to_outcome(&key, &account, "").await;
        assert_eq!(outcome["status"], "SYNC_DONE", "{fault}: {outcome}");
        assert_eq!(server.snapshot(&key, &account).await, complete, "{fault}");
    }

    // An expired session: SYNC_ERROR once, the account asks for credentials, then 401.
    let account = server
        .connect(&key, "LINKEDIN", "sandbox:fault=expired,fault_after=2")
        .await;
    let outcome = server.sync_to_outcome(&key, &account, "").await;
    assert_eq!(outcome["status"], "SYNC_ERROR");
    assert_eq!(outcome["error"]["type"], "errors/expired_credentials");
    let (status, body) = server.sync(&key, &account, "").await;
    assert_error(status, &body, 401, "expired_credentials");
    let (_, acc) = server
        .get(&format!("/api/v1/accounts/{account}"), &key)
        .await;
    assert_eq!(acc["sources"][0]["status"], "CREDENTIALS", "{acc}");
    // Reconnecting fixes it.
    let (status, _) = server
        .request(
            "POST",
            &format!("/api/v1/accounts/{account}"),
            Some(&key),
            Some(serde_json::json!({"access_token": "sandbox:chats=2"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        server.sync_to_outcome(&key, &account, "").await["status"],
        "SYNC_DONE"
    );

    // A Telegram auth key used from two places at once is dead (406 AUTH_KEY_DUPLICATED):
    // like an expired session, the account asks for credentials.
    let account = server
        .connect(
            &key,
            "TELEGRAM",
            "sandbox:fault=auth_key_duplicated,fault_after=1",
        )
        .await;
    let outcome = server.sync_to_outcome(&key, &account, "").await;
    assert_eq!(outcome["status"], "SYNC_ERROR", "{outcome}");
    assert_eq!(
        outcome["error"]["type"], "errors/expired_credentials",
        "{outcome}"
    );
    let (status, body) = server.sync(&key, &account, "").await;
    assert_error(status, &body, 401, "expired_credentials");
    let (_, acc) = server
        .get(&format!("/api/v1/accounts/{account}"), &key)
        .await;
    assert_eq!(acc["sources"][0]["status"], "CREDENTIALS", "{acc}");

    // The Telegram account itself was deleted (401 USER_DEACTIVATED): no new login can help,
    // so the account is disconnected rather than asking for credentials.
    let account = server
        .connect(&key, "TELEGRAM", "sandbox:fault=deactivated,fault_after=1")
        .await;
    let outcome = server.sync_to_outcome(&key, &account, "").await;
    assert_eq!(outcome["status"], "SYNC_ERROR", "{outcome}");
    assert_eq!(
        outcome["error"]["type"], "errors/disconnected_account",
        "{outcome}"
    );
    let (status, body) = server.sync(&key, &account, "").await;
    assert_error(status, &body, 401, "disconnected_account");
    let (_, acc) = server
        .get(&format!("/api/v1/accounts/{account}"), &key)
        .await;
    assert_eq!(acc["sources"][0]["status"], "STOPPED", "{acc}");
    // Should Telegram restore it, a reconnect brings it back.
    server
        .reconnect(&key, &account, "TELEGRAM", "sandbox:chats=2,messages=2")
        .await;
    let outcome = server.sync_to_outcome(&key, &account, "").await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");

    // A restriction: SYNC_ERROR, then 403.
    let account = server
        .connect(&key, "TELEGRAM", "sandbox:fault=restricted")
        .await;
    let outcome = server.sync_to_outcome(&key, &account, "").await;
    assert_eq!(
        outcome["error"]["type"], "errors/account_restricted",
        "{outcome}"
    );
    let (status, body) = server.sync(&key, &account, "").await;
    assert_error(status, &body, 403, "account_restricted");

    // A provider that never answers: the request times out, retries give up, SYNC_ERROR.
    let account = server
        .connect(&key, "TELEGRAM", "sandbox:fault=timeout,fault_after=1")
        .await;
    let outcome = server.sync_to_outcome(&key, &account, "").await;
    assert_eq!(outcome["status"], "SYNC_ERROR");
    assert_eq!(
        outcome["error"]["type"], "errors/request_timeout",
        "{outcome}"
    );
}

#[tokio::test]
async fn linkedin_inboxes_are_selected_by_product() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .connect(
            &key,
            "LINKEDIN",
            "sandbox:chats=9,messages=2,products=classic+recruiter+sales_navigator",
        )
        .await;
    let outcome = server
        .sync_to_outcome(&key, &account, "linkedin_product=recruiter")
        .await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    let chats = server.all_chats(&key, &account).await;
    assert_eq!(chats.len(), 3, "only the recruiter inbox");
    assert!(chats.iter().all(|c| c["content_type"] == "inmail"));
    assert_eq!(
        server.sync_to_outcome(&key, &account, "").await["status"],
        "SYNC_DONE"
    );
    assert_eq!(server.all_chats(&key, &account).await.len(), 9);

    let classic = server.connect(&key, "LINKEDIN", "sandbox").await;
    let (status, body) = server
        .sync(&key, &classic, "linkedin_product=recruiter")
        .await;
    assert_error(status, &body, 403, "feature_not_subscribed");
}

#[tokio::test]
async fn sync_progress_is_visible_while_running() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .connect(
            &key,
            "TELEGRAM",
            "sandbox:chats=10,messages=5,latency_ms=40",
        )
        .await;
    server.sync(&key, &account, "").await;
    let running = server.wait_progress(&key, &account).await;
    assert!(running["progress"]["chats"].as_i64().unwrap() < 10);
    assert_eq!(
        server.wait_outcome(&key, &account).await["status"],
        "SYNC_DONE"
    );
}

#[tokio::test]
async fn an_account_deleted_while_it_syncs_is_gone_for_its_polls() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .connect(
            &key,
            "TELEGRAM",
            "sandbox:chats=50,messages=5,latency_ms=40",
        )
        .await;
    server.sync(&key, &account, "").await;
    // Polls of a running sync are answered from the run's memory: wait until it has pages.
    server.wait_progress(&key, &account).await;
    let (status, body) = server
        .request(
            "DELETE",
            &format!("/api/v1/accounts/{account}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.sync(&key, &account, "").await;
    assert_error(status, &body, 404, "resource_not_found");
}

#[tokio::test]
async fn every_fault_of_both_providers_ends_as_its_name_says() {
    let server = TestServer::start().await;
    let key = server.test_key();
    // Past the requests that connect the account and open the sync's session (LinkedIn counts
    // its `/me`s; Telegram only its dialogs and history requests).
    for (provider, after) in [("LINKEDIN", 3), ("TELEGRAM", 1)] {
        let scenario = "sandbox:chats=4,messages=30,seed=21";
        let reference = server.synced_account(&key, provider, scenario).await;
        let complete = server.snapshot(&key, &reference).await;
        for (fault, status, error, then) in [
            ("rate_limited", "SYNC_DONE", None, None),
            ("flaky", "SYNC_DONE", None, None),
            (
                "expired",
                "SYNC_ERROR",
                Some("expired_credentials"),
                Some(401),
            ),
            (
                "restricted",
                "SYNC_ERROR",
                Some("account_restricted"),
                Some(403),
            ),
            ("down", "SYNC_ERROR", Some("service_unavailable"), None),
            ("timeout", "SYNC_ERROR", Some("request_timeout"), None),
        ] {
            let account = server
                .connect(
                    &key,
                    provider,
                    &format!("{scenario},fault={fault},fault_after={after}"),
                )
                .await;
            let outcome = server.sync_to_outcome(&key, &account, "").await;
            let case = format!("{provider} {fault}: {outcome}");
            assert_eq!(outcome["status"], status, "{case}");
            match error {
                None => assert_eq!(server.snapshot(&key, &account).await, complete, "{case}"),
                Some(error) => {
                    assert_eq!(
                        outcome["error"]["type"],
                        format!("errors/{error}"),
                        "{case}"
                    );
                    assert!(outcome["error"]["detail"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()));
                }
            }
            // A dead or restricted account refuses the next resync at once.
            if let (Some(code), Some(error)) = (then, error) {
                let (s, body) = server.sync(&key, &account, "").await;
                assert_error(s, &body, code, error);
            }
        }
    }
}

#[tokio::test]
async fn another_product_after_chunk_done_starts_over_and_reconciliation_stays_in_its_inbox() {
    let server = TestServer::start().await;
    let key = server.test_key();
    // Chat i lives in products[i % 2]: even chats in the classic inbox, odd ones in Recruiter.
    let account = server
        .connect(
            &key,
            "LINKEDIN",
            "sandbox:chats=20,messages=2,products=classic+recruiter,seed=4",
        )
        .await;
    let first = server
        .sync_to_outcome(&key, &account, "chunk_size=3&linkedin_product=classic")
        .await;
    assert_eq!(
        (first["status"].as_str(), first["chunk"].as_i64()),
        (Some("CHUNK_DONE"), Some(1))
    );
    let (_, other) = server
        .sync(&key, &account, "chunk_size=3&linkedin_product=recruiter")
        .await;
    assert_eq!(other["status"], "SYNC_STARTED", "{other}");
    assert_eq!(
        other["chunk"], 1,
        "another product starts a new series: {other}"
    );
    assert_ne!(other["sync_id"], first["sync_id"]);
    assert_eq!(
        server.wait_outcome(&key, &account).await["status"],
        "CHUNK_DONE"
    );

    // Everything once, then half the chats of each inbox vanish at the provider.
    assert_eq!(
        server.sync_to_outcome(&key, &account, "").await["status"],
        "SYNC_DONE"
    );
    let folder = |c: &serde_json::Value| c["folder"][0].as_str().unwrap().to_owned();
    let before = server.all_chats(&key, &account).await;
    assert_eq!(before.len(), 20);
    server
        .reconnect(
            &key,
            &account,
            "LINKEDIN",
            "sandbox:chats=10,messages=2,products=classic+recruiter,seed=4",
        )
        .await;
    let outcome = server
        .sync_to_outcome(&key, &account, "linkedin_product=recruiter")
        .await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    let after = server.all_chats(&key, &account).await;
    let deleted: Vec<String> = after
        .iter()
        .filter(|c| c["deleted"] == 1)
        .map(folder)
        .collect();
    // Only the Recruiter inbox was resynced: its five vanished threads are marked, the
    // classic inbox's five are left alone.
    assert_eq!(deleted.len(), 5, "{after:?}");
    assert!(
        deleted.iter().all(|f| f == "INBOX_LINKEDIN_RECRUITER"),
        "{deleted:?}"
    );
}

#[tokio::test]
async fn a_live_telegram_account_without_an_app_is_registered_and_its_resync_is_501() {
    let server = TestServer::start().await;
    let live = server.create_key(&["--name", "live", "--mode", "live"]);
    // A Telethon string session of a real account (the server has no MSGSYNC_TELEGRAM_API_ID).
    let session = format!("1{}", "A".repeat(348));
    let (s, body) = server
        .request(
            "POST",
            "/api/v1/accounts",
            Some(&live),
            Some(serde_json::json!({"provider": "TELEGRAM", "session": session})),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let account = body["account_id"].as_str().unwrap();
    let (s, body) = server.sync(&live, account, "").await;
    assert_error(s, &body, 501, "feature_not_implemented");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("MSGSYNC_TELEGRAM_API_ID"),
        "the detail says what to configure: {body}"
    );
}
