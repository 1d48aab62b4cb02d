//! The attachments of LinkedIn messages and the bytes behind them.
//!
//! What a message's `renderContent` carries, per kind (mautrix/linkedin
//! `pkg/linkedingo/media.go` and `messages.go`, which read these records):
//! - a picture: `vectorImage`, a `VectorImage` (`rootUrl`, `artifacts[]` with `width`,
//!   `height`, `fileIdentifyingUrlPathSegment`); no byte size, no media type;
//! - a video: `video`, a `VideoPlayMetadata` (`entityUrn`, `media`, `duration` in ms,
//!   `aspectRatio`, `thumbnail`, `progressiveStreams[]` with `size`, `bitRate`, `width`,
//!   `height`, `mediaType`, `streamingLocations[].url`);
//! - a voice message: `audio`, an `AudioMetadata` (`duration` in ms, `url`); mautrix sends and
//!   shows every LinkedIn audio clip as a voice message (`MediaUploadTypeVoiceMessage`,
//!   `pkg/connector/tomatrix.go`);
//! - a file: `file` (`assetUrn`, `byteSize`, `mediaType`, `name`, `url`);
//! - a shared post: `hostUrnData` of type `FEED_UPDATE` whose `hostUrn` is
//!   `urn:li:fsd_update:(urn:li:activity:<n>,MESSAGING_RESHARE,EMPTY,DEFAULT,false)`, shown as
//!   `https://www.linkedin.com/feed/update/urn:li:activity:<n>` (`tomatrix.go`).
//!
//! Where the files live: message media are served by www.linkedin.com itself, under
//! `/dms/prv/image/v2/<asset>/messaging-image-720/<token>/0/<ms>?m=…&ne=1&v=beta&t=…` for
//! pictures and `/dms/prv/vid/v2/<asset>/messaging-attachmentFile/<token>/0/<ms>?m=…` for
//! files (such URLs are quoted in many public repositories, e.g. links copied out of the web
//! app). Assets are `urn:li:digitalmediaAsset:<asset>` (the `assetUrn` a file is sent with).
//! No public capture shows the path of a video stream or an audio clip: the simulator files
//! them with the attachments (`/dms/prv/vid/…`), and a video's thumbnail with the pictures.
//! Nor does any show the content type of the served audio: the simulator says `audio/mp4`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use msgsync_providers::{Attachment, AttachmentSize};
use serde_json::{json, Value};

use super::super::common::Params;
use super::super::hash::{hash, mix, Rng};
use super::{id_word, token, LINKEDIN};
use crate::generator::{Dataset, MessageKey};

/// Salts of the media streams (apart from `common::salt`, 1–5). Never renumber them.
const MEDIA_SALT: u64 = 0x4c49_0002;
const BYTES_SALT: u64 = 0x4c49_0003;
const ASSET_SALT: u64 = 0x4c49_0004;
const PICTURE_BYTES_SALT: u64 = 0x4c49_0005;

/// What every asset id of the sandbox starts with (real ones start with `D4E06AQ`, `D5606AQ`…).
const ASSET_PREFIX: &str = "D4E06AQ";
/// Pictures are served at most this many pixels on their long side (`messaging-image-720`).
const IMAGE_EDGE: u32 = 720;
/// The longest voice message LinkedIn records.
const MAX_VOICE_MS: u64 = 60_000;

/// `(extension, media type, least bytes, most bytes)` of the files people send.
#[rustfmt::skip]
const FILE_TYPES: &[(&str, &str, u64, u64)] = &[
    ("pdf", "application/pdf", 20_000, 15_000_000),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 10_000, 5_000_000),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 8_000, 8_000_000),
    ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", 200_000, 40_000_000),
    ("zip", "application/zip", 50_000, 50_000_000),
    ("png", "image/png", 30_000, 6_000_000),
];

#[rustfmt::skip]
const FILE_STEMS: &[&str] = &[
    "resume", "portfolio", "proposal", "invoice", "slides", "report", "contract", "case study",
    "offer letter", "brief", "roadmap", "references",
];

