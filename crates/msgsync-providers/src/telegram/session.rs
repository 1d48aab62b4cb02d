//! One sync's connection to Telegram, and the paging of history.
//!
//! - Chats: `messages.getDialogs(offset_date, offset_id, offset_peer, limit ≤ 100)`, paged as
//!   `dialogs.rs` says; the next page's offsets go into the chat cursor (`cursor.rs`), so a
//!   chunk resumes exactly where the previous one stopped. A chat that another page of the same
//!   walk (since the last request without a cursor) already handed out is not handed out again
//!   (Telethon's `seen`).
//! - Messages: `messages.getHistory`, newest first, 100 at most; the first page starts at
//!   `offset_date` = the span's end + 1 s (Telegram's `offset_date` is exclusive, in seconds),
//!   later ones at `offset_id` = the oldest id served (the message cursor). A page older than
//!   the span's start, an empty page or a complete `messages.messages` ends the walk; a short
//!   slice does not (Telegram may skip deleted slots).
//! - `getHistory` needs the chat's access hash: the session remembers the peers of the pages
//!   it served, and finds others from their stored peer (`peers.rs`).
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
use grammers_tl_types::{enums, functions, RemoteCall};
use tokio::task::JoinHandle;

use super::convert::{Directory, MessageContext};
use super::cursor::{ChatCursor, Offsets};
use super::dialogs::{self, DialogsAnswer};
use super::{convert, download, errors};
use super::{StringSession, TelegramConfig};
use crate::{
    AccountProfile, AttachmentDownload, AttachmentRequest, ChatPage, ChatPageRequest, MessagePage,
    MessagePageRequest, ProviderAttendee, ProviderChat, ProviderError, ProviderSession,
};

const MAX_PAGE: i32 = 100;

/// What the session knows of a chat it listed.
#[derive(Debug, Clone)]
pub(crate) struct KnownPeer {
    pub(crate) input: enums::InputPeer,
    pub(crate) read_inbox_max_id: i32,
    pub(crate) read_outbox_max_id: i32,
}

/// The connection to Telegram: grammers' client and the task driving its sender pool. Shared
/// by the session and the downloads it started, so that a download streaming on after the
/// session was dropped keeps its connection; the last owner closes it.
pub(crate) struct Connection {
    client: Client,
    handle: SenderPoolHandle,
    runner: JoinHandle<()>,
    pub(crate) config: Arc<TelegramConfig>,
    /// grammers' session: the DCs it knows and their keys.
    pub(crate) session: Arc<MemorySession>,
    /// The account's home DC, and its key there.
    pub(crate) home_dc: i32,
    pub(crate) home_key: [u8; 256],
    pub(crate) use_ipv6: bool,
    /// The other DCs this connection logged the account in to (see `dc.rs`).
    pub(crate) other_dcs: tokio::sync::Mutex<Vec<i32>>,
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

    /// [`Connection::timed`] in the DC `dc` (`None`: the home DC).
    pub(crate) async fn timed_in<R: RemoteCall>(
        &self,
        dc: Option<i32>,
        request: &R,
    ) -> Result<Result<R::Return, InvocationError>, ProviderError> {
        let Some(dc) = dc else {
            return self.timed(request).await;
        };
        tokio::time::timeout(
            self.config.request_timeout,
            self.client.invoke_in_dc(dc, request),
        )
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
    /// The chats the current walk of the dialogs handed out, each with the cursor of the page
    /// that did.
    handed: Mutex<HashMap<String, Option<String>>>,
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
        let session = Arc::new(MemorySession::from(data));
        let pool = SenderPool::with_configuration(session.clone(), config.api_id, params);
        let handle = pool.handle.thin.clone();
        let client = Client::new(pool.handle);
        let runner = tokio::spawn(pool.runner.run());
        let conn = Arc::new(Connection {
            client,
            handle,
            runner,
            config: config.clone(),
            session,
            home_dc: dc_id,
            home_key: s.auth_key,
            use_ipv6: s.addr.is_ipv6(),
            other_dcs: tokio::sync::Mutex::new(Vec::new()),
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
            handed: Mutex::new(HashMap::new()),
        })
    }

