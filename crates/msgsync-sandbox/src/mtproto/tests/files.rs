//! Attachments: the live connector downloading from the simulator, and the simulator's own
//! rules for `upload.getFile`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;
use grammers_tl_types::{enums, functions, types, Cursor, Deserializable, Serializable};
use msgsync_core::{AccountId, ProviderKind, Span};
use msgsync_providers::telegram::TelegramConfig;
use msgsync_providers::{
    Attachment, AttachmentDownload, AttachmentRequest, ChatKind, ChatPageRequest, ProviderError,
    ProviderSession,
};
use sha2::{Digest, Sha256};

use super::super::keys::{self, register_key, sandbox_auth_key};
use super::super::media::{self, attachment_bytes, FILE_REFERENCE_LIFETIME};
use super::super::rpc::{dispatch, Answer};
use super::super::{paging, tl, Account, Shared};
use super::{connector, request, start, ANCHOR, DAY_MS};
use crate::generator::{ChatInfo, Dataset, MessageKey};
use crate::scenario::Scenario;
use crate::SandboxHub;

/// The parts `upload.getFile` is asked for by the connector (grammers' `MAX_CHUNK_SIZE`).
const PART: usize = 512 * 1024;
const MB: i64 = 1024 * 1024;

/// An attachment of the data set, where the simulator serves it.
#[derive(Debug, Clone)]
struct Located {
    chat: String,
    kind: ChatKind,
    /// The simulator's id of the message.
    message: i32,
    attachment: Attachment,
    index: u32,
    key: MessageKey,
}

/// Every attachment of a data set, with the ids the simulator gives its messages.
fn attachments(ds: &Dataset, scenario: &Scenario) -> Vec<Located> {
    let start_ms = ANCHOR - i64::from(scenario.span_days) * DAY_MS;
    let scale = paging::id_scale(scenario.span_days);
    let mut out = Vec::new();
    for i in 0..ds.chat_count() {
        let info = ds.chat_info(i).unwrap();
        let keys = ds.message_keys(i).unwrap();
        let ids = paging::message_ids(&keys, start_ms, scale);
        for (key, id) in keys.iter().zip(ids) {
            for a in ds.wire_message(&info, *key).message.attachments {
                out.push(Located {
                    chat: info.provider_id.clone(),
                    kind: info.kind,
                    message: id,
                    attachment: a,
                    index: i,
                    key: *key,
                });
            }
        }
    }
    out
}

fn label(a: &Attachment) -> &'static str {
    match (a.kind.as_str(), a.sticker, a.gif, a.voice_note) {
        ("img", true, _, _) => "sticker",
        ("img", false, _, _) => "photo",
        ("video", _, true, _) => "gif",
        ("video", _, false, _) => "video",
        ("audio", _, _, true) => "voice",
        ("audio", _, _, false) => "music",
        _ => "document",
    }
}

fn size(a: &Attachment) -> i64 {
    a.file_size.unwrap()
}

/// SHA-256 of the bytes the simulator serves for `a`, computed a megabyte at a time.
fn simulator_digest(a: &Attachment) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut offset = 0u64;
    loop {
        let chunk = attachment_bytes(a, offset, MB as usize);
        if chunk.is_empty() {
            return hasher.finalize().into();
        }
        offset += chunk.len() as u64;
        hasher.update(&chunk);
    }
}

fn ask(l: &Located) -> AttachmentRequest {
    AttachmentRequest {
        inbox: None,
        chat_provider_id: l.chat.clone(),
        chat_provider_ref: None,
        message_provider_id: l.message.to_string(),
        attachment: l.attachment.clone(),
    }
}

/// What a download's body brought: its parts' sizes and the digest of their bytes, or the
/// error it ended with after them.
struct Received {
    parts: Vec<usize>,
    digest: [u8; 32],
    error: Option<ProviderError>,
}

