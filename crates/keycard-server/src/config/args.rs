//! One layer of configuration: every setting optional. The same struct is the command
//! line (clap reads the flag, then its `KEYCARD_*` environment variable) and the TOML file
//! (serde, unknown keys refused), so a setting cannot exist in one source and not another.
//! docs/CONFIG.md documents each field; keep them in step.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use super::values::{AlgorithmName, Clients, Mode, Revocation, Seconds, Secret, StoreUrlArg};

/// Settings for `keycard serve`. Flags beat `KEYCARD_*` environment variables, which beat
/// the TOML file named by `--config`, which beats the defaults.
#[derive(Clone, Debug, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeArgs {
    /// TOML file with settings (flags and environment variables override it).
    #[arg(long, env = "KEYCARD_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Where auth state lives [default: hybrid].
    #[arg(long, env = "KEYCARD_MODE", value_enum)]
    pub mode: Option<Mode>,

    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:8080].
    #[arg(long, env = "KEYCARD_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,

    /// Directory for the SQLite file and the key files, created 0700 [default: ./keycard-data].
    #[arg(long, env = "KEYCARD_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// One store for everything: memory:, sqlite://PATH, postgres://… [default:
    /// sqlite://DATA_DIR/keycard.sqlite3].
    #[arg(
        long,
        env = "KEYCARD_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub store: Option<StoreUrlArg>,

    /// Store for users, keys and audit (SQL); overrides --store for them.
    #[arg(
        long,
        env = "KEYCARD_USER_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub user_store: Option<StoreUrlArg>,

    /// Store for sessions, refresh families and revocations (SQL or redis://,
    /// redis+cluster://) [default: the user store].
    #[arg(
        long,
        env = "KEYCARD_SESSION_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub session_store: Option<StoreUrlArg>,

    /// Prefix of every Redis key, so several deployments can share a Redis [default: keycard].
    #[arg(long, env = "KEYCARD_REDIS_PREFIX", value_name = "PREFIX")]
    pub redis_prefix: Option<String>,

    /// The `iss` of every token, and the public base URL [default: http://ADDR].
    #[arg(long, env = "KEYCARD_ISSUER", value_name = "URL")]
    pub issuer: Option<String>,

    /// The `aud` of access tokens [default: the issuer].
    #[arg(long, env = "KEYCARD_AUDIENCE")]
    pub audience: Option<String>,

    /// Algorithm of the signing keys: EdDSA, ES256/384/512, RS256/384/512, PS256/384/512
    /// [default: EdDSA].
    #[arg(long, env = "KEYCARD_SIGNING_ALGORITHM", value_name = "ALG")]
    pub signing_algorithm: Option<AlgorithmName>,

    /// Lifetime of an access JWT [default: 15m].
    #[arg(long, env = "KEYCARD_ACCESS_TOKEN_LIFETIME", value_name = "DURATION")]
    pub access_token_lifetime: Option<Seconds>,

    /// Lifetime of a refresh family, from login [default: 30d].
    #[arg(long, env = "KEYCARD_REFRESH_TOKEN_LIFETIME", value_name = "DURATION")]
    pub refresh_token_lifetime: Option<Seconds>,

    /// A cookie session ends after this long unused [default: 30m].
    #[arg(long, env = "KEYCARD_SESSION_IDLE_TIMEOUT", value_name = "DURATION")]
    pub session_idle_timeout: Option<Seconds>,

    /// A cookie session ends this long after login, used or not [default: 12h].
    #[arg(
        long,
        env = "KEYCARD_SESSION_ABSOLUTE_TIMEOUT",
        value_name = "DURATION"
    )]
    pub session_absolute_timeout: Option<Seconds>,

    /// How long the previous refresh token still returns the same successor [default: 30s].
    #[arg(long, env = "KEYCARD_REFRESH_GRACE", value_name = "DURATION")]
    pub refresh_grace: Option<Seconds>,

    /// Whether revoking a session stops its access tokens at once [default: on].
    #[arg(long, env = "KEYCARD_REVOCATION", value_enum)]
    pub revocation: Option<Revocation>,

    /// Clock skew allowed when checking exp, nbf and iat [default: 30s].
    #[arg(long, env = "KEYCARD_LEEWAY", value_name = "DURATION")]
    pub leeway: Option<Seconds>,

    /// Largest token accepted, checked before any decoding [default: 8192].
    #[arg(long, env = "KEYCARD_MAX_TOKEN_BYTES", value_name = "BYTES")]
    pub max_token_bytes: Option<usize>,

    /// Largest request body accepted; larger ones get 413 [default: 65536].
    #[arg(long, env = "KEYCARD_BODY_LIMIT", value_name = "BYTES")]
    pub body_limit: Option<usize>,

    /// 32 random bytes, base64url (`keycard secret`): seals private keys in the store
    /// instead of 0600 files in the data dir. Prefer the environment variable to the flag.
    #[arg(
        long,
        env = "KEYCARD_MASTER_KEY",
        value_name = "BASE64URL",
        hide_env_values = true
    )]
    pub master_key: Option<Secret>,

    /// Bearer token for the admin routes (32 characters or more, `keycard secret`). Prefer
    /// the environment variable to the flag.
    #[arg(
        long,
        env = "KEYCARD_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<Secret>,

    /// Clients of `POST /v1/introspect` and `POST /v1/revoke` (HTTP Basic), as
    /// `id:secret,id:secret`; each secret 32 characters or more [default: none, and both
    /// routes answer 401]. Prefer the environment variable to the flag.
    #[arg(
        long,
        env = "KEYCARD_CLIENTS",
        value_name = "ID:SECRET,...",
        hide_env_values = true
    )]
    pub clients: Option<Clients>,

    /// Login attempts allowed per account (email) per `login_limit_window`, from any
    /// address; a correct password forgives them; 0 turns the limit off [default: 5].
    #[arg(long, env = "KEYCARD_LOGIN_LIMIT_PER_ACCOUNT", value_name = "N")]
    pub login_limit_per_account: Option<u32>,

    /// Failed login attempts allowed per client address (IPv4, or IPv6 /64) per
    /// `login_limit_window`, on any accounts; 0 turns the limit off [default: 50].
    #[arg(long, env = "KEYCARD_LOGIN_LIMIT_PER_IP", value_name = "N")]
    pub login_limit_per_ip: Option<u32>,

    /// The window of the login limits; attempts come back one by one over it [default: 15m].
    #[arg(long, env = "KEYCARD_LOGIN_LIMIT_WINDOW", value_name = "DURATION")]
    pub login_limit_window: Option<Seconds>,
}

