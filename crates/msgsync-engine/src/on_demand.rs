//! Provider calls the API makes outside of a sync: who an account is (when it is connected or
//! reconnected) and the bytes of an attachment. Both go through the same connectors, sessions
//! and timeouts as a sync does.

use std::future::Future;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use msgsync_core::time::now_ms;
use msgsync_core::{AccountId, ApiKeyMode, ProviderKind};
use msgsync_providers::{
    AccountProfile, AttachmentDownload, AttachmentRequest, ConnectRequest, Credentials,
    ProviderError, ProviderSession,
};
use msgsync_store::{AccountRecord, StoreError};

use crate::failure::SyncFailure;
use crate::run::OPEN_ROUND_TRIPS;
use crate::worker::Engine;

/// Why a call to a provider on behalf of the API failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("msgsync has no connector for {0} accounts")]
    NoConnector(ProviderKind),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored credentials of this account are unreadable; reconnect it")]
    UnreadableCredentials,
    #[error("the account was deleted")]
    AccountGone,
}

impl Engine {
    /// Opens a session with the credentials an API user gives and asks the provider who the
    /// account is.
    pub async fn identify(
        &self,
        provider: ProviderKind,
        mode: ApiKeyMode,
        account_id: AccountId,
        credentials: Credentials,
    ) -> Result<AccountProfile, CallError> {
        let session = self
            .open_for(provider, mode, account_id, credentials)
            .await?;
        Ok(within(self.config.provider_timeout, session.account_profile()).await?)
    }

    /// Streams one attachment of a message of `account`. The session stays open until the body
    /// has been read (or dropped); a body that stalls for longer than the provider timeout
    /// ends with [`ProviderError::Timeout`].
    pub async fn download_attachment(
        &self,
        account: &AccountRecord,
        request: &AttachmentRequest,
    ) -> Result<AttachmentDownload, CallError> {
        let raw = self
            .store
            .account_credentials(account.id)
            .await?
            .ok_or(CallError::AccountGone)?;
        let credentials: Credentials =
            serde_json::from_slice(&raw).map_err(|_| CallError::UnreadableCredentials)?;
        let result = async {
            let session = self
                .open_for(account.provider, account.mode, account.id, credentials)
                .await?;
            let download = within(
                self.config.provider_timeout,
                session.download_attachment(request),
            )
            .await?;
            Ok::<_, CallError>(keep_open(download, session, self.config.provider_timeout))
        }
        .await;
        if let Err(CallError::Provider(error)) = &result {
            // The same verdict on the account a sync would record (must be reconnected, is
            // restricted, is gone).
            if let Some(state) = SyncFailure::from_provider(error).account_state {
                self.store
                    .account_set_state(account.id, state, now_ms())
                    .await?;
            }
        }
        result
    }

    async fn open_for(
        &self,
        provider: ProviderKind,
        mode: ApiKeyMode,
        account_id: AccountId,
        credentials: Credentials,
    ) -> Result<Box<dyn ProviderSession>, CallError> {
        let connector = self
            .connectors
            .get(provider, mode)
            .ok_or(CallError::NoConnector(provider))?;
        let request = ConnectRequest {
            account_id,
            provider,
            credentials,
        };
        let timeout = self.config.provider_timeout * OPEN_ROUND_TRIPS;
        Ok(within(timeout, connector.open(&request)).await?)
    }
}

async fn within<T>(
    timeout: Duration,
    call: impl Future<Output = Result<T, ProviderError>>,
) -> Result<T, ProviderError> {
    tokio::time::timeout(timeout, call)
        .await
        .unwrap_or(Err(ProviderError::Timeout))
}

/// The download with a body that owns the session it comes from (a session closes its
/// connection when dropped) and gives up when no chunk arrives within `idle`.
fn keep_open(
    download: AttachmentDownload,
    session: Box<dyn ProviderSession>,
    idle: Duration,
) -> AttachmentDownload {
    let body = stream::unfold(Some((download.body, session)), move |state| async move {
        let (mut body, session) = state?;
        match tokio::time::timeout(idle, body.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some((body, session)))),
            Ok(Some(Err(e))) => Some((Err(e), None)),
            Ok(None) => None,
            Err(_) => Some((Err(ProviderError::Timeout), None)),
        }
    })
    .boxed();
    AttachmentDownload { body, ..download }
}
