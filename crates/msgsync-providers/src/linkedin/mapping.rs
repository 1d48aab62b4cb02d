//! Voyager messenger JSON to provider-neutral chats and messages. A record without what msgsync
//! needs (its id, its time, a message's sender) is skipped, with the reason, for the session to
//! count and tell (`super::skipped`); the page fails only when nothing of it could be used.

use msgsync_core::LinkedinProduct;
use serde_json::value::RawValue;

use super::folder;
use super::wire::{self, Conversation, Participant};
use crate::{
    Attachment, AttachmentSize, ChatKind, LinkedinMember, NetworkDistance, ProviderAttendee,
    ProviderChat, ProviderMessage, Reaction,
};

const PROFILE_PREFIX: &str = "urn:li:fsd_profile:";

/// Why a record of LinkedIn's answer was skipped.
pub(crate) type Skip = &'static str;

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

/// A participant as an attendee (`None` without a `hostIdentityUrn`): a member with the
/// details a full participant record carries (profile URL, largest picture, headline,
/// distance), or a company with its page and logo.
fn attendee(p: &Participant<'_>, owner: &str) -> Option<ProviderAttendee> {
    let urn = p.host_identity_urn.as_deref()?;
    let id = person_id(urn);
    let kind = p.participant_type.as_ref();
    let member = kind.and_then(|k| k.member.as_ref());
    let organization = kind.and_then(|k| k.organization.as_ref());
    let picture = |image: &Option<wire::VectorImage>| Some(image.as_ref()?.largest()?.1);
    let (profile_url, picture_url) = match (member, organization) {
        (Some(m), _) => (m.profile_url.as_deref(), picture(&m.profile_picture)),
        (None, Some(o)) => (o.page_url.as_deref(), picture(&o.logo)),
        (None, None) => (None, None),
    };
    let linkedin = urn.starts_with(PROFILE_PREFIX).then(|| LinkedinMember {
        member_urn: urn.to_string(),
        headline: member
            .and_then(|m| wire::text(&m.headline))
            .filter(|h| !h.is_empty())
            .map(str::to_string),
        // `SELF` (the owner) is no distance.
        network_distance: member
            .and_then(|m| m.distance.as_deref())
            .and_then(NetworkDistance::parse),
    });
    Some(ProviderAttendee {
        provider_id: id.to_string(),
        name: participant_name(p).unwrap_or_else(|| id.to_string()),
        is_self: id == owner,
        profile_url: profile_url.filter(|u| !u.is_empty()).map(str::to_string),
        picture_url,
        linkedin,
    })
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
) -> Result<ProviderChat, Skip> {
    let provider_id = object_id(conv.backend_urn.as_deref(), conv.entity_urn.as_deref())
        .ok_or("conversations without `entityUrn`")?;
    let last_activity_ms = conv
        .last_activity_at
        .ok_or("conversations without `lastActivityAt`")?;
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
        attendees: conv
            .conversation_participants
            .iter()
            .flatten()
            .filter_map(|p| attendee(p, owner))
            .collect(),
        provider_ref: None,
    })
}

