//! `GET /api/v1/messages/{id}/attachments/{attachment_id}`: files streamed from the provider
//! (the sandbox simulators) byte for byte, without the server holding them, and the
//! provider's failures in the envelope.

mod common;

use common::{assert_error, TestServer};
use msgsync_core::content::Attachment;
use serde_json::Value;
use sha2::{Digest, Sha256};

const TELEGRAM: &str = "sandbox:chats=12,messages=60,seed=7";

/// Every (message, attachment) of an account, as the API lists them.
async fn attachments(server: &TestServer, key: &str, account: &str) -> Vec<(Value, Value)> {
    let messages = server
        .all_items(key, &format!("/api/v1/messages?account_id={account}"))
        .await;
    messages
        .into_iter()
        .flat_map(|m| {
            let list = m["attachments"].as_array().cloned().unwrap_or_default();
            list.into_iter().map(move |a| (m.clone(), a))
        })
        .collect()
}

fn url(server: &TestServer, message: &Value, attachment: &Value) -> String {
    format!(
        "{}/api/v1/messages/{}/attachments/{}",
        server.base,
        message["id"].as_str().unwrap(),
        attachment["id"].as_str().unwrap()
    )
}

/// The peak resident memory of a process so far, in bytes (Linux).
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmHWM in /proc/<pid>/status")
}

#[tokio::test]
async fn files_stream_byte_for_byte_without_being_held_whole() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server.synced_account(&key, "TELEGRAM", TELEGRAM).await;
    let all = attachments(&server, &key, &account).await;
    let kinds: std::collections::BTreeSet<&str> = all
        .iter()
        .map(|(_, a)| a["type"].as_str().unwrap())
        .collect();
    assert!(kinds.len() >= 3, "{kinds:?}");

    // One attachment of each kind, then the largest of all.
    let mut picked: Vec<&(Value, Value)> = Vec::new();
    for kind in &kinds {
        picked.push(all.iter().find(|(_, a)| a["type"] == *kind).unwrap());
    }
    let largest = all
        .iter()
        .max_by_key(|(_, a)| a["file_size"].as_i64().unwrap_or(0))
        .unwrap();
    let largest_size = largest.1["file_size"].as_u64().unwrap();
    assert!(largest_size >= 20 << 20, "no large file: {largest_size}");
    let before = peak_rss(server.pid());
    picked.push(largest);

    for (message, attachment) in picked {
        let expected: Attachment = serde_json::from_value(attachment.clone()).unwrap();
        let size = expected.file_size.unwrap() as u64;
        let response = server
            .client()
            .get(url(&server, message, attachment))
            .header("X-API-KEY", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{attachment}");
        let headers = response.headers().clone();
        assert_eq!(
            headers["content-type"].to_str().unwrap(),
            expected.mimetype.as_deref().unwrap(),
            "{attachment}"
        );
        assert_eq!(
            headers["content-length"].to_str().unwrap(),
            size.to_string()
        );
        assert!(headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
        // Read as it arrives, hashing it, never holding it.
        let mut hasher = Sha256::new();
        let mut received = 0u64;
        let mut response = response;
        while let Some(chunk) = response.chunk().await.unwrap() {
            received += chunk.len() as u64;
            hasher.update(&chunk);
        }
        assert_eq!(received, size);
        let simulator = msgsync_sandbox::mtproto::attachment_bytes(&expected, 0, size as usize);
        assert_eq!(
            hasher.finalize().as_slice(),
            Sha256::digest(&simulator).as_slice(),
            "{attachment}"
        );
    }
    let grew = peak_rss(server.pid()).saturating_sub(before);
    assert!(
        grew < largest_size / 2,
        "the server's peak memory grew by {grew} bytes streaming a file of {largest_size}"
    );
}

#[tokio::test]
async fn provider_failures_of_a_download_come_in_the_envelope() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server.synced_account(&key, "TELEGRAM", TELEGRAM).await;
    let all = attachments(&server, &key, &account).await;
    let (message, attachment) = all
        .iter()
        .find(|(_, a)| a["file_size"].as_u64().is_some_and(|s| s > 4 << 20))
        .expect("a file of several parts");
    let get = |credential: &'static str| {
        let server = &server;
        let key = key.clone();
        let account = account.clone();
        async move {
            // The same Telegram user (same seed), with a session that misbehaves.
            server
                .reconnect(&key, &account, "TELEGRAM", credential)
                .await;
            server
                .client()
                .get(url(server, message, attachment))
                .header("X-API-KEY", &key)
                .send()
                .await
                .unwrap()
        }
    };

    // A flood wait before the first byte: 503 with Retry-After.
    let response = get("sandbox:chats=12,messages=60,seed=7,fault=rate_limited").await;
    let retry_after = response.headers().get("retry-after").cloned();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_error(status, &body, 503, "service_unavailable");
    assert_eq!(retry_after.unwrap().to_str().unwrap(), "1");

    // A session that is dead: 401 expired_credentials, and the account says so.
    let response = get("sandbox:chats=12,messages=60,seed=7,fault=expired").await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_error(status, &body, 401, "expired_credentials");
    let (_, acct) = server
        .get(&format!("/api/v1/accounts/{account}"), &key)
        .await;
    assert_eq!(acct["sources"][0]["status"], "CREDENTIALS", "{acct}");

    // The Telegram account was deleted: 401 disconnected_account, and the account says so.
    let response = get("sandbox:chats=12,messages=60,seed=7,fault=deactivated").await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_error(status, &body, 401, "disconnected_account");
    let (_, acct) = server
        .get(&format!("/api/v1/accounts/{account}"), &key)
        .await;
    assert_eq!(acct["sources"][0]["status"], "STOPPED", "{acct}");

    // A session that dies in the middle: the answer started (200, its length announced) and is
    // cut short; the client sees an incomplete body, never a complete-looking wrong file.
    // The download's first requests (the message, two parts: the chat's stored peer spares
    // listing the dialogs) succeed.
    let response = get("sandbox:chats=12,messages=60,seed=7,fault=expired,fault_after=3").await;
    assert_eq!(response.status(), 200);
    let announced = response.content_length().unwrap();
    let mut received = 0u64;
    let mut failed = false;
    let mut response = response;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received += chunk.len() as u64,
            Ok(None) => break,
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the cut body ended as if complete");
    assert!(
        received > 0 && received < announced,
        "{received} of {announced}"
    );
}

#[tokio::test]
async fn a_file_stored_in_another_telegram_dc_downloads_from_there() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server.synced_account(&key, "TELEGRAM", TELEGRAM).await;
    let all = attachments(&server, &key, &account).await;
    let (message, attachment) = all
        .iter()
        .find(|(_, a)| a["file_size"].as_u64().is_some_and(|s| s > 4 << 20))
        .expect("a file of several parts");
    // The same Telegram user, whose files now live in DC 4: the home DC answers FILE_MIGRATE_4.
    server
        .reconnect(
            &key,
            &account,
            "TELEGRAM",
            &format!("{TELEGRAM},fault=migrate"),
        )
        .await;
    let expected: Attachment = serde_json::from_value(attachment.clone()).unwrap();
    let size = expected.file_size.unwrap() as u64;
    let response = server
        .client()
        .get(url(&server, message, attachment))
        .header("X-API-KEY", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{attachment}");
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len() as u64, size);
    let simulator = msgsync_sandbox::mtproto::attachment_bytes(&expected, 0, size as usize);
    assert_eq!(
        Sha256::digest(&body).as_slice(),
        Sha256::digest(&simulator).as_slice()
    );
}
