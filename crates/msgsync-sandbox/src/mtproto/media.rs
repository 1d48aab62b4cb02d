//! Files: a message's media as Telegram's `photo` and `document` objects, their file references,
//! their bytes, and `upload.getFile`.
//!
//! - **Photos** (core.telegram.org/api/files, "Image thumbnail types"): a stripped `i` size, `m`
//!   (320 px) and `x` (800 px) sizes, and the largest as a `photoSizeProgressive` of type `y`
//!   (1280 px) or `w` (2560 px, with a `y` below it). A photo's file is one of its sizes,
//!   downloaded with `inputPhotoFileLocation` and that size's type as `thumb_size`.
//! - **Documents**: the attributes the media's kind calls for (see the generator's
//!   `telegram/media.rs`); videos and GIFs carry a stripped and an `m` thumbnail. The document
//!   is downloaded with `inputDocumentFileLocation` and an empty `thumb_size`, a thumbnail with
//!   its type.
//! - **File references** (core.telegram.org/api/file-references): opaque bytes in every `photo`
//!   and `document`, required by `upload.getFile`. Here they name the message the media came
//!   with, the moment they were issued on the account's file clock (its `upload.getFile`
//!   requests so far) and a MAC under the account's home auth key (a reference read in one DC
//!   serves in the other). A reference serves [`FILE_REFERENCE_LIFETIME`] requests, then
//!   answers `400 FILE_REFERENCE_EXPIRED`: clients
//!   must re-read the message (`messages.getMessages`, `channels.getMessages`) for a new one,
//!   as Telethon's `_DirectDownloadIter` does. So any download of more than that many parts
//!   goes through a refresh, deterministically.
//! - **upload.getFile** (core.telegram.org/api/files, "Downloading files"): without `precise`,
//!   `offset` and `limit` must be divisible by 4 KB and 1 MB by `limit`; with it, both must be
//!   divisible by 1 KB and `limit` at most 1 MB; in any case the part must lie within one 1 MB
//!   chunk. Violations answer `400 OFFSET_INVALID` / `400 LIMIT_INVALID` (a part crossing a
//!   megabyte is `LIMIT_INVALID`, as Telethon issue #4390 shows). A part at or past the end
//!   is empty. The answer is `upload.file` with the `storage.FileType` of the media type, or
//!   `storage.filePartial` ("Part of a bigger file") when it is not the whole file.
//! - **Bytes**: generated for the requested part only (never a whole file in memory), a
//!   splitmix64 stream keyed by the file's id and size type, behind the magic number of its
//!   format, so that sniffers see a JPEG, an MP4… [`attachment_bytes`] gives the same bytes to
//!   anyone who wants to check a download.

use grammers_tl_types::{enums, functions, types, Serializable};
use msgsync_providers::Attachment;
use sha2::{Digest, Sha256};

use super::keys::KEY_LEN;
use super::rpc::Answer;
use super::tl::access_hash;
use super::Account;

/// How many `upload.getFile` requests of its account a file reference serves.
pub const FILE_REFERENCE_LIFETIME: u64 = 16;

const KB: i64 = 1024;
const MB: i64 = 1024 * KB;
/// Without `precise`, offsets and limits are multiples of this.
const ALIGN: i64 = 4 * KB;
/// With `precise`, offsets and limits are multiples of this.
const PRECISE_ALIGN: i64 = KB;
/// No part may cross a multiple of this, nor be larger.
const CHUNK: i64 = MB;

const REFERENCE_VERSION: u8 = 2;
const MAC_LEN: usize = 16;
const REFERENCE_LEN: usize = 1 + 4 + 4 + 8 + MAC_LEN;

/// Where a photo's stripped thumbnail, small and medium sizes stop (longest side, pixels).
const SIDE_M: i64 = 320;
const SIDE_X: i64 = 800;
const SIDE_Y: i64 = 1280;

fn err(message: &str) -> Answer {
    Answer::Error(400, message.to_string())
}

/// The message a file reference points to, and when it was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Origin {
    chat: u32,
    message: u32,
    issued: u64,
}

