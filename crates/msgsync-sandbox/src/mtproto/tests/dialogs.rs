//! Pinned dialogs, and chats reached across sessions from their stored peer.

use std::collections::BTreeSet;
use std::time::Duration;

use grammers_tl_types::{enums, functions, types, Cursor, Deserializable, Serializable};
use msgsync_core::{AccountId, ProviderKind, Span};
use msgsync_providers::{
    ChatPageRequest, Connector, MessagePageRequest, ProviderChat, ProviderSession,
};

use super::super::keys::{self, register_key, sandbox_auth_key};
use super::super::rpc::{dispatch, Answer};
use super::super::{Account, Shared};
use super::{as_listed, connector, essence, request, start, ANCHOR, DAY_MS};
use crate::generator::Dataset;
use crate::scenario::Scenario;
use crate::SandboxHub;

/// Every page of a walk of the chats, each page checked: at most `limit` chats, newest first.
async fn pages(s: &dyn ProviderSession, limit: u32, span: Span) -> Vec<Vec<ProviderChat>> {
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
        assert!(page.chats.len() <= limit as usize, "a page of {limit}");
        assert!(
            page.chats
                .windows(2)
                .all(|w| w[0].last_activity_ms >= w[1].last_activity_ms),
            "a page is newest first"
        );
        out.push(page.chats);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

fn ids(chats: &[ProviderChat]) -> Vec<String> {
    chats.iter().map(|c| c.provider_id.clone()).collect()
}

/// The account's chats as listed, newest first, and the ids of its pinned ones.
fn expected(ds: &Dataset, scenario: &Scenario) -> (Vec<ProviderChat>, Vec<String>) {
    let list = ds.chat_list(None).unwrap();
    let chats: Vec<ProviderChat> = list
        .iter()
        .filter_map(|e| ds.chat(e.index))
        .map(|c| as_listed(scenario.seed, c))
        .collect();
    let pinned = ids(&chats[chats.len() - scenario.pinned as usize..]);
    (chats, pinned)
}

#[tokio::test]
async fn pinned_dialogs_are_listed_once_each_whatever_the_page_size() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let text = "sandbox:chats=25,messages=8,pinned=3,seed=4";
    let scenario = Scenario::parse(ProviderKind::Telegram, text).unwrap();
    let ds = hub.dataset(ProviderKind::Telegram, &scenario);
    let (all, pinned) = expected(&ds, &scenario);
    let account = AccountId::new();
    let session = c.open(&request(account, text)).await.unwrap();
    let dialogs_asked = || {
        sim.requests(&scenario, &account.to_string())
            .get("messages.getDialogs")
            .copied()
            .unwrap_or(0)
    };
    for limit in [1, 2, 7, 100] {
        let before = dialogs_asked();
        let pages = pages(session.as_ref(), limit, Span::default()).await;
        if limit == 1 {
            // One request per chat, and one that finds the end: after the first answer the
            // pinned dialogs are excluded, not sent again with every page.
            assert_eq!(dialogs_asked() - before, all.len() as u64 + 1);
        }
        let got: Vec<ProviderChat> = pages.concat();
        let unique: BTreeSet<&str> = got.iter().map(|c| c.provider_id.as_str()).collect();
        assert_eq!(unique.len(), got.len(), "limit {limit}: no chat twice");
        let mut got_sorted = got.clone();
        got_sorted.sort_by(|a, b| a.provider_id.cmp(&b.provider_id));
        let mut want = all.clone();
        want.sort_by(|a, b| a.provider_id.cmp(&b.provider_id));
        assert_eq!(got_sorted, want, "limit {limit}: every chat, as listed");
        // Telegram lists pinned dialogs first: they come with the first chats handed out.
        let head: Vec<String> = ids(&got[..(pinned.len() + limit as usize - 1).min(got.len())]);
        assert!(
            pinned.iter().all(|p| head.contains(p)),
            "limit {limit}: {pinned:?} early in {:?}",
            ids(&got)
        );
    }
    // A walk resumed by another session from a cursor inside the first answer goes on.
    let first = session
        .chats_page(&ChatPageRequest {
            inbox: None,
            cursor: None,
            span: Span::default(),
            limit: 2,
            known_activity_ms: None,
        })
        .await
        .unwrap();
    let again = super::open(&c, text).await;
    let mut got = first.chats;
    let mut cursor = first.next_cursor;
    while let Some(next) = cursor {
        let page = again
            .chats_page(&ChatPageRequest {
                inbox: None,
                cursor: Some(next),
                span: Span::default(),
                limit: 2,
                known_activity_ms: None,
            })
            .await
            .unwrap();
        got.extend(page.chats);
        cursor = page.next_cursor;
    }
    let mut got = ids(&got);
    got.sort();
    let mut want = ids(&all);
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn a_span_sync_with_an_old_pinned_chat_finds_the_chats_of_the_span() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let text = "sandbox:chats=30,messages=3,pinned=2,seed=5";
    let scenario = Scenario::parse(ProviderKind::Telegram, text).unwrap();
    let ds = hub.dataset(ProviderKind::Telegram, &scenario);
    let (all, pinned) = expected(&ds, &scenario);
    let span = Span {
        after: Some(ANCHOR - 90 * DAY_MS),
        before: None,
    };
    let in_span: Vec<ProviderChat> = all
        .iter()
        .filter(|c| c.last_activity_ms >= span.after.unwrap())
        .cloned()
        .collect();
    // The case at hand: the pinned chats are older than the span, others are in it.
    let days: Vec<i64> = all
        .iter()
        .map(|c| (ANCHOR - c.last_activity_ms) / DAY_MS)
        .collect();
    assert!(
        all.iter()
            .filter(|c| pinned.contains(&c.provider_id))
            .all(|c| c.last_activity_ms < span.after.unwrap()),
        "last activities, in days ago: {days:?}"
    );
    assert!(in_span.len() >= 5, "last activities, in days ago: {days:?}");
    let session = super::open(&c, text).await;
    for limit in [1, 3, 100] {
        let got = pages(session.as_ref(), limit, span).await.concat();
        assert_eq!(got, in_span, "limit {limit}");
    }
}

