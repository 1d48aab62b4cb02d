//! The media of Telegram messages, in provider-neutral terms: every kind a Telegram chat holds,
//! with the sizes, durations and names Telegram gives them.
//!
//! What each kind is on the wire (core.telegram.org/api/files, /constructor/documentAttribute*,
//! /constructor/messageMediaDocument; grammers-client 0.11 `media/media.rs` classifies them the
//! same way), which the simulator's `tl.rs` builds from these values:
//!
//! - photo: `messageMediaPhoto` with a `photo` of several sizes; the largest (type `y`,
//!   1280 px, or `w`, 2560 px, on the longest side) is the file. JPEG, no file name.
//! - sticker: a WebP `document` with `documentAttributeSticker`, `documentAttributeImageSize`
//!   (512 px on the longest side) and the file name `sticker.webp`.
//! - video: an MP4 `document` with `documentAttributeVideo` (duration, width, height).
//! - GIF: an MP4 `document` with `documentAttributeAnimated` beside `documentAttributeVideo`:
//!   Telegram converts GIFs to silent MP4 animations.
//! - music: an MP3 `document` with `documentAttributeAudio` (duration, title, performer).
//! - voice note: an Ogg/Opus `document` with `documentAttributeAudio` flagged `voice`, no name.
//! - document: any other file, named by `documentAttributeFilename`.
//!
//! Every draw is an integer draw (no floating point), so the data is the same everywhere.

use msgsync_providers::{Attachment, AttachmentSize};

use super::super::hash::Rng;

const KB: u64 = 1024;
const MB: u64 = 1024 * KB;

/// The longest side of a photo's largest size: Telegram's `y` (1280) and `w` (2560) types
/// (core.telegram.org/api/files, "Image thumbnail types").
const PHOTO_SIDE_Y: u64 = 1280;
const PHOTO_SIDE_W: u64 = 2560;
/// Stickers are 512 px on their longest side (core.telegram.org/stickers).
const STICKER_SIDE: u64 = 512;

/// The kinds of media, by share of the messages that carry one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Photo,
    Sticker,
    Video,
    Gif,
    Music,
    Voice,
    Document,
}

const KINDS: &[(Kind, u64)] = &[
    (Kind::Photo, 34),
    (Kind::Sticker, 11),
    (Kind::Video, 13),
    (Kind::Gif, 7),
    (Kind::Music, 5),
    (Kind::Voice, 14),
    (Kind::Document, 16),
];

/// Aspect ratios (width, height) of photos and videos as phones and cameras take them.
const ASPECTS: &[(u64, u64)] = &[(4, 3), (3, 4), (16, 9), (9, 16), (1, 1), (3, 2)];
/// Video resolutions (width, height).
const VIDEO_SIZES: &[(u64, u64)] = &[
    (1280, 720),
    (720, 1280),
    (1920, 1080),
    (1080, 1920),
    (848, 480),
    (640, 360),
];
/// GIF (animation) resolutions.
const GIF_SIZES: &[(u64, u64)] = &[(480, 270), (320, 320), (498, 280), (360, 480), (400, 225)];

/// Documents: extension and media type.
const DOCUMENTS: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("pdf", "application/pdf"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("zip", "application/zip"),
    ("txt", "text/plain"),
];
const DOCUMENT_NAMES: &[&str] = &[
    "report", "slides", "contract", "resume", "invoice", "notes", "budget", "minutes", "draft",
    "specs", "photos", "export",
];

const PERFORMERS: &[&str] = &[
    "The Lanterns",
    "Mira Vale",
    "Northbound",
    "Echo Park Trio",
    "Sofia Lind",
    "Paper Kites Club",
];
const TITLES: &[&str] = &[
    "Morning Light",
    "Slow Train",
    "Harbour",
    "Paper Moon",
    "Weekend",
    "Blue Hour",
    "Static",
    "Long Way Home",
];

/// A value from `lo..=hi` whose order of magnitude is uniform (an octave, then a value in it):
/// small files are as common as large ones per octave, as they are in real chats.
fn octaves(rng: &mut Rng, lo: u64, hi: u64) -> u64 {
    let lo = lo.max(1);
    let count = u64::from((hi / lo).max(1).ilog2()) + 1;
    let start = lo << rng.below(count);
    rng.range(start, (start * 2).min(hi)).min(hi)
}

