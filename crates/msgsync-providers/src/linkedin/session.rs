//! A LinkedIn session: the cookies and the query ids at open, the identity, and the walks of
//! each inbox (`conversations`, `messages`, `sales`).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use msgsync_core::LinkedinProduct;

use super::client::{self, Kind, VoyagerClient};
use super::mapping::urn_id;
use super::queries::{discover, discovery_due, QueryBook, MESSAGING_PAGE};
use super::reader::Reader;
use super::skipped::Skipped;
use super::wire::Me;
use super::{LinkedinConfig, ME_PATH, RECRUITER_NOT_IMPLEMENTED};
use crate::{
    AccountProfile, AttachmentDownload, AttachmentRequest, ChatPage, ChatPageRequest, Credentials,
    MessagePage, MessagePageRequest, ProviderError, ProviderSession,
};

// `/me` answers the flat shape (`miniProfile` inline) to `application/json`, as
// mautrix-linkedin reads it; the normalized type would move it to `included`.
const ACCEPT_JSON: &str = "application/json";

/// Remembered per-conversation facts are dropped past this many conversations (a session lives
/// for one sync; this only bounds a pathological one).
const MAX_REMEMBERED: usize = 10_000;

pub(crate) struct LinkedinSession {
    pub(super) client: VoyagerClient,
    pub(super) config: LinkedinConfig,
    pub(super) queries: QueryBook,
    /// The mailbox owner's member id (`ACoAA…`).
    pub(super) profile_id: String,
    /// The owner's name as `/me` gives it (first and last name, else the public identifier).
    owner_name: String,
    /// Per conversation: `lastReadAt` (classic) or the unread count (Sales Navigator), for the
    /// seen flag of its messages.
    pub(super) read_state: Mutex<HashMap<String, i64>>,
    pub(super) skipped: Skipped,
    /// The credentials the session was opened with, to hand back with LinkedIn's new cookies.
    credentials: Credentials,
}

/// An answer of `/voyager/api/me`: the owner's member id and name.
pub(crate) fn read_me(body: &[u8]) -> Result<(String, String), ProviderError> {
    let me: Me = client::parse(body)?;
    // `miniProfile.dashEntityUrn` is `urn:li:fsd_profile:<id>`, the mailbox URN; older
    // answers only carry `entityUrn` (`urn:li:fs_miniProfile:<id>`), with the same id.
    let profile_id = me
        .mini_profile
        .iter()
        .flat_map(|p| [p.dash_entity_urn.as_deref(), p.entity_urn.as_deref()])
        .flatten()
        .find_map(urn_id)
        .ok_or_else(|| ProviderError::Protocol("/voyager/api/me has no miniProfile URN".into()))?
        .to_string();
    let owner_name = me
        .mini_profile
        .as_ref()
        .map(|p| {
            let name = [p.first_name.as_deref(), p.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            match (name.trim(), p.public_identifier.as_deref()) {
                ("", Some(public)) => public.to_string(),
                (name, _) => name.to_string(),
            }
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| profile_id.clone());
    Ok((profile_id, owner_name))
}

/// Whether an error says something about the account (and must not be swallowed by an
/// optional step).
fn about_the_account(e: &ProviderError) -> bool {
    matches!(
        e,
        ProviderError::SessionExpired(_)
            | ProviderError::Restricted(_)
            | ProviderError::RateLimited { .. }
    )
}

impl LinkedinSession {
    pub(crate) async fn open(
        client: VoyagerClient,
        config: LinkedinConfig,
        credentials: Credentials,
    ) -> Result<LinkedinSession, ProviderError> {
        let needs_jsessionid = client.jsessionid().await.is_none();
        let discover_now = config.discover_query_ids && discovery_due(client.base_url());
        if needs_jsessionid || discover_now {
            // A logged-in browser gets its JSESSIONID from the first page it loads with li_at
            // (LinkedIn sets it on that answer; a public client does the same with `/feed/`),
            // and the messaging page names the scripts the query ids are in.
            match client.get(MESSAGING_PAGE, Kind::Page).await {
                Ok(html) => {
                    if discover_now {
                        discover(&client, &String::from_utf8_lossy(&html)).await;
                    }
                }
                Err(e) if needs_jsessionid || about_the_account(&e) => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "LinkedIn's messaging page could not be loaded to discover the query ids; the known ids are used");
                }
            }
            if client.jsessionid().await.is_none() {
                return Err(ProviderError::Protocol(format!(
                    "LinkedIn set no JSESSIONID cookie when {MESSAGING_PAGE} was loaded with the \
                     li_at cookie; give the whole Cookie header of a logged-in browser instead"
                )));
            }
        }
        let queries = QueryBook::new(&config);
        let body = client.get(ME_PATH, Kind::Voyager(ACCEPT_JSON)).await?;
        let (profile_id, owner_name) = read_me(&body)?;
        Ok(LinkedinSession {
            client,
            config,
            queries,
            profile_id,
            owner_name,
            read_state: Mutex::new(HashMap::new()),
            skipped: Skipped::default(),
            credentials,
        })
    }

    /// Loads the messaging page again and reads the query ids from it: whether any was found.
    pub(super) async fn rediscover(&self) -> Result<bool, ProviderError> {
        match self.client.get(MESSAGING_PAGE, Kind::Page).await {
            Ok(html) => Ok(discover(&self.client, &String::from_utf8_lossy(&html)).await > 0),
            Err(e) if about_the_account(&e) => Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "LinkedIn's messaging page could not be loaded to discover the query ids again");
                Ok(false)
            }
        }
    }

    /// The reader of this session's answers.
    pub(super) fn reader(&self) -> Reader<'_> {
        Reader {
            owner: &self.profile_id,
            web: self.client.base_url(),
            skipped: &self.skipped,
        }
    }

    pub(super) fn remember(&self, facts: impl IntoIterator<Item = (String, i64)>) {
        let mut map = self
            .read_state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > MAX_REMEMBERED {
            map.clear();
        }
        map.extend(facts);
    }

    pub(super) fn recalled(&self, thread: &str) -> Option<i64> {
        self.read_state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(thread)
            .copied()
    }
}

