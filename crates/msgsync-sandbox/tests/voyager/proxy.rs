//! Proxies for the tests: an HTTP forward proxy and a SOCKS5 proxy that carry every connection
//! to one upstream (the simulator), whatever host the client names, and record what they saw.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct TestProxy {
    pub port: u16,
    /// HTTP: the first request line of each connection; SOCKS5: `host:port` asked for.
    pub seen: Arc<Mutex<Vec<String>>>,
}

/// Credentials a proxy requires, if any.
pub type Login = Option<(&'static str, &'static str)>;

async fn pipe(mut client: TcpStream, upstream: SocketAddr, first: &[u8]) {
    let Ok(mut up) = TcpStream::connect(upstream).await else {
        return;
    };
    if up.write_all(first).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
}

/// An HTTP proxy: requests in absolute form go to `upstream`; a request without the right
/// `Proxy-Authorization` gets a 407.
pub async fn http(upstream: SocketAddr, login: Login) -> TestProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_string();
                record
                    .lock()
                    .unwrap()
                    .push(text.lines().next().unwrap_or("").to_string());
                if let Some((user, pass)) = login {
                    let want = format!(
                        "proxy-authorization: basic {}",
                        STANDARD.encode(format!("{user}:{pass}"))
                    );
                    if !text
                        .to_ascii_lowercase()
                        .contains(&want.to_ascii_lowercase())
                    {
                        let _ = client
                            .write_all(
                                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                                  Proxy-Authenticate: Basic realm=\"test\"\r\n\
                                  Content-Length: 0\r\nConnection: close\r\n\r\n",
                            )
                            .await;
                        return;
                    }
                }
                pipe(client, upstream, &head).await;
            });
        }
    });
    TestProxy { port, seen }
}

/// A SOCKS5 proxy (RFC 1928, with RFC 1929 username/password when `login` is set): every
/// CONNECT goes to `upstream`.
pub async fn socks5(upstream: SocketAddr, login: Login) -> TestProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut c, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut greeting = [0u8; 2];
                if c.read_exact(&mut greeting).await.is_err() || greeting[0] != 5 {
                    return;
                }
                let mut methods = vec![0u8; usize::from(greeting[1])];
                if c.read_exact(&mut methods).await.is_err() {
                    return;
                }
                let method = if login.is_some() { 2 } else { 0 };
                if !methods.contains(&method) {
                    let _ = c.write_all(&[5, 0xff]).await;
                    return;
                }
                if c.write_all(&[5, method]).await.is_err() {
                    return;
                }
                if let Some((user, pass)) = login {
                    let mut v = [0u8; 2];
                    if c.read_exact(&mut v).await.is_err() {
                        return;
                    }
                    let mut u = vec![0u8; usize::from(v[1])];
                    let mut plen = [0u8; 1];
                    if c.read_exact(&mut u).await.is_err() || c.read_exact(&mut plen).await.is_err()
                    {
                        return;
                    }
                    let mut p = vec![0u8; usize::from(plen[0])];
                    if c.read_exact(&mut p).await.is_err() {
                        return;
                    }
                    let ok = u == user.as_bytes() && p == pass.as_bytes();
                    let _ = c.write_all(&[1, if ok { 0 } else { 1 }]).await;
                    if !ok {
                        return;
                    }
                }
                let mut req = [0u8; 4];
                if c.read_exact(&mut req).await.is_err() || req[1] != 1 {
                    return;
                }
                let host = match req[3] {
                    1 => {
                        let mut a = [0u8; 4];
                        let _ = c.read_exact(&mut a).await;
                        std::net::Ipv4Addr::from(a).to_string()
                    }
                    3 => {
                        let mut len = [0u8; 1];
                        let _ = c.read_exact(&mut len).await;
                        let mut name = vec![0u8; usize::from(len[0])];
                        let _ = c.read_exact(&mut name).await;
                        String::from_utf8_lossy(&name).to_string()
                    }
                    _ => return,
                };
                let mut port = [0u8; 2];
                if c.read_exact(&mut port).await.is_err() {
                    return;
                }
                record
                    .lock()
                    .unwrap()
                    .push(format!("{host}:{}", u16::from_be_bytes(port)));
                if c.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await.is_err() {
                    return;
                }
                pipe(c, upstream, &[]).await;
            });
        }
    });
    TestProxy { port, seen }
}

/// A loopback port nobody listens on.
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}
