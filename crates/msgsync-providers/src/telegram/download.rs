//! Streaming a message's attachment from Telegram.
//!
//! 1. The message is read again (`messages.getMessages`, or `channels.getMessages` in a
//!    channel): the stored attachment only names the media, while downloading it needs its
//!    current location and file reference (core.telegram.org/api/file-references).
//! 2. The file comes with `upload.getFile` in parts of [`PART`] bytes at offsets that are
//!    multiples of it, one part at a time, each handed on as it arrives: nothing holds more
//!    than one part. grammers 0.11 `DownloadIter` asks the same way (`MAX_CHUNK_SIZE`, 512 KB);
//!    core.telegram.org/api/files, "Downloading files", allows it: 512 KB divides by 4 KB and
//!    divides 1 MB, so no part crosses a megabyte.
//! 3. `FILE_REFERENCE_EXPIRED` (or `_INVALID`, handled alike per the same page) mid-download:
//!    the message is read again for a fresh reference and the download resumes at the same
//!    offset, as Telethon's `_DirectDownloadIter` does.
//! 4. The file is asked from the DC its photo or document names (`dc_id`), as grammers'
//!    `DownloadIter` starts at `downloadable.dc_id()`; on `FILE_MIGRATE_X` (the file is stored
//!    in DC X) the download goes on in DC X at the same offset, as `DownloadIter` and
//!    Telethon's `_borrow_exported_sender` do. A DC other than the account's own is logged in
//!    to first (`dc.rs`); the message is still read again in the home DC.
//! 5. Errors: a flood wait before the first byte is `RateLimited` (the API can still answer
//!    429), a short one later is waited out (the answer has begun and cannot become a 429); an
//!    interrupted connection is retried at the same offset a few times; a key refused by the
//!    other DC is that DC's matter, not the account's session; the rest maps as for any
//!    request (`errors.rs`).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use grammers_mtsender::InvocationError;
use grammers_tl_types::{enums, functions, types};

use super::convert;
use super::errors;
use super::media::{self, MediaFile};
use super::session::Connection;
use crate::{AttachmentDownload, AttachmentRequest, ProviderError};

/// The bytes asked for by each `upload.getFile`: grammers' `MAX_CHUNK_SIZE`.
pub(crate) const PART: i32 = 512 * 1024;
/// A reference refreshed this many times in a row without a part in between is given up on.
const MAX_REFRESHES: u32 = 3;
/// A part whose connection broke is asked for again this many times.
const MAX_RETRIES: u32 = 3;
/// Flood waits up to this long are waited out once the answer has begun.
const MAX_INLINE_FLOOD_WAIT: Duration = Duration::from_secs(10);
/// A download follows at most this many `FILE_MIGRATE`s (a DC sending it on again is a loop).
const MAX_MIGRATIONS: u32 = 1;

/// Where the attachment comes from: its message, to read it again.
struct Source {
    conn: Arc<Connection>,
    peer: enums::InputPeer,
    chat_id: String,
    message_id: i32,
    attachment_id: i64,
}

impl Source {
    /// The message's media as it is now, with a fresh file reference.
    async fn media(&self) -> Result<MediaFile, ProviderError> {
        let id = vec![enums::InputMessage::Id(types::InputMessageId {
            id: self.message_id,
        })];
        let answer = match &self.peer {
            enums::InputPeer::Channel(c) => {
                let channel = enums::InputChannel::Channel(types::InputChannel {
                    channel_id: c.channel_id,
                    access_hash: c.access_hash,
                });
                self.conn
                    .call(&functions::channels::GetMessages { channel, id })
                    .await?
            }
            _ => {
                self.conn
                    .call(&functions::messages::GetMessages { id })
                    .await?
            }
        };
        let messages = match answer {
            enums::messages::Messages::Messages(m) => m.messages,
            enums::messages::Messages::Slice(m) => m.messages,
            enums::messages::Messages::ChannelMessages(m) => m.messages,
            enums::messages::Messages::NotModified(_) => Vec::new(),
        };
        // `messages.getMessages` has no peer: keep the message of this chat.
        let message = messages.iter().find_map(|m| match m {
            enums::Message::Message(m)
                if m.id == self.message_id && convert::peer_id(&m.peer_id) == self.chat_id =>
            {
                Some(m)
            }
            _ => None,
        });
        let Some(message) = message else {
            return Err(ProviderError::NotSupported(format!(
                "message {} of chat {} is no longer in this Telegram account",
                self.message_id, self.chat_id
            )));
        };
        message
            .media
            .as_ref()
            .and_then(media::file)
            .filter(|f| f.id == self.attachment_id)
            .ok_or_else(|| {
                ProviderError::NotSupported(format!(
                    "message {} no longer has attachment {}",
                    self.message_id, self.attachment_id
                ))
            })
    }
}

