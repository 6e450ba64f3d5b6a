//! The real server on a loopback port, spoken to over TCP.

use std::sync::Arc;

use deflect::web::{self, AppState, Templates};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::TestKb;

/// Sends one HTTP/1.1 request and returns the whole response.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.expect("send");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn real_server_answers_over_tcp_and_shuts_down() {
    let mut kb = TestKb::new();
    let state = AppState::new(
        kb.library(),
        Arc::new(Templates::load(None).unwrap()),
        kb.config.clone(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let health = http_get(addr, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let search = http_get(addr, "/api/v1/search?q=forgot+password").await;
    assert!(search.starts_with("HTTP/1.1 200"), "{search}");
    assert!(
        search.contains("\"slug\":\"account/reset-password\""),
        "{search}"
    );
    let page = http_get(addr, "/articles/account/reset-password").await;
    assert!(page.contains("Reset a forgotten password"));
    let bad = http_get(addr, "/api/v1/search?q=x&limit=1000").await;
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
