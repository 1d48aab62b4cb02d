//! The files behind the media URLs the simulator renders, streamed.
//!
//! Message media are private: LinkedIn serves them on the web app's own host under
//! `/dms/prv/…`, to the member's browser session (mautrix/linkedin fetches them with its
//! cookie jar and the browser's headers, without the API's CSRF token: `pkg/linkedingo/media.go`
//! `DownloadHTTP`). Here they answer like any request of the session: its cookie, latency and
//! faults, but no CSRF check. Profile pictures live on LinkedIn's public media host
//! (`media.licdn.com/dms/image/…`, signed URLs, no cookies): here at `/dms/image/…`, public.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use msgsync_core::ProviderKind;

use crate::generator::linkedin::{self, Blob};
use crate::scenario::Scenario;
use crate::SandboxHub;

/// The size of the pieces a body is written in: a large file is never held whole.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// A file as the simulator serves it: its media type, its length and its bytes, all
/// determined by the data set and the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaFile {
    blob: Blob,
}

impl MediaFile {
    /// The file at the path (`/dms/prv/…`) of a message attachment of `scenario`'s LinkedIn
    /// data, or `None` when no attachment of the data set is there.
    pub fn of_message(hub: &SandboxHub, scenario: &Scenario, path: &str) -> Option<MediaFile> {
        let ds = hub.dataset(ProviderKind::Linkedin, scenario);
        linkedin::message_blob(&ds, path).map(|blob| MediaFile { blob })
    }

    /// The profile picture at a path `/dms/image/v2/…`.
    pub fn of_picture(path: &str) -> Option<MediaFile> {
        linkedin::picture_blob(path).map(|blob| MediaFile { blob })
    }

    pub fn len(&self) -> u64 {
        self.blob.len
    }

    pub fn is_empty(&self) -> bool {
        self.blob.len == 0
    }

    pub fn content_type(&self) -> &'static str {
        self.blob.content_type
    }

    /// The bytes at `offset..offset + buf.len()`, which must lie within the file.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) {
        self.blob.fill(offset, buf);
    }

    /// The whole file, in pieces of [`CHUNK_BYTES`] written as they are asked for.
    pub fn stream(self) -> MediaStream {
        MediaStream {
            file: self,
            offset: 0,
        }
    }

    pub(super) fn from_blob(blob: Blob) -> MediaFile {
        MediaFile { blob }
    }

    /// The `200` answer carrying the file.
    pub(super) fn answer(self) -> Response {
        let mut r = Body::from_stream(self.stream()).into_response();
        let headers = r.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type()),
        );
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(self.len()));
        r
    }
}

/// The bytes of a [`MediaFile`], a piece at a time.
#[derive(Debug)]
pub struct MediaStream {
    file: MediaFile,
    offset: u64,
}

impl Stream for MediaStream {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let left = self.file.len() - self.offset;
        if left == 0 {
            return Poll::Ready(None);
        }
        let n = usize::try_from(left).map_or(CHUNK_BYTES, |l| l.min(CHUNK_BYTES));
        let mut buf = vec![0u8; n];
        self.file.read_at(self.offset, &mut buf);
        self.offset += n as u64;
        Poll::Ready(Some(Ok(Bytes::from(buf))))
    }
}

/// What LinkedIn answers for a media URL that names nothing.
pub(super) fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not Found").into_response()
}
