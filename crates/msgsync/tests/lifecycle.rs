//! The server process: first start, crashes and graceful shutdown in the middle of a sync.

mod common;

use std::time::{Duration, Instant};

use common::TestServer;

/// Polls until the running sync has stored some chats but not all.
async fn wait_until_partway(
    server: &TestServer,
    key: &str,
    account: &str,
    total: i64,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, body) = server.sync(key, account, "").await;
        assert_eq!(body["status"], "SYNC_RUNNING", "finished too early: {body}");
        let chats = body["progress"]["chats"].as_i64().unwrap();
        if chats >= 3 {
            assert!(chats < total);
            return body;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn first_start_creates_the_data_directory_database_and_master_key() {
    let server = TestServer::start().await;
    let dir = server.data_dir();
    assert!(dir.join("msgsync.db").exists());
    assert!(dir.join("master.key").exists());
    let log = server.log_text();
    assert!(log.contains("listening on http://127.0.0.1:"), "{log}");

    // Credentials are encrypted at rest: the database file never holds them in clear.
    let key = server.test_key();
    let marker = "sandbox:chats=1,messages=1,seed=424242";
    server.connect(&key, "LINKEDIN", marker).await;
    let mut bytes = std::fs::read(dir.join("msgsync.db")).unwrap();
    if let Ok(wal) = std::fs::read(dir.join("msgsync.db-wal")) {
        bytes.extend(wal);
    }
    assert!(!bytes.windows(marker.len()).any(|w| w == marker.as_bytes()));
    assert!(
        !server.log_text().contains("seed=424242"),
        "credentials in the log"
    );
}

#[tokio::test]
async fn a_killed_server_resumes_its_sync_and_ends_with_exactly_the_data() {
    // A lease far longer than the outcome's deadline: the restarted node, alone on its
    // embedded database, must not wait for it.
    let server = TestServer::start_with(&[
        ("MSGSYNC_SYNC_LEASE_MS", "600000"),
        // Data anchored on a fixed day: the comparison holds across a restart at midnight.
        ("MSGSYNC_SANDBOX_EPOCH", "2026-01-01"),
    ])
    .await;
    let key = server.test_key();
    let scenario = "sandbox:chats=30,messages=250,seed=11";
    let reference = server.synced_account(&key, "TELEGRAM", scenario).await;
    let expected = server.snapshot(&key, &reference).await;
    assert_eq!(expected.len(), 30 * 250);

    let account = server
        .connect(&key, "TELEGRAM", &format!("{scenario},latency_ms=15"))
        .await;
    let (_, started) = server.sync(&key, &account, "").await;
    assert_eq!(started["status"], "SYNC_STARTED");
    let partway = wait_until_partway(&server, &key, &account, 30).await;

    let server = server.kill_and_restart().await;
    assert!(
        server
            .log_text()
            .contains("resuming syncs interrupted by the last stop"),
        "{}",
        server.log_text()
    );
    let (_, after_restart) = server.sync(&key, &account, "").await;
    assert_eq!(after_restart["status"], "SYNC_RUNNING", "{after_restart}");
    assert_eq!(
        after_restart["sync_id"], started["sync_id"],
        "the same sync goes on"
    );
    assert!(after_restart["progress"]["chats"].as_i64() >= partway["progress"]["chats"].as_i64());

    let done = server.wait_outcome(&key, &account).await;
    assert_eq!(done["status"], "SYNC_DONE", "{done}");
    assert_eq!(done["sync_id"], started["sync_id"]);
    // Resumed from the saved page: every message counted exactly once.
    assert_eq!(done["progress"]["messages"], 30 * 250, "{done}");
    assert_eq!(done["progress"]["chats"], 30, "{done}");
    assert_eq!(server.snapshot(&key, &account).await, expected);
}

#[tokio::test]
async fn sigterm_stops_syncs_at_a_page_boundary_and_they_resume() {
    let mut server = TestServer::start_with(&[("MSGSYNC_SANDBOX_EPOCH", "2026-01-01")]).await;
    let key = server.test_key();
    let account = server
        .connect(
            &key,
            "LINKEDIN",
            "sandbox:chats=30,messages=120,seed=4,latency_ms=15",
        )
        .await;
    let (_, started) = server.sync(&key, &account, "").await;
    wait_until_partway(&server, &key, &account, 30).await;

    assert!(server.terminate(), "a graceful stop exits 0");
    assert!(
        server.log_text().contains("sync engine stopped"),
        "{}",
        server.log_text()
    );

    let server = server.restart().await;
    let done = server.wait_outcome(&key, &account).await;
    assert_eq!(done["status"], "SYNC_DONE", "{done}");
    assert_eq!(done["sync_id"], started["sync_id"]);
    assert_eq!(done["progress"]["messages"], 30 * 120);
    assert_eq!(server.snapshot(&key, &account).await.len(), 30 * 120);
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_database_files_are_for_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("data").join("nested");
    let server = TestServer::start_with(&[("MSGSYNC_DATA_DIR", dir.to_str().unwrap())]).await;
    // A sync writes through the WAL, so that all three files exist.
    let key = server.test_key();
    server
        .synced_account(&key, "TELEGRAM", "sandbox:chats=2,messages=3")
        .await;
    assert_eq!(mode(&dir), 0o700);
    for file in [
        "msgsync.db",
        "msgsync.db-wal",
        "msgsync.db-shm",
        "master.key",
    ] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    assert!(!server.log_text().contains("readable by other local users"));

    // An operator who opened the database up is warned at the next start.
    std::fs::set_permissions(
        dir.join("msgsync.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let server = server.restart().await;
    let log = server.log_text();
    assert!(
        log.contains("readable by other local users") && log.contains("msgsync.db"),
        "{log}"
    );
}

#[tokio::test]
async fn a_second_server_on_the_same_embedded_database_refuses_to_start() {
    let server = TestServer::start().await;
    let out = std::process::Command::new(common::BIN)
        .arg("serve")
        .env("MSGSYNC_DATA_DIR", server.data_dir())
        .env("MSGSYNC_LISTEN", "127.0.0.1:0")
        .env("MSGSYNC_SANDBOX", "off")
        .output()
        .expect("run a second msgsync serve");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another msgsync serve is running"),
        "{stderr}"
    );
    // The first one is unharmed, and the CLI still works beside it.
    let key = server.test_key();
    let (status, _) = server.get("/api/v1/accounts", &key).await;
    assert_eq!(status, 200);
}
