//! The hot path: warm `me` and auth checks ask no store and check no signature, in every
//! mode and on every backend; the verified-token cache never accepts what a full
//! verification refuses; the session and user caches never serve what the feed revoked;
//! a session's use is written behind, once a minute.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/counting.rs"]
mod counting;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use keycard_auth::current::Current;
use keycard_auth::session::Credential;
use keycard_auth::settings::Secret;
use keycard_auth::{Auth, AuthError, AuthSettings, Mode};
use keycard_core::key_record::MasterKey;
use keycard_core::session::ClientMeta;
use keycard_core::{Algorithm, Clock, Key, KeySet, ManualClock, SystemClock, UnixTime};
use keycard_store::key_vault::KeyVault;
use keycard_store::open::Stores;
use zeroize::Zeroizing;

const EMAIL: &str = "ada@example.com";
const ADMIN: &str = "an-admin-token-of-at-least-32-characters";

fn password() -> Zeroizing<String> {
    Zeroizing::new("correct horse battery staple".to_owned())
}

fn settings(mode: Mode) -> AuthSettings {
    let mut settings = AuthSettings::new("https://auth.example");
    settings.mode = mode;
    settings.admin_token = Some(ADMIN.parse::<Secret>().unwrap());
    // Tests run side by side on few cores: argon2id may queue.
    settings.hashing.deadline = keycard_auth::settings::Seconds::new(60);
    settings
}

/// Memory, SQLite, and PostgreSQL with Redis unless `KEYCARD_SKIP_POSTGRES` or
/// `KEYCARD_SKIP_REDIS` is set.
async fn backends(scratch: &Path) -> Vec<(&'static str, Stores)> {
    let open = |url: String| async move {
        keycard_store::open::open(&url.parse().unwrap(), None, "hot")
            .await
            .unwrap()
    };
    let mut backends = vec![
        ("memory", open("memory:".into()).await),
        (
            "sqlite",
            open(format!("sqlite://{}", scratch.join("k.sqlite3").display())).await,
        ),
    ];
    let skip = ["KEYCARD_SKIP_POSTGRES", "KEYCARD_SKIP_REDIS"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| v == "1"));
    if skip {
        eprintln!("SKIPPED PostgreSQL + Redis (KEYCARD_SKIP_* is set)");
    } else {
        let pg = std::env::var("KEYCARD_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let redis =
            std::env::var("KEYCARD_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let tag = format!("{}_{}", SystemClock.now().as_secs(), std::process::id());
        let sql = keycard_store::postgres::PostgresStore::connect_in_schema(
            &pg,
            &format!("kc_test_{tag}_hot"),
        )
        .await
        .expect("PostgreSQL (or set KEYCARD_SKIP_POSTGRES=1)");
        let redis =
            keycard_store::redis::RedisStore::connect(&redis, &format!("kc_test_hot_{tag}"))
                .await
                .expect("Redis (or set KEYCARD_SKIP_REDIS=1)");
        let (sql, redis) = (Arc::new(sql), Arc::new(redis));
        backends.push((
            "postgres+redis",
            Stores {
                users: sql.clone(),
                keys: sql.clone(),
                audit: sql,
                sessions: redis.clone(),
                revocations: redis.clone(),
                feed: Arc::new(keycard_store::feed::local::LocalFeed::new()),
                limits: Some(redis),
            },
        ));
    }
    backends
}

/// An instance following its feed, once the feed has answered.
async fn following(auth: Auth) -> Auth {
    for task in [0, 1] {
        let auth = auth.clone();
        tokio::spawn(async move {
            if task == 0 {
                auth.follow_revocations().await;
            } else {
                auth.send_heartbeats().await;
            }
        });
    }
    let heard = async {
        while auth.feed_health().age().is_none() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), heard)
        .await
        .expect("the feed answers within 10 s");
    auth
}

