//! The store's read surface of synced data: attendees, messages across chats, one message; on
//! both backends.

mod support;

use std::collections::HashSet;

use msgsync_core::content::{LinkedinMember, NetworkDistance, ProviderAttendee, ProviderMessage};
use msgsync_core::{AccountId, ApiKeyMode, AttendeeId, MessageId, Span};
use msgsync_store::*;
use support::*;

fn person(id: &str, name: &str, is_self: bool) -> ProviderAttendee {
    ProviderAttendee {
        provider_id: id.into(),
        name: name.into(),
        is_self,
        profile_url: None,
        picture_url: None,
        linkedin: None,
    }
}

fn from(sender: &str, id: &str, at: i64) -> ProviderMessage {
    ProviderMessage {
        sender_id: sender.into(),
        is_sender: sender == "me",
        ..message(id, at)
    }
}

fn page_of(
    chat_id: &str,
    chat_attendees: Vec<ProviderAttendee>,
    messages: Vec<ProviderMessage>,
    senders: Vec<ProviderAttendee>,
) -> PageWrite {
    PageWrite {
        chat: msgsync_core::content::ProviderChat {
            attendees: chat_attendees,
            ..chat(
                chat_id,
                messages.iter().map(|m| m.timestamp_ms).max().unwrap_or(1),
            )
        },
        messages,
        attendees: senders,
    }
}

fn all() -> PageRequest {
    PageRequest {
        limit: 250,
        cursor: None,
    }
}

async fn attendees_of(f: &Fixture, account: AccountId) -> Vec<AttendeeRecord> {
    let query = AttendeeQuery {
        account_id: Some(account),
        page: all(),
    };
    f.store
        .attendee_list(&f.tenant, &query)
        .await
        .unwrap()
        .items
}

fn names(attendees: &[AttendeeRecord]) -> Vec<(&str, &str, bool)> {
    let mut v: Vec<_> = attendees
        .iter()
        .map(|a| (a.provider_id.as_str(), a.name.as_str(), a.is_self))
        .collect();
    v.sort();
    v
}

