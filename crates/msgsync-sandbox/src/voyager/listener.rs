//! A TCP listener whose connections a handler can cut: a flaky LinkedIn drops connections
//! without answering, which an HTTP framework cannot do from a handler on its own.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::net::{TcpListener, TcpStream};

/// What a handler knows of its connection: the peer, and a way to cut it.
#[derive(Clone, Debug)]
pub(crate) struct Conn {
    /// A duplicate of the connection's socket; `None` for the listener's own address.
    socket: Option<Arc<std::net::TcpStream>>,
}

impl Conn {
    /// Closes the connection both ways: the client sees it end without an answer.
    pub(crate) fn cut(&self) {
        if let Some(s) = &self.socket {
            // An already closed socket is what we want anyway.
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

pub(crate) struct CuttableListener {
    pub(crate) inner: TcpListener,
}

/// Splits a connection into the stream axum serves and a duplicate handle to cut it with.
fn split(stream: TcpStream) -> std::io::Result<(TcpStream, Conn)> {
    let std = stream.into_std()?;
    let dup = std.try_clone()?;
    let stream = TcpStream::from_std(std)?;
    Ok((
        stream,
        Conn {
            socket: Some(Arc::new(dup)),
        },
    ))
}

impl Listener for CuttableListener {
    type Io = TcpStream;
    type Addr = Conn;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _)) => match split(stream) {
                    Ok(pair) => return pair,
                    // The connection is lost; the client retries like with any reset.
                    Err(_) => continue,
                },
                // Out of file descriptors and the like: back off a little, as axum does.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(Conn { socket: None })
    }
}

impl CuttableListener {
    pub(crate) fn addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.remote_addr().clone()
    }
}
