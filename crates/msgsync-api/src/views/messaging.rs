//! `Chat`, `Message` and `ChatAttendee`.

use msgsync_core::content::{Attachment, AttachmentSize, NetworkDistance, Reaction};
use msgsync_core::time::format_ms;
use msgsync_core::{AccountId, AttendeeId, ChatId, MessageId, ProviderKind};
use msgsync_store::{AttendeeRecord, ChatRecord, MessageRecord};
use serde::Serialize;

/// The folders the SDK knows (`ChatFolderSchema`); a chat in another folder shows none.
const FOLDERS: [&str; 5] = [
    "INBOX",
    "INBOX_LINKEDIN_CLASSIC",
    "INBOX_LINKEDIN_RECRUITER",
    "INBOX_LINKEDIN_SALES_NAVIGATOR",
    "INBOX_LINKEDIN_ORGANIZATION",
];

/// The content types the SDK knows (`content_type` of a chat).
const CONTENT_TYPES: [&str; 3] = ["inmail", "sponsored", "linkedin_offer"];

/// Unipile's booleans are the numbers 0 and 1.
fn flag(b: bool) -> u8 {
    u8::from(b)
}

#[derive(Serialize)]
pub struct Chat<'a> {
    object: &'static str,
    id: ChatId,
    account_id: AccountId,
    account_type: ProviderKind,
    provider_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    attendee_provider_id: Option<&'a str>,
    name: Option<&'a str>,
    #[serde(rename = "type")]
    kind: i64,
    timestamp: String,
    unread_count: i64,
    archived: u8,
    muted_until: Option<MutedUntil>,
    read_only: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    folder: Option<[&'a str; 1]>,
    /// msgsync's own: the provider no longer has the chat (a full resync found it gone).
    deleted: u8,
    /// Only on `GET /chats/{id}`: the newest message, or `null`.
    #[serde(rename = "lastMessage", skip_serializing_if = "Option::is_none")]
    last_message: Option<Option<Message<'a>>>,
}

/// `-1` for muted for ever, else the instant the mute ends.
#[derive(Serialize)]
#[serde(untagged)]
enum MutedUntil {
    Forever(i64),
    Until(String),
}

pub fn chat(c: &ChatRecord) -> Chat<'_> {
    Chat {
        object: "Chat",
        id: c.id,
        account_id: c.account_id,
        account_type: c.account_type,
        provider_id: &c.provider_id,
        attendee_provider_id: c.attendee_provider_id.as_deref(),
        name: c.name.as_deref(),
        kind: c.kind,
        timestamp: format_ms(c.timestamp),
        unread_count: c.unread_count,
        archived: flag(c.archived),
        muted_until: c.muted_until.map(|until| match until {
            -1 => MutedUntil::Forever(-1),
            at => MutedUntil::Until(format_ms(at)),
        }),
        read_only: flag(c.read_only),
        content_type: c
            .content_type
            .as_deref()
            .filter(|t| CONTENT_TYPES.contains(t)),
        folder: c
            .folder
            .as_deref()
            .filter(|f| FOLDERS.contains(f))
            .map(|f| [f]),
        deleted: flag(c.deleted),
        last_message: None,
    }
}

pub fn chat_with_last_message<'a>(c: &'a ChatRecord, last: Option<&'a MessageRecord>) -> Chat<'a> {
    Chat {
        last_message: Some(last.map(message)),
        ..chat(c)
    }
}

#[derive(Serialize)]
pub struct Message<'a> {
    object: &'static str,
    id: MessageId,
    account_id: AccountId,
    chat_id: ChatId,
    chat_provider_id: &'a str,
    provider_id: &'a str,
    sender_id: &'a str,
    sender_attendee_id: AttendeeId,
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    timestamp: String,
    is_sender: u8,
    attachments: Vec<AttachmentView>,
    reactions: Vec<Reaction>,
    seen: u8,
    seen_by: serde_json::Map<String, serde_json::Value>,
    hidden: u8,
    deleted: u8,
    edited: u8,
    is_event: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_type: Option<i64>,
    delivered: u8,
    behavior: Option<u8>,
    original: &'a str,
}

/// A JSON array stored with the message, parsed; one that does not parse (written by a
/// version that stored another shape) shows as empty rather than failing the whole list.
fn stored<T: serde::de::DeserializeOwned>(json: &str, what: &str, id: MessageId) -> Vec<T> {
    serde_json::from_str(json).unwrap_or_else(|e| {
        tracing::warn!(message = %id, error = %e, "stored {what} do not parse; shown as none");
        Vec::new()
    })
}