async fn attendees_come_with_their_pages_and_keep_what_was_known_of_them(f: Fixture) {
    let job = claimed_jobs(&f, 1).await.remove(0);
    let acc = job.account_id;
    let alice = ProviderAttendee {
        profile_url: Some("https://www.linkedin.com/in/alice".into()),
        picture_url: Some("https://media.example/alice.jpg".into()),
        linkedin: Some(LinkedinMember {
            member_urn: "urn:li:fsd_profile:alice".into(),
            headline: Some("Engineer".into()),
            network_distance: Some(NetworkDistance::Distance1),
        }),
        ..person("alice", "Alice A", false)
    };
    // The chat names its owner and Alice; Bob only writes, and nothing describes him.
    let first = page_of(
        "c1",
        vec![person("me", "Me", true), alice.clone()],
        vec![
            from("alice", "m1", 10),
            from("me", "m2", 11),
            from("bob", "m3", 12),
        ],
        vec![],
    );
    f.store
        .sync_checkpoint(checkpoint_of(&job, "a", vec![first]))
        .await
        .unwrap();
    let stored = attendees_of(&f, acc).await;
    assert_eq!(
        names(&stored),
        [
            ("alice", "Alice A", false),
            ("bob", "bob", false),
            ("me", "Me", true)
        ]
    );
    for a in &stored {
        assert_eq!(a.id, AttendeeId::for_provider_id(acc, &a.provider_id));
    }
    let ids: Vec<_> = stored.iter().map(|a| a.id.to_string()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "listed in id order");
    let alice_id = AttendeeId::for_provider_id(acc, "alice");
    let stored_alice = f.store.attendee_get(&f.tenant, alice_id).await.unwrap();
    assert_eq!(
        stored_alice.as_ref().and_then(|a| a.linkedin.clone()),
        alice.linkedin
    );

    // A later page describes Bob, mentions Alice only as a sender, and knows less of her in
    // another chat: what was known stays.
    let second = page_of(
        "c2",
        vec![
            person("me", "Me", true),
            person("alice", "Alice Renamed", false),
        ],
        vec![from("alice", "m4", 20)],
        vec![person("bob", "Bob B", false)],
    );
    let third = page_of("c1", vec![], vec![from("alice", "m5", 21)], vec![]);
    f.store
        .sync_checkpoint(checkpoint_of(&job, "a", vec![second, third]))
        .await
        .unwrap();
    let stored = attendees_of(&f, acc).await;
    assert_eq!(
        names(&stored),
        [
            ("alice", "Alice Renamed", false),
            ("bob", "Bob B", false),
            ("me", "Me", true)
        ]
    );
    let alice_now = f
        .store
        .attendee_get(&f.tenant, alice_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice_now.picture_url, alice.picture_url);
    assert_eq!(alice_now.profile_url, alice.profile_url);
    assert_eq!(alice_now.linkedin, alice.linkedin);

    // Chats and their attendees, both ways.
    let chats = f
        .store
        .chat_list_of_attendee(&alice_now, &all())
        .await
        .unwrap();
    let mut chat_ids: Vec<_> = chats.items.iter().map(|c| c.provider_id.as_str()).collect();
    chat_ids.sort();
    assert_eq!(chat_ids, ["c1", "c2"]);
    let bob = f
        .store
        .attendee_get(&f.tenant, AttendeeId::for_provider_id(acc, "bob"))
        .await
        .unwrap()
        .unwrap();
    let bobs = f.store.chat_list_of_attendee(&bob, &all()).await.unwrap();
    assert_eq!(
        bobs.items.len(),
        2,
        "a sender takes part in the chat he writes in"
    );
    let c2 = chats.items.iter().find(|c| c.provider_id == "c2").unwrap();
    let of_c2 = f.store.attendee_list_of_chat(c2).await.unwrap();
    assert_eq!(
        names(&of_c2),
        [
            ("alice", "Alice Renamed", false),
            ("bob", "Bob B", false),
            ("me", "Me", true)
        ]
    );

    // Another tenant sees none of it; deleting the account takes its attendees.
    let stranger = Tenant {
        owner: "someone else".into(),
        mode: ApiKeyMode::Test,
    };
    assert_eq!(
        f.store.attendee_get(&stranger, alice_id).await.unwrap(),
        None
    );
    let theirs = f
        .store
        .attendee_list(
            &stranger,
            &AttendeeQuery {
                account_id: None,
                page: all(),
            },
        )
        .await
        .unwrap();
    assert!(theirs.items.is_empty());
    assert!(f.store.account_delete(&f.tenant, acc).await.unwrap());
    assert_eq!(
        f.store.attendee_get(&f.tenant, alice_id).await.unwrap(),
        None
    );
}

/// Walks a search to its end, `limit` at a time.
async fn walk(f: &Fixture, tenant: &Tenant, mut search: MessageSearch) -> Vec<MessageRecord> {
    let mut out = Vec::new();
    for _ in 0..1000 {
        let page = f.store.message_search(tenant, &search).await.unwrap();
        assert!(page.items.len() <= search.page.limit as usize);
        out.extend(page.items);
        match page.next {
            Some(next) => search.page.cursor = Some(next),
            None => return out,
        }
    }
    panic!("the walk did not end");
}

