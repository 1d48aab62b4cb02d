//! What the store's tests share: a store on a fresh database of either backend, an account,
//! chats, messages, claimed jobs and checkpoints.
//!
//! The conformance suite is written once, as `async fn name(f: Fixture)` bodies; the
//! [`conformance!`] macro runs each against both backends (`sqlite::name`, `postgres::name`).
//! PostgreSQL tests each get a database of their own on the server at `MSGSYNC_TEST_PG_URL`
//! (default [`DEFAULT_PG_URL`]), dropped with the fixture; an unreachable server fails them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use msgsync_core::content::{ChatKind, ProviderChat, ProviderMessage};
use msgsync_core::{AccountId, ApiKeyMode, ProviderKind, Span, SyncParams};
use msgsync_store::*;
use sqlx::Connection;

/// The server the PostgreSQL tests create their databases on (a maintenance database on it).
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The master key of every test store.
pub const KEY: [u8; 32] = [1; 32];

/// Runs each named `async fn name(f: Fixture)` of the calling file against both backends, as
/// the tests `sqlite::name` and `postgres::name`. A body left out of the list is dead code,
/// which the lints refuse.
#[macro_export]
macro_rules! conformance {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Fixture::new(super::Backend::Sqlite).await).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Fixture::new(super::Backend::Postgres).await).await
                }
            )+
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Fixture {
    /// Declared first, so dropped before the database it uses.
    pub store: Arc<dyn Store>,
    pub tenant: Tenant,
    pub db: TestDb,
}

/// Where a fixture's data lives; dropping it removes it.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres(PgTestDb),
}

impl Fixture {
    pub async fn new(backend: Backend) -> Fixture {
        let cipher = CredentialCipher::new(&KEY);
        let (store, db): (Arc<dyn Store>, TestDb) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("t.db").display());
                let store = SqliteStore::open(&url, cipher).await.unwrap();
                (Arc::new(store), TestDb::Sqlite(dir))
            }
            Backend::Postgres => {
                let db = PgTestDb::create().await;
                let store = PgStore::open(&db.url, cipher).await.unwrap();
                (Arc::new(store), TestDb::Postgres(db))
            }
        };
        Fixture {
            store,
            tenant: Tenant {
                owner: "o".into(),
                mode: ApiKeyMode::Test,
            },
            db,
        }
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            TestDb::Sqlite(_) => Backend::Sqlite,
            TestDb::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite database file (SQLite fixtures only).
    pub fn sqlite_path(&self) -> PathBuf {
        match &self.db {
            TestDb::Sqlite(dir) => dir.path().join("t.db"),
            TestDb::Postgres(_) => panic!("not a SQLite fixture"),
        }
    }

    /// The URL of the PostgreSQL database (PostgreSQL fixtures only).
    pub fn pg_url(&self) -> &str {
        match &self.db {
            TestDb::Postgres(db) => &db.url,
            TestDb::Sqlite(_) => panic!("not a PostgreSQL fixture"),
        }
    }

    /// Runs one statement on the fixture's database directly, beside the store.
    pub async fn execute_raw(&self, sql: &str) {
        match &self.db {
            TestDb::Sqlite(_) => {
                let url = format!("sqlite://{}", self.sqlite_path().display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
            TestDb::Postgres(db) => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }
}

/// A SQLite fixture, for the tests about SQLite alone.
pub async fn fixture() -> Fixture {
    Fixture::new(Backend::Sqlite).await
}

/// A PostgreSQL fixture, for the tests about PostgreSQL alone.
pub async fn pg_fixture() -> Fixture {
    Fixture::new(Backend::Postgres).await
}

/// Makes every insert of a message with this provider id fail: a stand-in for any failure
/// that only one job's rows cause.
pub async fn poison_messages(f: &Fixture, provider_id: &str) {
    match f.backend() {
        Backend::Sqlite => {
            f.execute_raw(&format!(
                "CREATE TRIGGER poison BEFORE INSERT ON messages
                 WHEN NEW.provider_id = '{provider_id}'
                 BEGIN SELECT RAISE(ABORT, 'a poisoned row'); END"
            ))
            .await
        }
        Backend::Postgres => {
            f.execute_raw(&format!(
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     IF NEW.provider_id = '{provider_id}' THEN
                         RAISE EXCEPTION 'a poisoned row';
                     END IF;
                     RETURN NEW;
                 END $$"
            ))
            .await;
            f.execute_raw(
                "CREATE TRIGGER poison BEFORE INSERT ON messages
                 FOR EACH ROW EXECUTE FUNCTION poison()",
            )
            .await
        }
    }
}

/// A database of its own on the test server, dropped (with its connections) on drop, also when
/// the test failed.
pub struct PgTestDb {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl PgTestDb {
    pub async fn create() -> PgTestDb {
        let admin_url =
            std::env::var("MSGSYNC_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
        let name = format!(
            "msgsync_test_{}",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at {admin_url} ({e}): the PostgreSQL tests need \
                     a server (set MSGSYNC_TEST_PG_URL to use another one)"
                )
            });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = with_database(&admin_url, &name);
        PgTestDb {
            name,
            url,
            admin_url,
        }
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // A runtime of its own on a thread of its own: the test's runtime may be gone or
        // unable to run anything more (a drop during a panic, or at its end).
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async move {
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .map_err(|e| e.to_string())?;
                admin.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            // Not a panic: this may run while a failed test unwinds.
            Ok(Err(e)) => eprintln!("the test database {} was not dropped: {e}", self.name),
            Err(_) => eprintln!("dropping the test database {} panicked", self.name),
        }
    }
}

/// `url` (`postgres://…/db?options`) with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
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