fn mac(key: &[u8; KEY_LEN], chat: u32, message: u32, issued: u64) -> [u8; MAC_LEN] {
    let digest = Sha256::new()
        .chain_update(b"file_reference")
        .chain_update(key)
        .chain_update(chat.to_le_bytes())
        .chain_update(message.to_le_bytes())
        .chain_update(issued.to_le_bytes())
        .finalize();
    let mut out = [0; MAC_LEN];
    out.copy_from_slice(&digest[..MAC_LEN]);
    out
}

/// A file reference for the media of message `message` of chat `chat`, issued now.
pub(crate) fn file_reference(acct: &Account, chat: u32, message: u32) -> Vec<u8> {
    let issued = acct.file_clock();
    let mut out = Vec::with_capacity(REFERENCE_LEN);
    out.push(REFERENCE_VERSION);
    out.extend(chat.to_le_bytes());
    out.extend(message.to_le_bytes());
    out.extend(issued.to_le_bytes());
    out.extend(mac(&acct.home_key, chat, message, issued));
    out
}

fn origin(key: &[u8; KEY_LEN], reference: &[u8]) -> Option<Origin> {
    if reference.len() != REFERENCE_LEN || reference[0] != REFERENCE_VERSION {
        return None;
    }
    let chat = u32::from_le_bytes(reference[1..5].try_into().ok()?);
    let message = u32::from_le_bytes(reference[5..9].try_into().ok()?);
    let issued = u64::from_le_bytes(reference[9..17].try_into().ok()?);
    (reference[17..] == mac(key, chat, message, issued)).then_some(Origin {
        chat,
        message,
        issued,
    })
}

/// Whether an attachment is sent as a `photo` (rather than a `document`).
fn is_photo(a: &Attachment) -> bool {
    a.kind == "img" && !a.sticker
}

fn dims(a: &Attachment) -> (i64, i64) {
    a.size.map_or((0, 0), |s| (s.width, s.height))
}

/// `(w, h)` scaled down so that the longest side is `side` (never up).
fn scaled((w, h): (i64, i64), side: i64) -> (i32, i32) {
    let longest = w.max(h).max(1);
    if longest <= side {
        return (w as i32, h as i32);
    }
    ((w * side / longest) as i32, (h * side / longest) as i32)
}

/// A downloadable file of a message's media: the media itself or one of its sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct File {
    /// The `thumb_size` that names it (`""` for a document itself).
    thumb: String,
    size: i64,
    mime: String,
}

/// Every file of an attachment that `upload.getFile` serves, the media itself last.
fn files(a: &Attachment) -> Vec<File> {
    let size = a.file_size.unwrap_or(0).max(0);
    let mime = a.mimetype.clone().unwrap_or_default();
    let jpeg = |thumb: &str, size: i64| File {
        thumb: thumb.into(),
        size,
        mime: "image/jpeg".into(),
    };
    if is_photo(a) {
        let largest = if dims(a).0.max(dims(a).1) > SIDE_Y {
            "w"
        } else {
            "y"
        };
        let mut out = vec![
            jpeg("m", (size / 14).max(3 * KB).min(size)),
            jpeg("x", (size / 3).max(20 * KB).min(size)),
        ];
        if largest == "w" {
            out.push(jpeg("y", size / 2));
        }
        out.push(jpeg(largest, size));
        return out;
    }
    let mut out = Vec::new();
    if a.kind == "video" {
        out.push(jpeg("m", (size / 40).clamp(4 * KB, 24 * KB)));
    }
    out.push(File {
        thumb: String::new(),
        size,
        mime,
    });
    out
}

/// A stripped thumbnail's bytes (`photoStrippedSize`, type `i`): a tiny JPEG body behind
/// Telegram's header byte 1 and its height and width.
fn stripped(id: i64) -> Vec<u8> {
    let mut out = vec![1, 30, 40];
    let mut rest = vec![0; 96];
    fill(&mut rest, file_key(id, "i"), 0);
    out.extend(rest);
    out
}

