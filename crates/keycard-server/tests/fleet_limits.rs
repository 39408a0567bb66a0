//! Login and registration limits across three instances sharing their stores (PostgreSQL +
//! Redis, PostgreSQL alone, PostgreSQL + Redis Cluster): wrong passwords spread round robin
//! over the instances are answered 429 after the configured limit *in total*, for an
//! account and for an address; a correct password at one instance gives the account its
//! attempts back at every instance; an instance started again still refuses what the
//! fleet counted; and an instance whose limit store does not answer refuses with 503
//! rather than let an attempt through uncounted. On one SQLite file each instance counts
//! alone, as documented.
//!
//! Every instance trusts `X-Forwarded-For` from loopback, so each part of a test speaks
//! for its own client address.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::backend::{Backend, redis_url};
use common::fleet::{Fleet, Shared};
use common::tcp_proxy::Proxy;
use common::{TestServer, client};
use keycard_server::config::{Mode, ServeArgs};
use reqwest::{Response, StatusCode};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";
const PER_ACCOUNT: u32 = 3;
const PER_ADDRESS: u32 = 5;

/// The limits of every instance: 3 attempts per account, 5 failures per address, per
/// 10 minutes; registrations loose enough for the tests' own.
fn limits(args: ServeArgs) -> ServeArgs {
    ServeArgs {
        login_limit_per_account: Some(PER_ACCOUNT),
        login_limit_per_ip: Some(PER_ADDRESS),
        login_limit_window: Some("10m".parse().unwrap()),
        registration_limit_per_ip: Some(100),
        trusted_proxies: Some("127.0.0.1".parse().unwrap()),
        ..args
    }
}

async fn start(shared: Shared) -> Fleet {
    Fleet::start(shared, 3, Mode::Hybrid, |_, _, args| limits(args)).await
}

async fn register(server: &TestServer, email: &str, from: &str) -> StatusCode {
    client()
        .post(server.url("/v1/users"))
        .header("x-forwarded-for", from)
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .status()
}

async fn login(server: &TestServer, email: &str, password: &str, from: &str) -> Response {
    client()
        .post(server.url("/v1/login"))
        .header("x-forwarded-for", from)
        .json(&json!({ "email": email, "password": password, "refresh_token_transport": "body" }))
        .send()
        .await
        .unwrap()
}

/// A wrong password at `server`: its status, and `Retry-After` when refused.
async fn wrong(server: &TestServer, email: &str, from: &str) -> (StatusCode, Option<u64>) {
    let response = login(server, email, "not the password at all", from).await;
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().parse().unwrap());
    (response.status(), retry_after)
}

/// Asserts `count` wrong passwords, round robin from instance `first`, are each 401.
async fn failures(fleet: &Fleet, first: usize, count: usize, email: &str, from: &str) {
    for n in 0..count {
        let index = (first + n) % fleet.instances.len();
        let (status, _) = wrong(&fleet.instances[index], email, from).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n} at {index}");
    }
}

/// Asserts every instance refuses a wrong password with 429 and a `Retry-After` within the
/// window.
async fn refused_everywhere(fleet: &Fleet, email: &str, from: &str, what: &str) {
    for (index, instance) in fleet.instances.iter().enumerate() {
        let (status, retry_after) = wrong(instance, email, from).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{what} at {index}");
        let retry_after = retry_after.expect("Retry-After");
        assert!((1..=600).contains(&retry_after), "{what}: {retry_after}");
    }
}

async fn limits_hold_across_the_fleet(fleet: &mut Fleet) {
    let [a, b] = [&fleet.instances[0], &fleet.instances[1]];
    for email in ["ada@example.com", "bob@example.com"] {
        assert_eq!(register(a, email, "192.0.2.100").await, StatusCode::CREATED);
    }

    // The account: 3 wrong passwords in total, one at each instance, then 429 at all.
    failures(
        fleet,
        0,
        PER_ACCOUNT as usize,
        "ada@example.com",
        "192.0.2.1",
    )
    .await;
    refused_everywhere(fleet, "ada@example.com", "198.51.100.1", "account").await;

    // The address: 5 failures in total, on 5 accounts (unknown ones count alike), round
    // robin; the 6th is refused at every instance, on any account.
    for n in 0..PER_ADDRESS {
        let (status, _) = wrong(
            &fleet.instances[n as usize % 3],
            &format!("nobody{n}@example.com"),
            "192.0.2.2",
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "address attempt {n}");
    }
    refused_everywhere(fleet, "someone-else@example.com", "192.0.2.2", "address").await;

    // A correct password at B forgives Bob's two failures made at A and C: at every
    // instance, Bob has his three attempts again.
    failures(fleet, 2, 2, "bob@example.com", "192.0.2.3").await;
    let ok = login(b, "bob@example.com", PASSWORD, "192.0.2.3").await;
    assert_eq!(ok.status(), StatusCode::OK);
    failures(
        fleet,
        0,
        PER_ACCOUNT as usize,
        "bob@example.com",
        "192.0.2.3",
    )
    .await;
    refused_everywhere(
        fleet,
        "bob@example.com",
        "192.0.2.4",
        "bob after the refund",
    )
    .await;

    // An instance started again knows nothing in memory, and still refuses: the counts
    // are in the store.
    fleet.restart(0).await;
    let restarted = &fleet.instances[0];
    let (status, _) = wrong(restarted, "ada@example.com", "198.51.100.2").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "account after restart"
    );
    let (status, _) = wrong(restarted, "fresh@example.com", "192.0.2.2").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "address after restart"
    );
    let ok = login(restarted, "bob@example.com", "wrong", "192.0.2.5").await;
    assert_eq!(
        ok.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "bob after restart"
    );
}

