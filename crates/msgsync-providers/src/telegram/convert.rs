//! TL objects in provider-neutral terms.
//!
//! Chat ids are Bot-API style, as Telegram's own apps and the sandbox write them: users
//! positive, basic groups `-id`, channels and supergroups `-100id`. Media are in `media.rs`.

use std::collections::HashMap;

use grammers_tl_types::{enums, types};
use serde_json::{json, Value};

use super::{media, peers};
use crate::{
    ChatKind, MessageEventType, ProviderAttendee, ProviderChat, ProviderMessage, Reaction,
};

/// `mute_until` for "muted for ever".
const MUTED_FOREVER: i32 = i32::MAX;

/// Telegram's public links: `https://t.me/<username>` opens a user, a public group or a public
/// channel (core.telegram.org/api/links, "Public username links").
const PUBLIC_LINK: &str = "https://t.me/";

pub(crate) fn peer_id(peer: &enums::Peer) -> String {
    match peer {
        enums::Peer::User(p) => p.user_id.to_string(),
        enums::Peer::Chat(p) => format!("-{}", p.chat_id),
        enums::Peer::Channel(p) => format!("-100{}", p.channel_id),
    }
}

fn peer_json(peer: &enums::Peer) -> Value {
    match peer {
        enums::Peer::User(p) => json!({"_": "peerUser", "user_id": p.user_id}),
        enums::Peer::Chat(p) => json!({"_": "peerChat", "chat_id": p.chat_id}),
        enums::Peer::Channel(p) => json!({"_": "peerChannel", "channel_id": p.channel_id}),
    }
}

/// What a page's `users` and `chats` vectors tell.
#[derive(Default)]
pub(crate) struct Directory {
    pub(crate) users: HashMap<i64, types::User>,
    pub(crate) chats: HashMap<String, enums::Chat>,
}

impl Directory {
    pub(crate) fn new(users: &[enums::User], chats: &[enums::Chat]) -> Self {
        let mut d = Directory::default();
        for u in users {
            if let enums::User::User(u) = u {
                d.users.insert(u.id, u.clone());
            }
        }
        for c in chats {
            let id = match c {
                enums::Chat::Chat(c) => format!("-{}", c.id),
                enums::Chat::Forbidden(c) => format!("-{}", c.id),
                enums::Chat::Channel(c) => format!("-100{}", c.id),
                enums::Chat::ChannelForbidden(c) => format!("-100{}", c.id),
                _ => continue,
            };
            d.chats.insert(id, c.clone());
        }
        d
    }

