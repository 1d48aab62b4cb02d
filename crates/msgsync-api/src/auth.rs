//! API-key authentication: `X-API-KEY` → owner, mode and scopes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use msgsync_core::time::now_ms;
use msgsync_core::{ErrorKind, Scope};
use msgsync_store::{api_keys, ApiKeyRecord, Store, Tenant};

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
        let record = state
            .keys
            .get(state.store.as_ref(), id)
            .await?
            .ok_or_else(invalid)?;
        if !api_keys::matches(&record, key) || record.mode != mode {
            return Err(invalid());
        }
        if record.revoked_at.is_some_and(|at| at <= now_ms()) {
            return Err(invalid());
        }
        Ok(Caller {
            tenant: Tenant {
                owner: record.owner.clone(),
                mode: record.mode,
            },
            scopes: record.scopes.clone(),
        })
    }
}

/// API-key records, read from the database at most once per key and `ttl`.
///
/// Every request authenticates, and clients that follow a sync poll many times a second; the
/// key is still checked against its hash on every request, only the database read is saved.
/// Keys are revoked from the CLI, another process: a revoked key stops working within `ttl`.
/// Only keys that exist are held, so the map is as large as the set of keys in use.
pub struct KeyCache {
    ttl: Duration,
    records: RwLock<HashMap<String, (Instant, Arc<ApiKeyRecord>)>>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            records: RwLock::default(),
        }
    }

    async fn get(
        &self,
        store: &dyn Store,
        id: &str,
    ) -> Result<Option<Arc<ApiKeyRecord>>, AppError> {
        let fresh = self
            .records
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .filter(|(read_at, _)| read_at.elapsed() < self.ttl)
            .map(|(_, record)| record.clone());
        if fresh.is_some() {
            return Ok(fresh);
        }
        let read_at = Instant::now();
        let record = store.api_key_get(id).await?.map(Arc::new);
        // A poisoned lock still holds a consistent map: every change is one insert or remove.
        let mut records = self.records.write().unwrap_or_else(|e| e.into_inner());
        match &record {
            Some(record) => records.insert(id.to_owned(), (read_at, record.clone())),
            None => records.remove(id),
        };
        Ok(record)
    }
}
