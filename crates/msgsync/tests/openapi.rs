//! The API against its own reference. schemathesis, a schema-driven API fuzzer (PyPI, in the
//! tests' venv), reads `/api/v1/openapi.json` from a running server with synced sandbox
//! accounts, sends requests built from the document, valid and invalid, and checks every answer
//! against it: no server error, a documented status, content type and headers, and a body valid
//! against its schema.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use common::TestServer;
use serde_json::Value;

/// Test cases schemathesis generates per operation and phase: the run stays within a minute.
const MAX_EXAMPLES: u32 = 25;

/// The longest the fuzzer may run before the test gives up on it.
const FUZZ_DEADLINE: Duration = Duration::from_secs(240);

/// The same cases each run (the ids of the synced data still differ), so that a failure in CI
/// can be replayed; `MSGSYNC_SCHEMATHESIS_SEED` explores others.
const DEFAULT_SEED: &str = "13";

/// The checks of the run: every answer conforms to the document, and none is a server error.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";

#[tokio::test]
async fn the_api_answers_as_its_openapi_document_says() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let linkedin = server
        .synced_account(
            &key,
            "LINKEDIN",
            "sandbox:chats=4,messages=8,products=classic+recruiter",
        )
        .await;
    let telegram = server
        .synced_account(&key, "TELEGRAM", "sandbox:chats=4,messages=8")
        .await;
    // A sync left unreported, so that the resync route has an outcome to answer too.
    server.sync(&key, &telegram, "partial=true").await;

    let ids = Ids::collect(&server, &key, &[&linkedin, &telegram]).await;
    let document = reference(&server).await;

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(&config, ids.config(&not_implemented(&document))).unwrap();
    let har = dir.path().join("run.har");
    let stdout = schemathesis(&server, &key, &config, &har).await;

    // The run tested every operation of the document but the document's own.
    let operations = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| *path != DOCUMENT_PATH)
        .map(|(_, item)| item.as_object().unwrap().len())
        .sum::<usize>();
    assert!(
        stdout.contains(&format!("Selected: {operations}/{operations}"))
            && stdout.contains(&format!("Tested: {operations}\n")),
        "not every one of the {operations} operations was tested:\n{stdout}"
    );
    // It reached the successful answers, not only the errors: each route that reads answered
    // 2xx (its body checked against its schema), and so did a connect.
    let answered = statuses(&document, &har);
    for (operation, statuses) in &answered {
        eprintln!("{operation}: {statuses:?}");
    }
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let operation = format!("{} {path}", method.to_uppercase());
            if path == DOCUMENT_PATH || !(method == "get" || operation == "POST /api/v1/accounts") {
                continue;
            }
            let statuses = answered.get(&operation);
            assert!(
                statuses.is_some_and(|s| s.iter().any(|s| (200..300).contains(s))),
                "{operation} never answered 2xx: {statuses:?}"
            );
        }
    }
}

/// Where the document is served.
const DOCUMENT_PATH: &str = "/api/v1/openapi.json";

/// The document, and its page, both served without a key. (schemathesis leaves out the route it
/// reads the document from: this is its test.)
async fn reference(server: &TestServer) -> Value {
    let answer = reqwest::get(format!("{}{DOCUMENT_PATH}", server.base))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/json");
    let document: Value = answer.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let page = reqwest::get(format!("{}/docs", server.base)).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = page.text().await.unwrap();
    for path in document["paths"].as_object().unwrap().keys() {
        assert!(page.contains(&format!("<code>{path}</code>")), "{path}");
    }
    document
}

/// Runs schemathesis on the server's document with `key` and `config`, its HAR to `har`;
/// asserts it found nothing, and returns its report.
async fn schemathesis(server: &TestServer, key: &str, config: &Path, har: &Path) -> String {
    let program = common::python().await.with_file_name("schemathesis");
    let seed = std::env::var("MSGSYNC_SCHEMATHESIS_SEED").unwrap_or(DEFAULT_SEED.to_owned());
    let started = Instant::now();
    let run = tokio::process::Command::new(&program)
        .arg("--config-file")
        .arg(config)
        .arg("run")
        .arg(format!("{}{DOCUMENT_PATH}", server.base))
        .args(["--url", &server.base])
        .args(["--header", &format!("X-API-KEY: {key}")])
        .args(["--checks", CHECKS])
        .args(["--max-examples", &MAX_EXAMPLES.to_string()])
        .args(["--seed", &seed])
        // One worker: hypothesis parses lambdas' sources with `ast`, which CPython 3.11 cannot do
        // in two threads at once ("AST constructor recursion depth mismatch").
        .args(["--workers", "1"])
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "20"])
        .args(["--report", "har", "--report-har-path"])
        .arg(har)
        .arg("--no-color")
        .current_dir(config.parent().unwrap())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(FUZZ_DEADLINE, run)
        .await
        .unwrap_or_else(|_| panic!("schemathesis ran over {FUZZ_DEADLINE:?}"))
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "schemathesis (seed {seed}) found answers that break the document ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "schemathesis (seed {seed}) ran {:.1?}:\n{stdout}",
        started.elapsed()
    );
    stdout
}

/// Ids of the synced data, which the fuzzer uses in most of its requests to the routes that
/// read, so that it reaches real chats, messages and attendees and not only 404s.
struct Ids {
    accounts: Vec<String>,
    syncs: Vec<String>,
    chats: Vec<String>,
    messages: Vec<String>,
    attendees: Vec<String>,
    /// A message and one of its attachments whose file can be downloaded.
    attachment: (String, String),
}

