//! Issue 10: the live connector against the real behaviours the simulator was taught — one
//! category per query, the inboxes LinkedIn has, paging that cannot stop silently, a session
//! from `li_at` alone with the cookies LinkedIn sets kept, and the account's proxy.

use std::collections::HashSet;
use std::time::Duration;

use msgsync_core::{AccountId, LinkedinProduct, ProviderKind, Span};
use msgsync_providers::linkedin::{LinkedinConfig, LinkedinConnector};
use msgsync_providers::{
    ChatPageRequest, ConnectRequest, Connector, Credentials, ProviderChat, ProviderError,
    ProviderSession, ProxyProtocol, ProxySettings,
};
use msgsync_sandbox::{sandbox_cookies, SandboxHub, Scenario, VoyagerHandle};

use crate::common::*;
use crate::proxy;

/// The live connector (not the sandbox's) on the simulator, as `tweak` sets it up.
fn live(sim: &VoyagerHandle, tweak: impl FnOnce(&mut LinkedinConfig)) -> LinkedinConnector {
    let mut config = LinkedinConfig::sandbox(sim.base_url());
    config.simulated_recruiter_inbox = false;
    config.request_timeout = Duration::from_secs(10);
    tweak(&mut config);
    LinkedinConnector::new(config)
}

fn cookies(scenario: &str) -> String {
    let scenario = Scenario::parse(ProviderKind::Linkedin, scenario).unwrap();
    sandbox_cookies(&scenario, &AccountId::new().to_string())
}

async fn open_with(
    connector: &LinkedinConnector,
    credentials: Credentials,
) -> Result<Box<dyn ProviderSession>, ProviderError> {
    connector
        .open(&ConnectRequest {
            account_id: AccountId::new(),
            provider: ProviderKind::Linkedin,
            credentials,
        })
        .await
}

/// The classic chats of a scenario as the generator has them, in the walk's order: the
/// inbox's chats, newest first, then the archived ones.
fn classic_chats(hub: &SandboxHub, scenario: &str) -> Vec<ProviderChat> {
    let all = generated_chats(
        &dataset(hub, scenario),
        LinkedinProduct::Classic,
        Span::default(),
    );
    let (archived, inbox): (Vec<_>, Vec<_>) = all.into_iter().partition(|c| c.archived);
    inbox.into_iter().chain(archived).collect()
}

fn ids(chats: &[ProviderChat]) -> Vec<String> {
    chats.iter().map(|c| c.provider_id.clone()).collect()
}

/// Walks the classic inbox, counting the pages.
async fn walk_counted(
    session: &dyn ProviderSession,
    limit: u32,
    known: Option<i64>,
) -> Result<(Vec<ProviderChat>, usize), ProviderError> {
    let mut out = Vec::new();
    let mut cursor = None;
    for pages in 1..=1000 {
        let page = session
            .chats_page(&ChatPageRequest {
                inbox: Some(LinkedinProduct::Classic),
                cursor: cursor.clone(),
                span: Span::default(),
                limit,
                known_activity_ms: known,
            })
            .await?;
        out.extend(page.chats);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok((out, pages)),
        }
    }
    panic!("the walk did not end");
}

const MANY: &str = "sandbox:chats=120,messages=2,seed=11";

#[tokio::test]
async fn each_category_is_walked_on_its_own_with_its_own_cursor() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let want = classic_chats(&hub, MANY);
    assert!(
        want.iter().any(|c| c.archived),
        "the data set has archived chats"
    );
    let session = open_with(&live(&sim, |_| {}), credentials(&cookies(MANY)))
        .await
        .unwrap();
    let (got, _) = walk_counted(session.as_ref(), 25, None).await.unwrap();
    assert_eq!(ids(&got), ids(&want));
    // A cursor saved by an older msgsync (LinkedIn's own, of a two-category query) starts the
    // inbox over rather than being sent to one category.
    let restarted = session
        .chats_page(&ChatPageRequest {
            inbox: Some(LinkedinProduct::Classic),
            cursor: Some("MTc2NzIyNTYwMDAwMDoyLWFi".into()),
            span: Span::default(),
            limit: 25,
            known_activity_ms: None,
        })
        .await
        .unwrap();
    assert_eq!(ids(&restarted.chats), ids(&want[..25]));
    sim.stop().await;
}

