//! Another process writing the same SQLite database (the CLI creating a key while `serve`
//! runs) must never make a write of the store fail: the store's transactions take the write
//! lock first, so they wait for the other process instead of failing on a stale snapshot
//! (`SQLITE_BUSY_SNAPSHOT`, which the soak saw as a 500 on the resync route).

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use msgsync_core::SyncParams;
use msgsync_store::*;
use sqlx::sqlite::SqlitePoolOptions;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_writing_the_database_never_fails_the_state_machine() {
    let f = fixture().await;
    let path = f.sqlite_path();
    // The other process: its own connection to the same file, as `msgsync keys create` has.
    let other = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteStore::connect_options(path.to_str().unwrap()).unwrap())
        .await
        .unwrap();
    sqlx::query("CREATE TABLE other_process (n INTEGER)")
        .execute(&other)
        .await
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let other_writes = Arc::new(AtomicU64::new(0));
    let writer = tokio::spawn({
        let (done, other_writes) = (done.clone(), other_writes.clone());
        async move {
            while !done.load(Ordering::SeqCst) {
                sqlx::query("INSERT INTO other_process (n) VALUES (1)")
                    .execute(&other)
                    .await
                    .unwrap();
                other_writes.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
        }
    });

    // Every request below writes: it starts a sync, or reports the outcome of the last one.
    let accounts = [account(&f).await, account(&f).await];
    let mut failures = Vec::new();
    for round in 0..150i64 {
        for &acc in &accounts {
            let p = SyncParams::default();
            match f.store.sync_request(&request(acc, p, round)).await {
                Ok(SyncRequestResult::Started(_)) => {
                    let job = claim(&f, "w", round).await.unwrap();
                    if let Err(e) = finish(&f, &job, "w", JobState::Done, None).await {
                        failures.push(format!("finish: {e}"));
                    }
                }
                Ok(_) => {}
                Err(e) => failures.push(format!("request: {e}")),
            }
        }
    }
    done.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(
        other_writes.load(Ordering::SeqCst) > 0,
        "the other process never wrote"
    );
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        failures
    );
}
