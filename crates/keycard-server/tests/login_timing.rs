//! Bad credentials take the same time whether or not the email exists: over real HTTP,
//! against SQLite and the default (OWASP) argon2id parameters, the median round trip of a
//! login with an unknown email and of one with a known email and a wrong password are
//! within 10% of each other, and the answers are the same bytes.
//!
//! The two kinds are interleaved (ABBA order, one request at a time over one kept-alive
//! connection), so whatever else the machine is doing slows both alike. A batch of 25 of
//! each must agree; up to 3 batches are tried, since a real leak shows in every one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, args, client, scratch};
use keycard_server::config::Mode;
use reqwest::StatusCode;
use serde_json::{Value, json};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";
const WRONG: &str = "wrong horse battery staple";
const UNKNOWN: &str = "nobody@example.com";
/// Measured attempts of each kind.
const ROUNDS: usize = 25;
/// Batches of [`ROUNDS`] tried before the test fails.
const BATCHES: usize = 3;
/// Unmeasured attempts of each kind first (connection, caches, blocking pool threads).
const WARM_UP: usize = 3;

/// What one login attempt answered, and how long it took.
struct Attempt {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
    elapsed: Duration,
}

/// One `POST /v1/login`, timed from send to the last byte of the body.
// The test measures wall time on purpose: the server's Clock is not involved, and the
// round trip is what an attacker would measure.
#[allow(clippy::disallowed_methods)]
async fn attempt(http: &reqwest::Client, url: &str, email: &str) -> Attempt {
    let body = json!({ "email": email, "password": WRONG });
    let started = std::time::Instant::now();
    let response = http.post(url).json(&body).send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map_or(String::new(), |v| v.to_str().unwrap().to_owned());
    let body = response.bytes().await.unwrap().to_vec();
    let elapsed = started.elapsed();
    Attempt {
        status,
        content_type,
        body,
        elapsed,
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let mid = samples.len() / 2;
    if samples.len().is_multiple_of(2) {
        (samples[mid - 1] + samples[mid]) / 2
    } else {
        samples[mid]
    }
}

#[tokio::test]
async fn unknown_email_and_wrong_password_take_the_same_time() {
    let dir = scratch("login-timing");
    let mut args = args(dir.path());
    args.mode = Some(Mode::Jwt);
    // Every attempt below fails; the brute-force limits would answer 429 long before the
    // end, and a throttled answer costs no hashing at all.
    args.login_limit_per_account = Some(0);
    args.login_limit_per_ip = Some(0);
    let server = TestServer::start(args).await;
    let http = client();
    let response = http
        .post(server.url("/v1/users"))
        .json(&json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    let url = server.url("/v1/login");
    for _ in 0..WARM_UP {
        attempt(&http, &url, UNKNOWN).await;
        attempt(&http, &url, EMAIL).await;
    }
    // A leak (an unknown email answered without hashing, ~0.5 ms against ~17 ms) shows in
    // every batch; a batch where a busy machine happened to slow one kind more than the
    // other does not repeat. So the medians must agree in one of a few batches.
    let mut batches = Vec::new();
    for _ in 0..BATCHES {
        let (unknown, known) = batch(&http, &url).await;
        let (a, b) = (unknown.as_secs_f64(), known.as_secs_f64());
        eprintln!(
            "login timing: median unknown email {unknown:?}, known email + wrong password {known:?}, ratio {:.3}",
            a / b
        );
        // The hashing was done: a failure answered without argon2 would take well under this.
        assert!(
            known > Duration::from_millis(5),
            "a wrong password answered in {known:?}: was the password verified at all?"
        );
        batches.push((unknown, known));
        if (a - b).abs() <= 0.1 * a.max(b) {
            return;
        }
    }
    panic!(
        "median round trips (unknown email, wrong password) differ by more than 10% in every batch: {batches:?}"
    );
}

/// Interleaved attempts, [`ROUNDS`] of each kind; asserts every answer is the same and
/// returns the median round trips: (unknown email, known email + wrong password).
async fn batch(http: &reqwest::Client, url: &str) -> (Duration, Duration) {
    let mut unknown = Vec::with_capacity(ROUNDS);
    let mut known = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        // ABBA: neither kind always goes first.
        if round.is_multiple_of(2) {
            unknown.push(attempt(http, url, UNKNOWN).await);
            known.push(attempt(http, url, EMAIL).await);
        } else {
            known.push(attempt(http, url, EMAIL).await);
            unknown.push(attempt(http, url, UNKNOWN).await);
        }
    }

    // The same answer, byte for byte, every time.
    let reference = &unknown[0];
    assert_eq!(reference.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reference.content_type, "application/problem+json");
    let problem: Value = serde_json::from_slice(&reference.body).unwrap();
    assert_eq!(
        problem["type"],
        "https://keycard.dev/problems/invalid-credentials"
    );
    for other in unknown.iter().chain(&known) {
        assert_eq!(other.status, reference.status);
        assert_eq!(other.content_type, reference.content_type);
        assert_eq!(other.body, reference.body);
    }
    (
        median(unknown.iter().map(|a| a.elapsed).collect()),
        median(known.iter().map(|a| a.elapsed).collect()),
    )
}
