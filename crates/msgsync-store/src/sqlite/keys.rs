use sqlx::SqlitePool;

use crate::common::{key_from_row, storable};
use crate::{ApiKeyRecord, StoreResult};

pub async fn insert(db: &SqlitePool, key: &ApiKeyRecord) -> StoreResult<()> {
    let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
    sqlx::query(
        "INSERT INTO api_keys (id, owner, name, mode, scopes, key_hash, created_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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

pub async fn get(db: &SqlitePool, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
    sqlx::query("SELECT * FROM api_keys WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(key_from_row)
        .transpose()
}

pub async fn list(db: &SqlitePool) -> StoreResult<Vec<ApiKeyRecord>> {
    sqlx::query("SELECT * FROM api_keys ORDER BY created_at, id")
        .fetch_all(db)
        .await?
        .iter()
        .map(key_from_row)
        .collect()
}

pub async fn revoke(db: &SqlitePool, id: &str, now: i64) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}
