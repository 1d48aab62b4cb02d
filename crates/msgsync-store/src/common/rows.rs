//! How records map to the columns both schemas share: the decoders read a row of either
//! database ([`ReadRow`]), since both store each field as the same Rust type.

use msgsync_core::{LinkedinProduct, Scope, SyncParams};

use super::dialect::ReadRow;
use crate::{
    AccountRecord, ApiKeyRecord, AttendeeRecord, ChatRecord, JobState, StoreError, StoreResult,
    SyncJob,
};

/// The columns of a [`crate::ChatRecord`], from `chats c` joined with `accounts a`: the same
/// list in both dialects' SELECTs.
pub(crate) const CHAT_COLUMNS: &str =
    "c.id, c.account_id, a.provider AS account_type, c.provider_id, c.inbox, \
     c.name, c.kind, c.timestamp, c.unread_count, c.archived, c.muted_until, c.read_only, \
     c.folder, c.attendee_provider_id, c.content_type, c.deleted, c.provider_ref";

/// The columns of a [`crate::AttendeeRecord`], from `attendees t`.
pub(crate) const ATTENDEE_COLUMNS: &str =
    "t.id, t.account_id, t.provider_id, t.name, t.is_self, t.profile_url, t.picture_url, t.linkedin";

/// A stored value that does not read back as what it should be.
pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected {what} `{value}`"))
}

pub(crate) fn products_to_text(products: &Option<Vec<LinkedinProduct>>) -> Option<String> {
    products
        .as_ref()
        .map(|ps| ps.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("+"))
}

pub(crate) fn products_from_text(
    text: Option<String>,
) -> StoreResult<Option<Vec<LinkedinProduct>>> {
    text.map(|t| {
        t.split('+')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|_| corrupt("linkedin product", s)))
            .collect()
    })
    .transpose()
}

pub(crate) fn account_from_row(row: &impl ReadRow) -> StoreResult<AccountRecord> {
    let id: String = row.read("id")?;
    let mode: String = row.read("mode")?;
    let provider: String = row.read("provider")?;
    let state: String = row.read("state")?;
    Ok(AccountRecord {
        id: id.parse().map_err(|_| corrupt("account id", &id))?,
        owner: row.read("owner")?,
        mode: mode.parse().map_err(|_| corrupt("account mode", &mode))?,
        provider: provider
            .parse()
            .map_err(|_| corrupt("provider", &provider))?,
        name: row.read("name")?,
        state: state
            .parse()
            .map_err(|_| corrupt("account state", &state))?,
        provider_user_id: row.read("provider_user_id")?,
        linkedin_products: products_from_text(row.read("linkedin_products")?)?,
        created_at: row.read("created_at")?,
        updated_at: row.read("updated_at")?,
    })
}

pub(crate) fn attendee_from_row(row: &impl ReadRow) -> StoreResult<AttendeeRecord> {
    let id: String = row.read("id")?;
    let account_id: String = row.read("account_id")?;
    let linkedin: Option<String> = row.read("linkedin")?;
    Ok(AttendeeRecord {
        id: id.parse().map_err(|_| corrupt("attendee id", &id))?,
        account_id: account_id
            .parse()
            .map_err(|_| corrupt("account id", &account_id))?,
        provider_id: row.read("provider_id")?,
        name: row.read("name")?,
        is_self: row.read("is_self")?,
        profile_url: row.read("profile_url")?,
        picture_url: row.read("picture_url")?,
        linkedin: linkedin
            .map(|l| serde_json::from_str(&l).map_err(|_| corrupt("LinkedIn member", &l)))
            .transpose()?,
    })
}

pub(crate) fn key_from_row(row: &impl ReadRow) -> StoreResult<ApiKeyRecord> {
    let mode: String = row.read("mode")?;
    let scopes: String = row.read("scopes")?;
    Ok(ApiKeyRecord {
        id: row.read("id")?,
        owner: row.read("owner")?,
        name: row.read("name")?,
        mode: mode.parse().map_err(|_| corrupt("key mode", &mode))?,
        scopes: scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<Scope>().map_err(|_| corrupt("scope", s)))
            .collect::<StoreResult<_>>()?,
        key_hash: row.read("key_hash")?,
        created_at: row.read("created_at")?,
        revoked_at: row.read("revoked_at")?,
    })
}

pub(crate) fn job_from_row(row: &impl ReadRow) -> StoreResult<SyncJob> {
    let id: String = row.read("id")?;
    let account_id: String = row.read("account_id")?;
    let series_id: String = row.read("series_id")?;
    let state: String = row.read("state")?;
    let params: String = row.read("params")?;
    Ok(SyncJob {
        id: id.parse().map_err(|_| corrupt("sync id", &id))?,
        account_id: account_id
            .parse()
            .map_err(|_| corrupt("account id", &account_id))?,
        series_id: series_id
            .parse()
            .map_err(|_| corrupt("sync id", &series_id))?,
        chunk_number: row.read("chunk_number")?,
        state: JobState::parse(&state).ok_or_else(|| corrupt("job state", &state))?,
        reported: row.read("reported")?,
        params: serde_json::from_str::<SyncParams>(&params)
            .map_err(|_| corrupt("sync params", &params))?,
        cursor: row.read("cursor")?,
        chats_synced: row.read("chats_synced")?,
        messages_synced: row.read("messages_synced")?,
        chunk_chats: row.read("chunk_chats")?,
        chats_total: row.read("chats_total")?,
        messages_total: row.read("messages_total")?,
        attempts: row.read("attempts")?,
        error_kind: row.read("error_kind")?,
        error_detail: row.read("error_detail")?,
        run_after: row.read("run_after")?,
        lease_owner: row.read("lease_owner")?,
        lease_expires_at: row.read("lease_expires_at")?,
        lease_token: row.read("lease_token")?,
        created_at: row.read("created_at")?,
        updated_at: row.read("updated_at")?,
        finished_at: row.read("finished_at")?,
    })
}

pub(crate) fn chat_from_row(row: &impl ReadRow) -> StoreResult<ChatRecord> {
    let id: String = row.read("id")?;
    let account_id: String = row.read("account_id")?;
    let account_type: String = row.read("account_type")?;
    let inbox: Option<String> = row.read("inbox")?;
    Ok(ChatRecord {
        id: id.parse().map_err(|_| corrupt("chat id", &id))?,
        account_id: account_id
            .parse()
            .map_err(|_| corrupt("account id", &account_id))?,
        account_type: account_type
            .parse()
            .map_err(|_| corrupt("provider", &account_type))?,
        provider_id: row.read("provider_id")?,
        inbox: inbox
            .map(|i| i.parse().map_err(|_| corrupt("inbox", &i)))
            .transpose()?,
        name: row.read("name")?,
        kind: row.read("kind")?,
        timestamp: row.read("timestamp")?,
        unread_count: row.read("unread_count")?,
        archived: row.read("archived")?,
        muted_until: row.read("muted_until")?,
        read_only: row.read("read_only")?,
        folder: row.read("folder")?,
        attendee_provider_id: row.read("attendee_provider_id")?,
        content_type: row.read("content_type")?,
        deleted: row.read("deleted")?,
        provider_ref: row.read("provider_ref")?,
    })
}

/// `text` as every backend stores it: NUL characters, which PostgreSQL's `text` cannot hold,
/// replaced with U+FFFD (see `SyncCheckpoint::replace_nul`). For the texts a provider or an
/// operator gives outside of a checkpoint: account names, key names, error details.
pub(crate) fn storable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}").into()
    } else {
        text.into()
    }
}
