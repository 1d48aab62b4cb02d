//! A LinkedIn session: the identity, then paged walks of conversations and messages.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use msgsync_core::LinkedinProduct;

use super::client::{self, VoyagerClient};
use super::mapping::{self, urn_id};
use super::restli::{encode, Value as R};
use super::wire::{Collection, ConversationsData, GraphqlAnswer, Me, MessagesData, Str};
use super::{
    mailbox, LinkedinConfig, GRAPHQL_PATH, MAX_CONVERSATIONS_PAGE, MAX_MESSAGES_PAGE, ME_PATH,
};
use crate::{
    AccountProfile, AttachmentDownload, AttachmentRequest, ChatPage, ChatPageRequest, MessagePage,
    MessagePageRequest, ProviderAttendee, ProviderError, ProviderSession,
};

const ACCEPT_GRAPHQL: &str = "application/graphql";
// `/me` answers the flat shape (`miniProfile` inline) to `application/json`, as
// mautrix-linkedin reads it; the normalized type would move it to `included`.
const ACCEPT_JSON: &str = "application/json";

/// Remembered `lastReadAt`s are dropped past this many conversations (a session lives for one
/// sync; this only bounds a pathological one).
const MAX_REMEMBERED: usize = 10_000;

pub(crate) struct LinkedinSession {
    client: VoyagerClient,
    config: LinkedinConfig,
    /// The mailbox owner's member id (`ACoAA…`).
    profile_id: String,
    /// The owner's name as `/me` gives it (first and last name, else the public identifier).
    owner_name: String,
    /// `lastReadAt` of the conversations listed so far, for the seen flag of their messages.
    last_read: Mutex<HashMap<String, i64>>,
}

/// The collection of `data.<field>` (picked from `data` by `pick`), unless LinkedIn answered
/// GraphQL errors instead.
fn data_field<'a, D, T>(
    answer: GraphqlAnswer<'a, D>,
    field: &str,
    pick: impl FnOnce(D) -> Option<Collection<'a, T>>,
) -> Result<Collection<'a, T>, ProviderError> {
    if let Some(errors) = answer.errors {
        let shown: String = errors.get().chars().take(200).collect();
        return Err(ProviderError::Protocol(format!(
            "LinkedIn GraphQL errors: {shown}"
        )));
    }
    answer
        .data
        .and_then(pick)
        .ok_or_else(|| ProviderError::Protocol(format!("LinkedIn's answer has no `data.{field}`")))
}

/// A collection's elements, which it must have.
fn required<T>(elements: Option<Vec<T>>) -> Result<Vec<T>, ProviderError> {
    elements
        .ok_or_else(|| ProviderError::Protocol("a LinkedIn collection without `elements`".into()))
}

/// A paging cursor; an empty one is none.
fn cursor(cursor: Option<Str>) -> Option<String> {
    cursor.filter(|c| !c.is_empty()).map(|c| c.to_string())
}

impl LinkedinSession {
    pub(crate) async fn open(
        client: VoyagerClient,
        config: LinkedinConfig,
    ) -> Result<LinkedinSession, ProviderError> {
        client.ensure_jsessionid().await?;
        let body = client.get(ME_PATH, ACCEPT_JSON).await?;
        let me: Me = client::parse(body.as_ref())?;
        // `miniProfile.dashEntityUrn` is `urn:li:fsd_profile:<id>`, the mailbox URN; older
        // answers only carry `entityUrn` (`urn:li:fs_miniProfile:<id>`), with the same id.
        let profile_id = me
            .mini_profile
            .iter()
            .flat_map(|p| [p.dash_entity_urn.as_deref(), p.entity_urn.as_deref()])
            .flatten()
            .find_map(urn_id)
            .ok_or_else(|| {
                ProviderError::Protocol("/voyager/api/me has no miniProfile URN".into())
            })?
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
        Ok(LinkedinSession {
            client,
            config,
            profile_id,
            owner_name,
            last_read: Mutex::new(HashMap::new()),
        })
    }

    fn conversation_urn(&self, thread: &str) -> String {
        format!(
            "urn:li:msg_conversation:(urn:li:fsd_profile:{},{thread})",
            self.profile_id
        )
    }

    /// The body of the answer to a GraphQL query.
    async fn graphql(
        &self,
        query_id: &str,
        variables: &R,
    ) -> Result<impl AsRef<[u8]>, ProviderError> {
        let path = format!(
            "{GRAPHQL_PATH}?queryId={}&variables={}",
            encode(query_id),
            variables.write()
        );
        self.client.get(&path, ACCEPT_GRAPHQL).await
    }

    fn remember(&self, chats: &[(String, Option<i64>)]) {
        let mut map = self
            .last_read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > MAX_REMEMBERED {
            map.clear();
        }
        for (id, at) in chats {
            if let Some(at) = at {
                map.insert(id.clone(), *at);
            }
        }
    }

