//! A LinkedIn session: the identity, then paged walks of conversations and messages.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use msgsync_core::LinkedinProduct;
use serde_json::Value;

use super::client::VoyagerClient;
use super::mapping::{self, urn_id};
use super::restli::{encode, Value as R};
use super::{
    mailbox, LinkedinConfig, GRAPHQL_PATH, MAX_CONVERSATIONS_PAGE, MAX_MESSAGES_PAGE, ME_PATH,
};
use crate::{
    ChatPage, ChatPageRequest, MessagePage, MessagePageRequest, ProviderError, ProviderSession,
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
    /// `lastReadAt` of the conversations listed so far, for the seen flag of their messages.
    last_read: Mutex<HashMap<String, i64>>,
}

fn data_field<'a>(body: &'a Value, field: &str) -> Result<&'a Value, ProviderError> {
    if let Some(errors) = body.get("errors").filter(|e| !e.is_null()) {
        let shown: String = errors.to_string().chars().take(200).collect();
        return Err(ProviderError::Protocol(format!(
            "LinkedIn GraphQL errors: {shown}"
        )));
    }
    body.get("data")
        .and_then(|d| d.get(field))
        .filter(|v| v.is_object())
        .ok_or_else(|| ProviderError::Protocol(format!("LinkedIn's answer has no `data.{field}`")))
}

fn elements(collection: &Value) -> Result<&Vec<Value>, ProviderError> {
    collection
        .get("elements")
        .and_then(Value::as_array)
        .ok_or_else(|| ProviderError::Protocol("a LinkedIn collection without `elements`".into()))
}

fn cursor_at(collection: &Value, key: &str) -> Option<String> {
    collection
        .get("metadata")
        .and_then(|m| m.get(key))
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

impl LinkedinSession {
    pub(crate) async fn open(
        client: VoyagerClient,
        config: LinkedinConfig,
    ) -> Result<LinkedinSession, ProviderError> {
        client.ensure_jsessionid().await?;
        let me = client.get_json(ME_PATH, ACCEPT_JSON).await?;
        // `miniProfile.dashEntityUrn` is `urn:li:fsd_profile:<id>`, the mailbox URN; older
        // answers only carry `entityUrn` (`urn:li:fs_miniProfile:<id>`), with the same id.
        let profile_id = ["dashEntityUrn", "entityUrn"]
            .iter()
            .filter_map(|k| me.get("miniProfile")?.get(*k)?.as_str())
            .find_map(urn_id)
            .ok_or_else(|| {
                ProviderError::Protocol("/voyager/api/me has no miniProfile URN".into())
            })?
            .to_string();
        Ok(LinkedinSession {
            client,
            config,
            profile_id,
            last_read: Mutex::new(HashMap::new()),
        })
    }

    fn conversation_urn(&self, thread: &str) -> String {
        format!(
            "urn:li:msg_conversation:(urn:li:fsd_profile:{},{thread})",
            self.profile_id
        )
    }

    async fn graphql(&self, query_id: &str, variables: &R) -> Result<Value, ProviderError> {
        let path = format!(
            "{GRAPHQL_PATH}?queryId={}&variables={}",
            encode(query_id),
            variables.write()
        );
        self.client.get_json(&path, ACCEPT_GRAPHQL).await
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
        let collection = data_field(&body, "messengerConversationsByCategoryQuery")?;
        let mut chats = Vec::new();
        let mut read = Vec::new();
        let mut reached_span_start = false;
        for conv in elements(collection)? {
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
            read.push((chat.provider_id.clone(), mapping::last_read_at(conv)));
            chats.push(chat);
        }
        self.remember(&read);
        let next_cursor = cursor_at(collection, "nextCursor")
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
        let (body, field) = match &request.cursor {
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
                (body, "messengerMessagesByAnchorTimestamp")
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
                (body, "messengerMessagesByConversation")
            }
        };
        let collection = data_field(&body, field)?;
        let last_read = self.last_read(&request.chat_provider_id);
        let mut messages = elements(collection)?
            .iter()
            .map(|m| mapping::message(m, &self.profile_id, last_read))
            .collect::<Result<Vec<_>, _>>()?;
        messages.sort_by_key(|m| m.timestamp_ms);
        let oldest = messages.first().map(|m| m.timestamp_ms);
        let reached_start = match (request.span.after, oldest) {
            (Some(after), Some(oldest)) => oldest < after,
            _ => false,
        };
        messages.retain(|m| request.span.contains(m.timestamp_ms));
        let next_cursor = cursor_at(collection, "prevCursor")
            .filter(|_| !reached_start && oldest.is_some())
            .filter(|prev| Some(prev) != request.cursor.as_ref());
        Ok(MessagePage {
            messages,
            next_cursor,
        })
    }
}
