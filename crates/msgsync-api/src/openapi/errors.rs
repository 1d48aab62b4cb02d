//! The error answers of each route, in the document: one response per status, whose envelope's
//! `type` is one of the types that route can answer with that status (CONTRACT §4).
//!
//! A route lists its errors next to its handler, by the groups below and its own kinds:
//!
//! ```text
//! route_errors!(GetChatErrors: KEYED, PATH_ID);
//! #[utoipa::path(get, path = "/chats/{chat_id}", responses((status = 200, body = Chat), GetChatErrors))]
//! ```

use std::collections::BTreeMap;

use msgsync_core::ErrorKind::{self, *};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use super::schemas::one_of_strings;

/// Every route: a bug or a panic (500), and a request past the 30 s limit (504).
pub const ALWAYS: &[ErrorKind] = &[UnexpectedError, RequestTimeout];

/// Routes behind an API key. The key's record is read from the database, which may be busy.
pub const KEYED: &[ErrorKind] = &[
    MissingCredentials,
    InvalidCredentials,
    InsufficientPrivileges,
    ServiceUnavailable,
    UnexpectedError,
    RequestTimeout,
];

/// Routes that read parameters from the query string (a query string that does not parse).
pub const QUERY: &[ErrorKind] = &[InvalidParameters];

/// List routes: `limit` out of 1..=250, a cursor that is not one of ours.
pub const PAGED: &[ErrorKind] = &[InvalidParameters, LimitTooHigh];

/// Routes naming a resource in their path: a malformed id, or one this key may not see.
pub const PATH_ID: &[ErrorKind] = &[InvalidResourceIdentifier, ResourceNotFound];

/// Routes taking the account connection body.
pub const CONNECT_BODY: &[ErrorKind] = &[
    MalformedRequest,
    ContentTooLarge,
    MissingParameters,
    InvalidParameters,
    TooManyCharacters,
];

/// Routes that call the account's provider while the client waits (connect, reconnect,
/// attachment download).
pub const PROVIDER_CALL: &[ErrorKind] = &[
    DisconnectedAccount,
    AccountRestricted,
    ServiceUnavailable,
    RequestTimeout,
    ProviderError,
    FeatureNotImplemented,
];

/// Declares `$name`, the error responses of one route: the kinds of the groups and those listed
/// after `;`.
macro_rules! route_errors {
    ($name:ident: $($group:ident),* $(; $($kind:ident),+)? $(,)?) => {
        #[doc = concat!("The error answers of the route, for its documentation.")]
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<
                String,
                utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
            > {
                $crate::openapi::errors::error_responses(&[
                    $($crate::openapi::errors::$group,)*
                    $(&[$(msgsync_core::ErrorKind::$kind),+],)?
                ])
            }
        }
    };
}
pub(crate) use route_errors;

/// The error responses for these kinds, one per status.
pub fn error_responses(groups: &[&[ErrorKind]]) -> BTreeMap<String, RefOr<Response>> {
    let mut by_status: BTreeMap<u16, Vec<ErrorKind>> = BTreeMap::new();
    for &kind in groups.iter().flat_map(|group| group.iter()) {
        let kinds = by_status.entry(kind.status()).or_default();
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    by_status
        .into_iter()
        .map(|(status, kinds)| (status.to_string(), response(status, &kinds).into()))
        .collect()
}

fn response(status: u16, kinds: &[ErrorKind]) -> Response {
    let types: Vec<String> = kinds.iter().map(|k| k.type_uri()).collect();
    let schema = AllOfBuilder::new()
        .item(Ref::from_schema_name("ErrorEnvelope"))
        .item(
            ObjectBuilder::new()
                .property("type", one_of_strings(types.iter().map(String::as_str)))
                .property(
                    "status",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .enum_values(Some([status])),
                ),
        );
    let list: Vec<String> = kinds
        .iter()
        .map(|k| format!("- `{}`: {}", k.type_uri(), meaning(*k)))
        .collect();
    let mut response = ResponseBuilder::new()
        .description(format!(
            "{}, in the error envelope:\n\n{}",
            kinds[0].title(),
            list.join("\n")
        ))
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(schema)).build(),
        );
    if kinds.contains(&ServiceUnavailable) {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                ))
                .description(Some(
                    "Seconds to wait before trying again, when the provider said how long \
                     (a rate limit)",
                ))
                .build(),
        );
    }
    response.build()
}