pub fn message(m: &MessageRecord) -> Message<'_> {
    let attachments: Vec<Attachment> = stored(&m.attachments, "attachments", m.id);
    Message {
        object: "Message",
        id: m.id,
        account_id: m.account_id,
        chat_id: m.chat_id,
        chat_provider_id: &m.chat_provider_id,
        provider_id: &m.provider_id,
        sender_id: &m.sender_id,
        sender_attendee_id: AttendeeId::for_provider_id(m.account_id, &m.sender_id),
        text: m.text.as_deref(),
        subject: m.subject.as_deref(),
        timestamp: format_ms(m.timestamp),
        is_sender: flag(m.is_sender),
        attachments: attachments.into_iter().map(AttachmentView::from).collect(),
        reactions: stored(&m.reactions, "reactions", m.id),
        seen: flag(m.seen),
        seen_by: serde_json::Map::new(),
        hidden: flag(m.hidden),
        deleted: flag(m.deleted),
        edited: flag(m.edited),
        is_event: flag(m.is_event),
        event_type: m.event_type.map(|e| e as i64),
        delivered: flag(m.delivered),
        behavior: None,
        original: &m.original,
    }
}

/// An attachment in the SDK's union: each `type` requires its own fields.
#[derive(Serialize)]
struct AttachmentView {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_size: Option<i64>,
    unavailable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    mimetype: Option<String>,
    /// `img` and `video`.
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<AttachmentSize>,
    /// `img`.
    #[serde(skip_serializing_if = "Option::is_none")]
    sticker: Option<bool>,
    /// `video`.
    #[serde(skip_serializing_if = "Option::is_none")]
    gif: Option<bool>,
    /// `audio`.
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<i64>,
    /// `audio`.
    #[serde(skip_serializing_if = "Option::is_none")]
    voice_note: Option<bool>,
    /// `file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    file_name: Option<String>,
    /// `linkedin_post`: the post's public page. Other kinds' provider URLs are signed for the
    /// account's session and stay inside msgsync (the download route serves their files).
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

/// A size the provider did not give: the SDK requires one for pictures and videos.
const UNKNOWN_SIZE: AttachmentSize = AttachmentSize {
    width: 0,
    height: 0,
};

impl From<Attachment> for AttachmentView {
    fn from(a: Attachment) -> Self {
        let kind = match a.kind.as_str() {
            "img" => "img",
            "video" => "video",
            "audio" => "audio",
            "linkedin_post" => "linkedin_post",
            // Anything else is a file to download.
            _ => "file",
        };
        let visual = matches!(kind, "img" | "video");
        AttachmentView {
            size: visual.then(|| a.size.unwrap_or(UNKNOWN_SIZE)),
            sticker: (kind == "img").then_some(a.sticker),
            gif: (kind == "video").then_some(a.gif),
            duration: matches!(kind, "audio" | "video")
                .then_some(a.duration)
                .flatten(),
            voice_note: (kind == "audio").then_some(a.voice_note),
            file_name: match kind {
                "file" => Some(a.file_name.unwrap_or_else(|| a.id.clone())),
                _ => a.file_name,
            },
            url: (kind == "linkedin_post").then_some(a.url).flatten(),
            id: a.id,
            kind,
            file_size: a.file_size,
            unavailable: a.unavailable,
            mimetype: a.mimetype,
        }
    }
}

#[derive(Serialize)]
pub struct ChatAttendee<'a> {
    object: &'static str,
    id: AttendeeId,
    account_id: AccountId,
    provider_id: &'a str,
    name: &'a str,
    is_self: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    picture_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    specifics: Option<LinkedinSpecifics<'a>>,
}

#[derive(Serialize)]
struct LinkedinSpecifics<'a> {
    provider: &'static str,
    member_urn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    headline: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    network_distance: Option<NetworkDistance>,
}

pub fn attendee(t: &AttendeeRecord) -> ChatAttendee<'_> {
    ChatAttendee {
        object: "ChatAttendee",
        id: t.id,
        account_id: t.account_id,
        provider_id: &t.provider_id,
        name: &t.name,
        is_self: flag(t.is_self),
        picture_url: t.picture_url.as_deref(),
        profile_url: t.profile_url.as_deref(),
        specifics: t.linkedin.as_ref().map(|m| LinkedinSpecifics {
            provider: "LINKEDIN",
            member_urn: &m.member_urn,
            headline: m.headline.as_deref(),
            network_distance: m.network_distance,
        }),
    }
}

/// The attendees of one chat: all of them, so no cursor (the SDK's shape has none).
#[derive(Serialize)]
pub struct ChatAttendeeList<'a> {
    object: &'static str,
    items: Vec<ChatAttendee<'a>>,
}

pub fn attendee_list(attendees: &[AttendeeRecord]) -> ChatAttendeeList<'_> {
    ChatAttendeeList {
        object: "ChatAttendeeList",
        items: attendees.iter().map(attendee).collect(),
    }
}