/// What to do after a failed `upload.getFile`.
#[derive(Debug, PartialEq)]
enum Step {
    /// Read the message again for a fresh file reference, then ask again.
    Refresh,
    /// Ask again after this long.
    Wait(Duration),
    /// Ask again at once: the connection broke.
    Retry,
    /// Ask DC X: the file is stored there.
    Migrate(i32),
    Fail(ProviderError),
}

fn step(e: &InvocationError) -> Step {
    match e {
        InvocationError::Rpc(r)
            if matches!(
                r.name.as_str(),
                "FILE_REFERENCE_EXPIRED" | "FILE_REFERENCE_INVALID" | "FILEREF_UPGRADE_NEEDED"
            ) =>
        {
            Step::Refresh
        }
        InvocationError::Rpc(r) if r.code == 303 && r.name == "FILE_MIGRATE" => {
            match r.value.and_then(|dc| i32::try_from(dc).ok()) {
                Some(dc) => Step::Migrate(dc),
                None => Step::Fail(ProviderError::Protocol(format!(
                    "Telegram moves the file to a DC it does not name: {r}"
                ))),
            }
        }
        e if errors::is_connection_loss(e) => Step::Retry,
        e => match errors::map(e) {
            ProviderError::RateLimited { retry_after } => Step::Wait(retry_after),
            other => Step::Fail(other),
        },
    }
}

/// A download in progress.
struct Download {
    source: Source,
    file: MediaFile,
    offset: i64,
    /// The DC the file is asked from: `None` for the account's own.
    dc: Option<i32>,
    migrations: u32,
}

impl Download {
    /// The next part, `None` at the end. `started` says whether bytes were handed on already.
    async fn next_part(&mut self, started: bool) -> Result<Option<Bytes>, ProviderError> {
        let left = self.file.size - self.offset;
        if left <= 0 {
            return Ok(None);
        }
        let (mut refreshes, mut retries, mut waited) = (0, 0, false);
        loop {
            let request = functions::upload::GetFile {
                precise: false,
                cdn_supported: false,
                location: self.file.location.clone(),
                offset: self.offset,
                limit: PART,
            };
            let failure = match self.source.conn.timed_in(self.dc, &request).await? {
                Ok(enums::upload::File::File(f)) => {
                    let expected = left.min(i64::from(PART));
                    if f.bytes.len() as i64 != expected {
                        return Err(ProviderError::Protocol(format!(
                            "Telegram sent {} bytes at offset {} of a {}-byte file, not {expected}",
                            f.bytes.len(),
                            self.offset,
                            self.file.size
                        )));
                    }
                    self.offset += expected;
                    return Ok(Some(Bytes::from(f.bytes)));
                }
                Ok(enums::upload::File::CdnRedirect(r)) => {
                    return Err(ProviderError::NotSupported(format!(
                        "Telegram serves this file from CDN DC {}, which msgsync does not use",
                        r.dc_id
                    )))
                }
                Err(e) => e,
            };
            match step(&failure) {
                Step::Migrate(dc) if self.migrations < MAX_MIGRATIONS => {
                    self.migrations += 1;
                    self.source.conn.open_dc(dc).await?;
                    self.dc = Some(dc);
                }
                Step::Migrate(dc) => {
                    return Err(ProviderError::Protocol(format!(
                        "Telegram moved the file again, to DC {dc}"
                    )))
                }
                Step::Fail(ProviderError::SessionExpired(why)) if self.dc.is_some() => {
                    return Err(ProviderError::Protocol(format!(
                        "Telegram DC {} refused the key msgsync logged in there: {why}",
                        self.dc.unwrap_or_default()
                    )))
                }
                Step::Refresh if refreshes < MAX_REFRESHES => {
                    refreshes += 1;
                    self.file = self.source.media().await?;
                }
                Step::Retry if retries < MAX_RETRIES => retries += 1,
                Step::Wait(wait) if started && !waited && wait <= MAX_INLINE_FLOOD_WAIT => {
                    waited = true;
                    tokio::time::sleep(wait).await;
                }
                Step::Wait(retry_after) => return Err(ProviderError::RateLimited { retry_after }),
                Step::Fail(e) => return Err(e),
                Step::Refresh | Step::Retry => return Err(errors::map(&failure)),
            }
        }
    }
}

