//! `GET /api/v1/accounts/{account_id}/sync`: start, follow and report resyncs (CONTRACT §3),
//! and the sync history. The decisions are the engine's sync service's; these parse and render.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use msgsync_core::sync::RawSyncParams;
use msgsync_core::{AccountId, Scope, SyncId, SyncParams};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::AppError;
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
    let resync = state.engine.resync(&caller.tenant, id, params).await?;
    Ok(Json(views::resync(resync.status, &resync.job)).into_response())
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
    let syncs = state
        .engine
        .account_syncs(&caller.tenant, path_id(&id)?, &page)
        .await?;
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
    let id: AccountId = path_id(&id)?;
    let sync_id: SyncId = path_id(&sync_id)?;
    let job = state
        .engine
        .account_sync(&caller.tenant, id, sync_id)
        .await?;
    Ok(Json(views::sync(&job)).into_response())
}
