//! What LinkedIn and Telegram data share: the parameters, people, chat info, and the parts of a
//! message (attachments, reactions, read state) that look alike on both.

use msgsync_core::{LinkedinProduct, ProviderKind};
use msgsync_providers::{ChatKind, ProviderAttendee, ProviderChat, Reaction};

use super::hash::{hash, Rng};
use super::text;
use super::timeline::Timeline;
use super::{linkedin, telegram};
use crate::scenario::Scenario;

pub(crate) const DAY_MS: i64 = 86_400_000;

/// In a chat with unread messages, the incoming messages of this many last days are unread.
pub(crate) const UNREAD_WINDOW_MS: i64 = 7 * DAY_MS;

/// Salts separating the hash streams, one per kind of generated thing. Never renumber them:
/// they are part of the data format.
pub(crate) mod salt {
    pub const CHAT: u64 = 1;
    pub const MESSAGE: u64 = 2;
    pub const TIMELINE: u64 = 3;
    pub const PERSON: u64 = 4;
    pub const PEER_IDS: u64 = 5;
}

/// Person numbers: chat `i`'s one-to-one partner is person `i`; group members come from a pool
/// above every chat index; the owner is a number no one else gets.
pub(crate) const MEMBER_POOL_START: u64 = 1 << 31;
pub(crate) const MEMBER_POOL_SIZE: u64 = 1 << 20;
pub(crate) const OWNER: u64 = u32::MAX as u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Linkedin = 1,
    Telegram = 2,
}

/// Someone in the data set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Person {
    /// The provider's id (`ACoAA…` on LinkedIn, a user id on Telegram).
    pub id: String,
    pub name: String,
}

/// What the generator decides about a chat, whatever the message count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatInfo {
    pub index: u32,
    pub provider_id: String,
    pub kind: ChatKind,
    /// The title of a group or channel, the other member's name in a one-to-one chat.
    pub name: Option<String>,
    /// The members other than the owner (empty for a channel).
    pub members: Vec<Person>,
    /// The LinkedIn inbox the chat is in.
    pub inbox: Option<LinkedinProduct>,
    /// The subject of a LinkedIn InMail thread (carried by each of its messages).
    pub subject: Option<String>,
    pub folder: Option<String>,
    pub archived: bool,
    pub muted_until: Option<i64>,
    pub read_only: bool,
    /// Unread incoming messages (at most the message count when listed).
    pub unread: u32,
    /// When the chat was created: its last activity when it has no message.
    pub created_ms: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Params {
    pub provider: ProviderKind,
    pub flavor: Flavor,
    pub seed: u64,
    pub anchor_ms: i64,
    pub span_ms: i64,
    /// Times are whole multiples of this: Telegram dates are in seconds, LinkedIn's in ms.
    pub unit_ms: i64,
    /// LinkedIn inboxes, canonical order, never empty (unused for Telegram).
    pub products: Vec<LinkedinProduct>,
}

impl Params {
    pub(crate) fn new(provider: ProviderKind, scenario: &Scenario, anchor_ms: i64) -> Params {
        let flavor = match provider {
            ProviderKind::Linkedin => Flavor::Linkedin,
            _ => Flavor::Telegram,
        };
        let mut products = scenario.products.clone();
        products.sort();
        products.dedup();
        if products.is_empty() {
            products.push(LinkedinProduct::Classic);
        }
        Params {
            provider,
            flavor,
            seed: scenario.seed,
            anchor_ms,
            span_ms: i64::from(scenario.span_days.max(1)) * DAY_MS,
            unit_ms: match flavor {
                Flavor::Linkedin => 1,
                Flavor::Telegram => 1000,
            },
            products,
        }
    }

    pub(crate) fn hash(&self, salt: u64, a: u64, b: u64) -> u64 {
        hash(&[self.seed, self.flavor as u64, salt, a, b])
    }

    pub(crate) fn rng(&self, salt: u64, a: u64, b: u64) -> Rng {
        Rng::new(&[self.seed, self.flavor as u64, salt, a, b])
    }

    pub(crate) fn slots(&self) -> u64 {
        (self.span_ms / self.unit_ms) as u64
    }

    /// The time of a slot: slots cover `[anchor - span, anchor)`.
    pub(crate) fn slot_ms(&self, slot: u64) -> i64 {
        let slot = i64::try_from(slot).unwrap_or(i64::MAX);
        (self.anchor_ms - self.span_ms).saturating_add(slot.saturating_mul(self.unit_ms))
    }

    /// A uniform time in the span, from a draw.
    pub(crate) fn random_ms(&self, rng: &mut Rng) -> i64 {
        self.slot_ms(rng.below(self.slots()))
    }

    pub(crate) fn timeline(&self, chat: u32) -> Timeline {
        Timeline::new(self.hash(salt::TIMELINE, u64::from(chat), 0), self.slots())
    }