#[async_trait]
impl ProviderSession for LinkedinSession {
    async fn account_profile(&self) -> Result<AccountProfile, ProviderError> {
        Ok(AccountProfile {
            name: self.owner_name.clone(),
            provider_user_id: Some(self.profile_id.clone()),
            linkedin_products: None,
        })
    }

    async fn download_attachment(
        &self,
        request: &AttachmentRequest,
    ) -> Result<AttachmentDownload, ProviderError> {
        let attachment = &request.attachment;
        if attachment.kind == "linkedin_post" {
            return Err(ProviderError::NotSupported(
                "a shared LinkedIn post is a link to its page, not a file".into(),
            ));
        }
        let Some(url) = attachment.url.as_deref() else {
            return Err(ProviderError::NotSupported(format!(
                "LinkedIn gave no URL for attachment {} of message {}",
                attachment.id, request.message_provider_id
            )));
        };
        self.client.download(url).await
    }

    async fn chats_page(&self, request: &ChatPageRequest) -> Result<ChatPage, ProviderError> {
        match request.inbox.unwrap_or(LinkedinProduct::Classic) {
            LinkedinProduct::Classic => {
                let mailbox = super::conversations::Mailbox::classic(&self.profile_id);
                self.conversations_page(request, &mailbox).await
            }
            LinkedinProduct::Recruiter if self.config.simulated_recruiter_inbox => {
                let mailbox = super::conversations::Mailbox::simulated_recruiter(&self.profile_id);
                self.conversations_page(request, &mailbox).await
            }
            LinkedinProduct::Recruiter => Err(ProviderError::NotSupported(
                RECRUITER_NOT_IMPLEMENTED.to_string(),
            )),
            LinkedinProduct::SalesNavigator => self.sales_chats_page(request).await,
        }
    }

    async fn messages_page(
        &self,
        request: &MessagePageRequest,
    ) -> Result<MessagePage, ProviderError> {
        match request.inbox.unwrap_or(LinkedinProduct::Classic) {
            LinkedinProduct::SalesNavigator => self.sales_messages_page(request).await,
            LinkedinProduct::Recruiter if !self.config.simulated_recruiter_inbox => Err(
                ProviderError::NotSupported(RECRUITER_NOT_IMPLEMENTED.to_string()),
            ),
            _ => self.graphql_messages_page(request).await,
        }
    }

    fn take_updated_credentials(&self) -> Option<Credentials> {
        let cookies = self.client.take_changed_cookies()?;
        Some(Credentials {
            secret: cookies,
            ..self.credentials.clone()
        })
    }
}
