//! Reaching a chat: its peer, in this session and across syncs.
//!
//! Requests that name a chat (`messages.getHistory`, `channels.getMessages`) take an input peer
//! with the access hash Telegram gave *this account* for that user or channel
//! (core.telegram.org/api/peers); a basic group needs none. The dialogs a session lists give
//! them; beyond one session, the chat's [`provider_ref`](crate::ProviderChat::provider_ref)
//! carries the peer: `kind:id:access_hash`, kind `u`, `c` or `h` for user, basic group or
//! channel (the chat cursor writes peers the same way).
//!
//! A chat is found, cheapest first: listed by this session (with its read markers); from its
//! stored peer (reading its read markers, when they matter, with one
//! `messages.getPeerDialogs`); a basic group from its id; and only then by walking the dialogs
//! (chats stored before their peer was), at most [`LOOKUP_PAGES`] pages.

use grammers_tl_types::{enums, functions, types};

use super::convert;
use super::cursor::Offsets;
use super::session::{KnownPeer, TelegramSession};
use crate::ProviderError;

/// An unknown chat is looked for in at most this many dialog pages.
const LOOKUP_PAGES: usize = 50;
/// Dialogs asked per page of that walk: Telegram's maximum.
const LOOKUP_PAGE: i32 = 100;

/// A peer as `kind:id:access_hash`; `None` for peers no chat has (self, empty).
pub(crate) fn encode(peer: &enums::InputPeer) -> Option<String> {
    let (kind, id, hash) = match peer {
        enums::InputPeer::User(p) => ("u", p.user_id, p.access_hash),
        enums::InputPeer::Chat(p) => ("c", p.chat_id, 0),
        enums::InputPeer::Channel(p) => ("h", p.channel_id, p.access_hash),
        _ => return None,
    };
    Some(format!("{kind}:{id}:{hash}"))
}

/// The peer of `kind`, `id` and `hash` as [`encode`] writes them.
pub(crate) fn decode_parts(kind: &str, id: &str, hash: &str) -> Option<enums::InputPeer> {
    let id: i64 = id.parse().ok()?;
    let hash: i64 = hash.parse().ok()?;
    Some(match kind {
        "u" => enums::InputPeer::User(types::InputPeerUser {
            user_id: id,
            access_hash: hash,
        }),
        "c" => enums::InputPeer::Chat(types::InputPeerChat { chat_id: id }),
        "h" => enums::InputPeer::Channel(types::InputPeerChannel {
            channel_id: id,
            access_hash: hash,
        }),
        _ => return None,
    })
}

