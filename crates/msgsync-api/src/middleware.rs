//! Cross-cutting layers: request ids, the error envelope, panics.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use msgsync_core::{ApiError, ErrorKind};
use tracing::Instrument;

use crate::error::{envelope as envelope_body, for_bare_status, AppErrorKind, ErrorToRender};

/// Gives every request an id (logged, returned in `x-request-id`) and renders every non-2xx
/// answer in the error envelope.
pub async fn envelope(request: Request, next: Next) -> Response {
    let request_id = ulid::Ulid::new().to_string();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", id = %request_id, %method, %path);
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        set_request_id(&mut response, &request_id);
        return response;
    }
    let error = match response.extensions_mut().remove::<ErrorToRender>() {
        Some(ErrorToRender(AppErrorKind::Api(e))) => e,
        Some(ErrorToRender(AppErrorKind::Internal(cause))) => {
            span.in_scope(|| tracing::error!(%cause, "internal error"));
            internal(&request_id)
        }
        None if status == StatusCode::INTERNAL_SERVER_ERROR => {
            span.in_scope(|| tracing::error!("internal error without a cause"));
            internal(&request_id)
        }
        None => for_bare_status(status, &method, &path),
    };
    if error.kind == ErrorKind::UnexpectedError {
        span.in_scope(|| tracing::error!(detail = %error.detail, "answered 500"));
    }
    let body = envelope_body(&error, &path);
    let mut rendered = (
        StatusCode::from_u16(error.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
        .into_response();
    // Keep headers a layer set on purpose (e.g. `retry-after`), but not the old body's.
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    set_request_id(&mut rendered, &request_id);
    rendered
}

fn internal(request_id: &str) -> ApiError {
    ApiError::new(
        ErrorKind::UnexpectedError,
        format!("an unexpected error occurred; request id {request_id}"),
    )
}

fn set_request_id(response: &mut Response, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert("x-request-id", value);
    }
}

/// What a panic in a handler becomes: a 500 whose cause is logged by [`envelope`].
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let cause = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a handler panicked".to_owned());
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response
        .extensions_mut()
        .insert(ErrorToRender(AppErrorKind::Internal(format!(
            "panic: {cause}"
        ))));
    response
}
