//! The messages of a messenger conversation: the newest page anchored at a time
//! (`messengerMessagesByAnchorTimestamp`), then older pages by `prevCursor`
//! (`messengerMessagesByConversation`), as mautrix-linkedin pages them
//! (`pkg/linkedingo/messages.go`).

use super::client;
use super::graphql::data_field;
use super::mapping::{self, MappedMessage};
use super::queries::Query;
use super::reader::Reader;
use super::restli::Value as R;
use super::session::LinkedinSession;
use super::wire::{Collection, GraphqlAnswer, MessagesData};
use super::MAX_MESSAGES_PAGE;
use crate::{MessagePage, MessagePageRequest, ProviderAttendee, ProviderError};

pub(crate) const BY_ANCHOR: &str = "messengerMessagesByAnchorTimestamp";
pub(crate) const BY_CONVERSATION: &str = "messengerMessagesByConversation";

impl Reader<'_> {
    /// An answer of `messengerMessages` under `field` (the variant's: [`BY_ANCHOR`] or
    /// [`BY_CONVERSATION`]), for conversation `chat` whose owner last read it at `last_read`:
    /// its usable messages in LinkedIn's order, and LinkedIn's `prevCursor` to older ones. A
    /// message msgsync cannot use is skipped and counted; the page fails when none could be
    /// used.
    pub(crate) fn messages(
        &self,
        body: &[u8],
        field: &str,
        chat: &str,
        last_read: Option<i64>,
    ) -> Result<(Vec<MappedMessage>, Option<String>), ProviderError> {
        let answer: GraphqlAnswer<MessagesData> = client::parse(body)?;
        let Collection { elements, metadata } = data_field(self.skipped, answer, field, |data| {
            if field == BY_ANCHOR {
                data.messenger_messages_by_anchor_timestamp
            } else {
                data.messenger_messages_by_conversation
            }
        })?;
        let raw = elements.ok_or_else(|| {
            ProviderError::Protocol(format!("LinkedIn's `{field}` has no `elements`"))
        })?;
        let mut mapped = Vec::with_capacity(raw.len());
        for m in &raw {
            match mapping::message(m, self.owner, last_read, self.web) {
                Ok(m) => mapped.push(m),
                Err(why) => self.skipped.note(why, 1),
            }
        }
        if mapped.is_empty() && !raw.is_empty() {
            return Err(ProviderError::Protocol(format!(
                "none of the {} messages LinkedIn answered for conversation {chat} could be used",
                raw.len()
            )));
        }
        let prev_cursor = metadata
            .and_then(|m| m.prev_cursor)
            .filter(|c| !c.is_empty())
            .map(|c| c.to_string());
        Ok((mapped, prev_cursor))
    }
}

impl LinkedinSession {
    fn conversation_urn(&self, thread: &str) -> String {
        format!(
            "urn:li:msg_conversation:(urn:li:fsd_profile:{},{thread})",
            self.profile_id
        )
    }

    pub(super) async fn graphql_messages_page(
        &self,
        request: &MessagePageRequest,
    ) -> Result<MessagePage, ProviderError> {
        let conversation = R::leaf(self.conversation_urn(&request.chat_provider_id));
        let count = request.limit.clamp(1, MAX_MESSAGES_PAGE);
        // The two variants of the query answer under different fields.
        let (query, vars, field) = match &request.cursor {
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
                (Query::Messages, vars, BY_ANCHOR)
            }
            Some(cursor) => {
                let vars = R::record([
                    ("conversationUrn", conversation),
                    ("count", R::raw(count)),
                    ("prevCursor", R::leaf(cursor.clone())),
                ]);
                (Query::MessagesByCursor, vars, BY_CONVERSATION)
            }
        };
        let (id, body) = self.query(query, &vars, field).await?;
        let last_read = self.recalled(&request.chat_provider_id);
        let (mut mapped, prev_cursor) =
            self.reader()
                .messages(&body, field, &request.chat_provider_id, last_read)?;
        self.queries.confirm(query, &id);
        mapped.sort_by_key(|m| m.message.timestamp_ms);
        let oldest = mapped.first().map(|m| m.message.timestamp_ms);
        let reached_start = match (request.span.after, oldest) {
            (Some(after), Some(oldest)) => oldest < after,
            _ => false,
        };
        mapped.retain(|m| request.span.contains(m.message.timestamp_ms));
        let next_cursor = prev_cursor
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
            // The GraphQL message lists carry no count.
            total: None,
        })
    }
}
