//! Pictures and `renderContent`: a member's profile picture, and a message's attachments as
//! LinkedIn's records (mautrix/linkedin `pkg/linkedingo/media.go`, `messages.go`), with the
//! seat an InMail went through.
//!
//! The generator writes URLs with LinkedIn's hosts; here they move to the simulator, which
//! serves them (`media`).

use serde::{Serialize, Serializer};

use super::render::{typed, Null, TypeTag};
use crate::generator::linkedin::{Media, MediaKind, Picture, LICDN, LINKEDIN, PICTURE_SIZES};

/// A list LinkedIn sends empty in these records.
type EmptyList = [(); 0];

/// `live` (a URL on www.linkedin.com or media.licdn.com, as the generator writes them) on the
/// simulator at `base_url`. Other URLs are left as they are.
pub fn simulated_url(base_url: &str, live: &str) -> String {
    match [LINKEDIN, LICDN]
        .iter()
        .find_map(|host| live.strip_prefix(host))
    {
        Some(path) => format!("{}{path}", base_url.trim_end_matches('/')),
        None => live.to_string(),
    }
}

/// A URL of the generator's, written as [`simulated_url`] puts it.
pub(super) struct SimUrl<'a> {
    base: &'a str,
    live: String,
}

impl<'a> SimUrl<'a> {
    pub(super) fn new(base: &'a str, live: String) -> SimUrl<'a> {
        SimUrl { base, live }
    }
}

impl Serialize for SimUrl<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&simulated_url(self.base, &self.live))
    }
}

/// `com.linkedin.common.VectorImage`, field for field as a captured conversation listing
/// shows a profile picture (UmairRathore/tradeapp `pythontest/fetchconnections.py`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VectorImage<'a> {
    digitalmedia_asset: Null,
    #[serde(flatten)]
    tag: TypeTag,
    attribution: Null,
    focal_point: Null,
    artifacts: Vec<VectorArtifact>,
    root_url: SimUrl<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VectorArtifact {
    width: u32,
    #[serde(flatten)]
    tag: TypeTag,
    file_identifying_url_path_segment: String,
    height: u32,
}

fn vector_image(base: &str, root: String, artifacts: Vec<(u32, u32, String)>) -> VectorImage<'_> {
    VectorImage {
        digitalmedia_asset: (),
        tag: typed("com.linkedin.common.VectorImage"),
        attribution: (),
        focal_point: (),
        artifacts: artifacts
            .into_iter()
            .map(|(width, height, segment)| VectorArtifact {
                width,
                tag: typed("com.linkedin.common.VectorArtifact"),
                file_identifying_url_path_segment: segment,
                height,
            })
            .collect(),
        root_url: SimUrl::new(base, root),
    }
}

/// A profile picture in its four sizes.
pub(super) fn picture<'a>(base: &'a str, p: &Picture) -> VectorImage<'a> {
    let artifacts = PICTURE_SIZES
        .iter()
        .enumerate()
        .map(|(i, side)| (*side, *side, p.segment(i)))
        .collect();
    vector_image(base, p.root_url(), artifacts)
}

/// An item of `renderContent`: `{"file": {…}}`, `{"vectorImage": {…}}`…
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum RenderContent<'a> {
    File(File<'a>),
    VectorImage(VectorImage<'a>),
    Video(Video<'a>),
    Audio(Audio<'a>),
    HostUrnData(HostUrnData),
}

/// `com.linkedin.messenger.File`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct File<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    asset_urn: String,
    byte_size: u64,
    media_type: &'static str,
    name: Option<String>,
    url: SimUrl<'a>,
}

/// `com.linkedin.videocontent.VideoPlayMetadata`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Video<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    entity_urn: String,
    media: String,
    /// Milliseconds.
    duration: u64,
    aspect_ratio: f64,
    thumbnail: Option<VectorImage<'a>>,
    progressive_streams: [ProgressiveStream<'a>; 1],
    adaptive_streams: EmptyList,
}

/// `com.linkedin.videocontent.ProgressiveDownloadMetadata`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProgressiveStream<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    streaming_locations: [StreamingLocation<'a>; 1],
    size: u64,
    bit_rate: u64,
    width: u32,
    height: u32,
    media_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StreamingLocation<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    url: SimUrl<'a>,
    expires_at: Null,
}

/// `com.linkedin.messenger.AudioMetadata`.
#[derive(Serialize)]
pub(super) struct Audio<'a> {
    #[serde(flatten)]
    tag: TypeTag,
    /// Milliseconds.
    duration: u64,
    url: SimUrl<'a>,
}

/// A shared post (`FEED_UPDATE`), or the Recruiter or Sales Navigator seat an InMail went
/// through.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HostUrnData {
    #[serde(flatten)]
    tag: TypeTag,
    #[serde(rename = "type")]
    kind: &'static str,
    host_urn: String,
}

pub(super) fn host_urn_data(kind: &'static str, host_urn: String) -> RenderContent<'static> {
    RenderContent::HostUrnData(HostUrnData {
        tag: typed("com.linkedin.messenger.HostUrnData"),
        kind,
        host_urn,
    })
}

/// An attachment as its `renderContent` item.
pub(super) fn item<'a>(base: &'a str, m: &Media) -> RenderContent<'a> {
    match m.kind {
        MediaKind::Image => RenderContent::VectorImage(vector_image(
            base,
            m.image_root(),
            vec![(m.width, m.height, m.image_segment())],
        )),
        MediaKind::Video => RenderContent::Video(Video {
            tag: typed("com.linkedin.videocontent.VideoPlayMetadata"),
            entity_urn: m.asset_urn(),
            media: m.asset_urn(),
            duration: m.duration_ms,
            aspect_ratio: f64::from(m.width) / f64::from(m.height.max(1)),
            thumbnail: m.thumbnail.map(|(w, h, _)| {
                vector_image(base, m.image_root(), vec![(w, h, m.image_segment())])
            }),
            progressive_streams: [ProgressiveStream {
                tag: typed("com.linkedin.videocontent.ProgressiveDownloadMetadata"),
                streaming_locations: [StreamingLocation {
                    tag: typed("com.linkedin.videocontent.StreamingLocation"),
                    url: SimUrl::new(base, m.file_url()),
                    expires_at: (),
                }],
                size: m.bytes,
                bit_rate: m.bit_rate,
                width: m.width,
                height: m.height,
                media_type: m.media_type,
            }],
            adaptive_streams: [],
        }),
        MediaKind::Audio => RenderContent::Audio(Audio {
            tag: typed("com.linkedin.messenger.AudioMetadata"),
            duration: m.duration_ms,
            url: SimUrl::new(base, m.file_url()),
        }),
        MediaKind::File => RenderContent::File(File {
            tag: typed("com.linkedin.messenger.File"),
            asset_urn: m.asset_urn(),
            byte_size: m.bytes,
            media_type: m.media_type,
            name: m.file_name.clone(),
            url: SimUrl::new(base, m.file_url()),
        }),
        MediaKind::Post => host_urn_data("FEED_UPDATE", m.post_host_urn()),
    }
}
