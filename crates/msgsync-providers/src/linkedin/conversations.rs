//! The conversations of a messenger mailbox, walked one category at a time.
//!
//! Every public client sends exactly one category per `messengerConversations` query (most
//! `PRIMARY_INBOX`, some `INBOX`: mautrix-linkedin `GetConversationsUpdatedBefore`, the
//! captured request of UmairRathore/tradeapp `pythontest/fetchconnections.py`); what LinkedIn
//! does with several is unknown, so the classic inbox is walked as `INBOX`, then `ARCHIVE`,
//! each with its own LinkedIn cursor inside the connector's cursor (`cursor`).
//!
//! A page that repeats one the walk has already seen is not the end of the category: the query
//! the web app runs on page load ignores cursors and answers the first page again (PROVIDERS.md
//! field notes), so the walk tries the next known query id with the same cursor, and fails
//! with the ids and the setting to change when none pages.

use msgsync_core::LinkedinProduct;

use super::client;
use super::cursor::{mark, ChatCursor, Decoded};
use super::graphql::data_field;
use super::mapping;
use super::queries::Query;
use super::reader::Reader;
use super::restli::Value as R;
use super::session::LinkedinSession;
use super::wire::{Collection, Conversation, ConversationsData, GraphqlAnswer};
use super::MAX_CONVERSATIONS_PAGE;
use crate::{ChatPage, ChatPageRequest, ProviderChat, ProviderError};

const FIELD: &str = "messengerConversationsByCategoryQuery";

/// A messenger mailbox and the categories that together hold all its conversations.
pub(crate) struct Mailbox {
    urn: String,
    categories: &'static [&'static str],
    inbox: LinkedinProduct,
}

impl Mailbox {
    /// The member's own mailbox (`urn:li:fsd_profile:<id>`, from `/voyager/api/me`): the inbox
    /// (`INBOX`, focused and other), then the archived conversations (`ARCHIVE`).
    pub(crate) fn classic(profile_id: &str) -> Mailbox {
        Mailbox {
            urn: format!("urn:li:fsd_profile:{profile_id}"),
            categories: &["INBOX", "ARCHIVE"],
            inbox: LinkedinProduct::Classic,
        }
    }

    /// The simulator's Recruiter mailbox. No public client shows how LinkedIn's Recruiter web
    /// app lists its inbox, so live accounts get 501 for it; the Voyager simulator serves the
    /// sandbox's Recruiter threads under this msgsync-made mailbox URN
    /// (`urn:li:fsd_recruiterMailbox:<id>`, category `INMAIL`), which LinkedIn does not know.
    pub(crate) fn simulated_recruiter(profile_id: &str) -> Mailbox {
        Mailbox {
            urn: format!("urn:li:fsd_recruiterMailbox:{profile_id}"),
            categories: &["INMAIL"],
            inbox: LinkedinProduct::Recruiter,
        }
    }
}

/// A paging cursor; an empty one is none.
fn nonempty(cursor: Option<&str>) -> Option<String> {
    cursor.filter(|c| !c.is_empty()).map(str::to_string)
}

/// The usable chats of a page, each with the owner's `lastReadAt`, in LinkedIn's order.
pub(crate) type ChatsRead = Vec<(ProviderChat, Option<i64>)>;

impl Reader<'_> {
    /// An answer of `messengerConversations` in a mailbox of `inbox`: its usable chats and
    /// LinkedIn's cursor to the next page. A conversation of an unexpected shape, or without
    /// what msgsync needs, is skipped and counted; the page fails when none could be used.
    pub(crate) fn conversations(
        &self,
        body: &[u8],
        inbox: LinkedinProduct,
    ) -> Result<(ChatsRead, Option<String>), ProviderError> {
        let answer: GraphqlAnswer<ConversationsData> = client::parse(body)?;
        let Collection { elements, metadata } = data_field(self.skipped, answer, FIELD, |d| {
            d.messenger_conversations_by_category_query
        })?;
        let raw = elements.ok_or_else(|| {
            ProviderError::Protocol(format!("LinkedIn's `{FIELD}` has no `elements`"))
        })?;
        let mut page = Vec::with_capacity(raw.len());
        for r in &raw {
            let Ok(conv) = serde_json::from_str::<Conversation>(r.get()) else {
                self.skipped.note("conversations of an unexpected shape", 1);
                continue;
            };
            match mapping::chat(&conv, self.owner, inbox) {
                Ok(chat) => page.push((chat, conv.last_read_at)),
                Err(why) => self.skipped.note(why, 1),
            }
        }
        if page.is_empty() && !raw.is_empty() {
            return Err(ProviderError::Protocol(format!(
                "none of the {} conversations LinkedIn answered could be used",
                raw.len()
            )));
        }
        let next = nonempty(metadata.as_ref().and_then(|m| m.next_cursor.as_deref()));
        Ok((page, next))
    }
}

