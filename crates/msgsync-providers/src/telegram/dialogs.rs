//! Pages of chats from `messages.getDialogs`, pinned dialogs paged as Telethon pages them.
//!
//! Telegram lists pinned dialogs first, out of date order. Telethon's `_DialogsIter`
//! (`telethon/client/dialogs.py`) and grammers 0.11's `DialogIter` both:
//! - ask the first page without `exclude_pinned`, every later one with it;
//! - take the next `offset_date` and `offset_id` from the last dialog *that has a message*
//!   ("We can't use `messages[-1]` as the offset ID / date. Why? Because pinned dialogs will
//!   mess with the order in this list", Telethon commit 31a26c0a), and `offset_peer` from the
//!   last dialog;
//! - end when an answer is a complete `messages.dialogs` or holds fewer dialogs than asked;
//! - Telethon also drops a dialog it has already seen (its `seen` set).
//!
//! On top of that, for msgsync's pages:
//! - a page holds at most the `limit` asked, while a first answer can hold more ("Happens when
//!   there are pinned dialogs", Telethon commit 8b1cc4c8): the rest of it is handed out by the
//!   next pages, which ask the first page again (cursor `first:N`) until it is used up;
//! - a span's walk ends at the first dialog older than its start that is *not* pinned: the
//!   others come newest first, while a pinned one, however old, says nothing of them;
//! - each page's chats are sorted newest first, as `chats_page` promises.

use std::collections::HashMap;

use grammers_tl_types::{enums, types};

use super::convert::{self, Directory};
use super::cursor::{ChatCursor, Offsets};
use crate::{ProviderAttendee, ProviderChat};

/// One `messages.getDialogs` answer.
pub(crate) struct DialogsAnswer {
    /// The dialogs in Telegram's order, each with its top message's date when the answer has
    /// that message; a dialog repeated within the answer is kept once.
    pub(crate) dialogs: Vec<(types::Dialog, Option<i32>)>,
    pub(crate) dir: Directory,
    /// How many dialogs Telegram sent.
    sent: usize,
    /// A `messages.dialogs`: the whole list, nothing after it.
    complete: bool,
}

impl DialogsAnswer {
    pub(crate) fn parse(answer: enums::messages::Dialogs) -> DialogsAnswer {
        let (dialogs, messages, chats, users, complete) = match answer {
            enums::messages::Dialogs::Dialogs(d) => (d.dialogs, d.messages, d.chats, d.users, true),
            enums::messages::Dialogs::Slice(d) => (d.dialogs, d.messages, d.chats, d.users, false),
            enums::messages::Dialogs::NotModified(_) => (vec![], vec![], vec![], vec![], true),
        };
        let dir = Directory::new(&users, &chats);
        let top_dates: HashMap<(String, i32), i32> = messages
            .iter()
            .filter_map(|m| match m {
                enums::Message::Message(m) => Some(((convert::peer_id(&m.peer_id), m.id), m.date)),
                enums::Message::Service(m) => Some(((convert::peer_id(&m.peer_id), m.id), m.date)),
                enums::Message::Empty(_) => None,
            })
            .collect();
        let sent = dialogs.len();
        let mut seen = std::collections::HashSet::new();
        let dialogs = dialogs
            .into_iter()
            .filter_map(|d| match d {
                enums::Dialog::Dialog(d) => Some(d),
                // Folders and communities are not chats.
                enums::Dialog::Folder(_) | enums::Dialog::Community(_) => None,
            })
            .filter(|d| seen.insert(convert::peer_id(&d.peer)))
            .map(|d| {
                let date = top_dates
                    .get(&(convert::peer_id(&d.peer), d.top_message))
                    .copied();
                (d, date)
            })
            .collect();
        DialogsAnswer {
            dialogs,
            dir,
            sent,
            complete,
        }
    }

    /// The offsets of the answer after this one, asked with `limit`; `None` when the list
    /// ends here.
    pub(crate) fn next_offsets(&self, limit: i32) -> Option<Offsets> {
        if self.complete || self.sent < usize::try_from(limit).unwrap_or(0) {
            return None;
        }
        let (last, _) = self.dialogs.last()?;
        let with_message = self
            .dialogs
            .iter()
            .rev()
            .find_map(|(d, date)| date.map(|date| (d.top_message, date)));
        Some(Offsets {
            date: with_message.map_or(0, |(_, date)| date),
            id: with_message.map_or(0, |(id, _)| id),
            peer: self
                .dir
                .input_peer(&last.peer)
                .unwrap_or(enums::InputPeer::Empty),
        })
    }
}

/// A page of chats out of an answer.
pub(crate) struct Page {
    pub(crate) chats: Vec<ProviderChat>,
    pub(crate) next: Option<ChatCursor>,
}

/// The page of at most `limit` chats that `cursor` points to in `answer` (asked at the
/// cursor's offsets with `asked` as its limit), down to the span's start `after`.
pub(crate) fn page(
    answer: &DialogsAnswer,
    cursor: &ChatCursor,
    asked: i32,
    limit: usize,
    after: Option<i64>,
    owner: &ProviderAttendee,
) -> Page {
    let skip = match cursor {
        ChatCursor::First { skip } | ChatCursor::After { skip, .. } => *skip,
    };
    let rest = answer.dialogs.get(skip..).unwrap_or_default();
    let taken = &rest[..rest.len().min(limit)];
    let mut chats = Vec::with_capacity(taken.len());
    let mut ended = false;
    for (d, top_date) in taken {
        let chat = convert::chat(d, &answer.dir, *top_date, owner);
        if after.is_some_and(|after| chat.last_activity_ms < after) {
            if d.pinned {
                continue;
            }
            ended = true;
            break;
        }
        chats.push(chat);
    }
    chats.sort_by_key(|c| std::cmp::Reverse(c.last_activity_ms));
    let next = if ended {
        None
    } else if taken.len() < rest.len() {
        let skip = skip + taken.len();
        Some(match cursor {
            ChatCursor::First { .. } => ChatCursor::First { skip },
            ChatCursor::After { offsets, .. } => ChatCursor::After {
                offsets: offsets.clone(),
                skip,
            },
        })
    } else {
        answer
            .next_offsets(asked)
            .map(|offsets| ChatCursor::After { offsets, skip: 0 })
    };
    Page { chats, next }
}
