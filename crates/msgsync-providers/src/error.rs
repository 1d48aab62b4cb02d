use std::time::Duration;

/// What can go wrong when talking to a provider, in the engine's terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider throttles this account: wait `retry_after`, then go on.
    #[error("rate limited by the provider, retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// The provider session is no longer valid: the account must be reconnected.
    #[error("the provider session expired: {0}")]
    SessionExpired(String),
    /// The provider account itself is gone: deleted by its owner or banned by the provider.
    /// Unlike an expired session, no new login to the same account can help.
    #[error("the provider account was deleted or banned: {0}")]
    Deactivated(String),
    /// The provider restricted the account.
    #[error("the provider restricted the account: {0}")]
    Restricted(String),
    /// The provider answers that it is unavailable (maintenance, outage).
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider did not answer in time.
    #[error("the provider did not answer in time")]
    Timeout,
    /// A failure that may go away on retry: a 5xx, a dropped connection.
    #[error("transient provider failure: {0}")]
    Transient(String),
    /// The provider answered something we could not understand.
    #[error("unexpected answer from the provider: {0}")]
    Protocol(String),
    /// The account or the provider does not offer what was asked.
    #[error("not supported by the provider: {0}")]
    NotSupported(String),
}

impl ProviderError {
    /// Whether retrying the same request later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::Unavailable(_)
                | ProviderError::Timeout
                | ProviderError::Transient(_)
                | ProviderError::Protocol(_)
        )
    }
}
