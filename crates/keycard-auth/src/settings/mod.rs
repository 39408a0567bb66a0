//! What the auth service is configured with, grouped by what each setting governs. The
//! server resolves these from flags, `KEYCARD_*` variables and TOML (docs/CONFIG.md); a
//! library user builds them directly, starting from [`AuthSettings::new`].
//!
//! - [`TokenSettings`]: access tokens and signing keys.
//! - [`SessionSettings`]: cookie sessions and refresh families.
//! - [`LimitSettings`]: brute-force and flood limits.
//! - [`HashSettings`]: the password-hashing pool's bounds.
//! - [`CacheSettings`]: the hot path's caches (verified tokens, sessions, users).
//! - [`values`]: the value types (durations like `15m`, secrets that never print).
//! - [`clients`]: the OAuth clients and their permissions.

pub mod clients;
pub mod values;

use keycard_core::Algorithm;

pub use clients::{Client, Clients, Permission};
pub use values::{Mode, Revocation, Seconds, Secret};

/// The longest a verifier may cache the JWKS: one hour.
pub const MAX_JWKS_AGE_SECS: u64 = 3600;

/// A setting the service refuses, named by its configuration key.
#[derive(Debug, thiserror::Error)]
#[error("setting `{setting}`: {message}")]
pub struct SettingError {
    /// The setting's configuration key (the flag is the same with dashes).
    pub setting: &'static str,
    /// What is wrong with it.
    pub message: String,
}

fn invalid(setting: &'static str, message: impl Into<String>) -> SettingError {
    SettingError {
        setting,
        message: message.into(),
    }
}

/// Everything the auth service is configured with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AuthSettings {
    /// Where auth state lives.
    pub mode: Mode,
    /// The `iss` of every token, and this server's public origin (CSRF checks compare
    /// `Origin` with it), without a trailing slash.
    pub issuer: String,
    /// The `aud` of access tokens.
    pub audience: String,
    /// Access tokens and signing keys.
    pub tokens: TokenSettings,
    /// Cookie sessions and refresh families.
    pub sessions: SessionSettings,
    /// Brute-force and flood limits.
    pub limits: LimitSettings,
    /// The password-hashing pool.
    pub hashing: HashSettings,
    /// The hot path's caches.
    pub caches: CacheSettings,
    /// Bearer token of the admin operations; `None`: there are none.
    pub admin_token: Option<Secret>,
    /// OAuth clients (introspection, revocation, the revocation stream).
    pub clients: Clients,
}

/// Access tokens and signing keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenSettings {
    /// The algorithm new signing keys are generated for.
    pub signing_algorithm: Algorithm,
    /// How long the active signing key signs before the next one takes over.
    pub signing_key_rotation: Seconds,
    /// Lifetime of an access JWT.
    pub access_token_lifetime: Seconds,
    /// Clock skew allowed when checking `exp`, `nbf` and `iat`.
    pub leeway: Seconds,
    /// Largest token accepted, checked before any decoding.
    pub max_token_bytes: usize,
    /// Whether revocations are enforced on access tokens.
    pub revocation: Revocation,
    /// How long the instance may go without hearing from its revocation feed before it
    /// stops trusting its in-memory revocations.
    pub revocation_staleness: Seconds,
}

/// Cookie sessions and refresh families.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionSettings {
    /// Lifetime of a refresh family, from login.
    pub refresh_token_lifetime: Seconds,
    /// A cookie session ends after this long unused.
    pub idle_timeout: Seconds,
    /// A cookie session ends this long after login.
    pub absolute_timeout: Seconds,
    /// How long the previous refresh token still returns the same successor.
    pub refresh_grace: Seconds,
    /// How many times one rotation's successor is handed out again within the grace
    /// window; one more is reuse.
    pub refresh_replays: u32,
    /// Live sessions a user may hold; a login past it ends the oldest (0: no cap).
    pub max_per_user: u32,
}

