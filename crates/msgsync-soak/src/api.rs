//! The soak's HTTP client of the server's API: answers that tell a refused request from one the
//! server never answered (it was killed or stopped), and lists walked with their cursors.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::plan::AccountPlan;
use crate::snapshot::Snapshot;

/// Longer than the server's own request timeout (30 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(40);

/// How long a resync on an undisturbed server may take to reach its outcome, and how often it
/// is polled meanwhile.
const OUTCOME_DEADLINE: Duration = Duration::from_secs(180);
const OUTCOME_POLL: Duration = Duration::from_millis(50);

/// Page sizes of the walks: small and uneven, so that every list is many pages.
pub const CHAT_PAGE: u32 = 7;
pub const MESSAGE_PAGE: u32 = 33;

/// What a request got.
#[derive(Debug)]
pub enum Answer {
    /// An answer with a JSON body.
    Json { status: u16, body: Value },
    /// An answer whose body is not JSON (every answer should be: errors in the envelope).
    NotJson { status: u16, text: String },
    /// No answer: the connection failed or was cut. Whether the server acted on the request is
    /// unknown.
    Gone(String),
}

impl Answer {
    /// A short form for messages.
    pub fn describe(&self) -> String {
        match self {
            Answer::Json { status, body } => format!("{status} {body}"),
            Answer::NotJson { status, text } => format!("{status} (not JSON) {text:?}"),
            Answer::Gone(e) => format!("no answer ({e})"),
        }
    }
}

/// Whether an error answer is in the envelope (CONTRACT §4) with this status.
pub fn is_envelope(status: u16, body: &Value) -> bool {
    body["status"].as_u64() == Some(u64::from(status))
        && body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("errors/"))
        && body["title"].is_string()
}

#[derive(Clone)]
pub struct Api {
    base: String,
    key: String,
    client: reqwest::Client,
}

impl Api {
    pub fn new(base: &str, key: &str) -> anyhow::Result<Api> {
        Ok(Api {
            base: base.to_owned(),
            key: key.to_owned(),
            client: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()?,
        })
    }

    /// The same server under another API key.
    pub fn with_key(&self, key: &str) -> Api {
        Api {
            key: key.to_owned(),
            ..self.clone()
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = match req.header("X-API-KEY", &self.key).send().await {
            Ok(r) => r,
            Err(e) => return Answer::Gone(e.to_string()),
        };
        let status = resp.status().as_u16();
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) => return Answer::Gone(format!("{status}, body cut: {e}")),
        };
        match serde_json::from_str(&text) {
            Ok(body) => Answer::Json { status, body },
            Err(_) => Answer::NotJson { status, text },
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(self.client.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(self.client.delete(format!("{}{path}", self.base)))
            .await
    }

    /// `GET` that must answer 200.
    pub async fn get_ok(&self, path: &str) -> anyhow::Result<Value> {
        match self.get(path).await {
            Answer::Json { status: 200, body } => Ok(body),
            other => bail!("GET {path}: {}", other.describe()),
        }
    }

    /// The resync route of an account.
    pub async fn sync(&self, account: &str, query: &str) -> Answer {
        let sep = if query.is_empty() { "" } else { "?" };
        self.get(&format!("/api/v1/accounts/{account}/sync{sep}{query}"))
            .await
    }

    /// Starts a resync and polls it to its outcome, on a server nothing disturbs; the outcome's
    /// answer.
    pub async fn sync_to_outcome(&self, account: &str, query: &str) -> anyhow::Result<Value> {
        let deadline = std::time::Instant::now() + OUTCOME_DEADLINE;
        let mut started = false;
        loop {
            let body = match self.sync(account, query).await {
                Answer::Json { status: 200, body } => body,
                other => bail!("resync of {account} ({query}): {}", other.describe()),
            };
            match body["status"].as_str() {
                Some("SYNC_STARTED") => started = true,
                Some("SYNC_RUNNING") if started => {}
                Some(_) if started => return Ok(body),
                _ => bail!("resync of {account} ({query}) did not start: {body}"),
            }
            if std::time::Instant::now() > deadline {
                bail!(
                    "resync of {account} ({query}): no outcome within {OUTCOME_DEADLINE:?}: {body}"
                );
            }
            tokio::time::sleep(OUTCOME_POLL).await;
        }
    }

    /// Connects a sandbox account; the raw answer.
    pub async fn connect(&self, provider: &str, field: &str, scenario: &str) -> Answer {
        self.post(
            "/api/v1/accounts",
            &json!({ "provider": provider, field: scenario }),
        )
        .await
    }

    /// Connects one of the soak's accounts; its id.
    pub async fn connect_account(
        &self,
        plan: &AccountPlan,
        scenario: &str,
    ) -> anyhow::Result<String> {
        let p = plan.provider;
        match self
            .connect(p.as_str(), p.credential_field(), scenario)
            .await
        {
            Answer::Json { status: 201, body } => body["account_id"]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("no account_id in {body}")),
            other => bail!("connecting {} {scenario}: {}", p, other.describe()),
        }
    }

    /// Every item of a list route, `limit` a page, following the cursors to the end. No page may
    /// be larger than `limit`, and no item may come twice.
    pub async fn walk(&self, path: &str, limit: u32) -> anyhow::Result<Vec<Value>> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut page = format!("{path}{sep}limit={limit}");
            if let Some(c) = &cursor {
                page.push_str(&format!("&cursor={}", query_encode(c)));
            }
            let body = self.get_ok(&page).await?;
            let list = body["items"]
                .as_array()
                .with_context(|| format!("{page}: no items in {body}"))?;
            if list.len() > limit as usize {
                bail!("{page}: {} items in a page of {limit}", list.len());
            }
            for item in list {
                if !seen.insert(item["id"].to_string()) {
                    bail!("{path}: {} listed twice (pages of {limit})", item["id"]);
                }
            }
            items.extend(list.iter().cloned());
            match body["cursor"].as_str() {
                Some(c) if !list.is_empty() => cursor = Some(c.to_owned()),
                Some(c) => bail!("{page}: an empty page with a cursor {c:?}"),
                None => return Ok(items),
            }
        }
    }

    /// Every chat and message of an account, walked through the lists.
    pub async fn snapshot(&self, account: &str) -> anyhow::Result<Snapshot> {
        let mut snap = Snapshot::default();
        let chats = self
            .walk(&format!("/api/v1/chats?account_id={account}"), CHAT_PAGE)
            .await?;
        for chat in &chats {
            let provider_id = snap.add_chat(chat)?;
            let id = chat["id"].as_str().context("chat without id")?;
            for m in self
                .walk(&format!("/api/v1/chats/{id}/messages"), MESSAGE_PAGE)
                .await?
            {
                snap.add_message(&provider_id, &m)?;
            }
        }
        Ok(snap)
    }
}

/// Percent-encodes a query value (cursors are standard base64: `+`, `/` and `=`).
fn query_encode(value: &str) -> String {
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
