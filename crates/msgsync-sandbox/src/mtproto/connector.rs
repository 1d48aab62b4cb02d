//! Sandbox Telegram accounts through the live connector, pointed at the simulator.

use std::net::SocketAddr;

use async_trait::async_trait;
use msgsync_core::{ApiError, ProviderKind};
use msgsync_providers::telegram::{TelegramConfig, TelegramConnector};
use msgsync_providers::{
    AccountProfile, ConnectRequest, Connector, Credentials, ProviderError, ProviderSession,
};

use super::keys::sandbox_session;

/// The connector of sandbox (test-mode) Telegram accounts: the credential is a scenario; each
/// `open` mints the account's session string for the simulator at `addr` and opens it with the
/// live [`TelegramConnector`], so sandbox traffic takes exactly the live code path.
#[derive(Debug, Clone)]
pub struct SandboxTelegramConnector {
    inner: TelegramConnector,
    addr: SocketAddr,
}

impl SandboxTelegramConnector {
    /// `addr` is the simulator's ([`super::MtprotoHandle::local_addr`]).
    pub fn new(addr: SocketAddr, config: TelegramConfig) -> Self {
        SandboxTelegramConnector {
            inner: TelegramConnector::new(config),
            addr,
        }
    }
}

#[async_trait]
impl Connector for SandboxTelegramConnector {
    fn provider(&self) -> ProviderKind {
        ProviderKind::Telegram
    }

    fn check_credentials(&self, credentials: &Credentials) -> Result<AccountProfile, ApiError> {
        crate::credentials::check(ProviderKind::Telegram, credentials)
    }

    async fn open(
        &self,
        request: &ConnectRequest,
    ) -> Result<Box<dyn ProviderSession>, ProviderError> {
        let scenario = crate::credentials::scenario(ProviderKind::Telegram, &request.credentials)?;
        let session = sandbox_session(&scenario, &request.account_id.to_string(), self.addr);
        let request = ConnectRequest {
            credentials: Credentials {
                secret: session,
                user_agent: None,
                ..Default::default()
            },
            ..request.clone()
        };
        self.inner.open(&request).await
    }
}
