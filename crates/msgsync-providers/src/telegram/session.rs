//! One sync's connection to Telegram, and the paging of dialogs and history.
//!
//! - Chats: `messages.getDialogs(offset_date, offset_id, offset_peer, limit ≤ 100)`, newest
//!   first; the next page's offsets are the last dialog's top message date and id and its peer,
//!   written into the chat cursor `date:id:kind:peer_id:access_hash` (kind `u`, `c` or `h` for
//!   user, basic group, channel), so a chunk resumes exactly where the previous one stopped.
//! - Messages: `messages.getHistory`, newest first, 100 at most; the first page starts at
//!   `offset_date` = the span's end + 1 s (Telegram's `offset_date` is exclusive, in seconds),
//!   later ones at `offset_id` = the oldest id served (the message cursor). A page older than
//!   the span's start, an empty page or a complete `messages.messages` ends the walk; a short
//!   slice does not (Telegram may skip deleted slots).
//! - `getHistory` needs the chat's access hash; the engine always fetches a chat page before
//!   the messages of its chats, so the session remembers the peers of the pages it served and
//!   looks an unknown one up by walking the dialogs.
//! - Attendees: a chat names the owner and, for a private chat, the other user; a message page
//!   names every sender of its messages, from the page's `users` and `chats`.
//! - Attachments are streamed by `download.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use grammers_client::Client;
use grammers_mtsender::{
    ConnectionParams, InvocationError, NoRetries, SenderPool, SenderPoolHandle,
};
use grammers_session::storages::MemorySession;
use grammers_session::types::DcOption;
use grammers_session::SessionData;
use grammers_tl_types::{enums, functions, types, RemoteCall};
use tokio::task::JoinHandle;

use super::convert::{self, Directory, MessageContext};
use super::cursor::Offsets;
use super::{download, errors};
use super::{StringSession, TelegramConfig};
use crate::{
    AccountProfile, AttachmentDownload, AttachmentRequest, ChatPage, ChatPageRequest, MessagePage,
    MessagePageRequest, ProviderAttendee, ProviderError, ProviderSession,
};

const MAX_PAGE: i32 = 100;
/// An unknown chat is looked for in at most this many dialog pages.
const LOOKUP_PAGES: usize = 50;

/// What the session knows of a chat it listed.
#[derive(Debug, Clone)]
pub(crate) struct KnownPeer {
    pub(crate) input: enums::InputPeer,
    read_inbox_max_id: i32,
    read_outbox_max_id: i32,
}

/// The connection to Telegram: grammers' client and the task driving its sender pool. Shared
/// by the session and the downloads it started, so that a download streaming on after the
/// session was dropped keeps its connection; the last owner closes it.
pub(crate) struct Connection {
    client: Client,
    handle: SenderPoolHandle,
    runner: JoinHandle<()>,
    config: Arc<TelegramConfig>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.handle.quit();
        self.runner.abort();
    }
}

impl Connection {
    /// One request, bounded by the request timeout. A lost connection is probed once with a
    /// cheap request: if Telegram answers it, the loss was transient; if it cannot even be
    /// reached, it is unavailable.
    pub(crate) async fn call<R: RemoteCall>(
        &self,
        request: &R,
    ) -> Result<R::Return, ProviderError> {
        match self.timed(request).await? {
            Ok(answer) => Ok(answer),
            Err(e) if errors::is_connection_loss(&e) => {
                match self.timed(&functions::updates::GetState {}).await? {
                    Ok(_) | Err(InvocationError::Rpc(_)) => Err(errors::map(&e)),
                    Err(probe)
                        if errors::is_connection_loss(&probe) || errors::is_refused(&probe) =>
                    {
                        Err(ProviderError::Unavailable(format!(
                            "Telegram cannot be reached: {probe}"
                        )))
                    }
                    Err(probe) => Err(errors::map(&probe)),
                }
            }
            Err(e) => Err(errors::map(&e)),
        }
    }

