//! `/api/v1/accounts`: connect, list, get, delete, reconnect.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use msgsync_core::time::now_ms;
use msgsync_core::{AccountId, ApiKeyMode, ErrorKind, ProviderKind, Scope};
use msgsync_providers::{AccountProfile, Credentials, ProxyProtocol, ProxySettings};
use msgsync_store::{AccountReconnect, AccountRecord, NewAccount};
use serde_json::{Map, Value};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{not_found, provider_call_error, AppError};
use crate::extract::{path_id, AppJson, QueryMap};
use crate::openapi::bodies::ConnectAccount;
use crate::openapi::errors::route_errors;
use crate::openapi::params::{AccountPath, PageQuery};
use crate::views::{self, AccountCreated, AccountDeleted, AccountList, AccountReconnected};

/// What a connect or reconnect body carries, validated.
struct ConnectBody {
    provider: ProviderKind,
    credentials: Credentials,
}

fn string_field<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, AppError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(AppError::new(
            ErrorKind::InvalidParameters,
            format!("`{name}` must be a string"),
        )),
    }
}

fn invalid(detail: impl Into<String>) -> AppError {
    AppError::new(ErrorKind::InvalidParameters, detail)
}

/// Unipile's `proxy` object: `protocol` (`http`, `https`, `socks5`; `http` when absent, as a
/// proxy address without a scheme means for curl), `host`, `port`, optional `username` and
/// `password`.
fn parse_proxy(value: &Value) -> Result<ProxySettings, AppError> {
    let Value::Object(proxy) = value else {
        return Err(invalid("`proxy` must be an object with `host` and `port`"));
    };
    let protocol = match string_field(proxy, "protocol")? {
        None => ProxyProtocol::Http,
        Some(p) => ProxyProtocol::parse(p).ok_or_else(|| {
            invalid(format!(
                "unknown proxy protocol `{p}`: expected http, https or socks5"
            ))
        })?,
    };
    let host = string_field(proxy, "host")?
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or_else(|| AppError::new(ErrorKind::MissingParameters, "`proxy.host` is required"))?;
    if host.contains(|c: char| c.is_whitespace() || "/@?#".contains(c)) {
        return Err(invalid("`proxy.host` must be a host name or an IP address"));
    }
    let port = match proxy.get("port") {
        Some(Value::Number(n)) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|p| *p != 0)
    .ok_or_else(|| invalid("`proxy.port` must be a port number (1 to 65535)"))?;
    let username = string_field(proxy, "username")?.map(str::to_owned);
    let password = string_field(proxy, "password")?.map(str::to_owned);
    if password.is_some() && username.is_none() {
        return Err(invalid("`proxy.password` needs `proxy.username`"));
    }
    Ok(ProxySettings {
        protocol,
        host: host.to_owned(),
        port,
        username,
        password,
    })
}

fn parse_body(body: &Value, expected: Option<ProviderKind>) -> Result<ConnectBody, AppError> {
    let Value::Object(body) = body else {
        return Err(AppError::new(
            ErrorKind::MalformedRequest,
            "the body must be a JSON object",
        ));
    };
    let provider = match string_field(body, "provider")? {
        None => expected
            .ok_or_else(|| AppError::new(ErrorKind::MissingParameters, "`provider` is required"))?,
        Some(p) => p.parse::<ProviderKind>().map_err(|_| {
            AppError::new(
                ErrorKind::InvalidParameters,
                format!(
                    "unknown provider `{p}`: expected LINKEDIN, TELEGRAM, WHATSAPP or INSTAGRAM"
                ),
            )
        })?,
    };
    if expected.is_some_and(|e| e != provider) {
        return Err(AppError::new(
            ErrorKind::InvalidParameters,
            format!(
                "this account is a {} account; it cannot be reconnected as {provider}",
                expected.map_or("", |e| e.as_str())
            ),
        ));
    }
    let secret_field = match provider {
        ProviderKind::Telegram => "session",
        _ => "access_token",
    };
    let secret = string_field(body, secret_field)?
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            AppError::new(
                ErrorKind::MissingParameters,
                format!("`{secret_field}` is required for a {provider} account"),
            )
        })?;
    if secret.len() > 16 * 1024 {
        return Err(AppError::new(
            ErrorKind::TooManyCharacters,
            format!("`{secret_field}` is longer than 16384 characters"),
        ));
    }
    let user_agent = string_field(body, "user_agent")?.map(str::to_owned);
    let proxy = match body.get("proxy") {
        None | Some(Value::Null) => None,
        // The Telegram connector does not carry MTProto through a proxy yet: refused rather
        // than connected directly.
        Some(_) if provider == ProviderKind::Telegram => {
            return Err(AppError::new(
                ErrorKind::FeatureNotImplemented,
                "msgsync cannot connect Telegram accounts through a proxy yet; connect it \
                 without `proxy`",
            ))
        }
        Some(p) => Some(parse_proxy(p)?),
    };
    // Unipile's LinkedIn cookie connection: `premium_token` is the `li_a` cookie of Recruiter
    // and Sales Navigator, `recruiter_contract_id` the Recruiter contract.
    let linkedin = |name: &str| -> Result<Option<String>, AppError> {
        let value = string_field(body, name)?
            .map(str::trim)
            .filter(|v| !v.is_empty());
        match (value, provider) {
            (Some(_), p) if p != ProviderKind::Linkedin => Err(invalid(format!(
                "`{name}` applies to LinkedIn accounts only; this is a {p} account"
            ))),
            (v, _) => Ok(v.map(str::to_owned)),
        }
    };
    Ok(ConnectBody {
        provider,
        credentials: Credentials {
            secret: secret.to_owned(),
            user_agent,
            proxy,
            premium_token: linkedin("premium_token")?,
            recruiter_contract_id: linkedin("recruiter_contract_id")?,
        },
    })
}

