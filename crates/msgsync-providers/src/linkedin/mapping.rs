//! Voyager messenger JSON to provider-neutral chats and messages. Required fields that are
//! missing make the page a [`ProviderError::Protocol`]: a half-understood answer must not
//! silently become an empty or partial page.

use msgsync_core::LinkedinProduct;
use serde_json::value::RawValue;

use super::folder;
use super::wire::{self, Conversation, Media, Participant};
use crate::{Attachment, ChatKind, ProviderChat, ProviderError, ProviderMessage, Reaction};

const PROFILE_PREFIX: &str = "urn:li:fsd_profile:";

fn missing(what: &str, field: &str) -> ProviderError {
    ProviderError::Protocol(format!("a LinkedIn {what} without `{field}`"))
}

/// The id in a URN: `urn:li:messagingThread:2-…` → `2-…`, and for compound URNs
/// `urn:li:msg_message:(urn:li:fsd_profile:X,2-…)` the last element of the tuple.
pub(crate) fn urn_id(urn: &str) -> Option<&str> {
    let id = match urn.strip_suffix(')') {
        Some(inner) => inner.rsplit(',').next()?,
        None => urn.rsplit(':').next()?,
    };
    (!id.is_empty()).then_some(id)
}

/// The member id of a profile URN, or the whole URN for other kinds of participants
/// (companies), so that a sender is never empty.
fn person_id(urn: &str) -> &str {
    urn.strip_prefix(PROFILE_PREFIX).unwrap_or(urn)
}

/// The `2-…` id of a thread or message: from `backendUrn`, else from `entityUrn`.
fn object_id<'a>(backend_urn: Option<&'a str>, entity_urn: Option<&'a str>) -> Option<&'a str> {
    [backend_urn, entity_urn]
        .into_iter()
        .flatten()
        .find_map(urn_id)
}

fn participant_id<'a>(p: &'a Participant<'_>) -> Option<&'a str> {
    p.host_identity_urn.as_deref().map(person_id)
}

fn participant_name(p: &Participant<'_>) -> Option<String> {
    let kind = p.participant_type.as_ref()?;
    if let Some(m) = &kind.member {
        let first = wire::text(&m.first_name).unwrap_or("");
        let last = wire::text(&m.last_name).unwrap_or("");
        let name = format!("{first} {last}").trim().to_string();
        return (!name.is_empty()).then_some(name);
    }
    let organization = kind.organization.as_ref()?;
    wire::text(&organization.name).map(str::to_string)
}

fn has_category(conv: &Conversation<'_>, category: &str) -> bool {
    conv.categories
        .as_ref()
        .is_some_and(|c| c.iter().any(|c| &**c == category))
}

/// A conversation of the listing; `owner` is the mailbox owner's member id.
pub(crate) fn chat(
    conv: &Conversation<'_>,
    owner: &str,
    inbox: LinkedinProduct,
) -> Result<ProviderChat, ProviderError> {
    let provider_id = object_id(conv.backend_urn.as_deref(), conv.entity_urn.as_deref())
        .ok_or_else(|| missing("conversation", "entityUrn"))?;
    let last_activity_ms = conv
        .last_activity_at
        .ok_or_else(|| missing("conversation", "lastActivityAt"))?;
    let group = conv.group_chat.unwrap_or(false);
    let others: Vec<&Participant> = conv
        .conversation_participants
        .iter()
        .flatten()
        .filter(|p| participant_id(p).is_some_and(|id| id != owner))
        .collect();
    let title = conv.title.as_deref().filter(|t| !t.is_empty());
    let name = match (group, title) {
        (_, Some(t)) => Some(t.to_string()),
        (false, None) => others.first().and_then(|p| participant_name(p)),
        (true, None) => {
            let names: Vec<String> = others.iter().filter_map(|p| participant_name(p)).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
    };
    Ok(ProviderChat {
        provider_id: provider_id.to_string(),
        name,
        kind: if group {
            ChatKind::Group
        } else {
            ChatKind::Single
        },
        last_activity_ms,
        unread_count: conv.unread_count.unwrap_or(0),
        archived: has_category(conv, "ARCHIVE"),
        // LinkedIn mutes without an end date.
        muted_until: (conv.notification_status.as_deref() == Some("MUTE")).then_some(-1),
        read_only: false,
        folder: Some(folder(inbox).to_string()),
        attendee_provider_id: if group {
            None
        } else {
            others
                .first()
                .and_then(|p| participant_id(p))
                .map(str::to_string)
        },
        content_type: has_category(conv, "INMAIL").then(|| "inmail".to_string()),
        inbox: Some(inbox),
        attendees: Vec::new(),
    })
}

/// The kind of a file by its media type, in the API's words.
fn kind_of(media_type: &str) -> &'static str {
    match media_type.split('/').next().unwrap_or("") {
        "image" => "img",
        "video" => "video",
        "audio" => "audio",
        _ => "file",
    }
}

