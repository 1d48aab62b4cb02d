//! The data set as LinkedIn's messenger GraphQL shows it: `com.linkedin.messenger.*` records
//! with their `_type` / `_recipeType`, field for field as in the captures the fixture
//! `tests/fixtures/voyager_graphql.json` holds, and in the fixture's order.
//!
//! Records are typed structs that borrow from the data set and are serialized straight into
//! the answer's bytes: a page of messages is tens of kilobytes, and a `serde_json::Value` tree
//! of it would cost an allocation or two per field, for every page of every sandbox sync.

use std::borrow::Cow;
use std::fmt;

use msgsync_core::LinkedinProduct;
use msgsync_providers::{ChatKind, ProviderMessage};
use serde::{Serialize, Serializer};

use super::render_media::{self, host_urn_data, RenderContent, SimUrl, VectorImage};
use crate::generator::linkedin;
use crate::generator::{ChatInfo, Dataset, MessageKey, Person};

/// LinkedIn's recipe hashes are opaque; the sandbox's one says what it is.
pub(super) const RECIPE: &str = "com.linkedin.sandbox.messenger";
pub(super) const COLLECTION: &str = "com.linkedin.restli.common.CollectionResponse";
const DAY_MS: i64 = 86_400_000;
/// The generator's unread window (incoming messages of the last week of a chat with unread
/// messages are unread).
const UNREAD_WINDOW_MS: i64 = 7 * DAY_MS;

/// A field LinkedIn sends as `null` in these answers.
pub(super) type Null = ();
/// A list LinkedIn sends empty in these answers.
type EmptyList = [(); 0];

/// `_type` and `_recipeType`, first in every messenger record: its schema, and the recipe
/// (projection) that shaped it.
#[derive(Serialize)]
pub(super) struct TypeTag {
    #[serde(rename = "_type")]
    schema: &'static str,
    #[serde(rename = "_recipeType")]
    recipe: &'static str,
}

pub(super) const fn typed(schema: &'static str) -> TypeTag {
    TypeTag {
        schema,
        recipe: RECIPE,
    }
}

/// A string made of parts (a URN, a URL), written into the answer part by part rather than
/// formatted into a `String` of its own first.
pub(super) struct Concat<'a, const N: usize>(pub(super) [&'a str; N]);

impl<const N: usize> fmt::Display for Concat<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|part| f.write_str(part))
    }
}

impl<const N: usize> Serialize for Concat<'_, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `urn:li:member:<number>`, the `backendUrn` of a member.
pub(super) struct MemberUrn(pub(super) u64);

impl fmt::Display for MemberUrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "urn:li:member:{}", self.0)
    }
}

impl Serialize for MemberUrn {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `com.linkedin.pemberly.text.AttributedText`, without attributes.
#[derive(Serialize)]
struct AttributedText<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    attributes: EmptyList,
    text: Cow<'a, str>,
}

fn text<'a>(value: impl Into<Cow<'a, str>>) -> AttributedText<'a> {
    AttributedText {
        tag: typed("com.linkedin.pemberly.text.AttributedText"),
        attributes: [],
        text: value.into(),
    }
}

pub(super) fn profile_urn(id: &str) -> Concat<'_, 2> {
    Concat(["urn:li:fsd_profile:", id])
}

/// A stable numeric member id for a profile id (the `urn:li:member:` of `backendUrn`).
pub(super) fn member_number(id: &str) -> u64 {
    id.bytes().fold(1_469_598_103_934_665_603u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1_099_511_628_211)
    }) % 1_000_000_000
}

pub(super) fn split_name(name: &str) -> (&str, &str) {
    name.split_once(' ').unwrap_or((name, ""))
}

/// A `MessagingParticipant`. A message's `sender` is the brief form, without `details`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Participant<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    entity_urn: Concat<'a, 2>,
    host_identity_urn: Concat<'a, 2>,
    member_badge_type: Null,
    show_premium_in_bug: bool,
    show_verification_badge: bool,
    #[serde(flatten)]
    details: Option<ParticipantDetails<'a>>,
}

