//! Shared helpers of the Voyager simulator tests: a simulator on loopback, the connector in
//! front of it, walks that collect whole inboxes and chats, and what the generator says those
//! walks must find.

use std::sync::Arc;
use std::time::Duration;

use msgsync_core::{AccountId, LinkedinProduct, ProviderKind, Span};
use msgsync_providers::linkedin::LinkedinConfig;
use msgsync_providers::{
    ChatPageRequest, ConnectRequest, Connector, Credentials, MessagePageRequest, ProviderChat,
    ProviderError, ProviderMessage, ProviderSession,
};
use msgsync_sandbox::{
    Dataset, SandboxHub, SandboxLinkedinConnector, Scenario, VoyagerHandle, VoyagerSimulator,
};

/// 2026-01-01T00:00:00Z.
pub const ANCHOR: i64 = 1_767_225_600_000;
/// Walks longer than this many pages are a loop.
const MAX_PAGES: usize = 10_000;

pub async fn simulator(hub: &SandboxHub) -> VoyagerHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    VoyagerSimulator::start(hub.clone(), listener).unwrap()
}

pub fn connector(sim: &VoyagerHandle, timeout: Duration) -> SandboxLinkedinConnector {
    let mut config = LinkedinConfig::sandbox(sim.base_url());
    config.request_timeout = timeout;
    SandboxLinkedinConnector::with_config(config)
}

pub fn credentials(secret: &str) -> Credentials {
    Credentials {
        secret: secret.to_string(),
        user_agent: None,
        ..Default::default()
    }
}

pub async fn open(
    connector: &dyn Connector,
    account_id: AccountId,
    secret: &str,
) -> Result<Box<dyn ProviderSession>, ProviderError> {
    connector
        .open(&ConnectRequest {
            account_id,
            provider: ProviderKind::Linkedin,
            credentials: credentials(secret),
        })
        .await
}

/// The data set the simulator on `hub` serves for a LinkedIn scenario.
pub fn dataset(hub: &SandboxHub, secret: &str) -> Arc<Dataset> {
    let scenario = Scenario::parse(ProviderKind::Linkedin, secret).unwrap();
    hub.dataset(ProviderKind::Linkedin, &scenario)
}

/// The chats of an inbox as the generator has them: newest activity first, none older than
/// the span's start (a chat list is cut by its last activity, never by the span's end).
pub fn generated_chats(ds: &Dataset, inbox: LinkedinProduct, span: Span) -> Vec<ProviderChat> {
    ds.chat_list(Some(inbox))
        .unwrap_or_else(|| panic!("the data set has no {inbox} inbox"))
        .iter()
        .filter(|e| span.after.is_none_or(|a| e.last_activity_ms >= a))
        .map(|e| ds.chat(e.index).unwrap())
        .collect()
}

/// The messages of a chat in a span as the generator has them, oldest first.
pub fn generated_messages(ds: &Dataset, chat: &str, span: Span) -> Vec<ProviderMessage> {
    let index = ds
        .chat_index(chat)
        .unwrap_or_else(|| panic!("no chat {chat} in the data set"));
    let info = ds.chat_info(index).unwrap();
    ds.message_keys(index)
        .unwrap()
        .iter()
        .filter(|k| span.contains(k.timestamp_ms))
        .map(|k| ds.message(&info, *k))
        .collect()
}

pub async fn walk_chats(
    session: &dyn ProviderSession,
    inbox: LinkedinProduct,
    span: Span,
    limit: u32,
) -> Result<Vec<ProviderChat>, ProviderError> {
    let mut out = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = session
            .chats_page(&ChatPageRequest {
                inbox: Some(inbox),
                cursor: cursor.clone(),
                span,
                limit,
                known_activity_ms: None,
            })
            .await?;
        out.extend(page.chats);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(out),
        }
    }
    panic!("the chat walk did not end");
}

pub async fn walk_messages(
    session: &dyn ProviderSession,
    inbox: LinkedinProduct,
    chat: &str,
    span: Span,
    limit: u32,
) -> Result<Vec<ProviderMessage>, ProviderError> {
    let mut pages: Vec<Vec<ProviderMessage>> = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = session
            .messages_page(&MessagePageRequest {
                inbox: Some(inbox),
                chat_provider_id: chat.to_string(),
                chat_provider_ref: None,
                cursor: cursor.clone(),
                span,
                limit,
            })
            .await?;
        pages.push(page.messages);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => {
                // Pages come newest first; messages within a page oldest first.
                pages.reverse();
                return Ok(pages.into_iter().flatten().collect());
            }
        }
    }
    panic!("the message walk did not end");
}

/// What the connector must agree with the generator on. LinkedIn's reaction summaries name
/// only the viewer among the reactors, `original` is each side's own JSON (the generator's,
/// the payload the connector read), and the seen state of the owner's own messages needs seen
/// receipts (not fetched).
pub fn comparable(mut m: ProviderMessage) -> ProviderMessage {
    m.original = String::new();
    for r in &mut m.reactions {
        if !r.is_sender {
            r.sender_id = String::new();
        }
    }
    m.reactions
        .sort_by(|a, b| (&a.value, a.is_sender).cmp(&(&b.value, b.is_sender)));
    if m.is_sender {
        m.seen = true;
    }
    m
}

/// A generated message as the simulator shows it: the generator writes LinkedIn's URLs, the
/// simulator serves them on its own address.
pub fn on_simulator(sim: &VoyagerHandle, mut m: ProviderMessage) -> ProviderMessage {
    for a in &mut m.attachments {
        a.url = a.url.as_deref().map(|u| sim.simulated_url(u));
    }
    m
}

/// A generated chat as the simulator shows it (see [`on_simulator`]).
pub fn chat_on_simulator(sim: &VoyagerHandle, mut chat: ProviderChat) -> ProviderChat {
    for a in &mut chat.attendees {
        a.profile_url = a.profile_url.as_deref().map(|u| sim.simulated_url(u));
        a.picture_url = a.picture_url.as_deref().map(|u| sim.simulated_url(u));
    }
    chat
}

/// What Sales Navigator's API tells of a chat: no mute state, and of its participants their
/// ids, names and which one is the account (its own profile records carry no headline or
/// picture the public clients read).
pub fn sales(chats: Vec<ProviderChat>) -> Vec<ProviderChat> {
    chats
        .into_iter()
        .map(|mut c| {
            c.muted_until = None;
            for a in &mut c.attendees {
                a.profile_url = None;
                a.picture_url = None;
                a.linkedin = None;
            }
            c
        })
        .collect()
}

/// What Sales Navigator's API tells of a message: no attachments (their shape is in no public
/// client), no reactions, no recall (a recalled message is an empty one), a seen state from
/// the thread's unread count only.
pub fn sales_messages(messages: Vec<ProviderMessage>) -> Vec<ProviderMessage> {
    messages
        .into_iter()
        .map(|mut m| {
            m.attachments.clear();
            m.reactions.clear();
            m.deleted = false;
            m.seen = true;
            m.original = String::new();
            m
        })
        .collect()
}
