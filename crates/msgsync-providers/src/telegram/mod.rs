//! Telegram user accounts over MTProto, with grammers.
//!
//! An account is connected with a Telethon string session ([`StringSession`]): its home DC,
//! that DC's address and the auth key bound to the logged-in user. msgsync stores that string
//! (encrypted) and nothing else — no grammers SQLite file per account: each sync builds
//! grammers' in-memory session from it ([`grammers_session::SessionData`]) and connects with the
//! given key, without a key exchange.
//!
//! Requests go through grammers' sender pool with a no-retry policy: a `FLOOD_WAIT_X` comes
//! back at once as [`ProviderError::RateLimited`] so that the engine parks the job instead of
//! a worker sleeping. Chats come from raw `messages.getDialogs` (`dialogs.rs`, pinned dialogs
//! as Telethon pages them) and messages from `messages.getHistory` (`session.rs`); a chat's
//! peer is stored with it so that later syncs and downloads reach it without listing the
//! dialogs (`peers.rs`); attachments stream from `upload.getFile` (`download.rs`), from the
//! DC that stores the file (`dc.rs`).

mod convert;
mod cursor;
mod dc;
mod dialogs;
mod download;
mod errors;
#[cfg(test)]
mod fixture;
mod media;
mod peers;
mod session;
mod string_session;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use msgsync_core::{ApiError, ProviderKind};

use crate::{
    AccountProfile, ConnectRequest, Connector, Credentials, ProviderError, ProviderSession,
};
pub use session::TelegramSession;
pub use string_session::{StringSession, StringSessionError};

/// Auth keys for the DCs other than a session's home DC, where they cannot come from the key
/// exchange.
///
/// Talking to another DC (to download a file stored there) takes a key of that DC; against
/// Telegram, grammers makes one with the key exchange, which only Telegram's RSA keys can start.
/// The sandbox simulator therefore hands its own keys out.
pub trait DcKeys: Send + Sync {
    /// A key that the DC `dc_id` knows and that logs nobody in yet, for the account whose
    /// home-DC key is `home_key`; `None` lets grammers make one with the key exchange.
    fn key_for(&self, home_key: &[u8; 256], dc_id: i32) -> Option<[u8; 256]>;
}

/// How msgsync talks to Telegram.
#[derive(Clone)]
pub struct TelegramConfig {
    /// The app's id from my.telegram.org; live values come from the environment.
    pub api_id: i32,
    /// The app's hash. grammers needs it only to log in, which msgsync never does (accounts
    /// arrive with an auth key); kept so that live configuration is complete and checked.
    pub api_hash: String,
    /// The longest wait for one answer; past it a request is a [`ProviderError::Timeout`].
    pub request_timeout: Duration,
    /// `initConnection`'s description of the client.
    pub device_model: String,
    pub system_version: String,
    pub app_version: String,
    pub lang_code: String,
    /// Where keys of other DCs come from when not from the key exchange (the sandbox).
    pub dc_keys: Option<Arc<dyn DcKeys>>,
}

impl std::fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramConfig")
            .field("api_id", &self.api_id)
            .field("api_hash", &"<redacted>")
            .field("request_timeout", &self.request_timeout)
            .field("device_model", &self.device_model)
            .field("dc_keys", &self.dc_keys.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

impl Default for TelegramConfig {
    /// Suitable for the sandbox simulator, which takes any app with a positive `api_id` (it
    /// cannot know which ones my.telegram.org issued) and no hash.
    fn default() -> Self {
        TelegramConfig {
            api_id: SANDBOX_API_ID,
            api_hash: String::new(),
            request_timeout: Duration::from_secs(30),
            device_model: "msgsync".into(),
            system_version: std::env::consts::OS.into(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            lang_code: "en".into(),
            dc_keys: None,
        }
    }
}

/// The `api_id` of sandbox sessions. Telegram answers an `initConnection` whose `api_id` is 0
/// with `400 CONNECTION_API_ID_INVALID`, and so does the simulator; it takes any positive one.
pub const SANDBOX_API_ID: i32 = 1;

/// The connector of live Telegram accounts (and, pointed at the simulator, sandbox ones).
#[derive(Debug, Clone)]
pub struct TelegramConnector {
    config: Arc<TelegramConfig>,
}

impl TelegramConnector {
    pub fn new(config: TelegramConfig) -> Self {
        TelegramConnector {
            config: Arc::new(config),
        }
    }

    pub fn config(&self) -> &TelegramConfig {
        &self.config
    }

    /// Connects with a decoded session: the first request (the account's own user) proves
    /// that the key still logs the account in.
    pub async fn connect(&self, session: &StringSession) -> Result<TelegramSession, ProviderError> {
        TelegramSession::connect(&self.config, session).await
    }
}

#[async_trait]
impl Connector for TelegramConnector {
    fn provider(&self) -> ProviderKind {
        ProviderKind::Telegram
    }

    fn check_credentials(&self, credentials: &Credentials) -> Result<AccountProfile, ApiError> {
        let session = StringSession::decode(&credentials.secret)
            .map_err(|e| ApiError::invalid_parameters(e.to_string()))?;
        Ok(AccountProfile {
            // The account's name is only known once connected.
            name: format!("Telegram account (DC {})", session.dc_id),
            provider_user_id: None,
            linkedin_products: None,
        })
    }

    async fn open(
        &self,
        request: &ConnectRequest,
    ) -> Result<Box<dyn ProviderSession>, ProviderError> {
        // It was checked at connection time; one that no longer decodes cannot log in.
        let session = StringSession::decode(&request.credentials.secret)
            .map_err(|e| ProviderError::SessionExpired(e.to_string()))?;
        Ok(Box::new(self.connect(&session).await?))
    }
}
