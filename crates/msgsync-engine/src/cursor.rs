use serde::{Deserialize, Serialize};

/// Where a sync series stands, saved with every page (opaque to the store).
///
/// A resumed job re-fetches the chat page at `chat_page` (provider reads are idempotent), skips
/// to `chat_index`, and continues that chat's messages from `message_cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCursor {
    /// Index into the sync's list of inboxes.
    pub inbox: usize,
    /// Provider cursor of the chat page being worked through (`None`: the first page).
    pub chat_page: Option<String>,
    /// Index of the current chat within that page.
    pub chat_index: usize,
    /// Provider cursor of the current chat's next message page (`None`: its newest page).
    pub message_cursor: Option<String>,
    /// Incremental syncs: the activity up to which the inbox being walked was already stored
    /// whole, as it was when its walk began (fixed then, so that what this sync stores does not
    /// move it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<KnownActivity>,
}

/// Where an incremental sync of one inbox may stop (see [`SyncCursor::known`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownActivity {
    /// Index into the sync's list of inboxes.
    pub inbox: usize,
    pub activity_ms: Option<i64>,
}

impl SyncCursor {
    pub fn decode(text: Option<&str>) -> Result<SyncCursor, serde_json::Error> {
        text.map_or(Ok(SyncCursor::default()), serde_json::from_str)
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("a cursor always serializes")
    }
}
