//! The fault drills in short form (the long runs are `bench/faults/run.sh`): a real
//! `keycard serve` (the debug `keycard` binary of this workspace) under mixed load while
//! private PostgreSQL and Redis servers are stopped and started, while it is killed with
//! SIGKILL, and while slow-header attackers hold its connections. Each asserts that no
//! promise was broken: never a 5xx but 503 with `Retry-After`, never a logged-out
//! credential accepted, recovery without a restart, nothing acknowledged lost.
//!
//! They start their own PostgreSQL (`initdb`, `pg_ctl`) and `redis-server`; a failure to
//! start them fails the test. `KEYCARD_SKIP_POSTGRES=1` / `KEYCARD_SKIP_REDIS=1` skip the
//! drills that need them instead, saying so on stderr (never in CI, see `scripts/test`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use keycard_bench::drill::crash::{CrashSpec, Stores, crash};
use keycard_bench::drill::outage::{Down, OutageSpec, outage};
use keycard_bench::drill::slow::{SlowSpec, slow_headers};
use keycard_bench::drill::tally::Op;
use keycard_server::config::Mode;

const MODES: [Mode; 3] = [Mode::Session, Mode::Jwt, Mode::Hybrid];

/// The workspace's debug `keycard` binary, built first if this test was built alone.
fn keycard() -> PathBuf {
    let me = std::env::current_exe().unwrap();
    // target/debug/deps/faults-<hash> → target/debug/keycard
    let binary = me.parent().unwrap().parent().unwrap().join("keycard");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "keycard-cli", "--bin", "keycard"])
            .status()
            .unwrap();
        assert!(status.success(), "building keycard failed");
    }
    binary
}

/// Whether the drills that need `service` are opted out on this machine.
fn skipped(service: &str, test: &str) -> bool {
    let variable = format!("KEYCARD_SKIP_{}", service.to_uppercase());
    let skip = std::env::var(&variable).is_ok_and(|v| v == "1");
    if skip {
        eprintln!("SKIPPED {test} ({variable}=1)");
    }
    skip
}

async fn store_outage(down: Down) {
    for mode in MODES {
        let report = outage(&OutageSpec {
            binary: keycard(),
            mode,
            down,
            workers: 3,
            before: Duration::from_secs(2),
            // Longer than the stores' own timeouts (PostgreSQL's pool waits 3 s), so
            // requests are refused within the outage, not only served after it.
            outage: Duration::from_secs(6),
            after: Duration::from_secs(2),
        })
        .await
        .unwrap();
        assert_eq!(
            report.violations,
            0,
            "{} down, {mode}: {:?}\n{}",
            down.name(),
            report.notes,
            report.tally
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_under_load_is_503_then_served_again_in_every_mode() {
    if skipped("redis", "the Redis outage drill") || skipped("postgres", "the Redis outage drill") {
        return;
    }
    store_outage(Down::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_of_the_users_stopped_beside_redis_is_503_then_served_again_in_every_mode() {
    if skipped("redis", "the PostgreSQL-beside-Redis outage drill")
        || skipped("postgres", "the PostgreSQL-beside-Redis outage drill")
    {
        return;
    }
    store_outage(Down::PostgresBesideRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_load_is_503_then_served_again_in_every_mode() {
    if skipped("postgres", "the PostgreSQL outage drill") {
        return;
    }
    store_outage(Down::Postgres).await;
}

async fn kill_nine(stores: Stores) {
    for mode in MODES {
        let report = crash(&CrashSpec {
            binary: keycard(),
            mode,
            stores,
            workers: 3,
            kills: 1,
            load: Duration::from_secs(3),
        })
        .await
        .unwrap();
        let checked = &report.checked;
        assert_eq!(
            report.violations,
            0,
            "{}, {mode}:\n{}",
            stores.name(),
            report.tally
        );
        // The checks had something to check.
        assert!(checked.users >= 3, "{checked:?}");
        assert!(checked.sessions > 0 && checked.logouts > 0, "{checked:?}");
        if mode == Mode::Hybrid {
            assert_eq!(checked.families, checked.sessions, "{checked:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_on_sqlite_loses_nothing_acknowledged() {
    kill_nine(Stores::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_on_postgres_loses_nothing_acknowledged() {
    if skipped("postgres", "the PostgreSQL kill -9 drill") {
        return;
    }
    kill_nine(Stores::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_on_postgres_and_redis_loses_nothing_acknowledged() {
    if skipped("postgres", "the PostgreSQL + Redis kill -9 drill")
        || skipped("redis", "the PostgreSQL + Redis kill -9 drill")
    {
        return;
    }
    kill_nine(Stores::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_attackers_past_the_connection_limit_do_not_starve_clients() {
    let report = slow_headers(&SlowSpec {
        binary: keycard(),
        mode: Mode::Session,
        max_connections: 16,
        header_read_timeout: 1,
        // The attackers' address may hold half the slots; the clients' (another address)
        // need fewer than that.
        per_address: Some(8),
        attackers: 48,
        workers: 3,
        each: Duration::from_secs(4),
    })
    .await
    .unwrap();
    assert_eq!(report.violations, 0, "{}", report.tally);
    assert!(report.attackers_cut > 0, "{report:?}");
    // 48 attackers on one address allowed 8: the rest were closed as soon as accepted.
    assert!(report.attackers_refused > 0, "{report:?}");
    assert!(!report.tally.latencies(1, Op::Me).is_empty());
}
