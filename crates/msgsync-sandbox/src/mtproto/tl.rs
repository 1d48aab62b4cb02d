//! The generator's data as Telegram's TL objects (layer of grammers-tl-types).

use grammers_tl_types::{enums, types};
use msgsync_providers::{ChatKind, ProviderMessage};
use sha2::{Digest, Sha256};

use crate::generator::{telegram_username, ChatInfo, Person, TelegramAction, WireMessage};

/// Telegram's `mute_until` for "muted for ever".
const MUTED_FOREVER: i32 = i32::MAX;

/// The access hash of a user or channel for this account: keyed by the seed, as Telegram's are
/// per account.
pub(crate) fn access_hash(seed: u64, peer: i64) -> i64 {
    let d = Sha256::new()
        .chain_update(b"access_hash")
        .chain_update(seed.to_le_bytes())
        .chain_update(peer.to_le_bytes())
        .finalize();
    let mut a = [0u8; 8];
    a.copy_from_slice(&d[..8]);
    i64::from_le_bytes(a)
}

/// A chat's TL peer, from its Bot-API-style provider id.
pub(crate) fn peer(info: &ChatInfo) -> enums::Peer {
    peer_of(info.kind, &info.provider_id)
}

pub(crate) fn peer_of(kind: ChatKind, provider_id: &str) -> enums::Peer {
    let n = |s: &str| s.parse::<i64>().unwrap_or(0);
    match kind {
        ChatKind::Single => enums::Peer::User(types::PeerUser {
            user_id: n(provider_id),
        }),
        ChatKind::Group => enums::Peer::Chat(types::PeerChat {
            chat_id: n(provider_id.trim_start_matches('-')),
        }),
        ChatKind::Channel => enums::Peer::Channel(types::PeerChannel {
            channel_id: n(provider_id.strip_prefix("-100").unwrap_or(provider_id)),
        }),
    }
}

fn user_peer(id: &str) -> enums::Peer {
    enums::Peer::User(types::PeerUser {
        user_id: id.parse().unwrap_or(0),
    })
}

