//! The client commands (`msgsync accounts …`, `msgsync sync …`): they talk to a running server
//! over its HTTP API, like any other client, with an API key.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// Where the server is, and the key to use.
#[derive(Args, Debug)]
pub struct Server {
    /// The server's base URL.
    #[arg(long, env = "MSGSYNC_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The API key (`pp_live_…` or `pp_test_…`).
    #[arg(long = "api-key", env = "MSGSYNC_API_KEY", hide_env_values = true)]
    key: String,
}

#[derive(Subcommand, Debug)]
pub enum AccountsCommand {
    /// List the key's accounts: id, provider, name, status, creation.
    List {
        #[command(flatten)]
        server: Server,
    },
}

/// Start a resync (or follow the one running) through `GET /api/v1/accounts/{id}/sync`.
#[derive(Args, Debug)]
pub struct SyncArgs {
    /// The account (`acc_…`).
    account_id: String,
    /// Sync at most this many chats in this run (1 to 1000), newest chats first.
    #[arg(long)]
    chunk_size: Option<u32>,
    /// Only messages at or after this instant (epoch ms or ISO 8601).
    #[arg(long)]
    after: Option<String>,
    /// Only messages at or before this instant (epoch ms or ISO 8601).
    #[arg(long)]
    before: Option<String>,
    /// Only add and update: mark nothing deleted.
    #[arg(long)]
    partial: bool,
    /// LinkedIn only: the inbox (classic, recruiter, sales_navigator).
    #[arg(long)]
    product: Option<String>,
    /// Follow the sync to its outcome with a live progress line; the exit code says how it
    /// ended (0: SYNC_DONE or CHUNK_DONE, 1: SYNC_ERROR, 2: the request failed).
    #[arg(long)]
    watch: bool,
    #[command(flatten)]
    server: Server,
}

/// How often `--watch` polls.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// The exit code of a sync that ended with `SYNC_ERROR`.
pub const EXIT_SYNC_ERROR: i32 = 1;
/// The exit code of a request the server refused or could not answer.
pub const EXIT_REQUEST_FAILED: i32 = 2;

/// A request's failure, with the exit code it means.
#[derive(Debug)]
pub struct Failed(pub i32, pub anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Failed {
    fn from(e: E) -> Self {
        Failed(EXIT_REQUEST_FAILED, e.into())
    }
}

struct Api {
    http: reqwest::Client,
    server: Server,
}

impl Api {
    fn new(server: Server) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Api { http, server })
    }

    /// GET `path` (with its query); the JSON answer, or the error envelope's words.
    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.server.url.trim_end_matches('/'));
        let response = self
            .http
            .get(&url)
            .header("X-API-KEY", &self.server.key)
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .with_context(|| format!("{url} answered {status} without JSON"))?;
        if !status.is_success() {
            bail!(
                "{status} {}: {}",
                body["type"].as_str().unwrap_or("error"),
                body["detail"].as_str().unwrap_or("")
            );
        }
        Ok(body)
    }
}

pub async fn accounts(command: AccountsCommand) -> Result<(), Failed> {
    let AccountsCommand::List { server } = command;
    let api = Api::new(server)?;
    println!("ID\tTYPE\tNAME\tSTATUS\tCREATED");
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/api/v1/accounts?limit=250".to_owned();
        if let Some(c) = &cursor {
            path.push_str("&cursor=");
            path.push_str(&url_encode(c));
        }
        let page = api.get(&path).await?;
        for a in page["items"].as_array().into_iter().flatten() {
            println!(
                "{}\t{}\t{}\t{}\t{}",
                a["id"].as_str().unwrap_or(""),
                a["type"].as_str().unwrap_or(""),
                a["name"].as_str().unwrap_or(""),
                a["sources"][0]["status"].as_str().unwrap_or(""),
                a["created_at"].as_str().unwrap_or(""),
            );
        }
        match page["cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(()),
        }
    }
}

fn url_encode(value: &str) -> String {
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

fn is_outcome(status: &str) -> bool {
    matches!(status, "SYNC_DONE" | "CHUNK_DONE" | "SYNC_ERROR")
}

pub async fn sync(args: SyncArgs) -> Result<(), Failed> {
    let mut query = Vec::new();
    if let Some(n) = args.chunk_size {
        query.push(format!("chunk_size={n}"));
    }
    for (name, value) in [("after", &args.after), ("before", &args.before)] {
        if let Some(v) = value {
            query.push(format!("{name}={}", url_encode(v)));
        }
    }
    if args.partial {
        query.push("partial=true".to_owned());
    }
    if let Some(p) = &args.product {
        query.push(format!("linkedin_product={}", url_encode(p)));
    }
    let path = format!(
        "/api/v1/accounts/{}/sync?{}",
        url_encode(&args.account_id),
        query.join("&")
    );
    let api = Api::new(args.server)?;
    let mut answer = api.get(&path).await?;
    if is_outcome(status_of(&answer)) {
        // An outcome waiting to be reported belongs to the previous sync: say it, then start.
        eprintln!(
            "the previous sync ({}) ended {}; starting a new one",
            answer["sync_id"].as_str().unwrap_or("?"),
            status_of(&answer)
        );
        answer = api.get(&path).await?;
    }
    if !args.watch {
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(());
    }
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Some(bar)
    } else {
        None
    };
    let started = Instant::now();
    let mut last_line = String::new();
    loop {
        let line = progress_line(&answer, started.elapsed());
        match &bar {
            Some(bar) => bar.set_message(line.clone()),
            // Not a terminal: a line whenever something changed.
            None if line != last_line => eprintln!("{line}"),
            None => {}
        }
        last_line = line;
        if is_outcome(status_of(&answer)) {
            break;
        }
        tokio::time::sleep(WATCH_EVERY).await;
        answer = api.get(&path).await?;
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let status = status_of(&answer).to_owned();
    let p = &answer["progress"];
    println!(
        "{status}: {} chats, {} messages ({})",
        p["chats"],
        p["messages"],
        answer["sync_id"].as_str().unwrap_or("?")
    );
    if status == "SYNC_ERROR" {
        let e = &answer["error"];
        return Err(Failed(
            EXIT_SYNC_ERROR,
            anyhow::anyhow!(
                "{}: {}",
                e["type"].as_str().unwrap_or("error"),
                e["detail"].as_str().unwrap_or("")
            ),
        ));
    }
    Ok(())
}

fn status_of(answer: &Value) -> &str {
    answer["status"].as_str().unwrap_or("")
}

/// `SYNC_RUNNING · 12/40 chats · 3,400 messages · 1,200 msg/s · waiting: rate limited (retry 2)`
/// (`/40` where the provider gives its count of chats).
fn progress_line(answer: &Value, elapsed: Duration) -> String {
    let p = &answer["progress"];
    let messages = p["messages"].as_i64().unwrap_or(0);
    let rate = messages as f64 / elapsed.as_secs_f64().max(0.001);
    let chats = p["chats"].as_i64().unwrap_or(0);
    let chats = match p["chats_total"].as_i64() {
        Some(total) => format!("{chats}/{total}"),
        None => chats.to_string(),
    };
    let mut line = format!(
        "{} · {chats} chats · {messages} messages · {rate:.0} msg/s",
        status_of(answer),
    );
    if let Some(reason) = answer["retry"]["reason"].as_str() {
        line.push_str(&format!(
            " · waiting until {} (attempt {}): {reason}",
            answer["retry"]["next_attempt_at"].as_str().unwrap_or("?"),
            answer["retry"]["attempts"]
        ));
    }
    line
}
