//! Encryption of provider credentials at rest (AES-256-GCM, a fresh random nonce per value).

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const NONCE_LEN: usize = 12;

/// What the key check value authenticates: a fixed label, so that the value says nothing of the
/// key but who holds the key can recompute it.
const KEY_CHECK_LABEL: &[u8] = b"msgsync key check v1";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("stored credentials could not be decrypted (wrong master key or corrupt data)")]
    Decrypt,
    #[error("credentials could not be encrypted")]
    Encrypt,
}

/// Encrypts and decrypts credential blobs with the master key.
#[derive(Clone)]
pub struct CredentialCipher {
    cipher: Aes256Gcm,
    key_check: [u8; 32],
}

impl std::fmt::Debug for CredentialCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialCipher(<key>)")
    }
}

impl CredentialCipher {
    pub fn new(master_key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(master_key)),
            key_check: key_check_of(master_key),
        }
    }

    /// A value derived from the master key (HMAC-SHA-256 of a fixed label), stored beside data
    /// the key encrypted: nodes sharing one database compare it with their own before writing,
    /// so that a node started with another key refuses to start instead of writing credentials
    /// no other node can read. It reveals nothing of the key.
    pub fn key_check(&self) -> [u8; 32] {
        self.key_check
    }

    /// `nonce || ciphertext+tag`.
    pub fn encrypt(&self, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain)
            .map_err(|_| CryptoError::Encrypt)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn decrypt(&self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| CryptoError::Decrypt)
    }
}

fn key_check_of(master_key: &[u8; 32]) -> [u8; 32] {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master_key)
        .expect("HMAC accepts a key of any length");
    mac.update(KEY_CHECK_LABEL);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        let c = CredentialCipher::new(&[7u8; 32]);
        let sealed = c.encrypt(b"li_at=secret").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(c.decrypt(&sealed).unwrap(), b"li_at=secret");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(c.decrypt(&tampered).is_err());
        let other = CredentialCipher::new(&[8u8; 32]);
        assert!(other.decrypt(&sealed).is_err());
        // Two encryptions of the same value differ (fresh nonce).
        assert_ne!(c.encrypt(b"x").unwrap(), c.encrypt(b"x").unwrap());
    }

    #[test]
    fn key_check_tells_keys_apart_and_is_not_the_key() {
        let key = [7u8; 32];
        let c = CredentialCipher::new(&key);
        assert_eq!(c.key_check(), CredentialCipher::new(&key).key_check());
        assert_ne!(c.key_check(), CredentialCipher::new(&[8u8; 32]).key_check());
        assert_ne!(c.key_check(), key);
    }
}
