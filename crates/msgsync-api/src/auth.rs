//! API-key authentication: `X-API-KEY` → owner, mode and scopes.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use msgsync_core::time::now_ms;
use msgsync_core::{ErrorKind, Scope};
use msgsync_store::{api_keys, Tenant};

use crate::app::AppState;
use crate::error::AppError;

pub const API_KEY_HEADER: &str = "x-api-key";

/// The caller, as its key describes it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: Tenant,
    pub scopes: Vec<Scope>,
}

impl Caller {
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorKind::InsufficientPrivileges,
                format!("this API key lacks the `{}` scope", scope.as_str()),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Some(value) = parts.headers.get(API_KEY_HEADER) else {
            return Err(AppError::new(
                ErrorKind::MissingCredentials,
                "missing API key: send it in the X-API-KEY header",
            ));
        };
        let invalid = || AppError::new(ErrorKind::InvalidCredentials, "unknown or revoked API key");
        let key = value.to_str().map_err(|_| invalid())?.trim();
        let (mode, id) = api_keys::parse(key).ok_or_else(invalid)?;
        let record = state.store.api_key_get(id).await?.ok_or_else(invalid)?;
        if !api_keys::matches(&record, key) || record.mode != mode {
            return Err(invalid());
        }
        if record.revoked_at.is_some_and(|at| at <= now_ms()) {
            return Err(invalid());
        }
        Ok(Caller {
            tenant: Tenant {
                owner: record.owner,
                mode: record.mode,
            },
            scopes: record.scopes,
        })
    }
}