/// Starts downloading `request`'s attachment from the chat `peer`: reads the message, gets
/// the first part (so that what fails at once fails here, before any byte), and streams the
/// rest as it arrives.
pub(crate) async fn start(
    conn: Arc<Connection>,
    peer: enums::InputPeer,
    request: &AttachmentRequest,
) -> Result<AttachmentDownload, ProviderError> {
    let message_id = request.message_provider_id.parse::<i32>().map_err(|_| {
        let shown: String = request.message_provider_id.chars().take(40).collect();
        ProviderError::NotSupported(format!("`{shown}` is not a Telegram message id"))
    })?;
    let attachment_id = request.attachment.id.parse::<i64>().map_err(|_| {
        let shown: String = request.attachment.id.chars().take(40).collect();
        ProviderError::NotSupported(format!("`{shown}` is not a Telegram photo or document id"))
    })?;
    let source = Source {
        conn,
        peer,
        chat_id: request.chat_provider_id.clone(),
        message_id,
        attachment_id,
    };
    let file = source.media().await?;
    let (content_type, length) = (file.mime_type.clone(), u64::try_from(file.size).ok());
    let dc = (file.dc_id != source.conn.home_dc).then_some(file.dc_id);
    if let Some(dc) = dc {
        source.conn.open_dc(dc).await?;
    }
    let mut download = Download {
        source,
        file,
        offset: 0,
        dc,
        migrations: 0,
    };
    let first = download.next_part(false).await?;
    let rest = stream::try_unfold(download, |mut d| async move {
        Ok(d.next_part(true).await?.map(|part| (part, d)))
    });
    let body = stream::iter(first.map(Ok)).chain(rest).boxed();
    Ok(AttachmentDownload {
        content_type: (!content_type.is_empty()).then_some(content_type),
        length,
        body,
    })
}

#[cfg(test)]
mod tests {
    use grammers_mtsender::RpcError;

    use super::*;

    fn rpc(code: i32, message: &str) -> InvocationError {
        InvocationError::Rpc(RpcError::from(types::RpcError {
            error_code: code,
            error_message: message.into(),
        }))
    }

    #[test]
    fn failures_map_to_steps() {
        assert_eq!(step(&rpc(400, "FILE_REFERENCE_EXPIRED")), Step::Refresh);
        assert_eq!(step(&rpc(400, "FILE_REFERENCE_INVALID")), Step::Refresh);
        assert_eq!(step(&rpc(303, "FILE_MIGRATE_4")), Step::Migrate(4));
        assert_eq!(
            step(&rpc(420, "FLOOD_WAIT_3")),
            Step::Wait(Duration::from_secs(3))
        );
        assert!(matches!(
            step(&rpc(401, "AUTH_KEY_UNREGISTERED")),
            Step::Fail(ProviderError::SessionExpired(_))
        ));
        assert!(matches!(
            step(&rpc(400, "LIMIT_INVALID")),
            Step::Fail(ProviderError::NotSupported(_))
        ));
        let reset = InvocationError::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert_eq!(step(&reset), Step::Retry);
    }
}
