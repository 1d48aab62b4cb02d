use std::collections::HashSet;

use msgsync_core::{LinkedinProduct, ProviderKind};
use msgsync_providers::ChatKind;

use super::*;

use LinkedinProduct::{Classic, Recruiter, SalesNavigator};
use ProviderKind::{Linkedin, Telegram};

/// 2026-01-01T00:00:00Z.
const ANCHOR: i64 = 1_767_225_600_000;
const DAY: i64 = 86_400_000;

fn scenario(chats: u32, messages: u32) -> Scenario {
    Scenario {
        chats,
        messages,
        ..Scenario::default()
    }
}

fn dataset(provider: ProviderKind, s: &Scenario) -> Dataset {
    Dataset::new(provider, s, ANCHOR)
}

fn all_messages(ds: &Dataset, chat: u32) -> Vec<ProviderMessage> {
    let info = ds.chat_info(chat).unwrap();
    ds.message_keys(chat)
        .unwrap()
        .iter()
        .map(|k| ds.message(&info, *k))
        .collect()
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    for provider in [Linkedin, Telegram] {
        let s = scenario(12, 9);
        let (a, b) = (dataset(provider, &s), dataset(provider, &s));
        assert_eq!(a.chat_list(None), b.chat_list(None));
        for i in 0..12 {
            assert_eq!(a.chat(i), b.chat(i));
            assert_eq!(all_messages(&a, i), all_messages(&b, i));
        }
        let c = dataset(provider, &Scenario { seed: 2, ..s });
        assert_ne!(a.chat(0), c.chat(0));
        assert_ne!(all_messages(&a, 0), all_messages(&c, 0));
        assert_eq!(account_owner(provider, &scenario(1, 1)), *a.owner());
    }
}

#[test]
fn fewer_chats_or_messages_give_a_subset() {
    for provider in [Linkedin, Telegram] {
        let big = dataset(provider, &scenario(40, 60));
        for (chats, messages) in [(15, 20), (40, 1), (3, 60), (7, 0)] {
            let small = dataset(provider, &scenario(chats, messages));
            for i in 0..chats {
                assert_eq!(small.chat_info(i), big.chat_info(i));
                assert_eq!(small.chat_provider_id(i), big.chat_provider_id(i));
                let small_keys = small.message_keys(i).unwrap();
                let mut expected: Vec<MessageKey> = big
                    .message_keys(i)
                    .unwrap()
                    .iter()
                    .filter(|k| k.index < messages)
                    .copied()
                    .collect();
                expected.sort();
                assert_eq!(&*small_keys, expected.as_slice());
                let info = small.chat_info(i).unwrap();
                for k in small_keys.iter() {
                    assert_eq!(small.message(&info, *k), big.message(&info, *k));
                    assert_eq!(small.message_key(i, k.index), Some(*k));
                }
                // Last activity: the newest message, or the creation time without messages.
                let newest = small_keys.iter().map(|k| k.timestamp_ms).max();
                assert_eq!(
                    small.last_activity_ms(i),
                    Some(newest.unwrap_or(info.created_ms))
                );
            }
        }
    }
}

#[test]
fn timestamps_fall_in_the_span() {
    for (provider, unit) in [(Linkedin, 1), (Telegram, 1000)] {
        for span_days in [1u32, 30, 3650] {
            let s = Scenario {
                span_days,
                ..scenario(30, 40)
            };
            let ds = dataset(provider, &s);
            let start = ANCHOR - i64::from(span_days) * DAY;
            for i in 0..30 {
                for k in ds.message_keys(i).unwrap().iter() {
                    assert!((start..ANCHOR).contains(&k.timestamp_ms), "{k:?}");
                    assert_eq!(k.timestamp_ms % unit, 0);
                }
            }
            let empty = dataset(provider, &Scenario { messages: 0, ..s });
            for i in 0..30 {
                let created = empty.last_activity_ms(i).unwrap();
                assert!((start..ANCHOR).contains(&created));
            }
        }
    }
}

#[test]
fn timestamps_are_spread_over_the_span() {
    let ds = dataset(Linkedin, &scenario(100, 100));
    let mut quarters = [0u32; 4];
    for i in 0..100 {
        for k in ds.message_keys(i).unwrap().iter() {
            quarters[((ANCHOR - k.timestamp_ms) * 4 / (365 * DAY)) as usize] += 1;
        }
    }
    for q in quarters {
        assert!((2250..=2750).contains(&q), "{quarters:?}");
    }
}

