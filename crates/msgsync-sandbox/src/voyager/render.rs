//! The data set as LinkedIn's messenger GraphQL shows it: `com.linkedin.messenger.*` records
//! with their `_type` / `_recipeType`, field for field as in the captures the fixture
//! `tests/fixtures/voyager_graphql.json` holds.

use msgsync_core::LinkedinProduct;
use msgsync_providers::{ChatKind, ProviderMessage};
use serde_json::{json, Value};

use crate::generator::{ChatInfo, Dataset, Person};

/// LinkedIn's recipe hashes are opaque; the sandbox's one says what it is.
const RECIPE: &str = "com.linkedin.sandbox.messenger";
const COLLECTION: &str = "com.linkedin.restli.common.CollectionResponse";
const DAY_MS: i64 = 86_400_000;
/// The generator's unread window (incoming messages of the last week of a chat with unread
/// messages are unread).
const UNREAD_WINDOW_MS: i64 = 7 * DAY_MS;

pub(crate) fn text(value: &str) -> Value {
    json!({
        "_type": "com.linkedin.pemberly.text.AttributedText",
        "_recipeType": RECIPE,
        "attributes": [],
        "text": value,
    })
}

fn profile_urn(id: &str) -> String {
    format!("urn:li:fsd_profile:{id}")
}

/// A stable numeric member id for a profile id (the `urn:li:member:` of `backendUrn`).
fn member_number(id: &str) -> u64 {
    id.bytes().fold(1_469_598_103_934_665_603u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1_099_511_628_211)
    }) % 1_000_000_000
}

fn split_name(name: &str) -> (&str, &str) {
    name.split_once(' ').unwrap_or((name, ""))
}

/// A `MessagingParticipant`; `brief` is how a message's `sender` carries it.
pub(crate) fn participant(p: &Person, owner: &Person, base_url: &str, brief: bool) -> Value {
    let mut v = json!({
        "_type": "com.linkedin.messenger.MessagingParticipant",
        "_recipeType": RECIPE,
        "entityUrn": format!("urn:li:msg_messagingParticipant:{}", profile_urn(&p.id)),
        "hostIdentityUrn": profile_urn(&p.id),
        "memberBadgeType": null,
        "showPremiumInBug": false,
        "showVerificationBadge": false,
    });
    if brief {
        return v;
    }
    let (first, last) = split_name(&p.name);
    let distance = if p.id == owner.id {
        "SELF"
    } else {
        "DISTANCE_1"
    };
    v["participantType"] = json!({
        "member": {
            "_type": "com.linkedin.messenger.MemberParticipantInfo",
            "_recipeType": RECIPE,
            "profileUrl": format!("{base_url}/in/{}", p.id),
            "firstName": text(first),
            "lastName": text(last),
            "headline": text("Member of the msgsync sandbox"),
            "distance": distance,
            "pronoun": null,
            "profilePicture": null,
            "profileFrameA11yContent": null,
        },
        "organization": null,
        "agent": null,
        "custom": null,
    });
    v["backendUrn"] = json!(format!("urn:li:member:{}", member_number(&p.id)));
    v["preview"] = Value::Null;
    v
}

pub(crate) fn conversation_urn(owner: &Person, thread: &str) -> String {
    format!(
        "urn:li:msg_conversation:({},{thread})",
        profile_urn(&owner.id)
    )
}

