//! Telethon's string session: how Telegram accounts are handed to msgsync.
//!
//! `'1' + urlsafe_base64(dc_id: u8, ip: 4 or 16 bytes, port: u16 big-endian, auth_key: 256
//! bytes)` (Telethon `sessions/string.py`, `struct.pack('>B{4|16}sH256s', …)`). Telethon
//! writes the base64 with `=` padding; both padded and unpadded input are accepted.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// The only version Telethon has ever written.
const VERSION: char = '1';
const AUTH_KEY_LEN: usize = 256;
const V4_LEN: usize = 1 + 4 + 2 + AUTH_KEY_LEN;
const V6_LEN: usize = 1 + 16 + 2 + AUTH_KEY_LEN;

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What a Telegram session is for msgsync: the account's home DC, where it is, and the
/// permanent auth key bound to the logged-in user.
#[derive(Clone, PartialEq, Eq)]
pub struct StringSession {
    pub dc_id: u8,
    pub addr: SocketAddr,
    pub auth_key: [u8; AUTH_KEY_LEN],
}

impl fmt::Debug for StringSession {
    // The auth key is the account: it never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StringSession")
            .field("dc_id", &self.dc_id)
            .field("addr", &self.addr)
            .field("auth_key", &"<redacted>")
            .finish()
    }
}

/// Why a string is not a Telethon string session; each names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StringSessionError {
    #[error("the Telegram session is empty; give a Telethon string session (`1…`)")]
    Empty,
    #[error("the Telegram session must be a Telethon string session starting with `1`")]
    Version,
    #[error("the Telegram session is not valid URL-safe base64 after its leading `1`")]
    Base64,
    #[error("the Telegram session holds {0} bytes; a Telethon string session holds 263 (IPv4) or 275 (IPv6)")]
    Length(usize),
    #[error("the Telegram session names DC 0; Telegram DCs are numbered from 1")]
    DcId,
    #[error("the Telegram session names port 0")]
    Port,
    #[error("the auth key of the Telegram session is all zeros")]
    AuthKey,
}

impl StringSession {
    /// Decodes and checks a Telethon string session; needs no network.
    pub fn decode(s: &str) -> Result<StringSession, StringSessionError> {
        let s = s.trim();
        let rest = match s.chars().next() {
            None => return Err(StringSessionError::Empty),
            Some(VERSION) => &s[VERSION.len_utf8()..],
            Some(_) => return Err(StringSessionError::Version),
        };
        let bytes = ENGINE
            .decode(rest)
            .map_err(|_| StringSessionError::Base64)?;
        let ip_len = match bytes.len() {
            V4_LEN => 4,
            V6_LEN => 16,
            n => return Err(StringSessionError::Length(n)),
        };
        let dc_id = bytes[0];
        let ip_bytes = &bytes[1..1 + ip_len];
        let ip = match <[u8; 4]>::try_from(ip_bytes) {
            Ok(v4) => IpAddr::V4(Ipv4Addr::from(v4)),
            Err(_) => {
                let v6 = <[u8; 16]>::try_from(ip_bytes)
                    .map_err(|_| StringSessionError::Length(bytes.len()))?;
                IpAddr::V6(Ipv6Addr::from(v6))
            }
        };
        let port = u16::from_be_bytes([bytes[1 + ip_len], bytes[2 + ip_len]]);
        let auth_key: [u8; AUTH_KEY_LEN] = bytes[3 + ip_len..]
            .try_into()
            .map_err(|_| StringSessionError::Length(bytes.len()))?;
        if dc_id == 0 {
            return Err(StringSessionError::DcId);
        }
        if port == 0 {
            return Err(StringSessionError::Port);
        }
        if auth_key.iter().all(|b| *b == 0) {
            return Err(StringSessionError::AuthKey);
        }
        Ok(StringSession {
            dc_id,
            addr: SocketAddr::new(ip, port),
            auth_key,
        })
    }

