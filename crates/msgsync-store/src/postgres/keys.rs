use sqlx::PgPool;

use crate::common::{key_from_row, storable};
use crate::{ApiKeyRecord, StoreResult};

pub async fn insert(db: &PgPool, key: &ApiKeyRecord) -> StoreResult<()> {
    let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
    sqlx::query(
        "INSERT INTO api_keys (id, owner, name, mode, scopes, key_hash, created_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&key.id)
    .bind(&key.owner)
    .bind(storable(&key.name))
    .bind(key.mode.as_str())
    .bind(scopes.join(","))
    .bind(&key.key_hash)
    .bind(key.created_at)
    .bind(key.revoked_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get(db: &PgPool, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
    sqlx::query("SELECT * FROM api_keys WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(key_from_row)
        .transpose()
}

pub async fn list(db: &PgPool) -> StoreResult<Vec<ApiKeyRecord>> {
    sqlx::query("SELECT * FROM api_keys ORDER BY created_at, id")
        .fetch_all(db)
        .await?
        .iter()
        .map(key_from_row)
        .collect()
}

pub async fn revoke(db: &PgPool, id: &str, now: i64) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}
