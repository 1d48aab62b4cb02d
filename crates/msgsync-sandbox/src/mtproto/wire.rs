//! The bytes on the wire: the "Full" TCP transport and MTProto 2.0 encryption, server side.
//!
//! Full transport (core.telegram.org/mtproto/mtproto-transports#full; grammers-mtproto
//! `transport/full.rs`, its default): `len: u32 LE` (the whole packet), `seq: u32 LE` (per
//! direction, from 0), payload, `crc32` (IEEE, over everything before it). A negative `len`
//! of 4 bytes alone is a transport error code (`-404`: unknown auth key).
//!
//! MTProto 2.0 (core.telegram.org/mtproto/description): `auth_key_id ‖ msg_key ‖
//! AES-256-IGE(salt ‖ session_id ‖ msg_id ‖ seq_no ‖ length ‖ body ‖ padding)`, with
//! `msg_key = SHA-256(auth_key[88+x..120+x] ‖ plaintext)[8..24]` and the AES key and IV from
//! SHA-256 over `msg_key` and parts of the key; `x = 0` from client to server, `8` back.

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::keys::{KeyId, KEY_LEN};

/// Larger packets are refused: a history page is far smaller.
const MAX_PACKET: usize = 2 * 1024 * 1024;

/// The Full transport state of one connection.
#[derive(Debug, Default)]
pub(crate) struct Framing {
    recv_seq: u32,
    send_seq: u32,
}

impl Framing {
    /// Reads one packet's payload; `None` at the end of the stream or on a malformed packet
    /// (Telegram closes such connections).
    pub(crate) async fn read<R: AsyncReadExt + Unpin>(&mut self, r: &mut R) -> Option<Vec<u8>> {
        let mut head = [0u8; 8];
        r.read_exact(&mut head).await.ok()?;
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let seq = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if !(12..=MAX_PACKET).contains(&len) || !len.is_multiple_of(4) || seq != self.recv_seq {
            return None;
        }
        let mut rest = vec![0u8; len - 8];
        r.read_exact(&mut rest).await.ok()?;
        let (payload, crc) = rest.split_at(len - 12);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&head);
        hasher.update(payload);
        if hasher.finalize().to_le_bytes() != crc {
            return None;
        }
        self.recv_seq = self.recv_seq.wrapping_add(1);
        Some(payload.to_vec())
    }

    pub(crate) async fn write<W: AsyncWriteExt + Unpin>(
        &mut self,
        w: &mut W,
        payload: &[u8],
    ) -> std::io::Result<()> {
        let len = (payload.len() + 12) as u32;
        let mut packet = Vec::with_capacity(payload.len() + 12);
        packet.extend_from_slice(&len.to_le_bytes());
        packet.extend_from_slice(&self.send_seq.to_le_bytes());
        packet.extend_from_slice(payload);
        let crc = crc32fast::hash(&packet);
        packet.extend_from_slice(&crc.to_le_bytes());
        self.send_seq = self.send_seq.wrapping_add(1);
        w.write_all(&packet).await
    }
}

/// A transport error code on its own (`-404` and the like).
pub(crate) async fn write_transport_error<W: AsyncWriteExt + Unpin>(w: &mut W, code: i32) {
    // The peer is told why when it can be; the connection closes either way.
    let _ = w.write_all(&(-code).to_le_bytes()).await;
}

/// The auth_key_id an encrypted packet starts with; `[0; 8]` is an unencrypted message.
pub(crate) fn packet_key_id(payload: &[u8]) -> Option<KeyId> {
    payload.get(..8)?.try_into().ok()
}

fn kdf(key: &[u8; KEY_LEN], msg_key: &[u8], x: usize) -> ([u8; 32], [u8; 32]) {
    let a: [u8; 32] = Sha256::new()
        .chain_update(msg_key)
        .chain_update(&key[x..x + 36])
        .finalize()
        .into();
    let b: [u8; 32] = Sha256::new()
        .chain_update(&key[40 + x..76 + x])
        .chain_update(msg_key)
        .finalize()
        .into();
    let mut aes_key = [0u8; 32];
    aes_key[..8].copy_from_slice(&a[..8]);
    aes_key[8..24].copy_from_slice(&b[8..24]);
    aes_key[24..].copy_from_slice(&a[24..]);
    let mut aes_iv = [0u8; 32];
    aes_iv[..8].copy_from_slice(&b[..8]);
    aes_iv[8..24].copy_from_slice(&a[8..24]);
    aes_iv[24..].copy_from_slice(&b[24..]);
    (aes_key, aes_iv)
}

fn msg_key(key: &[u8; KEY_LEN], plaintext: &[u8], x: usize) -> [u8; 16] {
    let large = Sha256::new()
        .chain_update(&key[88 + x..120 + x])
        .chain_update(plaintext)
        .finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&large[8..24]);
    out
}

/// A decrypted client message.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) salt: i64,
    pub(crate) session_id: i64,
    pub(crate) msg_id: i64,
    pub(crate) seq_no: i32,
    pub(crate) body: Vec<u8>,
}

fn le_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    i64::from_le_bytes(a)
}

fn le_i32(b: &[u8]) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    i32::from_le_bytes(a)
}

