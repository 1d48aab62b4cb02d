//! The connector's reading of real answers of LinkedIn, as a working client captured and
//! published them (`fixtures/tradeapp_capture.json`: its `_source` says where from): the
//! conversation becomes the chat and attendees a member sees in LinkedIn's web app, the
//! message the message.

use msgsync_core::LinkedinProduct;
use serde_json::value::RawValue;

use super::mapping;
use super::wire::Conversation;
use crate::{ChatKind, LinkedinMember, NetworkDistance, ProviderAttendee};

const CAPTURE: &str = include_str!("fixtures/tradeapp_capture.json");
/// The mailbox the capture was made in.
const OWNER: &str = "ACoAAAPqaMsBppQ4Do96IW1KXudL-mT6tj3xXZ0";
const OTHER: &str = "ACoAAATVC6sBb5ZltIhxZl0QybFnZTUK6i7Vc5Q";
const THREAD: &str = "2-MjIyYzk4ODctZDIxYy00MzFkLWFiYTktMzVkOWNlZTlhMjJlXzEwMA==";
const MESSAGE: &str =
    "2-MTczOTg0NzY4MDkxN2I2NTkxMy0xMDAmMjIyYzk4ODctZDIxYy00MzFkLWFiYTktMzVkOWNlZTlhMjJlXzEwMA==";
const TEXT: &str =
    "Hello Pei, I am expanding my network of insurance agents here on LinkedIn where \
                    we post lot of value content on online lead generation. Please accept my \
                    invite.\n\nThanks Pei\n";
const WEB: &str = "https://www.linkedin.com";

#[derive(serde::Deserialize)]
struct Capture<'a> {
    #[serde(borrow)]
    conversation: &'a RawValue,
    #[serde(borrow)]
    messages: &'a RawValue,
}

#[derive(serde::Deserialize)]
struct SyncTokenAnswer<'a> {
    #[serde(borrow)]
    data: SyncTokenData<'a>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SyncTokenData<'a> {
    #[serde(borrow)]
    messenger_messages_by_sync_token: Elements<'a>,
}

#[derive(serde::Deserialize)]
struct Elements<'a> {
    #[serde(borrow)]
    elements: Vec<&'a RawValue>,
}

fn capture() -> Capture<'static> {
    serde_json::from_str(CAPTURE).unwrap()
}

#[test]
fn the_captured_conversation_is_the_chat_and_attendees_linkedin_shows() {
    let conv: Conversation = serde_json::from_str(capture().conversation.get()).unwrap();
    let chat = mapping::chat(&conv, OWNER, LinkedinProduct::Classic).unwrap();
    assert_eq!(chat.provider_id, THREAD);
    assert_eq!(chat.name.as_deref(), Some("Pei Wu"));
    assert_eq!(chat.kind, ChatKind::Single);
    assert_eq!(chat.last_activity_ms, 1_739_847_681_338);
    assert_eq!((chat.unread_count, chat.archived), (0, false));
    assert_eq!(chat.muted_until, None, "notificationStatus ACTIVE");
    assert_eq!(chat.attendee_provider_id.as_deref(), Some(OTHER));
    assert_eq!(chat.content_type, None, "INBOX, PRIMARY_INBOX: no InMail");
    assert_eq!(chat.folder.as_deref(), Some("INBOX"));
    let picture = |root: &str, segment: &str| {
        Some(format!(
            "https://media.licdn.com/dms/image/v2/{root}/profile-displayphoto-shrink_{segment}"
        ))
    };
    assert_eq!(
        chat.attendees,
        [
            ProviderAttendee {
                provider_id: OTHER.into(),
                name: "Pei Wu".into(),
                is_self: false,
                profile_url: Some(format!("{WEB}/in/{OTHER}")),
                picture_url: picture(
                    "D4E03AQEa-GNFVJFEzQ",
                    "800_800/profile-displayphoto-shrink_800_800/0/1691794841650?e=1746057600&v=beta&t=e74X-72eIiN2W9S4vka6F48Ak7PyPloXazN00chHTWU"
                ),
                linkedin: Some(LinkedinMember {
                    member_urn: format!("urn:li:fsd_profile:{OTHER}"),
                    headline: Some(
                        "Certified Physician Assistant and Licensed Financial Professional".into()
                    ),
                    network_distance: Some(NetworkDistance::Distance1),
                }),
            },
            ProviderAttendee {
                provider_id: OWNER.into(),
                name: "Vrajesh Shah".into(),
                is_self: true,
                profile_url: Some(format!("{WEB}/in/{OWNER}")),
                // The tallest artifact (480 px high), whatever its path says.
                picture_url: picture(
                    "C5603AQF3iijVKIdKtg",
                    "800_800/profile-displayphoto-shrink_800_800/0/1607711262454?e=1746057600&v=beta&t=ajEToToTalJYdB5afVJoWJ1wKhJxSLueqfe3MaxNyXs"
                ),
                linkedin: Some(LinkedinMember {
                    member_urn: format!("urn:li:fsd_profile:{OWNER}"),
                    headline: Some(
                        "I help small business owners and entrepreneurs to drive more traffic, \
                         leads, and calls with various innovative solutions."
                            .into()
                    ),
                    network_distance: None,
                }),
            },
        ]
    );
}

#[test]
fn the_captured_messages_are_the_messages_linkedin_shows() {
    let answer: SyncTokenAnswer = serde_json::from_str(capture().messages.get()).unwrap();
    let elements = answer.data.messenger_messages_by_sync_token.elements;
    assert_eq!(elements.len(), 1);
    // Read after the conversation was listed, with its `lastReadAt`.
    let mapped = mapping::message(elements[0], OWNER, Some(1_739_911_971_153), WEB).unwrap();
    let m = mapped.message;
    assert_eq!(m.provider_id, MESSAGE);
    assert_eq!(m.sender_id, OWNER);
    assert!(m.is_sender && m.seen);
    assert_eq!(m.timestamp_ms, 1_739_847_681_328);
    assert_eq!(m.text.as_deref(), Some(TEXT));
    assert_eq!(m.subject, None);
    assert!(m.attachments.is_empty() && m.reactions.is_empty());
    assert!(!m.deleted && !m.edited && !m.is_event && m.delivered);
    assert_eq!(m.original, elements[0].get());
    // `sender` is a full participant record here (the captured `actor` is the other member):
    // the sender is described by it.
    let sender = mapped.sender.unwrap();
    assert_eq!(
        (
            sender.provider_id.as_str(),
            sender.name.as_str(),
            sender.is_self
        ),
        (OWNER, "Vrajesh Shah", true)
    );
    // The conversation carries the same message, as its newest.
    let conv: serde_json::Value = serde_json::from_str(capture().conversation.get()).unwrap();
    let embedded = serde_json::to_string(&conv["messages"]["elements"][0]).unwrap();
    let raw: &RawValue = serde_json::from_str(&embedded).unwrap();
    let again = mapping::message(raw, OWNER, None, WEB).unwrap().message;
    assert_eq!(
        (
            again.provider_id.as_str(),
            again.timestamp_ms,
            again.text.as_deref()
        ),
        (MESSAGE, m.timestamp_ms, Some(TEXT))
    );
}