#[tokio::test]
async fn live_recruiter_inboxes_are_refused_and_sales_navigator_needs_li_a() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let connector = live(&sim, |_| {});
    let why = connector
        .inbox_not_implemented(LinkedinProduct::Recruiter)
        .unwrap();
    assert!(why.contains("Recruiter"), "{why}");
    for inbox in [LinkedinProduct::Classic, LinkedinProduct::SalesNavigator] {
        assert_eq!(connector.inbox_not_implemented(inbox), None);
    }
    // The sandbox keeps simulating all three.
    let sandbox = connector_for(&sim);
    for inbox in [
        LinkedinProduct::Classic,
        LinkedinProduct::Recruiter,
        LinkedinProduct::SalesNavigator,
    ] {
        assert_eq!(sandbox.inbox_not_implemented(inbox), None);
    }
    let all = "sandbox:chats=12,products=classic+recruiter+sales_navigator";
    let with_li_a = cookies(all);
    let session = open_with(&connector, credentials(&with_li_a))
        .await
        .unwrap();
    let page = |inbox| ChatPageRequest {
        inbox: Some(inbox),
        cursor: None,
        span: Span::default(),
        limit: 25,
        known_activity_ms: None,
    };
    let err = session
        .chats_page(&page(LinkedinProduct::Recruiter))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::NotSupported(m) if m.contains("Recruiter")),
        "{err:?}"
    );
    let sales = session
        .chats_page(&page(LinkedinProduct::SalesNavigator))
        .await
        .unwrap();
    assert!(!sales.chats.is_empty());
    // Without li_a, Sales Navigator says what is missing.
    let without: String = with_li_a
        .split("; ")
        .filter(|c| !c.starts_with("li_a="))
        .collect::<Vec<_>>()
        .join("; ");
    let session = open_with(&connector, credentials(&without)).await.unwrap();
    let err = session
        .chats_page(&page(LinkedinProduct::SalesNavigator))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::NotSupported(m) if m.contains("premium_token")),
        "{err:?}"
    );
    // Given as Unipile's premium_token, it is the li_a cookie.
    let li_a = with_li_a.split("li_a=").nth(1).unwrap().to_string();
    let session = open_with(
        &connector,
        Credentials {
            premium_token: Some(li_a),
            ..credentials(&without)
        },
    )
    .await
    .unwrap();
    let again = session
        .chats_page(&page(LinkedinProduct::SalesNavigator))
        .await
        .unwrap();
    assert_eq!(ids(&again.chats), ids(&sales.chats));
    sim.stop().await;
}

fn connector_for(sim: &VoyagerHandle) -> msgsync_sandbox::SandboxLinkedinConnector {
    connector(sim, Duration::from_secs(10))
}

#[tokio::test]
async fn a_query_that_ignores_cursors_is_an_error_naming_the_setting_never_the_end() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let on_load = sim.query_ids().conversations_on_load;
    let pinned = live(&sim, |c| {
        c.discover_query_ids = false;
        c.conversations_query_id = on_load.clone();
    });
    let session = open_with(&pinned, credentials(&cookies(MANY)))
        .await
        .unwrap();
    let err = walk_counted(session.as_ref(), 25, None).await.unwrap_err();
    let ProviderError::Protocol(detail) = &err else {
        panic!("{err:?}");
    };
    assert!(detail.contains(&on_load), "{detail}");
    assert!(
        detail.contains("MSGSYNC_LINKEDIN_CONVERSATIONS_QUERY_ID"),
        "{detail}"
    );
    // Pinned ids that a deploy retired: the same kind of error, not an empty inbox.
    sim.deploy();
    let stale = live(&sim, |c| c.discover_query_ids = false);
    let session = open_with(&stale, credentials(&cookies(MANY)))
        .await
        .unwrap();
    let err = walk_counted(session.as_ref(), 25, None).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Protocol(d) if d.contains("MSGSYNC_LINKEDIN_CONVERSATIONS_QUERY_ID")),
        "{err:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn the_paging_query_is_found_in_the_web_apps_script_and_followed_across_deploys() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let want = classic_chats(&hub, MANY);
    // The configured id is the page-load one: the walk learns from the web app which pages.
    let on_load = sim.query_ids().conversations_on_load;
    let connector = live(&sim, |c| c.conversations_query_id = on_load.clone());
    let session = open_with(&connector, credentials(&cookies(MANY)))
        .await
        .unwrap();
    let (got, _) = walk_counted(session.as_ref(), 25, None).await.unwrap();
    assert_eq!(ids(&got), ids(&want));
    // LinkedIn deploys in the middle of a walk: the old ids are refused, the new ones are read
    // from the web app again, and the walk goes on where it was.
    let session = open_with(&connector, credentials(&cookies(MANY)))
        .await
        .unwrap();
    let first = |cursor| ChatPageRequest {
        inbox: Some(LinkedinProduct::Classic),
        cursor,
        span: Span::default(),
        limit: 25,
        known_activity_ms: None,
    };
    let page1 = session.chats_page(&first(None)).await.unwrap();
    let page2 = session
        .chats_page(&first(page1.next_cursor.clone()))
        .await
        .unwrap();
    let new_ids = sim.deploy();
    let mut got = [page1.chats, page2.chats].concat();
    let mut cursor = page2.next_cursor;
    while let Some(c) = cursor {
        let page = session.chats_page(&first(Some(c))).await.unwrap();
        got.extend(page.chats);
        cursor = page.next_cursor;
    }
    assert_eq!(ids(&got), ids(&want));
    // Messages too: the retired ids give way to the deploy's.
    assert_ne!(
        new_ids.messages_by_anchor,
        msgsync_sandbox::voyager::QueryIds::of_deploy(0).messages_by_anchor
    );
    let messages = walk_messages(
        session.as_ref(),
        LinkedinProduct::Classic,
        &want[0].provider_id,
        Span::default(),
        1,
    )
    .await
    .unwrap();
    assert_eq!(messages.len(), 2);
    sim.stop().await;
}

