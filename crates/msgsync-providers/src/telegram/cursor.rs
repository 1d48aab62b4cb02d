//! The chat cursor: `getDialogs` offsets written as `date:id:kind:peer_id:access_hash` (kind
//! `u`, `c`, `h` or `e` for user, basic group, channel or none).

use grammers_tl_types::{enums, types};

use super::convert::Directory;
use crate::ProviderError;

/// `getDialogs` offsets: where the previous page ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Offsets {
    pub(crate) date: i32,
    pub(crate) id: i32,
    pub(crate) peer: enums::InputPeer,
}

impl Default for Offsets {
    fn default() -> Self {
        Offsets {
            date: 0,
            id: 0,
            peer: enums::InputPeer::Empty,
        }
    }
}

impl Offsets {
    pub(crate) fn after(last: &(types::Dialog, Option<i32>), dir: &Directory) -> Offsets {
        Offsets {
            date: last.1.unwrap_or(0),
            id: last.0.top_message,
            peer: dir
                .input_peer(&last.0.peer)
                .unwrap_or(enums::InputPeer::Empty),
        }
    }

    pub(crate) fn encode(&self) -> String {
        let (kind, id, hash) = match &self.peer {
            enums::InputPeer::User(p) => ("u", p.user_id, p.access_hash),
            enums::InputPeer::Chat(p) => ("c", p.chat_id, 0),
            enums::InputPeer::Channel(p) => ("h", p.channel_id, p.access_hash),
            _ => ("e", 0, 0),
        };
        format!("{}:{}:{kind}:{id}:{hash}", self.date, self.id)
    }

    pub(crate) fn decode(cursor: &str) -> Result<Offsets, ProviderError> {
        let bad = || {
            let shown: String = cursor.chars().take(64).collect();
            ProviderError::Protocol(format!("malformed chat cursor `{shown}`"))
        };
        let parts: Vec<&str> = cursor.split(':').collect();
        let [date, id, kind, peer, hash] = parts.as_slice() else {
            return Err(bad());
        };
        let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
        let (peer, hash) = (num(peer)?, num(hash)?);
        let peer = match *kind {
            "u" => enums::InputPeer::User(types::InputPeerUser {
                user_id: peer,
                access_hash: hash,
            }),
            "c" => enums::InputPeer::Chat(types::InputPeerChat { chat_id: peer }),
            "h" => enums::InputPeer::Channel(types::InputPeerChannel {
                channel_id: peer,
                access_hash: hash,
            }),
            "e" => enums::InputPeer::Empty,
            _ => return Err(bad()),
        };
        Ok(Offsets {
            date: date.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
            peer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        for peer in [
            enums::InputPeer::Empty,
            enums::InputPeer::Chat(types::InputPeerChat { chat_id: 5 }),
            enums::InputPeer::User(types::InputPeerUser {
                user_id: 7,
                access_hash: -3,
            }),
            enums::InputPeer::Channel(types::InputPeerChannel {
                channel_id: 9,
                access_hash: 11,
            }),
        ] {
            let o = Offsets {
                date: 1_700_000_000,
                id: 42,
                peer,
            };
            assert_eq!(Offsets::decode(&o.encode()).unwrap(), o);
        }
        for bad in [
            "",
            "1:2",
            "1:2:x:3:4",
            "a:2:u:3:4",
            "1:2:u:3:4:5",
            "1:2:u:three:4",
        ] {
            assert!(
                matches!(Offsets::decode(bad), Err(ProviderError::Protocol(_))),
                "{bad}"
            );
        }
    }
}
