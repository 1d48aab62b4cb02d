//! The connector on a real capture: a `messages.getDialogs` answer Telegram sent to a working
//! client, published in that client's repository (`fixtures/dialogs-test-dc-2017.json`, whose
//! `_source` says where from).
//!
//! The capture is in an older layer than grammers 0.11's; it is brought to the current one with
//! the rules Telegram's own change set (Telethon's `Message` documents them for layer 119,
//! `telethon/tl/custom/message.py`): `from_id` became a `Peer`, and `to_id` became `peer_id`,
//! which in a private chat names the other user, where `to_id` named the recipient; "incoming
//! messages in private conversations no longer have from_id". Longs written as unsigned
//! decimals are the two's complement of TL's signed ones. Fields the connector does not read
//! (photos, statuses, keyboards, entities) are left out. The TL objects are then serialized and
//! read back, so the connector parses what the wire would carry.

use grammers_tl_types::{enums, types, Cursor, Deserializable, Serializable};
use serde_json::Value;

use super::convert::{self, MessageContext};
use super::cursor::ChatCursor;
use super::dialogs::{self, DialogsAnswer};
use crate::{ChatKind, MessageEventType, ProviderAttendee};

const CAPTURE: &str = include_str!("fixtures/dialogs-test-dc-2017.json");
/// The account the capture is of (the user flagged `self`).
const OWNER: i64 = 297_169;

/// A TL `long`, as a number or as the unsigned decimal the capture writes large ones in.
fn long(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse::<u64>().expect("a long") as i64,
        v => v.as_i64().expect("a long"),
    }
}

fn int(v: &Value) -> i32 {
    v.as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .expect("an int")
}

fn flag(v: &Value, name: &str) -> bool {
    v[name].as_bool().unwrap_or(false)
}

fn string(v: &Value, name: &str) -> Option<String> {
    v[name].as_str().map(str::to_string)
}

fn peer(v: &Value) -> enums::Peer {
    match v["_"].as_str().unwrap() {
        "peerUser" => enums::Peer::User(types::PeerUser {
            user_id: long(&v["user_id"]),
        }),
        "peerChat" => enums::Peer::Chat(types::PeerChat {
            chat_id: long(&v["chat_id"]),
        }),
        "peerChannel" => enums::Peer::Channel(types::PeerChannel {
            channel_id: long(&v["channel_id"]),
        }),
        other => panic!("peer {other}"),
    }
}

fn user(v: &Value) -> enums::User {
    enums::User::User(types::User {
        is_self: flag(v, "self"),
        contact: flag(v, "contact"),
        mutual_contact: flag(v, "mutual_contact"),
        deleted: flag(v, "deleted"),
        bot: flag(v, "bot"),
        bot_chat_history: false,
        bot_nochats: false,
        verified: flag(v, "verified"),
        restricted: false,
        min: false,
        bot_inline_geo: false,
        support: false,
        scam: false,
        apply_min_photo: false,
        fake: false,
        bot_attach_menu: false,
        premium: false,
        attach_menu_enabled: false,
        bot_can_edit: false,
        close_friend: false,
        stories_hidden: false,
        stories_unavailable: false,
        contact_require_premium: false,
        bot_business: false,
        bot_has_main_app: false,
        bot_forum_view: false,
        bot_forum_can_manage_topics: false,
        bot_can_manage_bots: false,
        bot_guestchat: false,
        bot_guard: false,
        id: long(&v["id"]),
        access_hash: Some(long(&v["access_hash"])),
        first_name: string(v, "first_name"),
        last_name: string(v, "last_name"),
        username: string(v, "username"),
        phone: string(v, "phone"),
        photo: None,
        status: None,
        // Flag 14 marks a bot and carries its info version: one goes with the other.
        bot_info_version: v.get("bot_info_version").map(int),
        restriction_reason: None,
        bot_inline_placeholder: string(v, "bot_inline_placeholder"),
        lang_code: None,
        emoji_status: None,
        usernames: None,
        stories_max_id: None,
        color: None,
        profile_color: None,
        bot_active_users: None,
        bot_verification_icon: None,
        send_paid_messages_stars: None,
        linked_community_id: None,
    })
}

