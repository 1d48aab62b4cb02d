//! Live LinkedIn accounts end to end (issue 10), with the sandbox's Voyager simulator standing
//! in for LinkedIn: Unipile's cookie connection with a proxy, what the API never gives back,
//! the inboxes msgsync cannot list, the cookies kept with the credentials, and incremental
//! resyncs.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::*;
use msgsync_core::AccountId;
use msgsync_providers::Credentials;
use msgsync_store::{CredentialCipher, SqliteStore, Store};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const MASTER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                  (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// A free loopback port for the simulator, so that the server's live LinkedIn can be it.
async fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// A server whose live LinkedIn connector talks to its own Voyager simulator, unpaced.
async fn server_with_live_linkedin() -> (TestServer, u16) {
    let port = free_port().await;
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://{listen}");
    let server = TestServer::start_with(&[
        ("MSGSYNC_SANDBOX_LINKEDIN_LISTEN", &listen),
        ("MSGSYNC_LINKEDIN_BASE_URL", &base),
        ("MSGSYNC_LINKEDIN_MIN_DELAY_MS", "0"),
        ("MSGSYNC_LINKEDIN_MAX_DELAY_MS", "0"),
        ("MSGSYNC_MASTER_KEY", MASTER_KEY),
    ])
    .await;
    (server, port)
}

/// An HTTP forward proxy to `port` that wants `user:pass` and counts what it carried.
async fn proxy_to(port: u16, user: &'static str, pass: &'static str) -> (u16, Arc<Mutex<u32>>) {
    use base64::Engine as _;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let own = listener.local_addr().unwrap().port();
    let carried = Arc::new(Mutex::new(0));
    let count = carried.clone();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (count, auth) = (count.clone(), auth.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                if !text.contains(&format!(
                    "proxy-authorization: basic {}",
                    auth.to_ascii_lowercase()
                )) {
                    let _ = client
                        .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                        .await;
                    return;
                }
                *count.lock().unwrap() += 1;
                let Ok(mut up) = TcpStream::connect(("127.0.0.1", port)).await else {
                    return;
                };
                if up.write_all(&head).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
                }
            });
        }
    });
    (own, carried)
}

/// The cookies of a sandbox scenario, by name.
fn cookie_map(server: &TestServer, scenario: &str) -> HashMap<String, String> {
    server
        .cli(&["sandbox", "linkedin-cookies", scenario])
        .split("; ")
        .filter_map(|c| c.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

async fn stored_credentials(server: &TestServer, account: &str) -> Credentials {
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&MASTER_KEY[2 * i..2 * i + 2], 16).unwrap();
    }
    let url = format!(
        "sqlite://{}",
        server.data_dir().join("msgsync.db").display()
    );
    let store = SqliteStore::open(&url, CredentialCipher::new(&key))
        .await
        .unwrap();
    let id: AccountId = account.parse().unwrap();
    let raw = store.account_credentials(id).await.unwrap().unwrap();
    serde_json::from_slice(&raw).unwrap()
}