impl ServeArgs {
    /// Parses a TOML file's text. Unknown keys are refused, naming the key.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// This layer over `lower`: each setting from `self` if it has one, else from `lower`.
    #[must_use]
    pub fn over(self, lower: Self) -> Self {
        Self {
            config: self.config.or(lower.config),
            mode: self.mode.or(lower.mode),
            addr: self.addr.or(lower.addr),
            data_dir: self.data_dir.or(lower.data_dir),
            store: self.store.or(lower.store),
            user_store: self.user_store.or(lower.user_store),
            session_store: self.session_store.or(lower.session_store),
            redis_prefix: self.redis_prefix.or(lower.redis_prefix),
            issuer: self.issuer.or(lower.issuer),
            audience: self.audience.or(lower.audience),
            signing_algorithm: self.signing_algorithm.or(lower.signing_algorithm),
            access_token_lifetime: self.access_token_lifetime.or(lower.access_token_lifetime),
            refresh_token_lifetime: self.refresh_token_lifetime.or(lower.refresh_token_lifetime),
            session_idle_timeout: self.session_idle_timeout.or(lower.session_idle_timeout),
            session_absolute_timeout: self
                .session_absolute_timeout
                .or(lower.session_absolute_timeout),
            refresh_grace: self.refresh_grace.or(lower.refresh_grace),
            revocation: self.revocation.or(lower.revocation),
            leeway: self.leeway.or(lower.leeway),
            max_token_bytes: self.max_token_bytes.or(lower.max_token_bytes),
            body_limit: self.body_limit.or(lower.body_limit),
            master_key: self.master_key.or(lower.master_key),
            admin_token: self.admin_token.or(lower.admin_token),
            clients: self.clients.or(lower.clients),
            login_limit_per_account: self
                .login_limit_per_account
                .or(lower.login_limit_per_account),
            login_limit_per_ip: self.login_limit_per_ip.or(lower.login_limit_per_ip),
            login_limit_window: self.login_limit_window.or(lower.login_limit_window),
        }
    }
}