async fn receive(download: AttachmentDownload) -> Received {
    let mut body = download.body;
    let mut hasher = Sha256::new();
    let mut parts = Vec::new();
    let mut error = None;
    while let Some(part) = body.next().await {
        match part {
            Ok(bytes) => {
                parts.push(bytes.len());
                hasher.update(&bytes);
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    if error.is_some() {
        assert!(body.next().await.is_none(), "the body ends with its error");
    }
    Received {
        parts,
        digest: hasher.finalize().into(),
        error,
    }
}

async fn open_as(
    c: &super::SandboxTelegramConnector,
    account: AccountId,
    scenario: &str,
) -> Box<dyn ProviderSession> {
    use msgsync_providers::Connector;
    c.open(&request(account, scenario)).await.expect("open")
}

/// The data set of the file tests: every kind of media, files over 20 MB among them.
const FILES: &str = "sandbox:chats=60,messages=150,seed=11";

fn files_data(hub: &SandboxHub, text: &str) -> (Scenario, std::sync::Arc<Dataset>, Vec<Located>) {
    let scenario = Scenario::parse(ProviderKind::Telegram, text).unwrap();
    let ds = hub.dataset(ProviderKind::Telegram, &scenario);
    let all = attachments(&ds, &scenario);
    (scenario, ds, all)
}

#[tokio::test]
async fn every_kind_of_attachment_downloads_byte_for_byte() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let (_, _, all) = files_data(&hub, FILES);
    // The smallest attachment of each kind, and of each chat kind.
    let mut picks: BTreeMap<String, Located> = BTreeMap::new();
    for l in &all {
        for key in [
            label(&l.attachment).to_string(),
            format!("chat {:?}", l.kind),
        ] {
            let slot = picks.entry(key).or_insert_with(|| l.clone());
            if size(&l.attachment) < size(&slot.attachment) {
                *slot = l.clone();
            }
        }
    }
    assert_eq!(picks.len(), 7 + 3, "{:?}", picks.keys());

    // A session that listed no chat finds them on its own.
    let session = open_as(&c, AccountId::new(), FILES).await;
    for (what, l) in &picks {
        let a = &l.attachment;
        let download = session
            .download_attachment(&ask(l))
            .await
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(download.content_type, a.mimetype, "{what}");
        assert_eq!(download.length, Some(size(a) as u64), "{what}");
        let got = receive(download).await;
        assert!(got.error.is_none(), "{what}: {:?}", got.error);
        assert_eq!(got.parts.iter().sum::<usize>() as i64, size(a), "{what}");
        assert_eq!(
            got.digest,
            simulator_digest(a),
            "{what}: the simulator's bytes"
        );
    }

    // The bytes start as their format does.
    let photo = &picks["photo"].attachment;
    assert!(attachment_bytes(photo, 0, 4).starts_with(&[0xff, 0xd8, 0xff]));
    let video = &picks["video"].attachment;
    assert_eq!(&attachment_bytes(video, 4, 4), b"ftyp");
}

#[tokio::test]
async fn a_large_file_streams_part_by_part_through_expiring_references() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let (scenario, _, all) = files_data(&hub, FILES);
    let l = all
        .iter()
        .filter(|l| size(&l.attachment) >= 20 * MB)
        .min_by_key(|l| size(&l.attachment))
        .expect("a file of 20 MB or more")
        .clone();
    let a = &l.attachment;
    let parts = (size(a) as usize).div_ceil(PART);
    let account = AccountId::new();
    let session = open_as(&c, account, FILES).await;
    let nonce = account.to_string();

    let download = session.download_attachment(&ask(&l)).await.unwrap();
    assert_eq!(download.length, Some(size(a) as u64));
    // Nothing is fetched ahead: the first part was asked for, and only it.
    assert_eq!(sim.file_clock(&scenario, &nonce), 1);
    // The body owns its connection: it streams on without the session.
    drop(session);
    let got = receive(download).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    assert_eq!(got.parts.len(), parts);
    assert!(
        got.parts.iter().all(|p| *p <= PART),
        "no part above {PART} bytes"
    );
    assert_eq!(got.digest, simulator_digest(a));

    // Every LIFETIME parts the reference expired once, was refreshed, and the part asked
    // for again at the same offset.
    let expirations = parts.div_ceil(FILE_REFERENCE_LIFETIME as usize) - 1;
    assert!(expirations >= 2, "{parts} parts");
    assert_eq!(
        sim.file_clock(&scenario, &nonce),
        (parts + expirations) as u64
    );
}

/// A scenario with a fault, the data of [`FILES`], and a file of several parts in a chat the
/// first dialogs page lists.
fn faulty(hub: &SandboxHub, fault: &str, after: u64) -> (String, Located) {
    let text = format!("{FILES},fault={fault},fault_after={after}");
    let (_, _, all) = files_data(hub, &text);
    let l = all
        .into_iter()
        .filter(|l| (3 * MB..8 * MB).contains(&size(&l.attachment)))
        .min_by_key(|l| size(&l.attachment))
        .expect("a file of 3 to 8 MB");
    (text, l)
}

/// Lists the chats once, so the session knows their peers: one counted request.
async fn list(session: &dyn ProviderSession) {
    let page = session
        .chats_page(&ChatPageRequest {
            inbox: None,
            cursor: None,
            span: Span::default(),
            limit: 100,
            known_activity_ms: None,
        })
        .await
        .unwrap();
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn a_session_expiring_mid_download_ends_the_body_with_session_expired() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    // Served: the chat list, the message read again, three parts; then the session expires.
    let (text, l) = faulty(&hub, "expired", 1 + 1 + 3);
    let session = open_as(&c, AccountId::new(), &text).await;
    list(session.as_ref()).await;
    let download = session.download_attachment(&ask(&l)).await.unwrap();
    let got = receive(download).await;
    assert_eq!(got.parts, vec![PART; 3]);
    assert!(
        matches!(got.error, Some(ProviderError::SessionExpired(_))),
        "{:?}",
        got.error
    );
}

#[tokio::test]
async fn flood_waits_before_the_first_byte_are_rate_limits_and_later_ones_are_waited_out() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));

    // The first part is throttled: the download does not start, and says for how long.
    let (text, l) = faulty(&hub, "rate_limited", 1 + 1);
    let session = open_as(&c, AccountId::new(), &text).await;
    list(session.as_ref()).await;
    let e = session.download_attachment(&ask(&l)).await.unwrap_err();
    assert_eq!(
        e,
        ProviderError::RateLimited {
            retry_after: Duration::from_secs(1)
        }
    );
    let got = receive(session.download_attachment(&ask(&l)).await.unwrap()).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    assert_eq!(got.digest, simulator_digest(&l.attachment));

    // The third part is throttled: the body waits and goes on, every byte in place.
    let (text, l) = faulty(&hub, "rate_limited", 1 + 1 + 2);
    let session = open_as(&c, AccountId::new(), &text).await;
    list(session.as_ref()).await;
    let got = receive(session.download_attachment(&ask(&l)).await.unwrap()).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    assert_eq!(got.digest, simulator_digest(&l.attachment));
}