#[tokio::test]
async fn a_cookie_connection_through_a_proxy_keeps_its_secrets_and_its_cookies() {
    let (server, port) = server_with_live_linkedin().await;
    let key = server.create_key(&["--name", "live", "--mode", "live"]);
    let cookies = cookie_map(
        &server,
        "sandbox:chats=6,messages=2,products=classic+sales_navigator",
    );
    let (proxy_port, carried) = proxy_to(port, "proxy-user", "pr0xy-s3cret").await;
    // Unipile's cookie connection: li_at alone, li_a as premium_token, the browser's user
    // agent, and a proxy.
    let body = json!({
        "provider": "LINKEDIN", "access_token": cookies["li_at"], "premium_token": cookies["li_a"],
        "user_agent": UA,
        "proxy": {"protocol": "http", "host": "127.0.0.1", "port": proxy_port,
                  "username": "proxy-user", "password": "pr0xy-s3cret"},
    });
    let (status, created) = server
        .request("POST", "/api/v1/accounts", Some(&key), Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    let account = created["account_id"].as_str().unwrap().to_string();
    assert!(
        *carried.lock().unwrap() > 0,
        "the connect went through the proxy"
    );
    // Nothing secret comes back.
    let (_, list) = server.get("/api/v1/accounts", &key).await;
    let (_, one) = server
        .get(&format!("/api/v1/accounts/{account}"), &key)
        .await;
    for text in [list.to_string(), one.to_string()] {
        for secret in [
            "pr0xy-s3cret",
            "proxy-user",
            &cookies["li_at"],
            &cookies["li_a"],
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
    assert_eq!(
        one["connection_params"]["im"]["premiumFeatures"],
        json!(["sales_navigator"])
    );
    let before = *carried.lock().unwrap();
    let outcome = server.sync_to_outcome(&key, &account, "").await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    assert_eq!(server.all_chats(&key, &account).await.len(), 6);
    assert!(
        *carried.lock().unwrap() > before,
        "the sync went through the proxy"
    );
    // The cookies LinkedIn set are kept with the credentials; the rest stays as given.
    let kept = stored_credentials(&server, &account).await;
    assert!(
        kept.secret
            .contains(&format!("JSESSIONID=\"{}\"", cookies["JSESSIONID"])),
        "{}",
        kept.secret
    );
    assert!(kept.secret.contains("lidc="), "{}", kept.secret);
    assert_eq!(kept.user_agent.as_deref(), Some(UA));
    assert_eq!(
        kept.proxy.unwrap().password.as_deref(),
        Some("pr0xy-s3cret")
    );
    // A bad proxy is refused when the account is connected.
    let (status, body) = server
        .request(
            "POST",
            "/api/v1/accounts",
            Some(&key),
            Some(
                json!({"provider": "LINKEDIN", "access_token": cookies["li_at"],
                        "proxy": {"protocol": "ftp", "host": "h", "port": 1}}),
            ),
        )
        .await;
    assert_error(status, &body, 400, "invalid_parameters");
    // Telegram does not go through proxies yet: refused, never connected directly.
    let test_key = server.test_key();
    let (status, body) = server
        .request(
            "POST",
            "/api/v1/accounts",
            Some(&test_key),
            Some(json!({"provider": "TELEGRAM", "session": "sandbox",
                        "proxy": {"protocol": "socks5", "host": "127.0.0.1", "port": proxy_port}})),
        )
        .await;
    assert_error(status, &body, 501, "feature_not_implemented");
}

#[tokio::test]
async fn an_inbox_msgsync_cannot_list_is_refused_never_synced_empty() {
    let (server, _) = server_with_live_linkedin().await;
    let key = server.create_key(&["--name", "live", "--mode", "live"]);
    let cookies = cookie_map(
        &server,
        "sandbox:chats=4,messages=1,products=classic+recruiter",
    );
    let (status, created) = server
        .request(
            "POST",
            "/api/v1/accounts",
            Some(&key),
            Some(
                json!({"provider": "LINKEDIN", "access_token": cookies["li_at"],
                        "recruiter_contract_id": "contract-1", "user_agent": UA}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let account = created["account_id"].as_str().unwrap().to_string();
    for query in ["linkedin_product=recruiter", "", "partial=true"] {
        let (status, body) = server.sync(&key, &account, query).await;
        assert_error(status, &body, 501, "feature_not_implemented");
        assert!(
            body["detail"].as_str().unwrap().contains("Recruiter"),
            "{query}: {body}"
        );
    }
    let (status, body) = server
        .sync(&key, &account, "linkedin_product=sales_navigator")
        .await;
    assert_error(status, &body, 403, "feature_not_subscribed");
    let outcome = server
        .sync_to_outcome(&key, &account, "linkedin_product=classic")
        .await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    // The sandbox keeps simulating the Recruiter inbox.
    let test_key = server.test_key();
    let sandbox = server
        .connect(
            &test_key,
            "LINKEDIN",
            "sandbox:chats=6,products=classic+recruiter",
        )
        .await;
    let outcome = server.sync_to_outcome(&test_key, &sandbox, "").await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
}

fn activity(chats: &[Value]) -> HashMap<String, String> {
    chats
        .iter()
        .map(|c| {
            (
                c["provider_id"].as_str().unwrap().to_string(),
                c["timestamp"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_incremental_resync_adds_what_is_newer_than_what_is_stored() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let scenario = |chats: u32| format!("sandbox:chats={chats},messages=2,seed=8,span_days=30");
    let reference = server.synced_account(&key, "LINKEDIN", &scenario(60)).await;
    let everything = activity(&server.all_chats(&key, &reference).await);
    let account = server.synced_account(&key, "LINKEDIN", &scenario(40)).await;
    let first = activity(&server.all_chats(&key, &account).await);
    let newest = first.values().max().unwrap().clone();
    // LinkedIn now holds 20 more chats; the incremental resync takes those newer than what
    // is stored and stops at the first page of known ones.
    server
        .reconnect(&key, &account, "LINKEDIN", &scenario(60))
        .await;
    let outcome = server.sync_to_outcome(&key, &account, "partial=true").await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    let newer: Vec<&String> = everything
        .iter()
        .filter(|(id, at)| !first.contains_key(*id) && **at > newest)
        .map(|(id, _)| id)
        .collect();
    let after = activity(&server.all_chats(&key, &account).await);
    let mut want: Vec<&String> = first.keys().chain(newer.iter().copied()).collect();
    let mut got: Vec<&String> = after.keys().collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(
        outcome["progress"]["chats"],
        json!(newer.len()),
        "{outcome}"
    );
    // A full resync still takes everything.
    let outcome = server.sync_to_outcome(&key, &account, "").await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    assert_eq!(server.all_chats(&key, &account).await.len(), 60);
}

#[tokio::test]
async fn an_incremental_resync_after_an_unfinished_full_one_fetches_what_that_one_left() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let account = server
        .connect(&key, "LINKEDIN", "sandbox:chats=25,messages=2,seed=9")
        .await;
    // The first chunk stores the 10 newest chats; the series is then left.
    let chunk = server
        .sync_to_outcome(&key, &account, "chunk_size=10")
        .await;
    assert_eq!(chunk["status"], "CHUNK_DONE", "{chunk}");
    assert_eq!(server.all_chats(&key, &account).await.len(), 10);
    // Nothing walked the inbox whole yet: the incremental resync cannot stop at the newest
    // chat stored, every older one is still missing.
    let outcome = server.sync_to_outcome(&key, &account, "partial=true").await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    assert_eq!(server.all_chats(&key, &account).await.len(), 25);
    // Once one has, the next incremental resync finds nothing newer.
    let again = server.sync_to_outcome(&key, &account, "partial=true").await;
    assert_eq!(again["status"], "SYNC_DONE", "{again}");
    assert_eq!(again["progress"]["chats"], 0, "{again}");
}
