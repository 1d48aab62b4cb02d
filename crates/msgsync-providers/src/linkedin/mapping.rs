//! Voyager messenger JSON to provider-neutral chats and messages. Required fields that are
//! missing make the page a [`ProviderError::Protocol`]: a half-understood answer must not
//! silently become an empty or partial page.

use msgsync_core::LinkedinProduct;
use serde_json::Value;

use super::folder;
use crate::{Attachment, ChatKind, ProviderChat, ProviderError, ProviderMessage, Reaction};

const PROFILE_PREFIX: &str = "urn:li:fsd_profile:";

fn missing(what: &str, field: &str) -> ProviderError {
    ProviderError::Protocol(format!("a LinkedIn {what} without `{field}`"))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
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
fn person_id(urn: &str) -> String {
    urn.strip_prefix(PROFILE_PREFIX).unwrap_or(urn).to_string()
}

/// The `2-…` id of a thread or message: from `backendUrn`, else from `entityUrn`.
fn object_id(v: &Value) -> Option<String> {
    ["backendUrn", "entityUrn"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(Value::as_str))
        .find_map(urn_id)
        .map(str::to_string)
}

fn participant_id(p: &Value) -> Option<String> {
    str_at(p, &["hostIdentityUrn"]).map(person_id)
}

fn participant_name(p: &Value) -> Option<String> {
    let member = p.get("participantType")?.get("member");
    if let Some(m) = member.filter(|m| !m.is_null()) {
        let first = str_at(m, &["firstName", "text"]).unwrap_or("");
        let last = str_at(m, &["lastName", "text"]).unwrap_or("");
        let name = format!("{first} {last}").trim().to_string();
        return (!name.is_empty()).then_some(name);
    }
    str_at(p, &["participantType", "organization", "name", "text"]).map(str::to_string)
}

fn has_category(conv: &Value, category: &str) -> bool {
    conv.get("categories")
        .and_then(Value::as_array)
        .is_some_and(|c| c.iter().any(|c| c.as_str() == Some(category)))
}

/// A conversation of the listing; `owner` is the mailbox owner's member id.
pub(crate) fn chat(
    conv: &Value,
    owner: &str,
    inbox: LinkedinProduct,
) -> Result<ProviderChat, ProviderError> {
    let provider_id = object_id(conv).ok_or_else(|| missing("conversation", "entityUrn"))?;
    let last_activity_ms = conv
        .get("lastActivityAt")
        .and_then(Value::as_i64)
        .ok_or_else(|| missing("conversation", "lastActivityAt"))?;
    let group = conv
        .get("groupChat")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let others: Vec<&Value> = conv
        .get("conversationParticipants")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter(|p| participant_id(p).is_some_and(|id| id != owner))
                .collect()
        })
        .unwrap_or_default();
    let title = str_at(conv, &["title"]).filter(|t| !t.is_empty());
    let name = match (group, title) {
        (_, Some(t)) => Some(t.to_string()),
        (false, None) => others.first().and_then(|p| participant_name(p)),
        (true, None) => {
            let names: Vec<String> = others.iter().filter_map(|p| participant_name(p)).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
    };
    Ok(ProviderChat {
        provider_id,
        name,
        kind: if group {
            ChatKind::Group
        } else {
            ChatKind::Single
        },
        last_activity_ms,
        unread_count: conv.get("unreadCount").and_then(Value::as_i64).unwrap_or(0),
        archived: has_category(conv, "ARCHIVE"),
        // LinkedIn mutes without an end date.
        muted_until: (str_at(conv, &["notificationStatus"]) == Some("MUTE")).then_some(-1),
        read_only: false,
        folder: Some(folder(inbox).to_string()),
        attendee_provider_id: if group {
            None
        } else {
            others.first().and_then(|p| participant_id(p))
        },
        content_type: has_category(conv, "INMAIL").then(|| "inmail".to_string()),
        inbox: Some(inbox),
    })
}

