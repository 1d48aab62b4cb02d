//! The HTTP/1.1 server: hyper with limits a public endpoint needs.
//!
//! - Connections are bounded ([`HttpLimits::max_connections`]): past the bound the server stops
//!   accepting (new clients wait in the kernel's queue) and says so in the log, instead of
//!   running out of file descriptors and failing everyone.
//! - A client gets [`HttpLimits::header_timeout`] to send a request's head, and an idle
//!   keep-alive connection is closed after the same time (hyper's header-read timer runs from
//!   the moment the connection waits for a request), so connections that send nothing go away.
//! - A request hyper cannot hand to the application (a malformed request line or header, a head
//!   past the size limits) is answered in the error envelope too: see [`EnvelopeParseErrors`].

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use msgsync_core::{ApiError, ErrorKind};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::error::envelope;

/// The limits of the HTTP server, each a named setting of `msgsync serve`.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Connections served at once.
    pub max_connections: usize,
    /// How long a client may take to send a request's head, and how long an idle keep-alive
    /// connection is kept.
    pub header_timeout: Duration,
    /// The most header fields one request may have.
    pub max_headers: usize,
    /// The largest request head (request line and headers), in bytes.
    pub max_head_bytes: usize,
    /// How long a stopping server waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_connections: 4096,
            header_timeout: Duration::from_secs(15),
            max_headers: 100,
            max_head_bytes: 64 * 1024,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// The "connection bound reached" warning is repeated at most this often.
const BOUND_WARNING_EVERY: Duration = Duration::from_secs(60);

/// After a failed `accept` (out of file descriptors, say), wait this long before the next, so
/// that the loop does not spin while the condition lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish (up to [`HttpLimits::shutdown_grace`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_headers(limits.max_headers)
        // hyper refuses a head that does not fit in its read buffer (431).
        .max_buf_size(limits.max_head_bytes.max(MIN_BUF));
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut last_warning: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if last_warning.is_none_or(|at| at.elapsed() >= BOUND_WARNING_EVERY) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "the connection bound is reached: new connections wait until one closes \
                         (MSGSYNC_HTTP_MAX_CONNECTIONS)"
                    );
                    last_warning = Some(Instant::now());
                }
                tokio::select! {
                    permit = permits.clone().acquire_owned() => {
                        permit.expect("the semaphore is never closed")
                    }
                    () = &mut shutdown => break,
                }
            }
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let io = TokioIo::new(EnvelopeParseErrors::new(stream));
        let connection = builder.serve_connection(io, TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection's failure (a client gone, a timed-out head) is its own business.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the grace period were cut");
    }
    Ok(())
}

/// hyper's read buffer cannot be smaller than this.
const MIN_BUF: usize = 8192;

/// A connection's stream that puts hyper's own error answers in the envelope.
///
/// When a request cannot be parsed (a bad request line or header, a head too large), hyper
/// never calls the application: it writes a bare `400`, `414` or `431` head with an empty body
/// and closes the connection. The application never answers an error without a body (the
/// envelope middleware gives every one a JSON body), so a write that is exactly such a head can
/// only be hyper's, and is replaced by the envelope. The catalogue of error types has no 414
/// or 431, so those are answered as 400 with the type that says what was wrong.
struct EnvelopeParseErrors<S> {
    inner: S,
    /// The replacement being written, and how much of it is out.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> EnvelopeParseErrors<S> {
    fn new(inner: S) -> Self {
        EnvelopeParseErrors {
            inner,
            pending: None,
        }
    }
}

/// The envelope answer for a bare error head hyper wrote, if `buf` is one.
fn replacement(buf: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(buf).ok()?;
    let head = head.strip_suffix("\r\n\r\n")?;
    let (status_line, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    let code = status_line.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    let (kind, detail) = match code {
        "400" => (
            ErrorKind::MalformedRequest,
            "the request could not be parsed: check the request line and the header names and \
             values (no control characters, no folded lines, a valid content-length)",
        ),
        "414" => (
            ErrorKind::InvalidUrl,
            "the request's URI is longer than the server accepts",
        ),
        "431" => (
            ErrorKind::ContentTooLarge,
            "the request's headers are larger, or more numerous, than the server accepts",
        ),
        _ => return None,
    };
    // Only a head without a body: every answer of the application has one.
    let empty_body = headers.split("\r\n").any(|h| {
        h.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("content-length") && value.trim() == "0"
        })
    });
    if !empty_body {
        return None;
    }
    let error = ApiError::new(kind, detail);
    let body = serde_json::to_vec(&envelope(&error, "")).ok()?;
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        kind.status(),
        kind.title(),
        body.len()
    )
    .into_bytes();
    out.extend(body);
    Some(out)
}

impl<S: AsyncRead + Unpin> AsyncRead for EnvelopeParseErrors<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> EnvelopeParseErrors<S> {
    /// Writes what is left of a replacement.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            let n =
                std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for EnvelopeParseErrors<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_pending(cx))?;
        if let Some(bytes) = replacement(buf) {
            self.pending = Some((bytes, 0));
            // hyper's head counts as written; the replacement goes out in its place.
            std::task::ready!(self.poll_pending(cx))?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::replacement;

    fn body_of(answer: &[u8]) -> serde_json::Value {
        let text = std::str::from_utf8(answer).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn hyper_bare_error_heads_become_envelopes() {
        for (code, kind) in [
            ("400 Bad Request", "errors/malformed_request"),
            ("414 URI Too Long", "errors/invalid_url"),
            (
                "431 Request Header Fields Too Large",
                "errors/content_too_large",
            ),
        ] {
            let head = format!(
                "HTTP/1.1 {code}\r\ncontent-length: 0\r\ndate: Fri, 27 Nov 2026 10:00:00 GMT\r\n\r\n"
            );
            let answer = replacement(head.as_bytes()).expect(code);
            assert!(answer.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
            let body = body_of(&answer);
            assert_eq!(body["type"], kind);
            assert_eq!(body["status"], 400);
            let text = String::from_utf8(answer.clone()).unwrap();
            let length = text
                .split("\r\n")
                .find_map(|h| h.strip_prefix("content-length: "));
            let body_len = text.split_once("\r\n\r\n").unwrap().1.len();
            assert_eq!(length, Some(body_len.to_string().as_str()));
            assert!(text.contains("\r\nconnection: close\r\n"));
        }
    }

    #[test]
    fn answers_of_the_application_pass_untouched() {
        // An error with a body (every error the application writes), a success, a body chunk.
        for write in [
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 85\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            "{\"title\":\"Bad Request\"}",
        ] {
            assert_eq!(replacement(write.as_bytes()), None, "{write}");
        }
    }
}
