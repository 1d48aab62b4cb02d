//! Schemas the derives cannot read from a field's Rust type: constant `object` names, Unipile's
//! 0/1 booleans, prefixed ids, the exact timestamp format, and the catalogues of the core crate
//! (providers, inboxes, sync statuses), each built from the catalogue itself so it cannot lag.

use msgsync_core::{LinkedinProduct, ProviderKind};
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::{Object, RefOr, Schema};

/// A string that is always `value`.
pub fn constant(value: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([value]))
        .build()
}

/// A string that is one of `values`.
pub fn one_of_strings<'a>(values: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

/// `object` fields, one name each.
macro_rules! object_names {
    ($($fn:ident => $name:literal),+ $(,)?) => {
        $(
            #[doc = concat!("`\"", $name, "\"`")]
            pub fn $fn() -> Object {
                constant($name)
            }
        )+
    };
}

pub mod object {
    use super::constant;
    use utoipa::openapi::Object;

    object_names! {
        account => "Account",
        account_created => "AccountCreated",
        account_reconnected => "AccountReconnected",
        account_deleted => "AccountDeleted",
        chat => "Chat",
        message => "Message",
        chat_attendee => "ChatAttendee",
        chat_attendee_list => "ChatAttendeeList",
    }

    /// The resync route's `AccountResync`, or a sync of the history's `AccountSync`.
    pub fn resync() -> Object {
        super::one_of_strings(["AccountResync", "AccountSync"])
    }
}

/// Unipile's booleans: the numbers 0 and 1.
pub fn flag() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .enum_values(Some([0, 1]))
        .build()
}

/// An instant as the API writes it: ISO 8601 UTC with milliseconds, `2026-11-26T03:51:59.123Z`.
pub fn timestamp() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .pattern(Some(TIMESTAMP_PATTERN))
        .examples(["2026-11-26T03:51:59.123Z"])
        .build()
}

/// The one format of every timestamp the API writes.
const TIMESTAMP_PATTERN: &str = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$";

/// An instant a client gives: epoch milliseconds (within what msgsync can show as a date), or
/// ISO 8601: a date-time (without an offset, UTC) or a date.
pub fn instant_param() -> Schema {
    use chrono::{DateTime, Utc};
    let milliseconds = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(DateTime::<Utc>::MIN_UTC.timestamp_millis()))
        .maximum(Some(DateTime::<Utc>::MAX_UTC.timestamp_millis()))
        .description(Some("Epoch milliseconds"))
        .examples([1_767_225_600_000_i64]);
    let date_time = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .examples(["2026-01-01T00:00:00Z"]);
    let date = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .examples(["2026-01-01"]);
    AnyOfBuilder::new()
        .item(milliseconds)
        .item(date_time)
        .item(date)
        .description(Some(
            "Epoch milliseconds (`1767225600000`) or ISO 8601: a date-time \
             (`2026-01-01T00:00:00Z`; without an offset, UTC) or a date (`2026-01-01`)",
        ))
        .into()
}

/// `true` or `false` in a query string (also `1` and `0`).
pub fn bool_param() -> Object {
    one_of_strings(["true", "false", "1", "0"])
}

/// Prefixed ULIDs, as msgsync writes them.
macro_rules! ids {
    ($($fn:ident => $prefix:literal),+ $(,)?) => {
        $(
            #[doc = concat!("A `", $prefix, "…` id: the prefix and a ULID.")]
            pub fn $fn() -> Object {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(concat!("^", $prefix, "[0-9A-HJKMNP-TV-Z]{26}$")))
                    .examples([concat!($prefix, "01JD8Y3V6QZ4X9N2C5T7W0KPRS")])
                    .build()
            }
        )+
    };
}

pub mod id {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::Object;

    ids! {
        account => "acc_",
        chat => "chat_",
        message => "msg_",
        attendee => "att_",
        sync => "sync_",
    }
}

/// `LINKEDIN`, `TELEGRAM`, `WHATSAPP`, `INSTAGRAM`.
pub fn provider() -> Object {
    one_of_strings(ProviderKind::ALL.map(ProviderKind::as_str))
}

/// `classic`, `recruiter`, `sales_navigator`.
pub fn linkedin_product() -> Object {
    one_of_strings(LinkedinProduct::ALL.map(LinkedinProduct::as_str))
}

