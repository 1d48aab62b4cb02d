//! HTTP-level behaviour: cookies, CSRF, quirks, response shapes, and the classification of
//! LinkedIn's failure signals.

use std::time::{Duration, SystemTime};

use msgsync_core::{AccountId, ProviderKind};
use msgsync_providers::linkedin::{
    LinkedinConfig, LinkedinConnector, AUTHENTICATE_PATH, GRAPHQL_PATH, MESSAGING_PAGE, ME_PATH,
};
use msgsync_providers::{Connector, ProviderError};
use msgsync_sandbox::{sandbox_cookies, SandboxHub, Scenario};
use serde_json::Value;

use crate::common::*;
use crate::mock::{self, response};

fn scenario(s: &str) -> Scenario {
    Scenario::parse(ProviderKind::Linkedin, s).unwrap()
}

fn jsessionid(cookies: &str) -> String {
    cookies
        .split("JSESSIONID=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get(
    base: &str,
    path: &str,
    cookies: Option<&str>,
    csrf: Option<&str>,
) -> reqwest::Response {
    let mut r = client().get(format!("{base}{path}"));
    if let Some(c) = cookies {
        r = r.header("cookie", c);
    }
    if let Some(t) = csrf {
        r = r.header("csrf-token", t);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn csrf_unknown_cookies_and_the_bare_li_at() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let base = sim.base_url();
    let cookies = sandbox_cookies(&scenario("sandbox"), "n1");
    let good = jsessionid(&cookies);
    let r = get(&base, ME_PATH, Some(&cookies), Some("ajax:0")).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.text().await.unwrap(), "CSRF check failed");
    assert_eq!(
        get(&base, ME_PATH, Some(&cookies), None).await.status(),
        403
    );
    assert_eq!(
        get(&base, ME_PATH, Some(&cookies), Some(&good))
            .await
            .status(),
        200
    );
    // Unknown session: to the login page, and the cookie is deleted.
    let r = get(&base, ME_PATH, Some("li_at=AQEDAQbogus"), None).await;
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("/uas/login"));
    assert_eq!(get(&base, ME_PATH, None, None).await.status(), 401);
    // A JSESSIONID from an anonymous visit is bound to no member's session.
    let anonymous = get(&base, AUTHENTICATE_PATH, None, None).await;
    let set = anonymous.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let anon = set.split('"').nth(1).unwrap().to_string();
    let li_at_only = cookies.split(';').next().unwrap().to_string();
    let r = get(
        &base,
        ME_PATH,
        Some(&format!("{li_at_only}; JSESSIONID=\"{anon}\"")),
        Some(&anon),
    )
    .await;
    assert_eq!(r.status(), 403);
    // A logged-in page load gives the session's own.
    let page = get(&base, MESSAGING_PAGE, Some(&li_at_only), None).await;
    assert_eq!(page.status(), 200);
    let set = page.headers()["set-cookie"].to_str().unwrap();
    assert!(set.contains(&good), "{set}");
    // Through the live connector: an unknown cookie is an expired session; the bare li_at
    // works once the JSESSIONID was taken from a page, as a logged-in browser gets it.
    let live = LinkedinConnector::new(LinkedinConfig::sandbox(&base));
    let err = open(&live, AccountId::new(), "AQEDAQbogus")
        .await
        .err()
        .unwrap();
    assert!(matches!(err, ProviderError::SessionExpired(_)), "{err:?}");
    let li_at = cookies
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("li_at=");
    assert!(open(&live, AccountId::new(), li_at).await.is_ok());
    assert!(open(&live, AccountId::new(), &cookies).await.is_ok());
    assert!(live.check_credentials(&credentials(li_at)).is_ok());
    assert!(live
        .check_credentials(&credentials("JSESSIONID=x"))
        .is_err());
    sim.stop().await;
}

