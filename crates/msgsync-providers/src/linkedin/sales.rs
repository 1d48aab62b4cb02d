//! The Sales Navigator inbox, read as the Sales Navigator web app reads it: its own Rest.li API
//! under `/sales-api/`, not the messenger GraphQL. Requests, decoration and paging as
//! jackwener/OpenCLI reads it (`clis/linkedin/salesnav-inbox.js`, `salesnav-thread.js`):
//!
//! - threads: `GET /sales-api/salesApiMessagingThreads?decoration=…&count=20&filter=INBOX&
//!   q=filter&pageStartsAt=<ms>`, the decoration percent-encoded parentheses included ("returns
//!   HTTP 400 when this decoration is sent with literal parentheses"); the next page starts at
//!   the page's `nextPageStartsAt`; the same cursor twice is an error, not the end.
//! - one thread: `GET /sales-api/salesApiMessagingThreads/<id>?decoration=…&count=1&
//!   messageCount=N`, the newest `N` messages; older ones by asking for more, up to
//!   `totalMessageCount` (`fetchThreadWithPagination`).
//! - participants are `urn:li:fs_salesProfile:(<id>,<authType>,<authToken>)`, described in
//!   `participantsResolutionResults`; `degree` 0 is the account itself; a message's `author`
//!   is a participant URN; `type: SYSTEM_MESSAGE` or `systemMessageContent` marks an event.
//!
//! The session is the account's cookies with Sales Navigator's `li_a` among them (Unipile's
//! `premium_token`, "the Recruiter/Sales Navigator authentication cookie").

use super::client::Kind;
use super::cookies::LI_A;
use super::cursor::{mark, ChatCursor, Decoded};
use super::restli::encode;
use super::sales_read::SalesThread;
use super::session::LinkedinSession;
use crate::{
    ChatPage, ChatPageRequest, MessagePage, MessagePageRequest, ProviderError, ProviderMessage,
};

pub const SALES_THREADS_PATH: &str = "/sales-api/salesApiMessagingThreads";
/// The fields of a thread the web app asks for (OpenCLI's `THREAD_DECORATION`).
pub const SALES_DECORATION: &str = "(id,restrictions,archived,unreadMessageCount,nextPageStartsAt,\
totalMessageCount,messages*(id,type,contentFlag,deliveredAt,lastEditedAt,subject,body,footerText,\
blockCopy,attachments,author,systemMessageContent),participants*~fs_salesProfile(entityUrn,\
firstName,lastName,fullName,degree,profilePictureDisplayImage,objectUrn,inmailRestriction))";
/// Threads per page, as both public clients ask.
const SALES_PAGE: u32 = 20;
/// A message cursor of a thread: how many of its newest messages were already given.
const MESSAGES_CURSOR: &str = "sn:";

impl LinkedinSession {
    async fn require_li_a(&self) -> Result<(), ProviderError> {
        match self.client.cookie(LI_A).await {
            Some(_) => Ok(()),
            None => Err(ProviderError::NotSupported(
                "the Sales Navigator inbox needs the account's li_a cookie: reconnect it with \
                 `premium_token`"
                    .into(),
            )),
        }
    }

    pub(super) async fn sales_chats_page(
        &self,
        request: &ChatPageRequest,
    ) -> Result<ChatPage, ProviderError> {
        self.require_li_a().await?;
        let cursor = match ChatCursor::decode(request.cursor.as_deref()) {
            Decoded::Fresh(c) => c,
            Decoded::Legacy => ChatCursor::default(),
        };
        let starts_at = cursor
            .next
            .clone()
            .unwrap_or_else(|| msgsync_core::time::now_ms().to_string());
        let path = format!(
            "{SALES_THREADS_PATH}?decoration={}&count={}&filter=INBOX&q=filter&pageStartsAt={}",
            encode(SALES_DECORATION),
            request.limit.clamp(1, SALES_PAGE),
            encode(&starts_at)
        );
        let body = self.client.get(&path, Kind::Sales).await?;
        let (page, next) = self.reader().sales_threads(&body)?;
        let marks: Vec<u32> = page.iter().map(|(c, _)| mark(&c.provider_id)).collect();
        if cursor.repeats(&marks) {
            return Err(ProviderError::Protocol(format!(
                "Sales Navigator answered the threads before pageStartsAt={starts_at} with a \
                 page already seen"
            )));
        }
        let (taken, ended) = super::conversations::take_page(request, page);
        let mut chats = Vec::with_capacity(taken.len());
        let mut unread = Vec::new();
        for (chat, count) in taken {
            unread.push((chat.provider_id.clone(), count));
            chats.push(chat);
        }
        self.remember(unread);
        let next = next.map(|n| n.to_string());
        let next_cursor = match next {
            Some(n) if !ended && Some(&n) != cursor.next.as_ref() => {
                Some(cursor.after(n, marks).encode())
            }
            _ => None,
        };
        Ok(ChatPage {
            chats,
            next_cursor,
            total: None,
        })
    }

    pub(super) async fn sales_messages_page(
        &self,
        request: &MessagePageRequest,
    ) -> Result<MessagePage, ProviderError> {
        self.require_li_a().await?;
        let offset: usize = match &request.cursor {
            None => 0,
            Some(c) => c
                .strip_prefix(MESSAGES_CURSOR)
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| {
                    ProviderError::Protocol(format!("not a Sales Navigator message cursor: {c}"))
                })?,
        };
        let count = request.limit.clamp(1, super::MAX_MESSAGES_PAGE) as usize;
        let path = format!(
            "{SALES_THREADS_PATH}/{}?decoration={}&count=1&messageCount={}",
            encode(&request.chat_provider_id),
            encode(SALES_DECORATION),
            offset + count
        );
        let body = self.client.get(&path, Kind::Sales).await?;
        let SalesThread {
            mut all,
            people,
            total,
        } = self
            .reader()
            .sales_thread(&body, &request.chat_provider_id)?;
        let mut unread = self.recalled(&request.chat_provider_id).unwrap_or(0);
        for m in all.iter_mut().filter(|m| !m.is_sender) {
            if offset == 0 && unread > 0 {
                m.seen = false;
                unread -= 1;
            }
        }
        let answered = total.map_or(all.len(), |t| t.max(0) as usize);
        let mut page: Vec<ProviderMessage> = all.into_iter().skip(offset).take(count).collect();
        let reached_start = request
            .span
            .after
            .is_some_and(|a| page.last().is_some_and(|m| m.timestamp_ms < a));
        let more = offset + page.len() < answered && page.len() == count;
        page.retain(|m| request.span.contains(m.timestamp_ms));
        page.reverse();
        let senders: Vec<&str> = page.iter().map(|m| m.sender_id.as_str()).collect();
        let attendees = people
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| senders.contains(&a.provider_id.as_str()))
            .collect();
        Ok(MessagePage {
            messages: page,
            next_cursor: (more && !reached_start)
                .then(|| format!("{MESSAGES_CURSOR}{}", offset + count)),
            attendees,
            total: total.map(|t| t.max(0) as u64),
        })
    }
}