async fn messages_across_chats_and_accounts_page_newest_first_to_the_end(f: Fixture) {
    let jobs = claimed_jobs(&f, 2).await;
    // Two accounts, three chats each; timestamps collide across chats and accounts, so the
    // order's tie-break (the id) is exercised too.
    let mut expected = Vec::new();
    for (a, job) in jobs.iter().enumerate() {
        let mut pages = Vec::new();
        for c in 0..3 {
            let messages: Vec<ProviderMessage> = (0..7)
                .map(|i| {
                    let sender = if i % 3 == 0 {
                        "me"
                    } else {
                        ["ann", "ben", "cy"][c]
                    };
                    from(
                        sender,
                        &format!("a{a}c{c}m{i}"),
                        100 + i64::from(i % 4) * 10,
                    )
                })
                .collect();
            let chat_people = vec![
                person("me", "Me", true),
                person(["ann", "ben", "cy"][c], "X", false),
            ];
            expected.extend(
                messages
                    .iter()
                    .map(|m| (job.account_id, m.provider_id.clone())),
            );
            pages.push(page_of(&format!("chat{c}"), chat_people, messages, vec![]));
        }
        f.store
            .sync_checkpoint(checkpoint_of(job, "a", pages))
            .await
            .unwrap();
    }
    let search = |account_id, sender_id: Option<&str>, span| MessageSearch {
        account_id,
        sender_id: sender_id.map(str::to_owned),
        span,
        page: PageRequest {
            limit: 4,
            cursor: None,
        },
    };
    let everything = walk(&f, &f.tenant, search(None, None, Span::default())).await;
    assert_eq!(everything.len(), expected.len());
    let seen: HashSet<MessageId> = everything.iter().map(|m| m.id).collect();
    assert_eq!(seen.len(), everything.len(), "no message twice");
    let order: Vec<_> = everything.iter().map(|m| (m.timestamp, m.id)).collect();
    assert!(
        order.windows(2).all(|w| w[0] > w[1]),
        "newest first, ties by id: {order:?}"
    );
    assert!(everything
        .iter()
        .all(|m| m.chat_provider_id.starts_with("chat")));

    let first = jobs[0].account_id;
    let one = walk(&f, &f.tenant, search(Some(first), None, Span::default())).await;
    assert_eq!(one.len(), 21);
    assert!(one.iter().all(|m| m.account_id == first));

    // A sender other than the owner (read through their chats), and the owner.
    let ben = walk(
        &f,
        &f.tenant,
        search(Some(first), Some("ben"), Span::default()),
    )
    .await;
    assert_eq!(ben.len(), 4, "{ben:?}");
    assert!(ben
        .iter()
        .all(|m| m.sender_id == "ben" && m.chat_provider_id == "chat1"));
    let me = walk(
        &f,
        &f.tenant,
        search(Some(first), Some("me"), Span::default()),
    )
    .await;
    assert_eq!(me.len(), 9);
    assert!(me.iter().all(|m| m.is_sender));
    let both_bens = walk(&f, &f.tenant, search(None, Some("ben"), Span::default())).await;
    assert_eq!(both_bens.len(), 8);

    let span = Span {
        after: Some(110),
        before: Some(120),
    };
    let inside = walk(&f, &f.tenant, search(None, None, span)).await;
    assert!(!inside.is_empty());
    assert!(inside.iter().all(|m| (110..=120).contains(&m.timestamp)));
    let count = everything
        .iter()
        .filter(|m| (110..=120).contains(&m.timestamp))
        .count();
    assert_eq!(inside.len(), count);

    // One message by id, for its tenant only; the newest of a chat.
    let any = &everything[5];
    let got = f.store.message_get(&f.tenant, any.id).await.unwrap();
    assert_eq!(got.as_ref(), Some(any));
    let stranger = Tenant {
        owner: "someone else".into(),
        mode: ApiKeyMode::Test,
    };
    assert_eq!(f.store.message_get(&stranger, any.id).await.unwrap(), None);
    assert!(walk(&f, &stranger, search(None, None, Span::default()))
        .await
        .is_empty());
    assert!(
        walk(&f, &stranger, search(Some(first), None, Span::default()))
            .await
            .is_empty()
    );
    let chats = chats_of(&f, first).await;
    let last = f.store.message_last(&chats[0]).await.unwrap().unwrap();
    let newest = one
        .iter()
        .filter(|m| m.chat_id == chats[0].id)
        .max_by_key(|m| (m.timestamp, m.id))
        .unwrap();
    assert_eq!(&last, newest);
}

