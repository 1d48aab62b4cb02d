//! Attendees, attachments and their downloads: the live connector against the simulator (and,
//! for LinkedIn's answers the scenarios do not give, against a one-answer server).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use futures::StreamExt;
use msgsync_core::{AccountId, LinkedinProduct, ProviderKind, Span};
use msgsync_providers::linkedin::{LinkedinConfig, LinkedinConnector};
use msgsync_providers::{
    Attachment, AttachmentDownload, AttachmentRequest, MessagePageRequest, ProviderAttendee,
    ProviderChat, ProviderError, ProviderMessage, ProviderSession,
};
use msgsync_sandbox::voyager::MediaFile;
use msgsync_sandbox::{sandbox_cookies, SandboxHub, Scenario, VoyagerHandle};
use sha2::{Digest, Sha256};

use crate::common::*;
use crate::mock::{self, response};

const SCENARIO: &str = "sandbox:chats=40,messages=60";
const MB: u64 = 1_000_000;
const KINDS: [&str; 5] = ["img", "video", "audio", "file", "linkedin_post"];

fn scenario(secret: &str) -> Scenario {
    Scenario::parse(ProviderKind::Linkedin, secret).unwrap()
}

/// One page of messages, with what it told of their senders.
struct Page {
    messages: Vec<ProviderMessage>,
    attendees: Vec<ProviderAttendee>,
}

/// Every chat of the classic inbox, and every page of messages of each.
async fn sync(session: &dyn ProviderSession) -> (Vec<ProviderChat>, Vec<(String, Page)>) {
    let inbox = LinkedinProduct::Classic;
    let chats = walk_chats(session, inbox, Span::default(), 25)
        .await
        .unwrap();
    let mut pages = Vec::new();
    for chat in &chats {
        let mut cursor = None;
        loop {
            let page = session
                .messages_page(&MessagePageRequest {
                    inbox: Some(inbox),
                    chat_provider_id: chat.provider_id.clone(),
                    chat_provider_ref: None,
                    cursor: cursor.clone(),
                    span: Span::default(),
                    limit: 20,
                })
                .await
                .unwrap();
            let next = page.next_cursor.clone();
            pages.push((
                chat.provider_id.clone(),
                Page {
                    messages: page.messages,
                    attendees: page.attendees,
                },
            ));
            match next {
                Some(n) if pages.len() < 10_000 => cursor = Some(n),
                _ => break,
            }
        }
    }
    (chats, pages)
}

/// A synced attachment and where it is.
#[derive(Clone, Debug)]
struct Found {
    chat: String,
    message: String,
    attachment: Attachment,
}

fn attachments(pages: &[(String, Page)]) -> Vec<Found> {
    pages
        .iter()
        .flat_map(|(chat, page)| {
            page.messages.iter().flat_map(move |m| {
                m.attachments.iter().map(move |a| Found {
                    chat: chat.clone(),
                    message: m.provider_id.clone(),
                    attachment: a.clone(),
                })
            })
        })
        .collect()
}

async fn download(
    session: &dyn ProviderSession,
    found: &Found,
) -> Result<AttachmentDownload, ProviderError> {
    session
        .download_attachment(&AttachmentRequest {
            inbox: Some(LinkedinProduct::Classic),
            chat_provider_id: found.chat.clone(),
            chat_provider_ref: None,
            message_provider_id: found.message.clone(),
            attachment: found.attachment.clone(),
        })
        .await
}

/// What came out of a download's stream.
struct Drained {
    sha256: Vec<u8>,
    len: u64,
    chunks: Vec<usize>,
}

async fn drain(d: AttachmentDownload) -> Result<Drained, ProviderError> {
    let mut body = d.body;
    let mut hasher = Sha256::new();
    let mut chunks = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        hasher.update(&chunk);
        chunks.push(chunk.len());
    }
    Ok(Drained {
        sha256: hasher.finalize().to_vec(),
        len: chunks.iter().map(|n| *n as u64).sum(),
        chunks,
    })
}

/// The simulator's own file behind an attachment URL, and the SHA-256 of its bytes.
fn expected(
    hub: &SandboxHub,
    sim: &VoyagerHandle,
    secret: &str,
    url: &str,
) -> (MediaFile, Vec<u8>) {
    let path = url.strip_prefix(&sim.base_url()).unwrap();
    let file = MediaFile::of_message(hub, &scenario(secret), path).unwrap();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut offset = 0;
    while offset < file.len() {
        let n = (file.len() - offset).min(buf.len() as u64) as usize;
        file.read_at(offset, &mut buf[..n]);
        hasher.update(&buf[..n]);
        offset += n as u64;
    }
    (file, hasher.finalize().to_vec())
}

