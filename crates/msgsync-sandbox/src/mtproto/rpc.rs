//! The API methods a history sync uses, answered from the scenario's data set.

use std::collections::BTreeMap;

use grammers_tl_types::{
    enums, functions, types, Cursor, Deserializable, Identifiable, Serializable,
};
use msgsync_providers::{ChatKind, ProviderMessage};

use super::catchup;
use super::paging::{self, HistoryQuery};
use super::tl as build;
use super::{media, Account};
use crate::generator::{ChatInfo, Person, TelegramAction};

/// What the connection does with a request.
#[derive(Debug, PartialEq)]
pub(crate) enum Answer {
    /// The serialized result, for an `rpc_result`.
    Result(Vec<u8>),
    Error(i32, String),
    /// Close the connection without answering (a dropped connection).
    Drop,
    /// Never answer.
    Silence,
}

fn err(code: i32, message: &str) -> Answer {
    Answer::Error(code, message.to_string())
}

/// Answers one request body (after containers and compression were taken apart).
pub(crate) fn dispatch(acct: &Account, body: &[u8], now: i32) -> Answer {
    let mut cur = Cursor::from_slice(body);
    let Ok(id) = u32::deserialize(&mut cur) else {
        return err(400, "INPUT_FETCH_ERROR");
    };
    let rest = &body[cur.pos()..];
    tracing::debug!(
        method = grammers_tl_types::name_for_id(id),
        "sandbox MTProto request"
    );
    match id {
        functions::InvokeWithLayer::<()>::CONSTRUCTOR_ID => match i32::deserialize(&mut cur) {
            Ok(_layer) => dispatch(acct, &body[cur.pos()..], now),
            Err(_) => err(400, "INPUT_FETCH_ERROR"),
        },
        functions::InvokeWithoutUpdates::<()>::CONSTRUCTOR_ID => dispatch(acct, rest, now),
        functions::InitConnection::<()>::CONSTRUCTOR_ID => match skip_init_connection(&mut cur) {
            Some(()) => dispatch(acct, &body[cur.pos()..], now),
            None => err(400, "INPUT_FETCH_ERROR"),
        },
        functions::help::GetConfig::CONSTRUCTOR_ID => {
            let addr = acct.local_addr;
            super::config::config(now, 2, addr.ip().to_string(), addr.port(), addr.is_ipv6())
                .to_bytes()
                .pipe(Answer::Result)
        }
        functions::updates::GetState::CONSTRUCTOR_ID => catchup::get_state(acct, now),
        functions::updates::GetDifference::CONSTRUCTOR_ID => {
            match functions::updates::GetDifference::deserialize(&mut cur) {
                Ok(q) => catchup::get_difference(acct, &q, now),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }
        functions::updates::GetChannelDifference::CONSTRUCTOR_ID => {
            match functions::updates::GetChannelDifference::deserialize(&mut cur) {
                Ok(q) => catchup::get_channel_difference(acct, &q),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }
        functions::help::GetNearestDc::CONSTRUCTOR_ID => catchup::get_nearest_dc(),
        functions::users::GetUsers::CONSTRUCTOR_ID => {
            match functions::users::GetUsers::deserialize(&mut cur) {
                Ok(q) => get_users(acct, &q).to_bytes().pipe(Answer::Result),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }
        functions::messages::GetDialogs::CONSTRUCTOR_ID => acct.gate().unwrap_or_else(|| {
            match functions::messages::GetDialogs::deserialize(&mut cur) {
                Ok(q) => get_dialogs(acct, &q),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }),
        functions::messages::GetHistory::CONSTRUCTOR_ID => acct.gate().unwrap_or_else(|| {
            match functions::messages::GetHistory::deserialize(&mut cur) {
                Ok(q) => get_history(acct, &q),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }),
        functions::messages::GetMessages::CONSTRUCTOR_ID => acct.gate().unwrap_or_else(|| {
            match functions::messages::GetMessages::deserialize(&mut cur) {
                Ok(q) => super::messages::get_messages(acct, &q),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }),
        functions::channels::GetMessages::CONSTRUCTOR_ID => acct.gate().unwrap_or_else(|| {
            match functions::channels::GetMessages::deserialize(&mut cur) {
                Ok(q) => super::messages::channel_messages(acct, &q),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }),
        functions::upload::GetFile::CONSTRUCTOR_ID => {
            acct.gate()
                .unwrap_or_else(|| match functions::upload::GetFile::deserialize(&mut cur) {
                    Ok(q) => media::get_file(acct, &q),
                    Err(_) => err(400, "INPUT_FETCH_ERROR"),
                })
        }
        // What Telegram answers a constructor it does not know at this layer.
        other => Answer::Error(400, format!("INPUT_METHOD_INVALID_{other}")),
    }
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}

/// Reads past `initConnection`'s own fields, up to its query.
fn skip_init_connection(cur: &mut Cursor<'_>) -> Option<()> {
    let flags = i32::deserialize(cur).ok()?;
    let _api_id = i32::deserialize(cur).ok()?;
    for _ in 0..6 {
        String::deserialize(cur).ok()?;
    }
    if flags & 1 != 0 {
        enums::InputClientProxy::deserialize(cur).ok()?;
    }
    if flags & 2 != 0 {
        enums::Jsonvalue::deserialize(cur).ok()?;
    }
    Some(())
}

fn get_users(acct: &Account, q: &functions::users::GetUsers) -> Vec<enums::User> {
    let owner = acct.dataset.owner();
    let owner_id: i64 = owner.id.parse().unwrap_or(0);
    q.id.iter()
        .map(|u| match u {
            enums::InputUser::UserSelf => build::user(acct.seed(), owner, true),
            enums::InputUser::User(u) if u.user_id == owner_id => {
                build::user(acct.seed(), owner, true)
            }
            other => enums::User::Empty(types::UserEmpty {
                id: match other {
                    enums::InputUser::User(u) => u.user_id,
                    _ => 0,
                },
            }),
        })
        .collect()
}

/// The chat an input peer names, checking its access hash as Telegram does.
fn resolve(acct: &Account, peer: &enums::InputPeer) -> Result<Option<u32>, Answer> {
    let seed = acct.seed();
    let id = match peer {
        enums::InputPeer::User(p) if p.access_hash == build::access_hash(seed, p.user_id) => {
            p.user_id.to_string()
        }
        enums::InputPeer::Chat(p) => format!("-{}", p.chat_id),
        enums::InputPeer::Channel(p) if p.access_hash == build::access_hash(seed, p.channel_id) => {
            format!("-100{}", p.channel_id)
        }
        enums::InputPeer::Channel(_) => return Err(err(400, "CHANNEL_INVALID")),
        enums::InputPeer::Empty => return Ok(None),
        _ => return Err(err(400, "PEER_ID_INVALID")),
    };
    Ok(acct.dataset.chat_index(&id))
}

/// The people a set of messages refers to, with the owner marked as self.
pub(crate) struct People<'a> {
    owner: &'a Person,
    seen: BTreeMap<String, (&'a Person, bool)>,
}

impl<'a> People<'a> {
    pub(crate) fn new(owner: &'a Person) -> Self {
        People {
            owner,
            seen: BTreeMap::new(),
        }
    }

    /// Everyone a message names: its sender, those who reacted, and those its action names.
    pub(crate) fn add_message(
        &mut self,
        info: &'a ChatInfo,
        m: &ProviderMessage,
        action: Option<&TelegramAction>,
    ) {
        self.add(info, &m.sender_id);
        for r in &m.reactions {
            self.add(info, &r.sender_id);
        }
        match action {
            Some(TelegramAction::ChatCreate { users, .. })
            | Some(TelegramAction::ChatAddUser { users }) => {
                for u in users {
                    self.add(info, u);
                }
            }
            Some(TelegramAction::ChatDeleteUser { user: u })
            | Some(TelegramAction::ChatJoinedByLink { inviter: u }) => self.add(info, u),
            _ => {}
        }
    }

    pub(crate) fn add(&mut self, info: &'a ChatInfo, id: &str) {
        if id == self.owner.id {
            self.seen.insert(id.to_string(), (self.owner, true));
        } else if let Some(p) = info.members.iter().find(|p| p.id == id) {
            self.seen.insert(id.to_string(), (p, false));
        }
    }

    pub(crate) fn users(&self, seed: u64) -> Vec<enums::User> {
        self.seen
            .values()
            .map(|(p, is_self)| build::user(seed, p, *is_self))
            .collect()
    }
}

fn get_dialogs(acct: &Account, q: &functions::messages::GetDialogs) -> Answer {
    let ds = &acct.dataset;
    let Some(all) = ds.chat_list(None) else {
        return err(500, "INTERNAL");
    };
    // Without `folder_id`, every dialog; folder 1 holds the archived ones, 0 the others.
    let list: Vec<_> = match q.folder_id {
        None => all.to_vec(),
        Some(folder) => all
            .iter()
            .filter(|e| {
                ds.chat_info(e.index)
                    .is_some_and(|i| i.archived == (folder == 1))
            })
            .copied()
            .collect(),
    };
    let dates: Vec<i32> = list
        .iter()
        .map(|e| (e.last_activity_ms / 1000) as i32)
        .collect();
    let offset_pos = match resolve(acct, &q.offset_peer) {
        Ok(Some(index)) => list.iter().position(|e| e.index == index),
        Ok(None) => None,
        Err(answer) => return answer,
    };
    let start = paging::dialogs_start(&dates, offset_pos, q.offset_date);
    let limit = q.limit.clamp(0, paging::MAX_LIMIT) as usize;
    let page = &list[start..(start + limit).min(list.len())];

    let seed = acct.seed();
    let infos: Vec<ChatInfo> = page.iter().filter_map(|e| ds.chat_info(e.index)).collect();
    let mut people = People::new(ds.owner());
    let (mut dialogs, mut messages, mut chats) = (Vec::new(), Vec::new(), Vec::new());
    for info in &infos {
        let keys = ds
            .message_keys(info.index)
            .unwrap_or_else(|| Vec::new().into());
        let ids = paging::message_ids(&keys, acct.span_start_ms(), acct.id_scale());
        let top = keys
            .last()
            .zip(ids.last())
            .map(|(key, id)| super::messages::write(acct, info, *key, *id, &mut people));
        let top_id = ids.last().copied().unwrap_or(0);
        let pc = ds.provider_chat(info);
        let unread = usize::try_from(pc.unread_count).unwrap_or(0);
        let read_inbox = ids.len().checked_sub(unread + 1).map_or(0, |i| ids[i]);
        dialogs.push(enums::Dialog::Dialog(types::Dialog {
            pinned: false,
            unread_mark: false,
            view_forum_as_messages: false,
            peer: build::peer(info),
            top_message: top_id,
            read_inbox_max_id: read_inbox,
            read_outbox_max_id: top_id,
            unread_count: pc.unread_count as i32,
            unread_mentions_count: 0,
            unread_reactions_count: 0,
            unread_poll_votes_count: 0,
            notify_settings: build::notify_settings(pc.muted_until),
            pts: (info.kind == ChatKind::Channel).then_some(1),
            draft: None,
            folder_id: info.archived.then_some(1),
            ttl_period: None,
        }));
        messages.extend(top);
        match build::chat(seed, info) {
            Some(chat) => chats.push(chat),
            None => {
                if let Some(other) = info.members.first() {
                    people.add(info, &other.id);
                }
            }
        }
    }
    let users = people.users(seed);
    let complete = start == 0 && page.len() == list.len();
    if complete {
        enums::messages::Dialogs::Dialogs(types::messages::Dialogs {
            dialogs,
            messages,
            chats,
            users,
        })
    } else {
        enums::messages::Dialogs::Slice(types::messages::DialogsSlice {
            count: list.len() as i32,
            dialogs,
            messages,
            chats,
            users,
        })
    }
    .to_bytes()
    .pipe(Answer::Result)
}

fn get_history(acct: &Account, q: &functions::messages::GetHistory) -> Answer {
    let ds = &acct.dataset;
    let index = match resolve(acct, &q.peer) {
        Ok(Some(index)) => index,
        Ok(None) => return err(400, "PEER_ID_INVALID"),
        Err(answer) => return answer,
    };
    let (Some(info), Some(keys)) = (ds.chat_info(index), ds.message_keys(index)) else {
        return err(400, "PEER_ID_INVALID");
    };
    let ids = paging::message_ids(&keys, acct.span_start_ms(), acct.id_scale());
    let items: Vec<(i32, i32)> = ids
        .iter()
        .zip(keys.iter())
        .map(|(id, k)| (*id, (k.timestamp_ms / 1000) as i32))
        .collect();
    let window = paging::history_window(
        &items,
        &HistoryQuery {
            offset_id: q.offset_id,
            offset_date: q.offset_date,
            add_offset: q.add_offset,
            limit: q.limit,
            max_id: q.max_id,
            min_id: q.min_id,
        },
    );
    let seed = acct.seed();
    let mut people = People::new(ds.owner());
    let mut messages = Vec::with_capacity(window.len());
    for i in window.clone().rev() {
        messages.push(super::messages::write(
            acct,
            &info,
            keys[i],
            ids[i],
            &mut people,
        ));
    }
    if info.kind == ChatKind::Single {
        if let Some(other) = info.members.first() {
            people.add(&info, &other.id);
        }
    }
    let chats: Vec<enums::Chat> = build::chat(seed, &info).into_iter().collect();
    let users = people.users(seed);
    let count = items.len() as i32;
    match info.kind {
        ChatKind::Channel => {
            enums::messages::Messages::ChannelMessages(types::messages::ChannelMessages {
                inexact: false,
                pts: 1,
                count,
                offset_id_offset: None,
                messages,
                topics: Vec::new(),
                chats,
                users,
            })
        }
        _ if window == (0..items.len()) => {
            enums::messages::Messages::Messages(types::messages::Messages {
                messages,
                topics: Vec::new(),
                chats,
                users,
            })
        }
        _ => enums::messages::Messages::Slice(types::messages::MessagesSlice {
            inexact: false,
            count,
            next_rate: None,
            offset_id_offset: None,
            search_flood: None,
            messages,
            topics: Vec::new(),
            chats,
            users,
        }),
    }
    .to_bytes()
    .pipe(Answer::Result)
}