    /// Encodes as Telethon does (padded URL-safe base64; an IPv4-mapped IPv6 address is
    /// written as IPv4).
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(V6_LEN);
        bytes.push(self.dc_id);
        match self.addr.ip() {
            IpAddr::V4(v4) => bytes.extend_from_slice(&v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => bytes.extend_from_slice(&v4.octets()),
                None => bytes.extend_from_slice(&v6.octets()),
            },
        }
        bytes.extend_from_slice(&self.addr.port().to_be_bytes());
        bytes.extend_from_slice(&self.auth_key);
        let mut out = String::with_capacity(2 + bytes.len() * 4 / 3 + 4);
        out.push(VERSION);
        ENGINE.encode_string(&bytes, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> [u8; AUTH_KEY_LEN] {
        std::array::from_fn(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
    }

    #[test]
    fn round_trips_ipv4_and_ipv6() {
        for addr in [
            "127.0.0.1:4430",
            "149.154.167.41:443",
            "[2001:67c:4e8:f002::a]:443",
        ] {
            let s = StringSession {
                dc_id: 2,
                addr: addr.parse().unwrap(),
                auth_key: key(7),
            };
            let encoded = s.encode();
            assert!(encoded.starts_with('1'));
            // Telethon's lengths: 352 base64 characters for IPv4, 368 for IPv6.
            let expected = if s.addr.is_ipv4() { 353 } else { 369 };
            assert_eq!(encoded.len(), expected, "{addr}");
            assert_eq!(StringSession::decode(&encoded).unwrap(), s);
            // Unpadded input (as some tools write it) decodes to the same session.
            assert_eq!(
                StringSession::decode(encoded.trim_end_matches('=')).unwrap(),
                s
            );
        }
    }

    #[test]
    fn decodes_a_session_built_byte_by_byte() {
        // What Telethon's `struct.pack('>B4sH256s', 4, inet_aton('10.1.2.3'), 443, key)` gives.
        let mut raw = vec![4u8, 10, 1, 2, 3, 0x01, 0xbb];
        raw.extend_from_slice(&key(1));
        let s = format!("1{}", ENGINE.encode(&raw));
        let decoded = StringSession::decode(&s).unwrap();
        assert_eq!(decoded.dc_id, 4);
        assert_eq!(decoded.addr, "10.1.2.3:443".parse().unwrap());
        assert_eq!(decoded.auth_key, key(1));
    }

    #[test]
    fn rejects_bad_input() {
        let good = StringSession {
            dc_id: 2,
            addr: "127.0.0.1:443".parse().unwrap(),
            auth_key: key(3),
        }
        .encode();
        let with = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut raw = ENGINE.decode(&good[1..]).unwrap();
            f(&mut raw);
            format!("1{}", ENGINE.encode(&raw))
        };
        let cases: Vec<(String, StringSessionError)> = vec![
            (String::new(), StringSessionError::Empty),
            ("   ".into(), StringSessionError::Empty),
            (format!("2{}", &good[1..]), StringSessionError::Version),
            ("sandbox:chats=3".into(), StringSessionError::Version),
            ("1not base64!".into(), StringSessionError::Base64),
            ("1".into(), StringSessionError::Length(0)),
            (with(&|r| r.truncate(100)), StringSessionError::Length(100)),
            (with(&|r| r.push(0)), StringSessionError::Length(264)),
            (with(&|r| r[0] = 0), StringSessionError::DcId),
            (
                with(&|r| {
                    r[5] = 0;
                    r[6] = 0
                }),
                StringSessionError::Port,
            ),
            (with(&|r| r[7..].fill(0)), StringSessionError::AuthKey),
        ];
        for (input, expected) in cases {
            assert_eq!(StringSession::decode(&input), Err(expected), "{input:?}");
        }
        // Multi-byte input never panics on slicing.
        assert_eq!(StringSession::decode("é"), Err(StringSessionError::Version));
        assert_eq!(StringSession::decode("1é"), Err(StringSessionError::Base64));
    }

    #[test]
    fn debug_hides_the_key() {
        let s = StringSession {
            dc_id: 2,
            addr: "127.0.0.1:443".parse().unwrap(),
            auth_key: key(9),
        };
        assert!(format!("{s:?}").contains("<redacted>"));
    }
}
