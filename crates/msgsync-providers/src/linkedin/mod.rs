//! The LinkedIn connector: LinkedIn's Voyager web API, spoken the way the web app speaks it.
//!
//! There is no public API for a member's inbox, so msgsync does what the browser does: the
//! member's cookies, the web client's headers, and the messenger GraphQL queries
//! (`messengerConversations`, `messengerMessages`) by the ids the web app itself uses; the
//! Sales Navigator inbox through Sales Navigator's own API. The sandbox's Voyager simulator
//! answers the same requests, so sandbox accounts go through exactly this code.
//!
//! - [`cookies`]: the credential as a cookie jar, kept up to date with what LinkedIn sets.
//! - `browser`: the headers of the browser the session looks like.
//! - `client` / `download` / `signals`: one HTTP client per session (its proxy, pacing,
//!   cookies), and LinkedIn's failure signals as [`ProviderError`]s.
//! - `queries` / `graphql`: which persisted query ids to use, discovered from the web app.
//! - `session`, `conversations`, `messages`, `sales`: the walks behind [`ProviderSession`];
//!   `sales_read`: Sales Navigator's answers.
//! - `cursor`: the connector's chat cursor (category, LinkedIn's cursor, pages seen).
//! - `wire` / `mapping` / `skipped`: Voyager's JSON, read leniently.
//! - `reader`: what reading an answer needs of the session, so that answers are read apart
//!   from the requests (and fuzzed: `fuzzing`).
//! - [`restli`]: the Rest.li tuple syntax of GraphQL `variables`.

mod browser;
mod client;
mod conversations;
pub mod cookies;
mod cursor;
mod download;
#[doc(hidden)]
pub mod fuzzing;
mod graphql;
mod mapping;
mod messages;
mod queries;
mod reader;
pub mod restli;
mod sales;
mod sales_read;
mod session;
mod signals;
mod skipped;
mod wire;

#[cfg(test)]
mod captured;

use std::time::Duration;

use async_trait::async_trait;
use msgsync_core::{ApiError, LinkedinProduct, ProviderKind};

use crate::{
    AccountProfile, ConnectRequest, Connector, Credentials, ProviderError, ProviderSession,
};
pub use browser::{DEFAULT_USER_AGENT, X_LI_TRACK};
pub use cookies::SessionCookies;
pub use queries::MESSAGING_PAGE;
pub use sales::{SALES_DECORATION, SALES_THREADS_PATH};

/// The live host of the Voyager API.
pub const LIVE_BASE_URL: &str = "https://www.linkedin.com";
/// The path of the messenger GraphQL endpoint.
pub const GRAPHQL_PATH: &str = "/voyager/api/voyagerMessagingGraphQL/graphql";
/// The path of the identity endpoint.
pub const ME_PATH: &str = "/voyager/api/me";
/// An anonymous GET here sets a fresh `JSESSIONID` (what a browser gets before logging in,
/// tomquirk/linkedin-api's first step); it is not bound to any member's session.
pub const AUTHENTICATE_PATH: &str = "/uas/authenticate";

/// Why live Recruiter inboxes are refused (501).
pub const RECRUITER_NOT_IMPLEMENTED: &str = "msgsync cannot sync LinkedIn Recruiter inboxes: no \
     public client or capture shows how LinkedIn's Recruiter web app lists its mailbox, and \
     msgsync does not guess (classic and sales_navigator inboxes can be synced)";

/// LinkedIn's web client never asks for more than this many conversations a page; above 25
/// LinkedIn answers an empty page (PROVIDERS.md).
pub const MAX_CONVERSATIONS_PAGE: u32 = 25;
/// What the web client asks for when scrolling up a thread.
pub const MAX_MESSAGES_PAGE: u32 = 20;

/// How long a 999 (LinkedIn's bot wall) keeps an account away when it gives no `Retry-After`.
pub const BOT_WALL_COOL_DOWN: Duration = Duration::from_secs(3600);
/// The wait a 429 without a usable `Retry-After` gets.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The configuration of the LinkedIn connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedinConfig {
    /// Where the Voyager API lives: `https://www.linkedin.com`, or a simulator.
    pub base_url: String,
    /// `messengerConversations.<hash>`: the hash changes when LinkedIn redeploys. With
    /// discovery on, the fallback when no discovered id pages.
    pub conversations_query_id: String,
    /// `messengerMessages.<hash>` for the first page, anchored at a timestamp.
    pub messages_query_id: String,
    /// `messengerMessages.<hash>` for the older pages, by `prevCursor` (the web app uses a
    /// second hash for that variant).
    pub messages_by_cursor_query_id: String,
    /// The least delay between two requests of one session.
    pub min_delay: Duration,
    /// The most delay between two requests of one session (uniform jitter in between).
    pub max_delay: Duration,
    /// How long one HTTP request may take, answer included.
    pub request_timeout: Duration,
    /// Whether the query ids are read from LinkedIn's web app (`queries`); off, only the
    /// configured ids are used (pinned).
    pub discover_query_ids: bool,
    /// Serve the Recruiter inbox by msgsync's own mailbox convention, which only the sandbox's
    /// simulator knows (`conversations::Mailbox::simulated_recruiter`).
    pub simulated_recruiter_inbox: bool,
}