fn categories(info: &ChatInfo) -> Vec<&'static str> {
    let inmail = info.subject.is_some();
    match (info.archived, inmail) {
        (true, true) => vec!["ARCHIVE", "INMAIL"],
        (true, false) => vec!["ARCHIVE"],
        (false, true) => vec!["INBOX", "INMAIL"],
        (false, false) => vec!["INBOX", "PRIMARY_INBOX"],
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
pub(crate) fn message(
    info: &ChatInfo,
    owner: &Person,
    m: &ProviderMessage,
    base_url: &str,
) -> Value {
    let sender = find(info, owner, &m.sender_id);
    let format = match (m.deleted, m.edited) {
        (true, _) => "RECALLED",
        (_, true) => "EDITED",
        _ => "DEFAULT",
    };
    let mut render: Vec<Value> = m
        .attachments
        .iter()
        .map(|a| {
            json!({"file": {
                "_type": "com.linkedin.messenger.File",
                "_recipeType": RECIPE,
                "assetUrn": format!("urn:li:messagingAttachment:{}", a.id),
                "byteSize": a.file_size,
                "mediaType": a.mimetype,
                "name": a.file_name,
                "url": format!("{base_url}/dms/prv/attachment/{}", a.id),
            }})
        })
        .collect();
    if let (Some(inbox), false) = (info.inbox, m.deleted) {
        let kind = match inbox {
            LinkedinProduct::Recruiter => Some("RECRUITER_INMAIL"),
            LinkedinProduct::SalesNavigator => Some("SALES_INMAIL"),
            LinkedinProduct::Classic => None,
        };
        if let Some(kind) = kind {
            render.push(json!({"hostUrnData": {
                "_type": "com.linkedin.messenger.HostUrnData",
                "_recipeType": RECIPE,
                "type": kind,
                "hostUrn": profile_urn(&sender.id),
            }}));
        }
    }
    // One summary per emoji, in the order of the first reaction with it.
    let mut summaries: Vec<(String, u32, bool)> = Vec::new();
    for r in &m.reactions {
        match summaries.iter_mut().find(|(e, _, _)| *e == r.value) {
            Some(s) => {
                s.1 += 1;
                s.2 |= r.is_sender;
            }
            None => summaries.push((r.value.clone(), 1, r.is_sender)),
        }
    }
    json!({
        "_type": "com.linkedin.messenger.Message",
        "_recipeType": RECIPE,
        "entityUrn": format!("urn:li:msg_message:({},{})", profile_urn(&owner.id), m.provider_id),
        "backendUrn": format!("urn:li:messagingMessage:{}", m.provider_id),
        "backendConversationUrn": format!("urn:li:messagingThread:{}", info.provider_id),
        "conversation": {
            "_type": "com.linkedin.messenger.Conversation",
            "_recipeType": RECIPE,
            "entityUrn": conversation_urn(owner, &info.provider_id),
        },
        "body": text(m.text.as_deref().unwrap_or("")),
        "subject": m.subject,
        "deliveredAt": m.timestamp_ms,
        "actor": participant(sender, owner, base_url, false),
        "sender": participant(sender, owner, base_url, true),
        "originToken": m.is_sender.then(|| format!("sandbox-{}", m.provider_id)),
        "messageBodyRenderFormat": format,
        "renderContent": render,
        "renderContentFallbackText": null,
        "reactionSummaries": summaries.into_iter().map(|(emoji, count, viewer)| json!({
            "_type": "com.linkedin.messenger.ReactionSummary",
            "_recipeType": RECIPE,
            "emoji": emoji,
            "count": count,
            "firstReactedAt": m.timestamp_ms,
            "viewerReacted": viewer,
        })).collect::<Vec<_>>(),
        "footer": null,
        "inlineWarning": null,
        "incompleteRetriableData": false,
    })
}

/// A `com.linkedin.messenger.Conversation` as the list carries it, with its newest message.
pub(crate) fn conversation(ds: &Dataset, info: &ChatInfo, base_url: &str) -> Value {
    let owner = ds.owner();
    let chat = ds.provider_chat(info);
    let last = ds
        .message_keys(info.index)
        .and_then(|keys| keys.last().copied())
        .map(|k| message(info, owner, &ds.message(info, k), base_url));
    // Incoming messages of the last week of a chat with unread messages are unread: the owner
    // last read the chat just before that week.
    let last_read = if info.unread > 0 {
        ds.anchor_ms() - UNREAD_WINDOW_MS - 1
    } else {
        chat.last_activity_ms
    };
    let mut participants = vec![participant(owner, owner, base_url, false)];
    participants.extend(
        info.members
            .iter()
            .map(|p| participant(p, owner, base_url, false)),
    );
    let group = info.kind == ChatKind::Group;
    json!({
        "_type": "com.linkedin.messenger.Conversation",
        "_recipeType": RECIPE,
        "entityUrn": conversation_urn(owner, &info.provider_id),
        "backendUrn": format!("urn:li:messagingThread:{}", info.provider_id),
        "conversationUrl": format!("{base_url}/messaging/thread/{}/", info.provider_id),
        "categories": categories(info),
        "groupChat": group,
        "state": null,
        "title": if group { info.name.clone() } else { None },
        "conversationTypeText": info.subject.as_ref().map(|_| text("InMail")),
        "conversationVerificationLabel": null,
        "conversationVerificationExplanation": null,
        "headlineText": null,
        "shortHeadlineText": null,
        "descriptionText": null,
        "contentMetadata": null,
        "conversationParticipants": participants,
        "creator": participant(info.members.first().unwrap_or(owner), owner, base_url, false),
        "createdAt": info.created_ms,
        "lastActivityAt": chat.last_activity_ms,
        "lastReadAt": last_read,
        "read": chat.unread_count == 0,
        "unreadCount": chat.unread_count,
        "notificationStatus": if info.muted_until.is_some() { "MUTE" } else { "ACTIVE" },
        "disabledFeatures": [],
        "hostConversationActions": [],
        "incompleteRetriableData": false,
        "messages": {"_type": COLLECTION, "_recipeType": RECIPE, "elements": last.into_iter().collect::<Vec<_>>()},
    })
}

/// A collection with its metadata.
pub(crate) fn collection(elements: Vec<Value>, metadata_type: &str, metadata: Value) -> Value {
    let mut meta = json!({"_type": metadata_type, "_recipeType": RECIPE});
    if let (Some(m), Some(extra)) = (meta.as_object_mut(), metadata.as_object()) {
        m.extend(extra.clone());
    }
    json!({"_type": COLLECTION, "_recipeType": RECIPE, "elements": elements, "metadata": meta})
}

/// The GraphQL envelope: `{"data": {"_type", "_recipeType", <field>: …}}`.
pub(crate) fn envelope(field: &str, collection: Value) -> Value {
    let mut data = json!({"_type": RECIPE, "_recipeType": RECIPE});
    data[field] = collection;
    json!({"data": data})
}

/// `/voyager/api/me`: the member and the `miniProfile` the mailbox URN comes from.
pub(crate) fn me(owner: &Person) -> Value {
    let (first, last) = split_name(&owner.name);
    json!({
        "plainId": member_number(&owner.id),
        "miniProfile": {
            "$type": "com.linkedin.voyager.identity.shared.MiniProfile",
            "firstName": first,
            "lastName": last,
            "occupation": "Member of the msgsync sandbox",
            "publicIdentifier": owner.id.to_ascii_lowercase(),
            "memorialized": false,
            "entityUrn": format!("urn:li:fs_miniProfile:{}", owner.id),
            "dashEntityUrn": profile_urn(&owner.id),
            "objectUrn": format!("urn:li:member:{}", member_number(&owner.id)),
            "trackingId": "c2FuZGJveA==",
        },
        "premiumSubscriber": false,
        "publicContactInfo": {"$type": "com.linkedin.voyager.identity.shared.PublicContactInfo"},
        "$type": "com.linkedin.voyager.common.Me",
    })
}
