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

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::client::{self, Kind};
use super::cookies::LI_A;
use super::cursor::{mark, ChatCursor, Decoded};
use super::folder;
use super::restli::encode;
use super::session::LinkedinSession;
use super::wire::Str;
use crate::{
    ChatKind, ChatPage, ChatPageRequest, LinkedinMember, MessagePage, MessagePageRequest,
    NetworkDistance, ProviderAttendee, ProviderChat, ProviderError, ProviderMessage,
};
use msgsync_core::LinkedinProduct;

pub const SALES_THREADS_PATH: &str = "/sales-api/salesApiMessagingThreads";
/// The fields of a thread the web app asks for (OpenCLI's `THREAD_DECORATION`).
pub const SALES_DECORATION: &str = "(id,restrictions,archived,unreadMessageCount,nextPageStartsAt,\
totalMessageCount,messages*(id,type,contentFlag,deliveredAt,lastEditedAt,subject,body,footerText,\
blockCopy,attachments,author,systemMessageContent),participants*~fs_salesProfile(entityUrn,\
firstName,lastName,fullName,degree,profilePictureDisplayImage,objectUrn,inmailRestriction))";
/// Threads per page, as both public clients ask.
const SALES_PAGE: u32 = 20;
const SALES_PROFILE: &str = "urn:li:fs_salesProfile:(";
const MESSAGES_CURSOR: &str = "sn:";

#[derive(Deserialize)]
struct Threads<'a> {
    #[serde(borrow)]
    elements: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Thread<'a> {
    #[serde(borrow)]
    id: Option<Str<'a>>,
    archived: Option<bool>,
    unread_message_count: Option<i64>,
    next_page_starts_at: Option<i64>,
    total_message_count: Option<i64>,
    #[serde(borrow)]
    messages: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    participants: Option<Vec<Str<'a>>>,
    participants_resolution_results: Option<HashMap<String, Profile>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    first_name: Option<String>,
    last_name: Option<String>,
    full_name: Option<String>,
    /// 0 for the account itself (OpenCLI `isSelfParticipant`); a number or its string.
    degree: Option<serde_json::Value>,
    object_urn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Str<'a>>,
    delivered_at: Option<i64>,
    last_edited_at: Option<i64>,
    #[serde(borrow)]
    subject: Option<Str<'a>>,
    #[serde(borrow)]
    body: Option<Str<'a>>,
    #[serde(borrow)]
    author: Option<Str<'a>>,
    #[serde(borrow)]
    system_message_content: Option<Str<'a>>,
    #[serde(borrow)]
    attachments: Option<Vec<&'a RawValue>>,
}

/// The member id of a Sales Navigator profile URN (its first element), else the URN.
fn profile_id(urn: &str) -> &str {
    urn.strip_prefix(SALES_PROFILE)
        .and_then(|rest| rest.split([',', ')']).next())
        .filter(|id| !id.is_empty())
        .unwrap_or(urn)
}

impl Profile {
    fn name(&self) -> Option<String> {
        let full = self
            .full_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let parts = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        full.map(str::to_string)
            .or_else(|| Some(parts.trim().to_string()).filter(|n| !n.is_empty()))
    }