/// Width and height (landscape) of the videos people send; some are turned upright.
const VIDEO_SIZES: &[(u32, u32)] = &[
    (640, 360),
    (854, 480),
    (1280, 720),
    (1920, 1080),
    (480, 480),
];
/// Aspect ratios (long side, short side) of pictures.
const IMAGE_RATIOS: &[(u32, u32)] = &[(4, 3), (16, 9), (3, 2), (1, 1)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaKind {
    Image,
    Video,
    Audio,
    File,
    Post,
}

/// One attachment of a generated message, with everything its wire form says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Media {
    pub(crate) kind: MediaKind,
    /// Its place among the message's attachments (and in `renderContent`).
    pub(crate) ordinal: u8,
    /// The digital media asset id: `D4E06AQ` and 12 characters.
    pub(crate) asset: String,
    /// The path token and the `m=` / `t=` signatures of its URLs.
    pub(crate) token: String,
    pub(crate) m: String,
    pub(crate) t: String,
    pub(crate) uploaded_ms: i64,
    /// Pixels of a picture or a video (0 otherwise).
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Milliseconds of a video or an audio clip (0 otherwise).
    pub(crate) duration_ms: u64,
    /// Bytes of the file (of the video stream for a video; 0 for a post).
    pub(crate) bytes: u64,
    /// Bits per second of a video stream.
    pub(crate) bit_rate: u64,
    pub(crate) media_type: &'static str,
    pub(crate) file_name: Option<String>,
    /// Pixels and bytes of a video's thumbnail picture.
    pub(crate) thumbnail: Option<(u32, u32, u64)>,
    /// The activity id of a shared post.
    pub(crate) activity: u64,
}