    /// A user's name: first and last, else their username; `None` for a user the page does
    /// not describe, or one without either (a deleted account).
    pub(crate) fn user_name(&self, id: i64) -> Option<String> {
        let u = self.users.get(&id)?;
        let name = [u.first_name.as_deref(), u.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() {
            u.username.clone().filter(|n| !n.is_empty())
        } else {
            Some(name)
        }
    }

    /// The person or chat `id` (a Bot-API-style peer id) as an attendee, if the page describes
    /// them. A user's public username (`username`, else the first active one of `usernames`)
    /// links to their profile; so does a public channel's.
    pub(crate) fn attendee(&self, id: &str, self_id: i64) -> Option<ProviderAttendee> {
        if let Ok(user_id) = id.parse::<i64>() {
            if user_id > 0 {
                let u = self.users.get(&user_id)?;
                return Some(ProviderAttendee {
                    provider_id: id.to_string(),
                    name: self.user_name(user_id).unwrap_or_else(|| id.to_string()),
                    is_self: u.is_self || user_id == self_id,
                    profile_url: user_username(u).map(|name| format!("{PUBLIC_LINK}{name}")),
                    picture_url: None,
                    linkedin: None,
                });
            }
        }
        let (title, username) = match self.chats.get(id)? {
            enums::Chat::Chat(c) => (c.title.clone(), None),
            enums::Chat::Forbidden(c) => (c.title.clone(), None),
            enums::Chat::Channel(c) => (c.title.clone(), channel_username(c)),
            enums::Chat::ChannelForbidden(c) => (c.title.clone(), None),
            _ => return None,
        };
        Some(ProviderAttendee {
            provider_id: id.to_string(),
            name: title,
            is_self: false,
            profile_url: username.map(|name| format!("{PUBLIC_LINK}{name}")),
            picture_url: None,
            linkedin: None,
        })
    }

    /// The input peer to name `peer` in requests (with its access hash).
    pub(crate) fn input_peer(&self, peer: &enums::Peer) -> Option<enums::InputPeer> {
        Some(match peer {
            enums::Peer::User(p) => enums::InputPeer::User(types::InputPeerUser {
                user_id: p.user_id,
                access_hash: self.users.get(&p.user_id)?.access_hash?,
            }),
            enums::Peer::Chat(p) => {
                enums::InputPeer::Chat(types::InputPeerChat { chat_id: p.chat_id })
            }
            enums::Peer::Channel(p) => {
                let access_hash = match self.chats.get(&peer_id(peer))? {
                    enums::Chat::Channel(c) => c.access_hash?,
                    enums::Chat::ChannelForbidden(c) => c.access_hash,
                    _ => return None,
                };
                enums::InputPeer::Channel(types::InputPeerChannel {
                    channel_id: p.channel_id,
                    access_hash,
                })
            }
        })
    }
}

/// A user's public username: `username`, else the first active one of `usernames` (users
/// with collectible usernames list them there, core.telegram.org/constructor/username).
fn user_username(u: &types::User) -> Option<&str> {
    u.username.as_deref().or_else(|| {
        u.usernames
            .iter()
            .flatten()
            .find_map(|enums::Username::Username(n)| n.active.then_some(n.username.as_str()))
    })
}

fn channel_username(c: &types::Channel) -> Option<String> {
    c.username.clone().or_else(|| {
        c.usernames
            .iter()
            .flatten()
            .find_map(|enums::Username::Username(n)| n.active.then(|| n.username.clone()))
    })
}

/// A dialog as a chat. `top_date` is its top message's date, when it came with the page;
/// `owner` is the account's own attendee. A dialog names its attendees as far as Telegram's
/// listing does: the owner, and the other user of a private chat (a group's members only
/// show up as the senders of its messages). The chat keeps its peer (`peers.rs`), so that it
/// can be reached again without listing the dialogs.
pub(crate) fn chat(
    d: &types::Dialog,
    dir: &Directory,
    top_date: Option<i32>,
    owner: &ProviderAttendee,
) -> ProviderChat {
    let id = peer_id(&d.peer);
    let (name, kind, read_only, created) = match (&d.peer, dir.chats.get(&id)) {
        (enums::Peer::User(p), _) => (dir.user_name(p.user_id), ChatKind::Single, false, None),
        (_, Some(enums::Chat::Chat(c))) => {
            (Some(c.title.clone()), ChatKind::Group, false, Some(c.date))
        }
        (_, Some(enums::Chat::Channel(c))) => {
            let kind = if c.megagroup || c.gigagroup {
                ChatKind::Group
            } else {
                ChatKind::Channel
            };
            // Broadcast channels are read-only for whoever is neither creator nor admin.
            let read_only = c.broadcast && !c.creator && c.admin_rights.is_none();
            (Some(c.title.clone()), kind, read_only, Some(c.date))
        }
        (_, Some(enums::Chat::Forbidden(c))) => {
            (Some(c.title.clone()), ChatKind::Group, true, None)
        }
        (_, Some(enums::Chat::ChannelForbidden(c))) => {
            let kind = if c.megagroup {
                ChatKind::Group
            } else {
                ChatKind::Channel
            };
            (Some(c.title.clone()), kind, true, None)
        }
        (enums::Peer::Chat(_), _) => (None, ChatKind::Group, false, None),
        (enums::Peer::Channel(_), _) => (None, ChatKind::Channel, false, None),
    };
    let enums::PeerNotifySettings::Settings(notify) = &d.notify_settings;
    let muted_until = match notify.mute_until {
        Some(MUTED_FOREVER) => Some(-1),
        Some(t) if t > 0 => Some(i64::from(t) * 1000),
        _ => None,
    };
    let mut attendees = vec![owner.clone()];
    // A private chat with oneself (Saved Messages) has no other side.
    if matches!(d.peer, enums::Peer::User(_)) && id != owner.provider_id {
        let self_id = owner.provider_id.parse().unwrap_or_default();
        attendees.extend(dir.attendee(&id, self_id));
    }
    ProviderChat {
        attendee_provider_id: (kind == ChatKind::Single).then(|| id.clone()),
        provider_id: id,
        name,
        kind,
        last_activity_ms: i64::from(top_date.or(created).unwrap_or(0)) * 1000,
        unread_count: i64::from(d.unread_count.max(0)),
        archived: d.folder_id == Some(1),
        muted_until,
        read_only,
        folder: None,
        content_type: None,
        inbox: None,
        attendees,
        provider_ref: dir
            .input_peer(&d.peer)
            .and_then(|peer| peers::encode(&peer)),
    }
}

/// What a message's conversion needs beyond the message.
pub(crate) struct MessageContext<'a> {
    pub(crate) self_id: i64,
    pub(crate) dir: &'a Directory,
    /// The chat's read markers: incoming messages up to the first are read, and outgoing
    /// ones up to the second were read by the other side.
    pub(crate) read_inbox_max_id: i32,
    pub(crate) read_outbox_max_id: i32,
}