/// The peer a `provider_ref` names, if it names one of the chat `chat_id`.
pub(crate) fn decode(provider_ref: &str, chat_id: &str) -> Option<enums::InputPeer> {
    let mut parts = provider_ref.split(':');
    let (Some(kind), Some(id), Some(hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let peer = decode_parts(kind, id, hash)?;
    // A reference of another chat (a stale or foreign row) must not read the wrong history.
    (chat_of(&peer).as_deref() == Some(chat_id)).then_some(peer)
}

/// The chat id (Bot-API style) of an input peer.
fn chat_of(peer: &enums::InputPeer) -> Option<String> {
    let peer = match peer {
        enums::InputPeer::User(p) => enums::Peer::User(types::PeerUser { user_id: p.user_id }),
        enums::InputPeer::Chat(p) => enums::Peer::Chat(types::PeerChat { chat_id: p.chat_id }),
        enums::InputPeer::Channel(p) => enums::Peer::Channel(types::PeerChannel {
            channel_id: p.channel_id,
        }),
        _ => return None,
    };
    Some(convert::peer_id(&peer))
}

/// A basic group's peer from its id (`-id`, not `-100id`): it needs no access hash.
fn basic_group(chat_id: &str) -> Option<enums::InputPeer> {
    let id = chat_id
        .strip_prefix('-')
        .filter(|s| !s.starts_with("100"))?
        .parse()
        .ok()?;
    Some(enums::InputPeer::Chat(types::InputPeerChat { chat_id: id }))
}

fn not_found(chat_id: &str) -> ProviderError {
    let shown: String = chat_id.chars().take(40).collect();
    ProviderError::NotSupported(format!("no chat `{shown}` in this Telegram account"))
}

impl TelegramSession {
    /// The input peer of a chat, without its read markers (downloads need none).
    pub(crate) async fn input_peer(
        &self,
        chat_id: &str,
        provider_ref: Option<&str>,
    ) -> Result<enums::InputPeer, ProviderError> {
        if let Some(p) = self.known(chat_id) {
            return Ok(p.input);
        }
        if let Some(p) = provider_ref
            .and_then(|r| decode(r, chat_id))
            .or_else(|| basic_group(chat_id))
        {
            return Ok(p);
        }
        Ok(self.walk_for(chat_id).await?.input)
    }

    /// A chat's peer with its read markers, for reading its history.
    pub(crate) async fn peer(
        &self,
        chat_id: &str,
        provider_ref: Option<&str>,
    ) -> Result<KnownPeer, ProviderError> {
        if let Some(p) = self.known(chat_id) {
            return Ok(p);
        }
        match provider_ref
            .and_then(|r| decode(r, chat_id))
            .or_else(|| basic_group(chat_id))
        {
            Some(input) => self.peer_dialog(chat_id, input).await,
            None => self.walk_for(chat_id).await,
        }
    }

    /// The dialog of one peer (`messages.getPeerDialogs`), for its read markers.
    async fn peer_dialog(
        &self,
        chat_id: &str,
        input: enums::InputPeer,
    ) -> Result<KnownPeer, ProviderError> {
        let enums::messages::PeerDialogs::Dialogs(answer) = self
            .call(&functions::messages::GetPeerDialogs {
                peers: vec![enums::InputDialogPeer::Peer(types::InputDialogPeer {
                    peer: input.clone(),
                })],
            })
            .await?;
        let dialog = answer.dialogs.iter().find_map(|d| match d {
            enums::Dialog::Dialog(d) if convert::peer_id(&d.peer) == chat_id => Some(d),
            _ => None,
        });
        let Some(d) = dialog else {
            return Err(not_found(chat_id));
        };
        let peer = KnownPeer {
            input,
            read_inbox_max_id: d.read_inbox_max_id,
            read_outbox_max_id: d.read_outbox_max_id,
        };
        self.remember(chat_id, peer.clone());
        Ok(peer)
    }

    /// Looks for a chat through the dialogs, a page at a time.
    async fn walk_for(&self, chat_id: &str) -> Result<KnownPeer, ProviderError> {
        let mut offsets = Offsets::default();
        let mut exclude_pinned = false;
        for _ in 0..LOOKUP_PAGES {
            let page = self.dialogs(&offsets, exclude_pinned, LOOKUP_PAGE).await?;
            if let Some(p) = self.known(chat_id) {
                return Ok(p);
            }
            match page.next_offsets(LOOKUP_PAGE) {
                Some(next) => offsets = next,
                None => break,
            }
            exclude_pinned = true;
        }
        Err(not_found(chat_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip_and_name_their_chat() {
        let cases = [
            (
                enums::InputPeer::User(types::InputPeerUser {
                    user_id: 7,
                    access_hash: -3,
                }),
                "7",
            ),
            (
                enums::InputPeer::Chat(types::InputPeerChat { chat_id: 5 }),
                "-5",
            ),
            (
                enums::InputPeer::Channel(types::InputPeerChannel {
                    channel_id: 9,
                    access_hash: 11,
                }),
                "-1009",
            ),
        ];
        for (peer, chat) in cases {
            let r = encode(&peer).unwrap();
            assert_eq!(decode(&r, chat), Some(peer.clone()), "{r}");
            // Stored with another chat, it is not used.
            assert_eq!(decode(&r, "42"), None, "{r}");
        }
        assert_eq!(encode(&enums::InputPeer::Empty), None);
        for bad in ["", "u:7", "u:7:1:2", "x:7:1", "u:seven:1", "u:7:"] {
            assert_eq!(decode(bad, "7"), None, "{bad}");
        }
        assert_eq!(basic_group("-5"), decode("c:5:0", "-5"));
        assert_eq!(basic_group("-1009"), None);
        assert_eq!(basic_group("7"), None);
    }
}