    pub(crate) fn inboxes(&self) -> Vec<Option<LinkedinProduct>> {
        match self.flavor {
            Flavor::Linkedin => self.products.iter().copied().map(Some).collect(),
            Flavor::Telegram => vec![None],
        }
    }

    /// Chat `i` lives in inbox `products[i % products.len()]`.
    pub(crate) fn inbox_of(&self, chat: u32) -> Option<LinkedinProduct> {
        match self.flavor {
            Flavor::Linkedin => self
                .products
                .get(chat as usize % self.products.len().max(1))
                .copied(),
            Flavor::Telegram => None,
        }
    }

    pub(crate) fn person(&self, number: u64) -> Person {
        match self.flavor {
            Flavor::Linkedin => linkedin::person(self, number),
            Flavor::Telegram => telegram::person(self, number),
        }
    }

    pub(crate) fn owner(&self) -> Person {
        self.person(OWNER)
    }

    pub(crate) fn chat_info(&self, chat: u32) -> ChatInfo {
        match self.flavor {
            Flavor::Linkedin => linkedin::chat_info(self, chat),
            Flavor::Telegram => telegram::chat_info(self, chat),
        }
    }

    /// `count` distinct members from the pool.
    pub(crate) fn pool_members(&self, rng: &mut Rng, count: u64) -> Vec<Person> {
        let mut numbers: Vec<u64> = Vec::new();
        while (numbers.len() as u64) < count {
            let n = MEMBER_POOL_START + rng.below(MEMBER_POOL_SIZE);
            if !numbers.contains(&n) {
                numbers.push(n);
            }
        }
        numbers.into_iter().map(|n| self.person(n)).collect()
    }

    /// Whether an incoming message at `ts` is still unread: chats with unread messages have
    /// their incoming messages of the last few days unread. It depends on the chat's flags
    /// and the message's own time only, never on the message count (so the chat's
    /// `unread_count` is only roughly the number of such messages: counting them exactly
    /// would mean generating every message of every listed chat).
    pub(crate) fn unread(&self, chat: &ChatInfo, ts: i64) -> bool {
        chat.unread > 0 && ts >= self.anchor_ms - UNREAD_WINDOW_MS
    }

    /// Whether the other side read a message the owner sent: older ones always, recent ones
    /// mostly.
    pub(crate) fn read_by_recipient(&self, rng: &mut Rng, ts: i64) -> bool {
        let recent = ts >= self.anchor_ms - DAY_MS;
        !(recent && rng.chance(40))
    }
}

/// The attendees of a chat as its listing names them: the owner, then the other members. A
/// Telegram dialog names only the other side of a private chat (a group's members come with
/// their messages).
pub(crate) fn chat_attendees(params: &Params, info: &ChatInfo) -> Vec<ProviderAttendee> {
    let owner = params.owner();
    let listed = match (params.flavor, info.kind) {
        (Flavor::Telegram, ChatKind::Group | ChatKind::Channel) => &[][..],
        _ => &info.members[..],
    };
    std::iter::once((&owner, true))
        .chain(listed.iter().map(|m| (m, false)))
        .map(|(person, is_self)| match params.flavor {
            Flavor::Linkedin => linkedin::attendee(params, person, is_self),
            Flavor::Telegram => telegram::attendee(params, person, is_self),
        })
        .collect()
}

pub(crate) fn provider_chat(
    params: &Params,
    info: &ChatInfo,
    last_activity_ms: i64,
    messages: u32,
) -> ProviderChat {
    ProviderChat {
        provider_id: info.provider_id.clone(),
        name: info.name.clone(),
        kind: info.kind,
        last_activity_ms,
        // A chat quiet for longer than the unread window has nothing unread.
        unread_count: if last_activity_ms >= params.anchor_ms - UNREAD_WINDOW_MS {
            i64::from(info.unread.min(messages))
        } else {
            0
        },
        archived: info.archived,
        muted_until: info.muted_until,
        read_only: info.read_only,
        folder: info.folder.clone(),
        attendee_provider_id: match info.kind {
            ChatKind::Single => info.members.first().map(|p| p.id.clone()),
            _ => None,
        },
        content_type: match (params.flavor, &info.subject) {
            (Flavor::Linkedin, Some(_)) => Some("inmail".to_string()),
            _ => None,
        },
        inbox: info.inbox,
        attendees: chat_attendees(params, info),
        provider_ref: None,
    }
}

/// One to three reactions by distinct people among the members and the owner.
pub(crate) fn reactions(rng: &mut Rng, owner: &Person, members: &[Person]) -> Vec<Reaction> {
    let count = rng.range(1, 3);
    let mut out: Vec<Reaction> = Vec::new();
    for _ in 0..count {
        let pick = rng.below(members.len() as u64 + 1) as usize;
        let person = members.get(pick).unwrap_or(owner);
        let value = rng.pick(text::REACTIONS);
        if out.iter().all(|r| r.sender_id != person.id) {
            out.push(Reaction {
                value: value.to_string(),
                sender_id: person.id.clone(),
                is_sender: person.id == owner.id,
            });
        }
    }
    out
}