/// The smallest of each kind (by the size the record gives, else the first).
fn smallest_of_each_kind(all: &[Found]) -> HashMap<String, Found> {
    let mut out: HashMap<String, Found> = HashMap::new();
    for f in all {
        let size = |f: &Found| f.attachment.file_size.unwrap_or(i64::MAX);
        match out.get(&f.attachment.kind) {
            Some(best) if size(best) <= size(f) => {}
            _ => {
                out.insert(f.attachment.kind.clone(), f.clone());
            }
        }
    }
    out
}

async fn setup(secret: &str) -> (SandboxHub, VoyagerHandle, Box<dyn ProviderSession>) {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let sim = simulator(&hub).await;
    let http = connector(&sim, Duration::from_secs(30));
    let session = open(&http, AccountId::new(), secret).await.unwrap();
    (hub, sim, session)
}

#[tokio::test]
async fn attendees_and_every_kind_of_attachment_come_through() {
    let (_hub, sim, session) = setup(SCENARIO).await;
    let base = sim.base_url();
    let owner = session
        .account_profile()
        .await
        .unwrap()
        .provider_user_id
        .unwrap();
    let (chats, pages) = sync(session.as_ref()).await;
    assert_eq!(chats.len(), 40);
    let mut distances = BTreeSet::new();
    let mut pictures = 0;
    let mut by_chat: HashMap<&str, &ProviderChat> = HashMap::new();
    for chat in &chats {
        by_chat.insert(&chat.provider_id, chat);
        let a = &chat.attendees;
        // The owner first, then the others, each once.
        assert!(a[0].is_self && a[0].provider_id == owner, "{a:?}");
        assert_eq!(a.iter().filter(|x| x.is_self).count(), 1);
        let ids: BTreeSet<_> = a.iter().map(|x| &x.provider_id).collect();
        assert_eq!(ids.len(), a.len());
        match chat.kind {
            msgsync_providers::ChatKind::Single => {
                assert_eq!(a.len(), 2);
                assert_eq!(chat.attendee_provider_id.as_ref(), Some(&a[1].provider_id));
            }
            _ => assert!(a.len() >= 3, "{a:?}"),
        }
        for x in a {
            let member = x.linkedin.as_ref().unwrap();
            assert_eq!(
                member.member_urn,
                format!("urn:li:fsd_profile:{}", x.provider_id)
            );
            assert!(member.headline.as_deref().is_some_and(|h| !h.is_empty()));
            assert_eq!(member.network_distance.is_none(), x.is_self, "{x:?}");
            distances.extend(member.network_distance.map(|d| d.as_str()));
            assert_eq!(x.profile_url, Some(format!("{base}/in/{}", x.provider_id)));
            assert!(!x.name.is_empty() && x.name != x.provider_id);
            if let Some(p) = &x.picture_url {
                assert!(p.starts_with(&format!("{base}/dms/image/v2/")), "{p}");
                pictures += 1;
            }
        }
    }
    assert!(
        distances.len() >= 2 && pictures > 0,
        "{distances:?}, {pictures}"
    );
    // Each page names each sender of its messages once, as the chat's listing does.
    for (chat, page) in &pages {
        let senders: BTreeSet<_> = page.messages.iter().map(|m| &m.sender_id).collect();
        let named: Vec<_> = page.attendees.iter().map(|a| &a.provider_id).collect();
        assert_eq!(named.len(), senders.len());
        assert_eq!(named.into_iter().collect::<BTreeSet<_>>(), senders);
        for a in &page.attendees {
            let listed = by_chat[chat.as_str()]
                .attendees
                .iter()
                .find(|x| x.provider_id == a.provider_id)
                .unwrap();
            assert_eq!(a, listed);
        }
    }
    // Every kind of attachment, with what its record tells.
    let all = attachments(&pages);
    for kind in KINDS {
        let of_kind: Vec<_> = all.iter().filter(|f| f.attachment.kind == kind).collect();
        assert!(!of_kind.is_empty(), "no {kind}");
        for f in of_kind {
            let a = &f.attachment;
            let url = a.url.as_deref().unwrap();
            match kind {
                "img" => assert!(a.size.is_some() && url.contains("/dms/prv/image/v2/")),
                "video" => assert!(
                    a.size.is_some()
                        && a.duration.is_some()
                        && a.file_size.is_some()
                        && a.mimetype.is_some()
                ),
                "audio" => assert!(a.duration.is_some() && a.voice_note),
                "file" => {
                    assert!(a.file_name.is_some() && a.file_size.is_some() && a.mimetype.is_some())
                }
                _ => assert!(url.starts_with(&format!("{base}/feed/update/urn:li:activity:"))),
            }
            if kind != "linkedin_post" {
                assert!(url.starts_with(&base), "{url}");
            }
        }
    }
    // A picture is public: no cookie needed.
    let picture = chats
        .iter()
        .flat_map(|c| &c.attendees)
        .find_map(|a| a.picture_url.clone())
        .unwrap();
    let r = reqwest::get(&picture).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert!(r.bytes().await.unwrap().starts_with(b"\xFF\xD8\xFF"));
    sim.stop().await;
}

