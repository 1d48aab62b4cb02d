//! `Account`: one shape per provider, as the SDK's account union has them.

use msgsync_core::time::format_ms;
use msgsync_core::{AccountId, LinkedinProduct, ProviderKind};
use msgsync_store::AccountRecord;
use serde::Serialize;
use utoipa::ToSchema;

use crate::openapi::schemas::{self, object, shapes};

/// A connected account.
#[derive(Serialize, ToSchema)]
pub struct Account<'a> {
    #[schema(schema_with = object::account)]
    object: &'static str,
    #[schema(value_type = shapes::AccountId)]
    id: AccountId,
    /// The account's name at its provider (a sandbox account's is made up).
    name: &'a str,
    /// The account's provider.
    #[serde(rename = "type")]
    #[schema(value_type = shapes::Provider)]
    kind: ProviderKind,
    #[schema(value_type = shapes::Timestamp)]
    created_at: String,
    connection_params: ConnectionParams<'a>,
    /// The account's messaging source: one.
    #[schema(value_type = Vec<Source>, min_items = 1, max_items = 1)]
    sources: [Source; 1],
    #[schema(schema_with = schemas::empty_array)]
    groups: [&'a str; 0],
}

#[derive(Serialize, ToSchema)]
struct ConnectionParams<'a> {
    im: Im<'a>,
}

/// `connection_params.im`, whose fields differ by provider. An account whose provider identity
/// is not known yet shows an empty id.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum Im<'a> {
    Linkedin(LinkedinIm<'a>),
    Telegram(TelegramIm<'a>),
    Whatsapp(WhatsappIm<'a>),
    Instagram(InstagramIm<'a>),
}

// Each shape is closed (`deny_unknown_fields` only says so to the schema: these are never
// deserialized), so that a LinkedIn `im` is not also an Instagram one.

/// A LinkedIn account's.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LinkedinIm<'a> {
    /// The LinkedIn member id of the account owner.
    id: &'a str,
    username: &'a str,
    /// The Recruiter contract the session is bound to; msgsync does not bind one yet.
    #[serde(rename = "premiumContractId")]
    #[schema(required = true)]
    premium_contract_id: Option<&'a str>,
    // The paid products among the account's inboxes (the SDK knows no `classic`).
    #[serde(rename = "premiumFeatures", skip_serializing_if = "Vec::is_empty")]
    #[schema(schema_with = schemas::premium_features)]
    premium_features: Vec<&'static str>,
}

/// A Telegram account's.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TelegramIm<'a> {
    /// The Telegram user id of the account owner.
    user_id: &'a str,
    username: &'a str,
}

/// A WhatsApp account's.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct WhatsappIm<'a> {
    phone_number: &'a str,
}

/// An Instagram account's.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InstagramIm<'a> {
    id: &'a str,
    username: &'a str,
}

#[derive(Serialize, ToSchema)]
struct Source {
    /// `<account id>_MESSAGING`.
    id: String,
    #[schema(schema_with = source_status)]
    status: &'static str,
}

fn source_status() -> utoipa::openapi::Object {
    use msgsync_core::AccountState::*;
    let listed = |s: msgsync_core::AccountState| match s {
        Ok | Credentials | Restricted | Disconnected | Error => s.source_status(),
    };
    let mut schema =
        schemas::one_of_strings([Ok, Credentials, Restricted, Disconnected, Error].map(listed));
    schema.description = Some(
        "The state of the provider session: `OK`, `CREDENTIALS` (expired: reconnect), \
         `PERMISSIONS` (restricted), `STOPPED` (disconnected) or `ERROR` (the last sync failed)"
            .to_owned(),
    );
    schema
}

pub fn account(a: &AccountRecord) -> Account<'_> {
    // An account whose provider identity is not known yet (registered without a connector)
    // shows an empty id: the SDK requires the field to be a string.
    let user = a.provider_user_id.as_deref().unwrap_or("");
    let im = match a.provider {
        ProviderKind::Linkedin => Im::Linkedin(LinkedinIm {
            id: user,
            username: &a.name,
            premium_contract_id: None,
            premium_features: a
                .linkedin_products
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    LinkedinProduct::Classic => None,
                    LinkedinProduct::Recruiter => Some("recruiter"),
                    LinkedinProduct::SalesNavigator => Some("sales_navigator"),
                })
                .collect(),
        }),
        ProviderKind::Telegram => Im::Telegram(TelegramIm {
            user_id: user,
            username: &a.name,
        }),
        ProviderKind::Whatsapp => Im::Whatsapp(WhatsappIm { phone_number: user }),
        ProviderKind::Instagram => Im::Instagram(InstagramIm {
            id: user,
            username: &a.name,
        }),
    };
    Account {
        object: "Account",
        id: a.id,
        name: &a.name,
        kind: a.provider,
        created_at: format_ms(a.created_at),
        connection_params: ConnectionParams { im },
        sources: [Source {
            id: format!("{}_MESSAGING", a.id),
            status: a.state.source_status(),
        }],
        groups: [],
    }
}

// The fields in the order this answer has always listed them.
/// The answer to a connect.
#[derive(Serialize, ToSchema)]
pub struct AccountCreated {
    #[schema(value_type = shapes::AccountId)]
    account_id: AccountId,
    #[schema(schema_with = object::account_created)]
    object: &'static str,
}

pub fn account_created(account_id: AccountId) -> AccountCreated {
    AccountCreated {
        account_id,
        object: "AccountCreated",
    }
}

/// The answer to a reconnect.
#[derive(Serialize, ToSchema)]
pub struct AccountReconnected {
    #[schema(value_type = shapes::AccountId)]
    account_id: AccountId,
    #[schema(schema_with = object::account_reconnected)]
    object: &'static str,
}

pub fn account_reconnected(account_id: AccountId) -> AccountReconnected {
    AccountReconnected {
        account_id,
        object: "AccountReconnected",
    }
}

/// The answer to a delete.
#[derive(Serialize, ToSchema)]
pub struct AccountDeleted {
    #[schema(schema_with = object::account_deleted)]
    object: &'static str,
}

pub fn account_deleted() -> AccountDeleted {
    AccountDeleted {
        object: "AccountDeleted",
    }
}
