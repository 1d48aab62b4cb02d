//! Standard Webhooks v1 signature verification, written here from the specification with `hmac`,
//! `sha2` and `base64`, so that the tests do not check the server's signatures with the code
//! that made them (the `standardwebhooks` crate).
//!
//! A delivery carries `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`:
//! space-separated `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` entries, several
//! during a key rotation. The key is the base64 after `whsec_` in the secret.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ReceivedDelivery;

const SECRET_PREFIX: &str = "whsec_";
const SIGNATURE_VERSION: &str = "v1";

/// Which check a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not a whole number of seconds.
    BadTimestamp(String),
    /// The timestamp is further than the tolerance from now (in the past or the future).
    TimestampOutsideTolerance {
        timestamp: i64,
        now: i64,
        tolerance: Duration,
    },
    /// A secret is not `whsec_` followed by standard base64 (the index in the secrets given).
    BadSecret(usize),
    /// No `v1` signature matched any secret; `v1_signatures` is how many there were.
    NoMatchingSignature {
        v1_signatures: usize,
    },
    /// The signature matched but the body is not JSON.
    BodyNotJson(String),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::MissingHeader(name) => write!(f, "the header {name} is missing"),
            VerifyError::BadTimestamp(value) => {
                write!(f, "webhook-timestamp {value:?} is not unix seconds")
            }
            VerifyError::TimestampOutsideTolerance {
                timestamp,
                now,
                tolerance,
            } => {
                let age = if timestamp < now { "old" } else { "new" };
                write!(
                    f,
                    "webhook-timestamp {timestamp} is too {age}: now is {now}, the tolerance {tolerance:?}"
                )
            }
            VerifyError::BadSecret(index) => {
                write!(f, "secret #{index} is not {SECRET_PREFIX}<base64>")
            }
            VerifyError::NoMatchingSignature { v1_signatures } => write!(
                f,
                "none of the {v1_signatures} {SIGNATURE_VERSION} signatures in webhook-signature matches"
            ),
            VerifyError::BodyNotJson(e) => write!(f, "the body is not JSON: {e}"),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Checks a delivery as the Standard Webhooks v1 specification says: the three headers are
/// there, the timestamp is within `tolerance` of now, one of the `v1` signatures is the HMAC of
/// the raw body under one of `secrets` (compared in constant time), and the body is JSON, which
/// is returned.
pub fn verify(
    delivery: &ReceivedDelivery,
    secrets: &[&str],
    tolerance: Duration,
) -> Result<serde_json::Value, VerifyError> {
    let header = |name: &'static str| {
        delivery
            .header(name)
            .filter(|value| !value.is_empty())
            .ok_or(VerifyError::MissingHeader(name))
    };
    let id = header("webhook-id")?;
    let timestamp = header("webhook-timestamp")?;
    let signatures = header("webhook-signature")?;

    let seconds: i64 = timestamp
        .parse()
        .map_err(|_| VerifyError::BadTimestamp(timestamp.to_owned()))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if seconds.abs_diff(now) > tolerance.as_secs() {
        return Err(VerifyError::TimestampOutsideTolerance {
            timestamp: seconds,
            now,
            tolerance,
        });
    }

    let keys = secrets
        .iter()
        .enumerate()
        .map(|(index, secret)| {
            let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
            STANDARD
                .decode(encoded)
                .map_err(|_| VerifyError::BadSecret(index))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let v1_signatures: Vec<&str> = signatures
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == SIGNATURE_VERSION)
        .map(|(_, signature)| signature)
        .collect();
    let matches = |key: &[u8], signature: &str| {
        let Ok(signature) = STANDARD.decode(signature) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
            return false;
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(&delivery.body);
        mac.verify_slice(&signature).is_ok()
    };
    let signed = keys
        .iter()
        .any(|key| v1_signatures.iter().any(|s| matches(key, s)));
    if !signed {
        return Err(VerifyError::NoMatchingSignature {
            v1_signatures: v1_signatures.len(),
        });
    }

    serde_json::from_slice(&delivery.body).map_err(|e| VerifyError::BodyNotJson(e.to_string()))
}
