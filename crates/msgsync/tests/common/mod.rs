//! Test harness: a real `msgsync serve` process on a fresh data directory, driven over HTTP on
//! loopback like a client would.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const BIN: &str = env!("CARGO_BIN_EXE_msgsync");

/// Engine settings that keep retries and timeouts short in tests.
const FAST_ENV: &[(&str, &str)] = &[
    ("MSGSYNC_RETRY_BASE_MS", "20"),
    ("MSGSYNC_RETRY_MAX_MS", "200"),
    ("MSGSYNC_PROVIDER_TIMEOUT_MS", "1000"),
    ("MSGSYNC_POLL_INTERVAL_MS", "20"),
    ("MSGSYNC_SYNC_LEASE_MS", "1500"),
];

pub struct TestServer {
    pub dir: Arc<tempfile::TempDir>,
    pub base: String,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    client: reqwest::Client,
    extra_env: Vec<(String, String)>,
}

fn command(dir: &Path, extra_env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MSGSYNC_DATA_DIR", dir)
        .env("MSGSYNC_LISTEN", "127.0.0.1:0")
        .current_dir(dir);
    for (k, v) in FAST_ENV {
        cmd.env(k, v);
    }
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(&[]).await
    }

    pub async fn start_with(env: &[(&str, &str)]) -> TestServer {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let extra_env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::spawn(dir, extra_env).await
    }

    async fn spawn(dir: Arc<tempfile::TempDir>, extra_env: Vec<(String, String)>) -> TestServer {
        let mut child = command(dir.path(), &extra_env)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start msgsync serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                // In a text line the address ends the line; in a JSON line, a quote ends it.
                let addr = line.find("listening on http://").map(|i| {
                    line[i + "listening on http://".len()..]
                        .split(|c: char| c == '"' || c.is_whitespace())
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                });
                // Logged before announced, so the log holds every line up to the address.
                sink.lock().unwrap().push(line);
                if let Some(addr) = addr {
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
            .await
            .unwrap();
        let Ok(addr) = addr else {
            // Not left running behind a failed test.
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the server did not start:\n{}",
                log.lock().unwrap().join("\n")
            );
        };
        TestServer {
            dir,
            base: format!("http://{addr}"),
            child,
            log,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            extra_env,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits (with a deadline) until the log holds `count` lines containing `needle`: a line
    /// may be written just after the state a test observed.
    pub async fn wait_log(&self, needle: &str, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let log = self.log_text();
            if log.lines().filter(|l| l.contains(needle)).count() >= count {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "no {count} × `{needle}` in:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Runs `msgsync keys create …` against this server's database; returns the key.
    pub fn create_key(&self, args: &[&str]) -> String {
        self.cli(&[&["keys", "create"], args].concat())
    }

    pub fn test_key(&self) -> String {
        self.create_key(&["--name", "tests", "--mode", "test"])
    }

    /// SIGKILL, then a new process on the same data directory.
    pub async fn kill_and_restart(mut self) -> TestServer {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
        let dir = self.dir.clone();
        let env = std::mem::take(&mut self.extra_env);
        drop(self);
        Self::spawn(dir, env).await
    }

    /// SIGTERM; waits (with a deadline) for the process to exit and returns its success.
    pub fn terminate(&mut self) -> bool {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.success();
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub async fn restart(mut self) -> TestServer {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = self.dir.clone();
        let env = std::mem::take(&mut self.extra_env);
        drop(self);
        Self::spawn(dir, env).await
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            req = req.header("X-API-KEY", key);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        (status, value)
    }

    pub async fn raw(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        (status, value)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub async fn get(&self, path: &str, key: &str) -> (u16, Value) {
        self.request("GET", path, Some(key), None).await
    }

    /// Connects an account and returns its id.
    pub async fn connect(&self, key: &str, provider: &str, credential: &str) -> String {
        let (status, body) = self
            .request(
                "POST",
                "/api/v1/accounts",
                Some(key),
                Some(account_body(provider, credential)),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["account_id"].as_str().unwrap().to_owned()
    }

    /// Connects an account and runs a first full sync to `SYNC_DONE`; returns its id.
    pub async fn synced_account(&self, key: &str, provider: &str, credential: &str) -> String {
        let account = self.connect(key, provider, credential).await;
        let outcome = self.sync_to_outcome(key, &account, "").await;
        assert_eq!(outcome["status"], "SYNC_DONE", "{outcome}");
        account
    }

    /// Registers a webhook (CONTRACT §7); its id and its signing secret.
    pub async fn register_webhook(&self, key: &str, body: Value) -> (String, String) {
        let (status, created) = self
            .request("POST", "/api/v1/webhooks", Some(key), Some(body))
            .await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["object"], "WebhookCreated");
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{secret}");
        (created["webhook_id"].as_str().unwrap().to_owned(), secret)
    }

    /// Reconnects an account with a new credential.
    pub async fn reconnect(&self, key: &str, account: &str, provider: &str, credential: &str) {
        let (status, body) = self
            .request(
                "POST",
                &format!("/api/v1/accounts/{account}"),
                Some(key),
                Some(account_body(provider, credential)),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// Runs a `msgsync` subcommand on this server's data directory; returns the last line it
    /// printed.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = command(self.dir.path(), &self.extra_env)
            .args(args)
            .output()
            .expect("run msgsync");
        assert!(
            out.status.success(),
            "msgsync {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        stdout.lines().last().unwrap_or_default().trim().to_owned()
    }

    pub async fn sync(&self, key: &str, account: &str, query: &str) -> (u16, Value) {
        let sep = if query.is_empty() { "" } else { "?" };
        self.get(&format!("/api/v1/accounts/{account}/sync{sep}{query}"), key)
            .await
    }

    /// Polls the resync route until it reports an outcome; returns that answer.
    pub async fn wait_outcome(&self, key: &str, account: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = self.sync(key, account, "").await;
            assert_eq!(status, 200, "{body}");
            match body["status"].as_str().unwrap() {
                "SYNC_RUNNING" | "SYNC_STARTED" => {}
                _ => return body,
            }
            assert!(
                Instant::now() < deadline,
                "no outcome in time: {body}\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    }

    /// Polls a running sync until it reports a synced chat; returns that answer. Fails if the
    /// sync ends first.
    pub async fn wait_progress(&self, key: &str, account: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (_, body) = self.sync(key, account, "").await;
            assert_eq!(
                body["status"], "SYNC_RUNNING",
                "finished before progress was seen: {body}"
            );
            if body["progress"]["chats"].as_i64().unwrap() > 0 {
                return body;
            }
            assert!(Instant::now() < deadline, "no progress in time: {body}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Starts a sync (the previous outcome must have been reported) and waits for its outcome.
    pub async fn sync_to_outcome(&self, key: &str, account: &str, query: &str) -> Value {
        let (status, body) = self.sync(key, account, query).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "SYNC_STARTED", "{body}");
        self.wait_outcome(key, account).await
    }

    /// Every item of a list route, following cursors (`path` already has a query string).
    pub async fn all_items(&self, key: &str, path: &str) -> Vec<Value> {
        self.walk(key, path, 250).await
    }

    /// Every item of a list route, `limit` a page, following cursors to the end; asserts that
    /// no page is larger than `limit` and that no item comes twice.
    pub async fn walk(&self, key: &str, path: &str, limit: u32) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut page = format!("{path}&limit={limit}");
            if let Some(c) = &cursor {
                page.push_str(&format!("&cursor={}", query_encode(c)));
            }
            let (status, body) = self.get(&page, key).await;
            assert_eq!(status, 200, "{page}: {body}");
            let items = body["items"].as_array().unwrap();
            assert!(
                items.len() <= limit as usize,
                "{page}: {} items",
                items.len()
            );
            for item in items {
                assert!(seen.insert(item["id"].to_string()), "twice: {item}");
            }
            out.extend(items.iter().cloned());
            match body["cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return out,
            }
        }
    }

    /// Every chat of an account.
    pub async fn all_chats(&self, key: &str, account: &str) -> Vec<Value> {
        self.all_items(key, &format!("/api/v1/chats?account_id={account}"))
            .await
    }

    /// Every message of a chat.
    pub async fn all_messages(&self, key: &str, chat_id: &str) -> Vec<Value> {
        self.all_items(key, &format!("/api/v1/chats/{chat_id}/messages?"))
            .await
    }

    /// The synced data of an account as comparable tuples:
    /// (chat provider id, message provider id, timestamp, text, deleted).
    pub async fn snapshot(
        &self,
        key: &str,
        account: &str,
    ) -> Vec<(String, String, String, String, i64)> {
        let mut rows = Vec::new();
        for chat in self.all_chats(key, account).await {
            for m in self.all_messages(key, chat["id"].as_str().unwrap()).await {
                rows.push((
                    chat["provider_id"].as_str().unwrap().to_owned(),
                    m["provider_id"].as_str().unwrap().to_owned(),
                    m["timestamp"].as_str().unwrap().to_owned(),
                    m["text"].as_str().unwrap_or("").to_owned(),
                    m["deleted"].as_i64().unwrap(),
                ));
            }
        }
        rows.sort();
        rows
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // A failing test shows what the server went through: whether it was still alive, and
        // its log (the thread reading it keeps up with the pipe).
        if std::thread::panicking() {
            let state = match self.child.try_wait() {
                Ok(Some(status)) => format!("the server had exited: {status}"),
                _ => "the server was still running".to_owned(),
            };
            eprintln!("{state}\n--- server log ---\n{}", self.log_text());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body that connects or reconnects an account: the credential goes in `session` for
/// Telegram and in `access_token` otherwise.
fn account_body(provider: &str, credential: &str) -> Value {
    let field = if provider == "TELEGRAM" {
        "session"
    } else {
        "access_token"
    };
    json!({ "provider": provider, field: credential })
}

/// Creating the tests' Python venv downloads its packages from PyPI.
const PYTHON_SETUP_DEADLINE: Duration = Duration::from_secs(600);

/// The Python of the tests' virtual environment (the pinned clients of
/// `tests/python/requirements.txt`), created or reused under a file lock, as several test
/// processes may want it at once. Without CPython 3, venv and pip, the test fails and says what
/// to install.
pub async fn python() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`: the venv sits beside it, in the target directory.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .to_path_buf();
    let venv = target.join("python-venv");
    let lock =
        std::fs::File::create(target.join("python-venv.lock")).expect("create the venv lock");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/setup-venv.sh");
    let venv_arg = venv.clone();
    let output = tokio::task::spawn_blocking(move || {
        lock.lock().expect("lock the venv");
        let output = Command::new("bash")
            .arg(&script)
            .arg(&venv_arg)
            .stdin(Stdio::null())
            .output();
        drop(lock);
        output
    });
    let output = tokio::time::timeout(PYTHON_SETUP_DEADLINE, output)
        .await
        .unwrap_or_else(|_| {
            panic!("setting up the Python venv took over {PYTHON_SETUP_DEADLINE:?}")
        })
        .expect("the venv set-up task")
        .expect("bash is needed to set up the Python venv");
    assert!(
        output.status.success(),
        "setting up the Python venv at {} failed ({}):\n{}{}",
        venv.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    venv.join("bin").join("python")
}

/// How long the Python verifier may take over a batch of webhook deliveries.
const PYTHON_VERIFY_DEADLINE: Duration = Duration::from_secs(60);

/// Verifies webhook deliveries (headers, body) with the Standard Webhooks reference library
/// (Python's `standardwebhooks`, in the tests' venv: `tests/python/verify_webhooks.py`), a
/// verifier independent of the server's. Returns the parsed bodies in order, or says which
/// delivery the library refused and why.
pub async fn verify_webhooks_with_python(
    secret: &str,
    deliveries: &[(std::collections::BTreeMap<String, String>, String)],
) -> anyhow::Result<Vec<Value>> {
    use anyhow::Context;
    use tokio::io::AsyncWriteExt;

    let request = json!({
        "secret": secret,
        "deliveries": deliveries
            .iter()
            .map(|(headers, body)| json!({ "headers": headers, "body": body }))
            .collect::<Vec<_>>(),
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/verify_webhooks.py");
    let mut child = tokio::process::Command::new(python().await)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("start verify_webhooks.py")?;
    let mut stdin = child.stdin.take().context("the verifier's stdin")?;
    stdin.write_all(request.to_string().as_bytes()).await?;
    drop(stdin);
    let out = tokio::time::timeout(PYTHON_VERIFY_DEADLINE, child.wait_with_output())
        .await
        .with_context(|| format!("verify_webhooks.py took over {PYTHON_VERIFY_DEADLINE:?}"))??;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "standardwebhooks refused a delivery ({}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_str(&stdout)
        .with_context(|| format!("the verifier's answer is not JSON: {stdout}"))?;
    anyhow::ensure!(
        answer["verified"] == deliveries.len(),
        "the verifier verified {} of {} deliveries",
        answer["verified"],
        deliveries.len()
    );
    serde_json::from_value(answer["payloads"].clone()).context("the verifier's payloads")
}

/// Percent-encodes a query value (cursors are standard base64: `+`, `/` and `=`).
pub fn query_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Asserts the error envelope: status, type, and the always-present fields.
pub fn assert_error(status: u16, body: &Value, expected_status: u16, expected_type: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["type"], format!("errors/{expected_type}"), "{body}");
    assert_eq!(body["status"], expected_status, "{body}");
    assert!(body["title"].is_string(), "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}
