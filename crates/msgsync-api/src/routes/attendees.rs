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
use crate::views;

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

pub async fn get_attendee(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let attendee = find_attendee(&state, &caller, &id).await?;
    Ok(Json(views::attendee(&attendee)).into_response())
}

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
