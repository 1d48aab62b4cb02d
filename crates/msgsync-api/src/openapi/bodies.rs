//! The request bodies, as the document shows them. The handlers read a body as JSON and check
//! it themselves (`routes::accounts`), with errors in words a user can act on; these types only
//! describe it, and the schemathesis test holds the server to them.

use msgsync_core::ProviderKind;
use serde::Serialize;
use utoipa::ToSchema;

use super::schemas;

/// The body of a connect or a reconnect: the provider and its credentials, as
/// Unipile's cookie connection has them. Fields other than these are ignored.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ConnectAccount {
    #[schema(title = "LinkedIn")]
    Linkedin(LinkedinConnect),
    #[schema(title = "Telegram")]
    Telegram(TelegramConnect),
    #[schema(title = "WhatsApp or Instagram")]
    Other(OtherConnect),
}

/// A LinkedIn account: its session cookies.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct LinkedinConnect {
    #[schema(schema_with = linkedin)]
    provider: String,
    /// The `li_at` cookie (or a whole `Cookie` header with `li_at` and `JSESSIONID`); under a
    /// test key, a sandbox scenario: `sandbox` or `sandbox:KEY=VALUE,…`. At most 16384 bytes.
    #[schema(
        min_length = 1,
        max_length = 16384,
        examples("sandbox:chats=5,messages=10")
    )]
    access_token: String,
    /// The browser's user agent the session was made with.
    #[schema(examples("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"))]
    user_agent: Option<String>,
    /// The `li_a` cookie of a premium session (Recruiter, Sales Navigator).
    premium_token: Option<String>,
    /// The Recruiter contract to bind the session to.
    recruiter_contract_id: Option<String>,
    proxy: Option<Proxy>,
}

/// A Telegram account: its session. (A `proxy` is refused with 501
/// `errors/feature_not_implemented`: msgsync does not carry MTProto through one yet.)
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct TelegramConnect {
    #[schema(schema_with = telegram)]
    provider: String,
    /// A Telethon string session; under a test key, a sandbox scenario: `sandbox` or
    /// `sandbox:KEY=VALUE,…`. At most 16384 bytes.
    #[schema(min_length = 1, max_length = 16384, examples("sandbox:chats=5"))]
    session: String,
}

/// A WhatsApp or Instagram account: registered and listed, not synced (msgsync has no
/// connector for them: their resync answers 501).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct OtherConnect {
    #[schema(schema_with = whatsapp_or_instagram)]
    provider: String,
    /// The provider credential; `sandbox` under a test key. At most 16384 bytes.
    #[schema(min_length = 1, max_length = 16384, examples("sandbox"))]
    access_token: String,
}

/// The proxy the account's provider traffic goes through (Unipile's `proxy`).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Proxy {
    #[schema(schema_with = proxy_protocol)]
    protocol: Option<String>,
    /// A host name or an IP address.
    #[schema(min_length = 1)]
    host: String,
    #[schema(minimum = 1, maximum = 65535)]
    port: u16,
    username: Option<String>,
    /// Only with `username`.
    password: Option<String>,
}

fn linkedin() -> utoipa::openapi::Object {
    schemas::constant(ProviderKind::Linkedin.as_str())
}

fn telegram() -> utoipa::openapi::Object {
    schemas::constant(ProviderKind::Telegram.as_str())
}

fn whatsapp_or_instagram() -> utoipa::openapi::Object {
    schemas::one_of_strings(
        [ProviderKind::Whatsapp, ProviderKind::Instagram].map(ProviderKind::as_str),
    )
}

fn proxy_protocol() -> utoipa::openapi::Object {
    let mut schema = schemas::one_of_strings(["http", "https", "socks5"]);
    schema.description = Some("`http` when absent".to_owned());
    schema
}
