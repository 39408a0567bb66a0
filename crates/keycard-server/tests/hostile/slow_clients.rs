//! Slow clients: a connection that sends nothing, one that sends its headers a line at a
//! time and never ends them, and as many of those as the server has connection slots, while
//! a normal client still gets served. The server here reads headers for at most 1 s and
//! serves 4 connections at once; bounds are generous (CI shares 2 cores).
//!
//! A body sent a byte at a time, each byte inside the idle timeout, is cut by the body
//! deadline with 408.
//!
//! Then the per-address limit: a slow host (127.0.0.2: Linux answers all of 127.0.0.0/8 on
//! loopback) holding as many connections as it can, while a client at 127.0.0.1 is served
//! at once instead of waiting for the header timeout to free a slot; and a trusted proxy,
//! whose connections are not counted.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::time::Instant;

use keycard_auth::settings::Seconds;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

use crate::common::{Scratch, TestServer, args, client, metric, scratch};

const MAX_CONNECTIONS: usize = 4;
/// Well past the 1 s header timeout, well short of a client that dribbles forever.
const CLOSED_WITHIN: Duration = Duration::from_secs(8);

async fn start() -> (Scratch, TestServer) {
    let dir = scratch("hostile-slow");
    let mut args = args(dir.path());
    args.header_read_timeout = Some(Seconds::new(1));
    args.max_connections = Some(MAX_CONNECTIONS);
    // Every connection here comes from 127.0.0.1: the slots, not the per-address limit,
    // are under test.
    args.max_connections_per_address = Some(MAX_CONNECTIONS);
    let server = TestServer::start(args).await;
    (dir, server)
}

fn addr(server: &TestServer) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// Sends the start of a request, then a header line every 300 ms, never the blank line;
/// returns how long the server let it go on before closing the connection.
async fn dribble(addr: &str) -> Duration {
    dribble_from(addr, None).await
}

/// [`dribble`] from the local address `from`, or the default one.
async fn dribble_from(addr: &str, from: Option<IpAddr>) -> Duration {
    let started = Instant::now();
    let mut stream = match from {
        None => TcpStream::connect(addr).await.unwrap(),
        Some(from) => {
            let socket = TcpSocket::new_v4().unwrap();
            socket.bind(SocketAddr::new(from, 0)).unwrap();
            socket.connect(addr.parse().unwrap()).await.unwrap()
        }
    };
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

#[tokio::test]
async fn a_body_sent_a_byte_at_a_time_is_cut_with_408() {
    let dir = scratch("hostile-slow-body");
    let mut args = args(dir.path());
    args.body_read_timeout = Some(Seconds::new(1));
    let server = TestServer::start(args).await;
    let addr = addr(&server);
    let started = Instant::now();
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /v1/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 1024];
    while started.elapsed() < CLOSED_WITHIN * 2 {
        tokio::select! {
            read = stream.read(&mut buffer) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            },
            () = tokio::time::sleep(Duration::from_millis(300)) => {
                if stream.write_all(b" ").await.is_err() {
                    break;
                }
            }
        }
    }
    let held = started.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("/problems/request-timeout"), "{answer}");
    assert!(
        held < CLOSED_WITHIN,
        "a slow-body client held its connection for {held:?}"
    );
}

const SLOW_HOST: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// A server whose slow clients would hold a slot for 30 s, with 8 slots of which one
/// address may hold 2; `127.0.0.2` is a trusted proxy if `proxy`.
async fn start_per_address(proxy: bool) -> (Scratch, TestServer) {
    let dir = scratch("hostile-per-address");
    let mut args = args(dir.path());
    args.header_read_timeout = Some(Seconds::new(30));
    args.max_connections = Some(8);
    args.max_connections_per_address = Some(2);
    if proxy {
        args.trusted_proxies = Some(SLOW_HOST.to_string().parse().unwrap());
    }
    let server = TestServer::start(args).await;
    (dir, server)
}

/// The server's count of connections refused by the per-address limit.
async fn refused_connections(server: &TestServer) -> u64 {
    metric(server, "keycard_connections_refused_total").await
}

#[tokio::test]
async fn one_slow_host_holds_its_share_and_others_are_served_at_once() {
    let (_dir, server) = start_per_address(false).await;
    let addr = addr(&server);
    // Twice as many as the slots: without the per-address limit they would hold all 8
    // for the 30 s header timeout, and the client below would wait that long.
    let attackers: Vec<_> = (0..16)
        .map(|_| {
            let addr = addr.clone();
            tokio::spawn(async move { dribble_from(&addr, Some(SLOW_HOST)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let response = client()
        .get(server.url("/healthz"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("served beside the slow host");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(10),
        "the client waited {waited:?} for a slot"
    );
    // The slow host's connections past 2 were closed as soon as they were accepted.
    let mut cut_at_once = 0;
    for attacker in attackers {
        if attacker.await.unwrap() < Duration::from_secs(10) {
            cut_at_once += 1;
        }
    }
    assert!(
        cut_at_once >= 14,
        "only {cut_at_once} of 16 slow connections were refused"
    );
    assert!(refused_connections(&server).await >= 14);
}

#[tokio::test]
async fn a_trusted_proxys_connections_are_not_counted() {
    let (_dir, server) = start_per_address(true).await;
    // Five keep-alive connections at once from the proxy's address: past the limit of 2,
    // and every one is served.
    let requests: Vec<_> = (0..5)
        .map(|_| {
            let url = server.url("/healthz");
            tokio::spawn(async move {
                let proxy = reqwest::Client::builder()
                    .local_address(SLOW_HOST)
                    .build()
                    .unwrap();
                let first = proxy.get(&url).send().await.unwrap().status();
                // Held open while the others connect.
                tokio::time::sleep(Duration::from_millis(500)).await;
                let second = proxy.get(&url).send().await.unwrap().status();
                (first, second)
            })
        })
        .collect();
    for request in requests {
        let (first, second) = request.await.unwrap();
        assert_eq!(first, reqwest::StatusCode::OK);
        assert_eq!(second, reqwest::StatusCode::OK);
    }
    assert_eq!(refused_connections(&server).await, 0);
}
