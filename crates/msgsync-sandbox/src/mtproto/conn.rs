//! One client connection: transport, encryption, MTProto service messages, then the API.
//!
//! Service messages (core.telegram.org/mtproto/service_messages and
//! …/service_messages_about_messages; grammers-mtproto `mtp/encrypted.rs` for what a client
//! expects): a message under a wrong salt gets `bad_server_salt` (error 48) with the right one,
//! and the client re-sends it (grammers starts every connection with salt 0); the first
//! accepted message of a new session id gets `new_session_created`; `get_future_salts` gets
//! `future_salts` (not wrapped in `rpc_result`); `ping`/`ping_delay_disconnect` get `pong`;
//! `msgs_ack` gets nothing; `msg_container` and `gzip_packed` are unpacked; every API request
//! gets an `rpc_result` holding its result or an `rpc_error`.

use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grammers_tl_types::{
    enums, functions, types, Cursor, Deserializable, Identifiable, Serializable,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::keys::{self, KeyId};
use super::rpc::{self, Answer};
use super::wire::{self, Framing, Incoming, Outgoing};
use super::{Account, Shared};

pub(super) const MSG_CONTAINER: u32 = 0x73f1_f8dc;
pub(super) const GZIP_PACKED: u32 = 0x3072_cfa1;
const RPC_RESULT: u32 = 0xf35c_6d01;
/// Inflated requests larger than this are refused.
const MAX_INFLATED: u64 = 1024 * 1024;

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// What the server sends on one connection: its message ids and sequence numbers.
pub(super) struct Out<W> {
    writer: W,
    framing: Framing,
    last_msg_id: i64,
    content_sent: i32,
}

impl<W: AsyncWrite + Unpin> Out<W> {
    pub(super) fn new(writer: W) -> Self {
        Out {
            writer,
            framing: Framing::default(),
            last_msg_id: 0,
            content_sent: 0,
        }
    }

    /// Server message ids are time-based, increasing, and ≡ 1 (mod 4) for answers, 3 otherwise.
    fn msg_id(&mut self, answer: bool) -> i64 {
        let t = now();
        let candidate = ((t.as_secs() as i64) << 32) | (i64::from(t.subsec_nanos()) << 2);
        let base = (candidate & !3).max((self.last_msg_id & !3) + 4);
        self.last_msg_id = base | if answer { 1 } else { 3 };
        self.last_msg_id
    }

    fn seq_no(&mut self, content_related: bool) -> i32 {
        if content_related {
            self.content_sent += 1;
            self.content_sent * 2 - 1
        } else {
            self.content_sent * 2
        }
    }

    async fn send(
        &mut self,
        acct: &Account,
        session_id: i64,
        body: &[u8],
        answer: bool,
        content: bool,
    ) -> bool {
        let m = Outgoing {
            salt: acct.salt,
            session_id,
            msg_id: self.msg_id(answer),
            seq_no: self.seq_no(content),
            body,
        };
        let packet = wire::encrypt(&acct.key, &acct.key_id, &m);
        self.framing.write(&mut self.writer, &packet).await.is_ok()
    }
}

pub(crate) async fn serve(shared: Arc<Shared>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let (reader, writer) = stream.into_split();
    run(shared, reader, writer).await;
}

async fn run<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    shared: Arc<Shared>,
    mut reader: R,
    writer: W,
) {
    let mut framing = Framing::default();
    let mut out = Out::new(writer);
    let mut acct: Option<Account> = None;
    let mut session: Option<i64> = None;
    while let Some(payload) = framing.read(&mut reader).await {
        let Some(key_id) = wire::packet_key_id(&payload) else {
            return;
        };
        if acct.is_none() {
            let Some(reg) = (key_id != KeyId::default())
                .then(|| keys::lookup(&key_id))
                .flatten()
            else {
                // No key exchange here, and no such key: Telegram's "auth key not found".
                wire::write_transport_error(&mut out.writer, 404).await;
                return;
            };
            let account = shared.account(key_id, reg).await;
            if account.is_down() {
                // A provider that is down: the connection closes before any answer.
                return;
            }
            acct = Some(account);
        }
        let Some(account) = acct.as_ref().filter(|a| a.key_id == key_id) else {
            return;
        };
        let Some(msg) = wire::decrypt(&account.key, &payload) else {
            wire::write_transport_error(&mut out.writer, 404).await;
            return;
        };
        if msg.salt != account.salt {
            let body = enums::BadMsgNotification::BadServerSalt(types::BadServerSalt {
                bad_msg_id: msg.msg_id,
                bad_msg_seqno: msg.seq_no,
                error_code: 48,
                new_server_salt: account.salt,
            })
            .to_bytes();
            if !out.send(account, msg.session_id, &body, false, false).await {
                return;
            }
            continue;
        }
        if session != Some(msg.session_id) {
            session = Some(msg.session_id);
            let body = enums::NewSession::Created(types::NewSessionCreated {
                first_msg_id: msg.msg_id,
                unique_id: msg.msg_id ^ 0x5a5a_5a5a,
                server_salt: account.salt,
            })
            .to_bytes();
            if !out.send(account, msg.session_id, &body, false, true).await {
                return;
            }
        }
        if !handle(account, &mut out, &msg, 0).await {
            return;
        }
    }
}

