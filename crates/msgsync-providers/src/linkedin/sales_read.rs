//! Sales Navigator's answers as the connector reads them (`sales`): the thread list and one
//! thread, in the shape the web app's decoration asks for (`SALES_DECORATION`), into chats,
//! attendees and messages.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::client;
use super::folder;
use super::reader::Reader;
use super::wire::Str;
use crate::{
    ChatKind, LinkedinMember, NetworkDistance, ProviderAttendee, ProviderChat, ProviderError,
    ProviderMessage,
};
use msgsync_core::LinkedinProduct;

const SALES_PROFILE: &str = "urn:li:fs_salesProfile:(";

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

/// The usable threads of a page as chats, each with its unread count, in Sales Navigator's order.
pub(crate) type ThreadsRead = Vec<(ProviderChat, i64)>;

/// A thread's messages and people, as one thread's answer gives them.
pub(crate) struct SalesThread {
    /// The usable messages, newest first (the order the thread gives them in), all seen.
    pub all: Vec<ProviderMessage>,
    /// The participants: (URN, attendee).
    pub people: Vec<(String, ProviderAttendee)>,
    /// `totalMessageCount`.
    pub total: Option<i64>,
}

fn sales_chat(thread: &Thread<'_>, web: &str) -> Result<ProviderChat, &'static str> {
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

impl Reader<'_> {
    /// An answer of the thread list: its usable threads, and where the next page starts (the
    /// least `nextPageStartsAt` of the page). A thread of an unexpected shape, or without what
    /// msgsync needs, is skipped and counted; the page fails when none could be used.
    pub(crate) fn sales_threads(
        &self,
        body: &[u8],
    ) -> Result<(ThreadsRead, Option<i64>), ProviderError> {
        let threads: Threads = client::parse(body)?;
        let raw = threads.elements.ok_or_else(|| {
            ProviderError::Protocol("Sales Navigator's thread list has no `elements`".into())
        })?;
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
            match sales_chat(&thread, self.web) {
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
        Ok((page, next))
    }

    /// An answer of one thread, `chat`. A message of an unexpected shape, or without what
    /// msgsync needs, is skipped and counted; the page fails when none could be used.
    pub(crate) fn sales_thread(
        &self,
        body: &[u8],
        chat: &str,
    ) -> Result<SalesThread, ProviderError> {
        let thread: Thread = client::parse(body)?;
        let people = participants(&thread, self.web);
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
                "none of the {} messages Sales Navigator answered for thread {chat} could be used",
                raw.len()
            )));
        }
        all.sort_by_key(|m| std::cmp::Reverse(m.timestamp_ms));
        Ok(SalesThread {
            all,
            people,
            total: thread.total_message_count,
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
