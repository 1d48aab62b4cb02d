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
use crate::openapi::errors::route_errors;
use crate::openapi::params::{ChatPath, ChatsQuery, PageQuery, SpanQuery};
use crate::views::{self, ChatAttendeeListOfChat, ChatList, MessageList};

route_errors!(ListChatsErrors: KEYED, QUERY, PAGED; ResourceNotFound);

/// List chats.
///
/// The chats of the key's accounts (or of one), by last activity, newest first. An `account_id`
/// this key may not see is a 404. Needs the `messaging:read` scope.
#[utoipa::path(
    get,
    path = "/chats",
    tag = "Chats",
    operation_id = "list_chats",
    security(("api_key" = [])),
    params(ChatsQuery, PageQuery),
    responses((status = 200, description = "A page of chats", body = ChatList), ListChatsErrors),
)]
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

route_errors!(GetChatErrors: KEYED, PATH_ID);

/// Get a chat, with its newest message.
///
/// Needs the `messaging:read` scope.
#[utoipa::path(
    get,
    path = "/chats/{chat_id}",
    tag = "Chats",
    operation_id = "get_chat",
    security(("api_key" = [])),
    params(ChatPath),
    responses((status = 200, description = "The chat, with `lastMessage`", body = views::Chat), GetChatErrors),
)]
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

route_errors!(ListChatMessagesErrors: KEYED, QUERY, PAGED, PATH_ID);

/// List the messages of a chat.
///
/// Newest first. Needs the `messaging:read` scope.
#[utoipa::path(
    get,
    path = "/chats/{chat_id}/messages",
    tag = "Chats",
    operation_id = "list_chat_messages",
    security(("api_key" = [])),
    params(ChatPath, SpanQuery, PageQuery),
    responses((status = 200, description = "A page of messages", body = MessageList), ListChatMessagesErrors),
)]
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

route_errors!(ListChatAttendeesErrors: KEYED, PATH_ID);

/// List the attendees of a chat.
///
/// The chat's participants and senders, all of them (not paged). Needs the `messaging:read`
/// scope.
#[utoipa::path(
    get,
    path = "/chats/{chat_id}/attendees",
    tag = "Chats",
    operation_id = "list_chat_attendees",
    security(("api_key" = [])),
    params(ChatPath),
    responses((status = 200, description = "The chat's attendees", body = ChatAttendeeListOfChat), ListChatAttendeesErrors),
)]
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
