//! The parts of Voyager's answers the connector reads, as serde reads them straight from the
//! response body: no `serde_json::Value` tree, and strings borrowed from the body unless they
//! carry JSON escapes ([`Str`]). Unknown fields are skipped. Every field is optional here: which
//! ones a record must have is decided in `mapping`, which names the missing one in its
//! [`ProviderError::Protocol`](crate::ProviderError::Protocol).

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::de::{self, IgnoredAny, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A string of the body, borrowed from it unless it had escapes to undo. (serde copies every
/// `Cow<str>` that is not a field of its own, `Option<Cow<str>>` included.)
pub(crate) struct Str<'a>(Cow<'a, str>);

impl Deref for Str<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;

        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }

        deserializer.deserialize_str(StrVisitor)
    }
}

/// A GraphQL answer: `data`, or `errors` instead.
#[derive(Deserialize)]
pub(crate) struct GraphqlAnswer<'a, D> {
    /// Kept as written, only to be quoted in the error.
    #[serde(borrow)]
    pub errors: Option<&'a RawValue>,
    pub data: Option<D>,
}

/// `data` of `messengerConversations`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConversationsData<'a> {
    #[serde(borrow)]
    pub messenger_conversations_by_category_query: Option<Collection<'a, Conversation<'a>>>,
}

/// `data` of `messengerMessages`: the field depends on the variant of the query.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MessagesData<'a> {
    /// Messages stay raw until they are mapped: each one's own JSON is its `original`.
    #[serde(borrow)]
    pub messenger_messages_by_anchor_timestamp: Option<Collection<'a, &'a RawValue>>,
    #[serde(borrow)]
    pub messenger_messages_by_conversation: Option<Collection<'a, &'a RawValue>>,
}

/// A `CollectionResponse` with its paging cursors.
#[derive(Deserialize)]
pub(crate) struct Collection<'a, T> {
    pub elements: Option<Vec<T>>,
    #[serde(borrow)]
    pub metadata: Option<CursorMetadata<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CursorMetadata<'a> {
    #[serde(borrow)]
    pub next_cursor: Option<Str<'a>>,
    #[serde(borrow)]
    pub prev_cursor: Option<Str<'a>>,
}

/// `com.linkedin.messenger.Conversation`, as the listing carries it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Conversation<'a> {
    #[serde(borrow)]
    pub backend_urn: Option<Str<'a>>,
    #[serde(borrow)]
    pub entity_urn: Option<Str<'a>>,
    pub last_activity_at: Option<i64>,
    pub last_read_at: Option<i64>,
    pub group_chat: Option<bool>,
    #[serde(borrow)]
    pub title: Option<Str<'a>>,
    #[serde(borrow)]
    pub conversation_participants: Option<Vec<Participant<'a>>>,
    pub unread_count: Option<i64>,
    #[serde(borrow)]
    pub categories: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    pub notification_status: Option<Str<'a>>,
}

/// `com.linkedin.messenger.MessagingParticipant`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Participant<'a> {
    #[serde(borrow)]
    pub host_identity_urn: Option<Str<'a>>,
    #[serde(borrow)]
    pub participant_type: Option<ParticipantType<'a>>,
}

/// A person (`member`) or a company (`organization`).
#[derive(Deserialize)]
pub(crate) struct ParticipantType<'a> {
    #[serde(borrow)]
    pub member: Option<MemberInfo<'a>>,
    #[serde(borrow)]
    pub organization: Option<OrganizationInfo<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MemberInfo<'a> {
    #[serde(borrow)]
    pub first_name: Option<AttributedText<'a>>,
    #[serde(borrow)]
    pub last_name: Option<AttributedText<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct OrganizationInfo<'a> {
    #[serde(borrow)]
    pub name: Option<AttributedText<'a>>,
}

/// `com.linkedin.pemberly.text.AttributedText`: the text, without its formatting.
#[derive(Deserialize)]
pub(crate) struct AttributedText<'a> {
    #[serde(borrow)]
    pub text: Option<Str<'a>>,
}

