use std::collections::HashSet;

use msgsync_core::{ErrorKind, Span};
use msgsync_providers::{ChatPageRequest, MessagePageRequest, ProviderChat, ProviderMessage};

use super::*;

mod faults;

use LinkedinProduct::{Classic, Recruiter, SalesNavigator};
use ProviderKind::{Linkedin, Telegram};

/// 2026-01-01T00:00:00Z.
pub(super) const ANCHOR: i64 = 1_767_225_600_000;

pub(super) fn hub() -> SandboxHub {
    SandboxHub::with_anchor(ANCHOR)
}

pub(super) fn connector(hub: &SandboxHub, provider: ProviderKind) -> Arc<dyn Connector> {
    hub.connectors()
        .into_iter()
        .find(|c| c.provider() == provider)
        .unwrap()
}

pub(super) fn credentials(secret: &str) -> Credentials {
    Credentials {
        secret: secret.to_string(),
        user_agent: None,
        ..Default::default()
    }
}

pub(super) async fn open(
    hub: &SandboxHub,
    provider: ProviderKind,
    account_id: AccountId,
    secret: &str,
) -> Box<dyn ProviderSession> {
    let request = ConnectRequest {
        account_id,
        provider,
        credentials: credentials(secret),
    };
    connector(hub, provider).open(&request).await.unwrap()
}

pub(super) fn chats_request(inbox: Option<LinkedinProduct>, limit: u32) -> ChatPageRequest {
    ChatPageRequest {
        inbox,
        cursor: None,
        span: Span::default(),
        limit,
        known_activity_ms: None,
    }
}

pub(super) fn messages_request(chat: &str, span: Span, limit: u32) -> MessagePageRequest {
    MessagePageRequest {
        inbox: None,
        chat_provider_id: chat.to_string(),
        chat_provider_ref: None,
        cursor: None,
        span,
        limit,
    }
}

/// Every page of chats, checking each page's size and order on the way.
async fn walk_chats(
    session: &dyn ProviderSession,
    mut request: ChatPageRequest,
    cap: usize,
) -> Vec<ProviderChat> {
    let mut all: Vec<ProviderChat> = Vec::new();
    loop {
        let page = session.chats_page(&request).await.unwrap();
        assert!(page.chats.len() <= cap.min(request.limit.max(1) as usize));
        assert!(!page.chats.is_empty() || page.next_cursor.is_none());
        all.extend(page.chats);
        match page.next_cursor {
            Some(cursor) => request.cursor = Some(cursor),
            None => return all,
        }
        assert!(all.len() < 100_000, "the walk does not end");
    }
}

/// Every page of a chat's messages, newest page first; returned oldest first.
async fn walk_messages(
    session: &dyn ProviderSession,
    mut request: MessagePageRequest,
) -> Vec<ProviderMessage> {
    let mut pages: Vec<Vec<ProviderMessage>> = Vec::new();
    loop {
        let page = session.messages_page(&request).await.unwrap();
        assert!(page.messages.len() <= request.limit.clamp(1, 100) as usize);
        assert!(page
            .messages
            .windows(2)
            .all(|w| w[0].timestamp_ms <= w[1].timestamp_ms));
        if let (Some(newest), Some(previous)) = (page.messages.last(), pages.last()) {
            assert!(newest.timestamp_ms <= previous[0].timestamp_ms);
        }
        pages.push(page.messages);
        match page.next_cursor {
            Some(cursor) => request.cursor = Some(cursor),
            None => return pages.into_iter().rev().flatten().collect(),
        }
        assert!(pages.len() < 100_000, "the walk does not end");
    }
}

#[test]
fn check_credentials_reads_the_scenario() {
    let hub = hub();
    let li = connector(&hub, Linkedin)
        .check_credentials(&credentials("sandbox:products=recruiter+classic"))
        .unwrap();
    assert_eq!(li.linkedin_products, Some(vec![Classic, Recruiter]));
    assert!(li.name.contains(' '));
    assert!(li.provider_user_id.unwrap().starts_with("ACoAA"));
    let tg = connector(&hub, Telegram)
        .check_credentials(&credentials("sandbox"))
        .unwrap();
    assert_eq!(tg.linkedin_products, None);
    assert!(tg.provider_user_id.unwrap().parse::<u64>().is_ok());

    let e = connector(&hub, Telegram)
        .check_credentials(&credentials("sandbox:products=classic"))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidParameters);
    assert!(e.detail.starts_with("invalid sandbox scenario: "), "{e}");
    assert!(e.detail.contains("`products`"), "{e}");
    let e = connector(&hub, Linkedin)
        .check_credentials(&credentials("sandbox:chats=lots"))
        .unwrap_err();
    assert!(
        e.detail.contains("`chats`") && e.detail.contains("`lots`"),
        "{e}"
    );
}