/// A photo's sizes, smallest first.
pub(crate) fn photo_sizes(a: &Attachment) -> Vec<enums::PhotoSize> {
    let id: i64 = a.id.parse().unwrap_or(0);
    let (w, h) = dims(a);
    let mut out = vec![enums::PhotoSize::PhotoStrippedSize(
        types::PhotoStrippedSize {
            r#type: "i".into(),
            bytes: stripped(id),
        },
    )];
    let files = files(a);
    let last = files.len().saturating_sub(1);
    for (i, f) in files.into_iter().enumerate() {
        let side = match f.thumb.as_str() {
            "m" => SIDE_M,
            "x" => SIDE_X,
            "y" => SIDE_Y,
            _ => w.max(h),
        };
        let (sw, sh) = scaled((w, h), side);
        let bytes = i32::try_from(f.size).unwrap_or(i32::MAX);
        out.push(if i == last {
            // Prefixes of the progressive JPEG a client can show early; the last is the file.
            enums::PhotoSize::Progressive(types::PhotoSizeProgressive {
                r#type: f.thumb.clone(),
                w: sw,
                h: sh,
                sizes: [8, 4, 2]
                    .iter()
                    .map(|d| bytes / d)
                    .chain([bytes * 3 / 4, bytes])
                    .collect(),
            })
        } else {
            enums::PhotoSize::Size(types::PhotoSize {
                r#type: f.thumb.clone(),
                w: sw,
                h: sh,
                size: bytes,
            })
        });
    }
    out
}

/// A document's thumbnails, if it has any.
pub(crate) fn document_thumbs(a: &Attachment) -> Option<Vec<enums::PhotoSize>> {
    let id: i64 = a.id.parse().unwrap_or(0);
    let thumbs: Vec<_> = files(a)
        .into_iter()
        .filter(|f| !f.thumb.is_empty())
        .map(|f| {
            let (w, h) = scaled(dims(a), SIDE_M);
            enums::PhotoSize::Size(types::PhotoSize {
                r#type: f.thumb,
                w,
                h,
                size: i32::try_from(f.size).unwrap_or(i32::MAX),
            })
        })
        .collect();
    (!thumbs.is_empty()).then(|| {
        let strip = enums::PhotoSize::PhotoStrippedSize(types::PhotoStrippedSize {
            r#type: "i".into(),
            bytes: stripped(id),
        });
        std::iter::once(strip).chain(thumbs).collect()
    })
}

/// The stickerset of the sandbox's stickers.
const STICKER_SET: i64 = 0x5354_4943_4b45_5253;

/// A document's attributes, as its kind calls for.
fn attributes(a: &Attachment) -> Vec<enums::DocumentAttribute> {
    let (w, h) = dims(a);
    let (w, h) = (w as i32, h as i32);
    let duration = a.duration.unwrap_or(0);
    let mut out = Vec::new();
    match a.kind.as_str() {
        "img" => {
            out.push(enums::DocumentAttribute::ImageSize(
                types::DocumentAttributeImageSize { w, h },
            ));
            if a.sticker {
                out.push(enums::DocumentAttribute::Sticker(
                    types::DocumentAttributeSticker {
                        mask: false,
                        alt: "🙂".into(),
                        stickerset: enums::InputStickerSet::Id(types::InputStickerSetId {
                            id: STICKER_SET,
                            access_hash: STICKER_SET.rotate_left(13),
                        }),
                        mask_coords: None,
                    },
                ));
            }
        }
        "video" => {
            out.push(enums::DocumentAttribute::Video(
                types::DocumentAttributeVideo {
                    round_message: false,
                    supports_streaming: !a.gif,
                    // Telegram turns GIFs into silent MP4 animations.
                    nosound: a.gif,
                    duration: duration as f64,
                    w,
                    h,
                    preload_prefix_size: None,
                    video_start_ts: None,
                    video_codec: None,
                },
            ));
            if a.gif {
                out.push(enums::DocumentAttribute::Animated);
            }
        }
        "audio" => {
            // A music file's name is `Performer - Title.mp3`.
            let tags = a
                .file_name
                .as_deref()
                .and_then(|n| n.strip_suffix(".mp3"))
                .and_then(|n| n.split_once(" - "));
            out.push(enums::DocumentAttribute::Audio(
                types::DocumentAttributeAudio {
                    voice: a.voice_note,
                    duration: i32::try_from(duration).unwrap_or(i32::MAX),
                    title: tags.map(|(_, t)| t.to_string()),
                    performer: tags.map(|(p, _)| p.to_string()),
                    // A voice note's waveform: 5-bit samples (core.telegram.org/api/files).
                    waveform: a.voice_note.then(|| {
                        let mut w = vec![0; 63];
                        fill(&mut w, file_key(a.id.parse().unwrap_or(0), "waveform"), 0);
                        w
                    }),
                },
            ));
        }
        _ => {}
    }
    if let Some(name) = &a.file_name {
        out.push(enums::DocumentAttribute::Filename(
            types::DocumentAttributeFilename {
                file_name: name.clone(),
            },
        ));
    }
    out
}

