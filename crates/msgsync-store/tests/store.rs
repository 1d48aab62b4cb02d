//! The store's contract, run against both backends (`sqlite::…` on a real database file,
//! `postgres::…` on a database of its own): the same bodies, the same expectations.

mod support;

use msgsync_core::content::ProviderChat;
use msgsync_core::{AccountId, Span, SyncParams};
use msgsync_store::*;
use support::*;

async fn state_machine_reports_each_outcome_once(f: Fixture) {
    let acc = account(&f).await;
    let p = SyncParams::default();
    let SyncRequestResult::Started(job) = f.store.sync_request(&request(acc, p, 1)).await.unwrap()
    else {
        panic!("first request starts");
    };
    assert!(
        matches!(f.store.sync_request(&request(acc, p, 2)).await.unwrap(), SyncRequestResult::Running(j) if j.id == job.id)
    );
    let claimed = claim(&f, "w", 3).await.unwrap();
    assert_eq!(claimed.id, job.id);
    finish(&f, &claimed, "w", JobState::Done, None)
        .await
        .unwrap();
    assert!(
        matches!(f.store.sync_request(&request(acc, p, 4)).await.unwrap(), SyncRequestResult::Finished(j) if j.state == JobState::Done)
    );
    assert!(
        matches!(f.store.sync_request(&request(acc, p, 5)).await.unwrap(), SyncRequestResult::Started(j) if j.id != job.id)
    );
    // An account that may not start reports nothing new.
    let acc2 = account(&f).await;
    let refused = SyncRequest {
        may_start: false,
        ..request(acc2, p, 6)
    };
    assert_eq!(
        f.store.sync_request(&refused).await.unwrap(),
        SyncRequestResult::NotStarted
    );
}

async fn chunk_done_continues_only_with_the_same_scope(f: Fixture) {
    let acc = account(&f).await;
    let chunked = SyncParams {
        chunk_size: Some(2),
        ..Default::default()
    };
    f.store
        .sync_request(&request(acc, chunked, 1))
        .await
        .unwrap();
    let job = claim(&f, "w", 2).await.unwrap();
    f.store
        .sync_finish(&SyncFinish {
            job: &job,
            worker: "w",
            now: 3,
            state: JobState::ChunkDone,
            progress: SyncProgress {
                chats_synced: 2,
                messages_synced: 9,
                chunk_chats: 2,
                chats_total: Some(11),
                messages_total: Some(30),
            },
            cursor: Some("where-we-were"),
            error: None,
            reconcile: None,
            account_state: None,
        })
        .await
        .unwrap();
    let reported = f
        .store
        .sync_request(&request(acc, chunked, 4))
        .await
        .unwrap();
    assert!(
        matches!(&reported, SyncRequestResult::Finished(j) if j.state == JobState::ChunkDone),
        "the request reports the CHUNK_DONE: {reported:?}"
    );
    let SyncRequestResult::Started(next) = f
        .store
        .sync_request(&request(
            acc,
            SyncParams {
                chunk_size: Some(5),
                ..chunked
            },
            5,
        ))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (
            next.series_id,
            next.chunk_number,
            next.cursor.as_deref(),
            next.chats_synced,
            next.chats_total,
            next.messages_total,
        ),
        (
            job.series_id,
            2,
            Some("where-we-were"),
            2,
            Some(11),
            Some(30)
        )
    );
    // Now a different span: a fresh series.
    let claimed = claim(&f, "w", 6).await.unwrap();
    f.store
        .sync_finish(&SyncFinish {
            job: &claimed,
            worker: "w",
            now: 7,
            state: JobState::ChunkDone,
            progress: SyncProgress::default(),
            cursor: Some("x"),
            error: None,
            reconcile: None,
            account_state: None,
        })
        .await
        .unwrap();
    f.store
        .sync_request(&request(acc, chunked, 8))
        .await
        .unwrap();
    let spanned = SyncParams {
        span: Span {
            after: Some(0),
            before: None,
        },
        ..chunked
    };
    let SyncRequestResult::Started(fresh) = f
        .store
        .sync_request(&request(acc, spanned, 9))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_ne!(fresh.series_id, job.series_id);
    assert_eq!(
        (fresh.chunk_number, fresh.cursor, fresh.chats_synced),
        (1, None, 0)
    );
}