/// Who a participant is: what the brief form leaves out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ParticipantDetails<'a> {
    participant_type: ParticipantType<'a>,
    backend_urn: MemberUrn,
    preview: Null,
}

#[derive(Serialize)]
struct ParticipantType<'a> {
    member: MemberParticipantInfo<'a>,
    organization: Null,
    agent: Null,
    custom: Null,
}

/// A member as a participant record describes them: the fields of a captured conversation
/// listing (UmairRathore/tradeapp `pythontest/fetchconnections.py`), the pronoun left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MemberParticipantInfo<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    profile_url: SimUrl<'a>,
    first_name: AttributedText<'a>,
    last_name: AttributedText<'a>,
    headline: AttributedText<'a>,
    distance: &'static str,
    pronoun: Null,
    profile_picture: Option<VectorImage<'a>>,
    profile_frame_a11y_content: Null,
}

fn participant<'a>(ds: &Dataset, p: &'a Person, base_url: &'a str, brief: bool) -> Participant<'a> {
    let details = (!brief).then(|| {
        let (first, last) = split_name(&p.name);
        let profile = linkedin::profile_of(ds, p);
        ParticipantDetails {
            participant_type: ParticipantType {
                member: MemberParticipantInfo {
                    tag: typed("com.linkedin.messenger.MemberParticipantInfo"),
                    profile_url: SimUrl::new(base_url, linkedin::profile_url(p)),
                    first_name: text(first),
                    last_name: text(last),
                    headline: text(profile.headline),
                    distance: profile.distance,
                    pronoun: (),
                    profile_picture: profile
                        .picture
                        .as_ref()
                        .map(|pic| render_media::picture(base_url, pic)),
                    profile_frame_a11y_content: (),
                },
                organization: (),
                agent: (),
                custom: (),
            },
            backend_urn: MemberUrn(member_number(&p.id)),
            preview: (),
        }
    });
    Participant {
        tag: typed("com.linkedin.messenger.MessagingParticipant"),
        entity_urn: Concat(["urn:li:msg_messagingParticipant:urn:li:fsd_profile:", &p.id]),
        host_identity_urn: profile_urn(&p.id),
        member_badge_type: (),
        show_premium_in_bug: false,
        show_verification_badge: false,
        details,
    }
}

fn conversation_urn<'a>(owner: &'a Person, thread: &'a str) -> Concat<'a, 5> {
    Concat([
        "urn:li:msg_conversation:(urn:li:fsd_profile:",
        &owner.id,
        ",",
        thread,
        ")",
    ])
}

fn categories(info: &ChatInfo) -> &'static [&'static str] {
    let inmail = info.subject.is_some();
    match (info.archived, inmail) {
        (true, true) => &["ARCHIVE", "INMAIL"],
        (true, false) => &["ARCHIVE"],
        (false, true) => &["INBOX", "INMAIL"],
        (false, false) => &["INBOX", "PRIMARY_INBOX"],
    }
}

/// Whether a conversation matches any of the categories asked for (no filter: all do).
pub(crate) fn in_categories(info: &ChatInfo, wanted: &[String]) -> bool {
    wanted.is_empty()
        || categories(info)
            .iter()
            .any(|c| wanted.iter().any(|w| w == c))
}

fn find<'a>(info: &'a ChatInfo, owner: &'a Person, id: &str) -> &'a Person {
    info.members.iter().find(|m| m.id == id).unwrap_or(owner)
}

/// A `com.linkedin.messenger.Message`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Message<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    entity_urn: Concat<'a, 5>,
    backend_urn: Concat<'a, 2>,
    backend_conversation_urn: Concat<'a, 2>,
    conversation: ConversationRef<'a>,
    body: AttributedText<'a>,
    subject: Option<&'a str>,
    delivered_at: i64,
    actor: Participant<'a>,
    sender: Participant<'a>,
    origin_token: Option<Concat<'a, 2>>,
    message_body_render_format: &'static str,
    render_content: Vec<RenderContent<'a>>,
    render_content_fallback_text: Null,
    reaction_summaries: Vec<ReactionSummary<'a>>,
    footer: Null,
    inline_warning: Null,
    incomplete_retriable_data: bool,
}

