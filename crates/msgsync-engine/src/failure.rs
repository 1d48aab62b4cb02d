//! How a failure of a sync is reported: the error type the route shows on `SYNC_ERROR`, and
//! what it says about the account.

use msgsync_core::{AccountState, ErrorKind};
use msgsync_providers::ProviderError;

/// Why a sync ended with `SYNC_ERROR`.
#[derive(Debug, Clone)]
pub struct SyncFailure {
    pub kind: ErrorKind,
    pub detail: String,
    /// The account state the failure reveals, if any.
    pub account_state: Option<AccountState>,
}

impl SyncFailure {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            account_state: None,
        }
    }

    /// The failure a provider error becomes once it is final (not retryable, or out of retries).
    pub fn from_provider(error: &ProviderError) -> Self {
        let (kind, state) = match error {
            ProviderError::SessionExpired(_) => (
                ErrorKind::ExpiredCredentials,
                Some(AccountState::Credentials),
            ),
            ProviderError::Deactivated(_) => (
                ErrorKind::DisconnectedAccount,
                Some(AccountState::Disconnected),
            ),
            ProviderError::Restricted(_) => {
                (ErrorKind::AccountRestricted, Some(AccountState::Restricted))
            }
            ProviderError::Unavailable(_) => (ErrorKind::ServiceUnavailable, None),
            ProviderError::Timeout => (ErrorKind::RequestTimeout, None),
            ProviderError::NotSupported(_) => (ErrorKind::FeatureNotSubscribed, None),
            ProviderError::RateLimited { .. }
            | ProviderError::Transient(_)
            | ProviderError::Protocol(_) => (ErrorKind::ProviderError, None),
        };
        Self {
            kind,
            detail: error.to_string(),
            account_state: state,
        }
    }
}
