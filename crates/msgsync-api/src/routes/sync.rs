//! `GET /api/v1/accounts/{account_id}/sync`: start, follow and report resyncs (CONTRACT §3).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use msgsync_core::sync::RawSyncParams;
use msgsync_core::time::now_ms;
use msgsync_core::{
    AccountId, AccountState, ApiKeyMode, ErrorKind, ProviderKind, Scope, SyncId, SyncParams,
    SyncStatus,
};
use msgsync_store::{AccountRecord, SyncRequest, SyncRequestResult};

use super::accounts::{account_not_found, find_account};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{not_found, AppError};
use crate::extract::{path_id, QueryMap};
use crate::openapi::errors::route_errors;
use crate::openapi::params::{AccountPath, PageQuery, ResyncQuery, SyncPath};
use crate::views::{self, AccountSync, AccountSyncList, Resync};

route_errors!(
    SyncAccountErrors: KEYED, QUERY, PATH_ID;
    LimitTooHigh, ExpiredCredentials, DisconnectedAccount, FeatureNotSubscribed,
    AccountRestricted, FeatureNotImplemented
);

/// Resync an account, or follow its resync.
///
/// The state machine, per account:
///
/// - No sync in progress, and no finished sync waiting to be reported: the request starts one
///   and answers `SYNC_STARTED`.
/// - A sync in progress: the request's parameters are not applied; it answers `SYNC_RUNNING`.
/// - A sync finished and its outcome was not yet reported: the request answers that outcome
///   (`SYNC_DONE`, `CHUNK_DONE` or `SYNC_ERROR`), once.
/// - After `CHUNK_DONE`, a request with the same span, product and `partial` continues with the
///   next chunk of chats; other parameters start over.
/// - Any number of concurrent requests for one account start at most one sync.
///
/// Needs the `accounts:sync` scope.
#[utoipa::path(
    get,
    path = "/accounts/{account_id}/sync",
    tag = "Sync",
    operation_id = "sync_account",
    security(("api_key" = [])),
    params(AccountPath, ResyncQuery),
    responses(
        (status = 200, description = "The sync this request started, follows or reports", body = Resync),
        SyncAccountErrors,
    ),
)]
pub async fn sync_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: QueryMap,
) -> Result<Response, AppError> {
    caller.require(Scope::AccountsSync)?;
    let id: AccountId = path_id(&id)?;
    let params = SyncParams::parse(&RawSyncParams {
        chunk_size: query.get("chunk_size"),
        partial: query.get("partial"),
        after: query.get("after"),
        before: query.get("before"),
        linkedin_product: query.get("linkedin_product"),
    })?;
    // The common request, polling a sync that runs on this node, is answered from the run's
    // own record of its progress, without reading the database.
    let live = state.engine.live_sync(id).filter(|live| {
        live.account.owner == caller.tenant.owner && live.account.mode == caller.tenant.mode
    });
    if let Some(live) = live {
        check_provider(&state, &live.account, &params)?;
        return Ok(Json(views::resync(SyncStatus::SyncRunning, &live.job)).into_response());
    }
    let account = state
        .store
        .account_get(&caller.tenant, id)
        .await?
        .ok_or_else(|| account_not_found(id))?;
    check_provider(&state, &account, &params)?;
    refuse_unlistable_inboxes(&state, &account, &params).await?;
    let request = SyncRequest {
        account_id: id,
        params,
        now: now_ms(),
        may_start: matches!(account.state, AccountState::Ok | AccountState::Error),
    };
    let (status, job) = match state.engine.request_sync(&request).await? {
        SyncRequestResult::Started(job) => (SyncStatus::SyncStarted, job),
        SyncRequestResult::Running(job) => (SyncStatus::SyncRunning, job),
        SyncRequestResult::Finished(job) => (finished_status(&job), job),
        SyncRequestResult::NotStarted => return Err(state_error(&account)),
    };
    Ok(Json(views::resync(status, &job)).into_response())
}

route_errors!(ListSyncsErrors: KEYED, QUERY, PAGED, PATH_ID);

/// List an account's syncs.
///
/// The account's syncs, newest first: parameters, state, progress, retry state and timings. It
/// only reads: it never starts a sync, nor takes the outcome the resync route reports. Needs the
/// `accounts:read` scope.
#[utoipa::path(
    get,
    path = "/accounts/{account_id}/syncs",
    tag = "Sync",
    operation_id = "list_syncs",
    security(("api_key" = [])),
    params(AccountPath, PageQuery),
    responses((status = 200, description = "A page of syncs", body = AccountSyncList), ListSyncsErrors),
)]
pub async fn list_syncs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: QueryMap,
) -> Result<Response, AppError> {
    caller.require(Scope::AccountsRead)?;
    let page = query.page()?;
    let account = find_account(&state, &caller, path_id(&id)?).await?;
    let mut syncs = state.store.sync_list(account.id, &page).await?;
    for job in &mut syncs.items {
        fresher(&state, job);
    }
    Ok(Json(views::list("AccountSyncList", &syncs, views::sync)).into_response())
}

route_errors!(GetSyncErrors: KEYED, PATH_ID);