#[tokio::test]
async fn a_missing_message_or_attachment_is_not_downloadable() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let (scenario, ds, all) = files_data(&hub, FILES);
    let l = all.iter().min_by_key(|l| size(&l.attachment)).unwrap();
    let session = open_as(&c, AccountId::new(), FILES).await;
    // An id no message of the chat has.
    let keys = ds.message_keys(l.index).unwrap();
    let start_ms = ANCHOR - i64::from(scenario.span_days) * DAY_MS;
    let ids = paging::message_ids(&keys, start_ms, paging::id_scale(scenario.span_days));
    let free = (l.message + 1..).find(|id| !ids.contains(id)).unwrap();
    let mut gone = ask(l);
    gone.message_provider_id = free.to_string();
    let e = session.download_attachment(&gone).await.unwrap_err();
    assert!(matches!(e, ProviderError::NotSupported(_)), "{e:?}");
    let mut other = ask(l);
    other.attachment.id = "12345".into();
    let e = session.download_attachment(&other).await.unwrap_err();
    assert!(matches!(e, ProviderError::NotSupported(_)), "{e:?}");
}

// ---- the simulator's rules, request by request ----

/// An account of the simulator, without a connection.
async fn account(hub: SandboxHub, scenario: &Scenario) -> Account {
    let key = sandbox_auth_key(scenario, "files");
    assert!(register_key(&key));
    let key_id = keys::key_id(&key);
    let shared = Shared {
        hub,
        local_addr: "127.0.0.1:1".parse().unwrap(),
        counters: Mutex::new(HashMap::new()),
        file_clocks: Mutex::new(HashMap::<_, std::sync::Arc<AtomicU64>>::new()),
        calls: Mutex::new(HashMap::new()),
    };
    let registered = keys::lookup(&key_id).unwrap();
    shared.account(key_id, registered).await
}

fn get_file(
    acct: &Account,
    location: &enums::InputFileLocation,
    precise: bool,
    offset: i64,
    limit: i32,
) -> Answer {
    let request = functions::upload::GetFile {
        precise,
        cdn_supported: false,
        location: location.clone(),
        offset,
        limit,
    };
    dispatch(acct, &request.to_bytes(), 0)
}

