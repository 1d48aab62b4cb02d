//! Chats and messages as a provider describes them, in provider-neutral terms.
//!
//! Connectors produce these values, the engine passes them to the store, and the store keeps
//! them keyed by (account, provider id).

use crate::account::LinkedinProduct;
use serde::{Deserialize, Serialize};

/// Chat kinds, numbered as the API shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatKind {
    Single = 0,
    Group = 1,
    Channel = 2,
}

impl ChatKind {
    pub fn from_code(code: i64) -> Option<ChatKind> {
        match code {
            0 => Some(ChatKind::Single),
            1 => Some(ChatKind::Group),
            2 => Some(ChatKind::Channel),
            _ => None,
        }
    }
}

/// A chat as the provider describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderChat {
    /// The provider's id of the chat; unique within the account.
    pub provider_id: String,
    pub name: Option<String>,
    pub kind: ChatKind,
    /// Last activity, epoch milliseconds.
    pub last_activity_ms: i64,
    pub unread_count: i64,
    pub archived: bool,
    /// Muted until (epoch ms); `Some(-1)` means muted for ever.
    pub muted_until: Option<i64>,
    pub read_only: bool,
    /// The folder or inbox the chat lives in (e.g. `INBOX`, `INBOX_LINKEDIN_RECRUITER`).
    pub folder: Option<String>,
    /// The other member of a one-to-one chat.
    pub attendee_provider_id: Option<String>,
    /// `inmail` for LinkedIn InMail threads.
    pub content_type: Option<String>,
    /// The LinkedIn inbox the chat was listed in.
    pub inbox: Option<LinkedinProduct>,
    /// The people taking part, the account owner included (`is_self`), as far as the listing
    /// names them (a LinkedIn conversation names all its participants; a Telegram dialog only
    /// the other side of a private chat: the members of a group come with its messages).
    pub attendees: Vec<ProviderAttendee>,
    /// What the connector needs to reach the chat again without listing it (Telegram: the
    /// chat's peer with its access hash), opaque to everyone else. Stored with the chat and
    /// handed back in the requests that name the chat; `None` when the connector needs none.
    pub provider_ref: Option<String>,
}

/// Someone taking part in a chat, as the provider describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAttendee {
    /// The provider's id of the person, in the same terms as [`ProviderMessage::sender_id`].
    pub provider_id: String,
    pub name: String,
    /// The account owner.
    pub is_self: bool,
    pub profile_url: Option<String>,
    pub picture_url: Option<String>,
    /// What LinkedIn alone tells of a member.
    pub linkedin: Option<LinkedinMember>,
}

/// A LinkedIn member's details, as a conversation participant carries them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedinMember {
    /// `urn:li:fsd_profile:…`
    pub member_urn: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub headline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub network_distance: Option<NetworkDistance>,
}

/// How far a LinkedIn member is from the account owner, in LinkedIn's own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NetworkDistance {
    #[serde(rename = "DISTANCE_1")]
    Distance1,
    #[serde(rename = "DISTANCE_2")]
    Distance2,
    #[serde(rename = "DISTANCE_3")]
    Distance3,
    OutOfNetwork,
}

impl NetworkDistance {
    /// LinkedIn's `distance` value (`SELF` and unknown values are not a distance).
    pub fn parse(value: &str) -> Option<NetworkDistance> {
        Some(match value {
            "DISTANCE_1" => NetworkDistance::Distance1,
            "DISTANCE_2" => NetworkDistance::Distance2,
            "DISTANCE_3" => NetworkDistance::Distance3,
            "OUT_OF_NETWORK" => NetworkDistance::OutOfNetwork,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NetworkDistance::Distance1 => "DISTANCE_1",
            NetworkDistance::Distance2 => "DISTANCE_2",
            NetworkDistance::Distance3 => "DISTANCE_3",
            NetworkDistance::OutOfNetwork => "OUT_OF_NETWORK",
        }
    }
}

/// A file, picture or other media attached to a message. Stored as JSON with its message, so
/// every field added later must have a default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Unique within its message; what the download route names it by.
    pub id: String,
    /// `img`, `video`, `audio`, `file` or `linkedin_post`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mimetype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file_size: Option<i64>,
    /// Where the provider serves the file (LinkedIn); never shown to API users as is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub url: Option<String>,
    /// Pixel size of a picture or a video.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub size: Option<AttachmentSize>,
    /// Length of an audio or video attachment, in seconds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub duration: Option<i64>,
    /// An audio attachment recorded as a voice message.
    #[serde(skip_serializing_if = "is_false", default)]
    pub voice_note: bool,
    /// A picture sent as a sticker.
    #[serde(skip_serializing_if = "is_false", default)]
    pub sticker: bool,
    /// A video sent as an animation (GIF).
    #[serde(skip_serializing_if = "is_false", default)]
    pub gif: bool,
    /// The provider no longer serves the file.
    #[serde(skip_serializing_if = "is_false", default)]
    pub unavailable: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Width and height in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentSize {
    pub width: i64,
    pub height: i64,
}

/// What a service message (`is_event`) records, numbered as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageEventType {
    Unknown = 0,
    Reaction = 1,
    ReactionToMe = 2,
    GroupCreate = 3,
    GroupChangeSubject = 4,
    GroupParticipantAdd = 5,
    GroupParticipantRemove = 6,
    GroupParticipantLeave = 7,
    CallMissedVoice = 8,
    CallMissedVideo = 9,
}

impl MessageEventType {
    pub fn from_code(code: i64) -> Option<MessageEventType> {
        use MessageEventType::*;
        [
            Unknown,
            Reaction,
            ReactionToMe,
            GroupCreate,
            GroupChangeSubject,
            GroupParticipantAdd,
            GroupParticipantRemove,
            GroupParticipantLeave,
            CallMissedVoice,
            CallMissedVideo,
        ]
        .into_iter()
        .find(|e| *e as i64 == code)
    }
}

/// A reaction to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub value: String,
    pub sender_id: String,
    pub is_sender: bool,
}

/// A message as the provider describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMessage {
    /// The provider's id of the message; unique within its chat.
    pub provider_id: String,
    pub sender_id: String,
    pub text: Option<String>,
    pub subject: Option<String>,
    /// Epoch milliseconds.
    pub timestamp_ms: i64,
    pub is_sender: bool,
    pub attachments: Vec<Attachment>,
    pub reactions: Vec<Reaction>,
    pub seen: bool,
    pub hidden: bool,
    /// Deleted (recalled) at the provider; the message stays, marked.
    pub deleted: bool,
    pub edited: bool,
    /// A service event (member joined, title changed…) rather than a written message.
    pub is_event: bool,
    /// What kind of event, when `is_event` and the provider says.
    pub event_type: Option<MessageEventType>,
    pub delivered: bool,
    /// The provider's own representation of the message, as text.
    pub original: String,
}
