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
}

/// A file, picture or other media attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    /// `img`, `video`, `audio`, `file`, `linkedin_post`…
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mimetype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
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
    pub delivered: bool,
    /// The provider's own representation of the message, as text.
    pub original: String,
}
