//! Logins racing the operations that end a user's sessions: an admin disable, and a
//! password change. A login's password check takes tens of milliseconds; the account may
//! be disabled or get a new password meanwhile, after that operation has ended the
//! sessions that existed. Every login that returned a credential is counted afterwards:
//! none may still refresh, pass `/v1/auth/check`, or be listed. Also: a login's rehash of
//! an old, weaker password hash never reverts a password change made meanwhile. On every
//! backend.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::backend::Backend;
use common::{Scratch, TestServer, args, client, scratch};
use keycard_core::SystemClock;
use keycard_core::user::{Email, PasswordHasher, User};
use keycard_server::config::{Mode, ServeArgs};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a new horse, battery and staple";
const ADMIN_TOKEN: &str = "admin-token-0123456789-abcdefghijklmnop";
/// Logins looping at once: more than the hashing slots, so some are always mid-check.
const LOOPERS: usize = 12;

on_every_backend!(
    logins_racing_a_disable_leave_no_session,
    logins_racing_a_password_change_leave_no_session,
    a_rehash_racing_a_password_change_never_reverts_it,
);

async fn start(backend: Backend, name: &str) -> (Scratch, TestServer) {
    let dir = scratch(name);
    let args = ServeArgs {
        mode: Some(Mode::Hybrid),
        admin_token: Some(ADMIN_TOKEN.parse().unwrap()),
        // The race, not the limits, is under test.
        // After the change every login with the old password fails: past the failure
        // limit per address (50 by default) they would answer 429 instead of 401.
        login_limit_per_account: Some(0),
        login_limit_per_ip: Some(0),
        login_success_limit_per_ip: Some(0),
        hash_queue: Some(10_000),
        hash_deadline: Some("60s".parse().unwrap()),
        ..args(dir.path())
    };
    let server = backend.start(args, Arc::new(SystemClock)).await;
    (dir, server)
}

