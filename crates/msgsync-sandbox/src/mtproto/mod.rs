//! A Telegram server simulator speaking MTProto 2.0 over TCP, for sandbox Telegram accounts.
//!
//! Any MTProto client given a sandbox session ([`sandbox_session`]) sees a Telegram DC that
//! serves what a history sync and attachment downloads need: the connection set-up
//! (`invokeWithLayer`, `initConnection` with its `api_id` checked, `invokeWithoutUpdates`,
//! `help.getConfig`, `help.getNearestDc`), the update state and catching up
//! (`updates.getState`, `updates.getDifference`, `updates.getChannelDifference`, see
//! `catchup.rs`), `users.getUsers`, `messages.getDialogs` (pinned dialogs included) and
//! `messages.getHistory` with Telegram's offset rules ([`paging`]), `messages.getPeerDialogs`,
//! `messages.getMessages` and `channels.getMessages` (`messages.rs`), `upload.getFile` with
//! Telegram's part rules and expiring file references (`media.rs`), and moving an account's
//! authorization to a second DC (`auth.exportAuthorization`, `auth.importAuthorization`, see
//! `auth.rs`), plus MTProto's service messages (see `conn.rs`). Any other method gets an
//! `rpc_error` (`400 INPUT_METHOD_INVALID_<constructor>`), never a hang.
//!
//! - Layout: [`wire`] (transport and encryption), `conn.rs` (service messages), `rpc.rs`
//!   (API methods), `dialogs.rs` (the dialog list), `auth.rs` (DCs and authorizations),
//!   `messages.rs` (messages as TL, read again by id), `media.rs` (photos and documents, file
//!   references, file bytes, `upload.getFile`), `tl.rs` (data as TL objects), [`paging`],
//!   [`keys`] (sandbox auth keys and session strings), and [`SandboxTelegramConnector`].
//! - DCs: one server plays the account's home DC ([`SANDBOX_DC`]) and [`FILES_DC`], telling
//!   them apart by the auth key of each connection ([`keys::Binding`]). A key of the files DC
//!   answers `401 AUTH_KEY_UNREGISTERED` to everything but the connection set-up until it
//!   imported the account's authorization, as a fresh key on a real DC does.
//! - Apps: Telegram knows which `api_id`s my.telegram.org issued; the sandbox cannot, and
//!   takes any positive one. `initConnection` with an `api_id` of 0 or less is answered
//!   `400 CONNECTION_API_ID_INVALID`, the name Telegram gives it (core.telegram.org/method/
//!   invokeWithLayer lists it; Telethon's `errors.csv`: "The provided API id is invalid").
//! - Data: `hub.dataset(ProviderKind::Telegram, scenario)`, the generator's — except message
//!   ids, which grow with time here (see [`paging`]). Users carry their usernames, media their
//!   sizes and attributes; [`attachment_bytes`] gives the bytes served for an attachment.
//! - Faults, counted per auth key (so per account and scenario) by every connection: only the
//!   provider requests of a sync or a download count (`messages.getDialogs`,
//!   `messages.getHistory`, `messages.getMessages`, `messages.getPeerDialogs`,
//!   `channels.getMessages`, `upload.getFile`; connection set-up, config, state, user look-ups
//!   and authorization transfers do not). The first
//!   `fault_after` are served; then `rate_limited` answers `420 FLOOD_WAIT_1` once and
//!   recovers; `expired` answers `401 AUTH_KEY_UNREGISTERED`; `auth_key_duplicated` answers
//!   `406 AUTH_KEY_DUPLICATED` (the key was used from two places at once and is dead:
//!   Telethon's `errors.csv`); `deactivated` answers `401 USER_DEACTIVATED` (the account was
//!   deleted: core.telegram.org/api/errors); `restricted` answers `403 USER_RESTRICTED`; `flaky` closes the
//!   connection without answering, three times, then recovers; `down` closes the connection
//!   and, from then on, every new connection at its first packet; `timeout` never answers;
//!   `migrate` answers `upload.getFile` on the home DC with `303 FILE_MIGRATE_4`
//!   ([`FILES_DC`]), where the file is served, and leaves the rest alone. `latency_ms` delays
//!   every API answer.
//! - Requests are counted per account and method ([`MtprotoHandle::requests`], for tests).
//! - File references expire after [`FILE_REFERENCE_LIFETIME`] `upload.getFile` requests of
//!   the account (`media.rs`), so a download of more parts always refreshes one.

mod auth;
mod catchup;
mod config;
mod conn;
mod connector;
mod dialogs;
#[doc(hidden)]
pub mod fuzzing;
pub mod keys;
mod media;
mod messages;
pub mod paging;
mod rpc;
mod tl;
pub mod wire;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use msgsync_core::ProviderKind;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