async fn graphql(base: &str, cookies: &str, query: &str) -> (u16, Value) {
    let r = get(
        base,
        &format!("{GRAPHQL_PATH}?{query}"),
        Some(cookies),
        Some(&jsessionid(cookies)),
    )
    .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn elements(v: &Value, field: &str) -> Vec<Value> {
    v["data"][field]["elements"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Same field names, recursively; arrays compared by their first elements.
fn same_structure(path: &str, want: &Value, got: &Value) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            let mut wk: Vec<_> = w.keys().collect();
            let mut gk: Vec<_> = g.keys().collect();
            wk.sort();
            gk.sort();
            assert_eq!(gk, wk, "fields of {path}");
            for (k, wv) in w {
                same_structure(&format!("{path}.{k}"), wv, &g[k]);
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if let (Some(w), Some(g)) = (w.first(), g.first()) {
                same_structure(&format!("{path}[0]"), w, g);
            }
        }
        // Optional fields are null on one side and set on the other.
        (Value::Null, _) | (_, Value::Null) => {}
        (w, g) => assert_eq!(
            std::mem::discriminant(w),
            std::mem::discriminant(g),
            "type of {path}"
        ),
    }
}

#[tokio::test]
async fn answers_have_the_recorded_shape_and_the_quirks() {
    let fixture: Value =
        serde_json::from_str(include_str!("../fixtures/voyager_graphql.json")).unwrap();
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let base = sim.base_url();
    let cookies = sandbox_cookies(&scenario("sandbox:chats=30"), "n2");
    let me: Value = get(&base, ME_PATH, Some(&cookies), Some(&jsessionid(&cookies)))
        .await
        .json()
        .await
        .unwrap();
    same_structure("me", &fixture["me"], &me);
    let owner = me["miniProfile"]["dashEntityUrn"]
        .as_str()
        .unwrap()
        .to_string();
    let mailbox = owner.replace(':', "%3A");
    let ids = sim.query_ids();
    let paging = ids.conversations_paging.clone();
    let q = |vars: &str| format!("queryId={paging}&variables={vars}");
    let inbox = "query:(predicateUnions:List((conversationCategoryPredicate:(category:INBOX))))";
    let (status, page) = graphql(
        &base,
        &cookies,
        &q(&format!("({inbox},count:20,mailboxUrn:{mailbox})")),
    )
    .await;
    assert_eq!(status, 200);
    same_structure("conversations", &fixture["conversations"], &page);
    let convs = elements(&page, "messengerConversationsByCategoryQuery");
    assert_eq!(convs.len(), 20);
    let next = page["data"]["messengerConversationsByCategoryQuery"]["metadata"]["nextCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let page2_vars = format!("({inbox},count:20,mailboxUrn:{mailbox},nextCursor:{next})");
    let (_, page2) = graphql(&base, &cookies, &q(&page2_vars)).await;
    assert_ne!(page2, page);
    // The page-load query ignores the cursor: the first page again.
    let (status, again) = graphql(
        &base,
        &cookies,
        &format!(
            "queryId={}&variables={page2_vars}",
            ids.conversations_on_load
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again, page);
    // One category per query: two are refused, not answered empty.
    let both = "query:(predicateUnions:List((conversationCategoryPredicate:(category:INBOX)),(conversationCategoryPredicate:(category:ARCHIVE))))";
    let (status, _) = graphql(
        &base,
        &cookies,
        &q(&format!("({both},count:20,mailboxUrn:{mailbox})")),
    )
    .await;
    assert_eq!(status, 400);
    // An id the web app does not run (any more) is refused.
    let (status, _) = graphql(
        &base,
        &cookies,
        &format!("queryId=messengerConversations.abc123&variables=({inbox},mailboxUrn:{mailbox})"),
    )
    .await;
    assert_eq!(status, 400);
    // Variable order is free; unknown variables are ignored (page 1 again).
    let (_, again) = graphql(
        &base,
        &cookies,
        &q(&format!("(mailboxUrn:{mailbox},count:20,bogus:1,{inbox})")),
    )
    .await;
    assert_eq!(again, page);
    // Above 25: an empty 200.
    let (status, empty) = graphql(
        &base,
        &cookies,
        &q(&format!("({inbox},count:26,mailboxUrn:{mailbox})")),
    )
    .await;
    assert_eq!(status, 200);
    assert!(elements(&empty, "messengerConversationsByCategoryQuery").is_empty());
    // A URN that is not percent-encoded is not Rest.li.
    let (status, _) = graphql(
        &base,
        &cookies,
        &q(&format!("(count:20,mailboxUrn:{owner})")),
    )
    .await;
    assert_eq!(status, 400);
    // Messages, anchored at a time: the recorded shape as well.
    let conv = convs[0]["entityUrn"].as_str().unwrap();
    let enc: String = conv
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let (status, msgs) = graphql(&base, &cookies, &format!(
        "queryId={}&variables=(deliveredAt:{ANCHOR},conversationUrn:{enc},countBefore:20,countAfter:0)",
        ids.messages_by_anchor
    )).await;
    assert_eq!(status, 200);
    same_structure("messages", &fixture["messages"], &msgs);
    sim.stop().await;
}

/// Opens a live connector session against a server giving `answer` to `/voyager/api/me`.
async fn open_against(answer: &str) -> (Result<(), ProviderError>, mock::Mock) {
    let mock = mock::serve(answer.to_string()).await;
    let mut config = LinkedinConfig::sandbox(&mock.base_url);
    config.request_timeout = Duration::from_secs(5);
    let live = LinkedinConnector::new(config);
    let r = open(&live, AccountId::new(), "AQEDAQx").await.map(|_| ());
    (r, mock)
}

#[tokio::test]
async fn linkedins_failure_signals_are_typed() {
    let expired =
        |r: &Result<(), ProviderError>| matches!(r, Err(ProviderError::SessionExpired(_)));
    for loc in [
        "/login",
        "/uas/login?x=1",
        "/checkpoint/challenge/a",
        "https://www.linkedin.com/authwall?t=1",
    ] {
        let (r, _) =
            open_against(&response("302 Found", &format!("Location: {loc}\r\n"), "")).await;
        assert!(expired(&r), "{loc}: {r:?}");
    }
    let (r, _) = open_against(&response(
        "200 OK",
        "Set-Cookie: li_at=delete me; Path=/\r\n",
        "{}",
    ))
    .await;
    assert!(expired(&r), "{r:?}");
    let (r, _) = open_against(&response("401 Unauthorized", "", "")).await;
    assert!(expired(&r), "{r:?}");
    let (r, _) = open_against(&response("429 Too Many Requests", "Retry-After: 7\r\n", "")).await;
    assert_eq!(
        r,
        Err(ProviderError::RateLimited {
            retry_after: Duration::from_secs(7)
        })
    );
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
    let (r, _) = open_against(&response(
        "429 Too Many Requests",
        &format!("Retry-After: {at}\r\n"),
        "",
    ))
    .await;
    match r {
        Err(ProviderError::RateLimited { retry_after }) => {
            assert!(
                retry_after > Duration::from_secs(60) && retry_after <= Duration::from_secs(120),
                "{retry_after:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let (r, _) = open_against(&response("999 Request denied", "", "")).await;
    assert!(
        matches!(r, Err(ProviderError::RateLimited { retry_after }) if retry_after >= Duration::from_secs(600)),
        "{r:?}"
    );
    let (r, _) = open_against(&response("503 Service Unavailable", "", "")).await;
    assert!(matches!(r, Err(ProviderError::Unavailable(_))), "{r:?}");
    let (r, _) = open_against(&response("502 Bad Gateway", "", "")).await;
    assert!(matches!(r, Err(ProviderError::Transient(_))), "{r:?}");
    let (r, _) = open_against(&response(
        "403 Forbidden",
        "",
        "{\"message\":\"This account has been restricted\"}",
    ))
    .await;
    assert!(matches!(r, Err(ProviderError::Restricted(_))), "{r:?}");
    let (r, _) = open_against(&response("200 OK", "", "{\"miniProfile\": ")).await;
    assert!(matches!(r, Err(ProviderError::Protocol(_))), "{r:?}");
    let (r, _) = open_against(&response("200 OK", "", "{}")).await;
    assert!(matches!(r, Err(ProviderError::Protocol(_))), "{r:?}");
    // Truncated: the length promises more than comes before the connection closes.
    let (r, _) = open_against(
        "HTTP/1.1 200 OK\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{\"miniProfile\":{",
    )
    .await;
    assert!(matches!(r, Err(ProviderError::Protocol(_))), "{r:?}");
}

#[tokio::test]
async fn requests_carry_the_web_clients_headers() {
    let me = r#"{"miniProfile":{"dashEntityUrn":"urn:li:fsd_profile:ACoAAx"}}"#;
    let (r, mock) = open_against(&response("200 OK", "", me)).await;
    assert!(r.is_ok(), "{r:?}");
    let requests = mock.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    // The JSESSIONID comes from a page load, as a logged-in browser gets it: no CSRF token
    // there, the browser's navigation headers instead.
    let page = requests[0].to_ascii_lowercase();
    assert!(page.starts_with("get /messaging/"), "{page}");
    for h in [
        "sec-fetch-mode: navigate",
        "accept: text/html",
        "cookie: li_at=aqedaqx",
    ] {
        assert!(page.contains(h), "{h} missing in {page}");
    }
    assert!(!page.contains("csrf-token"), "{page}");
    let head = requests[1].to_ascii_lowercase();
    for h in [
        "csrf-token: ajax:42",
        "x-restli-protocol-version: 2.0.0",
        "x-li-track: {",
        "x-li-page-instance: urn:li:page:d_flagship3_messaging_conversation_detail;",
        "referer: http://127.0.0.1:",
        "/messaging/\r\n",
        "user-agent: mozilla/5.0",
        "sec-ch-ua: \"chromium\";v=\"141\", \"google chrome\";v=\"141\"",
        "sec-ch-ua-mobile: ?0",
        "sec-ch-ua-platform: \"linux\"",
        "cookie: li_at=aqedaqx; jsessionid=\"ajax:42\"",
    ] {
        assert!(head.contains(h), "{h} missing in {head}");
    }
}

#[tokio::test]
async fn client_hints_follow_the_accounts_user_agent() {
    let me = r#"{"miniProfile":{"dashEntityUrn":"urn:li:fsd_profile:ACoAAx"}}"#;
    let heads = |ua: &'static str| async move {
        let mock = mock::serve(response("200 OK", "", me)).await;
        let live = LinkedinConnector::new(LinkedinConfig::sandbox(&mock.base_url));
        let request = msgsync_providers::ConnectRequest {
            account_id: AccountId::new(),
            provider: ProviderKind::Linkedin,
            credentials: msgsync_providers::Credentials {
                user_agent: Some(ua.to_string()),
                ..credentials("li_at=AQEDAQx; JSESSIONID=\"ajax:1\"")
            },
        };
        live.open(&request).await.map(|_| ()).unwrap();
        let requests = mock.requests.lock().unwrap().clone();
        requests.last().unwrap().to_ascii_lowercase()
    };
    let edge = heads(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0",
    )
    .await;
    assert!(edge.contains("\"microsoft edge\";v=\"140\""), "{edge}");
    assert!(edge.contains("sec-ch-ua-platform: \"windows\""), "{edge}");
    assert!(
        edge.contains("user-agent: mozilla/5.0 (windows nt 10.0"),
        "{edge}"
    );
    let firefox =
        heads("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0").await;
    assert!(!firefox.contains("sec-ch-ua"), "{firefox}");
    assert!(firefox.contains("firefox/128.0"), "{firefox}");
}
