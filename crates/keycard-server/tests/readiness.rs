//! `/readyz` over a session store that fails: 503 as a problem, with the backend's own
//! words in the log only, never in the response.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use common::{TestServer, client, scratch};
use keycard_auth::Auth;
use keycard_core::opaque::TokenDigest;
use keycard_core::session::Session;
use keycard_core::store::{Rotation, SessionStore, StoreError, StoreResult};
use keycard_core::{KeySet, SessionId, SystemClock, UnixTime, UserId};
use keycard_server::AppState;
use keycard_server::config::{ServeArgs, Settings};
use keycard_store::open::{StoreUrl, open};
use reqwest::StatusCode;
use serde_json::Value;

const BACKEND_WORDS: &str = "connection refused by db-secret-host:5432";

/// A session store whose backend is down.
struct Down;

fn down<T>() -> StoreResult<T> {
    Err(StoreError::Backend(BACKEND_WORDS.into()))
}

#[async_trait]
impl SessionStore for Down {
    async fn create_session(&self, _: &Session, _: &TokenDigest) -> StoreResult<()> {
        down()
    }
    async fn load_session_by_token(
        &self,
        _: &TokenDigest,
        _: UnixTime,
    ) -> StoreResult<Option<Session>> {
        down()
    }
    async fn load_session(&self, _: &SessionId, _: UnixTime) -> StoreResult<Option<Session>> {
        down()
    }
    async fn touch_session(&self, _: &SessionId, _: UnixTime) -> StoreResult<bool> {
        down()
    }
    async fn delete_session(&self, _: &SessionId) -> StoreResult<bool> {
        down()
    }
    async fn list_user_sessions(&self, _: &UserId, _: UnixTime) -> StoreResult<Vec<Session>> {
        down()
    }
    async fn delete_user_sessions(&self, _: &UserId) -> StoreResult<Vec<SessionId>> {
        down()
    }
    async fn rotate_refresh(
        &self,
        _: &TokenDigest,
        _: &TokenDigest,
        _: &[u8],
        _: UnixTime,
        _: i64,
        _: u32,
    ) -> StoreResult<Rotation> {
        down()
    }
    async fn sweep_expired_sessions(&self, _: UnixTime) -> StoreResult<u64> {
        down()
    }
}

#[tokio::test]
async fn readyz_is_503_when_a_store_fails_and_hides_its_error() {
    let dir = scratch("not-ready");
    let settings = Settings::resolve(ServeArgs {
        data_dir: Some(dir.path().to_owned()),
        store: Some("memory:".parse().unwrap()),
        ..ServeArgs::default()
    })
    .unwrap();
    let mut stores = open(&StoreUrl::Memory, None, "test").await.unwrap();
    stores.sessions = Arc::new(Down);
    let auth = Auth::new(
        settings.auth.clone(),
        stores,
        KeySet::new(),
        Arc::new(SystemClock),
    )
    .unwrap();
    let state = AppState::new(settings, auth);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = TestServer::serve(listener, state, |routes| routes, None);

    let response = client().get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let text = response.text().await.unwrap();
    assert!(!text.contains("db-secret-host"), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["type"], "https://keycard.dev/problems/unavailable");
    assert_eq!(body["status"], 503);
    assert!(body["detail"].as_str().unwrap().contains("session store"));

    // Liveness does not depend on the stores.
    let response = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    server.stop().await.unwrap();
}
