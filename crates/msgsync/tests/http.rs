//! The HTTP edges, over raw TCP: connections that send nothing, the connection bound,
//! requests the HTTP library cannot parse, bodies too large to read.

mod common;

use std::time::{Duration, Instant};

use common::TestServer;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn addr(server: &TestServer) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// Reads until the peer closes the connection (or `deadline`), returning what came.
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the connection was not closed in time");
    out
}

/// Splits a raw answer into its status, lower-cased head and body.
fn parse(answer: &[u8]) -> (u16, String, String) {
    let text = String::from_utf8_lossy(answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

#[tokio::test]
async fn connections_that_send_nothing_or_too_slowly_are_closed() {
    let server = TestServer::start_with(&[("MSGSYNC_HTTP_HEADER_TIMEOUT_MS", "300")]).await;
    let mut silent = TcpStream::connect(addr(&server)).await.unwrap();
    let mut slow = TcpStream::connect(addr(&server)).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    read_to_close(&mut silent, Duration::from_secs(10)).await;
    read_to_close(&mut slow, Duration::from_secs(10)).await;

    // A keep-alive connection is closed once idle as long, after its answer.
    let mut kept = TcpStream::connect(addr(&server)).await.unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut kept, Duration::from_secs(10)).await;
    assert_eq!(parse(&answer).0, 200);
}

#[tokio::test]
async fn past_the_connection_bound_clients_wait_and_the_log_says_why() {
    let server = TestServer::start_with(&[
        ("MSGSYNC_HTTP_MAX_CONNECTIONS", "3"),
        ("MSGSYNC_HTTP_HEADER_TIMEOUT_MS", "60000"),
    ])
    .await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(addr(&server)).await.unwrap());
    }
    let mut waiting = TcpStream::connect(addr(&server)).await.unwrap();
    waiting
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .log_text()
        .contains("the connection bound is reached")
    {
        assert!(Instant::now() < deadline, "{}", server.log_text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // One connection closes: the waiting client is served.
    drop(idle.pop());
    let answer = read_to_close(&mut waiting, Duration::from_secs(10)).await;
    assert_eq!(parse(&answer).0, 200);
}

#[tokio::test]
async fn requests_that_cannot_be_parsed_get_the_envelope() {
    let server = TestServer::start().await;
    let long_uri = format!("/api/v1/chats?x={}", "a".repeat(100 * 1024));
    let many_headers: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let huge_header = format!("X-Big: {}\r\n", "b".repeat(1024 * 1024));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a control character in a header value",
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n".to_vec(),
            "errors/malformed_request",
        ),
        (
            "invalid UTF-8 in the path",
            b"GET /api/v1/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            "errors/malformed_request",
        ),
        (
            "a negative content-length",
            b"POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".to_vec(),
            "errors/malformed_request",
        ),
        (
            "a folded header",
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n".to_vec(),
            "errors/malformed_request",
        ),
        (
            "a 100 KB URI",
            format!("GET {long_uri} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(),
            "errors/invalid_url",
        ),
        (
            "200 headers",
            format!("GET /health HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").into_bytes(),
            "errors/content_too_large",
        ),
        (
            "a 1 MB header",
            format!("GET /health HTTP/1.1\r\nHost: x\r\n{huge_header}\r\n").into_bytes(),
            "errors/content_too_large",
        ),
    ];
    for (what, request, kind) in cases {
        let mut stream = TcpStream::connect(addr(&server)).await.unwrap();
        // The server may answer and close before it has read all of a large request.
        let _ = stream.write_all(&request).await;
        let answer = read_to_close(&mut stream, Duration::from_secs(10)).await;
        let (status, head, body) = parse(&answer);
        assert_eq!(status, 400, "{what}: {head}");
        assert!(
            head.contains("content-type: application/json"),
            "{what}: {head}"
        );
        let body: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(body["type"], kind, "{what}: {body}");
        assert_eq!(body["status"], 400, "{what}");
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{what}"
        );
    }
    // The server is unharmed.
    let (status, _) = server.get("/health", "").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_body_too_large_to_read_is_refused_and_the_close_announced() {
    let server = TestServer::start().await;
    let key = server.test_key();
    let mut stream = TcpStream::connect(addr(&server)).await.unwrap();
    let body = vec![b' '; 5 * 1024 * 1024];
    let head = format!(
        "POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nX-API-KEY: {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let _ = stream.write_all(&body).await;
    let answer = read_to_close(&mut stream, Duration::from_secs(20)).await;
    let (status, head, body) = parse(&answer);
    assert_eq!(status, 400, "{head}");
    assert!(head.contains("connection: close"), "{head}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["type"], "errors/content_too_large");
}