/// A message's media, with a file reference issued now.
pub(crate) fn message_media(
    acct: &Account,
    chat: u32,
    message: u32,
    a: &Attachment,
    date: i32,
) -> enums::MessageMedia {
    let id: i64 = a.id.parse().unwrap_or(0);
    let access_hash = access_hash(acct.seed(), id);
    let file_reference = file_reference(acct, chat, message);
    let dc_id = i32::from(super::SANDBOX_DC);
    if is_photo(a) {
        return enums::MessageMedia::Photo(types::MessageMediaPhoto {
            spoiler: false,
            live_photo: false,
            photo: Some(enums::Photo::Photo(types::Photo {
                has_stickers: false,
                id,
                access_hash,
                file_reference,
                date,
                sizes: photo_sizes(a),
                video_sizes: None,
                dc_id,
            })),
            ttl_seconds: None,
            video: None,
        });
    }
    enums::MessageMedia::Document(types::MessageMediaDocument {
        nopremium: false,
        spoiler: false,
        video: a.kind == "video" && !a.gif,
        round: false,
        voice: a.voice_note,
        document: Some(enums::Document::Document(types::Document {
            id,
            access_hash,
            file_reference,
            date,
            mime_type: a.mimetype.clone().unwrap_or_default(),
            size: a.file_size.unwrap_or(0),
            thumbs: document_thumbs(a),
            video_thumbs: None,
            dc_id,
            attributes: attributes(a),
        })),
        alt_documents: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    })
}

// ---- bytes ----

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// splitmix64's finalizer (as the generator's `hash.rs`): well mixed, stable forever.
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The key of one file's byte stream.
fn file_key(id: i64, thumb: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(b"file")
        .chain_update(id.to_le_bytes())
        .chain_update(thumb.as_bytes())
        .finalize();
    let mut k = [0; 8];
    k.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(k)
}

/// Fills `out` with the stream of `key` from byte `offset` on.
fn fill(out: &mut [u8], key: u64, offset: u64) {
    let mut pos = offset;
    let mut i = 0;
    while i < out.len() {
        let word = mix(key ^ (pos / 8).wrapping_mul(GOLDEN)).to_le_bytes();
        let from = (pos % 8) as usize;
        let n = (8 - from).min(out.len() - i);
        out[i..i + n].copy_from_slice(&word[from..from + n]);
        i += n;
        pos += n as u64;
    }
}

/// The magic number a file of this media type starts with.
fn magic(mime: &str) -> &'static [u8] {
    match mime {
        "image/jpeg" => b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00",
        "image/webp" => b"RIFF\x00\x00\x00\x00WEBPVP8 ",
        "video/mp4" => b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41",
        "audio/mpeg" => b"ID3\x04\x00\x00\x00\x00\x00\x00",
        "audio/ogg" => b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00",
        "application/pdf" => b"%PDF-1.7\n",
        m if m == "application/zip" || m.starts_with("application/vnd.openxmlformats") => {
            b"PK\x03\x04\x14\x00\x06\x00"
        }
        _ => b"",
    }
}