/// What a client presents: the cookie's value or the bearer token.
fn presented(credential: &Credential) -> String {
    match credential {
        Credential::Cookie { token, .. } => token.expose_secret().to_owned(),
        Credential::Access { access, .. } => access.token.clone(),
    }
}

async fn authenticate(auth: &Auth, presented: &str) -> Result<Current, AuthError> {
    let now = auth.now();
    match auth.settings().mode {
        Mode::Session => auth.authenticate_cookie(Some(presented), now).await,
        Mode::Jwt | Mode::Hybrid => auth.authenticate_bearer(Some(presented), now).await,
    }
}

/// `GET /v1/auth/check` as the route does it: the credential, and for a cookie its user.
async fn auth_check(auth: &Auth, presented: &str) -> Result<(), AuthError> {
    let who = authenticate(auth, presented).await?;
    if matches!(who, Current::Cookie { .. }) {
        auth.me(who, auth.now()).await?;
    }
    Ok(())
}

/// `GET /v1/me`.
async fn me(auth: &Auth, presented: &str) -> Result<(), AuthError> {
    let who = authenticate(auth, presented).await?;
    auth.me(who, auth.now()).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_me_and_auth_check_ask_no_store_and_check_no_signature() {
    let scratch = tempfile::tempdir().unwrap();
    for (backend, stores) in backends(scratch.path()).await {
        for mode in [Mode::Session, Mode::Jwt, Mode::Hybrid] {
            let (stores, calls) = counting::counting(stores.clone());
            let keys = KeySet::with_active(Key::generate(Algorithm::EdDSA).unwrap()).unwrap();
            let auth = Auth::new(settings(mode), stores, keys, Arc::new(SystemClock)).unwrap();
            let auth = following(auth).await;
            let email = format!("{mode:?}-{EMAIL}").to_lowercase();
            let meta = ClientMeta::default();
            auth.register(&email, password(), &meta, auth.now())
                .await
                .unwrap();
            let login = auth
                .login(&email, password(), meta, auth.now())
                .await
                .unwrap();
            let presented = presented(&login.credential);
            // Cold: the first of each loads what it needs.
            me(&auth, &presented).await.unwrap();
            auth_check(&auth, &presented).await.unwrap();
            let (store_calls, signatures) = (calls.total(), auth.events().signature_checks());
            assert!(
                store_calls > 0,
                "{backend} {mode:?}: the counter sees the stores"
            );
            for _ in 0..50 {
                me(&auth, &presented).await.unwrap();
                auth_check(&auth, &presented).await.unwrap();
            }
            assert_eq!(
                calls.total(),
                store_calls,
                "{backend} {mode:?}: warm requests asked a store"
            );
            assert_eq!(
                auth.events().signature_checks(),
                signatures,
                "{backend} {mode:?}: warm requests checked a signature"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_staleness_bound_the_caches_are_not_read() {
    let stores = keycard_store::open::open(&"memory:".parse().unwrap(), None, "hot")
        .await
        .unwrap();
    let (stores, calls) = counting::counting(stores);
    let keys = KeySet::with_active(Key::generate(Algorithm::EdDSA).unwrap()).unwrap();
    // No follower: the feed was never heard from.
    let auth = Auth::new(settings(Mode::Session), stores, keys, Arc::new(SystemClock)).unwrap();
    let meta = ClientMeta::default();
    auth.register(EMAIL, password(), &meta, auth.now())
        .await
        .unwrap();
    let login = auth
        .login(EMAIL, password(), meta, auth.now())
        .await
        .unwrap();
    let presented = presented(&login.credential);
    me(&auth, &presented).await.unwrap();
    let before = calls.total();
    me(&auth, &presented).await.unwrap();
    assert_eq!(
        calls.total(),
        before + 2,
        "session and user from the stores"
    );
}

/// An instance whose keys are sealed in `stores`, on `clock`.
async fn with_vault(stores: &Stores, clock: &Arc<ManualClock>, mode: Mode) -> Auth {
    let vault = KeyVault::new(
        stores.keys.clone(),
        Some(MasterKey::new(&[7u8; 32]).unwrap()),
        Path::new("/nonexistent-keycard-test"),
    );
    let auth = Auth::with_key_vault(
        settings(mode),
        stores.clone(),
        KeySet::new(),
        vault,
        clock.clone(),
    )
    .unwrap();
    auth.rotate_keys_if_due(clock.now()).await.unwrap();
    auth
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_cache_never_accepts_what_verification_refuses() {
    let stores = keycard_store::open::open(&"memory:".parse().unwrap(), None, "hot")
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(UnixTime::from_secs(1_800_000_000)));
    let auth = with_vault(&stores, &clock, Mode::Jwt).await;
    let meta = ClientMeta::default();
    auth.register(EMAIL, password(), &meta, clock.now())
        .await
        .unwrap();
    let login = || async {
        let login = auth.login(EMAIL, password(), ClientMeta::default(), clock.now());
        let login = login.await.unwrap();
        (presented(&login.credential), login.session.id)
    };
    let checks = || auth.events().signature_checks();
    let refused = |result: Result<_, AuthError>| match result {
        Err(AuthError::InvalidToken(rule)) => rule,
        other => panic!("accepted: {other:?}"),
    };

    let (token, _) = login().await;
    auth.verify_bearer(&token, clock.now()).unwrap();
    let after_first = checks();
    auth.verify_bearer(&token, clock.now()).unwrap();
    assert_eq!(checks(), after_first, "the second is served from the cache");

    // Tampered: another digest, so a full verification, which refuses it.
    let mut tampered = token.clone().into_bytes();
    // A character inside the signature, so the base64url stays canonical.
    let inside = tampered.len() - 10;
    tampered[inside] = if tampered[inside] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        refused(auth.verify_bearer(&tampered, clock.now())),
        "bad_signature"
    );
    assert_eq!(checks(), after_first + 1);

    // Expired while cached: served until exp + leeway, refused from then on.
    let lifetime = auth.settings().tokens.access_token_lifetime.as_i64();
    let leeway = auth.settings().tokens.leeway.as_i64();
    let start = clock.now();
    clock.set(start.plus_secs(lifetime + leeway - 1));
    auth.verify_bearer(&token, clock.now()).unwrap();
    clock.set(start.plus_secs(lifetime + leeway));
    assert_eq!(refused(auth.verify_bearer(&token, clock.now())), "expired");

    // Revoked while cached: logout after caching.
    let (token, session) = login().await;
    let user = auth.verify_bearer(&token, clock.now()).unwrap().user_id;
    auth.logout(&user, &session, &ClientMeta::default(), clock.now())
        .await
        .unwrap();
    assert_eq!(refused(auth.verify_bearer(&token, clock.now())), "revoked");

    // Key retired: the key that signed a cached token is withdrawn.
    let (token, _) = login().await;
    auth.verify_bearer(&token, clock.now()).unwrap();
    let kid = auth.keys().active().unwrap().kid().to_owned();
    auth.retire_key(&kid, clock.now()).await.unwrap();
    assert!(
        auth.keys().iter().all(|(_, key)| key.kid() != kid),
        "withdrawn"
    );
    let before = checks();
    refused(auth.verify_bearer(&token, clock.now()));
    assert_eq!(
        checks(),
        before + 1,
        "verified again, not served from the cache"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_instance_revokes_no_other_instance_serves_from_its_caches() {
    let stores = keycard_store::open::open(&"memory:".parse().unwrap(), None, "hot")
        .await
        .unwrap();
    for mode in [Mode::Session, Mode::Hybrid] {
        let keys = KeySet::with_active(Key::generate(Algorithm::EdDSA).unwrap()).unwrap();
        let a = Auth::new(settings(mode), stores.clone(), keys, Arc::new(SystemClock)).unwrap();
        let a = following(a).await;
        // Instances share one key set in production; here B is given A's keys to verify.
        let jwks = a.keys().public_jwks().to_string();
        let keys = KeySet::from_jwk_or_jwks(&jwks, None, true).unwrap();
        let b = Auth::new(settings(mode), stores.clone(), keys, Arc::new(SystemClock)).unwrap();
        let b = following(b).await;
        let email = format!("{mode:?}-{EMAIL}").to_lowercase();
        let meta = ClientMeta::default();
        let user = a
            .register(&email, password(), &meta, a.now())
            .await
            .unwrap();
        let login = a
            .login(&email, password(), meta.clone(), a.now())
            .await
            .unwrap();
        let presented = presented(&login.credential);
        // B warms its caches, and keeps the authenticated request for later.
        me(&b, &presented).await.unwrap();
        let warm = authenticate(&b, &presented).await.unwrap();
        let kept = match &warm {
            Current::Cookie { session, .. } => session.clone(),
            Current::Bearer(_) => b.me(warm, b.now()).await.unwrap().session,
        };
        assert!(!b.caches().users.is_empty() && !b.caches().sessions.is_empty());

        let grant = a.admin(Some(ADMIN)).unwrap();
        a.disable_user(&grant, &user.id, &meta, a.now())
            .await
            .unwrap();
        // Once B's feed delivered the disable (its session revocations come after the
        // user's `not_before`, on the same feed) ...
        let delivered = async {
            while b
                .revocations()
                .check(Some(kept.id.as_str()), None, None)
                .is_ok()
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), delivered)
            .await
            .expect("the feed delivers within 10 s");
        // ... neither the credential nor the user is served from B's caches.
        assert!(authenticate(&b, &presented).await.is_err(), "{mode:?}");
        let old = match mode {
            Mode::Session => Current::Cookie {
                token: keycard_core::opaque::OpaqueToken::parse(
                    keycard_core::opaque::OpaqueKind::Session,
                    &presented,
                )
                .unwrap(),
                session: kept.clone(),
            },
            _ => Current::Bearer(keycard_auth::tokens::Bearer {
                user_id: user.id.clone(),
                session_id: kept.id.clone(),
                issued_at: kept.created_at,
                expires_at: kept.created_at.plus_secs(900),
            }),
        };
        match b.me(old, b.now()).await {
            Err(AuthError::InvalidToken("unknown_user" | "session_ended")) => {}
            other => panic!("{mode:?}: a disabled user served: {other:?}"),
        }
        assert!(b.caches().users.get(&user.id, b.now()).is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sessions_use_is_written_behind_at_most_once_a_minute() {
    let stores = keycard_store::open::open(&"memory:".parse().unwrap(), None, "hot")
        .await
        .unwrap();
    let (stores, calls) = counting::counting(stores);
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let keys = KeySet::with_active(Key::generate(Algorithm::EdDSA).unwrap()).unwrap();
    let auth =
        following(Auth::new(settings(Mode::Session), stores, keys, clock.clone()).unwrap()).await;
    let meta = ClientMeta::default();
    auth.register(EMAIL, password(), &meta, clock.now())
        .await
        .unwrap();
    let login = auth
        .login(EMAIL, password(), meta, clock.now())
        .await
        .unwrap();
    let presented = presented(&login.credential);
    me(&auth, &presented).await.unwrap();
    assert_eq!(calls.touches.load(Ordering::SeqCst), 0, "just created");
    clock.advance(61);
    for _ in 0..10 {
        me(&auth, &presented).await.unwrap();
    }
    for _ in 0..200 {
        if calls.touches.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        calls.touches.load(Ordering::SeqCst),
        1,
        "one write for ten uses"
    );
    // The store saw the use: the session outlives its original idle deadline.
    let idle = auth.settings().sessions.idle_timeout.as_i64();
    clock.advance(idle - 30);
    auth.caches().sessions.clear();
    me(&auth, &presented).await.unwrap();
}
