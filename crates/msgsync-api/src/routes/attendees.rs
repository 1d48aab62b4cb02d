//! `/api/v1/chat_attendees`: the people of an account's chats, their chats and messages.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use msgsync_core::{AccountId, AttendeeId, Scope};
use msgsync_store::{AttendeeQuery, AttendeeRecord, MessageSearch};

use super::accounts::find_account;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{not_found, AppError};
use crate::extract::{path_id, QueryMap};
use crate::openapi::errors::route_errors;
use crate::openapi::params::{AccountFilter, AttendeePath, PageQuery, SpanQuery};
use crate::views::{self, ChatAttendeeList, ChatList, MessageList};

route_errors!(ListAttendeesErrors: KEYED, QUERY, PAGED; ResourceNotFound);

/// List attendees.
///
/// The people of the key's accounts' chats (or of one account's), in id order. Needs the
/// `messaging:read` scope.
#[utoipa::path(
    get,
    path = "/chat_attendees",
    tag = "Attendees",
    operation_id = "list_attendees",
    security(("api_key" = [])),
    params(AccountFilter, PageQuery),
    responses((status = 200, description = "A page of attendees", body = ChatAttendeeList), ListAttendeesErrors),
)]
pub async fn list_attendees(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryMap,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let account_id = query.id::<AccountId>("account_id")?;
    if let Some(id) = account_id {
        find_account(&state, &caller, id).await?;
    }
    let page = query.page()?;
    let attendees = state
        .store
        .attendee_list(&caller.tenant, &AttendeeQuery { account_id, page })
        .await?;
    Ok(Json(views::list("ChatAttendeeList", &attendees, views::attendee)).into_response())
}

async fn find_attendee(
    state: &AppState,
    caller: &Caller,
    raw: &str,
) -> Result<AttendeeRecord, AppError> {
    let id: AttendeeId = path_id(raw)?;
    state
        .store
        .attendee_get(&caller.tenant, id)
        .await?
        .ok_or_else(|| not_found("chat attendee", id))
}

route_errors!(GetAttendeeErrors: KEYED, PATH_ID);

/// Get an attendee.
///
/// Needs the `messaging:read` scope.
#[utoipa::path(
    get,
    path = "/chat_attendees/{attendee_id}",
    tag = "Attendees",
    operation_id = "get_attendee",
    security(("api_key" = [])),
    params(AttendeePath),
    responses((status = 200, description = "The attendee", body = views::ChatAttendee), GetAttendeeErrors),
)]
pub async fn get_attendee(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let attendee = find_attendee(&state, &caller, &id).await?;
    Ok(Json(views::attendee(&attendee)).into_response())
}

route_errors!(ListAttendeeChatsErrors: KEYED, QUERY, PAGED, PATH_ID);

/// List the chats an attendee takes part in.
///
/// Newest first. Needs the `messaging:read` scope.
#[utoipa::path(
    get,
    path = "/chat_attendees/{attendee_id}/chats",
    tag = "Attendees",
    operation_id = "list_attendee_chats",
    security(("api_key" = [])),
    params(AttendeePath, PageQuery),
    responses((status = 200, description = "A page of chats", body = ChatList), ListAttendeeChatsErrors),
)]
pub async fn list_attendee_chats(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: QueryMap,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let page = query.page()?;
    let attendee = find_attendee(&state, &caller, &id).await?;
    let chats = state.store.chat_list_of_attendee(&attendee, &page).await?;
    Ok(Json(views::list("ChatList", &chats, views::chat)).into_response())
}

route_errors!(ListAttendeeMessagesErrors: KEYED, QUERY, PAGED, PATH_ID);

/// List the messages an attendee sent.
///
/// Newest first, across the chats of the attendee's account. Needs the `messaging:read` scope.
#[utoipa::path(
    get,
    path = "/chat_attendees/{attendee_id}/messages",
    tag = "Attendees",
    operation_id = "list_attendee_messages",
    security(("api_key" = [])),
    params(AttendeePath, SpanQuery, PageQuery),
    responses((status = 200, description = "A page of messages", body = MessageList), ListAttendeeMessagesErrors),
)]
pub async fn list_attendee_messages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: QueryMap,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let page = query.page()?;
    let span = query.span()?;
    let attendee = find_attendee(&state, &caller, &id).await?;
    let search = MessageSearch {
        account_id: Some(attendee.account_id),
        sender_id: Some(attendee.provider_id.clone()),
        span,
        page,
    };
    let messages = state.store.message_search(&caller.tenant, &search).await?;
    Ok(Json(views::list("MessageList", &messages, views::message)).into_response())
}
