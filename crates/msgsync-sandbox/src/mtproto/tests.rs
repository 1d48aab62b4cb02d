//! The live Telegram connector (grammers) against the simulator, over loopback TCP.

use std::time::Duration;

use msgsync_core::{AccountId, ProviderKind, Span};
use msgsync_providers::telegram::TelegramConfig;
use msgsync_providers::{
    ChatKind, ChatPageRequest, ConnectRequest, Connector, Credentials, MessagePage,
    MessagePageRequest, ProviderAttendee, ProviderChat, ProviderError, ProviderMessage,
    ProviderSession,
};
use tokio::net::TcpListener;

use super::{tl, MtprotoHandle, MtprotoSimulator, SandboxTelegramConnector};
use crate::generator::{telegram_username, ChatInfo, Dataset};
use crate::scenario::Scenario;
use crate::SandboxHub;

mod dialogs;
mod files;

const DAY_MS: i64 = 86_400_000;
/// A fixed anchor (midnight UTC), so that the data does not depend on the day.
const ANCHOR: i64 = 1_767_225_600_000;

async fn start() -> (SandboxHub, MtprotoHandle) {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = MtprotoSimulator::start(hub.clone(), listener).unwrap();
    (hub, handle)
}

fn connector(handle: &MtprotoHandle, timeout: Duration) -> SandboxTelegramConnector {
    let config = TelegramConfig {
        request_timeout: timeout,
        ..TelegramConfig::default()
    };
    SandboxTelegramConnector::new(handle.local_addr(), config)
}

fn request(account: AccountId, scenario: &str) -> ConnectRequest {
    ConnectRequest {
        account_id: account,
        provider: ProviderKind::Telegram,
        credentials: Credentials {
            secret: scenario.into(),
            user_agent: None,
            ..Default::default()
        },
    }
}

async fn open(c: &SandboxTelegramConnector, scenario: &str) -> Box<dyn ProviderSession> {
    c.open(&request(AccountId::new(), scenario))
        .await
        .expect("open")
}

async fn all_chats(s: &dyn ProviderSession, limit: u32, span: Span) -> Vec<ProviderChat> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .chats_page(&ChatPageRequest {
                inbox: None,
                cursor: cursor.clone(),
                span,
                limit,
                known_activity_ms: None,
            })
            .await
            .expect("chats page");
        assert!(page.chats.len() <= limit as usize);
        out.extend(page.chats);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

async fn all_messages(
    s: &dyn ProviderSession,
    chat: &str,
    limit: u32,
    span: Span,
) -> Vec<ProviderMessage> {
    // Pages walk backwards: the oldest page came last.
    all_pages(s, chat, limit, span)
        .await
        .into_iter()
        .rev()
        .flat_map(|p| p.messages)
        .collect()
}

async fn all_pages(
    s: &dyn ProviderSession,
    chat: &str,
    limit: u32,
    span: Span,
) -> Vec<MessagePage> {
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .messages_page(&MessagePageRequest {
                inbox: None,
                chat_provider_id: chat.into(),
                chat_provider_ref: None,
                cursor: cursor.clone(),
                span,
                limit,
            })
            .await
            .expect("messages page");
        assert!(page
            .messages
            .windows(2)
            .all(|w| w[0].timestamp_ms <= w[1].timestamp_ms));
        let next = page.next_cursor.clone();
        pages.push(page);
        match next {
            Some(next) => cursor = Some(next),
            None => return pages,
        }
    }
}

/// What must match between the simulator's view and the generator's (ids differ by design):
/// attachments with every field, service messages with their event types.
fn essence(m: &ProviderMessage) -> impl PartialEq + std::fmt::Debug {
    (
        m.timestamp_ms,
        m.sender_id.clone(),
        m.text.clone(),
        m.is_sender,
        m.attachments.clone(),
        m.reactions.clone(),
        m.edited,
        (m.is_event, m.event_type),
    )
}

