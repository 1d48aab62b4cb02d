//! `Chat` and `Message`.

use msgsync_core::content::{Attachment, AttachmentSize, Reaction};
use msgsync_core::time::format_ms;
use msgsync_core::{AccountId, AttendeeId, ChatId, MessageId, ProviderKind};
use msgsync_store::{ChatRecord, MessageRecord};
use serde::Serialize;
use utoipa::ToSchema;

use crate::openapi::schemas::{self, object, shapes};

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
pub(super) fn flag(b: bool) -> u8 {
    u8::from(b)
}

/// A chat of an account.
#[derive(Serialize, ToSchema)]
pub struct Chat<'a> {
    #[schema(schema_with = object::chat)]
    object: &'static str,
    #[schema(value_type = shapes::ChatId)]
    id: ChatId,
    #[schema(value_type = shapes::AccountId)]
    account_id: AccountId,
    #[schema(value_type = shapes::Provider)]
    account_type: ProviderKind,
    /// The provider's id of the chat.
    provider_id: &'a str,
    /// The provider id of the other member of a one-to-one chat, when the provider names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    attendee_provider_id: Option<&'a str>,
    #[schema(required = true)]
    name: Option<&'a str>,
    #[serde(rename = "type")]
    #[schema(schema_with = chat_kind)]
    kind: i64,
    /// The chat's last activity.
    #[schema(value_type = shapes::Timestamp)]
    timestamp: String,
    #[schema(minimum = 0)]
    unread_count: i64,
    #[schema(value_type = shapes::Flag)]
    archived: u8,
    #[schema(schema_with = muted_until, required = true)]
    muted_until: Option<MutedUntil>,
    #[schema(value_type = shapes::Flag)]
    read_only: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = content_type)]
    content_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = folder)]
    folder: Option<[&'a str; 1]>,
    /// msgsync's own: the provider no longer has the chat (a full resync found it gone).
    #[schema(value_type = shapes::Flag)]
    deleted: u8,
    /// Only on `GET /chats/{chat_id}`: the newest message, or `null`.
    #[serde(rename = "lastMessage", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Message>)]
    last_message: Option<Option<Message<'a>>>,
}

fn chat_kind() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::Integer)
        .enum_values(Some([0, 1, 2]))
        .description(Some("0: one-to-one, 1: group, 2: channel"))
        .build()
}

fn content_type() -> utoipa::openapi::Object {
    let mut schema = schemas::one_of_strings(CONTENT_TYPES);
    schema.description =
        Some("LinkedIn: `inmail` for InMail threads, `sponsored`, `linkedin_offer`".to_owned());
    schema
}

fn folder() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(schemas::one_of_strings(FOLDERS))
        .min_items(Some(1))
        .max_items(Some(1))
        .description(Some(
            "The folder or inbox of the chat, when it is one Unipile knows",
        ))
        .build()
}

/// `-1` for muted for ever, else the instant the mute ends.
#[derive(Serialize)]
#[serde(untagged)]
enum MutedUntil {
    Forever(i64),
    Until(String),
}

/// [`MutedUntil`], or `null` when the chat is not muted.
fn muted_until() -> utoipa::openapi::Schema {
    let forever = utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::Integer)
        .enum_values(Some([-1]))
        .description(Some("Muted for ever"));
    let null = utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Null);
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(forever)
        .item(schemas::timestamp())
        .item(null)
        .description(Some(
            "`-1`: muted for ever; an instant: muted until then; `null`: not muted",
        ))
        .into()
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