/// Decrypts a client packet; `None` when it does not authenticate (wrong key, tampering).
pub(crate) fn decrypt(key: &[u8; KEY_LEN], payload: &[u8]) -> Option<Incoming> {
    if payload.len() < 24 + 32 || !(payload.len() - 24).is_multiple_of(16) {
        return None;
    }
    let given = &payload[8..24];
    let (aes_key, aes_iv) = kdf(key, given, 0);
    let mut plain = payload[24..].to_vec();
    grammers_crypto::aes::ige_decrypt(&mut plain, &aes_key, &aes_iv);
    if msg_key(key, &plain, 0) != given {
        return None;
    }
    let len = usize::try_from(le_i32(&plain[28..32])).ok()?;
    // MTProto 2.0 padding is 12 to 1024 bytes.
    let padding = plain.len().checked_sub(32 + len)?;
    if !(12..=1024).contains(&padding) || len % 4 != 0 {
        return None;
    }
    Some(Incoming {
        salt: le_i64(&plain[0..8]),
        session_id: le_i64(&plain[8..16]),
        msg_id: le_i64(&plain[16..24]),
        seq_no: le_i32(&plain[24..28]),
        body: plain[32..32 + len].to_vec(),
    })
}

/// One server message, ready to encrypt.
pub(crate) struct Outgoing<'a> {
    pub(crate) salt: i64,
    pub(crate) session_id: i64,
    pub(crate) msg_id: i64,
    pub(crate) seq_no: i32,
    pub(crate) body: &'a [u8],
}

/// Encrypts a server message (`x = 8`).
pub(crate) fn encrypt(key: &[u8; KEY_LEN], key_id: &KeyId, m: &Outgoing<'_>) -> Vec<u8> {
    let mut plain = Vec::with_capacity(32 + m.body.len() + 32);
    plain.extend_from_slice(&m.salt.to_le_bytes());
    plain.extend_from_slice(&m.session_id.to_le_bytes());
    plain.extend_from_slice(&m.msg_id.to_le_bytes());
    plain.extend_from_slice(&m.seq_no.to_le_bytes());
    plain.extend_from_slice(&(m.body.len() as i32).to_le_bytes());
    plain.extend_from_slice(m.body);
    // 12 to 27 bytes of padding up to a multiple of 16; their values only need to be
    // unpredictable to an attacker, which a sandbox has none of.
    let mut pad = 12 + (16 - (plain.len() + 12) % 16) % 16;
    let mut filler = Sha256::digest(m.msg_id.to_le_bytes());
    while pad > 0 {
        let n = pad.min(filler.len());
        plain.extend_from_slice(&filler[..n]);
        pad -= n;
        filler = Sha256::digest(filler);
    }
    let mk = msg_key(key, &plain, 8);
    let (aes_key, aes_iv) = kdf(key, &mk, 8);
    grammers_crypto::aes::ige_encrypt(&mut plain, &aes_key, &aes_iv);
    let mut out = Vec::with_capacity(24 + plain.len());
    out.extend_from_slice(key_id);
    out.extend_from_slice(&mk);
    out.extend_from_slice(&plain);
    out
}

/// Encrypts a client message as a client does (`x = 0`): what the tests and the fuzz targets
/// send the server. `plain` is laid out as the client lays it out (salt, session id, message
/// id, sequence number, length, body, padding) and its length a multiple of 16.
pub(crate) fn encrypt_as_client(key: &[u8; KEY_LEN], key_id: &KeyId, plain: &[u8]) -> Vec<u8> {
    let mut plain = plain.to_vec();
    let mk = msg_key(key, &plain, 0);
    let (k, iv) = kdf(key, &mk, 0);
    grammers_crypto::aes::ige_encrypt(&mut plain, &k, &iv);
    [key_id.as_slice(), &mk, &plain].concat()
}

/// A client message's plaintext: its header and body, and padding of 12 to 27 bytes.
pub(crate) fn client_plaintext(m: &Incoming) -> Vec<u8> {
    let mut plain = Vec::new();
    plain.extend_from_slice(&m.salt.to_le_bytes());
    plain.extend_from_slice(&m.session_id.to_le_bytes());
    plain.extend_from_slice(&m.msg_id.to_le_bytes());
    plain.extend_from_slice(&m.seq_no.to_le_bytes());
    plain.extend_from_slice(&(m.body.len() as i32).to_le_bytes());
    plain.extend_from_slice(&m.body);
    plain.resize(plain.len() + 12 + (16 - (plain.len() + 12) % 16) % 16, 0xAB);
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encrypts as a client would (x = 0), to check the server's decryption.
    fn client_encrypt(key: &[u8; KEY_LEN], key_id: &KeyId, body: &[u8]) -> Vec<u8> {
        let plain = client_plaintext(&Incoming {
            salt: 7,
            session_id: 9,
            msg_id: 1 << 32,
            seq_no: 1,
            body: body.to_vec(),
        });
        encrypt_as_client(key, key_id, &plain)
    }

    #[test]
    fn decrypts_client_messages_and_rejects_tampering() {
        let key: [u8; KEY_LEN] = std::array::from_fn(|i| i as u8);
        let id = super::super::keys::key_id(&key);
        let packet = client_encrypt(&key, &id, b"ping1234");
        let m = decrypt(&key, &packet).expect("decrypts");
        assert_eq!((m.salt, m.session_id, m.seq_no), (7, 9, 1));
        assert_eq!(m.body, b"ping1234");
        let mut bad = packet.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(decrypt(&key, &bad).is_none());
        assert!(decrypt(&key, &packet[..40]).is_none());
        // The server's own direction does not decrypt as a client message.
        let out = encrypt(
            &key,
            &id,
            &Outgoing {
                salt: 1,
                session_id: 2,
                msg_id: 5,
                seq_no: 1,
                body: b"abcd",
            },
        );
        assert!(decrypt(&key, &out).is_none());
    }
}
