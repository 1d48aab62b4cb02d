//! Talking to another DC than the account's own, to download a file stored there.
//!
//! Telegram answers a request for a file stored elsewhere with `303 FILE_MIGRATE_X`; the client
//! then asks DC X, logged in there with the authorization its home DC exports. How clients do
//! it:
//! - Telethon's `_create_exported_sender(dc_id)` (`telethon/client/telegrambaseclient.py`):
//!   finds DC X in `help.getConfig`'s `dc_options` (`_get_dc`: same id, not `cdn`, the IP family
//!   in use, else any family), connects with a new key (its `MTProtoSender(None)` makes one with
//!   the key exchange), calls `auth.exportAuthorization(dc_id)` on the home DC and sends the
//!   answer's `id` and `bytes` to DC X in `auth.importAuthorization`;
//! - grammers 0.11's `DownloadIter::next` (`client/files.rs`) moves its `upload.getFile` to DC X
//!   on `FILE_MIGRATE`, and on `AUTH_KEY_UNREGISTERED` there runs `Client::copy_auth_to_dc`
//!   (`client/net.rs`): the same export and import, once per DC. Its sender pool connects to a
//!   DC it has a `DcOption` for, with that option's key or, without one, a new key from the key
//!   exchange (`mtsender/src/sender_pool.rs`, `connect_sender`).
//!
//! msgsync does Telethon's order with grammers' pool: DC X's address from the home DC's config
//! (grammers itself only keeps `static` options of a config, which need not include X), a key
//! from [`DcKeys`](super::DcKeys) when one is configured (the sandbox, whose DCs cannot run the
//! key exchange) or from the key exchange, then the export and the import, once per connection
//! and DC. Options flagged `tcpo_only` ("only supports connection with transport obfuscation",
//! core.telegram.org/constructor/dcOption) are skipped: grammers speaks the plain transport.

use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};

use grammers_session::types::DcOption;
use grammers_session::Session;
use grammers_tl_types::{enums, functions, types};

use super::errors;
use super::session::Connection;
use crate::ProviderError;

/// The option of DC `dc` a client uses: Telethon's `_get_dc` choice, without the options a
/// plain transport cannot use.
fn pick(options: &[enums::DcOption], dc: i32, ipv6: bool) -> Option<&types::DcOption> {
    let usable = || {
        options
            .iter()
            .map(|enums::DcOption::Option(o)| o)
            .filter(move |o| o.id == dc && !o.cdn && !o.tcpo_only)
    };
    usable()
        .find(|o| o.ipv6 == ipv6)
        .or_else(|| usable().next())
}

/// grammers' option for DC `dc` at the address of `o`, with `auth_key`.
fn dc_option(o: &types::DcOption, auth_key: Option<[u8; 256]>) -> Result<DcOption, ProviderError> {
    let port = u16::try_from(o.port).map_err(|_| {
        ProviderError::Protocol(format!(
            "Telegram's config gives DC {} port {}",
            o.id, o.port
        ))
    })?;
    let bad_ip = || {
        ProviderError::Protocol(format!(
            "Telegram's config gives DC {} the address `{}`",
            o.id,
            o.ip_address.chars().take(64).collect::<String>()
        ))
    };
    let (ipv4, ipv6) = if o.ipv6 {
        let ip = o.ip_address.parse().map_err(|_| bad_ip())?;
        (
            SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
            SocketAddrV6::new(ip, port, 0, 0),
        )
    } else {
        let ip: Ipv4Addr = o.ip_address.parse().map_err(|_| bad_ip())?;
        (
            SocketAddrV4::new(ip, port),
            SocketAddrV6::new(ip.to_ipv6_mapped(), port, 0, 0),
        )
    };
    Ok(DcOption {
        id: o.id,
        ipv4,
        ipv6,
        auth_key,
    })
}

impl Connection {
    /// Logs the account in to DC `dc`, once per connection: afterwards requests can go there
    /// with [`Connection::timed_in`].
    pub(crate) async fn open_dc(&self, dc: i32) -> Result<(), ProviderError> {
        let mut opened = self.other_dcs.lock().await;
        if opened.contains(&dc) {
            return Ok(());
        }
        let enums::Config::Config(config) = self.call(&functions::help::GetConfig {}).await?;
        let Some(option) = pick(&config.dc_options, dc, self.use_ipv6) else {
            return Err(ProviderError::Protocol(format!(
                "Telegram sends a file to DC {dc}, which its config does not list"
            )));
        };
        let known_key = self
            .session
            .dc_option(dc)
            .ok()
            .flatten()
            .and_then(|o| o.auth_key);
        let auth_key = known_key.or_else(|| {
            self.config
                .dc_keys
                .as_ref()
                .and_then(|keys| keys.key_for(&self.home_key, dc))
        });
        self.session
            .set_dc_option(&dc_option(option, auth_key)?)
            .await
            .map_err(|e| ProviderError::Protocol(format!("session storage: {e}")))?;
        let enums::auth::ExportedAuthorization::Authorization(exported) = self
            .call(&functions::auth::ExportAuthorization { dc_id: dc })
            .await?;
        let import = functions::auth::ImportAuthorization {
            id: exported.id,
            bytes: exported.bytes,
        };
        match self.timed_in(Some(dc), &import).await? {
            Ok(_) => {}
            Err(e) if errors::is_connection_loss(&e) => {
                return Err(ProviderError::Transient(format!(
                    "the connection to Telegram DC {dc} was lost: {e}"
                )))
            }
            Err(e) => return Err(errors::map(&e)),
        }
        opened.push(dc);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(id: i32, ip: &str, ipv6: bool, cdn: bool, tcpo_only: bool) -> enums::DcOption {
        enums::DcOption::Option(types::DcOption {
            ipv6,
            media_only: false,
            tcpo_only,
            cdn,
            r#static: false,
            this_port_only: false,
            id,
            ip_address: ip.into(),
            port: 443,
            secret: None,
        })
    }

    #[test]
    fn options_are_picked_as_telethon_does() {
        let options = [
            option(4, "10.0.0.1", false, true, false),
            option(4, "10.0.0.2", false, false, true),
            option(2, "10.0.0.3", false, false, false),
            option(4, "2001:db8::4", true, false, false),
            option(4, "10.0.0.4", false, false, false),
        ];
        assert_eq!(pick(&options, 4, false).unwrap().ip_address, "10.0.0.4");
        assert_eq!(pick(&options, 4, true).unwrap().ip_address, "2001:db8::4");
        // Only the other family: it is taken.
        assert_eq!(
            pick(&options[..4], 4, false).unwrap().ip_address,
            "2001:db8::4"
        );
        assert!(pick(&options, 5, false).is_none());

        let enums::DcOption::Option(o) = &options[4];
        let v4 = dc_option(o, Some([7; 256])).unwrap();
        assert_eq!(v4.ipv4, "10.0.0.4:443".parse().unwrap());
        assert_eq!(v4.auth_key, Some([7; 256]));
        let enums::DcOption::Option(o) = &options[3];
        let v6 = dc_option(o, None).unwrap();
        assert_eq!(v6.ipv6, "[2001:db8::4]:443".parse().unwrap());
        let bad = option(4, "not an ip", false, false, false);
        let enums::DcOption::Option(o) = &bad;
        assert!(matches!(
            dc_option(o, None),
            Err(ProviderError::Protocol(_))
        ));
    }
}