/// The conversation a message belongs to, by URN.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConversationRef<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    entity_urn: Concat<'a, 5>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReactionSummary<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    emoji: &'a str,
    count: u32,
    first_reacted_at: i64,
    viewer_reacted: bool,
}

fn message<'a>(
    ds: &'a Dataset,
    info: &'a ChatInfo,
    key: MessageKey,
    m: &'a ProviderMessage,
    base_url: &'a str,
) -> Message<'a> {
    let owner = ds.owner();
    let sender = find(info, owner, &m.sender_id);
    let format = match (m.deleted, m.edited) {
        (true, _) => "RECALLED",
        (_, true) => "EDITED",
        _ => "DEFAULT",
    };
    // The attachments first, in the generator's order: a record without a URN of its own is
    // known by its place.
    let mut render_content: Vec<RenderContent> = if m.attachments.is_empty() {
        Vec::new()
    } else {
        linkedin::media_of(ds, info, key)
            .iter()
            .map(|media| render_media::item(base_url, media))
            .collect()
    };
    let seat = match (info.inbox, m.deleted) {
        (Some(LinkedinProduct::Recruiter), false) => Some("RECRUITER_INMAIL"),
        (Some(LinkedinProduct::SalesNavigator), false) => Some("SALES_INMAIL"),
        _ => None,
    };
    if let Some(kind) = seat {
        render_content.push(host_urn_data(kind, profile_urn(&sender.id).to_string()));
    }
    // One summary per emoji, in the order of the first reaction with it.
    let mut reaction_summaries: Vec<ReactionSummary> = Vec::new();
    for r in &m.reactions {
        match reaction_summaries.iter_mut().find(|s| s.emoji == r.value) {
            Some(s) => {
                s.count += 1;
                s.viewer_reacted |= r.is_sender;
            }
            None => reaction_summaries.push(ReactionSummary {
                tag: typed("com.linkedin.messenger.ReactionSummary"),
                emoji: &r.value,
                count: 1,
                first_reacted_at: m.timestamp_ms,
                viewer_reacted: r.is_sender,
            }),
        }
    }
    Message {
        tag: typed("com.linkedin.messenger.Message"),
        entity_urn: Concat([
            "urn:li:msg_message:(urn:li:fsd_profile:",
            &owner.id,
            ",",
            &m.provider_id,
            ")",
        ]),
        backend_urn: Concat(["urn:li:messagingMessage:", &m.provider_id]),
        backend_conversation_urn: Concat(["urn:li:messagingThread:", &info.provider_id]),
        conversation: ConversationRef {
            tag: typed("com.linkedin.messenger.Conversation"),
            entity_urn: conversation_urn(owner, &info.provider_id),
        },
        body: text(m.text.as_deref().unwrap_or("")),
        subject: m.subject.as_deref(),
        delivered_at: m.timestamp_ms,
        actor: participant(ds, sender, base_url, false),
        sender: participant(ds, sender, base_url, true),
        origin_token: m.is_sender.then(|| Concat(["sandbox-", &m.provider_id])),
        message_body_render_format: format,
        render_content,
        render_content_fallback_text: (),
        reaction_summaries,
        footer: (),
        inline_warning: (),
        incomplete_retriable_data: false,
    }
}

/// A message of the data set, generated as it is written: its record borrows from it.
pub(crate) struct GeneratedMessage<'a> {
    pub(crate) ds: &'a Dataset,
    pub(crate) info: &'a ChatInfo,
    pub(crate) key: MessageKey,
    pub(crate) base_url: &'a str,
}

impl Serialize for GeneratedMessage<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = self.ds.wire_message(self.info, self.key).message;
        message(self.ds, self.info, self.key, &m, self.base_url).serialize(serializer)
    }
}