/// Checks the credentials with the connector of the caller's mode.
fn check(
    state: &AppState,
    mode: ApiKeyMode,
    body: &ConnectBody,
) -> Result<AccountProfile, AppError> {
    let secret = &body.credentials.secret;
    let is_sandbox = secret == "sandbox" || secret.starts_with("sandbox:");
    if mode == ApiKeyMode::Live && is_sandbox {
        return Err(AppError::new(
            ErrorKind::InvalidParameters,
            "sandbox credentials need a test key (pp_test_…)",
        ));
    }
    match (mode, state.engine.connectors().get(body.provider, mode)) {
        (_, Some(connector)) => Ok(connector.check_credentials(&body.credentials)?),
        (ApiKeyMode::Test, None) if secret == "sandbox" => Ok(AccountProfile {
            name: format!("Sandbox {} account", body.provider),
            provider_user_id: None,
            linkedin_products: None,
        }),
        (ApiKeyMode::Test, None) => Err(AppError::new(
            ErrorKind::InvalidParameters,
            format!(
                "a test key connects {} sandbox accounts with the credential `sandbox`",
                body.provider
            ),
        )),
        // No connector yet: the account can be registered and listed; its resync answers 501.
        (ApiKeyMode::Live, None) => Ok(AccountProfile {
            name: format!("{} account", body.provider),
            provider_user_id: None,
            linkedin_products: None,
        }),
    }
}

fn encode_credentials(c: &Credentials) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec(c).map_err(|e| AppError::Internal(format!("encoding credentials: {e}")))
}

/// Who the credentials belong to: what the connector reads from them, completed by the
/// provider's own answer (its id of the account and the account's name). Providers msgsync has
/// no connector for are registered on what the credentials say.
async fn identify(
    state: &AppState,
    mode: ApiKeyMode,
    account_id: AccountId,
    body: &ConnectBody,
) -> Result<AccountProfile, AppError> {
    let checked = check(state, mode, body)?;
    if state.engine.connectors().get(body.provider, mode).is_none() {
        return Ok(checked);
    }
    let known = state
        .engine
        .identify(body.provider, mode, account_id, body.credentials.clone())
        .await
        .map_err(|e| provider_call_error(e, ErrorKind::InvalidCredentials))?;
    Ok(AccountProfile {
        name: known.name,
        provider_user_id: known.provider_user_id.or(checked.provider_user_id),
        linkedin_products: known.linkedin_products.or(checked.linkedin_products),
    })
}

route_errors!(CreateAccountErrors: KEYED, CONNECT_BODY, PROVIDER_CALL);

/// Connect an account.
///
/// Checks the credentials with the provider (who the account is: LinkedIn's `/voyager/api/me`,
/// Telegram's own user) before storing them encrypted: a dead session is refused with 401
/// `errors/invalid_credentials`. Connecting does not start a sync: call the resync route.
/// Needs the `accounts:write` scope.
#[utoipa::path(
    post,
    path = "/accounts",
    tag = "Accounts",
    operation_id = "create_account",
    security(("api_key" = [])),
    request_body(content = ConnectAccount, content_type = "application/json"),
    responses(
        (status = 201, description = "Connected", body = AccountCreated),
        CreateAccountErrors,
    ),
)]
pub async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<Value>,
) -> Result<(StatusCode, Json<AccountCreated>), AppError> {
    caller.require(Scope::AccountsWrite)?;
    let body = parse_body(&body, None)?;
    let id = AccountId::new();
    let profile = identify(&state, caller.tenant.mode, id, &body).await?;
    let account = state
        .store
        .account_insert(&NewAccount {
            id,
            tenant: caller.tenant.clone(),
            provider: body.provider,
            name: profile.name,
            provider_user_id: profile.provider_user_id,
            linkedin_products: profile.linkedin_products,
            credentials: encode_credentials(&body.credentials)?,
            now: now_ms(),
        })
        .await?;
    tracing::info!(account = %account.id, provider = %account.provider, "account connected");
    Ok((
        StatusCode::CREATED,
        Json(views::account_created(account.id)),
    ))
}