async fn register(server: &TestServer) -> String {
    let response = client()
        .post(server.url("/v1/users"))
        .json(&json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// A credential a login handed out.
#[derive(Clone, Debug)]
struct Issued {
    access: String,
    refresh: String,
}

async fn login(server: &TestServer, password: &str) -> Option<Issued> {
    let response = client()
        .post(server.url("/v1/login"))
        .json(&json!({ "email": EMAIL, "password": password, "refresh_token_transport": "body" }))
        .send()
        .await
        .unwrap();
    if response.status() != StatusCode::OK {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        return None;
    }
    let body: Value = response.json().await.unwrap();
    Some(Issued {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
    })
}

/// Runs `LOOPERS` tasks logging in with `password` until `action` has completed and a
/// little longer; returns every credential handed out.
async fn logins_around(
    server: &Arc<TestServer>,
    password: &'static str,
    action: impl Future<Output = ()>,
) -> Vec<Issued> {
    let stop = Arc::new(AtomicBool::new(false));
    let loopers: Vec<_> = (0..LOOPERS)
        .map(|_| {
            let (server, stop) = (server.clone(), stop.clone());
            tokio::spawn(async move {
                let mut issued = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    issued.extend(login(&server, password).await);
                }
                issued
            })
        })
        .collect();
    // Let the loop get going, so the action lands while logins are mid-check.
    tokio::time::sleep(Duration::from_millis(400)).await;
    action.await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for looper in loopers {
        all.extend(looper.await.unwrap());
    }
    all
}

/// How many of `issued` still work: refresh rotates, or the access token passes the check.
async fn survivors(server: &TestServer, issued: &[Issued]) -> usize {
    let mut alive = 0;
    for credential in issued {
        let refreshed = client()
            .post(server.url("/v1/token/refresh"))
            .json(&json!({ "refresh_token": credential.refresh }))
            .send()
            .await
            .unwrap()
            .status();
        let checked = client()
            .get(server.url("/v1/auth/check"))
            .bearer_auth(&credential.access)
            .send()
            .await
            .unwrap()
            .status();
        if refreshed == StatusCode::OK || checked == StatusCode::NO_CONTENT {
            alive += 1;
        }
    }
    alive
}

async fn listed_sessions(server: &TestServer, user: &str) -> usize {
    let response = client()
        .get(server.url(&format!("/v1/admin/users/{user}/sessions")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["sessions"].as_array().unwrap().len()
}

async fn logins_racing_a_disable_leave_no_session(backend: Backend) {
    let (_dir, server) = start(backend, "race-disable").await;
    let server = Arc::new(server);
    let user = register(&server).await;
    let disable = {
        let server = server.clone();
        let user = user.clone();
        async move {
            let response = client()
                .post(server.url(&format!("/v1/admin/users/{user}/disable")))
                .bearer_auth(ADMIN_TOKEN)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
    };
    let issued = logins_around(&server, PASSWORD, disable).await;
    assert!(!issued.is_empty(), "the loop logged in before the disable");
    assert_eq!(survivors(&server, &issued).await, 0, "of {}", issued.len());
    assert_eq!(listed_sessions(&server, &user).await, 0);
}

async fn logins_racing_a_password_change_leave_no_session(backend: Backend) {
    let (_dir, server) = start(backend, "race-password").await;
    let server = Arc::new(server);
    let user = register(&server).await;
    let changer = login(&server, PASSWORD).await.unwrap();
    let change = {
        let server = server.clone();
        let access = changer.access.clone();
        async move {
            let response = client()
                .post(server.url("/v1/password"))
                .bearer_auth(&access)
                .json(&json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
        }
    };
    let issued = logins_around(&server, PASSWORD, change).await;
    assert!(!issued.is_empty(), "the loop logged in before the change");
    assert_eq!(survivors(&server, &issued).await, 0, "of {}", issued.len());
    // Only the session that made the change is left.
    assert_eq!(listed_sessions(&server, &user).await, 1);
    assert!(
        login(&server, PASSWORD).await.is_none(),
        "the old password is dead"
    );
    assert!(login(&server, NEW_PASSWORD).await.is_some());
}

async fn a_rehash_racing_a_password_change_never_reverts_it(backend: Backend) {
    let (_dir, server) = start(backend, "race-rehash").await;
    let server = Arc::new(server);
    let auth = server.state.auth();
    let weak = || {
        PasswordHasher::with_params(64, 1, 1)
            .unwrap()
            .hash(PASSWORD)
            .unwrap()
    };
    let user = User::new(Email::parse(EMAIL).unwrap(), weak(), auth.now()).unwrap();
    auth.stores().users.create_user(&user).await.unwrap();
    for round in 0..6 {
        let changer = login(&server, PASSWORD).await.unwrap();
        // Back to a hash weaker than the server's, so every racing login below reads it
        // and writes an upgrade of the old password while the change is in flight.
        let stored = auth
            .stores()
            .users
            .load_user(&user.id)
            .await
            .unwrap()
            .unwrap();
        let swapped = auth
            .stores()
            .users
            .replace_password_hash(&user.id, &stored.password_hash, &weak())
            .await
            .unwrap();
        assert_eq!(swapped, keycard_core::store::HashSwap::Replaced);
        let logins: Vec<_> = (0..4)
            .map(|_| {
                let server = server.clone();
                tokio::spawn(async move { login(&server, PASSWORD).await })
            })
            .collect();
        let change = client()
            .post(server.url("/v1/password"))
            .bearer_auth(&changer.access)
            .json(&json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(change.status(), StatusCode::NO_CONTENT, "round {round}");
        for racing in logins {
            racing.await.unwrap();
        }
        assert!(
            login(&server, PASSWORD).await.is_none(),
            "round {round}: the old password works again"
        );
        // Back to the first password for the next round.
        let back = login(&server, NEW_PASSWORD)
            .await
            .expect("the new password works");
        let response = client()
            .post(server.url("/v1/password"))
            .bearer_auth(&back.access)
            .json(&json!({ "current_password": NEW_PASSWORD, "new_password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "round {round}");
    }
}
