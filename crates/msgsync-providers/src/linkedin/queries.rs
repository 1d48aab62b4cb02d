//! The persisted GraphQL query ids the messenger queries go by, discovered at run time from the
//! web app itself, with the configured ids as the fallback.
//!
//! LinkedIn's web app asks for conversations and messages by persisted query id
//! (`messengerConversations.<hash>`); the hash changes when LinkedIn deploys, and a stale one
//! is refused with a 400 (alexey-pelykh/lhremote issue #518: "hardcoded queryId hashes that
//! LinkedIn rotates, causing HTTP 400 errors when the hashes go stale") or answered with a
//! web page instead of JSON. Public clients that keep working take the ids the web app itself
//! uses instead of pinning them (jackwener/OpenCLI `clis/linkedin/inbox.js` and others read
//! them from the requests the messaging page fires). msgsync has no browser to fire them, so it
//! reads them where the page gets them from: it loads the messaging page, fetches the scripts
//! it names, and collects every `messengerConversations.<32 hex>` and `messengerMessages.<32
//! hex>` in them, in order.
//!
//! Several ids of one query may turn up, and the page-load query silently ignores cursors
//! (PROVIDERS.md field notes), so which one pages is learnt by trying: ids are tried in order
//! (the one that last worked first, then the discovered ones, then the configured one); an id
//! that LinkedIn refuses, or that answers a page already seen, gives way to the next. The ids
//! that worked are kept for the whole process, per LinkedIn address; the discovery is done again
//! when every known id failed, at most once per session.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use reqwest::Url;

use super::client::VoyagerClient;
use super::LinkedinConfig;
use crate::ProviderError;

/// The page whose scripts hold the messenger query ids.
pub const MESSAGING_PAGE: &str = "/messaging/";
/// At most this many scripts of the page are read.
const MAX_SCRIPTS: usize = 64;
/// Scripts fetched at once, as a browser does.
const PARALLEL_SCRIPTS: usize = 4;
/// A discovery is trusted this long before it is done again unprompted.
const DISCOVERY_TTL: Duration = Duration::from_secs(6 * 3600);
/// The length of a query id's hash.
const HASH_LEN: usize = 32;

/// The persisted queries the connector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Query {
    Conversations,
    /// `messengerMessages` anchored at a timestamp.
    Messages,
    /// `messengerMessages` by `prevCursor` (a second id of the same name).
    MessagesByCursor,
}

impl Query {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Query::Conversations => "messengerConversations",
            Query::Messages | Query::MessagesByCursor => "messengerMessages",
        }
    }

    /// The setting that pins this query's id.
    pub(crate) fn setting(self) -> &'static str {
        match self {
            Query::Conversations => "MSGSYNC_LINKEDIN_CONVERSATIONS_QUERY_ID",
            Query::Messages => "MSGSYNC_LINKEDIN_MESSAGES_QUERY_ID",
            Query::MessagesByCursor => "MSGSYNC_LINKEDIN_MESSAGES_BY_CURSOR_QUERY_ID",
        }
    }

    fn configured(self, config: &LinkedinConfig) -> &str {
        match self {
            Query::Conversations => &config.conversations_query_id,
            Query::Messages => &config.messages_query_id,
            Query::MessagesByCursor => &config.messages_by_cursor_query_id,
        }
    }

    const ALL: [Query; 3] = [
        Query::Conversations,
        Query::Messages,
        Query::MessagesByCursor,
    ];
}

/// What is known of one LinkedIn address in this process.
#[derive(Default)]
struct Known {
    /// The ids found in the web app's scripts, per query name, in order.
    discovered: HashMap<&'static str, Vec<String>>,
    discovered_at: Option<Instant>,
    /// The id that last worked, per query.
    good: HashMap<Query, String>,
}

static KNOWN: LazyLock<Mutex<HashMap<String, Known>>> = LazyLock::new(Default::default);

fn known<T>(base_url: &str, f: impl FnOnce(&mut Known) -> T) -> T {
    let mut all = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    f(all.entry(base_url.to_string()).or_default())
}

