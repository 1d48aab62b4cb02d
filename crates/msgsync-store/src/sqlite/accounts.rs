use msgsync_core::{AccountId, AccountState};
use sqlx::SqlitePool;

use crate::common::outbox;
use crate::common::{account_from_row, cursor_bounds, page_of, products_to_text, storable};
use crate::*;

const COLUMNS: &str = "id, owner, mode, provider, name, state, provider_user_id, \
                       linkedin_products, created_at, updated_at";

pub async fn insert(
    db: &SqlitePool,
    cipher: &CredentialCipher,
    a: &NewAccount,
) -> StoreResult<(AccountRecord, usize)> {
    let sealed = cipher.encrypt(&a.credentials)?;
    let mut tx = super::begin_write(db).await?;
    let row = sqlx::query(&format!(
        "INSERT INTO accounts (id, owner, mode, provider, name, state, provider_user_id,
                               linkedin_products, credentials, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'ok', ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
    ))
    .bind(a.id.to_string())
    .bind(&a.tenant.owner)
    .bind(a.tenant.mode.as_str())
    .bind(a.provider.as_str())
    .bind(storable(&a.name))
    .bind(&a.provider_user_id)
    .bind(products_to_text(&a.linkedin_products))
    .bind(sealed)
    .bind(a.now)
    .bind(a.now)
    // Every row, to the statement's end: a write with RETURNING commits at its last step, and
    // a caller that stopped at the first row would not see that commit fail.
    .fetch_all(&mut *tx)
    .await?;
    let account = account_from_row(row.first().ok_or(StoreError::Corrupt(
        "an INSERT … RETURNING returned no row".into(),
    ))?)?;
    let queued = outbox::report_created::<sqlx::Sqlite>(&mut tx, a.id, a.now).await?;
    tx.commit().await?;
    Ok((account, queued))
}

pub async fn get(
    db: &SqlitePool,
    tenant: &Tenant,
    id: AccountId,
) -> StoreResult<Option<AccountRecord>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE id = ? AND owner = ? AND mode = ?"
    ))
    .bind(id.to_string())
    .bind(&tenant.owner)
    .bind(tenant.mode.as_str())
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(account_from_row)
    .transpose()
}

pub async fn find(db: &SqlitePool, id: AccountId) -> StoreResult<Option<AccountRecord>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?"))
        .bind(id.to_string())
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(account_from_row)
        .transpose()
}

pub async fn list(
    db: &SqlitePool,
    tenant: &Tenant,
    page: &PageRequest,
) -> StoreResult<Page<AccountRecord>> {
    let (at, id) = cursor_bounds(page);
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM accounts
         WHERE owner = ? AND mode = ?
           AND (created_at < ? OR (created_at = ? AND (? = '' OR id < ?)))
         ORDER BY created_at DESC, id DESC LIMIT ?"
    ))
    .bind(&tenant.owner)
    .bind(tenant.mode.as_str())
    .bind(at)
    .bind(at)
    .bind(&id)
    .bind(&id)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db)
    .await?;
    page_of(&rows, page.limit, account_from_row)
}

pub async fn delete(
    db: &SqlitePool,
    tenant: &Tenant,
    id: AccountId,
    now: i64,
) -> StoreResult<(bool, usize)> {
    let mut tx = super::begin_write(db).await?;
    let deleted = outbox::delete_account::<sqlx::Sqlite>(&mut tx, tenant, id, now).await?;
    tx.commit().await?;
    Ok(deleted)
}

pub async fn reconnect(
    db: &SqlitePool,
    cipher: &CredentialCipher,
    id: AccountId,
    u: &AccountReconnect,
) -> StoreResult<usize> {
    let sealed = cipher.encrypt(&u.credentials)?;
    let mut tx = super::begin_write(db).await?;
    let queued = outbox::reconnect_account::<sqlx::Sqlite>(&mut tx, id, sealed, u).await?;
    tx.commit().await?;
    Ok(queued)
}

pub async fn set_state(
    db: &SqlitePool,
    id: AccountId,
    state: AccountState,
    now: i64,
) -> StoreResult<usize> {
    let mut tx = super::begin_write(db).await?;
    let queued = outbox::set_state::<sqlx::Sqlite>(&mut tx, id, state, now).await?;
    tx.commit().await?;
    Ok(queued)
}

pub async fn credentials(
    db: &SqlitePool,
    cipher: &CredentialCipher,
    id: AccountId,
) -> StoreResult<Option<Vec<u8>>> {
    let sealed: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT credentials FROM accounts WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(db)
            .await?;
    sealed
        .map(|s| cipher.decrypt(&s).map_err(Into::into))
        .transpose()
}

pub async fn credentials_update(
    db: &SqlitePool,
    cipher: &CredentialCipher,
    u: &AccountCredentialsUpdate,
) -> StoreResult<bool> {
    let sealed = cipher.encrypt(&u.credentials)?;
    let done = sqlx::query(
        "UPDATE accounts SET credentials = ?, updated_at = ? WHERE id = ? AND updated_at = ?",
    )
    .bind(sealed)
    .bind(u.now)
    .bind(u.id.to_string())
    .bind(u.expected_updated_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
