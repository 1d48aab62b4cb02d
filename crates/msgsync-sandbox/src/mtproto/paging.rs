//! Message ids and Telegram's offset rules, as pure functions over a chat's timeline.
//!
//! **Message ids.** The generator numbers a chat's messages `j + 1` in draw order, which does
//! not follow time; Telegram clients page with `offset_id` and assume ids grow with dates. The
//! simulator presents instead
//!
//! `id = 1 + second × K + rank`, with `second` the message's second since the span's start,
//! `K = ⌊(2³¹ − 1) / seconds_in_span⌋` (6 for the longest span of 3650 days, 68 for 365 days) and
//! `rank` the number of messages of the chat at the same second with a smaller generator index.
//!
//! Ids grow strictly with (date, index), fit in `i32`, and keep the subset property: a scenario
//! with fewer messages holds the first draws, and a message's rank only counts draws before it,
//! so every message it has keeps its id. (A rank of K or more would need K messages of one chat
//! in one second — Poisson-rare at the grammar's limits; it is clamped, never a panic.)
//!
//! **getHistory** (core.telegram.org/api/offsets, `messages.getHistory`): messages newest
//! first; `min_id`/`max_id` (exclusive, when positive) first narrow the history; the window then
//! starts at the first message older than `offset_id` (ids `< offset_id`), or when it is 0 at the
//! first message sent before `offset_date` (dates `< offset_date`), or at the newest;
//! `add_offset` shifts that start (negative values reach newer messages) and `limit` (at most
//! 100) counts from there.

use std::ops::Range;

use crate::generator::MessageKey;

/// The most messages or dialogs Telegram returns per request.
pub const MAX_LIMIT: i32 = 100;

/// The id scale `K` for a span.
pub fn id_scale(span_days: u32) -> i64 {
    let seconds = i64::from(span_days.max(1)) * 86_400;
    (i64::from(i32::MAX) / seconds).max(1)
}

/// The ids of a chat's messages, for its keys sorted oldest first; `start_ms` is the span's
/// start (the anchor minus the span).
pub fn message_ids(keys: &[MessageKey], start_ms: i64, scale: i64) -> Vec<i32> {
    let mut ids = Vec::with_capacity(keys.len());
    let mut rank = 0i64;
    for (i, key) in keys.iter().enumerate() {
        if i > 0 && keys[i - 1].timestamp_ms / 1000 == key.timestamp_ms / 1000 {
            rank += 1;
        } else {
            rank = 0;
        }
        let second = (key.timestamp_ms - start_ms).div_euclid(1000).max(0);
        let id = 1 + second.saturating_mul(scale) + rank.min(scale - 1);
        ids.push(i32::try_from(id).unwrap_or(i32::MAX));
    }
    ids
}

/// The offsets of a `messages.getHistory` request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    pub offset_id: i32,
    pub offset_date: i32,
    pub add_offset: i32,
    pub limit: i32,
    pub max_id: i32,
    pub min_id: i32,
}

/// The messages a `messages.getHistory` request selects, as a range of `items` — `(id, date)`
/// sorted oldest first, ids increasing — to be answered newest first.
pub fn history_window(items: &[(i32, i32)], q: &HistoryQuery) -> Range<usize> {
    let lo = if q.min_id > 0 {
        items.partition_point(|(id, _)| *id <= q.min_id)
    } else {
        0
    };
    let hi = if q.max_id > 0 {
        items.partition_point(|(id, _)| *id < q.max_id)
    } else {
        items.len()
    };
    if lo >= hi {
        return lo..lo;
    }
    let narrowed = &items[lo..hi];
    // Everything before `start` (ascending) is "older than the offset".
    let start = if q.offset_id != 0 {
        narrowed.partition_point(|(id, _)| *id < q.offset_id)
    } else if q.offset_date != 0 {
        narrowed.partition_point(|(_, date)| *date < q.offset_date)
    } else {
        narrowed.len()
    } as i64;
    let limit = i64::from(q.limit.clamp(0, MAX_LIMIT));
    let top = start - i64::from(q.add_offset);
    let bottom = top - limit;
    let clamp = |x: i64| x.clamp(0, narrowed.len() as i64) as usize;
    (lo + clamp(bottom))..(lo + clamp(top))
}

/// Where a `messages.getDialogs` page starts in a dialog list sorted newest first: right after
/// `offset_peer` when it is in the list (the last dialog of the previous page), otherwise at the
/// first dialog whose top message is older than `offset_date`, otherwise at the top. `dates`
/// are the dialogs' top-message dates in list order.
pub fn dialogs_start(dates: &[i32], offset_peer_pos: Option<usize>, offset_date: i32) -> usize {
    match offset_peer_pos {
        Some(pos) => (pos + 1).min(dates.len()),
        None if offset_date > 0 => dates.partition_point(|d| *d >= offset_date),
        None => 0,
    }
}

#[cfg(test)]
mod tests;
