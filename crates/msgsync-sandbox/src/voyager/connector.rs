//! The connector of sandbox LinkedIn accounts: the live connector, pointed at the simulator.

use async_trait::async_trait;
use msgsync_core::{ApiError, ProviderKind};
use msgsync_providers::linkedin::{LinkedinConfig, LinkedinConnector};
use msgsync_providers::{
    AccountProfile, AttachmentDownload, AttachmentRequest, ChatPage, ChatPageRequest,
    ConnectRequest, Connector, Credentials, MessagePage, MessagePageRequest, ProviderError,
    ProviderSession,
};

use super::sandbox_cookies;

/// Sandbox (test-mode) LinkedIn accounts: their scenario becomes cookies of the simulator, and
/// from there on everything goes through [`LinkedinConnector`], the live code path.
pub struct SandboxLinkedinConnector {
    inner: LinkedinConnector,
}

impl SandboxLinkedinConnector {
    /// A connector for the simulator at `base_url` (see
    /// [`VoyagerHandle::base_url`](super::VoyagerHandle::base_url)), without pacing.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_config(LinkedinConfig::sandbox(base_url))
    }

    /// A connector with explicit settings (tests use a short request timeout).
    pub fn with_config(config: LinkedinConfig) -> Self {
        SandboxLinkedinConnector {
            inner: LinkedinConnector::new(config),
        }
    }
}

#[async_trait]
impl Connector for SandboxLinkedinConnector {
    fn provider(&self) -> ProviderKind {
        ProviderKind::Linkedin
    }

    fn check_credentials(&self, credentials: &Credentials) -> Result<AccountProfile, ApiError> {
        crate::credentials::check(ProviderKind::Linkedin, credentials)
    }

    async fn open(
        &self,
        request: &ConnectRequest,
    ) -> Result<Box<dyn ProviderSession>, ProviderError> {
        let scenario = crate::credentials::scenario(ProviderKind::Linkedin, &request.credentials)?;
        // The account id keeps each account's fault counter its own.
        let cookies = sandbox_cookies(&scenario, &request.account_id.to_string());
        let mut live = request.clone();
        live.credentials = Credentials {
            secret: cookies,
            ..request.credentials.clone()
        };
        Ok(Box::new(SandboxSession(self.inner.open(&live).await?)))
    }
}

/// A live session on the simulator, whose cookies stay the simulator's: the account's
/// credential is its scenario, never the cookies made from it.
struct SandboxSession(Box<dyn ProviderSession>);

#[async_trait]
impl ProviderSession for SandboxSession {
    async fn account_profile(&self) -> Result<AccountProfile, ProviderError> {
        self.0.account_profile().await
    }

    async fn chats_page(&self, request: &ChatPageRequest) -> Result<ChatPage, ProviderError> {
        self.0.chats_page(request).await
    }

    async fn messages_page(
        &self,
        request: &MessagePageRequest,
    ) -> Result<MessagePage, ProviderError> {
        self.0.messages_page(request).await
    }

    async fn download_attachment(
        &self,
        request: &AttachmentRequest,
    ) -> Result<AttachmentDownload, ProviderError> {
        self.0.download_attachment(request).await
    }
}