async fn run(shared: Shared, name: &str) {
    if !Backend::PostgresRedis.available(name) {
        return;
    }
    let mut fleet = start(shared).await;
    limits_hold_across_the_fleet(&mut fleet).await;
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_are_shared_on_postgres_and_redis() {
    run(
        Shared::PostgresRedis,
        "limits_are_shared_on_postgres_and_redis",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_are_shared_on_postgres_alone() {
    run(Shared::Postgres, "limits_are_shared_on_postgres_alone").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_are_shared_on_postgres_and_redis_cluster() {
    if std::env::var("KEYCARD_SKIP_REDIS_CLUSTER").as_deref() == Ok("1") {
        eprintln!(
            "SKIPPED limits_are_shared_on_postgres_and_redis_cluster (KEYCARD_SKIP_REDIS_CLUSTER=1)"
        );
        return;
    }
    run(
        Shared::PostgresRedisCluster,
        "limits_are_shared_on_postgres_and_redis_cluster",
    )
    .await;
}

/// One SQLite file keeps the limits in each process: three instances allow three times the
/// account's limit, as docs/CONFIG.md says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_one_sqlite_file_each_instance_counts_alone() {
    let fleet = start(Shared::Sqlite).await;
    assert!(
        fleet
            .instances
            .iter()
            .all(|server| !server.state.auth().limiter().is_shared())
    );
    let a = &fleet.instances[0];
    assert_eq!(
        register(a, "cy@example.com", "192.0.2.100").await,
        StatusCode::CREATED
    );
    failures(
        &fleet,
        0,
        3 * PER_ACCOUNT as usize,
        "cy@example.com",
        "192.0.2.1",
    )
    .await;
    refused_everywhere(&fleet, "cy@example.com", "198.51.100.1", "per instance").await;
    fleet.stop().await;
}

/// The session store (and with it the limits) of one instance behind a proxy: cut, a wrong
/// password, which needs nothing but the limits from Redis (the user is in PostgreSQL), is
/// answered 503 with `Retry-After`, never 401, and so is a registration; restored, the same
/// instance counts again, and nothing was counted meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_store_that_does_not_answer_refuses_with_503() {
    let name = "a_limit_store_that_does_not_answer_refuses_with_503";
    if !Backend::PostgresRedis.available(name) {
        return;
    }
    let target = redis_url().trim_start_matches("redis://").to_owned();
    let mut proxy = Proxy::start(target.parse().unwrap());
    let through = format!("redis://127.0.0.1:{}", proxy.port());
    let fleet = Fleet::start(Shared::PostgresRedis, 1, Mode::Hybrid, move |_, _, args| {
        ServeArgs {
            session_store: Some(through.parse().unwrap()),
            ..limits(args)
        }
    })
    .await;
    let server = &fleet.instances[0];
    assert_eq!(
        register(server, "dee@example.com", "192.0.2.100").await,
        StatusCode::CREATED
    );
    failures(&fleet, 0, 1, "dee@example.com", "192.0.2.1").await;

    proxy.stop();
    for attempt in 0..3 {
        let response = login(server, "dee@example.com", "wrong password", "192.0.2.1").await;
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "attempt {attempt}"
        );
        assert!(response.headers().contains_key("retry-after"));
        let body = response.text().await.unwrap();
        assert!(!body.to_lowercase().contains("redis"), "{body}");
    }
    assert_eq!(
        register(server, "eve@example.com", "192.0.2.100").await,
        StatusCode::SERVICE_UNAVAILABLE
    );

    proxy.restart();
    let started = tokio::time::Instant::now();
    loop {
        let (status, _) = wrong(server, "dee@example.com", "192.0.2.1").await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "never recovered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // One failure before the cut, one now: the third is the last the account allows.
    failures(&fleet, 0, 1, "dee@example.com", "192.0.2.1").await;
    refused_everywhere(&fleet, "dee@example.com", "192.0.2.1", "after the outage").await;
    fleet.stop().await;
}