pub(crate) fn user(seed: u64, person: &Person, is_self: bool) -> enums::User {
    let id: i64 = person.id.parse().unwrap_or(0);
    let (first, last) = match person.name.split_once(' ') {
        Some((f, l)) => (f.to_string(), Some(l.to_string())),
        None => (person.name.clone(), None),
    };
    enums::User::User(types::User {
        is_self,
        contact: !is_self,
        mutual_contact: false,
        deleted: false,
        bot: false,
        bot_chat_history: false,
        bot_nochats: false,
        verified: false,
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
        id,
        access_hash: Some(access_hash(seed, id)),
        first_name: Some(first),
        last_name: last,
        username: telegram_username(person),
        phone: None,
        photo: None,
        status: None,
        bot_info_version: None,
        restriction_reason: None,
        bot_inline_placeholder: None,
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

/// A group (basic group) or channel as a TL chat; `None` for a private chat.
pub(crate) fn chat(seed: u64, info: &ChatInfo) -> Option<enums::Chat> {
    let date = (info.created_ms / 1000) as i32;
    let title = info.name.clone().unwrap_or_default();
    match (info.kind, peer(info)) {
        (ChatKind::Group, enums::Peer::Chat(p)) => Some(enums::Chat::Chat(types::Chat {
            creator: false,
            left: false,
            deactivated: false,
            call_active: false,
            call_not_empty: false,
            noforwards: false,
            id: p.chat_id,
            title,
            photo: enums::ChatPhoto::Empty,
            participants_count: info.members.len() as i32 + 1,
            date,
            version: 1,
            migrated_to: None,
            admin_rights: None,
            default_banned_rights: None,
        })),
        (ChatKind::Channel, enums::Peer::Channel(p)) => {
            Some(enums::Chat::Channel(types::Channel {
                // The owner of a channel they post in is its creator; followers are not.
                creator: !info.read_only,
                left: false,
                broadcast: true,
                verified: false,
                megagroup: false,
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
                id: p.channel_id,
                access_hash: Some(access_hash(seed, p.channel_id)),
                title,
                username: None,
                photo: enums::ChatPhoto::Empty,
                date,
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
            }))
        }
        _ => None,
    }
}

pub(crate) fn notify_settings(muted_until_ms: Option<i64>) -> enums::PeerNotifySettings {
    enums::PeerNotifySettings::Settings(types::PeerNotifySettings {
        show_previews: None,
        silent: None,
        mute_until: muted_until_ms.map(|ms| {
            if ms < 0 {
                MUTED_FOREVER
            } else {
                i32::try_from(ms / 1000).unwrap_or(MUTED_FOREVER)
            }
        }),
        ios_sound: None,
        android_sound: None,
        other_sound: None,
        stories_muted: None,
        stories_hide_sender: None,
        stories_ios_sound: None,
        stories_android_sound: None,
        stories_other_sound: None,
    })
}

fn user_id(id: &str) -> i64 {
    id.parse().unwrap_or(0)
}

/// A service message's action as its TL constructor.
fn action(action: &TelegramAction) -> enums::MessageAction {
    match action {
        TelegramAction::ChatCreate { title, users } => {
            enums::MessageAction::ChatCreate(types::MessageActionChatCreate {
                title: title.clone(),
                users: users.iter().map(|u| user_id(u)).collect(),
            })
        }
        TelegramAction::ChatEditTitle { title } => {
            enums::MessageAction::ChatEditTitle(types::MessageActionChatEditTitle {
                title: title.clone(),
            })
        }
        TelegramAction::ChatEditPhoto => {
            enums::MessageAction::ChatEditPhoto(types::MessageActionChatEditPhoto {
                photo: enums::Photo::Empty(types::PhotoEmpty { id: 0 }),
            })
        }
        TelegramAction::ChatAddUser { users } => {
            enums::MessageAction::ChatAddUser(types::MessageActionChatAddUser {
                users: users.iter().map(|u| user_id(u)).collect(),
            })
        }
        TelegramAction::ChatDeleteUser { user } => {
            enums::MessageAction::ChatDeleteUser(types::MessageActionChatDeleteUser {
                user_id: user_id(user),
            })
        }
        TelegramAction::ChatJoinedByLink { inviter } => {
            enums::MessageAction::ChatJoinedByLink(types::MessageActionChatJoinedByLink {
                inviter_id: user_id(inviter),
            })
        }
        TelegramAction::PinMessage => enums::MessageAction::PinMessage,
        TelegramAction::PhoneCall {
            video,
            missed,
            duration,
        } => enums::MessageAction::PhoneCall(types::MessageActionPhoneCall {
            video: *video,
            call_id: 0,
            reason: Some(if *missed {
                enums::PhoneCallDiscardReason::Missed
            } else {
                enums::PhoneCallDiscardReason::Hangup
            }),
            duration: duration.map(|d| i32::try_from(d).unwrap_or(i32::MAX)),
        }),
    }
}

fn reactions(m: &ProviderMessage, date: i32) -> Option<enums::MessageReactions> {
    if m.reactions.is_empty() {
        return None;
    }
    let mut results: Vec<(String, i32)> = Vec::new();
    for r in &m.reactions {
        match results.iter_mut().find(|(v, _)| *v == r.value) {
            Some((_, n)) => *n += 1,
            None => results.push((r.value.clone(), 1)),
        }
    }
    let emoji = |v: &str| enums::Reaction::Emoji(types::ReactionEmoji { emoticon: v.into() });
    Some(enums::MessageReactions::Reactions(
        types::MessageReactions {
            min: false,
            can_see_list: true,
            reactions_as_tags: false,
            results: results
                .iter()
                .map(|(v, n)| {
                    enums::ReactionCount::Count(types::ReactionCount {
                        chosen_order: None,
                        reaction: emoji(v),
                        count: *n,
                    })
                })
                .collect(),
            recent_reactions: Some(
                m.reactions
                    .iter()
                    .map(|r| {
                        enums::MessagePeerReaction::Reaction(types::MessagePeerReaction {
                            big: false,
                            unread: false,
                            my: r.is_sender,
                            peer_id: user_peer(&r.sender_id),
                            date,
                            reaction: emoji(&r.value),
                        })
                    })
                    .collect(),
            ),
            top_reactors: None,
        },
    ))
}

/// A generated message as Telegram presents it, under the simulator's id: a service message
/// when it has an `action`, its `media` written by the caller (it carries a file reference).
pub(crate) fn message(
    info: &ChatInfo,
    wire: &WireMessage,
    id: i32,
    service: Option<&TelegramAction>,
    media: Option<enums::MessageMedia>,
) -> enums::Message {
    let m = &wire.message;
    let date = (m.timestamp_ms.div_euclid(1000)) as i32;
    if let Some(service) = service {
        return enums::Message::Service(types::MessageService {
            out: m.is_sender,
            mentioned: false,
            media_unread: false,
            reactions_are_possible: false,
            silent: false,
            post: false,
            legacy: false,
            id,
            from_id: Some(user_peer(&m.sender_id)),
            peer_id: peer(info),
            saved_peer_id: None,
            reply_to: None,
            date,
            action: action(service),
            reactions: None,
            ttl_period: None,
        });
    }
    let channel = info.kind == ChatKind::Channel;
    let edit_date = wire.edit_date.map(|d| d as i32);
    enums::Message::Message(types::Message {
        out: m.is_sender,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: channel,
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
        from_id: (!channel).then(|| user_peer(&m.sender_id)),
        from_boosts_applied: None,
        from_rank: None,
        peer_id: peer(info),
        saved_peer_id: None,
        fwd_from: None,
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: None,
        date,
        message: m.text.clone().unwrap_or_default(),
        media,
        reply_markup: None,
        entities: None,
        views: channel.then_some(1),
        forwards: channel.then_some(0),
        replies: None,
        edit_date,
        post_author: None,
        grouped_id: None,
        reactions: reactions(m, date),
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
