//! `GET /v1/revocations` over real HTTP: client credentials with the `revocations`
//! permission, a snapshot first, one event per revocation, heartbeats, ids on every event,
//! and resuming with `Last-Event-ID`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, args, client, register, scratch};
use keycard_server::config::{Mode, ServeArgs};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "verifier-secret-0123456789-abcdefghijklmnop";
const PASSWORD: &str = "correct horse battery staple";
/// Generous for a shared CI machine: heartbeats come every 500 ms.
const WITHIN: Duration = Duration::from_secs(10);

/// One Server-Sent Event.
#[derive(Debug)]
struct Sse {
    event: String,
    id: String,
    data: Value,
}

/// Reads events from a streaming response.
struct Reader {
    response: reqwest::Response,
    buffer: String,
}

impl Reader {
    async fn next(&mut self) -> Sse {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|line| line.strip_prefix(&format!("{name}:")))
                        .map(|value| value.trim_start().to_owned())
                };
                if let Some(event) = field("event") {
                    return Sse {
                        event,
                        id: field("id").unwrap_or_default(),
                        data: serde_json::from_str(&field("data").unwrap_or_default()).unwrap(),
                    };
                }
                continue;
            }
            let chunk = tokio::time::timeout(WITHIN, self.response.chunk())
                .await
                .expect("an event within the bound")
                .unwrap()
                .expect("the stream stays open");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The next event that is not a heartbeat.
    async fn next_news(&mut self) -> Sse {
        loop {
            let event = self.next().await;
            if event.event != "heartbeat" {
                return event;
            }
        }
    }
}

async fn open(server: &TestServer, last_event_id: Option<&str>) -> Reader {
    let mut request = client()
        .get(server.url("/v1/revocations"))
        .basic_auth("verifier", Some(SECRET));
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    Reader {
        response,
        buffer: String::new(),
    }
}

async fn login(server: &TestServer, email: &str) -> String {
    let body: Value = client()
        .post(server.url("/v1/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn logout(server: &TestServer, access: &str) {
    let response = client()
        .post(server.url("/v1/logout"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

async fn start() -> (tempfile::TempDir, TestServer) {
    let dir = scratch("revocation-stream");
    let args = ServeArgs {
        mode: Some(Mode::Jwt),
        clients: Some(
            format!("verifier[revocations]:{SECRET},reader:{SECRET}")
                .parse()
                .unwrap(),
        ),
        ..args(dir.path())
    };
    let server = TestServer::start(args).await;
    (dir, server)
}

#[tokio::test]
async fn only_clients_allowed_to_follow_get_the_stream() {
    let (_dir, server) = start().await;
    let url = server.url("/v1/revocations");
    for request in [
        client().get(&url),
        client().get(&url).basic_auth("verifier", Some("wrong")),
        client().get(&url).basic_auth("reader", Some(SECRET)),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "https://keycard.dev/problems/invalid-client");
    }
}

#[tokio::test]
async fn a_snapshot_then_each_revocation_then_heartbeats() {
    let (_dir, server) = start().await;
    register(&server, "ada@example.com", PASSWORD).await;
    let before = login(&server, "ada@example.com").await;
    logout(&server, &before).await;

    let mut stream = open(&server, None).await;
    let snapshot = stream.next_news().await;
    assert_eq!(snapshot.event, "snapshot");
    assert!(!snapshot.id.is_empty());
    let live = snapshot.data["revocations"].as_array().unwrap();
    assert_eq!(live.len(), 1, "the earlier logout is in the snapshot");
    assert_eq!(live[0]["kind"], "session");

    let access = login(&server, "ada@example.com").await;
    let me: Value = client()
        .get(server.url("/v1/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    logout(&server, &access).await;
    let revoked = stream.next_news().await;
    assert_eq!(revoked.event, "revocation");
    assert_eq!(revoked.data["kind"], "session");
    assert_eq!(revoked.data["sid"], me["session"]["id"]);
    assert!(revoked.data["forget_after"].as_i64() > revoked.data["at"].as_i64());
    assert_ne!(revoked.id, snapshot.id);

    let heartbeat = stream.next().await;
    assert_eq!(heartbeat.event, "heartbeat");
    assert_eq!(heartbeat.id, revoked.id, "a heartbeat carries the last id");
}

#[tokio::test]
async fn resuming_sends_only_what_was_missed_or_a_snapshot() {
    let (_dir, server) = start().await;
    register(&server, "bob@example.com", PASSWORD).await;
    let mut stream = open(&server, None).await;
    let snapshot = stream.next_news().await;
    drop(stream);

    // Two logouts while disconnected.
    for _ in 0..2 {
        let access = login(&server, "bob@example.com").await;
        logout(&server, &access).await;
    }
    let mut resumed = open(&server, Some(&snapshot.id)).await;
    let first = resumed.next_news().await;
    let second = resumed.next_news().await;
    assert_eq!(
        (first.event.as_str(), second.event.as_str()),
        ("revocation", "revocation")
    );
    assert_ne!(first.data["sid"], second.data["sid"]);

    // An id from another run, or nonsense: a fresh snapshot with both.
    for stale in ["0-1", "nonsense"] {
        let mut fresh = open(&server, Some(stale)).await;
        let event = fresh.next_news().await;
        assert_eq!(event.event, "snapshot", "{stale}");
        assert_eq!(event.data["revocations"].as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn a_shutdown_ends_open_streams_so_the_drain_does_not_wait_for_them() {
    let (_dir, server) = start().await;
    let mut reader = open(&server, None).await;
    assert_eq!(reader.next().await.event, "snapshot");
    // Without ending the stream, the drain would wait for this client until its timeout
    // (30 s), and the client would keep hearing heartbeats from a server going away.
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), server.stop()).await;
    stopped
        .expect("the server drained within 10 s with a revocation stream open")
        .unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Ok(Some(_)) = reader.response.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ended when the server shut down");
}