fn chat(v: &Value) -> enums::Chat {
    match v["_"].as_str().unwrap() {
        "chat" => enums::Chat::Chat(types::Chat {
            creator: flag(v, "creator"),
            left: flag(v, "left"),
            deactivated: flag(v, "deactivated"),
            call_active: false,
            call_not_empty: false,
            noforwards: false,
            id: long(&v["id"]),
            title: string(v, "title").unwrap(),
            photo: enums::ChatPhoto::Empty,
            participants_count: int(&v["participants_count"]),
            date: int(&v["date"]),
            version: int(&v["version"]),
            migrated_to: v.get("migrated_to").map(|m| {
                enums::InputChannel::Channel(types::InputChannel {
                    channel_id: long(&m["channel_id"]),
                    access_hash: long(&m["access_hash"]),
                })
            }),
            admin_rights: None,
            default_banned_rights: None,
        }),
        "channel" => enums::Chat::Channel(types::Channel {
            creator: flag(v, "creator"),
            left: flag(v, "left"),
            broadcast: flag(v, "broadcast"),
            verified: flag(v, "verified"),
            megagroup: flag(v, "megagroup"),
            restricted: false,
            signatures: false,
            min: false,
            scam: false,
            has_link: false,
            has_geo: false,
            slowmode_enabled: false,
            call_active: false,
            call_not_empty: false,
            fake: false,
            gigagroup: false,
            noforwards: false,
            join_to_send: false,
            join_request: false,
            forum: false,
            stories_hidden: false,
            stories_hidden_min: false,
            stories_unavailable: false,
            signature_profiles: false,
            autotranslation: false,
            broadcast_messages_allowed: false,
            monoforum: false,
            forum_tabs: false,
            id: long(&v["id"]),
            access_hash: Some(long(&v["access_hash"])),
            title: string(v, "title").unwrap(),
            username: string(v, "username"),
            photo: enums::ChatPhoto::Empty,
            date: int(&v["date"]),
            restriction_reason: None,
            admin_rights: None,
            banned_rights: None,
            default_banned_rights: None,
            participants_count: None,
            usernames: None,
            stories_max_id: None,
            color: None,
            profile_color: None,
            emoji_status: None,
            level: None,
            subscription_until_date: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_monoforum_id: None,
            linked_community_id: None,
        }),
        "channelForbidden" => enums::Chat::ChannelForbidden(types::ChannelForbidden {
            broadcast: flag(v, "broadcast"),
            megagroup: flag(v, "megagroup"),
            monoforum: false,
            id: long(&v["id"]),
            access_hash: long(&v["access_hash"]),
            title: string(v, "title").unwrap(),
            until_date: None,
        }),
        other => panic!("chat {other}"),
    }
}

fn dialog(v: &Value) -> enums::Dialog {
    let notify = &v["notify_settings"];
    enums::Dialog::Dialog(types::Dialog {
        // `pinned` is flag 2 of a dialog (core.telegram.org/constructor/dialog).
        pinned: v["flags"].as_i64().unwrap() & 4 != 0,
        unread_mark: false,
        view_forum_as_messages: false,
        peer: peer(&v["peer"]),
        top_message: int(&v["top_message"]),
        read_inbox_max_id: int(&v["read_inbox_max_id"]),
        read_outbox_max_id: int(&v["read_outbox_max_id"]),
        unread_count: int(&v["unread_count"]),
        unread_mentions_count: 0,
        unread_reactions_count: 0,
        unread_poll_votes_count: 0,
        notify_settings: enums::PeerNotifySettings::Settings(types::PeerNotifySettings {
            show_previews: notify["show_previews"].as_bool(),
            silent: None,
            mute_until: notify.get("mute_until").map(int),
            ios_sound: None,
            android_sound: None,
            other_sound: None,
            stories_muted: None,
            stories_hide_sender: None,
            stories_ios_sound: None,
            stories_android_sound: None,
            stories_other_sound: None,
        }),
        pts: v.get("pts").map(int),
        draft: None,
        folder_id: None,
        ttl_period: None,
    })
}

/// The message's `peer_id` and `from_id` as layer 119 has them.
fn peers_of(v: &Value) -> (enums::Peer, Option<enums::Peer>) {
    let to = peer(&v["to_id"]);
    let from = long(&v["from_id"]);
    let out = flag(v, "out");
    match to {
        enums::Peer::User(u) if u.user_id == OWNER && !out => {
            (enums::Peer::User(types::PeerUser { user_id: from }), None)
        }
        enums::Peer::User(_) if !out => (to, None),
        to => (
            to,
            Some(enums::Peer::User(types::PeerUser { user_id: from })),
        ),
    }
}

