//! The LinkedIn connector: LinkedIn's Voyager web API, spoken the way the web app speaks it.
//!
//! There is no public API for a member's inbox, so msgsync does what the browser does: the
//! member's `li_at` / `JSESSIONID` cookies, the web client's headers, and the messenger GraphQL
//! queries (`messengerConversations`, `messengerMessages`). The sandbox's Voyager simulator
//! answers the same requests, so sandbox accounts go through exactly this code.
//!
//! - [`cookies`]: what an API user may hand over as the credential.
//! - `client`: one HTTP client per session, its headers, pacing, and the translation of
//!   LinkedIn's failure signals into [`ProviderError`]s.
//! - `session`: the paging walks behind [`ProviderSession`].
//! - `wire`: the parts of Voyager's JSON the connector reads, as typed serde structs that
//!   borrow from the response body.
//! - `mapping`: those records to [`ProviderChat`](crate::ProviderChat) /
//!   [`ProviderMessage`](crate::ProviderMessage).
//! - [`restli`]: the Rest.li tuple syntax of GraphQL `variables`.

mod client;
pub mod cookies;
mod mapping;
pub mod restli;
mod session;
mod wire;

use std::time::Duration;

use async_trait::async_trait;
use msgsync_core::{ApiError, LinkedinProduct, ProviderKind};

use crate::{
    AccountProfile, ConnectRequest, Connector, Credentials, ProviderError, ProviderSession,
};
pub use client::{DEFAULT_USER_AGENT, X_LI_TRACK};
pub use cookies::SessionCookies;

/// The live host of the Voyager API.
pub const LIVE_BASE_URL: &str = "https://www.linkedin.com";
/// The path of the messenger GraphQL endpoint.
pub const GRAPHQL_PATH: &str = "/voyager/api/voyagerMessagingGraphQL/graphql";
/// The path of the identity endpoint.
pub const ME_PATH: &str = "/voyager/api/me";
/// An anonymous GET here sets a fresh `JSESSIONID` (what the browser gets on its first visit).
pub const AUTHENTICATE_PATH: &str = "/uas/authenticate";

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
    /// `messengerConversations.<hash>`: the hash changes when LinkedIn redeploys.
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
}

impl Default for LinkedinConfig {
    /// The live settings: the query ids the web app used when mautrix-linkedin last updated
    /// them (`pkg/linkedingo/constants.go`), and a human-like 1–3 s between requests.
    fn default() -> Self {
        LinkedinConfig {
            base_url: LIVE_BASE_URL.to_string(),
            conversations_query_id: "messengerConversations.8656fb361a8ad0c178e8d3ff1a84ce26"
                .to_string(),
            messages_query_id: "messengerMessages.4088d03bc70c91c3fa68965cb42336de".to_string(),
            messages_by_cursor_query_id: "messengerMessages.34c9888be71c8010fecfb575cb38308f"
                .to_string(),
            min_delay: Duration::from_millis(1000),
            max_delay: Duration::from_millis(3000),
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl LinkedinConfig {
    /// Settings for a simulator at `base_url`: no pacing (nobody to look human to).
    pub fn sandbox(base_url: impl Into<String>) -> Self {
        LinkedinConfig {
            base_url: base_url.into(),
            min_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            ..LinkedinConfig::default()
        }
    }
}

/// The mailbox URN and conversation categories of each inbox.
///
/// The classic inbox is the member's own mailbox (`urn:li:fsd_profile:<id>`, from
/// `/voyager/api/me`), listed by the union of the `INBOX` and `ARCHIVE` categories so that
/// archived threads are synced too. Recruiter and Sales Navigator keep their threads in
/// mailboxes of their own; no open-source client reads them, so their URNs
/// (`urn:li:fsd_recruiterMailbox:<id>`, `urn:li:fsd_salesMailbox:<id>`) are msgsync's
/// convention, and both are listed by the `INMAIL` category their threads carry.
pub fn mailbox(inbox: LinkedinProduct, profile_id: &str) -> (String, &'static [&'static str]) {
    match inbox {
        LinkedinProduct::Classic => (
            format!("urn:li:fsd_profile:{profile_id}"),
            &["INBOX", "ARCHIVE"],
        ),
        LinkedinProduct::Recruiter => (
            format!("urn:li:fsd_recruiterMailbox:{profile_id}"),
            &["INMAIL"],
        ),
        LinkedinProduct::SalesNavigator => {
            (format!("urn:li:fsd_salesMailbox:{profile_id}"), &["INMAIL"])
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

#[async_trait]
impl Connector for LinkedinConnector {
    fn provider(&self) -> ProviderKind {
        ProviderKind::Linkedin
    }

    fn check_credentials(&self, credentials: &Credentials) -> Result<AccountProfile, ApiError> {
        SessionCookies::parse(&credentials.secret).map_err(ApiError::invalid_parameters)?;
        Ok(AccountProfile {
            // Nothing more is known without asking LinkedIn; the first sync learns the rest.
            name: "LinkedIn account".to_string(),
            provider_user_id: None,
            linkedin_products: None,
        })
    }

    async fn open(
        &self,
        request: &ConnectRequest,
    ) -> Result<Box<dyn ProviderSession>, ProviderError> {
        // A credential that no longer parses is a session LinkedIn would not accept either.
        let cookies = SessionCookies::parse(&request.credentials.secret)
            .map_err(ProviderError::SessionExpired)?;
        let client = client::VoyagerClient::new(
            &self.config,
            cookies,
            request.credentials.user_agent.as_deref(),
        )?;
        let session = session::LinkedinSession::open(client, self.config.clone()).await?;
        Ok(Box::new(session))
    }
}