/// Every `<name>.<32 hex>` in `text`, in order, each once.
pub(crate) fn find_ids(text: &str, name: &str, into: &mut Vec<String>) {
    let prefix = format!("{name}.");
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        let after = &rest[at + prefix.len()..];
        let hash: String = after
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        let boundary = after[hash.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        if hash.len() == HASH_LEN && boundary {
            let id = format!("{prefix}{}", hash.to_ascii_lowercase());
            if !into.contains(&id) {
                into.push(id);
            }
        }
        rest = &after[hash.len()..];
    }
}

/// The scripts a page names (`<script … src="…">`), resolved against the page's address.
pub(crate) fn script_urls(html: &str, page: &Url) -> Vec<Url> {
    let mut urls = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<script") {
        rest = &rest[at + "<script".len()..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        let Some(src_at) = tag.find("src=") else {
            continue;
        };
        let value = &tag[src_at + "src=".len()..];
        let src = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
            _ => value.split([' ', '\t', '\n']).next().unwrap_or(""),
        };
        let src = src.replace("&amp;", "&");
        if let Ok(url) = page.join(&src) {
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
    }
    urls
}

/// Reads the ids from the messaging page's HTML and the scripts it names. A script that cannot
/// be fetched is skipped; what was found is recorded for the process.
pub(crate) async fn discover(client: &VoyagerClient, html: &str) -> usize {
    let mut found: HashMap<&'static str, Vec<String>> = HashMap::new();
    let mut scan = |text: &str| {
        for name in ["messengerConversations", "messengerMessages"] {
            find_ids(text, name, found.entry(name).or_default());
        }
    };
    scan(html);
    let page = match Url::parse(&format!("{}{MESSAGING_PAGE}", client.base_url())) {
        Ok(page) => page,
        Err(_) => return 0,
    };
    let scripts = script_urls(html, &page);
    let mut fetched = stream::iter(scripts.into_iter().take(MAX_SCRIPTS))
        .map(|url| async move { (client.asset(&url).await, url) })
        .buffered(PARALLEL_SCRIPTS);
    while let Some((answer, url)) = fetched.next().await {
        match answer {
            Ok(body) => scan(&String::from_utf8_lossy(&body)),
            Err(e) => {
                tracing::debug!(%url, error = %e, "a script of the messaging page could not be read")
            }
        }
    }
    let count = found.values().map(Vec::len).sum();
    if count == 0 {
        tracing::warn!(
            "no messenger query ids found in LinkedIn's messaging page and its scripts; \
             the configured ids are used"
        );
    } else {
        tracing::info!(ids = ?found, "messenger query ids discovered from LinkedIn's web app");
    }
    known(client.base_url(), |k| {
        k.discovered = found;
        k.discovered_at = Some(Instant::now());
    });
    count
}

/// Whether this process should look for the ids of `base_url` (never did, or long ago).
pub(crate) fn discovery_due(base_url: &str) -> bool {
    known(base_url, |k| {
        k.discovered_at
            .is_none_or(|at| at.elapsed() >= DISCOVERY_TTL)
    })
}

/// The ids one session goes by: the candidates of each query, and which one is in use.
pub(crate) struct QueryBook {
    base_url: String,
    discover: bool,
    configured: HashMap<Query, String>,
    state: Mutex<Book>,
}

#[derive(Default)]
struct Book {
    candidates: HashMap<Query, Vec<String>>,
    current: HashMap<Query, usize>,
    /// Whether this session already discovered the ids again.
    refreshed: bool,
}

