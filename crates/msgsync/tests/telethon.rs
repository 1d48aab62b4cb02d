//! The Telegram simulator serves a stock client: Telethon (Python, an MTProto implementation
//! independent of grammers) reads a sandbox account through a session from
//! `msgsync sandbox telegram-session`, and sees the same chats and messages that msgsync's own
//! sync stored for that scenario.
//!
//! Telethon runs in the tests' Python virtual environment (`common::python`), created on first
//! use from `tests/python/requirements.txt` (pinned, with hashes) by
//! `tests/python/setup-venv.sh`, which `.ci/run` also runs before the tests. It needs
//! CPython 3 with venv and pip, and PyPI: without them this test fails and says what to
//! install.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::TestServer;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

/// Data covering every chat kind, with histories longer than one page (100 messages).
const SCENARIO: &str = "sandbox:chats=8,messages=130,seed=1";
/// Fixes the sandbox's time anchor, so that a test running across midnight sees one data set.
const EPOCH: &str = "2026-11-01";
/// The script bounds each of its own steps; this bounds it as a whole.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(180);

fn telethon_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/telethon")
}

/// Runs `dialogs.py` with `session` on its standard input; returns what it printed.
async fn telethon_read(python: &Path, session: &str) -> Value {
    let mut child = tokio::process::Command::new(python)
        .arg(telethon_dir().join("dialogs.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the Telethon script");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(session.as_bytes())
        .await
        .expect("write the session");
    drop(stdin);
    let output = tokio::time::timeout(SCRIPT_DEADLINE, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("the Telethon script took over {SCRIPT_DEADLINE:?}"))
        .expect("the Telethon script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the Telethon script failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn epoch_s(iso: &str) -> i64 {
    msgsync_core::time::parse_instant(iso).unwrap_or_else(|| panic!("not a timestamp: {iso}"))
        / 1000
}

/// A message as both sides can tell it: (id, date in seconds, outgoing, event, text). The text
/// of a service message is msgsync's own wording of its action, so it is left out.
type Row = (i64, i64, bool, bool, Option<String>);

fn telethon_rows(dialog: &Value) -> Vec<Row> {
    let mut rows: Vec<Row> = dialog["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_i64().unwrap(),
                m["date"].as_i64().unwrap(),
                m["out"].as_bool().unwrap(),
                m["event"].as_bool().unwrap(),
                m["text"].as_str().map(str::to_owned),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn msgsync_rows(messages: &[Value]) -> Vec<Row> {
    let mut rows: Vec<Row> = messages
        .iter()
        .map(|m| {
            let event = m["is_event"].as_i64().unwrap() != 0;
            (
                m["provider_id"].as_str().unwrap().parse().unwrap(),
                epoch_s(m["timestamp"].as_str().unwrap()),
                m["is_sender"].as_i64().unwrap() != 0,
                event,
                if event {
                    None
                } else {
                    m["text"].as_str().map(str::to_owned)
                },
            )
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn telethon_reads_what_msgsync_synced() {
    let python = common::python().await;
    let server = TestServer::start_with(&[("MSGSYNC_SANDBOX_EPOCH", EPOCH)]).await;

    // Telethon, through a session minted by the CLI.
    let session = server.cli(&["sandbox", "telegram-session", SCENARIO]);
    let seen = telethon_read(&python, &session).await;

    // msgsync's own sync of the same scenario.
    let key = server.test_key();
    let account = server.synced_account(&key, "TELEGRAM", SCENARIO).await;
    let (status, acct) = server
        .get(&format!("/api/v1/accounts/{account}"), &key)
        .await;
    assert_eq!(status, 200, "{acct}");

    let me = &seen["me"];
    assert_eq!(me["is_self"], true, "{me}");
    assert_eq!(
        me["id"].as_i64().unwrap().to_string(),
        acct["connection_params"]["im"]["user_id"].as_str().unwrap(),
        "the same account: {me} / {acct}"
    );
    let full_name = [&me["first_name"], &me["last_name"]]
        .iter()
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(full_name, acct["name"].as_str().unwrap());

    let dialogs = seen["dialogs"].as_array().unwrap();
    let chats = server.all_chats(&key, &account).await;
    assert_eq!(dialogs.len(), chats.len(), "{dialogs:?}");
    let by_provider_id: BTreeMap<&str, &Value> = chats
        .iter()
        .map(|c| (c["provider_id"].as_str().unwrap(), c))
        .collect();

    // Telegram lists dialogs by their newest message, newest first.
    let dates: Vec<i64> = dialogs
        .iter()
        .map(|d| d["date"].as_i64().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");

    let mut kinds = BTreeMap::new();
    for dialog in dialogs {
        let id = dialog["id"].as_i64().unwrap().to_string();
        let chat = by_provider_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("Telethon lists {id}, which msgsync did not sync"));
        let kind = dialog["kind"].as_str().unwrap();
        let chat_type = match kind {
            "user" => 0,
            "group" => 1,
            "channel" => 2,
            other => panic!("a sandbox chat of an unexpected kind: {other}"),
        };
        *kinds.entry(kind).or_insert(0) += 1;
        assert_eq!(chat["type"], chat_type, "{id}: {kind}");
        assert_eq!(dialog["name"], chat["name"], "{id}");
        assert_eq!(
            dialog["date"].as_i64().unwrap(),
            epoch_s(chat["timestamp"].as_str().unwrap()),
            "{id}: the newest message's date"
        );
        assert_eq!(dialog["unread_count"], chat["unread_count"], "{id}");

        let expected = msgsync_rows(
            &server
                .all_messages(&key, chat["id"].as_str().unwrap())
                .await,
        );
        assert_eq!(expected.len(), 130, "{id}: msgsync synced every message");
        let got = telethon_rows(dialog);
        assert_eq!(got, expected, "{id}: the messages Telethon reads");
        assert!(
            got.iter().any(|r| r.4.is_some()),
            "{id}: messages with text are compared"
        );
    }
    assert_eq!(
        kinds.keys().copied().collect::<Vec<_>>(),
        ["channel", "group", "user"],
        "the scenario has private chats, groups and channels: {kinds:?}"
    );
}
