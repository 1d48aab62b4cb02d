//! The JSON shapes of the API: Unipile v1's, as the published Unipile Node SDK (1.9.x) checks
//! them with its TypeBox schemas. Each shape is a typed struct, so that an optional field is
//! absent rather than `null` exactly where the SDK says so.

mod accounts;
mod messaging;
mod resync;

pub use accounts::account;
pub use messaging::{attendee, attendee_list, chat, chat_with_last_message, message};
pub use resync::{resync, sync};

use msgsync_store::{Page, PageCursor};
use serde::Serialize;

/// A page of a list route: `{"object": "ChatList", "items": [...], "cursor": "…" | null}`.
#[derive(Serialize)]
pub struct List<T> {
    object: &'static str,
    items: Vec<T>,
    cursor: Option<String>,
}

pub fn list<'a, R, T>(
    object: &'static str,
    page: &'a Page<R>,
    item: impl Fn(&'a R) -> T,
) -> List<T> {
    List {
        object,
        items: page.items.iter().map(item).collect(),
        cursor: page.next.as_ref().map(PageCursor::encode),
    }
}