impl LinkedinSession {
    pub(super) async fn conversations_page(
        &self,
        request: &ChatPageRequest,
        mailbox: &Mailbox,
    ) -> Result<ChatPage, ProviderError> {
        let cursor = match ChatCursor::decode(request.cursor.as_deref()) {
            Decoded::Fresh(c) => c,
            Decoded::Legacy => {
                tracing::warn!(
                    "a chat cursor saved by an older msgsync (one query for two categories) \
                     cannot be resumed; the walk of this inbox starts over"
                );
                ChatCursor::default()
            }
        };
        let Some(&category) = mailbox.categories.get(cursor.category) else {
            return Ok(ChatPage {
                chats: Vec::new(),
                next_cursor: None,
                total: None,
            });
        };
        let mut vars = vec![
            (
                "query".to_string(),
                R::record([(
                    "predicateUnions",
                    R::List(vec![R::record([(
                        "conversationCategoryPredicate",
                        R::record([("category", R::raw(category))]),
                    )])]),
                )]),
            ),
            (
                "count".to_string(),
                R::raw(request.limit.clamp(1, MAX_CONVERSATIONS_PAGE)),
            ),
            ("mailboxUrn".to_string(), R::leaf(mailbox.urn.clone())),
        ];
        if let Some(next) = &cursor.next {
            vars.push(("nextCursor".to_string(), R::leaf(next.clone())));
        }
        let vars = R::Record(vars);
        let mut failed = Vec::new();
        loop {
            let (id, body) = self.query(Query::Conversations, &vars, FIELD).await?;
            let (page, next) = self.reader().conversations(&body, mailbox.inbox)?;
            let marks: Vec<u32> = page.iter().map(|(c, _)| mark(&c.provider_id)).collect();
            if cursor.repeats(&marks) {
                let why = format!(
                    "LinkedIn answered the next page of the {category} conversations with a \
                     page already seen (query id {id})"
                );
                tracing::info!(reason = %why, "trying the next conversations query id");
                failed.push(id);
                if self.next_id(Query::Conversations, &failed).await? {
                    continue;
                }
                return Err(self.queries.exhausted(Query::Conversations, &why));
            }
            if cursor.next.is_some() {
                // This id pages: it goes first from now on.
                self.queries.confirm(Query::Conversations, &id);
            }
            return Ok(self.keep(request, &cursor, page, marks, next, mailbox));
        }
    }

    /// The chats of a page the walk takes, and where it goes on: newest activity first, the
    /// first chat older than the span's start ends the category, and so does a page whose chats
    /// are all already stored (`known_activity_ms`). A cursor LinkedIn hands back unchanged
    /// ends the category too (PROVIDERS.md: "cursors can repeat — stop when they do").
    fn keep(
        &self,
        request: &ChatPageRequest,
        cursor: &ChatCursor,
        page: ChatsRead,
        marks: Vec<u32>,
        next: Option<String>,
        mailbox: &Mailbox,
    ) -> ChatPage {
        let (taken, ended) = take_page(request, page);
        let mut chats = Vec::with_capacity(taken.len());
        let mut read = Vec::new();
        for (chat, last_read) in taken {
            if let Some(at) = last_read {
                read.push((chat.provider_id.clone(), at));
            }
            chats.push(chat);
        }
        self.remember(read);
        let next_cursor = match next {
            Some(next) if !ended && cursor.next.as_ref() != Some(&next) => {
                Some(cursor.after(next, marks).encode())
            }
            _ => (cursor.category + 1 < mailbox.categories.len())
                .then(|| cursor.next_category().encode()),
        };
        // Voyager's conversation lists carry no count.
        ChatPage {
            chats,
            next_cursor,
            total: None,
        }
    }
}

/// The chats of a page, newest activity first, that a walk takes, and whether the walk of the
/// category ends with this page: at the first chat older than the span's start, and at a page
/// whose chats were all already stored (`known_activity_ms`: everything behind it is older).
pub(super) fn take_page<T>(
    request: &ChatPageRequest,
    page: Vec<(crate::ProviderChat, T)>,
) -> (Vec<(crate::ProviderChat, T)>, bool) {
    let mut ended = page.is_empty();
    let mut known = 0;
    let mut taken = Vec::with_capacity(page.len());
    for (chat, extra) in page {
        if request
            .span
            .after
            .is_some_and(|after| chat.last_activity_ms < after)
        {
            ended = true;
            break;
        }
        if request
            .known_activity_ms
            .is_some_and(|k| chat.last_activity_ms <= k)
        {
            known += 1;
            continue;
        }
        taken.push((chat, extra));
    }
    ended |= known > 0 && taken.is_empty();
    (taken, ended)
}