    fn last_read(&self, thread: &str) -> Option<i64> {
        self.last_read
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
        let inbox = request.inbox.unwrap_or(LinkedinProduct::Classic);
        let (mailbox_urn, categories) = mailbox(inbox, &self.profile_id);
        let predicates = categories
            .iter()
            .map(|c| {
                R::record([(
                    "conversationCategoryPredicate",
                    R::record([("category", R::raw(c))]),
                )])
            })
            .collect();
        let mut vars = vec![
            (
                "query".to_string(),
                R::record([("predicateUnions", R::List(predicates))]),
            ),
            (
                "count".to_string(),
                R::raw(request.limit.clamp(1, MAX_CONVERSATIONS_PAGE)),
            ),
            ("mailboxUrn".to_string(), R::leaf(mailbox_urn)),
        ];
        if let Some(cursor) = &request.cursor {
            vars.push(("nextCursor".to_string(), R::leaf(cursor.clone())));
        }
        let body = self
            .graphql(&self.config.conversations_query_id, &R::Record(vars))
            .await?;
        let Collection { elements, metadata } = data_field(
            client::parse::<GraphqlAnswer<ConversationsData>>(body.as_ref())?,
            "messengerConversationsByCategoryQuery",
            |data| data.messenger_conversations_by_category_query,
        )?;
        let mut chats = Vec::new();
        let mut read = Vec::new();
        let mut reached_span_start = false;
        for conv in &required(elements)? {
            let chat = mapping::chat(conv, &self.profile_id, inbox)?;
            // Newest activity first: the first chat older than the span ends the walk.
            if request
                .span
                .after
                .is_some_and(|after| chat.last_activity_ms < after)
            {
                reached_span_start = true;
                break;
            }
            read.push((chat.provider_id.clone(), conv.last_read_at));
            chats.push(chat);
        }
        self.remember(&read);
        let next_cursor = cursor(metadata.and_then(|m| m.next_cursor))
            // A repeated cursor would loop for ever; an empty page says nothing is left.
            .filter(|_| !reached_span_start && !chats.is_empty())
            .filter(|next| Some(next) != request.cursor.as_ref());
        Ok(ChatPage { chats, next_cursor })
    }

    async fn messages_page(
        &self,
        request: &MessagePageRequest,
    ) -> Result<MessagePage, ProviderError> {
        let conversation = R::leaf(self.conversation_urn(&request.chat_provider_id));
        let count = request.limit.clamp(1, MAX_MESSAGES_PAGE);
        // The two variants of the query answer under different fields.
        let (body, anchored) = match &request.cursor {
            None => {
                let anchor = request
                    .span
                    .before
                    .unwrap_or_else(msgsync_core::time::now_ms);
                let vars = R::record([
                    ("deliveredAt", R::raw(anchor)),
                    ("conversationUrn", conversation),
                    ("countBefore", R::raw(count)),
                    ("countAfter", R::raw(0)),
                ]);
                let body = self.graphql(&self.config.messages_query_id, &vars).await?;
                (body, true)
            }
            Some(cursor) => {
                let vars = R::record([
                    ("conversationUrn", conversation),
                    ("count", R::raw(count)),
                    ("prevCursor", R::leaf(cursor.clone())),
                ]);
                let body = self
                    .graphql(&self.config.messages_by_cursor_query_id, &vars)
                    .await?;
                (body, false)
            }
        };
        let answer: GraphqlAnswer<MessagesData> = client::parse(body.as_ref())?;
        let Collection { elements, metadata } = if anchored {
            data_field(answer, "messengerMessagesByAnchorTimestamp", |data| {
                data.messenger_messages_by_anchor_timestamp
            })?
        } else {
            data_field(answer, "messengerMessagesByConversation", |data| {
                data.messenger_messages_by_conversation
            })?
        };
        let last_read = self.last_read(&request.chat_provider_id);
        let web = self.client.base_url();
        let mut mapped = required(elements)?
            .into_iter()
            .map(|m| mapping::message(m, &self.profile_id, last_read, web))
            .collect::<Result<Vec<_>, _>>()?;
        mapped.sort_by_key(|m| m.message.timestamp_ms);
        let oldest = mapped.first().map(|m| m.message.timestamp_ms);
        let reached_start = match (request.span.after, oldest) {
            (Some(after), Some(oldest)) => oldest < after,
            _ => false,
        };
        mapped.retain(|m| request.span.contains(m.message.timestamp_ms));
        let next_cursor = cursor(metadata.and_then(|m| m.prev_cursor))
            .filter(|_| !reached_start && oldest.is_some())
            .filter(|prev| Some(prev) != request.cursor.as_ref());
        // Each sender once, as their first message on the page describes them.
        let mut attendees: Vec<ProviderAttendee> = Vec::new();
        let mut messages = Vec::with_capacity(mapped.len());
        for m in mapped {
            if let Some(sender) = m.sender {
                if attendees
                    .iter()
                    .all(|a| a.provider_id != sender.provider_id)
                {
                    attendees.push(sender);
                }
            }
            messages.push(m.message);
        }
        Ok(MessagePage {
            messages,
            next_cursor,
            attendees,
        })
    }
}
