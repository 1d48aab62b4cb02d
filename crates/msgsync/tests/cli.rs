//! The command line as a person uses it: `--help` that names the settings, and the client
//! commands against a running server, `sync --watch` in a pseudo-terminal.

mod common;

use std::process::{Command, Output};

use common::{TestServer, BIN};

/// Runs `msgsync ARGS` as a client of `server`, with `key`.
fn client(server: &TestServer, key: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("MSGSYNC_URL", &server.base)
        .env("MSGSYNC_API_KEY", key)
        .output()
        .expect("run msgsync")
}

/// Runs `msgsync ARGS` in a pseudo-terminal (util-linux `script`), as at a terminal.
fn in_terminal(server: &TestServer, key: &str, args: &[&str]) -> Output {
    let line = std::iter::once(BIN)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    Command::new("script")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .env("MSGSYNC_URL", &server.base)
        .env("MSGSYNC_API_KEY", key)
        .env("TERM", "xterm")
        .output()
        .expect("run `script` (util-linux) to give the CLI a terminal")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn help_names_every_setting_and_describes_every_argument() {
    let serve = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = text(&serve);
    for needle in [
        "--listen",
        "[env: MSGSYNC_LISTEN=",
        "--data-dir",
        "[env: MSGSYNC_DATA_DIR=",
        "MSGSYNC_DATABASE_URL",
        "MSGSYNC_MASTER_KEY",
        "MSGSYNC_SANDBOX_EPOCH",
        "MSGSYNC_LOG_FORMAT",
    ] {
        assert!(help.contains(needle), "`{needle}` missing:\n{help}");
    }
    let create = text(
        &Command::new(BIN)
            .args(["keys", "create", "--help"])
            .output()
            .unwrap(),
    );
    assert!(
        create.contains("--name <NAME>") && create.contains("to recognise it"),
        "{create}"
    );
    let sync = text(&Command::new(BIN).args(["sync", "--help"]).output().unwrap());
    for needle in [
        "<ACCOUNT_ID>",
        "--watch",
        "[env: MSGSYNC_URL=",
        "MSGSYNC_API_KEY",
    ] {
        assert!(sync.contains(needle), "`{needle}` missing:\n{sync}");
    }
}

#[tokio::test]
async fn the_client_commands_list_accounts_and_watch_a_sync_to_its_outcome() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let good = server
        .connect(&key, "TELEGRAM", "sandbox:chats=5,messages=40,latency_ms=5")
        .await;
    let dead = server
        .connect(&key, "LINKEDIN", "sandbox:fault=expired,fault_after=2")
        .await;

    let listed = client(&server, &key, &["accounts", "list"]);
    assert!(listed.status.success(), "{}", text(&listed));
    let out = String::from_utf8_lossy(&listed.stdout).into_owned();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "ID\tTYPE\tNAME\tSTATUS\tCREATED");
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{good}\tTELEGRAM\t"))),
        "{out}"
    );

    // At a terminal: a live line, then the outcome, and the exit code that says it.
    let watched = in_terminal(&server, &key, &["sync", &good, "--watch"]);
    let shown = text(&watched);
    assert_eq!(watched.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("SYNC_DONE: 5 chats, 200 messages"),
        "{shown}"
    );
    assert!(shown.contains("msg/s"), "the progress line: {shown}");

    let failed = in_terminal(&server, &key, &["sync", &dead, "--watch"]);
    let shown = text(&failed);
    assert_eq!(failed.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("SYNC_ERROR") && shown.contains("expired_credentials"),
        "{shown}"
    );

    // Not at a terminal, a sync's answer as JSON; a refused request exits 2.
    let once = client(&server, &key, &["sync", &good, "--chunk-size", "2"]);
    assert!(once.status.success(), "{}", text(&once));
    let answer: serde_json::Value = serde_json::from_slice(&once.stdout).unwrap();
    assert_eq!(answer["object"], "AccountResync");
    let refused = client(&server, "pp_test_nope", &["accounts", "list"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused).contains("invalid_credentials"),
        "{}",
        text(&refused)
    );
}
