//! Telegram-flavoured data: peer ids as the Bot API writes them (users positive, basic groups
//! negative, channels `-100…`), private chats, groups with service messages, and channels.

use msgsync_providers::{ChatKind, ProviderAttendee, ProviderMessage};
use serde_json::{json, Value};

use super::common::{self, salt, ChatInfo, Params, Person, DAY_MS};
use super::hash::permute32;
use super::text;
use super::{MessageKey, Original, WireMessage};

/// Peer numbers start here, so they look like real ids (and have ten digits).
const PEER_BASE: u64 = 1_000_000_000;

/// The service events of groups: the text shown after the member's name, and the TL action.
const EVENTS: &[(&str, &str)] = &[
    ("joined the group", "messageActionChatJoinedByLink"),
    ("left the group", "messageActionChatDeleteUser"),
    ("changed the group photo", "messageActionChatEditPhoto"),
    ("pinned a message", "messageActionPinMessage"),
];

/// The peer number of person or chat `number`: a keyed permutation keeps distinct numbers
/// distinct, so no two chats share an id.
fn peer(params: &Params, number: u64) -> u64 {
    PEER_BASE + u64::from(permute32(params.hash(salt::PEER_IDS, 0, 0), number as u32))
}

pub(crate) fn person(params: &Params, number: u64) -> Person {
    let mut rng = params.rng(salt::PERSON, number, 0);
    Person {
        id: peer(params, number).to_string(),
        name: text::person_name(&mut rng),
    }
}

/// A person as an attendee of a chat.
pub(crate) fn attendee(_params: &Params, person: &Person, is_self: bool) -> ProviderAttendee {
    ProviderAttendee {
        provider_id: person.id.clone(),
        name: person.name.clone(),
        is_self,
        profile_url: None,
        picture_url: None,
        linkedin: None,
    }
}

pub(crate) fn chat_info(params: &Params, index: u32) -> ChatInfo {
    let mut rng = params.rng(salt::CHAT, u64::from(index), 0);
    let number = peer(params, u64::from(index));
    let roll = rng.below(100);
    let (kind, provider_id, name, members, read_only) = if roll < 55 {
        let other = params.person(u64::from(index));
        (
            ChatKind::Single,
            other.id.clone(),
            other.name.clone(),
            vec![other],
            false,
        )
    } else if roll < 85 {
        let title = text::group_title(&mut rng);
        let others = rng.range(2, 9);
        let members = params.pool_members(&mut rng, others);
        (ChatKind::Group, format!("-{number}"), title, members, false)
    } else {
        // Most channels are followed; in a few the owner is an admin and posts.
        let title = text::channel_title(&mut rng);
        let read_only = rng.chance(80);
        (
            ChatKind::Channel,
            format!("-100{number}"),
            title,
            Vec::new(),
            read_only,
        )
    };
    let muted_share = if kind == ChatKind::Channel { 40 } else { 12 };
    let muted_until = if rng.chance(muted_share) {
        Some(if rng.chance(50) {
            -1
        } else {
            params.anchor_ms + rng.range(1, 30) as i64 * DAY_MS
        })
    } else {
        None
    };
    let unread = if rng.chance(30) {
        let most = if kind == ChatKind::Channel { 40 } else { 5 };
        rng.range(1, most) as u32
    } else {
        0
    };
    ChatInfo {
        index,
        provider_id,
        kind,
        name: Some(name),
        members,
        inbox: None,
        subject: None,
        folder: None,
        archived: rng.chance(5),
        muted_until,
        read_only,
        unread,
        created_ms: params.random_ms(&mut rng),
    }
}

/// The TL peer of a chat, for the raw message.
fn peer_json(chat: &ChatInfo) -> Value {
    let id = &chat.provider_id;
    match chat.kind {
        ChatKind::Single => json!({"_": "peerUser", "user_id": id.parse::<i64>().ok()}),
        ChatKind::Group => {
            json!({"_": "peerChat", "chat_id": id.trim_start_matches('-').parse::<i64>().ok()})
        }
        ChatKind::Channel => {
            let channel = id.strip_prefix("-100").and_then(|n| n.parse::<i64>().ok());
            json!({"_": "peerChannel", "channel_id": channel})
        }
    }
}

