//! The storage failing under a running server: a full disk in the middle of a sync and of API
//! writes, and space coming back. The data directory lives on a small tmpfs of its own, so
//! the test needs the right to mount one (root, as CI runs): without it the test fails and
//! says so rather than skipping.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::TestServer;
use serde_json::{json, Value};

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mnt");
        std::fs::create_dir(&path).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs to fill it (run the tests as root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { path, _dir: dir }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Fills the file system of `dir` up to `leave` free bytes with a ballast file.
fn fill(dir: &Path, leave: u64) -> PathBuf {
    use std::io::Write;
    let ballast = dir.join("ballast");
    let mut file = std::fs::File::create(&ballast).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    loop {
        let free = free_bytes(dir);
        if free <= leave + chunk.len() as u64 {
            break;
        }
        if file.write_all(&chunk).is_err() {
            break;
        }
    }
    file.sync_all().unwrap();
    ballast
}

fn free_bytes(dir: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap()
}

fn connect_body(credential: &str) -> Value {
    json!({"provider": "LINKEDIN", "access_token": credential})
}

/// A server whose data directory is on a 64 MB tmpfs of its own.
async fn server_on_tmpfs() -> (Tmpfs, TestServer) {
    let fs = Tmpfs::mount("64m");
    let data = fs.path.join("data");
    let server = TestServer::start_with(&[
        ("MSGSYNC_DATA_DIR", data.to_str().unwrap()),
        // Retries fast, and many of them: the disk stays full for a while.
        ("MSGSYNC_RETRY_ATTEMPTS", "1000"),
        ("MSGSYNC_WEBHOOK_ALLOW_PRIVATE", "true"),
        (
            "MSGSYNC_WEBHOOK_RETRY_SCHEDULE",
            "100ms,200ms,500ms,1s,1s,1s,1s,1s,1s,1s",
        ),
    ])
    .await;
    (fs, server)
}

#[tokio::test]
async fn a_full_disk_acknowledges_no_lost_write_and_recovers_when_space_returns() {
    let (fs, server) = server_on_tmpfs().await;
    let key = server.test_key();
    // Every change is reported to a webhook, full disk or not: none lost, none invented.
    let receiver = msgsync_harness::WebhookReceiver::start().await.unwrap();
    let (s, hook) = server
        .request(
            "POST",
            "/api/v1/webhooks",
            Some(&key),
            Some(
                serde_json::json!({"request_url": receiver.url("/h"), "source": "account_status"}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{hook}");
    let account = server
        .connect(&key, "LINKEDIN", "sandbox:chats=60,messages=80,seed=5")
        .await;
    let ballast = fill(&fs.path, 512 * 1024);

    let (_, started) = server.sync(&key, &account, "").await;
    assert_eq!(started["status"], "SYNC_STARTED", "{started}");
    // The sync runs into the full disk: it waits, and says why.
    let deadline = Instant::now() + Duration::from_secs(60);
    let waiting = loop {
        let (_, body) = server.sync(&key, &account, "").await;
        assert_eq!(body["status"], "SYNC_RUNNING", "{body}");
        if body["retry"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("full"))
        {
            break body;
        }
        assert!(Instant::now() < deadline, "{body}\n{}", server.log_text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(waiting["progress"]["messages"].as_i64() < Some(60 * 80));

    // Meanwhile, what the API acknowledges is there; what it cannot write it refuses.
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let credential = format!("sandbox:chats=1,seed={}", 100 + i);
        let (s, body) = server
            .request(
                "POST",
                "/api/v1/accounts",
                Some(&key),
                Some(connect_body(&credential)),
            )
            .await;
        match s {
            201 => acknowledged.push(body["account_id"].as_str().unwrap().to_owned()),
            503 => {
                assert_eq!(body["type"], "errors/service_unavailable", "{body}");
                assert!(body["detail"].as_str().unwrap().contains("full"), "{body}");
            }
            _ => panic!("{s} {body}"),
        }
    }
    for id in &acknowledged {
        let (s, body) = server.get(&format!("/api/v1/accounts/{id}"), &key).await;
        assert_eq!(s, 200, "an acknowledged account is missing: {body}");
    }

    // Space comes back: the sync resumes and ends with every message, without a restart.
    std::fs::remove_file(&ballast).unwrap();
    let done = server.wait_outcome(&key, &account).await;
    assert_eq!(done["status"], "SYNC_DONE", "{done}\n{}", server.log_text());
    assert_eq!(done["progress"]["messages"], 60 * 80, "{done}");
    let snapshot = server.snapshot(&key, &account).await;
    assert_eq!(snapshot.len(), 60 * 80);
    // Exactly what an uninterrupted sync of the same scenario stores.
    let reference = server
        .synced_account(&key, "LINKEDIN", "sandbox:chats=60,messages=80,seed=5")
        .await;
    assert!(snapshot == server.snapshot(&key, &reference).await);
    let writes = server.create_key(&["--name", "after", "--mode", "test"]);
    assert!(writes.starts_with("pp_test_"));
    let (s, list) = server.get("/api/v1/accounts?limit=100", &key).await;
    assert_eq!(s, 200);
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        2 + acknowledged.len(),
        "{list}"
    );
    // The webhook heard of each account that was created and of the two syncs' outcomes, each
    // under one id, and of nothing the API refused.
    let events = 2 + acknowledged.len() + 2;
    let deadline = Instant::now() + Duration::from_secs(60);
    let deliveries = loop {
        let deliveries = receiver.deliveries();
        let ids: std::collections::HashSet<&str> = deliveries
            .iter()
            .map(|d| d.header("webhook-id").unwrap())
            .collect();
        if ids.len() >= events {
            assert_eq!(ids.len(), events);
            break deliveries;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {events} events",
            ids.len()
        );
        receiver
            .wait_for_count(deliveries.len() + 1, deadline - Instant::now())
            .await
            .unwrap();
    };
    let mut by_id = std::collections::HashMap::new();
    let mut created = std::collections::BTreeSet::new();
    let mut outcomes = 0;
    for d in &deliveries {
        let p = d
            .verify(
                &[hook["secret"].as_str().unwrap()],
                Duration::from_secs(300),
            )
            .unwrap();
        if let Some(seen) = by_id.insert(d.header("webhook-id").unwrap().to_owned(), p.clone()) {
            assert_eq!(seen, p, "one id, two events");
            continue;
        }
        let status = &p["AccountStatus"];
        match status["message"].as_str().unwrap() {
            "CREATION_SUCCESS" => {
                created.insert(status["account_id"].as_str().unwrap().to_owned());
            }
            "SYNC_SUCCESS" => outcomes += 1,
            other => panic!("unexpected {other}: {p}"),
        }
    }
    let expected: std::collections::BTreeSet<String> = [account.clone(), reference.clone()]
        .into_iter()
        .chain(acknowledged.iter().cloned())
        .collect();
    assert_eq!(created, expected);
    assert_eq!(outcomes, 2);

    // Said once, not once per retry (of which there were dozens): a few lines by the sync,
    // one by the claims of sync jobs, one by webhook delivery.
    let log = server.log_text();
    let full_lines = log
        .lines()
        .filter(|l| l.contains("storage is full"))
        .count();
    assert!(full_lines <= 4, "{full_lines} lines:\n{log}");
    let delivery_lines = log
        .lines()
        .filter(|l| l.contains("webhook delivery cannot use the database"))
        .count();
    assert!(delivery_lines <= 1, "{delivery_lines} lines:\n{log}");
    drop(server);
}

#[tokio::test]
async fn a_server_killed_on_a_full_disk_starts_again_and_its_sync_resumes_when_space_returns() {
    let (fs, server) = server_on_tmpfs().await;
    let key = server.test_key();
    // Slow enough (about 25 round trips of 300 ms) to be killed in the middle.
    let scenario = "sandbox:chats=20,messages=50,seed=9,latency_ms=300";
    let account = server.connect(&key, "TELEGRAM", scenario).await;
    let (_, started) = server.sync(&key, &account, "").await;
    assert_eq!(started["status"], "SYNC_STARTED", "{started}");
    server.wait_progress(&key, &account).await;

    // The disk fills up to the last byte, and the server dies in the middle of the sync.
    let ballast = fill(&fs.path, 0);
    let server = server.kill_and_restart().await;
    // It serves again, reads first: the account and the running sync are there.
    let (s, body) = server
        .get(&format!("/api/v1/accounts/{account}"), &key)
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = server.sync(&key, &account, "").await;
    assert_eq!(
        (s, &body["status"]),
        (200, &"SYNC_RUNNING".into()),
        "{body}"
    );

    // Space comes back: the interrupted sync ends with exactly the data of an undisturbed one.
    std::fs::remove_file(&ballast).unwrap();
    let done = server.wait_outcome(&key, &account).await;
    assert_eq!(done["status"], "SYNC_DONE", "{done}\n{}", server.log_text());
    let reference = server.synced_account(&key, "TELEGRAM", scenario).await;
    let snapshot = server.snapshot(&key, &account).await;
    assert_eq!(snapshot.len(), 20 * 50);
    assert!(snapshot == server.snapshot(&key, &reference).await);
}