impl Ids {
    async fn collect(server: &TestServer, key: &str, accounts: &[&str]) -> Ids {
        let mut ids = Ids {
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            syncs: Vec::new(),
            chats: Vec::new(),
            messages: Vec::new(),
            attendees: Vec::new(),
            attachment: Default::default(),
        };
        let mut attendees = BTreeSet::new();
        let mut files = Vec::new();
        for account in accounts {
            let (status, syncs) = server
                .get(&format!("/api/v1/accounts/{account}/syncs"), key)
                .await;
            assert_eq!(status, 200, "{syncs}");
            let syncs = syncs["items"].as_array().unwrap();
            ids.syncs.extend(syncs.iter().map(|s| id(s, "id")));
            for chat in server.all_chats(key, account).await {
                let chat_id = id(&chat, "id");
                for message in server.all_messages(key, &chat_id).await {
                    ids.messages.push(id(&message, "id"));
                    attendees.insert(id(&message, "sender_attendee_id"));
                    let downloadable = message["attachments"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|a| a["type"] != "linkedin_post" && a["unavailable"] == false);
                    if let Some(attachment) = downloadable {
                        files.push((id(&message, "id"), id(attachment, "id")));
                    }
                }
                ids.chats.push(chat_id);
            }
        }
        ids.attendees = attendees.into_iter().collect();
        for (what, list) in [
            ("syncs", &ids.syncs),
            ("chats", &ids.chats),
            ("messages", &ids.messages),
            ("attendees", &ids.attendees),
        ] {
            assert!(!list.is_empty(), "the synced accounts have no {what}");
        }
        ids.attachment = files
            .into_iter()
            .next()
            .expect("the synced accounts have a file to download");
        ids
    }

    /// schemathesis' configuration: the ids as dictionaries, used in most requests of the
    /// routes that read (the others keep generated ids, and so test the 404s). Deleting and
    /// reconnecting get generated ids only, so that the synced accounts stay (until the stateful
    /// phase, last, follows the links from the account list to them). The attachment route, whose
    /// two ids must match, always gets a file of the synced data; the first operation entry that
    /// names a setting decides it. `not_implemented` may answer 501. A connect or reconnect
    /// may answer 503: the fuzzer gives proxies that do not exist, and msgsync answers a
    /// provider call through an unreachable proxy as the provider being unavailable.
    fn config(&self, not_implemented: &[String]) -> String {
        let dictionary = |name: &str, values: &[String]| {
            format!(
                "{name} = {{ values = [{}] }}\n",
                values
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let bind = |parameter: &str, dictionary: &str| {
            format!("\"{parameter}\" = {{ dictionary = \"{dictionary}\", probability = 0.8 }}")
        };
        let bindings = [
            bind("path.account_id", "accounts"),
            bind("query.account_id", "accounts"),
            bind("path.sync_id", "syncs"),
            bind("path.chat_id", "chats"),
            bind("path.message_id", "messages"),
            bind("path.attendee_id", "attendees"),
        ];
        let (message, attachment) = &self.attachment;
        format!(
            "[dictionaries]\n{}{}{}{}{}\n\
             [[operations]]\n\
             include-operation-id = \"get_message_attachment\"\n\
             parameters = {{ \"path.message_id\" = {message:?}, \"path.attachment_id\" = {attachment:?} }}\n\n\
             [[operations]]\n\
             include-operation-id = [\"create_account\", \"reconnect_account\"]\n\
             checks.not_a_server_error.expected-statuses = \
             [\"2xx\", \"3xx\", \"4xx\", \"501\", \"503\"]\n\n\
             [[operations]]\n\
             exclude-operation-id = [\"delete_account\", \"reconnect_account\"]\n\
             parameters = {{ {} }}\n\n\
             [[operations]]\n\
             include-operation-id = {not_implemented:?}\n\
             checks.not_a_server_error.expected-statuses = [\"2xx\", \"3xx\", \"4xx\", \"501\"]\n",
            dictionary("accounts", &self.accounts),
            dictionary("syncs", &self.syncs),
            dictionary("chats", &self.chats),
            dictionary("messages", &self.messages),
            dictionary("attendees", &self.attendees),
            bindings.join(", "),
        )
    }
}

/// The statuses each operation (`GET /api/v1/chats/{chat_id}`) answered in the run's HAR.
fn statuses(document: &Value, har: &Path) -> BTreeMap<String, BTreeSet<u16>> {
    let har: Value = serde_json::from_slice(&std::fs::read(har).unwrap()).unwrap();
    let templates: Vec<(&str, Vec<&str>)> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|path| (path.as_str(), path.split('/').collect()))
        .collect();
    let mut answered: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    for entry in har["log"]["entries"].as_array().unwrap() {
        let url = entry["request"]["url"].as_str().unwrap();
        let path = url.split_once("://").unwrap().1;
        let path = &path[path.find('/').unwrap()..];
        let path = path.split('?').next().unwrap();
        let segments: Vec<&str> = path.split('/').collect();
        let template = templates.iter().find(|(_, t)| {
            t.len() == segments.len()
                && t.iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
        });
        if let Some((template, _)) = template {
            let method = entry["request"]["method"].as_str().unwrap();
            let status = entry["response"]["status"].as_u64().unwrap() as u16;
            answered
                .entry(format!("{method} {template}"))
                .or_default()
                .insert(status);
        }
    }
    answered
}

/// The operations whose documented answers include 501 `errors/feature_not_implemented`: what
/// msgsync cannot do for an account's provider (CONTRACT §3: the resync of a WhatsApp or
/// Instagram account). The fuzzer reaches them, as it registers such accounts through the
/// documented examples; a 501 there is the contract's answer, not a server error.
fn not_implemented(document: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            if operation["responses"].get("501").is_some() {
                ids.push(id(operation, "operationId"));
            }
        }
    }
    assert!(ids.contains(&"sync_account".to_owned()), "{ids:?}");
    ids
}

fn id(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {value}"))
        .to_owned()
}
