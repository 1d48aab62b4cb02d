//! `Account`: one shape per provider, as the SDK's account union has them.

use msgsync_core::time::format_ms;
use msgsync_core::{AccountId, LinkedinProduct, ProviderKind};
use msgsync_store::AccountRecord;
use serde::Serialize;

#[derive(Serialize)]
pub struct Account<'a> {
    object: &'static str,
    id: AccountId,
    name: &'a str,
    #[serde(rename = "type")]
    kind: ProviderKind,
    created_at: String,
    connection_params: ConnectionParams<'a>,
    sources: [Source; 1],
    groups: [&'a str; 0],
}

#[derive(Serialize)]
struct ConnectionParams<'a> {
    im: Im<'a>,
}

/// `connection_params.im`, whose fields differ by provider.
#[derive(Serialize)]
#[serde(untagged)]
enum Im<'a> {
    Linkedin {
        id: &'a str,
        username: &'a str,
        /// The Recruiter contract the session is bound to; msgsync does not bind one yet.
        #[serde(rename = "premiumContractId")]
        premium_contract_id: Option<&'a str>,
        /// The paid products among the account's inboxes (the SDK knows no `classic`).
        #[serde(rename = "premiumFeatures", skip_serializing_if = "Vec::is_empty")]
        premium_features: Vec<&'static str>,
    },
    Telegram {
        user_id: &'a str,
        username: &'a str,
    },
    Whatsapp {
        phone_number: &'a str,
    },
    Instagram {
        id: &'a str,
        username: &'a str,
    },
}

#[derive(Serialize)]
struct Source {
    id: String,
    status: &'static str,
}

pub fn account(a: &AccountRecord) -> Account<'_> {
    // An account whose provider identity is not known yet (registered without a connector)
    // shows an empty id: the SDK requires the field to be a string.
    let user = a.provider_user_id.as_deref().unwrap_or("");
    let im = match a.provider {
        ProviderKind::Linkedin => Im::Linkedin {
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
        },
        ProviderKind::Telegram => Im::Telegram {
            user_id: user,
            username: &a.name,
        },
        ProviderKind::Whatsapp => Im::Whatsapp { phone_number: user },
        ProviderKind::Instagram => Im::Instagram {
            id: user,
            username: &a.name,
        },
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
