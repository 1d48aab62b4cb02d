//! Sandbox Telegram accounts through the live connector, pointed at the simulator.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use msgsync_core::{ApiError, ProviderKind};
use msgsync_providers::telegram::{DcKeys, TelegramConfig, TelegramConnector};
use msgsync_providers::{
    AccountProfile, ConnectRequest, Connector, Credentials, ProviderError, ProviderSession,
};

use super::keys::{files_dc_key, sandbox_session};

/// Keys of the simulator's other DC: it cannot run the key exchange (see `keys.rs`).
struct SimulatorKeys;

impl DcKeys for SimulatorKeys {
    fn key_for(&self, home_key: &[u8; 256], dc_id: i32) -> Option<[u8; 256]> {
        files_dc_key(home_key, dc_id)
    }
}

/// The connector of sandbox (test-mode) Telegram accounts: the credential is a scenario; each
/// `open` mints the account's session string for the simulator at `addr` and opens it with the
/// live [`TelegramConnector`], so sandbox traffic takes exactly the live code path. Keys of the
/// simulator's other DC come from the simulator, where a live account's come from the key
/// exchange.
#[derive(Debug, Clone)]
pub struct SandboxTelegramConnector {
    inner: TelegramConnector,
    addr: SocketAddr,
}

impl SandboxTelegramConnector {
    /// `addr` is the simulator's ([`super::MtprotoHandle::local_addr`]).
    pub fn new(addr: SocketAddr, config: TelegramConfig) -> Self {
        let config = TelegramConfig {
            dc_keys: Some(config.dc_keys.unwrap_or_else(|| Arc::new(SimulatorKeys))),
            ..config
        };
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