fn reactions(r: &enums::MessageReactions, self_id: i64) -> (Vec<Reaction>, Value) {
    let enums::MessageReactions::Reactions(r) = r;
    let value = |x: &enums::Reaction| match x {
        enums::Reaction::Emoji(e) => e.emoticon.clone(),
        enums::Reaction::CustomEmoji(c) => format!("custom:{}", c.document_id),
        enums::Reaction::Paid => "paid".into(),
        enums::Reaction::Empty => String::new(),
    };
    let list = r
        .recent_reactions
        .iter()
        .flatten()
        .map(|enums::MessagePeerReaction::Reaction(p)| Reaction {
            value: value(&p.reaction),
            sender_id: peer_id(&p.peer_id),
            is_sender: p.my
                || matches!(p.peer_id, enums::Peer::User(ref u) if u.user_id == self_id),
        })
        .collect();
    let raw = json!({"_": "messageReactions", "results": r.results.iter()
        .map(|enums::ReactionCount::Count(c)| json!({"reaction": value(&c.reaction), "count": c.count}))
        .collect::<Vec<_>>()});
    (list, raw)
}

/// What a service action says after the name of `from`, who did it.
fn action_text(a: &enums::MessageAction, from: Option<i64>, dir: &Directory) -> String {
    let name = |id: &i64| dir.user_name(*id).unwrap_or_else(|| id.to_string());
    match a {
        enums::MessageAction::ChatJoinedByLink(_) => "joined the group".into(),
        enums::MessageAction::ChatDeleteUser(u) if Some(u.user_id) == from => {
            "left the group".into()
        }
        enums::MessageAction::ChatDeleteUser(u) => format!("removed {}", name(&u.user_id)),
        enums::MessageAction::ChatEditPhoto(_) => "changed the group photo".into(),
        enums::MessageAction::PinMessage => "pinned a message".into(),
        enums::MessageAction::ChatCreate(c) => format!("created the group «{}»", c.title),
        enums::MessageAction::ChatEditTitle(t) => {
            format!("changed the group name to «{}»", t.title)
        }
        enums::MessageAction::ChatAddUser(u) => {
            format!(
                "added {}",
                u.users.iter().map(name).collect::<Vec<_>>().join(", ")
            )
        }
        enums::MessageAction::PhoneCall(c) => {
            let kind = if c.video { "video" } else { "voice" };
            match (&c.reason, c.duration) {
                (Some(enums::PhoneCallDiscardReason::Missed), _) => {
                    format!("made a {kind} call (missed)")
                }
                (_, Some(d)) => format!("made a {kind} call ({d} s)"),
                _ => format!("made a {kind} call"),
            }
        }
        other => format!("{other:?}")
            .split(['(', ' '])
            .next()
            .unwrap_or("event")
            .to_string(),
    }
}