/// An account served straight by the simulator's dispatch, without a connection.
async fn account(hub: SandboxHub, scenario: &Scenario) -> Account {
    let key = sandbox_auth_key(scenario, "dialogs");
    assert!(register_key(&key));
    let key_id = keys::key_id(&key);
    let shared = Shared {
        hub,
        local_addr: "127.0.0.1:1".parse().unwrap(),
        counters: Default::default(),
        file_clocks: Default::default(),
        calls: Default::default(),
    };
    shared.account(key_id, keys::lookup(&key_id).unwrap()).await
}

fn get_dialogs(acct: &Account, q: functions::messages::GetDialogs) -> (Vec<types::Dialog>, bool) {
    let Answer::Result(bytes) = dispatch(acct, &q.to_bytes(), 0) else {
        panic!("getDialogs failed");
    };
    let answer = enums::messages::Dialogs::deserialize(&mut Cursor::from_slice(&bytes)).unwrap();
    let (dialogs, complete) = match answer {
        enums::messages::Dialogs::Dialogs(d) => (d.dialogs, true),
        enums::messages::Dialogs::Slice(d) => (d.dialogs, false),
        enums::messages::Dialogs::NotModified(_) => (vec![], true),
    };
    let dialogs = dialogs
        .into_iter()
        .map(|d| match d {
            enums::Dialog::Dialog(d) => d,
            other => panic!("not a chat's dialog: {other:?}"),
        })
        .collect();
    (dialogs, complete)
}

#[tokio::test]
async fn the_simulator_lists_pinned_dialogs_first_and_on_every_page_that_does_not_exclude_them() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let scenario = Scenario::parse(ProviderKind::Telegram, "sandbox:chats=12,pinned=3").unwrap();
    let ds = hub.dataset(ProviderKind::Telegram, &scenario);
    let acct = account(hub.clone(), &scenario).await;
    let (all, pinned) = expected(&ds, &scenario);
    let ask = |exclude_pinned, offset_peer, limit| functions::messages::GetDialogs {
        exclude_pinned,
        folder_id: None,
        offset_date: 0,
        offset_id: 0,
        offset_peer,
        limit,
        hash: 0,
    };
    let peer_of = |d: &types::Dialog| match &d.peer {
        enums::Peer::User(p) => p.user_id.to_string(),
        enums::Peer::Chat(p) => format!("-{}", p.chat_id),
        enums::Peer::Channel(p) => format!("-100{}", p.channel_id),
    };

    // The first page: the pinned dialogs, flagged, then `limit` others newest first.
    let (first, complete) = get_dialogs(&acct, ask(false, enums::InputPeer::Empty, 4));
    assert!(!complete);
    let got: Vec<String> = first.iter().map(peer_of).collect();
    let mut want = pinned.clone();
    want.extend(ids(&all[..4]));
    assert_eq!(got, want);
    assert_eq!(
        first.iter().map(|d| d.pinned).collect::<Vec<_>>(),
        [vec![true; 3], vec![false; 4]].concat()
    );

    // The next page from the last dialog: the pinned ones again unless excluded.
    let last = all[3].provider_id.clone();
    let offset = match super::super::tl::peer_of(all[3].kind, &last) {
        enums::Peer::User(p) => enums::InputPeer::User(types::InputPeerUser {
            user_id: p.user_id,
            access_hash: super::super::tl::access_hash(scenario.seed, p.user_id),
        }),
        enums::Peer::Chat(p) => enums::InputPeer::Chat(types::InputPeerChat { chat_id: p.chat_id }),
        enums::Peer::Channel(p) => enums::InputPeer::Channel(types::InputPeerChannel {
            channel_id: p.channel_id,
            access_hash: super::super::tl::access_hash(scenario.seed, p.channel_id),
        }),
    };
    let (again, _) = get_dialogs(&acct, ask(false, offset.clone(), 4));
    let mut want = pinned.clone();
    want.extend(ids(&all[4..8]));
    assert_eq!(again.iter().map(peer_of).collect::<Vec<_>>(), want);
    let (excluded, _) = get_dialogs(&acct, ask(true, offset, 4));
    assert_eq!(
        excluded.iter().map(peer_of).collect::<Vec<_>>(),
        ids(&all[4..8])
    );

    // The whole list in one answer: complete, each dialog once.
    let (whole, complete) = get_dialogs(&acct, ask(false, enums::InputPeer::Empty, 100));
    assert!(complete);
    assert_eq!(whole.len(), all.len());
}

