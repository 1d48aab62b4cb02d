//! The published Unipile Node SDK (`unipile-node-sdk`, pinned by `tests/sdk/package-lock.json`)
//! against a real server: `tests/sdk/conformance.mjs` drives every read method of the SDK with
//! its response validation at level `error`, walks every list to its end, and checks the error
//! envelope the SDK sees. CONTRACT §5: where the contract and the SDK disagree, the SDK wins.
//!
//! Needs Node.js 18+ and npm on PATH; the test installs the SDK itself (`npm ci`) when
//! `tests/sdk/node_modules` is missing or older than the lock file.

mod common;

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use common::TestServer;
use serde_json::{json, Value};

/// The Node package of the conformance script.
const SDK_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk");
/// Oldest Node.js the SDK supports (its `engines`); it relies on the global `fetch` and `Blob`.
const MIN_NODE_MAJOR: u32 = 18;
/// A LinkedIn account with all three inboxes: one-to-one and group chats in the classic inbox,
/// InMail threads in the Recruiter and Sales Navigator ones.
const LINKEDIN: &str = "sandbox:chats=30,messages=30,products=classic+recruiter+sales_navigator";
/// A Telegram account whose 30 chats hold private chats, groups and channels (with seed 1).
const TELEGRAM: &str = "sandbox:chats=30,messages=30,seed=1";
/// The throwaway LinkedIn account the script connects and deletes through the SDK; when it has
/// no walked data to show that a route exists, it resyncs this one and reads ids from it (its
/// 60 messages hold attachments).
const SCRATCH: &str = "sandbox:chats=3,messages=20";
/// The whole walk takes a few seconds; this only bounds a hung script.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(600);
/// Lines of the script's progress shown when it fails.
const STDERR_TAIL_LINES: usize = 30;

#[tokio::test]
async fn the_sdk_accepts_every_answer_about_synced_accounts() {
    ensure_sdk_installed();
    let server = TestServer::start().await;
    let key = server.test_key();
    let linkedin = server.synced_account(&key, "LINKEDIN", LINKEDIN).await;
    let telegram = server.synced_account(&key, "TELEGRAM", TELEGRAM).await;

    let every_attachment = ["img", "file", "video"];
    let mut expect = serde_json::Map::new();
    expect.insert(
        linkedin.clone(),
        json!({
            "chats": 30, "messages": 900, "chat_types": [0, 1],
            "inmail_folders": ["INBOX_LINKEDIN_RECRUITER", "INBOX_LINKEDIN_SALES_NAVIGATOR"],
            "attachment_types": every_attachment,
        }),
    );
    expect.insert(
        telegram.clone(),
        json!({
            "chats": 30, "messages": 900, "chat_types": [0, 1, 2],
            "attachment_types": every_attachment,
        }),
    );
    let expect = Value::Object(expect).to_string();
    let args = [
        "--account",
        &linkedin,
        "--account",
        &telegram,
        "--expect",
        &expect,
        "--scratch-credential",
        SCRATCH,
    ];
    run_conformance(&server, &key, &args).await;
}

#[tokio::test]
async fn the_sdk_sees_errors_in_the_envelope() {
    ensure_sdk_installed();
    let server = TestServer::start().await;
    let key = server.test_key();
    let args = ["--only", "errors", "--scratch-credential", SCRATCH];
    run_conformance(&server, &key, &args).await;
}