/// A `com.linkedin.messenger.Conversation` as the list carries it, with its newest message.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Conversation<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    entity_urn: Concat<'a, 5>,
    backend_urn: Concat<'a, 2>,
    conversation_url: Concat<'a, 4>,
    categories: &'static [&'static str],
    group_chat: bool,
    state: Null,
    title: Option<&'a str>,
    conversation_type_text: Option<AttributedText<'static>>,
    conversation_verification_label: Null,
    conversation_verification_explanation: Null,
    headline_text: Null,
    short_headline_text: Null,
    description_text: Null,
    content_metadata: Null,
    conversation_participants: Vec<Participant<'a>>,
    creator: Participant<'a>,
    created_at: i64,
    last_activity_at: i64,
    last_read_at: i64,
    read: bool,
    unread_count: i64,
    notification_status: &'static str,
    disabled_features: EmptyList,
    host_conversation_actions: EmptyList,
    incomplete_retriable_data: bool,
    messages: Collection<Vec<Message<'a>>>,
}

/// A conversation of the data set, generated as it is written: its record borrows from the
/// chat and its newest message.
pub(crate) struct GeneratedConversation<'a> {
    pub(crate) ds: &'a Dataset,
    pub(crate) info: &'a ChatInfo,
    pub(crate) base_url: &'a str,
}

impl Serialize for GeneratedConversation<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let GeneratedConversation { ds, info, base_url } = *self;
        let owner = ds.owner();
        let chat = ds.provider_chat(info);
        let newest = ds
            .message_keys(info.index)
            .and_then(|keys| keys.last().copied())
            .map(|k| (k, ds.wire_message(info, k).message));
        // Incoming messages of the last week of a chat with unread messages are unread: the
        // owner last read the chat just before that week.
        let last_read_at = if info.unread > 0 {
            ds.anchor_ms() - UNREAD_WINDOW_MS - 1
        } else {
            chat.last_activity_ms
        };
        let participants = std::iter::once(owner).chain(&info.members);
        let group = info.kind == ChatKind::Group;
        Conversation {
            tag: typed("com.linkedin.messenger.Conversation"),
            entity_urn: conversation_urn(owner, &info.provider_id),
            backend_urn: Concat(["urn:li:messagingThread:", &info.provider_id]),
            conversation_url: Concat([base_url, "/messaging/thread/", &info.provider_id, "/"]),
            categories: categories(info),
            group_chat: group,
            state: (),
            title: if group { info.name.as_deref() } else { None },
            conversation_type_text: info.subject.as_ref().map(|_| text("InMail")),
            conversation_verification_label: (),
            conversation_verification_explanation: (),
            headline_text: (),
            short_headline_text: (),
            description_text: (),
            content_metadata: (),
            conversation_participants: participants
                .map(|p| participant(ds, p, base_url, false))
                .collect(),
            creator: participant(ds, info.members.first().unwrap_or(owner), base_url, false),
            created_at: info.created_ms,
            last_activity_at: chat.last_activity_ms,
            last_read_at,
            read: chat.unread_count == 0,
            unread_count: chat.unread_count,
            notification_status: if info.muted_until.is_some() {
                "MUTE"
            } else {
                "ACTIVE"
            },
            disabled_features: [],
            host_conversation_actions: [],
            incomplete_retriable_data: false,
            messages: Collection {
                tag: typed(COLLECTION),
                elements: newest
                    .iter()
                    .map(|(k, m)| message(ds, info, *k, m, base_url))
                    .collect(),
                metadata: None,
            },
        }
        .serialize(serializer)
    }
}

/// A `CollectionResponse`; a page of a listing has its paging `metadata`, the messages inside
/// a conversation have none.
#[derive(Serialize)]
pub(super) struct Collection<E, M = ()> {
    #[serde(flatten)]
    pub(super) tag: TypeTag,
    pub(super) elements: E,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) metadata: Option<M>,
}