#[tokio::test]
async fn open_refuses_a_bad_scenario_as_an_expired_session() {
    let request = ConnectRequest {
        account_id: AccountId::new(),
        provider: Telegram,
        credentials: credentials("sandbox:fault=sometimes"),
    };
    match connector(&hub(), Telegram).open(&request).await {
        Err(ProviderError::SessionExpired(why)) => assert!(why.contains("`sometimes`")),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("opened"),
    }
}

#[test]
fn the_default_anchor_is_the_start_of_the_utc_day() {
    let now = msgsync_core::time::now_ms();
    let anchor = SandboxHub::new().anchor_ms();
    assert_eq!(anchor % DAY_MS, 0);
    assert!(anchor <= now && now - anchor < DAY_MS + 1000);
}

#[test]
fn data_sets_are_cached_per_scenario_and_bounded() {
    let hub = hub();
    let a = hub.dataset(
        Telegram,
        &Scenario::parse(Telegram, "sandbox:chats=3").unwrap(),
    );
    let same = Scenario::parse(Telegram, "sandbox:chats=3,fault=down,latency_ms=5").unwrap();
    assert!(Arc::ptr_eq(&a, &hub.dataset(Telegram, &same)));
    let other = Scenario::parse(Telegram, "sandbox:chats=3,seed=2").unwrap();
    assert!(!Arc::ptr_eq(&a, &hub.dataset(Telegram, &other)));
    for seed in 0..40 {
        let s = Scenario {
            seed,
            chats: 2,
            ..Scenario::default()
        };
        hub.dataset(Linkedin, &s);
    }
    assert_eq!(hub.lock_datasets().entries.len(), MAX_CACHED_DATASETS);
}

#[tokio::test]
async fn chat_pages_cover_each_inbox_exactly() {
    let hub = hub();
    let secret =
        "sandbox:chats=130,messages=3,span_days=30,products=classic+recruiter+sales_navigator";
    let session = open(&hub, Linkedin, AccountId::new(), secret).await;
    let ds = hub.dataset(Linkedin, &Scenario::parse(Linkedin, secret).unwrap());
    let mut everything = HashSet::new();
    for inbox in [Some(Classic), Some(Recruiter), Some(SalesNavigator)] {
        let expected: Vec<ProviderChat> = ds
            .chat_list(inbox)
            .unwrap()
            .iter()
            .map(|e| ds.chat(e.index).unwrap())
            .collect();
        for limit in [0, 1, 7, 25, 100, 1000] {
            let walked = walk_chats(&*session, chats_request(inbox, limit), 25).await;
            assert_eq!(walked, expected, "inbox {inbox:?}, limit {limit}");
        }
        everything.extend(expected.into_iter().map(|c| c.provider_id));
    }
    assert_eq!(everything.len(), 130);
    let classic = walk_chats(&*session, chats_request(None, 25), 25).await;
    assert_eq!(classic.len(), 44);
    assert!(classic.iter().all(|c| c.inbox == Some(Classic)));
}

#[tokio::test]
async fn chat_pages_stop_at_the_span_start() {
    let hub = hub();
    let secret = "sandbox:chats=300,messages=2,span_days=10";
    let session = open(&hub, Telegram, AccountId::new(), secret).await;
    let ds = hub.dataset(Telegram, &Scenario::parse(Telegram, secret).unwrap());
    let list = ds.chat_list(None).unwrap();
    let middle = list[150].last_activity_ms;
    for after in [None, Some(middle), Some(ANCHOR - 20 * DAY_MS), Some(ANCHOR)] {
        let expected: Vec<String> = list
            .iter()
            .filter(|e| after.is_none_or(|a| e.last_activity_ms >= a))
            .map(|e| ds.chat_provider_id(e.index).unwrap().to_string())
            .collect();
        for limit in [1, 13, 100, 500] {
            let mut request = chats_request(None, limit);
            request.span = Span {
                after,
                before: Some(ANCHOR - 5 * DAY_MS),
            };
            let walked = walk_chats(&*session, request, 100).await;
            let ids: Vec<String> = walked.into_iter().map(|c| c.provider_id).collect();
            assert_eq!(ids, expected, "after {after:?}, limit {limit}");
        }
    }
}

