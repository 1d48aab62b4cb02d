//! grammers' errors in the engine's terms.
//!
//! RPC error names and codes: core.telegram.org/api/errors (420 `FLOOD_WAIT_X`, 401 for
//! sessions that are no more, 303 for requests to send to another DC) and Telethon's
//! `errors.csv` for the names Telegram actually sends. grammers strips the number out of a name
//! into `value` (`FLOOD_WAIT_31` → name `FLOOD_WAIT`, value 31).

use std::io::ErrorKind;
use std::time::Duration;

use grammers_mtproto::transport::Error as TransportError;
use grammers_mtsender::{InvocationError, RpcError};

use crate::ProviderError;

/// Errors saying the session (auth key) no longer logs the account in. `AUTH_KEY_DUPLICATED`
/// (406): "The authorization key (session file) was used under two different IP addresses
/// simultaneously, and can no longer be used" (Telethon's `errors.csv`; Telethon drops the key
/// when it gets it, commit 50079297).
const EXPIRED: &[&str] = &[
    "AUTH_KEY_UNREGISTERED",
    "AUTH_KEY_INVALID",
    "AUTH_KEY_PERM_EMPTY",
    "AUTH_KEY_DUPLICATED",
    "SESSION_REVOKED",
    "SESSION_EXPIRED",
];

/// Errors saying the account itself is gone (401): "The current account was deleted by the
/// user" (`USER_DEACTIVATED`), "deleted and banned" (`USER_DEACTIVATED_BAN`),
/// core.telegram.org/api/errors. A new login cannot bring it back, unlike an expired session.
const DEACTIVATED: &[&str] = &["USER_DEACTIVATED", "USER_DEACTIVATED_BAN"];

/// Errors saying Telegram refuses msgsync's app (`MSGSYNC_TELEGRAM_API_ID`): `api_id` 0 or
/// one my.telegram.org never issued. `CONNECTION_API_ID_INVALID` answers `initConnection`
/// (core.telegram.org/method/invokeWithLayer), `API_ID_INVALID` the login methods.
const APP_REFUSED: &[&str] = &["CONNECTION_API_ID_INVALID", "API_ID_INVALID"];

/// `*_MIGRATE_X` errors that move the account itself to DC X: "the user whose identity is
/// being used to execute queries", "the phone number a user is trying to use for
/// authorization", "the source IP address" is "associated with a different data center"
/// (core.telegram.org/api/errors, 303 SEE_OTHER). The session's key belongs to another DC.
const ACCOUNT_MIGRATES: &[&str] = &["USER_MIGRATE", "PHONE_MIGRATE", "NETWORK_MIGRATE"];

/// Errors saying the account itself is limited (spam-reported, frozen).
const RESTRICTED: &[&str] = &[
    "USER_RESTRICTED",
    "PEER_FLOOD",
    "FROZEN_METHOD_INVALID",
    "FROZEN_PARTICIPANT_MISSING",
];

/// Waits Telegram imposes (the value is the wait in seconds).
const WAITS: &[&str] = &[
    "FLOOD_WAIT",
    "FLOOD_PREMIUM_WAIT",
    "SLOWMODE_WAIT",
    "TAKEOUT_INIT_DELAY",
];

fn rpc(e: &RpcError) -> ProviderError {
    let what = match e.value {
        Some(v) => format!("{} {} ({v})", e.code, e.name),
        None => format!("{} {}", e.code, e.name),
    };
    if WAITS.contains(&e.name.as_str()) || e.code == 420 {
        return ProviderError::RateLimited {
            retry_after: Duration::from_secs(u64::from(e.value.unwrap_or(1).max(1))),
        };
    }
    if DEACTIVATED.contains(&e.name.as_str()) {
        return ProviderError::Deactivated(what);
    }
    if EXPIRED.contains(&e.name.as_str()) || e.code == 401 {
        return ProviderError::SessionExpired(what);
    }
    if RESTRICTED.contains(&e.name.as_str()) {
        return ProviderError::Restricted(what);
    }
    if APP_REFUSED.contains(&e.name.as_str()) {
        return ProviderError::Unavailable(format!(
            "Telegram refuses msgsync's app ({what}): set MSGSYNC_TELEGRAM_API_ID to the \
             api_id my.telegram.org issued"
        ));
    }
    match e.code {
        // `-503 Timeout`: Telegram did not get an answer from its own backend in time.
        -503 => ProviderError::Timeout,
        500 | -500 => ProviderError::Transient(what),
        303 => migrate(e, &what),
        _ => ProviderError::NotSupported(what),
    }
}

/// A `*_MIGRATE_X` (303): "the request must be repeated, but directed to a different data
/// center", X (core.telegram.org/api/errors). Downloads follow `FILE_MIGRATE` themselves
/// (`download.rs`); retrying elsewhere would get the same answer, so none of these is retried.
fn migrate(e: &RpcError, what: &str) -> ProviderError {
    let dc = e
        .value
        .map_or_else(|| "another DC".to_string(), |dc| format!("DC {dc}"));
    if ACCOUNT_MIGRATES.contains(&e.name.as_str()) {
        ProviderError::SessionExpired(format!(
            "{what}: Telegram serves this account from {dc}, and its session was made for \
             another DC; reconnect the account with a session of {dc}"
        ))
    } else {
        ProviderError::NotSupported(format!(
            "{what}: Telegram wants this request sent to {dc}, which msgsync does only for \
             file downloads"
        ))
    }
}

/// Whether the connection was lost rather than the request answered.
pub(crate) fn is_connection_loss(e: &InvocationError) -> bool {
    matches!(e, InvocationError::Io(_) | InvocationError::Dropped(_))
}

