//! Records the engine's unit tests build on: an account of test mode and a running job of it.

use msgsync_core::{AccountId, ApiKeyMode, ProviderKind, SyncId, SyncParams};
use msgsync_store::{AccountRecord, JobState, SyncJob};

pub(crate) fn account() -> AccountRecord {
    AccountRecord {
        id: AccountId::new(),
        owner: "owner".into(),
        mode: ApiKeyMode::Test,
        provider: ProviderKind::Telegram,
        name: "a".into(),
        state: msgsync_core::AccountState::Ok,
        provider_user_id: None,
        linkedin_products: None,
        created_at: 0,
        updated_at: 0,
    }
}

pub(crate) fn job(account: AccountId) -> SyncJob {
    let id = SyncId::new();
    SyncJob {
        id,
        account_id: account,
        series_id: id,
        chunk_number: 1,
        state: JobState::Running,
        reported: false,
        params: SyncParams::default(),
        cursor: None,
        chats_synced: 0,
        messages_synced: 0,
        chunk_chats: 0,
        chats_total: None,
        messages_total: None,
        attempts: 0,
        error_kind: None,
        error_detail: None,
        run_after: 0,
        lease_owner: None,
        lease_expires_at: None,
        lease_token: 0,
        created_at: 0,
        updated_at: 0,
        finished_at: None,
    }
}
