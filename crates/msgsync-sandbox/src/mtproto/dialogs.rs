//! The dialog list: `messages.getDialogs` and `messages.getPeerDialogs`.
//!
//! **Pinned dialogs.** A scenario's `pinned=N` pins the account's N oldest chats (CONTRACT §6),
//! in the order of the chat list (the newest of them first). Telegram lists pinned dialogs
//! first, out of date order: grammers' `iter_dialogs` and Telethon's `_DialogsIter` both take
//! the next page's offset date and id from the last dialog *that has a message* rather than
//! from the last message of the answer, because "pinned dialogs will mess with the order in
//! this list" (Telethon, `client/dialogs.py`, commit 31a26c0a), and both set `exclude_pinned`
//! from the second page on. The simulator answers the way those clients guard against:
//! - without `exclude_pinned`, every page starts with all the pinned dialogs (flag `pinned`),
//!   on top of `limit` others from the offset: Telethon's commit 8b1cc4c8 ("Better handle
//!   pinned dialogs") notes that a page holds more dialogs than `limit` "when there are pinned
//!   dialogs", and a client that keeps asking without `exclude_pinned` sees them again (issue
//!   10); with `exclude_pinned`, no pinned dialog at all;
//! - the offsets (`paging::dialogs_start`) apply to the dialogs that are not pinned, which a
//!   pinned dialog is not one of: an `offset_peer` that is pinned is not found there, and the
//!   page starts from `offset_date`.
//!
//! `messages.getPeerDialogs` (core.telegram.org/method/messages.getPeerDialogs, "Get dialog info
//! of specified peers") answers the dialogs of the peers asked, in that order, with the
//! account's update state.

use grammers_tl_types::{enums, functions, types, Serializable};
use msgsync_providers::ChatKind;

use super::paging;
use super::rpc::{resolve, Answer, People};
use super::tl as build;
use super::Account;
use crate::generator::{ChatEntry, ChatInfo};

fn err(code: i32, message: &str) -> Answer {
    Answer::Error(code, message.to_string())
}

/// The dialogs, their top messages, and the chats and users they name.
#[derive(Default)]
struct Listing {
    dialogs: Vec<enums::Dialog>,
    messages: Vec<enums::Message>,
    chats: Vec<enums::Chat>,
    users: Vec<enums::User>,
}

/// The indexes of the account's pinned chats: its `pinned` oldest, newest first.
fn pinned(acct: &Account, all: &[ChatEntry]) -> Vec<u32> {
    let n = (acct.scenario.pinned as usize).min(all.len());
    all[all.len() - n..].iter().map(|e| e.index).collect()
}

/// The dialogs of `infos`, in that order; `pinned` says which are.
fn listing(acct: &Account, infos: &[ChatInfo], pinned: &[u32]) -> Listing {
    let ds = &acct.dataset;
    let seed = acct.seed();
    let mut people = People::new(ds.owner());
    let mut out = Listing::default();
    for info in infos {
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
        out.dialogs.push(enums::Dialog::Dialog(types::Dialog {
            pinned: pinned.contains(&info.index),
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
            pts: (info.kind == ChatKind::Channel).then_some(super::catchup::CHANNEL_PTS),
            draft: None,
            folder_id: info.archived.then_some(1),
            ttl_period: None,
        }));
        out.messages.extend(top);
        match build::chat(seed, info) {
            Some(chat) => out.chats.push(chat),
            None => {
                if let Some(other) = info.members.first() {
                    people.add(info, &other.id);
                }
            }
        }
    }
    out.users = people.users(seed);
    out
}

/// `messages.getDialogs`.
pub(crate) fn get_dialogs(acct: &Account, q: &functions::messages::GetDialogs) -> Answer {
    let ds = &acct.dataset;
    let Some(all) = ds.chat_list(None) else {
        return err(500, "INTERNAL");
    };
    let pinned_all = pinned(acct, all);
    // Without `folder_id`, every dialog; folder 1 holds the archived ones, 0 the others.
    let in_folder = |e: &&ChatEntry| match q.folder_id {
        None => true,
        Some(folder) => ds
            .chat_info(e.index)
            .is_some_and(|i| i.archived == (folder == 1)),
    };
    let pinned_here: Vec<ChatEntry> = all
        .iter()
        .filter(in_folder)
        .filter(|e| pinned_all.contains(&e.index))
        .copied()
        .collect();
    let others: Vec<ChatEntry> = all
        .iter()
        .filter(in_folder)
        .filter(|e| !pinned_all.contains(&e.index))
        .copied()
        .collect();
    let dates: Vec<i32> = others
        .iter()
        .map(|e| (e.last_activity_ms / 1000) as i32)
        .collect();
    let offset_pos = match resolve(acct, &q.offset_peer) {
        Ok(Some(index)) => others.iter().position(|e| e.index == index),
        Ok(None) => None,
        Err(answer) => return answer,
    };
    let start = paging::dialogs_start(&dates, offset_pos, q.offset_date);
    let limit = q.limit.clamp(0, paging::MAX_LIMIT) as usize;
    let rest = &others[start..(start + limit).min(others.len())];
    let head: &[ChatEntry] = if q.exclude_pinned { &[] } else { &pinned_here };
    let infos: Vec<ChatInfo> = head
        .iter()
        .chain(rest)
        .filter_map(|e| ds.chat_info(e.index))
        .collect();
    let Listing {
        dialogs,
        messages,
        chats,
        users,
    } = listing(acct, &infos, &pinned_all);
    let total = pinned_here.len() + others.len();
    let complete = start == 0 && dialogs.len() == total;
    let answer = if complete {
        enums::messages::Dialogs::Dialogs(types::messages::Dialogs {
            dialogs,
            messages,
            chats,
            users,
        })
    } else {
        enums::messages::Dialogs::Slice(types::messages::DialogsSlice {
            count: total as i32,
            dialogs,
            messages,
            chats,
            users,
        })
    };
    Answer::Result(answer.to_bytes())
}

/// `messages.getPeerDialogs`.
pub(crate) fn get_peer_dialogs(
    acct: &Account,
    q: &functions::messages::GetPeerDialogs,
    now: i32,
) -> Answer {
    let ds = &acct.dataset;
    let mut infos = Vec::with_capacity(q.peers.len());
    for p in &q.peers {
        let enums::InputDialogPeer::Peer(p) = p else {
            return err(400, "PEER_ID_INVALID");
        };
        match resolve(acct, &p.peer) {
            Ok(Some(index)) => infos.extend(ds.chat_info(index)),
            Ok(None) => return err(400, "PEER_ID_INVALID"),
            Err(answer) => return answer,
        }
    }
    let pinned_all = ds
        .chat_list(None)
        .map(|all| pinned(acct, all))
        .unwrap_or_default();
    let Listing {
        dialogs,
        messages,
        chats,
        users,
    } = listing(acct, &infos, &pinned_all);
    let answer = enums::messages::PeerDialogs::Dialogs(types::messages::PeerDialogs {
        dialogs,
        messages,
        chats,
        users,
        state: enums::updates::State::State(super::catchup::state_of(acct, now)),
    });
    Answer::Result(answer.to_bytes())
}
