//! Prefixed ULID identifiers (`acc_…`, `chat_…`, `msg_…`, `sync_…`).
//!
//! Ids are parsed at the edge (the API) so that a malformed id is a 404
//! `invalid_resource_identifier` before any query runs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {what} id (expected `{prefix}` followed by 26 ULID characters)")]
pub struct IdError {
    pub what: &'static str,
    pub prefix: &'static str,
    pub value: String,
}

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal, $what:literal) => {
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Ulid);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn new() -> Self {
                Self(Ulid::new())
            }

            pub fn ulid(&self) -> Ulid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", $prefix, self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let err = || IdError {
                    what: $what,
                    prefix: $prefix,
                    value: s.chars().take(64).collect(),
                };
                let rest = s.strip_prefix($prefix).ok_or_else(err)?;
                if rest.len() != 26 {
                    return Err(err());
                }
                Ulid::from_string(rest).map(Self).map_err(|_| err())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

prefixed_id!(AccountId, "acc_", "account");
prefixed_id!(ChatId, "chat_", "chat");
prefixed_id!(MessageId, "msg_", "message");
prefixed_id!(SyncId, "sync_", "sync");
prefixed_id!(AttendeeId, "att_", "attendee");
prefixed_id!(WebhookId, "whk_", "webhook");
// A webhook delivery: its id is the `webhook-id` header, the same on every attempt.
prefixed_id!(DeliveryId, "evt_", "webhook event");

impl AttendeeId {
    /// The id of the attendee `provider_id` of an account. Derived rather than drawn, so that
    /// it stays the same however often the attendee is seen again (every sync, every page of
    /// every chat they are in) and a message's `sender_attendee_id` needs no look-up: the
    /// first 128 bits of SHA-256 over the account id and the provider id, written as a ULID
    /// (so it parses like every other id; its time part carries no meaning).
    pub fn for_provider_id(account: AccountId, provider_id: &str) -> AttendeeId {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(account.ulid().to_bytes());
        hasher.update(provider_id.as_bytes());
        let digest = hasher.finalize();
        let mut bits = [0u8; 16];
        bits.copy_from_slice(&digest[..16]);
        AttendeeId(Ulid::from_bytes(bits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let id = AccountId::new();
        let text = id.to_string();
        assert!(text.starts_with("acc_"));
        assert_eq!(text.len(), 30);
        assert_eq!(text.parse::<AccountId>().unwrap(), id);
    }

    #[test]
    fn attendee_ids_are_stable_per_account_and_provider_id() {
        let (a, b) = (AccountId::new(), AccountId::new());
        let id = AttendeeId::for_provider_id(a, "ACoAA123");
        assert_eq!(id, AttendeeId::for_provider_id(a, "ACoAA123"));
        assert_ne!(id, AttendeeId::for_provider_id(b, "ACoAA123"));
        assert_ne!(id, AttendeeId::for_provider_id(a, "ACoAA124"));
        let text = id.to_string();
        assert_eq!(text.parse::<AttendeeId>().unwrap(), id);
        assert!(text.starts_with("att_") && text.len() == 30, "{text}");
    }

    #[test]
    fn rejects_wrong_prefix_and_garbage() {
        let chat = ChatId::new().to_string();
        assert!(chat.parse::<AccountId>().is_err());
        assert!("acc_".parse::<AccountId>().is_err());
        assert!("acc_!!!!!!!!!!!!!!!!!!!!!!!!!!"
            .parse::<AccountId>()
            .is_err());
        assert!("acc_01HXYZ4QK3WJ8FN3M6QH7TZ8GRX"
            .parse::<AccountId>()
            .is_err());
        assert!("acc_01HXYZ4QK3WJ8FN3M6QH7TZ8GR"
            .parse::<AccountId>()
            .is_ok());
    }
}
