//! The simulator's DCs, and moving an account's authorization from one to another.
//!
//! Telegram keeps a file in one DC; asked for it elsewhere, a DC answers `303 FILE_MIGRATE_X`
//! ("the file to be accessed is currently stored in a different data center",
//! core.telegram.org/api/errors). A client then talks to DC X with a key of that DC, and logs
//! it in with the authorization its home DC exports (grammers 0.11 `Client::copy_auth_to_dc`,
//! called from `DownloadIter::next` on `AUTH_KEY_UNREGISTERED`; Telethon's
//! `_create_exported_sender`, which sends `auth.importAuthorization` in its `initConnection`):
//! - `auth.exportAuthorization(dc_id)` (core.telegram.org/method/auth.exportAuthorization)
//!   answers `auth.exportedAuthorization{id, bytes}`, `id` being the current user's id; a DC
//!   the simulator does not play, or the DC asked itself, is `400 DC_ID_INVALID` (Telethon's
//!   `errors.csv`: "…exported for the same data center one is currently connected to");
//! - `auth.importAuthorization(id, bytes)` (…/method/auth.importAuthorization, "Logs in a user
//!   using a key transmitted from his native data-center") answers `auth.authorization` with
//!   the user; bytes that are not this account's export for this DC are `400
//!   AUTH_BYTES_INVALID`, another user's id `400 USER_ID_INVALID`.
//!
//! The exported bytes are the simulator's own token: a hash of the account's home key and the
//! target DC, so that only that account's export logs a key of that DC in.

use grammers_tl_types::{enums, functions, types, Serializable};
use sha2::{Digest, Sha256};

use super::config;
use super::rpc::Answer;
use super::tl as build;
use super::{Account, FILES_DC, SANDBOX_DC};

/// The DCs the simulator plays.
fn dcs() -> [i32; 2] {
    [i32::from(SANDBOX_DC), FILES_DC]
}

fn err(message: &str) -> Answer {
    Answer::Error(400, message.to_string())
}

/// `help.getConfig`: the DC of this connection, among the simulator's.
pub(crate) fn get_config(acct: &Account, now: i32) -> Answer {
    let addr = acct.local_addr;
    let ip = addr.ip().to_string();
    let config = config::config(now, acct.dc, &dcs(), &ip, addr.port(), addr.is_ipv6());
    Answer::Result(config.to_bytes())
}

/// The bytes of the authorization the account exports to `dc`.
fn token(acct: &Account, dc: i32) -> Vec<u8> {
    Sha256::new()
        .chain_update(b"msgsync-sandbox exported authorization")
        .chain_update(acct.home_key)
        .chain_update(dc.to_le_bytes())
        .finalize()
        .to_vec()
}

fn owner_id(acct: &Account) -> i64 {
    acct.dataset.owner().id.parse().unwrap_or(0)
}

/// `auth.exportAuthorization`.
pub(crate) fn export_authorization(
    acct: &Account,
    q: &functions::auth::ExportAuthorization,
) -> Answer {
    if q.dc_id == acct.dc || !dcs().contains(&q.dc_id) {
        return err("DC_ID_INVALID");
    }
    let exported =
        enums::auth::ExportedAuthorization::Authorization(types::auth::ExportedAuthorization {
            id: owner_id(acct),
            bytes: token(acct, q.dc_id),
        });
    Answer::Result(exported.to_bytes())
}

/// `auth.importAuthorization`.
pub(crate) fn import_authorization(
    acct: &Account,
    q: &functions::auth::ImportAuthorization,
) -> Answer {
    if q.bytes != token(acct, acct.dc) {
        return err("AUTH_BYTES_INVALID");
    }
    if q.id != owner_id(acct) {
        return err("USER_ID_INVALID");
    }
    acct.authorize();
    let authorization = enums::auth::Authorization::Authorization(types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user: build::user(acct.seed(), acct.dataset.owner(), true),
    });
    Answer::Result(authorization.to_bytes())
}