/// The text of an optional `AttributedText`.
pub(crate) fn text<'t>(t: &'t Option<AttributedText<'_>>) -> Option<&'t str> {
    t.as_ref()?.text.as_deref()
}

/// `com.linkedin.messenger.Message`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Message<'a> {
    #[serde(borrow)]
    pub backend_urn: Option<Str<'a>>,
    #[serde(borrow)]
    pub entity_urn: Option<Str<'a>>,
    pub delivered_at: Option<i64>,
    #[serde(borrow)]
    pub sender: Option<Participant<'a>>,
    #[serde(borrow)]
    pub message_body_render_format: Option<Str<'a>>,
    #[serde(borrow)]
    pub body: Option<AttributedText<'a>>,
    #[serde(borrow)]
    pub subject: Option<Str<'a>>,
    #[serde(borrow)]
    pub render_content: Option<Vec<RenderContent<'a>>>,
    #[serde(borrow)]
    pub reaction_summaries: Option<Vec<ReactionSummary<'a>>>,
}

/// One item of `renderContent`: at most one of these is set; other kinds are skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RenderContent<'a> {
    #[serde(borrow)]
    pub file: Option<File<'a>>,
    #[serde(borrow)]
    pub vector_image: Option<Media<'a>>,
    #[serde(borrow)]
    pub video: Option<Media<'a>>,
    #[serde(borrow)]
    pub audio: Option<Media<'a>>,
    #[serde(borrow)]
    pub external_media: Option<Media<'a>>,
}

/// `com.linkedin.messenger.File`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct File<'a> {
    #[serde(borrow)]
    pub asset_urn: Option<Str<'a>>,
    #[serde(borrow)]
    pub media_type: Option<Str<'a>>,
    #[serde(borrow)]
    pub name: Option<Str<'a>>,
    pub byte_size: Option<i64>,
    #[serde(borrow)]
    pub url: Option<Str<'a>>,
}

/// An image, video, audio clip or shared post: the URL sits in one of three places.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Media<'a> {
    #[serde(borrow)]
    pub entity_urn: Option<Str<'a>>,
    #[serde(borrow)]
    pub root_url: Option<Str<'a>>,
    #[serde(borrow)]
    pub url: Option<Str<'a>>,
    #[serde(borrow)]
    pub media: Option<MediaRef<'a>>,
}

/// `media` is the asset's URN in some records and an object with its `url` in others.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum MediaRef<'a> {
    Urn(#[serde(borrow)] Str<'a>),
    Object {
        #[serde(borrow)]
        url: Option<Str<'a>>,
    },
    Other(IgnoredAny),
}

impl MediaRef<'_> {
    pub(crate) fn urn(&self) -> Option<&str> {
        match self {
            MediaRef::Urn(urn) => Some(urn),
            _ => None,
        }
    }

    pub(crate) fn url(&self) -> Option<&str> {
        match self {
            MediaRef::Object { url } => url.as_deref(),
            _ => None,
        }
    }
}

/// `com.linkedin.messenger.ReactionSummary`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReactionSummary<'a> {
    #[serde(borrow)]
    pub emoji: Option<Str<'a>>,
    pub count: Option<u64>,
    pub viewer_reacted: Option<bool>,
}

/// `/voyager/api/me` (flat shape).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Me<'a> {
    #[serde(borrow)]
    pub mini_profile: Option<MiniProfile<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MiniProfile<'a> {
    #[serde(borrow)]
    pub dash_entity_urn: Option<Str<'a>>,
    #[serde(borrow)]
    pub entity_urn: Option<Str<'a>>,
    #[serde(borrow)]
    pub first_name: Option<Str<'a>>,
    #[serde(borrow)]
    pub last_name: Option<Str<'a>>,
    #[serde(borrow)]
    pub public_identifier: Option<Str<'a>>,
}