/// Brute-force and flood limits, each per `window` (0 turns one off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitSettings {
    /// Login attempts per account, from anywhere.
    pub login_per_account: u32,
    /// Failed login attempts per client address.
    pub login_failures_per_ip: u32,
    /// Successful logins per client address.
    pub login_successes_per_ip: u32,
    /// Registrations per client address.
    pub registrations_per_ip: u32,
    /// The window of every limit; attempts come back one by one over it.
    pub window: Seconds,
    /// The most entries each limiter table keeps.
    pub max_entries: usize,
}

/// The password-hashing pool: argon2id runs one per core; requests beyond that wait in a
/// queue of at most `queue`, each for at most `deadline`, else the answer is 503.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashSettings {
    /// Requests allowed to wait for a hashing slot.
    pub queue: usize,
    /// How long one may wait.
    pub deadline: Seconds,
}

/// The hot path's caches (see [`cache`](crate::cache)); a size of 0 turns one off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheSettings {
    /// Verified access tokens remembered.
    pub tokens: usize,
    /// Sessions remembered (and as many cookie digests).
    pub sessions: usize,
    /// Users remembered.
    pub users: usize,
    /// How long a user is remembered: the bound on a change that reaches no other instance
    /// through the revocation feed (0: users are not cached).
    pub user_ttl: Seconds,
}

/// The defaults, as docs/CONFIG.md lists them.
pub mod defaults {
    use super::{Mode, Revocation, Seconds};

    /// Hybrid: lookup-free access tokens with rotating refresh tokens.
    pub const MODE: Mode = Mode::Hybrid;
    /// 30 days, a common rotation period; the next key is published long before.
    pub const SIGNING_KEY_ROTATION: Seconds = Seconds::new(30 * 86_400);
    /// 15 minutes.
    pub const ACCESS_TOKEN_LIFETIME: Seconds = Seconds::new(15 * 60);
    /// 30 seconds.
    pub const LEEWAY: Seconds = Seconds::new(30);
    /// 8 KiB.
    pub const MAX_TOKEN_BYTES: usize = 8192;
    /// Revocation on.
    pub const REVOCATION: Revocation = Revocation::On;
    /// 2 seconds: eight missed heartbeats.
    pub const REVOCATION_STALENESS: Seconds = Seconds::new(2);
    /// 30 days.
    pub const REFRESH_TOKEN_LIFETIME: Seconds = Seconds::new(30 * 86_400);
    /// 30 minutes (OWASP: 15 to 30 minutes for most applications).
    pub const SESSION_IDLE_TIMEOUT: Seconds = Seconds::new(30 * 60);
    /// 12 hours: a working day.
    pub const SESSION_ABSOLUTE_TIMEOUT: Seconds = Seconds::new(12 * 3600);
    /// 10 seconds: long enough for a lost response to be retried and for the tabs of one
    /// browser to race, short enough that a stolen previous token is worth little
    /// (docs/SECURITY.md, "Refresh rotation").
    pub const REFRESH_GRACE: Seconds = Seconds::new(10);
    /// 3 replays of one rotation: two racing tabs and a retry.
    pub const REFRESH_REPLAYS: u32 = 3;
    /// 50 live sessions per user.
    pub const MAX_SESSIONS_PER_USER: u32 = 50;
    /// 5 attempts per account per window.
    pub const LOGIN_LIMIT_PER_ACCOUNT: u32 = 5;
    /// 50 failures per address per window.
    pub const LOGIN_LIMIT_PER_IP: u32 = 50;
    /// 100 successful logins per address per window: an office behind one NAT.
    pub const LOGIN_SUCCESS_LIMIT_PER_IP: u32 = 100;
    /// 10 registrations per address per window.
    pub const REGISTRATION_LIMIT_PER_IP: u32 = 10;
    /// 15 minutes.
    pub const LIMIT_WINDOW: Seconds = Seconds::new(15 * 60);
    /// About 2 MB per limiter table.
    pub const LIMIT_MAX_ENTRIES: usize = 100_000;
    /// 64 requests waiting for a hashing slot.
    pub const HASH_QUEUE: usize = 64;
    /// 5 seconds waiting for a hashing slot.
    pub const HASH_DEADLINE: Seconds = Seconds::new(5);
    /// 100,000 verified tokens: about 25 MB.
    pub const TOKEN_CACHE_SIZE: usize = 100_000;
    /// 100,000 sessions.
    pub const SESSION_CACHE_SIZE: usize = 100_000;
    /// 100,000 users.
    pub const USER_CACHE_SIZE: usize = 100_000;
    /// 30 seconds.
    pub const USER_CACHE_TTL: Seconds = Seconds::new(30);
}

