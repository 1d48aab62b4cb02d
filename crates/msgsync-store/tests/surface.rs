//! The rest of the store's surface, on both backends: API keys, the listings of accounts and
//! syncs with their cursors, the queue's statistics, releases and the end of all leases.

mod support;

use std::collections::HashSet;

use msgsync_core::{
    AccountId, AccountState, ApiKeyMode, LinkedinProduct, ProviderKind, Scope, SyncParams,
};
use msgsync_store::*;
use support::*;

fn key(id: &str, created_at: i64) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.into(),
        owner: "o".into(),
        name: format!("key {id}"),
        mode: ApiKeyMode::Live,
        scopes: vec![Scope::AccountsRead, Scope::MessagingRead],
        key_hash: vec![0, 1, 2, 255],
        created_at,
        revoked_at: None,
    }
}

async fn api_keys_are_listed_oldest_first_and_revoked_once(f: Fixture) {
    let (newer, older) = (key("k_b", 2), key("k_a", 1));
    f.store.api_key_insert(&newer).await.unwrap();
    f.store.api_key_insert(&older).await.unwrap();
    let listed: Vec<_> = f
        .store
        .api_key_list()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(listed, ["k_a", "k_b"]);
    let got = f.store.api_key_get("k_b").await.unwrap().unwrap();
    assert_eq!(
        (&got.owner, &got.name, got.mode, &got.scopes, &got.key_hash),
        (
            &newer.owner,
            &newer.name,
            newer.mode,
            &newer.scopes,
            &newer.key_hash
        )
    );
    assert!(f.store.api_key_revoke("k_b", 5).await.unwrap());
    assert!(!f.store.api_key_revoke("k_b", 6).await.unwrap(), "once");
    let revoked = f.store.api_key_get("k_b").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(5));
    assert!(f.store.api_key_get("k_c").await.unwrap().is_none());
}

async fn insert_account(f: &Fixture, now: i64) -> AccountId {
    let id = AccountId::new();
    f.store
        .account_insert(&NewAccount {
            id,
            tenant: f.tenant.clone(),
            provider: ProviderKind::Linkedin,
            name: format!("account {now}"),
            provider_user_id: Some(format!("user-{now}")),
            linkedin_products: Some(vec![
                LinkedinProduct::Classic,
                LinkedinProduct::SalesNavigator,
            ]),
            credentials: b"secret".to_vec(),
            now,
        })
        .await
        .unwrap();
    id
}