/// Whether an id can name an attachment in a URL path as it is.
fn path_safe(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

/// An attachment's id: the id of the record's own URN when it has one that fits in a URL path,
/// else its place in `renderContent`. Both are stable across syncs and unique within the
/// message (URN ids are far longer than a place).
fn record_id(urn: Option<&str>, place: usize) -> String {
    urn.and_then(urn_id)
        .filter(|id| path_safe(id))
        .map_or_else(|| place.to_string(), str::to_string)
}

/// Milliseconds to whole seconds, as the API gives durations (LinkedIn's numbers are any
/// `i64`: the largest ones saturate rather than overflow).
fn seconds(ms: i64) -> i64 {
    ms.max(0).saturating_add(500) / 1000
}

fn size(width: Option<i64>, height: Option<i64>) -> Option<AttachmentSize> {
    Some(AttachmentSize {
        width: width?,
        height: height?,
    })
}

fn owned(s: &Option<wire::Str<'_>>) -> Option<String> {
    s.as_deref().filter(|s| !s.is_empty()).map(str::to_string)
}

/// The post a `hostUrn` shares: `urn:li:fsd_update:(urn:li:activity:<n>,MESSAGING_RESHARE,…)`
/// names it by its first element (mautrix/linkedin `convertHostURNToMatrix`,
/// `pkg/connector/tomatrix.go`); a bare activity, share or post URN names it directly.
fn shared_post(host_urn: &str) -> Option<&str> {
    let post = match host_urn.strip_prefix("urn:li:fsd_update:(") {
        Some(tuple) => tuple.split([',', ')']).next()?,
        None => host_urn,
    };
    ["urn:li:activity:", "urn:li:ugcPost:", "urn:li:share:"]
        .iter()
        .any(|p| post.starts_with(p))
        .then_some(post)
}

/// One item of `renderContent` as an attachment; `web` is LinkedIn's web address (a shared
/// post is a link to its page there). Forwarded and replied messages, and the `hostUrnData`
/// naming an InMail's seat, are no attachments.
fn attachment(item: &wire::RenderContent<'_>, place: usize, web: &str) -> Option<Attachment> {
    let id = |urn: Option<&str>| record_id(urn, place);
    if let Some(f) = &item.file {
        return Some(Attachment {
            id: id(f.asset_urn.as_deref()),
            kind: "file".into(),
            file_name: owned(&f.name),
            mimetype: owned(&f.media_type),
            file_size: f.byte_size,
            url: owned(&f.url),
            ..Attachment::default()
        });
    }
    if let Some(image) = &item.vector_image {
        let largest = image.largest();
        return Some(Attachment {
            id: id(image.digitalmedia_asset.as_deref()),
            kind: "img".into(),
            size: largest.as_ref().and_then(|(a, _)| size(a.width, a.height)),
            url: largest.map(|(_, url)| url),
            ..Attachment::default()
        });
    }
    if let Some(v) = &item.video {
        // The first stream is the one clients play (mautrix `convertVideoToMatrix`).
        let stream = v.progressive_streams.iter().flatten().next();
        return Some(Attachment {
            id: id(v.entity_urn.as_deref().or(v.media.as_deref())),
            kind: "video".into(),
            mimetype: stream.and_then(|s| owned(&s.media_type)),
            file_size: stream.and_then(|s| s.size),
            size: stream.and_then(|s| size(s.width, s.height)),
            duration: v.duration.map(seconds),
            url: stream
                .and_then(|s| s.streaming_locations.iter().flatten().next())
                .and_then(|l| owned(&l.url)),
            ..Attachment::default()
        });
    }
    if let Some(a) = &item.audio {
        return Some(Attachment {
            id: id(None),
            kind: "audio".into(),
            duration: a.duration.map(seconds),
            // LinkedIn's audio clips are recorded voice messages.
            voice_note: true,
            url: owned(&a.url),
            ..Attachment::default()
        });
    }
    if let Some(e) = &item.external_media {
        let media = e.media.as_ref();
        return Some(Attachment {
            id: id(e.entity_urn.as_deref()),
            kind: "img".into(),
            size: media.and_then(|m| size(m.original_width, m.original_height)),
            url: media.and_then(|m| owned(&m.url)),
            ..Attachment::default()
        });
    }
    let host = item.host_urn_data.as_ref()?;
    if host.kind.as_deref() != Some("FEED_UPDATE") {
        return None;
    }
    let post = shared_post(host.host_urn.as_deref()?)?;
    Some(Attachment {
        id: id(Some(post)),
        kind: "linkedin_post".into(),
        url: Some(format!("{web}/feed/update/{post}")),
        ..Attachment::default()
    })
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

/// A message and its sender as the message describes them.
pub(crate) struct MappedMessage {
    pub message: ProviderMessage,
    /// The sender, when the message carries a full participant record of them.
    pub sender: Option<ProviderAttendee>,
}

/// A message, from its own JSON (which it keeps as its `original`). `last_read` is the owner's
/// `lastReadAt` of the conversation when known: incoming messages after it are unseen. `web`
/// is LinkedIn's web address, which shared posts link to.
pub(crate) fn message(
    raw: &RawValue,
    owner: &str,
    last_read: Option<i64>,
    web: &str,
) -> Result<MappedMessage, Skip> {
    let original = raw.get();
    let msg: wire::Message =
        serde_json::from_str(original).map_err(|_| "messages of an unexpected shape")?;
    let provider_id = object_id(msg.backend_urn.as_deref(), msg.entity_urn.as_deref())
        .ok_or("messages without `entityUrn`")?;
    let timestamp_ms = msg.delivered_at.ok_or("messages without `deliveredAt`")?;
    let sender_id = msg
        .sender
        .as_ref()
        .and_then(participant_id)
        .ok_or("messages without `sender.hostIdentityUrn`")?;
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
    // `sender` comes in brief; `actor` is a full record, of the sender when it names them.
    let sender = [msg.sender.as_ref(), msg.actor.as_ref()]
        .into_iter()
        .flatten()
        .filter(|p| participant_id(p) == Some(sender_id))
        .find(|p| p.participant_type.is_some())
        .and_then(|p| attendee(p, owner));
    let message = ProviderMessage {
        provider_id: provider_id.to_string(),
        text,
        subject: msg.subject.as_deref().map(str::to_string),
        timestamp_ms,
        is_sender,
        // Seen receipts of the other side are not fetched: the owner's own messages count as
        // seen.
        seen: is_sender || last_read.is_none_or(|at| timestamp_ms <= at),
        attachments: match (&msg.render_content, recalled) {
            (Some(items), false) => items
                .iter()
                .enumerate()
                .filter_map(|(place, item)| attachment(item, place, web))
                .collect(),
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
    };
    Ok(MappedMessage { message, sender })
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

    const WEB: &str = "https://www.linkedin.com";

    fn raw(json: &str) -> &RawValue {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn records_without_what_msgsync_needs_are_skipped_with_the_reason() {
        let m = raw(r#"{"backendUrn": "urn:li:messagingMessage:2-a", "deliveredAt": 1}"#);
        assert_eq!(
            message(m, "me", None, WEB).err(),
            Some("messages without `sender.hostIdentityUrn`")
        );
        let m = raw(r#"{"backendUrn": "urn:li:messagingMessage:2-a",
            "sender": {"hostIdentityUrn": "urn:li:fsd_profile:x"}}"#);
        assert_eq!(
            message(m, "me", None, WEB).err(),
            Some("messages without `deliveredAt`")
        );
        assert!(message(raw(r#"{"deliveredAt": "soon"}"#), "me", None, WEB).is_err());
        let conv: Conversation =
            serde_json::from_str(r#"{"backendUrn": "urn:li:messagingThread:2-t"}"#).unwrap();
        assert_eq!(
            chat(&conv, "me", LinkedinProduct::Classic).err(),
            Some("conversations without `lastActivityAt`")
        );
    }

    /// A participant as the web app lists it (shape of a captured conversation listing).
    fn member(id: &str, first: &str, distance: &str, picture: bool) -> String {
        let picture = if picture {
            r#"{"_type": "com.linkedin.common.VectorImage", "digitalmediaAsset": null,
                "rootUrl": "https://media.licdn.com/dms/image/v2/D4E03AQx/profile-displayphoto-shrink_",
                "artifacts": [
                  {"width": 100, "height": 100, "fileIdentifyingUrlPathSegment": "100_100/p_100_100/0/1?e=2&v=beta&t=a"},
                  {"width": 800, "height": 800, "fileIdentifyingUrlPathSegment": "800_800/p_800_800/0/1?e=2&v=beta&t=d"},
                  {"width": 400, "height": 400, "fileIdentifyingUrlPathSegment": "400_400/p_400_400/0/1?e=2&v=beta&t=c"}]}"#
        } else {
            "null"
        };
        format!(
            r#"{{"hostIdentityUrn": "urn:li:fsd_profile:{id}",
                "entityUrn": "urn:li:msg_messagingParticipant:urn:li:fsd_profile:{id}",
                "participantType": {{"member": {{
                    "profileUrl": "https://www.linkedin.com/in/{id}",
                    "firstName": {{"text": "{first}"}}, "lastName": {{"text": "Wu"}},
                    "headline": {{"text": "Recruiter at Contoso"}},
                    "profilePicture": {picture}, "distance": "{distance}",
                    "pronoun": {{"customPronoun": null, "standardizedPronoun": "HE_HIM"}}}},
                  "organization": null, "custom": null}}}}"#
        )
    }

    #[test]
    fn participants_become_attendees_with_their_details() {
        let json = format!(
            r#"{{"entityUrn": "urn:li:msg_conversation:(urn:li:fsd_profile:me,2-t)",
                "lastActivityAt": 9, "groupChat": true, "title": "",
                "conversationParticipants": [{}, {},
                  {{"hostIdentityUrn": "urn:li:fsd_company:42",
                    "participantType": {{"member": null, "organization": {{
                      "name": {{"text": "Contoso"}}, "pageUrl": "https://www.linkedin.com/company/contoso",
                      "logo": null}}}}}},
                  {{"entityUrn": "no host identity"}}]}}"#,
            member("me", "Pei", "SELF", true),
            member("ACoAAx", "Lin", "DISTANCE_2", false),
        );
        let conv: Conversation = serde_json::from_str(&json).unwrap();
        let chat = chat(&conv, "me", LinkedinProduct::Classic).unwrap();
        assert_eq!(chat.name.as_deref(), Some("Lin Wu, Contoso"));
        let a = &chat.attendees;
        assert_eq!(a.len(), 3, "{a:?}");
        assert_eq!(
            a[0],
            ProviderAttendee {
                provider_id: "me".into(),
                name: "Pei Wu".into(),
                is_self: true,
                profile_url: Some("https://www.linkedin.com/in/me".into()),
                // The largest artifact, wherever it is in the list.
                picture_url: Some(
                    "https://media.licdn.com/dms/image/v2/D4E03AQx/profile-displayphoto-shrink_800_800/p_800_800/0/1?e=2&v=beta&t=d"
                        .into()
                ),
                linkedin: Some(LinkedinMember {
                    member_urn: "urn:li:fsd_profile:me".into(),
                    headline: Some("Recruiter at Contoso".into()),
                    network_distance: None,
                }),
            }
        );
        assert!(!a[1].is_self && a[1].picture_url.is_none());
        assert_eq!(
            a[1].linkedin.as_ref().unwrap().network_distance,
            Some(NetworkDistance::Distance2)
        );
        assert_eq!(
            (a[2].provider_id.as_str(), a[2].name.as_str()),
            ("urn:li:fsd_company:42", "Contoso")
        );
        assert_eq!(
            a[2].profile_url.as_deref(),
            Some("https://www.linkedin.com/company/contoso")
        );
        assert!(a[2].linkedin.is_none());
    }

    #[test]
    fn the_sender_is_described_by_the_actor_only_when_it_is_the_sender() {
        let sender = r#"{"hostIdentityUrn": "urn:li:fsd_profile:ACoAAx"}"#;
        let json = |actor: &str| {
            format!(
                r#"{{"entityUrn": "urn:li:msg_message:(urn:li:fsd_profile:me,2-a)",
                    "deliveredAt": 5, "sender": {sender}, "actor": {actor}}}"#
            )
        };
        let same = json(&member("ACoAAx", "Lin", "DISTANCE_1", true));
        let m = message(raw(&same), "me", None, WEB).unwrap();
        let who = m.sender.unwrap();
        assert_eq!(
            (who.provider_id.as_str(), who.name.as_str()),
            ("ACoAAx", "Lin Wu")
        );
        assert!(!who.is_self && who.picture_url.is_some());
        // An actor who is someone else says nothing of the sender; a brief sender neither.
        let other = json(&member("ACoAAy", "Zoe", "DISTANCE_1", true));
        assert!(message(raw(&other), "me", None, WEB)
            .unwrap()
            .sender
            .is_none());
        assert!(message(raw(&json("null")), "me", None, WEB)
            .unwrap()
            .sender
            .is_none());
    }

    #[test]
    fn every_kind_of_render_content_is_an_attachment() {
        let m = raw(
            r#"{"entityUrn": "urn:li:msg_message:(urn:li:fsd_profile:me,2-a)", "deliveredAt": 5,
                "sender": {"hostIdentityUrn": "urn:li:fsd_profile:other"},
                "body": {"text": "say \"hi\"\n\u00e9"},
                "renderContent": [
                  {"vectorImage": {"rootUrl": "https://www.linkedin.com/dms/prv/image/v2/D4E06AQa/",
                    "artifacts": [{"width": 720, "height": 540,
                      "fileIdentifyingUrlPathSegment": "messaging-image-720/B4/0/1?m=x&ne=1&v=beta&t=y"}]}},
                  {"video": {"entityUrn": "urn:li:digitalmediaAsset:D4E06AQv", "media": "urn:li:digitalmediaAsset:D4E06AQv",
                    "duration": 34775, "aspectRatio": 1.7777778,
                    "thumbnail": {"rootUrl": "", "artifacts": []},
                    "progressiveStreams": [{"size": 4692697, "bitRate": 946575, "width": 640, "height": 360,
                      "mediaType": "video/mp4", "streamingLocations": [{"url": "https://www.linkedin.com/dms/prv/vid/v2/D4E06AQv/f"}]}]}},
                  {"audio": {"duration": 12400, "url": "https://www.linkedin.com/dms/prv/vid/v2/D4E06AQs/f"}},
                  {"file": {"assetUrn": "urn:li:digitalmediaAsset:D4E06AQf", "byteSize": 52000,
                    "mediaType": "application/pdf", "name": "cv.pdf", "url": "https://www.linkedin.com/dms/prv/vid/v2/D4E06AQf/f"}},
                  {"externalMedia": {"title": "wave", "media": {"originalWidth": 220, "originalHeight": 124,
                    "url": "https://media.example/wave.gif"}}},
                  {"hostUrnData": {"type": "FEED_UPDATE",
                    "hostUrn": "urn:li:fsd_update:(urn:li:activity:7123456789012345678,MESSAGING_RESHARE,EMPTY,DEFAULT,false)"}},
                  {"hostUrnData": {"type": "RECRUITER_INMAIL", "hostUrn": "urn:li:fsd_profile:other"}},
                  {"repliedMessageContent": {"originalMessage": {}}},
                  {"file": {"assetUrn": "urn:li:messagingAttachment:(a,b/c)", "name": "odd.bin"}}
                ]}"#,
        );
        let msg = message(m, "me", Some(4), WEB).unwrap().message;
        assert_eq!(msg.text.as_deref(), Some("say \"hi\"\n\u{e9}"));
        assert_eq!((msg.sender_id.as_str(), msg.seen), ("other", false));
        let a = &msg.attachments;
        let ids: Vec<_> = a.iter().map(|a| (a.id.as_str(), a.kind.as_str())).collect();
        assert_eq!(
            ids,
            [
                ("0", "img"),
                ("D4E06AQv", "video"),
                ("2", "audio"),
                ("D4E06AQf", "file"),
                ("4", "img"),
                ("7123456789012345678", "linkedin_post"),
                // An id that would not fit in a URL path falls back to the place.
                ("8", "file"),
            ]
        );
        let size = |w, h| {
            Some(AttachmentSize {
                width: w,
                height: h,
            })
        };
        assert_eq!(a[0].size, size(720, 540));
        assert_eq!(
            a[0].url.as_deref(),
            Some("https://www.linkedin.com/dms/prv/image/v2/D4E06AQa/messaging-image-720/B4/0/1?m=x&ne=1&v=beta&t=y")
        );
        assert_eq!((a[0].file_size, a[0].mimetype.as_deref()), (None, None));
        assert_eq!(
            (
                a[1].size,
                a[1].duration,
                a[1].file_size,
                a[1].mimetype.as_deref(),
                a[1].gif
            ),
            (
                size(640, 360),
                Some(35),
                Some(4692697),
                Some("video/mp4"),
                false
            )
        );
        assert!(a[1].url.as_deref().unwrap().ends_with("D4E06AQv/f"));
        assert_eq!((a[2].duration, a[2].voice_note), (Some(12), true));
        assert_eq!(
            (
                a[3].file_name.as_deref(),
                a[3].mimetype.as_deref(),
                a[3].file_size
            ),
            (Some("cv.pdf"), Some("application/pdf"), Some(52000))
        );
        assert_eq!(a[4].size, size(220, 124));
        assert_eq!(
            a[5].url.as_deref(),
            Some("https://www.linkedin.com/feed/update/urn:li:activity:7123456789012345678")
        );
        assert!(a.iter().all(|a| !a.unavailable && !a.sticker));
        assert_eq!(msg.original, m.get());
    }

    #[test]
    fn a_recalled_message_has_no_attachments() {
        let m = raw(
            r#"{"entityUrn": "urn:li:msg_message:(urn:li:fsd_profile:me,2-a)", "deliveredAt": 5,
                "sender": {"hostIdentityUrn": "urn:li:fsd_profile:me"},
                "messageBodyRenderFormat": "RECALLED",
                "renderContent": [{"audio": {"duration": 1000, "url": "u"}}]}"#,
        );
        let msg = message(m, "me", None, WEB).unwrap().message;
        assert!(msg.deleted && msg.attachments.is_empty() && msg.text.is_none());
    }

    /// Rounding a duration of `i64::MAX` milliseconds to seconds overflowed (a panic with
    /// overflow checks, a negative duration without): the `voyager_decoders` fuzz target
    /// crashed on this message.
    #[test]
    fn the_longest_durations_do_not_overflow() {
        let m = raw(
            r#"{"entityUrn": "urn:li:msg_message:(urn:li:fsd_profile:me,2-a)", "deliveredAt": 5,
                "sender": {"hostIdentityUrn": "urn:li:fsd_profile:other"},
                "renderContent": [{"video": {"duration": 9223372036854775807}},
                                  {"audio": {"duration": -9223372036854775808}}]}"#,
        );
        let msg = message(m, "me", None, WEB).unwrap().message;
        let durations: Vec<_> = msg.attachments.iter().map(|a| a.duration).collect();
        assert_eq!(durations, [Some(i64::MAX / 1000), Some(0)]);
    }
}