#[tokio::test]
async fn a_download_is_exactly_the_simulators_bytes() {
    let (hub, sim, session) = setup(SCENARIO).await;
    let (_, pages) = sync(session.as_ref()).await;
    let picked = smallest_of_each_kind(&attachments(&pages));
    for kind in ["img", "video", "audio", "file"] {
        let found = &picked[kind];
        let url = found.attachment.url.as_deref().unwrap();
        let (file, sha) = expected(&hub, &sim, SCENARIO, url);
        let d = download(session.as_ref(), found).await.unwrap();
        assert_eq!(
            d.content_type.as_deref(),
            Some(file.content_type()),
            "{kind}"
        );
        assert_eq!(d.length, Some(file.len()), "{kind}");
        if let Some(size) = found.attachment.file_size {
            assert_eq!(size as u64, file.len(), "{kind}: the record's size");
        }
        let got = drain(d).await.unwrap();
        assert_eq!((got.len, &got.sha256), (file.len(), &sha), "{kind}");
    }
    // A shared post is a link, not a file.
    let err = download(session.as_ref(), &picked["linkedin_post"])
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NotSupported(_)), "{err:?}");
    sim.stop().await;
}

#[tokio::test]
async fn a_large_file_is_streamed_in_many_chunks() {
    let secret = "sandbox:chats=60,messages=80";
    let (hub, sim, session) = setup(secret).await;
    let (_, pages) = sync(session.as_ref()).await;
    let large = attachments(&pages)
        .into_iter()
        .filter(|f| f.attachment.file_size.is_some_and(|s| s as u64 >= 20 * MB))
        .min_by_key(|f| f.attachment.file_size)
        .expect("a file of 20 MB or more");
    let len = large.attachment.file_size.unwrap() as u64;
    let (_, sha) = expected(&hub, &sim, secret, large.attachment.url.as_deref().unwrap());
    let d = download(session.as_ref(), &large).await.unwrap();
    assert_eq!(d.length, Some(len));
    let got = drain(d).await.unwrap();
    assert_eq!((got.len, got.sha256), (len, sha));
    // Streamed as it arrives: many pieces, none of them anywhere near the whole file (the
    // HTTP client merges reads of a slow reader into pieces of some hundred kilobytes).
    let biggest = *got.chunks.iter().max().unwrap() as u64;
    assert!(
        got.chunks.len() >= 10 && biggest * 10 <= len,
        "{} chunks, the biggest {biggest} bytes of {len}",
        got.chunks.len()
    );
    sim.stop().await;
}

/// Some attachment of each kind, found by a session without faults.
async fn some_attachments(secret: &str) -> (SandboxHub, VoyagerHandle, HashMap<String, Found>) {
    let (hub, sim, session) = setup(secret).await;
    let (_, pages) = sync(session.as_ref()).await;
    (hub, sim, smallest_of_each_kind(&attachments(&pages)))
}

