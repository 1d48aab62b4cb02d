//! The chat cursor: where the next `getDialogs` page starts.
//!
//! - `date:id:kind:peer_id:access_hash` — offsets after the first page (which is asked with
//!   `exclude_pinned` from then on); kind `u`, `c`, `h` or `e` for user, basic group, channel
//!   or none. An optional sixth field counts the dialogs of that answer already handed out.
//! - `first:N` — the first page again (pinned dialogs included), its first `N` dialogs already
//!   handed out: pinned dialogs can make the first answer longer than a page.

use grammers_tl_types::enums;

use super::peers;
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

/// Where a page of chats starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ChatCursor {
    /// The first answer (pinned dialogs first), past its first `skip` dialogs.
    First { skip: usize },
    /// The answer at these offsets, without pinned dialogs, past its first `skip` dialogs.
    After { offsets: Offsets, skip: usize },
}

impl ChatCursor {
    pub(crate) fn encode(&self) -> String {
        match self {
            ChatCursor::First { skip } => format!("first:{skip}"),
            ChatCursor::After { offsets, skip } => {
                let peer = peers::encode(&offsets.peer).unwrap_or_else(|| "e:0:0".to_string());
                let base = format!("{}:{}:{peer}", offsets.date, offsets.id);
                match skip {
                    0 => base,
                    n => format!("{base}:{n}"),
                }
            }
        }
    }

    pub(crate) fn decode(cursor: &str) -> Result<ChatCursor, ProviderError> {
        let bad = || {
            let shown: String = cursor.chars().take(64).collect();
            ProviderError::Protocol(format!("malformed chat cursor `{shown}`"))
        };
        let parts: Vec<&str> = cursor.split(':').collect();
        let (offsets, skip) = match parts.as_slice() {
            ["first", skip] => {
                return Ok(ChatCursor::First {
                    skip: skip.parse().map_err(|_| bad())?,
                })
            }
            [date, id, kind, peer, hash] => ((date, id, kind, peer, hash), "0"),
            [date, id, kind, peer, hash, skip] => ((date, id, kind, peer, hash), *skip),
            _ => return Err(bad()),
        };
        let (date, id, kind, peer, hash) = offsets;
        let peer = match *kind {
            "e" => {
                peer.parse::<i64>().map_err(|_| bad())?;
                hash.parse::<i64>().map_err(|_| bad())?;
                enums::InputPeer::Empty
            }
            kind => peers::decode_parts(kind, peer, hash).ok_or_else(bad)?,
        };
        Ok(ChatCursor::After {
            offsets: Offsets {
                date: date.parse().map_err(|_| bad())?,
                id: id.parse().map_err(|_| bad())?,
                peer,
            },
            skip: skip.parse().map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use grammers_tl_types::types;

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
            for skip in [0, 4] {
                let c = ChatCursor::After {
                    offsets: Offsets {
                        date: 1_700_000_000,
                        id: 42,
                        peer: peer.clone(),
                    },
                    skip,
                };
                assert_eq!(ChatCursor::decode(&c.encode()).unwrap(), c);
            }
        }
        let first = ChatCursor::First { skip: 3 };
        assert_eq!(first.encode(), "first:3");
        assert_eq!(ChatCursor::decode("first:3").unwrap(), first);
        // Cursors saved before pinned dialogs were handled still resume.
        assert_eq!(
            ChatCursor::decode("1700000000:42:u:7:-3").unwrap(),
            ChatCursor::After {
                offsets: Offsets {
                    date: 1_700_000_000,
                    id: 42,
                    peer: enums::InputPeer::User(types::InputPeerUser {
                        user_id: 7,
                        access_hash: -3
                    }),
                },
                skip: 0
            }
        );
        for bad in [
            "",
            "1:2",
            "1:2:x:3:4",
            "a:2:u:3:4",
            "1:2:u:3:4:five",
            "1:2:u:3:4:5:6",
            "1:2:u:three:4",
            "first",
            "first:-1",
            "first:x",
        ] {
            assert!(
                matches!(ChatCursor::decode(bad), Err(ProviderError::Protocol(_))),
                "{bad}"
            );
        }
    }
}