impl Default for LinkedinConfig {
    /// The live settings: the latest conversations id seen paging (PROVIDERS.md field notes,
    /// October 2026), the messages ids of mautrix-linkedin (`pkg/linkedingo/constants.go`),
    /// discovery on, and a human-like 1–3 s between requests.
    fn default() -> Self {
        LinkedinConfig {
            base_url: LIVE_BASE_URL.to_string(),
            conversations_query_id: "messengerConversations.9501074288a12f3ae9e3c7ea243bccbf"
                .to_string(),
            messages_query_id: "messengerMessages.4088d03bc70c91c3fa68965cb42336de".to_string(),
            messages_by_cursor_query_id: "messengerMessages.34c9888be71c8010fecfb575cb38308f"
                .to_string(),
            min_delay: Duration::from_millis(1000),
            max_delay: Duration::from_millis(3000),
            request_timeout: Duration::from_secs(30),
            discover_query_ids: true,
            simulated_recruiter_inbox: false,
        }
    }
}

impl LinkedinConfig {
    /// Settings for the sandbox's simulator at `base_url`: no pacing (nobody to look human
    /// to), and the simulator's Recruiter inbox.
    pub fn sandbox(base_url: impl Into<String>) -> Self {
        LinkedinConfig {
            base_url: base_url.into(),
            min_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            simulated_recruiter_inbox: true,
            ..LinkedinConfig::default()
        }
    }
}

/// The folder a chat of an inbox is filed in.
pub fn folder(inbox: LinkedinProduct) -> &'static str {
    match inbox {
        LinkedinProduct::Classic => "INBOX",
        LinkedinProduct::Recruiter => "INBOX_LINKEDIN_RECRUITER",
        LinkedinProduct::SalesNavigator => "INBOX_LINKEDIN_SALES_NAVIGATOR",
    }
}

/// The connector of live LinkedIn accounts (and, pointed at the simulator, of sandbox ones).
#[derive(Debug, Clone)]
pub struct LinkedinConnector {
    config: LinkedinConfig,
}

impl LinkedinConnector {
    pub fn new(config: LinkedinConfig) -> Self {
        LinkedinConnector { config }
    }

    pub fn config(&self) -> &LinkedinConfig {
        &self.config
    }
}

/// The inboxes an account has, from what its credentials carry: the classic inbox always;
/// Recruiter with a `recruiter_contract_id` (Unipile binds an account to one premium product,
/// its contract chosen by that id); Sales Navigator with the `li_a` cookie alone.
pub fn products(credentials: &Credentials, cookies: &SessionCookies) -> Vec<LinkedinProduct> {
    let mut products = vec![LinkedinProduct::Classic];
    let premium = credentials.premium_token.is_some() || cookies.get(cookies::LI_A).is_some();
    if credentials.recruiter_contract_id.is_some() {
        products.push(LinkedinProduct::Recruiter);
    } else if premium {
        products.push(LinkedinProduct::SalesNavigator);
    }
    products
}

/// The session's cookie jar: the secret's cookies and the `premium_token` as `li_a`, unless
/// the jar already has a newer one.
fn jar(credentials: &Credentials) -> Result<SessionCookies, String> {
    let mut cookies = SessionCookies::parse(&credentials.secret)?;
    if let Some(token) = credentials.premium_token.as_deref().map(str::trim) {
        if !cookies::sendable(token) {
            return Err(
                "the premium_token (li_a cookie) is empty or has unexpected characters".into(),
            );
        }
        if cookies.get(cookies::LI_A).is_none() {
            cookies.set(cookies::LI_A, token);
        }
    }
    Ok(cookies)
}

#[async_trait]
impl Connector for LinkedinConnector {
    fn provider(&self) -> ProviderKind {
        ProviderKind::Linkedin
    }

    fn check_credentials(&self, credentials: &Credentials) -> Result<AccountProfile, ApiError> {
        let cookies = jar(credentials).map_err(ApiError::invalid_parameters)?;
        Ok(AccountProfile {
            // Nothing more is known without asking LinkedIn; the first sync learns the rest.
            name: "LinkedIn account".to_string(),
            provider_user_id: None,
            linkedin_products: Some(products(credentials, &cookies)),
        })
    }

    fn inbox_not_implemented(&self, inbox: LinkedinProduct) -> Option<String> {
        (inbox == LinkedinProduct::Recruiter && !self.config.simulated_recruiter_inbox)
            .then(|| RECRUITER_NOT_IMPLEMENTED.to_string())
    }

    async fn open(
        &self,
        request: &ConnectRequest,
    ) -> Result<Box<dyn ProviderSession>, ProviderError> {
        // A credential that no longer parses is a session LinkedIn would not accept either.
        let cookies = jar(&request.credentials).map_err(ProviderError::SessionExpired)?;
        let client = client::VoyagerClient::new(
            &self.config,
            cookies,
            request.credentials.user_agent.as_deref(),
            request.credentials.proxy.as_ref(),
        )?;
        let session = session::LinkedinSession::open(
            client,
            self.config.clone(),
            request.credentials.clone(),
        )
        .await?;
        Ok(Box::new(session))
    }
}
