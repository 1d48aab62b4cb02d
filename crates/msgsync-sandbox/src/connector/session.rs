//! A sandbox provider session: latency, faults, then a page of the data set.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use msgsync_providers::{
    AccountProfile, AttachmentDownload, AttachmentRequest, ChatPage, ChatPageRequest, MessagePage,
    MessagePageRequest, ProviderError, ProviderSession,
};

use super::paging;
use crate::generator::Dataset;
use crate::scenario::Fault;

/// What a flaky provider answers, in turn.
const FLAKY: [&str; 3] = [
    "502 Bad Gateway",
    "connection reset by peer",
    "504 Gateway Timeout",
];

/// A flaky provider fails this many requests in a row, then recovers.
const FLAKY_FAILURES: u64 = 3;

/// A fault and the request counter it is driven by.
#[derive(Debug)]
pub(crate) struct FaultState {
    pub(crate) fault: Fault,
    pub(crate) after: u64,
    /// Requests served so far for this account and secret, by every session: a fault must
    /// survive the engine opening a new session.
    pub(crate) served: Arc<AtomicU64>,
}

impl FaultState {
    /// Counts a request and says how it fails, if it does.
    async fn check(&self) -> Result<(), ProviderError> {
        let count = self.served.fetch_add(1, Ordering::SeqCst).wrapping_add(1);
        if count <= self.after {
            return Ok(());
        }
        // 1 for the first request past `fault_after`.
        let nth = count - self.after;
        let why = |what: &str| format!("{what} (sandbox fault `{}`)", self.fault);
        match self.fault {
            Fault::Expired => Err(ProviderError::SessionExpired(why("the session expired"))),
            Fault::AuthKeyDuplicated => Err(ProviderError::SessionExpired(why(
                "the auth key was used from two places at once",
            ))),
            Fault::Deactivated => Err(ProviderError::Deactivated(why("the account was deleted"))),
            Fault::Restricted => Err(ProviderError::Restricted(why("the account is restricted"))),
            Fault::RateLimited if nth == 1 => Err(ProviderError::RateLimited {
                retry_after: Duration::from_secs(1),
            }),
            Fault::Flaky if nth <= FLAKY_FAILURES => {
                let i = usize::try_from(nth - 1).unwrap_or(0) % FLAKY.len();
                Err(ProviderError::Transient(FLAKY[i].to_string()))
            }
            Fault::Down => Err(ProviderError::Unavailable("503 Service Unavailable".into())),
            // No answer ever: the caller's own timeout decides.
            Fault::Timeout => std::future::pending().await,
            // Files in another DC: nothing an in-process session reads changes.
            Fault::RateLimited | Fault::Flaky | Fault::Migrate => Ok(()),
        }
    }
}

pub(crate) struct SandboxSession {
    pub(crate) dataset: Arc<Dataset>,
    pub(crate) latency: Duration,
    pub(crate) fault: Option<FaultState>,
}

impl SandboxSession {
    /// What every request goes through first: the latency, then the fault.
    async fn gate(&self) -> Result<(), ProviderError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        match &self.fault {
            Some(fault) => fault.check().await,
            None => Ok(()),
        }
    }
}

#[async_trait]
impl ProviderSession for SandboxSession {
    async fn account_profile(&self) -> Result<AccountProfile, ProviderError> {
        self.gate().await?;
        let owner = self.dataset.owner();
        Ok(AccountProfile {
            name: owner.name.clone(),
            provider_user_id: Some(owner.id.clone()),
            linkedin_products: None,
        })
    }

    async fn download_attachment(
        &self,
        _request: &AttachmentRequest,
    ) -> Result<AttachmentDownload, ProviderError> {
        Err(ProviderError::NotSupported(
            "the in-process sandbox serves no attachments".into(),
        ))
    }

    async fn chats_page(&self, request: &ChatPageRequest) -> Result<ChatPage, ProviderError> {
        self.gate().await?;
        paging::chats_page(&self.dataset, request)
    }

    async fn messages_page(
        &self,
        request: &MessagePageRequest,
    ) -> Result<MessagePage, ProviderError> {
        self.gate().await?;
        paging::messages_page(&self.dataset, request)
    }
}
