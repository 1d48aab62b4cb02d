//! Extractors whose rejections come out in the error envelope.

use std::collections::HashMap;
use std::str::FromStr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use base64::Engine as _;
use msgsync_core::{ApiError, ErrorKind, IdError};
use msgsync_store::{PageCursor, PageRequest};

use crate::error::AppError;

/// A JSON body; a bad one is `malformed_request`, a too large one `content_too_large`.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(AppJson(v)),
            Err(rejection) => {
                let kind = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ErrorKind::ContentTooLarge
                } else {
                    ErrorKind::MalformedRequest
                };
                Err(AppError::new(kind, rejection.body_text()))
            }
        }
    }
}

/// The query string as name → value (the first value of a repeated name).
pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|e| {
            AppError::new(
                ErrorKind::InvalidParameters,
                format!("the query string could not be parsed: {e}"),
            )
        })?;
        let mut map = HashMap::new();
        for (k, v) in pairs {
            map.entry(k).or_insert(v);
        }
        Ok(QueryMap(map))
    }
}

impl QueryMap {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `limit` (1..=250, default 100) and `cursor` of a list route.
    pub fn page(&self) -> Result<PageRequest, AppError> {
        const MAX_LIMIT: i64 = 250;
        let limit = match self.get("limit") {
            None => 100,
            Some(raw) => {
                let n: i64 = raw.trim().parse().map_err(|_| {
                    AppError::new(
                        ErrorKind::InvalidParameters,
                        format!("limit must be an integer between 1 and {MAX_LIMIT}, got `{raw}`"),
                    )
                })?;
                if n > MAX_LIMIT {
                    return Err(AppError::new(
                        ErrorKind::LimitTooHigh,
                        format!("limit must be at most {MAX_LIMIT}, got {n}"),
                    ));
                }
                if n < 1 {
                    return Err(AppError::new(
                        ErrorKind::InvalidParameters,
                        format!("limit must be between 1 and {MAX_LIMIT}, got {n}"),
                    ));
                }
                n as u32
            }
        };
        let cursor = self
            .get("cursor")
            .filter(|c| !c.is_empty())
            .map(decode_cursor)
            .transpose()?;
        Ok(PageRequest { limit, cursor })
    }
}

/// Cursors are opaque to API users: base64url of `instant:id`.
pub fn encode_cursor(cursor: &PageCursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}:{}", cursor.at, cursor.id))
}

fn decode_cursor(raw: &str) -> Result<PageCursor, AppError> {
    let bad = || AppError::new(ErrorKind::InvalidParameters, format!("invalid cursor `{raw}`"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once(':').ok_or_else(bad)?;
    Ok(PageCursor {
        at: at.parse().map_err(|_| bad())?,
        id: id.to_owned(),
    })
}

/// Parses a path id; a malformed one is a 404 `invalid_resource_identifier`.
pub fn path_id<T: FromStr<Err = IdError>>(raw: &str) -> Result<T, AppError> {
    raw.parse::<T>().map_err(|e| {
        AppError::Api(ApiError::new(ErrorKind::InvalidResourceIdentifier, e.to_string()))
    })
}
