//! Refresh rotation under races, counted over many rounds on every backend:
//! - two tabs refreshing the same token at once, 1,000 times in a row: both get the same
//!   successor every time, and the family is never signed out;
//! - the previous token presented after the grace window: the family is revoked every
//!   time, the successor and its access token with it;
//! - a refresh racing a logout: once the logout has answered, no successor the refresh
//!   may have minted refreshes or authenticates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::sync::Arc;

use common::backend::Backend;
use common::{TestServer, args, client, register, scratch};
use keycard_core::{Clock, ManualClock, SystemClock, UnixTime};
use keycard_server::config::Mode;
use reqwest::StatusCode;
use serde_json::{Value, json};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";
/// Two-tab races in a row on one family.
const TWO_TAB_ROUNDS: usize = 1000;
/// Families replayed after the grace window.
const REPLAY_ROUNDS: usize = 50;
/// Families whose refresh races their logout.
const LOGOUT_ROUNDS: usize = 100;

on_every_backend!(
    two_tabs_refreshing_at_once_are_never_signed_out,
    a_replay_after_the_grace_window_always_revokes_the_family,
    a_refresh_racing_a_logout_leaves_no_live_successor,
);

async fn start(
    backend: Backend,
    name: &str,
    clock: Arc<dyn Clock>,
) -> (common::Scratch, TestServer) {
    let dir = scratch(name);
    let mut args = args(dir.path());
    args.mode = Some(Mode::Hybrid);
    // Every round signs in again: no cap on sessions or successful logins.
    args.max_sessions_per_user = Some(0);
    args.login_success_limit_per_ip = Some(0);
    let server = backend.start(args, clock).await;
    register(&server, EMAIL, PASSWORD).await;
    (dir, server)
}

/// Signs in with the refresh token in the body; returns (refresh, access).
async fn login(server: &TestServer) -> (String, String) {
    let response = client()
        .post(server.url("/v1/login"))
        .json(&json!({ "email": EMAIL, "password": PASSWORD, "refresh_token_transport": "body" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    tokens(response.json().await.unwrap())
}

fn tokens(body: Value) -> (String, String) {
    (
        body["refresh_token"].as_str().unwrap().to_owned(),
        body["access_token"].as_str().unwrap().to_owned(),
    )
}

/// One refresh; the new (refresh, access) if it was answered 200, else its status.
async fn refresh(server: &TestServer, token: &str) -> Result<(String, String), StatusCode> {
    let response = client()
        .post(server.url("/v1/token/refresh"))
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap();
    match response.status() {
        StatusCode::OK => Ok(tokens(response.json().await.unwrap())),
        status => Err(status),
    }
}

async fn me(server: &TestServer, access: &str) -> StatusCode {
    client()
        .get(server.url("/v1/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
}

async fn two_tabs_refreshing_at_once_are_never_signed_out(backend: Backend) {
    let (_dir, server) = start(backend, "race-two-tabs", Arc::new(SystemClock)).await;
    let (mut current, _) = login(&server).await;
    let mut signed_out = Vec::new();
    for round in 0..TWO_TAB_ROUNDS {
        let (one, two) = tokio::join!(refresh(&server, &current), refresh(&server, &current));
        match (one, two) {
            (Ok((a, access)), Ok((b, _))) if a == b => {
                current = a;
                if round % 100 == 99 {
                    assert_eq!(me(&server, &access).await, StatusCode::OK, "round {round}");
                }
            }
            other => {
                signed_out.push(format!("round {round}: {other:?}"));
                break;
            }
        }
    }
    assert!(
        signed_out.is_empty(),
        "two tabs were signed out: {signed_out:?}"
    );
}

async fn a_replay_after_the_grace_window_always_revokes_the_family(backend: Backend) {
    let clock = Arc::new(ManualClock::new(UnixTime::from_secs(
        SystemClock.now().as_secs(),
    )));
    let (_dir, server) = start(backend, "race-replay", clock.clone()).await;
    let grace = server
        .state
        .auth()
        .settings()
        .sessions
        .refresh_grace
        .as_i64();
    let mut survived = Vec::new();
    for round in 0..REPLAY_ROUNDS {
        let (r0, _) = login(&server).await;
        let (r1, a1) = refresh(&server, &r0).await.unwrap();
        clock.advance(grace + 1);
        let replay = refresh(&server, &r0).await;
        let successor = refresh(&server, &r1).await;
        let access = me(&server, &a1).await;
        if replay.is_ok() || successor.is_ok() || access != StatusCode::UNAUTHORIZED {
            survived.push(format!(
                "round {round}: replay {:?}, successor {:?}, access {access}",
                replay.err(),
                successor.err()
            ));
        }
    }
    assert!(
        survived.is_empty(),
        "families survived a replay: {survived:?}"
    );
}

async fn a_refresh_racing_a_logout_leaves_no_live_successor(backend: Backend) {
    let (_dir, server) = start(backend, "race-logout", Arc::new(SystemClock)).await;
    let mut survivors = Vec::new();
    let mut minted = 0;
    for round in 0..LOGOUT_ROUNDS {
        let (r0, a0) = login(&server).await;
        let logout = async {
            client()
                .post(server.url("/v1/logout"))
                .bearer_auth(&a0)
                .send()
                .await
                .unwrap()
                .status()
        };
        let (refreshed, logged_out) = tokio::join!(refresh(&server, &r0), logout);
        assert_eq!(logged_out, StatusCode::NO_CONTENT, "round {round}");
        if let Ok((r1, a1)) = refreshed {
            minted += 1;
            let again = refresh(&server, &r1).await;
            let access = me(&server, &a1).await;
            if again.is_ok() || access != StatusCode::UNAUTHORIZED {
                survivors.push(format!("round {round}: refresh {again:?}, access {access}"));
            }
        }
    }
    eprintln!("{minted} of {LOGOUT_ROUNDS} refreshes minted a successor before the logout");
    assert!(
        survivors.is_empty(),
        "successors outlived the logout: {survivors:?}"
    );
}
