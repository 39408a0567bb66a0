//! The conformance suite: every store contract, written once, run against every backend.
//!
//! Each backend's test file names a constructor and calls the macros:
//!
//! ```text
//! keycard_store::session_store_conformance!(async { my_backend().await });
//! keycard_store::sql_store_conformance!(async { my_backend().await });
//! keycard_store::feed_conformance!(async { my_backend_opened_twice().await });
//! keycard_store::limits_conformance!(async { my_backend().await });
//! ```
//!
//! The constructor must return a fresh, empty store (a new database, schema or key prefix)
//! wrapped in `Arc`, so tests can run in parallel. Time is passed in explicitly, so expiry
//! is tested at exact instants, never with sleeps.
//!
//! A backend that needs a server may be skipped on a machine without one, but only when
//! asked: `skip_if = <bool expression>` is evaluated in each test, before the constructor,
//! and a skipped test says so loudly on stderr. Without the opt-out, an unreachable server
//! is a failed test.
//!
//! ```text
//! keycard_store::session_store_conformance!(
//!     skip_if = std::env::var("KEYCARD_SKIP_POSTGRES").is_ok_and(|v| v == "1"),
//!     async { my_backend().await }
//! );
//! ```

// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod audit;
pub mod feed;
pub mod fixtures;
pub mod keys;
pub mod limits;
pub mod revocations;
pub mod sessions;
pub mod users;

/// Runs the session and refresh-family contracts and the revocation contracts against the
/// store built by `$make` (an `async` block yielding `Arc<impl SessionStore +
/// RevocationStore + 'static>`), each test skipped when the optional `skip_if` holds.
#[macro_export]
macro_rules! session_store_conformance {
    (skip_if = $skip:expr, $make:expr $(,)?) => {
        $crate::session_store_conformance!(@tests [$skip] $make);
    };
    (@tests [$($skip:expr)?] $make:expr) => {
        $crate::conformance_tests!(
            [$($skip)?] $make,
            $crate::conformance::sessions,
            [
                create_then_load_by_token_and_by_id,
                duplicate_session_or_token_conflicts,
                idle_and_absolute_expiry_hide_records,
                sweep_removes_only_expired_sessions,
                touch_writes_at_most_once_a_minute,
                delete_removes_session_and_its_tokens,
                per_user_listing_and_revocation,
                rotation_moves_the_current_token,
                rotation_race_mints_exactly_one_successor,
                previous_token_within_grace_replays_the_same_successor,
                previous_token_after_grace_is_reuse,
                previous_token_replays_at_most_max_replays_times,
                a_rotation_resets_the_replay_count,
                zero_replays_never_replays_the_previous_token,
                replay_race_is_bounded,
                older_token_is_reuse_and_kills_the_family,
                unknown_and_cookie_tokens_do_not_rotate,
                expired_family_does_not_rotate,
            ]
        );
        $crate::conformance_tests!(
            [$($skip)?] $make,
            $crate::conformance::revocations,
            [
                revocations_live_until_forgotten,
                revocation_with_same_key_replaces,
            ]
        );
    };
    ($make:expr) => {
        $crate::session_store_conformance!(@tests [] $make);
    };
}

/// Runs the user, key and audit contracts (the SQL-only stores) against `$make` (an `async`
/// block yielding `Arc<impl UserStore + KeyStore + AuditStore + 'static>`), each test
/// skipped when the optional `skip_if` holds.
#[macro_export]
macro_rules! sql_store_conformance {
    (skip_if = $skip:expr, $make:expr $(,)?) => {
        $crate::sql_store_conformance!(@tests [$skip] $make);
    };
    (@tests [$($skip:expr)?] $make:expr) => {
        $crate::conformance_tests!(
            [$($skip)?] $make,
            $crate::conformance::users,
            [
                create_and_load_by_id_and_email,
                email_is_unique_across_case_and_unicode_forms,
                password_disable_and_not_before,
                password_hash_swaps_only_from_the_expected_hash,
                password_hash_race_has_exactly_one_winner,
            ]
        );
        $crate::conformance_tests!(
            [$($skip)?] $make,
            $crate::conformance::keys,
            [keys_save_load_role_delete]
        );
        $crate::conformance_tests!(
            [$($skip)?] $make,
            $crate::conformance::audit,
            [audit_append_and_query]
        );
    };
    ($make:expr) => {
        $crate::sql_store_conformance!(@tests [] $make);
    };
}

/// Runs the revocation feed contracts against the pair of instances built by `$make` (an
/// `async` block yielding a [`feed::FeedPair`]: the backend opened twice), each test skipped
/// when the optional `skip_if` holds.
#[macro_export]
macro_rules! feed_conformance {
    (skip_if = $skip:expr, $make:expr $(,)?) => {
        $crate::feed_conformance!(@tests [$skip] $make);
    };
    (@tests [$($skip:expr)?] $make:expr) => {
        $crate::conformance_tests!(
            [$($skip)?] $make,
            $crate::conformance::feed,
            [
                every_subscriber_gets_every_revocation_in_order,
                a_revocation_recorded_again_is_delivered_again,
                heartbeats_reach_every_subscriber,
                a_subscription_delivers_what_follows_and_no_history,
            ]
        );
    };
    ($make:expr) => {
        $crate::feed_conformance!(@tests [] $make);
    };
}

/// Runs the shared limiter's contracts against the store built by `$make` (an `async`
/// block yielding `Arc<impl SharedLimiter + 'static>`), each test skipped when the optional
/// `skip_if` holds.
#[macro_export]
macro_rules! limits_conformance {
    (skip_if = $skip:expr, $make:expr $(,)?) => {
        $crate::limits_conformance!(@tests [$skip] $make);
    };
    (@tests [$($skip:expr)?] $make:expr) => {
        $crate::conformance_tests!(
            [$($skip)?] $make,
            $crate::conformance::limits,
            [
                limits_follow_the_gcra_rule,
                limits_charge_all_or_nothing,
                limits_refund_and_forget,
                limits_refill_and_expire,
                limits_race_allows_exactly_the_limit,
            ]
        );
    };
    ($make:expr) => {
        $crate::limits_conformance!(@tests [] $make);
    };
}

/// One `#[tokio::test]` per listed suite function; `[]` or `[skip condition]` first.
#[doc(hidden)]
#[macro_export]
macro_rules! conformance_tests {
    ([] $make:expr, $suite:path, [$($test:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                use $suite as suite;
                let store = $make.await;
                suite::$test(store).await;
            }
        )*
    };
    ([$skip:expr] $make:expr, $suite:path, [$($test:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                use $suite as suite;
                if $skip {
                    $crate::conformance::report_skipped(stringify!($test), stringify!($skip));
                    return;
                }
                let store = $make.await;
                suite::$test(store).await;
            }
        )*
    };
    ($make:expr, $suite:path, [$($test:ident),* $(,)?]) => {
        $crate::conformance_tests!([] $make, $suite, [$($test),*]);
    };
}

/// Says on stderr, past the test harness's capture, that `test` did not run.
#[doc(hidden)]
pub fn report_skipped(test: &str, condition: &str) {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n*** SKIPPED {test}: `{condition}` holds; this backend was NOT tested ***"
    );
}