fn error(answer: Answer) -> String {
    match answer {
        Answer::Error(400, name) => name,
        other => panic!("expected a 400, got {other:?}"),
    }
}

fn file(answer: Answer) -> types::upload::File {
    let Answer::Result(bytes) = answer else {
        panic!("expected a result, got {answer:?}");
    };
    let enums::upload::File::File(f) =
        enums::upload::File::deserialize(&mut Cursor::from_slice(&bytes)).unwrap()
    else {
        panic!("a CDN redirect");
    };
    f
}

#[tokio::test]
async fn the_simulator_enforces_telegrams_download_rules() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let (scenario, ds, all) = files_data(&hub, FILES);
    let acct = account(hub.clone(), &scenario).await;
    let l = all
        .iter()
        .find(|l| label(&l.attachment) == "document" && size(&l.attachment) > 2 * MB)
        .expect("a document over 2 MB");
    let a = &l.attachment;
    let id: i64 = a.id.parse().unwrap();
    let location = |reference: Vec<u8>, hash: i64, thumb: &str| {
        enums::InputFileLocation::InputDocumentFileLocation(types::InputDocumentFileLocation {
            id,
            access_hash: hash,
            file_reference: reference,
            thumb_size: thumb.into(),
        })
    };
    let hash = tl::access_hash(scenario.seed, id);
    let reference = media::file_reference(&acct, l.index, l.key.index);
    let good = location(reference.clone(), hash, "");

    // Offsets and limits (core.telegram.org/api/files, "Downloading files").
    let part = file(get_file(&acct, &good, false, MB, 512 * 1024));
    assert_eq!(part.bytes, attachment_bytes(a, MB as u64, 512 * 1024));
    assert_eq!(part.r#type, enums::storage::FileType::FilePartial);
    let whole_meg = file(get_file(&acct, &good, false, 0, 1024 * 1024));
    assert_eq!(whole_meg.bytes.len(), 1024 * 1024);
    let precise = file(get_file(&acct, &good, true, 5 * 1024, 3 * 1024));
    assert_eq!(precise.bytes, attachment_bytes(a, 5 * 1024, 3 * 1024));
    for (precise, offset, limit, refusal) in [
        (false, 1024, 4096, "OFFSET_INVALID"),
        (false, -4096, 4096, "OFFSET_INVALID"),
        (false, 0, 1000, "LIMIT_INVALID"),
        (false, 0, 12 * 1024, "LIMIT_INVALID"),
        (false, 0, 2 * 1024 * 1024, "LIMIT_INVALID"),
        (false, 983_040, 131_072, "LIMIT_INVALID"),
        (true, 512, 1024, "OFFSET_INVALID"),
        (true, MB - 1024, 2048, "LIMIT_INVALID"),
    ] {
        let answer = get_file(&acct, &good, precise, offset, limit);
        assert_eq!(error(answer), refusal, "{precise} {offset} {limit}");
    }
    // At and past the end: nothing.
    let end = size(a) / (4 * 1024) * (4 * 1024) + 4 * 1024;
    assert!(file(get_file(&acct, &good, false, end, 4096))
        .bytes
        .is_empty());
    // Up to the largest offset there is: the chunk check overflowed there (the
    // `mtproto_requests` fuzz target crashed on this request).
    let last = i64::MAX / (4 * 1024) * (4 * 1024);
    assert!(file(get_file(&acct, &good, false, last, 4096))
        .bytes
        .is_empty());
    assert_eq!(
        error(get_file(&acct, &good, false, last, 8192)),
        "LIMIT_INVALID"
    );

    // Locations.
    let mut tampered = reference.clone();
    *tampered.last_mut().unwrap() ^= 1;
    let refusals = [
        (location(Vec::new(), hash, ""), "FILE_REFERENCE_EMPTY"),
        (location(tampered, hash, ""), "FILE_REFERENCE_INVALID"),
        (location(reference.clone(), hash ^ 1, ""), "FILE_ID_INVALID"),
        (location(reference.clone(), hash, "w"), "LOCATION_INVALID"),
    ];
    for (loc, refusal) in refusals {
        assert_eq!(error(get_file(&acct, &loc, false, 0, 4096)), refusal);
    }

    // A reference serves FILE_REFERENCE_LIFETIME requests from its issue, then expires; a
    // message read again carries a fresh one.
    let fresh = location(media::file_reference(&acct, l.index, l.key.index), hash, "");
    for _ in 0..FILE_REFERENCE_LIFETIME {
        file(get_file(&acct, &fresh, false, 0, 4096));
    }
    assert_eq!(
        error(get_file(&acct, &fresh, false, 0, 4096)),
        "FILE_REFERENCE_EXPIRED"
    );
    let info: ChatInfo = ds.chat_info(l.index).unwrap();
    let request = functions::messages::GetMessages {
        id: vec![enums::InputMessage::Id(types::InputMessageId {
            id: l.message,
        })],
    };
    let Answer::Result(bytes) = dispatch(&acct, &request.to_bytes(), 0) else {
        panic!("messages.getMessages");
    };
    let enums::messages::Messages::Messages(answer) =
        enums::messages::Messages::deserialize(&mut Cursor::from_slice(&bytes)).unwrap()
    else {
        panic!("messages.messages");
    };
    let again = answer
        .messages
        .iter()
        .find_map(|m| match m {
            enums::Message::Message(m) if tl::peer(&info) == m.peer_id => m.media.clone(),
            _ => None,
        })
        .expect("the message read again");
    let enums::MessageMedia::Document(types::MessageMediaDocument {
        document: Some(enums::Document::Document(doc)),
        ..
    }) = again
    else {
        panic!("a document");
    };
    assert_ne!(doc.file_reference, reference);
    let renewed = location(doc.file_reference, doc.access_hash, "");
    assert_eq!(
        file(get_file(&acct, &renewed, false, 0, 4096)).bytes.len(),
        4096
    );
}

