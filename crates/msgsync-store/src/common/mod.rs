//! What both backends share: the code of the store that does not depend on a dialect.
//!
//! The SQLite and PostgreSQL backends each know nothing of the other; each writes its own SQL
//! in its own dialect. What they have in common does not depend on a dialect: how a record's
//! fields read from and write to their columns ([`rows`]), how a page is cut and where the next
//! one starts ([`paging`]), what a checkpoint writes, collected before either backend writes it
//! its own way ([`writes`]), and the job a sync request starts ([`jobs`]). Where even the SQL
//! is the same in both dialects (`QueryBuilder` writes each one's placeholders), the code that
//! builds and runs it is written once, generic over the database ([`dialect`]): the message
//! reads and writes ([`messages`]), the chat and attendee writes ([`content`],
//! [`attendees`]) and the filtered listings of chats and attendees
//! ([`listings`]). It lives here, beside the backends rather than in either,
//! so that neither backend depends on the other.

pub(crate) mod attendees;
pub(crate) mod content;
mod dialect;
mod jobs;
pub(crate) mod listings;
pub(crate) mod messages;
pub(crate) mod outbox;
mod paging;
mod rows;
pub(crate) mod webhooks;
mod writes;

pub(crate) use jobs::{active_jobs, ensure_held, new_job};
pub(crate) use paging::{cursor_bounds, page_of, paginate};
pub(crate) use rows::{
    account_from_row, attendee_from_row, chat_from_row, corrupt, job_from_row, key_from_row,
    products_to_text, storable, ATTENDEE_COLUMNS, CHAT_COLUMNS,
};
pub(crate) use writes::{AttendeeWrites, ChatWrite, MessageWrite};