async fn pages_across_many_chats_are_exactly_the_sorted_messages(f: Fixture) {
    let job = claimed_jobs(&f, 1).await.remove(0);
    // 25 chats of uneven sizes, times drawn from a small range so that many collide.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut draw = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut pages = Vec::new();
    for c in 0..25 {
        let size = 1 + draw(12);
        let messages = (0..size)
            .map(|i| {
                from(
                    ["me", "ann", "bob"][draw(3) as usize],
                    &format!("c{c}m{i}"),
                    draw(40) as i64,
                )
            })
            .collect();
        pages.push(page_of(&format!("chat{c}"), vec![], messages, vec![]));
    }
    f.store
        .sync_checkpoint(checkpoint_of(&job, "a", pages))
        .await
        .unwrap();
    let everything = walk(
        &f,
        &f.tenant,
        MessageSearch {
            page: PageRequest {
                limit: 250,
                cursor: None,
            },
            ..Default::default()
        },
    )
    .await;
    let mut sorted = everything.clone();
    sorted.sort_by_key(|m| std::cmp::Reverse((m.timestamp, m.id)));
    assert_eq!(everything, sorted);
    for (limit, sender, span) in [
        (1, None, Span::default()),
        (3, None, Span::default()),
        (7, Some("ann"), Span::default()),
        (
            4,
            None,
            Span {
                after: Some(10),
                before: Some(30),
            },
        ),
        (
            2,
            Some("me"),
            Span {
                after: Some(5),
                before: None,
            },
        ),
    ] {
        let got = walk(
            &f,
            &f.tenant,
            MessageSearch {
                account_id: Some(job.account_id),
                sender_id: sender.map(str::to_owned),
                span,
                page: PageRequest {
                    limit,
                    cursor: None,
                },
            },
        )
        .await;
        let want: Vec<_> = sorted
            .iter()
            .filter(|m| sender.is_none_or(|s| m.sender_id == s) && span.contains(m.timestamp))
            .cloned()
            .collect();
        assert_eq!(got, want, "limit {limit}, sender {sender:?}, span {span:?}");
    }
}

conformance!(
    attendees_come_with_their_pages_and_keep_what_was_known_of_them,
    nul_characters_are_stored_as_replacement_characters,
    messages_across_chats_and_accounts_page_newest_first_to_the_end,
    pages_across_many_chats_are_exactly_the_sorted_messages,
);

/// NUL characters, which anyone can put in a message and PostgreSQL's `text` cannot hold, are
/// stored as U+FFFD by every backend, and the page with them is written whole.
async fn nul_characters_are_stored_as_replacement_characters(f: Fixture) {
    let job = claimed_jobs(&f, 1).await.remove(0);
    let acc = job.account_id;
    let mut page = page_of(
        "c\0hat",
        vec![person("me", "Me", true), person("eve", "Eve\0l", false)],
        vec![ProviderMessage {
            text: Some("hello\0world".into()),
            subject: Some("\0".into()),
            original: "{\"text\":\"hello\0world\"}".into(),
            ..from("eve", "m\u{0}1", 10)
        }],
        vec![],
    );
    page.chat.name = Some("na\0me".into());
    f.store
        .sync_checkpoint(checkpoint_of(&job, "a", vec![page]))
        .await
        .unwrap();
    let chats = chats_of(&f, acc).await;
    assert_eq!(chats.len(), 1);
    assert_eq!(chats[0].provider_id, "c\u{FFFD}hat");
    assert_eq!(chats[0].name.as_deref(), Some("na\u{FFFD}me"));
    let messages = messages_of(&f, &chats[0]).await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.provider_id, "m\u{FFFD}1");
    assert_eq!(m.text.as_deref(), Some("hello\u{FFFD}world"));
    assert_eq!(m.subject.as_deref(), Some("\u{FFFD}"));
    let names: Vec<_> = attendees_of(&f, acc)
        .await
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert!(names.contains(&"Eve\u{FFFD}l".to_owned()), "{names:?}");
}
