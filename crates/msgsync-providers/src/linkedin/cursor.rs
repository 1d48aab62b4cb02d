//! The connector's chat cursor: which category of the inbox the walk is in, LinkedIn's own
//! cursor within it, and what the walk has seen, so that a page LinkedIn answers again is
//! recognised instead of ending the walk.
//!
//! Written as `li2:` and base64url of JSON. A cursor without the prefix was saved by an older
//! msgsync, which listed the classic inbox with one query for two categories: its LinkedIn
//! cursor belongs to no single category, so the walk of that inbox starts over (every write is
//! an idempotent upsert: a chat seen twice is stored once).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "li2:";
/// A page repeats a page seen before when more than this share of its threads were on it.
const REPEAT_SHARE: f64 = 0.5;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChatCursor {
    /// Index of the category (or filter) being walked.
    #[serde(rename = "c")]
    pub category: usize,
    /// LinkedIn's cursor of the next page in this category; `None` for its first page.
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Thread marks of the category's first page.
    #[serde(rename = "f", default, skip_serializing_if = "Vec::is_empty")]
    pub first: Vec<u32>,
    /// Thread marks of the page before the next one.
    #[serde(rename = "p", default, skip_serializing_if = "Vec::is_empty")]
    pub previous: Vec<u32>,
}

/// How a saved cursor reads.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    Fresh(ChatCursor),
    /// Saved by a version that walked the union of categories: start the inbox over.
    Legacy,
}

impl ChatCursor {
    pub(crate) fn decode(raw: Option<&str>) -> Decoded {
        let Some(raw) = raw else {
            return Decoded::Fresh(ChatCursor::default());
        };
        let parsed = raw
            .strip_prefix(PREFIX)
            .and_then(|b64| URL_SAFE_NO_PAD.decode(b64).ok())
            .and_then(|json| serde_json::from_slice(&json).ok());
        match parsed {
            Some(c) => Decoded::Fresh(c),
            None => Decoded::Legacy,
        }
    }

    pub(crate) fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a cursor always serializes");
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }

    /// The cursor of the next page of this category, after `page` (its thread marks).
    pub(crate) fn after(&self, next: String, page: Vec<u32>) -> ChatCursor {
        ChatCursor {
            category: self.category,
            next: Some(next),
            first: if self.next.is_none() {
                page.clone()
            } else {
                self.first.clone()
            },
            previous: page,
        }
    }

    /// The first page of the next category.
    pub(crate) fn next_category(&self) -> ChatCursor {
        ChatCursor {
            category: self.category + 1,
            ..ChatCursor::default()
        }
    }

    /// Whether a page answered for this cursor is one the walk has already seen: LinkedIn
    /// answered the same cursor's page again, or a query that ignores cursors answered its
    /// first page again.
    pub(crate) fn repeats(&self, page: &[u32]) -> bool {
        if self.next.is_none() || page.is_empty() {
            return false;
        }
        let share = |seen: &[u32]| {
            page.iter().filter(|m| seen.contains(m)).count() as f64 / page.len() as f64
        };
        share(&self.first) > REPEAT_SHARE || share(&self.previous) > REPEAT_SHARE
    }
}

/// A thread's mark: a short hash of its id (FNV-1a), enough to recognise a page.
pub(crate) fn mark(id: &str) -> u32 {
    id.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_legacy() {
        let c = ChatCursor::default().after("abc".into(), vec![1, 2, 3]);
        assert_eq!(c.first, c.previous);
        let d = c.after("def".into(), vec![4, 5]);
        assert_eq!(
            (d.first.clone(), d.previous.clone()),
            (vec![1, 2, 3], vec![4, 5])
        );
        assert_eq!(ChatCursor::decode(Some(&d.encode())), Decoded::Fresh(d));
        assert_eq!(
            ChatCursor::decode(None),
            Decoded::Fresh(ChatCursor::default())
        );
        // A bare LinkedIn cursor, as an older version saved it.
        assert_eq!(
            ChatCursor::decode(Some("MTcwMDAwMDAwMDAwMDoyLWFi")),
            Decoded::Legacy
        );
        assert_eq!(ChatCursor::decode(Some("li2:!!")), Decoded::Legacy);
    }

    #[test]
    fn a_page_seen_before_is_recognised() {
        let first = vec![1, 2, 3, 4];
        let c = ChatCursor::default().after("p2".into(), first.clone());
        // Page 1 again, even with a thread that moved to the top since.
        assert!(c.repeats(&[9, 1, 2, 3]));
        assert!(!c.repeats(&[5, 6, 7, 8]));
        // A thread that moved between pages does not make a page a repeat.
        assert!(!c.repeats(&[4, 6, 7, 8]));
        let c2 = c.after("p3".into(), vec![5, 6, 7, 8]);
        assert!(c2.repeats(&[5, 6, 7, 8]));
        assert!(!ChatCursor::default().repeats(&first));
        assert_ne!(mark("2-a"), mark("2-b"));
    }
}
