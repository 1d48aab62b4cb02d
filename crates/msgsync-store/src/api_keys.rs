//! API keys: `pp_live_<random>` / `pp_test_<random>`.
//!
//! The random part is 40 base62 characters; its first 12 are the key's id (the row to look up),
//! the whole key is stored only as a SHA-256 hash and compared in constant time.

use msgsync_core::{ApiKeyMode, Scope};
use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ApiKeyRecord;

const RANDOM_LEN: usize = 40;
const ID_LEN: usize = 12;

fn prefix(mode: ApiKeyMode) -> &'static str {
    match mode {
        ApiKeyMode::Live => "pp_live_",
        ApiKeyMode::Test => "pp_test_",
    }
}

/// A freshly generated key: the record to store and the key to show once.
pub struct GeneratedKey {
    pub record: ApiKeyRecord,
    pub key: String,
}

pub fn generate(
    owner: &str,
    name: &str,
    mode: ApiKeyMode,
    scopes: Vec<Scope>,
    now: i64,
) -> GeneratedKey {
    let random: String = rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(RANDOM_LEN)
        .map(char::from)
        .collect();
    let key = format!("{}{random}", prefix(mode));
    GeneratedKey {
        record: ApiKeyRecord {
            id: random[..ID_LEN].to_owned(),
            owner: owner.to_owned(),
            name: name.to_owned(),
            mode,
            scopes,
            key_hash: hash(&key),
            created_at: now,
            revoked_at: None,
        },
        key,
    }
}

/// Splits a presented key into its mode and id, if it has the shape of a key at all.
pub fn parse(key: &str) -> Option<(ApiKeyMode, &str)> {
    let (mode, random) = if let Some(r) = key.strip_prefix("pp_live_") {
        (ApiKeyMode::Live, r)
    } else if let Some(r) = key.strip_prefix("pp_test_") {
        (ApiKeyMode::Test, r)
    } else {
        return None;
    };
    if random.len() != RANDOM_LEN || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some((mode, &random[..ID_LEN]))
}

pub fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// Whether `key` is the key of `record` (constant time in the hash comparison).
pub fn matches(record: &ApiKeyRecord, key: &str) -> bool {
    let presented = hash(key);
    bool::from(presented.ct_eq(&record.key_hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_match() {
        let g = generate("acme", "ci", ApiKeyMode::Test, Scope::ALL.to_vec(), 0);
        assert!(g.key.starts_with("pp_test_"));
        let (mode, id) = parse(&g.key).unwrap();
        assert_eq!(mode, ApiKeyMode::Test);
        assert_eq!(id, g.record.id);
        assert!(matches(&g.record, &g.key));
        let mut other = g.key.clone();
        other.pop();
        other.push(if g.key.ends_with('a') { 'b' } else { 'a' });
        assert!(!matches(&g.record, &other));
        assert!(parse("pp_test_short").is_none());
        assert!(parse("sk_live_0123456789012345678901234567890123456789").is_none());
    }
}