async fn accounts_page_newest_first_and_belong_to_their_tenant(f: Fixture) {
    // Two accounts share an instant: the id orders them.
    let mut ids = Vec::new();
    for now in [1, 2, 2, 3, 4] {
        ids.push((now, insert_account(&f, now).await));
    }
    ids.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.to_string().cmp(&a.1.to_string())));
    let expected: Vec<_> = ids.iter().map(|(_, id)| *id).collect();
    let mut walked = Vec::new();
    let mut page = PageRequest {
        limit: 2,
        cursor: None,
    };
    loop {
        let got = f.store.account_list(&f.tenant, &page).await.unwrap();
        assert!(got.items.len() <= 2);
        walked.extend(got.items.iter().map(|a| a.id));
        match got.next {
            Some(next) => page.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(walked, expected);

    let one = f
        .store
        .account_get(&f.tenant, expected[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            one.provider,
            one.state,
            one.provider_user_id.as_deref(),
            one.linkedin_products.as_deref()
        ),
        (
            ProviderKind::Linkedin,
            AccountState::Ok,
            Some("user-4"),
            Some(&[LinkedinProduct::Classic, LinkedinProduct::SalesNavigator][..])
        )
    );
    let stranger = Tenant {
        owner: "someone else".into(),
        mode: ApiKeyMode::Test,
    };
    assert!(f
        .store
        .account_get(&stranger, expected[0])
        .await
        .unwrap()
        .is_none());
    assert!(f
        .store
        .account_list(&stranger, &page)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(!f
        .store
        .account_delete(&stranger, expected[0])
        .await
        .unwrap());

    f.store
        .account_set_state(expected[0], AccountState::Credentials, 9)
        .await
        .unwrap();
    let changed = f.store.account_find(expected[0]).await.unwrap().unwrap();
    assert_eq!(
        (changed.state, changed.updated_at),
        (AccountState::Credentials, 9)
    );
}

async fn an_accounts_syncs_page_newest_first(f: Fixture) {
    let acc = account(&f).await;
    let mut started = Vec::new();
    for at in [10, 20, 30] {
        let SyncRequestResult::Started(job) = f
            .store
            .sync_request(&request(acc, SyncParams::default(), at))
            .await
            .unwrap()
        else {
            panic!("no sync runs: a request starts one");
        };
        started.push(job.id);
        let claimed = claim(&f, "w", at + 1).await.unwrap();
        finish(&f, &claimed, "w", JobState::Done, None)
            .await
            .unwrap();
        let reported = f
            .store
            .sync_request(&request(acc, SyncParams::default(), at + 2))
            .await
            .unwrap();
        assert!(matches!(reported, SyncRequestResult::Finished(_)));
    }
    started.reverse();
    let mut walked = Vec::new();
    let mut page = PageRequest {
        limit: 1,
        cursor: None,
    };
    loop {
        let got = f.store.sync_list(acc, &page).await.unwrap();
        walked.extend(got.items.iter().map(|j| j.id));
        match got.next {
            Some(next) => page.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(walked, started);
    let one = f.store.sync_get(acc, started[1]).await.unwrap().unwrap();
    assert_eq!(
        (one.state, one.reported, one.created_at),
        (JobState::Done, true, 20)
    );
    let other = account(&f).await;
    assert!(f.store.sync_get(other, started[1]).await.unwrap().is_none());
    assert!(f.store.sync_latest(other).await.unwrap().is_none());
}

/// The queue as the metrics see it: (state, provider, count), in a fixed order.
async fn active(f: &Fixture, now: i64) -> (Vec<(&'static str, ProviderKind, i64)>, Option<i64>) {
    let stats = f.store.sync_stats(now).await.unwrap();
    let mut active: Vec<_> = stats
        .active
        .into_iter()
        .map(|(state, provider, n)| (state.as_str(), provider, n))
        .collect();
    active.sort_by_key(|(state, provider, _)| (*state, provider.as_str()));
    (active, stats.oldest_due_at)
}

async fn a_released_job_waits_until_due_and_ending_all_leases_frees_running_jobs(f: Fixture) {
    use ProviderKind::Telegram;
    let (first, second) = (account(&f).await, account(&f).await);
    for (acc, at) in [(first, 10), (second, 11)] {
        f.store
            .sync_request(&request(acc, SyncParams::default(), at))
            .await
            .unwrap();
    }
    assert_eq!(active(&f, 5).await, (vec![("queued", Telegram, 2)], None));
    assert_eq!(active(&f, 20).await.1, Some(10));

    let job = claim(&f, "w", 20).await.unwrap();
    assert_eq!(job.account_id, first, "due first");
    assert_eq!(
        active(&f, 20).await,
        (
            vec![("queued", Telegram, 1), ("running", Telegram, 1)],
            Some(11)
        )
    );
    f.store
        .sync_release(&SyncRelease {
            job: &job,
            worker: "w",
            now: 21,
            run_after: 100,
            attempts: 1,
            reason: Some(("rate_limited".into(), "try later".into())),
        })
        .await
        .unwrap();
    let waiting = f.store.sync_latest(first).await.unwrap().unwrap();
    assert_eq!(
        (
            waiting.state,
            waiting.attempts,
            waiting.error_kind.as_deref(),
            waiting.error_detail.as_deref(),
            waiting.lease_owner.as_deref(),
            waiting.run_after
        ),
        (
            JobState::Queued,
            1,
            Some("rate_limited"),
            Some("try later"),
            None,
            100
        )
    );

    let other = claim(&f, "w", 50).await.unwrap();
    assert_eq!(other.account_id, second);
    assert!(
        claim(&f, "w", 60).await.is_none(),
        "the released job is not due"
    );
    let again = claim(&f, "w", 100).await.unwrap();
    assert_eq!((again.id, again.attempts), (job.id, 1));

    // Both run under leases that have not ended; ending them frees both at once.
    assert!(claim(&f, "w2", 120).await.is_none());
    assert_eq!(f.store.sync_leases_end_all(120).await.unwrap(), 2);
    let taken: HashSet<_> = [
        claim(&f, "w2", 120).await.unwrap().id,
        claim(&f, "w2", 120).await.unwrap().id,
    ]
    .into();
    assert_eq!(taken, HashSet::from([job.id, other.id]));
}

/// Texts from outside a checkpoint (an account's name from its provider, a key's name, a
/// provider's error) are stored with their NUL characters as U+FFFD, as checkpoints store
/// theirs: PostgreSQL's `text` cannot hold NUL, and both backends store the same.
async fn nul_characters_outside_checkpoints_are_stored_as_replacement_characters(f: Fixture) {
    let id = AccountId::new();
    f.store
        .account_insert(&NewAccount {
            id,
            tenant: f.tenant.clone(),
            provider: ProviderKind::Telegram,
            name: "Ev\0e".into(),
            provider_user_id: None,
            linkedin_products: None,
            credentials: b"secret".to_vec(),
            now: 1,
        })
        .await
        .unwrap();
    let stored = f.store.account_get(&f.tenant, id).await.unwrap().unwrap();
    assert_eq!(stored.name, "Ev\u{FFFD}e");
    f.store
        .account_reconnect(
            id,
            &AccountReconnect {
                name: "\0Eve".into(),
                provider_user_id: None,
                linkedin_products: None,
                credentials: b"secret".to_vec(),
                now: 2,
            },
        )
        .await
        .unwrap();
    let stored = f.store.account_get(&f.tenant, id).await.unwrap().unwrap();
    assert_eq!(stored.name, "\u{FFFD}Eve");

    f.store
        .sync_request(&request(id, SyncParams::default(), 3))
        .await
        .unwrap();
    let job = claim(&f, "a", 3).await.unwrap();
    f.store
        .sync_finish(&SyncFinish {
            job: &job,
            worker: "a",
            now: 4,
            state: JobState::Error,
            progress: SyncProgress::default(),
            cursor: None,
            error: Some(("errors/unexpected_error".into(), "bad\0reply".into())),
            reconcile: None,
            account_state: None,
        })
        .await
        .unwrap();
    let ended = f.store.sync_get(id, job.id).await.unwrap().unwrap();
    assert_eq!(ended.error_detail.as_deref(), Some("bad\u{FFFD}reply"));
}

conformance!(
    api_keys_are_listed_oldest_first_and_revoked_once,
    accounts_page_newest_first_and_belong_to_their_tenant,
    an_accounts_syncs_page_newest_first,
    a_released_job_waits_until_due_and_ending_all_leases_frees_running_jobs,
    nul_characters_outside_checkpoints_are_stored_as_replacement_characters,
);