/// The asset id of attachment `ordinal` of message `msg` of chat `chat`: the three numbers,
/// masked by the seed, so that the simulator reads them back from a URL.
fn asset_id(params: &Params, chat: u32, msg: u32, ordinal: u8) -> String {
    let k = params.hash(ASSET_SALT, 0, 0);
    let mut raw = [0u8; 9];
    raw[..4].copy_from_slice(&(chat ^ k as u32).to_be_bytes());
    raw[4..8].copy_from_slice(&(msg ^ (k >> 32) as u32).to_be_bytes());
    raw[8] = ordinal ^ (mix(k) as u8);
    format!("{ASSET_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw))
}

/// `(chat, message, ordinal)` of an asset id made by [`asset_id`].
fn parse_asset(params: &Params, asset: &str) -> Option<(u32, u32, u8)> {
    let raw = URL_SAFE_NO_PAD
        .decode(asset.strip_prefix(ASSET_PREFIX)?)
        .ok()?;
    let raw: [u8; 9] = raw.try_into().ok()?;
    let k = params.hash(ASSET_SALT, 0, 0);
    let word = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((
        word(&raw[..4]) ^ k as u32,
        word(&raw[4..8]) ^ (k >> 32) as u32,
        raw[8] ^ (mix(k) as u8),
    ))
}

/// Scales `(w, h)` down so that neither side exceeds `edge`.
fn fit(w: u32, h: u32, edge: u32) -> (u32, u32) {
    let long = w.max(h);
    if long <= edge {
        return (w, h);
    }
    let scale =
        |x: u32| ((u64::from(x) * u64::from(edge) + u64::from(long) / 2) / u64::from(long)) as u32;
    (scale(w).max(1), scale(h).max(1))
}

/// Rounds milliseconds to whole seconds, as the API gives durations.
pub(crate) fn seconds(ms: u64) -> i64 {
    ((ms + 500) / 1000) as i64
}

fn one(params: &Params, rng: &mut Rng, chat: u32, msg: u32, ordinal: u8, ts: i64) -> Media {
    let kind = match rng.below(100) {
        0..=39 => MediaKind::Image,
        40..=64 => MediaKind::File,
        65..=76 => MediaKind::Video,
        77..=89 => MediaKind::Audio,
        _ => MediaKind::Post,
    };
    let mut media = Media {
        kind,
        ordinal,
        asset: asset_id(params, chat, msg, ordinal),
        token: token(rng, 15),
        m: token(rng, 58),
        t: token(rng, 43),
        uploaded_ms: ts,
        width: 0,
        height: 0,
        duration_ms: 0,
        bytes: 0,
        bit_rate: 0,
        media_type: "",
        file_name: None,
        thumbnail: None,
        activity: 0,
    };
    let upright = rng.chance(30);
    match kind {
        MediaKind::Image => {
            let (a, b) = *rng.pick(IMAGE_RATIOS);
            let long = if rng.chance(70) {
                IMAGE_EDGE
            } else {
                rng.range(240, u64::from(IMAGE_EDGE) - 1) as u32
            };
            let short = (long * b / a).max(1);
            (media.width, media.height) = if upright {
                (short, long)
            } else {
                (long, short)
            };
            let pixels = u64::from(media.width) * u64::from(media.height);
            // 0.4 to 3 bytes a pixel: photos and screenshots.
            media.bytes = pixels * rng.range(40, 300) / 100;
            media.media_type = "image/jpeg";
        }
        MediaKind::Video => {
            let (w, h) = *rng.pick(VIDEO_SIZES);
            (media.width, media.height) = if upright { (h, w) } else { (w, h) };
            media.duration_ms = rng.range(2_000, 180_000);
            media.bit_rate = rng.range(400_000, 4_000_000);
            media.bytes = (media.bit_rate * media.duration_ms / 8_000).max(100_000);
            media.media_type = "video/mp4";
            let (tw, th) = fit(media.width, media.height, IMAGE_EDGE);
            media.thumbnail = Some((tw, th, rng.range(15_000, 120_000)));
        }
        MediaKind::Audio => {
            media.duration_ms = rng.range(1_000, MAX_VOICE_MS);
            // 16 to 48 kbit/s.
            media.bytes = media.duration_ms * rng.range(2, 6);
            media.media_type = "audio/mp4";
        }
        MediaKind::File => {
            let (ext, media_type, lo, hi) = *rng.pick(FILE_TYPES);
            let stem = rng.pick(FILE_STEMS);
            let name = match rng.below(3) {
                0 => format!("{stem}.{ext}"),
                1 => format!("{stem}_v{}.{ext}", rng.range(2, 9)),
                _ => format!("{stem} {}.{ext}", rng.range(2019, 2026)),
            };
            media.file_name = Some(name);
            media.media_type = media_type;
            // Log-uniform: most files are small, a few are large.
            let (lo_log, hi_log) = ((lo as f64).ln(), (hi as f64).ln());
            let x = rng.below(1 << 20) as f64 / f64::from(1 << 20);
            media.bytes = (lo_log + x * (hi_log - lo_log)).exp() as u64;
        }
        MediaKind::Post => {
            // Activity ids are 19 digits.
            media.activity = rng.range(7_000_000_000_000_000_000, 7_399_999_999_999_999_999);
        }
    }
    media
}

/// The attachments of message `msg` of chat `chat`, sent at `ts`, for a message that has some:
/// one, sometimes two or three.
pub(crate) fn message_media(params: &Params, chat: u32, msg: u32, ts: i64) -> Vec<Media> {
    let mut rng = params.rng(MEDIA_SALT, u64::from(chat), u64::from(msg));
    let count = match rng.below(100) {
        0..=79 => 1,
        80..=94 => 2,
        _ => 3,
    };
    (0..count)
        .map(|ordinal| one(params, &mut rng, chat, msg, ordinal, ts))
        .collect()
}

impl Media {
    /// `urn:li:digitalmediaAsset:<asset>`.
    pub(crate) fn asset_urn(&self) -> String {
        format!("urn:li:digitalmediaAsset:{}", self.asset)
    }

    fn signed(&self) -> String {
        format!(
            "{}/0/{}?m={}&ne=1&v=beta&t={}",
            self.token, self.uploaded_ms, self.m, self.t
        )
    }

    /// `rootUrl` of a picture, or of a video's thumbnail.
    pub(crate) fn image_root(&self) -> String {
        format!("{LINKEDIN}/dms/prv/image/v2/{}/", self.asset)
    }

    /// `fileIdentifyingUrlPathSegment` of a picture, or of a video's thumbnail.
    pub(crate) fn image_segment(&self) -> String {
        format!("messaging-image-{IMAGE_EDGE}/{}", self.signed())
    }

    /// The URL of a file, a voice message or a video stream.
    pub(crate) fn file_url(&self) -> String {
        format!(
            "{LINKEDIN}/dms/prv/vid/v2/{}/messaging-attachmentFile/{}",
            self.asset,
            self.signed()
        )
    }

    /// `urn:li:activity:<n>` of a shared post.
    pub(crate) fn activity_urn(&self) -> String {
        format!("urn:li:activity:{}", self.activity)
    }

    /// The `hostUrn` of a shared post.
    pub(crate) fn post_host_urn(&self) -> String {
        format!(
            "urn:li:fsd_update:({},MESSAGING_RESHARE,EMPTY,DEFAULT,false)",
            self.activity_urn()
        )
    }

    /// Where the attachment is: the file, or the post's page.
    pub(crate) fn url(&self) -> String {
        match self.kind {
            MediaKind::Image => self.image_root() + &self.image_segment(),
            MediaKind::Video | MediaKind::Audio | MediaKind::File => self.file_url(),
            MediaKind::Post => format!("{LINKEDIN}/feed/update/{}", self.activity_urn()),
        }
    }

    /// The attachment as LinkedIn's record of it tells it: records with an asset URN (files,
    /// videos) and shared posts are named by it, the others by their place in the message.
    pub(crate) fn attachment(&self) -> Attachment {
        let size = Some(AttachmentSize {
            width: i64::from(self.width),
            height: i64::from(self.height),
        });
        let base = Attachment {
            id: self.ordinal.to_string(),
            url: Some(self.url()),
            ..Attachment::default()
        };
        match self.kind {
            MediaKind::Image => Attachment {
                kind: "img".into(),
                size,
                ..base
            },
            MediaKind::Video => Attachment {
                id: self.asset.clone(),
                kind: "video".into(),
                mimetype: Some(self.media_type.into()),
                file_size: Some(self.bytes as i64),
                size,
                duration: Some(seconds(self.duration_ms)),
                ..base
            },
            MediaKind::Audio => Attachment {
                kind: "audio".into(),
                duration: Some(seconds(self.duration_ms)),
                voice_note: true,
                ..base
            },
            MediaKind::File => Attachment {
                id: self.asset.clone(),
                kind: "file".into(),
                file_name: self.file_name.clone(),
                mimetype: Some(self.media_type.into()),
                file_size: Some(self.bytes as i64),
                ..base
            },
            MediaKind::Post => Attachment {
                id: self.activity.to_string(),
                kind: "linkedin_post".into(),
                ..base
            },
        }
    }

    /// The `renderContent` item, in short, for a message's `original`.
    pub(crate) fn original(&self) -> Value {
        match self.kind {
            MediaKind::Image => json!({"vectorImage": {"rootUrl": self.image_root(),
                "artifacts": [{"width": self.width, "height": self.height,
                    "fileIdentifyingUrlPathSegment": self.image_segment()}]}}),
            MediaKind::Video => json!({"video": {"entityUrn": self.asset_urn(),
                "duration": self.duration_ms, "progressiveStreams": [{"size": self.bytes,
                    "width": self.width, "height": self.height, "mediaType": self.media_type,
                    "streamingLocations": [{"url": self.file_url()}]}]}}),
            MediaKind::Audio => {
                json!({"audio": {"duration": self.duration_ms, "url": self.file_url()}})
            }
            MediaKind::File => {
                json!({"file": {"assetUrn": self.asset_urn(), "byteSize": self.bytes,
                "mediaType": self.media_type, "name": self.file_name, "url": self.file_url()}})
            }
            MediaKind::Post => {
                json!({"hostUrnData": {"type": "FEED_UPDATE", "hostUrn": self.post_host_urn()}})
            }
        }
    }

    /// The bytes of one of its files: the file itself, or a video's thumbnail.
    fn blob(&self, params: &Params, chat: u32, msg: u32, thumbnail: bool) -> Option<Blob> {
        let (len, content_type) = match (self.kind, thumbnail) {
            (MediaKind::Video, true) => (self.thumbnail?.2, "image/jpeg"),
            (_, true) | (MediaKind::Post, _) => return None,
            (_, false) => (self.bytes, self.media_type),
        };
        let key = params.hash(
            BYTES_SALT,
            (u64::from(chat) << 32) | u64::from(msg),
            (u64::from(self.ordinal) << 1) | u64::from(thumbnail),
        );
        Some(Blob::new(key, len, content_type))
    }
}

/// A file of the data set: its length, media type and bytes, computed on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Blob {
    key: u64,
    pub(crate) len: u64,
    pub(crate) content_type: &'static str,
}