/// `len` bytes of a file of `size` bytes from `offset` (fewer at its end).
fn chunk(file: &File, key: u64, offset: u64, len: usize) -> Vec<u8> {
    let size = u64::try_from(file.size).unwrap_or(0);
    let len = usize::try_from(size.saturating_sub(offset))
        .unwrap_or(usize::MAX)
        .min(len);
    let mut out = vec![0; len];
    fill(&mut out, key, offset);
    if file.mime == "text/plain" {
        const TEXT: &[u8] = b"abcdefghijklmnopqrstuvwxyz     .,\n";
        for b in &mut out {
            *b = TEXT[usize::from(*b) % TEXT.len()];
        }
    }
    let head = magic(&file.mime);
    if let Ok(start) = usize::try_from(offset) {
        for (i, b) in head.iter().enumerate().skip(start).take(len) {
            out[i - start] = *b;
        }
    }
    out
}

/// The bytes the simulator serves for a sandbox message's attachment (a photo's largest size,
/// or the document itself): `len` bytes from `offset`, fewer at the end of the file.
pub fn attachment_bytes(a: &Attachment, offset: u64, len: usize) -> Vec<u8> {
    let id: i64 = a.id.parse().unwrap_or(0);
    match files(a).pop() {
        Some(file) => chunk(&file, file_key(id, &file.thumb), offset, len),
        None => Vec::new(),
    }
}

// ---- upload.getFile ----

/// Checks a part against the rules of core.telegram.org/api/files, "Downloading files".
fn check_part(precise: bool, offset: i64, limit: i32) -> Result<(), &'static str> {
    let limit = i64::from(limit);
    let align = if precise { PRECISE_ALIGN } else { ALIGN };
    if offset < 0 || offset % align != 0 {
        return Err("OFFSET_INVALID");
    }
    if limit <= 0 || limit % align != 0 {
        return Err("LIMIT_INVALID");
    }
    if (precise && limit > CHUNK) || (!precise && CHUNK % limit != 0) {
        return Err("LIMIT_INVALID");
    }
    // The part may not cross a chunk boundary (written so as not to overflow: any offset may
    // be asked for, and one past the end of the file answers no bytes).
    if offset % CHUNK + limit > CHUNK {
        return Err("LIMIT_INVALID");
    }
    Ok(())
}

fn storage_type(mime: &str) -> enums::storage::FileType {
    use enums::storage::FileType as T;
    match mime {
        "image/jpeg" => T::FileJpeg,
        "image/gif" => T::FileGif,
        "image/png" => T::FilePng,
        "image/webp" => T::FileWebp,
        "application/pdf" => T::FilePdf,
        "audio/mpeg" => T::FileMp3,
        "video/quicktime" => T::FileMov,
        "video/mp4" => T::FileMp4,
        _ => T::FileUnknown,
    }
}

