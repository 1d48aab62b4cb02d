//! Whole walks: the connector over HTTP sees exactly the data the generator made.

use std::time::Duration;

use msgsync_core::{AccountId, LinkedinProduct, Span};
use msgsync_providers::{ChatPageRequest, ProviderError};
use msgsync_sandbox::SandboxHub;

use crate::common::*;

const ALL: &str = "products=classic+recruiter+sales_navigator";

/// Walks every inbox of `secret` through the connector over HTTP and compares all chats and
/// messages with the data set the simulator serves.
async fn compare(secret: &str, span: Span, chat_limit: u32, message_limit: u32) -> usize {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let http = connector(&sim, Duration::from_secs(30));
    let remote = open(&http, AccountId::new(), secret).await.unwrap();
    let ds = dataset(&hub, secret);
    let mut seen = 0;
    for inbox in ds.inboxes().into_iter().flatten() {
        let mut theirs = generated_chats(&ds, inbox, span);
        if inbox == LinkedinProduct::Classic {
            // The classic inbox is walked one category at a time: the inbox, then the archive.
            theirs.sort_by_key(|c| c.archived);
        }
        let ours = walk_chats(remote.as_ref(), inbox, span, chat_limit)
            .await
            .unwrap();
        let shown: Vec<_> = theirs
            .iter()
            .map(|c| chat_on_simulator(&sim, c.clone()))
            .collect();
        let (ours, shown) = if inbox == LinkedinProduct::SalesNavigator {
            (sales(ours), sales(shown))
        } else {
            (ours, shown)
        };
        assert_eq!(ours, shown, "chats of {inbox} ({secret}, {span:?})");
        for chat in &theirs {
            let want: Vec<_> = generated_messages(&ds, &chat.provider_id, span)
                .into_iter()
                .map(|m| on_simulator(&sim, comparable(m)))
                .collect();
            let got: Vec<_> = walk_messages(
                remote.as_ref(),
                inbox,
                &chat.provider_id,
                span,
                message_limit,
            )
            .await
            .unwrap()
            .into_iter()
            .map(comparable)
            .collect();
            assert!(got.iter().all(|m| span.contains(m.timestamp_ms)));
            let (got, want) = if inbox == LinkedinProduct::SalesNavigator {
                (sales_messages(got), sales_messages(want))
            } else {
                (got, want)
            };
            assert_eq!(got, want, "messages of {} in {inbox}", chat.provider_id);
            seen += got.len();
        }
    }
    sim.stop().await;
    seen
}

#[tokio::test]
async fn default_scenario_matches_the_generated_data() {
    let n = compare("sandbox", Span::default(), 25, 20).await;
    assert_eq!(n, 20 * 25);
}

#[tokio::test]
async fn every_inbox_and_page_size_matches() {
    for (chats, messages) in [(1, 7), (7, 1), (25, 20), (100, 100)] {
        let secret = format!("sandbox:chats=24,messages=9,seed=7,{ALL}");
        let n = compare(&secret, Span::default(), chats, messages).await;
        assert_eq!(n, 24 * 9);
    }
}

#[tokio::test]
async fn spans_keep_exactly_what_is_in_them() {
    let day = 86_400_000;
    let spans = [
        Span {
            after: Some(ANCHOR - 30 * day),
            before: None,
        },
        Span {
            after: Some(ANCHOR - 200 * day),
            before: Some(ANCHOR - 100 * day),
        },
        Span {
            after: None,
            before: Some(ANCHOR - 300 * day),
        },
    ];
    for span in spans {
        compare(&format!("sandbox:chats=30,messages=40,{ALL}"), span, 10, 15).await;
    }
}

#[tokio::test]
async fn empty_and_larger_data_sets() {
    assert_eq!(compare("sandbox:chats=0", Span::default(), 25, 20).await, 0);
    assert_eq!(
        compare("sandbox:chats=3,messages=0", Span::default(), 25, 20).await,
        0
    );
    compare(
        "sandbox:chats=60,messages=3,span_days=2",
        Span::default(),
        25,
        20,
    )
    .await;
}

#[tokio::test]
async fn an_inbox_the_account_lacks_is_not_supported() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let http = connector(&sim, Duration::from_secs(30));
    let session = open(&http, AccountId::new(), "sandbox:products=recruiter")
        .await
        .unwrap();
    for inbox in [LinkedinProduct::Classic, LinkedinProduct::SalesNavigator] {
        let err = session
            .chats_page(&ChatPageRequest {
                inbox: Some(inbox),
                cursor: None,
                span: Span::default(),
                limit: 25,
                known_activity_ms: None,
            })
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::NotSupported(_)), "{err:?}");
    }
    let chats = walk_chats(
        session.as_ref(),
        LinkedinProduct::Recruiter,
        Span::default(),
        25,
    )
    .await
    .unwrap();
    assert_eq!(chats.len(), 20);
    assert!(chats
        .iter()
        .all(|c| c.content_type.as_deref() == Some("inmail")));
    sim.stop().await;
}

#[tokio::test]
async fn sandbox_credentials_are_checked_without_a_request() {
    use msgsync_providers::Connector;
    let http = msgsync_sandbox::SandboxLinkedinConnector::new("http://127.0.0.1:9");
    let profile = http
        .check_credentials(&credentials("sandbox:products=classic+recruiter"))
        .unwrap();
    assert_eq!(
        profile.linkedin_products,
        Some(vec![LinkedinProduct::Classic, LinkedinProduct::Recruiter])
    );
    let err = http
        .check_credentials(&credentials("sandbox:chats=x"))
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("invalid sandbox scenario"),
        "{err:?}"
    );
}