#[tokio::test]
async fn a_chat_is_read_again_from_its_stored_peer_without_listing_the_dialogs() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let text = "sandbox:chats=30,messages=12,seed=6";
    let scenario = Scenario::parse(ProviderKind::Telegram, text).unwrap();
    let ds = hub.dataset(ProviderKind::Telegram, &scenario);
    let account = AccountId::new();
    let nonce = account.to_string();
    let dialogs_asked = || {
        sim.requests(&scenario, &nonce)
            .get("messages.getDialogs")
            .copied()
            .unwrap_or(0)
    };

    // One sync lists the chats: their peers come with them.
    let listed = {
        let session = c.open(&request(account, text)).await.unwrap();
        pages(session.as_ref(), 100, Span::default()).await.concat()
    };
    assert!(listed.iter().all(|c| c.provider_ref.is_some()));
    let listings = dialogs_asked();
    assert_eq!(listings, 1);

    // Another session reads the oldest chat of each kind from its stored peer alone.
    let session = c.open(&request(account, text)).await.unwrap();
    let mut kinds = BTreeSet::new();
    for chat in listed.iter().rev() {
        if !kinds.insert(chat.kind as u8) {
            continue;
        }
        let page = session
            .messages_page(&MessagePageRequest {
                inbox: None,
                chat_provider_id: chat.provider_id.clone(),
                chat_provider_ref: chat.provider_ref.clone(),
                cursor: None,
                span: Span::default(),
                limit: 100,
            })
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", chat.provider_id));
        let index = ds.chat_index(&chat.provider_id).unwrap();
        let info = ds.chat_info(index).unwrap();
        let want: Vec<_> = ds
            .message_keys(index)
            .unwrap()
            .iter()
            .map(|k| ds.message(&info, *k))
            .collect();
        assert_eq!(
            page.messages.iter().map(essence).collect::<Vec<_>>(),
            want.iter().map(essence).collect::<Vec<_>>(),
            "{}",
            chat.provider_id
        );
    }
    assert_eq!(kinds.len(), 3, "private chats, groups and channels");
    assert_eq!(dialogs_asked(), listings, "no getDialogs to find a chat");

    // Without its peer, a channel is looked for in the dialogs: that is what the peer saves.
    let channel = listed
        .iter()
        .find(|c| c.kind == msgsync_providers::ChatKind::Channel)
        .unwrap();
    let fresh = c.open(&request(account, text)).await.unwrap();
    fresh
        .messages_page(&MessagePageRequest {
            inbox: None,
            chat_provider_id: channel.provider_id.clone(),
            chat_provider_ref: None,
            cursor: None,
            span: Span::default(),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(dialogs_asked(), listings + 1);

    // A peer stored with another chat is not used for this one.
    let other = listed
        .iter()
        .find(|c| c.provider_id != channel.provider_id)
        .unwrap();
    let e = c
        .open(&request(AccountId::new(), text))
        .await
        .unwrap()
        .messages_page(&MessagePageRequest {
            inbox: None,
            chat_provider_id: "-100999999999".into(),
            chat_provider_ref: other.provider_ref.clone(),
            cursor: None,
            span: Span::default(),
            limit: 10,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(e, msgsync_providers::ProviderError::NotSupported(_)),
        "{e:?}"
    );
}