/// The first bytes of a file of each type, so that the files look like what they claim.
fn magic(content_type: &str) -> &'static [u8] {
    match content_type {
        "image/jpeg" => b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00",
        "image/png" => b"\x89PNG\r\n\x1a\n",
        "video/mp4" => b"\x00\x00\x00\x20ftypisom",
        "audio/mp4" => b"\x00\x00\x00\x20ftypM4A ",
        "application/pdf" => b"%PDF-1.7\n",
        t if t == "application/zip" || t.starts_with("application/vnd.openxmlformats") => {
            b"PK\x03\x04"
        }
        _ => b"",
    }
}

impl Blob {
    fn new(key: u64, len: u64, content_type: &'static str) -> Blob {
        Blob {
            key,
            len,
            content_type,
        }
    }

    /// Writes the bytes at `offset..offset + buf.len()` (within the file) into `buf`: the
    /// type's magic, then a splitmix64 stream of the blob's key, 8 bytes a word.
    pub(crate) fn fill(&self, offset: u64, buf: &mut [u8]) {
        const STEP: u64 = 0xd1b5_4a32_d192_ed03;
        let mut done = 0;
        while done < buf.len() {
            let pos = offset + done as u64;
            let word = mix(self.key ^ (pos / 8).wrapping_mul(STEP)).to_le_bytes();
            let start = (pos % 8) as usize;
            let n = (8 - start).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&word[start..start + n]);
            done += n;
        }
        let magic = magic(self.content_type);
        if let Ok(from) = usize::try_from(offset) {
            if from < magic.len() {
                let n = (magic.len() - from).min(buf.len());
                buf[..n].copy_from_slice(&magic[from..from + n]);
            }
        }
    }
}

