//! Extractors whose rejections come out in the error envelope.

use std::collections::HashMap;
use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use msgsync_core::time::parse_instant;
use msgsync_core::{ApiError, ErrorKind, IdError, Span};
use msgsync_store::{PageCursor, PageRequest};
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::router::MAX_BODY_BYTES;

/// A JSON body; a bad one is `malformed_request`, a too large one `content_too_large`.
///
/// The body is read up to the transport limit ([`crate::router::MAX_READ_BYTES`]) before the
/// JSON limit ([`crate::router::MAX_BODY_BYTES`]) is checked, so that a client sending a body a
/// little too large reads our answer instead of a connection closed under its feet.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v.eq_ignore_ascii_case("application/json") || v.ends_with("+json")
            });
        let too_large = || {
            AppError::new(
                ErrorKind::ContentTooLarge,
                format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
            )
        };
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                // Past the transport limit the rest of the body stays unread: the connection
                // ends with this answer.
                match too_large() {
                    AppError::Api(e) => AppError::Closing(e),
                    other => other,
                }
            } else {
                AppError::new(ErrorKind::MalformedRequest, rejection.body_text())
            }
        })?;
        if bytes.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        if !is_json {
            return Err(AppError::new(
                ErrorKind::MalformedRequest,
                "the body must be JSON, sent with `content-type: application/json`",
            ));
        }
        serde_json::from_slice(&bytes).map(AppJson).map_err(|e| {
            AppError::new(
                ErrorKind::MalformedRequest,
                format!("the body is not valid JSON: {e}"),
            )
        })
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
            .map(|raw| {
                PageCursor::decode(raw).ok_or_else(|| {
                    AppError::new(
                        ErrorKind::InvalidParameters,
                        format!("invalid cursor `{raw}`"),
                    )
                })
            })
            .transpose()?;
        Ok(PageRequest { limit, cursor })
    }
}

impl QueryMap {
    /// An instant parameter (epoch milliseconds or ISO 8601).
    pub fn instant(&self, name: &str) -> Result<Option<i64>, AppError> {
        self.get(name)
            .map(|raw| {
                parse_instant(raw).ok_or_else(|| {
                    AppError::new(
                        ErrorKind::InvalidParameters,
                        format!(
                            "{name} must be epoch milliseconds or an ISO 8601 date-time, got `{raw}`"
                        ),
                    )
                })
            })
            .transpose()
    }

    /// The `after` / `before` span of a list route; `after` later than `before` is refused, as
    /// the resync route refuses it.
    pub fn span(&self) -> Result<Span, AppError> {
        let span = Span {
            after: self.instant("after")?,
            before: self.instant("before")?,
        };
        if let (Some(after), Some(before)) = (span.after, span.before) {
            if after > before {
                return Err(AppError::new(
                    ErrorKind::InvalidParameters,
                    "after must not be later than before",
                ));
            }
        }
        Ok(span)
    }

    /// An optional id parameter (`account_id=acc_…`); a malformed one is `invalid_parameters`.
    pub fn id<T: FromStr<Err = IdError>>(&self, name: &str) -> Result<Option<T>, AppError> {
        self.get(name)
            .map(|raw| {
                raw.parse::<T>()
                    .map_err(|e| AppError::new(ErrorKind::InvalidParameters, e.to_string()))
            })
            .transpose()
    }
}

/// Parses a path id; a malformed one is a 404 `invalid_resource_identifier`.
pub fn path_id<T: FromStr<Err = IdError>>(raw: &str) -> Result<T, AppError> {
    raw.parse::<T>().map_err(|e| {
        AppError::Api(ApiError::new(
            ErrorKind::InvalidResourceIdentifier,
            e.to_string(),
        ))
    })
}
