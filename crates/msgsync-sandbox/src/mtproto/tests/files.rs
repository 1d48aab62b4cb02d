//! The simulator's own rules for `upload.getFile`, request by request.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

use grammers_tl_types::{enums, functions, types, Cursor, Deserializable, Serializable};
use msgsync_core::ProviderKind;
use msgsync_providers::Attachment;

use super::super::keys::{self, register_key, sandbox_auth_key};
use super::super::media::{self, attachment_bytes, FILE_REFERENCE_LIFETIME};
use super::super::rpc::{dispatch, Answer};
use super::super::{paging, tl, Account, Shared};
use super::{ANCHOR, DAY_MS};
use crate::generator::{ChatInfo, Dataset, MessageKey};
use crate::scenario::Scenario;
use crate::SandboxHub;

const MB: i64 = 1024 * 1024;

/// An attachment of the data set, where the simulator serves it.
#[derive(Debug, Clone)]
struct Located {
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

/// The data set of the file tests: every kind of media, files over 20 MB among them.
const FILES: &str = "sandbox:chats=60,messages=150,seed=11";

fn files_data(hub: &SandboxHub, text: &str) -> (Scenario, std::sync::Arc<Dataset>, Vec<Located>) {
    let scenario = Scenario::parse(ProviderKind::Telegram, text).unwrap();
    let ds = hub.dataset(ProviderKind::Telegram, &scenario);
    let all = attachments(&ds, &scenario);
    (scenario, ds, all)
}

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