#[tokio::test]
async fn the_web_app_serves_its_query_ids_in_a_script() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let client = reqwest::Client::new();
    let li_at = cookies("sandbox").split(';').next().unwrap().to_string();
    let page = client
        .get(format!("{}/messaging/", sim.base_url()))
        .header("cookie", &li_at)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut scripts = String::new();
    for src in page.split("src=\"").skip(1) {
        let url = src.split('"').next().unwrap();
        scripts.push_str(&client.get(url).send().await.unwrap().text().await.unwrap());
    }
    let ids = sim.query_ids();
    for id in [
        &ids.conversations_on_load,
        &ids.conversations_paging,
        &ids.messages_by_anchor,
        &ids.messages_by_cursor,
    ] {
        assert!(scripts.contains(id.as_str()), "{id} not in {scripts}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn an_incremental_walk_stops_once_a_whole_page_is_already_stored() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let want_all = classic_chats(&hub, MANY);
    let mut by_time: Vec<i64> = want_all.iter().map(|c| c.last_activity_ms).collect();
    by_time.sort_unstable_by(|a, b| b.cmp(a));
    let known = by_time[30];
    let newer: Vec<ProviderChat> = want_all
        .iter()
        .filter(|c| c.last_activity_ms > known)
        .cloned()
        .collect();
    let session = open_with(&live(&sim, |_| {}), credentials(&cookies(MANY)))
        .await
        .unwrap();
    let (got, pages) = walk_counted(session.as_ref(), 10, Some(known))
        .await
        .unwrap();
    assert_eq!(ids(&got), ids(&newer));
    // Each category stops at its first page of stored chats: a handful of pages, not the
    // twelve the inbox takes.
    let (_, full) = walk_counted(session.as_ref(), 10, None).await.unwrap();
    assert!(full >= 12, "{full}");
    let inbox_new = newer.iter().filter(|c| !c.archived).count();
    let archive_new = newer.len() - inbox_new;
    assert!(
        pages <= inbox_new / 10 + archive_new / 10 + 4,
        "{pages} pages for {} newer chats",
        newer.len()
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_bare_li_at_gets_the_sessions_jsessionid_and_the_jar_keeps_what_linkedin_sets() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let full = cookies("sandbox:chats=3");
    let li_at = full.split(';').next().unwrap().trim_start_matches("li_at=");
    let jsessionid = full.split('"').nth(1).unwrap();
    let session = open_with(&live(&sim, |_| {}), credentials(li_at))
        .await
        .unwrap();
    let kept = session.take_updated_credentials().unwrap();
    assert!(
        kept.secret.starts_with(&format!("li_at={li_at}")),
        "{}",
        kept.secret
    );
    assert!(
        kept.secret
            .contains(&format!("JSESSIONID=\"{jsessionid}\"")),
        "{}",
        kept.secret
    );
    assert!(kept.secret.contains("lidc=\""), "{}", kept.secret);
    assert_eq!(
        session.take_updated_credentials(),
        None,
        "nothing new since"
    );
    let page = walk_chats(
        session.as_ref(),
        LinkedinProduct::Classic,
        Span::default(),
        25,
    )
    .await
    .unwrap();
    assert_eq!(page.len(), 3);
    // The kept cookies open the next session without another page load for a JSESSIONID.
    let next = open_with(&live(&sim, |_| {}), Credentials::new(kept.secret.clone()))
        .await
        .unwrap();
    let again = next.take_updated_credentials().unwrap();
    assert_ne!(again.secret, kept.secret, "a new routing cookie");
    assert!(again.secret.contains(jsessionid));
    sim.stop().await;
}

fn via(protocol: ProxyProtocol, port: u16, login: proxy::Login) -> Option<ProxySettings> {
    Some(ProxySettings {
        protocol,
        host: "127.0.0.1".into(),
        port,
        username: login.map(|(u, _)| u.to_string()),
        password: login.map(|(_, p)| p.to_string()),
    })
}

/// A connector whose LinkedIn is a host that cannot be reached directly: only a proxy that
/// carries the requests to the simulator makes the session work.
fn unreachable(sim: &VoyagerHandle) -> LinkedinConnector {
    let _ = sim;
    LinkedinConnector::new(LinkedinConfig {
        base_url: "http://linkedin.sandbox.invalid".into(),
        simulated_recruiter_inbox: false,
        request_timeout: Duration::from_secs(10),
        ..LinkedinConfig::sandbox("http://linkedin.sandbox.invalid")
    })
}

#[tokio::test]
async fn every_request_of_the_account_goes_through_its_proxy() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let login = Some(("user", "p@ss:word"));
    for (protocol, proxy) in [
        (
            ProxyProtocol::Http,
            proxy::http(sim.local_addr(), login).await,
        ),
        (
            ProxyProtocol::Socks5,
            proxy::socks5(sim.local_addr(), login).await,
        ),
    ] {
        let session = open_with(
            &unreachable(&sim),
            Credentials {
                proxy: via(protocol, proxy.port, login),
                ..credentials(&cookies("sandbox:chats=4"))
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{protocol:?}: {e:?}"));
        let chats = walk_chats(
            session.as_ref(),
            LinkedinProduct::Classic,
            Span::default(),
            25,
        )
        .await
        .unwrap();
        assert_eq!(chats.len(), 4, "{protocol:?}");
        let seen = proxy.seen.lock().unwrap().clone();
        assert!(
            seen.iter().all(|s| s.contains("linkedin.sandbox.invalid")),
            "{protocol:?}: {seen:?}"
        );
        assert!(!seen.is_empty());
    }
    sim.stop().await;
}

#[tokio::test]
async fn a_failing_proxy_is_a_clear_error_never_a_direct_connection() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let secret = cookies("sandbox:chats=2");
    // LinkedIn (the simulator) is reachable directly; the proxy is not.
    let dead = proxy::closed_port().await;
    for protocol in [ProxyProtocol::Http, ProxyProtocol::Socks5] {
        let err = open_with(
            &live(&sim, |_| {}),
            Credentials {
                proxy: via(protocol, dead, None),
                ..credentials(&secret)
            },
        )
        .await
        .err()
        .unwrap();
        assert!(
            matches!(&err, ProviderError::Transient(m) if m.contains(&format!("127.0.0.1:{dead}"))),
            "{protocol:?}: {err:?}"
        );
    }
    // Wrong proxy credentials are the account's to fix: reconnect with working ones.
    let guarded = proxy::http(sim.local_addr(), Some(("user", "right"))).await;
    let err = open_with(
        &unreachable(&sim),
        Credentials {
            proxy: via(ProxyProtocol::Http, guarded.port, Some(("user", "wrong"))),
            ..credentials(&secret)
        },
    )
    .await
    .err()
    .unwrap();
    assert!(
        matches!(&err, ProviderError::SessionExpired(m) if m.contains("proxy") && !m.contains("wrong")),
        "{err:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn sales_navigator_pages_back_in_time_without_repeats() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let scenario = "sandbox:chats=90,messages=3,seed=5,products=classic+sales_navigator";
    let session = open_with(&live(&sim, |_| {}), credentials(&cookies(scenario)))
        .await
        .unwrap();
    let got = walk_chats(
        session.as_ref(),
        LinkedinProduct::SalesNavigator,
        Span::default(),
        7,
    )
    .await
    .unwrap();
    let want = generated_chats(
        &dataset(&hub, scenario),
        LinkedinProduct::SalesNavigator,
        Span::default(),
    );
    assert_eq!(ids(&got), ids(&want));
    assert_eq!(
        got.iter()
            .map(|c| &c.provider_id)
            .collect::<HashSet<_>>()
            .len(),
        got.len()
    );
    sim.stop().await;
}
