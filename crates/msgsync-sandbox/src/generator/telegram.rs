//! Telegram-flavoured data: peer ids as the Bot API writes them (users positive, basic groups
//! negative, channels `-100…`), people with public usernames, private chats with calls, groups
//! with service messages (`events.rs`), channels, and every kind of media (`media.rs`).

mod events;
mod media;

use msgsync_providers::{Attachment, ChatKind, ProviderAttendee, ProviderMessage};
use serde_json::{json, Value};

use super::common::{self, salt, ChatInfo, Params, Person, DAY_MS};
use super::hash::{below, hash, permute32};
use super::text;
use super::{MessageKey, Original, WireMessage};

pub use events::TelegramAction;

/// Peer numbers start here, so they look like real ids (and have ten digits).
const PEER_BASE: u64 = 1_000_000_000;

/// Streams of their own, so that drawing a message's media details or a person's username
/// leaves every other draw alone. Never renumber them.
const MEDIA_SALT: u64 = 0x006d_6564_6961;
const USERNAME_SALT: u64 = 0x7573_6572;

/// Share (percent) of people with a public username.
const USERNAME_SHARE: u64 = 70;

/// Where Telegram's public links point: `https://t.me/<username>` opens a user, a public group
/// or a public channel (core.telegram.org/api/links, "Public username links").
const PUBLIC_LINK: &str = "https://t.me/";

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

/// A person as an attendee of a chat: a username gives the public link to their profile.
pub(crate) fn attendee(_params: &Params, person: &Person, is_self: bool) -> ProviderAttendee {
    ProviderAttendee {
        provider_id: person.id.clone(),
        name: person.name.clone(),
        is_self,
        profile_url: username(person).map(|u| format!("{PUBLIC_LINK}{u}")),
        picture_url: None,
        linkedin: None,
    }
}

/// A person's public username, when they have one: their name in ASCII letters and their id in
/// base 36 (so no two people share one); 5 to 32 characters of `a-z`, `0-9` and `_`, starting
/// with a letter, as Telegram requires (core.telegram.org/method/account.updateUsername).
pub fn username(person: &Person) -> Option<String> {
    let id: u64 = person.id.parse().ok()?;
    let h = hash(&[USERNAME_SALT, id]);
    if below(h, 100) >= USERNAME_SHARE {
        return None;
    }
    let mut parts = person.name.split(' ').map(ascii_letters);
    let first = parts.next().unwrap_or_default();
    let last = parts.next().unwrap_or_default();
    let tag = base36(id);
    let name = match below(h.rotate_left(17), 3) {
        0 => format!("{first}_{last}_{tag}"),
        1 => format!("{first}{last}{tag}"),
        _ => format!("{}{last}_{tag}", first.get(..1).unwrap_or("u")),
    };
    let name = if name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name
    } else {
        format!("u{name}")
    };
    Some(name.chars().take(32).collect())
}

/// Lowercase ASCII letters of a name, accents dropped (`Chloé` → `chloe`).
fn ascii_letters(word: &str) -> String {
    word.chars()
        .filter_map(|c| {
            Some(match c {
                'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' => 'a',
                'ç' | 'č' | 'ć' | 'Ç' | 'Č' | 'Ć' => 'c',
                'è' | 'é' | 'ê' | 'ë' | 'É' | 'È' => 'e',
                'ì' | 'í' | 'î' | 'ï' | 'Í' => 'i',
                'ñ' | 'Ñ' => 'n',
                'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'Ö' | 'Ó' => 'o',
                'ù' | 'ú' | 'û' | 'ü' | 'Ü' | 'Ú' => 'u',
                'š' | 'Š' => 's',
                'ž' | 'Ž' => 'z',
                c if c.is_ascii_alphabetic() => c.to_ascii_lowercase(),
                _ => return None,
            })
        })
        .collect()
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.iter().rev().map(|b| char::from(*b)).collect()
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

/// The action of the service message at `key`, if it is one.
pub(crate) fn action(
    params: &Params,
    owner: &Person,
    chat: &ChatInfo,
    key: MessageKey,
) -> Option<TelegramAction> {
    let mut rng = params.rng(salt::MESSAGE, u64::from(chat.index), u64::from(key.index));
    events::event(params, owner, chat, key, &mut rng).map(|(_, action)| action)
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

    if let Some((who, action)) = events::event(params, owner, chat, key, &mut rng) {
        let name = |id: &str| {
            std::iter::once(owner)
                .chain(&chat.members)
                .find(|p| p.id == id)
                .map_or_else(|| id.to_string(), |p| p.name.clone())
        };
        msg.sender_id = who.id.clone();
        msg.is_sender = who.id == owner.id;
        msg.text = Some(format!("{} {}", who.name, action.text(&who.id, name)));
        msg.is_event = true;
        msg.event_type = Some(action.event_type(&who.id));
        if original == Original::Include {
            msg.original = json!({
                "_": "messageService", "id": id, "peer_id": peer_json(chat),
                "from_id": from_json(&who.id), "date": date, "out": msg.is_sender,
                "action": action.json(),
            })
            .to_string();
        }
        return WireMessage {
            message: msg,
            service_action: Some(action.tl_name()),
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
        let mut media_rng = params.rng(MEDIA_SALT, u64::from(chat.index), u64::from(key.index));
        let a = media::attachment(&mut media_rng, attachment_id);
        // Stickers and voice notes are sent alone: Telegram's apps give them no caption.
        if a.sticker || a.voice_note {
            msg.text = None;
        }
        msg.attachments.push(a);
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
        "media": msg.attachments.first().map(media_json),
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

/// A message's media in the raw form: the TL constructor and what its attributes say.
fn media_json(a: &Attachment) -> Value {
    let photo = a.kind == "img" && !a.sticker;
    json!({
        "_": if photo { "messageMediaPhoto" } else { "messageMediaDocument" },
        "id": a.id, "mime_type": a.mimetype, "size": a.file_size, "file_name": a.file_name,
        "w": a.size.map(|s| s.width), "h": a.size.map(|s| s.height), "duration": a.duration,
        "voice": a.voice_note, "sticker": a.sticker, "gif": a.gif,
    })
}