pub use connector::SandboxTelegramConnector;
pub use keys::{
    files_dc_key, register_key, register_session_key, sandbox_auth_key, sandbox_session,
    scenario_of_key, set_session_dir, spool_session, FILES_DC, SANDBOX_DC,
};
pub use media::{attachment_bytes, FILE_REFERENCE_LIFETIME};

use crate::generator::Dataset;
use crate::scenario::{Fault, Scenario};
use crate::SandboxHub;
use keys::{Binding, KeyId, Registered, KEY_LEN};
use rpc::Answer;

/// A flaky DC drops this many requests in a row, then recovers (as a flaky LinkedIn does).
const FLAKY_FAILURES: u64 = 3;
const DAY_MS: i64 = 86_400_000;

/// What all connections of one simulator share.
pub(crate) struct Shared {
    hub: SandboxHub,
    local_addr: SocketAddr,
    /// Fault-counted requests served, per auth key.
    counters: Mutex<HashMap<KeyId, Arc<AtomicU64>>>,
    /// `upload.getFile` requests served, per auth key: the clock file references age by.
    file_clocks: Mutex<HashMap<KeyId, Arc<AtomicU64>>>,
    /// Requests served, per auth key and method constructor.
    calls: Mutex<HashMap<KeyId, Calls>>,
}

type Calls = Arc<Mutex<BTreeMap<u32, u64>>>;

fn shared_entry<T: Default + Clone>(map: &Mutex<HashMap<KeyId, T>>, key: KeyId) -> T {
    map.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(key)
        .or_default()
        .clone()
}

impl Shared {
    /// The account a connection's key serves. Counters, clocks and file references are the
    /// account's: a key of the files DC shares those of the home key it was made for.
    async fn account(&self, key_id: KeyId, reg: Registered) -> Account {
        let dataset = {
            let (hub, scenario) = (self.hub.clone(), reg.scenario.clone());
            // A large scenario takes a while to index: keep it off the async workers.
            match tokio::task::spawn_blocking(move || {
                hub.dataset(ProviderKind::Telegram, &scenario)
            })
            .await
            {
                Ok(ds) => ds,
                Err(_) => self.hub.dataset(ProviderKind::Telegram, &reg.scenario),
            }
        };
        let (dc, home, authorized) = match reg.binding {
            Binding::Home => (i32::from(SANDBOX_DC), reg.key, None),
            Binding::Foreign {
                dc,
                home,
                authorized,
            } => (dc, *home, Some(authorized)),
        };
        let home_id = keys::key_id(&home);
        let salt = i64::from_le_bytes(key_id) ^ 0x6d73_6773_796e_6331;
        Account {
            key: reg.key,
            key_id,
            home_key: home,
            dc,
            authorized,
            latency: Duration::from_millis(reg.scenario.latency_ms),
            scenario: reg.scenario,
            dataset,
            served: shared_entry(&self.counters, home_id),
            file_clock: shared_entry(&self.file_clocks, home_id),
            calls: shared_entry(&self.calls, home_id),
            local_addr: self.local_addr,
            salt,
        }
    }
}

/// What a fault-counted request asks for, as far as faults tell requests apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asks {
    /// Dialogs, history, messages: the account's data.
    Data,
    /// `upload.getFile`.
    File,
}

/// The sandbox account behind one connection's auth key.
pub(crate) struct Account {
    /// The connection's key (it encrypts the connection's messages).
    pub(crate) key: [u8; KEY_LEN],
    pub(crate) key_id: KeyId,
    /// The account's key in its home DC (file references are bound to it).
    pub(crate) home_key: [u8; KEY_LEN],
    /// The DC this connection talks to.
    pub(crate) dc: i32,
    /// For a key of another DC than home: whether it imported the account's authorization.
    authorized: Option<Arc<AtomicBool>>,
    pub(crate) scenario: Scenario,
    pub(crate) dataset: Arc<Dataset>,
    served: Arc<AtomicU64>,
    file_clock: Arc<AtomicU64>,
    calls: Calls,
    pub(crate) local_addr: SocketAddr,
    /// The server salt of this key.
    pub(crate) salt: i64,
    pub(crate) latency: Duration,
}

impl Account {
    pub(crate) fn seed(&self) -> u64 {
        self.scenario.seed
    }

    pub(crate) fn span_start_ms(&self) -> i64 {
        self.dataset.anchor_ms() - i64::from(self.scenario.span_days.max(1)) * DAY_MS
    }

    pub(crate) fn id_scale(&self) -> i64 {
        paging::id_scale(self.scenario.span_days)
    }

    /// Whether the DC is down for this account: new connections close at once.
    fn is_down(&self) -> bool {
        self.scenario.fault == Some(Fault::Down)
            && self.served.load(Ordering::SeqCst) >= self.scenario.fault_after
    }

    /// The account's file clock: `upload.getFile` requests served so far.
    pub(crate) fn file_clock(&self) -> u64 {
        self.file_clock.load(Ordering::SeqCst)
    }

