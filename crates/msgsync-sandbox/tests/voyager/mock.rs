//! A one-answer HTTP server: whatever is asked, it writes the given bytes and closes. It lets
//! the tests show the connector answers LinkedIn gives but the simulator's scenarios do not
//! (other redirects, HTTP-date `Retry-After`, 999, broken bodies).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub struct Mock {
    pub base_url: String,
    /// The head of every request received.
    pub requests: Arc<Mutex<Vec<String>>>,
}

/// Serves the messaging page with a JSESSIONID (what LinkedIn does for a logged-in browser)
/// and everything else with `answer`.
pub async fn serve(answer: String) -> Mock {
    serve_routes(vec![("/".to_string(), answer)]).await
}

/// Serves the messaging page with a JSESSIONID and each other request with the answer of the
/// first route whose path prefix it has (a 404 when none has).
pub async fn serve_routes(routes: Vec<(String, String)>) -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let routes = Arc::new(routes);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let seen = seen.clone();
            let routes = routes.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let path = head.split(' ').nth(1).unwrap_or("").to_string();
                let reply = if path.starts_with("/messaging/") {
                    response(
                        "200 OK",
                        "Set-Cookie: JSESSIONID=\"ajax:42\"; Path=/\r\n",
                        "<html><body>messaging</body></html>",
                    )
                } else {
                    routes
                        .iter()
                        .find(|(prefix, _)| path.starts_with(prefix.as_str()))
                        .map(|(_, answer)| answer.clone())
                        .unwrap_or_else(|| response("404 Not Found", "", ""))
                };
                seen.lock().unwrap().push(head);
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Mock { base_url, requests }
}

/// A whole HTTP/1.1 answer that closes the connection.
pub fn response(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}
