//! Messages as the simulator writes them, and re-reading them by id: `messages.getMessages`
//! (private chats and basic groups) and `channels.getMessages` (channels), what clients call to
//! refresh a message's file references (core.telegram.org/api/file-references; Telethon's
//! `_DirectDownloadIter` refetches the message on `FILE_REFERENCE_EXPIRED`).
//!
//! Telegram numbers the messages of private chats and basic groups in one sequence per account,
//! so `messages.getMessages` needs no peer. The simulator's ids are per chat (see [`paging`]),
//! so an id may name a message in several chats: `messages.getMessages` answers each of them
//! (a client keeps the one of the chat it asked about), and finds them by looking through the
//! account's chats that were active at the id's time.

use grammers_tl_types::{enums, functions, types, Serializable};
use msgsync_providers::ChatKind;

use super::media;
use super::paging;
use super::rpc::{Answer, People};
use super::tl as build;
use super::Account;
use crate::generator::{ChatInfo, MessageKey};

fn err(code: i32, message: &str) -> Answer {
    Answer::Error(code, message.to_string())
}

/// The message at `key` of a chat under the simulator's id `id`, as TL, its people noted.
pub(crate) fn write<'a>(
    acct: &Account,
    info: &'a ChatInfo,
    key: MessageKey,
    id: i32,
    people: &mut People<'a>,
) -> enums::Message {
    let ds = &acct.dataset;
    let wire = ds.wire_message(info, key);
    let action = wire
        .message
        .is_event
        .then(|| ds.telegram_action(info, key))
        .flatten();
    let date = (wire.message.timestamp_ms.div_euclid(1000)) as i32;
    let media = wire
        .message
        .attachments
        .first()
        .map(|a| media::message_media(acct, info.index, key.index, a, date));
    people.add_message(info, &wire.message, action.as_ref());
    build::message(info, &wire, id, action.as_ref(), media)
}

/// The chat's messages with these ids (`messageEmpty` for the others), in the order asked.
fn find<'a>(
    acct: &Account,
    info: &'a ChatInfo,
    wanted: &[i32],
    people: &mut People<'a>,
) -> Vec<(bool, enums::Message)> {
    let keys = acct
        .dataset
        .message_keys(info.index)
        .unwrap_or_else(|| Vec::new().into());
    let ids = paging::message_ids(&keys, acct.span_start_ms(), acct.id_scale());
    wanted
        .iter()
        .map(|id| match ids.binary_search(id) {
            Ok(pos) => (true, write(acct, info, keys[pos], *id, people)),
            Err(_) => (
                false,
                enums::Message::Empty(types::MessageEmpty {
                    id: *id,
                    peer_id: None,
                }),
            ),
        })
        .collect()
}

/// The ids of `InputMessage`s; only `inputMessageID` names a message here.
fn requested(ids: &[enums::InputMessage]) -> Vec<i32> {
    ids.iter()
        .map(|m| match m {
            enums::InputMessage::Id(m) => m.id,
            _ => 0,
        })
        .collect()
}

/// `messages.getMessages`, after the fault gate.
pub(crate) fn get_messages(acct: &Account, q: &functions::messages::GetMessages) -> Answer {
    let ds = &acct.dataset;
    let wanted = requested(&q.id);
    // An id tells its message's second (see `paging`): only chats active since the oldest
    // asked-for one can hold any of them.
    let since = wanted
        .iter()
        .filter(|id| **id > 0)
        .min()
        .map(|id| acct.span_start_ms() + i64::from(id - 1) / acct.id_scale() * 1000);
    let infos: Vec<ChatInfo> = ds
        .chat_list(None)
        .unwrap_or_default()
        .iter()
        .filter(|e| since.is_some_and(|t| e.last_activity_ms >= t))
        .filter_map(|e| ds.chat_info(e.index))
        .filter(|info| info.kind != ChatKind::Channel)
        .collect();
    let mut people = People::new(ds.owner());
    let mut messages = Vec::new();
    let mut found = vec![false; wanted.len()];
    let mut chats = Vec::new();
    for info in &infos {
        let mut any = false;
        for (i, (hit, m)) in find(acct, info, &wanted, &mut people)
            .into_iter()
            .enumerate()
        {
            if hit {
                found[i] = true;
                any = true;
                messages.push(m);
            }
        }
        if any {
            chats.extend(build::chat(acct.seed(), info));
            if info.kind == ChatKind::Single {
                if let Some(other) = info.members.first() {
                    people.add(info, &other.id);
                }
            }
        }
    }
    for (id, _) in wanted.iter().zip(&found).filter(|(_, f)| !**f) {
        messages.push(enums::Message::Empty(types::MessageEmpty {
            id: *id,
            peer_id: None,
        }));
    }
    let answer = enums::messages::Messages::Messages(types::messages::Messages {
        messages,
        topics: Vec::new(),
        chats,
        users: people.users(acct.seed()),
    });
    Answer::Result(answer.to_bytes())
}

/// `channels.getMessages`, after the fault gate.
pub(crate) fn channel_messages(acct: &Account, q: &functions::channels::GetMessages) -> Answer {
    let enums::InputChannel::Channel(channel) = &q.channel else {
        return err(400, "CHANNEL_INVALID");
    };
    if channel.access_hash != build::access_hash(acct.seed(), channel.channel_id) {
        return err(400, "CHANNEL_INVALID");
    }
    let ds = &acct.dataset;
    let Some(info) = ds
        .chat_index(&format!("-100{}", channel.channel_id))
        .and_then(|i| ds.chat_info(i))
    else {
        return err(400, "CHANNEL_INVALID");
    };
    let wanted = requested(&q.id);
    let mut people = People::new(ds.owner());
    let messages: Vec<enums::Message> = find(acct, &info, &wanted, &mut people)
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    let answer = enums::messages::Messages::ChannelMessages(types::messages::ChannelMessages {
        inexact: false,
        pts: 1,
        count: messages.len() as i32,
        offset_id_offset: None,
        messages,
        topics: Vec::new(),
        chats: build::chat(acct.seed(), &info).into_iter().collect(),
        users: people.users(acct.seed()),
    });
    Answer::Result(answer.to_bytes())
}
