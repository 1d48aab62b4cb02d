//! `ChatAttendee`: the people of an account's chats.

use msgsync_core::content::NetworkDistance;
use msgsync_core::{AccountId, AttendeeId, ProviderKind};
use msgsync_store::AttendeeRecord;
use serde::Serialize;
use utoipa::ToSchema;

use super::messaging::flag;
use crate::openapi::schemas::{self, object, shapes};

/// Someone taking part in an account's chats: the same attendee in every chat of the account.
#[derive(Serialize, ToSchema)]
pub struct ChatAttendee<'a> {
    #[schema(schema_with = object::chat_attendee)]
    object: &'static str,
    #[schema(value_type = shapes::AttendeeId)]
    id: AttendeeId,
    #[schema(value_type = shapes::AccountId)]
    account_id: AccountId,
    /// The provider's id of the person (a message's `sender_id`).
    provider_id: &'a str,
    name: &'a str,
    /// 1 for the account owner.
    #[schema(value_type = shapes::Flag)]
    is_self: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    picture_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    profile_url: Option<&'a str>,
    /// LinkedIn members only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    specifics: Option<LinkedinSpecifics<'a>>,
}

/// What LinkedIn alone tells of a member.
#[derive(Serialize, ToSchema)]
struct LinkedinSpecifics<'a> {
    #[schema(schema_with = linkedin)]
    provider: &'static str,
    /// `urn:li:fsd_profile:…`
    member_urn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    headline: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = shapes::NetworkDistance)]
    network_distance: Option<NetworkDistance>,
}

fn linkedin() -> utoipa::openapi::Object {
    schemas::constant(ProviderKind::Linkedin.as_str())
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
#[derive(Serialize, ToSchema)]
#[schema(as = ChatAttendeeListOfChat)]
pub struct ChatAttendeeList<'a> {
    #[schema(schema_with = object::chat_attendee_list)]
    object: &'static str,
    items: Vec<ChatAttendee<'a>>,
}

pub fn attendee_list(attendees: &[AttendeeRecord]) -> ChatAttendeeList<'_> {
    ChatAttendeeList {
        object: "ChatAttendeeList",
        items: attendees.iter().map(attendee).collect(),
    }
}