    /// One request, bounded by the request timeout, its error left to the caller.
    pub(crate) async fn timed<R: RemoteCall>(
        &self,
        request: &R,
    ) -> Result<Result<R::Return, InvocationError>, ProviderError> {
        tokio::time::timeout(self.config.request_timeout, self.client.invoke(request))
            .await
            .map_err(|_| ProviderError::Timeout)
    }
}

/// A connected Telegram account.
pub struct TelegramSession {
    conn: Arc<Connection>,
    self_id: i64,
    self_name: String,
    /// The account owner as an attendee of its chats.
    owner: ProviderAttendee,
    peers: Mutex<HashMap<String, KnownPeer>>,
}

impl std::fmt::Debug for TelegramSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramSession")
            .field("self_id", &self.self_id)
            .finish_non_exhaustive()
    }
}

impl TelegramSession {
    pub(crate) async fn connect(
        config: &Arc<TelegramConfig>,
        s: &StringSession,
    ) -> Result<TelegramSession, ProviderError> {
        let dc_id = i32::from(s.dc_id);
        let mut data = SessionData {
            home_dc: dc_id,
            ..SessionData::default()
        };
        let (ipv4, ipv6) = match s.addr {
            std::net::SocketAddr::V4(v4) => (
                v4,
                std::net::SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0),
            ),
            std::net::SocketAddr::V6(v6) => (
                std::net::SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, 0),
                v6,
            ),
        };
        data.dc_options.insert(
            dc_id,
            DcOption {
                id: dc_id,
                ipv4,
                ipv6,
                auth_key: Some(s.auth_key),
            },
        );
        let params = ConnectionParams {
            device_model: config.device_model.clone(),
            system_version: config.system_version.clone(),
            app_version: config.app_version.clone(),
            system_lang_code: config.lang_code.clone(),
            lang_code: config.lang_code.clone(),
            use_ipv6: s.addr.is_ipv6(),
            // Flood waits come back to the engine, which parks the job.
            retry_policy: Box::new(NoRetries),
            ..ConnectionParams::default()
        };
        let pool = SenderPool::with_configuration(
            Arc::new(MemorySession::from(data)),
            config.api_id,
            params,
        );
        let handle = pool.handle.thin.clone();
        let client = Client::new(pool.handle);
        let runner = tokio::spawn(pool.runner.run());
        let conn = Arc::new(Connection {
            client,
            handle,
            runner,
            config: config.clone(),
        });
        let me = conn
            .call(&functions::users::GetUsers {
                id: vec![enums::InputUser::UserSelf],
            })
            .await?;
        let Some(enums::User::User(u)) = me.into_iter().next() else {
            return Err(ProviderError::SessionExpired(
                "Telegram knows no user for this session".into(),
            ));
        };
        let dir = Directory::new(&[enums::User::User(u.clone())], &[]);
        let owner = dir
            .attendee(&u.id.to_string(), u.id)
            .unwrap_or_else(|| ProviderAttendee {
                provider_id: u.id.to_string(),
                name: u.id.to_string(),
                is_self: true,
                profile_url: None,
                picture_url: None,
                linkedin: None,
            });
        Ok(TelegramSession {
            conn,
            self_id: u.id,
            self_name: dir.user_name(u.id).unwrap_or_default(),
            owner,
            peers: Mutex::new(HashMap::new()),
        })
    }

    /// The account's own user id and name.
    pub fn account(&self) -> (i64, &str) {
        (self.self_id, &self.self_name)
    }

    async fn call<R: RemoteCall>(&self, request: &R) -> Result<R::Return, ProviderError> {
        self.conn.call(request).await
    }

    fn remember(&self, id: &str, peer: KnownPeer) {
        self.peers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_string(), peer);
    }

    fn known(&self, id: &str) -> Option<KnownPeer> {
        self.peers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// One raw dialogs page; remembers its peers.
    async fn dialogs(
        &self,
        offsets: &Offsets,
        limit: i32,
    ) -> Result<(Vec<(types::Dialog, Option<i32>)>, Directory, bool), ProviderError> {
        let answer = self
            .call(&functions::messages::GetDialogs {
                exclude_pinned: false,
                folder_id: None,
                offset_date: offsets.date,
                offset_id: offsets.id,
                offset_peer: offsets.peer.clone(),
                limit,
                hash: 0,
            })
            .await?;
        let (dialogs, messages, chats, users, complete) = match answer {
            enums::messages::Dialogs::Dialogs(d) => (d.dialogs, d.messages, d.chats, d.users, true),
            enums::messages::Dialogs::Slice(d) => (d.dialogs, d.messages, d.chats, d.users, false),
            enums::messages::Dialogs::NotModified(_) => (vec![], vec![], vec![], vec![], true),
        };
        let dir = Directory::new(&users, &chats);
        let top_dates: HashMap<(String, i32), i32> = messages
            .iter()
            .filter_map(|m| match m {
                enums::Message::Message(m) => Some(((convert::peer_id(&m.peer_id), m.id), m.date)),
                enums::Message::Service(m) => Some(((convert::peer_id(&m.peer_id), m.id), m.date)),
                enums::Message::Empty(_) => None,
            })
            .collect();
        let mut out = Vec::with_capacity(dialogs.len());
        for d in dialogs {
            let enums::Dialog::Dialog(d) = d else {
                continue;
            };
            let id = convert::peer_id(&d.peer);
            if let Some(input) = dir.input_peer(&d.peer) {
                self.remember(
                    &id,
                    KnownPeer {
                        input,
                        read_inbox_max_id: d.read_inbox_max_id,
                        read_outbox_max_id: d.read_outbox_max_id,
                    },
                );
            }
            let date = top_dates.get(&(id, d.top_message)).copied();
            out.push((d, date));
        }
        Ok((out, dir, complete))
    }

    /// The peer of a chat this session did not list: basic groups need no access hash; others
    /// are looked for in the dialogs.
    pub(crate) async fn peer(&self, chat_id: &str) -> Result<KnownPeer, ProviderError> {
        if let Some(p) = self.known(chat_id) {
            return Ok(p);
        }
        if let Some(chat) = chat_id
            .strip_prefix('-')
            .filter(|s| !s.starts_with("100"))
            .and_then(|s| s.parse().ok())
        {
            return Ok(KnownPeer {
                input: enums::InputPeer::Chat(types::InputPeerChat { chat_id: chat }),
                read_inbox_max_id: i32::MAX,
                read_outbox_max_id: i32::MAX,
            });
        }
        let mut offsets = Offsets::default();
        for _ in 0..LOOKUP_PAGES {
            let (page, dir, complete) = self.dialogs(&offsets, MAX_PAGE).await?;
            if let Some(p) = self.known(chat_id) {
                return Ok(p);
            }
            match page.last() {
                Some(last) if !complete => offsets = Offsets::after(last, &dir),
                _ => break,
            }
        }
        let shown: String = chat_id.chars().take(40).collect();
        Err(ProviderError::NotSupported(format!(
            "no chat `{shown}` in this Telegram account"
        )))
    }
}