/// The attachments of a message; `message_id` names those that carry no id of their own.
fn attachments(items: &[wire::RenderContent<'_>], message_id: &str) -> Vec<Attachment> {
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let fallback_id = || format!("{message_id}-{i}");
            if let Some(f) = &item.file {
                let media = f
                    .media_type
                    .as_deref()
                    .unwrap_or("application/octet-stream");
                return Some(Attachment {
                    id: f
                        .asset_urn
                        .as_deref()
                        .and_then(urn_id)
                        .map_or_else(fallback_id, str::to_string),
                    kind: kind_of(media).to_string(),
                    file_name: f.name.as_deref().map(str::to_string),
                    mimetype: Some(media.to_string()),
                    file_size: f.byte_size,
                    url: f.url.as_deref().map(str::to_string),
                    ..Default::default()
                });
            }
            let (kind, v): (&str, &Media) = [
                ("img", &item.vector_image),
                ("video", &item.video),
                ("audio", &item.audio),
                ("linkedin_post", &item.external_media),
            ]
            .into_iter()
            .find_map(|(kind, media)| Some((kind, media.as_ref()?)))?;
            let url = v
                .root_url
                .as_deref()
                .or(v.url.as_deref())
                .or_else(|| v.media.as_ref()?.url())
                .map(str::to_string);
            Some(Attachment {
                id: v
                    .entity_urn
                    .as_deref()
                    .or_else(|| v.media.as_ref()?.urn())
                    .and_then(urn_id)
                    .map_or_else(fallback_id, str::to_string),
                kind: kind.to_string(),
                file_name: None,
                mimetype: None,
                file_size: None,
                url,
                ..Default::default()
            })
        })
        .collect()
}