    fn degree(&self) -> Option<i64> {
        match self.degree.as_ref()? {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

fn nonempty(s: &Option<Str<'_>>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A thread's participants: (URN, attendee), the account first known by its degree.
fn participants(thread: &Thread<'_>, web: &str) -> Vec<(String, ProviderAttendee)> {
    let profiles = thread.participants_resolution_results.as_ref();
    let urns: Vec<String> = match &thread.participants {
        Some(list) => list.iter().map(|u| u.to_string()).collect(),
        None => profiles
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default(),
    };
    urns.into_iter()
        .map(|urn| {
            let profile = profiles.and_then(|p| p.get(&urn));
            let id = profile_id(&urn).to_string();
            let degree = profile.and_then(Profile::degree);
            let lead = urn
                .strip_prefix(SALES_PROFILE)
                .and_then(|r| r.strip_suffix(')'))
                .map(|tuple| format!("{web}/sales/lead/{tuple}"));
            let attendee = ProviderAttendee {
                name: profile
                    .and_then(Profile::name)
                    .unwrap_or_else(|| id.clone()),
                is_self: degree == Some(0),
                profile_url: lead,
                picture_url: None,
                linkedin: Some(LinkedinMember {
                    member_urn: profile
                        .and_then(|p| p.object_urn.clone())
                        .unwrap_or_else(|| urn.clone()),
                    headline: None,
                    network_distance: degree
                        .filter(|d| *d > 0)
                        .and_then(|d| NetworkDistance::parse(&format!("DISTANCE_{d}"))),
                }),
                provider_id: id,
            };
            (urn, attendee)
        })
        .collect()
}

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
        let threads: Threads = client::parse(&body)?;
        let raw = threads.elements.ok_or_else(|| {
            ProviderError::Protocol("Sales Navigator's thread list has no `elements`".into())
        })?;
        let web = self.client.base_url();
        let mut page = Vec::new();
        let mut next: Option<i64> = None;
        for r in &raw {
            let Ok(thread) = serde_json::from_str::<Thread>(r.get()) else {
                self.skipped
                    .note("Sales Navigator threads of an unexpected shape", 1);
                continue;
            };
            if let Some(n) = thread.next_page_starts_at {
                next = Some(next.map_or(n, |m| m.min(n)));
            }
            match self.sales_chat(&thread, web) {
                Ok(chat) => page.push((chat, thread.unread_message_count.unwrap_or(0))),
                Err(why) => self.skipped.note(why, 1),
            }
        }
        if page.is_empty() && !raw.is_empty() {
            return Err(ProviderError::Protocol(format!(
                "none of the {} Sales Navigator threads LinkedIn answered could be used",
                raw.len()
            )));
        }
        let marks: Vec<u32> = page.iter().map(|(c, _)| mark(&c.provider_id)).collect();
        if cursor.repeats(&marks) {
            return Err(ProviderError::Protocol(format!(
                "Sales Navigator answered the threads before pageStartsAt={starts_at} with a \
                 page already seen"
            )));
        }
        let mut chats = Vec::new();
        let mut ended = page.is_empty();
        let mut known = 0;
        let mut unread = Vec::new();
        for (chat, count) in page {
            if request
                .span
                .after
                .is_some_and(|a| chat.last_activity_ms < a)
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
            unread.push((chat.provider_id.clone(), count));
            chats.push(chat);
        }
        ended |= known > 0 && chats.is_empty();
        self.remember(unread);
        let next = next.map(|n| n.to_string());
        let next_cursor = match next {
            Some(n) if !ended && Some(&n) != cursor.next.as_ref() => {
                Some(cursor.after(n, marks).encode())
            }
            _ => None,
        };
        Ok(ChatPage { chats, next_cursor })
    }

    fn sales_chat(&self, thread: &Thread<'_>, web: &str) -> Result<ProviderChat, &'static str> {
        let id = nonempty(&thread.id).ok_or("Sales Navigator threads without `id`")?;
        let mut latest = None;
        let mut inmail = false;
        for m in thread.messages.iter().flatten() {
            if let Ok(m) = serde_json::from_str::<Message>(m.get()) {
                latest = latest.max(m.delivered_at);
                inmail |= nonempty(&m.subject).is_some();
            }
        }
        let last_activity_ms = latest
            .or(thread.next_page_starts_at)
            .ok_or("Sales Navigator threads without a time")?;
        let attendees: Vec<ProviderAttendee> = participants(thread, web)
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        let others: Vec<&ProviderAttendee> = attendees.iter().filter(|a| !a.is_self).collect();
        let group = others.len() > 1;
        Ok(ProviderChat {
            provider_id: id,
            name: Some(
                others
                    .iter()
                    .map(|a| a.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
            .filter(|n| !n.is_empty()),
            kind: if group {
                ChatKind::Group
            } else {
                ChatKind::Single
            },
            last_activity_ms,
            unread_count: thread.unread_message_count.unwrap_or(0),
            archived: thread.archived.unwrap_or(false),
            muted_until: None,
            read_only: false,
            folder: Some(folder(LinkedinProduct::SalesNavigator).to_string()),
            attendee_provider_id: (!group)
                .then(|| others.first().map(|a| a.provider_id.clone()))
                .flatten(),
            content_type: inmail.then(|| "inmail".to_string()),
            inbox: Some(LinkedinProduct::SalesNavigator),
            attendees,
            provider_ref: None,
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
        let thread: Thread = client::parse(&body)?;
        let web = self.client.base_url();
        let people = participants(&thread, web);
        let me = people
            .iter()
            .find(|(_, a)| a.is_self)
            .map(|(urn, _)| urn.clone());
        let raw = thread.messages.as_deref().unwrap_or(&[]);
        let mut all = Vec::with_capacity(raw.len());
        for r in raw {
            let Ok(m) = serde_json::from_str::<Message>(r.get()) else {
                self.skipped
                    .note("Sales Navigator messages of an unexpected shape", 1);
                continue;
            };
            let (Some(id), Some(at), Some(author)) =
                (nonempty(&m.id), m.delivered_at, m.author.as_deref())
            else {
                self.skipped
                    .note("Sales Navigator messages without id, time or author", 1);
                continue;
            };
            if m.attachments.as_ref().is_some_and(|a| !a.is_empty()) {
                // Their shape is in no public client: counted, not guessed at.
                self.skipped
                    .note("Sales Navigator attachments (shape unknown)", 1);
            }
            let is_event =
                m.kind.as_deref() == Some("SYSTEM_MESSAGE") || m.system_message_content.is_some();
            let text = nonempty(&m.body).or_else(|| nonempty(&m.system_message_content));
            all.push(ProviderMessage {
                provider_id: id,
                sender_id: profile_id(author).to_string(),
                text,
                subject: nonempty(&m.subject),
                timestamp_ms: at,
                is_sender: me.as_deref() == Some(author),
                attachments: Vec::new(),
                reactions: Vec::new(),
                seen: true,
                hidden: false,
                deleted: false,
                edited: m.last_edited_at.is_some(),
                is_event,
                delivered: true,
                original: r.get().to_string(),
                event_type: None,
            });
        }
        if all.is_empty() && !raw.is_empty() {
            return Err(ProviderError::Protocol(format!(
                "none of the {} messages Sales Navigator answered for thread {} could be used",
                raw.len(),
                request.chat_provider_id
            )));
        }
        // Newest first, the order the thread gives them in.
        all.sort_by_key(|m| std::cmp::Reverse(m.timestamp_ms));
        let mut unread = self.recalled(&request.chat_provider_id).unwrap_or(0);
        for m in all.iter_mut().filter(|m| !m.is_sender) {
            if offset == 0 && unread > 0 {
                m.seen = false;
                unread -= 1;
            }
        }
        let total = thread
            .total_message_count
            .map_or(all.len(), |t| t.max(0) as usize);
        let mut page: Vec<ProviderMessage> = all.into_iter().skip(offset).take(count).collect();
        let reached_start = request
            .span
            .after
            .is_some_and(|a| page.last().is_some_and(|m| m.timestamp_ms < a));
        let more = offset + page.len() < total && page.len() == count;
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sales_profile_ids() {
        assert_eq!(
            profile_id("urn:li:fs_salesProfile:(ACwAAB,NAME_SEARCH,x1)"),
            "ACwAAB"
        );
        assert_eq!(profile_id("urn:li:member:5"), "urn:li:member:5");
    }
}
