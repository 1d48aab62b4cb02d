//! Sandbox Telegram accounts through the live connector, pointed at the simulator.

use std::net::SocketAddr;

use async_trait::async_trait;
use msgsync_core::{ApiError, ProviderKind};
use msgsync_providers::telegram::{TelegramConfig, TelegramConnector};
use msgsync_providers::{
    AccountProfile, ConnectRequest, Connector, Credentials, ProviderError, ProviderSession,
};

use super::keys::sandbox_session;
use crate::generator::account_owner;
use crate::scenario::Scenario;

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

    fn scenario(credentials: &Credentials) -> Result<Scenario, String> {
        Scenario::parse(ProviderKind::Telegram, &credentials.secret)
            .map_err(|e| format!("invalid sandbox scenario: {e}"))
    }
}

#[async_trait]
impl Connector for SandboxTelegramConnector {
    fn provider(&self) -> ProviderKind {
        ProviderKind::Telegram
    }

    fn check_credentials(&self, credentials: &Credentials) -> Result<AccountProfile, ApiError> {
        let scenario = Self::scenario(credentials).map_err(ApiError::invalid_parameters)?;
        let owner = account_owner(ProviderKind::Telegram, &scenario);
        Ok(AccountProfile {
            name: owner.name,
            provider_user_id: Some(owner.id),
            linkedin_products: None,
        })
    }

    async fn open(
        &self,
        request: &ConnectRequest,
    ) -> Result<Box<dyn ProviderSession>, ProviderError> {
        let scenario =
            Self::scenario(&request.credentials).map_err(ProviderError::SessionExpired)?;
        let session = sandbox_session(&scenario, &request.account_id.to_string(), self.addr);
        let request = ConnectRequest {
            credentials: Credentials {
                secret: session,
                user_agent: None,
            },
            ..request.clone()
        };
        self.inner.open(&request).await
    }
}