/// Reaction summaries say who reacted only for the viewer; the other reactors need one more
/// request per emoji, which a sync does not spend: they come with an empty `sender_id`.
fn reactions(items: &[wire::ReactionSummary<'_>], owner: &str) -> Vec<Reaction> {
    let mut out = Vec::new();
    for r in items {
        let Some(emoji) = r.emoji.as_deref() else {
            continue;
        };
        let viewer = r.viewer_reacted.unwrap_or(false);
        let count = r.count.unwrap_or(1).min(1000);
        if viewer {
            out.push(Reaction {
                value: emoji.to_string(),
                sender_id: owner.to_string(),
                is_sender: true,
            });
        }
        for _ in u64::from(viewer)..count {
            out.push(Reaction {
                value: emoji.to_string(),
                sender_id: String::new(),
                is_sender: false,
            });
        }
    }
    out
}

/// A message, from its own JSON (which it keeps as its `original`). `last_read` is the owner's
/// `lastReadAt` of the conversation when known: incoming messages after it are unseen.
pub(crate) fn message(
    raw: &RawValue,
    owner: &str,
    last_read: Option<i64>,
) -> Result<ProviderMessage, ProviderError> {
    let original = raw.get();
    let msg: wire::Message = serde_json::from_str(original)
        .map_err(|e| ProviderError::Protocol(format!("a malformed LinkedIn message: {e}")))?;
    let provider_id = object_id(msg.backend_urn.as_deref(), msg.entity_urn.as_deref())
        .ok_or_else(|| missing("message", "entityUrn"))?;
    let timestamp_ms = msg
        .delivered_at
        .ok_or_else(|| missing("message", "deliveredAt"))?;
    let sender_id = msg
        .sender
        .as_ref()
        .and_then(participant_id)
        .ok_or_else(|| missing("message", "sender.hostIdentityUrn"))?;
    let format = msg
        .message_body_render_format
        .as_deref()
        .unwrap_or("DEFAULT");
    let recalled = format == "RECALLED";
    let text = if recalled {
        None
    } else {
        wire::text(&msg.body).map(str::to_string)
    };
    let is_sender = sender_id == owner;
    Ok(ProviderMessage {
        provider_id: provider_id.to_string(),
        text,
        subject: msg.subject.as_deref().map(str::to_string),
        timestamp_ms,
        is_sender,
        // Seen receipts of the other side are not fetched: the owner's own messages count as
        // seen.
        seen: is_sender || last_read.is_none_or(|at| timestamp_ms <= at),
        attachments: match (&msg.render_content, recalled) {
            (Some(items), false) => attachments(items, provider_id),
            _ => Vec::new(),
        },
        reactions: match (&msg.reaction_summaries, recalled) {
            (Some(items), false) => reactions(items, owner),
            _ => Vec::new(),
        },
        hidden: false,
        deleted: recalled,
        edited: format == "EDITED",
        is_event: format == "SYSTEM",
        delivered: true,
        original: original.to_string(),
        sender_id: sender_id.to_string(),
        event_type: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urn_ids() {
        assert_eq!(urn_id("urn:li:messagingThread:2-abc=="), Some("2-abc=="));
        assert_eq!(
            urn_id("urn:li:msg_message:(urn:li:fsd_profile:ACoAA,2-xyz)"),
            Some("2-xyz")
        );
        assert_eq!(urn_id("urn:li:x:"), None);
    }

    #[test]
    fn message_without_sender_is_a_protocol_error() {
        let m: &RawValue = serde_json::from_str(
            r#"{"backendUrn": "urn:li:messagingMessage:2-a", "deliveredAt": 1}"#,
        )
        .unwrap();
        assert!(matches!(
            message(m, "me", None),
            Err(ProviderError::Protocol(_))
        ));
    }

    #[test]
    fn escaped_strings_and_both_shapes_of_media() {
        let m: &RawValue = serde_json::from_str(
            r#"{"entityUrn": "urn:li:msg_message:(urn:li:fsd_profile:me,2-a)", "deliveredAt": 5,
                "sender": {"hostIdentityUrn": "urn:li:fsd_profile:other"},
                "body": {"text": "say \"hi\"\n\u00e9"},
                "renderContent": [
                    {"video": {"media": "urn:li:digitalmediaAsset:v1"}},
                    {"externalMedia": {"media": {"url": "https://example.com/p"}}}
                ]}"#,
        )
        .unwrap();
        let msg = message(m, "me", Some(4)).unwrap();
        assert_eq!(msg.text.as_deref(), Some("say \"hi\"\n\u{e9}"));
        assert_eq!((msg.sender_id.as_str(), msg.seen), ("other", false));
        let media: Vec<_> = msg
            .attachments
            .iter()
            .map(|a| (a.id.as_str(), a.kind.as_str(), a.url.as_deref()))
            .collect();
        assert_eq!(
            media,
            [
                ("v1", "video", None),
                ("2-a-1", "linkedin_post", Some("https://example.com/p"))
            ]
        );
        assert_eq!(msg.original, m.get());
    }
}
