//! A message's media: as an attachment, and as the file to download.
//!
//! What Telegram's media say (core.telegram.org/api/files, /type/DocumentAttribute,
//! /constructor/messageMediaDocument; grammers-client 0.11 `media/media.rs` reads them alike):
//!
//! - `messageMediaPhoto`: a `photo` of several sizes. The file is the largest downloadable size
//!   (`photoSize`, or `photoSizeProgressive` whose last prefix is the whole file); stripped,
//!   cached and path sizes are inline previews, not files. Photos are JPEG and have no name.
//! - `messageMediaDocument`: a `document` whose attributes tell its kind: a sticker
//!   (`documentAttributeSticker`), a GIF (`documentAttributeAnimated`, an MP4 animation with
//!   `documentAttributeVideo`), a video (`documentAttributeVideo`), music or a voice note
//!   (`documentAttributeAudio`, `voice` flag, or the media's own `voice` flag), else a file by
//!   its MIME type; `documentAttributeFilename` names it, `documentAttributeImageSize` or the
//!   video attribute give its pixel size.
//! - `photoEmpty`/`documentEmpty` (or a media without its photo or document, as expired
//!   self-destructing media are): the attachment is `unavailable`.

use grammers_tl_types::{enums, types};
use serde_json::{json, Value};

use crate::{Attachment, AttachmentSize};

/// Where a message's media is downloaded from, and what it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MediaFile {
    /// The photo or document id: the attachment's id.
    pub(crate) id: i64,
    pub(crate) location: enums::InputFileLocation,
    /// The file's length in bytes.
    pub(crate) size: i64,
    pub(crate) mime_type: String,
    /// The DC the file is stored in.
    pub(crate) dc_id: i32,
}