/// `upload.getFile`, after the fault gate.
pub(crate) fn get_file(acct: &Account, q: &functions::upload::GetFile) -> Answer {
    if let Err(e) = check_part(q.precise, q.offset, q.limit) {
        return err(e);
    }
    let (id, hash, reference, thumb, photo) = match &q.location {
        enums::InputFileLocation::InputPhotoFileLocation(l) => {
            (l.id, l.access_hash, &l.file_reference, &l.thumb_size, true)
        }
        enums::InputFileLocation::InputDocumentFileLocation(l) => {
            (l.id, l.access_hash, &l.file_reference, &l.thumb_size, false)
        }
        _ => return err("LOCATION_INVALID"),
    };
    let now = acct.tick_file_clock();
    if reference.is_empty() {
        return err("FILE_REFERENCE_EMPTY");
    }
    let Some(origin) = origin(&acct.home_key, reference) else {
        return err("FILE_REFERENCE_INVALID");
    };
    if now.saturating_sub(origin.issued) > FILE_REFERENCE_LIFETIME {
        return err("FILE_REFERENCE_EXPIRED");
    }
    let ds = &acct.dataset;
    let (Some(info), Some(key)) = (
        ds.chat_info(origin.chat),
        ds.message_key(origin.chat, origin.message),
    ) else {
        return err("FILE_REFERENCE_INVALID");
    };
    let wire = ds.wire_message(&info, key);
    let Some(a) = wire
        .message
        .attachments
        .iter()
        .find(|a| a.id == id.to_string() && is_photo(a) == photo)
    else {
        return err("FILE_ID_INVALID");
    };
    if hash != access_hash(acct.seed(), id) {
        return err("FILE_ID_INVALID");
    }
    let Some(file) = files(a).into_iter().find(|f| f.thumb == *thumb) else {
        return err("LOCATION_INVALID");
    };
    let offset = u64::try_from(q.offset).unwrap_or(0);
    let bytes = chunk(
        &file,
        file_key(id, &file.thumb),
        offset,
        usize::try_from(q.limit).unwrap_or(0),
    );
    let whole = offset == 0 && bytes.len() as i64 == file.size;
    let r#type = if whole {
        storage_type(&file.mime)
    } else {
        enums::storage::FileType::FilePartial
    };
    Answer::Result(
        enums::upload::File::File(types::upload::File {
            r#type,
            mtime: (wire.message.timestamp_ms / 1000) as i32,
            bytes,
        })
        .to_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_rules_follow_telegram() {
        // Without `precise`.
        assert_eq!(check_part(false, 0, 512 * 1024), Ok(()));
        assert_eq!(check_part(false, 512 * 1024, 512 * 1024), Ok(()));
        assert_eq!(check_part(false, 3 * MB, 1024 * 1024), Ok(()));
        assert_eq!(check_part(false, 4096, 4096), Ok(()));
        assert_eq!(check_part(false, 1024, 4096), Err("OFFSET_INVALID"));
        assert_eq!(check_part(false, -4096, 4096), Err("OFFSET_INVALID"));
        assert_eq!(check_part(false, 0, 1000), Err("LIMIT_INVALID"));
        assert_eq!(check_part(false, 0, 0), Err("LIMIT_INVALID"));
        // 12 KB divides by 4 KB but not 1 MB.
        assert_eq!(check_part(false, 0, 12 * 1024), Err("LIMIT_INVALID"));
        assert_eq!(check_part(false, 0, 2 * 1024 * 1024), Err("LIMIT_INVALID"));
        // Telethon #4390: 128 KB at 960 KB crosses the first megabyte.
        assert_eq!(check_part(false, 983_040, 131_072), Err("LIMIT_INVALID"));
        // With `precise`: 1 KB steps, any limit up to 1 MB, still within one megabyte.
        assert_eq!(check_part(true, 1024, 3 * 1024), Ok(()));
        assert_eq!(check_part(true, 1000, 1024), Err("OFFSET_INVALID"));
        assert_eq!(check_part(true, 0, 1500), Err("LIMIT_INVALID"));
        assert_eq!(
            check_part(true, 0, 1024 * 1024 + 1024),
            Err("LIMIT_INVALID")
        );
        assert_eq!(check_part(true, MB - 1024, 2048), Err("LIMIT_INVALID"));
    }

    #[test]
    fn bytes_are_the_same_whatever_the_parts() {
        let a = Attachment {
            id: "77".into(),
            kind: "file".into(),
            mimetype: Some("application/pdf".into()),
            file_size: Some(100_003),
            ..Default::default()
        };
        let whole = attachment_bytes(&a, 0, 1 << 20);
        assert_eq!(whole.len(), 100_003);
        assert!(whole.starts_with(b"%PDF-1.7\n"));
        let mut parts = Vec::new();
        let mut offset = 0;
        for len in [3, 5, 4096, 1, 7, 50_000, 1 << 20] {
            let part = attachment_bytes(&a, offset, len);
            offset += part.len() as u64;
            parts.extend(part);
        }
        assert_eq!(parts, whole);
        assert!(attachment_bytes(&a, 100_003, 10).is_empty());
        let other = Attachment {
            id: "78".into(),
            ..a.clone()
        };
        assert_ne!(attachment_bytes(&other, 0, 4096), whole[..4096]);
    }
}
