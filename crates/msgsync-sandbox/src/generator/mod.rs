//! The deterministic data of a sandbox account.
//!
//! Everything is a pure function of the seed, the provider, the anchor (the instant the span
//! ends at), `span_days`, the LinkedIn products and the indexes of the chat and message. The
//! counts never enter a chat's or a message's own fields, so a scenario with fewer chats or
//! messages sees a subset of the data of a larger one. This module knows nothing of the
//! protocols: the simulators render it as each provider would.

mod common;
mod hash;
pub(crate) mod linkedin;
mod telegram;
mod text;
mod timeline;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use msgsync_core::{LinkedinProduct, ProviderKind};
use msgsync_providers::{ProviderChat, ProviderMessage};

use crate::scenario::Scenario;
use common::Params;

pub use common::{ChatInfo, Person};
pub use telegram::{username as telegram_username, TelegramAction};

/// Sorted message keys are kept for the chats served last, up to this many keys in all (but
/// always the last chat): a sync walks one chat's pages in a row.
const RECENT_KEYS_BUDGET: usize = 256 * 1024;

/// A chat in an inbox listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatEntry {
    /// The chat's index in the data set.
    pub index: u32,
    /// The newest message's time, or the chat's creation time when it has no message.
    pub last_activity_ms: i64,
}

/// Where a message sits in its chat's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageKey {
    /// Epoch milliseconds.
    pub timestamp_ms: i64,
    /// The message's index in its chat (`0..messages`).
    pub index: u32,
}

/// The data of one sandbox scenario, with the work that every page request would otherwise
/// repeat done once: each chat's id and last activity, and each inbox sorted.
#[derive(Debug)]
pub struct Dataset {
    params: Params,
    chats: u32,
    messages: u32,
    owner: Person,
    /// Provider id of each chat, by index.
    ids: Vec<Box<str>>,
    /// Last activity of each chat, by index.
    last_activity: Vec<i64>,
    /// Chat indexes sorted by provider id, for lookups (4 bytes a chat rather than a map).
    by_id: Vec<u32>,
    /// Each inbox, newest activity first.
    inboxes: Vec<(Option<LinkedinProduct>, Vec<ChatEntry>)>,
    /// Sorted message keys of the chats served last, most recent first.
    recent: Mutex<VecDeque<(u32, Arc<[MessageKey]>)>>,
}

/// The account owner of a scenario, without building its data set.
pub fn account_owner(provider: ProviderKind, scenario: &Scenario) -> Person {
    Params::new(provider, scenario, 0).owner()
}

impl Dataset {
    /// Builds the data set of `scenario` for an account of `provider`, with messages spread
    /// over the `span_days` days before `anchor_ms`. Providers other than LinkedIn get
    /// Telegram-style data. Costs about `chats × ln(messages)` hashes.
    pub fn new(provider: ProviderKind, scenario: &Scenario, anchor_ms: i64) -> Dataset {
        let params = Params::new(provider, scenario, anchor_ms);
        let n = u64::from(scenario.messages);
        let mut ids = Vec::with_capacity(scenario.chats as usize);
        let mut last_activity = Vec::with_capacity(scenario.chats as usize);
        for i in 0..scenario.chats {
            let info = params.chat_info(i);
            let last = match params.timeline(i).max_of_first(n) {
                Some(slot) => params.slot_ms(slot),
                None => info.created_ms,
            };
            ids.push(info.provider_id.into_boxed_str());
            last_activity.push(last);
        }
        let mut by_id: Vec<u32> = (0..scenario.chats).collect();
        by_id.sort_by(|a, b| ids[*a as usize].cmp(&ids[*b as usize]));

        let mut all: Vec<ChatEntry> = (0..scenario.chats)
            .map(|i| ChatEntry {
                index: i,
                last_activity_ms: last_activity[i as usize],
            })
            .collect();
        // Newest first; equal times by provider id, so that the order is total and stable.
        all.sort_by(|a, b| {
            b.last_activity_ms
                .cmp(&a.last_activity_ms)
                .then_with(|| ids[a.index as usize].cmp(&ids[b.index as usize]))
        });
        let inboxes = params
            .inboxes()
            .into_iter()
            .map(|inbox| {
                let chats = all
                    .iter()
                    .filter(|e| params.inbox_of(e.index) == inbox)
                    .copied()
                    .collect();
                (inbox, chats)
            })
            .collect();

        Dataset {
            owner: params.owner(),
            params,
            chats: scenario.chats,
            messages: scenario.messages,
            ids,
            last_activity,
            by_id,
            inboxes,
            recent: Mutex::new(VecDeque::new()),
        }
    }

    pub fn provider(&self) -> ProviderKind {
        self.params.provider
    }

    /// The instant the span ends at (exclusive), epoch milliseconds.
    pub fn anchor_ms(&self) -> i64 {
        self.params.anchor_ms
    }

    /// The account owner.
    pub fn owner(&self) -> &Person {
        &self.owner
    }

    pub fn chat_count(&self) -> u32 {
        self.chats
    }

    pub fn messages_per_chat(&self) -> u32 {
        self.messages
    }

    /// The inboxes of the account: `Some(product)` for each LinkedIn product, in canonical
    /// order; a single `None` for other providers.
    pub fn inboxes(&self) -> Vec<Option<LinkedinProduct>> {
        self.inboxes.iter().map(|(inbox, _)| *inbox).collect()
    }