/// The file at a message media path (`/dms/prv/{image|vid}/v2/<asset>/…`, query ignored) of
/// the data set, if there is one: pictures and thumbnails under `image`, the rest under `vid`.
pub(crate) fn message_blob(ds: &Dataset, path: &str) -> Option<Blob> {
    let rest = path.strip_prefix("/dms/prv/")?;
    let (folder, rest) = rest.split_once("/v2/")?;
    let asset = rest.split('/').next()?;
    let params = &ds.params;
    let (chat, msg, ordinal) = parse_asset(params, asset)?;
    let info = ds.chat_info(chat)?;
    let key: MessageKey = ds.message_key(chat, msg)?;
    if ds.wire_message(&info, key).message.attachments.len() <= usize::from(ordinal) {
        return None;
    }
    let media = message_media(params, chat, msg, key.timestamp_ms)
        .into_iter()
        .nth(usize::from(ordinal))?;
    let thumbnail = match (folder, media.kind) {
        ("image", MediaKind::Image) | ("vid", _) => false,
        ("image", MediaKind::Video) => true,
        _ => return None,
    };
    media.blob(params, chat, msg, thumbnail)
}

/// The profile picture at a path `/dms/image/v2/<asset>/profile-displayphoto-shrink_<w>_<h>/…`:
/// public, like LinkedIn's media host, and the same for any asset id.
pub(crate) fn picture_blob(path: &str) -> Option<Blob> {
    let rest = path.strip_prefix("/dms/image/v2/")?;
    let (asset, rest) = rest.split_once('/')?;
    let size = rest.strip_prefix("profile-displayphoto-shrink_")?;
    let (w, rest) = size.split_once('_')?;
    let h: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let (w, h): (u64, u64) = (w.parse().ok()?, h.parse().ok()?);
    if w == 0 || h == 0 || w > 4096 || h > 4096 {
        return None;
    }
    let key = hash(&[PICTURE_BYTES_SALT, id_word(asset), w, h]);
    // 0.1 to 0.25 bytes a pixel: small JPEG portraits.
    let len = (w * h * (10 + key % 16) / 100).max(1024);
    Some(Blob::new(key, len, "image/jpeg"))
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use msgsync_core::ProviderKind;

    use super::*;
    use crate::scenario::Scenario;

    /// 2026-01-01T00:00:00Z.
    const ANCHOR: i64 = 1_767_225_600_000;
    const MB: i64 = 1_000_000;

    fn dataset(chats: u32, messages: u32) -> Dataset {
        let s = Scenario {
            chats,
            messages,
            ..Scenario::default()
        };
        Dataset::new(ProviderKind::Linkedin, &s, ANCHOR)
    }

    /// Every attachment of the data set, with the message it is in.
    fn attachments(ds: &Dataset) -> Vec<(String, Attachment)> {
        let mut out = Vec::new();
        for chat in 0..ds.chat_count() {
            let info = ds.chat_info(chat).unwrap();
            for key in ds.message_keys(chat).unwrap().iter() {
                let m = ds.message(&info, *key);
                let ids: HashSet<_> = m.attachments.iter().map(|a| a.id.clone()).collect();
                assert_eq!(ids.len(), m.attachments.len(), "ids unique in {m:?}");
                out.extend(
                    m.attachments
                        .into_iter()
                        .map(|a| (m.provider_id.clone(), a)),
                );
            }
        }
        out
    }

    #[test]
    fn every_kind_carries_what_its_record_tells() {
        let ds = dataset(60, 80);
        let all = attachments(&ds);
        let mut kinds: HashMap<String, usize> = HashMap::new();
        let mut large_videos = 0;
        for (_, a) in &all {
            *kinds.entry(a.kind.clone()).or_default() += 1;
            assert!(!a.unavailable && !a.sticker && !a.gif, "{a:?}");
            let url = a.url.as_deref().unwrap();
            let size = a.size.map(|s| (s.width, s.height));
            match a.kind.as_str() {
                "img" => {
                    let (w, h) = size.unwrap();
                    assert!(w > 0 && h > 0 && w.max(h) <= i64::from(IMAGE_EDGE), "{a:?}");
                    assert_eq!((a.file_size, a.mimetype.as_deref()), (None, None));
                    assert!(url.starts_with("https://www.linkedin.com/dms/prv/image/v2/D4E06AQ"));
                    assert!(url.contains("/messaging-image-720/") && url.contains("&v=beta&t="));
                }
                "video" => {
                    let (w, h) = size.unwrap();
                    assert!(w >= 360 && h >= 360, "{a:?}");
                    assert!(a.duration.is_some_and(|d| (2..=180).contains(&d)), "{a:?}");
                    assert!(a
                        .file_size
                        .is_some_and(|s| (100_000..=90 * MB).contains(&s)));
                    assert_eq!(a.mimetype.as_deref(), Some("video/mp4"));
                    assert!(url.contains("/dms/prv/vid/v2/") && a.id.starts_with("D4E06AQ"));
                    large_videos += usize::from(a.file_size.unwrap() >= 20 * MB);
                }
                "audio" => {
                    assert!(a.duration.is_some_and(|d| (1..=60).contains(&d)), "{a:?}");
                    assert!(a.voice_note && a.file_size.is_none() && size.is_none());
                }
                "file" => {
                    let name = a.file_name.as_deref().unwrap();
                    let ext = FILE_TYPES
                        .iter()
                        .find(|t| Some(t.1) == a.mimetype.as_deref())
                        .unwrap()
                        .0;
                    assert!(name.ends_with(&format!(".{ext}")), "{a:?}");
                    assert!(a.file_size.is_some_and(|s| (8_000..=50 * MB).contains(&s)));
                    assert!(url.contains("/messaging-attachmentFile/"));
                }
                "linkedin_post" => {
                    assert_eq!(a.id.len(), 19);
                    assert_eq!(
                        url,
                        format!(
                            "https://www.linkedin.com/feed/update/urn:li:activity:{}",
                            a.id
                        )
                    );
                }
                other => panic!("unexpected kind {other}"),
            }
        }
        for kind in ["img", "video", "audio", "file", "linkedin_post"] {
            assert!(kinds.get(kind).is_some_and(|n| *n >= 3), "{kinds:?}");
        }
        assert!(large_videos > 0, "no video of 20 MB or more");
        assert!(all
            .iter()
            .any(|(_, a)| a.file_size.is_some_and(|s| s < 100_000)));
        // Same seed, same attachments.
        assert_eq!(all, attachments(&dataset(60, 80)));
    }

    #[test]
    fn every_file_is_served_at_its_url_and_nothing_else() {
        let ds = dataset(30, 40);
        let mut served = 0;
        for (_, a) in attachments(&ds) {
            let path = a.url.as_deref().unwrap().strip_prefix(LINKEDIN).unwrap();
            let blob = message_blob(&ds, path);
            if a.kind == "linkedin_post" {
                assert_eq!(blob, None);
                continue;
            }
            let blob = blob.unwrap_or_else(|| panic!("nothing at {path}"));
            if let Some(size) = a.file_size {
                assert_eq!(blob.len as i64, size);
            }
            if let Some(t) = &a.mimetype {
                assert_eq!(blob.content_type, t);
            }
            assert!(blob.len > 0);
            served += 1;
            if a.kind == "video" {
                // The thumbnail is a picture of the same asset.
                let thumb = path.replacen("/vid/", "/image/", 1);
                assert_eq!(
                    message_blob(&ds, &thumb).unwrap().content_type,
                    "image/jpeg"
                );
            } else if a.kind == "file" || a.kind == "audio" {
                assert_eq!(
                    message_blob(&ds, &path.replacen("/vid/", "/image/", 1)),
                    None
                );
            }
        }
        assert!(served > 10, "{served}");
        // An attachment the message does not have, a message without any, an unknown asset.
        let params = &ds.params;
        let mut absent = 0;
        for msg in 0..40 {
            let path = |o| {
                format!(
                    "/dms/prv/vid/v2/{}/messaging-attachmentFile/x",
                    asset_id(params, 0, msg, o)
                )
            };
            if message_blob(&ds, &path(0)).is_none() {
                absent += 1;
            }
            assert_eq!(message_blob(&ds, &path(3)), None);
        }
        assert!(absent > 20, "{absent}");
        assert_eq!(
            message_blob(&ds, "/dms/prv/vid/v2/D4E06AQAAAAAAAAAAAAA/f"),
            None
        );
        assert_eq!(message_blob(&ds, "/dms/prv/vid/v2/XYZ/f"), None);
        assert_eq!(message_blob(&ds, "/voyager/api/me"), None);
    }

    #[test]
    fn assets_name_their_attachment() {
        let ds = dataset(1, 1);
        for (chat, msg, ordinal) in [(0, 0, 0), (7, 123_456, 2), (u32::MAX, u32::MAX, 255)] {
            let asset = asset_id(&ds.params, chat, msg, ordinal);
            assert_eq!(asset.len(), ASSET_PREFIX.len() + 12);
            assert_eq!(parse_asset(&ds.params, &asset), Some((chat, msg, ordinal)));
        }
    }

    #[test]
    fn bytes_are_the_same_however_they_are_read() {
        let blob = Blob::new(42, 10_000, "application/pdf");
        let mut whole = vec![0u8; 10_000];
        blob.fill(0, &mut whole);
        assert!(whole.starts_with(b"%PDF-1.7\n"));
        let mut pieces = Vec::new();
        let mut offset = 0u64;
        for n in [1usize, 3, 5, 8, 13, 2048, 7922] {
            let mut buf = vec![0u8; n];
            blob.fill(offset, &mut buf);
            pieces.extend_from_slice(&buf);
            offset += n as u64;
        }
        assert_eq!(pieces, whole);
        let other = Blob::new(43, 10_000, "application/pdf");
        let mut theirs = vec![0u8; 10_000];
        other.fill(0, &mut theirs);
        assert_ne!(theirs, whole);
    }

    #[test]
    fn profile_pictures_are_served_in_every_size() {
        let small = picture_blob("/dms/image/v2/D4E03AQx/profile-displayphoto-shrink_100_100/profile-displayphoto-shrink_100_100/0/1?e=2&v=beta&t=a").unwrap();
        let large = picture_blob("/dms/image/v2/D4E03AQx/profile-displayphoto-shrink_800_800/profile-displayphoto-shrink_800_800/0/1?e=2&v=beta&t=b").unwrap();
        assert!(small.len < large.len && small.content_type == "image/jpeg");
        assert_eq!(picture_blob("/dms/image/v2/D4E03AQx/other"), None);
    }
}
