//! The conformance suite against PostgreSQL, each test in a fresh schema of the database at
//! `KEYCARD_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//!
//! An unreachable server fails every test. On a machine without PostgreSQL, set
//! `KEYCARD_SKIP_POSTGRES=1` to skip them instead: each then says SKIPPED on stderr.
//!
//! Schemas are named `kc_test_<unix secs>_<pid>_<n>`; the first test of a run drops those
//! left by runs more than ten minutes old, so the database does not fill up.

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use keycard_core::store::{StoreError, UserStore};
use keycard_core::user::{Email, PasswordHash, User};
use keycard_core::{Clock as _, SystemClock, UnixTime};
use keycard_store::conformance::feed::{FeedPair, Instance, PublishTime};
use keycard_store::postgres::PostgresStore;
use sqlx::{Connection as _, Executor as _};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const PREFIX: &str = "kc_test_";

fn url() -> String {
    std::env::var("KEYCARD_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// Whether `variable` is set to `1`: the tests were asked to skip.
fn env_says_skip(variable: &str) -> bool {
    std::env::var(variable).is_ok_and(|v| v == "1")
}

fn no_store(url: &str, error: &StoreError) -> ! {
    panic!(
        "no PostgreSQL store at {url} (is the server running?): {error}\n\
         Start it (`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`), \
         point KEYCARD_POSTGRES_URL at another server, or set KEYCARD_SKIP_POSTGRES=1 to skip \
         these tests."
    )
}

/// A schema name no other test, run or process uses.
fn new_schema() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let secs = SystemClock.now().as_secs();
    format!("{PREFIX}{secs}_{}_{n}", std::process::id())
}

/// Drops the test schemas of runs more than ten minutes old (best effort, once per process).
async fn drop_stale_schemas(url: &str) {
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(mut conn) = sqlx::PgConnection::connect(url).await else {
        return;
    };
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(PREFIX)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
    let cutoff = SystemClock.now().as_secs() - 600;
    for name in names {
        let born = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<i64>().ok());
        let plain = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if plain && born.is_some_and(|born| born < cutoff) {
            let _ = conn
                .execute(format!(r#"DROP SCHEMA IF EXISTS "{name}" CASCADE"#).as_str())
                .await;
        }
    }
    let _ = conn.close().await;
}

async fn fresh() -> Arc<PostgresStore> {
    let url = url();
    drop_stale_schemas(&url).await;
    match PostgresStore::connect_in_schema(&url, &new_schema()).await {
        Ok(store) => Arc::new(store),
        Err(error) => no_store(&url, &error),
    }
}

keycard_store::session_store_conformance!(
    skip_if = env_says_skip("KEYCARD_SKIP_POSTGRES"),
    async { fresh().await }
);
keycard_store::sql_store_conformance!(skip_if = env_says_skip("KEYCARD_SKIP_POSTGRES"), async {
    fresh().await
});

keycard_store::limits_conformance!(skip_if = env_says_skip("KEYCARD_SKIP_POSTGRES"), async {
    fresh().await
});

/// A bucket's row lives until the bucket is full again: the sweep deletes the rows of full
/// buckets only, and a call that leaves a bucket full (a refused charge on a new bucket, a
/// forget, a last refund) leaves no row behind.
#[tokio::test]
async fn the_sweep_deletes_only_full_buckets() {
    use keycard_core::gcra::Rate;
    use keycard_core::store::{Action, BucketId, BucketKind, SharedLimiter as _, Step};
    use keycard_store::conformance::fixtures::at;
    if env_says_skip("KEYCARD_SKIP_POSTGRES") {
        keycard_store::conformance::report_skipped(
            "the_sweep_deletes_only_full_buckets",
            "KEYCARD_SKIP_POSTGRES=1",
        );
        return;
    }
    let schema = new_schema();
    let store = PostgresStore::connect_in_schema(&url(), &schema)
        .await
        .unwrap();
    let mut raw = sqlx::PgConnection::connect(&url()).await.unwrap();
    let rate = Rate::per_window(1, 60).unwrap();
    let charge = |digest: u8| Step {
        bucket: BucketId::new(BucketKind::IpFailures, [digest; 16]),
        rate,
        action: Action::Charge,
    };
    assert_eq!(store.apply(&[charge(1)], at(0)).await.unwrap(), [0]);
    assert_eq!(store.apply(&[charge(2)], at(50)).await.unwrap(), [0]);
    // A refused pair: the new bucket 3 is not charged and gets no row.
    assert_eq!(
        store.apply(&[charge(3), charge(2)], at(51)).await.unwrap(),
        [0, 59_000]
    );
    let forget = Step {
        action: Action::Forget,
        ..charge(4)
    };
    assert_eq!(store.apply(&[charge(4)], at(0)).await.unwrap(), [0]);
    store.apply(&[forget], at(1)).await.unwrap();
    let query = format!(r#"SELECT name FROM "{schema}".limit_buckets ORDER BY name"#);
    let mut rows = async || -> Vec<String> {
        sqlx::query_scalar(&query)
            .fetch_all(&mut raw)
            .await
            .unwrap()
    };
    let one = format!("f:{}", "01".repeat(16));
    let two = format!("f:{}", "02".repeat(16));
    assert_eq!(rows().await, [one, two.clone()]);
    assert_eq!(store.sweep_full_buckets(at(59)).await.unwrap(), 0);
    assert_eq!(store.sweep_full_buckets(at(60)).await.unwrap(), 1);
    assert_eq!(rows().await, [two]);
    assert_eq!(store.sweep_full_buckets(at(110)).await.unwrap(), 1);
    assert!(rows().await.is_empty());
}

/// One fresh schema, opened twice as two instances would open it.
async fn pair() -> FeedPair {
    let (url, schema) = (url(), new_schema());
    drop_stale_schemas(&url).await;
    let open = || PostgresStore::connect_in_schema(&url, &schema);
    let one = Arc::new(open().await.unwrap_or_else(|e| no_store(&url, &e)));
    let two = Arc::new(open().await.unwrap());
    let (feed_one, feed_two) = (one.feed(), two.feed());
    FeedPair {
        one: Instance::new(one, feed_one),
        two: Instance::new(two, feed_two),
        publish_time: PublishTime::AsPublished,
    }
}

keycard_store::feed_conformance!(skip_if = env_says_skip("KEYCARD_SKIP_POSTGRES"), async {
    pair().await
});

/// A listener whose backend is terminated ends its subscription (no silent reconnection
/// that would miss what was notified in between); other schemas' listeners are untouched.
#[tokio::test]
async fn a_terminated_listener_ends_the_subscription() {
    use keycard_core::store::RevocationFeed as _;
    if env_says_skip("KEYCARD_SKIP_POSTGRES") {
        keycard_store::conformance::report_skipped(
            "a_terminated_listener_ends_the_subscription",
            "KEYCARD_SKIP_POSTGRES=1",
        );
        return;
    }
    let store = fresh().await;
    let feed = store.feed();
    let mut subscription = feed.subscribe().await.unwrap();
    let mut admin = sqlx::PgConnection::connect(&url()).await.unwrap();
    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE query = $1 AND pid <> pg_backend_pid()",
    )
    .bind(format!(r#"LISTEN "{}""#, feed.channel()))
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(terminated, [true], "the instrument: exactly this listener");
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while subscription.next().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the subscription outlived its connection");
}

fn user(email: &str) -> User {
    let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
    User::new(Email::parse(email).unwrap(), hash, UnixTime::from_secs(1)).unwrap()
}

#[tokio::test]
async fn schemas_are_isolated_and_reconnecting_keeps_data() {
    if env_says_skip("KEYCARD_SKIP_POSTGRES") {
        keycard_store::conformance::report_skipped(
            "schemas_are_isolated_and_reconnecting_keeps_data",
            "KEYCARD_SKIP_POSTGRES=1",
        );
        return;
    }
    let (url, schema) = (url(), new_schema());
    let first = PostgresStore::connect_in_schema(&url, &schema)
        .await
        .unwrap_or_else(|e| no_store(&url, &e));
    let alice = user("alice@example.com");
    first.create_user(&alice).await.unwrap();

    // The same schema again: migrations are already applied, the data is there.
    let again = PostgresStore::connect_in_schema(&url, &schema)
        .await
        .unwrap();
    assert_eq!(
        again.load_user(&alice.id).await.unwrap(),
        Some(alice.clone())
    );
    assert!(matches!(
        again.create_user(&user("ALICE@example.com")).await,
        Err(StoreError::Conflict("email"))
    ));

    // Another schema sees nothing of it.
    let other = PostgresStore::connect_in_schema(&url, &new_schema())
        .await
        .unwrap();
    assert_eq!(other.load_user(&alice.id).await.unwrap(), None);
    other.create_user(&alice).await.unwrap();
}

#[tokio::test]
async fn schema_names_are_checked_before_connecting() {
    for bad in ["", "Public", "x\"; DROP SCHEMA public; --", "a-b"] {
        let result = PostgresStore::connect_in_schema("postgres://nowhere.invalid/x", bad).await;
        assert!(
            matches!(result, Err(StoreError::Backend(_))),
            "{bad:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_server_fails_fast_with_a_backend_error() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let result = PostgresStore::connect("postgres://postgres@127.0.0.1:1/test").await;
    assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
}