#[tokio::test]
async fn a_download_reaches_its_chat_from_the_stored_peer_without_listing_the_dialogs() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let (scenario, _, all) = files_data(&hub, FILES);
    let account = AccountId::new();
    let session = open_as(&c, account, FILES).await;
    // A file in a channel: no peer without an access hash.
    let l = all
        .iter()
        .filter(|l| l.kind == ChatKind::Channel)
        .min_by_key(|l| size(&l.attachment))
        .unwrap();
    let request = AttachmentRequest {
        chat_provider_ref: Some(super::provider_ref(scenario.seed, l.kind, &l.chat)),
        ..ask(l)
    };
    let got = receive(session.download_attachment(&request).await.unwrap()).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    assert_eq!(got.digest, simulator_digest(&l.attachment));
    let asked = sim.requests(&scenario, &account.to_string());
    assert_eq!(asked.get("messages.getDialogs"), None, "{asked:?}");
    assert_eq!(asked.get("messages.getPeerDialogs"), None, "{asked:?}");
    assert_eq!(asked.get("channels.getMessages"), Some(&1), "{asked:?}");

    // Without it, the chat is looked for in the dialogs.
    let got = receive(session.download_attachment(&ask(l)).await.unwrap()).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    let asked = sim.requests(&scenario, &account.to_string());
    assert_eq!(asked.get("messages.getDialogs"), Some(&1), "{asked:?}");
}

#[tokio::test]
async fn a_file_stored_in_another_dc_is_downloaded_from_there() {
    let (hub, sim) = start().await;
    let c = connector(&sim, Duration::from_secs(20));
    let text = format!("{FILES},fault=migrate");
    let (scenario, _, all) = files_data(&hub, &text);
    // Several parts, and references that expire on the way.
    let l = all
        .iter()
        .filter(|l| size(&l.attachment) > FILE_REFERENCE_LIFETIME as i64 * PART as i64)
        .min_by_key(|l| size(&l.attachment))
        .unwrap()
        .clone();
    let account = AccountId::new();
    let session = open_as(&c, account, &text).await;
    list(session.as_ref()).await;
    let got = receive(session.download_attachment(&ask(&l)).await.unwrap()).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    assert_eq!(got.digest, simulator_digest(&l.attachment));
    let parts = (size(&l.attachment) as usize).div_ceil(PART);
    assert!(parts > FILE_REFERENCE_LIFETIME as usize, "{parts} parts");
    let asked = sim.requests(&scenario, &account.to_string());
    // The account was logged in to the files DC once: exported at home, imported there.
    assert_eq!(asked.get("auth.exportAuthorization"), Some(&1), "{asked:?}");
    assert_eq!(asked.get("auth.importAuthorization"), Some(&1), "{asked:?}");
    // The first part asked at home (FILE_MIGRATE_4), every part in DC 4, the refreshed ones
    // again.
    let expirations = parts.div_ceil(FILE_REFERENCE_LIFETIME as usize) - 1;
    assert_eq!(
        asked.get("upload.getFile").copied(),
        Some((1 + parts + expirations) as u64),
        "{asked:?}"
    );

    // A second file through the same session: the DC is logged in already.
    let m = all
        .iter()
        .filter(|m| m.attachment.id != l.attachment.id)
        .min_by_key(|m| size(&m.attachment))
        .unwrap();
    let got = receive(session.download_attachment(&ask(m)).await.unwrap()).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    assert_eq!(got.digest, simulator_digest(&m.attachment));
    let asked = sim.requests(&scenario, &account.to_string());
    assert_eq!(asked.get("auth.importAuthorization"), Some(&1), "{asked:?}");
}