/// The paid LinkedIn inboxes an account has, as Unipile names them.
pub fn premium_features() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(one_of_strings(["recruiter", "sales_navigator"]))
        .description(Some(
            "The paid products among the account's inboxes (Unipile names no `classic`); absent \
             when there are none",
        ))
        .into()
}

/// An empty array: a field the SDK requires that msgsync has nothing for.
pub fn empty_array() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String))
        .max_items(Some(0))
        .description(Some("Always empty"))
        .into()
}

/// The names `values` serialize to.
fn serialized_names<T: serde::Serialize>(values: &[T]) -> Vec<String> {
    values
        .iter()
        .map(|v| match serde_json::to_value(v) {
            Ok(serde_json::Value::String(name)) => name,
            other => panic!("a catalogue value serializes to a string, not {other:?}"),
        })
        .collect()
}

/// `SYNC_STARTED`, `SYNC_RUNNING`, `SYNC_DONE`, `SYNC_ERROR`, `CHUNK_DONE`.
pub fn sync_status() -> Object {
    use msgsync_core::SyncStatus::*;
    // Exhaustive, so that a status added to the core does not compile until it is listed here.
    let listed = |s: msgsync_core::SyncStatus| match s {
        SyncStarted | SyncRunning | SyncDone | SyncError | ChunkDone => s,
    };
    let all = [SyncStarted, SyncRunning, SyncDone, SyncError, ChunkDone].map(listed);
    let names = serialized_names(&all);
    one_of_strings(names.iter().map(String::as_str))
}

/// A sync job's own state in the history: `queued`, `running`, `done`, `chunk_done`, `error`.
pub fn job_state() -> Object {
    use msgsync_store::JobState::*;
    let listed = |s: msgsync_store::JobState| match s {
        Queued | Running | Done | ChunkDone | Error => s,
    };
    one_of_strings([Queued, Running, Done, ChunkDone, Error].map(|s| listed(s).as_str()))
}

/// How far a LinkedIn member is from the account owner.
pub fn network_distance() -> Object {
    use msgsync_core::content::NetworkDistance::*;
    let listed = |d: msgsync_core::content::NetworkDistance| match d {
        Distance1 | Distance2 | Distance3 | OutOfNetwork => d,
    };
    let all = [Distance1, Distance2, Distance3, OutOfNetwork].map(listed);
    let names = serialized_names(&all);
    one_of_strings(names.iter().map(String::as_str))
}

/// An error type of the catalogue, `errors/<name>` (CONTRACT §4).
pub fn error_type() -> Object {
    let types: Vec<String> = msgsync_core::ErrorKind::ALL
        .iter()
        .map(|k| k.type_uri())
        .collect();
    one_of_strings(types.iter().map(String::as_str))
}

/// Declares named shapes: components of the document that fields refer to with
/// `#[schema(value_type = shapes::Timestamp)]`, keeping the field's own description beside the
/// reference.
macro_rules! shapes {
    ($($(#[$doc:meta])* $name:ident => $schema:expr;)+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl utoipa::PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    $schema.into()
                }
            }

            impl utoipa::ToSchema for $name {}
        )+
    };
}

/// The shapes many fields share, each a component of the document.
pub mod shapes {
    use utoipa::openapi::{RefOr, Schema};

    use super::*;

    fn described(mut schema: Object, description: &str) -> Object {
        schema.description = Some(description.to_owned());
        schema
    }

    shapes! {
        /// 0 or 1: Unipile's booleans.
        Flag => described(flag(), "A boolean as Unipile writes it: 0 or 1");
        /// An instant, written `2026-11-26T03:51:59.123Z`.
        Timestamp => described(timestamp(), "An instant: ISO 8601 UTC with milliseconds");
        AccountId => described(id::account(), "An account's id");
        ChatId => described(id::chat(), "A chat's id");
        MessageId => described(id::message(), "A message's id");
        AttendeeId => described(id::attendee(), "An attendee's id");
        SyncId => described(id::sync(), "A sync's id");
        Provider => described(provider(), "A messaging service");
        LinkedinProduct => described(linkedin_product(), "A LinkedIn inbox");
        SyncStatus => described(
            sync_status(),
            "A sync's status, as the resync route reports it",
        );
        SyncState => described(job_state(), "A sync's own state in the history");
        ErrorType => described(error_type(), "An error type of the catalogue");
        NetworkDistance => described(
            network_distance(),
            "How far a LinkedIn member is from the account owner",
        );
    }
}
