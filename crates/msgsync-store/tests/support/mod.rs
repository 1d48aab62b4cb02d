//! What the store's tests share: a store on a fresh database file, an account, chats,
//! messages, claimed jobs and checkpoints.
#![allow(dead_code)]

use msgsync_core::content::{ChatKind, ProviderChat, ProviderMessage};
use msgsync_core::{AccountId, ApiKeyMode, ProviderKind, Span, SyncParams};
use msgsync_store::*;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: SqliteStore,
    pub tenant: Tenant,
}

pub async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = SqliteStore::open(&url, CredentialCipher::new(&[1; 32]))
        .await
        .unwrap();
    Fixture {
        dir,
        store,
        tenant: Tenant {
            owner: "o".into(),
            mode: ApiKeyMode::Test,
        },
    }
}

pub async fn account(f: &Fixture) -> AccountId {
    let id = AccountId::new();
    f.store
        .account_insert(&NewAccount {
            id,
            tenant: f.tenant.clone(),
            provider: ProviderKind::Telegram,
            name: "n".into(),
            provider_user_id: None,
            linkedin_products: None,
            credentials: b"secret".to_vec(),
            now: 1,
        })
        .await
        .unwrap();
    id
}

pub fn request(account: AccountId, params: SyncParams, now: i64) -> SyncRequest {
    SyncRequest {
        account_id: account,
        params,
        now,
        may_start: true,
    }
}

pub fn chat(id: &str, at: i64) -> ProviderChat {
    ProviderChat {
        provider_id: id.into(),
        name: Some(id.into()),
        kind: ChatKind::Single,
        last_activity_ms: at,
        unread_count: 0,
        archived: false,
        muted_until: None,
        read_only: false,
        folder: None,
        attendee_provider_id: None,
        content_type: None,
        inbox: None,
        attendees: Vec::new(),
        provider_ref: None,
    }
}

pub fn message(id: &str, at: i64) -> ProviderMessage {
    ProviderMessage {
        provider_id: id.into(),
        sender_id: "s".into(),
        text: Some(format!("text {id}")),
        subject: None,
        timestamp_ms: at,
        is_sender: false,
        attachments: vec![],
        reactions: vec![],
        seen: true,
        hidden: false,
        deleted: false,
        edited: false,
        is_event: false,
        delivered: true,
        original: "{}".into(),
        event_type: None,
    }
}

pub async fn claim(f: &Fixture, worker: &str, now: i64) -> Option<SyncJob> {
    f.store
        .sync_claim(&SyncClaim {
            worker: worker.into(),
            now,
            lease_ms: 100,
        })
        .await
        .unwrap()
}

pub async fn write(
    f: &Fixture,
    job: &SyncJob,
    worker: &str,
    chat: &ProviderChat,
    messages: &[ProviderMessage],
) -> StoreResult<()> {
    let page = PageWrite {
        chat: chat.clone(),
        messages: messages.to_vec(),
        attendees: Vec::new(),
    };
    f.store
        .sync_checkpoint(checkpoint_of(job, worker, vec![page]))
        .await
}

pub async fn finish(
    f: &Fixture,
    job: &SyncJob,
    worker: &str,
    state: JobState,
    reconcile: Option<ReconcileScope>,
) -> StoreResult<()> {
    f.store
        .sync_finish(&SyncFinish {
            job,
            worker,
            now: 20,
            state,
            progress: SyncProgress::default(),
            cursor: None,
            error: None,
            reconcile,
            account_state: None,
        })
        .await
}

pub fn checkpoint_of(job: &SyncJob, worker: &str, pages: Vec<PageWrite>) -> SyncCheckpoint {
    SyncCheckpoint {
        job: job.clone(),
        worker: worker.into(),
        now: 10,
        lease_ms: 100,
        cursor: "c".into(),
        progress: SyncProgress::default(),
        pages,
    }
}

pub fn page(chat_id: &str, messages: &[&str]) -> PageWrite {
    PageWrite {
        chat: chat(chat_id, 5),
        messages: messages.iter().map(|m| message(m, 5)).collect(),
        attendees: Vec::new(),
    }
}

/// `n` accounts, each with a full resync claimed by worker "a".
pub async fn claimed_jobs(f: &Fixture, n: usize) -> Vec<SyncJob> {
    let mut jobs = Vec::new();
    for _ in 0..n {
        let acc = account(f).await;
        f.store
            .sync_request(&request(acc, SyncParams::default(), 1))
            .await
            .unwrap();
        jobs.push(claim(f, "a", 2).await.unwrap());
    }
    jobs
}

/// Two pages of one chat, three messages, one of them `first`.
pub fn two_pages(chat: &str, first: &str) -> Vec<PageWrite> {
    vec![page(chat, &[first, "m2"]), page(chat, &["m3"])]
}

pub async fn chats_of(f: &Fixture, account: AccountId) -> Vec<ChatRecord> {
    let query = ChatQuery {
        account_id: Some(account),
        page: PageRequest {
            limit: 10,
            cursor: None,
        },
        ..Default::default()
    };
    f.store.chat_list(&f.tenant, &query).await.unwrap().items
}

pub async fn messages_of(f: &Fixture, chat: &ChatRecord) -> Vec<MessageRecord> {
    let query = MessageQuery {
        span: Span::default(),
        page: PageRequest {
            limit: 10,
            cursor: None,
        },
    };
    f.store.message_list(chat, &query).await.unwrap().items
}
