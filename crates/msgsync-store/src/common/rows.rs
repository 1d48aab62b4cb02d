//! How records map to the columns both schemas share.

use msgsync_core::LinkedinProduct;

use crate::{StoreError, StoreResult};

/// The columns of a [`crate::ChatRecord`], from `chats c` joined with `accounts a`: the same
/// list in both dialects' SELECTs.
pub(crate) const CHAT_COLUMNS: &str =
    "c.id, c.account_id, a.provider AS account_type, c.provider_id, c.inbox, \
     c.name, c.kind, c.timestamp, c.unread_count, c.archived, c.muted_until, c.read_only, \
     c.folder, c.attendee_provider_id, c.content_type, c.deleted, c.provider_ref";

/// A stored value that does not read back as what it should be.
pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected {what} `{value}`"))
}

pub(crate) fn products_to_text(products: &Option<Vec<LinkedinProduct>>) -> Option<String> {
    products
        .as_ref()
        .map(|ps| ps.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("+"))
}

pub(crate) fn products_from_text(
    text: Option<String>,
) -> StoreResult<Option<Vec<LinkedinProduct>>> {
    text.map(|t| {
        t.split('+')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|_| corrupt("linkedin product", s)))
            .collect()
    })
    .transpose()
}
