//! Sandbox auth keys: how a Telegram session string carries its scenario to the simulator.
//!
//! A real auth key comes out of a Diffie-Hellman exchange that only Telegram's RSA keys can
//! start, so sandbox sessions come with a pre-shared key instead. The key *is* the scenario:
//!
//! ```text
//! bytes 0..16    MAGIC ("msgsync-sandbox1")
//! bytes 16..18   n, the length of the canonical scenario text (u16 big-endian)
//! bytes 18..18+n the canonical scenario (`Scenario`'s `Display`, e.g. `sandbox:chats=5`)
//! the rest       SHA-256 chain over (MAGIC, scenario, account nonce): keys differ per account
//! ```
//!
//! The simulator only ever sees the auth_key_id (the low 64 bits of SHA-1 of the key) before it
//! must decrypt, and a hash cannot be inverted, so minting a session also records the key in a
//! process-wide registry keyed by auth_key_id ([`sandbox_session`] and [`register_key`]). That
//! is enough for msgsync because the stored credential of a sandbox account is the scenario,
//! not the key: [`super::SandboxTelegramConnector`] mints the session again on every `open`,
//! so a restarted server serves every sandbox account at once. A session string minted by
//! another process is served after [`register_session_key`] was given it (the key embeds the
//! scenario, so nothing else needs to be known).
//!
//! The simulator also plays a second DC, [`FILES_DC`], where the accounts of `fault=migrate`
//! keep their files. A client reaching it needs a key of that DC: a real client makes one with
//! the key exchange, which only Telegram's RSA keys can start, so the sandbox hands out a
//! fresh random key instead ([`files_dc_key`]): known to the simulator, bound to no user, as a
//! key fresh out of the exchange is, until it imports the account's authorization
//! (`auth.importAuthorization`, see `auth.rs`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use msgsync_core::ProviderKind;
use sha1::Digest as _;
use sha2::{Digest, Sha256};

use crate::scenario::Scenario;

pub(crate) const KEY_LEN: usize = 256;
const MAGIC: &[u8; 16] = b"msgsync-sandbox1";
const HEADER: usize = MAGIC.len() + 2;
/// At least this many key bytes come from the nonce hash.
const MIN_HASHED: usize = 32;

/// The DC every sandbox account lives in (Telegram's DC 2 is where most accounts are).
pub const SANDBOX_DC: u8 = 2;
/// The DC where the files of `fault=migrate` accounts are (Telegram numbers its DCs 1 to 5).
pub const FILES_DC: i32 = 4;

pub(crate) type KeyId = [u8; 8];

/// The auth_key_id of a key: the low 64 bits (last 8 bytes) of its SHA-1 (MTProto spec,
/// "Authorization Key").
pub(crate) fn key_id(key: &[u8; KEY_LEN]) -> KeyId {
    let digest = sha1::Sha1::digest(key);
    let mut id = [0; 8];
    id.copy_from_slice(&digest[12..20]);
    id
}

/// The sandbox auth key of a scenario for one account.
pub fn sandbox_auth_key(scenario: &Scenario, nonce: &str) -> [u8; KEY_LEN] {
    let text = scenario.to_string();
    let embedded = if text.len() <= KEY_LEN - HEADER - MIN_HASHED {
        text.as_bytes()
    } else {
        // Cannot happen with the scenario grammar's ranges; the registry still knows the key.
        &[]
    };
    let mut key = [0u8; KEY_LEN];
    key[..MAGIC.len()].copy_from_slice(MAGIC);
    key[MAGIC.len()..HEADER].copy_from_slice(&(embedded.len() as u16).to_be_bytes());
    key[HEADER..HEADER + embedded.len()].copy_from_slice(embedded);
    let mut block: [u8; 32] = Sha256::new()
        .chain_update(MAGIC)
        .chain_update(text.as_bytes())
        .chain_update([0])
        .chain_update(nonce.as_bytes())
        .finalize()
        .into();
    for chunk in key[HEADER + embedded.len()..].chunks_mut(32) {
        chunk.copy_from_slice(&block[..chunk.len()]);
        block = Sha256::digest(block).into();
    }
    key
}

/// The scenario a sandbox key embeds, if it is one.
pub fn scenario_of_key(key: &[u8; KEY_LEN]) -> Option<Scenario> {
    if &key[..MAGIC.len()] != MAGIC {
        return None;
    }
    let n = usize::from(u16::from_be_bytes([key[MAGIC.len()], key[MAGIC.len() + 1]]));
    let text = key.get(HEADER..HEADER + n)?;
    Scenario::parse(ProviderKind::Telegram, std::str::from_utf8(text).ok()?).ok()
}

/// A key the simulator can serve.
#[derive(Debug, Clone)]
pub(crate) struct Registered {
    pub(crate) key: [u8; KEY_LEN],
    pub(crate) scenario: Scenario,
    pub(crate) binding: Binding,
}

/// Which DC a key belongs to, and whose it is.
#[derive(Debug, Clone)]
pub(crate) enum Binding {
    /// A sandbox session's key: the account's home DC, logged in.
    Home,
    /// A key of another DC, handed out for the account whose home key is `home`; it logs the
    /// account in once it imported the account's authorization (shared by every copy of this
    /// registration, so by every connection using the key).
    Foreign {
        dc: i32,
        home: Box<[u8; KEY_LEN]>,
        authorized: Arc<AtomicBool>,
    },
}

