//! The JSON shapes of the API: Unipile v1's, as the published Unipile Node SDK (1.9.x) checks
//! them with its TypeBox schemas. Each shape is a typed struct, so that an optional field is
//! absent rather than `null` exactly where the SDK says so.

mod accounts;
mod attendees;
mod messaging;
mod resync;
mod webhooks;

pub use accounts::{
    account, account_created, account_deleted, account_reconnected, Account, AccountCreated,
    AccountDeleted, AccountReconnected,
};
pub use attendees::{
    attendee, attendee_list, ChatAttendee, ChatAttendeeList as ChatAttendeeListOfChat,
};
pub use messaging::{chat, chat_with_last_message, message, Chat, Message};
pub use resync::{resync, sync, Resync};
pub use webhooks::*;

use msgsync_store::{Page, PageCursor};
use serde::Serialize;
use utoipa::openapi::schema::{AllOfBuilder, ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

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

/// The documented shape of each list: a [`List`] with its `object` name and its items.
macro_rules! list_schemas {
    ($($name:ident => $item:ty),+ $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($name), "`: a page of `", stringify!($item), "`.")]
            pub struct $name;

            impl PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    list_schema(stringify!($name), &<$item as ToSchema>::name())
                }
            }

            impl ToSchema for $name {
                fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                    schemas.push((<$item as ToSchema>::name().into(), <$item>::schema()));
                    <$item as ToSchema>::schemas(schemas);
                }
            }
        )+
    };
}

list_schemas! {
    AccountList => Account<'static>,
    AccountSyncList => AccountSync,
    ChatList => Chat<'static>,
    MessageList => Message<'static>,
    ChatAttendeeList => ChatAttendee<'static>,
}

fn list_schema(object: &str, item: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some(format!(
            "A page of {item} items; `cursor` is `null` on the last page, else the `cursor` \
             parameter of the next one"
        )))
        .property("object", crate::openapi::schemas::constant(object))
        .required("object")
        .property(
            "items",
            ArrayBuilder::new().items(Ref::from_schema_name(item)),
        )
        .required("items")
        .property(
            "cursor",
            ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::String,
                Type::Null,
            ])),
        )
        .required("cursor")
        .into()
}

/// One sync of the history (`AccountSync`): the resync answer's shape with the sync's own id,
/// state, whether its outcome was reported, and when it last changed.
pub struct AccountSync;

impl PartialSchema for AccountSync {
    fn schema() -> RefOr<Schema> {
        AllOfBuilder::new()
            .description(Some(
                "One sync of the account's history: the resync answer's shape, with the \
                 sync's `id`, its `state`, whether its outcome was `reported`, and `updated_at`",
            ))
            .item(Ref::from_schema_name(<Resync as ToSchema>::name()))
            .item(
                ObjectBuilder::new()
                    .property("object", crate::openapi::schemas::constant("AccountSync"))
                    .required("id")
                    .required("state")
                    .required("reported")
                    .required("updated_at"),
            )
            .into()
    }
}

impl ToSchema for AccountSync {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((<Resync as ToSchema>::name().into(), <Resync>::schema()));
        <Resync as ToSchema>::schemas(schemas);
    }
}
