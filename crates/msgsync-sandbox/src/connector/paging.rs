//! Paging over a data set, as the in-process connector serves it: keyset cursors, so that a
//! page is found by binary search and never depends on what was served before.

use std::cmp::Reverse;

use msgsync_core::ProviderKind;
use msgsync_providers::{
    ChatPage, ChatPageRequest, MessagePage, MessagePageRequest, ProviderError,
};

use crate::generator::{ChatEntry, Dataset, MessageKey};

/// The most a page holds, whatever the caller asks.
pub(crate) const MAX_PAGE: u32 = 100;
/// LinkedIn's conversation list gives 25 conversations a page.
pub(crate) const LINKEDIN_CHAT_PAGE: u32 = 25;

fn page_size(limit: u32, cap: u32) -> usize {
    // A limit of 0 would give empty pages with a cursor for ever: serve at least one item.
    limit.clamp(1, cap) as usize
}

fn malformed(what: &str, cursor: &str) -> ProviderError {
    let shown: String = cursor.chars().take(64).collect();
    ProviderError::Protocol(format!("malformed {what} cursor `{shown}`"))
}

/// A chat cursor is the last served chat's `lastactivity:providerid`.
fn chat_cursor(ds: &Dataset, e: &ChatEntry) -> String {
    format!(
        "{}:{}",
        e.last_activity_ms,
        ds.chat_provider_id(e.index).unwrap_or_default()
    )
}

fn parse_chat_cursor(cursor: &str) -> Result<(i64, &str), ProviderError> {
    cursor
        .split_once(':')
        .and_then(|(ts, id)| Some((ts.parse::<i64>().ok()?, id)))
        .filter(|(_, id)| !id.is_empty())
        .ok_or_else(|| malformed("chat", cursor))
}

/// A message cursor is the last served (oldest) message's `timestamp:index`.
fn message_cursor(k: &MessageKey) -> String {
    format!("{}:{}", k.timestamp_ms, k.index)
}

fn parse_message_cursor(cursor: &str) -> Result<MessageKey, ProviderError> {
    cursor
        .split_once(':')
        .and_then(|(ts, j)| {
            Some(MessageKey {
                timestamp_ms: ts.parse().ok()?,
                index: j.parse().ok()?,
            })
        })
        .ok_or_else(|| malformed("message", cursor))
}

fn no_inbox(ds: &Dataset, inbox: Option<msgsync_core::LinkedinProduct>) -> ProviderError {
    ProviderError::NotSupported(match (ds.provider(), inbox) {
        (ProviderKind::Linkedin, inbox) => format!(
            "this sandbox account has no {} inbox",
            inbox.unwrap_or(msgsync_core::LinkedinProduct::Classic)
        ),
        (provider, Some(p)) => format!("{provider} has no LinkedIn inboxes (asked for {p})"),
        (provider, None) => format!("{provider} chat list unavailable"),
    })
}

pub(crate) fn chats_page(ds: &Dataset, req: &ChatPageRequest) -> Result<ChatPage, ProviderError> {
    let list = ds
        .chat_list(req.inbox)
        .ok_or_else(|| no_inbox(ds, req.inbox))?;
    let id = |e: &ChatEntry| ds.chat_provider_id(e.index).unwrap_or_default();
    let start = match &req.cursor {
        None => 0,
        Some(cursor) => {
            let (ts, after_id) = parse_chat_cursor(cursor)?;
            // The list is ascending in (newest first, id); skip everything up to the cursor.
            list.partition_point(|e| {
                (Reverse(e.last_activity_ms), id(e)) <= (Reverse(ts), after_id)
            })
        }
    };
    let rest = &list[start..];
    // Chats older than the span's start end the walk.
    let within = match req.span.after {
        Some(after) => rest.partition_point(|e| e.last_activity_ms >= after),
        None => rest.len(),
    };
    let cap = match ds.provider() {
        ProviderKind::Linkedin => LINKEDIN_CHAT_PAGE,
        _ => MAX_PAGE,
    };
    let take = within.min(page_size(req.limit, cap));
    let served = &rest[..take];
    Ok(ChatPage {
        chats: served.iter().filter_map(|e| ds.chat(e.index)).collect(),
        next_cursor: match served.last() {
            Some(last) if take < within => Some(chat_cursor(ds, last)),
            _ => None,
        },
        total: None,
    })
}

pub(crate) fn messages_page(
    ds: &Dataset,
    req: &MessagePageRequest,
) -> Result<MessagePage, ProviderError> {
    if req.inbox.is_some() && ds.chat_list(req.inbox).is_none() {
        return Err(no_inbox(ds, req.inbox));
    }
    let unknown = || {
        let shown: String = req.chat_provider_id.chars().take(80).collect();
        ProviderError::NotSupported(format!("no chat `{shown}` in this sandbox account"))
    };
    let index = ds.chat_index(&req.chat_provider_id).ok_or_else(unknown)?;
    let info = ds.chat_info(index).ok_or_else(unknown)?;
    // With an inbox given, the chat must be in it (as a Recruiter thread is not reachable
    // through the classic API); without one, any chat of the account is served.
    if req.inbox.is_some() && req.inbox != info.inbox {
        return Err(unknown());
    }
    let keys = ds.message_keys(index).ok_or_else(unknown)?;
    let lo = match req.span.after {
        Some(after) => keys.partition_point(|k| k.timestamp_ms < after),
        None => 0,
    };
    let mut hi = match req.span.before {
        Some(before) => keys.partition_point(|k| k.timestamp_ms <= before),
        None => keys.len(),
    };
    if let Some(cursor) = &req.cursor {
        let older_than = parse_message_cursor(cursor)?;
        hi = hi.min(keys.partition_point(|k| *k < older_than));
    }
    let hi = hi.max(lo);
    let start = hi.saturating_sub(page_size(req.limit, MAX_PAGE)).max(lo);
    Ok(MessagePage {
        messages: keys[start..hi]
            .iter()
            .map(|k| ds.message(&info, *k))
            .collect(),
        next_cursor: (start > lo).then(|| message_cursor(&keys[start])),
        attendees: Vec::new(),
        total: None,
    })
}
