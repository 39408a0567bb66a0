//! Three instances sharing their stores (PostgreSQL + Redis, PostgreSQL alone, PostgreSQL +
//! Redis Cluster, one SQLite file): a revocation made at one instance is refused at the
//! others within the staleness bound (generously timed here; the tight numbers are in
//! bench/ and docs/BENCHMARKS.md), whatever made it (logout, logout everywhere, password
//! change, admin disable, refresh reuse), and a feed whose connection is cut resyncs with
//! nothing missed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::backend::Backend;
use common::fleet::{ADMIN_TOKEN, Fleet, Shared};
use common::tcp_proxy::Proxy;
use common::{TestServer, client, metric};
use keycard_server::config::{Mode, ServeArgs};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;

const PASSWORD: &str = "correct horse battery staple";
/// How long a revocation may take to reach another instance in these tests. The design
/// bound is milliseconds; a shared 2-core CI machine gets slack.
const PROPAGATES_WITHIN: Duration = Duration::from_secs(10);

/// A logged-in user's credentials.
struct Login {
    user: String,
    access: String,
    refresh: String,
}

async fn register(server: &TestServer, email: &str) -> String {
    let body = common::register(server, email, PASSWORD).await;
    body["id"].as_str().unwrap().to_owned()
}

async fn login(server: &TestServer, email: &str, user: &str) -> Login {
    let response = client()
        .post(server.url("/v1/login"))
        .json(&json!({ "email": email, "password": PASSWORD, "refresh_token_transport": "body" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    Login {
        user: user.to_owned(),
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
    }
}

async fn check(server: &TestServer, access: &str) -> StatusCode {
    client()
        .get(server.url("/v1/auth/check"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
}

/// Asserts `access` passes at `server` now.
async fn accepted(server: &TestServer, access: &str, what: &str) {
    assert_eq!(
        check(server, access).await,
        StatusCode::NO_CONTENT,
        "{what}"
    );
}

/// Waits until `access` is refused at every instance but `made_at`; panics past the bound.
async fn refused_everywhere(fleet: &Fleet, made_at: usize, access: &str, what: &str) {
    let started = Instant::now();
    for (index, instance) in fleet.instances.iter().enumerate() {
        loop {
            let status = check(instance, access).await;
            if status == StatusCode::UNAUTHORIZED {
                break;
            }
            assert_eq!(status, StatusCode::NO_CONTENT, "{what} at {index}");
            assert!(
                started.elapsed() < PROPAGATES_WITHIN,
                "{what} (made at instance {made_at}) still accepted at instance {index} after {PROPAGATES_WITHIN:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    eprintln!("{what}: refused everywhere after {:?}", started.elapsed());
}

async fn post(server: &TestServer, path: &str, access: &str, body: Value) -> StatusCode {
    client()
        .post(server.url(path))
        .bearer_auth(access)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

/// Every way of revoking, each made at one instance and checked at the others.
async fn every_revocation_reaches_every_instance(fleet: &Fleet) {
    let [a, b, c] = [
        &fleet.instances[0],
        &fleet.instances[1],
        &fleet.instances[2],
    ];
    let user = register(a, "ada@example.com").await;

    // A token minted at A works at B and C: one issuer, shared keys.
    let first = login(a, "ada@example.com", &user).await;
    accepted(b, &first.access, "A's token at B").await;
    accepted(c, &first.access, "A's token at C").await;

    // Logout at A.
    assert_eq!(
        post(a, "/v1/logout", &first.access, json!({})).await,
        StatusCode::NO_CONTENT
    );
    refused_everywhere(fleet, 0, &first.access, "logout").await;

    // Logout everywhere at B.
    let one = login(a, "ada@example.com", &user).await;
    let two = login(c, "ada@example.com", &user).await;
    accepted(b, &one.access, "before logout everywhere").await;
    assert_eq!(
        post(b, "/v1/logout/all", &two.access, json!({})).await,
        StatusCode::NO_CONTENT
    );
    refused_everywhere(fleet, 1, &one.access, "logout everywhere").await;

    // Password change at C ends the other sessions.
    tokio::time::sleep(Duration::from_millis(1100)).await; // past the not_before second
    let stays = login(c, "ada@example.com", &user).await;
    let other = login(a, "ada@example.com", &user).await;
    accepted(b, &other.access, "before the password change").await;
    let changed = post(
        c,
        "/v1/password",
        &stays.access,
        json!({ "current_password": PASSWORD, "new_password": "a brand new pass phrase" }),
    )
    .await;
    assert_eq!(changed, StatusCode::NO_CONTENT);
    refused_everywhere(fleet, 2, &other.access, "password change").await;

    // Refresh reuse at A: the family's access tokens stop everywhere.
    let bob = register(b, "bob@example.com").await;
    let family = login(b, "bob@example.com", &bob).await;
    let rotated: Value = client()
        .post(a.url("/v1/token/refresh"))
        .json(&json!({ "refresh_token": family.refresh }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = rotated["access_token"].as_str().unwrap().to_owned();
    let next = rotated["refresh_token"].as_str().unwrap().to_owned();
    let again: Value = client()
        .post(c.url("/v1/token/refresh"))
        .json(&json!({ "refresh_token": next }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(again["access_token"].is_string(), "{again}");
    accepted(b, &access, "before reuse").await;
    // The first token, long rotated past: reuse.
    let reuse = client()
        .post(a.url("/v1/token/refresh"))
        .json(&json!({ "refresh_token": family.refresh }))
        .send()
        .await
        .unwrap();
    assert_eq!(reuse.status(), StatusCode::UNAUTHORIZED);
    refused_everywhere(fleet, 0, &access, "refresh reuse").await;

    // Admin disable at A.
    let carol = register(c, "carol@example.com").await;
    let carols = login(c, "carol@example.com", &carol).await;
    accepted(b, &carols.access, "before the disable").await;
    let disabled = client()
        .post(a.url(&format!("/v1/admin/users/{}/disable", carols.user)))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), StatusCode::OK);
    refused_everywhere(fleet, 0, &carols.access, "admin disable").await;
}

/// How many times `server` has (re)subscribed to its feed, from its metrics.
async fn resyncs(server: &TestServer) -> u64 {
    metric(server, "keycard_revocation_feed_resyncs_total").await
}

/// Cuts every feed connection at the backend (as a failover or a network blip does),
/// makes a revocation while the instances resubscribe, and checks it is not missed.
async fn a_cut_feed_resyncs_and_misses_nothing(fleet: &Fleet, shared: Shared) {
    let [a, b] = [&fleet.instances[0], &fleet.instances[1]];
    let user = register(a, "dora@example.com").await;
    let before: Vec<u64> = {
        let mut counts = Vec::new();
        for instance in &fleet.instances {
            counts.push(resyncs(instance).await);
        }
        counts
    };
    let victim = login(b, "dora@example.com", &user).await;
    accepted(a, &victim.access, "before the cut").await;
    cut_feed_connections(shared).await;
    assert_eq!(
        post(a, "/v1/logout", &victim.access, json!({})).await,
        StatusCode::NO_CONTENT
    );
    refused_everywhere(fleet, 0, &victim.access, "logout during a feed cut").await;
    // Every instance noticed the cut and resynced from a snapshot.
    let started = Instant::now();
    for (index, instance) in fleet.instances.iter().enumerate() {
        while resyncs(instance).await <= before[index] {
            assert!(
                started.elapsed() < PROPAGATES_WITHIN,
                "instance {index} never resynced"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Kills the connections the instances follow the feed on, from outside.
async fn cut_feed_connections(shared: Shared) {
    match shared {
        Shared::PostgresRedis => {
            let redis = redis::Client::open(common::backend::redis_url()).unwrap();
            let mut connection = redis.get_multiplexed_async_connection().await.unwrap();
            let killed: i64 = redis::cmd("CLIENT")
                .arg("KILL")
                .arg("TYPE")
                .arg("pubsub")
                .query_async(&mut connection)
                .await
                .unwrap();
            assert!(killed >= 3, "killed {killed} pubsub connections");
        }
        Shared::Postgres => terminate_listeners().await,
        Shared::PostgresRedisCluster | Shared::Sqlite => {}
    }
}

/// Terminates every PostgreSQL backend that is listening for notifications.
async fn terminate_listeners() {
    use sqlx::Connection as _;
    let mut connection = sqlx::PgConnection::connect(&common::backend::postgres_url())
        .await
        .unwrap();
    let killed: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE pid <> pg_backend_pid() AND query ILIKE 'LISTEN%'",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    assert!(killed.len() >= 3, "terminated {} listeners", killed.len());
}

async fn run(shared: Shared, backend: Backend, name: &str) {
    if backend != Backend::Sqlite && !backend.available(name) {
        return;
    }
    let fleet = Fleet::start(shared, 3, Mode::Hybrid, |_, _, args| args).await;
    every_revocation_reaches_every_instance(&fleet).await;
    if matches!(shared, Shared::PostgresRedis | Shared::Postgres) {
        a_cut_feed_resyncs_and_misses_nothing(&fleet, shared).await;
    }
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_on_postgres_and_redis() {
    run(
        Shared::PostgresRedis,
        Backend::PostgresRedis,
        "fleet_on_postgres_and_redis",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_on_postgres_alone() {
    run(
        Shared::Postgres,
        Backend::PostgresRedis,
        "fleet_on_postgres_alone",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_on_postgres_and_redis_cluster() {
    if std::env::var("KEYCARD_SKIP_REDIS_CLUSTER").as_deref() == Ok("1") {
        eprintln!("SKIPPED fleet_on_postgres_and_redis_cluster (KEYCARD_SKIP_REDIS_CLUSTER=1)");
        return;
    }
    run(
        Shared::PostgresRedisCluster,
        Backend::PostgresRedis,
        "fleet_on_postgres_and_redis_cluster",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_on_one_sqlite_file() {
    run(Shared::Sqlite, Backend::Sqlite, "fleet_on_one_sqlite_file").await;
}

/// Instance C reaches PostgreSQL and Redis through proxies; cut off from both, it stops
/// accepting bearer tokens within the staleness bound (503: it cannot ask the store, and
/// will not trust memory) and says not ready; restored, it serves again, and a logout made
/// at A meanwhile is refused at C too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_cut_off_from_its_stores_refuses_then_recovers() {
    let name = "an_instance_cut_off_from_its_stores_refuses_then_recovers";
    if !Backend::PostgresRedis.available(name) {
        return;
    }
    let redis_target = common::backend::redis_url()
        .trim_start_matches("redis://")
        .to_owned();
    let mut redis_proxy = Proxy::start(redis_target.parse().unwrap());
    let postgres_target = "127.0.0.1:5432";
    let mut postgres_proxy = Proxy::start(postgres_target.parse().unwrap());
    let redis_addr = format!("127.0.0.1:{}", redis_proxy.port());
    let postgres_addr = format!("127.0.0.1:{}", postgres_proxy.port());
    let fleet = Fleet::start(
        Shared::PostgresRedis,
        3,
        Mode::Hybrid,
        move |index, urls, args| {
            if index != 2 {
                return args;
            }
            let user_store = urls.user_store.as_ref().unwrap();
            ServeArgs {
                session_store: Some(format!("redis://{redis_addr}").parse().unwrap()),
                user_store: Some(
                    user_store
                        .replace(postgres_target, &postgres_addr.to_string())
                        .parse()
                        .unwrap(),
                ),
                ..args
            }
        },
    )
    .await;
    let [a, c] = [&fleet.instances[0], &fleet.instances[2]];
    let user = register(a, "erin@example.com").await;
    let token = login(a, "erin@example.com", &user).await;
    let other = login(a, "erin@example.com", &user).await;
    accepted(c, &token.access, "before the partition").await;

    redis_proxy.stop();
    postgres_proxy.stop();
    let started = Instant::now();
    loop {
        let status = check(c, &token.access).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(
            started.elapsed() < PROPAGATES_WITHIN,
            "C kept trusting stale memory"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("partitioned instance refused after {:?}", started.elapsed());
    let ready = client()
        .get(c.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(ready, StatusCode::SERVICE_UNAVAILABLE);
    // Meanwhile, a logout at A.
    assert_eq!(
        post(a, "/v1/logout", &other.access, json!({})).await,
        StatusCode::NO_CONTENT
    );

    redis_proxy.restart();
    postgres_proxy.restart();
    let started = Instant::now();
    while check(c, &token.access).await != StatusCode::NO_CONTENT {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "C never recovered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        check(c, &other.access).await,
        StatusCode::UNAUTHORIZED,
        "nothing missed"
    );
    fleet.stop().await;
}

/// Two instances starting at the same moment on an empty shared PostgreSQL: both end up
/// signing with the same single active key, so each accepts the other's tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_agree_on_one_active_key() {
    let name = "instances_starting_together_agree_on_one_active_key";
    if !Backend::PostgresRedis.available(name) {
        return;
    }
    for round in 0..3 {
        let user_store = common::fleet::postgres_in_fresh_schema().await;
        let dirs = [common::scratch("together-a"), common::scratch("together-b")];
        let settings = |dir: &common::Scratch| ServeArgs {
            mode: Some(Mode::Hybrid),
            issuer: Some(common::fleet::ISSUER.into()),
            master_key: Some(common::fleet::MASTER_KEY.parse().unwrap()),
            user_store: Some(user_store.parse().unwrap()),
            ..common::args(dir.path())
        };
        let (a, b) = tokio::join!(
            TestServer::start(settings(&dirs[0])),
            TestServer::start(settings(&dirs[1]))
        );
        let kid = |server: &TestServer| {
            let keys = server.state.auth().keys();
            keys.active().map(|key| key.kid().to_owned())
        };
        let (at_a, at_b) = (kid(&a), kid(&b));
        assert!(at_a.is_some(), "round {round}: an active key");
        assert_eq!(at_a, at_b, "round {round}: one active key for both");
        let user = register(&a, "fay@example.com").await;
        let token = login(&b, "fay@example.com", &user).await;
        accepted(&a, &token.access, "B's token at A").await;
        a.stop().await.unwrap();
        b.stop().await.unwrap();
    }
}