#[tokio::test]
async fn downloads_meet_the_scenarios_faults() {
    let (_hub, sim, found) = some_attachments(SCENARIO).await;
    let file = &found["file"];
    let http = connector(&sim, Duration::from_secs(5));
    // `/me` is the one request served; the download is the next.
    let faulty = |fault: &str| format!("{SCENARIO},fault={fault},fault_after=1");
    let expired = open(&http, AccountId::new(), &faulty("expired"))
        .await
        .unwrap();
    for _ in 0..2 {
        let err = download(expired.as_ref(), file).await.unwrap_err();
        assert!(matches!(err, ProviderError::SessionExpired(_)), "{err:?}");
    }
    let restricted = open(&http, AccountId::new(), &faulty("restricted"))
        .await
        .unwrap();
    let err = download(restricted.as_ref(), file).await.unwrap_err();
    assert!(matches!(err, ProviderError::Restricted(_)), "{err:?}");
    let down = open(&http, AccountId::new(), &faulty("down"))
        .await
        .unwrap();
    let err = download(down.as_ref(), file).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unavailable(_)), "{err:?}");
    let limited = open(&http, AccountId::new(), &faulty("rate_limited"))
        .await
        .unwrap();
    assert_eq!(
        download(limited.as_ref(), file).await.unwrap_err(),
        ProviderError::RateLimited {
            retry_after: Duration::from_secs(1)
        }
    );
    let len = file.attachment.file_size.unwrap() as u64;
    let d = download(limited.as_ref(), file).await.unwrap();
    assert_eq!(drain(d).await.unwrap().len, len);
    let flaky = open(&http, AccountId::new(), &faulty("flaky"))
        .await
        .unwrap();
    for _ in 0..3 {
        let err = download(flaky.as_ref(), file).await.unwrap_err();
        assert!(matches!(err, ProviderError::Transient(_)), "{err:?}");
    }
    let d = download(flaky.as_ref(), file).await.unwrap();
    assert_eq!(drain(d).await.unwrap().len, len);
    sim.stop().await;
}

#[tokio::test]
async fn a_download_waits_for_the_scenarios_latency() {
    let (_hub, sim, found) = some_attachments(SCENARIO).await;
    let url = found["img"].attachment.url.clone().unwrap();
    let get = |secret: &str, client: reqwest::Client| {
        client
            .get(&url)
            .header("cookie", sandbox_cookies(&scenario(secret), "n1"))
            .send()
    };
    let r = get(SCENARIO, reqwest::Client::new()).await.unwrap();
    assert_eq!(r.status(), 200);
    // A minute of latency: the answer cannot come within the client's second.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let slow = get(&format!("{SCENARIO},latency_ms=60000"), impatient)
        .await
        .unwrap_err();
    assert!(slow.is_timeout(), "{slow:?}");
    // Stopping releases the held request.
    sim.stop().await;
}

#[tokio::test]
async fn media_need_the_session_but_no_csrf_token() {
    let (_hub, sim, found) = some_attachments(SCENARIO).await;
    let url = found["video"].attachment.url.clone().unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookies = sandbox_cookies(&scenario(SCENARIO), "n1");
    let r = client
        .get(&url)
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    assert_eq!(
        r.headers()["content-length"].to_str().unwrap(),
        found["video"].attachment.file_size.unwrap().to_string()
    );
    drop(r);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 401);
    let r = client
        .get(&url)
        .header("cookie", "li_at=AQEDAQbogus")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("/uas/login"));
    // The video's thumbnail is a picture of the same asset; a URL naming no attachment is
    // not found.
    let thumb = url.replacen("/vid/", "/image/", 1);
    let r = client
        .get(&thumb)
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let nothing = format!("{}/dms/prv/vid/v2/D4E06AQAAAAAAAAAAAAA/x", sim.base_url());
    let r = client
        .get(&nothing)
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    sim.stop().await;
}

#[tokio::test]
async fn urls_elsewhere_are_refused_without_a_request() {
    let (_hub, sim, found) = some_attachments(SCENARIO).await;
    let elsewhere = mock::serve(response("200 OK", "", "secret")).await;
    let http = connector(&sim, Duration::from_secs(5));
    let session = open(&http, AccountId::new(), SCENARIO).await.unwrap();
    let file = &found["file"];
    let path = file
        .attachment
        .url
        .as_deref()
        .unwrap()
        .strip_prefix(&sim.base_url())
        .unwrap()
        .to_string();
    let sim_host = sim.local_addr().to_string();
    for url in [
        format!("{}{path}", elsewhere.base_url),
        format!("https://evil.example{path}"),
        format!("http://user:pw@{sim_host}{path}"),
        format!("http://{sim_host}@evil.example{path}"),
        format!("https://{sim_host}{path}"),
        format!("https://media.licdn.com.evil.example{path}"),
        path.clone(),
        "file:///etc/passwd".to_string(),
    ] {
        let mut moved = file.clone();
        moved.attachment.url = Some(url.clone());
        let err = download(session.as_ref(), &moved).await.unwrap_err();
        match &err {
            ProviderError::NotSupported(m) => assert!(m.contains("refusing"), "{url}: {m}"),
            other => panic!("{url}: {other:?}"),
        }
    }
    let mut none = file.clone();
    none.attachment.url = None;
    let err = download(session.as_ref(), &none).await.unwrap_err();
    assert!(matches!(err, ProviderError::NotSupported(_)), "{err:?}");
    assert!(elsewhere.requests.lock().unwrap().is_empty());
    sim.stop().await;
}

