//! Webhook secrets and the `webhook-signature` header, per the Standard Webhooks spec, so that a
//! receiver can verify our deliveries with any of that spec's libraries.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;

/// The prefix the spec gives secrets, so that they are recognisable in a config file or a leak scan.
const SECRET_PREFIX: &str = "whsec_";

/// 256 bits, the size of an HMAC-SHA256 output: a longer key adds no strength.
const GENERATED_SECRET_BYTES: usize = 32;

/// Shorter than 192 bits is too weak to accept; HMAC-SHA256 hashes a key longer than its 64-byte
/// block down to 32 bytes, so a longer value is more likely a paste error than a stronger key.
const SECRET_BYTES_MIN: usize = 24;
const SECRET_BYTES_MAX: usize = 64;

/// Why a secret was refused or a signature could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigningError {
    #[error("webhook secret must start with \"whsec_\"")]
    MissingPrefix,
    #[error("webhook secret must be \"whsec_\" followed by standard base64")]
    InvalidBase64,
    #[error(
        "webhook secret must hold between {SECRET_BYTES_MIN} and {SECRET_BYTES_MAX} bytes once \
         decoded, it holds {0}"
    )]
    InvalidLength(usize),
    #[error("a webhook needs at least one secret to be signed")]
    NoSecret,
    #[error("webhook body is not UTF-8; the Standard Webhooks signature covers text only")]
    BodyNotUtf8,
    #[error("webhook could not be signed: {0}")]
    Sign(String),
}

/// A Standard Webhooks secret, `whsec_` followed by base64 of the key.
///
/// Kept as the string the user sees because that is what both ends of the spec exchange; the
/// `Debug` output hides it so that a logged struct never leaks it, and there is no `Display` so
/// that it is never formatted into a message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A new secret from the operating system's random source, as the spec requires for keys.
    pub fn generate() -> Secret {
        let mut key = [0u8; GENERATED_SECRET_BYTES];
        OsRng.fill_bytes(&mut key);
        Secret(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
    }

    /// Accepts a secret a user brings from another system, so long as it is one the spec's
    /// libraries would accept and long enough to be worth having.
    pub fn parse(raw: &str) -> Result<Secret, SigningError> {
        let encoded = raw
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SigningError::MissingPrefix)?;
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| SigningError::InvalidBase64)?;
        if !(SECRET_BYTES_MIN..=SECRET_BYTES_MAX).contains(&key.len()) {
            return Err(SigningError::InvalidLength(key.len()));
        }
        Ok(Secret(raw.to_owned()))
    }

    /// The secret as it is stored and shown to its owner once.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The value of `webhook-signature`: one `v1,<base64>` per secret, separated by spaces, which is
/// how the spec lets a receiver accept either key while a secret is being rotated.
pub fn signature_header(
    secrets: &[&Secret],
    msg_id: &str,
    timestamp_secs: i64,
    body: &[u8],
) -> Result<String, SigningError> {
    if secrets.is_empty() {
        return Err(SigningError::NoSecret);
    }
    // The crate reports a non-UTF-8 body as a generic error; say what it is.
    if std::str::from_utf8(body).is_err() {
        return Err(SigningError::BodyNotUtf8);
    }
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let webhook = standardwebhooks::Webhook::new(secret.as_str())
            .map_err(|e| SigningError::Sign(e.to_string()))?;
        let signature = webhook
            .sign(msg_id, timestamp_secs, body)
            .map_err(|e| SigningError::Sign(e.to_string()))?;
        signatures.push(signature);
    }
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    fn expected_signature(secret: &Secret, msg_id: &str, ts: i64, body: &[u8]) -> String {
        let key = STANDARD
            .decode(secret.as_str().strip_prefix("whsec_").unwrap())
            .unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{msg_id}.{ts}.").as_bytes());
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn generated_secret_round_trips_through_parse() {
        let secret = Secret::generate();
        assert!(secret.as_str().starts_with("whsec_"));
        let key = STANDARD.decode(&secret.as_str()[6..]).unwrap();
        assert_eq!(key.len(), GENERATED_SECRET_BYTES);
        assert_eq!(Secret::parse(secret.as_str()).unwrap(), secret);
        assert_ne!(Secret::generate(), secret);
    }

    #[test]
    fn parse_refuses_what_the_spec_libraries_would_not_take() {
        let cases: &[(&str, SigningError)] = &[
            ("", SigningError::MissingPrefix),
            (
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                SigningError::MissingPrefix,
            ),
            ("whsec_not base64!", SigningError::InvalidBase64),
            ("whsec_c2hvcnQ=", SigningError::InvalidLength(5)),
        ];
        for (raw, expected) in cases {
            assert_eq!(Secret::parse(raw).unwrap_err(), *expected, "{raw:?}");
        }
        let too_long = format!("whsec_{}", STANDARD.encode([7u8; 65]));
        assert_eq!(
            Secret::parse(&too_long).unwrap_err(),
            SigningError::InvalidLength(65)
        );
        for len in [SECRET_BYTES_MIN, SECRET_BYTES_MAX] {
            let raw = format!("whsec_{}", STANDARD.encode(vec![1u8; len]));
            assert!(Secret::parse(&raw).is_ok(), "{len} bytes");
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let secret = Secret::generate();
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(Secret(<redacted>))");
    }

    #[test]
    fn signature_matches_an_independent_hmac() {
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"type":"message.created","data":{"text":"h\u00e9"}}"#;
        let header = signature_header(
            &[&secret],
            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            1674087231,
            body,
        )
        .unwrap();
        assert_eq!(
            header,
            expected_signature(&secret, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1674087231, body)
        );
    }

    #[test]
    fn two_secrets_give_two_space_separated_signatures() {
        let old = Secret::generate();
        let new = Secret::generate();
        let header = signature_header(&[&old, &new], "msg_1", 1700000000, b"{}").unwrap();
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(
            parts,
            [
                expected_signature(&old, "msg_1", 1700000000, b"{}"),
                expected_signature(&new, "msg_1", 1700000000, b"{}"),
            ]
        );
    }

    #[test]
    fn signing_needs_a_secret_and_a_text_body() {
        let secret = Secret::generate();
        assert_eq!(
            signature_header(&[], "msg_1", 1, b"{}").unwrap_err(),
            SigningError::NoSecret
        );
        assert_eq!(
            signature_header(&[&secret], "msg_1", 1, &[0xff, 0xfe]).unwrap_err(),
            SigningError::BodyNotUtf8
        );
    }
}
