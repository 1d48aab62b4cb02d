//! The parameters of the routes, as the document shows them (`params(PageQuery, …)` in a
//! handler's `#[utoipa::path]`). The handlers read them through [`crate::extract::QueryMap`]
//! and [`crate::extract::path_id`]; these only describe them (names, types, ranges), and the
//! schemathesis test (`crates/msgsync/tests/openapi.rs`) holds the server to them.

use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Object, RefOr, Required, Schema};
use utoipa::IntoParams;

use super::schemas;

fn parameter(
    place: ParameterIn,
    name: &str,
    description: &str,
    schema: impl Into<RefOr<Schema>>,
) -> Parameter {
    let required = if place == ParameterIn::Path {
        Required::True
    } else {
        Required::False
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(place)
        .required(required)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn query(name: &str, description: &str, schema: impl Into<RefOr<Schema>>) -> Parameter {
    parameter(ParameterIn::Query, name, description, schema)
}

fn integer(minimum: i64, maximum: i64) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(minimum))
        .maximum(Some(maximum))
        .build()
}

/// Declares a parameter set: `params!(Name: [parameter, …])`.
macro_rules! params {
    ($($(#[$doc:meta])* $name:ident => [$($parameter:expr),+ $(,)?];)+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl IntoParams for $name {
                fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
                    vec![$($parameter),+]
                }
            }
        )+
    };
}

params! {
    /// `limit` and `cursor` of a list route.
    PageQuery => [
        query("limit", "Items per page (default 100).", integer(1, 250)),
        query(
            "cursor",
            "The `cursor` of the previous page, for the next one (URL-encode it: it is base64).",
            ObjectBuilder::new().schema_type(Type::String).build(),
        ),
    ];

    /// `after` and `before` of a list route: a time span, bounds included.
    SpanQuery => [
        query("after", "Only items at or after this instant.", schemas::instant_param()),
        query(
            "before",
            "Only items at or before this instant (not earlier than `after`).",
            schemas::instant_param(),
        ),
    ];

    /// The resync route's parameters (CONTRACT §3).
    ResyncQuery => [
        query(
            "chunk_size",
            "Sync at most this many chats in this run, newest chats first; then stop with \
             `CHUNK_DONE` if chats remain. Absent: every chat.",
            integer(1, 1000),
        ),
        query(
            "partial",
            "`true`: keep already synced data, only add and update. `false` (default): a full \
             resync, which, once the whole scope has been fetched, marks as `deleted` the chats \
             and messages of the scope that the provider no longer has (never before: a failed \
             or unfinished full resync removes nothing).",
            schemas::bool_param(),
        ),
        query(
            "after",
            "Start of the time span: only messages at or after it.",
            schemas::instant_param(),
        ),
        query(
            "before",
            "End of the time span: only messages at or before it (not earlier than `after`).",
            schemas::instant_param(),
        ),
        query(
            "linkedin_product",
            "LinkedIn accounts only: which inbox to sync. Absent: every inbox the account has. \
             One the account does not have is a 403 `errors/feature_not_subscribed`.",
            schemas::linkedin_product(),
        ),
    ];

    /// `GET /chats`' filters.
    ChatsQuery => [
        query("account_id", "Only the chats of this account.", schemas::id::account()),
        query(
            "account_type",
            "Only the chats of accounts of this provider.",
            schemas::provider(),
        ),
        query(
            "unread",
            "`true`: only chats with unread messages; `false`: only chats without.",
            schemas::bool_param(),
        ),
        query(
            "after",
            "Only chats whose last activity is at or after this instant.",
            schemas::instant_param(),
        ),
        query(
            "before",
            "Only chats whose last activity is at or before this instant.",
            schemas::instant_param(),
        ),
    ];

    /// An optional `account_id` filter.
    AccountFilter => [
        query("account_id", "Only those of this account.", schemas::id::account()),
    ];

    /// `GET /messages`' filter by sender.
    SenderFilter => [
        query(
            "sender_id",
            "Only messages sent by this provider id (a message's `sender_id`).",
            ObjectBuilder::new().schema_type(Type::String).build(),
        ),
    ];

    /// An account in the path.
    AccountPath => [
        parameter(ParameterIn::Path, "account_id", "The account's id.", schemas::id::account()),
    ];

    /// A sync in the path.
    SyncPath => [
        parameter(ParameterIn::Path, "sync_id", "The sync's id.", schemas::id::sync()),
    ];

    /// A chat in the path.
    ChatPath => [
        parameter(ParameterIn::Path, "chat_id", "The chat's id.", schemas::id::chat()),
    ];

    /// An attendee in the path.
    AttendeePath => [
        parameter(ParameterIn::Path, "attendee_id", "The attendee's id.", schemas::id::attendee()),
    ];

    /// A message in the path.
    MessagePath => [
        parameter(ParameterIn::Path, "message_id", "The message's id.", schemas::id::message()),
    ];

    /// An attachment of a message in the path.
    AttachmentPath => [
        parameter(
            ParameterIn::Path,
            "attachment_id",
            "The attachment's `id`, as the message lists it.",
            ObjectBuilder::new().schema_type(Type::String).build(),
        ),
    ];
}
