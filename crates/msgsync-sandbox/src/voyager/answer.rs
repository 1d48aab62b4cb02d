//! Whole answers: a page of conversations or messages in its collection and GraphQL envelope,
//! `/voyager/api/me`, and the JSON bytes they are written to.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::render::{
    member_number, profile_urn, split_name, typed, Collection, Concat, GeneratedConversation,
    GeneratedMessage, MemberUrn, Null, TypeTag, COLLECTION, RECIPE,
};
use crate::generator::linkedin;
use crate::generator::Dataset;

/// A little more than a rendered message and a listed conversation (with its participants and
/// newest message) take on average, about 3.5 and 11 KB: an answer starts with a buffer of
/// that much per element, sparing the copies of a buffer grown from serde_json's 128 bytes.
const MESSAGE_BYTES: usize = 4_000;
const CONVERSATION_BYTES: usize = 12_000;
/// The envelope, collection and metadata around the elements.
const ENVELOPE_BYTES: usize = 512;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConversationCursorMetadata<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    next_cursor: Option<&'a str>,
}

/// Messages are paged backwards only: `nextCursor` is always null.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageMetadata<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    prev_cursor: Option<&'a str>,
    next_cursor: Null,
}

/// The GraphQL envelope: `{"data": {"_type", "_recipeType", <field>: …}}`.
#[derive(Serialize)]
struct Envelope<C> {
    data: Data<C>,
}

struct Data<C> {
    field: &'static str,
    collection: C,
}

impl<C: Serialize> Serialize for Data<C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut data = serializer.serialize_map(Some(3))?;
        data.serialize_entry("_type", RECIPE)?;
        data.serialize_entry("_recipeType", RECIPE)?;
        data.serialize_entry(self.field, &self.collection)?;
        data.end()
    }
}

/// The answer of `messengerConversations`: a page of the list, and the cursor of the next one.
pub(crate) fn conversations_answer(
    page: Vec<GeneratedConversation>,
    next_cursor: Option<&str>,
) -> Response {
    let expected_len = ENVELOPE_BYTES + page.len() * CONVERSATION_BYTES;
    let collection = Collection {
        tag: typed(COLLECTION),
        elements: page,
        metadata: Some(ConversationCursorMetadata {
            tag: typed("com.linkedin.messenger.ConversationCursorMetadata"),
            next_cursor,
        }),
    };
    let data = Data {
        field: "messengerConversationsByCategoryQuery",
        collection,
    };
    json_answer(&Envelope { data }, expected_len)
}

/// The answer of `messengerMessages` under `field`: a page of a conversation, and the cursor of
/// the older messages.
pub(crate) fn messages_answer(
    field: &'static str,
    page: Vec<GeneratedMessage>,
    prev_cursor: Option<&str>,
) -> Response {
    let expected_len = ENVELOPE_BYTES + page.len() * MESSAGE_BYTES;
    let collection = Collection {
        tag: typed(COLLECTION),
        elements: page,
        metadata: Some(MessageMetadata {
            tag: typed("com.linkedin.messenger.MessageMetadata"),
            prev_cursor,
            next_cursor: (),
        }),
    };
    json_answer(
        &Envelope {
            data: Data { field, collection },
        },
        expected_len,
    )
}

/// `/voyager/api/me`: the member and the `miniProfile` the mailbox URN comes from.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Me<'a> {
    plain_id: u64,
    mini_profile: MiniProfile<'a>,
    premium_subscriber: bool,
    public_contact_info: PublicContactInfo,
    #[serde(rename = "$type")]
    schema: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MiniProfile<'a> {
    #[serde(rename = "$type")]
    schema: &'static str,
    first_name: &'a str,
    last_name: &'a str,
    occupation: String,
    public_identifier: String,
    memorialized: bool,
    entity_urn: Concat<'a, 2>,
    dash_entity_urn: Concat<'a, 2>,
    object_urn: MemberUrn,
    tracking_id: &'static str,
}

#[derive(Serialize)]
struct PublicContactInfo {
    #[serde(rename = "$type")]
    schema: &'static str,
}

pub(crate) fn me_answer(ds: &Dataset) -> Response {
    let owner = ds.owner();
    let (first, last) = split_name(&owner.name);
    let me = Me {
        plain_id: member_number(&owner.id),
        mini_profile: MiniProfile {
            schema: "com.linkedin.voyager.identity.shared.MiniProfile",
            first_name: first,
            last_name: last,
            occupation: linkedin::profile_of(ds, owner).headline,
            public_identifier: owner.id.to_ascii_lowercase(),
            memorialized: false,
            entity_urn: Concat(["urn:li:fs_miniProfile:", &owner.id]),
            dash_entity_urn: profile_urn(&owner.id),
            object_urn: MemberUrn(member_number(&owner.id)),
            tracking_id: "c2FuZGJveA==",
        },
        premium_subscriber: false,
        public_contact_info: PublicContactInfo {
            schema: "com.linkedin.voyager.identity.shared.PublicContactInfo",
        },
        schema: "com.linkedin.voyager.common.Me",
    };
    json_answer(&me, 1024)
}

/// `body` as a JSON answer, serialized into a buffer of `expected_len` bytes to begin with.
pub(crate) fn json_answer(body: &impl Serialize, expected_len: usize) -> Response {
    let mut bytes = Vec::with_capacity(expected_len);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        // Only a `Serialize` that fails on purpose could get here; these records never do.
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