#[test]
fn linkedin_inboxes_and_inmail() {
    let s = Scenario {
        products: vec![Classic, Recruiter, SalesNavigator],
        ..scenario(30, 5)
    };
    let ds = dataset(Linkedin, &s);
    assert_eq!(
        ds.inboxes(),
        vec![Some(Classic), Some(Recruiter), Some(SalesNavigator)]
    );
    assert_eq!(ds.chat_list(None), ds.chat_list(Some(Classic)));
    let mut seen = HashSet::new();
    for (n, product) in [Classic, Recruiter, SalesNavigator].into_iter().enumerate() {
        let list = ds.chat_list(Some(product)).unwrap();
        assert_eq!(list.len(), 10);
        for e in list {
            assert!(seen.insert(e.index));
            assert_eq!(e.index as usize % 3, n);
            let chat = ds.chat(e.index).unwrap();
            assert_eq!(chat.inbox, Some(product));
            let (folder, inmail) = match product {
                Classic => ("INBOX", false),
                Recruiter => ("INBOX_LINKEDIN_RECRUITER", true),
                SalesNavigator => ("INBOX_LINKEDIN_SALES_NAVIGATOR", true),
            };
            assert_eq!(chat.folder.as_deref(), Some(folder));
            assert_eq!(chat.content_type.as_deref(), inmail.then_some("inmail"));
            if inmail {
                assert_eq!(chat.kind, ChatKind::Single);
            }
            for m in all_messages(&ds, e.index) {
                assert_eq!(m.subject.is_some(), inmail);
            }
        }
    }
    let classic_only = dataset(Linkedin, &scenario(5, 1));
    assert!(classic_only.chat_list(Some(Recruiter)).is_none());
    assert_eq!(classic_only.chat_list(None).unwrap().len(), 5);
    let recruiter_only = dataset(
        Linkedin,
        &Scenario {
            products: vec![Recruiter],
            ..scenario(5, 1)
        },
    );
    assert!(recruiter_only.chat_list(None).is_none());
}

#[test]
fn linkedin_chat_kinds_and_ids() {
    let ds = dataset(Linkedin, &scenario(300, 0));
    let mut kinds = [0u32; 3];
    for i in 0..300 {
        let info = ds.chat_info(i).unwrap();
        let chat = ds.chat(i).unwrap();
        kinds[info.kind as usize] += 1;
        assert!(chat.provider_id.starts_with("2-") && chat.provider_id.len() >= 42);
        match info.kind {
            ChatKind::Single => {
                let other = chat.attendee_provider_id.unwrap();
                assert!(other.starts_with("ACoAA") && other.len() == 39, "{other}");
                assert_eq!(chat.name.as_ref(), Some(&info.members[0].name));
            }
            ChatKind::Group => {
                assert!((2..=5).contains(&info.members.len()));
                assert!(chat.attendee_provider_id.is_none() && chat.name.is_some());
            }
            ChatKind::Channel => panic!("no channels on LinkedIn"),
        }
    }
    assert!(kinds[0] > 200 && kinds[1] > 20, "{kinds:?}");
    assert!(ds.owner().id.starts_with("ACoAA"));
}

#[test]
fn telegram_chat_kinds_and_ids() {
    let ds = dataset(Telegram, &scenario(400, 0));
    let (mut kinds, mut read_only_channels, mut muted) = ([0u32; 3], 0, 0);
    for i in 0..400 {
        let chat = ds.chat(i).unwrap();
        let id: i64 = chat.provider_id.parse().unwrap();
        kinds[chat.kind as usize] += 1;
        match chat.kind {
            ChatKind::Single => assert!(id > 0 && chat.attendee_provider_id.is_some()),
            ChatKind::Group => assert!(id < 0 && id > -1_000_000_000_000),
            ChatKind::Channel => {
                assert!(chat.provider_id.starts_with("-100") && id < -1_000_000_000_000);
                read_only_channels += u32::from(chat.read_only);
            }
        }
        if let Some(until) = chat.muted_until {
            assert!(until == -1 || until > ANCHOR);
            muted += 1;
        }
        assert!(chat.inbox.is_none() && chat.content_type.is_none());
    }
    assert!(kinds.iter().all(|k| *k > 40), "{kinds:?}");
    assert!(
        read_only_channels * 2 > kinds[2],
        "most channels are read-only"
    );
    assert!(muted > 20);
    let owner: i64 = ds.owner().id.parse().unwrap();
    assert!(owner > 0);
}

#[test]
fn provider_ids_are_unique_and_found_back() {
    for provider in [Linkedin, Telegram] {
        let ds = dataset(provider, &scenario(3000, 0));
        let mut ids = HashSet::new();
        for i in 0..3000 {
            let id = ds.chat_provider_id(i).unwrap();
            assert!(ids.insert(id.to_string()), "duplicate {id}");
            assert_eq!(ds.chat_index(id), Some(i));
        }
        assert_eq!(ds.chat_index("2-nope"), None);
        assert_eq!(ds.chat_index("42"), None);
        assert_eq!(ds.chat(3000), None);
        assert!(ds.message_keys(3000).is_none());
    }
}