fn action(v: &Value) -> enums::MessageAction {
    match v["_"].as_str().unwrap() {
        "messageActionChatMigrateTo" => {
            enums::MessageAction::ChatMigrateTo(types::MessageActionChatMigrateTo {
                channel_id: long(&v["channel_id"]),
            })
        }
        "messageActionChatDeleteUser" => {
            enums::MessageAction::ChatDeleteUser(types::MessageActionChatDeleteUser {
                user_id: long(&v["user_id"]),
            })
        }
        "messageActionGameScore" => {
            enums::MessageAction::GameScore(types::MessageActionGameScore {
                game_id: long(&v["game_id"]),
                score: int(&v["score"]),
            })
        }
        other => panic!("action {other}"),
    }
}

fn media(v: &Value) -> enums::MessageMedia {
    match v["_"].as_str().unwrap() {
        "messageMediaContact" => enums::MessageMedia::Contact(types::MessageMediaContact {
            phone_number: string(v, "phone_number").unwrap(),
            first_name: string(v, "first_name").unwrap(),
            last_name: string(v, "last_name").unwrap(),
            vcard: String::new(),
            user_id: long(&v["user_id"]),
        }),
        other => panic!("media {other}"),
    }
}

fn message(v: &Value) -> enums::Message {
    let (peer_id, from_id) = peers_of(v);
    let out = flag(v, "out");
    let (id, date) = (int(&v["id"]), int(&v["date"]));
    if v["_"] == "messageService" {
        return enums::Message::Service(types::MessageService {
            out,
            mentioned: false,
            media_unread: false,
            reactions_are_possible: false,
            silent: false,
            post: false,
            legacy: false,
            id,
            from_id,
            peer_id,
            saved_peer_id: None,
            reply_to: None,
            date,
            action: action(&v["action"]),
            reactions: None,
            ttl_period: None,
        });
    }
    enums::Message::Message(types::Message {
        out,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: false,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: false,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id,
        from_id,
        from_boosts_applied: None,
        from_rank: None,
        peer_id,
        saved_peer_id: None,
        fwd_from: None,
        via_bot_id: v.get("via_bot_id").map(long),
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: None,
        date,
        message: string(v, "message").unwrap(),
        media: v.get("media").map(media),
        reply_markup: None,
        entities: None,
        views: None,
        forwards: None,
        replies: None,
        edit_date: v.get("edit_date").map(int),
        post_author: None,
        grouped_id: None,
        reactions: None,
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    })
}

/// The capture, as grammers reads it off the wire.
fn captured() -> (Value, enums::messages::Dialogs) {
    let capture: Value = serde_json::from_str(CAPTURE).unwrap();
    let a = &capture["answer"];
    assert_eq!(a["_"], "messages.dialogs");
    let all = |key: &str| a[key].as_array().unwrap().clone();
    let answer = enums::messages::Dialogs::Dialogs(types::messages::Dialogs {
        dialogs: all("dialogs").iter().map(dialog).collect(),
        messages: all("messages").iter().map(message).collect(),
        chats: all("chats").iter().map(chat).collect(),
        users: all("users").iter().map(user).collect(),
    });
    let bytes = answer.to_bytes();
    let read = enums::messages::Dialogs::deserialize(&mut Cursor::from_slice(&bytes)).unwrap();
    (capture, read)
}

/// The chat a message is in.
fn chat_of(m: &enums::Message) -> String {
    match m {
        enums::Message::Message(m) => convert::peer_id(&m.peer_id),
        enums::Message::Service(m) => convert::peer_id(&m.peer_id),
        enums::Message::Empty(_) => String::new(),
    }
}

/// A hash written as the capture writes it.
fn hash(unsigned: &str) -> i64 {
    unsigned.parse::<u64>().unwrap() as i64
}

fn attendee(id: &str, name: &str, username: Option<&str>, is_self: bool) -> ProviderAttendee {
    ProviderAttendee {
        provider_id: id.into(),
        name: name.into(),
        is_self,
        profile_url: username.map(|u| format!("https://t.me/{u}")),
        picture_url: None,
        linkedin: None,
    }
}

/// A chat expected: id, name, kind, unread count, muted until, last activity in seconds, the
/// peer stored with it, its attendee besides the owner.
type WantChat = (
    &'static str,
    Option<&'static str>,
    ChatKind,
    i64,
    Option<i64>,
    i64,
    String,
    Option<ProviderAttendee>,
);

/// A top message expected: its chat, id, sender, whether the owner sent it, whether it was
/// read, its event type (service messages).
type WantMessage = (
    &'static str,
    i32,
    &'static str,
    bool,
    bool,
    Option<MessageEventType>,
);

