//! The parts of Voyager's answers the connector reads, as serde reads them straight from the
//! response body: no `serde_json::Value` tree, and strings borrowed from the body unless they
//! carry JSON escapes ([`Str`]). Unknown fields are skipped. Every field is optional here: which
//! ones a record must have is decided in `mapping`, which names the missing one in its
//! [`ProviderError::Protocol`](crate::ProviderError::Protocol).

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::de::{self, Visitor};
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

/// A GraphQL answer: `data`, `errors`, or both (GraphQL answers partial data with the errors
/// of the fields it could not resolve).
#[derive(Deserialize)]
pub(crate) struct GraphqlAnswer<'a, D> {
    /// Kept as written, only to be quoted in the error.
    #[serde(borrow)]
    pub errors: Option<&'a RawValue>,
    pub data: Option<D>,
}

/// `data` of `messengerConversations`: conversations stay raw until each is read on its own,
/// so that one of an unexpected shape is skipped rather than failing the page.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConversationsData<'a> {
    #[serde(borrow)]
    pub messenger_conversations_by_category_query: Option<Collection<'a, &'a RawValue>>,
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

/// `com.linkedin.messenger.MemberParticipantInfo` (mautrix/linkedin
/// `pkg/linkedingo/conversations.go`; `distance` as a capture of the web app shows it,
/// UmairRathore/tradeapp `pythontest/fetchconnections.py`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MemberInfo<'a> {
    #[serde(borrow)]
    pub first_name: Option<AttributedText<'a>>,
    #[serde(borrow)]
    pub last_name: Option<AttributedText<'a>>,
    #[serde(borrow)]
    pub headline: Option<AttributedText<'a>>,
    #[serde(borrow)]
    pub profile_url: Option<Str<'a>>,
    #[serde(borrow)]
    pub profile_picture: Option<VectorImage<'a>>,
    /// `SELF`, `DISTANCE_1`, `DISTANCE_2`, `DISTANCE_3`, `OUT_OF_NETWORK`.
    #[serde(borrow)]
    pub distance: Option<Str<'a>>,
}

/// `com.linkedin.messenger.OrganizationParticipantInfo`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrganizationInfo<'a> {
    #[serde(borrow)]
    pub name: Option<AttributedText<'a>>,
    #[serde(borrow)]
    pub logo: Option<VectorImage<'a>>,
    #[serde(borrow)]
    pub page_url: Option<Str<'a>>,
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
    /// The sender as a full participant record, when it is the sender (the web app's answers
    /// give `sender` in brief and `actor` in full).
    #[serde(borrow)]
    pub actor: Option<Participant<'a>>,
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

/// One item of `renderContent`: at most one of these is set; other kinds (forwarded and
/// replied messages) are skipped. Records as mautrix/linkedin reads them
/// (`pkg/linkedingo/messages.go` `RenderContent`, `media.go`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RenderContent<'a> {
    #[serde(borrow)]
    pub file: Option<File<'a>>,
    #[serde(borrow)]
    pub vector_image: Option<VectorImage<'a>>,
    #[serde(borrow)]
    pub video: Option<Video<'a>>,
    #[serde(borrow)]
    pub audio: Option<Audio<'a>>,
    #[serde(borrow)]
    pub external_media: Option<ExternalMedia<'a>>,
    #[serde(borrow)]
    pub host_urn_data: Option<HostUrnData<'a>>,
}

/// `com.linkedin.messenger.File` (mautrix's `FileAttachment`).
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

/// `com.linkedin.common.VectorImage`: a picture in several sizes, each at `rootUrl` followed
/// by the artifact's path segment.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VectorImage<'a> {
    #[serde(borrow)]
    pub root_url: Option<Str<'a>>,
    #[serde(borrow)]
    pub artifacts: Option<Vec<VectorArtifact<'a>>>,
    /// The asset's URN, where the record names it.
    #[serde(borrow)]
    pub digitalmedia_asset: Option<Str<'a>>,
}

/// `com.linkedin.common.VectorArtifact`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VectorArtifact<'a> {
    pub width: Option<i64>,
    pub height: Option<i64>,
    #[serde(borrow)]
    pub file_identifying_url_path_segment: Option<Str<'a>>,
}

impl VectorImage<'_> {
    /// The largest artifact (by height, the first of equals) and its URL, as mautrix's
    /// `GetLargestArtifactURL` picks it.
    pub(crate) fn largest(&self) -> Option<(&VectorArtifact<'_>, String)> {
        let mut best: Option<&VectorArtifact> = None;
        for a in self.artifacts.iter().flatten() {
            if best.is_none_or(|b| a.height.unwrap_or(0) > b.height.unwrap_or(0)) {
                best = Some(a);
            }
        }
        let best = best?;
        let url = format!(
            "{}{}",
            self.root_url.as_deref().unwrap_or(""),
            best.file_identifying_url_path_segment
                .as_deref()
                .unwrap_or("")
        );
        (!url.is_empty()).then_some((best, url))
    }
}

/// `com.linkedin.videocontent.VideoPlayMetadata`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Video<'a> {
    #[serde(borrow)]
    pub entity_urn: Option<Str<'a>>,
    #[serde(borrow)]
    pub media: Option<Str<'a>>,
    /// Milliseconds.
    pub duration: Option<i64>,
    #[serde(borrow)]
    pub progressive_streams: Option<Vec<ProgressiveStream<'a>>>,
}

/// `com.linkedin.videocontent.ProgressiveDownloadMetadata`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProgressiveStream<'a> {
    pub size: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    #[serde(borrow)]
    pub media_type: Option<Str<'a>>,
    #[serde(borrow)]
    pub streaming_locations: Option<Vec<StreamingLocation<'a>>>,
}

#[derive(Deserialize)]
pub(crate) struct StreamingLocation<'a> {
    #[serde(borrow)]
    pub url: Option<Str<'a>>,
}

/// `com.linkedin.messenger.AudioMetadata`: a voice message.
#[derive(Deserialize)]
pub(crate) struct Audio<'a> {
    /// Milliseconds.
    pub duration: Option<i64>,
    #[serde(borrow)]
    pub url: Option<Str<'a>>,
}

/// `com.linkedin.messenger.ExternalMedia`: a GIF from a third party, through LinkedIn's
/// image proxy.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExternalMedia<'a> {
    #[serde(borrow)]
    pub entity_urn: Option<Str<'a>>,
    #[serde(borrow)]
    pub media: Option<ExternalProxyImage<'a>>,
}

/// `com.linkedin.messenger.ExternalProxyImage`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExternalProxyImage<'a> {
    pub original_width: Option<i64>,
    pub original_height: Option<i64>,
    #[serde(borrow)]
    pub url: Option<Str<'a>>,
}

/// `com.linkedin.messenger.HostUrnData`: a shared post (`FEED_UPDATE`), or the seat an InMail
/// went through.
#[derive(Deserialize)]
pub(crate) struct HostUrnData<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Option<Str<'a>>,
    #[serde(borrow, rename = "hostUrn")]
    pub host_urn: Option<Str<'a>>,
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