impl AuthSettings {
    /// The defaults, for a service whose tokens carry `issuer` (also the audience).
    pub fn new(issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        Self {
            mode: defaults::MODE,
            audience: issuer.clone(),
            issuer,
            tokens: TokenSettings {
                signing_algorithm: Algorithm::EdDSA,
                signing_key_rotation: defaults::SIGNING_KEY_ROTATION,
                access_token_lifetime: defaults::ACCESS_TOKEN_LIFETIME,
                leeway: defaults::LEEWAY,
                max_token_bytes: defaults::MAX_TOKEN_BYTES,
                revocation: defaults::REVOCATION,
                revocation_staleness: defaults::REVOCATION_STALENESS,
            },
            sessions: SessionSettings {
                refresh_token_lifetime: defaults::REFRESH_TOKEN_LIFETIME,
                idle_timeout: defaults::SESSION_IDLE_TIMEOUT,
                absolute_timeout: defaults::SESSION_ABSOLUTE_TIMEOUT,
                refresh_grace: defaults::REFRESH_GRACE,
                refresh_replays: defaults::REFRESH_REPLAYS,
                max_per_user: defaults::MAX_SESSIONS_PER_USER,
            },
            limits: LimitSettings {
                login_per_account: defaults::LOGIN_LIMIT_PER_ACCOUNT,
                login_failures_per_ip: defaults::LOGIN_LIMIT_PER_IP,
                login_successes_per_ip: defaults::LOGIN_SUCCESS_LIMIT_PER_IP,
                registrations_per_ip: defaults::REGISTRATION_LIMIT_PER_IP,
                window: defaults::LIMIT_WINDOW,
                max_entries: defaults::LIMIT_MAX_ENTRIES,
            },
            hashing: HashSettings {
                queue: defaults::HASH_QUEUE,
                deadline: defaults::HASH_DEADLINE,
            },
            caches: CacheSettings {
                tokens: defaults::TOKEN_CACHE_SIZE,
                sessions: defaults::SESSION_CACHE_SIZE,
                users: defaults::USER_CACHE_SIZE,
                user_ttl: defaults::USER_CACHE_TTL,
            },
            admin_token: None,
            clients: Clients::default(),
        }
    }

    /// When a revocation made now may be forgotten: once the last access token it can
    /// kill has expired, leeway included.
    pub fn revocation_lifetime_secs(&self) -> i64 {
        self.tokens.access_token_lifetime.as_i64() + self.tokens.leeway.as_i64()
    }

    /// How long a verifier may cache the JWKS, in seconds: the access token lifetime, at
    /// most one hour.
    ///
    /// The rule rests on the rotation schedule. A key is published as `next` before it
    /// signs, and rotation promotes a next key only once it has been published for at
    /// least this long, so a verifier whose cached copy is at most this old already holds
    /// every key that can be signing. Retired keys stay published until the last token
    /// they signed has expired (at least one access token lifetime), so a copy this old
    /// never lacks a key a live token needs either. Capping at an hour bounds how long a
    /// withdrawn key (say, after a compromise) lives in caches; a verifier that meets an
    /// unknown `kid` should refetch at once anyway, rate-limited.
    pub fn jwks_max_age_secs(&self) -> u64 {
        self.tokens
            .access_token_lifetime
            .get()
            .clamp(1, MAX_JWKS_AGE_SECS)
    }