#[tokio::test]
async fn the_files_dc_serves_nothing_before_the_account_is_logged_in_there() {
    let hub = SandboxHub::with_anchor(ANCHOR);
    let scenario =
        Scenario::parse(ProviderKind::Telegram, "sandbox:chats=3,fault=migrate").unwrap();
    let home = account(hub.clone(), &scenario).await;
    let key = keys::files_dc_key(&home.key, keys::FILES_DC).unwrap();
    assert!(
        keys::files_dc_key(&home.key, 3).is_none(),
        "only the files DC"
    );
    let key_id = keys::key_id(&key);
    let shared = Shared {
        hub,
        local_addr: "127.0.0.1:1".parse().unwrap(),
        counters: Mutex::new(HashMap::new()),
        file_clocks: Mutex::new(HashMap::new()),
        calls: Mutex::new(HashMap::new()),
    };
    let files_dc = shared.account(key_id, keys::lookup(&key_id).unwrap()).await;
    assert_eq!(files_dc.dc, keys::FILES_DC);
    let call = |acct: &Account, body: Vec<u8>| dispatch(acct, &body, 0);
    let history = functions::messages::GetDialogs {
        exclude_pinned: false,
        folder_id: None,
        offset_date: 0,
        offset_id: 0,
        offset_peer: enums::InputPeer::Empty,
        limit: 10,
        hash: 0,
    }
    .to_bytes();
    // A key fresh out of the exchange: not logged in.
    assert_eq!(
        call(&files_dc, history.clone()),
        Answer::Error(401, "AUTH_KEY_UNREGISTERED".into())
    );
    // Exports go to another DC the simulator plays, never to the DC asked from.
    for dc in [2, 5] {
        assert_eq!(
            call(
                &home,
                functions::auth::ExportAuthorization { dc_id: dc }.to_bytes()
            ),
            Answer::Error(400, "DC_ID_INVALID".into()),
            "DC {dc}"
        );
    }
    let Answer::Result(bytes) = call(
        &home,
        functions::auth::ExportAuthorization {
            dc_id: keys::FILES_DC,
        }
        .to_bytes(),
    ) else {
        panic!("export");
    };
    let enums::auth::ExportedAuthorization::Authorization(exported) =
        enums::auth::ExportedAuthorization::deserialize(&mut Cursor::from_slice(&bytes)).unwrap();
    let import =
        |id: i64, bytes: Vec<u8>| functions::auth::ImportAuthorization { id, bytes }.to_bytes();
    assert_eq!(
        call(&files_dc, import(exported.id, vec![1, 2, 3])),
        Answer::Error(400, "AUTH_BYTES_INVALID".into())
    );
    assert_eq!(
        call(&files_dc, import(exported.id + 1, exported.bytes.clone())),
        Answer::Error(400, "USER_ID_INVALID".into())
    );
    assert!(matches!(
        call(&files_dc, import(exported.id, exported.bytes)),
        Answer::Result(_)
    ));
    assert!(matches!(call(&files_dc, history), Answer::Result(_)));
}

#[tokio::test]
async fn a_connection_with_an_invalid_api_id_is_refused() {
    let (_hub, sim) = start().await;
    for api_id in [0, -5] {
        let config = TelegramConfig {
            api_id,
            request_timeout: Duration::from_secs(20),
            ..TelegramConfig::default()
        };
        let c = super::SandboxTelegramConnector::new(sim.local_addr(), config);
        use msgsync_providers::Connector;
        let e = c
            .open(&request(AccountId::new(), "sandbox:chats=2"))
            .await
            .err()
            .expect("refused");
        let ProviderError::Unavailable(why) = e else {
            panic!("api_id {api_id}: {e:?}");
        };
        assert!(why.contains("CONNECTION_API_ID_INVALID"), "{why}");
    }
}
