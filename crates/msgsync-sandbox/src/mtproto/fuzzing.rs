//! Entry points for the fuzz targets (`fuzz/fuzz_targets/mtproto_frames.rs` and
//! `mtproto_requests.rs`): what a client sends, read by the simulator's own code. Not an API.

use std::io::Write as _;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use grammers_tl_types::{enums, functions, types, Identifiable, Serializable};
use msgsync_core::ProviderKind;

use super::conn::{self, Out, GZIP_PACKED, MSG_CONTAINER};
use super::keys::{self, KeyId, KEY_LEN, SANDBOX_DC};
use super::wire::{self, Framing, Incoming};
use super::{media, tl, Account};
use crate::generator::Dataset;
use crate::scenario::Scenario;
use crate::SandboxHub;

/// The account of the fuzzed connection: chats of every kind, pinned dialogs, and media.
const SCENARIO: &str = "sandbox:chats=12,messages=12,seed=11,pinned=2";
/// A fixed anchor (midnight UTC), so that the data does not depend on the day.
const ANCHOR_MS: i64 = 1_767_225_600_000;
/// The session and first message id of the seeds' messages.
const SESSION_ID: i64 = 0x0123_4567_89ab_cdef;
const FIRST_MSG_ID: i64 = 1_767_225_600 << 32;

struct Fixture {
    scenario: Scenario,
    key: [u8; KEY_LEN],
    key_id: KeyId,
    dataset: Arc<Dataset>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let scenario = Scenario::parse(ProviderKind::Telegram, SCENARIO).expect("a scenario");
    let key = keys::sandbox_auth_key(&scenario, "fuzz");
    let dataset = SandboxHub::with_anchor(ANCHOR_MS).dataset(ProviderKind::Telegram, &scenario);
    Fixture {
        key_id: keys::key_id(&key),
        scenario,
        key,
        dataset,
    }
});

/// The fuzzed account, with fresh counters: every input starts from the same state.
fn account() -> Account {
    let f = &*FIXTURE;
    Account {
        key: f.key,
        key_id: f.key_id,
        home_key: f.key,
        dc: i32::from(SANDBOX_DC),
        authorized: None,
        scenario: f.scenario.clone(),
        dataset: f.dataset.clone(),
        served: Default::default(),
        file_clock: Default::default(),
        calls: Default::default(),
        local_addr: "127.0.0.1:1".parse().expect("an address"),
        salt: 0,
        latency: Duration::ZERO,
    }
}

/// Reads `stream` as a connection's bytes, as the simulator does: Full-transport frames until
/// the stream ends or one is malformed, each one's auth key id, then its decryption under the
/// account's key. How many frames were read.
pub fn read_connection(stream: &[u8]) -> usize {
    let f = &*FIXTURE;
    futures::executor::block_on(async {
        let mut reader = stream;
        let mut framing = Framing::default();
        let mut frames = 0;
        while let Some(payload) = framing.read(&mut reader).await {
            frames += 1;
            let _ = wire::packet_key_id(&payload);
            if let Some(m) = wire::decrypt(&f.key, &payload) {
                assert!(m.body.len() % 4 == 0 && m.body.len() < payload.len());
            }
        }
        frames
    })
}

/// Encrypts `plain` (zero-padded to whole AES blocks) as a client does, then decrypts it as
/// the simulator does: the fuzzer chooses the header and padding that the decryption checks
/// once the message key matched, which it could not reach through encrypted bytes.
pub fn decrypt_plaintext(plain: &[u8]) {
    let f = &*FIXTURE;
    let mut plain = plain.to_vec();
    plain.resize(plain.len().div_ceil(16).max(2) * 16, 0);
    let packet = wire::encrypt_as_client(&f.key, &f.key_id, &plain);
    if let Some(m) = wire::decrypt(&f.key, &packet) {
        let end = 32 + m.body.len();
        assert!(end + 12 <= plain.len());
        assert_eq!(m.body, plain[32..end]);
    }
}

/// Handles `body` as one decrypted message of the account's connection, its answers
/// encrypted and sent nowhere: containers, compression, service messages, and the API
/// methods' TL. Whether the connection stays open.
pub fn handle_message(body: &[u8]) -> bool {
    let acct = account();
    let msg = Incoming {
        salt: acct.salt,
        session_id: SESSION_ID,
        msg_id: FIRST_MSG_ID,
        seq_no: 1,
        body: body.to_vec(),
    };
    let mut out = Out::new(tokio::io::sink());
    futures::executor::block_on(conn::handle(&acct, &mut out, &msg, 0))
}

