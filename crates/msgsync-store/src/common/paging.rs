//! Pages of a listing: where one starts, and the cursor of the next.

use crate::{
    AccountRecord, AttendeeRecord, ChatRecord, Page, PageCursor, PageRequest, StoreResult, SyncJob,
};

/// The position a page starts after: the cursor's (instant, id), or before everything.
pub(crate) fn cursor_bounds(page: &PageRequest) -> (i64, String) {
    match &page.cursor {
        Some(c) => (c.at, c.id.clone()),
        None => (i64::MAX, String::new()),
    }
}

/// Cuts `items` (fetched with `limit + 1`) to a page and makes the cursor of the next one.
pub(crate) fn paginate<T>(
    mut items: Vec<T>,
    limit: u32,
    cursor_of: impl Fn(&T) -> PageCursor,
) -> Page<T> {
    let limit = limit as usize;
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(cursor_of)
    } else {
        None
    };
    Page { items, next }
}

/// A record of a listing: where the page after it starts, in the listing's order.
pub(crate) trait Paged {
    fn cursor(&self) -> PageCursor;
}

/// Accounts list newest first, by creation.
impl Paged for AccountRecord {
    fn cursor(&self) -> PageCursor {
        PageCursor {
            at: self.created_at,
            id: self.id.to_string(),
        }
    }
}

/// An account's syncs list newest first, by creation.
impl Paged for SyncJob {
    fn cursor(&self) -> PageCursor {
        PageCursor {
            at: self.created_at,
            id: self.id.to_string(),
        }
    }
}

/// Chats list by last activity, newest first.
impl Paged for ChatRecord {
    fn cursor(&self) -> PageCursor {
        PageCursor {
            at: self.timestamp,
            id: self.id.to_string(),
        }
    }
}

/// Attendees list by id alone.
impl Paged for AttendeeRecord {
    fn cursor(&self) -> PageCursor {
        PageCursor {
            at: 0,
            id: self.id.to_string(),
        }
    }
}

/// Decodes `rows` (fetched with `limit + 1`) and cuts them to a page.
pub(crate) fn page_of<R, T: Paged>(
    rows: &[R],
    limit: u32,
    decode: impl Fn(&R) -> StoreResult<T>,
) -> StoreResult<Page<T>> {
    let items = rows.iter().map(decode).collect::<StoreResult<Vec<_>>>()?;
    Ok(paginate(items, limit, T::cursor))
}
