//! Hostile requests over real HTTP, in every mode. Each case (see `cases/`) is sent as raw
//! bytes on its own connection, and each must:
//! - be answered with a 4xx, or refused by the HTTP parser by closing the connection; never
//!   a 5xx and never a hang ([`raw::ANSWER_WITHIN`]);
//! - when the answer has a body, be `application/problem+json`;
//! - echo no secret (passwords, tokens, cookies, CSRF tokens, the admin token, the client
//!   secret) in its head or body;
//! - change nothing: the audit log, both users' records and both users' sessions are as
//!   before, and no hostile registration created an account;
//! - leave the server serving: `/healthz` answers, and the victim is still signed in.
//!
//! Slow clients (headers sent a byte at a time, connections held open) are in
//! `slow_clients.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cases;
#[path = "../common/mod.rs"]
mod common;
mod slow_clients;
mod world;

use common::raw::{self, Outcome};
use keycard_server::config::Mode;
use world::World;

/// Runs every case of `mode`; returns the failures, one line each.
async fn run(mode: Mode) -> (usize, Vec<String>) {
    let world = World::new(mode).await;
    let secrets = world.secrets();
    let before = world.snapshot().await;
    let cases = cases::all(&world);
    let mut failures = Vec::new();
    for case in &cases {
        let name = format!("{mode:?}: {}", case.name);
        match raw::send(&world.addr, &case.request).await {
            Outcome::Hung => {
                failures.push(format!("{name}: no answer within {:?}", raw::ANSWER_WITHIN))
            }
            Outcome::Closed => {
                if case.status.is_some() {
                    failures.push(format!(
                        "{name}: closed without an answer, expected {:?}",
                        case.status
                    ));
                }
            }
            Outcome::Answered(answer) => {
                let status = answer.status;
                if !(400..500).contains(&status) {
                    failures.push(format!("{name}: answered {status}"));
                }
                if case.status.is_some_and(|expected| expected != status) {
                    failures.push(format!(
                        "{name}: answered {status}, expected {:?}",
                        case.status
                    ));
                }
                let content_type = answer.header("content-type").unwrap_or_default();
                if !answer.body.is_empty() && content_type != "application/problem+json" {
                    failures.push(format!("{name}: a body of type {content_type:?}"));
                }
                let text = String::from_utf8_lossy(&answer.raw);
                for secret in &secrets {
                    if text.contains(secret.as_str()) {
                        failures.push(format!("{name}: the answer contains a secret"));
                    }
                }
                if answer
                    .header("set-cookie")
                    .is_some_and(|c| c.contains("pwned"))
                {
                    failures.push(format!("{name}: a header was injected"));
                }
            }
        }
        let after = world.snapshot().await;
        if after != before {
            failures.push(format!(
                "{name}: changed state\n before {before:?}\n after  {after:?}"
            ));
            break;
        }
        if let Err(why) = world.still_serving().await {
            failures.push(format!("{name}: then {why}"));
            break;
        }
    }
    (cases.len(), failures)
}

async fn every_case_is_refused_cleanly(mode: Mode) {
    let (count, failures) = run(mode).await;
    assert!(
        count >= 60,
        "{mode:?}: only {count} kinds of hostile request"
    );
    assert!(
        failures.is_empty(),
        "{mode:?}: {} of {count} hostile requests misbehaved:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn session_mode_refuses_every_hostile_request_cleanly() {
    every_case_is_refused_cleanly(Mode::Session).await;
}

#[tokio::test]
async fn jwt_mode_refuses_every_hostile_request_cleanly() {
    every_case_is_refused_cleanly(Mode::Jwt).await;
}

#[tokio::test]
async fn hybrid_mode_refuses_every_hostile_request_cleanly() {
    every_case_is_refused_cleanly(Mode::Hybrid).await;
}
