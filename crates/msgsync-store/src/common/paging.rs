//! Pages of a listing: where one starts, and the cursor of the next.

use crate::{Page, PageCursor, PageRequest};

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