/// What a type of the catalogue means, in a line.
pub fn meaning(kind: ErrorKind) -> &'static str {
    match kind {
        InvalidParameters => {
            "a parameter does not parse, is out of range, or does not apply to this resource"
        }
        MissingParameters => "a required parameter is missing",
        MalformedRequest => {
            "the request could not be read: the body is not JSON, or not sent as `application/json`"
        }
        ContentTooLarge => "the request body is larger than 64 KiB",
        InvalidUrl => "a URL parameter is not a valid URL",
        TooManyCharacters => "a value is longer than allowed",
        UnescapedCharacters => "a value holds characters that must be escaped",
        LimitTooHigh => "`limit` (or `chunk_size`) is above its maximum",
        MissingCredentials => "no API key in the `X-API-KEY` header",
        MultipleSessions => "the provider account is used by too many sessions",
        InvalidCheckpointSolution => "the answer to the provider's checkpoint is wrong",
        InvalidProxyCredentials => "the proxy refused its credentials",
        CheckpointError => "the provider's checkpoint failed",
        InvalidCredentials => {
            "the API key is unknown or revoked, or the provider refused the credentials given"
        }
        ExpiredCredentials => {
            "the provider session of the account has expired: reconnect the account"
        }
        InsufficientPrivileges => "the API key lacks the scope this route needs",
        DisconnectedAccount => {
            "the provider account was deleted or banned: reconnect it if the provider restored it"
        }
        DisconnectedFeature => "the feature is disconnected for this account",
        InvalidCredentialsButValidAccountImap => "IMAP credentials are wrong for a valid account",
        ExpiredLink => "the link has expired",
        WrongAccount => "the credentials belong to another account than expected",
        AccountRestricted => "the provider has restricted the account",
        AccountMismatch => {
            "the credentials belong to another provider user than the account's: connect them \
             as a new account"
        }
        InsufficientPermissions => "the account lacks the provider permission this needs",
        SessionMismatch => "the session does not belong to this account",
        FeatureNotSubscribed => "the account has no such LinkedIn inbox (`linkedin_product`)",
        SubscriptionRequired => "the provider requires a subscription for this",
        UnknownAuthenticationContext => "the authentication context is unknown",
        ActionRequired => "the provider requires an action from the account owner",
        ResourceAccessRestricted => "the provider restricts access to this resource",
        ResourceNotFound => {
            "no such resource for this API key (other owners' and modes' resources included)"
        }
        InvalidResourceIdentifier => "the id in the path is malformed",
        MethodNotAllowed => "the route exists, not with this method (see the `Allow` header)",
        UnexpectedError => {
            "something broke inside msgsync; the detail carries the request id to report"
        }
        ProviderError => "the provider answered something msgsync could not understand",
        AuthenticationIntentError => "the authentication intent failed",
        FeatureNotImplemented => {
            "msgsync cannot do this for this account's provider (WhatsApp and Instagram accounts, \
             or a provider this server has no connector configured for)"
        }
        NoClientSession => "no provider session is open for the account",
        NoChannel => "no channel to the provider",
        NoHandler => "no handler for this request",
        NetworkDown => "the network is down",
        ServiceUnavailable => {
            "the database is busy or unreachable, storage is full, or the provider (or the \
             account's proxy) is unavailable or rate limited (then with `Retry-After`): try \
             again later"
        }
        RequestTimeout => "the request, or a provider call it made, took too long",
    }
}