async fn an_expired_lease_is_taken_over_and_the_old_worker_is_locked_out(f: Fixture) {
    let acc = account(&f).await;
    f.store
        .sync_request(&request(acc, SyncParams::default(), 1))
        .await
        .unwrap();
    let a = claim(&f, "a", 2).await.unwrap();
    assert!(claim(&f, "b", 50).await.is_none(), "the lease still holds");
    let b = claim(&f, "b", 500).await.expect("the lease ran out");
    assert_eq!(a.id, b.id);
    // `a` writes a chat of its own, so that anything it left would be seen.
    assert!(matches!(
        write(&f, &a, "a", &chat("from-a", 5), &[message("ma", 5)]).await,
        Err(StoreError::LostLease)
    ));
    assert!(matches!(
        finish(&f, &a, "a", JobState::Done, None).await,
        Err(StoreError::LostLease)
    ));
    write(&f, &b, "b", &chat("from-b", 5), &[message("m1", 5)])
        .await
        .unwrap();
    // The failed write of `a` left nothing: only b's chat exists.
    let page = f
        .store
        .chat_list(
            &f.tenant,
            &ChatQuery {
                account_id: Some(acc),
                page: PageRequest {
                    limit: 10,
                    cursor: None,
                },
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ids: Vec<&str> = page.items.iter().map(|c| c.provider_id.as_str()).collect();
    assert_eq!(ids, ["from-b"]);
}

/// Every message of the fixture's tenant.
async fn all_messages(f: &Fixture) -> Vec<MessageRecord> {
    let search = MessageSearch {
        page: PageRequest {
            limit: 100,
            cursor: None,
        },
        ..Default::default()
    };
    f.store
        .message_search(&f.tenant, &search)
        .await
        .unwrap()
        .items
}

async fn a_stale_run_of_the_same_worker_is_fenced_off(f: Fixture) {
    let acc = account(&f).await;
    f.store
        .sync_request(&request(acc, SyncParams::default(), 1))
        .await
        .unwrap();
    // One node, one worker name: it claims the job, stalls past its lease, and claims the
    // job again. Only the claim's token tells the two runs apart.
    let old = claim(&f, "node", 2).await.unwrap();
    let new = claim(&f, "node", 500).await.expect("the lease ran out");
    assert_eq!(old.id, new.id);
    assert!(new.lease_token > old.lease_token, "{old:?} {new:?}");

    let renew = |job| SyncRenew {
        job,
        worker: "node",
        now: 501,
        lease_ms: 100,
    };
    let release = |job| SyncRelease {
        job,
        worker: "node",
        now: 502,
        run_after: 600,
        attempts: 1,
        reason: None,
    };
    let stale = chat("stale", 5);
    assert!(matches!(
        f.store.sync_renew(&renew(&old)).await,
        Err(StoreError::LostLease)
    ));
    assert!(matches!(
        write(&f, &old, "node", &stale, &[message("ms", 5)]).await,
        Err(StoreError::LostLease)
    ));
    assert!(matches!(
        f.store.sync_release(&release(&old)).await,
        Err(StoreError::LostLease)
    ));
    assert!(matches!(
        finish(&f, &old, "node", JobState::Done, None).await,
        Err(StoreError::LostLease)
    ));
    // The stale run wrote nothing: no chat, no message, the job as the new claim left it.
    assert!(chats_of(&f, acc).await.is_empty());
    assert!(all_messages(&f).await.is_empty());
    assert_eq!(f.store.sync_latest(acc).await.unwrap(), Some(new.clone()));

    // The current run's writes are accepted.
    f.store.sync_renew(&renew(&new)).await.unwrap();
    write(&f, &new, "node", &chat("fresh", 5), &[message("m1", 5)])
        .await
        .unwrap();
    let chats: Vec<_> = chats_of(&f, acc)
        .await
        .into_iter()
        .map(|c| c.provider_id)
        .collect();
    assert_eq!(chats, ["fresh"]);
    assert_eq!(all_messages(&f).await.len(), 1);
    f.store.sync_release(&release(&new)).await.unwrap();
    let again = claim(&f, "node", 600).await.unwrap();
    assert!(again.lease_token > new.lease_token);
    finish(&f, &again, "node", JobState::Done, None)
        .await
        .unwrap();
    let done = f.store.sync_latest(acc).await.unwrap().unwrap();
    assert_eq!(
        (done.state, done.cursor.as_deref()),
        (JobState::Done, None),
        "finished by the third run"
    );
}

async fn pages_are_idempotent_and_reconciliation_marks_only_what_was_not_seen(f: Fixture) {
    let acc = account(&f).await;
    f.store
        .sync_request(&request(acc, SyncParams::default(), 1))
        .await
        .unwrap();
    let job = claim(&f, "w", 2).await.unwrap();
    let (c1, c2) = (chat("c1", 100), chat("c2", 200));
    let page = [message("m1", 50), message("m2", 60)];
    write(&f, &job, "w", &c1, &page).await.unwrap();
    write(&f, &job, "w", &c1, &page).await.unwrap(); // replayed after a crash
    write(&f, &job, "w", &c2, &[message("m3", 150)])
        .await
        .unwrap();
    finish(
        &f,
        &job,
        "w",
        JobState::Done,
        Some(ReconcileScope {
            span: Span::default(),
            inbox: None,
        }),
    )
    .await
    .unwrap();

    let tenant = &f.tenant;
    let list = |_: ()| ChatQuery {
        account_id: Some(acc),
        page: PageRequest {
            limit: 10,
            cursor: None,
        },
        ..Default::default()
    };
    let chats = f.store.chat_list(tenant, &list(())).await.unwrap().items;
    assert_eq!(chats.len(), 2);
    let c1_record = chats
        .iter()
        .find(|c| c.provider_id == "c1")
        .unwrap()
        .clone();
    let msgs = messages_of(&f, &c1_record).await;
    assert_eq!(msgs.len(), 2, "a replayed page adds nothing");

    // A second full resync sees only c1 and m1, within a span that excludes m2? No: full scope.
    f.store
        .sync_request(&request(acc, SyncParams::default(), 30))
        .await
        .unwrap();
    let SyncRequestResult::Started(_) = f
        .store
        .sync_request(&request(acc, SyncParams::default(), 31))
        .await
        .unwrap()
    else {
        panic!()
    };
    let job2 = claim(&f, "w", 32).await.unwrap();
    write(&f, &job2, "w", &c1, &[message("m1", 50)])
        .await
        .unwrap();
    finish(
        &f,
        &job2,
        "w",
        JobState::Done,
        Some(ReconcileScope {
            span: Span::default(),
            inbox: None,
        }),
    )
    .await
    .unwrap();
    let chats = f.store.chat_list(tenant, &list(())).await.unwrap().items;
    let deleted: Vec<_> = chats
        .iter()
        .filter(|c| c.deleted)
        .map(|c| c.provider_id.as_str())
        .collect();
    assert_eq!(deleted, vec!["c2"]);
    let msgs = messages_of(&f, &c1_record).await;
    let deleted: Vec<_> = msgs
        .iter()
        .filter(|m| m.deleted)
        .map(|m| m.provider_id.as_str())
        .collect();
    assert_eq!(deleted, vec!["m2"]);

    // A span-limited full resync only touches its span: m1 (at 50) is outside [55, ∞).
    f.store
        .sync_request(&request(acc, SyncParams::default(), 40))
        .await
        .unwrap();
    let span = Span {
        after: Some(55),
        before: None,
    };
    f.store
        .sync_request(&request(
            acc,
            SyncParams {
                span,
                ..Default::default()
            },
            41,
        ))
        .await
        .unwrap();
    let job3 = claim(&f, "w", 42).await.unwrap();
    finish(
        &f,
        &job3,
        "w",
        JobState::Done,
        Some(ReconcileScope { span, inbox: None }),
    )
    .await
    .unwrap();
    let msgs = messages_of(&f, &c1_record).await;
    let m1 = msgs.iter().find(|m| m.provider_id == "m1").unwrap();
    assert!(!m1.deleted, "outside the span: untouched");
    let chats = f.store.chat_list(tenant, &list(())).await.unwrap().items;
    assert!(
        chats
            .iter()
            .find(|c| c.provider_id == "c1")
            .unwrap()
            .deleted,
        "c1 (activity 100) was in scope and not seen"
    );
}

async fn credentials_are_encrypted_and_deleting_an_account_takes_its_data(f: Fixture) {
    let acc = account(&f).await;
    assert_eq!(
        f.store.account_credentials(acc).await.unwrap().unwrap(),
        b"secret"
    );
    f.store
        .sync_request(&request(acc, SyncParams::default(), 1))
        .await
        .unwrap();
    let job = claim(&f, "w", 2).await.unwrap();
    write(&f, &job, "w", &chat("c", 1), &[message("m", 1)])
        .await
        .unwrap();
    assert!(f.store.account_delete(&f.tenant, acc).await.unwrap());
    assert!(f.store.account_find(acc).await.unwrap().is_none());
    assert!(matches!(
        write(&f, &job, "w", &chat("c", 1), &[]).await,
        Err(StoreError::LostLease)
    ));
    assert!(f.store.sync_latest(acc).await.unwrap().is_none());
}

async fn a_checkpoint_of_several_pages_is_written_whole_or_not_at_all(f: Fixture) {
    let a = claimed_jobs(&f, 1).await.remove(0);
    let acc = a.account_id;
    let checkpoint = |job: &SyncJob, worker: &str, pages: Vec<PageWrite>| {
        f.store.sync_checkpoint(checkpoint_of(job, worker, pages))
    };
    // A page of one chat, a page of another, then two more pages of the first (the last one
    // repeating a message and renaming the chat), in one write.
    let mut renamed = page("c1", &["m2", "m3"]);
    renamed.chat.name = Some("renamed".into());
    checkpoint(
        &a,
        "a",
        vec![
            page("c1", &["m1", "m2"]),
            page("c2", &["m4"]),
            page("c1", &["m5"]),
            renamed,
        ],
    )
    .await
    .unwrap();
    let listed = chats_of(&f, acc).await;
    assert_eq!(listed.len(), 2);
    let c1 = listed.iter().find(|c| c.provider_id == "c1").unwrap();
    let ids: Vec<_> = messages_of(&f, c1)
        .await
        .into_iter()
        .map(|m| m.provider_id)
        .collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    for id in ["m1", "m2", "m3", "m5"] {
        assert!(ids.iter().any(|m| m == id), "{id} missing from {ids:?}");
    }
    // The chat as its last page saw it.
    assert_eq!(c1.name.as_deref(), Some("renamed"));

    // A worker that lost the job writes none of its pages.
    claim(&f, "b", 500).await.expect("the lease ran out");
    let lost = checkpoint(&a, "a", vec![page("c3", &["m5"]), page("c4", &["m6"])]).await;
    assert!(matches!(lost, Err(StoreError::LostLease)));
    assert_eq!(chats_of(&f, acc).await.len(), 2);
}

async fn checkpoints_of_many_jobs_at_once_stand_or_fall_each_on_its_own(f: Fixture) {
    let jobs = claimed_jobs(&f, 8).await;
    // Worker "b" takes over one job whose lease ran out; "a" then writes all eight at once,
    // so that they queue for the writer together.
    let taken = claim(&f, "b", 500).await.expect("a lease ran out");
    let writes = jobs.iter().map(|job| {
        let pages = two_pages("chat", "m1");
        f.store.sync_checkpoint(checkpoint_of(job, "a", pages))
    });
    let results = futures::future::join_all(writes).await;
    for (job, result) in jobs.iter().zip(results) {
        let chats = chats_of(&f, job.account_id).await;
        if job.id == taken.id {
            assert!(matches!(result, Err(StoreError::LostLease)), "{result:?}");
            assert!(chats.is_empty(), "the lost job wrote {chats:?}");
        } else {
            result.unwrap();
            assert_eq!(chats.len(), 1);
            assert_eq!(messages_of(&f, &chats[0]).await.len(), 3);
            let saved = f.store.sync_latest(job.account_id).await.unwrap().unwrap();
            assert_eq!(saved.cursor.as_deref(), Some("c"));
        }
    }
}

async fn a_checkpoint_that_fails_among_others_fails_alone(f: Fixture) {
    poison_messages(&f, "poison").await;
    let jobs = claimed_jobs(&f, 4).await;
    let writes = jobs.iter().enumerate().map(|(i, job)| {
        let first = if i == 2 { "poison" } else { "m1" };
        f.store
            .sync_checkpoint(checkpoint_of(job, "a", two_pages("chat", first)))
    });
    let results = futures::future::join_all(writes).await;
    for (i, (job, result)) in jobs.iter().zip(results).enumerate() {
        let chats = chats_of(&f, job.account_id).await;
        let saved = f.store.sync_latest(job.account_id).await.unwrap().unwrap();
        if i == 2 {
            assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");
            assert!(chats.is_empty(), "the failed checkpoint wrote {chats:?}");
            assert_eq!(saved.cursor, None);
        } else {
            result.unwrap();
            assert_eq!(chats.len(), 1);
            assert_eq!(messages_of(&f, &chats[0]).await.len(), 3);
            assert_eq!(saved.cursor.as_deref(), Some("c"));
        }
    }
}

/// Runs one sync of `params` requested at `at`, which sees `chats`, to `outcome`, and has its
/// outcome reported.
async fn run_sync(
    f: &Fixture,
    acc: AccountId,
    (params, at): (SyncParams, i64),
    chats: &[ProviderChat],
    outcome: JobState,
) {
    let started = f.store.sync_request(&request(acc, params, at)).await;
    assert!(matches!(started.unwrap(), SyncRequestResult::Started(_)));
    let job = claim(f, "w", at + 1).await.unwrap();
    for c in chats {
        write(f, &job, "w", c, &[]).await.unwrap();
    }
    finish(f, &job, "w", outcome, None).await.unwrap();
    let reported = f.store.sync_request(&request(acc, params, at + 2)).await;
    assert!(matches!(reported.unwrap(), SyncRequestResult::Finished(j) if j.state == outcome));
}

async fn an_inbox_is_complete_through_what_the_last_whole_walk_of_it_saw(f: Fixture) {
    use msgsync_core::LinkedinProduct::{Classic, SalesNavigator};
    use JobState::{ChunkDone, Done, Error};
    let acc = account(&f).await;
    let through = |inbox| f.store.inbox_complete_through(acc, inbox);
    let c = |id: &str, at: i64, inbox| ProviderChat {
        inbox,
        ..chat(id, at)
    };
    let every = SyncParams::default();
    assert_eq!(through(Some(Classic)).await.unwrap(), None);

    // A resync of every inbox that finished.
    let seen = [
        c("a", 30, Some(Classic)),
        c("b", 50, Some(Classic)),
        c("s", 70, Some(SalesNavigator)),
        c("t", 90, None),
    ];
    run_sync(&f, acc, (every, 10), &seen, Done).await;
    assert_eq!(through(Some(Classic)).await.unwrap(), Some(50));
    assert_eq!(through(Some(SalesNavigator)).await.unwrap(), Some(70));
    assert_eq!(through(None).await.unwrap(), Some(90));

    // One that failed after storing a newer chat, and a newer state of "b": what is older than
    // them may be missing, so neither counts; nor does a sync with a span.
    let failed = [c("d", 80, Some(Classic)), c("b", 60, Some(Classic))];
    run_sync(&f, acc, (every, 20), &failed, Error).await;
    assert_eq!(through(Some(Classic)).await.unwrap(), Some(30));
    let span = SyncParams {
        span: Span {
            after: Some(1),
            before: None,
        },
        ..Default::default()
    };
    run_sync(&f, acc, (span, 30), &[c("e", 100, Some(Classic))], Done).await;
    assert_eq!(through(Some(Classic)).await.unwrap(), Some(30));

    // A resync of one inbox counts for that one only.
    let classic = SyncParams {
        linkedin_product: Some(Classic),
        partial: true,
        ..Default::default()
    };
    let one = [c("b", 60, Some(Classic)), c("x", 75, Some(SalesNavigator))];
    run_sync(&f, acc, (classic, 40), &one, Done).await;
    assert_eq!(through(Some(Classic)).await.unwrap(), Some(60));
    assert_eq!(through(Some(SalesNavigator)).await.unwrap(), Some(70));

    // A chunked series counts once its last chunk is done.
    let chunked = SyncParams {
        chunk_size: Some(1),
        ..Default::default()
    };
    let newest = [c("g", 200, Some(SalesNavigator))];
    run_sync(&f, acc, (chunked, 50), &newest, ChunkDone).await;
    assert_eq!(through(Some(SalesNavigator)).await.unwrap(), Some(70));
    run_sync(&f, acc, (chunked, 60), &[], Done).await;
    assert_eq!(through(Some(SalesNavigator)).await.unwrap(), Some(200));

    // Another account's syncs are its own.
    let other = account(&f).await;
    assert_eq!(
        f.store.inbox_complete_through(other, None).await.unwrap(),
        None
    );
}

async fn credentials_a_sync_updates_never_overwrite_a_reconnect(f: Fixture) {
    let acc = account(&f).await;
    let read = f.store.account_find(acc).await.unwrap().unwrap();
    let update = |credentials: &[u8], expected, now| AccountCredentialsUpdate {
        id: acc,
        credentials: credentials.to_vec(),
        expected_updated_at: expected,
        now,
    };
    assert!(f
        .store
        .account_credentials_update(&update(b"cookies-1", read.updated_at, 5))
        .await
        .unwrap());
    assert_eq!(
        f.store.account_credentials(acc).await.unwrap().unwrap(),
        b"cookies-1"
    );
    // The account was reconnected meanwhile: the sync's cookies are dropped.
    f.store
        .account_reconnect(
            acc,
            &AccountReconnect {
                name: "n".into(),
                provider_user_id: None,
                linkedin_products: None,
                credentials: b"new login".to_vec(),
                now: 9,
            },
        )
        .await
        .unwrap();
    assert!(!f
        .store
        .account_credentials_update(&update(b"cookies-2", 5, 10))
        .await
        .unwrap());
    assert_eq!(
        f.store.account_credentials(acc).await.unwrap().unwrap(),
        b"new login"
    );
}

/// The `provider_ref` of the account's one chat, listed and read alone alike.
async fn stored_ref(f: &Fixture, acc: msgsync_core::AccountId) -> Option<String> {
    let query = ChatQuery {
        account_id: Some(acc),
        page: PageRequest {
            limit: 10,
            cursor: None,
        },
        ..Default::default()
    };
    let chats = f.store.chat_list(&f.tenant, &query).await.unwrap().items;
    let listed = chats[0].provider_ref.clone();
    let one = f.store.chat_get(&f.tenant, chats[0].id).await.unwrap();
    assert_eq!(one.unwrap().provider_ref, listed);
    listed
}

async fn a_chat_keeps_its_provider_ref_until_a_listing_gives_another(f: Fixture) {
    let acc = account(&f).await;
    f.store
        .sync_request(&request(acc, SyncParams::default(), 1))
        .await
        .unwrap();
    let job = claim(&f, "w", 2).await.unwrap();
    let with = |r: Option<&str>| ProviderChat {
        provider_ref: r.map(str::to_string),
        ..chat("c1", 100)
    };
    write(&f, &job, "w", &with(Some("u:1:2")), &[])
        .await
        .unwrap();
    assert_eq!(stored_ref(&f, acc).await.as_deref(), Some("u:1:2"));
    // A listing that does not give one keeps the one stored…
    write(&f, &job, "w", &with(None), &[]).await.unwrap();
    assert_eq!(stored_ref(&f, acc).await.as_deref(), Some("u:1:2"));
    // …and a new one replaces it.
    write(&f, &job, "w", &with(Some("u:1:3")), &[])
        .await
        .unwrap();
    assert_eq!(stored_ref(&f, acc).await.as_deref(), Some("u:1:3"));
}

conformance!(
    state_machine_reports_each_outcome_once,
    chunk_done_continues_only_with_the_same_scope,
    an_expired_lease_is_taken_over_and_the_old_worker_is_locked_out,
    a_stale_run_of_the_same_worker_is_fenced_off,
    pages_are_idempotent_and_reconciliation_marks_only_what_was_not_seen,
    credentials_are_encrypted_and_deleting_an_account_takes_its_data,
    a_checkpoint_of_several_pages_is_written_whole_or_not_at_all,
    checkpoints_of_many_jobs_at_once_stand_or_fall_each_on_its_own,
    a_checkpoint_that_fails_among_others_fails_alone,
    an_inbox_is_complete_through_what_the_last_whole_walk_of_it_saw,
    credentials_a_sync_updates_never_overwrite_a_reconnect,
    a_chat_keeps_its_provider_ref_until_a_listing_gives_another,
);