route_errors!(ListAccountsErrors: KEYED, QUERY, PAGED);

/// List the accounts.
///
/// The accounts of the key's owner and mode, newest first. Needs the `accounts:read` scope.
#[utoipa::path(
    get,
    path = "/accounts",
    tag = "Accounts",
    operation_id = "list_accounts",
    security(("api_key" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of accounts", body = AccountList), ListAccountsErrors),
)]
pub async fn list_accounts(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryMap,
) -> Result<Response, AppError> {
    caller.require(Scope::AccountsRead)?;
    let page = state
        .store
        .account_list(&caller.tenant, &query.page()?)
        .await?;
    Ok(Json(views::list("AccountList", &page, views::account)).into_response())
}

route_errors!(GetAccountErrors: KEYED, PATH_ID);

/// Get an account.
///
/// Needs the `accounts:read` scope.
#[utoipa::path(
    get,
    path = "/accounts/{account_id}",
    tag = "Accounts",
    operation_id = "get_account",
    security(("api_key" = [])),
    params(AccountPath),
    responses((status = 200, description = "The account", body = views::Account), GetAccountErrors),
)]
pub async fn get_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(Scope::AccountsRead)?;
    let account = find_account(&state, &caller, path_id(&id)?).await?;
    Ok(Json(views::account(&account)).into_response())
}

route_errors!(DeleteAccountErrors: KEYED, PATH_ID);

/// Delete an account.
///
/// Deletes the account with its chats, messages and syncs; a sync in progress stops. Needs the
/// `accounts:write` scope.
#[utoipa::path(
    delete,
    path = "/accounts/{account_id}",
    tag = "Accounts",
    operation_id = "delete_account",
    security(("api_key" = [])),
    params(AccountPath),
    responses((status = 200, description = "Deleted", body = AccountDeleted), DeleteAccountErrors),
)]
pub async fn delete_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AccountDeleted>, AppError> {
    caller.require(Scope::AccountsWrite)?;
    let id: AccountId = path_id(&id)?;
    state.engine.delete_account(&caller.tenant, id).await?;
    tracing::info!(account = %id, "account deleted");
    Ok(Json(views::account_deleted()))
}

route_errors!(ReconnectAccountErrors: KEYED, PATH_ID, CONNECT_BODY, PROVIDER_CALL; AccountMismatch);

/// Reconnect an account.
///
/// Replaces the account's credentials, once the provider has confirmed them; `provider` may be
/// left out (it must be the account's). Credentials of another provider user than the
/// account's are refused with 403 `errors/account_mismatch`, changing nothing. Needs the
/// `accounts:write` scope.
#[utoipa::path(
    post,
    path = "/accounts/{account_id}",
    tag = "Accounts",
    operation_id = "reconnect_account",
    security(("api_key" = [])),
    params(AccountPath),
    request_body(content = ConnectAccount, content_type = "application/json"),
    responses((status = 200, description = "Reconnected", body = AccountReconnected), ReconnectAccountErrors),
)]
pub async fn reconnect_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    AppJson(body): AppJson<Value>,
) -> Result<Json<AccountReconnected>, AppError> {
    caller.require(Scope::AccountsWrite)?;
    let account = find_account(&state, &caller, path_id(&id)?).await?;
    let id = account.id;
    let body = parse_body(&body, Some(account.provider))?;
    let profile = identify(&state, caller.tenant.mode, id, &body).await?;
    if let (Some(was), Some(now)) = (&account.provider_user_id, &profile.provider_user_id) {
        if was != now {
            return Err(AppError::new(
                ErrorKind::AccountMismatch,
                format!(
                    "these credentials belong to another {} user than account {id}; \
                     connect them as a new account instead",
                    account.provider
                ),
            ));
        }
    }
    state
        .engine
        .reconnect_account(
            id,
            &AccountReconnect {
                name: profile.name,
                provider_user_id: profile.provider_user_id,
                linkedin_products: profile.linkedin_products,
                credentials: encode_credentials(&body.credentials)?,
                now: now_ms(),
            },
        )
        .await?;
    tracing::info!(account = %id, "account reconnected");
    Ok(Json(views::account_reconnected(id)))
}

/// The caller's account `id`, or 404.
pub(crate) async fn find_account(
    state: &AppState,
    caller: &Caller,
    id: AccountId,
) -> Result<AccountRecord, AppError> {
    state
        .store
        .account_get(&caller.tenant, id)
        .await?
        .ok_or_else(|| account_not_found(id))
}

pub fn account_not_found(id: AccountId) -> AppError {
    not_found("account", id)
}