/// A chat as Telegram's dialog listing can tell it: a group's or a channel's members are not
/// in the listing (they come with their messages), so only the owner is named; the chat
/// carries its peer with the access hash the simulator gives this account.
fn as_listed(seed: u64, mut chat: ProviderChat) -> ProviderChat {
    if chat.kind != ChatKind::Single {
        chat.attendees.retain(|a| a.is_self);
    }
    chat.provider_ref = Some(provider_ref(seed, chat.kind, &chat.provider_id));
    chat
}

/// The peer the connector stores with a chat: `kind:id:access_hash`.
fn provider_ref(seed: u64, kind: ChatKind, chat: &str) -> String {
    match tl::peer_of(kind, chat) {
        grammers_tl_types::enums::Peer::User(p) => {
            format!("u:{}:{}", p.user_id, tl::access_hash(seed, p.user_id))
        }
        grammers_tl_types::enums::Peer::Chat(p) => format!("c:{}:0", p.chat_id),
        grammers_tl_types::enums::Peer::Channel(p) => {
            format!("h:{}:{}", p.channel_id, tl::access_hash(seed, p.channel_id))
        }
    }
}

/// The attendee a page must give for a sender: a person of the chat with their username's
/// link, or the channel itself.
fn expected_attendee(ds: &Dataset, info: &ChatInfo, sender: &str) -> ProviderAttendee {
    let owner = ds.owner();
    match std::iter::once(owner)
        .chain(&info.members)
        .find(|p| p.id == sender)
    {
        Some(p) => ProviderAttendee {
            provider_id: p.id.clone(),
            name: p.name.clone(),
            is_self: p.id == owner.id,
            profile_url: telegram_username(p).map(|u| format!("https://t.me/{u}")),
            picture_url: None,
            linkedin: None,
        },
        None => ProviderAttendee {
            provider_id: sender.to_string(),
            name: info.name.clone().unwrap_or_default(),
            is_self: false,
            profile_url: None,
            picture_url: None,
            linkedin: None,
        },
    }
}

#[tokio::test]
async fn full_walks_match_the_generated_data() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let text = "sandbox:chats=40,messages=130,seed=2";
    let scenario = Scenario::parse(ProviderKind::Telegram, text).unwrap();
    let ds = hub.dataset(ProviderKind::Telegram, &scenario);
    let session = open(&c, text).await;

    let expected: Vec<ProviderChat> = ds
        .chat_list(None)
        .unwrap()
        .iter()
        .filter_map(|e| ds.chat(e.index))
        .map(|c| as_listed(scenario.seed, c))
        .collect();
    for limit in [1, 7, 100] {
        let chats = all_chats(session.as_ref(), limit, Span::default()).await;
        assert_eq!(chats, expected, "chat walk with limit {limit}");
    }
    assert!(expected
        .iter()
        .all(|c| c.attendees[0].is_self && c.attendees[0].provider_id == ds.owner().id));
    assert!(expected
        .iter()
        .any(|c| c.attendees.iter().any(|a| a.profile_url.is_some())));
    let mut kinds = std::collections::BTreeSet::new();
    let mut events = std::collections::BTreeSet::new();
    for chat in &expected {
        kinds.insert(chat.kind as u8);
        let index = ds.chat_index(&chat.provider_id).unwrap();
        let info = ds.chat_info(index).unwrap();
        let want: Vec<_> = ds
            .message_keys(index)
            .unwrap()
            .iter()
            .map(|k| ds.message(&info, *k))
            .collect();
        for limit in [100, 33] {
            let got =
                all_messages(session.as_ref(), &chat.provider_id, limit, Span::default()).await;
            assert_eq!(got.len(), want.len(), "{} limit {limit}", chat.provider_id);
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(essence(g), essence(w), "{}", chat.provider_id);
            }
            let ids: Vec<i64> = got.iter().map(|m| m.provider_id.parse().unwrap()).collect();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow with time");
            events.extend(got.iter().filter_map(|m| m.event_type.map(|t| t as i64)));
        }
        // Each page names the senders of its messages, once each.
        for page in all_pages(session.as_ref(), &chat.provider_id, 40, Span::default()).await {
            let mut senders: Vec<&str> = Vec::new();
            for m in &page.messages {
                if !senders.contains(&m.sender_id.as_str()) {
                    senders.push(&m.sender_id);
                }
            }
            let want: Vec<ProviderAttendee> = senders
                .iter()
                .map(|s| expected_attendee(&ds, &info, s))
                .collect();
            assert_eq!(page.attendees, want, "{}", chat.provider_id);
        }
    }
    // Group creations, renames, members added, removed and leaving, missed calls.
    for code in [3, 4, 5, 6, 7] {
        assert!(events.contains(&code), "event type {code} in {events:?}");
    }
    assert!(events.contains(&8) || events.contains(&9), "{events:?}");
    assert_eq!(
        kinds.len(),
        3,
        "private chats, groups and channels: {kinds:?}"
    );
}