/// Get one sync of an account.
///
/// Reads only, as the sync history does. Needs the `accounts:read` scope.
#[utoipa::path(
    get,
    path = "/accounts/{account_id}/syncs/{sync_id}",
    tag = "Sync",
    operation_id = "get_sync",
    security(("api_key" = [])),
    params(AccountPath, SyncPath),
    responses((status = 200, description = "The sync", body = AccountSync), GetSyncErrors),
)]
pub async fn get_sync(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, sync_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    caller.require(Scope::AccountsRead)?;
    let account = find_account(&state, &caller, path_id(&id)?).await?;
    let sync_id: SyncId = path_id(&sync_id)?;
    let mut job = state
        .store
        .sync_get(account.id, sync_id)
        .await?
        .ok_or_else(|| not_found("sync", sync_id))?;
    fresher(&state, &mut job);
    Ok(Json(views::sync(&job)).into_response())
}

/// A sync running on this node is shown as its run knows it (its database row lags by up to
/// a page).
fn fresher(state: &AppState, job: &mut msgsync_store::SyncJob) {
    if let Some(live) = state.engine.live_sync(job.account_id) {
        if live.job.id == job.id {
            *job = live.job.clone();
        }
    }
}

fn finished_status(job: &msgsync_store::SyncJob) -> SyncStatus {
    match job.state {
        msgsync_store::JobState::Done => SyncStatus::SyncDone,
        msgsync_store::JobState::ChunkDone => SyncStatus::ChunkDone,
        _ => SyncStatus::SyncError,
    }
}

/// Refuses what the account's provider cannot do.
fn check_provider(
    state: &AppState,
    account: &AccountRecord,
    params: &SyncParams,
) -> Result<(), AppError> {
    let Some(connector) = state
        .engine
        .connectors()
        .get(account.provider, account.mode)
    else {
        return Err(AppError::new(
            ErrorKind::FeatureNotImplemented,
            match (account.provider, account.mode) {
                (ProviderKind::Telegram, ApiKeyMode::Live) => {
                    "this server has no Telegram app to sync live Telegram accounts with: set \
                     MSGSYNC_TELEGRAM_API_ID and MSGSYNC_TELEGRAM_API_HASH (from \
                     my.telegram.org) and restart it"
                        .to_owned()
                }
                (ProviderKind::Linkedin | ProviderKind::Telegram, mode) => format!(
                    "this server has no connector configured for {} {} accounts",
                    mode.as_str(),
                    account.provider
                ),
                (ProviderKind::Whatsapp | ProviderKind::Instagram, _) => {
                    format!("msgsync cannot sync {} accounts", account.provider)
                }
            },
        ));
    };
    if let Some(product) = params.linkedin_product {
        if account.provider != ProviderKind::Linkedin {
            return Err(AppError::new(
                ErrorKind::InvalidParameters,
                format!(
                    "linkedin_product applies to LinkedIn accounts only; this is a {} account",
                    account.provider
                ),
            ));
        }
        if let Some(products) = &account.linkedin_products {
            if !products.contains(&product) {
                return Err(AppError::new(
                    ErrorKind::FeatureNotSubscribed,
                    format!("this LinkedIn account has no {product} inbox"),
                ));
            }
        }
    }
    // An inbox the connector cannot list is refused, never synced as empty.
    if let Some(why) = params
        .linkedin_product
        .and_then(|inbox| connector.inbox_not_implemented(inbox))
    {
        return Err(AppError::new(ErrorKind::FeatureNotImplemented, why));
    }
    Ok(())
}

/// A resync of every inbox of an account with one the connector cannot list is refused
/// (501), never synced without it; a request that only polls a running sync or collects an
/// outcome still gets its answer.
async fn refuse_unlistable_inboxes(
    state: &AppState,
    account: &AccountRecord,
    params: &SyncParams,
) -> Result<(), AppError> {
    if params.linkedin_product.is_some() {
        return Ok(());
    }
    let Some(connector) = state
        .engine
        .connectors()
        .get(account.provider, account.mode)
    else {
        return Ok(());
    };
    let Some(why) = account
        .linkedin_products
        .iter()
        .flatten()
        .find_map(|inbox| connector.inbox_not_implemented(*inbox))
    else {
        return Ok(());
    };
    let answers_without_starting = state
        .store
        .sync_latest(account.id)
        .await?
        .is_some_and(|job| {
            matches!(
                job.state,
                msgsync_store::JobState::Queued | msgsync_store::JobState::Running
            ) || !job.reported
        });
    if answers_without_starting {
        return Ok(());
    }
    Err(AppError::new(ErrorKind::FeatureNotImplemented, why))
}

/// The error for an account whose state forbids starting a sync.
fn state_error(account: &AccountRecord) -> AppError {
    match account.state {
        AccountState::Credentials => AppError::new(
            ErrorKind::ExpiredCredentials,
            "the provider session of this account has expired: reconnect it",
        ),
        AccountState::Restricted => AppError::new(
            ErrorKind::AccountRestricted,
            "the provider has restricted this account",
        ),
        AccountState::Disconnected => AppError::new(
            ErrorKind::DisconnectedAccount,
            "the provider account behind this account was deleted or banned; reconnect it if the provider restored it",
        ),
        AccountState::Ok | AccountState::Error => AppError::Internal(format!(
            "no sync started for account {} in state ok",
            account.id
        )),
    }
}
