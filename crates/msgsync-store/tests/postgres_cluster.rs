//! What several nodes sharing one PostgreSQL database rely on: the database alone decides
//! which request starts a sync, which one reports its outcome, and which worker runs a job.
//! Two `PgStore`s on one database stand for two nodes.

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use msgsync_core::SyncParams;
use msgsync_store::*;
use sqlx::Connection;
use support::*;
use tokio::sync::Barrier;

/// Concurrent requests, claimers: as many as a node's pool has connections, over two nodes.
const REQUESTS: usize = 16;
const CLAIMERS: usize = 8;
const JOBS: usize = 50;

/// How long the claimers may take for every job: far more than they need, so that only a
/// claim that never comes fails the test.
const CLAIM_DEADLINE: Duration = Duration::from_secs(30);

/// The fixture's store and a second node on the same database.
async fn two_nodes(f: &Fixture) -> [Arc<dyn Store>; 2] {
    let other = PgStore::open(f.pg_url(), CredentialCipher::new(&KEY))
        .await
        .unwrap();
    [f.store.clone(), Arc::new(other)]
}

/// `REQUESTS` requests for `account`, spread over the nodes, released together.
async fn requests_at_once(
    nodes: &[Arc<dyn Store>; 2],
    account: msgsync_core::AccountId,
    now: i64,
) -> Vec<SyncRequestResult> {
    let start = Arc::new(Barrier::new(REQUESTS));
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|i| {
            let (node, start) = (nodes[i % 2].clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                node.sync_request(&request(account, SyncParams::default(), now))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_on_two_nodes_start_one_sync_and_report_it_once() {
    let f = pg_fixture().await;
    let nodes = two_nodes(&f).await;
    let acc = account(&f).await;

    let results = requests_at_once(&nodes, acc, 1).await;
    let started: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            SyncRequestResult::Started(j) => Some(j.id),
            _ => None,
        })
        .collect();
    assert_eq!(started.len(), 1, "{results:?}");
    for r in &results {
        match r {
            SyncRequestResult::Started(j) | SyncRequestResult::Running(j) => {
                assert_eq!(j.id, started[0])
            }
            other => panic!("a first request answered {other:?}"),
        }
    }

    let job = claim(&f, "w", 2).await.unwrap();
    assert_eq!(job.id, started[0]);
    finish(&f, &job, "w", JobState::Done, None).await.unwrap();

    // The outcome is reported once; the other requests start one new sync and see it run.
    let results = requests_at_once(&nodes, acc, 3).await;
    let finished: Vec<_> = results
        .iter()
        .filter(|r| matches!(r, SyncRequestResult::Finished(_)))
        .collect();
    assert_eq!(finished.len(), 1, "{results:?}");
    assert!(
        matches!(finished[0], SyncRequestResult::Finished(j) if j.id == job.id && j.reported),
        "{finished:?}"
    );
    let next: HashSet<_> = results
        .iter()
        .filter_map(|r| match r {
            SyncRequestResult::Started(j) => Some(j.id),
            _ => None,
        })
        .collect();
    assert_eq!(next.len(), 1, "one new sync: {results:?}");
    for r in &results {
        if let SyncRequestResult::Running(j) = r {
            assert!(next.contains(&j.id), "{r:?}");
        }
    }
    let all = f
        .store
        .sync_list(
            acc,
            &PageRequest {
                limit: 10,
                cursor: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2, "{:?}", all.items);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claimers_on_two_nodes_take_every_job_exactly_once() {
    let f = pg_fixture().await;
    let nodes = two_nodes(&f).await;
    for _ in 0..JOBS {
        let acc = account(&f).await;
        let started = f
            .store
            .sync_request(&request(acc, SyncParams::default(), 1))
            .await
            .unwrap();
        assert!(matches!(started, SyncRequestResult::Started(_)));
    }
    let claimed = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(CLAIMERS));
    let deadline = Instant::now() + CLAIM_DEADLINE;
    let claimers: Vec<_> = (0..CLAIMERS)
        .map(|i| {
            let (node, start, claimed) = (nodes[i % 2].clone(), start.clone(), claimed.clone());
            tokio::spawn(async move {
                start.wait().await;
                let mut mine = Vec::new();
                // A claim that finds every remaining job being taken by others answers `None`:
                // go on until every job is taken.
                while claimed.load(Ordering::SeqCst) < JOBS {
                    assert!(Instant::now() < deadline, "the jobs were not all claimed");
                    let claim = SyncClaim {
                        worker: format!("claimer-{i}"),
                        now: 2,
                        lease_ms: 60_000,
                    };
                    match node.sync_claim(&claim).await.unwrap() {
                        Some(job) => {
                            claimed.fetch_add(1, Ordering::SeqCst);
                            mine.push(job);
                        }
                        None => tokio::task::yield_now().await,
                    }
                }
                mine
            })
        })
        .collect();
    let mut jobs = Vec::new();
    for claimer in claimers {
        jobs.extend(claimer.await.unwrap());
    }
    assert_eq!(jobs.len(), JOBS);
    let ids: HashSet<_> = jobs.iter().map(|j| j.id).collect();
    assert_eq!(ids.len(), JOBS, "a job was claimed twice");
    for job in &jobs {
        assert_eq!(job.lease_token, 1, "claimed once: {job:?}");
        assert_eq!(job.state, JobState::Running);
    }
    assert!(claim(&f, "late", 3).await.is_none(), "every job is taken");
}

#[tokio::test]
async fn a_node_with_another_master_key_is_refused() {
    let f = pg_fixture().await;
    let same = PgStore::open(f.pg_url(), CredentialCipher::new(&KEY)).await;
    assert!(same.is_ok(), "{same:?}");
    let other = PgStore::open(f.pg_url(), CredentialCipher::new(&[2; 32])).await;
    match other {
        Err(e @ StoreError::KeyMismatch) => assert_eq!(
            e.to_string(),
            "MSGSYNC_MASTER_KEY does not match the key this database was written with"
        ),
        other => panic!("opened with another key: {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable() {
    // Nothing listens on port 1: the connection is refused at once.
    let url = "postgres://postgres@127.0.0.1:1/postgres";
    let opened = PgStore::open(url, CredentialCipher::new(&KEY)).await;
    assert!(
        matches!(opened, Err(StoreError::Unavailable(_))),
        "{opened:?}"
    );
}

/// Accounts deleted, and checkpointed from another node at the same time.
const DELETED_ACCOUNTS: usize = 12;
/// Checkpoints each of their syncs tries, one after the other, before it finishes.
const CHECKPOINTS_EACH: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_accounts_while_they_sync_fails_nothing_but_their_syncs() {
    let f = pg_fixture().await;
    let nodes = two_nodes(&f).await;
    let jobs = claimed_jobs(&f, DELETED_ACCOUNTS).await;
    let start = Arc::new(Barrier::new(2 * DELETED_ACCOUNTS));
    let mut tasks = Vec::new();
    for job in jobs {
        // The sync writes pages of a few chats through one node…
        let (node, start_sync) = (nodes[1].clone(), start.clone());
        let synced = job.clone();
        tasks.push(tokio::spawn(async move {
            start_sync.wait().await;
            for round in 0..CHECKPOINTS_EACH {
                let pages = vec![
                    page(&format!("a{round}"), &["m1", "m2"]),
                    page(&format!("b{round}"), &["m3"]),
                ];
                match node
                    .sync_checkpoint(checkpoint_of(&synced, "a", pages))
                    .await
                {
                    Ok(()) => {}
                    Err(StoreError::LostLease) => return,
                    Err(e) => panic!("a checkpoint failed otherwise than LostLease: {e}"),
                }
            }
            // …and ends it with a reconciliation and a verdict on the account.
            let finished = node
                .sync_finish(&SyncFinish {
                    job: &synced,
                    worker: "a",
                    now: 20,
                    state: JobState::Done,
                    progress: SyncProgress::default(),
                    cursor: None,
                    error: None,
                    reconcile: Some(ReconcileScope {
                        span: Default::default(),
                        inbox: None,
                    }),
                    account_state: Some(msgsync_core::AccountState::Restricted),
                })
                .await;
            match finished {
                Ok(()) | Err(StoreError::LostLease) => {}
                Err(e) => panic!("a finish failed otherwise than LostLease: {e}"),
            }
        }));
        // …while the API deletes its account through the other.
        let (node, tenant, start_delete) = (nodes[0].clone(), f.tenant.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start_delete.wait().await;
            tokio::task::yield_now().await;
            assert!(node.account_delete(&tenant, job.account_id).await.unwrap());
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let left = f
        .store
        .account_list(
            &f.tenant,
            &PageRequest {
                limit: 100,
                cursor: None,
            },
        )
        .await
        .unwrap();
    assert!(left.items.is_empty(), "{:?}", left.items);
}

#[tokio::test]
async fn the_store_outlives_its_connections_being_cut() {
    let f = pg_fixture().await;
    let acc = account(&f).await;
    // Cut every connection of the store, as a server restart or a failover does.
    let name = f.pg_url().rsplit('/').next().unwrap().to_owned();
    let mut admin = sqlx::PgConnection::connect(f.pg_url()).await.unwrap();
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(&name)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    assert!(!cut.is_empty() && cut.iter().all(|&c| c), "{cut:?}");
    // The pool replaces the dead connections: nothing of the store fails.
    assert!(f.store.account_find(acc).await.unwrap().is_some());
    let started = f
        .store
        .sync_request(&request(acc, SyncParams::default(), 1))
        .await
        .unwrap();
    assert!(matches!(started, SyncRequestResult::Started(_)));
}

/// The next event of `events` that `wanted` accepts, within a deadline.
async fn next_event(
    events: &mut tokio::sync::broadcast::Receiver<StoreEvent>,
    wanted: impl Fn(&StoreEvent) -> bool,
) -> StoreEvent {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = tokio::time::timeout(left, events.recv())
            .await
            .expect("no announcement in time")
            .expect("the announcements ended");
        if wanted(&event) {
            return event;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_hears_of_jobs_queued_and_accounts_changed_on_another() {
    let f = pg_fixture().await;
    let [here, there] = two_nodes(&f).await;
    let mut events = here.events().expect("PostgreSQL announces changes");
    let acc = account(&f).await;

    // A sync started there can be claimed here at once.
    let now = msgsync_core::time::now_ms();
    let started = there
        .sync_request(&request(acc, SyncParams::default(), now))
        .await
        .unwrap();
    assert!(matches!(started, SyncRequestResult::Started(_)));
    next_event(&mut events, |e| *e == StoreEvent::JobQueued).await;

    // A job parked for later is not announced (the nodes' polling finds it when it is due); one
    // given back to the queue due now is. Notifications arrive in the order their transactions
    // committed, so the account change announced after the parking shows that nothing came
    // before it.
    let job = there
        .sync_claim(&SyncClaim {
            worker: "there".into(),
            now,
            lease_ms: 60_000,
        })
        .await
        .unwrap()
        .expect("the job is claimable");
    there
        .sync_release(&SyncRelease {
            job: &job,
            worker: "there",
            now,
            run_after: now + 3_600_000,
            attempts: 1,
            reason: None,
        })
        .await
        .unwrap();
    there
        .account_set_state(acc, msgsync_core::AccountState::Credentials, now)
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut events, |_| true).await,
        StoreEvent::AccountChanged(acc),
        "the parked job was announced as claimable"
    );
    let job = there
        .sync_claim(&SyncClaim {
            worker: "there".into(),
            now: now + 3_600_001,
            lease_ms: 60_000,
        })
        .await
        .unwrap()
        .expect("the parked job is claimable when due");
    there
        .sync_release(&SyncRelease {
            job: &job,
            worker: "there",
            now,
            run_after: now,
            attempts: 0,
            reason: None,
        })
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut events, |_| true).await,
        StoreEvent::JobQueued
    );

    // An account deleted there is named here.
    assert!(there.account_delete(&f.tenant, acc).await.unwrap());
    assert_eq!(
        next_event(&mut events, |e| matches!(e, StoreEvent::AccountChanged(_))).await,
        StoreEvent::AccountChanged(acc)
    );
}

#[tokio::test]
async fn the_embedded_backend_announces_nothing() {
    let f = fixture().await;
    assert!(f.store.events().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_stalled_inside_a_transaction_does_not_keep_its_job_from_the_others() {
    let f = pg_fixture().await;
    let acc = account(&f).await;
    let now = msgsync_core::time::now_ms();
    f.store
        .sync_request(&request(acc, SyncParams::default(), now))
        .await
        .unwrap();
    let job = claim(&f, "stalled", now).await.expect("claimable");
    // The stalled node: a connection opened as the store opens its own, inside a transaction
    // that holds the job's row (as a checkpoint does), and then nothing more.
    let mut stalled =
        sqlx::PgConnection::connect_with(&PgStore::connect_options(f.pg_url()).unwrap())
            .await
            .unwrap();
    sqlx::query("BEGIN").execute(&mut stalled).await.unwrap();
    sqlx::query("SELECT id FROM sync_jobs WHERE id = $1 FOR UPDATE")
        .bind(job.id.to_string())
        .execute(&mut stalled)
        .await
        .unwrap();
    // Its lease has run out: another node claims the job once the server has ended the stalled
    // session (claims skip locked rows, so until then there is nothing to claim).
    let deadline = Instant::now() + Duration::from_secs(30);
    let after_lease = job.lease_expires_at.unwrap() + 1;
    loop {
        let claimed = f
            .store
            .sync_claim(&SyncClaim {
                worker: "heir".into(),
                now: after_lease,
                lease_ms: 60_000,
            })
            .await
            .unwrap();
        if let Some(taken) = claimed {
            assert_eq!(taken.id, job.id);
            assert_eq!(taken.lease_token, job.lease_token + 1);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the stalled session still holds the job"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The stalled node's transaction is gone with its session.
    assert!(sqlx::query("COMMIT").execute(&mut stalled).await.is_err());
}
