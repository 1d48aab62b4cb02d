//! TL objects in provider-neutral terms.
//!
//! Chat ids are Bot-API style, as Telegram's own apps and the sandbox write them: users
//! positive, basic groups `-id`, channels and supergroups `-100id`.

use std::collections::HashMap;

use grammers_tl_types::{enums, types};
use serde_json::{json, Value};

use crate::{Attachment, ChatKind, ProviderChat, ProviderMessage, Reaction};

/// `mute_until` for "muted for ever".
const MUTED_FOREVER: i32 = i32::MAX;

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

    pub(crate) fn user_name(&self, id: i64) -> Option<String> {
        let u = self.users.get(&id)?;
        let name = [u.first_name.as_deref(), u.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        Some(if name.is_empty() {
            u.username.clone().unwrap_or_default()
        } else {
            name
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

/// A dialog as a chat. `top_date` is its top message's date, when it came with the page.
pub(crate) fn chat(d: &types::Dialog, dir: &Directory, top_date: Option<i32>) -> ProviderChat {
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
        attendees: Vec::new(),
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

fn media(m: &enums::MessageMedia) -> (Option<Attachment>, Value) {
    match m {
        enums::MessageMedia::Photo(p) => {
            let Some(enums::Photo::Photo(photo)) = &p.photo else {
                return (None, json!({"_": "messageMediaPhoto"}));
            };
            let size = photo.sizes.iter().filter_map(|s| match s {
                enums::PhotoSize::Size(s) => Some(i64::from(s.size)),
                enums::PhotoSize::Progressive(s) => s.sizes.iter().max().map(|n| i64::from(*n)),
                _ => None,
            });
            let a = Attachment {
                id: photo.id.to_string(),
                kind: "img".into(),
                file_name: None,
                mimetype: Some("image/jpeg".into()),
                file_size: size.max(),
                url: None,
                ..Default::default()
            };
            let raw = json!({"_": "messageMediaPhoto", "photo_id": photo.id, "size": a.file_size});
            (Some(a), raw)
        }
        enums::MessageMedia::Document(d) => {
            let Some(enums::Document::Document(doc)) = &d.document else {
                return (None, json!({"_": "messageMediaDocument"}));
            };
            let file_name = doc.attributes.iter().find_map(|a| match a {
                enums::DocumentAttribute::Filename(f) => Some(f.file_name.clone()),
                _ => None,
            });
            let kind = match doc.mime_type.split('/').next() {
                Some("image") => "img",
                Some("video") => "video",
                Some("audio") => "audio",
                _ => "file",
            };
            let a = Attachment {
                id: doc.id.to_string(),
                kind: kind.into(),
                file_name,
                mimetype: Some(doc.mime_type.clone()),
                file_size: Some(doc.size),
                url: None,
                ..Default::default()
            };
            let raw = json!({"_": "messageMediaDocument", "document_id": doc.id,
                "mime_type": a.mimetype, "size": a.file_size, "file_name": a.file_name});
            (Some(a), raw)
        }
        other => (
            None,
            json!({"_": format!("{other:?}").split(['(', ' ']).next().unwrap_or("media")}),
        ),
    }
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

/// What a service action says, after the name of whoever did it.
fn action_text(a: &enums::MessageAction, dir: &Directory) -> String {
    let name = |id: &i64| dir.user_name(*id).unwrap_or_else(|| id.to_string());
    match a {
        enums::MessageAction::ChatJoinedByLink(_) => "joined the group".into(),
        enums::MessageAction::ChatDeleteUser(_) => "left the group".into(),
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
        other => format!("{other:?}")
            .split(['(', ' '])
            .next()
            .unwrap_or("event")
            .to_string(),
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
            if let Some((attachment, media_raw)) = t.media.as_ref().map(media) {
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
            let who = from
                .and_then(|f| match f {
                    enums::Peer::User(u) => cx.dir.user_name(u.user_id),
                    _ => None,
                })
                .unwrap_or_else(|| msg.sender_id.clone());
            msg.text = Some(format!("{who} {}", action_text(&s.action, cx.dir)));
            raw["_"] = json!("messageService");
            raw["action"] = json!({"_": format!("{:?}", s.action).split(['(', ' ']).next().unwrap_or("action")});
        }
        enums::Message::Empty(_) => {}
    }
    msg.original = raw.to_string();
    Some(msg)
}