/// A message of a chat.
#[derive(Serialize, ToSchema)]
pub struct Message<'a> {
    #[schema(schema_with = object::message)]
    object: &'static str,
    #[schema(value_type = shapes::MessageId)]
    id: MessageId,
    #[schema(value_type = shapes::AccountId)]
    account_id: AccountId,
    #[schema(value_type = shapes::ChatId)]
    chat_id: ChatId,
    /// The provider's id of the chat.
    chat_provider_id: &'a str,
    /// The provider's id of the message.
    provider_id: &'a str,
    /// The provider's id of the sender.
    sender_id: &'a str,
    /// The sender as an attendee: the same id for that person in every chat of the account.
    #[schema(value_type = shapes::AttendeeId)]
    sender_attendee_id: AttendeeId,
    #[schema(required = true)]
    text: Option<&'a str>,
    /// LinkedIn InMail: the subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    subject: Option<&'a str>,
    #[schema(value_type = shapes::Timestamp)]
    timestamp: String,
    /// 1 when the account owner sent it.
    #[schema(value_type = shapes::Flag)]
    is_sender: u8,
    attachments: Vec<AttachmentView>,
    #[schema(value_type = Vec<ReactionShape>)]
    reactions: Vec<Reaction>,
    #[schema(value_type = shapes::Flag)]
    seen: u8,
    /// Always empty.
    #[schema(value_type = Object)]
    seen_by: serde_json::Map<String, serde_json::Value>,
    #[schema(value_type = shapes::Flag)]
    hidden: u8,
    /// 1 when the provider no longer has it (a full resync found it gone).
    #[schema(value_type = shapes::Flag)]
    deleted: u8,
    #[schema(value_type = shapes::Flag)]
    edited: u8,
    /// 1 for a service message (a reaction, a member joining, a missed call…): see `event_type`.
    #[schema(value_type = shapes::Flag)]
    is_event: u8,
    /// What a service message records: 0 unknown, 1 reaction, 2 reaction to me, 3 group
    /// created, 4 subject changed, 5 participant added, 6 removed, 7 left, 8 missed voice call,
    /// 9 missed video call.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 0, maximum = 9)]
    event_type: Option<i64>,
    #[schema(value_type = shapes::Flag)]
    delivered: u8,
    /// Always `null`.
    #[schema(value_type = Option<u8>, required = true)]
    behavior: Option<u8>,
    /// The message as the provider gave it (JSON text).
    original: &'a str,
}

/// A reaction to a message (its JSON shape; the value is `msgsync_core::content::Reaction`).
#[derive(ToSchema)]
#[schema(as = Reaction)]
#[allow(dead_code)]
struct ReactionShape {
    /// The emoji.
    value: String,
    /// The provider's id of who reacted.
    sender_id: String,
    /// The account owner reacted.
    is_sender: bool,
}

/// Width and height in pixels (its JSON shape; the value is
/// `msgsync_core::content::AttachmentSize`).
#[derive(ToSchema)]
#[schema(as = AttachmentSize)]
#[allow(dead_code)]
struct AttachmentSizeShape {
    #[schema(minimum = 0)]
    width: i64,
    #[schema(minimum = 0)]
    height: i64,
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

/// An attachment in the SDK's union: each `type` requires its own fields. Its file (all but
/// `linkedin_post`) is served by `GET /api/v1/messages/{message_id}/attachments/{attachment_id}`.
#[derive(Serialize, ToSchema)]
#[schema(as = Attachment)]
struct AttachmentView {
    /// Unique within its message: the download route names it by this id.
    id: String,
    #[serde(rename = "type")]
    #[schema(schema_with = attachment_kind)]
    kind: &'static str,
    /// In bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 0)]
    file_size: Option<i64>,
    /// The provider no longer serves the file.
    unavailable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    mimetype: Option<String>,
    /// `img` and `video`: the pixel size (0 × 0 when the provider did not give it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = AttachmentSizeShape)]
    size: Option<AttachmentSize>,
    /// `img`: a sticker.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    sticker: Option<bool>,
    /// `video`: an animation (GIF).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    gif: Option<bool>,
    /// `audio` and `video`: the length in seconds, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 0)]
    duration: Option<i64>,
    /// `audio`: a voice message.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    voice_note: Option<bool>,
    /// `file` (always), others when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    file_name: Option<String>,
    /// `linkedin_post`: the post's public page. Other kinds' provider URLs are signed for the
    /// account's session and stay inside msgsync (the download route serves their files).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    url: Option<String>,
}

fn attachment_kind() -> utoipa::openapi::Object {
    let mut schema = schemas::one_of_strings(["img", "video", "audio", "file", "linkedin_post"]);
    schema.description = Some(
        "What the attachment is: a picture, a video, a sound, a shared LinkedIn post, or any \
         other file"
            .to_owned(),
    );
    schema
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
