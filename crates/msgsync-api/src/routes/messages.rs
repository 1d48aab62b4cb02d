//! `/api/v1/messages`: messages across chats, one message, an attachment's file.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::TryStreamExt;
use msgsync_core::content::Attachment;
use msgsync_core::{AccountId, ErrorKind, MessageId, Scope};
use msgsync_providers::AttachmentRequest;
use msgsync_store::{MessageRecord, MessageSearch};

use super::accounts::find_account;
use super::chats::find_chat;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{not_found, provider_call_error, AppError};
use crate::extract::{path_id, QueryMap};
use crate::openapi::errors::route_errors;
use crate::openapi::params::{
    AccountFilter, AttachmentPath, MessagePath, PageQuery, SenderFilter, SpanQuery,
};
use crate::views::{self, MessageList};

route_errors!(ListMessagesErrors: KEYED, QUERY, PAGED; ResourceNotFound);

/// List messages across chats.
///
/// The messages of the key's accounts (or of one), newest first. Needs the `messaging:read`
/// scope.
#[utoipa::path(
    get,
    path = "/messages",
    tag = "Messages",
    operation_id = "list_messages",
    security(("api_key" = [])),
    params(AccountFilter, SenderFilter, SpanQuery, PageQuery),
    responses((status = 200, description = "A page of messages", body = MessageList), ListMessagesErrors),
)]
pub async fn list_messages(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryMap,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let account_id = query.id::<AccountId>("account_id")?;
    if let Some(id) = account_id {
        find_account(&state, &caller, id).await?;
    }
    let search = MessageSearch {
        account_id,
        sender_id: query
            .get("sender_id")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        span: query.span()?,
        page: query.page()?,
    };
    let messages = state.store.message_search(&caller.tenant, &search).await?;
    Ok(Json(views::list("MessageList", &messages, views::message)).into_response())
}

async fn find_message(
    state: &AppState,
    caller: &Caller,
    raw: &str,
) -> Result<MessageRecord, AppError> {
    let id: MessageId = path_id(raw)?;
    state
        .store
        .message_get(&caller.tenant, id)
        .await?
        .ok_or_else(|| not_found("message", id))
}

route_errors!(GetMessageErrors: KEYED, PATH_ID);

/// Get a message.
///
/// Needs the `messaging:read` scope.
#[utoipa::path(
    get,
    path = "/messages/{message_id}",
    tag = "Messages",
    operation_id = "get_message",
    security(("api_key" = [])),
    params(MessagePath),
    responses((status = 200, description = "The message", body = views::Message), GetMessageErrors),
)]
pub async fn get_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let message = find_message(&state, &caller, &id).await?;
    Ok(Json(views::message(&message)).into_response())
}

route_errors!(GetMessageAttachmentErrors: KEYED, PATH_ID, PROVIDER_CALL; ExpiredCredentials);

/// Download an attachment's file.
///
/// Streams the file from the provider as it arrives, with its content type (nothing is kept
/// whole in memory). A failure before the first byte is an error in the envelope; a failure
/// after it cuts the answer short of its `content-length`. An attachment the provider dropped
/// (`unavailable`) and a shared LinkedIn post (a link, not a file) are 404. Needs the
/// `messaging:read` scope.
#[utoipa::path(
    get,
    path = "/messages/{message_id}/attachments/{attachment_id}",
    tag = "Messages",
    operation_id = "get_message_attachment",
    security(("api_key" = [])),
    params(MessagePath, AttachmentPath),
    responses(
        (
            status = 200,
            description = "The file, with its content type (`application/octet-stream` when \
                           unknown), `content-length` when known, and `content-disposition`",
            content_type = "*/*",
            body = Vec<u8>,
        ),
        GetMessageAttachmentErrors,
    ),
)]
pub async fn get_message_attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path((message_id, attachment_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    caller.require(Scope::MessagingRead)?;
    let message = find_message(&state, &caller, &message_id).await?;
    let attachments: Vec<Attachment> = serde_json::from_str(&message.attachments)
        .map_err(|e| AppError::Internal(format!("stored attachments do not parse: {e}")))?;
    let no_file = |why: &str| {
        AppError::new(
            ErrorKind::ResourceNotFound,
            format!("message {} {why}", message.id),
        )
    };
    let attachment = attachments
        .into_iter()
        .find(|a| a.id == attachment_id)
        .ok_or_else(|| no_file("has no attachment with this id"))?;
    if attachment.unavailable {
        return Err(no_file(
            "has this attachment no longer: the provider dropped it",
        ));
    }
    if attachment.kind == "linkedin_post" {
        return Err(no_file(
            "shares a LinkedIn post with this attachment: a link (its `url`), not a file",
        ));
    }
    let account = find_account(&state, &caller, message.account_id).await?;
    let chat = find_chat(&state, &caller, &message.chat_id.to_string()).await?;
    let request = AttachmentRequest {
        inbox: chat.inbox,
        chat_provider_id: chat.provider_id,
        chat_provider_ref: chat.provider_ref,
        message_provider_id: message.provider_id.clone(),
        attachment,
    };
    let download = state
        .engine
        .download_attachment(&account, &request)
        .await
        .map_err(|e| provider_call_error(e, ErrorKind::ExpiredCredentials))?;
    let attachment = &request.attachment;
    let content_type = download
        .content_type
        .clone()
        .or_else(|| attachment.mimetype.clone())
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let body = Body::from_stream(
        download
            .body
            .map_err(|e| std::io::Error::other(e.to_string())),
    );
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    if let Some(length) = download.length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    let name = attachment.file_name.as_deref().unwrap_or(&attachment.id);
    if let Ok(value) = HeaderValue::from_str(&content_disposition(name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII fallback with anything
/// unsafe replaced, and the exact name percent-encoded.
fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(name.len());
    for b in name.bytes() {
        // RFC 5987 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn content_disposition_keeps_ascii_names_and_encodes_the_rest() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("café \"x\".pdf"),
            "attachment; filename=\"caf_ _x_.pdf\"; filename*=UTF-8''caf%C3%A9%20%22x%22.pdf"
        );
    }
}
