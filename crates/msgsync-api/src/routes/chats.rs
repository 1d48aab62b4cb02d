//! `/api/v1/chats` and the messages of a chat.

use axum::extract::{Path, State};
use axum::Json;
use msgsync_core::time::parse_instant;
use msgsync_core::{AccountId, ChatId, ErrorKind, Scope, Span};
use msgsync_store::{ChatQuery, ChatRecord, MessageQuery};
use serde_json::Value;

use super::accounts::account_not_found;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::{path_id, QueryMap};
use crate::views;

pub async fn list_chats(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryMap,
) -> Result<Json<Value>, AppError> {
    caller.require(Scope::MessagingRead)?;
    let account_id = query
        .get("account_id")
        .map(|raw| {
            raw.parse::<AccountId>()
                .map_err(|e| AppError::new(ErrorKind::InvalidParameters, e.to_string()))
        })
        .transpose()?;
    if let Some(id) = account_id {
        state
            .store
            .account_get(&caller.tenant, id)
            .await?
            .ok_or_else(|| account_not_found(id))?;
    }
    let chats = state
        .store
        .chat_list(
            &caller.tenant,
            &ChatQuery {
                account_id,
                page: query.page()?,
            },
        )
        .await?;
    Ok(Json(views::list("ChatList", &chats, views::chat)))
}

async fn find_chat(state: &AppState, caller: &Caller, raw: &str) -> Result<ChatRecord, AppError> {
    let id: ChatId = path_id(raw)?;
    state
        .store
        .chat_get(&caller.tenant, id)
        .await?
        .ok_or_else(|| {
            AppError::new(
                ErrorKind::ResourceNotFound,
                format!("no chat {id} for this API key"),
            )
        })
}

pub async fn get_chat(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    caller.require(Scope::MessagingRead)?;
    let chat = find_chat(&state, &caller, &id).await?;
    Ok(Json(views::chat(&chat)))
}

pub async fn list_chat_messages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: QueryMap,
) -> Result<Json<Value>, AppError> {
    caller.require(Scope::MessagingRead)?;
    let page = query.page()?;
    let instant = |name: &str| {
        query
            .get(name)
            .map(|raw| {
                parse_instant(raw).ok_or_else(|| {
                    AppError::new(
                        ErrorKind::InvalidParameters,
                        format!("{name} must be epoch milliseconds or an ISO 8601 date-time, got `{raw}`"),
                    )
                })
            })
            .transpose()
    };
    let span = Span {
        after: instant("after")?,
        before: instant("before")?,
    };
    let chat = find_chat(&state, &caller, &id).await?;
    let messages = state
        .store
        .message_list(&chat, &MessageQuery { span, page })
        .await?;
    Ok(Json(views::list("MessageList", &messages, views::message)))
}
