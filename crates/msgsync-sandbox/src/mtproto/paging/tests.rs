use super::*;

/// Ten messages, ids 10, 20, …, 100, dates 1000, 1100, …, 1900 (oldest first).
fn items() -> Vec<(i32, i32)> {
    (1..=10).map(|i| (i * 10, 900 + i * 100)).collect()
}

/// The ids a query returns, newest first as Telegram answers.
fn ids(q: HistoryQuery) -> Vec<i32> {
    let items = items();
    history_window(&items, &q)
        .rev()
        .map(|i| items[i].0)
        .collect()
}

fn q(
    offset_id: i32,
    offset_date: i32,
    add_offset: i32,
    limit: i32,
    max_id: i32,
    min_id: i32,
) -> HistoryQuery {
    HistoryQuery {
        offset_id,
        offset_date,
        add_offset,
        limit,
        max_id,
        min_id,
    }
}

#[test]
fn history_offsets_follow_telegrams_rules() {
    // (offset_id, offset_date, add_offset, limit, max_id, min_id) → ids, newest first.
    let cases: &[(HistoryQuery, &[i32])] = &[
        // From the newest.
        (q(0, 0, 0, 3, 0, 0), &[100, 90, 80]),
        (
            q(0, 0, 0, 100, 0, 0),
            &[100, 90, 80, 70, 60, 50, 40, 30, 20, 10],
        ),
        // offset_id is exclusive: strictly older messages.
        (q(70, 0, 0, 3, 0, 0), &[60, 50, 40]),
        (q(65, 0, 0, 2, 0, 0), &[60, 50]),
        (q(10, 0, 0, 5, 0, 0), &[]),
        (q(1000, 0, 0, 2, 0, 0), &[100, 90]),
        // add_offset skips forward (older), or back (newer) when negative.
        (q(70, 0, 2, 2, 0, 0), &[40, 30]),
        (q(70, 0, -1, 3, 0, 0), &[70, 60, 50]),
        (q(70, 0, -2, 4, 0, 0), &[80, 70, 60, 50]),
        (q(90, 0, -5, 3, 0, 0), &[]),
        (q(0, 0, 8, 5, 0, 0), &[20, 10]),
        // offset_date is exclusive: messages sent before it; offset_id wins when both are set.
        (q(0, 1500, 0, 2, 0, 0), &[50, 40]),
        (q(0, 1450, 0, 2, 0, 0), &[50, 40]),
        (q(0, 1000, 0, 2, 0, 0), &[]),
        (q(0, 5000, 0, 1, 0, 0), &[100]),
        (q(30, 1500, 0, 5, 0, 0), &[20, 10]),
        // max_id / min_id bound the ids, both exclusive.
        (q(0, 0, 0, 100, 50, 0), &[40, 30, 20, 10]),
        (q(0, 0, 0, 100, 0, 70), &[100, 90, 80]),
        (q(0, 0, 0, 100, 80, 30), &[70, 60, 50, 40]),
        (q(0, 0, 0, 2, 80, 30), &[70, 60]),
        (q(60, 0, 0, 100, 0, 30), &[50, 40]),
        (q(0, 0, 0, 100, 30, 30), &[]),
        (q(0, 0, 0, 100, 20, 50), &[]),
        // limit: 0 asks for the count only; more than 100 is capped; negative is nothing.
        (q(0, 0, 0, 0, 0, 0), &[]),
        (q(0, 0, 0, -3, 0, 0), &[]),
    ];
    for (query, expected) in cases {
        assert_eq!(ids(*query), *expected, "{query:?}");
    }
}

#[test]
fn limit_is_capped_at_100() {
    let items: Vec<(i32, i32)> = (1..=250).map(|i| (i, i)).collect();
    let w = history_window(&items, &q(0, 0, 0, 1000, 0, 0));
    assert_eq!(w, 150..250);
}

#[test]
fn walking_by_offset_id_sees_every_message_once() {
    let items: Vec<(i32, i32)> = (1..=237).map(|i| (i * 3, i)).collect();
    let mut seen = Vec::new();
    let mut offset_id = 0;
    loop {
        let w = history_window(&items, &q(offset_id, 0, 0, 50, 0, 0));
        if w.is_empty() {
            break;
        }
        seen.extend(w.clone().rev().map(|i| items[i].0));
        offset_id = items[w.start].0;
    }
    let expected: Vec<i32> = items.iter().rev().map(|(id, _)| *id).collect();
    assert_eq!(seen, expected);
}

#[test]
fn dialogs_start_after_the_offset_peer_or_before_the_offset_date() {
    let dates = [900, 800, 800, 700, 600];
    assert_eq!(dialogs_start(&dates, None, 0), 0);
    assert_eq!(dialogs_start(&dates, Some(1), 800), 2);
    assert_eq!(dialogs_start(&dates, Some(4), 600), 5);
    // Without a known peer, the first dialog older than the date.
    assert_eq!(dialogs_start(&dates, None, 800), 3);
    assert_eq!(dialogs_start(&dates, None, 801), 1);
    assert_eq!(dialogs_start(&dates, None, 100), 5);
}

#[test]
fn message_ids_grow_with_time_and_keep_the_subset_property() {
    use crate::generator::MessageKey;
    let start = 1_000_000_000_000;
    let key = |s: i64, index: u32| MessageKey {
        timestamp_ms: start + s * 1000,
        index,
    };
    // Sorted by (time, index), with two messages in the same second.
    let keys = [key(0, 3), key(5, 0), key(5, 2), key(9, 1)];
    let scale = id_scale(365);
    assert_eq!(scale, 68);
    let ids = message_ids(&keys, start, scale);
    assert_eq!(ids, vec![1, 1 + 5 * 68, 2 + 5 * 68, 1 + 9 * 68]);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    // Without message 2 (fewer messages: a subset), every other id stays.
    let fewer = [key(0, 3), key(5, 0), key(9, 1)];
    assert_eq!(
        message_ids(&fewer, start, scale),
        vec![1, 1 + 5 * 68, 1 + 9 * 68]
    );
    // The longest span still fits in i32.
    let scale = id_scale(3650);
    assert_eq!(scale, 6);
    let last = key(3650 * 86_400 - 1, 0);
    assert!(message_ids(&[last], start, scale)[0] < i32::MAX);
}