/// Runs `conformance.mjs` against the server and fails with its summary unless it passed.
async fn run_conformance(server: &TestServer, key: &str, args: &[&str]) {
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg("conformance.mjs")
        .args(["--base-url", &server.base, "--key", key])
        .args(args)
        .current_dir(SDK_DIR)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(SCRIPT_TIMEOUT, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("conformance.mjs ran longer than {SCRIPT_TIMEOUT:?}"))
        .expect("run node conformance.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: Option<Value> = serde_json::from_str(&stdout).ok();
    let passed = out.status.success() && summary.as_ref().is_some_and(|s| s["ok"] == true);
    if passed {
        return;
    }
    let tail: Vec<&str> = stderr.lines().rev().take(STDERR_TAIL_LINES).collect();
    let tail = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
    let Some(summary) = summary else {
        panic!(
            "conformance.mjs failed ({}) without a summary\n--- stdout ---\n{stdout}\n--- stderr ---\n{tail}",
            out.status
        );
    };
    let saved = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sdk-conformance-summary.json");
    let saved = match std::fs::write(&saved, stdout.as_bytes()) {
        Ok(()) => format!("full summary: {}", saved.display()),
        Err(e) => format!("(could not save the summary: {e})"),
    };
    panic!(
        "the Unipile SDK ({}) does not accept msgsync: {} failures ({}), {saved}\n{}\n--- visited ---\n{}\n--- calls ---\n{}\n--- script progress (tail) ---\n{tail}",
        summary["sdk"].as_str().unwrap_or("?"),
        summary["failures_total"],
        summary["failures_by_kind"],
        describe_failures(&summary),
        serde_json::to_string_pretty(&summary["visited"]).unwrap_or_default(),
        summary["calls"],
    );
}

/// One paragraph per group of failures: what was wrong, how often, and its first example.
fn describe_failures(summary: &Value) -> String {
    let groups = summary["failures"].as_array().cloned().unwrap_or_default();
    let mut out = String::new();
    for g in &groups {
        let field = |k: &str| g[k].as_str().map(str::to_owned);
        let mut line = format!(
            "- [{}] {}",
            g["kind"].as_str().unwrap_or("?"),
            g["method"].as_str().unwrap_or("?")
        );
        if let Some(path) = field("path") {
            line.push_str(&format!(" {path}"));
        }
        if let Some(message) = field("message").or_else(|| field("error")) {
            line.push_str(&format!(": {message}"));
        }
        if g.get("status").is_some() {
            line.push_str(&format!(": HTTP {} {}", g["status"], g["type"]));
        }
        if let Some(expected) = field("expected") {
            line.push_str(&format!(" (expected {expected})"));
        }
        line.push_str(&format!(" ×{}\n", g["count"]));
        if let Some(example) = g["examples"].get(0) {
            line.push_str(&format!("    e.g. {example}\n"));
        }
        out.push_str(&line);
    }
    out
}

/// Makes sure `tests/sdk/node_modules` holds what `package-lock.json` pins, running `npm ci`
/// when it does not; a file lock keeps parallel test processes from installing at once.
fn ensure_sdk_installed() {
    static CHECKED: Mutex<bool> = Mutex::new(false);
    let mut checked = CHECKED.lock().unwrap_or_else(PoisonError::into_inner);
    if *checked {
        return;
    }
    require_node();
    require_tool("npm");
    let dir = Path::new(SDK_DIR);
    let lock = File::create(dir.join(".npm-ci.lock")).expect("create tests/sdk/.npm-ci.lock");
    lock.lock().expect("lock tests/sdk/.npm-ci.lock");
    if !installed(dir) {
        let out = Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("run npm ci");
        assert!(
            out.status.success(),
            "npm ci in {SDK_DIR} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    drop(lock);
    *checked = true;
}

/// npm records what it installed in `node_modules/.package-lock.json`; a lock file newer than
/// that record means the installed packages may be stale.
fn installed(dir: &Path) -> bool {
    let modified = |p: &Path| -> Option<SystemTime> { std::fs::metadata(p).ok()?.modified().ok() };
    match (
        modified(&dir.join("node_modules/.package-lock.json")),
        modified(&dir.join("package-lock.json")),
    ) {
        (Some(installed), Some(locked)) => installed >= locked,
        _ => false,
    }
}

fn require_tool(tool: &str) -> String {
    let missing = |why: String| -> ! {
        panic!(
            "the SDK conformance test needs `{tool}` ({why}): install Node.js {MIN_NODE_MAJOR} or later \
             with npm (Debian: `apt-get install nodejs npm`; or the Node.js release of your platform) \
             and make sure both are on PATH"
        )
    };
    match Command::new(tool).arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => missing(format!("`{tool} --version` exited with {}", out.status)),
        Err(e) => missing(format!("not found on PATH: {e}")),
    }
}

fn require_node() {
    let version = require_tool("node");
    let major = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    assert!(
        major.is_some_and(|m| m >= MIN_NODE_MAJOR),
        "the SDK conformance test needs Node.js {MIN_NODE_MAJOR} or later, found {version}"
    );
}