#[tokio::test]
async fn message_pages_cover_the_span_exactly() {
    let hub = hub();
    for provider in [Linkedin, Telegram] {
        let secret = "sandbox:chats=4,messages=230,span_days=20";
        let session = open(&hub, provider, AccountId::new(), secret).await;
        let ds = hub.dataset(provider, &Scenario::parse(provider, secret).unwrap());
        let day = |d: i64| Some(ANCHOR - d * DAY_MS);
        let spans = [
            (None, None),
            (day(10), None),
            (None, day(10)),
            (day(15), day(3)),
            (day(15), day(15)),
            (Some(ANCHOR), None),
        ];
        for chat in 0..4 {
            let id = ds.chat_provider_id(chat).unwrap().to_string();
            let info = ds.chat_info(chat).unwrap();
            for (after, before) in spans {
                let span = Span { after, before };
                let expected: Vec<ProviderMessage> = ds
                    .message_keys(chat)
                    .unwrap()
                    .iter()
                    .filter(|k| span.contains(k.timestamp_ms))
                    .map(|k| ds.message(&info, *k))
                    .collect();
                for limit in [1, 9, 100, 1000] {
                    let walked = walk_messages(&*session, messages_request(&id, span, limit)).await;
                    assert_eq!(
                        walked, expected,
                        "{provider} chat {chat} {span:?} limit {limit}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn first_message_page_is_the_newest() {
    let hub = hub();
    let session = open(
        &hub,
        Telegram,
        AccountId::new(),
        "sandbox:chats=1,messages=50",
    )
    .await;
    let ds = hub.dataset(
        Telegram,
        &Scenario::parse(Telegram, "sandbox:chats=1,messages=50").unwrap(),
    );
    let id = ds.chat_provider_id(0).unwrap();
    let page = session
        .messages_page(&messages_request(id, Span::default(), 10))
        .await
        .unwrap();
    let keys = ds.message_keys(0).unwrap();
    let newest: Vec<String> = keys[40..]
        .iter()
        .map(|k| (k.index + 1).to_string())
        .collect();
    let served: Vec<String> = page.messages.into_iter().map(|m| m.provider_id).collect();
    assert_eq!(served, newest);
    assert!(page.next_cursor.is_some());
}

fn protocol<T>(r: Result<T, ProviderError>) -> bool {
    matches!(r, Err(ProviderError::Protocol(_)))
}

fn unsupported<T>(r: Result<T, ProviderError>) -> bool {
    matches!(r, Err(ProviderError::NotSupported(_)))
}

#[tokio::test]
async fn bad_requests_get_typed_errors() {
    let hub = hub();
    let li = open(&hub, Linkedin, AccountId::new(), "sandbox:chats=5").await;
    let tg = open(&hub, Telegram, AccountId::new(), "sandbox:chats=5").await;

    for cursor in ["", "garbage", "12:", "x:2-abc"] {
        let mut request = chats_request(None, 10);
        request.cursor = Some(cursor.to_string());
        assert!(protocol(li.chats_page(&request).await), "{cursor}");
    }
    assert!(unsupported(
        li.chats_page(&chats_request(Some(Recruiter), 10)).await
    ));
    assert!(unsupported(
        tg.chats_page(&chats_request(Some(Classic), 10)).await
    ));

    let chat = li.chats_page(&chats_request(None, 1)).await.unwrap().chats[0]
        .provider_id
        .clone();
    let mut request = messages_request(&chat, Span::default(), 10);
    for cursor in ["", "5", "5:x", "a:1", "1:-1"] {
        request.cursor = Some(cursor.to_string());
        assert!(protocol(li.messages_page(&request).await), "{cursor}");
    }
    request.cursor = None;
    request.inbox = Some(Classic);
    assert!(li.messages_page(&request).await.is_ok());
    request.inbox = Some(SalesNavigator);
    assert!(unsupported(li.messages_page(&request).await));
    assert!(unsupported(
        li.messages_page(&messages_request("2-unknown", Span::default(), 10))
            .await
    ));
    assert!(unsupported(
        tg.messages_page(&messages_request(&chat, Span::default(), 10))
            .await
    ));
}