/// `(width, height)` with `side` on the longest side and the other from an aspect ratio.
fn oriented(side: u64, (aw, ah): (u64, u64)) -> (u64, u64) {
    if aw >= ah {
        (side, side * ah / aw)
    } else {
        (side * aw / ah, side)
    }
}

fn size(w: u64, h: u64) -> Option<AttachmentSize> {
    Some(AttachmentSize {
        width: w as i64,
        height: h as i64,
    })
}

/// The media of a message, `id` being its photo or document id. `rng` is the message's own
/// media stream, so drawing it leaves the message's other draws alone.
pub(crate) fn attachment(rng: &mut Rng, id: String) -> Attachment {
    let total: u64 = KINDS.iter().map(|(_, share)| share).sum();
    let mut roll = rng.below(total);
    let kind = KINDS
        .iter()
        .find(|(_, share)| {
            let hit = roll < *share;
            roll = roll.saturating_sub(*share);
            hit
        })
        .map_or(Kind::Document, |(kind, _)| *kind);
    let mut a = Attachment {
        id,
        ..Default::default()
    };
    match kind {
        Kind::Photo => {
            let large = rng.chance(20);
            let side = if large { PHOTO_SIDE_W } else { PHOTO_SIDE_Y };
            let (w, h) = oriented(side, *rng.pick(ASPECTS));
            a.kind = "img".into();
            a.mimetype = Some("image/jpeg".into());
            a.size = size(w, h);
            a.file_size = Some(if large {
                octaves(rng, 400 * KB, 4 * MB)
            } else {
                octaves(rng, 40 * KB, 640 * KB)
            } as i64);
        }
        Kind::Sticker => {
            let (w, h) = oriented(STICKER_SIDE, *rng.pick(&[(1, 1), (1, 1), (4, 3), (3, 4)]));
            a.kind = "img".into();
            a.sticker = true;
            a.mimetype = Some("image/webp".into());
            a.file_name = Some("sticker.webp".into());
            a.size = size(w, h);
            a.file_size = Some(rng.range(8 * KB, 64 * KB) as i64);
        }
        Kind::Video => {
            let (w, h) = *rng.pick(VIDEO_SIZES);
            let seconds = octaves(rng, 2, 300);
            // Phone video: about 40 KB to 250 KB a second.
            let rate = rng.range(40 * KB, 250 * KB);
            a.kind = "video".into();
            a.mimetype = Some("video/mp4".into());
            a.file_name = Some(format!("VID_{}.mp4", rng.range(1000, 9999)));
            a.size = size(w, h);
            a.duration = Some(seconds as i64);
            a.file_size = Some((seconds * rate).clamp(60 * KB, 80 * MB) as i64);
        }
        Kind::Gif => {
            let (w, h) = *rng.pick(GIF_SIZES);
            a.kind = "video".into();
            a.gif = true;
            a.mimetype = Some("video/mp4".into());
            a.file_name = Some("animation.gif.mp4".into());
            a.size = size(w, h);
            a.duration = Some(rng.range(1, 12) as i64);
            a.file_size = Some(octaves(rng, 60 * KB, 3 * MB) as i64);
        }
        Kind::Music => {
            let seconds = rng.range(90, 420);
            let performer = *rng.pick(PERFORMERS);
            let title = *rng.pick(TITLES);
            a.kind = "audio".into();
            a.mimetype = Some("audio/mpeg".into());
            a.file_name = Some(format!("{performer} - {title}.mp3"));
            a.duration = Some(seconds as i64);
            // 128 kbit/s MP3, plus its tags.
            a.file_size = Some((seconds * 16_000 + rng.range(2 * KB, 60 * KB)) as i64);
        }
        Kind::Voice => {
            let seconds = octaves(rng, 1, 180);
            a.kind = "audio".into();
            a.voice_note = true;
            a.mimetype = Some("audio/ogg".into());
            a.duration = Some(seconds as i64);
            // Opus at about 32 kbit/s.
            a.file_size = Some((seconds * rng.range(3_500, 4_500)).max(2 * KB) as i64);
        }
        Kind::Document => {
            let (ext, mime) = *rng.pick(DOCUMENTS);
            let name = *rng.pick(DOCUMENT_NAMES);
            a.kind = "file".into();
            a.mimetype = Some(mime.into());
            a.file_name = Some(if rng.chance(50) {
                format!("{name}.{ext}")
            } else {
                format!("{name}_{}.{ext}", rng.range(2019, 2026))
            });
            a.file_size = Some(octaves(rng, 12 * KB, 30 * MB) as i64);
        }
    }
    a
}