/// The downloadable size of a photo with the most bytes, as `(type, w, h, bytes)`.
fn largest_size(photo: &types::Photo) -> Option<(&str, i32, i32, i64)> {
    photo
        .sizes
        .iter()
        .filter_map(|s| match s {
            enums::PhotoSize::Size(s) => Some((s.r#type.as_str(), s.w, s.h, i64::from(s.size))),
            enums::PhotoSize::Progressive(s) => s
                .sizes
                .iter()
                .max()
                .map(|n| (s.r#type.as_str(), s.w, s.h, i64::from(*n))),
            _ => None,
        })
        .max_by_key(|(_, _, _, bytes)| *bytes)
}

fn pixels(w: i32, h: i32) -> Option<AttachmentSize> {
    (w > 0 && h > 0).then_some(AttachmentSize {
        width: i64::from(w),
        height: i64::from(h),
    })
}

/// A file name for a document that has none: the SDK requires one of files.
fn fallback_name(id: i64, mime: &str) -> String {
    let ext = match mime {
        "application/pdf" => ".pdf",
        "application/zip" => ".zip",
        "text/plain" => ".txt",
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        "video/mp4" => ".mp4",
        "audio/mpeg" => ".mp3",
        "audio/ogg" => ".ogg",
        _ => "",
    };
    format!("file_{id}{ext}")
}

/// A message's media as an attachment (`None` for media that are no file: a location, a
/// poll, a web page…), and its raw form.
pub(crate) fn attachment(m: &enums::MessageMedia) -> (Option<Attachment>, Value) {
    match m {
        enums::MessageMedia::Photo(p) => {
            let Some(enums::Photo::Photo(photo)) = &p.photo else {
                let id = match &p.photo {
                    Some(enums::Photo::Empty(e)) => e.id,
                    _ => 0,
                };
                let a = Attachment {
                    id: id.to_string(),
                    kind: "img".into(),
                    mimetype: Some("image/jpeg".into()),
                    unavailable: true,
                    ..Default::default()
                };
                return (Some(a), json!({"_": "messageMediaPhoto", "photo": null}));
            };
            let largest = largest_size(photo);
            let a = Attachment {
                id: photo.id.to_string(),
                kind: "img".into(),
                mimetype: Some("image/jpeg".into()),
                file_size: largest.map(|(_, _, _, bytes)| bytes),
                size: largest.and_then(|(_, w, h, _)| pixels(w, h)),
                ..Default::default()
            };
            let raw = json!({"_": "messageMediaPhoto", "photo_id": photo.id,
                "size": a.file_size, "w": a.size.map(|s| s.width), "h": a.size.map(|s| s.height)});
            (Some(a), raw)
        }
        enums::MessageMedia::Document(d) => {
            let Some(enums::Document::Document(doc)) = &d.document else {
                let id = match &d.document {
                    Some(enums::Document::Empty(e)) => e.id,
                    _ => 0,
                };
                let a = Attachment {
                    id: id.to_string(),
                    kind: "file".into(),
                    file_name: Some(fallback_name(id, "")),
                    unavailable: true,
                    ..Default::default()
                };
                return (
                    Some(a),
                    json!({"_": "messageMediaDocument", "document": null}),
                );
            };
            let a = document(d, doc);
            let raw = json!({"_": "messageMediaDocument", "document_id": doc.id,
                "mime_type": a.mimetype, "size": a.file_size, "file_name": a.file_name,
                "w": a.size.map(|s| s.width), "h": a.size.map(|s| s.height),
                "duration": a.duration, "voice": a.voice_note, "sticker": a.sticker, "gif": a.gif});
            (Some(a), raw)
        }
        other => (
            None,
            json!({"_": format!("{other:?}").split(['(', ' ']).next().unwrap_or("media")}),
        ),
    }
}

/// A document as an attachment, its kind told by its attributes.
fn document(media: &types::MessageMediaDocument, doc: &types::Document) -> Attachment {
    let mut file_name = None;
    let (mut sticker, mut animated) = (false, false);
    let mut image: Option<(i32, i32)> = None;
    let mut video: Option<&types::DocumentAttributeVideo> = None;
    let mut audio: Option<&types::DocumentAttributeAudio> = None;
    for attribute in &doc.attributes {
        match attribute {
            enums::DocumentAttribute::Filename(f) => file_name = Some(f.file_name.clone()),
            enums::DocumentAttribute::Sticker(_) => sticker = true,
            enums::DocumentAttribute::Animated => animated = true,
            enums::DocumentAttribute::ImageSize(i) => image = Some((i.w, i.h)),
            enums::DocumentAttribute::Video(v) => video = Some(v),
            enums::DocumentAttribute::Audio(a) => audio = Some(a),
            _ => {}
        }
    }
    let top = doc.mime_type.split('/').next().unwrap_or_default();
    let kind = if sticker {
        "img"
    } else if animated || video.is_some() {
        "video"
    } else if audio.is_some() || media.voice {
        "audio"
    } else {
        match top {
            "image" => "img",
            "video" => "video",
            "audio" => "audio",
            _ => "file",
        }
    };
    let size = video
        .map(|v| (v.w, v.h))
        .or(image)
        .and_then(|(w, h)| pixels(w, h));
    // Telegram gives a video's duration in seconds as a double, an audio's as an int.
    let duration = video
        .map(|v| v.duration.round() as i64)
        .or(audio.map(|a| i64::from(a.duration)));
    if kind == "file" && file_name.is_none() {
        file_name = Some(fallback_name(doc.id, &doc.mime_type));
    }
    Attachment {
        id: doc.id.to_string(),
        kind: kind.into(),
        file_name,
        mimetype: Some(doc.mime_type.clone()),
        file_size: Some(doc.size),
        size,
        duration,
        voice_note: kind == "audio" && (media.voice || audio.is_some_and(|a| a.voice)),
        sticker,
        gif: kind == "video" && animated,
        ..Default::default()
    }
}

/// The file of a message's media, to download it: a photo's largest size, or the document.
pub(crate) fn file(m: &enums::MessageMedia) -> Option<MediaFile> {
    match m {
        enums::MessageMedia::Photo(p) => {
            let Some(enums::Photo::Photo(photo)) = &p.photo else {
                return None;
            };
            let (thumb, _, _, size) = largest_size(photo)?;
            Some(MediaFile {
                id: photo.id,
                location: enums::InputFileLocation::InputPhotoFileLocation(
                    types::InputPhotoFileLocation {
                        id: photo.id,
                        access_hash: photo.access_hash,
                        file_reference: photo.file_reference.clone(),
                        thumb_size: thumb.to_string(),
                    },
                ),
                size,
                mime_type: "image/jpeg".into(),
                dc_id: photo.dc_id,
            })
        }
        enums::MessageMedia::Document(d) => {
            let Some(enums::Document::Document(doc)) = &d.document else {
                return None;
            };
            Some(MediaFile {
                id: doc.id,
                location: enums::InputFileLocation::InputDocumentFileLocation(
                    types::InputDocumentFileLocation {
                        id: doc.id,
                        access_hash: doc.access_hash,
                        file_reference: doc.file_reference.clone(),
                        // Empty: the document itself, not one of its thumbnails.
                        thumb_size: String::new(),
                    },
                ),
                size: doc.size,
                mime_type: doc.mime_type.clone(),
                dc_id: doc.dc_id,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(attributes: Vec<enums::DocumentAttribute>, mime: &str) -> types::Document {
        types::Document {
            id: 42,
            access_hash: 7,
            file_reference: vec![1, 2, 3],
            date: 0,
            mime_type: mime.into(),
            size: 123_456,
            thumbs: None,
            video_thumbs: None,
            dc_id: 4,
            attributes,
        }
    }

    fn media(doc: types::Document, voice: bool) -> enums::MessageMedia {
        enums::MessageMedia::Document(types::MessageMediaDocument {
            nopremium: false,
            spoiler: false,
            video: false,
            round: false,
            voice,
            document: Some(enums::Document::Document(doc)),
            alt_documents: None,
            video_cover: None,
            video_timestamp: None,
            ttl_seconds: None,
        })
    }

    fn video(duration: f64) -> enums::DocumentAttribute {
        enums::DocumentAttribute::Video(types::DocumentAttributeVideo {
            round_message: false,
            supports_streaming: true,
            nosound: false,
            duration,
            w: 1280,
            h: 720,
            preload_prefix_size: None,
            video_start_ts: None,
            video_codec: None,
        })
    }

    fn audio(voice: bool) -> enums::DocumentAttribute {
        enums::DocumentAttribute::Audio(types::DocumentAttributeAudio {
            voice,
            duration: 93,
            title: None,
            performer: None,
            waveform: None,
        })
    }

    fn name(n: &str) -> enums::DocumentAttribute {
        enums::DocumentAttribute::Filename(types::DocumentAttributeFilename {
            file_name: n.into(),
        })
    }

    #[test]
    fn documents_are_classified_by_their_attributes() {
        let sticker = enums::DocumentAttribute::Sticker(types::DocumentAttributeSticker {
            mask: false,
            alt: "🙂".into(),
            stickerset: enums::InputStickerSet::Empty,
            mask_coords: None,
        });
        let size = enums::DocumentAttribute::ImageSize(types::DocumentAttributeImageSize {
            w: 512,
            h: 384,
        });
        let cases = [
            (
                vec![size, sticker, name("sticker.webp")],
                "image/webp",
                false,
            ),
            (
                vec![video(4.4), enums::DocumentAttribute::Animated],
                "video/mp4",
                false,
            ),
            (vec![video(61.6), name("v.mp4")], "video/mp4", false),
            (vec![audio(false), name("a.mp3")], "audio/mpeg", false),
            (vec![audio(true)], "audio/ogg", false),
            (vec![audio(false)], "audio/ogg", true),
            (vec![name("report.pdf")], "application/pdf", false),
            (vec![], "application/pdf", false),
        ];
        let got: Vec<_> = cases
            .into_iter()
            .map(|(attributes, mime, voice)| {
                let (a, _) = attachment(&media(document(attributes, mime), voice));
                let a = a.unwrap();
                assert_eq!(a.id, "42");
                assert_eq!(a.file_size, Some(123_456));
                assert_eq!(a.mimetype.as_deref(), Some(mime));
                (
                    a.kind,
                    (a.sticker, a.gif, a.voice_note),
                    a.size.map(|s| (s.width, s.height)),
                    a.duration,
                    a.file_name,
                )
            })
            .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            got,
            vec![
                (
                    "img".into(),
                    (true, false, false),
                    Some((512, 384)),
                    None,
                    s("sticker.webp")
                ),
                (
                    "video".into(),
                    (false, true, false),
                    Some((1280, 720)),
                    Some(4),
                    None
                ),
                (
                    "video".into(),
                    (false, false, false),
                    Some((1280, 720)),
                    Some(62),
                    s("v.mp4")
                ),
                (
                    "audio".into(),
                    (false, false, false),
                    None,
                    Some(93),
                    s("a.mp3")
                ),
                ("audio".into(), (false, false, true), None, Some(93), None),
                ("audio".into(), (false, false, true), None, Some(93), None),
                (
                    "file".into(),
                    (false, false, false),
                    None,
                    None,
                    s("report.pdf")
                ),
                (
                    "file".into(),
                    (false, false, false),
                    None,
                    None,
                    s("file_42.pdf")
                ),
            ]
        );
    }

    #[test]
    fn a_photo_is_its_largest_downloadable_size() {
        let photo = types::Photo {
            has_stickers: false,
            id: 9,
            access_hash: 5,
            file_reference: vec![7],
            date: 0,
            sizes: vec![
                enums::PhotoSize::PhotoStrippedSize(types::PhotoStrippedSize {
                    r#type: "i".into(),
                    bytes: vec![1; 4000],
                }),
                enums::PhotoSize::Size(types::PhotoSize {
                    r#type: "m".into(),
                    w: 320,
                    h: 240,
                    size: 9_000,
                }),
                enums::PhotoSize::Progressive(types::PhotoSizeProgressive {
                    r#type: "y".into(),
                    w: 1280,
                    h: 960,
                    sizes: vec![10_000, 40_000, 160_000],
                }),
                enums::PhotoSize::Size(types::PhotoSize {
                    r#type: "x".into(),
                    w: 800,
                    h: 600,
                    size: 60_000,
                }),
            ],
            video_sizes: None,
            dc_id: 2,
        };
        let m = enums::MessageMedia::Photo(types::MessageMediaPhoto {
            spoiler: false,
            live_photo: false,
            photo: Some(enums::Photo::Photo(photo)),
            ttl_seconds: None,
            video: None,
        });
        let a = attachment(&m).0.unwrap();
        assert_eq!((a.kind.as_str(), a.file_size), ("img", Some(160_000)));
        assert_eq!(a.size.map(|s| (s.width, s.height)), Some((1280, 960)));
        assert!(a.file_name.is_none() && !a.unavailable);
        let f = file(&m).unwrap();
        assert_eq!((f.id, f.size, f.dc_id), (9, 160_000, 2));
        let enums::InputFileLocation::InputPhotoFileLocation(l) = f.location else {
            panic!("a photo location");
        };
        assert_eq!((l.thumb_size.as_str(), l.file_reference), ("y", vec![7]));

        // Expired self-destructing media and deleted files are unavailable.
        let gone = enums::MessageMedia::Photo(types::MessageMediaPhoto {
            spoiler: false,
            live_photo: false,
            photo: None,
            ttl_seconds: Some(10),
            video: None,
        });
        assert!(attachment(&gone).0.unwrap().unavailable);
        assert!(file(&gone).is_none());
        let deleted = enums::MessageMedia::Document(types::MessageMediaDocument {
            nopremium: false,
            spoiler: false,
            video: false,
            round: false,
            voice: false,
            document: Some(enums::Document::Empty(types::DocumentEmpty { id: 3 })),
            alt_documents: None,
            video_cover: None,
            video_timestamp: None,
            ttl_seconds: None,
        });
        let a = attachment(&deleted).0.unwrap();
        assert!(a.unavailable && a.id == "3");
    }
}