impl QueryBook {
    pub(crate) fn new(config: &LinkedinConfig) -> QueryBook {
        let book = QueryBook {
            base_url: config.base_url.trim_end_matches('/').to_string(),
            discover: config.discover_query_ids,
            configured: Query::ALL
                .into_iter()
                .map(|q| (q, q.configured(config).to_string()))
                .collect(),
            state: Mutex::new(Book::default()),
        };
        book.reload();
        book
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Rebuilds the candidates from what the process knows.
    fn reload(&self) {
        let lists: HashMap<Query, Vec<String>> = known(&self.base_url, |k| {
            Query::ALL
                .into_iter()
                .map(|q| {
                    let mut list = Vec::new();
                    let mut add = |id: &str| {
                        if !id.is_empty() && !list.iter().any(|l| l == id) {
                            list.push(id.to_string());
                        }
                    };
                    if self.discover {
                        k.good.get(&q).into_iter().for_each(|id| add(id));
                        k.discovered
                            .get(q.name())
                            .into_iter()
                            .flatten()
                            .for_each(|id| add(id));
                    }
                    add(&self.configured[&q]);
                    (q, list)
                })
                .collect()
        });
        let mut book = self.lock();
        book.candidates = lists;
        book.current.clear();
    }

    /// The id in use for `query`.
    pub(crate) fn id(&self, query: Query) -> String {
        let book = self.lock();
        let i = book.current.get(&query).copied().unwrap_or(0);
        book.candidates
            .get(&query)
            .and_then(|l| l.get(i))
            .cloned()
            .unwrap_or_else(|| self.configured[&query].clone())
    }

    /// The id worked: it goes first for every later session of the process.
    pub(crate) fn confirm(&self, query: Query, id: &str) {
        if self.discover {
            known(&self.base_url, |k| {
                k.good.insert(query, id.to_string());
            });
        }
    }

    /// The id in use failed: moves to the next candidate, if there is one.
    pub(crate) fn advance(&self, query: Query) -> bool {
        let mut book = self.lock();
        let len = book.candidates.get(&query).map_or(0, Vec::len);
        let i = book.current.entry(query).or_insert(0);
        if *i + 1 < len {
            *i += 1;
            true
        } else {
            false
        }
    }

    /// Every candidate failed: may the ids be discovered again (once per session)?
    pub(crate) fn may_refresh(&self) -> bool {
        let mut book = self.lock();
        let may = self.discover && !book.refreshed;
        book.refreshed = true;
        may
    }

    /// After a new discovery: the candidates start over, without the ids that failed.
    pub(crate) fn restart(&self, failed: &[String]) {
        known(&self.base_url, |k| {
            k.good.retain(|_, id| !failed.contains(id));
        });
        self.reload();
        let mut book = self.lock();
        for list in book.candidates.values_mut() {
            // A failed id stays a last resort: the configured one may be all there is.
            list.sort_by_key(|id| failed.contains(id));
        }
    }

    /// What to tell when a query cannot go on: the ids tried and the setting to change.
    pub(crate) fn exhausted(&self, query: Query, why: &str) -> ProviderError {
        let tried = self
            .lock()
            .candidates
            .get(&query)
            .cloned()
            .unwrap_or_default()
            .join(", ");
        ProviderError::Protocol(format!(
            "{why} (query ids tried: {tried}); the {} query id may be outdated: set {} to the \
             id LinkedIn's web app uses now (see the README, \"LinkedIn query ids\")",
            query.name(),
            query.setting()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_once_each_in_order() {
        let js = r#"a="messengerConversations.0123456789abcdef0123456789ABCDEF";
            b={queryId:"messengerMessages.4088d03bc70c91c3fa68965cb42336de"};
            c="messengerConversations.0123456789abcdef0123456789abcdef";
            d="messengerConversations.0123456789abcdef0123456789abcdef0";
            e="messengerConversations.short";
            f="messengerConversations.9501074288a12f3ae9e3c7ea243bccbf""#;
        let mut ids = Vec::new();
        find_ids(js, "messengerConversations", &mut ids);
        assert_eq!(
            ids,
            [
                "messengerConversations.0123456789abcdef0123456789abcdef",
                "messengerConversations.9501074288a12f3ae9e3c7ea243bccbf"
            ]
        );
        let mut ids = Vec::new();
        find_ids(js, "messengerMessages", &mut ids);
        assert_eq!(ids, ["messengerMessages.4088d03bc70c91c3fa68965cb42336de"]);
    }

    #[test]
    fn scripts_are_resolved_against_the_page() {
        let page = Url::parse("https://www.linkedin.com/messaging/").unwrap();
        let html = r#"<html><script>inline()</script>
            <script src="https://static.licdn.com/aero-v1/sc/h/abc" defer></script>
            <script type="module" src='/aero-v1/sc/h/def.js?a=1&amp;b=2'></script>
            <script src=relative.js></script>
            <script src="https://static.licdn.com/aero-v1/sc/h/abc"></script>"#;
        let urls: Vec<String> = script_urls(html, &page)
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            urls,
            [
                "https://static.licdn.com/aero-v1/sc/h/abc",
                "https://www.linkedin.com/aero-v1/sc/h/def.js?a=1&b=2",
                "https://www.linkedin.com/messaging/relative.js",
            ]
        );
    }
}
