//! The narrow waist between the sync engine and a messaging service.
//!
//! A [`Connector`] knows one provider: it checks credentials when an account is connected and
//! opens a [`ProviderSession`] for a sync. A session lists chats (newest activity first) and the
//! messages of one chat (pages walked from the newest backwards), with opaque cursors the engine
//! saves after every page. Everything provider-specific (URNs, TL types, flood waits) stays
//! behind these traits and comes out as the provider-neutral values and the typed
//! [`ProviderError`]s of this crate.

mod error;
pub mod linkedin;
mod model;
mod registry;
pub mod telegram;

pub use error::ProviderError;
pub use model::{
    AccountProfile, Attachment, AttachmentDownload, AttachmentRequest, AttachmentSize, ChatKind,
    ChatPage, ChatPageRequest, ConnectRequest, Credentials, LinkedinMember, MessageEventType,
    MessagePage, MessagePageRequest, NetworkDistance, ProviderAttendee, ProviderChat,
    ProviderMessage, ProxyProtocol, ProxySettings, Reaction,
};
pub use registry::Connectors;

use async_trait::async_trait;
use msgsync_core::{ApiError, LinkedinProduct, ProviderKind};

/// One provider's connector, for one mode (live or sandbox).
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    fn provider(&self) -> ProviderKind;

    /// Checks the credentials an API user gives when connecting or reconnecting an account,
    /// without spending provider requests, and tells what is known of the account. A bad
    /// credential is an [`ApiError`] (`invalid_parameters`) whose detail names what is wrong.
    fn check_credentials(&self, credentials: &Credentials) -> Result<AccountProfile, ApiError>;

    /// Why msgsync cannot sync this LinkedIn inbox with this connector, if it cannot (the
    /// resync route answers 501 `feature_not_implemented` with it): an inbox whose listing no
    /// public client shows is refused up front rather than synced as empty.
    fn inbox_not_implemented(&self, _inbox: LinkedinProduct) -> Option<String> {
        None
    }

    /// Opens a session for one sync of one account.
    async fn open(
        &self,
        request: &ConnectRequest,
    ) -> Result<Box<dyn ProviderSession>, ProviderError>;
}

/// A provider session of one account, used by one sync (or one download) at a time.
#[async_trait]
pub trait ProviderSession: Send + Sync {
    /// Who the account is, as the provider tells it (at most one request): its own id at the
    /// provider, its name, and for LinkedIn its inboxes. Connecting and reconnecting an account
    /// ask this, so that a reconnect with another person's credentials is refused.
    async fn account_profile(&self) -> Result<AccountProfile, ProviderError>;

    /// One page of chats, newest activity first. Chats whose last activity is before
    /// `request.span.after` are not returned, and the walk ends there (`next_cursor: None`).
    async fn chats_page(&self, request: &ChatPageRequest) -> Result<ChatPage, ProviderError>;

    /// One page of the messages of one chat. The first page (no cursor) holds the newest
    /// messages at or before `request.span.before`; `next_cursor` leads to older ones and is
    /// `None` once the span's start or the beginning of the chat is reached. Within a page,
    /// messages are oldest first.
    async fn messages_page(
        &self,
        request: &MessagePageRequest,
    ) -> Result<MessagePage, ProviderError>;

    /// Streams one attachment of a message from the provider.
    async fn download_attachment(
        &self,
        request: &AttachmentRequest,
    ) -> Result<AttachmentDownload, ProviderError>;

    /// The account's credentials as the provider changed them since the last call (LinkedIn
    /// sets cookies in its answers), to be stored in place of the old ones; `None` when
    /// nothing changed.
    fn take_updated_credentials(&self) -> Option<Credentials> {
        None
    }
}