    /// Counts an `upload.getFile` request; the clock after it.
    pub(crate) fn tick_file_clock(&self) -> u64 {
        self.file_clock
            .fetch_add(1, Ordering::SeqCst)
            .wrapping_add(1)
    }

    /// Whether the key logs the account in: a home key always, another DC's key once it
    /// imported the account's authorization.
    pub(crate) fn is_authorized(&self) -> bool {
        self.authorized
            .as_ref()
            .is_none_or(|a| a.load(Ordering::SeqCst))
    }

    /// Records that the key imported the account's authorization.
    pub(crate) fn authorize(&self) {
        if let Some(a) = &self.authorized {
            a.store(true, Ordering::SeqCst);
        }
    }

    /// Counts a request to the method `constructor`.
    pub(crate) fn count_call(&self, constructor: u32) {
        *self
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(constructor)
            .or_default() += 1;
    }

    /// Counts a fault-counted request; `Some` is how it fails.
    pub(crate) fn gate(&self, asks: Asks) -> Option<Answer> {
        let fault = self.scenario.fault?;
        let count = self.served.fetch_add(1, Ordering::SeqCst).wrapping_add(1);
        let after = self.scenario.fault_after;
        if count <= after {
            return None;
        }
        let nth = count - after;
        match fault {
            Fault::Expired => Some(Answer::Error(401, "AUTH_KEY_UNREGISTERED".into())),
            Fault::AuthKeyDuplicated => Some(Answer::Error(406, "AUTH_KEY_DUPLICATED".into())),
            Fault::Deactivated => Some(Answer::Error(401, "USER_DEACTIVATED".into())),
            Fault::Restricted => Some(Answer::Error(403, "USER_RESTRICTED".into())),
            Fault::RateLimited if nth == 1 => Some(Answer::Error(420, "FLOOD_WAIT_1".into())),
            Fault::Flaky if nth <= FLAKY_FAILURES => Some(Answer::Drop),
            Fault::Down => Some(Answer::Drop),
            Fault::Timeout => Some(Answer::Silence),
            Fault::Migrate if asks == Asks::File && self.dc != FILES_DC => {
                Some(Answer::Error(303, format!("FILE_MIGRATE_{FILES_DC}")))
            }
            Fault::RateLimited | Fault::Flaky | Fault::Migrate => None,
        }
    }
}

/// The MTProto simulator: a TCP server.
pub struct MtprotoSimulator;

impl MtprotoSimulator {
    /// Serves on `listener` until the handle is stopped or dropped.
    pub fn start(hub: SandboxHub, listener: TcpListener) -> std::io::Result<MtprotoHandle> {
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            hub,
            local_addr,
            counters: Mutex::new(HashMap::new()),
            file_clocks: Mutex::new(HashMap::new()),
            calls: Mutex::new(HashMap::new()),
        });
        #[cfg(test)]
        let kept = shared.clone();
        let task = tokio::spawn(async move {
            // Connections live in the set, so stopping the server ends them too.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => {
                            connections.spawn(conn::serve(shared.clone(), stream));
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "sandbox MTProto accept failed");
                            tokio::task::yield_now().await;
                        }
                    },
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Ok(MtprotoHandle {
            local_addr,
            task,
            #[cfg(test)]
            shared: kept,
        })
    }
}

/// A running simulator; dropping it stops the server and closes its connections.
pub struct MtprotoHandle {
    local_addr: SocketAddr,
    task: JoinHandle<()>,
    /// For tests to read the simulator's counters.
    #[cfg(test)]
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MtprotoHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MtprotoHandle")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl MtprotoHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A Telethon string session for `scenario` on this simulator.
    pub fn session(&self, scenario: &Scenario, nonce: &str) -> String {
        sandbox_session(scenario, nonce, self.local_addr)
    }

    /// The `upload.getFile` requests served so far to the account of `scenario` and `nonce`.
    #[cfg(test)]
    pub(crate) fn file_clock(&self, scenario: &Scenario, nonce: &str) -> u64 {
        let key_id = keys::key_id(&sandbox_auth_key(scenario, nonce));
        self.shared
            .file_clocks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key_id)
            .map_or(0, |c| c.load(Ordering::SeqCst))
    }

    /// The requests served so far to the account of `scenario` and `nonce`, by method name
    /// (`messages.getDialogs`, …), over every DC.
    #[cfg(test)]
    pub(crate) fn requests(&self, scenario: &Scenario, nonce: &str) -> BTreeMap<String, u64> {
        let key_id = keys::key_id(&sandbox_auth_key(scenario, nonce));
        let calls = shared_entry(&self.shared.calls, key_id);
        let calls = calls.lock().unwrap_or_else(PoisonError::into_inner);
        calls
            .iter()
            .map(|(id, n)| {
                let name = grammers_tl_types::name_for_id(*id);
                (name.to_string(), *n)
            })
            .collect()
    }

    /// Stops accepting and closes every connection.
    pub async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for MtprotoHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests;