#[test]
fn chat_lists_are_sorted_newest_first() {
    for provider in [Linkedin, Telegram] {
        let ds = dataset(
            provider,
            &Scenario {
                span_days: 1,
                ..scenario(500, 2)
            },
        );
        let list = ds.chat_list(None).unwrap();
        assert_eq!(list.len(), 500);
        for w in list.windows(2) {
            let (a, b) = (w[0], w[1]);
            assert!(
                a.last_activity_ms > b.last_activity_ms
                    || (a.last_activity_ms == b.last_activity_ms
                        && ds.chat_provider_id(a.index) < ds.chat_provider_id(b.index))
            );
            assert_eq!(Some(a.last_activity_ms), ds.last_activity_ms(a.index));
        }
    }
}

#[test]
fn messages_have_the_expected_variety() {
    for provider in [Linkedin, Telegram] {
        let ds = dataset(provider, &scenario(60, 80));
        let owner = ds.owner().id.clone();
        let (mut mine, mut unseen, mut edited, mut deleted, mut events) = (0, 0, 0, 0, 0);
        let (mut attachments, mut reactions, mut unread_chats) = (0, 0, 0);
        for i in 0..60 {
            let info = ds.chat_info(i).unwrap();
            let chat = ds.chat(i).unwrap();
            assert!(chat.unread_count >= 0 && chat.unread_count <= 80);
            if chat.unread_count > 0 {
                assert!(chat.last_activity_ms >= ANCHOR - common::UNREAD_WINDOW_MS);
                unread_chats += 1;
            }
            let mut ids = HashSet::new();
            for m in all_messages(&ds, i) {
                assert!(ids.insert(m.provider_id.clone()));
                assert_eq!(
                    m.is_sender,
                    m.sender_id == owner || (info.kind == ChatKind::Channel && m.is_sender)
                );
                serde_json::from_str::<serde_json::Value>(&m.original).unwrap();
                assert!(m.delivered && !m.hidden);
                mine += u32::from(m.is_sender);
                unseen += u32::from(!m.seen);
                edited += u32::from(m.edited);
                events += u32::from(m.is_event);
                if m.deleted {
                    deleted += 1;
                    assert!(m.text.is_none() && m.attachments.is_empty());
                }
                for a in &m.attachments {
                    match provider {
                        // LinkedIn's kinds and what their records tell are checked with the
                        // LinkedIn generator (`linkedin/media.rs`).
                        Linkedin => assert!(["img", "file", "video", "audio", "linkedin_post"]
                            .contains(&a.kind.as_str())),
                        _ => {
                            assert!(["img", "file", "video"].contains(&a.kind.as_str()));
                            assert!(a.mimetype.is_some() && a.file_name.is_some());
                            assert!(a.file_size.is_some_and(|s| s > 0));
                        }
                    }
                    attachments += 1;
                }
                reactions += u32::from(!m.reactions.is_empty());
            }
        }
        let total = 60 * 80;
        assert!(mine > total / 5 && mine < total * 4 / 5, "{mine}");
        assert!(edited > 0 && attachments > 0 && reactions > 0 && unseen > 0);
        assert!(unread_chats > 0);
        match provider {
            Linkedin => assert!(deleted > 0 && events == 0),
            _ => assert!(deleted == 0 && events > 0),
        }
    }
}

#[test]
fn large_scenarios_are_indexed_without_generating_every_message() {
    // 2 000 chats × 100 000 messages: 2·10^8 messages, which a scan could not index in time.
    let started = std::time::Instant::now();
    let ds = dataset(Telegram, &scenario(2000, 100_000));
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(ds.chat_list(None).unwrap().len(), 2000);
    let keys = ds.message_keys(7).unwrap();
    assert_eq!(keys.len(), 100_000);
    assert_eq!(keys.last().map(|k| k.timestamp_ms), ds.last_activity_ms(7));
    // The cache hands back the same keys.
    assert!(Arc::ptr_eq(&keys, &ds.message_keys(7).unwrap()));
}

#[test]
fn a_wire_message_is_the_message_without_its_original_and_with_its_telegram_details() {
    for provider in [Linkedin, Telegram] {
        let ds = dataset(provider, &scenario(30, 40));
        let (mut actions, mut edits) = (0, 0);
        for i in 0..30 {
            let info = ds.chat_info(i).unwrap();
            for key in ds.message_keys(i).unwrap().iter() {
                let full = ds.message(&info, *key);
                let wire = ds.wire_message(&info, *key);
                assert!(wire.message.original.is_empty());
                assert_eq!(
                    ProviderMessage {
                        original: String::new(),
                        ..full.clone()
                    },
                    wire.message
                );
                // What the simulator takes from the wire details is what `original` says.
                let original: serde_json::Value = serde_json::from_str(&full.original).unwrap();
                assert_eq!(
                    wire.service_action,
                    original["action"]["_"].as_str(),
                    "{original}"
                );
                assert_eq!(wire.edit_date, original["edit_date"].as_i64(), "{original}");
                actions += usize::from(wire.service_action.is_some());
                edits += usize::from(wire.edit_date.is_some());
            }
        }
        if provider == Telegram {
            assert!(actions > 0 && edits > 0, "{actions} actions, {edits} edits");
        }
    }
}