fn read_u32(cur: &mut Cursor<'_>) -> Option<u32> {
    u32::deserialize(cur).ok()
}

/// Handles one message; `false` closes the connection.
pub(super) async fn handle<W: AsyncWrite + Unpin>(
    acct: &Account,
    out: &mut Out<W>,
    msg: &Incoming,
    depth: u8,
) -> bool {
    let body = &msg.body;
    let mut cur = Cursor::from_slice(body);
    let Some(id) = read_u32(&mut cur) else {
        return false;
    };
    match id {
        MSG_CONTAINER if depth == 0 => {
            let Ok(count) = i32::deserialize(&mut cur) else {
                return false;
            };
            for _ in 0..count.max(0) {
                let (Ok(msg_id), Ok(seq_no), Ok(len)) = (
                    i64::deserialize(&mut cur),
                    i32::deserialize(&mut cur),
                    i32::deserialize(&mut cur),
                ) else {
                    return false;
                };
                let start = cur.pos();
                let Some(inner) = usize::try_from(len)
                    .ok()
                    .and_then(|n| body.get(start..start + n))
                else {
                    return false;
                };
                let mut skip = vec![0u8; inner.len()];
                if cur.read_exact(&mut skip).is_err() {
                    return false;
                }
                let inner = Incoming {
                    salt: msg.salt,
                    session_id: msg.session_id,
                    msg_id,
                    seq_no,
                    body: inner.to_vec(),
                };
                if !Box::pin(handle(acct, out, &inner, depth + 1)).await {
                    return false;
                }
            }
            true
        }
        GZIP_PACKED if depth < 3 => {
            let Ok(packed) = Vec::<u8>::deserialize(&mut cur) else {
                return false;
            };
            let mut inflated = Vec::new();
            let decoder = flate2::read::GzDecoder::new(packed.as_slice());
            if decoder
                .take(MAX_INFLATED)
                .read_to_end(&mut inflated)
                .is_err()
            {
                return false;
            }
            let inner = Incoming {
                salt: msg.salt,
                session_id: msg.session_id,
                msg_id: msg.msg_id,
                seq_no: msg.seq_no,
                body: inflated,
            };
            Box::pin(handle(acct, out, &inner, depth + 1)).await
        }
        types::MsgsAck::CONSTRUCTOR_ID => true,
        functions::Ping::CONSTRUCTOR_ID | functions::PingDelayDisconnect::CONSTRUCTOR_ID => {
            let Ok(ping_id) = i64::deserialize(&mut cur) else {
                return false;
            };
            let pong = enums::Pong::Pong(types::Pong {
                msg_id: msg.msg_id,
                ping_id,
            })
            .to_bytes();
            out.send(acct, msg.session_id, &pong, true, true).await
        }
        functions::GetFutureSalts::CONSTRUCTOR_ID => {
            let Ok(num) = i32::deserialize(&mut cur) else {
                return false;
            };
            let now = now().as_secs() as i32;
            // One salt per connection and key, valid for good: the same value in every slot.
            let salts = (0..num.clamp(1, 64))
                .map(|i| types::FutureSalt {
                    valid_since: now.saturating_add(i * 3600) - 3600,
                    valid_until: now.saturating_add((i + 1) * 3600),
                    salt: acct.salt,
                })
                .collect();
            let body = enums::FutureSalts::Salts(types::FutureSalts {
                req_msg_id: msg.msg_id,
                now,
                salts: grammers_tl_types::RawVec(salts),
            })
            .to_bytes();
            out.send(acct, msg.session_id, &body, true, true).await
        }
        functions::DestroySession::CONSTRUCTOR_ID => {
            let Ok(session_id) = i64::deserialize(&mut cur) else {
                return false;
            };
            let body = enums::DestroySessionRes::DestroySessionNone(types::DestroySessionNone {
                session_id,
            })
            .to_bytes();
            out.send(acct, msg.session_id, &body, true, true).await
        }
        _ => {
            if !acct.latency.is_zero() {
                tokio::time::sleep(acct.latency).await;
            }
            let now = now().as_secs() as i32;
            let result = match rpc::dispatch(acct, body, now) {
                Answer::Result(bytes) => bytes,
                Answer::Error(code, message) => enums::RpcError::Error(types::RpcError {
                    error_code: code,
                    error_message: message,
                })
                .to_bytes(),
                Answer::Drop => return false,
                Answer::Silence => return true,
            };
            let mut wrapped = Vec::with_capacity(12 + result.len());
            wrapped.extend_from_slice(&RPC_RESULT.to_le_bytes());
            wrapped.extend_from_slice(&msg.msg_id.to_le_bytes());
            wrapped.extend_from_slice(&result);
            out.send(acct, msg.session_id, &wrapped, true, true).await
        }
    }
}
