//! The API methods a history sync uses, answered from the scenario's data set.

use std::collections::BTreeMap;

use grammers_tl_types::{
    enums, functions, types, Cursor, Deserializable, Identifiable, Serializable,
};
use msgsync_providers::{ChatKind, ProviderMessage};

use super::catchup;
use super::paging::{self, HistoryQuery};
use super::tl as build;
use super::{media, Account, Asks};
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

/// Methods a key that is not logged in may call: the connection set-up (grammers asks
/// `help.getConfig` on every new connection, before it imports an authorization) and
/// `auth.importAuthorization`, which "can be invoked over an unauthenticated connection"
/// (core.telegram.org/method/auth.importAuthorization).
const WITHOUT_LOGIN: [u32; 3] = [
    functions::help::GetConfig::CONSTRUCTOR_ID,
    functions::help::GetNearestDc::CONSTRUCTOR_ID,
    functions::auth::ImportAuthorization::CONSTRUCTOR_ID,
];

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
            Some(api_id) if api_id <= 0 => err(400, "CONNECTION_API_ID_INVALID"),
            Some(_) => dispatch(acct, &body[cur.pos()..], now),
            None => err(400, "INPUT_FETCH_ERROR"),
        },
        method => {
            acct.count_call(method);
            if !acct.is_authorized() && !WITHOUT_LOGIN.contains(&method) {
                // A key of another DC that has not imported the account's authorization.
                return err(401, "AUTH_KEY_UNREGISTERED");
            }
            call(acct, method, &mut cur, now)
        }
    }
}

/// Answers one API method, its constructor already read.
fn call(acct: &Account, id: u32, cur: &mut Cursor<'_>, now: i32) -> Answer {
    match id {
        functions::help::GetConfig::CONSTRUCTOR_ID => super::auth::get_config(acct, now),
        functions::updates::GetState::CONSTRUCTOR_ID => catchup::get_state(acct, now),
        functions::updates::GetDifference::CONSTRUCTOR_ID => {
            match functions::updates::GetDifference::deserialize(cur) {
                Ok(q) => catchup::get_difference(acct, &q, now),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }
        functions::updates::GetChannelDifference::CONSTRUCTOR_ID => {
            match functions::updates::GetChannelDifference::deserialize(cur) {
                Ok(q) => catchup::get_channel_difference(acct, &q),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }
        functions::help::GetNearestDc::CONSTRUCTOR_ID => catchup::get_nearest_dc(acct),
        functions::users::GetUsers::CONSTRUCTOR_ID => {
            match functions::users::GetUsers::deserialize(cur) {
                Ok(q) => Answer::Result(get_users(acct, &q).to_bytes()),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }
        functions::auth::ExportAuthorization::CONSTRUCTOR_ID => {
            match functions::auth::ExportAuthorization::deserialize(cur) {
                Ok(q) => super::auth::export_authorization(acct, &q),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }
        functions::auth::ImportAuthorization::CONSTRUCTOR_ID => {
            match functions::auth::ImportAuthorization::deserialize(cur) {
                Ok(q) => super::auth::import_authorization(acct, &q),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }
        functions::messages::GetDialogs::CONSTRUCTOR_ID => {
            acct.gate(Asks::Data).unwrap_or_else(|| {
                match functions::messages::GetDialogs::deserialize(cur) {
                    Ok(q) => super::dialogs::get_dialogs(acct, &q),
                    Err(_) => err(400, "INPUT_FETCH_ERROR"),
                }
            })
        }
        functions::messages::GetPeerDialogs::CONSTRUCTOR_ID => {
            acct.gate(Asks::Data).unwrap_or_else(|| {
                match functions::messages::GetPeerDialogs::deserialize(cur) {
                    Ok(q) => super::dialogs::get_peer_dialogs(acct, &q, now),
                    Err(_) => err(400, "INPUT_FETCH_ERROR"),
                }
            })
        }
        functions::messages::GetHistory::CONSTRUCTOR_ID => {
            acct.gate(Asks::Data).unwrap_or_else(|| {
                match functions::messages::GetHistory::deserialize(cur) {
                    Ok(q) => get_history(acct, &q),
                    Err(_) => err(400, "INPUT_FETCH_ERROR"),
                }
            })
        }
        functions::messages::GetMessages::CONSTRUCTOR_ID => {
            acct.gate(Asks::Data).unwrap_or_else(|| {
                match functions::messages::GetMessages::deserialize(cur) {
                    Ok(q) => super::messages::get_messages(acct, &q),
                    Err(_) => err(400, "INPUT_FETCH_ERROR"),
                }
            })
        }
        functions::channels::GetMessages::CONSTRUCTOR_ID => {
            acct.gate(Asks::Data).unwrap_or_else(|| {
                match functions::channels::GetMessages::deserialize(cur) {
                    Ok(q) => super::messages::channel_messages(acct, &q),
                    Err(_) => err(400, "INPUT_FETCH_ERROR"),
                }
            })
        }
        functions::upload::GetFile::CONSTRUCTOR_ID => acct.gate(Asks::File).unwrap_or_else(|| {
            match functions::upload::GetFile::deserialize(cur) {
                Ok(q) => media::get_file(acct, &q),
                Err(_) => err(400, "INPUT_FETCH_ERROR"),
            }
        }),
        // What Telegram answers a constructor it does not know at this layer.
        other => Answer::Error(400, format!("INPUT_METHOD_INVALID_{other}")),
    }
}

/// Reads past `initConnection`'s own fields, up to its query; its `api_id`.
fn skip_init_connection(cur: &mut Cursor<'_>) -> Option<i32> {
    let flags = i32::deserialize(cur).ok()?;
    let api_id = i32::deserialize(cur).ok()?;
    for _ in 0..6 {
        String::deserialize(cur).ok()?;
    }
    if flags & 1 != 0 {
        enums::InputClientProxy::deserialize(cur).ok()?;
    }
    if flags & 2 != 0 {
        enums::Jsonvalue::deserialize(cur).ok()?;
    }
    Some(api_id)
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
pub(crate) fn resolve(acct: &Account, peer: &enums::InputPeer) -> Result<Option<u32>, Answer> {
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
    let answer = match info.kind {
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
    };
    Answer::Result(answer.to_bytes())
}