fn registry() -> &'static Mutex<HashMap<KeyId, Registered>> {
    static REGISTRY: OnceLock<Mutex<HashMap<KeyId, Registered>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Makes a sandbox key known to every simulator of this process. Returns `false` for a key
/// that embeds no valid scenario.
pub fn register_key(key: &[u8; KEY_LEN]) -> bool {
    let Some(scenario) = scenario_of_key(key) else {
        return false;
    };
    registry()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(
            key_id(key),
            Registered {
                key: *key,
                scenario,
                binding: Binding::Home,
            },
        );
    true
}

/// A fresh key of [`FILES_DC`] for the account of the sandbox key `home`, known to every
/// simulator of this process and bound to no user yet; `None` for another DC, or when `home`
/// is not a sandbox key.
pub fn files_dc_key(home: &[u8; KEY_LEN], dc: i32) -> Option<[u8; KEY_LEN]> {
    use rand::RngCore;
    if dc != FILES_DC {
        return None;
    }
    let scenario = scenario_of_key(home)?;
    let mut key = [0u8; KEY_LEN];
    rand::thread_rng().fill_bytes(&mut key);
    registry()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(
            key_id(&key),
            Registered {
                key,
                scenario,
                binding: Binding::Foreign {
                    dc,
                    home: Box::new(*home),
                    authorized: Arc::new(AtomicBool::new(false)),
                },
            },
        );
    Some(key)
}

/// Registers the key of a Telethon string session minted elsewhere (another process);
/// `false` when it is not a sandbox session.
pub fn register_session_key(session: &str) -> bool {
    use base64::Engine;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let Some(rest) = session.trim().strip_prefix('1') else {
        return false;
    };
    let Ok(bytes) = engine.decode(rest) else {
        return false;
    };
    let Some(key) = bytes
        .len()
        .checked_sub(KEY_LEN)
        .and_then(|start| <[u8; KEY_LEN]>::try_from(&bytes[start..]).ok())
    else {
        return false;
    };
    register_key(&key)
}

pub(crate) fn lookup(id: &KeyId) -> Option<Registered> {
    let found = || {
        registry()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    };
    found().or_else(|| {
        // Not minted here: perhaps by `msgsync sandbox telegram-session` in another process,
        // which leaves its sessions in the session directory.
        load_session_dir();
        found()
    })
}

fn session_dir() -> &'static OnceLock<PathBuf> {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    &DIR
}

/// Where this process looks for sandbox sessions minted by other processes (the serve process
/// sets it to a folder of its data directory). Set once; later calls are ignored.
pub fn set_session_dir(dir: PathBuf) {
    let _ = session_dir().set(dir);
}

/// Leaves a session minted in this process where a simulator of another process finds it.
pub fn spool_session(dir: &Path, session: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}.session", ulid_like_name(session)));
    std::fs::write(&path, session)?;
    Ok(path)
}

/// A file name unique to the session (a hash of it), so that spooling twice is harmless.
fn ulid_like_name(session: &str) -> String {
    Sha256::digest(session.as_bytes())[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn load_session_dir() {
    let Some(dir) = session_dir().get() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if let Ok(session) = std::fs::read_to_string(entry.path()) {
            register_session_key(&session);
        }
    }
}

/// A Telethon-format string session under which the simulator at `addr` serves `scenario`
/// (`nonce` tells accounts apart, e.g. the account id). Registers the key in this process.
pub fn sandbox_session(scenario: &Scenario, nonce: &str, addr: SocketAddr) -> String {
    let key = sandbox_auth_key(scenario, nonce);
    register_key(&key);
    let mut bytes = Vec::with_capacity(1 + 16 + 2 + KEY_LEN);
    bytes.push(SANDBOX_DC);
    match addr.ip() {
        std::net::IpAddr::V4(v4) => bytes.extend_from_slice(&v4.octets()),
        std::net::IpAddr::V6(v6) => bytes.extend_from_slice(&v6.octets()),
    }
    bytes.extend_from_slice(&addr.port().to_be_bytes());
    bytes.extend_from_slice(&key);
    use base64::Engine;
    format!(
        "1{}",
        base64::engine::general_purpose::URL_SAFE.encode(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_embed_the_scenario_and_differ_per_nonce() {
        let s = Scenario::parse(ProviderKind::Telegram, "sandbox:chats=5,fault=flaky").unwrap();
        let a = sandbox_auth_key(&s, "acc_1");
        let b = sandbox_auth_key(&s, "acc_2");
        assert_ne!(a, b);
        assert_ne!(key_id(&a), key_id(&b));
        assert_eq!(a, sandbox_auth_key(&s, "acc_1"));
        assert_eq!(scenario_of_key(&a), Some(s.clone()));
        assert_eq!(scenario_of_key(&[7; KEY_LEN]), None);

        let session = sandbox_session(&s, "acc_1", "127.0.0.1:5555".parse().unwrap());
        assert_eq!(lookup(&key_id(&a)).map(|r| r.scenario), Some(s));
        assert!(register_session_key(&session));
        assert!(!register_session_key("1AAAA"));
        assert!(!register_session_key("nonsense"));
    }

    #[test]
    fn the_longest_scenario_fits() {
        let s = Scenario::parse(
            ProviderKind::Telegram,
            "sandbox:chats=100000,messages=100000,seed=18446744073709551615,span_days=3650,\
             latency_ms=60000,fault=auth_key_duplicated,fault_after=18446744073709551615,\
             pinned=100",
        )
        .unwrap();
        assert_eq!(scenario_of_key(&sandbox_auth_key(&s, "x")), Some(s));
    }
}
