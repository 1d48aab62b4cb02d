//! The error envelope (CONTRACT §4) and the one place errors become HTTP answers.
//!
//! Handlers return [`AppError`]. Its response carries the error as an extension; the envelope
//! middleware ([`crate::middleware::envelope`]) renders the body with the request's path as
//! `instance`, and also turns every other non-2xx answer (unknown route, wrong method, body too
//! large, timeout, panic) into the same envelope. An internal error gets a generic detail with
//! the request id, and the real cause goes to the log.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use msgsync_core::{ApiError, ErrorKind};
use msgsync_engine::{CallError, SyncServiceError};
use msgsync_providers::ProviderError;
use msgsync_store::StoreError;

/// An error a handler returns.
#[derive(Debug)]
pub enum AppError {
    /// An error meant for the API user, shown as it is.
    Api(ApiError),
    /// An error meant for the API user, who may try again after the delay (`Retry-After`).
    RetryLater(ApiError, Duration),
    /// An error answered before the request's body was read to its end: the connection
    /// cannot carry another request, and the answer says so (`Connection: close`).
    Closing(ApiError),
    /// Something broke inside msgsync: logged with the request id, shown as a generic 500.
    Internal(String),
}

impl AppError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        AppError::Api(ApiError::new(kind, detail))
    }
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        AppError::Api(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => AppError::new(
                ErrorKind::ServiceUnavailable,
                "the database is busy or unreachable; retry shortly",
            ),
            StoreError::StorageFull(_) => AppError::new(
                ErrorKind::ServiceUnavailable,
                "msgsync's storage is full: nothing of this request was saved; retry once the \
                 operator has freed space",
            ),
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl From<SyncServiceError> for AppError {
    fn from(e: SyncServiceError) -> Self {
        match e {
            SyncServiceError::Refused(e) => AppError::Api(e),
            SyncServiceError::Store(e) => e.into(),
            SyncServiceError::Internal(e) => AppError::Internal(e),
        }
    }
}

/// Response extension: the error the envelope middleware renders.
#[derive(Debug, Clone)]
pub(crate) struct ErrorToRender(pub AppErrorKind);

#[derive(Debug, Clone)]
pub(crate) enum AppErrorKind {
    Api(ApiError),
    Internal(String),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut closing = false;
        let (status, ext, retry_after) = match self {
            AppError::Api(e) => (e.kind.status(), AppErrorKind::Api(e), None),
            AppError::RetryLater(e, after) => (e.kind.status(), AppErrorKind::Api(e), Some(after)),
            AppError::Closing(e) => {
                closing = true;
                (e.kind.status(), AppErrorKind::Api(e), None)
            }
            AppError::Internal(cause) => (500, AppErrorKind::Internal(cause), None),
        };
        let mut response = StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response();
        if closing {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(after) = retry_after {
            // Whole seconds, rounded up: `Retry-After: 0` would invite a retry storm.
            let seconds = after.as_millis().div_ceil(1000).max(1);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds as u64));
        }
        response.extensions_mut().insert(ErrorToRender(ext));
        response
    }
}

/// 404 `resource_not_found` for `what` (`chat`, `message`…) `id` of the caller's tenant: also
/// what another owner's or mode's key gets, so that ids of other tenants are not confirmed.
pub fn not_found(what: &str, id: impl std::fmt::Display) -> AppError {
    AppError::Api(ApiError::unknown(what, id))
}

/// What a provider call made for the API (not a sync) answers when it fails. `expired` is the
/// type an expired or refused session gets: `invalid_credentials` for credentials an API user
/// just gave, `expired_credentials` for the stored session of an account.
pub fn provider_call_error(error: CallError, expired: ErrorKind) -> AppError {
    let provider = match error {
        CallError::NoConnector(provider) => {
            return AppError::new(
                ErrorKind::FeatureNotImplemented,
                format!("msgsync cannot reach {provider} accounts: it has no connector for them"),
            )
        }
        CallError::Store(e) => return e.into(),
        CallError::AccountGone => {
            return AppError::new(ErrorKind::ResourceNotFound, "the account was deleted")
        }
        CallError::UnreadableCredentials => {
            return AppError::new(ErrorKind::ExpiredCredentials, error.to_string())
        }
        CallError::Provider(e) => e,
    };
    let detail = provider.to_string();
    match provider {
        ProviderError::SessionExpired(_) => AppError::new(expired, detail),
        ProviderError::Deactivated(_) => AppError::new(ErrorKind::DisconnectedAccount, detail),
        ProviderError::Restricted(_) => AppError::new(ErrorKind::AccountRestricted, detail),
        ProviderError::RateLimited { retry_after } => AppError::RetryLater(
            ApiError::new(ErrorKind::ServiceUnavailable, detail),
            retry_after,
        ),
        ProviderError::Unavailable(_) | ProviderError::Transient(_) => {
            AppError::new(ErrorKind::ServiceUnavailable, detail)
        }
        ProviderError::Timeout => AppError::new(ErrorKind::RequestTimeout, detail),
        ProviderError::NotSupported(_) => AppError::new(ErrorKind::FeatureNotImplemented, detail),
        ProviderError::Protocol(_) => AppError::new(ErrorKind::ProviderError, detail),
    }
}

/// The body of every error answer (CONTRACT §4).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorEnvelope<'a> {
    /// The reason phrase of the status (`Bad Request`, `Not Found`…).
    title: &'static str,
    /// What was wrong, in words a user can act on.
    detail: &'a str,
    /// The path of the request.
    instance: &'a str,
    /// The error type, one of the catalogue.
    #[serde(rename = "type")]
    #[schema(value_type = crate::openapi::schemas::shapes::ErrorType)]
    kind: String,
    /// The HTTP status, as answered.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
}

/// The JSON body of an error answer.
pub(crate) fn envelope(error: &ApiError, instance: &str) -> serde_json::Value {
    // Through a `Value`, whose keys are in sorted order, as these answers have always had them.
    serde_json::to_value(ErrorEnvelope {
        title: error.kind.title(),
        detail: &error.detail,
        instance,
        kind: error.kind.type_uri(),
        status: error.kind.status(),
    })
    .expect("the envelope is plain JSON")
}

/// The envelope error for a bare non-2xx answer that no handler described (axum's own 404 and
/// 405, body-limit and timeout layers).
pub(crate) fn for_bare_status(status: StatusCode, method: &str, path: &str) -> ApiError {
    match status.as_u16() {
        404 => ApiError::not_found(format!("no route for {method} {path}")),
        // axum's answer keeps its `Allow` header (the envelope layer keeps headers).
        405 => ApiError::new(
            ErrorKind::MethodNotAllowed,
            format!("{method} is not supported on {path}; the Allow header lists what is"),
        ),
        408 => ApiError::new(
            ErrorKind::RequestTimeout,
            "the request took too long to process",
        ),
        413 => ApiError::new(ErrorKind::ContentTooLarge, "the request body is too large"),
        400 | 415 | 422 => ApiError::new(
            ErrorKind::MalformedRequest,
            "the request could not be understood",
        ),
        s if (400..500).contains(&s) => ApiError::new(
            ErrorKind::InvalidParameters,
            format!("the request was refused ({status})"),
        ),
        503 => ApiError::new(ErrorKind::ServiceUnavailable, "the service is unavailable"),
        504 => ApiError::new(ErrorKind::RequestTimeout, "the request timed out"),
        _ => ApiError::new(ErrorKind::UnexpectedError, "an unexpected error occurred"),
    }
}
