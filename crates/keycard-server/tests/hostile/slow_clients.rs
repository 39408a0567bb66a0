//! Slow clients: a connection that sends nothing, one that sends its headers a line at a
//! time and never ends them, and as many of those as the server has connection slots, while
//! a normal client still gets served. The server here reads headers for at most 1 s and
//! serves 4 connections at once; bounds are generous (CI shares 2 cores).

use std::time::Duration;

use tokio::time::Instant;

use keycard_auth::settings::Seconds;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::common::{Scratch, TestServer, args, client, scratch};

const MAX_CONNECTIONS: usize = 4;
/// Well past the 1 s header timeout, well short of a client that dribbles forever.
const CLOSED_WITHIN: Duration = Duration::from_secs(8);

async fn start() -> (Scratch, TestServer) {
    let dir = scratch("hostile-slow");
    let mut args = args(dir.path());
    args.header_read_timeout = Some(Seconds::new(1));
    args.max_connections = Some(MAX_CONNECTIONS);
    let server = TestServer::start(args).await;
    (dir, server)
}

fn addr(server: &TestServer) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// Sends the start of a request, then a header line every 300 ms, never the blank line;
/// returns how long the server let it go on before closing the connection.
async fn dribble(addr: &str) -> Duration {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut written = stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
        .await;
    let mut byte = [0u8; 1];
    while written.is_ok() && started.elapsed() < CLOSED_WITHIN * 2 {
        tokio::select! {
            read = stream.read(&mut byte) => {
                if matches!(read, Ok(0) | Err(_)) {
                    break;
                }
            }
            () = tokio::time::sleep(Duration::from_millis(300)) => {
                written = stream.write_all(b"X-Slow: still here\r\n").await;
            }
        }
    }
    started.elapsed()
}

/// Opens a connection and sends nothing; returns when the server closed it.
async fn idle(addr: &str) -> Duration {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut byte = [0u8; 1];
    let _ = tokio::time::timeout(CLOSED_WITHIN * 2, stream.read(&mut byte)).await;
    started.elapsed()
}

#[tokio::test]
async fn headers_sent_a_line_at_a_time_are_cut_off() {
    let (_dir, server) = start().await;
    let held = dribble(&addr(&server)).await;
    assert!(
        held < CLOSED_WITHIN,
        "a slow-headers client held its connection for {held:?}"
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let (_dir, server) = start().await;
    let held = idle(&addr(&server)).await;
    assert!(
        held < CLOSED_WITHIN,
        "a silent connection stayed open for {held:?}"
    );
}

#[tokio::test]
async fn clients_are_served_while_slow_ones_hold_every_slot() {
    let (_dir, server) = start().await;
    let addr = addr(&server);
    let attackers: Vec<_> = (0..MAX_CONNECTIONS * 2)
        .map(|_| {
            let addr = addr.clone();
            tokio::spawn(async move { dribble(&addr).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let response = client()
        .get(server.url("/healthz"))
        .timeout(CLOSED_WITHIN * 2)
        .send()
        .await
        .expect("served despite the slow clients");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    for attacker in attackers {
        let held = attacker.await.unwrap();
        assert!(
            held < CLOSED_WITHIN * 2,
            "a slow client held a slot for {held:?}"
        );
    }
}
