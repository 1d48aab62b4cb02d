//! The receiver's listener, which keeps a handle on each open connection so that going down can
//! shut them all, like a receiver process that died would, and not only stop accepting.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// The pause after a failed `accept` (out of file descriptors, say) before the next one.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(10);

/// The open connections, each by a duplicate of its socket that can shut it from outside.
#[derive(Default)]
pub(super) struct Connections {
    open: Mutex<HashMap<u64, std::net::TcpStream>>,
    next_id: Mutex<u64>,
}

impl Connections {
    /// Shuts every open connection both ways: the peer sees it closed.
    pub(super) fn shut_all(&self) {
        for (_, socket) in super::lock(&self.open).drain() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    fn track(self: &Arc<Self>, stream: TcpStream) -> TrackedStream {
        let duplicate = stream
            .as_fd()
            .try_clone_to_owned()
            .map(std::net::TcpStream::from);
        let entry = duplicate.ok().map(|duplicate| {
            let id = {
                let mut next_id = super::lock(&self.next_id);
                *next_id += 1;
                *next_id
            };
            super::lock(&self.open).insert(id, duplicate);
            Entry {
                id,
                connections: self.clone(),
            }
        });
        TrackedStream {
            inner: stream,
            _entry: entry,
        }
    }
}

/// Removes its connection's duplicate socket from [`Connections`] when the connection ends.
struct Entry {
    id: u64,
    connections: Arc<Connections>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        super::lock(&self.connections.open).remove(&self.id);
    }
}

pub(super) struct TrackedStream {
    inner: TcpStream,
    /// `None` if the socket could not be duplicated (then going down cannot shut it).
    _entry: Option<Entry>,
}

pub(super) struct TrackingListener {
    inner: TcpListener,
    connections: Arc<Connections>,
}

impl TrackingListener {
    pub(super) fn new(inner: TcpListener, connections: Arc<Connections>) -> Self {
        TrackingListener { inner, connections }
    }
}

impl axum::serve::Listener for TrackingListener {
    type Io = TrackedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => return (self.connections.track(stream), addr),
                Err(_) => tokio::time::sleep(ACCEPT_ERROR_PAUSE).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