/// When the owner last read a conversation.
pub(crate) fn last_read_at(conv: &Value) -> Option<i64> {
    conv.get("lastReadAt").and_then(Value::as_i64)
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

fn attachments(msg: &Value) -> Vec<Attachment> {
    let Some(items) = msg.get("renderContent").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let fallback_id = || format!("{}-{i}", object_id(msg).unwrap_or_default());
            if let Some(f) = item.get("file").filter(|f| !f.is_null()) {
                let media = str_at(f, &["mediaType"]).unwrap_or("application/octet-stream");
                return Some(Attachment {
                    id: str_at(f, &["assetUrn"])
                        .and_then(urn_id)
                        .map_or_else(fallback_id, str::to_string),
                    kind: kind_of(media).to_string(),
                    file_name: str_at(f, &["name"]).map(str::to_string),
                    mimetype: Some(media.to_string()),
                    file_size: f.get("byteSize").and_then(Value::as_i64),
                    url: str_at(f, &["url"]).map(str::to_string),
                });
            }
            let (kind, v) = [
                ("img", "vectorImage"),
                ("video", "video"),
                ("audio", "audio"),
                ("linkedin_post", "externalMedia"),
            ]
            .into_iter()
            .find_map(|(kind, key)| item.get(key).filter(|v| !v.is_null()).map(|v| (kind, v)))?;
            let url = str_at(v, &["rootUrl"])
                .or_else(|| str_at(v, &["url"]))
                .or_else(|| str_at(v, &["media", "url"]))
                .map(str::to_string);
            Some(Attachment {
                id: str_at(v, &["entityUrn"])
                    .or_else(|| str_at(v, &["media"]))
                    .and_then(urn_id)
                    .map_or_else(fallback_id, str::to_string),
                kind: kind.to_string(),
                file_name: None,
                mimetype: None,
                file_size: None,
                url,
            })
        })
        .collect()
}

/// Reaction summaries say who reacted only for the viewer; the other reactors need one more
/// request per emoji, which a sync does not spend: they come with an empty `sender_id`.
fn reactions(msg: &Value, owner: &str) -> Vec<Reaction> {
    let Some(items) = msg.get("reactionSummaries").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in items {
        let Some(emoji) = str_at(r, &["emoji"]) else {
            continue;
        };
        let viewer = r
            .get("viewerReacted")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let count = r
            .get("count")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .min(1000);
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

/// A message. `last_read` is the owner's `lastReadAt` of the conversation when known:
/// incoming messages after it are unseen.
pub(crate) fn message(
    msg: &Value,
    owner: &str,
    last_read: Option<i64>,
) -> Result<ProviderMessage, ProviderError> {
    let provider_id = object_id(msg).ok_or_else(|| missing("message", "entityUrn"))?;
    let timestamp_ms = msg
        .get("deliveredAt")
        .and_then(Value::as_i64)
        .ok_or_else(|| missing("message", "deliveredAt"))?;
    let sender_id = msg
        .get("sender")
        .and_then(participant_id)
        .ok_or_else(|| missing("message", "sender.hostIdentityUrn"))?;
    let format = str_at(msg, &["messageBodyRenderFormat"]).unwrap_or("DEFAULT");
    let recalled = format == "RECALLED";
    let text = if recalled {
        None
    } else {
        str_at(msg, &["body", "text"]).map(str::to_string)
    };
    let is_sender = sender_id == owner;
    Ok(ProviderMessage {
        provider_id,
        text,
        subject: str_at(msg, &["subject"]).map(str::to_string),
        timestamp_ms,
        is_sender,
        // Seen receipts of the other side are not fetched: the owner's own messages count as
        // seen.
        seen: is_sender || last_read.is_none_or(|at| timestamp_ms <= at),
        attachments: if recalled {
            Vec::new()
        } else {
            attachments(msg)
        },
        reactions: if recalled {
            Vec::new()
        } else {
            reactions(msg, owner)
        },
        hidden: false,
        deleted: recalled,
        edited: format == "EDITED",
        is_event: format == "SYSTEM",
        delivered: true,
        original: msg.to_string(),
        sender_id,
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
        let m = serde_json::json!({"backendUrn": "urn:li:messagingMessage:2-a", "deliveredAt": 1});
        assert!(matches!(
            message(&m, "me", None),
            Err(ProviderError::Protocol(_))
        ));
    }
}