    /// The account's own user id and name.
    pub fn account(&self) -> (i64, &str) {
        (self.self_id, &self.self_name)
    }

    pub(crate) async fn call<R: RemoteCall>(
        &self,
        request: &R,
    ) -> Result<R::Return, ProviderError> {
        self.conn.call(request).await
    }

    pub(crate) fn remember(&self, id: &str, peer: KnownPeer) {
        self.peers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_string(), peer);
    }

    pub(crate) fn known(&self, id: &str) -> Option<KnownPeer> {
        self.peers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// One `messages.getDialogs` answer; remembers its peers.
    pub(crate) async fn dialogs(
        &self,
        offsets: &Offsets,
        exclude_pinned: bool,
        limit: i32,
    ) -> Result<DialogsAnswer, ProviderError> {
        let answer = self
            .call(&functions::messages::GetDialogs {
                exclude_pinned,
                folder_id: None,
                offset_date: offsets.date,
                offset_id: offsets.id,
                offset_peer: offsets.peer.clone(),
                limit,
                hash: 0,
            })
            .await?;
        let answer = DialogsAnswer::parse(answer);
        for (d, _) in &answer.dialogs {
            if let Some(input) = answer.dir.input_peer(&d.peer) {
                self.remember(
                    &convert::peer_id(&d.peer),
                    KnownPeer {
                        input,
                        read_inbox_max_id: d.read_inbox_max_id,
                        read_outbox_max_id: d.read_outbox_max_id,
                    },
                );
            }
        }
        Ok(answer)
    }

    /// Drops from a page at `cursor` the chats another page of the walk handed out, and notes
    /// the others as handed out by this one. A page without a cursor starts a walk.
    fn drop_handed(&self, chats: &mut Vec<ProviderChat>, cursor: &Option<String>) {
        let mut handed = self.handed.lock().unwrap_or_else(PoisonError::into_inner);
        if cursor.is_none() {
            handed.clear();
        }
        chats.retain(|c| !Self::handed_elsewhere(&mut handed, &c.provider_id, cursor));
    }

    /// Whether another page than the one at `cursor` handed out the chat `id`; notes that
    /// this one does.
    fn handed_elsewhere(
        handed: &mut HashMap<String, Option<String>>,
        id: &str,
        cursor: &Option<String>,
    ) -> bool {
        match handed.get(id) {
            Some(by) => by != cursor,
            None => {
                handed.insert(id.to_string(), cursor.clone());
                false
            }
        }
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
        let peer = self
            .input_peer(
                &request.chat_provider_id,
                request.chat_provider_ref.as_deref(),
            )
            .await?;
        download::start(self.conn.clone(), peer, request).await
    }

    async fn chats_page(&self, request: &ChatPageRequest) -> Result<ChatPage, ProviderError> {
        let cursor = match &request.cursor {
            None => ChatCursor::First { skip: 0 },
            Some(c) => ChatCursor::decode(c)?,
        };
        let (offsets, exclude_pinned) = match &cursor {
            ChatCursor::First { .. } => (Offsets::default(), false),
            ChatCursor::After { offsets, .. } => (offsets.clone(), true),
        };
        let limit = page_limit(request.limit);
        let answer = self.dialogs(&offsets, exclude_pinned, limit).await?;
        let mut page = dialogs::page(
            &answer,
            &cursor,
            limit,
            limit as usize,
            request.span.after,
            &self.owner,
        );
        self.drop_handed(&mut page.chats, &request.cursor);
        Ok(ChatPage {
            chats: page.chats,
            next_cursor: page.next.map(|c| c.encode()),
        })
    }

    async fn messages_page(
        &self,
        request: &MessagePageRequest,
    ) -> Result<MessagePage, ProviderError> {
        let peer = self
            .peer(
                &request.chat_provider_id,
                request.chat_provider_ref.as_deref(),
            )
            .await?;
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