#[test]
fn a_captured_dialogs_answer_parses_into_chats_messages_and_attendees() {
    use ChatKind::{Group, Single};
    let (capture, answer) = captured();
    let enums::messages::Dialogs::Dialogs(raw) = &answer else {
        panic!("a complete list");
    };
    let top_messages = raw.messages.clone();
    let parsed = DialogsAnswer::parse(answer);
    let owner = parsed
        .dir
        .attendee(&OWNER.to_string(), OWNER)
        .expect("the account's own user");
    assert_eq!(owner, attendee("297169", "lambda257", Some("lambda"), true));

    let page = dialogs::page(
        &parsed,
        &ChatCursor::First { skip: 0 },
        100,
        100,
        None,
        &owner,
    );
    assert!(
        page.next.is_none(),
        "a complete messages.dialogs ends the walk"
    );

    // (id, name, kind, unread, muted until, last activity in s, peer, the other attendee).
    let hashed = |kind: &str, id: &str, h: &str| format!("{kind}:{id}:{}", hash(h));
    let group = |id: &str| format!("c:{id}:0");
    #[rustfmt::skip]
    let want: Vec<WantChat> = vec![
        ("777000", Some("Telegram"), Single, 2242, Some(-1), 1_506_260_101,
            hashed("u", "777000", "7144639649641349022"), Some(attendee("777000", "Telegram", None, false))),
        ("152058", Some("Амир"), Single, 1, None, 1_505_762_351,
            hashed("u", "152058", "10193022074052882036"), Some(attendee("152058", "Амир", Some("loskiq"), false))),
        ("372278", Some("boom poow"), Single, 0, None, 1_505_736_000,
            hashed("u", "372278", "9410081209965202501"), Some(attendee("372278", "boom poow", None, false))),
        ("303253", Some("see this https://blog.sean.taipei/"), Single, 0, None, 1_505_734_426,
            hashed("u", "303253", "16892969001010794951"),
            Some(attendee("303253", "see this https://blog.sean.taipei/", Some("HelloWorld"), false))),
        // Saved Messages: a chat with oneself has no other side.
        ("297169", Some("lambda257"), Single, 0, None, 1_502_366_284,
            hashed("u", "297169", "6362957075171533052"), None),
        ("903185", Some("Sean"), Single, 0, None, 1_492_946_736,
            hashed("u", "903185", "5014380836310350709"), Some(attendee("903185", "Sean", Some("S_ean"), false))),
        ("266297", Some("Pavel Durov"), Single, 0, None, 1_491_183_631,
            hashed("u", "266297", "12724163088027607302"), Some(attendee("266297", "Pavel Durov", Some("wekiro"), false))),
        ("-10010268765", Some("[Kotobank.ch]uu*~"), Group, 0, None, 1_490_506_528,
            hashed("h", "10268765", "5245050742222239464"), None),
        ("-96733", Some("Kotobank"), Group, 0, None, 1_490_506_384, group("96733"), None),
        ("-245975", Some("Lineage OS"), Group, 0, None, 1_489_328_965, group("245975"), None),
        ("-902655", Some("tunnel"), Group, 0, None, 1_489_328_699, group("902655"), None),
        ("-10010279405", Some("React.js — на тестовом сервере"), Group, 0, None, 1_489_326_136,
            hashed("h", "10279405", "5318219935666667186"), None),
        ("-235870", Some("Переехали @react_js"), Group, 0, None, 1_489_326_120, group("235870"), None),
        ("-680564", Some("React.js — на тестовом сервере"), Group, 0, None, 1_489_326_025, group("680564"), None),
        ("-681708", Some("Chat"), Group, 0, None, 1_474_298_271, group("681708"), None),
        // A deleted account has no name: the chat has none, its attendee is named by its id.
        ("627821", None, Single, 0, None, 1_474_042_430,
            hashed("u", "627821", "8733752096899168768"), Some(attendee("627821", "627821", None, false))),
        ("207386", Some("100"), Single, 0, None, 1_474_038_177,
            hashed("u", "207386", "11096851018323080944"), Some(attendee("207386", "100", Some("Qwerty"), false))),
        ("771698", Some("levlam_bot"), Single, 0, None, 1_473_948_772,
            hashed("u", "771698", "2290364735052642689"), Some(attendee("771698", "levlam_bot", Some("levlam_bot"), false))),
        ("659076", None, Single, 0, None, 1_473_873_250,
            hashed("u", "659076", "11301501176615365980"), Some(attendee("659076", "659076", None, false))),
    ];
    assert_eq!(page.chats.len(), want.len());
    for (chat, (id, name, kind, unread, muted, at, peer, other)) in page.chats.iter().zip(&want) {
        assert_eq!(chat.provider_id, *id);
        assert_eq!(chat.name.as_deref(), *name, "{id}");
        assert_eq!(chat.kind, *kind, "{id}");
        assert_eq!(chat.unread_count, *unread, "{id}");
        assert_eq!(chat.muted_until, *muted, "{id}");
        assert_eq!(chat.last_activity_ms, at * 1000, "{id}");
        assert_eq!(chat.provider_ref.as_deref(), Some(peer.as_str()), "{id}");
        assert!(!chat.archived && !chat.read_only, "{id}");
        let attendees: Vec<ProviderAttendee> = std::iter::once(owner.clone())
            .chain(other.clone())
            .collect();
        assert_eq!(chat.attendees, attendees, "{id}");
        assert_eq!(
            chat.attendee_provider_id.as_deref(),
            (*kind == Single).then_some(*id),
            "{id}"
        );
    }

    // The top messages: (chat, id, sender, sent by the owner, read, event type).
    use MessageEventType::{GroupParticipantRemove, Unknown};
    #[rustfmt::skip]
    let want: [WantMessage; 19] = [
        ("777000", 6037, "777000", false, false, None),
        ("152058", 5504, "152058", false, false, None),
        ("372278", 5492, "372278", false, true, None),
        ("303253", 5491, "297169", true, false, None),
        ("297169", 4225, "297169", false, true, None),
        ("903185", 2487, "297169", true, true, None),
        ("266297", 2291, "297169", true, true, None),
        ("-10010268765", 7, "297169", true, false, Some(GroupParticipantRemove)),
        ("-96733", 2029, "297169", true, true, Some(Unknown)),
        ("-245975", 1262, "297169", true, true, Some(Unknown)),
        ("-902655", 1231, "297169", true, true, Some(Unknown)),
        ("-10010279405", 3, "297169", true, false, Some(GroupParticipantRemove)),
        ("-235870", 1097, "297169", true, false, Some(Unknown)),
        ("-680564", 1095, "297169", true, false, Some(Unknown)),
        ("-681708", 250, "297169", true, true, None),
        ("627821", 172, "297169", true, false, None),
        ("207386", 164, "297169", true, false, Some(Unknown)),
        ("771698", 156, "771698", false, true, None),
        ("659076", 149, "297169", true, false, Some(Unknown)),
    ];
    let captured_texts = capture["answer"]["messages"].as_array().unwrap();
    for ((d, _), (chat, id, sender, out, seen, event)) in parsed.dialogs.iter().zip(want) {
        assert_eq!(convert::peer_id(&d.peer), chat);
        let cx = MessageContext {
            self_id: OWNER,
            dir: &parsed.dir,
            read_inbox_max_id: d.read_inbox_max_id,
            read_outbox_max_id: d.read_outbox_max_id,
        };
        let raw = top_messages
            .iter()
            .find(|m| m.id() == d.top_message && chat_of(m) == chat)
            .unwrap_or_else(|| panic!("the top message of {chat}"));
        let m = convert::message(raw, &cx).unwrap();
        assert_eq!(m.provider_id, id.to_string(), "{chat}");
        assert_eq!(m.sender_id, sender, "{chat}");
        assert_eq!(m.is_sender, out, "{chat}");
        assert_eq!(m.seen, seen, "{chat}");
        assert_eq!(m.is_event, event.is_some(), "{chat}");
        assert_eq!(m.event_type, event, "{chat}");
        assert!(m.attachments.is_empty(), "{chat}: a contact is no file");
        let text = captured_texts
            .iter()
            .find(|c| c["id"] == id)
            .and_then(|c| c["message"].as_str())
            .filter(|t| !t.is_empty());
        if event.is_none() {
            assert_eq!(m.text.as_deref(), text, "{chat}: the text as sent");
        }
        // Every sender is an attendee the answer describes.
        assert!(
            parsed.dir.attendee(&m.sender_id, OWNER).is_some(),
            "{chat}: {}",
            m.sender_id
        );
    }
    let edited = convert::message(
        top_messages.iter().find(|m| m.id() == 172).unwrap(),
        &MessageContext {
            self_id: OWNER,
            dir: &parsed.dir,
            read_inbox_max_id: 0,
            read_outbox_max_id: 0,
        },
    )
    .unwrap();
    assert!(edited.edited, "edit_date is set");
    let removed = convert::message(
        top_messages
            .iter()
            .find(|m| m.id() == 7 && chat_of(m) == "-10010268765")
            .unwrap(),
        &MessageContext {
            self_id: OWNER,
            dir: &parsed.dir,
            read_inbox_max_id: 0,
            read_outbox_max_id: 0,
        },
    )
    .unwrap();
    assert_eq!(removed.text.as_deref(), Some("lambda257 removed 100"));
}