#[tokio::test]
async fn spans_and_resumed_chunks() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let text = "sandbox:chats=40,messages=60,span_days=30,seed=3";
    let scenario = Scenario::parse(ProviderKind::Telegram, text).unwrap();
    let ds = hub.dataset(ProviderKind::Telegram, &scenario);
    let span = Span {
        after: Some(ANCHOR - 12 * DAY_MS),
        before: Some(ANCHOR - 3 * DAY_MS),
    };

    let session = open(&c, text).await;
    let chats = all_chats(session.as_ref(), 100, span).await;
    let expected: Vec<ProviderChat> = ds
        .chat_list(None)
        .unwrap()
        .iter()
        .take_while(|e| e.last_activity_ms >= span.after.unwrap())
        .filter_map(|e| ds.chat(e.index))
        .map(|c| as_listed(scenario.seed, c))
        .collect();
    assert_eq!(chats, expected);

    // A chunk resumed from a saved cursor, by a new session, continues exactly.
    let first = session
        .chats_page(&ChatPageRequest {
            inbox: None,
            cursor: None,
            span: Span::default(),
            limit: 9,
            known_activity_ms: None,
        })
        .await
        .unwrap();
    drop(session);
    let again = open(&c, text).await;
    let second = again
        .chats_page(&ChatPageRequest {
            inbox: None,
            cursor: first.next_cursor.clone(),
            span: Span::default(),
            limit: 9,
            known_activity_ms: None,
        })
        .await
        .unwrap();
    let all: Vec<_> = ds
        .chat_list(None)
        .unwrap()
        .iter()
        .filter_map(|e| ds.chat(e.index))
        .map(|c| as_listed(scenario.seed, c))
        .collect();
    assert_eq!([first.chats, second.chats].concat(), all[..18].to_vec());

    for chat in &chats {
        let index = ds.chat_index(&chat.provider_id).unwrap();
        let info = ds.chat_info(index).unwrap();
        let want: Vec<_> = ds
            .message_keys(index)
            .unwrap()
            .iter()
            .filter(|k| span.contains(k.timestamp_ms))
            .map(|k| ds.message(&info, *k))
            .collect();
        let got = all_messages(again.as_ref(), &chat.provider_id, 7, span).await;
        assert_eq!(
            got.iter().map(essence).collect::<Vec<_>>(),
            want.iter().map(essence).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn rate_limit_then_recovery() {
    let (_hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let text = "sandbox:chats=3,fault=rate_limited,fault_after=1";
    let session = open(&c, text).await;
    let req = ChatPageRequest {
        inbox: None,
        cursor: None,
        span: Span::default(),
        limit: 10,
        known_activity_ms: None,
    };
    assert!(session.chats_page(&req).await.is_ok());
    assert_eq!(
        session.chats_page(&req).await,
        Err(ProviderError::RateLimited {
            retry_after: Duration::from_secs(1)
        })
    );
    assert_eq!(session.chats_page(&req).await.unwrap().chats.len(), 3);
}

#[tokio::test]
async fn flaky_drops_connections_then_recovers() {
    let (_hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let session = open(&c, "sandbox:chats=4,fault=flaky").await;
    let req = ChatPageRequest {
        inbox: None,
        cursor: None,
        span: Span::default(),
        limit: 10,
        known_activity_ms: None,
    };
    for _ in 0..3 {
        let e = session.chats_page(&req).await.unwrap_err();
        assert!(matches!(e, ProviderError::Transient(_)), "{e:?}");
    }
    assert_eq!(session.chats_page(&req).await.unwrap().chats.len(), 4);
}

#[tokio::test]
async fn lasting_faults_are_typed_errors() {
    let (_hub, sim) = start().await;
    let c = connector(&sim, Duration::from_millis(700));
    let req = ChatPageRequest {
        inbox: None,
        cursor: None,
        span: Span::default(),
        limit: 10,
        known_activity_ms: None,
    };
    for (fault, check) in [
        (
            "expired",
            (|e: &ProviderError| matches!(e, ProviderError::SessionExpired(_)))
                as fn(&ProviderError) -> bool,
        ),
        // The key was used from two places at once: it is dead, like an expired session.
        (
            "auth_key_duplicated",
            |e| matches!(e, ProviderError::SessionExpired(why) if why.contains("AUTH_KEY_DUPLICATED")),
        ),
        ("restricted", |e| matches!(e, ProviderError::Restricted(_))),
        ("down", |e| matches!(e, ProviderError::Unavailable(_))),
        ("timeout", |e| matches!(e, ProviderError::Timeout)),
    ] {
        let session = open(&c, &format!("sandbox:chats=2,fault={fault},fault_after=1")).await;
        assert!(
            session.chats_page(&req).await.is_ok(),
            "{fault}: first request is served"
        );
        for _ in 0..2 {
            let e = session.chats_page(&req).await.unwrap_err();
            assert!(check(&e), "{fault}: {e:?}");
        }
    }
    // Down from the start: the account cannot even be opened.
    let e = c
        .open(&request(AccountId::new(), "sandbox:fault=down"))
        .await
        .err()
        .expect("down");
    assert!(matches!(e, ProviderError::Unavailable(_)), "{e:?}");
}

#[tokio::test]
async fn refused_connections_and_unknown_keys() {
    let (_hub, sim) = start().await;
    let addr = sim.local_addr();
    sim.stop().await;
    let c = SandboxTelegramConnector::new(addr, TelegramConfig::default());
    let e = c
        .open(&request(AccountId::new(), "sandbox"))
        .await
        .err()
        .expect("refused");
    assert!(matches!(e, ProviderError::Unavailable(_)), "{e:?}");

    // A well-formed session whose key no simulator knows: Telegram's -404.
    let (_hub, sim) = start().await;
    let live = msgsync_providers::telegram::TelegramConnector::new(TelegramConfig {
        request_timeout: Duration::from_secs(20),
        ..TelegramConfig::default()
    });
    let unknown = msgsync_providers::telegram::StringSession {
        dc_id: 2,
        addr: sim.local_addr(),
        auth_key: [9; 256],
    };
    let e = live.connect(&unknown).await.expect_err("unknown key");
    assert!(matches!(e, ProviderError::SessionExpired(_)), "{e:?}");
}

#[tokio::test]
async fn check_credentials_parses_the_scenario() {
    let (_hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(5));
    let ok = c
        .check_credentials(&Credentials {
            secret: "sandbox:chats=2".into(),
            user_agent: None,
            ..Default::default()
        })
        .unwrap();
    assert!(ok.provider_user_id.is_some());
    let e = c
        .check_credentials(&Credentials {
            secret: "sandbox:products=classic".into(),
            user_agent: None,
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        e.to_string().contains("invalid sandbox scenario")
            || format!("{e:?}").contains("invalid sandbox scenario"),
        "{e:?}"
    );
}