/// A live session against a server answering `/voyager/api/me` and `media` for `/dms/`.
async fn against(media: String) -> (Box<dyn ProviderSession>, mock::Mock) {
    let me = r#"{"miniProfile":{"dashEntityUrn":"urn:li:fsd_profile:ACoAAx"}}"#;
    let mock = mock::serve_routes(vec![
        ("/voyager/api/me".to_string(), response("200 OK", "", me)),
        ("/dms/".to_string(), media),
    ])
    .await;
    let mut config = LinkedinConfig::sandbox(&mock.base_url);
    config.request_timeout = Duration::from_secs(5);
    let session = open(&LinkedinConnector::new(config), AccountId::new(), "AQEDAQx")
        .await
        .unwrap();
    (session, mock)
}

fn at(mock: &mock::Mock) -> Found {
    Found {
        chat: "2-t".into(),
        message: "2-m".into(),
        attachment: Attachment {
            id: "D4E06AQx".into(),
            kind: "file".into(),
            url: Some(format!(
                "{}/dms/prv/vid/v2/D4E06AQx/f/0/1?m=a&ne=1&v=beta&t=b",
                mock.base_url
            )),
            ..Attachment::default()
        },
    }
}

/// What an error must be.
type Check = fn(&ProviderError) -> bool;

#[tokio::test]
async fn linkedins_download_failures_are_typed() {
    let expired: Check = |e| matches!(e, ProviderError::SessionExpired(_));
    let cases: Vec<(String, Check)> = vec![
        (
            response(
                "302 Found",
                "Location: https://www.linkedin.com/login?x=1\r\n",
                "",
            ),
            expired,
        ),
        (
            response("302 Found", "Location: /checkpoint/challenge/a\r\n", ""),
            expired,
        ),
        (response("401 Unauthorized", "", ""), expired),
        (
            response("200 OK", "Set-Cookie: li_at=delete me; Path=/\r\n", "x"),
            expired,
        ),
        (
            response("429 Too Many Requests", "Retry-After: 7\r\n", ""),
            |e| {
                *e == ProviderError::RateLimited {
                    retry_after: Duration::from_secs(7),
                }
            },
        ),
        (response("503 Service Unavailable", "", ""), |e| {
            matches!(e, ProviderError::Unavailable(_))
        }),
        (response("502 Bad Gateway", "", ""), |e| {
            matches!(e, ProviderError::Transient(_))
        }),
        (
            response(
                "403 Forbidden",
                "",
                "{\"message\":\"This account has been restricted\"}",
            ),
            |e| matches!(e, ProviderError::Restricted(_)),
        ),
    ];
    for (answer, want) in cases {
        let (session, mock) = against(answer.clone()).await;
        let err = download(session.as_ref(), &at(&mock)).await.unwrap_err();
        assert!(want(&err), "{answer:?}: {err:?}");
    }
    // A body that breaks off ends the stream with an error, after what came.
    let cut = "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n%PDF-1.7";
    let (session, mock) = against(cut.to_string()).await;
    let d = download(session.as_ref(), &at(&mock)).await.unwrap();
    assert_eq!(
        (d.content_type.as_deref(), d.length),
        (Some("application/pdf"), Some(1000))
    );
    let err = drain(d).await.err().unwrap();
    assert!(matches!(err, ProviderError::Transient(_)), "{err:?}");
    // The request is the browser's: the session's cookies and user agent, no CSRF token.
    let (session, mock) = against(response("200 OK", "Content-Type: image/jpeg\r\n", "abc")).await;
    let got = drain(download(session.as_ref(), &at(&mock)).await.unwrap())
        .await
        .unwrap();
    assert_eq!(got.len, 3);
    let requests = mock.requests.lock().unwrap().clone();
    let head = requests.last().unwrap().to_ascii_lowercase();
    assert!(
        head.starts_with("get /dms/prv/vid/v2/d4e06aqx/f/0/1?m=a&ne=1&v=beta&t=b "),
        "{head}"
    );
    assert!(
        head.contains("cookie: li_at=aqedaqx; jsessionid=\"ajax:42\""),
        "{head}"
    );
    assert!(head.contains("user-agent: mozilla/5.0"), "{head}");
    assert!(
        !head.contains("csrf-token") && !head.contains("x-restli"),
        "{head}"
    );
}
