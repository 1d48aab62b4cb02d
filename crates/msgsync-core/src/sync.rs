//! Resync parameters and statuses (CONTRACT §3).

use serde::{Deserialize, Serialize};

use crate::account::LinkedinProduct;
use crate::error::{ApiError, ErrorKind};
use crate::time::parse_instant;

/// The largest `chunk_size` a resync accepts.
pub const MAX_CHUNK_SIZE: u32 = 1000;

/// A closed time span in epoch milliseconds; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub after: Option<i64>,
    pub before: Option<i64>,
}

impl Span {
    pub fn contains(&self, ms: i64) -> bool {
        self.after.is_none_or(|a| ms >= a) && self.before.is_none_or(|b| ms <= b)
    }

    pub fn is_unbounded(&self) -> bool {
        self.after.is_none() && self.before.is_none()
    }
}

/// The parameters of one resync request, validated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncParams {
    pub chunk_size: Option<u32>,
    pub partial: bool,
    pub span: Span,
    pub linkedin_product: Option<LinkedinProduct>,
}

impl SyncParams {
    /// Whether a run with `next` continues a chunked series run with `self`
    /// (same span, product and `partial`; the chunk size may change).
    pub fn continues_with(&self, next: &SyncParams) -> bool {
        self.span == next.span
            && self.linkedin_product == next.linkedin_product
            && self.partial == next.partial
    }

    /// Parses the raw query values of the resync route.
    pub fn parse(raw: &RawSyncParams<'_>) -> Result<SyncParams, ApiError> {
        let chunk_size = match raw.chunk_size {
            None => None,
            Some(s) => {
                let n: i64 = s.trim().parse().map_err(|_| {
                    ApiError::invalid_parameters(format!(
                        "chunk_size must be an integer between 1 and {MAX_CHUNK_SIZE}, got `{s}`"
                    ))
                })?;
                if n > i64::from(MAX_CHUNK_SIZE) {
                    return Err(ApiError::new(
                        ErrorKind::LimitTooHigh,
                        format!("chunk_size must be at most {MAX_CHUNK_SIZE}, got {n}"),
                    ));
                }
                if n < 1 {
                    return Err(ApiError::invalid_parameters(format!(
                        "chunk_size must be between 1 and {MAX_CHUNK_SIZE}, got {n}"
                    )));
                }
                Some(n as u32)
            }
        };
        let partial = match raw.partial.map(str::trim) {
            None => false,
            Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(other) => {
                return Err(ApiError::invalid_parameters(format!(
                    "partial must be true, false, 1 or 0, got `{other}`"
                )))
            }
        };
        let instant = |name: &str, value: Option<&str>| -> Result<Option<i64>, ApiError> {
            value
                .map(|v| {
                    parse_instant(v).ok_or_else(|| {
                        ApiError::invalid_parameters(format!(
                            "{name} must be epoch milliseconds or an ISO 8601 date-time, got `{v}`"
                        ))
                    })
                })
                .transpose()
        };
        let span = Span {
            after: instant("after", raw.after)?,
            before: instant("before", raw.before)?,
        };
        if let (Some(a), Some(b)) = (span.after, span.before) {
            if a > b {
                return Err(ApiError::invalid_parameters(format!(
                    "after ({a}) must not be later than before ({b})"
                )));
            }
        }
        let linkedin_product = raw
            .linkedin_product
            .map(|p| {
                p.parse::<LinkedinProduct>().map_err(|_| {
                    ApiError::invalid_parameters(format!(
                        "linkedin_product must be classic, recruiter or sales_navigator, got `{p}`"
                    ))
                })
            })
            .transpose()?;
        Ok(SyncParams {
            chunk_size,
            partial,
            span,
            linkedin_product,
        })
    }
}

/// The query values of the resync route as they came, before validation.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawSyncParams<'a> {
    pub chunk_size: Option<&'a str>,
    pub partial: Option<&'a str>,
    pub after: Option<&'a str>,
    pub before: Option<&'a str>,
    pub linkedin_product: Option<&'a str>,
}

/// What the resync route answers in `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SyncStatus {
    SyncStarted,
    SyncRunning,
    SyncDone,
    SyncError,
    ChunkDone,
}

/// How a finished sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    /// The whole scope was synced.
    Done,
    /// `chunk_size` chats were synced and more remain.
    ChunkDone,
    /// The sync failed; the job carries the error.
    Error,
}

impl SyncOutcome {
    pub fn status(self) -> SyncStatus {
        match self {
            SyncOutcome::Done => SyncStatus::SyncDone,
            SyncOutcome::ChunkDone => SyncStatus::ChunkDone,
            SyncOutcome::Error => SyncStatus::SyncError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: RawSyncParams<'_>) -> Result<SyncParams, ApiError> {
        SyncParams::parse(&raw)
    }

    #[test]
    fn defaults_are_a_full_unchunked_resync() {
        let p = parse(RawSyncParams::default()).unwrap();
        assert_eq!(p, SyncParams::default());
        assert!(!p.partial);
    }

    #[test]
    fn chunk_size_bounds() {
        let raw = |s| RawSyncParams {
            chunk_size: Some(s),
            ..Default::default()
        };
        assert_eq!(parse(raw("1")).unwrap().chunk_size, Some(1));
        assert_eq!(parse(raw("1000")).unwrap().chunk_size, Some(1000));
        assert_eq!(
            parse(raw("0")).unwrap_err().kind,
            ErrorKind::InvalidParameters
        );
        assert_eq!(
            parse(raw("-3")).unwrap_err().kind,
            ErrorKind::InvalidParameters
        );
        assert_eq!(
            parse(raw("ten")).unwrap_err().kind,
            ErrorKind::InvalidParameters
        );
        assert_eq!(
            parse(raw("1001")).unwrap_err().kind,
            ErrorKind::LimitTooHigh
        );
    }

    #[test]
    fn partial_and_span() {
        let p = parse(RawSyncParams {
            partial: Some("1"),
            after: Some("1000"),
            before: Some("1970-01-01T00:00:02Z"),
            ..Default::default()
        })
        .unwrap();
        assert!(p.partial);
        assert_eq!(
            p.span,
            Span {
                after: Some(1000),
                before: Some(2000)
            }
        );
        let err = parse(RawSyncParams {
            partial: Some("maybe"),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.detail.contains("maybe"));
        let err = parse(RawSyncParams {
            after: Some("5"),
            before: Some("4"),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidParameters);
    }

    #[test]
    fn continuation_ignores_chunk_size_only() {
        let a = SyncParams {
            chunk_size: Some(10),
            ..Default::default()
        };
        let b = SyncParams {
            chunk_size: Some(5),
            ..Default::default()
        };
        assert!(a.continues_with(&b));
        let c = SyncParams { partial: true, ..a };
        assert!(!a.continues_with(&c));
    }
}
