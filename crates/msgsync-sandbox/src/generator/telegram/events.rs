//! Service messages: what happens in groups (creation, members joining, leaving, being added or
//! removed, renames, new photos, pins) and the calls of private chats, as Telegram's
//! `messageAction*` constructors tell them (core.telegram.org/type/MessageAction).

use msgsync_providers::{ChatKind, MessageEventType};
use serde_json::{json, Value};

use super::super::common::{ChatInfo, Params, Person};
use super::super::hash::Rng;
use super::super::MessageKey;

/// A stream of its own for a private chat's calls, so that deciding whether a message is a call
/// leaves the message's other draws alone. Never renumber it.
const CALL_SALT: u64 = 0x6361_6c6c;

/// Share (percent) of private-chat messages that are calls.
const CALL_SHARE: u64 = 4;
/// Share (percent) of group messages (other than the first) that are service messages.
const GROUP_EVENT_SHARE: u64 = 6;

/// A Telegram service message's action, as its `messageAction*` constructor carries it, people
/// named by their user ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelegramAction {
    /// `messageActionChatCreate`: the group was created, with these members.
    ChatCreate { title: String, users: Vec<String> },
    /// `messageActionChatEditTitle`.
    ChatEditTitle { title: String },
    /// `messageActionChatEditPhoto`.
    ChatEditPhoto,
    /// `messageActionChatAddUser`: the sender added these users.
    ChatAddUser { users: Vec<String> },
    /// `messageActionChatDeleteUser`: `user` left (when they are the sender) or was removed by
    /// the sender.
    ChatDeleteUser { user: String },
    /// `messageActionChatJoinedByLink`: the sender joined with `inviter`'s invite link.
    ChatJoinedByLink { inviter: String },
    /// `messageActionPinMessage`.
    PinMessage,
    /// `messageActionPhoneCall`: a call placed by the sender; `missed` is
    /// `phoneCallDiscardReasonMissed`, otherwise the call lasted `duration` seconds.
    PhoneCall {
        video: bool,
        missed: bool,
        duration: Option<i64>,
    },
}

impl TelegramAction {
    /// The TL constructor's name.
    pub fn tl_name(&self) -> &'static str {
        match self {
            TelegramAction::ChatCreate { .. } => "messageActionChatCreate",
            TelegramAction::ChatEditTitle { .. } => "messageActionChatEditTitle",
            TelegramAction::ChatEditPhoto => "messageActionChatEditPhoto",
            TelegramAction::ChatAddUser { .. } => "messageActionChatAddUser",
            TelegramAction::ChatDeleteUser { .. } => "messageActionChatDeleteUser",
            TelegramAction::ChatJoinedByLink { .. } => "messageActionChatJoinedByLink",
            TelegramAction::PinMessage => "messageActionPinMessage",
            TelegramAction::PhoneCall { .. } => "messageActionPhoneCall",
        }
    }

    /// The API's event type of the action done by `sender`: the SDK's counterpart where
    /// Telegram's action has one, `Unknown` otherwise (a photo change, a pin, an answered call).
    pub(crate) fn event_type(&self, sender: &str) -> MessageEventType {
        match self {
            TelegramAction::ChatCreate { .. } => MessageEventType::GroupCreate,
            TelegramAction::ChatEditTitle { .. } => MessageEventType::GroupChangeSubject,
            TelegramAction::ChatAddUser { .. } | TelegramAction::ChatJoinedByLink { .. } => {
                MessageEventType::GroupParticipantAdd
            }
            TelegramAction::ChatDeleteUser { user } if user == sender => {
                MessageEventType::GroupParticipantLeave
            }
            TelegramAction::ChatDeleteUser { .. } => MessageEventType::GroupParticipantRemove,
            TelegramAction::PhoneCall {
                missed: true,
                video: true,
                ..
            } => MessageEventType::CallMissedVideo,
            TelegramAction::PhoneCall { missed: true, .. } => MessageEventType::CallMissedVoice,
            TelegramAction::ChatEditPhoto
            | TelegramAction::PinMessage
            | TelegramAction::PhoneCall { .. } => MessageEventType::Unknown,
        }
    }

    /// What the message says after the name of `sender`, who did it: the words the Telegram
    /// connector writes for the same action.
    pub(crate) fn text(&self, sender: &str, name: impl Fn(&str) -> String) -> String {
        match self {
            TelegramAction::ChatCreate { title, .. } => format!("created the group «{title}»"),
            TelegramAction::ChatEditTitle { title } => {
                format!("changed the group name to «{title}»")
            }
            TelegramAction::ChatEditPhoto => "changed the group photo".into(),
            TelegramAction::ChatAddUser { users } => format!(
                "added {}",
                users.iter().map(|u| name(u)).collect::<Vec<_>>().join(", ")
            ),
            TelegramAction::ChatDeleteUser { user } if user == sender => "left the group".into(),
            TelegramAction::ChatDeleteUser { user } => format!("removed {}", name(user)),
            TelegramAction::ChatJoinedByLink { .. } => "joined the group".into(),
            TelegramAction::PinMessage => "pinned a message".into(),
            TelegramAction::PhoneCall {
                video,
                missed,
                duration,
            } => {
                let kind = if *video { "video" } else { "voice" };
                match (missed, duration) {
                    (true, _) => format!("made a {kind} call (missed)"),
                    (false, Some(d)) => format!("made a {kind} call ({d} s)"),
                    (false, None) => format!("made a {kind} call"),
                }
            }
        }
    }

    /// The action in the raw form of a message.
    pub(crate) fn json(&self) -> Value {
        let ids = |users: &[String]| {
            users
                .iter()
                .map(|u| u.parse::<i64>().ok())
                .collect::<Vec<_>>()
        };
        let mut v = match self {
            TelegramAction::ChatCreate { title, users } => {
                json!({"title": title, "users": ids(users)})
            }
            TelegramAction::ChatEditTitle { title } => json!({ "title": title }),
            TelegramAction::ChatAddUser { users } => json!({ "users": ids(users) }),
            TelegramAction::ChatDeleteUser { user } => {
                json!({ "user_id": user.parse::<i64>().ok() })
            }
            TelegramAction::ChatJoinedByLink { inviter } => {
                json!({ "inviter_id": inviter.parse::<i64>().ok() })
            }
            TelegramAction::PhoneCall {
                video,
                missed,
                duration,
            } => {
                let reason = if *missed {
                    "phoneCallDiscardReasonMissed"
                } else {
                    "phoneCallDiscardReasonHangup"
                };
                json!({"video": video, "reason": reason, "duration": duration})
            }
            TelegramAction::ChatEditPhoto | TelegramAction::PinMessage => json!({}),
        };
        v["_"] = json!(self.tl_name());
        v
    }
}