/// The API's event type of a service action done by `from`: the SDK's counterpart where
/// Telegram's action has one (joining by link is a participant added; a user deleting
/// themselves left), `Unknown` for the others.
fn event_type(a: &enums::MessageAction, from: Option<i64>) -> MessageEventType {
    use enums::MessageAction as A;
    match a {
        A::ChatCreate(_) | A::ChannelCreate(_) => MessageEventType::GroupCreate,
        A::ChatEditTitle(_) => MessageEventType::GroupChangeSubject,
        A::ChatAddUser(_)
        | A::ChatJoinedByLink(_)
        | A::ChatJoinedByRequest
        | A::ChatJoinedViaCommunity(_) => MessageEventType::GroupParticipantAdd,
        A::ChatDeleteUser(u) if Some(u.user_id) == from => MessageEventType::GroupParticipantLeave,
        A::ChatDeleteUser(_) => MessageEventType::GroupParticipantRemove,
        A::PhoneCall(c) if matches!(c.reason, Some(enums::PhoneCallDiscardReason::Missed)) => {
            if c.video {
                MessageEventType::CallMissedVideo
            } else {
                MessageEventType::CallMissedVoice
            }
        }
        _ => MessageEventType::Unknown,
    }
}

/// A TL message in provider-neutral terms; `None` for an empty (deleted) slot.
pub(crate) fn message(m: &enums::Message, cx: &MessageContext<'_>) -> Option<ProviderMessage> {
    let (id, out, from, peer, date) = match m {
        enums::Message::Empty(_) => return None,
        enums::Message::Message(m) => (m.id, m.out, m.from_id.as_ref(), &m.peer_id, m.date),
        enums::Message::Service(m) => (m.id, m.out, m.from_id.as_ref(), &m.peer_id, m.date),
    };
    let sender_id = match (from, peer) {
        (Some(from), _) => peer_id(from),
        (None, enums::Peer::Channel(_)) => peer_id(peer),
        (None, _) if out => cx.self_id.to_string(),
        (None, _) => peer_id(peer),
    };
    let read_mark = if out {
        cx.read_outbox_max_id
    } else {
        cx.read_inbox_max_id
    };
    let mut msg = ProviderMessage {
        provider_id: id.to_string(),
        sender_id,
        text: None,
        subject: None,
        timestamp_ms: i64::from(date) * 1000,
        is_sender: out,
        attachments: Vec::new(),
        reactions: Vec::new(),
        seen: id <= read_mark,
        hidden: false,
        deleted: false,
        edited: false,
        is_event: false,
        delivered: true,
        original: String::new(),
        event_type: None,
    };
    let mut raw = json!({"_": "message", "id": id, "peer_id": peer_json(peer),
        "from_id": from.map(peer_json), "date": date, "out": out});
    match m {
        enums::Message::Message(t) => {
            msg.text = (!t.message.is_empty()).then(|| t.message.clone());
            msg.edited = t.edit_date.is_some() && !t.edit_hide;
            raw["message"] = json!(t.message);
            raw["edit_date"] = json!(t.edit_date);
            if let Some((attachment, media_raw)) = t.media.as_ref().map(media::attachment) {
                msg.attachments.extend(attachment);
                raw["media"] = media_raw;
            }
            if let Some((list, reactions_raw)) =
                t.reactions.as_ref().map(|r| reactions(r, cx.self_id))
            {
                msg.reactions = list;
                raw["reactions"] = reactions_raw;
            }
        }
        enums::Message::Service(s) => {
            msg.is_event = true;
            let from_user = from.and_then(|f| match f {
                enums::Peer::User(u) => Some(u.user_id),
                _ => None,
            });
            let who = from_user
                .and_then(|id| cx.dir.user_name(id))
                .unwrap_or_else(|| msg.sender_id.clone());
            msg.text = Some(format!(
                "{who} {}",
                action_text(&s.action, from_user, cx.dir)
            ));
            msg.event_type = Some(event_type(&s.action, from_user));
            raw["_"] = json!("messageService");
            raw["action"] = json!({"_": format!("{:?}", s.action).split(['(', ' ']).next().unwrap_or("action")});
        }
        enums::Message::Empty(_) => {}
    }
    msg.original = raw.to_string();
    Some(msg)
}
