//! What a checkpoint writes, collected from its pages; each backend writes it its own way.

use std::collections::HashMap;

use msgsync_core::content::{ProviderAttendee, ProviderChat, ProviderMessage};
use msgsync_core::{AccountId, AttendeeId};

use crate::PageWrite;

/// A chat to upsert, with the account and the sync series that saw it.
pub(crate) struct ChatWrite<'a> {
    pub account: &'a str,
    pub series: &'a str,
    pub chat: &'a ProviderChat,
}

/// A message to upsert into a chat.
pub(crate) struct MessageWrite<'a> {
    pub account: &'a str,
    pub chat: &'a str,
    pub series: &'a str,
    pub message: &'a ProviderMessage,
}

/// What a group of checkpoints writes about attendees.
#[derive(Default)]
pub(crate) struct AttendeeWrites<'a> {
    /// Attendees as the provider described them, once each by id (the last description wins).
    pub(crate) described: HashMap<String, (&'a str, &'a ProviderAttendee)>,
    /// Senders the provider did not describe: kept as an attendee named by its id, unless
    /// one exists already.
    pub(crate) undescribed: HashMap<String, (&'a str, &'a str, bool)>,
    /// (chat id, attendee id), once each.
    pub(crate) links: Vec<(&'a str, String)>,
}

impl<'a> AttendeeWrites<'a> {
    /// The attendees of one page of chat `chat` of `account`: the chat's, the page's, and its
    /// messages' senders.
    pub fn add_page(&mut self, account: &'a str, chat: &'a str, page: &'a PageWrite) {
        let Ok(account_id) = account.parse::<AccountId>() else {
            return;
        };
        let id_of = |provider_id: &str| AttendeeId::for_provider_id(account_id, provider_id);
        for attendee in page.chat.attendees.iter().chain(&page.attendees) {
            let id = id_of(&attendee.provider_id).to_string();
            self.undescribed.remove(&id);
            self.links.push((chat, id.clone()));
            self.described.insert(id, (account, attendee));
        }
        for message in &page.messages {
            let id = id_of(&message.sender_id).to_string();
            if !self.described.contains_key(&id) {
                let sender = (account, message.sender_id.as_str(), message.is_sender);
                self.undescribed.insert(id.clone(), sender);
            }
            self.links.push((chat, id));
        }
    }
}
