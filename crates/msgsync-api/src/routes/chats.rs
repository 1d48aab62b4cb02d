//! `/api/v1/chats`: chats, the messages of a chat, its attendees.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use msgsync_core::{AccountId, ChatId, ErrorKind, ProviderKind, Scope};
use msgsync_store::{ChatQuery, ChatRecord, MessageQuery};

use super::accounts::find_account;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{not_found, AppError};
use crate::extract::{path_id, QueryMap};
use crate::views;

pub async fn list_chats(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryMap,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let account_id = query.id::<AccountId>("account_id")?;
    if let Some(id) = account_id {
        find_account(&state, &caller, id).await?;
    }
    let account_type = query
        .get("account_type")
        .map(|raw| {
            raw.parse::<ProviderKind>().map_err(|_| {
                AppError::new(
                    ErrorKind::InvalidParameters,
                    format!("unknown account_type `{raw}`"),
                )
            })
        })
        .transpose()?;
    let unread = query
        .get("unread")
        .map(|raw| match raw {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(AppError::new(
                ErrorKind::InvalidParameters,
                format!("unread must be true or false, got `{raw}`"),
            )),
        })
        .transpose()?;
    let chat_query = ChatQuery {
        account_id,
        account_type,
        span: query.span()?,
        unread,
        page: query.page()?,
    };
    let chats = state.store.chat_list(&caller.tenant, &chat_query).await?;
    Ok(Json(views::list("ChatList", &chats, views::chat)).into_response())
}

pub(crate) async fn find_chat(
    state: &AppState,
    caller: &Caller,
    raw: &str,
) -> Result<ChatRecord, AppError> {
    let id: ChatId = path_id(raw)?;
    state
        .store
        .chat_get(&caller.tenant, id)
        .await?
        .ok_or_else(|| not_found("chat", id))
}

pub async fn get_chat(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let chat = find_chat(&state, &caller, &id).await?;
    let last = state.store.message_last(&chat).await?;
    Ok(Json(views::chat_with_last_message(&chat, last.as_ref())).into_response())
}

pub async fn list_chat_messages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: QueryMap,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let page = query.page()?;
    let span = query.span()?;
    let chat = find_chat(&state, &caller, &id).await?;
    let messages = state
        .store
        .message_list(&chat, &MessageQuery { span, page })
        .await?;
    Ok(Json(views::list("MessageList", &messages, views::message)).into_response())
}

pub async fn list_chat_attendees(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let chat = find_chat(&state, &caller, &id).await?;
    let attendees = state.store.attendee_list_of_chat(&chat).await?;
    Ok(Json(views::attendee_list(&attendees)).into_response())
}
