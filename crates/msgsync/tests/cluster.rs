//! A cluster: three real `msgsync serve` processes on one PostgreSQL database (CONTRACT §2).
//! Any node answers any request, concurrent first requests through all of them start one sync,
//! and a node that dies, stops or sleeps past its lease loses its syncs to the others without a
//! message lost or written twice.
//!
//! Each test gets a database of its own on the PostgreSQL of `MSGSYNC_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped at its end; without PostgreSQL the
//! tests fail, they never skip.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::TestServer;
use futures::future::join_all;
use serde_json::Value;
use sqlx::Connection;

/// The cluster's shared master key (any 32 bytes; every node must have the same).
const MASTER_KEY: &str = "6d7367737966632d636c75737465722d746573742d6b65792d30303030303031";

/// Sandbox data anchored at a fixed instant, so that every node's simulators serve the same
/// accounts whatever the time of day.
const SANDBOX_EPOCH: &str = "2026-01-01";

fn admin_url() -> String {
    std::env::var("MSGSYNC_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database of the test's own, dropped (with whatever connections are left) at its end.
struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    async fn create() -> TestDatabase {
        let admin = admin_url();
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is needed for the cluster tests and is not reachable at {admin} \
                 ({e}); start it or set MSGSYNC_TEST_PG_URL"
                )
            });
        let name = format!(
            "msgsync_e2e_{}",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        let base = admin.rsplit_once('/').expect("a database URL").0;
        TestDatabase {
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (admin_url(), self.name.clone());
        // Dropped from a thread of its own: the test's runtime may be gone or busy.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

struct Cluster {
    nodes: Vec<TestServer>,
    key: String,
    // Last: the nodes stop before their database goes.
    _db: TestDatabase,
}

impl Cluster {
    async fn start(nodes: usize, env: &[(&str, &str)]) -> Cluster {
        let db = TestDatabase::create().await;
        let mut all = vec![
            ("MSGSYNC_DATABASE_URL", db.url.as_str()),
            ("MSGSYNC_MASTER_KEY", MASTER_KEY),
            ("MSGSYNC_SANDBOX_EPOCH", SANDBOX_EPOCH),
        ];
        all.extend_from_slice(env);
        let mut started = Vec::new();
        for _ in 0..nodes {
            started.push(TestServer::start_with(&all).await);
        }
        let key = started[0].test_key();
        Cluster {
            nodes: started,
            key,
            _db: db,
        }
    }

    /// The node whose log says it started (or resumed) a run of `account`'s sync, other than
    /// `besides`.
    async fn runner(&self, account: &str, besides: &[usize]) -> usize {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            for (i, node) in self.nodes.iter().enumerate() {
                if besides.contains(&i) {
                    continue;
                }
                if node
                    .log_text()
                    .lines()
                    .any(|l| l.contains(account) && l.contains("sync started"))
                {
                    return i;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no node ran the sync of {account}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn signal(node: &TestServer, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &node.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{signal}");
}

/// 30 resync requests for `account` at once, spread over the nodes. A request answered 503
/// `service_unavailable` ("retry shortly": the node waited too long for a database connection,
/// as it may on a loaded machine) is retried as a client would; it stays one request of the
/// burst, and whatever it then starts or reports counts.
async fn burst(cluster: &Cluster, key: &str, account: &str) -> Vec<(u16, Value)> {
    join_all((0..30).map(|i| async move {
        let node = &cluster.nodes[i % cluster.nodes.len()];
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (code, body) = node.sync(key, account, "").await;
            if code != 503 || Instant::now() > deadline {
                return (code, body);
            }
            common::assert_error(code, &body, 503, "service_unavailable");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }))
    .await
}

fn statuses(answers: &[(u16, Value)]) -> Vec<String> {
    answers
        .iter()
        .map(|(code, body)| {
            assert_eq!(*code, 200, "{body}");
            body["status"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// Waits, reading the sync history (which reports nothing), until the account's latest sync
/// has finished.
async fn wait_finished(node: &TestServer, key: &str, account: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, body) = node
            .get(&format!("/api/v1/accounts/{account}/syncs?limit=1"), key)
            .await;
        assert_eq!(code, 200, "{body}");
        let latest = &body["items"][0];
        if matches!(
            latest["state"].as_str(),
            Some("done" | "chunk_done" | "error")
        ) {
            return latest.clone();
        }
        assert!(Instant::now() < deadline, "not finished in time: {body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_requests_through_three_nodes_start_one_sync_and_report_it_once() {
    let cluster = Cluster::start(3, &[]).await;
    let key = &cluster.key;
    // Slow enough (a dozen requests of 200 ms) to outlast the burst of requests: a sync that
    // finished within it would rightly be reported and followed by another.
    let account = cluster.nodes[0]
        .connect(key, "LINKEDIN", "sandbox:chats=6,messages=5,latency_ms=200")
        .await;
    let answers = burst(&cluster, key, &account).await;
    let seen = statuses(&answers);
    assert_eq!(
        seen.iter().filter(|s| *s == "SYNC_STARTED").count(),
        1,
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .all(|s| s == "SYNC_STARTED" || s == "SYNC_RUNNING"),
        "{seen:?}"
    );
    let ids: std::collections::HashSet<_> =
        answers.iter().map(|(_, b)| b["sync_id"].clone()).collect();
    assert_eq!(ids.len(), 1, "one sync for all: {ids:?}");

    let finished = wait_finished(&cluster.nodes[1], key, &account).await;
    assert_eq!(finished["state"], "done", "{finished}");
    let answers = burst(&cluster, key, &account).await;
    let seen = statuses(&answers);
    assert_eq!(
        seen.iter().filter(|s| *s == "SYNC_DONE").count(),
        1,
        "the outcome is reported once across the cluster: {seen:?}"
    );
    assert!(
        seen.iter().filter(|s| *s == "SYNC_STARTED").count() <= 1,
        "{seen:?}"
    );
    // Every node reads the same data.
    let first = cluster.nodes[0].snapshot(key, &account).await;
    assert_eq!(first.len(), 30);
    for node in &cluster.nodes[1..] {
        assert_eq!(node.snapshot(key, &account).await, first);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn syncs_spread_over_the_nodes_and_any_node_answers_their_polls() {
    let cluster = Cluster::start(3, &[("MSGSYNC_SYNC_WORKERS", "2")]).await;
    let key = &cluster.key;
    let mut accounts = Vec::new();
    for i in 0..9 {
        accounts.push(
            cluster.nodes[i % 3]
                .connect(key, "TELEGRAM", "sandbox:chats=4,messages=10,latency_ms=20")
                .await,
        );
    }
    for (i, account) in accounts.iter().enumerate() {
        let (code, body) = cluster.nodes[i % 3].sync(key, account, "").await;
        assert_eq!((code, body["status"].as_str()), (200, Some("SYNC_STARTED")));
    }
    let mut ran_on = std::collections::HashSet::new();
    for (i, account) in accounts.iter().enumerate() {
        // Polled through a node that is (mostly) not the one running it.
        let outcome = cluster.nodes[(i + 1) % 3].wait_outcome(key, account).await;
        assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
        assert_eq!(outcome["progress"]["messages"], 40, "{outcome}");
        ran_on.insert(cluster.runner(account, &[]).await);
    }
    // Two workers a node for nine syncs: no one node can have run them all.
    assert!(ran_on.len() >= 2, "every sync ran on one node: {ran_on:?}");
}

/// The reference data of a sandbox scenario: the same scenario synced uninterrupted.
async fn reference(
    cluster: &Cluster,
    provider: &str,
    scenario: &str,
) -> Vec<(String, String, String, String, i64)> {
    let node = &cluster.nodes[0];
    let account = node.connect(&cluster.key, provider, scenario).await;
    let outcome = node.sync_to_outcome(&cluster.key, &account, "").await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    node.snapshot(&cluster.key, &account).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_node_s_sync_is_finished_by_another_from_its_last_checkpoint() {
    let cluster = Cluster::start(3, &[]).await;
    let key = &cluster.key.clone();
    let scenario = "sandbox:chats=12,messages=120,latency_ms=15";
    let expected = reference(&cluster, "LINKEDIN", scenario).await;
    let account = cluster.nodes[0].connect(key, "LINKEDIN", scenario).await;
    let (_, started) = cluster.nodes[0].sync(key, &account, "").await;
    assert_eq!(started["status"], "SYNC_STARTED");
    let victim = cluster.runner(&account, &[]).await;
    let watcher = (victim + 1) % 3;
    cluster.nodes[watcher].wait_progress(key, &account).await;

    let mut nodes = cluster.nodes;
    let dead = nodes.remove(victim);
    signal(&dead, "KILL");
    let cluster = Cluster { nodes, ..cluster };
    // The others take it over once its lease (1.5 s) has run out, from its last page.
    let outcome = cluster.nodes[0].wait_outcome(key, &account).await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    let heir = cluster.runner(&account, &[]).await;
    assert!(
        cluster.nodes[heir]
            .log_text()
            .lines()
            .any(|l| l.contains(&account) && l.contains("resumed=true")),
        "the heir resumed from the checkpoint:\n{}",
        cluster.nodes[heir].log_text()
    );
    assert_eq!(cluster.nodes[0].snapshot(key, &account).await, expected);
    assert_eq!(outcome["progress"]["messages"], expected.len() as i64);
    drop(dead);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_stopped_with_sigterm_hands_its_sync_back_at_once() {
    // Leases far longer than the test's deadlines: only a hand-back lets another node go on;
    // and idle nodes that would look for work only every ten minutes: only the database's
    // announcement of the job given back wakes the other node in time.
    let cluster = Cluster::start(
        2,
        &[
            ("MSGSYNC_SYNC_LEASE_MS", "120000"),
            ("MSGSYNC_POLL_INTERVAL_MS", "600000"),
        ],
    )
    .await;
    let key = &cluster.key.clone();
    let scenario = "sandbox:chats=10,messages=100,latency_ms=15";
    let account = cluster.nodes[0].connect(key, "TELEGRAM", scenario).await;
    let (_, started) = cluster.nodes[0].sync(key, &account, "").await;
    assert_eq!(started["status"], "SYNC_STARTED");
    let leaving = cluster.runner(&account, &[]).await;
    let staying = 1 - leaving;
    cluster.nodes[staying].wait_progress(key, &account).await;
    let mut nodes = cluster.nodes;
    let mut gone = nodes.remove(leaving);
    assert!(gone.terminate(), "a clean exit:\n{}", gone.log_text());
    let cluster = Cluster { nodes, ..cluster };
    let outcome = cluster.nodes[0].wait_outcome(key, &account).await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    assert_eq!(outcome["progress"]["messages"], 1000, "{outcome}");
    assert_eq!(cluster.nodes[0].snapshot(key, &account).await.len(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_that_sleeps_past_its_lease_writes_nothing_when_it_wakes() {
    let cluster = Cluster::start(2, &[]).await;
    let key = &cluster.key;
    let scenario = "sandbox:chats=12,messages=120,latency_ms=15";
    let expected = reference(&cluster, "LINKEDIN", scenario).await;
    let account = cluster.nodes[0].connect(key, "LINKEDIN", scenario).await;
    let (_, started) = cluster.nodes[0].sync(key, &account, "").await;
    assert_eq!(started["status"], "SYNC_STARTED");
    let sleeper = cluster.runner(&account, &[]).await;
    let other = 1 - sleeper;
    cluster.nodes[other].wait_progress(key, &account).await;
    signal(&cluster.nodes[sleeper], "STOP");
    // The other node takes the job over once the lease (1.5 s) has run out.
    cluster.runner(&account, &[sleeper]).await;
    signal(&cluster.nodes[sleeper], "CONT");
    let outcome = cluster.nodes[other].wait_outcome(key, &account).await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    // The woken run's next write carried a stale token and was refused.
    cluster.nodes[sleeper]
        .wait_log("another run holds this sync now", 1)
        .await;
    assert_eq!(cluster.nodes[other].snapshot(key, &account).await, expected);
    assert_eq!(outcome["progress"]["messages"], expected.len() as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_account_deleted_on_one_node_is_gone_from_every_node_within_a_second() {
    let cluster = Cluster::start(2, &[]).await;
    let key = &cluster.key;
    let account = cluster.nodes[0]
        .connect(
            key,
            "LINKEDIN",
            "sandbox:chats=12,messages=120,latency_ms=30",
        )
        .await;
    let (_, started) = cluster.nodes[0].sync(key, &account, "").await;
    assert_eq!(started["status"], "SYNC_STARTED");
    let runner = cluster.runner(&account, &[]).await;
    let other = 1 - runner;
    // Polled on the node running it: answered from that node's memory.
    cluster.nodes[runner].wait_progress(key, &account).await;
    let (code, _) = cluster.nodes[other]
        .request(
            "DELETE",
            &format!("/api/v1/accounts/{account}"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(code, 200);
    let deleted_at = Instant::now();
    loop {
        let (code, body) = cluster.nodes[runner].sync(key, &account, "").await;
        if code == 404 {
            break;
        }
        assert_eq!(body["status"], "SYNC_RUNNING", "{body}");
        assert!(
            deleted_at.elapsed() < Duration::from_secs(3),
            "the running node still answers for a deleted account: {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cluster.nodes[runner]
        .wait_log("the account was deleted: the sync stops", 1)
        .await;
}

/// A TCP proxy of the test's own between one node and PostgreSQL: cut, it drops every
/// connection it carries and refuses new ones; restored, it carries them again.
struct DatabaseProxy {
    addr: std::net::SocketAddr,
    cut: tokio::sync::watch::Sender<bool>,
}

impl DatabaseProxy {
    async fn start(upstream: std::net::SocketAddr) -> DatabaseProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let mut watch = watch.clone();
                if *watch.borrow() {
                    continue; // dropped: refused
                }
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = watch.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        DatabaseProxy { addr, cut }
    }

    fn set_cut(&self, cut: bool) {
        self.cut.send_replace(cut);
    }
}

/// `url` with its host and port replaced by `addr`.
fn through(url: &str, addr: std::net::SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let userinfo = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    format!("{scheme}://{}{addr}/{path}", userinfo.unwrap_or_default())
}

fn upstream(url: &str) -> std::net::SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split_once('/').unwrap().0;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    use std::net::ToSocketAddrs;
    host_port.to_socket_addrs().unwrap().next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_cut_from_the_database_answers_503_loses_its_syncs_and_rejoins() {
    let db = TestDatabase::create().await;
    let proxy = DatabaseProxy::start(upstream(&db.url)).await;
    let env = |url: String| {
        vec![
            ("MSGSYNC_DATABASE_URL", url),
            ("MSGSYNC_MASTER_KEY", MASTER_KEY.to_owned()),
            ("MSGSYNC_SANDBOX_EPOCH", SANDBOX_EPOCH.to_owned()),
        ]
    };
    let cut_env = env(through(&db.url, proxy.addr));
    let cut_env: Vec<(&str, &str)> = cut_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // The node behind the proxy starts first, so that it runs the sync.
    let cut_node = TestServer::start_with(&cut_env).await;
    let key = cut_node.test_key();
    let account = cut_node
        .connect(
            &key,
            "LINKEDIN",
            "sandbox:chats=12,messages=120,latency_ms=20",
        )
        .await;
    let (_, started) = cut_node.sync(&key, &account, "").await;
    assert_eq!(started["status"], "SYNC_STARTED");
    cut_node.wait_progress(&key, &account).await;
    let direct_env = env(db.url.clone());
    let direct_env: Vec<(&str, &str)> = direct_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let other = TestServer::start_with(&direct_env).await;

    proxy.set_cut(true);
    // Past the key cache (1 s), every request needs the database: a 503 in the envelope, never
    // a hang or a bare 500.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, body) = cut_node.get("/api/v1/accounts", &key).await;
        if code == 503 {
            common::assert_error(code, &body, 503, "service_unavailable");
            break;
        }
        assert_eq!(code, 200, "{body}");
        assert!(Instant::now() < deadline, "still 200 without a database");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The other node takes the sync over once the cut node's lease (1.5 s) has run out.
    let outcome = other.wait_outcome(&key, &account).await;
    assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
    assert_eq!(outcome["progress"]["messages"], 1440, "{outcome}");
    assert_eq!(other.snapshot(&key, &account).await.len(), 1440);
    cut_node
        .wait_log(
            "the sync's lease lapsed while the database was unreachable",
            1,
        )
        .await;

    proxy.set_cut(false);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, body) = cut_node.get("/api/v1/accounts", &key).await;
        if code == 200 {
            assert_eq!(body["items"][0]["id"], account.as_str());
            break;
        }
        assert_eq!(code, 503, "{body}");
        assert!(Instant::now() < deadline, "the node did not rejoin");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(other);
    drop(cut_node);
    drop(db);
}

/// `msgsync serve` with `env`, expected to refuse to start: its exit status and what it said.
fn refused_start(env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(common::BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MSGSYNC_DATA_DIR", dir.path())
        .env("MSGSYNC_LISTEN", "127.0.0.1:0")
        .arg("serve");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run msgsync serve");
    assert!(!out.status.success(), "it started");
    String::from_utf8(out.stderr).unwrap()
}

/// The line of `stderr` that says the error: one line, naming the cause.
fn error_line(stderr: &str) -> &str {
    let errors: Vec<_> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    errors[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_refuses_to_start_without_the_cluster_s_key_or_database() {
    let db = TestDatabase::create().await;
    let first = TestServer::start_with(&[
        ("MSGSYNC_DATABASE_URL", db.url.as_str()),
        ("MSGSYNC_MASTER_KEY", MASTER_KEY),
    ])
    .await;
    drop(first);

    let other_key = "00".repeat(32);
    let stderr = refused_start(&[
        ("MSGSYNC_DATABASE_URL", db.url.as_str()),
        ("MSGSYNC_MASTER_KEY", other_key.as_str()),
    ]);
    let line = error_line(&stderr);
    assert!(line.contains("MSGSYNC_MASTER_KEY does not match"), "{line}");

    let stderr = refused_start(&[("MSGSYNC_DATABASE_URL", db.url.as_str())]);
    let line = error_line(&stderr);
    assert!(line.contains("MSGSYNC_MASTER_KEY is required"), "{line}");

    // A database that does not exist, and a server that does not answer.
    let missing = format!("{}_missing", db.url);
    let stderr = refused_start(&[
        ("MSGSYNC_DATABASE_URL", missing.as_str()),
        ("MSGSYNC_MASTER_KEY", MASTER_KEY),
    ]);
    let line = error_line(&stderr);
    assert!(
        line.contains("opening the database") && line.contains("does not exist"),
        "{line}"
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = through(&db.url, closed.local_addr().unwrap());
    drop(closed);
    let stderr = refused_start(&[
        ("MSGSYNC_DATABASE_URL", nowhere.as_str()),
        ("MSGSYNC_MASTER_KEY", MASTER_KEY),
    ]);
    let line = error_line(&stderr);
    assert!(
        line.contains("opening the database") && line.contains("Connection refused"),
        "{line}"
    );
    assert!(
        !line.contains("postgres@"),
        "the URL's user is not logged: {line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_revoked_through_one_node_stops_working_on_every_node_within_a_second() {
    let cluster = Cluster::start(3, &[]).await;
    let key = cluster.nodes[0].create_key(&["--name", "busy", "--mode", "test"]);
    // In use, hence held in every node's key cache.
    for node in &cluster.nodes {
        let (code, body) = node.get("/api/v1/accounts", &key).await;
        assert_eq!(code, 200, "{body}");
    }
    let id = &key["pp_test_".len().."pp_test_".len() + 12];
    cluster.nodes[1].cli(&["keys", "revoke", id]);
    let revoked_at = Instant::now();
    for node in &cluster.nodes {
        loop {
            let (code, body) = node.get("/api/v1/accounts", &key).await;
            if code == 401 {
                common::assert_error(code, &body, 401, "invalid_credentials");
                break;
            }
            assert_eq!(code, 200, "{body}");
            // The caches hold a key record for one second; the rest is the polls' own pace.
            assert!(
                revoked_at.elapsed() < Duration::from_secs(3),
                "the revoked key still works on {}",
                node.base
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_webhook_event_is_delivered_once_whichever_nodes_deliver() {
    let receiver = msgsync_harness::WebhookReceiver::start().await.unwrap();
    let cluster = Cluster::start(
        3,
        &[
            ("MSGSYNC_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("MSGSYNC_WEBHOOK_POLL_INTERVAL_MS", "50"),
        ],
    )
    .await;
    let key = &cluster.key;
    let (status, created) = cluster.nodes[0]
        .request(
            "POST",
            "/api/v1/webhooks",
            Some(key),
            Some(
                serde_json::json!({"request_url": receiver.url("/h"), "source": "account_status"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let webhook = created["webhook_id"].as_str().unwrap();
    let secret = created["secret"].as_str().unwrap();
    // Events written on every node: each account's creation and its sync's outcome.
    let mut accounts = Vec::new();
    for i in 0..6 {
        let node = &cluster.nodes[i % 3];
        let scenario = format!("sandbox:chats=2,messages=3,seed={i}");
        let account = node.connect(key, "TELEGRAM", &scenario).await;
        let outcome = node.sync_to_outcome(key, &account, "").await;
        assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
        accounts.push(account);
    }
    let events = 2 * accounts.len();
    receiver
        .wait_for_count(events, Duration::from_secs(60))
        .await
        .unwrap();
    // Once every attempt is recorded, nothing waits: the receiver got each event exactly once.
    let deadline = Instant::now() + Duration::from_secs(60);
    let list = loop {
        let (_, list) = cluster.nodes[1]
            .get(&format!("/api/v1/webhooks/{webhook}/deliveries"), key)
            .await;
        if list["pending"] == 0 && list["items"].as_array().unwrap().len() >= events {
            break list;
        }
        assert!(Instant::now() < deadline, "{list}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let deliveries = receiver.deliveries();
    let ids: std::collections::HashSet<&str> = deliveries
        .iter()
        .map(|d| d.header("webhook-id").unwrap())
        .collect();
    assert_eq!(ids.len(), events);
    assert_eq!(deliveries.len(), events, "an event was delivered twice");
    assert_eq!(list["items"].as_array().unwrap().len(), events, "{list}");
    for d in &deliveries {
        d.verify(&[secret], Duration::from_secs(300)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhook_delivery_carries_on_once_the_database_is_back() {
    let db = TestDatabase::create().await;
    let proxy = DatabaseProxy::start(upstream(&db.url)).await;
    let receiver = msgsync_harness::WebhookReceiver::start().await.unwrap();
    receiver.down().await;
    let url = through(&db.url, proxy.addr);
    let node = TestServer::start_with(&[
        ("MSGSYNC_DATABASE_URL", url.as_str()),
        ("MSGSYNC_MASTER_KEY", MASTER_KEY),
        ("MSGSYNC_SANDBOX_EPOCH", SANDBOX_EPOCH),
        ("MSGSYNC_WEBHOOK_ALLOW_PRIVATE", "true"),
        (
            "MSGSYNC_WEBHOOK_RETRY_SCHEDULE",
            "200ms,200ms,200ms,200ms,200ms,1s,1s,1s,1s",
        ),
        ("MSGSYNC_WEBHOOK_POLL_INTERVAL_MS", "100"),
        ("MSGSYNC_WEBHOOK_LEASE_MS", "3000"),
    ])
    .await;
    let key = node.test_key();
    let (_, secret) = node
        .register_webhook(
            &key,
            serde_json::json!({"request_url": receiver.url("/h"), "source": "account_status"}),
        )
        .await;
    let account = node
        .connect(&key, "TELEGRAM", "sandbox:chats=1,messages=1")
        .await;
    // The event is queued, and its first attempt failed: the receiver is down.
    node.wait_log("a webhook delivery failed; it will be retried", 1)
        .await;

    // The database goes away: delivery says so, and stops nothing for good.
    proxy.set_cut(true);
    node.wait_log("webhook delivery cannot use the database", 1)
        .await;
    receiver.up().await.unwrap();
    proxy.set_cut(false);
    let deliveries = receiver
        .wait_for_count(1, Duration::from_secs(60))
        .await
        .unwrap();
    let payload = deliveries[0]
        .verify(&[&secret], Duration::from_secs(300))
        .unwrap();
    assert_eq!(payload["AccountStatus"]["message"], "CREATION_SUCCESS");
    assert_eq!(payload["AccountStatus"]["account_id"], account.as_str());
}
