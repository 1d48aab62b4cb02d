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
//! a worker sleeping. Chats come from raw `messages.getDialogs` and messages from
//! `messages.getHistory` (see `session.rs` for the offsets and cursors); attachments stream
//! from `upload.getFile` (`download.rs`).

mod convert;
mod cursor;
mod download;
mod errors;
mod media;
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
}

impl std::fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramConfig")
            .field("api_id", &self.api_id)
            .field("api_hash", &"<redacted>")
            .field("request_timeout", &self.request_timeout)
            .field("device_model", &self.device_model)
            .finish_non_exhaustive()
    }
}

impl Default for TelegramConfig {
    /// Suitable for the sandbox simulator, which accepts any app: no real app id or hash.
    fn default() -> Self {
        TelegramConfig {
            api_id: 0,
            api_hash: String::new(),
            request_timeout: Duration::from_secs(30),
            device_model: "msgsync".into(),
            system_version: std::env::consts::OS.into(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            lang_code: "en".into(),
        }
    }
}

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
