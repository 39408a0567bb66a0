//! What the hot path's caches cost in memory: the resident size of a Keycard instance
//! (SQLite, the default store) with 100,000 live sessions in its session and user caches,
//! and with 1,000,000 verified access tokens in its token cache.
//!
//! ```text
//! cargo run --release -p keycard-bench --bin memory
//! ```
//! Each scenario runs in a fresh child process, so one's heap does not pad the other's:
//! - `sessions`: session mode; the sessions (one user each) are written to the store
//!   directly (a login would spend most of the run in argon2id), then each is used once
//!   through `authenticate_cookie` and `me`, as a cookie request to `GET /v1/me` would;
//! - `tokens`: hybrid mode; access tokens are signed with the instance's active key and
//!   each is verified once through `verify_bearer`, as a bearer request would. Each token
//!   is dropped once verified: what stays resident is what the cache keeps.
//!
//! The report is the resident set (`VmRSS`) after start and after filling, and the
//! difference per cached entry.

// A benchmark may stop at the first failed operation.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::expect_used,
    clippy::unwrap_used
)]

use std::process::Command;
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use keycard_auth::Auth;
use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::session::{ClientMeta, Session, SessionKind};
use keycard_core::user::{Email, PasswordHash, User};
use keycard_core::{Clock as _, SessionId, SystemClock, jwt};
use keycard_server::bootstrap;
use keycard_server::config::{Mode, ServeArgs, Settings};
use serde::Serialize;

/// Measure the resident size of the caches when full.
#[derive(Debug, Parser)]
struct Args {
    /// Run one scenario in this process (the parent runs each in a child).
    #[arg(long, value_enum)]
    scenario: Option<Scenario>,
    /// Sessions cached in the `sessions` scenario.
    #[arg(long, default_value_t = 100_000)]
    sessions: usize,
    /// Tokens cached in the `tokens` scenario.
    #[arg(long, default_value_t = 1_000_000)]
    tokens: usize,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Scenario {
    Sessions,
    Tokens,
}

/// The resident set of this process, in KiB.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

async fn start(mode: Mode, dir: &std::path::Path, args: &Args) -> (Auth, bootstrap::Background) {
    let settings = Settings::resolve(ServeArgs {
        mode: Some(mode),
        data_dir: Some(dir.join("data")),
        session_cache_size: Some(args.sessions),
        user_cache_size: Some(args.sessions),
        token_cache_size: Some(args.tokens),
        ..ServeArgs::default()
    })
    .expect("settings")
    .bound_to("127.0.0.1:8080".parse().unwrap());
    let (state, background) = bootstrap::bootstrap(settings, Arc::new(SystemClock))
        .await
        .expect("bootstrap");
    (state.auth().clone(), background)
}

/// Fills the session and user caches; returns the entries cached.
async fn fill_sessions(auth: &Auth, count: usize) -> usize {
    let now = SystemClock.now();
    let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA");
    for i in 0..count {
        let email = Email::parse(&format!("user{i}@memory.example")).unwrap();
        let user = User::new(email, hash.clone(), now).unwrap();
        auth.stores().users.create_user(&user).await.unwrap();
        let session = Session {
            id: SessionId::generate().unwrap(),
            user_id: user.id.clone(),
            kind: SessionKind::Cookie,
            created_at: now,
            last_seen_at: now,
            idle_timeout_secs: 3600,
            absolute_expiry: now.plus_secs(86_400),
            client: ClientMeta {
                user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0".into()),
                ip: Some("203.0.113.7".into()),
                label: Some("Firefox on Linux".into()),
            },
        };
        let token = OpaqueToken::generate(OpaqueKind::Session).unwrap();
        auth.stores()
            .sessions
            .create_session(&session, &token.digest())
            .await
            .unwrap();
        let current = auth
            .authenticate_cookie(Some(token.expose_secret()), now)
            .await
            .unwrap();
        auth.me(current, now).await.unwrap();
    }
    auth.caches().sessions.len() + auth.caches().users.len()
}

#[derive(Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
    sid: String,
}

/// Fills the verified-token cache; returns the entries cached.
fn fill_tokens(auth: &Auth, count: usize) -> usize {
    let now = SystemClock.now();
    let settings = auth.settings();
    for _ in 0..count {
        let claims = AccessClaims {
            iss: &settings.issuer,
            sub: SessionId::generate().unwrap().as_str().to_owned(),
            aud: &settings.audience,
            exp: now.plus_secs(900).as_secs(),
            iat: now.as_secs(),
            jti: SessionId::generate().unwrap().as_str().to_owned(),
            sid: SessionId::generate().unwrap().as_str().to_owned(),
        };
        let token = {
            let keys = auth.keys();
            jwt::sign(keys.active().unwrap(), Some("at+jwt"), &claims).unwrap()
        };
        auth.verify_bearer(&token, now).unwrap();
    }
    auth.caches().tokens.len()
}

fn run_scenario(scenario: Scenario, args: &Args) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let mode = match scenario {
            Scenario::Sessions => Mode::Session,
            Scenario::Tokens => Mode::Hybrid,
        };
        let (auth, _background) = start(mode, dir.path(), args).await;
        let before = resident_kib();
        let (what, entries) = match scenario {
            Scenario::Sessions => (
                "sessions (session and user caches)",
                fill_sessions(&auth, args.sessions).await,
            ),
            Scenario::Tokens => (
                "verified tokens (token cache)",
                fill_tokens(&auth, args.tokens),
            ),
        };
        let after = resident_kib();
        let per_entry = (after.saturating_sub(before) * 1024) / entries.max(1) as u64;
        println!(
            "| {what} | {entries} | {:.1} | {:.1} | {per_entry} |",
            before as f64 / 1024.0,
            after as f64 / 1024.0
        );
    });
}

fn main() {
    let args = Args::parse();
    if let Some(scenario) = args.scenario {
        run_scenario(scenario, &args);
        return;
    }
    println!(
        "| scenario | cached entries | RSS after start (MiB) | RSS filled (MiB) | bytes per entry |"
    );
    println!("|---|---|---|---|---|");
    let me = std::env::current_exe().unwrap();
    for scenario in ["sessions", "tokens"] {
        let status = Command::new(&me)
            .args(["--scenario", scenario])
            .args(["--sessions", &args.sessions.to_string()])
            .args(["--tokens", &args.tokens.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "the {scenario} scenario failed");
    }
}