fn page_limit(limit: u32) -> i32 {
    i32::try_from(limit).unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE)
}

#[async_trait]
impl ProviderSession for TelegramSession {
    async fn account_profile(&self) -> Result<AccountProfile, ProviderError> {
        Ok(AccountProfile {
            name: self.self_name.clone(),
            provider_user_id: Some(self.self_id.to_string()),
            linkedin_products: None,
        })
    }

    async fn download_attachment(
        &self,
        request: &AttachmentRequest,
    ) -> Result<AttachmentDownload, ProviderError> {
        let peer = self.peer(&request.chat_provider_id).await?;
        download::start(self.conn.clone(), peer.input, request).await
    }

    async fn chats_page(&self, request: &ChatPageRequest) -> Result<ChatPage, ProviderError> {
        let offsets = match &request.cursor {
            None => Offsets::default(),
            Some(c) => Offsets::decode(c)?,
        };
        let limit = page_limit(request.limit);
        let (page, dir, complete) = self.dialogs(&offsets, limit).await?;
        let mut chats = Vec::with_capacity(page.len());
        for (d, top_date) in &page {
            let chat = convert::chat(d, &dir, *top_date, &self.owner);
            // Dialogs come newest first: one older than the span's start ends the walk.
            if request
                .span
                .after
                .is_some_and(|after| chat.last_activity_ms < after)
            {
                return Ok(ChatPage {
                    chats,
                    next_cursor: None,
                });
            }
            chats.push(chat);
        }
        let next_cursor = match page.last() {
            Some(last) if !complete && page.len() >= limit as usize => {
                Some(Offsets::after(last, &dir).encode())
            }
            _ => None,
        };
        Ok(ChatPage { chats, next_cursor })
    }

