//! LinkedIn-flavoured data: `2-…` thread and message ids, `ACoAA…` members with their
//! headline, network distance and picture (`profile`), one-to-one and group conversations in
//! the classic inbox, InMail threads in the Recruiter and Sales Navigator inboxes, and
//! messages with pictures, videos, voice messages, files and shared posts (`media`).
//!
//! URLs are generated with LinkedIn's own hosts; the Voyager simulator serves them on its
//! own address.

mod media;
mod profile;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use msgsync_core::LinkedinProduct;
use msgsync_providers::{
    ChatKind, LinkedinMember, NetworkDistance, ProviderAttendee, ProviderMessage,
};
use serde_json::json;

use super::common::{self, salt, ChatInfo, Params, Person};
use super::hash::Rng;
use super::text;
use super::{Dataset, MessageKey, Original, WireMessage};

pub(crate) use media::{message_blob, picture_blob, Blob, Media, MediaKind};
pub(crate) use profile::{Picture, Profile, PICTURE_SIZES};

/// LinkedIn's web host, where profiles, posts and message media are.
pub(crate) const LINKEDIN: &str = "https://www.linkedin.com";
/// LinkedIn's public media host, where profile pictures are.
pub(crate) const LICDN: &str = "https://media.licdn.com";

const MEMBER_ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `n` URL-safe base64 characters: the look of LinkedIn's tokens and asset ids.
pub(crate) fn token(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(*rng.pick(MEMBER_ID_CHARS)))
        .collect()
}

/// A word from a string (FNV-1a), to seed a stream by a provider id.
pub(crate) fn id_word(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A profile id like LinkedIn's: `ACoAA` and 34 more URL-safe base64 characters.
pub(crate) fn person(params: &Params, number: u64) -> Person {
    let mut rng = params.rng(salt::PERSON, number, 0);
    let mut id = String::from("ACoAA");
    for _ in 0..34 {
        id.push(char::from(*rng.pick(MEMBER_ID_CHARS)));
    }
    Person {
        id,
        name: text::person_name(&mut rng),
    }
}

/// A thread or message id like LinkedIn's: `2-` and the base64 of a UUID with a suffix
/// (`2-MTI3ZDRkNjMtZjFh…XzAxMA==`, 58 characters).
fn urn_id(rng: &mut Rng) -> String {
    let raw = format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}_{:03}",
        rng.below(1 << 32),
        rng.below(1 << 16),
        rng.below(1 << 12),
        0x8000 | rng.below(1 << 14),
        rng.below(1 << 48),
        rng.range(0, 999),
    );
    format!("2-{}", STANDARD.encode(raw))
}

fn folder(inbox: LinkedinProduct) -> &'static str {
    match inbox {
        LinkedinProduct::Classic => "INBOX",
        LinkedinProduct::Recruiter => "INBOX_LINKEDIN_RECRUITER",
        LinkedinProduct::SalesNavigator => "INBOX_LINKEDIN_SALES_NAVIGATOR",
    }
}

/// A person as an attendee of a chat: what a conversation participant record says of them.
pub(crate) fn attendee(params: &Params, person: &Person, is_self: bool) -> ProviderAttendee {
    let profile = profile::profile(params, person, is_self);
    ProviderAttendee {
        provider_id: person.id.clone(),
        name: person.name.clone(),
        is_self,
        profile_url: Some(profile::profile_url(person)),
        picture_url: profile.picture.as_ref().map(Picture::url),
        linkedin: Some(LinkedinMember {
            member_urn: format!("urn:li:fsd_profile:{}", person.id),
            headline: Some(profile.headline),
            network_distance: NetworkDistance::parse(profile.distance),
        }),
    }
}

/// The profile of a person of the data set (the owner's distance is `SELF`).
pub(crate) fn profile_of(ds: &Dataset, person: &Person) -> Profile {
    profile::profile(&ds.params, person, person.id == ds.owner.id)
}

/// `https://www.linkedin.com/in/<id>`.
pub(crate) fn profile_url(person: &Person) -> String {
    profile::profile_url(person)
}

/// The attachments of a message that has some, with their wire details.
pub(crate) fn media_of(ds: &Dataset, chat: &ChatInfo, key: MessageKey) -> Vec<Media> {
    media::message_media(&ds.params, chat.index, key.index, key.timestamp_ms)
}