/// The service events of groups other than their creation, by weight.
#[derive(Debug, Clone, Copy)]
enum GroupEvent {
    JoinedByLink,
    Left,
    Removed,
    Added,
    Renamed,
    NewPhoto,
    Pinned,
}

const GROUP_EVENTS: &[(GroupEvent, u64)] = &[
    (GroupEvent::JoinedByLink, 4),
    (GroupEvent::Left, 3),
    (GroupEvent::Removed, 2),
    (GroupEvent::Added, 4),
    (GroupEvent::Renamed, 2),
    (GroupEvent::NewPhoto, 2),
    (GroupEvent::Pinned, 3),
];

fn weighted<T: Copy>(rng: &mut Rng, items: &[(T, u64)]) -> T {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.below(total);
    for (item, weight) in items {
        if roll < *weight {
            return *item;
        }
        roll -= weight;
    }
    items[0].0
}

/// A random member (`members` is not empty).
fn member<'a>(rng: &mut Rng, members: &'a [Person]) -> &'a Person {
    &members[rng.below(members.len() as u64) as usize]
}

/// Who does something in a group: the owner now and then, otherwise a member.
fn actor<'a>(rng: &mut Rng, owner: &'a Person, members: &'a [Person]) -> &'a Person {
    if rng.chance(25) {
        owner
    } else {
        member(rng, members)
    }
}

/// Someone of the group (the owner included) other than `not`.
fn other<'a>(rng: &mut Rng, owner: &'a Person, members: &'a [Person], not: &Person) -> &'a Person {
    let others: Vec<&Person> = std::iter::once(owner)
        .chain(members)
        .filter(|p| p.id != not.id)
        .collect();
    match others.len() {
        0 => owner,
        n => others[rng.below(n as u64) as usize],
    }
}

/// The service message at `key`, if it is one: who did what. A group's first message (index
/// 0, whatever its time) is its creation, so each group has exactly one; private chats hold
/// calls. `rng` is the message's own stream.
pub(crate) fn event<'a>(
    params: &Params,
    owner: &'a Person,
    chat: &'a ChatInfo,
    key: MessageKey,
    rng: &mut Rng,
) -> Option<(&'a Person, TelegramAction)> {
    match chat.kind {
        ChatKind::Group if !chat.members.is_empty() => {
            let members = &chat.members;
            let title = chat.name.clone().unwrap_or_default();
            if key.index == 0 {
                let creator = actor(rng, owner, members);
                let users = std::iter::once(owner)
                    .chain(members)
                    .map(|p| p.id.clone())
                    .collect();
                return Some((creator, TelegramAction::ChatCreate { title, users }));
            }
            if !rng.chance(GROUP_EVENT_SHARE) {
                return None;
            }
            Some(match weighted(rng, GROUP_EVENTS) {
                GroupEvent::JoinedByLink => {
                    let joiner = member(rng, members);
                    let inviter = other(rng, owner, members, joiner).id.clone();
                    (joiner, TelegramAction::ChatJoinedByLink { inviter })
                }
                GroupEvent::Left => {
                    let leaver = member(rng, members);
                    let user = leaver.id.clone();
                    (leaver, TelegramAction::ChatDeleteUser { user })
                }
                GroupEvent::Removed => {
                    let by = actor(rng, owner, members);
                    let user = other(rng, owner, members, by).id.clone();
                    (by, TelegramAction::ChatDeleteUser { user })
                }
                GroupEvent::Added => {
                    let by = actor(rng, owner, members);
                    let users = vec![other(rng, owner, members, by).id.clone()];
                    (by, TelegramAction::ChatAddUser { users })
                }
                GroupEvent::Renamed => (
                    actor(rng, owner, members),
                    TelegramAction::ChatEditTitle { title },
                ),
                GroupEvent::NewPhoto => (actor(rng, owner, members), TelegramAction::ChatEditPhoto),
                GroupEvent::Pinned => (actor(rng, owner, members), TelegramAction::PinMessage),
            })
        }
        ChatKind::Single => {
            let mut calls = params.rng(CALL_SALT, u64::from(chat.index), u64::from(key.index));
            if !calls.chance(CALL_SHARE) {
                return None;
            }
            let caller = match chat.members.first() {
                Some(other) if calls.chance(50) => other,
                _ => owner,
            };
            let missed = calls.chance(45);
            let action = TelegramAction::PhoneCall {
                video: calls.chance(30),
                missed,
                duration: (!missed).then(|| calls.range(8, 1800) as i64),
            };
            Some((caller, action))
        }
        _ => None,
    }
}