    async fn messages_page(
        &self,
        request: &MessagePageRequest,
    ) -> Result<MessagePage, ProviderError> {
        let peer = self.peer(&request.chat_provider_id).await?;
        let (offset_id, offset_date) = match &request.cursor {
            Some(c) => (
                c.parse::<i32>().map_err(|_| {
                    let shown: String = c.chars().take(64).collect();
                    ProviderError::Protocol(format!("malformed message cursor `{shown}`"))
                })?,
                0,
            ),
            // `offset_date` is exclusive and in seconds; the span's end is inclusive, in ms.
            None => (
                0,
                request.span.before.map_or(0, |b| {
                    i32::try_from(b.div_euclid(1000) + 1).unwrap_or(i32::MAX)
                }),
            ),
        };
        let answer = self
            .call(&functions::messages::GetHistory {
                peer: peer.input.clone(),
                offset_id,
                offset_date,
                add_offset: 0,
                limit: page_limit(request.limit),
                max_id: 0,
                min_id: 0,
                hash: 0,
            })
            .await?;
        let (messages, chats, users, complete) = match answer {
            enums::messages::Messages::Messages(m) => (m.messages, m.chats, m.users, true),
            enums::messages::Messages::Slice(m) => (m.messages, m.chats, m.users, false),
            enums::messages::Messages::ChannelMessages(m) => (m.messages, m.chats, m.users, false),
            enums::messages::Messages::NotModified(_) => (vec![], vec![], vec![], true),
        };
        let dir = Directory::new(&users, &chats);
        let cx = MessageContext {
            self_id: self.self_id,
            dir: &dir,
            read_inbox_max_id: peer.read_inbox_max_id,
            read_outbox_max_id: peer.read_outbox_max_id,
        };
        let oldest_id = messages.iter().map(|m| m.id()).min();
        let mut reached_start = false;
        let mut page: Vec<_> = messages
            .iter()
            .filter_map(|m| convert::message(m, &cx))
            .filter(|m| {
                let inside = request.span.after.is_none_or(|a| m.timestamp_ms >= a);
                reached_start |= !inside;
                inside
            })
            .collect();
        page.reverse();
        let next_cursor = match oldest_id {
            Some(id) if !complete && !reached_start && id > 1 => Some(id.to_string()),
            _ => None,
        };
        // Every sender the page names, once, in the order they first appear.
        let mut attendees: Vec<ProviderAttendee> = Vec::new();
        for m in &page {
            if attendees.iter().all(|a| a.provider_id != m.sender_id) {
                attendees.extend(dir.attendee(&m.sender_id, self.self_id));
            }
        }
        Ok(MessagePage {
            messages: page,
            next_cursor,
            attendees,
        })
    }
}