    /// The chats of an inbox, newest activity first (ties by provider id). For LinkedIn,
    /// `None` is the classic inbox; other providers have only `None`. `None` is returned for
    /// an inbox the account does not have.
    pub fn chat_list(&self, inbox: Option<LinkedinProduct>) -> Option<&[ChatEntry]> {
        let inbox = match self.params.provider {
            ProviderKind::Linkedin => Some(inbox.unwrap_or(LinkedinProduct::Classic)),
            _ => inbox,
        };
        self.inboxes
            .iter()
            .find(|(i, _)| *i == inbox)
            .map(|(_, chats)| chats.as_slice())
    }

    /// The provider id of a chat.
    pub fn chat_provider_id(&self, index: u32) -> Option<&str> {
        self.ids.get(index as usize).map(|id| &**id)
    }

    /// The index of the chat with this provider id.
    pub fn chat_index(&self, provider_id: &str) -> Option<u32> {
        self.by_id
            .binary_search_by(|i| (*self.ids[*i as usize]).cmp(provider_id))
            .ok()
            .map(|pos| self.by_id[pos])
    }

    /// The chat's last activity: its newest message's time, or its creation time.
    pub fn last_activity_ms(&self, index: u32) -> Option<i64> {
        self.last_activity.get(index as usize).copied()
    }

    /// What the generator knows of a chat (members, title, flags).
    pub fn chat_info(&self, index: u32) -> Option<ChatInfo> {
        (index < self.chats).then(|| self.params.chat_info(index))
    }

    /// A chat as a provider lists it.
    pub fn chat(&self, index: u32) -> Option<ProviderChat> {
        self.chat_info(index).map(|info| self.provider_chat(&info))
    }

    /// A chat as a provider lists it, from its info.
    pub fn provider_chat(&self, info: &ChatInfo) -> ProviderChat {
        let last = self.last_activity_ms(info.index).unwrap_or(info.created_ms);
        common::provider_chat(&self.params, info, last, self.messages)
    }

    /// The timestamps of a chat's messages, oldest first (equal times by message index).
    /// Cached for the chats served last.
    pub fn message_keys(&self, index: u32) -> Option<Arc<[MessageKey]>> {
        if index >= self.chats {
            return None;
        }
        {
            let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(pos) = recent.iter().position(|(i, _)| *i == index) {
                let hit = recent.remove(pos)?;
                let keys = hit.1.clone();
                recent.push_front(hit);
                return Some(keys);
            }
        }
        // Computed outside the lock: other chats' pages need not wait for this one.
        let mut keys: Vec<MessageKey> = self
            .params
            .timeline(index)
            .values(u64::from(self.messages))
            .into_iter()
            .zip(0u32..)
            .map(|(slot, j)| MessageKey {
                timestamp_ms: self.params.slot_ms(slot),
                index: j,
            })
            .collect();
        keys.sort_unstable();
        let keys: Arc<[MessageKey]> = keys.into();
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent.retain(|(i, _)| *i != index);
        recent.push_front((index, keys.clone()));
        let mut total = 0;
        let keep = recent
            .iter()
            .take_while(|(_, k)| {
                total += k.len();
                total <= RECENT_KEYS_BUDGET
            })
            .count();
        recent.truncate(keep.max(1));
        Some(keys)
    }

    /// The key of message `j` of a chat, without sorting the chat's timeline.
    pub fn message_key(&self, chat: u32, j: u32) -> Option<MessageKey> {
        (chat < self.chats && j < self.messages).then(|| MessageKey {
            timestamp_ms: self
                .params
                .slot_ms(self.params.timeline(chat).value(u64::from(j))),
            index: j,
        })
    }

    /// The full message at `key` (as given by [`Dataset::message_keys`] or
    /// [`Dataset::message_key`]) of the chat `chat`, `original` included.
    pub fn message(&self, chat: &ChatInfo, key: MessageKey) -> ProviderMessage {
        self.generate(chat, key, Original::Include).message
    }

    /// The message at `key` as a protocol simulator needs it: without `original` (building
    /// that JSON for every message would be wasted on a simulator, which writes its own wire
    /// form), with what only Telegram's wire form carries.
    pub fn wire_message(&self, chat: &ChatInfo, key: MessageKey) -> WireMessage {
        self.generate(chat, key, Original::Skip)
    }

    /// The action of the Telegram service message at `key` (`None` for other messages and for
    /// LinkedIn data): what a simulator needs beyond [`Dataset::wire_message`] to write it.
    pub fn telegram_action(&self, chat: &ChatInfo, key: MessageKey) -> Option<TelegramAction> {
        match self.params.flavor {
            common::Flavor::Telegram => telegram::action(&self.params, &self.owner, chat, key),
            common::Flavor::Linkedin => None,
        }
    }

    fn generate(&self, chat: &ChatInfo, key: MessageKey, original: Original) -> WireMessage {
        let (params, owner) = (&self.params, &self.owner);
        match params.flavor {
            common::Flavor::Linkedin => linkedin::message(params, owner, chat, key, original),
            common::Flavor::Telegram => telegram::message(params, owner, chat, key, original),
        }
    }
}

/// A generated message and the details of it that only a wire form carries.
#[derive(Debug, Clone)]
pub struct WireMessage {
    pub message: ProviderMessage,
    /// The TL name of a Telegram service message's action (`messageActionPinMessage`, …).
    pub service_action: Option<&'static str>,
    /// When an edited Telegram message was edited, in seconds.
    pub edit_date: Option<i64>,
}

/// Whether a generated message gets its `original` JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Original {
    Include,
    Skip,
}

#[cfg(test)]
mod tests;