pub(crate) fn chat_info(params: &Params, index: u32) -> ChatInfo {
    let mut rng = params.rng(salt::CHAT, u64::from(index), 0);
    // The id is drawn first, so it does not depend on the inbox the products put the chat in.
    let provider_id = urn_id(&mut rng);
    let inbox = params.inbox_of(index).unwrap_or(LinkedinProduct::Classic);
    // Recruiter and Sales Navigator inboxes hold InMail threads, which are one-to-one.
    let inmail = inbox != LinkedinProduct::Classic;
    let (kind, name, members) = if !inmail && rng.chance(15) {
        let title = text::group_title(&mut rng);
        let others = rng.range(2, 5);
        (
            ChatKind::Group,
            title,
            params.pool_members(&mut rng, others),
        )
    } else {
        let other = params.person(u64::from(index));
        (ChatKind::Single, other.name.clone(), vec![other])
    };
    let subject = inmail.then(|| text::inmail_subject(&mut rng));
    ChatInfo {
        index,
        provider_id,
        kind,
        name: Some(name),
        members,
        inbox: Some(inbox),
        subject,
        folder: Some(folder(inbox).to_string()),
        archived: rng.chance(4),
        muted_until: rng.chance(5).then_some(-1),
        read_only: false,
        unread: if rng.chance(25) {
            rng.range(1, 4) as u32
        } else {
            0
        },
        created_ms: params.random_ms(&mut rng),
    }
}

pub(crate) fn message(
    params: &Params,
    owner: &Person,
    chat: &ChatInfo,
    key: MessageKey,
    original: Original,
) -> WireMessage {
    let ts = key.timestamp_ms;
    let mut rng = params.rng(salt::MESSAGE, u64::from(chat.index), u64::from(key.index));
    let provider_id = urn_id(&mut rng);
    let owner_share = if chat.kind == ChatKind::Group { 30 } else { 50 };
    let sender = if rng.chance(owner_share) {
        owner
    } else {
        let pick = rng.below(chat.members.len() as u64) as usize;
        chat.members.get(pick).unwrap_or(owner)
    };
    let is_sender = sender.id == owner.id;
    // A recalled message keeps its place in the thread but loses its content.
    let recalled = rng.chance(3);
    let edited = !recalled && rng.chance(6);
    let text = (!recalled).then(|| text::sentences(&mut rng));
    let media = if !recalled && rng.chance(8) {
        media::message_media(params, chat.index, key.index, ts)
    } else {
        Vec::new()
    };
    let attachments = media.iter().map(Media::attachment).collect();
    let reactions = if !recalled && rng.chance(8) {
        common::reactions(&mut rng, owner, &chat.members)
    } else {
        Vec::new()
    };
    let seen = if is_sender {
        params.read_by_recipient(&mut rng, ts)
    } else {
        !params.unread(chat, ts)
    };
    let format = match (recalled, edited) {
        (true, _) => "RECALLED",
        (_, true) => "EDITED",
        _ => "DEFAULT",
    };
    let original = (original == Original::Include).then(|| json!({
        "entityUrn": format!("urn:li:msg_message:(urn:li:fsd_profile:{},{provider_id})", owner.id),
        "conversationUrn": format!("urn:li:msg_conversation:(urn:li:fsd_profile:{},{})", owner.id, chat.provider_id),
        "deliveredAt": ts,
        "sender": {"hostIdentityUrn": format!("urn:li:fsd_profile:{}", sender.id)},
        "subject": chat.subject,
        "body": {"text": text.as_deref().unwrap_or("")},
        "messageBodyRenderFormat": format,
        "renderContent": media.iter().map(Media::original).collect::<Vec<_>>(),
        "reactionSummaries": reactions.iter().map(|r| json!({
            "emoji": r.value, "count": 1, "viewerReacted": r.is_sender,
        })).collect::<Vec<_>>(),
    })
    .to_string());
    let message = ProviderMessage {
        provider_id,
        sender_id: sender.id.clone(),
        text,
        subject: chat.subject.clone(),
        timestamp_ms: ts,
        is_sender,
        attachments,
        reactions,
        seen,
        hidden: false,
        deleted: recalled,
        edited,
        is_event: false,
        delivered: true,
        original: original.unwrap_or_default(),
        event_type: None,
    };
    WireMessage {
        message,
        service_action: None,
        edit_date: None,
    }
}
