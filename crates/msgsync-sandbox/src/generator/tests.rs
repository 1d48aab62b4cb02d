use std::collections::{BTreeMap, HashSet};

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
                        // What the SDK requires of each kind (Telegram photos have no name).
                        _ => {
                            match a.kind.as_str() {
                                "img" => assert!(a.size.is_some(), "{a:?}"),
                                "video" => assert!(a.size.is_some() && a.duration.is_some()),
                                "audio" => assert!(a.duration.is_some(), "{a:?}"),
                                "file" => assert!(a.file_name.is_some(), "{a:?}"),
                                other => panic!("attachment kind {other}"),
                            }
                            assert!(a.mimetype.is_some());
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
    // 2 000 chats × 100 000 messages: 2·10^8 messages, which a scan could not index. (How
    // fast this is belongs to the benchmarks, not to a test.)
    let ds = dataset(Telegram, &scenario(2000, 100_000));
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

#[test]
fn telegram_media_has_every_kind_with_realistic_sizes() {
    let ds = dataset(Telegram, &scenario(120, 200));
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut smallest, mut largest) = (i64::MAX, 0);
    for i in 0..120 {
        for m in all_messages(&ds, i) {
            for a in &m.attachments {
                let kind = match (a.kind.as_str(), a.sticker, a.gif, a.voice_note) {
                    ("img", true, _, _) => "sticker",
                    ("img", false, _, _) => "photo",
                    ("video", _, true, _) => "gif",
                    ("video", _, false, _) => "video",
                    ("audio", _, _, true) => "voice",
                    ("audio", _, _, false) => "music",
                    _ => "document",
                };
                *kinds.entry(kind).or_default() += 1;
                let size = a.file_size.unwrap();
                (smallest, largest) = (smallest.min(size), largest.max(size));
                assert!(a.id.parse::<i64>().is_ok_and(|id| id > 0), "{a:?}");
                match kind {
                    "photo" => {
                        assert_eq!(a.mimetype.as_deref(), Some("image/jpeg"));
                        assert!(a.file_name.is_none());
                        let s = a.size.unwrap();
                        assert!([1280, 2560].contains(&s.width.max(s.height)), "{s:?}");
                    }
                    "sticker" => {
                        assert_eq!(a.mimetype.as_deref(), Some("image/webp"));
                        assert_eq!(a.size.map(|s| s.width.max(s.height)), Some(512));
                        assert!(m.text.is_none());
                    }
                    "gif" | "video" => {
                        assert_eq!(a.mimetype.as_deref(), Some("video/mp4"));
                        assert!(a.duration.unwrap() > 0);
                    }
                    "voice" => {
                        assert_eq!(a.mimetype.as_deref(), Some("audio/ogg"));
                        assert!(a.file_name.is_none() && m.text.is_none());
                    }
                    "music" => {
                        assert_eq!(a.mimetype.as_deref(), Some("audio/mpeg"));
                        assert!(a.file_name.as_deref().unwrap().ends_with(".mp3"));
                    }
                    _ => assert!(a.file_name.is_some() && a.size.is_none()),
                }
            }
        }
    }
    let all = [
        "photo", "sticker", "video", "gif", "music", "voice", "document",
    ];
    for kind in all {
        assert!(kinds.contains_key(kind), "no {kind} in {kinds:?}");
    }
    // Tens of KB to tens of MB, a file of 20 MB or more among them.
    assert!(
        smallest < 64 * 1024 && largest >= 20 * 1024 * 1024,
        "{smallest}..{largest}"
    );
}

#[test]
fn telegram_service_messages_carry_their_event_types() {
    let ds = dataset(Telegram, &scenario(150, 120));
    let mut seen: HashSet<i64> = HashSet::new();
    for i in 0..150 {
        let info = ds.chat_info(i).unwrap();
        let keys = ds.message_keys(i).unwrap();
        let creations = keys
            .iter()
            .filter(|k| {
                matches!(
                    ds.telegram_action(&info, **k),
                    Some(TelegramAction::ChatCreate { .. })
                )
            })
            .count();
        let expected = usize::from(info.kind == ChatKind::Group);
        assert_eq!(creations, expected, "each group is created once");
        for k in keys.iter() {
            let m = ds.message(&info, *k);
            let action = ds.telegram_action(&info, *k);
            assert_eq!(m.is_event, action.is_some());
            assert_eq!(m.is_event, m.event_type.is_some());
            if let Some(t) = m.event_type {
                seen.insert(t as i64);
            }
            if info.kind == ChatKind::Channel {
                assert!(!m.is_event);
            }
        }
    }
    // Create, subject, add, remove, leave, missed voice and video calls, and Unknown.
    for code in [0, 3, 4, 5, 6, 7, 8, 9] {
        assert!(seen.contains(&code), "event type {code} in {seen:?}");
    }
}

#[test]
fn telegram_usernames_are_valid_unique_and_linked() {
    let ds = dataset(Telegram, &scenario(300, 0));
    let mut names = HashSet::new();
    let (mut with, mut without) = (0, 0);
    for i in 0..300 {
        let chat = ds.chat(i).unwrap();
        let info = ds.chat_info(i).unwrap();
        for (person, attendee) in std::iter::once(ds.owner())
            .chain(&info.members)
            .zip(&chat.attendees)
        {
            assert_eq!(person.id, attendee.provider_id);
            let username = telegram_username(person);
            assert_eq!(
                attendee.profile_url,
                username.as_ref().map(|u| format!("https://t.me/{u}"))
            );
            match username {
                Some(u) => {
                    with += 1;
                    assert!((5..=32).contains(&u.len()), "{u}");
                    assert!(u.starts_with(|c: char| c.is_ascii_lowercase()), "{u}");
                    assert!(u
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
                    if person.id != ds.owner().id {
                        names.insert((u, person.id.clone()));
                    }
                }
                None => without += 1,
            }
        }
    }
    let distinct: HashSet<&String> = names.iter().map(|(u, _)| u).collect();
    let people: HashSet<&String> = names.iter().map(|(_, p)| p).collect();
    assert_eq!(distinct.len(), people.len(), "one username per person");
    assert!(
        with > without && without > 0,
        "{with} with, {without} without"
    );
}