/// A chat's input peer, with the access hash the account's client was given.
fn input_peer(seed: u64, peer: enums::Peer) -> enums::InputPeer {
    match peer {
        enums::Peer::User(p) => enums::InputPeer::User(types::InputPeerUser {
            user_id: p.user_id,
            access_hash: tl::access_hash(seed, p.user_id),
        }),
        enums::Peer::Chat(p) => enums::InputPeer::Chat(types::InputPeerChat { chat_id: p.chat_id }),
        enums::Peer::Channel(p) => enums::InputPeer::Channel(types::InputPeerChannel {
            channel_id: p.channel_id,
            access_hash: tl::access_hash(seed, p.channel_id),
        }),
    }
}

fn history(peer: enums::InputPeer) -> Vec<u8> {
    functions::messages::GetHistory {
        peer,
        offset_id: 0,
        offset_date: 0,
        add_offset: 0,
        limit: 20,
        max_id: 0,
        min_id: 0,
        hash: 0,
    }
    .to_bytes()
}

/// `upload.getFile` of the first document of the data set, by a fresh file reference.
fn first_document(acct: &Account) -> Vec<u8> {
    let ds = &acct.dataset;
    for chat in 0..ds.chat_count() {
        let (Some(info), Some(keys)) = (ds.chat_info(chat), ds.message_keys(chat)) else {
            continue;
        };
        for key in keys.iter() {
            let wire = ds.wire_message(&info, *key);
            let document = wire.message.attachments.iter().find(|a| a.kind != "img");
            if let Some(id) = document.and_then(|a| a.id.parse::<i64>().ok()) {
                let location = types::InputDocumentFileLocation {
                    id,
                    access_hash: tl::access_hash(acct.seed(), id),
                    file_reference: media::file_reference(acct, chat, key.index),
                    thumb_size: String::new(),
                };
                return functions::upload::GetFile {
                    precise: false,
                    cdn_supported: false,
                    location: enums::InputFileLocation::InputDocumentFileLocation(location),
                    offset: 0,
                    limit: 4096,
                }
                .to_bytes();
            }
        }
    }
    panic!("the fuzzed scenario has no document")
}

/// The API requests of the seeds, as Telethon wraps them (`invokeWithLayer`,
/// `initConnection`, `invokeWithoutUpdates`) or as grammers sends them.
fn api_requests(acct: &Account) -> Vec<(&'static str, Vec<u8>)> {
    let seed = acct.seed();
    let ds = &acct.dataset;
    let peer_of_kind = |kind| {
        (0..ds.chat_count())
            .filter_map(|i| ds.chat_info(i))
            .find(|info| info.kind == kind)
            .map(|info| input_peer(seed, tl::peer(&info)))
            .expect("a chat of each kind")
    };
    let init = functions::InvokeWithLayer {
        layer: grammers_tl_types::LAYER,
        query: functions::InitConnection {
            api_id: 6,
            device_model: "msgsync fuzz".into(),
            system_version: "Linux".into(),
            app_version: "1.0".into(),
            system_lang_code: "en".into(),
            lang_pack: String::new(),
            lang_code: "en".into(),
            proxy: None,
            params: None,
            query: functions::help::GetConfig {},
        },
    };
    vec![
        ("init_connection", init.to_bytes()),
        (
            "get_state",
            functions::InvokeWithoutUpdates {
                query: functions::updates::GetState {},
            }
            .to_bytes(),
        ),
        (
            "get_difference",
            functions::updates::GetDifference {
                pts: 1,
                pts_limit: None,
                pts_total_limit: None,
                date: (ANCHOR_MS / 1000) as i32 - 86_400,
                qts: 0,
                qts_limit: None,
            }
            .to_bytes(),
        ),
        (
            "get_users",
            functions::users::GetUsers {
                id: vec![enums::InputUser::UserSelf],
            }
            .to_bytes(),
        ),
        (
            "get_dialogs",
            functions::messages::GetDialogs {
                exclude_pinned: false,
                folder_id: None,
                offset_date: 0,
                offset_id: 0,
                offset_peer: enums::InputPeer::Empty,
                limit: 20,
                hash: 0,
            }
            .to_bytes(),
        ),
        (
            "get_history_user",
            history(peer_of_kind(msgsync_providers::ChatKind::Single)),
        ),
        (
            "get_history_channel",
            history(peer_of_kind(msgsync_providers::ChatKind::Channel)),
        ),
        (
            "get_messages",
            functions::messages::GetMessages {
                id: vec![enums::InputMessage::Id(types::InputMessageId { id: 1 })],
            }
            .to_bytes(),
        ),
        ("get_file", first_document(acct)),
    ]
}