/// Whether nothing listens at the address at all.
pub(crate) fn is_refused(e: &InvocationError) -> bool {
    matches!(e, InvocationError::Io(io) if io.kind() == ErrorKind::ConnectionRefused)
}

pub(crate) fn map(e: &InvocationError) -> ProviderError {
    match e {
        InvocationError::Rpc(r) => rpc(r),
        InvocationError::Io(io) if io.kind() == ErrorKind::ConnectionRefused => {
            ProviderError::Unavailable(format!("Telegram refused the connection: {io}"))
        }
        InvocationError::Io(io) => {
            ProviderError::Transient(format!("connection to Telegram lost: {io}"))
        }
        InvocationError::Dropped(why) => {
            ProviderError::Transient(format!("request dropped: {why}"))
        }
        // `-404` at the transport level: the DC does not know this auth key.
        InvocationError::Transport(TransportError::BadStatus { status: 404 }) => {
            ProviderError::SessionExpired(
                "Telegram does not know this session's auth key (-404)".into(),
            )
        }
        InvocationError::Transport(TransportError::BadStatus { status: 429 }) => {
            ProviderError::RateLimited {
                retry_after: Duration::from_secs(1),
            }
        }
        InvocationError::Transport(t) => {
            ProviderError::Transient(format!("Telegram transport error: {t}"))
        }
        // grammers falls back to a new key exchange when the key is unknown; a session whose
        // key is refused cannot sync, whatever the exchange did.
        InvocationError::Authentication(a) => ProviderError::SessionExpired(format!(
            "Telegram did not accept the session's auth key: {a}"
        )),
        InvocationError::Deserialize(d) => {
            ProviderError::Protocol(format!("unreadable answer from Telegram: {d}"))
        }
        InvocationError::InvalidDc => ProviderError::Protocol("the session's DC is unknown".into()),
        InvocationError::Session(s) => ProviderError::Protocol(format!("session storage: {s}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc_err(code: i32, message: &str) -> InvocationError {
        InvocationError::Rpc(RpcError::from(grammers_tl_types::types::RpcError {
            error_code: code,
            error_message: message.into(),
        }))
    }

    #[test]
    fn rpc_errors_map_to_typed_errors() {
        let cases = [
            (
                rpc_err(420, "FLOOD_WAIT_31"),
                ProviderError::RateLimited {
                    retry_after: Duration::from_secs(31),
                },
            ),
            (
                rpc_err(420, "FLOOD_PREMIUM_WAIT_5"),
                ProviderError::RateLimited {
                    retry_after: Duration::from_secs(5),
                },
            ),
            (
                rpc_err(401, "AUTH_KEY_UNREGISTERED"),
                ProviderError::SessionExpired("401 AUTH_KEY_UNREGISTERED".into()),
            ),
            (
                rpc_err(401, "SESSION_REVOKED"),
                ProviderError::SessionExpired("401 SESSION_REVOKED".into()),
            ),
            (
                rpc_err(401, "USER_DEACTIVATED_BAN"),
                ProviderError::Deactivated("401 USER_DEACTIVATED_BAN".into()),
            ),
            (
                rpc_err(401, "USER_DEACTIVATED"),
                ProviderError::Deactivated("401 USER_DEACTIVATED".into()),
            ),
            (
                rpc_err(403, "USER_RESTRICTED"),
                ProviderError::Restricted("403 USER_RESTRICTED".into()),
            ),
            (
                rpc_err(400, "PEER_FLOOD"),
                ProviderError::Restricted("400 PEER_FLOOD".into()),
            ),
            (rpc_err(-503, "Timeout"), ProviderError::Timeout),
            (
                rpc_err(500, "RPC_CALL_FAIL"),
                ProviderError::Transient("500 RPC_CALL_FAIL".into()),
            ),
            (
                rpc_err(400, "PEER_ID_INVALID"),
                ProviderError::NotSupported("400 PEER_ID_INVALID".into()),
            ),
            (
                rpc_err(406, "AUTH_KEY_DUPLICATED"),
                ProviderError::SessionExpired("406 AUTH_KEY_DUPLICATED".into()),
            ),
        ];
        for (e, expected) in cases {
            assert_eq!(map(&e), expected, "{e}");
        }
        // The account lives in another DC: reconnect it, never retry.
        for name in ["USER_MIGRATE_4", "PHONE_MIGRATE_4", "NETWORK_MIGRATE_4"] {
            let ProviderError::SessionExpired(why) = map(&rpc_err(303, name)) else {
                panic!("{name} is a dead session");
            };
            assert!(why.contains("DC 4") && why.contains("reconnect"), "{why}");
        }
        for name in ["FILE_MIGRATE_5", "STATS_MIGRATE_5"] {
            let e = map(&rpc_err(303, name));
            assert!(!e.is_retryable(), "{name}: {e:?}");
            assert!(e.to_string().contains("DC 5"), "{e}");
        }
        for name in ["CONNECTION_API_ID_INVALID", "API_ID_INVALID"] {
            let ProviderError::Unavailable(why) = map(&rpc_err(400, name)) else {
                panic!("{name} is msgsync's app refused");
            };
            assert!(why.contains("MSGSYNC_TELEGRAM_API_ID"), "{why}");
        }
        let refused = InvocationError::Io(std::io::Error::from(ErrorKind::ConnectionRefused));
        assert!(matches!(map(&refused), ProviderError::Unavailable(_)));
        assert!(is_refused(&refused));
        let reset = InvocationError::Io(std::io::Error::from(ErrorKind::ConnectionReset));
        assert!(matches!(map(&reset), ProviderError::Transient(_)));
        assert!(is_connection_loss(&reset));
        let unknown_key = InvocationError::Transport(TransportError::BadStatus { status: 404 });
        assert!(matches!(
            map(&unknown_key),
            ProviderError::SessionExpired(_)
        ));
    }
}
