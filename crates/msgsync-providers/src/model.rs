//! Provider-neutral values that cross the waist.

use msgsync_core::{AccountId, LinkedinProduct, ProviderKind, Span};

use crate::ProviderError;

pub use msgsync_core::content::{
    Attachment, AttachmentSize, ChatKind, LinkedinMember, MessageEventType, NetworkDistance,
    ProviderAttendee, ProviderChat, ProviderMessage, Reaction,
};
use serde::{Deserialize, Serialize};

/// What an API user hands over to connect an account: the LinkedIn session cookies or the
/// Telegram string session (or a sandbox scenario in test mode), with what goes along.
///
/// Stored encrypted as a whole; none of it is ever returned by the API.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// LinkedIn: the `li_at` cookie or a whole `Cookie` header (the session's cookie jar, kept
    /// up to date by the connector). Telegram: the string session.
    pub secret: String,
    /// The browser user agent the LinkedIn cookies were created with.
    pub user_agent: Option<String>,
    /// The proxy every request of the account goes through (Unipile's `proxy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxySettings>,
    /// LinkedIn: the `li_a` cookie of Recruiter / Sales Navigator (Unipile's `premium_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premium_token: Option<String>,
    /// LinkedIn: the Recruiter contract the account uses (Unipile's `recruiter_contract_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recruiter_contract_id: Option<String>,
}

impl Credentials {
    /// Credentials made of a secret alone.
    pub fn new(secret: impl Into<String>) -> Self {
        Credentials {
            secret: secret.into(),
            ..Credentials::default()
        }
    }
}

impl std::fmt::Debug for Credentials {
    // Credentials never reach a log, not even through a `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("secret", &"<redacted>")
            .field("user_agent", &self.user_agent)
            .field("proxy", &self.proxy)
            .field(
                "premium_token",
                &self.premium_token.as_ref().map(|_| "<redacted>"),
            )
            .field("recruiter_contract_id", &self.recruiter_contract_id)
            .finish()
    }
}

/// How a proxy is spoken to (Unipile's `proxy.protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyProtocol {
    Http,
    Https,
    Socks5,
}

impl ProxyProtocol {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "http" => Some(ProxyProtocol::Http),
            "https" => Some(ProxyProtocol::Https),
            "socks5" => Some(ProxyProtocol::Socks5),
            _ => None,
        }
    }
}

/// An account's proxy (Unipile's `proxy` object).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxySettings {
    pub protocol: ProxyProtocol,
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl ProxySettings {
    /// `host:port`, for messages (never the credentials).
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl std::fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxySettings")
            .field("protocol", &self.protocol)
            .field("address", &self.address())
            .field("username", &self.username.as_ref().map(|_| "<redacted>"))
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What a connector can tell of an account from its credentials alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProfile {
    /// Display name of the account.
    pub name: String,
    /// The account's own id at the provider, when known.
    pub provider_user_id: Option<String>,
    /// LinkedIn inboxes the account has; `None` when unknown or not applicable.
    pub linkedin_products: Option<Vec<LinkedinProduct>>,
}

/// What a connector needs to open a session.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    pub account_id: AccountId,
    pub provider: ProviderKind,
    pub credentials: Credentials,
}

/// Asks for one page of chats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatPageRequest {
    /// The LinkedIn inbox to list; `None` for providers without inboxes.
    pub inbox: Option<LinkedinProduct>,
    /// `None` for the first page.
    pub cursor: Option<String>,
    pub span: Span,
    /// At most this many chats (the connector may cap it lower).
    pub limit: u32,
    /// An incremental (`partial`) sync without a span: every chat of this inbox whose last
    /// activity is at or before it is already stored whole. The walk may end once a whole page
    /// holds only such chats (a recency-ordered inbox has nothing newer behind such a page).
    pub known_activity_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatPage {
    /// Newest activity first.
    pub chats: Vec<ProviderChat>,
    /// `None` when the walk is over.
    pub next_cursor: Option<String>,
    /// How many chats the whole listing holds, where the provider says so (Telegram's
    /// `messages.dialogsSlice.count`); meaningful on a walk's first page.
    pub total: Option<u64>,
}

/// Asks for one page of the messages of one chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePageRequest {
    pub inbox: Option<LinkedinProduct>,
    pub chat_provider_id: String,
    /// The chat's [`ProviderChat::provider_ref`], as the connector wrote it.
    pub chat_provider_ref: Option<String>,
    /// `None` for the newest page within the span.
    pub cursor: Option<String>,
    pub span: Span,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    /// Oldest first within the page.
    pub messages: Vec<ProviderMessage>,
    /// Leads to older messages; `None` when there are none left in the span.
    pub next_cursor: Option<String>,
    /// What the page tells of the senders of its messages (Telegram's `users` and `chats`,
    /// LinkedIn's `sender` participants): every sender the page names, as far as the provider
    /// describes them. A sender missing here is still an attendee, named by its id.
    pub attendees: Vec<ProviderAttendee>,
    /// How many messages the whole chat holds, where the provider says so (Telegram's
    /// `messages.messagesSlice.count`), whatever the span asked.
    pub total: Option<u64>,
}

/// Asks for one attachment of a stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRequest {
    pub inbox: Option<LinkedinProduct>,
    pub chat_provider_id: String,
    /// The chat's [`ProviderChat::provider_ref`], as the sync stored it.
    pub chat_provider_ref: Option<String>,
    pub message_provider_id: String,
    /// The attachment as the sync stored it (its id, and for LinkedIn its `url`).
    pub attachment: Attachment,
}

/// An attachment's bytes, streamed from the provider as they arrive: nothing holds the whole
/// file in memory.
pub struct AttachmentDownload {
    /// The media type the provider gives (else the stored `mimetype` applies).
    pub content_type: Option<String>,
    /// The length in bytes, when the provider says before the body.
    pub length: Option<u64>,
    /// The body; an error ends it (the HTTP answer is then cut short, as its length says).
    pub body: futures::stream::BoxStream<'static, Result<bytes::Bytes, ProviderError>>,
}

impl std::fmt::Debug for AttachmentDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentDownload")
            .field("content_type", &self.content_type)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}