/// A `msg_container` of `messages`, as a client packs several messages into one.
fn container(messages: &[&[u8]]) -> Vec<u8> {
    let mut out = MSG_CONTAINER.to_le_bytes().to_vec();
    out.extend((messages.len() as i32).to_le_bytes());
    for (i, body) in messages.iter().enumerate() {
        out.extend((FIRST_MSG_ID + 4 * (i as i64 + 1)).to_le_bytes());
        out.extend((2 * i as i32 + 1).to_le_bytes());
        out.extend((body.len() as i32).to_le_bytes());
        out.extend_from_slice(body);
    }
    out
}

/// A `gzip_packed` of `body`.
fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).expect("in memory");
    let packed = encoder.finish().expect("in memory");
    let mut out = GZIP_PACKED.to_le_bytes().to_vec();
    packed.serialize(&mut out);
    out
}

/// The seeds of `mtproto_requests`: a connection's API requests, and its service messages
/// (a container of a ping and an acknowledgement, a compressed request, future salts).
pub fn request_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut seeds = api_requests(&account());
    let ping = functions::Ping { ping_id: 42 }.to_bytes();
    let ack = types::MsgsAck {
        msg_ids: vec![FIRST_MSG_ID],
    };
    let mut ack_bytes = types::MsgsAck::CONSTRUCTOR_ID.to_le_bytes().to_vec();
    ack.serialize(&mut ack_bytes);
    let state = functions::updates::GetState {}.to_bytes();
    seeds.extend([
        ("container", container(&[&ping, &ack_bytes])),
        ("gzip_packed", gzip(&state)),
        (
            "get_future_salts",
            functions::GetFutureSalts { num: 2 }.to_bytes(),
        ),
    ]);
    seeds
}

/// The seeds of `mtproto_frames`: the first packets of a connection (setting it up, then
/// asking for the dialogs and a history), framed and encrypted as a client sends them.
pub fn frame_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let f = &*FIXTURE;
    let requests = api_requests(&account());
    let pick = |name: &str| {
        requests
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, body)| body.clone())
            .expect("a request of the seeds")
    };
    let bodies = [
        pick("init_connection"),
        pick("get_dialogs"),
        pick("get_history_user"),
    ];
    let mut stream = Vec::new();
    let mut framing = Framing::default();
    for (i, body) in bodies.into_iter().enumerate() {
        let plain = wire::client_plaintext(&Incoming {
            salt: 0,
            session_id: SESSION_ID,
            msg_id: FIRST_MSG_ID + 4 * i as i64,
            seq_no: 2 * i as i32 + 1,
            body,
        });
        let packet = wire::encrypt_as_client(&f.key, &f.key_id, &plain);
        futures::executor::block_on(framing.write(&mut stream, &packet)).expect("in memory");
    }
    vec![("connection", stream)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mtproto::rpc::{self, Answer};

    #[test]
    fn the_seeds_are_requests_the_simulator_answers() {
        let acct = account();
        for (name, body) in api_requests(&acct) {
            let answer = rpc::dispatch(&acct, &body, (ANCHOR_MS / 1000) as i32);
            assert!(matches!(answer, Answer::Result(_)), "{name}: {answer:?}");
        }
        for (name, body) in request_seeds() {
            assert!(handle_message(&body), "{name}");
        }
        for (name, stream) in frame_seeds() {
            assert_eq!(read_connection(&stream), 3, "{name}");
        }
    }

    /// Writes the seeds into the fuzz targets' corpora (`cargo test -p msgsync-sandbox --
    /// --ignored write_the_seed_corpora`), after a change of what clients send.
    #[test]
    #[ignore = "writes fuzz/corpus"]
    fn write_the_seed_corpora() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
        for (target, seeds) in [
            ("mtproto_requests", request_seeds()),
            ("mtproto_frames", frame_seeds()),
        ] {
            let dir = corpus.join(target);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, bytes) in seeds {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }
    }
}