    /// Checks the ranges and the relations between settings.
    pub fn check(&self) -> Result<(), SettingError> {
        let tokens = &self.tokens;
        let sessions = &self.sessions;
        if self.audience.trim().is_empty() {
            return Err(invalid("audience", "must not be empty"));
        }
        if tokens.signing_algorithm.family() == keycard_core::jose::Family::Hmac {
            return Err(invalid(
                "signing_algorithm",
                format!(
                    "{} is a shared secret, and the server publishes its keys in a JWKS: choose EdDSA, ES256, RS256 or PS256",
                    tokens.signing_algorithm
                ),
            ));
        }
        for (setting, value) in [
            ("access_token_lifetime", tokens.access_token_lifetime),
            ("refresh_token_lifetime", sessions.refresh_token_lifetime),
            ("session_idle_timeout", sessions.idle_timeout),
            ("session_absolute_timeout", sessions.absolute_timeout),
        ] {
            if value.get() == 0 {
                return Err(invalid(setting, "must be longer than 0s"));
            }
        }
        // A session's use is written at most once per touch interval, so an idle timeout
        // shorter than two intervals would end sessions that are in use.
        let touch = keycard_core::session::TOUCH_INTERVAL_SECS;
        if sessions.idle_timeout.as_i64() < 2 * touch {
            return Err(invalid(
                "session_idle_timeout",
                format!(
                    "must be at least {}s: a session's use is recorded at most once every {touch}s, so a shorter idle timeout would end sessions in use",
                    2 * touch
                ),
            ));
        }
        if sessions.refresh_token_lifetime < tokens.access_token_lifetime {
            return Err(invalid(
                "refresh_token_lifetime",
                "must be at least access_token_lifetime",
            ));
        }
        if sessions.absolute_timeout < sessions.idle_timeout {
            return Err(invalid(
                "session_absolute_timeout",
                "must be at least session_idle_timeout",
            ));
        }
        if tokens.signing_key_rotation.get() < 2 * 3600 {
            return Err(invalid("signing_key_rotation", "must be 2h or more"));
        }
        if sessions.refresh_grace.get() > 300 {
            return Err(invalid("refresh_grace", "must be 5m or less"));
        }
        if sessions.refresh_replays > 100 {
            return Err(invalid("refresh_replays", "must be 0 to 100"));
        }
        if !(1..=60).contains(&tokens.revocation_staleness.get()) {
            return Err(invalid("revocation_staleness", "must be 1s to 1m"));
        }
        if tokens.leeway.get() > 300 {
            return Err(invalid("leeway", "must be 5m or less"));
        }
        if !(1024..=65_536).contains(&tokens.max_token_bytes) {
            return Err(invalid("max_token_bytes", "must be 1024 to 65536"));
        }
        self.limits.check()?;
        if !(1..=100_000).contains(&self.hashing.queue) {
            return Err(invalid("hash_queue", "must be 1 to 100000"));
        }
        if !(1..=60).contains(&self.hashing.deadline.get()) {
            return Err(invalid("hash_deadline", "must be 1s to 1m"));
        }
        for (setting, size) in [
            ("token_cache_size", self.caches.tokens),
            ("session_cache_size", self.caches.sessions),
            ("user_cache_size", self.caches.users),
        ] {
            if size > 10_000_000 {
                return Err(invalid(setting, "must be 0 (off) to 10000000"));
            }
        }
        if self.caches.user_ttl.get() > 3600 {
            return Err(invalid("user_cache_ttl", "must be 1h or less"));
        }
        if let Some(token) = &self.admin_token
            && token.expose().len() < 32
        {
            return Err(invalid(
                "admin_token",
                "must be 32 characters or more (`keycard secret` makes one)",
            ));
        }
        if let Some(client) = self
            .clients
            .iter()
            .find(|client| client.secret.expose().len() < 32)
        {
            return Err(invalid(
                "clients",
                format!(
                    "the secret of client {:?} must be 32 characters or more (`keycard secret` makes one)",
                    client.id
                ),
            ));
        }
        Ok(())
    }
}

impl LimitSettings {
    fn check(&self) -> Result<(), SettingError> {
        if !(1..=86_400).contains(&self.window.get()) {
            return Err(invalid("login_limit_window", "must be 1s to 1d"));
        }
        for (setting, limit) in [
            ("login_limit_per_account", self.login_per_account),
            ("login_limit_per_ip", self.login_failures_per_ip),
            ("login_success_limit_per_ip", self.login_successes_per_ip),
            ("registration_limit_per_ip", self.registrations_per_ip),
        ] {
            if limit > 100_000 {
                return Err(invalid(setting, "must be 0 (off) to 100000"));
            }
        }
        Ok(())
    }
}