fn from_json(user_id: &str) -> Value {
    json!({"_": "peerUser", "user_id": user_id.parse::<i64>().ok()})
}

pub(crate) fn message(
    params: &Params,
    owner: &Person,
    chat: &ChatInfo,
    key: MessageKey,
    original: Original,
) -> WireMessage {
    let ts = key.timestamp_ms;
    let date = ts.div_euclid(1000);
    let id = u64::from(key.index) + 1;
    let mut rng = params.rng(salt::MESSAGE, u64::from(chat.index), u64::from(key.index));
    let mut msg = ProviderMessage {
        provider_id: id.to_string(),
        sender_id: String::new(),
        text: None,
        subject: None,
        timestamp_ms: ts,
        is_sender: false,
        attachments: Vec::new(),
        reactions: Vec::new(),
        seen: !params.unread(chat, ts),
        hidden: false,
        deleted: false,
        edited: false,
        is_event: false,
        delivered: true,
        original: String::new(),
        event_type: None,
    };

    if chat.kind == ChatKind::Group && rng.chance(6) && !chat.members.is_empty() {
        let member = &chat.members[rng.below(chat.members.len() as u64) as usize];
        let (what, action) = *rng.pick(EVENTS);
        msg.sender_id = member.id.clone();
        msg.text = Some(format!("{} {what}", member.name));
        msg.is_event = true;
        if original == Original::Include {
            msg.original = json!({
                "_": "messageService", "id": id, "peer_id": peer_json(chat),
                "from_id": from_json(&member.id), "date": date, "action": {"_": action},
            })
            .to_string();
        }
        return WireMessage {
            message: msg,
            service_action: Some(action),
            edit_date: None,
        };
    }

    // Channel posts are signed by the channel; the owner's own posts are `out`.
    let (sender_id, is_sender) = match chat.kind {
        ChatKind::Channel => (chat.provider_id.clone(), !chat.read_only && rng.chance(50)),
        kind => {
            let owner_share = if kind == ChatKind::Group { 25 } else { 50 };
            if rng.chance(owner_share) || chat.members.is_empty() {
                (owner.id.clone(), true)
            } else {
                let pick = rng.below(chat.members.len() as u64) as usize;
                let member = chat.members.get(pick).unwrap_or(owner);
                (member.id.clone(), member.id == owner.id)
            }
        }
    };
    msg.edited = rng.chance(7);
    let media = rng.chance(12);
    // A photo or file often comes without a caption.
    msg.text = (!media || rng.chance(60)).then(|| text::sentences(&mut rng));
    if media {
        let attachment_id = format!("{}", rng.below(1 << 62));
        msg.attachments
            .push(common::attachment(&mut rng, attachment_id));
    }
    if rng.chance(12) {
        msg.reactions = common::reactions(&mut rng, owner, &chat.members);
    }
    if is_sender {
        msg.seen = params.read_by_recipient(&mut rng, ts);
    }
    let edit_date = msg.edited.then(|| date + rng.range(30, 7200) as i64);
    if original == Original::Include {
        msg.original = json!({
        "_": "message", "id": id, "peer_id": peer_json(chat),
        "from_id": (chat.kind != ChatKind::Channel).then(|| from_json(&sender_id)),
        "date": date, "message": msg.text.as_deref().unwrap_or(""), "out": is_sender,
        "edit_date": edit_date,
        "media": msg.attachments.first().map(|a| json!({
            "_": if a.kind == "img" { "messageMediaPhoto" } else { "messageMediaDocument" },
            "mime_type": a.mimetype, "size": a.file_size, "file_name": a.file_name,
        })),
        "reactions": (!msg.reactions.is_empty()).then(|| json!({
            "_": "messageReactions",
            "results": msg.reactions.iter().map(|r| json!({"reaction": r.value, "count": 1}))
                .collect::<Vec<_>>(),
        })),
        })
        .to_string();
    }
    msg.sender_id = sender_id;
    msg.is_sender = is_sender;
    WireMessage {
        message: msg,
        service_action: None,
        edit_date,
    }
}
